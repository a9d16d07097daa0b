//! `catalyst`: the OpenOva Catalyst command line. It composes the SDK crates and owns every
//! terminal concern: argument parsing, output formats, messages and exit codes.
//!
//! Exit codes (DESIGN.md): 0 ok; 1 the input or the remote state is wrong; 2 usage;
//! 3 a remote service failed or could not be reached.

mod blueprint;
mod cli;
mod continuum;
mod core;
#[cfg(feature = "remote")]
mod dns;
#[cfg(feature = "remote")]
mod gitea;
mod graph;
mod names;
#[cfg(feature = "remote")]
mod oci;
mod output;
mod plan;
mod progress;
#[cfg(feature = "remote")]
mod sovereign;

use std::process::ExitCode;

/// A failed command: what went wrong and the exit code it maps to.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    error: anyhow::Error,
}

impl Failure {
    /// The input is wrong (exit 1).
    pub(crate) fn invalid(error: impl Into<anyhow::Error>) -> Self {
        Self { code: 1, error: error.into() }
    }

    /// The command line or the environment is wrong (exit 2).
    pub(crate) fn usage(error: impl Into<anyhow::Error>) -> Self {
        Self { code: 2, error: error.into() }
    }

    /// A remote service failed or could not be reached (exit 3).
    pub(crate) fn remote(error: impl Into<anyhow::Error>) -> Self {
        Self { code: 3, error: error.into() }
    }

    /// The input was judged wrong and the judgement is already printed (exit 1, no message).
    pub(crate) fn reported() -> Self {
        Self { code: 1, error: anyhow::Error::msg(String::new()) }
    }

    /// The same failure, its message prefixed with where it comes from (`FILE: …`).
    pub(crate) fn context(self, what: &str) -> Self {
        Self { code: self.code, error: self.error.context(what.to_owned()) }
    }

    /// `catalyst COMMAND` needs feature `remote`, which this build lacks (exit 2).
    #[cfg_attr(feature = "remote", allow(dead_code))]
    pub(crate) fn needs_remote(command: &str) -> Self {
        Self::usage(anyhow::anyhow!("{}", needs_remote_message(command)))
    }
}

/// What a build without feature `remote` says when asked for `catalyst COMMAND`.
#[cfg_attr(feature = "remote", allow(dead_code))]
fn needs_remote_message(command: &str) -> String {
    format!(
        "`catalyst {command}` reaches servers and registries or checks signatures, and this catalyst was built without them (feature `remote`): cargo install --locked --path bins/catalyst --features remote"
    )
}

/// Renders the man page of `cmd` (named `name`) and, with `out`, of every subcommand below it.
fn man_pages(
    cmd: clap::Command,
    name: &str,
    out: &std::path::Path,
    written: &mut usize,
) -> Result<(), Failure> {
    let cmd = cmd.name(name.to_owned());
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page).map_err(Failure::remote)?;
    let path = out.join(format!("{name}.1"));
    std::fs::write(&path, page).map_err(|e| Failure::usage(anyhow::anyhow!("{}: {e}", path.display())))?;
    *written += 1;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        man_pages(sub.clone(), &format!("{name}-{}", sub.get_name()), out, written)?;
    }
    Ok(())
}

/// `catalyst man [--out DIR]`.
fn man(out: Option<&std::path::Path>) -> Result<(), Failure> {
    let mut cmd = cli::command();
    cmd.build();
    match out {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page).map_err(Failure::remote)?;
            output::raw(&String::from_utf8_lossy(&page));
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::usage(anyhow::anyhow!("--out {}: {e}", dir.display())))?;
            let mut written = 0;
            man_pages(cmd, "catalyst", dir, &mut written)?;
            eprintln!("wrote {written} man pages into {}", dir.display());
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    // One rustls crypto provider for every HTTPS client of the process (DESIGN.md). An
    // error only means one is installed already, which is what we want.
    #[cfg(feature = "remote")]
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = cli::parse();
    let result = match cli.command {
        cli::Command::Names(args) => names::run(&args, cli.output),
        cli::Command::Crds { out } => core::crds_command(out.as_deref(), cli.output),
        cli::Command::Validate { paths } => core::validate_command(&paths, cli.output),
        cli::Command::Blueprint(cmd) => blueprint::run(cmd, cli.output),
        cli::Command::BootstrapKit(cmd) => blueprint::kit(cmd, cli.output),
        #[cfg(feature = "remote")]
        cli::Command::Dns(cmd) => dns::run(cmd, cli.output),
        #[cfg(feature = "remote")]
        cli::Command::Gitea(cmd) => gitea::run(cmd, cli.output),
        #[cfg(feature = "remote")]
        cli::Command::Sigstore(cmd) => oci::sigstore(cmd, cli.output),
        #[cfg(not(feature = "remote"))]
        cli::Command::Dns(_) => Err(Failure::needs_remote("dns")),
        #[cfg(not(feature = "remote"))]
        cli::Command::Gitea(_) => Err(Failure::needs_remote("gitea")),
        #[cfg(not(feature = "remote"))]
        cli::Command::Sigstore(_) => Err(Failure::needs_remote("sigstore")),
        cli::Command::Completions { shell } => {
            clap_complete::generate(shell, &mut cli::command(), "catalyst", &mut std::io::stdout());
            Ok(())
        }
        cli::Command::Man { out } => man(out.as_deref()),
        cli::Command::Environment(cmd) => core::environment(cmd, cli.output),
        cli::Command::Continuum(cmd) => continuum::run(cmd, cli.output),
        cli::Command::Application(cmd) => core::application(cmd, cli.output),
        cli::Command::Organization(cmd) => core::organization(cmd, cli.output),
        cli::Command::UserAccess(cmd) => core::user_access(cmd, cli.output),
        #[cfg(feature = "remote")]
        cli::Command::Sovereign(cli::SovereignCommand::Watch {
            kubeconfig,
            kit,
            timeout,
            degraded_grace,
        }) => sovereign::watch(
            &kubeconfig,
            kit.as_deref(),
            timeout.as_deref(),
            degraded_grace.as_deref(),
            cli.output,
        ),
        #[cfg(not(feature = "remote"))]
        cli::Command::Sovereign(_) => Err(Failure::needs_remote("sovereign watch")),
        cli::Command::Plan { file, graph, schema } => {
            plan::run(file.as_deref(), graph.as_deref(), schema, cli.output)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let message = format!("{:#}", failure.error);
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            ExitCode::from(failure.code)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_command_left_out_of_the_build_says_how_to_build_it_in() {
        assert_eq!(
            super::needs_remote_message("blueprint pull"),
            "`catalyst blueprint pull` reaches servers and registries or checks signatures, and this catalyst was built without them (feature `remote`): cargo install --locked --path bins/catalyst --features remote"
        );
        assert_eq!(super::Failure::needs_remote("dns").code, 2);
    }
}
