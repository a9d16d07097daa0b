//! SPEC CONT-3 steps 2, 3 and 6 on real object shapes: each edit validates against the
//! upstream CRD (`../shared/fixtures/upstream-crds`: Gateway API HTTPRoute, CNPG Cluster) and
//! its undo restores the object exactly.

#![allow(clippy::unwrap_used)]

use catalyst_core::schema::{FieldPath, check};
use continuum_controller::objects::{
    CORDON_ANNOTATION, cordon, demote_back, drain, is_replica, promote, route_to, uncordon, undrain,
};
use serde_json::{Value, json};

/// The `v1` (served, stored) schema of an upstream CRD file.
fn schema(file: &str) -> Value {
    let text = std::fs::read_to_string(catalyst_testkit::fixture(&format!("upstream-crds/{file}"))).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
    let crd = docs.into_iter().find(|d| d["kind"] == "CustomResourceDefinition").unwrap();
    let versions = crd["spec"]["versions"].as_array().unwrap();
    let v1 = versions.iter().find(|v| v["name"] == "v1").unwrap();
    v1["schema"]["openAPIV3Schema"].clone()
}

fn errors(schema: &Value, obj: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(schema, obj, &FieldPath::root(), &mut out);
    out.iter().filter(|d| d.is_error()).map(ToString::to_string).collect()
}

fn cluster(name: &str, role: &str, replica: bool) -> Value {
    json!({
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": name, "namespace": "acme", "labels": {"catalyst.openova.io/cnpg-pair": "web-db", "openova.io/cnpg-role": role}},
        "spec": {"instances": 2, "storage": {"size": "10Gi"}, "replica": {"enabled": replica, "source": "web-db-origin"}},
    })
}

fn route() -> Value {
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "acme"},
        "spec": {
            "parentRefs": [{"name": "public"}],
            "hostnames": ["web.acme.example"],
            "rules": [
                {"backendRefs": [{"name": "web-hz-fsn-rtz-prod", "port": 80, "weight": 90}, {"name": "web-hz-hel-rtz-prod", "port": 80, "weight": 10}]},
                {"backendRefs": [{"name": "static", "port": 80}, {"name": "api-hz-fsn-rtz-prod", "port": 8080}]},
            ],
        },
    })
}

#[test]
fn cordon_and_promote_keep_valid_clusters_and_undo_exactly() {
    let cnpg = schema("postgresql.cnpg.io_clusters.yaml");
    let (mut fsn, mut hel) =
        (cluster("web-db-fsn", "primary", false), cluster("web-db-hel", "replica", true));
    let (fsn0, hel0) = (fsn.clone(), hel.clone());
    assert_eq!(errors(&cnpg, &fsn), Vec::<String>::new());
    cordon(&mut fsn);
    assert_eq!(fsn["metadata"]["annotations"][CORDON_ANNOTATION], "switchover-pending");
    assert_eq!(errors(&cnpg, &fsn), Vec::<String>::new());
    promote(&mut fsn, &mut hel);
    assert!(is_replica(&fsn) && !is_replica(&hel));
    assert!(fsn["metadata"]["annotations"].get(CORDON_ANNOTATION).is_none());
    assert_eq!((errors(&cnpg, &fsn), errors(&cnpg, &hel)), (vec![], vec![]));
    // Idempotent: a retried step changes nothing more.
    let once = (fsn.clone(), hel.clone());
    promote(&mut fsn, &mut hel);
    assert_eq!((fsn.clone(), hel.clone()), once);
    // Undo in reverse: step 6, then step 2.
    demote_back(&mut fsn, &mut hel);
    uncordon(&mut fsn);
    assert_eq!(hel, hel0);
    assert_eq!(fsn["spec"], fsn0["spec"]);
    assert_eq!(fsn["metadata"]["annotations"], json!({}));
    // A malformed object is left alone, never a panic.
    let mut odd = json!({"metadata": "x", "spec": 3});
    cordon(&mut odd);
    promote(&mut odd.clone(), &mut odd);
}

#[test]
fn drain_restores_each_backend_to_its_own_weight() {
    let gw = schema("gateway.networking.k8s.io_httproutes.yaml");
    let mut r = route();
    assert_eq!(errors(&gw, &r), Vec::<String>::new());
    // The schema check is live: a weight out of the CRD's range is an error.
    let mut bad = route();
    bad["spec"]["rules"][0]["backendRefs"][0]["weight"] = json!(1_000_001);
    assert_eq!(errors(&gw, &bad).len(), 1, "{:?}", errors(&gw, &bad));
    let drained = drain(&mut r, "hz-fsn-rtz-prod");
    assert_eq!(drained.weights, [(0, 0, Some(90)), (1, 1, None)]);
    assert_eq!(r["spec"]["rules"][0]["backendRefs"][0]["weight"], 0);
    assert_eq!(r["spec"]["rules"][0]["backendRefs"][1]["weight"], 10, "the standby keeps its weight");
    assert_eq!(
        r["spec"]["rules"][1]["backendRefs"][0].get("weight"),
        None,
        "an unrelated backend is untouched"
    );
    assert_eq!(errors(&gw, &r), Vec::<String>::new());
    let mut back = r.clone();
    undrain(&mut back, &drained);
    assert_eq!(back, route(), "the platform wrote weights back positionally; each goes to its own place");
    // After success: the new primary gets the old primary's weight.
    route_to(&mut r, "hz-hel-rtz-prod", &drained);
    assert_eq!(r["spec"]["rules"][0]["backendRefs"][1]["weight"], 90);
    assert_eq!(r["spec"]["rules"][0]["backendRefs"][0]["weight"], 0);
    assert_eq!(errors(&gw, &r), Vec::<String>::new());
    // No backend of the old primary: everything drains (the platform's rule), and comes back.
    let mut r = route();
    let all = drain(&mut r, "hz-nbg-rtz-prod");
    assert_eq!(all.weights.len(), 4);
    undrain(&mut r, &all);
    assert_eq!(r, route());
}
