//! The application-controller's test world: the in-memory Kubernetes API with an Application's
//! parents, catalyst-gitea's test server with the org, and a context on a fixed clock.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::needless_pass_by_value)]

use std::sync::Arc;

use application_controller::reconcile::Context;
use catalyst_core::apps::AppsConfig;
use catalyst_testkit::gitea::Gitea;
use catalyst_testkit::kube::FakeApi;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{Value, json};

pub const KEY: &str = "apps.openova.io/applications/acme/site";
pub const HR_PATH: &str = "clusters/hetzner-fsn-rtz-prod/applications/site/helmrelease.yaml";

pub fn config() -> AppsConfig {
    AppsConfig {
        gitea_public_url: "https://gitea.test.openova.io".into(),
        gitea_in_cluster_url: "http://gitea.test.svc.cluster.local:3000".into(),
        flux_secret_ref: "openova-org-tenants-git-auth".into(),
        ..AppsConfig::default()
    }
}

pub fn application(name: &str, placement: &str, regions: &[&str], parameters: Value) -> Value {
    json!({
        "apiVersion": "apps.openova.io/v1", "kind": "Application",
        "metadata": {"name": name, "namespace": "acme", "uid": format!("uid-{name}"), "generation": 1},
        "spec": {"environmentRef": "acme-prod", "blueprintRef": {"name": "bp-wordpress", "version": "1.2.3"},
                 "placement": placement, "regions": regions, "parameters": parameters},
    })
}

pub struct World {
    pub api: FakeApi,
    pub gitea: Gitea,
    pub ctx: Context,
}

pub async fn world(parents: bool) -> World {
    let api = FakeApi::default();
    let gitea = Gitea::with_orgs(&["acme"]).await;
    api.put_object(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme", "labels": {"openova.io/organization": "acme"}}}));
    if parents {
        api.insert("apiVersion: catalyst.openova.io/v1\nkind: Environment\nmetadata: {name: acme-prod}\nspec: {organizationRef: acme, envType: prod}\n");
        api.put_object(&json!({"apiVersion": "orgs.openova.io/v1", "kind": "Organization", "metadata": {"name": "acme"}}));
        api.put_object(&json!({
            "apiVersion": "catalyst.openova.io/v1", "kind": "Blueprint", "metadata": {"name": "bp-wordpress"},
            "spec": {"manifests": {"chart": "./chart"},
                     "placementSchema": {"modes": ["single-region", "active-active", "active-hotstandby"]},
                     "configSchema": {"type": "object", "properties": {"replicas": {"type": "integer"}}}},
            "status": {"ociDigest": "sha256:abcdef0123456789"},
        }));
    }
    let mut ctx = Context::new(
        api.client(),
        gitea.client.clone(),
        config(),
        catalyst_gitea::Identity { name: "test-bot".into(), email: "test-bot@openova.io".into() },
    );
    ctx.clock = Arc::new(|| Time("2026-12-07T10:00:00Z".parse().unwrap()));
    World { api, gitea, ctx }
}

pub fn status(w: &World, key: &str) -> Value {
    w.api.object(key).unwrap()["status"].clone()
}

pub fn ready(w: &World, key: &str) -> (String, String, String) {
    let st = status(w, key);
    let c = st["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap().clone();
    (
        c["status"].as_str().unwrap().into(),
        c["reason"].as_str().unwrap().into(),
        c["message"].as_str().unwrap().into(),
    )
}

pub fn kube_writes(w: &World) -> Vec<String> {
    w.api.writes().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect()
}
