//! Reconcile throughput for 1,000 Environments against the in-memory Kubernetes API and the
//! Gitea test server (real git), and the idle controller's memory. See BENCHMARKS.md.
//!
//! `cargo bench -p environment-controller --bench controller`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use catalyst_testkit::gitea::Gitea;
use catalyst_testkit::kube::{FakeApi, environment, hetzner};
use criterion::{Criterion, criterion_group, criterion_main};
use environment_controller::config::Settings;
use environment_controller::metrics::Metrics;
use environment_controller::reconcile::{Context, reconcile_environment};
use futures::StreamExt as _;

const N: usize = 1_000;
/// The controller's default --concurrency.
const CONCURRENCY: usize = 4;

/// Starts the real binary against a minimal API server (an empty Environment list and a
/// watch that stays open), waits until it watches, and prints its resident memory.
fn idle_rss(rt: &tokio::runtime::Runtime) {
    use axum::extract::Query;
    use axum::routing::get;
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let w = watching.clone();
    let addr = rt.block_on(async move {
        let app = axum::Router::new().route(
            "/apis/catalyst.openova.io/v1/environments",
            get(move |Query(q): Query<std::collections::BTreeMap<String, String>>| {
                let w = w.clone();
                async move {
                    if q.get("watch").map(String::as_str) == Some("true") {
                        w.store(true, std::sync::atomic::Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    axum::Json(serde_json::json!({"apiVersion": "catalyst.openova.io/v1", "kind": "EnvironmentList", "metadata": {"resourceVersion": "1"}, "items": []}))
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await });
        addr
    });
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!("apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: 'http://{addr}'}}}}]\nusers: [{{name: u, user: {{token: t}}}}]\ncontexts: [{{name: x, context: {{cluster: c, user: u}}}}]\ncurrent-context: x\n"),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_environment-controller"))
        .args(["--no-leader-election", "--metrics-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0"])
        .env("KUBECONFIG", &kubeconfig)
        .env("GITEA_PUBLIC_URL", "https://gitea.example.test")
        .env("GITEA_TOKEN", "t")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !watching.load(std::sync::atomic::Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(watching.load(std::sync::atomic::Ordering::SeqCst), "the controller never started its watch");
    std::thread::sleep(Duration::from_secs(5));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let rss = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap().to_owned();
    let hwm = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap().to_owned();
    eprintln!(
        "idle environment-controller (watching, 0 Environments, 5 s after the watch started): {rss}; peak {hwm}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// 1,000 Environments in 50 Organizations, one region each.
async fn world() -> (FakeApi, Gitea, Context, Vec<String>) {
    let orgs: Vec<String> = (0..50).map(|i| format!("org{i:04}")).collect();
    let refs: Vec<&str> = orgs.iter().map(String::as_str).collect();
    let gitea = Gitea::with_orgs(&refs).await;
    let api = FakeApi::default();
    let names: Vec<String> = (0..N).map(|i| format!("{}-e{i:04}", orgs[i % 50])).collect();
    for (i, name) in names.iter().enumerate() {
        let yaml = environment(name, &orgs[i % 50], "prod", "single-region", &[&hetzner("fsn")]);
        api.insert(&yaml);
    }
    let settings = Settings::empty("https://gitea.hfmp.acme.openova.io").with_defaults();
    let ctx = Context::new(api.client(), gitea.client.clone(), settings, Metrics::new());
    (api, gitea, ctx, names)
}

async fn reconcile_all(ctx: &Context, names: &[String]) -> usize {
    futures::stream::iter(names)
        .map(|n| async move { reconcile_environment(n, ctx).await.unwrap().commits })
        .buffer_unordered(CONCURRENCY)
        .fold(0, |a, c| async move { a + c })
        .await
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    idle_rss(&rt);
    let mut group = c.benchmark_group("reconcile_1000");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(1));
    // Steady state: every manifest is in Gitea and every status is current.
    let (_api, _gitea, ctx, names) = rt.block_on(world());
    assert_eq!(rt.block_on(reconcile_all(&ctx, &names)), N);
    group.bench_function("steady_state", |b| {
        b.to_async(&rt).iter(|| async { assert_eq!(reconcile_all(&ctx, &names).await, 0) });
    });
    // The same Gitea reads alone (org lookup + file read per Environment): what the test
    // server's git processes cost, for comparison with steady_state.
    let gitea_client = &ctx.gitea;
    group.bench_function("gitea_reads_alone", |b| {
        b.to_async(&rt).iter(|| async {
            futures::stream::iter(&names)
                .map(|n| async move {
                    let org = n.split_once("-e").unwrap().0;
                    gitea_client.get_org(org).await.unwrap();
                    let path = format!("clusters/hetzner-fsn-rtz-prod/environments/{n}/gitrepository.yaml");
                    gitea_client.get_file(org, &format!("{org}-environment"), "main", &path).await.unwrap();
                })
                .buffer_unordered(CONCURRENCY)
                .collect::<Vec<()>>()
                .await;
        });
    });
    // First reconcile: 1,000 commits and 1,000 status writes (set-up not timed).
    group.bench_function("first_reconcile", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (api, gitea, ctx, names) = world().await;
                let started = Instant::now();
                assert_eq!(reconcile_all(&ctx, &names).await, N);
                total += started.elapsed();
                drop((api, gitea));
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
