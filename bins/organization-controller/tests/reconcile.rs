//! The organization-controller's reconcile against the in-memory Kubernetes API, catalyst-gitea's
//! test server (a real git repository behind Gitea's API) and the Keycloak stand-in (every
//! request checked against Keycloak's admin API).

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use organization_controller::reconcile::{FINALIZER, VClusterPhase, reconcile_organization};
use serde_json::{Value, json};
use support::*;

const TENANT: &str = "catalyst-tenant";
const FLUX: &str = "source.toolkit.fluxcd.io/gitrepositories/flux-system/catalyst-tenant-acme";
const KS: &str = "kustomize.toolkit.fluxcd.io/kustomizations/flux-system/catalyst-tenant-acme";

fn ua(name: &str) -> String {
    format!("access.openova.io/v1alpha1/useraccesses/{name}")
}

#[tokio::test]
async fn happy_path_creates_everything_and_waits_for_the_vcluster() {
    let w = world().await;
    w.api.put_object(&standard());
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.reason, Some("VClusterProvisioning"));
    assert_eq!(out.phase, Some(VClusterPhase::Pending));
    assert_eq!(out.files_written, 11);
    assert_eq!(out.objects_written, 6, "GitRepository, 3 Kustomizations, 2 UserAccesses");
    assert_eq!(out.requeue, Some(Duration::from_secs(30)));
    // Keycloak: a token, the group looked up by path, then created with its attributes.
    assert_eq!(
        w.keycloak.calls(),
        [
            "POST /realms/sovereign/protocol/openid-connect/token 200",
            "GET /admin/realms/sovereign/group-by-path/acme 404",
            "POST /admin/realms/sovereign/groups 201",
        ]
    );
    assert_eq!(w.keycloak.violations(), Vec::<String>::new());
    let group = w.keycloak.group("acme").unwrap();
    assert_eq!(group["attributes"], json!({"org": ["acme"], "tier": ["org"]}));
    // Gitea: the private org, the repository, 11 files in one commit after the initial one.
    let org = w.gitea.server.org("acme").unwrap();
    assert_eq!(org["visibility"], "private");
    assert_eq!(org["description"], "Catalyst Organization acme on Sovereign omantel.biz");
    assert_eq!(org["full_name"], "Acme");
    assert_eq!(w.gitea.server.commit_count("acme", TENANT, "main"), 2);
    for path in [
        "vcluster/namespace.yaml",
        "vcluster/limitrange.yaml",
        "vcluster/resourcequota.yaml",
        "vcluster/vcluster.yaml",
        "vcluster/kustomization.yaml",
        "vcluster/apps/namespace.yaml",
        "vcluster/apps/networkpolicy.yaml",
        "vcluster/apps/kustomization.yaml",
        "vcluster/host-apps/ciliumnetworkpolicy.yaml",
        "vcluster/host-apps/provisioning-rbac.yaml",
        "vcluster/host-apps/kustomization.yaml",
    ] {
        assert!(w.gitea.server.read_file("acme", TENANT, "main", path).is_some(), "{path}");
    }
    // Two UserAccesses, cluster-scoped, owned by the Organization.
    let ops = w.api.object(&ua("acme-ops-at-acme-example")).unwrap();
    assert_eq!(ops["spec"]["applications"][0]["role"], "admin");
    assert_eq!(ops["metadata"]["ownerReferences"][0]["uid"], "uid-acme");
    assert_eq!(
        w.api.object(&ua("acme-dev-at-acme-example")).unwrap()["spec"]["applications"][0]["role"],
        "editor"
    );
    // Flux wiring.
    let git = w.api.object(FLUX).unwrap();
    assert_eq!(git["spec"]["url"], "http://gitea-http.gitea.svc.cluster.local:3000/acme/catalyst-tenant.git");
    assert_eq!(git["spec"]["secretRef"]["name"], "gitea-flux-token");
    for suffix in ["-vcluster", "-apps", "-host-apps"] {
        assert_eq!(w.api.object(&format!("{KS}{suffix}")).unwrap()["spec"]["suspend"], false);
    }
    // Status.
    let st = status(&w);
    assert_eq!(st["vcluster"], json!({"name": "acme", "hostCluster": "ct-eu-mgt-prod", "phase": "Pending"}));
    assert_eq!(st["keycloakGroup"], json!({"id": group["id"], "path": "/acme", "realm": "sovereign"}));
    assert_eq!(st["giteaOrg"], json!({"name": "acme", "repos": ["catalyst-tenant"]}));
    assert_eq!(st["observedGeneration"], 1);
    let (s, reason, message) = ready(&w);
    assert_eq!((s.as_str(), reason.as_str()), ("False", "VClusterProvisioning"));
    assert!(message.starts_with("vCluster HelmRelease not yet applied by Flux"), "{message}");
    assert_eq!(w.api.object(ORG).unwrap()["metadata"]["finalizers"], json!([FINALIZER]));
    // Nothing of an Environment before the vCluster is Ready.
    assert!(w.api.requests().iter().all(|r| !r.path.contains("/environments")));
}

