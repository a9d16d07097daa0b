//! The whole controller (kube-runtime's Controller over the metadata watch, as `run` builds
//! it) under Kubernetes API faults, against the in-memory API and the Gitea stand-in: status
//! writes answered 409, 429 with `Retry-After` and 500; watches that end every 2 s; a relist
//! (after a 410) that brings a changed Blueprint. It converges, mirrors each Blueprint to the
//! catalog once, counts failed reconciles in its metrics, and is quiet at steady state.
//! Part of `scripts/test`'s fault-and-load step (`faults*` test binaries).

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use blueprint_controller::{Shared, Watched, error_policy, reconcile};
use catalyst_testkit::controller::{self, counter, until};
use serde_json::json;
use support::*;

const BLUEPRINTS: [&str; 4] = ["bp-shop", "bp-blog", "bp-wiki", "bp-mail"];

fn show(api: &catalyst_testkit::kube::FakeApi) -> String {
    let states: Vec<String> = BLUEPRINTS
        .iter()
        .map(|b| {
            let o = api.object(&key(b)).unwrap();
            format!(
                "{b}: {} gen {} observed {}",
                o["status"]["phase"], o["metadata"]["generation"], o["status"]["observedGeneration"]
            )
        })
        .collect();
    format!("{states:?}; faults left {}", api.faults_left())
}

fn converged(api: &catalyst_testkit::kube::FakeApi) -> bool {
    BLUEPRINTS.iter().all(|b| {
        let o = api.object(&key(b)).unwrap();
        o["status"]["phase"] == "Published"
            && o["status"]["observedGeneration"] == o["metadata"]["generation"]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_converges_through_api_faults_and_writes_nothing_twice() {
    let w = world().await;
    for b in BLUEPRINTS {
        w.api.put_object(&blueprint(b, "listed", json!({})));
    }
    w.api.inject("PATCH", "/status", 409, None, 2);
    w.api.inject("PATCH", "/status", 429, Some(1), 1);
    w.api.inject("PATCH", "/status", 500, None, 1);
    w.api.hold_watches(Some(Duration::from_secs(2)));
    let (api, gitea) = (w.api.clone(), w.gitea);
    let shared = Arc::new(Shared {
        ctx: w.ctx,
        metrics: blueprint_controller::metrics::Metrics::new(),
        failures: std::sync::Mutex::default(),
    });
    let controller =
        controller::spawn::<Watched, _, _>(api.client(), reconcile, error_policy, shared.clone());

    until(
        "every Blueprint Published at its generation, every fault used",
        || converged(&api) && api.faults_left() == 0,
        || show(&api),
    )
    .await;
    let metrics = shared.metrics.render();
    assert_eq!(counter(&metrics, "blueprint_controller_reconcile_errors_total"), 4, "{metrics}");
    // Each Blueprint's catalog file was committed once, however often its reconcile was retried.
    for b in BLUEPRINTS {
        assert_eq!(
            gitea.server.commit_count("catalog", b, "main"),
            2,
            "{b}: the initial commit and the mirror"
        );
    }

    // A spec change the watch misses (its next request answers 410): the relist brings it.
    api.inject("GET", "watch=true", 410, None, 1);
    api.patch_object(&key("bp-shop"), &json!({"spec": {"version": "1.5.0"}}));
    until(
        "bp-shop mirrored at its new generation",
        || converged(&api) && gitea.server.commit_count("catalog", "bp-shop", "main") == 3,
        || show(&api),
    )
    .await;

    // Steady state across several watch restarts: nothing written anywhere.
    let settled = (api.writes().len(), gitea.writes().len());
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!((api.writes().len(), gitea.writes().len()), settled, "writes at steady state");
    controller.abort();
}
