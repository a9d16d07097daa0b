//! A Gitea-compatible HTTP server for tests: the subset of the Gitea API the client uses, backed by a real bare git repository per repo, so commits, blob
//! SHAs and branch heads are real. Every exchange is logged so tests can check requests and
//! answers against Gitea's swagger.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

/// One request and its answer, with the route template (`/repos/{owner}/{repo}`).
#[derive(Debug, Clone)]
pub struct Exchange {
    /// HTTP method.
    pub method: String,
    /// The swagger path template of the route.
    pub route: &'static str,
    /// The request body, if JSON.
    pub request: Option<Value>,
    /// The status answered.
    pub status: u16,
    /// The answer body, if JSON.
    pub response: Option<Value>,
}

/// Every route served, as (method, swagger path template).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/version"),
    ("POST", "/orgs"),
    ("GET", "/orgs/{org}"),
    ("GET", "/orgs/{org}/repos"),
    ("POST", "/orgs/{org}/repos"),
    ("GET", "/repos/{owner}/{repo}"),
    ("DELETE", "/repos/{owner}/{repo}"),
    ("GET", "/repos/{owner}/{repo}/contents/{filepath}"),
    ("POST", "/repos/{owner}/{repo}/contents/{filepath}"),
    ("PUT", "/repos/{owner}/{repo}/contents/{filepath}"),
    ("DELETE", "/repos/{owner}/{repo}/contents/{filepath}"),
    ("POST", "/repos/{owner}/{repo}/contents"),
    ("GET", "/repos/{owner}/{repo}/branches"),
    ("POST", "/repos/{owner}/{repo}/branches"),
    ("GET", "/repos/{owner}/{repo}/branches/{branch}"),
    ("POST", "/repos/{owner}/{repo}/branch_protections"),
    ("GET", "/repos/{owner}/{repo}/hooks"),
    ("POST", "/repos/{owner}/{repo}/hooks"),
    ("PATCH", "/repos/{owner}/{repo}/hooks/{id}"),
    ("GET", "/repos/{owner}/{repo}/pulls"),
    ("POST", "/repos/{owner}/{repo}/pulls"),
    ("GET", "/user"),
    ("GET", "/orgs/{org}/teams"),
    ("GET", "/teams/{id}/members"),
];

/// The login of the user the test token belongs to.
pub const TOKEN_USER: &str = "catalyst-bot";

/// Requests the platform's clients send that Gitea's swagger does not document for that method
/// (Gitea 1.22 serves only `GET /admin/orgs`): answered 405 unless
/// [`TestServer::serve_admin_orgs`] makes the server behave like one that accepts them.
pub const UNDOCUMENTED: &[(&str, &str)] = &[("POST", "/admin/orgs")];

#[derive(Default)]
struct Inner {
    orgs: BTreeMap<String, Value>,
    /// Logins of each org's Owners team.
    owners: BTreeMap<String, Vec<String>>,
    pulls: BTreeMap<(String, String), Vec<Value>>,
    admin_orgs: bool,
    /// (id, default branch, private) per repository.
    repos: BTreeMap<(String, String), (i64, String, bool, String)>,
    hooks: BTreeMap<(String, String), Vec<Value>>,
    next_id: i64,
    log: Vec<Exchange>,
    /// A change another writer makes just before the next contents write.
    inject: Option<(String, String, String, Vec<u8>)>,
    /// File paths whose contents writes fail with a status.
    failing: Vec<(String, StatusCode)>,
    /// Requests (method, route template) to carry out and then answer with a broken body.
    lose: Vec<(String, &'static str)>,
    /// Authorized requests so far, and faults by request number.
    requests: usize,
    faults: BTreeMap<usize, Fault>,
}

/// A fault for one request ([`TestServer::fault_request`]); the request is not carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status (e.g. 500), as a failing Gitea would.
    Status(u16),
    /// Hold the request this long, then answer 504 (stuck in a proxy; never reaches Gitea).
    Stall(std::time::Duration),
}

#[derive(Clone)]
struct Shared {
    root: PathBuf,
    token: String,
    inner: Arc<Mutex<Inner>>,
}

/// A running test server; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

type Answer = (StatusCode, Value);

fn err(status: StatusCode, message: impl Into<String>) -> Answer {
    (status, json!({"message": message.into(), "url": "https://docs.gitea.com/api"}))
}

