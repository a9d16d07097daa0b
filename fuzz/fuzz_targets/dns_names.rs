//! DNS name canonicalization and the subdomain override parser on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let once = catalyst_dns::canonical_name(s);
    assert_eq!(catalyst_dns::canonical_name(&once), once);
    if let Ok(list) = catalyst_dns::parse_subdomains(s) {
        let joined = list.join(",");
        assert_eq!(catalyst_dns::parse_subdomains(&joined).unwrap(), list);
    }
});
