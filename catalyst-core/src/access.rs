//! What the useraccess-controller makes of a `UserAccess` (`access.openova.io/v1alpha1`, SPEC
//! CTRL-4 and §12, as the platform runs it): `RoleBindings` and `ClusterRoleBindings` to the
//! platform's `ClusterRoles`. Pure: the controller and `catalyst useraccess render` call it.
//!
//! Two shapes:
//! - **tier path** (`spec.tierRoleRef` set; `applications[]` is then ignored): empty or all
//!   `*:*` scopes give one `ClusterRoleBinding`; otherwise one `RoleBinding` per Namespace whose
//!   labels satisfy every scope row (`key=*`: the key is present; `*=v`: any label has value
//!   `v`), namespaces sorted; no match, no binding;
//! - **application path** (the organization-controller's shape): per application, a namespace
//!   `*` gives one `ClusterRoleBinding`, else one `RoleBinding` per namespace and then per vCluster
//!   (`vcluster-<name>`), deduplicated, order kept, to `openova:application-<role>`.
//!
//! ```
//! use catalyst_core::access::{parse, desired};
//! use serde_json::json;
//!
//! let ua = json!({"metadata": {"name": "acme-ops", "uid": "u1"}, "spec": {
//!     "user": {"keycloakSubject": "ops@acme.example"}, "sovereignRef": "acme",
//!     "applications": [{"app": "acme", "role": "admin", "namespaces": ["acme"]}]}});
//! let grant = parse(&ua).unwrap();
//! let bindings = desired(&grant, &[]).bindings;
//! assert_eq!(bindings[0]["metadata"]["name"], "useraccess-acme-ops-acme-admin");
//! assert_eq!(bindings[0]["roleRef"]["name"], "openova:application-admin");
//! assert_eq!(bindings[0]["subjects"][0]["name"], "oidc:ops@acme.example");
//! ```

use std::collections::BTreeMap;

use catalyst_naming::keys;
use serde_json::{Value, json};

/// Who the controller says manages its bindings.
pub const CONTROLLER: &str = "useraccess-controller";
/// The annotation of a tier `ClusterRole` naming the scopes every grant of that tier carries.
pub const ENFORCED_SCOPES: &str = "catalyst.openova.io/enforced-scopes";
/// The label naming a UserAccess's tier.
pub const TIER_LABEL: &str = "catalyst.openova.io/tier";
/// The bindings' label naming their UserAccess.
pub const LABEL_USERACCESS: &str = "access.openova.io/useraccess";
/// The bindings' label naming the tier (tier path).
pub const LABEL_TIER: &str = "access.openova.io/tier";
/// The bindings' label naming the application (application path).
pub const LABEL_APPLICATION: &str = "access.openova.io/application";
/// The bindings' label naming the role (application path).
pub const LABEL_ROLE: &str = "access.openova.io/role";
/// The application roles.
pub const APPLICATION_ROLES: [&str; 3] = ["admin", "editor", "viewer"];

const RBAC: &str = "rbac.authorization.k8s.io";

/// A subject of the bindings.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject {
    /// `User` or `Group`.
    pub kind: &'static str,
    /// `oidc:<subject>` or `oidc:<group>`.
    pub name: String,
}

/// One entry of `spec.applications`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppGrant {
    /// The application.
    pub app: String,
    /// `admin`, `editor` or `viewer`.
    pub role: String,
    /// Namespaces (`*`: cluster-wide).
    pub namespaces: Vec<String>,
    /// vClusters (each bound in `vcluster-<name>`).
    pub vclusters: Vec<String>,
}

/// A parsed UserAccess.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The UserAccess's name.
    pub name: String,
    /// Its uid (the bindings' owner reference).
    pub uid: String,
    /// Who is granted.
    pub subjects: Vec<Subject>,
    /// `spec.sovereignRef`.
    pub sovereign: String,
    /// The tier (label `catalyst.openova.io/tier`, else the legacy `spec.tier`), lower-cased.
    pub tier: Option<String>,
    /// `spec.tierRoleRef`: the tier path when set.
    pub tier_role_ref: Option<String>,
    /// Scope rows `(key, value)`, in order.
    pub scopes: Vec<(String, String)>,
    /// `spec.applications` (application path).
    pub applications: Vec<AppGrant>,
    /// The tier path ignored a non-empty `spec.applications`.
    pub applications_ignored: bool,
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).map_or("", str::trim)
}

