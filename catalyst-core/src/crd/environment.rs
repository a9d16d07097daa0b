//! `Environment.catalyst.openova.io/v1` (SPEC CORE-3 … CORE-5).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Extra;
use crate::conditions::Condition;
#[allow(clippy::wildcard_imports, unused_imports, reason = "the rules share one vocabulary")]
use crate::validate::prelude::*;
use catalyst_naming::{BuildingBlock, EnvType, Provider, unchecked};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// The user-facing scope Applications are installed into: one Organization's environment
/// type, realised as vClusters on one or more host clusters.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "catalyst.openova.io",
    version = "v1",
    kind = "Environment",
    status = "EnvironmentStatus",
    derive = "PartialEq",
    shortname = "env",
    shortname = "envs",
    category = "catalyst",
    category = "openova",
    doc = "An Organization's environment ({organizationRef}-{envType}), realised as vClusters on one or more host clusters.",
    printcolumn(name = "Org", type_ = "string", json_path = ".spec.organizationRef"),
    printcolumn(name = "Type", type_ = "string", json_path = ".spec.envType"),
    printcolumn(name = "Placement", type_ = "string", json_path = ".spec.placement"),
    printcolumn(name = "Regions", type_ = "integer", json_path = ".status.regionCount", priority = "1"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct EnvironmentSpec {
    /// Slug of the parent Organization (SPEC NAME-5).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{2,31}$"))]
    pub organization_ref: String,
    /// The environment type (SPEC NAME-4); DR is a placement of Applications, not a type.
    pub env_type: EnvType,
    /// `single-region` (exactly one region) or `multi-region` (two or more).
    pub placement: EnvironmentPlacement,
    /// The host clusters this Environment is realised on.
    #[schemars(length(min = 1, max = 5))]
    pub regions: Vec<EnvironmentRegion>,
    /// Name of the EnvironmentPolicy gating promotion into this Environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_ref: Option<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

impl EnvironmentSpec {
    /// The Gitea branch of the env type (SPEC NAME-21, ENV-6): `prod` → `main`, …
    pub fn branch(&self) -> &'static str {
        self.env_type.branch()
    }

    /// The JetStream subject prefix `ws.{organizationRef}-{envType}.>` (SPEC ENV-6). Built
    /// from the spec as written, so it exists even before the slug is validated.
    pub fn jetstream_subject_prefix(&self) -> String {
        unchecked::jetstream_prefix(&unchecked::environment_name(&self.organization_ref, self.env_type))
    }
}

/// How an Environment spreads over regions (SPEC CORE-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EnvironmentPlacement {
    /// Exactly one region.
    SingleRegion,
    /// Two or more regions.
    MultiRegion,
}

impl EnvironmentPlacement {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SingleRegion => "single-region",
            Self::MultiRegion => "multi-region",
        }
    }
}

/// One host cluster of an Environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct EnvironmentRegion {
    /// Cloud provider (full name).
    pub provider: Provider,
    /// Region code. The CRD pattern is looser than the naming table (SPEC OP-5).
    #[schemars(regex(pattern = r"^[a-z]{3}[a-z0-9]?$"))]
    pub region: String,
    /// Building block: `rtz`, `dmz` or `mgt`.
    pub building_block: BuildingBlock,
    /// Explicit host-cluster name; empty means derived from provider, region, building block
    /// and env type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_cluster: Option<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

impl EnvironmentRegion {
    /// The explicit host-cluster override, if set and non-empty.
    pub fn host_cluster_override(&self) -> Option<&str> {
        self.host_cluster.as_deref().filter(|h| !h.is_empty())
    }

    /// The host cluster, spec values verbatim (`hetzner-fsn-rtz-prod`, SPEC ENV-3 default).
    pub fn host_cluster_verbatim(&self, env_type: EnvType) -> String {
        match self.host_cluster_override() {
            Some(h) => h.to_owned(),
            None => {
                unchecked::host_cluster(self.provider.name(), &self.region, self.building_block, env_type)
            }
        }
    }

    /// The host cluster in canonical NAME-6 form (`hz-fsn-rtz-prod`); the region must be in
    /// the naming table.
    pub fn host_cluster_canonical(
        &self,
        env_type: EnvType,
        table: &catalyst_naming::RegionTable,
    ) -> Result<String, catalyst_naming::NamingError> {
        if let Some(h) = self.host_cluster_override() {
            return Ok(h.to_owned());
        }
        let region = table.get(self.provider, &self.region)?;
        Ok(catalyst_naming::Location::new(region, self.building_block, env_type).host_cluster())
    }
}

/// What the environment-controller observed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct EnvironmentStatus {
    /// Lifecycle phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<EnvironmentPhase>,
    /// `len(spec.regions)`, for the printer column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub region_count: Option<i64>,
    /// Per-region vCluster summary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vclusters: Vec<VclusterStatus>,
    /// The Gitea org and branch this Environment maps to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gitea_repo_ref: Option<GiteaRepoRef>,
    /// `ws.{org}-{envType}.>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jetstream_subject_prefix: Option<String>,
    /// Conditions (`Ready`, `GiteaOrgReady`, `GitRepositoryWritten`).
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

/// Environment phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum EnvironmentPhase {
    /// Waiting on something outside the controller (Gitea org or repo).
    Pending,
    /// Manifests are written; Flux has to apply them.
    Provisioning,
    /// Every region succeeded.
    Ready,
    /// Some regions failed.
    Degraded,
    /// The spec is invalid.
    Failed,
}

