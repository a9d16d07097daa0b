//! How to reach a registry: options, credentials, mirrors.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::artifact::Limits;

use super::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_DEADLINE, DEFAULT_MAX_LAYER_BYTES, DEFAULT_READ_TIMEOUT,
    ENV_REGISTRY_HOST, ENV_REGISTRY_PASSWORD, ENV_REGISTRY_USERNAME, OciError,
};

/// Registry credentials (basic auth) for one registry host. Never shown by `Debug`; sent only
/// to that registry (or a token realm on its own site), never to another one a reference
/// names.
#[derive(Clone)]
pub struct Credentials {
    pub(super) username: String,
    pub(super) password: String,
    registry: String,
}

impl Credentials {
    /// User name and password (or token) for the registry `registry` (`host[:port]`).
    pub fn new(
        registry: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self { username: username.into(), password: password.into(), registry: registry.into() }
    }

    /// From `CATALYST_REGISTRY_USERNAME` and `CATALYST_REGISTRY_PASSWORD` for `registry`, when
    /// both are set and `CATALYST_REGISTRY_HOST` (if set) names that registry.
    pub fn from_env(registry: &str) -> Option<Self> {
        let username = std::env::var(ENV_REGISTRY_USERNAME).ok().filter(|s| !s.is_empty())?;
        let password = std::env::var(ENV_REGISTRY_PASSWORD).ok()?;
        if let Ok(host) = std::env::var(ENV_REGISTRY_HOST)
            && !host.is_empty()
            && !host.eq_ignore_ascii_case(registry)
        {
            return None;
        }
        Some(Self::new(registry, username, password))
    }

    /// From the variables when `CATALYST_REGISTRY_HOST` names the registry they belong to: for
    /// callers that pull from several registries (a Sovereign file's catalog).
    pub fn from_env_for_host() -> Option<Self> {
        let host = std::env::var(ENV_REGISTRY_HOST).ok().filter(|h| !h.is_empty())?;
        Self::from_env(&host)
    }

