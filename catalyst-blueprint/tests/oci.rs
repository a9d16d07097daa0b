//! Signed Blueprints against a real `docker-registry` on loopback, with keys and signatures
//! made by the openssl CLI as an independent check of the cosign format (OCI-2 … OCI-7).
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;

use catalyst_blueprint::artifact::{ArchiveError, ArtifactRef, Digest, Limits, Package};
use catalyst_blueprint::oci::{
    OciError, Password, PublicKey, Registry, RegistryOptions, SigningKey, Verification,
};
use catalyst_testkit::registry::{TestRegistry, fake_registry};
use oci_client::Reference;
use oci_client::client::{ClientConfig, ClientProtocol};

const BLUEPRINT: &str = "apiVersion: catalyst.openova.io/v1
kind: Blueprint
metadata: {name: bp-demo}
spec:
  version: VERSION
  card: {title: Demo}
  visibility: listed
  manifests: {chart: ./chart}
";

/// A Blueprint folder with a small chart; `version` goes into blueprint.yaml and Chart.yaml.
fn blueprint(root: &Path, version: &str) -> PathBuf {
    let dir = root.join(format!("demo-{version}"));
    fs::create_dir_all(dir.join("chart/templates")).unwrap();
    fs::write(dir.join("blueprint.yaml"), BLUEPRINT.replace("VERSION", version)).unwrap();
    fs::write(dir.join("chart/Chart.yaml"), format!("apiVersion: v2\nname: demo\nversion: {version}\n"))
        .unwrap();
    fs::write(dir.join("chart/values.yaml"), "replicas: 1\n").unwrap();
    fs::write(dir.join("chart/templates/cm.yaml"), "kind: ConfigMap\nmetadata: {name: demo}\n").unwrap();
    dir
}

/// Two ECDSA P-256 key pairs made by the openssl CLI ("a" and "b"), as SDK keys.
struct Keys(catalyst_testkit::registry::Keys);

impl Keys {
    fn new() -> Self {
        Self(catalyst_testkit::registry::Keys::new(&["a", "b"]))
    }
    fn path(&self, file: &str) -> PathBuf {
        self.0.path(file)
    }
    fn signing(&self, name: &str) -> SigningKey {
        let file = format!("{name}.key");
        SigningKey::from_pem(&self.0.read(&file), None, &file).unwrap()
    }
    fn public(&self, name: &str) -> PublicKey {
        let file = format!("{name}.pub");
        PublicKey::from_pem(&self.0.read(&file), &file).unwrap()
    }
}

fn registry(options: RegistryOptions) -> Registry {
    Registry::new(options.with_plain_http(true))
}

fn raw_client() -> oci_client::Client {
    oci_client::Client::new(ClientConfig { protocol: ClientProtocol::Http, ..ClientConfig::default() })
}

fn oci_ref(host: &str, repo: &str, tag: &str) -> Reference {
    Reference::with_tag(host.to_owned(), repo.to_owned(), tag.to_owned())
}

/// Pushes a cosign signature manifest built by hand (not by the SDK): one simple-signing
/// layer per (payload, DER signature).
async fn push_signature_by_hand(host: &str, repo: &str, for_digest: &Digest, sigs: &[(Vec<u8>, Vec<u8>)]) {
    let client = raw_client();
    let sig_ref = oci_ref(host, repo, &for_digest.signature_tag());
    let mut layers = Vec::new();
    for (payload, der) in sigs {
        let d = Digest::of(payload);
        client.push_blob(&sig_ref, payload.clone(), d.as_str()).await.unwrap();
        layers.push(serde_json::json!({
            "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
            "digest": d.as_str(), "size": payload.len(),
            "annotations": {"dev.cosignproject.cosign/signature": base64::engine::general_purpose::STANDARD.encode(der)}
        }));
    }
    let config = b"{}".to_vec();
    let cd = Digest::of(&config);
    client.push_blob(&sig_ref, config.clone(), cd.as_str()).await.unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd.as_str(), "size": config.len()},
        "layers": layers
    });
    client
        .push_manifest_raw(
            &sig_ref,
            serde_json::to_vec(&manifest).unwrap(),
            http::HeaderValue::from_static("application/vnd.oci.image.manifest.v1+json"),
        )
        .await
        .unwrap();
}

/// The payload cosign signs, written out by hand from the published format.
fn cosign_payload(docker_reference: &str, digest: &Digest) -> Vec<u8> {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{docker_reference}"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"cosign container image signature"}},"optional":null}}"#
    )
    .into_bytes()
}

use catalyst_testkit::registry::openssl_sign;

