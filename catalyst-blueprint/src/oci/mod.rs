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

mod auth;
mod cache;
mod keys;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use crate::artifact::{
    ANNOTATION_TITLE, ANNOTATION_VERSION, ArchiveError, ArtifactRef, COSIGN_SIGNATURE_ANNOTATION,
    COSIGN_SIMPLE_SIGNING, Descriptor, Digest, Expected, ExpectedVersion, FormatError, HELM_CHART_LAYER,
    HELM_CONFIG, Limits, MAX_MANIFEST_BYTES, MAX_PAYLOAD_BYTES, Manifest, OCI_IMAGE_CONFIG, OCI_MANIFEST,
    Package, SigningPayload, Unpacked, unpack_expecting,
};
use cache::Cache;
use catalyst_naming::untrusted::remote_text;
pub use keys::{KeyError, Password, PublicKey, SigningKey};

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

/// Registry credentials (basic auth) for one registry host. Never shown by `Debug`; sent only
/// to that registry (or a token realm on its own site), never to another one a reference
/// names.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    password: String,
    registry: String,
}

impl Credentials {
    /// User name and password (or token) for the registry `registry` (`host[:port]`).
    pub fn new(
        registry: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self { username: username.into(), password: password.into(), registry: registry.into() }
    }

    /// From `CATALYST_REGISTRY_USERNAME` and `CATALYST_REGISTRY_PASSWORD` for `registry`, when
    /// both are set and `CATALYST_REGISTRY_HOST` (if set) names that registry.
    pub fn from_env(registry: &str) -> Option<Self> {
        let username = std::env::var(ENV_REGISTRY_USERNAME).ok().filter(|s| !s.is_empty())?;
        let password = std::env::var(ENV_REGISTRY_PASSWORD).ok()?;
        if let Ok(host) = std::env::var(ENV_REGISTRY_HOST)
            && !host.is_empty()
            && !host.eq_ignore_ascii_case(registry)
        {
            return None;
        }
        Some(Self::new(registry, username, password))
    }

    /// From the variables when `CATALYST_REGISTRY_HOST` names the registry they belong to: for
    /// callers that pull from several registries (a Sovereign file's catalog).
    pub fn from_env_for_host() -> Option<Self> {
        let host = std::env::var(ENV_REGISTRY_HOST).ok().filter(|h| !h.is_empty())?;
        Self::from_env(&host)
    }

