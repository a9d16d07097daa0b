//! Applying 1,000 record sets to a real PowerDNS on loopback (see BENCHMARKS.md): as one
//! plan (one PATCH) vs one PATCH per record set, and a no-op re-apply.

#![allow(missing_docs)]

use std::time::Duration;

use catalyst_dns::{RrSet, parse_desired};
use criterion::{Criterion, criterion_group, criterion_main};

const N: usize = 1000;

fn desired(generation: usize) -> String {
    let records: Vec<String> = (0..N)
        .map(|i| {
            format!(
                "{{name: h{i}, type: A, ttl: 60, content: 127.{}.{}.{}}}",
                generation % 250 + 1,
                i / 250,
                i % 250 + 1
            )
        })
        .collect();
    format!("zones: [{{name: bench.test, records: [{}]}}]", records.join(", "))
}

fn bench(c: &mut Criterion) {
    let pdns = catalyst_testkit::pdns::Pdns::start();
    let client = pdns.client();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(client.create_zone("bench.test", &[], false)).expect("zone");

    let mut g = c.benchmark_group("apply-1000");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(40));
    // Each iteration changes every content, so every set is really rewritten.
    let mut generation = 0;
    g.bench_function("one-plan-one-patch", |b| {
        b.iter(|| {
            generation += 1;
            let zones = parse_desired(&desired(generation)).expect("valid");
            rt.block_on(async {
                let plans = client.plan(&zones, true).await.expect("plan");
                let applied = client.apply_all(&plans).await.expect("apply");
                assert_eq!((applied[0].changes, applied[0].patches), (N, 1));
            });
        });
    });
    g.bench_function("one-patch-per-rrset", |b| {
        b.iter(|| {
            generation += 1;
            let rrsets: Vec<RrSet> = (0..N)
                .map(|i| {
                    let ip = format!("127.{}.{}.{}", generation % 250 + 1, i / 250, i % 250 + 1);
                    RrSet::replace(&format!("h{i}.bench.test"), "A", 60, [ip])
                })
                .collect();
            rt.block_on(client.patch_each("bench.test", &rrsets)).expect("patch");
        });
    });
    g.finish();

    // Bring the zone to a known, owned state, then measure a re-apply that changes nothing.
    let zones = parse_desired(&desired(0)).expect("valid");
    rt.block_on(async {
        client.apply_all(&client.plan(&zones, true).await.expect("plan")).await.expect("apply")
    });
    let mut g = c.benchmark_group("reapply-1000");
    g.sample_size(20);
    g.bench_function("no-op", |b| {
        b.iter(|| {
            rt.block_on(async {
                let plans = client.plan(&zones, false).await.expect("plan");
                let applied = client.apply_all(&plans).await.expect("apply");
                assert_eq!(applied[0].patches, 0);
            });
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
