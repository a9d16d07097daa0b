//! SPEC CONT-2: the lease witness, in memory and over a Kubernetes Lease (the in-memory API
//! of catalyst-testkit, which answers 409 to a write with a stale resourceVersion).

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use catalyst_core::witness::{InMemoryWitness, LeaseTiming, ManualClock, Witness};
use jiff::Timestamp;
use proptest::prelude::*;

fn t0() -> Timestamp {
    "2026-12-07T10:00:00Z".parse().unwrap()
}

const TTL: Duration = Duration::from_secs(30);

#[test]
fn lease_timing_follows_cont_2() {
    assert_eq!(LeaseTiming::new(10, 30).unwrap(), LeaseTiming::DEFAULT);
    for (renew, ttl) in [(15, 30), (10, 4), (1, 601), (0, 30), (-1, 30), (3, 6), (61, 600)] {
        assert_eq!(
            LeaseTiming::new(renew, ttl).unwrap_err().to_string(),
            format!(
                "InvalidLeaseTiming: renewSeconds {renew} and ttlSeconds {ttl}: ttlSeconds must be 5 to 600 and renewSeconds 1 to 60 and below ttlSeconds/2"
            ),
        );
    }
    assert!(LeaseTiming::new(2, 5).is_ok());
    assert!(LeaseTiming::new(60, 600).is_ok());
}

#[tokio::test]
async fn in_memory_acquire_renew_release() {
    let clock = ManualClock::new(t0());
    let w = InMemoryWitness::new(clock.clone());
    let a = w.acquire("fsn", TTL).await.unwrap();
    assert_eq!((a.holder.as_deref(), a.generation), (Some("fsn"), 1));
    assert_eq!(a.expires_at, Some("2026-12-07T10:00:30Z".parse().unwrap()));
    // Own lease: taken again, generation + 1, acquired_at kept.
    clock.advance(Duration::from_secs(5));
    let again = w.acquire("fsn", TTL).await.unwrap();
    assert_eq!((again.generation, again.acquired_at), (2, a.acquired_at));
    // Another holder is refused while it is valid.
    let err = w.acquire("hel", TTL).await.unwrap_err();
    assert_eq!(err.to_string(), "HeldByAnother: the lease is held by fsn until 2026-12-07T10:00:35Z");
    // Renew extends from now.
    clock.advance(Duration::from_secs(10));
    assert_eq!(w.renew("fsn").await.unwrap().expires_at, Some("2026-12-07T10:00:45Z".parse().unwrap()));
    assert_eq!(w.renew("hel").await.unwrap_err().to_string(), "LeaseLost: the lease is now held by fsn");
    // Release by a non-holder changes nothing; by the holder frees it.
    w.release("hel").await.unwrap();
    assert_eq!(w.read().await.unwrap().holder.as_deref(), Some("fsn"));
    w.release("fsn").await.unwrap();
    assert_eq!(w.read().await.unwrap().holder, None);
    assert_eq!(
        w.renew("fsn").await.unwrap_err().to_string(),
        "LeaseLost: the lease is free: it was released"
    );
    // Expiry: renew fails, another takes it.
    w.acquire("fsn", TTL).await.unwrap();
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        w.renew("fsn").await.unwrap_err().to_string(),
        "LeaseLost: fsn's lease expired at 2026-12-07T10:00:45Z"
    );
    // 1, 2 (own), released 3, acquired 4, then hel 5.
    assert_eq!(w.acquire("hel", TTL).await.unwrap().generation, 5);
}

#[derive(Clone, Debug)]
enum Op {
    Acquire(usize),
    Renew(usize),
    Release(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize).prop_map(Op::Acquire),
        (0..3usize).prop_map(Op::Renew),
        (0..3usize).prop_map(Op::Release),
        (0..40u64).prop_map(Op::Advance),
    ]
}

proptest! {
    /// Whatever several holders do, and however the clock moves, at most one of them holds an
    /// unexpired lease by what the witness told it, and the witness agrees with that one.
    #[test]
    fn never_two_holders_of_an_unexpired_lease(ops in proptest::collection::vec(op(), 1..80)) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let clock = ManualClock::new(t0());
            let w = InMemoryWitness::new(clock.clone());
            let holders = ["fsn", "hel", "nbg"];
            // What each holder was last told: the expiry of its lease.
            let mut believed: [Option<Timestamp>; 3] = [None; 3];
            let mut generation = 0;
            for op in ops {
                match op {
                    Op::Acquire(i) => {
                        if let Ok(s) = w.acquire(holders[i], TTL).await {
                            prop_assert!(s.generation > generation);
                            generation = s.generation;
                            believed[i] = s.expires_at;
                        }
                    }
                    Op::Renew(i) => match w.renew(holders[i]).await {
                        Ok(s) => believed[i] = s.expires_at,
                        Err(_) => believed[i] = None,
                    },
                    Op::Release(i) => {
                        w.release(holders[i]).await.unwrap();
                        believed[i] = None;
                    }
                    Op::Advance(s) => clock.advance(Duration::from_secs(s)),
                }
                let now = clock.now_for_test();
                let live: Vec<usize> = (0..3).filter(|i| believed[*i].is_some_and(|e| now < e)).collect();
                prop_assert!(live.len() <= 1, "{live:?} all hold an unexpired lease at {now}");
                let state = w.read().await.unwrap();
                if let [i] = live.as_slice() {
                    prop_assert_eq!(state.holder.as_deref(), Some(holders[*i]));
                }
            }
            Ok(())
        })?;
    }
}

