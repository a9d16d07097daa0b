//! What the organization-controller writes for an Organization (SPEC CTRL-1, as the platform
//! runs it): the tenant manifests of `<slug>/catalyst-tenant@main` with the plan quotas, the
//! per-Organization Flux objects, one `UserAccess` per owner and the first Environment. Pure:
//! no IO; the controller and `catalyst organization render` call it.
//!
//! Plan arithmetic (all exact, in millicores and MiB, written in Kubernetes' canonical form):
//! - headline (limits) per plan: `s` 1 CPU / 2Gi, `m` 2 / 4Gi, `l` 4 / 8Gi, `xl` 8 / 16Gi;
//!   `flexi` is Burstable (100m / 128Mi defaults, no quota); an unknown or empty plan is `s`;
//! - guaranteed share (requests) = ⌈headline / 6⌉ millicores and ⌈headline / 3⌉ MiB;
//! - `ResourceQuota` = plan term + the vCluster control plane + the per-Organization platform
//!   stack, on requests and on limits;
//! - `LimitRange` default limit = headline / 8, default request = ⌈limit / 6⌉m, ⌈limit / 3⌉Mi;
//! - overage `grow` replaces the headline in the limits term by the ceiling, clamped to
//!   [headline, top] per resource (top 8 / 16Gi, 16 / 32Gi for `xl`).
//!
//! ```
//! use catalyst_core::tenant::{PlanSizing, Overage};
//!
//! let m = PlanSizing::for_plan(Some("m"));
//! let quota = m.quota(&Overage::Capped).unwrap();
//! assert_eq!(quota.requests_cpu.to_string(), "4694m");
//! assert_eq!(quota.limits_memory.to_string(), "12458Mi");
//! let grow = m.quota(&Overage::grow(None, None)).unwrap();
//! assert_eq!((grow.limits_cpu.to_string(), grow.limits_memory.to_string()), ("14050m".into(), "24746Mi".into()));
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;

use catalyst_naming::{OrgSlug, keys};
use serde_json::{Value, json};

use crate::apps::PlannedFile;
use crate::crd::{Organization, OrganizationTier, OwnerRole};
use crate::quantity::Quantity;

/// The tenant repository every Organization gets.
pub const TENANT_REPO: &str = "catalyst-tenant";
/// Its description.
pub const TENANT_REPO_DESCRIPTION: &str =
    "vCluster + tenant manifests reconciled by Flux on the host cluster";
/// Who the controller says manages what it writes.
pub const CONTROLLER: &str = "organization-controller";

/// The Sovereign realm's group of an Organization (`/<slug>`).
pub fn keycloak_group_path(slug: &str) -> String {
    format!("/{slug}")
}

/// The Gitea org's description.
pub fn gitea_org_description(slug: &str, sovereign: &str) -> String {
    format!("Catalyst Organization {slug} on Sovereign {sovereign}")
}

// ---- configuration -------------------------------------------------------------------------

/// What the render needs beyond the Organization (the controller's environment variables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantConfig {
    /// `CATALYST_HOST_CLUSTER` (required): the host cluster of the tenants' vClusters.
    pub host_cluster: String,
    /// `CATALYST_GITEA_BRANCH` (`main`).
    pub branch: String,
    /// `CATALYST_GITEA_INCLUSTER_URL` (`http://gitea-http.gitea.svc.cluster.local:3000`): the
    /// URL Flux clones from.
    pub gitea_incluster_url: String,
    /// `CATALYST_FLUX_NAMESPACE` (`flux-system`).
    pub flux_namespace: String,
    /// `CATALYST_FLUX_INTERVAL_SECONDS` (60).
    pub flux_interval_seconds: u64,
    /// `CATALYST_FLUX_GITEA_SECRET_REF`: the Secret Flux clones with (required: the in-cluster
    /// Gitea is private).
    pub flux_secret_ref: String,
    /// `CATALYST_VCLUSTER_CHART_VERSION` (`0.33.*`).
    pub vcluster_chart_version: String,
    /// `CATALYST_VCLUSTER_HELMREPO_NAME` (`loft`).
    pub vcluster_helmrepo_name: String,
    /// `CATALYST_VCLUSTER_HELMREPO_NAMESPACE` (`vcluster-system`).
    pub vcluster_helmrepo_namespace: String,
    /// `CATALYST_VCLUSTER_IMAGE_REGISTRY` (`harbor.openova.io`).
    pub vcluster_image_registry: String,
    /// `CATALYST_ENV_REGION_PROVIDER` (`huawei`): the first Environment's provider when the host
    /// cluster name does not tell.
    pub env_provider: String,
    /// `CATALYST_ENV_REGION_CODE` (`mee`).
    pub env_region: String,
    /// `CATALYST_ENV_REGION_BUILDING_BLOCK` (`rtz`).
    pub env_building_block: String,
}

/// The variables [`TenantConfig::from_vars`] reads.
pub const VARIABLES: [&str; 13] = [
    "CATALYST_HOST_CLUSTER",
    "CATALYST_GITEA_BRANCH",
    "CATALYST_GITEA_INCLUSTER_URL",
    "CATALYST_FLUX_NAMESPACE",
    "CATALYST_FLUX_INTERVAL_SECONDS",
    "CATALYST_FLUX_GITEA_SECRET_REF",
    "CATALYST_VCLUSTER_CHART_VERSION",
    "CATALYST_VCLUSTER_HELMREPO_NAME",
    "CATALYST_VCLUSTER_HELMREPO_NAMESPACE",
    "CATALYST_VCLUSTER_IMAGE_REGISTRY",
    "CATALYST_ENV_REGION_PROVIDER",
    "CATALYST_ENV_REGION_CODE",
    "CATALYST_ENV_REGION_BUILDING_BLOCK",
];

impl TenantConfig {
    /// The defaults for a host cluster.
    pub fn new(host_cluster: impl Into<String>) -> Self {
        Self {
            host_cluster: host_cluster.into(),
            branch: "main".into(),
            gitea_incluster_url: "http://gitea-http.gitea.svc.cluster.local:3000".into(),
            flux_namespace: "flux-system".into(),
            flux_interval_seconds: 60,
            flux_secret_ref: String::new(),
            vcluster_chart_version: "0.33.*".into(),
            vcluster_helmrepo_name: "loft".into(),
            vcluster_helmrepo_namespace: "vcluster-system".into(),
            vcluster_image_registry: "harbor.openova.io".into(),
            env_provider: "huawei".into(),
            env_region: "mee".into(),
            env_building_block: "rtz".into(),
        }
    }

