//! SPEC CTRL-3 reconciles against the in-memory Kubernetes API (it serves Applications,
//! Environments, Organizations, Blueprints, HelmReleases and the host Flux objects, and logs
//! every request) and catalyst-gitea's test server (commits in real git, checked against
//! Gitea's API): the platform's test vectors, steady state without writes, drift, deletion.

#![allow(clippy::unwrap_used, clippy::needless_pass_by_value)]

mod support;

use application_controller::reconcile::{FINALIZER, reconcile_application};
use catalyst_core::crd::ApplicationPhase;
use serde_json::json;
use support::*;

#[tokio::test]
async fn a_single_region_application_is_committed_wired_and_reported() {
    let w = world(true).await;
    w.api.put_object(&application(
        "site",
        "single-region",
        &["hetzner-fsn-rtz-prod"],
        json!({"replicas": 2}),
    ));
    let out = reconcile_application("acme", "site", &w.ctx).await.unwrap();
    assert_eq!(out.phase, Some(ApplicationPhase::Provisioning));
    assert_eq!((out.commits, out.objects_written), (1, 2));
    // The finalizer first, then the files in one commit on acme/site@main.
    let app = w.api.object(KEY).unwrap();
    assert_eq!(app["metadata"]["finalizers"], json!([FINALIZER]));
    let hr = String::from_utf8(w.gitea.server.read_file("acme", "site", "main", HR_PATH).unwrap()).unwrap();
    assert!(hr.contains("    replicas: 2\n") && hr.contains("kind: HelmRelease\n"), "{hr}");
    assert!(
        w.gitea
            .server
            .read_file(
                "acme",
                "site",
                "main",
                "clusters/hetzner-fsn-rtz-prod/applications/site/kustomization.yaml"
            )
            .is_some()
    );
    let created = w
        .gitea
        .exchanges()
        .into_iter()
        .find(|e| e.method == "POST" && e.route == "/orgs/{org}/repos")
        .unwrap();
    let body = created.request.unwrap();
    assert_eq!(body["name"], "site");
    assert_eq!(body["description"], catalyst_core::apps::REPO_DESCRIPTION);
    let contents_writes = w.gitea.writes().iter().filter(|x| x.contains("/contents")).count();
    assert_eq!(contents_writes, 1, "both files of the region in one commit: {:?}", w.gitea.writes());
    // Host Flux objects.
    let git =
        w.api.object("source.toolkit.fluxcd.io/gitrepositories/flux-system/catalyst-app-acme-site").unwrap();
    assert_eq!(git["spec"]["url"], "http://gitea.test.svc.cluster.local:3000/acme/site.git");
    assert_eq!(git["spec"]["secretRef"]["name"], "openova-org-tenants-git-auth");
    assert!(git["metadata"].get("ownerReferences").is_none());
    let ks = w.api.object("kustomize.toolkit.fluxcd.io/kustomizations/flux-system/catalyst-app-acme-site-hetzner-fsn-rtz-prod").unwrap();
    assert_eq!(ks["spec"]["path"], "./clusters/hetzner-fsn-rtz-prod/applications/site");
    // Status.
    let st = status(&w, KEY);
    assert_eq!(st["phase"], "Provisioning");
    assert_eq!(st["primaryRegion"], "hetzner-fsn-rtz-prod");
    assert_eq!(st["giteaRepo"], "https://gitea.test.openova.io/acme/site");
    assert_eq!(
        st["regions"],
        json!([{"name": "hetzner-fsn-rtz-prod", "role": "primary", "replicas": 2, "ready": 0}])
    );
    assert_eq!(st["observedGeneration"], 1);
    assert_eq!(
        ready(&w, KEY),
        ("True".into(), "Reconciled".into(), "Application acme/site reconciled into 1 region(s)".into())
    );
}

#[tokio::test]
async fn the_steady_state_writes_nothing_at_all() {
    let w = world(true).await;
    w.api.put_object(&application("site", "single-region", &["hetzner-fsn-rtz-prod"], json!({})));
    reconcile_application("acme", "site", &w.ctx).await.unwrap();
    let (kube_before, gitea_before) = (w.api.writes().len(), w.gitea.writes().len());
    let out = reconcile_application("acme", "site", &w.ctx).await.unwrap();
    assert_eq!((out.commits, out.objects_written, out.status_written), (0, 0, false));
    assert_eq!(w.api.writes().len(), kube_before, "{:?}", &kube_writes(&w)[kube_before..]);
    assert_eq!(w.gitea.writes().len(), gitea_before);
}

