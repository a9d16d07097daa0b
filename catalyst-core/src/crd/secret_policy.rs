//! `SecretPolicy.catalyst.openova.io/v1` (SPEC CORE-1): secret rotation rules.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Extra, NamespacedRef};
use crate::conditions::Condition;
#[allow(clippy::wildcard_imports, unused_imports, reason = "the rules share one vocabulary")]
use crate::validate::prelude::*;

/// Rotation rules for secrets matching label selectors.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "catalyst.openova.io",
    version = "v1",
    kind = "SecretPolicy",
    status = "SecretPolicyStatus",
    derive = "PartialEq",
    shortname = "secpol",
    shortname = "secpols",
    category = "catalyst",
    category = "openova",
    doc = "Rotation rules (ttl, action) for secrets matching label selectors.",
    printcolumn(name = "Rotations", type_ = "integer", json_path = ".status.rotationCount"),
    printcolumn(name = "NextDue", type_ = "date", json_path = ".status.nextRotationDue", priority = "1"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct SecretPolicySpec {
    /// Rotation rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rotation: Vec<RotationRule>,
    /// Fields not modelled here (the document shape's `appliesTo` / `rules`).
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// One rotation rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct RotationRule {
    /// Secret kind (`database-credentials`, `api-token`, …).
    pub kind: String,
    /// Which secrets the rule covers.
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub label_selector: serde_json::Value,
    /// Maximum age (`90d`).
    #[schemars(regex(pattern = r"^[0-9]+(s|m|h|d)$"))]
    pub ttl: String,
    /// What happens at expiry (default `warn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "warn"))]
    pub action: Option<RotationAction>,
    /// Time allowed after expiry before `block` bites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(s|m|h|d)$"))]
    pub grace_period: Option<String>,
    /// The handler that rotates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler_ref: Option<NamespacedRef>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Actions at expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RotationAction {
    /// Rotate the secret.
    Rotate,
    /// Raise a warning.
    Warn,
    /// Block workloads that use it.
    Block,
}

/// What the secret-policy controller observed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct SecretPolicyStatus {
    /// Rotations performed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub rotation_count: Option<i64>,
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

impl SecretPolicySpec {
    /// A policy with no rotation rules yet.
    pub fn new() -> Self {
        Self { rotation: Vec::new(), extra: Extra::default() }
    }
}

// --- rules beyond the schema (catalyst validate) ---------------------------------------

pub(crate) fn check_secret_policy(policy: &SecretPolicy, out: &mut Vec<Diagnostic>) {
    for (i, rule) in policy.spec.rotation.iter().enumerate() {
        let path = spec().key("rotation").index(i);
        let ttl = match Duration::parse(&rule.ttl) {
            Ok(d) if d.is_zero() => {
                out.push(error(path.key("ttl"), Rule::Core1, "must be longer than zero"));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                out.push(error(path.key("ttl"), Rule::Core1, e.to_string()));
                None
            }
        };
        if let Some(grace) = &rule.grace_period {
            match Duration::parse(grace) {
                Ok(g) if ttl.is_some_and(|t| g >= t) => {
                    out.push(error(
                        path.key("gracePeriod"),
                        Rule::Core1,
                        format!("{grace} is not shorter than ttl {}", rule.ttl),
                    ));
                }
                Ok(_) => {}
                Err(e) => out.push(error(path.key("gracePeriod"), Rule::Core1, e.to_string())),
            }
        }
    }
}

impl Default for SecretPolicySpec {
    fn default() -> Self {
        Self::new()
    }
}
