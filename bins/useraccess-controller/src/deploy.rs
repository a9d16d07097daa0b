//! The manifests that install the controller, from the workspace's `deploy/` bundle and checked by
//! its tests.

/// The `ServiceAccount`, a `ClusterRole` (`UserAccesses`, the bindings, namespaces, the tier
/// `ClusterRoles`, and `bind` on exactly the eight `ClusterRoles` it grants), a `Role` for its
/// Lease, and their bindings.
pub const RBAC: &str = include_str!("../../../deploy/useraccess-controller/rbac.yaml");

/// The Deployment.
pub const DEPLOYMENT: &str = include_str!("../../../deploy/useraccess-controller/deployment.yaml");

/// The eight `ClusterRoles` the bindings refer to (`catalyst useraccess roles` prints the same).
pub fn roles_yaml() -> String {
    catalyst_core::access::role_catalogue()
        .iter()
        .map(|r| serde_saphyr::to_string(r).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("---\n")
}
