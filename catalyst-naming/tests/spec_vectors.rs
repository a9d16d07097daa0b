//! The worked examples of SPEC.md NAME-29, one table per pattern, and one test per rejection.
//!
//! NB: the `openova.io` domains below are the naming doc's own examples of pure string
//! formatting; no Sovereign is provisioned with them.

#![allow(clippy::unwrap_used)]

use catalyst_naming::{
    AppName, BlueprintName, BlueprintVersion, BuildingBlock, Component, EnvType, EnvironmentName, Fqdn,
    Location, NamingError, OrgSlug, Provider, QualifiedVcluster, Region, RegionTable, ServerName, SlugRule,
    branch_for_env_type, check_dns_label, check_pool_subdomain, cloud, control_plane_namespace, dmz_vcluster,
    env_repo,
};

fn loc(p: &str, r: &str, b: &str, e: &str) -> Location {
    Location::parse(p, r, b, e).unwrap_or_else(|err| panic!("{p} {r} {b} {e}: {err}"))
}

#[test]
fn name_6_host_cluster() {
    for (dims, want) in [
        (("hetzner", "fsn", "rtz", "prod"), "hz-fsn-rtz-prod"),
        (("huawei", "apse", "rtz", "prod"), "hw-apse-rtz-prod"),
        (("contabo", "eu", "mgt", "prod"), "ct-eu-mgt-prod"),
        (("oci", "sg", "dmz", "poc"), "oci-sg-dmz-poc"),
        (("hz", "fsn", "r", "p"), "hz-fsn-rtz-prod"),
    ] {
        let l = loc(dims.0, dims.1, dims.2, dims.3);
        assert_eq!(l.host_cluster(), want, "{dims:?}");
        assert_eq!(Location::from_host_cluster(want).unwrap(), l, "{want}");
    }
}

#[test]
fn name_6_verbatim_host_cluster_parses_to_the_same_location() {
    let l = loc("hetzner", "fsn", "rtz", "prod");
    assert_eq!(l.host_cluster_verbatim(), "hetzner-fsn-rtz-prod");
    assert_eq!(Location::from_host_cluster("hetzner-fsn-rtz-prod").unwrap(), l);
}

#[test]
fn name_7_location_code() {
    for (dims, want) in [
        (("hetzner", "fsn", "rtz", "prod"), "hfrp"),
        (("hetzner", "fsn", "mgt", "prod"), "hfmp"),
        (("hetzner", "nbg", "mgt", "prod"), "hnmp"),
        (("hetzner", "nbg", "mgt", "dev"), "hnmd"),
        (("hetzner", "hel", "dmz", "prod"), "hldp"),
        (("hetzner", "ash", "rtz", "prod"), "harp"),
        (("hetzner", "sin", "rtz", "prod"), "hsrp"),
        (("hetzner", "hil", "rtz", "uat"), "hiru"),
        (("huawei", "apse", "rtz", "prod"), "wprp"),
        (("oci", "dxb", "rtz", "prod"), "oxrp"),
        (("oci", "fra", "rtz", "prod"), "orrp"),
        (("oci", "sg", "dmz", "poc"), "ogdc"),
        (("contabo", "eu", "mgt", "prod"), "cemp"),
    ] {
        let l = loc(dims.0, dims.1, dims.2, dims.3);
        assert_eq!(l.location_code(), want, "{dims:?}");
        assert_eq!(Location::from_location_code(want).unwrap(), l, "{want}");
    }
    let wprp = Location::from_location_code("wprp").unwrap();
    assert_eq!(
        (wprp.provider(), wprp.region().code(), wprp.building_block(), wprp.env_type()),
        (Provider::Huawei, "apse", BuildingBlock::Rtz, EnvType::Prod)
    );
}

