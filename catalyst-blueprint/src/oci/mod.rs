//! Signed Blueprints in an OCI registry: push, sign, verify, pull (SPEC OCI-2 … OCI-7).
//! Feature `oci`.
//!
//! Nothing is unpacked before its signature was verified: [`Registry::pull`] resolves the
//! reference to a manifest digest once (OCI-2), checks a cosign signature for exactly that
//! digest against the given public keys (any one is enough, OCI-3), and only then fetches,
//! digest-checks and unpacks the chart. Every refusal is its own [`OciError`] variant.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use catalyst_blueprint::artifact::{ArtifactRef, Package};
//! use catalyst_blueprint::oci::{PublicKey, Registry, RegistryOptions, SigningKey, Verification};
//!
//! let registry = Registry::new(RegistryOptions::new().with_plain_http(true));
//! let target: ArtifactRef = "127.0.0.1:5000/openova-io/bp-cilium:1.4.0".parse()?;
//! let package = Package::from_path("platform/cilium".as_ref(), None)?;
//! let digest = registry.push(&package, &target).await?;
//! let key = SigningKey::from_pem(&std::fs::read("cosign.key")?, None, "cosign.key")?;
//! registry.sign(&target, &digest, &key).await?;
//!
//! let keys = vec![PublicKey::from_pem(&std::fs::read("cosign.pub")?, "cosign.pub")?];
//! let pulled = registry.pull(&target, &Verification::Keys(keys), "out/cilium".as_ref()).await?;
//! assert_eq!(pulled.digest, digest);
//! # Ok(()) }
//! ```

mod auth;
mod cache;
mod error;
mod keys;
mod options;
mod registry;
mod verify;

pub mod keyless;

use std::time::Duration;

pub use error::OciError;
pub use keys::{KeyError, MAX_KEY_FILE_BYTES, Password, PublicKey, SigningKey};
pub use options::{Credentials, Mirror, RegistryOptions, is_loopback_registry};
pub use registry::{Pulled, Registry, Transfer};
pub use verify::{IdentityMatch, KeylessPolicy, Verification, Verified};

/// A chart layer larger than this is not downloaded.
pub const DEFAULT_MAX_LAYER_BYTES: u64 = 64 * 1024 * 1024;
/// A signature manifest with more signatures than this is refused before any is fetched (each
/// payload is read, up to 64 KiB, before verification).
pub const MAX_SIGNATURES: usize = 16;
/// Connecting to the registry takes at most this long.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A registry that sends nothing for this long is given up on.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A whole push, verify or pull takes at most this long.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);
/// Env var: registry user name for basic auth.
pub const ENV_REGISTRY_USERNAME: &str = "CATALYST_REGISTRY_USERNAME";
/// Env var: registry password or token for basic auth.
pub const ENV_REGISTRY_PASSWORD: &str = "CATALYST_REGISTRY_PASSWORD";
/// Env var: the registry (`host[:port]`) the credentials belong to; they are sent to no other.
pub const ENV_REGISTRY_HOST: &str = "CATALYST_REGISTRY_HOST";
