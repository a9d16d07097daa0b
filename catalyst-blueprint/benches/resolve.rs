//! Version solving on a generated catalog of 10,000 Blueprints x 5 versions (see BENCHMARKS.md).
//!
//! Shape: 500 groups of 20 levels. Level `l` of group `g` depends on level `l+1` of its own
//! group and of group `g+1` (depth-20 chains), and on level `l+2` of its group (diamonds).
//! Versions 1.0.0, 1.1.0, 1.2.0 depend with `^1`; 2.0.0 and 2.1.0 with `^2`.

use std::hint::black_box;

use catalyst_blueprint::{Blueprint, Catalog, Request, ResolveOptions, resolve};
use criterion::{Criterion, criterion_group, criterion_main};

const GROUPS: usize = 500;
const LEVELS: usize = 20;
const VERSIONS: [(&str, u32); 5] = [("1.0.0", 1), ("1.1.0", 1), ("1.2.0", 1), ("2.0.0", 2), ("2.1.0", 2)];

fn name(g: usize, l: usize) -> String {
    format!("bp-g{g}-l{l}")
}

/// What each dependency entry carries besides its constraint.
#[derive(Clone, Copy)]
enum Extra {
    None,
    /// `when` on every edge (true: `.config.off` is never set).
    When,
    /// `when`, and `values` naming the dependent (merged without conflict at the dependency).
    WhenValues,
}

fn blueprint(name: &str, version: &str, deps: &[(String, u32)]) -> Blueprint {
    blueprint_with(name, version, deps, Extra::None)
}

fn blueprint_with(name: &str, version: &str, deps: &[(String, u32)], extra: Extra) -> Blueprint {
    let more = match extra {
        Extra::None => String::new(),
        Extra::When => ", when: \"{{ .config.off != true }}\"".to_owned(),
        Extra::WhenValues => format!(
            ", when: \"{{{{ .config.off != true }}}}\", values: {{parents: {{{name}: '{{{{ .application.name }}}}'}}}}"
        ),
    };
    let deps: Vec<String> = deps
        .iter()
        .enumerate()
        .map(|(i, (d, major))| format!("{{blueprint: {d}, version: ^{major}, alias: d{i}{more}}}"))
        .collect();
    let yaml = format!(
        "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: {name}}}\n\
         spec: {{version: {version}, card: {{title: {name}}}, visibility: listed, depends: [{}]}}\n",
        deps.join(", ")
    );
    Blueprint::parse(&yaml, None).expect("generated blueprint parses")
}

fn catalog() -> Catalog {
    catalog_with(Extra::None)
}

fn catalog_with(extra: Extra) -> Catalog {
    let mut c = Catalog::default();
    for g in 0..GROUPS {
        for l in 0..LEVELS {
            for (version, major) in VERSIONS {
                let mut deps = Vec::new();
                if l + 1 < LEVELS {
                    deps.push((name(g, l + 1), major));
                    deps.push((name((g + 1) % GROUPS, l + 1), major));
                }
                if l + 2 < LEVELS {
                    deps.push((name(g, l + 2), major));
                }
                c.insert(blueprint_with(&name(g, l), version, &deps, extra), None);
            }
        }
    }
    // Needs the bottom of group 0 at ^2 while the request pins the top of group 0 at ^1.
    c.insert(blueprint("bp-spoiler", "1.0.0", &[(name(0, LEVELS - 1), 2)]), None);
    c
}

fn bench(c: &mut Criterion) {
    let catalog = catalog();
    assert_eq!(catalog.len(), GROUPS * LEVELS * VERSIONS.len() + 1);
    let ok: Vec<Request> = vec!["bp-g0-l0".parse().expect("request")];
    let conflict: Vec<Request> =
        vec!["bp-g0-l0@^1".parse().expect("request"), "bp-spoiler".parse().expect("request")];
    let options = ResolveOptions::default();
    let solved = resolve(&catalog, &ok, &options).expect("satisfiable");
    assert!(
        solved.plan.install_order.len() > 200,
        "the request reaches {} Blueprints",
        solved.plan.install_order.len()
    );
    assert!(resolve(&catalog, &conflict, &options).is_err());

    let mut g = c.benchmark_group("resolve");
    g.sample_size(20);
    g.bench_function("10k-x5/satisfiable", |b| {
        b.iter(|| resolve(black_box(&catalog), black_box(&ok), &options));
    });
    g.bench_function("10k-x5/conflict-explained", |b| {
        b.iter(|| {
            let err = resolve(black_box(&catalog), black_box(&conflict), &options).expect_err("conflict");
            black_box(err.to_string())
        });
    });
    // The same solve with `when` evaluated on every edge (SPEC BP-6), and with `values`
    // rendered and merged at every dependency (BP-7: a second round, as values change contexts).
    for (label, extra) in
        [("10k-x5/satisfiable-when", Extra::When), ("10k-x5/satisfiable-when-values", Extra::WhenValues)]
    {
        let catalog = catalog_with(extra);
        let solved = resolve(&catalog, &ok, &options).expect("satisfiable");
        assert_eq!(solved.plan.install_order.len(), 210);
        assert!(solved.plan.skipped.is_empty());
        if matches!(extra, Extra::WhenValues) {
            assert!(solved.plan.install_order.iter().filter(|i| i.values.is_some()).count() > 200);
        }
        g.bench_function(label, |b| {
            b.iter(|| resolve(black_box(&catalog), black_box(&ok), &options));
        });
    }
    g.finish();
}

fn parse(c: &mut Criterion) {
    let root = catalyst_testkit::fixture("openova/blueprints/platform");
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(&root).expect("fixtures beside the repository") {
        let dir = entry.expect("entry").path();
        texts.push(std::fs::read_to_string(dir.join("blueprint.yaml")).expect("blueprint.yaml"));
    }
    c.bench_function("parse/48-fixture-blueprints", |b| {
        b.iter(|| {
            texts.iter().map(|t| Blueprint::parse(black_box(t), None).is_ok()).filter(|ok| *ok).count()
        });
    });
}

criterion_group!(benches, bench, parse);
criterion_main!(benches);
