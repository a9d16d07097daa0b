//! The organization-controller (SPEC CTRL-1) as a library, so every behaviour is testable
//! without a cluster; `main.rs` only parses flags and calls [`run`].
//!
//! It watches cluster-scoped `Organization` resources (orgs.openova.io/v1) and, for each:
//! a Keycloak group `/<slug>` in the Sovereign realm; the private Gitea org `<slug>` with the
//! repository `catalyst-tenant`; the tenant manifests of [`catalyst_core::tenant::render`]
//! in it (one commit, none when nothing changed, merged indexes, never over a concurrent
//! change); the per-Organization Flux objects; one `UserAccess` per owner; the vCluster's
//! readiness and, once Ready, the first Environment and the quota postconditions; the status.
//!
//! - [`config`]: flags and environment variables with their defaults;
//! - [`mod@reconcile`]: one reconcile, and the deletion behind the finalizer;
//! - [`keycloak`]: the admin REST client behind [`keycloak::GroupDirectory`];
//! - [`events`]: `catalyst.tenant.deleted` on NATS;
//! - [`metrics`]: what `/metrics` serves;
//! - [`deploy`]: the RBAC and Deployment manifests.

pub mod config;
pub mod deploy;
pub mod events;
pub mod keycloak;
pub mod metrics;
pub mod reconcile;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use catalyst_core::crd::Organization;
use catalyst_runtime::leader::{Elector, LeaseTimings};
use futures::StreamExt as _;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::{WatchStreamExt as _, reflector, watcher};
use tracing::{Instrument as _, error, error_span, info, warn};

use crate::config::{Config, LEASE_NAME};
use crate::reconcile::{Context, Error, reconcile_organization};

/// What the controller watches: Organizations' metadata (each reconcile reads the object fresh).
pub type Watched = PartialObjectMeta<Organization>;

/// What kube-runtime hands every reconcile.
#[derive(Debug)]
pub struct Shared {
    /// The reconcile context.
    pub ctx: Context,
    /// Counters.
    pub metrics: metrics::Metrics,
    /// Consecutive failed reconciles per Organization, for the backoff.
    pub failures: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

/// The reconcile function for kube-runtime.
pub async fn reconcile(obj: Arc<Watched>, shared: Arc<Shared>) -> Result<Action, Error> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    // Every line logged during the reconcile names the object (JSON: `span.organization`), at every
    // level: the span is error-level, so `RUST_LOG=warn` keeps it.
    let span = error_span!("reconcile", organization = %name);
    let result = reconcile_organization(&name, &shared.ctx).instrument(span).await;
    shared.metrics.observe(&result);
    if result.is_ok()
        && let Ok(mut f) = shared.failures.lock()
    {
        f.remove(&name);
    }
    Ok(result?.requeue.map_or_else(Action::await_change, Action::requeue))
}

/// After a failed reconcile: retry after 5 s doubling per consecutive failure up to 5 min, with
/// jitter, per Organization.
#[expect(clippy::needless_pass_by_value, reason = "kube-runtime's error_policy signature")]
pub fn error_policy(obj: Arc<Watched>, error: &Error, shared: Arc<Shared>) -> Action {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let failures = shared.failures.lock().map_or(1, |mut f| {
        let n = f.entry(name.clone()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    });
    let wait = catalyst_runtime::backoff(failures, catalyst_runtime::jitter());
    warn!(organization = %name, error = %catalyst_naming::diagnostic::Chain(error), retry_in = ?wait, "reconcile failed; retrying");
    Action::requeue(wait)
}

/// Runs the controller until SIGTERM/SIGINT or the loss of leadership.
///
/// # Errors
/// Configuration, connection, and the loss of leadership.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let (tenant, warnings) = config.tenant()?;
    for w in warnings {
        warn!("{w}");
    }
    let gitea_config = catalyst_gitea::Config::new(&config.gitea_url).with_timeout(config.call_timeout());
    let gitea =
        catalyst_gitea::Client::from_config(&gitea_config, config.gitea_token()?).context("--gitea-url")?;
    let keycloak = Arc::new(config.keycloak()?);
    let kube = kube::Client::try_default().await.context("connecting to the Kubernetes API")?;
    let author = catalyst_gitea::Identity {
        name: config.commit_author_name.clone(),
        email: config.commit_author_email.clone(),
    };
    let mut ctx = Context::new(kube.clone(), gitea, keycloak, tenant, author);
    ctx.requeue = std::time::Duration::from_secs(config.requeue_after_seconds.max(1));
    if let Some(url) = config.nats_url.as_deref().filter(|u| !u.is_empty()) {
        ctx.events =
            Some(events::Events::connect(url, config.call_timeout()).await.map_err(anyhow::Error::msg)?);
    }
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
        let identity = catalyst_runtime::identity(config.identity.as_deref(), "organization-controller");
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
    info!("organization-controller started");
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
    info!("organization-controller stopped");
    Ok(())
}
