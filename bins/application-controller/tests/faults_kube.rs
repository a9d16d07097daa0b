//! The whole controller (kube-runtime's Controller over the metadata watch, as `run` builds
//! it) under Kubernetes API faults, against the in-memory API and the Gitea stand-in: status
//! writes answered 409, 429 with `Retry-After` and 500, the finalizer write answered 500;
//! watches that end every 2 s; a relist (after a 410) that brings a changed Application. It
//! converges, commits each Application's files once, counts failed reconciles in its metrics,
//! and is quiet at steady state.
//! Part of `scripts/test`'s fault-and-load step (`faults*` test binaries).

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use application_controller::{Shared, Watched, error_policy, reconcile};
use catalyst_testkit::controller::{self, counter, until};
use serde_json::json;
use support::*;

const APPS: [&str; 4] = ["site", "blog", "shop", "wiki"];

fn key(app: &str) -> String {
    format!("apps.openova.io/applications/acme/{app}")
}

fn show(api: &catalyst_testkit::kube::FakeApi) -> String {
    let states: Vec<String> = APPS
        .iter()
        .map(|a| {
            let o = api.object(&key(a)).unwrap();
            format!(
                "{a}: {} gen {} observed {}",
                o["status"]["phase"], o["metadata"]["generation"], o["status"]["observedGeneration"]
            )
        })
        .collect();
    format!("{states:?}; faults left {}", api.faults_left())
}

fn converged(api: &catalyst_testkit::kube::FakeApi) -> bool {
    APPS.iter().all(|a| {
        let o = api.object(&key(a)).unwrap();
        o["status"]["phase"] == "Provisioning"
            && o["status"]["observedGeneration"] == o["metadata"]["generation"]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_converges_through_api_faults_and_writes_nothing_twice() {
    let w = world(true).await;
    for a in APPS {
        w.api.put_object(&application(a, "single-region", &["hetzner-fsn-rtz-prod"], json!({"replicas": 1})));
    }
    w.api.inject("PATCH", "/status", 409, None, 1);
    w.api.inject("PATCH", "/status", 429, Some(1), 1);
    w.api.inject("PATCH", "/status", 500, None, 1);
    w.api.inject("PATCH", "/applications/blog?", 500, None, 1);
    w.api.hold_watches(Some(Duration::from_secs(2)));
    let (api, gitea) = (w.api.clone(), w.gitea);
    let shared = Arc::new(Shared {
        ctx: w.ctx,
        metrics: application_controller::metrics::Metrics::new(),
        failures: std::sync::Mutex::default(),
    });
    let controller =
        controller::spawn::<Watched, _, _>(api.client(), reconcile, error_policy, shared.clone());

    until(
        "every Application reconciled at its generation, every fault used",
        || converged(&api) && api.faults_left() == 0,
        || show(&api),
    )
    .await;
    let metrics = shared.metrics.render();
    let errors = counter(&metrics, "application_controller_reconcile_errors_total");
    assert!((1..=4).contains(&errors), "four refused writes, each failing at most one reconcile: {metrics}");
    // Each Application's files were committed once, however often its reconcile was retried.
    for a in APPS {
        let commits = gitea.server.commit_count("acme", a, "main");
        assert_eq!(commits, 2, "{a}: the initial commit and one render");
    }

    // A spec change the watch misses (its next request answers 410): the relist brings it.
    api.inject("GET", "watch=true", 410, None, 1);
    api.patch_object(&key("site"), &json!({"spec": {"parameters": {"replicas": 3}}}));
    until(
        "site reconciled at its new generation",
        || converged(&api) && gitea.server.commit_count("acme", "site", "main") == 3,
        || show(&api),
    )
    .await;

    // Steady state across several watch restarts: nothing written anywhere.
    let settled = (api.writes().len(), gitea.writes().len());
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!((api.writes().len(), gitea.writes().len()), settled, "writes at steady state");
    controller.abort();
}
