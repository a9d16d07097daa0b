//! The switchover sequence (SPEC CONT-3): seven ordered steps, each audited, each with a
//! rollback; a failure at step N (1 to 6) rolls back steps N … 1 in reverse and reports the
//! step that failed. A failure of step 7, the audit event, does not undo a promotion (the
//! platform's does, discarding what the new primary took since DNS flipped): the switchover
//! stands and reports the event as owed ([`Switched::unaudited`]). The side effects are a [`SwitchoverOps`] implementation (the Kubernetes API,
//! PDM, the witness, NATS in the controller; a recording fake in tests).

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

/// One step of the switchover, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// 1: the lease is held by the current primary, or taken after its loss with the witness.
    ValidateLease,
    /// 2: writes cordoned on the old primary (`cnpg.io/cluster.primary: switchover-pending`).
    Cordon,
    /// 3: the HTTPRoute's backends of the old primary at weight 0, then `drainSeconds`.
    Drain,
    /// 4: the lua records synthesized for the new primary and committed to PDM.
    FlipDns,
    /// 5: the old lease released, the new primary's acquired.
    SwapLease,
    /// 6: the standby promoted (`spec.replica.enabled` flips).
    Promote,
    /// 7: the `continuum-switchover` audit event.
    Audit,
}

impl Step {
    /// The seven steps in order.
    pub const ALL: [Self; 7] = [
        Self::ValidateLease,
        Self::Cordon,
        Self::Drain,
        Self::FlipDns,
        Self::SwapLease,
        Self::Promote,
        Self::Audit,
    ];

    /// 1 … 7.
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).map_or(0, |i| i + 1)
    }

    /// The platform's step names: `validate-lease`, `cordon-old-primary`, `drain-http`,
    /// `flip-dns`, `swap-lease`, `promote-new-primary`, `audit-emit`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ValidateLease => "validate-lease",
            Self::Cordon => "cordon-old-primary",
            Self::Drain => "drain-http",
            Self::FlipDns => "flip-dns",
            Self::SwapLease => "swap-lease",
            Self::Promote => "promote-new-primary",
            Self::Audit => "audit-emit",
        }
    }
}

impl fmt::Display for Step {
    /// The status text: `step 3/7 — drain-http`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {}/7 — {}", self.number(), self.name())
    }
}

/// What to switch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchoverPlan {
    /// `<namespace>/<name>`.
    pub continuum: String,
    /// Its Application.
    pub application: String,
    /// The primary region now.
    pub from: String,
    /// The standby that becomes primary.
    pub to: String,
    /// Why (`manual`, `auto-failover: lag breach`, …).
    pub reason: String,
    /// Who asked (`switchover.requestedBy`, or `continuum-controller`).
    pub initiated_by: String,
}

/// A step that did not work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{0}")]
pub struct StepError(pub String);

/// The side effects of the switchover.
pub trait SwitchoverOps: Send {
    /// Runs `step`.
    fn run(
        &mut self,
        step: Step,
        plan: &SwitchoverPlan,
    ) -> impl Future<Output = Result<(), StepError>> + Send;
    /// Undoes `step`, which ran or failed part-way: idempotent, a no-op for what did not happen.
    fn rollback(
        &mut self,
        step: Step,
        plan: &SwitchoverPlan,
    ) -> impl Future<Output = Result<(), StepError>> + Send;
}

/// A switchover that completed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Switched {
    /// The plan.
    pub plan: SwitchoverPlan,
    /// Wall time from the first step to the last.
    pub rto_observed: Duration,
    /// Step 7 (`audit-emit`) failed: the switchover stands (see [`switchover`]) and the event
    /// must be published again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unaudited: Option<StepError>,
}

/// A switchover that failed and was rolled back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("SwitchoverFailed at {failed}: {error}{}", if rollback_errors.is_empty() { String::new() } else { format!("; rollback incomplete: {}", rollback_errors.iter().map(|(s, e)| format!("{} ({e})", s.name())).collect::<Vec<_>>().join(", ")) })]
pub struct SwitchoverFailed {
    /// The step that failed.
    pub failed: Step,
    /// Why.
    pub error: StepError,
    /// The steps undone (the failed one first), in the order they were undone.
    pub rolled_back: Vec<Step>,
    /// Rollbacks that failed themselves (the state needs a human).
    pub rollback_errors: Vec<(Step, StepError)>,
}

/// Runs the seven steps in order; `progress` sees each step before it runs (the controller
/// writes `status.switchoverStep`). On a failure the failed step itself and every earlier step
/// are rolled back, newest first (a step may have half-happened: one Cluster flipped, a commit
/// that PDM applied but did not answer in time, so rollbacks must be idempotent), and every
/// rollback is attempted even when one fails. A plan whose `from` and `to` are empty or equal
/// fails at step 1 before anything runs.
///
/// # Errors
/// [`SwitchoverFailed`], naming the step, what was undone and any rollback that failed.
pub async fn switchover<O: SwitchoverOps>(
    ops: &mut O,
    plan: &SwitchoverPlan,
    mut progress: impl FnMut(Step) + Send,
) -> Result<Switched, SwitchoverFailed> {
    let started = Instant::now();
    if plan.from.is_empty() || plan.to.is_empty() || plan.from == plan.to {
        progress(Step::ValidateLease);
        return Err(SwitchoverFailed {
            failed: Step::ValidateLease,
            error: StepError(format!(
                "the plan needs two different regions, not from {:?} to {:?}",
                plan.from, plan.to
            )),
            rolled_back: Vec::new(),
            rollback_errors: Vec::new(),
        });
    }
    for (i, step) in Step::ALL.into_iter().enumerate() {
        progress(step);
        let result = ops.run(step, plan).await;
        if let (Step::Audit, Err(error)) = (step, &result) {
            // The point of no return is step 6: the new primary has taken writes since DNS
            // flipped. Rolling it back for an audit event would lose them; the event is owed.
            return Ok(Switched {
                plan: plan.clone(),
                rto_observed: started.elapsed(),
                unaudited: Some(error.clone()),
            });
        }
        if let Err(error) = result {
            let mut rolled_back = Vec::new();
            let mut rollback_errors = Vec::new();
            for done in Step::ALL[..=i].iter().rev().copied() {
                match ops.rollback(done, plan).await {
                    Ok(()) => rolled_back.push(done),
                    Err(e) => rollback_errors.push((done, e)),
                }
            }
            return Err(SwitchoverFailed { failed: step, error, rolled_back, rollback_errors });
        }
    }
    Ok(Switched { plan: plan.clone(), rto_observed: started.elapsed(), unaudited: None })
}
