//! OCI image manifests and cosign's simple-signing payload: the two JSON documents a
//! registry hands us that decide what gets installed. Both are parsed strictly and
//! serialised deterministically (same input, same bytes, same digest).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Digest;

/// `application/vnd.oci.image.manifest.v1+json`.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Helm's chart config media type (OCI-5).
pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
/// Helm's chart layer media type (OCI-5).
pub const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// The config media type of a cosign signature manifest.
pub const OCI_IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// The layer media type of one cosign signature.
pub const COSIGN_SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The layer annotation holding the base64 signature.
pub const COSIGN_SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The `critical.type` of a cosign payload.
pub const COSIGN_PAYLOAD_TYPE: &str = "cosign container image signature";
/// A manifest larger than this is refused (the distribution registry's own limit is 4 MiB).
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;
/// A signature payload larger than this is refused.
pub const MAX_PAYLOAD_BYTES: u64 = 64 * 1024;

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Descriptor {
    /// What the blob is.
    pub media_type: String,
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// OCI 1.1 artifact type of the referenced manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Alternative locations (kept, never followed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Platform of an image index entry (kept as it came).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<serde_json::Value>,
    /// Embedded content (kept, never trusted over the blob).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

impl Descriptor {
    /// The descriptor of `bytes` as `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Self {
        Self {
            media_type: media_type.to_owned(),
            digest: Digest::of(bytes),
            size: bytes.len() as u64,
            annotations: BTreeMap::new(),
            artifact_type: None,
            urls: Vec::new(),
            platform: None,
            data: None,
        }
    }
}

/// An OCI image manifest (schema version 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// [`OCI_MANIFEST`] (optional in the spec, always written by us).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// OCI 1.1 artifact type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers, in order.
    pub layers: Vec<Descriptor>,
    /// OCI 1.1 subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A manifest or payload that is not what it claims to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Over the size cap.
    #[error("{what} is {size} bytes; at most {max} are accepted")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        size: u64,
        /// The cap.
        max: u64,
    },
    /// Not the JSON we expect; the message names the field.
    #[error("{what} is malformed: {message}")]
    Malformed {
        /// What was malformed.
        what: &'static str,
        /// The parser's message, with the field path.
        message: String,
    },
}

fn malformed(what: &'static str, message: impl Into<String>) -> FormatError {
    FormatError::Malformed { what, message: message.into() }
}

impl Manifest {
    /// A manifest of `config` and `layers` with `annotations`.
    pub fn new(config: Descriptor, layers: Vec<Descriptor>, annotations: BTreeMap<String, String>) -> Self {
        Self {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.to_owned()),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations,
        }
    }

    /// Parses and checks a manifest: size cap, schema version 2, an OCI (or absent) media
    /// type, well-formed digests.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(FormatError::TooLarge {
                what: "manifest",
                size: bytes.len() as u64,
                max: MAX_MANIFEST_BYTES as u64,
            });
        }
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let manifest: Self =
            serde_path_to_error::deserialize(de).map_err(|e| malformed("manifest", path_message(&e)))?;
        if manifest.schema_version != 2 {
            return Err(malformed(
                "manifest",
                format!("schemaVersion is {}, expected 2", manifest.schema_version),
            ));
        }
        if let Some(mt) = &manifest.media_type
            && mt != OCI_MANIFEST
        {
            return Err(malformed("manifest", format!("mediaType is {mt:?}, expected {OCI_MANIFEST}")));
        }
        Ok(manifest)
    }

    /// The canonical bytes: compact JSON, fields in a fixed order, annotations sorted.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain structs, strings and maps cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

fn path_message<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> String {
    let path = e.path().to_string();
    if path == "." { e.inner().to_string() } else { format!("{path}: {}", e.inner()) }
}

/// Cosign's simple-signing payload: the claim that `digest` is the artifact `reference`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningPayload {
    /// The signed claim.
    pub critical: Critical,
    /// Free-form annotations (`null` when none).
    pub optional: Option<BTreeMap<String, serde_json::Value>>,
}

