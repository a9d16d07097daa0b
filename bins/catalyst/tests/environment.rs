//! `catalyst environment render` as a user runs it (SPEC ENV-2, ENV-3, ENV-8, ENV-13).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use catalyst_testkit::cli::text;

use serde_json::Value;

const PUBLIC: &str = "https://gitea.hfmp.acme.openova.io";

fn render(file: &Path, vars: &[(&str, &str)], extra: &[&str]) -> Output {
    let mut cli = catalyst_testkit::catalyst_cli!();
    for v in [
        "GITEA_PUBLIC_URL",
        "GITEA_SECRET_REF",
        "FLUX_NAMESPACE",
        "FLUX_INTERVAL_SECONDS",
        "ENV_REPO_SUFFIX",
        "HOST_CLUSTER_NAMING",
    ] {
        cli = cli.unset(v);
    }
    for (k, v) in vars {
        cli = cli.env(k, v);
    }
    let file = file.to_str().unwrap();
    let mut args = vec!["environment", "render", file];
    args.extend(extra);
    cli.run(&args)
}

fn write(dir: &Path, name: &str, yaml: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, yaml).unwrap();
    path
}

const BANK: &str = r"apiVersion: catalyst.openova.io/v1
kind: Environment
metadata: {name: acmebank-prod, uid: 7f3c, generation: 2}
spec:
  organizationRef: acmebank
  envType: prod
  placement: multi-region
  regions:
    - {provider: hetzner, region: fsn, buildingBlock: rtz}
    - {provider: hetzner, region: hel, buildingBlock: rtz}
    - {provider: huawei, region: muc, buildingBlock: rtz, hostCluster: hw-muc-rtz-custom}
";

#[test]
fn three_regions_three_paths_byte_identical_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bank.yaml", BANK);
    let vars = [("GITEA_PUBLIC_URL", PUBLIC)];
    let first = render(&file, &vars, &["-o", "json"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let second = render(&file, &vars, &["-o", "json"]);
    assert_eq!(first.stdout, second.stdout);
    let json: Value = serde_json::from_slice(&first.stdout).unwrap();
    let files = json["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "clusters/hetzner-fsn-rtz-prod/environments/acmebank-prod/gitrepository.yaml",
            "clusters/hetzner-hel-rtz-prod/environments/acmebank-prod/gitrepository.yaml",
            "clusters/hw-muc-rtz-custom/environments/acmebank-prod/gitrepository.yaml",
        ]
    );
    for f in files {
        let content = f["content"].as_str().unwrap();
        assert!(
            content.contains("  url: https://gitea.hfmp.acme.openova.io/acmebank/acmebank-environment.git\n")
        );
        assert_eq!(f.as_object().unwrap().keys().collect::<Vec<_>>(), ["path", "content"]);
    }
    // Text output: a header per file, then the bytes.
    let out = render(&file, &vars, &["--host-cluster", "hz-fsn-rtz-prod"]);
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout
            .matches("==> clusters/hz-fsn-rtz-prod/environments/acmebank-prod/gitrepository.yaml <==\n")
            .count(),
        3
    );
}

#[test]
fn output_is_what_the_platform_controller_writes() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "acme.yaml",
        "apiVersion: catalyst.openova.io/v1\nkind: Environment\nmetadata: {name: acme-prod, uid: abc-123, generation: 5}\n\
         spec: {organizationRef: acme, envType: prod, placement: single-region, regions: [{provider: hetzner, region: fsn, buildingBlock: rtz}]}\n",
    );
    let fixture = catalyst_testkit::fixture("openova/environment/gitrepository.acme-prod.yaml");
    let expected = std::fs::read_to_string(&fixture).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
    let out = render(&file, &[("GITEA_PUBLIC_URL", PUBLIC)], &["-o", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["files"][0]["content"].as_str().unwrap(), expected);
}

#[test]
fn configuration_comes_from_the_controller_variables() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bank.yaml", BANK);
    let out = render(
        &file,
        &[
            ("GITEA_PUBLIC_URL", "https://git.example.test/"),
            ("GITEA_SECRET_REF", "org-git-auth"),
            ("FLUX_NAMESPACE", "flux"),
            ("FLUX_INTERVAL_SECONDS", "soon"),
            ("ENV_REPO_SUFFIX", "-env"),
            ("HOST_CLUSTER_NAMING", "canonical"),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "warning: FLUX_INTERVAL_SECONDS=\"soon\" is not a positive integer; using 60\n"
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("==> clusters/hz-hel-rtz-prod/environments/acmebank-prod/gitrepository.yaml <==\n")
    );
    assert!(stdout.contains("  url: https://git.example.test/acmebank/acmebank-env.git\n"));
    assert!(stdout.contains("  namespace: flux\n"));
    assert!(stdout.contains("  interval: 60s\n"));
    assert!(stdout.contains("  secretRef:\n    name: org-git-auth\n"));
}

#[test]
fn refusals_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bank.yaml", BANK);
    let out = render(&file, &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: GITEA_PUBLIC_URL is not set: the URL Flux clones the environment repository from has no default\n"
    );
    let bad = write(
        dir.path(),
        "bad.yaml",
        "apiVersion: catalyst.openova.io/v1\nkind: Environment\nmetadata: {name: acme-prod}\n\
         spec: {organizationRef: acme, envType: prod, placement: single-region, regions: [\
         {provider: hetzner, region: fsn, buildingBlock: rtz}, {provider: hetzner, region: hel, buildingBlock: rtz}]}\n\
         ---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: other}\n\
         ---\napiVersion: catalyst.openova.io/v1\nkind: Environment\nmetadata: {name: acme-dev}\n\
         spec: {organizationRef: acme, envType: dev, placement: multi-region, regions: [{provider: hetzner, region: fsn, buildingBlock: rtz}]}\n",
    );
    let out = render(&bad, &[("GITEA_PUBLIC_URL", PUBLIC)], &[]);
    assert_eq!(out.status.code(), Some(1));
    let name = bad.display();
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {name}: Environment/acme-prod: spec.regions: placement single-region needs exactly 1 region, found 2 [CORE-5]\n\
             error: {name}: Environment/acme-dev: spec.regions: placement multi-region needs at least 2 regions, found 1 [CORE-5]\n"
        )
    );
    assert!(out.stdout.is_empty());
    let out = render(&file, &[("GITEA_PUBLIC_URL", PUBLIC)], &["--host-cluster", "../up"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .starts_with(&format!("error: {}: Environment/acmebank-prod: spec.regions[0]: ", file.display())),
        "{}",
        text(&out.stderr)
    );
    let none = write(dir.path(), "none.yaml", "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n");
    let out = render(&none, &[("GITEA_PUBLIC_URL", PUBLIC)], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), format!("error: {}: no Environment document\n", none.display()));
}
