//! SPEC ENV-T1 … ENV-T11 against catalyst-gitea's test server (commits in real git) and a
//! stateful in-memory Kubernetes API.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use catalyst_core::conditions::find_condition;
use catalyst_core::crd::{EnvironmentPhase, VclusterPhase};
use environment_controller::reconcile::reconcile_environment;
use support::{FakeApi, Gitea, context, environment, hetzner, settings};

const TWO_MIN: Option<Duration> = Some(Duration::from_secs(120));

fn fixture() -> String {
    std::fs::read_to_string(catalyst_testkit::fixture("openova/environment/gitrepository.acme-prod.yaml"))
        .unwrap()
}

fn condition(env: &catalyst_core::crd::Environment, type_: &str) -> (String, String) {
    let c = find_condition(&env.status.as_ref().unwrap().conditions, type_)
        .unwrap_or_else(|| panic!("no {type_}"));
    (c.status.to_string(), c.reason.clone())
}

#[tokio::test]
async fn env_t1_single_region_happy_path() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let api = FakeApi::default();
    api.insert(
        "apiVersion: catalyst.openova.io/v1\nkind: Environment\nmetadata: {name: acme-prod, uid: abc-123, generation: 5}\n\
         spec: {organizationRef: acme, envType: prod, placement: single-region, regions: [{provider: hetzner, region: fsn, buildingBlock: rtz}]}\n",
    );
    let ctx = context(&api, &gitea, settings());
    let before = gitea.server.commit_count("acme", "acme-environment", "main");
    let out = reconcile_environment("acme-prod", &ctx).await.unwrap();
    assert_eq!(out.requeue, TWO_MIN);
    assert_eq!(out.phase, Some(EnvironmentPhase::Ready));
    assert_eq!(out.commits, 1);
    let env = api.env("acme-prod");
    let st = env.status.clone().unwrap();
    assert_eq!(st.phase, Some(EnvironmentPhase::Ready));
    assert_eq!(st.region_count, Some(1));
    let repo_ref = st.gitea_repo_ref.unwrap();
    assert_eq!((repo_ref.org.as_deref(), repo_ref.branch.as_deref()), (Some("acme"), Some("main")));
    assert_eq!(st.jetstream_subject_prefix.as_deref(), Some("ws.acme-prod.>"));
    assert_eq!(st.observed_generation, Some(5));
    assert_eq!(st.vclusters.len(), 1);
    assert_eq!(
        (st.vclusters[0].host.as_str(), st.vclusters[0].name.as_str()),
        ("hetzner-fsn-rtz-prod", "acme")
    );
    assert_eq!(st.vclusters[0].phase, Some(VclusterPhase::Provisioning));
    for t in ["GiteaOrgReady", "GitRepositoryWritten", "Ready"] {
        assert_eq!(condition(&env, t).0, "True", "{t}");
    }
    assert_eq!(condition(&env, "GiteaOrgReady").1, "OrgFound");
    assert_eq!(condition(&env, "Ready").1, "Reconciled");
    // Exactly one write, committed, byte-identical to what the platform's controller writes.
    assert_eq!(gitea.writes(), ["POST /repos/{owner}/{repo}/contents/{filepath}"]);
    assert_eq!(gitea.server.commit_count("acme", "acme-environment", "main"), before + 1);
    let path = "clusters/hetzner-fsn-rtz-prod/environments/acme-prod/gitrepository.yaml";
    let written = gitea.server.read_file("acme", "acme-environment", "main", path).unwrap();
    assert_eq!(String::from_utf8(written).unwrap(), fixture());
    let post = gitea.exchanges().into_iter().find(|e| e.method == "POST").unwrap();
    let body = post.request.unwrap();
    assert_eq!(body["branch"], "main");
    assert_eq!(body["message"], "environment-controller: reconcile acme-prod on hetzner-fsn-rtz-prod");
    assert_eq!(body["author"]["name"], "test-bot");
}

#[tokio::test]
async fn env_t2_idempotent_and_steady_state_sends_no_write() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let api = FakeApi::default();
    api.insert(&environment("acme-stg", "acme", "stg", "single-region", &[&hetzner("fsn")]));
    let ctx = context(&api, &gitea, settings());
    let first = reconcile_environment("acme-stg", &ctx).await.unwrap();
    assert_eq!((first.commits, first.status_written), (1, true));
    let commits = gitea.server.commit_count("acme", "acme-environment", "staging");
    let gitea_writes = gitea.writes().len();
    let api_writes = api.writes().len();
    let second = reconcile_environment("acme-stg", &ctx).await.unwrap();
    assert_eq!((second.commits, second.status_written), (0, false));
    assert_eq!(second.phase, Some(EnvironmentPhase::Ready));
    assert_eq!(gitea.server.commit_count("acme", "acme-environment", "staging"), commits);
    assert_eq!(gitea.writes().len(), gitea_writes, "no write to Gitea at steady state");
    assert_eq!(api.writes().len(), api_writes, "no write to the Kubernetes API at steady state");
}

