//! The organization-controller's render (SPEC CTRL-1): the platform's plan-`m` quota byte for
//! byte, the plan arithmetic, the file set, the index merge, and every object against the real
//! schemas.

#![allow(clippy::unwrap_used, clippy::needless_pass_by_value)]

use catalyst_core::crd::{
    BillingMode, Commerce, GrowCeiling, Organization, OrganizationKind, OrganizationSpec, OrganizationTier,
    Owner, OwnerRole, PlanSlug,
};
use catalyst_core::schema::{FieldPath, check};
use catalyst_core::tenant::{
    Overage, PlanSizing, TenantConfig, email_leaf, first_environment, flux_objects, go_quote, kustomization,
    merge_kustomization, organization_from, render, user_accesses,
};
use serde_json::{Value, json};

fn org(plan: Option<PlanSlug>) -> Organization {
    let mut spec = OrganizationSpec::new(
        "acme",
        "Acme",
        OrganizationKind::Customer,
        OrganizationTier::Org,
        BillingMode::Real,
        vec![
            Owner::new("Ops.Team+dr@Acme.example", OwnerRole::Owner),
            Owner::new("dev_1@acme.example", OwnerRole::Developer),
        ],
        "x.example",
    );
    spec.plan_slug = plan;
    let mut o = Organization::new("acme", spec);
    o.metadata.uid = Some("0b1c".into());
    o
}

fn config() -> TenantConfig {
    let mut c = TenantConfig::new("hz");
    c.flux_secret_ref = "gitea-flux".into();
    c
}

fn content<'a>(files: &'a [catalyst_core::apps::PlannedFile], path: &str) -> &'a str {
    &files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("no {path}")).content
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(catalyst_testkit::fixture(&format!("openova/organization/{name}"))).unwrap()
}

#[test]
fn plan_m_quota_is_the_platforms_render_plus_the_capped_lines() {
    let files = render(&org(Some(PlanSlug::M)), &config()).unwrap();
    let rq = content(&files, "vcluster/resourcequota.yaml");
    let lr = content(&files, "vcluster/limitrange.yaml");
    // The newest renderer adds exactly these lines in capped mode (fixtures/openova/organization/README.md).
    assert!(rq.contains("#   overage mode: capped\napiVersion: v1\n"), "{rq}");
    assert!(rq.contains("openova.io/platform-stack-overhead: \"requests cpu=3840m memory=6064Mi; limits cpu=4550m memory=7Gi\"\n    openova.io/overage-mode: \"capped\"\nspec:"));
    assert!(lr.contains(
        "openova.io/plan-overcommit-memory: \"3\"\n    openova.io/overage-mode: \"capped\"\nspec:"
    ));
    let strip = |s: &str| {
        s.replace("#   overage mode: capped\n", "").replace("    openova.io/overage-mode: \"capped\"\n", "")
    };
    assert_eq!(strip(rq), fixture("m-resourcequota.yaml"));
    assert_eq!(strip(lr), fixture("m-limitrange.yaml"));
}

fn quota_of(plan: &str, overage: &Overage) -> (String, String, String, String) {
    let q = PlanSizing::for_plan(Some(plan)).quota(overage).unwrap();
    (
        q.requests_cpu.to_string(),
        q.requests_memory.to_string(),
        q.limits_cpu.to_string(),
        q.limits_memory.to_string(),
    )
}

