//! One reconcile of one Environment (SPEC ENV-4 … ENV-12), testable without a cluster: it
//! talks to the Kubernetes API through a [`kube::Client`] (any tower service) and to Gitea
//! through catalyst-gitea.

use std::sync::Arc;
use std::time::{Duration, Instant};

use catalyst_core::conditions::{ConditionUpdate, EnvironmentReason, set_condition, types};
use catalyst_core::crd::{
    Environment, EnvironmentPhase, EnvironmentStatus, GiteaRepoRef, VclusterPhase, VclusterStatus,
};
use catalyst_core::gitops::{EnvironmentPlan, RenderError};
use catalyst_gitea::{GiteaError, Target};
use catalyst_naming::diagnostic::Chain;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use serde_json::json;
use tracing::{debug, info, warn};

use crate::config::Settings;
use crate::metrics::Metrics;

/// The field manager of the controller's status writes (server-side apply).
pub const FIELD_MANAGER: &str = "environment-controller";

/// What a reconcile needs; shared by every reconcile.
pub struct Context {
    /// The Kubernetes API.
    pub kube: kube::Client,
    /// Gitea.
    pub gitea: catalyst_gitea::Client,
    /// Configuration after defaults.
    pub settings: Settings,
    /// Counters and timings.
    pub metrics: Metrics,
    /// The clock of `lastTransitionTime` (tests fix it).
    pub clock: Arc<dyn Fn() -> Time + Send + Sync>,
    /// Becomes `true` when running reconciles must stop at once: this replica lost
    /// leadership, or it is shutting down (before it releases the Lease, so no reconcile
    /// outlives its leadership).
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// Consecutive failed reconciles per Environment, for the error policy's backoff.
    pub failures: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Context {
    /// A context on the real clock.
    pub fn new(
        kube: kube::Client,
        gitea: catalyst_gitea::Client,
        settings: Settings,
        metrics: Metrics,
    ) -> Self {
        Self {
            kube,
            gitea,
            settings,
            metrics,
            clock: Arc::new(catalyst_core::conditions::now),
            stopping: tokio::sync::watch::Sender::new(false),
            failures: std::sync::Mutex::default(),
        }
    }
}

/// What a reconcile decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The phase written, or `None` when the Environment no longer exists.
    pub phase: Option<EnvironmentPhase>,
    /// When to look again without a change; `None` waits for a spec change.
    pub requeue: Option<Duration>,
    /// Whether the status was written (it is only when something changed).
    pub status_written: bool,
    /// Regions whose manifest was committed (created or updated) by this reconcile.
    pub commits: usize,
}

/// A reconcile that must be retried with backoff.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the Environment or writing its status failed.
    #[error("Environment {name}: {action}")]
    Kube {
        /// The Environment.
        name: String,
        /// What was being done.
        action: &'static str,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The object has no name.
    #[error("the Environment has no metadata.name")]
    Unnamed,
    /// The reconcile was stopped: leadership was lost or the process is shutting down.
    #[error("stopped: leadership lost or shutting down")]
    Stopped,
}

impl Error {
    /// Whether retrying without a change to the object cannot help: the object itself is
    /// wrong (no name), or the API refused the request as invalid (a 4xx other than
    /// 401/403, which RBAC rollouts and token rotation fix, 408, 409 and 429). Such errors
    /// wait for the next spec change.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Unnamed => true,
            Self::Kube { source: kube::Error::Api(status), .. } => {
                (400..500).contains(&status.code) && !matches!(status.code, 401 | 403 | 408 | 409 | 429)
            }
            Self::Kube { .. } | Self::Stopped => false,
        }
    }
}

/// Reconciles the Environment called `name` (ENV-4 … ENV-12).
pub async fn reconcile_environment(name: &str, ctx: &Context) -> Result<Outcome, Error> {
    let started = Instant::now();
    let result = reconcile_inner(name, ctx).await;
    ctx.metrics.observe(&result, started.elapsed());
    result
}

