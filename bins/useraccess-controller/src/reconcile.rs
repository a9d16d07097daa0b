//! One reconcile of one `UserAccess` (`access.openova.io/v1alpha1`, SPEC CTRL-4): parse it,
//! add the tier's enforced scopes, compute the bindings with [`catalyst_core::access`], and make
//! the cluster's `RoleBindings` and `ClusterRoleBindings` of this UserAccess exactly those: create
//! what is missing, restore what drifted (a changed roleRef, which Kubernetes cannot update, is
//! deleted and created again), delete what is no longer wanted. Only bindings whose owner
//! reference is this UserAccess are ever changed or deleted.

use std::sync::Arc;
use std::time::Duration;

use catalyst_core::access::{
    self, CONTROLLER, Desired, Grant, LABEL_USERACCESS, NamespaceLabels, missing_scopes, short_name,
};
use catalyst_core::conditions::{
    Condition, ConditionReason, ConditionStatus, ConditionUpdate, set_condition,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use serde_json::{Value, json};
use tracing::{info, warn};

/// What every reconcile shares.
pub struct Context {
    /// The Kubernetes API.
    pub kube: kube::Client,
    /// How soon a healthy UserAccess is looked at again (bindings changed by hand).
    pub requeue: Duration,
    /// The conditions' clock (tests fix it).
    pub clock: Arc<dyn Fn() -> Time + Send + Sync>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("requeue", &self.requeue).finish_non_exhaustive()
    }
}

/// (group, version, kind, plural).
type Kind = (&'static str, &'static str, &'static str, &'static str);

const USER_ACCESSES: Kind = ("access.openova.io", "v1alpha1", "UserAccess", "useraccesses");
const ROLE_BINDINGS: Kind = ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings");
const CLUSTER_ROLE_BINDINGS: Kind =
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings");
const CLUSTER_ROLES: Kind = ("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles");
const NAMESPACES: Kind = ("", "v1", "Namespace", "namespaces");

impl Context {
    /// A context on the real clock, looking again every five minutes.
    pub fn new(kube: kube::Client) -> Self {
        Self { kube, requeue: Duration::from_secs(300), clock: Arc::new(catalyst_core::conditions::now) }
    }

    fn api(&self, (group, version, kind, plural): Kind, ns: Option<&str>) -> Api<DynamicObject> {
        let r = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
        match ns {
            Some(ns) => Api::namespaced_with(self.kube.clone(), ns, &r),
            None => Api::all_with(self.kube.clone(), &r),
        }
    }
}

/// A reconcile that must be retried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A Kubernetes API call failed.
    #[error("UserAccess {name}: {action}")]
    Kube {
        /// The UserAccess.
        name: String,
        /// What was being done.
        action: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// A binding of that name exists and is not this UserAccess's.
    #[error("UserAccess {name}: {message}")]
    Taken {
        /// The UserAccess.
        name: String,
        /// Which binding.
        message: String,
    },
}

fn kube_err(name: &str, action: impl Into<String>) -> impl FnOnce(kube::Error) -> Error + '_ {
    let action = action.into();
    move |source| Error::Kube { name: name.to_owned(), action, source }
}

/// What a reconcile did.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Outcome {
    /// `Active` or `Failed`; `None` when the UserAccess is gone.
    pub phase: Option<&'static str>,
    /// Bindings created (including re-created after a roleRef change).
    pub created: usize,
    /// Bindings whose subjects were restored.
    pub updated: usize,
    /// Bindings deleted (orphans, and changed roleRefs).
    pub deleted: usize,
    /// Scope rows added to `spec.scopes` from the tier's enforced scopes.
    pub scopes_injected: usize,
    /// Whether the status was written.
    pub status_written: bool,
    /// When to look again.
    pub requeue: Option<Duration>,
}

struct Reason(&'static str);

impl ConditionReason for Reason {
    fn as_str(&self) -> &'static str {
        self.0
    }
}

fn cond(
    type_: &'static str,
    status: ConditionStatus,
    reason: &'static str,
    message: impl Into<String>,
) -> (&'static str, ConditionStatus, &'static str, String) {
    (type_, status, reason, message.into())
}

async fn get(api: &Api<DynamicObject>, name: &str) -> Result<Option<Value>, kube::Error> {
    Ok(api.get_opt(name).await?.and_then(|o| serde_json::to_value(o).ok()))
}

