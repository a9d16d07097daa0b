//! The placement webhook over real HTTPS on loopback, with a test CA made by `openssl`: the
//! platform's decisions and messages, the request uid echoed, HTTP 200 for every review, 400 for
//! what is not one, and fail-closed when the Blueprint cannot be read.

#![allow(clippy::unwrap_used, clippy::needless_pass_by_value)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use application_controller::webhook::{Capabilities, router, serve_tls, tls_config};
use serde_json::{Value, json};

/// Capabilities by Blueprint name; a missing one is a lookup error.
struct Fixed(BTreeMap<&'static str, &'static str>);

impl Capabilities for Fixed {
    async fn capability(&self, name: &str) -> Result<String, String> {
        self.0.get(name).map(|c| (*c).to_owned()).ok_or_else(|| format!("Blueprint {name:?} not found"))
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").current_dir(dir).args(args).output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA and a server certificate for 127.0.0.1 it signed: (dir, ca.pem, cert, key).
fn certificates() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=catalyst test CA",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "tls.key",
            "-out",
            "tls.csr",
            "-subj",
            "/CN=application-controller",
        ],
    );
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "tls.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tls.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    let (ca, crt, key) = (d.join("ca.pem"), d.join("tls.crt"), d.join("tls.key"));
    (dir, ca, crt, key)
}

fn review(uid: &str, operation: &str, placement: Value) -> Value {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid, "operation": operation,
        "object": {"apiVersion": "apps.openova.io/v1", "kind": "Application", "metadata": {"name": "db", "namespace": "acme"},
                   "spec": {"blueprintRef": {"name": "bp-postgres", "version": "1.0.0"}, "placement": placement}}}})
}

fn targets(t: &[(&str, &str, &str)]) -> Value {
    json!({"targets": t.iter().map(|(r, role, st)| json!({"region": r, "role": role, "standbyType": st})).collect::<Vec<_>>()})
}

