//! What the Gitea client reads and writes (pure: no HTTP).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Gitea token; `Debug` never shows it.
#[derive(Clone, Default)]
pub struct Token(String);

impl Token {
    /// The token's text, for the Authorization header only.
    #[cfg(feature = "client")]
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Wraps a token (empty means anonymous).
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// Reads `GITEA_TOKEN` (empty when unset).
    pub fn from_env() -> Self {
        Self(std::env::var("GITEA_TOKEN").unwrap_or_default().trim().to_owned())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "Token(<none>)" } else { "Token(<redacted>)" })
    }
}

/// The commit author (and committer) of writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
}

/// An organization.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Org {
    /// ID.
    pub id: i64,
    /// The org name.
    pub username: String,
}

/// A repository.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Repo {
    /// ID.
    pub id: i64,
    /// The repository name.
    #[serde(default)]
    pub name: String,
    /// `owner/name`.
    pub full_name: String,
    /// Whether only members see it.
    #[serde(default)]
    pub private: bool,
    /// Whether it is a fork of another repository.
    #[serde(default)]
    pub fork: bool,
    /// Whether it mirrors another repository.
    #[serde(default)]
    pub mirror: bool,
    /// Its description.
    #[serde(default)]
    pub description: String,
    /// The default branch.
    #[serde(default)]
    pub default_branch: String,
}

/// A branch.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Branch {
    /// Name.
    pub name: String,
    /// Head commit.
    pub commit: BranchCommit,
}

/// The head commit of a branch.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct BranchCommit {
    /// Commit SHA.
    pub id: String,
}

/// A webhook.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Hook {
    /// ID.
    pub id: i64,
    /// `gitea`, `gitea` compatible type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether it fires.
    pub active: bool,
    /// Its configuration (`url`, `content_type`).
    #[serde(default)]
    pub config: std::collections::BTreeMap<String, String>,
}

/// A file read from a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The decoded bytes.
    pub content: Vec<u8>,
    /// The blob SHA (what an update must send back).
    pub sha: String,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Upsert {
    /// The file did not exist; one commit created it.
    Created,
    /// The file differed; one commit updated it (with the SHA that was read).
    Updated,
    /// Identical bytes: no write, no commit.
    Unchanged,
}

impl fmt::Display for Upsert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
        })
    }
}

/// Where a write goes and who makes it.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// Owner (org).
    pub owner: &'a str,
    /// Repository.
    pub repo: &'a str,
    /// Branch.
    pub branch: &'a str,
    /// Commit message.
    pub message: &'a str,
    /// Author and committer.
    pub author: &'a Identity,
}

/// The default cap on one response body (a file read through the contents API is base64 in
/// JSON, so this bounds files at about 48 MiB).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The largest file the CLI reads for one write (its base64 form stays under the response cap
/// when it is read back).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Who may see a new organization (Gitea's `visibility`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Members only: the default of [`NewOrg`], as the platform creates every org.
    #[default]
    Private,
    /// Signed-in users.
    Limited,
    /// Everyone.
    Public,
}

/// An organization to find or create ([`crate::Client::ensure_org`]). Only a missing org gets
/// these fields; an existing one is never changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrg<'a> {
    /// The org name (Gitea's `username`).
    pub name: &'a str,
    /// Display name (none when empty).
    pub full_name: &'a str,
    /// Description (none when empty).
    pub description: &'a str,
    /// Visibility.
    pub visibility: Visibility,
}

/// A repository to find or create ([`crate::Client::ensure_repo`]): created with an initial
/// commit on `default_branch`; an existing one is never changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRepo<'a> {
    /// The owning org.
    pub org: &'a str,
    /// The repository name.
    pub name: &'a str,
    /// Description (none when empty).
    pub description: &'a str,
    /// Private (the platform's repositories all are).
    pub private: bool,
    /// The branch of the initial commit.
    pub default_branch: &'a str,
}

/// What a find-or-create found: the thing, and whether this call created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ensured<T> {
    /// What exists now.
    pub value: T,
    /// `true` when this call created it, `false` when it was there already (or a concurrent
    /// writer created it first).
    pub created: bool,
}

/// One side of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PullRef {
    /// The branch (`ref`).
    #[serde(rename = "ref")]
    pub branch: String,
    /// The head commit, when Gitea names it.
    #[serde(default)]
    pub sha: String,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PullRequest {
    /// Its number in the repository.
    pub number: i64,
    /// `open` or `closed`.
    pub state: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// The branch with the changes.
    pub head: PullRef,
    /// The branch it merges into.
    pub base: PullRef,
    /// Where people see it.
    #[serde(default)]
    pub html_url: String,
}
