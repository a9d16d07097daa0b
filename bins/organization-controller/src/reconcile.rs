//! One reconcile of one Organization (SPEC CTRL-1, as the platform runs it), testable without
//! a cluster: the Kubernetes API through a [`kube::Client`] (any tower service), Gitea through
//! catalyst-gitea, Keycloak through a [`GroupDirectory`]; what it writes is
//! [`catalyst_core::tenant`]'s render.

use std::sync::Arc;
use std::time::Duration;

use catalyst_core::conditions::{ConditionReason, ConditionStatus, ConditionUpdate, set_condition, types};
use catalyst_core::crd::{Organization, OrganizationStatus};
use catalyst_core::tenant::{
    self, CONTROLLER, TENANT_REPO, TENANT_REPO_DESCRIPTION, TenantConfig, flux_name, flux_objects,
    kustomization_names, merge_kustomization, render, user_accesses,
};
use catalyst_gitea::{GiteaError, Identity, NewOrg, NewRepo, Target, Upsert, Visibility};
use catalyst_naming::keys;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use serde_json::{Value, json};
use tracing::{info, warn};

use crate::events::Events;
use crate::keycloak::{Group, GroupDirectory};

/// The finalizer that removes the per-Organization Flux objects before the Organization goes.
pub const FINALIZER: &str = "orgs.openova.io/finalizer";

/// How soon a deletion looks again whether the object it deleted is gone.
pub const DELETION_POLL: Duration = Duration::from_secs(5);

/// How soon an Organization that is not Ready yet is looked at again.
pub const NOT_READY_REQUEUE: Duration = Duration::from_secs(30);

/// What every reconcile shares.
pub struct Context {
    /// The Kubernetes API.
    pub kube: kube::Client,
    /// Gitea.
    pub gitea: catalyst_gitea::Client,
    /// Keycloak.
    pub keycloak: Arc<dyn GroupDirectory>,
    /// NATS for `catalyst.tenant.deleted` (none: not published).
    pub events: Option<Events>,
    /// The render's settings.
    pub config: TenantConfig,
    /// Commit author and committer.
    pub author: Identity,
    /// Requeue of a Ready Organization (drift).
    pub requeue: Duration,
    /// The conditions' clock (tests fix it).
    pub clock: Arc<dyn Fn() -> Time + Send + Sync>,
    /// The Gitea user of the token, read once.
    gitea_user: tokio::sync::OnceCell<String>,
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
        keycloak: Arc<dyn GroupDirectory>,
        config: TenantConfig,
        author: Identity,
    ) -> Self {
        Self {
            kube,
            gitea,
            keycloak,
            events: None,
            config,
            author,
            requeue: Duration::from_secs(300),
            clock: Arc::new(catalyst_core::conditions::now),
            gitea_user: tokio::sync::OnceCell::new(),
        }
    }

    fn api(
        &self,
        (group, version, kind, plural): (&str, &str, &str, &str),
        ns: Option<&str>,
    ) -> Api<DynamicObject> {
        let r = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
        match ns {
            Some(ns) => Api::namespaced_with(self.kube.clone(), ns, &r),
            None => Api::all_with(self.kube.clone(), &r),
        }
    }

    fn organizations(&self) -> Api<DynamicObject> {
        self.api(ORGANIZATIONS, None)
    }
}

/// (group, version, kind, plural).
type Kind = (&'static str, &'static str, &'static str, &'static str);

const ORGANIZATIONS: (&str, &str, &str, &str) = ("orgs.openova.io", "v1", "Organization", "organizations");
const GIT_REPOSITORIES: (&str, &str, &str, &str) =
    ("source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories");
const KUSTOMIZATIONS: (&str, &str, &str, &str) =
    ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations");
const USER_ACCESSES: (&str, &str, &str, &str) =
    ("access.openova.io", "v1alpha1", "UserAccess", "useraccesses");
const ENVIRONMENTS: (&str, &str, &str, &str) = ("catalyst.openova.io", "v1", "Environment", "environments");
const HELM_RELEASES: (&str, &str, &str, &str) =
    ("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases");
const NAMESPACES: (&str, &str, &str, &str) = ("", "v1", "Namespace", "namespaces");
const LIMIT_RANGES: (&str, &str, &str, &str) = ("", "v1", "LimitRange", "limitranges");
const RESOURCE_QUOTAS: (&str, &str, &str, &str) = ("", "v1", "ResourceQuota", "resourcequotas");

