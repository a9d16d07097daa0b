//! The required label set (NAME-25 … NAME-27): a builder and a validator.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::dimensions::{BuildingBlock, EnvType, Provider, Region};
use crate::{
    AppName, BlueprintName, BlueprintVersion, EnvironmentName, Fqdn, Location, NamingError, OrgSlug,
};

/// Label keys, in the order of NAME-25.
pub mod keys {
    /// Cluster scope: provider full name.
    pub const PROVIDER: &str = "openova.io/provider";
    /// Cluster scope: region code.
    pub const REGION: &str = "openova.io/region";
    /// Cluster scope: building block.
    pub const BUILDING_BLOCK: &str = "openova.io/building-block";
    /// Cluster scope: env type.
    pub const ENV_TYPE: &str = "openova.io/env-type";
    /// Cluster scope: Sovereign FQDN.
    pub const SOVEREIGN: &str = "openova.io/sovereign";
    /// Cluster scope: host-cluster name (NAME-6).
    pub const HOST_CLUSTER: &str = "openova.io/host-cluster";
    /// Tenant scope: Org slug.
    pub const ORGANIZATION: &str = "openova.io/organization";
    /// Tenant scope: Environment name (NAME-12).
    pub const ENVIRONMENT: &str = "openova.io/environment";
    /// Tenant scope: vCluster name (the Org slug).
    pub const VCLUSTER: &str = "openova.io/vcluster";
    /// Tenant scope: Application name.
    pub const APPLICATION: &str = "openova.io/application";
    /// Tenant scope: Blueprint name (`bp-…`).
    pub const BLUEPRINT: &str = "openova.io/blueprint";
    /// Tenant scope: Blueprint version (semver).
    pub const BLUEPRINT_VERSION: &str = "openova.io/blueprint-version";
    /// Lifecycle: who manages the resource.
    pub const MANAGED_BY: &str = "openova.io/managed-by";
    /// Lifecycle: the Kubernetes recommended label, `flux` exactly when managed-by is `flux`.
    pub const K8S_MANAGED_BY: &str = "app.kubernetes.io/managed-by";

    /// NAME-27: environment-controller output.
    pub const CATALYST_ENVIRONMENT: &str = "catalyst.openova.io/environment";
    /// NAME-27: environment-controller output.
    pub const CATALYST_ENVIRONMENT_UID: &str = "catalyst.openova.io/environment-uid";
    /// NAME-27: environment-controller output.
    pub const CATALYST_ENVIRONMENT_GENERATION: &str = "catalyst.openova.io/environment-generation";
    /// NAME-27: bootstrap namespaces.
    pub const CATALYST_SOVEREIGN: &str = "catalyst.openova.io/sovereign";
    /// NAME-27: Blueprint metadata.
    pub const CATALYST_CATEGORY: &str = "catalyst.openova.io/category";
    /// NAME-27: Blueprint metadata.
    pub const CATALYST_SECTION: &str = "catalyst.openova.io/section";
    /// Continuum: the CNPG Cluster pair a Cluster belongs to (SPEC CONT-3).
    pub const CNPG_PAIR: &str = "catalyst.openova.io/cnpg-pair";
    /// Continuum: a CNPG Cluster's role in its pair, `primary` or `replica` (SPEC CONT-3).
    pub const CNPG_ROLE: &str = "openova.io/cnpg-role";
    /// Continuum annotation: the switchover in progress, `<from>→<to>`, written (with a
    /// compare-and-swap) before its first change and removed after its last (SPEC CONT-3).
    pub const CONTINUUM_SWITCHOVER: &str = "dr.openova.io/switchover";
    /// Continuum annotation: the region acting as primary after the last switchover (SPEC CONT-3).
    pub const CONTINUUM_PRIMARY: &str = "dr.openova.io/primary";
    /// Witness Lease annotation: the Continuum (`<namespace>/<name>`) the Lease belongs to.
    pub const WITNESS_SLOT: &str = "dr.openova.io/slot";
    /// What a Continuum or other object is scoped to (`application`).
    pub const SCOPE: &str = "openova.io/scope";
    /// application-controller output: the Application.
    pub const CATALYST_APPLICATION: &str = "catalyst.openova.io/application";
    /// application-controller output: the Application (on its Continuum).
    pub const CATALYST_APP: &str = "catalyst.openova.io/app";
    /// application-controller output: the Organization.
    pub const CATALYST_ORGANIZATION: &str = "catalyst.openova.io/organization";
    /// application-controller output: the env type.
    pub const CATALYST_ENV_TYPE: &str = "catalyst.openova.io/env-type";
    /// application-controller output: the region (host cluster).
    pub const CATALYST_REGION: &str = "catalyst.openova.io/region";
    /// application-controller output: the Application's namespace.
    pub const CATALYST_APP_NAMESPACE: &str = "catalyst.openova.io/app-namespace";
    /// application-controller output: the Application's UID.
    pub const CATALYST_APP_UID: &str = "catalyst.openova.io/app-uid";
    /// organization-controller output: the Organization's tier (`org`, `corporate`).
    pub const TIER: &str = "openova.io/tier";
    /// organization-controller output: the plan slug of a tenant's quota objects.
    pub const PLAN: &str = "openova.io/plan";
    /// organization-controller output: the Organization's display name (annotation).
    pub const DISPLAY_NAME: &str = "openova.io/display-name";
    /// UserAccess scope key naming an Organization, as the platform's `useraccess-boundary`
    /// policy reads it (besides [`ORGANIZATION`]).
    pub const ORG: &str = "openova.io/org";
    /// organization-controller output: which part of a tenant an object is.
    pub const CATALYST_COMPONENT: &str = "catalyst.openova.io/component";