#[test]
fn plan_table_and_canonical_quantities() {
    let s = |a: &str, b: &str, c: &str, d: &str| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned());
    // requests = ⌈headline/6⌉m, ⌈headline/3⌉Mi + 520m/1088Mi + 3840m/6064Mi;
    // limits = headline + 1500m/1194Mi + 4550m/7Gi.
    assert_eq!(quota_of("s", &Overage::Capped), s("4527m", "7835Mi", "7050m", "10410Mi"));
    assert_eq!(quota_of("m", &Overage::Capped), s("4694m", "8518Mi", "8050m", "12458Mi"));
    assert_eq!(quota_of("l", &Overage::Capped), s("5027m", "9883Mi", "10050m", "16554Mi"));
    assert_eq!(quota_of("xl", &Overage::Capped), s("5694m", "12614Mi", "14050m", "24746Mi"));
    // Unknown, empty and odd spellings are `s`; the label keeps what was asked (lower-cased).
    for raw in [None, Some(""), Some("bogus"), Some(" S ")] {
        let p = PlanSizing::for_plan(raw);
        assert_eq!((p.plan, p.headline), ("s", PlanSizing::for_plan(Some("s")).headline), "{raw:?}");
    }
    assert_eq!(PlanSizing::for_plan(Some("bogus")).label, "bogus");
    assert_eq!(PlanSizing::for_plan(None).label, "s");
    let guaranteed = |p: &str| {
        let g = PlanSizing::for_plan(Some(p)).guaranteed().unwrap();
        format!("{}/{}", g.cpu(), g.memory())
    };
    assert_eq!(
        ["s", "m", "l", "xl"].map(guaranteed),
        ["167m/683Mi", "334m/1366Mi", "667m/2731Mi", "1334m/5462Mi"]
    );
    let defaults = |p: &str| {
        let (req, lim) = PlanSizing::for_plan(Some(p)).container_defaults();
        format!("{}/{} {}/{}", req.cpu(), req.memory(), lim.cpu(), lim.memory())
    };
    assert_eq!(
        ["s", "m", "l", "xl", "flexi"].map(defaults),
        [
            "21m/86Mi 125m/256Mi",
            "42m/171Mi 250m/512Mi",
            "84m/342Mi 500m/1Gi",
            "167m/683Mi 1/2Gi",
            "100m/128Mi 100m/128Mi"
        ]
    );
    assert!(PlanSizing::for_plan(Some("flexi")).quota(&Overage::Capped).is_none());
}

#[test]
fn grow_ceilings_clamp_to_the_plan_and_its_top() {
    let grow = |cpu: &str, memory: &str| Overage::Grow { cpu: cpu.into(), memory: memory.into() };
    let term = |plan: &str, o: &Overage| {
        let t = PlanSizing::for_plan(Some(plan)).limits_term(o).unwrap();
        format!("{}/{}", t.cpu(), t.memory())
    };
    // The platform's TestQuotaLimitsFor_Clamps rows (xl as @ca11ba6c: twice its headline).
    assert_eq!(term("m", &Overage::Capped), "2/4Gi");
    assert_eq!(term("l", &Overage::Capped), "4/8Gi");
    assert_eq!(term("s", &grow("", "")), "8/16Gi");
    assert_eq!(term("m", &grow("3", "6Gi")), "3/6Gi");
    assert_eq!(term("l", &grow("2", "4Gi")), "4/8Gi");
    assert_eq!(term("m", &grow("16", "64Gi")), "8/16Gi");
    assert_eq!(term("m", &grow("1", "32Gi")), "2/16Gi");
    assert_eq!(term("m", &grow("2.5", "5120Mi")), "2500m/5Gi");
    assert_eq!(term("m", &grow("lots", "0")), "8/16Gi");
    assert_eq!(term("xl", &grow("", "")), "16/32Gi");
    assert_eq!(term("m", &grow("-1", "-5Gi")), "8/16Gi");
    // Requests never change; limits follow the term.
    assert_eq!(
        quota_of("m", &grow("", "")),
        ("4694m".into(), "8518Mi".into(), "14050m".into(), "24746Mi".into())
    );
    // From the Organization's commerce: vCPUs and GB as the platform writes them.
    assert_eq!(Overage::grow(Some(2.5), Some(5.0)), grow("2.5", "5Gi"));
    assert_eq!(Overage::grow(Some(3.0), Some(1.5)), grow("3", "1536Mi"));
    assert_eq!(Overage::grow(Some(0.0), None), grow("", ""));
}

