//! The continuum-controller's library (SPEC §10, CONT-2 … CONT-5): the pieces the controller
//! composes, each tested without a cluster.
//!
//! - [`switchover`]: the seven ordered steps with rollback in reverse on failure;
//! - [`decide`]: manual switchover, and auto-failover only when `autoFailover: true`, after
//!   three failed intervals, with the witness confirming;
//! - [`audit`]: the platform's 13 audit event types on NATS JetStream (`catalyst.audit`);
//! - [`objects`]: the edits a switchover makes to the CNPG Cluster pair and the HTTPRoute, each
//!   with its exact undo;
//! - [`kube_ops`]: the steps for real (Kubernetes API, witness, PDM, audit);
//! - [`observe`]: the CNPG pair at one tick and the standby grace window;
//! - [`worker`]: one worker per Continuum (lease, observation, decision, switchover, status);
//! - [`mod@reconcile`]: starts and stops the workers, reports invalid specs;
//! - [`config`], [`metrics`], [`deploy`]: flags, `/metrics`, RBAC and Deployment.
//!
//! `main.rs` parses flags and calls [`run`].
//!
//! The lease witness is `catalyst_core::witness`, the lua records and the PDM commit are
//! `catalyst_dns::continuum` and `catalyst_dns::pdm`.
//!
//! ```
//! use continuum_controller::decide::{Decision, Observation, decide};
//!
//! let failing = Observation { consecutive_failures: 3, witness_confirms: true, standby_promotable: true, ..Observation::default() };
//! // autoFailover off (the default): recommend, never switch on its own.
//! assert!(matches!(decide(failing), Decision::Recommend { .. }));
//! assert_eq!(decide(Observation { auto_failover: true, ..failing }), Decision::Switchover { reason: "auto-failover".into() });
//! ```

pub mod audit;
pub mod config;
pub mod decide;
pub mod deploy;
pub mod kube_ops;
pub mod metrics;
pub mod objects;
pub mod observe;
pub mod reconcile;
pub mod switchover;
pub mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use catalyst_core::crd::Continuum;
use catalyst_runtime::leader::{Elector, LeaseTimings};
use futures::StreamExt as _;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::{WatchStreamExt as _, reflector, watcher};
use tracing::{Instrument as _, error, error_span, info, warn};

use crate::audit::{Audit, NatsAudit, NoAudit};
use crate::config::{Config, LEASE_NAME};
use crate::reconcile::{Outcome, REQUEUE, reconcile_continuum};
use crate::worker::{Context, Error};

/// The deadline of each Kubernetes API call of the workers and reconciles.
pub const API_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// What the controller watches: Continuums' metadata only (each reconcile reads the object
/// fresh, so one that does not fit the type is reported, not a broken watch).
pub type Watched = PartialObjectMeta<Continuum>;

/// The reconcile function for kube-runtime: one span per Continuum; stops at once when this
/// replica loses leadership or shuts down.
pub async fn reconcile(obj: Arc<Watched>, ctx: Arc<Shared>) -> Result<Action, Error> {
    let name = obj.metadata.name.clone().ok_or(Error::Unnamed)?;
    let namespace = obj.metadata.namespace.clone().ok_or(Error::Unnamed)?;
    // Error-level, so that the object is named even when only warnings and errors are logged.
    let span = error_span!("reconcile", continuum = %format!("{namespace}/{name}"));
    let mut stopping = ctx.stopping.subscribe();
    let outcome = tokio::select! {
        outcome = reconcile_continuum(&namespace, &name, &ctx.inner).instrument(span) => outcome?,
        _ = stopping.wait_for(|stop| *stop) => return Err(Error::Stopped),
    };
    Ok(match outcome {
        Outcome::Gone { .. } | Outcome::Invalid { .. } => Action::await_change(),
        Outcome::Running { .. } => Action::requeue(REQUEUE),
    })
}

/// The reconcile context and the stop signal.
#[derive(Debug)]
pub struct Shared {
    /// What reconciles and workers share.
    pub inner: Arc<Context>,
    /// Becomes `true` when running reconciles must stop.
    pub stopping: tokio::sync::watch::Sender<bool>,
}

/// After a failed reconcile: permanent errors wait for a change; others retry with backoff.
#[expect(clippy::needless_pass_by_value, reason = "kube-runtime's error_policy signature")]
pub fn error_policy(obj: Arc<Watched>, error: &Error, _ctx: Arc<Shared>) -> Action {
    let name = obj.metadata.name.clone().unwrap_or_default();
    if error.is_permanent() || matches!(error, Error::Stopped) {
        warn!(continuum = %name, error = %catalyst_naming::diagnostic::Chain(error), "reconcile failed; waiting for a change");
        return Action::await_change();
    }
    let wait = catalyst_runtime::backoff(1, catalyst_runtime::jitter());
    warn!(continuum = %name, error = %catalyst_naming::diagnostic::Chain(error), retry_in = ?wait, "reconcile failed; retrying");
    Action::requeue(wait)
}