#[test]
fn packaging_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = blueprint(tmp.path(), "1.0.0");
    let a = Package::from_path(&dir, Some("https://github.com/openova-io/openova")).unwrap();
    // Touch every file: mtimes and the walk order of the file system must not matter.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    fs::write(dir.join("chart/values.yaml"), "replicas: 1\n").unwrap();
    let b = Package::from_path(&dir, Some("https://github.com/openova-io/openova")).unwrap();
    assert_eq!(a, b);
    assert_eq!(Digest::of(&a.manifest().to_bytes()), Digest::of(&b.manifest().to_bytes()));
    assert_eq!((a.name.as_str(), a.version.as_str(), a.chart.as_str()), ("bp-demo", "1.0.0", "demo"));
    assert_eq!(a.annotations["org.opencontainers.image.source"], "https://github.com/openova-io/openova");
    let manifest = String::from_utf8(a.manifest().to_bytes()).unwrap();
    assert!(
        manifest.contains(r#""config":{"mediaType":"application/vnd.cncf.helm.config.v1+json""#),
        "{manifest}"
    );
    assert!(
        manifest.contains(r#""mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip""#),
        "{manifest}"
    );

    // The .tgz of the folder packages to the same artifact.
    let tgz = tmp.path().join("demo-1.0.0.tgz");
    fs::write(&tgz, &a.layer).unwrap();
    assert_eq!(Package::from_path(&tgz, Some("https://github.com/openova-io/openova")).unwrap(), a);
}

#[test]
fn packaging_refuses_what_is_not_a_chart_blueprint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = blueprint(tmp.path(), "1.0.0");
    fs::remove_file(dir.join("chart/Chart.yaml")).unwrap();
    let e = Package::from_path(&dir, None).unwrap_err().to_string();
    assert!(
        e.ends_with(
            "Chart.yaml not found: only a Blueprint with a Helm chart can be published as an OCI artifact"
        ),
        "{e}"
    );

    let dir = blueprint(tmp.path(), "2.0.0");
    fs::write(
        dir.join("chart/Chart.yaml"),
        "apiVersion: v2\nname: demo\nversion: 2.0.0\ndependencies:\n- {name: cilium, version: 1.16.5}\n",
    )
    .unwrap();
    let e = Package::from_path(&dir, None).unwrap_err();
    assert!(matches!(e, ArchiveError::HollowChart { ref dep, .. } if dep == "cilium"), "{e}");

    let dir = blueprint(tmp.path(), "3.0.0");
    std::os::unix::fs::symlink("/etc/passwd", dir.join("chart/passwd")).unwrap();
    assert!(Package::from_path(&dir, None).unwrap_err().to_string().contains("is a symbolic link"));
}

/// A refusal names the cap it applied and what it saw: a 70 MB file trips the 64 MiB
/// per-file cap, not the 256 MiB total.
#[test]
fn packaging_names_the_cap_a_chart_folder_went_over() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = blueprint(tmp.path(), "1.0.0");
    // Sparse: 70 MB on paper, nothing on disk; refused on its size before it is read.
    fs::File::create(dir.join("chart/big.bin")).unwrap().set_len(70_000_000).unwrap();
    let Err(e) = Package::from_path(&dir, None) else { panic!("a 70 MB file was packaged") };
    assert_eq!(
        e.to_string(),
        format!(
            "archive too large: {} is 70000000 bytes (66.8 MiB), over the per-file cap of 67108864 bytes (64 MiB)",
            dir.join("chart/big.bin").display()
        )
    );
    assert!(matches!(
        e,
        ArchiveError::TooLarge {
            cap: catalyst_blueprint::artifact::Cap::File,
            limit: 67_108_864,
            seen: Some(70_000_000),
            ..
        }
    ));
}

#[tokio::test]
async fn push_sign_verify_pull_round_trip() {
    let reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let client = registry(RegistryOptions::default());
    let target: ArtifactRef = format!("{}/openova-io/bp-demo:1.0.0", reg.host()).parse().unwrap();

    let package = Package::from_path(&blueprint(tmp.path(), "1.0.0"), None).unwrap();
    let digest = client.push(&package, &target).await.unwrap();
    assert_eq!(digest, Digest::of(&package.manifest().to_bytes()));
    // Pushing the same content again changes nothing.
    assert_eq!(client.push(&package, &target).await.unwrap(), digest);
    client.sign(&target, &digest, &keys.signing("a")).await.unwrap();

    // Any one of several keys is enough.
    let verified = client.verify(&target, &[keys.public("b"), keys.public("a")]).await.unwrap();
    assert_eq!(
        (verified.digest.clone(), verified.key.as_str(), verified.signatures),
        (digest.clone(), "a.pub", 1)
    );

    let out = tmp.path().join("out");
    let pulled = client.pull(&target, &Verification::Keys(vec![keys.public("a")]), &out).await.unwrap();
    assert_eq!(pulled.digest, digest);
    assert_eq!(pulled.verified.unwrap().key, "a.pub");
    assert_eq!(pulled.unpacked.chart_dir, out.join("demo"));
    assert_eq!(
        fs::read_to_string(out.join("demo/blueprint.yaml")).unwrap(),
        BLUEPRINT.replace("VERSION", "1.0.0")
    );
    assert_eq!(
        fs::read_to_string(out.join("demo/templates/cm.yaml")).unwrap(),
        "kind: ConfigMap\nmetadata: {name: demo}\n"
    );

    // A second signature by another key sits beside the first.
    client.sign(&target, &digest, &keys.signing("b")).await.unwrap();
    let verified = client.verify(&target.at_digest(digest.clone()), &[keys.public("b")]).await.unwrap();
    assert_eq!((verified.key.as_str(), verified.signatures), ("b.pub", 2));
}

