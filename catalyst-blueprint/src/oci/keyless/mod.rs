//! Keyless (Sigstore) verification, offline: a bundle or a cosign keyless signature is
//! checked against a trusted root and an identity policy, every step with its own refusal
//! (SPEC OCI-3b, OCI-4).
//!
//! The steps, in order: the bundle parses; its one log entry is from a trusted Rekor log whose
//! key was valid then; the signing time is the entry's integrated time, trusted only when its
//! SET verifies; the inclusion proof leads to a root that a signed checkpoint states; the
//! entry's body is this bundle's (artifact digest, signature, certificate); the certificate
//! chains to a Fulcio CA valid at the signing time and carries an SCT from a trusted CT log;
//! its identity and issuer satisfy the policy; the stated digest is the artifact's; the
//! signature verifies with the certificate's key.

mod bundle;
mod cert;
mod cosign;
mod tlog;
mod trust;
mod tsa;

pub use bundle::{Bundle, BundleVersion, Content, InclusionProof, MAX_BUNDLE_BYTES, TlogEntry};
pub use cosign::{
    COSIGN_BUNDLE_ANNOTATION, COSIGN_CERTIFICATE_ANNOTATION, COSIGN_CHAIN_ANNOTATION, verify_cosign_layer,
};
pub use trust::{Authority, LogKey, MAX_TRUSTED_ROOT_BYTES, TrustedRoot, Validity};

use sha2::{Digest as _, Sha256};

use super::verify::{IdentityMatch, KeylessPolicy};

/// Why a keyless verification refused. Each failure class has its own variant (SPEC OCI-4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeylessError {
    /// The bundle cannot be read: not JSON, an unknown version, a missing or malformed field.
    #[error("bundle invalid: {0}")]
    BundleInvalid(String),
    /// The artifact (or image digest) is not what was signed.
    #[error("artifact mismatch: {0}")]
    ArtifactMismatch(String),
    /// The signature does not verify with the certificate's key.
    #[error("signature invalid: {0}")]
    SignatureInvalid(String),
    /// The certificate does not chain to a trusted CA valid at the signing time, or is from
    /// another Sigstore instance.
    #[error("certificate untrusted: {0}")]
    CertificateUntrusted(String),
    /// No embedded SCT verifies with a trusted CT log key.
    #[error("SCT invalid: {0}")]
    SctInvalid(String),
    /// The transparency-log entry does not hold: unknown log, SET, inclusion proof,
    /// checkpoint, or an entry for something else; or no trusted signing time.
    #[error("transparency log invalid: {0}")]
    TlogInvalid(String),
    /// An RFC 3161 timestamp does not verify.
    #[error("timestamp invalid: {0}")]
    TimestampInvalid(String),
    /// The certificate's identity or issuer is not the policy's.
    #[error("identity mismatch: {0}")]
    IdentityMismatch(String),
    /// The trusted root cannot be used.
    #[error("trusted root invalid: {0}")]
    TrustRootInvalid(String),
    /// Valid, perhaps, but not something this verifier checks (it never says yes to it).
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl KeylessError {
    /// The failure class, as the sigstore fixtures name it (`bundle-invalid`, …).
    pub fn class(&self) -> &'static str {
        match self {
            Self::BundleInvalid(_) => "bundle-invalid",
            Self::ArtifactMismatch(_) => "artifact-mismatch",
            Self::SignatureInvalid(_) => "signature-invalid",
            Self::CertificateUntrusted(_) => "certificate-invalid",
            Self::SctInvalid(_) => "sct-invalid",
            Self::TlogInvalid(_) => "tlog-invalid",
            Self::TimestampInvalid(_) => "timestamp-invalid",
            Self::IdentityMismatch(_) => "identity-mismatch",
            Self::TrustRootInvalid(_) => "trust-root-invalid",
            Self::Unsupported(_) => "unsupported",
        }
    }
}

/// RFC 3161 timestamps verified per bundle at most.
pub const MAX_TIMESTAMPS: usize = 8;

/// What a keyless verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeylessVerified {
    /// The certificate identity that matched the policy.
    pub identity: String,
    /// The OIDC issuer.
    pub issuer: String,
    /// The trusted signing time (seconds since the Unix epoch).
    pub signed_at: i64,
    /// The log entry's index.
    pub log_index: u64,
    /// The log's URL.
    pub log: String,
}

/// The artifact a bundle is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// Its bytes.
    Bytes(&'a [u8]),
    /// Its SHA-256 digest (only a signature over a digest can be checked without the bytes
    /// when the key is ECDSA; DSSE needs none).
    Sha256([u8; 32]),
}

