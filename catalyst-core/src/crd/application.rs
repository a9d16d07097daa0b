//! `Application.apps.openova.io/v1` (SPEC CORE-1).

pub use catalyst_blueprint::{PLACEMENT_VCLUSTERS, PlacementMode};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Extra, NamespacedRef, Owner};
use crate::conditions::Condition;
#[allow(clippy::wildcard_imports, unused_imports, reason = "the rules share one vocabulary")]
use crate::validate::prelude::*;

/// An installed Blueprint: what, where and how it is placed across regions.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "apps.openova.io",
    version = "v1",
    kind = "Application",
    namespaced,
    status = "ApplicationStatus",
    derive = "PartialEq",
    shortname = "app",
    shortname = "apps",
    category = "catalyst",
    category = "openova",
    doc = "An installed Blueprint in an Environment, with its placement across regions.",
    printcolumn(name = "Blueprint", type_ = "string", json_path = ".spec.blueprintRef.name"),
    printcolumn(name = "Version", type_ = "string", json_path = ".spec.blueprintRef.version"),
    printcolumn(name = "Environment", type_ = "string", json_path = ".spec.environmentRef"),
    printcolumn(name = "Placement", type_ = "string", json_path = ".spec.placement"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Primary", type_ = "string", json_path = ".status.primaryRegion", priority = "1"),
    printcolumn(name = "Instance", type_ = "string", json_path = ".spec.instanceId", priority = "1"),
    printcolumn(name = "Isolation", type_ = "string", json_path = ".spec.isolationLevel", priority = "1"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend(
    "x-kubernetes-preserve-unknown-fields" = true,
    "x-kubernetes-validations" = [{
        "rule": "(has(self.bootstrap) && self.bootstrap == true) || (has(self.environmentRef) && has(self.regions))",
        "message": "spec.environmentRef and spec.regions are required unless spec.bootstrap=true (bootstrap-owned instance)"
    }]
))]
pub struct ApplicationSpec {
    /// The Environment (`acme-prod`); required unless `bootstrap`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{2,63}$"))]
    pub environment_ref: Option<String>,
    /// The Blueprint and version installed.
    pub blueprint_ref: BlueprintRef,
    /// The DR posture (string form) or where the instance runs (object form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<ApplicationPlacement>,
    /// Host clusters; `[0]` is the primary for `active-hotstandby`. Required unless `bootstrap`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 5), inner(regex(pattern = r"^[a-z][a-z0-9-]{0,62}$")))]
    pub regions: Option<Vec<String>>,
    /// Values checked against the Blueprint's `configSchema`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub parameters: Option<serde_json::Value>,
    /// The health endpoint the Continuum controller probes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Who may operate this Application.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<Owner>,
    /// Failover targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology: Option<ApplicationTopology>,
    /// Instance ID of a multi-instance Blueprint; immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z0-9]{4,32}$"))]
    pub instance_id: Option<String>,
    /// A chart's self-registration: no Environment, no regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<bool>,
    /// Backing instances this one depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ApplicationDependency>,
    /// The HelmRelease owning a bootstrap instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm_release: Option<NamespacedRef>,
    /// Fields not modelled here (`isolationLevel`, `namingTemplate`, …).
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

impl ApplicationSpec {
    /// Whether this is a bootstrap-owned instance.
    pub fn is_bootstrap(&self) -> bool {
        self.bootstrap == Some(true)
    }
}

/// `{name, version}` of the installed Blueprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlueprintRef {
    /// Canonical Blueprint name (`bp-wordpress`).
    #[schemars(regex(pattern = r"^bp-[a-z][a-z0-9-]{1,62}$"))]
    pub name: String,
    /// Exact semantic version.
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.-]+)?$"))]
    pub version: String,
}

/// `spec.placement`: the legacy string form or the object form (upstream #3373). Any string
/// deserializes so that validation can name a wrong one; [`ApplicationPlacement::mode`] types it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ApplicationPlacement {
    /// `single-region`, `active-active` or `active-hotstandby`.
    Mode(String),
    /// `{vcluster, regions, clusters, mode}`.
    Spec(PlacementSpec),
}

impl ApplicationPlacement {
    /// The DR posture, if given and known: `Ok(None)` when the object form omits `mode`,
    /// [`UnknownPlacement`] when the text is not a mode.
    pub fn mode(&self) -> Result<Option<PlacementMode>, UnknownPlacement> {
        let text = match self {
            Self::Mode(s) => s.as_str(),
            Self::Spec(spec) => match spec.mode.as_deref() {
                Some(m) => m,
                None => return Ok(None),
            },
        };
        PlacementMode::from_wire(text).map(Some).ok_or_else(|| UnknownPlacement(text.to_owned()))
    }
}

/// A placement that is not one of [`PlacementMode::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a placement")]
pub struct UnknownPlacement(pub String);

impl JsonSchema for ApplicationPlacement {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ApplicationPlacement".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // Dual form: a structural schema cannot type it, so it preserves unknown fields and a
        // CEL rule checks the string form on the API server.
        schemars::json_schema!({
            "description": "Placement of this instance: a DR posture (single-region, active-active, active-hotstandby) or {vcluster, regions, clusters, mode}.",
            "x-kubernetes-preserve-unknown-fields": true,
            "x-kubernetes-validations": [{
                "rule": "type(self) != string || self in ['single-region', 'active-active', 'active-hotstandby']",
                "message": "spec.placement must be single-region, active-active or active-hotstandby"
            }]
        })
    }
}

