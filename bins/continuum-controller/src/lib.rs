//! The continuum-controller's library (SPEC §10, CONT-2 … CONT-5): the pieces the controller
//! composes, each tested without a cluster.
//!
//! - [`switchover`]: the seven ordered steps with rollback in reverse on failure;
//! - [`decide`]: manual switchover, and auto-failover only when `autoFailover: true`, after
//!   three failed intervals, with the witness confirming;
//! - [`audit`]: the platform's 13 audit event types on NATS JetStream (`catalyst.audit`);
//! - [`objects`]: the edits a switchover makes to the CNPG Cluster pair and the HTTPRoute, each
//!   with its exact undo;
//! - [`kube_ops`]: the steps for real (Kubernetes API, witness, PDM, audit).
//!
//! The lease witness is `catalyst_core::witness`, the lua records and the PDM commit are
//! `catalyst_dns::continuum` and `catalyst_dns::pdm`.
//!
//! ```
//! use continuum_controller::decide::{Decision, Observation, decide};
//!
//! let failing = Observation { consecutive_failures: 3, witness_confirms: true, standby_promotable: true, ..Observation::default() };
//! // autoFailover off (the default): recommend, never switch on its own.
//! assert!(matches!(decide(failing), Decision::Recommend { .. }));
//! assert_eq!(decide(Observation { auto_failover: true, ..failing }), Decision::Switchover { reason: "auto-failover".into() });
//! ```

pub mod audit;
pub mod decide;
pub mod kube_ops;
pub mod objects;
pub mod switchover;