impl Artifact<'_> {
    fn digest(&self) -> [u8; 32] {
        match self {
            Self::Bytes(b) => Sha256::digest(b).into(),
            Self::Sha256(d) => *d,
        }
    }
}

/// The 32 bytes of a `sha256:` digest (`None` for another algorithm).
pub fn sha256_bytes(digest: &crate::artifact::Digest) -> Option<[u8; 32]> {
    let hex = digest.as_str().strip_prefix("sha256:")?;
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        let pair = hex.get(2 * i..2 * i + 2)?;
        if !pair.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        *b = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// Lower-case hex.
pub(super) fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    b.iter().fold(String::with_capacity(b.len() * 2), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// Whether an ECDSA `signature` over the SHA-256 `digest` verifies with the SPKI DER `key`
/// (a message signature is over the artifact's SHA-256, so its digest suffices). An Ed25519
/// or RSA key needs the bytes.
fn verifies_prehash(key: &[u8], signature: &[u8], digest: &[u8; 32]) -> Result<bool, KeylessError> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
    let Some((alg, point)) = tsa::spki_parts(key) else { return Ok(false) };
    // A P-256 key signs the SHA-256 of the bytes, so the digest is enough; any other key
    // hashes otherwise (P-384: SHA-384) and needs the bytes.
    if alg != rustls_pki_types::alg_id::ECDSA_P256.as_ref() {
        return Err(KeylessError::Unsupported(
            "only a P-256 key's message signature is checked against a digest; give the artifact's bytes"
                .into(),
        ));
    }
    let verifier = &ECDSA_P256_SHA256_ASN1;
    let Ok(digest) = aws_lc_rs::digest::Digest::import_less_safe(digest, &aws_lc_rs::digest::SHA256) else {
        return Ok(false);
    };
    Ok(UnparsedPublicKey::new(verifier, point).verify_digest(&digest, signature).is_ok())
}

/// Checks the certificate's identity and issuer against `policy`.
fn check_identity(
    sans: &[String],
    issuer: Option<&str>,
    policy: &KeylessPolicy,
) -> Result<String, KeylessError> {
    let Some(issuer) = issuer else {
        return Err(KeylessError::IdentityMismatch(
            "the certificate has no OIDC issuer extension; it cannot satisfy an issuer policy".into(),
        ));
    };
    if issuer != policy.issuer {
        return Err(KeylessError::IdentityMismatch(format!(
            "issuer {issuer:?} is not the required {:?}",
            policy.issuer
        )));
    }
    let matched = sans.iter().find(|san| policy.identity.matches(san));
    matched.cloned().ok_or_else(|| {
        let want = match &policy.identity {
            IdentityMatch::Exact(s) => format!("{s:?}"),
            IdentityMatch::Regexp(r) => format!("a full match of /{r}/"),
        };
        KeylessError::IdentityMismatch(format!("the certificate's identities {sans:?} are not {want}"))
    })
}

/// The DSSE pre-authentication encoding (what a DSSE signature signs).
pub(super) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The in-toto statement types accepted in a DSSE envelope.
const IN_TOTO_STATEMENTS: [&str; 2] =
    ["https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1"];

/// The predicate type of cosign's own signature attestation: what a DSSE bundle must carry to
/// count as a signature of an OCI artifact (other predicates are claims about it, not
/// signatures).
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// The predicate type of a DSSE bundle's in-toto statement (`None` for a message signature).
pub fn predicate_type(bundle: &Bundle) -> Option<String> {
    let Content::Dsse { payload, .. } = &bundle.content else { return None };
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|s| s["predicateType"].as_str().map(str::to_owned))
}

/// Whether the in-toto statement in `payload` names `digest` (SHA-256) among its subjects.
fn statement_names(payload: &[u8], digest: &[u8; 32]) -> bool {
    let Ok(statement) = serde_json::from_slice::<serde_json::Value>(payload) else { return false };
    if !statement["_type"].as_str().is_some_and(|t| IN_TOTO_STATEMENTS.contains(&t)) {
        return false;
    }
    let want = hex(digest);
    statement["subject"].as_array().is_some_and(|subjects| {
        subjects.iter().any(|s| s.pointer("/digest/sha256").and_then(|d| d.as_str()) == Some(want.as_str()))
    })
}

