//! SPEC CONT-3: the seven steps against a recording world. A failure at any step leaves the
//! world exactly as it was before the switchover; success leaves it switched.

#![allow(clippy::unwrap_used)]

use continuum_controller::switchover::{Step, StepError, SwitchoverOps, SwitchoverPlan, switchover};

/// What the steps change, as the cluster, PDM and the witness would hold it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct World {
    lease_holder: String,
    cordon_annotation: Option<String>,
    route_weights: Vec<(String, u32)>,
    dns_primary: String,
    replica_enabled: [(String, bool); 2],
    audits: Vec<String>,
}

fn world() -> World {
    World {
        lease_holder: "hz-fsn-rtz-prod".into(),
        cordon_annotation: None,
        route_weights: vec![("web-hz-fsn-rtz-prod".into(), 100), ("web-hz-hel-rtz-prod".into(), 0)],
        dns_primary: "hz-fsn-rtz-prod".into(),
        replica_enabled: [("hz-fsn-rtz-prod".into(), false), ("hz-hel-rtz-prod".into(), true)],
        audits: Vec::new(),
    }
}

struct Fake {
    world: World,
    fail_at: Option<Step>,
    /// Fail at `fail_at` only after doing half of it (one Cluster flipped, the DNS committed).
    half: bool,
    fail_rollback_of: Option<Step>,
    log: Vec<String>,
}

impl SwitchoverOps for Fake {
    async fn run(&mut self, step: Step, plan: &SwitchoverPlan) -> Result<(), StepError> {
        self.log.push(format!("run {}", step.name()));
        if self.fail_at == Some(step) && !self.half {
            return Err(StepError(format!("{} failed", step.name())));
        }
        let w = &mut self.world;
        if self.fail_at == Some(step) {
            match step {
                Step::Promote => w.replica_enabled[0].1 = true,
                Step::FlipDns => w.dns_primary.clone_from(&plan.to),
                Step::SwapLease => w.lease_holder = String::new(),
                Step::Drain => w.route_weights[0].1 = 0,
                Step::Cordon => w.cordon_annotation = Some("switchover-pending".into()),
                Step::ValidateLease | Step::Audit => {}
            }
            return Err(StepError(format!("{} failed", step.name())));
        }
        match step {
            Step::ValidateLease => {
                if w.lease_holder != plan.from {
                    return Err(StepError("the lease is not the primary's".into()));
                }
            }
            Step::Cordon => w.cordon_annotation = Some("switchover-pending".into()),
            Step::Drain => {
                for (backend, weight) in &mut w.route_weights {
                    *weight = if backend.ends_with(&format!("-{}", plan.from)) { 0 } else { 100 };
                }
            }
            Step::FlipDns => w.dns_primary.clone_from(&plan.to),
            Step::SwapLease => w.lease_holder.clone_from(&plan.to),
            Step::Promote => {
                for (region, replica) in &mut w.replica_enabled {
                    *replica = *region != plan.to;
                }
            }
            Step::Audit => w.audits.push(format!("continuum-switchover {} -> {}", plan.from, plan.to)),
        }
        Ok(())
    }

    async fn rollback(&mut self, step: Step, plan: &SwitchoverPlan) -> Result<(), StepError> {
        self.log.push(format!("rollback {}", step.name()));
        if self.fail_rollback_of == Some(step) {
            return Err(StepError("the API refused".into()));
        }
        let before = world();
        let w = &mut self.world;
        match step {
            // Validating and auditing change nothing to undo.
            Step::ValidateLease | Step::Audit => {}
            Step::Cordon => w.cordon_annotation = None,
            Step::Drain => w.route_weights = before.route_weights,
            Step::FlipDns => w.dns_primary.clone_from(&plan.from),
            Step::SwapLease => w.lease_holder.clone_from(&plan.from),
            Step::Promote => w.replica_enabled = before.replica_enabled,
        }
        Ok(())
    }
}

fn plan() -> SwitchoverPlan {
    SwitchoverPlan {
        continuum: "acme/web-dr".into(),
        application: "web".into(),
        from: "hz-fsn-rtz-prod".into(),
        to: "hz-hel-rtz-prod".into(),
        reason: "manual".into(),
        initiated_by: "alice@acme.example".into(),
    }
}

