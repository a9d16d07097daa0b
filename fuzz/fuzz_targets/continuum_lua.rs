//! The continuum synthesizer on an arbitrary Continuum spec and Application (JSON, as the
//! controller reads them): errors, never panics; every record it does produce lints as a lua
//! record PowerDNS can serve, and its document is JSON with the records sorted.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let (spec, app) = s.split_once('\n').unwrap_or((s, ""));
    let Ok(spec) = serde_json::from_str::<serde_json::Value>(spec) else { return };
    let app = serde_json::from_str::<serde_json::Value>(app).ok();
    let params = catalyst_dns::continuum::SynthParams::from_spec(&spec);
    let Ok(records) = catalyst_dns::continuum::synthesize(&params, app.as_ref()) else { return };
    for r in &records {
        if let Err(e) = catalyst_dns::lint_lua(&r.content()) {
            panic!("{}: {e}", r.content());
        }
    }
    let doc: serde_json::Value =
        serde_json::from_str(&catalyst_dns::continuum::records_document(&records)).expect("the document is JSON");
    let names: Vec<&str> =
        doc["records"].as_array().expect("records").iter().filter_map(|r| r["hostname"].as_str()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]));
});
