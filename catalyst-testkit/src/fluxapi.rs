//! A Kubernetes API server over real HTTP on loopback, for what a binary reaches through a
//! kubeconfig: the HelmRelease CRD (`apiextensions.k8s.io/v1`) and `helm.toolkit.fluxcd.io`
//! HelmReleases in their namespaces, with get, paged lists and watches that stream events
//! from the resource version asked for, as the real API server does.
//!
//! Every request is checked against the Kubernetes API reference for these endpoints: method
//! `GET`, `Authorization: Bearer <token>`, a known path, and only the query parameters the
//! endpoint documents (`pretty` for a get; `allowWatchBookmarks`, `continue`,
//! `fieldSelector`, `labelSelector`, `limit`, `pretty`, `resourceVersion`,
//! `resourceVersionMatch`, `sendInitialEvents`, `timeoutSeconds` and `watch` for a list or
//! watch) with well-formed values. A request that breaks a rule is answered as the API server
//! would (401, 404, 405, 400) and recorded in [`FluxApi::violations`], which a test expects
//! empty.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The CRD whose versions decide which HelmRelease paths exist.
pub const CRD_NAME: &str = "helmreleases.helm.toolkit.fluxcd.io";

const LIST_PARAMS: [&str; 11] = [
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "pretty",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
];

/// One request the server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The query string.
    pub query: String,
}

#[derive(Default)]
struct Inner {
    crd: Option<Value>,
    /// HelmReleases by `<namespace>/<name>`.
    releases: BTreeMap<String, Value>,
    rv: u64,
    /// Every change: resource version, event type, object.
    history: Vec<(u64, &'static str, Value)>,
    /// Open watches: the namespace watched and where to send its events.
    watches: Vec<(String, mpsc::UnboundedSender<Bytes>)>,
    log: Vec<Seen>,
    violations: Vec<String>,
}

#[derive(Clone)]
struct Shared {
    token: String,
    inner: Arc<Mutex<Inner>>,
}

/// The server; stopped when dropped.
pub struct FluxApi {
    addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FluxApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The real Flux 2.4 HelmRelease CRD (`upstream-crds/flux-v2.4.0`: serves v2, v2beta1 and
/// v2beta2).
pub fn flux_crd() -> Value {
    let text = std::fs::read_to_string(crate::fixture(
        "upstream-crds/flux-v2.4.0/helm.toolkit.fluxcd.io_helmreleases.yaml",
    ))
    .unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// A HelmRelease `name` in `flux-system` with a `Ready` condition (`None`: no status yet).
pub fn helmrelease(name: &str, ready: Option<(&str, &str, &str)>) -> Value {
    let mut obj = json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": "flux-system"},
        "spec": {"interval": "10m", "chart": {"spec": {"chart": name, "sourceRef": {"kind": "HelmRepository", "name": "openova"}}}},
    });
    if let Some((status, reason, message)) = ready {
        obj["status"] = json!({"conditions": [{
            "type": "Ready", "status": status, "reason": reason, "message": message,
            "lastTransitionTime": "2026-12-07T00:00:00Z",
        }]});
    }
    obj
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code.as_u16()});
    (code, [("content-type", "application/json")], body.to_string()).into_response()
}

impl FluxApi {
    /// Starts on a free 127.0.0.1 port serving `crd` (none: the CRD is absent) to clients
    /// that present `token`.
    pub async fn start(crd: Option<Value>, token: &str) -> std::io::Result<Self> {
        let shared = Shared {
            token: token.to_owned(),
            inner: Arc::new(Mutex::new(Inner { crd, rv: 1, ..Inner::default() })),
        };
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes a kubeconfig for this server and the token to `path`.
    pub fn write_kubeconfig(&self, path: &Path) {
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: new\n  cluster: {{server: '{}'}}\nusers:\n- name: phase1\n  user: {{token: {}}}\ncontexts:\n- name: new\n  context: {{cluster: new, user: phase1}}\ncurrent-context: new\n",
            self.url(),
            self.shared.token
        );
        std::fs::write(path, text).unwrap();
    }

