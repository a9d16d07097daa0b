//! Why an OCI operation failed.

use std::time::Duration;

use super::keys::KeyError;
use crate::artifact::{ArchiveError, Digest, FormatError};

/// Why a push, pull or verification failed. Each refusal of a signature has its own variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OciError {
    /// The registry could not be reached or answered with an error.
    #[error("registry error for {reference}: {message}")]
    Registry {
        /// What was asked for.
        reference: String,
        /// What went wrong.
        message: String,
    },
    /// The registry has no such manifest.
    #[error("{0} not found in the registry")]
    NotFound(String),
    /// The content does not hash to the pinned digest, or the tag moved (OCI-2).
    #[error("digest mismatch for {reference}: pinned {expected}, but the registry serves {actual}")]
    DigestMismatch {
        /// The reference.
        reference: String,
        /// The digest asked for.
        expected: Digest,
        /// The digest of what came back.
        actual: Digest,
    },
    /// No cosign signature exists for the digest.
    #[error("no signature: {reference} has no cosign signature (looked for tag {tag})")]
    SignatureMissing {
        /// The artifact, at its digest.
        reference: String,
        /// The signature tag looked up.
        tag: String,
    },
    /// Signatures exist, but none verifies with any given key.
    #[error(
        "signature does not match any key: none of the {signatures} signature(s) of {reference} verifies with {keys}"
    )]
    SignatureInvalid {
        /// The artifact, at its digest.
        reference: String,
        /// How many signatures were checked.
        signatures: usize,
        /// The keys tried, by name.
        keys: String,
    },
    /// A signature verifies, but its payload vouches for another artifact.
    #[error("payload digest mismatch: the signature of {reference} signs {claimed}, not this artifact")]
    PayloadDigestMismatch {
        /// The artifact, at its digest.
        reference: String,
        /// The digest the payload names.
        claimed: Digest,
    },
    /// The signature manifest or a signature in it cannot be read.
    #[error("malformed signature for {reference}: {detail}")]
    MalformedSignature {
        /// The artifact, at its digest.
        reference: String,
        /// What is malformed.
        detail: String,
    },
    /// A keyless signature was refused; the class says which step failed (SPEC OCI-4).
    #[error("{reference}: keyless signature refused ({}): {refusal}", refusal.class())]
    Keyless {
        /// The artifact, at its digest.
        reference: String,
        /// Why (told in the message, so not a separate source).
        refusal: super::keyless::KeylessError,
    },
    /// The manifest is not a Blueprint chart artifact.
    #[error("{reference} is not a Blueprint chart artifact: {detail}")]
    NotABlueprintArtifact {
        /// The reference.
        reference: String,
        /// What is wrong.
        detail: String,
    },
    /// A manifest that does not parse.
    #[error("{reference}: not a valid OCI manifest")]
    Manifest {
        /// The reference.
        reference: String,
        /// The format error.
        source: FormatError,
    },
    /// A blob over its cap.
    #[error("{reference}: {what} is {size} bytes; the limit is {limit}")]
    TooLarge {
        /// The reference.
        reference: String,
        /// Which blob.
        what: &'static str,
        /// Its size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// Unpacking refused the archive or failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A key problem while signing.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The reference cannot be used for this operation.
    #[error("{0}")]
    Usage(String),
    /// The operation did not finish within its deadline.
    #[error("{reference}: the registry did not finish within {}s (deadline); nothing was written", after.as_secs())]
    Timeout {
        /// What was asked for.
        reference: String,
        /// The deadline.
        after: Duration,
    },
    /// A valid signature vouches for another artifact than the one asked for: another
    /// repository, or another Blueprint name or version (an old or foreign artifact served
    /// under this name).
    #[error("reference mismatch for {reference}: {detail}")]
    ReferenceMismatch {
        /// What was asked for.
        reference: String,
        /// What the artifact or its signature says instead.
        detail: String,
    },
}
