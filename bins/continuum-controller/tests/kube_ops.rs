//! SPEC CONT-3 for real: the seven steps against the in-memory Kubernetes API (CNPG Clusters,
//! an HTTPRoute, 409 on stale writes, injected 500s), the lease witness, the PDM stand-in and a
//! real nats-server. A failure at promote leaves every object, the lease and DNS as before.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use catalyst_core::witness::{InMemoryWitness, ManualClock, Witness};
use catalyst_dns::continuum::SynthParams;
use catalyst_dns::pdm::{PdmClient, PdmConfig};
use catalyst_testkit::kube::FakeApi;
use catalyst_testkit::pdm::PdmServer;
use continuum_controller::audit::{AUDIT_SUBJECT, NatsAudit};
use continuum_controller::kube_ops::{KubeOps, Targets};
use continuum_controller::switchover::{Step, SwitchoverPlan, switchover};
use serde_json::json;

fn cluster(name: &str, role: &str, replica: bool) -> serde_json::Value {
    json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": name, "namespace": "acme", "labels": {"catalyst.openova.io/cnpg-pair": "web-db", "openova.io/cnpg-role": role}},
        "spec": {"instances": 2, "replica": {"enabled": replica}},
    })
}

fn route() -> serde_json::Value {
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "acme"},
        "spec": {"rules": [{"backendRefs": [{"name": "web-hz-fsn-rtz-prod", "port": 80, "weight": 1}, {"name": "web-hz-hel-rtz-prod", "port": 80, "weight": 0}]}]},
    })
}

fn targets() -> Targets {
    Targets {
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
    }
}

fn plan() -> SwitchoverPlan {
    SwitchoverPlan {
        continuum: "acme/web-dr".into(),
        application: "web".into(),
        from: "hz-fsn-rtz-prod".into(),
        to: "hz-hel-rtz-prod".into(),
        reason: "manual".into(),
        initiated_by: "alice".into(),
    }
}

struct World {
    api: FakeApi,
    pdm: PdmServer,
    nats: catalyst_testkit::nats::Nats,
    witness: InMemoryWitness<ManualClock>,
}

async fn world() -> World {
    let api = FakeApi::default();
    api.put_object(&cluster("web-db-fsn", "primary", false));
    api.put_object(&cluster("web-db-hel", "replica", true));
    api.put_object(&route());
    let nats = catalyst_testkit::nats::Nats::start();
    let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    js.create_stream(stream::Config {
        name: "CATALYST_AUDIT".into(),
        subjects: vec![AUDIT_SUBJECT.into()],
        ..Default::default()
    })
    .await
    .unwrap();
    let witness = InMemoryWitness::new(ManualClock::new("2026-12-07T10:00:00Z".parse().unwrap()));
    witness.acquire("hz-fsn-rtz-prod", Duration::from_secs(30)).await.unwrap();
    World { api, pdm: PdmServer::start().await, nats, witness }
}

async fn ops(w: &World) -> KubeOps<InMemoryWitness<ManualClock>, NatsAudit> {
    let audit = NatsAudit::connect(&w.nats.url(), Duration::from_secs(5)).await.unwrap();
    KubeOps::new(
        w.api.client(),
        targets(),
        w.witness.clone(),
        PdmClient::new(PdmConfig::new(w.pdm.url())).unwrap(),
        audit,
    )
}

fn replica(api: &FakeApi, name: &str) -> bool {
    api.object(&format!("postgresql.cnpg.io/clusters/acme/{name}")).unwrap()["spec"]["replica"]["enabled"]
        .as_bool()
        .unwrap()
}

async fn audit_count(w: &World) -> u64 {
    let js = jetstream::new(async_nats::connect(w.nats.url()).await.unwrap());
    js.get_stream("CATALYST_AUDIT").await.unwrap().info().await.unwrap().state.messages
}

