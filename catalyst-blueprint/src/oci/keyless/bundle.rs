//! The Sigstore bundle (`application/vnd.dev.sigstore.bundle+json;version=0.1|0.2|0.3` and
//! `application/vnd.dev.sigstore.bundle.v0.3+json`): parsed strictly, every base64 field
//! decoded, every number checked, before anything is verified.

use serde::Deserialize;
use serde_json::Value;

use super::KeylessError;
use super::trust::{RawBytes, RawChain, RawLogId, b64};

/// A bundle larger than this is not one.
pub const MAX_BUNDLE_BYTES: usize = 4 * 1024 * 1024;

/// The bundle format's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BundleVersion {
    /// 0.1: an inclusion promise (SET) is required.
    V01,
    /// 0.2: an inclusion proof with a checkpoint is required.
    V02,
    /// 0.3: as 0.2, and the leaf certificate alone (no chain).
    V03,
}

/// What was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A signature over the artifact's bytes (its SHA-256 digest stated).
    Message {
        /// The stated SHA-256 digest of the artifact.
        digest: Vec<u8>,
        /// The signature.
        signature: Vec<u8>,
    },
    /// A DSSE envelope (an in-toto statement naming the artifact as a subject).
    Dsse {
        /// `payloadType`.
        payload_type: String,
        /// The payload's bytes.
        payload: Vec<u8>,
        /// The one signature's bytes.
        signature: Vec<u8>,
        /// The envelope as it came (for the log entry's envelope hash).
        envelope: Value,
    },
}

/// An inclusion proof with its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// The entry's index in the tree the proof is for.
    pub log_index: u64,
    /// The tree's root hash.
    pub root_hash: Vec<u8>,
    /// The tree's size.
    pub tree_size: u64,
    /// The audit path.
    pub hashes: Vec<Vec<u8>>,
    /// The signed checkpoint (a signed note).
    pub checkpoint: String,
}

/// The one transparency-log entry of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogEntry {
    /// The global log index.
    pub log_index: u64,
    /// The log's id.
    pub log_id: Vec<u8>,
    /// `hashedrekord`, `dsse`, `intoto`.
    pub kind: String,
    /// The kind's version (`0.0.1`).
    pub version: String,
    /// When the log integrated the entry (seconds); 0 when absent (Rekor v2).
    pub integrated_time: i64,
    /// The signed entry timestamp (inclusion promise).
    pub set: Option<Vec<u8>>,
    /// The inclusion proof.
    pub proof: Option<InclusionProof>,
    /// The canonicalized body as base64 (what the SET signs).
    pub body_b64: String,
    /// The body's bytes.
    pub body: Vec<u8>,
}

