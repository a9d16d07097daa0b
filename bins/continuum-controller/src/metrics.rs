//! Prometheus metrics of the controller (served on `/metrics`).

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::audit::AuditType;

type Labels = Vec<(String, String)>;

/// Reconciles, status writes, switchovers, audit events, workers and the leader gauge.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    reconciles: Family<Labels, Counter>,
    status_writes: Counter,
    switchovers: Family<Labels, Counter>,
    audits: Family<Labels, Counter>,
    /// Workers running (one per valid Continuum).
    pub workers: Gauge,
    /// 1 while this replica holds the leader Lease.
    pub leader: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn label(k: &str, v: &str) -> Labels {
    vec![(k.to_owned(), v.to_owned())]
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("continuum_controller");
        let reconciles = Family::<Labels, Counter>::default();
        let status_writes = Counter::default();
        let switchovers = Family::<Labels, Counter>::default();
        let audits = Family::<Labels, Counter>::default();
        let workers = Gauge::default();
        let leader = Gauge::default();
        registry.register("reconciles", "Reconciles by outcome", reconciles.clone());
        registry.register(
            "status_writes",
            "Continuum status writes (only when the status changed)",
            status_writes.clone(),
        );
        registry.register("switchovers", "Switchovers by result", switchovers.clone());
        registry.register(
            "audit_events",
            "Audit events published to NATS JetStream, by type",
            audits.clone(),
        );
        registry.register("workers", "Workers running, one per valid Continuum", workers.clone());
        registry.register("leader", "1 while this replica holds the leader Lease", leader.clone());
        Self { registry: Arc::new(registry), reconciles, status_writes, switchovers, audits, workers, leader }
    }

    /// Counts a reconcile with its outcome (`started`, `running`, `invalid`, `gone`, `error`).
    pub fn reconciled(&self, outcome: &str) {
        self.reconciles.get_or_create(&label("outcome", outcome)).inc();
    }

    /// Counts a status write.
    pub fn status_written(&self) {
        self.status_writes.inc();
    }

    /// Counts a switchover (`success`, `failed`).
    pub fn switchover(&self, result: &str) {
        self.switchovers.get_or_create(&label("result", result)).inc();
    }

    /// Counts a published audit event.
    pub fn audited(&self, kind: AuditType) {
        self.audits.get_or_create(&label("type", kind.as_str())).inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
