//! Sigstore trust material: a `trusted_root.json` (Fulcio CAs, Rekor logs, CT logs and
//! timestamp authorities, each with its validity window).

use base64::Engine as _;
use serde::Deserialize;

use super::KeylessError;

/// The public-good instance's trusted root (sigstore's production TUF target), embedded.
const PUBLIC_GOOD: &str = include_str!("../../../trust/public-good.json");

/// A trusted root file larger than this is not one.
pub const MAX_TRUSTED_ROOT_BYTES: usize = 1024 * 1024;

/// When a key or CA may be used: from `start`, up to and including `end` (open when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// First instant (seconds since the Unix epoch).
    pub start: i64,
    /// Last instant, inclusive; `None` while in use.
    pub end: Option<i64>,
}

impl Validity {
    /// Whether `at` (seconds since the Unix epoch) is inside the window.
    pub fn contains(&self, at: i64) -> bool {
        at >= self.start && self.end.is_none_or(|end| at <= end)
    }
}

/// A transparency log (Rekor) or certificate transparency log key.
#[derive(Debug, Clone)]
pub struct LogKey {
    /// The log's URL.
    pub base_url: String,
    /// Its public key (SPKI DER).
    pub key: Vec<u8>,
    /// `PKIX_ECDSA_P256_SHA_256`, `PKIX_ED25519`, …
    pub key_details: String,
    /// Its log id (the SHA-256 of the key, as a rule).
    pub log_id: Vec<u8>,
    /// When it may be used.
    pub valid_for: Validity,
}

/// A certificate authority (Fulcio) or timestamp authority: its chain, leaf-most first, root
/// last.
#[derive(Debug, Clone)]
pub struct Authority {
    /// The authority's URL.
    pub uri: String,
    /// Certificates (DER), the root last.
    pub chain: Vec<Vec<u8>>,
    /// When it may be used.
    pub valid_for: Validity,
}

