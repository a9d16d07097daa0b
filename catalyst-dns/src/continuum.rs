//! The continuum-controller's lua records (SPEC DNS-19, CONT-5, OP-11): per hostname, an
//! `ifurlup` body that sends traffic to the primary region's load balancers and falls back to
//! the standbys, byte for byte as the platform's synthesizer writes it (`continuum_compat`), and
//! the record document it commits to the pool-domain-manager.
//!
//! The platform's quirks are kept on purpose, so a Sovereign switching to this SDK sees no DNS
//! change: the configured selector is the lua *function name*, the options table always says
//! `selector="pickfirst"`, strings are double-quoted. Unlike the platform, the inputs that land
//! inside the lua (addresses, hostnames, the probe URL and its region label) are checked first,
//! every body is run through the DNS-18 linter before it is returned, and a selector the
//! synthesizer cannot call (all but `ifurlup`) is refused.
//! The native builder ([`crate::LuaRecord`], DNS-18) stays the default everywhere else.
//!
//! ```
//! use std::collections::BTreeMap;
//! use catalyst_dns::continuum::{SynthParams, synthesize};
//!
//! let params = SynthParams {
//!     primary_region: "hz-fsn-rtz-prod".into(),
//!     region_ips: BTreeMap::from([
//!         ("hz-fsn-rtz-prod".into(), vec!["127.0.1.1".into()]),
//!         ("hz-hel-rtz-prod".into(), vec!["127.0.2.1".into()]),
//!     ]),
//!     health_check_url: "https://probe-fsn.example.com/healthz".into(),
//!     hostnames: vec!["web.example.com".into()],
//!     ..SynthParams::default()
//! };
//! let records = synthesize(&params, None).unwrap();
//! assert_eq!(
//!     records[0].lua_body,
//!     r#"ifurlup("https://probe-fsn.example.com/healthz", {{"127.0.1.1"}, {"127.0.2.1"}}, {selector="pickfirst", interval=5, timeout=2})"#
//! );
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

/// The selectors the synthesizer can call. It calls the selector by name with `(url, pools,
/// options)`, which only `ifurlup` takes: the CRD's `pickclosest` and `pickwhashed` take one
/// argument in PowerDNS, and `pickfirst` is only an option value.
pub const CONTINUUM_FUNCTIONS: [&str; 1] = ["ifurlup"];

/// Most hostnames one Continuum's records may have.
pub const MAX_HOSTNAMES: usize = 256;

/// Default probe interval, seconds.
pub const DEFAULT_INTERVAL: i64 = 5;
/// Default probe timeout, seconds.
pub const DEFAULT_TIMEOUT: i64 = 2;
/// Default record TTL, seconds.
pub const DEFAULT_TTL: i64 = 30;

/// What the synthesizer needs (the platform's `SynthParams`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthParams {
    /// The host cluster that serves: `hz-fsn-rtz-prod`.
    pub primary_region: String,
    /// Every region's load-balancer addresses, in their order (`spec.regions[]{name, lbIPs}`).
    pub region_ips: BTreeMap<String, Vec<String>>,
    /// The lua function: `ifurlup` when empty.
    pub selector: String,
    /// The health-check URL; its host is rewritten to the primary's probe host.
    pub health_check_url: String,
    /// Probe interval in seconds; 5 when 0 or less.
    pub interval: i64,
    /// Probe timeout in seconds; 2 when 0 or less.
    pub timeout: i64,
    /// Record TTL in seconds; 30 when 0 or less.
    pub ttl: i64,
    /// The hostnames, in the given order; when empty, the Application's (see [`synthesize`]).
    pub hostnames: Vec<String>,
}