/// Reads a UserAccess. The errors are the platform's messages, verbatim.
///
/// # Errors
/// What is missing or wrong, as the status shows it.
pub fn parse(ua: &Value) -> Result<Grant, String> {
    let spec = &ua["spec"];
    let user = &spec["user"];
    let mut subjects = Vec::new();
    let subject = text(user, "keycloakSubject");
    if !subject.is_empty() {
        subjects.push(Subject { kind: "User", name: format!("oidc:{subject}") });
    }
    for g in user.get("keycloakGroups").and_then(Value::as_array).into_iter().flatten() {
        let g = g.as_str().map_or("", str::trim);
        if !g.is_empty() {
            subjects.push(Subject { kind: "Group", name: format!("oidc:{g}") });
        }
    }
    if subjects.is_empty() {
        return Err("spec.user must set keycloakSubject and/or keycloakGroups".into());
    }
    let sovereign = text(spec, "sovereignRef");
    if sovereign.is_empty() {
        return Err("spec.sovereignRef is required".into());
    }
    if !dns_name(sovereign) {
        return Err("spec.sovereignRef must match ^[a-z0-9][a-z0-9-]{0,62}$".into());
    }
    let tier_role_ref = Some(text(spec, "tierRoleRef").to_owned()).filter(|r| !r.is_empty());
    if let Some(r) = &tier_role_ref
        && tier_of_role(r).is_none()
    {
        // Only the five tier roles: anything else could bind a role the grant was never meant to give.
        return Err(format!(
            "spec.tierRoleRef {r:?} must be openova:tier-viewer, -developer, -operator, -admin or -owner"
        ));
    }
    let label_tier = ua.pointer("/metadata/labels").map_or("", |l| text(l, TIER_LABEL));
    let tier =
        [label_tier, text(spec, "tier")].into_iter().find(|t| !t.is_empty()).map(str::to_ascii_lowercase);
    let scopes = spec
        .get("scopes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|row| {
            let key =
                [text(row, "key"), text(row, "labelKey")].into_iter().find(|k| !k.is_empty()).unwrap_or("");
            let value = [text(row, "value"), text(row, "labelValue")]
                .into_iter()
                .find(|v| !v.is_empty())
                .unwrap_or("");
            (key.to_owned(), value.to_owned())
        })
        .filter(|(k, v)| !(k.is_empty() && v.is_empty()))
        .collect();
    let applications_ignored = tier_role_ref.is_some()
        && spec.get("applications").and_then(Value::as_array).is_some_and(|a| !a.is_empty());
    let applications = if tier_role_ref.is_none() { parse_applications(spec)? } else { Vec::new() };
    Ok(Grant {
        name: text(&ua["metadata"], "name").to_owned(),
        uid: text(&ua["metadata"], "uid").to_owned(),
        subjects,
        sovereign: sovereign.to_owned(),
        tier,
        tier_role_ref,
        scopes,
        applications,
        applications_ignored,
    })
}

