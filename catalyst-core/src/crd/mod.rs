//! The ten Catalyst custom resources (SPEC CORE-1) and their CustomResourceDefinitions.
//!
//! Each kind is a kube [`CustomResource`](kube::CustomResource) with a schemars schema.
//! [`Kind::crd`] post-processes kube's output into a structural schema the API server accepts
//! (unknown fields preserved wherever the type keeps them, no `additionalProperties` next to
//! `properties`), and serves `v1alpha1` next to `v1` where upstream stored `v1alpha1` objects.

// kube's derive takes one `printcolumn(..)` per column; clippy reads the repeated keys as duplicates.
#![allow(clippy::duplicated_attributes)]

mod application;
mod blueprint;
mod common;
mod continuum;
mod environment;
mod environment_policy;
mod organization;
mod runbook;
mod secret_policy;
mod sovereign;
mod user_access;

pub(crate) use self::{
    application::check_application, blueprint::check_blueprint, continuum::check_continuum,
    environment::check_environment, environment_policy::check_policy, organization::check_organization,
    runbook::check_runbook, secret_policy::check_secret_policy, sovereign::check_sovereign,
    user_access::check_user_access,
};

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use serde_json::Value;

pub use application::{
    Application, ApplicationDependency, ApplicationPhase, ApplicationPlacement, ApplicationSpec,
    ApplicationStatus, ApplicationTopology, BlueprintRef, HealthCheck, PLACEMENT_VCLUSTERS, PlacementMode,
    PlacementSpec, UnknownPlacement,
};
pub use blueprint::{
    Blueprint, BlueprintCard, BlueprintPhase, BlueprintSpec, BlueprintStatus, BlueprintTopology, Endpoint,
    HOSTNAME_TOKENS, MultiInstance, Sso, Topology, TopologyDefaults, Visibility, blueprint_crd_findings,
    blueprint_lint_findings,
};
pub use catalyst_naming::{BuildingBlock, EnvType, Provider};
pub use common::{Extra, NamespacedRef, Owner, OwnerRole};
pub use continuum::{
    Continuum, ContinuumPhase, ContinuumSpec, ContinuumStatus, LastLuaRecord, LastSwitchover, LeaseClient,
    LeaseConfig, LeaseKind, LuaHealthCheck, LuaRecordSpec, LuaRecordStatus, LuaSelector, SecretKeyRef,
    Switchover, SwitchoverMechanism,
};
pub use environment::{
    Environment, EnvironmentPhase, EnvironmentPlacement, EnvironmentRegion, EnvironmentSpec,
    EnvironmentStatus, GiteaRepoRef, VclusterPhase, VclusterStatus,
};
pub use environment_policy::{
    AppliesTo, Compliance, ComplianceMode, ComplianceWeight, EnvironmentPolicy, EnvironmentPolicySpec,
    EnvironmentPolicyStatus, PolicyRule, Promotion, RuleKind, WeightScope,
};
pub use organization::{
    BillingMode, Commerce, GrowCeiling, Organization, OrganizationIdentity, OrganizationKind,
    OrganizationSpec, OrganizationStatus, OrganizationTier, PlanSlug,
};
pub use runbook::{
    ActionKind, Runbook, RunbookAction, RunbookSpec, RunbookStatus, RunbookTrigger, TriggerKind,
};
pub use secret_policy::{RotationAction, RotationRule, SecretPolicy, SecretPolicySpec, SecretPolicyStatus};
pub use sovereign::{
    BcpTopology, KeycloakTopology, ParentDomain, ParentDomainRole, Sovereign, SovereignPhase,
    SovereignRegion, SovereignRegionStatus, SovereignSpec, SovereignStatus,
};
pub use user_access::{Scope, Tier, UnknownTier, UserAccess, UserAccessSpec, UserAccessStatus, UserRef};

/// The ten Catalyst kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `Sovereign.catalyst.openova.io`.
    Sovereign,
    /// `Organization.orgs.openova.io`.
    Organization,
    /// `Environment.catalyst.openova.io`.
    Environment,
    /// `Application.apps.openova.io`.
    Application,
    /// `Blueprint.catalyst.openova.io`.
    Blueprint,
    /// `EnvironmentPolicy.catalyst.openova.io`.
    EnvironmentPolicy,
    /// `SecretPolicy.catalyst.openova.io`.
    SecretPolicy,
    /// `Runbook.catalyst.openova.io`.
    Runbook,
    /// `Continuum.dr.openova.io`.
    Continuum,
    /// `UserAccess.catalyst.openova.io`.
    UserAccess,
}

/// How a document's `apiVersion` relates to the kind's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersionMatch {
    /// The version the types target.
    Current,
    /// An older version this SDK reads as the current one (the note says which).
    Legacy(&'static str),
}

impl Kind {
    /// All ten, in SPEC order.
    pub const ALL: [Kind; 10] = [
        Self::Sovereign,
        Self::Organization,
        Self::Environment,
        Self::Application,
        Self::Blueprint,
        Self::EnvironmentPolicy,
        Self::SecretPolicy,
        Self::Runbook,
        Self::Continuum,
        Self::UserAccess,
    ];

