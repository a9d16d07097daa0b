//! `Sovereign.catalyst.openova.io/v1` (SPEC CORE-1; upstream serves `v1alpha1`, SPEC OP-17).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Extra;
use crate::conditions::Condition;
#[allow(clippy::wildcard_imports, unused_imports, reason = "the rules share one vocabulary")]
use crate::validate::prelude::*;
use catalyst_naming::Provider;

/// A Catalyst deployment: one FQDN, its regions and the parent domains it hosts Organizations in.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "catalyst.openova.io",
    version = "v1",
    kind = "Sovereign",
    status = "SovereignStatus",
    derive = "PartialEq",
    shortname = "sov",
    category = "catalyst",
    category = "openova",
    doc = "A Catalyst Sovereign: its FQDN, regions, business-continuity topology and parent domains.",
    printcolumn(name = "FQDN", type_ = "string", json_path = ".spec.fqdn"),
    printcolumn(name = "Topology", type_ = "string", json_path = ".spec.bcpTopology"),
    printcolumn(name = "Regions", type_ = "integer", json_path = ".status.regionCount"),
    printcolumn(name = "Ready", type_ = "boolean", json_path = ".status.ready"),
    printcolumn(name = "DeploymentID", type_ = "string", json_path = ".spec.deploymentId", priority = "1"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct SovereignSpec {
    /// The Sovereign's FQDN (`omantel.omani.works`).
    #[schemars(
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$"),
        length(max = 253)
    )]
    pub fqdn: String,
    /// The provisioning deployment's ID; immutable once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9a-f]{16}$"))]
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "oldSelf == \"\" || self == oldSelf", "message": "spec.deploymentId is immutable after creation"}]))]
    pub deployment_id: Option<String>,
    /// Business-continuity topology (default `single-region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "single-region"))]
    pub bcp_topology: Option<BcpTopology>,
    /// The primary cloud provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// The Sovereign's regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<SovereignRegion>,
    /// Parent domains: exactly one `primary`, any number of `org-pool`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parent_domains: Vec<ParentDomain>,
    /// One Keycloak realm per Organization or one shared realm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keycloak_topology: Option<KeycloakTopology>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Business-continuity topologies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BcpTopology {
    /// One region.
    SingleRegion,
    /// One active region, the others on hot standby.
    ActiveHotstandby,
    /// Every region serves.
    ActiveActive,
}

impl BcpTopology {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SingleRegion => "single-region",
            Self::ActiveHotstandby => "active-hotstandby",
            Self::ActiveActive => "active-active",
        }
    }
}

/// Keycloak realm layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KeycloakTopology {
    /// A realm per Organization.
    PerOrganization,
    /// One realm for the whole Sovereign.
    SharedSovereign,
}

/// One region of a Sovereign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct SovereignRegion {
    /// Provider region code (`fsn1`, `me-east-215-a`).
    #[schemars(length(max = 64))]
    pub code: String,
    /// `primary`, `standby`, `active`, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32))]
    pub role: Option<String>,
    /// Availability zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub az: Option<String>,
    /// Provider of this region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32))]
    pub provider: Option<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// A parent domain of a Sovereign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct ParentDomain {
    /// The domain (`omani.works`).
    #[schemars(
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$"),
        length(max = 253)
    )]
    pub name: String,
    /// `primary` or `org-pool`.
    pub role: ParentDomainRole,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Roles of a parent domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ParentDomainRole {
    /// The Sovereign's own domain (exactly one).
    Primary,
    /// A domain Organizations get subdomains of.
    OrgPool,
}

/// What the Sovereign controller observed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct SovereignStatus {
    /// Every region is ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    /// Number of regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub region_count: Option<i64>,
    /// Per-region status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<SovereignRegionStatus>,
    /// Lifecycle phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<SovereignPhase>,
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

/// One region's observed state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SovereignRegionStatus {
    /// Region code.
    pub code: String,
    /// Region role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The region's cluster is ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    /// Where the region's kubeconfig is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig_path: Option<String>,
    /// Last reconcile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reconciled_at: Option<Time>,
}

