//! The root `deploy/` bundle, as `kubectl kustomize deploy/` renders it with the machine's
//! kubectl: every object checked against its schema (core kinds through k8s-openapi's types,
//! which must keep every field the file sets; the CRDs equal to `catalyst crds`), every reference
//! between objects resolved, and each Deployment's variables and flags accepted by its binary
//! (the clap command its `--help` is printed from).
//!
//! No cert-manager schema is available offline (fixtures carry Flux, Gateway API, CNPG and
//! policy-report CRDs only), so the webhook's Issuer and Certificate are checked against the
//! fields of `cert-manager.io/v1` the bundle uses, with unknown fields refused.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::CommandFactory as _;
use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn render() -> Vec<Value> {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(root().join("deploy"))
        .output()
        .expect("kubectl must be installed: scripts/test installs it when missing");
    assert!(out.status.success(), "kubectl kustomize deploy/: {}", String::from_utf8_lossy(&out.stderr));
    serde_saphyr::from_multiple(&String::from_utf8(out.stdout).unwrap()).unwrap()
}

/// The fields of `original` that `typed` lost or changed (paths), after a typed round trip.
fn lost(original: &Value, typed: &Value, path: &str, out: &mut Vec<String>) {
    match (original, typed) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    Some(w) => lost(v, w, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}: not a field")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                lost(v, w, &format!("{path}[{i}]"), out);
            }
        }
        (a, b) if a == b => {}
        // `maximum: 300` is a float in the schema type; the same number either way.
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) => out.push(format!("{path}: {a} read as {b}")),
    }
}

fn round_trip<T: DeserializeOwned + Serialize>(doc: &Value) -> Result<(), String> {
    let typed: T = serde_json::from_value(doc.clone()).map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    lost(doc, &serde_json::to_value(&typed).unwrap(), "", &mut problems);
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

/// `cert-manager.io/v1` as far as the bundle uses it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CertManager<S> {
    api_version: String,
    kind: String,
    metadata: ObjectMeta,
    spec: S,
}

/// An Issuer: self-signed, or a CA from a Secret (exactly one).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
enum IssuerSpec {
    SelfSigned(Empty),
    Ca(CaIssuer),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CaIssuer {
    secret_name: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CertificateSpec {
    secret_name: String,
    #[serde(default, rename = "isCA", skip_serializing_if = "Option::is_none")]
    is_ca: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    common_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duration: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dns_names: Vec<String>,
    issuer_ref: IssuerRef,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerRef {
    kind: String,
    name: String,
}

fn check_schema(doc: &Value) -> Result<(), String> {
    let api = doc["apiVersion"].as_str().unwrap_or_default();
    let kind = doc["kind"].as_str().unwrap_or_default();
    match (api, kind) {
        ("v1", "Namespace") => round_trip::<Namespace>(doc),
        ("v1", "ServiceAccount") => round_trip::<ServiceAccount>(doc),
        ("v1", "Service") => round_trip::<Service>(doc),
        ("v1", "ConfigMap") => round_trip::<ConfigMap>(doc),
        ("apps/v1", "Deployment") => round_trip::<Deployment>(doc),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => round_trip::<ClusterRole>(doc),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => round_trip::<ClusterRoleBinding>(doc),
        ("rbac.authorization.k8s.io/v1", "Role") => round_trip::<Role>(doc),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => round_trip::<RoleBinding>(doc),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => {
            round_trip::<CustomResourceDefinition>(doc)
        }
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration") => {
            round_trip::<ValidatingWebhookConfiguration>(doc)
        }
        ("cert-manager.io/v1", "Issuer") => round_trip::<CertManager<IssuerSpec>>(doc),
        ("cert-manager.io/v1", "Certificate") => round_trip::<CertManager<CertificateSpec>>(doc),
        _ => Err("no schema for this kind: add one to this test before shipping it".into()),
    }
}

fn name(doc: &Value) -> String {
    let m = &doc["metadata"];
    format!(
        "{} {}/{}",
        doc["kind"].as_str().unwrap_or_default(),
        m["namespace"].as_str().unwrap_or_default(),
        m["name"].as_str().unwrap_or_default()
    )
}

fn find<'a>(docs: &'a [Value], kind: &str, namespace: &str, name: &str) -> Option<&'a Value> {
    docs.iter().find(|d| {
        d["kind"] == kind
            && d["metadata"]["name"] == name
            && d["metadata"]["namespace"].as_str().unwrap_or_default() == namespace
    })
}

