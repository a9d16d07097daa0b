//! `EnvironmentPolicy.catalyst.openova.io/v1` (SPEC POL-1, POL-2).
//!
//! Two shapes are in use: the CRD's `promotion` / `compliance` maps (canonical, POL-1) and the
//! architecture document's `appliesTo` + `rules[]` (POL-2). Both are typed here; validation
//! checks each rule and [`EnvironmentPolicySpec::promotion_from_rules`] converts what has a
//! POL-1 equivalent.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Extra;
use crate::conditions::Condition;
use crate::text::Duration;
#[allow(clippy::wildcard_imports, unused_imports, reason = "the rules share one vocabulary")]
use crate::validate::prelude::*;

/// Promotion gates and compliance weights of an Environment.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "catalyst.openova.io",
    version = "v1",
    kind = "EnvironmentPolicy",
    status = "EnvironmentPolicyStatus",
    derive = "PartialEq",
    shortname = "envpol",
    shortname = "envpols",
    category = "catalyst",
    category = "openova",
    doc = "Promotion gates (approvers, soak, compliance score) and compliance weights of an Environment.",
    printcolumn(name = "Approvers", type_ = "integer", json_path = ".spec.promotion.requiredApprovers"),
    printcolumn(name = "SoakHrs", type_ = "integer", json_path = ".spec.promotion.soakHours"),
    printcolumn(name = "Policies", type_ = "integer", json_path = ".status.policyCount"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct EnvironmentPolicySpec {
    /// Promotion gates (POL-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion: Option<Promotion>,
    /// Compliance weights and modes (POL-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance: Option<Compliance>,
    /// The Environments this policy gates (POL-2 document shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to: Option<AppliesTo>,
    /// Rules (POL-2 document shape).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<PolicyRule>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Promotion gates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Promotion {
    /// Approvals needed (0 = automatic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10), extend("default" = 0))]
    pub required_approvers: Option<i64>,
    /// Hours a change must soak in the lower Environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 720), extend("default" = 0))]
    pub soak_hours: Option<i64>,
    /// Minimum compliance score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub required_compliance_score: Option<i64>,
}

/// Compliance weights and modes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct Compliance {
    /// Weight per policy name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<String, ComplianceWeight>,
    /// Mode per policy name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub modes: BTreeMap<String, ComplianceMode>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// The weight of one compliance policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceWeight {
    /// 0–100.
    #[schemars(range(min = 0, max = 100))]
    pub weight: i64,
    /// Which workloads it applies to (unset = all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<WeightScope>,
}

/// Workload scopes of a compliance weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WeightScope {
    /// Workloads with persistent volumes.
    Stateful,
    /// Workloads without.
    Stateless,
    /// Every workload.
    All,
}

/// Enforcement of a compliance policy (Kyverno `Audit` / `Enforce`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ComplianceMode {
    /// Report only.
    Permissive,
    /// Block.
    Enforcing,
}

/// `appliesTo` of the document shape.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct AppliesTo {
    /// Environment names (`acme-prod`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// The rule kinds of the document shape (POL-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// A pull request with approvals.
    PrRequired,
    /// A minimum compliance score.
    ReScoreGate,
    /// Time in the source Environment.
    Soak,
    /// Merges only inside a cron-defined window.
    ChangeWindow,
}

impl RuleKind {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PrRequired => "pr-required",
            Self::ReScoreGate => "re-score-gate",
            Self::Soak => "soak",
            Self::ChangeWindow => "change-window",
        }
    }
}

/// One rule of the document shape. Fields are per kind; validation names a missing one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct PolicyRule {
    /// The rule kind.
    pub kind: RuleKind,
    /// `pr-required`: approving teams.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    /// `pr-required`: approvals needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10))]
    pub min_approvals: Option<i64>,
    /// `re-score-gate`: minimum score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub min_score: Option<i64>,
    /// `re-score-gate`: `blocking` or `advisory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// `soak`: the Environment a change must soak in first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_environment: Option<String>,
    /// `soak` / `change-window`: a duration (`72h`, `2h`, `30m`, `7d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// `change-window`: five-field cron of the window's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

impl EnvironmentPolicySpec {
    /// The POL-1 promotion gates the document-shape rules imply (POL-2): `minApprovals` →
    /// `requiredApprovers`, `minScore` → `requiredComplianceScore`, a soak's duration →
    /// whole hours rounded up. Explicit `promotion` values win. Rules that do not parse are
    /// skipped (validation reports them).
    pub fn promotion_from_rules(&self) -> Promotion {
        let mut out = self.promotion.clone().unwrap_or_default();
        for rule in &self.rules {
            match rule.kind {
                RuleKind::PrRequired => {
                    if out.required_approvers.is_none() {
                        out.required_approvers = rule.min_approvals;
                    }
                }
                RuleKind::ReScoreGate => {
                    if out.required_compliance_score.is_none() {
                        out.required_compliance_score = rule.min_score;
                    }
                }
                RuleKind::Soak => {
                    if out.soak_hours.is_none()
                        && let Some(d) = rule.duration.as_deref().and_then(|d| Duration::parse(d).ok())
                    {
                        out.soak_hours = i64::try_from(d.whole_hours_rounded_up()).ok();
                    }
                }
                RuleKind::ChangeWindow => {}
            }
        }
        out
    }
}

