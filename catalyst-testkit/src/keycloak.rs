//! A Keycloak stand-in for tests: the part of the admin REST API the organization-controller
//! uses, on a free 127.0.0.1 port. Keycloak cannot run on the test machines, so every request
//! is checked against the admin API as Keycloak documents it (method, path, headers, body
//! shape) and each mismatch is recorded in [`Keycloak::violations`] (and answered 400):
//!
//! - `POST /realms/{realm}/protocol/openid-connect/token`: form-encoded
//!   `grant_type=client_credentials`, `client_id`, `client_secret` → `{access_token, …}`;
//! - `GET /admin/realms/{realm}/group-by-path/{path}` → `GroupRepresentation` or 404;
//! - `POST /admin/realms/{realm}/groups` with a `GroupRepresentation` → 201 with `Location`,
//!   409 when a top-level group of that name exists;
//! - `PUT /admin/realms/{realm}/groups/{id}` with a `GroupRepresentation` → 204.
//!
//! Admin calls need `Authorization: Bearer <token>` of a token this server issued.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One request the stand-in received.
#[derive(Clone, Debug)]
pub struct KcRequest {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// The body (form or JSON) as text.
    pub body: String,
    /// The status answered.
    pub status: u16,
}

#[derive(Default)]
struct Inner {
    /// Groups by id.
    groups: BTreeMap<String, Value>,
    tokens: Vec<String>,
    log: Vec<KcRequest>,
    violations: Vec<String>,
    /// The next group create finds the group created by someone else first (answers 409).
    race_next_create: bool,
    /// Answer the next admin request with this status.
    fail_next: Option<u16>,
    next_id: u64,
}

#[derive(Clone)]
struct Shared {
    realm: String,
    client_id: String,
    client_secret: String,
    inner: Arc<Mutex<Inner>>,
}