/// A reconcile that must be retried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A Kubernetes API call failed.
    #[error("Organization {name}: {action}")]
    Kube {
        /// The Organization.
        name: String,
        /// What was being done.
        action: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
}

fn kube_err(name: &str, action: impl Into<String>) -> impl FnOnce(kube::Error) -> Error + '_ {
    let action = action.into();
    move |source| Error::Kube { name: name.to_owned(), action, source }
}

/// The phase of the tenant's vCluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VClusterPhase {
    /// Flux has not applied the HelmRelease yet.
    Pending,
    /// Applied, not Ready (or the namespace is missing).
    Provisioning,
    /// HelmRelease Ready and namespace present.
    Ready,
}

impl VClusterPhase {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Provisioning => "Provisioning",
            Self::Ready => "Ready",
        }
    }
}

/// What a reconcile did.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The `Ready` condition's reason; `None` when the Organization is gone or was deleted.
    pub reason: Option<&'static str>,
    /// The vCluster phase, when it was read.
    pub phase: Option<VClusterPhase>,
    /// Whether the status was written (only when it changed).
    pub status_written: bool,
    /// Files created or updated in the tenant repository (0 when nothing changed).
    pub files_written: usize,
    /// A compare-and-swap loss: someone else changed the tenant repository between our read
    /// and our write; nothing was overwritten, the next pass writes again.
    pub cas_skipped: bool,
    /// Kubernetes objects created or changed (Flux objects, `UserAccess`es, the Environment).
    pub objects_written: usize,
    /// When to look again.
    pub requeue: Option<Duration>,
}

/// Why a pass stopped before the status, as the `Ready` condition says.
struct Failure {
    reason: &'static str,
    message: String,
}

fn failure(reason: &'static str, message: impl Into<String>) -> Failure {
    Failure { reason, message: message.into() }
}

/// A condition reason given as its wire string.
struct Reason(&'static str);

impl ConditionReason for Reason {
    fn as_str(&self) -> &'static str {
        self.0
    }
}

fn not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

async fn get(api: &Api<DynamicObject>, name: &str) -> Result<Option<Value>, kube::Error> {
    Ok(api.get_opt(name).await?.and_then(|o| serde_json::to_value(o).ok()))
}

/// Whether every field of `want` is in `live` with the same value (the API server's defaults
/// are not a change).
fn contains(live: &Value, want: &Value) -> bool {
    match (live, want) {
        (Value::Object(l), Value::Object(w)) => {
            w.iter().all(|(k, v)| l.get(k).is_some_and(|lv| contains(lv, v)))
        }
        _ => live == want,
    }
}

fn labels_match(obj: &Value, slug: &str) -> bool {
    let labels = &obj["metadata"]["labels"];
    labels[keys::K8S_MANAGED_BY] == CONTROLLER && labels[keys::ORGANIZATION] == slug
}

/// Reconciles the Organization `name`.
///
/// # Errors
/// [`Error`] when the API cannot be read or written (retried with backoff).
pub async fn reconcile_organization(name: &str, ctx: &Context) -> Result<Outcome, Error> {
    let Some(raw) = get(&ctx.organizations(), name).await.map_err(kube_err(name, "reading"))? else {
        return Ok(Outcome::default());
    };
    if raw.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null()) {
        return delete(ctx, name, &raw).await;
    }
    let org: Organization = match tenant::organization_from(&raw) {
        Ok((o, warnings)) => {
            for w in warnings {
                warn!(organization = %name, "{w}");
            }
            o
        }
        Err(e) => {
            let f = failure("InvalidSpec", format!("the Organization does not parse: {e}"));
            return finish_failed(ctx, name, &raw, &f, false).await;
        }
    };
    if org.spec.slug != name {
        let f = failure(
            "SlugMetadataMismatch",
            format!(
                "spec.slug={:?} != metadata.name={name:?} (CRs are immutable on slug after admission)",
                org.spec.slug
            ),
        );
        return finish_failed(ctx, name, &raw, &f, true).await;
    }
    ensure_finalizer(ctx, name, &raw).await?;
    let mut out = Outcome::default();
    match converge(ctx, &org, &mut out).await? {
        Ok(observed) => {
            let written = write_status(ctx, name, &raw, &org, &observed).await?;
            out.status_written = written;
            out.reason = Some(observed.reason);
            out.phase = Some(observed.phase);
            out.requeue = Some(if observed.reason == "Reconciled" { ctx.requeue } else { NOT_READY_REQUEUE });
            Ok(out)
        }
        Err(f) => {
            let failed = finish_failed(ctx, name, &raw, &f, false).await?;
            out.reason = failed.reason;
            out.status_written = failed.status_written;
            out.requeue = Some(NOT_READY_REQUEUE);
            Ok(out)
        }
    }
}