#[test]
fn every_rendered_object_matches_its_schema() {
    let docs = render();
    let problems: Vec<String> =
        docs.iter().filter_map(|d| check_schema(d).err().map(|e| format!("{}: {e}", name(d)))).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let kinds: BTreeSet<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    for kind in ["CustomResourceDefinition", "Deployment", "Service", "ValidatingWebhookConfiguration"] {
        assert!(kinds.contains(kind), "the bundle has no {kind}");
    }
    // The checker itself: an unknown field, a wrong type and an unknown kind are caught.
    let mut bad = docs.iter().find(|d| d["kind"] == "Deployment").unwrap().clone();
    bad["spec"]["template"]["spec"]["containers"][0]["imagePulPolicy"] = "Always".into();
    assert_eq!(
        check_schema(&bad).unwrap_err(),
        ".spec.template.spec.containers[0].imagePulPolicy: not a field"
    );
    bad = docs.iter().find(|d| d["kind"] == "Service").unwrap().clone();
    bad["spec"]["ports"][0]["port"] = "eighty".into();
    assert!(check_schema(&bad).unwrap_err().contains("invalid type: string \"eighty\""));
    bad["kind"] = "Ingress".into();
    assert!(check_schema(&bad).unwrap_err().starts_with("no schema for this kind"));
}

