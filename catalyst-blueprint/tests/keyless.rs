//! Keyless verification against every case of `../shared/fixtures/sigstore/cases.json` (the
//! sigstore-conformance bundle-verify suite, policy cases and real cosign OCI layers): a case
//! that must verify verifies; a case that must fail fails for its listed class (or the earlier
//! step its independent check names). No case may end `unsupported`.
#![cfg(feature = "oci")]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use catalyst_blueprint::artifact::{Digest, Manifest, SigningPayload};
use catalyst_blueprint::oci::keyless::{
    Artifact, KeylessError, TrustedRoot, verify_bundle, verify_bundle_with_key, verify_cosign_layer,
};
use catalyst_blueprint::oci::{IdentityMatch, KeylessPolicy, PublicKey};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

fn fixtures() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/sigstore");
    assert!(dir.join("cases.json").is_file(), "fixtures missing at {}", dir.display());
    dir
}

/// The classes a refusal may carry for a case's failure class: its own, or the earlier step
/// the fixture's independent check stopped at.
fn accepted(failure: &str) -> &'static [&'static str] {
    match failure {
        "bundle-invalid" => &["bundle-invalid", "tlog-invalid"],
        "certificate-invalid" => &["certificate-invalid", "sct-invalid"],
        "untrusted-instance" => &["certificate-invalid", "tlog-invalid"],
        "tlog-invalid" => &["tlog-invalid"],
        "artifact-mismatch" => &["artifact-mismatch"],
        "signature-invalid" => &["signature-invalid"],
        "identity-mismatch" => &["identity-mismatch"],
        "timestamp-invalid" => &["timestamp-invalid", "certificate-invalid", "tlog-invalid"],
        "trust-root-invalid" => &["trust-root-invalid"],
        other => panic!("unknown failure class {other}"),
    }
}

fn run_bundle(dir: &Path, case: &Value) -> Result<(), KeylessError> {
    let s = |k: &str| case[k].as_str().unwrap_or_default();
    let root = TrustedRoot::from_json(&std::fs::read(dir.join(s("trusted_root"))).unwrap())?;
    let artifact = std::fs::read(dir.join(s("artifact"))).unwrap();
    let bundle = std::fs::read(dir.join(s("bundle"))).unwrap();
    if case.get("public_key").is_some() {
        // A managed-key bundle, with the key the case names (PEM SPKI).
        let pem = std::fs::read_to_string(dir.join(s("public_key"))).unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        // Leniently: the wrong-key case's key is not even canonical base64.
        let lenient = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
        );
        let key = lenient.decode(body).unwrap();
        return verify_bundle_with_key(&bundle, Artifact::Bytes(&artifact), &key, &root).map(|_| ());
    }
    let policy = KeylessPolicy {
        issuer: s("issuer").to_owned(),
        identity: IdentityMatch::Exact(s("identity").to_owned()),
    };
    let by_bytes = verify_bundle(&bundle, Artifact::Bytes(&artifact), &policy, &root).map(|_| ());
    // The artifact's digest alone gives the same answer (`--digest`).
    let digest: [u8; 32] = Sha256::digest(&artifact).into();
    let by_digest = verify_bundle(&bundle, Artifact::Sha256(digest), &policy, &root).map(|_| ());
    assert_eq!(
        by_digest.as_ref().map_err(KeylessError::class),
        by_bytes.as_ref().map_err(KeylessError::class),
        "{}: bytes and digest disagree",
        s("bundle")
    );
    by_bytes
}

/// A cosign signature layer: keyless through the verifier, key-based (`public_key`) through
/// the SDK's key check of the same layer.
fn run_layer(dir: &Path, case: &Value) -> Result<(), KeylessError> {
    let s = |k: &str| case[k].as_str().unwrap_or_default();
    let manifest = Manifest::parse(&std::fs::read(dir.join(s("manifest"))).unwrap()).unwrap();
    let layer = &manifest.layers[usize::try_from(case["layer_index"].as_u64().unwrap()).unwrap()];
    let payload = std::fs::read(dir.join(s("payload"))).unwrap();
    let image: Digest = s("image_digest").parse().unwrap();
    if case.get("public_key").is_some() {
        let key = PublicKey::from_pem(&std::fs::read(dir.join(s("public_key"))).unwrap(), "kms").unwrap();
        let signature = base64::engine::general_purpose::STANDARD
            .decode(&layer.annotations["dev.cosignproject.cosign/signature"])
            .unwrap();
        assert!(key.verifies(&signature, &payload), "the KMS key verifies its layer");
        assert_eq!(SigningPayload::parse(&payload).unwrap().digest(), &image);
        return Ok(());
    }
    let root = TrustedRoot::from_json(&std::fs::read(dir.join(s("trusted_root"))).unwrap())?;
    let policy = KeylessPolicy {
        issuer: s("issuer").to_owned(),
        identity: IdentityMatch::Exact(s("identity").to_owned()),
    };
    verify_cosign_layer(layer, &payload, &image, &policy, &root).map(|_| ())
}

