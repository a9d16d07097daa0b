//! The useraccess-controller (issue 22): the bindings of 1,000 `UserAccess`es computed (pure), and
//! the steady-state reconcile of 100 (in-memory Kubernetes API; nothing written). See
//! BENCHMARKS.md.
//!
//! `cargo bench -p useraccess-controller --bench controller`
#![allow(clippy::unwrap_used, unreachable_pub, dead_code, clippy::needless_pass_by_value)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use useraccess_controller::reconcile::reconcile_user_access;

fn ua(i: usize) -> Value {
    support::user_access(
        &format!("user-{i:04}"),
        json!({"user": {"keycloakSubject": format!("u{i}@acme.example"), "keycloakGroups": ["/acme/devs"]}, "sovereignRef": "acme",
               "applications": [{"app": "acme", "role": "editor", "namespaces": ["acme-dev", "acme-prod"], "vClusters": ["acme"]}]}),
    )
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _entered = rt.enter();
    let w = support::world();
    let uas: Vec<Value> = (0..1_000).map(ua).collect();
    let mut g = c.benchmark_group("useraccess-controller");
    g.sample_size(10);
    g.bench_function("desired/1000-useraccesses/3-bindings", |b| {
        b.iter(|| {
            for u in &uas {
                let grant = catalyst_core::access::parse(u).unwrap();
                assert_eq!(catalyst_core::access::desired(&grant, &[]).bindings.len(), 3);
            }
        });
    });
    for u in uas.iter().take(100) {
        w.api.put_object(u);
        rt.block_on(reconcile_user_access(u["metadata"]["name"].as_str().unwrap(), &w.ctx)).unwrap();
    }
    g.bench_function("reconcile/steady/100-useraccesses", |b| {
        b.iter(|| {
            for u in uas.iter().take(100) {
                let out = rt
                    .block_on(reconcile_user_access(u["metadata"]["name"].as_str().unwrap(), &w.ctx))
                    .unwrap();
                assert_eq!((out.created, out.updated, out.deleted, out.status_written), (0, 0, 0, false));
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
