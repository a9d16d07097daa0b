//! DNS-1123 labels, FQDNs and the Kubernetes length limits (NAME-28).

use crate::NamingError;

/// Longest DNS-1123 label (and Kubernetes label value).
pub const MAX_LABEL_LEN: usize = 63;
/// Longest DNS name / DNS-1123 subdomain, without the trailing dot.
pub const MAX_NAME_LEN: usize = 253;

/// Why `s` is not a DNS-1123 label shape (lowercase alnum and `-`, alnum at both ends),
/// or `None` when it is one. Length is checked separately.
fn label_shape_problem(s: &str) -> Option<String> {
    let Some(first) = s.chars().next() else {
        return Some("it is empty".into());
    };
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            return Some(format!("uppercase letter {c:?} at position {}", i + 1));
        }
        if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Some(format!("character {c:?} at position {} is not a-z, 0-9 or '-'", i + 1));
        }
    }
    if first == '-' {
        return Some("it starts with '-'".into());
    }
    if s.ends_with('-') {
        return Some("it ends with '-'".into());
    }
    None
}

/// Checks that `value` is a DNS-1123 label; `what` names it in the error
/// ("application name"). Charset errors come before the length error.
///
/// ```
/// use catalyst_naming::check_dns_label;
/// assert!(check_dns_label("application name", "marketing-site").is_ok());
/// let err = check_dns_label("application name", "Marketing_Site").unwrap_err();
/// assert_eq!(err.kind(), "InvalidDnsLabel");
/// ```
pub fn check_dns_label(what: &str, value: &str) -> Result<(), NamingError> {
    if let Some(reason) = label_shape_problem(value) {
        return Err(NamingError::InvalidDnsLabel { what: what.into(), value: value.into(), reason });
    }
    let len = value.len();
    if len > MAX_LABEL_LEN {
        return Err(NamingError::DnsLabelTooLong {
            what: what.into(),
            value: value.into(),
            len,
            detail: String::new(),
        });
    }
    Ok(())
}

/// Checks that a name composed from parts fits in one DNS-1123 label. `parts` names the
/// variable parts (`("application", app)`) so the error can say which one is long.
pub(crate) fn check_composed_label(
    what: &str,
    value: String,
    parts: &[(&str, &str)],
) -> Result<String, NamingError> {
    let len = value.len();
    if len <= MAX_LABEL_LEN {
        return Ok(value);
    }
    let detail = parts
        .iter()
        .max_by_key(|(_, v)| v.len())
        .map(|(name, v)| format!(" (the {name} part {v:?} alone is {} characters)", v.len()))
        .unwrap_or_default();
    Err(NamingError::DnsLabelTooLong { what: what.into(), value, len, detail })
}

/// Checks the length limits of a composed DNS name: 63 per label, 253 in all. The labels
/// themselves are already valid because every part is.
pub(crate) fn check_composed_name(what: &str, value: String) -> Result<String, NamingError> {
    if let Some(label) = value.split('.').find(|l| l.len() > MAX_LABEL_LEN) {
        let detail =
            format!("its label {label:?} is {} characters, over the 63 a DNS label allows", label.len());
        return Err(NamingError::DnsNameTooLong { what: what.into(), value, detail });
    }
    if value.len() > MAX_NAME_LEN {
        let detail = format!("{} characters, over the 253 a DNS name allows", value.len());
        return Err(NamingError::DnsNameTooLong { what: what.into(), value, detail });
    }
    Ok(value)
}

