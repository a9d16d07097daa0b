//! The controller's scenarios (SPEC CONT-2 … CONT-4) against the in-memory Kubernetes API
//! (Continuums, CNPG Clusters, an HTTPRoute, Leases; every request logged), the PDM stand-in
//! and a real nats-server: workers start and stop with their Continuum, invalid specs fail,
//! the happy path and a failure at every step, lease loss and collision, the standby grace
//! window, auto-failover, and a steady state that writes nothing but lease renewals.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use continuum_controller::audit::{Audit, NoAudit};
use continuum_controller::reconcile::{Outcome, reconcile_continuum};
use continuum_controller::switchover::Step;
use continuum_controller::worker::{Memory, tick};
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn the_first_reconcile_starts_one_worker_and_a_delete_stops_it() {
    let w = world(true).await;
    let ctx = context(&w, None).await;
    assert_eq!(
        reconcile_continuum("acme", "web-dr", &ctx).await.unwrap(),
        Outcome::Running { started: true }
    );
    assert_eq!(
        reconcile_continuum("acme", "web-dr", &ctx).await.unwrap(),
        Outcome::Running { started: false }
    );
    assert_eq!(ctx.workers.keys(), ["acme/web-dr"]);
    // The worker's first tick takes the lease and reports Healthy.
    for _ in 0..200 {
        if status(&w)["phase"] == "Healthy" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status(&w)["phase"], "Healthy");
    assert_eq!(holder(&w.api).as_deref(), Some(FSN));
    assert_eq!(audit_types(&w).await.iter().filter(|t| *t == "continuum-cr-created").count(), 1);

    w.api.delete_object(KEY);
    assert_eq!(reconcile_continuum("acme", "web-dr", &ctx).await.unwrap(), Outcome::Gone { stopped: true });
    assert!(ctx.workers.keys().is_empty());
    assert_eq!(reconcile_continuum("acme", "web-dr", &ctx).await.unwrap(), Outcome::Gone { stopped: false });
}

#[tokio::test]
async fn a_deleted_continuum_releases_its_lease_and_ends_the_worker() {
    let w = world(true).await;
    let ctx = context(&w, None).await;
    let mut mem = Memory::default();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(holder(&w.api).as_deref(), Some(FSN));
    w.api.delete_object(KEY);
    let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert!(t.gone);
    assert_eq!(holder(&w.api), None, "released so the standbys see it free");
}

#[tokio::test]
async fn an_invalid_spec_is_failed_and_starts_nothing() {
    let w = world(true).await;
    w.api.patch_object(KEY, &json!({"spec": {"hotStandbyRegions": [FSN]}}));
    let ctx = context(&w, None).await;
    let out = reconcile_continuum("acme", "web-dr", &ctx).await.unwrap();
    assert_eq!(out, Outcome::Invalid { status_written: true });
    assert_eq!(status(&w)["phase"], "Failed");
    let (st, reason, message) = condition(&w, "Ready");
    assert_eq!((st.as_str(), reason.as_str()), ("False", "Invalid"));
    assert!(
        message.contains("spec.hotStandbyRegions[0]: hz-fsn-rtz-prod is the primary region"),
        "{message}"
    );
    assert!(ctx.workers.keys().is_empty());
    assert_eq!(status(&w)["observedGeneration"], 2);
    // Nothing changed: no second write.
    let before = w.api.requests().len();
    assert_eq!(
        reconcile_continuum("acme", "web-dr", &ctx).await.unwrap(),
        Outcome::Invalid { status_written: false }
    );
    assert!(writes_since(&w.api, before).is_empty());
}