    /// The registry these credentials belong to.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Whether they may be sent for `registry`.
    fn for_registry(&self, registry: &str) -> bool {
        self.registry.eq_ignore_ascii_case(registry)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("registry", &self.registry)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A registry path that mirrors another, e.g. a Harbor proxy-cache project: artifacts pulled
/// under `mirror` were signed under `upstream` (OCI-6).
///
/// ```
/// use catalyst_blueprint::oci::Mirror;
/// let m: Mirror = "harbor.example.test/proxy-ghcr=ghcr.io".parse()?;
/// assert_eq!(m.upstream_of("harbor.example.test/proxy-ghcr/openova-io/bp-cilium").as_deref(), Some("ghcr.io/openova-io/bp-cilium"));
/// assert_eq!(m.upstream_of("harbor.example.test/other/bp-cilium"), None);
/// # Ok::<(), catalyst_blueprint::oci::OciError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// `registry[/path]` as pulled from.
    pub mirror: String,
    /// `registry[/path]` the signatures name.
    pub upstream: String,
}

impl Mirror {
    /// The upstream name of `name` (`registry/repository`) when it is under this mirror.
    pub fn upstream_of(&self, name: &str) -> Option<String> {
        let rest = name.strip_prefix(self.mirror.as_str())?.strip_prefix('/')?;
        Some(format!("{}/{rest}", self.upstream))
    }
}

impl std::str::FromStr for Mirror {
    type Err = OciError;
    /// `MIRROR=UPSTREAM`, each `registry[/path]`.
    fn from_str(s: &str) -> Result<Self, OciError> {
        let bad = |why: &str| {
            OciError::Usage(format!(
                "mirror {s:?}: {why}; write MIRROR=UPSTREAM, e.g. harbor.example/proxy-ghcr=ghcr.io"
            ))
        };
        let (m, u) = s.split_once('=').ok_or_else(|| bad("no '='"))?;
        let (m, u) = (m.trim().trim_end_matches('/'), u.trim().trim_end_matches('/'));
        if m.is_empty() || u.is_empty() || m.contains("://") || u.contains("://") {
            return Err(bad("both sides are registry[/path], without a scheme"));
        }
        Ok(Self { mirror: m.to_owned(), upstream: u.to_owned() })
    }
}

/// Whether a registry `host[:port]` is on this machine: `localhost`, 127.0.0.0/8 or `[::1]`.
pub fn is_loopback_registry(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(h, _)| h)
    } else {
        registry
            .rsplit_once(':')
            .map_or(registry, |(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { registry })
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// How to reach the registry.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Speak plain HTTP. Only for registries on loopback ([`is_loopback_registry`]): any
    /// other is refused with [`OciError::Usage`], so credentials never travel in clear. Off:
    /// HTTPS with verified certificates.
    pub plain_http: bool,
    /// Basic-auth credentials, sent only for their own registry; anonymous otherwise.
    pub credentials: Option<Credentials>,
    /// Token realm hosts trusted beside the registry's own host (a Harbor or GitLab registry
    /// whose token service lives on another host). Docker Hub's `auth.docker.io` is known.
    pub token_realms: Vec<String>,
    /// A content-addressed cache: blobs by digest, and the signatures seen for a digest.
    pub cache_dir: Option<PathBuf>,
    /// The largest chart layer downloaded.
    pub max_layer_bytes: u64,
    /// Caps applied while unpacking.
    pub limits: Limits,
    /// The longest wait for a connection.
    pub connect_timeout: Duration,
    /// The longest silence while waiting for bytes.
    pub read_timeout: Duration,
    /// The longest one push, sign, verify or pull takes, end to end.
    pub deadline: Duration,
    /// Mirrors whose artifacts were signed under an upstream name.
    pub mirrors: Vec<Mirror>,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            plain_http: false,
            credentials: None,
            cache_dir: None,
            max_layer_bytes: DEFAULT_MAX_LAYER_BYTES,
            limits: Limits::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            deadline: DEFAULT_DEADLINE,
            mirrors: Vec::new(),
            token_realms: Vec::new(),
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
    pub fn allows(&self, issuer: &str, identity: &str) -> Result<(), KeylessRefusal> {
        if issuer != self.issuer {
            return Err(KeylessRefusal::Issuer { found: issuer.to_owned(), allowed: self.issuer.clone() });
        }
        let ok = match &self.identity {
            IdentityMatch::Exact(want) => identity == want,
            IdentityMatch::Prefix(prefix) => identity.starts_with(prefix.as_str()),
        };
        if ok {
            Ok(())
        } else {
            Err(KeylessRefusal::Identity { found: identity.to_owned(), allowed: self.identity.clone() })
        }
    }
}

/// Why a [`KeylessPolicy`] refuses a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeylessRefusal {
    /// Issued by another OIDC issuer.
    #[error("issuer {found:?} is not the allowed {allowed:?}")]
    Issuer {
        /// The certificate's issuer.
        found: String,
        /// The policy's issuer.
        allowed: String,
    },
    /// Issued for an identity the policy does not allow.
    #[error("identity {found:?} is not allowed by {allowed:?}")]
    Identity {
        /// The certificate's identity.
        found: String,
        /// The policy's identity match.
        allowed: IdentityMatch,
    },
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
    /// Manifests, `/v2/` and token requests: no redirect is followed.
    http: reqwest::Client,
    /// Blobs: registries redirect them to storage; reqwest drops `Authorization` when a
    /// redirect leaves the registry's origin.
    blob_http: reqwest::Client,
    /// The `Authorization` value for a `registry/repository` and operation, once known
    /// (`None`: anonymous works).
    auth_cache: std::sync::Mutex<BTreeMap<String, Option<http::HeaderValue>>>,
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
        OciError::Registry { reference: reference.to_string(), message: remote_text(&e.to_string()) }
    }
}

