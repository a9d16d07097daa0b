//! `catalyst crds` and `catalyst validate` as a user runs them.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Output;

use catalyst_testkit::cli::text;

use serde_json::Value;

fn catalyst(args: &[&str]) -> Output {
    catalyst_testkit::catalyst_cli!().run(args)
}

fn crds_dir() -> PathBuf {
    catalyst_testkit::fixture("openova/crds")
}

#[test]
fn crds_prints_ten_definitions_that_validate_as_yaml() {
    let out = catalyst(&["crds"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text(&out.stdout)).unwrap();
    let docs: Vec<&Value> = docs.iter().filter(|d| !d.is_null()).collect();
    let names: Vec<&str> = docs.iter().map(|d| d["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "sovereigns.catalyst.openova.io",
            "organizations.orgs.openova.io",
            "environments.catalyst.openova.io",
            "applications.apps.openova.io",
            "blueprints.catalyst.openova.io",
            "environmentpolicies.catalyst.openova.io",
            "secretpolicies.catalyst.openova.io",
            "runbooks.catalyst.openova.io",
            "continuums.dr.openova.io",
            "useraccesses.catalyst.openova.io",
        ]
    );
    for d in docs {
        assert_eq!(d["apiVersion"], "apiextensions.k8s.io/v1");
        assert_eq!(d["kind"], "CustomResourceDefinition");
        for v in d["spec"]["versions"].as_array().unwrap() {
            let schema = &v["schema"]["openAPIV3Schema"];
            assert_eq!(schema["type"], "object", "{}", d["metadata"]["name"]);
            assert!(catalyst_core::crd::structural_problems(schema).is_empty());
        }
    }
}

#[test]
fn crds_out_writes_one_file_per_kind() {
    let dir = tempfile::tempdir().unwrap();
    let out = catalyst(&["crds", "--out", dir.path().to_str().unwrap(), "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(written["written"].as_array().unwrap().len(), 10);
    assert!(dir.path().join("environments.catalyst.openova.io.yaml").is_file());
}

#[test]
fn validate_accepts_the_valid_examples() {
    let dir = crds_dir().join("tests");
    let files: Vec<String> =
        ["application", "continuum", "environment", "environmentpolicy", "organization", "sovereign"]
            .iter()
            .map(|k| dir.join(format!("{k}-sample-valid.yaml")).display().to_string())
            .collect();
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let out = catalyst(&args);
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    // Issue 19: the pickclosest sample stays valid, with a warning that it cannot be synthesized.
    assert!(
        text(&out.stdout).ends_with("valid, 0 invalid, 0 skipped; 0 errors, 4 warnings\n"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).contains(
        "Continuum/api-active-passive: ok\n  warning: spec.luaRecord.selector: pickclosest: the continuum synthesizer calls the selector by name"
    ));
}

#[test]
fn validate_rejects_with_file_object_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("envs.yaml");
    std::fs::write(
        &file,
        "apiVersion: catalyst.openova.io/v1
kind: Environment
metadata: {name: acme-prod}
spec:
  organizationRef: acme
  envType: qa
  placement: single-region
  regions: [{provider: hetzner, region: fsn, buildingBlock: rtz}]
---
apiVersion: catalyst.openova.io/v1
kind: Environment
metadata: {name: kube-prod}
spec:
  organizationRef: kube-system
  envType: prod
  placement: single-region
  regions: [{provider: hetzner, region: fsn, buildingBlock: rtz}]
---
apiVersion: catalyst.openova.io/v1
kind: Environment
metadata: {name: acme-dev}
spec:
  organizationRef: acme
  envType: dev
  placement: single-region
  regions:
    - {provider: hetzner, region: fsn, buildingBlock: rtz}
    - {provider: hetzner, region: nbg, buildingBlock: rtz}
",
    )
    .unwrap();
    let out = catalyst(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let f = file.display();
    for line in [
        format!("{f}: Environment/acme-prod: 1 error(s)"),
        r#"  error: spec.envType: "qa" is not one of "prod", "stg", "uat", "dev", "poc" [schema.enum]"#.to_owned(),
        format!("{f}: Environment/kube-prod: 1 error(s)"),
        r#"  error: spec.organizationRef: organization slug "kube-system" is reserved: slugs starting with "kube-" are Kubernetes system namespaces [NAME-5]"#.to_owned(),
        format!("{f}: Environment/acme-dev: 1 error(s)"),
        "  error: spec.regions: placement single-region needs exactly 1 region, found 2 [CORE-5]".to_owned(),
        "3 documents in 1 files: 0 valid, 3 invalid, 0 skipped; 3 errors, 0 warnings".to_owned(),
    ] {
        assert!(stdout.lines().any(|l| l == line), "missing {line:?} in\n{stdout}");
    }
    assert_eq!(text(&out.stderr), "error: 3 of 3 documents invalid, 0 of 1 files unreadable\n");

    let json = catalyst(&["validate", file.to_str().unwrap(), "-o", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let finding = &v["files"][0]["documents"][2]["findings"][0];
    assert_eq!(finding["path"], "spec.regions");
    assert_eq!(finding["code"], "CORE-5");
    assert_eq!(finding["severity"], "error");
}

#[test]
fn validate_usage_errors() {
    let out = catalyst(&["validate", "/nonexistent/x.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: /nonexistent/x.yaml: No such file"),
        "{}",
        text(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "a: [1, 2").unwrap();
    let out = catalyst(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with(&format!("{}: error: not valid YAML", bad.display())),
        "{}",
        text(&out.stdout)
    );
}

/// Issue 16 §3: `validate DIR` does not follow links out of the walked tree (a link to a
/// file outside printed its content; one to /dev/zero exhausted memory), and every read is
/// capped, also of a file named outright.
#[cfg(unix)]
#[test]
fn validate_stays_inside_the_tree_and_reads_capped() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.yaml");
    std::fs::write(&secret, "apiVersion: v1\nkind: Secret\nmetadata: {name: top-secret-value}\n").unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("sub/ok.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n")
        .unwrap();
    std::os::unix::fs::symlink(&secret, tree.join("leak.yaml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", tree.join("zero.yaml")).unwrap();
    std::os::unix::fs::symlink(tree.join("sub/ok.yaml"), tree.join("inside.yaml")).unwrap();
    std::os::unix::fs::symlink(&tree, tree.join("sub/loop.yaml")).unwrap();
    let out = catalyst(&["validate", tree.to_str().unwrap(), "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> =
        v["files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[0].ends_with("tree/inside.yaml") && files[1].ends_with("tree/sub/ok.yaml"), "{files:?}");
    assert!(!text(&out.stdout).contains("top-secret-value"));
    let warnings = text(&out.stderr);
    for link in ["leak.yaml", "zero.yaml", "loop.yaml"] {
        assert!(warnings.contains(&format!("{link}: a symlink that leaves")), "{warnings}");
    }
    // Named outright, /dev/zero is read only up to the cap.
    let out = catalyst(&["validate", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains(
            "/dev/zero: error: reading /dev/zero: more than 8388608 bytes (the limit for this file)"
        ),
        "{}",
        text(&out.stdout)
    );
}
