//! Gitea for OpenOva Catalyst: orgs, repos, contents, multi-file commits, branches and hooks
//! through Gitea's REST API, with writes that never make an empty commit and never overwrite a
//! concurrent change (SPEC GITEA-*): identical bytes send nothing, an update carries the blob
//! SHA that was read, and a write whose answer was lost is read back, never repeated blindly.
//!
//! The addresses and types are pure; the HTTP client is behind the `client` feature.
//!
//! ```
//! use catalyst_gitea::BaseUrl;
//!
//! // Both forms the platform's clients use name the same server; paths stay in the repository.
//! let gitea = BaseUrl::parse("https://gitea.hfmp.t38.omani.works/api/v1")?;
//! let url = gitea.contents("acme", "acme-environment",
//!     "clusters/hz-fsn-rtz-prod/environments/acme-prod/gitrepository.yaml")?;
//! assert_eq!(url, "https://gitea.hfmp.t38.omani.works/api/v1/repos/acme/acme-environment/contents/\
//!     clusters/hz-fsn-rtz-prod/environments/acme-prod/gitrepository.yaml");
//! assert!(catalyst_gitea::escape_path("clusters/../secrets").is_err());
//! # Ok::<(), catalyst_gitea::UrlError>(())
//! ```
//!
//! With `client`, [`Client::upsert_file`] writes one file idempotently:
//!
//! ```no_run
//! # #[cfg(feature = "client")]
//! # async fn run() -> Result<(), catalyst_gitea::GiteaError> {
//! use catalyst_gitea::{Client, Identity, Target, Token, Upsert};
//! let gitea = Client::new("https://gitea.example.test", Token::from_env())?;
//! let author = Identity { name: "environment-controller".into(), email: "ec@example.test".into() };
//! let target = Target { owner: "acme", repo: "acme-environment", branch: "main", message: "render", author: &author };
//! let result = gitea.upsert_file(&target, "clusters/x/gitrepository.yaml", b"kind: GitRepository\n").await?;
//! assert!(matches!(result, Upsert::Created | Upsert::Updated | Upsert::Unchanged));
//! # Ok(()) }
//! ```
//!
//! # Crate features
//!
//! - `client`: [`Client`], the REST client (reqwest with rustls, tokio).

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "client")]
mod client;
mod types;
mod url;

#[cfg(feature = "client")]
pub use crate::client::{Client, Config, GiteaError, MAX_LISTED};
pub use crate::types::{
    Branch, BranchCommit, Ensured, File, Hook, Identity, MAX_FILE_BYTES, MAX_RESPONSE_BYTES, NewOrg, NewRepo,
    Org, PullRef, PullRequest, Repo, Target, Token, Upsert, Visibility,
};
pub use crate::url::{BaseUrl, UrlError, escape_path, escape_segment};
