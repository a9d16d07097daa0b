//! One reconcile of one Continuum (SPEC CONT-1, CONT-3): a deleted Continuum's worker stops;
//! an invalid spec is reported as `Failed`/`Invalid` (status written only when it changed) and
//! starts nothing; a valid one gets exactly one worker, which does the periodic work.

use std::sync::Arc;
use std::time::Duration;

use catalyst_core::conditions::{ConditionUpdate, ContinuumReason, set_condition, types};
use catalyst_core::crd::{ContinuumPhase, ContinuumStatus};
use serde_json::Value;
use tracing::{info, warn};

use crate::audit::{AuditEvent, AuditType};
use crate::worker::{Context, Error, read, run_worker, write_status};

/// How often a Continuum is reconciled without a change (its worker does the periodic work;
/// this only restarts a worker that ended).
pub const REQUEUE: Duration = Duration::from_secs(300);

/// What a reconcile did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The Continuum is gone; its worker (if any) was stopped.
    Gone {
        /// A worker was running and was stopped.
        stopped: bool,
    },
    /// The spec is invalid: reported, nothing started.
    Invalid {
        /// Whether the status was written (only when it changed).
        status_written: bool,
    },
    /// A worker runs for it.
    Running {
        /// It was started by this reconcile.
        started: bool,
    },
}

/// Reconciles the Continuum `namespace/name`.
///
/// # Errors
/// [`Error::Kube`] when it cannot be read or its status written.
pub async fn reconcile_continuum(namespace: &str, name: &str, ctx: &Arc<Context>) -> Result<Outcome, Error> {
    let result = reconcile_inner(namespace, name, ctx).await;
    ctx.metrics.reconciled(match &result {
        Ok(Outcome::Gone { .. }) => "gone",
        Ok(Outcome::Invalid { .. }) => "invalid",
        Ok(Outcome::Running { started: true }) => "started",
        Ok(Outcome::Running { started: false }) => "running",
        Err(_) => "error",
    });
    #[expect(clippy::cast_possible_wrap, reason = "a count of workers")]
    ctx.metrics.workers.set(ctx.workers.keys().len() as i64);
    result
}

async fn reconcile_inner(namespace: &str, name: &str, ctx: &Arc<Context>) -> Result<Outcome, Error> {
    let key = format!("{namespace}/{name}");
    let Some(read) = read(ctx, namespace, name).await? else {
        let stopped = ctx.workers.stop(&key);
        if stopped {
            info!(continuum = %key, "deleted; worker stopped");
        }
        return Ok(Outcome::Gone { stopped });
    };
    let continuum = match read.typed {
        Ok(c) => c,
        Err(message) => {
            let status_written = report_invalid(ctx, namespace, name, &read.json, &message).await?;
            warn!(continuum = %key, %message, "invalid spec");
            return Ok(Outcome::Invalid { status_written });
        }
    };
    let started = ctx.workers.ensure(&key, |stop| {
        tokio::spawn(run_worker(ctx.clone(), namespace.to_owned(), name.to_owned(), stop))
    });
    if started {
        let mut e = AuditEvent::new(AuditType::CrCreated, &key, &continuum.spec.application_ref);
        e.to_primary.clone_from(&continuum.spec.primary_region);
        ctx.publish(&e).await;
    }
    Ok(Outcome::Running { started })
}

/// Writes `Failed` with `Ready=False/Invalid` and the validation message, when the status does
/// not already say exactly that.
async fn report_invalid(
    ctx: &Context,
    namespace: &str,
    name: &str,
    json: &Value,
    message: &str,
) -> Result<bool, Error> {
    let prev: ContinuumStatus = json
        .get("status")
        .filter(|s| !s.is_null())
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_default();
    let generation = json.pointer("/metadata/generation").and_then(Value::as_i64);
    let mut status = prev.clone();
    status.phase = Some(ContinuumPhase::Failed);
    status.observed_generation = generation;
    set_condition(
        &mut status.conditions,
        ConditionUpdate::new(types::READY, false, &ContinuumReason::Invalid, message)
            .observed_generation(generation),
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(ctx.clock.now()),
    );
    if status == prev {
        return Ok(false);
    }
    write_status(ctx, namespace, name, &status).await?;
    Ok(true)
}
