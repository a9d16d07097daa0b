//! The kubeconfig directory: listing (CORE-7) and turning one file into a cluster.

use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config};

use super::{Cluster, ClusterSource, RegistryError};

/// The extensions a kubeconfig file may carry.
pub const KUBECONFIG_EXTENSIONS: [&str; 3] = ["kubeconfig", "yaml", "yml"];
/// A kubeconfig larger than this is reported and skipped.
pub const MAX_KUBECONFIG_BYTES: u64 = 1024 * 1024;

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

/// Why one kubeconfig file was skipped.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigFileError {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Read(#[source] io::Error),
    /// The file is over [`MAX_KUBECONFIG_BYTES`].
    #[error("the file is {size} bytes; a kubeconfig may be at most {MAX_KUBECONFIG_BYTES}")]
    TooLarge {
        /// Its size.
        size: u64,
    },
    /// Not a kubeconfig, or one kube cannot build a configuration from (no current context,
    /// a missing cluster, a bad server URL or certificate).
    #[error("not a usable kubeconfig: {0}")]
    Kubeconfig(#[source] KubeconfigError),
    /// The file turns TLS verification off and the registry does not allow that.
    #[error(
        "the kubeconfig sets insecure-skip-tls-verify; the registry keeps TLS verification on unless insecure_skip_tls_verify is set"
    )]
    InsecureNotAllowed,
    /// kube could not build a client from the configuration.
    #[error("cannot build a client: {0}")]
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
        write!(f, "{}: {}", self.path.display(), self.error)
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

/// Build the cluster for one kubeconfig file: parse it (merging multi-document files, as
/// kubectl does), resolve its current context and make a client. `allow_insecure` is the
/// registry's `insecure_skip_tls_verify`.
pub async fn load_kubeconfig(
    file: &KubeconfigFile,
    allow_insecure: bool,
) -> Result<Cluster, KubeconfigFileError> {
    let text = read_capped(&file.path)?;
    let kubeconfig = Kubeconfig::from_yaml(&text).map_err(KubeconfigFileError::Kubeconfig)?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(KubeconfigFileError::Kubeconfig)?;
    if config.accept_invalid_certs && !allow_insecure {
        return Err(KubeconfigFileError::InsecureNotAllowed);
    }
    let client = Client::try_from(config).map_err(KubeconfigFileError::Client)?;
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
            err.to_string().starts_with(&format!("cannot read kubeconfig directory {}: ", f.display())),
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