/// Steady state: after the first tick, each tick writes exactly one thing, the Lease renewal,
/// and publishes nothing.
#[tokio::test]
async fn the_steady_state_writes_nothing_but_lease_renewals() {
    let w = world(true).await;
    let ctx = context(&w, None).await;
    let mut mem = Memory::default();
    let first = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert!(first.status_written);
    assert_eq!(first.renew, Duration::from_secs(10));
    assert_eq!(status(&w)["phase"], "Healthy");
    assert_eq!(status(&w)["leaseHolder"], FSN);
    assert_eq!(condition(&w, "LeaseHeld").0, "True");
    assert_eq!(condition(&w, "StandbyAvailable").1, "StandbyReachable");
    let published = audit_types(&w).await;
    assert_eq!(published, ["continuum-lease-acquired", "continuum-reconcile-success"]);
    let before = w.api.requests().len();
    let ticks = 36;
    for _ in 0..ticks {
        w.clock.advance(Duration::from_secs(10));
        let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
        assert!(!t.status_written);
    }
    let writes = writes_since(&w.api, before);
    assert_eq!(writes.len(), ticks, "{writes:?}");
    assert!(
        writes
            .iter()
            .all(|w| w == &format!("PUT /apis/coordination.k8s.io/v1/namespaces/acme/leases/{LEASE}"))
    );
    assert_eq!(audit_types(&w).await, published, "no audit event on a healthy tick");
    assert!(w.pdm.commits().is_empty());
}

#[tokio::test]
async fn a_requested_switchover_moves_everything_and_records_the_new_primary() {
    let w = world(true).await;
    let ctx = context(&w, None).await;
    let mut mem = Memory::default();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    request_switchover(&w);
    let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    let done = t.switchover.unwrap_or_else(|| panic!("{}", status(&w))).unwrap();
    assert_eq!((done.plan.from.as_str(), done.plan.to.as_str()), (FSN, HEL));
    let st = status(&w);
    assert_eq!(st["phase"], "FailedOver");
    assert_eq!(st["primaryRegion"], HEL);
    assert_eq!(st["leaseHolder"], HEL);
    assert!(st.get("switchoverStep").is_none());
    let last = &st["lastSwitchover"];
    assert_eq!(
        (last["result"].as_str(), last["from"].as_str(), last["to"].as_str()),
        (Some("Success"), Some(FSN), Some(HEL))
    );
    assert_eq!((last["reason"].as_str(), last["initiatedBy"].as_str()), (Some("manual"), Some("alice")));
    assert!(last["rtoObserved"].as_str().unwrap().ends_with('s'));
    let record = &st["lastLuaRecord"]["records"][0];
    assert_eq!(record["primaryRegion"], HEL);
    assert_eq!(record["hostname"], "web.acme.example");
    let body = record["body"].as_str().unwrap();
    assert!(
        body.starts_with(
            "ifurlup(\"https://probe-hel.acme.example/healthz\", {{\"127.0.2.1\"}, {\"127.0.1.1\"}}"
        ),
        "{body}"
    );
    assert!(st["lastLuaRecordAt"].is_string());
    assert_eq!(
        condition(&w, "Ready"),
        ("True".into(), "Succeeded".into(), format!("switchover {FSN} → {HEL} completed"))
    );
    // The request is cleared; the database, the lease and the traffic follow.
    assert_eq!(w.api.object(KEY).unwrap()["spec"]["switchover"]["requested"], false);
    assert_eq!(w.api.object(FSN_DB).unwrap()["spec"]["replica"]["enabled"], true);
    assert_eq!(w.api.object(HEL_DB).unwrap()["spec"]["replica"]["enabled"], false);
    assert_eq!(holder(&w.api).as_deref(), Some(HEL));
    let backends = w.api.object(ROUTE).unwrap()["spec"]["rules"][0]["backendRefs"].clone();
    assert_eq!((backends[0]["weight"].as_i64(), backends[1]["weight"].as_i64()), (Some(0), Some(1)));
    assert_eq!(w.pdm.commits().len(), 1);
    let switchovers: Vec<Value> =
        audits(&w).await.into_iter().filter(|(t, _)| t == "continuum-switchover").map(|(_, b)| b).collect();
    assert_eq!(switchovers.len(), 1, "exactly one continuum-switchover event");
    assert_eq!(switchovers[0]["initiatedBy"], "alice");
    assert_eq!(switchovers[0]["step"], "7/7");
    // The controller holds the lease as the new primary now: the next ticks renew it as HEL,
    // keep FailedOver, and write nothing else.
    // (The first records the generation that clearing the request made.)
    w.clock.advance(Duration::from_secs(10));
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["observedGeneration"], 3);
    let before = w.api.requests().len();
    for _ in 0..3 {
        w.clock.advance(Duration::from_secs(10));
        let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
        assert!(t.switchover.is_none() && !t.status_written);
    }
    assert_eq!(writes_since(&w.api, before).len(), 3);
    assert_eq!(holder(&w.api).as_deref(), Some(HEL));
    assert_eq!(status(&w)["phase"], "FailedOver");
}

