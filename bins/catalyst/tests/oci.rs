//! `catalyst blueprint push|pull|verify` against a real docker-registry on loopback: the
//! round trip and every refusal, with exit code 1 and a message naming the reason.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use catalyst_blueprint::artifact::{ArtifactRef, Digest};
use catalyst_blueprint::oci::{Registry, RegistryOptions, SigningKey};
use catalyst_testkit::cli::{stderr, stdout};
use catalyst_testkit::registry::TestRegistry;
use oci_client::Reference;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn catalyst(args: &[&str], env: &[(&str, &Path)]) -> Output {
    catalyst_testkit::catalyst_cli!().run_with(args, env)
}

struct World {
    reg: TestRegistry,
    tmp: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        let w = Self { reg: TestRegistry::start().unwrap(), tmp: tempfile::tempdir().unwrap() };
        let keys = catalyst_testkit::registry::Keys::new(&["a", "b"]);
        for file in ["a.key", "a.pub", "b.key", "b.pub"] {
            fs::copy(keys.path(file), w.path(file)).unwrap();
        }
        w
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn s(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    fn blueprint(&self, version: &str) -> String {
        let dir = self.path(&format!("src-{version}"));
        fs::create_dir_all(dir.join("chart/templates")).unwrap();
        fs::write(
            dir.join("blueprint.yaml"),
            format!("apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: bp-demo}}\nspec: {{version: {version}, card: {{title: Demo}}, visibility: listed}}\n"),
        )
        .unwrap();
        fs::write(dir.join("chart/Chart.yaml"), format!("apiVersion: v2\nname: demo\nversion: {version}\n"))
            .unwrap();
        fs::write(dir.join("chart/templates/cm.yaml"), "kind: ConfigMap\n").unwrap();
        dir.display().to_string()
    }

    fn reference(&self, tag: &str) -> String {
        format!("{}/openova-io/bp-demo:{tag}", self.reg.host())
    }

    fn push(&self, version: &str, tag: &str, sign_with: Option<&str>) -> String {
        let key = sign_with.map(|k| self.path(&format!("{k}.key")));
        let mut args = vec!["-o", "json", "blueprint", "push", "--plain-http"];
        if key.is_some() {
            args.push("--sign");
        }
        let src = self.blueprint(version);
        let reference = self.reference(tag);
        args.extend([src.as_str(), reference.as_str()]);
        let env: Vec<(&str, &Path)> = key.as_deref().map(|k| ("CATALYST_SIGN_KEY", k)).into_iter().collect();
        let o = catalyst(&args, &env);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        v["digest"].as_str().unwrap().to_owned()
    }

    fn pull(&self, reference: &str, key: &str, out: &str) -> Output {
        catalyst(
            &[
                "blueprint",
                "pull",
                "--plain-http",
                reference,
                "--key",
                &self.s(&format!("{key}.pub")),
                "--out",
                &self.s(out),
            ],
            &[],
        )
    }
}

fn raw() -> oci_client::Client {
    oci_client::Client::new(ClientConfig { protocol: ClientProtocol::Http, ..ClientConfig::default() })
}

#[test]
fn push_sign_verify_pull_from_the_command_line() {
    let w = World::new();
    let digest = w.push("1.0.0", "1.0.0", Some("a"));

    let o = catalyst(
        &[
            "blueprint",
            "verify",
            "--plain-http",
            &w.reference("1.0.0"),
            "--key",
            &w.s("b.pub"),
            "--key",
            &w.s("a.pub"),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{digest}\n"));

    let o = w.pull(&w.reference("1.0.0"), "a", "out");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "digest {digest}\nverified with {}\nunpacked 3 files into {}\n",
            w.s("a.pub"),
            w.s("out/demo")
        )
    );
    assert!(w.path("out/demo/blueprint.yaml").is_file());

    // JSON, pinned by digest.
    let pinned = format!("{}@{digest}", w.reference("1.0.0"));
    let o = catalyst(
        &[
            "-o",
            "json",
            "blueprint",
            "pull",
            "--plain-http",
            &pinned,
            "--key",
            &w.s("a.pub"),
            "--out",
            &w.s("out2"),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["digest"], digest.as_str());
    assert_eq!(v["verified"], w.s("a.pub").as_str());
}

#[test]
fn every_refusal_exits_1_and_names_the_reason() {
    let w = World::new();
    let host = w.reg.host();

    // Unsigned.
    let unsigned = w.push("1.0.0", "1.0.0", None);
    let o = w.pull(&w.reference("1.0.0"), "a", "out");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "error: no signature: {host}/openova-io/bp-demo@{unsigned} has no cosign signature (looked for tag sha256-{}.sig)\n",
            &unsigned[7..]
        )
    );

