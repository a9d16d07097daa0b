//! [`Witness`] over a Kubernetes `coordination.k8s.io/v1` Lease, named `cw-<namespace>-<name>`
//! beside the Continuum. Every write carries the resourceVersion it read: a concurrent writer
//! makes it fail (409) instead of both believing they hold the lease.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, PostParams};

use super::{Clock, LeaseState, SystemClock, Witness, WitnessError, acquired, add, released, renewed};

/// The Lease object of a Continuum: `cw-<namespace>-<name>`.
///
/// # Errors
/// [`WitnessError::InvalidLeaseName`] past 253 characters.
pub fn lease_name(namespace: &str, continuum: &str) -> Result<String, WitnessError> {
    let name = format!("cw-{namespace}-{continuum}");
    if name.len() > 253 {
        return Err(WitnessError::InvalidLeaseName(format!(
            "{name:.60}… is {} characters; at most 253",
            name.len()
        )));
    }
    Ok(name)
}

/// The witness of one Continuum as a Lease in its namespace.
#[derive(Clone)]
pub struct KubeLeaseWitness<C: Clock = SystemClock> {
    api: Api<Lease>,
    namespace: String,
    name: String,
    /// `<namespace>/<name>` of the Continuum.
    slot: String,
    clock: C,
}

impl<C: Clock> std::fmt::Debug for KubeLeaseWitness<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeLeaseWitness")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: &kube::Error) -> WitnessError {
    WitnessError::QuorumUnavailable(format!("the Kubernetes API: {e}"))
}

fn conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

impl<C: Clock> KubeLeaseWitness<C> {
    /// The witness of Continuum `continuum` in `namespace`, reading the time from `clock`.
    ///
    /// # Errors
    /// [`WitnessError::InvalidLeaseName`].
    pub fn new(
        client: kube::Client,
        namespace: &str,
        continuum: &str,
        clock: C,
    ) -> Result<Self, WitnessError> {
        Ok(Self {
            api: Api::namespaced(client, namespace),
            namespace: namespace.to_owned(),
            name: lease_name(namespace, continuum)?,
            slot: format!("{namespace}/{continuum}"),
            clock,
        })
    }

    /// The same witness with its Lease in `namespace` instead of the Continuum's (the
    /// controller's `CATALYST_LEASE_NS`); the Lease keeps its name `cw-<cr namespace>-<name>`,
    /// so Continuums of different namespaces never share one.
    #[must_use]
    pub fn in_lease_namespace(mut self, client: kube::Client, namespace: &str) -> Self {
        self.api = Api::namespaced(client, namespace);
        namespace.clone_into(&mut self.namespace);
        self
    }

    /// The Lease's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Lease, refused when it carries another Continuum's slot annotation: `cw-a-b-c` is
    /// the name of both `a-b/c` and `a/b-c`, and neither may take or release the other's lease.
    async fn get(&self) -> Result<Option<Lease>, WitnessError> {
        let lease = self.api.get_opt(&self.name).await.map_err(|e| unavailable(&e))?;
        let slot = lease
            .as_ref()
            .and_then(|l| l.metadata.annotations.as_ref())
            .and_then(|a| a.get(catalyst_naming::keys::WITNESS_SLOT));
        match slot {
            Some(other) if *other != self.slot => Err(WitnessError::InvalidLeaseName(format!(
                "the Lease {} belongs to Continuum {other}, not {}",
                self.name, self.slot
            ))),
            _ => Ok(lease),
        }
    }

