//! The desired-state file and the lua linter on arbitrary text: errors, never panics; a
//! file that validates plans to exactly its record sets against an empty zone.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let _ = catalyst_dns::lint_lua(s);
    if let Ok(zones) = catalyst_dns::parse_desired(s) {
        for z in &zones {
            let plan = catalyst_dns::plan_zone(z, Some(&[]), false);
            assert_eq!(plan.changes.len(), z.rrsets.len());
            for set in z.rrsets.values() {
                for c in &set.contents {
                    assert!(catalyst_dns::check_content(&set.rtype, c).is_ok(), "{set}");
                }
            }
        }
    }
});
