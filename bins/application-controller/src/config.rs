//! Runtime configuration: flags, each with the environment variable the platform's
//! application-controller reads and its default. The Gitea token comes from `GITEA_TOKEN` or a
//! file, never from a flag value.

use std::net::SocketAddr;
use std::path::PathBuf;

use catalyst_core::apps::AppsConfig;
use clap::Parser;

/// The application-controller: renders each Application (apps.openova.io/v1) into a Flux
/// HelmRelease and kustomize overlay per region of its placement, commits them to the
/// Organization's Gitea repository `<org>/<app>`, and wires host Flux (a GitRepository and one
/// Kustomization per region) to apply them.
///
/// Every flag can also be set with the environment variable shown. The rendering settings
/// (`GITEA_PUBLIC_URL`, `GITEA_IN_CLUSTER_URL`, `FLUX_GITEA_SECRET_REF`, `CATALOG_SOURCE_REF`,
/// `SOURCE_NAMESPACE`, `HELMRELEASE_INTERVAL`, `HOST_FLUX_NAMESPACE`,
/// `HOST_FLUX_INTERVAL_SECONDS`, `SOVEREIGN_BCP_TOPOLOGY`,
/// `VCLUSTER_PLACEMENT_{DMZ,MGMT,RTZ}_{NS,SECRET}`) are read from the environment, as
/// `catalyst application render` reads them.
#[derive(Clone, Debug, Parser)]
#[command(name = "application-controller", version, max_term_width = 100)]
pub struct Config {
    /// Gitea API base URL.
    #[arg(
        long,
        env = "GITEA_API_URL",
        default_value = "http://gitea-http.gitea.svc.cluster.local:3000/api/v1"
    )]
    pub gitea_api_url: String,
    /// File holding the Gitea token (a mounted Secret); `GITEA_TOKEN` is used when unset.
    #[arg(long, env = "GITEA_TOKEN_FILE", value_name = "PATH")]
    pub gitea_token_file: Option<PathBuf>,
    /// Commit author name.
    #[arg(long, env = "COMMIT_AUTHOR_NAME", default_value = "application-controller", value_name = "NAME")]
    pub commit_author_name: String,
    /// Commit author email.
    #[arg(
        long,
        env = "COMMIT_AUTHOR_EMAIL",
        default_value = "application-controller@openova.io",
        value_name = "EMAIL"
    )]
    pub commit_author_email: String,
    /// Seconds between reconciles of an unchanged Application (drift, HelmRelease readiness).
    #[arg(long, env = "REQUEUE_AFTER_SECONDS", default_value_t = 300, value_name = "SECONDS")]
    pub requeue_after_seconds: u64,
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
    /// Applications reconciled at the same time.
    #[arg(long, env = "MAX_CONCURRENT_RECONCILES", default_value_t = 4, value_name = "N")]
    pub concurrency: u16,
    /// Serve the validating webhook for `spec.placement.targets[]` on this address (HTTPS,
    /// `/validate-placement`); off when unset.
    #[arg(long, env = "PLACEMENT_WEBHOOK_ADDR", value_name = "ADDR")]
    pub placement_webhook_addr: Option<SocketAddr>,
    /// The webhook's TLS certificate chain (PEM).
    #[arg(
        long,
        env = "PLACEMENT_WEBHOOK_CERT",
        default_value = "/etc/webhook/tls/tls.crt",
        value_name = "PATH"
    )]
    pub placement_webhook_cert: PathBuf,
    /// The webhook's TLS key (PEM).
    #[arg(
        long,
        env = "PLACEMENT_WEBHOOK_KEY",
        default_value = "/etc/webhook/tls/tls.key",
        value_name = "PATH"
    )]
    pub placement_webhook_key: PathBuf,
    /// Accept Applications in namespaces not labelled `openova.io/organization` with the
    /// Organization of the Environment they name (off by default: without the check, a tenant
    /// could write into another Organization's repository).
    #[arg(long, env = "ALLOW_ANY_NAMESPACE")]
    pub allow_any_namespace: bool,
    /// Beyond the platform: resolve each Application's Blueprint against the cluster's
    /// Blueprints (other Applications count as installed) and render every missing dependency
    /// as its own HelmRelease `<app>-<dependency>` with Flux dependsOn, in install order.
    #[arg(long, env = "INSTALL_DEPENDENCIES")]
    pub install_dependencies: bool,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", default_value = "json", value_parser = ["json", "text"])]
    pub log_format: String,
}

/// The leader-election Lease's name.
pub const LEASE_NAME: &str = "application-controller.catalyst.openova.io";

/// Why the controller refuses to start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The token file could not be read.
    #[error("--gitea-token-file {path}")]
    TokenFile {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The webhook's certificate or key is unusable.
    #[error("--placement-webhook-cert/--placement-webhook-key: {0}")]
    Webhook(String),
    /// Host Flux could not authenticate its clones.
    #[error("FLUX_GITEA_SECRET_REF is empty: host Flux could not clone from Gitea, which requires sign-in")]
    NoSecretRef,
}

impl Config {
    /// The rendering settings from the environment, with warnings for values that fell back.
    ///
    /// # Errors
    /// [`ConfigError::NoSecretRef`].
    pub fn apps(&self) -> Result<(AppsConfig, Vec<String>), ConfigError> {
        let (apps, warnings) = AppsConfig::from_vars(|k| std::env::var(k).ok());
        if apps.flux_secret_ref.is_empty() {
            return Err(ConfigError::NoSecretRef);
        }
        Ok((apps, warnings))
    }

    /// The webhook's TLS configuration, when the webhook is on.
    ///
    /// # Errors
    /// [`ConfigError::Webhook`].
    pub fn webhook_tls(&self) -> Result<Option<rustls::ServerConfig>, ConfigError> {
        if self.placement_webhook_addr.is_none() {
            return Ok(None);
        }
        crate::webhook::tls_config(&self.placement_webhook_cert, &self.placement_webhook_key)
            .map(Some)
            .map_err(|e| ConfigError::Webhook(format!("{e:#}")))
    }

    /// The Gitea token: the file's first line, else `GITEA_TOKEN`.
    ///
    /// # Errors
    /// [`ConfigError::TokenFile`].
    pub fn token(&self) -> Result<catalyst_gitea::Token, ConfigError> {
        match &self.gitea_token_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|s| catalyst_gitea::Token::new(s.lines().next().unwrap_or_default().trim()))
                .map_err(|source| ConfigError::TokenFile { path: path.display().to_string(), source }),
            None => Ok(catalyst_gitea::Token::from_env()),
        }
    }
}
