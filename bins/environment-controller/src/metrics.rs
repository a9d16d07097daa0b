//! Prometheus metrics of the controller (served on `/metrics`).

use std::sync::Arc;
use std::time::Duration;

use catalyst_core::crd::EnvironmentPhase;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::reconcile::{Error, Outcome};

/// Reconcile counters and durations, the commit counter and the leader gauge.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    reconciles: Family<Vec<(String, String)>, Counter>,
    errors: Counter,
    commits: Counter,
    duration: Histogram,
    /// 1 while this replica holds the Lease.
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
        let mut registry = Registry::with_prefix("environment_controller");
        let reconciles = Family::<Vec<(String, String)>, Counter>::default();
        let errors = Counter::default();
        let commits = Counter::default();
        let duration = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        let leader = Gauge::default();
        registry.register("reconciles", "Reconciles by resulting phase", reconciles.clone());
        registry.register(
            "reconcile_errors",
            "Reconciles that failed and are retried with backoff",
            errors.clone(),
        );
        registry.register(
            "gitea_commits",
            "GitRepository manifests committed (created or updated)",
            commits.clone(),
        );
        registry.register("reconcile_duration_seconds", "Time per reconcile", duration.clone());
        registry.register("leader", "1 while this replica holds the leader Lease", leader.clone());
        Self { registry: Arc::new(registry), reconciles, errors, commits, duration, leader }
    }

    /// Records one reconcile.
    pub fn observe(&self, result: &Result<Outcome, Error>, took: Duration) {
        self.duration.observe(took.as_secs_f64());
        match result {
            Ok(outcome) => {
                let phase = match outcome.phase {
                    None => "gone",
                    Some(EnvironmentPhase::Pending) => "pending",
                    Some(EnvironmentPhase::Provisioning) => "provisioning",
                    Some(EnvironmentPhase::Ready) => "ready",
                    Some(EnvironmentPhase::Degraded) => "degraded",
                    Some(EnvironmentPhase::Failed) => "failed",
                };
                self.reconciles.get_or_create(&vec![("phase".to_owned(), phase.to_owned())]).inc();
            }
            Err(_) => {
                self.errors.inc();
            }
        }
    }

    /// Counts one commit to Gitea (also when the reconcile fails later).
    pub fn committed(&self) {
        self.commits.inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
