//! SPEC CTRL-3: what the application-controller writes for an Application, against the
//! platform's test vectors (parents, validation messages, placement, the files per region, the
//! host Flux objects and the Continuum), every rendered object checked against the real Flux
//! CRD schemas.

#![allow(clippy::unwrap_used, clippy::needless_pass_by_value)]

use catalyst_core::apps::{ApplicationPlan, AppsConfig, Posture, Problem, plan_application, plan_regions};
use catalyst_core::crd::ApplicationPhase;
use catalyst_core::schema::{FieldPath, check};
use serde_json::{Value, json};

fn config() -> AppsConfig {
    AppsConfig {
        gitea_public_url: "https://gitea.test.openova.io".into(),
        gitea_in_cluster_url: "http://gitea.test.svc.cluster.local:3000".into(),
        flux_secret_ref: "openova-org-tenants-git-auth".into(),
        ..AppsConfig::default()
    }
}

fn app(name: &str, placement: Value, regions: &[&str], parameters: Value) -> Value {
    json!({
        "apiVersion": "apps.openova.io/v1", "kind": "Application",
        "metadata": {"name": name, "namespace": "acme", "uid": format!("uid-{name}"), "generation": 1},
        "spec": {"environmentRef": "acme-prod", "blueprintRef": {"name": "bp-wordpress", "version": "1.2.3"},
                 "placement": placement, "regions": regions, "parameters": parameters},
    })
}

fn env(env_type: &str) -> Value {
    json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Environment", "metadata": {"name": "acme-prod"},
           "spec": {"organizationRef": "acme", "envType": env_type}})
}

fn org() -> Value {
    json!({"apiVersion": "orgs.openova.io/v1", "kind": "Organization", "metadata": {"name": "acme"}})
}

fn blueprint() -> Value {
    json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Blueprint", "metadata": {"name": "bp-wordpress"},
           "spec": {"manifests": {"chart": "./chart"},
                    "placementSchema": {"modes": ["single-region", "active-active", "active-hotstandby"], "default": "single-region"},
                    "configSchema": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}})
}

fn plan(app: &Value) -> Result<ApplicationPlan, Problem> {
    plan_application(app, Some(&env("prod")), Some(&org()), Some(&blueprint()), &config())
}

fn file<'a>(p: &'a ApplicationPlan, path: &str) -> &'a str {
    &p.files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("no {path}")).content
}

fn problem(p: Result<ApplicationPlan, Problem>) -> (ApplicationPhase, &'static str, String) {
    let e = p.unwrap_err();
    (e.phase, e.reason, e.message)
}

#[test]
fn a_single_region_application_is_two_files_and_host_flux_objects() {
    let p = plan(&app("site", json!("single-region"), &["hetzner-fsn-rtz-prod"], json!({"replicas": 2})))
        .unwrap();
    assert_eq!((p.org.as_str(), p.repo.as_str(), p.branch.as_str()), ("acme", "site", "main"));
    assert_eq!(p.primary_region.as_deref(), Some("hetzner-fsn-rtz-prod"));
    assert_eq!(p.gitea_repo, "https://gitea.test.openova.io/acme/site");
    let paths: Vec<&str> = p.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "clusters/hetzner-fsn-rtz-prod/applications/site/kustomization.yaml",
            "clusters/hetzner-fsn-rtz-prod/applications/site/helmrelease.yaml"
        ]
    );
    let hr = file(&p, paths[1]);
    for line in [
        "kind: HelmRelease\n",
        "  name: site\n  namespace: acme\n",
        "    catalyst.openova.io/placement-role: primary\n",
        "    catalyst.openova.io/application-uid: \"uid-site\"\n",
        "    catalyst.openova.io/application-generation: \"1\"\n",
        "  releaseName: site\n  targetNamespace: acme\n",
        "      chart: \"./chart\"\n      version: \"1.2.3\"\n",
        "        kind: HelmRepository\n        name: openova-catalog\n        namespace: flux-system\n",
        "    createNamespace: true\n",
        "  values:\n    replicas: 2\n",
    ] {
        assert!(hr.contains(line), "{line:?} not in\n{hr}");
    }
    assert!(hr.ends_with("replicas: 2\n") && !hr.ends_with("\n\n"));
    assert_eq!(
        p.commit_message("hetzner-fsn-rtz-prod"),
        "application-controller: reconcile site on hetzner-fsn-rtz-prod (gen 1)"
    );
    let kinds: Vec<(&str, &str)> = p
        .objects
        .iter()
        .map(|o| (o["kind"].as_str().unwrap(), o["metadata"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("GitRepository", "catalyst-app-acme-site"),
            ("Kustomization", "catalyst-app-acme-site-hetzner-fsn-rtz-prod")
        ]
    );
    let git = &p.objects[0];
    assert_eq!(git["spec"]["url"], "http://gitea.test.svc.cluster.local:3000/acme/site.git");
    assert_eq!(git["spec"]["ref"]["branch"], "main");
    assert_eq!(git["spec"]["secretRef"]["name"], "openova-org-tenants-git-auth");
    assert_eq!(git["metadata"]["labels"]["catalyst.openova.io/app-namespace"], "acme");
    let ks = &p.objects[1];
    assert_eq!(ks["spec"]["path"], "./clusters/hetzner-fsn-rtz-prod/applications/site");
    assert_eq!(
        (ks["spec"]["prune"].as_bool(), ks["spec"]["targetNamespace"].as_str()),
        (Some(true), Some("acme"))
    );
}

