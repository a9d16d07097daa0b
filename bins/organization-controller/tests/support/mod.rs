//! The organization-controller's test world: the in-memory Kubernetes API, catalyst-gitea's
//! test server (no orgs yet), the Keycloak stand-in, and a context on a fixed clock.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::needless_pass_by_value)]

use std::sync::Arc;
use std::time::Duration;

use catalyst_core::tenant::TenantConfig;
use catalyst_testkit::gitea::Gitea;
use catalyst_testkit::keycloak::Keycloak;
use catalyst_testkit::kube::FakeApi;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use organization_controller::keycloak::{ClientSecret, KeycloakAdmin};
use organization_controller::reconcile::Context;
use serde_json::{Value, json};

pub const ORG: &str = "orgs.openova.io/v1/organizations/acme";
pub const REALM: &str = "sovereign";

pub fn config() -> TenantConfig {
    let mut c = TenantConfig::new("ct-eu-mgt-prod");
    c.flux_secret_ref = "gitea-flux-token".into();
    c
}

pub fn organization(plan: &str, owners: &[(&str, &str)]) -> Value {
    let owners: Vec<Value> = owners.iter().map(|(e, r)| json!({"email": e, "role": r})).collect();
    json!({
        "apiVersion": "orgs.openova.io/v1", "kind": "Organization",
        "metadata": {"name": "acme", "uid": "uid-acme", "generation": 1},
        "spec": {"slug": "acme", "displayName": "Acme", "kind": "customer", "tier": "org", "planSlug": plan,
                 "billingMode": "real", "sovereignRef": "omantel.biz", "owners": owners},
    })
}

pub struct World {
    pub api: FakeApi,
    pub gitea: Gitea,
    pub keycloak: Keycloak,
    pub ctx: Context,
}

pub async fn world() -> World {
    let api = FakeApi::default();
    let gitea = Gitea::with_orgs(&[]).await;
    let keycloak = Keycloak::start(REALM, "organization-controller", "kc-secret").await;
    let admin = KeycloakAdmin::new(
        &keycloak.url(),
        REALM,
        "organization-controller",
        ClientSecret::new("kc-secret"),
        Duration::from_secs(5),
    )
    .unwrap();
    let mut ctx = Context::new(
        api.client(),
        gitea.client.clone(),
        Arc::new(admin),
        config(),
        catalyst_gitea::Identity { name: "test-bot".into(), email: "test-bot@openova.io".into() },
    );
    ctx.clock = Arc::new(|| Time("2026-12-07T10:00:00Z".parse().unwrap()));
    World { api, gitea, keycloak, ctx }
}

pub fn standard() -> Value {
    organization("m", &[("ops@acme.example", "owner"), ("dev@acme.example", "developer")])
}

pub fn status(w: &World) -> Value {
    w.api.object(ORG).unwrap()["status"].clone()
}

pub fn ready(w: &World) -> (String, String, String) {
    let st = status(w);
    let c = st["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap().clone();
    (
        c["status"].as_str().unwrap().into(),
        c["reason"].as_str().unwrap().into(),
        c["message"].as_str().unwrap().into(),
    )
}

/// What Flux and the vCluster would have done: the tenant namespace, the vCluster
/// HelmRelease Ready, and the quota objects.
pub fn vcluster_up(w: &World, quota: bool) {
    w.api.put_object(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme",
        "labels": {"openova.io/organization": "acme", "openova.io/managed-by": "catalyst"}}}));
    w.api.put_object(&json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "vcluster", "namespace": "acme"},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "InstallSucceeded"}]}}));
    if quota {
        w.api.put_object(&json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "plan-limits", "namespace": "acme"}}));
        w.api.put_object(&json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "plan-quota", "namespace": "acme"}}));
    }
}

pub fn kube_writes(w: &World) -> Vec<String> {
    w.api.writes().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect()
}
