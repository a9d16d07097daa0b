//! The registry client: push, sign, resolve, verify and pull.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use super::auth;
use super::cache::Cache;
use super::keys::{PublicKey, SigningKey};
use crate::artifact::{
    ANNOTATION_TITLE, ANNOTATION_VERSION, ArchiveError, ArtifactRef, COSIGN_SIGNATURE_ANNOTATION,
    COSIGN_SIMPLE_SIGNING, Descriptor, Digest, Expected, HELM_CHART_LAYER, HELM_CONFIG, MAX_MANIFEST_BYTES,
    MAX_PAYLOAD_BYTES, Manifest, OCI_IMAGE_CONFIG, OCI_MANIFEST, Package, SigningPayload, Unpacked,
    check_identity, unpack_expecting,
};
use catalyst_naming::untrusted::remote_text;

use super::keyless::{
    Artifact, Bundle, COSIGN_CERTIFICATE_ANNOTATION, COSIGN_SIGN_PREDICATE, KeylessError, TrustedRoot,
    predicate_type, sha256_bytes, verify_cosign_layer, verify_parsed,
};

/// The OCI image index media type (referrers lists).
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The artifact and layer media type prefix of Sigstore bundles attached as referrers.
const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle";

use super::verify::{KeylessPolicy, check_signatures, expected_identity, names_repository};
use super::{
    ENV_REGISTRY_PASSWORD, ENV_REGISTRY_USERNAME, MAX_SIGNATURES, OciError, RegistryOptions, Verification,
    Verified, is_loopback_registry,
};

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

tokio::task_local! {
    /// Bytes fetched from the registry by the operation running in this task: each call has
    /// its own count, so concurrent pulls on clones of one client do not mix theirs.
    static DOWNLOADED: std::cell::Cell<u64>;
}