/// What the policy controller observed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct EnvironmentPolicyStatus {
    /// Number of Kyverno policies rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub policy_count: Option<i64>,
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

impl EnvironmentPolicySpec {
    /// An empty policy; the sections are public fields.
    pub fn new() -> Self {
        Self {
            promotion: None,
            compliance: None,
            applies_to: None,
            rules: Vec::new(),
            extra: Extra::default(),
        }
    }
}

// --- rules beyond the schema (catalyst validate) ---------------------------------------

#[allow(clippy::too_many_lines, reason = "one match arm per rule kind reads best in one place")]
pub(crate) fn check_policy(policy: &EnvironmentPolicy, out: &mut Vec<Diagnostic>) {
    let s = &policy.spec;
    let mut gated = Vec::new();
    if let Some(applies) = &s.applies_to {
        for (i, env) in applies.environments.iter().enumerate() {
            match EnvironmentName::parse(env) {
                Ok(name) => gated.push(name),
                Err(e) => out.push(error(
                    spec().key("appliesTo").key("environments").index(i),
                    Rule::Name12,
                    e.to_string(),
                )),
            }
        }
    }
    for (i, rule) in s.rules.iter().enumerate() {
        let path = spec().key("rules").index(i);
        let kind = rule.kind.as_str();
        let missing = |field: &str, out: &mut Vec<Diagnostic>| {
            out.push(error(path.key(field), Rule::Pol2, format!("required for a {kind} rule")));
        };
        let positive_duration = |out: &mut Vec<Diagnostic>| match rule.duration.as_deref() {
            None => out.push(error(path.key("duration"), Rule::Pol2, format!("required for a {kind} rule"))),
            Some(d) => match Duration::parse(d) {
                Ok(d) if d.is_zero() => {
                    out.push(error(path.key("duration"), Rule::Pol2, "must be longer than zero"));
                }
                Ok(_) => {}
                Err(e) => out.push(error(path.key("duration"), Rule::Pol2, e.to_string())),
            },
        };
        match rule.kind {
            RuleKind::PrRequired => match rule.min_approvals {
                None => missing("minApprovals", out),
                Some(0) => out.push(error(
                    path.key("minApprovals"),
                    Rule::Pol2,
                    "a pr-required rule needs at least 1 approval",
                )),
                Some(_) => {}
            },
            RuleKind::ReScoreGate => {
                if rule.min_score.is_none() {
                    missing("minScore", out);
                }
                if let Some(sev) = &rule.severity
                    && !matches!(sev.as_str(), "blocking" | "advisory")
                {
                    out.push(error(
                        path.key("severity"),
                        Rule::Pol2,
                        format!("{} is not blocking or advisory", short_str(sev)),
                    ));
                }
            }
            RuleKind::Soak => {
                positive_duration(out);
                match rule.source_environment.as_deref() {
                    None => missing("sourceEnvironment", out),
                    Some(source) => match EnvironmentName::parse(source) {
                        Err(e) => out.push(error(path.key("sourceEnvironment"), Rule::Name12, e.to_string())),
                        Ok(source_name) => {
                            if gated.contains(&source_name) {
                                out.push(error(
                                    path.key("sourceEnvironment"),
                                    Rule::Pol2,
                                    format!("{source} is an environment this policy gates; a soak needs the environment changes come from"),
                                ));
                            }
                            for g in gated.iter().filter(|g| g.org() != source_name.org()) {
                                out.push(warning(
                                    path.key("sourceEnvironment"),
                                    Rule::Pol3,
                                    format!("{source} belongs to another Organization than {g}; promotion runs inside one Organization"),
                                ));
                            }
                        }
                    },
                }
            }
            RuleKind::ChangeWindow => {
                positive_duration(out);
                match rule.cron.as_deref() {
                    None => missing("cron", out),
                    Some(cron) => {
                        if let Err(e) = check_cron(cron) {
                            out.push(error(path.key("cron"), Rule::Pol2, e.to_string()));
                        }
                    }
                }
            }
        }
    }
    if let Some(compliance) = &s.compliance {
        for name in compliance.modes.keys().filter(|m| !compliance.weights.contains_key(*m)) {
            out.push(warning(
                spec().key("compliance").key("modes").key(name),
                Rule::Pol1,
                "has a mode but no weight; it does not count towards the score",
            ));
        }
    }
    if s.promotion.is_none() && s.compliance.is_none() && s.rules.is_empty() {
        out.push(warning(
            spec(),
            Rule::Pol1,
            "the policy has no promotion, compliance or rules: it gates nothing",
        ));
    }
}

impl Default for EnvironmentPolicySpec {
    fn default() -> Self {
        Self::new()
    }
}