/// A failure at step N rolls back steps N…1: every object, the lease and DNS are as before.
#[tokio::test]
async fn a_failure_at_each_step_puts_everything_back() {
    for step in
        [Step::ValidateLease, Step::Cordon, Step::Drain, Step::FlipDns, Step::SwapLease, Step::Promote]
    {
        // No audit stream: step 1 finds out before anything changes.
        let w = world(step != Step::ValidateLease).await;
        let ctx = context(&w, None).await;
        let mut mem = Memory::default();
        tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
        let before =
            (w.api.object(FSN_DB).unwrap(), w.api.object(HEL_DB).unwrap(), w.api.object(ROUTE).unwrap());
        match step {
            Step::Cordon => w.api.fail_writes(FSN_DB, 1),
            Step::Drain => w.api.fail_writes(ROUTE, 1),
            Step::FlipDns => w.pdm.answer_once(500, "{\"error\":\"pdns down\"}"),
            // The release and the acquire both fail; the rollback's re-acquire works.
            Step::SwapLease => w.api.fail_writes(&format!("coordination.k8s.io/leases/acme/{LEASE}"), 2),
            Step::Promote => w.api.fail_writes_to(HEL_DB),
            Step::ValidateLease | Step::Audit => {}
        }
        request_switchover(&w);
        let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
        let failed = t.switchover.unwrap().unwrap_err();
        assert_eq!(failed.failed, step, "{failed}");
        assert!(failed.rollback_errors.is_empty(), "{failed}");
        let undone: Vec<Step> = Step::ALL[..step.number()].iter().rev().copied().collect();
        assert_eq!(failed.rolled_back, undone, "{failed}");
        // Everything as before.
        for (key, was) in [(FSN_DB, &before.0), (HEL_DB, &before.1), (ROUTE, &before.2)] {
            let now = w.api.object(key).unwrap();
            assert_eq!(now["spec"], was["spec"], "{step}: {key}");
            assert_eq!(
                now["metadata"].get("annotations").and_then(|a| a.get("cnpg.io/cluster.primary")),
                None,
                "{step}: {key}"
            );
        }
        assert_eq!(holder(&w.api).as_deref(), Some(FSN), "{step}");
        if let Some(last) = w.pdm.commits().last() {
            assert!(
                last.body.contains("probe-fsn.acme.example"),
                "{step}: DNS points at the old primary again"
            );
        }
        let st = status(&w);
        assert_eq!(st["phase"], "Degraded", "{step}");
        assert_eq!(st["primaryRegion"], FSN, "{step}");
        assert_eq!(st["lastSwitchover"]["result"], "Failed");
        let failed_step = st["lastSwitchover"]["failedStep"].as_str().unwrap();
        assert!(
            failed_step.starts_with(&format!("step {}/7 — {}", step.number(), step.name())),
            "{failed_step}"
        );
        assert_eq!(condition(&w, "Ready").1, "SwitchoverFailed");
        let annotations = w.api.object(KEY).unwrap()["metadata"]["annotations"].clone();
        assert_eq!(annotations["dr.openova.io/primary"], FSN, "{step}");
        assert!(annotations.get("dr.openova.io/switchover").is_none(), "{step}: the claim is removed");
        assert_eq!(
            w.api.object(KEY).unwrap()["spec"]["switchover"]["requested"],
            false,
            "the request is cleared"
        );
        if step != Step::ValidateLease {
            let types = audit_types(&w).await;
            assert_eq!(types.iter().filter(|t| *t == "continuum-error").count(), 1, "{step}: {types:?}");
            assert!(!types.iter().any(|t| t == "continuum-switchover"), "{step}");
        }
    }
}

