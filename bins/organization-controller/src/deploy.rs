//! The manifests that install the controller, from the workspace's `deploy/` bundle and checked by
//! its tests.

/// The `ServiceAccount`, a `ClusterRole` (Organizations, `UserAccess`es, Environments, the
/// tenants' namespaces, quota objects and vCluster `HelmRelease`s), a `Role` in `flux-system`
/// (the per-Organization Flux objects), a `Role` for its Lease, and their bindings.
pub const RBAC: &str = include_str!("../../../deploy/organization-controller/rbac.yaml");

/// The Deployment.
pub const DEPLOYMENT: &str = include_str!("../../../deploy/organization-controller/deployment.yaml");