#[tokio::test]
async fn refusals_are_distinct_and_write_nothing() {
    let reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let client = registry(RegistryOptions::default());
    let repo = "openova-io/bp-demo";
    let at = |tag: &str| -> ArtifactRef { format!("{}/{repo}:{tag}", reg.host()).parse().unwrap() };
    let out = tmp.path().join("out");
    let only_a = Verification::Keys(vec![keys.public("a")]);

    // Unsigned.
    let unsigned = client
        .push(&Package::from_path(&blueprint(tmp.path(), "1.0.0"), None).unwrap(), &at("1.0.0"))
        .await
        .unwrap();
    let e = client.pull(&at("1.0.0"), &only_a, &out).await.unwrap_err();
    assert!(matches!(e, OciError::SignatureMissing { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "no signature: {}/{repo}@{unsigned} has no cosign signature (looked for tag {})",
            reg.host(),
            unsigned.signature_tag()
        )
    );
    assert!(!out.exists());

    // Signed by b, verified with a.
    client.sign(&at("1.0.0"), &unsigned, &keys.signing("b")).await.unwrap();
    let e = client.pull(&at("1.0.0"), &only_a, &out).await.unwrap_err();
    assert!(matches!(e, OciError::SignatureInvalid { signatures: 1, .. }), "{e}");
    assert!(
        e.to_string().starts_with("signature does not match any key: none of the 1 signature(s) of"),
        "{e}"
    );
    assert!(!out.exists());

    // A valid signature by a, whose payload names another artifact (the 2.0.0 digest),
    // stored under 1.0.0's signature tag.
    let other = client
        .push(&Package::from_path(&blueprint(tmp.path(), "2.0.0"), None).unwrap(), &at("2.0.0"))
        .await
        .unwrap();
    let payload = cosign_payload(&format!("{}/{repo}", reg.host()), &other);
    push_signature_by_hand(
        &reg.host(),
        repo,
        &unsigned,
        &[(payload.clone(), openssl_sign(&keys.path("a.key"), &payload))],
    )
    .await;
    let e = client.pull(&at("1.0.0"), &only_a, &out).await.unwrap_err();
    assert!(matches!(e, OciError::PayloadDigestMismatch { ref claimed, .. } if *claimed == other), "{e}");
    assert!(!out.exists());

    // A malformed signature: an annotation that is not base64.
    let payload = cosign_payload(&format!("{}/{repo}", reg.host()), &other);
    let three = client
        .push(&Package::from_path(&blueprint(tmp.path(), "3.0.0"), None).unwrap(), &at("3.0.0"))
        .await
        .unwrap();
    push_signature_by_hand(&reg.host(), repo, &three, &[(payload, b"\xff".to_vec())]).await;
    let e = client.verify(&at("3.0.0"), &[keys.public("a")]).await.unwrap_err();
    assert!(matches!(e, OciError::SignatureInvalid { .. } | OciError::MalformedSignature { .. }), "{e}");

    // The tag moved to new content: a reference pinned to the old digest is refused.
    let moved = client
        .push(&Package::from_path(&blueprint(tmp.path(), "4.0.0"), None).unwrap(), &at("1.0.0"))
        .await
        .unwrap();
    assert_ne!(moved, unsigned);
    let pinned: ArtifactRef = format!("{}/{repo}:1.0.0@{unsigned}", reg.host()).parse().unwrap();
    let e = client.pull(&pinned, &only_a, &out).await.unwrap_err();
    assert!(
        matches!(e, OciError::DigestMismatch { ref expected, ref actual, .. } if *expected == unsigned && *actual == moved),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        format!("digest mismatch for {pinned}: pinned {unsigned}, but the registry serves {moved}")
    );
    assert!(!out.exists());

    // Unknown tag.
    let e = client.pull(&at("9.9.9"), &only_a, &out).await.unwrap_err();
    assert!(matches!(e, OciError::NotFound(_)), "{e}");
}

/// Pushes a signed artifact whose chart layer is `layer`, bypassing packaging.
async fn push_raw_chart(
    reg: &TestRegistry,
    client: &Registry,
    key: &SigningKey,
    tag: &str,
    layer: Vec<u8>,
) -> ArtifactRef {
    let repo = "openova-io/bp-evil";
    let raw = raw_client();
    let r = oci_ref(&reg.host(), repo, tag);
    let config = br#"{"apiVersion":"v2","name":"evil","version":"1.0.0"}"#.to_vec();
    let (ld, cd) = (Digest::of(&layer), Digest::of(&config));
    raw.push_blob(&r, layer.clone(), ld.as_str()).await.unwrap();
    raw.push_blob(&r, config.clone(), cd.as_str()).await.unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": cd.as_str(), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": ld.as_str(), "size": layer.len()}]
    }))
    .unwrap();
    raw.push_manifest_raw(
        &r,
        manifest.clone(),
        http::HeaderValue::from_static("application/vnd.oci.image.manifest.v1+json"),
    )
    .await
    .unwrap();
    let target: ArtifactRef = format!("{}/{repo}:{tag}", reg.host()).parse().unwrap();
    client.sign(&target, &Digest::of(&manifest), key).await.unwrap();
    target
}

fn tgz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut b = tar::Builder::new(gz);
    for (path, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

#[tokio::test]
async fn malicious_archives_are_refused_after_verification_and_leave_nothing() {
    let reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let client = registry(
        RegistryOptions::new().with_limits(Limits { max_total_bytes: 8 * 1024 * 1024, ..Limits::default() }),
    );
    let verify = Verification::Keys(vec![keys.public("a")]);
    let out = tmp.path().join("out");
    let chart = b"apiVersion: v2\nname: evil\nversion: 1.0.0\n".as_slice();

    let traversal = push_raw_chart(
        &reg,
        &client,
        &keys.signing("a"),
        "traversal",
        tgz(&[("evil/Chart.yaml", chart), ("evil/../../etc/cron.d/x", b"* * * * * root sh")]),
    )
    .await;
    let e = client.pull(&traversal, &verify, &out).await.unwrap_err();
    assert_eq!(e.to_string(), "unsafe archive path \"evil/../../etc/cron.d/x\": contains a `..` component");

    let absolute =
        push_raw_chart(&reg, &client, &keys.signing("a"), "absolute", tgz(&[("/tmp/evil", b"x")])).await;
    let e = client.pull(&absolute, &verify, &out).await.unwrap_err();
    assert_eq!(e.to_string(), "unsafe archive path \"/tmp/evil\": is absolute");

    // 16 MiB of zeros compress to ~16 KiB: the cap counts decompressed bytes.
    let zeros = vec![0u8; 16 * 1024 * 1024];
    let bomb = push_raw_chart(
        &reg,
        &client,
        &keys.signing("a"),
        "bomb",
        tgz(&[("evil/Chart.yaml", chart), ("evil/zeros", &zeros)]),
    )
    .await;
    let e = client.pull(&bomb, &verify, &out).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "archive too large: the archive is at least 16777257 bytes (16.0 MiB), over the total-size cap of 8388608 bytes (8 MiB)"
    );

    // A layer over the download cap is not fetched at all.
    let small = registry(RegistryOptions::new().with_max_layer_bytes(1024));
    let big = push_raw_chart(
        &reg,
        &client,
        &keys.signing("a"),
        "big",
        tgz(&[
            ("evil/Chart.yaml", chart),
            ("evil/noise", &(0..200_000u32).flat_map(u32::to_le_bytes).collect::<Vec<_>>()),
        ]),
    )
    .await;
    let e = small.pull(&big, &verify, &out).await.unwrap_err();
    assert!(matches!(e, OciError::TooLarge { what: "chart layer", limit: 1024, .. }), "{e}");

    assert!(!out.exists());
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0, "no staging directory left behind");
}

