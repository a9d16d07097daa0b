//! The Gitea REST client (SPEC GITEA-1 … GITEA-7): typed requests and errors, bounded
//! retries on 5xx and timeouts, and idempotent, conflict-safe file writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::types::{
    Branch, Ensured, File, Hook, MAX_RESPONSE_BYTES, NewOrg, NewRepo, Org, PullRequest, Repo, Target, Token,
    Upsert,
};
use crate::{BaseUrl, UrlError, escape_path, escape_segment};

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GiteaError {
    /// A bad argument or address, found before any request.
    #[error(transparent)]
    InvalidArgument(#[from] UrlError),
    /// The organization does not exist.
    #[error("organization {org} does not exist")]
    OrgNotFound {
        /// The org.
        org: String,
    },
    /// The repository does not exist.
    #[error("repository {owner}/{repo} does not exist")]
    RepoNotFound {
        /// The owner.
        owner: String,
        /// The repo.
        repo: String,
    },
    /// The file does not exist on that branch.
    #[error("{path} does not exist in {owner}/{repo} on {branch}")]
    FileNotFound {
        /// The owner.
        owner: String,
        /// The repo.
        repo: String,
        /// The branch.
        branch: String,
        /// The file.
        path: String,
    },
    /// A directory where a file was expected.
    #[error("{path} in {owner}/{repo} is a directory, not a file")]
    NotAFile {
        /// The owner.
        owner: String,
        /// The repo.
        repo: String,
        /// The path.
        path: String,
    },
    /// The file changed between our read and our write; nothing was overwritten.
    #[error(
        "{path} in {owner}/{repo} changed since it was read (someone else wrote it); not overwritten: {message}"
    )]
    Conflict {
        /// The owner.
        owner: String,
        /// The repo.
        repo: String,
        /// The file.
        path: String,
        /// Gitea's message.
        message: String,
    },
    /// 401: no or a wrong token.
    #[error("Gitea refused the token (401) for {method} {path}")]
    Unauthorized {
        /// HTTP method.
        method: Method,
        /// API path.
        path: String,
    },
    /// 403: the token may not do this.
    #[error("Gitea forbids {method} {path} (403): {message}")]
    Forbidden {
        /// HTTP method.
        method: Method,
        /// API path.
        path: String,
        /// Gitea's message.
        message: String,
    },
    /// 422 (and 400/409): Gitea rejected the request.
    #[error("Gitea rejected {method} {path} ({status}): {message}")]
    Validation {
        /// HTTP status.
        status: u16,
        /// HTTP method.
        method: Method,
        /// API path.
        path: String,
        /// Gitea's message.
        message: String,
    },
    /// Any other non-success answer (5xx after retries, unexpected 404).
    #[error("Gitea answered {status} to {method} {path}: {message}")]
    Http {
        /// HTTP status.
        status: u16,
        /// HTTP method.
        method: Method,
        /// API path.
        path: String,
        /// Gitea's message or the body (control characters removed, at most 512 characters).
        message: String,
    },
    /// Gitea answered with a redirect. Redirects are never followed: the token would go to
    /// wherever the `Location` points.
    #[error(
        "Gitea answered {status} to {method} {path} with a redirect to {location}; redirects are not followed (the token would go with them): use the URL it points at as the base URL if you trust it"
    )]
    Redirect {
        /// HTTP status.
        status: u16,
        /// HTTP method.
        method: Method,
        /// API path.
        path: String,
        /// Where it pointed (sanitised).
        location: String,
    },
    /// The answer was larger than the client's response cap.
    #[error("Gitea's answer to {method} {path} is over {limit} bytes; not read further")]
    TooLarge {
        /// HTTP method.
        method: Method,
        /// API path.
        path: String,
        /// The cap.
        limit: usize,
    },
    /// Gitea could not be reached (after retries).
    #[error("could not reach Gitea for {method} {path}")]
    Transport {
        /// HTTP method.
        method: Method,
        /// API path.
        path: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// The answer did not have the expected shape.
    #[error("unexpected answer to {method} {path}: {message}")]
    Decode {
        /// HTTP method.
        method: Method,
        /// API path.
        path: String,
        /// What did not fit.
        message: String,
    },
}

impl GiteaError {
    /// Whether a retry may help: 5xx and transport errors (timeouts included); never 4xx.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transport { .. } | Self::Http { status: 500.., .. })
    }

    /// Whether something asked for does not exist: an org, repository or file, or any 404
    /// (SPEC GITEA-9).
    ///
    /// ```
    /// use catalyst_gitea::GiteaError;
    /// assert!(GiteaError::OrgNotFound { org: "acme".into() }.is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::OrgNotFound { .. }
                | Self::RepoNotFound { .. }
                | Self::FileNotFound { .. }
                | Self::Http { status: 404, .. }
        )
    }

    /// Whether someone else's write got there first: a stale blob SHA, or Gitea's 409
    /// (SPEC GITEA-7, GITEA-9). Never retried blindly; read again and decide.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. } | Self::Validation { status: 409, .. })
    }
}

