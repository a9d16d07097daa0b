//! The blueprint-controller's test world: the in-memory Kubernetes API, catalyst-gitea's test
//! server with the org `catalog`, and a context on a fixed clock.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::needless_pass_by_value)]

use std::sync::Arc;

use blueprint_controller::reconcile::Context;
use catalyst_testkit::gitea::Gitea;
use catalyst_testkit::kube::FakeApi;
use serde_json::{Value, json};

pub fn key(name: &str) -> String {
    format!("catalyst.openova.io/v1/blueprints/{name}")
}

pub fn blueprint(name: &str, visibility: &str, extra: Value) -> Value {
    let mut spec = json!({"version": "1.4.0", "visibility": visibility, "card": {"title": "Shop"}});
    spec.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Blueprint",
           "metadata": {"name": name, "uid": format!("uid-{name}"), "generation": 1}, "spec": spec})
}

pub struct World {
    pub api: FakeApi,
    pub gitea: Gitea,
    pub ctx: Context,
}

pub async fn world() -> World {
    let api = FakeApi::default();
    let gitea = Gitea::with_orgs(&["catalog"]).await;
    let mut ctx = Context::new(
        api.client(),
        Some(gitea.client.clone()),
        catalyst_gitea::Identity { name: "test-bot".into(), email: "test-bot@openova.io".into() },
    );
    ctx.clock = Arc::new(|| "2026-12-07T10:00:00Z".to_owned());
    World { api, gitea, ctx }
}

pub fn status(w: &World, name: &str) -> Value {
    w.api.object(&key(name)).unwrap()["status"].clone()
}
