//! The useraccess-controller's reconcile against the in-memory Kubernetes API: the platform's
//! scenarios (one binding; namespaces and a vCluster; `*`; groups; drift; shrink; no writes on a
//! second pass; the tier path) and the attacker's (a binding of that name that is not ours).

#![allow(clippy::unwrap_used, clippy::needless_pass_by_value)]

mod support;

use serde_json::json;
use support::*;
use useraccess_controller::reconcile::reconcile_user_access;

fn legacy(apps: serde_json::Value) -> serde_json::Value {
    json!({"user": {"keycloakSubject": "abc-123"}, "sovereignRef": "acme", "applications": apps})
}

#[tokio::test]
async fn one_role_binding_and_the_status() {
    let w = world();
    w.api.put_object(&user_access(
        "alice",
        legacy(json!([{"app": "acme", "role": "editor", "namespaces": ["acme-prod"]}])),
    ));
    let out = reconcile_user_access("alice", &w.ctx).await.unwrap();
    assert_eq!((out.phase, out.created, out.deleted), (Some("Active"), 1, 0));
    assert_eq!(
        bindings(&w),
        ["RoleBinding acme-prod/useraccess-alice-acme-editor -> openova:application-editor"]
    );
    let rb = w.api.object(&rb_key("acme-prod", "useraccess-alice-acme-editor")).unwrap();
    assert_eq!(
        rb["subjects"],
        json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "oidc:abc-123"}])
    );
    assert_eq!(rb["metadata"]["ownerReferences"][0]["uid"], "uid-alice");
    let st = w.api.object(&ua_key("alice")).unwrap()["status"].clone();
    assert_eq!(
        (st["phase"].as_str(), st["rolebindingsCreated"].as_i64(), st["observedGeneration"].as_i64()),
        (Some("Active"), Some(1), Some(1))
    );
    assert_eq!(condition(&w, "alice", "Ready").unwrap().0, "True");
    assert_eq!(condition(&w, "alice", "EnforcedScopeApplied").unwrap().1, "NoTierLabel");
    // A second pass writes nothing at all.
    let before = w.api.writes().len();
    let out = reconcile_user_access("alice", &w.ctx).await.unwrap();
    assert_eq!((out.created, out.updated, out.deleted, out.status_written), (0, 0, 0, false));
    assert_eq!(w.api.writes().len(), before, "{:?}", kube_writes(&w)[before..].to_vec());
}

#[tokio::test]
async fn namespaces_vclusters_wildcards_and_groups() {
    let w = world();
    w.api.put_object(&user_access("bob", json!({"user": {"keycloakSubject": "bob", "keycloakGroups": ["/acme/devs"]}, "sovereignRef": "acme",
        "applications": [{"app": "acme", "role": "viewer", "namespaces": ["a", "b", "c"], "vClusters": ["acme"]},
                         {"app": "ops", "role": "admin", "namespaces": ["*"]}]})));
    reconcile_user_access("bob", &w.ctx).await.unwrap();
    assert_eq!(
        bindings(&w),
        [
            "RoleBinding a/useraccess-bob-acme-viewer -> openova:application-viewer",
            "RoleBinding b/useraccess-bob-acme-viewer -> openova:application-viewer",
            "RoleBinding c/useraccess-bob-acme-viewer -> openova:application-viewer",
            "RoleBinding vcluster-acme/useraccess-bob-acme-viewer -> openova:application-viewer",
            "ClusterRoleBinding useraccess-bob-ops-admin -> openova:application-admin",
        ]
    );
    let crb = w.api.object(&crb_key("useraccess-bob-ops-admin")).unwrap();
    assert_eq!(
        crb["subjects"][1],
        json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "oidc:/acme/devs"})
    );
}

