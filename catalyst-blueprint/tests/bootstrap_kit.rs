//! BK-1, BK-4, BK-5: the bootstrap-kit HelmRelease DAG.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::PathBuf;

use catalyst_blueprint::{
    ColdStartGap, DependsDrift, ExpectedDag, ExpectedDagError, KitCheck, Wave, check_kit, check_kit_against,
    check_kit_dir, check_kit_dir_against,
};

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
    // SPEC BK-5: the one finding of the real kit is that Phase 0 is not dependency-closed.
    let findings: Vec<String> = check.findings.iter().map(ToString::to_string).collect();
    assert_eq!(
        findings,
        [
            "19-harbor.yaml: spec.dependsOn: bp-harbor (slot 19) is in the cold-start set (slots 01-15 and 19) but depends on bp-cnpg (16), bp-seaweedfs (18), outside it [ColdStartNotClosed]"
        ]
    );
    assert!(!check.has_errors());
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

// ---- SPEC BK-3/BK-4: the check against an expected DAG ----

/// The kit files and kustomization.yaml of the fixture, as `check_kit_against` takes them.
fn kit_with_kustomization() -> (Vec<(String, String)>, String) {
    (kit_files(), std::fs::read_to_string(kit_dir().join("kustomization.yaml")).unwrap())
}

fn against(files: &[(String, String)], kustomization: &str, expected: &ExpectedDag) -> KitCheck {
    check_kit_against(files, Some(kustomization), Some(expected))
}

fn errors(check: &KitCheck) -> Vec<String> {
    check.findings.iter().filter(|d| d.is_error()).map(ToString::to_string).collect()
}

/// The W2.K4 slots the BK-3 file declares ahead of their HelmRelease files.
const W2K4_AHEAD: [&str; 13] = [
    "bp-stunner",
    "bp-knative",
    "bp-kserve",
    "bp-vllm",
    "bp-llm-gateway",
    "bp-anthropic-adapter",
    "bp-bge",
    "bp-nemo-guardrails",
    "bp-temporal",
    "bp-openmeter",
    "bp-livekit",
    "bp-matrix",
    "bp-librechat",
];

/// Issue 18: the real kit against the expected-DAG file written from SPEC BK-3: no drift,
/// the W2.K4 slots deferred, the waves and the summary rule 7 prints.
#[test]
fn fixture_kit_matches_the_bk3_expected_file() {
    let expected = ExpectedDag::builtin("expected").unwrap();
    let check = check_kit_dir_against(&kit_dir(), Some(&expected)).unwrap();
    assert_eq!(errors(&check), Vec::<String>::new());
    assert!(check.undeclared.is_empty() && check.drift.is_empty() && check.dangling.is_empty());
    assert!(check.cycles.is_empty() && check.stalled.is_empty());
    assert_eq!(check.deferred, W2K4_AHEAD);
    let s = check.summary.unwrap();
    assert_eq!((s.present, s.declared, s.deferred, s.drift, s.cycles), (35, 48, 13, 0, 0));
    let sizes: Vec<(Wave, usize)> = check.waves.iter().map(|(w, n)| (*w, n.len())).collect();
    assert_eq!(
        sizes,
        [(Wave::Present, 14), (Wave::W2K1, 5), (Wave::W2K2, 7), (Wave::W2K3, 8), (Wave::W2K4, 14)]
    );
    assert_eq!(
        check.waves[&Wave::W2K1],
        ["bp-external-secrets", "bp-cnpg", "bp-valkey", "bp-seaweedfs", "bp-harbor"]
    );
    assert_eq!(check.expected.as_deref(), Some("builtin:expected"));
}

