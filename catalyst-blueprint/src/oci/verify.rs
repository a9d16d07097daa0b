//! What a pull verifies: the policy, the result, and the check of cosign signatures.

use std::collections::BTreeMap;

use base64::Engine as _;

use super::keys::PublicKey;
use crate::artifact::{
    ArtifactRef, COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLE_SIGNING, Descriptor, Digest, Expected,
    ExpectedVersion, MAX_PAYLOAD_BYTES, Manifest, SigningPayload,
};
use catalyst_naming::untrusted::remote_text;

use super::OciError;

/// What verification a pull demands.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Verification {
    /// A cosign signature of the artifact's digest by any one of these keys (OCI-3a).
    Keys(Vec<PublicKey>),
    /// A cosign keyless signature (Fulcio certificate, Rekor entry) whose certificate
    /// satisfies the policy, verified offline against the trusted root (OCI-3b).
    Keyless {
        /// Who must have signed.
        policy: KeylessPolicy,
        /// The Sigstore instance trusted.
        root: std::sync::Arc<super::keyless::TrustedRoot>,
    },
    /// No verification. The only way to skip it: logged as a warning, and the result says
    /// `verified: None` (OCI-4).
    InsecureSkip,
}

/// An identity policy for keyless (Fulcio certificate) signatures, OCI-3b: the OIDC issuer
/// and the certificate identity allowed (cosign's `--certificate-oidc-issuer`,
/// `--certificate-identity` and `--certificate-identity-regexp`).
#[derive(Debug, Clone)]
pub struct KeylessPolicy {
    /// The OIDC issuer, exactly (`https://token.actions.githubusercontent.com`).
    pub issuer: String,
    /// The certificate identity allowed.
    pub identity: IdentityMatch,
}

/// How a certificate identity (a URI or e-mail SAN) is matched.
#[derive(Debug, Clone)]
pub enum IdentityMatch {
    /// Exactly this identity (a workflow URL or an e-mail address).
    Exact(String),
    /// A regular expression the whole identity must match (a prefix is not a match).
    Regexp(String),
}

impl IdentityMatch {
    /// A regular-expression match, checked now.
    ///
    /// # Errors
    /// The expression does not compile (or is over 64 KiB compiled).
    pub fn regexp(re: &str) -> Result<Self, String> {
        Self::compile(re).map(|_| Self::Regexp(re.to_owned()))
    }

    fn compile(re: &str) -> Result<regex::Regex, String> {
        // Alone first: `a)|(.*` would close the anchoring group and match anything.
        regex::RegexBuilder::new(re)
            .size_limit(64 * 1024)
            .build()
            .map_err(|e| format!("--certificate-identity-regexp {re:?}: {e}"))?;
        regex::RegexBuilder::new(&format!("^(?:{re})$"))
            .size_limit(64 * 1024)
            .build()
            .map_err(|e| format!("--certificate-identity-regexp {re:?}: {e}"))
    }

    /// Whether `identity` is allowed: equal, or wholly matched by the expression.
    pub fn matches(&self, identity: &str) -> bool {
        match self {
            Self::Exact(want) => identity == want,
            Self::Regexp(re) => Self::compile(re).is_ok_and(|r| r.is_match(identity)),
        }
    }
}

/// A verified signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The artifact's digest: what was verified, and what to use from now on.
    pub digest: Digest,
    /// The name of the key that verified it.
    pub key: String,
    /// How many signatures the artifact has.
    pub signatures: usize,
}

/// A signature is for `expected` (`registry/repository`) when its payload's docker-reference
/// names the same repository path; the registry host may differ (copies between registries
/// keep their signatures), a mirror's path is mapped before this is called.
pub(super) fn names_repository(docker_reference: &str, expected: &str) -> bool {
    fn path(name: &str) -> &str {
        // Drop a tag or digest some signers add, then the registry host.
        let name = name.split('@').next().unwrap_or(name);
        let name = match name.rsplit_once(':') {
            Some((head, tag)) if !tag.contains('/') => head,
            _ => name,
        };
        match name.split_once('/') {
            Some((host, rest)) if host.contains('.') || host.contains(':') || host == "localhost" => rest,
            _ => name,
        }
    }
    path(docker_reference) == path(expected)
}

/// The Blueprint a reference asks for: the repository's last segment, and the version or
/// release line its tag names ([`ExpectedVersion::from_tag`]).
pub(super) fn expected_identity(name: &str, tag: Option<&str>) -> Expected {
    Expected {
        name: name.rsplit('/').next().unwrap_or(name).to_owned(),
        version: ExpectedVersion::from_tag(tag),
    }
}

