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

/// What the registry says of a Blueprint's published artifact `bp-<name>:<version>`, when the
/// controller is configured to check it (beyond the platform: its controller trusts
/// `status.ociDigest` as CI wrote it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signature {
    /// Not checked (no registry configured, or nothing published: private, or invalid): no
    /// `SignatureVerified` condition, `ociDigest` as it was.
    NotChecked,
    /// Signed by a configured key, and the artifact is this Blueprint at this version:
    /// `SignatureVerified=True/Verified`, `ociDigest` = `digest`.
    Verified {
        /// The reference checked (`registry/bp-<name>:<version>`).
        reference: String,
        /// The artifact's manifest digest.
        digest: String,
        /// The name of the key that verified it.
        key: String,
    },
    /// Checked and refused (unsigned, signed by no configured key, signed for another
    /// artifact, not there): `SignatureVerified=False/<reason>`, `Ready=False/SignatureInvalid`,
    /// phase `Draft` (`Deprecated` kept), `ociDigest` removed (only a verified digest stands),
    /// and nothing published.
    Refused {
        /// Why, in one CamelCase word (`SignatureMissing`, `ReferenceMismatch`, …).
        reason: String,
        /// The verifier's message.
        message: String,
    },
    /// Could not be checked (registry unreachable or failing): `SignatureVerified=Unknown/
    /// RegistryUnavailable`, `Ready=False/RegistryUnavailable`, phase and `ociDigest` as they
    /// were, nothing published; retried.
    Unavailable {
        /// What failed.
        message: String,
    },
}

impl Signature {
    /// Whether publishing (writing `blueprint.yaml`) must wait: anything but verified or not
    /// checked. Taking a file down is never blocked.
    pub fn blocks_publish(&self) -> bool {
        matches!(self, Self::Refused { .. } | Self::Unavailable { .. })
    }
}

/// The status after a pass: `phase` (`Draft` with errors; else `Withdrawn` for private,
/// `Published` otherwise; a `Deprecated` phase is kept), `publishedAt` stamped once on the
/// first move into `Published`, `observedGeneration`, and the conditions `Ready`,
/// `Pending/PendingDependencies`, `Warning/ValidationWarning`; every other key (`ociDigest`, …)
/// is kept. `write_failed` is the Gitea error of the mirror, if any (`Draft/GiteaWriteFailed`).
/// [`next_status_signed`] with [`Signature::NotChecked`].
pub fn next_status(
    prev: &Value,
    v: &Verdict,
    generation: Option<i64>,
    now: &str,
    write_failed: Option<&str>,
) -> Value {
    next_status_signed(prev, v, generation, now, write_failed, &Signature::NotChecked)
}

/// [`next_status`] with the registry's word on the published artifact: the condition
/// `SignatureVerified` and `ociDigest` as [`Signature`] describes. A refused or unchecked
/// signature outranks a Gitea failure (nothing was published); validation errors outrank both.
pub fn next_status_signed(
    prev: &Value,
    v: &Verdict,
    generation: Option<i64>,
    now: &str,
    write_failed: Option<&str>,
    signature: &Signature,
) -> Value {
    let mut status = prev.as_object().cloned().map_or_else(|| json!({}), Value::Object);
    let old_phase = prev.get("phase").and_then(Value::as_str).unwrap_or_default().to_owned();
    // A failure does not undo a deprecation.
    let failed_phase = || if old_phase == "Deprecated" { old_phase.clone() } else { "Draft".to_owned() };
    let (phase, ready, reason, message) = if !v.errors.is_empty() {
        ("Draft".to_owned(), "False", "ValidationFailed", v.errors.join("; "))
    } else if let Signature::Refused { message, .. } = signature {
        (failed_phase(), "False", "SignatureInvalid", message.clone())
    } else if let Signature::Unavailable { message } = signature {
        let phase = if old_phase.is_empty() { "Draft".to_owned() } else { old_phase.clone() };
        (phase, "False", "RegistryUnavailable", message.clone())
    } else if let Some(e) = write_failed {
        (failed_phase(), "False", "GiteaWriteFailed", e.to_owned())
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
    // Validation errors outrank the check (which then did not run).
    if let Some(o) = status.as_object_mut().filter(|_| v.errors.is_empty()) {
        match signature {
            Signature::Verified { digest, .. } => {
                o.insert("ociDigest".to_owned(), json!(digest));
            }
            Signature::Refused { .. } => {
                o.remove("ociDigest");
            }
            Signature::NotChecked | Signature::Unavailable { .. } => {}
        }
    }
    if phase == "Published"
        && old_phase != "Published"
        && status.get("publishedAt").is_none_or(Value::is_null)
    {
        status["publishedAt"] = json!(now);
    }
    status["phase"] = json!(phase);
    // An unanswered check has not observed this generation: the digest and phase are the
    // previous one's.
    if !(v.errors.is_empty() && matches!(signature, Signature::Unavailable { .. })) {
        status["observedGeneration"] = json!(generation);
    }
    let prev_conditions: Vec<Value> =
        prev.get("conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut conditions: Vec<Value> = prev_conditions
        .iter()
        .filter(|c| {
            !matches!(c["type"].as_str(), Some("Ready" | "Pending" | "Warning" | "SignatureVerified"))
        })
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
    match signature {
        Signature::NotChecked => {}
        Signature::Verified { reference, digest, key } => push(
            "SignatureVerified",
            "True",
            "Verified",
            format!("{reference} is {digest}, signed with key {key}"),
        ),
        Signature::Refused { reason, message } => push("SignatureVerified", "False", reason, message.clone()),
        Signature::Unavailable { message } => {
            push("SignatureVerified", "Unknown", "RegistryUnavailable", message.clone());
        }
    }
    status["conditions"] = Value::Array(conditions);
    status
}