#[test]
fn active_active_is_sorted_and_identical_but_for_the_region() {
    let p = plan(&app(
        "api",
        json!("active-active"),
        &["hetzner-nbg-rtz-prod", "hetzner-fsn-rtz-prod"],
        json!({}),
    ))
    .unwrap();
    assert_eq!(p.primary_region, None);
    let fsn = file(&p, "clusters/hetzner-fsn-rtz-prod/applications/api/helmrelease.yaml");
    let nbg = file(&p, "clusters/hetzner-nbg-rtz-prod/applications/api/helmrelease.yaml");
    assert_eq!(fsn.replace("hetzner-fsn-rtz-prod", "X"), nbg.replace("hetzner-nbg-rtz-prod", "X"));
    assert!(fsn.contains("placement-role: active\n") && fsn.contains("  values:\n    {}\n"));
    assert!(p.files[0].path.starts_with("clusters/hetzner-fsn"), "sorted");
    assert_eq!(p.objects.len(), 3, "one GitRepository, two Kustomizations, no Continuum");
}

#[test]
fn active_hot_standby_standbys_have_zero_replicas_and_a_continuum() {
    let p = plan(&app(
        "db",
        json!("active-hotstandby"),
        &["hetzner-fsn-rtz-prod", "hetzner-nbg-rtz-prod"],
        json!({"replicas": 3}),
    ))
    .unwrap();
    let fsn = file(&p, "clusters/hetzner-fsn-rtz-prod/applications/db/helmrelease.yaml");
    let nbg = file(&p, "clusters/hetzner-nbg-rtz-prod/applications/db/helmrelease.yaml");
    assert!(fsn.contains("    replicas: 3\n") && !fsn.contains("replicas: 0"), "{fsn}");
    assert!(nbg.contains("    _openova_standby: true\n    replicas: 0\n"), "{nbg}");
    assert!(nbg.contains("# Region: hetzner-nbg-rtz-prod (role=standby, standby)\n"));
    let dr = p.objects.iter().find(|o| o["kind"] == "Continuum").unwrap();
    assert_eq!(dr["metadata"]["name"], "dr-db");
    assert_eq!(dr["spec"]["primaryRegion"], "hetzner-fsn-rtz-prod");
    assert_eq!(dr["spec"]["hotStandbyRegions"], json!(["hetzner-nbg-rtz-prod"]));
    // The Continuum this writes is one the SDK's own rules accept.
    let report = catalyst_core::validate::validate_document(dr);
    assert!(report.is_valid(), "{:?}", report.errors().map(ToString::to_string).collect::<Vec<_>>());
}

