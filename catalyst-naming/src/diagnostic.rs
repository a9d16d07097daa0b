//! Located findings: the one type every validator of the SDK reports with.
//!
//! A [`Diagnostic`] says how bad ([`Severity`]), which rule (a stable code: an enum of the
//! reporting crate implementing [`Code`]), where ([`FieldPath`] inside a document, and the
//! file when known) and what, with the offending value. [`Diagnostics`] is a list of them
//! that is also an error type, so a parser can return it and callers can use `?`.
//!
//! ```
//! use catalyst_naming::diagnostic::{Code, Diagnostic, Diagnostics, FieldPath, Severity};
//!
//! #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
//! enum Rule { MissingTitle }
//! impl Code for Rule {
//!     fn as_str(self) -> &'static str { "MissingTitle" }
//! }
//!
//! let path = FieldPath::root().key("spec").key("card").key("title");
//! let mut found = Diagnostics::new();
//! found.push(Diagnostic::error(Rule::MissingTitle, path, "the card has no title").in_file("bp-x/blueprint.yaml"));
//! assert!(found.has_errors());
//! assert_eq!(found.to_string(), "bp-x/blueprint.yaml: spec.card.title: the card has no title [MissingTitle]");
//! assert!(Severity::Error > Severity::Warning);
//!
//! fn check() -> Result<(), Diagnostics<Rule>> { Err(Diagnostics::new()) }
//! fn caller() -> Result<(), Box<dyn std::error::Error>> { check()?; Ok(()) }
//! assert!(caller().is_err());
//! ```

use std::fmt::{self, Write as _};

/// Displays an error with its whole `source()` chain, `outer: inner: root`, for places that
/// show one line (a status condition, a log field) where `{:#}` of anyhow is not at hand.
/// Errors of the SDK print only their own layer; a cause another crate's error already
/// printed is not repeated.
///
/// ```
/// use catalyst_naming::diagnostic::Chain;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("cannot read kubeconfigs/a.yaml")]
/// struct Read(#[source] std::io::Error);
///
/// let e = Read(std::io::Error::other("permission denied"));
/// assert_eq!(Chain(&e).to_string(), "cannot read kubeconfigs/a.yaml: permission denied");
/// ```
#[derive(Clone, Copy)]
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'a));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = self.0.to_string();
        f.write_str(&last)?;
        let mut next = self.0.source();
        while let Some(e) = next {
            let shown = e.to_string();
            // Errors of other crates may print their cause and return it as well.
            if !last.ends_with(&shown) {
                write!(f, ": {shown}")?;
            }
            last = shown;
            next = e.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How bad a finding is. Ordered by weight: `Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Severity {
    /// Suspicious or not canonical, but accepted.
    Warning,
    /// Wrong: the API server, a controller or the solver would refuse it.
    Error,
}

impl Severity {
    /// `warning` or `error`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stable diagnostic code: each reporting crate has an enum of its rules.
pub trait Code: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// The stable identifier printed and serialized (`CORE-5`, `InvalidRange`).
    fn as_str(self) -> &'static str;
}

/// A path inside a document, rendered as `spec.regions[2].region`; keys that are not plain
/// words are quoted (`metadata.labels["openova.io/env-type"]`).
///
/// ```
/// use catalyst_naming::diagnostic::FieldPath;
/// let p = FieldPath::root().key("spec").key("regions").index(2).key("region");
/// assert_eq!(p.as_str(), "spec.regions[2].region");
/// assert_eq!(FieldPath::root().key("metadata").key("labels").key("openova.io/x").as_str(), r#"metadata.labels["openova.io/x"]"#);
/// assert_eq!(FieldPath::root().to_string(), "(document)");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(String);

impl FieldPath {
    /// The document root.
    pub fn root() -> Self {
        Self(String::new())
    }

    /// A path already rendered in this syntax by another tool (`serde_path_to_error`, say).
    pub fn verbatim(rendered: impl Into<String>) -> Self {
        Self(rendered.into())
    }

    /// The path of a field below this one.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let plain =
            !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        let mut s = self.0.clone();
        if plain {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(key);
        } else {
            // Writing to a String cannot fail.
            let _ = write!(s, "[{key:?}]");
        }
        Self(s)
    }

    /// The path of an array element below this one.
    #[must_use]
    pub fn index(&self, i: usize) -> Self {
        Self(format!("{}[{i}]", self.0))
    }

    /// `other`, taken as relative to this path (`resources[2]` joined with `spec.regions`
    /// is `resources[2].spec.regions`).
    #[must_use]
    pub fn join(&self, other: &FieldPath) -> Self {
        match (self.0.is_empty(), other.0.is_empty()) {
            (true, _) => other.clone(),
            (_, true) => self.clone(),
            _ if other.0.starts_with('[') => Self(format!("{}{}", self.0, other.0)),
            _ => Self(format!("{}.{}", self.0, other.0)),
        }
    }

    /// Whether this is the document root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether this path is `prefix` or below it.
    pub fn starts_with(&self, prefix: &FieldPath) -> bool {
        self.0
            .strip_prefix(prefix.as_str())
            .is_some_and(|rest| rest.is_empty() || prefix.is_root() || rest.starts_with(['.', '[']))
    }

    /// The rendered path (`""` for the root).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The rendered path, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for FieldPath {
    /// The rendered path (`""` for the root).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl fmt::Display for FieldPath {
    /// The path, or `(document)` for the root.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "(document)" } else { &self.0 })
    }
}

