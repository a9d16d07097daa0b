//! Writers at once against one real PowerDNS (sqlite3 backend) on loopback (see
//! BENCHMARKS.md): 1, 4 and 8 clients, each applying its own zone of 300 record sets with new
//! contents every time, all started together. Criterion measures the wall time of one round
//! (applies/second = writers / time); the latency of every single apply is kept and its p50
//! and p99 are printed at the end of each group.

#![allow(missing_docs)]

use std::time::{Duration, Instant};

use catalyst_dns::parse_desired;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const SETS: usize = 300;

fn desired(zone: &str, generation: usize) -> String {
    let records: Vec<String> = (0..SETS)
        .map(|i| {
            format!(
                "{{name: h{i}, type: A, ttl: 60, content: 127.{}.{}.{}}}",
                generation % 250 + 1,
                i / 250,
                i % 250 + 1
            )
        })
        .collect();
    format!("zones: [{{name: {zone}, records: [{}]}}]", records.join(", "))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn bench(c: &mut Criterion) {
    let pdns = catalyst_testkit::pdns::Pdns::start();
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut g = c.benchmark_group("contention-300");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    for writers in [1usize, 4, 8] {
        // One client per writer (each its own connection pool and write lock), one zone each.
        let clients: Vec<_> = (0..writers).map(|_| pdns.client()).collect();
        let zones: Vec<String> = (0..writers).map(|w| format!("w{w}.of{writers}.bench.test")).collect();
        for (client, zone) in clients.iter().zip(&zones) {
            rt.block_on(client.create_zone(zone, &[], false)).expect("zone");
        }
        let mut generation = 0;
        let mut latencies: Vec<Duration> = Vec::new();
        g.bench_with_input(BenchmarkId::from_parameter(writers), &writers, |b, _| {
            b.iter_custom(|rounds| {
                let mut total = Duration::ZERO;
                for _ in 0..rounds {
                    generation += 1;
                    let started = Instant::now();
                    let took: Vec<Duration> = rt.block_on(async {
                        let runs = clients.iter().zip(&zones).map(|(client, zone)| {
                            let desired = parse_desired(&desired(zone, generation)).expect("valid");
                            async move {
                                let t = Instant::now();
                                let plans = client.plan(&desired, true).await.expect("plan");
                                let applied = client.apply_all(&plans).await.expect("apply converges");
                                assert_eq!(applied[0].changes, SETS);
                                t.elapsed()
                            }
                        });
                        futures::future::join_all(runs).await
                    });
                    total += started.elapsed();
                    latencies.extend(took);
                }
                total
            });
        });
        latencies.sort();
        if !latencies.is_empty() {
            eprintln!(
                "contention-300/{writers}: {} applies, latency p50 {:?}, p99 {:?}, max {:?}",
                latencies.len(),
                percentile(&latencies, 0.5),
                percentile(&latencies, 0.99),
                latencies[latencies.len() - 1]
            );
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