#[test]
fn every_fixture_case_verifies_or_is_refused_for_its_class() {
    let dir = fixtures();
    let cases: Value = serde_json::from_slice(&std::fs::read(dir.join("cases.json")).unwrap()).unwrap();
    let cases = cases["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 76);
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    let mut wrong = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let result = match case["kind"].as_str().unwrap() {
            "bundle" => run_bundle(&dir, case),
            "cosign-layer" => run_layer(&dir, case),
            other => panic!("{id}: unknown kind {other}"),
        };
        let expect_ok = case["expect"] == "ok";
        match (&result, expect_ok) {
            (Ok(()), true) => *tally.entry("verified".into()).or_default() += 1,
            (Ok(()), false) => wrong.push(format!("{id}: verified, but must fail ({})", case["failure"])),
            (Err(KeylessError::Unsupported(m)), _) => {
                wrong.push(format!("{id}: unsupported ({m})"));
            }
            (Err(e), true) => wrong.push(format!("{id}: refused ({e}), but must verify")),
            (Err(e), false) => {
                let failure = case["failure"].as_str().unwrap();
                if accepted(failure).contains(&e.class()) {
                    *tally.entry(format!("refused {failure}")).or_default() += 1;
                } else {
                    wrong.push(format!("{id}: refused as {} ({e}), but the class is {failure}", e.class()));
                }
            }
        }
    }
    eprintln!("tally: {tally:#?}");
    assert!(wrong.is_empty(), "{} cases wrong:\n{}", wrong.len(), wrong.join("\n"));
    // Every case is decided: 23 verify, 53 are refused for their class.
    assert_eq!(tally.get("verified"), Some(&23), "{tally:?}");
    assert_eq!(tally.values().sum::<usize>(), 76, "{tally:?}");
}