    /// Cluster-scope keys, in order.
    pub const CLUSTER_SCOPE: [&str; 6] =
        [PROVIDER, REGION, BUILDING_BLOCK, ENV_TYPE, SOVEREIGN, HOST_CLUSTER];
    /// Tenant-scope keys of an Org's resources, in order.
    pub const TENANT_SCOPE: [&str; 3] = [ORGANIZATION, ENVIRONMENT, VCLUSTER];
    /// Tenant-scope keys of an Application's resources, in order.
    pub const APPLICATION_SCOPE: [&str; 3] = [APPLICATION, BLUEPRINT, BLUEPRINT_VERSION];
}

/// Who manages a resource (`openova.io/managed-by`, NAME-25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManagedBy {
    /// Flux (GitOps); also sets `app.kubernetes.io/managed-by: flux`.
    Flux,
    /// Crossplane (cloud resources).
    Crossplane,
    /// OpenTofu (Phase-0 infrastructure).
    Opentofu,
    /// Created by hand.
    Manual,
}

impl ManagedBy {
    /// Every value a builder may write.
    pub const ALL: [ManagedBy; 4] = [Self::Flux, Self::Crossplane, Self::Opentofu, Self::Manual];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Flux => "flux",
            Self::Crossplane => "crossplane",
            Self::Opentofu => "opentofu",
            Self::Manual => "manual",
        }
    }
}

impl FromStr for ManagedBy {
    type Err = NamingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| NamingError::InvalidLabelValue {
            key: keys::MANAGED_BY.into(),
            value: s.into(),
            reason: "expected flux, crossplane, opentofu or manual".into(),
        })
    }
}

impl fmt::Display for ManagedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why `value` is not a Kubernetes label value, or `None`:
/// ≤63 chars of `^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`.
fn label_value_problem(key: &str, value: &str) -> Option<NamingError> {
    if value.len() > crate::dns::MAX_LABEL_LEN {
        return Some(NamingError::LabelValueTooLong { key: key.into(), len: value.len() });
    }
    let bad = |reason: &str| {
        Some(NamingError::InvalidLabelValue { key: key.into(), value: value.into(), reason: reason.into() })
    };
    if let Some(c) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        return bad(&format!("character {c:?} is not A-Z, a-z, 0-9, '-', '_' or '.'"));
    }
    let alnum = |c: Option<char>| c.is_none_or(|c| c.is_ascii_alphanumeric());
    if !alnum(value.chars().next()) || !alnum(value.chars().last()) {
        return bad("a label value starts and ends with a letter or digit");
    }
    None
}