#[tokio::test]
async fn signatures_interoperate_with_openssl_both_ways() {
    let reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let client = registry(RegistryOptions::default());
    let repo = "openova-io/bp-demo";
    let target: ArtifactRef = format!("{}/{repo}:1.0.0", reg.host()).parse().unwrap();
    let digest = client
        .push(&Package::from_path(&blueprint(tmp.path(), "1.0.0"), None).unwrap(), &target)
        .await
        .unwrap();

    // Made by openssl from the published format, verified by the SDK.
    let payload = cosign_payload(&format!("{}/{repo}", reg.host()), &digest);
    push_signature_by_hand(
        &reg.host(),
        repo,
        &digest,
        &[(payload.clone(), openssl_sign(&keys.path("b.key"), &payload))],
    )
    .await;
    assert_eq!(client.verify(&target, &[keys.public("b")]).await.unwrap().key, "b.pub");

    // Made by the SDK, checked by openssl.
    client.sign(&target, &digest, &keys.signing("a")).await.unwrap();
    let raw = raw_client();
    let (bytes, _) = raw
        .pull_manifest_raw(
            &oci_ref(&reg.host(), repo, &digest.signature_tag()),
            &oci_client::secrets::RegistryAuth::Anonymous,
            &["application/vnd.oci.image.manifest.v1+json"],
        )
        .await
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2, "the openssl signature is kept beside the new one");
    let ours = &layers[1];
    assert_eq!(ours["mediaType"], "application/vnd.dev.cosign.simplesigning.v1+json");
    let mut blob = Vec::new();
    raw.pull_blob(&oci_ref(&reg.host(), repo, "1.0.0"), ours["digest"].as_str().unwrap(), &mut blob)
        .await
        .unwrap();
    assert_eq!(blob, payload, "the SDK writes byte-for-byte the payload cosign writes");
    let der = base64::engine::general_purpose::STANDARD
        .decode(ours["annotations"]["dev.cosignproject.cosign/signature"].as_str().unwrap())
        .unwrap();
    fs::write(tmp.path().join("payload"), &blob).unwrap();
    fs::write(tmp.path().join("sig"), &der).unwrap();
    let o = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(keys.path("a.pub"))
        .arg("-signature")
        .arg(tmp.path().join("sig"))
        .arg(tmp.path().join("payload"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "Verified OK",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Issue 17 §10: a `Registry` is `Clone`, and each call counts its own bytes: concurrent
/// pulls on clones report what a lone pull does, not each other's bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_pull_concurrently_and_each_counts_its_own_bytes() {
    let reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let client = registry(RegistryOptions::new());
    let target: ArtifactRef = format!("{}/openova-io/bp-demo:1.0.0", reg.host()).parse().unwrap();
    let digest = client
        .push(&Package::from_path(&blueprint(tmp.path(), "1.0.0"), None).unwrap(), &target)
        .await
        .unwrap();
    client.sign(&target, &digest, &keys.signing("a")).await.unwrap();
    let verify = Verification::Keys(vec![keys.public("a")]);
    let alone = client.pull(&target, &verify, &tmp.path().join("alone")).await.unwrap().downloaded;
    assert!(alone > 0);
    let pulls: Vec<_> = (0..4)
        .map(|i| {
            let (client, target, verify) = (client.clone(), target.clone(), verify.clone());
            let out = tmp.path().join(format!("c{i}"));
            tokio::spawn(async move { client.pull(&target, &verify, &out).await.unwrap().downloaded })
        })
        .collect();
    for pull in pulls {
        assert_eq!(pull.await.unwrap(), alone);
    }
}

#[tokio::test]
async fn a_second_pull_of_a_digest_comes_from_the_cache_and_is_rechecked() {
    let mut reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let cache = tmp.path().join("cache");
    let client = registry(RegistryOptions::new().with_cache_dir(cache.clone()));
    let target: ArtifactRef = format!("{}/openova-io/bp-demo:1.0.0", reg.host()).parse().unwrap();
    let digest = client
        .push(&Package::from_path(&blueprint(tmp.path(), "1.0.0"), None).unwrap(), &target)
        .await
        .unwrap();
    client.sign(&target, &digest, &keys.signing("a")).await.unwrap();
    let verify = Verification::Keys(vec![keys.public("a")]);

    let first = client.pull(&target, &verify, &tmp.path().join("one")).await.unwrap();
    assert!(first.downloaded > 0);

    // The registry is gone: a pull by digest still works, from the cache, verified again.
    reg.stop();
    let by_digest = target.at_digest(digest.clone());
    let second = client.pull(&by_digest, &verify, &tmp.path().join("two")).await.unwrap();
    assert_eq!((second.downloaded, second.digest.clone()), (0, digest.clone()));
    assert_eq!(second.verified.unwrap().key, "a.pub");
    assert_eq!(
        fs::read(tmp.path().join("one/demo/Chart.yaml")).unwrap(),
        fs::read(tmp.path().join("two/demo/Chart.yaml")).unwrap()
    );
    // The cache does not vouch for a key it was not verified with.
    let e = client
        .pull(&by_digest, &Verification::Keys(vec![keys.public("b")]), &tmp.path().join("three"))
        .await
        .unwrap_err();
    assert!(matches!(e, OciError::Registry { .. }), "{e}");

    // A tampered cache entry is re-hashed, discarded, and (registry down) not used.
    let blobs = cache.join("blobs/sha256");
    let layer = fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| fs::read(p).unwrap().starts_with(&[0x1f, 0x8b]))
        .unwrap();
    fs::write(&layer, b"\x1f\x8b tampered").unwrap();
    let e = client.pull(&by_digest, &verify, &tmp.path().join("four")).await.unwrap_err();
    assert!(matches!(e, OciError::Registry { .. }), "{e}");
    assert!(!layer.exists(), "the bad blob was removed");
    assert!(!tmp.path().join("four").exists());
}