/// Checks the cosign signatures in `manifest` (payloads by digest) for `digest`, signed for
/// the repository `expected`.
pub(super) fn check_signatures(
    at_digest: &ArtifactRef,
    digest: &Digest,
    expected: &str,
    manifest: &Manifest,
    payloads: &BTreeMap<Digest, Vec<u8>>,
    keys: &[PublicKey],
) -> Result<Verified, OciError> {
    let reference = at_digest.to_string();
    let layers: Vec<&Descriptor> =
        manifest.layers.iter().filter(|l| l.media_type == COSIGN_SIMPLE_SIGNING).collect();
    let (mut malformed, mut unverified, mut claimed, mut elsewhere) = (Vec::new(), 0usize, None, None);
    for (i, layer) in layers.iter().enumerate() {
        let Some(payload) = payloads.get(&layer.digest).filter(|p| layer.digest.matches(p)) else {
            malformed.push(format!("signature {i}: payload blob missing, over {MAX_PAYLOAD_BYTES} bytes or not matching its digest"));
            continue;
        };
        let Some(signature) = layer
            .annotations
            .get(COSIGN_SIGNATURE_ANNOTATION)
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s.trim()).ok())
        else {
            malformed.push(format!("signature {i}: no base64 {COSIGN_SIGNATURE_ANNOTATION} annotation"));
            continue;
        };
        let Some(key) = keys.iter().find(|k| k.verifies(&signature, payload)) else {
            unverified += 1;
            continue;
        };
        match SigningPayload::parse(payload) {
            Ok(p)
                if p.digest() == digest
                    && !names_repository(&p.critical.identity.docker_reference, expected) =>
            {
                elsewhere = Some(remote_text(&p.critical.identity.docker_reference));
            }
            Ok(p) if p.digest() == digest => {
                return Ok(Verified {
                    digest: digest.clone(),
                    key: key.name().to_owned(),
                    signatures: layers.len(),
                });
            }
            Ok(p) => claimed = Some(p.digest().clone()),
            Err(e) => malformed.push(format!("signature {i}: {e}")),
        }
    }
    if let Some(signed_for) = elsewhere {
        return Err(OciError::ReferenceMismatch {
            reference,
            detail: format!(
                "the signature was made for {signed_for}, not {expected} (a mirror? configure it: MIRROR=UPSTREAM)"
            ),
        });
    }
    if let Some(claimed) = claimed {
        return Err(OciError::PayloadDigestMismatch { reference, claimed });
    }
    if unverified > 0 {
        let names: Vec<&str> = keys.iter().map(PublicKey::name).collect();
        return Err(OciError::SignatureInvalid {
            reference,
            signatures: layers.len(),
            keys: names.join(", "),
        });
    }
    if !malformed.is_empty() {
        return Err(OciError::MalformedSignature { reference, detail: malformed.join("; ") });
    }
    Err(OciError::SignatureMissing { reference, tag: digest.signature_tag() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_regexps_match_whole_identities_only() {
        let wf =
            "https://github.com/openova-io/openova/.github/workflows/blueprint-release.yaml@refs/heads/main";
        let re = IdentityMatch::regexp(
            r"https://github\.com/openova-io/openova/\.github/workflows/[a-z-]+\.yaml@refs/heads/main",
        )
        .unwrap();
        assert!(re.matches(wf));
        // A prefix is not a match, nor is an identity with something after the match.
        let prefix = IdentityMatch::regexp("https://github.com/openova-io/").unwrap();
        assert!(!prefix.matches(wf));
        assert!(!re.matches(&format!("{wf}/../evil")));
        // Alternation does not escape the anchors.
        let alt = IdentityMatch::regexp("a|https://github.com/.*").unwrap();
        assert!(alt.matches("https://github.com/x") && alt.matches("a") && !alt.matches("xa"));
        assert!(IdentityMatch::Exact(wf.into()).matches(wf));
        assert!(!IdentityMatch::Exact(wf.into()).matches(&wf[1..]));
        assert!(IdentityMatch::regexp("(").unwrap_err().starts_with("--certificate-identity-regexp \"(\": "));
        // An expression that would escape the anchors is refused, and never matches if built
        // by hand.
        assert!(IdentityMatch::regexp("a)|(.*").is_err());
        assert!(!IdentityMatch::Regexp("a)|(.*".into()).matches("anything"));
    }
}