    /// The configuration from variables; unset or empty ones keep their defaults. Errors name
    /// the variable: `CATALYST_HOST_CLUSTER` is required and every name must be a DNS label
    /// (or DNS name for the registry), the chart version a plain version constraint. An
    /// interval that is not a positive integer falls back to 60 with a warning.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<(Self, Vec<String>), String> {
        let get = |k: &str| lookup(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let host = get("CATALYST_HOST_CLUSTER").ok_or("CATALYST_HOST_CLUSTER is required (the host cluster of the tenants' vClusters, e.g. hz-fsn-rtz-prod)")?;
        let mut c = Self::new(host);
        let mut warnings = Vec::new();
        for (var, field) in [
            ("CATALYST_GITEA_BRANCH", &mut c.branch),
            ("CATALYST_GITEA_INCLUSTER_URL", &mut c.gitea_incluster_url),
            ("CATALYST_FLUX_NAMESPACE", &mut c.flux_namespace),
            ("CATALYST_FLUX_GITEA_SECRET_REF", &mut c.flux_secret_ref),
            ("CATALYST_VCLUSTER_CHART_VERSION", &mut c.vcluster_chart_version),
            ("CATALYST_VCLUSTER_HELMREPO_NAME", &mut c.vcluster_helmrepo_name),
            ("CATALYST_VCLUSTER_HELMREPO_NAMESPACE", &mut c.vcluster_helmrepo_namespace),
            ("CATALYST_VCLUSTER_IMAGE_REGISTRY", &mut c.vcluster_image_registry),
            ("CATALYST_ENV_REGION_PROVIDER", &mut c.env_provider),
            ("CATALYST_ENV_REGION_CODE", &mut c.env_region),
            ("CATALYST_ENV_REGION_BUILDING_BLOCK", &mut c.env_building_block),
        ] {
            if let Some(v) = get(var) {
                *field = v;
            }
        }
        if let Some(v) = get("CATALYST_FLUX_INTERVAL_SECONDS") {
            let n =
                crate::gitops::positive_or_default("CATALYST_FLUX_INTERVAL_SECONDS", &v, 60, &mut warnings);
            c.flux_interval_seconds = u64::try_from(n).unwrap_or(60);
        }
        c.check()?;
        Ok((c, warnings))
    }

    /// Every value that goes into a manifest is checked here, so a render cannot be bent by
    /// configuration (a newline in a registry name, say).
    pub fn check(&self) -> Result<(), String> {
        let label = |var: &str, v: &str| -> Result<(), String> {
            if is_dns_label(v) {
                Ok(())
            } else {
                Err(format!(
                    "{var}={v:?} is not a DNS label (lower-case letters, digits and '-', at most 63)"
                ))
            }
        };
        label("CATALYST_HOST_CLUSTER", &self.host_cluster)?;
        label("CATALYST_FLUX_NAMESPACE", &self.flux_namespace)?;
        label("CATALYST_VCLUSTER_HELMREPO_NAME", &self.vcluster_helmrepo_name)?;
        label("CATALYST_VCLUSTER_HELMREPO_NAMESPACE", &self.vcluster_helmrepo_namespace)?;
        if !self.flux_secret_ref.is_empty() {
            label("CATALYST_FLUX_GITEA_SECRET_REF", &self.flux_secret_ref)?;
        }
        let registry = &self.vcluster_image_registry;
        if registry.is_empty()
            || registry.len() > 253
            || !registry
                .split(['.', ':', '/'])
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(format!(
                "CATALYST_VCLUSTER_IMAGE_REGISTRY={registry:?} is not a registry host (host[:port][/path])"
            ));
        }
        let v = &self.vcluster_chart_version;
        if v.is_empty()
            || v.len() > 64
            || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b".*-+<>=~^ ,".contains(&b))
        {
            return Err(format!("CATALYST_VCLUSTER_CHART_VERSION={v:?} is not a chart version constraint"));
        }
        if self.branch.is_empty()
            || !self.branch.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
            || self.branch.contains("..")
        {
            return Err(format!("CATALYST_GITEA_BRANCH={:?} is not a branch name", self.branch));
        }
        let provider = self.env_provider.parse::<catalyst_naming::Provider>().map_err(|e| {
            format!("CATALYST_ENV_REGION_PROVIDER={:?} is not a provider: {e}", self.env_provider)
        })?;
        // Any region code (the platform's default `mee` is not in the built-in table): a short
        // lower-case code.
        let code = &self.env_region;
        if code.len() < 2
            || code.len() > 8
            || !code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(format!(
                "CATALYST_ENV_REGION_CODE={code:?} is not a region code of {} (2 to 8 lower-case letters or digits)",
                provider.name()
            ));
        }
        self.env_building_block.parse::<catalyst_naming::BuildingBlock>().map_err(|e| {
            format!(
                "CATALYST_ENV_REGION_BUILDING_BLOCK={:?} is not a building block: {e}",
                self.env_building_block
            )
        })?;
        let url = &self.gitea_incluster_url;
        if !(url.starts_with("http://") || url.starts_with("https://"))
            || url.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b == b'"')
        {
            return Err(format!("CATALYST_GITEA_INCLUSTER_URL={url:?} is not an http(s) URL"));
        }
        Ok(())
    }
}

fn is_dns_label(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 63
        && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !v.starts_with('-')
        && !v.ends_with('-')
}

// ---- plan sizing ---------------------------------------------------------------------------

/// CPU in millicores and memory in MiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resources {
    /// Millicores.
    pub cpu_milli: i128,
    /// MiB.
    pub memory_mib: i128,
}

impl Resources {
    const fn new(cpu_milli: i128, memory_mib: i128) -> Self {
        Self { cpu_milli, memory_mib }
    }

    const fn plus(self, o: Self) -> Self {
        Self::new(self.cpu_milli + o.cpu_milli, self.memory_mib + o.memory_mib)
    }

    const fn max(self, o: Self) -> Self {
        Self::new(
            if self.cpu_milli > o.cpu_milli { self.cpu_milli } else { o.cpu_milli },
            if self.memory_mib > o.memory_mib { self.memory_mib } else { o.memory_mib },
        )
    }

    /// The CPU quantity, canonical.
    pub fn cpu(self) -> Quantity {
        Quantity::millis(self.cpu_milli)
    }

    /// The memory quantity, canonical.
    pub fn memory(self) -> Quantity {
        Quantity::mebibytes(self.memory_mib)
    }

    fn describe(self) -> String {
        format!("cpu={} memory={}", self.cpu(), self.memory())
    }
}

