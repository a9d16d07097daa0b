//! The useraccess-controller's reading of an arbitrary UserAccess (YAML, as `catalyst
//! useraccess render` reads it) and Namespaces: errors, never panics; every binding it yields
//! has a name of at most 63 characters, valid label values, an owner reference to the
//! UserAccess, and a roleRef to one of the eight ClusterRoles or the tier role it names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|s: &str| {
    let (ua, namespaces) = s.split_once("\n%%\n").unwrap_or((s, ""));
    let Ok(ua) = serde_saphyr::from_str::<Value>(ua) else { return };
    let namespaces: Vec<catalyst_core::access::NamespaceLabels> = serde_saphyr::from_multiple::<Value>(namespaces)
        .unwrap_or_default()
        .iter()
        .map(catalyst_core::access::NamespaceLabels::of)
        .collect();
    let Ok(grant) = catalyst_core::access::parse(&ua) else { return };
    for b in catalyst_core::access::desired(&grant, &namespaces).bindings {
        let name = b["metadata"]["name"].as_str().expect("a name");
        assert!(name.len() <= 63, "{name}");
        let label = b["metadata"]["labels"]["access.openova.io/useraccess"].as_str().expect("the label");
        assert!(label.len() <= 63, "{label}");
        assert_eq!(b["metadata"]["ownerReferences"][0]["kind"], "UserAccess");
        let role = b["roleRef"]["name"].as_str().expect("a role");
        assert!(role.starts_with("openova:application-") || Some(role) == grant.tier_role_ref.as_deref(), "{role}");
    }
});
