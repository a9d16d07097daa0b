//! Release tags (SPEC BP-14): the git tag that publishes a Blueprint, and the artifact it
//! becomes. `platform/<name>/v<semver>` and `products/<name>/v<semver>` map to
//! `ghcr.io/openova-io/bp-<name>:<semver>`; anything else is [`InvalidReleaseTag`].

use std::fmt;
use std::str::FromStr;

use catalyst_naming::{BlueprintName, BlueprintVersion, NamingError};

/// The longest tag read (git allows more; no Blueprint tag comes near it).
pub const MAX_RELEASE_TAG_LEN: usize = 256;

/// Where a released Blueprint lives in the platform repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReleaseTrack {
    /// `platform/<name>`: the platform's own Blueprints.
    Platform,
    /// `products/<name>`: product Blueprints.
    Products,
}

impl ReleaseTrack {
    /// `platform` or `products`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Products => "products",
        }
    }
}

/// A parsed release tag.
///
/// ```
/// use catalyst_blueprint::ReleaseTag;
///
/// let tag: ReleaseTag = "platform/harbor/v1.4.2".parse()?;
/// assert_eq!(tag.artifact(), "ghcr.io/openova-io/bp-harbor:1.4.2");
/// assert_eq!(tag.to_string(), "platform/harbor/v1.4.2");
///
/// let err = "platform/harbor/1.4.2".parse::<ReleaseTag>().unwrap_err();
/// assert_eq!(err.to_string(), r#"invalid release tag "platform/harbor/1.4.2": the version must start with v (platform/<name>/v<semver> or products/<name>/v<semver>)"#);
/// # Ok::<(), catalyst_blueprint::InvalidReleaseTag>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReleaseTag {
    /// Platform or products.
    pub track: ReleaseTrack,
    /// The Blueprint (canonical `bp-` form).
    pub name: BlueprintName,
    /// The version released.
    pub version: BlueprintVersion,
}

/// A tag that is not a Blueprint release tag, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid release tag {tag:?}: {reason} (platform/<name>/v<semver> or products/<name>/v<semver>)")]
pub struct InvalidReleaseTag {
    /// The tag as given (cut to [`MAX_RELEASE_TAG_LEN`] characters).
    pub tag: String,
    /// What is wrong.
    pub reason: String,
}

impl ReleaseTag {
    /// Parses `platform/<name>/v<semver>` or `products/<name>/v<semver>`.
    pub fn parse(tag: &str) -> Result<Self, InvalidReleaseTag> {
        let fail = |reason: String| InvalidReleaseTag {
            tag: catalyst_naming::untrusted::remote_text(
                &tag.chars().take(MAX_RELEASE_TAG_LEN).collect::<String>(),
            ),
            reason,
        };
        if tag.len() > MAX_RELEASE_TAG_LEN {
            return Err(fail(format!("{} bytes is more than {MAX_RELEASE_TAG_LEN}", tag.len())));
        }
        let parts: Vec<&str> = tag.split('/').collect();
        let [track, name, version] = parts.as_slice() else {
            return Err(fail(format!("{} path segments, not 3", parts.len())));
        };
        let track = match *track {
            "platform" => ReleaseTrack::Platform,
            "products" => ReleaseTrack::Products,
            other => return Err(fail(format!("{other:?} is not platform or products"))),
        };
        let Some(version) = version.strip_prefix('v') else {
            return Err(fail("the version must start with v".into()));
        };
        let reason = |e: NamingError| e.to_string();
        let name = BlueprintName::parse(name).map_err(|e| fail(reason(e)))?;
        let version = BlueprintVersion::parse(version).map_err(|e| fail(reason(e)))?;
        Ok(Self { track, name, version })
    }

    /// The artifact the release publishes: `ghcr.io/openova-io/bp-<name>:<semver>`.
    pub fn artifact(&self) -> String {
        self.name.oci_ref(&self.version)
    }
}

impl FromStr for ReleaseTag {
    type Err = InvalidReleaseTag;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ReleaseTag {
    /// The tag in its canonical form: the folder name without `bp-`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/v{}", self.track.as_str(), self.name.short(), self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tracks_map_to_the_platform_artifact() {
        for (tag, artifact) in [
            ("platform/cilium/v1.16.0", "ghcr.io/openova-io/bp-cilium:1.16.0"),
            ("products/wordpress/v0.3.1-rc.1", "ghcr.io/openova-io/bp-wordpress:0.3.1-rc.1"),
            ("platform/bp-harbor/v2.0.0", "ghcr.io/openova-io/bp-harbor:2.0.0"),
        ] {
            assert_eq!(ReleaseTag::parse(tag).unwrap().artifact(), artifact, "{tag}");
        }
    }

    #[test]
    fn everything_else_is_an_invalid_release_tag_saying_why() {
        for (tag, reason) in [
            ("v1.0.0", "1 path segments, not 3"),
            ("platform/harbor", "2 path segments, not 3"),
            ("platform/a/b/v1.0.0", "4 path segments, not 3"),
            ("charts/harbor/v1.0.0", "\"charts\" is not platform or products"),
            ("platform/harbor/1.0.0", "the version must start with v"),
            ("platform/Harbor/v1.0.0", "invalid Blueprint name"),
            ("platform/harbor/v1.0", "\"1.0\" has 2 dot-separated numbers, not 3"),
            ("platform/harbor/v01.0.0", "leading zero"),
        ] {
            let err = ReleaseTag::parse(tag).unwrap_err();
            assert!(err.reason.contains(reason), "{tag}: {err}");
            assert_eq!(err.tag, tag);
        }
        let long = format!("platform/{}/v1.0.0", "a".repeat(300));
        let err = ReleaseTag::parse(&long).unwrap_err();
        assert!(err.reason.starts_with("316 bytes is more than 256"), "{err}");
        assert_eq!(err.tag.chars().count(), MAX_RELEASE_TAG_LEN);
    }
}
