//! A stateful in-memory stand-in for the Kubernetes API: Environments (read, metadata-only
//! lists, server-side-apply status), Leases (create, read, replace with 409 on a stale
//! `resourceVersion`) and the namespaced kinds of [`NAMESPACED_OBJECTS`] (get, label-selector
//! and cluster-wide lists, replace with 409 on a stale `resourceVersion`, merge-patch with a
//! generation bump on spec changes, status apply, delete), reached through kube's tower-test
//! mock. Every request is logged.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use catalyst_core::crd::Environment;
use http::{Request, Response};
use kube::client::Body;
use serde_json::{Value, json};

/// One request the API received.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiRequest {
    /// Method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The query string.
    pub query: String,
    /// JSON body.
    pub body: Option<Value>,
    /// The Accept header.
    pub accept: String,
    /// The Content-Type header (`application/apply-patch+yaml` for server-side apply).
    pub content_type: String,
}

#[derive(Default)]
struct State {
    envs: BTreeMap<String, Value>,
    leases: BTreeMap<String, Value>,
    /// CNPG Clusters and Gateway API routes, by `<group>/<plural>/<namespace>/<name>`.
    objects: BTreeMap<String, Value>,
    /// Writes (PUT) to these keys answer 500 (a fault to roll back from), this many more times.
    fail_writes_to: BTreeMap<String, u32>,
    rv: u64,
    log: Vec<ApiRequest>,
    fail_status_writes: bool,
    /// Injected answers: (method, text in `path?query`, status, Retry-After seconds, times left).
    faults: Vec<(String, String, u16, Option<u32>, u32)>,
    /// How long a watch request is held before it ends (none: it ends at once).
    watch_hold: Option<std::time::Duration>,
}

impl State {
    /// Whether a write to `key` fails now (and counts it).
    fn injected_failure(&mut self, key: &str) -> bool {
        match self.fail_writes_to.get_mut(key) {
            Some(0) | None => false,
            Some(n) => {
                // u32::MAX means "always".
                if *n != u32::MAX {
                    *n -= 1;
                }
                true
            }
        }
    }
}

/// A list of Environments: metadata only when asked for `as=PartialObjectMetadataList`, as
/// the API server answers; a watch ends at once (the tests read the list).
fn list(s: &State, req: &ApiRequest) -> (u16, Value) {
    if req.query.contains("watch=true") {
        // The watch ends at once; the tests read the list.
        return (200, Value::Null);
    }
    // A metadata-only list, as the API server answers `as=PartialObjectMetadataList`.
    let metadata = req.accept.contains("as=PartialObjectMetadataList");
    let items: Vec<Value> = s
        .envs
        .values()
        .map(|v| {
            if metadata {
                json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": v["metadata"]})
            } else {
                v.clone()
            }
        })
        .collect();
    let (api_version, kind) = if metadata {
        ("meta.k8s.io/v1", "PartialObjectMetadataList")
    } else {
        ("catalyst.openova.io/v1", "EnvironmentList")
    };
    (
        200,
        json!({"apiVersion": api_version, "kind": kind, "metadata": {"resourceVersion": s.rv.to_string()}, "items": items}),
    )
}

/// GET or status PATCH of one Environment.
fn env_object(s: &mut State, req: &ApiRequest, rest: &str) -> (u16, Value) {
    let (name, sub) = rest.split_once('/').map_or((rest, ""), |(n, sub)| (n, sub));
    match (req.method.as_str(), sub) {
        ("GET", "") => match s.envs.get(name) {
            Some(v) => (200, v.clone()),
            None => {
                status(404, "NotFound", &format!("environments.catalyst.openova.io \"{name}\" not found"))
            }
        },
        ("PATCH", "status") => {
            if s.fail_status_writes {
                return status(500, "InternalError", "etcdserver: request timed out");
            }
            s.rv += 1;
            let rv = s.rv.to_string();
            let Some(obj) = s.envs.get_mut(name) else {
                return status(
                    404,
                    "NotFound",
                    &format!("environments.catalyst.openova.io \"{name}\" not found"),
                );
            };
            obj["status"] = req.body.as_ref().and_then(|b| b.get("status")).cloned().unwrap_or(Value::Null);
            obj["metadata"]["resourceVersion"] = Value::String(rv);
            (200, obj.clone())
        }
        _ => status(405, "MethodNotAllowed", "not served by the fake API"),
    }
}

