//! [`SwitchoverOps`] over the real parts: the Kubernetes API (the CNPG Cluster pair and the
//! HTTPRoute, every write compare-and-swap on the resourceVersion read), the lease witness,
//! the pool-domain-manager and the audit sink.

use std::time::Duration;

use catalyst_core::witness::{LeaseState, Witness};
use catalyst_dns::continuum::{ContinuumRecord, SynthParams, synthesize};
use catalyst_dns::pdm::PdmClient;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, PostParams};
use serde_json::Value;

use crate::audit::{AuditEvent, AuditSink, AuditType};
use crate::decide::AUTO_FAILOVER;
use crate::objects::{self, Drained, PAIR_LABEL, ROLE_LABEL};
use crate::switchover::{Step, StepError, SwitchoverOps, SwitchoverPlan};

/// Where the objects of one Continuum are.
#[derive(Clone, Debug)]
pub struct Targets {
    /// The CNPG pair's label value and namespace.
    pub pair: (String, String),
    /// The HTTPRoute's name and namespace, if traffic is drained.
    pub route: Option<(String, String)>,
    /// How long to wait after draining.
    pub drain: Duration,
    /// The lease TTL taken on the new primary.
    pub ttl: Duration,
    /// The lua records' parameters (the primary is set per step).
    pub synth: SynthParams,
    /// The Application, for its hostnames when the spec lists none.
    pub application: Option<Value>,
    /// The PDM zone.
    pub zone: String,
}

/// The side effects of a switchover, for real.
pub struct KubeOps<W, A> {
    client: kube::Client,
    targets: Targets,
    witness: W,
    pdm: PdmClient,
    audit: A,
    drained: Option<Drained>,
    /// The Clusters' names at promotion: (old primary, new primary).
    promoted: Option<(String, String)>,
    /// The Cluster cordoned at step 2 (the primary when the switchover started).
    cordoned: Option<String>,
    /// The lease as step 1 read it.
    lease_at_start: Option<LeaseState>,
}

/// The `continuum-switchover` event of step 7 for `plan`.
pub fn switchover_event(plan: &SwitchoverPlan) -> AuditEvent {
    let mut e = AuditEvent::new(AuditType::Switchover, &plan.continuum, &plan.application);
    e.from_primary.clone_from(&plan.from);
    e.to_primary.clone_from(&plan.to);
    e.step = "7/7".into();
    e.reason.clone_from(&plan.reason);
    e.initiated_by.clone_from(&plan.initiated_by);
    e.message = format!("switchover {} → {} completed", plan.from, plan.to);
    e
}