async fn ensure_finalizer(ctx: &Context, name: &str, raw: &Value) -> Result<(), Error> {
    let mut finalizers: Vec<Value> =
        raw.pointer("/metadata/finalizers").and_then(Value::as_array).cloned().unwrap_or_default();
    if finalizers.iter().any(|f| f == FINALIZER) {
        return Ok(());
    }
    finalizers.push(json!(FINALIZER));
    let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": raw["metadata"]["resourceVersion"]}});
    ctx.organizations()
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(drop)
        .map_err(kube_err(name, "adding the finalizer"))
}

/// What a successful pass saw.
struct Observed {
    group: Group,
    phase: VClusterPhase,
    reason: &'static str,
    message: String,
    missing: Vec<String>,
}

/// Identity, Gitea, the files, Flux, the owners' access, readiness and the Environment.
async fn converge(
    ctx: &Context,
    org: &Organization,
    out: &mut Outcome,
) -> Result<Result<Observed, Failure>, Error> {
    let slug = org.spec.slug.as_str();
    if let Err(f) = check_namespace(ctx, slug).await {
        return Ok(Err(f));
    }
    let tier = match org.spec.tier {
        catalyst_core::crd::OrganizationTier::Sme => "sme",
        catalyst_core::crd::OrganizationTier::Org => "org",
        catalyst_core::crd::OrganizationTier::Corporate => "corporate",
    };
    let group = match ctx.keycloak.ensure_group(slug, tier).await {
        Ok(g) => g,
        Err(e) => return Ok(Err(failure("KeycloakGroupFailed", e.to_string()))),
    };
    if let Err(f) = ensure_gitea(ctx, org).await {
        return Ok(Err(f));
    }
    let files = match render(org, &ctx.config) {
        Ok(f) => f,
        Err(e) => return Ok(Err(failure("ManifestRenderFailed", e.to_string()))),
    };
    if let Err(f) = write_files(ctx, slug, org, files, out).await {
        return Ok(Err(f));
    }
    if let Err(f) = apply_flux(ctx, org, out).await {
        return Ok(Err(f));
    }
    let taken = match apply_user_accesses(ctx, org, out).await {
        Ok(taken) => taken,
        Err(f) => return Ok(Err(f)),
    };
    let (phase, message) = readiness(ctx, slug).await;
    let mut observed =
        Observed { group, phase, reason: "VClusterProvisioning", message, missing: Vec::new() };
    if phase == VClusterPhase::Ready {
        match ensure_environment(ctx, org).await {
            Ok(created) => out.objects_written += usize::from(created),
            Err(e) => return Ok(Err(failure("EnvironmentEnsureFailed", e))),
        }
        let (missing, unverifiable) = postconditions(ctx, slug, org).await;
        if out.cas_skipped {
            observed.reason = "GitopsWritePending";
            observed.message =
                "the tenant repository changed under the last write; nothing was overwritten and the next pass writes again"
                    .into();
        } else if missing.is_empty() && unverifiable.is_empty() {
            observed.reason = "Reconciled";
            observed.message = "vCluster HelmRelease Ready + Keycloak group + Gitea Org reconciled".into();
        } else if !missing.is_empty() {
            observed.phase = VClusterPhase::Provisioning;
            observed.reason = "ProvisioningIncomplete";
            observed.message =
                format!("Organization is NOT fully provisioned — missing: {}", missing.join("; "));
            observed.missing = missing;
        } else {
            observed.phase = VClusterPhase::Provisioning;
            observed.message =
                format!("could not verify the provisioning (transient): {}", unverifiable.join("; "));
            observed.missing = unverifiable;
        }
    }
    if !taken.is_empty() {
        if observed.reason == "Reconciled" {
            observed.reason = "UserAccessFailed";
            observed.message = format!("owners without access: {}", taken.join("; "));
        } else {
            observed.message = format!("{} (owners without access: {})", observed.message, taken.join("; "));
        }
    }
    Ok(Ok(observed))
}

