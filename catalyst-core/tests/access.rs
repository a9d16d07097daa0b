//! What the useraccess-controller makes of a UserAccess (SPEC CTRL-4, §12): the platform's
//! parse errors verbatim, both binding shapes, scope matching, long names, the role catalogue
//! and the cross-Organization guard.

#![allow(clippy::unwrap_used, clippy::needless_pass_by_value)]

use catalyst_core::access::{
    NamespaceLabels, cross_org_grant, desired, enforced_scopes, missing_scopes, parse, role_catalogue,
    short_name,
};
use serde_json::{Value, json};

fn ua(spec: Value) -> Value {
    json!({"apiVersion": "access.openova.io/v1alpha1", "kind": "UserAccess",
           "metadata": {"name": "alice", "uid": "uid-alice"}, "spec": spec})
}

fn ns(name: &str, labels: Value) -> NamespaceLabels {
    NamespaceLabels::of(&json!({"metadata": {"name": name, "labels": labels}}))
}

fn names(bindings: &[Value]) -> Vec<String> {
    bindings
        .iter()
        .map(|b| {
            let ns = b["metadata"]["namespace"].as_str().map(|n| format!("{n}/")).unwrap_or_default();
            format!("{} {ns}{}", b["kind"].as_str().unwrap(), b["metadata"]["name"].as_str().unwrap())
        })
        .collect()
}

#[test]
fn names_that_would_reach_other_roles_or_labels_are_invalid() {
    let base = |extra: Value| {
        let mut spec = json!({"user": {"keycloakSubject": "a"}, "sovereignRef": "acme"});
        spec.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        parse(&ua(spec))
    };
    assert_eq!(
        base(json!({"tierRoleRef": "cluster-admin"})).unwrap_err(),
        "spec.tierRoleRef \"cluster-admin\" must be openova:tier-viewer, -developer, -operator, -admin or -owner"
    );
    assert!(base(json!({"tierRoleRef": "openova:tier-root"})).is_err());
    assert_eq!(
        base(json!({"applications": [{"app": "a/b", "role": "admin", "namespaces": ["x"]}]})).unwrap_err(),
        "spec.applications[0].app must match ^[a-z0-9][a-z0-9-]{0,62}$"
    );
    let mut bad = ua(
        json!({"user": {"keycloakSubject": "a"}, "sovereignRef": "acme.example", "tierRoleRef": "openova:tier-viewer"}),
    );
    assert_eq!(parse(&bad).unwrap_err(), "spec.sovereignRef must match ^[a-z0-9][a-z0-9-]{0,62}$");
    bad["spec"]["sovereignRef"] = json!("acme");
    assert!(parse(&bad).is_ok());
    // The same application and role twice: one binding.
    let g = base(json!({"applications": [{"app": "x", "role": "admin", "namespaces": ["n"]}, {"app": "x", "role": "admin", "namespaces": ["n"]}]})).unwrap();
    assert_eq!(desired(&g, &[]).bindings.len(), 1);
}

#[test]
fn parse_errors_are_the_platforms() {
    let cases = [
        (
            json!({"user": {}, "sovereignRef": "acme"}),
            "spec.user must set keycloakSubject and/or keycloakGroups",
        ),
        (
            json!({"user": {"keycloakSubject": "  "}}),
            "spec.user must set keycloakSubject and/or keycloakGroups",
        ),
        (json!({"user": {"keycloakSubject": "a"}}), "spec.sovereignRef is required"),
        (
            json!({"user": {"keycloakSubject": "a"}, "sovereignRef": "s"}),
            "spec.applications must contain at least one entry (or set spec.tierRoleRef for the tier-aware path)",
        ),
        (
            json!({"user": {"keycloakSubject": "a"}, "sovereignRef": "s", "applications": [{"role": "admin", "namespaces": ["x"]}]}),
            "spec.applications[0].app is required",
        ),
        (
            json!({"user": {"keycloakSubject": "a"}, "sovereignRef": "s", "applications": [{"app": "x", "role": "root", "namespaces": ["x"]}]}),
            "spec.applications[0].role must be one of admin, editor, viewer",
        ),
        (
            json!({"user": {"keycloakSubject": "a"}, "sovereignRef": "s", "applications": [{"app": "x", "role": "viewer", "namespaces": ["x"]}, {"app": "y", "role": "viewer"}]}),
            "spec.applications[1] must set namespaces[] or vClusters[]",
        ),
    ];
    for (spec, message) in cases {
        assert_eq!(parse(&ua(spec.clone())).unwrap_err(), message, "{spec}");
    }
}

