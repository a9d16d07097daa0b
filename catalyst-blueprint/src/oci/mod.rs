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
//! let registry = Registry::new(RegistryOptions { plain_http: true, ..RegistryOptions::default() });
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

mod cache;
mod keys;
#[cfg(feature = "test-registry")]
pub mod test_registry;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use base64::Engine as _;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use tokio::io::AsyncWrite;

use crate::artifact::{
    ArchiveError, ArtifactRef, COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLE_SIGNING, Descriptor, Digest,
    FormatError, HELM_CHART_LAYER, HELM_CONFIG, Limits, MAX_PAYLOAD_BYTES, Manifest, OCI_IMAGE_CONFIG,
    OCI_MANIFEST, Package, SigningPayload, Unpacked, unpack,
};
use cache::Cache;
pub use keys::{KeyError, Password, PublicKey, SigningKey};

/// A chart layer larger than this is not downloaded.
pub const DEFAULT_MAX_LAYER_BYTES: u64 = 64 * 1024 * 1024;
/// Env var: registry user name for basic auth.
pub const ENV_REGISTRY_USERNAME: &str = "CATALYST_REGISTRY_USERNAME";
/// Env var: registry password or token for basic auth.
pub const ENV_REGISTRY_PASSWORD: &str = "CATALYST_REGISTRY_PASSWORD";

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
    /// The manifest is not a Blueprint chart artifact.
    #[error("{reference} is not a Blueprint chart artifact: {detail}")]
    NotABlueprintArtifact {
        /// The reference.
        reference: String,
        /// What is wrong.
        detail: String,
    },
    /// A manifest that does not parse.
    #[error("{reference}: {source}")]
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
}

/// Registry credentials (basic auth). Never shown by `Debug`.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    password: String,
}

impl Credentials {
    /// User name and password (or token).
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self { username: username.into(), password: password.into() }
    }

    /// From `CATALYST_REGISTRY_USERNAME` and `CATALYST_REGISTRY_PASSWORD`, when both are set.
    pub fn from_env() -> Option<Self> {
        let username = std::env::var(ENV_REGISTRY_USERNAME).ok().filter(|s| !s.is_empty())?;
        let password = std::env::var(ENV_REGISTRY_PASSWORD).ok()?;
        Some(Self { username, password })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// How to reach the registry.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Speak plain HTTP (loopback test registries). Off: HTTPS with verified certificates.
    pub plain_http: bool,
    /// Basic-auth credentials; anonymous when `None`.
    pub credentials: Option<Credentials>,
    /// A content-addressed cache: blobs by digest, and the signatures seen for a digest.
    pub cache_dir: Option<PathBuf>,
    /// The largest chart layer downloaded.
    pub max_layer_bytes: u64,
    /// Caps applied while unpacking.
    pub limits: Limits,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            plain_http: false,
            credentials: None,
            cache_dir: None,
            max_layer_bytes: DEFAULT_MAX_LAYER_BYTES,
            limits: Limits::default(),
        }
    }
}

/// What verification a pull demands.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Verification {
    /// A cosign signature of the artifact's digest by any one of these keys (OCI-3a).
    Keys(Vec<PublicKey>),
    /// No verification. The only way to skip it: logged as a warning, and the result says
    /// `verified: None` (OCI-4).
    InsecureSkip,
}

/// An identity policy for keyless (Fulcio certificate) signatures, OCI-3b: the OIDC issuer
/// and the certificate identity allowed. Matching is here so callers can be written against
/// it; [`Verification`] is `#[non_exhaustive]` so a keyless mode can be added without
/// breaking them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeylessPolicy {
    /// The OIDC issuer (`https://token.actions.githubusercontent.com`).
    pub issuer: String,
    /// The certificate identity allowed.
    pub identity: IdentityMatch,
}

/// How a certificate identity is matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityMatch {
    /// Exactly this identity (a workflow URL or an e-mail address).
    Exact(String),
    /// Any identity starting with this prefix (a workflow path without its ref).
    Prefix(String),
}