/// POST of an Environment: created, or 409 when it exists.
fn create_env(s: &mut State, req: &ApiRequest) -> (u16, Value) {
    let mut env = req.body.clone().unwrap_or_default();
    let name = env["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    if s.envs.contains_key(&name) {
        return status(
            409,
            "AlreadyExists",
            &format!("environments.catalyst.openova.io \"{name}\" already exists"),
        );
    }
    s.rv += 1;
    env["metadata"]["resourceVersion"] = Value::String(s.rv.to_string());
    env["metadata"]["generation"] = json!(1);
    env["metadata"]["uid"] = json!(format!("uid-{name}"));
    s.envs.insert(name, env.clone());
    (201, env)
}

/// The in-memory API.
#[derive(Clone, Default)]
pub struct FakeApi {
    state: Arc<Mutex<State>>,
}

const ENVS: &str = "/apis/catalyst.openova.io/v1/environments/";
const LEASES: &str = "/apis/coordination.k8s.io/v1/namespaces/";

fn status(code: u16, reason: &str, message: &str) -> (u16, Value) {
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code}),
    )
}

impl FakeApi {
    /// A kube client talking to this API.
    pub fn client(&self) -> kube::Client {
        let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
        let api = self.clone();
        tokio::spawn(async move {
            while let Some((request, respond)) = handle.next_request().await {
                let (parts, body) = request.into_parts();
                let bytes = body.collect_bytes().await.unwrap_or_default();
                let body: Option<Value> = serde_json::from_slice(&bytes).ok();
                let accept = parts
                    .headers
                    .get(http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let content_type = parts
                    .headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let req = ApiRequest {
                    accept,
                    content_type,
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_owned(),
                    query: parts.uri.query().unwrap_or_default().to_owned(),
                    body,
                };
                let (injected, hold) = {
                    let mut s = api.state.lock().unwrap();
                    let target = format!("{}?{}", req.path, req.query);
                    let fault = s.faults.iter_mut().find(|(m, text, _, _, left)| {
                        *m == req.method && target.contains(text.as_str()) && *left > 0
                    });
                    let injected = fault.map(|f| {
                        f.4 -= 1;
                        (f.2, f.3)
                    });
                    (injected, s.watch_hold.filter(|_| req.query.contains("watch=true")))
                };
                let watching = req.query.contains("watch=true");
                let mut response = Response::builder();
                let (code, answer) = match injected {
                    // As the API server says a watch's resourceVersion is too old: a 200 whose
                    // one event is an ERROR carrying 410 Gone (the watcher then lists again).
                    Some((410, _)) if watching => (
                        200,
                        json!({"type": "ERROR", "object": status(410, "Expired", "too old resource version").1}),
                    ),
                    Some((code, retry_after)) => {
                        if let Some(secs) = retry_after {
                            response = response.header("Retry-After", secs.to_string());
                        }
                        status(code, "Injected", &format!("injected {code}"))
                    }
                    None => api.answer(&req),
                };
                api.state.lock().unwrap().log.push(req);
                let response =
                    response.status(code).body(Body::from(answer.to_string().into_bytes())).unwrap();
                match hold {
                    // A watch that stays open this long (with no event), then ends, as an
                    // API server's watches end at their timeout.
                    Some(hold) if watching && injected.is_none() => {
                        tokio::spawn(async move {
                            tokio::time::sleep(hold).await;
                            respond.send_response(response);
                        });
                    }
                    _ => respond.send_response(response),
                }
            }
        });
        kube::Client::new(service, "default")
    }

    fn answer(&self, req: &ApiRequest) -> (u16, Value) {
        let mut s = self.state.lock().unwrap();
        if req.path == ENVS.trim_end_matches('/') && req.method == "GET" {
            return list(&s, req);
        }
        if req.path == ENVS.trim_end_matches('/') && req.method == "POST" {
            return create_env(&mut s, req);
        }
        if let Some(rest) = req.path.strip_prefix(ENVS) {
            return env_object(&mut s, req, rest);
        }
        if let Some(rest) = req.path.strip_prefix(LEASES) {
            let parts: Vec<&str> = rest.split('/').collect();
            let key = |name: &str| format!("{}/{name}", parts[0]);
            return match (req.method.as_str(), parts.as_slice()) {
                ("GET", [_, "leases", name]) => match s.leases.get(&key(name)) {
                    Some(v) => (200, v.clone()),
                    None => {
                        status(404, "NotFound", &format!("leases.coordination.k8s.io \"{name}\" not found"))
                    }
                },
                ("POST", [_, "leases"]) => {
                    let mut lease = req.body.clone().unwrap();
                    let name = lease["metadata"]["name"].as_str().unwrap().to_owned();
                    if s.leases.contains_key(&key(&name)) {
                        return status(
                            409,
                            "AlreadyExists",
                            &format!("leases.coordination.k8s.io \"{name}\" already exists"),
                        );
                    }
                    s.rv += 1;
                    lease["metadata"]["resourceVersion"] = Value::String(s.rv.to_string());
                    s.leases.insert(key(&name), lease.clone());
                    (201, lease)
                }
                ("PUT", [ns, "leases", name]) => {
                    if s.injected_failure(&format!("coordination.k8s.io/leases/{ns}/{name}")) {
                        return status(500, "InternalError", "etcdserver: request timed out");
                    }
                    let mut lease = req.body.clone().unwrap();
                    let stored = s.leases.get(&key(name)).map(|l| l["metadata"]["resourceVersion"].clone());
                    if stored != Some(lease["metadata"]["resourceVersion"].clone()) {
                        return status(
                            409,
                            "Conflict",
                            "the object has been modified; please apply your changes to the latest version and try again",
                        );
                    }
                    s.rv += 1;
                    lease["metadata"]["resourceVersion"] = Value::String(s.rv.to_string());
                    s.leases.insert(key(name), lease.clone());
                    (200, lease)
                }
                _ => status(405, "MethodNotAllowed", "not served by the fake API"),
            };
        }
        if req.path == "/api/v1/namespaces" && req.method == "GET" {
            let items: Vec<Value> = s
                .objects
                .iter()
                .filter(|(k, _)| k.starts_with("v1/namespaces/"))
                .map(|(_, v)| v.clone())
                .collect();
            return (
                200,
                json!({"apiVersion": "v1", "kind": "NamespaceList", "metadata": {"resourceVersion": s.rv.to_string()}, "items": items}),
            );
        }
        if let Some(name) = req.path.strip_prefix("/api/v1/namespaces/").filter(|n| !n.contains('/')) {
            return match s.objects.get(&format!("v1/namespaces/{name}")) {
                Some(v) if req.method == "GET" => (200, v.clone()),
                Some(_) => status(405, "MethodNotAllowed", "not served by the fake API"),
                None => status(404, "NotFound", &format!("namespaces \"{name}\" not found")),
            };
        }
        if let Some(answer) = core_object(&s, req) {
            return answer;
        }
        if let Some(answer) = cluster_object(&mut s, req) {
            return answer;
        }
        if let Some(answer) = list_all(&s, req) {
            return answer;
        }
        if let Some(answer) = namespaced_object(&mut s, req) {
            return answer;
        }
        status(404, "NotFound", "not served by the fake API")
    }

    /// Replaces a stored Lease's spec fields, as another replica writing it would.
    /// Stores a CNPG Cluster or an `HTTPRoute` (any `apiVersion` served by
    /// [`NAMESPACED_OBJECTS`]) as the API would hold it.
    pub fn put_object(&self, obj: &Value) {
        let mut s = self.state.lock().unwrap();
        s.rv += 1;
        let mut obj = obj.clone();
        obj["metadata"]["resourceVersion"] = Value::String(s.rv.to_string());
        let key = object_key(&obj).unwrap();
        s.objects.insert(key, obj);
    }

    /// Deletes a stored object (`group/plural/namespace/name`), as `kubectl delete` would.
    pub fn delete_object(&self, key: &str) {
        self.state.lock().unwrap().objects.remove(key);
    }

    /// Applies a JSON merge patch to a stored object, as another client would (a spec change
    /// bumps `metadata.generation`).
    pub fn patch_object(&self, key: &str, patch: &Value) {
        let mut s = self.state.lock().unwrap();
        s.rv += 1;
        let rv = s.rv.to_string();
        let obj = s.objects.get_mut(key).unwrap();
        let spec_before = obj["spec"].clone();
        merge_patch(obj, patch);
        if obj["spec"] != spec_before {
            let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
            obj["metadata"]["generation"] = json!(generation + 1);
        }
        obj["metadata"]["resourceVersion"] = Value::String(rv);
    }

    /// A stored CNPG Cluster or `HTTPRoute`: `group/plural/namespace/name`.
    pub fn object(&self, key: &str) -> Option<Value> {
        self.state.lock().unwrap().objects.get(key).cloned()
    }

    /// Every stored generic object whose key starts with `prefix`, in key order.
    pub fn objects_with_prefix(&self, prefix: &str) -> Vec<Value> {
        let s = self.state.lock().unwrap();
        s.objects.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(_, v)| v.clone()).collect()
    }

