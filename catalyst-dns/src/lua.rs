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

/// The functions a `LUA` record may call: the ones this SDK builds (and their weighted and
/// hashed siblings). Anything else (`os.execute`, `io`, `resolve`, loops) is refused.
pub const LUA_FUNCTIONS: [&str; 7] =
    ["ifurlup", "ifportup", "pickclosest", "pickrandom", "pickwhashed", "pickwrandom", "pickhashed"];
/// The keys an ifurlup/ifportup options table may hold (PowerDNS's documented options).
pub const LUA_OPTIONS: [&str; 10] = [
    "selector",
    "backupSelector",
    "source",
    "timeout",
    "interval",
    "minimumFailures",
    "failOnIncompleteCheck",
    "stringmatch",
    "useragent",
    "byteslimit",
];
/// The values `selector` and `backupSelector` may take.
pub const LUA_SELECTORS: [&str; 8] =
    ["all", "random", "hashed", "pickclosest", "pickfirst", "pickrandom", "pickhashed", "empty"];
/// Deepest nesting of `(`, `{` and `[` accepted, checked before the parser sees the lua (the
/// parser recurses once per level).
pub const MAX_LUA_DEPTH: usize = 64;
/// The longest lua accepted, in bytes.
pub const MAX_LUA_LEN: usize = 16 * 1024;

/// Checks a `LUA` record content: `<QTYPE> "<lua>"`, the lua parsed with a Lua 5.1 parser
/// (as `return <lua>`, or as a chunk when it starts with `;`, the way PowerDNS runs it), and
/// held to what the platform writes (SPEC DNS-18):
///
/// - one call of an allowed function ([`LUA_FUNCTIONS`]), as the expression or as the chunk's
///   only statement (`;return pickrandom(…)`); its arguments are strings, numbers and tables
///   of them, nothing that runs code;
/// - an options table holds only [`LUA_OPTIONS`] keys, and selectors are [`LUA_SELECTORS`];
/// - no address or probe URL is link-local (a cloud metadata service), unspecified or
///   multicast: PowerDNS would probe it;
/// - at most [`MAX_LUA_LEN`] bytes and [`MAX_LUA_DEPTH`] levels of brackets, checked before
///   parsing.
///
/// ```
/// assert!(catalyst_dns::lint_lua(r#"A "ifportup(443, {'127.0.0.1'})""#).is_ok());
/// let err = catalyst_dns::lint_lua(r#"A "ifportup(443, {'127.0.0.1'}""#).unwrap_err();
/// assert!(err.reason.starts_with("the lua does not parse"), "{}", err.reason);
/// let err = catalyst_dns::lint_lua(r#"A ";os.execute('id') return '127.0.0.1'""#).unwrap_err();
/// assert!(err.reason.starts_with("`os` is not allowed"), "{}", err.reason);
/// ```
pub fn lint_lua(content: &str) -> Result<(), LuaError> {
    let shown: String = if content.len() > 200 {
        content.chars().take(200).chain("…".chars()).collect()
    } else {
        content.to_owned()
    };
    let err = |reason: String| LuaError { content: shown.clone(), reason };
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
    if lua.len() > MAX_LUA_LEN {
        return Err(err(format!("the lua is {} bytes long; at most {MAX_LUA_LEN} are allowed", lua.len())));
    }
    let (body, chunk) = match lua.strip_prefix(';') {
        Some(body) => (body, true),
        None => (lua.as_str(), false),
    };
    precheck(body).map_err(err)?;
    let code = if chunk { body.to_owned() } else { format!("return {body}") };
    let ast = full_moon::parse(&code).map_err(|errors| {
        let first = errors.first().map_or_else(|| "unknown error".to_owned(), ToString::to_string);
        err(format!("the lua does not parse: {first}"))
    })?;
    let block = ast.nodes();
    if let Some(stmt) = block.stmts().next() {
        return Err(err(format!(
            "only `return <call>` is allowed, not the statement `{}`",
            stmt.to_string().trim().chars().take(40).collect::<String>()
        )));
    }
    let Some(full_moon::ast::LastStmt::Return(ret)) = block.last_stmt() else {
        return Err(err("the lua must return the call of an allowed function".into()));
    };
    let mut returns = ret.returns().iter();
    let (Some(expr), None) = (returns.next(), returns.next()) else {
        return Err(err("the lua must return exactly one call".into()));
    };
    check_call(expr).map_err(err)
}