#[tokio::test]
async fn a_second_pass_writes_nothing() {
    let w = world().await;
    w.api.put_object(&standard());
    reconcile_organization("acme", &w.ctx).await.unwrap();
    let (kube_before, gitea_before, kc_before) =
        (w.api.writes().len(), w.gitea.writes().len(), w.keycloak.calls().len());
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!((out.files_written, out.objects_written, out.status_written), (0, 0, false));
    assert_eq!(w.api.writes().len(), kube_before, "{:?}", kube_writes(&w)[kube_before..].to_vec());
    assert_eq!(w.gitea.writes().len(), gitea_before, "{:?}", w.gitea.writes());
    assert_eq!(
        w.keycloak.calls()[kc_before..],
        [
            "POST /realms/sovereign/protocol/openid-connect/token 200",
            "GET /admin/realms/sovereign/group-by-path/acme 200"
        ]
    );
    assert_eq!(w.gitea.server.commit_count("acme", TENANT, "main"), 2);
}

#[tokio::test]
async fn ready_once_the_vcluster_is_and_the_first_environment_is_ensured() {
    let w = world().await;
    w.api.put_object(&standard());
    reconcile_organization("acme", &w.ctx).await.unwrap();
    vcluster_up(&w, true);
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!((out.reason, out.phase), (Some("Reconciled"), Some(VClusterPhase::Ready)));
    assert_eq!(out.requeue, Some(Duration::from_secs(300)));
    assert_eq!(
        ready(&w),
        (
            "True".into(),
            "Reconciled".into(),
            "vCluster HelmRelease Ready + Keycloak group + Gitea Org reconciled".into()
        )
    );
    assert_eq!(status(&w)["vcluster"]["phase"], "Ready");
    let env = w.api.env("acme-prod");
    assert_eq!(env.spec.organization_ref, "acme");
    assert_eq!(env.spec.regions[0].host_cluster.as_deref(), Some("ct-eu-mgt-prod"));
    // The provider, region and building block come from the host cluster's NAME-6 name.
    assert_eq!(env.spec.regions[0].region, "eu");
    assert_eq!(serde_json::to_value(env.spec.regions[0].building_block).unwrap(), "mgt");
    // An existing Environment is never changed.
    let before = w.api.writes().len();
    reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(w.api.writes().len(), before);
}

#[tokio::test]
async fn an_existing_environment_is_never_modified() {
    let w = world().await;
    w.api.put_object(&standard());
    w.api.insert(&catalyst_testkit::kube::environment(
        "acme-prod",
        "acme",
        "prod",
        "single-region",
        &[&catalyst_testkit::kube::hetzner("fsn")],
    ));
    vcluster_up(&w, true);
    reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(w.api.env("acme-prod").spec.regions[0].region, "fsn");
    assert!(w.api.writes().iter().all(|r| !r.path.contains("/environments")));
}

