//! What the application-controller writes for an Application (SPEC CTRL-3), as pure
//! functions: the placement posture and its per-region plan, the two files per region that go
//! to Gitea (a Flux `HelmRelease` and the kustomize overlay that lists it), the host Flux
//! objects that sync them, and the Continuum of a hot-standby Application. Same inputs, same
//! bytes; nothing here does IO.
//!
//! [`plan_application`] takes the Application with its Environment, Organization and
//! Blueprint (as JSON, as read from the API) and returns an [`ApplicationPlan`] or the
//! [`Problem`] the controller reports (phase, reason and message are the platform's).
//!
//! ```
//! use catalyst_core::apps::{Posture, RegionRole, plan_regions};
//!
//! let regions = vec!["nbg".to_owned(), "fsn".to_owned()];
//! // active-active takes every region, sorted; active-hot-standby keeps the order, [0] primary.
//! let aa = plan_regions("active_active", &regions).unwrap();
//! assert_eq!(aa.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["fsn", "nbg"]);
//! let hs = plan_regions("active-hotstandby", &regions).unwrap();
//! assert_eq!((hs[0].role, hs[1].role), (RegionRole::Primary, RegionRole::Standby));
//! assert_eq!(
//!     plan_regions("singleton", &regions).unwrap_err(),
//!     "placement: singleton requires exactly 1 entry in regions[], got 2"
//! );
//! assert_eq!(Posture::canonicalize(" Single_Region "), "singleton");
//! ```

use std::fmt::Write as _;

use catalyst_naming::keys;
use serde_json::{Map, Value, json};

/// The default Flux sync interval of rendered HelmReleases, seconds (`HELMRELEASE_INTERVAL`).
pub const DEFAULT_HELMRELEASE_INTERVAL: i64 = 600;
/// The default chart source (`CATALOG_SOURCE_REF`).
pub const DEFAULT_CATALOG_SOURCE_REF: &str = "openova-catalog";
/// The default namespace of chart sources and host Flux objects.
pub const DEFAULT_FLUX_NAMESPACE: &str = "flux-system";
/// The default in-cluster Gitea URL Flux clones from (`GITEA_IN_CLUSTER_URL`).
pub const DEFAULT_GITEA_IN_CLUSTER_URL: &str = "http://gitea-http.gitea.svc.cluster.local:3000";
/// The default host Flux interval, seconds (`HOST_FLUX_INTERVAL_SECONDS`).
pub const DEFAULT_HOST_FLUX_INTERVAL: i64 = 60;
/// The field manager and `managed-by` value.
pub const MANAGER: &str = "application-controller";
/// The description of a repository the controller creates.
pub const REPO_DESCRIPTION: &str =
    "Application manifests — auto-managed by application-controller. Do not edit manually.";

/// The placement posture, canonical (SPEC CTRL-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Posture {
    /// One region.
    Singleton,
    /// Every region active.
    ActiveActive,
    /// `[0]` primary, the rest hot standbys.
    ActiveHotStandby,
    /// `[0]` primary, the rest passive standbys.
    ActivePassive,
}

impl Posture {
    /// Every posture, in the order error messages list them.
    pub const ALL: [Self; 4] =
        [Self::Singleton, Self::ActiveActive, Self::ActiveHotStandby, Self::ActivePassive];

    /// The canonical token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Singleton => "singleton",
            Self::ActiveActive => "active-active",
            Self::ActiveHotStandby => "active-hot-standby",
            Self::ActivePassive => "active-passive",
        }
    }

    /// The platform's `Canonicalize`: trimmed, lower-cased, legacy spellings folded
    /// (`single-region`, `single_region`, `active_active`, `active-hotstandby`,
    /// `active_hot_standby`, `active_passive`); anything else is returned trimmed and
    /// lower-cased.
    pub fn canonicalize(raw: &str) -> String {
        let t = raw.trim().to_lowercase();
        match t.as_str() {
            "single-region" | "single_region" => "singleton".into(),
            "active_active" => "active-active".into(),
            "active-hotstandby" | "active_hot_standby" => "active-hot-standby".into(),
            "active_passive" => "active-passive".into(),
            _ => t,
        }
    }

    /// The posture `raw` names, in any accepted spelling.
    pub fn parse(raw: &str) -> Option<Self> {
        let canonical = Self::canonicalize(raw);
        Self::ALL.into_iter().find(|p| p.as_str() == canonical)
    }

    /// The posture when the Application gives none: the Blueprint's `defaultOnMultiRegion`
    /// when the Sovereign's topology is multi-region, else its `default`, else singleton.
    pub fn effective_default(
        sovereign_topology: &str,
        default: &str,
        default_on_multi_region: &str,
    ) -> String {
        let multi = matches!(
            Self::parse(sovereign_topology),
            Some(Self::ActiveActive | Self::ActiveHotStandby | Self::ActivePassive)
        );
        if multi && !default_on_multi_region.trim().is_empty() {
            Self::canonicalize(default_on_multi_region)
        } else if !default.trim().is_empty() {
            Self::canonicalize(default)
        } else {
            Self::Singleton.as_str().into()
        }
    }
}

/// A region's role in the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionRole {
    /// Takes the traffic.
    Primary,
    /// Waits, with zero replicas.
    Standby,
    /// One of several active regions.
    Active,
}

impl RegionRole {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Standby => "standby",
            Self::Active => "active",
        }
    }
}

/// One region of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionPlan {
    /// The host-cluster name (a path segment of the Gitea files).
    pub name: String,
    /// Its role.
    pub role: RegionRole,
}

impl RegionPlan {
    /// Whether the region is a standby (zero replicas).
    pub fn standby(&self) -> bool {
        self.role == RegionRole::Standby
    }
}

/// The per-region plan of posture `raw` over `regions` (the platform's `Resolve`), or the
/// platform's message.
///
/// # Errors
/// `placement: regions[] is empty`, `placement: singleton requires exactly 1 entry in
/// regions[], got N`, or `placement: unknown mode "<raw>" (expected one of: …)`.
pub fn plan_regions(raw: &str, regions: &[String]) -> Result<Vec<RegionPlan>, String> {
    if regions.is_empty() {
        return Err("placement: regions[] is empty".into());
    }
    let Some(posture) = Posture::parse(raw) else {
        let all: Vec<&str> = Posture::ALL.iter().map(|p| p.as_str()).collect();
        return Err(format!("placement: unknown mode {raw:?} (expected one of: {})", all.join(", ")));
    };
    let plan = |name: &String, role| RegionPlan { name: name.clone(), role };
    Ok(match posture {
        Posture::Singleton => {
            if regions.len() != 1 {
                return Err(format!(
                    "placement: singleton requires exactly 1 entry in regions[], got {}",
                    regions.len()
                ));
            }
            vec![plan(&regions[0], RegionRole::Primary)]
        }
        Posture::ActiveActive => {
            let mut sorted = regions.to_vec();
            sorted.sort();
            sorted.iter().map(|r| plan(r, RegionRole::Active)).collect()
        }
        Posture::ActiveHotStandby | Posture::ActivePassive => regions
            .iter()
            .enumerate()
            .map(|(i, r)| plan(r, if i == 0 { RegionRole::Primary } else { RegionRole::Standby }))
            .collect(),
    })
}

