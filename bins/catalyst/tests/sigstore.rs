//! `catalyst sigstore verify-bundle|verify-layer` and keyless `blueprint verify` on the
//! fixtures' real Sigstore data: exit 0 verified, 1 refused naming the class, 2 usage.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use catalyst_testkit::cli::{Cli, json, stderr, stdout};

fn fixtures() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/sigstore");
    assert!(dir.join("cases.json").is_file(), "fixtures missing at {}", dir.display());
    dir
}

fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_catalyst"))
}

const CONF_ID: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GITHUB: &str = "https://token.actions.githubusercontent.com";

fn verify_bundle(case: &str, extra: &[&str]) -> std::process::Output {
    let dir = fixtures();
    let bundle = dir.join(format!("conformance/{case}/bundle.sigstore.json"));
    // A case's own artifact, else the suite's default one.
    let own = dir.join(format!("conformance/{case}/artifact"));
    let artifact = if own.is_file() { own } else { dir.join("conformance/a.txt") };
    let mut args = vec![
        "sigstore",
        "verify-bundle",
        "--bundle",
        bundle.to_str().unwrap(),
        "--artifact",
        artifact.to_str().unwrap(),
        "--certificate-oidc-issuer",
        GITHUB,
    ];
    args.extend_from_slice(extra);
    cli().run(&args)
}