#[tokio::test]
async fn missing_quota_objects_are_named() {
    let w = world().await;
    w.api.put_object(&standard());
    vcluster_up(&w, false);
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!((out.reason, out.phase), (Some("ProvisioningIncomplete"), Some(VClusterPhase::Provisioning)));
    assert_eq!(out.requeue, Some(Duration::from_secs(30)));
    assert_eq!(
        ready(&w).2,
        "Organization is NOT fully provisioned — missing: LimitRange acme/plan-limits; ResourceQuota acme/plan-quota"
    );
    // Flexi has no quota: only the LimitRange is expected.
    let w = world().await;
    w.api.put_object(&organization("flexi", &[("ops@acme.example", "owner")]));
    vcluster_up(&w, false);
    reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(ready(&w).2, "Organization is NOT fully provisioned — missing: LimitRange acme/plan-limits");
    assert!(w.gitea.server.read_file("acme", TENANT, "main", "vcluster/resourcequota.yaml").is_none());
}

#[tokio::test]
async fn an_existing_org_and_group_are_reused() {
    let w = world().await;
    w.api.put_object(&standard());
    w.gitea.client.create_org("acme").await.unwrap();
    let id =
        w.keycloak.insert_group("acme", &json!({"org": ["acme"], "tier": ["corporate"], "billing": ["x"]}));
    let skip = w.gitea.writes().len();
    reconcile_organization("acme", &w.ctx).await.unwrap();
    let writes = w.gitea.writes()[skip..].to_vec();
    assert_eq!(writes, ["POST /orgs/{org}/repos", "POST /repos/{owner}/{repo}/contents"]);
    // The tier differed: the attributes were updated, the others kept.
    assert_eq!(w.keycloak.calls()[2], format!("PUT /admin/realms/sovereign/groups/{id} 204"));
    assert_eq!(
        w.keycloak.group("acme").unwrap()["attributes"],
        json!({"org": ["acme"], "tier": ["org"], "billing": ["x"]})
    );
    assert_eq!(status(&w)["keycloakGroup"]["id"], id.as_str());
    assert_eq!(w.keycloak.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_group_created_concurrently_is_found_again() {
    let w = world().await;
    w.api.put_object(&standard());
    w.keycloak.race_next_create();
    reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(
        w.keycloak.calls(),
        [
            "POST /realms/sovereign/protocol/openid-connect/token 200",
            "GET /admin/realms/sovereign/group-by-path/acme 404",
            "POST /admin/realms/sovereign/groups 409",
            "GET /admin/realms/sovereign/group-by-path/acme 200",
            format!(
                "PUT /admin/realms/sovereign/groups/{} 204",
                w.keycloak.group("acme").unwrap()["id"].as_str().unwrap()
            )
            .as_str(),
        ]
    );
    assert_eq!(ready(&w).1, "VClusterProvisioning");
}

#[tokio::test]
async fn slug_mismatch_writes_only_the_condition() {
    let w = world().await;
    let mut org = standard();
    org["spec"]["slug"] = json!("acme-corp");
    w.api.put_object(&org);
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.reason, Some("SlugMetadataMismatch"));
    assert_eq!(out.requeue, None);
    let st = status(&w);
    assert_eq!(st.as_object().unwrap().keys().collect::<Vec<_>>(), ["conditions", "observedGeneration"]);
    assert_eq!(st["conditions"].as_array().unwrap().len(), 1);
    assert_eq!(
        ready(&w),
        (
            "False".into(),
            "SlugMetadataMismatch".into(),
            "spec.slug=\"acme-corp\" != metadata.name=\"acme\" (CRs are immutable on slug after admission)"
                .into()
        )
    );
    assert!(w.keycloak.calls().is_empty());
    assert!(w.gitea.exchanges().is_empty());
    assert_eq!(kube_writes(&w), ["PATCH /apis/orgs.openova.io/v1/organizations/acme/status"]);
}

#[tokio::test]
async fn a_foreign_index_entry_is_kept_and_a_stale_one_dropped() {
    let w = world().await;
    w.api.put_object(&standard());
    reconcile_organization("acme", &w.ctx).await.unwrap();
    let header = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n";
    // Someone adds an entry (and its file) to the apps index.
    w.gitea
        .server
        .commit_file(
            "acme",
            TENANT,
            "main",
            "vcluster/apps/kustomization.yaml",
            format!("{header}  - namespace.yaml\n  - networkpolicy.yaml\n  - tenant-extra.yaml\n").as_bytes(),
        )
        .unwrap();
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.files_written, 0);
    let apps = w.gitea.server.read_file("acme", TENANT, "main", "vcluster/apps/kustomization.yaml").unwrap();
    assert!(String::from_utf8(apps).unwrap().contains("  - tenant-extra.yaml\n"));
    // A stale CiliumNetworkPolicy entry in the apps index is dropped, the foreign entry kept.
    w.gitea.server.commit_file("acme", TENANT, "main", "vcluster/apps/kustomization.yaml",
        format!("{header}  - ciliumnetworkpolicy.yaml\n  - namespace.yaml\n  - networkpolicy.yaml\n  - tenant-extra.yaml\n").as_bytes()).unwrap();
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.files_written, 1);
    let apps = String::from_utf8(
        w.gitea.server.read_file("acme", TENANT, "main", "vcluster/apps/kustomization.yaml").unwrap(),
    )
    .unwrap();
    assert_eq!(apps, format!("{header}  - namespace.yaml\n  - networkpolicy.yaml\n  - tenant-extra.yaml\n"));
    // Our own file changed by hand is put back (drift).
    w.gitea
        .server
        .commit_file("acme", TENANT, "main", "vcluster/limitrange.yaml", b"kind: LimitRange\n")
        .unwrap();
    assert_eq!(reconcile_organization("acme", &w.ctx).await.unwrap().files_written, 1);
}