fn name_of(cluster: &Value) -> String {
    cluster.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn fail(what: &str, e: impl std::fmt::Display) -> StepError {
    StepError(format!("{what}: {e}"))
}

impl<W: Witness, A: AuditSink> KubeOps<W, A> {
    /// The operations for one Continuum.
    pub fn new(client: kube::Client, targets: Targets, witness: W, pdm: PdmClient, audit: A) -> Self {
        Self {
            client,
            targets,
            witness,
            pdm,
            audit,
            drained: None,
            promoted: None,
            cordoned: None,
            lease_at_start: None,
        }
    }

    fn api(&self, group: &str, kind: &str, plural: &str, namespace: &str) -> Api<DynamicObject> {
        let resource = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, "v1", kind), plural);
        Api::namespaced_with(self.client.clone(), namespace, &resource)
    }

    fn clusters(&self) -> Api<DynamicObject> {
        self.api("postgresql.cnpg.io", "Cluster", "clusters", &self.targets.pair.1)
    }

    /// The pair's Clusters as (the one taking writes, the replica), as JSON: by
    /// `spec.replica.enabled`, so a pair that already switched once is read the right way
    /// round; the role labels decide only when both or neither are replicas.
    async fn pair(&self) -> Result<(Value, Value), StepError> {
        let selector = format!("{PAIR_LABEL}={}", self.targets.pair.0);
        let list = self
            .clusters()
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|e| fail("listing the CNPG pair", e))?;
        let items: Vec<Value> = list.items.iter().filter_map(|c| serde_json::to_value(c).ok()).collect();
        let [a, b] = items.as_slice() else {
            return Err(StepError(format!(
                "the CNPG pair {} has {} Clusters, not 2",
                self.targets.pair.0,
                items.len()
            )));
        };
        let role =
            |c: &Value| c.pointer(&format!("/metadata/labels/{}", ROLE_LABEL.replace('/', "~1"))).cloned();
        let (a_rep, b_rep) = (objects::is_replica(a), objects::is_replica(b));
        Ok(match (a_rep, b_rep) {
            (false, true) => (a.clone(), b.clone()),
            (true, false) => (b.clone(), a.clone()),
            _ if role(b) == Some(Value::from("primary")) => (b.clone(), a.clone()),
            _ => (a.clone(), b.clone()),
        })
    }

    async fn put(&self, api: &Api<DynamicObject>, obj: &Value) -> Result<(), StepError> {
        let name = obj["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        let dynamic: DynamicObject = serde_json::from_value(obj.clone()).map_err(|e| fail(&name, e))?;
        api.replace(&name, &PostParams::default(), &dynamic)
            .await
            .map(|_| ())
            .map_err(|e| fail(&format!("writing {name}"), e))
    }

    async fn route(&self) -> Result<Option<(Api<DynamicObject>, Value)>, StepError> {
        let Some((name, ns)) = &self.targets.route else { return Ok(None) };
        let api = self.api("gateway.networking.k8s.io", "HTTPRoute", "httproutes", ns);
        let route = api.get(name).await.map_err(|e| fail(&format!("reading HTTPRoute {name}"), e))?;
        Ok(Some((api, serde_json::to_value(route).map_err(|e| fail(name, e))?)))
    }

    async fn undo_promote(&self) -> Result<(), StepError> {
        let (a, b) = self.pair().await?;
        let (mut old, mut new) = match &self.promoted {
            Some((old_name, _)) if name_of(&b) == *old_name => (b, a),
            _ => (a, b),
        };
        let (old_before, new_before) = (old.clone(), new.clone());
        objects::demote_back(&mut old, &mut new);
        let api = self.clusters();
        if new != new_before {
            self.put(&api, &new).await?;
        }
        if old != old_before {
            self.put(&api, &old).await?;
        }
        Ok(())
    }

    /// The lua records that send traffic to `primary`.
    ///
    /// # Errors
    /// The synthesizer's, as a [`StepError`].
    pub fn records_for(&self, primary: &str) -> Result<Vec<ContinuumRecord>, StepError> {
        let params = SynthParams { primary_region: primary.to_owned(), ..self.targets.synth.clone() };
        synthesize(&params, self.targets.application.as_ref()).map_err(|e| fail("synthesizing", e))
    }

    /// After a successful switchover: the new primary's backendRefs get the weight the old
    /// primary's had ([`objects::route_to`]); the old primary's stay drained. Nothing to do
    /// without an HTTPRoute or a drain.
    ///
    /// # Errors
    /// Reading or writing the HTTPRoute.
    pub async fn restore_traffic(&self, to: &str) -> Result<bool, StepError> {
        let (Some((api, mut route)), Some(drained)) = (self.route().await?, self.drained.clone()) else {
            return Ok(false);
        };
        let before = route.clone();
        objects::route_to(&mut route, to, &drained);
        if route == before {
            return Ok(false);
        }
        self.put(&api, &route).await.map(|()| true)
    }

    async fn commit_for(&self, primary: &str) -> Result<(), StepError> {
        let records = self.records_for(primary)?;
        self.pdm
            .commit(&self.targets.zone, &records)
            .await
            .map(|_| ())
            .map_err(|e| fail("committing to PDM", e))
    }
}