#[tokio::test]
async fn drift_is_restored_and_a_shrink_deletes_orphans() {
    let w = world();
    w.api.put_object(&user_access(
        "alice",
        legacy(json!([{"app": "acme", "role": "editor", "namespaces": ["a", "b"]}])),
    ));
    reconcile_user_access("alice", &w.ctx).await.unwrap();
    // Someone adds a subject by hand, and another one changes a roleRef (immutable in
    // Kubernetes: it is deleted and created again).
    w.api.patch_object(
        &rb_key("a", "useraccess-alice-acme-editor"),
        &json!({"subjects": [{"kind": "User", "name": "oidc:mallory"}]}),
    );
    w.api.patch_object(
        &rb_key("b", "useraccess-alice-acme-editor"),
        &json!({"roleRef": {"name": "openova:application-admin"}}),
    );
    let out = reconcile_user_access("alice", &w.ctx).await.unwrap();
    assert_eq!((out.updated, out.deleted, out.created), (1, 1, 1));
    assert_eq!(
        w.api.object(&rb_key("a", "useraccess-alice-acme-editor")).unwrap()["subjects"][0]["name"],
        "oidc:abc-123"
    );
    assert_eq!(
        w.api.object(&rb_key("b", "useraccess-alice-acme-editor")).unwrap()["roleRef"]["name"],
        "openova:application-editor"
    );
    assert_eq!(
        condition(&w, "alice", "Drift").unwrap(),
        ("True".into(), "DriftRestored".into(), "hand-mutated rolebinding restored to desired shape".into())
    );
    // Shrink: namespace b leaves the grant.
    w.api.patch_object(
        &ua_key("alice"),
        &json!({"spec": {"applications": [{"app": "acme", "role": "editor", "namespaces": ["a"]}]}}),
    );
    let out = reconcile_user_access("alice", &w.ctx).await.unwrap();
    assert_eq!(out.deleted, 1);
    assert_eq!(bindings(&w), ["RoleBinding a/useraccess-alice-acme-editor -> openova:application-editor"]);
    assert!(condition(&w, "alice", "Drift").is_none(), "no drift repaired this time");
}

#[tokio::test]
async fn a_binding_that_is_not_ours_is_neither_taken_over_nor_deleted() {
    let w = world();
    // Same name, other owner; and a forged label on a binding owned by someone else.
    w.api.put_object(&json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "useraccess-alice-acme-editor", "namespace": "a", "ownerReferences": [{"kind": "UserAccess", "uid": "uid-other"}]},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "openova:application-viewer"}, "subjects": []}));
    w.api.put_object(&json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "keep-me", "namespace": "z", "labels": {"access.openova.io/useraccess": "alice"},
                     "ownerReferences": [{"kind": "UserAccess", "uid": "uid-other"}]},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "openova:application-viewer"}, "subjects": []}));
    w.api.put_object(&user_access(
        "alice",
        legacy(json!([{"app": "acme", "role": "editor", "namespaces": ["a"]}])),
    ));
    let err = reconcile_user_access("alice", &w.ctx).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "UserAccess alice: RoleBinding a/useraccess-alice-acme-editor exists and is not this UserAccess's; not taken over"
    );
    assert_eq!(
        w.api.object(&rb_key("a", "useraccess-alice-acme-editor")).unwrap()["roleRef"]["name"],
        "openova:application-viewer"
    );
    assert!(w.api.object(&rb_key("z", "keep-me")).is_some());
    assert_eq!(condition(&w, "alice", "Ready").unwrap().1, "ApplyFailed");
    assert_eq!(w.api.object(&ua_key("alice")).unwrap()["status"]["phase"], "Failed");
}

#[tokio::test]
async fn invalid_specs_fail_with_the_platforms_message_and_no_requeue() {
    let w = world();
    w.api.put_object(&user_access(
        "eve",
        json!({"user": {"keycloakSubject": "e"}, "sovereignRef": "acme",
        "applications": [{"app": "x", "role": "root", "namespaces": ["x"]}]}),
    ));
    let out = reconcile_user_access("eve", &w.ctx).await.unwrap();
    assert_eq!((out.phase, out.requeue), (Some("Failed"), None));
    assert_eq!(
        condition(&w, "eve", "Ready").unwrap(),
        (
            "False".into(),
            "Invalid".into(),
            "spec.applications[0].role must be one of admin, editor, viewer".into()
        )
    );
    assert!(bindings(&w).is_empty());
    // Nothing is written again while it stays invalid.
    let before = w.api.writes().len();
    reconcile_user_access("eve", &w.ctx).await.unwrap();
    assert_eq!(w.api.writes().len(), before);
}

