//! Switchover wall time and the cost of a healthy tick (issue 19), through the controller's
//! own worker tick: the in-memory Kubernetes API (Continuum, CNPG pair, HTTPRoute, Leases), the
//! PDM stand-in and a real nats-server with JetStream; the world is the scenario tests'. A
//! switchover iteration asks for one (`spec.switchover.requested`) and runs the tick that
//! carries it out — seven steps with `drainSeconds: 0`, a status write per step, the traffic
//! restore and the request cleared — switching back and forth. See BENCHMARKS.md.

#![allow(clippy::unwrap_used, unreachable_pub, dead_code)]

#[path = "../tests/support/mod.rs"]
mod support;

use continuum_controller::worker::{Memory, tick};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (w, ctx) = rt.block_on(async {
        let w = support::world(true).await;
        let ctx = support::context(&w, None).await;
        (w, ctx)
    });
    let mut mem = Memory::default();
    rt.block_on(tick(&ctx, "acme", "web-dr", &mut mem)).expect("first tick");
    let mut g = c.benchmark_group("continuum-controller");
    g.sample_size(20);
    g.bench_function("switchover/tick/7-steps/drain-0/in-memory-api+pdm+nats", |b| {
        b.iter(|| {
            support::request_switchover(&w);
            let t = rt.block_on(tick(&ctx, "acme", "web-dr", &mut mem)).expect("tick");
            assert!(t.switchover.expect("a switchover ran").is_ok());
        });
    });
    g.bench_function("steady/tick/lease-renewal-only", |b| {
        b.iter(|| {
            let t = rt.block_on(tick(&ctx, "acme", "web-dr", &mut mem)).expect("tick");
            assert!(t.switchover.is_none());
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
