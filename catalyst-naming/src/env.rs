//! Environment helpers and other derived strings the controllers share (NAME-21 … NAME-24).

use crate::dimensions::EnvType;
use crate::{NamingError, OrgSlug};

/// NAME-21, raw-string form used where an env type arrives unchecked: the branch of a known
/// env-type code, any other string unchanged (`"dev"` → `"develop"`, `"qa"` → `"qa"`).
/// The typed [`EnvType::branch`] cannot produce other values.
pub fn branch_for_env_type(env_type: &str) -> &str {
    match EnvType::from_code(env_type) {
        Some(e) => e.branch(),
        None => env_type,
    }
}

/// Default suffix of an Org's environment repo (NAME-22).
pub const DEFAULT_ENV_REPO_SUFFIX: &str = "-environment";

/// NAME-22: the Org's environment repo `{org}/{org}{suffix}` (`acme/acme-environment`).
pub fn env_repo(org: &OrgSlug, suffix: &str) -> String {
    format!("{org}/{}", crate::unchecked::env_repo_name(org.as_str(), suffix))
}

/// NAME-22: NATS subject of the audit stream.
pub const AUDIT_SUBJECT: &str = "catalyst.audit";

/// NAME-23: Gitea orgs every Sovereign has besides one per Organization.
pub const GITEA_PLATFORM_ORGS: [&str; 3] = ["catalog", "catalog-sovereign", "system"];
/// NAME-23: repos of the `system` Gitea org.
pub const GITEA_SYSTEM_REPOS: [&str; 3] = ["catalyst-config", "policy-bundle", "runbooks"];
/// NAME-23: the repo every Org's Gitea org holds besides one per Application.
pub const GITEA_ORG_SHARED_REPO: &str = "shared-blueprints";

/// NAME-24: pool subdomains that pool-domain-manager never allocates.
pub const RESERVED_POOL_SUBDOMAINS: [&str; 21] = [
    "api", "admin", "console", "gitea", "harbor", "keycloak", "www", "mail", "smtp", "imap", "vpn",
    "openova", "catalyst", "docs", "status", "app", "system", "openbao", "vault", "flux", "k8s",
];

/// NAME-24: refuses a reserved pool subdomain (case-insensitive).
///
/// ```
/// use catalyst_naming::check_pool_subdomain;
/// assert!(check_pool_subdomain("otech7").is_ok());
/// assert_eq!(check_pool_subdomain("Console").unwrap_err().kind(), "ReservedPoolSubdomain");
/// ```
pub fn check_pool_subdomain(s: &str) -> Result<(), NamingError> {
    if RESERVED_POOL_SUBDOMAINS.iter().any(|r| r.eq_ignore_ascii_case(s)) {
        return Err(NamingError::ReservedPoolSubdomain { input: s.to_owned() });
    }
    Ok(())
}

/// The Sovereign's control-plane components, each reachable as
/// `{component}.{location-code}.{sovereign}` (NAME-14). This is the seed list of
/// HTTPRoute hostnames the charts publish (SPEC DNS-11), in its order.
pub const CONTROL_PLANE_COMPONENTS: [&str; 13] = [
    "console",
    "auth",
    "gitea",
    "harbor",
    "registry",
    "bao",
    "grafana",
    "hubble",
    "pdns",
    "openova-flow",
    "marketplace",
    "api",
    "guacamole",
];