#[tokio::test]
async fn env_t3_parent_org_missing_is_pending_without_writes() {
    let gitea = Gitea::with_orgs(&[]).await;
    let api = FakeApi::default();
    api.insert(&environment("ghostly-prod", "ghostly", "prod", "single-region", &[&hetzner("fsn")]));
    let ctx = context(&api, &gitea, settings());
    let out = reconcile_environment("ghostly-prod", &ctx).await.unwrap();
    assert_eq!(out.requeue, TWO_MIN);
    let env = api.env("ghostly-prod");
    let st = env.status.clone().unwrap();
    assert_eq!(st.phase, Some(EnvironmentPhase::Pending));
    assert_eq!(condition(&env, "GiteaOrgReady"), ("False".into(), "GiteaOrgMissing".into()));
    assert_eq!(condition(&env, "Ready"), ("False".into(), "GiteaOrgMissing".into()));
    let ready = find_condition(&st.conditions, "Ready").unwrap();
    assert!(ready.message.contains("create the parent Organization \"ghostly\" first"), "{}", ready.message);
    assert_eq!(st.jetstream_subject_prefix.as_deref(), Some("ws.ghostly-prod.>"));
    assert_eq!(st.gitea_repo_ref.unwrap().branch.as_deref(), Some("main"));
    assert!(gitea.writes().is_empty());
}

#[tokio::test]
async fn env_t4_multi_region_fan_out() {
    let gitea = Gitea::with_orgs(&["acmebank"]).await;
    let api = FakeApi::default();
    api.insert(&environment(
        "acmebank-prod",
        "acmebank",
        "prod",
        "multi-region",
        &[
            &hetzner("fsn"),
            &hetzner("hel"),
            "{provider: huawei, region: muc, buildingBlock: rtz, hostCluster: hw-muc-rtz-custom}",
        ],
    ));
    let ctx = context(&api, &gitea, settings());
    let out = reconcile_environment("acmebank-prod", &ctx).await.unwrap();
    assert_eq!((out.phase, out.commits), (Some(EnvironmentPhase::Ready), 3));
    let st = api.env("acmebank-prod").status.unwrap();
    assert_eq!(st.region_count, Some(3));
    let hosts: Vec<&str> = st.vclusters.iter().map(|v| v.host.as_str()).collect();
    assert_eq!(hosts, ["hetzner-fsn-rtz-prod", "hetzner-hel-rtz-prod", "hw-muc-rtz-custom"]);
    let posts: Vec<_> = gitea.exchanges().into_iter().filter(|e| e.method == "POST").collect();
    assert_eq!(posts.len(), 3);
    assert!(posts.iter().all(|p| p.request.as_ref().unwrap()["branch"] == "main"));
    for host in hosts {
        let path = format!("clusters/{host}/environments/acmebank-prod/gitrepository.yaml");
        let file = gitea.server.read_file("acmebank", "acmebank-environment", "main", &path).unwrap();
        assert!(
            String::from_utf8(file)
                .unwrap()
                .contains("url: https://gitea.hfmp.acme.openova.io/acmebank/acmebank-environment.git\n")
        );
    }
}

#[tokio::test]
async fn env_t5_drift_is_overwritten_with_the_canonical_bytes() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let api = FakeApi::default();
    api.insert(&environment("acme-dev", "acme", "dev", "single-region", &[&hetzner("fsn")]));
    let ctx = context(&api, &gitea, settings());
    reconcile_environment("acme-dev", &ctx).await.unwrap();
    let path = "clusters/hetzner-fsn-rtz-dev/environments/acme-dev/gitrepository.yaml";
    let canonical = gitea.server.read_file("acme", "acme-environment", "develop", path).unwrap();
    gitea.server.commit_file("acme", "acme-environment", "develop", path, b"hand-edited: true\n").unwrap();
    let commits = gitea.server.commit_count("acme", "acme-environment", "develop");
    let out = reconcile_environment("acme-dev", &ctx).await.unwrap();
    assert_eq!(out.commits, 1);
    assert_eq!(gitea.server.commit_count("acme", "acme-environment", "develop"), commits + 1);
    assert_eq!(gitea.server.read_file("acme", "acme-environment", "develop", path).unwrap(), canonical);
    assert!(gitea.writes().contains(&"PUT /repos/{owner}/{repo}/contents/{filepath}".to_owned()));
}

