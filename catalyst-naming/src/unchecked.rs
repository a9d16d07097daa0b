//! The composed names of NAME-6, NAME-12 and NAME-22 from parts that arrive unchecked.
//!
//! A controller reports on objects as they are written: an Environment whose
//! `organizationRef` is not a valid slug still gets its JetStream prefix in its status, and a
//! CRD region code outside the naming table (SPEC OP-5) still names a host cluster. These
//! functions are the one place each such format is written; the typed API
//! ([`Location`](crate::Location), [`EnvironmentName`](crate::EnvironmentName),
//! [`env_repo`](crate::env_repo)) calls them with checked parts. Prefer the typed API
//! wherever the parts can be parsed first.
//!
//! ```
//! use catalyst_naming::{BuildingBlock, EnvType, unchecked};
//! let env = unchecked::environment_name("acme", EnvType::Prod);
//! assert_eq!(unchecked::jetstream_prefix(&env), "ws.acme-prod.>");
//! assert_eq!(unchecked::host_cluster("hetzner", "fsn", BuildingBlock::Rtz, EnvType::Prod), "hetzner-fsn-rtz-prod");
//! assert_eq!(
//!     unchecked::gitrepository_path("hetzner-fsn-rtz-prod", &env)?,
//!     "clusters/hetzner-fsn-rtz-prod/environments/acme-prod/gitrepository.yaml"
//! );
//! assert!(unchecked::gitrepository_path("../../etc", &env).is_err());
//! # Ok::<(), catalyst_naming::NamingError>(())
//! ```

use crate::dns::check_dns_label;
use crate::{BuildingBlock, EnvType, NamingError};

/// NAME-6: `{provider}-{region}-{bb3}-{env3}`, with the provider spelled as given (its short
/// code in NAME-6 names, its full name where the platform's controller writes spec values
/// verbatim, SPEC OP-2).
pub fn host_cluster(
    provider: &str,
    region: &str,
    building_block: BuildingBlock,
    env_type: EnvType,
) -> String {
    format!("{provider}-{region}-{}-{}", building_block.code(), env_type.code())
}

/// NAME-12: the Environment name `{org}-{env3}`.
pub fn environment_name(org: &str, env_type: EnvType) -> String {
    format!("{org}-{}", env_type.code())
}

/// NAME-22: the JetStream subject prefix `ws.{environment}.>`.
pub fn jetstream_prefix(environment: &str) -> String {
    format!("ws.{environment}.>")
}

/// NAME-22: the name of an Org's environment repository `{org}{suffix}` (without the owner).
pub fn env_repo_name(org: &str, suffix: &str) -> String {
    format!("{org}{suffix}")
}

/// The application-controller's directory of one region's files,
/// `clusters/{host-cluster}/applications/{application}` (SPEC CTRL-3). Both parts are checked
/// as DNS labels, so the path cannot leave `clusters/`.
pub fn application_dir(host_cluster: &str, application: &str) -> Result<String, NamingError> {
    check_dns_label("host-cluster name", host_cluster)?;
    check_dns_label("Application name", application)?;
    Ok(format!("clusters/{host_cluster}/applications/{application}"))
}

/// NAME-22: the environment-controller's manifest path
/// `clusters/{host-cluster}/environments/{environment}/gitrepository.yaml`. Both parts are
/// checked as DNS labels, so the path cannot leave `clusters/`.
pub fn gitrepository_path(host_cluster: &str, environment: &str) -> Result<String, NamingError> {
    check_dns_label("host-cluster name", host_cluster)?;
    check_dns_label("Environment name", environment)?;
    Ok(format!("clusters/{host_cluster}/environments/{environment}/gitrepository.yaml"))
}
