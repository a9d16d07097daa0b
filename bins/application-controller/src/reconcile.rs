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

/// The longest the checks and rendering of one Application may take.
pub const PLAN_DEADLINE: Duration = Duration::from_secs(5);

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
    /// Refuse Applications whose namespace is not labelled as the Organization's
    /// (`openova.io/organization: <org>`): without it, a tenant could name another
    /// Organization's Environment and write into its repository.
    pub require_org_namespace: bool,
    /// Beyond the platform: render each missing Blueprint dependency as its own HelmRelease
    /// with Flux `dependsOn`, resolved against the cluster's Blueprints and Applications.
    pub install_dependencies: bool,
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
            require_org_namespace: true,
            install_dependencies: false,
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
    if app.pointer("/spec/bootstrap") == Some(&Value::Bool(true)) {
        // Installed by the bootstrap kit: never rendered, never given a finalizer.
        let verdict = Verdict {
            phase: ApplicationPhase::Provisioning,
            ready: ConditionStatus::Unknown,
            reason: "BootstrapAdopted",
            message: "bootstrap-owned: installed by the bootstrap kit, not rendered by this controller"
                .into(),
        };
        let status_written = write_status(ctx, &key, &app, &verdict, None).await?;
        return Ok(Outcome { phase: Some(verdict.phase), status_written, ..Outcome::default() });
    }
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
    let (env, org, blueprint) = match parents(ctx, app).await {
        Ok(p) => p,
        Err(v) => return Ok(Err(v)),
    };
    if let Some(env) = &env
        && let Err(v) = check_tenancy(ctx, app, env).await
    {
        return Ok(Err(v));
    }
    let plan = match plan(ctx, app, (env, org, blueprint)).await {
        Ok(p) => p,
        Err(v) => return Ok(Err(v)),
    };
    // Only what can be written gets the finalizer: a spec that never validates leaves nothing
    // to clean up, and its deletion is never held.
    ensure_finalizer(ctx, key, app).await?;
    // Nothing is committed for an Application whose host objects belong to another one.
    let uid = text("/metadata/uid");
    if let Err(e) = check_owner(ctx, &plan, &uid).await {
        return Ok(Err(degraded("GiteaError", format!("ensure host Flux bootstrap: {e}"))));
    }
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
    match apply_objects(ctx, key, &plan, &uid, false).await {
        Ok(n) => out.objects_written += n,
        Err(e) => return Ok(Err(degraded("GiteaError", format!("ensure host Flux bootstrap: {e}")))),
    }
    match apply_objects(ctx, key, &plan, &uid, true).await {
        Ok(n) => out.objects_written += n,
        Err(e) => return Ok(Err(degraded("RenderError", format!("per-app Continuum DR contract: {e}")))),
    }
    match retire_regions(ctx, key, &plan, &uid, &name, &namespace).await {
        Ok(n) => out.objects_written += n,
        Err(e) => return Ok(Err(degraded("GiteaError", format!("retiring removed regions: {e}")))),
    }
    let verdict = observe(ctx, &namespace, &name, &plan, &uid, &text("/spec/blueprintRef/version")).await;
    Ok(Ok((verdict, plan)))
}

/// The Environment, Organization and Blueprint (`None`: not found), or the verdict of a failed
/// read.
async fn parents(
    ctx: &Context,
    app: &Value,
) -> Result<(Option<Value>, Option<Value>, Option<Value>), Verdict> {
    let text = |p: &str| app.pointer(p).and_then(Value::as_str).unwrap_or_default().to_owned();
    let envs = ctx.api("catalyst.openova.io", "v1", "Environment", "environments", None);
    let env = match get(&envs, &text("/spec/environmentRef")).await {
        Ok(e) => e,
        Err(e) => return Err(degraded("GiteaError", format!("fetch Environment: {e}"))),
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
            Err(e) => return Err(degraded("GiteaError", format!("fetch Organization: {e}"))),
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
                Err(e) => return Err(degraded("GiteaError", format!("fetch Blueprint: {e}"))),
            }
        }
    }
    Ok((env, org, blueprint))
}

