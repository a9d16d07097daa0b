//! NAME-25 … NAME-27: the label builder and validator.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use catalyst_naming::{
    AppName, BlueprintName, BlueprintVersion, Fqdn, LabelProblem, LabelScope, LabelsBuilder, Location,
    ManagedBy, NamingError, OrgSlug, keys, validate_labels,
};

fn full_builder() -> LabelsBuilder {
    LabelsBuilder::new()
        .location(Location::parse("hetzner", "fsn", "rtz", "prod").unwrap())
        .sovereign(Fqdn::sovereign("t38.omani.works").unwrap())
        .organization(OrgSlug::parse("acme").unwrap())
        .application(AppName::parse("wordpress").unwrap())
        .blueprint(
            BlueprintName::parse("wordpress").unwrap(),
            Some(BlueprintVersion::parse("1.2.0").unwrap()),
        )
        .managed_by(ManagedBy::Flux)
}

#[test]
fn name_25_full_set_in_spec_order() {
    let ordered = full_builder().build_ordered().unwrap();
    let got: Vec<(&str, &str)> = ordered.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("openova.io/provider", "hetzner"),
            ("openova.io/region", "fsn"),
            ("openova.io/building-block", "rtz"),
            ("openova.io/env-type", "prod"),
            ("openova.io/sovereign", "t38.omani.works"),
            ("openova.io/host-cluster", "hz-fsn-rtz-prod"),
            ("openova.io/organization", "acme"),
            ("openova.io/environment", "acme-prod"),
            ("openova.io/vcluster", "acme"),
            ("openova.io/application", "wordpress"),
            ("openova.io/blueprint", "bp-wordpress"),
            ("openova.io/blueprint-version", "1.2.0"),
            ("openova.io/managed-by", "flux"),
            ("app.kubernetes.io/managed-by", "flux"),
        ]
    );
    let map = full_builder().build().unwrap();
    assert_eq!(map.len(), 14);
    assert!(validate_labels(&map, LabelScope::Application).is_empty());
}

#[test]
fn name_26_only_known_dimensions_are_emitted() {
    let map = LabelsBuilder::new().organization(OrgSlug::parse("acme").unwrap()).build().unwrap();
    assert_eq!(
        map,
        BTreeMap::from([
            ("openova.io/organization".to_string(), "acme".to_string()),
            ("openova.io/vcluster".to_string(), "acme".to_string()),
        ])
    );
    let crossplane = LabelsBuilder::new().managed_by(ManagedBy::Crossplane).build().unwrap();
    assert!(!crossplane.contains_key(keys::K8S_MANAGED_BY));
}

#[test]
fn name_26_long_sovereign_is_rejected() {
    // 70 characters: a valid FQDN but too long for a label value.
    let fqdn = format!("{}.{}.omani.works", "a".repeat(40), "b".repeat(17));
    assert_eq!(fqdn.len(), 70);
    let err = LabelsBuilder::new().sovereign(Fqdn::sovereign(&fqdn).unwrap()).build().unwrap_err();
    assert_eq!(err, NamingError::LabelValueTooLong { key: "openova.io/sovereign".into(), len: 70 });
}

#[test]
fn validator_reports_missing_keys_per_scope() {
    let cluster_only = LabelsBuilder::new()
        .location(Location::parse("hz", "fsn", "rtz", "prod").unwrap())
        .sovereign(Fqdn::sovereign("t38.omani.works").unwrap())
        .managed_by(ManagedBy::Crossplane)
        .build()
        .unwrap();
    assert!(validate_labels(&cluster_only, LabelScope::Cluster).is_empty());
    let missing: Vec<String> =
        validate_labels(&cluster_only, LabelScope::Tenant).iter().map(ToString::to_string).collect();
    assert_eq!(
        missing,
        [
            "missing required label openova.io/organization",
            "missing required label openova.io/environment",
            "missing required label openova.io/vcluster"
        ]
    );
}

#[test]
fn validator_reports_malformed_and_inconsistent_values() {
    let mut map = full_builder().build().unwrap();
    map.insert(keys::PROVIDER.into(), "hz".into());
    map.insert(keys::ENVIRONMENT.into(), "acme-dev".into());
    map.insert(keys::BLUEPRINT.into(), "wordpress".into());
    map.insert(keys::K8S_MANAGED_BY.into(), "helm".into());
    let problems = validate_labels(&map, LabelScope::Application);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "label openova.io/provider: invalid value \"hz\": expected a provider's full name (hetzner, huawei, oci, aws, gcp, azure, contabo)",
            "label openova.io/blueprint: invalid value \"wordpress\": label values carry the bp- prefix (bp-wordpress)",
            "label openova.io/environment is \"acme-dev\" but the other labels say it must be \"acme-prod\"",
            "label app.kubernetes.io/managed-by is \"helm\" but the other labels say it must be \"flux\"",
        ]
    );
}

#[test]
fn validator_host_cluster_accepts_both_provider_spellings() {
    let mut map = full_builder().build().unwrap();
    map.insert(keys::HOST_CLUSTER.into(), "hetzner-fsn-rtz-prod".into());
    assert!(validate_labels(&map, LabelScope::Application).is_empty());
    map.insert(keys::HOST_CLUSTER.into(), "hz-nbg-rtz-prod".into());
    assert_eq!(
        validate_labels(&map, LabelScope::Application),
        [LabelProblem::Inconsistent {
            key: keys::HOST_CLUSTER,
            value: "hz-nbg-rtz-prod".into(),
            expected: "hz-fsn-rtz-prod".into()
        }]
    );
}

#[test]
fn validator_managed_by_rules() {
    let mut map = full_builder().build().unwrap();
    map.remove(keys::K8S_MANAGED_BY);
    assert_eq!(
        validate_labels(&map, LabelScope::Application),
        [LabelProblem::Missing { key: keys::K8S_MANAGED_BY }]
    );
    // `catalyst` is accepted on read (OP-12), without the flux mirror label.
    map.insert(keys::MANAGED_BY.into(), "catalyst".into());
    assert!(validate_labels(&map, LabelScope::Application).is_empty());
    map.insert(keys::MANAGED_BY.into(), "argo".into());
    assert_eq!(validate_labels(&map, LabelScope::Application).len(), 1);
    // The flux mirror without managed-by=flux is inconsistent.
    map.insert(keys::MANAGED_BY.into(), "manual".into());
    map.insert(keys::K8S_MANAGED_BY.into(), "flux".into());
    assert_eq!(validate_labels(&map, LabelScope::Application).len(), 1);
}

#[test]
fn validator_flags_bad_label_values() {
    let mut map = full_builder().build().unwrap();
    map.insert("openova.io/application".into(), "has space".into());
    let problems = validate_labels(&map, LabelScope::Application);
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, LabelProblem::Malformed { key, .. } if key == "openova.io/application")),
        "{problems:?}"
    );
}