/// The private Gitea org and the tenant repository: created, or found and proven the
/// controller's own.
async fn ensure_gitea(ctx: &Context, org: &Organization) -> Result<(), Failure> {
    let slug = org.spec.slug.as_str();
    let description = tenant::gitea_org_description(slug, &org.spec.sovereign_ref);
    let new_org = NewOrg {
        name: slug,
        full_name: &org.spec.display_name,
        description: &description,
        visibility: Visibility::Private,
    };
    match ctx.gitea.ensure_org(&new_org).await {
        Ok(ensured) if !ensured.created => {
            check_org_owners(ctx, slug).await?;
        }
        Ok(_) => {}
        Err(e) => return Err(failure("GiteaOrgFailed", e.to_string())),
    }
    let repo = NewRepo {
        org: slug,
        name: TENANT_REPO,
        description: TENANT_REPO_DESCRIPTION,
        private: true,
        default_branch: &ctx.config.branch,
    };
    match ctx.gitea.ensure_repo(&repo).await {
        Ok(ensured)
            if !ensured.created && (!ensured.value.private || ensured.value.fork || ensured.value.mirror) =>
        {
            return Err(failure(
                "GiteaRepoFailed",
                format!(
                    "{slug}/{TENANT_REPO} exists but is public, a fork or a mirror: not the controller's repository; nothing written"
                ),
            ));
        }
        Ok(_) => {}
        Err(e) => return Err(failure("GiteaRepoFailed", e.to_string())),
    }
    Ok(())
}

/// The tenant namespace `<slug>` is this Organization's, or does not exist yet: a slug naming
/// a platform namespace (`flux-system`, `keycloak`, `default` …) must not get a quota, a
/// provisioning `RoleBinding` and, at deletion, a pruning Kustomization.
async fn check_namespace(ctx: &Context, slug: &str) -> Result<(), Failure> {
    match get(&ctx.api(NAMESPACES, None), slug).await {
        Ok(None) => Ok(()),
        Ok(Some(ns)) => {
            let labels = &ns["metadata"]["labels"];
            if labels[keys::ORGANIZATION] == slug && labels[keys::MANAGED_BY] == "catalyst" {
                Ok(())
            } else {
                Err(failure(
                    "NamespaceNotOwned",
                    format!(
                        "namespace {slug} exists and is not this Organization's (it lacks {}={slug} and {}=catalyst); nothing written",
                        keys::ORGANIZATION,
                        keys::MANAGED_BY
                    ),
                ))
            }
        }
        Err(e) => {
            Err(failure("NamespaceNotOwned", format!("namespace {slug} could not be read (transient): {e}")))
        }
    }
}

/// An org the controller did not create this pass must be its own: the token's user is the
/// only member of its Owners team (anyone else could push manifests Flux would apply).
async fn check_org_owners(ctx: &Context, slug: &str) -> Result<(), Failure> {
    let me = ctx
        .gitea_user
        .get_or_try_init(|| ctx.gitea.current_user())
        .await
        .map_err(|e| failure("GiteaOrgFailed", format!("reading the token's user: {e}")))?;
    let owners = ctx.gitea.org_owners(slug).await.map_err(|e| failure("GiteaOrgFailed", e.to_string()))?;
    if owners.len() == 1 && owners[0] == *me {
        Ok(())
    } else {
        Err(failure(
            "GiteaOrgFailed",
            format!(
                "Gitea org {slug} exists and is not this controller's alone (owners: {}); nothing written",
                if owners.is_empty() { "none".to_owned() } else { owners.join(", ") }
            ),
        ))
    }
}

