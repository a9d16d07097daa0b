//! Switchover wall time (issue 19): the seven steps with `drainSeconds: 0` against the
//! in-memory Kubernetes API, the PDM stand-in and a real nats-server with JetStream, switching
//! back and forth. See BENCHMARKS.md.

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use catalyst_core::witness::{InMemoryWitness, SystemClock, Witness};
use catalyst_dns::continuum::SynthParams;
use catalyst_dns::pdm::{PdmClient, PdmConfig};
use catalyst_testkit::kube::FakeApi;
use catalyst_testkit::pdm::PdmServer;
use continuum_controller::audit::{AUDIT_SUBJECT, NatsAudit};
use continuum_controller::kube_ops::{KubeOps, Targets};
use continuum_controller::switchover::{SwitchoverPlan, switchover};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

fn cluster(name: &str, role: &str, replica: bool) -> serde_json::Value {
    json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": name, "namespace": "acme", "labels": {"catalyst.openova.io/cnpg-pair": "web-db", "openova.io/cnpg-role": role}},
        "spec": {"instances": 2, "replica": {"enabled": replica}},
    })
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let nats = catalyst_testkit::nats::Nats::start();
    let api = FakeApi::default();
    let (mut ops, plans) = rt.block_on(async {
        api.put_object(&cluster("web-db-fsn", "primary", false));
        api.put_object(&cluster("web-db-hel", "replica", true));
        api.put_object(&json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "web", "namespace": "acme"},
            "spec": {"rules": [{"backendRefs": [{"name": "web-hz-fsn-rtz-prod", "port": 80, "weight": 1}, {"name": "web-hz-hel-rtz-prod", "port": 80, "weight": 0}]}]},
        }));
        let js = jetstream::new(async_nats::connect(nats.url()).await.expect("nats"));
        js.create_stream(stream::Config {
            name: "CATALYST_AUDIT".into(),
            subjects: vec![AUDIT_SUBJECT.into()],
            ..Default::default()
        })
        .await
        .expect("stream");
        let pdm = PdmServer::start().await;
        let witness = InMemoryWitness::new(SystemClock);
        witness.acquire("hz-fsn-rtz-prod", Duration::from_secs(30)).await.expect("lease");
        let targets = Targets {
            pair: ("web-db".into(), "acme".into()),
            route: Some(("web".into(), "acme".into())),
            drain: Duration::ZERO,
            ttl: Duration::from_secs(30),
            synth: SynthParams {
                region_ips: BTreeMap::from([
                    ("hz-fsn-rtz-prod".into(), vec!["127.0.1.1".into()]),
                    ("hz-hel-rtz-prod".into(), vec!["127.0.2.1".into()]),
                ]),
                health_check_url: "https://probe-fsn.acme.example/healthz".into(),
                hostnames: vec!["web.acme.example".into()],
                ..SynthParams::default()
            },
            application: None,
            zone: "acme.example".into(),
        };
        let audit = NatsAudit::connect(&nats.url(), Duration::from_secs(5)).await.expect("audit");
        let client = PdmClient::new(PdmConfig::new(pdm.url())).expect("pdm");
        // The stand-in must outlive the bench: leak it (one per process).
        std::mem::forget(pdm);
        let there = SwitchoverPlan {
            continuum: "acme/web-dr".into(),
            application: "web".into(),
            from: "hz-fsn-rtz-prod".into(),
            to: "hz-hel-rtz-prod".into(),
            reason: "bench".into(),
            initiated_by: "bench".into(),
        };
        let back = SwitchoverPlan { from: there.to.clone(), to: there.from.clone(), ..there.clone() };
        (KubeOps::new(api.client(), targets, witness, client, audit), [there, back])
    });
    let mut i = 0usize;
    let mut g = c.benchmark_group("switchover");
    g.sample_size(20);
    g.bench_function("7-steps/drain-0/in-memory-api+pdm+nats", |b| {
        b.iter(|| {
            let plan = &plans[i % 2];
            i += 1;
            rt.block_on(switchover(&mut ops, plan, |_| {})).expect("switchover");
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
