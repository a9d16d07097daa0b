//! The plan: every crate of the SDK applied to one Sovereign file, offline.
//!
//! [`plan`] runs the stages in the order a reader checks them against the output: the
//! Sovereign and its regions (`sovereign`), the catalog and the kit (`inputs`), the
//! Organizations with their Environments and Gitea files (`tenants`), each Application's
//! install plan and records (`applications`), and last the checks of everything built
//! (`checks`): DNS contents and every custom resource as the API server would see it.

mod applications;
mod checks;
mod inputs;
mod sovereign;
mod tenants;

use std::collections::BTreeMap;

use catalyst_core::crd::{Environment, Organization, Sovereign};
use catalyst_naming::{FieldPath, Provider, RegionTable};
use serde::Serialize;
use serde_json::Value;

pub use crate::code::{Code, Problem, Stage};
use crate::spec::SovereignFile;

/// The Sovereign's identity, as planned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SovereignSummary {
    /// The FQDN as written.
    pub fqdn: String,
    /// The zone its canonical records go into (when the FQDN is valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_zone: Option<String>,
    /// The provider (when known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
}

/// A custom resource of the plan: the typed object catalyst-core defines.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Resource {
    /// The Sovereign.
    Sovereign(Box<Sovereign>),
    /// An Organization.
    Organization(Box<Organization>),
    /// An Environment.
    Environment(Box<Environment>),
}

impl Resource {
    /// `Sovereign`, `Organization` or `Environment`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sovereign(_) => "Sovereign",
            Self::Organization(_) => "Organization",
            Self::Environment(_) => "Environment",
        }
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        let meta = match self {
            Self::Sovereign(r) => &r.metadata,
            Self::Organization(r) => &r.metadata,
            Self::Environment(r) => &r.metadata,
        };
        meta.name.as_deref().unwrap_or_default()
    }

    /// The object as the API server receives it.
    pub fn to_value(&self) -> Value {
        // Serializing these types to a JSON value cannot fail: string keys, no non-finite floats.
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The files a plan reads besides the Sovereign file: the Blueprint catalog and the
/// bootstrap kit, as (path, text) pairs.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// `blueprint.yaml` files: (path, text); the path's folder names the Blueprint.
    pub catalog: Vec<(String, String)>,
    /// Bootstrap-kit files: (file name, text), `kustomization.yaml` included.
    pub bootstrap_kit: Vec<(String, String)>,
}

/// A host cluster and its names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HostClusterNames {
    /// `hz-fsn-rtz-prod`.
    pub host_cluster: String,
    /// `hfrp`.
    pub location_code: String,
    /// `rtz-prod`.
    pub vpc: String,
    /// The required label set of objects on it.
    pub labels: BTreeMap<String, String>,
}

/// An Environment's names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnvironmentNames {
    /// `acme-prod`.
    pub name: String,
    /// The Gitea branch.
    pub branch: String,
    /// `ws.acme-prod.>`.
    pub jetstream_prefix: String,
    /// `org/acme/env/prod/`.
    pub openbao_path: String,
    /// The qualified vCluster names, one per region.
    pub vclusters: Vec<String>,
}

/// Every derived name.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Names {
    /// The host clusters, sorted.
    pub host_clusters: Vec<HostClusterNames>,
    /// Control-plane hostnames (component → FQDN), in the primary region.
    pub control_plane_dns: BTreeMap<String, String>,
    /// Per Organization, its Environments.
    pub organizations: BTreeMap<String, Vec<EnvironmentNames>>,
}

/// One Blueprint of an install plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstallStep {
    /// `bp-harbor`.
    pub name: String,
    /// The chosen version.
    pub version: String,
    /// What must be ready first.
    pub depends_on: Vec<String>,
    /// What already provides it: `the Sovereign (bootstrap kit, 02-cert-manager.yaml)`; such a
    /// step is not installed again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provided_by: Option<String>,
}

/// An Application's resolved install plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApplicationPlan {
    /// The Organization.
    pub organization: String,
    /// The Application.
    pub application: String,
    /// The request as written (`bp-harbor@^1`).
    pub blueprint: String,
    /// The Environments it goes into.
    pub environments: Vec<String>,
    /// Its hostnames, one per Environment.
    pub hostnames: Vec<String>,
    /// Blueprints in install order, dependencies first.
    pub install_order: Vec<InstallStep>,
}

