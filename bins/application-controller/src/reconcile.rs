//! One reconcile of one Application (SPEC CTRL-3), testable without a cluster: it talks to the
//! Kubernetes API through a [`kube::Client`] (any tower service) and to Gitea through
//! catalyst-gitea; what it writes is [`catalyst_core::apps::plan_application`].

use std::sync::Arc;
use std::time::Duration;

use catalyst_core::apps::{ApplicationPlan, AppsConfig, MANAGER, Problem, plan_application};
use catalyst_core::conditions::{ConditionStatus, ConditionUpdate, set_condition, types};
use catalyst_core::crd::{ApplicationPhase, ApplicationStatus};
use catalyst_gitea::{GiteaError, Identity, Target, Upsert};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use serde_json::{Value, json};
use tracing::{info, warn};

/// The finalizer that makes a deletion clean up Gitea and the host Flux objects first.
pub const FINALIZER: &str = "application.apps.openova.io/finalizer";

/// What every reconcile shares.
pub struct Context {
    /// The Kubernetes API.
    pub kube: kube::Client,
    /// Gitea.
    pub gitea: catalyst_gitea::Client,
    /// What the files and objects look like.
    pub config: AppsConfig,
    /// Commit author and committer.
    pub author: Identity,
    /// Requeue of a healthy Application (drift and HelmRelease readiness).
    pub requeue: Duration,
    /// The conditions' clock (tests fix it).
    pub clock: Arc<dyn Fn() -> Time + Send + Sync>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Context {
    /// A context on the real clock.
    pub fn new(
        kube: kube::Client,
        gitea: catalyst_gitea::Client,
        config: AppsConfig,
        author: Identity,
    ) -> Self {
        Self {
            kube,
            gitea,
            config,
            author,
            requeue: Duration::from_secs(300),
            clock: Arc::new(catalyst_core::conditions::now),
        }
    }

    fn api(
        &self,
        group: &str,
        version: &str,
        kind: &str,
        plural: &str,
        namespace: Option<&str>,
    ) -> Api<DynamicObject> {
        let r = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
        match namespace {
            Some(ns) => Api::namespaced_with(self.kube.clone(), ns, &r),
            None => Api::all_with(self.kube.clone(), &r),
        }
    }

    fn applications(&self, namespace: &str) -> Api<DynamicObject> {
        self.api("apps.openova.io", "v1", "Application", "applications", Some(namespace))
    }
}

/// A reconcile that must be retried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A Kubernetes API call failed.
    #[error("Application {name}: {action}")]
    Kube {
        /// `<namespace>/<name>`.
        name: String,
        /// What was being done.
        action: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// A Gitea call failed during a deletion (the finalizer stays).
    #[error("Application {name}: {action}")]
    Gitea {
        /// `<namespace>/<name>`.
        name: String,
        /// What was being done.
        action: String,
        /// The Gitea error.
        #[source]
        source: GiteaError,
    },
}

/// What a reconcile did.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The phase written; `None` when the Application is gone.
    pub phase: Option<ApplicationPhase>,
    /// Whether the status was written (only when it changed).
    pub status_written: bool,
    /// Regions whose files were committed.
    pub commits: usize,
    /// Host Flux objects and the Continuum written (created or changed).
    pub objects_written: usize,
    /// When to look again.
    pub requeue: Option<Duration>,
}

fn kube_err(key: &str, action: impl Into<String>) -> impl FnOnce(kube::Error) -> Error + '_ {
    let action = action.into();
    move |source| Error::Kube { name: key.to_owned(), action, source }
}

fn not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// GET that answers `None` on 404.
async fn get(api: &Api<DynamicObject>, name: &str) -> Result<Option<Value>, kube::Error> {
    match api.get_opt(name).await {
        Ok(found) => Ok(found.and_then(|o| serde_json::to_value(o).ok())),
        Err(e) => Err(e),
    }
}

/// The result of one pass before the status: a phase with its Ready condition.
struct Verdict {
    phase: ApplicationPhase,
    ready: ConditionStatus,
    reason: &'static str,
    message: String,
}

impl From<Problem> for Verdict {
    fn from(p: Problem) -> Self {
        Self { phase: p.phase, ready: ConditionStatus::False, reason: p.reason, message: p.message }
    }
}

fn degraded(reason: &'static str, message: String) -> Verdict {
    Verdict { phase: ApplicationPhase::Degraded, ready: ConditionStatus::False, reason, message }
}

