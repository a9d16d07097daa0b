//! `catalyst blueprint push|pull|verify`: signed Blueprint artifacts (catalyst-blueprint `oci`).

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::anyhow;
use catalyst_blueprint::artifact::{ArtifactRef, Package};
use catalyst_blueprint::artifact::{Descriptor, Digest};
use catalyst_blueprint::oci::keyless::{
    Artifact, KeylessError, KeylessVerified, TrustedRoot, verify_bundle, verify_cosign_layer,
};
use catalyst_blueprint::oci::{
    Credentials, IdentityMatch, KeylessPolicy, OciError, Password, PublicKey, Registry, RegistryOptions,
    SigningKey, Transfer, Verification,
};
use serde::Serialize;

use crate::Failure;
use crate::cli::{KeylessArgs, Output, RegistryArgs, SigstoreCommand};
use crate::output;

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
    paths.iter().map(|p| PublicKey::from_file(p).map_err(Failure::usage)).collect()
}

fn signing_key() -> Result<SigningKey, Failure> {
    let path = std::env::var_os(ENV_SIGN_KEY).filter(|p| !p.is_empty()).ok_or_else(|| {
        Failure::usage(anyhow!("--sign needs {ENV_SIGN_KEY}: the path of a PEM ECDSA P-256 private key"))
    })?;
    let path = PathBuf::from(path);
    let pem = catalyst_blueprint::read_capped(&path, catalyst_blueprint::oci::MAX_KEY_FILE_BYTES)
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

/// A trusted root file larger than this is not one.
const MAX_ROOT_BYTES: u64 = 1024 * 1024;

/// The keyless policy and trust of the flags; `None` without an identity flag.
fn keyless_verification(k: &KeylessArgs) -> Result<Option<Verification>, Failure> {
    let identity = match (&k.certificate_identity, &k.certificate_identity_regexp) {
        (Some(id), _) => IdentityMatch::Exact(id.clone()),
        (None, Some(re)) => IdentityMatch::regexp(re).map_err(|e| Failure::usage(anyhow!(e)))?,
        (None, None) => {
            if k.certificate_oidc_issuer.is_some() || k.trusted_root.is_some() {
                return Err(Failure::usage(anyhow!(
                    "--certificate-oidc-issuer and --trusted-root need --certificate-identity or --certificate-identity-regexp"
                )));
            }
            return Ok(None);
        }
    };
    let issuer = k.certificate_oidc_issuer.clone().ok_or_else(|| {
        Failure::usage(anyhow!("keyless verification needs --certificate-oidc-issuer (https://token.actions.githubusercontent.com for GitHub Actions)"))
    })?;
    let root = match &k.trusted_root {
        Some(path) => {
            let bytes = catalyst_blueprint::read_capped(path, MAX_ROOT_BYTES)
                .map_err(|e| Failure::usage(anyhow!("--trusted-root {}: {e}", path.display())))?;
            TrustedRoot::from_json(&bytes)
                .map_err(|e| Failure::usage(anyhow!("--trusted-root {}: {e}", path.display())))?
        }
        None => TrustedRoot::public_good(),
    };
    Ok(Some(Verification::Keyless {
        policy: KeylessPolicy { issuer, identity },
        root: std::sync::Arc::new(root),
    }))
}

/// `blueprint verify`.
pub(crate) fn verify(
    reference: &str,
    keys: &[PathBuf],
    keyless: &KeylessArgs,
    args: &RegistryArgs,
    format: Output,
) -> Result<(), Failure> {
    let target = parse_ref(reference)?;
    let verification = match keyless_verification(keyless)? {
        Some(v) => v,
        None => Verification::Keys(read_public_keys(keys)?),
    };
    let registry = registry(args, &target)?;
    let verified = runtime()?.block_on(registry.verify_with(&target, &verification)).map_err(oci_failure)?;
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
    keyless: &KeylessArgs,
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
    } else if let Some(v) = keyless_verification(keyless)? {
        v
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

/// An input file larger than this (a bundle, a layer, a payload) is not one.
const MAX_SIGSTORE_INPUT_BYTES: u64 = 4 * 1024 * 1024;
/// An artifact for `verify-bundle` is hashed as it is read; this caps nothing but memory.
const MAX_ARTIFACT_BYTES: u64 = 1024 * 1024 * 1024;

fn read_input(path: &Path, flag: &str, limit: u64) -> Result<Vec<u8>, Failure> {
    catalyst_blueprint::read_capped(path, limit)
        .map_err(|e| Failure::usage(anyhow!("--{flag} {}: {e}", path.display())))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeylessReport {
    verified: bool,
    identity: String,
    issuer: String,
    signed_at: String,
    log: String,
    log_index: u64,
}

fn refused(e: &KeylessError) -> Failure {
    match e {
        KeylessError::TrustRootInvalid(_) => Failure::usage(anyhow!("{e}")),
        _ => Failure::invalid(anyhow!("refused ({}): {e}", e.class())),
    }
}

fn report(v: &KeylessVerified, format: Output) -> Result<(), Failure> {
    let signed_at = jiff::Timestamp::from_second(v.signed_at).map(|t| t.to_string()).unwrap_or_default();
    if format == Output::Text {
        output::raw(&format!(
            "verified: signed by {} ({}) at {signed_at}, {} entry {}\n",
            v.identity, v.issuer, v.log, v.log_index
        ));
        return Ok(());
    }
    let r = KeylessReport {
        verified: true,
        identity: v.identity.clone(),
        issuer: v.issuer.clone(),
        signed_at,
        log: v.log.clone(),
        log_index: v.log_index,
    };
    output::print(&r, format).map_err(Failure::invalid)
}

/// `catalyst sigstore …`.
pub(crate) fn sigstore(cmd: SigstoreCommand, format: Output) -> Result<(), Failure> {
    let policy = |k: &KeylessArgs| -> Result<(KeylessPolicy, std::sync::Arc<TrustedRoot>), Failure> {
        match keyless_verification(k)? {
            Some(Verification::Keyless { policy, root }) => Ok((policy, root)),
            _ => Err(Failure::usage(anyhow!(
                "give --certificate-identity (or --certificate-identity-regexp) and --certificate-oidc-issuer"
            ))),
        }
    };
    match cmd {
        SigstoreCommand::VerifyBundle { bundle, artifact, digest, keyless } => {
            let (policy, root) = policy(&keyless)?;
            let bundle = read_input(&bundle, "bundle", MAX_SIGSTORE_INPUT_BYTES)?;
            let verified = match (artifact, digest) {
                (Some(path), _) => {
                    let bytes = read_input(&path, "artifact", MAX_ARTIFACT_BYTES)?;
                    verify_bundle(&bundle, Artifact::Bytes(&bytes), &policy, &root)
                }
                (None, Some(d)) => {
                    let d: Digest = d.parse().map_err(|e| Failure::usage(anyhow!("--digest {d}: {e}")))?;
                    let bytes = catalyst_blueprint::oci::keyless::sha256_bytes(&d).ok_or_else(|| {
                        Failure::usage(anyhow!("--digest: only sha256:HEX digests are checked"))
                    })?;
                    verify_bundle(&bundle, Artifact::Sha256(bytes), &policy, &root)
                }
                (None, None) => return Err(Failure::usage(anyhow!("give --artifact or --digest"))),
            };
            report(&verified.map_err(|e| refused(&e))?, format)
        }
        SigstoreCommand::VerifyLayer { layer, payload, image_digest, keyless } => {
            let (policy, root) = policy(&keyless)?;
            let layer_bytes = read_input(&layer, "layer", MAX_SIGSTORE_INPUT_BYTES)?;
            let descriptor: Descriptor = serde_json::from_slice(&layer_bytes).map_err(|e| {
                Failure::invalid(anyhow!("--layer {}: not an OCI descriptor: {e}", layer.display()))
            })?;
            let payload = read_input(&payload, "payload", MAX_SIGSTORE_INPUT_BYTES)?;
            let image: Digest = image_digest
                .parse()
                .map_err(|e| Failure::usage(anyhow!("--image-digest {image_digest}: {e}")))?;
            let verified = verify_cosign_layer(&descriptor, &payload, &image, &policy, &root)
                .map_err(|e| refused(&e))?;
            report(&verified, format)
        }
    }
}
