//! The validating admission webhook for `spec.placement.targets[]` (opt-in with
//! `--placement-webhook-addr`): `POST /validate-placement` takes an `admission.k8s.io/v1`
//! `AdmissionReview` and answers one, always HTTP 200 with the request's `uid`, denying with
//! `placement-invalid: <Reason>: <message>`; `/healthz` answers `ok`. It fails closed: when the
//! Blueprint's `placementCapability` cannot be read, the request is denied. Updates that keep
//! the placement and the Blueprint, and Applications being deleted, are not gated. Served over
//! TLS (rustls) from a certificate and key file, read again when they change (a renewal).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use catalyst_core::apps::validate_placement;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use serde_json::{Value, json};
use tracing::{info, warn};

/// Connections served at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 64;
/// The longest one connection is served.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);
/// The longest one Blueprint lookup waits (two are made at most: v1, then v1alpha1).
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(4);
/// The largest `AdmissionReview` read.
pub const MAX_REVIEW_BYTES: usize = 1024 * 1024;

/// Where a Blueprint's `spec.placementCapability` comes from.
pub trait Capabilities: Send + Sync + 'static {
    /// The capability of Blueprint `name` (empty when it declares none).
    ///
    /// # Errors
    /// Why it could not be read (the request is then denied).
    fn capability(&self, name: &str) -> impl Future<Output = Result<String, String>> + Send;
}

/// Blueprints read from the Kubernetes API (`catalyst.openova.io` v1, then v1alpha1).
#[derive(Clone)]
pub struct KubeCapabilities(pub kube::Client);

impl Capabilities for KubeCapabilities {
    async fn capability(&self, name: &str) -> Result<String, String> {
        for version in ["v1", "v1alpha1"] {
            let r = ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk("catalyst.openova.io", version, "Blueprint"),
                "blueprints",
            );
            let api: Api<DynamicObject> = Api::all_with(self.0.clone(), &r);
            // Two lookups at most, within the API server's 10 s webhook timeout.
            match tokio::time::timeout(LOOKUP_TIMEOUT, api.get_opt(name)).await {
                Ok(Ok(Some(bp))) => {
                    let v = serde_json::to_value(bp).unwrap_or_default();
                    return Ok(v
                        .pointer("/spec/placementCapability")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned());
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => {
                    return Err(format!(
                        "no answer from the Kubernetes API within {}s",
                        LOOKUP_TIMEOUT.as_secs()
                    ));
                }
            }
        }
        Err(format!("Blueprint {name:?} not found"))
    }
}

fn answer(uid: &Value, denied: Option<String>) -> Value {
    let response = match denied {
        None => json!({"uid": uid, "allowed": true}),
        Some(message) => json!({
            "uid": uid,
            "allowed": false,
            "status": {"status": "Failure", "message": message, "reason": "Invalid", "code": 422},
        }),
    };
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response})
}