#[tokio::test]
async fn env_t6_cardinality_violations_fail_without_gitea_calls() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let calls_before = gitea.exchanges().len();
    let api = FakeApi::default();
    api.insert(&environment(
        "acme-prod",
        "acme",
        "prod",
        "single-region",
        &[&hetzner("fsn"), &hetzner("hel")],
    ));
    api.insert(&environment("acme-stg", "acme", "stg", "multi-region", &[&hetzner("fsn")]));
    api.insert(&environment("acme-uat", "acme", "uat", "global", &[&hetzner("fsn")]));
    let ctx = context(&api, &gitea, settings());
    for (name, message) in [
        ("acme-prod", "spec.regions: placement single-region needs exactly 1 region, found 2"),
        ("acme-stg", "spec.regions: placement multi-region needs at least 2 regions, found 1"),
    ] {
        let out = reconcile_environment(name, &ctx).await.unwrap();
        assert_eq!((out.phase, out.requeue), (Some(EnvironmentPhase::Failed), None), "{name}");
        let env = api.env(name);
        assert_eq!(condition(&env, "Ready"), ("False".into(), "InvalidSpec".into()));
        assert_eq!(find_condition(&env.status.unwrap().conditions, "Ready").unwrap().message, message);
    }
    // An unknown placement does not even parse as an Environment: it is Failed/InvalidSpec
    // too (issue 16 §6), not an error retried forever, and Gitea is not called.
    let out = reconcile_environment("acme-uat", &ctx).await.unwrap();
    assert_eq!((out.phase, out.requeue), (Some(EnvironmentPhase::Failed), None));
    assert_eq!(gitea.exchanges().len(), calls_before, "no Gitea call");
}

#[tokio::test]
async fn env_t7_branch_table() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let api = FakeApi::default();
    let ctx = context(&api, &gitea, settings());
    for (env_type, branch) in
        [("dev", "develop"), ("stg", "staging"), ("prod", "main"), ("uat", "uat"), ("poc", "poc")]
    {
        let name = format!("acme-{env_type}");
        api.insert(&environment(&name, "acme", env_type, "single-region", &[&hetzner("fsn")]));
        reconcile_environment(&name, &ctx).await.unwrap();
        let st = api.env(&name).status.unwrap();
        assert_eq!(st.gitea_repo_ref.unwrap().branch.as_deref(), Some(branch));
        let path = format!("clusters/hetzner-fsn-rtz-{env_type}/environments/{name}/gitrepository.yaml");
        assert!(
            gitea.server.read_file("acme", "acme-environment", branch, &path).is_some(),
            "{path} on {branch}"
        );
    }
}

#[tokio::test]
async fn env_t8_repo_missing_is_pending() {
    let gitea = Gitea::with_orgs(&[]).await;
    gitea.client.create_org("acme").await.unwrap();
    let api = FakeApi::default();
    api.insert(&environment("acme-prod", "acme", "prod", "single-region", &[&hetzner("fsn")]));
    let ctx = context(&api, &gitea, settings());
    let out = reconcile_environment("acme-prod", &ctx).await.unwrap();
    assert_eq!((out.phase, out.requeue), (Some(EnvironmentPhase::Pending), TWO_MIN));
    let env = api.env("acme-prod");
    assert_eq!(condition(&env, "GiteaOrgReady").0, "False");
    assert_eq!(condition(&env, "Ready"), ("False".into(), "GiteaRepoMissing".into()));
    let st = env.status.unwrap();
    let message = &find_condition(&st.conditions, "Ready").unwrap().message;
    assert_eq!(
        message,
        "repository acme/acme-environment does not exist yet under Gitea org \"acme\"; organization-controller creates it"
    );
}