/// `spec.applications` of the application path, with the platform's messages.
fn parse_applications(spec: &Value) -> Result<Vec<AppGrant>, String> {
    let mut applications = Vec::new();
    let apps = spec.get("applications").and_then(Value::as_array).cloned().unwrap_or_default();
    if apps.is_empty() {
        return Err(
            "spec.applications must contain at least one entry (or set spec.tierRoleRef for the tier-aware path)"
                .into(),
        );
    }
    for (i, a) in apps.iter().enumerate() {
        let app = text(a, "app");
        if app.is_empty() {
            return Err(format!("spec.applications[{i}].app is required"));
        }
        if !dns_name(app) {
            return Err(format!("spec.applications[{i}].app must match ^[a-z0-9][a-z0-9-]{{0,62}}$"));
        }
        let role = text(a, "role");
        if !APPLICATION_ROLES.contains(&role) {
            return Err(format!("spec.applications[{i}].role must be one of admin, editor, viewer"));
        }
        let list = |k: &str| -> Vec<String> {
            a.get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let (namespaces, vclusters) = (list("namespaces"), list("vClusters"));
        if namespaces.is_empty() && vclusters.is_empty() {
            return Err(format!("spec.applications[{i}] must set namespaces[] or vClusters[]"));
        }
        applications.push(AppGrant { app: app.to_owned(), role: role.to_owned(), namespaces, vclusters });
    }
    Ok(applications)
}

/// `^[a-z0-9][a-z0-9-]{0,62}$`, the CRD's pattern for names that become label values.
fn dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The tier a `tierRoleRef` names (`openova:tier-developer` → developer).
pub fn tier_of_role(role: &str) -> Option<crate::crd::Tier> {
    role.strip_prefix("openova:tier-").and_then(crate::crd::Tier::from_name)
}

/// The scope rows every grant of the tier role `tier_role_ref` carries: the tier's built-in
/// minimum (`openova.io/env-type=dev` for developers) and the rows of its ClusterRole's
/// `catalyst.openova.io/enforced-scopes` annotation when the ClusterRole is known. A missing
/// ClusterRole or a malformed annotation never lowers the minimum.
pub fn required_scopes(tier_role_ref: &str, cluster_role: Option<&Value>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = cluster_role.map(enforced_scopes).unwrap_or_default();
    if let Some((k, v)) = tier_of_role(tier_role_ref).and_then(crate::crd::Tier::injected_scope) {
        out.push((k.to_owned(), v.to_owned()));
    }
    out.sort();
    out.dedup();
    out
}

/// `spec.scopes` with `rows` added (as `{key, value}` rows), for the merge patch that adds
/// enforced scopes.
pub fn scopes_with(grant: &Grant, rows: &[(String, String)]) -> Value {
    Value::Array(grant.scopes.iter().chain(rows).map(|(k, v)| json!({"key": k, "value": v})).collect())
}

/// FNV-1a, 32 bits.
fn fnv1a32(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn base36(mut n: u32) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A name of at most 63 characters: longer ones keep their start and end in `-` and the
/// base-36 FNV-1a-32 of the whole name, so distinct long names stay distinct.
pub fn short_name(raw: &str) -> String {
    if raw.len() <= 63 {
        return raw.to_owned();
    }
    let suffix = format!("-{}", base36(fnv1a32(raw)));
    let mut cut = 63 - suffix.len();
    while !raw.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{suffix}", &raw[..cut])
}

/// Whether a Namespace's labels satisfy one scope row.
fn row_matches(labels: &BTreeMap<String, String>, (key, value): (&str, &str)) -> bool {
    match (key, value) {
        ("*", "*") => true,
        ("*", v) => labels.values().any(|l| l == v),
        (k, "*") => labels.contains_key(k),
        (k, v) => labels.get(k).is_some_and(|l| l == v),
    }
}

/// Whether the scopes are cluster-wide: none, or every row `*:*`.
pub fn cluster_wide(scopes: &[(String, String)]) -> bool {
    scopes.iter().all(|(k, v)| k == "*" && v == "*")
}

/// A Namespace as the tier path sees it: its name and labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceLabels {
    /// The name.
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
}

impl NamespaceLabels {
    /// From a Namespace object.
    pub fn of(ns: &Value) -> Self {
        let labels = ns["metadata"]["labels"]
            .as_object()
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
            .unwrap_or_default();
        Self { name: text(&ns["metadata"], "name").to_owned(), labels }
    }
}

/// The bindings a grant yields, and what the status says about them.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    /// `RoleBindings` and `ClusterRoleBindings`.
    pub bindings: Vec<Value>,
    /// The tier path's summary (`None` on the application path).
    pub tier_message: Option<String>,
}

