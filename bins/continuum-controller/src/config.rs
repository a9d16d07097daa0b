//! Runtime configuration: flags, each with the environment variable the platform's
//! continuum-controller reads and its default. Secrets (the PDM token) come from the
//! environment or a file only, never from a flag value.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use catalyst_dns::pdm::{PdmClient, PdmConfig, PdmToken};
use clap::Parser;

use crate::worker::Settings;

/// The continuum-controller: keeps each `dr.openova.io/v1` Continuum's witness lease, watches
/// its CNPG pair, and switches the Application's primary region over (database, HTTP traffic,
/// DNS lua records, lease) when asked, or on its own when `autoFailover: true` and the witness
/// confirms the primary is gone. Audit events go to NATS JetStream (`catalyst.audit`).
///
/// Every flag can also be set with the environment variable shown. The PDM token is read from
/// `PDM_AUTH_TOKEN` or from the file named by --pdm-token-file, never from a flag value.
#[derive(Clone, Debug, Parser)]
#[command(name = "continuum-controller", version, max_term_width = 100)]
pub struct Config {
    /// The pool-domain-manager's base URL (lua records are committed there). Unset: switchovers
    /// are blocked (DNS could not follow), everything else runs.
    #[arg(long, env = "PDM_API_URL", value_name = "URL")]
    pub pdm_api_url: Option<String>,
    /// File holding the PDM token (a mounted Secret); `PDM_AUTH_TOKEN` is used when unset.
    #[arg(long, env = "PDM_AUTH_TOKEN_FILE", value_name = "PATH")]
    pub pdm_token_file: Option<PathBuf>,
    /// NATS server for audit events (`nats://host:4222`). Unset: audit events are not
    /// recorded and switchovers fail at step 1 (they must be audited); steady state runs.
    #[arg(long, env = "NATS_URL", value_name = "URL")]
    pub nats_url: Option<String>,
    /// The region this controller holds the witness lease as. Unset: it holds as each
    /// Continuum's acting primary (one controller for all regions).
    #[arg(long, env = "CATALYST_REGION", value_name = "REGION")]
    pub region: Option<String>,
    /// Namespace of the witness Leases (`cw-<namespace>-<name>`). Unset: the service account's
    /// namespace when running in a Pod, else each Continuum's own namespace.
    #[arg(long, env = "CATALYST_LEASE_NS", value_name = "NAMESPACE")]
    pub lease_namespace: Option<String>,
    /// Elect a leader among replicas (true/false, 1/0, yes/no).
    #[arg(long, env = "LEADER_ELECT", default_value = "true", value_parser = parse_bool, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub leader_elect: bool,
    /// Namespace of the leader-election Lease. Unset: the service account's namespace, else
    /// `openova-system`.
    #[arg(long, env = "LEADER_ELECT_NS", value_name = "NAMESPACE")]
    pub leader_elect_namespace: Option<String>,
    /// This replica's identity in the leader Lease; defaults to `POD_NAME`, then the host name.
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
    /// Deadline of each PDM commit and NATS publish, in seconds.
    #[arg(long, env = "CALL_TIMEOUT_SECONDS", default_value_t = 5, value_name = "SECONDS")]
    pub call_timeout_seconds: u64,
    /// Continuums reconciled at the same time (the workers run on their own).
    #[arg(long, env = "MAX_CONCURRENT_RECONCILES", default_value_t = 4, value_name = "N")]
    pub concurrency: u16,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", default_value = "json", value_parser = ["json", "text"])]
    pub log_format: String,
}

/// The leader-election Lease's name (the platform's).
pub const LEASE_NAME: &str = "continuum-controller.openova.io";

/// The service account's namespace file in a Pod.
pub const SA_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(format!("{other:?} is not one of true, false, 1, 0, yes, no")),
    }
}

/// Why the controller refuses to start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The PDM URL or token is unusable.
    #[error("--pdm-api-url (PDM_API_URL)")]
    Pdm(#[source] catalyst_dns::pdm::PdmError),
    /// The token file could not be read.
    #[error("--pdm-token-file {path}")]
    TokenFile {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The NATS URL is not one.
    #[error("--nats-url (NATS_URL) {0:?} is not a nats:// or tls:// URL")]
    NatsUrl(String),
    /// A deadline of zero.
    #[error("--call-timeout-seconds must be at least 1")]
    Timeout,
}

impl Config {
    /// The deadline of each call.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.call_timeout_seconds)
    }

    /// The PDM client, or `None` when no URL is set.
    ///
    /// # Errors
    /// [`ConfigError`] for a bad URL or an unreadable token file.
    pub fn pdm(&self) -> Result<Option<PdmClient>, ConfigError> {
        if self.call_timeout_seconds == 0 {
            return Err(ConfigError::Timeout);
        }
        let Some(url) = self.pdm_api_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let token = match &self.pdm_token_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map(|s| s.lines().next().unwrap_or_default().trim().to_owned())
                    .map_err(|source| ConfigError::TokenFile { path: path.display().to_string(), source })?,
            ),
            None => std::env::var("PDM_AUTH_TOKEN").ok(),
        }
        .filter(|t| !t.is_empty());
        let mut config = PdmConfig::new(url).with_timeout(self.timeout());
        if let Some(t) = token {
            config = config.with_token(PdmToken::new(t));
        }
        PdmClient::new(config).map(Some).map_err(ConfigError::Pdm)
    }

    /// The NATS URL, checked; `None` when unset.
    ///
    /// # Errors
    /// [`ConfigError::NatsUrl`].
    pub fn nats(&self) -> Result<Option<&str>, ConfigError> {
        let Some(url) = self.nats_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        if ["nats://", "tls://", "ws://", "wss://"].iter().any(|p| url.starts_with(p)) {
            Ok(Some(url))
        } else {
            Err(ConfigError::NatsUrl(url.to_owned()))
        }
    }

    /// Checks everything that can be checked before connecting.
    ///
    /// # Errors
    /// The first [`ConfigError`].
    pub fn check(&self) -> Result<(), ConfigError> {
        self.pdm()?;
        self.nats()?;
        Ok(())
    }

    /// The worker settings: region and lease namespace (the service account's namespace when
    /// unset and running in a Pod).
    pub fn settings(&self) -> Settings {
        let sa_namespace = || std::fs::read_to_string(SA_NAMESPACE_FILE).ok().map(|s| s.trim().to_owned());
        Settings {
            region: self.region.clone().filter(|r| !r.is_empty()),
            lease_namespace: self.lease_namespace.clone().filter(|n| !n.is_empty()).or_else(sa_namespace),
        }
    }

    /// The leader-election namespace.
    pub fn leader_namespace(&self) -> String {
        self.leader_elect_namespace
            .clone()
            .filter(|n| !n.is_empty())
            .or_else(|| std::fs::read_to_string(SA_NAMESPACE_FILE).ok().map(|s| s.trim().to_owned()))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "openova-system".to_owned())
    }
}