impl KeylessPolicy {
    /// Whether a certificate from `issuer` for `identity` is allowed; the error says why not.
    pub fn allows(&self, issuer: &str, identity: &str) -> Result<(), String> {
        if issuer != self.issuer {
            return Err(format!("issuer {issuer:?} is not the allowed {:?}", self.issuer));
        }
        let ok = match &self.identity {
            IdentityMatch::Exact(want) => identity == want,
            IdentityMatch::Prefix(prefix) => identity.starts_with(prefix.as_str()),
        };
        if ok { Ok(()) } else { Err(format!("identity {identity:?} is not allowed by {:?}", self.identity)) }
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

/// What [`Registry::pull`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// The manifest digest.
    pub digest: Digest,
    /// The verification, `None` only with [`Verification::InsecureSkip`].
    pub verified: Option<Verified>,
    /// What was unpacked.
    pub unpacked: Unpacked,
    /// Bytes fetched from the registry for this pull (0 when everything came from the cache).
    pub downloaded: u64,
}

/// A transfer event, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer<'a> {
    /// A blob transfer starts; `total` bytes.
    Start {
        /// What is transferred ("chart layer").
        what: &'a str,
        /// Its size.
        total: u64,
    },
    /// `n` more bytes moved.
    Advance(u64),
    /// The transfer finished.
    Finish,
}

type ProgressFn = dyn Fn(Transfer<'_>) + Send + Sync;

/// A client for one registry configuration.
pub struct Registry {
    client: Client,
    auth: RegistryAuth,
    cache: Option<Cache>,
    options: RegistryOptions,
    progress: Option<Arc<ProgressFn>>,
    downloaded: AtomicU64,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").field("options", &self.options).finish_non_exhaustive()
    }
}

fn to_oci(r: &ArtifactRef) -> Reference {
    match (r.tag(), r.digest()) {
        (Some(tag), _) => {
            Reference::with_tag(r.registry().to_owned(), r.repository().to_owned(), tag.to_owned())
        }
        (None, Some(d)) => {
            Reference::with_digest(r.registry().to_owned(), r.repository().to_owned(), d.to_string())
        }
        // ArtifactRef::parse guarantees a tag or a digest.
        (None, None) => {
            Reference::with_tag(r.registry().to_owned(), r.repository().to_owned(), "latest".to_owned())
        }
    }
}

fn is_not_found(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::ServerError { code, .. } => *code == 404,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown
                    | OciErrorCode::NotFound
                    | OciErrorCode::NameUnknown
                    | OciErrorCode::BlobUnknown
            )
        }),
        _ => false,
    }
}

fn registry_error(reference: &ArtifactRef, e: &OciDistributionError) -> OciError {
    if is_not_found(e) {
        OciError::NotFound(reference.to_string())
    } else {
        OciError::Registry { reference: reference.to_string(), message: e.to_string() }
    }
}

impl Registry {
    /// A client with `options`.
    pub fn new(options: RegistryOptions) -> Self {
        let config = ClientConfig {
            protocol: if options.plain_http { ClientProtocol::Http } else { ClientProtocol::Https },
            ..ClientConfig::default()
        };
        let auth = options
            .credentials
            .as_ref()
            .map_or(RegistryAuth::Anonymous, |c| RegistryAuth::Basic(c.username.clone(), c.password.clone()));
        Self {
            client: Client::new(config),
            auth,
            cache: options.cache_dir.clone().map(Cache::new),
            options,
            progress: None,
            downloaded: AtomicU64::new(0),
        }
    }