#[test]
fn name_8_server() {
    let l = loc("hetzner", "fsn", "rtz", "prod");
    let app = AppName::parse("k8s").unwrap();
    assert_eq!(l.server(&app, 1).unwrap(), "hzfsnr-k8s-1p");
    let parsed = ServerName::parse("hzfsnr-k8s-1p").unwrap();
    assert_eq!((parsed.location(), parsed.app().as_str(), parsed.index()), (&l, "k8s", 1));
    // Multi-dash apps, 4-char regions and 3-char provider codes parse back too.
    for name in ["hwapser-web-proxy-12d", "ocisgd-k8s-3c", "awsuse1r-x-1p"] {
        let table =
            RegionTable::builtin().clone().with_region(Provider::Aws, "use1", 'e', "US East 1").unwrap();
        assert_eq!(ServerName::parse_with(&table, name).unwrap().to_string(), name);
    }
}

#[test]
fn name_9_vpc() {
    assert_eq!(loc("hz", "fsn", "rtz", "prod").vpc(), "rtz-prod");
    assert_eq!(loc("hz", "fsn", "dmz", "prod").vpc(), "dmz-prod");
}

#[test]
fn name_10_11_vcluster() {
    let acme = OrgSlug::parse("acme").unwrap();
    let l = loc("hetzner", "hel", "rtz", "prod");
    assert_eq!(l.vcluster_qualified(&acme), "hz-hel-rtz-prod-acme");
    let v = QualifiedVcluster::parse("hz-hel-rtz-prod-acme").unwrap();
    assert_eq!((v.location(), v.org()), (&l, &acme));
    let dashed = QualifiedVcluster::parse("hz-hel-rtz-prod-acme-pharmacy").unwrap();
    assert_eq!(dashed.org().as_str(), "acme-pharmacy");
    assert_eq!(dashed.to_string(), "hz-hel-rtz-prod-acme-pharmacy");
}

#[test]
fn name_12_environment() {
    for (org, env, want) in
        [("acme", EnvType::Prod, "acme-prod"), ("bankdhofar", EnvType::Uat, "bankdhofar-uat")]
    {
        let e = EnvironmentName::new(OrgSlug::parse(org).unwrap(), env);
        assert_eq!(e.to_string(), want);
        assert_eq!(EnvironmentName::parse(want).unwrap(), e);
    }
    assert_eq!(EnvironmentName::parse("acme-pharmacy-dev").unwrap().org().as_str(), "acme-pharmacy");
}

#[test]
fn name_13_blueprint() {
    let v = BlueprintVersion::parse("1.1.1").unwrap();
    let cilium = BlueprintName::parse("cilium").unwrap();
    assert_eq!(cilium.as_str(), "bp-cilium");
    assert_eq!(cilium.short(), "cilium");
    assert_eq!(BlueprintName::parse("bp-cilium").unwrap(), cilium);
    assert_eq!(cilium.oci_ref(&v), "ghcr.io/openova-io/bp-cilium:1.1.1");
    assert_eq!(BlueprintName::parse("bp-cnpg-pair").unwrap().as_str(), "bp-cnpg-pair");
    assert!(BlueprintVersion::parse("1.0.0-rc.1").unwrap().is_prerelease());
}

#[test]
fn name_14_control_plane_dns() {
    let openova = Fqdn::domain("openova.io").unwrap();
    let gitea = Component::parse("gitea").unwrap();
    let console = Component::parse("console").unwrap();
    assert_eq!(
        loc("hz", "fsn", "mgt", "prod").control_plane_dns(&gitea, &openova).unwrap(),
        "gitea.hfmp.openova.io"
    );
    assert_eq!(
        loc("hz", "nbg", "mgt", "prod").control_plane_dns(&console, &openova).unwrap(),
        "console.hnmp.openova.io"
    );
}

#[test]
fn name_15_app_dns() {
    let env = EnvironmentName::parse("acme-prod").unwrap();
    let site = AppName::parse("marketing-site").unwrap();
    let blog = AppName::parse("blog").unwrap();
    assert_eq!(
        env.app_dns(&site, &Fqdn::sovereign("omantel.biz").unwrap()).unwrap(),
        "marketing-site.acme-prod.omantel.biz"
    );
    assert_eq!(env.app_dns(&blog, &Fqdn::domain("acme.com").unwrap()).unwrap(), "blog.acme-prod.acme.com");
}

#[test]
fn name_16_app_repo() {
    let l = Location::from_location_code("hfmp").unwrap();
    let url = l
        .app_repo(
            &Fqdn::sovereign("t38.omani.works").unwrap(),
            &OrgSlug::parse("acme-pharmacy").unwrap(),
            &AppName::parse("store-frontend").unwrap(),
        )
        .unwrap();
    assert_eq!(url, "gitea.hfmp.t38.omani.works/acme-pharmacy/store-frontend");
}

