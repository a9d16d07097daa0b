//! `Blueprint.catalyst.openova.io/v1` (SPEC CORE-1, §4.1; `v1alpha1` is served too, SPEC OP-17).
//!
//! The CRD view of a Blueprint. The full blueprint.yaml model with every shape in use,
//! dependency normalisation and version solving is `catalyst-blueprint`'s; this type keeps
//! the fields the platform's controllers read and preserves the rest.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Extra;
use crate::conditions::Condition;
#[allow(clippy::wildcard_imports, unused_imports, reason = "the rules share one vocabulary")]
use crate::validate::prelude::*;

/// A published, versioned unit of installable software.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "catalyst.openova.io",
    version = "v1",
    kind = "Blueprint",
    status = "BlueprintStatus",
    derive = "PartialEq",
    shortname = "bp",
    shortname = "bps",
    category = "catalyst",
    category = "openova",
    doc = "A published, versioned Blueprint: card, configuration schema, dependencies and manifests.",
    printcolumn(name = "Version", type_ = "string", json_path = ".spec.version"),
    printcolumn(name = "Visibility", type_ = "string", json_path = ".spec.visibility"),
    printcolumn(name = "Title", type_ = "string", json_path = ".spec.card.title", priority = "1"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct BlueprintSpec {
    /// Semantic version of this Blueprint.
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.-]+)?$"))]
    pub version: String,
    /// What the marketplace shows.
    pub card: BlueprintCard,
    /// `listed`, `unlisted` or `private`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// JSON schema of the Application `parameters`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub config_schema: Option<serde_json::Value>,
    /// Dependencies: `{blueprint, version, alias, when, values}` objects or bare names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<DependsEntrySchema>")]
    pub depends: Vec<serde_json::Value>,
    /// Supported DR topologies and their defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology: Option<BlueprintTopology>,
    /// Endpoints the Blueprint exposes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
    /// Single sign-on wiring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso: Option<Sso>,
    /// Several instances per Organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_instance: Option<MultiInstance>,
    /// Owning team and contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<serde_json::Value>,
    /// Placement modes and region counts (legacy seam).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_schema: Option<serde_json::Value>,
    /// Where an instance runs by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_placement: Option<serde_json::Value>,
    /// The vClusters an instance may run in (`host`, `mgmt`, `dmz`, `rtz`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = r"^(host|mgmt|dmz|rtz)$")))]
    pub allowed_placements: Vec<String>,
    /// Chart, source, overlays, values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifests: Option<serde_json::Value>,
    /// Upgrade paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrades: Option<serde_json::Value>,
    /// Secret rotation hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<serde_json::Value>,
    /// Metrics, logs, traces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observability: Option<serde_json::Value>,
    /// Values exported to dependants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<serde_json::Value>,
    /// Console sidebar entry.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "consoleUI")]
    pub console_ui: Option<serde_json::Value>,
    /// The Blueprint has a user-facing UI endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "hasUserUIEndpoint")]
    pub has_user_ui_endpoint: Option<bool>,
    /// Instances this Blueprint produces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produces_instances: Option<serde_json::Value>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Schema-only stand-in for a `depends[]` entry: an object or a bare string (SPEC OP-1).
struct DependsEntrySchema;

impl JsonSchema for DependsEntrySchema {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DependsEntry".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Blueprint name, or {blueprint, version, alias, when, values}.",
            "x-kubernetes-preserve-unknown-fields": true
        })
    }
}

/// `topology` of a Blueprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "self.defaults.multi__dash__region in self.supported", "message": "topology.defaults.multi-region must be a member of topology.supported[]"},
    {"rule": "self.defaults.single__dash__region in self.supported", "message": "topology.defaults.single-region must be a member of topology.supported[]"}
]))]
pub struct BlueprintTopology {
    /// Supported topologies (at least one).
    #[schemars(length(min = 1))]
    pub supported: Vec<Topology>,
    /// The topology used per Environment placement.
    pub defaults: TopologyDefaults,
    /// Per-topology replication, switchover and placement, keyed by topology.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub per_topology: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `topology.defaults`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TopologyDefaults {
    /// Used in multi-region Environments.
    #[serde(rename = "multi-region")]
    pub multi_region: Topology,
    /// Used in single-region Environments.
    #[serde(rename = "single-region")]
    pub single_region: Topology,
}

