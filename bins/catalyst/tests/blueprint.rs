//! `catalyst blueprint …` and `catalyst bootstrap-kit check` as a user runs them.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use catalyst_testkit::cli::text;

fn catalyst(args: &[&str]) -> Output {
    catalyst_testkit::catalyst_cli!().run(args)
}

fn fixtures() -> PathBuf {
    catalyst_testkit::fixture("openova")
}

/// A scratch folder removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("catalyst-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, rel: &str, content: &str) {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn blueprint(name: &str, version: &str, deps: &str) -> String {
    format!(
        "apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-{name}\nspec:\n  version: {version}\n  \
         card: {{title: {name}}}\n  visibility: listed\n  depends: [{deps}]\n"
    )
}

#[test]
fn conflict_exits_1_naming_both_sides() {
    let dir = Scratch::new("conflict");
    dir.write("alpha/blueprint.yaml", &blueprint("alpha", "1.0.0", "{blueprint: bp-gamma, version: ^1}"));
    dir.write("beta/blueprint.yaml", &blueprint("beta", "1.0.0", "{blueprint: bp-gamma, version: ^2}"));
    dir.write("gamma/1.4.0/blueprint.yaml", &blueprint("gamma", "1.4.0", ""));
    dir.write("gamma/2.0.0/blueprint.yaml", &blueprint("gamma", "2.0.0", ""));
    let out = catalyst(&["blueprint", "resolve", "--catalog", dir.path(), "alpha", "beta"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.starts_with("error: no set of Blueprint versions satisfies the request:"), "{err}");
    for needle in [
        "bp-alpha",
        "bp-beta",
        "bp-gamma (available: 1.4.0, 2.0.0)",
        "requires bp-gamma ^1 (",
        "requires bp-gamma ^2 (",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(err.contains(&format!("{}", Path::new("alpha").join("blueprint.yaml").display())), "{err}");
    assert!(err.contains("\n  Because bp-alpha 1.0.0 depends on bp-gamma >=1.0.0, <2.0.0 and bp-beta 1.0.0 depends on bp-gamma >=2.0.0, <3.0.0"), "{err}");
    let hint = err
        .lines()
        .find(|l| l.starts_with("hint: the constraints are written in "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(hint.contains(&Path::new("alpha").join("blueprint.yaml").display().to_string()), "{hint}");
    assert!(hint.contains(&Path::new("beta").join("blueprint.yaml").display().to_string()), "{hint}");
    // Either side alone resolves.
    let ok = catalyst(&["blueprint", "resolve", "--catalog", dir.path(), "alpha", "-o", "json"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(plan["install_order"][0]["name"], "bp-gamma");
    assert_eq!(plan["install_order"][0]["version"], "1.4.0");
    assert_eq!(plan["install_order"][1]["depends_on"], serde_json::json!(["bp-gamma"]));
}

#[test]
fn resolve_prefers_installed_and_reports_bad_input() {
    let dir = Scratch::new("installed");
    dir.write("app/blueprint.yaml", &blueprint("app", "1.0.0", "{blueprint: bp-db, version: ^1}"));
    dir.write("db/1.0.0/blueprint.yaml", &blueprint("db", "1.0.0", ""));
    dir.write("db/1.2.0/blueprint.yaml", &blueprint("db", "1.2.0", ""));
    let out =
        catalyst(&["blueprint", "resolve", "--catalog", dir.path(), "app", "--installed", "bp-db@1.0.0"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("bp-db 1.0.0"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("(installed, reused)"));
    // Issue 18 (BP-8): an installed version a constraint excludes is a conflict, unless allowed.
    let out =
        catalyst(&["blueprint", "resolve", "--catalog", dir.path(), "app", "--installed", "bp-db@0.9.0"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("error: bp-db 0.9.0 is installed, but bp-app 1.0.0 ("), "{err}");
    assert!(
        err.contains("spec.depends[0]) needs bp-db ^1; allow the upgrade or change the constraint"),
        "{err}"
    );
    let out = catalyst(&[
        "blueprint",
        "resolve",
        "--catalog",
        dir.path(),
        "app",
        "--installed",
        "bp-db@0.9.0",
        "--allow-upgrade",
        "db",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["install_order"][0]["status"], "upgrade");
    assert_eq!(plan["install_order"][1]["status"], "new");
    let out = catalyst(&["blueprint", "resolve", "--catalog", dir.path(), "app@^9"]);
    assert_eq!(out.status.code(), Some(1));
    let out = catalyst(&["blueprint", "resolve", "--catalog", dir.path(), "nothere"]);
    assert_eq!(text(&out.stderr), "error: bp-nothere is not in the catalog (required by the request)\n");
    let out = catalyst(&["blueprint", "resolve", "--catalog", dir.path(), "app@^1.x.2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("component 3 follows a wildcard"), "{}", text(&out.stderr));
    let out = catalyst(&["blueprint", "resolve", "--catalog", "/nonexistent/catalog", "app"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .starts_with("error: --catalog /nonexistent/catalog: cannot read /nonexistent/catalog")
    );
}

#[test]
fn lint_fixture_catalog_and_a_broken_one() {
    let out = catalyst(&[
        "blueprint",
        "lint",
        "--catalog",
        fixtures().join("blueprints").to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["blueprints"].as_u64(), report["errors"].as_u64(), report["warnings"].as_u64()),
        (Some(48), Some(0), Some(38))
    );

    let dir = Scratch::new("lint");
    dir.write(
        "one/blueprint.yaml",
        &blueprint("one", "1.0.0", "{blueprint: bp-two, version: ^1, alias: Two}"),
    );
    dir.write("two/blueprint.yaml", &blueprint("two", "1.0", ""));
    let out = catalyst(&["blueprint", "lint", "--catalog", dir.path()]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(
        report.contains("error[InvalidAlias]:")
            && report.contains("one/blueprint.yaml: spec.depends[0].alias:"),
        "{report}"
    );
    assert!(
        report.contains("error[InvalidVersion]:")
            && report.contains("two/blueprint.yaml: spec.version: invalid Blueprint version \"1.0\""),
        "{report}"
    );
    assert!(report.ends_with("0 Blueprints, 2 errors, 0 warnings\n"), "{report}");
}

#[test]
fn graph_formats() {
    let catalog = fixtures().join("blueprints");
    let out = catalyst(&[
        "blueprint",
        "graph",
        "--catalog",
        catalog.to_str().unwrap(),
        "harbor",
        "--format",
        "dot",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let dot = text(&out.stdout);
    assert!(dot.starts_with("digraph blueprints {"));
    assert!(dot.contains("\"bp-harbor\" -> \"bp-seaweedfs\""), "{dot}");
}

#[test]
fn bootstrap_kit_fixture_passes_and_injected_faults_fail() {
    let kit = fixtures().join("bootstrap-kit/_template");
    let out = catalyst(&["bootstrap-kit", "check", kit.to_str().unwrap(), "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let order: Vec<&str> = v["order"].as_array().unwrap().iter().map(|o| o.as_str().unwrap()).collect();
    assert_eq!(order.len(), 35);
    for r in v["releases"].as_array().unwrap() {
        let me = order.iter().position(|o| *o == r["name"]).unwrap();
        for d in r["depends_on"].as_array().unwrap() {
            assert!(order.iter().position(|o| *o == d).unwrap() < me, "{} before {d}", r["name"]);
        }
    }

    // Copy the kit, then make bp-cert-manager depend on bp-grafana (a cycle) and on bp-ghost.
    let dir = Scratch::new("kit");
    for entry in std::fs::read_dir(&kit).unwrap() {
        let p = entry.unwrap().path();
        dir.write(p.file_name().unwrap().to_str().unwrap(), &std::fs::read_to_string(&p).unwrap());
    }
    let cm = dir.0.join("02-cert-manager.yaml");
    let original = std::fs::read_to_string(&cm).unwrap();
    let patched = original.replacen(
        "    - name: bp-cilium",
        "    - name: bp-cilium\n    - name: bp-grafana\n    - name: bp-ghost",
        1,
    );
    assert_ne!(patched, original, "the fixture changed shape");
    std::fs::write(&cm, patched).unwrap();
    let out = catalyst(&["bootstrap-kit", "check", dir.path()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("error[DanglingDependency]: 02-cert-manager.yaml: spec.dependsOn: bp-cert-manager depends on bp-ghost, which is not a HelmRelease of this kit"), "{err}");
    assert!(
        err.contains(
            "error[DependencyCycle]: spec.dependsOn: dependency cycle: bp-cert-manager -> bp-grafana -> "
        ),
        "{err}"
    );
    assert!(err.contains("warning[SlotOrder]: 02-cert-manager.yaml: spec.dependsOn: bp-cert-manager (slot 02) depends on bp-grafana (slot 25), a higher slot"), "{err}");
}

/// Issue 16 §3: a 900 KB blueprint.yaml (under the 1 MiB cap) whose `when` has 300,000
/// terms crashed `blueprint lint` and `blueprint resolve` with a stack overflow (exit 134).
/// Now it is a finding naming the file and the limit, and the rest of the catalog works.
#[test]
fn a_hostile_when_is_a_finding_not_a_crash() {
    let s = Scratch::new("hostile-when");
    let when = format!("{{{{ {} }}}}", vec!["1"; 300_000].join("||"));
    s.write(
        "catalog/app/blueprint.yaml",
        &format!("apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: bp-app}}\nspec:\n  version: 1.0.0\n  visibility: listed\n  card: {{title: App}}\n  depends:\n    - {{blueprint: bp-db, when: \"{when}\"}}\n"),
    );
    s.write(
        "catalog/db/blueprint.yaml",
        "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-db}\nspec: {version: 1.0.0, visibility: listed, card: {title: DB}}\n",
    );
    let catalog = format!("{}/catalog", s.path());
    let out = catalyst(&["blueprint", "lint", "--catalog", &catalog]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("app/blueprint.yaml"), "{all:.2000}");
    assert!(
        all.contains("the expression is 900000 characters long; at most 4096 are allowed"),
        "{all:.2000}"
    );
    assert!(all.len() < 10_000, "the input is not echoed back: {} bytes", all.len());
    let out = catalyst(&["blueprint", "resolve", "--catalog", &catalog, "bp-db"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = catalyst(&["blueprint", "resolve", "--catalog", &catalog, "bp-app"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

/// Issue 17 §3: `blueprint lint` runs the CRD's structural schema as `validate` does, so a
/// finding only the schema makes shows in both, under the same path.
#[test]
fn lint_and_validate_share_the_crd_schema_findings() {
    let dir = Scratch::new("crd-schema");
    dir.write(
        "demo/blueprint.yaml",
        "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-demo}\nspec:\n  version: 1.0.0\n  card: {title: Demo}\n  visibility: listed\n  endpoints: [{name: ui, hostnameTemplate: x, port: 80, protocol: http, bogus: 1}]\n",
    );
    let lint = catalyst(&["blueprint", "lint", "--catalog", dir.path()]);
    let lint_out = text(&lint.stdout);
    assert!(lint.status.success(), "{lint_out}");
    assert!(lint_out.contains("warning[CrdSchema]: "), "{lint_out}");
    assert!(lint_out.contains("blueprint.yaml: spec.endpoints[0].bogus: unknown field"), "{lint_out}");
    let file = Path::new(dir.path()).join("demo/blueprint.yaml");
    let validate = catalyst(&["validate", file.to_str().unwrap()]);
    let validate_out = text(&validate.stdout);
    assert!(validate.status.success(), "{validate_out}");
    assert!(validate_out.contains("warning: spec.endpoints[0].bogus: unknown field"), "{validate_out}");
}

/// Issue 18 (BP-6): `blueprint resolve` evaluates `when` against --values and --set over the
/// configSchema defaults; skipped edges are listed (text) and under `skipped` (JSON).
#[test]
fn resolve_follows_only_edges_whose_when_holds() {
    let dir = Scratch::new("when");
    dir.write(
        "app/blueprint.yaml",
        "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-app}\nspec:\n  version: 1.0.0\n  card: {title: App}\n  visibility: listed\n  configSchema: {type: object, properties: {db: {type: object, properties: {embedded: {type: boolean, default: false}}}}}\n  depends:\n    - {blueprint: bp-db, version: ^1, when: \"{{ .config.db.embedded == true }}\"}\n",
    );
    dir.write("db/blueprint.yaml", &blueprint("db", "1.0.0", ""));
    let out = catalyst(&["blueprint", "resolve", "--catalog", dir.path(), "app"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(!shown.contains("bp-db 1.0.0"), "{shown}");
    assert!(
        shown.contains("skipped: bp-app 1.0.0 -> bp-db (when {{ .config.db.embedded == true }} is false)"),
        "{shown}"
    );
    let out = catalyst(&[
        "blueprint",
        "resolve",
        "--catalog",
        dir.path(),
        "app",
        "--set",
        "db.embedded=true",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["install_order"][0]["name"], "bp-db");
    assert_eq!(plan["skipped"], serde_json::json!([]));
    dir.write("values.yaml", "db: {embedded: true}\n");
    let values = Path::new(dir.path()).join("values.yaml");
    let out = catalyst(&[
        "blueprint",
        "resolve",
        "--catalog",
        dir.path(),
        "app",
        "--values",
        values.to_str().unwrap(),
        "-o",
        "json",
    ]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["install_order"].as_array().map(Vec::len), Some(2));
    // --set overrides --values.
    let out = catalyst(&[
        "blueprint",
        "resolve",
        "--catalog",
        dir.path(),
        "app",
        "--values",
        values.to_str().unwrap(),
        "--set",
        "db.embedded=false",
        "-o",
        "json",
    ]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["skipped"][0]["to"], "bp-db");
    let out = catalyst(&["blueprint", "resolve", "--catalog", dir.path(), "app", "--set", "novalue"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), "error: --set \"novalue\": expected PATH=VALUE\n");
}

/// Issue 18: a folder with nothing to check is a usage error (exit 2), not a finding (exit 1).
#[test]
fn a_kit_folder_without_helmreleases_is_a_usage_error() {
    let dir = Scratch::new("empty-kit");
    dir.write("01-namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n");
    let out = catalyst(&["bootstrap-kit", "check", dir.path()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).ends_with("no HelmRelease found in any *.yaml file\n"),
        "{}",
        text(&out.stderr)
    );
    let out = catalyst(&["bootstrap-kit", "check", "/nonexistent/kit"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// Issue 18 (SPEC BK-4): `bootstrap-kit check --expected` replaces the platform's CI script:
/// the JSON keys, the exit codes and the wave report.
#[test]
fn bootstrap_kit_check_against_an_expected_dag() {
    let kit = fixtures().join("bootstrap-kit/_template");
    let kit = kit.to_str().unwrap();

    // Clean against the BK-3 file: exit 0 with the W2.K4 slots deferred.
    let out = catalyst(&["bootstrap-kit", "check", kit, "--expected", "builtin:expected", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["releases", "order", "undeclared", "drift", "deferred", "dangling", "cycles", "waves"] {
        assert!(v.get(key).is_some(), "no {key} in {v}");
    }
    assert_eq!(v["drift"], serde_json::json!([]));
    assert_eq!(v["deferred"].as_array().unwrap().len(), 13);
    assert_eq!(
        v["waves"]["W2.K1"],
        serde_json::json!(["bp-external-secrets", "bp-cnpg", "bp-valkey", "bp-seaweedfs", "bp-harbor"])
    );
    assert_eq!(
        v["summary"],
        serde_json::json!({"present": 35, "declared": 48, "deferred": 13, "drift": 0, "cycles": 0})
    );

    // The text report: grouped by wave, then the summary.
    let out = catalyst(&["bootstrap-kit", "check", kit, "--expected", "builtin:expected"]);
    assert_eq!(out.status.code(), Some(0));
    let report = text(&out.stdout);
    assert!(report.starts_with("present (14)\n  [ 01] bp-cilium "), "{report}");
    assert!(report.contains("\nW2.K4 (14)\n  [ 35] bp-coraza"), "{report}");
    assert!(
        report.contains(
            "  [ 36] bp-stunner               after: bp-cilium, bp-cert-manager  (deferred: no file yet)\n"
        ),
        "{report}"
    );
    assert!(
        report.ends_with(
            "summary against builtin:expected: present 35 / declared 48 / deferred 13 / drift 0 / cycles 0\n"
        ),
        "{report}"
    );

    // Drift against the ARCH §9.1 target: exit 1, drift in JSON with missing and extra.
    let out = catalyst(&["bootstrap-kit", "check", kit, "--expected", "builtin:arch", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["undeclared"], serde_json::json!(["bp-spire"]));
    assert_eq!(
        v["drift"][0],
        serde_json::json!({"name": "bp-nats-jetstream", "missing": ["bp-cert-manager"], "extra": ["bp-spire"]})
    );
    assert!(text(&out.stderr).contains(
        "error[UndeclaredRelease]: 06-spire.yaml: metadata.name: bp-spire is not declared in builtin:arch\n"
    ));

    // An expected file from disk; an unreadable or invalid one is a usage error (exit 2).
    let dir = Scratch::new("expected");
    dir.write("deps.yaml", "slots:\n  - {slot: 1, name: bp-cilium, wave: present}\n");
    let deps = dir.0.join("deps.yaml");
    let out = catalyst(&["bootstrap-kit", "check", kit, "--expected", deps.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(
        "error[UndeclaredRelease]: 02-cert-manager.yaml: metadata.name: bp-cert-manager is not declared in "
    ));
    dir.write("bad.yaml", "slots:\n  - {slot: 1, name: bp-cilium, wave: W9}\n");
    let bad = dir.0.join("bad.yaml");
    let out = catalyst(&["bootstrap-kit", "check", kit, "--expected", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("unknown variant `W9`, expected one of present, W2.K1, W2.K2, W2.K3, W2.K4"),
        "{}",
        text(&out.stderr)
    );
    let out = catalyst(&["bootstrap-kit", "check", kit, "--expected", "/nonexistent/deps.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: --expected /nonexistent/deps.yaml: cannot read the expected DAG: No such file or directory (os error 2)\n"
    );
}

/// Issue 18: `bootstrap-kit diff` reports the doc drift between BK-2 and BK-3, exit 1 like
/// diff(1); identical graphs are exit 0.
#[test]
fn bootstrap_kit_diff_reports_the_doc_drift() {
    let out = catalyst(&["bootstrap-kit", "diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.starts_with("--- builtin:arch\n+++ builtin:expected\n- [06a] bp-self-sovereign-cutover (only in builtin:arch)\n+ [ 06] bp-spire (only in builtin:expected)\n"), "{report}");
    assert!(
        report.contains("~ bp-catalyst-platform dependsOn: - bp-nats-jetstream, bp-openbao, bp-keycloak\n"),
        "{report}"
    );
    assert!(
        report.contains("note: in builtin:arch, cold-start bp-powerdns (slot 11) depends on bp-cnpg (16)\n"),
        "{report}"
    );
    assert!(report.ends_with("1 only in builtin:arch, 1 only in builtin:expected, 0 moved, 0 in another wave, 5 with other dependencies\n"), "{report}");
    let out = catalyst(&["bootstrap-kit", "diff", "builtin:expected", "builtin:expected", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["depends"], serde_json::json!([]));
}

/// Issue 18: `blueprint resolve --kit DIR` resolves against the bootstrap kit as installed; a kit
/// version outside a constraint is exit 1 naming the kit file and the Blueprint file.
#[test]
fn resolve_against_the_bootstrap_kit() {
    let catalog = fixtures().join("blueprints");
    let kit = fixtures().join("bootstrap-kit/_template");
    let (catalog, kit) = (catalog.to_str().unwrap(), kit.to_str().unwrap());
    let out = catalyst(&["blueprint", "resolve", "--catalog", catalog, "--kit", kit, "bp-harbor"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("  4. bp-seaweedfs 1.0.1     app=seaweedfs            after: -  provided by the Sovereign (bootstrap kit, 18-seaweedfs.yaml)\n"), "{report}");
    assert!(report.ends_with("0 Blueprints to install, 5 already installed\n"), "{report}");

    let out = catalyst(&[
        "blueprint",
        "resolve",
        "--catalog",
        catalog,
        "--kit",
        kit,
        "bp-keycloak@^2",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: bp-keycloak 1.1.2 is installed, provided by the Sovereign (bootstrap kit, 09-keycloak.yaml), but the request needs bp-keycloak ^2; allow the upgrade or change the constraint (--allow-upgrade bp-keycloak) [InstalledVersionConflict]\n"
    );
}

/// Issue 18 (SPEC BP-9): `--org-catalog ORG=DIR` loads an Organization's own catalog; its
/// private Blueprints are refused to others (exit 1), allowed to `--org ORG`.
#[test]
fn private_blueprints_of_an_org_catalog() {
    let dir = Scratch::new("org-catalog");
    let bp = |name: &str, extra: &str| {
        format!(
            "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: {name}}}\nspec: {{version: 1.0.0, card: {{title: x}}{extra}}}\n"
        )
    };
    dir.write(
        "shared/blog/blueprint.yaml",
        &bp("bp-blog", ", visibility: listed, depends: [bp-secret-sauce]"),
    );
    dir.write("acme/secret-sauce/blueprint.yaml", &bp("bp-secret-sauce", ", visibility: private"));
    let shared = dir.0.join("shared");
    let org = format!("acme={}", dir.0.join("acme").display());
    let out = catalyst(&[
        "blueprint",
        "resolve",
        "--catalog",
        shared.to_str().unwrap(),
        "--org-catalog",
        &org,
        "bp-blog",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: bp-secret-sauce 1.0.0 is private to Organization acme, but bp-blog 1.0.0 ("),
        "{err}"
    );
    assert!(err.ends_with("blueprint.yaml, spec.depends[0]) of the shared catalog requires it\n"), "{err}");
    let out = catalyst(&[
        "blueprint",
        "resolve",
        "--catalog",
        shared.to_str().unwrap(),
        "--org-catalog",
        &org,
        "--org",
        "acme",
        "bp-secret-sauce",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = catalyst(&[
        "blueprint",
        "resolve",
        "--catalog",
        shared.to_str().unwrap(),
        "--org-catalog",
        "acme",
        "bp-blog",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), "error: --org-catalog \"acme\": expected ORG=DIR\n");
}