/// Requests and limits of one container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Container {
    requests: Resources,
    limits: Resources,
}

/// The vCluster syncer (statefulSet), its Kubernetes distro and its synced `CoreDNS`, as the
/// HelmRelease values size them; the control-plane overhead is derived from these.
const SYNCER: Container =
    Container { requests: Resources::new(500, 1024), limits: Resources::new(500, 1024) };
const DISTRO: Container = Container { requests: Resources::new(200, 256), limits: Resources::new(200, 256) };
const COREDNS: Container = Container { requests: Resources::new(20, 64), limits: Resources::new(1000, 170) };
const VCLUSTER_STORAGE_GIB: i128 = 5;

/// The per-Organization platform stack (bp-keycloak and its `PostgreSQL`, bp-newapi and its
/// `PostgreSQL`, bp-openclaw, bp-agenity and its oidc-gate) charged to the tenant's quota.
pub const PLATFORM_STACK_REQUESTS: Resources = Resources::new(3840, 6064);
/// Limits of the per-Organization platform stack.
pub const PLATFORM_STACK_LIMITS: Resources = Resources::new(4550, 7168);

/// The vCluster control plane's requests: the pod rule max(syncer, distro) + `CoreDNS`.
pub const VCLUSTER_REQUESTS: Resources = SYNCER.requests.max(DISTRO.requests).plus(COREDNS.requests);
/// The vCluster control plane's limits.
pub const VCLUSTER_LIMITS: Resources = SYNCER.limits.max(DISTRO.limits).plus(COREDNS.limits);

/// A plan's sizing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanSizing {
    /// The plan slug as the Organization states it (trimmed, lower-cased), or `s` when empty.
    pub label: String,
    /// The plan whose figures apply (`s`, `m`, `l`, `xl`, `flexi`).
    pub plan: &'static str,
    /// The headline (limits) figures; `None` for `flexi`.
    pub headline: Option<Resources>,
}

/// How a tenant may exceed its plan (`spec.commerce.overageMode`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overage {
    /// The plan is the cap (the default).
    Capped,
    /// Limits may grow to a ceiling (`cpu`, `memory` as the Organization gives them; empty or
    /// unparseable means the plan's top).
    Grow {
        /// The CPU ceiling (`2.5`, `3`).
        cpu: String,
        /// The memory ceiling (`6Gi`, `5120Mi`).
        memory: String,
    },
}

impl Overage {
    /// A grow ceiling from `spec.commerce.growCeiling` (vCPUs, GB): positive vCPUs are written
    /// as the shortest decimal, positive GB as `<n>Gi` when whole, else `<round(GB × 1024)>Mi`.
    pub fn grow(vcpu: Option<f64>, memory_gb: Option<f64>) -> Self {
        let cpu = vcpu.filter(|v| *v > 0.0 && v.is_finite()).map(|v| format!("{v}")).unwrap_or_default();
        let memory = memory_gb
            .filter(|g| *g > 0.0 && g.is_finite())
            .map(|g| {
                if g.fract() == 0.0 && g < 1e15 {
                    format!("{g}Gi")
                } else {
                    format!("{}Mi", (g * 1024.0).round())
                }
            })
            .unwrap_or_default();
        Self::Grow { cpu, memory }
    }

    /// The overage of an Organization: `grow` exactly, else capped.
    pub fn of(org: &Organization) -> Self {
        match &org.spec.commerce {
            Some(c) if c.overage_mode.as_deref() == Some("grow") => {
                let ceiling = c.grow_ceiling.as_ref();
                Self::grow(ceiling.and_then(|g| g.vcpu), ceiling.and_then(|g| g.memory_gb))
            }
            _ => Self::Capped,
        }
    }

    fn mode(&self) -> &'static str {
        match self {
            Self::Capped => "capped",
            Self::Grow { .. } => "grow",
        }
    }
}

/// The quota of a fixed plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quota {
    /// The plan's headline.
    pub headline: Resources,
    /// The guaranteed share.
    pub guaranteed: Resources,
    /// The limits term (the headline, or the clamped grow ceiling).
    pub limits_term: Resources,
    /// `requests.cpu`.
    pub requests_cpu: Quantity,
    /// `requests.memory`.
    pub requests_memory: Quantity,
    /// `limits.cpu`.
    pub limits_cpu: Quantity,
    /// `limits.memory`.
    pub limits_memory: Quantity,
}

fn ceil_div(a: i128, b: i128) -> i128 {
    (a + b - 1).div_euclid(b)
}

impl PlanSizing {
    /// The sizing of a plan slug; unknown or empty is `s`.
    pub fn for_plan(slug: Option<&str>) -> Self {
        let label = slug.map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty());
        let (plan, headline) = match label.as_deref() {
            Some("m") => ("m", Some(Resources::new(2000, 4096))),
            Some("l") => ("l", Some(Resources::new(4000, 8192))),
            Some("xl") => ("xl", Some(Resources::new(8000, 16384))),
            Some("flexi") => ("flexi", None),
            _ => ("s", Some(Resources::new(1000, 2048))),
        };
        Self { label: label.unwrap_or_else(|| "s".into()), plan, headline }
    }

    /// The guaranteed share: ⌈headline / 6⌉ millicores, ⌈headline / 3⌉ MiB.
    pub fn guaranteed(&self) -> Option<Resources> {
        self.headline.map(|h| Resources::new(ceil_div(h.cpu_milli, 6), ceil_div(h.memory_mib, 3)))
    }

    /// The most a `grow` tenant's limits term reaches: 8 / 16Gi, twice that for `xl`.
    pub fn grow_top(&self) -> Resources {
        if self.plan == "xl" { Resources::new(16_000, 32_768) } else { Resources::new(8000, 16_384) }
    }

    /// The limits term: the headline, or for `grow` the ceiling clamped to [headline, top]
    /// per resource (empty, unparseable or non-positive → top).
    pub fn limits_term(&self, overage: &Overage) -> Option<Resources> {
        let headline = self.headline?;
        let Overage::Grow { cpu, memory } = overage else { return Some(headline) };
        let top = self.grow_top();
        let parse = |s: &str| s.parse::<Quantity>().ok().filter(|q| q.as_millis() > 0);
        let cpu = parse(cpu).map_or(top.cpu_milli, |q| q.as_millis().div_euclid(1).max(0));
        let memory = parse(memory).map_or(top.memory_mib, Quantity::as_mebibytes_ceil);
        Some(Resources::new(
            cpu.clamp(headline.cpu_milli, top.cpu_milli),
            memory.clamp(headline.memory_mib, top.memory_mib),
        ))
    }

    /// The `ResourceQuota` of a fixed plan (`None` for `flexi`).
    pub fn quota(&self, overage: &Overage) -> Option<Quota> {
        let headline = self.headline?;
        let guaranteed = self.guaranteed()?;
        let limits_term = self.limits_term(overage)?;
        let requests = guaranteed.plus(VCLUSTER_REQUESTS).plus(PLATFORM_STACK_REQUESTS);
        let limits = limits_term.plus(VCLUSTER_LIMITS).plus(PLATFORM_STACK_LIMITS);
        Some(Quota {
            headline,
            guaranteed,
            limits_term,
            requests_cpu: requests.cpu(),
            requests_memory: requests.memory(),
            limits_cpu: limits.cpu(),
            limits_memory: limits.memory(),
        })
    }

    /// The `LimitRange` defaults: (default request, default limit).
    pub fn container_defaults(&self) -> (Resources, Resources) {
        match self.headline {
            Some(h) => {
                let limit = Resources::new(h.cpu_milli / 8, h.memory_mib / 8);
                (Resources::new(ceil_div(limit.cpu_milli, 6), ceil_div(limit.memory_mib, 3)), limit)
            }
            None => (Resources::new(100, 128), Resources::new(100, 128)),
        }
    }
}