/// Whether `v` is an exact `MAJOR.MINOR.PATCH[-pre][+build]` version (no range, no `v`).
pub fn is_exact_semver(v: &str) -> bool {
    semver::Version::parse(v).is_ok()
}

/// The Flux source kind of a Blueprint's `manifests.source.kind`: `Kustomize` →
/// `GitRepository`, `OAM` → `OCIRepository`, anything else → `HelmRepository`.
pub fn source_kind(manifests_source_kind: &str) -> &'static str {
    match manifests_source_kind {
        "Kustomize" => "GitRepository",
        "OAM" => "OCIRepository",
        _ => "HelmRepository",
    }
}

/// A scalar for the templates: written plain when it is a name-like token YAML reads back as
/// the same string, else double-quoted (JSON escaping is valid YAML). Text from objects never
/// reaches a file unquoted, so no value can add keys or lines.
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '@' | ':'))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !s.ends_with(':')
        && !s.contains(": ")
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        )
        && s.parse::<f64>().is_err();
    if plain { s.to_owned() } else { Value::String(s.to_owned()).to_string() }
}

/// Every map of `v` rebuilt with its keys in sorted order, so the YAML is the same however
/// `serde_json` orders maps in this build.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&m[k]))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The values of a region: the Blueprint's `manifests.values` with the Application's
/// parameters over them (top-level keys win), and for a standby `replicas: 0` and
/// `_openova_standby: true` on top.
pub fn merge_values(base: Option<&Value>, parameters: Option<&Value>, standby: bool) -> Map<String, Value> {
    let mut out = Map::new();
    for source in [base, parameters].into_iter().flatten() {
        if let Some(m) = source.as_object() {
            for (k, v) in m {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if standby {
        out.insert("replicas".into(), json!(0));
        out.insert("_openova_standby".into(), json!(true));
    }
    out
}

/// The inputs of one region's files.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderInputs {
    /// The Application's name.
    pub app: String,
    /// The Application's namespace.
    pub namespace: String,
    /// `metadata.uid`; the label is omitted when empty.
    pub uid: String,
    /// `metadata.generation`; the label is omitted when 0.
    pub generation: i64,
    /// The Organization (the Environment's `organizationRef`).
    pub org: String,
    /// The env type.
    pub env_type: String,
    /// The region.
    pub region: RegionPlan,
    /// The Blueprint's name.
    pub blueprint: String,
    /// The Blueprint version installed.
    pub version: String,
    /// The chart (`manifests.chart`, else the Blueprint's name).
    pub chart: String,
    /// The Flux source kind ([`source_kind`]).
    pub source_kind: String,
    /// The source's name.
    pub source_ref: String,
    /// The source's namespace.
    pub source_namespace: String,
    /// Sync interval, seconds.
    pub interval: i64,
    /// The region's values ([`merge_values`]).
    pub values: Map<String, Value>,
    /// The vCluster tier and its host namespace and kubeconfig Secret, when placed in one.
    pub vcluster: Option<VClusterTarget>,
    /// The HelmRelease's name and release name: the Application's, or for a dependency
    /// installed with it (`--install-dependencies`) `<app>-<dependency>`.
    pub release: String,
    /// HelmReleases (in the same namespace) that must be ready first (Flux `dependsOn`).
    pub depends_on: Vec<String>,
    /// The files the kustomization lists, in order.
    pub resources: Vec<String>,
}

/// Where a vCluster-placed release goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VClusterTarget {
    /// `dmz`, `mgmt` or `rtz`.
    pub tier: String,
    /// The host namespace the HelmRelease lives in.
    pub host_namespace: String,
    /// The Secret holding the vCluster's kubeconfig (key `config`).
    pub secret: String,
}

impl RenderInputs {
    /// `clusters/<region>/applications/<app>`.
    ///
    /// # Errors
    /// A region or Application name that is not a DNS label.
    pub fn dir(&self) -> Result<String, catalyst_naming::NamingError> {
        catalyst_naming::unchecked::application_dir(&self.region.name, &self.app)
    }
}

/// Text for a comment line: anything that could end the line (controls, NEL, the Unicode
/// line and paragraph separators) becomes `?`.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') { '?' } else { c })
        .collect()
}

/// The header of every rendered file.
fn header(out: &mut String, i: &RenderInputs) {
    let standby = if i.region.standby() { ", standby" } else { "" };
    let _ = write!(
        out,
        "# Generated by application-controller; every reconcile overwrites this file.\n\
         # Application: {app} (org={org}, envType={env})\n\
         # Region: {region} (role={role}{standby})\n\
         # Blueprint: {bp}@{version}\n",
        app = comment(&i.app),
        org = comment(&i.org),
        env = comment(&i.env_type),
        region = comment(&i.region.name),
        role = i.region.role.as_str(),
        bp = comment(&i.blueprint),
        version = comment(&i.version),
    );
}