/// Why `s` is not a DNS name of ≥2 labels (the Sovereign CRD pattern), or `None`.
/// Long labels and names are reported as too long by the caller.
fn fqdn_problem(s: &str) -> Option<FqdnProblem> {
    if s.is_empty() {
        return Some(FqdnProblem::Shape("it is empty".into()));
    }
    if s.len() > MAX_NAME_LEN {
        return Some(FqdnProblem::TooLong(format!("{} characters, over the 253 a DNS name allows", s.len())));
    }
    let labels: Vec<&str> = s.split('.').collect();
    if labels.len() < 2 {
        return Some(FqdnProblem::Shape("it needs at least two labels (name.tld)".into()));
    }
    for (i, label) in labels.iter().enumerate() {
        if let Some(reason) = label_shape_problem(label) {
            return Some(FqdnProblem::Shape(format!("label {} {label:?}: {reason}", i + 1)));
        }
        if label.len() > MAX_LABEL_LEN {
            return Some(FqdnProblem::TooLong(format!(
                "label {} {label:?} is {} characters, over the 63 a DNS label allows",
                i + 1,
                label.len()
            )));
        }
    }
    None
}

enum FqdnProblem {
    Shape(String),
    TooLong(String),
}

/// A fully qualified domain name of at least two labels, lowercase, stored without the
/// trailing dot (one trailing dot is accepted on input).
///
/// The Sovereign FQDN (`omantel.biz`, `t38.omani.works`) and white-label Org domains are
/// `Fqdn`s. Use [`Fqdn::sovereign`] to get the Sovereign-specific error variant.
///
/// ```
/// use catalyst_naming::Fqdn;
/// let fqdn = Fqdn::sovereign("t38.omani.works.")?;
/// assert_eq!(fqdn.as_str(), "t38.omani.works");
/// assert_eq!(Fqdn::sovereign("localhost").unwrap_err().kind(), "InvalidSovereignFqdn");
/// # Ok::<(), catalyst_naming::NamingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fqdn(String);

impl Fqdn {
    /// Parses a Sovereign FQDN; errors are [`NamingError::InvalidSovereignFqdn`] or
    /// [`NamingError::DnsNameTooLong`].
    pub fn sovereign(s: &str) -> Result<Self, NamingError> {
        Self::parse_as(s, "Sovereign FQDN", |value, reason| NamingError::InvalidSovereignFqdn {
            value,
            reason,
        })
    }

    /// Parses any domain (white-label Org domain, parent zone); errors are
    /// [`NamingError::InvalidDomain`] or [`NamingError::DnsNameTooLong`].
    pub fn domain(s: &str) -> Result<Self, NamingError> {
        Self::parse_as(s, "domain", |value, reason| NamingError::InvalidDomain { value, reason })
    }

    fn parse_as(
        s: &str,
        what: &str,
        shape_error: impl FnOnce(String, String) -> NamingError,
    ) -> Result<Self, NamingError> {
        let trimmed = s.strip_suffix('.').unwrap_or(s);
        match fqdn_problem(trimmed) {
            None => Ok(Self(trimmed.to_owned())),
            Some(FqdnProblem::Shape(reason)) => Err(shape_error(s.to_owned(), reason)),
            Some(FqdnProblem::TooLong(detail)) => {
                Err(NamingError::DnsNameTooLong { what: what.into(), value: s.to_owned(), detail })
            }
        }
    }

    /// The name without the trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name with a trailing dot, as PowerDNS wants it.
    pub fn to_absolute(&self) -> String {
        format!("{}.", self.0)
    }

    /// The labels, left to right.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.0.split('.')
    }
}

str_newtype!(Fqdn, domain);

/// Declares a `String` newtype validated as a DNS-1123 label.
macro_rules! dns_label_newtype {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Parses a ", $what, "; it must be a DNS-1123 label (NAME-28).")]
            pub fn parse(s: &str) -> Result<Self, NamingError> {
                check_dns_label($what, s).map(|()| Self(s.to_owned()))
            }

            /// The name as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        str_newtype!($name);
    };
}

dns_label_newtype!(
    /// An Application name (`marketing-site`): a DNS-1123 label, because it becomes a
    /// namespace inside the vCluster. Also used for the `{app}` part of server names (`k8s`).
    AppName,
    "application name"
);

dns_label_newtype!(
    /// A control-plane component (`gitea`, `console`): the first label of NAME-14 names
    /// and the suffix of `catalyst-{component}` namespaces.
    Component,
    "component name"
);
