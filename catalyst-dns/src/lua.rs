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

/// A Lua single-quoted string literal. Characters that would need an escape are refused:
/// PowerDNS hands the record's text to Lua with its escapes as written, so an escape means
/// one thing to a linter and another to the server. Nothing the platform writes needs one.
fn lua_str(s: &str) -> Result<String, String> {
    if let Some(c) = s.chars().find(|c| matches!(c, '\'' | '"' | '\\' | '`') || c.is_control()) {
        return Err(format!("{s:?} holds {c:?}, which a LUA record string cannot carry unescaped"));
    }
    Ok(format!("'{s}'"))
}

fn addr_list(addrs: &[IpAddr]) -> String {
    // NB: an address's text never needs an escape.
    let items: Vec<String> = addrs.iter().map(|a| format!("'{a}'")).collect();
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
                let _ = write!(out, "{k}={}", lua_str(t)?);
            }
        }
    }
    Ok(if out.is_empty() { String::new() } else { format!(", {{{out}}}") })
}

/// A [`LuaRecord`] that cannot be written: an empty pool, mixed address families, a string
/// Lua cannot carry, or content the linter refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct InvalidLuaRecord {
    /// What is wrong, with the offending value.
    pub reason: String,
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
    pub fn expression(&self) -> Result<String, InvalidLuaRecord> {
        self.expression_text().map_err(|reason| InvalidLuaRecord { reason })
    }

    fn expression_text(&self) -> Result<String, String> {
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
                format!("ifurlup({}, {pools}{})", lua_str(&u.url)?, options(&u.options)?)
            }
            Self::Ifportup(p) => {
                format!("ifportup({}, {}{})", p.port, addr_list(&p.addresses), options(&p.options)?)
            }
            Self::Pickclosest(a) => format!("pickclosest({})", addr_list(a)),
            Self::Pickrandom(a) => format!("pickrandom({})", addr_list(a)),
            Self::Pickwhashed(w) => {
                let items: Vec<String> =
                    w.iter().map(|w| format!("{{{}, '{}'}}", w.weight, w.address)).collect();
                format!("pickwhashed({{{}}})", items.join(", "))
            }
        })
    }

    /// The `LUA` record content: `<A|AAAA> "<expression>"`, checked by [`lint_lua`]. All
    /// addresses must be of one family.
    ///
    /// ```
    /// use catalyst_dns::LuaRecord;
    /// let r = LuaRecord::Pickclosest(vec!["127.0.0.10".parse()?, "127.0.0.20".parse()?]);
    /// assert_eq!(r.content()?, r#"A "pickclosest({'127.0.0.10', '127.0.0.20'})""#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn content(&self) -> Result<String, InvalidLuaRecord> {
        self.content_text().map_err(|reason| InvalidLuaRecord { reason })
    }

    fn content_text(&self) -> Result<String, String> {
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
        let content = format!("{qtype} \"{}\"", self.expression_text()?);
        lint_lua(&content).map_err(|e| e.reason)?;
        Ok(content)
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
/// Deepest nesting of `(` and `{` accepted, checked before the parser sees the lua (the
/// parser recurses once per level).
pub const MAX_LUA_DEPTH: usize = 64;
/// The longest lua accepted, in bytes.
pub const MAX_LUA_LEN: usize = 16 * 1024;

/// Checks a `LUA` record content: `<QTYPE> "<lua>"`, the lua parsed with a Lua 5.1 parser
/// (as `return <lua>`, or as a chunk when it starts with `;`, the way PowerDNS runs it), and
/// held to what the platform writes (SPEC DNS-18):
///
/// - the record's string holds no `"` and no `\`: PowerDNS hands the text to Lua with its
///   escapes as written, so an escape would mean one thing here and another on the server;
///   Lua strings inside are single-quoted, without escapes or control characters;
/// - one call of an allowed function ([`LUA_FUNCTIONS`]), as the expression or as the chunk's
///   only statement (`;return pickrandom(…)`), with the arguments that function takes:
///   address lists of IP address strings (`'192.0.2.1'`, or `'A 192.0.2.1'`), whole-number
///   ports and weights, an `http(s)` probe URL, and an options table of [`LUA_OPTIONS`] with
///   [`LUA_SELECTORS`];
/// - no address or probe URL host is link-local (a cloud metadata service, also IPv4-mapped
///   or `fd00:ec2::254`), unspecified, broadcast or multicast: PowerDNS would send it traffic;
/// - at most [`MAX_LUA_LEN`] bytes and [`MAX_LUA_DEPTH`] levels of brackets, checked before
///   parsing, and no operators, so the parser's recursion stays bounded.
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
    if lua.len() > MAX_LUA_LEN {
        return Err(err(format!("the lua is {} bytes long; at most {MAX_LUA_LEN} are allowed", lua.len())));
    }
    let (body, chunk) = match lua.strip_prefix(';') {
        Some(body) => (body, true),
        None => (lua, false),
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
    let Some(full_moon::ast::LastStmt::Return(returned)) = block.last_stmt() else {
        return Err(err("the lua must return the call of an allowed function".into()));
    };
    let mut returns = returned.returns().iter();
    let (Some(expr), None) = (returns.next(), returns.next()) else {
        return Err(err("the lua must return exactly one call".into()));
    };
    check_call(expr).map_err(err)
}

/// The lexical allow-list, before the parser runs. Outside strings only names of
/// [`LUA_FUNCTIONS`] and [`LUA_OPTIONS`], `return`, `true`, `false`, whole or decimal numbers
/// (nothing glued to them), and `( ) { } , = ;` appear; strings are single-quoted, without
/// escapes, line breaks or other control characters; brackets nest at most
/// [`MAX_LUA_DEPTH`] deep. So the parser sees no operator chain and no deep nesting, and a
/// forbidden function or keyword is named as written.
fn precheck(lua: &str) -> Result<(), String> {
    let bytes = lua.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\'' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'\'' {
                    if bytes[i].is_ascii_control() {
                        return Err(format!(
                            "the string at byte {start} holds a control character (a line break?); it must be closed on its line"
                        ));
                    }
                    // NB: full_moon 3.0's lexer panics on backticks (it knows backtick strings
                    // only with its cfxlua feature; found by fuzzing).
                    if bytes[i] == b'`' {
                        return Err(format!("a backtick at byte {i}; LUA record strings cannot carry one"));
                    }
                    i += 1;
                }
                if i >= bytes.len() {
                    return Err(format!("the string at byte {start} is not closed"));
                }
            }
            b'(' | b'{' => {
                depth += 1;
                if depth > MAX_LUA_DEPTH {
                    return Err(format!("brackets nest deeper than {MAX_LUA_DEPTH} levels"));
                }
            }
            b')' | b'}' => depth = depth.saturating_sub(1),
            b',' | b';' => {}
            b'=' if bytes.get(i + 1) != Some(&b'=') => {}
            b if b.is_ascii_whitespace() => {}
            b'0'..=b'9' => {
                let start = i;
                while bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                if bytes.get(i + 1) == Some(&b'.') && bytes.get(i + 2).is_some_and(u8::is_ascii_digit) {
                    i += 2;
                    while bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                }
                if bytes.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.') {
                    return Err(format!(
                        "the number at byte {start} runs into {:?}; numbers are plain decimals",
                        char::from(bytes[i + 1])
                    ));
                }
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let start = i;
                while bytes.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') {
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
            _ => {
                let c = lua[i..].chars().next().unwrap_or('?');
                return Err(format!(
                    "{c:?} at byte {i} is not allowed outside strings (no operators, indexing or comments)"
                ));
            }
        }
        i += 1;
    }
    Ok(())
}

