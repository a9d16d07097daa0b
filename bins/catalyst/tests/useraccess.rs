//! `catalyst useraccess roles|render` as a user runs them (SPEC CTRL-4).

#![allow(clippy::unwrap_used)]

use catalyst_testkit::cli::{json, stderr, stdout};

fn write(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("catalyst-useraccess-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, content).unwrap();
    path
}

fn catalyst() -> catalyst_testkit::cli::Cli {
    catalyst_testkit::catalyst_cli!()
}

#[test]
fn roles_prints_the_catalogue() {
    let out = catalyst().run(&["useraccess", "roles", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = json(&out)["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["metadata"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 8);
    assert!(names.contains(&"openova:tier-owner".to_owned()));
    let text = catalyst().run(&["useraccess", "roles"]);
    assert_eq!(stdout(&text).matches("kind: ClusterRole").count(), 8);
}

#[test]
fn render_prints_the_bindings() {
    let ua = write(
        "ua",
        "apiVersion: access.openova.io/v1alpha1\nkind: UserAccess\nmetadata: {name: dave, uid: u1, labels: {catalyst.openova.io/tier: developer}}\n\
         spec:\n  user: {keycloakSubject: dave}\n  sovereignRef: acme\n  tierRoleRef: openova:tier-developer\n  scopes: [{key: openova.io/organization, value: acme}]\n",
    );
    let ns = write(
        "ns",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: acme-dev, labels: {openova.io/organization: acme, openova.io/env-type: dev}}\n---\n\
         apiVersion: v1\nkind: Namespace\nmetadata: {name: acme-prod, labels: {openova.io/organization: acme, openova.io/env-type: prod}}\n",
    );
    let out = catalyst().run(&[
        "useraccess",
        "render",
        ua.to_str().unwrap(),
        "--namespaces",
        ns.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let b = json(&out)["bindings"].clone();
    // The developer tier's enforced env-type=dev keeps acme-prod out.
    assert_eq!(b.as_array().unwrap().len(), 1);
    assert_eq!(b[0]["metadata"]["namespace"], "acme-dev");
    assert_eq!(b[0]["roleRef"]["name"], "openova:tier-developer");
    let bad = write(
        "bad",
        "apiVersion: access.openova.io/v1alpha1\nkind: UserAccess\nmetadata: {name: eve}\nspec: {user: {}, sovereignRef: acme}\n",
    );
    let out = catalyst().run(&["useraccess", "render", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("UserAccess eve: Invalid: spec.user must set keycloakSubject and/or keycloakGroups"),
        "{}",
        stderr(&out)
    );
    let out = catalyst().run(&["useraccess", "render", "/nonexistent.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}