#[test]
fn the_embedded_public_good_root_parses_with_every_key() {
    let root = TrustedRoot::public_good();
    assert_eq!((root.tlogs.len(), root.ctlogs.len(), root.certificate_authorities.len()), (2, 2, 2));
    assert_eq!(root.tlogs[0].base_url, "https://rekor.sigstore.dev");
    assert!(root.tlogs.iter().all(|l| l.log_id.len() == 32));
    let e = TrustedRoot::from_json(br#"{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{"baseUrl": "x", "publicKey": {"rawBytes": "AA==", "validFor": {"end": "2030-01-01T00:00:00Z"}}, "logId": {"keyId": "AA=="}}]}"#)
        .unwrap_err();
    assert_eq!(e.to_string(), "trusted root invalid: tlogs[0].publicKey: validFor has no start");
}

/// The real cosign keyless layer of the fixtures, carried in a signature manifest on a
/// loopback docker-registry next to (the digest of) the image it signs, verified through the
/// registry client as `catalyst blueprint verify` does.
#[tokio::test]
async fn a_keyless_signature_verifies_through_a_registry() {
    use catalyst_blueprint::artifact::ArtifactRef;
    use catalyst_blueprint::oci::{OciError, Registry, RegistryOptions, Verification};
    use std::sync::Arc;

    let dir = fixtures();
    let reg = catalyst_testkit::registry::TestRegistry::start().unwrap();
    let host = reg.host();
    let image = "sha256:a2b109fb9baea555556561317fdd13cef9c3dfac22c8f8fea0c5a0b06ece9d00";
    let manifest =
        Manifest::parse(&std::fs::read(dir.join("oci/bazel-keyless/signature-manifest.json")).unwrap())
            .unwrap();
    let payload = std::fs::read(dir.join("oci/bazel-keyless/payload.json")).unwrap();
    let push = |repo: &'static str| {
        let (host, layer, payload) = (host.clone(), manifest.layers[1].clone(), payload.clone());
        async move {
            let raw = oci_client::Client::new(oci_client::client::ClientConfig {
                protocol: oci_client::client::ClientProtocol::Http,
                ..Default::default()
            });
            let r = oci_client::Reference::with_tag(
                host,
                repo.into(),
                format!("{}.sig", image.replace(':', "-")),
            );
            let config = b"{}".to_vec();
            let cd = Digest::of(&config);
            raw.push_blob(&r, payload.clone(), layer.digest.as_str()).await.unwrap();
            raw.push_blob(&r, config.clone(), cd.as_str()).await.unwrap();
            let m = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd.as_str(), "size": config.len()},
                "layers": [layer]});
            raw.push_manifest_raw(
                &r,
                serde_json::to_vec(&m).unwrap(),
                http::HeaderValue::from_static("application/vnd.oci.image.manifest.v1+json"),
            )
            .await
            .unwrap();
        }
    };
    push("mineral-minutia-820/repo1/securebuild-bazel").await;
    push("elsewhere/securebuild-bazel").await;
    let client = Registry::new(RegistryOptions::new().with_plain_http(true));
    let policy = |identity: &str| Verification::Keyless {
        policy: KeylessPolicy {
            issuer: "https://accounts.google.com".into(),
            identity: IdentityMatch::Exact(identity.into()),
        },
        root: Arc::new(TrustedRoot::public_good()),
    };
    let at = |repo: &str| -> ArtifactRef { format!("{host}/{repo}@{image}").parse().unwrap() };
    let good = "cosign-svc-account@mineral-minutia-820.iam.gserviceaccount.com";
    let verified =
        client.verify_with(&at("mineral-minutia-820/repo1/securebuild-bazel"), &policy(good)).await.unwrap();
    assert_eq!(verified.digest.as_str(), image);
    assert_eq!(verified.key, format!("{good} (https://accounts.google.com)"));
    // Another identity: refused, naming the class.
    let e = client
        .verify_with(
            &at("mineral-minutia-820/repo1/securebuild-bazel"),
            &policy("cosign-kaniko@mineral-minutia-820.iam.gserviceaccount.com"),
        )
        .await
        .unwrap_err();
    assert!(matches!(&e, OciError::Keyless { refusal: KeylessError::IdentityMismatch(_), .. }), "{e}");
    assert!(e.to_string().contains("keyless signature refused (identity-mismatch)"), "{e}");
    // The same signature copied under another repository: it names the original one.
    let e = client.verify_with(&at("elsewhere/securebuild-bazel"), &policy(good)).await.unwrap_err();
    assert!(matches!(e, OciError::ReferenceMismatch { .. }), "{e}");
    // No signature at all for another digest.
    let other: ArtifactRef =
        format!("{host}/mineral-minutia-820/repo1/securebuild-bazel@sha256:{}", "0".repeat(64))
            .parse()
            .unwrap();
    let e = client.verify_with(&other, &policy(good)).await.unwrap_err();
    assert!(matches!(e, OciError::SignatureMissing { .. }), "{e}");
}

/// A Sigstore bundle attached as an OCI 1.1 referrer, found through the referrers tag
/// fallback (`sha256-<hex>` index) on docker-registry 2.8, which has no referrers API. The
/// conformance suite's happy-path bundle signs `a.txt`, so the artifact pinned is that digest.
#[tokio::test]
async fn a_sigstore_bundle_attached_as_a_referrer_verifies() {
    use catalyst_blueprint::artifact::ArtifactRef;
    use catalyst_blueprint::oci::{OciError, Registry, RegistryOptions, Verification};
    use std::sync::Arc;

    let dir = fixtures();
    let reg = catalyst_testkit::registry::TestRegistry::start().unwrap();
    let host = reg.host();
    let repo = "openova-io/bp-signed";
    let subject = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
    let bundle = std::fs::read(dir.join("conformance/happy-path-v0.3/bundle.sigstore.json")).unwrap();
    let raw = oci_client::Client::new(oci_client::client::ClientConfig {
        protocol: oci_client::client::ClientProtocol::Http,
        ..Default::default()
    });
    let bundle_type = "application/vnd.dev.sigstore.bundle.v0.3+json";
    let at_tag = |tag: &str| oci_client::Reference::with_tag(host.clone(), repo.into(), tag.into());
    let (empty, bd) = (b"{}".to_vec(), Digest::of(&bundle));
    let ed = Digest::of(&empty);
    raw.push_blob(&at_tag("x"), bundle.clone(), bd.as_str()).await.unwrap();
    raw.push_blob(&at_tag("x"), empty.clone(), ed.as_str()).await.unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": bundle_type,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": ed.as_str(), "size": 2},
        "layers": [{"mediaType": bundle_type, "digest": bd.as_str(), "size": bundle.len()}],
        "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject, "size": 100}
    }))
    .unwrap();
    let md = Digest::of(&manifest);
    let oci = http::HeaderValue::from_static("application/vnd.oci.image.manifest.v1+json");
    raw.push_manifest_raw(&at_tag("bundle"), manifest.clone(), oci).await.unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md.as_str(),
                       "size": manifest.len(), "artifactType": bundle_type}]
    }))
    .unwrap();
    let index_type = http::HeaderValue::from_static("application/vnd.oci.image.index.v1+json");
    raw.push_manifest_raw(&at_tag(&subject.replace(':', "-")), index, index_type).await.unwrap();

    let client = Registry::new(RegistryOptions::new().with_plain_http(true));
    let at: ArtifactRef = format!("{host}/{repo}@{subject}").parse().unwrap();
    let policy = |identity: &str| Verification::Keyless {
        policy: KeylessPolicy {
            issuer: "https://token.actions.githubusercontent.com".into(),
            identity: IdentityMatch::Exact(identity.into()),
        },
        root: Arc::new(TrustedRoot::public_good()),
    };
    let id = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    let verified = client.verify_with(&at, &policy(id)).await.unwrap();
    assert_eq!((verified.digest.as_str(), verified.signatures), (subject, 1));
    assert_eq!(verified.key, format!("{id} (https://token.actions.githubusercontent.com)"));
    let e = client.verify_with(&at, &policy("https://github.com/evil/x")).await.unwrap_err();
    assert!(matches!(&e, OciError::Keyless { refusal: KeylessError::IdentityMismatch(_), .. }), "{e}");
}

