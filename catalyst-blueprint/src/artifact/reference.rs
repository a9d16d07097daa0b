//! Artifact references and digests (SPEC OCI-1).

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

use catalyst_naming::{BLUEPRINT_REGISTRY, BlueprintName};

/// A reference longer than this is refused before it is looked at.
pub const MAX_REFERENCE_LEN: usize = 1024;

/// A `sha256:<64 lowercase hex>` content digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(format!("sha256:{}", hex(&Sha256::digest(bytes))))
    }

    /// Parses `sha256:<64 lowercase hex>`.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        let hex = s.strip_prefix("sha256:").ok_or_else(|| ReferenceError::Digest(s.to_owned()))?;
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ReferenceError::Digest(s.to_owned()))
        }
    }

    /// `sha256:<hex>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 64 hex digits.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }

    /// The tag cosign stores this artifact's signatures under: `sha256-<hex>.sig`.
    pub fn signature_tag(&self) -> String {
        format!("sha256-{}.sig", self.hex())
    }

    /// Whether `bytes` hash to this digest.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        Self::of(bytes) == *self
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Digest {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A malformed reference or digest (`InvalidReference`, OCI-1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// Not of the form `registry/repository[:tag][@sha256:<hex>]`.
    #[error("invalid reference {input:?}: {reason}")]
    Invalid {
        /// The reference as given (cut to 200 characters).
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// Not `sha256:` followed by 64 lowercase hex digits.
    #[error("invalid digest {0:?}: expected sha256: followed by 64 lowercase hex digits")]
    Digest(String),
}

/// Where an artifact lives: `registry/repository`, with a tag, a digest or both.
///
/// ```
/// use catalyst_blueprint::artifact::ArtifactRef;
///
/// // A Blueprint shorthand expands to the platform's registry and the bp- repository.
/// let r: ArtifactRef = "cilium:1.4.0".parse().unwrap();
/// assert_eq!(r.to_string(), "ghcr.io/openova-io/bp-cilium:1.4.0");
///
/// let r: ArtifactRef = "127.0.0.1:5000/catalog/bp-x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".parse().unwrap();
/// assert_eq!(r.registry(), "127.0.0.1:5000");
/// assert_eq!(r.repository(), "catalog/bp-x");
/// assert!(r.tag().is_none());
///
/// assert!("ghcr.io/openova-io/bp-x".parse::<ArtifactRef>().unwrap_err().to_string().contains("no tag or digest"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArtifactRef {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl ArtifactRef {
    /// Parses a reference (see the type's docs). A string without `/` is a Blueprint
    /// shorthand: `NAME[:TAG][@DIGEST]` in `ghcr.io/openova-io/bp-NAME`. A path whose first
    /// part is not a host (no `.` or `:`, not `localhost`) is in `ghcr.io`.
    pub fn parse(input: &str) -> Result<Self, ReferenceError> {
        let invalid = |reason: &str| ReferenceError::Invalid {
            input: input.chars().take(200).collect(),
            reason: reason.to_owned(),
        };
        if input.len() > MAX_REFERENCE_LEN {
            return Err(invalid("longer than 1024 bytes"));
        }
        if input.is_empty() {
            return Err(invalid("empty"));
        }
        let (rest, digest) = match input.split_once('@') {
            Some((rest, d)) => (rest, Some(Digest::parse(d)?)),
            None => (input, None),
        };
        // The tag follows the last ':' after the last '/' (a registry port comes before it).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(tag) = tag
            && !valid_tag(tag)
        {
            return Err(invalid(&format!(
                "tag {tag:?} must be 1-128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'"
            )));
        }
        let (registry, repository) = match name.split_once('/') {
            // A shorthand names one of the platform's Blueprints (NAME-13).
            None => {
                let bp = BlueprintName::parse(name).map_err(|e| invalid(&e.to_string()))?;
                (BLUEPRINT_REGISTRY.to_owned(), bp.repository())
            }
            Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_owned(), path.to_owned())
            }
            Some(_) => (BLUEPRINT_REGISTRY.to_owned(), name.to_owned()),
        };
        if !valid_registry(&registry) {
            return Err(invalid(&format!("registry {registry:?} is not a host[:port]")));
        }
        if repository.len() > 255 {
            return Err(invalid("repository name longer than 255 characters"));
        }
        if let Some(bad) = repository.split('/').find(|c| !valid_component(c)) {
            return Err(invalid(&format!(
                "repository component {bad:?} must be lowercase letters and digits, separated by '.', '_', '__' or '-'"
            )));
        }
        if tag.is_none() && digest.is_none() {
            return Err(invalid("no tag or digest: name a version (:1.2.3) or a digest (@sha256:...)"));
        }
        Ok(Self { registry, repository, tag: tag.map(str::to_owned), digest })
    }

    /// `host[:port]`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// `namespace/name`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The pinned digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// `registry/repository`, as cosign's payload names it.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The same repository at `digest`, without a tag.
    #[must_use]
    pub fn at_digest(&self, digest: Digest) -> Self {
        Self {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: None,
            digest: Some(digest),
        }
    }

    /// The same repository at `tag`, without a digest.
    #[must_use]
    pub fn at_tag(&self, tag: &str) -> Self {
        Self {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: Some(tag.to_owned()),
            digest: None,
        }
    }
}

