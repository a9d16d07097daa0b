//! The organization-controller's render on an arbitrary Organization (YAML, as `catalyst
//! organization render` reads it) and its Kustomization index merge on an arbitrary index read
//! from Gitea: errors, never panics; every rendered document parses back with the
//! Organization's display name intact in its annotation (no text becomes structure), and a
//! merged index lists its rendered entries and never itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|s: &str| {
    let (index, org) = s.split_once("\n%%\n").unwrap_or(("", s));
    let rendered = "resources:\n  - namespace.yaml\n  - networkpolicy.yaml\n";
    if let Ok(Some(merged)) = catalyst_core::tenant::merge_kustomization("vcluster/apps/kustomization.yaml", index, rendered) {
        let entries = catalyst_core::tenant::kustomization_entries(&merged).expect("a merged index is a plain index");
        assert!(entries.contains("namespace.yaml") && entries.contains("networkpolicy.yaml"));
        assert!(!entries.contains("kustomization.yaml") && !entries.contains("ciliumnetworkpolicy.yaml"));
    }
    let Ok(doc) = serde_saphyr::from_str::<Value>(org) else { return };
    let Ok(org) = serde_json::from_value::<catalyst_core::crd::Organization>(doc) else { return };
    let config = catalyst_core::tenant::TenantConfig::new("hz-fsn-rtz-prod");
    let Ok(files) = catalyst_core::tenant::render(&org, &config) else { return };
    for f in &files {
        for text in f.content.split("\n---\n") {
            let doc: Value = serde_saphyr::from_str(text).expect("every rendered document parses");
            assert!(doc["kind"].is_string(), "{}", f.path);
            if f.path == "vcluster/namespace.yaml" {
                assert_eq!(doc["metadata"]["annotations"]["openova.io/display-name"], org.spec.display_name.as_str());
                assert_eq!(doc["metadata"]["name"], org.spec.slug.as_str());
            }
        }
    }
});