#[tokio::test]
async fn env_t9_one_region_failing_degrades_and_the_next_reconcile_recovers() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let hel = "clusters/hetzner-hel-rtz-prod/environments/acme-prod/gitrepository.yaml";
    gitea.server.fail_writes_to(hel, 503);
    let api = FakeApi::default();
    api.insert(&environment(
        "acme-prod",
        "acme",
        "prod",
        "multi-region",
        &[&hetzner("fsn"), &hetzner("hel")],
    ));
    let ctx = context(&api, &gitea, settings());
    let out = reconcile_environment("acme-prod", &ctx).await.unwrap();
    assert_eq!((out.phase, out.requeue), (Some(EnvironmentPhase::Degraded), TWO_MIN));
    let env = api.env("acme-prod");
    let st = env.status.clone().unwrap();
    assert_eq!(st.region_count, Some(2));
    let phases: Vec<_> = st.vclusters.iter().map(|v| (v.host.as_str(), v.phase.unwrap())).collect();
    assert_eq!(
        phases,
        [
            ("hetzner-fsn-rtz-prod", VclusterPhase::Provisioning),
            ("hetzner-hel-rtz-prod", VclusterPhase::Failed)
        ]
    );
    assert_eq!(condition(&env, "Ready"), ("False".into(), "PartialFailure".into()));
    assert_eq!(condition(&env, "GitRepositoryWritten"), ("False".into(), "PartialFailure".into()));
    let message = &find_condition(&st.conditions, "Ready").unwrap().message;
    assert!(
        message.starts_with("1 of 2 region(s) failed: hetzner-hel-rtz-prod: Gitea answered 503"),
        "{message}"
    );
    assert!(gitea.server.read_file("acme", "acme-environment", "main", hel).is_none());
}

#[tokio::test]
async fn a_concurrent_change_is_not_overwritten_and_is_retried_next_time() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let api = FakeApi::default();
    api.insert(&environment("acme-prod", "acme", "prod", "single-region", &[&hetzner("fsn")]));
    let ctx = context(&api, &gitea, settings());
    reconcile_environment("acme-prod", &ctx).await.unwrap();
    let path = "clusters/hetzner-fsn-rtz-prod/environments/acme-prod/gitrepository.yaml";
    // Drift, and another writer commits between our read and our write.
    gitea.server.commit_file("acme", "acme-environment", "main", path, b"drift\n").unwrap();
    gitea.server.change_before_next_write("acme", "acme-environment", path, b"someone else\n");
    let out = reconcile_environment("acme-prod", &ctx).await.unwrap();
    assert_eq!(out.phase, Some(EnvironmentPhase::Degraded));
    assert_eq!(gitea.server.read_file("acme", "acme-environment", "main", path).unwrap(), b"someone else\n");
    let out = reconcile_environment("acme-prod", &ctx).await.unwrap();
    assert_eq!((out.phase, out.commits), (Some(EnvironmentPhase::Ready), 1));
}

#[test]
fn env_t10_defaults() {
    let s = environment_controller::config::Settings::empty("https://g").with_defaults();
    assert_eq!(s.render.flux_namespace, "flux-system");
    assert_eq!(s.render.flux_interval_seconds, 60);
    assert_eq!(s.author.name, "environment-controller");
    assert_eq!(s.author.email, "environment-controller@openova.io");
    assert_eq!(s.render.repo_suffix, "-environment");
    assert_eq!(s.requeue_after, Duration::from_secs(300));
}

#[tokio::test]
async fn env_t11_deleted_before_read_is_benign() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let calls_before = gitea.exchanges().len();
    let api = FakeApi::default();
    api.insert(&environment("acme-prod", "acme", "prod", "single-region", &[&hetzner("fsn")]));
    api.delete("acme-prod");
    let ctx = context(&api, &gitea, settings());
    let out = reconcile_environment("acme-prod", &ctx).await.unwrap();
    assert_eq!((out.phase, out.requeue, out.status_written), (None, None, false));
    assert_eq!(gitea.exchanges().len(), calls_before);
    assert!(api.writes().is_empty());
}

#[tokio::test]
async fn a_failed_status_write_is_an_error_to_retry() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let api = FakeApi::default();
    api.insert(&environment("acme-prod", "acme", "prod", "single-region", &[&hetzner("fsn")]));
    api.fail_status_writes(true);
    let ctx = context(&api, &gitea, settings());
    let err = reconcile_environment("acme-prod", &ctx).await.unwrap_err();
    let shown = catalyst_naming::diagnostic::Chain(&err).to_string();
    assert!(shown.starts_with("Environment acme-prod: writing its status: "), "{shown}");
    let metrics = ctx.metrics.render();
    assert!(metrics.contains("environment_controller_reconcile_errors_total 1\n"), "{metrics}");
    api.fail_status_writes(false);
    let out = reconcile_environment("acme-prod", &ctx).await.unwrap();
    assert_eq!((out.phase, out.commits, out.status_written), (Some(EnvironmentPhase::Ready), 0, true));
    let metrics = ctx.metrics.render();
    assert!(metrics.contains("environment_controller_reconciles_total{phase=\"ready\"} 1\n"), "{metrics}");
    assert!(metrics.contains("environment_controller_gitea_commits_total 1\n"), "{metrics}");
}