/// The plan of `app`, computed off the async workers with a deadline (the checks include a
/// JSON Schema validation of tenant input), with its dependencies when they are installed.
async fn plan(
    ctx: &Context,
    app: &Value,
    (env, org, blueprint): (Option<Value>, Option<Value>, Option<Value>),
) -> Result<ApplicationPlan, Verdict> {
    // The checks include a JSON Schema validation of tenant input: off the async workers, with
    // a deadline.
    let context = if ctx.install_dependencies {
        match dependency_inputs(ctx).await {
            Ok(c) => Some(c),
            Err(v) => return Err(v),
        }
    } else {
        None
    };
    let inputs = (app.clone(), env, org, blueprint, ctx.config.clone());
    let planned = tokio::time::timeout(
        PLAN_DEADLINE,
        tokio::task::spawn_blocking(move || {
            let (app, env, org, bp, config) = inputs;
            match context {
                None => plan_application(&app, env.as_ref(), org.as_ref(), bp.as_ref(), &config),
                Some((blueprints, applications)) => {
                    // Installed means: Ready, in this Application's own namespace (another
                    // tenant's release is no use to it, and must not make it drop its own).
                    let others: Vec<Value> = applications
                        .into_iter()
                        .filter(|a| {
                            a["metadata"]["uid"] != app["metadata"]["uid"]
                                && a["metadata"]["namespace"] == app["metadata"]["namespace"]
                                && a.pointer("/status/phase").and_then(Value::as_str) == Some("Ready")
                        })
                        .collect();
                    let (catalog, options, _) = catalyst_core::apps::dependency_context(&blueprints, &others);
                    catalyst_core::apps::plan_application_with_dependencies(
                        &app,
                        (env.as_ref(), org.as_ref(), bp.as_ref()),
                        &config,
                        &catalog,
                        &options,
                    )
                }
            }
        }),
    )
    .await;
    let plan = match planned {
        Ok(Ok(Ok(p))) => p,
        Ok(Ok(Err(problem))) => return Err(problem.into()),
        Ok(Err(e)) => return Err(degraded("RenderError", format!("planning failed: {e}"))),
        Err(_) => {
            return Err(degraded(
                "RenderError",
                format!("planning took longer than {PLAN_DEADLINE:?} (the Blueprint's configSchema?)"),
            ));
        }
    };
    Ok(plan)
}

/// Every Blueprint and Application of the cluster, for `--install-dependencies`.
async fn dependency_inputs(ctx: &Context) -> Result<(Vec<Value>, Vec<Value>), Verdict> {
    let mut out = (Vec::new(), Vec::new());
    for (api, into) in [
        (ctx.api("catalyst.openova.io", "v1", "Blueprint", "blueprints", None), &mut out.0),
        (ctx.api("apps.openova.io", "v1", "Application", "applications", None), &mut out.1),
    ] {
        let list = api
            .list(&kube::api::ListParams::default())
            .await
            .map_err(|e| degraded("GiteaError", format!("listing for --install-dependencies: {e}")))?;
        into.extend(list.items.into_iter().filter_map(|o| serde_json::to_value(o).ok()));
    }
    Ok(out)
}

/// The Application's namespace must belong to the Organization of the Environment it names
/// (label `openova.io/organization`), unless the check is off.
async fn check_tenancy(ctx: &Context, app: &Value, env: &Value) -> Result<(), Verdict> {
    if !ctx.require_org_namespace {
        return Ok(());
    }
    let namespace = app.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
    let org = env.pointer("/spec/organizationRef").and_then(Value::as_str).unwrap_or_default();
    let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(ctx.kube.clone());
    let ns = api
        .get_opt(namespace)
        .await
        .map_err(|e| degraded("GiteaError", format!("fetch Namespace {namespace:?}: {e}")))?;
    let label = ns
        .as_ref()
        .and_then(|n| n.metadata.labels.as_ref())
        .and_then(|l| l.get(catalyst_naming::keys::ORGANIZATION))
        .cloned()
        .unwrap_or_default();
    if label == org {
        Ok(())
    } else {
        Err(Verdict {
            phase: ApplicationPhase::Failed,
            ready: ConditionStatus::False,
            reason: "Invalid",
            message: format!(
                "namespace {namespace:?} does not belong to Organization {org:?} (label {}={org:?} expected, found {label:?}); an Application may only name its own Organization's Environments",
                catalyst_naming::keys::ORGANIZATION
            ),
        })
    }
}