/// Builds the required label set from the dimensions that are known (NAME-25, NAME-26).
///
/// Only keys whose dimensions were given are emitted; every value is checked as a
/// Kubernetes label value.
///
/// ```
/// use catalyst_naming::{Fqdn, LabelsBuilder, Location, ManagedBy, OrgSlug};
/// let labels = LabelsBuilder::new()
///     .location(Location::parse("hz", "fsn", "rtz", "prod")?)
///     .sovereign(Fqdn::sovereign("omantel.biz")?)
///     .organization(OrgSlug::parse("acme")?)
///     .managed_by(ManagedBy::Flux)
///     .build()?;
/// assert_eq!(labels["openova.io/host-cluster"], "hz-fsn-rtz-prod");
/// assert_eq!(labels["openova.io/environment"], "acme-prod");
/// assert_eq!(labels["app.kubernetes.io/managed-by"], "flux");
/// # Ok::<(), catalyst_naming::NamingError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct LabelsBuilder {
    location: Option<Location>,
    sovereign: Option<Fqdn>,
    organization: Option<OrgSlug>,
    application: Option<AppName>,
    blueprint: Option<BlueprintName>,
    blueprint_version: Option<BlueprintVersion>,
    managed_by: Option<ManagedBy>,
}

impl LabelsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Provider, region, building block, env type and host cluster.
    #[must_use]
    pub fn location(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// The Sovereign FQDN.
    #[must_use]
    pub fn sovereign(mut self, sovereign: Fqdn) -> Self {
        self.sovereign = Some(sovereign);
        self
    }

    /// The Org: organization and vcluster, and environment when the location is known.
    #[must_use]
    pub fn organization(mut self, org: OrgSlug) -> Self {
        self.organization = Some(org);
        self
    }

    /// The Application name.
    #[must_use]
    pub fn application(mut self, app: AppName) -> Self {
        self.application = Some(app);
        self
    }

    /// The Blueprint and, optionally, its version.
    #[must_use]
    pub fn blueprint(mut self, blueprint: BlueprintName, version: Option<BlueprintVersion>) -> Self {
        self.blueprint = Some(blueprint);
        self.blueprint_version = version;
        self
    }

    /// Who manages the resource.
    #[must_use]
    pub fn managed_by(mut self, managed_by: ManagedBy) -> Self {
        self.managed_by = Some(managed_by);
        self
    }

    /// The labels in the order of NAME-25, each value checked (NAME-26).
    pub fn build_ordered(&self) -> Result<Vec<(&'static str, String)>, NamingError> {
        let mut out: Vec<(&'static str, String)> = Vec::with_capacity(14);
        if let Some(loc) = &self.location {
            out.push((keys::PROVIDER, loc.provider().name().into()));
            out.push((keys::REGION, loc.region().code().into()));
            out.push((keys::BUILDING_BLOCK, loc.building_block().code().into()));
            out.push((keys::ENV_TYPE, loc.env_type().code().into()));
        }
        if let Some(sov) = &self.sovereign {
            out.push((keys::SOVEREIGN, sov.as_str().into()));
        }
        if let Some(loc) = &self.location {
            out.push((keys::HOST_CLUSTER, loc.host_cluster()));
        }
        if let Some(org) = &self.organization {
            out.push((keys::ORGANIZATION, org.as_str().into()));
            if let Some(loc) = &self.location {
                out.push((keys::ENVIRONMENT, EnvironmentName::new(org.clone(), loc.env_type()).to_string()));
            }
            out.push((keys::VCLUSTER, org.as_str().into()));
        }
        if let Some(app) = &self.application {
            out.push((keys::APPLICATION, app.as_str().into()));
        }
        if let Some(bp) = &self.blueprint {
            out.push((keys::BLUEPRINT, bp.as_str().into()));
        }
        if let Some(v) = &self.blueprint_version {
            out.push((keys::BLUEPRINT_VERSION, v.as_str().into()));
        }
        if let Some(m) = self.managed_by {
            out.push((keys::MANAGED_BY, m.as_str().into()));
            if m == ManagedBy::Flux {
                out.push((keys::K8S_MANAGED_BY, "flux".into()));
            }
        }
        if let Some(err) = out.iter().find_map(|(k, v)| label_value_problem(k, v)) {
            return Err(err);
        }
        Ok(out)
    }

    /// The labels as a map, each value checked (NAME-26).
    pub fn build(&self) -> Result<BTreeMap<String, String>, NamingError> {
        Ok(self.build_ordered()?.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
}

/// Which required keys a resource must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelScope {
    /// Cluster scope and lifecycle: every Catalyst-managed resource.
    Cluster,
    /// Plus organization, environment and vcluster: an Org's resources.
    Tenant,
    /// Plus application, blueprint and blueprint-version: an Application's resources.
    Application,
}

impl LabelScope {
    /// The required keys of this scope, in NAME-25 order.
    pub fn required_keys(self) -> Vec<&'static str> {
        let mut keys: Vec<&'static str> = keys::CLUSTER_SCOPE.to_vec();
        if matches!(self, Self::Tenant | Self::Application) {
            keys.extend(keys::TENANT_SCOPE);
        }
        if self == Self::Application {
            keys.extend(keys::APPLICATION_SCOPE);
        }
        keys.push(keys::MANAGED_BY);
        keys
    }
}

/// One thing wrong with a resource's labels.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabelProblem {
    /// A required key is absent.
    Missing {
        /// The key.
        key: &'static str,
    },
    /// A value is not valid for its key.
    Malformed {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A value disagrees with what the other labels say it must be.
    Inconsistent {
        /// The key.
        key: &'static str,
        /// The value found.
        value: String,
        /// The value the other labels imply.
        expected: String,
    },
}

impl fmt::Display for LabelProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { key } => write!(f, "missing required label {key}"),
            Self::Malformed { key, value, reason } => {
                write!(f, "label {key}: invalid value {value:?}: {reason}")
            }
            Self::Inconsistent { key, value, expected } => {
                write!(f, "label {key} is {value:?} but the other labels say it must be {expected:?}")
            }
        }
    }
}