impl SynthParams {
    /// The parameters a Continuum's `spec` gives (as JSON, the platform's `parseSynthParams`):
    /// `primaryRegion`, `regions[]{name, lbIPs}`, `luaRecord.{selector, ttl, hostnames,
    /// healthCheck.{url, intervalSeconds, timeoutSeconds}}`. Absent fields stay empty or 0, so
    /// [`synthesize`] applies its defaults and reports what is missing.
    pub fn from_spec(spec: &serde_json::Value) -> Self {
        let text =
            |p: &str| spec.pointer(p).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
        let int = |p: &str| spec.pointer(p).and_then(serde_json::Value::as_i64).unwrap_or_default();
        let mut region_ips = BTreeMap::new();
        for r in spec.pointer("/regions").and_then(serde_json::Value::as_array).into_iter().flatten() {
            if let Some(name) = r.get("name").and_then(serde_json::Value::as_str) {
                region_ips.insert(name.to_owned(), string_list(r.get("lbIPs")));
            }
        }
        Self {
            primary_region: text("/primaryRegion"),
            region_ips,
            selector: text("/luaRecord/selector"),
            health_check_url: text("/luaRecord/healthCheck/url"),
            interval: int("/luaRecord/healthCheck/intervalSeconds"),
            timeout: int("/luaRecord/healthCheck/timeoutSeconds"),
            ttl: int("/luaRecord/ttl"),
            hostnames: string_list(spec.pointer("/luaRecord/hostnames")),
        }
    }
}

/// One record of the document the platform commits (`luaBody` is the lua expression, without
/// the record type).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContinuumRecord {
    /// The owner name, as given.
    pub hostname: String,
    /// The lua expression.
    #[serde(rename = "luaBody")]
    pub lua_body: String,
    /// TTL, seconds.
    pub ttl: i64,
    /// The primary region it points at.
    #[serde(rename = "primaryRegion")]
    pub primary_region: String,
}

impl ContinuumRecord {
    /// The PowerDNS record content that serves this body: `A "<body>"`, with the body's
    /// double-quoted Lua strings written single-quoted.
    ///
    /// The body itself (the document's `luaBody`) keeps the platform's double quotes, but
    /// PowerDNS cannot serve them: it reads a LUA record's text as `"`-delimited parts and
    /// joins them with spaces, so an escaped `\"` never reaches Lua (a real PowerDNS answers
    /// nothing for it; `tests/pdns.rs` checks both). [`synthesize`] refuses any quote or
    /// backslash inside the strings, so the swap changes no string's value.
    pub fn content(&self) -> String {
        format!("A \"{}\"", self.lua_body.replace('"', "'"))
    }
}

/// Why no record can be synthesized. The checks run in the platform's order: hostnames, primary,
/// region map, primary in the map, then (after defaults) the URL and the primary's addresses;
/// the checks the platform lacks (selector, addresses, hostnames and URL that would break the
/// lua) come last.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// No primary region (`MissingPrimary`).
    #[error("MissingPrimary: no primary region")]
    MissingPrimary,
    /// The primary region has no entry in the region map (`UnknownRegion`).
    #[error("UnknownRegion: primary region {primary:?} is not one of the regions ({})", known.join(", "))]
    UnknownRegion {
        /// The primary region.
        primary: String,
        /// The regions of the map.
        known: Vec<String>,
    },
    /// An argument is missing or unusable (`InvalidArgument`).
    #[error("InvalidArgument: {0}")]
    InvalidArgument(String),
}

fn invalid(message: impl Into<String>) -> SynthError {
    SynthError::InvalidArgument(message.into())
}