#[test]
fn grow_mode_stamps_the_ceiling_on_both_objects() {
    let mut o = org(Some(PlanSlug::M));
    o.spec.commerce = Some(Commerce {
        overage_mode: Some("grow".into()),
        grow_ceiling: Some(GrowCeiling { vcpu: Some(3.0), memory_gb: Some(6.0), ..GrowCeiling::default() }),
        ..Commerce::default()
    });
    let files = render(&o, &config()).unwrap();
    let rq = content(&files, "vcluster/resourcequota.yaml");
    let lr = content(&files, "vcluster/limitrange.yaml");
    for doc in [rq, lr] {
        assert!(
            doc.contains(
                "    openova.io/overage-mode: \"grow\"\n    openova.io/grow-ceiling: \"cpu=3 memory=6Gi\"\n"
            ),
            "{doc}"
        );
    }
    assert!(rq.contains("#   overage mode: grow\n"));
    assert!(rq.contains("    limits.cpu: \"9050m\"\n    limits.memory: \"14506Mi\"\n"), "{rq}");
    assert!(rq.contains("    requests.cpu: \"4694m\"\n    requests.memory: \"8518Mi\"\n"));
    // Any other mode is capped.
    o.spec.commerce.as_mut().unwrap().overage_mode = Some("Grow".into());
    assert!(content(&render(&o, &config()).unwrap(), "vcluster/resourcequota.yaml").contains("\"capped\""));
}

const PATHS: [&str; 11] = [
    "vcluster/apps/kustomization.yaml",
    "vcluster/apps/namespace.yaml",
    "vcluster/apps/networkpolicy.yaml",
    "vcluster/host-apps/ciliumnetworkpolicy.yaml",
    "vcluster/host-apps/kustomization.yaml",
    "vcluster/host-apps/provisioning-rbac.yaml",
    "vcluster/kustomization.yaml",
    "vcluster/limitrange.yaml",
    "vcluster/namespace.yaml",
    "vcluster/resourcequota.yaml",
    "vcluster/vcluster.yaml",
];

#[test]
fn the_file_set_and_its_indexes() {
    let files = render(&org(Some(PlanSlug::L)), &config()).unwrap();
    assert_eq!(files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), PATHS);
    let header = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n";
    assert_eq!(
        content(&files, "vcluster/kustomization.yaml"),
        format!(
            "{header}  - namespace.yaml\n  - limitrange.yaml\n  - resourcequota.yaml\n  - vcluster.yaml\n"
        )
    );
    assert_eq!(
        content(&files, "vcluster/apps/kustomization.yaml"),
        format!("{header}  - namespace.yaml\n  - networkpolicy.yaml\n")
    );
    assert_eq!(
        content(&files, "vcluster/host-apps/kustomization.yaml"),
        format!("{header}  - ciliumnetworkpolicy.yaml\n  - provisioning-rbac.yaml\n")
    );
    // Flexi: no quota, 10 files, Burstable defaults, no plan annotations.
    let flexi = render(&org(Some(PlanSlug::Flexi)), &config()).unwrap();
    assert_eq!(flexi.len(), 10);
    assert!(flexi.iter().all(|f| f.path != "vcluster/resourcequota.yaml"));
    assert!(!content(&flexi, "vcluster/kustomization.yaml").contains("resourcequota"));
    let lr = content(&flexi, "vcluster/limitrange.yaml");
    assert!(
        lr.contains("cpu: \"100m\"\n        memory: \"128Mi\"\n      default:\n        cpu: \"100m\"\n"),
        "{lr}"
    );
    assert!(!lr.contains("annotations") && !lr.contains("maxLimitRequestRatio"));
    // Exactly one host Namespace outside vcluster/apps, whatever the plan.
    for plan in [None, Some(PlanSlug::S), Some(PlanSlug::Xl), Some(PlanSlug::Flexi)] {
        let files = render(&org(plan), &config()).unwrap();
        let namespaces = files
            .iter()
            .filter(|f| !f.path.starts_with("vcluster/apps/"))
            .flat_map(|f| f.content.split("\n---\n"))
            .filter(|d| d.contains("\nkind: Namespace\n"))
            .count();
        assert_eq!(namespaces, 1, "{plan:?}");
    }
}

