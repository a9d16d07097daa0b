#![allow(clippy::unwrap_used)]
//! The ten CRDs: groups, scopes, names, printer columns, and structural schemas.

use catalyst_core::crd::{Kind, crds, crds_yaml, structural_problems};
use serde_json::Value;

#[test]
fn ten_kinds_in_their_groups() {
    let got: Vec<(String, String, String)> = crds()
        .into_iter()
        .map(|c| (c.spec.names.kind.clone(), c.spec.group.clone(), c.spec.scope.clone()))
        .collect();
    let want = [
        ("Sovereign", "catalyst.openova.io", "Cluster"),
        ("Organization", "orgs.openova.io", "Cluster"),
        ("Environment", "catalyst.openova.io", "Cluster"),
        ("Application", "apps.openova.io", "Namespaced"),
        ("Blueprint", "catalyst.openova.io", "Cluster"),
        ("EnvironmentPolicy", "catalyst.openova.io", "Cluster"),
        ("SecretPolicy", "catalyst.openova.io", "Cluster"),
        ("Runbook", "catalyst.openova.io", "Namespaced"),
        ("Continuum", "dr.openova.io", "Namespaced"),
        ("UserAccess", "catalyst.openova.io", "Cluster"),
    ];
    let want: Vec<(String, String, String)> =
        want.iter().map(|(k, g, s)| ((*k).to_owned(), (*g).to_owned(), (*s).to_owned())).collect();
    assert_eq!(got, want);
}

#[test]
fn every_schema_is_structural() {
    for crd in crds() {
        let kind = crd.spec.names.kind.clone();
        let value = serde_json::to_value(&crd).unwrap();
        for version in value["spec"]["versions"].as_array().unwrap() {
            let schema = &version["schema"]["openAPIV3Schema"];
            assert!(schema.is_object(), "{kind} {} has no openAPIV3Schema", version["name"]);
            let problems = structural_problems(schema);
            assert!(problems.is_empty(), "{kind} {}: {problems:#?}", version["name"]);
            assert_eq!(
                schema["properties"]["spec"]["x-kubernetes-preserve-unknown-fields"],
                Value::Bool(true),
                "{kind}"
            );
        }
    }
}

#[test]
fn one_storage_version_and_legacy_versions_served() {
    for crd in crds() {
        let storage: Vec<&str> =
            crd.spec.versions.iter().filter(|v| v.storage).map(|v| v.name.as_str()).collect();
        assert_eq!(storage, ["v1"], "{}", crd.spec.names.kind);
        let served: Vec<&str> =
            crd.spec.versions.iter().filter(|v| v.served).map(|v| v.name.as_str()).collect();
        let kind = Kind::from_name(&crd.spec.names.kind).unwrap();
        let want: Vec<&str> = kind.served_legacy_versions().iter().copied().chain(["v1"]).collect();
        assert_eq!(served, want, "{kind}");
        assert!(
            crd.spec.versions.iter().all(|v| v.subresources.as_ref().is_some_and(|s| s.status.is_some()))
        );
    }
}

#[test]
fn environment_printer_columns_and_short_names() {
    let crd = Kind::Environment.crd();
    assert_eq!(crd.spec.names.short_names.as_deref(), Some(&["env".to_owned(), "envs".to_owned()][..]));
    assert_eq!(
        crd.spec.names.categories.as_deref(),
        Some(&["catalyst".to_owned(), "openova".to_owned()][..])
    );
    let cols = crd.spec.versions[0].additional_printer_columns.clone().unwrap();
    let cols: Vec<(String, String, Option<i32>)> =
        cols.into_iter().map(|c| (c.name, c.json_path, c.priority)).collect();
    assert_eq!(
        cols,
        [
            ("Org".into(), ".spec.organizationRef".into(), None),
            ("Type".into(), ".spec.envType".into(), None),
            ("Placement".into(), ".spec.placement".into(), None),
            ("Regions".into(), ".status.regionCount".into(), Some(1)),
            ("Phase".into(), ".status.phase".into(), None),
            ("Age".into(), ".metadata.creationTimestamp".into(), None),
        ]
    );
}

