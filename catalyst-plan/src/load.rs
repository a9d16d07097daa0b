//! Reading a Sovereign file and the catalog and kit it points at.

use std::path::{Path, PathBuf};

use crate::plan::Inputs;
use crate::spec::{FileError, SovereignFile};

/// Why [`load`] could not read a Sovereign and its inputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The Sovereign file cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The Sovereign file is not valid (with the field's path).
    #[error(transparent)]
    File(#[from] FileError),
    /// A folder the file points at (`catalog.dir`, `bootstrapKit`) cannot be read.
    #[error("{field}: cannot read {}", path.display())]
    Folder {
        /// The field naming the folder.
        field: &'static str,
        /// The folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file asks for something this build or these settings refuse (both `dir` and
    /// `oci`, plain HTTP to a remote registry, no public key, OCI without the feature).
    #[error("{field}: {message}")]
    Refused {
        /// The field.
        field: String,
        /// Why.
        message: String,
    },
    /// An artifact reference of `catalog.oci.blueprints` does not parse.
    #[cfg(feature = "oci")]
    #[error("{field}")]
    Reference {
        /// `catalog.oci.blueprints[N]`.
        field: String,
        /// The cause (it names the reference).
        #[source]
        source: catalyst_blueprint::artifact::ReferenceError,
    },
    /// A public key of `catalog.oci.keys` cannot be read or parsed.
    #[cfg(feature = "oci")]
    #[error("{field}: {}", path.display())]
    Key {
        /// `catalog.oci.keys[N]`.
        field: String,
        /// The key file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The registry answered, and what it holds is refused (unsigned, wrong key, unsafe
    /// archive, no `blueprint.yaml`) or could not be fetched. Shown with the reference as
    /// written in the file (the cause may name the digest it resolved to).
    #[cfg(feature = "oci")]
    #[error("{field}: {reference}")]
    Pull {
        /// `catalog.oci.blueprints[N]`.
        field: String,
        /// The artifact reference.
        reference: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl LoadError {
    /// Whether the problem is what a registry holds (the remote state is wrong), rather than
    /// the local file or its folders.
    pub fn is_remote(&self) -> bool {
        #[cfg(feature = "oci")]
        if let Self::Pull { .. } = self {
            return true;
        }
        false
    }
}

/// Reads a Sovereign file and what it points at: its catalog folder and kit folder are
/// resolved relative to the file; absent ones are the embedded platform catalog and kit.
///
/// `async` because an OCI catalog (feature `oci`) is pulled from a registry; the caller owns
/// the runtime (without `oci` nothing awaits, and any executor, even a trivial one, runs it).
pub async fn load(path: &Path) -> Result<(SovereignFile, Inputs), LoadError> {
    load_with_progress(path, |_| {}).await
}

/// A step of [`load_with_progress`], for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadStep<'a> {
    /// Artifact `index` (from 0) of the `total` an OCI catalog lists is pulled next.
    Pulling {
        /// Its position in `catalog.oci.blueprints`.
        index: usize,
        /// How many the catalog lists.
        total: usize,
        /// Its reference.
        reference: &'a str,
    },
}

/// [`load`], calling `step` before each long step (each artifact of an OCI catalog).
#[cfg_attr(not(feature = "oci"), allow(unused_mut, unused_variables))]
pub async fn load_with_progress(
    path: &Path,
    mut step: impl FnMut(LoadStep<'_>),
) -> Result<(SovereignFile, Inputs), LoadError> {
    // Capped while reading: a device or a growing file cannot make the read go on.
    let text = catalyst_blueprint::read_text_capped(path, crate::spec::MAX_FILE_BYTES as u64)
        .map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
    let file = SovereignFile::parse(&text)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut inputs = crate::embedded_inputs();
    if let Some(c) = &file.catalog {
        inputs.catalog = match (&c.dir, &c.oci) {
            (Some(dir), None) => {
                let dir = base.join(dir);
                read_tree(&dir, "blueprint.yaml").map_err(|source| LoadError::Folder {
                    field: "catalog.dir",
                    path: dir,
                    source,
                })?
            }
            #[cfg(feature = "oci")]
            (None, Some(oci)) => pull_catalog(base, oci, &mut step).await?,
            #[cfg(not(feature = "oci"))]
            (None, Some(_)) => {
                return Err(LoadError::Refused {
                    field: "catalog.oci".into(),
                    message:
                        "this build cannot read OCI registries; build catalyst-plan with the `oci` feature"
                            .into(),
                });
            }
            _ => {
                return Err(LoadError::Refused {
                    field: "catalog".into(),
                    message: "give exactly one of dir and oci".into(),
                });
            }
        };
    }
    if let Some(k) = &file.bootstrap_kit {
        let dir = base.join(k);
        inputs.bootstrap_kit = read_tree(&dir, ".yaml")
            .map_err(|source| LoadError::Folder { field: "bootstrapKit", path: dir, source })?
            .into_iter()
            .filter(|(p, _)| !p.contains('/'))
            .collect();
    }
    Ok((file, inputs))
}

/// Pulls and verifies every artifact of an OCI catalog, and returns the `blueprint.yaml` of
/// each as (`REFERENCE/PATH`, text).
#[cfg(feature = "oci")]
async fn pull_catalog(
    base: &Path,
    oci: &crate::spec::OciCatalog,
    step: &mut dyn FnMut(LoadStep<'_>),
) -> Result<Vec<(String, String)>, LoadError> {
    use catalyst_blueprint::artifact::ArtifactRef;
    use catalyst_blueprint::oci::{Credentials, PublicKey, Registry, RegistryOptions, Verification};

    if oci.plain_http
        && let Some(remote) = oci.blueprints.iter().find_map(|r| {
            let reference: ArtifactRef = r.parse().ok()?;
            (!catalyst_blueprint::oci::is_loopback_registry(reference.registry())).then_some(r)
        })
    {
        return Err(LoadError::Refused {
            field: "catalog.oci.plainHttp".into(),
            message: format!(
                "plain HTTP is only allowed to registries on loopback (localhost, 127.0.0.0/8, [::1]), and {remote} is not: credentials and content would travel in clear"
            ),
        });
    }
    let mut keys = Vec::new();
    for (i, k) in oci.keys.iter().enumerate() {
        let file = base.join(k);
        let key_error = |source: Box<dyn std::error::Error + Send + Sync>| LoadError::Key {
            field: format!("catalog.oci.keys[{i}]"),
            path: file.clone(),
            source,
        };
        let pem = catalyst_blueprint::read_capped(&file, 64 * 1024).map_err(|e| key_error(Box::new(e)))?;
        keys.push(
            PublicKey::from_pem(&pem, &file.display().to_string()).map_err(|e| key_error(Box::new(e)))?,
        );
    }
    if keys.is_empty() {
        return Err(LoadError::Refused {
            field: "catalog.oci.keys".into(),
            message: "at least one public key is needed: artifacts are verified before use".into(),
        });
    }
    let registry = Registry::new(
        RegistryOptions::new()
            .with_plain_http(oci.plain_http)
            // Only for the registry CATALYST_REGISTRY_HOST names: a catalog may list several.
            .with_credentials(Credentials::from_env_for_host()),
    );
    let tmp = tempfile::tempdir().map_err(|source| LoadError::Folder {
        field: "catalog.oci",
        path: std::env::temp_dir(),
        source,
    })?;
    let verification = Verification::Keys(keys);
    let mut out = Vec::new();
    for (i, r) in oci.blueprints.iter().enumerate() {
        let pull_error = |source: Box<dyn std::error::Error + Send + Sync>| LoadError::Pull {
            field: format!("catalog.oci.blueprints[{i}]"),
            reference: r.clone(),
            source,
        };
        let reference: ArtifactRef = r.parse().map_err(|source| LoadError::Reference {
            field: format!("catalog.oci.blueprints[{i}]"),
            source,
        })?;
        let dir = tmp.path().join(i.to_string());
        step(LoadStep::Pulling { index: i, total: oci.blueprints.len(), reference: r });
        registry.pull(&reference, &verification, &dir).await.map_err(|e| pull_error(Box::new(e)))?;
        let found = read_tree(&dir, "blueprint.yaml").map_err(|e| pull_error(Box::new(e)))?;
        if found.is_empty() {
            return Err(pull_error("the artifact holds no blueprint.yaml".into()));
        }
        out.extend(found.into_iter().map(|(p, t)| (format!("{r}/{p}"), t)));
    }
    Ok(out)
}

/// Files below `dir` whose name ends with `suffix`, as (path relative to `dir`, text), sorted.
fn read_tree(dir: &Path, suffix: &str) -> std::io::Result<Vec<(String, String)>> {
    fn walk(root: &Path, dir: &Path, suffix: &str, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                walk(root, &path, suffix, out)?;
            } else if kind.is_file() && path.to_string_lossy().ends_with(suffix) {
                let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                let text =
                    catalyst_blueprint::read_text_capped(&path, catalyst_blueprint::MAX_BLUEPRINT_BYTES)
                        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
                out.push((rel, text));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, suffix, &mut out)?;
    out.sort();
    Ok(out)
}