/// A client for one registry configuration. Cheap to clone: clones share the connection
/// pools, the auth cache and the blob cache; each call reports its own byte count.
#[derive(Clone)]
pub struct Registry {
    client: Client,
    /// Manifests, `/v2/` and token requests: no redirect is followed.
    http: reqwest::Client,
    /// Blobs: registries redirect them to storage; reqwest drops `Authorization` when a
    /// redirect leaves the registry's origin.
    blob_http: reqwest::Client,
    /// The `Authorization` value for a `registry/repository` and operation, once known
    /// (`None`: anonymous works).
    auth_cache: Arc<std::sync::Mutex<BTreeMap<String, Option<http::HeaderValue>>>>,
    cache: Option<Cache>,
    options: RegistryOptions,
    progress: Option<Arc<ProgressFn>>,
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
            auth_cache: Arc::default(),
            cache: options.cache_dir.clone().map(Cache::new),
            options,
            progress: None,
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
            // reqwest's Display leaves out the cause (refused, TLS, DNS): show the chain.
            let resp = req
                .send()
                .await
                .map_err(|e| fail(format!("GET {url}: {}", catalyst_naming::diagnostic::Chain(&e))))?;
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
            message: format!("reading the {what}: {}", catalyst_naming::diagnostic::Chain(&e)),
        })? {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(too_large((bytes.len() + chunk.len()) as u64));
            }
            bytes.extend_from_slice(&chunk);
            if what == "chart layer" {
                self.report(Transfer::Advance(chunk.len() as u64));
            }
        }
        // Outside a counted call (no scope), there is nothing to add to.
        let _ = DOWNLOADED.try_with(|n| n.set(n.get() + bytes.len() as u64));
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
        let _ = DOWNLOADED.try_with(|n| n.set(n.get() + body.len() as u64));
        let text = String::from_utf8_lossy(&body);
        // Only a 404 means "not there": an error code in the body of a 403, 429 or 500 must
        // not hide that answer behind "not found".
        if status == http::StatusCode::NOT_FOUND
            || (status.is_client_error()
                && status != http::StatusCode::FORBIDDEN
                && status != http::StatusCode::TOO_MANY_REQUESTS
                && (text.contains("MANIFEST_UNKNOWN")
                    || text.contains("NAME_UNKNOWN")
                    || text.contains("BLOB_UNKNOWN")))
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
        self.fetch_json_opt(reference, &url, OCI_MANIFEST).await
    }

    /// A manifest or index at `url`, `None` on 404, capped at [`MAX_MANIFEST_BYTES`].
    async fn fetch_json_opt(
        &self,
        reference: &ArtifactRef,
        url: &str,
        accept: &str,
    ) -> Result<Option<Vec<u8>>, OciError> {
        let resp = self.get(&self.http, url, accept, reference).await?;
        if !resp.status().is_success() {
            return match Self::answer_error(resp, reference, url).await {
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

    /// Verifies `reference` as `verification` demands (keys or a keyless policy), without
    /// unpacking anything.
    pub async fn verify_with(
        &self,
        reference: &ArtifactRef,
        verification: &Verification,
    ) -> Result<Verified, OciError> {
        self.bounded(reference, async {
            // A reference pinned by digest alone names what to verify: the signatures are
            // looked up for it without fetching the artifact.
            let digest = match (reference.tag(), reference.digest()) {
                (None, Some(d)) => d.clone(),
                _ => self.resolve_inner(reference).await?.0,
            };
            match verification {
                Verification::Keys(keys) => self.verify_digest(reference, &digest, keys).await,
                Verification::Keyless { policy, root } => {
                    self.verify_keyless(reference, &digest, policy, root).await
                }
                Verification::InsecureSkip => {
                    Err(OciError::Usage("verification was asked for with --insecure-skip-verify".into()))
                }
            }
        })
        .await
    }

    /// The cosign keyless signatures of `digest`: any one layer of its `.sig` manifest whose
    /// certificate, Rekor entry and signature verify for this digest under `policy`, and whose
    /// payload names this repository, is enough.
    async fn verify_keyless(
        &self,
        reference: &ArtifactRef,
        digest: &Digest,
        policy: &KeylessPolicy,
        root: &TrustedRoot,
    ) -> Result<Verified, OciError> {
        let at_digest = reference.at_digest(digest.clone());
        let expected = self.signed_name(reference);
        let sig_ref = reference.at_tag(&digest.signature_tag());
        let manifest = match self.fetch_manifest_opt(&sig_ref).await? {
            Some(bytes) => Manifest::parse(&bytes).map_err(|e| OciError::MalformedSignature {
                reference: at_digest.to_string(),
                detail: remote_text(&e.to_string()),
            })?,
            None => Manifest::new(Descriptor::of(OCI_IMAGE_CONFIG, b"{}"), Vec::new(), BTreeMap::new()),
        };
        let layers: Vec<&Descriptor> = manifest
            .layers
            .iter()
            .filter(|l| {
                l.media_type == COSIGN_SIMPLE_SIGNING
                    && l.annotations.contains_key(COSIGN_CERTIFICATE_ANNOTATION)
            })
            .take(MAX_SIGNATURES)
            .collect();
        let mut refusal = None;
        let mut elsewhere = None;
        for layer in &layers {
            if layer.size > MAX_PAYLOAD_BYTES {
                continue;
            }
            let payload = self.fetch_blob(reference, &layer.digest, layer.size, "signature payload").await?;
            match verify_cosign_layer(layer, &payload, digest, policy, root) {
                Ok(v) => {
                    let named = SigningPayload::parse(&payload)
                        .is_ok_and(|p| names_repository(&p.critical.identity.docker_reference, &expected));
                    if !named {
                        elsewhere = Some(OciError::ReferenceMismatch {
                            reference: at_digest.to_string(),
                            detail: format!(
                                "the keyless signature was made for another repository than {expected}"
                            ),
                        });
                        continue;
                    }
                    return Ok(Verified {
                        digest: digest.clone(),
                        key: format!("{} ({})", v.identity, v.issuer),
                        signatures: layers.len(),
                    });
                }
                Err(e) => refusal = Some(e),
            }
        }
        // Sigstore bundles attached as referrers sign the digest itself (no repository in
        // them: a copy of the artifact elsewhere carries the same proof).
        let bundles = self.referrer_bundles(reference, digest).await?;
        if let Some(d) = sha256_bytes(digest) {
            for bundle in &bundles {
                // A DSSE bundle counts as a signature only with cosign's signing predicate:
                // provenance or a scan report about the artifact is not a signature of it.
                let checked = Bundle::parse(bundle).and_then(|b| match predicate_type(&b) {
                    Some(p) if p != COSIGN_SIGN_PREDICATE => Err(KeylessError::Unsupported(format!(
                        "an attestation with predicate {p:?} is not a signature (expected {COSIGN_SIGN_PREDICATE})"
                    ))),
                    _ => verify_parsed(&b, Artifact::Sha256(d), policy, root),
                });
                match checked {
                    Ok(v) => {
                        return Ok(Verified {
                            digest: digest.clone(),
                            key: format!("{} ({})", v.identity, v.issuer),
                            signatures: layers.len() + bundles.len(),
                        });
                    }
                    Err(e) => refusal = Some(e),
                }
            }
        }
        if let Some(e) = elsewhere {
            return Err(e);
        }
        match refusal {
            Some(refusal) => Err(OciError::Keyless { reference: at_digest.to_string(), refusal }),
            None => Err(OciError::SignatureMissing {
                reference: at_digest.to_string(),
                tag: digest.signature_tag(),
            }),
        }
    }

    /// The Sigstore bundles attached to `digest` as OCI 1.1 referrers: from the referrers API,
    /// or, on a registry without it, from the referrers tag `sha256-<hex>` (an index).
    async fn referrer_bundles(
        &self,
        reference: &ArtifactRef,
        digest: &Digest,
    ) -> Result<Vec<Vec<u8>>, OciError> {
        let base = format!("{}/v2/{}", self.base_url(reference), to_oci(reference).repository());
        let api = self.fetch_json_opt(reference, &format!("{base}/referrers/{digest}"), OCI_INDEX).await?;
        let index = if let Some(index) = api {
            index
        } else {
            // No referrers API: the referrers tag schema.
            let tag = digest.as_str().replace(':', "-");
            match self.fetch_json_opt(reference, &format!("{base}/manifests/{tag}"), OCI_INDEX).await? {
                Some(index) => index,
                None => return Ok(Vec::new()),
            }
        };
        let index: serde_json::Value =
            serde_json::from_slice(&index).map_err(|e| OciError::MalformedSignature {
                reference: reference.at_digest(digest.clone()).to_string(),
                detail: format!("the referrers index is not JSON: {e}"),
            })?;
        let descriptors: Vec<Descriptor> = index["manifests"]
            .as_array()
            .map(|m| m.iter().filter_map(|d| serde_json::from_value(d.clone()).ok()).collect())
            .unwrap_or_default();
        let mut bundles = Vec::new();
        for d in descriptors
            .iter()
            .filter(|d| d.artifact_type.as_deref().is_some_and(|t| t.starts_with(SIGSTORE_BUNDLE)))
            .take(MAX_SIGNATURES)
        {
            let at = reference.at_digest(d.digest.clone());
            let Some(bytes) = self.fetch_manifest_opt(&at).await? else { continue };
            let Ok(m) = Manifest::parse(&bytes).map(|m| (d.digest.matches(&bytes), m)) else { continue };
            // A referrer names what it refers to; one for another artifact is not ours.
            let (true, m) = m else { continue };
            if m.subject.as_ref().is_some_and(|s| s.digest != *digest) {
                continue;
            }
            if let Some(layer) = m.layers.iter().find(|l| l.media_type.starts_with(SIGSTORE_BUNDLE))
                && layer.size <= MAX_PAYLOAD_BYTES
            {
                bundles
                    .push(self.fetch_blob(reference, &layer.digest, layer.size, "signature payload").await?);
            }
        }
        Ok(bundles)
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
            // The declared size is the cap: a registry that says 1 byte and sends more is cut
            // off there (the digest check then fails), not read up to the limit.
            Ok(resp) if resp.status().is_success() => self.read_capped(resp, reference, what, size).await,
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

    /// The chart layer of a Blueprint artifact's manifest, the Blueprint the reference asks
    /// for, and whether the manifest names it: the manifest must be a Helm chart (its config
    /// type, exactly one chart layer), and its title and version annotations, where present,
    /// must name that Blueprint. Without both annotations only the chart itself can tell.
    fn blueprint_manifest(
        &self,
        reference: &ArtifactRef,
        at_digest: &ArtifactRef,
        manifest_bytes: &[u8],
    ) -> Result<(Descriptor, Expected, bool), OciError> {
        let manifest = Manifest::parse(manifest_bytes)
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
        let named = manifest.annotations.contains_key(ANNOTATION_TITLE)
            && manifest.annotations.contains_key(ANNOTATION_VERSION);
        Ok(((*chart).clone(), expected, named))
    }

    /// Verifies that `reference` (a tag or digest of a Blueprint artifact) is signed by one of
    /// `keys` **and** is the Blueprint it names, without unpacking anything: the signature
    /// as [`verify`](Self::verify) checks it, then the manifest as [`pull`](Self::pull) checks
    /// it (a Helm chart artifact whose title and version annotations name the repository's
    /// Blueprint and the tag's version). A manifest without those annotations has its chart
    /// layer fetched (within the layer cap) and read in memory instead. So an old or foreign
    /// artifact re-tagged under this name is [`OciError::ReferenceMismatch`], even though its
    /// signature is good.
    pub async fn verify_blueprint(
        &self,
        reference: &ArtifactRef,
        keys: &[PublicKey],
    ) -> Result<Verified, OciError> {
        self.bounded(reference, async {
            let (digest, manifest_bytes) = self.resolve_inner(reference).await?;
            let verified = self.verify_digest(reference, &digest, keys).await?;
            let at_digest = reference.at_digest(digest);
            let (chart, expected, named) = self.blueprint_manifest(reference, &at_digest, &manifest_bytes)?;
            if !named {
                let layer = self.fetch_blob(&at_digest, &chart.digest, chart.size, "chart layer").await?;
                check_identity(&layer, self.options.limits, &expected).map_err(|e| match e {
                    ArchiveError::WrongBlueprint(detail) => {
                        OciError::ReferenceMismatch { reference: reference.to_string(), detail }
                    }
                    other => OciError::Archive(other),
                })?;
            }
            Ok(verified)
        })
        .await
    }

    /// Resolves `reference`, verifies it as `verification` demands, then fetches the chart
    /// layer and unpacks it into `out` (OCI-2, OCI-3, OCI-5). Nothing is fetched beyond the
    /// manifest and signatures, and nothing is written, before verification passed.
    ///
    /// What is unpacked must be what was asked for: the manifest's title and version
    /// annotations, and the Blueprint inside (its blueprint.yaml, else its Chart.yaml), must
    /// name the repository's last path segment and the version the tag names
    /// ([`ExpectedVersion::from_tag`](crate::artifact::ExpectedVersion::from_tag): `1.4.2` exactly, `1.4` a final `1.4.x`; only `latest`
    /// names none, so pin a version or a digest to be safe from rollbacks); otherwise the pull
    /// is [`OciError::ReferenceMismatch`] and nothing is written.
    pub async fn pull(
        &self,
        reference: &ArtifactRef,
        verification: &Verification,
        out: &Path,
    ) -> Result<Pulled, OciError> {
        DOWNLOADED
            .scope(std::cell::Cell::new(0), async {
                let mut pulled =
                    self.bounded(reference, self.pull_inner(reference, verification, out)).await?;
                pulled.downloaded = DOWNLOADED.with(std::cell::Cell::get);
                Ok(pulled)
            })
            .await
    }

    async fn pull_inner(
        &self,
        reference: &ArtifactRef,
        verification: &Verification,
        out: &Path,
    ) -> Result<Pulled, OciError> {
        let (digest, manifest_bytes) = self.resolve_inner(reference).await?;
        let verified = match verification {
            Verification::Keys(keys) => Some(self.verify_digest(reference, &digest, keys).await?),
            Verification::Keyless { policy, root } => {
                Some(self.verify_keyless(reference, &digest, policy, root).await?)
            }
            Verification::InsecureSkip => {
                tracing::warn!(reference = %reference, digest = %digest, "signature verification SKIPPED (insecure-skip-verify): installing unverified content");
                None
            }
        };
        let at_digest = reference.at_digest(digest.clone());
        let (chart, expected, _) = self.blueprint_manifest(reference, &at_digest, &manifest_bytes)?;
        let mismatch =
            |detail: String| OciError::ReferenceMismatch { reference: reference.to_string(), detail };
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
            // Set by `pull` from this call's count.
            downloaded: 0,
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