#[test]
fn name_17_crossplane_cr() {
    assert_eq!(loc("hetzner", "fsn", "rtz", "prod").crossplane_cr("vpc").unwrap(), "hz-fsn-rtz-prod-vpc");
}

#[test]
fn name_18_to_20_namespaces_and_cloud_objects() {
    assert_eq!(control_plane_namespace(&Component::parse("gitea").unwrap()).unwrap(), "catalyst-gitea");
    assert_eq!(dmz_vcluster(&OrgSlug::parse("acme").unwrap()), "acme-dmz");
    assert_eq!(cloud::per_env("ingress", EnvType::Prod).unwrap(), "ingress-prod");
    assert_eq!(cloud::bucket("backups", EnvType::Stg).unwrap(), "stg-backups");
    assert_eq!(cloud::peering(BuildingBlock::Dmz), "to-dmz");
    assert_eq!(cloud::network_object("nodes").unwrap(), "nodes");
}

#[test]
fn name_21_branches() {
    let table = [
        (EnvType::Dev, "develop"),
        (EnvType::Stg, "staging"),
        (EnvType::Prod, "main"),
        (EnvType::Uat, "uat"),
        (EnvType::Poc, "poc"),
    ];
    for (env, branch) in table {
        assert_eq!(env.branch(), branch);
        assert_eq!(EnvType::from_branch(branch), Some(env));
        assert_eq!(branch_for_env_type(env.code()), branch);
    }
    assert_eq!(branch_for_env_type("qa"), "qa");
}

#[test]
fn name_22_derived_strings() {
    let env = EnvironmentName::parse("acmebank-uat").unwrap();
    assert_eq!(env.jetstream_prefix(), "ws.acmebank-uat.>");
    let acme = EnvironmentName::parse("acme-prod").unwrap();
    assert_eq!(acme.openbao_path(), "org/acme/env/prod/");
    assert_eq!(acme.policy_path(), "system/catalyst-config/policies/acme-prod-policy.yaml");
    assert_eq!(
        acme.gitrepository_path("hetzner-fsn-rtz-prod").unwrap(),
        "clusters/hetzner-fsn-rtz-prod/environments/acme-prod/gitrepository.yaml"
    );
    assert_eq!(env_repo(acme.org(), catalyst_naming::DEFAULT_ENV_REPO_SUFFIX), "acme/acme-environment");
    let err = acme.gitrepository_path("../etc").unwrap_err();
    assert_eq!(err.kind(), "InvalidDnsLabel");
}

// ---- Rejections: the negative list of NAME-29, one test each. ----

fn slug_rule(s: &str) -> SlugRule {
    match OrgSlug::parse(s) {
        Err(NamingError::InvalidOrgSlug { slug, rule }) => {
            assert_eq!(slug, s);
            rule
        }
        other => panic!("{s}: expected InvalidOrgSlug, got {other:?}"),
    }
}

#[test]
fn org_uppercase_is_invalid() {
    assert_eq!(slug_rule("Acme"), SlugRule::Uppercase { ch: 'A', position: 1 });
    assert_eq!(
        OrgSlug::parse("Acme").unwrap_err().to_string(),
        "invalid organization slug \"Acme\": uppercase letter 'A' at position 1; slugs are lowercase \
         (slugs match ^[a-z][a-z0-9-]{2,31}$ and do not end in '-')"
    );
}

#[test]
fn org_too_short_is_invalid() {
    assert_eq!(slug_rule("ab"), SlugRule::TooShort { len: 2 });
}

#[test]
fn org_too_long_is_invalid() {
    assert_eq!(slug_rule(&"a".repeat(33)), SlugRule::TooLong { len: 33 });
    assert!(OrgSlug::parse(&"a".repeat(32)).is_ok());
}

#[test]
fn org_first_char_is_invalid() {
    assert_eq!(slug_rule("1acme"), SlugRule::FirstChar { ch: '1' });
    assert_eq!(slug_rule("-acme"), SlugRule::FirstChar { ch: '-' });
}

