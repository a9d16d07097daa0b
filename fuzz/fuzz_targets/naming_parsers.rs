//! Every catalyst-naming parser on arbitrary strings: none may panic, and whatever one
//! accepts must print back to the input and re-parse to the same value.
#![no_main]

use catalyst_naming::{
    AppName, BlueprintName, BlueprintVersion, BuildingBlock, EnvType, EnvironmentName, Fqdn, Location, OrgSlug,
    Provider, QualifiedVcluster, ServerName, check_pool_subdomain,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Ok(l) = Location::from_host_cluster(s) {
        assert!(l.host_cluster() == s || l.host_cluster_verbatim() == s);
        assert_eq!(Location::from_host_cluster(&l.host_cluster()).unwrap(), l);
    }
    if let Ok(l) = Location::from_location_code(s) {
        assert_eq!(l.location_code(), s);
    }
    if let Ok(v) = ServerName::parse(s) {
        assert_eq!(v.to_string(), s);
        assert_eq!(ServerName::parse(&v.to_string()).unwrap(), v);
    }
    if let Ok(v) = QualifiedVcluster::parse(s) {
        assert_eq!(QualifiedVcluster::parse(&v.to_string()).unwrap(), v);
    }
    if let Ok(v) = EnvironmentName::parse(s) {
        assert_eq!(v.to_string(), s);
    }
    if let Ok(v) = OrgSlug::parse(s) {
        assert_eq!(v.as_str(), s);
    }
    if let Ok(v) = BlueprintName::parse(s) {
        assert_eq!(BlueprintName::parse(v.as_str()).unwrap(), v);
    }
    if let Ok(v) = BlueprintVersion::parse(s) {
        assert_eq!(v.as_str(), s);
    }
    if let Ok(v) = Fqdn::domain(s) {
        assert!(v.as_str().len() <= 253);
        assert_eq!(Fqdn::domain(v.as_str()).unwrap(), v);
    }
    let _ = Fqdn::sovereign(s);
    let _ = AppName::parse(s);
    let _ = s.parse::<Provider>();
    let _ = s.parse::<BuildingBlock>();
    let _ = s.parse::<EnvType>();
    let _ = check_pool_subdomain(s);
});