impl TestServer {
    /// Starts on a free 127.0.0.1 port with repositories under `root` (created if needed);
    /// requests must carry `Authorization: token <token>`.
    pub async fn start(root: &Path, token: &str) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let shared = Shared { root: root.to_owned(), token: token.to_owned(), inner: Arc::default() };
        let app = Router::new()
            .route("/api/v1/{*rest}", get(handle).post(handle).put(handle).delete(handle).patch(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared, task })
    }

    /// The base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every exchange so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.inner.lock().map(|i| i.log.clone()).unwrap_or_default()
    }

    /// Makes `POST /admin/orgs` create orgs like `POST /orgs` (a server that serves the route
    /// the platform's shared client sends); by default it answers 405 as Gitea 1.22 does.
    pub fn serve_admin_orgs(&self) {
        if let Ok(mut inner) = self.shared.inner.lock() {
            inner.admin_orgs = true;
        }
    }

    /// Makes `owners` the only members of the org's Owners team (as when someone else created
    /// the org and added whom they liked).
    pub fn set_org_owners(&self, org: &str, owners: &[&str]) {
        if let Ok(mut inner) = self.shared.inner.lock() {
            inner.owners.insert(org.to_owned(), owners.iter().map(|o| (*o).to_owned()).collect());
        }
    }

    /// The org as the server holds it (`full_name`, `description`, `visibility`, …).
    pub fn org(&self, org: &str) -> Option<Value> {
        self.shared.inner.lock().ok()?.orgs.get(org).cloned()
    }

    /// Number of commits on a branch (0 when it does not exist).
    pub fn commit_count(&self, owner: &str, repo: &str, branch: &str) -> usize {
        git(
            &self.shared.repo_dir(owner, repo),
            &["rev-list", "--count", &format!("refs/heads/{branch}")],
            None,
            &[],
        )
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
    }

    /// The message of a branch's last commit (`None` when the branch does not exist).
    pub fn last_commit_message(&self, owner: &str, repo: &str, branch: &str) -> Option<String> {
        git(
            &self.shared.repo_dir(owner, repo),
            &["log", "-1", "--format=%B", &format!("refs/heads/{branch}")],
            None,
            &[],
        )
        .ok()
    }

    /// The file's bytes on a branch, read straight from git.
    pub fn read_file(&self, owner: &str, repo: &str, branch: &str, path: &str) -> Option<Vec<u8>> {
        let dir = self.shared.repo_dir(owner, repo);
        let (kind, sha) = lookup(&dir, branch, path)?;
        (kind == "blob").then(|| git_bytes(&dir, &["cat-file", "blob", &sha]).ok()).flatten()
    }

    /// Commits `content` to `path` directly in git, as another writer would (drift).
    pub fn commit_file(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
        path: &str,
        content: &[u8],
    ) -> std::io::Result<String> {
        commit(
            &self.shared.repo_dir(owner, repo),
            branch,
            &[(path.to_owned(), Some(content.to_vec()))],
            "out-of-band edit",
            ("someone", "someone@example.test"),
        )
    }

    /// Makes another writer commit `content` to `path` right before the next contents
    /// write is handled, so that write carries a stale SHA.
    pub fn change_before_next_write(&self, owner: &str, repo: &str, path: &str, content: &[u8]) {
        if let Ok(mut i) = self.shared.inner.lock() {
            i.inject = Some((owner.into(), repo.into(), path.into(), content.to_vec()));
        }
    }
}

impl TestServer {
    /// Makes the `n`-th authorized request from now (1: the next) fail with `fault`, whatever
    /// it is; the request is not carried out.
    pub fn fault_request(&self, n: usize, fault: Fault) {
        if let Ok(mut i) = self.shared.inner.lock() {
            let at = i.requests + n;
            i.faults.insert(at, fault);
        }
    }

    /// Makes the next request of `method` on `route` (a template of the route table, e.g.
    /// `/repos/{owner}/{repo}/hooks`) take effect and then lose its answer: the headers go
    /// out, the body breaks off, as when a connection drops after Gitea committed.
    pub fn lose_next_answer(&self, method: &str, route: &'static str) {
        if let Ok(mut i) = self.shared.inner.lock() {
            i.lose.push((method.to_owned(), route));
        }
    }