use full_moon::ast::{Expression, Field};

/// The text of a string literal (the precheck made sure it has no escapes).
fn string_of(expr: &Expression) -> Option<&str> {
    let Expression::String(t) = expr else { return None };
    match t.token().token_type() {
        full_moon::tokenizer::TokenType::StringLiteral { literal, .. } => Some(literal.as_str()),
        _ => None,
    }
}

/// The elements of an array-style table.
fn array_of<'a>(expr: &'a Expression, what: &str) -> Result<Vec<&'a Expression>, String> {
    let Expression::TableConstructor(table) = expr else {
        return Err(format!("{what} must be a table {{…}}"));
    };
    table
        .fields()
        .iter()
        .map(|f| match f {
            Field::NoKey(v) => Ok(v),
            _ => Err(format!("{what} is a list, not name = value pairs")),
        })
        .collect()
}

fn is_number(expr: &Expression) -> bool {
    matches!(expr, Expression::Number(_))
}

fn check_call(expr: &Expression) -> Result<(), String> {
    use full_moon::ast::{Call, FunctionArgs, Prefix, Suffix};
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
    let Prefix::Name(name) = call.prefix() else { return Err("the called function must be named".into()) };
    let name = name.token().to_string();
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
    let FunctionArgs::Parentheses { arguments, .. } = args.as_ref() else {
        return Err(format!("`{name}` must be called with arguments in parentheses"));
    };
    let args: Vec<&Expression> = arguments.iter().collect();
    let f = name.as_str();
    let arity = |min: usize, max: usize| {
        if args.len() < min || args.len() > max {
            return Err(format!("`{f}` takes {min} to {max} arguments, not {}", args.len()));
        }
        Ok(())
    };
    match f {
        "ifportup" => {
            arity(2, 3)?;
            if !is_number(args[0]) {
                return Err("the first argument of `ifportup` is the port number".into());
            }
            addresses(args[1], f)?;
        }
        "ifurlup" => {
            arity(2, 3)?;
            let url = string_of(args[0]).ok_or("the first argument of `ifurlup` is the probe URL string")?;
            check_url(url, f)?;
            // One pool ({'a', 'b'}) or pools in priority order ({{'a'}, {'b'}}).
            let items = array_of(args[1], "the pools of `ifurlup`")?;
            if items.iter().all(|i| matches!(i, Expression::TableConstructor(_))) && !items.is_empty() {
                for pool in items {
                    addresses(pool, f)?;
                }
            } else {
                addresses(args[1], f)?;
            }
        }
        "pickclosest" | "pickrandom" | "pickhashed" => {
            arity(1, 1)?;
            addresses(args[0], f)?;
        }
        // pickwhashed / pickwrandom: {{weight, 'address'}, …}
        _ => {
            arity(1, 1)?;
            for pair in array_of(args[0], &format!("the argument of `{f}`"))? {
                let pair = array_of(pair, &format!("each entry of `{f}`"))?;
                let [weight, address] = pair.as_slice() else {
                    return Err(format!("each entry of `{f}` is {{weight, 'address'}}"));
                };
                if !is_number(weight) {
                    return Err(format!("each entry of `{f}` starts with its weight, a number"));
                }
                address_string(address, f)?;
            }
        }
    }
    if let Some(opts) = args.get(2) {
        options_table(opts, f)?;
    }
    Ok(())
}