/// One finding: severity, stable code, where and what.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic<C> {
    /// Error or warning.
    pub severity: Severity,
    /// The rule, as a stable code.
    pub code: C,
    /// Where inside the document.
    pub path: FieldPath,
    /// What is wrong, with the offending value.
    pub message: String,
    /// The file, when known.
    pub file: Option<String>,
}

impl<C: Code> Diagnostic<C> {
    /// An error.
    pub fn error(code: C, path: FieldPath, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, code, path, message: message.into(), file: None }
    }

    /// A warning.
    pub fn warning(code: C, path: FieldPath, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, code, path, message: message.into(), file: None }
    }

    /// The same finding, located in `file`.
    #[must_use]
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The same finding under another crate's code (a composing crate wraps the codes of
    /// the crates it calls).
    pub fn map_code<D: Code>(self, f: impl FnOnce(C) -> D) -> Diagnostic<D> {
        Diagnostic {
            severity: self.severity,
            code: f(self.code),
            path: self.path,
            message: self.message,
            file: self.file,
        }
    }

    /// The order reports use: errors first, then by file and path.
    fn sort_key(&self) -> (std::cmp::Reverse<Severity>, Option<&str>, &FieldPath) {
        (std::cmp::Reverse(self.severity), self.file.as_deref(), &self.path)
    }
}

impl<C: Code> fmt::Display for Diagnostic<C> {
    /// `file: path: message [code]` (the file only when known).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            // A file name can come from an archive or a folder an attacker filled.
            write!(f, "{}: ", crate::untrusted::escape_unsafe(file))?;
        }
        write!(f, "{}: {} [{}]", self.path, self.message, self.code.as_str())
    }
}

impl<C: Code> std::error::Error for Diagnostic<C> {}

#[cfg(feature = "serde")]
impl<C: Code> serde::Serialize for Diagnostic<C> {
    /// `{severity, code, file?, path, message}`, the code as its stable string.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut s = serializer.serialize_struct("Diagnostic", 5)?;
        s.serialize_field("severity", &self.severity)?;
        s.serialize_field("code", self.code.as_str())?;
        match &self.file {
            Some(file) => s.serialize_field("file", file)?,
            None => s.skip_field("file")?,
        }
        s.serialize_field("path", self.path.as_str())?;
        s.serialize_field("message", &self.message)?;
        s.end()
    }
}

/// A list of findings that is also an error: a validator returns it, and `?` works.
///
/// Display lists the findings one per line, errors first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics<C>(Vec<Diagnostic<C>>);

impl<C> Default for Diagnostics<C> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<C: Code> Diagnostics<C> {
    /// No findings.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Adds one.
    pub fn push(&mut self, d: Diagnostic<C>) {
        self.0.push(d);
    }

    /// Adds an error.
    pub fn error(&mut self, code: C, path: FieldPath, message: impl Into<String>) {
        self.push(Diagnostic::error(code, path, message));
    }