#[tokio::test]
async fn insecure_skip_is_explicit_and_marks_the_result_unverified() {
    let reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let client = registry(RegistryOptions::default());
    let target: ArtifactRef = format!("{}/openova-io/bp-demo:1.0.0", reg.host()).parse().unwrap();
    client.push(&Package::from_path(&blueprint(tmp.path(), "1.0.0"), None).unwrap(), &target).await.unwrap();
    let pulled = client.pull(&target, &Verification::InsecureSkip, &tmp.path().join("out")).await.unwrap();
    assert_eq!(pulled.verified, None);
    let e = client.pull(&target, &Verification::Keys(Vec::new()), &tmp.path().join("x")).await.unwrap_err();
    assert_eq!(e.to_string(), "verification needs at least one public key");
}

#[test]
fn keys_in_every_supported_form() {
    let keys = Keys::new();
    let a = keys.signing("a");
    assert_eq!(a.public_key().fingerprint(), keys.public("a").fingerprint());
    assert!(!format!("{a:?}").contains("PRIVATE"));

    // cosign's encrypted format, with the password from COSIGN_PASSWORD in real use.
    let pair =
        sigstore::crypto::signing_key::SigStoreKeyPair::from_pem(&fs::read(keys.path("a.key")).unwrap())
            .unwrap();
    let encrypted = pair.private_key_to_encrypted_pem(b"s3cret").unwrap();
    let key =
        SigningKey::from_pem(encrypted.as_bytes(), Some(&Password::new("s3cret")), "cosign.key").unwrap();
    let sig = key.sign(b"payload").unwrap();
    assert!(keys.public("a").verifies(&sig, b"payload"));
    assert!(!keys.public("b").verifies(&sig, b"payload"));
    assert_eq!(
        SigningKey::from_pem(encrypted.as_bytes(), None, "cosign.key").unwrap_err().to_string(),
        "cosign.key: the key is encrypted; set COSIGN_PASSWORD"
    );
    assert!(
        SigningKey::from_pem(encrypted.as_bytes(), Some(&Password::new("wrong")), "cosign.key")
            .unwrap_err()
            .to_string()
            .contains("wrong password")
    );

    // A public key given as the private key, and junk.
    assert!(
        SigningKey::from_pem(&fs::read(keys.path("a.pub")).unwrap(), None, "a.pub")
            .unwrap_err()
            .to_string()
            .contains("\"PUBLIC KEY\" is not a PKCS#8")
    );
    assert_eq!(
        PublicKey::from_pem(b"hello", "x.pub").unwrap_err().to_string(),
        "x.pub: not a PEM public key"
    );
    // A P-384 key cannot make the P-256 signatures cosign verifies here.
    let p384 = keys.path("p384.key");
    let out = Command::new("openssl")
        .args(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out"])
        .arg(&p384)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e = SigningKey::from_pem(&fs::read(&p384).unwrap(), None, "p384.key").unwrap_err().to_string();
    assert!(e.contains("cosign signatures here are ECDSA P-256"), "{e}");
    assert_eq!(format!("{:?}", Password::new("x")), "Password(<redacted>)");
}

/// Copies `from_tag` of `from_repo` (manifest and blobs) to `to_tag` of `to_repo`, as an
/// attacker with write access to the registry (or a mirror) would.
async fn copy_tag(host: &str, from_repo: &str, from_tag: &str, to_repo: &str, to_tag: &str) {
    let c = raw_client();
    let anon = oci_client::secrets::RegistryAuth::Anonymous;
    let from = oci_ref(host, from_repo, from_tag);
    let to = oci_ref(host, to_repo, to_tag);
    let (manifest, _) =
        c.pull_manifest_raw(&from, &anon, &["application/vnd.oci.image.manifest.v1+json"]).await.unwrap();
    let m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let mut descriptors = vec![m["config"].clone()];
    descriptors.extend(m["layers"].as_array().unwrap().iter().cloned());
    for d in descriptors {
        let digest = d["digest"].as_str().unwrap();
        let desc = oci_client::manifest::OciDescriptor { digest: digest.to_owned(), ..Default::default() };
        let mut blob = Vec::new();
        c.pull_blob(&from, &desc, &mut blob).await.unwrap();
        c.push_blob(&to, blob, digest).await.unwrap();
    }
    c.push_manifest_raw(
        &to,
        manifest.to_vec(),
        http::HeaderValue::from_static("application/vnd.oci.image.manifest.v1+json"),
    )
    .await
    .unwrap();
}

/// Issue 16 §4: a validly signed artifact served under another name or version is refused:
/// the signature names another repository, or the Blueprint inside is another version.
#[tokio::test]
async fn substituted_artifacts_are_refused_as_reference_mismatch() {
    let reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let client = registry(RegistryOptions::default());
    let only_a = Verification::Keys(vec![keys.public("a")]);
    let host = reg.host();
    let at = |repo: &str, tag: &str| -> ArtifactRef { format!("{host}/{repo}:{tag}").parse().unwrap() };

    // bp-demo 0.1.0, properly signed in its own repository.
    let old = client
        .push(
            &Package::from_path(&blueprint(tmp.path(), "0.1.0"), None).unwrap(),
            &at("openova-io/bp-demo", "0.1.0"),
        )
        .await
        .unwrap();
    client.sign(&at("openova-io/bp-demo", "0.1.0"), &old, &keys.signing("a")).await.unwrap();

    // Served as bp-x:9.9.9 with its signature copied along: the signature names bp-demo.
    copy_tag(&host, "openova-io/bp-demo", "0.1.0", "openova-io/bp-x", "9.9.9").await;
    copy_tag(&host, "openova-io/bp-demo", &old.signature_tag(), "openova-io/bp-x", &old.signature_tag())
        .await;
    let out = tmp.path().join("x");
    let e = client.pull(&at("openova-io/bp-x", "9.9.9"), &only_a, &out).await.unwrap_err();
    assert!(matches!(e, OciError::ReferenceMismatch { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "reference mismatch for {host}/openova-io/bp-x@{old}: the signature was made for {host}/openova-io/bp-demo, not {host}/openova-io/bp-x (a mirror? configure it: MIRROR=UPSTREAM)"
        )
    );
    assert!(!out.exists());
    let e = client.verify(&at("openova-io/bp-x", "9.9.9"), &[keys.public("a")]).await.unwrap_err();
    assert!(matches!(e, OciError::ReferenceMismatch { .. }), "{e}");

    // Rolled back: 0.1.0's manifest under tag 0.2.0 of the same repository. The signature is
    // for this repository and digest, but the artifact is 0.1.0.
    copy_tag(&host, "openova-io/bp-demo", "0.1.0", "openova-io/bp-demo", "0.2.0").await;
    let e = client.pull(&at("openova-io/bp-demo", "0.2.0"), &only_a, &out).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "reference mismatch for {host}/openova-io/bp-demo:0.2.0: the manifest's org.opencontainers.image.version is \"0.1.0\", not \"0.2.0\""
        )
    );
    assert!(!out.exists());
    // The signature alone is good (right repository, right digest): `verify` accepts it, and
    // only `verify_blueprint` (what the blueprint-controller uses) sees the rollback.
    let only_a_keys = [keys.public("a")];
    assert_eq!(client.verify(&at("openova-io/bp-demo", "0.2.0"), &only_a_keys).await.unwrap().digest, old);
    let e = client.verify_blueprint(&at("openova-io/bp-demo", "0.2.0"), &only_a_keys).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "reference mismatch for {host}/openova-io/bp-demo:0.2.0: the manifest's org.opencontainers.image.version is \"0.1.0\", not \"0.2.0\""
        )
    );
    let e = client.verify_blueprint(&at("openova-io/bp-x", "9.9.9"), &only_a_keys).await.unwrap_err();
    assert!(matches!(e, OciError::ReferenceMismatch { .. }), "{e}");
    let verified = client.verify_blueprint(&at("openova-io/bp-demo", "0.1.0"), &only_a_keys).await.unwrap();
    assert_eq!((verified.digest, verified.key.as_str()), (old.clone(), "a.pub"));
    // Even without the annotation, the blueprint.yaml inside decides.
    let pkg = Package::from_path(&blueprint(tmp.path(), "0.1.0"), None).unwrap();
    let mut bare = pkg.clone();
    bare.annotations.clear();
    let d = client.push(&bare, &at("openova-io/bp-demo", "0.3.0")).await.unwrap();
    client.sign(&at("openova-io/bp-demo", "0.3.0"), &d, &keys.signing("a")).await.unwrap();
    let e = client.pull(&at("openova-io/bp-demo", "0.3.0"), &only_a, &out).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "reference mismatch for {host}/openova-io/bp-demo:0.3.0: the artifact holds bp-demo version \"0.1.0\", not \"0.3.0\""
        )
    );
    assert!(!out.exists());
    // `verify_blueprint` reads that blueprint.yaml in memory, from the chart layer.
    let e = client.verify_blueprint(&at("openova-io/bp-demo", "0.3.0"), &only_a_keys).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "reference mismatch for {host}/openova-io/bp-demo:0.3.0: the artifact holds bp-demo version \"0.1.0\", not \"0.3.0\""
        )
    );
    // The same bare manifest under a tag naming its version (`v0.1.0` is 0.1.0) verifies.
    copy_tag(&host, "openova-io/bp-demo", "0.3.0", "openova-io/bp-demo", "v0.1.0").await;
    let verified = client.verify_blueprint(&at("openova-io/bp-demo", "v0.1.0"), &only_a_keys).await.unwrap();
    assert_eq!(verified.digest, d);

    // A release-line tag admits only its line: 0.1.0 under `0.2` is refused, under `0.1` pulls.
    copy_tag(&host, "openova-io/bp-demo", "0.1.0", "openova-io/bp-demo", "0.2").await;
    let e = client.pull(&at("openova-io/bp-demo", "0.2"), &only_a, &out).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "reference mismatch for {host}/openova-io/bp-demo:0.2: the manifest's org.opencontainers.image.version is \"0.1.0\", not a final 0.2.x version"
        )
    );
    copy_tag(&host, "openova-io/bp-demo", "0.1.0", "openova-io/bp-demo", "0.1").await;
    client.pull(&at("openova-io/bp-demo", "0.1"), &only_a, &tmp.path().join("line")).await.unwrap();
    // The genuine article still pulls, and so does a non-version tag.
    client.pull(&at("openova-io/bp-demo", "0.1.0"), &only_a, &out).await.unwrap();
    copy_tag(&host, "openova-io/bp-demo", "0.1.0", "openova-io/bp-demo", "latest").await;
    client.pull(&at("openova-io/bp-demo", "latest"), &only_a, &tmp.path().join("latest")).await.unwrap();
    // Any other tag names a version exactly (found by review: `stable` admitted any version).
    copy_tag(&host, "openova-io/bp-demo", "0.1.0", "openova-io/bp-demo", "stable").await;
    let e = client
        .pull(&at("openova-io/bp-demo", "stable"), &only_a, &tmp.path().join("stable"))
        .await
        .unwrap_err();
    assert!(matches!(e, OciError::ReferenceMismatch { .. }), "{e}");
}

