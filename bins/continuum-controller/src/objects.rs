//! The Kubernetes objects a switchover changes, as pure edits (SPEC CONT-3 steps 2, 3, 6): the
//! CNPG `postgresql.cnpg.io/v1` Cluster pair and the Gateway API `gateway.networking.k8s.io/v1`
//! HTTPRoute. Each edit has its exact undo.

use serde_json::{Value, json};

/// The annotation that cordons the old primary's writes.
pub const CORDON_ANNOTATION: &str = "cnpg.io/cluster.primary";
/// Its value while a switchover runs.
pub const CORDON_VALUE: &str = "switchover-pending";
/// Label naming a Cluster's pair.
pub const PAIR_LABEL: &str = catalyst_naming::keys::CNPG_PAIR;
/// Label naming a Cluster's role: `primary` or `replica`.
pub const ROLE_LABEL: &str = catalyst_naming::keys::CNPG_ROLE;

/// Step 2: cordons writes on the old primary's Cluster.
pub fn cordon(cluster: &mut Value) {
    if let Some(a) = object_at(cluster, &["metadata", "annotations"]) {
        a.insert(CORDON_ANNOTATION.into(), CORDON_VALUE.into());
    }
}

/// Undoes [`cordon`]; idempotent.
pub fn uncordon(cluster: &mut Value) {
    if let Some(a) = cluster.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut) {
        a.remove(CORDON_ANNOTATION);
    }
}

/// The map at `path`, created where absent (or null); `None` when something on the way is
/// not a map (a malformed object is left alone rather than panicking).
fn object_at<'v>(obj: &'v mut Value, path: &[&str]) -> Option<&'v mut serde_json::Map<String, Value>> {
    let mut here = obj;
    for key in path {
        let map = here.as_object_mut()?;
        let next = map.entry((*key).to_owned()).or_insert_with(|| json!({}));
        if next.is_null() {
            *next = json!({});
        }
        here = next;
    }
    here.as_object_mut()
}

/// Whether a Cluster runs as a replica (`spec.replica.enabled`).
pub fn is_replica(cluster: &Value) -> bool {
    cluster.pointer("/spec/replica/enabled").and_then(Value::as_bool).unwrap_or(false)
}

/// Step 6: the standby becomes primary, the old primary a replica; the cordon is lifted.
/// Idempotent; [`demote_back`] is its undo.
pub fn promote(old_primary: &mut Value, new_primary: &mut Value) {
    uncordon(old_primary);
    set_replica(old_primary, true);
    set_replica(new_primary, false);
}

/// Undoes [`promote`]: the old primary writes again, the standby replicates; the cordon is
/// restored as it was before step 6 (step 2's undo lifts it).
pub fn demote_back(old_primary: &mut Value, new_primary: &mut Value) {
    set_replica(new_primary, true);
    set_replica(old_primary, false);
    cordon(old_primary);
}

fn set_replica(cluster: &mut Value, enabled: bool) {
    if let Some(replica) = object_at(cluster, &["spec", "replica"]) {
        replica.insert("enabled".into(), Value::Bool(enabled));
    }
}

/// What [`drain`] changed: (rule, backendRef, weight before; `None` when it had none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drained {
    /// Every backendRef set to 0, with its place and former weight.
    pub weights: Vec<(usize, usize, Option<i64>)>,
}

fn backend_refs(route: &mut Value) -> impl Iterator<Item = (usize, usize, &mut Value)> {
    route.pointer_mut("/spec/rules").and_then(Value::as_array_mut).into_iter().flatten().enumerate().flat_map(
        |(r, rule)| {
            rule.get_mut("backendRefs")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
                .enumerate()
                .map(move |(b, backend)| (r, b, backend))
        },
    )
}

/// Step 3: every backendRef whose name ends `-<from>` goes to weight 0; when none matches,
/// every backendRef does (the platform's rule). Returns what to restore.
pub fn drain(route: &mut Value, from: &str) -> Drained {
    let suffix = format!("-{from}");
    let matches = |b: &Value| b.get("name").and_then(Value::as_str).is_some_and(|n| n.ends_with(&suffix));
    let any = backend_refs(route).any(|(_, _, b)| matches(b));
    let mut drained = Drained::default();
    for (r, i, b) in backend_refs(route) {
        if !any || matches(b) {
            drained.weights.push((r, i, b.get("weight").and_then(Value::as_i64)));
            if let Some(o) = b.as_object_mut() {
                o.insert("weight".into(), json!(0));
            }
        }
    }
    drained
}

/// Undoes [`drain`]: each drained backendRef gets back its own former weight (or loses the
/// weight it did not have), by position; the platform wrote them back in order from the first
/// backendRef, which mis-assigns when only some were drained.
pub fn undrain(route: &mut Value, drained: &Drained) {
    for (r, i, b) in backend_refs(route) {
        if let Some((_, _, before)) = drained.weights.iter().find(|(wr, wi, _)| (*wr, *wi) == (r, i))
            && let Some(o) = b.as_object_mut()
        {
            match before {
                Some(w) => o.insert("weight".into(), json!(w)),
                None => o.remove("weight"),
            };
        }
    }
}

/// After a switchover: traffic goes to the new primary. Its backendRefs (`-<to>`) get the
/// weight the old primary's had (default 1); the old primary's stay at 0. The platform leaves
/// everything drained.
pub fn route_to(route: &mut Value, to: &str, drained: &Drained) {
    let weight = drained.weights.iter().find_map(|(_, _, w)| *w).filter(|w| *w > 0).unwrap_or(1);
    let suffix = format!("-{to}");
    for (_, _, b) in backend_refs(route) {
        if b.get("name").and_then(Value::as_str).is_some_and(|n| n.ends_with(&suffix))
            && let Some(o) = b.as_object_mut()
        {
            o.insert("weight".into(), json!(weight));
        }
    }
}