/// Reconciles the Application `namespace/name`.
///
/// # Errors
/// [`Error`] when the API cannot be read or written (retried with backoff).
pub async fn reconcile_application(namespace: &str, name: &str, ctx: &Context) -> Result<Outcome, Error> {
    let key = format!("{namespace}/{name}");
    let apps = ctx.applications(namespace);
    let Some(app) = get(&apps, name).await.map_err(kube_err(&key, "reading"))? else {
        return Ok(Outcome::default());
    };
    if app.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null()) {
        return delete(ctx, &key, &app).await;
    }
    ensure_finalizer(ctx, &key, &app).await?;
    let mut out = Outcome { requeue: Some(ctx.requeue), ..Outcome::default() };
    let (verdict, plan) = match converge(ctx, &key, &app, &mut out).await? {
        Ok((verdict, plan)) => (verdict, Some(plan)),
        Err(verdict) => (verdict, None),
    };
    out.phase = Some(verdict.phase);
    out.status_written = write_status(ctx, &key, &app, &verdict, plan.as_ref()).await?;
    Ok(out)
}

async fn ensure_finalizer(ctx: &Context, key: &str, app: &Value) -> Result<(), Error> {
    let mut finalizers: Vec<Value> =
        app.pointer("/metadata/finalizers").and_then(Value::as_array).cloned().unwrap_or_default();
    if finalizers.iter().any(|f| f == FINALIZER) {
        return Ok(());
    }
    finalizers.push(json!(FINALIZER));
    let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": app["metadata"]["resourceVersion"]}});
    let (ns, name) = key.split_once('/').unwrap_or_default();
    ctx.applications(ns)
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .map_err(kube_err(key, "adding the finalizer"))
}

