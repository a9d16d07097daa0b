//! `blueprint-controller`: flags, logging, then [`blueprint_controller::run`].

use std::process::ExitCode;

use blueprint_controller::config::Config;
use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    // One rustls crypto provider for every HTTPS client of the process (DESIGN.md).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let config = Config::parse();
    // Configuration mistakes are reported plainly, before any log line or connection.
    if let Err(e) = config.gitea().and_then(|_| config.oci()) {
        eprintln!("error: {}", catalyst_naming::diagnostic::Chain(&e));
        return ExitCode::from(2);
    }
    catalyst_runtime::init_logging(config.log_format == "json");
    match blueprint_controller::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
