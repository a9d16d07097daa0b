//! The desired-state file of `dns plan|apply -f` and its validation: nothing is sent for a
//! file that has an error.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use catalyst_naming::FieldPath;
use serde::Deserialize;

use crate::{LuaRecord, Owner, canonical_name, lint_lua};

use crate::code::{Code, Diagnostic, Diagnostics};

/// A content that is not valid for its record type ([`check_content`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct InvalidContent {
    /// The record type it was checked as.
    pub rtype: String,
    /// What is wrong, with the offending value.
    pub reason: String,
}

/// A record set in normalised form: canonical owner name, uppercase type, sorted contents.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct RecordSet {
    /// Owner name with a trailing dot.
    pub name: String,
    /// Record type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Record contents, sorted (PowerDNS treats a set as unordered).
    pub contents: Vec<String>,
}

/// The desired record sets of one zone, keyed by (name, type), and who they belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredZone {
    /// Zone name with a trailing dot.
    pub zone: String,
    /// The owner the sets are written for: a plan changes only sets that carry this owner's
    /// marker (see [`crate::Owner`]).
    pub owner: Owner,
    /// When set, the names a plan may touch: this canonical name and its subdomains. Sets
    /// elsewhere in the zone are not looked at, whoever owns them.
    pub scope: Option<String>,
    /// The record sets.
    pub rrsets: BTreeMap<(String, String), RecordSet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    owner: Option<String>,
    zones: Vec<RawZone>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    name: String,
    #[serde(default)]
    records: Vec<RawRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: u32,
    #[serde(default)]
    content: Option<OneOrMany>,
    #[serde(default)]
    lua: Option<LuaRecord>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Parses and validates a desired-state file; every error is returned, each with its path.
///
/// The optional top-level `owner:` names who the file's record sets belong to (default
/// `catalyst`); two files with different owners can share a zone without deleting each
/// other's sets.
///
/// ```
/// let zones = catalyst_dns::parse_desired(r#"
/// zones:
///   - name: example.test
///     records:
///       - {name: www, type: A, ttl: 300, content: [127.0.0.2, 127.0.0.1]}
///       - {name: "@", type: TXT, ttl: 60, content: '"hello"'}
/// "#).unwrap();
/// let www = &zones[0].rrsets[&("www.example.test.".to_string(), "A".to_string())];
/// assert_eq!(www.contents, ["127.0.0.1", "127.0.0.2"]);
/// ```
pub fn parse_desired(yaml: &str) -> Result<Vec<DesiredZone>, Diagnostics> {
    let raw: RawFile = serde_saphyr::from_str(yaml)
        .map_err(|e| Diagnostics::from(Diagnostic::error(Code::Yaml, FieldPath::root(), e.to_string())))?;
    let mut errors = Diagnostics::new();
    let owner = match raw.owner.as_deref().map(Owner::for_file).transpose() {
        Ok(owner) => owner.unwrap_or_default(),
        Err(e) => {
            errors.error(Code::InvalidOwner, FieldPath::root().key("owner"), e.to_string());
            Owner::default()
        }
    };
    let mut zones: Vec<DesiredZone> = Vec::new();
    for (zi, z) in raw.zones.iter().enumerate() {
        let zpath = FieldPath::root().key("zones").index(zi);
        let zone = canonical_name(&z.name);
        if let Err(e) = catalyst_naming::Fqdn::domain(zone.trim_end_matches('.')) {
            errors.error(Code::InvalidZone, zpath.key("name"), e.to_string());
            continue;
        }
        if zones.iter().any(|d| d.zone == zone) {
            errors.error(Code::DuplicateZone, zpath.key("name"), format!("zone {zone} is listed twice"));
            continue;
        }
        let mut rrsets: BTreeMap<(String, String), RecordSet> = BTreeMap::new();
        for (ri, r) in z.records.iter().enumerate() {
            let path = zpath.key("records").index(ri);
            match record(&zone, r, &path) {
                Ok(set) => {
                    let key = (set.name.clone(), set.rtype.clone());
                    match rrsets.entry(key) {
                        std::collections::btree_map::Entry::Occupied(o) => errors.error(
                            Code::DuplicateRecordSet,
                            path,
                            format!(
                                "{} {} is defined twice; list all contents in one entry",
                                o.key().0,
                                o.key().1
                            ),
                        ),
                        std::collections::btree_map::Entry::Vacant(v) => {
                            v.insert(set);
                        }
                    }
                }
                Err(e) => errors.extend(e),
            }
        }
        // A CNAME owns its name alone.
        for (name, rtype) in rrsets.keys() {
            if rtype == "CNAME" && rrsets.keys().any(|(n, t)| n == name && t != "CNAME") {
                errors.error(
                    Code::CnameConflict,
                    zpath.clone(),
                    format!("{name} has a CNAME beside other data; a CNAME must be the only record set of its name"),
                );
            }
        }
        zones.push(DesiredZone { zone, owner: owner.clone(), scope: None, rrsets });
    }
    if errors.is_empty() { Ok(zones) } else { Err(errors) }
}