#[test]
fn namespace_labels_and_a_hostile_display_name() {
    let mut o = org(None);
    o.spec.display_name = "Acme \"Bank\"\n  evil: true\u{2028}\\".into();
    o.spec.tier = OrganizationTier::Corporate;
    let files = render(&o, &config()).unwrap();
    let ns = content(&files, "vcluster/namespace.yaml");
    let doc: Value = serde_saphyr::from_str(ns).unwrap();
    assert_eq!(doc["metadata"]["annotations"]["openova.io/display-name"], o.spec.display_name.as_str());
    assert_eq!(
        doc["metadata"]["labels"],
        json!({"openova.io/organization": "acme", "openova.io/host-cluster": "hz", "openova.io/sovereign": "x.example",
               "openova.io/managed-by": "catalyst", "openova.io/tier": "corporate"})
    );
    assert_eq!(go_quote("a\"b\\c\n\t\u{1}\u{85}é"), r#""a\"b\\c\n\t\x01\u0085é""#);
    // Names YAML would read as something else are quoted.
    let mut o = org(None);
    o.spec.slug = "null".into();
    o.metadata.name = Some("null".into());
    let files = render(&o, &config()).unwrap();
    for f in &files {
        for doc in f.content.split("\n---\n") {
            let doc: Value = serde_saphyr::from_str(doc).unwrap();
            if let Some(ns) =
                doc["metadata"].get("namespace").filter(|_| doc["metadata"]["namespace"] != "apps")
            {
                assert_eq!(ns, "null", "{}", f.path);
            }
        }
    }
}

#[test]
fn kustomization_index_merge() {
    let header = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n";
    let rendered = format!("{header}  - namespace.yaml\n  - networkpolicy.yaml\n");
    // Complete or reordered: nothing to write.
    assert_eq!(merge_kustomization("vcluster/apps/kustomization.yaml", &rendered, &rendered), Ok(None));
    let reordered = "resources:\n- networkpolicy.yaml\n-   namespace.yaml\n";
    assert_eq!(merge_kustomization("vcluster/apps/kustomization.yaml", reordered, &rendered), Ok(None));
    // A foreign entry is kept; a missing one is added.
    let foreign = format!("{header}  - networkpolicy.yaml\n  - tenant-extra.yaml\n");
    assert_eq!(
        merge_kustomization("vcluster/apps/kustomization.yaml", &foreign, &rendered).unwrap().unwrap(),
        format!("{header}  - namespace.yaml\n  - networkpolicy.yaml\n  - tenant-extra.yaml\n")
    );
    // The stale CiliumNetworkPolicy entry leaves the apps index only.
    let stale = format!("{header}  - ciliumnetworkpolicy.yaml\n  - namespace.yaml\n  - networkpolicy.yaml\n");
    assert_eq!(
        merge_kustomization("vcluster/apps/kustomization.yaml", &stale, &rendered).unwrap().unwrap(),
        rendered
    );
    let host = format!("{header}  - ciliumnetworkpolicy.yaml\n  - provisioning-rbac.yaml\n");
    assert_eq!(merge_kustomization("vcluster/host-apps/kustomization.yaml", &host, &host), Ok(None));
    // An index never lists itself.
    let selfish = format!("{header}  - kustomization.yaml\n  - namespace.yaml\n  - networkpolicy.yaml\n");
    assert_eq!(
        merge_kustomization("vcluster/apps/kustomization.yaml", &selfish, &rendered).unwrap().unwrap(),
        rendered
    );
}

#[test]
fn an_index_that_is_more_than_a_list_is_not_rewritten() {
    let rendered = "resources:\n  - namespace.yaml\n";
    let path = "vcluster/apps/kustomization.yaml";
    for (existing, why) in [
        ("resources:\n  - a.yaml\npatches:\n  - path: p.yaml\n", "it has \"patches\""),
        ("resources:\n  - {path: a.yaml}\n", "is not a file name"),
        ("resources: a.yaml\n", "resources is not a list"),
        ("- a.yaml\n", "not a mapping"),
        ("resources: [\"a\\nb\"]\n", "is not a file name"),
    ] {
        let err = merge_kustomization(path, existing, rendered).unwrap_err();
        assert!(err.contains(why), "{existing:?}: {err}");
    }
    assert_eq!(
        merge_kustomization(path, "", rendered).unwrap().unwrap(),
        kustomization(["namespace.yaml".to_owned()])
    );
    let mut many = String::from("resources:\n");
    for i in 0..1001 {
        many.push_str("  - f");
        many.push_str(&i.to_string());
        many.push_str(".yaml\n");
    }
    assert!(merge_kustomization(path, &many, rendered).unwrap_err().contains("more than 1000"));
}

#[test]
fn owners_become_user_accesses() {
    assert_eq!(email_leaf("Ops.Team+dr@Acme.example"), "ops-team-plus-dr-at-acme-example");
    assert_eq!(email_leaf("dev_1@acme.example"), "dev-1-at-acme-example");
    assert_eq!(email_leaf("-@-"), "at");
    assert_eq!(email_leaf("ü@x.y"), "at-x-y");
    let (uas, warnings) = user_accesses(&org(None));
    assert!(warnings.is_empty());
    let names: Vec<&str> = uas.iter().map(|u| u["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["acme-ops-team-plus-dr-at-acme-example", "acme-dev-1-at-acme-example"]);
    assert_eq!(
        uas[0]["spec"]["applications"],
        json!([{"app": "acme", "role": "admin", "namespaces": ["acme"]}])
    );
    assert_eq!(uas[1]["spec"]["applications"][0]["role"], "editor");
    assert_eq!(uas[0]["spec"]["user"], json!({"keycloakSubject": "Ops.Team+dr@Acme.example"}));
    assert_eq!(uas[0]["spec"]["sovereignRef"], "acme");
    assert_eq!(uas[0]["metadata"]["ownerReferences"][0]["kind"], "Organization");
    assert_eq!(uas[0]["metadata"]["ownerReferences"][0]["uid"], "0b1c");
    assert!(uas[0]["metadata"].get("namespace").is_none());
    let mut o = org(None);
    o.spec.owners.push(Owner::new("dev.1@acme.example", OwnerRole::Viewer));
    o.spec.owners.push(Owner::new("ü", OwnerRole::Viewer));
    let (uas, warnings) = user_accesses(&o);
    assert_eq!(uas.len(), 2);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
}

#[test]
fn first_environment_from_the_host_cluster_name() {
    let mut c = config();
    c.host_cluster = "hz-fsn-rtz-prod".into();
    let env = first_environment(&org(None), &c);
    assert_eq!(env["metadata"]["name"], "acme-prod");
    assert_eq!(
        env["spec"],
        json!({"organizationRef": "acme", "envType": "prod", "placement": "single-region",
               "regions": [{"provider": "hetzner", "region": "fsn", "buildingBlock": "rtz", "hostCluster": "hz-fsn-rtz-prod"}]})
    );
    // Not a NAME-6 name: the configured triple.
    let mut o = org(None);
    o.spec.default_environment_type = Some(catalyst_naming::EnvType::Dev);
    let env = first_environment(&o, &config());
    assert_eq!(env["metadata"]["name"], "acme-dev");
    assert_eq!(
        env["spec"]["regions"][0],
        json!({"provider": "huawei", "region": "mee", "buildingBlock": "rtz", "hostCluster": "hz"})
    );
    // It is a valid Environment of the SDK's CRD.
    let typed: catalyst_core::crd::Environment = serde_json::from_value(env).unwrap();
    assert_eq!(typed.spec.regions.len(), 1);
}

fn errors(schema: &Value, obj: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(schema, obj, &FieldPath::root(), &mut out);
    out.iter().filter(|d| d.is_error()).map(ToString::to_string).collect()
}

/// Every label value is one the API server accepts (k8s-openapi does not check them).
fn label_values_are_valid(doc: &Value, path: &str) {
    let re = regex::Regex::new(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$").unwrap();
    let mut labelled = vec![&doc["metadata"]["labels"]];
    if let Some(t) = doc.pointer("/spec/template/metadata/labels") {
        labelled.push(t);
    }
    for labels in labelled.into_iter().filter_map(Value::as_object) {
        for (k, v) in labels {
            let v = v.as_str().unwrap_or_else(|| panic!("{path}: label {k} is not a string"));
            assert!(v.len() <= 63 && re.is_match(v), "{path}: label {k}={v:?} is not a valid label value");
        }
    }
}

/// Every quantity of a quota object parses and is already in canonical form.
fn quantities_are_canonical(doc: &Value, path: &str) {
    let mut quantities: Vec<&Value> = Vec::new();
    if let Some(hard) = doc.pointer("/spec/hard").and_then(Value::as_object) {
        quantities.extend(hard.values());
    }
    for limit in doc.pointer("/spec/limits").and_then(Value::as_array).into_iter().flatten() {
        for key in ["default", "defaultRequest"] {
            quantities.extend(limit[key].as_object().into_iter().flat_map(|m| m.values()));
        }
    }
    for q in quantities {
        let text = q.as_str().unwrap_or_else(|| panic!("{path}: {q} is not a string"));
        let parsed: catalyst_core::quantity::Quantity = text.parse().unwrap();
        assert_eq!(parsed.to_string(), text, "{path}: {text} is not canonical");
    }
}

/// A core object round-trips through the k8s-openapi type without losing a field.
fn core_roundtrip<T: serde::de::DeserializeOwned + serde::Serialize>(doc: &Value) {
    let typed: T = serde_path_to_error::deserialize(doc.clone()).unwrap_or_else(|e| panic!("{e}: {doc}"));
    assert_eq!(&serde_json::to_value(typed).unwrap(), doc);
}

#[test]
fn every_object_validates_against_the_real_schemas() {
    use k8s_openapi::api::core::v1::{LimitRange, Namespace, ResourceQuota};
    use k8s_openapi::api::networking::v1::NetworkPolicy;
    use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
    let hr = catalyst_testkit::upstream_crd_schema("helm.toolkit.fluxcd.io_helmreleases.yaml", "v2");
    let git = catalyst_testkit::upstream_crd_schema("source.toolkit.fluxcd.io_gitrepositories.yaml", "v1");
    let ks = catalyst_testkit::upstream_crd_schema("kustomize.toolkit.fluxcd.io_kustomizations.yaml", "v1");
    let mut kinds = std::collections::BTreeSet::new();
    for plan in [PlanSlug::S, PlanSlug::M, PlanSlug::L, PlanSlug::Xl, PlanSlug::Flexi] {
        for f in render(&org(Some(plan)), &config()).unwrap() {
            for text in f.content.split("\n---\n") {
                let doc: Value = serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{}: {e}", f.path));
                let kind = doc["kind"].as_str().unwrap().to_owned();
                label_values_are_valid(&doc, &f.path);
                quantities_are_canonical(&doc, &f.path);
                match kind.as_str() {
                    "HelmRelease" => assert_eq!(errors(&hr, &doc), Vec::<String>::new()),
                    "Namespace" => core_roundtrip::<Namespace>(&doc),
                    "LimitRange" => core_roundtrip::<LimitRange>(&doc),
                    "ResourceQuota" => core_roundtrip::<ResourceQuota>(&doc),
                    "NetworkPolicy" => core_roundtrip::<NetworkPolicy>(&doc),
                    "Role" => core_roundtrip::<Role>(&doc),
                    "RoleBinding" => core_roundtrip::<RoleBinding>(&doc),
                    // No Cilium CRD in the fixtures: its shape is asserted below.
                    "CiliumNetworkPolicy" | "Kustomization" => {}
                    other => panic!("{}: unexpected kind {other}", f.path),
                }
                kinds.insert(kind);
            }
        }
    }
    assert_eq!(kinds.len(), 9, "{kinds:?}");
    let mut o = org(None);
    o.spec.suspended = Some(true);
    let objects = flux_objects(&o, &config()).unwrap();
    assert_eq!(objects.len(), 4);
    assert_eq!(errors(&git, &objects[0]), Vec::<String>::new());
    for k in &objects[1..] {
        assert_eq!(errors(&ks, k), Vec::<String>::new(), "{k}");
        assert_eq!(k["spec"]["suspend"], true);
    }
    let cnp: Value = serde_saphyr::from_str(content(
        &render(&org(None), &config()).unwrap(),
        "vcluster/host-apps/ciliumnetworkpolicy.yaml",
    ))
    .unwrap();
    assert_eq!(cnp["apiVersion"], "cilium.io/v2");
    assert!(!cnp.to_string().contains("world"), "never the world entity");
}

#[test]
fn flux_objects_follow_the_configuration() {
    let objects = flux_objects(&org(None), &config()).unwrap();
    let names: Vec<&str> = objects.iter().map(|o| o["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "catalyst-tenant-acme",
            "catalyst-tenant-acme-vcluster",
            "catalyst-tenant-acme-apps",
            "catalyst-tenant-acme-host-apps"
        ]
    );
    assert_eq!(
        objects[0]["spec"],
        json!({"interval": "60s", "url": "http://gitea-http.gitea.svc.cluster.local:3000/acme/catalyst-tenant.git",
               "ref": {"branch": "main"}, "secretRef": {"name": "gitea-flux"}})
    );
    assert!(objects[1]["spec"].get("targetNamespace").is_none());
    assert_eq!(
        objects[2]["spec"]["kubeConfig"],
        json!({"secretRef": {"name": "tenant-acme-kubeconfig", "key": "config"}})
    );
    assert_eq!(objects[3]["spec"]["targetNamespace"], "acme");
    assert!(objects[3]["spec"].get("kubeConfig").is_none());
    assert!(objects[0]["spec"].get("suspend").is_none());
    assert!(objects[1..].iter().all(|o| o["spec"]["suspend"] == false));
    let mut c = config();
    c.flux_secret_ref = String::new();
    assert!(flux_objects(&org(None), &c).unwrap_err().to_string().contains("CATALYST_FLUX_GITEA_SECRET_REF"));
}

#[test]
fn configuration_errors_name_the_variable() {
    let vars = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        TenantConfig::from_vars(move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    };
    assert!(vars(&[]).unwrap_err().starts_with("CATALYST_HOST_CLUSTER is required"));
    let (c, warnings) =
        vars(&[("CATALYST_HOST_CLUSTER", "hz-fsn-rtz-prod"), ("CATALYST_FLUX_INTERVAL_SECONDS", "0")])
            .unwrap();
    assert_eq!((c.flux_interval_seconds, warnings.len()), (60, 1));
    assert_eq!(c.vcluster_chart_version, "0.33.*");
    for (var, value) in [
        ("CATALYST_VCLUSTER_IMAGE_REGISTRY", "harbor.example\n  evil: true"),
        ("CATALYST_VCLUSTER_CHART_VERSION", "1.0\"\n"),
        ("CATALYST_FLUX_NAMESPACE", "Flux"),
        ("CATALYST_GITEA_BRANCH", "../x"),
        ("CATALYST_ENV_REGION_PROVIDER", "nimbus"),
        ("CATALYST_ENV_REGION_CODE", "Fsn 1"),
        ("CATALYST_ENV_REGION_BUILDING_BLOCK", "xyz"),
    ] {
        let err = vars(&[("CATALYST_HOST_CLUSTER", "hz"), (var, value)]).unwrap_err();
        assert!(err.starts_with(var), "{err}");
    }
}

proptest::proptest! {
    #[test]
    fn quota_terms_stay_in_bounds(plan in "(s|m|l|xl|flexi|x)", cpu in "[0-9.]{0,6}", mem in "[0-9]{0,5}(Mi|Gi)?") {
        let p = PlanSizing::for_plan(Some(&plan));
        let grow = Overage::Grow { cpu, memory: mem };
        match (p.quota(&Overage::Capped), p.quota(&grow)) {
            (Some(capped), Some(grown)) => {
                proptest::prop_assert_eq!(capped.requests_cpu, grown.requests_cpu);
                proptest::prop_assert_eq!(capped.requests_memory, grown.requests_memory);
                let (h, top, t) = (p.headline.unwrap(), p.grow_top(), grown.limits_term);
                proptest::prop_assert!(h.cpu_milli <= t.cpu_milli && t.cpu_milli <= top.cpu_milli);
                proptest::prop_assert!(h.memory_mib <= t.memory_mib && t.memory_mib <= top.memory_mib);
                proptest::prop_assert!(grown.limits_cpu.as_millis() >= capped.limits_cpu.as_millis());
            }
            (None, None) => proptest::prop_assert_eq!(p.plan, "flexi"),
            _ => proptest::prop_assert!(false, "capped and grow disagree on having a quota"),
        }
    }
}

#[test]
fn organizations_are_read_as_the_platform_reads_them() {
    let raw = |plan: Value, tier: Value, role: Value| {
        json!({"apiVersion": "orgs.openova.io/v1", "kind": "Organization", "metadata": {"name": "acme"},
               "spec": {"slug": "acme", "displayName": "Acme", "kind": "customer", "tier": tier, "planSlug": plan,
                        "billingMode": "real", "sovereignRef": "x.example", "owners": [{"email": "o@x.example", "role": role}]}})
    };
    let (m, warnings) = organization_from(&raw(json!(" M "), json!("org"), json!("owner"))).unwrap();
    assert_eq!((m.spec.plan_slug, warnings.len()), (Some(PlanSlug::M), 0));
    let (odd, warnings) = organization_from(&raw(json!("bogus"), json!(""), json!("auditor"))).unwrap();
    assert_eq!(odd.spec.plan_slug, None);
    assert_eq!(odd.spec.tier, OrganizationTier::Org);
    assert_eq!(odd.spec.owners[0].role, OwnerRole::Viewer);
    assert_eq!(
        warnings,
        [
            "spec.planSlug: \"bogus\" is not a plan; sized as plan s",
            "spec.owners[0].role: \"auditor\" is not a role; granted viewer"
        ]
    );
    let (corp, _) = organization_from(&raw(json!(""), json!("corporate"), json!("admin"))).unwrap();
    assert_eq!((corp.spec.plan_slug, corp.spec.tier), (None, OrganizationTier::Corporate));
    let mut bad = raw(json!("m"), json!("org"), json!("owner"));
    bad["spec"]["owners"] = json!("everyone");
    assert!(organization_from(&bad).unwrap_err().starts_with("spec.owners: invalid type"));
    // A Sovereign FQDN that cannot be a label value.
    let mut o = org(None);
    o.spec.sovereign_ref = format!("{}.example", "a".repeat(60));
    assert!(render(&o, &config()).unwrap_err().to_string().starts_with("spec.sovereignRef: longer than 63"));
}