#[tokio::test]
async fn a_lease_held_by_another_region_is_a_collision_reported_once() {
    let w = world(true).await;
    w.api.write_lease(
        "acme",
        LEASE,
        &json!({"holderIdentity": HEL, "leaseDurationSeconds": 30, "renewTime": "2026-12-07T10:00:00.000000Z", "acquireTime": "2026-12-07T10:00:00.000000Z"}),
    );
    let ctx = context(&w, None).await;
    let mut mem = Memory::default();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["phase"], "Degraded");
    assert_eq!(status(&w)["leaseHolder"], HEL);
    let (held, reason, _) = condition(&w, "LeaseHeld");
    assert_eq!((held.as_str(), reason.as_str()), ("False", "LeaseCollision"));
    let before = w.api.requests().len();
    w.clock.advance(Duration::from_secs(5));
    let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert!(!t.status_written);
    assert!(writes_since(&w.api, before).is_empty(), "a held lease is not overwritten");
    assert_eq!(audit_types(&w).await, ["continuum-lease-collision"]);
    assert_eq!(holder(&w.api).as_deref(), Some(HEL));
}

#[tokio::test]
async fn a_lost_lease_is_taken_back_when_free_and_degraded_while_not() {
    let w = world(true).await;
    let ctx = context(&w, None).await;
    let mut mem = Memory::default();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    // Someone else takes it.
    w.api.write_lease(
        "acme",
        LEASE,
        &json!({"holderIdentity": HEL, "renewTime": "2026-12-07T10:00:05.000000Z"}),
    );
    w.clock.advance(Duration::from_secs(10));
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["phase"], "Degraded");
    assert_eq!(condition(&w, "Ready").1, "LeaseLost");
    // It is given up: the next tick takes it back.
    w.api.write_lease("acme", LEASE, &json!({"holderIdentity": null}));
    w.clock.advance(Duration::from_secs(10));
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["phase"], "Healthy");
    assert_eq!(holder(&w.api).as_deref(), Some(FSN));
    assert_eq!(
        audit_types(&w).await,
        [
            "continuum-lease-acquired",
            "continuum-reconcile-success",
            "continuum-lease-lost",
            "continuum-lease-collision",
            "continuum-lease-acquired",
            "continuum-reconcile-success"
        ]
    );
}

/// An unready standby counts only after `standbyGraceSeconds` (15 here); a ready one at once.
#[tokio::test]
async fn the_standby_grace_window() {
    let w = world(true).await;
    w.api.put_object(&cluster("web-db-hel", "replica", true, false));
    let ctx = context(&w, None).await;
    let mut mem = Memory::default();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["phase"], "Healthy", "inside the grace window: no verdict");
    assert!(status(&w).get("standbyAvailable").is_none());
    w.clock.advance(Duration::from_secs(10));
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["phase"], "Healthy");
    w.clock.advance(Duration::from_secs(10));
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["phase"], "Degraded");
    assert_eq!(status(&w)["standbyAvailable"], false);
    assert_eq!(condition(&w, "StandbyAvailable").1, "StandbyUnreachable");
    // A requested switchover is blocked, said so, and the request cleared.
    request_switchover(&w);
    let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert!(t.switchover.is_none());
    assert_eq!(condition(&w, "SwitchoverBlocked").0, "True");
    assert_eq!(w.api.object(KEY).unwrap()["spec"]["switchover"]["requested"], false);
    // Ready again: available at once.
    w.api.put_object(&cluster("web-db-hel", "replica", true, true));
    w.clock.advance(Duration::from_secs(1));
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["phase"], "Healthy");
    assert_eq!(status(&w)["standbyAvailable"], true);
    assert_eq!(condition(&w, "SwitchoverBlocked").0, "False");
}