    // Wrong key.
    w.push("2.0.0", "2.0.0", Some("b"));
    let o = w.pull(&w.reference("2.0.0"), "a", "out");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: signature does not match any key: none of the 1 signature(s) of"),
        "{}",
        stderr(&o)
    );

    // A signature of 2.0.0 copied to 1.0.0's signature tag: valid, but for another digest.
    let two = Digest::parse(&w.push("2.0.0", "2.0.0", Some("a"))).unwrap();
    let unsigned = Digest::parse(&unsigned).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let c = raw();
        let repo = "openova-io/bp-demo".to_owned();
        let (bytes, _) = c
            .pull_manifest_raw(
                &Reference::with_tag(host.clone(), repo.clone(), two.signature_tag()),
                &RegistryAuth::Anonymous,
                &[OCI_MANIFEST],
            )
            .await
            .unwrap();
        c.push_manifest_raw(
            &Reference::with_tag(host.clone(), repo, unsigned.signature_tag()),
            bytes,
            http::HeaderValue::from_static(OCI_MANIFEST),
        )
        .await
        .unwrap();
    });
    let o = w.pull(&w.reference("1.0.0"), "a", "out");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "error: payload digest mismatch: the signature of {host}/openova-io/bp-demo@{unsigned} signs {two}, not this artifact\n"
        )
    );

    // The tag moved: pinned to the old digest, refused.
    let three = w.push("3.0.0", "2.0.0", Some("a"));
    let o = w.pull(&format!("{}@{two}", w.reference("2.0.0")), "a", "out");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "error: digest mismatch for {}@{two}: pinned {two}, but the registry serves {three}\n",
            w.reference("2.0.0")
        )
    );

    // A signed artifact whose archive escapes the target.
    let evil = rt.block_on(push_evil(&w));
    let o = w.pull(&evil, "a", "out");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "error: unsafe archive path \"demo/../../escape\": contains a `..` component\n");
    assert!(!w.path("out").exists() && !w.path("escape").exists());

    // Usage: no key and no --insecure-skip-verify; a bad reference; --sign without a key file.
    let o = catalyst(&["blueprint", "pull", &w.reference("1.0.0"), "--out", &w.s("out")], &[]);
    assert_eq!(o.status.code(), Some(2));
    let o = w.pull("ghcr.io/x/Bad:1", "a", "out");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("invalid reference \"ghcr.io/x/Bad:1\""));
    let o = catalyst(
        &["blueprint", "push", "--plain-http", "--sign", &w.blueprint("5.0.0"), &w.reference("5.0.0")],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: --sign needs CATALYST_SIGN_KEY: the path of a PEM ECDSA P-256 private key\n"
    );

    // The escape hatch is explicit and loud.
    let o = catalyst(
        &[
            "blueprint",
            "pull",
            "--plain-http",
            &w.reference("1.0.0"),
            "--insecure-skip-verify",
            "--out",
            &w.s("unverified"),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("warning: --insecure-skip-verify: the signature of"));
    assert!(stdout(&o).contains("NOT VERIFIED (--insecure-skip-verify)"));

    // An unreachable registry is exit 3.
    let mut w = w;
    w.reg.stop();
    let o = w.pull(&w.reference("1.0.0"), "a", "out");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

/// Pushes and signs (with key a) an artifact whose layer holds `demo/../../escape`.
async fn push_evil(w: &World) -> String {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (path, data) in [
        ("demo/Chart.yaml", b"apiVersion: v2\nname: demo\nversion: 9.0.0\n".as_slice()),
        ("demo/../../escape", b"x"),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    let layer = b.into_inner().unwrap().finish().unwrap();
    let config = br#"{"apiVersion":"v2","name":"demo","version":"9.0.0"}"#.to_vec();
    let r = Reference::with_tag(w.reg.host(), "openova-io/bp-demo".into(), "9.0.0".into());
    let c = raw();
    let (ld, cd) = (Digest::of(&layer), Digest::of(&config));
    c.push_blob(&r, layer.clone(), ld.as_str()).await.unwrap();
    c.push_blob(&r, config.clone(), cd.as_str()).await.unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": cd.as_str(), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": ld.as_str(), "size": layer.len()}]
    }))
    .unwrap();
    c.push_manifest_raw(&r, manifest.clone(), http::HeaderValue::from_static(OCI_MANIFEST)).await.unwrap();
    let target: ArtifactRef = w.reference("9.0.0").parse().unwrap();
    let key = SigningKey::from_pem(&fs::read(w.path("a.key")).unwrap(), None, "a.key").unwrap();
    Registry::new(RegistryOptions::new().with_plain_http(true))
        .sign(&target, &Digest::of(&manifest), &key)
        .await
        .unwrap();
    w.reference("9.0.0")
}