#[test]
fn missing_parents_are_pending_with_the_platforms_messages() {
    let a = app("site", json!("single-region"), &["hetzner-fsn-rtz-prod"], json!({}));
    let (e, o, b, c) = (env("prod"), org(), blueprint(), config());
    assert_eq!(
        problem(plan_application(&a, None, Some(&o), Some(&b), &c)),
        (ApplicationPhase::Pending, "EnvironmentMissing", "Environment \"acme-prod\" not found".into())
    );
    assert_eq!(
        problem(plan_application(&a, Some(&e), None, Some(&b), &c)),
        (
            ApplicationPhase::Pending,
            "OrganizationMissing",
            "Organization \"acme\" (referenced by Environment \"acme-prod\") not found".into()
        )
    );
    assert_eq!(
        problem(plan_application(&a, Some(&e), Some(&o), None, &c)),
        (ApplicationPhase::Pending, "BlueprintMissing", "Blueprint \"bp-wordpress\" not found".into())
    );
}

#[test]
fn each_validation_error_is_failed_invalid_with_its_message() {
    let base = app("site", json!("single-region"), &["hetzner-fsn-rtz-prod"], json!({}));
    let with = |patch: &dyn Fn(&mut Value)| {
        let mut a = base.clone();
        patch(&mut a);
        let (phase, reason, message) = problem(plan(&a));
        assert_eq!((phase, reason), (ApplicationPhase::Failed, "Invalid"), "{message}");
        message
    };
    assert_eq!(with(&|a| a["spec"]["environmentRef"] = json!(null)), "spec.environmentRef is required");
    assert_eq!(
        with(&|a| a["spec"]["blueprintRef"]["name"] = json!("")),
        "spec.blueprintRef.name is required"
    );
    assert_eq!(
        with(&|a| a["spec"]["blueprintRef"]["version"] = json!(null)),
        "spec.blueprintRef.version is required"
    );
    assert_eq!(
        with(&|a| a["spec"]["regions"] = json!([])),
        "spec.regions[] is required and must be non-empty"
    );
    assert_eq!(
        with(&|a| a["spec"]["blueprintRef"]["version"] = json!("^1.2")),
        "blueprintRef.version \"^1.2\" is not an exact MAJOR.MINOR.PATCH semver"
    );
    assert_eq!(
        with(&|a| a["spec"]["placement"] = json!("active-passive")),
        "placement \"active-passive\" not in Blueprint \"bp-wordpress\" allowed modes [single-region active-active active-hotstandby]"
    );
    assert_eq!(
        with(&|a| a["spec"]["regions"] = json!(["hetzner-fsn-rtz-prod", "hetzner-nbg-rtz-prod"])),
        "placement: singleton requires exactly 1 entry in regions[], got 2"
    );
    let m = with(&|a| a["spec"]["parameters"] = json!({"replicas": "three"}));
    assert!(
        m.starts_with("parameters do not match Blueprint configSchema: ") && m.contains("/replicas"),
        "{m}"
    );
    assert_eq!(
        with(&|a| a["spec"]["placement"] = json!({"vcluster": "edge"})),
        "spec.placement.vcluster \"edge\" not in {host, mgmt, dmz, rtz}"
    );
    assert_eq!(
        with(&|a| a["spec"]["regions"] = json!(["hetzner-fsn-rtz-prod", "hetzner-fsn-rtz-prod"])),
        "spec.regions[] lists \"hetzner-fsn-rtz-prod\" twice"
    );
    assert_eq!(
        with(&|a| a["spec"]["placement"] = json!({"regions": ["a1", "a2", "a3", "a4", "a5", "a6"]})),
        "spec.regions[] has 6 entries; at most 5"
    );
    assert_eq!(with(&|a| a["spec"]["regions"] = json!([7])), "spec.regions[] entry is not a string: float64");
    assert_eq!(
        with(&|a| a["metadata"]["name"] = json!("a".repeat(54))),
        format!(
            "metadata.name {:?} is longer than 53 characters (Helm's release name limit)",
            "a".repeat(54)
        )
    );
    // A region name that is not a DNS label would be a path and a label value.
    assert!(
        with(&|a| a["spec"]["regions"] = json!(["../etc"]))
            .starts_with("region \"../etc\" is not a DNS label")
    );
}

