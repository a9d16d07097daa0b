//! PowerDNS `LUA` records: a typed builder that renders escaped lua (SPEC DNS-16, DNS-18)
//! and a linter that parses the lua with a real Lua parser.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use serde::Deserialize;

/// A `LUA` record content that is wrong, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid LUA record {content:?}: {reason}")]
pub struct LuaError {
    /// The record content.
    pub content: String,
    /// What is wrong.
    pub reason: String,
}

/// The lua functions the platform uses, as typed values (the `lua:` form of a desired file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum LuaRecord {
    /// Health-checked by HTTP(S): `ifurlup(url, pools, options)`. PowerDNS fetches `url`
    /// through every listed address, so test pools hold loopback addresses only.
    Ifurlup(IfUrlUp),
    /// Health-checked by TCP connect: `ifportup(port, addresses, options)`.
    Ifportup(IfPortUp),
    /// The address closest to the client (GeoIP): `pickclosest(addresses)`.
    Pickclosest(Vec<IpAddr>),
    /// A random address: `pickrandom(addresses)`.
    Pickrandom(Vec<IpAddr>),
    /// Weighted by a hash of the client: `pickwhashed({{weight, address}, …})`.
    Pickwhashed(Vec<Weighted>),
}

/// `ifurlup` arguments.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IfUrlUp {
    /// The URL fetched through each address (`http://app.example.test:8080/healthz`).
    pub url: String,
    /// Address pools in priority order: the first pool with a healthy address answers.
    #[serde(default)]
    pub pools: Vec<Vec<IpAddr>>,
    /// A single pool, when `pools` is not given.
    #[serde(default)]
    pub addresses: Vec<IpAddr>,
    /// Lua options table (`selector: pickclosest`, `backupSelector: random`, `timeout: 2`).
    #[serde(default)]
    pub options: BTreeMap<String, LuaOption>,
}

/// `ifportup` arguments.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IfPortUp {
    /// The TCP port probed.
    pub port: u16,
    /// The addresses.
    pub addresses: Vec<IpAddr>,
    /// Lua options table.
    #[serde(default)]
    pub options: BTreeMap<String, LuaOption>,
}

/// A weighted address of `pickwhashed`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weighted {
    /// The weight.
    pub weight: u32,
    /// The address.
    pub address: IpAddr,
}

/// An option value: a string or a number.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum LuaOption {
    /// A whole number (`timeout: 2`).
    Number(i64),
    /// A string (`selector: all`).
    Text(String),
}

/// A Lua single-quoted string literal with `\` and `'` escaped.
fn lua_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            // NB: never emit a raw backtick; see `lint_lua`.
            '`' => out.push_str("\\96"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn addr_list(addrs: &[IpAddr]) -> String {
    let items: Vec<String> = addrs.iter().map(|a| lua_str(&a.to_string())).collect();
    format!("{{{}}}", items.join(", "))
}

fn options(opts: &BTreeMap<String, LuaOption>) -> Result<String, String> {
    let mut out = String::new();
    for (k, v) in opts {
        if !k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!("option name {k:?} is not a Lua identifier"));
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        match v {
            LuaOption::Number(n) => {
                let _ = write!(out, "{k}={n}");
            }
            LuaOption::Text(t) => {
                let _ = write!(out, "{k}={}", lua_str(t));
            }
        }
    }
    Ok(if out.is_empty() { String::new() } else { format!(", {{{out}}}") })
}

impl LuaRecord {
    /// The addresses the record can answer with.
    pub fn addresses(&self) -> Vec<IpAddr> {
        match self {
            Self::Ifurlup(u) => u.pools.iter().flatten().chain(&u.addresses).copied().collect(),
            Self::Ifportup(p) => p.addresses.clone(),
            Self::Pickclosest(a) | Self::Pickrandom(a) => a.clone(),
            Self::Pickwhashed(w) => w.iter().map(|w| w.address).collect(),
        }
    }