    /// Creates or replaces a HelmRelease (its namespace and name from its metadata), with a new
    /// resource version, and sends the change to the open watches of its namespace.
    pub fn apply(&self, mut obj: Value) {
        let mut s = self.shared.inner.lock().unwrap();
        s.rv += 1;
        let rv = s.rv;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        let ns = obj["metadata"]["namespace"].as_str().unwrap().to_owned();
        let key = format!("{ns}/{}", obj["metadata"]["name"].as_str().unwrap());
        let kind = if s.releases.insert(key, obj.clone()).is_some() { "MODIFIED" } else { "ADDED" };
        s.history.push((rv, kind, obj.clone()));
        send(&mut s, &ns, kind, &obj);
    }

    /// Deletes a HelmRelease of `flux-system`, sending `DELETED`.
    pub fn delete(&self, name: &str) {
        let mut s = self.shared.inner.lock().unwrap();
        let Some(mut obj) = s.releases.remove(&format!("flux-system/{name}")) else { return };
        s.rv += 1;
        let rv = s.rv;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        s.history.push((rv, "DELETED", obj.clone()));
        send(&mut s, "flux-system", "DELETED", &obj);
    }

    /// Installs (or removes) the HelmRelease CRD, as installing Flux does.
    pub fn set_crd(&self, crd: Option<Value>) {
        self.shared.inner.lock().unwrap().crd = crd;
    }

    /// Ends every open watch, as an API server does at its timeout or on a restart.
    pub fn close_watches(&self) {
        self.shared.inner.lock().unwrap().watches.clear();
    }

    /// Watch requests received so far.
    pub fn watch_requests(&self) -> usize {
        self.requests().iter().filter(|r| r.query.split('&').any(|p| p == "watch=true")).count()
    }

    /// Waits (up to 60 s) until `n` watch requests arrived.
    pub async fn wait_for_watches(&self, n: usize) {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while self.watch_requests() < n {
            assert!(
                std::time::Instant::now() < until,
                "no watch request #{n} within 60s: {:?}",
                self.requests()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.shared.inner.lock().unwrap().log.clone()
    }

    /// Requests that broke the API's rules, each with the rule.
    pub fn violations(&self) -> Vec<String> {
        self.shared.inner.lock().unwrap().violations.clone()
    }
}

fn watch_line(kind: &str, obj: &Value) -> Bytes {
    let mut line = json!({"type": kind, "object": obj}).to_string();
    line.push('\n');
    Bytes::from(line)
}

fn send(s: &mut Inner, ns: &str, kind: &str, obj: &Value) {
    let line = watch_line(kind, obj);
    s.watches.retain(|(watched, tx)| watched != ns || tx.send(line.clone()).is_ok());
}

/// The query's pairs, or the violation.
fn params(query: &str, allowed: &[&str]) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if !allowed.contains(&k.as_ref()) {
            return Err(format!("unknown query parameter {k:?}"));
        }
        let ok = match k.as_ref() {
            "limit" | "timeoutSeconds" => v.parse::<u64>().is_ok(),
            "watch" | "allowWatchBookmarks" | "sendInitialEvents" | "pretty" => v == "true" || v == "false",
            "resourceVersionMatch" => v == "Exact" || v == "NotOlderThan",
            _ => true,
        };
        if !ok {
            return Err(format!("{k}={v:?} is not a valid value"));
        }
        if out.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(format!("query parameter {k:?} given twice"));
        }
    }
    if out.contains_key("resourceVersionMatch") && !out.contains_key("resourceVersion") {
        return Err("resourceVersionMatch without resourceVersion".into());
    }
    if out.get("watch").is_some_and(|w| w == "true") && out.contains_key("resourceVersionMatch") {
        return Err("resourceVersionMatch on a watch".into());
    }
    Ok(out)
}

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let auth =
        req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let mut s = shared.inner.lock().unwrap();
    s.log.push(Seen { method: method.clone(), path: path.clone(), query: query.clone() });
    let refuse = |s: &mut Inner, rule: String, code: StatusCode, reason: &str| {
        s.violations.push(format!("{method} {path}?{query}: {rule}"));
        status(code, reason, &rule)
    };
    if auth != format!("Bearer {}", shared.token) {
        return refuse(&mut s, "no valid bearer token".into(), StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    if method != "GET" {
        return refuse(
            &mut s,
            "the watch only reads".into(),
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
        );
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["apis", "apiextensions.k8s.io", "v1", "customresourcedefinitions", name] => {
            if let Err(rule) = params(&query, &["pretty"]) {
                return refuse(&mut s, rule, StatusCode::BAD_REQUEST, "BadRequest");
            }
            match &s.crd {
                Some(crd) if *name == CRD_NAME => Json(crd.clone()).into_response(),
                _ => status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    &format!("customresourcedefinitions.apiextensions.k8s.io \"{name}\" not found"),
                ),
            }
        }
        ["apis", "helm.toolkit.fluxcd.io", version, "namespaces", ns, "helmreleases"] => {
            let served = s.crd.as_ref().is_some_and(|crd| {
                crd["spec"]["versions"]
                    .as_array()
                    .is_some_and(|vs| vs.iter().any(|v| v["name"] == *version && v["served"] == true))
            });
            if !served {
                // What the API server answers for a group/version it does not serve.
                return status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "the server could not find the requested resource",
                );
            }
            let p = match params(&query, &LIST_PARAMS) {
                Ok(p) => p,
                Err(rule) => return refuse(&mut s, rule, StatusCode::BAD_REQUEST, "BadRequest"),
            };
            let ns = (*ns).to_owned();
            if p.get("watch").is_some_and(|w| w == "true") {
                watch(&mut s, &ns, &p)
            } else {
                list(&s, &ns, &p)
            }
        }
        _ => refuse(&mut s, "no such endpoint".into(), StatusCode::NOT_FOUND, "NotFound"),
    }
}

