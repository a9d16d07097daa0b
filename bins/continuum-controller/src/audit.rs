//! Audit events of the continuum-controller on NATS JetStream (SPEC CONT-3 step 7): subject
//! `catalyst.audit`, headers `audit-type`, `continuum-name`, `application-name`, a JSON body
//! with the platform's keys, and the platform's 13 event types.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// The subject every audit event goes to.
pub const AUDIT_SUBJECT: &str = "catalyst.audit";

/// The platform's audit event types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum AuditType {
    /// A switchover completed.
    #[serde(rename = "continuum-switchover")]
    Switchover,
    /// The old primary is back and a failback waits for a human.
    #[serde(rename = "continuum-failback-pending")]
    FailbackPending,
    /// A failback completed.
    #[serde(rename = "continuum-failback-completed")]
    FailbackCompleted,
    /// The lease was lost.
    #[serde(rename = "continuum-lease-lost")]
    LeaseLost,
    /// The lease was acquired.
    #[serde(rename = "continuum-lease-acquired")]
    LeaseAcquired,
    /// Replication lag passed the threshold.
    #[serde(rename = "continuum-cnpg-lag-breach")]
    CnpgLagBreach,
    /// A standby became promotable.
    #[serde(rename = "continuum-cnpg-promotable")]
    CnpgPromotable,
    /// A reconcile or a switchover step failed.
    #[serde(rename = "continuum-error")]
    Error,
    /// A reconcile succeeded after failing.
    #[serde(rename = "continuum-reconcile-success")]
    ReconcileSuccess,
    /// A Continuum appeared.
    #[serde(rename = "continuum-cr-created")]
    CrCreated,
    /// A Continuum's spec changed.
    #[serde(rename = "continuum-config-changed")]
    ConfigChanged,
    /// Two regions claimed the lease.
    #[serde(rename = "continuum-lease-collision")]
    LeaseCollision,
    /// A returning old primary was repaired to rejoin as a replica.
    #[serde(rename = "continuum-rejoin-repair")]
    RejoinRepair,
}

impl AuditType {
    /// Every type, in the platform's order.
    pub const ALL: [Self; 13] = [
        Self::Switchover,
        Self::FailbackPending,
        Self::FailbackCompleted,
        Self::LeaseLost,
        Self::LeaseAcquired,
        Self::CnpgLagBreach,
        Self::CnpgPromotable,
        Self::Error,
        Self::ReconcileSuccess,
        Self::CrCreated,
        Self::ConfigChanged,
        Self::LeaseCollision,
        Self::RejoinRepair,
    ];

    /// `continuum-switchover`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Switchover => "continuum-switchover",
            Self::FailbackPending => "continuum-failback-pending",
            Self::FailbackCompleted => "continuum-failback-completed",
            Self::LeaseLost => "continuum-lease-lost",
            Self::LeaseAcquired => "continuum-lease-acquired",
            Self::CnpgLagBreach => "continuum-cnpg-lag-breach",
            Self::CnpgPromotable => "continuum-cnpg-promotable",
            Self::Error => "continuum-error",
            Self::ReconcileSuccess => "continuum-reconcile-success",
            Self::CrCreated => "continuum-cr-created",
            Self::ConfigChanged => "continuum-config-changed",
            Self::LeaseCollision => "continuum-lease-collision",
            Self::RejoinRepair => "continuum-rejoin-repair",
        }
    }
}

/// One audit event; the body keys are the platform's.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: AuditType,
    /// `<namespace>/<name>` of the Continuum.
    pub continuum_name: String,
    /// Its Application.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub application_name: String,
    /// The primary before.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from_primary: String,
    /// The primary after.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to_primary: String,
    /// Replication lag in whole seconds, when it matters (an integer, as the platform's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<i64>,
    /// The switchover step as the platform writes it: `3/7`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub step: String,
    /// Machine-readable reason.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// For people.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Who started it (`controller`, a user).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub initiated_by: String,
    /// RFC 3339.
    pub timestamp: String,
}

