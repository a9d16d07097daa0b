//! What every Catalyst controller does the same way, written once: leader election on a
//! Lease ([`leader`]), the `/metrics`, `/healthz` and `/readyz` servers ([`router`],
//! [`serve`]), SIGTERM handling ([`shutdown_signal`]), the Lease holder task
//! ([`spawn_holder`]), retry backoff with jitter ([`backoff`]) and generation-only reconcile
//! triggers ([`triggers`]).
//!
//! ```
//! use std::time::Duration;
//!
//! // The first retry waits 5 s, each further one twice as long, up to 5 minutes.
//! assert_eq!(catalyst_runtime::backoff(1, 1.0), Duration::from_secs(5));
//! assert_eq!(catalyst_runtime::backoff(3, 1.0), Duration::from_secs(20));
//! assert_eq!(catalyst_runtime::backoff(30, 1.0), Duration::from_secs(300));
//! ```

pub mod leader;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use kube::runtime::{WatchStreamExt as _, predicates, watcher};
use tracing::{error, info};

use crate::leader::Elector;

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
pub fn jitter() -> f64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(u64::from(std::process::id()));
    #[expect(clippy::cast_precision_loss, reason = "a fraction of a random 16-bit number")]
    let unit = (h.finish() & 0xffff) as f64 / 65_535.0;
    0.8 + 0.4 * unit
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`; see [`log_filter`]), as JSON lines
/// carrying the current span (a reconcile's object) or as text.
pub fn init_logging(json: bool) {
    let (filter, warning) = log_filter(std::env::var("RUST_LOG").ok().as_deref());
    tracing::subscriber::set_global_default(log_subscriber(filter, json, std::io::stderr))
        .unwrap_or_else(|_| eprintln!("warning: a logger was already installed; keeping it"));
    if let Some(w) = warning {
        tracing::warn!("{w}");
    }
}

/// The filter for a `RUST_LOG` value, as `tracing`'s users expect it (`debug`,
/// `warn,kube=error`, `environment_controller=debug`); unset or empty means `info`. A value that
/// does not parse falls back to `info` with the reason, to be logged, instead of silently logging
/// nothing or everything.
pub fn log_filter(rust_log: Option<&str>) -> (tracing_subscriber::EnvFilter, Option<String>) {
    use tracing_subscriber::EnvFilter;
    match rust_log.map(str::trim).filter(|v| !v.is_empty()) {
        None => (EnvFilter::new("info"), None),
        Some(v) => match EnvFilter::builder().parse(v) {
            Ok(f) => (f, None),
            Err(e) => (
                EnvFilter::new("info"),
                Some(format!("RUST_LOG={v:?} is not a filter ({e}); logging at info")),
            ),
        },
    }
}

/// The controllers' log format over any writer: JSON lines with the current span's fields at
/// the top level of `span` (so every line of a reconcile names its object), or text.
pub fn log_subscriber<W>(
    filter: tracing_subscriber::EnvFilter,
    json: bool,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    if json {
        Box::new(builder.json().with_current_span(true).with_span_list(false).finish())
    } else {
        Box::new(builder.finish())
    }
}

/// This replica's identity in a leader Lease: the one configured (`POD_NAME`), else the host
/// name, else `<binary>-<pid>`.
pub fn identity(configured: Option<&str>, binary: &str) -> String {
    configured
        .map(str::to_owned)
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| format!("{binary}-{}", std::process::id()))
}

/// The reconcile triggers from a watch: applied objects whose generation (or UID) was not
/// seen yet. A controller's own status writes change `resourceVersion`, never `generation`,
/// so they do not trigger a reconcile.
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

/// A future that resolves when something happened, boxed.
pub type Signal = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// Starts renewing the Lease in its own task (so shutting down never stops the renewals before
/// the Lease is released) and returns it with a future that resolves when leadership is lost;
/// without election, no task and a future that never resolves.
pub fn spawn_holder(elector: Option<Elector>) -> (Option<tokio::task::JoinHandle<()>>, Signal) {
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

/// Resolves on SIGTERM or SIGINT; every clone resolves.
pub fn shutdown_signal() -> futures::future::Shared<Signal> {
    let fut: Signal = Box::pin(async {
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

/// The metrics router (`/metrics`, the Prometheus text that `render` returns) and the probe
/// router (`/healthz` always ok, `/readyz` ok while `ready` is set, else 503).
pub fn router(
    render: impl Fn() -> String + Clone + Send + Sync + 'static,
    ready: Arc<AtomicBool>,
) -> (Router, Router) {
    let metrics_router = Router::new().route(
        "/metrics",
        get(move || {
            let render = render.clone();
            async move {
                ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], render())
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

/// Binds both routers of [`router`] and serves them in the background.
///
/// # Errors
/// An address that cannot be bound, named.
pub async fn serve(
    metrics_addr: std::net::SocketAddr,
    health_addr: std::net::SocketAddr,
    render: impl Fn() -> String + Clone + Send + Sync + 'static,
    ready: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let (m, h) = router(render, ready);
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