impl<W: Witness, A: AuditSink> SwitchoverOps for KubeOps<W, A> {
    async fn run(&mut self, step: Step, plan: &SwitchoverPlan) -> Result<(), StepError> {
        match step {
            Step::ValidateLease => {
                // Step 7 must be able to record the switchover: find out now, before anything
                // changes (a failed audit after a promotion would roll a live primary back).
                self.audit.ready().await.map_err(|e| fail("audit events cannot be recorded", e))?;
                let lease = self.witness.read().await.map_err(|e| fail("reading the lease", e))?;
                self.lease_at_start = Some(lease.clone());
                match lease.holder.as_deref() {
                    None => Ok(()),
                    Some(h) if h == plan.from => Ok(()),
                    Some(h) => Err(StepError(format!("the lease is held by {h}, not by {}", plan.from))),
                }
            }
            Step::Cordon => {
                let (mut primary, _) = self.pair().await?;
                self.cordoned = Some(name_of(&primary));
                objects::cordon(&mut primary);
                self.put(&self.clusters(), &primary).await
            }
            Step::Drain => {
                let Some((api, mut route)) = self.route().await? else { return Ok(()) };
                let drained = objects::drain(&mut route, &plan.from);
                self.drained = Some(drained);
                self.put(&api, &route).await?;
                // A long drain must not let the lease lapse: the controller holding it as the
                // old primary renews it meanwhile (an automatic failover holds nothing yet).
                let mut left = self.targets.drain;
                let chunk = (self.targets.ttl / 3).max(Duration::from_secs(1));
                while !left.is_zero() {
                    let nap = left.min(chunk);
                    tokio::time::sleep(nap).await;
                    left -= nap;
                    if plan.reason != AUTO_FAILOVER {
                        let _ = self.witness.renew(&plan.from).await;
                    }
                }
                Ok(())
            }
            Step::FlipDns => self.commit_for(&plan.to).await,
            Step::SwapLease => {
                if plan.reason == AUTO_FAILOVER {
                    // Taken only if nobody wrote the lease since step 1: a primary that came
                    // back and renewed keeps it, and the switchover rolls back.
                    let now = self.witness.read().await.map_err(|e| fail("reading the lease", e))?;
                    if Some(&now) != self.lease_at_start.as_ref() {
                        return Err(StepError(format!(
                            "the lease changed during the switchover (now held by {}): the primary may be back",
                            now.holder.as_deref().unwrap_or("nobody")
                        )));
                    }
                } else {
                    // The old holder's release may fail (it may be gone): the acquire decides.
                    let _ = self.witness.release(&plan.from).await;
                }
                self.witness
                    .acquire(&plan.to, self.targets.ttl)
                    .await
                    .map(|_| ())
                    .map_err(|e| fail("acquiring the lease", e))
            }
            Step::Promote => {
                let (mut old, mut new) = self.pair().await?;
                if let Some(cordoned) = &self.cordoned
                    && name_of(&old) != *cordoned
                {
                    return Err(StepError(format!(
                        "the CNPG pair changed during the switchover: {} takes writes, not {cordoned}",
                        name_of(&old)
                    )));
                }
                // Remember who was who: once promoted, the pair reads the other way round.
                self.promoted = Some((name_of(&old), name_of(&new)));
                objects::promote(&mut old, &mut new);
                let api = self.clusters();
                self.put(&api, &old).await?;
                self.put(&api, &new).await
            }
            Step::Audit => self.audit.publish(&switchover_event(plan)).await.map_err(|e| fail("audit", e)),
        }
    }

    async fn rollback(&mut self, step: Step, plan: &SwitchoverPlan) -> Result<(), StepError> {
        match step {
            Step::ValidateLease | Step::Audit => Ok(()),
            Step::Cordon => {
                let (mut primary, _) = self.pair().await?;
                objects::uncordon(&mut primary);
                self.put(&self.clusters(), &primary).await
            }
            Step::Drain => {
                let (Some((api, mut route)), Some(drained)) = (self.route().await?, self.drained.clone())
                else {
                    return Ok(());
                };
                objects::undrain(&mut route, &drained);
                self.put(&api, &route).await
            }
            Step::FlipDns => self.commit_for(&plan.from).await,
            Step::SwapLease => {
                let _ = self.witness.release(&plan.to).await;
                if plan.reason == AUTO_FAILOVER {
                    // The old primary held no valid lease (that is why this ran): taking one
                    // for it would tell every witness it is alive.
                    return Ok(());
                }
                self.witness
                    .acquire(&plan.from, self.targets.ttl)
                    .await
                    .map(|_| ())
                    .map_err(|e| fail("re-acquiring the lease", e))
            }
            Step::Promote => {
                // Undo only what happened (a half-done promote flipped one Cluster). The new
                // primary is demoted first: if the second write fails, the pair has no
                // primary for a while rather than two. A conflict (CNPG updated a Cluster)
                // is read again and retried.
                let mut last = None;
                for _ in 0..3 {
                    match self.undo_promote().await {
                        Ok(()) => return Ok(()),
                        Err(e) => last = Some(e),
                    }
                }
                Err(last.unwrap_or_else(|| StepError("undoing the promotion".into())))
            }
        }
    }
}