#[tokio::test]
async fn the_happy_path_switches_everything_and_audits_once() {
    let mut ops =
        Fake { world: world(), fail_at: None, half: false, fail_rollback_of: None, log: Vec::new() };
    let mut steps = Vec::new();
    let done = switchover(&mut ops, &plan(), |s| steps.push(s.to_string())).await.unwrap();
    assert_eq!(
        steps,
        [
            "step 1/7 — validate-lease",
            "step 2/7 — cordon-old-primary",
            "step 3/7 — drain-http",
            "step 4/7 — flip-dns",
            "step 5/7 — swap-lease",
            "step 6/7 — promote-new-primary",
            "step 7/7 — audit-emit",
        ]
    );
    let w = &ops.world;
    assert_eq!((w.lease_holder.as_str(), w.dns_primary.as_str()), ("hz-hel-rtz-prod", "hz-hel-rtz-prod"));
    assert_eq!(
        w.route_weights,
        [("web-hz-fsn-rtz-prod".to_owned(), 0), ("web-hz-hel-rtz-prod".to_owned(), 100)]
    );
    assert_eq!(
        w.replica_enabled,
        [("hz-fsn-rtz-prod".to_owned(), true), ("hz-hel-rtz-prod".to_owned(), false)]
    );
    assert_eq!(w.audits, ["continuum-switchover hz-fsn-rtz-prod -> hz-hel-rtz-prod"]);
    assert_eq!(done.plan, plan());
}

#[tokio::test]
async fn a_failure_at_each_step_rolls_back_every_earlier_step_in_reverse() {
    for (failing, half) in Step::ALL[..6].iter().flat_map(|s| [(*s, false), (*s, true)]) {
        let mut ops =
            Fake { world: world(), fail_at: Some(failing), half, fail_rollback_of: None, log: Vec::new() };
        let err = switchover(&mut ops, &plan(), |_| {}).await.unwrap_err();
        assert_eq!(err.failed, failing);
        let n = failing.number();
        // The failed step first (it may have half-happened), then every earlier one.
        let expected: Vec<Step> = Step::ALL[..n].iter().rev().copied().collect();
        assert_eq!(err.rolled_back, expected, "failing at {failing}");
        assert!(err.rollback_errors.is_empty());
        // The world is exactly as it was.
        assert_eq!(ops.world, world(), "failing at {failing} (half done: {half})");
        assert_eq!(err.to_string(), format!("SwitchoverFailed at {failing}: {} failed", failing.name()));
        // Nothing after the failed step ran.
        assert!(!ops.log.iter().any(|l| Step::ALL[n..].iter().any(|s| *l == format!("run {}", s.name()))));
    }
}

#[tokio::test]
async fn a_failed_rollback_is_reported_and_the_others_still_run() {
    let mut ops = Fake {
        world: world(),
        fail_at: Some(Step::Promote),
        half: false,
        fail_rollback_of: Some(Step::FlipDns),
        log: Vec::new(),
    };
    let err = switchover(&mut ops, &plan(), |_| {}).await.unwrap_err();
    assert_eq!(
        err.rolled_back,
        [Step::Promote, Step::SwapLease, Step::Drain, Step::Cordon, Step::ValidateLease]
    );
    assert_eq!(err.rollback_errors, [(Step::FlipDns, StepError("the API refused".into()))]);
    assert_eq!(
        err.to_string(),
        "SwitchoverFailed at step 6/7 — promote-new-primary: promote-new-primary failed; rollback incomplete: flip-dns (the API refused)"
    );
    // DNS still points at the new primary: that is what the report says needs a human.
    assert_eq!(ops.world.dns_primary, "hz-hel-rtz-prod");
    assert_eq!(ops.world.lease_holder, "hz-fsn-rtz-prod");
}

#[tokio::test]
async fn a_plan_without_two_regions_changes_nothing() {
    let mut ops =
        Fake { world: world(), fail_at: None, half: false, fail_rollback_of: None, log: Vec::new() };
    let same = SwitchoverPlan { to: "hz-fsn-rtz-prod".into(), ..plan() };
    let err = switchover(&mut ops, &same, |_| {}).await.unwrap_err();
    assert_eq!(err.failed, Step::ValidateLease);
    assert!(ops.log.is_empty());
    assert_eq!(ops.world, world());
}

/// Step 7 is past the point of no return: a failed audit event leaves the switchover standing
/// (undoing the promotion would discard what the new primary took since DNS flipped) and is
/// reported as owed.
#[tokio::test]
async fn a_failed_audit_keeps_the_switchover_and_owes_the_event() {
    let mut ops = Fake {
        world: world(),
        fail_at: Some(Step::Audit),
        half: false,
        fail_rollback_of: None,
        log: Vec::new(),
    };
    let done = switchover(&mut ops, &plan(), |_| {}).await.unwrap();
    assert_eq!(done.unaudited, Some(StepError("audit-emit failed".into())));
    assert!(!ops.log.iter().any(|l| l.starts_with("rollback")), "{:?}", ops.log);
    assert_eq!(ops.world.lease_holder, "hz-hel-rtz-prod");
    assert!(ops.world.audits.is_empty());
}