    /// Makes every contents write (POST, PUT, DELETE) of `path` in any repository answer
    /// `status` (e.g. 503), as a failing Gitea would; the repository is left unchanged.
    pub fn fail_writes_to(&self, path: &str, status: u16) {
        if let (Ok(mut i), Ok(status)) = (self.shared.inner.lock(), StatusCode::from_u16(status)) {
            i.failing.push((path.to_owned(), status));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Shared {
    fn repo_dir(&self, owner: &str, repo: &str) -> PathBuf {
        self.root.join(owner).join(format!("{repo}.git"))
    }
}

fn git_cmd(
    dir: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, &str)],
) -> std::io::Result<Vec<u8>> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn()?;
    if let Some(input) = stdin {
        use std::io::Write as _;
        child.stdin.take().map(|mut s| s.write_all(input)).transpose()?;
    }
    drop(child.stdin.take());
    let out = child.wait_with_output()?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(std::io::Error::other(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

fn git_bytes(dir: &Path, args: &[&str]) -> std::io::Result<Vec<u8>> {
    git_cmd(dir, args, None, &[])
}

fn git(dir: &Path, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> std::io::Result<String> {
    git_cmd(dir, args, stdin, env).map(|b| String::from_utf8_lossy(&b).trim().to_owned())
}

/// (`blob`|`tree`, sha) of `path` on `branch`.
fn lookup(dir: &Path, branch: &str, path: &str) -> Option<(String, String)> {
    let out = git(dir, &["ls-tree", &format!("refs/heads/{branch}"), "--", path], None, &[]).ok()?;
    let line = out.lines().next()?;
    let (meta, _) = line.split_once('\t')?;
    let mut parts = meta.split_whitespace();
    let _mode = parts.next()?;
    Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
}

/// One commit on `branch` applying `ops` (path, Some(bytes) to write / None to delete),
/// with a compare-and-swap of the branch head. Returns the commit SHA.
fn commit(
    dir: &Path,
    branch: &str,
    ops: &[(String, Option<Vec<u8>>)],
    message: &str,
    who: (&str, &str),
) -> std::io::Result<String> {
    let head = git(dir, &["rev-parse", "--verify", "-q", &format!("refs/heads/{branch}")], None, &[]).ok();
    let index = dir.join(format!("index-{}", std::process::id()));
    let index_s = index.to_string_lossy().into_owned();
    let env = [
        ("GIT_INDEX_FILE", index_s.as_str()),
        ("GIT_AUTHOR_NAME", who.0),
        ("GIT_AUTHOR_EMAIL", who.1),
        ("GIT_COMMITTER_NAME", who.0),
        ("GIT_COMMITTER_EMAIL", who.1),
    ];
    let _ = std::fs::remove_file(&index);
    if let Some(h) = &head {
        git(dir, &["read-tree", h], None, &env)?;
    } else {
        git(dir, &["read-tree", "--empty"], None, &env)?;
    }
    for (path, content) in ops {
        // `--index-info` lines: mode 100644 writes a blob, mode 0 removes the path; neither
        // needs a work tree, so this works in the bare repository.
        let line = match content {
            Some(bytes) => format!(
                "100644 {}\t{path}\n",
                git(dir, &["hash-object", "-w", "--stdin"], Some(bytes), &env)?
            ),
            None => format!("0 {}\t{path}\n", "0".repeat(40)),
        };
        git(dir, &["update-index", "--index-info"], Some(line.as_bytes()), &env)?;
    }
    let tree = git(dir, &["write-tree"], None, &env)?;
    let mut args = vec!["commit-tree", tree.as_str(), "-m", message];
    if let Some(h) = &head {
        args.extend(["-p", h.as_str()]);
    }
    let sha = git(dir, &args, None, &env)?;
    let old = head.unwrap_or_else(|| "0".repeat(40));
    git(dir, &["update-ref", &format!("refs/heads/{branch}"), &sha, &old], None, &env)?;
    let _ = std::fs::remove_file(&index);
    Ok(sha)
}

fn contents_json(path: &str, sha: &str, bytes: Option<&[u8]>, kind: &str) -> Value {
    let name = path.rsplit('/').next().unwrap_or(path);
    json!({
        "name": name, "path": path, "sha": sha, "type": kind,
        "size": bytes.map_or(0, <[u8]>::len),
        "encoding": bytes.map(|_| "base64"), "content": bytes.map(|b| B64.encode(b)),
        "last_commit_sha": "", "url": "", "html_url": "", "git_url": "", "download_url": "",
        "_links": {"self": "", "git": "", "html": ""}
    })
}

fn commit_json(sha: &str, message: &str) -> Value {
    json!({"sha": sha, "url": "", "html_url": "", "message": message,
           "author": {"name": "", "email": "", "date": "2026-01-01T00:00:00Z"},
           "committer": {"name": "", "email": "", "date": "2026-01-01T00:00:00Z"},
           "parents": [], "tree": {"sha": "", "url": "", "created": "2026-01-01T00:00:00Z"}})
}

fn verification() -> Value {
    json!({"verified": false, "reason": "gpg.error.not_signed_commit", "signature": "", "payload": ""})
}

fn user_json(id: i64, login: &str) -> Value {
    json!({"id": id, "login": login, "full_name": "", "email": format!("{login}@example.test"), "is_admin": false})
}

/// One page of a list (`page` from 1, `limit` default 30 as in Gitea).
fn page_of(items: Vec<Value>, query: &BTreeMap<String, String>) -> Vec<Value> {
    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    let limit: usize = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(30).clamp(1, 50);
    items.into_iter().skip((page - 1) * limit).take(limit).collect()
}

fn repo_json(
    id: i64,
    owner: &str,
    repo: &str,
    default_branch: &str,
    private: bool,
    description: &str,
) -> Value {
    json!({"id": id, "name": repo, "full_name": format!("{owner}/{repo}"), "default_branch": default_branch,
           "private": private, "description": description, "empty": false, "owner": {"id": 1, "login": owner, "full_name": ""}})
}

/// Matches `rest` (after `/api/v1/`) against the route templates.
fn route_of(method: &Method, segments: &[String]) -> Option<&'static str> {
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let m = method.as_str();
    let t = match (m, s.as_slice()) {
        ("GET", ["version"]) => "/version",
        ("GET", ["user"]) => "/user",
        ("GET", ["orgs", _, "teams"]) => "/orgs/{org}/teams",
        ("GET", ["teams", _, "members"]) => "/teams/{id}/members",
        ("POST", ["orgs"]) => "/orgs",
        ("POST", ["admin", "orgs"]) => return Some("/admin/orgs"),
        ("GET" | "POST", ["repos", _, _, "pulls"]) => "/repos/{owner}/{repo}/pulls",
        ("GET", ["orgs", _]) => "/orgs/{org}",
        ("GET" | "POST", ["orgs", _, "repos"]) => "/orgs/{org}/repos",
        ("GET" | "DELETE", ["repos", _, _]) => "/repos/{owner}/{repo}",
        ("POST", ["repos", _, _, "contents"]) => "/repos/{owner}/{repo}/contents",
        (_, ["repos", _, _, "contents", _, ..]) => "/repos/{owner}/{repo}/contents/{filepath}",
        ("GET" | "POST", ["repos", _, _, "branches"]) => "/repos/{owner}/{repo}/branches",
        ("GET", ["repos", _, _, "branches", _]) => "/repos/{owner}/{repo}/branches/{branch}",
        ("POST", ["repos", _, _, "branch_protections"]) => "/repos/{owner}/{repo}/branch_protections",
        ("GET" | "POST", ["repos", _, _, "hooks"]) => "/repos/{owner}/{repo}/hooks",
        ("PATCH", ["repos", _, _, "hooks", _]) => "/repos/{owner}/{repo}/hooks/{id}",
        _ => return None,
    };
    ROUTES.iter().any(|(rm, rt)| *rm == m && *rt == t).then_some(t)
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    UrlPath(rest): UrlPath<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let segments: Vec<String> = rest.split('/').map(str::to_owned).collect();
    let request: Option<Value> = serde_json::from_slice(&body).ok();
    let route = route_of(&method, &segments);
    let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("token {}", shared.token));
    let failing = (route == Some("/repos/{owner}/{repo}/contents/{filepath}") && method != Method::GET)
        .then(|| {
            let path = segments.get(4..).map(|p| p.join("/")).unwrap_or_default();
            shared.inner.lock().ok()?.failing.iter().find(|(p, _)| *p == path).map(|(_, s)| *s)
        })
        .flatten();
    let fault = if route.is_some() && authorized {
        shared.inner.lock().ok().and_then(|mut i| {
            i.requests += 1;
            let n = i.requests;
            i.faults.remove(&n)
        })
    } else {
        None
    };
    if let Some(Fault::Stall(d)) = fault {
        tokio::time::sleep(d).await;
    }
    let (status, answer) = match route {
        None => err(StatusCode::NOT_FOUND, "not found"),
        Some(_) if !authorized => err(StatusCode::UNAUTHORIZED, "token is required"),
        Some(_) if fault.is_some() => match fault {
            Some(Fault::Status(code)) => err(
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "injected failure",
            ),
            _ => err(StatusCode::GATEWAY_TIMEOUT, "injected stall: no answer from upstream"),
        },
        Some(_) if failing.is_some() => err(
            failing.unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            "injected failure: the server is unavailable",
        ),
        Some(r) => {
            let shared2 = shared.clone();
            let m = method.clone();
            let req = request.clone();
            tokio::task::spawn_blocking(move || serve(&shared2, &m, r, &segments, &query, req.as_ref()))
                .await
                .unwrap_or_else(|e| err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
        }
    };
    let mut lost = false;
    if let (Some(r), Ok(mut inner)) = (route, shared.inner.lock()) {
        inner.log.push(Exchange {
            method: method.to_string(),
            route: r,
            request,
            status: status.as_u16(),
            response: (!answer.is_null()).then(|| answer.clone()),
        });
        if let Some(i) = inner.lose.iter().position(|(m, t)| *m == method.as_str() && *t == r) {
            inner.lose.remove(i);
            lost = true;
        }
    }
    if lost {
        let broken = futures::stream::iter([
            Ok(Bytes::from_static(b"{")),
            Err(std::io::Error::other("connection lost after the write")),
        ]);
        return (status, axum::body::Body::from_stream(broken)).into_response();
    }
    if answer.is_null() { status.into_response() } else { (status, axum::Json(answer)).into_response() }
}

#[allow(clippy::too_many_lines, reason = "one match arm per Gitea route keeps the mapping readable")]
fn serve(
    shared: &Shared,
    method: &Method,
    route: &str,
    seg: &[String],
    query: &BTreeMap<String, String>,
    body: Option<&Value>,
) -> Answer {
    let Ok(mut inner) = shared.inner.lock() else {
        return err(StatusCode::INTERNAL_SERVER_ERROR, "poisoned");
    };
    let field = |k: &str| body.and_then(|b| b.get(k)).and_then(Value::as_str).map(str::to_owned);
    let who = body.and_then(|b| b.get("author")).map_or(
        ("catalyst".to_owned(), "catalyst@example.test".to_owned()),
        |a| {
            (
                a.get("name").and_then(Value::as_str).unwrap_or("x").to_owned(),
                a.get("email").and_then(Value::as_str).unwrap_or("x").to_owned(),
            )
        },
    );
    let internal = |e: std::io::Error| err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    match (method.as_str(), route) {
        ("GET", "/version") => (StatusCode::OK, json!({"version": "1.22.0"})),
        ("GET", "/user") => (StatusCode::OK, user_json(1, TOKEN_USER)),
        ("GET", "/orgs/{org}/teams") => match inner.orgs.get(&seg[1]) {
            Some(org) => (
                StatusCode::OK,
                Value::Array(page_of(
                    vec![
                        json!({"id": org["id"], "name": "Owners", "permission": "owner", "includes_all_repositories": true,
                                "can_create_org_repo": true, "description": ""}),
                    ],
                    query,
                )),
            ),
            None => err(StatusCode::NOT_FOUND, "org does not exist"),
        },
        ("GET", "/teams/{id}/members") => {
            let id: i64 = seg[1].parse().unwrap_or(-1);
            let Some(name) = inner.orgs.iter().find(|(_, o)| o["id"] == id).map(|(n, _)| n.clone()) else {
                return err(StatusCode::NOT_FOUND, "team does not exist");
            };
            let members: Vec<Value> = inner
                .owners
                .get(&name)
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, login)| user_json(i64::try_from(i).unwrap_or(0) + 100, login))
                .collect();
            (StatusCode::OK, Value::Array(page_of(members, query)))
        }
        ("POST", "/admin/orgs") if !inner.admin_orgs => {
            err(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        ("POST", "/orgs" | "/admin/orgs") => {
            let Some(name) = field("username") else {
                return err(StatusCode::UNPROCESSABLE_ENTITY, "username is required");
            };
            if inner.orgs.contains_key(&name) {
                return err(StatusCode::UNPROCESSABLE_ENTITY, format!("user already exists [name: {name}]"));
            }
            inner.next_id += 1;
            let org = json!({"id": inner.next_id, "username": name, "name": name,
                "full_name": field("full_name").unwrap_or_default(),
                "description": field("description").unwrap_or_default(),
                "visibility": field("visibility").unwrap_or_else(|| "public".into())});
            inner.owners.insert(name.clone(), vec![TOKEN_USER.to_owned()]);
            inner.orgs.insert(name, org.clone());
            (StatusCode::CREATED, org)
        }
        ("GET", "/orgs/{org}") => match inner.orgs.get(&seg[1]) {
            Some(org) => (StatusCode::OK, org.clone()),
            None => err(StatusCode::NOT_FOUND, "org does not exist"),
        },
        ("GET", "/orgs/{org}/repos") => {
            if !inner.orgs.contains_key(&seg[1]) {
                return err(StatusCode::NOT_FOUND, "org does not exist");
            }
            let repos: Vec<Value> = inner
                .repos
                .iter()
                .filter(|((o, _), _)| *o == seg[1])
                .map(|((o, r), (id, b, p, d))| repo_json(*id, o, r, b, *p, d))
                .collect();
            (StatusCode::OK, Value::Array(page_of(repos, query)))
        }
        ("POST", "/orgs/{org}/repos") => {
            if !inner.orgs.contains_key(&seg[1]) {
                return err(StatusCode::NOT_FOUND, "org does not exist");
            }
            let Some(name) = field("name") else { return err(StatusCode::BAD_REQUEST, "name is required") };
            let branch = field("default_branch").unwrap_or_else(|| "main".into());
            let key = (seg[1].clone(), name.clone());
            if inner.repos.contains_key(&key) {
                return err(StatusCode::CONFLICT, "The repository with the same name already exists.");
            }
            let dir = shared.repo_dir(&seg[1], &name);
            if let Err(e) = std::fs::create_dir_all(&dir)
                .and_then(|()| git(&dir, &["init", "--bare", "-q", "-b", &branch], None, &[]).map(drop))
            {
                return internal(e);
            }
            if body.and_then(|b| b.get("auto_init")).and_then(Value::as_bool) == Some(true)
                && let Err(e) = commit(
                    &dir,
                    &branch,
                    &[("README.md".into(), Some(format!("# {name}\n").into_bytes()))],
                    "Initial commit",
                    ("Gitea", "gitea@example.test"),
                )
            {
                return internal(e);
            }
            inner.next_id += 1;
            let id = inner.next_id;
            // Gitea's default for a repository created without `private` is public.
            let private = body.and_then(|b| b.get("private")).and_then(Value::as_bool).unwrap_or(false);
            let description = field("description").unwrap_or_default();
            inner.repos.insert(key, (id, branch.clone(), private, description.clone()));
            (StatusCode::CREATED, repo_json(id, &seg[1], &name, &branch, private, &description))
        }
        (_, r) if r.starts_with("/repos/") => {
            let key = (seg[1].clone(), seg[2].clone());
            let Some((id, default_branch, private, description)) = inner.repos.get(&key).cloned() else {
                return err(
                    StatusCode::NOT_FOUND,
                    "repository does not exist [name: …]: GetRepositoryByName",
                );
            };
            let dir = shared.repo_dir(&seg[1], &seg[2]);
            match (method.as_str(), r) {
                ("GET", "/repos/{owner}/{repo}") => {
                    (StatusCode::OK, repo_json(id, &seg[1], &seg[2], &default_branch, private, &description))
                }
                ("DELETE", "/repos/{owner}/{repo}") => {
                    inner.repos.remove(&key);
                    let _ = std::fs::remove_dir_all(&dir);
                    (StatusCode::NO_CONTENT, Value::Null)
                }
                ("GET", "/repos/{owner}/{repo}/contents/{filepath}") => {
                    let path = seg[4..].join("/");
                    let branch = query.get("ref").cloned().unwrap_or(default_branch);
                    match lookup(&dir, &branch, &path) {
                        Some((kind, sha)) if kind == "blob" => {
                            match git_bytes(&dir, &["cat-file", "blob", &sha]) {
                                Ok(bytes) => {
                                    (StatusCode::OK, contents_json(&path, &sha, Some(&bytes), "file"))
                                }
                                Err(e) => internal(e),
                            }
                        }
                        Some((_, sha)) => (StatusCode::OK, json!([contents_json(&path, &sha, None, "dir")])),
                        None => err(StatusCode::NOT_FOUND, "object does not exist [id: , rel_path: ]"),
                    }
                }
                ("POST" | "PUT" | "DELETE", "/repos/{owner}/{repo}/contents/{filepath}") => {
                    let path = seg[4..].join("/");
                    let branch = field("branch").unwrap_or(default_branch);
                    let message = field("message").unwrap_or_else(|| format!("Update {path}"));
                    if let Some((o, rp, p, c)) = inner.inject.take() {
                        let _ = commit(
                            &shared.repo_dir(&o, &rp),
                            &branch,
                            &[(p, Some(c))],
                            "concurrent change",
                            ("someone", "someone@example.test"),
                        );
                    }
                    let current = lookup(&dir, &branch, &path).map(|(_, sha)| sha);
                    let content = match method.as_str() {
                        "DELETE" => None,
                        _ => match field("content").map(|c| B64.decode(c)) {
                            Some(Ok(bytes)) => Some(bytes),
                            _ => return err(StatusCode::UNPROCESSABLE_ENTITY, "content is not base64"),
                        },
                    };
                    match (method.as_str(), &current, field("sha")) {
                        ("POST", Some(_), _) => {
                            return err(
                                StatusCode::UNPROCESSABLE_ENTITY,
                                format!("repository file already exists [path: {path}]"),
                            );
                        }
                        ("PUT" | "DELETE", None, _) => {
                            return err(StatusCode::NOT_FOUND, "file does not exist");
                        }
                        ("PUT" | "DELETE", Some(cur), Some(given)) if *cur != given => {
                            return err(
                                StatusCode::UNPROCESSABLE_ENTITY,
                                format!("sha does not match [given: {given}, expected: {cur}]"),
                            );
                        }
                        ("PUT" | "DELETE", Some(_), None) => {
                            return err(StatusCode::UNPROCESSABLE_ENTITY, "sha is required");
                        }
                        _ => {}
                    }
                    match commit(
                        &dir,
                        &branch,
                        &[(path.clone(), content.clone())],
                        &message,
                        (&who.0, &who.1),
                    ) {
                        Ok(sha) => {
                            let blob = lookup(&dir, &branch, &path).map(|(_, s)| s).unwrap_or_default();
                            let status =
                                if method == Method::POST { StatusCode::CREATED } else { StatusCode::OK };
                            let content_json = content
                                .as_deref()
                                .map_or(Value::Null, |c| contents_json(&path, &blob, Some(c), "file"));
                            (
                                status,
                                json!({"content": content_json, "commit": commit_json(&sha, &message), "verification": verification()}),
                            )
                        }
                        Err(e) => internal(e),
                    }
                }
                ("POST", "/repos/{owner}/{repo}/contents") => {
                    let branch = field("branch").unwrap_or(default_branch);
                    if let Some((o, rp, p, c)) = inner.inject.take() {
                        let _ = commit(
                            &shared.repo_dir(&o, &rp),
                            &branch,
                            &[(p, Some(c))],
                            "concurrent change",
                            ("someone", "someone@example.test"),
                        );
                    }
                    let message = field("message").unwrap_or_else(|| "Update files".into());
                    let Some(files) = body.and_then(|b| b.get("files")).and_then(Value::as_array) else {
                        return err(StatusCode::UNPROCESSABLE_ENTITY, "files is required");
                    };
                    let mut ops = Vec::new();
                    for f in files {
                        let path = f.get("path").and_then(Value::as_str).unwrap_or_default().to_owned();
                        let op = f.get("operation").and_then(Value::as_str).unwrap_or_default();
                        let current = lookup(&dir, &branch, &path).map(|(_, s)| s);
                        let given = f.get("sha").and_then(Value::as_str);
                        match (op, &current) {
                            ("create", Some(_)) => {
                                return err(
                                    StatusCode::UNPROCESSABLE_ENTITY,
                                    format!("repository file already exists [path: {path}]"),
                                );
                            }
                            ("update" | "delete", None) => {
                                return err(
                                    StatusCode::NOT_FOUND,
                                    format!("file does not exist [path: {path}]"),
                                );
                            }
                            ("update" | "delete", Some(cur)) if Some(cur.as_str()) != given => {
                                return err(
                                    StatusCode::UNPROCESSABLE_ENTITY,
                                    format!(
                                        "sha does not match [given: {}, expected: {cur}]",
                                        given.unwrap_or("")
                                    ),
                                );
                            }
                            ("create" | "update" | "delete", _) => {}
                            _ => {
                                return err(
                                    StatusCode::UNPROCESSABLE_ENTITY,
                                    format!("unknown operation {op:?}"),
                                );
                            }
                        }
                        let content = match op {
                            "delete" => None,
                            _ => match f.get("content").and_then(Value::as_str).map(|c| B64.decode(c)) {
                                Some(Ok(b)) => Some(b),
                                _ => return err(StatusCode::UNPROCESSABLE_ENTITY, "content is not base64"),
                            },
                        };
                        ops.push((path, content));
                    }
                    match commit(&dir, &branch, &ops, &message, (&who.0, &who.1)) {
                        Ok(sha) => {
                            let files: Vec<Value> = ops
                                .iter()
                                .map(|(p, c)| {
                                    let blob = lookup(&dir, &branch, p).map(|(_, s)| s).unwrap_or_default();
                                    c.as_deref()
                                        .map_or(Value::Null, |c| contents_json(p, &blob, Some(c), "file"))
                                })
                                .collect();
                            (
                                StatusCode::CREATED,
                                json!({"files": files, "commit": commit_json(&sha, &message), "verification": verification()}),
                            )
                        }
                        Err(e) => internal(e),
                    }
                }
                ("GET", "/repos/{owner}/{repo}/branches") => {
                    let out = git(
                        &dir,
                        &["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads"],
                        None,
                        &[],
                    )
                    .unwrap_or_default();
                    let list: Vec<Value> = out
                        .lines()
                        .filter_map(|l| l.split_once(' '))
                        .map(|(n, s)| json!({"name": n, "commit": {"id": s, "message": ""}, "protected": false}))
                        .collect();
                    (StatusCode::OK, Value::Array(list))
                }
                ("GET", "/repos/{owner}/{repo}/branches/{branch}") => {
                    match git(
                        &dir,
                        &["rev-parse", "--verify", "-q", &format!("refs/heads/{}", seg[4])],
                        None,
                        &[],
                    ) {
                        Ok(sha) => (
                            StatusCode::OK,
                            json!({"name": seg[4], "commit": {"id": sha, "message": ""}, "protected": false}),
                        ),
                        Err(_) => err(StatusCode::NOT_FOUND, "branch does not exist"),
                    }
                }
                ("POST", "/repos/{owner}/{repo}/branches") => {
                    let Some(new) = field("new_branch_name") else {
                        return err(StatusCode::UNPROCESSABLE_ENTITY, "new_branch_name is required");
                    };
                    let from = field("old_branch_name").unwrap_or(default_branch);
                    let Ok(sha) =
                        git(&dir, &["rev-parse", "--verify", "-q", &format!("refs/heads/{from}")], None, &[])
                    else {
                        return err(StatusCode::NOT_FOUND, "The old branch does not exist");
                    };
                    if git(&dir, &["rev-parse", "--verify", "-q", &format!("refs/heads/{new}")], None, &[])
                        .is_ok()
                    {
                        return err(StatusCode::CONFLICT, "The branch already exists.");
                    }
                    match git(
                        &dir,
                        &["update-ref", &format!("refs/heads/{new}"), &sha, &"0".repeat(40)],
                        None,
                        &[],
                    ) {
                        Ok(_) => (
                            StatusCode::CREATED,
                            json!({"name": new, "commit": {"id": sha, "message": ""}, "protected": false}),
                        ),
                        Err(e) => internal(e),
                    }
                }
                ("POST", "/repos/{owner}/{repo}/branch_protections") => {
                    let rule = field("rule_name").or_else(|| field("branch_name")).unwrap_or_default();
                    (
                        StatusCode::CREATED,
                        json!({"rule_name": rule, "branch_name": rule, "enable_push": false}),
                    )
                }
                ("GET", "/repos/{owner}/{repo}/hooks") => {
                    (StatusCode::OK, Value::Array(inner.hooks.get(&key).cloned().unwrap_or_default()))
                }
                ("POST", "/repos/{owner}/{repo}/hooks") => {
                    inner.next_id += 1;
                    let hook = json!({"id": inner.next_id, "type": field("type").unwrap_or_else(|| "gitea".into()),
                        "active": body.and_then(|b| b.get("active")).and_then(Value::as_bool).unwrap_or(true),
                        "events": body.and_then(|b| b.get("events")).cloned().unwrap_or(json!([])),
                        "config": body.and_then(|b| b.get("config")).cloned().unwrap_or(json!({}))});
                    inner.hooks.entry(key).or_default().push(hook.clone());
                    (StatusCode::CREATED, hook)
                }
                ("GET", "/repos/{owner}/{repo}/pulls") => {
                    let state = query.get("state").map_or("open", String::as_str);
                    let pulls: Vec<Value> = inner
                        .pulls
                        .get(&key)
                        .map(|ps| {
                            ps.iter().filter(|p| state == "all" || p["state"] == state).cloned().collect()
                        })
                        .unwrap_or_default();
                    (StatusCode::OK, Value::Array(page_of(pulls, query)))
                }
                ("POST", "/repos/{owner}/{repo}/pulls") => {
                    let (Some(head), Some(base)) = (field("head"), field("base")) else {
                        return err(StatusCode::UNPROCESSABLE_ENTITY, "head and base are required");
                    };
                    let branch_sha = |b: &str| {
                        git(&dir, &["rev-parse", "--verify", "-q", &format!("refs/heads/{b}")], None, &[])
                            .ok()
                    };
                    let (Some(head_sha), Some(base_sha)) = (branch_sha(&head), branch_sha(&base)) else {
                        return err(StatusCode::NOT_FOUND, "head or base branch does not exist");
                    };
                    let open = inner.pulls.get(&key).into_iter().flatten().any(|p| {
                        p["state"] == "open"
                            && p["head"]["ref"] == head.as_str()
                            && p["base"]["ref"] == base.as_str()
                    });
                    if open {
                        return err(
                            StatusCode::CONFLICT,
                            format!(
                                "pull request already exists for these targets [head: {head}, base: {base}]"
                            ),
                        );
                    }
                    inner.next_id += 1;
                    let id = inner.next_id;
                    let pulls = inner.pulls.entry(key).or_default();
                    let number = i64::try_from(pulls.len()).unwrap_or(0) + 1;
                    let pull = json!({"id": id, "number": number, "state": "open",
                        "title": field("title").unwrap_or_default(), "body": field("body").unwrap_or_default(),
                        "head": {"ref": head, "sha": head_sha}, "base": {"ref": base, "sha": base_sha},
                        "html_url": format!("http://gitea.test/{}/{}/pulls/{number}", seg[1], seg[2])});
                    pulls.push(pull.clone());
                    (StatusCode::CREATED, pull)
                }
                ("PATCH", "/repos/{owner}/{repo}/hooks/{id}") => {
                    let id: i64 = seg[4].parse().unwrap_or(-1);
                    let active = body.and_then(|b| b.get("active")).and_then(Value::as_bool);
                    match inner.hooks.get_mut(&key).and_then(|hs| hs.iter_mut().find(|h| h["id"] == id)) {
                        Some(h) => {
                            if let Some(a) = active {
                                h["active"] = Value::Bool(a);
                            }
                            (StatusCode::OK, h.clone())
                        }
                        None => err(StatusCode::NOT_FOUND, "hook does not exist"),
                    }
                }
                _ => err(StatusCode::NOT_FOUND, "not found"),
            }
        }
        _ => err(StatusCode::NOT_FOUND, "not found"),
    }
}

/// A test server with some orgs (each with its `{org}-environment` repository on `main`) and a
/// client for it; exchanges of the set-up are left out of [`Gitea::exchanges`].
pub struct Gitea {
    /// The server.
    pub server: TestServer,
    /// A client with the right token.
    pub client: catalyst_gitea::Client,
    baseline: usize,
    _dir: tempfile::TempDir,
}

impl Gitea {
    /// Starts a server holding the given orgs, each with its `{org}-environment` repository.
    pub async fn with_orgs(orgs: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = TestServer::start(dir.path(), "test-tok").await.unwrap();
        let client =
            catalyst_gitea::Client::new(&server.url(), catalyst_gitea::Token::new("test-tok")).unwrap();
        for org in orgs {
            client.create_org(org).await.unwrap();
            client.create_repo(org, &format!("{org}-environment"), "main").await.unwrap();
        }
        let baseline = server.exchanges().len();
        Self { server, client, baseline, _dir: dir }
    }

    /// Exchanges after the set-up.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.server.exchanges().split_off(self.baseline)
    }

    /// Exchanges after the set-up that wrote something, as `METHOD route`.
    pub fn writes(&self) -> Vec<String> {
        self.exchanges()
            .into_iter()
            .filter(|e| e.method != "GET")
            .map(|e| format!("{} {}", e.method, e.route))
            .collect()
    }
}