impl Registry {
    /// A client with `options`.
    pub fn new(options: RegistryOptions) -> Self {
        let config = ClientConfig {
            protocol: if options.plain_http { ClientProtocol::Http } else { ClientProtocol::Https },
            read_timeout: Some(options.read_timeout),
            connect_timeout: Some(options.connect_timeout),
            ..ClientConfig::default()
        };
        // NB: the builder fails only when the TLS backend cannot start; the default client
        // then fails every request with that error, which is where it gets reported.
        let client = |redirect| {
            reqwest::Client::builder()
                .connect_timeout(options.connect_timeout)
                .read_timeout(options.read_timeout)
                .redirect(redirect)
                .user_agent(concat!("catalyst-blueprint/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default()
        };
        Self {
            client: Client::new(config),
            http: client(reqwest::redirect::Policy::none()),
            blob_http: client(blob_redirects(options.plain_http)),
            auth_cache: std::sync::Mutex::default(),
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

    /// Runs one operation under the transport rules and the deadline: plain HTTP only to a
    /// loopback registry, and the whole operation done within [`RegistryOptions::deadline`].
    async fn bounded<T>(
        &self,
        reference: &ArtifactRef,
        op: impl Future<Output = Result<T, OciError>>,
    ) -> Result<T, OciError> {
        if self.options.plain_http && !is_loopback_registry(reference.registry()) {
            return Err(OciError::Usage(format!(
                "plain HTTP is only allowed to a registry on loopback (localhost, 127.0.0.0/8, [::1]), not {}: credentials and content would travel in clear",
                reference.registry()
            )));
        }
        tokio::time::timeout(self.options.deadline, op).await.map_err(|_| OciError::Timeout {
            reference: reference.to_string(),
            after: self.options.deadline,
        })?
    }

    /// Pushes `package` to `target` (which names a tag, not a digest) and returns the
    /// manifest digest. Blobs the registry has already are not uploaded again.
    pub async fn push(&self, package: &Package, target: &ArtifactRef) -> Result<Digest, OciError> {
        self.bounded(target, self.push_inner(package, target)).await
    }

    async fn push_inner(&self, package: &Package, target: &ArtifactRef) -> Result<Digest, OciError> {
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
        self.push_auth(target).await?;
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
        self.push_auth(target).await?;
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
        self.bounded(reference, self.resolve_inner(reference)).await
    }

    async fn resolve_inner(&self, reference: &ArtifactRef) -> Result<(Digest, Vec<u8>), OciError> {
        if reference.tag().is_none()
            && let Some(digest) = reference.digest()
            && let Some(bytes) = self.cache.as_ref().and_then(|c| c.blob(digest))
        {
            return Ok((digest.clone(), bytes));
        }
        let bytes = self
            .fetch_manifest_opt(reference)
            .await?
            .ok_or_else(|| OciError::NotFound(reference.to_string()))?;
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
        Ok((actual, bytes))
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
        self.bounded(target, self.sign_inner(target, digest, key)).await
    }

    async fn sign_inner(
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

    fn base_url(&self, reference: &ArtifactRef) -> String {
        let scheme = if self.options.plain_http { "http" } else { "https" };
        format!("{scheme}://{}", to_oci(reference).resolve_registry())
    }

    /// The `Authorization` value for `reference`'s repository (`None`: anonymous), found the
    /// way registries expect: `GET /v2/`, then the challenge it answers with. Credentials go
    /// only to the registry itself (Basic) or to a token realm on its own site over HTTPS
    /// ([`auth::check_realm`]), never to wherever a challenge points.
    async fn authorize(
        &self,
        reference: &ArtifactRef,
        push: bool,
    ) -> Result<Option<http::HeaderValue>, OciError> {
        let oci = to_oci(reference);
        let key =
            format!("{}/{}#{}", oci.resolve_registry(), oci.repository(), if push { "push" } else { "pull" });
        if let Some(cached) = self.auth_cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(cached);
        }
        let fail = |message: String| OciError::Registry { reference: reference.to_string(), message };
        let url = format!("{}/v2/", self.base_url(reference));
        let resp = self.http.get(&url).send().await.map_err(|e| fail(format!("GET {url}: {e}")))?;
        let value = if resp.status() == http::StatusCode::UNAUTHORIZED {
            let challenge = resp
                .headers()
                .get(http::header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .and_then(auth::parse_challenge)
                .ok_or_else(|| {
                    fail("the registry wants authentication it does not describe (WWW-Authenticate)".into())
                })?;
            let credentials =
                self.options.credentials.as_ref().filter(|c| c.for_registry(reference.registry()));
            let header = match challenge {
                auth::Challenge::Basic => {
                    let c = credentials.ok_or_else(|| {
                        fail(format!("the registry wants credentials: set {ENV_REGISTRY_USERNAME} and {ENV_REGISTRY_PASSWORD}"))
                    })?;
                    let basic = base64::engine::general_purpose::STANDARD
                        .encode(format!("{}:{}", c.username, c.password));
                    format!("Basic {basic}")
                }
                auth::Challenge::Bearer { realm, service } => {
                    let realm = auth::check_realm(
                        oci.resolve_registry(),
                        &realm,
                        self.options.plain_http,
                        &self.options.token_realms,
                    )
                    .map_err(fail)?;
                    let scope = format!(
                        "repository:{}:{}",
                        oci.repository(),
                        if push { "pull,push" } else { "pull" }
                    );
                    let token = auth::fetch_token(&self.http, realm, service.as_deref(), &scope, credentials)
                        .await
                        .map_err(fail)?;
                    format!("Bearer {token}")
                }
            };
            let mut value =
                http::HeaderValue::from_str(&header).map_err(|_| fail("unusable credentials".into()))?;
            value.set_sensitive(true);
            Some(value)
        } else {
            None
        };
        if let Ok(mut cache) = self.auth_cache.lock() {
            cache.insert(key, value.clone());
        }
        Ok(value)
    }

    /// Hands oci-client (push only) credentials found by [`Registry::authorize`], so its own
    /// token flow never runs.
    async fn push_auth(&self, target: &ArtifactRef) -> Result<(), OciError> {
        let auth = match self.authorize(target, true).await? {
            None => RegistryAuth::Anonymous,
            Some(value) => {
                let text = value.to_str().unwrap_or_default();
                match (
                    text.strip_prefix("Bearer "),
                    self.options.credentials.as_ref().filter(|c| c.for_registry(target.registry())),
                ) {
                    (Some(token), _) => RegistryAuth::Bearer(token.to_owned()),
                    (None, Some(c)) => RegistryAuth::Basic(c.username.clone(), c.password.clone()),
                    (None, None) => RegistryAuth::Anonymous,
                }
            }
        };
        self.client.store_auth_if_needed(to_oci(target).resolve_registry(), &auth).await;
        Ok(())
    }

    /// A GET of `url` for `reference`, authorized when the registry asks for it.
    async fn get(
        &self,
        client: &reqwest::Client,
        url: &str,
        accept: &str,
        reference: &ArtifactRef,
    ) -> Result<reqwest::Response, OciError> {
        let fail = |message: String| OciError::Registry { reference: reference.to_string(), message };
        let oci = to_oci(reference);
        let key = format!("{}/{}#pull", oci.resolve_registry(), oci.repository());
        let mut auth = self.auth_cache.lock().ok().and_then(|c| c.get(&key).cloned().flatten());
        for attempt in 0..3 {
            let mut req = client.get(url).header(http::header::ACCEPT, accept);
            if let Some(value) = &auth {
                req = req.header(http::header::AUTHORIZATION, value.clone());
            }
            let resp = req.send().await.map_err(|e| fail(format!("GET {url}: {e}")))?;
            if resp.status() != http::StatusCode::UNAUTHORIZED || attempt == 2 {
                return Ok(resp);
            }
            // Not yet authorized, or the cached token expired: authorize afresh, once more.
            if let Ok(mut cache) = self.auth_cache.lock() {
                cache.remove(&key);
            }
            auth = self.authorize(reference, false).await?;
            if auth.is_none() {
                return Ok(resp);
            }
        }
        Err(fail(format!("GET {url}: the registry refused the credentials (401)")))
    }

    /// Reads a response body under `limit` bytes (refused as soon as it passes the cap,
    /// whatever `Content-Length` claims), reporting progress.
    async fn read_capped(
        &self,
        mut resp: reqwest::Response,
        reference: &ArtifactRef,
        what: &'static str,
        limit: u64,
    ) -> Result<Vec<u8>, OciError> {
        let too_large = |size| OciError::TooLarge { reference: reference.to_string(), what, size, limit };
        if let Some(len) = resp.content_length()
            && len > limit
        {
            return Err(too_large(len));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| OciError::Registry {
            reference: reference.to_string(),
            message: format!("reading the {what}: {e}"),
        })? {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(too_large((bytes.len() + chunk.len()) as u64));
            }
            bytes.extend_from_slice(&chunk);
            if what == "chart layer" {
                self.report(Transfer::Advance(chunk.len() as u64));
            }
        }
        self.downloaded.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(bytes)
    }

    /// The error of a non-success answer, its body read only in part.
    async fn answer_error(resp: reqwest::Response, reference: &ArtifactRef, url: &str) -> OciError {
        let status = resp.status();
        let mut resp = resp;
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() > 64 * 1024 {
                break;
            }
        }
        let text = String::from_utf8_lossy(&body);
        if status == http::StatusCode::NOT_FOUND
            || text.contains("MANIFEST_UNKNOWN")
            || text.contains("NAME_UNKNOWN")
            || text.contains("BLOB_UNKNOWN")
        {
            return OciError::NotFound(reference.to_string());
        }
        OciError::Registry {
            reference: reference.to_string(),
            message: format!("GET {url} answered {status}: {}", remote_text(&text)),
        }
    }

    /// A manifest, `None` when the registry does not have it. Read as a stream and refused as
    /// soon as it passes [`MAX_MANIFEST_BYTES`], whatever `Content-Length` claims.
    async fn fetch_manifest_opt(&self, reference: &ArtifactRef) -> Result<Option<Vec<u8>>, OciError> {
        // With both a tag and a digest the tag is asked for, so a moved tag is noticed.
        let at = match (reference.tag(), reference.digest()) {
            (Some(tag), _) => tag.to_owned(),
            (None, Some(d)) => d.to_string(),
            (None, None) => "latest".to_owned(),
        };
        let url =
            format!("{}/v2/{}/manifests/{at}", self.base_url(reference), to_oci(reference).repository());
        let resp = self.get(&self.http, &url, OCI_MANIFEST, reference).await?;
        if !resp.status().is_success() {
            return match Self::answer_error(resp, reference, &url).await {
                OciError::NotFound(_) => Ok(None),
                other => Err(other),
            };
        }
        self.read_capped(resp, reference, "manifest", MAX_MANIFEST_BYTES as u64).await.map(Some)
    }

    /// Resolves `reference` and verifies a cosign signature of its digest against `keys`:
    /// any one key verifying any one signature whose payload names this digest is enough.
    pub async fn verify(&self, reference: &ArtifactRef, keys: &[PublicKey]) -> Result<Verified, OciError> {
        self.bounded(reference, async {
            let (digest, _) = self.resolve_inner(reference).await?;
            self.verify_digest(reference, &digest, keys).await
        })
        .await
    }

    /// The `registry/repository` a signature must name for `reference`: its own, or the
    /// upstream one when it is pulled through a configured mirror.
    fn signed_name(&self, reference: &ArtifactRef) -> String {
        let name = reference.name();
        self.options.mirrors.iter().find_map(|m| m.upstream_of(&name)).unwrap_or(name)
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
        let expected = self.signed_name(reference);
        if let Some(cache) = &self.cache
            && let Some((manifest, payloads)) = cache.signatures(digest)
            && let Ok(verified) = check_signatures(&at_digest, digest, &expected, &manifest, &payloads, keys)
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
            detail: remote_text(&e.to_string()),
        })?;
        let signatures = manifest.layers.iter().filter(|l| l.media_type == COSIGN_SIMPLE_SIGNING).count();
        if signatures > MAX_SIGNATURES {
            return Err(OciError::MalformedSignature {
                reference: at_digest.to_string(),
                detail: format!("{signatures} signatures; at most {MAX_SIGNATURES} are read"),
            });
        }
        let mut payloads = BTreeMap::new();
        for layer in manifest.layers.iter().filter(|l| l.media_type == COSIGN_SIMPLE_SIGNING) {
            if layer.size > MAX_PAYLOAD_BYTES {
                continue; // reported as malformed by check_signatures
            }
            let bytes = self.fetch_blob(reference, &layer.digest, layer.size, "signature payload").await?;
            payloads.insert(layer.digest.clone(), bytes);
        }
        let verified = check_signatures(&at_digest, digest, &expected, &manifest, &payloads, keys)?;
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
        let url =
            format!("{}/v2/{}/blobs/{digest}", self.base_url(reference), to_oci(reference).repository());
        self.report(Transfer::Start { what, total: size });
        let resp = self.get(&self.blob_http, &url, "*/*", reference).await;
        let bytes = match resp {
            Ok(resp) if resp.status().is_success() => self.read_capped(resp, reference, what, limit).await,
            Ok(resp) => Err(Self::answer_error(resp, reference, &url).await),
            Err(e) => Err(e),
        };
        self.report(Transfer::Finish);
        let bytes = bytes?;
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
    ///
    /// What is unpacked must be what was asked for: the manifest's title and version
    /// annotations, and the Blueprint inside (its blueprint.yaml, else its Chart.yaml), must
    /// name the repository's last path segment and the version the tag names
    /// ([`ExpectedVersion::from_tag`]: `1.4.2` exactly, `1.4` a final `1.4.x`; only `latest`
    /// names none, so pin a version or a digest to be safe from rollbacks); otherwise the pull
    /// is [`OciError::ReferenceMismatch`] and nothing is written.
    pub async fn pull(
        &self,
        reference: &ArtifactRef,
        verification: &Verification,
        out: &Path,
    ) -> Result<Pulled, OciError> {
        self.bounded(reference, self.pull_inner(reference, verification, out)).await
    }

    async fn pull_inner(
        &self,
        reference: &ArtifactRef,
        verification: &Verification,
        out: &Path,
    ) -> Result<Pulled, OciError> {
        let before = self.downloaded.load(Ordering::Relaxed);
        let (digest, manifest_bytes) = self.resolve_inner(reference).await?;
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
        let expected = expected_identity(&self.signed_name(reference), reference.tag());
        let mismatch =
            |detail: String| OciError::ReferenceMismatch { reference: reference.to_string(), detail };
        if let Some(got) = manifest.annotations.get(ANNOTATION_TITLE)
            && *got != expected.name
        {
            return Err(mismatch(format!(
                "the manifest's {ANNOTATION_TITLE} is {:?}, not {:?}",
                remote_text(got),
                expected.name
            )));
        }
        if let Some(got) = manifest.annotations.get(ANNOTATION_VERSION)
            && !expected.version.admits(got)
        {
            return Err(mismatch(format!(
                "the manifest's {ANNOTATION_VERSION} is {:?}, not {}",
                remote_text(got),
                expected.version
            )));
        }
        let layer = self.fetch_blob(&at_digest, &chart.digest, chart.size, "chart layer").await?;
        let unpacked =
            unpack_expecting(&layer, out, self.options.limits, Some(&expected)).map_err(|e| match e {
                ArchiveError::WrongBlueprint(detail) => mismatch(detail),
                other => OciError::Archive(other),
            })?;
        Ok(Pulled {
            digest,
            verified,
            unpacked,
            downloaded: self.downloaded.load(Ordering::Relaxed) - before,
        })
    }
}

/// Blob redirects (registries hand blobs to storage): at most 5, never from HTTPS to plain
/// HTTP, and never to a loopback, private or link-local address literal unless the registry is
/// reached over plain HTTP on loopback (a test registry). reqwest drops `Authorization` when a
/// redirect leaves the registry's origin.
fn blob_redirects(plain_http: bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 5 {
            return attempt.error("more than 5 redirects");
        }
        let from_https = attempt.previous().last().is_some_and(|u| u.scheme() == "https");
        if from_https && attempt.url().scheme() != "https" {
            return attempt.error("a redirect from HTTPS to plain HTTP");
        }
        let host = attempt.url().host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let internal = match host.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(ip)) => {
                ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
            }
            Ok(std::net::IpAddr::V6(ip)) => {
                ip.is_loopback() || ip.is_unicast_link_local() || ip.is_unique_local() || ip.is_unspecified()
            }
            Err(_) => host.is_empty() || host.eq_ignore_ascii_case("localhost"),
        };
        if internal && !plain_http {
            return attempt.error("a redirect to an internal address");
        }
        attempt.follow()
    })
}

/// Checks the cosign signatures in `manifest` (payloads by digest) for `digest`.
/// A signature is for `expected` (`registry/repository`) when its payload's docker-reference
/// names the same repository path; the registry host may differ (copies between registries
/// keep their signatures), a mirror's path is mapped before this is called.
fn names_repository(docker_reference: &str, expected: &str) -> bool {
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
fn expected_identity(name: &str, tag: Option<&str>) -> Expected {
    Expected {
        name: name.rsplit('/').next().unwrap_or(name).to_owned(),
        version: ExpectedVersion::from_tag(tag),
    }
}

/// Checks the cosign signatures in `manifest` (payloads by digest) for `digest`, signed for
/// the repository `expected`.
fn check_signatures(
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
        assert!(matches!(
            policy.allows("https://accounts.google.com", wf),
            Err(KeylessRefusal::Issuer { found, .. }) if found == "https://accounts.google.com"
        ));
        assert!(
            policy
                .allows(
                    "https://token.actions.githubusercontent.com",
                    "https://github.com/evil/x/.github/workflows/a.yaml@main"
                )
                .unwrap_err()
                .to_string()
                .contains("is not allowed")
        );
    }
}
