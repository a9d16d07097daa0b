//! The optional signature check against a real `docker-registry` on loopback: a Blueprint is
//! published only when its artifact `bp-<name>:<version>` is signed by a configured key and is
//! that Blueprint at that version; every refusal has its reason, writes nothing to Gitea and
//! takes down no digest it cannot vouch for; a registry outage is retried without losing state.

#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use blueprint_controller::reconcile::{Error, Oci, reconcile_blueprint};
use catalyst_blueprint::artifact::{ArtifactRef, Digest, Package};
use catalyst_blueprint::oci::{PublicKey, Registry, RegistryOptions, SigningKey};
use catalyst_core::catalog::Signature;
use catalyst_testkit::registry::{Keys, TestRegistry};
use serde_json::{Value, json};
use support::*;

/// A Blueprint folder `name` at `version` with a small chart, as CI packages it.
fn folder(root: &Path, name: &str, version: &str) -> PathBuf {
    let dir = root.join(format!("{name}-{version}"));
    fs::create_dir_all(dir.join("chart/templates")).unwrap();
    fs::write(
        dir.join("blueprint.yaml"),
        format!(
            "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: {name}}}\nspec:\n  version: {version}\n  card: {{title: Shop}}\n  visibility: listed\n  manifests: {{chart: ./chart}}\n"
        ),
    )
    .unwrap();
    fs::write(dir.join("chart/Chart.yaml"), format!("apiVersion: v2\nname: {name}\nversion: {version}\n"))
        .unwrap();
    fs::write(dir.join("chart/values.yaml"), "replicas: 1\n").unwrap();
    fs::write(dir.join("chart/templates/cm.yaml"), "kind: ConfigMap\nmetadata: {name: shop}\n").unwrap();
    dir
}

struct Published {
    reg: TestRegistry,
    keys: Keys,
    client: Registry,
    tmp: tempfile::TempDir,
}

impl Published {
    fn new() -> Self {
        let reg = TestRegistry::start().unwrap();
        let client = Registry::new(RegistryOptions::new().with_plain_http(true));
        Self { reg, keys: Keys::new(&["a", "b"]), client, tmp: tempfile::tempdir().unwrap() }
    }

    fn at(&self, name: &str, tag: &str) -> ArtifactRef {
        format!("{}/openova-io/{name}:{tag}", self.reg.host()).parse().unwrap()
    }

    fn signing(&self, key: &str) -> SigningKey {
        SigningKey::from_pem(&self.keys.read(&format!("{key}.key")), None, key).unwrap()
    }

    /// Pushes `name` at `version`, signed with `key` when given; returns the digest.
    async fn push(&self, name: &str, version: &str, key: Option<&str>) -> Digest {
        let package = Package::from_path(&folder(self.tmp.path(), name, version), None).unwrap();
        let at = self.at(name, version);
        let digest = self.client.push(&package, &at).await.unwrap();
        if let Some(key) = key {
            self.client.sign(&at, &digest, &self.signing(key)).await.unwrap();
        }
        digest
    }

    /// The controller's check, trusting key `a` only.
    fn oci(&self) -> Oci {
        let key = PublicKey::from_pem(&self.keys.read("a.pub"), "a.pub").unwrap();
        Oci::new(&format!("{}/openova-io", self.reg.host()), vec![key], true, Duration::from_secs(10))
            .unwrap()
    }
}

fn condition(status: &Value, type_: &str) -> (String, String, String) {
    let c = status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == type_).unwrap();
    let s = |k: &str| c[k].as_str().unwrap().to_owned();
    (s("status"), s("reason"), s("message"))
}