/// Each mutation of the kit or of the expected file gives exactly its own finding.
#[test]
fn each_mutation_gives_exactly_its_finding() {
    let (files, kustomization) = kit_with_kustomization();
    let expected_text = ExpectedDag::builtin_text("expected").unwrap();
    let expected = ExpectedDag::builtin("expected").unwrap();
    let replace = |files: &[(String, String)], file: &str, from: &str, to: &str| {
        let mut files = files.to_vec();
        let f = files.iter_mut().find(|(n, _)| n == file).unwrap();
        let patched = f.1.replacen(from, to, 1);
        assert_ne!(patched, f.1, "{file} changed shape");
        f.1 = patched;
        files
    };

    // An extra edge on disk.
    let mutated = replace(
        &files,
        "22-loki.yaml",
        "    - name: bp-seaweedfs",
        "    - name: bp-seaweedfs\n    - name: bp-cilium",
    );
    let check = against(&mutated, &kustomization, &expected);
    assert_eq!(
        errors(&check),
        [
            "22-loki.yaml: spec.dependsOn: bp-loki differs from builtin:expected (slot 22): extra bp-cilium [DependsDrift]"
        ]
    );
    assert_eq!(
        check.drift,
        [DependsDrift { name: "bp-loki".into(), missing: vec![], extra: vec!["bp-cilium".into()] }]
    );

    // A missing edge on disk.
    let mutated = replace(&files, "25-grafana.yaml", "    - name: bp-tempo\n", "");
    let check = against(&mutated, &kustomization, &expected);
    assert_eq!(
        errors(&check),
        [
            "25-grafana.yaml: spec.dependsOn: bp-grafana differs from builtin:expected (slot 25): missing bp-tempo [DependsDrift]"
        ]
    );
    assert_eq!(check.summary.unwrap().drift, 1);

    // An undeclared release (also listed in kustomization.yaml, so only rule 2 fires).
    let mut mutated = files.clone();
    mutated.push(("49-extra.yaml".into(), hr("bp-extra", &["bp-cilium"])));
    let k = format!("{kustomization}  - 49-extra.yaml\n");
    let check = against(&mutated, &k, &expected);
    assert_eq!(
        errors(&check),
        ["49-extra.yaml: metadata.name: bp-extra is not declared in builtin:expected [UndeclaredRelease]"]
    );
    assert_eq!(check.undeclared, ["bp-extra"]);

    // A declared-only slot: deferred, not an error.
    let text =
        format!("{expected_text}  - {{slot: 49, name: bp-later, depends_on: [bp-cilium], wave: W2.K4}}\n");
    let check = against(&files, &kustomization, &ExpectedDag::parse("mutated.yaml", &text).unwrap());
    assert_eq!(errors(&check), Vec::<String>::new());
    assert_eq!(check.deferred.last().map(String::as_str), Some("bp-later"));
    assert_eq!(check.summary.unwrap().deferred, 14);

    // A cycle through declared edges only (all three slots are still deferred).
    let text = expected_text.replace(
        "name: bp-knative, depends_on: [bp-cert-manager]",
        "name: bp-knative, depends_on: [bp-cert-manager, bp-vllm]",
    );
    assert_ne!(text, expected_text);
    let check = against(&files, &kustomization, &ExpectedDag::parse("mutated.yaml", &text).unwrap());
    assert_eq!(
        errors(&check),
        [
            "spec.dependsOn: dependency cycle: bp-knative -> bp-vllm -> bp-kserve -> bp-knative [DependencyCycle]"
        ]
    );
    assert_eq!(check.cycles, [vec!["bp-knative", "bp-vllm", "bp-kserve", "bp-knative"]]);
    // Kahn stalls on the cycle and on what comes after it.
    assert_eq!(check.stalled, ["bp-knative", "bp-kserve", "bp-vllm", "bp-librechat"]);
    // The HelmReleases on disk still have an install order.
    assert_eq!(check.order.len(), 35);

    // A declared dependency naming nothing declared.
    let text = expected_text.replace(
        "name: bp-kserve, depends_on: [bp-knative]",
        "name: bp-kserve, depends_on: [bp-knative, bp-ghost]",
    );
    let check = against(&files, &kustomization, &ExpectedDag::parse("mutated.yaml", &text).unwrap());
    assert_eq!(
        errors(&check),
        [
            "mutated.yaml: slots: bp-kserve is declared to depend on bp-ghost, which is not declared [DanglingDependency]"
        ]
    );
}

/// SPEC BK-3: the ARCH §9.1 target (BK-2) against the real kit gives the drift the SPEC lists:
/// 06 spire present, 07/08 <- spire, 11 without cnpg, 12 <- cert-manager + powerdns, 13 <- gitea
/// only.
#[test]
fn the_bk2_target_against_the_fixture_kit_gives_the_spec_drift() {
    let arch = ExpectedDag::builtin("arch").unwrap();
    assert_eq!(arch.slots.len(), 48);
    let check = check_kit_dir_against(&kit_dir(), Some(&arch)).unwrap();
    assert_eq!(check.undeclared, ["bp-spire"]);
    let drift = |name: &str, missing: &[&str], extra: &[&str]| DependsDrift {
        name: name.into(),
        missing: missing.iter().map(|s| (*s).to_owned()).collect(),
        extra: extra.iter().map(|s| (*s).to_owned()).collect(),
    };
    assert_eq!(
        check.drift,
        [
            drift("bp-nats-jetstream", &["bp-cert-manager"], &["bp-spire"]),
            drift("bp-openbao", &["bp-cert-manager"], &["bp-spire"]),
            drift("bp-powerdns", &["bp-cnpg"], &[]),
            drift("bp-external-dns", &[], &["bp-cert-manager"]),
            drift("bp-catalyst-platform", &["bp-nats-jetstream", "bp-openbao", "bp-keycloak"], &[]),
        ]
    );
    let mut deferred = vec!["bp-self-sovereign-cutover"];
    deferred.extend(W2K4_AHEAD);
    assert_eq!(check.deferred, deferred);
    let s = check.summary.unwrap();
    assert_eq!((s.present, s.declared, s.deferred, s.drift, s.cycles), (35, 48, 14, 6, 0));
    assert_eq!(errors(&check).len(), 6);
}

