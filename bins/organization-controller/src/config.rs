//! Runtime configuration: flags, each with the environment variable the platform's
//! organization-controller reads and its default. Secrets (the Gitea token, the Keycloak
//! service account's secret) come from the environment or a mounted file, never from a flag
//! value.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use catalyst_core::tenant::TenantConfig;
use clap::Parser;

use crate::keycloak::{ClientSecret, KeycloakAdmin};

/// The organization-controller: each Organization (orgs.openova.io/v1) becomes a Keycloak
/// group `/<slug>` in the Sovereign realm, a private Gitea org `<slug>` with the repository
/// `catalyst-tenant`, the tenant manifests in it (namespace, plan quota, vCluster, network
/// policies), per-Organization Flux objects in flux-system, one UserAccess per owner and, once
/// its vCluster is Ready, its first Environment.
///
/// Every flag can also be set with the environment variable shown. Secrets are read from the
/// environment (`CATALYST_GITEA_TOKEN`, `CATALYST_KC_SA_CLIENT_SECRET`) or from the files
/// named by the `*_FILE` flags. The rendering settings (`CATALYST_HOST_CLUSTER` (required),
/// `CATALYST_GITEA_BRANCH`, `CATALYST_GITEA_INCLUSTER_URL`, `CATALYST_FLUX_NAMESPACE`,
/// `CATALYST_FLUX_INTERVAL_SECONDS`, `CATALYST_FLUX_GITEA_SECRET_REF` (required),
/// `CATALYST_VCLUSTER_CHART_VERSION`, `CATALYST_VCLUSTER_HELMREPO_NAME`,
/// `CATALYST_VCLUSTER_HELMREPO_NAMESPACE`, `CATALYST_VCLUSTER_IMAGE_REGISTRY`,
/// `CATALYST_ENV_REGION_PROVIDER`, `CATALYST_ENV_REGION_CODE`,
/// `CATALYST_ENV_REGION_BUILDING_BLOCK`) are read from the environment, as `catalyst
/// organization render` reads them.
#[derive(Clone, Debug, Parser)]
#[command(name = "organization-controller", version, max_term_width = 100)]
pub struct Config {
    /// Gitea base URL (root or `…/api/v1`).
    #[arg(
        long,
        env = "CATALYST_GITEA_URL",
        default_value = "http://gitea-http.gitea.svc.cluster.local:3000"
    )]
    pub gitea_url: String,
    /// File holding the Gitea token (a mounted Secret); `CATALYST_GITEA_TOKEN` is used when unset.
    #[arg(long, env = "CATALYST_GITEA_TOKEN_FILE", value_name = "PATH")]
    pub gitea_token_file: Option<PathBuf>,
    /// Keycloak base URL (required).
    #[arg(long, env = "CATALYST_KC_ADDR", value_name = "URL")]
    pub keycloak_url: Option<String>,
    /// The Sovereign realm: where the service account signs in and the groups live.
    #[arg(long, env = "CATALYST_KC_REALM", default_value = "sovereign", value_name = "REALM")]
    pub keycloak_realm: String,
    /// The Keycloak service account's client id (required).
    #[arg(long, env = "CATALYST_KC_SA_CLIENT_ID", value_name = "ID")]
    pub keycloak_client_id: Option<String>,
    /// File holding the service account's secret; `CATALYST_KC_SA_CLIENT_SECRET` is used when unset.
    #[arg(long, env = "CATALYST_KC_SA_CLIENT_SECRET_FILE", value_name = "PATH")]
    pub keycloak_client_secret_file: Option<PathBuf>,
    /// NATS server for `catalyst.tenant.deleted` (none when unset).
    #[arg(long, env = "NATS_URL", value_name = "URL")]
    pub nats_url: Option<String>,
    /// Commit author name.
    #[arg(long, env = "COMMIT_AUTHOR_NAME", default_value = "organization-controller", value_name = "NAME")]
    pub commit_author_name: String,
    /// Commit author email.
    #[arg(
        long,
        env = "COMMIT_AUTHOR_EMAIL",
        default_value = "organization-controller@openova.io",
        value_name = "EMAIL"
    )]
    pub commit_author_email: String,
    /// Seconds between reconciles of a Ready Organization (drift); not-ready ones are looked at
    /// again after 30 s.
    #[arg(long, env = "REQUEUE_AFTER_SECONDS", default_value_t = 300, value_name = "SECONDS")]
    pub requeue_after_seconds: u64,
    /// Seconds one Keycloak, Gitea or NATS call may take.
    #[arg(long, env = "CALL_TIMEOUT_SECONDS", default_value_t = 10, value_name = "SECONDS")]
    pub call_timeout_seconds: u64,
    /// Elect a leader among replicas.
    #[arg(long, env = "LEADER_ELECT", default_value = "true", action = clap::ArgAction::Set, value_name = "BOOL")]
    pub leader_elect: bool,
    /// Namespace of the leader-election Lease.
    #[arg(long, env = "LEADER_ELECT_NS", default_value = "catalyst-system", value_name = "NAMESPACE")]
    pub leader_elect_namespace: String,
    /// This replica's identity in the Lease; defaults to `POD_NAME`, then the host name.
    #[arg(long, env = "POD_NAME", value_name = "ID")]
    pub identity: Option<String>,
    /// Address of /metrics.
    #[arg(
        long = "metrics-bind-address",
        env = "METRICS_ADDR",
        default_value = "0.0.0.0:8080",
        value_name = "ADDR"
    )]
    pub metrics_addr: SocketAddr,
    /// Address of /healthz and /readyz.
    #[arg(
        long = "health-probe-bind-address",
        env = "HEALTH_ADDR",
        default_value = "0.0.0.0:8081",
        value_name = "ADDR"
    )]
    pub health_addr: SocketAddr,
    /// Organizations reconciled at the same time.
    #[arg(long, env = "MAX_CONCURRENT_RECONCILES", default_value_t = 4, value_name = "N")]
    pub concurrency: u16,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", default_value = "json", value_parser = ["json", "text"])]
    pub log_format: String,
}

