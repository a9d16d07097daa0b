//! Write an Environment's Gitea files the way a controller does, against the
//! Gitea-compatible test server: the first run creates them in one commit, the second makes
//! no commit at all.
//!
//! ```text
//! cargo run -p catalyst-examples --example gitea-upsert
//! ```

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use std::error::Error;

use catalyst_gitea::{Client, Identity, Target, Token};
use catalyst_naming::EnvironmentName;
use catalyst_testkit::gitea::TestServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let root = std::env::temp_dir().join(format!("catalyst-example-gitea-{}", std::process::id()));
    let server = TestServer::start(&root, "example-token").await?;
    let gitea = Client::new(&server.url(), Token::new("example-token"))?;
    gitea.create_org("acme").await?;
    gitea.create_repo("acme", "acme-environment", "main").await?;

    let env: EnvironmentName = "acme-prod".parse()?;
    let paths: Vec<String> = ["hetzner-fsn-rtz-prod", "hetzner-hel-rtz-prod"]
        .iter()
        .map(|host| env.gitrepository_path(host))
        .collect::<Result<_, _>>()?;
    let manifest =
        format!("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: {env}\n");
    let files: Vec<(&str, &[u8])> = paths.iter().map(|p| (p.as_str(), manifest.as_bytes())).collect();
    let author =
        Identity { name: "environment-controller".into(), email: "environment-controller@openova.io".into() };
    let target = Target {
        owner: "acme",
        repo: "acme-environment",
        branch: env.branch(),
        message: "render acme-prod",
        author: &author,
    };

    for run in 1..=2 {
        let results = gitea.upsert_files(&target, &files).await?;
        let commits = server.commit_count("acme", "acme-environment", env.branch());
        for (path, result) in &results {
            println!("run {run}: {:<9} {path}", result.to_string());
        }
        println!("run {run}: {commits} commits on {}", env.branch());
    }
    drop(server);
    std::fs::remove_dir_all(&root)?;
    Ok(())
}
