//! Version constraints (SPEC BP-4) and dependency requests.

use std::fmt;
use std::str::FromStr;

use catalyst_naming::BlueprintName;
use pubgrub::Ranges;
use semver::{BuildMetadata, Prerelease, Version};

/// A constraint that does not parse (SPEC BP-4 `InvalidRange`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version constraint {input:?}: {reason}")]
pub struct InvalidRange {
    /// What was given.
    pub input: String,
    /// Why it does not parse.
    pub reason: String,
}

/// The longest constraint accepted, in bytes.
pub const MAX_CONSTRAINT_LEN: usize = 1024;
/// The most `||` alternatives in one constraint (each is a union of ranges, so the work grows
/// with the square of their number).
pub const MAX_ALTERNATIVES: usize = 64;

/// A set of versions written in the platform's constraint syntax (SPEC BP-4).
///
/// Atoms `^X[.Y[.Z]]`, `~X.Y[.Z]`, `>=`, `<=`, `>`, `<`, `=`, exact `X.Y.Z`, and wildcards
/// `x`/`X`/`*` in any component, with an optional prerelease; atoms separated by spaces or
/// commas must all hold, and alternatives separated by `||` are alternatives. Semantics follow node and
/// cargo: `^1.4` is `>=1.4.0, <2.0.0`, `^0.4` is `>=0.4.0, <0.5.0`, `~1.4` is
/// `>=1.4.0, <1.5.0`, `1.2.x` is `>=1.2.0, <1.3.0`. Upper bounds exclude the prereleases of
/// the bound (`<2.0.0-0`), so `^1` never admits `2.0.0-rc.1`.
///
/// ```
/// use catalyst_blueprint::Constraint;
/// let c: Constraint = "^1.4".parse()?;
/// assert!(c.matches(&"1.9.0".parse()?));
/// assert!(!c.matches(&"2.0.0-rc.1".parse()?));
/// assert_eq!(c.to_string(), "^1.4");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Constraint {
    text: String,
    ranges: Ranges<Version>,
    names_prerelease: bool,
}

impl Constraint {
    /// Any version (`*`): what a depends entry without `version` means.
    pub fn any() -> Self {
        Self { text: "*".into(), ranges: Ranges::full(), names_prerelease: false }
    }

    /// Exactly `v`.
    pub fn exact(v: &Version) -> Self {
        Self {
            text: format!("={v}"),
            ranges: Ranges::singleton(v.clone()),
            names_prerelease: !v.pre.is_empty(),
        }
    }

    /// Parses the constraint syntax.
    ///
    /// At most [`MAX_CONSTRAINT_LEN`] bytes once whitespace is normalised, and
    /// [`MAX_ALTERNATIVES`] alternatives.
    pub fn parse(input: &str) -> Result<Self, InvalidRange> {
        let shown = || -> String {
            if input.len() > 120 {
                input.chars().take(120).chain("…".chars()).collect()
            } else {
                input.to_owned()
            }
        };
        let err = |reason: String| InvalidRange { input: shown(), reason };
        let text = input.trim();
        if text.is_empty() {
            return Err(err("it is empty".into()));
        }
        // The cap applies to the normalised text (what Display prints, so it re-parses); a
        // raw input far past it is refused before it is normalised (found by fuzzing: Display
        // widened `a||b` past the cap).
        let too_long =
            |len: usize| err(format!("it is {len} bytes long; at most {MAX_CONSTRAINT_LEN} are allowed"));
        if text.len() > MAX_CONSTRAINT_LEN * 16 {
            return Err(too_long(text.len()));
        }
        let alternatives = text.matches("||").count() + 1;
        if alternatives > MAX_ALTERNATIVES {
            return Err(err(format!(
                "{alternatives} alternatives ('||'); at most {MAX_ALTERNATIVES} are allowed"
            )));
        }
        let normal = normalise(text);
        if normal.len() > MAX_CONSTRAINT_LEN {
            return Err(too_long(normal.len()));
        }
        let mut ranges = Ranges::empty();
        let mut names_prerelease = false;
        for alternative in text.split("||") {
            let atoms = atoms(alternative).map_err(err)?;
            if atoms.is_empty() {
                return Err(err("an alternative of '||' is empty".into()));
            }
            let mut all = Ranges::full();
            for atom in atoms {
                let (range, pre) = atom_range(&atom).map_err(|reason| err(format!("{atom:?}: {reason}")))?;
                names_prerelease |= pre;
                all = all.intersection(&range);
            }
            ranges = ranges.union(&all);
        }
        Ok(Self { text: normal, ranges, names_prerelease })
    }

    /// Whether `v` is in the set (prerelease policy is the resolver's, not applied here).
    pub fn matches(&self, v: &Version) -> bool {
        self.ranges.contains(v)
    }