/// OCI-6: a Harbor proxy-cache path serves the upstream's artifacts, signed under the
/// upstream name; a configured mirror maps one to the other, nothing else does.
#[tokio::test]
async fn a_configured_mirror_maps_the_signed_name() {
    let reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let host = reg.host();
    let client = registry(RegistryOptions::default());
    let up: ArtifactRef = format!("{host}/openova-io/bp-demo:1.0.0").parse().unwrap();
    let d =
        client.push(&Package::from_path(&blueprint(tmp.path(), "1.0.0"), None).unwrap(), &up).await.unwrap();
    client.sign(&up, &d, &keys.signing("a")).await.unwrap();
    copy_tag(&host, "openova-io/bp-demo", "1.0.0", "proxy-ghcr/openova-io/bp-demo", "1.0.0").await;
    copy_tag(
        &host,
        "openova-io/bp-demo",
        &d.signature_tag(),
        "proxy-ghcr/openova-io/bp-demo",
        &d.signature_tag(),
    )
    .await;
    let mirrored: ArtifactRef = format!("{host}/proxy-ghcr/openova-io/bp-demo:1.0.0").parse().unwrap();
    let keys_a = Verification::Keys(vec![keys.public("a")]);
    let e = client.pull(&mirrored, &keys_a, &tmp.path().join("a")).await.unwrap_err();
    assert!(matches!(e, OciError::ReferenceMismatch { .. }), "{e}");
    let with_mirror =
        registry(RegistryOptions::new().with_mirror(format!("{host}/proxy-ghcr={host}").parse().unwrap()));
    let pulled = with_mirror.pull(&mirrored, &keys_a, &tmp.path().join("b")).await.unwrap();
    assert_eq!(pulled.digest, d);
}

