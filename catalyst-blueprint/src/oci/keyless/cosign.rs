//! cosign keyless signatures on OCI artifacts: a simple-signing layer of a `.sig` manifest whose
//! annotations carry the signature, the Fulcio certificate and the Rekor bundle (the SET and
//! the entry). Verified as a version-0.1 bundle would be, plus the payload's
//! `docker-manifest-digest` against the image asked for.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use sha2::Digest as _;

use super::bundle::{Bundle, BundleVersion, Content, TlogEntry};
use super::{Artifact, KeylessError, KeylessVerified, TrustedRoot, verify_parsed};
use crate::artifact::{COSIGN_SIGNATURE_ANNOTATION, Descriptor, Digest, SigningPayload};
use crate::oci::KeylessPolicy;

/// The annotation holding the Fulcio certificate (PEM).
pub const COSIGN_CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The annotation holding the certificate chain (PEM; informational: trust comes from the
/// trusted root).
pub const COSIGN_CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The annotation holding the Rekor bundle (`SignedEntryTimestamp` and `Payload`).
pub const COSIGN_BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RekorBundle {
    signed_entry_timestamp: String,
    payload: RekorPayload,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RekorPayload {
    body: String,
    integrated_time: Value,
    log_index: Value,
    #[serde(rename = "logID")]
    log_id: String,
}

fn invalid(m: impl Into<String>) -> KeylessError {
    KeylessError::BundleInvalid(m.into())
}

fn number(what: &str, v: &Value) -> Result<u64, KeylessError> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| invalid(format!("{COSIGN_BUNDLE_ANNOTATION}: {what} is not a non-negative integer")))
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, KeylessError> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|e| invalid(format!("{COSIGN_CERTIFICATE_ANNOTATION}: not a PEM certificate: {e}")))
}

/// Verifies the cosign keyless signature in `layer` (a descriptor of a `.sig` manifest, with
/// its annotations) over `payload` (the layer's blob) for the image `image_digest`.
///
/// # Errors
/// [`KeylessError::BundleInvalid`] for a layer that is not a keyless cosign signature (no
/// certificate or bundle annotation, a payload that is not the layer's blob or not a
/// simple-signing payload); [`KeylessError::ArtifactMismatch`] when the payload vouches for
/// another image; otherwise as [`super::verify_bundle`].
pub fn verify_cosign_layer(
    layer: &Descriptor,
    payload: &[u8],
    image_digest: &Digest,
    policy: &KeylessPolicy,
    root: &TrustedRoot,
) -> Result<KeylessVerified, KeylessError> {
    if !layer.digest.matches(payload) {
        return Err(invalid(format!("the payload is not the layer's blob {}", layer.digest)));
    }
    let annotation =
        |k: &str| layer.annotations.get(k).ok_or_else(|| invalid(format!("the layer has no {k} annotation")));
    let signature = base64::engine::general_purpose::STANDARD
        .decode(annotation(COSIGN_SIGNATURE_ANNOTATION)?.trim())
        .map_err(|e| invalid(format!("{COSIGN_SIGNATURE_ANNOTATION}: not base64: {e}")))?;
    let leaf = pem_to_der(annotation(COSIGN_CERTIFICATE_ANNOTATION)?)?;
    let rekor: RekorBundle = serde_json::from_str(annotation(COSIGN_BUNDLE_ANNOTATION)?)
        .map_err(|e| invalid(format!("{COSIGN_BUNDLE_ANNOTATION}: {e}")))?;
    let signed = SigningPayload::parse(payload).map_err(|e| invalid(format!("the payload: {e}")))?;
    if signed.digest() != image_digest {
        return Err(KeylessError::ArtifactMismatch(format!(
            "the signature is for the image {}, not {image_digest}",
            signed.digest()
        )));
    }
    let b64 = |what: &str, s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(|e| invalid(format!("{COSIGN_BUNDLE_ANNOTATION}: {what} is not base64: {e}")))
    };
    let body = b64("Payload.body", &rekor.payload.body)?;
    let kind: Value =
        serde_json::from_slice(&body).map_err(|_| invalid("the Rekor entry's body is not JSON"))?;
    let log_id = (0..rekor.payload.log_id.len())
        .step_by(2)
        .map(|i| rekor.payload.log_id.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| invalid(format!("{COSIGN_BUNDLE_ANNOTATION}: Payload.logID is not hex")))?;
    let integrated_time = i64::try_from(number("Payload.integratedTime", &rekor.payload.integrated_time)?)
        .map_err(|_| invalid("Payload.integratedTime is out of range"))?;
    let bundle = Bundle {
        version: BundleVersion::V01,
        leaf,
        // The chain annotation is informational: trust comes from the trusted root only.
        chain: Vec::new(),
        entry: TlogEntry {
            log_index: number("Payload.logIndex", &rekor.payload.log_index)?,
            log_id,
            kind: kind["kind"].as_str().unwrap_or_default().to_owned(),
            version: kind["apiVersion"].as_str().unwrap_or_default().to_owned(),
            integrated_time,
            set: Some(b64("SignedEntryTimestamp", &rekor.signed_entry_timestamp)?),
            proof: None,
            body_b64: rekor.payload.body.clone(),
            body,
        },
        content: Content::Message { digest: sha2::Sha256::digest(payload).to_vec(), signature },
        timestamps: Vec::new(),
    };
    verify_parsed(&bundle, Artifact::Bytes(payload), policy, root)
}
