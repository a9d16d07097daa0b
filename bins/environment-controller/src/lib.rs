//! The environment-controller (SPEC §8, seed 002) as a library, so every behaviour is testable
//! without a cluster; `main.rs` only parses flags and calls [`run`].
//!
//! It watches cluster-scoped `Environment` resources (catalyst.openova.io/v1) and, for each,
//! writes one Flux `GitRepository` manifest per region into the Organization's environment
//! repository in Gitea (never to the cluster: Flux applies what it commits), then reports
//! what it did in the Environment's status.
//!
//! - [`config`]: flags and environment variables with their defaults (ENV-2).
//! - [`mod@reconcile`]: one reconcile (ENV-4 … ENV-12); identical bytes make no commit, and the
//!   status is written only when it changed.
//! - [`leader`]: leader election on a Lease (ENV-1).
//! - [`metrics`]: the counters and timings served on `/metrics`.
//! - [`deploy`]: the RBAC and Deployment manifests shipped with the binary.
//!
//! ```
//! use environment_controller::config::Settings;
//!
//! // ENV-T10: an empty configuration takes the documented defaults.
//! let s = Settings::empty("https://gitea.example.test").with_defaults();
//! assert_eq!(s.render.flux_namespace, "flux-system");
//! assert_eq!(s.render.flux_interval_seconds, 60);
//! assert_eq!(s.author.email, "environment-controller@openova.io");
//! assert_eq!(s.requeue_after.as_secs(), 300);
//! ```

pub mod config;
pub mod deploy;
/// Leader election (ENV-1), shared by every controller: [`catalyst_runtime::leader`].
pub mod leader {
    pub use catalyst_runtime::leader::*;

    /// The Lease's name (SPEC ENV-1).
    pub const LEASE_NAME: &str = "environment-controller.catalyst.openova.io";
}
pub mod metrics;
pub mod reconcile;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use catalyst_core::crd::Environment;
use futures::StreamExt as _;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::{WatchStreamExt as _, reflector, watcher};
use tracing::{Instrument as _, error, error_span, info, warn};

pub use catalyst_runtime::{BACKOFF_BASE, BACKOFF_MAX, backoff, triggers};

use crate::config::Config;
use crate::leader::{Elector, LEASE_NAME, LeaseTimings};
use crate::metrics::Metrics;
use crate::reconcile::{Context, Error, reconcile_environment};

/// What the controller watches: Environments' metadata only. The object itself is read fresh
/// by each reconcile, so one whose spec does not fit the type is reported in its status
/// (`InvalidSpec`) instead of breaking the watch for every other Environment.
pub type Watched = PartialObjectMeta<Environment>;

/// The controller's reconcile function for kube-runtime: one span per Environment. It stops
/// at once, with [`Error::Stopped`], when this replica loses leadership or shuts down.
pub async fn reconcile(env: Arc<Watched>, ctx: Arc<Context>) -> Result<Action, Error> {
    let name = env.metadata.name.clone().ok_or(Error::Unnamed)?;
    // Error-level, so that the object is named even when only warnings and errors are logged.
    let span = error_span!("reconcile", environment = %name);
    let mut stopping = ctx.stopping.subscribe();
    let outcome = tokio::select! {
        outcome = reconcile_environment(&name, &ctx).instrument(span) => outcome?,
        _ = stopping.wait_for(|stop| *stop) => return Err(Error::Stopped),
    };
    if let Ok(mut failures) = ctx.failures.lock() {
        failures.remove(&name);
    }
    Ok(outcome.requeue.map_or_else(Action::await_change, Action::requeue))
}

