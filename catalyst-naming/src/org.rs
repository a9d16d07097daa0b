//! Organization slugs (NAME-5).

use crate::dimensions::{BuildingBlock, EnvType, Provider, RegionTable};
use crate::{NamingError, SlugRule};

/// Platform names an Org may not take.
pub const RESERVED_PLATFORM_SLUGS: [&str; 5] = ["system", "flux", "crossplane", "catalyst", "gitea"];
/// Prefix no slug may start with (Kubernetes system namespaces).
pub const RESERVED_SLUG_PREFIX: &str = "kube-";

/// An Organization slug: `^[a-z][a-z0-9-]{2,31}$`, not ending in `-`, and not a reserved word.
///
/// The slug is the Org's namespace, vCluster name and Gitea org, so the check is strict.
///
/// ```
/// use catalyst_naming::OrgSlug;
/// let acme: OrgSlug = "acme".parse()?;
/// assert_eq!(acme.as_str(), "acme");
/// assert_eq!("system".parse::<OrgSlug>().unwrap_err().kind(), "ReservedOrgSlug");
/// assert_eq!("Acme".parse::<OrgSlug>().unwrap_err().kind(), "InvalidOrgSlug");
/// # Ok::<(), catalyst_naming::NamingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgSlug(String);

impl OrgSlug {
    /// Parses a slug against the built-in region table's reserved words.
    pub fn parse(s: &str) -> Result<Self, NamingError> {
        Self::parse_with(RegionTable::builtin(), s)
    }

    /// Parses a slug; region codes of `table` (≥3 chars) are reserved too.
    pub fn parse_with(table: &RegionTable, s: &str) -> Result<Self, NamingError> {
        check_pattern(s)?;
        if let Some(reason) = reserved_reason(table, s) {
            return Err(NamingError::ReservedOrgSlug { slug: s.to_owned(), reason });
        }
        Ok(Self(s.to_owned()))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lint warnings for a valid slug: a `--` is legal but confusing in composed names.
    pub fn warnings(&self) -> Vec<String> {
        if self.0.contains("--") {
            vec![format!(
                "organization slug {:?} contains '--', which reads as a separator in composed names",
                self.0
            )]
        } else {
            Vec::new()
        }
    }
}

fn check_pattern(s: &str) -> Result<(), NamingError> {
    let invalid = |rule| NamingError::InvalidOrgSlug { slug: s.to_owned(), rule };
    for (i, ch) in s.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            return Err(invalid(SlugRule::Uppercase { ch, position: i + 1 }));
        }
        if !(ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-') {
            return Err(invalid(SlugRule::Charset { ch, position: i + 1 }));
        }
    }
    if let Some(ch) = s.chars().next().filter(|c| !c.is_ascii_lowercase()) {
        return Err(invalid(SlugRule::FirstChar { ch }));
    }
    // Only ASCII is left, so bytes are characters.
    let len = s.len();
    if len < 3 {
        return Err(invalid(SlugRule::TooShort { len }));
    }
    if len > 32 {
        return Err(invalid(SlugRule::TooLong { len }));
    }
    if s.ends_with('-') {
        return Err(invalid(SlugRule::TrailingDash));
    }
    Ok(())
}

/// Why `s` is reserved, or `None`.
fn reserved_reason(table: &RegionTable, s: &str) -> Option<String> {
    if RESERVED_PLATFORM_SLUGS.contains(&s) {
        return Some(format!("{s:?} is a platform name ({})", RESERVED_PLATFORM_SLUGS.join(", ")));
    }
    if s.starts_with(RESERVED_SLUG_PREFIX) {
        return Some(format!(
            "slugs starting with {RESERVED_SLUG_PREFIX:?} are Kubernetes system namespaces"
        ));
    }
    for p in Provider::ALL {
        if s == p.name() || s == p.short() {
            return Some(format!("{s:?} is a provider code ({})", p.name()));
        }
    }
    if let Some(r) = table.all().find(|r| r.code() == s) {
        return Some(format!("{s:?} is a region code ({} {})", r.provider().name(), r.place()));
    }
    if BuildingBlock::from_code(s).is_some() {
        return Some(format!("{s:?} is a building-block code"));
    }
    if EnvType::from_code(s).is_some() {
        return Some(format!("{s:?} is an env-type code"));
    }
    None
}

str_newtype!(OrgSlug);