#[tokio::test]
async fn a_compare_and_swap_loss_is_skipped_never_overwritten() {
    let w = world().await;
    w.api.put_object(&standard());
    w.gitea.client.create_org("acme").await.unwrap();
    w.gitea.client.create_repo("acme", TENANT, "main").await.unwrap();
    w.gitea.server.commit_file("acme", TENANT, "main", "vcluster/namespace.yaml", b"old\n").unwrap();
    // Between our read and our commit, someone else changes the file we update.
    w.gitea.server.change_before_next_write("acme", TENANT, "vcluster/namespace.yaml", b"theirs\n");
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert!(out.cas_skipped);
    assert_eq!(out.files_written, 0);
    assert_eq!(out.requeue, Some(Duration::from_secs(30)));
    assert_eq!(
        w.gitea.server.read_file("acme", TENANT, "main", "vcluster/namespace.yaml").unwrap(),
        b"theirs\n"
    );
    assert!(
        w.gitea.server.read_file("acme", TENANT, "main", "vcluster/vcluster.yaml").is_none(),
        "nothing of the lost commit landed"
    );
    // Even with the vCluster up, a lost write is not Ready.
    vcluster_up(&w, true);
    w.gitea.server.change_before_next_write("acme", TENANT, "vcluster/namespace.yaml", b"theirs again\n");
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.reason, Some("GitopsWritePending"));
    assert_eq!(ready(&w).0, "False");
    // The next pass reads again and converges.
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert!(!out.cas_skipped);
    assert_eq!(out.files_written, 11);
    assert_eq!(out.reason, Some("Reconciled"));
}