    /// The registry these credentials belong to.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Whether they may be sent for `registry`.
    pub(super) fn for_registry(&self, registry: &str) -> bool {
        self.registry.eq_ignore_ascii_case(registry)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("registry", &self.registry)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A registry path that mirrors another, e.g. a Harbor proxy-cache project: artifacts pulled
/// under `mirror` were signed under `upstream` (OCI-6).
///
/// ```
/// use catalyst_blueprint::oci::Mirror;
/// let m: Mirror = "harbor.example.test/proxy-ghcr=ghcr.io".parse()?;
/// assert_eq!(m.upstream_of("harbor.example.test/proxy-ghcr/openova-io/bp-cilium").as_deref(), Some("ghcr.io/openova-io/bp-cilium"));
/// assert_eq!(m.upstream_of("harbor.example.test/other/bp-cilium"), None);
/// # Ok::<(), catalyst_blueprint::oci::OciError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// `registry[/path]` as pulled from.
    pub mirror: String,
    /// `registry[/path]` the signatures name.
    pub upstream: String,
}

impl Mirror {
    /// The upstream name of `name` (`registry/repository`) when it is under this mirror.
    pub fn upstream_of(&self, name: &str) -> Option<String> {
        let rest = name.strip_prefix(self.mirror.as_str())?.strip_prefix('/')?;
        Some(format!("{}/{rest}", self.upstream))
    }
}

impl std::str::FromStr for Mirror {
    type Err = OciError;
    /// `MIRROR=UPSTREAM`, each `registry[/path]`.
    fn from_str(s: &str) -> Result<Self, OciError> {
        let bad = |why: &str| {
            OciError::Usage(format!(
                "mirror {s:?}: {why}; write MIRROR=UPSTREAM, e.g. harbor.example/proxy-ghcr=ghcr.io"
            ))
        };
        let (m, u) = s.split_once('=').ok_or_else(|| bad("no '='"))?;
        let (m, u) = (m.trim().trim_end_matches('/'), u.trim().trim_end_matches('/'));
        if m.is_empty() || u.is_empty() || m.contains("://") || u.contains("://") {
            return Err(bad("both sides are registry[/path], without a scheme"));
        }
        Ok(Self { mirror: m.to_owned(), upstream: u.to_owned() })
    }
}

/// Whether a registry `host[:port]` is on this machine: `localhost`, 127.0.0.0/8 or `[::1]`.
pub fn is_loopback_registry(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(h, _)| h)
    } else {
        registry
            .rsplit_once(':')
            .map_or(registry, |(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { registry })
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// How to reach the registry: [`RegistryOptions::new`] (HTTPS, anonymous, the default
/// caps and deadlines), then `with_*`.
///
/// ```
/// use std::time::Duration;
/// use catalyst_blueprint::oci::RegistryOptions;
///
/// let options = RegistryOptions::new().with_plain_http(true).with_deadline(Duration::from_secs(5));
/// assert!(options.plain_http);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RegistryOptions {
    /// Speak plain HTTP. Only for registries on loopback ([`is_loopback_registry`]): any
    /// other is refused with [`OciError::Usage`], so credentials never travel in clear. Off:
    /// HTTPS with verified certificates.
    pub plain_http: bool,
    /// Basic-auth credentials, sent only for their own registry; anonymous otherwise.
    pub credentials: Option<Credentials>,
    /// Token realm hosts trusted beside the registry's own host (a Harbor or GitLab registry
    /// whose token service lives on another host). Docker Hub's `auth.docker.io` is known.
    pub token_realms: Vec<String>,
    /// A content-addressed cache: blobs by digest, and the signatures seen for a digest.
    pub cache_dir: Option<PathBuf>,
    /// The largest chart layer downloaded.
    pub max_layer_bytes: u64,
    /// Caps applied while unpacking.
    pub limits: Limits,
    /// The longest wait for a connection.
    pub connect_timeout: Duration,
    /// The longest silence while waiting for bytes.
    pub read_timeout: Duration,
    /// The longest one push, sign, verify or pull takes, end to end.
    pub deadline: Duration,
    /// Mirrors whose artifacts were signed under an upstream name.
    pub mirrors: Vec<Mirror>,
}

impl RegistryOptions {
    /// The defaults: HTTPS with verified certificates, anonymous, no cache, no mirrors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Plain HTTP (only to a registry on loopback; any other is refused).
    #[must_use]
    pub fn with_plain_http(mut self, plain_http: bool) -> Self {
        self.plain_http = plain_http;
        self
    }

    /// Basic-auth credentials for their own registry.
    #[must_use]
    pub fn with_credentials(mut self, credentials: Option<Credentials>) -> Self {
        self.credentials = credentials;
        self
    }

    /// One more trusted token realm host.
    #[must_use]
    pub fn with_token_realm(mut self, host: impl Into<String>) -> Self {
        self.token_realms.push(host.into());
        self
    }

    /// A content-addressed cache in `dir`.
    #[must_use]
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// The largest chart layer downloaded.
    #[must_use]
    pub fn with_max_layer_bytes(mut self, bytes: u64) -> Self {
        self.max_layer_bytes = bytes;
        self
    }

    /// Caps applied while unpacking.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The longest wait for a connection.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest silence while waiting for bytes.
    #[must_use]
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The longest one operation takes, end to end.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// One more mirror.
    #[must_use]
    pub fn with_mirror(mut self, mirror: Mirror) -> Self {
        self.mirrors.push(mirror);
        self
    }
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            plain_http: false,
            credentials: None,
            cache_dir: None,
            max_layer_bytes: DEFAULT_MAX_LAYER_BYTES,
            limits: Limits::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            deadline: DEFAULT_DEADLINE,
            mirrors: Vec::new(),
            token_realms: Vec::new(),
        }
    }
}