#[tokio::test]
async fn a_signed_artifact_is_verified_recorded_and_published_once() {
    let p = Published::new();
    let digest = p.push("bp-shop", "1.4.0", Some("a")).await;
    let mut w = world().await;
    w.ctx.oci = Some(p.oci());
    w.api.put_object(&blueprint("bp-shop", "listed", json!({})));
    let result = reconcile_blueprint("bp-shop", &w.ctx).await;
    let metrics = blueprint_controller::metrics::Metrics::new();
    metrics.observe(&result);
    assert!(
        metrics.render().contains("blueprint_controller_signature_checks_total{result=\"Verified\"} 1\n"),
        "{}",
        metrics.render()
    );
    let out = result.unwrap();
    let reference = format!("{}/openova-io/bp-shop:1.4.0", p.reg.host());
    assert_eq!(
        out.signature,
        Signature::Verified { reference: reference.clone(), digest: digest.to_string(), key: "a.pub".into() }
    );
    assert_eq!((out.phase.as_deref(), out.gitea_writes), (Some("Published"), 2));
    let st = status(&w, "bp-shop");
    assert_eq!(st["ociDigest"], digest.as_str());
    assert_eq!(
        condition(&st, "SignatureVerified"),
        ("True".into(), "Verified".into(), format!("{reference} is {digest}, signed with key a.pub"))
    );
    assert_eq!(condition(&st, "Ready").0, "True");
    // Checked again on the next pass, and nothing is written: not the status, not Gitea.
    let (kube_before, gitea_before) = (w.api.writes().len(), w.gitea.writes().len());
    let out = reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    assert!(matches!(out.signature, Signature::Verified { .. }));
    assert_eq!((out.gitea_writes, out.status_written), (0, false));
    assert_eq!((w.api.writes().len(), w.gitea.writes().len()), (kube_before, gitea_before));
}

