//! The exact requests the controller sends to the Kubernetes API (kube's tower-test mock):
//! one read, one server-side-apply status patch with the body below, and nothing but the read
//! at steady state.
#![allow(clippy::unwrap_used)]

mod support;

use http::{Request, Response};
use kube::client::Body;
use serde_json::{Value, json};
use support::{Gitea, settings};

use environment_controller::metrics::Metrics;
use environment_controller::reconcile::{Context, reconcile_environment};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

fn object(status: Option<&Value>) -> Value {
    let mut obj = json!({
        "apiVersion": "catalyst.openova.io/v1", "kind": "Environment",
        "metadata": {"name": "acme-prod", "uid": "abc-123", "generation": 5, "resourceVersion": "7"},
        "spec": {"organizationRef": "acme", "envType": "prod", "placement": "single-region",
                 "regions": [{"provider": "hetzner", "region": "fsn", "buildingBlock": "rtz"}]}
    });
    if let Some(s) = status {
        obj["status"] = s.clone();
    }
    obj
}

fn respond(body: &Value) -> Response<Body> {
    Response::builder().status(200).body(Body::from(body.to_string().into_bytes())).unwrap()
}

#[tokio::test]
async fn status_is_one_apply_patch_and_steady_state_only_reads() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let mut ctx =
        Context::new(kube::Client::new(service, "default"), gitea.client.clone(), settings(), Metrics::new());
    ctx.clock = std::sync::Arc::new(|| Time(support::NOW.parse().unwrap()));
    let ctx = std::sync::Arc::new(ctx);

    let c = ctx.clone();
    let task = tokio::spawn(async move { reconcile_environment("acme-prod", &c).await });
    let (get, send) = handle.next_request().await.unwrap();
    assert_eq!(get.method(), "GET");
    assert_eq!(get.uri().to_string(), "/apis/catalyst.openova.io/v1/environments/acme-prod");
    send.send_response(respond(&object(None)));
    let (patch, send) = handle.next_request().await.unwrap();
    assert_eq!(patch.method(), "PATCH");
    assert_eq!(
        patch.uri().to_string(),
        "/apis/catalyst.openova.io/v1/environments/acme-prod/status?&force=true&fieldManager=environment-controller"
    );
    assert_eq!(patch.headers()["content-type"], "application/apply-patch+yaml");
    let body: Value = serde_json::from_slice(&patch.into_body().collect_bytes().await.unwrap()).unwrap();
    let t = support::NOW;
    let expected_status = json!({
        "phase": "Ready",
        "regionCount": 1,
        "vclusters": [{"host": "hetzner-fsn-rtz-prod", "name": "acme", "phase": "Provisioning", "lastTransitionTime": t}],
        "giteaRepoRef": {"org": "acme", "branch": "main"},
        "jetstreamSubjectPrefix": "ws.acme-prod.>",
        "conditions": [
            {"type": "GiteaOrgReady", "status": "True", "reason": "OrgFound", "message": "Gitea org \"acme\" exists",
             "lastTransitionTime": t, "observedGeneration": 5},
            {"type": "GitRepositoryWritten", "status": "True", "reason": "Reconciled",
             "message": "1 GitRepository manifest(s) in acme/acme-environment", "lastTransitionTime": t, "observedGeneration": 5},
            {"type": "Ready", "status": "True", "reason": "Reconciled",
             "message": "1 GitRepository manifest(s) in acme/acme-environment", "lastTransitionTime": t, "observedGeneration": 5}
        ],
        "observedGeneration": 5
    });
    assert_eq!(
        body,
        json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Environment", "status": expected_status})
    );
    send.send_response(respond(&object(Some(&expected_status))));
    let out = task.await.unwrap().unwrap();
    assert!(out.status_written);

    // Steady state: the object already carries that status; one read, no write.
    let c = ctx.clone();
    let task = tokio::spawn(async move { reconcile_environment("acme-prod", &c).await });
    let (get, send) = handle.next_request().await.unwrap();
    assert_eq!(get.method(), "GET");
    send.send_response(respond(&object(Some(&expected_status))));
    let out = task.await.unwrap().unwrap();
    assert_eq!((out.status_written, out.commits), (false, 0));
    // The reconcile is over: no request is left waiting.
    let pending = tokio::time::timeout(std::time::Duration::from_millis(100), handle.next_request()).await;
    assert!(pending.is_err(), "an unexpected request followed");
    assert!(gitea.writes().len() == 1, "{:?}", gitea.writes());
}

#[tokio::test]
async fn an_api_error_on_read_is_returned_for_backoff() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let ctx =
        Context::new(kube::Client::new(service, "default"), gitea.client.clone(), settings(), Metrics::new());
    let task = tokio::spawn(async move { reconcile_environment("acme-prod", &ctx).await });
    let (_, send) = handle.next_request().await.unwrap();
    let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "environments.catalyst.openova.io \"acme-prod\" is forbidden", "reason": "Forbidden", "code": 403});
    send.send_response(
        Response::builder().status(403).body(Body::from(status.to_string().into_bytes())).unwrap(),
    );
    let err = task.await.unwrap().unwrap_err();
    let shown = catalyst_naming::diagnostic::Chain(&err).to_string();
    assert!(shown.starts_with("Environment acme-prod: reading it: "), "{shown}");
    assert!(gitea.exchanges().is_empty());
}