#[tokio::test]
async fn a_hand_edited_file_is_restored_and_a_ready_helmrelease_makes_it_ready() {
    let w = world(true).await;
    w.api.put_object(&application("site", "single-region", &["hetzner-fsn-rtz-prod"], json!({})));
    reconcile_application("acme", "site", &w.ctx).await.unwrap();
    let good = w.gitea.server.read_file("acme", "site", "main", HR_PATH).unwrap();
    w.gitea.server.commit_file("acme", "site", "main", HR_PATH, b"hand edit\n").unwrap();
    w.api.put_object(&json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "site", "namespace": "acme"},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "InstallSucceeded"}]}}));
    let out = reconcile_application("acme", "site", &w.ctx).await.unwrap();
    assert_eq!(out.commits, 1);
    assert_eq!(w.gitea.server.read_file("acme", "site", "main", HR_PATH).unwrap(), good);
    assert_eq!(out.phase, Some(ApplicationPhase::Ready));
    assert_eq!(status(&w, KEY)["regions"][0]["ready"], 1);
    // A failing HelmRelease degrades it.
    w.api.put_object(&json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "site", "namespace": "acme"},
        "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "UpgradeFailed", "message": "timeout"}]}}));
    reconcile_application("acme", "site", &w.ctx).await.unwrap();
    assert_eq!(
        ready(&w, KEY),
        (
            "False".into(),
            "DownstreamHelmReleaseFailed".into(),
            "region hetzner-fsn-rtz-prod HelmRelease Ready=False: UpgradeFailed — timeout".into()
        )
    );
}

#[tokio::test]
async fn missing_parents_are_pending_and_write_nothing_but_status() {
    let w = world(false).await;
    w.api.put_object(&application("site", "single-region", &["hetzner-fsn-rtz-prod"], json!({})));
    let out = reconcile_application("acme", "site", &w.ctx).await.unwrap();
    assert_eq!(out.phase, Some(ApplicationPhase::Pending));
    assert_eq!(ready(&w, KEY).1, "EnvironmentMissing");
    assert_eq!(ready(&w, KEY).2, "Environment \"acme-prod\" not found");
    assert!(w.gitea.writes().is_empty());
    assert!(
        w.api.object("source.toolkit.fluxcd.io/gitrepositories/flux-system/catalyst-app-acme-site").is_none()
    );
}

#[tokio::test]
async fn an_invalid_parameter_is_failed_and_writes_nothing() {
    let w = world(true).await;
    w.api.put_object(&application(
        "site",
        "single-region",
        &["hetzner-fsn-rtz-prod"],
        json!({"replicas": "three"}),
    ));
    let out = reconcile_application("acme", "site", &w.ctx).await.unwrap();
    assert_eq!(out.phase, Some(ApplicationPhase::Failed));
    let (_, reason, message) = ready(&w, KEY);
    assert_eq!(reason, "Invalid");
    assert!(
        message.starts_with("parameters do not match Blueprint configSchema: ")
            && message.contains("replicas"),
        "{message}"
    );
    assert!(w.gitea.writes().is_empty());
}

#[tokio::test]
async fn active_hot_standby_gets_a_continuum_and_losing_the_posture_deletes_it() {
    let w = world(true).await;
    w.api.put_object(&application(
        "db",
        "active-hotstandby",
        &["hetzner-fsn-rtz-prod", "hetzner-nbg-rtz-prod"],
        json!({"replicas": 3}),
    ));
    reconcile_application("acme", "db", &w.ctx).await.unwrap();
    let standby = String::from_utf8(
        w.gitea
            .server
            .read_file("acme", "db", "main", "clusters/hetzner-nbg-rtz-prod/applications/db/helmrelease.yaml")
            .unwrap(),
    )
    .unwrap();
    assert!(standby.contains("    _openova_standby: true\n    replicas: 0\n"), "{standby}");
    let dr = w.api.object("dr.openova.io/continuums/acme/dr-db").unwrap();
    assert_eq!(dr["spec"]["primaryRegion"], "hetzner-fsn-rtz-prod");
    let st = status(&w, "apps.openova.io/applications/acme/db");
    assert_eq!(
        st["regions"][1],
        json!({"name": "hetzner-nbg-rtz-prod", "role": "standby", "replicas": 0, "ready": 0})
    );
    w.api.patch_object(
        "apps.openova.io/applications/acme/db",
        &json!({"spec": {"placement": "active-active"}}),
    );
    reconcile_application("acme", "db", &w.ctx).await.unwrap();
    assert!(w.api.object("dr.openova.io/continuums/acme/dr-db").is_none());
}