/// The parents, the plan, Gitea, the host objects and the HelmRelease readiness.
async fn converge(
    ctx: &Context,
    key: &str,
    app: &Value,
    out: &mut Outcome,
) -> Result<Result<(Verdict, ApplicationPlan), Verdict>, Error> {
    let text = |p: &str| app.pointer(p).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (namespace, name) = (text("/metadata/namespace"), text("/metadata/name"));
    let envs = ctx.api("catalyst.openova.io", "v1", "Environment", "environments", None);
    let env = match get(&envs, &text("/spec/environmentRef")).await {
        Ok(e) => e,
        Err(e) => return Ok(Err(degraded("GiteaError", format!("fetch Environment: {e}")))),
    };
    let org_name = env
        .as_ref()
        .and_then(|e| e.pointer("/spec/organizationRef"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let orgs = ctx.api("orgs.openova.io", "v1", "Organization", "organizations", None);
    let org = if org_name.is_empty() {
        None
    } else {
        match get(&orgs, org_name).await {
            Ok(o) => o,
            Err(e) => return Ok(Err(degraded("GiteaError", format!("fetch Organization: {e}")))),
        }
    };
    let bp_name = text("/spec/blueprintRef/name");
    let mut blueprint = None;
    if !bp_name.is_empty() {
        for version in ["v1", "v1alpha1"] {
            let api = ctx.api("catalyst.openova.io", version, "Blueprint", "blueprints", None);
            match get(&api, &bp_name).await {
                Ok(Some(b)) => {
                    blueprint = Some(b);
                    break;
                }
                Ok(None) => {}
                Err(e) => return Ok(Err(degraded("GiteaError", format!("fetch Blueprint: {e}")))),
            }
        }
    }
    let plan = match plan_application(app, env.as_ref(), org.as_ref(), blueprint.as_ref(), &ctx.config) {
        Ok(p) => p,
        Err(problem) => return Ok(Err(problem.into())),
    };
    if let Err(v) = ensure_repo(ctx, &plan).await {
        return Ok(Err(v));
    }
    for region in &plan.regions {
        let message = plan.commit_message(&region.name);
        let target = Target {
            owner: &plan.org,
            repo: &plan.repo,
            branch: &plan.branch,
            message: &message,
            author: &ctx.author,
        };
        let dir = format!(
            "{}/",
            catalyst_naming::unchecked::application_dir(&region.name, &plan.repo).unwrap_or_default()
        );
        let files: Vec<(&str, &[u8])> = plan
            .files
            .iter()
            .filter(|f| f.path.starts_with(&dir))
            .map(|f| (f.path.as_str(), f.content.as_bytes()))
            .collect();
        match ctx.gitea.upsert_files(&target, &files).await {
            Ok(results) => {
                if results.iter().any(|(_, u)| *u != Upsert::Unchanged) {
                    out.commits += 1;
                }
            }
            Err(e) => {
                let path = files.first().map_or("", |f| f.0);
                return Ok(Err(degraded("GiteaError", format!("PutFile {path}: {e}"))));
            }
        }
    }
    match apply_objects(ctx, key, &plan, &namespace, &name).await {
        Ok(n) => out.objects_written += n,
        Err(e) => return Ok(Err(degraded("GiteaError", format!("ensure host Flux bootstrap: {e}")))),
    }
    let verdict = observe(ctx, &namespace, &name, &plan).await;
    Ok(Ok((verdict, plan)))
}

/// The repository `<org>/<app>` and its branch, created when missing.
async fn ensure_repo(ctx: &Context, plan: &ApplicationPlan) -> Result<(), Verdict> {
    match ctx.gitea.get_repo(&plan.org, &plan.repo).await {
        Ok(_) => {}
        Err(GiteaError::RepoNotFound { .. }) => {
            match ctx.gitea.create_repo(&plan.org, &plan.repo, &plan.branch).await {
                Ok(_) => info!(repo = %format!("{}/{}", plan.org, plan.repo), "created the repository"),
                Err(GiteaError::OrgNotFound { org }) => {
                    return Err(Verdict {
                        phase: ApplicationPhase::Pending,
                        ready: ConditionStatus::False,
                        reason: "GiteaOrgMissing",
                        message: format!(
                            "Gitea Org {org:?} does not exist; organization-controller (C1) creates it"
                        ),
                    });
                }
                Err(e) => return Err(degraded("GiteaError", format!("EnsureRepo: {e}"))),
            }
        }
        Err(GiteaError::OrgNotFound { org }) => {
            return Err(Verdict {
                phase: ApplicationPhase::Pending,
                ready: ConditionStatus::False,
                reason: "GiteaOrgMissing",
                message: format!("Gitea Org {org:?} does not exist; organization-controller (C1) creates it"),
            });
        }
        Err(e) => return Err(degraded("GiteaError", format!("EnsureRepo: {e}"))),
    }
    match ctx.gitea.get_branch(&plan.org, &plan.repo, &plan.branch).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => {
            let default =
                ctx.gitea.get_repo(&plan.org, &plan.repo).await.map(|r| r.default_branch).unwrap_or_default();
            ctx.gitea
                .create_branch(&plan.org, &plan.repo, &plan.branch, &default)
                .await
                .map(|_| ())
                .map_err(|e| degraded("GiteaError", format!("EnsureBranch: {e}")))
        }
        Err(e) => Err(degraded("GiteaError", format!("EnsureBranch: {e}"))),
    }
}

/// The parts of an object the controller owns: labels and spec.
fn owned(obj: &Value) -> (Value, Value) {
    (
        obj.pointer("/metadata/labels").cloned().unwrap_or(Value::Null),
        obj.get("spec").cloned().unwrap_or(Value::Null),
    )
}

/// Applies the host Flux objects and the Continuum (server-side apply, only when labels or spec
/// differ), and deletes a Continuum the plan no longer has. Returns how many were written.
async fn apply_objects(
    ctx: &Context,
    key: &str,
    plan: &ApplicationPlan,
    namespace: &str,
    app: &str,
) -> Result<usize, String> {
    let mut written = 0;
    for obj in &plan.objects {
        let (group, version) =
            obj["apiVersion"].as_str().unwrap_or_default().split_once('/').unwrap_or_default();
        let kind = obj["kind"].as_str().unwrap_or_default();
        let plural = match kind {
            "GitRepository" => "gitrepositories",
            "Kustomization" => "kustomizations",
            "Continuum" => "continuums",
            other => return Err(format!("unexpected kind {other}")),
        };
        let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(namespace);
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let api = ctx.api(group, version, kind, plural, Some(ns));
        let current = get(&api, name).await.map_err(|e| format!("{kind} {ns}/{name}: {e}"))?;
        if current.as_ref().is_some_and(|c| owned(c) == owned(obj)) {
            continue;
        }
        api.patch(name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(obj))
            .await
            .map_err(|e| format!("{kind} {ns}/{name}: {e}"))?;
        written += 1;
    }
    if !plan.objects.iter().any(|o| o["kind"] == "Continuum") {
        let api = ctx.api("dr.openova.io", "v1", "Continuum", "continuums", Some(namespace));
        let dr = format!("dr-{app}");
        if get(&api, &dr).await.map_err(|e| format!("Continuum {namespace}/{dr}: {e}"))?.is_some() {
            match api.delete(&dr, &kube::api::DeleteParams::default()).await {
                Ok(_) => written += 1,
                Err(e) if not_found(&e) => {}
                Err(e) => return Err(format!("deleting Continuum {namespace}/{dr}: {e}")),
            }
        }
    }
    if written > 0 {
        info!(application = %key, written, "host objects applied");
    }
    Ok(written)
}

/// The phase from the downstream HelmRelease's `Ready` condition: False → `Degraded`, True →
/// `Ready`, otherwise `Provisioning`.
async fn observe(ctx: &Context, namespace: &str, app: &str, plan: &ApplicationPlan) -> Verdict {
    let api = ctx.api("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases", Some(namespace));
    let hr = match get(&api, app).await {
        Ok(hr) => hr,
        Err(e) => {
            warn!(application = %format!("{namespace}/{app}"), error = %e, "reading the HelmRelease failed");
            None
        }
    };
    let n = plan.regions.len();
    let ready = hr.as_ref().and_then(|h| {
        h.pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
            .cloned()
    });
    match ready.as_ref().and_then(|c| c["status"].as_str()) {
        Some("False") => degraded(
            "DownstreamHelmReleaseFailed",
            format!(
                "region {} HelmRelease Ready=False: {} — {}",
                plan.regions.first().map_or("", |r| r.name.as_str()),
                ready.as_ref().and_then(|c| c["reason"].as_str()).unwrap_or_default(),
                ready.as_ref().and_then(|c| c["message"].as_str()).unwrap_or_default()
            ),
        ),
        Some("True") => Verdict {
            phase: ApplicationPhase::Ready,
            ready: ConditionStatus::True,
            reason: "Reconciled",
            message: format!(
                "Application {namespace}/{app} installed across {n} region(s); Ready=True from downstream HelmRelease(s)"
            ),
        },
        _ => Verdict {
            phase: ApplicationPhase::Provisioning,
            ready: ConditionStatus::True,
            reason: "Reconciled",
            message: format!("Application {namespace}/{app} reconciled into {n} region(s)"),
        },
    }
}

/// Writes the status by server-side apply when it differs from the stored one; `true` when
/// written. `lastTransitionTime` moves only when the Ready status flips.
async fn write_status(
    ctx: &Context,
    key: &str,
    app: &Value,
    v: &Verdict,
    plan: Option<&ApplicationPlan>,
) -> Result<bool, Error> {
    let prev_json = app.get("status").cloned().filter(|s| !s.is_null()).unwrap_or_else(|| json!({}));
    let prev: ApplicationStatus = serde_json::from_value(prev_json.clone()).unwrap_or_default();
    let generation = app.pointer("/metadata/generation").and_then(Value::as_i64);
    let mut status = prev.clone();
    status.observed_generation = generation;
    status.phase = Some(v.phase);
    set_condition(
        &mut status.conditions,
        ConditionUpdate::new(types::READY, v.ready, &Reason(v.reason), v.message.clone())
            .observed_generation(generation),
        (ctx.clock)(),
    );
    let mut doc = serde_json::to_value(&status).unwrap_or_default();
    if let Some(p) = plan {
        let params_replicas = app.pointer("/spec/parameters/replicas").and_then(Value::as_i64).unwrap_or(1);
        let ready = v.phase == ApplicationPhase::Ready;
        doc["primaryRegion"] =
            p.primary_region.clone().map_or(prev_json["primaryRegion"].clone(), Value::from);
        doc["giteaRepo"] = json!(p.gitea_repo);
        doc["regions"] = p
            .regions
            .iter()
            .map(|r| {
                let replicas = if r.standby() { 0 } else { params_replicas };
                json!({"name": r.name, "role": r.role.as_str(), "replicas": replicas, "ready": if ready { replicas } else { 0 }})
            })
            .collect();
        doc["installedBlueprint"] = json!({
            "name": app.pointer("/spec/blueprintRef/name"),
            "version": app.pointer("/spec/blueprintRef/version"),
        });
    }
    // Fields this write does not set stay as they were.
    let mut merged = prev_json.clone();
    if let (Some(m), Some(d)) = (merged.as_object_mut(), doc.as_object()) {
        for (k, val) in d {
            if !val.is_null() {
                m.insert(k.clone(), val.clone());
            }
        }
    }
    if merged == prev_json {
        return Ok(false);
    }
    let (ns, name) = key.split_once('/').unwrap_or_default();
    let patch = json!({"apiVersion": "apps.openova.io/v1", "kind": "Application", "status": merged});
    ctx.applications(ns)
        .patch_status(name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&patch))
        .await
        .map_err(kube_err(key, "writing the status"))?;
    Ok(true)
}

