//! What every Catalyst controller and tool shares about the platform's Kubernetes objects.
//!
//! This first part holds the Phase-1 deployment-outcome classifier (SPEC CORE-14 … CORE-17):
//! from the HelmReleases of a new Sovereign's bootstrap kit it decides "ready" or "failed",
//! and it can never report "ready" without evidence. The CRD types, validation, conditions
//! helper and the cluster registry follow (SPEC CORE-1 … CORE-13).
//!
//! ```
//! use std::collections::BTreeMap;
//! use catalyst_core::{classify, component_state, terminate_gate, ComponentState, DeploymentStatus,
//!     GateConfig, Outcome, ReadyCondition};
//!
//! let mut states = BTreeMap::new();
//! let ready = ReadyCondition { status: "True", reason: "InstallSucceeded", message: "" };
//! states.insert("cilium".to_string(), component_state(Some(ready)));
//! states.insert("cert-manager".to_string(), component_state(None)); // no condition yet
//!
//! // Not every component is terminal: the watch goes on.
//! assert_eq!(terminate_gate(true, &states, GateConfig::default()), None);
//!
//! // The deadline passes: "timeout" is a failure, never "ready".
//! let c = classify(Some(Outcome::Timeout), &states);
//! assert_eq!(c.status, DeploymentStatus::Failed);
//! assert_eq!(c.error.as_deref(), Some("not all components reached a terminal state (outcome timeout); still waiting on: cert-manager (pending)"));
//! ```
//!
//! # Crate features
//!
//! None yet; the kubeconfig-directory cluster registry will come behind `client`.

mod phase1;

pub use phase1::{
    Classification, ComponentState, DeploymentStatus, GateConfig, Outcome, ReadyCondition, UnknownOutcome,
    classify, component_id, component_state, deadline_outcome, terminate_gate,
};
