//! What the blueprint-controller makes of a `Blueprint` (SPEC CTRL-2, as the platform runs it):
//! the verdict of the one rule set (catalyst-blueprint's model and the CRD's schema, exactly
//! what `catalyst validate` and `catalyst blueprint lint` apply, and the platform's topology
//! schema `blueprint-topology.json`), the mirror into the Gitea org
//! `catalog` (one repository per Blueprint, `blueprint.yaml` on `main`), and the status. Pure:
//! the controller calls it.
//!
//! ```
//! use std::collections::BTreeSet;
//! use catalyst_core::catalog::{Mirror, judge};
//! use serde_json::json;
//!
//! let bp = json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Blueprint",
//!     "metadata": {"name": "bp-wordpress"},
//!     "spec": {"version": "1.2.3", "visibility": "listed", "card": {"title": "WordPress"}}});
//! let verdict = judge(&bp, &BTreeSet::new());
//! assert!(verdict.errors.is_empty(), "{:?}", verdict.errors);
//! assert!(matches!(verdict.mirror, Some(Mirror::Write { ref message, .. }) if message == "publish bp-wordpress @ 1.2.3"));
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

/// The Gitea org of the mirror.
pub const CATALOG_ORG: &str = "catalog";
/// The file each mirror repository holds.
pub const MIRROR_FILE: &str = "blueprint.yaml";
/// The mirror repositories' description.
pub const MIRROR_DESCRIPTION: &str =
    "Catalyst Blueprint mirror — auto-managed by blueprint-controller. Do not edit manually.";

/// What the mirror does for a Blueprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mirror {
    /// `listed`: write `blueprint.yaml` (no commit when the bytes are equal).
    Write {
        /// The file's bytes.
        bytes: String,
        /// `publish <name> @ <version>`.
        message: String,
    },
    /// `unlisted` (`unlist <name>`) or `private` (`withdraw <name>`): delete `blueprint.yaml`
    /// (an absent file is fine).
    Delete {
        /// The commit message.
        message: String,
    },
}

/// The verdict on one Blueprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The Blueprint's name (the mirror repository).
    pub name: String,
    /// `path: message` of every error; any error means phase `Draft` and nothing written.
    pub errors: Vec<String>,
    /// `path: message` of every warning (condition `Warning/ValidationWarning`).
    pub warnings: Vec<String>,
    /// Dependencies not in the catalog (condition `Pending/PendingDependencies`); they do not
    /// block the mirror.
    pub pending: Vec<String>,
    /// `listed`, `unlisted` or `private` (the platform's controller defaults to `listed`).
    pub visibility: String,
    /// What to do in Gitea; `None` when there are errors.
    pub mirror: Option<Mirror>,
}

/// The platform's schema gate for `spec.topology`, `spec.endpoints`, `spec.sso`,
/// `spec.multiInstance` and `spec.backingServices` (its `blueprint-topology.json`, the same
/// file its admission webhook and CI enforce), as data.
const TOPOLOGY_SCHEMA: &str = include_str!("../schemas/blueprint-topology.json");

