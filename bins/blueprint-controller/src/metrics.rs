//! Prometheus metrics of the controller (served on `/metrics`).

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use catalyst_core::catalog::Signature;

use crate::reconcile::{Error, Outcome};

/// Reconciles by phase, errors, Gitea writes and the leader gauge.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    reconciles: Family<Vec<(String, String)>, Counter>,
    errors: Counter,
    writes: Counter,
    signatures: Family<Vec<(String, String)>, Counter>,
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
        let mut registry = Registry::with_prefix("blueprint_controller");
        let reconciles = Family::<Vec<(String, String)>, Counter>::default();
        let (errors, writes, leader) = (Counter::default(), Counter::default(), Gauge::default());
        registry.register("reconciles", "Reconciles by resulting phase", reconciles.clone());
        registry.register("reconcile_errors", "Reconciles that failed and are retried", errors.clone());
        registry.register("gitea_writes", "Mirror commits and deletions", writes.clone());
        let signatures = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "signature_checks",
            "Signature checks of published artifacts by result (Verified or the refusal's reason)",
            signatures.clone(),
        );
        registry.register("leader", "1 while this replica holds the leader Lease", leader.clone());
        Self { registry: Arc::new(registry), reconciles, errors, writes, signatures, leader }
    }

    /// Records one reconcile.
    pub fn observe(&self, result: &Result<Outcome, Error>) {
        match result {
            Ok(out) => {
                let phase = out.phase.clone().unwrap_or_else(|| "Gone".into());
                self.reconciles.get_or_create(&vec![("phase".to_owned(), phase)]).inc();
                self.writes.inc_by(out.gitea_writes as u64);
                let result = match &out.signature {
                    Signature::NotChecked => None,
                    Signature::Verified { .. } => Some("Verified".to_owned()),
                    Signature::Refused { reason, .. } => Some(reason.clone()),
                    Signature::Unavailable { .. } => Some("RegistryUnavailable".to_owned()),
                };
                if let Some(result) = result {
                    self.signatures.get_or_create(&vec![("result".to_owned(), result)]).inc();
                }
            }
            Err(e) => {
                if matches!(e, Error::Registry { .. }) {
                    let result = vec![("result".to_owned(), "RegistryUnavailable".to_owned())];
                    self.signatures.get_or_create(&result).inc();
                }
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