// ---- the render ----------------------------------------------------------------------------

/// Why an Organization cannot be rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RenderError {
    /// The field at fault (`spec.slug`).
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> RenderError {
    RenderError { field, message: message.into() }
}

/// The validated inputs of a render.
struct Inputs<'a> {
    slug: &'a str,
    sovereign: &'a str,
    display_name: &'a str,
    tier: &'static str,
    sizing: PlanSizing,
    overage: Overage,
    config: &'a TenantConfig,
}

fn inputs<'a>(org: &'a Organization, config: &'a TenantConfig) -> Result<Inputs<'a>, RenderError> {
    let s = &org.spec;
    OrgSlug::parse(&s.slug).map_err(|e| bad("spec.slug", e.to_string()))?;
    catalyst_naming::Fqdn::sovereign(&s.sovereign_ref)
        .map_err(|e| bad("spec.sovereignRef", e.to_string()))?;
    if s.sovereign_ref.len() > 63 {
        // It is a label value of every object (at most 63 characters).
        return Err(bad(
            "spec.sovereignRef",
            "longer than 63 characters, too long for the openova.io/sovereign label",
        ));
    }
    config.check().map_err(|e| bad("configuration", e))?;
    let plan = s.plan_slug.map(|p| match p {
        crate::crd::PlanSlug::S => "s",
        crate::crd::PlanSlug::M => "m",
        crate::crd::PlanSlug::L => "l",
        crate::crd::PlanSlug::Xl => "xl",
        crate::crd::PlanSlug::Flexi => "flexi",
    });
    Ok(Inputs {
        slug: &s.slug,
        sovereign: &s.sovereign_ref,
        display_name: &s.display_name,
        tier: tier_label(s.tier),
        sizing: PlanSizing::for_plan(plan),
        overage: Overage::of(org),
        config,
    })
}

/// Reads an Organization the way the platform's controller does: an unknown or empty
/// `planSlug` is plan `s` (SPEC CTRL-1), an empty or unknown `tier` is `org`, an owner role
/// outside owner/admin/developer/viewer is `viewer`; each such fallback is a warning. What still
/// does not fit the Organization type is an error naming the field.
///
/// # Errors
/// `<field path>: <what is wrong>`.
pub fn organization_from(raw: &Value) -> Result<(Organization, Vec<String>), String> {
    let mut doc = raw.clone();
    let mut warnings = Vec::new();
    if let Some(spec) = doc.get_mut("spec").and_then(Value::as_object_mut) {
        match spec.get("planSlug").cloned() {
            Some(Value::String(p)) => {
                let norm = p.trim().to_ascii_lowercase();
                if matches!(norm.as_str(), "s" | "m" | "l" | "xl" | "flexi") {
                    spec.insert("planSlug".into(), Value::String(norm));
                } else {
                    if !p.is_empty() {
                        warnings.push(format!("spec.planSlug: {p:?} is not a plan; sized as plan s"));
                    }
                    spec.remove("planSlug");
                }
            }
            Some(Value::Null) => {
                spec.remove("planSlug");
            }
            _ => {}
        }
        let tier = spec.get("tier").and_then(Value::as_str).unwrap_or_default().to_owned();
        if !matches!(tier.as_str(), "sme" | "org" | "corporate") {
            if !tier.is_empty() {
                warnings.push(format!("spec.tier: {tier:?} is not a tier; taken as org"));
            }
            spec.insert("tier".into(), json!("org"));
        }
        if let Some(owners) = spec.get_mut("owners").and_then(Value::as_array_mut) {
            for (i, owner) in owners.iter_mut().enumerate() {
                let role = owner.get("role").and_then(Value::as_str).unwrap_or_default().to_owned();
                if !matches!(role.as_str(), "owner" | "admin" | "developer" | "viewer")
                    && let Some(o) = owner.as_object_mut()
                {
                    warnings.push(format!("spec.owners[{i}].role: {role:?} is not a role; granted viewer"));
                    o.insert("role".into(), json!("viewer"));
                }
            }
        }
    }
    let org: Organization =
        serde_path_to_error::deserialize(doc).map_err(|e| format!("{}: {}", e.path(), e.inner()))?;
    Ok((org, warnings))
}

fn tier_label(tier: OrganizationTier) -> &'static str {
    match tier {
        OrganizationTier::Sme => "sme",
        OrganizationTier::Org => "org",
        OrganizationTier::Corporate => "corporate",
    }
}

