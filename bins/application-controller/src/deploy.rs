//! The manifests that install the controller, from the workspace's `deploy/` bundle and checked by
//! its tests.

/// The `ServiceAccount`, a `ClusterRole` (Applications, their parents, `HelmReleases`,
/// Continuums), a `Role` in `flux-system` (the host Flux objects), a `Role` for its Lease, and
/// their bindings.
pub const RBAC: &str = include_str!("../../../deploy/application-controller/rbac.yaml");

/// The Deployment.
pub const DEPLOYMENT: &str = include_str!("../../../deploy/application-controller/deployment.yaml");