/// The review of one `AdmissionReview` body: `(HTTP status, body)`. Malformed input is 400;
/// everything else is 200 with an `AdmissionReview` answer.
pub async fn review<C: Capabilities>(caps: &C, body: &[u8]) -> (StatusCode, String) {
    let review: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("decode AdmissionReview: {e}")),
    };
    let request = &review["request"];
    let uid = request.get("uid").cloned().unwrap_or(Value::Null);
    let deny = |m: String| (StatusCode::OK, answer(&uid, Some(m)).to_string());
    let allow = || (StatusCode::OK, answer(&uid, None).to_string());
    if !request.is_object() {
        return deny("empty AdmissionReview request".into());
    }
    if request["operation"] == "DELETE" {
        return allow();
    }
    let object = &request["object"];
    if object.is_null() {
        return deny("admission request carries no object".into());
    }
    if !object.is_object() {
        return deny("decode Application object: not an object".into());
    }
    // An Application being deleted (its finalizer removed), or an update that keeps its
    // placement and Blueprint (status, labels, the finalizer added): nothing to gate. Denying
    // them would leave Applications stuck once their Blueprint is gone or narrowed.
    if object.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null()) {
        return allow();
    }
    let old = &request["oldObject"];
    if request["operation"] == "UPDATE"
        && old.is_object()
        && old["spec"]["placement"] == object["spec"]["placement"]
        && old["spec"]["blueprintRef"] == object["spec"]["blueprintRef"]
        && old["spec"]["blueprintName"] == object["spec"]["blueprintName"]
    {
        return allow();
    }
    let placement = &object["spec"]["placement"];
    let Some(targets) = placement.get("targets").and_then(Value::as_array).filter(|t| !t.is_empty()) else {
        // A string posture, or no targets: never gated.
        return allow();
    };
    let blueprint = object
        .pointer("/spec/blueprintRef/name")
        .or_else(|| object.pointer("/spec/blueprintName"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let capability = match caps.capability(blueprint).await {
        Ok(c) => c,
        Err(e) => return deny(format!("resolve Blueprint placementCapability: {e}")),
    };
    match validate_placement(targets, &capability) {
        Ok(()) => allow(),
        Err(refusal) => deny(format!("placement-invalid: {refusal}")),
    }
}

/// The webhook's routes: `POST /validate-placement` (1 MiB at most), `GET /healthz`.
pub fn router<C: Capabilities>(caps: Arc<C>) -> Router {
    Router::new()
        .route(
            "/validate-placement",
            post(|State(caps): State<Arc<C>>, body: Bytes| async move {
                let (status, body) = review(caps.as_ref(), &body).await;
                (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body)
            }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(MAX_REVIEW_BYTES))
        .with_state(caps)
}

/// The certificate chain and key as rustls serves them, read from PEM files.
fn load_certified(cert: &Path, key: &Path) -> anyhow::Result<rustls::sign::CertifiedKey> {
    use anyhow::Context as _;
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing {}", cert.display()))?;
    anyhow::ensure!(!certs.is_empty(), "{}: no certificate", cert.display());
    let key =
        PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading the key {}", key.display()))?;
    rustls::sign::CertifiedKey::from_der(certs, key, &rustls::crypto::aws_lc_rs::default_provider())
        .context("the certificate and key do not match")
}

/// When a file was last changed (following symlinks, as a Kubernetes Secret volume swaps them).
fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The serving certificate, read again when its files change: cert-manager renews it in the
/// mounted Secret, and a webhook that kept serving the old one would be refused by the API
/// server once the injected CA changes (with `failurePolicy: Fail`, every Application write).
/// A renewal that cannot be read keeps the previous certificate and is logged.
#[derive(Debug)]
struct Reloading {
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
    current: std::sync::Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    stamps: (Option<std::time::SystemTime>, Option<std::time::SystemTime>),
    certified: Arc<rustls::sign::CertifiedKey>,
}

impl rustls::server::ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: rustls::server::ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
        let stamps = (modified(&self.cert), modified(&self.key));
        let mut current = self.current.lock().ok()?;
        if stamps != current.stamps {
            match load_certified(&self.cert, &self.key) {
                Ok(certified) => {
                    info!(cert = %self.cert.display(), "serving the renewed webhook certificate");
                    *current = Loaded { stamps, certified: Arc::new(certified) };
                }
                Err(e) => {
                    // Half-written (the certificate already new, the key not yet): try again
                    // on the next handshake, serving the previous one meanwhile.
                    warn!(error = %format!("{e:#}"), "the renewed webhook certificate cannot be used yet");
                }
            }
        }
        Some(current.certified.clone())
    }
}

/// The rustls server configuration from a PEM certificate chain and key, read again whenever
/// the files change.
///
/// # Errors
/// A file that cannot be read or holds no usable certificate or key, named.
pub fn tls_config(cert: &Path, key: &Path) -> anyhow::Result<rustls::ServerConfig> {
    use anyhow::Context as _;
    let stamps = (modified(cert), modified(key));
    let certified = Arc::new(load_certified(cert, key)?);
    let resolver = Reloading {
        cert: cert.to_owned(),
        key: key.to_owned(),
        current: std::sync::Mutex::new(Loaded { stamps, certified }),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver)))
}

/// Serves `router` over TLS on `addr` in the background; returns the bound address. Each
/// handshake must finish within 10 s.
///
/// # Errors
/// The address cannot be bound.
pub async fn serve_tls(
    addr: SocketAddr,
    tls: rustls::ServerConfig,
    router: Router,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    info!(%bound, "serving the placement webhook");
    tokio::spawn(async move {
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else { return };
            let tcp = match listener.accept().await {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Out of descriptors, for instance: wait instead of spinning.
                    warn!(error = %e, "accepting a webhook connection failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            let (acceptor, router) = (acceptor.clone(), router.clone());
            tokio::spawn(async move {
                let _permit = permit;
                let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => return warn!(error = %e, "TLS handshake failed"),
                    Err(_) => return warn!("TLS handshake timed out"),
                };
                let service = hyper_util::service::TowerToHyperService::new(router);
                let mut builder =
                    hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                builder
                    .http1()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10));
                builder.http2().max_concurrent_streams(8);
                // A connection lives at most this long, however slowly its client talks.
                let _ = tokio::time::timeout(
                    CONNECTION_LIFETIME,
                    builder.serve_connection(hyper_util::rt::TokioIo::new(tls), service),
                )
                .await;
            });
        }
    });
    Ok(bound)
}