/// The files of `<slug>/catalyst-tenant` (11; 10 for `flexi`, which has no quota), paths in
/// byte order.
pub fn render(org: &Organization, config: &TenantConfig) -> Result<Vec<PlannedFile>, RenderError> {
    let i = inputs(org, config)?;
    let mut files = vec![
        file("vcluster/namespace.yaml", host_namespace(&i)),
        file("vcluster/limitrange.yaml", limit_range(&i)),
        file("vcluster/vcluster.yaml", vcluster_release(&i)),
        file("vcluster/apps/namespace.yaml", apps_namespace(&i)),
        file("vcluster/apps/networkpolicy.yaml", network_policies(&i)),
        file("vcluster/host-apps/ciliumnetworkpolicy.yaml", cilium_policy()),
        file("vcluster/host-apps/provisioning-rbac.yaml", provisioning_rbac(&i)),
    ];
    if let Some(rq) = resource_quota(&i) {
        files.push(file("vcluster/resourcequota.yaml", rq));
    }
    for dir in ["vcluster", "vcluster/apps", "vcluster/host-apps"] {
        let names: Vec<String> = files
            .iter()
            .filter_map(|f| f.path.strip_prefix(dir).and_then(|p| p.strip_prefix('/')))
            .filter(|p| !p.contains('/'))
            .map(str::to_owned)
            .collect();
        files.push(file(&format!("{dir}/kustomization.yaml"), kustomization(names)));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn file(path: &str, content: String) -> PlannedFile {
    PlannedFile { path: path.to_owned(), content }
}

/// Kustomization index bytes: `namespace.yaml` first, then byte order, without duplicates.
pub fn kustomization(names: impl IntoIterator<Item = String>) -> String {
    let set: BTreeSet<String> = names.into_iter().collect();
    let mut out =
        String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    let first = set.iter().filter(|n| *n == "namespace.yaml");
    for n in first.chain(set.iter().filter(|n| *n != "namespace.yaml")) {
        let _ = writeln!(out, "  - {}", plain(n));
    }
    out
}

/// The most entries an index may list, and the longest entry.
const MAX_INDEX_ENTRIES: usize = 1000;
const MAX_ENTRY_LEN: usize = 1024;

/// The `resources` of a plain Kustomization index (a mapping with at most `apiVersion`, `kind`
/// and `resources`, a list of strings). Anything else — patches, images, components, a
/// resource that is not a string — is refused rather than rewritten without it: merging a
/// richer file line by line would lose what it says. An empty file is an empty index.
///
/// # Errors
/// What makes it not a plain index.
pub fn kustomization_entries(text: &str) -> Result<BTreeSet<String>, String> {
    if text.trim().is_empty() {
        return Ok(BTreeSet::new());
    }
    let doc: Value = serde_saphyr::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    let map = doc.as_object().ok_or("not a mapping")?;
    if let Some(k) = map.keys().find(|k| !matches!(k.as_str(), "apiVersion" | "kind" | "resources")) {
        return Err(format!("it has {k:?}, which a plain index does not; not merged"));
    }
    let Some(resources) = map.get("resources").filter(|r| !r.is_null()) else { return Ok(BTreeSet::new()) };
    let list = resources.as_array().ok_or("resources is not a list")?;
    if list.len() > MAX_INDEX_ENTRIES {
        return Err(format!("more than {MAX_INDEX_ENTRIES} resources"));
    }
    list.iter()
        .map(|r| match r.as_str() {
            Some(n) if !n.is_empty() && n.len() <= MAX_ENTRY_LEN && !n.chars().any(char::is_control) => {
                Ok(n.to_owned())
            }
            _ => Err(format!("resource {r} is not a file name")),
        })
        .collect()
}

/// Merges a rendered index into the one in Gitea: the union (entries others added are kept),
/// never `kustomization.yaml` itself, and for the `vcluster/apps` index never the stale
/// `ciliumnetworkpolicy.yaml` (it moved to `host-apps`). `Ok(None)` when the existing index
/// already lists exactly that set (order and format do not matter): nothing to write.
///
/// # Errors
/// The existing index is not a plain index ([`kustomization_entries`]).
pub fn merge_kustomization(path: &str, existing: &str, rendered: &str) -> Result<Option<String>, String> {
    let current = kustomization_entries(existing)?;
    let mut merged: BTreeSet<String> = current.union(&kustomization_entries(rendered)?).cloned().collect();
    merged.remove("kustomization.yaml");
    if path == "vcluster/apps/kustomization.yaml" {
        merged.remove("ciliumnetworkpolicy.yaml");
    }
    Ok((merged != current).then(|| kustomization(merged)))
}

/// A YAML scalar for a checked name: plain unless YAML would read it as something other than
/// a string (`null`, `yes`, `1e3`), then double-quoted.
fn plain(v: &str) -> String {
    let lower = v.to_ascii_lowercase();
    let special = matches!(
        lower.as_str(),
        "" | "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | ".nan" | ".inf"
    ) || v.parse::<f64>().is_ok()
        || v.starts_with(['-', '.', '+', '0'])
        || v.bytes().any(|b| !(b.is_ascii_alphanumeric() || b"-._/*".contains(&b)));
    if special { go_quote(v) } else { v.to_owned() }
}

/// Go's `%q`: a double-quoted string with `\"`, `\\`, the C escapes, `\xNN` for other control
/// bytes and `\uNNNN` for invisible or line-breaking Unicode. Also a valid YAML double-quoted
/// scalar, so a display name cannot break out of its line.
pub fn go_quote(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}') =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn host_namespace(i: &Inputs<'_>) -> String {
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {slug}\n  labels:\n    {org}: {slug}\n    {host}: {cluster}\n    {sov}: {fqdn}\n    {mb}: catalyst\n    {tier}: {t}\n  annotations:\n    {dn}: {name}\n",
        slug = plain(i.slug),
        org = keys::ORGANIZATION,
        host = keys::HOST_CLUSTER,
        cluster = plain(&i.config.host_cluster),
        sov = keys::SOVEREIGN,
        fqdn = plain(i.sovereign),
        mb = keys::MANAGED_BY,
        tier = keys::TIER,
        t = i.tier,
        dn = keys::DISPLAY_NAME,
        name = go_quote(i.display_name),
    )
}

fn quota_labels(i: &Inputs<'_>) -> String {
    format!(
        "  labels:\n    {}: {}\n    {}: {}\n    {}: catalyst\n",
        keys::ORGANIZATION,
        plain(i.slug),
        keys::PLAN,
        plain(&i.sizing.label),
        keys::MANAGED_BY
    )
}

/// The annotations the plan stamps on both quota objects.
fn plan_annotations(out: &mut String, headline: Resources, guaranteed: Resources) {
    let _ = write!(
        out,
        "    openova.io/plan-cap: \"{}\"\n    openova.io/plan-guaranteed-cpu: \"{}\"\n    openova.io/plan-guaranteed-memory: \"{}\"\n    openova.io/plan-overcommit-cpu: \"6\"\n    openova.io/plan-overcommit-memory: \"3\"\n",
        headline.describe(),
        guaranteed.cpu(),
        guaranteed.memory()
    );
}

