//! `when` predicates of dependencies (SPEC BP-6): a small, safe expression language.

use std::fmt;

use serde_json::Value;

/// A `when` that is not in the supported subset (SPEC BP-6 `WhenParseError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid when expression {input:?}: {reason}")]
pub struct WhenParseError {
    /// What was given.
    pub input: String,
    /// What is wrong, with the character position where it applies.
    pub reason: String,
}

/// Deepest nesting of parentheses and `!` accepted, so hostile input cannot exhaust the stack.
pub const MAX_WHEN_DEPTH: usize = 32;
/// The longest `when` accepted, in characters.
pub const MAX_WHEN_LEN: usize = 4096;
/// The most operands of `&&` and `||` in one `when`, all levels together.
pub const MAX_WHEN_TERMS: usize = 256;

/// A parsed `when` predicate, written `{{ <expr> }}` over the install context
/// `{config, application}`.
///
/// Supported: dotted paths from `.config.` or `.application.`, string (single or double
/// quoted), number and bool literals, `==`, `!=`, `&&`, `||`, `!` and parentheses. A path
/// that does not resolve is absent: `absent == literal` is false. Anything else is a
/// [`WhenParseError`], never silently true.
///
/// Hostile input is bounded: at most [`MAX_WHEN_LEN`] characters, [`MAX_WHEN_TERMS`]
/// operands of `&&`/`||` and [`MAX_WHEN_DEPTH`] levels of parentheses and `!`. Chains of
/// `&&`/`||` are held flat, so parsing, evaluating and dropping never recurse deeper than the
/// nesting.
///
/// ```
/// use catalyst_blueprint::When;
/// let when = When::parse("{{ .config.database.mode == 'managed' && !.application.ha }}")?;
/// let ctx = serde_json::json!({"config": {"database": {"mode": "managed"}}, "application": {"ha": false}});
/// assert!(when.eval(&ctx));
/// assert!(!when.eval(&serde_json::json!({})));
/// # Ok::<(), catalyst_blueprint::WhenParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    text: String,
    expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Path(Vec<String>),
    Lit(Value),
    Not(Box<Expr>),
    /// Two or more operands, all of which must hold.
    And(Vec<Expr>),
    /// Two or more operands, one of which must hold.
    Or(Vec<Expr>),
    Eq(Box<Expr>, Box<Expr>),
    Ne(Box<Expr>, Box<Expr>),
}

impl When {
    /// Parses `{{ <expr> }}`.
    pub fn parse(input: &str) -> Result<Self, WhenParseError> {
        // Messages show at most the first 120 characters of what was given.
        let shown: String = if input.chars().count() > 120 {
            input.chars().take(120).chain("…".chars()).collect()
        } else {
            input.to_owned()
        };
        let err = |reason: String| WhenParseError { input: shown.clone(), reason };
        let inner = input
            .trim()
            .strip_prefix("{{")
            .and_then(|s| s.strip_suffix("}}"))
            .ok_or_else(|| err("it must be written {{ <expression> }}".into()))?;
        let len = inner.chars().count();
        if len > MAX_WHEN_LEN {
            return Err(err(format!(
                "the expression is {len} characters long; at most {MAX_WHEN_LEN} are allowed"
            )));
        }
        // Positions in messages count from the start of the whole `when` string.
        let offset = input.chars().take_while(|c| c.is_whitespace()).count() + 2;
        let mut p = Parser { chars: inner.chars().collect(), pos: 0, depth: 0, terms: 0, offset };
        let expr = p.or().map_err(&err)?;
        p.skip_ws();
        if p.pos < p.chars.len() {
            return Err(err(format!("unexpected {:?} at position {}", p.chars[p.pos], p.pos + p.offset + 1)));
        }
        Ok(Self { text: input.trim().to_owned(), expr })
    }