/// A list of address strings.
fn addresses(expr: &Expression, func: &str) -> Result<(), String> {
    let items = array_of(expr, &format!("the addresses of `{func}`"))?;
    if items.is_empty() {
        return Err(format!("the addresses of `{func}` are empty"));
    }
    items.into_iter().try_for_each(|i| address_string(i, func))
}

/// One address: an IP address string (`'192.0.2.1'`, `'2001:db8::1'`), or the
/// PLATFORM-POWERDNS backend form `'A 192.0.2.1'`. Nothing else: PowerDNS reads addresses
/// with `inet_aton`, which also takes `'2852039166'` or `'0xa9fea9fe'` for 169.254.169.254.
fn address_string(expr: &Expression, func: &str) -> Result<(), String> {
    let text = string_of(expr)
        .ok_or_else(|| format!("the addresses of `{func}` are strings, not `{}`", expr.to_string().trim()))?;
    let addr = text.strip_prefix("AAAA ").or_else(|| text.strip_prefix("A ")).unwrap_or(text);
    let ip: IpAddr = addr.parse().map_err(|_| format!("`{func}` address {text:?} is not an IP address"))?;
    check_ip(ip).map_err(|why| format!("`{func}` address {ip} is {why}; PowerDNS would send traffic to it"))
}