/// The strings of a JSON array (other items and non-arrays give nothing).
fn string_list(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// The hostnames of an Application (the platform's fallback when none are listed): every
/// `spec.routes[].hostnames[]`, `spec.routes[].hostname` and `status.hostnames[]`, each once,
/// sorted.
pub fn application_hostnames(application: &serde_json::Value) -> Vec<String> {
    let mut out = BTreeSet::new();
    let routes = application.pointer("/spec/routes").and_then(serde_json::Value::as_array);
    for route in routes.into_iter().flatten() {
        out.extend(string_list(route.get("hostnames")));
        if let Some(h) = route.get("hostname").and_then(serde_json::Value::as_str) {
            out.insert(h.to_owned());
        }
    }
    out.extend(string_list(application.pointer("/status/hostnames")));
    out.into_iter().filter(|h| !h.is_empty()).collect()
}

/// The region label of a host-cluster name: its second dash-separated token
/// (`hz-fsn-rtz-prod` → `fsn`), else the whole name.
pub fn region_label(primary_region: &str) -> &str {
    primary_region.split('-').nth(1).unwrap_or(primary_region)
}

/// The probe URL for a region label: the host's first label becomes `probe-<label>` when it
/// already starts with `probe-`, otherwise `probe-<label>.` is prepended; scheme, port, path and
/// query are kept as written. `None` when the URL has no `scheme://`.
pub fn probe_url(url: &str, label: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (host_port, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (host, port) = match host_port.find(':') {
        Some(i) => host_port.split_at(i),
        None => (host_port, ""),
    };
    let first = host.split('.').next().unwrap_or(host);
    let host = if first.starts_with("probe-") {
        format!("probe-{label}{}", &host[first.len()..])
    } else {
        format!("probe-{label}.{host}")
    };
    Some(format!("{scheme}://{host}{port}{path}"))
}

/// What the platform does not check, and the lua needs: a callable selector, IPv4 lbIPs, a
/// bounded number of DNS hostnames, a DNS label for the probe host, a URL with nothing that
/// could leave a lua string. Returns the probe label.
fn check_inputs<'p>(
    params: &'p SynthParams,
    selector: &str,
    hostnames: &[String],
) -> Result<&'p str, SynthError> {
    if !CONTINUUM_FUNCTIONS.contains(&selector) {
        return Err(invalid(format!(
            "selector {selector:?} is not a PowerDNS lua function; the synthesizer calls the selector by name (use one of {})",
            CONTINUUM_FUNCTIONS.join(", ")
        )));
    }
    for (region, ips) in &params.region_ips {
        for ip in ips {
            match ip.parse::<IpAddr>() {
                Ok(IpAddr::V4(_)) => {}
                Ok(IpAddr::V6(_)) => {
                    return Err(invalid(format!(
                        "region {region}: {ip} is IPv6; the records are A records (IPv4 lbIPs only)"
                    )));
                }
                Err(_) => return Err(invalid(format!("region {region}: {ip:?} is not an IP address"))),
            }
        }
    }
    if hostnames.len() > MAX_HOSTNAMES {
        return Err(invalid(format!("{} hostnames; at most {MAX_HOSTNAMES}", hostnames.len())));
    }
    let label = region_label(&params.primary_region);
    if label.is_empty() || !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return Err(invalid(format!(
            "the primary region {:?} gives the probe label {label:?}, which is not a DNS label",
            params.primary_region
        )));
    }
    for h in hostnames {
        if h.is_empty()
            || h.len() > 253
            || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'*')
        {
            return Err(invalid(format!("hostname {h:?} is not a DNS name")));
        }
    }
    let url = &params.health_check_url;
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.chars().any(|c| c.is_control() || c.is_whitespace() || matches!(c, '"' | '\\' | '\''))
    {
        return Err(invalid(format!(
            "health-check URL {url:?} must be http(s) with no quotes, backslashes, spaces or control characters"
        )));
    }
    Ok(label)
}

