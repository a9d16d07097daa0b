//! Runtime configuration: flags, each with the environment variable the platform's
//! blueprint-controller reads and its default. The Gitea token comes from
//! `CATALYST_GITEA_TOKEN` or a mounted file, never from a flag value.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use catalyst_blueprint::oci::PublicKey;
use clap::Parser;

/// The blueprint-controller: each Blueprint (catalyst.openova.io v1 and v1alpha1) is judged by
/// the one rule set (catalyst-blueprint's model and the CRD's schema; errors → phase Draft,
/// nothing written) and mirrored into the Gitea org `catalog` (one repository per Blueprint,
/// `blueprint.yaml` on `main`: written when listed, deleted when unlisted or private). Without a
/// Gitea token the mirror is off and only the status is written.
///
/// With `--oci-registry` and `--cosign-key`, each listed or unlisted Blueprint's published
/// artifact `<registry>/bp-<name>:<version>` must be signed by one of the keys and be that
/// Blueprint at that version before it is published: `status.ociDigest` and the condition
/// `SignatureVerified` record the result; an unsigned or mismatching artifact is
/// `Ready=False/SignatureInvalid` and is not mirrored. Registry credentials come from
/// `CATALYST_REGISTRY_USERNAME` and `CATALYST_REGISTRY_PASSWORD`, never from a flag.
///
/// Every flag can also be set with the environment variable shown.
#[derive(Clone, Debug, Parser)]
#[command(name = "blueprint-controller", version, max_term_width = 100)]
pub struct Config {
    /// Gitea base URL (root or `…/api/v1`).
    #[arg(
        long,
        env = "CATALYST_GITEA_URL",
        default_value = "http://gitea-http.gitea.svc.cluster.local:3000"
    )]
    pub gitea_url: String,
    /// File holding the Gitea token (a mounted Secret); `CATALYST_GITEA_TOKEN` is used when
    /// unset. No token: the mirror is off.
    #[arg(long, env = "CATALYST_GITEA_TOKEN_FILE", value_name = "PATH")]
    pub gitea_token_file: Option<PathBuf>,
    /// Commit author name.
    #[arg(long, env = "COMMIT_AUTHOR_NAME", default_value = "blueprint-controller", value_name = "NAME")]
    pub commit_author_name: String,
    /// Commit author email.
    #[arg(
        long,
        env = "COMMIT_AUTHOR_EMAIL",
        default_value = "blueprint-controller@openova.io",
        value_name = "EMAIL"
    )]
    pub commit_author_email: String,
    /// Seconds one Gitea call may take.
    #[arg(long, env = "CALL_TIMEOUT_SECONDS", default_value_t = 10, value_name = "SECONDS")]
    pub call_timeout_seconds: u64,
    /// Seconds between reconciles of an unchanged Blueprint (the mirror's drift).
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
    /// Blueprints reconciled at the same time.
    #[arg(long, env = "MAX_CONCURRENT_RECONCILES", default_value_t = 4, value_name = "N")]
    pub concurrency: u16,
    /// Registry and namespace of the published Blueprints (`ghcr.io/openova-io`): turns the
    /// signature check on (needs `--cosign-key`).
    #[arg(long, env = "CATALYST_OCI_REGISTRY", value_name = "REGISTRY/NAMESPACE")]
    pub oci_registry: Option<String>,
    /// A cosign public key (PEM) that may sign Blueprints; repeat it, or separate paths with
    /// `,` in the variable. Any one key verifying is enough.
    #[arg(long = "cosign-key", env = "CATALYST_COSIGN_KEYS", value_delimiter = ',', value_name = "PATH")]
    pub cosign_keys: Vec<PathBuf>,
    /// Reach the registry over plain HTTP (refused unless it is on loopback: a test registry).
    #[arg(long, env = "CATALYST_OCI_PLAIN_HTTP", default_value = "false", action = clap::ArgAction::Set, value_name = "BOOL")]
    pub oci_plain_http: bool,
    /// Seconds one signature check may take, every registry request included.
    #[arg(long, env = "OCI_TIMEOUT_SECONDS", default_value_t = 30, value_name = "SECONDS")]
    pub oci_timeout_seconds: u64,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", default_value = "json", value_parser = ["json", "text"])]
    pub log_format: String,
}

/// The leader-election Lease's name.
pub const LEASE_NAME: &str = "blueprint-controller.catalyst.openova.io";

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
    /// The Gitea URL is unusable.
    #[error("--gitea-url: {0}")]
    Gitea(String),
    /// The signature check is configured wrongly.
    #[error("{0}")]
    Oci(String),
}

impl Config {
    /// The Gitea client, or `None` without a token (the mirror is off).
    ///
    /// # Errors
    /// An unreadable token file or a bad URL.
    pub fn gitea(&self) -> Result<Option<catalyst_gitea::Client>, ConfigError> {
        let token = match &self.gitea_token_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|s| s.lines().next().unwrap_or_default().trim().to_owned())
                .map_err(|source| ConfigError::TokenFile { path: path.display().to_string(), source })?,
            None => std::env::var("CATALYST_GITEA_TOKEN").unwrap_or_default(),
        };
        if token.is_empty() || self.gitea_url.is_empty() {
            return Ok(None);
        }
        let config = catalyst_gitea::Config::new(&self.gitea_url)
            .with_timeout(Duration::from_secs(self.call_timeout_seconds.max(1)));
        catalyst_gitea::Client::from_config(&config, catalyst_gitea::Token::new(token))
            .map(Some)
            .map_err(|e| ConfigError::Gitea(e.to_string()))
    }

    /// The signature check, or `None` without `--oci-registry` (then no key may be given).
    ///
    /// # Errors
    /// A registry without keys, keys without a registry, an unreadable or invalid key, or a
    /// registry that does not make a reference.
    pub fn oci(&self) -> Result<Option<crate::reconcile::Oci>, ConfigError> {
        let registry =
            self.oci_registry.as_deref().map(|r| r.trim_end_matches('/')).filter(|r| !r.is_empty());
        let Some(prefix) = registry else {
            if self.cosign_keys.is_empty() {
                return Ok(None);
            }
            return Err(ConfigError::Oci(
                "--cosign-key without --oci-registry checks nothing: name the registry of the published Blueprints (--oci-registry ghcr.io/openova-io)".into(),
            ));
        };
        if self.cosign_keys.is_empty() {
            return Err(ConfigError::Oci(format!(
                "--oci-registry {prefix} needs at least one --cosign-key: the public keys Blueprints must be signed with"
            )));
        }
        let keys = self
            .cosign_keys
            .iter()
            .map(|path| PublicKey::from_file(path).map_err(|e| ConfigError::Oci(format!("--cosign-key {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        crate::reconcile::Oci::new(
            prefix,
            keys,
            self.oci_plain_http,
            Duration::from_secs(self.oci_timeout_seconds.max(1)),
        )
        .map(Some)
        .map_err(ConfigError::Oci)
    }
}
