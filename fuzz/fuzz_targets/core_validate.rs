//! `catalyst validate`'s YAML path on arbitrary text: a report or an error, never a panic;
//! every finding names a rule and a message, and every error-free Catalyst document
//! deserializes into its typed kind.
#![no_main]

use catalyst_core::validate::{Checked, validate_yaml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let Ok(reports) = validate_yaml(s) else { return };
    for r in &reports {
        for f in &r.findings {
            assert!(!f.rule.is_empty() && !f.message.is_empty(), "{f:?}");
        }
        if matches!(r.checked, Checked::Skipped(_)) {
            assert!(r.findings.is_empty(), "a skipped document has findings: {r:?}");
        }
    }
});
