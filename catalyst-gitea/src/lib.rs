//! A typed Gitea client for OpenOva Catalyst: orgs, repos, contents, multi-file commits,
//! branches and hooks, with idempotent writes that never make an empty commit and never
//! overwrite a concurrent change (SPEC GITEA-*).
//!
//! This first part builds the addresses every call uses: a base URL accepted in both forms
//! the platform's clients used, and per-segment path escaping that keeps a file path inside
//! its repository. The HTTP client and the test server follow.
//!
//! ```
//! use catalyst_gitea::BaseUrl;
//!
//! let gitea = BaseUrl::parse("https://gitea.hfmp.t38.omani.works/api/v1")?;
//! let url = gitea.contents("acme", "acme-environment",
//!     "clusters/hz-fsn-rtz-prod/environments/acme-prod/gitrepository.yaml")?;
//! assert_eq!(url, "https://gitea.hfmp.t38.omani.works/api/v1/repos/acme/acme-environment/contents/\
//!     clusters/hz-fsn-rtz-prod/environments/acme-prod/gitrepository.yaml");
//! # Ok::<(), catalyst_gitea::UrlError>(())
//! ```
//!
//! # Crate features
//!
//! - `test-server`: [`server::TestServer`], a Gitea-compatible HTTP server for tests backed
//!   by real git repositories (needs the `git` CLI).

mod client;
#[cfg(feature = "test-server")]
pub mod server;
mod url;

pub use crate::client::{
    Branch, BranchCommit, Client, File, GiteaError, Hook, Identity, MAX_FILE_BYTES, MAX_RESPONSE_BYTES, Org,
    Repo, Target, Token, Upsert,
};
pub use crate::url::{BaseUrl, UrlError, escape_path, escape_segment};