impl AuditEvent {
    /// An event of `kind` for a Continuum, now.
    pub fn new(
        kind: AuditType,
        continuum_name: impl Into<String>,
        application_name: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            continuum_name: continuum_name.into(),
            application_name: application_name.into(),
            from_primary: String::new(),
            to_primary: String::new(),
            lag_seconds: None,
            step: String::new(),
            reason: String::new(),
            message: String::new(),
            initiated_by: String::new(),
            timestamp: jiff::Timestamp::now().to_string(),
        }
    }

    /// A stable message ID for JetStream's duplicate window: a retried publish of the same
    /// event is stored once.
    pub fn msg_id(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}",
            self.kind.as_str(),
            self.continuum_name,
            self.from_primary,
            self.to_primary,
            self.step,
            self.timestamp
        )
    }

    /// The NATS headers: `audit-type`, `continuum-name`, `application-name`.
    pub fn headers(&self) -> [(&'static str, &str); 3] {
        [
            ("audit-type", self.kind.as_str()),
            ("continuum-name", &self.continuum_name),
            ("application-name", &self.application_name),
        ]
    }
}

/// An audit event that was not recorded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// No NATS is configured: audited steps cannot complete (as in the platform).
    #[error("no NATS configured for audit events")]
    NotConfigured,
    /// NATS did not take it.
    #[error("NATS: {0}")]
    Nats(String),
}

/// Where audit events go.
pub trait AuditSink: Send + Sync {
    /// Records one event; an error means it was not recorded.
    fn publish(&self, event: &AuditEvent) -> impl Future<Output = Result<(), AuditError>> + Send;

    /// Whether an event could be recorded now: checked before a switchover changes anything,
    /// so a missing audit sink fails step 1, not step 7 after a promotion.
    ///
    /// # Errors
    /// Why it could not.
    fn ready(&self) -> impl Future<Output = Result<(), AuditError>> + Send;
}

/// No NATS: every publish fails with [`AuditError::NotConfigured`].
#[derive(Clone, Copy, Debug, Default)]
pub struct NoAudit;

impl AuditSink for NoAudit {
    async fn publish(&self, _event: &AuditEvent) -> Result<(), AuditError> {
        Err(AuditError::NotConfigured)
    }

    async fn ready(&self) -> Result<(), AuditError> {
        Err(AuditError::NotConfigured)
    }
}

/// JetStream: each event is published to [`AUDIT_SUBJECT`] and waits for the stream's ack, so
/// an event counts only once it is stored.
#[derive(Clone, Debug)]
pub struct NatsAudit {
    client: async_nats::Client,
    jetstream: async_nats::jetstream::Context,
    timeout: Duration,
}

impl NatsAudit {
    /// Connects to `url` (`nats://127.0.0.1:4222`) within `timeout`; each publish has the same
    /// deadline.
    ///
    /// # Errors
    /// [`AuditError::Nats`] when the server cannot be reached in time.
    pub async fn connect(url: &str, timeout: Duration) -> Result<Self, AuditError> {
        let options =
            async_nats::ConnectOptions::new().connection_timeout(timeout).request_timeout(Some(timeout));
        let client = tokio::time::timeout(timeout, options.connect(url))
            .await
            .map_err(|_| AuditError::Nats(format!("no connection to {url} within {timeout:?}")))?
            .map_err(|e| AuditError::Nats(format!("connecting to {url}: {e}")))?;
        Ok(Self { client: client.clone(), jetstream: async_nats::jetstream::new(client), timeout })
    }

    /// Like [`NatsAudit::connect`], but a server that cannot be reached now is connected to
    /// in the background: until then [`AuditSink::ready`] fails (so does a switchover, at step
    /// 1), while steady-state ticks go on. What the controller uses: a NATS outage must not
    /// stop the lease renewals.
    ///
    /// # Errors
    /// [`AuditError::Nats`] for a URL that is not a NATS URL.
    pub async fn connect_in_background(url: &str, timeout: Duration) -> Result<Self, AuditError> {
        let options = async_nats::ConnectOptions::new()
            .connection_timeout(timeout)
            .request_timeout(Some(timeout))
            .retry_on_initial_connect();
        let client =
            options.connect(url).await.map_err(|e| AuditError::Nats(format!("connecting to {url}: {e}")))?;
        Ok(Self { client: client.clone(), jetstream: async_nats::jetstream::new(client), timeout })
    }
}