/// One region's vCluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VclusterStatus {
    /// Host cluster name.
    pub host: String,
    /// vCluster name (the Organization slug).
    pub name: String,
    /// vCluster phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<VclusterPhase>,
    /// When the phase last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
}

/// vCluster phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum VclusterPhase {
    /// Not started.
    Pending,
    /// Manifest written.
    Provisioning,
    /// Running.
    Ready,
    /// Writing the manifest failed.
    Failed,
}

/// The Gitea org and branch of an Environment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GiteaRepoRef {
    /// Gitea org (the Organization slug).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Branch (`main`, `staging`, `develop`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

impl EnvironmentSpec {
    /// An Environment from its required fields.
    ///
    /// ```
    /// use catalyst_core::crd::{Environment, EnvironmentPlacement, EnvironmentRegion, EnvironmentSpec};
    /// use catalyst_naming::{BuildingBlock, EnvType, Provider};
    ///
    /// let spec = EnvironmentSpec::new(
    ///     "acme",
    ///     EnvType::Prod,
    ///     EnvironmentPlacement::SingleRegion,
    ///     vec![EnvironmentRegion::new(Provider::Hetzner, "fsn", BuildingBlock::Rtz)],
    /// );
    /// let env = Environment::new("acme-prod", spec);
    /// assert!(env.spec.validate_placement().is_ok());
    /// ```
    pub fn new(
        organization_ref: impl Into<String>,
        env_type: EnvType,
        placement: EnvironmentPlacement,
        regions: Vec<EnvironmentRegion>,
    ) -> Self {
        Self {
            organization_ref: organization_ref.into(),
            env_type,
            placement,
            regions,
            policy_ref: None,
            extra: Extra::default(),
        }
    }

    /// With this EnvironmentPolicy.
    #[must_use]
    pub fn with_policy_ref(mut self, policy: impl Into<String>) -> Self {
        self.policy_ref = Some(policy.into());
        self
    }
}

impl EnvironmentRegion {
    /// A region of an Environment.
    pub fn new(provider: Provider, region: impl Into<String>, building_block: BuildingBlock) -> Self {
        Self { provider, region: region.into(), building_block, host_cluster: None, extra: Extra::default() }
    }

    /// On this host cluster (an override of the derived name).
    #[must_use]
    pub fn with_host_cluster(mut self, host_cluster: impl Into<String>) -> Self {
        self.host_cluster = Some(host_cluster.into());
        self
    }
}

// --- rules beyond the schema (catalyst validate) ---------------------------------------

pub(crate) fn check_environment(env: &Environment, out: &mut Vec<Diagnostic>) {
    let s = &env.spec;
    let org = match OrgSlug::parse(&s.organization_ref) {
        Ok(org) => Some(org),
        Err(e) => {
            out.push(error(spec().key("organizationRef"), Rule::Name5, e.to_string()));
            None
        }
    };
    if let Err(e) = s.validate_placement() {
        out.push(error(spec().key("regions"), Rule::Core5, e.message));
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, region) in s.regions.iter().enumerate() {
        let path = spec().key("regions").index(i);
        if let Some(host) = region.host_cluster_override() {
            if let Err(e) = catalyst_naming::check_dns_label("hostCluster", host) {
                out.push(error(path.key("hostCluster"), Rule::Name6, e.to_string()));
            }
        } else if let Err(e) = RegionTable::builtin().get(region.provider, &region.region) {
            out.push(warning(
                path.key("region"),
                Rule::Name2,
                format!("{e}; the verbatim host-cluster name works, canonical naming (ENV-3) does not"),
            ));
        }
        let host = region.host_cluster_verbatim(s.env_type);
        if let Some(first) = seen.insert(host.clone(), i) {
            out.push(error(
                path,
                Rule::Core3,
                format!("host cluster {host} is already spec.regions[{first}]"),
            ));
        }
    }
    if let (Some(org), Some(name)) = (org, env.metadata.name.as_deref()) {
        let expected = EnvironmentName::new(org, s.env_type).to_string();
        if name != expected {
            out.push(warning(
                FieldPath::root().key("metadata").key("name"),
                Rule::Op18,
                format!("{} is not {{organizationRef}}-{{envType}} ({expected})", short_str(name)),
            ));
        }
    }
}

impl crate::crd::EnvironmentSpec {
    /// The check the CRD cannot express (CORE-5): `single-region` needs exactly one region,
    /// `multi-region` at least two.
    pub fn validate_placement(&self) -> Result<(), Diagnostic> {
        let n = self.regions.len();
        let ok = match self.placement {
            EnvironmentPlacement::SingleRegion => n == 1,
            EnvironmentPlacement::MultiRegion => n >= 2,
        };
        if ok {
            return Ok(());
        }
        let need = match self.placement {
            EnvironmentPlacement::SingleRegion => "exactly 1 region",
            EnvironmentPlacement::MultiRegion => "at least 2 regions",
        };
        Err(Diagnostic::error(
            Rule::Core5,
            spec().key("regions"),
            format!("placement {} needs {need}, found {n}", self.placement.as_str()),
        ))
    }

    /// The CRD's schema checks, for library users without an API server (CORE-4): every
    /// pattern, enum and count violation, each with its path.
    pub fn validate_schema(&self) -> Result<(), Diagnostics> {
        let schema = Kind::Environment.schema();
        let spec_schema = schema.pointer("/properties/spec").unwrap_or(&Value::Null);
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut out = Vec::new();
        schema::check(spec_schema, &value, &spec(), &mut out);
        let errors: Diagnostics = out.into_iter().filter(Diagnostic::is_error).collect();
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}