#[test]
fn the_env_type_picks_the_branch_and_the_application_namespace_is_kept() {
    let mut a = app("qa-wp", json!("single-region"), &["hetzner-fsn-rtz-prod"], json!({}));
    a["metadata"]["namespace"] = json!("qa-omantel");
    let p = plan_application(&a, Some(&env("dev")), Some(&org()), Some(&blueprint()), &config()).unwrap();
    assert_eq!(p.branch, "develop");
    let hr = file(&p, "clusters/hetzner-fsn-rtz-prod/applications/qa-wp/helmrelease.yaml");
    assert!(hr.contains("  namespace: qa-omantel\n") && hr.contains("targetNamespace: qa-omantel\n"));
}

#[test]
fn a_vcluster_placement_targets_its_host_namespace_and_kubeconfig() {
    let mut bp = blueprint();
    bp["spec"]["placementSchema"]["vcluster"] = json!("mgmt");
    let a = app("site", json!("single-region"), &["hetzner-fsn-rtz-prod"], json!({}));
    let p = plan_application(&a, Some(&env("prod")), Some(&org()), Some(&bp), &config()).unwrap();
    let hr = file(&p, "clusters/hetzner-fsn-rtz-prod/applications/site/helmrelease.yaml");
    for line in [
        "  namespace: mgmt\n",
        "    catalyst.openova.io/vcluster: mgmt\n",
        "      name: vc-mgmt\n      key: config\n",
        "targetNamespace: acme\n",
    ] {
        assert!(hr.contains(line), "{line:?} not in\n{hr}");
    }
    bp["spec"]["allowedPlacements"] = json!(["host", "rtz"]);
    assert_eq!(
        problem(plan_application(&a, Some(&env("prod")), Some(&org()), Some(&bp), &config())).2,
        "placement vcluster \"mgmt\" not in Blueprint \"bp-wordpress\" allowedPlacements [host rtz]"
    );
}

#[test]
fn an_empty_flux_secret_for_gitea_is_degraded() {
    let a = app("site", json!("single-region"), &["hetzner-fsn-rtz-prod"], json!({}));
    let c = AppsConfig { flux_secret_ref: String::new(), ..config() };
    let (phase, _, message) =
        problem(plan_application(&a, Some(&env("prod")), Some(&org()), Some(&blueprint()), &c));
    assert_eq!(phase, ApplicationPhase::Degraded);
    assert!(message.contains("secretRef is empty"), "{message}");
}

#[test]
fn hostile_values_cannot_add_keys_to_the_manifest() {
    let a = app(
        "site",
        json!("single-region"),
        &["hetzner-fsn-rtz-prod"],
        json!({"replicas": 1, "note": "x\nspec:\n  suspend: true", "k: v": "true"}),
    );
    let mut bp = blueprint();
    bp["spec"]["manifests"]["chart"] = json!("evil\n  suspend: true");
    let p = plan_application(&a, Some(&env("prod")), Some(&org()), Some(&bp), &config()).unwrap();
    let hr = file(&p, "clusters/hetzner-fsn-rtz-prod/applications/site/helmrelease.yaml");
    let doc: Value = serde_saphyr::from_str(hr).unwrap();
    assert_eq!(doc["spec"]["chart"]["spec"]["chart"], "evil\n  suspend: true");
    assert!(doc["spec"].get("suspend").is_none());
    assert_eq!(doc["spec"]["values"]["note"], "x\nspec:\n  suspend: true");
    assert_eq!(doc["spec"]["values"]["k: v"], "true");
}

