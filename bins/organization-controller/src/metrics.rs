//! Prometheus metrics of the controller (served on `/metrics`).

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::reconcile::{Error, Outcome};

/// Reconciles by `Ready` reason, errors, files committed, objects written and the leader gauge.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    reconciles: Family<Vec<(String, String)>, Counter>,
    errors: Counter,
    files: Counter,
    objects: Counter,
    cas: Counter,
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

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("organization_controller");
        let reconciles = Family::<Vec<(String, String)>, Counter>::default();
        let (errors, files, objects, cas, leader) = (
            Counter::default(),
            Counter::default(),
            Counter::default(),
            Counter::default(),
            Gauge::default(),
        );
        registry.register(
            "reconciles",
            "Reconciles by the reason of the Ready condition",
            reconciles.clone(),
        );
        registry.register("reconcile_errors", "Reconciles that failed and are retried", errors.clone());
        registry.register("gitea_files_written", "Tenant files created or updated in Gitea", files.clone());
        registry.register(
            "objects_written",
            "Flux objects, UserAccesses and Environments written",
            objects.clone(),
        );
        registry.register(
            "gitea_cas_skipped",
            "Commits skipped because someone else wrote first",
            cas.clone(),
        );
        registry.register("leader", "1 while this replica holds the leader Lease", leader.clone());
        Self { registry: Arc::new(registry), reconciles, errors, files, objects, cas, leader }
    }

    /// Records one reconcile.
    pub fn observe(&self, result: &Result<Outcome, Error>) {
        match result {
            Ok(out) => {
                let reason = out.reason.unwrap_or("Gone");
                self.reconciles.get_or_create(&vec![("reason".to_owned(), reason.to_owned())]).inc();
                self.files.inc_by(out.files_written as u64);
                self.objects.inc_by(out.objects_written as u64);
                self.cas.inc_by(u64::from(out.cas_skipped));
            }
            Err(_) => {
                self.errors.inc();
            }
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