/// The standby region's controller fails over on its own only with `autoFailover: true`,
/// after three failed intervals, with the witness confirming the primary lost its lease.
#[tokio::test]
async fn auto_failover_needs_the_flag_three_failed_intervals_and_the_witness() {
    for auto in [false, true] {
        let w = world(true).await;
        w.api.patch_object(KEY, &json!({"spec": {"autoFailover": auto}}));
        w.api.put_object(&cluster("web-db-fsn", "primary", false, false));
        // The standby region's controller; the primary's lease has expired.
        w.api.write_lease("acme", LEASE, &json!({"holderIdentity": FSN, "leaseDurationSeconds": 30, "renewTime": "2026-12-07T09:00:00.000000Z"}));
        let ctx = context(&w, Some(HEL)).await;
        let mut mem = Memory::default();
        // The witness confirms once the record has stood still for a TTL plus the margin as
        // this controller saw it: first seen at tick 0, confirmed at tick 4 (40 s).
        for i in 0..4 {
            let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
            assert!(t.switchover.is_none(), "tick {i}");
            w.clock.advance(Duration::from_secs(10));
        }
        let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
        if auto {
            let done = t.switchover.unwrap().unwrap();
            assert_eq!(done.plan.reason, "auto-failover");
            assert_eq!(done.plan.initiated_by, "controller");
            assert_eq!(status(&w)["primaryRegion"], HEL);
            assert_eq!(holder(&w.api).as_deref(), Some(HEL));
        } else {
            assert!(t.switchover.is_none());
            let (on, reason, message) = condition(&w, "FailoverRecommended");
            assert_eq!((on.as_str(), reason.as_str()), ("True", "FailoverRecommended"));
            assert_eq!(
                message,
                "the primary failed 3 or more consecutive health intervals; autoFailover is off"
            );
            assert_eq!(status(&w)["phase"], "Degraded");
            let recommended =
                audits(&w).await.into_iter().filter(|(_, b)| b["reason"] == "failover-recommended").count();
            assert_eq!(recommended, 1);
            assert_eq!(holder(&w.api).as_deref(), Some(FSN), "nothing moved");
        }
    }
}

/// Without NATS: steady state keeps working, a switchover fails at step 1 with nothing changed.
#[tokio::test]
async fn without_nats_the_steady_state_runs_and_a_switchover_changes_nothing() {
    let w = world(false).await;
    let ctx = context_with(&w, None, Audit::Off(NoAudit));
    let mut mem = Memory::default();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["phase"], "Healthy");
    let before = (w.api.object(FSN_DB).unwrap(), w.api.object(ROUTE).unwrap());
    request_switchover(&w);
    let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    let failed = t.switchover.unwrap().unwrap_err();
    assert_eq!(failed.failed, Step::ValidateLease);
    assert_eq!(w.api.object(FSN_DB).unwrap(), before.0);
    assert_eq!(w.api.object(ROUTE).unwrap(), before.1);
    assert!(w.pdm.commits().is_empty());
    assert_eq!(holder(&w.api).as_deref(), Some(FSN));
}

/// A primary whose clock runs an hour behind writes `renewTime`s that look long expired; it is
/// alive as long as it keeps renewing, and the witness confirms nothing. Once the renewals stop,
/// it confirms after the record stood still for a TTL plus the margin.
#[tokio::test]
async fn the_witness_is_not_fooled_by_clock_skew() {
    let w = world(true).await;
    w.api.patch_object(KEY, &json!({"spec": {"autoFailover": true}}));
    w.api.put_object(&cluster("web-db-fsn", "primary", false, false));
    let ctx = context(&w, Some(HEL)).await;
    let mut mem = Memory::default();
    for i in 0..8u32 {
        let renewed = format!("2026-12-07T09:00:{:02}.000000Z", i * 5);
        w.api.write_lease(
            "acme",
            LEASE,
            &json!({"holderIdentity": FSN, "leaseDurationSeconds": 30, "renewTime": renewed}),
        );
        let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
        assert!(t.switchover.is_none(), "tick {i}: the primary is renewing");
        // Written first, then when the recommendation is raised (third tick), then not again.
        assert_eq!(t.status_written, i == 0 || i == 2, "tick {i}");
        w.clock.advance(Duration::from_secs(10));
    }
    let (_, _, message) = condition(&w, "FailoverRecommended");
    assert_eq!(
        message,
        "the primary failed 3 or more consecutive health intervals, but the witness does not confirm the lease is lost"
    );
    // The renewals stop: unchanged 10, 20, 30 s after the last one; confirmed at 40 s.
    for i in 0..3 {
        let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
        assert!(t.switchover.is_none(), "{i}");
        w.clock.advance(Duration::from_secs(10));
    }
    let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(t.switchover.unwrap().unwrap().plan.reason, "auto-failover");
}

