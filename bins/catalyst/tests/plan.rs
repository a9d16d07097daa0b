//! `catalyst plan` as a user runs it: the embedded example, JSON with a key per section, a
//! broken Sovereign's problems on stderr, and the dependency picture.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Output;

use catalyst_testkit::cli::text;

use serde_json::Value;

fn catalyst(args: &[&str]) -> Output {
    catalyst_testkit::catalyst_cli!().run(args)
}

#[test]
fn the_example_prints_every_section_and_a_summary() {
    let out = catalyst(&["plan"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for section in
        ["== names: ", "== resources: ", "== bootstrap kit: ", "== applications: ", "== dns: ", "== gitea: "]
    {
        assert!(stdout.contains(section), "{section} missing");
    }
    assert!(stdout.trim_end().ends_with(
        "5 host clusters, 2 organizations, 5 environments, 8 resources, 35 bootstrap releases, 4 applications (15 Blueprints), 20 DNS record sets, 6 Gitea files, 0 problems"
    ), "{stdout}");
    assert!(out.stderr.is_empty());
    // Deterministic across runs.
    assert_eq!(catalyst(&["plan"]).stdout, out.stdout);
}

#[test]
fn json_has_a_key_per_section_and_yaml_says_the_same() {
    let out = catalyst(&["plan", "-o", "json"]);
    assert!(out.status.success());
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "sovereign",
            "names",
            "resources",
            "bootstrap_kit",
            "applications",
            "dns",
            "gitea",
            "summary",
            "problems"
        ]
    );
    let yaml = catalyst(&["plan", "-o", "yaml"]);
    let from_yaml: Value = serde_saphyr::from_str(&text(&yaml.stdout)).unwrap();
    assert_eq!(from_yaml, json);
}

const BROKEN: &str = r"
sovereign: {fqdn: omantel.biz, provider: hetzner}
regions:
  - {region: fsn, buildingBlocks: [rtz], lbIps: [127.0.10.1]}
organizations:
  - slug: system
    owners: [{email: a@b.example}]
  - slug: acme
    owners: [{email: a@b.example}]
    environments:
      - {envType: prod, regions: [nbg]}
    applications:
      - {name: chat, blueprint: bp-librechat@^9}
";

#[test]
fn a_broken_sovereign_exits_1_listing_each_problem_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sovereign.yaml");
    std::fs::write(&file, BROKEN).unwrap();
    let out = catalyst(&["plan", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    let f = file.display();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert_eq!(
        lines[0],
        format!(
            "error: {f}: organizations[0].slug: organization slug \"system\" is reserved: \"system\" is a platform name (system, flux, crossplane, catalyst, gitea) [InvalidName]"
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "error: {f}: organizations[1].environments[0].regions[0]: unknown region \"nbg\": the Sovereign has fsn [UnknownRegion]"
        )
    );
    assert!(lines[2].starts_with(&format!("error: {f}: organizations[1].applications[0].blueprint: bp-librechat@^9: no set of Blueprint versions satisfies the request:")), "{stderr}");
    // The plan of what could be planned is still printed, with the problems section.
    assert!(text(&out.stdout).contains("== problems: 3 =="));
}

#[test]
fn unreadable_or_unparsable_files_are_usage_errors() {
    let out = catalyst(&["plan", "/nonexistent/sovereign.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: cannot read /nonexistent/sovereign.yaml: "),
        "{}",
        text(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(&file, "sovereign: {fqdn: a.example, provider: hetzner}\nregions: []\nextra: 1\n")
        .unwrap();
    let out = catalyst(&["plan", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with(&format!("error: {}: extra: unknown field `extra`", file.display())),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn catalog_and_kit_folders_are_read_relative_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("bp");
    std::fs::create_dir_all(catalog.join("hello")).unwrap();
    std::fs::write(
        catalog.join("hello/blueprint.yaml"),
        "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-hello}\nspec: {version: 1.2.3, visibility: listed, card: {title: Hello}}\n",
    )
    .unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(
        &file,
        "sovereign: {fqdn: t1.example.test, provider: hetzner}\nregions: [{region: fsn, buildingBlocks: [rtz], lbIps: [127.0.0.5]}]\n\
         catalog: {dir: bp}\norganizations:\n  - slug: acme\n    owners: [{email: a@b.example}]\n    environments: [{envType: dev, regions: [fsn]}]\n    applications: [{name: hi, blueprint: bp-hello}]\n",
    )
    .unwrap();
    let out = catalyst(&["plan", file.to_str().unwrap(), "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["applications"][0]["install_order"][0]["name"], "bp-hello");
    assert_eq!(json["applications"][0]["install_order"][0]["version"], "1.2.3");
    assert_eq!(json["applications"][0]["hostnames"][0], "hi.acme-dev.t1.example.test");
}

fn graph(name: &str) -> (Output, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let out = catalyst(&["plan", "--graph", path.to_str().unwrap()]);
    (out, path, dir)
}

#[test]
fn the_dependency_picture_in_dot_mermaid_and_svg() {
    let (out, path, _d) = graph("plan.dot");
    assert!(out.status.success());
    let dot = std::fs::read_to_string(&path).unwrap();
    assert!(dot.starts_with("digraph plan {"));
    assert!(dot.contains("\"kit/bp-cilium\" -> \"kit/bp-cert-manager\";"));
    assert!(dot.contains("\"app0/bp-vllm\" -> \"app0/bp-librechat\";"));
    let (out, path, _d) = graph("plan.mmd");
    assert!(out.status.success());
    let mmd = std::fs::read_to_string(&path).unwrap();
    assert!(mmd.starts_with("flowchart LR\n"));
    assert!(mmd.contains("kit_bp_cilium --> kit_bp_cert_manager"));
    let (out, path, _d) = graph("plan.svg");
    assert!(out.status.success(), "{} (scripts/test installs graphviz)", text(&out.stderr));
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("<svg") && svg.contains("librechat 1.0.0"), "{}", &svg[..svg.len().min(300)]);
    let (out, path, _d) = graph("plan.png");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!("error: --graph {}: unknown extension \"png\"; use .dot, .mmd or .svg\n", path.display())
    );
    assert!(!Path::new(&path).exists());
}

#[test]
fn the_schema_is_printed_on_request() {
    let out = catalyst(&["plan", "--schema"]);
    assert!(out.status.success());
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["title"], "SovereignFile");
}

/// Issue 16 §3 and §2: the Sovereign file is read capped, and a catalog over plain HTTP to a
/// registry off loopback is refused before anything is sent.
#[cfg(unix)]
#[test]
fn plan_reads_capped() {
    let out = catalyst(&["plan", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: cannot read /dev/zero: more than 1048576 bytes (the limit for this file)\n"
    );
}

/// A catalog over plain HTTP to a registry off loopback is refused before anything is sent.
#[cfg(feature = "remote")]
#[test]
fn plan_keeps_plain_http_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(
        &file,
        "sovereign: {fqdn: t1.example.test, provider: hetzner}\nregions: [{region: fsn, buildingBlocks: [rtz], lbIps: [127.0.0.5]}]\n\
         catalog: {oci: {plainHttp: true, keys: [missing.pub], blueprints: ['registry.example.test/openova-io/bp-a:1.0.0']}}\n",
    )
    .unwrap();
    let out = catalyst(&["plan", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {}: catalog.oci.plainHttp: plain HTTP is only allowed to registries on loopback (localhost, 127.0.0.0/8, [::1]), and registry.example.test/openova-io/bp-a:1.0.0 is not: credentials and content would travel in clear\n",
            file.display()
        )
    );
}
