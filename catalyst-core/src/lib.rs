//! The OpenOva Catalyst platform's Kubernetes objects, shared by every controller and tool:
//! the ten Catalyst custom resources as kube `CustomResource` types with structural schemas
//! and their CustomResourceDefinitions (SPEC CORE-1 … CORE-3), and the rules the schemas
//! cannot say, each finding with the YAML path of the field (CORE-4, CORE-5).
//!
//! ```
//! use catalyst_core::crd::{Environment, EnvironmentPlacement, EnvironmentRegion, EnvironmentSpec};
//! use catalyst_core::validate::validate_yaml;
//! use catalyst_naming::{BuildingBlock, EnvType, Provider};
//! use kube::CustomResourceExt as _;
//!
//! // Typed objects, built from their required fields; the names are catalyst-naming's types.
//! let spec = EnvironmentSpec::new("acme", EnvType::Prod, EnvironmentPlacement::MultiRegion,
//!     vec![EnvironmentRegion::new(Provider::Hetzner, "fsn", BuildingBlock::Rtz)]);
//! let env = Environment::new("acme-prod", spec);
//! assert_eq!(env.spec.jetstream_subject_prefix(), "ws.acme-prod.>");
//!
//! // What the CRD cannot express: multi-region needs at least two regions.
//! let err = env.spec.validate_placement().unwrap_err();
//! assert_eq!(err.to_string(), "spec.regions: placement multi-region needs at least 2 regions, found 1 [CORE-5]");
//!
//! // The same check on documents, as `catalyst validate` runs it.
//! let reports = validate_yaml(&serde_json::to_string(&env)?)?;
//! assert!(!reports[0].is_valid());
//!
//! // The CustomResourceDefinition to apply.
//! assert_eq!(Environment::crd().spec.names.kind, "Environment");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Also here:
//! - [`conditions`]: the status-conditions helper (CORE-2).
//! - [`gitops`]: what the environment-controller writes to Gitea for an Environment, rendered
//!   byte-for-byte as the platform's controller does (ENV-3, ENV-8, ENV-13).
//! - The Phase-1 deployment-outcome classifier ([`classify`], CORE-14 … CORE-17): from the
//!   HelmReleases of a new Sovereign's bootstrap kit it decides "ready" or "failed", and it
//!   can never report "ready" without evidence.
//! - `registry` (feature `client`): clusters by ID from a directory of kubeconfigs, kept
//!   current by a background rescan and self-registration of the home cluster (CORE-6 … CORE-13).
//!
//! Like every kube-rs library, this crate does not pick a Kubernetes version: the binary that
//! uses it enables one `k8s-openapi` version feature (e.g. `latest`).
//!
//! # Crate features
//!
//! - `client`: the `registry` module. It brings kube's client, tokio and rustls (on aws-lc-rs,
//!   the workspace's one TLS stack); without it the crate has no I/O at all.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod access;
pub mod apps;
pub mod catalog;
pub mod conditions;
pub mod crd;
pub mod gitops;
pub mod phase1;
pub mod quantity;
#[cfg(feature = "client")]
pub mod registry;
mod rule;
pub mod schema;
pub mod tenant;
pub mod text;
pub mod validate;
pub mod witness;

pub use phase1::{
    Classification, ComponentState, DeploymentStatus, GateConfig, Outcome, ReadyCondition, UnknownOutcome,
    classify, component_id, component_state, deadline_outcome, terminate_gate,
};
