//! BP-8 … BP-10: version solving, conflict explanations, the DAG and install plans.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use catalyst_blueprint::{Blueprint, Catalog, Entry, Request, ResolveError, ResolveOptions, resolve};
use proptest::prelude::*;
use semver::Version;

fn bp(name: &str, version: &str, deps: &str) -> Blueprint {
    let yaml = format!(
        "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: {name}}}\n\
         spec: {{version: {version}, card: {{title: {name}}}, visibility: listed, depends: [{deps}]}}\n"
    );
    Blueprint::parse(&yaml, None).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

fn catalog(items: &[(&str, &str, &str)]) -> Catalog {
    let mut c = Catalog::default();
    for (n, v, d) in items {
        c.insert(bp(n, v, d), None);
    }
    c
}

fn req(list: &[&str]) -> Vec<Request> {
    list.iter().map(|r| r.parse().unwrap()).collect()
}

fn order(c: &Catalog, r: &[&str], o: &ResolveOptions) -> Vec<String> {
    let res = resolve(c, &req(r), o).unwrap_or_else(|e| panic!("{e}"));
    res.plan.install_order.iter().map(|i| format!("{}@{}", i.name, i.version)).collect()
}

#[test]
fn conflict_names_both_sides_and_their_constraints() {
    let c = catalog(&[
        ("bp-alpha", "1.0.0", "{blueprint: bp-gamma, version: ^1}"),
        ("bp-beta", "1.0.0", "{blueprint: bp-gamma, version: ^2}"),
        ("bp-gamma", "1.0.0", ""),
        ("bp-gamma", "2.0.0", ""),
    ]);
    let err = resolve(&c, &req(&["bp-alpha", "bp-beta"]), &ResolveOptions::default()).unwrap_err();
    let ResolveError::Unsatisfiable { conflict } = &err else { panic!("{err:?}") };
    let explanation = &err.to_string();
    assert!(!conflict.derivation().is_empty());
    assert!(
        explanation.starts_with("no set of Blueprint versions satisfies the request:\n"),
        "{explanation}"
    );
    for needle in [
        "bp-alpha 1.0.0 depends on bp-gamma >=1.0.0, <2.0.0",
        "bp-beta 1.0.0 depends on bp-gamma >=2.0.0, <3.0.0",
        "  bp-gamma (available: 1.0.0, 2.0.0)\n    bp-alpha 1.0.0 requires bp-gamma ^1\n    bp-beta 1.0.0 requires bp-gamma ^2",
        "the request asks for bp-alpha (any version)",
    ] {
        assert!(explanation.contains(needle), "missing {needle:?} in:\n{explanation}");
    }
    assert!(!explanation.contains("0.0.0"), "the synthetic root version leaks:\n{explanation}");
}

#[test]
fn deep_conflict_explains_the_chain() {
    // a -> x -> y -> c ^1 ; b -> c ^2
    let c = catalog(&[
        ("bp-alpha", "1.0.0", "{blueprint: bp-xray}"),
        ("bp-xray", "1.0.0", "{blueprint: bp-yank}"),
        ("bp-yank", "1.0.0", "{blueprint: bp-gamma, version: ^1}"),
        ("bp-beta", "1.0.0", "{blueprint: bp-gamma, version: ^2}"),
        ("bp-gamma", "1.5.0", ""),
        ("bp-gamma", "2.1.0", ""),
    ]);
    let err =
        resolve(&c, &req(&["bp-alpha", "bp-beta"]), &ResolveOptions::default()).unwrap_err().to_string();
    for needle in [
        "bp-alpha 1.0.0 depends on bp-xray",
        "bp-alpha 1.0.0 requires bp-xray (any version)",
        "bp-xray 1.0.0 depends on bp-yank",
        "bp-yank 1.0.0 requires bp-gamma ^1",
        "bp-beta 1.0.0 requires bp-gamma ^2",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn highest_version_then_backtracking() {
    // The highest bp-app needs bp-lib ^3, which does not exist: the solver backs off to 1.1.0.
    let c = catalog(&[
        ("bp-app", "1.1.0", "{blueprint: bp-lib, version: ^2}"),
        ("bp-app", "1.2.0", "{blueprint: bp-lib, version: ^3}"),
        ("bp-lib", "2.0.0", ""),
        ("bp-lib", "2.4.1", ""),
    ]);
    assert_eq!(order(&c, &["bp-app"], &ResolveOptions::default()), ["bp-lib@2.4.1", "bp-app@1.1.0"]);
}

#[test]
fn bp_8_installed_versions_are_preferred_and_reused() {
    let c = catalog(&[
        ("bp-wordpress", "1.0.0", "{blueprint: bp-postgres, version: ^1.4}"),
        ("bp-postgres", "1.5.0", ""),
        ("bp-postgres", "1.9.0", ""),
    ]);
    let o = ResolveOptions::default().with_installed("bp-postgres".parse().unwrap(), Version::new(1, 5, 0));
    let res = resolve(&c, &req(&["bp-wordpress"]), &o).unwrap();
    let pg = &res.plan.install_order[0];
    assert_eq!((pg.name.as_str(), pg.version.as_str(), pg.reuse), ("bp-postgres", "1.5.0", true));
    assert!(!res.plan.install_order[1].reuse);
    assert_eq!(pg.status, catalyst_blueprint::InstallStatus::Installed);
    assert_eq!(res.plan.install_order[1].status, catalyst_blueprint::InstallStatus::New);
    // An installed version outside a constraint is a conflict naming who asked (issue 18)…
    let o = ResolveOptions::default().with_installed("bp-postgres".parse().unwrap(), Version::new(1, 3, 0));
    let err = resolve(&c, &req(&["bp-wordpress"]), &o).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bp-postgres 1.3.0 is installed, but bp-wordpress 1.0.0 needs bp-postgres ^1.4; allow the upgrade or change the constraint"
    );
    assert!(matches!(err, ResolveError::InstalledVersionConflict { .. }));
    // …unless the upgrade is allowed: then the plan says so.
    let o = o.with_allow_upgrade("bp-postgres".parse().unwrap());
    let res = resolve(&c, &req(&["bp-wordpress"]), &o).unwrap();
    let pg = &res.plan.install_order[0];
    assert_eq!(
        (pg.version.as_str(), pg.reuse, pg.status),
        ("1.9.0", false, catalyst_blueprint::InstallStatus::Upgrade)
    );
    // A request that excludes the installed version names the request.
    let o = ResolveOptions::default().with_installed("bp-postgres".parse().unwrap(), Version::new(1, 5, 0));
    let err = resolve(&c, &req(&["bp-postgres@^1.9"]), &o).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bp-postgres 1.5.0 is installed, but the request needs bp-postgres ^1.9; allow the upgrade or change the constraint"
    );
}

#[test]
fn prereleases_are_excluded_unless_asked() {
    let c = catalog(&[("bp-xray", "1.0.0", ""), ("bp-xray", "1.1.0-rc.1", "")]);
    assert_eq!(order(&c, &["bp-xray"], &ResolveOptions::default()), ["bp-xray@1.0.0"]);
    assert_eq!(
        order(&c, &["bp-xray"], &ResolveOptions::default().with_prerelease(true)),
        ["bp-xray@1.1.0-rc.1"]
    );
    assert_eq!(order(&c, &["bp-xray@>=1.1.0-rc.1"], &ResolveOptions::default()), ["bp-xray@1.1.0-rc.1"]);
    let only_pre = catalog(&[("bp-yank", "2.0.0-beta.1", "")]);
    assert!(matches!(
        resolve(&only_pre, &req(&["bp-yank"]), &ResolveOptions::default()).unwrap_err(),
        ResolveError::Unsatisfiable { .. }
    ));
}

#[test]
fn unknown_and_missing_blueprints() {
    let c = catalog(&[("bp-alpha", "1.0.0", "{blueprint: bp-gone, version: ^1}")]);
    assert_eq!(
        resolve(&c, &req(&["bp-nope"]), &ResolveOptions::default()).unwrap_err(),
        ResolveError::UnknownBlueprint { name: "bp-nope".into(), required_by: "the request".into() }
    );
    let err = resolve(&c, &req(&["bp-alpha"]), &ResolveOptions::default()).unwrap_err().to_string();
    assert!(err.contains("bp-gone (not in the catalog)"), "{err}");
    assert!(err.contains("bp-alpha 1.0.0 requires bp-gone ^1"), "{err}");
}

#[test]
fn digest_pins_need_a_known_digest() {
    let mut c = Catalog::default();
    let digest = format!("sha256:{}", "ab".repeat(32));
    c.insert_entry(Entry {
        blueprint: bp("bp-xray", "1.0.0", ""),
        source: None,
        digest: Some(digest.clone()),
        org: None,
    });
    c.insert(bp("bp-xray", "1.1.0", ""), None);
    assert_eq!(order(&c, &[&format!("bp-xray@{digest}")], &ResolveOptions::default()), ["bp-xray@1.0.0"]);
    let other = format!("bp-xray@sha256:{}", "cd".repeat(32));
    assert!(matches!(
        resolve(&c, &req(&[&other]), &ResolveOptions::default()).unwrap_err(),
        ResolveError::UnknownDigest { .. }
    ));
}

#[test]
fn cycles_are_reported_with_the_full_path() {
    let c = catalog(&[
        ("bp-alpha", "1.0.0", "{blueprint: bp-beta}"),
        ("bp-beta", "1.0.0", "{blueprint: bp-gamma}"),
        ("bp-gamma", "1.0.0", "{blueprint: bp-alpha}"),
    ]);
    assert_eq!(
        resolve(&c, &req(&["bp-alpha"]), &ResolveOptions::default()).unwrap_err().to_string(),
        "dependency cycle: bp-alpha -> bp-beta -> bp-gamma -> bp-alpha"
    );
    let lint: Vec<String> = c.lint().iter().map(ToString::to_string).collect();
    assert_eq!(
        lint,
        ["spec.depends: dependency cycle: bp-alpha -> bp-beta -> bp-gamma -> bp-alpha [DependencyCycle]"]
    );
}

#[test]
fn self_dependency_is_a_cycle() {
    let yaml = "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-alpha}\n\
                spec: {version: 1.0.0, card: {title: a}, visibility: listed, depends: [bp-alpha]}\n";
    let errors = Blueprint::parse(yaml, None).unwrap_err();
    assert_eq!(
        errors.iter().filter(|d| d.is_error()).map(ToString::to_string).collect::<Vec<_>>(),
        ["spec.depends[0]: bp-alpha depends on itself (bp-alpha -> bp-alpha) [DependencyCycle]"]
    );
}

#[test]
fn bp_10_plan_carries_alias_when_and_values() {
    let c = catalog(&[
        (
            "bp-wordpress",
            "1.3.0",
            "{blueprint: bp-postgres, version: ^1.4, alias: db, when: \"{{ .config.database.mode == 'managed' }}\", \
             values: {database: '{{ .application.name }}-db'}}, {blueprint: bp-redis}",
        ),
        ("bp-postgres", "1.4.0", ""),
        ("bp-redis", "7.0.0", ""),
    ]);
    // The `when` holds for this request's parameters (BP-6), so the edge is followed.
    let o = ResolveOptions::default().with_parameters(
        "bp-wordpress".parse().unwrap(),
        serde_json::json!({"database": {"mode": "managed"}}),
    );
    let res = resolve(&c, &req(&["bp-wordpress"]), &o).unwrap();
    let items = &res.plan.install_order;
    let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["bp-postgres", "bp-redis", "bp-wordpress"]);
    assert_eq!(items[0].application, "db");
    assert_eq!(items[1].application, "redis");
    let wp = &items[2];
    assert_eq!(wp.depends_on, ["bp-postgres", "bp-redis"]);
    assert_eq!(wp.dependencies[0].alias, "db");
    assert_eq!(wp.dependencies[0].when.as_deref(), Some("{{ .config.database.mode == 'managed' }}"));
    // BP-7: rendered in bp-wordpress's context, and what bp-postgres receives.
    assert_eq!(wp.dependencies[0].values, Some(serde_json::json!({"database": "wordpress-db"})));
    assert_eq!(items[0].values, Some(serde_json::json!({"database": "wordpress-db"})));
    assert_eq!(items[1].values, None);
    let json = serde_json::to_value(&res.plan).unwrap();
    assert_eq!(json["install_order"][2]["depends_on"], serde_json::json!(["bp-postgres", "bp-redis"]));
    assert!(res.dag.edges().contains(&("bp-wordpress".into(), "bp-postgres".into(), "db".into())));
}