#[test]
fn every_rendered_object_validates_against_the_flux_crds() {
    let hr_schema = catalyst_testkit::upstream_crd_schema("helm.toolkit.fluxcd.io_helmreleases.yaml", "v2");
    let git_schema =
        catalyst_testkit::upstream_crd_schema("source.toolkit.fluxcd.io_gitrepositories.yaml", "v1");
    let ks_schema =
        catalyst_testkit::upstream_crd_schema("kustomize.toolkit.fluxcd.io_kustomizations.yaml", "v1");
    let mut bp = blueprint();
    bp["spec"]["placementSchema"]["vcluster"] = json!("rtz");
    for (placement, regions) in [
        ("single-region", vec!["hetzner-fsn-rtz-prod"]),
        ("active-active", vec!["hetzner-fsn-rtz-prod", "hetzner-nbg-rtz-prod"]),
        ("active-hotstandby", vec!["hetzner-fsn-rtz-prod", "hetzner-nbg-rtz-prod"]),
    ] {
        for blueprint in [blueprint(), bp.clone()] {
            let a = app(
                "site",
                json!(placement),
                &regions,
                json!({"replicas": 2, "nested": {"list": [1, "two"]}}),
            );
            let p =
                plan_application(&a, Some(&env("prod")), Some(&org()), Some(&blueprint), &config()).unwrap();
            for f in p.files.iter().filter(|f| f.path.ends_with("helmrelease.yaml")) {
                let doc: Value = serde_saphyr::from_str(&f.content).unwrap();
                assert_eq!(errors(&hr_schema, &doc), Vec::<String>::new(), "{}", f.content);
            }
            for o in &p.objects {
                let schema = match o["kind"].as_str().unwrap() {
                    "GitRepository" => &git_schema,
                    "Kustomization" => &ks_schema,
                    _ => continue,
                };
                assert_eq!(errors(schema, o), Vec::<String>::new(), "{o}");
            }
        }
    }
}

fn errors(schema: &Value, obj: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(schema, obj, &FieldPath::root(), &mut out);
    out.iter().filter(|d| d.is_error()).map(ToString::to_string).collect()
}

#[test]
fn postures_fold_and_default_as_the_platform() {
    for (raw, canonical) in [
        ("single-region", "singleton"),
        ("single_region", "singleton"),
        ("active_active", "active-active"),
        ("active-hotstandby", "active-hot-standby"),
        ("ACTIVE_HOT_STANDBY", "active-hot-standby"),
        ("active_passive", "active-passive"),
        ("  Mesh ", "mesh"),
    ] {
        assert_eq!(Posture::canonicalize(raw), canonical);
    }
    assert_eq!(
        Posture::effective_default("active-hotstandby", "single-region", "active-active"),
        "active-active"
    );
    assert_eq!(Posture::effective_default("single-region", "single-region", "active-active"), "singleton");
    assert_eq!(Posture::effective_default("", "", ""), "singleton");
    assert_eq!(plan_regions("singleton", &[]).unwrap_err(), "placement: regions[] is empty");
    assert_eq!(
        plan_regions("Mesh", &["a".into()]).unwrap_err(),
        "placement: unknown mode \"Mesh\" (expected one of: singleton, active-active, active-hot-standby, active-passive)"
    );
}

fn leaf() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
        "[ -~\\n\\t]{0,24}".prop_map(Value::from),
        Just(Value::Null),
    ]
}

fn values() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let tree = leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[ -~]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    proptest::collection::btree_map("[ -~]{1,12}", tree, 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

proptest::proptest! {
    /// Whatever the parameters hold, the rendered HelmRelease parses, its spec has exactly the
    /// keys the template writes, and its values are the parameters (text cannot become keys).
    #[test]
    fn any_parameters_render_to_exactly_their_values(params in values()) {
        let a = app("site", json!("single-region"), &["hetzner-fsn-rtz-prod"], params.clone());
        let b = json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Blueprint", "metadata": {"name": "bp-wordpress"}, "spec": {}});
        let p = plan_application(&a, Some(&env("prod")), Some(&org()), Some(&b), &config()).unwrap();
        let hr = file(&p, "clusters/hetzner-fsn-rtz-prod/applications/site/helmrelease.yaml");
        let doc: Value = serde_saphyr::from_str(hr).unwrap();
        let mut keys: Vec<&String> = doc["spec"].as_object().unwrap().keys().collect();
        keys.sort();
        proptest::prop_assert_eq!(keys, ["chart", "install", "interval", "releaseName", "targetNamespace", "upgrade", "values"]);
        proptest::prop_assert_eq!(&doc["spec"]["values"], &params);
    }
}

fn catalog_bp(name: &str, version: &str, depends: Value, manifests: Value) -> Value {
    json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Blueprint", "metadata": {"name": name},
           "spec": {"version": version, "card": {"title": name}, "visibility": "listed", "depends": depends, "manifests": manifests}})
}

