//! A stand-in for the pool-domain-manager's lua commit endpoint: records every request and
//! answers with the status the test sets (default 200). It checks what the real PDM's contract
//! needs (SPEC DNS-19, OP-11): `POST`, JSON content type, a body `{"records":[…],"zone":"…"}`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::any;

/// One request PDM received.
#[derive(Clone, Debug)]
pub struct Commit {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Commit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Clone, Default)]
struct Shared {
    commits: Arc<Mutex<Vec<Commit>>>,
    answer: Arc<Mutex<(u16, String)>>,
    /// Answers for the next requests, before `answer`.
    next: Arc<Mutex<std::collections::VecDeque<(u16, String)>>>,
}

/// The running stand-in; stops when dropped.
pub struct PdmServer {
    addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

async fn handle(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let commit = Commit {
        method: method.to_string(),
        path: uri.path_and_query().map_or_else(|| uri.path().to_owned(), ToString::to_string),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let well_formed = commit.method == "POST"
        && commit.header("content-type") == Some("application/json")
        && serde_json::from_str::<serde_json::Value>(&commit.body)
            .is_ok_and(|v| v["records"].is_array() && v["zone"].is_string());
    s.commits.lock().unwrap().push(commit);
    if !well_formed {
        return (StatusCode::BAD_REQUEST, "{\"error\":\"malformed commit\"}".into());
    }
    let queued = s.next.lock().unwrap().pop_front();
    let (status, body) = queued.unwrap_or_else(|| s.answer.lock().unwrap().clone());
    (StatusCode::from_u16(status).unwrap(), body)
}

impl PdmServer {
    pub async fn start() -> Self {
        let shared =
            Shared { answer: Arc::new(Mutex::new((200, "{\"ok\":true}".into()))), ..Shared::default() };
        let app = Router::new().fallback(any(handle)).with_state(shared.clone());
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

    /// Answers the following requests with `status` and `body`.
    pub fn answer(&self, status: u16, body: &str) {
        *self.shared.answer.lock().unwrap() = (status, body.to_owned());
    }

    /// Answers the next well-formed request (only) with `status` and `body`.
    pub fn answer_once(&self, status: u16, body: &str) {
        self.shared.next.lock().unwrap().push_back((status, body.to_owned()));
    }

    /// Every request so far.
    pub fn commits(&self) -> Vec<Commit> {
        self.shared.commits.lock().unwrap().clone()
    }
}

impl Drop for PdmServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