/// Verifies a Sigstore bundle for `artifact` under `policy` with the trust of `root`.
///
/// # Errors
/// The first step that does not hold, as its [`KeylessError`] class.
pub fn verify_bundle(
    bundle_json: &[u8],
    artifact: Artifact<'_>,
    policy: &KeylessPolicy,
    root: &TrustedRoot,
) -> Result<KeylessVerified, KeylessError> {
    let bundle = Bundle::parse(bundle_json)?;
    verify_parsed(&bundle, artifact, policy, root)
}

/// [`verify_bundle`] on a parsed bundle.
///
/// # Errors
/// As [`verify_bundle`].
pub fn verify_parsed(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    policy: &KeylessPolicy,
    root: &TrustedRoot,
) -> Result<KeylessVerified, KeylessError> {
    if bundle.leaf.is_empty() {
        return Err(KeylessError::BundleInvalid(
            "a managed-key bundle (a public-key hint, not a certificate) is not keyless: verify it with its key".into(),
        ));
    }
    verify_inner(bundle, artifact, Signer::Policy(policy), root)
}

/// Verifies a managed-key bundle (a public-key hint instead of a certificate) for `artifact`
/// with `key` (SPKI DER): the log entry and its times as for a keyless bundle, the entry
/// naming this key, and the signature; no certificate, SCT or identity.
///
/// # Errors
/// As [`verify_bundle`]; a keyless bundle is [`KeylessError::BundleInvalid`] here.
pub fn verify_bundle_with_key(
    bundle_json: &[u8],
    artifact: Artifact<'_>,
    key: &[u8],
    root: &TrustedRoot,
) -> Result<KeylessVerified, KeylessError> {
    let bundle = Bundle::parse(bundle_json)?;
    if !bundle.leaf.is_empty() {
        return Err(KeylessError::BundleInvalid(
            "a keyless bundle (a certificate) is verified with an identity policy, not a key".into(),
        ));
    }
    verify_inner(&bundle, artifact, Signer::Key(key), root)
}

/// The trusted times of a bundle: the integrated time when its SET verifies, and every
/// RFC 3161 timestamp (each must verify). The certificate must be valid at every one of them.
fn trusted_times(bundle: &Bundle, log: &LogKey, root: &TrustedRoot) -> Result<Vec<i64>, KeylessError> {
    let entry = &bundle.entry;
    let mut times = Vec::new();
    if let Some(set) = &entry.set {
        tlog::verify_set(entry, set, log).map_err(KeylessError::TlogInvalid)?;
        times.push(entry.integrated_time);
    }
    let signature = match &bundle.content {
        Content::Message { signature, .. } | Content::Dsse { signature, .. } => signature,
    };
    if bundle.timestamps.len() > MAX_TIMESTAMPS {
        return Err(KeylessError::BundleInvalid(format!(
            "{} timestamps; at most {MAX_TIMESTAMPS} are verified",
            bundle.timestamps.len()
        )));
    }
    for token in &bundle.timestamps {
        times.push(tsa::verify(token, signature, root)?);
    }
    Ok(times)
}

/// The signature over what was signed: the artifact's bytes (or its SHA-256), or a DSSE
/// envelope's PAE, whose in-toto statement must name the artifact.
fn check_signature(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    key: &[u8],
    digest: &[u8; 32],
) -> Result<(), KeylessError> {
    match (&bundle.content, artifact) {
        (Content::Message { signature, .. }, Artifact::Bytes(bytes)) => {
            if !tlog::verifies(key, signature, bytes) {
                return Err(KeylessError::SignatureInvalid(
                    "the signature does not verify with the signer's key".into(),
                ));
            }
        }
        (Content::Message { signature, .. }, Artifact::Sha256(d)) => {
            if !verifies_prehash(key, signature, &d)? {
                return Err(KeylessError::SignatureInvalid(
                    "the signature does not verify with the signer's key".into(),
                ));
            }
        }
        (Content::Dsse { payload_type, payload, signature, .. }, _) => {
            if payload_type != "application/vnd.in-toto+json" {
                return Err(KeylessError::Unsupported(format!(
                    "a DSSE payload of type {payload_type:?}; in-toto statements are verified"
                )));
            }
            if !tlog::verifies(key, signature, &pae(payload_type, payload)) {
                return Err(KeylessError::SignatureInvalid(
                    "the DSSE signature does not verify with the signer's key".into(),
                ));
            }
            if !statement_names(payload, digest) {
                return Err(KeylessError::ArtifactMismatch(format!(
                    "the in-toto statement does not name sha256:{}",
                    hex(digest)
                )));
            }
        }
    }
    Ok(())
}