/// Checks a resource's labels against `scope` (NAME-25, NAME-26): reports missing required
/// keys, values that are not valid for their key, and values that contradict each other
/// (host-cluster, environment, vcluster, `app.kubernetes.io/managed-by`). An empty list
/// means the labels are complete and consistent.
///
/// `openova.io/managed-by: catalyst` is accepted on read (SPEC OP-12); the host cluster may
/// use the short (`hz-…`) or the full (`hetzner-…`) provider spelling (SPEC OP-2).
///
/// ```
/// use std::collections::BTreeMap;
/// use catalyst_naming::{validate_labels, LabelScope};
/// let labels = BTreeMap::from([("openova.io/provider".to_string(), "ibm".to_string())]);
/// let problems = validate_labels(&labels, LabelScope::Cluster);
/// assert_eq!(problems[0].to_string(), "missing required label openova.io/region");
/// ```
pub fn validate_labels(labels: &BTreeMap<String, String>, scope: LabelScope) -> Vec<LabelProblem> {
    let mut check = Checker { labels, problems: Vec::new() };
    for key in scope.required_keys() {
        if !labels.contains_key(key) {
            check.problems.push(LabelProblem::Missing { key });
        }
    }
    for (key, value) in labels {
        if (key.starts_with("openova.io/") || key == keys::K8S_MANAGED_BY)
            && let Some(err) = label_value_problem(key, value)
        {
            check.malformed(key, value, err.to_string());
        }
    }
    let known = check.values();
    check.consistency(&known);
    check.problems
}

/// Dimensions read back from valid label values, for the consistency checks.
struct Known {
    region: Option<Region>,
    building_block: Option<BuildingBlock>,
    env_type: Option<EnvType>,
    org: Option<OrgSlug>,
}

struct Checker<'a> {
    labels: &'a BTreeMap<String, String>,
    problems: Vec<LabelProblem>,
}