/// A stand-in registry speaking the OCI 1.1 referrers API (which docker-registry 2.8 lacks) as
/// the distribution spec says: `GET /v2/<name>/referrers/<subject>` lists one manifest per
/// `(bundle, subject it names)`, each manifest and bundle blob served by digest.
fn referrers_registry(subject: &'static str, referrers: Vec<(Vec<u8>, String)>) -> String {
    use catalyst_testkit::registry::{fake_registry, http_response};
    let bundle_type = "application/vnd.dev.sigstore.bundle.v0.3+json";
    let mut served: Vec<(String, &'static str, Vec<u8>)> = Vec::new();
    let mut entries = Vec::new();
    for (bundle, names) in referrers {
        let bd = Digest::of(&bundle);
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": bundle_type,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": Digest::of(b"{}").as_str(), "size": 2},
            "layers": [{"mediaType": bundle_type, "digest": bd.as_str(), "size": bundle.len()}],
            "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": names, "size": 100}
        }))
        .unwrap();
        let md = Digest::of(&manifest);
        entries.push(serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": md.as_str(), "size": manifest.len(), "artifactType": bundle_type}));
        served.push((
            format!("/manifests/{}", md.as_str()),
            "application/vnd.oci.image.manifest.v1+json",
            manifest,
        ));
        served.push((format!("/blobs/{}", bd.as_str()), "application/octet-stream", bundle));
    }
    let index = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}))
    .unwrap();
    served.push((format!("/referrers/{subject}"), "application/vnd.oci.image.index.v1+json", index));
    fake_registry(move |head| {
        let path = head.split_whitespace().nth(1).unwrap_or_default();
        Some(match served.iter().find(|(suffix, _, _)| path.ends_with(suffix.as_str())) {
            Some((_, t, body)) => http_response("200 OK", t, body),
            None => http_response(
                "404 Not Found",
                "application/json",
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#,
            ),
        })
    })
}

/// The same bundle through the OCI 1.1 referrers API; a referrer whose subject is another
/// artifact is ignored, and an attestation (SLSA provenance naming the digest) is not a
/// signature.
#[tokio::test]
async fn a_sigstore_bundle_is_found_through_the_referrers_api() {
    use catalyst_blueprint::artifact::ArtifactRef;
    use catalyst_blueprint::oci::{OciError, Registry, RegistryOptions, Verification};
    use std::sync::Arc;

    let dir = fixtures();
    let subject = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
    let bundle = std::fs::read(dir.join("conformance/happy-path-v0.3/bundle.sigstore.json")).unwrap();
    // The foreign referrer first: it must be skipped, not trusted or fatal.
    let host = referrers_registry(
        subject,
        vec![(bundle.clone(), format!("sha256:{}", "1".repeat(64))), (bundle, subject.to_owned())],
    );
    let client = Registry::new(RegistryOptions::new().with_plain_http(true));
    let at: ArtifactRef = format!("{host}/openova-io/bp-signed@{subject}").parse().unwrap();
    let id = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    let policy = Verification::Keyless {
        policy: KeylessPolicy {
            issuer: "https://token.actions.githubusercontent.com".into(),
            identity: IdentityMatch::regexp("https://github\\.com/sigstore-conformance/.*").unwrap(),
        },
        root: Arc::new(TrustedRoot::public_good()),
    };
    let verified = client.verify_with(&at, &policy).await.unwrap();
    assert_eq!(verified.key, format!("{id} (https://token.actions.githubusercontent.com)"));
    assert_eq!(verified.signatures, 1, "the foreign referrer is not counted");
    // Another artifact of the same registry has no referrers: no signature.
    let other: ArtifactRef =
        format!("{host}/openova-io/bp-signed@sha256:{}", "2".repeat(64)).parse().unwrap();
    let e = client.verify_with(&other, &policy).await.unwrap_err();
    assert!(matches!(e, OciError::SignatureMissing { .. }), "{e}");
    // A valid SLSA provenance bundle naming the digest, by the right identity: not a signature.
    let provenance =
        std::fs::read(dir.join("conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json")).unwrap();
    let host = referrers_registry(subject, vec![(provenance, subject.to_owned())]);
    let at: ArtifactRef = format!("{host}/openova-io/bp-signed@{subject}").parse().unwrap();
    let e = client.verify_with(&at, &policy).await.unwrap_err();
    assert!(
        matches!(&e, OciError::Keyless { refusal: KeylessError::Unsupported(m), .. } if m.contains("https://slsa.dev/provenance/v1")),
        "{e}"
    );
}

