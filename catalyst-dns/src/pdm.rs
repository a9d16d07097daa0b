//! The pool-domain-manager's lua commit (SPEC DNS-19, OP-11): the continuum-controller posts
//! its record document to PDM, which writes the zone.
//!
//! `POST <base><path>` (path `/v1/lua/commit` by default: the docs say `/v1/commit`, PDM's own
//! OpenAPI `/api/v1/pool/{domain}/commit`, so it is configuration) with the JSON body
//! `{"records":[…],"zone":"<zone>"}` (records first, as Go's sorted map writes it), and the
//! optional `X-Catalyst-Token`. No records → no call. Redirects are never followed (the token
//! would go with them); answers are read up to 64 KiB.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::continuum::{ContinuumRecord, go_json};

/// Default PDM path of the lua commit.
pub const PDM_COMMIT_PATH: &str = "/v1/lua/commit";

/// Largest PDM answer read; the part shown in an error is at most 256 characters.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The `X-Catalyst-Token` value; never printed.
#[derive(Clone, Default)]
pub struct PdmToken(String);

impl PdmToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
}

impl fmt::Debug for PdmToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PdmToken(<redacted>)")
    }
}

/// Where and how to commit.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PdmConfig {
    /// Base URL: `http://127.0.0.1:8080`.
    pub base_url: String,
    /// Path of the commit endpoint (default [`PDM_COMMIT_PATH`]).
    pub path: String,
    /// Sent as `X-Catalyst-Token` when set.
    pub token: Option<PdmToken>,
    /// Deadline of the whole request (default 30 s).
    pub timeout: Duration,
}

impl PdmConfig {
    /// A configuration with the defaults.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            path: PDM_COMMIT_PATH.into(),
            token: None,
            timeout: Duration::from_secs(30),
        }
    }

    /// Sets the commit path.
    #[must_use]
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Sets the token.
    #[must_use]
    pub fn with_token(mut self, token: PdmToken) -> Self {
        self.token = Some(token);
        self
    }

    /// Sets the deadline.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What a commit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitOutcome {
    /// No records: nothing was sent (the platform's `ErrNoOp`).
    NoOp,
    /// PDM accepted the document with this 2xx status.
    Committed(u16),
}

/// A commit that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdmError {
    /// The configuration cannot work.
    #[error("pdm: {0}")]
    Config(String),
    /// 401 or 403.
    #[error("pdm: auth rejected (status {status})")]
    AuthRejected {
        /// The status.
        status: u16,
    },
    /// Any other non-2xx answer.
    #[error("pdm: status {status}: {body}")]
    Status {
        /// The status.
        status: u16,
        /// At most 256 characters of the answer, `...` when cut; control characters escaped.
        body: String,
    },
    /// A redirect, not followed.
    #[error("pdm: status {status}: redirect to {location} not followed (the token would go with it)")]
    Redirect {
        /// The status.
        status: u16,
        /// Where it pointed.
        location: String,
    },
    /// No answer within the deadline, or the connection failed.
    #[error("pdm: {0}")]
    Transport(String),
}

/// The zone to commit to: `spec.pdmZone`, else the first hostname (sorted) without its first
/// label (`api.example.com` → `example.com`). `None` when there is neither.
pub fn commit_zone(pdm_zone: Option<&str>, records: &[ContinuumRecord]) -> Option<String> {
    if let Some(z) = pdm_zone.filter(|z| !z.is_empty()) {
        return Some(z.to_owned());
    }
    let first = records.iter().map(|r| r.hostname.as_str()).min()?;
    first.split_once('.').map(|(_, zone)| zone.to_owned()).filter(|z| !z.is_empty())
}

/// The request body: `{"records":[…],"zone":"…"}`, compact, Go's escaping.
pub fn commit_body(zone: &str, records: &[ContinuumRecord]) -> String {
    #[derive(Serialize)]
    struct Body<'a> {
        records: Vec<&'a ContinuumRecord>,
        zone: &'a str,
    }
    let mut sorted: Vec<&ContinuumRecord> = records.iter().collect();
    sorted.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    go_json(&Body { records: sorted, zone })
}

/// The PDM client.
#[derive(Clone, Debug)]
pub struct PdmClient {
    http: reqwest::Client,
    url: String,
    token: Option<PdmToken>,
}

impl PdmClient {
    /// Builds a client.
    ///
    /// # Errors
    /// [`PdmError::Config`] for a base URL that is not http(s), a path not starting with `/`,
    /// or a token that is not a header value.
    pub fn new(config: PdmConfig) -> Result<Self, PdmError> {
        let base = config.base_url.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(PdmError::Config(format!("the PDM URL {base:?} is not http:// or https://")));
        }
        let authority = base.split_once("://").map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
        if authority.contains('@') {
            return Err(PdmError::Config(
                "the PDM URL carries credentials (user@host); give the token with the token setting, never in the URL".into(),
            ));
        }
        if !config.path.starts_with('/') {
            return Err(PdmError::Config(format!("the commit path {:?} must start with /", config.path)));
        }
        if let Some(t) = &config.token
            && reqwest::header::HeaderValue::from_str(&t.0).is_err()
        {
            return Err(PdmError::Config("the token is not a valid header value".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| PdmError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { http, url: format!("{base}{}", config.path), token: config.token })
    }

    /// Commits `records` to `zone`. No records → [`CommitOutcome::NoOp`] without a request.
    ///
    /// # Errors
    /// [`PdmError`]: rejected credentials, another status, a redirect, or no answer in time.
    pub async fn commit(&self, zone: &str, records: &[ContinuumRecord]) -> Result<CommitOutcome, PdmError> {
        if records.is_empty() {
            return Ok(CommitOutcome::NoOp);
        }
        let mut req = self
            .http
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(commit_body(zone, records));
        if let Some(t) = &self.token {
            let mut v = reqwest::header::HeaderValue::from_str(&t.0)
                .map_err(|_| PdmError::Config("the token is not a valid header value".into()))?;
            v.set_sensitive(true);
            req = req.header("X-Catalyst-Token", v);
        }
        let mut resp = req.send().await.map_err(|e| PdmError::Transport(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        if resp.status().is_success() {
            return Ok(CommitOutcome::Committed(status));
        }
        if resp.status().is_redirection() {
            let location = resp.headers().get(reqwest::header::LOCATION).map_or_else(
                || "(no Location)".to_owned(),
                |l| catalyst_naming::untrusted::remote_bytes(l.as_bytes()),
            );
            return Err(PdmError::Redirect { status, location });
        }
        if status == 401 || status == 403 {
            return Err(PdmError::AuthRejected { status });
        }
        let mut bytes = Vec::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            let room = MAX_ANSWER_BYTES - bytes.len();
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if bytes.len() >= MAX_ANSWER_BYTES {
                break;
            }
        }
        let text = catalyst_naming::untrusted::remote_bytes(&bytes);
        let body = if text.chars().count() > 256 {
            format!("{}...", text.chars().take(256).collect::<String>())
        } else {
            text
        };
        Err(PdmError::Status { status, body })
    }
}