/// Writes the tenant files in one commit: unchanged bytes send nothing, the two app indexes
/// are merged with what is in Gitea (entries others added are kept), and a compare-and-swap
/// loss is skipped until the next pass, never overwritten.
async fn write_files(
    ctx: &Context,
    slug: &str,
    org: &Organization,
    files: Vec<catalyst_core::apps::PlannedFile>,
    out: &mut Outcome,
) -> Result<(), Failure> {
    let mut contents: Vec<(String, String)> = Vec::with_capacity(files.len());
    let mut expected: Vec<(String, Option<String>)> = Vec::new();
    for f in files {
        if matches!(
            f.path.as_str(),
            "vcluster/apps/kustomization.yaml" | "vcluster/host-apps/kustomization.yaml"
        ) {
            match ctx.gitea.get_file(slug, TENANT_REPO, &ctx.config.branch, &f.path).await {
                Ok(existing) => {
                    let Ok(text) = String::from_utf8(existing.content) else {
                        return Err(failure("GitopsWriteFailed", format!("decode {}: not UTF-8", f.path)));
                    };
                    let merged = merge_kustomization(&f.path, &text, &f.content)
                        .map_err(|e| failure("GitopsWriteFailed", format!("decode {}: {e}", f.path)))?;
                    expected.push((f.path.clone(), Some(existing.sha)));
                    contents.push((f.path, merged.unwrap_or(text)));
                    continue;
                }
                Err(GiteaError::FileNotFound { .. }) => expected.push((f.path.clone(), None)),
                Err(e) => return Err(failure("GitopsWriteFailed", format!("probe {}: {e}", f.path))),
            }
        }
        contents.push((f.path, f.content));
    }
    let generation = org.metadata.generation.unwrap_or_default();
    let message = format!("{CONTROLLER}: reconcile tenant manifests for {slug} (gen {generation})");
    let target = Target {
        owner: slug,
        repo: TENANT_REPO,
        branch: &ctx.config.branch,
        message: &message,
        author: &ctx.author,
    };
    let refs: Vec<(&str, &[u8])> = contents.iter().map(|(p, c)| (p.as_str(), c.as_bytes())).collect();
    let expected: Vec<(&str, Option<&str>)> =
        expected.iter().map(|(p, s)| (p.as_str(), s.as_deref())).collect();
    match ctx.gitea.upsert_files_expecting(&target, &refs, &expected).await {
        Ok(results) => {
            out.files_written = results.iter().filter(|(_, r)| *r != Upsert::Unchanged).count();
            if out.files_written > 0 {
                info!(organization = %slug, files = out.files_written, "tenant manifests committed");
            }
            Ok(())
        }
        Err(e) if e.is_conflict() => {
            warn!(organization = %slug, error = %e, "the tenant repository changed under our write; nothing overwritten, writing again on the next pass");
            out.cas_skipped = true;
            Ok(())
        }
        Err(e) => Err(failure("GitopsWriteFailed", format!("write: {e}"))),
    }
}

/// Server-side applies `obj` when a field it sets differs; an existing object that is not
/// this Organization's (by its labels) is never taken over.
/// Why an object was not applied.
enum NotApplied {
    /// An object of that name exists and is not this Organization's.
    Taken(String),
    /// The API failed.
    Api(String),
}

impl NotApplied {
    fn message(self) -> String {
        match self {
            Self::Taken(m) | Self::Api(m) => m,
        }
    }
}

async fn apply(
    ctx: &Context,
    kind: (&str, &str, &str, &str),
    ns: Option<&str>,
    obj: &Value,
    owned: impl Fn(&Value) -> bool,
) -> Result<bool, NotApplied> {
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let api = ctx.api(kind, ns);
    let what = format!("{} {}{name}", kind.2, ns.map(|n| format!("{n}/")).unwrap_or_default());
    let live = get(&api, name).await.map_err(|e| NotApplied::Api(format!("reading {what}: {e}")))?;
    if let Some(live) = &live {
        if !owned(live) {
            return Err(NotApplied::Taken(format!(
                "{what} exists and is not this Organization's; not taken over"
            )));
        }
        if contains(live, obj) {
            return Ok(false);
        }
    }
    api.patch(name, &PatchParams::apply(CONTROLLER).force(), &Patch::Apply(obj))
        .await
        .map_err(|e| NotApplied::Api(format!("applying {what}: {e}")))?;
    Ok(true)
}

