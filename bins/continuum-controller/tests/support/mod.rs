//! The continuum-controller's test world: the in-memory Kubernetes API holding a Continuum,
//! its CNPG pair and HTTPRoute; the PDM stand-in; a real nats-server with the audit stream;
//! a manual clock.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use catalyst_core::witness::{Clock, ManualClock};
use catalyst_dns::pdm::{PdmClient, PdmConfig};
use catalyst_testkit::kube::{ApiRequest, FakeApi};
use catalyst_testkit::pdm::PdmServer;
use continuum_controller::audit::{AUDIT_SUBJECT, Audit, NatsAudit};
use continuum_controller::worker::{Context, Settings};
use serde_json::{Value, json};

pub const KEY: &str = "dr.openova.io/continuums/acme/web-dr";
pub const FSN_DB: &str = "postgresql.cnpg.io/clusters/acme/web-db-fsn";
pub const HEL_DB: &str = "postgresql.cnpg.io/clusters/acme/web-db-hel";
pub const ROUTE: &str = "gateway.networking.k8s.io/httproutes/acme/web";
pub const LEASE: &str = "cw-acme-web-dr";
pub const FSN: &str = "hz-fsn-rtz-prod";
pub const HEL: &str = "hz-hel-rtz-prod";

pub fn continuum() -> Value {
    json!({
        "apiVersion": "dr.openova.io/v1", "kind": "Continuum",
        "metadata": {"name": "web-dr", "namespace": "acme", "uid": "uid-web-dr", "generation": 1},
        "spec": {
            "applicationRef": "web",
            "primaryRegion": FSN,
            "hotStandbyRegions": [HEL],
            "leaseClient": {"kind": "k8s-lease", "config": {"ttlSeconds": 30, "renewSeconds": 10}},
            "regions": [{"name": FSN, "lbIPs": ["127.0.1.1"]}, {"name": HEL, "lbIPs": ["127.0.2.1"]}],
            "luaRecord": {"healthCheck": {"url": "https://probe-fsn.acme.example/healthz"}, "hostnames": ["web.acme.example"]},
            "pdmZone": "acme.example",
            "cnpgPair": {"name": "web-db"},
            "httpRoute": {"name": "web"},
            "rto": "60s",
            "standbyGraceSeconds": 15,
            "switchover": {"drainSeconds": 0},
        },
    })
}

pub fn cluster(name: &str, role: &str, replica: bool, ready: bool) -> Value {
    json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": name, "namespace": "acme", "labels": {"catalyst.openova.io/cnpg-pair": "web-db", "openova.io/cnpg-role": role}},
        "spec": {"instances": 2, "replica": {"enabled": replica}},
        "status": {"readyInstances": 2, "lag": 1, "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
    })
}

pub fn route() -> Value {
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "acme"},
        "spec": {"rules": [{"backendRefs": [{"name": format!("web-{FSN}"), "port": 80, "weight": 1}, {"name": format!("web-{HEL}"), "port": 80, "weight": 0}]}]},
    })
}

pub struct World {
    pub api: FakeApi,
    pub pdm: PdmServer,
    pub nats: catalyst_testkit::nats::Nats,
    pub clock: ManualClock,
}

pub async fn world(with_stream: bool) -> World {
    let api = FakeApi::default();
    api.put_object(&continuum());
    api.put_object(&cluster("web-db-fsn", "primary", false, true));
    api.put_object(&cluster("web-db-hel", "replica", true, true));
    api.put_object(&route());
    let nats = catalyst_testkit::nats::Nats::start();
    if with_stream {
        let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
        js.create_stream(stream::Config {
            name: "CATALYST_AUDIT".into(),
            subjects: vec![AUDIT_SUBJECT.into()],
            ..Default::default()
        })
        .await
        .unwrap();
    }
    World {
        api,
        pdm: PdmServer::start().await,
        nats,
        clock: ManualClock::new("2026-12-07T10:00:00Z".parse().unwrap()),
    }
}

pub async fn context(w: &World, region: Option<&str>) -> Arc<Context> {
    let audit =
        Audit::Nats(Box::new(NatsAudit::connect(&w.nats.url(), Duration::from_secs(5)).await.unwrap()));
    context_with(w, region, audit)
}

pub fn context_with(w: &World, region: Option<&str>, audit: Audit) -> Arc<Context> {
    let settings = Settings { region: region.map(str::to_owned), lease_namespace: None };
    let pdm = PdmClient::new(PdmConfig::new(w.pdm.url())).unwrap();
    let mut ctx = Context::new(w.api.client(), Some(pdm), audit, settings);
    ctx.clock = Arc::new(w.clock.clone()) as Arc<dyn Clock>;
    Arc::new(ctx)
}

/// The audit events stored in JetStream, as (type, body).
pub async fn audits(w: &World) -> Vec<(String, Value)> {
    let js = jetstream::new(async_nats::connect(w.nats.url()).await.unwrap());
    let Ok(stream) = js.get_stream("CATALYST_AUDIT").await else { return Vec::new() };
    let mut out = Vec::new();
    let last = stream.cached_info().state.last_sequence;
    for seq in 1..=last {
        let msg = stream.get_raw_message(seq).await.unwrap();
        let body: Value = serde_json::from_slice(&msg.payload).unwrap();
        out.push((body["type"].as_str().unwrap().to_owned(), body));
    }
    out
}

pub async fn audit_types(w: &World) -> Vec<String> {
    audits(w).await.into_iter().map(|(t, _)| t).collect()
}

pub fn status(w: &World) -> Value {
    w.api.object(KEY).unwrap()["status"].clone()
}

pub fn condition(w: &World, type_: &str) -> (String, String, String) {
    let st = status(w);
    let c = st["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == type_)
        .unwrap_or_else(|| panic!("no {type_}: {st}"))
        .clone();
    (
        c["status"].as_str().unwrap().to_owned(),
        c["reason"].as_str().unwrap().to_owned(),
        c["message"].as_str().unwrap().to_owned(),
    )
}

/// Writes since request number `from`, as `METHOD path`.
pub fn writes_since(api: &FakeApi, from: usize) -> Vec<String> {
    api.requests()[from..]
        .iter()
        .filter(|r: &&ApiRequest| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

pub fn holder(api: &FakeApi) -> Option<String> {
    api.lease("acme", LEASE).and_then(|l| l["spec"]["holderIdentity"].as_str().map(str::to_owned))
}

pub fn request_switchover(w: &World) {
    w.api.patch_object(KEY, &json!({"spec": {"switchover": {"requested": true, "requestedBy": "alice"}}}));
}