/// The records for `params` (SPEC DNS-19), sorted by hostname. `application` is the Continuum's
/// Application as JSON, if known: its hostnames are used when `params.hostnames` is empty.
///
/// # Errors
/// [`SynthError`], the first rule broken in the platform's order.
pub fn synthesize(
    params: &SynthParams,
    application: Option<&serde_json::Value>,
) -> Result<Vec<ContinuumRecord>, SynthError> {
    // The platform refuses only "no Application and no hostnames"; an Application without any
    // gives no records (nothing to commit).
    if params.hostnames.is_empty() && application.is_none() {
        return Err(invalid("no hostnames: list luaRecord.hostnames or give the Application routes"));
    }
    let hostnames: Vec<String> = if params.hostnames.is_empty() {
        application.map(application_hostnames).unwrap_or_default()
    } else {
        params.hostnames.clone()
    };
    if params.primary_region.is_empty() {
        return Err(SynthError::MissingPrimary);
    }
    if params.region_ips.is_empty() {
        return Err(invalid("no regions: spec.regions[] lists each region's lbIPs"));
    }
    let Some(primary_ips) = params.region_ips.get(&params.primary_region) else {
        return Err(SynthError::UnknownRegion {
            primary: params.primary_region.clone(),
            known: params.region_ips.keys().cloned().collect(),
        });
    };
    let selector = if params.selector.is_empty() { "ifurlup" } else { params.selector.as_str() };
    let positive = |v: i64, default: i64| if v <= 0 { default } else { v };
    let (interval, timeout, ttl) = (
        positive(params.interval, DEFAULT_INTERVAL),
        positive(params.timeout, DEFAULT_TIMEOUT),
        positive(params.ttl, DEFAULT_TTL),
    );
    if params.health_check_url.is_empty() {
        return Err(invalid("no health-check URL (luaRecord.healthCheck.url)"));
    }
    if primary_ips.is_empty() {
        return Err(invalid(format!("the primary region {} has no lbIPs", params.primary_region)));
    }
    let label = check_inputs(params, selector, &hostnames)?;
    let url = &params.health_check_url;
    let probe =
        probe_url(url, label).ok_or_else(|| invalid(format!("health-check URL {url:?} has no scheme")))?;

    let quote = |ips: &[String]| ips.iter().map(|ip| format!("\"{ip}\"")).collect::<Vec<_>>().join(", ");
    let standby: Vec<String> = params
        .region_ips
        .iter()
        .filter(|(region, _)| **region != params.primary_region)
        .flat_map(|(_, ips)| ips.iter().cloned())
        .collect();
    let mut groups = vec![format!("{{{}}}", quote(primary_ips))];
    if !standby.is_empty() {
        groups.push(format!("{{{}}}", quote(&standby)));
    }
    let body = format!(
        "{selector}(\"{probe}\", {{{}}}, {{selector=\"pickfirst\", interval={interval}, timeout={timeout}}})",
        groups.join(", ")
    );
    // The DNS-18 linter has the last word: no address PowerDNS must never probe (link-local,
    // a cloud metadata service, multicast …) and nothing it would not run.
    let servable = format!("A \"{}\"", body.replace('"', "'"));
    crate::lint_lua(&servable)
        .map_err(|e| invalid(format!("the record would not be safe to serve: {}", e.reason)))?;
    let mut records: Vec<ContinuumRecord> = hostnames
        .into_iter()
        .map(|hostname| ContinuumRecord {
            hostname,
            lua_body: body.clone(),
            ttl,
            primary_region: params.primary_region.clone(),
        })
        .collect();
    records.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    Ok(records)
}

/// The record document the platform's synthesizer produces: `{"records":[…]}`, compact, keys
/// in the order `hostname, luaBody, ttl, primaryRegion`, records sorted by hostname, with Go's
/// escaping of `<`, `>`, `&`, U+2028 and U+2029.
pub fn records_document(records: &[ContinuumRecord]) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        records: Vec<&'a ContinuumRecord>,
    }
    let mut sorted: Vec<&ContinuumRecord> = records.iter().collect();
    sorted.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    go_json(&Doc { records: sorted })
}

/// Compact JSON as Go's `encoding/json` writes it: the HTML-sensitive characters and the two
/// line separators are `\u` escapes (they can only occur inside strings).
pub(crate) fn go_json(value: &impl Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_urls_keep_scheme_port_path_and_query() {
        let cases = [
            ("https://probe-fsn.example.com/healthz", "hel", "https://probe-hel.example.com/healthz"),
            ("https://api.example.com/healthz", "fsn", "https://probe-fsn.api.example.com/healthz"),
            ("https://api.example.com:8443/healthz", "fsn", "https://probe-fsn.api.example.com:8443/healthz"),
            (
                "https://probe-x.example.com:8443/h?full=1&x=y",
                "hel",
                "https://probe-hel.example.com:8443/h?full=1&x=y",
            ),
            ("http://localhost", "fsn", "http://probe-fsn.localhost"),
        ];
        for (url, label, want) in cases {
            assert_eq!(probe_url(url, label).as_deref(), Some(want), "{url}");
        }
        assert_eq!(probe_url("example.com/healthz", "fsn"), None);
        assert_eq!(region_label("hz-fsn-rtz-prod"), "fsn");
        assert_eq!(region_label("primary"), "primary");
    }

    #[test]
    fn go_escapes_html_characters() {
        assert_eq!(go_json(&"a<b>&c\u{2028}"), r#""a\u003cb\u003e\u0026c\u2028""#);
    }
}
