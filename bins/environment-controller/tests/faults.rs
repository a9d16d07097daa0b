//! The controller under faults (issue 16 §6): leader election as strong as client-go's (a
//! renewal that never answers steps down within the renew deadline; expiry judged by this
//! replica's clock, not the holder's `renewTime`), reconciles stopped when leadership is
//! lost, an Environment that does not deserialize reported as `InvalidSpec` without stalling
//! the watch, and the error policy's backoff.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use catalyst_core::crd::EnvironmentPhase;
use environment_controller::leader::{Elector, LEASE_NAME, LeaseTimings};
use environment_controller::reconcile::{Context, Error, reconcile_environment};
use environment_controller::{BACKOFF_MAX, Watched, backoff, error_policy, reconcile, triggers};
use futures::StreamExt as _;
use http::{Request, Response};
use kube::client::Body;
use kube::runtime::controller::Action;
use kube::runtime::watcher;
use serde_json::json;
use support::{FakeApi, Gitea, context, environment, hetzner, settings};
use tokio::time::Instant;

/// A kube client whose requests are all received and never answered.
fn silent_client() -> kube::Client {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Some(pending) = handle.next_request().await {
            held.push(pending);
        }
    });
    kube::Client::new(service, "default")
}

/// client-go's renewDeadline: a leader whose renewal GET never answers steps down within
/// 10 s of the renewal starting (tokio's paused clock: no real waiting).
#[tokio::test(start_paused = true)]
async fn a_renewal_that_never_answers_steps_down_within_the_deadline() {
    let elector =
        Elector::new(silent_client(), "catalyst-system", LEASE_NAME, "pod-a", LeaseTimings::default());
    let started = Instant::now();
    elector.hold().await;
    let took = started.elapsed();
    // The renewal starts after one retry period (2 s) and ends at the deadline: 10 s after
    // the last successful renewal began (here: the acquisition, when `hold` was called).
    assert!(took >= Duration::from_secs(10) && took < Duration::from_secs(11), "{took:?}");
}

fn spec(holder: &str, renew: jiff::Timestamp) -> serde_json::Value {
    let t = renew.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string();
    json!({"holderIdentity": holder, "leaseDurationSeconds": 15, "renewTime": t, "acquireTime": t, "leaseTransitions": 0})
}