/// `helmrelease.yaml` of one region: a `helm.toolkit.fluxcd.io/v2` HelmRelease named after the
/// Application, in its namespace (the vCluster's host namespace when placed in one), labels in
/// a fixed order, chart and source from the Blueprint, create-namespace, three remediation
/// retries, and the region's values. Ends with one newline.
pub fn render_helmrelease(i: &RenderInputs) -> String {
    let mut out = String::with_capacity(2048);
    header(&mut out, i);
    let namespace = i.vcluster.as_ref().map_or(&i.namespace, |v| &v.host_namespace);
    let s = scalar;
    let _ = write!(
        out,
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {release}\n  namespace: {ns}\n  labels:\n    \
         app.kubernetes.io/managed-by: {MANAGER}\n    app.kubernetes.io/name: {release}\n    \
         catalyst.openova.io/application: {app}\n    catalyst.openova.io/organization: {org}\n    \
         catalyst.openova.io/env-type: {env}\n    catalyst.openova.io/region: {region}\n    \
         catalyst.openova.io/placement-role: {role}\n    catalyst.openova.io/blueprint: {bp}\n",
        app = s(&i.app),
        release = s(&i.release),
        ns = s(namespace),
        org = s(&i.org),
        env = s(&i.env_type),
        region = s(&i.region.name),
        role = i.region.role.as_str(),
        bp = s(&i.blueprint),
    );
    if let Some(v) = &i.vcluster {
        let _ = writeln!(out, "    catalyst.openova.io/vcluster: {}", s(&v.tier));
    }
    if !i.uid.is_empty() {
        let _ = writeln!(out, "    catalyst.openova.io/application-uid: {}", Value::String(i.uid.clone()));
    }
    if i.generation != 0 {
        let _ = writeln!(out, "    catalyst.openova.io/application-generation: \"{}\"", i.generation);
    }
    let _ = write!(
        out,
        "spec:\n  interval: {n}s\n  releaseName: {release}\n  targetNamespace: {ns}\n",
        n = i.interval,
        release = s(&i.release),
        ns = s(&i.namespace),
    );
    if !i.depends_on.is_empty() {
        out.push_str("  dependsOn:\n");
        for d in &i.depends_on {
            let _ = writeln!(out, "    - name: {}", s(d));
        }
    }
    if let Some(v) = &i.vcluster {
        let _ =
            write!(out, "  kubeConfig:\n    secretRef:\n      name: {}\n      key: config\n", s(&v.secret));
    }
    let _ = write!(
        out,
        "  chart:\n    spec:\n      chart: {chart}\n      version: {version}\n      sourceRef:\n        \
         kind: {kind}\n        name: {src}\n        namespace: {srcns}\n      interval: {n}s\n  \
         install:\n    createNamespace: true\n    remediation:\n      retries: 3\n  \
         upgrade:\n    remediation:\n      retries: 3\n  values:\n",
        chart = s(&i.chart),
        version = s(&i.version),
        kind = s(&i.source_kind),
        src = s(&i.source_ref),
        srcns = s(&i.source_namespace),
        n = i.interval,
    );
    let values = if i.values.is_empty() {
        "{}\n".to_owned()
    } else {
        serde_saphyr::to_string(&sorted(&Value::Object(i.values.clone()))).unwrap_or_else(|_| "{}\n".into())
    };
    // Every line indented, blank ones too, and nothing trimmed: a block scalar's blank lines
    // and kept trailing newlines are content (a 4-space line is blank inside any block scalar
    // here, whose indentation is deeper).
    for line in values.split_inclusive('\n') {
        out.push_str("    ");
        out.push_str(line);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// `kustomization.yaml` of one region: the kustomize overlay listing `helmrelease.yaml`, with
/// the Application's namespace and the owner labels.
pub fn render_kustomization(i: &RenderInputs) -> String {
    let mut out = String::with_capacity(512);
    header(&mut out, i);
    let s = scalar;
    let _ = write!(
        out,
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {ns}\ncommonLabels:\n  \
         app.kubernetes.io/managed-by: {MANAGER}\n  catalyst.openova.io/application: {app}\n  \
         catalyst.openova.io/organization: {org}\n  catalyst.openova.io/region: {region}\nresources:\n",
        ns = s(&i.namespace),
        app = s(&i.app),
        org = s(&i.org),
        region = s(&i.region.name),
    );
    for r in &i.resources {
        let _ = writeln!(out, "  - {}", s(r));
    }
    out
}

/// The controller's configuration, with the platform's variables and defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppsConfig {
    /// `GITEA_PUBLIC_URL`: `status.giteaRepo` is `<this>/<org>/<app>`.
    pub gitea_public_url: String,
    /// `GITEA_IN_CLUSTER_URL`: where host Flux clones from.
    pub gitea_in_cluster_url: String,
    /// `FLUX_GITEA_SECRET_REF`: the host GitRepository's `secretRef`.
    pub flux_secret_ref: String,
    /// `CATALOG_SOURCE_REF`.
    pub catalog_source_ref: String,
    /// `SOURCE_NAMESPACE`.
    pub source_namespace: String,
    /// `HELMRELEASE_INTERVAL`, seconds.
    pub helmrelease_interval: i64,
    /// `HOST_FLUX_NAMESPACE`.
    pub host_flux_namespace: String,
    /// `HOST_FLUX_INTERVAL_SECONDS`.
    pub host_flux_interval: i64,
    /// `SOVEREIGN_BCP_TOPOLOGY`: multi-region postures pick the Blueprint's `defaultOnMultiRegion`.
    pub sovereign_topology: String,
    /// `VCLUSTER_PLACEMENT_{DMZ,MGMT,RTZ}_{NS,SECRET}`: tier → (host namespace, Secret).
    pub vcluster_placements: Vec<(String, String, String)>,
}

impl Default for AppsConfig {
    fn default() -> Self {
        Self {
            gitea_public_url: String::new(),
            gitea_in_cluster_url: DEFAULT_GITEA_IN_CLUSTER_URL.into(),
            flux_secret_ref: String::new(),
            catalog_source_ref: DEFAULT_CATALOG_SOURCE_REF.into(),
            source_namespace: DEFAULT_FLUX_NAMESPACE.into(),
            helmrelease_interval: DEFAULT_HELMRELEASE_INTERVAL,
            host_flux_namespace: DEFAULT_FLUX_NAMESPACE.into(),
            host_flux_interval: DEFAULT_HOST_FLUX_INTERVAL,
            sovereign_topology: String::new(),
            vcluster_placements: ["dmz", "mgmt", "rtz"]
                .iter()
                .map(|t| ((*t).to_owned(), (*t).to_owned(), format!("vc-{t}")))
                .collect(),
        }
    }
}

/// The variables [`AppsConfig::from_vars`] reads.
pub const VARIABLES: [&str; 15] = [
    "GITEA_PUBLIC_URL",
    "GITEA_IN_CLUSTER_URL",
    "FLUX_GITEA_SECRET_REF",
    "CATALOG_SOURCE_REF",
    "SOURCE_NAMESPACE",
    "HOST_FLUX_NAMESPACE",
    "SOVEREIGN_BCP_TOPOLOGY",
    "HELMRELEASE_INTERVAL",
    "HOST_FLUX_INTERVAL_SECONDS",
    "VCLUSTER_PLACEMENT_DMZ_NS",
    "VCLUSTER_PLACEMENT_DMZ_SECRET",
    "VCLUSTER_PLACEMENT_MGMT_NS",
    "VCLUSTER_PLACEMENT_MGMT_SECRET",
    "VCLUSTER_PLACEMENT_RTZ_NS",
    "VCLUSTER_PLACEMENT_RTZ_SECRET",
];

impl AppsConfig {
    /// The configuration from variables (`lookup("GITEA_PUBLIC_URL")` …); unset or empty keep
    /// the defaults, and intervals that are not positive integers fall back with a warning.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> (Self, Vec<String>) {
        let mut c = Self::default();
        let mut warnings = Vec::new();
        let get = |k: &str| lookup(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        for (var, field) in [
            ("GITEA_PUBLIC_URL", &mut c.gitea_public_url),
            ("GITEA_IN_CLUSTER_URL", &mut c.gitea_in_cluster_url),
            ("FLUX_GITEA_SECRET_REF", &mut c.flux_secret_ref),
            ("CATALOG_SOURCE_REF", &mut c.catalog_source_ref),
            ("SOURCE_NAMESPACE", &mut c.source_namespace),
            ("HOST_FLUX_NAMESPACE", &mut c.host_flux_namespace),
            ("SOVEREIGN_BCP_TOPOLOGY", &mut c.sovereign_topology),
        ] {
            if let Some(v) = get(var) {
                *field = v;
            }
        }
        for (var, field, default) in [
            ("HELMRELEASE_INTERVAL", &mut c.helmrelease_interval, DEFAULT_HELMRELEASE_INTERVAL),
            ("HOST_FLUX_INTERVAL_SECONDS", &mut c.host_flux_interval, DEFAULT_HOST_FLUX_INTERVAL),
        ] {
            if let Some(v) = get(var) {
                *field = crate::gitops::positive_or_default(var, &v, default, &mut warnings);
            }
        }
        for (tier, ns, secret) in &mut c.vcluster_placements {
            let upper = tier.to_uppercase();
            if let Some(v) = get(&format!("VCLUSTER_PLACEMENT_{upper}_NS")) {
                *ns = v;
            }
            if let Some(v) = get(&format!("VCLUSTER_PLACEMENT_{upper}_SECRET")) {
                *secret = v;
            }
        }
        (c, warnings)
    }
}

/// Why an Application cannot be planned, as the controller reports it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{phase:?}/{reason}: {message}")]
pub struct Problem {
    /// `Pending` (a parent is missing), `Failed` (the spec is wrong) or `Degraded`.
    pub phase: crate::crd::ApplicationPhase,
    /// The condition reason (`EnvironmentMissing`, `Invalid`, …).
    pub reason: &'static str,
    /// The message.
    pub message: String,
}

fn failed(message: impl Into<String>) -> Problem {
    Problem { phase: crate::crd::ApplicationPhase::Failed, reason: "Invalid", message: message.into() }
}

fn pending(reason: &'static str, message: String) -> Problem {
    Problem { phase: crate::crd::ApplicationPhase::Pending, reason, message }
}

/// One file for Gitea.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PlannedFile {
    /// Path in the repository.
    pub path: String,
    /// Bytes.
    pub content: String,
}