/// A parsed bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The format's version.
    pub version: BundleVersion,
    /// The signing (leaf) certificate, DER; empty for a managed-key bundle (a public-key
    /// hint instead of a certificate).
    pub leaf: Vec<u8>,
    /// Further certificates the bundle carries (v0.1/v0.2 chains), DER.
    pub chain: Vec<Vec<u8>>,
    /// The log entry.
    pub entry: TlogEntry,
    /// What was signed.
    pub content: Content,
    /// RFC 3161 timestamps, as they came (base64 of DER); not verified yet.
    pub timestamps: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBundle {
    media_type: String,
    verification_material: RawMaterial,
    message_signature: Option<RawMessageSignature>,
    dsse_envelope: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMaterial {
    certificate: Option<RawBytes>,
    x509_certificate_chain: Option<RawChain>,
    public_key: Option<Value>,
    #[serde(default)]
    tlog_entries: Vec<RawEntry>,
    timestamp_verification_data: Option<RawTimestamps>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTimestamps {
    #[serde(default)]
    rfc3161_timestamps: Vec<RawTimestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTimestamp {
    signed_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessageSignature {
    message_digest: Option<RawDigest>,
    signature: String,
}

#[derive(Deserialize)]
struct RawDigest {
    algorithm: String,
    digest: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    log_index: Value,
    log_id: RawLogId,
    kind_version: RawKindVersion,
    integrated_time: Option<Value>,
    inclusion_promise: Option<RawPromise>,
    inclusion_proof: Option<RawProof>,
    canonicalized_body: String,
}

#[derive(Deserialize)]
struct RawKindVersion {
    kind: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPromise {
    signed_entry_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProof {
    log_index: Value,
    root_hash: String,
    tree_size: Value,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: Option<RawCheckpoint>,
}

#[derive(Deserialize)]
struct RawCheckpoint {
    envelope: String,
}

fn invalid(message: impl Into<String>) -> KeylessError {
    KeylessError::BundleInvalid(message.into())
}

/// A protobuf-JSON int64: a decimal string or a number; negative values are refused.
fn unsigned(what: &str, v: &Value) -> Result<u64, KeylessError> {
    let n = match v {
        Value::String(s) => {
            s.parse::<i64>().map_err(|_| invalid(format!("{what}: {s:?} is not an integer")))?
        }
        Value::Number(n) => n.as_i64().ok_or_else(|| invalid(format!("{what}: {n} is not an integer")))?,
        other => return Err(invalid(format!("{what}: {other} is not an integer"))),
    };
    u64::try_from(n).map_err(|_| invalid(format!("{what}: {n} is negative")))
}

fn decode(what: &str, s: &str) -> Result<Vec<u8>, KeylessError> {
    b64(what, s).map_err(invalid)
}

impl Bundle {
    /// Parses a bundle.
    ///
    /// # Errors
    /// [`KeylessError::BundleInvalid`] naming the field: not JSON, an unknown media type, no
    /// certificate or an empty chain, not exactly one log entry, a field that is not base64, a
    /// negative index. A managed-key bundle (a public-key hint instead of a certificate) is
    /// [`KeylessError::Unsupported`]: it is not keyless.
    pub fn parse(bytes: &[u8]) -> Result<Self, KeylessError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(invalid(format!("{} bytes; at most {MAX_BUNDLE_BYTES} are read", bytes.len())));
        }
        let raw: RawBundle =
            serde_json::from_slice(bytes).map_err(|e| invalid(format!("not a Sigstore bundle: {e}")))?;
        let version = match raw.media_type.as_str() {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => BundleVersion::V01,
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => BundleVersion::V02,
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => BundleVersion::V03,
            other => {
                return Err(invalid(format!(
                    "mediaType {other:?} is not a Sigstore bundle version 0.1, 0.2 or 0.3"
                )));
            }
        };
        let m = raw.verification_material;
        let certs: Vec<Vec<u8>> = match (&m.certificate, &m.x509_certificate_chain, &m.public_key) {
            (Some(c), _, _) => vec![decode("verificationMaterial.certificate.rawBytes", &c.raw_bytes)?],
            (None, Some(chain), _) => chain
                .certificates
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    decode(
                        &format!("verificationMaterial.x509CertificateChain.certificates[{i}]"),
                        &c.raw_bytes,
                    )
                })
                .collect::<Result<_, _>>()?,
            // A managed-key bundle: no certificate (the leaf stays empty); the key comes from
            // the verifier.
            (None, None, Some(_)) => vec![Vec::new()],
            (None, None, None) => return Err(invalid("verificationMaterial has no certificate")),
        };
        let Some((leaf, chain)) = certs.split_first() else {
            return Err(invalid("verificationMaterial.x509CertificateChain is empty"));
        };
        if version == BundleVersion::V03
            && m.x509_certificate_chain.is_some()
            && m.certificate.is_none()
            && !chain.is_empty()
        {
            return Err(invalid("a version 0.3 bundle carries the leaf certificate only, not a chain"));
        }
        let [entry] = m.tlog_entries.as_slice() else {
            return Err(invalid(format!(
                "{} transparency log entries; exactly one is verified",
                m.tlog_entries.len()
            )));
        };
        let entry = parse_entry(entry)?;
        let content = match (raw.message_signature, raw.dsse_envelope) {
            (Some(ms), None) => {
                let signature = decode("messageSignature.signature", &ms.signature)?;
                let digest = match ms.message_digest {
                    Some(d) if d.algorithm == "SHA2_256" => {
                        decode("messageSignature.messageDigest.digest", &d.digest)?
                    }
                    Some(d) => {
                        return Err(invalid(format!(
                            "messageSignature.messageDigest.algorithm {:?} is not SHA2_256",
                            d.algorithm
                        )));
                    }
                    None => return Err(invalid("messageSignature has no messageDigest")),
                };
                if digest.len() != 32 {
                    return Err(invalid("messageSignature.messageDigest.digest is not 32 bytes"));
                }
                Content::Message { digest, signature }
            }
            (None, Some(env)) => parse_dsse(env)?,
            _ => return Err(invalid("exactly one of messageSignature and dsseEnvelope is required")),
        };
        let timestamps = m
            .timestamp_verification_data
            .map(|t| t.rfc3161_timestamps)
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.signed_timestamp)
            .collect();
        Ok(Self { version, leaf: leaf.clone(), chain: chain.to_vec(), entry, content, timestamps })
    }
}

fn parse_entry(e: &RawEntry) -> Result<TlogEntry, KeylessError> {
    let w = "verificationMaterial.tlogEntries[0]";
    let proof = e
        .inclusion_proof
        .as_ref()
        .map(|p| {
            Ok::<_, KeylessError>(InclusionProof {
                log_index: unsigned(&format!("{w}.inclusionProof.logIndex"), &p.log_index)?,
                root_hash: decode(&format!("{w}.inclusionProof.rootHash"), &p.root_hash)?,
                tree_size: unsigned(&format!("{w}.inclusionProof.treeSize"), &p.tree_size)?,
                hashes: p
                    .hashes
                    .iter()
                    .enumerate()
                    .map(|(i, h)| decode(&format!("{w}.inclusionProof.hashes[{i}]"), h))
                    .collect::<Result<_, _>>()?,
                checkpoint: p.checkpoint.as_ref().map(|c| c.envelope.clone()).unwrap_or_default(),
            })
        })
        .transpose()?;
    let integrated_time = match &e.integrated_time {
        Some(v) => i64::try_from(unsigned(&format!("{w}.integratedTime"), v)?)
            .map_err(|_| invalid(format!("{w}.integratedTime is out of range")))?,
        None => 0,
    };
    Ok(TlogEntry {
        log_index: unsigned(&format!("{w}.logIndex"), &e.log_index)?,
        log_id: decode(&format!("{w}.logId.keyId"), &e.log_id.key_id)?,
        kind: e.kind_version.kind.clone(),
        version: e.kind_version.version.clone(),
        integrated_time,
        set: e
            .inclusion_promise
            .as_ref()
            .map(|p| decode(&format!("{w}.inclusionPromise.signedEntryTimestamp"), &p.signed_entry_timestamp))
            .transpose()?,
        proof,
        body_b64: e.canonicalized_body.clone(),
        body: decode(&format!("{w}.canonicalizedBody"), &e.canonicalized_body)?,
    })
}

fn parse_dsse(env: Value) -> Result<Content, KeylessError> {
    let text = |k: &str| env.get(k).and_then(Value::as_str).map(str::to_owned);
    let payload_type = text("payloadType").ok_or_else(|| invalid("dsseEnvelope.payloadType is missing"))?;
    let payload = decode(
        "dsseEnvelope.payload",
        &text("payload").ok_or_else(|| invalid("dsseEnvelope.payload is missing"))?,
    )?;
    let sigs = env.get("signatures").and_then(Value::as_array).cloned().unwrap_or_default();
    let [sig] = sigs.as_slice() else {
        return Err(invalid(format!("dsseEnvelope has {} signatures; exactly one is verified", sigs.len())));
    };
    let signature = decode(
        "dsseEnvelope.signatures[0].sig",
        sig.get("sig")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("dsseEnvelope.signatures[0].sig is missing"))?,
    )?;
    Ok(Content::Dsse { payload_type, payload, signature, envelope: env })
}
