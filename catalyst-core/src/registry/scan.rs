//! The kubeconfig directory: listing (CORE-7) and turning one file into a cluster.

use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use kube::Config;
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};

use super::{Cluster, ClusterSource, RegistryError};

/// The extensions a kubeconfig file may carry.
pub const KUBECONFIG_EXTENSIONS: [&str; 3] = ["kubeconfig", "yaml", "yml"];
/// A kubeconfig larger than this is reported and skipped.
pub const MAX_KUBECONFIG_BYTES: u64 = 1024 * 1024;
/// Loading one kubeconfig takes at most this long; a hung one never blocks the next rescan.
pub const LOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// One kubeconfig file in the directory: the cluster ID is the file stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeconfigFile {
    /// The cluster ID (`omantel` for `omantel.kubeconfig`).
    pub id: String,
    /// The file.
    pub path: PathBuf,
}

/// The candidate kubeconfig files of `dir`, sorted by ID, from one directory read (CORE-7).
///
/// Sub-directories, names starting with `.`, other extensions and empty stems are skipped.
/// A missing directory is an empty list; an unreadable one is [`RegistryError::ReadDir`].
/// When two files share a stem (`a.yaml`, `a.yml`) the first in name order is kept.
pub fn list_kubeconfigs(dir: &Path) -> Result<Vec<KubeconfigFile>, RegistryError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(RegistryError::ReadDir { dir: dir.to_owned(), source }),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| RegistryError::ReadDir { dir: dir.to_owned(), source })?;
        let path = entry.path();
        // A symlink to a file counts as a file (Kubernetes Secret volumes are symlinks).
        if !path.is_file() {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        if name.starts_with('.') {
            continue;
        }
        let Some((stem, ext)) = name.rsplit_once('.') else { continue };
        if stem.is_empty() || !KUBECONFIG_EXTENSIONS.contains(&ext) {
            continue;
        }
        files.push(KubeconfigFile { id: stem.to_owned(), path });
    }
    files.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.path.cmp(&b.path)));
    files.dedup_by(|later, first| later.id == first.id);
    Ok(files)
}

/// The most bytes one response body of a registry client may carry: a list page, or a watch
/// stream over its life (64 MiB).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Why one kubeconfig file was skipped.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigFileError {
    /// The file could not be read.
    #[error("cannot read the file")]
    Read(#[source] io::Error),
    /// The file is over [`MAX_KUBECONFIG_BYTES`].
    #[error("the file is {size} bytes; a kubeconfig may be at most {MAX_KUBECONFIG_BYTES}")]
    TooLarge {
        /// Its size.
        size: u64,
    },
    /// Not YAML of a kubeconfig's shape (a file still being written, say). Only where: the
    /// parser's own message quotes the line, which may hold a token.
    #[error("not valid kubeconfig YAML{}", at.map_or_else(String::new, |(l, c)| format!(" at line {l}, column {c}")))]
    Yaml {
        /// Line and column of the error, when known.
        at: Option<(u64, u64)>,
    },
    /// Not a kubeconfig, or one kube cannot build a configuration from (no current context,
    /// a missing cluster, a bad server URL or certificate).
    #[error("not a usable kubeconfig")]
    Kubeconfig(#[source] KubeconfigError),
    /// The file turns TLS verification off and the registry does not allow that.
    #[error(
        "the kubeconfig sets insecure-skip-tls-verify; the registry keeps TLS verification on unless insecure_skip_tls_verify is set"
    )]
    InsecureNotAllowed,
    /// The file would make the registry run a command or read a local file (exec,
    /// auth-provider, tokenFile, certificate or key paths), and the registry does not allow it.
    #[error(
        "the kubeconfig {what}; kubeconfigs are trust inputs, so the registry refuses commands and local file paths in them unless allow_external_credentials is set"
    )]
    ExternalCredentials {
        /// What it asks for, with the user or cluster entry.
        what: String,
    },
    /// A value kube would fail hard on.
    #[error("the kubeconfig cannot be used: {0}")]
    Unusable(String),
    /// Loading took longer than [`LOAD_TIMEOUT`] (an exec plugin that hangs, say).
    #[error("loading the kubeconfig took longer than {}s; skipped", LOAD_TIMEOUT.as_secs())]
    Timeout,
    /// kube could not build a client from the configuration.
    #[error("cannot build a client")]
    Client(#[source] kube::Error),
}