#[test]
fn org_trailing_dash_is_invalid() {
    assert_eq!(slug_rule("acme-"), SlugRule::TrailingDash);
}

#[test]
fn org_charset_is_invalid() {
    assert_eq!(slug_rule("ac_me"), SlugRule::Charset { ch: '_', position: 3 });
    assert_eq!(slug_rule("acmé"), SlugRule::Charset { ch: 'é', position: 4 });
}

#[test]
fn org_reserved_words() {
    for s in [
        "system",
        "flux",
        "crossplane",
        "catalyst",
        "gitea",
        "kube-foo",
        "kube-system",
        "fsn",
        "apse",
        "dxb",
        "prod",
        "stg",
        "uat",
        "dev",
        "poc",
        "rtz",
        "dmz",
        "mgt",
        "oci",
        "aws",
        "gcp",
        "hetzner",
        "huawei",
        "azure",
        "contabo",
    ] {
        match OrgSlug::parse(s) {
            Err(NamingError::ReservedOrgSlug { slug, reason }) => {
                assert_eq!(slug, s);
                assert!(!reason.is_empty());
            }
            other => panic!("{s}: expected ReservedOrgSlug, got {other:?}"),
        }
    }
    assert_eq!(
        OrgSlug::parse("kube-foo").unwrap_err().to_string(),
        "organization slug \"kube-foo\" is reserved: slugs starting with \"kube-\" are Kubernetes system namespaces"
    );
    assert_eq!(
        OrgSlug::parse("fsn").unwrap_err().to_string(),
        "organization slug \"fsn\" is reserved: \"fsn\" is a region code (hetzner Falkenstein)"
    );
}

#[test]
fn org_double_dash_is_accepted_with_a_warning() {
    let slug = OrgSlug::parse("acme--corp").unwrap();
    assert_eq!(slug.warnings().len(), 1);
    assert!(OrgSlug::parse("acme-corp").unwrap().warnings().is_empty());
}

#[test]
fn org_region_added_by_configuration_is_reserved() {
    let table = RegionTable::builtin().clone().with_region(Provider::Aws, "use1", 'e', "US East 1").unwrap();
    assert!(OrgSlug::parse("use1").is_ok());
    assert_eq!(OrgSlug::parse_with(&table, "use1").unwrap_err().kind(), "ReservedOrgSlug");
}

#[test]
fn env_dr_is_a_placement() {
    for s in ["dr", "DR", "Dr"] {
        assert_eq!(
            s.parse::<EnvType>().unwrap_err(),
            NamingError::DrIsPlacementNotEnvType { input: s.into() }
        );
    }
}

#[test]
fn env_unknown_and_uppercase() {
    assert_eq!("qa".parse::<EnvType>().unwrap_err(), NamingError::UnknownEnvType { input: "qa".into() });
    assert_eq!("PROD".parse::<EnvType>().unwrap_err().kind(), "UnknownEnvType");
    assert_eq!(
        "qa".parse::<EnvType>().unwrap_err().to_string(),
        "unknown env type \"qa\"; accepted: prod|p, stg|s, uat|u, dev|d, poc|c (lowercase)"
    );
}

#[test]
fn provider_unknown_names_the_accepted_ones() {
    let err = "ibm".parse::<Provider>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown provider \"ibm\"; accepted: hetzner|hz|h, huawei|hw|w, oci|o, aws|a, gcp|g, azure|az|z, contabo|ct|c"
    );
    assert_eq!("Hetzner".parse::<Provider>().unwrap_err().kind(), "UnknownProvider");
}

#[test]
fn region_unknown_for_provider() {
    let err = Region::parse(Provider::Hetzner, "muc").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown region \"muc\" for provider hetzner; accepted: fsn, nbg, hel, ash, hil, sin"
    );
    let err = Region::parse(Provider::Aws, "use1").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown region \"use1\" for provider aws; accepted: none (aws has no region codes configured)"
    );
    // A region of another provider is not accepted either.
    assert_eq!(Region::parse(Provider::Oci, "fsn").unwrap_err().kind(), "UnknownRegion");
}