fn record(zone: &str, r: &RawRecord, path: &FieldPath) -> Result<RecordSet, Diagnostics> {
    let err = |code: Code, sub: &str, message: String| {
        let at = if sub.is_empty() { path.clone() } else { path.key(sub) };
        Diagnostics::from(Diagnostic::error(code, at, message))
    };
    let name = owner_name(zone, &r.name).map_err(|m| err(Code::InvalidName, "name", m))?;
    let rtype = r.rtype.trim().to_ascii_uppercase();
    if rtype.is_empty() || !rtype.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        return Err(err(Code::InvalidType, "type", format!("{:?} is not a record type", r.rtype)));
    }
    if rtype == "SOA" {
        return Err(err(Code::InvalidType, "type", "SOA is managed by PowerDNS, not by record files".into()));
    }
    // NB: PowerDNS reads `TYPE65402` as LUA (RFC 3597 generic types): a generic name would
    // slip a LUA record past the linter.
    if rtype.strip_prefix("TYPE").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
        return Err(err(
            Code::InvalidType,
            "type",
            format!("{rtype} is a generic type number; write the type's name"),
        ));
    }
    let contents: Vec<String> = match (&r.content, &r.lua) {
        (Some(_), Some(_)) => {
            return Err(err(Code::InvalidRecord, "", "give either content or lua, not both".into()));
        }
        (None, None) => return Err(err(Code::InvalidRecord, "", "a record needs content or lua".into())),
        (Some(OneOrMany::One(c)), None) => vec![c.clone()],
        (Some(OneOrMany::Many(c)), None) => c.clone(),
        (None, Some(lua)) => {
            if rtype != "LUA" {
                return Err(err(
                    Code::InvalidType,
                    "type",
                    format!("a lua: record has type LUA, not {rtype}"),
                ));
            }
            vec![lua.content().map_err(|e| err(Code::InvalidLua, "lua", e.to_string()))?]
        }
    };
    if contents.is_empty() {
        return Err(err(
            Code::InvalidContent,
            "content",
            "the list is empty; delete the entry to remove the record set".into(),
        ));
    }
    let mut errors = Diagnostics::new();
    let mut normalised = Vec::with_capacity(contents.len());
    for (i, c) in contents.iter().enumerate() {
        match check_content(&rtype, c) {
            Ok(n) => normalised.push(n),
            Err(e) => errors.error(Code::InvalidContent, path.key("content").index(i), e.reason),
        }
    }
    if rtype == "CNAME" && contents.len() > 1 {
        errors.error(Code::InvalidContent, path.key("content"), "a CNAME record set has exactly one content");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    normalised.sort();
    normalised.dedup();
    Ok(RecordSet { name, rtype, ttl: r.ttl, contents: normalised })
}

/// `@` is the apex, a name ending in `.` is absolute (and must be in the zone), else relative.
fn owner_name(zone: &str, name: &str) -> Result<String, String> {
    let name = name.trim();
    let full = if name == "@" {
        zone.to_owned()
    } else if name.ends_with('.') {
        canonical_name(name)
    } else {
        canonical_name(&format!("{name}.{zone}"))
    };
    if full != zone && !full.ends_with(&format!(".{zone}")) {
        return Err(format!("{full} is outside the zone {zone}"));
    }
    let labels = full.trim_end_matches('.');
    for label in labels.split('.') {
        let ok = label == "*"
            || (!label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        if !ok {
            return Err(format!("{label:?} in {full} is not a DNS label"));
        }
    }
    if labels.len() > 253 {
        return Err(format!("{full} is longer than 253 characters"));
    }
    Ok(full)
}

/// Validates one content for its type and returns it in the form PowerDNS stores.
pub fn check_content(rtype: &str, content: &str) -> Result<String, InvalidContent> {
    content_problem(rtype, content).map_err(|reason| InvalidContent { rtype: rtype.to_owned(), reason })
}

fn content_problem(rtype: &str, content: &str) -> Result<String, String> {
    let c = content.trim();
    if c.is_empty() {
        return Err("the content is empty".into());
    }
    if c.starts_with("\\#") {
        return Err(
            "generic (RFC 3597 \\#) content is not accepted; write the record in its own syntax".into()
        );
    }
    if rtype.strip_prefix("TYPE").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
        return Err(format!("{rtype} is a generic type number; write the type's name"));
    }
    let hostname = |h: &str| -> Result<String, String> {
        let n = canonical_name(h);
        if n == "."
            || n.trim_end_matches('.').split('.').all(|l| {
                !l.is_empty()
                    && l.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == '*')
            })
        {
            Ok(n)
        } else {
            Err(format!("{h:?} is not a host name"))
        }
    };
    match rtype {
        "A" => {
            c.parse::<Ipv4Addr>().map(|a| a.to_string()).map_err(|_| format!("{c:?} is not an IPv4 address"))
        }
        "AAAA" => {
            c.parse::<Ipv6Addr>().map(|a| a.to_string()).map_err(|_| format!("{c:?} is not an IPv6 address"))
        }
        "CNAME" | "NS" | "PTR" | "DNAME" => hostname(c),
        "MX" => {
            let (prio, host) = c
                .split_once(char::is_whitespace)
                .ok_or_else(|| format!("{c:?} is not \"<priority> <host>\""))?;
            let prio: u16 = prio.parse().map_err(|_| format!("MX priority {prio:?} is not a number"))?;
            Ok(format!("{prio} {}", hostname(host.trim())?))
        }
        "TXT" | "SPF" => {
            if c.starts_with('"') && c.ends_with('"') && c.len() >= 2 {
                Ok(c.to_owned())
            } else {
                Err(format!("{c:?} must be a double-quoted string (\"...\")"))
            }
        }
        "LUA" => lint_lua(c).map(|()| c.to_owned()).map_err(|e| e.reason),
        _ => Ok(c.to_owned()),
    }
}

impl fmt::Display for RecordSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {} [{}]", self.name, self.ttl, self.rtype, self.contents.join(", "))
    }
}