impl AuditSink for NatsAudit {
    async fn publish(&self, event: &AuditEvent) -> Result<(), AuditError> {
        let mut headers = async_nats::HeaderMap::new();
        for (k, v) in event.headers() {
            headers.insert(k, v);
        }
        headers.insert("Nats-Msg-Id", event.msg_id().as_str());
        let body = serde_json::to_vec(event).map_err(|e| AuditError::Nats(e.to_string()))?;
        let publish = async {
            self.jetstream
                .publish_with_headers(AUDIT_SUBJECT, headers, body.into())
                .await
                .map_err(|e| AuditError::Nats(format!("publishing: {e}")))?
                .await
                .map_err(|e| AuditError::Nats(format!("no ack from the stream: {e}")))
        };
        tokio::time::timeout(self.timeout, publish)
            .await
            .map_err(|_| AuditError::Nats(format!("no ack within {:?}", self.timeout)))?
            .map(|_| ())
    }

    /// Connected, and a JetStream stream stores [`AUDIT_SUBJECT`] (without one, a publish
    /// gets no ack).
    async fn ready(&self) -> Result<(), AuditError> {
        match self.client.connection_state() {
            async_nats::connection::State::Connected => {}
            state => return Err(AuditError::Nats(format!("not connected ({state})"))),
        }
        match tokio::time::timeout(self.timeout, self.jetstream.stream_by_subject(AUDIT_SUBJECT)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(AuditError::Nats(format!("no JetStream stream stores {AUDIT_SUBJECT}: {e}"))),
            Err(_) => Err(AuditError::Nats(format!(
                "no answer about the {AUDIT_SUBJECT} stream within {:?}",
                self.timeout
            ))),
        }
    }
}

/// The controller's sink: JetStream when `--nats-url` is set, else none (steady-state ticks
/// keep working; a switchover fails at step 1, as audit events cannot be recorded).
#[derive(Clone, Debug)]
pub enum Audit {
    /// JetStream.
    Nats(Box<NatsAudit>),
    /// Not configured.
    Off(NoAudit),
}

impl AuditSink for Audit {
    async fn publish(&self, event: &AuditEvent) -> Result<(), AuditError> {
        match self {
            Self::Nats(n) => n.publish(event).await,
            Self::Off(n) => n.publish(event).await,
        }
    }

    async fn ready(&self) -> Result<(), AuditError> {
        match self {
            Self::Nats(n) => n.ready().await,
            Self::Off(n) => n.ready().await,
        }
    }
}

/// Publishes an event only on a transition: per Continuum and event type, the same reason and
/// regions are not published again until something else of that type was. An event counts
/// only once it was published ([`Transitions::published`]), so a failed publish is retried.
#[derive(Debug, Default)]
pub struct Transitions {
    last: Mutex<BTreeMap<TransitionKey, TransitionValue>>,
}

/// (Continuum, event type).
type TransitionKey = (String, AuditType);
/// (reason, from, to) of the last published event.
type TransitionValue = (String, String, String);

impl Transitions {
    fn key(event: &AuditEvent) -> (TransitionKey, TransitionValue) {
        (
            (event.continuum_name.clone(), event.kind),
            (event.reason.clone(), event.from_primary.clone(), event.to_primary.clone()),
        )
    }

    /// Whether `event` differs from the last one of its type published for its Continuum.
    pub fn is_new(&self, event: &AuditEvent) -> bool {
        let (key, value) = Self::key(event);
        let last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        last.get(&key) != Some(&value)
    }

    /// Records that `event` was published.
    pub fn published(&self, event: &AuditEvent) {
        let (key, value) = Self::key(event);
        self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, value);
    }

    /// Forgets the last event of `kind` for `continuum` (its condition cleared), so the next
    /// one is new again.
    pub fn clear(&self, continuum: &str, kind: AuditType) {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&(continuum.to_owned(), kind));
    }
}
