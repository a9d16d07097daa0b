//! What every Catalyst controller and tool shares about the platform's Kubernetes objects.
//!
//! - [`crd`]: the ten Catalyst custom resources as kube `CustomResource` types with structural
//!   schemas, and their CustomResourceDefinitions (SPEC CORE-1 … CORE-3).
//! - [`validate`]: schema, naming and cross-field validation of documents, each finding with
//!   the YAML path of the field (CORE-4, CORE-5; `catalyst validate`).
//! - [`conditions`]: the status-conditions helper (CORE-2).
//! - [`gitops`]: what the environment-controller writes to Gitea for an Environment, rendered
//!   byte-for-byte as the platform's controller does (ENV-3, ENV-8, ENV-13).
//! - The Phase-1 deployment-outcome classifier (CORE-14 … CORE-17): from the HelmReleases of a
//!   new Sovereign's bootstrap kit it decides "ready" or "failed", and it can never report
//!   "ready" without evidence.
//! - `registry` (feature `client`): clusters by ID from a directory of kubeconfigs, kept
//!   current by a background rescan and self-registration of the home cluster (CORE-6 … CORE-13).
//!
//! Like every kube-rs library, this crate does not pick a Kubernetes version: the binary that
//! uses it enables one `k8s-openapi` version feature (e.g. `latest`).
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
//! - `client`: the `registry` module. It brings kube's client, tokio and rustls (on aws-lc-rs,
//!   the workspace's one TLS stack); without it the crate has no I/O at all.

pub mod conditions;
pub mod crd;
pub mod gitops;
mod phase1;
#[cfg(feature = "client")]
pub mod registry;
mod rule;
pub mod schema;
pub mod text;
pub mod validate;

pub use phase1::{
    Classification, ComponentState, DeploymentStatus, GateConfig, Outcome, ReadyCondition, UnknownOutcome,
    classify, component_id, component_state, deadline_outcome, terminate_gate,
};