/// Everything the controller writes for one Application.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ApplicationPlan {
    /// The Gitea org (the Environment's `organizationRef`).
    pub org: String,
    /// The repository (the Application's name).
    pub repo: String,
    /// The branch (from the env type).
    pub branch: String,
    /// The canonical posture.
    pub posture: String,
    /// The regions in plan order.
    #[serde(skip)]
    pub regions: Vec<RegionPlan>,
    /// The primary region (none for active-active).
    pub primary_region: Option<String>,
    /// Per region, `kustomization.yaml` then `helmrelease.yaml`.
    pub files: Vec<PlannedFile>,
    /// The host Flux `GitRepository`, one `Kustomization` per region, and the Continuum of a
    /// hot-standby or active-passive Application.
    pub objects: Vec<Value>,
    /// The commit message of `region`.
    #[serde(skip)]
    pub generation: i64,
    /// `status.giteaRepo`.
    pub gitea_repo: String,
    /// Where the HelmReleases live (the vCluster's host namespace, else the Application's).
    pub release_namespace: String,
    /// `status.installedBlueprint.digest`: the Blueprint's `status.ociDigest`.
    pub blueprint_digest: String,
}

impl ApplicationPlan {
    /// The commit message of one region's files.
    pub fn commit_message(&self, region: &str) -> String {
        format!("{MANAGER}: reconcile {} on {region} (gen {})", self.repo, self.generation)
    }
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

/// A name that goes into paths, labels and object names: a DNS label.
fn check_name(what: &str, name: &str) -> Result<(), Problem> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(failed(format!(
            "{what} {name:?} is not a DNS label (lower-case letters, digits, '-', at most 63)"
        )))
    }
}

/// The most regions an Application may name (the CRD's `maxItems`).
pub const MAX_REGIONS: usize = 5;