#[test]
fn plan_reads_its_catalog_from_signed_artifacts() {
    let w = World::new();
    let digest = w.push("1.4.0", "1.4.0", Some("a"));
    let sovereign = |key: &str| {
        format!(
            "sovereign: {{fqdn: t1.example.test, provider: hetzner}}\nregions: [{{region: fsn, buildingBlocks: [rtz], lbIps: [127.0.0.5]}}]\n\
             catalog:\n  oci:\n    plainHttp: true\n    keys: [{key}.pub]\n    blueprints: [\"{}\"]\n\
             organizations:\n  - slug: acme\n    owners: [{{email: a@b.example}}]\n    environments: [{{envType: dev, regions: [fsn]}}]\n    applications: [{{name: demo, blueprint: \"bp-demo@^1.4\"}}]\n",
            w.reference("1.4.0")
        )
    };
    fs::write(w.path("sovereign.yaml"), sovereign("a")).unwrap();
    let o = catalyst(&["-o", "json", "plan", &w.s("sovereign.yaml")], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(plan["applications"][0]["install_order"][0]["name"], "bp-demo");
    assert_eq!(plan["applications"][0]["install_order"][0]["version"], "1.4.0");
    // Signed by a, verified against b only: refused before anything is read.
    fs::write(w.path("sovereign.yaml"), sovereign("b")).unwrap();
    let o = catalyst(&["plan", &w.s("sovereign.yaml")], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.starts_with(&format!(
            "error: {}: catalog.oci.blueprints[0]: {}: ",
            w.s("sovereign.yaml"),
            w.reference("1.4.0")
        )),
        "{e}"
    );
    assert!(e.contains(&digest[..19]) || e.contains("signature"), "{e}");
}

/// Issue 16 §2 and §4: plain HTTP off loopback is a usage error before any connection; a
/// silent registry exits 3 at the deadline instead of hanging; a bad --mirror is a usage error.
#[test]
fn transport_rules_and_the_deadline() {
    let w = World::new();
    let key = w.s("a.pub");
    let out = w.s("out");
    let o = catalyst(
        &[
            "blueprint",
            "verify",
            "--plain-http",
            "registry.example.test/openova-io/bp-demo:1.0.0",
            "--key",
            &key,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "error: plain HTTP is only allowed to a registry on loopback (localhost, 127.0.0.0/8, [::1]), not registry.example.test: credentials and content would travel in clear\n"
    );

    // A registry that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for s in listener.incoming().take(4).flatten() {
            conns.push(s);
        }
        std::thread::sleep(std::time::Duration::from_secs(10));
    });
    let started = std::time::Instant::now();
    let reference = format!("{host}/openova-io/bp-demo:1.0.0");
    let o = catalyst(
        &["blueprint", "pull", "--plain-http", "--timeout", "2", &reference, "--key", &key, "--out", &out],
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "error: {reference}: the registry did not finish within 2s (deadline); nothing was written\n"
        )
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(6), "{:?}", started.elapsed());
    assert!(!w.path("out").exists());
    drop(held);

    let o = catalyst(
        &[
            "blueprint",
            "verify",
            "--plain-http",
            "--mirror",
            "no-equals",
            &w.reference("1.0.0"),
            "--key",
            &key,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("error: --mirror: mirror \"no-equals\": no '='"), "{}", stderr(&o));
}