    /// Makes every PUT to `key` (`group/plural/namespace/name`) fail with 500.
    pub fn fail_writes_to(&self, key: &str) {
        self.fail_writes(key, u32::MAX);
    }

    /// Makes the next `times` PUTs to `key` fail with 500: `group/plural/namespace/name`, or
    /// `coordination.k8s.io/leases/namespace/name` for a Lease.
    pub fn fail_writes(&self, key: &str, times: u32) {
        self.state.lock().unwrap().fail_writes_to.insert(key.to_owned(), times);
    }

    pub fn write_lease(&self, namespace: &str, name: &str, spec: &Value) {
        let mut s = self.state.lock().unwrap();
        s.rv += 1;
        let rv = s.rv.to_string();
        let lease = s.leases.entry(format!("{namespace}/{name}")).or_insert_with(
            || json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name, "namespace": namespace}, "spec": {}}),
        );
        for (k, v) in spec.as_object().unwrap() {
            lease["spec"][k] = v.clone();
        }
        lease["metadata"]["resourceVersion"] = Value::String(rv);
    }

    /// Stores an Environment given as YAML (uid and resourceVersion are filled in).
    pub fn insert(&self, yaml: &str) {
        let mut v: Value = serde_saphyr::from_str(yaml).unwrap();
        let mut s = self.state.lock().unwrap();
        s.rv += 1;
        v["metadata"]["resourceVersion"] = Value::String(s.rv.to_string());
        let name = v["metadata"]["name"].as_str().unwrap().to_owned();
        s.envs.insert(name, v);
    }

    /// Answers the next `times` requests of `method` whose `path?query` contains `text` with
    /// `code` (a Status body, and `Retry-After: <secs>` when given), without acting on them.
    pub fn inject(&self, method: &str, text: &str, code: u16, retry_after: Option<u32>, times: u32) {
        self.state.lock().unwrap().faults.push((
            method.to_owned(),
            text.to_owned(),
            code,
            retry_after,
            times,
        ));
    }

    /// Injected answers not used yet.
    pub fn faults_left(&self) -> u32 {
        self.state.lock().unwrap().faults.iter().map(|f| f.4).sum()
    }

    /// Holds every watch request this long, then ends it with no event (none: at once).
    pub fn hold_watches(&self, hold: Option<std::time::Duration>) {
        self.state.lock().unwrap().watch_hold = hold;
    }

    /// Changes an Environment's spec as a user would: merge `patch` into it, bump its
    /// generation and resourceVersion.
    pub fn change_env_spec(&self, name: &str, patch: &Value) {
        let mut s = self.state.lock().unwrap();
        s.rv += 1;
        let rv = s.rv.to_string();
        let env = s.envs.get_mut(name).unwrap();
        for (k, v) in patch.as_object().unwrap() {
            env["spec"][k] = v.clone();
        }
        let generation = env["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
        env["metadata"]["generation"] = json!(generation);
        env["metadata"]["resourceVersion"] = Value::String(rv);
    }

    /// Deletes an Environment.
    pub fn delete(&self, name: &str) {
        self.state.lock().unwrap().envs.remove(name);
    }

    /// The stored Environment.
    pub fn env(&self, name: &str) -> Environment {
        serde_json::from_value(self.state.lock().unwrap().envs[name].clone()).unwrap()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<ApiRequest> {
        self.state.lock().unwrap().log.clone()
    }

    /// Requests that change something.
    pub fn writes(&self) -> Vec<ApiRequest> {
        self.requests().into_iter().filter(|r| r.method != "GET").collect()
    }

    /// Makes status writes fail with 500.
    pub fn fail_status_writes(&self, fail: bool) {
        self.state.lock().unwrap().fail_status_writes = fail;
    }

    /// The stored Lease.
    pub fn lease(&self, namespace: &str, name: &str) -> Option<Value> {
        self.state.lock().unwrap().leases.get(&format!("{namespace}/{name}")).cloned()
    }
}

/// An Environment manifest.
pub fn environment(name: &str, org: &str, env_type: &str, placement: &str, regions: &[&str]) -> String {
    format!(
        "apiVersion: catalyst.openova.io/v1\nkind: Environment\nmetadata: {{name: {name}, uid: uid-{name}, generation: 1}}\n\
         spec:\n  organizationRef: {org}\n  envType: {env_type}\n  placement: {placement}\n  regions:\n{}",
        regions.iter().map(|r| ["    - ", r, "\n"].concat()).collect::<String>()
    )
}

/// `{provider: hetzner, region: R, buildingBlock: rtz}`.
pub fn hetzner(region: &str) -> String {
    format!("{{provider: hetzner, region: {region}, buildingBlock: rtz}}")
}

/// The namespaced kinds served generically: (group, version, plural, kind).
pub const NAMESPACED_OBJECTS: [(&str, &str, &str, &str); 8] = [
    ("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    ("postgresql.cnpg.io", "v1", "clusters", "Cluster"),
    ("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute"),
    ("dr.openova.io", "v1", "continuums", "Continuum"),
    ("apps.openova.io", "v1", "applications", "Application"),
    ("helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease"),
    ("source.toolkit.fluxcd.io", "v1", "gitrepositories", "GitRepository"),
    ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "Kustomization"),
];

/// The cluster-scoped kinds served generically (besides Environments): (group, version,
/// plural, kind).
pub const CLUSTER_OBJECTS: [(&str, &str, &str, &str); 6] = [
    ("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole"),
    ("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding"),
    ("orgs.openova.io", "v1", "organizations", "Organization"),
    ("access.openova.io", "v1alpha1", "useraccesses", "UserAccess"),
    ("catalyst.openova.io", "v1", "blueprints", "Blueprint"),
    ("catalyst.openova.io", "v1alpha1", "blueprints", "Blueprint"),
];

/// The namespaced core kinds served for reads (`put_object` stores them): (plural, kind).
pub const CORE_OBJECTS: [(&str, &str); 2] =
    [("limitranges", "LimitRange"), ("resourcequotas", "ResourceQuota")];

/// GET of a namespaced core object (`/api/v1/namespaces/<ns>/<plural>/<name>`).
fn core_object(s: &State, req: &ApiRequest) -> Option<(u16, Value)> {
    let rest = req.path.strip_prefix("/api/v1/namespaces/")?;
    let [ns, plural, name] = rest.split('/').collect::<Vec<_>>()[..] else { return None };
    CORE_OBJECTS.iter().find(|(p, _)| *p == plural)?;
    if req.method != "GET" {
        return Some(status(405, "MethodNotAllowed", "not served by the fake API"));
    }
    Some(match s.objects.get(&format!("v1/{plural}/{ns}/{name}")) {
        Some(v) => (200, v.clone()),
        None => status(404, "NotFound", &format!("{plural} \"{name}\" not found")),
    })
}

/// A cluster-scoped generic object (`/apis/<g>/<v>/<plural>[/<name>[/status]]`): list, get,
/// merge patch (a `resourceVersion` in it is a precondition), server-side apply (creates),
/// status apply and delete.
fn cluster_object(s: &mut State, req: &ApiRequest) -> Option<(u16, Value)> {
    let rest = req.path.strip_prefix("/apis/")?;
    if let [group, version, plural] = rest.split('/').collect::<Vec<_>>()[..]
        && let Some((_, _, _, kind)) =
            CLUSTER_OBJECTS.iter().find(|(g, v, p, _)| *g == group && *v == version && *p == plural)
    {
        if req.query.contains("watch=true") {
            return Some((200, Value::Null));
        }
        let prefix = format!("{group}/{version}/{plural}/");
        let selector = selector_of(&req.query);
        let items: Vec<Value> = s
            .objects
            .iter()
            .filter(|(k, v)| k.starts_with(&prefix) && selected(v, &selector))
            .map(|(_, v)| v.clone())
            .collect();
        return Some((
            200,
            json!({"apiVersion": format!("{group}/{version}"), "kind": format!("{kind}List"), "metadata": {"resourceVersion": s.rv.to_string()}, "items": items}),
        ));
    }
    let (group, version, plural, name, sub) = match rest.split('/').collect::<Vec<_>>()[..] {
        [g, v, p, n] => (g, v, p, n, ""),
        [g, v, p, n, sub] => (g, v, p, n, sub),
        _ => return None,
    };
    CLUSTER_OBJECTS.iter().find(|(g, v, p, _)| *g == group && *v == version && *p == plural)?;
    let key = format!("{group}/{version}/{plural}/{name}");
    let what = format!("{plural}.{group} \"{name}\"");
    Some(match (req.method.as_str(), sub) {
        ("GET", "") => match s.objects.get(&key) {
            Some(v) => (200, v.clone()),
            None => status(404, "NotFound", &format!("{what} not found")),
        },
        ("PATCH", "" | "status") => {
            if s.injected_failure(&key) {
                return Some(status(500, "InternalError", "etcdserver: request timed out"));
            }
            patch(s, req, &key, sub, &what)
        }
        ("DELETE", "") => match s.objects.remove(&key) {
            Some(v) => (200, v),
            None => status(404, "NotFound", &format!("{what} not found")),
        },
        _ => status(405, "MethodNotAllowed", "not served by the fake API"),
    })
}

/// The `k=v` pairs of a `labelSelector` query parameter.
fn selector_of(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|q| q.strip_prefix("labelSelector="))
        .flat_map(|sel| {
            let sel = sel.replace("%3D", "=").replace("%2C", ",").replace("%2F", "/");
            sel.split(',')
                .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn selected(obj: &Value, selector: &[(String, String)]) -> bool {
    selector.iter().all(|(k, want)| obj["metadata"]["labels"][k] == *want.as_str())
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

/// A cluster-wide list of a generic kind (`/apis/<g>/<v>/<plural>`): full objects, or metadata
/// only when asked for `as=PartialObjectMetadataList`; a watch ends at once.
fn list_all(s: &State, req: &ApiRequest) -> Option<(u16, Value)> {
    let rest = req.path.strip_prefix("/apis/")?;
    let [group, version, plural] = rest.split('/').collect::<Vec<_>>()[..] else { return None };
    let (_, _, _, kind) =
        NAMESPACED_OBJECTS.iter().find(|(g, v, p, _)| *g == group && *v == version && *p == plural)?;
    if req.method != "GET" {
        return None;
    }
    if req.query.contains("watch=true") {
        return Some((200, Value::Null));
    }
    let metadata = req.accept.contains("as=PartialObjectMetadataList");
    let prefix = format!("{group}/{plural}/");
    let selector = selector_of(&req.query);
    let items: Vec<Value> = s
        .objects
        .iter()
        .filter(|(k, v)| k.starts_with(&prefix) && selected(v, &selector))
        .map(|(_, v)| {
            if metadata {
                json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": v["metadata"]})
            } else {
                v.clone()
            }
        })
        .collect();
    let (api_version, kind) = if metadata {
        ("meta.k8s.io/v1".to_owned(), "PartialObjectMetadataList".to_owned())
    } else {
        (format!("{group}/{version}"), format!("{kind}List"))
    };
    Some((
        200,
        json!({"apiVersion": api_version, "kind": kind, "metadata": {"resourceVersion": s.rv.to_string()}, "items": items}),
    ))
}

fn object_key(obj: &Value) -> Option<String> {
    let api_version = obj["apiVersion"].as_str()?;
    if api_version == "v1" && obj["kind"] == "Namespace" {
        return Some(format!("v1/namespaces/{}", obj["metadata"]["name"].as_str()?));
    }
    if api_version == "v1" {
        let (plural, _) = CORE_OBJECTS.iter().find(|(_, k)| obj["kind"] == *k)?;
        return Some(format!(
            "v1/{plural}/{}/{}",
            obj["metadata"]["namespace"].as_str()?,
            obj["metadata"]["name"].as_str()?
        ));
    }
    let (group, version) = api_version.split_once('/')?;
    if let Some((g, v, plural, _)) =
        CLUSTER_OBJECTS.iter().find(|(g, v, _, k)| *g == group && *v == version && obj["kind"] == *k)
    {
        return Some(format!("{g}/{v}/{plural}/{}", obj["metadata"]["name"].as_str()?));
    }
    let (g, _, plural, _) =
        NAMESPACED_OBJECTS.iter().find(|(g, v, _, k)| *g == group && *v == version && obj["kind"] == *k)?;
    Some(format!(
        "{g}/{plural}/{}/{}",
        obj["metadata"]["namespace"].as_str()?,
        obj["metadata"]["name"].as_str()?
    ))
}

/// GET one, LIST with a `labelSelector` of `k=v` pairs, PUT with resourceVersion CAS.
fn namespaced_object(s: &mut State, req: &ApiRequest) -> Option<(u16, Value)> {
    let rest = req.path.strip_prefix("/apis/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let (group, version, ns, plural, name, sub) = match parts.as_slice() {
        [g, v, "namespaces", ns, plural] => (*g, *v, *ns, *plural, None, ""),
        [g, v, "namespaces", ns, plural, name] => (*g, *v, *ns, *plural, Some(*name), ""),
        [g, v, "namespaces", ns, plural, name, sub] => (*g, *v, *ns, *plural, Some(*name), *sub),
        _ => return None,
    };
    let (_, _, _, kind) =
        NAMESPACED_OBJECTS.iter().find(|(g, v, p, _)| *g == group && *v == version && *p == plural)?;
    let prefix = format!("{group}/{plural}/{ns}/");
    Some(match (req.method.as_str(), name) {
        ("PATCH", Some(name)) => {
            patch(s, req, &format!("{prefix}{name}"), sub, &format!("{plural}.{group} \"{name}\""))
        }
        ("DELETE", Some(name)) => match s.objects.remove(&format!("{prefix}{name}")) {
            Some(v) => (200, v),
            None => status(404, "NotFound", &format!("{plural}.{group} \"{name}\" not found")),
        },
        (_, _) if !sub.is_empty() => status(405, "MethodNotAllowed", "not served by the fake API"),
        ("GET", None) => {
            let selector = selector_of(&req.query);
            let items: Vec<Value> = s
                .objects
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .map(|(_, v)| v)
                .filter(|v| selector.iter().all(|(k, want)| v["metadata"]["labels"][k] == *want.as_str()))
                .cloned()
                .collect();
            (
                200,
                json!({"apiVersion": format!("{group}/{version}"), "kind": format!("{kind}List"), "metadata": {"resourceVersion": s.rv.to_string()}, "items": items}),
            )
        }
        ("GET", Some(name)) => match s.objects.get(&format!("{prefix}{name}")) {
            Some(v) => (200, v.clone()),
            None => status(404, "NotFound", &format!("{plural}.{group} \"{name}\" not found")),
        },
        ("PUT", Some(name)) => {
            let key = format!("{prefix}{name}");
            if s.injected_failure(&key) {
                return Some(status(500, "InternalError", "etcdserver: request timed out"));
            }
            let mut obj = req.body.clone().unwrap_or_default();
            let stored = s.objects.get(&key).map(|o| o["metadata"]["resourceVersion"].clone());
            if stored.is_none() {
                return Some(status(404, "NotFound", &format!("{plural}.{group} \"{name}\" not found")));
            }
            if stored != Some(obj["metadata"]["resourceVersion"].clone()) {
                return Some(status(
                    409,
                    "Conflict",
                    "the object has been modified; please apply your changes to the latest version and try again",
                ));
            }
            s.rv += 1;
            obj["metadata"]["resourceVersion"] = Value::String(s.rv.to_string());
            s.objects.insert(key, obj.clone());
            (200, obj)
        }
        _ => status(405, "MethodNotAllowed", "not served by the fake API"),
    })
}

/// PATCH of a generic object: `status` (server-side apply of the status) or the object (JSON
/// merge patch; a `metadata.resourceVersion` in it is a precondition; a spec change bumps the
/// generation).
fn patch(s: &mut State, req: &ApiRequest, key: &str, sub: &str, what: &str) -> (u16, Value) {
    if sub == "status" && s.fail_status_writes {
        return status(500, "InternalError", "etcdserver: request timed out");
    }
    s.rv += 1;
    let rv = s.rv.to_string();
    let patch = req.body.clone().unwrap_or_default();
    if !s.objects.contains_key(key) && sub.is_empty() && req.content_type.contains("apply-patch") {
        // Server-side apply creates what does not exist yet.
        let mut created = patch;
        created["metadata"]["resourceVersion"] = Value::String(rv);
        created["metadata"]["generation"] = json!(1);
        s.objects.insert(key.to_owned(), created.clone());
        return (201, created);
    }
    let Some(obj) = s.objects.get_mut(key) else {
        return status(404, "NotFound", &format!("{what} not found"));
    };
    if sub == "status" {
        // Server-side apply of the status by its one field manager: the applied status
        // is the status.
        obj["status"] = patch.get("status").cloned().unwrap_or(Value::Null);
    } else {
        // A resourceVersion in the patch is a precondition, as the API server has it.
        let expected = patch.pointer("/metadata/resourceVersion").cloned().filter(|v| !v.is_null());
        if let Some(expected) = expected
            && expected != obj["metadata"]["resourceVersion"]
        {
            s.rv -= 1;
            return status(
                409,
                "Conflict",
                "the object has been modified; please apply your changes to the latest version and try again",
            );
        }
        let spec_before = obj["spec"].clone();
        let mut p = patch;
        if let Some(o) = p.as_object_mut() {
            o.remove("status");
        }
        if let Some(m) = p.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("resourceVersion");
        }
        merge_patch(obj, &p);
        if obj["spec"] != spec_before {
            let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
            obj["metadata"]["generation"] = json!(generation + 1);
        }
    }
    obj["metadata"]["resourceVersion"] = Value::String(rv);
    (200, obj.clone())
}
