//! Property tests: formatting then parsing gives back the dimensions, for every reversible
//! pattern; parsers never panic and only accept what they can print back.

#![allow(clippy::unwrap_used)]

use catalyst_naming::{
    AppName, BlueprintName, BlueprintVersion, BuildingBlock, EnvType, EnvironmentName, Fqdn, Location,
    OrgSlug, Provider, QualifiedVcluster, RegionTable, ServerName,
};
use proptest::prelude::*;

fn arb_location() -> impl Strategy<Value = Location> {
    let regions: Vec<_> = RegionTable::builtin().all().cloned().collect();
    (
        proptest::sample::select(regions),
        proptest::sample::select(BuildingBlock::ALL.to_vec()),
        proptest::sample::select(EnvType::ALL.to_vec()),
    )
        .prop_map(|(r, b, e)| Location::new(r, b, e))
}

fn arb_org() -> impl Strategy<Value = OrgSlug> {
    "[a-z][a-z0-9-]{1,30}[a-z0-9]".prop_filter_map("reserved or invalid", |s| OrgSlug::parse(&s).ok())
}

fn arb_app() -> impl Strategy<Value = AppName> {
    "[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?".prop_filter_map("invalid", |s| AppName::parse(&s).ok())
}

proptest! {
    #[test]
    fn host_cluster_round_trips(loc in arb_location()) {
        prop_assert_eq!(Location::from_host_cluster(&loc.host_cluster())?, loc.clone());
        prop_assert_eq!(Location::from_host_cluster(&loc.host_cluster_verbatim())?, loc);
    }

    #[test]
    fn location_code_round_trips(loc in arb_location()) {
        let code = loc.location_code();
        prop_assert_eq!(code.len(), 4);
        prop_assert_eq!(Location::from_location_code(&code)?, loc);
    }

    #[test]
    fn qualified_vcluster_round_trips(loc in arb_location(), org in arb_org()) {
        let name = loc.vcluster_qualified(&org);
        prop_assert!(name.len() <= 50);
        let parsed = QualifiedVcluster::parse(&name)?;
        prop_assert_eq!(parsed.location(), &loc);
        prop_assert_eq!(parsed.org(), &org);
        prop_assert_eq!(parsed.to_string(), name);
    }

    #[test]
    fn server_name_round_trips(loc in arb_location(), app in arb_app(), index in 1u32..100_000) {
        let name = loc.server(&app, index)?;
        let parsed = ServerName::parse(&name)?;
        prop_assert_eq!(parsed.location(), &loc);
        prop_assert_eq!(parsed.app(), &app);
        prop_assert_eq!(parsed.index(), index);
        prop_assert_eq!(parsed.to_string(), name);
    }

    #[test]
    fn environment_round_trips(org in arb_org(), env in proptest::sample::select(EnvType::ALL.to_vec())) {
        let name = EnvironmentName::new(org.clone(), env);
        prop_assert!(name.to_string().len() <= 37);
        let parsed = EnvironmentName::parse(&name.to_string())?;
        prop_assert_eq!(parsed.org(), &org);
        prop_assert_eq!(parsed.env_type(), env);
    }

    #[test]
    fn dimension_codes_round_trip(p in proptest::sample::select(Provider::ALL.to_vec()),
                                  b in proptest::sample::select(BuildingBlock::ALL.to_vec()),
                                  e in proptest::sample::select(EnvType::ALL.to_vec())) {
        for s in [p.name().to_string(), p.short().to_string(), p.code1().to_string()] {
            prop_assert_eq!(s.parse::<Provider>()?, p);
        }
        prop_assert_eq!(b.code().parse::<BuildingBlock>()?, b);
        prop_assert_eq!(b.code1().to_string().parse::<BuildingBlock>()?, b);
        prop_assert_eq!(e.code().parse::<EnvType>()?, e);
        prop_assert_eq!(e.code1().to_string().parse::<EnvType>()?, e);
        prop_assert_eq!(EnvType::from_branch(e.branch()), Some(e));
    }

    /// Whatever a parser accepts, it prints back unchanged (canonical input only), and it
    /// never panics on arbitrary input.
    #[test]
    fn parsers_accept_only_what_they_print(s in "\\PC{0,40}|[a-z0-9.-]{0,40}") {
        if let Ok(l) = Location::from_host_cluster(&s) {
            prop_assert!(l.host_cluster() == s || l.host_cluster_verbatim() == s);
        }
        if let Ok(l) = Location::from_location_code(&s) { prop_assert_eq!(l.location_code(), s.clone()); }
        if let Ok(v) = ServerName::parse(&s) { prop_assert_eq!(v.to_string(), s.clone()); }
        if let Ok(v) = QualifiedVcluster::parse(&s) {
            prop_assert!(v.to_string() == s || v.location().host_cluster_verbatim() + "-" + v.org().as_str() == s);
        }
        if let Ok(v) = EnvironmentName::parse(&s) { prop_assert_eq!(v.to_string(), s.clone()); }
        if let Ok(v) = OrgSlug::parse(&s) { prop_assert_eq!(v.as_str(), s.as_str()); }
        if let Ok(v) = AppName::parse(&s) { prop_assert_eq!(v.as_str(), s.as_str()); }
        if let Ok(v) = BlueprintVersion::parse(&s) { prop_assert_eq!(v.as_str(), s.as_str()); }
        if let Ok(v) = BlueprintName::parse(&s) {
            let prefixed = format!("bp-{s}");
            prop_assert!(v.as_str() == s || v.as_str() == prefixed);
            prop_assert_eq!(BlueprintName::parse(v.as_str())?, v);
        }
        if let Ok(v) = Fqdn::domain(&s) {
            prop_assert!(v.as_str() == s || v.to_absolute() == s);
            prop_assert!(v.as_str().len() <= 253);
        }
    }
}