fn overage_annotations(out: &mut String, i: &Inputs<'_>) {
    let _ = writeln!(out, "    openova.io/overage-mode: \"{}\"", i.overage.mode());
    if let (Overage::Grow { .. }, Some(term)) = (&i.overage, i.sizing.limits_term(&i.overage)) {
        let _ = writeln!(out, "    openova.io/grow-ceiling: \"{}\"", term.describe());
    }
}

fn limit_range(i: &Inputs<'_>) -> String {
    let mut out = format!(
        "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: plan-limits\n  namespace: {}\n{}",
        plain(i.slug),
        quota_labels(i)
    );
    if let (Some(h), Some(g)) = (i.sizing.headline, i.sizing.guaranteed()) {
        out.push_str("  annotations:\n");
        plan_annotations(&mut out, h, g);
        overage_annotations(&mut out, i);
    }
    let (request, limit) = i.sizing.container_defaults();
    let _ = write!(
        out,
        "spec:\n  limits:\n    - type: Container\n      defaultRequest:\n        cpu: \"{}\"\n        memory: \"{}\"\n      default:\n        cpu: \"{}\"\n        memory: \"{}\"\n",
        request.cpu(),
        request.memory(),
        limit.cpu(),
        limit.memory()
    );
    out
}

const QUOTA_PREAMBLE: &str = "\
# The hard cap below is NOT the plan alone. It is the purchased plan PLUS the
# per-Org vCluster control plane (vcluster-0 syncer + the synced coredns) PLUS
# the per-Organization platform stack (bp-keycloak + its postgresql, bp-newapi
# + its postgresql, bp-openclaw, bp-agenity + its oidc-gate), all of which run
# in this same namespace and are charged to this quota at admission, so neither
# eats into what the customer bought. The plan term is the headline on limits
# and the guaranteed share (headline over the CPU 6x / memory 3x overcommit)
# on requests.
";

fn overhead(requests: Resources, limits: Resources, storage: bool) -> String {
    let mut s = format!("requests {}; limits {}", requests.describe(), limits.describe());
    if storage {
        let _ = write!(s, "; storage={}", Quantity::mebibytes(VCLUSTER_STORAGE_GIB * 1024));
    }
    s
}

fn resource_quota(i: &Inputs<'_>) -> Option<String> {
    let q = i.sizing.quota(&i.overage)?;
    let plan = &i.sizing.plan;
    let vcluster = overhead(VCLUSTER_REQUESTS, VCLUSTER_LIMITS, true);
    let stack = overhead(PLATFORM_STACK_REQUESTS, PLATFORM_STACK_LIMITS, false);
    let mut out = String::from(QUOTA_PREAMBLE);
    let _ = write!(
        out,
        "#   plan {plan} headline (limits): {}\n#   plan {plan} guaranteed (requests): {}\n#   vcluster control plane: {vcluster}\n#   per-Organization platform stack: {stack}\n#   overage mode: {}\n",
        q.headline.describe(),
        q.guaranteed.describe(),
        i.overage.mode()
    );
    if matches!(i.overage, Overage::Grow { .. }) {
        let _ = writeln!(
            out,
            "#   grow ceiling (limits plan term, clamped to the plan and its top): {}",
            q.limits_term.describe()
        );
    }
    let _ = write!(
        out,
        "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: plan-quota\n  namespace: {}\n{}  annotations:\n    openova.io/quota-formula: \"purchased plan + vcluster control plane + per-Organization platform stack\"\n",
        plain(i.slug),
        quota_labels(i)
    );
    plan_annotations(&mut out, q.headline, q.guaranteed);
    let _ = write!(
        out,
        "    openova.io/vcluster-control-plane-overhead: \"{vcluster}\"\n    openova.io/platform-stack-overhead: \"{stack}\"\n"
    );
    overage_annotations(&mut out, i);
    let _ = write!(
        out,
        "spec:\n  hard:\n    requests.cpu: \"{}\"\n    requests.memory: \"{}\"\n    limits.cpu: \"{}\"\n    limits.memory: \"{}\"\n",
        q.requests_cpu, q.requests_memory, q.limits_cpu, q.limits_memory
    );
    Some(out)
}

fn resources_block(out: &mut String, indent: &str, c: Container) {
    let _ = write!(
        out,
        "{indent}resources:\n{indent}  requests:\n{indent}    cpu: {}\n{indent}    memory: {}\n{indent}  limits:\n{indent}    cpu: {}\n{indent}    memory: {}\n",
        c.requests.cpu(),
        c.requests.memory(),
        c.limits.cpu(),
        c.limits.memory()
    );
}

/// The HTTPRoute CRD the vCluster serves so tenants' routes sync to the host (structural stub).
const HTTPROUTE_CRD_STUB: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: httproutes.gateway.networking.k8s.io
spec:
  group: gateway.networking.k8s.io
  names:
    kind: HTTPRoute
    listKind: HTTPRouteList
    plural: httproutes
    singular: httproute
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
    - name: v1beta1
      served: true
      storage: false
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
";

fn vcluster_release(i: &Inputs<'_>) -> String {
    let c = i.config;
    let slug = plain(i.slug);
    let registry = plain(&c.vcluster_image_registry);
    let mut out = format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: vcluster\n  namespace: {slug}\n  labels:\n    {org}: {slug}\n    {vc}: {slug}\n    {host}: {cluster}\n    {sov}: {fqdn}\n    {mb}: flux\n    {kmb}: flux\nspec:\n  interval: 10m\n  timeout: 10m\n  install:\n    remediation:\n      retries: -1\n  upgrade:\n    remediation:\n      retries: -1\n  chart:\n    spec:\n      chart: vcluster\n      version: {version}\n      sourceRef:\n        kind: HelmRepository\n        name: {repo}\n        namespace: {repo_ns}\n  values:\n    controlPlane:\n      distro:\n        k8s:\n          enabled: true\n          image:\n            registry: {registry}\n            repository: proxy-ghcr/loft-sh/kubernetes\n",
        org = keys::ORGANIZATION,
        vc = keys::VCLUSTER,
        host = keys::HOST_CLUSTER,
        cluster = plain(&c.host_cluster),
        sov = keys::SOVEREIGN,
        fqdn = plain(i.sovereign),
        mb = keys::MANAGED_BY,
        kmb = keys::K8S_MANAGED_BY,
        version = go_quote(&c.vcluster_chart_version),
        repo = plain(&c.vcluster_helmrepo_name),
        repo_ns = plain(&c.vcluster_helmrepo_namespace),
    );
    resources_block(&mut out, "          ", DISTRO);
    let _ = write!(
        out,
        "      coredns:\n        deployment:\n          image: {}\n",
        go_quote(&format!("{}/proxy-dockerhub/coredns/coredns:1.11.3", c.vcluster_image_registry))
    );
    resources_block(&mut out, "          ", COREDNS);
    let _ = write!(
        out,
        "      backingStore:\n        database:\n          embedded:\n            enabled: true\n      statefulSet:\n        image:\n          registry: {registry}\n          repository: proxy-ghcr/loft-sh/vcluster-oss\n"
    );
    resources_block(&mut out, "        ", SYNCER);
    let _ = write!(
        out,
        "        persistence:\n          volumeClaim:\n            size: {storage}\n      service:\n        spec:\n          type: ClusterIP\n    exportKubeConfig:\n      context: vcluster\n      server: https://vcluster.{slug}:443\n      additionalSecrets:\n        - name: vc-vcluster\n    sync:\n      toHost:\n        services:\n          enabled: true\n        ingresses:\n          enabled: false\n        networkPolicies:\n          enabled: true\n        customResources:\n          httproutes.gateway.networking.k8s.io:\n            enabled: true\n      fromHost:\n        ingressClasses:\n          enabled: true\n    networking:\n      replicateServices:\n        fromHost:\n          - from: keycloak/keycloak\n            to: keycloak/keycloak\n    experimental:\n      deploy:\n        vcluster:\n          manifests: |\n",
        storage = Quantity::mebibytes(VCLUSTER_STORAGE_GIB * 1024),
    );
    for line in HTTPROUTE_CRD_STUB.lines() {
        let _ = writeln!(out, "            {line}");
    }
    out
}