    /// The set as pubgrub ranges.
    pub fn ranges(&self) -> &Ranges<Version> {
        &self.ranges
    }

    /// Whether an atom names a prerelease (`>=1.0.0-rc.1`), which opts this constraint into
    /// prerelease candidates.
    pub fn names_prerelease(&self) -> bool {
        self.names_prerelease
    }

    /// The constraint as written (whitespace normalised).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Constraint {
    /// Two constraints are equal when they admit the same versions.
    fn eq(&self, other: &Self) -> bool {
        self.ranges == other.ranges
    }
}

impl Eq for Constraint {}

impl FromStr for Constraint {
    type Err = InvalidRange;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn normalise(text: &str) -> String {
    text.split("||")
        .map(|alt| alt.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(" || ")
}

/// Splits one alternative into atoms; an operator alone (`>= 1.2`) joins the next token.
fn atoms(alternative: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut pending: Option<&str> = None;
    for token in alternative.split(|c: char| c.is_whitespace() || c == ',').filter(|t| !t.is_empty()) {
        if let Some(op) = pending.take() {
            out.push(format!("{op}{token}"));
        } else if matches!(token, "^" | "~" | ">=" | "<=" | ">" | "<" | "=") {
            pending = Some(token);
        } else {
            out.push(token.to_owned());
        }
    }
    if let Some(op) = pending {
        return Err(format!("the operator {op:?} has no version after it"));
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Caret,
    Tilde,
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
}

/// A partial version: components that are `None` were omitted or wildcards.
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Prerelease,
}

impl Partial {
    fn floor(&self) -> Version {
        Version {
            major: self.major.unwrap_or(0),
            minor: self.minor.unwrap_or(0),
            patch: self.patch.unwrap_or(0),
            pre: self.pre.clone(),
            build: BuildMetadata::EMPTY,
        }
    }
}

/// `X.Y.Z-0`: the lowest version of `X.Y.Z`, below all its prereleases.
fn lowest(major: u64, minor: u64, patch: u64) -> Version {
    Version {
        major,
        minor,
        patch,
        pre: Prerelease::new("0").unwrap_or_default(),
        build: BuildMetadata::EMPTY,
    }
}

fn bump(n: u64) -> Result<u64, String> {
    n.checked_add(1).ok_or_else(|| "a version component overflows".to_owned())
}

/// The first version past a partial version's prefix (`1.2` -> `1.3.0-0`), `None` for `*`.
fn past_prefix(p: &Partial) -> Result<Option<Version>, String> {
    Ok(match (p.major, p.minor, p.patch) {
        (None, _, _) => None,
        (Some(ma), None, _) => Some(lowest(bump(ma)?, 0, 0)),
        (Some(ma), Some(mi), None) => Some(lowest(ma, bump(mi)?, 0)),
        (Some(ma), Some(mi), Some(pa)) => Some(lowest(ma, mi, bump(pa)?)),
    })
}

fn parse_partial(s: &str) -> Result<Partial, String> {
    if s.is_empty() {
        return Err("the version is missing".into());
    }
    let (core, pre) = match s.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (s, None),
    };
    let core = core.split_once('+').map_or(core, |(c, _build)| c);
    let mut parts = core.split('.');
    let mut comps: [Option<u64>; 3] = [None; 3];
    let mut wildcard = false;
    for (i, slot) in comps.iter_mut().enumerate() {
        let Some(part) = parts.next() else { break };
        match part {
            "x" | "X" | "*" => wildcard = true,
            _ if wildcard => return Err(format!("component {} follows a wildcard", i + 1)),
            _ if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(format!("{part:?} is not a number or wildcard"));
            }
            _ if part.len() > 1 && part.starts_with('0') => {
                return Err(format!("{part:?} has a leading zero"));
            }
            _ => *slot = Some(part.parse().map_err(|_| format!("{part:?} is too large"))?),
        }
    }
    if parts.next().is_some() {
        return Err("a version has at most 3 components".into());
    }
    let pre = match pre {
        None => Prerelease::EMPTY,
        Some(p) if comps[2].is_none() => return Err(format!("prerelease {p:?} needs a full X.Y.Z version")),
        Some(p) => Prerelease::new(p).map_err(|e| format!("prerelease {p:?}: {e}"))?,
    };
    Ok(Partial { major: comps[0], minor: comps[1], patch: comps[2], pre })
}

