//! `catalyst blueprint push|pull|verify`: signed Blueprint artifacts (catalyst-blueprint `oci`).

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::anyhow;
use catalyst_blueprint::artifact::{ArtifactRef, Package};
use catalyst_blueprint::oci::{
    Credentials, OciError, Password, PublicKey, Registry, RegistryOptions, SigningKey, Transfer, Verification,
};
use serde::Serialize;

use crate::Failure;
use crate::cli::{Output, RegistryArgs};
use crate::output;

/// A PEM key file larger than this is not one.
const MAX_KEY_BYTES: u64 = 64 * 1024;
/// Env var naming the signing key file.
const ENV_SIGN_KEY: &str = "CATALYST_SIGN_KEY";

fn oci_failure(e: OciError) -> Failure {
    match e {
        OciError::Registry { .. } | OciError::Timeout { .. } => Failure::remote(e),
        OciError::Usage(_) | OciError::Key(_) => Failure::usage(e),
        _ => Failure::invalid(e),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::remote(anyhow!(e)))
}

fn parse_ref(reference: &str) -> Result<ArtifactRef, Failure> {
    reference.parse().map_err(Failure::invalid)
}

/// A registry client with a progress bar on stderr when it is a terminal.
fn registry(args: &RegistryArgs, target: &ArtifactRef) -> Result<Registry, Failure> {
    let mirrors = args
        .mirrors
        .iter()
        .map(|m| m.parse().map_err(|e| Failure::usage(anyhow!("--mirror: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let mut options = RegistryOptions::new()
        .with_plain_http(args.plain_http)
        // For the registry of the reference given, unless CATALYST_REGISTRY_HOST names another.
        .with_credentials(Credentials::from_env(target.registry()))
        .with_deadline(std::time::Duration::from_secs(args.timeout));
    if let Some(cache) = &args.cache {
        options = options.with_cache_dir(cache.clone());
    }
    for mirror in mirrors {
        options = options.with_mirror(mirror);
    }
    let registry = Registry::new(options);
    if !std::io::stderr().is_terminal() {
        return Ok(registry);
    }
    let bar: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);
    Ok(registry.with_progress(move |event| {
        let Ok(mut bar) = bar.lock() else { return };
        match event {
            Transfer::Start { what, total } => {
                let b = indicatif::ProgressBar::new(total);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg:>18} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                b.set_message(what.to_owned());
                *bar = Some(b);
            }
            Transfer::Advance(n) => {
                if let Some(b) = bar.as_ref() {
                    b.inc(n);
                }
            }
            Transfer::Finish => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
        }
    }))
}

fn read_public_keys(paths: &[PathBuf]) -> Result<Vec<PublicKey>, Failure> {
    paths
        .iter()
        .map(|p| {
            let pem = catalyst_blueprint::read_capped(p, MAX_KEY_BYTES)
                .map_err(|e| Failure::usage(anyhow!("{}: {e}", p.display())))?;
            PublicKey::from_pem(&pem, &p.display().to_string()).map_err(Failure::usage)
        })
        .collect()
}

fn signing_key() -> Result<SigningKey, Failure> {
    let path = std::env::var_os(ENV_SIGN_KEY).filter(|p| !p.is_empty()).ok_or_else(|| {
        Failure::usage(anyhow!("--sign needs {ENV_SIGN_KEY}: the path of a PEM ECDSA P-256 private key"))
    })?;
    let path = PathBuf::from(path);
    let pem = catalyst_blueprint::read_capped(&path, MAX_KEY_BYTES)
        .map_err(|e| Failure::usage(anyhow!("{ENV_SIGN_KEY}={}: {e}", path.display())))?;
    SigningKey::from_pem(&pem, Password::from_env().as_ref(), &path.display().to_string())
        .map_err(Failure::usage)
}

#[derive(Serialize)]
struct Pushed {
    reference: String,
    digest: String,
    signed: bool,
}

/// `blueprint push`.
pub(crate) fn push(
    src: &Path,
    reference: &str,
    sign: bool,
    source: Option<&str>,
    args: &RegistryArgs,
    format: Output,
) -> Result<(), Failure> {
    let target = parse_ref(reference)?;
    // Read the key before anything is pushed, so a bad key pushes nothing.
    let key = if sign { Some(signing_key()?) } else { None };
    let package = Package::from_path(src, source).map_err(Failure::invalid)?;
    let registry = registry(args, &target)?;
    let digest = runtime()?.block_on(async {
        let digest = registry.push(&package, &target).await?;
        if let Some(key) = &key {
            registry.sign(&target, &digest, key).await?;
        }
        Ok::<_, OciError>(digest)
    });
    let digest = digest.map_err(oci_failure)?;
    let report = Pushed {
        reference: target.at_digest(digest.clone()).to_string(),
        digest: digest.to_string(),
        signed: sign,
    };
    if format == Output::Text {
        output::raw(&format!("pushed {target}\ndigest {digest}{}\n", if sign { "\nsigned" } else { "" }));
        Ok(())
    } else {
        output::print(&report, format).map_err(Failure::invalid)
    }
}

#[derive(Serialize)]
struct VerifiedReport {
    reference: String,
    digest: String,
    key: String,
    signatures: usize,
}

/// `blueprint verify`.
pub(crate) fn verify(
    reference: &str,
    keys: &[PathBuf],
    args: &RegistryArgs,
    format: Output,
) -> Result<(), Failure> {
    let target = parse_ref(reference)?;
    let keys = read_public_keys(keys)?;
    let registry = registry(args, &target)?;
    let verified = runtime()?.block_on(registry.verify(&target, &keys)).map_err(oci_failure)?;
    if format == Output::Text {
        output::raw(&format!("{}\n", verified.digest));
        return Ok(());
    }
    let report = VerifiedReport {
        reference: target.at_digest(verified.digest.clone()).to_string(),
        digest: verified.digest.to_string(),
        key: verified.key,
        signatures: verified.signatures,
    };
    output::print(&report, format).map_err(Failure::invalid)
}

#[derive(Serialize)]
struct PulledReport {
    reference: String,
    digest: String,
    verified: Option<String>,
    out: String,
    chart_dir: String,
    files: usize,
    bytes: u64,
    downloaded: u64,
}

/// `blueprint pull`.
pub(crate) fn pull(
    reference: &str,
    keys: &[PathBuf],
    out: &Path,
    insecure_skip_verify: bool,
    args: &RegistryArgs,
    format: Output,
) -> Result<(), Failure> {
    let target = parse_ref(reference)?;
    let verification = if insecure_skip_verify {
        eprintln!(
            "warning: --insecure-skip-verify: the signature of {target} will NOT be verified; anyone who can write to the registry decides what gets unpacked"
        );
        Verification::InsecureSkip
    } else {
        Verification::Keys(read_public_keys(keys)?)
    };
    let registry = registry(args, &target)?;
    let pulled = runtime()?.block_on(registry.pull(&target, &verification, out)).map_err(oci_failure)?;
    let report = PulledReport {
        reference: target.at_digest(pulled.digest.clone()).to_string(),
        digest: pulled.digest.to_string(),
        verified: pulled.verified.as_ref().map(|v| v.key.clone()),
        out: out.display().to_string(),
        chart_dir: pulled.unpacked.chart_dir.display().to_string(),
        files: pulled.unpacked.files,
        bytes: pulled.unpacked.bytes,
        downloaded: pulled.downloaded,
    };
    if format == Output::Text {
        let verified = match &pulled.verified {
            Some(v) => format!("verified with {}", v.key),
            None => "NOT VERIFIED (--insecure-skip-verify)".to_owned(),
        };
        output::raw(&format!(
            "digest {}\n{verified}\nunpacked {} files into {}\n",
            pulled.digest,
            pulled.unpacked.files,
            pulled.unpacked.chart_dir.display()
        ));
        Ok(())
    } else {
        output::print(&report, format).map_err(Failure::invalid)
    }
}
