//! The PowerDNS Authoritative HTTP API client (SPEC DNS-1 … DNS-9).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::plan::{ActualSet, DEFAULT_MAX_BODY, ZonePlan};
use crate::{RrSet, ZonePatch, canonical_name, canonical_nameservers};

/// The PowerDNS API key. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// Reads `PDNS_API_KEY`.
    pub fn from_env() -> Result<Self, PdnsError> {
        match std::env::var("PDNS_API_KEY") {
            Ok(k) if !k.trim().is_empty() => Ok(Self(k.trim().to_owned())),
            _ => Err(PdnsError::Config("PDNS_API_KEY is not set".into())),
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Client configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Base URL, e.g. `http://127.0.0.1:8081` (no `/api/v1`).
    pub base_url: String,
    /// Server ID (default `localhost`).
    pub server_id: String,
    /// Per-request timeout (default 10 s).
    pub timeout: Duration,
    /// Attempts for transient failures (transport errors, 5xx), the first included, within
    /// [`Config::retry_budget`] (default 20).
    pub attempts: u32,
    /// How long one operation (a call, or the apply of one zone with its re-plans) may keep
    /// retrying transient failures, waiting with exponential backoff and full jitter (a wait
    /// drawn from 0 to 250 ms, doubling to at most 4 s) between attempts (default 15 s).
    pub retry_budget: Duration,
    /// Largest PATCH body (default just under PowerDNS's 2 MiB).
    pub max_body: usize,
    /// Largest response body read (default [`MAX_RESPONSE_BYTES`]); a larger answer is an
    /// error, never a buffer that grows without bound.
    pub max_response: usize,
}

/// The default cap on one response body: 64 MiB, room for zones of several hundred
/// thousand records.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

impl Config {
    /// A configuration with defaults.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            server_id: "localhost".into(),
            timeout: Duration::from_secs(10),
            attempts: 20,
            retry_budget: Duration::from_secs(15),
            max_body: DEFAULT_MAX_BODY,
            max_response: MAX_RESPONSE_BYTES,
        }
    }

    /// Sets the per-request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the largest response body read.
    #[must_use]
    pub fn with_max_response(mut self, bytes: usize) -> Self {
        self.max_response = bytes;
        self
    }

    /// Sets the server ID.
    #[must_use]
    pub fn with_server_id(mut self, id: impl Into<String>) -> Self {
        self.server_id = id.into();
        self
    }

    /// Sets how long one operation may keep retrying transient failures (zero: never
    /// retried).
    #[must_use]
    pub fn with_retry_budget(mut self, budget: Duration) -> Self {
        self.retry_budget = budget;
        self
    }

    /// Sets the most attempts of one operation, the first included.
    #[must_use]
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// Sets the largest PATCH body.
    #[must_use]
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }
}

