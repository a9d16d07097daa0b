//! The whole controller (kube-runtime's Controller over the metadata watch, as `run` builds
//! it) under Kubernetes API faults, against the in-memory API and the Gitea stand-in: status
//! writes answered 409, 429 with `Retry-After` and 500; watches that end every 2 s; a relist
//! (after a 410) that brings a changed Environment. It converges, commits each manifest once
//! (a retried reconcile finds the manifest unchanged and writes nothing), counts every failed
//! reconcile in its metrics, and is quiet at steady state.
//! Part of `scripts/test`'s fault-and-load step (`faults*` test binaries).

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use catalyst_testkit::controller::{self, counter, until};
use environment_controller::{Watched, error_policy, reconcile};
use serde_json::json;
use support::{FakeApi, Gitea, context, environment, hetzner, settings};

fn converged(api: &FakeApi, names: &[String]) -> bool {
    names.iter().all(|n| {
        let env = api.env(n);
        let st = env.status.unwrap_or_default();
        st.phase == Some(catalyst_core::crd::EnvironmentPhase::Ready)
            && st.observed_generation == env.metadata.generation
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_converges_through_api_faults_and_writes_nothing_twice() {
    let orgs = ["acme", "beta", "gamma", "delta"];
    let gitea = Gitea::with_orgs(&orgs).await;
    let api = FakeApi::default();
    let mut names = Vec::new();
    for org in orgs {
        for env_type in ["prod", "dev"] {
            let name = format!("{org}-{env_type}");
            api.insert(&environment(&name, org, env_type, "single-region", &[&hetzner("fsn")]));
            names.push(name);
        }
    }
    // Status writes: two conflicts, two 429s asking to wait a second, two 500s.
    api.inject("PATCH", "/status", 409, None, 2);
    api.inject("PATCH", "/status", 429, Some(1), 2);
    api.inject("PATCH", "/status", 500, None, 2);
    api.hold_watches(Some(Duration::from_secs(2)));

    let ctx = Arc::new(context(&api, &gitea, settings()));
    let controller = controller::spawn::<Watched, _, _>(api.client(), reconcile, error_policy, ctx.clone());

    until(
        "every Environment Ready at its generation, every fault used",
        || converged(&api, &names) && api.faults_left() == 0,
        || format!("faults left {}", api.faults_left()),
    )
    .await;
    let metrics = ctx.metrics.render();
    assert_eq!(counter(&metrics, "environment_controller_reconcile_errors_total"), 6, "{metrics}");
    assert_eq!(counter(&metrics, "environment_controller_gitea_commits_total"), 8, "{metrics}");
    // One manifest write per Environment: the six retried reconciles wrote nothing again.
    assert_eq!(gitea.writes().len(), 8, "{:?}", gitea.writes());

    // A spec change the watch misses (its next request answers 410): the relist brings it.
    api.inject("GET", "watch=true", 410, None, 1);
    api.change_env_spec(
        "acme-dev",
        &json!({"regions": [{"provider": "hetzner", "region": "hel", "buildingBlock": "rtz"}]}),
    );
    until("acme-dev reconciled at its new generation", || converged(&api, &names), String::new).await;
    let after_change = gitea.writes().len();
    assert!(after_change > 8, "the change was written: {:?}", gitea.writes());

    // Steady state across several watch restarts: nothing written anywhere.
    let api_writes = api.writes().len();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(gitea.writes().len(), after_change, "Gitea writes at steady state");
    assert_eq!(api.writes().len(), api_writes, "Kubernetes API writes at steady state");
    let restarts = api.requests().iter().filter(|r| r.query.contains("watch=true")).count();
    assert!(restarts >= 4, "the watch was restarted ({restarts} watch requests)");
    controller.abort();
}