async fn apply_flux(ctx: &Context, org: &Organization, out: &mut Outcome) -> Result<(), Failure> {
    let objects = flux_objects(org, &ctx.config).map_err(|e| failure("PerOrgFluxFailed", e.to_string()))?;
    let slug = &org.spec.slug;
    for obj in &objects {
        let kind = if obj["kind"] == "GitRepository" { GIT_REPOSITORIES } else { KUSTOMIZATIONS };
        let written =
            apply(ctx, kind, Some(&ctx.config.flux_namespace), obj, |live| labels_match(live, slug))
                .await
                .map_err(|e| failure("PerOrgFluxFailed", e.message()))?;
        out.objects_written += usize::from(written);
    }
    Ok(())
}

fn owned_by(live: &Value, uid: &str) -> bool {
    live["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| refs.iter().any(|r| r["kind"] == "Organization" && r["uid"] == uid))
}

/// One `UserAccess` per owner (returns the ones whose name another object holds), and the
/// deletion of those of owners who left.
async fn apply_user_accesses(
    ctx: &Context,
    org: &Organization,
    out: &mut Outcome,
) -> Result<Vec<String>, Failure> {
    let (objects, warnings) = user_accesses(org);
    for w in warnings {
        warn!(organization = %org.spec.slug, "{w}");
    }
    let uid = org.metadata.uid.clone().unwrap_or_default();
    let mut taken = Vec::new();
    for ua in &objects {
        match apply(ctx, USER_ACCESSES, None, ua, |live| owned_by(live, &uid)).await {
            Ok(written) => out.objects_written += usize::from(written),
            // Another Organization's object of the same name: this owner's access is reported,
            // the rest of the Organization goes on.
            Err(NotApplied::Taken(m)) => {
                warn!(organization = %org.spec.slug, "{m}");
                taken.push(m);
            }
            Err(NotApplied::Api(m)) => return Err(failure("UserAccessFailed", m)),
        }
    }
    // An owner who left loses the access this controller gave them.
    let wanted: Vec<&str> = objects.iter().filter_map(|o| o["metadata"]["name"].as_str()).collect();
    let api = ctx.api(USER_ACCESSES, None);
    let selector = format!("{}={},{}={CONTROLLER}", keys::ORGANIZATION, org.spec.slug, keys::MANAGED_BY);
    let list = api
        .list(&kube::api::ListParams::default().labels(&selector))
        .await
        .map_err(|e| failure("UserAccessFailed", format!("listing UserAccesses: {e}")))?;
    for stale in list.items {
        let value = serde_json::to_value(&stale).unwrap_or_default();
        let name = stale.metadata.name.clone().unwrap_or_default();
        if wanted.contains(&name.as_str()) || uid.is_empty() || !owned_by(&value, &uid) {
            continue;
        }
        match api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {
                info!(organization = %org.spec.slug, useraccess = %name, "owner removed: UserAccess deleted");
                out.objects_written += 1;
            }
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(failure("UserAccessFailed", format!("deleting UserAccess {name}: {e}"))),
        }
    }
    Ok(taken)
}

