//! `catalyst application render` as a user runs it (SPEC CTRL-3).

#![allow(clippy::unwrap_used)]

use catalyst_testkit::cli::{json, stderr, stdout};

const FILE: &str = r#"apiVersion: apps.openova.io/v1
kind: Application
metadata: {name: db, namespace: acme, uid: uid-db, generation: 3}
spec:
  environmentRef: acme-prod
  blueprintRef: {name: bp-wordpress, version: 1.2.3}
  placement: active-hotstandby
  regions: [hetzner-fsn-rtz-prod, hetzner-nbg-rtz-prod]
  parameters: {replicas: 3, image: "wordpress:6.5"}
---
apiVersion: catalyst.openova.io/v1
kind: Environment
metadata: {name: acme-prod}
spec: {organizationRef: acme, envType: prod}
---
apiVersion: orgs.openova.io/v1
kind: Organization
metadata: {name: acme}
---
apiVersion: catalyst.openova.io/v1
kind: Blueprint
metadata: {name: bp-wordpress}
spec:
  manifests: {chart: ./chart, values: {image: "wordpress:6.4"}}
  placementSchema: {modes: [single-region, active-hotstandby], default: single-region}
  configSchema: {type: object, properties: {replicas: {type: integer}}}
"#;

fn write(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("catalyst-application-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("application.yaml");
    std::fs::write(&path, content).unwrap();
    path
}

fn catalyst() -> catalyst_testkit::cli::Cli {
    catalyst_testkit::catalyst_cli!().env("FLUX_GITEA_SECRET_REF", "gitea-flux")
}

#[test]
fn render_prints_every_file_of_every_region() {
    let path = write("text", FILE);
    let out = catalyst().run(&["application", "render", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("==> ")).collect();
    assert_eq!(
        headers,
        [
            "==> clusters/hetzner-fsn-rtz-prod/applications/db/kustomization.yaml <==",
            "==> clusters/hetzner-fsn-rtz-prod/applications/db/helmrelease.yaml <==",
            "==> clusters/hetzner-nbg-rtz-prod/applications/db/kustomization.yaml <==",
            "==> clusters/hetzner-nbg-rtz-prod/applications/db/helmrelease.yaml <=="
        ]
    );
    assert!(text.contains("    image: wordpress:6.5\n    replicas: 3\n"), "{text}");
    assert!(
        text.contains("    _openova_standby: true\n    image: wordpress:6.5\n    replicas: 0\n"),
        "{text}"
    );
}

#[test]
fn json_adds_the_host_flux_objects_and_the_continuum() {
    let path = write("json", FILE);
    let out = catalyst().run(&["application", "render", path.to_str().unwrap(), "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["files"].as_array().unwrap().len(), 4);
    let objects: Vec<String> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| format!("{}/{}", o["kind"].as_str().unwrap(), o["metadata"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        objects,
        [
            "GitRepository/catalyst-app-acme-db",
            "Kustomization/catalyst-app-acme-db-hetzner-fsn-rtz-prod",
            "Kustomization/catalyst-app-acme-db-hetzner-nbg-rtz-prod",
            "Continuum/dr-db"
        ]
    );
    assert_eq!(v["objects"][0]["spec"]["secretRef"]["name"], "gitea-flux");
}

#[test]
fn an_application_that_cannot_be_planned_exits_1_with_the_reason() {
    let path = write("bad", &FILE.replace("replicas: 3,", "replicas: three,"));
    let out = catalyst().run(&["application", "render", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "error: {}: Application acme/db: Failed/Invalid: parameters do not match Blueprint configSchema: ",
            path.display()
        )),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
    let path = write("orphan", FILE.split("---").next().unwrap());
    let out = catalyst().run(&["application", "render", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Pending/EnvironmentMissing: Environment \"acme-prod\" not found"),
        "{}",
        stderr(&out)
    );
    let out = catalyst().run(&["application", "render", "/nonexistent/app.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "error: /nonexistent/app.yaml: no such file\n");
}

#[test]
fn install_dependencies_renders_each_missing_dependency() {
    let file = FILE.replace(
        "  manifests: {chart: ./chart, values: {image: \"wordpress:6.4\"}}",
        "  version: 1.2.3\n  card: {title: WordPress}\n  visibility: listed\n  depends: [{blueprint: bp-mysql, version: ^8}]\n  manifests: {chart: ./chart}",
    ) + "---\napiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-mysql}\nspec: {version: 8.0.3, card: {title: MySQL}, visibility: listed}\n";
    let path = write("deps", &file);
    let out = catalyst().run(&["application", "render", path.to_str().unwrap(), "--install-dependencies"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("==> clusters/hetzner-fsn-rtz-prod/applications/db/helmrelease-db-mysql.yaml <==\n"),
        "{text}"
    );
    assert!(text.contains("  dependsOn:\n    - name: db-mysql\n"), "{text}");
    // Without the flag, the platform's behaviour: no dependency release.
    let out = catalyst().run(&["application", "render", path.to_str().unwrap()]);
    assert!(!stdout(&out).contains("db-mysql"));
}
