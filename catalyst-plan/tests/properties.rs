//! Properties of the plan over generated Sovereign files.
#![allow(clippy::unwrap_used, clippy::format_push_string)]

use catalyst_plan::plan::{Inputs, plan};
use catalyst_plan::spec::SovereignFile;
use proptest::prelude::*;

fn inputs() -> Inputs {
    Inputs {
        catalog: vec![(
            "db/blueprint.yaml".into(),
            "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-db}\nspec: {version: 1.0.0, visibility: listed, card: {title: DB}}\n".into(),
        )],
        bootstrap_kit: vec![(
            "01-cilium.yaml".into(),
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: bp-cilium, namespace: flux-system}\nspec: {}\n".into(),
        )],
    }
}

/// (slug, [(env type, regions)]).
type Org = (String, Vec<(String, Vec<String>)>);
type Orgs = [Org];

fn sovereign(orgs: &Orgs) -> String {
    let mut y = String::from(
        "sovereign: {fqdn: t1.example.test, provider: hetzner}\nregions:\n  - {region: fsn, primary: true, buildingBlocks: [rtz, mgt], lbIps: [127.0.0.2]}\n  - {region: hel, buildingBlocks: [rtz], lbIps: [127.0.0.3]}\norganizations:\n",
    );
    if orgs.is_empty() {
        y.push_str("  []\n");
    }
    for (slug, envs) in orgs {
        y.push_str(&format!("  - slug: {slug:?}\n    owners: [{{email: a@b.example}}]\n    environments:\n"));
        if envs.is_empty() {
            y.push_str("      []\n");
        }
        for (t, regions) in envs {
            y.push_str(&format!("      - {{envType: {t:?}, regions: {regions:?}}}\n"));
        }
        y.push_str("    applications: [{name: db, blueprint: bp-db}]\n");
    }
    y
}

fn env_type() -> impl Strategy<Value = String> {
    prop_oneof![Just("prod".to_owned()), Just("stg".to_owned()), Just("dev".to_owned()), "[a-z]{1,5}"]
}

fn region() -> impl Strategy<Value = String> {
    prop_oneof![Just("fsn".to_owned()), Just("hel".to_owned()), "[a-z]{3}"]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any generated Sovereign plans without panicking, deterministically, and every problem
    /// points into the file.
    #[test]
    fn plans_are_total_and_deterministic(
        orgs in prop::collection::vec(("[a-zA-Z0-9-]{1,12}", prop::collection::vec((env_type(), prop::collection::vec(region(), 0..3)), 0..3)), 0..4)
    ) {
        let file = SovereignFile::parse(&sovereign(&orgs)).unwrap();
        let p = plan(&file, &inputs());
        prop_assert_eq!(&p, &plan(&file, &inputs()));
        for problem in &p.problems {
            prop_assert!(
                ["organizations[", "regions", "sovereign", "resources["].iter().any(|s| problem.path.as_str().starts_with(s)),
                "{}", problem
            );
        }
    }

    /// Well-formed Organizations with known regions plan cleanly: one Sovereign, one
    /// Organization per org and one Environment per distinct env type.
    #[test]
    fn well_formed_sovereigns_have_no_problems(
        n in 1usize..4,
        types in prop::sample::subsequence(vec!["prod", "stg", "uat", "dev", "poc"], 1..5),
        two_regions in any::<bool>(),
    ) {
        let regions: Vec<String> = if two_regions { vec!["fsn".into(), "hel".into()] } else { vec!["fsn".into()] };
        let orgs: Vec<Org> = (0..n)
            .map(|i| (format!("tenant{i}"), types.iter().map(|t| ((*t).to_owned(), regions.clone())).collect()))
            .collect();
        let p = plan(&SovereignFile::parse(&sovereign(&orgs)).unwrap(), &inputs());
        prop_assert!(p.problems.is_empty(), "{:?}", p.problems);
        prop_assert_eq!(p.resources.len(), 1 + n + n * types.len());
        prop_assert_eq!(p.gitea.len(), n * types.len() * regions.len());
        prop_assert_eq!(p.applications.len(), n);
    }
}