#[test]
fn application_path_bindings() {
    // One RoleBinding (the platform's T1).
    let g = parse(&ua(json!({"user": {"keycloakSubject": "abc-123"}, "sovereignRef": "acme",
        "applications": [{"app": "acme", "role": "editor", "namespaces": ["acme-prod"]}]})))
    .unwrap();
    let d = desired(&g, &[]);
    assert_eq!(names(&d.bindings), ["RoleBinding acme-prod/useraccess-alice-acme-editor"]);
    let b = &d.bindings[0];
    assert_eq!(
        b["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "openova:application-editor"})
    );
    assert_eq!(
        b["subjects"],
        json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "oidc:abc-123"}])
    );
    assert_eq!(
        b["metadata"]["ownerReferences"],
        json!([{"apiVersion": "access.openova.io/v1alpha1", "kind": "UserAccess", "name": "alice", "uid": "uid-alice", "controller": true, "blockOwnerDeletion": true}])
    );
    assert_eq!(
        b["metadata"]["labels"],
        json!({"openova.io/managed-by": "useraccess-controller", "access.openova.io/useraccess": "alice",
               "catalyst.openova.io/sovereign": "acme", "access.openova.io/application": "acme", "access.openova.io/role": "editor"})
    );
    // Three namespaces and a vCluster (T2), deduplicated, order kept.
    let g = parse(&ua(json!({"user": {"keycloakSubject": "a", "keycloakGroups": ["/acme/devs", " "]}, "sovereignRef": "acme",
        "applications": [{"app": "acme", "role": "viewer", "namespaces": ["b", "a", "c", "a"], "vClusters": ["acme"]}]}))).unwrap();
    let d = desired(&g, &[]);
    assert_eq!(
        names(&d.bindings),
        [
            "RoleBinding b/useraccess-alice-acme-viewer",
            "RoleBinding a/useraccess-alice-acme-viewer",
            "RoleBinding c/useraccess-alice-acme-viewer",
            "RoleBinding vcluster-acme/useraccess-alice-acme-viewer"
        ]
    );
    assert_eq!(
        d.bindings[0]["subjects"][1],
        json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "oidc:/acme/devs"})
    );
    // `*` (T3): one ClusterRoleBinding.
    let g = parse(&ua(json!({"user": {"keycloakSubject": "a"}, "sovereignRef": "acme",
        "applications": [{"app": "acme", "role": "admin", "namespaces": ["x", "*"]}]})))
    .unwrap();
    assert_eq!(names(&desired(&g, &[]).bindings), ["ClusterRoleBinding useraccess-alice-acme-admin"]);
}

#[test]
fn the_organization_owner_shape_becomes_an_admin_binding() {
    // What the organization-controller writes for owner ops@acme.example of Organization acme.
    let org = catalyst_core::crd::Organization::new(
        "acme",
        catalyst_core::crd::OrganizationSpec::new(
            "acme",
            "Acme",
            catalyst_core::crd::OrganizationKind::Customer,
            catalyst_core::crd::OrganizationTier::Org,
            catalyst_core::crd::BillingMode::Real,
            vec![catalyst_core::crd::Owner::new("ops@acme.example", catalyst_core::crd::OwnerRole::Owner)],
            "x.example",
        ),
    );
    let (uas, _) = catalyst_core::tenant::user_accesses(&org);
    let g = parse(&uas[0]).unwrap();
    let d = desired(&g, &[]);
    assert_eq!(names(&d.bindings), ["RoleBinding acme/useraccess-acme-ops-at-acme-example-acme-admin"]);
    assert_eq!(d.bindings[0]["roleRef"]["name"], "openova:application-admin");
    assert_eq!(d.bindings[0]["subjects"][0]["name"], "oidc:ops@acme.example");
}