/// The bootstrap kit's order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KitPlan {
    /// HelmReleases in install order.
    pub order: Vec<String>,
    /// Each release's dependencies.
    pub depends_on: BTreeMap<String, Vec<String>>,
    /// The longest chain.
    pub longest_chain: Vec<String>,
}

/// One record set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Owner name, with a trailing dot.
    pub name: String,
    /// `A`, `LUA`, …
    #[serde(rename = "type")]
    pub rtype: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Contents.
    pub contents: Vec<String>,
}

/// One zone's record sets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Zone {
    /// Zone name, with a trailing dot.
    pub zone: String,
    /// Record sets, sorted by name and type.
    pub records: Vec<Record>,
}

/// A file a controller writes to Gitea.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GiteaFile {
    /// `acme/acme-environment`.
    pub repository: String,
    /// The branch.
    pub branch: String,
    /// The path.
    pub path: String,
    /// The bytes.
    pub content: String,
}

/// Counts of every section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Host clusters.
    pub host_clusters: usize,
    /// Organizations.
    pub organizations: usize,
    /// Environments.
    pub environments: usize,
    /// Custom resources.
    pub resources: usize,
    /// Bootstrap-kit releases.
    pub bootstrap_releases: usize,
    /// Applications.
    pub applications: usize,
    /// Distinct Blueprints across all install plans.
    pub blueprints: usize,
    /// Of those, the ones the bootstrap kit provides.
    pub kit_provided: usize,
    /// DNS record sets.
    pub dns_records: usize,
    /// Gitea files.
    pub gitea_files: usize,
    /// Problems.
    pub problems: usize,
}

/// The whole Sovereign, planned.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan {
    /// FQDN, parent zone, provider.
    pub sovereign: SovereignSummary,
    /// Every derived name and label set.
    pub names: Names,
    /// The custom resources the platform would hold, validated.
    pub resources: Vec<Resource>,
    /// The bootstrap kit's install order.
    pub bootstrap_kit: KitPlan,
    /// Each Application's install plan.
    pub applications: Vec<ApplicationPlan>,
    /// DNS record sets, per zone.
    pub dns: Vec<Zone>,
    /// Files the controllers write to Gitea.
    pub gitea: Vec<GiteaFile>,
    /// Counts.
    pub summary: Summary,
    /// Every problem found, with its stage (see [`Code::stage`]).
    #[serde(serialize_with = "crate::code::serialize_problems")]
    pub problems: Vec<Problem>,
}

/// TTL of Application records.
pub const APP_TTL: u32 = 60;

/// The problems found so far.
#[derive(Default)]
struct Ctx {
    problems: Vec<Problem>,
}

impl Ctx {
    #[expect(clippy::needless_pass_by_value, reason = "callers hand over errors they are done with")]
    fn problem(&mut self, code: Code, path: FieldPath, message: impl ToString) {
        self.problems.push(Problem::error(code, path, message.to_string()));
    }
}

/// Plans `file` with the catalog and kit of `inputs`. Never fails: every problem is in
/// [`Plan::problems`] with its code and path, and every section holds what could be planned.
pub fn plan(file: &SovereignFile, inputs: &Inputs) -> Plan {
    let mut cx = Ctx::default();
    let mut out = Plan::default();
    let table = RegionTable::builtin();

    let sov = sovereign::plan(&mut cx, &mut out, file, table);
    let catalog = inputs::load_catalog(&mut cx, &inputs.catalog);
    let (kit, installed) = inputs::plan_kit(&mut cx, &inputs.bootstrap_kit);
    out.bootstrap_kit = kit;
    let supply = inputs::Supply { catalog, installed };
    let mut zones = sovereign::records(&mut cx, &mut out, file, &sov);
    tenants::plan(&mut cx, &mut out, file, &sov, &supply, &mut zones);
    checks::dns(&mut cx, &mut out, zones);
    checks::resources(&mut cx, &out);
    out.summary = checks::summary(&out, cx.problems.len());
    out.problems = cx.problems;
    out
}