#[tokio::test]
async fn deletion_removes_host_objects_then_files_and_releases_the_finalizer() {
    let w = world(true).await;
    w.api.put_object(&application("site", "single-region", &["hetzner-fsn-rtz-prod"], json!({})));
    reconcile_application("acme", "site", &w.ctx).await.unwrap();
    let before = w.api.requests().len();
    w.api.patch_object(KEY, &json!({"metadata": {"deletionTimestamp": "2026-12-07T10:05:00Z"}}));
    let out = reconcile_application("acme", "site", &w.ctx).await.unwrap();
    assert_eq!(out.phase, Some(ApplicationPhase::Uninstalling));
    let deletes: Vec<String> = w.api.requests()[before..]
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path.rsplit('/').next().unwrap().to_owned())
        .collect();
    // Host Kustomizations, then the GitRepository (a single-region Application has no Continuum).
    assert_eq!(deletes, ["catalyst-app-acme-site-hetzner-fsn-rtz-prod", "catalyst-app-acme-site"]);
    assert!(w.gitea.server.read_file("acme", "site", "main", HR_PATH).is_none());
    assert!(
        w.gitea
            .server
            .read_file(
                "acme",
                "site",
                "main",
                "clusters/hetzner-fsn-rtz-prod/applications/site/kustomization.yaml"
            )
            .is_none()
    );
    assert_eq!(w.api.object(KEY).unwrap()["metadata"]["finalizers"], json!([]));
}

#[tokio::test]
async fn another_applications_flux_objects_are_not_overwritten() {
    let w = world(true).await;
    w.api.put_object(&json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "catalyst-app-acme-site", "namespace": "flux-system", "labels": {"catalyst.openova.io/app-uid": "uid-of-prod-site"}},
        "spec": {"url": "http://gitea/acme/site.git", "ref": {"branch": "main"}}}));
    w.api.put_object(&application("site", "single-region", &["hetzner-fsn-rtz-prod"], json!({})));
    let out = reconcile_application("acme", "site", &w.ctx).await.unwrap();
    assert_eq!(out.phase, Some(ApplicationPhase::Degraded));
    let (_, reason, message) = ready(&w, KEY);
    assert_eq!(reason, "GiteaError");
    assert!(
        message.contains("belongs to another Application (uid uid-of-prod-site); not overwritten"),
        "{message}"
    );
    let git =
        w.api.object("source.toolkit.fluxcd.io/gitrepositories/flux-system/catalyst-app-acme-site").unwrap();
    assert_eq!(git["spec"]["url"], "http://gitea/acme/site.git");
    // Checked before anything is committed: the other Application's files are untouched.
    assert!(w.gitea.writes().iter().all(|x| !x.contains("/contents")), "{:?}", w.gitea.writes());
}

/// A tenant that sets the finalizer itself and names another Organization's Environment
/// cannot make a deletion remove that Organization's files: deletion acts only on what this
/// Application's own host objects record.
#[tokio::test]
async fn a_deletion_cannot_remove_another_organizations_files() {
    let w = world(true).await;
    w.api.put_object(&application("site", "single-region", &["hetzner-fsn-rtz-prod"], json!({})));
    reconcile_application("acme", "site", &w.ctx).await.unwrap();
    assert!(w.gitea.server.read_file("acme", "site", "main", HR_PATH).is_some());
    w.api.put_object(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "evil", "labels": {"openova.io/organization": "evil"}}}));
    let mut a = application("site", "single-region", &["hetzner-fsn-rtz-prod"], json!({}));
    a["metadata"]["namespace"] = json!("evil");
    a["metadata"]["uid"] = json!("uid-evil");
    a["metadata"]["finalizers"] = json!([FINALIZER]);
    a["metadata"]["deletionTimestamp"] = json!("2026-12-07T10:05:00Z");
    w.api.put_object(&a);
    reconcile_application("evil", "site", &w.ctx).await.unwrap();
    assert!(w.gitea.server.read_file("acme", "site", "main", HR_PATH).is_some(), "acme's files are kept");
    assert!(
        w.api.object("source.toolkit.fluxcd.io/gitrepositories/flux-system/catalyst-app-acme-site").is_some()
    );
    assert_eq!(
        w.api.object("apps.openova.io/applications/evil/site").unwrap()["metadata"]["finalizers"],
        json!([])
    );
}

#[tokio::test]
async fn a_region_that_leaves_the_plan_is_retired() {
    let w = world(true).await;
    w.api.put_object(&application(
        "site",
        "active-active",
        &["hetzner-fsn-rtz-prod", "hetzner-nbg-rtz-prod"],
        json!({}),
    ));
    reconcile_application("acme", "site", &w.ctx).await.unwrap();
    let nbg = "clusters/hetzner-nbg-rtz-prod/applications/site/helmrelease.yaml";
    assert!(w.gitea.server.read_file("acme", "site", "main", nbg).is_some());
    w.api.patch_object(
        KEY,
        &json!({"spec": {"placement": "single-region", "regions": ["hetzner-fsn-rtz-prod"]}}),
    );
    reconcile_application("acme", "site", &w.ctx).await.unwrap();
    assert!(w.gitea.server.read_file("acme", "site", "main", nbg).is_none());
    assert!(w.api.object("kustomize.toolkit.fluxcd.io/kustomizations/flux-system/catalyst-app-acme-site-hetzner-nbg-rtz-prod").is_none());
    assert!(w.api.object("kustomize.toolkit.fluxcd.io/kustomizations/flux-system/catalyst-app-acme-site-hetzner-fsn-rtz-prod").is_some());
    assert!(w.gitea.server.read_file("acme", "site", "main", HR_PATH).is_some());
}