impl fmt::Display for ArtifactRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl FromStr for ArtifactRef {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn valid_tag(tag: &str) -> bool {
    let mut bytes = tag.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric() || b == b'_')
        && tag.len() <= 128
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn valid_registry(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok
        && !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let ch = b[i];
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && matches!(b[i], b'.' | b'_' | b'-') {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok || i == start {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn forms() {
        let cases = [
            ("cilium:1.4.0", "ghcr.io/openova-io/bp-cilium:1.4.0"),
            ("bp-cilium:1.4.0", "ghcr.io/openova-io/bp-cilium:1.4.0"),
            ("openova-io/bp-x:1.0.0", "ghcr.io/openova-io/bp-x:1.0.0"),
            ("localhost/a/b:v1", "localhost/a/b:v1"),
            ("127.0.0.1:5000/bp-x:1.0.0", "127.0.0.1:5000/bp-x:1.0.0"),
            ("harbor.apse.acme.io/proj/bp-x:1.0.0-rc.1", "harbor.apse.acme.io/proj/bp-x:1.0.0-rc.1"),
        ];
        for (input, want) in cases {
            assert_eq!(ArtifactRef::parse(input).unwrap().to_string(), want, "{input}");
        }
        let both = ArtifactRef::parse(&format!("127.0.0.1:5000/bp-x:1.0.0@{D}")).unwrap();
        assert_eq!(both.tag(), Some("1.0.0"));
        assert_eq!(both.digest().unwrap().as_str(), D);
        assert_eq!(both.name(), "127.0.0.1:5000/bp-x");
        assert_eq!(both.at_digest(Digest::parse(D).unwrap()).to_string(), format!("127.0.0.1:5000/bp-x@{D}"));
    }

    #[test]
    fn refusals_name_the_rule() {
        let err = |s: &str| ArtifactRef::parse(s).unwrap_err().to_string();
        assert_eq!(
            err("ghcr.io/x/Bad:1"),
            r#"invalid reference "ghcr.io/x/Bad:1": repository component "Bad" must be lowercase letters and digits, separated by '.', '_', '__' or '-'"#
        );
        assert!(
            err("ghcr.io/x/y")
                .ends_with("no tag or digest: name a version (:1.2.3) or a digest (@sha256:...)")
        );
        assert!(err("ghcr.io/x/y:-bad").contains("tag \"-bad\""));
        assert_eq!(
            err("ghcr.io/x/y@sha256:abc"),
            "invalid digest \"sha256:abc\": expected sha256: followed by 64 lowercase hex digits"
        );
        assert!(err("bad_host:99999/x:1").contains("is not a host[:port]"));
        assert!(err("ghcr.io/a//b:1").contains("component \"\""));
        assert!(err("ghcr.io/a/b-:1").contains("component \"b-\""));
        assert!(err("").contains("empty"));
        assert!(err(&"a".repeat(2000)).contains("longer than 1024"));
    }

    #[test]
    fn digests() {
        let d = Digest::of(b"hello");
        assert_eq!(d.as_str(), "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert_eq!(
            d.signature_tag(),
            "sha256-2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824.sig"
        );
        assert!(d.matches(b"hello") && !d.matches(b"hello!"));
        assert!(Digest::parse(&D.to_uppercase().replace("SHA256", "sha256")).is_err());
    }
}