/// The object form of `placement`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacementSpec {
    /// `host`, `mgmt`, `dmz` or `rtz`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcluster: Option<String>,
    /// Host clusters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Canonical cluster IDs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    /// The DR posture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Health probe of an Application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    /// HTTP path.
    #[schemars(regex(pattern = r"^/.*"))]
    pub path: String,
    /// Port number or name.
    pub port: k8s_openapi::apimachinery::pkg::util::intstr::IntOrString,
    /// Probe interval (5–300 s, default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 300), extend("default" = 30))]
    pub interval_seconds: Option<i64>,
    /// Probe timeout (1–60 s, default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 60), extend("default" = 5))]
    pub timeout_seconds: Option<i64>,
}

/// Failover targets of an Application.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct ApplicationTopology {
    /// Fail over without a human.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_failover: Option<bool>,
    /// Recovery time objective (`60s`, `5m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{1,4}(s|m|h)$"))]
    pub rto: Option<String>,
    /// Recovery point objective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{1,4}(s|m|h)$"))]
    pub rpo: Option<String>,
    /// Minimum replicas (1–9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 9))]
    pub min_replicas: Option<i64>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// A backing instance this Application depends on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationDependency {
    /// The backing Application.
    pub name: String,
    /// Its namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The Context it occupies (`db/wiki`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// What the application-controller observed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct ApplicationStatus {
    /// Lifecycle phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<ApplicationPhase>,
    /// The current primary host cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_region: Option<String>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The generation the status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Fields not modelled here (`regions`, `giteaRepo`, `installedBlueprint`, `placement`).
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Application phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ApplicationPhase {
    /// Not started.
    Pending,
    /// Installing.
    Provisioning,
    /// Installed and healthy.
    Ready,
    /// Installed, something is wrong.
    Degraded,
    /// Could not install.
    Failed,
    /// Being removed.
    Uninstalling,
}

impl ApplicationSpec {
    /// An Application of a Blueprint; the optional fields are public.
    pub fn new(blueprint_ref: BlueprintRef) -> Self {
        Self {
            environment_ref: None,
            blueprint_ref,
            placement: None,
            regions: None,
            parameters: None,
            health_check: None,
            owners: Vec::new(),
            topology: None,
            instance_id: None,
            bootstrap: None,
            depends_on: Vec::new(),
            helm_release: None,
            extra: Extra::default(),
        }
    }
}

impl BlueprintRef {
    /// A Blueprint name and version (constraint).
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self { name: name.into(), version: version.into() }
    }
}

// --- rules beyond the schema (catalyst validate) ---------------------------------------

pub(crate) fn check_application(app: &Application, out: &mut Vec<Diagnostic>) {
    let s = &app.spec;
    if !s.is_bootstrap() {
        const CEL: &str = "spec.environmentRef and spec.regions are required unless spec.bootstrap=true (bootstrap-owned instance)";
        if s.environment_ref.is_none() {
            out.push(error(spec().key("environmentRef"), Rule::Cel, CEL));
        }
        if s.regions.is_none() {
            out.push(error(spec().key("regions"), Rule::Cel, CEL));
        }
    }
    if let Some(env) = &s.environment_ref
        && let Err(e) = EnvironmentName::parse(env)
    {
        out.push(warning(spec().key("environmentRef"), Rule::Name12, e.to_string()));
    }
    if let Err(e) = BlueprintName::parse(&s.blueprint_ref.name) {
        out.push(error(spec().key("blueprintRef").key("name"), Rule::Name13, e.to_string()));
    }
    if let Err(e) = BlueprintVersion::parse(&s.blueprint_ref.version) {
        out.push(error(spec().key("blueprintRef").key("version"), Rule::Name13, e.to_string()));
    }
    let placement_path = spec().key("placement");
    let mode = match &s.placement {
        None => None,
        Some(p) => match p.mode() {
            Ok(m) => m,
            Err(UnknownPlacement(text)) => {
                let path = if matches!(p, ApplicationPlacement::Spec(_)) {
                    placement_path.key("mode")
                } else {
                    placement_path.clone()
                };
                let modes = PlacementMode::ALL.map(PlacementMode::as_str).join(", ");
                out.push(error(
                    path,
                    Rule::Cel,
                    format!("{} is not a placement; expected one of {modes}", short_str(&text)),
                ));
                None
            }
        },
    };
    if let Some(ApplicationPlacement::Spec(p)) = &s.placement
        && let Some(vc) = &p.vcluster
        && !PLACEMENT_VCLUSTERS.contains(&vc.as_str())
    {
        out.push(error(
            placement_path.key("vcluster"),
            Rule::Core1,
            format!("{} is not one of {}", short_str(vc), PLACEMENT_VCLUSTERS.join(", ")),
        ));
    }
    if let (Some(mode), Some(regions)) = (mode, &s.regions) {
        let n = regions.len();
        let message = match mode {
            PlacementMode::SingleRegion if n != 1 => {
                Some(format!("placement single-region needs exactly 1 region, found {n}"))
            }
            PlacementMode::ActiveActive | PlacementMode::ActiveHotstandby if n < 2 => {
                Some(format!("placement {mode} needs at least 2 regions, found {n}"))
            }
            _ => None,
        };
        if let Some(message) = message {
            out.push(error(spec().key("regions"), Rule::Core1, message));
        }
    }
    if let Some(regions) = &s.regions {
        duplicates(regions.iter().map(String::as_str), &spec().key("regions"), "", out);
    }
    if let Some(hc) = &s.health_check
        && hc.timeout_seconds.unwrap_or(5) >= hc.interval_seconds.unwrap_or(30)
    {
        out.push(error(
            spec().key("healthCheck").key("timeoutSeconds"),
            Rule::Core1,
            "must be shorter than intervalSeconds",
        ));
    }
}