/// The repository `<org>/<app>` and its branch, created when missing.
async fn ensure_repo(ctx: &Context, plan: &ApplicationPlan) -> Result<(), Verdict> {
    match ctx.gitea.get_repo(&plan.org, &plan.repo).await {
        Ok(_) => {}
        Err(GiteaError::RepoNotFound { .. }) => {
            match ctx
                .gitea
                .create_repo_described(
                    &plan.org,
                    &plan.repo,
                    &plan.branch,
                    catalyst_core::apps::REPO_DESCRIPTION,
                )
                .await
            {
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

/// Whether every field of `want` is in `live` with the same value (maps compared key by key,
/// other values exactly): the API server's defaults (`timeout`, `force` …) are not a change.
fn contains(live: &Value, want: &Value) -> bool {
    match (live, want) {
        (Value::Object(l), Value::Object(w)) => {
            w.iter().all(|(k, v)| l.get(k).is_some_and(|lv| contains(lv, v)))
        }
        _ => live == want,
    }
}

/// The Application (uid) an object belongs to, by its label.
fn owner_uid(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/labels")
        .and_then(|l| l.get(catalyst_naming::keys::CATALYST_APP_UID))
        .and_then(Value::as_str)
}

/// Applies the host Flux objects (`continuum == false`) or the Continuum (`true`) by
/// server-side apply, only when a field the controller sets differs, and never over an object
/// that belongs to another Application; deletes a Continuum the plan no longer has. Returns how
/// many were written.
async fn apply_objects(
    ctx: &Context,
    key: &str,
    plan: &ApplicationPlan,
    uid: &str,
    continuum: bool,
) -> Result<usize, String> {
    let mut written = 0;
    for obj in plan.objects.iter().filter(|o| (o["kind"] == "Continuum") == continuum) {
        let (group, version) =
            obj["apiVersion"].as_str().unwrap_or_default().split_once('/').unwrap_or_default();
        let kind = obj["kind"].as_str().unwrap_or_default();
        let plural = match kind {
            "GitRepository" => "gitrepositories",
            "Kustomization" => "kustomizations",
            "Continuum" => "continuums",
            other => return Err(format!("unexpected kind {other}")),
        };
        let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let api = ctx.api(group, version, kind, plural, Some(ns));
        let current = get(&api, name).await.map_err(|e| format!("{kind} {ns}/{name}: {e}"))?;
        if let Some(c) = &current {
            if let Some(other) = owner_uid(c).filter(|o| !uid.is_empty() && *o != uid) {
                return Err(format!(
                    "{kind} {ns}/{name} belongs to another Application (uid {other}); not overwritten"
                ));
            }
            if contains(c, obj) {
                continue;
            }
        }
        api.patch(name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(obj))
            .await
            .map_err(|e| format!("{kind} {ns}/{name}: {e}"))?;
        written += 1;
    }
    if continuum && !plan.objects.iter().any(|o| o["kind"] == "Continuum") {
        let namespace = key.split_once('/').map_or("", |(ns, _)| ns);
        let api = ctx.api("dr.openova.io", "v1", "Continuum", "continuums", Some(namespace));
        let dr = format!("dr-{}", plan.repo);
        let current = get(&api, &dr).await.map_err(|e| format!("Continuum {namespace}/{dr}: {e}"))?;
        if current.as_ref().is_some_and(|c| !uid.is_empty() && owner_uid(c) == Some(uid)) {
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

/// Fails when one of the plan's host objects exists and carries another Application's uid.
async fn check_owner(ctx: &Context, plan: &ApplicationPlan, uid: &str) -> Result<(), String> {
    for obj in plan.objects.iter().filter(|o| o["kind"] != "Continuum") {
        let (group, version) =
            obj["apiVersion"].as_str().unwrap_or_default().split_once('/').unwrap_or_default();
        let kind = obj["kind"].as_str().unwrap_or_default();
        let plural = if kind == "GitRepository" { "gitrepositories" } else { "kustomizations" };
        let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let current = get(&ctx.api(group, version, kind, plural, Some(ns)), name)
            .await
            .map_err(|e| format!("{kind} {ns}/{name}: {e}"))?;
        if let Some(other) = current.as_ref().and_then(owner_uid).filter(|o| !uid.is_empty() && *o != uid) {
            return Err(format!(
                "{kind} {ns}/{name} belongs to another Application (uid {other}); not overwritten"
            ));
        }
    }
    Ok(())
}

/// The label selector of everything this Application wrote: its uid when it has one, else its
/// name and namespace.
fn selector(uid: &str, name: &str, namespace: &str) -> String {
    if uid.is_empty() {
        format!(
            "{}={name},{}={namespace}",
            catalyst_naming::keys::CATALYST_APPLICATION,
            catalyst_naming::keys::CATALYST_APP_NAMESPACE
        )
    } else {
        format!("{}={uid}", catalyst_naming::keys::CATALYST_APP_UID)
    }
}

/// Regions that left the plan: their host Kustomizations are deleted and their files removed
/// from Gitea (helmrelease first), so nothing keeps applying stale manifests.
async fn retire_regions(
    ctx: &Context,
    key: &str,
    plan: &ApplicationPlan,
    uid: &str,
    name: &str,
    namespace: &str,
) -> Result<usize, String> {
    let api = ctx.api(
        "kustomize.toolkit.fluxcd.io",
        "v1",
        "Kustomization",
        "kustomizations",
        Some(&ctx.config.host_flux_namespace),
    );
    let list = api
        .list(&kube::api::ListParams::default().labels(&selector(uid, name, namespace)))
        .await
        .map_err(|e| format!("listing host Kustomizations: {e}"))?;
    let mut retired = 0;
    for k in list.items {
        let region = k
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(catalyst_naming::keys::CATALYST_REGION))
            .cloned()
            .unwrap_or_default();
        if region.is_empty() || plan.regions.iter().any(|r| r.name == region) {
            continue;
        }
        let message = format!("{MANAGER}: retire {name} on {region} (gen {})", plan.generation);
        let target = Target {
            owner: &plan.org,
            repo: &plan.repo,
            branch: &plan.branch,
            message: &message,
            author: &ctx.author,
        };
        let dir = catalyst_naming::unchecked::application_dir(&region, name).map_err(|e| e.to_string())?;
        for file in ["helmrelease.yaml", "kustomization.yaml"] {
            match ctx.gitea.delete_file(&target, &format!("{dir}/{file}")).await {
                Ok(_) | Err(GiteaError::RepoNotFound { .. }) => {}
                Err(e) => return Err(format!("deleting {dir}/{file}: {e}")),
            }
        }
        let kname = k.metadata.name.clone().unwrap_or_default();
        match api.delete(&kname, &kube::api::DeleteParams::default()).await {
            Ok(_) => retired += 1,
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(format!("deleting Kustomization {kname}: {e}")),
        }
        info!(application = %key, %region, "region retired");
    }
    Ok(retired)
}

/// The phase from the downstream HelmRelease's `Ready` condition: False → `Degraded`, True →
/// `Ready`, otherwise `Provisioning`.
async fn observe(
    ctx: &Context,
    namespace: &str,
    app: &str,
    plan: &ApplicationPlan,
    uid: &str,
    version: &str,
) -> Verdict {
    let api =
        ctx.api("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases", Some(&plan.release_namespace));
    let hr = match get(&api, app).await {
        Ok(hr) => hr,
        Err(e) => {
            warn!(application = %format!("{namespace}/{app}"), error = %e, "reading the HelmRelease failed");
            None
        }
    };
    let n = plan.regions.len();
    // Evidence only from the release this Application wrote, at the version it asked for, and
    // observed at its current generation.
    let hr = hr.filter(|h| {
        let label = h
            .pointer("/metadata/labels")
            .and_then(|l| l.get("catalyst.openova.io/application-uid"))
            .and_then(Value::as_str);
        let observed = h.pointer("/status/observedGeneration").and_then(Value::as_i64);
        let generation = h.pointer("/metadata/generation").and_then(Value::as_i64);
        let chart_version = h.pointer("/spec/chart/spec/version").and_then(Value::as_str);
        label.is_none_or(|l| uid.is_empty() || l == uid)
            && (observed.is_none() || observed == generation)
            && chart_version.is_none_or(|v| v == version)
    });
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
        let mut installed = json!({
            "name": app.pointer("/spec/blueprintRef/name"),
            "version": app.pointer("/spec/blueprintRef/version"),
        });
        if !p.blueprint_digest.is_empty() {
            installed["digest"] = json!(p.blueprint_digest);
        }
        doc["installedBlueprint"] = installed;
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

/// Deletes each region's files (helmrelease then kustomization) from the repository this
/// Application wrote (org and env type as its own host objects record them, never the spec,
/// which a tenant can point at another Organization); not-found is fine.
async fn delete_files(
    ctx: &Context,
    key: &str,
    app: &Value,
    (org, env_type): (&str, &str),
    regions: &[String],
) -> Result<(), Error> {
    let name = key.split_once('/').map_or("", |(_, n)| n);
    if !org.is_empty() && !env_type.is_empty() {
        let branch = env_type.parse::<catalyst_naming::EnvType>().map_or(env_type, |e| e.branch());
        let generation = app.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or_default();
        let message = format!("{MANAGER}: cascade-delete {name} (gen {generation})");
        let target = Target { owner: org, repo: name, branch, message: &message, author: &ctx.author };
        for region in regions {
            let Ok(dir) = catalyst_naming::unchecked::application_dir(region, name) else { continue };
            for file in ["helmrelease.yaml", "kustomization.yaml"] {
                let path = format!("{dir}/{file}");
                match ctx.gitea.delete_file(&target, &path).await {
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
    Ok(())
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
    let uid = app.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or_default();
    let sel = selector(uid, name, namespace);
    // What this Application wrote, as its own host objects record it (their uid label; tenants
    // cannot write flux-system): the regions, the Organization and the env type. The spec is
    // not trusted here: it may name another Organization's Environment.
    let mut regions: Vec<String> = Vec::new();
    let (mut org, mut env_type) = (String::new(), String::new());
    for (group, kind, plural) in [
        ("kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations"),
        ("source.toolkit.fluxcd.io", "GitRepository", "gitrepositories"),
    ] {
        let api = ctx.api(group, "v1", kind, plural, Some(&ctx.config.host_flux_namespace));
        let list = api
            .list(&kube::api::ListParams::default().labels(&sel))
            .await
            .map_err(kube_err(key, format!("listing host {kind}s")))?;
        for obj in list.items {
            let labels = obj.metadata.labels.clone().unwrap_or_default();
            if let Some(r) = labels.get(catalyst_naming::keys::CATALYST_REGION) {
                regions.push(r.clone());
            }
            if let Some(o) = labels.get(catalyst_naming::keys::CATALYST_ORGANIZATION) {
                o.clone_into(&mut org);
            }
            if let Some(t) = labels.get(catalyst_naming::keys::CATALYST_ENV_TYPE) {
                t.clone_into(&mut env_type);
            }
            let n = obj.metadata.name.clone().unwrap_or_default();
            match api.delete(&n, &kube::api::DeleteParams::default()).await {
                Ok(_) => {}
                Err(e) if not_found(&e) => {}
                Err(e) => return Err(kube_err(key, format!("deleting {kind} {n}"))(e)),
            }
        }
    }
    regions.sort();
    regions.dedup();
    if !org.is_empty() && !env_type.is_empty() {
        delete_files(ctx, key, app, (&org, &env_type), &regions).await?;
    }
    let drs = ctx.api("dr.openova.io", "v1", "Continuum", "continuums", Some(namespace));
    let dr = format!("dr-{name}");
    let current = get(&drs, &dr).await.map_err(kube_err(key, "reading the Continuum"))?;
    if current.as_ref().is_some_and(|c| !uid.is_empty() && owner_uid(c) == Some(uid)) {
        match drs.delete(&dr, &kube::api::DeleteParams::default()).await {
            Ok(_) => {}
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(kube_err(key, "deleting the Continuum")(e)),
        }
    }
    // Read again (the status write moved the resourceVersion) and remove only our finalizer,
    // with the resourceVersion read: one another controller added since is not lost.
    let Some(fresh) = get(&ctx.applications(namespace), name).await.map_err(kube_err(key, "reading"))? else {
        return Ok(Outcome::default());
    };
    let finalizers: Vec<Value> = fresh
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter(|x| *x != FINALIZER).cloned().collect())
        .unwrap_or_default();
    let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": fresh["metadata"]["resourceVersion"]}});
    ctx.applications(namespace)
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(kube_err(key, "removing the finalizer"))?;
    info!(application = %key, "deleted: manifests removed, finalizer released");
    Ok(Outcome { phase: Some(ApplicationPhase::Uninstalling), ..Outcome::default() })
}
