//! The whole controller (kube-runtime's Controller over the metadata watch, as `run` builds
//! it) under Kubernetes API faults, against the in-memory API, the Gitea stand-in and the
//! Keycloak stand-in: a status write answered 429 with `Retry-After`, a Kustomization write
//! answered 500; watches that end every 2 s; a relist (after a 410) that
//! brings a changed Organization. It converges with exactly the Gitea writes of one clean
//! reconcile (a retried reconcile writes nothing again), counts failed reconciles in its
//! metrics, and is quiet at steady state.
//! Part of `scripts/test`'s fault-and-load step (`faults*` test binaries).

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use catalyst_testkit::controller::{self, counter, until};
use organization_controller::reconcile::reconcile_organization;
use organization_controller::{Shared, Watched, error_policy, reconcile};
use serde_json::json;
use support::*;

fn show(api: &catalyst_testkit::kube::FakeApi) -> String {
    let o = api.object(ORG).unwrap();
    format!("status {} gen {}; faults left {}", o["status"], o["metadata"]["generation"], api.faults_left())
}

fn converged(api: &catalyst_testkit::kube::FakeApi) -> bool {
    let o = api.object(ORG).unwrap();
    o["status"]["observedGeneration"] == o["metadata"]["generation"]
        && o["status"]["conditions"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["reason"] == "VClusterProvisioning"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_converges_through_api_faults_and_writes_nothing_twice() {
    // What one clean reconcile writes to Gitea.
    let clean = world().await;
    clean.api.put_object(&standard());
    reconcile_organization("acme", &clean.ctx).await.unwrap();
    let clean_writes = clean.gitea.writes();

    let w = world().await;
    w.api.put_object(&standard());
    // One object: each failed reconcile backs off (5 s, then 10 s), so two faults here; the
    // other controllers' tests take 409s and 500s on status writes too.
    w.api.inject("PATCH", "/status", 429, Some(1), 1);
    w.api.inject("PATCH", "/kustomizations/", 500, None, 1);
    w.api.hold_watches(Some(Duration::from_secs(2)));
    let (api, gitea) = (w.api.clone(), w.gitea);
    let shared = Arc::new(Shared {
        ctx: w.ctx,
        metrics: organization_controller::metrics::Metrics::new(),
        failures: std::sync::Mutex::default(),
    });
    let controller =
        controller::spawn::<Watched, _, _>(api.client(), reconcile, error_policy, shared.clone());

    until(
        "the Organization reconciled at its generation, every fault used",
        || converged(&api) && api.faults_left() == 0,
        || show(&api),
    )
    .await;
    let metrics = shared.metrics.render();
    let errors = counter(&metrics, "organization_controller_reconcile_errors_total");
    assert!((1..=2).contains(&errors), "two refused writes, each failing at most one reconcile: {metrics}");
    assert_eq!(gitea.writes(), clean_writes, "exactly the Gitea writes of one clean reconcile");

    // A spec change the watch misses (its next request answers 410): the relist brings it.
    api.inject("GET", "watch=true", 410, None, 1);
    api.patch_object(ORG, &json!({"spec": {"displayName": "Acme Corporation"}}));
    until("the Organization reconciled at its new generation", || converged(&api), || show(&api)).await;

    // Steady state across several watch restarts: nothing written anywhere.
    let settled = (api.writes().len(), gitea.writes().len());
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!((api.writes().len(), gitea.writes().len()), settled, "writes at steady state");
    controller.abort();
}