/// The attacker's bundles (found by review): a log proof the bundle's version promises cannot
/// be dropped and replaced by a timestamp, and without any log proof nothing verifies.
#[test]
fn a_bundle_without_its_log_proof_is_refused_whatever_its_timestamps() {
    let dir = fixtures();
    let read = |p: &str| std::fs::read(dir.join(p)).unwrap();
    let artifact = read("conformance/a.txt");
    let conf = KeylessPolicy {
        issuer: "https://token.actions.githubusercontent.com".into(),
        identity: IdentityMatch::Exact(
            "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main".into(),
        ),
    };
    let run = |bundle: &Value, root: &TrustedRoot| {
        verify_bundle(&serde_json::to_vec(bundle).unwrap(), Artifact::Bytes(&artifact), &conf, root)
            .unwrap_err()
    };
    // Rekor v2 with its RFC 3161 timestamp, relabelled 0.1 and stripped of its inclusion
    // proof: the timestamp still verifies, but there is no log entry any more.
    let staging = TrustedRoot::from_json(&read("conformance/rekor2-happy-path/trusted_root.json")).unwrap();
    let mut b: Value =
        serde_json::from_slice(&read("conformance/rekor2-happy-path/bundle.sigstore.json")).unwrap();
    b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1".into();
    b["verificationMaterial"]["tlogEntries"][0].as_object_mut().unwrap().remove("inclusionProof");
    let e = run(&b, &staging);
    assert_eq!(e, KeylessError::TlogInvalid("a version 0.1 bundle needs an inclusion promise (SET)".into()));
    // A 0.3 bundle without its SET and without a timestamp: no trusted time.
    let public_good = TrustedRoot::public_good();
    let mut b: Value =
        serde_json::from_slice(&read("conformance/happy-path-v0.3/bundle.sigstore.json")).unwrap();
    b["verificationMaterial"]["tlogEntries"][0].as_object_mut().unwrap().remove("inclusionPromise");
    let e = run(&b, &public_good);
    assert_eq!(e.class(), "timestamp-invalid", "{e}");
    // A 0.3 bundle without its inclusion proof, SET kept.
    let mut b: Value =
        serde_json::from_slice(&read("conformance/happy-path-v0.3/bundle.sigstore.json")).unwrap();
    b["verificationMaterial"]["tlogEntries"][0].as_object_mut().unwrap().remove("inclusionProof");
    assert_eq!(
        run(&b, &public_good),
        KeylessError::TlogInvalid("a version 0.2+ bundle needs an inclusion proof".into())
    );
    // A checkpoint padded with thousands of signature lines is refused before any is tried.
    let mut b: Value =
        serde_json::from_slice(&read("conformance/happy-path-v0.3/bundle.sigstore.json")).unwrap();
    let envelope = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"]
        .as_str()
        .unwrap()
        .to_owned();
    let padded = format!("{envelope}{}", "\u{2014} rekor.sigstore.dev wNI9ajBFAiBTyiBM9WtyOTgohje6QZ5rFGJUdMq7Wk3A6oThE98SUgIhAMvxDwa7FyqRqg+YV3rdPPrfS23w19iK+piMSGVOmP5w\n".repeat(5000));
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"] = padded.into();
    let e = run(&b, &public_good);
    assert!(matches!(&e, KeylessError::TlogInvalid(m) if m.starts_with("the checkpoint is ")), "{e}");
}