#[test]
fn region_table_keeps_codes_unambiguous() {
    let t = RegionTable::builtin().clone();
    for (p, code, c1, why) in [
        (Provider::Hetzner, "fsn", 'z', "the provider already has this region code"),
        (Provider::Hetzner, "muc", 'f', "the 1-char code 'f' is already used by region fsn"),
        (Provider::Hetzner, "muc", 'h', "the 1-char code 'h' is the provider's own 1-char code"),
        (Provider::Aws, "u", 'u', "a region code has 2 to 4 characters, not 1"),
        (Provider::Aws, "Use1", 'u', "a region code is a lowercase letter followed by a-z or 0-9"),
    ] {
        match t.clone().with_region(p, code, c1, "x") {
            Err(NamingError::InvalidRegionEntry { reason, .. }) => assert_eq!(reason, why),
            other => panic!("{code}: {other:?}"),
        }
    }
}

#[test]
fn building_block_unknown() {
    assert_eq!(
        "edge".parse::<BuildingBlock>().unwrap_err().to_string(),
        "unknown building block \"edge\"; accepted: rtz|r, dmz|d, mgt|m"
    );
}

#[test]
fn app_name_rules() {
    assert_eq!(AppName::parse("Marketing_Site").unwrap_err().kind(), "InvalidDnsLabel");
    let long = "a".repeat(64);
    assert_eq!(
        AppName::parse(&long).unwrap_err(),
        NamingError::DnsLabelTooLong {
            what: "application name".into(),
            value: long,
            len: 64,
            detail: String::new()
        }
    );
    assert!(AppName::parse(&"a".repeat(63)).is_ok());
    for bad in ["", "-a", "a-", "a.b"] {
        assert_eq!(
            check_dns_label("application name", bad).unwrap_err().kind(),
            "InvalidDnsLabel",
            "{bad:?}"
        );
    }
}

#[test]
fn location_code_rejections() {
    for (input, reason) in [
        ("hfr", "it has 3 characters, not 4"),
        ("hfrpp", "it has 5 characters, not 4"),
        ("xfrp", "'x' is not a provider's 1-char code"),
        ("hxrp", "'x' is not the 1-char code of a hetzner region"),
        ("hfxp", "'x' is not a building block's 1-char code"),
        ("hfrx", "'x' is not an env type's 1-char code"),
    ] {
        assert_eq!(
            Location::from_location_code(input).unwrap_err(),
            NamingError::InvalidLocationCode { input: input.into(), reason: reason.into() }
        );
    }
}

#[test]
fn host_cluster_rejections() {
    assert_eq!(
        Location::from_host_cluster("hz-fsn-rtz").unwrap_err(),
        NamingError::InvalidHostClusterName {
            input: "hz-fsn-rtz".into(),
            reason: "it has 3 dash-separated parts, not 4".into()
        }
    );
    for bad in ["hz-muc-rtz-prod", "ibm-fsn-rtz-prod", "hz-fsn-edge-prod", "hz-fsn-rtz-p", "h-fsn-rtz-prod"] {
        assert_eq!(Location::from_host_cluster(bad).unwrap_err().kind(), "InvalidHostClusterName", "{bad}");
    }
}

#[test]
fn server_name_rejections() {
    for bad in [
        "hzfsnr-k8s-0p",  // index 0
        "hzfsnr-k8s-01p", // leading zero
        "hzfsnr-k8s-p",   // no index
        "hzmucr-k8s-1p",  // unknown region
        "hzfsnx-k8s-1p",  // unknown building block
        "hzfsnr-k8s-1x",  // unknown env type
        "ibmfsnr-k8s-1p", // unknown provider
        "hzfsnr-K8s-1p",  // app not a DNS label
        "hzfsnr1p",       // no dashes
    ] {
        assert_eq!(ServerName::parse(bad).unwrap_err().kind(), "InvalidServerName", "{bad}");
    }
    let l = loc("hz", "fsn", "rtz", "prod");
    assert_eq!(l.server(&AppName::parse("k8s").unwrap(), 0).unwrap_err().kind(), "InvalidIndex");
}

