//! `catalyst gitea put-file`: a thin wrapper over catalyst-gitea's upsert.

use anyhow::anyhow;
use catalyst_gitea::{Client, GiteaError, Identity, Target, Token};

use crate::Failure;
use crate::cli::{GiteaCommand, Output};
use crate::output;

/// Runs a `gitea` subcommand.
pub(crate) fn run(cmd: GiteaCommand, format: Output) -> Result<(), Failure> {
    let GiteaCommand::PutFile { url, org, repo, branch, path, file, message, author_name, author_email } =
        cmd;
    let content = catalyst_blueprint::read_capped(&file, catalyst_gitea::MAX_FILE_BYTES)
        .map_err(|e| Failure::invalid(anyhow!("--file {}: {e}", file.display())))?;
    let client = Client::new(&url, Token::from_env()).map_err(|e| Failure::usage(anyhow!("--url: {e}")))?;
    let author = Identity { name: author_name, email: author_email };
    let target = Target { owner: &org, repo: &repo, branch: &branch, message: &message, author: &author };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::remote(anyhow!(e)))?;
    let result = rt.block_on(client.upsert_file(&target, &path, &content)).map_err(|e| match e {
        GiteaError::Transport { .. }
        | GiteaError::Http { .. }
        | GiteaError::Decode { .. }
        | GiteaError::Redirect { .. }
        | GiteaError::TooLarge { .. }
        | GiteaError::Unauthorized { .. } => Failure::remote(e),
        GiteaError::InvalidArgument(_) => Failure::usage(e),
        _ => Failure::invalid(e),
    })?;
    if format == Output::Text {
        output::raw(&format!("{result}\n"));
        Ok(())
    } else {
        output::print(&serde_json::json!({"result": result, "path": path}), format).map_err(Failure::invalid)
    }
}