    /// The `kind` string.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sovereign => "Sovereign",
            Self::Organization => "Organization",
            Self::Environment => "Environment",
            Self::Application => "Application",
            Self::Blueprint => "Blueprint",
            Self::EnvironmentPolicy => "EnvironmentPolicy",
            Self::SecretPolicy => "SecretPolicy",
            Self::Runbook => "Runbook",
            Self::Continuum => "Continuum",
            Self::UserAccess => "UserAccess",
        }
    }

    /// The API group.
    pub fn group(self) -> &'static str {
        match self {
            Self::Organization => "orgs.openova.io",
            Self::Application => "apps.openova.io",
            Self::Continuum => "dr.openova.io",
            _ => "catalyst.openova.io",
        }
    }

    /// The version the types target (`v1` for all ten).
    pub fn version(self) -> &'static str {
        "v1"
    }

    /// `group/version`.
    pub fn api_version(self) -> String {
        format!("{}/{}", self.group(), self.version())
    }

    /// Whether objects of this kind live in a namespace.
    pub fn namespaced(self) -> bool {
        matches!(self, Self::Application | Self::Runbook | Self::Continuum)
    }

    /// The kind named `kind` (case-sensitive, as Kubernetes).
    pub fn from_name(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == kind)
    }

    /// Older versions the CRD keeps serving (not storing), so objects stored by the upstream
    /// `v1alpha1` CRD stay readable after an upgrade (SPEC OP-17).
    pub fn served_legacy_versions(self) -> &'static [&'static str] {
        match self {
            Self::Sovereign | Self::Blueprint => &["v1alpha1"],
            _ => &[],
        }
    }

    /// How `api_version` relates to this kind, or `None` when it is not one of its versions.
    pub fn match_api_version(self, api_version: &str) -> Option<ApiVersionMatch> {
        if api_version == self.api_version() {
            return Some(ApiVersionMatch::Current);
        }
        let (group, version) = api_version.split_once('/')?;
        if group == self.group() && self.served_legacy_versions().contains(&version) {
            return Some(ApiVersionMatch::Legacy("served next to v1 by the CRD; read as v1"));
        }
        if group == self.group() && version == "v1alpha1" {
            return Some(ApiVersionMatch::Legacy(
                "documents use v1alpha1 but the CRD serves v1 only; apply it as v1",
            ));
        }
        if self == Self::UserAccess && api_version == "access.openova.io/v1alpha1" {
            return Some(ApiVersionMatch::Legacy(
                "the platform chart's group; the SDK's CRD is UserAccess.catalyst.openova.io/v1",
            ));
        }
        None
    }

    /// The CustomResourceDefinition, with a structural schema.
    ///
    /// # Panics
    ///
    /// Never for the ten kinds: the generated CRDs always serialize (tests cover each).
    pub fn crd(self) -> CustomResourceDefinition {
        let raw = match self {
            Self::Sovereign => Sovereign::crd(),
            Self::Organization => Organization::crd(),
            Self::Environment => Environment::crd(),
            Self::Application => Application::crd(),
            Self::Blueprint => Blueprint::crd(),
            Self::EnvironmentPolicy => EnvironmentPolicy::crd(),
            Self::SecretPolicy => SecretPolicy::crd(),
            Self::Runbook => Runbook::crd(),
            Self::Continuum => Continuum::crd(),
            Self::UserAccess => UserAccess::crd(),
        };
        let mut value = serde_json::to_value(raw).expect("a CRD serializes");
        if let Some(versions) = value.pointer_mut("/spec/versions").and_then(Value::as_array_mut) {
            for version in versions.iter_mut() {
                if let Some(schema) = version.pointer_mut("/schema/openAPIV3Schema") {
                    structuralize(schema);
                }
            }
            if let Some(current) = versions.first().cloned() {
                for legacy in self.served_legacy_versions() {
                    let mut old = current.clone();
                    old["name"] = Value::from(*legacy);
                    old["storage"] = Value::from(false);
                    versions.insert(0, old);
                }
            }
        }
        serde_json::from_value(value).expect("a structuralized CRD deserializes")
    }

    /// The `openAPIV3Schema` of the current version, as JSON. Built once per process: the
    /// validator asks for it for every document.
    ///
    /// # Panics
    ///
    /// Never for the ten kinds: each CRD has a schema for its version (tests cover each).
    pub fn schema(self) -> &'static Value {
        static SCHEMAS: LazyLock<BTreeMap<Kind, Value>> =
            LazyLock::new(|| Kind::ALL.into_iter().map(|k| (k, k.build_schema())).collect());
        &SCHEMAS[&self]
    }

    fn build_schema(self) -> Value {
        let crd = serde_json::to_value(self.crd()).expect("a CRD serializes");
        let versions = crd.pointer("/spec/versions").and_then(Value::as_array).cloned().unwrap_or_default();
        versions
            .into_iter()
            .find(|v| v["name"] == self.version())
            .and_then(|v| v.pointer("/schema/openAPIV3Schema").cloned())
            .expect("every kind has a schema for its version")
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.name(), self.group())
    }
}

