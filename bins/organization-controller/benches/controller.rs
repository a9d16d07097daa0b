//! The organization-controller (issue 21): the pure render of the tenant repository for 1,000
//! Organizations, and the steady-state reconcile (in-memory Kubernetes API, the Gitea test
//! server with real git, the Keycloak stand-in; nothing written) for 50. See BENCHMARKS.md.
//!
//! `cargo bench -p organization-controller --bench controller`
#![allow(clippy::unwrap_used, unreachable_pub, dead_code, clippy::needless_pass_by_value)]

#[path = "../tests/support/mod.rs"]
mod support;

use catalyst_core::crd::Organization;
use criterion::{Criterion, criterion_group, criterion_main};
use organization_controller::reconcile::reconcile_organization;
use serde_json::{Value, json};

fn org(i: usize) -> Value {
    let mut o = support::standard();
    let slug = format!("org-{i:04}");
    o["metadata"]["name"] = json!(slug);
    o["metadata"]["uid"] = json!(format!("uid-{slug}"));
    o["spec"]["slug"] = json!(slug);
    o["spec"]["planSlug"] = json!(["s", "m", "l", "xl", "flexi"][i % 5]);
    o
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let w = rt.block_on(support::world());
    let orgs: Vec<Value> = (0..1_000).map(org).collect();
    let typed: Vec<Organization> = orgs.iter().map(|o| serde_json::from_value(o.clone()).unwrap()).collect();
    let mut g = c.benchmark_group("organization-controller");
    g.sample_size(10);
    g.bench_function("render/1000-organizations", |b| {
        b.iter(|| {
            for o in &typed {
                let files = catalyst_core::tenant::render(o, &w.ctx.config).unwrap();
                assert!(files.len() >= 10);
                catalyst_core::tenant::flux_objects(o, &w.ctx.config).unwrap();
                catalyst_core::tenant::user_accesses(o);
            }
        });
    });
    for o in orgs.iter().take(50) {
        w.api.put_object(o);
        let name = o["metadata"]["name"].as_str().unwrap();
        rt.block_on(reconcile_organization(name, &w.ctx)).unwrap();
    }
    g.bench_function("reconcile/steady/50-organizations", |b| {
        b.iter(|| {
            for o in orgs.iter().take(50) {
                let name = o["metadata"]["name"].as_str().unwrap();
                let out = rt.block_on(reconcile_organization(name, &w.ctx)).unwrap();
                assert_eq!((out.files_written, out.objects_written, out.status_written), (0, 0, false));
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