/// Who must have signed.
#[derive(Clone, Copy)]
enum Signer<'a> {
    /// A certificate satisfying this policy.
    Policy(&'a KeylessPolicy),
    /// This key (SPKI DER).
    Key(&'a [u8]),
}

fn verify_inner(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    signer: Signer<'_>,
    root: &TrustedRoot,
) -> Result<KeylessVerified, KeylessError> {
    let tlog_err = KeylessError::TlogInvalid;
    if let Some(i) = bundle.chain.iter().position(|c| cert::parse(c).is_ok_and(|c| cert::is_root(&c))) {
        return Err(KeylessError::CertificateUntrusted(format!(
            "the bundle's certificate {} is a root: trust comes from the trusted root only",
            i + 1
        )));
    }
    let entry = &bundle.entry;
    // The log's proof the bundle's version promises is required before anything else: a
    // timestamp gives a time, never a log entry (found by review: a 0.1 bundle without its
    // SET but with a timestamp skipped the log entirely).
    match (bundle.version, &entry.set, &entry.proof) {
        (BundleVersion::V01, None, _) => {
            return Err(tlog_err("a version 0.1 bundle needs an inclusion promise (SET)".into()));
        }
        (BundleVersion::V02 | BundleVersion::V03, _, None) => {
            return Err(tlog_err("a version 0.2+ bundle needs an inclusion proof".into()));
        }
        _ => {}
    }
    let log = root.tlog(&entry.log_id).ok_or_else(|| {
        tlog_err(format!(
            "log {} is not in the trusted root (another Sigstore instance?)",
            hex(&entry.log_id)
        ))
    })?;
    let times = trusted_times(bundle, log, root)?;
    let Some(&signed_at) = times.first() else {
        return Err(KeylessError::TimestampInvalid(
            "no inclusion promise and no signed timestamp: no trusted signing time".into(),
        ));
    };
    if let Some(t) = times.iter().find(|t| !log.valid_for.contains(**t)) {
        return Err(tlog_err(format!("the log's key was not valid at the signing time {t}")));
    }
    if entry.proof.is_some() {
        tlog::verify_inclusion(entry, log).map_err(tlog_err)?;
    }
    let digest = artifact.digest();
    if let Content::Message { digest: stated, .. } = &bundle.content
        && stated.as_slice() != digest.as_slice()
    {
        return Err(KeylessError::ArtifactMismatch(format!(
            "the bundle signs sha256:{}, the artifact is sha256:{}",
            hex(stated),
            hex(&digest)
        )));
    }
    let (identity, issuer, key) = match signer {
        Signer::Policy(policy) => {
            let leaf = cert::parse(&bundle.leaf)?;
            let mut issuer_spki = Vec::new();
            for t in &times {
                issuer_spki = cert::verify_chain(&bundle.leaf, root, *t)?;
            }
            cert::verify_sct(&leaf, &bundle.leaf, &issuer_spki, root)?;
            let (sans, issuer) = cert::identity(&leaf);
            let identity = check_identity(&sans, issuer.as_deref(), policy)?;
            (identity, issuer.unwrap_or_default(), cert::spki(&leaf)?)
        }
        Signer::Key(key) => {
            (format!("public key sha256:{}", hex(&Sha256::digest(key))), String::new(), key.to_vec())
        }
    };
    // What the log entry must name: the certificate, or the key.
    let signer_der: &[u8] = if bundle.leaf.is_empty() { &key } else { &bundle.leaf };
    // A hashedrekord entry must be this bundle's before its signature is looked at (a
    // signature that is not the logged one is a log mismatch); a DSSE envelope's signature is
    // checked first, then the entry (as sigstore's clients order them).
    // (With a managed key the signature comes first: a wrong key is a bad signature.)
    let body_first = matches!(bundle.content, Content::Message { .. }) && matches!(signer, Signer::Policy(_));
    if body_first {
        tlog::check_body(bundle, &digest, signer_der).map_err(tlog_err)?;
    }
    check_signature(bundle, artifact, &key, &digest)?;
    if !body_first {
        tlog::check_body(bundle, &digest, signer_der).map_err(tlog_err)?;
    }
    // Only an authenticated index: the SET signs the entry's, the proof places the leaf.
    let log_index = match (&entry.set, &entry.proof) {
        (None, Some(p)) => p.log_index,
        _ => entry.log_index,
    };
    Ok(KeylessVerified { identity, issuer, signed_at, log_index, log: log.base_url.clone() })
}