impl<'a> Checker<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        self.labels.get(key).map(String::as_str)
    }

    fn malformed(&mut self, key: &str, value: &str, reason: String) {
        self.problems.push(LabelProblem::Malformed { key: key.into(), value: value.into(), reason });
    }

    /// Parses `key` with `parse`, reporting a malformed value; `None` when absent or bad.
    fn parsed<T>(&mut self, key: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let value = self.get(key)?;
        parse(value).map_err(|reason| self.malformed(key, value, reason)).ok()
    }

    /// Each known key's own rule.
    fn values(&mut self) -> Known {
        let provider = self.parsed(keys::PROVIDER, |v| {
            Provider::ALL
                .into_iter()
                .find(|p| p.name() == v)
                .ok_or_else(|| format!("expected a provider's full name ({})", provider_names()))
        });
        let region = match provider {
            Some(p) => self.parsed(keys::REGION, |v| Region::parse(p, v).map_err(|e| e.to_string())),
            None => None,
        };
        let building_block = self.parsed(keys::BUILDING_BLOCK, |v| {
            BuildingBlock::from_code(v).ok_or_else(|| "expected rtz, dmz or mgt".to_owned())
        });
        let env_type = self.parsed(keys::ENV_TYPE, |v| {
            EnvType::from_code(v).ok_or_else(|| "expected prod, stg, uat, dev or poc".to_owned())
        });
        self.parsed(keys::SOVEREIGN, |v| Fqdn::sovereign(v).map_err(|e| e.to_string()));
        let org = self.parsed(keys::ORGANIZATION, |v| OrgSlug::parse(v).map_err(|e| e.to_string()));
        self.parsed(keys::APPLICATION, |v| AppName::parse(v).map_err(|e| e.to_string()));
        self.parsed(keys::BLUEPRINT, |v| match BlueprintName::parse(v) {
            Ok(bp) if bp.as_str() == v => Ok(()),
            Ok(bp) => Err(format!("label values carry the bp- prefix ({bp})")),
            Err(e) => Err(e.to_string()),
        });
        self.parsed(keys::BLUEPRINT_VERSION, |v| BlueprintVersion::parse(v).map_err(|e| e.to_string()));
        self.parsed(keys::MANAGED_BY, |v| {
            if v == "catalyst" || v.parse::<ManagedBy>().is_ok() {
                Ok(())
            } else {
                Err("expected flux, crossplane, opentofu or manual".to_owned())
            }
        });
        Known { region, building_block, env_type, org }
    }

    fn inconsistent(&mut self, key: &'static str, value: &str, expected: String) {
        if value != expected {
            self.problems.push(LabelProblem::Inconsistent { key, value: value.into(), expected });
        }
    }

    /// Values that contradict each other.
    fn consistency(&mut self, known: &Known) {
        if let (Some(region), Some(bb), Some(env), Some(hc)) =
            (&known.region, known.building_block, known.env_type, self.get(keys::HOST_CLUSTER))
        {
            let loc = Location::new(region.clone(), bb, env);
            if hc != loc.host_cluster_verbatim() {
                self.inconsistent(keys::HOST_CLUSTER, hc, loc.host_cluster());
            }
        }
        if let Some(org) = &known.org {
            if let (Some(env), Some(v)) = (known.env_type, self.get(keys::ENVIRONMENT)) {
                self.inconsistent(keys::ENVIRONMENT, v, EnvironmentName::new(org.clone(), env).to_string());
            }
            if let Some(v) = self.get(keys::VCLUSTER) {
                self.inconsistent(keys::VCLUSTER, v, org.to_string());
            }
        }
        match (self.get(keys::MANAGED_BY), self.get(keys::K8S_MANAGED_BY)) {
            (Some("flux"), Some(v)) => self.inconsistent(keys::K8S_MANAGED_BY, v, "flux".into()),
            (Some("flux"), None) => self.problems.push(LabelProblem::Missing { key: keys::K8S_MANAGED_BY }),
            (Some(_) | None, Some("flux")) => self.problems.push(LabelProblem::Inconsistent {
                key: keys::K8S_MANAGED_BY,
                value: "flux".into(),
                expected: "absent unless openova.io/managed-by is flux".into(),
            }),
            _ => {}
        }
    }
}

fn provider_names() -> String {
    Provider::ALL.map(Provider::name).join(", ")
}