/// Sovereign phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum SovereignPhase {
    /// Not started.
    Pending,
    /// Bootstrap kit installing.
    Bootstrapping,
    /// Installed.
    Ready,
    /// Something is wrong.
    Degraded,
    /// Handover from the mothership in progress.
    CutoverInProgress,
    /// Handed over: the Sovereign runs itself.
    Sovereign,
}

impl SovereignSpec {
    /// A Sovereign with its FQDN and nothing else; add the rest with the `with_*` methods.
    ///
    /// ```
    /// use catalyst_core::crd::{BcpTopology, ParentDomain, ParentDomainRole, Sovereign, SovereignRegion, SovereignSpec};
    /// use catalyst_naming::Provider;
    ///
    /// let spec = SovereignSpec::new("omantel.biz")
    ///     .with_bcp_topology(BcpTopology::SingleRegion)
    ///     .with_provider(Provider::Hetzner)
    ///     .with_region(SovereignRegion::new("fsn").with_role("primary"))
    ///     .with_parent_domain(ParentDomain::new("omantel.biz", ParentDomainRole::Primary));
    /// let sovereign = Sovereign::new("omantel-biz", spec);
    /// assert_eq!(sovereign.spec.regions[0].code, "fsn");
    /// ```
    pub fn new(fqdn: impl Into<String>) -> Self {
        Self {
            fqdn: fqdn.into(),
            deployment_id: None,
            bcp_topology: None,
            provider: None,
            regions: Vec::new(),
            parent_domains: Vec::new(),
            keycloak_topology: None,
            extra: Extra::default(),
        }
    }

    /// With this BCP topology.
    #[must_use]
    pub fn with_bcp_topology(mut self, topology: BcpTopology) -> Self {
        self.bcp_topology = Some(topology);
        self
    }

    /// With this provider.
    #[must_use]
    pub fn with_provider(mut self, provider: Provider) -> Self {
        self.provider = Some(provider);
        self
    }

    /// With one more region.
    #[must_use]
    pub fn with_region(mut self, region: SovereignRegion) -> Self {
        self.regions.push(region);
        self
    }

    /// With one more parent domain.
    #[must_use]
    pub fn with_parent_domain(mut self, domain: ParentDomain) -> Self {
        self.parent_domains.push(domain);
        self
    }
}

impl SovereignRegion {
    /// A region by its code.
    pub fn new(code: impl Into<String>) -> Self {
        Self { code: code.into(), role: None, az: None, provider: None, extra: Extra::default() }
    }

    /// With this role (`primary`, `secondary`).
    #[must_use]
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }
}

impl ParentDomain {
    /// A parent domain and its role.
    pub fn new(name: impl Into<String>, role: ParentDomainRole) -> Self {
        Self { name: name.into(), role, extra: Extra::default() }
    }
}

// --- rules beyond the schema (catalyst validate) ---------------------------------------

pub(crate) fn check_sovereign(sov: &Sovereign, out: &mut Vec<Diagnostic>) {
    let s = &sov.spec;
    if let Err(e) = Fqdn::sovereign(&s.fqdn) {
        out.push(error(spec().key("fqdn"), Rule::Name28, e.to_string()));
    }
    if !s.parent_domains.is_empty() {
        let primaries = s.parent_domains.iter().filter(|d| d.role == ParentDomainRole::Primary).count();
        if primaries != 1 {
            out.push(error(
                spec().key("parentDomains"),
                Rule::Core1,
                format!("exactly one parent domain must have role primary, found {primaries}"),
            ));
        }
    }
    duplicates(s.parent_domains.iter().map(|d| d.name.as_str()), &spec().key("parentDomains"), "name", out);
    duplicates(s.regions.iter().map(|r| r.code.as_str()), &spec().key("regions"), "code", out);
    let topology = s.bcp_topology.unwrap_or(BcpTopology::SingleRegion);
    let n = s.regions.len();
    match topology {
        BcpTopology::SingleRegion if n > 1 => out.push(error(
            spec().key("regions"),
            Rule::Core1,
            format!("bcpTopology single-region allows 1 region, found {n}"),
        )),
        BcpTopology::ActiveActive | BcpTopology::ActiveHotstandby if n < 2 => out.push(error(
            spec().key("regions"),
            Rule::Core1,
            format!("bcpTopology {} needs at least 2 regions, found {n}", topology.as_str()),
        )),
        _ => {}
    }
}
