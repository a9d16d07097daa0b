//! Runtime configuration: flags, each with the environment variable the platform's
//! useraccess-controller reads and its default.

use std::net::SocketAddr;

use clap::Parser;

/// The useraccess-controller: each UserAccess (access.openova.io/v1alpha1) becomes the
/// `RoleBindings` and `ClusterRoleBindings` it grants, to the platform's `ClusterRoles`
/// (`openova:application-{admin,editor,viewer}`, `openova:tier-{viewer,…,owner}`); bindings
/// changed by hand are restored, bindings no longer granted are deleted.
///
/// Every flag can also be set with the environment variable shown.
#[derive(Clone, Debug, Parser)]
#[command(name = "useraccess-controller", version, max_term_width = 100)]
pub struct Config {
    /// Seconds between reconciles of an unchanged UserAccess (bindings changed by hand).
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
    /// `UserAccesses` reconciled at the same time.
    #[arg(long, env = "MAX_CONCURRENT_RECONCILES", default_value_t = 4, value_name = "N")]
    pub concurrency: u16,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", default_value = "json", value_parser = ["json", "text"])]
    pub log_format: String,
}

/// The leader-election Lease's name (as the platform names it).
pub const LEASE_NAME: &str = "useraccess-controller.openova.io";