/// What went wrong talking to PowerDNS.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdnsError {
    /// Bad configuration, found before any request.
    #[error("PowerDNS client configuration: {0}")]
    Config(String),
    /// The server could not be reached (after retries).
    #[error("could not reach PowerDNS for {method} {path}")]
    Transport {
        /// HTTP method.
        method: Method,
        /// API path.
        path: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// The zone does not exist (404).
    #[error("zone {zone} does not exist on the server")]
    ZoneNotFound {
        /// The zone.
        zone: String,
    },
    /// The server answered with a redirect. Redirects are never followed: the API key would
    /// travel with the request to wherever the `Location` points.
    #[error(
        "PowerDNS answered {status} to {method} {path} with a redirect to {location}; redirects are not followed (the API key would go with them): point --server at the API itself"
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
    /// The answer was larger than [`Config::max_response`].
    #[error("PowerDNS's answer to {method} {path} is over {limit} bytes; not read further")]
    TooLarge {
        /// HTTP method.
        method: Method,
        /// API path.
        path: String,
        /// The cap.
        limit: usize,
    },
    /// The API key was refused (401).
    #[error("PowerDNS refused the API key (401 Unauthorized)")]
    Unauthorized,
    /// Any other non-success answer.
    #[error("PowerDNS answered {status} to {method} {path}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// HTTP method.
        method: Method,
        /// API path.
        path: String,
        /// The `error` field of a JSON body, else the body; control characters removed, at most
        /// 512 characters ([`catalyst_naming::untrusted::remote_text`]).
        message: String,
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
    /// The zone kept appearing and disappearing while it was applied; nothing more was sent.
    #[error(
        "zone {zone} kept being created and deleted by someone else while it was applied ({plans} plans); stopped"
    )]
    Unsettled {
        /// The zone.
        zone: String,
        /// Plans made.
        plans: u32,
    },
    /// The plan changes record sets its owner does not own.
    #[error(
        "zone {zone}: {count} record set(s) exist, are not owned by {owner} and differ from the desired state (first: {first}); use --force to take them over"
    )]
    NotOwned {
        /// The zone.
        zone: String,
        /// The plan's owner.
        owner: crate::Owner,
        /// How many.
        count: usize,
        /// The first one.
        first: String,
    },
    /// Some writes of an apply (PATCH bodies, or the zone's creation with its records) landed
    /// before a failure; plan again to see what is left.
    #[error(
        "zone {zone}: {written} write(s) of this apply landed before this failure (its plan needed {total})"
    )]
    Partial {
        /// The zone.
        zone: String,
        /// Writes that landed.
        written: usize,
        /// Writes the first plan needed.
        total: usize,
        /// The failure.
        #[source]
        source: Box<PdnsError>,
    },
}

impl PdnsError {
    /// Whether a retry may succeed: transport errors and 5xx (including sqlite's
    /// "database is locked" 500). Never 4xx.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// Requests sent, by kind (for tests and `--verbose` reports).
#[derive(Debug, Default)]
pub struct Stats {
    /// GET requests.
    pub gets: AtomicU64,
    /// PATCH requests.
    pub patches: AtomicU64,
    /// Other writes (POST, PUT, DELETE).
    pub other_writes: AtomicU64,
}

/// Server information (`GET /api/v1/servers/{id}`).
#[derive(Debug, Clone, Deserialize)]
pub struct ServerInfo {
    /// Server ID.
    pub id: String,
    /// `authoritative`.
    pub daemon_type: String,
    /// PowerDNS version.
    pub version: String,
}

/// A zone as listed.
#[derive(Debug, Clone, Deserialize)]
pub struct ZoneSummary {
    /// Zone name with trailing dot.
    pub name: String,
    /// `Native`, `Master`, …
    pub kind: String,
    /// SOA serial.
    #[serde(default)]
    pub serial: u64,
    /// Whether DNSSEC is on.
    #[serde(default)]
    pub dnssec: bool,
}

/// A DNSSEC key (`GET …/cryptokeys`).
#[derive(Debug, Clone, Deserialize)]
pub struct CryptoKey {
    /// Key ID.
    pub id: u64,
    /// `ksk`, `zsk` or `csk`.
    pub keytype: String,
    /// Whether it signs.
    pub active: bool,
    /// DNSKEY algorithm name.
    #[serde(default)]
    pub algorithm: String,
}

/// The PowerDNS client. Cheap to clone; clones share the HTTP client, the write lock and
/// the request counters.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<Config>,
    key: ApiKey,
    write_lock: Arc<tokio::sync::Mutex<()>>,
    stats: Arc<Stats>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("config", &self.config).field("key", &self.key).finish_non_exhaustive()
    }
}

/// The result of applying a plan to one zone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    /// The zone.
    pub zone: String,
    /// Changes sent.
    pub changes: usize,
    /// Write requests sent: each PATCH, and the POST that created the zone with its records.
    pub patches: usize,
}