fn binding(grant: &Grant, name: &str, namespace: Option<&str>, role: &str, labels: &Value) -> Value {
    let mut metadata = json!({
        "name": short_name(name),
        "labels": labels,
        "ownerReferences": [{"apiVersion": "access.openova.io/v1alpha1", "kind": "UserAccess", "name": grant.name,
                              "uid": grant.uid, "controller": true, "blockOwnerDeletion": true}],
    });
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    let subjects: Vec<Value> =
        grant.subjects.iter().map(|s| json!({"kind": s.kind, "apiGroup": RBAC, "name": s.name})).collect();
    json!({
        "apiVersion": format!("{RBAC}/v1"),
        "kind": if namespace.is_some() { "RoleBinding" } else { "ClusterRoleBinding" },
        "metadata": metadata,
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
        "subjects": subjects,
    })
}

/// The bindings of a grant, given the cluster's Namespaces (used by the tier path only).
pub fn desired(grant: &Grant, namespaces: &[NamespaceLabels]) -> Desired {
    let base = |extra: Value| {
        let mut labels = json!({
            keys::MANAGED_BY: CONTROLLER,
            LABEL_USERACCESS: short_name(&grant.name),
            keys::CATALYST_SOVEREIGN: grant.sovereign,
        });
        if let (Some(l), Some(e)) = (labels.as_object_mut(), extra.as_object()) {
            l.extend(e.clone());
        }
        labels
    };
    if let Some(role) = &grant.tier_role_ref {
        let tier = grant.tier.clone().unwrap_or_default();
        let short = tier.strip_prefix("tier-").unwrap_or(&tier);
        let name = format!("useraccess-{}-{}", grant.name, if short.is_empty() { "tier" } else { short });
        let labels = base(json!({LABEL_TIER: tier}));
        let (bindings, mut message) = if cluster_wide(&grant.scopes) {
            (
                vec![binding(grant, &name, None, role, &labels)],
                "wildcard/empty scope → ClusterRoleBinding".to_owned(),
            )
        } else {
            let mut matched: Vec<&NamespaceLabels> = namespaces
                .iter()
                .filter(|ns| {
                    grant
                        .scopes
                        .iter()
                        .filter(|(k, v)| !(k == "*" && v == "*"))
                        .all(|(k, v)| row_matches(&ns.labels, (k, v)))
                })
                .collect();
            matched.sort_by(|a, b| a.name.cmp(&b.name));
            matched.dedup_by(|a, b| a.name == b.name);
            let bindings: Vec<Value> =
                matched.iter().map(|ns| binding(grant, &name, Some(&ns.name), role, &labels)).collect();
            let n = bindings.len();
            (bindings, format!("emitted {n} RoleBinding(s) across resolved namespaces"))
        };
        if grant.applications_ignored {
            message.push_str("; spec.applications[] ignored — tier path takes precedence");
        }
        return Desired { bindings, tier_message: Some(message) };
    }
    let mut bindings = Vec::new();
    for a in &grant.applications {
        let name = format!("useraccess-{}-{}-{}", grant.name, a.app, a.role);
        let role = format!("openova:application-{}", a.role);
        let labels = base(json!({LABEL_APPLICATION: a.app, LABEL_ROLE: a.role}));
        if a.namespaces.iter().any(|n| n == "*") {
            bindings.push(binding(grant, &name, None, &role, &labels));
            continue;
        }
        let mut seen: Vec<String> = Vec::new();
        for ns in a.namespaces.iter().cloned().chain(a.vclusters.iter().map(|v| format!("vcluster-{v}"))) {
            if !seen.contains(&ns) {
                bindings.push(binding(grant, &name, Some(&ns), &role, &labels));
                seen.push(ns);
            }
        }
    }
    // The same application and role twice gives the same binding: once.
    let mut unique: Vec<Value> = Vec::with_capacity(bindings.len());
    for b in bindings {
        if !unique.iter().any(|u| {
            u["kind"] == b["kind"]
                && u["metadata"]["namespace"] == b["metadata"]["namespace"]
                && u["metadata"]["name"] == b["metadata"]["name"]
        }) {
            unique.push(b);
        }
    }
    Desired { bindings: unique, tier_message: None }
}