/// Two controllers (two replicas during a leader handover) tick the same requested
/// switchover at once: the claim is a compare-and-swap on the Continuum, so exactly one runs it
/// and the database is not flipped back by the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_controllers_run_a_requested_switchover_once() {
    let w = world(true).await;
    let a = context(&w, None).await;
    let b = context(&w, None).await;
    let (mut ma, mut mb) = (Memory::default(), Memory::default());
    tick(&a, "acme", "web-dr", &mut ma).await.unwrap();
    tick(&b, "acme", "web-dr", &mut mb).await.unwrap();
    request_switchover(&w);
    let (ta, tb) = tokio::join!(tick(&a, "acme", "web-dr", &mut ma), tick(&b, "acme", "web-dr", &mut mb));
    let ran: Vec<bool> =
        [ta.unwrap(), tb.unwrap()].iter().map(|t| matches!(t.switchover, Some(Ok(_)))).collect();
    assert_eq!(ran.iter().filter(|r| **r).count(), 1, "{ran:?}");
    assert_eq!(w.api.object(HEL_DB).unwrap()["spec"]["replica"]["enabled"], false);
    assert_eq!(w.api.object(FSN_DB).unwrap()["spec"]["replica"]["enabled"], true);
    assert_eq!(audit_types(&w).await.iter().filter(|t| *t == "continuum-switchover").count(), 1);
}

/// A switchover whose controller stopped mid-way leaves its claim on the object: the next
/// tick reports it and refuses any switchover until a person removes the claim.
#[tokio::test]
async fn an_interrupted_switchover_blocks_until_a_person_resolves_it() {
    let w = world(true).await;
    w.api.patch_object(
        KEY,
        &json!({"metadata": {"annotations": {"dr.openova.io/switchover": format!("{FSN}→{HEL}")}}}),
    );
    let ctx = context(&w, None).await;
    let mut mem = Memory::default();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["phase"], "Degraded");
    let (on, reason, message) = condition(&w, "SwitchoverInterrupted");
    assert_eq!((on.as_str(), reason.as_str()), ("True", "SwitchoverInterrupted"));
    assert!(message.starts_with(&format!("a switchover {FSN}→{HEL} was interrupted")), "{message}");
    request_switchover(&w);
    let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert!(t.switchover.is_none());
    assert_eq!(condition(&w, "SwitchoverBlocked").0, "True");
    assert_eq!(w.api.object(KEY).unwrap()["spec"]["switchover"]["requested"], false);
    assert!(w.pdm.commits().is_empty());
    // Resolved: the person records the primary and removes the claim.
    w.api.patch_object(KEY, &json!({"metadata": {"annotations": {"dr.openova.io/switchover": null, "dr.openova.io/primary": FSN}}}));
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["phase"], "Healthy");
    assert_eq!(condition(&w, "SwitchoverInterrupted").0, "False");
}