#[tokio::test]
async fn the_webhook_decides_over_https_and_fails_closed() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (_dir, ca, crt, key) = certificates();
    let caps =
        Arc::new(Fixed(BTreeMap::from([("bp-postgres", "primary+standby"), ("bp-multi", "multi-primary")])));
    let addr = serve_tls("127.0.0.1:0".parse().unwrap(), tls_config(&crt, &key).unwrap(), router(caps))
        .await
        .unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap()])
        .build()
        .unwrap();
    let url = format!("https://127.0.0.1:{}/validate-placement", addr.port());
    let send = |body: Value| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let r = client.post(&url).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let two_primaries = targets(&[("fsn", "Primary", ""), ("hel", "Primary", "")]);
    let v = send(review("u-1", "CREATE", two_primaries.clone())).await;
    assert_eq!(v["response"]["uid"], "u-1");
    assert_eq!(v["response"]["allowed"], false);
    assert_eq!(
        v["response"]["status"]["message"],
        "placement-invalid: MultiPrimaryNotSupported: placement declares 2 Primary targets but the blueprint capability is primary+standby (only one Primary allowed)"
    );
    assert_eq!(
        (v["response"]["status"]["code"].as_i64(), v["response"]["status"]["reason"].as_str()),
        (Some(422), Some("Invalid"))
    );
    let mut multi = review("u-2", "CREATE", two_primaries);
    multi["request"]["object"]["spec"]["blueprintRef"]["name"] = json!("bp-multi");
    assert_eq!(send(multi).await["response"]["allowed"], true);
    let v = send(review("u-3", "UPDATE", targets(&[("fsn", "Primary", ""), ("hel", "Standby", "")]))).await;
    assert_eq!(
        v["response"]["status"]["message"],
        "placement-invalid: StandbyMissingType: target[1] is Standby but standbyType \"\" is not Hot|Cold"
    );
    let v = send(review("u-4", "CREATE", targets(&[("hel", "Standby", "Hot")]))).await;
    assert_eq!(
        v["response"]["status"]["message"],
        "placement-invalid: NoPrimary: placement declares no Primary target"
    );
    let v = send(review("u-5", "CREATE", targets(&[("", "Primary", "")]))).await;
    assert!(
        v["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .starts_with("placement-invalid: TargetMissingRegion: target[0] declares no region")
    );
    assert_eq!(
        send(review("u-6", "CREATE", json!("active-hotstandby"))).await["response"]["allowed"],
        true,
        "a string posture is not gated"
    );
    assert_eq!(send(review("u-7", "DELETE", json!(null))).await["response"]["allowed"], true);
    // Fail closed: the Blueprint cannot be read.
    let mut unknown = review("u-8", "CREATE", targets(&[("fsn", "Primary", "")]));
    unknown["request"]["object"]["spec"]["blueprintRef"]["name"] = json!("bp-gone");
    let v = send(unknown).await;
    assert_eq!(v["response"]["allowed"], false);
    assert_eq!(
        v["response"]["status"]["message"],
        "resolve Blueprint placementCapability: Blueprint \"bp-gone\" not found"
    );
    // Not gated, even with the Blueprint gone: the finalizer removed from an Application being
    // deleted, and an update that keeps placement and Blueprint (a label, the finalizer added).
    let mut deleting = review("u-10", "UPDATE", targets(&[("fsn", "Primary", "")]));
    deleting["request"]["object"]["spec"]["blueprintRef"]["name"] = json!("bp-gone");
    deleting["request"]["object"]["metadata"]["deletionTimestamp"] = json!("2026-12-07T10:00:00Z");
    assert_eq!(send(deleting).await["response"]["allowed"], true);
    let mut relabel = review("u-11", "UPDATE", targets(&[("fsn", "Primary", "")]));
    relabel["request"]["object"]["spec"]["blueprintRef"]["name"] = json!("bp-gone");
    relabel["request"]["oldObject"] = relabel["request"]["object"].clone();
    relabel["request"]["object"]["metadata"]["labels"] = json!({"team": "data"});
    assert_eq!(send(relabel.clone()).await["response"]["allowed"], true);
    // A changed placement is checked again.
    relabel["request"]["uid"] = json!("u-12");
    relabel["request"]["object"]["spec"]["placement"] = targets(&[("hel", "Primary", "")]);
    let v = send(relabel).await;
    assert_eq!(
        (v["response"]["allowed"].as_bool(), v["response"]["status"]["message"].as_str()),
        (Some(false), Some("resolve Blueprint placementCapability: Blueprint \"bp-gone\" not found"))
    );
    // Not a review: 400. Too big: refused before it is read.
    let r = client.post(&url).body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().starts_with("decode AdmissionReview: "));
    let r = client.post(&url).body(vec![b' '; 2 * 1024 * 1024]).send().await.unwrap();
    assert_eq!(r.status(), 413);
    // A client that does not trust the test CA cannot talk to it: the TLS is real.
    let stranger = reqwest::Client::builder().tls_certs_only([]).build().unwrap();
    assert!(stranger.post(&url).json(&review("u-9", "CREATE", json!("x"))).send().await.is_err());
}

/// cert-manager renews the serving certificate in the mounted Secret: the next handshake serves
/// the new one, without a restart; files that cannot be used yet keep the previous one.
#[tokio::test]
async fn a_renewed_certificate_is_served_without_a_restart() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (_dir, ca, crt, key) = certificates();
    let (_renewed_dir, renewed_ca, renewed_crt, renewed_key) = certificates();
    let caps = Arc::new(Fixed(BTreeMap::from([("bp-postgres", "primary+standby")])));
    let addr = serve_tls("127.0.0.1:0".parse().unwrap(), tls_config(&crt, &key).unwrap(), router(caps))
        .await
        .unwrap();
    let trusting = |ca: &Path| {
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap()])
            .build()
            .unwrap()
    };
    let url = format!("https://127.0.0.1:{}/healthz", addr.port());
    let (old, new) = (trusting(&ca), trusting(&renewed_ca));
    assert_eq!(old.get(&url).send().await.unwrap().status(), 200);
    assert!(new.get(&url).send().await.is_err(), "the renewed CA does not vouch for the first certificate");
    // Half-way through the renewal (the certificate new, the key still old): the previous
    // certificate is still served.
    std::fs::copy(&renewed_crt, &crt).unwrap();
    assert_eq!(trusting(&ca).get(&url).send().await.unwrap().status(), 200);
    std::fs::copy(&renewed_key, &key).unwrap();
    let new = trusting(&renewed_ca);
    assert_eq!(new.get(&url).send().await.unwrap().status(), 200);
    assert!(trusting(&ca).get(&url).send().await.is_err(), "the old certificate is no longer served");
}