#[tokio::test]
async fn suspend_and_resume_reach_the_kustomizations() {
    let w = world().await;
    let mut org = standard();
    org["spec"]["suspended"] = json!(true);
    org["spec"]["suspendReason"] = json!("invoice overdue");
    w.api.put_object(&org);
    reconcile_organization("acme", &w.ctx).await.unwrap();
    for suffix in ["-vcluster", "-apps", "-host-apps"] {
        assert_eq!(w.api.object(&format!("{KS}{suffix}")).unwrap()["spec"]["suspend"], true);
    }
    let suspended: Vec<Value> = status(&w)["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "Suspended")
        .cloned()
        .collect();
    assert_eq!(
        (suspended[0]["reason"].as_str(), suspended[0]["message"].as_str()),
        (Some("BillingEnforcement"), Some("invoice overdue"))
    );
    w.api.patch_object(ORG, &json!({"spec": {"suspended": false}}));
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.objects_written, 3);
    for suffix in ["-vcluster", "-apps", "-host-apps"] {
        assert_eq!(w.api.object(&format!("{KS}{suffix}")).unwrap()["spec"]["suspend"], false);
    }
    assert!(status(&w)["conditions"].as_array().unwrap().iter().all(|c| c["type"] != "Suspended"));
}

#[tokio::test]
async fn failures_name_their_step_and_write_nothing_after_it() {
    let w = world().await;
    w.api.put_object(&standard());
    w.keycloak.fail_next(503);
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.reason, Some("KeycloakGroupFailed"));
    assert_eq!(out.requeue, Some(Duration::from_secs(30)));
    assert!(ready(&w).2.contains("HTTP 503"), "{}", ready(&w).2);
    assert!(w.gitea.exchanges().is_empty());
    // A UserAccess of the same name that another Organization owns is not taken over.
    let w = world().await;
    w.api.put_object(&standard());
    w.api.put_object(&json!({"apiVersion": "access.openova.io/v1alpha1", "kind": "UserAccess",
        "metadata": {"name": "acme-ops-at-acme-example", "ownerReferences": [{"kind": "Organization", "uid": "uid-other"}]},
        "spec": {"user": {"keycloakSubject": "someone@else"}}}));
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.reason, Some("VClusterProvisioning"));
    assert!(ready(&w).2.ends_with("(owners without access: UserAccess acme-ops-at-acme-example exists and is not this Organization's; not taken over)"), "{}", ready(&w).2);
    assert_eq!(
        w.api.object(&ua("acme-ops-at-acme-example")).unwrap()["spec"]["user"]["keycloakSubject"],
        "someone@else"
    );
    // Gitea refusing the token.
    let w = world().await;
    w.api.put_object(&standard());
    let mut ctx = w.ctx;
    ctx.gitea =
        catalyst_gitea::Client::new(&w.gitea.server.url(), catalyst_gitea::Token::new("wrong")).unwrap();
    let out = reconcile_organization("acme", &ctx).await.unwrap();
    assert_eq!(out.reason, Some("GiteaOrgFailed"));
}