/// An endpoint of a Blueprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct Endpoint {
    /// Endpoint name.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$"))]
    pub name: String,
    /// Host name template; tokens `{{.SovereignFQDN}}`, `{{.OrgSlug}}`, `{{.AppName}}`, `{{.OrgDomain}}`.
    #[schemars(length(min = 1, max = 253))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "!self.matches('[{][{][ ]*[.](InstanceID|ClusterID)')",
        "message": "endpoints[].hostnameTemplate references {{.InstanceID}} or {{.ClusterID}}, which the resolver never implemented; it substitutes only SovereignFQDN, OrgSlug, AppName and OrgDomain"
    }]))]
    pub hostname_template: String,
    /// Port (1–65535).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i64>,
    /// Protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["https", "http", "grpc", "tcp", "udp"]))]
    pub protocol: Option<String>,
    /// Visibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["public", "private", "internal"]))]
    pub visibility: Option<String>,
    /// Served over TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// The console opens this endpoint by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_default: Option<bool>,
    /// Single sign-on in front of the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_enabled: Option<bool>,
    /// Path that starts the SSO flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 512))]
    pub sso_init_path: Option<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

pub use catalyst_blueprint::{HOSTNAME_TOKENS, Topology, Visibility};

/// `sso` of a Blueprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct Sso {
    /// `sovereign` or `{{.OrgSlug}}` (the Organization's realm).
    #[schemars(extend("enum" = ["sovereign", "{{.OrgSlug}}"]))]
    pub realm: String,
    /// `oidc` or `saml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["oidc", "saml"]))]
    pub protocol_mapper: Option<String>,
    /// The token claim carrying groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_claim: Option<String>,
    /// Application role per group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_from_group: Option<std::collections::BTreeMap<String, String>>,
    /// Log users in without a prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent_login: Option<bool>,
    /// Group whose members administer the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_group: Option<String>,
    /// First-start SSO bootstrap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<serde_json::Value>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// `multiInstance` of a Blueprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct MultiInstance {
    /// Several instances allowed.
    pub enabled: bool,
    /// Per-Organization cap (0–1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000))]
    pub max_per_org: Option<i64>,
    /// `namespace` or `vcluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["namespace", "vcluster"]))]
    pub isolation_level: Option<String>,
    /// Template of instance names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub naming_template: Option<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// The marketplace card of a Blueprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct BlueprintCard {
    /// Title.
    #[schemars(length(min = 1))]
    pub title: String,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Short tagline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tagline: Option<String>,
    /// Icon URL or name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Product family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Documentation URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
    /// Documentation URL (alternative key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// Licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Screenshot URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screenshots: Option<serde_json::Value>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// What the blueprint-controller observed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct BlueprintStatus {
    /// Publication phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<BlueprintPhase>,
    /// Digest of the published OCI artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci_digest: Option<String>,
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

/// Blueprint publication phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum BlueprintPhase {
    /// Not published.
    Draft,
    /// Installable.
    Published,
    /// Still installable, replaced.
    Deprecated,
    /// No longer installable.
    Withdrawn,
}

impl BlueprintSpec {
    /// A Blueprint version with its card; the optional fields are public.
    pub fn new(version: impl Into<String>, card: BlueprintCard) -> Self {
        Self {
            version: version.into(),
            card,
            visibility: None,
            config_schema: None,
            depends: Vec::new(),
            topology: None,
            endpoints: Vec::new(),
            sso: None,
            multi_instance: None,
            owner: None,
            placement_schema: None,
            default_placement: None,
            allowed_placements: Vec::new(),
            manifests: None,
            upgrades: None,
            rotation: None,
            observability: None,
            outputs: None,
            console_ui: None,
            has_user_ui_endpoint: None,
            produces_instances: None,
            extra: Extra::default(),
        }
    }
}

impl BlueprintCard {
    /// A card with its title.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            summary: None,
            description: None,
            category: None,
            tagline: None,
            icon: None,
            family: None,
            tags: Vec::new(),
            documentation: None,
            docs: None,
            license: None,
            screenshots: None,
            extra: Extra::default(),
        }
    }
}