    /// The lua expression, with doc-style single-quoted strings (SPEC DNS-16).
    pub fn expression(&self) -> Result<String, String> {
        Ok(match self {
            Self::Ifurlup(u) => {
                let pools = match (u.pools.is_empty(), u.addresses.is_empty()) {
                    (false, true) => {
                        let pools: Vec<String> = u.pools.iter().map(|p| addr_list(p)).collect();
                        format!("{{{}}}", pools.join(", "))
                    }
                    (true, false) => addr_list(&u.addresses),
                    _ => return Err("ifurlup needs either pools or addresses".into()),
                };
                if u.pools.iter().any(Vec::is_empty) {
                    return Err("an ifurlup pool is empty".into());
                }
                if !(u.url.starts_with("http://") || u.url.starts_with("https://")) {
                    return Err(format!("ifurlup url {:?} is not http:// or https://", u.url));
                }
                format!("ifurlup({}, {pools}{})", lua_str(&u.url), options(&u.options)?)
            }
            Self::Ifportup(p) => {
                format!("ifportup({}, {}{})", p.port, addr_list(&p.addresses), options(&p.options)?)
            }
            Self::Pickclosest(a) => format!("pickclosest({})", addr_list(a)),
            Self::Pickrandom(a) => format!("pickrandom({})", addr_list(a)),
            Self::Pickwhashed(w) => {
                let items: Vec<String> = w
                    .iter()
                    .map(|w| format!("{{{}, {}}}", w.weight, lua_str(&w.address.to_string())))
                    .collect();
                format!("pickwhashed({{{}}})", items.join(", "))
            }
        })
    }

    /// The `LUA` record content: `<A|AAAA> "<expression>"`, the expression escaped for the
    /// record's double-quoted string. All addresses must be of one family.
    ///
    /// ```
    /// use catalyst_dns::LuaRecord;
    /// let r = LuaRecord::Pickclosest(vec!["127.0.0.10".parse()?, "127.0.0.20".parse()?]);
    /// assert_eq!(r.content()?, r#"A "pickclosest({'127.0.0.10', '127.0.0.20'})""#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn content(&self) -> Result<String, String> {
        let addrs = self.addresses();
        if addrs.is_empty() {
            return Err("the record lists no address".into());
        }
        let qtype = if addrs.iter().all(IpAddr::is_ipv4) {
            "A"
        } else if addrs.iter().all(IpAddr::is_ipv6) {
            "AAAA"
        } else {
            return Err("IPv4 and IPv6 addresses are mixed in one record".into());
        };
        let expr = self.expression()?;
        Ok(format!("{qtype} \"{}\"", expr.replace('\\', "\\\\").replace('"', "\\\"")))
    }
}

/// Checks a `LUA` record content: `<QTYPE> "<lua>"`, the lua parsed with a Lua 5.1 parser
/// (as `return <lua>`, or as a chunk when it starts with `;`, the way PowerDNS runs it).
///
/// ```
/// assert!(catalyst_dns::lint_lua(r#"A "ifportup(443, {'127.0.0.1'})""#).is_ok());
/// let err = catalyst_dns::lint_lua(r#"A "ifportup(443, {'127.0.0.1'}""#).unwrap_err();
/// assert!(err.reason.starts_with("the lua does not parse"), "{}", err.reason);
/// ```
pub fn lint_lua(content: &str) -> Result<(), LuaError> {
    let err = |reason: String| LuaError { content: content.to_owned(), reason };
    let (qtype, rest) = content
        .trim()
        .split_once(char::is_whitespace)
        .ok_or_else(|| err("expected <TYPE> \"<lua>\"".into()))?;
    if qtype.is_empty() || !qtype.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        return Err(err(format!("{qtype:?} is not a record type")));
    }
    let lua = unquote(rest.trim()).map_err(err)?;
    // NB: full_moon 3.0's lexer panics on a backtick outside a string (it only knows
    // backtick strings with its cfxlua feature; found by fuzzing). A raw backtick is never
    // needed: inside a string write it as \96, as the builder does.
    if let Some(pos) = lua.find('`') {
        return Err(err(format!("a raw backtick at byte {pos} of the lua; write it as \\96 inside strings")));
    }
    let chunk = match lua.strip_prefix(';') {
        Some(body) => body.to_owned(),
        None => format!("return {lua}"),
    };
    if let Err(errors) = full_moon::parse(&chunk) {
        let first = errors.first().map_or_else(|| "unknown error".to_owned(), ToString::to_string);
        return Err(err(format!("the lua does not parse: {first}")));
    }
    Ok(())
}

/// The text of a double-quoted record string, `\"` and `\\` unescaped.
fn unquote(s: &str) -> Result<String, String> {
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(|| "the lua must be one double-quoted string".to_owned())?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) => out.push(e),
                None => return Err("the string ends with a lone backslash".into()),
            },
            '"' => return Err("an unescaped '\"' ends the string early".into()),
            c => out.push(c),
        }
    }
    Ok(out)
}