#[expect(
    clippy::too_many_lines,
    reason = "the seed's algorithm step by step (ENV-4 … ENV-9), easier to check against SPEC in one piece"
)]
async fn reconcile_inner(name: &str, ctx: &Context) -> Result<Outcome, Error> {
    // ENV-4: read the object fresh; gone between queue and read is normal. It is read (and
    // its status written) untyped, so an object that does not fit the type is reported, not
    // an endless error.
    let api: Api<DynamicObject> = Api::all_with(ctx.kube.clone(), &ApiResource::erase::<Environment>(&()));
    let object = match api.get_opt(name).await {
        Ok(Some(object)) => object,
        Ok(None) => {
            debug!("Environment is gone; nothing to do");
            return Ok(Outcome { phase: None, requeue: None, status_written: false, commits: 0 });
        }
        Err(source) => return Err(Error::Kube { name: name.to_owned(), action: "reading it", source }),
    };
    let value = serde_json::to_value(&object).unwrap_or_default();
    let env: Environment = match serde_json::from_value(value.clone()) {
        Ok(env) => env,
        Err(e) => {
            // A status this controller cannot read (another version's, a hand edit) is not the
            // spec's fault: the spec is reconciled and the status written afresh.
            let mut without_status = value.clone();
            if let Some(o) = without_status.as_object_mut() {
                o.remove("status");
            }
            match serde_json::from_value(without_status) {
                Ok(env) => env,
                Err(_) => return invalid_object(&api, name, &value, &e, ctx).await,
            }
        }
    };
    let old = env.status.clone().unwrap_or_default();
    let mut next = old.clone();
    let now = (ctx.clock)();
    let generation = env.metadata.generation;
    let settings = &ctx.settings;
    let region_count = i64::try_from(env.spec.regions.len()).unwrap_or(i64::MAX);
    next.region_count = Some(region_count);
    next.observed_generation = generation;
    let cond = |type_: &str, ok: bool, reason: EnvironmentReason, message: &str| {
        ConditionUpdate::new(type_, ok, &reason, message).observed_generation(generation)
    };

    // ENV-5: an invalid spec is Failed until the spec changes; nothing is written to Gitea.
    if let Err(message) = validate(&env, settings.strict) {
        info!(%message, "invalid spec");
        next.phase = Some(EnvironmentPhase::Failed);
        set_condition(
            &mut next.conditions,
            cond(types::READY, false, EnvironmentReason::InvalidSpec, &message),
            now,
        );
        let written = write_status(&api, name, &old, next).await?;
        return Ok(Outcome {
            phase: Some(EnvironmentPhase::Failed),
            requeue: None,
            status_written: written,
            commits: 0,
        });
    }

    // ENV-6: branch and subject prefix.
    let org = env.spec.organization_ref.clone();
    next.gitea_repo_ref =
        Some(GiteaRepoRef { org: Some(org.clone()), branch: Some(env.spec.branch().to_owned()) });
    next.jetstream_subject_prefix = Some(env.spec.jetstream_subject_prefix());
    let requeue = Some(settings.requeue_after);
    let waiting = |mut next: EnvironmentStatus, phase, reason, message: String, org_condition: bool| {
        next.phase = Some(phase);
        if org_condition {
            set_condition(
                &mut next.conditions,
                cond(types::GITEA_ORG_READY, false, reason, &message),
                now.clone(),
            );
        }
        set_condition(&mut next.conditions, cond(types::READY, false, reason, &message), now.clone());
        next
    };

    // ENV-11/12: stop early with a waiting or degraded status.
    let early = async |next: EnvironmentStatus,
                       phase: EnvironmentPhase,
                       reason: EnvironmentReason,
                       message: String,
                       org_condition: bool,
                       commits: usize|
           -> Result<Outcome, Error> {
        let next = waiting(next, phase, reason, message, org_condition);
        let written = write_status(&api, name, &old, next).await?;
        Ok(Outcome { phase: Some(phase), requeue, status_written: written, commits })
    };

    // ENV-7: the Organization's Gitea org must exist.
    match ctx.gitea.get_org(&org).await {
        Ok(_) => {}
        Err(GiteaError::OrgNotFound { .. }) => {
            let message = format!(
                "Gitea org {org:?} does not exist yet: create the parent Organization {org:?} first (organization-controller creates its Gitea org)"
            );
            info!(%org, "waiting for the Organization's Gitea org");
            return early(
                next,
                EnvironmentPhase::Pending,
                EnvironmentReason::GiteaOrgMissing,
                message,
                true,
                0,
            )
            .await;
        }
        Err(e) => {
            warn!(%org, error = %e, "looking up the Gitea org failed");
            let message = format!("looking up Gitea org {org:?} failed: {e}");
            return early(
                next,
                EnvironmentPhase::Degraded,
                EnvironmentReason::GiteaOrgLookupError,
                message,
                false,
                0,
            )
            .await;
        }
    }

    // ENV-8: render every region, then write each manifest.
    let plan = match EnvironmentPlan::new(&env, &settings.render) {
        Ok(plan) => plan,
        Err(RenderError::Unnamed) => return Err(Error::Unnamed),
        Err(e) => {
            let message = Chain(&e).to_string();
            warn!(error = %message, "render failed");
            return early(
                next,
                EnvironmentPhase::Degraded,
                EnvironmentReason::RenderError,
                message,
                false,
                0,
            )
            .await;
        }
    };
    let mut vclusters = Vec::with_capacity(plan.files.len());
    let mut failures = Vec::new();
    let mut commits = 0;
    for file in &plan.files {
        let message = format!("environment-controller: reconcile {name} on {}", file.host);
        let target = Target {
            owner: &plan.org,
            repo: &plan.repo,
            branch: &plan.branch,
            message: &message,
            author: &settings.author,
        };
        let phase = match ctx.gitea.upsert_file(&target, &file.path, file.content.as_bytes()).await {
            Ok(result) => {
                debug!(path = %file.path, %result, "manifest");
                if result != catalyst_gitea::Upsert::Unchanged {
                    commits += 1;
                    ctx.metrics.committed();
                    info!(path = %file.path, %result, "committed");
                }
                VclusterPhase::Provisioning
            }
            Err(GiteaError::RepoNotFound { .. }) => {
                let message = format!(
                    "repository {}/{} does not exist yet under Gitea org {org:?}; organization-controller creates it",
                    plan.org, plan.repo
                );
                info!(repo = %plan.repo, "waiting for the environment repository");
                return early(
                    next,
                    EnvironmentPhase::Pending,
                    EnvironmentReason::GiteaRepoMissing,
                    message,
                    true,
                    commits,
                )
                .await;
            }
            Err(e) => {
                warn!(path = %file.path, error = %e, "writing the manifest failed; retried on the next reconcile");
                failures.push(format!("{}: {e}", file.host));
                VclusterPhase::Failed
            }
        };
        let since = old
            .vclusters
            .iter()
            .find(|v| v.host == file.host && v.name == plan.org && v.phase == Some(phase))
            .and_then(|v| v.last_transition_time.clone())
            .unwrap_or_else(|| now.clone());
        vclusters.push(VclusterStatus {
            host: file.host.clone(),
            name: plan.org.clone(),
            phase: Some(phase),
            last_transition_time: Some(since),
        });
    }

    // ENV-9: the final status.
    let ok = failures.is_empty();
    let (reason, message) = if ok {
        (
            EnvironmentReason::Reconciled,
            format!("{} GitRepository manifest(s) in {}/{}", plan.files.len(), plan.org, plan.repo),
        )
    } else {
        (
            EnvironmentReason::PartialFailure,
            format!("{} of {} region(s) failed: {}", failures.len(), plan.files.len(), failures.join("; ")),
        )
    };
    let phase = if ok { EnvironmentPhase::Ready } else { EnvironmentPhase::Degraded };
    next.phase = Some(phase);
    next.vclusters = vclusters;
    set_condition(
        &mut next.conditions,
        cond(types::GITEA_ORG_READY, true, EnvironmentReason::OrgFound, &format!("Gitea org {org:?} exists")),
        now.clone(),
    );
    set_condition(
        &mut next.conditions,
        cond(types::GIT_REPOSITORY_WRITTEN, ok, reason, &message),
        now.clone(),
    );
    set_condition(&mut next.conditions, cond(types::READY, ok, reason, &message), now);
    let written = write_status(&api, name, &old, next).await?;
    Ok(Outcome { phase: Some(phase), requeue, status_written: written, commits })
}