    /// Reports blob transfers to `progress`.
    #[must_use]
    pub fn with_progress(mut self, progress: impl Fn(Transfer<'_>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    fn report(&self, event: Transfer<'_>) {
        if let Some(p) = &self.progress {
            p(event);
        }
    }

    /// Pushes `package` to `target` (which names a tag, not a digest) and returns the
    /// manifest digest. Blobs the registry has already are not uploaded again.
    pub async fn push(&self, package: &Package, target: &ArtifactRef) -> Result<Digest, OciError> {
        let Some(tag) = target.tag() else {
            return Err(OciError::Usage(format!("push needs a tag to push to, not a digest: {target}")));
        };
        if target.digest().is_some() {
            return Err(OciError::Usage(format!("push to a tag without a pinned digest: {target}")));
        }
        let manifest = package.manifest();
        self.push_blob(target, &package.layer, "chart layer").await?;
        self.push_blob(target, &package.config, "config").await?;
        self.push_manifest(&target.at_tag(tag), &manifest.to_bytes()).await
    }

    async fn push_blob(&self, target: &ArtifactRef, data: &[u8], what: &str) -> Result<(), OciError> {
        let reference = to_oci(target);
        let digest = Digest::of(data);
        let exists = self
            .client
            .blob_exists(&reference, digest.as_str())
            .await
            .map_err(|e| registry_error(target, &e))?;
        if exists {
            return Ok(());
        }
        self.client.store_auth_if_needed(reference.resolve_registry(), &self.auth).await;
        self.report(Transfer::Start { what, total: data.len() as u64 });
        self.client
            .push_blob(&reference, data.to_vec(), digest.as_str())
            .await
            .map_err(|e| registry_error(target, &e))?;
        self.report(Transfer::Advance(data.len() as u64));
        self.report(Transfer::Finish);
        Ok(())
    }

    async fn push_manifest(&self, target: &ArtifactRef, bytes: &[u8]) -> Result<Digest, OciError> {
        let reference = to_oci(target);
        self.client.store_auth_if_needed(reference.resolve_registry(), &self.auth).await;
        self.client
            .push_manifest_raw(&reference, bytes.to_vec(), http::HeaderValue::from_static(OCI_MANIFEST))
            .await
            .map_err(|e| registry_error(target, &e))?;
        Ok(Digest::of(bytes))
    }

    /// Resolves `reference` to its manifest digest and bytes (OCI-2). A tag is looked up;
    /// a pinned digest must match what is served, and with both, the tag must still point
    /// at the pinned digest (a moved tag is [`OciError::DigestMismatch`]). With only a digest
    /// and a cache, a cached manifest is used without asking the registry.
    pub async fn resolve(&self, reference: &ArtifactRef) -> Result<(Digest, Vec<u8>), OciError> {
        if reference.tag().is_none()
            && let Some(digest) = reference.digest()
            && let Some(bytes) = self.cache.as_ref().and_then(|c| c.blob(digest))
        {
            return Ok((digest.clone(), bytes));
        }
        let (bytes, _) = self
            .client
            .pull_manifest_raw(&to_oci(reference), &self.auth, &[OCI_MANIFEST])
            .await
            .map_err(|e| registry_error(reference, &e))?;
        self.downloaded.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let actual = Digest::of(&bytes);
        if let Some(expected) = reference.digest()
            && *expected != actual
        {
            return Err(OciError::DigestMismatch {
                reference: reference.to_string(),
                expected: expected.clone(),
                actual,
            });
        }
        if let Some(cache) = &self.cache {
            cache.put_blob(&actual, &bytes);
        }
        Ok((actual, bytes.to_vec()))
    }

    /// Signs `digest` (an artifact of `target`'s repository) with `key` in cosign's format:
    /// a simple-signing payload naming the digest, stored as a layer of the manifest at tag
    /// `sha256-<hex>.sig`, next to any signatures already there. Returns the signature
    /// manifest's digest.
    pub async fn sign(
        &self,
        target: &ArtifactRef,
        digest: &Digest,
        key: &SigningKey,
    ) -> Result<Digest, OciError> {
        let payload = SigningPayload::new(&target.name(), digest).to_bytes();
        let signature = key.sign(&payload)?;
        let mut layer = Descriptor::of(COSIGN_SIMPLE_SIGNING, &payload);
        layer.annotations.insert(
            COSIGN_SIGNATURE_ANNOTATION.to_owned(),
            base64::engine::general_purpose::STANDARD.encode(&signature),
        );
        let sig_ref = target.at_tag(&digest.signature_tag());
        let mut layers = match self.fetch_manifest_opt(&sig_ref).await? {
            Some(bytes) => Manifest::parse(&bytes)
                .map_err(|source| OciError::Manifest { reference: sig_ref.to_string(), source })?
                .layers
                .into_iter()
                .filter(|l| !(l.digest == layer.digest && l.annotations == layer.annotations))
                .collect(),
            None => Vec::new(),
        };
        layers.push(layer);
        let diff_ids: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "", "os": "", "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }))
        .unwrap_or_default();
        self.push_blob(target, &payload, "signature").await?;
        self.push_blob(target, &config, "signature config").await?;
        let manifest = Manifest::new(Descriptor::of(OCI_IMAGE_CONFIG, &config), layers, BTreeMap::new());
        self.push_manifest(&sig_ref, &manifest.to_bytes()).await
    }

    async fn fetch_manifest_opt(&self, reference: &ArtifactRef) -> Result<Option<Vec<u8>>, OciError> {
        match self.client.pull_manifest_raw(&to_oci(reference), &self.auth, &[OCI_MANIFEST]).await {
            Ok((bytes, _)) => {
                self.downloaded.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                Ok(Some(bytes.to_vec()))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(registry_error(reference, &e)),
        }
    }

    /// Resolves `reference` and verifies a cosign signature of its digest against `keys`:
    /// any one key verifying any one signature whose payload names this digest is enough.
    pub async fn verify(&self, reference: &ArtifactRef, keys: &[PublicKey]) -> Result<Verified, OciError> {
        let (digest, _) = self.resolve(reference).await?;
        self.verify_digest(reference, &digest, keys).await
    }

    async fn verify_digest(
        &self,
        reference: &ArtifactRef,
        digest: &Digest,
        keys: &[PublicKey],
    ) -> Result<Verified, OciError> {
        if keys.is_empty() {
            return Err(OciError::Usage("verification needs at least one public key".into()));
        }
        let at_digest = reference.at_digest(digest.clone());
        // Signatures seen before for this digest verify offline.
        if let Some(cache) = &self.cache
            && let Some((manifest, payloads)) = cache.signatures(digest)
            && let Ok(verified) = check_signatures(&at_digest, digest, &manifest, &payloads, keys)
        {
            return Ok(verified);
        }
        let sig_ref = reference.at_tag(&digest.signature_tag());
        let Some(sig_manifest) = self.fetch_manifest_opt(&sig_ref).await? else {
            return Err(OciError::SignatureMissing {
                reference: at_digest.to_string(),
                tag: digest.signature_tag(),
            });
        };
        let manifest = Manifest::parse(&sig_manifest).map_err(|e| OciError::MalformedSignature {
            reference: at_digest.to_string(),
            detail: e.to_string(),
        })?;
        let mut payloads = BTreeMap::new();
        for layer in manifest.layers.iter().filter(|l| l.media_type == COSIGN_SIMPLE_SIGNING) {
            if layer.size > MAX_PAYLOAD_BYTES {
                continue; // reported as malformed by check_signatures
            }
            let bytes = self.fetch_blob(reference, &layer.digest, layer.size, "signature payload").await?;
            payloads.insert(layer.digest.clone(), bytes);
        }
        let verified = check_signatures(&at_digest, digest, &manifest, &payloads, keys)?;
        if let Some(cache) = &self.cache {
            cache.put_signatures(digest, &sig_manifest, &payloads);
        }
        Ok(verified)
    }

    /// A blob, from the cache or the registry, checked against its digest and size cap.
    async fn fetch_blob(
        &self,
        reference: &ArtifactRef,
        digest: &Digest,
        size: u64,
        what: &'static str,
    ) -> Result<Vec<u8>, OciError> {
        if let Some(bytes) = self.cache.as_ref().and_then(|c| c.blob(digest)) {
            return Ok(bytes);
        }
        let limit = if what == "chart layer" { self.options.max_layer_bytes } else { MAX_PAYLOAD_BYTES };
        if size > limit {
            return Err(OciError::TooLarge { reference: reference.to_string(), what, size, limit });
        }
        self.report(Transfer::Start { what, total: size });
        let mut sink = CappedSink { buf: Vec::new(), limit, progress: self.progress.clone() };
        let result = self.client.pull_blob(&to_oci(reference), digest.as_str(), &mut sink).await;
        self.report(Transfer::Finish);
        if let Err(e) = result {
            if sink.buf.len() as u64 > limit {
                return Err(OciError::TooLarge {
                    reference: reference.to_string(),
                    what,
                    size: sink.buf.len() as u64,
                    limit,
                });
            }
            return Err(registry_error(reference, &e));
        }
        let bytes = sink.buf;
        self.downloaded.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if !digest.matches(&bytes) {
            return Err(OciError::DigestMismatch {
                reference: format!("{reference} ({what})"),
                expected: digest.clone(),
                actual: Digest::of(&bytes),
            });
        }
        if let Some(cache) = &self.cache {
            cache.put_blob(digest, &bytes);
        }
        Ok(bytes)
    }

    /// Resolves `reference`, verifies it as `verification` demands, then fetches the chart
    /// layer and unpacks it into `out` (OCI-2, OCI-3, OCI-5). Nothing is fetched beyond the
    /// manifest and signatures, and nothing is written, before verification passed.
    pub async fn pull(
        &self,
        reference: &ArtifactRef,
        verification: &Verification,
        out: &Path,
    ) -> Result<Pulled, OciError> {
        let before = self.downloaded.load(Ordering::Relaxed);
        let (digest, manifest_bytes) = self.resolve(reference).await?;
        let verified = match verification {
            Verification::Keys(keys) => Some(self.verify_digest(reference, &digest, keys).await?),
            Verification::InsecureSkip => {
                tracing::warn!(reference = %reference, digest = %digest, "signature verification SKIPPED (insecure-skip-verify): installing unverified content");
                None
            }
        };
        let at_digest = reference.at_digest(digest.clone());
        let manifest = Manifest::parse(&manifest_bytes)
            .map_err(|source| OciError::Manifest { reference: at_digest.to_string(), source })?;
        let not_blueprint =
            |detail: String| OciError::NotABlueprintArtifact { reference: at_digest.to_string(), detail };
        if manifest.config.media_type != HELM_CONFIG {
            return Err(not_blueprint(format!(
                "config mediaType is {:?}, expected {HELM_CONFIG}",
                manifest.config.media_type
            )));
        }
        let charts: Vec<&Descriptor> =
            manifest.layers.iter().filter(|l| l.media_type == HELM_CHART_LAYER).collect();
        let [chart] = charts.as_slice() else {
            return Err(not_blueprint(format!(
                "expected one {HELM_CHART_LAYER} layer, found {}",
                charts.len()
            )));
        };
        let layer = self.fetch_blob(&at_digest, &chart.digest, chart.size, "chart layer").await?;
        let unpacked = unpack(&layer, out, self.options.limits)?;
        Ok(Pulled {
            digest,
            verified,
            unpacked,
            downloaded: self.downloaded.load(Ordering::Relaxed) - before,
        })
    }
}

/// Checks the cosign signatures in `manifest` (payloads by digest) for `digest`.
fn check_signatures(
    at_digest: &ArtifactRef,
    digest: &Digest,
    manifest: &Manifest,
    payloads: &BTreeMap<Digest, Vec<u8>>,
    keys: &[PublicKey],
) -> Result<Verified, OciError> {
    let reference = at_digest.to_string();
    let layers: Vec<&Descriptor> =
        manifest.layers.iter().filter(|l| l.media_type == COSIGN_SIMPLE_SIGNING).collect();
    let (mut malformed, mut unverified, mut claimed) = (Vec::new(), 0usize, None);
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

/// Collects a blob, refusing to grow past `limit`.
struct CappedSink {
    buf: Vec<u8>,
    limit: u64,
    progress: Option<Arc<ProgressFn>>,
}

impl AsyncWrite for CappedSink {
    fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if (self.buf.len() + data.len()) as u64 > self.limit {
            self.buf.extend_from_slice(data);
            return Poll::Ready(Err(io::Error::other("blob over its size limit")));
        }
        self.buf.extend_from_slice(data);
        if let Some(p) = &self.progress {
            p(Transfer::Advance(data.len() as u64));
        }
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyless_policy_matching() {
        let policy = KeylessPolicy {
            issuer: "https://token.actions.githubusercontent.com".into(),
            identity: IdentityMatch::Prefix(
                "https://github.com/openova-io/openova/.github/workflows/blueprint-release.yaml@".into(),
            ),
        };
        let wf =
            "https://github.com/openova-io/openova/.github/workflows/blueprint-release.yaml@refs/heads/main";
        assert_eq!(policy.allows("https://token.actions.githubusercontent.com", wf), Ok(()));
        assert!(policy.allows("https://accounts.google.com", wf).unwrap_err().contains("issuer"));
        assert!(
            policy
                .allows(
                    "https://token.actions.githubusercontent.com",
                    "https://github.com/evil/x/.github/workflows/a.yaml@main"
                )
                .unwrap_err()
                .contains("is not allowed")
        );
    }
}