#[tokio::test]
async fn unsigned_foreign_and_substituted_artifacts_are_refused_and_not_published() {
    let p = Published::new();
    p.push("bp-cart", "1.4.0", None).await;
    p.push("bp-mall", "1.4.0", Some("b")).await;
    p.push("bp-shop", "1.3.0", Some("a")).await;
    let mut w = world().await;
    w.ctx.oci = Some(p.oci());
    let host = p.reg.host();
    let cases = [
        ("bp-cart", "SignatureMissing", format!("no signature: {host}/openova-io/bp-cart@")),
        (
            "bp-mall",
            "SignatureInvalid",
            format!(
                "signature does not match any key: none of the 1 signature(s) of {host}/openova-io/bp-mall@"
            ),
        ),
        ("bp-none", "ArtifactNotFound", format!("{host}/openova-io/bp-none:1.4.0 not found in the registry")),
    ];
    for (name, reason, message) in cases {
        // CI had written a digest: only a verified one stands.
        let mut bp = blueprint(name, "listed", json!({}));
        bp["status"] = json!({"ociDigest": "sha256:0000"});
        w.api.put_object(&bp);
        let out = reconcile_blueprint(name, &w.ctx).await.unwrap();
        assert_eq!((out.phase.as_deref(), out.gitea_writes), (Some("Draft"), 0), "{name}");
        // Not there or not signed yet may be CI between push and sign: looked at again soon.
        let soon = if reason == "SignatureInvalid" { 300 } else { 30 };
        assert_eq!(out.requeue, Some(Duration::from_secs(soon)), "{name}");
        let st = status(&w, name);
        let (s, r, m) = condition(&st, "SignatureVerified");
        assert_eq!((s.as_str(), r.as_str()), ("False", reason), "{name}");
        assert!(m.starts_with(&message), "{name}: {m}");
        assert_eq!(condition(&st, "Ready"), ("False".into(), "SignatureInvalid".into(), m), "{name}");
        assert!(st.get("ociDigest").is_none(), "{name}: {st}");
        assert!(w.gitea.client.get_repo("catalog", name).await.is_err(), "{name}: no repository made");
    }

    // bp-shop 1.3.0, properly signed, re-tagged as 1.4.0: a good signature for the wrong
    // version. The 1.3.0 entry is taken down: the catalog never lists what does not verify.
    w.api.put_object(&blueprint("bp-shop", "listed", json!({"version": "1.3.0"})));
    reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    let mirrored = w.gitea.server.read_file("catalog", "bp-shop", "main", "blueprint.yaml").unwrap();
    let manifest = p.client.resolve(&p.at("bp-shop", "1.3.0")).await.unwrap().1;
    let raw = oci_client::Client::new(oci_client::client::ClientConfig {
        protocol: oci_client::client::ClientProtocol::Http,
        ..Default::default()
    });
    let to = oci_client::Reference::with_tag(host.clone(), "openova-io/bp-shop".into(), "1.4.0".into());
    raw.push_manifest_raw(
        &to,
        manifest,
        http::HeaderValue::from_static("application/vnd.oci.image.manifest.v1+json"),
    )
    .await
    .unwrap();
    w.api
        .patch_object(&key("bp-shop"), &json!({"metadata": {"generation": 2}, "spec": {"version": "1.4.0"}}));
    let out = reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    assert_eq!((out.phase.as_deref(), out.gitea_writes), (Some("Draft"), 1));
    assert_eq!(out.requeue, Some(Duration::from_secs(300)), "not a publishing race: the usual requeue");
    let st = status(&w, "bp-shop");
    assert_eq!(
        condition(&st, "SignatureVerified"),
        (
            "False".into(),
            "ReferenceMismatch".into(),
            format!(
                "reference mismatch for {host}/openova-io/bp-shop:1.4.0: the manifest's org.opencontainers.image.version is \"1.3.0\", not \"1.4.0\""
            )
        )
    );
    assert!(st.get("ociDigest").is_none(), "the 1.3.0 digest is not this version's");
    assert!(!mirrored.is_empty());
    assert!(w.gitea.server.read_file("catalog", "bp-shop", "main", "blueprint.yaml").is_none());
    assert_eq!(
        w.gitea.server.last_commit_message("catalog", "bp-shop", "main").unwrap().trim_end(),
        "withdraw bp-shop: signature refused (ReferenceMismatch)"
    );

    // A name that is not canonical would make a second mirror of the same artifact.
    w.api.put_object(&blueprint("shop", "listed", json!({})));
    let out = reconcile_blueprint("shop", &w.ctx).await.unwrap();
    assert_eq!(
        out.signature,
        Signature::Refused {
            reason: "ReferenceMismatch".into(),
            message: "the Blueprint is named \"shop\"; with signatures checked it must be named \"bp-shop\", as its artifact is".into()
        }
    );
    assert!(w.gitea.client.get_repo("catalog", "shop").await.is_err());

    // A private Blueprint offers nothing: it is not checked, and its file is taken down.
    w.api.patch_object(
        &key("bp-shop"),
        &json!({"metadata": {"generation": 3}, "spec": {"visibility": "private"}}),
    );
    let out = reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    assert_eq!(
        (out.signature, out.phase.as_deref(), out.gitea_writes),
        (Signature::NotChecked, Some("Withdrawn"), 0)
    );
    assert!(
        status(&w, "bp-shop")["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["type"] != "SignatureVerified")
    );
}

#[tokio::test]
async fn a_registry_outage_is_retried_and_loses_nothing() {
    let mut p = Published::new();
    let digest = p.push("bp-shop", "1.4.0", Some("a")).await;
    let mut w = world().await;
    w.ctx.oci = Some(p.oci());
    w.api.put_object(&blueprint("bp-shop", "listed", json!({})));
    reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    p.reg.stop();
    // A new version while the registry is down: not published, the verified digest kept, and
    // the reconcile fails so it is retried with backoff.
    w.api
        .patch_object(&key("bp-shop"), &json!({"metadata": {"generation": 2}, "spec": {"version": "1.5.0"}}));
    let gitea_before = w.gitea.writes().len();
    let result = reconcile_blueprint("bp-shop", &w.ctx).await;
    let metrics = blueprint_controller::metrics::Metrics::new();
    metrics.observe(&result);
    assert!(
        metrics
            .render()
            .contains("blueprint_controller_signature_checks_total{result=\"RegistryUnavailable\"} 1\n")
    );
    let e = result.unwrap_err();
    assert!(matches!(e, Error::Registry { .. }), "{e}");
    assert!(e.to_string().starts_with("Blueprint bp-shop: signature check: registry error for "), "{e}");
    assert_eq!(w.gitea.writes().len(), gitea_before);
    let st = status(&w, "bp-shop");
    assert_eq!(st["ociDigest"], digest.as_str());
    assert_eq!(st["phase"], "Published", "an outage does not unpublish");
    assert_eq!(st["observedGeneration"], 1, "generation 2 is not observed until the registry answers");
    let (s, r, _) = condition(&st, "SignatureVerified");
    assert_eq!((s.as_str(), r.as_str()), ("Unknown", "RegistryUnavailable"));
    assert_eq!(condition(&st, "Ready").1, "RegistryUnavailable");
}