/// Beyond the platform (`--install-dependencies`): missing dependencies become their own
/// HelmReleases, in install order, and the Application's release waits for them.
#[test]
fn dependencies_are_installed_in_order_with_depends_on() {
    use catalyst_core::apps::{dependency_context, plan_application_with_dependencies};
    let bps = vec![
        catalog_bp(
            "bp-wordpress",
            "1.2.3",
            json!([{"blueprint": "bp-mysql", "version": "^8.0"}, {"blueprint": "bp-redis", "version": "^7"}]),
            json!({"chart": "./chart"}),
        ),
        catalog_bp(
            "bp-mysql",
            "8.0.3",
            json!([{"blueprint": "bp-redis", "version": "^7"}]),
            json!({"chart": "./chart", "values": {"storage": "10Gi"}}),
        ),
        catalog_bp("bp-redis", "7.2.0", json!([]), json!({})),
    ];
    let a = app("blog", json!("single-region"), &["hetzner-fsn-rtz-prod"], json!({}));
    let (catalog, options, warnings) = dependency_context(&bps, &[]);
    assert!(warnings.is_empty(), "{warnings:?}");
    let p = plan_application_with_dependencies(
        &a,
        (Some(&env("prod")), Some(&org()), Some(&blueprint())),
        &config(),
        &catalog,
        &options,
    )
    .unwrap();
    let dir = "clusters/hetzner-fsn-rtz-prod/applications/blog";
    let paths: Vec<&str> = p.files.iter().map(|f| f.path.trim_start_matches(dir)).collect();
    assert_eq!(
        paths,
        [
            "/kustomization.yaml",
            "/helmrelease-blog-redis.yaml",
            "/helmrelease-blog-mysql.yaml",
            "/helmrelease.yaml"
        ]
    );
    let ks = file(&p, &format!("{dir}/kustomization.yaml"));
    assert!(ks.ends_with("resources:\n  - helmrelease-blog-redis.yaml\n  - helmrelease-blog-mysql.yaml\n  - helmrelease.yaml\n"), "{ks}");
    let mysql = file(&p, &format!("{dir}/helmrelease-blog-mysql.yaml"));
    assert!(
        mysql.contains("  name: blog-mysql\n") && mysql.contains("  dependsOn:\n    - name: blog-redis\n"),
        "{mysql}"
    );
    assert!(mysql.contains("      version: \"8.0.3\"\n") && mysql.contains("    storage: 10Gi\n"), "{mysql}");
    let main = file(&p, &format!("{dir}/helmrelease.yaml"));
    assert!(main.contains("  dependsOn:\n    - name: blog-mysql\n    - name: blog-redis\n"), "{main}");
    let schema = catalyst_testkit::upstream_crd_schema("helm.toolkit.fluxcd.io_helmreleases.yaml", "v2");
    for f in p.files.iter().filter(|f| f.path.contains("/helmrelease")) {
        let doc: Value = serde_saphyr::from_str(&f.content).unwrap();
        assert_eq!(errors(&schema, &doc), Vec::<String>::new(), "{}", f.content);
    }
    // An installed dependency (another Application runs bp-redis 7.2.0) is reused, not rendered.
    let other = json!({"spec": {"blueprintRef": {"name": "bp-redis", "version": "7.2.0"}}});
    let (catalog, options, _) = dependency_context(&bps, &[other]);
    let p = plan_application_with_dependencies(
        &a,
        (Some(&env("prod")), Some(&org()), Some(&blueprint())),
        &config(),
        &catalog,
        &options,
    )
    .unwrap();
    assert_eq!(p.files.len(), 3);
    assert!(
        file(&p, &format!("{dir}/helmrelease.yaml"))
            .contains("  dependsOn:\n    - name: blog-mysql\n  chart:")
    );
    // A dependency that cannot be satisfied is the solver's explanation.
    let (catalog, options, _) = dependency_context(&bps[..2], &[]);
    let e = plan_application_with_dependencies(
        &a,
        (Some(&env("prod")), Some(&org()), Some(&blueprint())),
        &config(),
        &catalog,
        &options,
    )
    .unwrap_err();
    assert_eq!((e.phase, e.reason), (ApplicationPhase::Failed, "Invalid"));
    assert!(
        e.message.starts_with("resolving dependencies: ") && e.message.contains("bp-redis"),
        "{}",
        e.message
    );
}