impl Client {
    /// Builds a client; fails on an empty base URL or a base URL with a path.
    pub fn new(config: Config, key: ApiKey) -> Result<Self, PdnsError> {
        let base = config.base_url.trim().trim_end_matches('/').to_owned();
        if base.is_empty() {
            return Err(PdnsError::Config("the server URL is empty".into()));
        }
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(PdnsError::Config(format!("the server URL {base:?} is not http:// or https://")));
        }
        if key.0.is_empty() {
            return Err(PdnsError::Config("the API key is empty".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            // NB: the API key is a custom header, which reqwest keeps on a redirect to another
            // host; no redirect is followed at all.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| PdnsError::Config(format!("cannot build the HTTP client: {e}")))?;
        let config = Config { base_url: base, ..config };
        Ok(Self { http, config: Arc::new(config), key, write_lock: Arc::default(), stats: Arc::default() })
    }

    /// Requests sent so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    fn zone_path(&self, zone: &str) -> String {
        format!("/api/v1/servers/{}/zones/{}", self.config.server_id, canonical_name(zone))
    }

    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<(StatusCode, Vec<u8>), PdnsError> {
        let url = format!("{}{path}", self.config.base_url);
        let mut key = reqwest::header::HeaderValue::from_str(&self.key.0)
            .map_err(|_| PdnsError::Config("the API key is not a valid header value".into()))?;
        key.set_sensitive(true);
        let mut req = self.http.request(method.clone(), &url).header("X-API-Key", key);
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b.to_vec());
        }
        let transport =
            |source| PdnsError::Transport { method: method.clone(), path: path.to_owned(), source };
        let mut resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        if status.is_redirection() {
            let location = resp.headers().get(reqwest::header::LOCATION).map_or_else(
                || "(no Location)".to_owned(),
                |l| catalyst_naming::untrusted::remote_bytes(l.as_bytes()),
            );
            return Err(PdnsError::Redirect {
                status: status.as_u16(),
                method: method.clone(),
                path: path.to_owned(),
                location,
            });
        }
        // Error bodies are only ever shown in part: read little of them.
        let limit = if status.is_success() { self.config.max_response } else { 64 * 1024 };
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > limit {
                if !status.is_success() {
                    bytes.extend_from_slice(&chunk[..limit - bytes.len()]);
                    break;
                }
                return Err(PdnsError::TooLarge { method: method.clone(), path: path.to_owned(), limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, bytes))
    }

    /// The wait before another attempt after `attempt` attempts (from 1), when the retry
    /// policy allows one: fewer than [`Config::attempts`] so far, and the wait ([`backoff`])
    /// ends by `until`.
    fn next_wait(&self, attempt: u32, until: tokio::time::Instant) -> Option<Duration> {
        if attempt >= self.config.attempts {
            return None;
        }
        let wait = backoff(attempt.saturating_sub(1));
        (tokio::time::Instant::now() + wait <= until).then_some(wait)
    }

