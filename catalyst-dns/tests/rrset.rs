//! DNS-3, DNS-4, DNS-11.

#![allow(clippy::unwrap_used)]

use catalyst_dns::{
    RrSet, SOVEREIGN_SUBDOMAINS, SubdomainError, ZonePatch, canonical_name, canonical_nameservers,
    extended_subdomains, parse_subdomains,
};
use proptest::prelude::*;
use serde_json::json;

#[test]
fn dns_3_canonical_names() {
    for (input, want) in [
        ("omani.works", "omani.works."),
        ("omani.works.", "omani.works."),
        ("  OMANI.Works ", "omani.works."),
        ("", ""),
        ("   ", ""),
    ] {
        assert_eq!(canonical_name(input), want, "{input:?}");
    }
    assert_eq!(
        canonical_nameservers(&["NS1.openova.io", "", " ns2.openova.io."]),
        ["ns1.openova.io.", "ns2.openova.io."]
    );
}

#[test]
fn dns_4_replace_and_delete_bodies() {
    let patch = ZonePatch {
        rrsets: vec![
            RrSet::replace("www.example.test", "a", 300, ["127.0.0.1", "127.0.0.2"]),
            RrSet::delete("old.example.test", "CNAME"),
        ],
    };
    let body: serde_json::Value = serde_json::from_str(&patch.to_json()).unwrap();
    assert_eq!(
        body,
        json!({"rrsets": [
            {"name": "www.example.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
             "records": [{"content": "127.0.0.1", "disabled": false}, {"content": "127.0.0.2", "disabled": false}]},
            {"name": "old.example.test.", "type": "CNAME", "changetype": "DELETE", "records": []}
        ]})
    );
    // REPLACE keeps a TTL of 0: PowerDNS rejects a REPLACE without the key.
    let zero = serde_json::to_value(RrSet::replace("x.example.test", "A", 0, ["127.0.0.1"])).unwrap();
    assert_eq!(zero["ttl"], 0);
    // The body parses back to the same value.
    assert_eq!(serde_json::from_str::<ZonePatch>(&patch.to_json()).unwrap(), patch);
}

#[test]
fn dns_11_subdomain_lists() {
    assert_eq!(SOVEREIGN_SUBDOMAINS.len(), 13);
    assert_eq!(SOVEREIGN_SUBDOMAINS[0], "console");
    assert_eq!(SOVEREIGN_SUBDOMAINS[12], "guacamole");
    let ext = extended_subdomains();
    assert_eq!(ext.len(), 17);
    assert_eq!(&ext[13..], ["newapi", "pdns-admin", "sandbox", "mcp"]);
}

#[test]
fn dns_11_override_rules() {
    assert_eq!(parse_subdomains("").unwrap(), Vec::<String>::new());
    assert_eq!(parse_subdomains("a, b ,a,, c").unwrap(), ["a", "b", "c"]);
    assert_eq!(
        parse_subdomains("console, Admin").unwrap_err(),
        SubdomainError::InvalidSubdomain {
            index: 2,
            value: "Admin".into(),
            reason: "uppercase letter 'A' at position 1".into()
        }
    );
    assert_eq!(
        parse_subdomains("*.x").unwrap_err().to_string(),
        "CATALYST_SOVEREIGN_SUBDOMAINS: entry 1 \"*.x\" is not a subdomain: character '*' at position 1 is not a-z, 0-9 or '-'"
    );
}

proptest! {
    #[test]
    fn canonical_name_is_idempotent(s in "\\PC{0,40}") {
        let once = canonical_name(&s);
        prop_assert_eq!(canonical_name(&once), once.clone());
        prop_assert!(once.is_empty() || once.ends_with('.'));
    }

    #[test]
    fn parsed_subdomains_are_unique_labels(s in "[a-z0-9, -]{0,60}") {
        if let Ok(list) = parse_subdomains(&s) {
            for (i, a) in list.iter().enumerate() {
                prop_assert!(catalyst_naming::check_dns_label("x", a).is_ok());
                prop_assert!(!list[i + 1..].contains(a));
            }
        }
    }
}