/// A kubeconfig file that was skipped, and why.
#[derive(Debug)]
pub struct FileProblem {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub error: KubeconfigFileError,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), catalyst_naming::diagnostic::Chain(&self.error))
    }
}

/// What identifies a version of a file, so a bad file is reported once per change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl FileStamp {
    pub(crate) fn of(path: &Path) -> Option<Self> {
        let meta = fs::metadata(path).ok()?;
        Some(Self { len: meta.len(), modified: meta.modified().ok() })
    }
}

/// What a kubeconfig may ask of the registry beyond talking to its server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KubeconfigPolicy {
    /// Accept `insecure-skip-tls-verify`.
    pub insecure_skip_tls_verify: bool,
    /// Accept `exec` and `auth-provider` plugins (which run commands) and `tokenFile`,
    /// `client-certificate`, `client-key` and `certificate-authority` paths (which read local
    /// files, such as the pod's own `ServiceAccount` token, and send them to the server the
    /// file names).
    pub external_credentials: bool,
}

/// The first thing in `k` that runs a command or reads a local file, described for a person.
/// Every user and cluster entry is looked at, not only the current context's.
pub fn external_credentials(k: &Kubeconfig) -> Option<String> {
    for named in &k.auth_infos {
        let Some(a) = &named.auth_info else { continue };
        let user = &named.name;
        if let Some(exec) = &a.exec {
            let command = exec.command.as_deref().unwrap_or_default();
            return Some(format!("user {user:?} runs a command (exec: {command:?})"));
        }
        if let Some(p) = &a.auth_provider {
            return Some(format!("user {user:?} uses the auth-provider {:?} (it can run a command)", p.name));
        }
        for (field, path) in [
            ("tokenFile", &a.token_file),
            ("client-certificate", &a.client_certificate),
            ("client-key", &a.client_key),
        ] {
            if let Some(path) = path {
                return Some(format!("user {user:?} reads {field} from the local file {path:?}"));
            }
        }
    }
    for named in &k.clusters {
        if let Some(path) = named.cluster.as_ref().and_then(|c| c.certificate_authority.as_ref()) {
            return Some(format!(
                "cluster {:?} reads certificate-authority from the local file {path:?}",
                named.name
            ));
        }
    }
    None
}

/// Whether `k` holds a value kube cannot use without failing hard: a token that is not a
/// valid HTTP header value (kube builds the Authorization header with a panic on one).
fn unusable(k: &Kubeconfig) -> Option<String> {
    use secrecy::ExposeSecret as _;
    k.auth_infos.iter().find_map(|named| {
        let token = named.auth_info.as_ref()?.token.as_ref()?;
        let ok = token.expose_secret().bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
        (!ok).then(|| format!("user {:?} has a token that is not a valid HTTP header value", named.name))
    })
}

/// Build the cluster for one kubeconfig file: parse it (merging multi-document files, as
/// kubectl does), check it against `policy`, resolve its current context and make a client.
/// Nothing the file names is run or read unless `policy` allows it, and the whole load takes
/// at most [`LOAD_TIMEOUT`].
pub async fn load_kubeconfig(
    file: &KubeconfigFile,
    policy: KubeconfigPolicy,
) -> Result<Cluster, KubeconfigFileError> {
    tokio::time::timeout(LOAD_TIMEOUT, load(file, policy)).await.map_err(|_| KubeconfigFileError::Timeout)?
}