/// The range of one atom, and whether it names a prerelease.
fn atom_range(atom: &str) -> Result<(Ranges<Version>, bool), String> {
    let (op, rest) = [
        (">=", Op::Ge),
        ("<=", Op::Le),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
        ("^", Op::Caret),
        ("~", Op::Tilde),
    ]
    .iter()
    .find_map(|(prefix, op)| atom.strip_prefix(prefix).map(|rest| (*op, rest)))
    .unwrap_or((Op::Eq, atom));
    if rest.starts_with(['v', 'V']) {
        return Err("versions are written without a 'v' prefix".into());
    }
    let p = parse_partial(rest)?;
    let pre = !p.pre.is_empty();
    let floor = p.floor();
    let range = match op {
        Op::Eq => match past_prefix(&p)? {
            None => Ranges::full(),
            Some(_) if p.patch.is_some() => Ranges::singleton(floor),
            Some(end) => Ranges::between(floor, end),
        },
        Op::Caret => {
            let end = match (p.major, p.minor, p.patch) {
                (None, _, _) => None,
                (Some(0), Some(0), Some(pa)) => Some(lowest(0, 0, bump(pa)?)),
                (Some(0), Some(mi), _) => Some(lowest(0, bump(mi)?, 0)),
                (Some(ma), _, _) => Some(lowest(bump(ma)?, 0, 0)),
            };
            end.map_or_else(Ranges::full, |end| Ranges::between(floor, end))
        }
        Op::Tilde => {
            let end = match (p.major, p.minor) {
                (None, _) => None,
                (Some(ma), None) => Some(lowest(bump(ma)?, 0, 0)),
                (Some(ma), Some(mi)) => Some(lowest(ma, bump(mi)?, 0)),
            };
            end.map_or_else(Ranges::full, |end| Ranges::between(floor, end))
        }
        Op::Ge | Op::Gt | Op::Le | Op::Lt if p.major.is_none() => {
            return Err("a comparison needs a version, not a wildcard".into());
        }
        Op::Ge => Ranges::higher_than(floor),
        Op::Gt if p.patch.is_some() => Ranges::strictly_higher_than(floor),
        Op::Gt => Ranges::higher_than(past_prefix(&p)?.unwrap_or(floor)),
        Op::Le if p.patch.is_some() => Ranges::lower_than(floor),
        Op::Le => Ranges::strictly_lower_than(past_prefix(&p)?.unwrap_or(floor)),
        Op::Lt if p.patch.is_some() => Ranges::strictly_lower_than(floor),
        Op::Lt => Ranges::strictly_lower_than(lowest(floor.major, floor.minor, 0)),
    };
    Ok((range, pre))
}

/// How a request or installed entry pins a Blueprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    /// A version constraint (`^1.2`); `*` when none was given.
    Version(Constraint),
    /// An OCI manifest digest (`sha256:<64 hex>`).
    Digest(String),
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Version(c) => c.fmt(f),
            Self::Digest(d) => f.write_str(d),
        }
    }
}

/// A request to resolve: `NAME[@CONSTRAINT]` or `NAME@sha256:<64 hex>`.
///
/// ```
/// use catalyst_blueprint::{Pin, Request};
/// let r: Request = "wordpress@^1.2".parse()?;
/// assert_eq!(r.name.as_str(), "bp-wordpress");
/// assert!(matches!(r.pin, Pin::Version(_)));
/// let d: Request = format!("bp-cilium@sha256:{}", "a".repeat(64)).parse()?;
/// assert!(matches!(d.pin, Pin::Digest(_)));
/// # Ok::<(), catalyst_blueprint::RequestError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The Blueprint.
    pub name: BlueprintName,
    /// Which versions are acceptable.
    pub pin: Pin,
}

/// A request that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The name part is not a Blueprint name.
    #[error("{input:?}: {error}")]
    Name {
        /// The request as given.
        input: String,
        /// The naming rule broken.
        error: catalyst_naming::NamingError,
    },
    /// The constraint part does not parse.
    #[error("{input:?}: {error}")]
    Constraint {
        /// The request as given.
        input: String,
        /// The constraint error.
        error: InvalidRange,
    },
    /// A digest that is not `sha256:` and 64 lowercase hex digits.
    #[error("{input:?}: invalid digest: expected sha256: followed by 64 lowercase hex digits")]
    Digest {
        /// The request as given.
        input: String,
    },
}

impl FromStr for Request {
    type Err = RequestError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let (name, pin) = match input.split_once('@') {
            Some((name, pin)) => (name, Some(pin)),
            None => (input, None),
        };
        let name = BlueprintName::parse(name.trim())
            .map_err(|error| RequestError::Name { input: input.to_owned(), error })?;
        let pin = match pin {
            None => Pin::Version(Constraint::any()),
            Some(d) if d.starts_with("sha256:") => {
                let hex = &d["sha256:".len()..];
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                    return Err(RequestError::Digest { input: input.to_owned() });
                }
                Pin::Digest(d.to_owned())
            }
            Some(c) => Pin::Version(
                Constraint::parse(c)
                    .map_err(|error| RequestError::Constraint { input: input.to_owned(), error })?,
            ),
        };
        Ok(Self { name, pin })
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.pin)
    }
}