/// The leader-election Lease's name (as the platform names it).
pub const LEASE_NAME: &str = "organization-controller.orgs.openova.io";

/// Why the controller refuses to start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting is missing.
    #[error("{0} is required")]
    Missing(&'static str),
    /// A secret file could not be read.
    #[error("{flag} {path}")]
    SecretFile {
        /// The flag.
        flag: &'static str,
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A rendering setting is wrong.
    #[error("{0}")]
    Render(String),
    /// The Keycloak settings are unusable.
    #[error("CATALYST_KC_ADDR/CATALYST_KC_REALM: {0}")]
    Keycloak(String),
    /// Host Flux could not authenticate its clones.
    #[error(
        "CATALYST_FLUX_GITEA_SECRET_REF is empty: Flux could not clone the tenant repositories from Gitea, which requires sign-in"
    )]
    NoSecretRef,
}

fn secret(flag: &'static str, file: Option<&Path>, var: &str) -> Result<String, ConfigError> {
    match file {
        Some(path) => std::fs::read_to_string(path)
            .map(|s| s.lines().next().unwrap_or_default().trim().to_owned())
            .map_err(|source| ConfigError::SecretFile { flag, path: path.display().to_string(), source }),
        None => Ok(std::env::var(var).unwrap_or_default()),
    }
}

impl Config {
    /// The rendering settings from the environment, with warnings for values that fell back.
    ///
    /// # Errors
    /// [`ConfigError::Render`], [`ConfigError::NoSecretRef`].
    pub fn tenant(&self) -> Result<(TenantConfig, Vec<String>), ConfigError> {
        let (config, warnings) =
            TenantConfig::from_vars(|k| std::env::var(k).ok()).map_err(ConfigError::Render)?;
        if config.flux_secret_ref.is_empty() {
            return Err(ConfigError::NoSecretRef);
        }
        Ok((config, warnings))
    }

    /// The Gitea token: the file's first line, else `CATALYST_GITEA_TOKEN`.
    ///
    /// # Errors
    /// [`ConfigError::SecretFile`].
    pub fn gitea_token(&self) -> Result<catalyst_gitea::Token, ConfigError> {
        secret("--gitea-token-file", self.gitea_token_file.as_deref(), "CATALYST_GITEA_TOKEN")
            .map(catalyst_gitea::Token::new)
    }

    /// Deadline of one outside call.
    pub fn call_timeout(&self) -> Duration {
        Duration::from_secs(self.call_timeout_seconds.max(1))
    }

    /// The Keycloak client.
    ///
    /// # Errors
    /// A missing address, client id or secret, or unusable values.
    pub fn keycloak(&self) -> Result<KeycloakAdmin, ConfigError> {
        let url = self
            .keycloak_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .ok_or(ConfigError::Missing("CATALYST_KC_ADDR"))?;
        let id = self
            .keycloak_client_id
            .as_deref()
            .filter(|u| !u.is_empty())
            .ok_or(ConfigError::Missing("CATALYST_KC_SA_CLIENT_ID"))?;
        let secret = secret(
            "--keycloak-client-secret-file",
            self.keycloak_client_secret_file.as_deref(),
            "CATALYST_KC_SA_CLIENT_SECRET",
        )?;
        if secret.is_empty() {
            return Err(ConfigError::Missing("CATALYST_KC_SA_CLIENT_SECRET"));
        }
        KeycloakAdmin::new(url, &self.keycloak_realm, id, ClientSecret::new(secret), self.call_timeout())
            .map_err(ConfigError::Keycloak)
    }

    /// Every check that needs no connection: what `main` runs before anything else.
    ///
    /// # Errors
    /// The first mistake.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.tenant()?;
        self.gitea_token()?;
        self.keycloak()?;
        Ok(())
    }
}