/// Why PowerDNS must never send traffic to `ip`, if it must not.
fn check_ip(ip: IpAddr) -> Result<(), &'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    };
    match ip {
        IpAddr::V4(v4) if v4.is_link_local() => Err("link-local (a cloud metadata service?)"),
        IpAddr::V4(v4) if v4.is_unspecified() || v4.is_broadcast() => Err("not a host address"),
        IpAddr::V4(v4) if v4.is_multicast() => Err("multicast"),
        IpAddr::V6(v6) if v6.is_unicast_link_local() => Err("link-local"),
        IpAddr::V6(v6) if v6 == std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) => {
            Err("the EC2 metadata service's IPv6 address")
        }
        IpAddr::V6(v6) if v6.is_unspecified() => Err("not a host address"),
        IpAddr::V6(v6) if v6.is_multicast() => Err("multicast"),
        _ => Ok(()),
    }
}

/// The options table of ifurlup/ifportup: known keys, string or number values, known selectors.
fn options_table(expr: &Expression, func: &str) -> Result<(), String> {
    let Expression::TableConstructor(table) = expr else {
        return Err(format!("the options of `{func}` are one table {{name = value, …}}"));
    };
    for field in table.fields() {
        let Field::NameKey { key, value, .. } = field else {
            return Err(format!("the options of `{func}` are name = value pairs"));
        };
        let key = key.token().to_string();
        if !LUA_OPTIONS.contains(&key.as_str()) {
            return Err(format!("`{func}` has no option `{key}`; allowed: {}", LUA_OPTIONS.join(", ")));
        }
        match (key.as_str(), value.as_ref()) {
            ("selector" | "backupSelector", v) => match string_of(v) {
                Some(s) if LUA_SELECTORS.contains(&s) => {}
                other => {
                    return Err(format!(
                        "{key} {:?} is not a selector; use one of {}",
                        other.unwrap_or_default(),
                        LUA_SELECTORS.join(", ")
                    ));
                }
            },
            ("source", v) => {
                address_string(v, func)?;
            }
            (_, v) if is_number(v) || string_of(v).is_some() => {}
            (_, Expression::Symbol(s)) if matches!(s.token().to_string().as_str(), "true" | "false") => {}
            (_, v) => {
                return Err(format!(
                    "option `{key}` of `{func}` is a string, number or boolean, not `{}`",
                    v.to_string().trim()
                ));
            }
        }
    }
    Ok(())
}

/// The probe URL of ifurlup: http(s), and not at a link-local, unspecified or multicast host.
fn check_url(url: &str, func: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{func}` URL {url:?} is not http:// or https://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // NB: PowerDNS pins the probe to the pool address by the URL's host text; with userinfo
    // that text is `user@host`, the pin never matches and curl resolves the name itself.
    if authority.contains('@') {
        return Err(format!(
            "`{func}` URL {url:?} carries userinfo (`…@`); the probe would not go to the pool addresses"
        ));
    }
    let host = authority;
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    // A host name is not resolved here: PowerDNS connects to each pool address with this
    // host as the name (it still follows redirects, so block egress to 169.254.0.0/16 on
    // PowerDNS hosts).
    if let Ok(ip) = host.parse::<IpAddr>() {
        check_ip(ip)
            .map_err(|why| format!("`{func}` URL host {ip} is {why}; PowerDNS would send traffic to it"))?;
    }
    Ok(())
}

/// The text inside a record's double quotes. It may hold neither `"` nor `\`: PowerDNS keeps
/// escapes as written when it hands the text to Lua (and splits it at every `"`), so the only
/// text that means the same to this linter and to the server is text without them.
fn unquote(s: &str) -> Result<&str, String> {
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(|| "the lua must be one double-quoted string".to_owned())?;
    if let Some(pos) = inner.find('"') {
        return Err(format!(
            "a '\"' at byte {pos} inside the record string; write Lua strings with single quotes"
        ));
    }
    if let Some(pos) = inner.find('\\') {
        return Err(format!(
            "a '\\' at byte {pos} inside the record string; PowerDNS would hand it to Lua as written, so escapes are not allowed"
        ));
    }
    Ok(inner)
}
