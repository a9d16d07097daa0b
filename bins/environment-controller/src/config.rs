//! Runtime configuration: flags, each with the environment variable of SPEC ENV-2 and a
//! documented default. Secrets (the Gitea token) come from the environment or a file only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use catalyst_core::gitops::{
    DEFAULT_FLUX_NAMESPACE, DEFAULT_INTERVAL_SECONDS, DEFAULT_SECRET_REF, HostClusterNaming, RenderConfig,
    positive_or_default,
};
use catalyst_gitea::Identity;
use clap::Parser;

/// The environment-controller: reconciles cluster-scoped Environments
/// (catalyst.openova.io/v1) to Flux GitRepository manifests in the Organization's Gitea
/// environment repository. It never writes to the cluster except the Environment's status and
/// its leader-election Lease; Flux applies what it commits.
///
/// Every flag can also be set with the environment variable shown. The Gitea token is read
/// from `GITEA_TOKEN` or from the file named by --gitea-token-file, never from a flag value.
#[derive(Clone, Debug, Parser)]
#[command(name = "environment-controller", version, max_term_width = 100)]
pub struct Config {
    /// Gitea API base URL the controller writes through.
    #[arg(
        long,
        env = "GITEA_API_URL",
        default_value = "http://gitea-http.gitea.svc.cluster.local:3000/api/v1"
    )]
    pub gitea_api_url: String,
    /// File holding the Gitea token (a mounted Secret); `GITEA_TOKEN` is used when unset.
    #[arg(long, env = "GITEA_TOKEN_FILE", value_name = "PATH")]
    pub gitea_token_file: Option<PathBuf>,
    /// The Gitea URL Flux clones from, written into every manifest. Required: there is no
    /// sensible default.
    #[arg(long, env = "GITEA_PUBLIC_URL", value_name = "URL")]
    pub gitea_public_url: Option<String>,
    /// The Secret in the Flux namespace holding Gitea clone credentials (spec.secretRef).
    #[arg(long, env = "GITEA_SECRET_REF", default_value = DEFAULT_SECRET_REF, value_name = "NAME")]
    pub gitea_secret_ref: String,
    /// Render anonymous sources (no secretRef) when --gitea-secret-ref is empty, instead of
    /// refusing to start. Gitea requires sign-in for clones by default.
    #[arg(long, env = "ALLOW_ANONYMOUS_CLONE")]
    pub allow_anonymous_clone: bool,
    /// Namespace of the GitRepository objects (Flux's namespace in each vCluster).
    #[arg(long, env = "FLUX_NAMESPACE", default_value = DEFAULT_FLUX_NAMESPACE, value_name = "NAMESPACE")]
    pub flux_namespace: String,
    /// Flux sync interval in seconds (spec.interval). Values that are not positive integers
    /// fall back to 60, with a warning.
    #[arg(long, env = "FLUX_INTERVAL_SECONDS", default_value = "60", value_name = "SECONDS")]
    pub flux_interval_seconds: String,
    /// Commit author name.
    #[arg(long, env = "COMMIT_AUTHOR_NAME", default_value = DEFAULT_AUTHOR_NAME, value_name = "NAME")]
    pub commit_author_name: String,
    /// Commit author email.
    #[arg(
        long,
        env = "COMMIT_AUTHOR_EMAIL",
        default_value = DEFAULT_AUTHOR_EMAIL,
        value_name = "EMAIL"
    )]
    pub commit_author_email: String,
    /// Suffix of the environment repository after the Organization slug.
    #[arg(long, env = "ENV_REPO_SUFFIX", default_value = catalyst_naming::DEFAULT_ENV_REPO_SUFFIX, value_name = "SUFFIX")]
    pub env_repo_suffix: String,
    /// Seconds between reconciles of an unchanged Environment (drift detection). Values that
    /// are not positive integers fall back to 300, with a warning.
    #[arg(long, env = "REQUEUE_AFTER_SECONDS", default_value = "300", value_name = "SECONDS")]
    pub requeue_after_seconds: String,
    /// How host clusters are named for regions without hostCluster: verbatim spec values
    /// (hetzner-fsn-rtz-prod, what the platform writes today) or canonical naming-table
    /// names (hz-fsn-rtz-prod).
    #[arg(long, env = "HOST_CLUSTER_NAMING", default_value = "verbatim", value_parser = ["verbatim", "canonical"])]
    pub host_cluster_naming: String,
    /// One host cluster for every region of every Environment (single-cluster Sovereigns).
    #[arg(long, env = "HOST_CLUSTER_OVERRIDE", value_name = "NAME")]
    pub host_cluster: Option<String>,
    /// Also apply the CRD's schema checks before reconciling (CORE-4), not only placement.
    #[arg(long, env = "STRICT_VALIDATION")]
    pub strict: bool,
    /// Namespace of the leader-election Lease.
    #[arg(
        long,
        env = "LEADER_ELECTION_NAMESPACE",
        default_value = "catalyst-system",
        value_name = "NAMESPACE"
    )]
    pub leader_election_namespace: String,
    /// Run without leader election (a single replica, or local development).
    #[arg(long, env = "DISABLE_LEADER_ELECTION")]
    pub no_leader_election: bool,
    /// This replica's identity in the Lease; defaults to `POD_NAME`, then the host name.
    #[arg(long, env = "POD_NAME", value_name = "ID")]
    pub identity: Option<String>,
    /// Address of /metrics.
    #[arg(long, env = "METRICS_BIND_ADDRESS", default_value = "0.0.0.0:8080", value_name = "ADDR")]
    pub metrics_addr: SocketAddr,
    /// Address of /healthz and /readyz.
    #[arg(long, env = "HEALTH_PROBE_BIND_ADDRESS", default_value = "0.0.0.0:8081", value_name = "ADDR")]
    pub health_addr: SocketAddr,
    /// Environments reconciled at the same time.
    #[arg(long, env = "MAX_CONCURRENT_RECONCILES", default_value_t = 4, value_name = "N")]
    pub concurrency: u16,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", default_value = "json", value_parser = ["json", "text"])]
    pub log_format: String,
}

