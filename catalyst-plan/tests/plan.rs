//! The example Sovereign's plan (snapshot, determinism) and a broken Sovereign's problems.
#![allow(clippy::unwrap_used)]

use catalyst_plan::plan::{Code, Stage, plan};
use catalyst_plan::spec::SovereignFile;
use catalyst_plan::{embedded_inputs, example};

#[test]
fn the_example_plans_without_problems_and_is_stable() {
    let (file, inputs) = example();
    let p = plan(&file, &inputs);
    assert!(p.problems.is_empty(), "{:#?}", p.problems);
    let s = &p.summary;
    assert_eq!((s.organizations, s.environments, s.applications, s.host_clusters), (2, 5, 4, 5));
    assert_eq!(s.bootstrap_releases, 35);
    // Deterministic: the same input gives the same bytes.
    let again = plan(&example().0, &embedded_inputs());
    assert_eq!(serde_json::to_string(&p).unwrap(), serde_json::to_string(&again).unwrap());
    insta::assert_json_snapshot!("example_plan", p);
}

#[test]
fn the_example_uses_every_stage() {
    let (file, inputs) = example();
    let p = plan(&file, &inputs);
    // Multi-region Environments get an active-active lua record; single-region plain A.
    let records: Vec<_> = p.dns.iter().flat_map(|z| &z.records).collect();
    let chat_prod = records.iter().find(|r| r.name == "chat.acme-prod.omantel.biz.").unwrap();
    assert_eq!(chat_prod.rtype, "LUA");
    assert_eq!(
        chat_prod.contents,
        [
            "A \"ifurlup('https://chat.acme-prod.omantel.biz/healthz', {'127.0.10.1', '127.0.10.2', '127.0.20.1'}, {selector='all'})\""
        ]
    );
    let chat_stg = records.iter().find(|r| r.name == "chat.acme-stg.omantel.biz.").unwrap();
    assert_eq!((chat_stg.rtype.as_str(), chat_stg.contents.len()), ("A", 2));
    // The Sovereign's canonical records (DNS-11/12) are in its zone.
    assert!(records.iter().any(|r| r.name == "console.omantel.biz." && r.contents == ["127.0.10.1"]));
    // Gitea files are the environment-controller's, pointing at the control plane's Gitea.
    assert!(p.gitea.iter().all(|f| f.content.contains("url: https://gitea.hfmp.omantel.biz/")));
    assert_eq!(p.gitea.len(), 6);
    // The install plan puts dependencies first.
    let chat = p.applications.iter().find(|a| a.application == "chat").unwrap();
    assert_eq!(chat.install_order.last().unwrap().name, "bp-librechat");
    // Every resource is one of the kinds the platform holds.
    let kinds: std::collections::BTreeSet<&str> =
        p.resources.iter().map(catalyst_plan::plan::Resource::kind).collect();
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["Environment", "Organization", "Sovereign"]);
}

const BROKEN: &str = r"
sovereign: {fqdn: omantel.biz, provider: hetzner}
regions:
  - {region: fsn, buildingBlocks: [rtz], lbIps: [127.0.10.1]}
organizations:
  - slug: System
    owners: [{email: a@b.example}]
  - slug: acme
    owners: [{email: a@b.example}]
    environments:
      - {envType: prod, regions: [fsn, ams]}
    applications:
      - {name: chat, blueprint: bp-librechat@^9}
      - {name: wiki, blueprint: bp-nonexistent}
";

#[test]
fn a_broken_sovereign_lists_each_problem_with_its_path() {
    let file = SovereignFile::parse(BROKEN).unwrap();
    let p = plan(&file, &embedded_inputs());
    let shown: Vec<String> = p.problems.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 4, "{shown:#?}");
    assert!(shown[0].starts_with("organizations[0].slug: "), "{shown:#?}");
    assert!(shown[0].ends_with("[InvalidName]"), "{shown:#?}");
    assert_eq!(p.problems[0].code.stage(), Stage::Naming);
    assert_eq!(
        shown[1],
        "organizations[1].environments[0].regions[1]: unknown region \"ams\": the Sovereign has fsn [UnknownRegion]"
    );
    assert!(
        shown[2].starts_with("organizations[1].applications[0].blueprint: bp-librechat@^9: "),
        "{shown:#?}"
    );
    assert_eq!(p.problems[2].code.stage(), Stage::Applications);
    assert_eq!(p.problems[2].code, Code::Unsatisfiable);
    assert_eq!(p.problems[1].code, Code::UnknownRegion);
    assert!(
        shown[3].starts_with("organizations[1].applications[1].blueprint: bp-nonexistent: "),
        "{shown:#?}"
    );
    // What could be planned still is: acme's names, without the Environment in error.
    assert_eq!(p.names.organizations.len(), 1);
    assert!(p.resources.iter().all(|r| r.kind() != "Environment"));
    assert_eq!(p.summary.problems, 4);
}