#[derive(Deserialize)]
struct ContentsEntry {
    #[serde(rename = "type")]
    kind: String,
    sha: String,
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct ApiMessage {
    message: String,
}

/// How to reach Gitea: [`Config::new`] (30 s per request, connecting within 10 s, 3
/// attempts on 5xx and timeouts, [`MAX_RESPONSE_BYTES`] per answer), then `with_*`.
///
/// ```
/// use std::time::Duration;
/// use catalyst_gitea::Config;
///
/// let config = Config::new("https://gitea.example.test/api/v1").with_timeout(Duration::from_secs(5)).with_attempts(1);
/// assert_eq!(config.attempts, 1);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The server: its root or `…/api/v1`.
    pub base_url: String,
    /// The longest one request takes.
    pub timeout: Duration,
    /// The longest wait for a connection (at most `timeout`).
    pub connect_timeout: Duration,
    /// Attempts for 5xx answers and timeouts, the first included (at least 1).
    pub attempts: u32,
    /// The largest successful answer read.
    pub max_response: usize,
}

impl Config {
    /// The defaults for `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            attempts: 3,
            max_response: MAX_RESPONSE_BYTES,
        }
    }

    /// With another per-request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// With another connect timeout.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// With another number of attempts (0 is taken as 1).
    #[must_use]
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// With another cap on successful answers.
    #[must_use]
    pub fn with_max_response(mut self, bytes: usize) -> Self {
        self.max_response = bytes;
        self
    }
}

/// The Gitea client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: BaseUrl,
    token: Token,
    attempts: u32,
    max_response: usize,
    /// Whether `POST /admin/orgs` is still worth trying (cleared when the server does not
    /// serve it; shared by clones).
    admin_orgs: Arc<AtomicBool>,
}

impl Client {
    /// A client for `base` (root or `…/api/v1`) with [`Config::new`]'s defaults.
    pub fn new(base: &str, token: Token) -> Result<Self, GiteaError> {
        Self::from_config(&Config::new(base), token)
    }