/// ENV-5 for an object that does not even deserialize (`placement: global`, a string where a
/// list belongs): Failed with `InvalidSpec` and the reason, no requeue; the next spec change
/// triggers a new reconcile.
async fn invalid_object(
    api: &Api<DynamicObject>,
    name: &str,
    value: &serde_json::Value,
    error: &serde_json::Error,
    ctx: &Context,
) -> Result<Outcome, Error> {
    let old: EnvironmentStatus = serde_json::from_value(value["status"].clone()).unwrap_or_default();
    let generation = value["metadata"]["generation"].as_i64();
    let message = format!(
        "the object does not fit the Environment schema: {}",
        catalyst_naming::untrusted::remote_text(&error.to_string())
    );
    info!(%message, "invalid spec");
    let mut next = old.clone();
    next.phase = Some(EnvironmentPhase::Failed);
    next.observed_generation = generation;
    set_condition(
        &mut next.conditions,
        ConditionUpdate::new(types::READY, false, &EnvironmentReason::InvalidSpec, &message)
            .observed_generation(generation),
        (ctx.clock)(),
    );
    let written = write_status(api, name, &old, next).await?;
    Ok(Outcome { phase: Some(EnvironmentPhase::Failed), requeue: None, status_written: written, commits: 0 })
}

/// ENV-5: placement cardinality always, the CRD schema in strict mode.
fn validate(env: &Environment, strict: bool) -> Result<(), String> {
    let mut problems = Vec::new();
    // The platform's message: `path: what`, without the rule tag.
    let line = |d: &catalyst_core::validate::Diagnostic| format!("{}: {}", d.path, d.message);
    if let Err(e) = env.spec.validate_placement() {
        problems.push(line(&e));
    }
    if strict && let Err(errors) = env.spec.validate_schema() {
        problems.extend(errors.iter().map(line));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

/// Writes `next` with server-side apply when it differs from `old`; returns whether it wrote.
async fn write_status(
    api: &Api<DynamicObject>,
    name: &str,
    old: &EnvironmentStatus,
    next: EnvironmentStatus,
) -> Result<bool, Error> {
    if *old == next {
        return Ok(false);
    }
    let mut status = next;
    // Fields other writers own stay theirs.
    status.extra = catalyst_core::crd::Extra::default();
    let patch = json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Environment", "status": status});
    api.patch_status(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&patch))
        .await
        .map_err(|source| Error::Kube { name: name.to_owned(), action: "writing its status", source })?;
    Ok(true)
}