#[test]
fn composed_names_say_which_part_is_too_long() {
    let l = loc("hz", "fsn", "rtz", "prod");
    let app = AppName::parse(&"a".repeat(60)).unwrap();
    let err = l.server(&app, 1).unwrap_err();
    assert_eq!(err.kind(), "DnsLabelTooLong");
    assert!(err.to_string().ends_with("(the application part \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" alone is 60 characters)"), "{err}");

    // 4 labels of 63 characters make a 255-character domain: over the 253 of a DNS name.
    let label = "b".repeat(63);
    let err = Fqdn::sovereign(&[label.as_str(); 4].join(".")).unwrap_err();
    assert_eq!(err.kind(), "DnsNameTooLong");
    // A domain that fits alone overflows once the application and environment are prefixed.
    let tld = "c".repeat(59);
    let domain =
        Fqdn::domain(&[label.as_str(), label.as_str(), label.as_str(), tld.as_str()].join(".")).unwrap();
    assert_eq!(domain.as_str().len(), 251);
    let err = EnvironmentName::parse("acme-prod")
        .unwrap()
        .app_dns(&AppName::parse("blog").unwrap(), &domain)
        .unwrap_err();
    assert_eq!(err.kind(), "DnsNameTooLong");
    assert!(err.to_string().contains("over the 253 a DNS name allows"), "{err}");
}

#[test]
fn sovereign_fqdn_rules() {
    assert_eq!(Fqdn::sovereign("omantel.biz.").unwrap().as_str(), "omantel.biz");
    assert_eq!(Fqdn::sovereign("omantel.biz").unwrap().to_absolute(), "omantel.biz.");
    for (bad, kind) in [
        ("localhost", "InvalidSovereignFqdn"),
        ("Omantel.biz", "InvalidSovereignFqdn"),
        ("omantel..biz", "InvalidSovereignFqdn"),
        ("-x.biz", "InvalidSovereignFqdn"),
        ("", "InvalidSovereignFqdn"),
    ] {
        assert_eq!(Fqdn::sovereign(bad).unwrap_err().kind(), kind, "{bad:?}");
    }
    let long_label = format!("{}.biz", "c".repeat(64));
    let err = Fqdn::sovereign(&long_label).unwrap_err();
    assert_eq!(err.kind(), "DnsNameTooLong");
    assert!(err.to_string().contains("label 1"), "{err}");
}

#[test]
fn blueprint_name_rules() {
    for (bad, reason) in [
        ("bp-", "the name after 'bp-' is empty"),
        ("bp-x", "the name \"x\" has 1 characters; 2 to 63 are allowed"),
        ("BP-cilium", "the name must start with a letter a-z, not 'B'"),
        ("bp-1password", "the name must start with a letter a-z, not '1'"),
        ("bp-cilium-", "it ends with '-'"),
        ("bp-ci_lium", "character '_' at position 3 of \"ci_lium\" is not a-z, 0-9 or '-'"),
    ] {
        assert_eq!(
            BlueprintName::parse(bad).unwrap_err(),
            NamingError::InvalidBlueprintName { value: bad.into(), reason: reason.into() },
            "{bad}"
        );
    }
}

#[test]
fn blueprint_version_rules() {
    for ok in ["1.0.0", "0.4.12", "1.2.3-rc.1", "1.2.3-alpha-2"] {
        assert!(BlueprintVersion::parse(ok).is_ok(), "{ok}");
    }
    for bad in ["1.0", "1.0.0.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0-RC1", "1.0.0+build", "1.x.0"] {
        assert_eq!(BlueprintVersion::parse(bad).unwrap_err().kind(), "InvalidBlueprintVersion", "{bad}");
    }
}

#[test]
fn name_24_reserved_pool_subdomains() {
    assert!(check_pool_subdomain("otech12").is_ok());
    for s in ["console", "API", "K8s", "openbao"] {
        assert_eq!(check_pool_subdomain(s).unwrap_err().kind(), "ReservedPoolSubdomain", "{s}");
    }
}

#[test]
fn long_and_short_codes_give_the_same_location() {
    assert_eq!(loc("hetzner", "fsn", "rtz", "prod"), loc("hz", "fsn", "r", "p"));
    assert_eq!(loc("hetzner", "fsn", "rtz", "prod"), loc("h", "fsn", "rtz", "prod"));
}