#[test]
fn file_errors_name_the_field() {
    let err =
        SovereignFile::parse("sovereign: {fqdn: a.example, provider: hetzner, colour: blue}\nregions: []\n")
            .unwrap_err();
    assert_eq!(err.path.as_str(), "sovereign.colour");
    assert_eq!(err.code, Code::InvalidFile);
    assert!(err.message.starts_with("unknown field `colour`"), "{err}");
    let err = SovereignFile::parse("sovereign: {fqdn: a.example, provider: hetzner}\nregions: [{region: fsn, buildingBlocks: [rtz], lbIps: [not-an-ip]}]\n").unwrap_err();
    assert_eq!(err.path.as_str(), "regions[0].lbIps[0]");
    let err = SovereignFile::parse(": : :").unwrap_err();
    assert!(err.message.starts_with("not valid YAML"), "{err}");
}

#[test]
fn the_schema_describes_the_file() {
    let schema = SovereignFile::schema();
    let props = schema["properties"].as_object().unwrap();
    for key in ["sovereign", "regions", "organizations", "catalog", "bootstrapKit"] {
        assert!(props.contains_key(key), "{key}");
    }
    assert_eq!(schema["required"], serde_json::json!(["sovereign", "regions"]));
}

/// Issue 18: Applications resolve against the bootstrap kit as an installed set: kit
/// components are provided by the Sovereign, not installed again, and a kit version outside an
/// Application's constraint is a problem naming the kit file and the Blueprint file.
#[test]
fn the_bootstrap_kit_is_installed_for_every_application() {
    let (file, inputs) = example();
    let p = plan(&file, &inputs);
    let registry = p.applications.iter().find(|a| a.application == "registry").unwrap();
    let provided: Vec<(&str, Option<&str>)> =
        registry.install_order.iter().map(|s| (s.name.as_str(), s.provided_by.as_deref())).collect();
    assert_eq!(
        provided,
        [
            ("bp-cert-manager", Some("the Sovereign (bootstrap kit, 02-cert-manager.yaml)")),
            ("bp-flux", Some("the Sovereign (bootstrap kit, 03-flux.yaml)")),
            ("bp-cnpg", Some("the Sovereign (bootstrap kit, 16-cnpg.yaml)")),
            ("bp-seaweedfs", Some("the Sovereign (bootstrap kit, 18-seaweedfs.yaml)")),
            ("bp-harbor", Some("the Sovereign (bootstrap kit, 19-harbor.yaml)")),
        ]
    );
    // The kit installs bp-seaweedfs 1.0.1, a version newer than the catalog's blueprint.yaml.
    assert_eq!(registry.install_order[3].version, "1.0.1");
    let chat = p.applications.iter().find(|a| a.application == "chat").unwrap();
    let new: Vec<&str> =
        chat.install_order.iter().filter(|s| s.provided_by.is_none()).map(|s| s.name.as_str()).collect();
    assert_eq!(new, ["bp-bge", "bp-knative", "bp-kserve", "bp-llm-gateway", "bp-vllm", "bp-librechat"]);
    assert_eq!(p.summary.kit_provided, 9);

    // A catalog Blueprint that needs a keycloak the kit does not have.
    let mut inputs = embedded_inputs();
    inputs.catalog.push((
        "catalog/portal/blueprint.yaml".into(),
        "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-portal}\n\
         spec: {version: 1.0.0, visibility: listed, card: {title: Portal}, depends: [{blueprint: bp-keycloak, version: ^2}]}\n"
            .into(),
    ));
    let file = SovereignFile::parse(
        "sovereign: {fqdn: omantel.biz, provider: hetzner}\nregions:\n  - {region: fsn, buildingBlocks: [rtz], lbIps: [127.0.10.1]}\n\
         organizations:\n  - slug: acme\n    owners: [{email: a@b.example}]\n    environments: [{envType: prod, regions: [fsn]}]\n\
         \x20   applications: [{name: portal, blueprint: bp-portal}]\n",
    )
    .unwrap();
    let p = plan(&file, &inputs);
    let shown: Vec<String> = p.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "organizations[0].applications[0].blueprint: bp-portal: bp-keycloak 1.1.2 is installed, provided by the Sovereign (bootstrap kit, 09-keycloak.yaml), but bp-portal 1.0.0 (catalog/portal/blueprint.yaml, spec.depends[0]) needs bp-keycloak ^2; allow the upgrade or change the constraint [Unsatisfiable]"
        ]
    );
}