/// The JSON type of `v`, as the platform's `%T` would name it.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// The Application's regions: `spec.placement.regions` when present, else `spec.regions`.
fn regions_of(app: &Value) -> Result<Vec<String>, Problem> {
    let list = app
        .pointer("/spec/placement/regions")
        .filter(|v| !v.is_null())
        .or_else(|| app.pointer("/spec/regions"));
    let Some(items) = list.and_then(Value::as_array).filter(|a| !a.is_empty()) else {
        return Err(failed("spec.regions[] is required and must be non-empty"));
    };
    if items.len() > MAX_REGIONS {
        return Err(failed(format!("spec.regions[] has {} entries; at most {MAX_REGIONS}", items.len())));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for r in items {
        let name = r
            .as_str()
            .ok_or_else(|| failed(format!("spec.regions[] entry is not a string: {}", type_name(r))))?;
        check_name("region", name)?;
        if out.iter().any(|o| o == name) {
            return Err(failed(format!("spec.regions[] lists {name:?} twice")));
        }
        out.push(name.to_owned());
    }
    Ok(out)
}

/// The largest `configSchema` checked (serialized).
pub const MAX_SCHEMA_BYTES: usize = 256 * 1024;
/// The most schema errors reported.
pub const MAX_SCHEMA_ERRORS: usize = 20;

/// A refusing loader: a configSchema's `$ref` to a file or URL is never followed.
struct NoLoader;

impl boon::UrlLoader for NoLoader {
    fn load(&self, url: &str) -> Result<Value, Box<dyn std::error::Error>> {
        Err(format!("{url}: external references are not followed").into())
    }
}

/// Checks `parameters` against a Blueprint's `configSchema`: `Ok(())`, `Err(Ok(messages))`
/// for invalid parameters, `Err(Err(why))` for a malformed schema.
pub fn check_parameters(schema: &Value, parameters: &Value) -> Result<(), Result<Vec<String>, String>> {
    let size = serde_json::to_vec(schema).map_or(usize::MAX, |b| b.len());
    if size > MAX_SCHEMA_BYTES {
        return Err(Err(format!("{size} bytes; at most {MAX_SCHEMA_BYTES}")));
    }
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.use_loader(Box::new(NoLoader));
    let url = "urn:catalyst:configSchema";
    compiler.add_resource(url, schema.clone()).map_err(|e| Err(e.to_string()))?;
    let index = compiler.compile(url, &mut schemas).map_err(|e| Err(e.to_string()))?;
    schemas.validate(parameters, index).map_err(|e| {
        let mut out = Vec::new();
        leaves(&e, &mut out);
        Ok(out)
    })
}

fn leaves(e: &boon::ValidationError<'_, '_>, out: &mut Vec<String>) {
    if out.len() >= MAX_SCHEMA_ERRORS {
        return;
    }
    if e.causes.is_empty() {
        let at = e.instance_location.to_string();
        out.push(if at.is_empty() { e.kind.to_string() } else { format!("at {at}: {}", e.kind) });
    } else {
        for c in &e.causes {
            leaves(c, out);
        }
    }
}

/// The Application's vCluster tier after the Blueprint's defaults and allowed list.
fn vcluster_tier(app: &Value, bp: &Value, bp_name: &str) -> Result<Option<String>, Problem> {
    let instance = app.pointer("/spec/placement/vcluster");
    if let Some(v) = instance.filter(|v| !v.is_null()) {
        let tier = v
            .as_str()
            .ok_or_else(|| failed(format!("spec.placement.vcluster is not a string: {}", type_name(v))))?;
        if !["host", "mgmt", "dmz", "rtz", ""].contains(&tier) {
            return Err(failed(format!("spec.placement.vcluster {tier:?} not in {{host, mgmt, dmz, rtz}}")));
        }
    }
    let chosen = instance
        .and_then(Value::as_str)
        .or_else(|| bp.pointer("/spec/defaultPlacement/vcluster").and_then(Value::as_str))
        .or_else(|| bp.pointer("/spec/placementSchema/vcluster").and_then(Value::as_str))
        .unwrap_or_default();
    let tier = if chosen == "host" { "" } else { chosen };
    let allowed: Vec<&str> = bp
        .pointer("/spec/allowedPlacements")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let norm = |t: &str| if t == "host" { String::new() } else { t.to_owned() };
    if !allowed.is_empty() && !allowed.iter().any(|a| norm(a) == tier) {
        let shown = if tier.is_empty() { "host" } else { tier };
        return Err(failed(format!(
            "placement vcluster {shown:?} not in Blueprint {bp_name:?} allowedPlacements [{}]",
            allowed.join(" ")
        )));
    }
    Ok((!tier.is_empty()).then(|| tier.to_owned()))
}

/// The posture (given or the Blueprint's default) allowed by the Blueprint, the vCluster
/// target, and the parameters checked against `configSchema`.
fn checked_placement<'a>(
    app: &'a Value,
    bp: &Value,
    bp_name: &str,
    config: &AppsConfig,
) -> Result<(String, Option<VClusterTarget>, Option<&'a Value>), Problem> {
    let raw_posture = app
        .pointer("/spec/placement")
        .and_then(|p| p.as_str().or_else(|| p.get("mode").and_then(Value::as_str)))
        .unwrap_or_default();
    let posture = if raw_posture.trim().is_empty() {
        Posture::effective_default(
            &config.sovereign_topology,
            text(bp, "/spec/placementSchema/default"),
            text(bp, "/spec/placementSchema/defaultOnMultiRegion"),
        )
    } else {
        raw_posture.to_owned()
    };
    let modes: Vec<&str> = bp
        .pointer("/spec/placementSchema/modes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !modes.is_empty() && !modes.iter().any(|m| Posture::canonicalize(m) == Posture::canonicalize(&posture))
    {
        return Err(failed(format!(
            "placement {posture:?} not in Blueprint {bp_name:?} allowed modes [{}]",
            modes.join(" ")
        )));
    }
    let tier = vcluster_tier(app, bp, bp_name)?;
    let vcluster = match &tier {
        None => None,
        Some(t) => {
            let Some((_, ns, secret)) = config.vcluster_placements.iter().find(|(k, _, _)| k == t) else {
                return Err(failed(format!(
                    "Blueprint {bp_name:?} declares placementSchema.vcluster={t:?} but the controller has no VClusterPlacements mapping for it (configure VCLUSTER_PLACEMENT_{}_NS + _SECRET, or drop the field)",
                    t.to_uppercase()
                )));
            };
            Some(VClusterTarget { tier: t.clone(), host_namespace: ns.clone(), secret: secret.clone() })
        }
    };
    let parameters = app.pointer("/spec/parameters").filter(|p| !p.is_null());
    if let Some(schema) = bp.pointer("/spec/configSchema").filter(|s| !s.is_null()) {
        match check_parameters(schema, parameters.unwrap_or(&json!({}))) {
            Ok(()) => {}
            Err(Ok(messages)) => {
                return Err(failed(format!(
                    "parameters do not match Blueprint configSchema: {}",
                    messages.join("; ")
                )));
            }
            Err(Err(why)) => {
                return Err(Problem {
                    phase: crate::crd::ApplicationPhase::Degraded,
                    reason: "Invalid",
                    message: format!("Blueprint configSchema is malformed: {why}"),
                });
            }
        }
    }
    Ok((posture, vcluster, parameters))
}

/// What [`render_files`] reads.
struct Ctx<'a> {
    app: &'a Value,
    bp: &'a Value,
    bp_name: &'a str,
    version: &'a str,
    org: &'a str,
    env_type: &'a str,
    namespace: &'a str,
    name: &'a str,
}

