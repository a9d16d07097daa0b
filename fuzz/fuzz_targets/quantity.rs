//! Kubernetes quantities from arbitrary text: errors, never panics (no overflow on huge
//! numbers or long fractions); what parses has a canonical form that parses back to the same
//! value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let Ok(q) = s.parse::<catalyst_core::quantity::Quantity>() else { return };
    let canonical = q.to_string();
    let back: catalyst_core::quantity::Quantity = canonical.parse().expect("the canonical form parses");
    assert_eq!(back.as_millis(), q.as_millis(), "{s:?} -> {canonical:?}");
    let _ = q.as_mebibytes_ceil();
});