/// The running stand-in; stops when dropped.
pub struct Keycloak {
    addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Keycloak {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The `GroupRepresentation` fields of Keycloak's admin API.
const GROUP_FIELDS: [&str; 10] = [
    "id",
    "name",
    "path",
    "parentId",
    "subGroupCount",
    "subGroups",
    "attributes",
    "realmRoles",
    "clientRoles",
    "access",
];

impl Keycloak {
    /// Starts with one realm and one service-account client.
    pub async fn start(realm: &str, client_id: &str, client_secret: &str) -> Self {
        let shared = Shared {
            realm: realm.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            inner: Arc::default(),
        };
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stores a group as if created earlier; returns its id.
    pub fn insert_group(&self, name: &str, attributes: &Value) -> String {
        insert(&mut self.shared.inner.lock().unwrap(), name, attributes)
    }

    /// The group at `/<name>`.
    pub fn group(&self, name: &str) -> Option<Value> {
        let inner = self.shared.inner.lock().unwrap();
        inner.groups.values().find(|g| g["path"] == format!("/{name}").as_str()).cloned()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<KcRequest> {
        self.shared.inner.lock().unwrap().log.clone()
    }

    /// Requests as `METHOD path status`.
    pub fn calls(&self) -> Vec<String> {
        self.requests().iter().map(|r| format!("{} {} {}", r.method, r.path, r.status)).collect()
    }

    /// Requests that did not match Keycloak's admin API.
    pub fn violations(&self) -> Vec<String> {
        self.shared.inner.lock().unwrap().violations.clone()
    }

    /// The next create loses a race: another client creates the group first.
    pub fn race_next_create(&self) {
        self.shared.inner.lock().unwrap().race_next_create = true;
    }

    /// The next admin request is answered with `status`.
    pub fn fail_next(&self, status: u16) {
        self.shared.inner.lock().unwrap().fail_next = Some(status);
    }
}

/// Stores a top-level group; returns its id.
fn insert(inner: &mut Inner, name: &str, attributes: &Value) -> String {
    inner.next_id += 1;
    let id = format!("00000000-0000-4000-8000-{:012}", inner.next_id);
    inner.groups.insert(
        id.clone(),
        json!({"id": id, "name": name, "path": format!("/{name}"), "subGroupCount": 0, "subGroups": [],
               "attributes": attributes, "realmRoles": [], "clientRoles": {}}),
    );
    id
}

fn answer(status: StatusCode, body: &Value) -> Response {
    if body.is_null() { status.into_response() } else { (status, axum::Json(body.clone())).into_response() }
}

/// Checks a `GroupRepresentation` body: an object of known fields, `name` a string,
/// `attributes` a map of string lists.
fn check_group(body: &Value) -> Result<(), String> {
    let obj = body.as_object().ok_or("the body is not a JSON object")?;
    if let Some(k) = obj.keys().find(|k| !GROUP_FIELDS.contains(&k.as_str())) {
        return Err(format!("{k} is not a GroupRepresentation field"));
    }
    if !obj.get("name").is_some_and(Value::is_string) {
        return Err("name must be a string".into());
    }
    if let Some(attrs) = obj.get("attributes") {
        let ok = attrs.as_object().is_some_and(|m| {
            m.values().all(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
        });
        if !ok {
            return Err("attributes must map names to lists of strings".into());
        }
    }
    Ok(())
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let text = String::from_utf8_lossy(&body).into_owned();
    let (status, reply, location) = serve(&shared, &method, &path, &headers, &text);
    let mut inner = shared.inner.lock().unwrap();
    inner.log.push(KcRequest { method: method.to_string(), path, body: text, status: status.as_u16() });
    drop(inner);
    let mut response = answer(status, &reply);
    if let Some(l) = location {
        response.headers_mut().insert("location", l.parse().unwrap());
    }
    response
}

#[allow(clippy::too_many_lines, reason = "one arm per admin API route keeps the mapping readable")]
fn serve(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &str,
) -> (StatusCode, Value, Option<String>) {
    let mut inner = shared.inner.lock().unwrap();
    let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let violation = |inner: &mut Inner, what: String| {
        inner.violations.push(format!("{method} {path}: {what}"));
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_request", "error_description": what}), None)
    };
    let token_path = format!("/realms/{}/protocol/openid-connect/token", shared.realm);
    if path == token_path {
        if *method != Method::POST {
            return violation(&mut inner, "the token endpoint takes POST".into());
        }
        if !header("content-type").starts_with("application/x-www-form-urlencoded") {
            return violation(&mut inner, "the token request must be form-encoded".into());
        }
        let form: BTreeMap<String, String> =
            url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
            return violation(&mut inner, "grant_type must be client_credentials".into());
        }
        if form.get("client_id") != Some(&shared.client_id)
            || form.get("client_secret") != Some(&shared.client_secret)
        {
            return (
                StatusCode::UNAUTHORIZED,
                json!({"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"}),
                None,
            );
        }
        inner.next_id += 1;
        let token = format!("kc-token-{}", inner.next_id);
        inner.tokens.push(token.clone());
        return (
            StatusCode::OK,
            json!({"access_token": token, "expires_in": 300, "refresh_expires_in": 0, "token_type": "Bearer", "not-before-policy": 0, "scope": "profile email"}),
            None,
        );
    }
    if path.starts_with("/realms/") && path.ends_with("/protocol/openid-connect/token") {
        return (StatusCode::NOT_FOUND, json!({"error": "Realm does not exist"}), None);
    }
    let Some(rest) = path.strip_prefix("/admin/realms/") else {
        return violation(&mut inner, "not a Keycloak admin API path".into());
    };
    let (realm, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let bearer = header("authorization");
    if !bearer.strip_prefix("Bearer ").is_some_and(|t| inner.tokens.iter().any(|k| k == t)) {
        return (StatusCode::UNAUTHORIZED, json!({"error": "HTTP 401 Unauthorized"}), None);
    }
    if realm != shared.realm {
        return (StatusCode::NOT_FOUND, json!({"error": "Realm not found."}), None);
    }
    if let Some(status) = inner.fail_next.take() {
        return (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            json!({"error": "unknown_error"}),
            None,
        );
    }
    let json_body = || serde_json::from_str::<Value>(body).ok();
    match (method.as_str(), rest.split('/').collect::<Vec<_>>().as_slice()) {
        ("GET", ["group-by-path", segments @ ..]) if !segments.is_empty() => {
            let want = format!("/{}", segments.join("/"));
            match inner.groups.values().find(|g| g["path"] == want.as_str()) {
                Some(g) => (StatusCode::OK, g.clone(), None),
                None => (StatusCode::NOT_FOUND, json!({"error": "Group path does not exist"}), None),
            }
        }
        ("POST", ["groups"]) => {
            if !header("content-type").starts_with("application/json") {
                return violation(&mut inner, "the body must be application/json".into());
            }
            let Some(group) = json_body() else {
                return violation(&mut inner, "the body is not JSON".into());
            };
            if let Err(e) = check_group(&group) {
                return violation(&mut inner, e);
            }
            let name = group["name"].as_str().unwrap_or_default().to_owned();
            if std::mem::take(&mut inner.race_next_create) {
                insert(&mut inner, &name, &json!({"org": [name]}));
            }
            if inner.groups.values().any(|g| g["path"] == format!("/{name}").as_str()) {
                return (
                    StatusCode::CONFLICT,
                    json!({"errorMessage": format!("Top level group named '{name}' already exists.")}),
                    None,
                );
            }
            let attributes = group.get("attributes").cloned().unwrap_or_else(|| json!({}));
            let id = insert(&mut inner, &name, &attributes);
            (StatusCode::CREATED, Value::Null, Some(format!("/admin/realms/{realm}/groups/{id}")))
        }
        ("PUT", ["groups", id]) => {
            if !header("content-type").starts_with("application/json") {
                return violation(&mut inner, "the body must be application/json".into());
            }
            let Some(group) = json_body() else {
                return violation(&mut inner, "the body is not JSON".into());
            };
            if let Err(e) = check_group(&group) {
                return violation(&mut inner, e);
            }
            let Some(stored) = inner.groups.get_mut(*id) else {
                return (StatusCode::NOT_FOUND, json!({"error": "Could not find group by id"}), None);
            };
            if let Some(a) = group.get("attributes") {
                stored["attributes"] = a.clone();
            }
            if let Some(n) = group.get("name") {
                stored["name"] = n.clone();
            }
            (StatusCode::NO_CONTENT, Value::Null, None)
        }
        _ => violation(&mut inner, "not a route of the admin API the controller uses".into()),
    }
}