/// Issue 16 §4: a silent registry cannot hang verification: the deadline ends it with
/// `Timeout`, well within the minute.
#[tokio::test]
async fn a_silent_registry_hits_the_deadline() {
    let host = fake_registry(|_| None);
    let client = registry(RegistryOptions::new().with_deadline(std::time::Duration::from_secs(2)));
    let keys = Keys::new();
    let r: ArtifactRef = format!("{host}/openova-io/bp-demo:1.0.0").parse().unwrap();
    let started = std::time::Instant::now();
    let e = client.verify(&r, &[keys.public("a")]).await.unwrap_err();
    assert!(matches!(e, OciError::Timeout { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!("{r}: the registry did not finish within 2s (deadline); nothing was written")
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    // The read timeout alone ends a silent answer too.
    let client = registry(RegistryOptions::new().with_read_timeout(std::time::Duration::from_secs(1)));
    let started = std::time::Instant::now();
    let e = client.verify(&r, &[keys.public("a")]).await.unwrap_err();
    assert!(matches!(e, OciError::Registry { .. }), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
}

/// Issue 16 §4: a manifest is read as a stream and refused once it passes 4 MiB, whatever
/// the server claims: an endless manifest costs 4 MiB, not its size.
#[tokio::test]
async fn oversized_manifests_are_refused_while_streaming() {
    let host = fake_registry(|head| {
        let mut raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nConnection: close\r\n\r\n".to_vec();
        if head.contains("/manifests/") {
            // No Content-Length: the body runs until the connection closes; 64 MiB of it.
            raw.extend(std::iter::repeat_n(b' ', 64 * 1024 * 1024));
        }
        Some(raw)
    });
    let client = registry(RegistryOptions::default());
    let r: ArtifactRef = format!("{host}/openova-io/bp-demo:1.0.0").parse().unwrap();
    let e = client.resolve(&r).await.unwrap_err();
    assert!(matches!(e, OciError::TooLarge { what: "manifest", limit: 4_194_304, .. }), "{e}");
    // A lying Content-Length is refused before the body is read.
    let host = fake_registry(|_| {
        Some(b"HTTP/1.1 200 OK\r\nContent-Length: 629145600\r\nConnection: close\r\n\r\n{}".to_vec())
    });
    let r: ArtifactRef = format!("{host}/openova-io/bp-demo:1.0.0").parse().unwrap();
    let e = client.resolve(&r).await.unwrap_err();
    assert_eq!(e.to_string(), format!("{r}: manifest is 629145600 bytes; the limit is 4194304"));
}

/// Issue 16 §2: plain HTTP is for loopback registries only; anything else is refused before
/// a connection is made, so credentials never travel in clear.
#[tokio::test]
async fn plain_http_is_refused_off_loopback() {
    let client = registry(RegistryOptions::default());
    for remote in ["registry.example.test/openova-io/bp-demo:1.0.0", "10.0.0.1:5000/openova-io/bp-demo:1.0.0"]
    {
        let r: ArtifactRef = remote.parse().unwrap();
        let e = client.resolve(&r).await.unwrap_err();
        assert!(matches!(e, OciError::Usage(_)), "{e}");
        assert!(e.to_string().starts_with("plain HTTP is only allowed to a registry on loopback"), "{e}");
    }
    for local in ["localhost:5000", "127.0.0.1:5000", "127.9.9.9", "[::1]:5000", "LOCALHOST"] {
        assert!(catalyst_blueprint::oci::is_loopback_registry(local), "{local}");
    }
    for remote in ["localhost.example.test", "128.0.0.1:5000", "[::2]:5000", "example.test:5000"] {
        assert!(!catalyst_blueprint::oci::is_loopback_registry(remote), "{remote}");
    }
}

/// Found by review: oci-client sent the registry credentials to whatever token realm a
/// registry named (any host, plain HTTP). The SDK runs the token flow itself: a realm on the
/// registry's own site over HTTPS (plain HTTP only on loopback) gets them, nothing else does.
#[tokio::test]
async fn credentials_go_only_to_a_realm_on_the_registrys_site() {
    use std::sync::{Arc, Mutex};
    let realm_seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = realm_seen.clone();
    let realm = fake_registry(move |head| {
        seen.lock().unwrap().push(head.to_owned());
        Some(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 19\r\nConnection: close\r\n\r\n{\"token\":\"tok-123\"}".to_vec())
    });
    let challenge = |realm: &str| {
        format!(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"{realm}\",service=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    };
    let realm_url = format!("http://{realm}/token");
    let reg_seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = reg_seen.clone();
    let c = challenge(&realm_url);
    let host = fake_registry(move |head| {
        seen.lock().unwrap().push(head.to_owned());
        if head.contains("Authorization: Bearer tok-123") || head.contains("authorization: Bearer tok-123") {
            Some(b"HTTP/1.1 404 Not Found\r\nContent-Length: 52\r\nConnection: close\r\n\r\n{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"\"}]}".to_vec())
        } else {
            Some(c.clone().into_bytes())
        }
    });
    let client =
        registry(RegistryOptions::new().with_credentials(Some(catalyst_blueprint::oci::Credentials::new(
            host.clone(),
            "robot",
            "s3cret",
        ))));
    let r: ArtifactRef = format!("{host}/openova-io/bp-demo:1.0.0").parse().unwrap();
    let e = client.resolve(&r).await.unwrap_err();
    assert!(matches!(e, OciError::NotFound(_)), "{e}");
    let token_request = realm_seen.lock().unwrap().join("\n").to_ascii_lowercase();
    assert!(token_request.contains("scope=repository%3aopenova-io%2fbp-demo%3apull"), "{token_request}");
    assert!(
        token_request.contains("authorization: basic cm9ib3q6cznjcmv0"),
        "the realm gets the credentials: {token_request}"
    );
    assert!(
        !reg_seen.lock().unwrap().join("\n").to_ascii_lowercase().contains("basic"),
        "the registry never sees them"
    );

    // Another registry never gets them: a Basic challenge from it goes unanswered.
    let basic = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    let evil_seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = evil_seen.clone();
    let evil = fake_registry(move |head| {
        seen.lock().unwrap().push(head.to_owned());
        Some(basic.clone())
    });
    let r: ArtifactRef = format!("{evil}/openova-io/bp-demo:1.0.0").parse().unwrap();
    let e = client.resolve(&r).await.unwrap_err();
    assert!(e.to_string().contains("the registry wants credentials"), "{e}");
    assert!(
        !evil_seen.lock().unwrap().join("\n").to_ascii_lowercase().contains("authorization"),
        "credentials sent to another registry"
    );

    // A realm on another host never gets them (nor any request).
    let c = challenge("https://attacker.example.test/token");
    let host = fake_registry(move |_| Some(c.clone().into_bytes()));
    let client =
        registry(RegistryOptions::new().with_credentials(Some(catalyst_blueprint::oci::Credentials::new(
            host.clone(),
            "robot",
            "s3cret",
        ))));
    let r: ArtifactRef = format!("{host}/openova-io/bp-demo:1.0.0").parse().unwrap();
    let e = client.resolve(&r).await.unwrap_err();
    assert!(
        e.to_string().contains(
            "sends its token requests to attacker.example.test, another host; credentials are not sent there"
        ),
        "{e}"
    );
}

/// Found by review: a signature manifest could list ~20,000 payloads, each fetched (64 KiB)
/// before anything was verified. More than 16 is refused before any is fetched.
#[tokio::test]
async fn signature_fan_out_is_capped() {
    let reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let client = registry(RegistryOptions::default());
    let at: ArtifactRef = format!("{}/openova-io/bp-demo:1.0.0", reg.host()).parse().unwrap();
    let d =
        client.push(&Package::from_path(&blueprint(tmp.path(), "1.0.0"), None).unwrap(), &at).await.unwrap();
    let payload = cosign_payload(&format!("{}/openova-io/bp-demo", reg.host()), &d);
    let sig = openssl_sign(&keys.path("a.key"), &payload);
    let many: Vec<(Vec<u8>, Vec<u8>)> = (0..17).map(|_| (payload.clone(), sig.clone())).collect();
    push_signature_by_hand(&reg.host(), "openova-io/bp-demo", &d, &many).await;
    let e = client.verify(&at, &[keys.public("a")]).await.unwrap_err();
    assert!(matches!(e, OciError::MalformedSignature { .. }), "{e}");
    assert!(e.to_string().ends_with("17 signatures; at most 16 are read"), "{e}");
}