fn not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// Reconciles the UserAccess `name`.
///
/// # Errors
/// [`Error`] when the API cannot be read or written, or a binding's name is taken (retried
/// with backoff; the status says `Failed` and why).
pub async fn reconcile_user_access(name: &str, ctx: &Context) -> Result<Outcome, Error> {
    let uas = ctx.api(USER_ACCESSES, None);
    let Some(mut raw) = get(&uas, name).await.map_err(kube_err(name, "reading"))? else {
        return Ok(Outcome::default());
    };
    if raw.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null()) {
        // The bindings go with their owner reference.
        return Ok(Outcome::default());
    }
    let mut grant = match access::parse(&raw) {
        Ok(g) => g,
        Err(message) => {
            // What it granted before stops with it: an edit that breaks the spec revokes.
            let uid = raw.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or_default().to_owned();
            let mut deleted = 0;
            for b in live_bindings(ctx, name, name, &uid).await? {
                delete(ctx, name, &b).await?;
                deleted += 1;
            }
            let conditions = vec![cond("Ready", ConditionStatus::False, "Invalid", message)];
            let status_written = write_status(ctx, name, &raw, "Failed", None, conditions).await?;
            return Ok(Outcome { phase: Some("Failed"), deleted, status_written, ..Outcome::default() });
        }
    };
    let mut out = Outcome { requeue: Some(ctx.requeue), ..Outcome::default() };
    let mut conditions = Vec::new();
    // The tier whose scopes every grant carries: the role actually bound (tier path), else the
    // label's tier.
    let tier = grant
        .tier_role_ref
        .as_deref()
        .and_then(access::tier_of_role)
        .map(|t| t.name().to_owned())
        .or_else(|| grant.tier.clone());
    if let Some(tier) = tier {
        let injected = inject_scopes(ctx, name, &mut raw, &grant, &tier, &mut conditions).await?;
        if injected > 0 {
            out.scopes_injected = injected;
            grant = access::parse(&raw).map_err(|message| Error::Taken { name: name.to_owned(), message })?;
        }
    } else {
        conditions.push(cond(
            "EnforcedScopeApplied",
            ConditionStatus::False,
            "NoTierLabel",
            "CR carries no catalyst.openova.io/tier label",
        ));
    }
    let namespaces = if grant.tier_role_ref.is_some() && !access::cluster_wide(&grant.scopes) {
        list_namespaces(ctx, name).await?
    } else {
        Vec::new()
    };
    let want = access::desired(&grant, &namespaces);
    let drifted = match converge(ctx, name, &grant, &want, &mut out).await {
        Ok(d) => d,
        Err(e) => {
            let conditions = vec![cond("Ready", ConditionStatus::False, "ApplyFailed", e.to_string())];
            let _ = write_status(ctx, name, &raw, "Failed", None, conditions).await;
            return Err(e);
        }
    };
    conditions.insert(0, cond("Ready", ConditionStatus::True, "Reconciled", "bindings match the UserAccess"));
    conditions.insert(
        1,
        cond("Synced", ConditionStatus::True, "Reconciled", format!("{} binding(s)", want.bindings.len())),
    );
    if drifted {
        conditions.push(cond(
            "Drift",
            ConditionStatus::True,
            "DriftRestored",
            "hand-mutated rolebinding restored to desired shape",
        ));
    }
    if let Some(message) = &want.tier_message {
        conditions.push(cond("BindingsReconciled", ConditionStatus::True, "Reconciled", message.clone()));
    }
    out.phase = Some("Active");
    out.status_written =
        write_status(ctx, name, &raw, "Active", Some(want.bindings.len()), conditions).await?;
    Ok(out)
}

/// Adds the tier `ClusterRole`'s enforced scopes missing from `spec.scopes` (a merge patch of the
/// whole list, `{key, value}` rows); returns how many rows were added.
async fn inject_scopes(
    ctx: &Context,
    name: &str,
    raw: &mut Value,
    grant: &Grant,
    tier: &str,
    conditions: &mut Vec<(&'static str, ConditionStatus, &'static str, String)>,
) -> Result<usize, Error> {
    let tier = tier.strip_prefix("tier-").unwrap_or(tier);
    let role = format!("openova:tier-{tier}");
    let cluster_role = get(&ctx.api(CLUSTER_ROLES, None), &role)
        .await
        .map_err(kube_err(name, format!("reading ClusterRole {role}")))?;
    match &cluster_role {
        Some(_) => conditions.push(cond(
            "TierResolved",
            ConditionStatus::True,
            "TierResolved",
            format!("tier {tier} → {role}"),
        )),
        None => conditions.push(cond(
            "TierResolved",
            ConditionStatus::False,
            "TierClusterRoleNotFound",
            format!("ClusterRole {role} not found"),
        )),
    }
    // The tier's built-in minimum applies even when its ClusterRole is missing or its annotation
    // is malformed: a developer grant never loses env-type=dev.
    let missing = missing_scopes(&grant.scopes, &access::required_scopes(&role, cluster_role.as_ref()));
    if missing.is_empty() {
        let (status, reason) = if cluster_role.is_some() {
            (ConditionStatus::True, "AlreadyPresent")
        } else {
            (ConditionStatus::False, "TierClusterRoleNotFound")
        };
        conditions.push(cond("EnforcedScopeApplied", status, reason, "enforced scopes already present"));
        return Ok(0);
    }
    let patch = json!({"spec": {"scopes": access::scopes_with(grant, &missing)}, "metadata": {"resourceVersion": raw["metadata"]["resourceVersion"]}});
    let patched = ctx
        .api(USER_ACCESSES, None)
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(kube_err(name, "adding the tier's enforced scopes"))?;
    *raw = serde_json::to_value(patched).unwrap_or_default();
    let added: Vec<String> = missing.iter().map(|(k, v)| format!("{k}={v}")).collect();
    info!(useraccess = %name, scopes = %added.join(","), "enforced scopes added");
    conditions.push(cond(
        "EnforcedScopeApplied",
        ConditionStatus::True,
        "AutoInjected",
        format!("added {}", added.join(", ")),
    ));
    Ok(missing.len())
}