/// After a failed reconcile: a permanent error ([`Error::is_permanent`]) waits for the next
/// spec change; a transient one retries with exponential backoff and jitter ([`catalyst_runtime::backoff`]),
/// per Environment, reset by the next success. A reconcile stopped by the loss of leadership
/// is not retried here (the process exits).
#[expect(clippy::needless_pass_by_value, reason = "kube-runtime's error_policy signature")]
pub fn error_policy(env: Arc<Watched>, error: &Error, ctx: Arc<Context>) -> Action {
    let name = env.metadata.name.clone().unwrap_or_default();
    if error.is_permanent() {
        warn!(environment = %name, error = %catalyst_naming::diagnostic::Chain(error), "reconcile failed; waiting for a change to the Environment");
        if let Ok(mut failures) = ctx.failures.lock() {
            failures.remove(&name);
        }
        return Action::await_change();
    }
    if matches!(error, Error::Stopped) {
        return Action::await_change();
    }
    let failures = ctx.failures.lock().map_or(1, |mut f| {
        let n = f.entry(name.clone()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    });
    let wait = backoff(failures, catalyst_runtime::jitter());
    warn!(environment = %name, error = %catalyst_naming::diagnostic::Chain(error), failures, retry_in = ?wait, "reconcile failed; retrying");
    Action::requeue(wait)
}

/// Runs the controller until SIGTERM/SIGINT or the loss of leadership.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let (settings, warnings) = config.settings()?;
    for w in warnings {
        warn!("{w}");
    }
    let token = config.token()?;
    let gitea = catalyst_gitea::Client::new(&config.gitea_api_url, token).context("--gitea-api-url")?;
    let kube = kube::Client::try_default().await.context("connecting to the Kubernetes API")?;
    let metrics = Metrics::new();
    let ready = Arc::new(AtomicBool::new(false));
    let exposition = {
        let metrics = metrics.clone();
        move || metrics.render()
    };
    catalyst_runtime::serve(config.metrics_addr, config.health_addr, exposition, ready.clone()).await?;
    let shutdown = catalyst_runtime::shutdown_signal();

    let elector = if config.no_leader_election {
        None
    } else {
        let identity = catalyst_runtime::identity(config.identity.as_deref(), "environment-controller");
        Some(Elector::new(
            kube.clone(),
            &config.leader_election_namespace,
            LEASE_NAME,
            &identity,
            LeaseTimings::default(),
        ))
    };
    // Ready means: configured, connected, serving probes; a standby replica is ready too.
    ready.store(true, Ordering::SeqCst);
    if let Some(elector) = &elector {
        tokio::select! {
            () = elector.acquire() => {}
            () = shutdown.clone() => return Ok(()),
        }
        metrics.leader.set(1);
    }

    let ctx = Arc::new(Context::new(kube.clone(), gitea, settings, metrics.clone()));
    let api: Api<Watched> = Api::all(kube);
    let (reader, writer) = reflector::store::<Watched>();
    // Reconcile on spec changes only: status writes bump resourceVersion, not generation.
    // Metadata only: an Environment whose spec does not fit the type cannot stall the watch.
    let stream =
        triggers(watcher(api, watcher::Config::default().any_semantic()).default_backoff().reflect(writer));
    // The Lease is renewed by its own task, for as long as this process is the leader and
    // until it has released the Lease: shutting down never stops the renewals early.
    let (holding, holder_ended) = catalyst_runtime::spawn_holder(elector.clone());
    let lost = futures::FutureExt::shared(holder_ended);
    let stop = {
        let lost = lost.clone();
        let shutdown = shutdown.clone();
        let ctx = ctx.clone();
        async move {
            tokio::select! {
                () = shutdown => {}
                () = lost => {}
            }
            // Running reconciles stop now (not when they finish), while the Lease is still
            // held: none outlives this replica's leadership.
            ctx.stopping.send_replace(true);
        }
    };
    info!("environment-controller started");
    Controller::for_stream(stream, reader)
        .with_config(kube::runtime::controller::Config::default().concurrency(config.concurrency))
        .graceful_shutdown_on(stop)
        .run(reconcile, error_policy, ctx)
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
        metrics.leader.set(0);
        error!("leadership lost; exiting so a fresh process can campaign again");
        anyhow::bail!("leadership lost");
    }
    // Every reconcile has stopped: stop renewing, then hand the Lease over.
    if let Some(h) = holding {
        h.abort();
    }
    if let Some(elector) = elector {
        if let Err(e) = elector.release().await {
            warn!(error = %e, "releasing the Lease failed; it expires on its own");
        }
        metrics.leader.set(0);
    }
    info!("environment-controller stopped");
    Ok(())
}

/// The probe and metrics router: `/metrics`, `/healthz`, `/readyz`.
pub fn router(metrics: Metrics, ready: Arc<AtomicBool>) -> (axum::Router, axum::Router) {
    catalyst_runtime::router(move || metrics.render(), ready)
}
