//! NATS killed during a continuum's life (the real `nats-server`, SIGKILL): a switchover asked
//! for while audit events cannot be recorded changes nothing and says why; the steady state
//! keeps running; once NATS is back, the next switchover succeeds and is audited once.
//! Part of `scripts/test`'s fault-and-load step (`faults*` test binaries).

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use continuum_controller::worker::{Memory, tick};
use support::*;

#[tokio::test]
async fn nats_down_during_a_switchover_changes_nothing_and_the_next_one_succeeds() {
    let mut w = world(true).await;
    let ctx = context(&w, None).await;
    let mut mem = Memory::default();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert_eq!(status(&w)["phase"], "Healthy");
    let before = (w.api.object(FSN_DB).unwrap(), w.api.object(HEL_DB).unwrap(), w.api.object(ROUTE).unwrap());

    w.nats.kill();
    request_switchover(&w);
    let started = std::time::Instant::now();
    let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    let failed = t.switchover.unwrap_or_else(|| panic!("no switchover: {}", status(&w))).unwrap_err();
    eprintln!("failed at {:?} after {:?}: {}", failed.failed, started.elapsed(), status(&w));
    // Nothing moved: databases, route, lease and DNS are as they were.
    assert_eq!(
        (w.api.object(FSN_DB).unwrap(), w.api.object(HEL_DB).unwrap(), w.api.object(ROUTE).unwrap()),
        before
    );
    assert_eq!(holder(&w.api).as_deref(), Some(FSN));
    assert!(w.pdm.commits().is_empty());
    let last = &status(&w)["lastSwitchover"];
    assert_eq!(last["result"], "Failed", "{}", status(&w));

    // The steady state keeps running without NATS: the lease is renewed, the phase holds.
    for _ in 0..3 {
        w.clock.advance(Duration::from_secs(10));
        tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    }
    assert_eq!(holder(&w.api).as_deref(), Some(FSN));

    // NATS returns (same store); the next switchover goes through and is audited once.
    w.nats.start_again();
    w.clock.advance(Duration::from_secs(10));
    request_switchover(&w);
    let mut done = None;
    for _ in 0..20 {
        w.clock.advance(Duration::from_secs(10));
        let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
        if let Some(Ok(d)) = t.switchover {
            done = Some(d);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let done = done.unwrap_or_else(|| panic!("no switchover after NATS returned: {}", status(&w)));
    assert!(done.unaudited.is_none());
    assert_eq!(status(&w)["phase"], "FailedOver");
    assert_eq!(holder(&w.api).as_deref(), Some(HEL));
    assert_eq!(audit_types(&w).await.iter().filter(|t| *t == "continuum-switchover").count(), 1);
}