#[test]
fn same_input_same_plan() {
    let c = catalog(&[
        ("bp-top", "1.0.0", "{blueprint: bp-m1}, {blueprint: bp-m2}, {blueprint: bp-m3}"),
        ("bp-m1", "1.0.0", "{blueprint: bp-base}"),
        ("bp-m2", "1.0.0", "{blueprint: bp-base}"),
        ("bp-m3", "1.0.0", ""),
        ("bp-base", "1.0.0", ""),
    ]);
    let first = order(&c, &["bp-top"], &ResolveOptions::default());
    assert_eq!(first, ["bp-base@1.0.0", "bp-m1@1.0.0", "bp-m2@1.0.0", "bp-m3@1.0.0", "bp-top@1.0.0"]);
    for _ in 0..5 {
        assert_eq!(order(&c, &["bp-top"], &ResolveOptions::default()), first);
    }
}

/// A random layered catalog: package i may depend on packages j > i (no cycles), with
/// caret constraints on random majors.
fn arb_catalog() -> impl Strategy<Value = Catalog> {
    let pkg = (1u64..4, proptest::collection::vec((1usize..8, 1u64..4), 0..3));
    proptest::collection::vec(proptest::collection::vec(pkg, 1..3), 2..8).prop_map(|layers| {
        let n = layers.len();
        let mut c = Catalog::default();
        for (i, versions) in layers.into_iter().enumerate() {
            for (vi, (major, deps)) in versions.into_iter().enumerate() {
                let deps: BTreeMap<usize, u64> =
                    deps.into_iter().filter(|(off, _)| i + off < n).map(|(off, m)| (i + off, m)).collect();
                let deps: Vec<String> =
                    deps.into_iter().map(|(j, m)| format!("{{blueprint: bp-p{j}, version: ^{m}}}")).collect();
                let version = format!("{major}.{vi}.0");
                c.insert(bp(&format!("bp-p{i}"), &version, &deps.join(", ")), None);
            }
        }
        c
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any solution satisfies every constraint of every chosen Blueprint, and the install
    /// order puts each Blueprint after everything it depends on.
    #[test]
    fn solutions_satisfy_constraints_and_order_respects_edges(c in arb_catalog()) {
        let Ok(res) = resolve(&c, &["bp-p0".parse().unwrap()], &ResolveOptions::default()) else { return Ok(()) };
        let pos: BTreeMap<&str, usize> = res.plan.install_order.iter().enumerate().map(|(i, it)| (it.name.as_str(), i)).collect();
        prop_assert_eq!(pos.len(), res.versions.len());
        for (name, version) in &res.versions {
            let entry = c.get(name, version).unwrap();
            for d in &entry.blueprint.depends {
                let chosen = res.versions.get(&d.blueprint);
                prop_assert!(chosen.is_some_and(|v| d.constraint.matches(v)), "{} {} needs {} {}", name, version, d.blueprint, d.constraint);
                prop_assert!(pos[d.blueprint.as_str()] < pos[name.as_str()]);
            }
        }
        // Deterministic.
        let again = resolve(&c, &["bp-p0".parse().unwrap()], &ResolveOptions::default()).unwrap();
        prop_assert_eq!(again.plan, res.plan);
    }
}

/// The derivation is PubGrub's, told in Blueprint words (issue 17 §7): versions the catalog
/// has, "the request" without a synthetic version, both requests in one clause.
#[test]
fn conflicts_read_in_blueprint_words() {
    let c = catalog(&[
        ("bp-aa", "1.0.0", "{blueprint: bp-cc, version: ^1}"),
        ("bp-aa", "2.0.0", "{blueprint: bp-cc, version: ^3}"),
        ("bp-bb", "1.0.0", "{blueprint: bp-cc, version: ^2}"),
        ("bp-cc", "1.0.0", ""),
        ("bp-cc", "2.0.0", ""),
    ]);
    let err = resolve(&c, &req(&["bp-aa", "bp-bb"]), &ResolveOptions::default()).unwrap_err();
    let ResolveError::Unsatisfiable { conflict } = &err else { panic!("{err:?}") };
    assert_eq!(
        conflict.derivation(),
        "Because bp-aa 1.0.0 depends on bp-cc >=1.0.0, <2.0.0 and bp-aa 2.0.0 depends on bp-cc >=3.0.0, <4.0.0, every version of bp-aa depends on bp-cc >=1.0.0, <2.0.0 || >=3.0.0, <4.0.0.\n\
         And because bp-bb 1.0.0 depends on bp-cc >=2.0.0, <3.0.0, bp-bb 1.0.0 and every version of bp-aa are incompatible.\n\
         And because the request asks for bp-aa and bp-bb, the request cannot be satisfied."
    );
    let names: Vec<&str> = conflict.involved().iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["bp-aa", "bp-bb", "bp-cc"]);
    let shown = err.to_string();
    assert!(!shown.contains("0.0.0"), "{shown}");
    assert!(
        shown.ends_with(
            "hint: loosen one of the constraints above, or add a version that satisfies all of them"
        ),
        "{shown}"
    );
}

/// Issue 18 (BP-6): `when` is evaluated during resolution, in the dependent's context: its
/// configSchema defaults with the requesting Application's parameters merged over them. The
/// documented form (BLUEPRINT-AUTHORING, bp-wordpress → bp-postgres when embedded).
#[test]
fn bp_6_when_decides_which_edges_are_followed() {
    let doc = std::fs::read_to_string(catalyst_testkit::fixture(
        "openova/crds/doc-examples/docs/BLUEPRINT-AUTHORING.md.L84-L188.Blueprint.yaml",
    ))
    .unwrap();
    let mut c = Catalog::default();
    c.insert(Blueprint::parse(&doc, None).unwrap(), None);
    c.insert(bp("bp-postgres", "1.4.2", ""), None);
    let wordpress = || "bp-wordpress".parse().unwrap();
    // No parameters: `.config.postgres.mode` is absent, so the edge is not followed.
    let res = resolve(&c, &req(&["bp-wordpress"]), &ResolveOptions::default()).unwrap();
    let names: Vec<&str> = res.plan.install_order.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["bp-wordpress"]);
    assert_eq!(res.plan.skipped.len(), 1);
    let s = &res.plan.skipped[0];
    assert_eq!(
        (s.from.as_str(), s.version.as_str(), s.to.as_str(), s.when.as_str()),
        ("bp-wordpress", "1.3.0", "bp-postgres", "{{ .config.postgres.mode == 'embedded' }}")
    );
    // Embedded: followed, with the alias and values of the entry.
    let o = ResolveOptions::default()
        .with_parameters(wordpress(), serde_json::json!({"postgres": {"mode": "embedded"}}));
    let res = resolve(&c, &req(&["bp-wordpress"]), &o).unwrap();
    assert_eq!(order(&c, &["bp-wordpress"], &o), ["bp-postgres@1.4.2", "bp-wordpress@1.3.0"]);
    assert!(res.plan.skipped.is_empty());
    assert_eq!(res.plan.install_order[0].application, "db");
    // BP-7: the entry's values, rendered in bp-wordpress's context, are bp-postgres's.
    assert_eq!(
        res.plan.install_order[0].values,
        Some(serde_json::json!({"databases": ["wordpress"], "size": "medium"}))
    );
    // External: skipped again; the defaults (title, replicas) stay under the parameters.
    let o = ResolveOptions::default()
        .with_parameters(wordpress(), serde_json::json!({"postgres": {"mode": "external", "ref": "pg"}}));
    assert_eq!(order(&c, &["bp-wordpress"], &o), ["bp-wordpress@1.3.0"]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The plan holds exactly the Blueprints reachable from the request through edges whose
    /// `when` is true: never one reachable only through false edges.
    #[test]
    fn plans_never_hold_what_only_false_edges_reach(
        edges in prop::collection::vec((0usize..6, 0usize..6, any::<bool>()), 0..14),
    ) {
        let names: Vec<String> = (0..6).map(|i| format!("bp-node{i}")).collect();
        let mut deps: Vec<Vec<String>> = vec![Vec::new(); 6];
        let mut seen = std::collections::BTreeSet::new();
        let mut truth = vec![Vec::new(); 6];
        for (a, b, on) in edges {
            // Edges from lower to higher index only (no cycles), one per pair.
            let (from, to) = (a.min(b), a.max(b));
            if from == to || !seen.insert((from, to)) {
                continue;
            }
            let when = if on { "{{ .config.on == true }}" } else { "{{ .config.on == false }}" };
            deps[from].push(format!("{{blueprint: {}, when: \"{when}\"}}", names[to]));
            truth[from].push((to, on));
        }
        let mut c = Catalog::default();
        for (i, name) in names.iter().enumerate() {
            let schema = "configSchema: {type: object, properties: {on: {type: boolean, default: true}}}";
            let yaml = format!(
                "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: {name}}}\n\
                 spec: {{version: 1.0.0, card: {{title: x}}, visibility: listed, {schema}, depends: [{}]}}\n",
                deps[i].join(", ")
            );
            c.insert(Blueprint::parse(&yaml, None).unwrap_or_else(|e| panic!("{yaml}\n{e}")), None);
        }
        let mut reach = std::collections::BTreeSet::from([0usize]);
        let mut stack = vec![0usize];
        while let Some(n) = stack.pop() {
            for &(to, on) in &truth[n] {
                if on && reach.insert(to) {
                    stack.push(to);
                }
            }
        }
        let res = resolve(&c, &req(&["bp-node0"]), &ResolveOptions::default()).unwrap();
        let got: std::collections::BTreeSet<usize> = res
            .plan
            .install_order
            .iter()
            .map(|i| i.name.trim_start_matches("bp-node").parse().unwrap())
            .collect();
        prop_assert_eq!(got, reach);
        // Every skipped edge starts at a planned Blueprint and is a false one.
        for s in &res.plan.skipped {
            prop_assert!(s.when.contains("== false"), "{:?}", s);
        }
    }
}

fn dependent(name: &str, dep: &str, values: &str) -> (String, String, String) {
    (name.to_owned(), "1.0.0".to_owned(), format!("{{blueprint: {dep}, values: {values}}}"))
}

fn catalog_of(items: &[(String, String, String)]) -> Catalog {
    let items: Vec<(&str, &str, &str)> =
        items.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
    catalog(&items)
}

/// SPEC BP-7: values from several dependents are deep-merged; a scalar given two ways is a
/// conflict naming both givers and the key.
#[test]
fn bp_7_values_from_several_dependents_merge_or_conflict() {
    let mut items = vec![
        dependent("bp-blog", "bp-postgres", "{db: {size: 10Gi}, owners: ['{{ .application.name }}']}"),
        dependent("bp-shop", "bp-postgres", "{db: {version: '16'}}"),
        ("bp-postgres".into(), "1.0.0".into(), String::new()),
    ];
    let res =
        resolve(&catalog_of(&items), &req(&["bp-blog", "bp-shop"]), &ResolveOptions::default()).unwrap();
    let pg = res.plan.install_order.iter().find(|i| i.name == "bp-postgres").unwrap();
    assert_eq!(
        pg.values,
        Some(serde_json::json!({"db": {"size": "10Gi", "version": "16"}, "owners": ["blog"]}))
    );

    items[1] = dependent("bp-shop", "bp-postgres", "{db: {size: 20Gi}}");
    let err =
        resolve(&catalog_of(&items), &req(&["bp-blog", "bp-shop"]), &ResolveOptions::default()).unwrap_err();
    assert_eq!(
        err,
        ResolveError::ValuesConflict {
            blueprint: "bp-postgres".into(),
            key: "db.size".into(),
            a: "\"10Gi\" from bp-blog 1.0.0 (spec.depends[0].values.db.size)".into(),
            b: "\"20Gi\" from bp-shop 1.0.0 (spec.depends[0].values.db.size)".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "bp-postgres is given two values for db.size: \"10Gi\" from bp-blog 1.0.0 (spec.depends[0].values.db.size), and \"20Gi\" from bp-shop 1.0.0 (spec.depends[0].values.db.size)"
    );
}

/// SPEC BP-7: a placeholder that does not resolve is a `TemplateError` naming the dependent and
/// the path, never an empty string.
#[test]
fn bp_7_unresolvable_placeholder_is_a_template_error() {
    let items = vec![
        dependent("bp-blog", "bp-postgres", "{db: {name: '{{ .config.database.name }}'}}"),
        ("bp-postgres".into(), "1.0.0".into(), String::new()),
    ];
    let err = resolve(&catalog_of(&items), &req(&["bp-blog"]), &ResolveOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bp-blog 1.0.0: spec.depends[0].values.db.name: {{ .config.database.name }} does not resolve: config.database.name is not set"
    );
    // With the parameter given, it renders.
    let o = ResolveOptions::default()
        .with_parameters("bp-blog".parse().unwrap(), serde_json::json!({"database": {"name": "posts"}}));
    let res = resolve(&catalog_of(&items), &req(&["bp-blog"]), &o).unwrap();
    assert_eq!(res.plan.install_order[0].values, Some(serde_json::json!({"db": {"name": "posts"}})));
}

/// SPEC BP-6 + BP-7: the values a dependent passes are the dependency's parameters, so they
/// decide which of the dependency's own edges are followed.
#[test]
fn values_passed_down_decide_the_dependencys_when() {
    let items = vec![
        dependent("bp-app", "bp-postgres", "{mode: '{{ .config.db }}'}"),
        (
            "bp-postgres".into(),
            "1.0.0".into(),
            "{blueprint: bp-backup, when: \"{{ .config.mode == 'ha' }}\", values: {target: '{{ .config.mode }}'}}".into(),
        ),
        ("bp-backup".into(), "1.0.0".into(), String::new()),
    ];
    let c = catalog_of(&items);
    let app = || "bp-app".parse().unwrap();
    let o = ResolveOptions::default().with_parameters(app(), serde_json::json!({"db": "ha"}));
    assert_eq!(order(&c, &["bp-app"], &o), ["bp-backup@1.0.0", "bp-postgres@1.0.0", "bp-app@1.0.0"]);
    let res = resolve(&c, &req(&["bp-app"]), &o).unwrap();
    assert_eq!(res.plan.install_order[0].values, Some(serde_json::json!({"target": "ha"})));
    let o = ResolveOptions::default().with_parameters(app(), serde_json::json!({"db": "single"}));
    assert_eq!(order(&c, &["bp-app"], &o), ["bp-postgres@1.0.0", "bp-app@1.0.0"]);
    let res = resolve(&c, &req(&["bp-app"]), &o).unwrap();
    assert_eq!(res.plan.skipped.len(), 1);
    assert_eq!(res.plan.skipped[0].from, "bp-postgres");
}

/// SPEC BP-9: a `private` Blueprint of an Organization's catalog may only be required from that
/// Organization: its request or Blueprints of its own catalog.
#[test]
fn bp_9_private_blueprints_stay_inside_their_organization() {
    let acme: catalyst_naming::OrgSlug = "acme".parse().unwrap();
    let private = Blueprint::parse(
        "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-secret-sauce}\n\
         spec: {version: 1.0.0, card: {title: x}, visibility: private}\n",
        None,
    )
    .unwrap();
    let mut own = Catalog::default();
    own.insert(private, None);
    own.insert(bp("bp-acme-shop", "1.0.0", "bp-secret-sauce"), None);
    let mut c = catalog(&[("bp-blog", "1.0.0", "bp-secret-sauce")]);
    assert!(c.merge(own.owned_by(&acme)).is_empty());

    // From the shared catalog: refused, naming who asked.
    let err = resolve(&c, &req(&["bp-blog"]), &ResolveOptions::default()).unwrap_err();
    assert_eq!(
        err,
        ResolveError::VisibilityViolation {
            blueprint: "bp-secret-sauce 1.0.0".into(),
            owner: "acme".into(),
            required_by: "bp-blog 1.0.0 (spec.depends[0]) of the shared catalog".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "bp-secret-sauce 1.0.0 is private to Organization acme, but bp-blog 1.0.0 (spec.depends[0]) of the shared catalog requires it"
    );
    // From the Organization's own catalog, requested by the Organization: fine.
    let o = ResolveOptions::default().with_org(acme.clone());
    assert_eq!(order(&c, &["bp-acme-shop"], &o), ["bp-secret-sauce@1.0.0", "bp-acme-shop@1.0.0"]);
    // Requested directly by another Organization, or by none: refused.
    let other = ResolveOptions::default().with_org("globex".parse().unwrap());
    assert_eq!(
        resolve(&c, &req(&["bp-secret-sauce"]), &other).unwrap_err().to_string(),
        "bp-secret-sauce 1.0.0 is private to Organization acme, but the request from Organization globex requires it"
    );
    // A listed Blueprint of acme's catalog may use acme's private one for anyone who installs it.
    assert_eq!(
        order(&c, &["bp-acme-shop"], &ResolveOptions::default()),
        ["bp-secret-sauce@1.0.0", "bp-acme-shop@1.0.0"]
    );
}

/// Review of issue 18: an entry whose `when` is false passes no values, and two entries for one
/// dependency (two aliases) each carry their own rendered values.
#[test]
fn values_follow_only_active_entries_matched_by_alias() {
    let items = vec![
        (
            "bp-app".to_owned(),
            "1.0.0".to_owned(),
            "{blueprint: bp-postgres, alias: pg-ha, when: \"{{ .config.ha == true }}\", values: {replicas: 3}}, \
             {blueprint: bp-postgres, alias: pg, when: \"{{ .config.ha != true }}\", values: {replicas: 1}}"
                .to_owned(),
        ),
        ("bp-postgres".into(), "1.0.0".into(), String::new()),
    ];
    let c = catalog_of(&items);
    let app = || "bp-app".parse().unwrap();
    for (ha, replicas, alias) in [(true, 3, "pg-ha"), (false, 1, "pg")] {
        let o = ResolveOptions::default().with_parameters(app(), serde_json::json!({"ha": ha}));
        let res = resolve(&c, &req(&["bp-app"]), &o).unwrap_or_else(|e| panic!("ha={ha}: {e}"));
        assert_eq!(res.plan.install_order[0].values, Some(serde_json::json!({"replicas": replicas})));
        let deps = &res.plan.install_order[1].dependencies;
        assert_eq!(deps.len(), 1, "{deps:?}");
        assert_eq!(
            (deps[0].alias.as_str(), &deps[0].values),
            (alias, &Some(serde_json::json!({"replicas": replicas})))
        );
    }
}

/// Review of issue 18: a chain of 40 edges, each gated on the values its parent passes, needs
/// one round per edge and settles; it is not reported as oscillating.
#[test]
fn a_long_chain_gated_on_passed_values_settles() {
    let n = 40;
    let items: Vec<(String, String, String)> = (0..n)
        .map(|i| {
            let deps = if i + 1 < n {
                format!(
                    "{{blueprint: bp-link{}, when: \"{{{{ .config.on == true }}}}\", values: {{on: true}}}}",
                    i + 1
                )
            } else {
                String::new()
            };
            (format!("bp-link{i}"), "1.0.0".to_owned(), deps)
        })
        .collect();
    let c = catalog_of(&items);
    let o = ResolveOptions::default()
        .with_parameters("bp-link0".parse().unwrap(), serde_json::json!({"on": true}));
    let res = resolve(&c, &req(&["bp-link0"]), &o).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.plan.install_order.len(), n);
    assert!(res.plan.skipped.is_empty());
}

/// Review of issue 18: a kit version is the only version chosen for it; a conflict is blamed on
/// the kit only when the requirer has no version that accepts the kit's.
#[test]
fn kit_versions_are_pinned_and_blamed_only_when_they_cause_the_conflict() {
    let kit_of = |version: &str| {
        let hr = format!(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {{name: bp-cnpg}}\nspec: {{chart: {{spec: {{chart: bp-cnpg, version: {version}}}}}}}\n"
        );
        catalyst_blueprint::check_kit(&[("16-cnpg.yaml".to_owned(), hr)], None)
    };
    let c = catalog(&[
        ("bp-cnpg", "1.0.0", ""),
        ("bp-cnpg", "2.0.0", ""),
        ("bp-app", "1.0.0", "{blueprint: bp-cnpg, version: '>=1'}"),
        ("bp-old", "1.0.0", "{blueprint: bp-cnpg, version: ^2}"),
        ("bp-old", "2.0.0", "{blueprint: bp-cnpg, version: ^1}"),
        ("bp-new", "1.0.0", "{blueprint: bp-cnpg, version: ^2}"),
    ]);
    let o = ResolveOptions::default().with_kit(&kit_of("1.0.0"));
    // Without the kit bp-cnpg 2.0.0 would be chosen; the kit's 1.0.0 is.
    assert_eq!(order(&c, &["bp-app"], &o), ["bp-cnpg@1.0.0", "bp-app@1.0.0"]);
    assert_eq!(order(&c, &["bp-app"], &ResolveOptions::default()), ["bp-cnpg@2.0.0", "bp-app@1.0.0"]);
    // bp-old has a version that fits the kit: chosen, no conflict.
    assert_eq!(order(&c, &["bp-old"], &o), ["bp-cnpg@1.0.0", "bp-old@2.0.0"]);
    // bp-new has none: the kit version is the cause, named with its file.
    let err = resolve(&c, &req(&["bp-new"]), &o).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bp-cnpg 1.0.0 is installed, provided by the Sovereign (bootstrap kit, 16-cnpg.yaml), but bp-new 1.0.0 needs bp-cnpg ^2; allow the upgrade or change the constraint"
    );
    // Allowing the upgrade lifts the pin.
    let up = o.clone().with_allow_upgrade("bp-cnpg".parse().unwrap());
    assert_eq!(order(&c, &["bp-new"], &up), ["bp-cnpg@2.0.0", "bp-new@1.0.0"]);
}
