//! Gitea API addresses: the base URL (SPEC GITEA-1) and path escaping (SPEC GITEA-3).

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// Bytes escaped in one path segment: all but RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Why an address could not be built. Every variant names the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The base URL is unusable.
    #[error("invalid Gitea base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// What was given.
        url: String,
        /// Why it is unusable.
        reason: String,
    },
    /// An owner, repo, branch or file path is empty or unsafe; no request is made.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: &'static str,
        /// What was given.
        value: String,
        /// The rule it broke.
        reason: &'static str,
    },
}

/// A Gitea server's root URL. Both the root form (`http://gitea:3000`) and the API form
/// (`http://gitea:3000/api/v1`, as the seed client took it) are accepted and normalised
/// (SPEC GITEA-1, OP-8); a sub-path install (`https://example.test/gitea`) is kept.
///
/// ```
/// use catalyst_gitea::BaseUrl;
/// let a = BaseUrl::parse("http://gitea-http.gitea.svc.cluster.local:3000/api/v1/")?;
/// let b = BaseUrl::parse("http://gitea-http.gitea.svc.cluster.local:3000")?;
/// assert_eq!(a, b);
/// assert_eq!(a.api("/orgs/acme"), "http://gitea-http.gitea.svc.cluster.local:3000/api/v1/orgs/acme");
/// # Ok::<(), catalyst_gitea::UrlError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// The root without a trailing slash.
    root: String,
}

impl BaseUrl {
    /// Parses and normalises a base URL: http or https, a host, no credentials, query or fragment.
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        let bad =
            |reason: &str| UrlError::InvalidBaseUrl { url: input.to_owned(), reason: reason.to_owned() };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(bad("it is empty"));
        }
        let url = Url::parse(trimmed).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("it has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // NB: a token in the URL would end up in logs; it belongs in GITEA_TOKEN.
            return Err(bad("credentials do not belong in the URL; pass the token separately"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("it has a query or fragment"));
        }
        // NB: strip `/api/v1` from the path only; on the whole string it could cut into
        // the host (`http://api/v1` is host `api`, path `/v1`; found by fuzzing).
        let mut url = url;
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(path.strip_suffix("/api/v1").unwrap_or(&path));
        Ok(Self { root: url.as_str().trim_end_matches('/').to_owned() })
    }

    /// The root URL, without a trailing slash.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The API URL of `path` (which starts with `/` and is already escaped).
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.root)
    }

    /// `GET|PUT|POST|DELETE /repos/{owner}/{repo}/contents/{path}`, each part escaped.
    pub fn contents(&self, owner: &str, repo: &str, path: &str) -> Result<String, UrlError> {
        Ok(self.api(&format!(
            "/repos/{}/{}/contents/{}",
            escape_segment("owner", owner)?,
            escape_segment("repo", repo)?,
            escape_path(path)?
        )))
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.root)
    }
}

/// Escapes an owner, repo or branch as one path segment: `/` becomes `%2F` (SPEC GITEA-3).
/// Empty values, `.` and `..` are refused, so no request goes out with a missing part or one
/// that a URL resolver would fold into another API path (`/repos/../admin/…`).
///
/// ```
/// assert_eq!(catalyst_gitea::escape_segment("org", "a/b")?, "a%2Fb");
/// assert_eq!(
///     catalyst_gitea::escape_segment("org", "..").unwrap_err().to_string(),
///     "invalid org \"..\": '.' and '..' are not names"
/// );
/// # Ok::<(), catalyst_gitea::UrlError>(())
/// ```
pub fn escape_segment(what: &'static str, value: &str) -> Result<String, UrlError> {
    if value.is_empty() {
        return Err(UrlError::InvalidArgument { what, value: value.into(), reason: "it is empty" });
    }
    if value == "." || value == ".." {
        return Err(UrlError::InvalidArgument {
            what,
            value: value.into(),
            reason: "'.' and '..' are not names",
        });
    }
    Ok(utf8_percent_encode(value, SEGMENT).to_string())
}

/// Escapes a file path per segment, keeping `/` (escaping it makes Gitea answer 404;
/// SPEC GITEA-3). Absolute paths, empty segments and `.`/`..` are refused so a path can
/// never leave the repository.
///
/// ```
/// assert_eq!(catalyst_gitea::escape_path("clusters/hz fsn/env#1.yaml")?, "clusters/hz%20fsn/env%231.yaml");
/// assert!(catalyst_gitea::escape_path("clusters/../secrets").is_err());
/// # Ok::<(), catalyst_gitea::UrlError>(())
/// ```
pub fn escape_path(path: &str) -> Result<String, UrlError> {
    let bad = |reason| UrlError::InvalidArgument { what: "file path", value: path.into(), reason };
    if path.is_empty() {
        return Err(bad("it is empty"));
    }
    if path.starts_with('/') {
        return Err(bad("it must be relative to the repository root"));
    }
    let mut out = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" => return Err(bad("it has an empty segment ('//' or a trailing '/')")),
            "." | ".." => return Err(bad("'.' and '..' segments are not allowed")),
            s => out.push(utf8_percent_encode(s, SEGMENT).to_string()),
        }
    }
    Ok(out.join("/"))
}
