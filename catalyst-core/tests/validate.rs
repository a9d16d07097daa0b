#![allow(clippy::unwrap_used)]
//! `validate` against the platform's own CRD examples, and targeted bad documents: each
//! rejection names the field path and the rule.

use std::path::PathBuf;

use catalyst_core::crd::{
    Application, Blueprint, Continuum, Environment, EnvironmentPolicy, Kind, Organization, Runbook,
    SecretPolicy, Sovereign, UserAccess,
};
use catalyst_core::validate::{Checked, DocumentReport, ValidateError, validate_yaml};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn fixtures() -> PathBuf {
    catalyst_testkit::fixture("openova/crds")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(fixtures().join(rel)).unwrap()
}

fn sample_files(suffix: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(fixtures().join("tests"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(suffix))
        .map(|n| format!("tests/{n}"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 7, "{suffix}: {files:?}");
    files
}

const DOC_EXAMPLES: [&str; 3] = [
    "doc-examples/docs/ARCHITECTURE.md.L318-L340.EnvironmentPolicy.yaml",
    "doc-examples/docs/SECURITY.md.L243-L268.SecretPolicy.yaml",
    "doc-examples/docs/SRE.md.L518-L532.Runbook.yaml",
];

fn errors(r: &DocumentReport) -> Vec<String> {
    r.errors().map(ToString::to_string).collect()
}

fn one(yaml: &str) -> DocumentReport {
    let mut reports = validate_yaml(yaml).unwrap();
    assert_eq!(reports.len(), 1);
    reports.remove(0)
}

#[test]
fn every_valid_example_is_accepted() {
    let mut count = 0;
    for rel in sample_files("-sample-valid.yaml").iter().map(String::as_str).chain(DOC_EXAMPLES) {
        for r in validate_yaml(&read(rel)).unwrap() {
            assert!(matches!(r.checked, Checked::Kind(_)), "{rel} {}: {:?}", r.label(), r.checked);
            assert_eq!(errors(&r), Vec::<String>::new(), "{rel} {}", r.label());
            count += 1;
        }
    }
    assert_eq!(count, 20);
}

#[test]
fn every_invalid_example_is_rejected_with_paths() {
    let mut count = 0;
    for rel in sample_files("-sample-invalid.yaml") {
        for r in validate_yaml(&read(&rel)).unwrap() {
            assert!(!r.is_valid(), "{rel} {} was accepted", r.label());
            assert!(
                r.errors().all(|f| f.path.as_str().starts_with("spec")),
                "{rel} {}: {:?}",
                r.label(),
                errors(&r)
            );
            count += 1;
        }
    }
    assert_eq!(count, 28);
}

#[test]
fn environment_invalid_sample_reports_every_seeded_error() {
    let reports = validate_yaml(&read("tests/environment-sample-invalid.yaml")).unwrap();
    assert_eq!(
        errors(&reports[0]),
        [
            r#"spec.envType: "dr" is not one of "prod", "stg", "uat", "dev", "poc" [schema.enum]"#,
            r#"spec.organizationRef: "ACME" does not match ^[a-z][a-z0-9-]{2,31}$ [schema.pattern]"#,
            r#"spec.placement: "active-active" is not one of "single-region", "multi-region" [schema.enum]"#,
            r#"spec.regions[0].buildingBlock: "core" is not one of "rtz", "dmz", "mgt" [schema.enum]"#,
            r#"spec.regions[0].provider: "linode" is not one of "hetzner", "huawei", "oci", "aws", "gcp", "azure", "contabo" [schema.enum]"#,
        ]
    );
    assert_eq!(
        errors(&reports[1]),
        // One finding per field: the cardinality rule does not repeat the schema's minItems.
        ["spec.regions: has 0 items, at least 1 required [schema.minItems]"]
    );
}

const ENV: &str = "apiVersion: catalyst.openova.io/v1
kind: Environment
metadata: {name: acme-prod}
spec:
  organizationRef: acme
  envType: prod
  placement: multi-region
  regions:
    - {provider: hetzner, region: fsn, buildingBlock: rtz}
    - {provider: hetzner, region: hel, buildingBlock: rtz}
";

#[test]
fn environment_rules() {
    assert_eq!(errors(&one(ENV)), Vec::<String>::new());
    assert_eq!(
        errors(&one(&ENV.replace("envType: prod", "envType: qa"))),
        [r#"spec.envType: "qa" is not one of "prod", "stg", "uat", "dev", "poc" [schema.enum]"#]
    );
    // The pattern admits `system`; the naming rules do not.
    assert_eq!(
        errors(&one(&ENV.replace("organizationRef: acme", "organizationRef: system"))),
        [
            r#"spec.organizationRef: organization slug "system" is reserved: "system" is a platform name (system, flux, crossplane, catalyst, gitea) [NAME-5]"#
        ]
    );
    assert_eq!(
        errors(&one(&ENV.replace("placement: multi-region", "placement: single-region"))),
        ["spec.regions: placement single-region needs exactly 1 region, found 2 [CORE-5]"]
    );
    assert_eq!(
        errors(&one(&ENV.replace("region: hel", "region: fsn"))),
        ["spec.regions[1]: host cluster hetzner-fsn-rtz-prod is already spec.regions[0] [CORE-3]"]
    );
    let r = one(&ENV.replace("region: hel", "region: muc"));
    assert!(r.is_valid());
    assert_eq!(
        r.findings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "spec.regions[1].region: unknown region \"muc\" for provider hetzner; accepted: fsn, nbg, hel, ash, hil, sin; the verbatim host-cluster name works, canonical naming (ENV-3) does not [NAME-2]"
        ]
    );
}

const APP: &str = "apiVersion: apps.openova.io/v1
kind: Application
metadata: {name: wiki, namespace: acme}
spec:
  environmentRef: acme-prod
  blueprintRef: {name: bp-wordpress, version: 1.3.0}
  placement: active-hotstandby
  regions: [hz-fsn-rtz-prod, hz-hel-rtz-prod]
";

#[test]
fn application_rules() {
    assert_eq!(errors(&one(APP)), Vec::<String>::new());
    assert_eq!(
        errors(&one(&APP.replace("active-hotstandby", "single-region"))),
        ["spec.regions: placement single-region needs exactly 1 region, found 2 [CORE-1]"]
    );
    assert_eq!(
        errors(&one(&APP.replace("active-hotstandby", "round-robin"))),
        [
            r#"spec.placement: "round-robin" is not a placement; expected one of single-region, active-active, active-hotstandby [cel]"#
        ]
    );
    assert_eq!(
        errors(&one(
            &APP.replace("placement: active-hotstandby", "placement: {vcluster: edge, mode: active-active}")
        )),
        [r#"spec.placement.vcluster: "edge" is not one of host, mgmt, dmz, rtz [CORE-1]"#]
    );
    assert_eq!(
        errors(&one(&APP.replace("version: 1.3.0", "version: \"1.3\""))),
        [
            r#"spec.blueprintRef.version: "1.3" does not match ^[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.-]+)?$ [schema.pattern]"#
        ]
    );
}

#[test]
fn policy_rules() {
    let doc = read(DOC_EXAMPLES[0]);
    assert_eq!(errors(&one(&doc)), Vec::<String>::new());
    assert_eq!(
        errors(&one(&doc.replace("sourceEnvironment: acme-stg", "sourceEnvironment: acme-prod"))),
        [
            "spec.rules[2].sourceEnvironment: acme-prod is an environment this policy gates; a soak needs the environment changes come from [POL-2]"
        ]
    );
    assert_eq!(
        errors(&one(&doc.replace("sourceEnvironment: acme-stg", "sourceEnvironment: acme-dr"))),
        [
            r#"spec.rules[2].sourceEnvironment: invalid Environment name "acme-dr": "dr" is not an env type (prod, stg, uat, dev, poc) (expected {org}-{env-type}, e.g. acme-prod) [NAME-12]"#
        ]
    );
    assert_eq!(
        errors(&one(&doc.replace("\"0 14 * * 2,4\"", "\"0 14 * * 2,9\""))),
        [
            r#"spec.rules[3].cron: invalid cron expression "0 14 * * 2,9": day of week: 9 is outside 0-7 [POL-2]"#
        ]
    );
    assert_eq!(
        errors(&one(&doc.replace("duration: 72h", "duration: 3 days"))),
        [
            r#"spec.rules[2].duration: invalid duration "3 days": expected a number followed by one of s, m, h, d [POL-2]"#
        ]
    );
    assert_eq!(
        errors(&one(&doc.replace("- kind: soak", "- kind: freeze"))),
        [
            r#"spec.rules[2].kind: "freeze" is not one of "pr-required", "re-score-gate", "soak", "change-window" [schema.enum]"#
        ]
    );
    let policy: EnvironmentPolicy = serde_saphyr::from_str(&doc).unwrap();
    let promotion = policy.spec.promotion_from_rules();
    assert_eq!(
        (promotion.required_approvers, promotion.soak_hours, promotion.required_compliance_score),
        (Some(2), Some(72), Some(80))
    );
}

#[test]
fn continuum_and_user_access_rules() {
    let valid = read("tests/continuum-sample-valid.yaml");
    let first = valid.split("\n---\n").next().unwrap();
    assert_eq!(
        errors(&one(&first.replace("renewSeconds: 10", "renewSeconds: 15"))),
        [
            "spec.leaseClient.config.renewSeconds: InvalidLeaseTiming: renewSeconds 15 must be below ttlSeconds/2 (30/2) [CONT-2]"
        ]
    );
    assert_eq!(
        errors(&one(&first.replace("    - hz-hel-rtz-prod", "    - hz-fsn-rtz-prod"))),
        [
            "spec.hotStandbyRegions[0]: hz-fsn-rtz-prod is the primary region; a standby must be another host cluster [CONT-1]"
        ]
    );
    // Issue 19: the fields the continuum-controller reads; a k8s-lease needs no config.
    let k8s = first
        .replace("kind: cloudflare-kv", "kind: k8s-lease")
        .replace("  rto: 60s", "  regions:\n    - {name: hz-fsn-rtz-prod, lbIPs: [127.0.1.1]}\n    - {name: hz-hel-rtz-prod, lbIPs: [127.0.2.1]}\n  cnpgPair: {name: web-db}\n  httpRoute: {name: web, namespace: gateway}\n  standbyGraceSeconds: 0\n  pdmZone: acme.example\n  switchover: {requested: true, requestedBy: alice}\n  rto: 60s");
    assert!(k8s.contains("cnpgPair"), "the sample changed shape");
    assert_eq!(errors(&one(&k8s)), Vec::<String>::new());
    assert_eq!(
        errors(&one(&k8s
            .replace("[127.0.2.1]", "[not-an-ip]")
            .replace("name: hz-fsn-rtz-prod, lbIPs", "name: hz-nbg-rtz-prod, lbIPs"))),
        [
            "spec.regions: UnknownRegion: the primary region hz-fsn-rtz-prod has no entry (the lua record needs its lbIPs) [CONT-1]",
            "spec.regions[1].lbIPs[0]: \"not-an-ip\" is not an IP address [CONT-1]",
        ]
    );
    let ua = "apiVersion: catalyst.openova.io/v1
kind: UserAccess
metadata: {name: dev1}
spec:
  user: {keycloakSubject: dev1}
  sovereignRef: omantel
  tierRoleRef: openova:tier-developer
  scopes: []
";
    assert_eq!(
        errors(&one(ua)),
        [
            r#"spec.scopes: EmptyScope: a tier grant needs scopes; write [{key: "*", value: "*"}] for a global grant [UA-2]"#
        ]
    );
    assert_eq!(
        errors(&one(&ua.replace("scopes: []", "scopes: [{key: openova.io/env-type, value: prod}]"))),
        [
            r#"spec.scopes[0].value: developer grants are limited to openova.io/env-type=dev, not "prod" [UA-2]"#
        ]
    );
}

#[test]
fn other_documents_are_skipped_and_bad_yaml_is_an_error() {
    let stream = format!(
        "{ENV}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: y}}\n"
    );
    let reports = validate_yaml(&stream).unwrap();
    let checked: Vec<&Checked> = reports.iter().map(|r| &r.checked).collect();
    assert_eq!(
        checked,
        [
            &Checked::Kind(Kind::Environment),
            &Checked::Skipped("ConfigMap is not a Catalyst kind".into()),
            &Checked::Skipped("Application of argoproj.io/v1alpha1 is not a Catalyst kind".into()),
        ]
    );
    let wrong_version = one(&ENV.replace("catalyst.openova.io/v1", "catalyst.openova.io/v2"));
    assert_eq!(
        errors(&wrong_version),
        [
            "apiVersion: catalyst.openova.io/v2 is not a version of Environment; expected catalyst.openova.io/v1 [CORE-1]"
        ]
    );
    assert!(matches!(validate_yaml("a: [1, 2"), Err(ValidateError::Yaml { .. })));
}

/// Parses `doc` as `T`, serializes it back and compares, so nothing the platform wrote is lost.
fn round_trip<T: DeserializeOwned + Serialize>(doc: &Value) {
    let typed: T = serde_json::from_value(doc.clone()).unwrap();
    let mut back = serde_json::to_value(&typed).unwrap();
    // The types write their own apiVersion (v1); everything else must be byte-for-byte the same.
    back["apiVersion"] = doc["apiVersion"].clone();
    assert_eq!(&back, doc);
}

#[test]
fn examples_round_trip_without_loss() {
    let mut count = 0;
    for rel in sample_files("-sample-valid.yaml").iter().map(String::as_str).chain(DOC_EXAMPLES) {
        let docs: Vec<Value> = serde_saphyr::from_multiple(&read(rel)).unwrap();
        for doc in docs.iter().filter(|d| !d.is_null()) {
            match Kind::from_name(doc["kind"].as_str().unwrap()).unwrap() {
                Kind::Sovereign => round_trip::<Sovereign>(doc),
                Kind::Organization => round_trip::<Organization>(doc),
                Kind::Environment => round_trip::<Environment>(doc),
                Kind::Application => round_trip::<Application>(doc),
                Kind::Blueprint => round_trip::<Blueprint>(doc),
                Kind::EnvironmentPolicy => round_trip::<EnvironmentPolicy>(doc),
                Kind::SecretPolicy => round_trip::<SecretPolicy>(doc),
                Kind::Runbook => round_trip::<Runbook>(doc),
                Kind::Continuum => round_trip::<Continuum>(doc),
                Kind::UserAccess => round_trip::<UserAccess>(doc),
            }
            count += 1;
        }
    }
    assert_eq!(count, 20);
    // Unknown fields anywhere survive too.
    let extra: Value =
        serde_saphyr::from_str(&ENV.replace("  placement:", "  futureField: {a: 1}\n  placement:")).unwrap();
    round_trip::<Environment>(&extra);
}