/// The vCluster's phase from what the cluster reports: the namespace `<slug>` and the
/// HelmRelease `<slug>/vcluster`.
async fn readiness(ctx: &Context, slug: &str) -> (VClusterPhase, String) {
    let ns = match get(&ctx.api(NAMESPACES, None), slug).await {
        Ok(ns) => ns,
        Err(e) => {
            return (
                VClusterPhase::Provisioning,
                format!("vCluster namespace readback error (transient): {e}"),
            );
        }
    };
    let hr = match get(&ctx.api(HELM_RELEASES, Some(slug)), "vcluster").await {
        Ok(Some(hr)) => hr,
        Ok(None) => {
            return (
                VClusterPhase::Pending,
                format!(
                    "vCluster HelmRelease not yet applied by Flux (Kustomization {}-vcluster)",
                    flux_name(slug)
                ),
            );
        }
        Err(e) => {
            return (
                VClusterPhase::Provisioning,
                format!("vCluster HelmRelease readback error (transient): {e}"),
            );
        }
    };
    let ready = hr["status"]["conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
    match (ready, ns.is_some()) {
        (true, true) => (VClusterPhase::Ready, "vCluster HelmRelease Ready".into()),
        (true, false) => (
            VClusterPhase::Provisioning,
            "vCluster HelmRelease Ready but the per-Org namespace is not Active yet".into(),
        ),
        _ => {
            (VClusterPhase::Provisioning, "vCluster HelmRelease applied; awaiting its Ready condition".into())
        }
    }
}

/// Creates the first Environment when it does not exist; an existing one is never changed.
async fn ensure_environment(ctx: &Context, org: &Organization) -> Result<bool, String> {
    let env = tenant::first_environment(org, &ctx.config);
    let name = env["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    let api = ctx.api(ENVIRONMENTS, None);
    if get(&api, &name).await.map_err(|e| format!("reading Environment {name}: {e}"))?.is_some() {
        return Ok(false);
    }
    let obj: DynamicObject = serde_json::from_value(env).map_err(|e| e.to_string())?;
    match api
        .create(&PostParams { field_manager: Some(CONTROLLER.into()), ..PostParams::default() }, &obj)
        .await
    {
        Ok(_) => {
            info!(organization = %org.spec.slug, environment = %name, "first Environment created");
            Ok(true)
        }
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
        Err(e) => Err(format!("creating Environment {name}: {e}")),
    }
}

/// The quota objects Flux should have applied: (missing, unverifiable).
async fn postconditions(ctx: &Context, slug: &str, org: &Organization) -> (Vec<String>, Vec<String>) {
    let flexi = org.spec.plan_slug == Some(catalyst_core::crd::PlanSlug::Flexi);
    let mut checks = vec![(LIMIT_RANGES, "plan-limits")];
    if !flexi {
        checks.push((RESOURCE_QUOTAS, "plan-quota"));
    }
    let (mut missing, mut unverifiable) = (Vec::new(), Vec::new());
    for (kind, name) in checks {
        match get(&ctx.api(kind, Some(slug)), name).await {
            Ok(Some(_)) => {}
            Ok(None) => missing.push(format!("{} {slug}/{name}", kind.2)),
            Err(e) => unverifiable.push(format!("{} {slug}/{name}: {e}", kind.2)),
        }
    }
    missing.sort();
    (missing, unverifiable)
}

fn now_str(ctx: &Context) -> String {
    (ctx.clock)().0.to_string()
}

/// The status of a pass that stopped: the `Ready` condition with the failure; a slug
/// mismatch writes nothing else (no requeue).
async fn finish_failed(
    ctx: &Context,
    name: &str,
    raw: &Value,
    f: &Failure,
    only_condition: bool,
) -> Result<Outcome, Error> {
    warn!(organization = %name, reason = f.reason, message = %f.message, "reconcile stopped");
    let prev: OrganizationStatus =
        raw.get("status").cloned().and_then(|s| serde_json::from_value(s).ok()).unwrap_or_default();
    let generation = raw.pointer("/metadata/generation").and_then(Value::as_i64);
    let mut status = if only_condition { OrganizationStatus::default() } else { prev.clone() };
    if only_condition {
        status.conditions = prev.conditions.iter().filter(|c| c.type_ == types::READY).cloned().collect();
    }
    status.observed_generation = generation;
    set_condition(
        &mut status.conditions,
        ConditionUpdate::new(types::READY, ConditionStatus::False, &Reason(f.reason), f.message.clone())
            .observed_generation(generation),
        (ctx.clock)(),
    );
    let status_written =
        patch_status(ctx, name, raw, serde_json::to_value(&status).unwrap_or_default()).await?;
    let requeue = (!only_condition).then_some(NOT_READY_REQUEUE);
    Ok(Outcome { reason: Some(f.reason), status_written, requeue, ..Outcome::default() })
}

async fn write_status(
    ctx: &Context,
    name: &str,
    raw: &Value,
    org: &Organization,
    o: &Observed,
) -> Result<bool, Error> {
    let prev: OrganizationStatus =
        raw.get("status").cloned().and_then(|s| serde_json::from_value(s).ok()).unwrap_or_default();
    let generation = raw.pointer("/metadata/generation").and_then(Value::as_i64);
    let mut status = prev.clone();
    status.observed_generation = generation;
    let ready = if o.reason == "Reconciled" { ConditionStatus::True } else { ConditionStatus::False };
    set_condition(
        &mut status.conditions,
        ConditionUpdate::new(types::READY, ready, &Reason(o.reason), o.message.clone())
            .observed_generation(generation),
        (ctx.clock)(),
    );
    if org.spec.suspended == Some(true) {
        let message = org
            .spec
            .suspend_reason
            .clone()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "suspended through the sovereign-admin API".into());
        set_condition(
            &mut status.conditions,
            ConditionUpdate::new("Suspended", ConditionStatus::True, &Reason("BillingEnforcement"), message)
                .observed_generation(generation),
            (ctx.clock)(),
        );
    } else {
        status.conditions.retain(|c| c.type_ != "Suspended");
    }
    let mut doc = serde_json::to_value(&status).unwrap_or_default();
    doc["vcluster"] =
        json!({"name": org.spec.slug, "hostCluster": ctx.config.host_cluster, "phase": o.phase.as_str()});
    doc["keycloakGroup"] = json!({"id": o.group.id, "path": o.group.path, "realm": o.group.realm});
    doc["giteaOrg"] = json!({"name": org.spec.slug, "repos": [TENANT_REPO]});
    patch_status(ctx, name, raw, doc).await
}

/// Writes the status when it differs from the live one (server-side apply of the status).
async fn patch_status(ctx: &Context, name: &str, raw: &Value, status: Value) -> Result<bool, Error> {
    let live = raw.get("status").cloned().filter(|s| !s.is_null()).unwrap_or_else(|| json!({}));
    if live == status {
        return Ok(false);
    }
    let patch = json!({"apiVersion": "orgs.openova.io/v1", "kind": "Organization", "status": status});
    ctx.organizations()
        .patch_status(name, &PatchParams::apply(CONTROLLER).force(), &Patch::Apply(&patch))
        .await
        .map_err(kube_err(name, "writing the status"))?;
    Ok(true)
}

/// Deletion: the per-Organization Flux objects (host-apps, apps, vcluster Kustomizations, then
/// the GitRepository; only ones labelled as this Organization's; one at a time, each gone
/// before the next is deleted, polling every [`DELETION_POLL`]), `catalyst.tenant.deleted`
/// on NATS (best effort), then the finalizer. The Gitea org and the Keycloak group are kept;
/// `UserAccess`es and the Environment go with their owner reference.
async fn delete(ctx: &Context, name: &str, raw: &Value) -> Result<Outcome, Error> {
    let has_finalizer = raw
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|x| x == FINALIZER));
    if !has_finalizer {
        return Ok(Outcome::default());
    }
    let flux_ns = ctx.config.flux_namespace.clone();
    let mut order: Vec<(Kind, String)> =
        kustomization_names(name).into_iter().map(|n| (KUSTOMIZATIONS, n)).collect();
    order.push((GIT_REPOSITORIES, flux_name(name)));
    // One at a time: Flux prunes what a Kustomization applied when it goes, and the apps
    // Kustomization needs the vCluster (and its kubeconfig) the vcluster one would prune.
    for (kind, object) in order {
        let api = ctx.api(kind, Some(&flux_ns));
        let Some(live) =
            get(&api, &object).await.map_err(kube_err(name, format!("reading {} {object}", kind.2)))?
        else {
            continue;
        };
        if !labels_match(&live, name) {
            warn!(organization = %name, object = %object, "not labelled as this Organization's; left in place");
            continue;
        }
        let written = if live.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null()) {
            0
        } else {
            match api.delete(&object, &DeleteParams::default()).await {
                Ok(_) => 1,
                Err(e) if not_found(&e) => continue,
                Err(e) => return Err(kube_err(name, format!("deleting {} {object}", kind.2))(e)),
            }
        };
        info!(organization = %name, object = %object, "deleting; waiting for it to be gone before the next");
        return Ok(Outcome { objects_written: written, requeue: Some(DELETION_POLL), ..Outcome::default() });
    }
    if let Some(events) = &ctx.events {
        let uid = raw.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or_default();
        match events.tenant_deleted(name, uid, &now_str(ctx)).await {
            Ok(()) => info!(organization = %name, "published catalyst.tenant.deleted"),
            Err(e) => {
                warn!(organization = %name, error = %e, "catalyst.tenant.deleted not published (best effort)");
            }
        }
    }
    // Remove only our finalizer, with the resourceVersion read: one another controller added
    // since is not lost.
    let finalizers: Vec<Value> = raw
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter(|x| *x != FINALIZER).cloned().collect())
        .unwrap_or_default();
    let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": raw["metadata"]["resourceVersion"]}});
    ctx.organizations()
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(kube_err(name, "removing the finalizer"))?;
    info!(organization = %name, "deleted: per-Organization Flux objects gone, finalizer released");
    Ok(Outcome::default())
}
