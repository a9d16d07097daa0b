//! The manifests that install the controller, from the workspace's `deploy/` bundle and checked by
//! its tests.

/// The `ServiceAccount`, a `ClusterRole` (Blueprints and their status), a `Role` for its Lease,
/// and their bindings.
pub const RBAC: &str = include_str!("../../../deploy/blueprint-controller/rbac.yaml");

/// The Deployment.
pub const DEPLOYMENT: &str = include_str!("../../../deploy/blueprint-controller/deployment.yaml");