trait Now {
    fn now_for_test(&self) -> Timestamp;
}

impl Now for ManualClock {
    fn now_for_test(&self) -> Timestamp {
        catalyst_core::witness::Clock::now(self)
    }
}

#[cfg(feature = "client")]
mod kube_lease {
    use std::time::Duration;

    use catalyst_core::witness::{KubeLeaseWitness, ManualClock, Witness, WitnessError, lease_name};

    use super::{TTL, t0};

    #[tokio::test]
    async fn a_kubernetes_lease_with_compare_and_swap() {
        let api = catalyst_testkit::kube::FakeApi::default();
        let clock = ManualClock::new(t0());
        let fsn = KubeLeaseWitness::new(api.client(), "acme", "web-dr", clock.clone()).unwrap();
        let hel = KubeLeaseWitness::new(api.client(), "acme", "web-dr", clock.clone()).unwrap();
        assert_eq!(fsn.name(), "cw-acme-web-dr");
        assert_eq!(fsn.read().await.unwrap().holder, None);
        let a = fsn.acquire("hz-fsn-rtz-prod", TTL).await.unwrap();
        assert_eq!(a.generation, 1);
        let lease = api.lease("acme", "cw-acme-web-dr").unwrap();
        assert_eq!(lease["spec"]["holderIdentity"], "hz-fsn-rtz-prod");
        assert_eq!(lease["spec"]["leaseDurationSeconds"], 30);
        assert_eq!(lease["spec"]["leaseTransitions"], 1);
        // The other region reads the same object and is refused.
        assert!(matches!(
            hel.acquire("hz-hel-rtz-prod", TTL).await.unwrap_err(),
            WitnessError::HeldByAnother { holder, .. } if holder == "hz-fsn-rtz-prod"
        ));
        clock.advance(Duration::from_secs(10));
        assert_eq!(
            fsn.renew("hz-fsn-rtz-prod").await.unwrap().expires_at,
            Some("2026-12-07T10:00:40Z".parse().unwrap())
        );
        // Every write carried the resourceVersion it had read.
        let puts: Vec<_> = api.writes().into_iter().filter(|r| r.method == "PUT").collect();
        assert!(!puts.is_empty());
        assert!(puts.iter().all(|p| p.body.as_ref().unwrap()["metadata"]["resourceVersion"].is_string()));
        // Expired: the standby takes it over, the old holder's renew is LeaseLost.
        clock.advance(Duration::from_secs(31));
        assert_eq!(hel.acquire("hz-hel-rtz-prod", TTL).await.unwrap().generation, 2);
        assert!(matches!(fsn.renew("hz-fsn-rtz-prod").await.unwrap_err(), WitnessError::LeaseLost { .. }));
        // Someone rewrites the Lease behind its back: the state read is the truth.
        api.write_lease("acme", "cw-acme-web-dr", &serde_json::json!({"holderIdentity": "intruder"}));
        assert_eq!(
            hel.renew("hz-hel-rtz-prod").await.unwrap_err().to_string(),
            "LeaseLost: the lease is now held by intruder"
        );
        // Release by a non-holder is a no-op; no write is sent.
        let writes = api.writes().len();
        hel.release("hz-hel-rtz-prod").await.unwrap();
        assert_eq!(api.writes().len(), writes);
        assert!(lease_name(&"n".repeat(63), &"c".repeat(250)).is_err());
    }

    /// `team-a/shop` and `team/a-shop` share the name `cw-team-a-shop`; the Lease records whose
    /// it is, and the other is refused: it can neither take, renew nor release it.
    #[tokio::test]
    async fn a_lease_name_shared_by_two_continuums_is_not_shared() {
        let api = catalyst_testkit::kube::FakeApi::default();
        let clock = ManualClock::new(t0());
        let one = KubeLeaseWitness::new(api.client(), "team-a", "shop", clock.clone())
            .unwrap()
            .in_lease_namespace(api.client(), "catalyst-system");
        let two = KubeLeaseWitness::new(api.client(), "team", "a-shop", clock.clone())
            .unwrap()
            .in_lease_namespace(api.client(), "catalyst-system");
        assert_eq!(one.name(), two.name());
        one.acquire("hz-fsn-rtz-prod", TTL).await.unwrap();
        let lease = api.lease("catalyst-system", "cw-team-a-shop").unwrap();
        assert_eq!(lease["metadata"]["annotations"]["dr.openova.io/slot"], "team-a/shop");
        let refused =
            "InvalidLeaseName: the Lease cw-team-a-shop belongs to Continuum team-a/shop, not team/a-shop";
        assert_eq!(two.acquire("hz-fsn-rtz-prod", TTL).await.unwrap_err().to_string(), refused);
        assert_eq!(two.release("hz-fsn-rtz-prod").await.unwrap_err().to_string(), refused);
        assert_eq!(two.read().await.unwrap_err().to_string(), refused);
        assert_eq!(one.renew("hz-fsn-rtz-prod").await.unwrap().holder.as_deref(), Some("hz-fsn-rtz-prod"));
    }
}