/// The files of every plan region: the kustomization, each dependency's HelmRelease (with
/// `--install-dependencies`) and the Application's.
fn render_files(
    c: &Ctx<'_>,
    plan: &[RegionPlan],
    parameters: Option<&Value>,
    vcluster: Option<&VClusterTarget>,
    config: &AppsConfig,
    deps: &Dependencies,
) -> Result<Vec<PlannedFile>, Problem> {
    let Ctx { app, bp, bp_name, version, org, env_type, namespace, name } = *c;
    let mut files = Vec::new();
    let chart = text(bp, "/spec/manifests/chart");
    let source_ref = text(bp, "/spec/manifests/source/ref");
    for region in plan {
        let inputs = RenderInputs {
            app: name.to_owned(),
            namespace: namespace.to_owned(),
            uid: text(app, "/metadata/uid").to_owned(),
            generation: app.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or_default(),
            org: org.to_owned(),
            env_type: env_type.to_owned(),
            region: region.clone(),
            blueprint: bp_name.to_owned(),
            version: version.to_owned(),
            chart: if chart.is_empty() { bp_name.to_owned() } else { chart.to_owned() },
            source_kind: source_kind(text(bp, "/spec/manifests/source/kind")).to_owned(),
            source_ref: if source_ref.is_empty() {
                config.catalog_source_ref.clone()
            } else {
                source_ref.to_owned()
            },
            source_namespace: config.source_namespace.clone(),
            interval: if config.helmrelease_interval > 0 {
                config.helmrelease_interval
            } else {
                DEFAULT_HELMRELEASE_INTERVAL
            },
            values: merge_values(bp.pointer("/spec/manifests/values"), parameters, region.standby()),
            vcluster: vcluster.cloned(),
            release: name.to_owned(),
            depends_on: deps.main.clone(),
            resources: deps
                .releases
                .iter()
                .map(|d| format!("helmrelease-{}.yaml", d.release))
                .chain(["helmrelease.yaml".to_owned()])
                .collect(),
        };
        let dir = inputs.dir().map_err(|e| failed(e.to_string()))?;
        files.push(PlannedFile {
            path: format!("{dir}/kustomization.yaml"),
            content: render_kustomization(&inputs),
        });
        for d in &deps.releases {
            let dep = RenderInputs {
                blueprint: d.blueprint.clone(),
                version: d.version.clone(),
                chart: d.chart.clone(),
                values: merge_values(d.base_values.as_ref(), d.values.as_ref(), region.standby()),
                release: d.release.clone(),
                depends_on: d.depends_on.clone(),
                ..inputs.clone()
            };
            files.push(PlannedFile {
                path: format!("{dir}/helmrelease-{}.yaml", d.release),
                content: render_helmrelease(&dep),
            });
        }
        files.push(PlannedFile {
            path: format!("{dir}/helmrelease.yaml"),
            content: render_helmrelease(&inputs),
        });
    }
    Ok(files)
}

/// Plans one Application from its parents (`None`: not found). The checks and their messages
/// are the platform's, in its order: the spec, the Environment, the Organization, the
/// Blueprint, the exact version, the posture and the Blueprint's allowed modes, the vCluster,
/// the parameters against `configSchema`, the per-region plan.
///
/// # Errors
/// The [`Problem`] the controller reports.
pub fn plan_application(
    app: &Value,
    environment: Option<&Value>,
    organization: Option<&Value>,
    blueprint: Option<&Value>,
    config: &AppsConfig,
) -> Result<ApplicationPlan, Problem> {
    plan_inner(app, (environment, organization, blueprint), config, None)
}

/// [`plan_application`], and beyond the platform (`--install-dependencies`): the Blueprint
/// is resolved at its exact version against `catalog` with `options` (the Sovereign's
/// installed set: the bootstrap kit and other Applications), and every dependency that is not
/// installed yet is rendered as its own HelmRelease `<app>-<dependency>` in each region, with
/// Flux `dependsOn` in install-plan order (the Application's own release depends on its
/// direct dependencies).
///
/// # Errors
/// The [`Problem`] of [`plan_application`], or `Failed`/`Invalid` when the dependencies do not
/// resolve (the solver's explanation).
pub fn plan_application_with_dependencies(
    app: &Value,
    parents: (Option<&Value>, Option<&Value>, Option<&Value>),
    config: &AppsConfig,
    catalog: &catalyst_blueprint::Catalog,
    options: &catalyst_blueprint::ResolveOptions,
) -> Result<ApplicationPlan, Problem> {
    plan_inner(app, parents, config, Some((catalog, options)))
}

/// The catalog and installed set `--install-dependencies` resolves against, from Blueprint
/// and Application objects as read from the API (or a file): each Blueprint that parses is in
/// the catalog (others are skipped and named in the returned warnings); each Application's
/// Blueprint version counts as installed.
pub fn dependency_context(
    blueprints: &[Value],
    applications: &[Value],
) -> (catalyst_blueprint::Catalog, catalyst_blueprint::ResolveOptions, Vec<String>) {
    let mut catalog = catalyst_blueprint::Catalog::default();
    let mut warnings = Vec::new();
    for b in blueprints {
        let doc = json!({"apiVersion": b["apiVersion"], "kind": "Blueprint", "metadata": b["metadata"], "spec": b["spec"]});
        match catalyst_blueprint::Blueprint::parse(&doc.to_string(), None) {
            Ok(bp) => {
                catalog.insert(bp, None);
            }
            Err(e) => warnings.push(format!("Blueprint {}: {e}", text(b, "/metadata/name"))),
        }
    }
    let mut options = catalyst_blueprint::ResolveOptions::default();
    for a in applications {
        let parsed = catalyst_naming::BlueprintName::parse(text(a, "/spec/blueprintRef/name"))
            .ok()
            .zip(semver::Version::parse(text(a, "/spec/blueprintRef/version")).ok());
        if let Some((n, v)) = parsed {
            options.installed.insert(n, v);
        }
    }
    (catalog, options, warnings)
}

/// Helm's release name limit (Flux's `releaseName` `maxLength`).
pub const MAX_RELEASE_NAME: usize = 53;

/// A dependency installed with an Application.
#[derive(Clone, Debug, Default, PartialEq)]
struct DependencyRelease {
    release: String,
    blueprint: String,
    version: String,
    chart: String,
    base_values: Option<Value>,
    values: Option<Value>,
    depends_on: Vec<String>,
}

/// The dependency releases (install order) and what the Application's release depends on.
#[derive(Clone, Debug, Default, PartialEq)]
struct Dependencies {
    releases: Vec<DependencyRelease>,
    main: Vec<String>,
}