#[test]
fn tier_path_scopes() {
    let namespaces = [
        ns(
            "acme-dev",
            json!({"openova.io/organization": "acme", "openova.io/env-type": "dev", "openova.io/application": "shop"}),
        ),
        ns(
            "acme-prod",
            json!({"openova.io/organization": "acme", "openova.io/env-type": "prod", "openova.io/application": "shop"}),
        ),
        ns("globex-dev", json!({"openova.io/organization": "globex", "openova.io/env-type": "dev"})),
    ];
    let grant = |scopes: Value, extra: Value| {
        let mut spec = json!({"user": {"keycloakSubject": "a"}, "sovereignRef": "acme",
            "tierRoleRef": "openova:tier-developer", "scopes": scopes});
        if let (Some(s), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        let mut doc = ua(spec);
        doc["metadata"]["labels"] = json!({"catalyst.openova.io/tier": "developer"});
        parse(&doc).unwrap()
    };
    // AND within one UserAccess; the legacy shape parses too.
    let g = grant(
        json!([{"key": "openova.io/organization", "value": "acme"}, {"labelKey": "openova.io/env-type", "labelValue": "dev"}]),
        json!({}),
    );
    let d = desired(&g, &namespaces);
    assert_eq!(names(&d.bindings), ["RoleBinding acme-dev/useraccess-alice-developer"]);
    assert_eq!(d.bindings[0]["roleRef"]["name"], "openova:tier-developer");
    assert_eq!(d.bindings[0]["metadata"]["labels"]["access.openova.io/tier"], "developer");
    assert_eq!(d.tier_message.as_deref(), Some("emitted 1 RoleBinding(s) across resolved namespaces"));
    // key=* : key present; *=v : any label with that value; sorted.
    let g = grant(json!([{"key": "openova.io/application", "value": "*"}]), json!({}));
    assert_eq!(
        names(&desired(&g, &namespaces).bindings),
        [
            "RoleBinding acme-dev/useraccess-alice-developer",
            "RoleBinding acme-prod/useraccess-alice-developer"
        ]
    );
    let g = grant(json!([{"key": "*", "value": "dev"}]), json!({}));
    assert_eq!(
        names(&desired(&g, &namespaces).bindings),
        [
            "RoleBinding acme-dev/useraccess-alice-developer",
            "RoleBinding globex-dev/useraccess-alice-developer"
        ]
    );
    // No match: no binding.
    let g = grant(json!([{"key": "openova.io/organization", "value": "initech"}]), json!({}));
    assert!(desired(&g, &namespaces).bindings.is_empty());
    // Empty or all wildcards: one ClusterRoleBinding; applications[] ignored and said so.
    for scopes in [json!([]), json!([{"key": "*", "value": "*"}])] {
        let g = grant(scopes, json!({"applications": [{"app": "x", "role": "admin", "namespaces": ["x"]}]}));
        let d = desired(&g, &namespaces);
        assert_eq!(names(&d.bindings), ["ClusterRoleBinding useraccess-alice-developer"]);
        assert_eq!(
            d.tier_message.as_deref(),
            Some(
                "wildcard/empty scope → ClusterRoleBinding; spec.applications[] ignored — tier path takes precedence"
            )
        );
    }
    // The label's tier beats the legacy spec.tier.
    let g = grant(json!([]), json!({"tier": "operator"}));
    assert_eq!(g.tier.as_deref(), Some("developer"));
    let mut doc = ua(
        json!({"user": {"keycloakSubject": "a"}, "sovereignRef": "acme", "tierRoleRef": "openova:tier-operator", "tier": "tier-Operator"}),
    );
    doc["metadata"]["labels"] = json!({});
    assert_eq!(
        names(&desired(&parse(&doc).unwrap(), &[]).bindings),
        ["ClusterRoleBinding useraccess-alice-operator"]
    );
}

#[test]
fn long_names_are_hashed_and_stay_distinct() {
    let long = format!("useraccess-{}-acme-admin", "x".repeat(80));
    let other = format!("useraccess-{}-acme-editor", "x".repeat(80));
    let (a, b) = (short_name(&long), short_name(&other));
    assert_eq!((a.len() <= 63, b.len() <= 63), (true, true));
    assert_ne!(a, b);
    assert!(a.starts_with("useraccess-xxx"));
    assert_eq!(short_name("useraccess-alice-acme-admin"), "useraccess-alice-acme-admin");
    // FNV-1a-32 of the whole name in base 36 (computed independently: 0x… → "15lasju").
    assert_eq!(a, format!("useraccess-{}-15lasju", "x".repeat(44)));
}

#[test]
fn enforced_scopes_and_the_cross_org_guard() {
    let catalogue = role_catalogue();
    let developer = catalogue.iter().find(|r| r["metadata"]["name"] == "openova:tier-developer").unwrap();
    let enforced = enforced_scopes(developer);
    assert_eq!(enforced, [("openova.io/env-type".to_owned(), "dev".to_owned())]);
    assert_eq!(missing_scopes(&[], &enforced), enforced);
    assert!(missing_scopes(&enforced, &enforced).is_empty());
    assert!(
        enforced_scopes(
            &json!({"metadata": {"annotations": {"catalyst.openova.io/enforced-scopes": "not json"}}})
        )
        .is_empty()
    );
    let g = parse(&ua(
        json!({"user": {"keycloakSubject": "a"}, "sovereignRef": "acme", "tierRoleRef": "openova:tier-admin",
        "scopes": [{"key": "openova.io/org", "value": "globex"}]}),
    ))
    .unwrap();
    let err = cross_org_grant(&g, "acme", "admin").unwrap_err();
    assert!(
        err.starts_with("CrossOrgGrantRefused: UserAccess alice grants on Organization \"globex\""),
        "{err}"
    );
    assert!(cross_org_grant(&g, "acme", "owner").is_ok());
    assert!(cross_org_grant(&g, "globex", "viewer").is_ok());
    // The ways around it are closed: a wildcard Organization, a value-only row naming another
    // Organization, and no Organization scope at all (cluster-wide).
    let grant = |scopes: Value| {
        parse(&ua(json!({"user": {"keycloakSubject": "a"}, "sovereignRef": "acme",
        "tierRoleRef": "openova:tier-admin", "scopes": scopes})))
        .unwrap()
    };
    for (scopes, why) in [
        (json!([{"key": "openova.io/org", "value": "*"}]), "on Organization \"*\""),
        (json!([{"key": "*", "value": "globex"}]), "on any label with value \"globex\""),
        (json!([]), "cluster-wide (no scope)"),
        (json!([{"key": "openova.io/env-type", "value": "dev"}]), "without an Organization scope"),
    ] {
        let err = cross_org_grant(&grant(scopes.clone()), "acme", "admin").unwrap_err();
        assert!(err.contains(why), "{scopes}: {err}");
    }
    assert!(
        cross_org_grant(
            &grant(
                json!([{"key": "openova.io/organization", "value": "acme"}, {"key": "*", "value": "dev"}])
            ),
            "acme",
            "admin"
        )
        .is_ok()
    );
}

#[test]
fn the_role_catalogue() {
    let catalogue = role_catalogue();
    let names: Vec<&str> = catalogue.iter().map(|r| r["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "openova:application-admin",
            "openova:application-editor",
            "openova:application-viewer",
            "openova:tier-viewer",
            "openova:tier-developer",
            "openova:tier-operator",
            "openova:tier-admin",
            "openova:tier-owner"
        ]
    );
    let rules = |n: &str| {
        catalogue.iter().find(|r| r["metadata"]["name"] == n).unwrap()["rules"].as_array().unwrap().clone()
    };
    // Each tier includes every lower tier's rules; levels 10 … 50.
    let tiers = ["viewer", "developer", "operator", "admin", "owner"];
    for pair in tiers.windows(2) {
        let (lower, higher) =
            (rules(&format!("openova:tier-{}", pair[0])), rules(&format!("openova:tier-{}", pair[1])));
        assert!(higher.len() > lower.len());
        assert!(lower.iter().all(|r| higher.contains(r)), "{} lacks {}'s rules", pair[1], pair[0]);
    }
    let levels: Vec<&str> = catalogue[3..]
        .iter()
        .map(|r| r["metadata"]["labels"]["catalyst.openova.io/tier-level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["10", "20", "30", "40", "50"]);
    // Secrets only for application admins; viewers never exec.
    let has = |n: &str, res: &str| {
        rules(n).iter().any(|r| r["resources"].as_array().unwrap().iter().any(|x| x == res))
    };
    assert!(has("openova:application-admin", "secrets") && !has("openova:application-editor", "secrets"));
    assert!(
        !has("openova:application-viewer", "pods/exec") && has("openova:application-editor", "pods/exec")
    );
    // Every one is a valid ClusterRole.
    for r in &catalogue {
        let typed: k8s_openapi::api::rbac::v1::ClusterRole = serde_json::from_value(r.clone()).unwrap();
        assert_eq!(&serde_json::to_value(typed).unwrap(), r);
    }
}

proptest::proptest! {
    /// Whatever the names, every binding's name and label fit in 63 characters, distinct
    /// UserAccess names give distinct binding names, and the subject is the one asked for.
    #[test]
    fn names_fit_and_stay_distinct(a in "[a-z0-9-]{1,120}", b in "[a-z0-9-]{1,120}", app in "[a-z0-9][a-z0-9-]{0,62}") {
        let grant = |name: &str| parse(&json!({"metadata": {"name": name, "uid": "u"}, "spec": {
            "user": {"keycloakSubject": "s"}, "sovereignRef": "acme",
            "applications": [{"app": app, "role": "viewer", "namespaces": ["n"]}]}})).unwrap();
        let (ga, gb) = (grant(&a), grant(&b));
        let (da, db) = (desired(&ga, &[]).bindings, desired(&gb, &[]).bindings);
        for d in [&da, &db] {
            proptest::prop_assert!(d[0]["metadata"]["name"].as_str().unwrap().len() <= 63);
            proptest::prop_assert!(d[0]["metadata"]["labels"]["access.openova.io/useraccess"].as_str().unwrap().len() <= 63);
            proptest::prop_assert_eq!(&d[0]["subjects"][0]["name"], "oidc:s");
        }
        if a != b {
            proptest::prop_assert_ne!(&da[0]["metadata"]["name"], &db[0]["metadata"]["name"]);
        }
    }
}