/// SPEC BK-5: with BK-2 the cold-start set is not closed (11 needs 16; 19 needs 16, 18), and
/// the BK-3 file drifts from BK-2 exactly where SPEC BK-3 says.
#[test]
fn cold_start_closure_and_doc_drift_between_the_two_graphs() {
    let arch = ExpectedDag::builtin("arch").unwrap();
    let gap = |slot: &str, name: &str, missing: &[&str]| ColdStartGap {
        slot: slot.into(),
        name: name.into(),
        missing: missing.iter().map(|s| (*s).to_owned()).collect(),
    };
    assert_eq!(
        arch.cold_start_gaps(),
        [
            gap("11", "bp-powerdns", &["bp-cnpg (16)"]),
            gap("19", "bp-harbor", &["bp-cnpg (16)", "bp-seaweedfs (18)"])
        ]
    );
    let expected = ExpectedDag::builtin("expected").unwrap();
    let diff = arch.diff(&expected);
    let names =
        |slots: &[catalyst_blueprint::ExpectedSlot]| slots.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&diff.only_left), ["bp-self-sovereign-cutover"]);
    assert_eq!(names(&diff.only_right), ["bp-spire"]);
    assert!(diff.moved.is_empty() && diff.rewaved.is_empty());
    let changed: Vec<&str> = diff.depends.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        changed,
        ["bp-nats-jetstream", "bp-openbao", "bp-powerdns", "bp-external-dns", "bp-catalyst-platform"]
    );
    assert!(expected.diff(&expected).is_empty());
}

/// The expected-DAG parser names the file, the entry and the rule.
#[test]
fn expected_dag_errors_name_the_entry() {
    let parse = |text: &str| ExpectedDag::parse("deps.yaml", text).map(|_| ()).unwrap_err().to_string();
    let one = "slots:\n  - {slot: 1, name: bp-a, depends_on: [], wave: present}\n";
    // An integer slot is the YAML reading of `01`.
    assert_eq!(ExpectedDag::parse("deps.yaml", one).unwrap().slots[0].slot, "01");
    assert_eq!(
        parse(&format!("{one}  - {{slot: 2, name: bp-a, wave: present}}\n")),
        "deps.yaml: slots[1]: bp-a is also declared by slots[0]"
    );
    assert_eq!(
        parse(&format!("{one}  - {{slot: \"01\", name: bp-b, wave: present}}\n")),
        "deps.yaml: slots[1]: slot 01 is also declared by slots[0]"
    );
    assert_eq!(
        parse("slots:\n  - {slot: \"1ab\", name: bp-a, wave: present}\n"),
        "deps.yaml: slots[0]: slot \"1ab\" is not a slot number (NN, or NN and a letter)"
    );
    assert_eq!(
        parse("slots:\n  - {slot: 1, name: bp-a, depends_on: [bp-a], wave: present}\n"),
        "deps.yaml: slots[0]: bp-a depends on itself"
    );
    assert_eq!(
        parse("slots:\n  - {slot: 1, name: Bp_A, wave: present}\n"),
        "deps.yaml: slots[0]: name \"Bp_A\" is not a DNS label (lowercase letters, digits and '-')"
    );
    assert!(parse("slots:\n  - {slot: 1, name: bp-a, wave: W9}\n").starts_with("deps.yaml: "));
    assert!(parse("slots:\n  - {slot: 1, name: bp-a, wave: present, dependsOn: []}\n").contains("dependsOn"));
    let huge = format!("slots: []\n#{}\n", "x".repeat(catalyst_blueprint::MAX_EXPECTED_DAG_BYTES));
    assert!(matches!(ExpectedDag::parse("deps.yaml", &huge), Err(ExpectedDagError::TooLarge { .. })));
    assert_eq!(
        ExpectedDag::builtin("nope").unwrap_err().to_string(),
        "unknown builtin \"nope\": the shipped graphs are builtin:arch (ARCH §9.1) and builtin:expected (SPEC BK-3)"
    );
}