#[test]
fn verify_bundle_exits_0_1_or_2() {
    let ok = verify_bundle("happy-path-v0.3", &["--certificate-identity", CONF_ID]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert_eq!(
        stdout(&ok),
        format!(
            "verified: signed by {CONF_ID} ({GITHUB}) at 2024-03-19T17:26:26Z, https://rekor.sigstore.dev entry 79571823\n"
        )
    );
    // The same with a regexp that matches the whole identity, in JSON.
    let re = r"https://github\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/\.github/workflows/.*@refs/heads/main";
    let ok = cli().run(&[
        "-o",
        "json",
        "sigstore",
        "verify-bundle",
        "--bundle",
        fixtures().join("conformance/happy-path-v0.3/bundle.sigstore.json").to_str().unwrap(),
        "--artifact",
        fixtures().join("conformance/a.txt").to_str().unwrap(),
        "--certificate-identity-regexp",
        re,
        "--certificate-oidc-issuer",
        GITHUB,
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert_eq!(json(&ok)["identity"], CONF_ID);
    // The artifact's digest instead of its bytes.
    let bundle = fixtures().join("conformance/happy-path-v0.3/bundle.sigstore.json");
    let by_digest = |digest: &str| {
        cli().run(&[
            "sigstore",
            "verify-bundle",
            "--bundle",
            bundle.to_str().unwrap(),
            "--digest",
            digest,
            "--certificate-identity",
            CONF_ID,
            "--certificate-oidc-issuer",
            GITHUB,
        ])
    };
    let ok = by_digest("sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf");
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let other = by_digest(&format!("sha256:{}", "0".repeat(64)));
    assert_eq!(other.status.code(), Some(1));
    assert!(stderr(&other).contains("refused (artifact-mismatch)"), "{}", stderr(&other));
    // A prefix is not a match.
    let prefix = verify_bundle(
        "happy-path-v0.3",
        &["--certificate-identity-regexp", "https://github.com/sigstore-conformance/"],
    );
    assert_eq!(prefix.status.code(), Some(1));
    assert!(stderr(&prefix).contains("refused (identity-mismatch)"), "{}", stderr(&prefix));
    // Refusals name their class.
    for (case, class) in [
        ("set-invalid-signature_fail", "tlog-invalid"),
        ("invalid-ct-key_fail", "sct-invalid"),
        ("wrong-material_fail", "artifact-mismatch"),
        ("bundle-with-root-cert_fail", "certificate-invalid"),
        ("bundle-unknown-version_fail", "bundle-invalid"),
    ] {
        // A case with its own trusted root is run with it, as the conformance suite does.
        let root = fixtures().join(format!("conformance/{case}/trusted_root.json"));
        let root = root.to_str().unwrap();
        let mut extra = vec!["--certificate-identity", CONF_ID];
        if Path::new(root).is_file() {
            extra.extend(["--trusted-root", root]);
        }
        let out = verify_bundle(case, &extra);
        assert_eq!(out.status.code(), Some(1), "{case}");
        assert!(stderr(&out).contains(&format!("refused ({class})")), "{case}: {}", stderr(&out));
    }
    // Usage: an identity without an issuer, and a broken trusted root, exit 2.
    let dir = fixtures();
    let out = cli().run(&[
        "sigstore",
        "verify-bundle",
        "--bundle",
        "x",
        "--artifact",
        "y",
        "--certificate-identity",
        CONF_ID,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = verify_bundle(
        "happy-path-v0.3",
        &[
            "--certificate-identity",
            CONF_ID,
            "--trusted-root",
            dir.join("conformance/trust-root-tlog-missing-validity-start_fail/trusted_root.json")
                .to_str()
                .unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("validFor has no start"), "{}", stderr(&out));
}

#[test]
fn verify_layer_checks_the_image_and_the_identity() {
    let dir = fixtures();
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("oci/bazel-keyless/signature-manifest.json")).unwrap(),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let layer = tmp.path().join("layer.json");
    std::fs::write(&layer, serde_json::to_vec(&manifest["layers"][1]).unwrap()).unwrap();
    let payload = dir.join("oci/bazel-keyless/payload.json");
    let run = |image: &str, identity: &str| {
        cli().run(&[
            "sigstore",
            "verify-layer",
            "--layer",
            layer.to_str().unwrap(),
            "--payload",
            payload.to_str().unwrap(),
            "--image-digest",
            image,
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            "https://accounts.google.com",
        ])
    };
    let image = "sha256:a2b109fb9baea555556561317fdd13cef9c3dfac22c8f8fea0c5a0b06ece9d00";
    let good = "cosign-svc-account@mineral-minutia-820.iam.gserviceaccount.com";
    let ok = run(image, good);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(
        stdout(&ok)
            .starts_with(&format!("verified: signed by {good} (https://accounts.google.com) at 2023-05-07T"))
    );
    let other = format!("sha256:{}", "1".repeat(64));
    let wrong_image = run(&other, good);
    assert_eq!(wrong_image.status.code(), Some(1));
    assert!(stderr(&wrong_image).contains("refused (artifact-mismatch)"), "{}", stderr(&wrong_image));
    let wrong_id = run(image, "cosign-kaniko@mineral-minutia-820.iam.gserviceaccount.com");
    assert_eq!(wrong_id.status.code(), Some(1));
    assert!(stderr(&wrong_id).contains("refused (identity-mismatch)"), "{}", stderr(&wrong_id));
}

#[test]
fn blueprint_verify_takes_keys_or_a_keyless_policy_not_both() {
    // Neither: clap refuses (2). Both: refused (2).
    let out = cli().run(&["blueprint", "verify", "127.0.0.1:5000/openova-io/bp-x:1.0.0"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cli().run(&[
        "blueprint",
        "verify",
        "127.0.0.1:5000/openova-io/bp-x:1.0.0",
        "--key",
        "a.pub",
        "--certificate-identity",
        "x",
        "--certificate-oidc-issuer",
        GITHUB,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot be used with"), "{}", stderr(&out));
    // An issuer alone is not a policy.
    let out = cli().run(&[
        "blueprint",
        "pull",
        "127.0.0.1:5000/openova-io/bp-x:1.0.0",
        "--out",
        "o",
        "--certificate-identity-regexp",
        "(",
        "--certificate-oidc-issuer",
        GITHUB,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--certificate-identity-regexp \"(\""), "{}", stderr(&out));
}