#[tokio::test]
async fn deletion_removes_the_flux_objects_in_order_and_announces_it() {
    let nats = catalyst_testkit::nats::Nats::start();
    let mut w = world().await;
    w.ctx.events = Some(
        organization_controller::events::Events::connect(&nats.url(), Duration::from_secs(5)).await.unwrap(),
    );
    let listener = async_nats::connect(nats.url()).await.unwrap();
    let mut sub = listener.subscribe("catalyst.tenant.deleted").await.unwrap();
    listener.flush().await.unwrap();
    w.api.put_object(&standard());
    reconcile_organization("acme", &w.ctx).await.unwrap();
    // A Kustomization of the same name that is not this Organization's stays.
    w.api.patch_object(
        &format!("{KS}-apps"),
        &json!({"metadata": {"labels": {"app.kubernetes.io/managed-by": "someone-else"}}}),
    );
    w.api.patch_object(ORG, &json!({"metadata": {"deletionTimestamp": "2026-12-07T10:05:00Z"}}));
    let before = w.api.requests().len();
    // One object per pass, each gone before the next; then the event and the finalizer.
    let mut passes = 0;
    while w.api.object(ORG).unwrap()["metadata"]["finalizers"] != json!([]) {
        let out = reconcile_organization("acme", &w.ctx).await.unwrap();
        passes += 1;
        assert!(passes <= 4, "the deletion does not end");
        if passes < 4 {
            assert_eq!((out.objects_written, out.requeue), (1, Some(Duration::from_secs(5))));
        }
    }
    assert_eq!(passes, 4);
    let deletes: Vec<String> = w.api.requests()[before..]
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        deletes,
        ["catalyst-tenant-acme-host-apps", "catalyst-tenant-acme-vcluster", "catalyst-tenant-acme"]
    );
    assert!(w.api.object(&format!("{KS}-apps")).is_some());
    assert_eq!(w.api.object(ORG).unwrap()["metadata"]["finalizers"], json!([]));
    let msg = tokio::time::timeout(Duration::from_secs(5), futures::StreamExt::next(&mut sub))
        .await
        .unwrap()
        .unwrap();
    let event: Value = serde_json::from_slice(&msg.payload).unwrap();
    assert_eq!(event["data"], json!({"id": "acme", "slug": "acme"}));
    assert_eq!(
        (event["type"].as_str(), event["source"].as_str()),
        (Some("tenant.deleted"), Some("organization-controller"))
    );
    // The Gitea org and the Keycloak group are kept.
    assert!(w.gitea.server.org("acme").is_some());
    assert!(w.keycloak.group("acme").is_some());
    // Without the finalizer, nothing more happens.
    let before = w.api.writes().len();
    reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(w.api.writes().len(), before);
}

#[tokio::test]
async fn deletion_goes_on_when_nats_is_down() {
    let nats = catalyst_testkit::nats::Nats::start();
    let mut w = world().await;
    w.ctx.events = Some(
        organization_controller::events::Events::connect(&nats.url(), Duration::from_millis(500))
            .await
            .unwrap(),
    );
    drop(nats);
    w.api.put_object(&standard());
    reconcile_organization("acme", &w.ctx).await.unwrap();
    w.api.patch_object(ORG, &json!({"metadata": {"deletionTimestamp": "2026-12-07T10:05:00Z"}}));
    for _ in 0..5 {
        tokio::time::timeout(Duration::from_secs(10), reconcile_organization("acme", &w.ctx))
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(w.api.object(ORG).unwrap()["metadata"]["finalizers"], json!([]));
}

#[tokio::test]
async fn a_slug_naming_a_namespace_that_is_not_the_tenants_is_refused() {
    let w = world().await;
    w.api.put_object(&standard());
    // `acme` exists and is not a tenant namespace (say, a platform namespace of that name).
    w.api.put_object(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme", "labels": {"team": "platform"}}}));
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.reason, Some("NamespaceNotOwned"));
    assert!(
        ready(&w).2.starts_with("namespace acme exists and is not this Organization's"),
        "{}",
        ready(&w).2
    );
    assert!(w.keycloak.calls().is_empty());
    assert!(w.gitea.exchanges().is_empty());
    assert!(w.api.object(FLUX).is_none());
    // The tenant's own namespace (as Flux applies it) is fine.
    w.api.put_object(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme",
        "labels": {"openova.io/organization": "acme", "openova.io/managed-by": "catalyst"}}}));
    assert_eq!(reconcile_organization("acme", &w.ctx).await.unwrap().reason, Some("VClusterProvisioning"));
}

#[tokio::test]
async fn an_org_someone_else_controls_is_not_written_into() {
    let w = world().await;
    w.api.put_object(&standard());
    w.gitea.client.create_org("acme").await.unwrap();
    w.gitea.server.set_org_owners("acme", &["mallory", "catalyst-bot"]);
    let skip = w.gitea.writes().len();
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.reason, Some("GiteaOrgFailed"));
    assert_eq!(
        ready(&w).2,
        "Gitea org acme exists and is not this controller's alone (owners: mallory, catalyst-bot); nothing written"
    );
    assert_eq!(w.gitea.writes()[skip..].len(), 0);
    assert!(w.api.object(FLUX).is_none(), "Flux is never pointed at it");
}