/// The lexical allow-list, before the parser runs: outside string literals only names of
/// [`LUA_FUNCTIONS`], [`LUA_OPTIONS`], `return`, `true` and `false`, numbers, and
/// `( ) { } , = ;` appear; brackets nest at most [`MAX_LUA_DEPTH`] deep. This keeps the
/// parser's recursion bounded (no operator chains, no deep nesting) and names a forbidden
/// function or keyword as written.
fn precheck(lua: &str) -> Result<(), String> {
    let bytes = lua.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\'' | b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i >= bytes.len() {
                    return Err("a string is not closed".into());
                }
            }
            b'(' | b'{' => {
                depth += 1;
                if depth > MAX_LUA_DEPTH {
                    return Err(format!("brackets nest deeper than {MAX_LUA_DEPTH} levels"));
                }
            }
            b')' | b'}' => depth = depth.saturating_sub(1),
            b',' | b'=' | b';' if !(b == b'=' && bytes.get(i + 1) == Some(&b'=')) => {}
            b if b.is_ascii_whitespace() => {}
            b'-' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {}
            b if b.is_ascii_digit() => {
                while i + 1 < bytes.len() && (bytes[i + 1].is_ascii_alphanumeric() || bytes[i + 1] == b'.') {
                    i += 1;
                }
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let start = i;
                while i + 1 < bytes.len() && (bytes[i + 1].is_ascii_alphanumeric() || bytes[i + 1] == b'_') {
                    i += 1;
                }
                let word = &lua[start..=i];
                if !(LUA_FUNCTIONS.contains(&word)
                    || LUA_OPTIONS.contains(&word)
                    || matches!(word, "return" | "true" | "false"))
                {
                    return Err(format!(
                        "`{word}` is not allowed: a LUA record may call only {} with literal arguments",
                        LUA_FUNCTIONS.join(", ")
                    ));
                }
            }
            other => {
                let c = lua[i..].chars().next().unwrap_or(char::from(other));
                return Err(format!(
                    "{c:?} at byte {i} is not allowed outside strings (no operators, indexing or comments)"
                ));
            }
        }
        i += 1;
    }
    Ok(())
}

/// The name a prefix calls, when it is a plain name.
fn called_name(call: &full_moon::ast::FunctionCall) -> Option<String> {
    match call.prefix() {
        full_moon::ast::Prefix::Name(n) => Some(n.token().to_string()),
        _ => None,
    }
}

fn check_call(expr: &full_moon::ast::Expression) -> Result<(), String> {
    use full_moon::ast::{Call, Expression, FunctionArgs, Suffix};
    let call = match expr {
        Expression::FunctionCall(call) => call,
        Expression::Parentheses { expression, .. } => return check_call(expression),
        other => {
            return Err(format!(
                "the lua must return the call of an allowed function, not `{}`",
                other.to_string().trim()
            ));
        }
    };
    let name = called_name(call).ok_or("the called function must be named")?;
    if !LUA_FUNCTIONS.contains(&name.as_str()) {
        return Err(format!(
            "`{name}` is not allowed: a LUA record may call only {}",
            LUA_FUNCTIONS.join(", ")
        ));
    }
    let suffixes: Vec<&Suffix> = call.suffixes().collect();
    let [Suffix::Call(Call::AnonymousCall(args))] = suffixes.as_slice() else {
        return Err(format!("`{name}` must be called once, with arguments in parentheses"));
    };
    let args: Vec<&Expression> = match args.as_ref() {
        FunctionArgs::Parentheses { arguments, .. } => arguments.iter().collect(),
        FunctionArgs::TableConstructor(_) | FunctionArgs::String(_) => {
            return Err(format!("`{name}` must be called with arguments in parentheses"));
        }
        _ => return Err(format!("`{name}` is called in an unsupported way")),
    };
    let probes = matches!(name.as_str(), "ifurlup" | "ifportup");
    for (i, arg) in args.iter().enumerate() {
        let options = probes && i == 2;
        check_value(arg, &name, options, 0)?;
        if name == "ifurlup" && i == 0 {
            strings(arg, &mut |s| check_url(s, &name))?;
        }
        if !options {
            strings(arg, &mut |s| check_address(s, &name))?;
        }
    }
    Ok(())
}