/// The scope rows a tier `ClusterRole`'s `catalyst.openova.io/enforced-scopes` annotation adds,
/// deduplicated and sorted; a malformed annotation adds nothing.
pub fn enforced_scopes(cluster_role: &Value) -> Vec<(String, String)> {
    let raw = cluster_role.pointer("/metadata/annotations").map_or("", |a| text(a, ENFORCED_SCOPES));
    let rows: Vec<Value> = serde_json::from_str(raw).unwrap_or_default();
    let mut out: Vec<(String, String)> = rows
        .iter()
        .map(|r| (text(r, "key").to_owned(), text(r, "value").to_owned()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The scope rows of `enforced` missing from `scopes`.
pub fn missing_scopes(scopes: &[(String, String)], enforced: &[(String, String)]) -> Vec<(String, String)> {
    enforced.iter().filter(|e| !scopes.contains(e)).cloned().collect()
}

/// The cross-Organization guard (SPEC UA-3): a grant scoped to another Organization
/// (`openova.io/org` or `openova.io/organization`) is refused unless the requester's tier is
/// `owner` (or `catalyst-owner`).
///
/// # Errors
/// `CrossOrgGrantRefused: …` naming the Organization.
pub fn cross_org_grant(grant: &Grant, requester_org: &str, requester_tier: &str) -> Result<(), String> {
    if matches!(requester_tier, "owner" | "catalyst-owner") {
        return Ok(());
    }
    let refuse = |what: String| {
        Err(format!(
            "CrossOrgGrantRefused: UserAccess {} grants {what}, beyond the requester's Organization {requester_org:?}; only an owner may grant across Organizations",
            grant.name
        ))
    };
    if grant.tier_role_ref.is_some() && cluster_wide(&grant.scopes) {
        return refuse("cluster-wide (no scope)".into());
    }
    for (k, v) in &grant.scopes {
        let org_key = k == keys::ORG || k == keys::ORGANIZATION;
        if org_key && v != requester_org {
            return refuse(format!("on Organization {v:?}"));
        }
        // `*=<org>` matches an Organization label among others.
        if k == "*"
            && v != "*"
            && v != requester_org
            && !grant
                .scopes
                .iter()
                .any(|(k2, v2)| (k2 == keys::ORG || k2 == keys::ORGANIZATION) && v2 == requester_org)
        {
            return refuse(format!("on any label with value {v:?}"));
        }
    }
    if grant.tier_role_ref.is_some()
        && !grant
            .scopes
            .iter()
            .any(|(k, v)| (k == keys::ORG || k == keys::ORGANIZATION) && v == requester_org)
    {
        return refuse("without an Organization scope".into());
    }
    Ok(())
}

// ---- the role catalogue --------------------------------------------------------------------

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

const READ: &[&str] = &["get", "list", "watch"];
const ALL: &[&str] = &["get", "list", "watch", "create", "update", "patch", "delete"];

fn application_rules(role: &str) -> Vec<Value> {
    let core_read =
        ["pods", "pods/log", "services", "configmaps", "persistentvolumeclaims", "serviceaccounts", "events"];
    let workloads = [
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "deployments/scale",
        "statefulsets/scale",
    ];
    let verbs = if role == "viewer" { READ } else { ALL };
    let mut core: Vec<&str> = core_read.to_vec();
    if role != "viewer" {
        core.extend(["pods/exec", "pods/portforward"]);
    }
    if role == "admin" {
        core.push("secrets");
    }
    let mut rules = vec![
        rule(&[""], &core, verbs),
        rule(&["apps"], &workloads, verbs),
        rule(&["batch"], &["jobs", "cronjobs"], verbs),
        rule(&["networking.k8s.io"], &["ingresses", "networkpolicies"], verbs),
    ];
    if role == "admin" {
        rules.push(rule(&[RBAC], &["roles", "rolebindings"], ALL));
    }
    rules
}

fn tier_rules(tier: crate::crd::Tier) -> Vec<Value> {
    use crate::crd::Tier;
    match tier {
        Tier::Viewer => vec![
            rule(
                &[""],
                &[
                    "pods",
                    "pods/log",
                    "services",
                    "configmaps",
                    "events",
                    "persistentvolumeclaims",
                    "namespaces",
                ],
                READ,
            ),
            rule(&["apps"], &["deployments", "statefulsets", "daemonsets", "replicasets"], READ),
            rule(&["batch"], &["jobs", "cronjobs"], READ),
            rule(&["networking.k8s.io"], &["ingresses", "networkpolicies"], READ),
            rule(&["apps.openova.io"], &["applications"], READ),
            rule(&["catalyst.openova.io"], &["environments", "blueprints"], READ),
        ],
        Tier::Developer => vec![rule(&[""], &["pods/exec", "pods/portforward"], &["create", "get"])],
        Tier::Operator => vec![
            rule(&[""], &["serviceaccounts"], ALL),
            rule(&[""], &["serviceaccounts/token"], &["create"]),
            rule(&["apps.openova.io"], &["applications"], &["patch"]),
            rule(&["dr.openova.io"], &["continuums"], &["get", "list", "watch", "update", "patch"]),
            rule(&["dr.openova.io"], &["continuums/status"], READ),
            rule(&["postgresql.cnpg.io"], &["clusters"], READ),
        ],
        Tier::Admin => vec![
            rule(&[""], &["secrets"], ALL),
            rule(&["apps"], &["deployments", "statefulsets", "daemonsets", "replicasets"], ALL),
            rule(&["apps.openova.io"], &["applications"], ALL),
            rule(&["helm.toolkit.fluxcd.io"], &["helmreleases"], ALL),
            rule(&["kustomize.toolkit.fluxcd.io"], &["kustomizations"], ALL),
            rule(&["orgs.openova.io"], &["organizations"], &["get", "list", "watch", "update", "patch"]),
            rule(&["cilium.io"], &["ciliumnetworkpolicies"], ALL),
        ],
        Tier::Owner => vec![
            rule(&[RBAC], &["roles", "rolebindings", "clusterroles", "clusterrolebindings"], ALL),
            rule(&["access.openova.io"], &["useraccesses"], ALL),
            rule(&["orgs.openova.io"], &["organizations"], &["create", "delete"]),
        ],
    }
}

/// The eight `ClusterRoles` the bindings refer to: `openova:application-{admin,editor,viewer}`
/// and `openova:tier-{viewer,developer,operator,admin,owner}` (levels 10 … 50, each tier with
/// the rules of every tier below it; the developer tier carries the `openova.io/env-type=dev`
/// enforced scope).
pub fn role_catalogue() -> Vec<Value> {
    use crate::crd::Tier;
    let mut out: Vec<Value> = APPLICATION_ROLES
        .iter()
        .map(|r| {
            json!({"apiVersion": format!("{RBAC}/v1"), "kind": "ClusterRole",
                   "metadata": {"name": format!("openova:application-{r}"), "labels": {keys::MANAGED_BY: "catalyst"}},
                   "rules": application_rules(r)})
        })
        .collect();
    for tier in Tier::ALL {
        let rules: Vec<Value> = Tier::ALL.into_iter().filter(|t| *t <= tier).flat_map(tier_rules).collect();
        let mut metadata = json!({
            "name": tier.cluster_role(),
            "labels": {"catalyst.openova.io/tier-name": tier.name(), "catalyst.openova.io/tier-level": tier.level().to_string(),
                       "policy-tier": "catalog-tier", keys::MANAGED_BY: "catalyst"},
        });
        if let Some((k, v)) = tier.injected_scope() {
            metadata["annotations"] = json!({ENFORCED_SCOPES: json!([{"key": k, "value": v}]).to_string()});
        }
        out.push(json!({"apiVersion": format!("{RBAC}/v1"), "kind": "ClusterRole", "metadata": metadata, "rules": rules}));
    }
    out
}