/// A condition reason given as its wire string.
struct Reason(&'static str);

impl catalyst_core::conditions::ConditionReason for Reason {
    fn as_str(&self) -> &'static str {
        self.0
    }
}

/// Deletion: `Uninstalling`, the host Kustomizations then the GitRepository, each region's
/// files (helmrelease then kustomization; not-found is fine), the Continuum, then the
/// finalizer. The repository is kept. A failure keeps the finalizer and is retried.
async fn delete(ctx: &Context, key: &str, app: &Value) -> Result<Outcome, Error> {
    let has_finalizer = app
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|x| x == FINALIZER));
    if !has_finalizer {
        return Ok(Outcome::default());
    }
    let verdict = Verdict {
        phase: ApplicationPhase::Uninstalling,
        ready: ConditionStatus::False,
        reason: "AwaitingFluxDrain",
        message: "removing manifests from Gitea; waiting for Flux to drain".into(),
    };
    let _ = write_status(ctx, key, app, &verdict, None).await;
    let (namespace, name) = key.split_once('/').unwrap_or_default();
    // The plan tells what was written; without parents, the labels still find the host objects.
    let envs = ctx.api("catalyst.openova.io", "v1", "Environment", "environments", None);
    let env_ref = app.pointer("/spec/environmentRef").and_then(Value::as_str).unwrap_or_default();
    let env = get(&envs, env_ref).await.map_err(kube_err(key, "reading the Environment"))?;
    let selector = format!(
        "{}={name},{}={namespace}",
        catalyst_naming::keys::CATALYST_APPLICATION,
        catalyst_naming::keys::CATALYST_APP_NAMESPACE
    );
    for (group, kind, plural) in [
        ("kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations"),
        ("source.toolkit.fluxcd.io", "GitRepository", "gitrepositories"),
    ] {
        let api = ctx.api(group, "v1", kind, plural, Some(&ctx.config.host_flux_namespace));
        let list = api
            .list(&kube::api::ListParams::default().labels(&selector))
            .await
            .map_err(kube_err(key, format!("listing host {kind}s")))?;
        for obj in list.items {
            let n = obj.metadata.name.clone().unwrap_or_default();
            match api.delete(&n, &kube::api::DeleteParams::default()).await {
                Ok(_) => {}
                Err(e) if not_found(&e) => {}
                Err(e) => return Err(kube_err(key, format!("deleting {kind} {n}"))(e)),
            }
        }
    }
    if let Some(env) = env {
        // Render with the Organization and Blueprint assumed present: only the paths matter.
        let stub = json!({"metadata": {"name": "x"}, "spec": {}});
        if let Ok(plan) = plan_application(app, Some(&env), Some(&stub), Some(&stub), &ctx.config) {
            let message = format!("{MANAGER}: cascade-delete {name} (gen {})", plan.generation);
            let target = Target {
                owner: &plan.org,
                repo: &plan.repo,
                branch: &plan.branch,
                message: &message,
                author: &ctx.author,
            };
            let mut paths: Vec<&str> = plan.files.iter().map(|f| f.path.as_str()).collect();
            // helmrelease.yaml before kustomization.yaml, region by region.
            paths.sort_by_key(|p| {
                (p.rsplit_once('/').map(|(d, _)| d.to_owned()), !p.ends_with("helmrelease.yaml"))
            });
            for path in paths {
                match ctx.gitea.delete_file(&target, path).await {
                    Ok(_) | Err(GiteaError::RepoNotFound { .. } | GiteaError::OrgNotFound { .. }) => {}
                    Err(source) => {
                        return Err(Error::Gitea {
                            name: key.to_owned(),
                            action: format!("deleting {path}"),
                            source,
                        });
                    }
                }
            }
        }
    }
    let drs = ctx.api("dr.openova.io", "v1", "Continuum", "continuums", Some(namespace));
    match drs.delete(&format!("dr-{name}"), &kube::api::DeleteParams::default()).await {
        Ok(_) => {}
        Err(e) if not_found(&e) => {}
        Err(e) => return Err(kube_err(key, "deleting the Continuum")(e)),
    }
    let finalizers: Vec<Value> = app
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter(|x| *x != FINALIZER).cloned().collect())
        .unwrap_or_default();
    let patch = json!({"metadata": {"finalizers": finalizers}});
    ctx.applications(namespace)
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(kube_err(key, "removing the finalizer"))?;
    info!(application = %key, "deleted: manifests removed, finalizer released");
    Ok(Outcome { phase: Some(ApplicationPhase::Uninstalling), ..Outcome::default() })
}
