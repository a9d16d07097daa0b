//! blueprint.yaml identity parsing on arbitrary text: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Ok(h) = catalyst_blueprint::parse_header(s, None) {
        assert!(h.name.as_str().starts_with("bp-"));
    }
});