/// Step 7 failing (the audit stream refuses the event) does not undo the promotion: the
/// switchover stands, the event is owed, and it is recorded once the stream takes it.
#[tokio::test]
async fn a_failed_audit_keeps_the_promotion_and_is_recorded_later() {
    let w = world(false).await;
    let js = jetstream::new(async_nats::connect(w.nats.url()).await.unwrap());
    let mut config = stream::Config {
        name: "CATALYST_AUDIT".into(),
        subjects: vec![continuum_controller::audit::AUDIT_SUBJECT.into()],
        max_messages: 1,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    };
    js.create_stream(config.clone()).await.unwrap();
    js.publish(continuum_controller::audit::AUDIT_SUBJECT, "{\"type\":\"filler\"}".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let ctx = context(&w, None).await;
    let mut mem = Memory::default();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    request_switchover(&w);
    let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    let done = t.switchover.unwrap().unwrap();
    assert!(done.unaudited.is_some());
    assert_eq!(status(&w)["phase"], "FailedOver");
    assert_eq!(w.api.object(HEL_DB).unwrap()["spec"]["replica"]["enabled"], false, "not rolled back");
    assert_eq!(holder(&w.api).as_deref(), Some(HEL));
    assert_eq!(condition(&w, "AuditOwed").0, "True");
    // The stream takes events again: the owed one is recorded, once.
    config.max_messages = -1;
    js.update_stream(config).await.unwrap();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(condition(&w, "AuditOwed").1, "AuditRecorded");
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(audit_types(&w).await.iter().filter(|t| *t == "continuum-switchover").count(), 1);
}

/// A Continuum acts on its own namespace only: another namespace's database or route is
/// refused, and nothing is written there.
#[tokio::test]
async fn a_continuum_cannot_switch_another_namespaces_database() {
    let w = world(true).await;
    w.api.patch_object(KEY, &json!({"spec": {"cnpgPair": {"name": "web-db", "namespace": "bank"}}}));
    let ctx = context(&w, None).await;
    let mut mem = Memory::default();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    request_switchover(&w);
    let before = w.api.requests().len();
    let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert!(t.switchover.is_none());
    let (on, _, message) = condition(&w, "SwitchoverBlocked");
    assert_eq!(on, "True");
    assert_eq!(message, "spec.cnpgPair.namespace: bank is not the Continuum's namespace acme");
    assert!(writes_since(&w.api, before).iter().all(|w| !w.contains("/namespaces/bank/")));
}

/// A witness kind this controller does not have is refused, not silently replaced.
#[tokio::test]
async fn an_unsupported_witness_kind_is_refused() {
    let w = world(true).await;
    w.api.patch_object(
        KEY,
        &json!({"spec": {"leaseClient": {"kind": "cloudflare-kv", "config": {"kvNamespaceId": "k", "accountId": "a", "tokenSecretRef": {"name": "cf", "key": "token"}}}}}),
    );
    let ctx = context(&w, None).await;
    let out = reconcile_continuum("acme", "web-dr", &ctx).await.unwrap();
    assert_eq!(out, Outcome::Invalid { status_written: true });
    let (_, reason, message) = condition(&w, "Ready");
    assert_eq!(reason, "Invalid");
    assert_eq!(
        message,
        "spec.leaseClient.kind: cloudflare-kv is not a witness this controller has; use k8s-lease"
    );
    assert!(w.api.lease("acme", LEASE).is_none());
}

/// A failed automatic switchover is not retried on every tick: the next attempt waits.
#[tokio::test]
async fn a_failed_automatic_switchover_backs_off() {
    let w = world(true).await;
    w.api.patch_object(KEY, &json!({"spec": {"autoFailover": true}}));
    w.api.put_object(&cluster("web-db-fsn", "primary", false, false));
    w.api.fail_writes_to(HEL_DB);
    w.api.write_lease(
        "acme",
        LEASE,
        &json!({"holderIdentity": FSN, "leaseDurationSeconds": 30, "renewTime": "2026-12-07T09:00:00.000000Z"}),
    );
    let ctx = context(&w, Some(HEL)).await;
    let mut mem = Memory::default();
    let mut attempts = Vec::new();
    let mut waiting = Vec::new();
    for i in 0..12 {
        let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
        if let Some(outcome) = t.switchover {
            assert_eq!(outcome.unwrap_err().failed, Step::Promote);
            attempts.push(i * 10);
        }
        let st = status(&w);
        let recommended =
            st["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "FailoverRecommended").cloned();
        let message = recommended.map(|c| c["message"].as_str().unwrap().to_owned()).unwrap_or_default();
        if message.starts_with("the last automatic switchover failed; the next attempt is not before") {
            waiting.push(i * 10);
        }
        w.clock.advance(Duration::from_secs(10));
    }
    // Confirmed at 40 s and failed (the rollback frees the lease, it does not renew it for the
    // dead primary); confirmed again at 90 s but held back until 100 s; the next wait is 2 min.
    assert_eq!(attempts, [40, 100]);
    assert_eq!(waiting, [90]);
}