    /// A client with `config`; the base URL is checked here.
    pub fn from_config(config: &Config, token: Token) -> Result<Self, GiteaError> {
        let base = BaseUrl::parse(&config.base_url)?;
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout.min(config.timeout))
            // NB: a redirect could point the token anywhere the server likes; none is followed,
            // and the error names where it pointed.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("catalyst-gitea/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| GiteaError::Transport { method: Method::GET, path: String::new(), source })?;
        Ok(Self {
            http,
            base,
            token,
            attempts: config.attempts.max(1),
            max_response: config.max_response,
            admin_orgs: Arc::new(AtomicBool::new(true)),
        })
    }

    /// Reads one answer, capped: a success up to the client's cap, an error body up to 64 KiB
    /// (only a part of it is ever shown).
    async fn read_body(
        &self,
        method: &Method,
        path: &str,
        mut resp: reqwest::Response,
    ) -> Result<(StatusCode, Vec<u8>), GiteaError> {
        let status = resp.status();
        if status.is_redirection() {
            let location = resp.headers().get(reqwest::header::LOCATION).map_or_else(
                || "(no Location)".to_owned(),
                |l| catalyst_naming::untrusted::remote_bytes(l.as_bytes()),
            );
            return Err(GiteaError::Redirect {
                status: status.as_u16(),
                method: method.clone(),
                path: path.to_owned(),
                location,
            });
        }
        let limit = if status.is_success() { self.max_response } else { 64 * 1024 };
        let mut bytes = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > limit {
                        if status.is_success() {
                            return Err(GiteaError::TooLarge {
                                method: method.clone(),
                                path: path.to_owned(),
                                limit,
                            });
                        }
                        bytes.extend_from_slice(&chunk[..limit - bytes.len()]);
                        break;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(source) => {
                    return Err(GiteaError::Transport {
                        method: method.clone(),
                        path: path.to_owned(),
                        source,
                    });
                }
            }
        }
        Ok((status, bytes))
    }

    /// A write that is not idempotent and whose answer may be lost after Gitea acted on it:
    /// after a transient failure, `landed` reads back what happened. `Some` is the write's
    /// effect (returned as its result), `None` means it did not happen and it is sent again
    /// (at most `attempts` times in all); an error ends it (a concurrent change, say).
    async fn write_once<T, W, L>(
        &self,
        mut write: impl FnMut() -> W,
        mut landed: impl FnMut() -> L,
    ) -> Result<T, GiteaError>
    where
        W: Future<Output = Result<T, GiteaError>>,
        L: Future<Output = Result<Option<T>, GiteaError>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match write().await {
                Err(e) if e.is_transient() => {
                    tracing::debug!(err = %e, "Gitea write: answer lost; reading back what happened");
                    // Also after the last attempt: a write that landed is reported as done.
                    if let Some(done) = landed().await? {
                        return Ok(done);
                    }
                    if attempt >= self.attempts {
                        return Err(e);
                    }
                    tokio::time::sleep(Duration::from_millis(200 * 4u64.pow(attempt - 1))).await;
                }
                other => return other,
            }
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Vec<u8>), GiteaError> {
        let url = self.base.api(path);
        // Only reads and PATCH (which sets fields to values) are safe to repeat blindly; the
        // other writes are repeated by `write_once` after reading back what happened.
        let repeatable = method == Method::GET || method == Method::PATCH;
        let mut attempt = 0;
        loop {
            let mut req = self.http.request(method.clone(), &url).header("Accept", "application/json");
            if !self.token.expose().is_empty() {
                let mut value =
                    reqwest::header::HeaderValue::from_str(&format!("token {}", self.token.expose()))
                        .map_err(|_| UrlError::InvalidArgument {
                            what: "token",
                            value: "<redacted>".into(),
                            reason: "it is not a valid header value",
                        })?;
                value.set_sensitive(true);
                req = req.header("Authorization", value);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let err = match req.send().await {
                Ok(resp) => match self.read_body(&method, path, resp).await {
                    Ok((status, bytes)) if status.is_success() || status.is_client_error() => {
                        return Ok((status, bytes));
                    }
                    Ok((status, bytes)) => http_error(status, &method, path, &bytes),
                    Err(e) => e,
                },
                Err(source) => {
                    GiteaError::Transport { method: method.clone(), path: path.to_owned(), source }
                }
            };
            attempt += 1;
            if !err.is_transient() || attempt >= self.attempts || !repeatable {
                return Err(err);
            }
            let wait = Duration::from_millis(200 * 4u64.pow(attempt - 1));
            tracing::debug!(%err, ?wait, "retrying Gitea call");
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends and maps 4xx: 401, 403 and 400/409/422 are typed; 404 is left to `not_found`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        not_found: impl FnOnce(&[u8]) -> GiteaError,
    ) -> Result<T, GiteaError> {
        let (status, bytes) = self.send(method.clone(), path, body).await?;
        if status.is_success() {
            let bytes = if bytes.is_empty() { b"null".to_vec() } else { bytes };
            return serde_json::from_slice(&bytes).map_err(|e| GiteaError::Decode {
                method,
                path: path.to_owned(),
                message: catalyst_naming::untrusted::remote_text(&e.to_string()),
            });
        }
        let message = message_of(&bytes);
        Err(match status.as_u16() {
            401 => GiteaError::Unauthorized { method, path: path.to_owned() },
            403 => GiteaError::Forbidden { method, path: path.to_owned(), message },
            404 => not_found(&bytes),
            s @ (400 | 409 | 422) => {
                GiteaError::Validation { status: s, method, path: path.to_owned(), message }
            }
            s => GiteaError::Http { status: s, method, path: path.to_owned(), message },
        })
    }

    /// `GET /version`.
    pub async fn version(&self) -> Result<String, GiteaError> {
        #[derive(Deserialize)]
        struct V {
            version: String,
        }
        let v: V = self.call(Method::GET, "/version", None, |b| plain_404("/version", b)).await?;
        Ok(v.version)
    }

    /// `GET /orgs/{org}` (GITEA-4).
    pub async fn get_org(&self, org: &str) -> Result<Org, GiteaError> {
        let path = format!("/orgs/{}", escape_segment("org", org)?);
        self.call(Method::GET, &path, None, |_| GiteaError::OrgNotFound { org: org.to_owned() }).await
    }

    /// `POST /orgs`. When the answer is lost, the org is read back before it is sent again.
    pub async fn create_org(&self, org: &str) -> Result<Org, GiteaError> {
        escape_segment("org", org)?;
        let body = json!({"username": org});
        self.write_once(
            || self.call(Method::POST, "/orgs", Some(&body), |b| plain_404("/orgs", b)),
            || async {
                match self.get_org(org).await {
                    Ok(o) => Ok(Some(o)),
                    Err(GiteaError::OrgNotFound { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            },
        )
        .await
    }

    /// `GET /repos/{owner}/{repo}`.
    pub async fn get_repo(&self, owner: &str, repo: &str) -> Result<Repo, GiteaError> {
        let path = repo_path(owner, repo)?;
        self.call(Method::GET, &path, None, |_| repo_missing(owner, repo)).await
    }

    /// `POST /orgs/{org}/repos`, private, with an initial commit on `default_branch`.
    pub async fn create_repo(&self, org: &str, repo: &str, default_branch: &str) -> Result<Repo, GiteaError> {
        self.create_repo_described(org, repo, default_branch, "").await
    }

    /// [`Client::create_repo`] with a description (none when empty).
    pub async fn create_repo_described(
        &self,
        org: &str,
        repo: &str,
        default_branch: &str,
        description: &str,
    ) -> Result<Repo, GiteaError> {
        self.post_repo(&NewRepo { org, name: repo, description, private: true, default_branch }).await
    }

    /// Finds the org or creates it (SPEC GITEA-8): `GET /orgs/{org}`, and when it is missing
    /// `POST /admin/orgs` (as the platform's shared client sends it), falling back to
    /// `POST /orgs` when the server does not serve that (Gitea 1.22 documents only `GET` there;
    /// the client then goes straight to `/orgs`). An existing org is returned as it is: its
    /// name, description and visibility are never changed. A 409/422 because a concurrent
    /// writer created it first reads it back; a lost answer is read back, never repeated blindly.
    pub async fn ensure_org(&self, org: &NewOrg<'_>) -> Result<Ensured<Org>, GiteaError> {
        match self.get_org(org.name).await {
            Ok(value) => return Ok(Ensured { value, created: false }),
            Err(GiteaError::OrgNotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut body = json!({"username": org.name, "visibility": org.visibility});
        if !org.full_name.is_empty() {
            body["full_name"] = json!(org.full_name);
        }
        if !org.description.is_empty() {
            body["description"] = json!(org.description);
        }
        let mut created = Err(GiteaError::Http {
            status: 405,
            method: Method::POST,
            path: "/admin/orgs".into(),
            message: String::new(),
        });
        if self.admin_orgs.load(Ordering::Relaxed) {
            created = self.post_org("/admin/orgs", org.name, &body).await;
        }
        if let Err(GiteaError::Http { status: 404 | 405, .. }) = created {
            self.admin_orgs.store(false, Ordering::Relaxed);
            created = self.post_org("/orgs", org.name, &body).await;
        }
        match created {
            Ok(value) => Ok(Ensured { value, created: true }),
            Err(e @ GiteaError::Validation { status: 409 | 422, .. }) => match self.get_org(org.name).await {
                Ok(value) => Ok(Ensured { value, created: false }),
                Err(GiteaError::OrgNotFound { .. }) => Err(e),
                Err(other) => Err(other),
            },
            Err(e) => Err(e),
        }
    }

    async fn post_org(&self, path: &str, name: &str, body: &Value) -> Result<Org, GiteaError> {
        self.write_once(
            || self.call(Method::POST, path, Some(body), |b| post_404(path, b)),
            || async {
                match self.get_org(name).await {
                    Ok(o) => Ok(Some(o)),
                    Err(GiteaError::OrgNotFound { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            },
        )
        .await
    }

    /// Finds the repository or creates it with an initial commit on its default branch (SPEC
    /// GITEA-8): `GET /repos/{org}/{name}`, else `POST /orgs/{org}/repos`. A missing org is
    /// [`GiteaError::OrgNotFound`]; a 409/422 because someone created it first reads it back.
    /// An existing repository is never changed.
    pub async fn ensure_repo(&self, repo: &NewRepo<'_>) -> Result<Ensured<Repo>, GiteaError> {
        match self.get_repo(repo.org, repo.name).await {
            Ok(value) => return Ok(Ensured { value, created: false }),
            Err(GiteaError::RepoNotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        match self.post_repo(repo).await {
            Ok(value) => Ok(Ensured { value, created: true }),
            Err(e @ GiteaError::Validation { status: 409 | 422, .. }) => {
                match self.get_repo(repo.org, repo.name).await {
                    Ok(value) => Ok(Ensured { value, created: false }),
                    Err(GiteaError::RepoNotFound { .. }) => Err(e),
                    Err(other) => Err(other),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn post_repo(&self, repo: &NewRepo<'_>) -> Result<Repo, GiteaError> {
        let path = format!("/orgs/{}/repos", escape_segment("org", repo.org)?);
        escape_segment("repo", repo.name)?;
        escape_segment("branch", repo.default_branch)?;
        let mut body = json!({"name": repo.name, "auto_init": true, "default_branch": repo.default_branch,
                              "private": repo.private});
        if !repo.description.is_empty() {
            body["description"] = json!(repo.description);
        }
        self.write_once(
            || {
                self.call(Method::POST, &path, Some(&body), |_| GiteaError::OrgNotFound {
                    org: repo.org.to_owned(),
                })
            },
            || async {
                match self.get_repo(repo.org, repo.name).await {
                    Ok(r) => Ok(Some(r)),
                    Err(GiteaError::RepoNotFound { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            },
        )
        .await
    }

    /// Every repository of an org, `GET /orgs/{org}/repos?limit=50&page=N` until a short page
    /// (SPEC GITEA-8), at most [`MAX_LISTED`] of them. A missing org is
    /// [`GiteaError::OrgNotFound`].
    pub async fn list_org_repos(&self, org: &str) -> Result<Vec<Repo>, GiteaError> {
        let base = format!("/orgs/{}/repos", escape_segment("org", org)?);
        self.list_pages(&base, "", || GiteaError::OrgNotFound { org: org.to_owned() }).await
    }

    /// Pages through a list with `limit=50` until a short page; more than [`MAX_LISTED`] items
    /// is an error rather than an unbounded read.
    async fn list_pages<T: DeserializeOwned>(
        &self,
        base: &str,
        query: &str,
        missing: impl Fn() -> GiteaError,
    ) -> Result<Vec<T>, GiteaError> {
        let mut all = Vec::new();
        for page in 1..=(MAX_LISTED / PAGE + 1) {
            let path = format!("{base}?{query}limit={PAGE}&page={page}");
            let items: Vec<T> = self.call(Method::GET, &path, None, |_| missing()).await?;
            let short = items.len() < PAGE;
            all.extend(items);
            if all.len() > MAX_LISTED {
                return Err(GiteaError::Decode {
                    method: Method::GET,
                    path: base.to_owned(),
                    message: format!("more than {MAX_LISTED} entries; not listed further"),
                });
            }
            if short {
                break;
            }
        }
        Ok(all)
    }

    /// Finds branch `branch` or creates it from the head of `from` (SPEC GITEA-8). A 409/422
    /// because it was created concurrently reads it back.
    pub async fn ensure_branch(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
        from: &str,
    ) -> Result<Ensured<Branch>, GiteaError> {
        if let Some(value) = self.get_branch(owner, repo, branch).await? {
            return Ok(Ensured { value, created: false });
        }
        match self.create_branch(owner, repo, branch, from).await {
            Ok(value) => Ok(Ensured { value, created: true }),
            Err(e @ GiteaError::Validation { status: 409 | 422, .. }) => {
                match self.get_branch(owner, repo, branch).await? {
                    Some(value) => Ok(Ensured { value, created: false }),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Opens a pull request from `head` into `base`, or returns the one already open for the
    /// same pair (Gitea answers 409; SPEC GITEA-8) with `created: false`.
    pub async fn create_pull_request(
        &self,
        owner: &str,
        repo: &str,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> Result<Ensured<PullRequest>, GiteaError> {
        let path = format!("{}/pulls", repo_path(owner, repo)?);
        escape_segment("head", head)?;
        escape_segment("base", base)?;
        let request = json!({"head": head, "base": base, "title": title, "body": body});
        let posted = self
            .write_once(
                || self.call(Method::POST, &path, Some(&request), |_| repo_missing(owner, repo)),
                || self.open_pull(owner, repo, head, base),
            )
            .await;
        match posted {
            Ok(value) => Ok(Ensured { value, created: true }),
            Err(e @ GiteaError::Validation { status: 409, .. }) => {
                match self.open_pull(owner, repo, head, base).await? {
                    Some(value) => Ok(Ensured { value, created: false }),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The open pull request from `head` into `base`, if there is one.
    pub async fn open_pull(
        &self,
        owner: &str,
        repo: &str,
        head: &str,
        base: &str,
    ) -> Result<Option<PullRequest>, GiteaError> {
        let path = format!("{}/pulls", repo_path(owner, repo)?);
        let open: Vec<PullRequest> =
            self.list_pages(&path, "state=open&", || repo_missing(owner, repo)).await?;
        Ok(open.into_iter().find(|p| p.state == "open" && p.head.branch == head && p.base.branch == base))
    }

    /// `GET /user`: the login of the token's user.
    pub async fn current_user(&self) -> Result<String, GiteaError> {
        #[derive(Deserialize)]
        struct User {
            login: String,
        }
        let u: User = self.call(Method::GET, "/user", None, |b| plain_404("/user", b)).await?;
        Ok(u.login)
    }

    /// The logins of the org's `Owners` team (`GET /orgs/{org}/teams`, then
    /// `GET /teams/{id}/members`): who fully controls the org, for a caller that must prove the
    /// org is its own before writing into it. A missing org is [`GiteaError::OrgNotFound`]; no
    /// `Owners` team is an empty list.
    pub async fn org_owners(&self, org: &str) -> Result<Vec<String>, GiteaError> {
        #[derive(Deserialize)]
        struct Team {
            id: i64,
            name: String,
        }
        #[derive(Deserialize)]
        struct Member {
            login: String,
        }
        let base = format!("/orgs/{}/teams", escape_segment("org", org)?);
        let teams: Vec<Team> =
            self.list_pages(&base, "", || GiteaError::OrgNotFound { org: org.to_owned() }).await?;
        let Some(owners) = teams.into_iter().find(|t| t.name == "Owners") else { return Ok(Vec::new()) };
        let members: Vec<Member> = self
            .list_pages(&format!("/teams/{}/members", owners.id), "", || GiteaError::OrgNotFound {
                org: org.to_owned(),
            })
            .await?;
        Ok(members.into_iter().map(|m| m.login).collect())
    }

    /// `DELETE /repos/{owner}/{repo}`.
    pub async fn delete_repo(&self, owner: &str, repo: &str) -> Result<(), GiteaError> {
        let path = repo_path(owner, repo)?;
        self.call::<Value>(Method::DELETE, &path, None, |_| repo_missing(owner, repo)).await.map(drop)
    }

    /// The file at `path` on `branch` (GITEA-5): decoded content and blob SHA.
    pub async fn get_file(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
        path: &str,
    ) -> Result<File, GiteaError> {
        let api = format!(
            "{}/contents/{}?ref={}",
            repo_path(owner, repo)?,
            escape_path(path)?,
            escape_segment("branch", branch)?
        );
        let value: Value = self
            .call(Method::GET, &api, None, |body| {
                if String::from_utf8_lossy(body).to_ascii_lowercase().contains("repository") {
                    repo_missing(owner, repo)
                } else {
                    GiteaError::FileNotFound {
                        owner: owner.into(),
                        repo: repo.into(),
                        branch: branch.into(),
                        path: path.into(),
                    }
                }
            })
            .await?;
        if value.is_array() {
            return Err(GiteaError::NotAFile { owner: owner.into(), repo: repo.into(), path: path.into() });
        }
        let entry: ContentsEntry = serde_json::from_value(value).map_err(|e| GiteaError::Decode {
            method: Method::GET,
            path: api.clone(),
            message: catalyst_naming::untrusted::remote_text(&e.to_string()),
        })?;
        if entry.kind != "file" {
            return Err(GiteaError::NotAFile { owner: owner.into(), repo: repo.into(), path: path.into() });
        }
        let text: String = entry.content.unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect();
        let content = B64.decode(text).map_err(|e| GiteaError::Decode {
            method: Method::GET,
            path: api,
            message: format!("content is not base64: {e}"),
        })?;
        Ok(File { content, sha: entry.sha })
    }

    /// The file, or `None` when it does not exist on the branch.
    async fn read(&self, t: &Target<'_>, path: &str) -> Result<Option<File>, GiteaError> {
        match self.get_file(t.owner, t.repo, t.branch, path).await {
            Ok(f) => Ok(Some(f)),
            Err(GiteaError::FileNotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes one file unless it already holds `content` (GITEA-6): identical bytes make no
    /// request that writes; a different file is updated with the SHA that was read, and if
    /// Gitea says that SHA is stale the result is [`GiteaError::Conflict`]: someone else's
    /// change is never overwritten and never retried over.
    ///
    /// When the answer to the write is lost (a timeout after Gitea committed), the file is read
    /// back: holding `content` it is reported as written, unchanged since the first read it is
    /// written again, and changed to anything else it is a [`GiteaError::Conflict`].
    pub async fn upsert_file(
        &self,
        t: &Target<'_>,
        path: &str,
        content: &[u8],
    ) -> Result<Upsert, GiteaError> {
        check_target(t)?;
        let api = format!("{}/contents/{}", repo_path(t.owner, t.repo)?, escape_path(path)?);
        let mut body = json!({
            "content": B64.encode(content),
            "message": t.message,
            "branch": t.branch,
            "author": t.author,
            "committer": t.author,
        });
        let before = self.read(t, path).await?;
        let (method, result) = match &before {
            Some(current) if current.content == content => return Ok(Upsert::Unchanged),
            Some(current) => {
                body["sha"] = Value::String(current.sha.clone());
                (Method::PUT, Upsert::Updated)
            }
            None => (Method::POST, Upsert::Created),
        };
        let before_sha = before.map(|f| f.sha);
        self.write_once(
            || async {
                let written: Result<Value, _> =
                    self.call(method.clone(), &api, Some(&body), |_| repo_missing(t.owner, t.repo)).await;
                written.map(|_| result).map_err(|e| conflict_of(e, t, path))
            },
            || async {
                match self.read(t, path).await? {
                    Some(now) if now.content == content => Ok(Some(result)),
                    now if now.as_ref().map(|f| &f.sha) == before_sha.as_ref() => Ok(None),
                    _ => Err(lost_race(t, path)),
                }
            },
        )
        .await
    }

    /// Deletes a file with the SHA that was read; `false` when it was already absent. A change
    /// between the read and the delete is a [`GiteaError::Conflict`].
    pub async fn delete_file(&self, t: &Target<'_>, path: &str) -> Result<bool, GiteaError> {
        check_target(t)?;
        let Some(current) = self.read(t, path).await? else { return Ok(false) };
        let api = format!("{}/contents/{}", repo_path(t.owner, t.repo)?, escape_path(path)?);
        let body = json!({"sha": current.sha, "message": t.message, "branch": t.branch, "author": t.author, "committer": t.author});
        self.write_once(
            || async {
                let done: Result<Value, _> =
                    self.call(Method::DELETE, &api, Some(&body), |_| repo_missing(t.owner, t.repo)).await;
                done.map(|_| true).map_err(|e| conflict_of(e, t, path))
            },
            || async {
                match self.read(t, path).await? {
                    None => Ok(Some(true)),
                    Some(now) if now.sha == current.sha => Ok(None),
                    Some(_) => Err(lost_race(t, path)),
                }
            },
        )
        .await
    }

    /// Writes several files in one commit (GITEA-7): only files whose bytes differ are
    /// sent, each update carrying the SHA that was read; no commit when none differ.
    /// Returns each path's result, in input order.
    pub async fn upsert_files(
        &self,
        t: &Target<'_>,
        files: &[(&str, &[u8])],
    ) -> Result<Vec<(String, Upsert)>, GiteaError> {
        self.upsert_files_expecting(t, files, &[]).await
    }

    /// [`Client::upsert_files`] for content computed from an earlier read (a merge): each
    /// `(path, sha)` of `expected` is the blob SHA that read saw (`None`: the file was absent).
    /// When a file no longer is what was read, nothing is written and the answer is
    /// [`GiteaError::Conflict`]: the caller reads again instead of writing over a change it
    /// did not see.
    pub async fn upsert_files_expecting(
        &self,
        t: &Target<'_>,
        files: &[(&str, &[u8])],
        expected: &[(&str, Option<&str>)],
    ) -> Result<Vec<(String, Upsert)>, GiteaError> {
        check_target(t)?;
        let mut ops = Vec::new();
        let mut results = Vec::with_capacity(files.len());
        let mut before = Vec::with_capacity(files.len());
        for (path, content) in files {
            escape_path(path)?;
            let current = self.read(t, path).await?;
            if let Some((_, sha)) = expected.iter().find(|(p, _)| p == path)
                && current.as_ref().map(|f| f.sha.as_str()) != *sha
            {
                return Err(GiteaError::Conflict {
                    owner: t.owner.into(),
                    repo: t.repo.into(),
                    path: (*path).to_owned(),
                    message: "it changed after it was read to compute this write".into(),
                });
            }
            before.push(current.as_ref().map(|f| f.sha.clone()));
            let (op, result) = match current {
                Some(current) if current.content == *content => (None, Upsert::Unchanged),
                Some(current) => (
                    Some(
                        json!({"operation": "update", "path": path, "content": B64.encode(content), "sha": current.sha}),
                    ),
                    Upsert::Updated,
                ),
                None => (
                    Some(json!({"operation": "create", "path": path, "content": B64.encode(content)})),
                    Upsert::Created,
                ),
            };
            ops.extend(op);
            results.push(((*path).to_owned(), result));
        }
        if ops.is_empty() {
            return Ok(results);
        }
        let api = format!("{}/contents", repo_path(t.owner, t.repo)?);
        let body = json!({"files": ops, "message": t.message, "branch": t.branch, "author": t.author, "committer": t.author});
        let joined: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
        let joined = joined.join(", ");
        self.write_once(
            || async {
                let written: Result<Value, _> =
                    self.call(Method::POST, &api, Some(&body), |_| repo_missing(t.owner, t.repo)).await;
                written.map(|_| results.clone()).map_err(|e| conflict_of(e, t, &joined))
            },
            || async {
                // One commit holds every file or none: all written, or all as they were.
                let (mut all_written, mut all_before) = (true, true);
                for ((path, content), sha) in files.iter().zip(&before) {
                    let now = self.read(t, path).await?;
                    all_written &= now.as_ref().is_some_and(|f| f.content == *content);
                    all_before &= now.map(|f| f.sha) == *sha;
                }
                if all_written {
                    Ok(Some(results.clone()))
                } else if all_before {
                    Ok(None)
                } else {
                    Err(lost_race(t, &joined))
                }
            },
        )
        .await
    }

    /// `GET /repos/{o}/{r}/branches`.
    pub async fn branches(&self, owner: &str, repo: &str) -> Result<Vec<Branch>, GiteaError> {
        let path = format!("{}/branches", repo_path(owner, repo)?);
        self.call(Method::GET, &path, None, |_| repo_missing(owner, repo)).await
    }

    /// `GET /repos/{o}/{r}/branches/{b}`, `None` when it does not exist.
    pub async fn get_branch(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
    ) -> Result<Option<Branch>, GiteaError> {
        let path = format!("{}/branches/{}", repo_path(owner, repo)?, escape_segment("branch", branch)?);
        match self.call(Method::GET, &path, None, |b| plain_404(&path, b)).await {
            Ok(b) => Ok(Some(b)),
            Err(GiteaError::Http { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /repos/{o}/{r}/branches`: `new` from the head of `from`.
    pub async fn create_branch(
        &self,
        owner: &str,
        repo: &str,
        new: &str,
        from: &str,
    ) -> Result<Branch, GiteaError> {
        let path = format!("{}/branches", repo_path(owner, repo)?);
        escape_segment("branch", new)?;
        let body = json!({"new_branch_name": new, "old_branch_name": from});
        self.write_once(
            || self.call(Method::POST, &path, Some(&body), |_| repo_missing(owner, repo)),
            || self.get_branch(owner, repo, new),
        )
        .await
    }

    /// `POST /repos/{o}/{r}/branch_protections`: pushes to `branch` need a pull request.
    pub async fn protect_branch(&self, owner: &str, repo: &str, branch: &str) -> Result<(), GiteaError> {
        let path = format!("{}/branch_protections", repo_path(owner, repo)?);
        let body = json!({"rule_name": branch, "enable_push": false});
        self.call::<Value>(Method::POST, &path, Some(&body), |_| repo_missing(owner, repo)).await.map(drop)
    }

    /// `GET /repos/{o}/{r}/hooks`.
    pub async fn hooks(&self, owner: &str, repo: &str) -> Result<Vec<Hook>, GiteaError> {
        let path = format!("{}/hooks", repo_path(owner, repo)?);
        self.call(Method::GET, &path, None, |_| repo_missing(owner, repo)).await
    }

    /// `POST /repos/{o}/{r}/hooks`: a push webhook to `url`. When the answer is lost, the
    /// hooks are listed first and a hook to `url` found there is returned instead of a second
    /// one being created.
    pub async fn create_hook(&self, owner: &str, repo: &str, url: &str) -> Result<Hook, GiteaError> {
        let path = format!("{}/hooks", repo_path(owner, repo)?);
        let body = json!({"type": "gitea", "active": true, "events": ["push"], "config": {"url": url, "content_type": "json"}});
        self.write_once(
            || self.call(Method::POST, &path, Some(&body), |_| repo_missing(owner, repo)),
            || async {
                let hooks = self.hooks(owner, repo).await?;
                Ok(hooks.into_iter().find(|h| h.config.get("url").map(String::as_str) == Some(url)))
            },
        )
        .await
    }

    /// `PATCH /repos/{o}/{r}/hooks/{id}`: turns a hook on or off.
    pub async fn set_hook_active(
        &self,
        owner: &str,
        repo: &str,
        id: i64,
        active: bool,
    ) -> Result<Hook, GiteaError> {
        let path = format!("{}/hooks/{id}", repo_path(owner, repo)?);
        self.call(Method::PATCH, &path, Some(&json!({"active": active})), |_| repo_missing(owner, repo)).await
    }
}

fn repo_path(owner: &str, repo: &str) -> Result<String, UrlError> {
    Ok(format!("/repos/{}/{}", escape_segment("owner", owner)?, escape_segment("repo", repo)?))
}

fn repo_missing(owner: &str, repo: &str) -> GiteaError {
    GiteaError::RepoNotFound { owner: owner.into(), repo: repo.into() }
}

/// Page size of list calls.
const PAGE: usize = 50;

/// The most entries a list call reads.
pub const MAX_LISTED: usize = 10_000;

fn post_404(path: &str, body: &[u8]) -> GiteaError {
    GiteaError::Http { status: 404, method: Method::POST, path: path.into(), message: message_of(body) }
}

fn plain_404(path: &str, body: &[u8]) -> GiteaError {
    GiteaError::Http { status: 404, method: Method::GET, path: path.into(), message: message_of(body) }
}

fn message_of(body: &[u8]) -> String {
    serde_json::from_slice::<ApiMessage>(body).map_or_else(
        |_| catalyst_naming::untrusted::remote_bytes(body),
        |m| catalyst_naming::untrusted::remote_text(&m.message),
    )
}

fn http_error(status: StatusCode, method: &Method, path: &str, body: &[u8]) -> GiteaError {
    GiteaError::Http {
        status: status.as_u16(),
        method: method.clone(),
        path: path.to_owned(),
        message: message_of(body),
    }
}

fn check_target(t: &Target<'_>) -> Result<(), GiteaError> {
    let empty = |what: &'static str, v: &str| -> Result<(), GiteaError> {
        if v.trim().is_empty() {
            return Err(UrlError::InvalidArgument { what, value: v.to_owned(), reason: "it is empty" }.into());
        }
        Ok(())
    };
    empty("commit message", t.message)?;
    empty("author name", &t.author.name)?;
    empty("author email", &t.author.email)?;
    escape_segment("branch", t.branch)?;
    Ok(())
}

/// The file changed under a write whose answer was lost: someone else wrote it.
fn lost_race(t: &Target<'_>, path: &str) -> GiteaError {
    GiteaError::Conflict {
        owner: t.owner.into(),
        repo: t.repo.into(),
        path: path.into(),
        message:
            "the answer to the write was lost and the file now holds neither the old nor the new content"
                .into(),
    }
}

/// A stale-SHA answer (422 naming the SHA, or 409) becomes [`GiteaError::Conflict`].
fn conflict_of(e: GiteaError, t: &Target<'_>, path: &str) -> GiteaError {
    match e {
        GiteaError::Validation { status, message, .. }
            if status == 409
                || message.to_ascii_lowercase().contains("sha")
                || message.to_ascii_lowercase().contains("already exists") =>
        {
            GiteaError::Conflict { owner: t.owner.into(), repo: t.repo.into(), path: path.into(), message }
        }
        other => other,
    }
}