    /// Adds a warning.
    pub fn warning(&mut self, code: C, path: FieldPath, message: impl Into<String>) {
        self.push(Diagnostic::warning(code, path, message));
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic<C>> {
        self.0.iter().filter(|d| d.is_error())
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic<C>> {
        self.0.iter().filter(|d| !d.is_error())
    }

    /// Sorts errors first, then by file and path; findings at one place keep their order.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }

    /// Every finding located in `file`.
    #[must_use]
    pub fn in_file(self, file: &str) -> Self {
        Self(self.0.into_iter().map(|d| d.in_file(file)).collect())
    }

    /// Every finding under another crate's code.
    pub fn map_code<D: Code>(self, f: impl Fn(C) -> D) -> Diagnostics<D> {
        Diagnostics(self.0.into_iter().map(|d| d.map_code(&f)).collect())
    }

    /// `Err(self)` when any finding is an error, else `Ok(self)` (warnings only).
    pub fn into_result(self) -> Result<Self, Self> {
        if self.has_errors() { Err(self) } else { Ok(self) }
    }

    /// The findings.
    pub fn into_vec(self) -> Vec<Diagnostic<C>> {
        self.0
    }
}

impl<C> std::ops::Deref for Diagnostics<C> {
    type Target = [Diagnostic<C>];
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<C> IntoIterator for Diagnostics<C> {
    type Item = Diagnostic<C>;
    type IntoIter = std::vec::IntoIter<Diagnostic<C>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, C> IntoIterator for &'a Diagnostics<C> {
    type Item = &'a Diagnostic<C>;
    type IntoIter = std::slice::Iter<'a, Diagnostic<C>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<C> FromIterator<Diagnostic<C>> for Diagnostics<C> {
    fn from_iter<I: IntoIterator<Item = Diagnostic<C>>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<C> Extend<Diagnostic<C>> for Diagnostics<C> {
    fn extend<I: IntoIterator<Item = Diagnostic<C>>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl<C> From<Vec<Diagnostic<C>>> for Diagnostics<C> {
    fn from(v: Vec<Diagnostic<C>>) -> Self {
        Self(v)
    }
}

impl<C: Code> From<Diagnostic<C>> for Diagnostics<C> {
    fn from(d: Diagnostic<C>) -> Self {
        Self(vec![d])
    }
}

impl<C: Code> fmt::Display for Diagnostics<C> {
    /// One finding per line, errors first; `no findings` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no findings");
        }
        let mut sorted: Vec<&Diagnostic<C>> = self.0.iter().collect();
        sorted.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        for (i, d) in sorted.into_iter().enumerate() {
            if i > 0 {
                f.write_char('\n')?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl<C: Code> std::error::Error for Diagnostics<C> {}

#[cfg(feature = "serde")]
impl<C: Code> serde::Serialize for Diagnostics<C> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum T {
        A,
        B,
    }

    impl Code for T {
        fn as_str(self) -> &'static str {
            match self {
                Self::A => "A",
                Self::B => "B",
            }
        }
    }

    #[test]
    fn errors_come_first_then_file_then_path() {
        let mut d: Diagnostics<T> = Diagnostics::new();
        d.warning(T::A, FieldPath::root().key("a"), "w");
        d.error(T::B, FieldPath::root().key("b"), "e2");
        d.error(T::A, FieldPath::root().key("a"), "e1");
        assert_eq!(d.to_string(), "a: e1 [A]\nb: e2 [B]\na: w [A]");
        d.sort();
        assert_eq!(d.iter().map(|x| x.message.as_str()).collect::<Vec<_>>(), ["e1", "e2", "w"]);
        assert!(d.clone().into_result().is_err());
        let warnings: Diagnostics<T> = d.into_iter().filter(|x| !x.is_error()).collect();
        assert_eq!(warnings.into_result().map(|w| w.len()), Ok(1));
    }

    #[test]
    fn path_prefixes_stop_at_segment_boundaries() {
        let catalog = FieldPath::root().key("catalog");
        assert!(catalog.key("oci").starts_with(&catalog));
        assert!(catalog.index(1).starts_with(&catalog));
        assert!(!FieldPath::root().key("catalogue").starts_with(&catalog));
        assert!(catalog.starts_with(&FieldPath::root()));
        let spec = FieldPath::root().key("spec").key("regions");
        assert_eq!(catalog.index(2).join(&spec).as_str(), "catalog[2].spec.regions");
        assert_eq!(catalog.join(&FieldPath::root().index(1)).as_str(), "catalog[1]");
        assert_eq!(FieldPath::root().join(&spec), spec);
    }
}