/// Expiry is judged from when this replica saw the Lease record change, not from the
/// holder's `renewTime`: a holder whose clock runs 20 s ahead (or 60 s behind) keeps the
/// Lease while it renews, and loses it one lease duration after it stops renewing.
#[tokio::test(start_paused = true)]
async fn clock_skew_cannot_steal_or_pin_a_lease() {
    for skew in [20i64, -60] {
        let api = FakeApi::default();
        let b = Elector::new(api.client(), "catalyst-system", LEASE_NAME, "pod-b", LeaseTimings::default());
        let skewed = || jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_secs(skew)).unwrap();
        // pod-a renews every 2 s for 60 s; pod-b tries every 2 s and never wins.
        for _ in 0..30 {
            api.write_lease("catalyst-system", LEASE_NAME, &spec("pod-a", skewed()));
            assert!(!b.try_acquire_or_renew().await.unwrap(), "skew {skew}: taken while the holder renews");
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        // pod-a stops renewing (its last renewTime stays skewed). pod-b takes over one lease
        // duration after the record last changed, whatever renewTime says.
        api.write_lease("catalyst-system", LEASE_NAME, &spec("pod-a", skewed()));
        let stopped = Instant::now();
        while !b.try_acquire_or_renew().await.unwrap() {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let took = stopped.elapsed();
        assert!(took >= Duration::from_secs(15) && took <= Duration::from_secs(17), "skew {skew}: {took:?}");
        assert_eq!(api.lease("catalyst-system", LEASE_NAME).unwrap()["spec"]["holderIdentity"], "pod-b");
    }
}

/// A reconcile in flight when leadership is lost stops at once instead of finishing its
/// writes as a replica that is no longer the leader.
#[tokio::test]
async fn losing_leadership_stops_reconciles_in_flight() {
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let ctx = Arc::new(Context::new(
        silent_client(),
        gitea.client.clone(),
        settings(),
        environment_controller::metrics::Metrics::new(),
    ));
    let watched: Watched = serde_json::from_value(json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Environment", "metadata": {"name": "acme-prod"}})).unwrap();
    let task = tokio::spawn(reconcile(Arc::new(watched), ctx.clone()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!task.is_finished(), "the reconcile waits on the API");
    ctx.stopping.send_replace(true);
    let result = tokio::time::timeout(Duration::from_secs(1), task).await.expect("stops at once").unwrap();
    assert!(matches!(result, Err(Error::Stopped)), "{result:?}");
}

/// ENV-T6 / CORE-5: an Environment whose spec does not deserialize (`placement: global`)
/// gets phase Failed, reason `InvalidSpec`, and no requeue; nothing is written to Gitea.
#[tokio::test]
async fn an_object_that_does_not_deserialize_is_invalid_spec() {
    let api = FakeApi::default();
    let gitea = Gitea::with_orgs(&["acme"]).await;
    api.insert(&environment("acme-prod", "acme", "prod", "global", &[&hetzner("fsn")]));
    let ctx = context(&api, &gitea, settings());
    let outcome = reconcile_environment("acme-prod", &ctx).await.unwrap();
    assert_eq!(
        (outcome.phase, outcome.requeue, outcome.status_written),
        (Some(EnvironmentPhase::Failed), None, true)
    );
    let raw = api.requests().into_iter().rev().find(|r| r.method == "PATCH").unwrap().body.unwrap();
    let ready = &raw["status"]["conditions"][0];
    assert_eq!(
        (ready["type"].as_str(), ready["status"].as_str(), ready["reason"].as_str()),
        (Some("Ready"), Some("False"), Some("InvalidSpec"))
    );
    let message = ready["message"].as_str().unwrap();
    assert!(
        message.starts_with("the object does not fit the Environment schema: unknown variant `global`"),
        "{message}"
    );
    assert_eq!(raw["status"]["phase"], "Failed");
    assert!(gitea.writes().is_empty(), "nothing written to Gitea");
    // Reconciling again changes nothing: no second status write.
    let again = reconcile_environment("acme-prod", &ctx).await.unwrap();
    assert!(!again.status_written);
}

/// One malformed Environment never stalls the watch: the controller watches metadata only,
/// so every Environment is listed; a typed watch over the same objects fails as a whole.
#[tokio::test]
async fn one_malformed_object_does_not_stall_the_watch() {
    let api = FakeApi::default();
    api.insert(&environment("acme-bad", "acme", "prod", "global", &[&hetzner("fsn")]));
    api.insert(&environment("acme-dev", "acme", "dev", "single-region", &[&hetzner("fsn")]));
    let watched: kube::Api<Watched> = kube::Api::all(api.client());
    let names: Vec<String> = triggers(watcher(watched, watcher::Config::default()))
        .take(2)
        .map(|r| r.unwrap().metadata.name.unwrap())
        .collect()
        .await;
    assert_eq!(names, ["acme-bad", "acme-dev"]);
    let typed: kube::Api<catalyst_core::crd::Environment> = kube::Api::all(api.client());
    let events: Vec<_> = Box::pin(watcher(typed, watcher::Config::default())).take(3).collect().await;
    assert!(events.iter().any(Result::is_err), "the typed list fails on the malformed object: {events:?}");
}

/// The error policy: transient errors back off exponentially with jitter, per Environment,
/// reset by a success; permanent ones wait for a spec change.
#[tokio::test]
async fn error_policy_backs_off_with_jitter_and_waits_on_permanent_errors() {
    assert_eq!(backoff(1, 1.0), Duration::from_secs(5));
    assert_eq!(backoff(2, 1.0), Duration::from_secs(10));
    assert_eq!(backoff(4, 1.0), Duration::from_secs(40));
    assert_eq!(backoff(30, 1.0), BACKOFF_MAX);
    assert_eq!(backoff(1, 0.8), Duration::from_secs(4));
    assert_eq!(backoff(1, 9.0), Duration::from_secs(6), "jitter is clamped to 0.8..1.2");

    let gitea = Gitea::with_orgs(&["acme"]).await;
    let api = FakeApi::default();
    let ctx = Arc::new(context(&api, &gitea, settings()));
    let watched: Arc<Watched> = Arc::new(serde_json::from_value(json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Environment", "metadata": {"name": "acme-prod"}})).unwrap());
    let transient = Error::Kube {
        name: "acme-prod".into(),
        action: "writing its status",
        source: kube::Error::Api(kube::core::Status::failure("etcd", "InternalError").with_code(500).boxed()),
    };
    let mut waits = Vec::new();
    for _ in 0..3 {
        waits.push(error_policy(watched.clone(), &transient, ctx.clone()));
    }
    let secs: Vec<f64> = waits
        .iter()
        .map(|a| format!("{a:?}"))
        .map(|d| d.split("requeue_after: Some(").nth(1).unwrap().split('s').next().unwrap().parse().unwrap())
        .collect();
    for (i, base) in [5.0, 10.0, 20.0].iter().enumerate() {
        assert!(secs[i] >= base * 0.8 - 1e-9 && secs[i] <= base * 1.2 + 1e-9, "{secs:?}");
    }
    // A success resets the count (the reconcile of a missing object succeeds).
    reconcile(watched.clone(), ctx.clone()).await.unwrap();
    assert!(ctx.failures.lock().unwrap().get("acme-prod").is_none());
    let permanent = Error::Unnamed;
    assert_eq!(error_policy(watched.clone(), &permanent, ctx.clone()), Action::await_change());
    let invalid = Error::Kube {
        name: "acme-prod".into(),
        action: "writing its status",
        source: kube::Error::Api(kube::core::Status::failure("invalid", "Invalid").with_code(422).boxed()),
    };
    assert!(invalid.is_permanent() && !transient.is_permanent());
    assert_eq!(error_policy(watched, &invalid, ctx), Action::await_change());
}

fn lease_json(holder: &str, rv: u32) -> serde_json::Value {
    json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
           "metadata": {"name": LEASE_NAME, "namespace": "catalyst-system", "resourceVersion": rv.to_string()},
           "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15, "renewTime": "2026-12-06T00:00:00.000000Z", "leaseTransitions": 0}})
}

/// A kube client answering requests by `script(n, method)`: `Some((delay, status, body))` is
/// sent after the delay, `None` is never answered.
fn scripted(
    script: impl Fn(usize, &str) -> Option<(Duration, u16, serde_json::Value)> + Send + 'static,
) -> kube::Client {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    tokio::spawn(async move {
        let mut held = Vec::new();
        let mut n = 0;
        while let Some((req, send)) = handle.next_request().await {
            n += 1;
            match script(n, req.method().as_str()) {
                Some((delay, status, body)) => {
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        send.send_response(
                            Response::builder()
                                .status(status)
                                .body(Body::from(body.to_string().into_bytes()))
                                .unwrap(),
                        );
                    });
                }
                None => held.push(send),
            }
        }
    });
    kube::Client::new(service, "default")
}

/// Found by review: the renew deadline ran per renewal, so a renewal answered late (but in
/// time) followed by one that hangs kept leadership ~22 s after the last renewal began, past
/// the 15 s lease. The deadline runs from the start of the last successful renewal.
#[tokio::test(start_paused = true)]
async fn a_late_renewal_does_not_stretch_leadership_past_the_lease() {
    // Request 1 (GET) answers after 7.9 s, 2 (PUT) at once; everything after never answers.
    let client = scripted(|n, _| match n {
        1 => Some((Duration::from_millis(7900), 200, lease_json("pod-a", 1))),
        2 => Some((Duration::ZERO, 200, lease_json("pod-a", 2))),
        _ => None,
    });
    let elector = Elector::new(client, "catalyst-system", LEASE_NAME, "pod-a", LeaseTimings::default());
    let started = Instant::now();
    elector.hold().await;
    let took = started.elapsed();
    // The renewal began at 2 s and succeeded at 9.9 s; the next begins at 11.9 s and hangs:
    // the leader steps down at 12 s (2 s + the 10 s deadline), before the 15 s lease of
    // others' observation runs out.
    assert!(took >= Duration::from_secs(12) && took < Duration::from_millis(12_100), "{took:?}");
}

/// Found by review: a renewal that lost a write race (409) while this replica still held the
/// Lease was taken as lost leadership. It is retried within the deadline.
#[tokio::test(start_paused = true)]
async fn a_conflicting_renewal_is_retried_not_taken_as_a_loss() {
    // GET, PUT 409, GET (holder check: still pod-a), then GET + PUT succeed, repeatedly.
    let client = scripted(|n, method| match (n, method) {
        (2, "PUT") => Some((
            Duration::ZERO,
            409,
            json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Conflict", "code": 409, "message": "the object has been modified"}),
        )),
        _ => Some((Duration::ZERO, 200, lease_json("pod-a", u32::try_from(n).unwrap()))),
    });
    let elector = Elector::new(client, "catalyst-system", LEASE_NAME, "pod-a", LeaseTimings::default());
    let held = tokio::time::timeout(Duration::from_secs(60), elector.hold()).await;
    assert!(held.is_err(), "hold returned (leadership given up) after one conflicting write");
}

/// Found by review: a status this controller cannot read (another version's phase, a hand
/// edit) marked a valid spec Failed/InvalidSpec. The spec is reconciled and the status
/// written afresh.
#[tokio::test]
async fn an_unreadable_status_does_not_fail_a_valid_spec() {
    let api = FakeApi::default();
    let gitea = Gitea::with_orgs(&["acme"]).await;
    let yaml = environment("acme-prod", "acme", "prod", "single-region", &[&hetzner("fsn")]);
    api.insert(&format!("{yaml}status: {{phase: Exploded, regionCount: many}}\n"));
    let ctx = context(&api, &gitea, settings());
    let outcome = reconcile_environment("acme-prod", &ctx).await.unwrap();
    assert_eq!(outcome.phase, Some(EnvironmentPhase::Ready));
    assert_eq!(api.env("acme-prod").status.unwrap().phase, Some(EnvironmentPhase::Ready));
}