/// The topology schema's findings on a Blueprint document (`topology schema: at /spec/…: …`).
pub fn topology_findings(doc: &Value) -> Vec<String> {
    static SCHEMA: std::sync::OnceLock<Result<Value, String>> = std::sync::OnceLock::new();
    let schema = SCHEMA.get_or_init(|| serde_json::from_str(TOPOLOGY_SCHEMA).map_err(|e| e.to_string()));
    let found = match schema {
        Ok(schema) => crate::apps::check_parameters(schema, doc),
        Err(e) => Err(Err(e.clone())),
    };
    match found {
        Ok(()) => Vec::new(),
        Err(Ok(messages)) => messages.into_iter().map(|m| format!("topology schema: {m}")).collect(),
        Err(Err(e)) => vec![format!("topology schema: unusable: {e}")],
    }
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

/// Judges a Blueprint document against the one rule set, with `catalog` the names of the
/// Blueprints the cluster holds (for pending dependencies).
pub fn judge(object: &Value, catalog: &BTreeSet<String>) -> Verdict {
    // The status is what controllers and CI wrote (`publishedAt`, `ociDigest` …), not what the
    // author wrote: the rule set judges the rest.
    let mut judged = object.clone();
    if let Some(o) = judged.as_object_mut() {
        o.remove("status");
    }
    let doc = &judged;
    let name = text(doc, "/metadata/name").to_owned();
    let (model, diagnostics) = match catalyst_blueprint::Blueprint::from_value(doc, None) {
        Ok(bp) => {
            let d = bp.warnings.clone();
            (Some(bp), d)
        }
        Err(all) => (None, all),
    };
    let model_list: Vec<catalyst_blueprint::Diagnostic> = diagnostics.iter().cloned().collect();
    let schema = crate::crd::blueprint_lint_findings(doc, &model_list);
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    for d in model_list.iter().chain(&schema) {
        let line = format!("{}: {}", d.path, d.message);
        if d.is_error() { errors.push(line) } else { warnings.push(line) }
    }
    errors.extend(topology_findings(doc));
    let visibility = match text(doc, "/spec/visibility") {
        "" => "listed".to_owned(),
        v => v.to_owned(),
    };
    if !matches!(visibility.as_str(), "listed" | "unlisted" | "private") {
        errors.push(format!("spec.visibility: unknown visibility {visibility:?}"));
    }
    let pending: Vec<String> = model
        .as_ref()
        .map(|bp| {
            bp.depends
                .iter()
                .map(|d| d.blueprint.to_string())
                .filter(|d| !catalog.contains(d))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        })
        .unwrap_or_default();
    let mirror = (errors.is_empty()).then(|| {
        let version = model.as_ref().map(|bp| bp.version.to_string()).unwrap_or_default();
        match visibility.as_str() {
            "listed" => {
                Mirror::Write { bytes: mirror_bytes(doc), message: format!("publish {name} @ {version}") }
            }
            "unlisted" => Mirror::Delete { message: format!("unlist {name}") },
            _ => Mirror::Delete { message: format!("withdraw {name}") },
        }
    });
    Verdict { name, errors, warnings, pending, visibility, mirror }
}

/// Every map of `v` with its keys sorted (as Go's `yaml.Marshal` of JSON writes them).
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let ordered: BTreeMap<&String, Value> = m.iter().map(|(k, v)| (k, sorted(v))).collect();
            let mut out = Map::new();
            for (k, v) in ordered {
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The bytes of `blueprint.yaml`: the object's `apiVersion`, `kind`, `metadata` (name, labels
/// and annotations other than `kubectl.kubernetes.io/last-applied-configuration`; empty ones
/// left out) and `spec`, keys sorted; status and server metadata never.
pub fn mirror_bytes(doc: &Value) -> String {
    let mut metadata = json!({"name": doc["metadata"]["name"]});
    if let Some(labels) = doc["metadata"]["labels"].as_object().filter(|l| !l.is_empty()) {
        metadata["labels"] = Value::Object(labels.clone());
    }
    if let Some(annotations) = doc["metadata"]["annotations"].as_object() {
        let kept: Map<String, Value> = annotations
            .iter()
            .filter(|(k, _)| *k != "kubectl.kubernetes.io/last-applied-configuration")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !kept.is_empty() {
            metadata["annotations"] = Value::Object(kept);
        }
    }
    let mirror = json!({"apiVersion": doc["apiVersion"], "kind": doc["kind"], "metadata": metadata, "spec": doc["spec"]});
    serde_saphyr::to_string(&sorted(&mirror)).unwrap_or_default()
}

/// The status after a pass: `phase` (`Draft` with errors; else `Withdrawn` for private,
/// `Published` otherwise; a `Deprecated` phase is kept), `publishedAt` stamped once on the
/// first move into `Published`, `observedGeneration`, and the conditions `Ready`,
/// `Pending/PendingDependencies`, `Warning/ValidationWarning`; every other key (`ociDigest`, …)
/// is kept. `write_failed` is the Gitea error of the mirror, if any (`Draft/GiteaWriteFailed`).
pub fn next_status(
    prev: &Value,
    v: &Verdict,
    generation: Option<i64>,
    now: &str,
    write_failed: Option<&str>,
) -> Value {
    let mut status = prev.as_object().cloned().map_or_else(|| json!({}), Value::Object);
    let old_phase = prev.get("phase").and_then(Value::as_str).unwrap_or_default().to_owned();
    let (phase, ready, reason, message) = if !v.errors.is_empty() {
        ("Draft".to_owned(), "False", "ValidationFailed", v.errors.join("; "))
    } else if let Some(e) = write_failed {
        // A Gitea outage does not undo a deprecation.
        let phase = if old_phase == "Deprecated" { old_phase.clone() } else { "Draft".to_owned() };
        (phase, "False", "GiteaWriteFailed", e.to_owned())
    } else {
        let phase = if old_phase == "Deprecated" {
            old_phase.clone()
        } else if v.visibility == "private" {
            "Withdrawn".to_owned()
        } else {
            "Published".to_owned()
        };
        (phase, "True", "Ready", format!("blueprint {} mirrored (visibility={})", v.name, v.visibility))
    };
    if phase == "Published"
        && old_phase != "Published"
        && status.get("publishedAt").is_none_or(Value::is_null)
    {
        status["publishedAt"] = json!(now);
    }
    status["phase"] = json!(phase);
    status["observedGeneration"] = json!(generation);
    let prev_conditions: Vec<Value> =
        prev.get("conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut conditions: Vec<Value> = prev_conditions
        .iter()
        .filter(|c| !matches!(c["type"].as_str(), Some("Ready" | "Pending" | "Warning")))
        .cloned()
        .collect();
    let mut push = |type_: &str, status: &str, reason: &str, message: String| {
        // The transition time moves only when the condition changed.
        let same = prev_conditions.iter().find(|c| {
            c["type"] == type_
                && c["status"] == status
                && c["reason"] == reason
                && c["message"] == message.as_str()
        });
        let at = same.and_then(|c| c.get("lastTransitionTime").cloned()).unwrap_or_else(|| json!(now));
        conditions.push(json!({"type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": at}));
    };
    push("Ready", ready, reason, message);
    if !v.pending.is_empty() {
        push(
            "Pending",
            "True",
            "PendingDependencies",
            format!("unresolved dependencies: {}", v.pending.join(", ")),
        );
    }
    if !v.warnings.is_empty() {
        push("Warning", "True", "ValidationWarning", v.warnings.join("; "));
    }
    status["conditions"] = Value::Array(conditions);
    status
}
