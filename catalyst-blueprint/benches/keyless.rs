//! Keyless verification: one Sigstore bundle offline (Rekor v1 with SET and inclusion proof;
//! Rekor v2 with an RFC 3161 timestamp), one cosign keyless OCI layer offline, and the
//! signature check of an artifact through a loopback docker-registry, key-based against
//! keyless (the part of a pull that differs between the two; see BENCHMARKS.md).
//! `cargo bench -p catalyst-blueprint --features oci --bench keyless`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use catalyst_blueprint::artifact::{ArtifactRef, Digest, Manifest, Package};
use catalyst_blueprint::oci::keyless::{Artifact, TrustedRoot, verify_bundle, verify_cosign_layer};
use catalyst_blueprint::oci::{
    IdentityMatch, KeylessPolicy, PublicKey, Registry, RegistryOptions, SigningKey, Verification,
};
use catalyst_testkit::registry::TestRegistry;
use criterion::{Criterion, criterion_group, criterion_main};

fn fixtures() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/sigstore");
    assert!(dir.join("cases.json").is_file(), "fixtures missing at {}", dir.display());
    dir
}

const CONF_ID: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const LAYER_ID: &str = "cosign-svc-account@mineral-minutia-820.iam.gserviceaccount.com";
const IMAGE: &str = "sha256:a2b109fb9baea555556561317fdd13cef9c3dfac22c8f8fea0c5a0b06ece9d00";

fn policy(issuer: &str, identity: &str) -> KeylessPolicy {
    KeylessPolicy { issuer: issuer.into(), identity: IdentityMatch::Exact(identity.into()) }
}

fn offline(c: &mut Criterion) {
    let dir = fixtures();
    let read = |p: &str| std::fs::read(dir.join(p)).unwrap();
    let public_good = TrustedRoot::public_good();
    let staging = TrustedRoot::from_json(&read("conformance/rekor2-happy-path/trusted_root.json")).unwrap();
    let artifact = read("conformance/a.txt");
    let v03 = read("conformance/happy-path-v0.3/bundle.sigstore.json");
    let rekor2 = read("conformance/rekor2-happy-path/bundle.sigstore.json");
    let manifest = Manifest::parse(&read("oci/bazel-keyless/signature-manifest.json")).unwrap();
    let payload = read("oci/bazel-keyless/payload.json");
    let image: Digest = IMAGE.parse().unwrap();
    let conf = policy(GITHUB, CONF_ID);
    let mut g = c.benchmark_group("keyless_offline");
    g.bench_function("trusted_root_parse", |b| b.iter(TrustedRoot::public_good));
    g.bench_function("bundle_v03_rekor_v1", |b| {
        b.iter(|| verify_bundle(&v03, Artifact::Bytes(&artifact), &conf, &public_good).unwrap());
    });
    g.bench_function("bundle_v03_rekor_v2_rfc3161", |b| {
        b.iter(|| verify_bundle(&rekor2, Artifact::Bytes(&artifact), &conf, &staging).unwrap());
    });
    let google = policy("https://accounts.google.com", LAYER_ID);
    g.bench_function("cosign_keyless_layer", |b| {
        b.iter(|| verify_cosign_layer(&manifest.layers[1], &payload, &image, &google, &public_good).unwrap());
    });
    g.finish();
}

fn through_registry(c: &mut Criterion) {
    let dir = fixtures();
    let reg = TestRegistry::start().expect("docker-registry");
    let host = reg.host();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = Registry::new(RegistryOptions::new().with_plain_http(true));
    // Key-based: an SDK-pushed Blueprint signed with a P-256 key.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("chart")).unwrap();
    std::fs::write(
        src.join("blueprint.yaml"),
        "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-small}\nspec: {version: 1.0.0, card: {title: Small}, visibility: listed}\n",
    )
    .unwrap();
    std::fs::write(src.join("chart/Chart.yaml"), "apiVersion: v2\nname: small\nversion: 1.0.0\n").unwrap();
    let keys = catalyst_testkit::registry::Keys::new(&["k"]);
    let signing = SigningKey::from_pem(&keys.read("k.key"), None, "k.key").unwrap();
    let public = PublicKey::from_pem(&keys.read("k.pub"), "k.pub").unwrap();
    let target: ArtifactRef = format!("{host}/openova-io/bp-small:1.0.0").parse().unwrap();
    let package = Package::from_path(&src, None).unwrap();
    let digest = rt.block_on(client.push(&package, &target)).unwrap();
    rt.block_on(client.sign(&target, &digest, &signing)).unwrap();
    let key_ref = target.at_digest(digest);
    // Keyless: the fixtures' real cosign keyless layer in a signature manifest.
    let manifest =
        Manifest::parse(&std::fs::read(dir.join("oci/bazel-keyless/signature-manifest.json")).unwrap())
            .unwrap();
    let payload = std::fs::read(dir.join("oci/bazel-keyless/payload.json")).unwrap();
    let repo = "mineral-minutia-820/repo1/securebuild-bazel";
    rt.block_on(async {
        let raw = oci_client::Client::new(oci_client::client::ClientConfig {
            protocol: oci_client::client::ClientProtocol::Http,
            ..Default::default()
        });
        let r = oci_client::Reference::with_tag(host.clone(), repo.into(), format!("{}.sig", IMAGE.replace(':', "-")));
        let config = b"{}".to_vec();
        let cd = Digest::of(&config);
        raw.push_blob(&r, payload.clone(), manifest.layers[1].digest.as_str()).await.unwrap();
        raw.push_blob(&r, config.clone(), cd.as_str()).await.unwrap();
        let m = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd.as_str(), "size": 2},
            "layers": [manifest.layers[1]]});
        raw.push_manifest_raw(&r, serde_json::to_vec(&m).unwrap(), http::HeaderValue::from_static("application/vnd.oci.image.manifest.v1+json"))
            .await
            .unwrap();
    });
    let keyless_ref: ArtifactRef = format!("{host}/{repo}@{IMAGE}").parse().unwrap();
    let keyed = Verification::Keys(vec![public]);
    let keyless = Verification::Keyless {
        policy: policy("https://accounts.google.com", LAYER_ID),
        root: Arc::new(TrustedRoot::public_good()),
    };
    let mut g = c.benchmark_group("signature_check_via_registry");
    g.sample_size(30);
    g.bench_function("key_based", |b| b.iter(|| rt.block_on(client.verify_with(&key_ref, &keyed)).unwrap()));
    g.bench_function("keyless_cosign_layer", |b| {
        b.iter(|| rt.block_on(client.verify_with(&keyless_ref, &keyless)).unwrap());
    });
    g.finish();
}

criterion_group!(benches, offline, through_registry);
criterion_main!(benches);