#[tokio::test]
async fn a_switchover_moves_database_traffic_dns_and_lease() {
    let w = world().await;
    let mut ops = ops(&w).await;
    let done = switchover(&mut ops, &plan(), |_| {}).await.unwrap();
    assert!(replica(&w.api, "web-db-fsn") && !replica(&w.api, "web-db-hel"));
    let fsn = w.api.object("postgresql.cnpg.io/clusters/acme/web-db-fsn").unwrap();
    assert!(fsn["metadata"]["annotations"].get("cnpg.io/cluster.primary").is_none());
    let r = w.api.object("gateway.networking.k8s.io/httproutes/acme/web").unwrap();
    assert_eq!(r["spec"]["rules"][0]["backendRefs"][0]["weight"], 0);
    assert_eq!(w.witness.read().await.unwrap().holder.as_deref(), Some("hz-hel-rtz-prod"));
    let commits = w.pdm.commits();
    assert_eq!(commits.len(), 1);
    assert!(
        commits[0]
            .body
            .contains(r#"\"https://probe-hel.acme.example/healthz\", {{\"127.0.2.1\"}, {\"127.0.1.1\"}}"#),
        "{}",
        commits[0].body
    );
    assert_eq!(commits[0].json()["zone"], "acme.example");
    assert_eq!(audit_count(&w).await, 1, "exactly one continuum-switchover event");
    assert!(done.rto_observed < Duration::from_secs(5));
}

#[tokio::test]
async fn a_failure_at_promote_puts_everything_back() {
    let w = world().await;
    let before_clusters = (
        w.api.object("postgresql.cnpg.io/clusters/acme/web-db-fsn").unwrap(),
        w.api.object("postgresql.cnpg.io/clusters/acme/web-db-hel").unwrap(),
    );
    // The new primary's Cluster cannot be written: promote fails after flipping the old one.
    w.api.fail_writes_to("postgresql.cnpg.io/clusters/acme/web-db-hel");
    let mut ops = ops(&w).await;
    let err = switchover(&mut ops, &plan(), |_| {}).await.unwrap_err();
    assert_eq!(err.failed, Step::Promote);
    // The half-done promote is undone (only the Cluster that changed is written), then the rest.
    assert!(err.rollback_errors.is_empty(), "{err}");
    assert_eq!(
        err.rolled_back,
        [Step::Promote, Step::SwapLease, Step::FlipDns, Step::Drain, Step::Cordon, Step::ValidateLease],
        "{err}"
    );
    // The lease is back with the old primary, DNS re-committed for it, traffic restored.
    assert_eq!(w.witness.read().await.unwrap().holder.as_deref(), Some("hz-fsn-rtz-prod"));
    let commits = w.pdm.commits();
    assert_eq!(commits.len(), 2);
    assert!(commits[1].body.contains("probe-fsn.acme.example"), "{}", commits[1].body);
    let r = w.api.object("gateway.networking.k8s.io/httproutes/acme/web").unwrap();
    assert_eq!(r["spec"], route()["spec"]);
    // Both Clusters as before: the old primary writes again, uncordoned.
    let fsn = w.api.object("postgresql.cnpg.io/clusters/acme/web-db-fsn").unwrap();
    assert!(fsn["metadata"]["annotations"].get("cnpg.io/cluster.primary").is_none());
    assert_eq!(fsn["spec"], before_clusters.0["spec"]);
    assert_eq!(
        w.api.object("postgresql.cnpg.io/clusters/acme/web-db-hel").unwrap()["spec"],
        before_clusters.1["spec"]
    );
    assert_eq!(audit_count(&w).await, 0);
}

/// Failback: the pair is read by `spec.replica.enabled`, so switching back after a switchover
/// flips the right way round.
#[tokio::test]
async fn a_failback_after_a_switchover_restores_the_first_primary() {
    let w = world().await;
    let mut ops = ops(&w).await;
    switchover(&mut ops, &plan(), |_| {}).await.unwrap();
    let back = SwitchoverPlan { from: plan().to, to: plan().from, ..plan() };
    switchover(&mut ops, &back, |_| {}).await.unwrap();
    assert!(!replica(&w.api, "web-db-fsn") && replica(&w.api, "web-db-hel"));
    assert_eq!(w.witness.read().await.unwrap().holder.as_deref(), Some("hz-fsn-rtz-prod"));
    assert_eq!(audit_count(&w).await, 2);
}

/// No NATS configured: the switchover fails at step 1, before anything changes (the platform
/// found out at step 7 and rolled a live promotion back).
#[tokio::test]
async fn without_an_audit_sink_nothing_changes() {
    let w = world().await;
    let before = w.api.object("postgresql.cnpg.io/clusters/acme/web-db-fsn").unwrap();
    let mut ops = KubeOps::new(
        w.api.client(),
        targets(),
        w.witness.clone(),
        PdmClient::new(PdmConfig::new(w.pdm.url())).unwrap(),
        continuum_controller::audit::NoAudit,
    );
    let err = switchover(&mut ops, &plan(), |_| {}).await.unwrap_err();
    assert_eq!(err.failed, Step::ValidateLease);
    assert_eq!(
        err.to_string(),
        "SwitchoverFailed at step 1/7 — validate-lease: audit events cannot be recorded: no NATS configured for audit events"
    );
    assert!(w.pdm.commits().is_empty());
    assert_eq!(w.api.object("postgresql.cnpg.io/clusters/acme/web-db-fsn").unwrap(), before);
    assert_eq!(w.witness.read().await.unwrap().holder.as_deref(), Some("hz-fsn-rtz-prod"));
}