#[test]
fn the_crds_are_catalyst_crds_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_catalyst"))
        .args(["crds", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let listing = |d: &Path| {
        let mut names: Vec<String> =
            std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    };
    let shipped = root().join("deploy/crds");
    assert_eq!(listing(&shipped), listing(dir.path()));
    for file in listing(dir.path()) {
        assert!(
            std::fs::read(shipped.join(&file)).unwrap() == std::fs::read(dir.path().join(&file)).unwrap(),
            "deploy/crds/{file} differs from `catalyst crds`: run `cargo run -p catalyst -- crds --out deploy/crds`"
        );
    }
    let rendered = render().into_iter().filter(|d| d["kind"] == "CustomResourceDefinition").count();
    assert_eq!(rendered, listing(dir.path()).len(), "every CRD file is in deploy/kustomization.yaml");
}

/// The clap command each controller's `--help` is printed from.
fn binary(name: &str) -> clap::Command {
    match name {
        "application-controller" => application_controller::config::Config::command(),
        "blueprint-controller" => blueprint_controller::config::Config::command(),
        "continuum-controller" => continuum_controller::config::Config::command(),
        "environment-controller" => environment_controller::config::Config::command(),
        "organization-controller" => organization_controller::config::Config::command(),
        "useraccess-controller" => useraccess_controller::config::Config::command(),
        other => panic!("the bundle deploys {other}, which is not a controller of this workspace"),
    }
}

/// The problems of one Deployment: its binary does not read a variable it sets or know a flag
/// it passes, refuses a value, or a reference does not resolve.
fn check_deployment(d: &Value, docs: &[Value], secrets_documented: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let ns = d["metadata"]["namespace"].as_str().unwrap();
    let pod = &d["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    let image = c["image"].as_str().unwrap();
    let (repo, tag) = image.rsplit_once(':').unwrap();
    let bin = repo.rsplit('/').next().unwrap();
    if tag != env!("CARGO_PKG_VERSION") {
        problems
            .push(format!("image {image}: the tag is not the crate version {}", env!("CARGO_PKG_VERSION")));
    }
    let mut cmd = binary(bin);
    let help = cmd.render_long_help().to_string();
    let mut argv = vec![bin.to_owned()];
    for e in c["env"].as_array().into_iter().flatten() {
        let var = e["name"].as_str().unwrap();
        // A flag's variable (`[env: NAME]`), or one the help names among the variables the
        // binary reads besides its flags (the application-controller's rendering settings).
        let flag = cmd.get_arguments().find(|a| a.get_env().is_some_and(|v| v == var));
        let listed =
            (flag.is_some() && help.contains(&format!("[env: {var}="))) || help.contains(&format!("`{var}`"));
        if !listed {
            problems.push(format!("env {var}: {bin} --help does not list it"));
            continue;
        }
        if let (Some(value), Some(flag)) = (e["value"].as_str(), flag) {
            argv.push(format!("--{}={value}", flag.get_long().unwrap()));
        }
        if let Some(r) = e["valueFrom"]["configMapKeyRef"].as_object() {
            let cm = r["name"].as_str().unwrap();
            let key = r["key"].as_str().unwrap();
            if find(docs, "ConfigMap", ns, cm).is_none_or(|m| m["data"][key].as_str().is_none()) {
                problems.push(format!("env {var}: ConfigMap {ns}/{cm} with key {key} is not in the bundle"));
            }
        }
    }
    for a in c["args"].as_array().into_iter().flatten() {
        argv.push(a.as_str().unwrap().to_owned());
    }
    if let Err(e) = cmd.try_get_matches_from_mut(&argv) {
        problems.push(format!("{bin} refuses {argv:?}: {}", e.render()));
    }
    let sa = pod["serviceAccountName"].as_str().unwrap();
    if find(docs, "ServiceAccount", ns, sa).is_none() {
        problems.push(format!("ServiceAccount {ns}/{sa} is not in the bundle"));
    }
    for v in pod["volumes"].as_array().into_iter().flatten() {
        if let Some(secret) = v["secret"]["secretName"].as_str()
            && !secrets_documented.contains(&format!("| `{secret}` |"))
        {
            problems.push(format!("Secret {secret} is not in deploy/README.md's list of Secrets to create"));
        }
    }
    let ports: BTreeSet<&str> =
        c["ports"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        let get = &c[probe]["httpGet"];
        if get["path"] != path || get["port"] != "health" || !ports.contains("health") {
            problems.push(format!("{probe}: expected GET {path} on port health, found {get}"));
        }
    }
    problems
}

#[test]
fn each_deployment_matches_its_binary_and_resolves_its_references() {
    let docs = render();
    let readme = std::fs::read_to_string(root().join("deploy/README.md")).unwrap();
    let deployments: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Deployment").collect();
    assert_eq!(deployments.len(), 6, "one Deployment per controller");
    let mut problems = Vec::new();
    for d in &deployments {
        problems.extend(check_deployment(d, &docs, &readme).into_iter().map(|p| format!("{}: {p}", name(d))));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // The checker itself: a variable the binary does not read, and a value it refuses.
    let mut bad = deployments[0].clone();
    let env = bad["spec"]["template"]["spec"]["containers"][0]["env"].as_array_mut().unwrap();
    env.push(serde_json::json!({"name": "GITEA_PASSWORD", "value": "x"}));
    // A prefix of a variable the binary reads is not that variable.
    env.push(serde_json::json!({"name": "GITEA_TOKEN_FIL", "value": "x"}));
    let found = check_deployment(&bad, &docs, &readme);
    for var in ["GITEA_PASSWORD", "GITEA_TOKEN_FIL"] {
        let expected = format!("env {var}: application-controller --help does not list it");
        assert!(found.contains(&expected), "{found:?}");
    }
    let mut bad = deployments[0].clone();
    let env = bad["spec"]["template"]["spec"]["containers"][0]["env"].as_array_mut().unwrap();
    env.push(serde_json::json!({"name": "PLACEMENT_WEBHOOK_ADDR", "value": "everywhere"}));
    let found = check_deployment(&bad, &docs, &readme);
    assert!(found.iter().any(|p| p.contains("refuses") && p.contains("everywhere")), "{found:?}");
}

fn pod_template_of<'a>(docs: &'a [Value], ns: &str, selector: &Value) -> Vec<&'a Value> {
    docs.iter()
        .filter(|d| d["kind"] == "Deployment" && d["metadata"]["namespace"] == ns)
        .filter(|d| {
            selector
                .as_object()
                .unwrap()
                .iter()
                .all(|(k, v)| d["spec"]["template"]["metadata"]["labels"][k] == *v)
        })
        .collect()
}

#[test]
fn services_bindings_and_the_webhook_resolve() {
    let docs = render();
    let mut problems = Vec::new();
    for s in docs.iter().filter(|d| d["kind"] == "Service") {
        let ns = s["metadata"]["namespace"].as_str().unwrap();
        let selected = pod_template_of(&docs, ns, &s["spec"]["selector"]);
        let [d] = selected.as_slice() else {
            problems.push(format!("{}: selects {} Deployments, not one", name(s), selected.len()));
            continue;
        };
        let ports = &d["spec"]["template"]["spec"]["containers"][0]["ports"];
        for p in s["spec"]["ports"].as_array().unwrap() {
            if !ports.as_array().unwrap().iter().any(|c| c["name"] == p["targetPort"]) {
                problems.push(format!(
                    "{}: targetPort {} is not a port of {}",
                    name(s),
                    p["targetPort"],
                    name(d)
                ));
            }
        }
    }
    let namespaces: BTreeSet<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "Namespace")
        .filter_map(|d| d["metadata"]["name"].as_str())
        .collect();
    for b in docs.iter().filter(|d| d["kind"] == "RoleBinding" || d["kind"] == "ClusterRoleBinding") {
        let ns = b["metadata"]["namespace"].as_str().unwrap_or_default();
        let role_ns = if b["roleRef"]["kind"] == "Role" { ns } else { "" };
        if find(
            &docs,
            b["roleRef"]["kind"].as_str().unwrap(),
            role_ns,
            b["roleRef"]["name"].as_str().unwrap(),
        )
        .is_none()
        {
            problems.push(format!("{}: roleRef {} is not in the bundle", name(b), b["roleRef"]));
        }
        for s in b["subjects"].as_array().unwrap() {
            let sns = s["namespace"].as_str().unwrap();
            if find(&docs, "ServiceAccount", sns, s["name"].as_str().unwrap()).is_none() {
                problems.push(format!("{}: subject {s} is not in the bundle", name(b)));
            }
        }
    }
    for d in &docs {
        // Flux owns flux-system; every other namespace is the bundle's own.
        if let Some(ns) = d["metadata"]["namespace"].as_str()
            && ns != "flux-system"
            && !namespaces.contains(ns)
        {
            problems.push(format!("{}: namespace {ns} is not in the bundle", name(d)));
        }
    }
    let vwc = docs.iter().find(|d| d["kind"] == "ValidatingWebhookConfiguration").unwrap();
    let svc = &vwc["webhooks"][0]["clientConfig"]["service"];
    let (ns, svc_name) = (svc["namespace"].as_str().unwrap(), svc["name"].as_str().unwrap());
    let service = find(&docs, "Service", ns, svc_name).expect("the webhook's Service");
    assert!(service["spec"]["ports"].as_array().unwrap().iter().any(|p| p["port"] == svc["port"]));
    let (cert_ns, cert_name) = vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]
        .as_str()
        .unwrap()
        .split_once('/')
        .unwrap();
    let cert = find(&docs, "Certificate", cert_ns, cert_name).expect("the Certificate the CA comes from");
    assert!(cert["spec"]["dnsNames"].as_array().unwrap().contains(&format!("{svc_name}.{ns}.svc").into()));
    // Issued by a CA of its own (so a renewal keeps the CA the API server trusts), which a
    // self-signed Issuer made.
    let issuer = find(&docs, "Issuer", cert_ns, cert["spec"]["issuerRef"]["name"].as_str().unwrap()).unwrap();
    let ca_secret = issuer["spec"]["ca"]["secretName"].as_str().expect("a CA Issuer");
    let ca = docs
        .iter()
        .find(|d| d["kind"] == "Certificate" && d["spec"]["secretName"] == ca_secret)
        .expect("the Certificate of the CA");
    assert_eq!(ca["spec"]["isCA"], true);
    let root = find(&docs, "Issuer", cert_ns, ca["spec"]["issuerRef"]["name"].as_str().unwrap()).unwrap();
    assert!(root["spec"]["selfSigned"].is_object());
    let serving = pod_template_of(&docs, ns, &service["spec"]["selector"]);
    let volumes = &serving[0]["spec"]["template"]["spec"]["volumes"];
    assert!(
        volumes.as_array().unwrap().iter().any(|v| v["secret"]["secretName"] == cert["spec"]["secretName"]),
        "the webhook's Deployment mounts the Certificate's Secret"
    );
    assert!(problems.is_empty(), "{problems:#?}");
}
