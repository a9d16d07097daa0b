//! The whole controller (kube-runtime's Controller over the metadata watch, as `run` builds
//! it) under Kubernetes API faults, against the in-memory API: `RoleBinding` writes answered
//! 500, status writes answered 409 and 429 with `Retry-After`; watches that end every 2 s; a
//! relist (after a 410) that brings a changed UserAccess. It converges, writes each binding
//! once, counts every failed reconcile in its metrics, and is quiet at steady state.
//! Part of `scripts/test`'s fault-and-load step (`faults*` test binaries).

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use catalyst_testkit::controller::{self, counter, until};
use serde_json::json;
use support::*;
use useraccess_controller::{Shared, Watched, error_policy, reconcile};

const USERS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "fay"];

fn spec(user: &str, namespaces: &[&str]) -> serde_json::Value {
    json!({"user": {"keycloakSubject": format!("sub-{user}")}, "sovereignRef": "acme",
        "applications": [{"app": "acme", "role": "editor", "namespaces": namespaces}]})
}

fn show(api: &catalyst_testkit::kube::FakeApi) -> String {
    let states: Vec<String> = USERS
        .iter()
        .map(|u| {
            let ua = api.object(&ua_key(u)).unwrap();
            format!(
                "{u}: {} gen {} observed {}",
                ua["status"]["phase"], ua["metadata"]["generation"], ua["status"]["observedGeneration"]
            )
        })
        .collect();
    let requests: Vec<String> = api
        .requests()
        .iter()
        .rev()
        .take(12)
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect();
    format!("{states:?}; faults left {}; last requests {requests:?}", api.faults_left())
}

fn converged(api: &catalyst_testkit::kube::FakeApi) -> bool {
    USERS.iter().all(|u| {
        let ua = api.object(&ua_key(u)).unwrap();
        ua["status"]["phase"] == "Active"
            && ua["status"]["observedGeneration"] == ua["metadata"]["generation"]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_converges_through_api_faults_and_writes_nothing_twice() {
    let w = world();
    for u in USERS {
        w.api.put_object(&user_access(u, spec(u, &[&format!("ns-{u}")])));
    }
    w.api.inject("PATCH", "/rolebindings/", 500, None, 2);
    w.api.inject("PATCH", "/status", 409, None, 2);
    w.api.inject("PATCH", "/status", 429, Some(1), 2);
    w.api.hold_watches(Some(Duration::from_secs(2)));
    let api = w.api.clone();
    let shared = Arc::new(Shared {
        ctx: w.ctx,
        metrics: useraccess_controller::metrics::Metrics::new(),
        failures: std::sync::Mutex::default(),
    });
    let controller =
        controller::spawn::<Watched, _, _>(api.client(), reconcile, error_policy, shared.clone());

    until(
        "every UserAccess Active at its generation, every fault used",
        || converged(&api) && api.faults_left() == 0,
        || show(&api),
    )
    .await;
    let metrics = shared.metrics.render();
    // Six refused writes; a reconcile whose binding write fails still records that in the
    // status, so one reconcile can meet two of them: four to six failed reconciles, all counted.
    let errors = counter(&metrics, "useraccess_controller_reconcile_errors_total");
    assert!((4..=6).contains(&errors), "{metrics}");
    let applies =
        api.writes().iter().filter(|r| r.method == "PATCH" && r.path.contains("/rolebindings/")).count();
    // Two binding writes were refused (500) and sent again; every binding exists once.
    assert_eq!(applies, 6 + 2);
    for u in USERS {
        assert!(
            api.object(&rb_key(&format!("ns-{u}"), &format!("useraccess-{u}-acme-editor"))).is_some(),
            "{u}"
        );
    }

    // A spec change the watch misses (its next request answers 410): the relist brings it.
    api.inject("GET", "watch=true", 410, None, 1);
    api.patch_object(&ua_key("alice"), &json!({"spec": spec("alice", &["ns-alice", "ns-extra"])}));
    until(
        "alice reconciled at its new generation",
        || converged(&api) && api.object(&rb_key("ns-extra", "useraccess-alice-acme-editor")).is_some(),
        || show(&api),
    )
    .await;

    // Steady state across several watch restarts: nothing written.
    let settled = api.writes().len();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(api.writes().len(), settled, "writes at steady state");
    controller.abort();
}