fn apps_namespace(i: &Inputs<'_>) -> String {
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {slug}\n  labels:\n    {}: {slug}\n    {}: catalyst\n    {}: per-org-apps-target-ns\n",
        keys::ORGANIZATION,
        keys::MANAGED_BY,
        keys::CATALYST_COMPONENT,
        slug = plain(i.slug),
    )
}

fn network_policies(i: &Inputs<'_>) -> String {
    let labels = format!(
        "  labels:\n    {}: {}\n    {}: catalyst\n",
        keys::ORGANIZATION,
        plain(i.slug),
        keys::MANAGED_BY
    );
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-all\n  namespace: apps\n{labels}spec:\n  podSelector: {{}}\n  policyTypes:\n    - Ingress\n    - Egress\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-same-org\n  namespace: apps\n{labels}spec:\n  podSelector: {{}}\n  policyTypes:\n    - Ingress\n    - Egress\n  ingress:\n    - from:\n        - podSelector: {{}}\n  egress:\n    - to:\n        - podSelector: {{}}\n    - ports:\n        - protocol: UDP\n          port: 53\n        - protocol: TCP\n          port: 53\n"
    )
}

fn cilium_policy() -> String {
    "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: allow-gateway-and-apiserver\n  namespace: apps\nspec:\n  endpointSelector: {}\n  ingress:\n    - fromEntities:\n        - ingress\n        - host\n        - remote-node\n    - fromEndpoints:\n        - {}\n    - fromEndpoints:\n        - matchLabels:\n            k8s:io.kubernetes.pod.namespace: flux-system\n  egress:\n    - toEndpoints:\n        - matchLabels:\n            k8s:io.kubernetes.pod.namespace: kube-system\n            k8s:k8s-app: kube-dns\n      toPorts:\n        - ports:\n            - port: \"53\"\n              protocol: UDP\n            - port: \"53\"\n              protocol: TCP\n    - toEntities:\n        - kube-apiserver\n      toPorts:\n        - ports:\n            - port: \"443\"\n              protocol: TCP\n            - port: \"6443\"\n              protocol: TCP\n    - toEndpoints:\n        - {}\n".to_owned()
}

fn provisioning_rbac(i: &Inputs<'_>) -> String {
    let slug = plain(i.slug);
    let rule = |groups: &str, resources: &str, verbs: &str| {
        format!("  - apiGroups:\n      - {groups}\n    resources: [{resources}]\n    verbs: [{verbs}]\n")
    };
    let mut out = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: provisioning-tenant\n  namespace: {slug}\nrules:\n"
    );
    out.push_str(&rule("helm.toolkit.fluxcd.io", "helmreleases", "get, list, watch, patch, delete"));
    out.push_str(&rule("kustomize.toolkit.fluxcd.io", "kustomizations", "get, list, watch, patch, delete"));
    out.push_str(&rule("\"\"", "secrets", "get, list, watch, create, update, patch"));
    out.push_str(&rule("\"\"", "pods", "get, list, watch, delete"));
    out.push_str(&rule("\"\"", "services", "get, list, watch"));
    out.push_str(&rule("apps", "deployments", "get, list, watch"));
    out.push_str(&rule("cert-manager.io", "certificates, certificaterequests", "get, list, watch, patch"));
    let _ = write!(
        out,
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: provisioning-tenant\n  namespace: {slug}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: provisioning-tenant\nsubjects:\n  - kind: ServiceAccount\n    name: provisioning\n    namespace: org-services\n"
    );
    out
}

// ---- objects the controller applies --------------------------------------------------------

/// The name of the per-Organization Flux objects (`catalyst-tenant-<slug>`).
pub fn flux_name(slug: &str) -> String {
    format!("{TENANT_REPO}-{slug}")
}

/// The three Kustomizations, in the order they are deleted (host-apps, apps, vcluster).
pub fn kustomization_names(slug: &str) -> [String; 3] {
    let base = flux_name(slug);
    [format!("{base}-host-apps"), format!("{base}-apps"), format!("{base}-vcluster")]
}

