//! CORE-14 … CORE-20: Phase-1 outcomes are classified truthfully.

#![allow(clippy::unwrap_used, clippy::unnecessary_wraps, clippy::type_complexity)]

use std::collections::BTreeMap;

use catalyst_core::{
    ComponentState, DeploymentStatus, GateConfig, Outcome, ReadyCondition, classify, component_id,
    component_state, deadline_outcome, terminate_gate,
};
use proptest::prelude::*;

fn states(pairs: &[(&str, ComponentState)]) -> BTreeMap<String, ComponentState> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

fn cond<'a>(status: &'a str, reason: &'a str, message: &'a str) -> Option<ReadyCondition<'a>> {
    Some(ReadyCondition { status, reason, message })
}

#[test]
fn core_14_wire_strings_round_trip() {
    for o in Outcome::ALL {
        assert_eq!(o.as_str().parse::<Outcome>().unwrap(), o);
    }
    assert_eq!(Outcome::FluxNotReconciling.as_str(), "flux-not-reconciling");
    assert!("".parse::<Outcome>().is_err());
    assert!("Ready".parse::<Outcome>().is_err());
}

#[test]
fn core_15_component_state_table() {
    use ComponentState::{Degraded, Failed, Installed, Installing, Pending};
    let table = [
        (None, Pending),
        (cond("True", "InstallSucceeded", ""), Installed),
        (cond("Unknown", "Progressing", ""), Installing),
        (cond("False", "DependencyNotReady", "Dependency 'flux-system/bp-cilium' IS NOT READY"), Pending),
        (cond("False", "InstallFailed", "dependency 'x' is not ready"), Pending),
        (cond("False", "InstallFailed", "context deadline exceeded"), Failed),
        (cond("False", "UpgradeFailed", ""), Failed),
        (cond("False", "ChartPullError", ""), Failed),
        (cond("False", "ChartLoadError", ""), Failed),
        (cond("False", "ArtifactFailed", ""), Failed),
        (cond("False", "Progressing", ""), Installing),
        (cond("False", "ReconcileStarted", ""), Installing),
        (cond("False", "DependencyNotReady", "waiting"), Installing),
        (cond("False", "TestFailed", ""), Degraded),
    ];
    for (c, want) in table {
        assert_eq!(component_state(c), want, "{c:?}");
    }
    assert!(!Degraded.is_terminal());
    assert!(Installed.is_terminal() && Failed.is_terminal());
}

#[test]
fn core_15_only_bp_releases_in_flux_system_count() {
    assert_eq!(component_id("flux-system", "bp-cilium"), Some("cilium"));
    assert_eq!(component_id("default", "bp-cilium"), None);
    assert_eq!(component_id("flux-system", "cilium"), None);
    assert_eq!(component_id("flux-system", "bp-"), None);
}

#[test]
fn core_16_terminate_gate() {
    use ComponentState::{Failed, Installed, Installing};
    let cfg = GateConfig::default();
    let all_ok = states(&[("cilium", Installed), ("flux", Installed)]);
    assert_eq!(terminate_gate(false, &all_ok, cfg), None, "not synced");
    assert_eq!(terminate_gate(true, &BTreeMap::new(), cfg), None, "nothing seen");
    assert_eq!(terminate_gate(true, &all_ok, cfg), Some(Outcome::Ready));
    assert_eq!(
        terminate_gate(true, &all_ok, GateConfig::default().with_min_bootstrap_kit_hrs(3)),
        None,
        "below the floor"
    );
    assert_eq!(terminate_gate(true, &states(&[("a", Installed), ("b", Installing)]), cfg), None);
    assert_eq!(terminate_gate(true, &states(&[("a", Installed), ("b", Failed)]), cfg), Some(Outcome::Failed));
    assert_eq!(deadline_outcome(false), Outcome::FluxNotReconciling);
    assert_eq!(deadline_outcome(true), Outcome::Timeout);
}

#[test]
fn core_20_empty_kubeconfig_short_circuit_is_failed() {
    let c = classify(Some(Outcome::KubeconfigMissing), &BTreeMap::new());
    assert_eq!(c.status, DeploymentStatus::Failed);
    let err = c.error.unwrap();
    assert!(err.contains("kubeconfig"), "{err}");
    assert!(err.contains("/api/v1/deployments/<id>/kubeconfig") && err.contains("cloud-init"), "{err}");
}

#[test]
fn core_17_rules_in_order() {
    use ComponentState::{Failed, Installed, Pending};
    let ok = states(&[("cilium", Installed)]);
    let cases: Vec<(Option<Outcome>, BTreeMap<String, ComponentState>, DeploymentStatus, &str)> = vec![
        (Some(Outcome::WatcherStartFailed), ok.clone(), DeploymentStatus::Failed, "could not start"),
        (
            Some(Outcome::FluxNotReconciling),
            BTreeMap::new(),
            DeploymentStatus::Failed,
            "bootstrap-kit Kustomization",
        ),
        (Some(Outcome::FluxCrdsAbsent), BTreeMap::new(), DeploymentStatus::Failed, "Flux CRDs"),
        (
            Some(Outcome::Ready),
            states(&[("a", Installed), ("b", Failed)]),
            DeploymentStatus::Failed,
            "1 of 2 components failed: b",
        ),
        (None, BTreeMap::new(), DeploymentStatus::Failed, "programming error"),
        (Some(Outcome::Ready), ok.clone(), DeploymentStatus::Ready, ""),
        (
            Some(Outcome::Timeout),
            states(&[("a", Installed), ("b", Pending)]),
            DeploymentStatus::Failed,
            "still waiting on: b (pending)",
        ),
        (None, ok, DeploymentStatus::Failed, "outcome none"),
    ];
    for (outcome, st, want, needle) in cases {
        let c = classify(outcome, &st);
        assert_eq!(c.status, want, "{outcome:?} {st:?}");
        assert_eq!(c.error.is_none(), want == DeploymentStatus::Ready);
        assert!(c.error.unwrap_or_default().contains(needle), "{outcome:?}: {needle}");
    }
}

#[test]
fn ready_needs_evidence() {
    let c = classify(Some(Outcome::Ready), &BTreeMap::new());
    assert_eq!(c.status, DeploymentStatus::Failed);
    let c = classify(Some(Outcome::Ready), &states(&[("a", ComponentState::Degraded)]));
    assert_eq!(c.status, DeploymentStatus::Failed);
}

fn arb_state() -> impl Strategy<Value = ComponentState> {
    prop_oneof![
        Just(ComponentState::Pending),
        Just(ComponentState::Installing),
        Just(ComponentState::Installed),
        Just(ComponentState::Failed),
        Just(ComponentState::Degraded),
    ]
}

proptest! {
    /// Whatever the outcome and states, "ready" only comes with evidence: the Ready outcome
    /// and at least one component, every one installed.
    #[test]
    fn never_ready_without_evidence(
        outcome in proptest::option::of(proptest::sample::select(Outcome::ALL.to_vec())),
        st in proptest::collection::btree_map("[a-z]{1,8}", arb_state(), 0..6),
    ) {
        let c = classify(outcome, &st);
        if c.status == DeploymentStatus::Ready {
            prop_assert_eq!(outcome, Some(Outcome::Ready));
            prop_assert!(!st.is_empty());
            prop_assert!(st.values().all(|s| *s == ComponentState::Installed));
            prop_assert!(c.error.is_none());
        } else {
            prop_assert!(!c.error.unwrap_or_default().is_empty());
        }
    }
}