    /// Evaluates against a context object with `config` and `application` keys.
    pub fn eval(&self, ctx: &Value) -> bool {
        truthy(eval(&self.expr, ctx).as_ref())
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

fn equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

fn eval(e: &Expr, ctx: &Value) -> Option<Value> {
    let b = |v: bool| Some(Value::Bool(v));
    match e {
        Expr::Path(segs) => segs.iter().try_fold(ctx, |v, s| v.get(s)).cloned(),
        Expr::Lit(v) => Some(v.clone()),
        Expr::Not(x) => b(!truthy(eval(x, ctx).as_ref())),
        Expr::And(all) => b(all.iter().all(|x| truthy(eval(x, ctx).as_ref()))),
        Expr::Or(any) => b(any.iter().any(|x| truthy(eval(x, ctx).as_ref()))),
        Expr::Eq(x, y) => b(equal(eval(x, ctx).as_ref(), eval(y, ctx).as_ref())),
        Expr::Ne(x, y) => b(!equal(eval(x, ctx).as_ref(), eval(y, ctx).as_ref())),
    }
}

/// A lone context path as `when` writes it (`.config.db.host`), for value templates
/// (SPEC BP-7: "same path syntax as BP-6"): its segments, or why it is not one.
pub(crate) fn parse_path(text: &str) -> Result<Vec<String>, String> {
    let mut p = Parser { chars: text.trim().chars().collect(), pos: 0, depth: 0, terms: 0, offset: 0 };
    if p.chars.first() != Some(&'.') {
        return Err("a placeholder holds one path starting with .config. or .application.".into());
    }
    let Expr::Path(segs) = p.path()? else { return Err("a placeholder holds one path".into()) };
    p.skip_ws();
    match p.chars.get(p.pos) {
        None => Ok(segs),
        Some(c) => {
            Err(format!("unexpected {c:?} after the path (a placeholder holds one path, no expression)"))
        }
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    /// Operands of `&&`/`||` so far.
    terms: usize,
    /// Characters before the expression in the original string (`{{` and leading blanks).
    offset: usize,
}

impl Parser {
    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        let n = token.chars().count();
        if self.chars.get(self.pos..self.pos + n).is_some_and(|s| s.iter().copied().eq(token.chars())) {
            self.pos += n;
            true
        } else {
            false
        }
    }

    fn deeper(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_WHEN_DEPTH {
            return Err(format!("nesting deeper than {MAX_WHEN_DEPTH} levels"));
        }
        Ok(())
    }

    fn term(&mut self) -> Result<(), String> {
        self.terms += 1;
        if self.terms > MAX_WHEN_TERMS {
            return Err(format!("more than {MAX_WHEN_TERMS} operands of && and ||"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, String> {
        let first = self.and()?;
        if !self.eat("||") {
            return Ok(first);
        }
        self.term()?;
        let mut any = vec![first];
        loop {
            self.term()?;
            any.push(self.and()?);
            if !self.eat("||") {
                return Ok(Expr::Or(any));
            }
        }
    }

    fn and(&mut self) -> Result<Expr, String> {
        let first = self.unary()?;
        if !self.eat("&&") {
            return Ok(first);
        }
        self.term()?;
        let mut all = vec![first];
        loop {
            self.term()?;
            all.push(self.unary()?);
            if !self.eat("&&") {
                return Ok(Expr::And(all));
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        self.skip_ws();
        if self.chars.get(self.pos) == Some(&'!') && self.chars.get(self.pos + 1) != Some(&'=') {
            self.pos += 1;
            self.deeper()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        let left = self.primary()?;
        if self.eat("==") {
            return Ok(Expr::Eq(Box::new(left), Box::new(self.primary()?)));
        }
        if self.eat("!=") {
            return Ok(Expr::Ne(Box::new(left), Box::new(self.primary()?)));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        self.skip_ws();
        let start = self.pos;
        let Some(&c) = self.chars.get(self.pos) else {
            return Err("the expression ends too early".into());
        };
        match c {
            '(' => {
                self.pos += 1;
                self.deeper()?;
                let inner = self.or()?;
                self.depth -= 1;
                if !self.eat(")") {
                    return Err(format!("the '(' at position {} is not closed", start + self.offset + 1));
                }
                Ok(inner)
            }
            '.' => self.path(),
            '\'' | '"' => self.string(c),
            c if c.is_ascii_digit() || c == '-' => self.number(),
            c if c.is_ascii_alphabetic() => {
                let word = self.word();
                match word.as_str() {
                    "true" => Ok(Expr::Lit(Value::Bool(true))),
                    "false" => Ok(Expr::Lit(Value::Bool(false))),
                    _ => Err(format!(
                        "{word:?} at position {} is not supported (paths start with .config. or .application.)",
                        start + self.offset + 1
                    )),
                }
            }
            other => Err(format!("unexpected {other:?} at position {}", start + self.offset + 1)),
        }
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self.chars.get(self.pos).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-') {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn path(&mut self) -> Result<Expr, String> {
        let start = self.pos;
        let mut segs = Vec::new();
        while self.chars.get(self.pos) == Some(&'.') {
            self.pos += 1;
            let seg = self.word();
            if seg.is_empty() {
                return Err(format!("an empty path segment at position {}", self.pos + self.offset + 1));
            }
            segs.push(seg);
        }
        match segs.first().map(String::as_str) {
            Some("config" | "application") if segs.len() >= 2 => Ok(Expr::Path(segs)),
            _ => Err(format!(
                "the path at position {} must start with .config. or .application. and name a field",
                start + self.offset + 1
            )),
        }
    }

    fn string(&mut self, quote: char) -> Result<Expr, String> {
        let start = self.pos;
        self.pos += 1;
        let mut s = String::new();
        loop {
            match self.chars.get(self.pos) {
                None => {
                    return Err(format!("the string at position {} is not closed", start + self.offset + 1));
                }
                Some(&c) if c == quote => {
                    self.pos += 1;
                    return Ok(Expr::Lit(Value::String(s)));
                }
                Some('\\') => {
                    let Some(&next) = self.chars.get(self.pos + 1) else {
                        return Err(format!(
                            "the string at position {} is not closed",
                            start + self.offset + 1
                        ));
                    };
                    s.push(next);
                    self.pos += 2;
                }
                Some(&c) => {
                    s.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Result<Expr, String> {
        let start = self.pos;
        if self.chars.get(self.pos) == Some(&'-') {
            self.pos += 1;
        }
        while self.chars.get(self.pos).is_some_and(|c| c.is_ascii_digit() || *c == '.') {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        let n: f64 = text
            .parse()
            .map_err(|_| format!("{text:?} at position {} is not a number", start + self.offset + 1))?;
        serde_json::Number::from_f64(n)
            .map(|n| Expr::Lit(Value::Number(n)))
            .ok_or_else(|| format!("{text:?} is not a finite number"))
    }
}