#[tokio::test]
async fn bootstrap_owned_and_invalid_applications_get_no_finalizer() {
    let w = world(true).await;
    let mut boot = application("kit", "single-region", &["hetzner-fsn-rtz-prod"], json!({}));
    boot["spec"]["bootstrap"] = json!(true);
    w.api.put_object(&boot);
    let out = reconcile_application("acme", "kit", &w.ctx).await.unwrap();
    assert_eq!(out.phase, Some(ApplicationPhase::Provisioning));
    let kit = w.api.object("apps.openova.io/applications/acme/kit").unwrap();
    assert!(kit["metadata"].get("finalizers").is_none());
    assert_eq!(kit["status"]["conditions"][0]["reason"], "BootstrapAdopted");
    assert!(w.gitea.writes().is_empty());
    w.api.put_object(&application(
        "bad",
        "single-region",
        &["hetzner-fsn-rtz-prod"],
        json!({"replicas": "x"}),
    ));
    reconcile_application("acme", "bad", &w.ctx).await.unwrap();
    assert!(
        w.api.object("apps.openova.io/applications/acme/bad").unwrap()["metadata"]
            .get("finalizers")
            .is_none()
    );
}

/// A tenant cannot name another Organization's Environment: its namespace must carry that
/// Organization's label, or nothing is written.
#[tokio::test]
async fn an_application_cannot_write_into_another_organization() {
    let w = world(true).await;
    w.api.put_object(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "evil", "labels": {"openova.io/organization": "evil"}}}));
    let mut a = application("site", "single-region", &["hetzner-fsn-rtz-prod"], json!({}));
    a["metadata"]["namespace"] = json!("evil");
    w.api.put_object(&a);
    let out = reconcile_application("evil", "site", &w.ctx).await.unwrap();
    assert_eq!(out.phase, Some(ApplicationPhase::Failed));
    let (_, reason, message) = ready(&w, "apps.openova.io/applications/evil/site");
    assert_eq!(reason, "Invalid");
    assert!(message.starts_with("namespace \"evil\" does not belong to Organization \"acme\""), "{message}");
    assert!(w.gitea.writes().is_empty());
    assert!(
        w.api.object("apps.openova.io/applications/evil/site").unwrap()["metadata"]
            .get("finalizers")
            .is_none()
    );
}

/// `--install-dependencies`: the dependency's HelmRelease is committed beside the
/// Application's, which waits for it.
#[tokio::test]
async fn install_dependencies_commits_the_dependency_releases() {
    let mut w = world(true).await;
    w.ctx.install_dependencies = true;
    let mut bp = w.api.object("catalyst.openova.io/v1/blueprints/bp-wordpress").unwrap();
    bp["spec"]["version"] = json!("1.2.3");
    bp["spec"]["card"] = json!({"title": "WordPress"});
    bp["spec"]["visibility"] = json!("listed");
    bp["spec"]["depends"] = json!([{"blueprint": "bp-mysql", "version": "^8"}]);
    w.api.put_object(&bp);
    w.api.put_object(
        &json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Blueprint", "metadata": {"name": "bp-mysql"},
        "spec": {"version": "8.0.3", "card": {"title": "MySQL"}, "visibility": "listed"}}),
    );
    w.api.put_object(&application("site", "single-region", &["hetzner-fsn-rtz-prod"], json!({})));
    let out = reconcile_application("acme", "site", &w.ctx).await.unwrap();
    assert_eq!(out.phase, Some(ApplicationPhase::Provisioning), "{:?}", status(&w, KEY));
    let dep = w.gitea.server.read_file(
        "acme",
        "site",
        "main",
        "clusters/hetzner-fsn-rtz-prod/applications/site/helmrelease-site-mysql.yaml",
    );
    assert!(String::from_utf8(dep.unwrap()).unwrap().contains("  name: site-mysql\n"));
    let main = String::from_utf8(w.gitea.server.read_file("acme", "site", "main", HR_PATH).unwrap()).unwrap();
    assert!(main.contains("  dependsOn:\n    - name: site-mysql\n"), "{main}");
    assert_eq!(
        w.gitea.writes().iter().filter(|x| x.contains("/contents")).count(),
        1,
        "one commit for the region"
    );
}