    /// The Lease for `state`, keeping what `current` carries besides (labels, annotations,
    /// owner references) and its resourceVersion for the compare-and-swap.
    fn lease(&self, state: &LeaseState, current: Option<&Lease>) -> Lease {
        let ttl = i32::try_from(state.ttl.as_secs()).unwrap_or(i32::MAX);
        let mut metadata = current.map(|l| l.metadata.clone()).unwrap_or_default();
        metadata.name = Some(self.name.clone());
        metadata.namespace = Some(self.namespace.clone());
        metadata.managed_fields = None;
        metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(catalyst_naming::keys::WITNESS_SLOT.to_owned(), self.slot.clone());
        Lease {
            metadata,
            spec: Some(LeaseSpec {
                holder_identity: state.holder.clone(),
                lease_duration_seconds: Some(ttl),
                acquire_time: state.acquired_at.map(MicroTime),
                renew_time: state.expires_at.map(|e| {
                    MicroTime(e.checked_sub(jiff::SignedDuration::from_secs(i64::from(ttl))).unwrap_or(e))
                }),
                lease_transitions: Some(i32::try_from(state.generation).unwrap_or(i32::MAX)),
                ..LeaseSpec::default()
            }),
        }
    }

    async fn replace(&self, lease: &Lease) -> Result<(), kube::Error> {
        self.api.replace(&self.name, &PostParams::default(), lease).await.map(|_| ())
    }
}

/// What a Lease says, as a [`LeaseState`].
pub(crate) fn state_of(lease: &Lease) -> LeaseState {
    let spec = lease.spec.clone().unwrap_or_default();
    let ttl = Duration::from_secs(spec.lease_duration_seconds.unwrap_or_default().unsigned_abs().into());
    LeaseState {
        holder: spec.holder_identity.filter(|h| !h.is_empty()),
        acquired_at: spec.acquire_time.map(|t| t.0),
        expires_at: spec.renew_time.map(|t| add(t.0, ttl)),
        generation: spec.lease_transitions.unwrap_or_default().unsigned_abs().into(),
        ttl,
    }
}

impl<C: Clock> Witness for KubeLeaseWitness<C> {
    async fn acquire(&self, holder: &str, ttl: Duration) -> Result<LeaseState, WitnessError> {
        let now = self.clock.now();
        let current = self.get().await?;
        let state = current.as_ref().map(state_of).unwrap_or_default();
        let next = acquired(&state, holder, ttl, now)?;
        let lease = self.lease(&next, current.as_ref());
        let written = match current {
            None => self.api.create(&PostParams::default(), &lease).await.map(|_| ()),
            Some(_) => self.replace(&lease).await,
        };
        match written {
            Ok(()) => Ok(next),
            // Someone wrote between our read and our write: they won.
            Err(e) if conflict(&e) => {
                let now = self.get().await?.map(|l| state_of(&l)).unwrap_or_default();
                Err(WitnessError::HeldByAnother {
                    holder: now.holder.unwrap_or_else(|| "another writer".into()),
                    expires_at: now.expires_at.map(|t| t.to_string()).unwrap_or_default(),
                })
            }
            Err(e) => Err(unavailable(&e)),
        }
    }

    async fn renew(&self, holder: &str) -> Result<LeaseState, WitnessError> {
        let now = self.clock.now();
        let Some(current) = self.get().await? else {
            return Err(WitnessError::LeaseLost { reason: format!("the Lease {} was deleted", self.name) });
        };
        let next = renewed(&state_of(&current), holder, now)?;
        match self.replace(&self.lease(&next, Some(&current))).await {
            Ok(()) => Ok(next),
            Err(e) if conflict(&e) => Err(WitnessError::LeaseLost {
                reason: format!("the Lease {} changed while renewing (resourceVersion conflict)", self.name),
            }),
            Err(e) => Err(unavailable(&e)),
        }
    }

    async fn release(&self, holder: &str) -> Result<(), WitnessError> {
        // A conflict means it changed under us: read again and decide again, a few times.
        for _ in 0..3 {
            let Some(current) = self.get().await? else { return Ok(()) };
            let Some(next) = released(&state_of(&current), holder) else { return Ok(()) };
            match self.replace(&self.lease(&next, Some(&current))).await {
                Ok(()) => return Ok(()),
                Err(e) if conflict(&e) => {}
                Err(e) => return Err(unavailable(&e)),
            }
        }
        Err(WitnessError::QuorumUnavailable(format!(
            "the Lease {} kept changing while releasing it",
            self.name
        )))
    }

    async fn read(&self) -> Result<LeaseState, WitnessError> {
        Ok(self.get().await?.map(|l| state_of(&l)).unwrap_or_default())
    }
}