/// A literal argument: a string, a number, `true`/`false`, or a table of them. The options
/// table (third argument of ifurlup/ifportup) holds only known keys and selectors.
fn check_value(
    expr: &full_moon::ast::Expression,
    func: &str,
    options: bool,
    depth: usize,
) -> Result<(), String> {
    use full_moon::ast::{Expression, Field};
    if depth > MAX_LUA_DEPTH {
        return Err(format!("tables nest deeper than {MAX_LUA_DEPTH} levels"));
    }
    match expr {
        Expression::String(_) | Expression::Number(_) | Expression::Symbol(_) if !options => Ok(()),
        Expression::UnaryOperator { expression, .. }
            if !options && matches!(expression.as_ref(), Expression::Number(_)) =>
        {
            Ok(())
        }
        Expression::TableConstructor(table) => {
            for field in table.fields() {
                match field {
                    Field::NoKey(value) if !options => check_value(value, func, false, depth + 1)?,
                    Field::NameKey { key, value, .. } if options => {
                        let key = key.token().to_string();
                        if !LUA_OPTIONS.contains(&key.as_str()) {
                            return Err(format!(
                                "`{func}` has no option `{key}`; allowed: {}",
                                LUA_OPTIONS.join(", ")
                            ));
                        }
                        check_value(value, func, false, depth + 1)?;
                        if matches!(key.as_str(), "selector" | "backupSelector") {
                            let mut selector = None;
                            strings(value, &mut |s| {
                                selector = Some(s.to_owned());
                                Ok(())
                            })?;
                            match selector {
                                Some(s) if LUA_SELECTORS.contains(&s.as_str()) => {}
                                other => {
                                    return Err(format!(
                                        "{key} {:?} is not a selector; use one of {}",
                                        other.unwrap_or_default(),
                                        LUA_SELECTORS.join(", ")
                                    ));
                                }
                            }
                        }
                    }
                    _ if options => return Err(format!("the options of `{func}` are name = value pairs")),
                    _ => {
                        return Err(format!(
                            "the arguments of `{func}` are lists; a name = value table belongs only in the options"
                        ));
                    }
                }
            }
            Ok(())
        }
        _ if options => Err(format!("the options of `{func}` are one table {{name = value, …}}")),
        other => Err(format!(
            "`{}` is not a literal; the arguments of `{func}` are strings, numbers and tables",
            other.to_string().trim()
        )),
    }
}

/// Calls `f` with the text of every string literal in `expr` (escapes left as written).
fn strings(
    expr: &full_moon::ast::Expression,
    f: &mut dyn FnMut(&str) -> Result<(), String>,
) -> Result<(), String> {
    use full_moon::ast::{Expression, Field};
    use full_moon::tokenizer::TokenType;
    match expr {
        Expression::String(t) => match t.token().token_type() {
            TokenType::StringLiteral { literal, .. } => f(literal.as_str()),
            _ => Ok(()),
        },
        Expression::TableConstructor(table) => {
            for field in table.fields() {
                match field {
                    Field::NoKey(v) => strings(v, f)?,
                    Field::NameKey { value, .. } => strings(value, f)?,
                    _ => {}
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Refuses addresses PowerDNS must never probe: link-local (metadata services), unspecified,
/// multicast and broadcast. `'A 192.0.2.1'` (PLATFORM-POWERDNS's backend form) counts too.
fn check_address(text: &str, func: &str) -> Result<(), String> {
    let addr = text.trim();
    let addr = addr.strip_prefix("AAAA ").or_else(|| addr.strip_prefix("A ")).unwrap_or(addr).trim();
    let Ok(ip) = addr.parse::<IpAddr>() else { return Ok(()) };
    let bad = match ip {
        IpAddr::V4(v4) => {
            if v4.is_link_local() {
                Some("link-local (a cloud metadata service?)")
            } else if v4.is_unspecified() || v4.is_broadcast() {
                Some("not a host address")
            } else if v4.is_multicast() {
                Some("multicast")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if v6.is_unicast_link_local() {
                Some("link-local")
            } else if v6.is_unspecified() {
                Some("not a host address")
            } else if v6.is_multicast() {
                Some("multicast")
            } else {
                None
            }
        }
    };
    match bad {
        Some(why) => Err(format!("`{func}` address {addr} is {why}; PowerDNS would send traffic to it")),
        None => Ok(()),
    }
}

/// The probe URL of ifurlup: http(s), and not at a link-local, unspecified or multicast host.
fn check_url(url: &str, func: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{func}` URL {url:?} is not http:// or https://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    check_address(host, func).map_err(|e| e.replace(" address ", " URL host "))
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