/// Runs the controller until SIGTERM/SIGINT or the loss of leadership.
///
/// # Errors
/// Configuration, connection, and the loss of leadership.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let pdm = config.pdm()?;
    if pdm.is_none() {
        warn!("no PDM_API_URL: switchovers are blocked (DNS could not follow)");
    }
    let audit = if let Some(url) = config.nats()? {
        Audit::Nats(Box::new(NatsAudit::connect_in_background(url, config.timeout()).await?))
    } else {
        warn!("no NATS_URL: audit events are not recorded and switchovers fail at step 1");
        Audit::Off(NoAudit)
    };
    let kube = kube::Client::try_default().await.context("connecting to the Kubernetes API")?;
    // Workers and reconciles get a client whose every call has a short deadline, so a hung
    // API server cannot hold a tick (and the lease renewal after it) for minutes; the watch
    // keeps the default client (its long reads are the watch).
    let mut short = kube::Config::infer().await.context("reading the Kubernetes configuration")?;
    short.connect_timeout = Some(config.timeout());
    short.read_timeout = Some(API_DEADLINE);
    short.write_timeout = Some(API_DEADLINE);
    let worker_client = kube::Client::try_from(short).context("connecting to the Kubernetes API")?;
    let ctx = Arc::new(Context::new(worker_client, pdm, audit, config.settings()));
    let ready = Arc::new(AtomicBool::new(false));
    let exposition = {
        let metrics = ctx.metrics.clone();
        move || metrics.render()
    };
    catalyst_runtime::serve(config.metrics_addr, config.health_addr, exposition, ready.clone()).await?;
    let shutdown = catalyst_runtime::shutdown_signal();
    let elector = config.leader_elect.then(|| {
        let identity = catalyst_runtime::identity(config.identity.as_deref(), "continuum-controller");
        Elector::new(kube.clone(), &config.leader_namespace(), LEASE_NAME, &identity, LeaseTimings::default())
    });
    ready.store(true, Ordering::SeqCst);
    if let Some(elector) = &elector {
        tokio::select! {
            () = elector.acquire() => {}
            () = shutdown.clone() => return Ok(()),
        }
        ctx.metrics.leader.set(1);
    }
    let shared = Arc::new(Shared { inner: ctx.clone(), stopping: tokio::sync::watch::Sender::new(false) });
    let api: Api<Watched> = Api::all(kube);
    let (reader, writer) = reflector::store::<Watched>();
    let stream = catalyst_runtime::triggers(
        watcher(api, watcher::Config::default().any_semantic()).default_backoff().reflect(writer),
    );
    let (holding, holder_ended) = catalyst_runtime::spawn_holder(elector.clone());
    let lost = futures::FutureExt::shared(holder_ended);
    let stop = {
        let lost = lost.clone();
        let shutdown = shutdown.clone();
        let shared = shared.clone();
        async move {
            tokio::select! {
                () = shutdown => {}
                () = lost => {}
            }
            shared.stopping.send_replace(true);
            // Workers stop (a running switchover finishes or rolls back) while the leader
            // Lease is still held: none outlives this replica's leadership.
            shared.inner.workers.stop_all().await;
        }
    };
    info!("continuum-controller started");
    Controller::for_stream(stream, reader)
        .with_config(kube::runtime::controller::Config::default().concurrency(config.concurrency))
        .graceful_shutdown_on(stop)
        .run(reconcile, error_policy, shared)
        .for_each(|result| async move {
            if let Err(e) = result {
                match e {
                    kube::runtime::controller::Error::ReconcilerFailed(..) => {}
                    other => warn!(error = %other, "controller"),
                }
            }
        })
        .await;
    if futures::FutureExt::now_or_never(lost).is_some() {
        ctx.metrics.leader.set(0);
        error!("leadership lost; exiting so a fresh process can campaign again");
        anyhow::bail!("leadership lost");
    }
    if let Some(h) = holding {
        h.abort();
    }
    if let Some(elector) = elector {
        if let Err(e) = elector.release().await {
            warn!(error = %e, "releasing the Lease failed; it expires on its own");
        }
        ctx.metrics.leader.set(0);
    }
    info!("continuum-controller stopped");
    Ok(())
}