#[tokio::test]
async fn the_tier_path_with_enforced_scopes() {
    let w = world();
    w.api.put_object(&namespace(
        "acme-dev",
        json!({"openova.io/organization": "acme", "openova.io/env-type": "dev"}),
    ));
    w.api.put_object(&namespace(
        "acme-prod",
        json!({"openova.io/organization": "acme", "openova.io/env-type": "prod"}),
    ));
    w.api.put_object(&namespace(
        "globex-dev",
        json!({"openova.io/organization": "globex", "openova.io/env-type": "dev"}),
    ));
    let mut ua = user_access(
        "dave",
        json!({"user": {"keycloakSubject": "dave"}, "sovereignRef": "acme",
        "tierRoleRef": "openova:tier-developer", "scopes": [{"labelKey": "openova.io/organization", "labelValue": "acme"}],
        "applications": [{"app": "x", "role": "admin", "namespaces": ["x"]}]}),
    );
    ua["metadata"]["labels"] = json!({"catalyst.openova.io/tier": "developer"});
    w.api.put_object(&ua);
    let out = reconcile_user_access("dave", &w.ctx).await.unwrap();
    // The developer tier's enforced env-type=dev was added to spec.scopes (as {key, value} rows).
    assert_eq!(out.scopes_injected, 1);
    assert_eq!(
        w.api.object(&ua_key("dave")).unwrap()["spec"]["scopes"],
        json!([{"key": "openova.io/organization", "value": "acme"}, {"key": "openova.io/env-type", "value": "dev"}])
    );
    assert_eq!(bindings(&w), ["RoleBinding acme-dev/useraccess-dave-developer -> openova:tier-developer"]);
    assert_eq!(condition(&w, "dave", "EnforcedScopeApplied").unwrap().1, "AutoInjected");
    assert_eq!(condition(&w, "dave", "TierResolved").unwrap().0, "True");
    assert_eq!(
        condition(&w, "dave", "BindingsReconciled").unwrap().2,
        "emitted 1 RoleBinding(s) across resolved namespaces; spec.applications[] ignored — tier path takes precedence"
    );
    // Steady: nothing more is written.
    reconcile_user_access("dave", &w.ctx).await.unwrap();
    let before = w.api.writes().len();
    let out = reconcile_user_access("dave", &w.ctx).await.unwrap();
    assert_eq!((out.scopes_injected, out.created, out.status_written), (0, 0, false));
    assert_eq!(w.api.writes().len(), before);
    // A developer grant whose ClusterRole is missing, with a tier label that says otherwise: the
    // role actually bound decides, and its built-in minimum env-type=dev is still added.
    w.api.delete_object("rbac.authorization.k8s.io/v1/clusterroles/openova:tier-developer");
    let mut ua = user_access(
        "olga",
        json!({"user": {"keycloakSubject": "o"}, "sovereignRef": "acme", "tierRoleRef": "openova:tier-developer",
               "scopes": [{"key": "openova.io/organization", "value": "acme"}]}),
    );
    ua["metadata"]["labels"] = json!({"catalyst.openova.io/tier": "viewer"});
    w.api.put_object(&ua);
    reconcile_user_access("olga", &w.ctx).await.unwrap();
    assert_eq!(condition(&w, "olga", "TierResolved").unwrap().1, "TierClusterRoleNotFound");
    assert_eq!(
        w.api.object(&ua_key("olga")).unwrap()["spec"]["scopes"][1],
        json!({"key": "openova.io/env-type", "value": "dev"})
    );
    assert!(
        bindings(&w)
            .contains(&"RoleBinding acme-dev/useraccess-olga-viewer -> openova:tier-developer".to_owned())
    );
    assert!(!bindings(&w).iter().any(|b| b.contains("acme-prod/useraccess-olga")));
    // A tierRoleRef that is not one of the five tier roles is invalid, whatever it names.
    let mut ua = user_access(
        "mallory",
        json!({"user": {"keycloakSubject": "m"}, "sovereignRef": "acme", "tierRoleRef": "cluster-admin"}),
    );
    ua["metadata"]["labels"] = json!({"catalyst.openova.io/tier": "owner"});
    w.api.put_object(&ua);
    let out = reconcile_user_access("mallory", &w.ctx).await.unwrap();
    assert_eq!(out.phase, Some("Failed"));
    assert!(!bindings(&w).iter().any(|b| b.contains("mallory")));
}

