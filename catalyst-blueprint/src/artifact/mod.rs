//! Blueprint artifacts without the network: references and digests (OCI-1), the OCI manifest
//! and cosign payload formats, reproducible packaging and safe unpacking (OCI-5, OCI-7,
//! BP-12). The registry transport and signatures are in `oci` (feature `oci`).
//!
//! ```
//! use catalyst_blueprint::artifact::{ArtifactRef, Digest, SigningPayload};
//!
//! let r: ArtifactRef = "127.0.0.1:5000/openova-io/bp-cilium:1.4.0".parse()?;
//! let digest = Digest::of(b"the manifest bytes");
//! // What cosign signs for that artifact, and the tag it stores the signature under.
//! let payload = SigningPayload::new(&r.name(), &digest);
//! assert_eq!(SigningPayload::parse(&payload.to_bytes())?.digest(), &digest);
//! assert_eq!(digest.signature_tag(), format!("sha256-{}.sig", digest.hex()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod archive;
mod manifest;
mod reference;

pub use archive::{
    ANNOTATION_SOURCE, ANNOTATION_TITLE, ANNOTATION_VERSION, ArchiveError, Cap, Expected, ExpectedVersion,
    Limits, MAX_EXTENSION_BYTES, MAX_EXTENSION_TOTAL, MAX_PACKAGE_BYTES, Package, Unpacked, check_identity,
    check_vendored, for_each_entry, unpack, unpack_expecting,
};
pub use manifest::{
    COSIGN_PAYLOAD_TYPE, COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLE_SIGNING, Critical, Descriptor,
    FormatError, HELM_CHART_LAYER, HELM_CONFIG, Identity, Image, MAX_MANIFEST_BYTES, MAX_PAYLOAD_BYTES,
    Manifest, OCI_IMAGE_CONFIG, OCI_MANIFEST, SigningPayload,
};
pub use reference::{ArtifactRef, Digest, MAX_REFERENCE_LEN, ReferenceError};