/// A parsed `trusted_root.json`.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    /// Rekor logs.
    pub tlogs: Vec<LogKey>,
    /// Certificate transparency logs.
    pub ctlogs: Vec<LogKey>,
    /// Fulcio CAs.
    pub certificate_authorities: Vec<Authority>,
    /// RFC 3161 timestamp authorities.
    pub timestamp_authorities: Vec<Authority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawAuthority>,
    #[serde(default)]
    timestamp_authorities: Vec<RawAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    #[serde(default)]
    base_url: String,
    public_key: RawKey,
    log_id: RawLogId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    raw_bytes: String,
    #[serde(default)]
    key_details: String,
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawLogId {
    pub(super) key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuthority {
    #[serde(default)]
    uri: String,
    cert_chain: RawChain,
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
pub(super) struct RawChain {
    pub(super) certificates: Vec<RawBytes>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawBytes {
    pub(super) raw_bytes: String,
}

#[derive(Deserialize)]
struct RawValidity {
    start: Option<String>,
    end: Option<String>,
}

fn invalid(message: impl Into<String>) -> KeylessError {
    KeylessError::TrustRootInvalid(message.into())
}

pub(super) fn b64(what: &str, s: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD.decode(s.trim()).map_err(|e| format!("{what}: not base64: {e}"))
}

/// Seconds since the Unix epoch of an RFC 3339 time.
pub(super) fn rfc3339(what: &str, s: &str) -> Result<i64, String> {
    s.parse::<jiff::Timestamp>()
        .map(jiff::Timestamp::as_second)
        .map_err(|e| format!("{what}: {s:?} is not an RFC 3339 time: {e}"))
}

fn validity(what: &str, v: Option<&RawValidity>) -> Result<Validity, KeylessError> {
    let v = v.ok_or_else(|| invalid(format!("{what}: no validFor")))?;
    let start = v.start.as_deref().ok_or_else(|| invalid(format!("{what}: validFor has no start")))?;
    let start = rfc3339(&format!("{what}.validFor.start"), start).map_err(invalid)?;
    let end =
        v.end.as_deref().map(|e| rfc3339(&format!("{what}.validFor.end"), e)).transpose().map_err(invalid)?;
    Ok(Validity { start, end })
}

impl TrustedRoot {
    /// The public-good instance's root, as embedded in this build.
    ///
    /// # Panics
    /// Never: the embedded file is parsed by a test.
    pub fn public_good() -> Self {
        #[expect(clippy::expect_used, reason = "embedded data, checked by a test")]
        Self::from_json(PUBLIC_GOOD.as_bytes()).expect("the embedded public-good trusted root parses")
    }

    /// Parses a `trusted_root.json` (media type `application/vnd.dev.sigstore.trustedroot+json`).
    ///
    /// # Errors
    /// [`KeylessError::TrustRootInvalid`] naming what is wrong: not JSON, another media type,
    /// a key or certificate that is not base64, a validity window without a start.
    pub fn from_json(bytes: &[u8]) -> Result<Self, KeylessError> {
        if bytes.len() > MAX_TRUSTED_ROOT_BYTES {
            return Err(invalid(format!("{} bytes; at most {MAX_TRUSTED_ROOT_BYTES} are read", bytes.len())));
        }
        let raw: RawRoot =
            serde_json::from_slice(bytes).map_err(|e| invalid(format!("not a trusted root: {e}")))?;
        if !raw.media_type.starts_with("application/vnd.dev.sigstore.trustedroot") {
            return Err(invalid(format!("mediaType {:?} is not a Sigstore trusted root", raw.media_type)));
        }
        let logs = |kind: &str, logs: &[RawLog]| -> Result<Vec<LogKey>, KeylessError> {
            logs.iter()
                .enumerate()
                .map(|(i, l)| {
                    let what = format!("{kind}[{i}]");
                    Ok(LogKey {
                        base_url: l.base_url.clone(),
                        key: b64(&format!("{what}.publicKey.rawBytes"), &l.public_key.raw_bytes)
                            .map_err(invalid)?,
                        key_details: l.public_key.key_details.clone(),
                        log_id: b64(&format!("{what}.logId.keyId"), &l.log_id.key_id).map_err(invalid)?,
                        valid_for: validity(&format!("{what}.publicKey"), l.public_key.valid_for.as_ref())?,
                    })
                })
                .collect()
        };
        let authorities = |kind: &str, list: &[RawAuthority]| -> Result<Vec<Authority>, KeylessError> {
            list.iter()
                .enumerate()
                .map(|(i, a)| {
                    let what = format!("{kind}[{i}]");
                    let chain = a
                        .cert_chain
                        .certificates
                        .iter()
                        .map(|c| b64(&format!("{what}.certChain"), &c.raw_bytes).map_err(invalid))
                        .collect::<Result<Vec<_>, _>>()?;
                    if chain.is_empty() {
                        return Err(invalid(format!("{what}: empty certChain")));
                    }
                    Ok(Authority {
                        uri: a.uri.clone(),
                        chain,
                        valid_for: validity(&what, a.valid_for.as_ref())?,
                    })
                })
                .collect()
        };
        Ok(Self {
            tlogs: logs("tlogs", &raw.tlogs)?,
            ctlogs: logs("ctlogs", &raw.ctlogs)?,
            certificate_authorities: authorities("certificateAuthorities", &raw.certificate_authorities)?,
            timestamp_authorities: authorities("timestampAuthorities", &raw.timestamp_authorities)?,
        })
    }

    /// The Rekor log with this log id.
    pub fn tlog(&self, log_id: &[u8]) -> Option<&LogKey> {
        self.tlogs.iter().find(|l| l.log_id == log_id)
    }

    /// The CT log with this log id.
    pub fn ctlog(&self, log_id: &[u8]) -> Option<&LogKey> {
        self.ctlogs.iter().find(|l| l.log_id == log_id)
    }
}