// --- rules beyond the schema (catalyst validate) ---------------------------------------

/// A Blueprint document is judged by two checks, and `catalyst validate` and `catalyst
/// blueprint lint` run both: catalyst-blueprint's model (SPEC BP-1 … BP-7 and the CRD fields
/// the controllers read) and [`blueprint_crd_findings`], the CRD's structural schema.
pub(crate) fn check_blueprint(doc: &Value, out: &mut Vec<Diagnostic>) {
    let found = match catalyst_blueprint::Blueprint::from_value(doc, None) {
        Ok(bp) => bp.warnings,
        Err(all) => all,
    };
    let beyond = crd_findings_beyond(doc, found.iter().map(|d| &d.path));
    out.extend(found.into_iter().map(|d| d.map_code(Rule::Blueprint)));
    out.extend(beyond);
}

/// [`blueprint_crd_findings`] at the paths the model did not report (one finding per field):
/// what both `validate` and `blueprint lint` add to the model's findings.
fn crd_findings_beyond<'p>(doc: &Value, model_paths: impl Iterator<Item = &'p FieldPath>) -> Vec<Diagnostic> {
    let reported: BTreeSet<&FieldPath> = model_paths.collect();
    blueprint_crd_findings(doc).into_iter().filter(|d| !reported.contains(&d.path)).collect()
}

/// What `catalyst blueprint lint` adds to the model's findings `model` of one document: the
/// [`blueprint_crd_findings`] at paths the model did not report, as catalyst-blueprint
/// diagnostics with code `CrdSchema` (the schema keyword ends the message). `catalyst
/// validate` judges by the same two checks, so the two commands agree.
pub fn blueprint_lint_findings(
    doc: &Value,
    model: &[catalyst_blueprint::Diagnostic],
) -> Vec<catalyst_blueprint::Diagnostic> {
    crd_findings_beyond(doc, model.iter().map(|d| &d.path))
        .into_iter()
        .map(|d| {
            let message = format!("{} [{}]", d.message, catalyst_naming::diagnostic::Code::as_str(d.code));
            let code = catalyst_blueprint::Code::CrdSchema;
            if d.is_error() {
                catalyst_blueprint::Diagnostic::error(code, d.path, message)
            } else {
                catalyst_blueprint::Diagnostic::warning(code, d.path, message)
            }
        })
        .collect()
}

/// The Blueprint CRD's structural schema and object-name rules applied to `doc`, as the API
/// server would, except for the two shapes SPEC OP-1 accepts (with the model's warning):
/// `metadata.version` in place of `spec.version`, and bare-string `depends` entries.
///
/// ```
/// use catalyst_core::validate::blueprint_crd_findings;
///
/// let doc = serde_json::json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Blueprint",
///     "metadata": {"name": "bp-x"}, "spec": {"version": "1.0.0", "card": {"title": "X"},
///     "visibility": "secret"}});
/// let errors: Vec<String> = blueprint_crd_findings(&doc).errors().map(ToString::to_string).collect();
/// assert_eq!(errors.len(), 1, "{errors:?}");
/// assert!(errors[0].starts_with("spec.visibility: "), "{errors:?}");
/// ```
pub fn blueprint_crd_findings(doc: &Value) -> Diagnostics {
    let mut out = Vec::new();
    crate::validate::check_metadata(Kind::Blueprint, doc.get("metadata"), &mut out);
    schema::check(Kind::Blueprint.schema(), doc, &FieldPath::root(), &mut out);
    let spec_path = spec();
    let has_metadata_version = doc.pointer("/metadata/version").is_some_and(Value::is_string);
    let bare_depends: BTreeSet<FieldPath> = doc
        .pointer("/spec/depends")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, d)| d.is_string())
        .map(|(i, _)| spec_path.key("depends").index(i))
        .collect();
    out.retain(|d| {
        let accepted_version = has_metadata_version && d.path == spec_path.key("version");
        let accepted_depends = bare_depends.iter().any(|p| d.path.starts_with(p));
        !accepted_version && !accepted_depends
    });
    Diagnostics::from(out)
}
