//! The manifests that install the controller, from the workspace's `deploy/` bundle and checked by
//! its tests:
//! least-privilege RBAC (ENV-1) and a Deployment running as UID 65534 with the probes and
//! ports the binary serves.

/// The `ServiceAccount`, a `ClusterRole` (Environments), a `Role` (its Lease) and their bindings.
pub const RBAC: &str = include_str!("../../../deploy/environment-controller/rbac.yaml");

/// The Deployment.
pub const DEPLOYMENT: &str = include_str!("../../../deploy/environment-controller/deployment.yaml");