/// The `critical` part of a [`SigningPayload`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Critical {
    /// The repository the signer meant.
    pub identity: Identity,
    /// The manifest digest the signer meant.
    pub image: Image,
    /// Always [`COSIGN_PAYLOAD_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
}

/// `critical.identity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// `registry/repository`.
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

/// `critical.image`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// The artifact's manifest digest.
    #[serde(rename = "docker-manifest-digest")]
    pub docker_manifest_digest: Digest,
}

impl SigningPayload {
    /// The payload claiming `digest` for `docker_reference` (`registry/repository`).
    pub fn new(docker_reference: &str, digest: &Digest) -> Self {
        Self {
            critical: Critical {
                identity: Identity { docker_reference: docker_reference.to_owned() },
                image: Image { docker_manifest_digest: digest.clone() },
                kind: COSIGN_PAYLOAD_TYPE.to_owned(),
            },
            optional: None,
        }
    }

    /// Parses a payload: size cap, exact shape, the cosign type string, a valid digest.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        if bytes.len() as u64 > MAX_PAYLOAD_BYTES {
            return Err(FormatError::TooLarge {
                what: "signature payload",
                size: bytes.len() as u64,
                max: MAX_PAYLOAD_BYTES,
            });
        }
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let payload: Self = serde_path_to_error::deserialize(de)
            .map_err(|e| malformed("signature payload", path_message(&e)))?;
        if payload.critical.kind != COSIGN_PAYLOAD_TYPE {
            return Err(malformed(
                "signature payload",
                format!("critical.type is {:?}, expected {COSIGN_PAYLOAD_TYPE:?}", payload.critical.kind),
            ));
        }
        Ok(payload)
    }

    /// The bytes that get signed: compact JSON in cosign's field order.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The digest the payload vouches for.
    pub fn digest(&self) -> &Digest {
        &self.critical.image.docker_manifest_digest
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn payload_is_cosigns_format() {
        let d = Digest::of(b"x");
        let p = SigningPayload::new("127.0.0.1:5000/bp-x", &d);
        let text = String::from_utf8(p.to_bytes()).unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"127.0.0.1:5000/bp-x"}},"image":{{"docker-manifest-digest":"{d}"}},"type":"cosign container image signature"}},"optional":null}}"#
            )
        );
        assert_eq!(SigningPayload::parse(text.as_bytes()).unwrap(), p);
    }

    #[test]
    fn payload_refusals() {
        let err = |s: &str| SigningPayload::parse(s.as_bytes()).unwrap_err().to_string();
        assert!(err(r#"{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"sha256:12"},"type":"cosign container image signature"},"optional":null}"#)
            .starts_with("signature payload is malformed: critical.image.docker-manifest-digest: invalid digest"));
        let d = Digest::of(b"x");
        assert_eq!(
            err(&format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"r"}},"image":{{"docker-manifest-digest":"{d}"}},"type":"other"}},"optional":null}}"#
            )),
            "signature payload is malformed: critical.type is \"other\", expected \"cosign container image signature\""
        );
        assert!(err(&"x".repeat(70_000)).starts_with("signature payload is 70000 bytes"));
    }

    #[test]
    fn manifest_round_trip_and_refusals() {
        let config = Descriptor::of(HELM_CONFIG, b"{}");
        let layer = Descriptor::of(HELM_CHART_LAYER, b"tgz");
        let m = Manifest::new(config, vec![layer], BTreeMap::from([("a".into(), "b".into())]));
        let bytes = m.to_bytes();
        assert_eq!(Manifest::parse(&bytes).unwrap(), m);
        assert_eq!(m.to_bytes(), bytes, "deterministic");
        let err = |s: &str| Manifest::parse(s.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err(
                r#"{"schemaVersion":1,"config":{"mediaType":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}"#
            ),
            "manifest is malformed: schemaVersion is 1, expected 2"
        );
        assert!(
            err(r#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"md5:1","size":1},"layers":[]}"#)
                .starts_with("manifest is malformed: config.digest: invalid digest \"md5:1\"")
        );
        assert!(err(r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}"#)
            .contains("expected application/vnd.oci.image.manifest.v1+json"));
    }
}
