//! The useraccess-controller's test world: the in-memory Kubernetes API with the role
//! catalogue installed, and a context on a fixed clock.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::needless_pass_by_value)]

use std::sync::Arc;

use catalyst_testkit::kube::FakeApi;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{Value, json};
use useraccess_controller::reconcile::Context;

pub fn ua_key(name: &str) -> String {
    format!("access.openova.io/v1alpha1/useraccesses/{name}")
}

pub fn rb_key(ns: &str, name: &str) -> String {
    format!("rbac.authorization.k8s.io/rolebindings/{ns}/{name}")
}

pub fn crb_key(name: &str) -> String {
    format!("rbac.authorization.k8s.io/v1/clusterrolebindings/{name}")
}

pub fn user_access(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "access.openova.io/v1alpha1", "kind": "UserAccess",
           "metadata": {"name": name, "uid": format!("uid-{name}"), "generation": 1}, "spec": spec})
}

pub fn namespace(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
}

pub struct World {
    pub api: FakeApi,
    pub ctx: Context,
}

pub fn world() -> World {
    let api = FakeApi::default();
    for role in catalyst_core::access::role_catalogue() {
        api.put_object(&role);
    }
    let mut ctx = Context::new(api.client());
    ctx.clock = Arc::new(|| Time("2026-12-07T10:00:00Z".parse().unwrap()));
    World { api, ctx }
}

pub fn condition(w: &World, ua: &str, type_: &str) -> Option<(String, String, String)> {
    let st = w.api.object(&ua_key(ua)).unwrap()["status"].clone();
    st["conditions"].as_array()?.iter().find(|c| c["type"] == type_).map(|c| {
        (
            c["status"].as_str().unwrap().into(),
            c["reason"].as_str().unwrap().into(),
            c["message"].as_str().unwrap().into(),
        )
    })
}

/// Every binding in the API, as `Kind ns/name -> role`.
pub fn bindings(w: &World) -> Vec<String> {
    w.api
        .objects_with_prefix("rbac.authorization.k8s.io/")
        .into_iter()
        .filter(|o| o["kind"] != "ClusterRole")
        .map(|o| {
            let ns = o["metadata"]["namespace"].as_str().map(|n| format!("{n}/")).unwrap_or_default();
            format!(
                "{} {ns}{} -> {}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap(),
                o["roleRef"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

pub fn kube_writes(w: &World) -> Vec<String> {
    w.api.writes().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect()
}
