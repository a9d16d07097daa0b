//! BK-1, BK-4, BK-5: the bootstrap-kit HelmRelease DAG.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use catalyst_blueprint::{check_kit, check_kit_dir};

fn kit_dir() -> PathBuf {
    catalyst_testkit::fixture("openova/bootstrap-kit/_template")
}

fn kit_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(kit_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "kustomization.yaml")
        .map(|p| (p.file_name().unwrap().to_str().unwrap().to_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    files.sort();
    files
}

fn hr(name: &str, deps: &[&str]) -> String {
    let deps: Vec<String> = deps.iter().map(|d| format!("    - name: {d}\n")).collect();
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: x}}\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
         metadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 15m\n  dependsOn:\n{}",
        deps.concat()
    )
}

#[test]
fn fixture_kit_is_clean_and_ordered() {
    let check = check_kit_dir(&kit_dir()).unwrap();
    assert!(check.findings.is_empty(), "{:#?}", check.findings);
    assert_eq!(check.releases.len(), 35);
    assert_eq!(check.order.len(), 35);
    let pos = |n: &str| check.order.iter().position(|o| o == n).unwrap();
    let mut edges = 0;
    for r in &check.releases {
        for d in &r.depends_on {
            assert!(pos(d) < pos(&r.name), "{} must come after {d}", r.name);
            edges += 1;
        }
    }
    assert_eq!(edges, 44);
    assert_eq!(check.order[0], "bp-cilium");
    assert_eq!(
        check.longest_chain,
        ["bp-cilium", "bp-cert-manager", "bp-flux", "bp-seaweedfs", "bp-loki", "bp-grafana"]
    );
    assert_eq!(check.releases.iter().find(|r| r.name == "bp-catalyst-platform").unwrap().slot, "13");
}

#[test]
fn injected_cycle_is_named() {
    let mut files = kit_files();
    // bp-cilium (slot 01) now depends on bp-flux (slot 03), which depends on it through cert-manager.
    let cilium = files.iter_mut().find(|(f, _)| f == "01-cilium.yaml").unwrap();
    cilium.1 = hr("bp-cilium", &["bp-flux"]);
    let check = check_kit(&files, None);
    let errors: Vec<String> = check.findings.iter().map(ToString::to_string).collect();
    assert!(errors.contains(&"spec.dependsOn: dependency cycle: bp-cilium -> bp-flux -> bp-cert-manager -> bp-cilium [DependencyCycle]".to_owned()), "{errors:#?}");
    assert!(errors.contains(&"01-cilium.yaml: spec.dependsOn: bp-cilium (slot 01) depends on bp-flux (slot 03), a higher slot [SlotOrder]".to_owned()), "{errors:#?}");
    assert!(check.order.is_empty());
}

/// SPEC BK-5: a dependency on a higher slot is a warning, not an error; the order follows
/// the dependencies, not the prefixes.
#[test]
fn a_higher_slot_dependency_is_a_warning() {
    let files =
        vec![("01-a.yaml".to_owned(), hr("bp-a", &["bp-b"])), ("02-b.yaml".to_owned(), hr("bp-b", &[]))];
    let check = check_kit(&files, None);
    assert!(!check.has_errors(), "{:#?}", check.findings);
    let warnings: Vec<String> = check.findings.warnings().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["01-a.yaml: spec.dependsOn: bp-a (slot 01) depends on bp-b (slot 02), a higher slot [SlotOrder]"]
    );
    assert_eq!(check.order, ["bp-b", "bp-a"]);
}

#[test]
fn dangling_duplicate_and_kustomization_findings() {
    let files = vec![
        ("01-a.yaml".to_owned(), hr("bp-alpha", &[])),
        ("02-b.yaml".to_owned(), hr("bp-beta", &["bp-alpha", "bp-missing"])),
        ("03-c.yaml".to_owned(), hr("bp-alpha", &[])),
    ];
    let kustomization = "resources:\n  - 02-b.yaml\n  - 01-a.yaml\n  - 09-gone.yaml\n";
    let check = check_kit(&files, Some(kustomization));
    let errors: Vec<String> = check.findings.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "03-c.yaml: metadata.name: bp-alpha is also defined in 01-a.yaml [DuplicateRelease]",
            "02-b.yaml: spec.dependsOn: bp-beta depends on bp-missing, which is not a HelmRelease of this kit [DanglingDependency]",
            "kustomization.yaml: resources: 03-c.yaml is not listed [KustomizationOrder]",
            "kustomization.yaml: resources[2]: 09-gone.yaml is not a file of the kit [KustomizationOrder]",
            "kustomization.yaml: resources[1]: 01-a.yaml comes after 02-b.yaml, out of slot order [KustomizationOrder]",
        ]
    );
}

#[test]
fn both_file_name_forms_and_letter_slots() {
    let files = vec![
        ("06-bp-spire.yaml".to_owned(), hr("bp-spire", &[])),
        ("06a-cutover.yaml".to_owned(), hr("bp-cutover", &["bp-spire"])),
        ("07-nats.yaml".to_owned(), hr("bp-nats", &["bp-cutover"])),
        ("README.yaml".to_owned(), hr("bp-readme", &[])),
    ];
    let check = check_kit(&files, None);
    assert_eq!(check.order, ["bp-spire", "bp-cutover", "bp-nats"]);
    assert_eq!(check.findings.len(), 1);
    assert_eq!(check.findings[0].code, catalyst_blueprint::Code::InvalidSlot);
}

#[test]
fn folder_without_releases_is_an_error() {
    let dir = std::env::temp_dir().join(format!("catalyst-empty-kit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("01-ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n").unwrap();
    let err = check_kit_dir(&dir).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(err.ends_with("no HelmRelease found in any *.yaml file"), "{err}");
}