#[test]
fn crd_yaml_snapshot() {
    insta::assert_snapshot!(crds_yaml());
}

/// `structural_problems` reports located diagnostics, not strings (issue 17 §2).
#[test]
fn a_non_structural_schema_is_reported_with_its_path() {
    let schema = serde_json::json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {"a": {"type": "array"}}}}});
    let problems = structural_problems(&schema);
    assert_eq!(problems.len(), 1, "{problems}");
    assert_eq!(problems[0].code, catalyst_core::validate::Rule::SchemaStructural);
    assert!(problems[0].to_string().ends_with(": array without items [schema.structural]"), "{problems}");
    assert!(
        problems[0].path.as_str().contains("spec") && problems[0].path.as_str().ends_with('a'),
        "{problems}"
    );
}

/// Issue 17 §4: every kind's spec has a constructor taking its required fields, and what it
/// builds carries every field the CRD requires (no schema error; rule findings may remain,
/// such as UserAccess's subject-or-groups).
#[test]
fn every_spec_has_a_constructor_that_satisfies_the_schema() {
    use catalyst_core::crd::*;
    use catalyst_core::validate::validate_document;
    use catalyst_naming::{BuildingBlock, EnvType, Provider};

    let objects = [
        serde_json::to_value(Sovereign::new("omantel-biz", SovereignSpec::new("omantel.biz"))).unwrap(),
        serde_json::to_value(Organization::new(
            "acme",
            OrganizationSpec::new(
                "acme",
                "Acme",
                OrganizationKind::Customer,
                OrganizationTier::Corporate,
                BillingMode::Real,
                vec![Owner::new("ops@acme.example", OwnerRole::Owner)],
                "omantel.biz",
            ),
        ))
        .unwrap(),
        serde_json::to_value(Environment::new(
            "acme-prod",
            EnvironmentSpec::new(
                "acme",
                EnvType::Prod,
                EnvironmentPlacement::SingleRegion,
                vec![EnvironmentRegion::new(Provider::Hetzner, "fsn", BuildingBlock::Rtz)],
            ),
        ))
        .unwrap(),
        serde_json::to_value(Application::new(
            "chat",
            ApplicationSpec::new(BlueprintRef::new("bp-librechat", "1.0.0")),
        ))
        .unwrap(),
        serde_json::to_value(Blueprint::new(
            "bp-demo",
            BlueprintSpec::new("1.0.0", BlueprintCard::new("Demo")),
        ))
        .unwrap(),
        serde_json::to_value(EnvironmentPolicy::new("default", EnvironmentPolicySpec::new())).unwrap(),
        serde_json::to_value(SecretPolicy::new("default", SecretPolicySpec::new())).unwrap(),
        serde_json::to_value(Runbook::new("restart", RunbookSpec::new())).unwrap(),
        serde_json::to_value(Continuum::new(
            "chat",
            ContinuumSpec::new(
                "chat",
                "hz-fsn-rtz-prod",
                vec!["hz-hel-rtz-prod".into()],
                LeaseClient::new(LeaseKind::DnsQuorum),
            ),
        ))
        .unwrap(),
        serde_json::to_value(UserAccess::new(
            "alice",
            UserAccessSpec::new(UserRef::default(), "omantel-biz"),
        ))
        .unwrap(),
    ];
    for doc in &objects {
        let report = validate_document(doc);
        let schema: Vec<String> = report
            .errors()
            .filter(|d| catalyst_naming::diagnostic::Code::as_str(d.code).starts_with("schema."))
            .map(ToString::to_string)
            .collect();
        assert!(schema.is_empty(), "{}: {schema:#?}", report.label());
    }
    assert_eq!(objects.len(), 10);
}
