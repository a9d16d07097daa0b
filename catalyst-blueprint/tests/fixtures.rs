//! Every real blueprint.yaml of the platform parses (SPEC BP-1), with the true warnings.

#![allow(clippy::unwrap_used)]

use catalyst_blueprint::{ApiVersion, HeaderError, parse_header};

use catalyst_testkit::fixtures;

#[test]
fn bp_1_all_fixture_blueprints_parse() {
    let platform = fixtures().join("openova/blueprints/platform");
    let mut count = 0;
    let (mut alpha, mut v1, mut bare) = (0, 0, 0);
    for entry in std::fs::read_dir(&platform).unwrap() {
        let dir = entry.unwrap().path();
        let folder = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let yaml = std::fs::read_to_string(dir.join("blueprint.yaml")).unwrap();
        let h = parse_header(&yaml, Some(&folder)).unwrap_or_else(|e| panic!("{folder}: {e}"));
        assert_eq!(h.name.as_str(), format!("bp-{folder}"));
        match h.api_version {
            ApiVersion::V1Alpha1 => alpha += 1,
            ApiVersion::V1 => v1 += 1,
        }
        if !h.warnings.is_empty() {
            bare += 1;
            // The only warning real files earn here is the bare v1 name.
            assert_eq!(h.api_version, ApiVersion::V1, "{folder}: {:?}", h.warnings);
        }
        count += 1;
    }
    // Counts measured in shared/fixtures/README.md.
    assert_eq!((count, alpha, v1, bare), (48, 29, 19, 19));
}

#[test]
fn bp_1_documented_example_uses_metadata_version() {
    let path =
        fixtures().join("openova/crds/doc-examples/docs/BLUEPRINT-AUTHORING.md.L84-L188.Blueprint.yaml");
    let h = parse_header(&std::fs::read_to_string(path).unwrap(), Some("wordpress")).unwrap();
    assert_eq!((h.name.as_str(), h.version.as_str()), ("bp-wordpress", "1.3.0"));
    assert_eq!(
        h.warnings.to_string(),
        "metadata.version: the version belongs in spec.version [MetadataVersion]"
    );
}

#[test]
fn bp_1_rejections_name_the_yaml_path() {
    let doc = |api: &str, kind: &str, name: &str, version: &str| {
        format!("apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n  version: {version}\n")
    };
    let v1 = "catalyst.openova.io/v1";
    let err = parse_header(&doc("apps/v1", "Blueprint", "x1", "1.0.0"), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "apiVersion: \"apps/v1\" is not catalyst.openova.io/v1alpha1 or catalyst.openova.io/v1"
    );
    let err = parse_header(&doc(v1, "Deployment", "x1", "1.0.0"), None).unwrap_err();
    assert_eq!(err, HeaderError::WrongKind { found: "Deployment".into() });
    let err = parse_header(&doc(v1, "Blueprint", "Harbor", "1.0.0"), None).unwrap_err();
    assert!(err.to_string().starts_with("metadata.name: invalid Blueprint name \"Harbor\""), "{err}");
    let err = parse_header(&doc(v1, "Blueprint", "harbor", "1.0.0"), Some("gitea")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "metadata.name: \"bp-harbor\" does not match its folder \"gitea\" (expected bp-gitea)"
    );
    // A folder may carry the full name too; either form must match.
    for (name, folder) in [("harbor", "bp-harbor"), ("bp-harbor", "bp-harbor"), ("bp-harbor", "harbor")] {
        let h = parse_header(&doc(v1, "Blueprint", name, "1.0.0"), Some(folder)).unwrap();
        assert_eq!(h.name.as_str(), "bp-harbor");
    }
    let err = parse_header(&doc(v1, "Blueprint", "harbor", "1.0.0"), Some("bp-gitea")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "metadata.name: \"bp-harbor\" does not match its folder \"bp-gitea\" (expected bp-gitea)"
    );
    let err = parse_header(&doc(v1, "Blueprint", "harbor", "1.0"), None).unwrap_err();
    assert!(err.to_string().starts_with("spec.version: invalid Blueprint version \"1.0\""), "{err}");
    let err =
        parse_header("apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: x1}\n", None)
            .unwrap_err();
    assert_eq!(err, HeaderError::MissingVersion);
    let err = parse_header("kind: [", None).unwrap_err();
    assert!(matches!(err, HeaderError::Yaml { .. }), "{err:?}");
}