/// All ten CustomResourceDefinitions, in SPEC order.
pub fn crds() -> Vec<CustomResourceDefinition> {
    Kind::ALL.into_iter().map(Kind::crd).collect()
}

/// Rewrites what schemars emits into a structural schema:
/// - an unconstrained node (`true`, `{}` or only a description) preserves unknown fields;
/// - `additionalProperties: true` becomes preserve-unknown-fields (structural schemas forbid
///   it next to `properties`), and `additionalProperties: false` is dropped;
/// - `nullable: false` noise and an empty `required` are removed.
fn structuralize(node: &mut Value) {
    if node == &Value::Bool(true) {
        *node = serde_json::json!({ "x-kubernetes-preserve-unknown-fields": true });
        return;
    }
    let Value::Object(map) = node else { return };
    match map.get("additionalProperties") {
        Some(Value::Bool(true)) => {
            map.remove("additionalProperties");
            map.insert("x-kubernetes-preserve-unknown-fields".into(), Value::Bool(true));
        }
        Some(Value::Bool(false)) => {
            map.remove("additionalProperties");
        }
        _ => {}
    }
    if map.get("required").and_then(Value::as_array).is_some_and(Vec::is_empty) {
        map.remove("required");
    }
    let untyped = !map.contains_key("type")
        && !map.contains_key("x-kubernetes-int-or-string")
        && !map.contains_key("x-kubernetes-preserve-unknown-fields")
        && !map.contains_key("anyOf")
        && !map.contains_key("oneOf")
        && !map.contains_key("allOf");
    if untyped {
        map.insert("x-kubernetes-preserve-unknown-fields".into(), Value::Bool(true));
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(structuralize);
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get_mut(key) {
            structuralize(child);
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(children)) = map.get_mut(key) {
            children.iter_mut().for_each(structuralize_junctor);
        }
    }
}

/// Inside `anyOf`/`oneOf`/`allOf` only value validations may appear.
fn structuralize_junctor(node: &mut Value) {
    if let Value::Object(map) = node {
        for key in ["type", "description", "default", "nullable", "additionalProperties", "title"] {
            map.remove(key);
        }
    }
}

/// Problems that make a schema non-structural (Kubernetes "specifying a structural schema"),
/// each with the JSON path of the node. Empty for every CRD [`crds`] returns.
pub fn structural_problems(schema: &Value) -> crate::validate::Diagnostics {
    let mut out = Vec::new();
    check_structural(schema, "", &mut out);
    out.into_iter()
        .map(|(path, message)| {
            let path = path.trim_start_matches('.');
            let path = if path.is_empty() {
                catalyst_naming::FieldPath::root()
            } else {
                catalyst_naming::FieldPath::verbatim(path)
            };
            crate::validate::Diagnostic::error(crate::validate::Rule::SchemaStructural, path, message)
        })
        .collect()
}

fn check_structural(node: &Value, path: &str, out: &mut Vec<(String, String)>) {
    let Value::Object(map) = node else {
        out.push((path.to_owned(), "schema node is not an object".to_owned()));
        return;
    };
    let preserve = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    let int_or_string = map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
    if !map.contains_key("type") && !preserve && !int_or_string {
        out.push((
            path.to_owned(),
            "no type (and neither preserve-unknown-fields nor int-or-string)".to_owned(),
        ));
    }
    if map.contains_key("properties") && map.contains_key("additionalProperties") {
        out.push((path.to_owned(), "properties and additionalProperties together".to_owned()));
    }
    for forbidden in ["$ref", "definitions", "$defs", "$schema"] {
        if map.contains_key(forbidden) {
            out.push((path.to_owned(), format!("{forbidden} is not allowed")));
        }
    }
    for junctor in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(children)) = map.get(junctor) {
            for (i, child) in children.iter().enumerate() {
                if let Value::Object(c) = child {
                    for key in ["type", "description", "default", "nullable", "additionalProperties"] {
                        if c.contains_key(key) && !int_or_string {
                            out.push((format!("{path}.{junctor}[{i}]"), format!("{key} inside a junctor")));
                        }
                    }
                }
            }
        }
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        for (name, child) in props {
            check_structural(child, &format!("{path}.{name}"), out);
        }
    }
    if let Some(items) = map.get("items") {
        check_structural(items, &format!("{path}[]"), out);
    } else if map.get("type") == Some(&Value::from("array")) {
        out.push((path.to_owned(), "array without items".to_owned()));
    }
    if let Some(additional) = map.get("additionalProperties")
        && additional.is_object()
    {
        check_structural(additional, &format!("{path}{{}}"), out);
    }
}

/// All ten CRDs as one multi-document YAML stream.
///
/// # Panics
///
/// Never: a CRD always renders as YAML (tests cover it).
pub fn crds_yaml() -> String {
    let mut out = String::new();
    for crd in crds() {
        out.push_str("---\n");
        out.push_str(&serde_saphyr::to_string(&crd).expect("a CRD serializes to YAML"));
    }
    out
}
