//! The blueprint-controller (SPEC CTRL-2) as a library, so every behaviour is testable without
//! a cluster; `main.rs` only parses flags and calls [`run`].
//!
//! It watches cluster-scoped `Blueprint` resources (`catalyst.openova.io`) and, for each,
//! judges it with the one rule set, mirrors it into the Gitea org `catalog` and writes its
//! status only when it changed ([`mod@reconcile`]).
//!
//! - [`config`]: flags and environment variables with their defaults;
//! - [`mod@reconcile`]: one reconcile;
//! - [`metrics`]: what `/metrics` serves;
//! - [`deploy`]: the RBAC and Deployment manifests.

pub mod config;
pub mod deploy;
pub mod metrics;
pub mod reconcile;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use catalyst_runtime::leader::{Elector, LeaseTimings};
use futures::StreamExt as _;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::{WatchStreamExt as _, reflector, watcher};
use tracing::{Instrument as _, error, error_span, info, warn};

use crate::config::{Config, LEASE_NAME};

use crate::reconcile::{Context, Error, reconcile_blueprint};

/// What the controller watches: `Blueprints`' metadata (each reconcile reads the object fresh).
pub type Watched = PartialObjectMeta<catalyst_core::crd::Blueprint>;

/// What kube-runtime hands every reconcile.
#[derive(Debug)]
pub struct Shared {
    /// The reconcile context.
    pub ctx: Context,
    /// Counters.
    pub metrics: metrics::Metrics,
    /// Consecutive failed reconciles per Blueprint, for the backoff.
    pub failures: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

/// The reconcile function for kube-runtime.
pub async fn reconcile(obj: Arc<Watched>, shared: Arc<Shared>) -> Result<Action, Error> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    // Every line logged during the reconcile names the object (JSON: `span.blueprint`), at every
    // level: the span is error-level, so `RUST_LOG=warn` keeps it.
    let span = error_span!("reconcile", blueprint = %name);
    let result = reconcile_blueprint(&name, &shared.ctx).instrument(span).await;
    shared.metrics.observe(&result);
    if result.is_ok()
        && let Ok(mut f) = shared.failures.lock()
    {
        f.remove(&name);
    }
    Ok(result?.requeue.map_or_else(Action::await_change, Action::requeue))
}

/// After a failed reconcile: retry after 5 s doubling per consecutive failure up to 5 min, with
/// jitter, per Blueprint.
#[expect(clippy::needless_pass_by_value, reason = "kube-runtime's error_policy signature")]
pub fn error_policy(obj: Arc<Watched>, error: &Error, shared: Arc<Shared>) -> Action {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let failures = shared.failures.lock().map_or(1, |mut f| {
        let n = f.entry(name.clone()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    });
    let wait = catalyst_runtime::backoff(failures, catalyst_runtime::jitter());
    warn!(blueprint = %name, error = %catalyst_naming::diagnostic::Chain(error), retry_in = ?wait, "reconcile failed; retrying");
    Action::requeue(wait)
}

/// Runs the controller until SIGTERM/SIGINT or the loss of leadership.
///
/// # Errors
/// Configuration, connection, and the loss of leadership.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let gitea = config.gitea()?;
    let oci = config.oci()?;
    if oci.is_none() {
        info!("no --oci-registry: published artifacts are not checked (as on the platform)");
    }
    if gitea.is_none() {
        warn!("no Gitea token: the mirror is off (validation and status only)");
    }
    let kube = kube::Client::try_default().await.context("connecting to the Kubernetes API")?;
    let author = catalyst_gitea::Identity {
        name: config.commit_author_name.clone(),
        email: config.commit_author_email.clone(),
    };
    let mut ctx = Context::new(kube.clone(), gitea, author);
    ctx.requeue = std::time::Duration::from_secs(config.requeue_after_seconds.max(1));
    ctx.oci = oci;
    let shared =
        Arc::new(Shared { ctx, metrics: metrics::Metrics::new(), failures: std::sync::Mutex::default() });
    let ready = Arc::new(AtomicBool::new(false));
    let exposition = {
        let m = shared.metrics.clone();
        move || m.render()
    };
    catalyst_runtime::serve(config.metrics_addr, config.health_addr, exposition, ready.clone()).await?;
    let shutdown = catalyst_runtime::shutdown_signal();
    let elector = config.leader_elect.then(|| {
        let identity = catalyst_runtime::identity(config.identity.as_deref(), "blueprint-controller");
        Elector::new(
            kube.clone(),
            &config.leader_elect_namespace,
            LEASE_NAME,
            &identity,
            LeaseTimings::default(),
        )
    });
    ready.store(true, Ordering::SeqCst);
    if let Some(elector) = &elector {
        tokio::select! {
            () = elector.acquire() => {}
            () = shutdown.clone() => return Ok(()),
        }
        shared.metrics.leader.set(1);
    }
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
        async move {
            tokio::select! {
                () = shutdown => {}
                () = lost => {}
            }
        }
    };
    info!("blueprint-controller started");
    Controller::for_stream(stream, reader)
        .with_config(kube::runtime::controller::Config::default().concurrency(config.concurrency))
        .graceful_shutdown_on(stop)
        .run(reconcile, error_policy, shared.clone())
        .for_each(|_| async {})
        .await;
    if futures::FutureExt::now_or_never(lost).is_some() {
        error!("leadership lost; exiting so a fresh process can campaign again");
        anyhow::bail!("leadership lost");
    }
    if let Some(h) = holding {
        h.abort();
    }
    if let Some(elector) = elector
        && let Err(e) = elector.release().await
    {
        warn!(error = %e, "releasing the Lease failed; it expires on its own");
    }
    info!("blueprint-controller stopped");
    Ok(())
}
