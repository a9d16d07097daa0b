//! The whole Sovereign, planned offline from one file: what `catalyst plan` prints.
//!
//! A [`spec::SovereignFile`] says what a Sovereign is: its FQDN and provider,
//! its regions with building blocks and load-balancer IPs, its Organizations with their
//! Environments and Applications, and where Blueprints come from. [`plan::plan`] applies
//! every crate of the SDK to it — names and labels (catalyst-naming), validated custom
//! resources (catalyst-core), the bootstrap kit's order and each Application's resolved
//! install plan (catalyst-blueprint), DNS record sets with lua records for multi-region
//! Environments (catalyst-dns, validated, never sent), and the files the controllers write to
//! Gitea — and collects every problem with its stage and path instead of stopping at the
//! first. Nothing talks to a cluster, a DNS server or Gitea.
//!
//! ```
//! use catalyst_plan::{example, plan::plan};
//!
//! let (file, inputs) = example();
//! let p = plan(&file, &inputs);
//! assert!(p.problems.is_empty(), "{:?}", p.problems);
//! assert_eq!(p.sovereign["fqdn"], "omantel.biz");
//! assert!(p.summary.applications >= 3);
//! ```

pub mod plan;
pub mod spec;

use std::path::Path;

use crate::plan::Inputs;
use crate::spec::{FileError, SovereignFile};

include!(concat!(env!("OUT_DIR"), "/example_files.rs"));

/// The embedded example Sovereign (two regions, two Organizations, several Environments and
/// Applications) with the platform's Blueprint catalog and bootstrap kit.
pub fn example() -> (SovereignFile, Inputs) {
    let text = example_text();
    // The embedded file is checked by this crate's tests; a failure here is a build defect.
    let file =
        SovereignFile::parse(text).unwrap_or_else(|e| unreachable!("the embedded example is valid: {e}"));
    (file, embedded_inputs())
}

/// The embedded example's text.
pub fn example_text() -> &'static str {
    EXAMPLE_FILES.iter().find(|(p, _)| *p == "sovereign.yaml").map_or("", |(_, t)| t)
}

/// The embedded catalog and kit.
pub fn embedded_inputs() -> Inputs {
    let pick = |prefix: &str| -> Vec<(String, String)> {
        EXAMPLE_FILES
            .iter()
            .filter_map(|(p, t)| p.strip_prefix(prefix).map(|rest| (rest.to_owned(), (*t).to_owned())))
            .collect()
    };
    Inputs { catalog: pick("catalog/"), bootstrap_kit: pick("bootstrap-kit/") }
}

/// Reads a Sovereign file and what it points at: its catalog folder and kit folder are
/// resolved relative to the file; absent ones are the embedded platform catalog and kit.
///
/// `async` because an OCI catalog (feature `oci`) is pulled from a registry; the caller owns
/// the runtime (without `oci` nothing awaits, and any executor, even a trivial one, runs it).
#[cfg_attr(
    not(feature = "oci"),
    expect(
        clippy::unused_async,
        reason = "the OCI catalog source awaits; the signature is the same without it"
    )
)]
pub async fn load(path: &Path) -> Result<(SovereignFile, Inputs), FileError> {
    let io = |p: &Path, e: std::io::Error| FileError {
        path: String::new(),
        message: format!("{}: {e}", p.display()),
    };
    // Capped while reading: a device or a growing file cannot make the read go on.
    let text =
        catalyst_blueprint::read_text_capped(path, spec::MAX_FILE_BYTES as u64).map_err(|e| io(path, e))?;
    let file = SovereignFile::parse(&text)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut inputs = embedded_inputs();
    if let Some(c) = &file.catalog {
        inputs.catalog = match (&c.dir, &c.oci) {
            (Some(dir), None) => {
                let dir = base.join(dir);
                read_tree(&dir, "blueprint.yaml").map_err(|e| FileError {
                    path: "catalog.dir".into(),
                    message: format!("{}: {e}", dir.display()),
                })?
            }
            #[cfg(feature = "oci")]
            (None, Some(oci)) => pull_catalog(base, oci).await?,
            #[cfg(not(feature = "oci"))]
            (None, Some(_)) => {
                return Err(FileError {
                    path: "catalog.oci".into(),
                    message:
                        "this build cannot read OCI registries; build catalyst-plan with the `oci` feature"
                            .into(),
                });
            }
            _ => {
                return Err(FileError {
                    path: "catalog".into(),
                    message: "give exactly one of dir and oci".into(),
                });
            }
        };
    }
    if let Some(k) = &file.bootstrap_kit {
        let dir = base.join(k);
        inputs.bootstrap_kit = read_tree(&dir, ".yaml")
            .map_err(|e| FileError {
                path: "bootstrapKit".into(),
                message: format!("{}: {e}", dir.display()),
            })?
            .into_iter()
            .filter(|(p, _)| !p.contains('/'))
            .collect();
    }
    Ok((file, inputs))
}