#[tokio::test]
async fn an_organization_owner_gets_the_admin_binding_in_the_org_namespace() {
    let w = world();
    let org = catalyst_core::crd::Organization::new(
        "acme",
        catalyst_core::crd::OrganizationSpec::new(
            "acme",
            "Acme",
            catalyst_core::crd::OrganizationKind::Customer,
            catalyst_core::crd::OrganizationTier::Org,
            catalyst_core::crd::BillingMode::Real,
            vec![catalyst_core::crd::Owner::new("ceo@acme.example", catalyst_core::crd::OwnerRole::Owner)],
            "x.example",
        ),
    );
    let (uas, _) = catalyst_core::tenant::user_accesses(&org);
    let mut ua = uas[0].clone();
    ua["metadata"]["uid"] = json!("uid-ua");
    w.api.put_object(&ua);
    reconcile_user_access("acme-ceo-at-acme-example", &w.ctx).await.unwrap();
    assert_eq!(
        bindings(&w),
        ["RoleBinding acme/useraccess-acme-ceo-at-acme-example-acme-admin -> openova:application-admin"]
    );
}

#[tokio::test]
async fn a_missing_user_access_is_nothing_to_do() {
    let w = world();
    assert_eq!(
        reconcile_user_access("ghost", &w.ctx).await.unwrap(),
        useraccess_controller::reconcile::Outcome::default()
    );
    assert!(w.api.writes().is_empty());
}

#[tokio::test]
async fn an_invalid_edit_revokes_and_a_blocked_binding_does_not_stop_revocation() {
    let w = world();
    w.api.put_object(&user_access(
        "alice",
        legacy(json!([{"app": "acme", "role": "admin", "namespaces": ["a", "b"]}])),
    ));
    reconcile_user_access("alice", &w.ctx).await.unwrap();
    assert_eq!(bindings(&w).len(), 2);
    // Shrink to namespace c while someone holds c's binding name: b is still revoked.
    w.api.put_object(&json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "useraccess-alice-acme-admin", "namespace": "c", "ownerReferences": [{"kind": "UserAccess", "uid": "uid-other"}]},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "openova:application-viewer"}, "subjects": []}));
    w.api.patch_object(
        &ua_key("alice"),
        &json!({"spec": {"applications": [{"app": "acme", "role": "admin", "namespaces": ["a", "c"]}]}}),
    );
    assert!(reconcile_user_access("alice", &w.ctx).await.is_err());
    assert!(w.api.object(&rb_key("b", "useraccess-alice-acme-admin")).is_none(), "b revoked despite c");
    assert!(w.api.object(&rb_key("a", "useraccess-alice-acme-admin")).is_some());
    // A binding of ours whose label was stripped is taken back, not reported as someone else's.
    w.api.patch_object(&rb_key("a", "useraccess-alice-acme-admin"), &json!({"metadata": {"labels": null}}));
    w.api.delete_object(&rb_key("c", "useraccess-alice-acme-admin"));
    reconcile_user_access("alice", &w.ctx).await.unwrap();
    assert_eq!(
        w.api.object(&rb_key("a", "useraccess-alice-acme-admin")).unwrap()["metadata"]["labels"]["access.openova.io/useraccess"],
        "alice"
    );
    // An edit that makes the spec invalid revokes everything it granted.
    w.api.patch_object(
        &ua_key("alice"),
        &json!({"spec": {"applications": [{"app": "acme", "role": "Admin", "namespaces": ["a"]}]}}),
    );
    let out = reconcile_user_access("alice", &w.ctx).await.unwrap();
    assert_eq!((out.phase, out.deleted), (Some("Failed"), 2));
    assert!(bindings(&w).is_empty());
}