#[tokio::test]
async fn an_owner_who_leaves_loses_the_access() {
    let w = world().await;
    w.api.put_object(&standard());
    reconcile_organization("acme", &w.ctx).await.unwrap();
    // Another Organization's UserAccess with our labels is not ours to delete.
    w.api.put_object(&json!({"apiVersion": "access.openova.io/v1alpha1", "kind": "UserAccess",
        "metadata": {"name": "acme-forged", "labels": {"openova.io/organization": "acme", "openova.io/managed-by": "organization-controller"},
                     "ownerReferences": [{"kind": "Organization", "uid": "uid-other"}]}}));
    w.api.patch_object(ORG, &json!({"spec": {"owners": [{"email": "ops@acme.example", "role": "owner"}]}}));
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.objects_written, 1);
    assert!(w.api.object(&ua("acme-dev-at-acme-example")).is_none());
    assert!(w.api.object(&ua("acme-ops-at-acme-example")).is_some());
    assert!(w.api.object(&ua("acme-forged")).is_some());
}

#[tokio::test]
async fn a_user_access_name_held_by_another_organization_does_not_stop_the_rest() {
    let w = world().await;
    w.api.put_object(&standard());
    w.api.put_object(&json!({"apiVersion": "access.openova.io/v1alpha1", "kind": "UserAccess",
        "metadata": {"name": "acme-dev-at-acme-example", "ownerReferences": [{"kind": "Organization", "uid": "uid-acme-dev"}]}}));
    vcluster_up(&w, true);
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.reason, Some("UserAccessFailed"));
    assert_eq!(out.phase, Some(VClusterPhase::Ready));
    assert!(
        ready(&w).2.starts_with("owners without access: UserAccess acme-dev-at-acme-example exists"),
        "{}",
        ready(&w).2
    );
    assert!(w.api.object(&ua("acme-ops-at-acme-example")).is_some());
    assert_eq!(w.api.env("acme-prod").spec.regions.len(), 1, "the first Environment still came");
}

#[tokio::test]
async fn an_index_with_more_than_resources_is_not_rewritten() {
    let w = world().await;
    w.api.put_object(&standard());
    reconcile_organization("acme", &w.ctx).await.unwrap();
    let rich = b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\npatches:\n  - path: p.yaml\n";
    w.gitea
        .server
        .commit_file("acme", TENANT, "main", "vcluster/host-apps/kustomization.yaml", rich)
        .unwrap();
    let commits = w.gitea.server.commit_count("acme", TENANT, "main");
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.reason, Some("GitopsWriteFailed"));
    assert!(
        ready(&w).2.starts_with("decode vcluster/host-apps/kustomization.yaml: it has \"patches\""),
        "{}",
        ready(&w).2
    );
    assert_eq!(w.gitea.server.commit_count("acme", TENANT, "main"), commits);
    assert_eq!(
        w.gitea.server.read_file("acme", TENANT, "main", "vcluster/host-apps/kustomization.yaml").unwrap(),
        rich
    );
}

#[tokio::test]
async fn a_flux_object_of_that_name_that_is_not_ours_is_not_taken_over() {
    let w = world().await;
    w.api.put_object(&standard());
    // Organization `acme-host`'s apps Kustomization has the name of acme's host-apps one.
    w.api.put_object(&json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "catalyst-tenant-acme-host-apps", "namespace": "flux-system",
                     "labels": {"app.kubernetes.io/managed-by": "organization-controller", "openova.io/organization": "acme-host"}},
        "spec": {"path": "./vcluster/apps"}}));
    let out = reconcile_organization("acme", &w.ctx).await.unwrap();
    assert_eq!(out.reason, Some("PerOrgFluxFailed"));
    assert_eq!(
        ready(&w).2,
        "Kustomization flux-system/catalyst-tenant-acme-host-apps exists and is not this Organization's; not taken over"
    );
    assert_eq!(w.api.object(&format!("{KS}-host-apps")).unwrap()["spec"]["path"], "./vcluster/apps");
}