/// Why the controller refuses to start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required value is missing.
    #[error("{0}")]
    Missing(&'static str),
    /// `HOST_CLUSTER_NAMING` is not `verbatim` or `canonical`.
    #[error(transparent)]
    HostClusterNaming(#[from] catalyst_core::gitops::UnknownHostClusterNaming),
    /// The token file could not be read.
    #[error("--gitea-token-file {path}")]
    TokenFile {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// The configuration after defaults and checks: what reconciles use.
#[derive(Clone, Debug)]
pub struct Settings {
    /// What shapes the rendered manifests.
    pub render: RenderConfig,
    /// Commit author and committer.
    pub author: Identity,
    /// Requeue interval of healthy, pending and degraded Environments.
    pub requeue_after: Duration,
    /// Also run the schema checks.
    pub strict: bool,
}

/// The default commit author name (ENV-2).
pub const DEFAULT_AUTHOR_NAME: &str = "environment-controller";

/// The default commit author email (ENV-2).
pub const DEFAULT_AUTHOR_EMAIL: &str = "environment-controller@openova.io";

/// The default requeue interval (ENV-2).
pub const DEFAULT_REQUEUE_SECONDS: u64 = 300;

impl Settings {
    /// SPEC ENV-T10: empty values take the defaults (what `Config::with_defaults` does in the
    /// platform's controller).
    #[must_use]
    pub fn with_defaults(mut self) -> Self {
        let defaults = RenderConfig::new(String::new());
        if self.render.flux_namespace.is_empty() {
            self.render.flux_namespace = defaults.flux_namespace;
        }
        if self.render.flux_interval_seconds <= 0 {
            self.render.flux_interval_seconds = DEFAULT_INTERVAL_SECONDS;
        }
        if self.render.repo_suffix.is_empty() {
            self.render.repo_suffix = defaults.repo_suffix;
        }
        if self.author.name.is_empty() {
            DEFAULT_AUTHOR_NAME.clone_into(&mut self.author.name);
        }
        if self.author.email.is_empty() {
            DEFAULT_AUTHOR_EMAIL.clone_into(&mut self.author.email);
        }
        if self.requeue_after.is_zero() {
            self.requeue_after = Duration::from_secs(DEFAULT_REQUEUE_SECONDS);
        }
        self
    }

    /// Settings with every value empty (what ENV-T10 starts from).
    pub fn empty(public_url: &str) -> Self {
        let mut render = RenderConfig::new(public_url);
        render.flux_namespace.clear();
        render.flux_interval_seconds = 0;
        render.repo_suffix.clear();
        Self {
            render,
            author: Identity { name: String::new(), email: String::new() },
            requeue_after: Duration::ZERO,
            strict: false,
        }
    }
}

impl Config {
    /// Checks the configuration and applies defaults; returns the settings and warnings
    /// about values that fell back to their default.
    pub fn settings(&self) -> Result<(Settings, Vec<String>), ConfigError> {
        let public_url = self.gitea_public_url.as_deref().map(str::trim).unwrap_or_default();
        if public_url.is_empty() {
            return Err(ConfigError::Missing(
                "--gitea-public-url (GITEA_PUBLIC_URL) is required: the URL Flux clones environment repositories from",
            ));
        }
        if self.gitea_secret_ref.trim().is_empty() && !self.allow_anonymous_clone {
            return Err(ConfigError::Missing(
                "--gitea-secret-ref (GITEA_SECRET_REF) is empty: Flux could not authenticate its clones; pass --allow-anonymous-clone if the repositories are public",
            ));
        }
        let mut warnings = Vec::new();
        let interval = positive_or_default(
            "FLUX_INTERVAL_SECONDS",
            &self.flux_interval_seconds,
            DEFAULT_INTERVAL_SECONDS,
            &mut warnings,
        );
        #[expect(clippy::cast_possible_wrap, reason = "a small constant")]
        let requeue = positive_or_default(
            "REQUEUE_AFTER_SECONDS",
            &self.requeue_after_seconds,
            DEFAULT_REQUEUE_SECONDS as i64,
            &mut warnings,
        );
        let naming = self.host_cluster_naming.parse::<HostClusterNaming>()?;
        let render = RenderConfig {
            public_url: public_url.to_owned(),
            secret_ref: self.gitea_secret_ref.trim().to_owned(),
            flux_namespace: self.flux_namespace.clone(),
            flux_interval_seconds: interval,
            repo_suffix: self.env_repo_suffix.clone(),
            host_cluster_naming: naming,
            host_cluster_override: self.host_cluster.clone().filter(|h| !h.is_empty()),
        };
        let settings = Settings {
            render,
            author: Identity {
                name: self.commit_author_name.clone(),
                email: self.commit_author_email.clone(),
            },
            requeue_after: Duration::from_secs(requeue.unsigned_abs()),
            strict: self.strict,
        }
        .with_defaults();
        Ok((settings, warnings))
    }

    /// The Gitea token: the file's first line when --gitea-token-file is set, else
    /// `GITEA_TOKEN`.
    pub fn token(&self) -> Result<catalyst_gitea::Token, ConfigError> {
        match &self.gitea_token_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|s| catalyst_gitea::Token::new(s.lines().next().unwrap_or_default().trim()))
                .map_err(|source| ConfigError::TokenFile { path: path.display().to_string(), source }),
            None => Ok(catalyst_gitea::Token::from_env()),
        }
    }
}
