//! `useraccess-controller`: flags, logging, then [`useraccess_controller::run`].

use std::process::ExitCode;

use clap::Parser as _;
use useraccess_controller::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    // One rustls crypto provider for every HTTPS client of the process (DESIGN.md).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    // Flag mistakes exit 2 (clap) before any log line or connection.
    let config = Config::parse();
    catalyst_runtime::init_logging(config.log_format == "json");
    match useraccess_controller::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