fn resolve_dependencies(
    app: &str,
    bp_name: &str,
    version: &str,
    (catalog, options): (&catalyst_blueprint::Catalog, &catalyst_blueprint::ResolveOptions),
) -> Result<Dependencies, Problem> {
    use catalyst_blueprint::{Constraint, Pin, Request};
    let name = catalyst_naming::BlueprintName::parse(bp_name)
        .map_err(|e| failed(format!("spec.blueprintRef.name: {e}")))?;
    let v = semver::Version::parse(version).map_err(|e| failed(format!("spec.blueprintRef.version: {e}")))?;
    let request = Request { name: name.clone(), pin: Pin::Version(Constraint::exact(&v)) };
    let resolution = catalyst_blueprint::resolve(catalog, &[request], options)
        .map_err(|e| failed(format!("resolving dependencies: {e}")))?;
    let items = &resolution.plan.install_order;
    // Installed ones (the bootstrap kit, other Applications) are reused, not installed again.
    let new: Vec<&catalyst_blueprint::PlanItem> =
        items.iter().filter(|i| !i.reuse && i.name != name.as_str()).collect();
    let release_of = |application: &str| format!("{app}-{application}");
    // `depends_on` names Blueprints; each maps to the release of its new item.
    let local = |deps: &[String]| -> Vec<String> {
        deps.iter()
            .filter_map(|d| new.iter().find(|n| n.name == *d).map(|n| release_of(&n.application)))
            .collect()
    };
    let mut out = Dependencies::default();
    for item in &new {
        let release = release_of(&item.application);
        check_name("dependency release", &release)?;
        if release.len() > MAX_RELEASE_NAME {
            return Err(failed(format!(
                "dependency release {release:?} is longer than {MAX_RELEASE_NAME} characters (Helm's release name limit)"
            )));
        }
        if out.releases.iter().any(|r| r.release == release) || release == app {
            return Err(failed(format!(
                "two dependencies would both be released as {release:?}: give them different aliases"
            )));
        }
        let entry = catalyst_naming::BlueprintName::parse(&item.name)
            .ok()
            .zip(semver::Version::parse(&item.version).ok())
            .and_then(|(n, ver)| catalog.get(&n, &ver));
        let manifests = entry.and_then(|e| e.blueprint.spec_extra.get("manifests"));
        let chart = manifests.and_then(|m| m.get("chart")).and_then(Value::as_str).unwrap_or(&item.name);
        out.releases.push(DependencyRelease {
            release,
            blueprint: item.name.clone(),
            version: item.version.clone(),
            chart: chart.to_owned(),
            base_values: manifests.and_then(|m| m.get("values")).cloned(),
            values: item.values.clone(),
            depends_on: local(&item.depends_on),
        });
    }
    if let Some(main) = items.iter().find(|i| i.name == name.as_str()) {
        out.main = local(&main.depends_on);
    }
    Ok(out)
}

fn plan_inner(
    app: &Value,
    (environment, organization, blueprint): (Option<&Value>, Option<&Value>, Option<&Value>),
    config: &AppsConfig,
    deps: Option<(&catalyst_blueprint::Catalog, &catalyst_blueprint::ResolveOptions)>,
) -> Result<ApplicationPlan, Problem> {
    let name = text(app, "/metadata/name");
    check_name("metadata.name", name)?;
    if name.len() > MAX_RELEASE_NAME {
        return Err(failed(format!(
            "metadata.name {name:?} is longer than {MAX_RELEASE_NAME} characters (Helm's release name limit)"
        )));
    }
    let namespace = text(app, "/metadata/namespace");
    let namespace = if namespace.is_empty() { "default" } else { namespace };
    check_name("metadata.namespace", namespace)?;
    let env_name = text(app, "/spec/environmentRef");
    if env_name.is_empty() {
        return Err(failed("spec.environmentRef is required"));
    }
    let bp_name = text(app, "/spec/blueprintRef/name");
    if bp_name.is_empty() {
        return Err(failed("spec.blueprintRef.name is required"));
    }
    let version = text(app, "/spec/blueprintRef/version");
    if version.is_empty() {
        return Err(failed("spec.blueprintRef.version is required"));
    }
    let regions = regions_of(app)?;
    let Some(env) = environment else {
        return Err(pending("EnvironmentMissing", format!("Environment {env_name:?} not found")));
    };
    let org = text(env, "/spec/organizationRef");
    let env_type = text(env, "/spec/envType");
    for (field, value) in [("organizationRef", org), ("envType", env_type)] {
        if value.is_empty() {
            return Err(failed(format!(
                "parent Environment {env_name:?} has invalid spec: environment spec.{field} is required"
            )));
        }
    }
    check_name("the Environment's organizationRef", org)?;
    if organization.is_none() {
        return Err(pending(
            "OrganizationMissing",
            format!("Organization {org:?} (referenced by Environment {env_name:?}) not found"),
        ));
    }
    let Some(bp) = blueprint else {
        return Err(pending("BlueprintMissing", format!("Blueprint {bp_name:?} not found")));
    };
    if !is_exact_semver(version) {
        return Err(failed(format!(
            "blueprintRef.version {version:?} is not an exact MAJOR.MINOR.PATCH semver"
        )));
    }
    let (posture, vcluster, parameters) = checked_placement(app, bp, bp_name, config)?;
    let plan = plan_regions(&posture, &regions).map_err(failed)?;
    let branch = env_type.parse::<catalyst_naming::EnvType>().map_or(env_type, |e| e.branch()).to_owned();
    let dependencies = match deps {
        Some(d) => resolve_dependencies(name, bp_name, version, d)?,
        None => Dependencies::default(),
    };
    let files = render_files(
        &Ctx { app, bp, bp_name, version, org, env_type, namespace, name },
        &plan,
        parameters,
        vcluster.as_ref(),
        config,
        &dependencies,
    )?;
    let canonical = Posture::canonicalize(&posture);
    let primary_region = plan.iter().find(|r| r.role == RegionRole::Primary).map(|r| r.name.clone());
    let owner = Owner { app: name, namespace, uid: text(app, "/metadata/uid"), org, env_type };
    let mut objects = vec![host_git_repository(&owner, &branch, config).map_err(|message| Problem {
        phase: crate::crd::ApplicationPhase::Degraded,
        reason: "GiteaError",
        message,
    })?];
    let target_namespace = vcluster.as_ref().map_or(namespace, |v| v.host_namespace.as_str());
    objects.extend(plan.iter().map(|r| host_kustomization(&owner, &r.name, target_namespace, config)));
    if let Some(c) = continuum(&owner, &canonical, &plan) {
        objects.push(c);
    }
    Ok(ApplicationPlan {
        org: org.to_owned(),
        repo: name.to_owned(),
        branch,
        posture: canonical,
        regions: plan,
        primary_region,
        files,
        objects,
        generation: app.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or_default(),
        gitea_repo: format!("{}/{org}/{name}", config.gitea_public_url.trim_end_matches('/')),
        release_namespace: target_namespace.to_owned(),
        blueprint_digest: text(bp, "/status/ociDigest").to_owned(),
    })
}

/// Who the host objects belong to.
#[derive(Clone, Copy, Debug)]
struct Owner<'a> {
    app: &'a str,
    namespace: &'a str,
    uid: &'a str,
    org: &'a str,
    env_type: &'a str,
}