async fn load(file: &KubeconfigFile, policy: KubeconfigPolicy) -> Result<Cluster, KubeconfigFileError> {
    let allow_insecure = policy.insecure_skip_tls_verify;
    let text = read_capped(&file.path)?;
    let kubeconfig = Kubeconfig::from_yaml(&text).map_err(|e| match e {
        KubeconfigError::Parse(e) => {
            KubeconfigFileError::Yaml { at: e.location().map(|l| (l.line(), l.column())) }
        }
        other => KubeconfigFileError::Kubeconfig(other),
    })?;
    if let Some(what) = unusable(&kubeconfig) {
        return Err(KubeconfigFileError::Unusable(what));
    }
    if !policy.external_credentials
        && let Some(what) = external_credentials(&kubeconfig)
    {
        return Err(KubeconfigFileError::ExternalCredentials { what });
    }
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(KubeconfigFileError::Kubeconfig)?;
    if config.accept_invalid_certs && !allow_insecure {
        return Err(KubeconfigFileError::InsecureNotAllowed);
    }
    // Every response body is capped, a watch stream over its whole life included (the API
    // server ends a watch within minutes; the watcher then watches again): a hostile or broken
    // API server cannot make the client buffer without bound.
    let cap = |r: http::Response<Box<kube::client::DynBody>>| {
        r.map(|body| http_body_util::Limited::new(body, MAX_RESPONSE_BYTES))
    };
    let client = kube::client::ClientBuilder::try_from(config)
        .map_err(KubeconfigFileError::Client)?
        .with_layer(&tower::util::MapResponseLayer::new(cap))
        .build();
    Ok(Cluster::new(file.id.clone(), client, ClusterSource::Kubeconfig { path: file.path.clone() }))
}

fn read_capped(path: &Path) -> Result<String, KubeconfigFileError> {
    let file = fs::File::open(path).map_err(KubeconfigFileError::Read)?;
    let size = file.metadata().map_err(KubeconfigFileError::Read)?.len();
    if size > MAX_KUBECONFIG_BYTES {
        return Err(KubeconfigFileError::TooLarge { size });
    }
    let mut text = String::new();
    // The cap also holds for a file that grows between the stat and the read.
    let read =
        file.take(MAX_KUBECONFIG_BYTES + 1).read_to_string(&mut text).map_err(KubeconfigFileError::Read)?;
    if read as u64 > MAX_KUBECONFIG_BYTES {
        return Err(KubeconfigFileError::TooLarge { size: read as u64 });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn listing_rules() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        for name in [
            "omantel.kubeconfig",
            "b.yaml",
            "a.yml",
            ".hidden.yaml",
            ".yaml",
            "notes.txt",
            "noext",
            "x.json",
            "dup.yaml",
            "dup.yml",
        ] {
            fs::write(p.join(name), "").unwrap();
        }
        fs::create_dir(p.join("sub.yaml")).unwrap();
        let ids: Vec<(String, String)> = list_kubeconfigs(p)
            .unwrap()
            .into_iter()
            .map(|f| (f.id, f.path.file_name().unwrap().to_string_lossy().into_owned()))
            .collect();
        let want = [("a", "a.yml"), ("b", "b.yaml"), ("dup", "dup.yaml"), ("omantel", "omantel.kubeconfig")];
        assert_eq!(ids, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
    }

    #[test]
    fn missing_directory_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert!(list_kubeconfigs(&dir.path().join("absent")).unwrap().is_empty());
    }

    #[test]
    fn a_file_in_place_of_the_directory_is_a_read_error() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("file");
        fs::write(&f, "").unwrap();
        let err = list_kubeconfigs(&f).unwrap_err();
        assert!(
            catalyst_naming::diagnostic::Chain(&err)
                .to_string()
                .starts_with(&format!("cannot read kubeconfig directory {}: ", f.display())),
            "{err}"
        );
    }

    #[test]
    fn oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big.yaml");
        fs::write(&f, vec![b'#'; usize::try_from(MAX_KUBECONFIG_BYTES).unwrap() + 1]).unwrap();
        let err = read_capped(&f).unwrap_err();
        assert_eq!(err.to_string(), "the file is 1048577 bytes; a kubeconfig may be at most 1048576");
    }
}