/// The per-Organization Flux objects in `flux_namespace`: the GitRepository of the tenant
/// repository and the `-vcluster`, `-apps` and `-host-apps` Kustomizations (`suspend: true`
/// while the Organization is suspended, `false` otherwise). The secret reference is required: the in-cluster Gitea is private.
pub fn flux_objects(org: &Organization, config: &TenantConfig) -> Result<Vec<Value>, RenderError> {
    let i = inputs(org, config)?;
    if config.flux_secret_ref.is_empty() {
        return Err(bad(
            "configuration",
            "CATALYST_FLUX_GITEA_SECRET_REF is empty: Flux needs a Secret to clone the tenant repository from the Sovereign's Gitea",
        ));
    }
    let slug = i.slug;
    let name = flux_name(slug);
    let interval = format!("{}s", config.flux_interval_seconds);
    let labels = |component: &str| {
        json!({
            keys::K8S_MANAGED_BY: CONTROLLER,
            keys::ORGANIZATION: slug,
            keys::HOST_CLUSTER: config.host_cluster,
            keys::SOVEREIGN: i.sovereign,
            keys::CATALYST_COMPONENT: component,
        })
    };
    let meta = |n: &str, component: &str| json!({"name": n, "namespace": config.flux_namespace, "labels": labels(component)});
    let url = format!("{}/{slug}/{TENANT_REPO}.git", config.gitea_incluster_url.trim_end_matches('/'));
    let mut out = vec![json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": meta(&name, "per-org-vcluster-source"),
        "spec": {"interval": interval, "url": url, "ref": {"branch": config.branch},
                 "secretRef": {"name": config.flux_secret_ref}},
    })];
    let suspended = org.spec.suspended == Some(true);
    let [host_apps, apps, vcluster] = kustomization_names(slug);
    for (n, path, component, target, kubeconfig) in [
        (vcluster, "./vcluster", "per-org-vcluster-reconciler", false, false),
        (apps, "./vcluster/apps", "per-org-apps-reconciler", true, true),
        (host_apps, "./vcluster/host-apps", "per-org-host-apps-reconciler", true, false),
    ] {
        let mut spec = json!({
            "interval": interval, "retryInterval": interval, "path": path, "prune": true,
            "sourceRef": {"kind": "GitRepository", "name": name, "namespace": config.flux_namespace},
        });
        if target {
            spec["targetNamespace"] = json!(slug);
        }
        if kubeconfig {
            spec["kubeConfig"] =
                json!({"secretRef": {"name": format!("tenant-{slug}-kubeconfig"), "key": "config"}});
        }
        // Written either way: with server-side apply and the unchanged-skip, an absent key
        // would never turn a resumed Organization's Kustomizations back on.
        spec["suspend"] = json!(suspended);
        out.push(json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": meta(&n, component),
            "spec": spec,
        }));
    }
    Ok(out)
}

/// The leaf of an owner's `UserAccess` name: the lower-cased email with `@` → `-at-`, `.` →
/// `-`, `+` → `-plus-`, `_` → `-`, anything else outside `[a-z0-9-]` dropped, at most 200
/// bytes, without leading or trailing `-`.
pub fn email_leaf(email: &str) -> String {
    let mut out = String::new();
    for c in email.to_lowercase().chars() {
        match c {
            '@' => out.push_str("-at-"),
            '.' | '_' => out.push('-'),
            '+' => out.push_str("-plus-"),
            c if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' => out.push(c),
            _ => {}
        }
    }
    out.truncate(200);
    out.trim_matches('-').to_owned()
}

/// The application role an owner's role grants (owner and admin → admin, developer → editor,
/// viewer → viewer).
pub fn access_role(role: OwnerRole) -> &'static str {
    match role {
        OwnerRole::Owner | OwnerRole::Admin => "admin",
        OwnerRole::Developer => "editor",
        OwnerRole::Viewer => "viewer",
    }
}

fn owner_reference(org: &Organization) -> Value {
    json!({
        "apiVersion": "orgs.openova.io/v1", "kind": "Organization",
        "name": org.metadata.name.clone().unwrap_or_default(),
        "uid": org.metadata.uid.clone().unwrap_or_default(),
        "controller": true, "blockOwnerDeletion": true,
    })
}

/// One cluster-scoped `access.openova.io/v1alpha1` UserAccess per owner, `<slug>-<leaf>`, owned
/// by the Organization. Owners whose email leaves nothing, or whose name would exceed 253
/// characters, are left out with a warning; two owners with the same leaf keep the first.
pub fn user_accesses(org: &Organization) -> (Vec<Value>, Vec<String>) {
    let slug = &org.spec.slug;
    let mut out: Vec<Value> = Vec::new();
    let mut warnings = Vec::new();
    for (n, owner) in org.spec.owners.iter().enumerate() {
        let leaf = email_leaf(&owner.email);
        let name = format!("{slug}-{leaf}");
        if leaf.is_empty() || name.len() > 253 {
            warnings
                .push(format!("spec.owners[{n}].email: {:?} gives no usable UserAccess name", owner.email));
            continue;
        }
        if out.iter().any(|u| u["metadata"]["name"] == name.as_str()) {
            warnings.push(format!("spec.owners[{n}].email: UserAccess {name} is already an earlier owner's"));
            continue;
        }
        out.push(json!({
            "apiVersion": "access.openova.io/v1alpha1",
            "kind": "UserAccess",
            "metadata": {
                "name": name,
                "labels": {
                    keys::ORGANIZATION: slug,
                    keys::SOVEREIGN: org.spec.sovereign_ref,
                    keys::MANAGED_BY: CONTROLLER,
                    keys::K8S_MANAGED_BY: "catalyst",
                },
                "ownerReferences": [owner_reference(org)],
            },
            "spec": {
                "user": {"keycloakSubject": owner.email},
                "sovereignRef": slug,
                "applications": [{"app": slug, "role": access_role(owner.role), "namespaces": [slug]}],
            },
        }));
    }
    (out, warnings)
}

/// The first Environment `<slug>-<envType>` (default `prod`), single-region on the host
/// cluster: provider, region and building block from the host cluster's name when it is a
/// NAME-6 name, else from the configuration.
pub fn first_environment(org: &Organization, config: &TenantConfig) -> Value {
    let slug = &org.spec.slug;
    let env_type = org.spec.default_environment_type.unwrap_or(catalyst_naming::EnvType::Prod);
    let (provider, region, bb) = match catalyst_naming::Location::from_host_cluster(&config.host_cluster) {
        Ok(loc) => (
            loc.provider().name().to_owned(),
            loc.region().code().to_owned(),
            loc.building_block().code().to_owned(),
        ),
        Err(_) => (config.env_provider.clone(), config.env_region.clone(), config.env_building_block.clone()),
    };
    json!({
        "apiVersion": "catalyst.openova.io/v1",
        "kind": "Environment",
        "metadata": {
            "name": format!("{slug}-{}", env_type.code()),
            "labels": {
                keys::ORGANIZATION: slug,
                keys::SOVEREIGN: org.spec.sovereign_ref,
                keys::MANAGED_BY: CONTROLLER,
                keys::K8S_MANAGED_BY: "catalyst",
            },
            "ownerReferences": [owner_reference(org)],
        },
        "spec": {
            "organizationRef": slug,
            "envType": env_type.code(),
            "placement": "single-region",
            "regions": [{"provider": provider, "region": region, "buildingBlock": bb,
                         "hostCluster": config.host_cluster}],
        },
    })
}