#[test]
fn bp_11_lint_on_the_fixture_catalog_reports_the_true_findings() {
    let root = fixtures().join("openova/blueprints");
    let loaded = catalyst_blueprint::Catalog::load_dir(&root).unwrap();
    assert_eq!(loaded.catalog.len(), 48);
    let mut findings = loaded.diagnostics;
    findings.extend(loaded.catalog.lint());
    assert!(findings.iter().all(|d| !d.is_error()), "{findings:#?}");
    // Paths relative to the catalog, so the snapshot does not depend on the checkout.
    let lines: Vec<String> = findings
        .iter()
        .map(|d| {
            let file = d.file.as_deref().unwrap_or_default();
            let rel = file.strip_prefix(root.to_str().unwrap()).unwrap_or(file);
            format!(
                "{}[{}] {rel}: {}: {}",
                if d.is_error() { "error" } else { "warning" },
                catalyst_naming::diagnostic::Code::as_str(d.code),
                d.path,
                d.message
            )
        })
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    for d in &findings {
        *counts.entry(catalyst_naming::diagnostic::Code::as_str(d.code)).or_insert(0) += 1;
    }
    // 16 files without visibility, 19 v1 files with bare names, 3 bare-string depends
    // (shared/fixtures/README.md), and nothing else.
    assert_eq!(
        counts,
        [("BareStringDepends", 3), ("MissingVisibility", 16), ("NameWithoutPrefix", 19)].into()
    );
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn fixture_plan_respects_every_edge() {
    let loaded = catalyst_blueprint::Catalog::load_dir(&fixtures().join("openova/blueprints")).unwrap();
    let every: Vec<catalyst_blueprint::Request> =
        loaded.catalog.names().map(|n| n.as_str().parse().unwrap()).collect();
    let res =
        catalyst_blueprint::resolve(&loaded.catalog, &every, &catalyst_blueprint::ResolveOptions::default())
            .unwrap();
    assert_eq!(res.plan.install_order.len(), 48);
    let pos: std::collections::BTreeMap<&str, usize> =
        res.plan.install_order.iter().enumerate().map(|(i, it)| (it.name.as_str(), i)).collect();
    let mut edges = 0;
    for item in &res.plan.install_order {
        for dep in &item.depends_on {
            assert!(pos[dep.as_str()] < pos[item.name.as_str()], "{} before {dep}", item.name);
            edges += 1;
        }
    }
    // 40 dependency references in 21 files (shared/fixtures/README.md).
    assert_eq!(edges, 40);
}

#[test]
fn a_catalog_folder_may_carry_the_full_blueprint_name() {
    let doc = |name: &str| {
        format!(
            "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata:\n  name: {name}\nspec:\n  version: 1.0.0\n  card: {{title: App}}\n"
        )
    };
    let loaded = catalyst_blueprint::Catalog::from_texts([
        ("catalog/bp-app/blueprint.yaml".into(), doc("bp-app")),
        ("catalog/web/blueprint.yaml".into(), doc("web")),
    ]);
    let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(loaded.catalog.len(), 2);
}

/// One placement vocabulary (issue 17): every mode an Application's CRD accepts is a token a
/// Blueprint's placementSchema accepts, and catalyst-core uses these very types.
#[test]
fn placement_modes_are_placement_tokens() {
    for mode in catalyst_blueprint::PlacementMode::ALL {
        assert!(catalyst_blueprint::PLACEMENT_TOKENS.contains(&mode.as_str()), "{mode}");
        assert_eq!(catalyst_blueprint::PlacementMode::from_wire(mode.as_str()), Some(mode));
    }
}
