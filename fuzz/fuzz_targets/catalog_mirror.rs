//! The blueprint-controller's verdict on an arbitrary Blueprint document (YAML, as the API
//! server would hand it over): errors, never panics; a verdict with errors mirrors nothing;
//! a mirrored file parses back to the object's apiVersion, kind, name and spec, and never
//! carries its status.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|s: &str| {
    let Ok(doc) = serde_saphyr::from_str::<Value>(s) else { return };
    let verdict = catalyst_core::catalog::judge(&doc, &std::collections::BTreeSet::new());
    match &verdict.mirror {
        None => assert!(!verdict.errors.is_empty(), "nothing mirrored without a reason"),
        Some(catalyst_core::catalog::Mirror::Write { bytes, .. }) => {
            assert!(verdict.errors.is_empty());
            let back: Value = serde_saphyr::from_str(bytes).expect("the mirror file parses");
            assert_eq!(back["spec"], doc["spec"]);
            assert_eq!(back["metadata"]["name"], doc["metadata"]["name"]);
            assert!(back.get("status").is_none());
        }
        Some(catalyst_core::catalog::Mirror::Delete { .. }) => assert!(verdict.errors.is_empty()),
    }
    let status = catalyst_core::catalog::next_status(&doc["status"], &verdict, Some(1), "t", None);
    assert!(status["conditions"].is_array());
});
