//! Steady-state reconcile of many Applications (issue 20): the controller's own share (the
//! plan: checks, JSON Schema validation, rendering) for 1,000 Applications, and the full
//! steady-state reconcile (in-memory Kubernetes API + the Gitea test server with real git,
//! nothing written) for 100. See BENCHMARKS.md.
//!
//! `cargo bench -p application-controller --bench controller`
#![allow(clippy::unwrap_used, unreachable_pub, dead_code, clippy::needless_pass_by_value)]

#[path = "../tests/support/mod.rs"]
mod support;

use application_controller::reconcile::reconcile_application;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let w = rt.block_on(support::world(true));
    let apps: Vec<serde_json::Value> = (0..1_000)
        .map(|i| {
            support::application(
                &format!("app-{i}"),
                "active-hotstandby",
                &["hetzner-fsn-rtz-prod", "hetzner-nbg-rtz-prod"],
                json!({"replicas": 2, "image": "wordpress:6.5"}),
            )
        })
        .collect();
    let env =
        json!({"metadata": {"name": "acme-prod"}, "spec": {"organizationRef": "acme", "envType": "prod"}});
    let org = json!({"metadata": {"name": "acme"}});
    let bp = w.api.object("catalyst.openova.io/v1/blueprints/bp-wordpress").unwrap();
    let mut g = c.benchmark_group("application-controller");
    g.sample_size(10);
    g.bench_function("plan/1000-applications/2-regions", |b| {
        b.iter(|| {
            for a in &apps {
                catalyst_core::apps::plan_application(a, Some(&env), Some(&org), Some(&bp), &w.ctx.config)
                    .unwrap();
            }
        });
    });
    for a in apps.iter().take(100) {
        w.api.put_object(a);
        let name = a["metadata"]["name"].as_str().unwrap();
        rt.block_on(reconcile_application("acme", name, &w.ctx)).unwrap();
    }
    g.bench_function("reconcile/steady/100-applications/2-regions", |b| {
        b.iter(|| {
            for a in apps.iter().take(100) {
                let name = a["metadata"]["name"].as_str().unwrap();
                let out = rt.block_on(reconcile_application("acme", name, &w.ctx)).unwrap();
                assert_eq!((out.commits, out.objects_written, out.status_written), (0, 0, false));
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
