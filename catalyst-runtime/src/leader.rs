//! Leader election on a `coordination.k8s.io/v1` Lease, as client-go does it:
//!
//! - a candidate takes the Lease when it is free, or when the Lease record has not changed
//!   for `leaseDuration` *as this replica observed it* (its own monotonic clock since it last
//!   saw the record change, never the holder's written `renewTime`, so a skewed clock cannot
//!   steal a Lease that is being renewed);
//! - every write carries the `resourceVersion` that was read, so two candidates can never
//!   both win;
//! - the leader renews every `retryPeriod`; one renewal may take at most `renewDeadline`
//!   (retrying every `retryPeriod` within it), and a leader that cannot renew within it steps
//!   down (the process stops reconciling and exits).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, PostParams};
use tracing::{info, warn};

/// Timings of the election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseTimings {
    /// How long a Lease stays valid without its record changing (`leaseDuration`).
    pub lease_duration: Duration,
    /// The longest one renewal may take before the leader steps down (`renewDeadline`).
    pub renew_deadline: Duration,
    /// How often the leader renews and a candidate retries (`retryPeriod`).
    pub retry_period: Duration,
}

impl Default for LeaseTimings {
    /// client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry period.
    fn default() -> Self {
        Self {
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// The Lease record as last seen, and when (on this replica's monotonic clock).
#[derive(Clone, Debug, PartialEq)]
struct Observed {
    record: LeaseSpec,
    at: tokio::time::Instant,
}

/// One candidate for the Lease.
#[derive(Clone)]
pub struct Elector {
    api: Api<Lease>,
    name: String,
    identity: String,
    timings: LeaseTimings,
    observed: Arc<Mutex<Option<Observed>>>,
}

impl std::fmt::Debug for Elector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Elector")
            .field("name", &self.name)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl Elector {
    /// A candidate `identity` for Lease `name` in `namespace`.
    pub fn new(
        client: kube::Client,
        namespace: &str,
        name: &str,
        identity: &str,
        timings: LeaseTimings,
    ) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            identity: identity.to_owned(),
            timings,
            observed: Arc::default(),
        }
    }

    /// Remembers `record`; returns when this replica first saw it as it is now.
    fn observe(&self, record: &LeaseSpec) -> tokio::time::Instant {
        let now = tokio::time::Instant::now();
        let Ok(mut observed) = self.observed.lock() else { return now };
        match observed.as_ref() {
            Some(o) if o.record == *record => o.at,
            _ => {
                *observed = Some(Observed { record: record.clone(), at: now });
                now
            }
        }
    }

    /// One attempt to take or renew the Lease; `Ok(true)` when this candidate holds it now.
    pub async fn try_acquire_or_renew(&self) -> Result<bool, kube::Error> {
        let now = jiff::Timestamp::now();
        let duration = i32::try_from(self.timings.lease_duration.as_secs()).unwrap_or(i32::MAX);
        let Some(current) = self.api.get_opt(&self.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta { name: Some(self.name.clone()), ..ObjectMeta::default() },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.identity.clone()),
                    lease_duration_seconds: Some(duration),
                    acquire_time: Some(MicroTime(now)),
                    renew_time: Some(MicroTime(now)),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(created) => {
                    self.observe(&created.spec.unwrap_or_default());
                    Ok(true)
                }
                Err(e) if is_conflict(&e) => Ok(false),
                Err(e) => Err(e),
            };
        };
        let spec = current.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().unwrap_or_default();
        let mine = holder == self.identity;
        // Expiry by this replica's clock: how long the record has stood still since it was
        // first seen like this. The holder's `renewTime` is only compared, never trusted.
        let seen = self.observe(&spec);
        let duration_of_record =
            Duration::from_secs(u64::try_from(spec.lease_duration_seconds.unwrap_or(0)).unwrap_or(0));
        if !mine && !holder.is_empty() && seen.elapsed() < duration_of_record {
            return Ok(false);
        }
        let transitions = spec.lease_transitions.unwrap_or(0);
        let mut next = current;
        next.spec = Some(LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(duration),
            acquire_time: if mine { spec.acquire_time } else { Some(MicroTime(now)) },
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(if mine { transitions } else { transitions.saturating_add(1) }),
            ..spec
        });
        // `replace` sends the resourceVersion that was read: a concurrent writer makes it 409.
        match self.api.replace(&self.name, &PostParams::default(), &next).await {
            Ok(written) => {
                self.observe(&written.spec.unwrap_or_default());
                Ok(true)
            }
            Err(e) if is_conflict(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Waits until this candidate holds the Lease.
    pub async fn acquire(&self) {
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => {
                    info!(lease = %self.name, identity = %self.identity, "became leader");
                    return;
                }
                Ok(false) => {}
                Err(e) => warn!(lease = %self.name, error = %e, "leader election attempt failed"),
            }
            tokio::time::sleep(self.timings.retry_period).await;
        }
    }

    /// The Lease's holder as the API has it now.
    pub async fn holder(&self) -> Result<Option<String>, kube::Error> {
        Ok(self.api.get_opt(&self.name).await?.and_then(|l| l.spec).and_then(|s| s.holder_identity))
    }

    /// Renews the Lease every `retry_period` until leadership is lost, then returns: another
    /// holder took it, or no renewal succeeded by `renew_deadline` after the *start* of the
    /// last successful one (so a renewal whose answer came late cannot stretch leadership past
    /// the Lease: the leader stops by then, and others wait a whole lease duration). Call it
    /// right after [`Elector::acquire`]. A write that loses a race (409) while this replica
    /// still holds the Lease is retried, not taken as a loss.
    pub async fn hold(&self) {
        let mut last_ok = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(self.timings.retry_period).await;
            let deadline = last_ok + self.timings.renew_deadline;
            let renewal = async {
                loop {
                    let started = tokio::time::Instant::now();
                    match self.try_acquire_or_renew().await {
                        Ok(true) => return Some(started),
                        Ok(false) => match self.holder().await {
                            Ok(Some(h)) if h == self.identity => {}
                            Ok(_) => return None,
                            Err(e) => warn!(lease = %self.name, error = %e, "reading the Lease failed"),
                        },
                        Err(e) => {
                            warn!(lease = %self.name, error = %e, "renewing the Lease failed; retrying within the renew deadline");
                        }
                    }
                    tokio::time::sleep(self.timings.retry_period).await;
                }
            };
            match tokio::time::timeout_at(deadline, renewal).await {
                Ok(Some(started)) => last_ok = started,
                Ok(None) => {
                    warn!(lease = %self.name, "another replica holds the Lease; leadership lost");
                    return;
                }
                Err(_) => {
                    warn!(lease = %self.name, deadline = ?self.timings.renew_deadline, "could not renew within the renew deadline; stepping down");
                    return;
                }
            }
        }
    }

    /// Gives the Lease up (graceful shutdown) so another replica takes over at once.
    pub async fn release(&self) -> Result<(), kube::Error> {
        let Some(mut lease) = self.api.get_opt(&self.name).await? else { return Ok(()) };
        let Some(spec) = lease.spec.as_mut() else { return Ok(()) };
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        match self.api.replace(&self.name, &PostParams::default(), &lease).await {
            Ok(_) => Ok(()),
            Err(e) if is_conflict(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.code == 409)
}