async fn list_namespaces(ctx: &Context, name: &str) -> Result<Vec<NamespaceLabels>, Error> {
    let list = ctx
        .api(NAMESPACES, None)
        .list(&ListParams::default())
        .await
        .map_err(kube_err(name, "listing namespaces"))?;
    Ok(list
        .items
        .iter()
        .filter_map(|o| serde_json::to_value(o).ok())
        .map(|v| NamespaceLabels::of(&v))
        .collect())
}

fn owned_by(obj: &Value, uid: &str) -> bool {
    !uid.is_empty()
        && obj["metadata"]["ownerReferences"]
            .as_array()
            .is_some_and(|refs| refs.iter().any(|r| r["kind"] == "UserAccess" && r["uid"] == uid))
}

fn key_of(obj: &Value) -> (String, String, String) {
    (
        obj["kind"].as_str().unwrap_or_default().to_owned(),
        obj["metadata"]["namespace"].as_str().unwrap_or_default().to_owned(),
        obj["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
    )
}

fn subject_set(obj: &Value) -> Vec<(String, String)> {
    let mut s: Vec<(String, String)> = obj["subjects"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            (
                x["kind"].as_str().unwrap_or_default().to_owned(),
                x["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    s.sort();
    s.dedup();
    s
}

/// The bindings of this UserAccess that exist: listed by its label, kept only when their owner
/// reference is this UserAccess (a label can be copied; the uid cannot).
async fn live_bindings(ctx: &Context, name: &str, ua_name: &str, uid: &str) -> Result<Vec<Value>, Error> {
    let selector = format!("{LABEL_USERACCESS}={}", short_name(ua_name));
    let mut out = Vec::new();
    for kind in [ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS] {
        let list = ctx
            .api(kind, None)
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(kube_err(name, format!("listing {}s", kind.2)))?;
        for item in list.items {
            let mut v = serde_json::to_value(item).unwrap_or_default();
            v["kind"] = json!(kind.2);
            if owned_by(&v, uid) {
                out.push(v);
            }
        }
    }
    Ok(out)
}

fn kind_of(obj: &Value) -> Kind {
    if obj["kind"] == "ClusterRoleBinding" { CLUSTER_ROLE_BINDINGS } else { ROLE_BINDINGS }
}

async fn apply(ctx: &Context, name: &str, obj: &Value) -> Result<(), Error> {
    let (_, ns, n) = key_of(obj);
    let api = ctx.api(kind_of(obj), (!ns.is_empty()).then_some(ns.as_str()));
    api.patch(&n, &PatchParams::apply(CONTROLLER).force(), &Patch::Apply(obj))
        .await
        .map(drop)
        .map_err(kube_err(name, format!("applying {} {ns}/{n}", obj["kind"].as_str().unwrap_or_default())))
}

async fn delete(ctx: &Context, name: &str, obj: &Value) -> Result<(), Error> {
    let (kind, ns, n) = key_of(obj);
    let api = ctx.api(kind_of(obj), (!ns.is_empty()).then_some(ns.as_str()));
    match api.delete(&n, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e) => Ok(()),
        Err(e) => Err(kube_err(name, format!("deleting {kind} {ns}/{n}"))(e)),
    }
}

/// Deletes what is no longer granted first (a revocation must not wait for anything), then
/// creates and restores; one binding's failure does not stop the others. Returns whether a
/// drifted binding was restored.
async fn converge(
    ctx: &Context,
    name: &str,
    grant: &Grant,
    want: &Desired,
    out: &mut Outcome,
) -> Result<bool, Error> {
    let live = live_bindings(ctx, name, &grant.name, &grant.uid).await?;
    let mut drifted = false;
    let mut failed: Vec<Error> = Vec::new();
    for l in &live {
        if !want.bindings.iter().any(|b| key_of(b) == key_of(l)) {
            match delete(ctx, name, l).await {
                Ok(()) => out.deleted += 1,
                Err(e) => failed.push(e),
            }
        }
    }
    for b in &want.bindings {
        match converge_one(ctx, name, grant, b, &live, out).await {
            Ok(d) => drifted |= d,
            Err(e) => failed.push(e),
        }
    }
    if out.created + out.updated + out.deleted > 0 {
        info!(useraccess = %name, created = out.created, updated = out.updated, deleted = out.deleted, "bindings reconciled");
    }
    if drifted {
        warn!(useraccess = %name, "hand-mutated binding restored");
    }
    match failed.len() {
        0 => Ok(drifted),
        1 => Err(failed.remove(0)),
        n => Err(Error::Taken {
            name: name.to_owned(),
            message: format!(
                "{n} bindings failed: {}",
                failed
                    .iter()
                    .map(|e| catalyst_naming::diagnostic::Chain(e).to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }),
    }
}

async fn converge_one(
    ctx: &Context,
    name: &str,
    grant: &Grant,
    b: &Value,
    live: &[Value],
    out: &mut Outcome,
) -> Result<bool, Error> {
    let key = key_of(b);
    match live.iter().find(|l| key_of(l) == key) {
        None => {
            let (kind, ns, n) = &key;
            let api = ctx.api(kind_of(b), (!ns.is_empty()).then_some(ns.as_str()));
            match get(&api, n).await.map_err(kube_err(name, format!("reading {kind} {ns}/{n}")))? {
                // Ours with its label stripped: taken back (the owner reference is the proof).
                Some(existing) if owned_by(&existing, &grant.uid) => {
                    if existing["roleRef"] != b["roleRef"] {
                        delete(ctx, name, &existing).await?;
                        out.deleted += 1;
                    }
                    apply(ctx, name, b).await?;
                    out.updated += 1;
                    Ok(true)
                }
                // Someone else's: never taken over.
                Some(_) => Err(Error::Taken {
                    name: name.to_owned(),
                    message: format!("{kind} {ns}/{n} exists and is not this UserAccess's; not taken over"),
                }),
                None => {
                    apply(ctx, name, b).await?;
                    out.created += 1;
                    Ok(false)
                }
            }
        }
        Some(l) if l["roleRef"] != b["roleRef"] => {
            // roleRef cannot change in place.
            delete(ctx, name, l).await?;
            apply(ctx, name, b).await?;
            (out.deleted, out.created) = (out.deleted + 1, out.created + 1);
            Ok(true)
        }
        Some(l) if subject_set(l) != subject_set(b) => {
            apply(ctx, name, b).await?;
            out.updated += 1;
            Ok(true)
        }
        Some(_) => Ok(false),
    }
}

/// Writes the status when it changed (conditions carry their transition time forward).
async fn write_status(
    ctx: &Context,
    name: &str,
    raw: &Value,
    phase: &str,
    bindings: Option<usize>,
    wanted: Vec<(&'static str, ConditionStatus, &'static str, String)>,
) -> Result<bool, Error> {
    let live = raw.get("status").cloned().filter(|s| !s.is_null()).unwrap_or_else(|| json!({}));
    let previous: Vec<Condition> =
        live.get("conditions").cloned().and_then(|c| serde_json::from_value(c).ok()).unwrap_or_default();
    let generation = raw.pointer("/metadata/generation").and_then(Value::as_i64);
    let mut conditions: Vec<Condition> = Vec::new();
    for (type_, status, reason, message) in wanted {
        let mut one: Vec<Condition> = previous.iter().filter(|c| c.type_ == type_).cloned().collect();
        set_condition(
            &mut one,
            ConditionUpdate::new(type_, status, &Reason(reason), message).observed_generation(generation),
            (ctx.clock)(),
        );
        conditions.extend(one);
    }
    let mut status = live.clone();
    status["phase"] = json!(phase);
    status["observedGeneration"] = json!(generation);
    status["conditions"] = serde_json::to_value(&conditions).unwrap_or_default();
    match bindings {
        Some(n) => status["rolebindingsCreated"] = json!(n),
        None => {
            if let Some(o) = status.as_object_mut() {
                o.remove("rolebindingsCreated");
            }
        }
    }
    if status == live {
        return Ok(false);
    }
    let patch = json!({"apiVersion": "access.openova.io/v1alpha1", "kind": "UserAccess", "status": status});
    ctx.api(USER_ACCESSES, None)
        .patch_status(name, &PatchParams::apply(CONTROLLER).force(), &Patch::Apply(&patch))
        .await
        .map_err(kube_err(name, "writing the status"))?;
    Ok(true)
}
