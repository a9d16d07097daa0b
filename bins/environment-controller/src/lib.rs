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
pub mod leader;
pub mod metrics;
pub mod reconcile;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use catalyst_core::crd::Environment;
use futures::StreamExt as _;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::{WatchStreamExt as _, predicates, reflector, watcher};
use tracing::{Instrument as _, error, info, info_span, warn};

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
    let span = info_span!("reconcile", environment = %name);
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

/// The first retry after a failure; each further failure doubles it.
pub const BACKOFF_BASE: Duration = Duration::from_secs(5);
/// The longest wait between retries.
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// The wait before retry number `failures` (1 for the first): [`BACKOFF_BASE`] doubled per
/// failure up to [`BACKOFF_MAX`], then scaled by `jitter` (a factor in 0.8..1.2, so replicas
/// and objects that failed together do not retry together).
pub fn backoff(failures: u32, jitter: f64) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16)));
    exp.min(BACKOFF_MAX).mul_f64(jitter.clamp(0.8, 1.2))
}

/// A jitter factor in 0.8..1.2 from the process's hash randomness (no RNG dependency).
fn jitter() -> f64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(u64::from(std::process::id()));
    #[expect(clippy::cast_precision_loss, reason = "a fraction of a random 16-bit number")]
    let unit = (h.finish() & 0xffff) as f64 / 65_535.0;
    0.8 + 0.4 * unit
}

/// After a failed reconcile: a permanent error ([`Error::is_permanent`]) waits for the next
/// spec change; a transient one retries with exponential backoff and jitter ([`backoff`]),
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
    let wait = backoff(failures, jitter());
    warn!(environment = %name, error = %catalyst_naming::diagnostic::Chain(error), failures, retry_in = ?wait, "reconcile failed; retrying");
    Action::requeue(wait)
}

/// The reconcile triggers from a watch: applied objects whose generation (or UID) was not
/// seen yet. The controller's own status writes change `resourceVersion`, never
/// `generation`, so they do not trigger a reconcile; deletions need none (nothing to clean up
/// in Gitea: the manifests stay until the Organization's repository goes).
pub fn triggers<K>(
    events: impl futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
) -> impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static
where
    K: kube::Resource + Send + 'static,
{
    events
        .applied_objects()
        .predicate_filter(predicates::generation, kube::runtime::utils::PredicateConfig::default())
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
    serve(config.metrics_addr, config.health_addr, metrics.clone(), ready.clone()).await?;
    let shutdown = shutdown_signal();

    let elector = if config.no_leader_election {
        None
    } else {
        let identity = config
            .identity
            .clone()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| format!("environment-controller-{}", std::process::id()));
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
    let (holding, holder_ended) = spawn_holder(elector.clone());
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

/// A future that resolves when something happened, boxed.
type Signal = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// Starts renewing the Lease in its own task (so shutting down never stops the renewals before
/// the Lease is released) and returns it with a future that resolves when leadership is lost;
/// without election, no task and a future that never resolves.
fn spawn_holder(elector: Option<Elector>) -> (Option<tokio::task::JoinHandle<()>>, Signal) {
    match elector {
        Some(e) => {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(async move {
                e.hold().await;
                let _ = tx.send(());
            });
            (
                Some(task),
                Box::pin(async move {
                    let _ = rx.await;
                }),
            )
        }
        None => (None, Box::pin(futures::future::pending::<()>())),
    }
}

/// Resolves on SIGTERM or SIGINT.
fn shutdown_signal() -> futures::future::Shared<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>> {
    let fut: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            else {
                let _ = ctrl_c.await;
                return;
            };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        info!("shutdown requested");
    });
    futures::FutureExt::shared(fut)
}

/// The probe and metrics router: `/metrics`, `/healthz`, `/readyz`.
pub fn router(metrics: Metrics, ready: Arc<AtomicBool>) -> (Router, Router) {
    let metrics_router = Router::new().route(
        "/metrics",
        get(move || {
            let m = metrics.clone();
            async move {
                ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], m.render())
            }
        }),
    );
    let health_router = Router::new().route("/healthz", get(|| async { "ok" })).route(
        "/readyz",
        get(move || {
            let ready = ready.clone();
            async move {
                if ready.load(Ordering::SeqCst) {
                    (StatusCode::OK, "ok")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "not ready")
                }
            }
        }),
    );
    (metrics_router, health_router)
}

async fn serve(
    metrics_addr: std::net::SocketAddr,
    health_addr: std::net::SocketAddr,
    metrics: Metrics,
    ready: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let (m, h) = router(metrics, ready);
    for (addr, app, what) in [(metrics_addr, m, "metrics"), (health_addr, h, "health probes")] {
        let listener =
            tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {what} on {addr}"))?;
        info!(%addr, "serving {what}");
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                error!(error = %e, "{what} server stopped");
            }
        });
    }
    Ok(())
}