struct Json(Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        ([("content-type", "application/json")], self.0.to_string()).into_response()
    }
}

fn list(s: &Inner, ns: &str, p: &BTreeMap<String, String>) -> Response {
    let items: Vec<&Value> =
        s.releases.iter().filter(|(k, _)| k.split('/').next() == Some(ns)).map(|(_, v)| v).collect();
    let from: usize = p.get("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
    let limit: usize = p.get("limit").and_then(|l| l.parse().ok()).filter(|l| *l > 0).unwrap_or(usize::MAX);
    let page: Vec<&Value> = items.iter().skip(from).take(limit).copied().collect();
    let mut metadata = json!({"resourceVersion": s.rv.to_string()});
    if from.saturating_add(limit) < items.len() {
        metadata["continue"] = json!((from + limit).to_string());
        metadata["remainingItemCount"] = json!(items.len() - from - limit);
    }
    Json(json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmReleaseList", "metadata": metadata, "items": page}))
        .into_response()
}

/// A watch from the resource version asked for (the changes after it first), then every
/// change as it happens, until [`FluxApi::close_watches`] or the client leaves.
fn watch(s: &mut Inner, ns: &str, p: &BTreeMap<String, String>) -> Response {
    let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
    match p.get("resourceVersion").and_then(|rv| rv.parse::<u64>().ok()).filter(|rv| *rv > 0) {
        Some(from) => {
            for (rv, kind, obj) in &s.history {
                if *rv > from && obj["metadata"]["namespace"] == ns {
                    let _ = tx.send(watch_line(kind, obj));
                }
            }
        }
        // Unset or "0": the current state as ADDED events, then the changes.
        None => {
            for (key, obj) in &s.releases {
                if key.split('/').next() == Some(ns) {
                    let _ = tx.send(watch_line("ADDED", obj));
                }
            }
        }
    }
    s.watches.push((ns.to_owned(), tx));
    let body = futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|o| o.map(Ok::<_, Infallible>)));
    ([("content-type", "application/json")], Body::from_stream(body)).into_response()
}