/// Pulls and verifies every artifact of an OCI catalog, and returns the `blueprint.yaml` of
/// each as (`REFERENCE/PATH`, text).
#[cfg(feature = "oci")]
async fn pull_catalog(base: &Path, oci: &spec::OciCatalog) -> Result<Vec<(String, String)>, FileError> {
    use catalyst_blueprint::artifact::ArtifactRef;
    use catalyst_blueprint::oci::{Credentials, PublicKey, Registry, RegistryOptions, Verification};

    let err = |path: String, message: String| FileError { path, message };
    if oci.plain_http
        && let Some(remote) = oci.blueprints.iter().find_map(|r| {
            let reference: ArtifactRef = r.parse().ok()?;
            (!catalyst_blueprint::oci::is_loopback_registry(reference.registry())).then_some(r)
        })
    {
        return Err(err(
            "catalog.oci.plainHttp".into(),
            format!(
                "plain HTTP is only allowed to registries on loopback (localhost, 127.0.0.0/8, [::1]), and {remote} is not: credentials and content would travel in clear"
            ),
        ));
    }
    let mut keys = Vec::new();
    for (i, k) in oci.keys.iter().enumerate() {
        let file = base.join(k);
        let pem = catalyst_blueprint::read_capped(&file, 64 * 1024)
            .map_err(|e| err(format!("catalog.oci.keys[{i}]"), format!("{}: {e}", file.display())))?;
        keys.push(
            PublicKey::from_pem(&pem, &file.display().to_string())
                .map_err(|e| err(format!("catalog.oci.keys[{i}]"), e.to_string()))?,
        );
    }
    if keys.is_empty() {
        return Err(err(
            "catalog.oci.keys".into(),
            "at least one public key is needed: artifacts are verified before use".into(),
        ));
    }
    let registry = Registry::new(RegistryOptions {
        plain_http: oci.plain_http,
        // Only for the registry CATALYST_REGISTRY_HOST names: a catalog may list several.
        credentials: Credentials::from_env_for_host(),
        ..RegistryOptions::default()
    });
    let tmp = tempfile::tempdir().map_err(|e| err("catalog.oci".into(), e.to_string()))?;
    let verification = Verification::Keys(keys);
    let mut out = Vec::new();
    for (i, r) in oci.blueprints.iter().enumerate() {
        let at = format!("catalog.oci.blueprints[{i}]");
        let reference: ArtifactRef = r
            .parse()
            .map_err(|e: catalyst_blueprint::artifact::ReferenceError| err(at.clone(), e.to_string()))?;
        let dir = tmp.path().join(i.to_string());
        registry
            .pull(&reference, &verification, &dir)
            .await
            .map_err(|e| err(at.clone(), format!("{r}: {e}")))?;
        let found = read_tree(&dir, "blueprint.yaml").map_err(|e| err(at.clone(), e.to_string()))?;
        if found.is_empty() {
            return Err(err(at, format!("{r}: the artifact holds no blueprint.yaml")));
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
