//! Who owns a record set: the identity written into the ownership marker (an rrset comment).
//!
//! A plan creates, updates and deletes only the record sets whose marker names *its* owner.
//! Sets that carry another owner's marker are treated like unmanaged ones: listed as refused,
//! changed only with `force`, and never deleted. That is what lets many Sovereigns (and many
//! desired-state files) share one parent zone.
//!
//! The marker is the comment `managed-by: catalyst; owner: <id>` with account `catalyst`.
//! Record sets written before owners existed carry `managed-by: catalyst` alone; they count
//! as owned by [`Owner::DEFAULT`] (`catalyst`), the owner of a desired-state file that names
//! none, so existing files keep managing what they wrote.

use std::fmt;

use serde::Serialize;

use crate::rrset::Comment;

/// The comment prefix of the ownership marker.
pub const MARKER_PREFIX: &str = "managed-by: catalyst";
/// The comment account written with the marker.
pub const MARKER_ACCOUNT: &str = "catalyst";
/// The longest owner identity (a DNS name's length and a prefix).
pub const MAX_OWNER_LEN: usize = 263;
/// The prefix of the owners `dns sovereign-records` writes under (`sovereign:<fqdn>`),
/// reserved: a desired-state file cannot name an owner with it.
pub const SOVEREIGN_PREFIX: &str = "sovereign:";

/// An owner identity that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid owner {owner:?}: {reason}")]
pub struct OwnerError {
    /// What was given.
    pub owner: String,
    /// The rule it broke.
    pub reason: &'static str,
}

/// The identity a plan acts for: 1 to 263 characters of ASCII letters, digits and
/// `- . _ : / @` (no spaces, no `;`), so the marker parses back unambiguously. A Sovereign's
/// canonical records are owned by `sovereign:<fqdn>` ([`Owner::sovereign`]); that prefix is
/// reserved, so no desired-state file can share an owner with a Sovereign.
///
/// ```
/// use catalyst_dns::Owner;
/// let owner = Owner::new("team-platform")?;
/// assert_eq!(owner.marker().content, "managed-by: catalyst; owner: team-platform");
/// let sovereign = Owner::sovereign(&catalyst_naming::Fqdn::sovereign("t111.omani.test").unwrap());
/// assert_eq!(sovereign.as_str(), "sovereign:t111.omani.test");
/// assert!(Owner::for_file("sovereign:t111.omani.test").is_err());
/// assert_eq!(Owner::from_marker(&owner.marker().content), Some(owner));
/// // The marker written before owners existed belongs to the default owner.
/// assert_eq!(Owner::from_marker("managed-by: catalyst"), Some(Owner::default()));
/// assert_eq!(Owner::from_marker("written by hand"), None);
/// # Ok::<(), catalyst_dns::OwnerError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Owner(String);

impl Owner {
    /// The owner of desired-state files that name none, and of sets marked before owners
    /// existed.
    pub const DEFAULT: &'static str = "catalyst";

    /// Validates an owner identity.
    pub fn new(id: &str) -> Result<Self, OwnerError> {
        let bad = |reason| OwnerError { owner: id.to_owned(), reason };
        if id.is_empty() {
            return Err(bad("it is empty"));
        }
        if id.len() > MAX_OWNER_LEN {
            return Err(bad("it is longer than 263 characters"));
        }
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._:/@".contains(&b)) {
            return Err(bad("only ASCII letters, digits and - . _ : / @ are allowed"));
        }
        Ok(Self(id.to_owned()))
    }

    /// The owner a Sovereign's canonical records are written under: `sovereign:<fqdn>`, the
    /// FQDN lowercase and without the trailing dot.
    pub fn sovereign(fqdn: &catalyst_naming::Fqdn) -> Self {
        Self(format!("{SOVEREIGN_PREFIX}{}", fqdn.as_str().trim_end_matches('.').to_ascii_lowercase()))
    }

    /// An owner a desired-state file may name: [`Owner::new`]'s rules, and not under the
    /// reserved [`SOVEREIGN_PREFIX`].
    pub fn for_file(id: &str) -> Result<Self, OwnerError> {
        if id.starts_with(SOVEREIGN_PREFIX) {
            return Err(OwnerError {
                owner: id.to_owned(),
                reason: "the prefix sovereign: is reserved for the records of `dns sovereign-records`",
            });
        }
        Self::new(id)
    }

    /// The Sovereign FQDN (with a trailing dot) when this is a Sovereign's owner.
    pub fn sovereign_fqdn(&self) -> Option<String> {
        self.0.strip_prefix(SOVEREIGN_PREFIX).map(|f| format!("{f}."))
    }

    /// The identity.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The rrset comment that marks a set as owned by this owner.
    pub fn marker(&self) -> Comment {
        Comment { content: format!("{MARKER_PREFIX}; owner: {}", self.0), account: MARKER_ACCOUNT.to_owned() }
    }

    /// The owner a comment names: `Some` for a catalyst marker (the legacy marker without an
    /// owner counts as [`Owner::DEFAULT`]), `None` for any other comment.
    pub fn from_marker(content: &str) -> Option<Self> {
        let rest = content.strip_prefix(MARKER_PREFIX)?;
        if rest.is_empty() {
            return Some(Self::default());
        }
        Self::new(rest.strip_prefix("; owner: ")?).ok()
    }

    /// The owner named by the first catalyst marker among an rrset's comments.
    pub fn from_comments(comments: &[Comment]) -> Option<Self> {
        comments.iter().find_map(|c| Self::from_marker(&c.content))
    }

    /// Whether the comments carry the marker of before owners existed (`managed-by: catalyst`
    /// alone) as their first catalyst marker.
    pub fn is_legacy_marker(comments: &[Comment]) -> bool {
        comments
            .iter()
            .find(|c| Self::from_marker(&c.content).is_some())
            .is_some_and(|c| c.content == MARKER_PREFIX)
    }
}

impl Default for Owner {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Owner {
    type Err = OwnerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn markers_round_trip_and_foreign_comments_are_not_markers() {
        for id in ["catalyst", "t111.omani.test", "team/a:b@c_d-e"] {
            let o = Owner::new(id).unwrap();
            assert_eq!(Owner::from_marker(&o.marker().content), Some(o.clone()));
            assert_eq!(o.marker().account, "catalyst");
        }
        assert_eq!(Owner::from_marker("managed-by: catalyst").unwrap().as_str(), "catalyst");
        for foreign in [
            "",
            "managed-by: catalystx",
            "managed-by: catalyst; owner: ",
            "managed-by: catalyst; owner: a b",
            "hand",
        ] {
            assert_eq!(Owner::from_marker(foreign), None, "{foreign:?}");
        }
    }

    #[test]
    fn invalid_owners_name_the_rule() {
        assert_eq!(Owner::new("").unwrap_err().to_string(), "invalid owner \"\": it is empty");
        assert_eq!(
            Owner::new("a;b").unwrap_err().to_string(),
            "invalid owner \"a;b\": only ASCII letters, digits and - . _ : / @ are allowed"
        );
        assert!(Owner::new(&"a".repeat(264)).is_err());
        assert!(Owner::new(&"a".repeat(263)).is_ok());
        assert_eq!(
            Owner::for_file("sovereign:x.test").unwrap_err().to_string(),
            "invalid owner \"sovereign:x.test\": the prefix sovereign: is reserved for the records of `dns sovereign-records`"
        );
    }
}
