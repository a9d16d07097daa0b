//! What the controller sees of the CNPG pair at one tick (SPEC CONT-4): whether the primary
//! is healthy, the largest replication lag, and whether the standby can take over, folded
//! through a grace window so one unready moment is not a verdict.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use crate::objects;

/// The pair as observed at one tick.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairObservation {
    /// The Cluster taking writes (`spec.replica.enabled` false), if seen.
    pub primary: Option<String>,
    /// The replica Cluster, if seen.
    pub replica: Option<String>,
    /// The primary's `Ready` condition is `True` (and it has a ready instance).
    pub primary_ready: bool,
    /// The replica is ready: `None` when there is no replica to judge.
    pub standby_ready: Option<bool>,
    /// The largest lag reported by either Cluster (`status.lag` or
    /// `status.replication.lagSeconds`), in seconds.
    pub lag_seconds: Option<i64>,
}

/// A Cluster is ready when its `Ready` condition is `True` and, when it reports
/// `readyInstances`, at least one is ready.
pub fn cluster_ready(cluster: &Value) -> bool {
    let condition = cluster
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    let instances = cluster.pointer("/status/readyInstances").and_then(Value::as_i64).is_none_or(|n| n >= 1);
    condition && instances
}

fn lag(cluster: &Value) -> Option<i64> {
    cluster
        .pointer("/status/lag")
        .and_then(Value::as_i64)
        .or_else(|| cluster.pointer("/status/replication/lagSeconds").and_then(Value::as_i64))
}

/// Reads the pair's Clusters: the one with `spec.replica.enabled` false is the primary. More
/// or fewer than one of each leaves the missing side `None`.
pub fn observe_pair(clusters: &[Value]) -> PairObservation {
    let name = |c: &Value| c.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let primaries: Vec<&Value> = clusters.iter().filter(|c| !objects::is_replica(c)).collect();
    let replicas: Vec<&Value> = clusters.iter().filter(|c| objects::is_replica(c)).collect();
    let primary = (primaries.len() == 1).then(|| primaries[0]);
    let replica = (replicas.len() == 1).then(|| replicas[0]);
    PairObservation {
        primary: primary.map(name),
        replica: replica.map(name),
        primary_ready: primary.is_some_and(cluster_ready),
        standby_ready: replica.map(cluster_ready),
        lag_seconds: clusters.iter().filter_map(lag).max(),
    }
}

/// The standby's availability after the grace window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standby {
    /// Ready now.
    Available,
    /// Unready for at least the grace window.
    Unavailable,
    /// Seen before, missing for at least the grace window.
    Gone,
    /// Not decided: inside the grace window, or never seen.
    Undetermined,
}

/// The grace window's memory, per Continuum.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grace {
    /// When the current unavailable episode started.
    since: Option<Timestamp>,
    /// A replica was seen at least once.
    seen: bool,
}

impl Grace {
    /// Folds one raw observation (`Some(ready)`, or `None` when no replica was found) at `now`:
    /// a ready standby counts at once and ends any episode; an unready or missing one counts
    /// only after `grace` of continuous trouble. A replica never seen is undetermined.
    pub fn fold(&mut self, raw: Option<bool>, now: Timestamp, grace: Duration) -> Standby {
        if raw == Some(true) {
            self.seen = true;
            self.since = None;
            return Standby::Available;
        }
        if raw.is_none() && !self.seen {
            return Standby::Undetermined;
        }
        self.seen = true;
        let since = *self.since.get_or_insert(now);
        let served = now.duration_since(since).unsigned_abs() >= grace;
        match (served, raw) {
            (false, _) => Standby::Undetermined,
            (true, Some(_)) => Standby::Unavailable,
            (true, None) => Standby::Gone,
        }
    }
}