/// A random acyclic expected DAG: slot i may depend on any lower slot.
fn arb_dag() -> impl proptest::strategy::Strategy<Value = Vec<Vec<usize>>> {
    use proptest::prelude::*;
    (1usize..24).prop_flat_map(|n| {
        (0..n)
            .map(|i| proptest::sample::subsequence((0..i).collect::<Vec<_>>(), 0..=i.min(4)))
            .collect::<Vec<_>>()
    })
}

fn dag_text(deps: &[Vec<usize>]) -> String {
    let mut out = String::from("slots:\n");
    for (i, d) in deps.iter().enumerate() {
        let names: Vec<String> = d.iter().map(|j| format!("bp-r{j}")).collect();
        let _ = writeln!(
            out,
            "  - {{slot: {}, name: bp-r{i}, depends_on: [{}], wave: present}}",
            i + 1,
            names.join(", ")
        );
    }
    out
}

fn dag_kit(deps: &[Vec<usize>]) -> Vec<(String, String)> {
    deps.iter()
        .enumerate()
        .map(|(i, d)| {
            let names: Vec<String> = d.iter().map(|j| format!("bp-r{j}")).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            (format!("{:02}-r{i}.yaml", i + 1), hr(&format!("bp-r{i}"), &names))
        })
        .collect()
}

proptest::proptest! {
    /// A kit written from an expected DAG matches it exactly; dropping any one edge from a
    /// HelmRelease is exactly one DependsDrift naming that edge as missing.
    #[test]
    fn a_kit_built_from_its_dag_matches_and_one_dropped_edge_is_one_drift(
        deps in arb_dag(),
        pick in proptest::prelude::any::<proptest::sample::Index>(),
    ) {
        let dag = ExpectedDag::parse("p.yaml", &dag_text(&deps)).unwrap();
        proptest::prop_assert_eq!(dag.slots.len(), deps.len());
        let kit = dag_kit(&deps);
        let check = check_kit_against(&kit, None, Some(&dag));
        proptest::prop_assert!(errors(&check).is_empty(), "{:?}", errors(&check));
        proptest::prop_assert_eq!(check.order.len(), deps.len());
        proptest::prop_assert!(check.deferred.is_empty());

        let edges: Vec<(usize, usize)> =
            deps.iter().enumerate().flat_map(|(i, d)| d.iter().map(move |j| (i, *j))).collect();
        if !edges.is_empty() {
            let (i, j) = edges[pick.index(edges.len())];
            let mut fewer = deps.clone();
            fewer[i].retain(|x| *x != j);
            let check = check_kit_against(&dag_kit(&fewer), None, Some(&dag));
            proptest::prop_assert_eq!(
                &check.drift,
                &vec![DependsDrift { name: format!("bp-r{i}"), missing: vec![format!("bp-r{j}")], extra: vec![] }]
            );
            proptest::prop_assert_eq!(errors(&check).len(), 1);
        }
    }

    /// The expected-DAG parser never panics, and what it accepts is in slot order with each
    /// name once.
    #[test]
    fn expected_dag_parser_never_panics(text in "(slots:\n)?( *- *\\{?(slot|name|depends_on|wave)?:? ?[0-9a-z\\[\\], .-]{0,20}\\}?\n){0,6}") {
        if let Ok(dag) = ExpectedDag::parse("p.yaml", &text) {
            let names: std::collections::BTreeSet<&str> = dag.slots.iter().map(|s| s.name.as_str()).collect();
            proptest::prop_assert_eq!(names.len(), dag.slots.len());
        }
    }
}

/// Review of issue 18: slots compare by number (`6` is `06`), and a name listed twice in
/// dependsOn is one extra edge, not two.
#[test]
fn slots_compare_by_number_and_drift_lists_each_name_once() {
    let a = ExpectedDag::parse("a.yaml", "slots:\n  - {slot: \"6\", name: bp-a, wave: present}\n").unwrap();
    let b = ExpectedDag::parse("b.yaml", "slots:\n  - {slot: \"06\", name: bp-a, wave: present}\n").unwrap();
    assert!(a.diff(&b).is_empty(), "{:?}", a.diff(&b));
    let dag = ExpectedDag::parse(
        "d.yaml",
        "slots:\n  - {slot: 1, name: bp-a, wave: present}\n  - {slot: 2, name: bp-b, wave: present}\n",
    )
    .unwrap();
    let files = vec![
        ("01-a.yaml".to_owned(), hr("bp-a", &[])),
        ("02-b.yaml".to_owned(), hr("bp-b", &["bp-a", "bp-a"])),
    ];
    let check = check_kit_against(&files, None, Some(&dag));
    assert_eq!(
        check.drift,
        [DependsDrift { name: "bp-b".into(), missing: vec![], extra: vec!["bp-a".into()] }]
    );
}
