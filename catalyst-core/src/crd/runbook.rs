//! `Runbook.catalyst.openova.io/v1` (SPEC CORE-1): auto-remediation hooks.
//!
//! Two shapes are in use: the CRD's single `trigger` + `action`, and the SRE document's
//! `triggers[]` + `preconditions[]` + `steps[]` + `rollback`. Both are typed; validation
//! requires one complete shape.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Extra;
use crate::conditions::Condition;
#[allow(clippy::wildcard_imports, unused_imports, reason = "the rules share one vocabulary")]
use crate::validate::prelude::*;

/// An auto-remediation hook: what fires it and what it does.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "catalyst.openova.io",
    version = "v1",
    kind = "Runbook",
    namespaced,
    status = "RunbookStatus",
    derive = "PartialEq",
    shortname = "rb",
    shortname = "rbs",
    category = "catalyst",
    category = "openova",
    doc = "An auto-remediation hook: a trigger and the action (or steps) it runs.",
    printcolumn(name = "Trigger", type_ = "string", json_path = ".spec.trigger.kind"),
    printcolumn(name = "Action", type_ = "string", json_path = ".spec.action.kind"),
    printcolumn(name = "Last", type_ = "date", json_path = ".status.lastFiredAt", priority = "1"),
    printcolumn(name = "Fires", type_ = "integer", json_path = ".status.fireCount", priority = "1"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct RunbookSpec {
    /// What the Runbook is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub description: Option<String>,
    /// What fires it (CRD shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<RunbookTrigger>,
    /// What it does (CRD shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<RunbookAction>,
    /// Minimum time between two firings (`10m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(s|m|h)$"))]
    pub cooldown: Option<String>,
    /// What fires it (document shape), e.g. `{alertName: OpenBaoSealed}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<serde_json::Value>,
    /// Checks before the steps run (document shape).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preconditions: Vec<serde_json::Value>,
    /// Steps (document shape): `{run: …}` / `{verify: …}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<serde_json::Value>,
    /// What to do when a step fails (document shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
    /// Fields not modelled here (`approval`, …).
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// The CRD shape's trigger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct RunbookTrigger {
    /// Trigger kind.
    pub kind: TriggerKind,
    /// Kind-specific settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub config: Option<serde_json::Value>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Trigger kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerKind {
    /// A firing Prometheus alert.
    PrometheusAlert,
    /// A custom resource's condition.
    CrCondition,
    /// A NATS event.
    NatsEvent,
    /// A schedule.
    Schedule,
}

/// The CRD shape's action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct RunbookAction {
    /// Action kind.
    pub kind: ActionKind,
    /// Kind-specific settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub config: Option<serde_json::Value>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Action kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// Scale a workload.
    Scale,
    /// Restart a workload.
    Restart,
    /// Roll back a release.
    Rollback,
    /// Run a Job.
    RunJob,
    /// Switch a Continuum over.
    Switchover,
    /// Publish to NATS.
    SendToNats,
    /// Open an incident.
    CreateIncident,
    /// Patch an object.
    Patch,
}

/// What the runbook controller observed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct RunbookStatus {
    /// Times fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub fire_count: Option<i64>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The generation the status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

impl RunbookSpec {
    /// An empty runbook; its parts are public fields.
    pub fn new() -> Self {
        Self {
            description: None,
            trigger: None,
            action: None,
            cooldown: None,
            triggers: Vec::new(),
            preconditions: Vec::new(),
            steps: Vec::new(),
            rollback: None,
            extra: Extra::default(),
        }
    }
}

// --- rules beyond the schema (catalyst validate) ---------------------------------------

pub(crate) fn check_runbook(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    let s = &rb.spec;
    let crd_shape = s.trigger.is_some() || s.action.is_some();
    let doc_shape = !s.triggers.is_empty() || !s.steps.is_empty();
    if crd_shape {
        if s.trigger.is_none() {
            out.push(error(spec().key("trigger"), Rule::Core1, "required together with spec.action"));
        }
        if s.action.is_none() {
            out.push(error(spec().key("action"), Rule::Core1, "required together with spec.trigger"));
        }
    } else if doc_shape {
        if s.triggers.is_empty() {
            out.push(error(spec().key("triggers"), Rule::Core1, "required together with spec.steps"));
        }
        if s.steps.is_empty() {
            out.push(error(spec().key("steps"), Rule::Core1, "required together with spec.triggers"));
        }
    } else {
        out.push(error(spec(), Rule::Core1, "a Runbook needs trigger + action, or triggers + steps"));
    }
    if let Some(c) = &s.cooldown
        && let Err(e) = Duration::parse_units(c, "smh")
    {
        out.push(error(spec().key("cooldown"), Rule::Core1, e.to_string()));
    }
}

impl Default for RunbookSpec {
    fn default() -> Self {
        Self::new()
    }
}