impl Owner<'_> {
    fn labels(&self) -> Map<String, Value> {
        let mut m = Map::new();
        for (k, v) in [
            (keys::K8S_MANAGED_BY, MANAGER),
            (keys::CATALYST_APPLICATION, self.app),
            (keys::CATALYST_ORGANIZATION, self.org),
            (keys::CATALYST_ENV_TYPE, self.env_type),
            (keys::CATALYST_APP_NAMESPACE, self.namespace),
            (keys::CATALYST_APP_UID, self.uid),
        ] {
            if !v.is_empty() {
                m.insert(k.into(), Value::String(v.into()));
            }
        }
        m
    }

    fn source_name(&self) -> String {
        format!("catalyst-app-{}-{}", self.org, self.app)
    }
}

/// The host `GitRepository` `catalyst-app-<org>-<app>` that Flux clones the Application's
/// repository with. A Gitea URL without a `secretRef` is refused (Gitea requires sign-in).
fn host_git_repository(owner: &Owner<'_>, branch: &str, config: &AppsConfig) -> Result<Value, String> {
    let url =
        format!("{}/{}/{}.git", config.gitea_in_cluster_url.trim_end_matches('/'), owner.org, owner.app);
    let mut spec = json!({
        "interval": format!("{}s", config.host_flux_interval),
        "url": url,
        "ref": {"branch": branch},
    });
    if config.flux_secret_ref.is_empty() {
        let host = url.split("://").nth(1).unwrap_or_default().split('/').next().unwrap_or_default();
        if host.contains("gitea") || (host.contains("harbor") && !host.contains("harbor.openova.io")) {
            return Err(format!(
                "ensure host Flux bootstrap: GitRepository {}: secretRef is empty (FLUX_GITEA_SECRET_REF) for {url}",
                owner.source_name()
            ));
        }
    } else {
        spec["secretRef"] = json!({"name": config.flux_secret_ref});
    }
    Ok(json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": owner.source_name(), "namespace": config.host_flux_namespace, "labels": owner.labels()},
        "spec": spec,
    }))
}

/// The host `Kustomization` `catalyst-app-<org>-<app>-<region>` that applies one region's files.
fn host_kustomization(owner: &Owner<'_>, region: &str, target_namespace: &str, config: &AppsConfig) -> Value {
    let mut labels = owner.labels();
    labels.insert(keys::CATALYST_REGION.into(), Value::String(region.into()));
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": format!("{}-{region}", owner.source_name()), "namespace": config.host_flux_namespace, "labels": labels},
        "spec": {
            "interval": format!("{}s", config.host_flux_interval),
            "path": format!("./{}", catalyst_naming::unchecked::application_dir(region, owner.app).unwrap_or_default()),
            "prune": true,
            "targetNamespace": target_namespace,
            "sourceRef": {"kind": "GitRepository", "name": owner.source_name(), "namespace": config.host_flux_namespace},
        },
    })
}

/// The Continuum `dr-<app>` of an active-hot-standby or active-passive Application with a
/// primary and at least one standby; `None` otherwise (an existing one is deleted).
fn continuum(owner: &Owner<'_>, posture: &str, plan: &[RegionPlan]) -> Option<Value> {
    if !matches!(Posture::parse(posture), Some(Posture::ActiveHotStandby | Posture::ActivePassive)) {
        return None;
    }
    let primary = plan.iter().find(|r| r.role == RegionRole::Primary)?;
    let standbys: Vec<&str> = plan.iter().filter(|r| r.standby()).map(|r| r.name.as_str()).collect();
    if standbys.is_empty() {
        return None;
    }
    let mut labels = owner.labels();
    labels.insert(keys::CATALYST_APP.into(), Value::String(owner.app.into()));
    labels.insert(keys::SCOPE.into(), Value::String("application".into()));
    Some(json!({
        "apiVersion": "dr.openova.io/v1",
        "kind": "Continuum",
        "metadata": {"name": format!("dr-{}", owner.app), "namespace": owner.namespace, "labels": labels},
        "spec": {
            "applicationRef": owner.app,
            "primaryRegion": primary.name,
            "hotStandbyRegions": standbys,
            "leaseClient": {"kind": "k8s-lease"},
            "switchover": {"mechanism": "cnpg-pair"},
        },
    }))
}

/// Why a `spec.placement.targets[]` list is refused (the platform's `ValidatePlacement`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {message}")]
pub struct PlacementRefusal {
    /// `TargetMissingRegion`, `InvalidRole`, `PrimaryHasStandbyType`, `StandbyMissingType`,
    /// `NoPrimary` or `MultiPrimaryNotSupported`.
    pub reason: &'static str,
    /// The platform's message.
    pub message: String,
}

/// Checks placement targets in order (region, role, standby type per target; then at least
/// one Primary, and more than one only with the Blueprint capability `multi-primary`; any other
/// capability is `primary+standby`). Quotes inside quoted values are written `'`.
///
/// # Errors
/// The first [`PlacementRefusal`].
pub fn validate_placement(targets: &[Value], capability: &str) -> Result<(), PlacementRefusal> {
    let refuse = |reason, message: String| Err(PlacementRefusal { reason, message });
    let q = |s: &str| format!("\"{}\"", s.replace('"', "'"));
    let mut primaries = 0;
    for (i, t) in targets.iter().enumerate() {
        let field = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default().trim().to_owned();
        let (region, role, standby_type) = (field("region"), field("role"), field("standbyType"));
        if region.is_empty() {
            return refuse(
                "TargetMissingRegion",
                format!(
                    "target[{i}] declares no region; an empty region renders openova.io/region In [\"\"], which no node can satisfy, so the workload is unschedulable forever while the install still reports success (#5639)"
                ),
            );
        }
        match role.as_str() {
            "Primary" => {
                if !standby_type.is_empty() {
                    return refuse(
                        "PrimaryHasStandbyType",
                        format!("target[{i}] is Primary but carries standbyType {}", q(&standby_type)),
                    );
                }
                primaries += 1;
            }
            "Standby" => {
                if !matches!(standby_type.as_str(), "Hot" | "Cold") {
                    return refuse(
                        "StandbyMissingType",
                        format!(
                            "target[{i}] is Standby but standbyType {} is not Hot|Cold",
                            q(&standby_type)
                        ),
                    );
                }
            }
            _ => {
                return refuse(
                    "InvalidRole",
                    format!("target[{i}] role {} is not Primary|Standby", q(&role)),
                );
            }
        }
    }
    if !targets.is_empty() && primaries == 0 {
        return refuse("NoPrimary", "placement declares no Primary target".into());
    }
    if primaries > 1 && capability.trim() != "multi-primary" {
        return refuse(
            "MultiPrimaryNotSupported",
            format!(
                "placement declares {primaries} Primary targets but the blueprint capability is primary+standby (only one Primary allowed)"
            ),
        );
    }
    Ok(())
}