    /// [`Client::call_until`] within the retry budget from now.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        zone: Option<&str>,
    ) -> Result<(StatusCode, Vec<u8>), PdnsError> {
        let until = tokio::time::Instant::now() + self.config.retry_budget;
        self.call_until(method, path, body, zone, until).await
    }

    /// One API call, retrying transient failures (transport errors, 5xx such as sqlite's
    /// "database is locked") with exponential backoff and full jitter while `until` allows and
    /// at most [`Config::attempts`] times. Writes hold the per-server lock, so one client never
    /// races itself into sqlite's "database is locked".
    ///
    /// POST is never retried here: it is not idempotent (a lost answer may hide a zone or
    /// a key that was created). Its callers re-read and decide. Nor is PATCH: a diff made
    /// before the failure may be stale after it, so [`Client::apply`] plans again instead.
    async fn call_until(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        zone: Option<&str>,
        until: tokio::time::Instant,
    ) -> Result<(StatusCode, Vec<u8>), PdnsError> {
        let write = method != Method::GET;
        let _guard = if write { Some(self.write_lock.lock().await) } else { None };
        let counter = match method {
            Method::GET => &self.stats.gets,
            Method::PATCH => &self.stats.patches,
            _ => &self.stats.other_writes,
        };
        let mut attempt = 0;
        loop {
            counter.fetch_add(1, Ordering::Relaxed);
            let err = match self.send_once(&method, path, body.as_deref()).await {
                Ok((status, bytes)) if status.is_success() => return Ok((status, bytes)),
                Ok((status, bytes)) => status_error(status, &method, path, &bytes, zone),
                Err(e) => e,
            };
            attempt += 1;
            if !err.is_transient() || method == Method::POST || method == Method::PATCH {
                return Err(err);
            }
            let Some(wait) = self.next_wait(attempt, until) else { return Err(err) };
            tracing::debug!(%err, ?wait, attempt, "retrying PowerDNS call");
            tokio::time::sleep(wait).await;
        }
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str, zone: Option<&str>) -> Result<T, PdnsError> {
        let (_, bytes) = self.call(Method::GET, path, None, zone).await?;
        serde_json::from_slice(&bytes).map_err(|e| PdnsError::Decode {
            method: Method::GET,
            path: path.to_owned(),
            message: catalyst_naming::untrusted::remote_text(&e.to_string()),
        })
    }

    /// `GET /api/v1/servers/{id}`.
    pub async fn server_info(&self) -> Result<ServerInfo, PdnsError> {
        self.get_json(&format!("/api/v1/servers/{}", self.config.server_id), None).await
    }

    /// Every zone of the server.
    pub async fn zones(&self) -> Result<Vec<ZoneSummary>, PdnsError> {
        self.get_json(&format!("/api/v1/servers/{}/zones", self.config.server_id), None).await
    }

    /// The record sets of a zone, or `None` when it does not exist.
    pub async fn rrsets(&self, zone: &str) -> Result<Option<Vec<ActualSet>>, PdnsError> {
        self.rrsets_until(zone, tokio::time::Instant::now() + self.config.retry_budget).await
    }

    async fn rrsets_until(
        &self,
        zone: &str,
        until: tokio::time::Instant,
    ) -> Result<Option<Vec<ActualSet>>, PdnsError> {
        let path = self.zone_path(zone);
        let bytes = match self.call_until(Method::GET, &path, None, Some(zone), until).await {
            Ok((_, bytes)) => bytes,
            Err(PdnsError::ZoneNotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        crate::zone::parse_zone(&bytes).map(Some).map_err(|e| PdnsError::Decode {
            method: Method::GET,
            path,
            message: catalyst_naming::untrusted::remote_text(&e.to_string()),
        })
    }

    /// Creates a Native zone with the given nameservers (default `ns1..3.<zone>`), `api_rectify`
    /// on; an existing zone counts as success (SPEC DNS-7). Returns whether it was created.
    /// When the answer to the POST is lost, the zone is read back: if it exists now, the POST
    /// took effect (`true`); if not, the POST is sent again, after a backoff wait, within the
    /// retry budget.
    pub async fn create_zone(
        &self,
        zone: &str,
        nameservers: &[String],
        dnssec: bool,
    ) -> Result<bool, PdnsError> {
        let until = tokio::time::Instant::now() + self.config.retry_budget;
        let created = self.create_zone_until(zone, nameservers, dnssec, &[], until).await?;
        Ok(created != Created::Existed)
    }

    /// The POST of a zone, with `rrsets` in it (created with the zone, in one request).
    async fn create_zone_until(
        &self,
        zone: &str,
        nameservers: &[String],
        dnssec: bool,
        rrsets: &[RrSet],
        until: tokio::time::Instant,
    ) -> Result<Created, PdnsError> {
        let zone = canonical_name(zone);
        let apex_ns = rrsets.iter().any(|r| r.rtype == "NS" && canonical_name(&r.name) == zone);
        // PowerDNS takes the apex NS from `nameservers` or from `rrsets`, not both.
        let ns: Vec<String> = if apex_ns {
            Vec::new()
        } else if nameservers.is_empty() {
            (1..=3).map(|i| format!("ns{i}.{zone}")).collect()
        } else {
            canonical_nameservers(nameservers)
        };
        let sets: Vec<serde_json::Value> = rrsets
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.remove("changetype");
                }
                v
            })
            .collect();
        let body = serde_json::json!({"name": zone, "kind": "Native", "nameservers": ns, "dnssec": dnssec, "api_rectify": true, "masters": [], "rrsets": sets});
        let path = format!("/api/v1/servers/{}/zones", self.config.server_id);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.call_until(Method::POST, &path, Some(body.to_string().into_bytes()), None, until).await
            {
                Ok(_) => return Ok(Created::Yes),
                Err(PdnsError::Api { status: 409 | 412, .. }) => return Ok(Created::Existed),
                Err(e) if e.is_transient() => {
                    tracing::debug!(err = %e, "creating the zone: answer lost or refused; reading it back");
                    if self.rrsets_until(&zone, until).await?.is_some() {
                        return Ok(Created::Unknown);
                    }
                    let Some(wait) = self.next_wait(attempt, until) else { return Err(e) };
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Deletes a zone; an absent zone counts as success.
    pub async fn delete_zone(&self, zone: &str) -> Result<(), PdnsError> {
        match self.call(Method::DELETE, &self.zone_path(zone), None, Some(zone)).await {
            Ok(_) | Err(PdnsError::ZoneNotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// One PATCH of record sets, applied atomically by PowerDNS. An empty list sends nothing.
    /// Not retried: after a failure, plan again ([`Client::apply`] does).
    pub async fn patch(&self, zone: &str, patch: &ZonePatch) -> Result<(), PdnsError> {
        if patch.rrsets.is_empty() {
            return Ok(());
        }
        let body = serde_json::to_vec(patch).map_err(|e| PdnsError::Config(e.to_string()))?;
        self.call(Method::PATCH, &self.zone_path(zone), Some(body), Some(zone)).await.map(drop)
    }

    /// REPLACE or DELETE individual record sets, one PATCH each (what per-record tools do;
    /// kept for comparison benchmarks).
    pub async fn patch_each(&self, zone: &str, rrsets: &[RrSet]) -> Result<(), PdnsError> {
        for r in rrsets {
            self.patch(zone, &ZonePatch { rrsets: vec![r.clone()] }).await?;
        }
        Ok(())
    }

    /// Applies a zone plan: a new zone is created with its records in one request (so it never
    /// exists half-filled), an existing one gets every change in one PATCH (split only to stay
    /// under the body cap). Refuses before any request when the plan would change sets this
    /// tool does not own.
    ///
    /// A write that fails with a transient error (transport, 5xx) is not replayed: after a
    /// backoff wait the zone is read and planned again from the same desired state, and only
    /// that plan is sent. So a write someone made in between is refused (never overwritten),
    /// and what already landed is not sent twice. All within [`Config::retry_budget`] (plus at
    /// most one request's timeout) and [`Config::attempts`]. A zone someone else created after
    /// the plan is planned against at once. Nothing is ever deleted to undo a failed apply; an
    /// error after some writes landed is [`PdnsError::Partial`], naming how many.
    pub async fn apply(&self, plan: &ZonePlan) -> Result<Applied, PdnsError> {
        if let Some(first) = plan.refused.first() {
            return Err(not_owned(plan, first));
        }
        let until = tokio::time::Instant::now() + self.config.retry_budget;
        let mut progress = Progress::default();
        match self.apply_until(plan, until, &mut progress).await {
            Ok(()) => {
                Ok(Applied { zone: plan.zone.clone(), changes: plan.changes.len(), patches: progress.sent })
            }
            Err(e) if progress.written == 0 => Err(e),
            Err(e) => Err(PdnsError::Partial {
                zone: plan.zone.clone(),
                written: progress.written,
                total: plan.patches(self.config.max_body).len().max(1),
                source: Box::new(e),
            }),
        }
    }

    async fn apply_until(
        &self,
        plan: &ZonePlan,
        until: tokio::time::Instant,
        progress: &mut Progress,
    ) -> Result<(), PdnsError> {
        let mut current = std::borrow::Cow::Borrowed(plan);
        let (mut attempt, mut appeared) = (0u32, 0u32);
        loop {
            let failure = match self.apply_once(&current, until, progress).await {
                Ok(true) => return Ok(()),
                // The zone exists although the plan found none (someone created it, or our own
                // POST's answer was lost): plan against it now, no wait.
                Ok(false) => {
                    appeared += 1;
                    if appeared > 3 {
                        return Err(PdnsError::Unsettled { zone: plan.zone.clone(), plans: appeared });
                    }
                    None
                }
                Err(e) => {
                    attempt += 1;
                    let Some(wait) = e.is_transient().then(|| self.next_wait(attempt, until)).flatten()
                    else {
                        return Err(e);
                    };
                    tracing::debug!(err = %e, ?wait, attempt, zone = %plan.zone, "write failed; planning again");
                    tokio::time::sleep(wait).await;
                    Some(e)
                }
            };
            let actual = self.rrsets_until(&plan.zone, until).await?;
            let next = plan.replan(actual.as_deref());
            if let Some(first) = next.refused.first() {
                return Err(not_owned(&next, first));
            }
            if next.create_zone && !plan.create_zone {
                // Deleted by someone else while this apply ran: not recreated behind their back.
                return Err(failure.unwrap_or(PdnsError::ZoneNotFound { zone: plan.zone.clone() }));
            }
            current = std::borrow::Cow::Owned(next);
        }
    }

    /// One pass of a plan. A zone to create is created with its records in the POST when they
    /// fit one body (else created, then patched). `Ok(false)`: the zone to create exists
    /// already; nothing else was sent.
    async fn apply_once(
        &self,
        plan: &ZonePlan,
        until: tokio::time::Instant,
        progress: &mut Progress,
    ) -> Result<bool, PdnsError> {
        let bodies = plan.patches(self.config.max_body);
        let mut rest = bodies.as_slice();
        if plan.create_zone {
            let with: &[RrSet] = match bodies.as_slice() {
                [one] => {
                    rest = &[];
                    &one.rrsets
                }
                _ => &[],
            };
            progress.sent += 1;
            match self.create_zone_until(&plan.zone, &[], false, with, until).await? {
                Created::Yes => progress.written += 1,
                Created::Existed | Created::Unknown => return Ok(false),
            }
        }
        for p in rest {
            progress.sent += 1;
            self.patch(&plan.zone, p).await?;
            progress.written += 1;
        }
        Ok(true)
    }

    /// Plans every zone of a desired state: one GET per zone, nothing written.
    pub async fn plan(&self, zones: &[crate::DesiredZone], force: bool) -> Result<Vec<ZonePlan>, PdnsError> {
        self.plan_with_progress(zones, force, |_| {}).await
    }

    /// [`Client::plan`], calling `done` with each zone's plan as soon as it is made (for a
    /// progress display over many zones).
    pub async fn plan_with_progress(
        &self,
        zones: &[crate::DesiredZone],
        force: bool,
        mut done: impl FnMut(&ZonePlan),
    ) -> Result<Vec<ZonePlan>, PdnsError> {
        let mut plans = Vec::with_capacity(zones.len());
        for z in zones {
            let actual = self.rrsets(&z.zone).await?;
            let plan = crate::plan_zone(z, actual.as_deref(), force);
            done(&plan);
            plans.push(plan);
        }
        Ok(plans)
    }

    /// Applies several zone plans; refuses before writing anything when any plan would
    /// change a record set this tool does not own.
    pub async fn apply_all(&self, plans: &[ZonePlan]) -> Result<Vec<Applied>, PdnsError> {
        self.apply_all_with_progress(plans, |_| {}).await
    }

    /// [`Client::apply_all`], calling `done` after each zone is applied (for a progress display
    /// over many zones).
    pub async fn apply_all_with_progress(
        &self,
        plans: &[ZonePlan],
        mut done: impl FnMut(&Applied),
    ) -> Result<Vec<Applied>, PdnsError> {
        if let Some(plan) = plans.iter().find(|p| !p.refused.is_empty()) {
            return Err(not_owned(plan, &plan.refused[0]));
        }
        let mut out = Vec::with_capacity(plans.len());
        for plan in plans {
            let applied = self.apply(plan).await?;
            done(&applied);
            out.push(applied);
        }
        Ok(out)
    }

    /// Turns DNSSEC on (SPEC DNS-9): zone flags, then any missing active KSK/ZSK (a CSK
    /// counts for both), then rectify. Idempotent. When the answer to a key's POST is lost,
    /// the keys are read back before anything is sent again, so a key is never created twice.
    pub async fn enable_dnssec(&self, zone: &str) -> Result<(), PdnsError> {
        let path = self.zone_path(zone);
        let flags = serde_json::json!({"dnssec": true, "soa_edit": "INCEPTION-EPOCH", "soa_edit_api": "INCEPTION-EPOCH"});
        self.call(Method::PUT, &path, Some(flags.to_string().into_bytes()), Some(zone)).await?;
        let has = |keys: &[CryptoKey], t: &str| {
            keys.iter().any(|k| k.active && (k.keytype == t || k.keytype == "csk"))
        };
        let mut keys = self.cryptokeys(zone).await?;
        for keytype in ["ksk", "zsk"] {
            let mut attempt = 0;
            while !has(&keys, keytype) {
                attempt += 1;
                let body = serde_json::json!({"keytype": keytype, "active": true, "published": true, "algorithm": "ecdsa256"});
                match self
                    .call(
                        Method::POST,
                        &format!("{path}/cryptokeys"),
                        Some(body.to_string().into_bytes()),
                        Some(zone),
                    )
                    .await
                {
                    Ok(_) => break,
                    Err(e) if e.is_transient() => {
                        tracing::debug!(err = %e, keytype, "creating a DNSSEC key: answer lost; reading the keys back");
                        keys = self.cryptokeys(zone).await?;
                        if !has(&keys, keytype) {
                            if attempt >= self.config.attempts.min(3) {
                                return Err(e);
                            }
                            tokio::time::sleep(backoff(attempt - 1)).await;
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        self.call(Method::PUT, &format!("{path}/rectify"), None, Some(zone)).await.map(drop)
    }

    /// The zone's DNSSEC keys.
    pub async fn cryptokeys(&self, zone: &str) -> Result<Vec<CryptoKey>, PdnsError> {
        self.get_json(&format!("{}/cryptokeys", self.zone_path(zone)), Some(zone)).await
    }
}

/// Requests an apply sent, and those that are known to have landed.
#[derive(Debug, Default)]
struct Progress {
    sent: usize,
    written: usize,
}

/// What a zone's POST did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Created {
    /// Created by this request.
    Yes,
    /// It existed already (409).
    Existed,
    /// It exists now; the answer was lost, so whose POST made it is not known.
    Unknown,
}

/// The wait before retry `n` (from 0): full jitter, drawn uniformly from zero to 250 ms · 2ⁿ,
/// at most 4 s.
fn backoff(n: u32) -> Duration {
    let ceiling = Duration::from_millis(250).saturating_mul(1 << n.min(16)).min(Duration::from_secs(4));
    ceiling.mul_f64(fastrand::f64())
}

fn not_owned(plan: &ZonePlan, first: &crate::Refused) -> PdnsError {
    let by = first.owner.as_ref().map_or_else(|| "no owner".to_owned(), |o| format!("owner {o}"));
    PdnsError::NotOwned {
        zone: plan.zone.clone(),
        owner: plan.owner.clone(),
        count: plan.refused.len(),
        first: format!("{} ({by})", first.actual),
    }
}

/// The `{"error": …}` body of PowerDNS's 422 answers.
#[derive(Deserialize)]
struct ErrBody {
    error: String,
}

fn status_error(
    status: StatusCode,
    method: &Method,
    path: &str,
    body: &[u8],
    zone: Option<&str>,
) -> PdnsError {
    if status == StatusCode::UNAUTHORIZED {
        return PdnsError::Unauthorized;
    }
    if status == StatusCode::NOT_FOUND
        && let Some(zone) = zone
    {
        return PdnsError::ZoneNotFound { zone: canonical_name(zone) };
    }
    let message = serde_json::from_slice::<ErrBody>(body).map_or_else(
        |_| catalyst_naming::untrusted::remote_bytes(body),
        |b| catalyst_naming::untrusted::remote_text(&b.error),
    );
    PdnsError::Api { status: status.as_u16(), method: method.clone(), path: path.to_owned(), message }
}
