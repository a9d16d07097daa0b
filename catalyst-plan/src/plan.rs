//! The plan: every crate of the SDK applied to one Sovereign file, offline.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use catalyst_blueprint::{Catalog, KitCheck, Request, ResolveOptions, check_kit_files, resolve};
use catalyst_core::crd::Environment;
use catalyst_core::gitops::{EnvironmentPlan, RenderConfig};
use catalyst_core::validate::validate_document;
use catalyst_dns::{IfUrlUp, LuaOption, LuaRecord, check_content, sovereign_records};
use catalyst_naming::{
    AppName, BuildingBlock, Component, EnvType, EnvironmentName, Fqdn, LabelsBuilder, Location, ManagedBy,
    OrgSlug, Provider, RegionTable,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::spec::SovereignFile;

/// Where a problem was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Names and codes (catalyst-naming).
    Naming,
    /// Custom resources (catalyst-core validation).
    Resources,
    /// The bootstrap kit's dependency graph.
    BootstrapKit,
    /// The Blueprint catalog.
    Catalog,
    /// Version solving of an Application.
    Applications,
    /// DNS record sets.
    Dns,
    /// Files the controllers write to Gitea.
    Gitea,
}

impl Stage {
    /// The stage's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Naming => "naming",
            Self::Resources => "resources",
            Self::BootstrapKit => "bootstrap-kit",
            Self::Catalog => "catalog",
            Self::Applications => "applications",
            Self::Dns => "dns",
            Self::Gitea => "gitea",
        }
    }
}

/// One problem of a plan, with its source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The stage that found it.
    pub stage: Stage,
    /// Where: a path in the Sovereign file (`organizations[1].slug`), or a file of the
    /// catalog or kit.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} [{}]", self.path, self.message, self.stage.as_str())
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
    pub sovereign: BTreeMap<String, String>,
    /// Every derived name and label set.
    pub names: Names,
    /// The custom resources the platform would hold, validated.
    pub resources: Vec<Value>,
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
    /// Every problem found, by stage.
    pub problems: Vec<Problem>,
}

/// TTL of Application records.
pub const APP_TTL: u32 = 60;

/// Where an Environment's Applications are reachable.
struct EnvTarget {
    name: String,
    ips: Vec<Ipv4Addr>,
    multi_region: bool,
}

struct Ctx {
    problems: Vec<Problem>,
}

impl Ctx {
    #[expect(clippy::needless_pass_by_value, reason = "callers hand over errors they are done with")]
    fn problem(&mut self, stage: Stage, path: impl Into<String>, message: impl ToString) {
        self.problems.push(Problem { stage, path: path.into(), message: message.to_string() });
    }
}

/// Plans `file` with the catalog and kit of `inputs`. Never fails: every problem is in
/// [`Plan::problems`] with its stage and path, and every section holds what could be planned.
#[expect(clippy::too_many_lines, reason = "the stages in the order a reader checks them against the output")]
pub fn plan(file: &SovereignFile, inputs: &Inputs) -> Plan {
    let mut cx = Ctx { problems: Vec::new() };
    let mut out = Plan::default();
    let table = RegionTable::builtin();

    // --- the Sovereign ---------------------------------------------------------------------
    let fqdn = Fqdn::sovereign(&file.sovereign.fqdn)
        .map_err(|e| cx.problem(Stage::Naming, "sovereign.fqdn", e))
        .ok();
    let provider = file
        .sovereign
        .provider
        .parse::<Provider>()
        .map_err(|e| cx.problem(Stage::Naming, "sovereign.provider", e))
        .ok();
    out.sovereign.insert("fqdn".into(), file.sovereign.fqdn.clone());
    let parent_zone = fqdn
        .as_ref()
        .map(|f| file.sovereign.parent_zone.clone().unwrap_or_else(|| catalyst_dns::default_parent_zone(f)));
    if let Some(zone) = &parent_zone {
        out.sovereign.insert("parent_zone".into(), zone.clone());
    }
    if let Some(p) = provider {
        out.sovereign.insert("provider".into(), p.name().to_owned());
    }
    let primaries: Vec<usize> =
        file.regions.iter().enumerate().filter(|(_, r)| r.primary).map(|(i, _)| i).collect();
    if primaries.len() > 1 {
        cx.problem(
            Stage::Naming,
            format!("regions[{}].primary", primaries[1]),
            "only one region can be primary",
        );
    }
    if file.regions.is_empty() {
        cx.problem(Stage::Naming, "regions", "a Sovereign needs at least one region");
    }
    let primary = primaries.first().copied().unwrap_or(0);
    let mut regions = BTreeMap::new();
    for (i, r) in file.regions.iter().enumerate() {
        if r.lb_ips.is_empty() {
            cx.problem(
                Stage::Dns,
                format!("regions[{i}].lbIps"),
                "a region needs at least one load-balancer IP",
            );
        }
        let Some(p) = provider else { continue };
        match table.get(p, &r.region) {
            Ok(region) => {
                if regions.insert(r.region.clone(), (region.clone(), i)).is_some() {
                    cx.problem(
                        Stage::Naming,
                        format!("regions[{i}].region"),
                        format!("region {:?} is listed twice", r.region),
                    );
                }
            }
            Err(e) => cx.problem(Stage::Naming, format!("regions[{i}].region"), e),
        }
        for (j, bb) in r.building_blocks.iter().enumerate() {
            if let Err(e) = bb.parse::<BuildingBlock>() {
                cx.problem(Stage::Naming, format!("regions[{i}].buildingBlocks[{j}]"), e);
            }
        }
    }
    let gitea_public = control_plane(&mut out, &mut cx, file, fqdn.as_ref(), &regions, primary);

    // --- the catalog and the kit -----------------------------------------------------------
    let catalog = load_catalog(&mut cx, &inputs.catalog);
    out.bootstrap_kit = plan_kit(&mut cx, &inputs.bootstrap_kit);

    // --- Organizations, Environments, Applications ----------------------------------------------
    let mut host_clusters = BTreeMap::new();
    let mut zone_records: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    if let (Some(f), Some(first)) = (&fqdn, file.regions.get(primary).and_then(|r| r.lb_ips.first())) {
        match sovereign_records(
            f,
            file.sovereign.parent_zone.as_deref(),
            *first,
            file.sovereign.subdomains.as_deref(),
            true,
        ) {
            Ok(zone) => {
                let recs = zone_records.entry(zone.zone.clone()).or_default();
                recs.extend(zone.rrsets.into_values().map(|s| Record {
                    name: s.name,
                    rtype: s.rtype,
                    ttl: s.ttl,
                    contents: s.contents,
                }));
            }
            Err(e) => cx.problem(Stage::Dns, "sovereign", e),
        }
    }
    if let (Some(f), Some(zone)) = (&fqdn, &parent_zone) {
        out.resources.push(sovereign_resource(file, f, zone, provider));
    }
    let mut slugs = BTreeSet::new();
    for (oi, org) in file.organizations.iter().enumerate() {
        let at = format!("organizations[{oi}]");
        let slug = match OrgSlug::parse(&org.slug) {
            Ok(s) => s,
            Err(e) => {
                cx.problem(Stage::Naming, format!("{at}.slug"), e);
                continue;
            }
        };
        if !slugs.insert(org.slug.clone()) {
            cx.problem(
                Stage::Naming,
                format!("{at}.slug"),
                format!("organization {:?} is listed twice", org.slug),
            );
        }
        out.resources.push(json!({
            "apiVersion": "orgs.openova.io/v1", "kind": "Organization",
            "metadata": {"name": org.slug},
            "spec": {"slug": org.slug, "displayName": org.display_name.clone().unwrap_or_else(|| org.slug.clone()),
                     "kind": org.kind, "tier": org.tier, "billingMode": org.billing_mode,
                     "owners": org.owners.iter().map(|o| json!({"email": o.email, "role": o.role})).collect::<Vec<_>>(),
                     "sovereignRef": file.sovereign.fqdn}
        }));
        let mut env_names = Vec::new();
        let mut env_ips: BTreeMap<String, EnvTarget> = BTreeMap::new();
        for (ei, env) in org.environments.iter().enumerate() {
            let eat = format!("{at}.environments[{ei}]");
            let Ok(env_type) = env
                .env_type
                .parse::<EnvType>()
                .map_err(|e| cx.problem(Stage::Naming, format!("{eat}.envType"), e))
            else {
                continue;
            };
            let Ok(bb) = env
                .building_block
                .parse::<BuildingBlock>()
                .map_err(|e| cx.problem(Stage::Naming, format!("{eat}.buildingBlock"), e))
            else {
                continue;
            };
            let name = EnvironmentName::new(slug.clone(), env_type);
            let mut vclusters = Vec::new();
            let mut ips = Vec::new();
            let mut env_regions = Vec::new();
            if env.regions.is_empty() {
                cx.problem(
                    Stage::Naming,
                    format!("{eat}.regions"),
                    "an Environment needs at least one region",
                );
            }
            for (ri, r) in env.regions.iter().enumerate() {
                let Some((region, idx)) = regions.get(r) else {
                    let known: Vec<&str> = file.regions.iter().map(|x| x.region.as_str()).collect();
                    cx.problem(
                        Stage::Naming,
                        format!("{eat}.regions[{ri}]"),
                        format!("unknown region {r:?}: the Sovereign has {}", known.join(", ")),
                    );
                    continue;
                };
                if !file.regions[*idx].building_blocks.contains(&env.building_block) {
                    cx.problem(
                        Stage::Naming,
                        format!("{eat}.buildingBlock"),
                        format!("region {r:?} does not run building block {:?}", env.building_block),
                    );
                }
                let loc = Location::new(region.clone(), bb, env_type);
                vclusters.push(loc.vcluster_qualified(&slug));
                ips.extend(file.regions[*idx].lb_ips.iter().copied());
                env_regions.push(
                    json!({"provider": loc.provider().name(), "region": r, "buildingBlock": bb.code()}),
                );
                host_clusters
                    .entry(loc.host_cluster())
                    .or_insert_with(|| host_names(&mut cx, &loc, fqdn.as_ref(), &eat));
            }
            if env_regions.len() != env.regions.len() {
                // A region was reported above; a resource built from the rest would only
                // repeat that problem in other words.
                continue;
            }
            let placement = if env.regions.len() > 1 { "multi-region" } else { "single-region" };
            let resource = json!({
                "apiVersion": "catalyst.openova.io/v1", "kind": "Environment",
                "metadata": {"name": name.to_string()},
                "spec": {"organizationRef": org.slug, "envType": env_type.code(), "placement": placement, "regions": env_regions}
            });
            gitea_files(&mut out, &mut cx, &resource, gitea_public.as_deref(), &eat);
            out.resources.push(resource);
            env_ips.insert(
                env_type.code().to_owned(),
                EnvTarget { name: name.to_string(), ips, multi_region: env.regions.len() > 1 },
            );
            env_names.push(EnvironmentNames {
                branch: name.branch().to_owned(),
                jetstream_prefix: name.jetstream_prefix(),
                openbao_path: name.openbao_path(),
                name: name.to_string(),
                vclusters,
            });
        }
        out.names.organizations.insert(org.slug.clone(), env_names);
        for (ai, app) in org.applications.iter().enumerate() {
            let aat = format!("{at}.applications[{ai}]");
            if let Some(p) = plan_application(
                &mut cx,
                &catalog,
                org,
                app,
                &aat,
                &env_ips,
                fqdn.as_ref(),
                &slug,
                &mut zone_records,
            ) {
                out.applications.push(p);
            }
        }
    }
    out.names.host_clusters = host_clusters.into_values().flatten().collect();

    // --- DNS, validated -------------------------------------------------------------------
    for (zone, mut records) in zone_records {
        records.sort_by(|a, b| (&a.name, &a.rtype).cmp(&(&b.name, &b.rtype)));
        for (ri, r) in records.iter().enumerate() {
            for c in &r.contents {
                if let Err(e) = check_content(&r.rtype, c) {
                    cx.problem(Stage::Dns, format!("dns.{zone}[{ri}] {} {}", r.name, r.rtype), e);
                }
            }
        }
        out.dns.push(Zone { zone, records });
    }

    // --- every resource validated as the API server and controllers would --------------------
    for (i, doc) in out.resources.iter().enumerate() {
        let report = validate_document(doc);
        for f in report.errors() {
            cx.problem(
                Stage::Resources,
                format!("resources[{i}] {}: {}", report.label(), f.path),
                format!("{} [{}]", f.message, catalyst_naming::diagnostic::Code::as_str(f.code)),
            );
        }
    }

    out.summary = Summary {
        host_clusters: out.names.host_clusters.len(),
        organizations: out.names.organizations.len(),
        environments: out.names.organizations.values().map(Vec::len).sum(),
        resources: out.resources.len(),
        bootstrap_releases: out.bootstrap_kit.order.len(),
        applications: out.applications.len(),
        blueprints: out
            .applications
            .iter()
            .flat_map(|a| a.install_order.iter().map(|s| &s.name))
            .collect::<BTreeSet<_>>()
            .len(),
        dns_records: out.dns.iter().map(|z| z.records.len()).sum(),
        gitea_files: out.gitea.len(),
        problems: cx.problems.len(),
    };
    out.problems = cx.problems;
    out
}

fn control_plane(
    out: &mut Plan,
    cx: &mut Ctx,
    file: &SovereignFile,
    fqdn: Option<&Fqdn>,
    regions: &BTreeMap<String, (catalyst_naming::Region, usize)>,
    primary: usize,
) -> Option<String> {
    let fqdn = fqdn?;
    let region = file.regions.get(primary)?;
    let (r, _) = regions.get(&region.region)?;
    let loc = Location::control_plane_in(r.clone());
    let mut gitea = None;
    for c in catalyst_naming::CONTROL_PLANE_COMPONENTS {
        let Ok(component) = c.parse::<Component>() else { continue };
        match loc.control_plane_dns(&component, fqdn) {
            Ok(name) => {
                if c == "gitea" {
                    gitea = Some(format!("https://{name}"));
                }
                out.names.control_plane_dns.insert(c.to_owned(), name);
            }
            Err(e) => cx.problem(Stage::Naming, "sovereign.fqdn", e),
        }
    }
    gitea
}

fn host_names(cx: &mut Ctx, loc: &Location, fqdn: Option<&Fqdn>, at: &str) -> Option<HostClusterNames> {
    let mut labels = LabelsBuilder::new().location(loc.clone()).managed_by(ManagedBy::Flux);
    if let Some(f) = fqdn {
        labels = labels.sovereign(f.clone());
    }
    match labels.build() {
        Ok(labels) => Some(HostClusterNames {
            host_cluster: loc.host_cluster(),
            location_code: loc.location_code(),
            vpc: loc.vpc(),
            labels,
        }),
        Err(e) => {
            cx.problem(Stage::Naming, at, e);
            None
        }
    }
}

fn sovereign_resource(file: &SovereignFile, fqdn: &Fqdn, zone: &str, provider: Option<Provider>) -> Value {
    // An unknown provider is already a problem; the resource shows what was written.
    let provider = provider.map_or_else(|| file.sovereign.provider.clone(), |p| p.name().to_owned());
    let regions: Vec<Value> = file
        .regions
        .iter()
        .map(|r| json!({"code": r.region, "role": if r.primary { "primary" } else { "secondary" }}))
        .collect();
    let topology = file.sovereign.bcp_topology.clone().unwrap_or_else(|| {
        if file.regions.len() > 1 { "active-hotstandby".into() } else { "single-region".into() }
    });
    json!({
        "apiVersion": "catalyst.openova.io/v1", "kind": "Sovereign",
        "metadata": {"name": fqdn.as_str().replace('.', "-")},
        "spec": {"fqdn": fqdn.as_str(), "bcpTopology": topology, "provider": provider,
                 "regions": regions,
                 "parentDomains": [{"name": zone.trim_end_matches('.'), "role": "primary"}]}
    })
}

fn load_catalog(cx: &mut Ctx, files: &[(String, String)]) -> Catalog {
    let loaded = Catalog::from_texts(files.iter().map(|(path, text)| (path.into(), text.clone())));
    for d in loaded.diagnostics.into_iter().filter(catalyst_blueprint::Diagnostic::is_error) {
        cx.problem(Stage::Catalog, format!("{}: {}", d.file.unwrap_or_default(), d.path), d.message);
    }
    loaded.catalog
}

fn plan_kit(cx: &mut Ctx, files: &[(String, String)]) -> KitPlan {
    if files.is_empty() {
        cx.problem(Stage::BootstrapKit, "bootstrapKit", "the bootstrap kit has no files");
        return KitPlan::default();
    }
    let check: KitCheck = check_kit_files(files.to_vec());
    for f in check.findings.iter().filter(|f| f.is_error()) {
        cx.problem(
            Stage::BootstrapKit,
            format!("{}: {}", f.file.clone().unwrap_or_default(), f.path),
            &f.message,
        );
    }
    KitPlan {
        depends_on: check.releases.iter().map(|r| (r.name.clone(), r.depends_on.clone())).collect(),
        order: check.order,
        longest_chain: check.longest_chain,
    }
}

fn gitea_files(out: &mut Plan, cx: &mut Ctx, resource: &Value, public: Option<&str>, at: &str) {
    let Some(public) = public else { return };
    let Ok(env) = serde_json::from_value::<Environment>(resource.clone()) else { return };
    if env.spec.validate_placement().is_err() {
        return;
    }
    match EnvironmentPlan::new(&env, &RenderConfig::new(public)) {
        Ok(p) => out.gitea.extend(p.files.into_iter().map(|f| GiteaFile {
            repository: format!("{}/{}", p.org, p.repo),
            branch: p.branch.clone(),
            path: f.path,
            content: f.content,
        })),
        Err(e) => cx.problem(Stage::Gitea, at, e),
    }
}

#[allow(clippy::too_many_arguments)]
fn plan_application(
    cx: &mut Ctx,
    catalog: &Catalog,
    org: &crate::spec::OrganizationSpec,
    app: &crate::spec::ApplicationSpec,
    at: &str,
    env_ips: &BTreeMap<String, EnvTarget>,
    fqdn: Option<&Fqdn>,
    slug: &OrgSlug,
    zones: &mut BTreeMap<String, Vec<Record>>,
) -> Option<ApplicationPlan> {
    let app_name =
        app.name.parse::<AppName>().map_err(|e| cx.problem(Stage::Naming, format!("{at}.name"), e)).ok()?;
    let request: Request = app
        .blueprint
        .parse()
        .map_err(|e| cx.problem(Stage::Applications, format!("{at}.blueprint"), e))
        .ok()?;
    let resolution = resolve(catalog, std::slice::from_ref(&request), &ResolveOptions::default())
        .map_err(|e| {
            cx.problem(Stage::Applications, format!("{at}.blueprint"), format!("{}: {e}", app.blueprint));
        })
        .ok()?;
    let wanted: Vec<String> = match &app.environments {
        Some(list) => list.clone(),
        None => org.environments.iter().map(|e| e.env_type.clone()).collect(),
    };
    let mut environments = Vec::new();
    let mut hostnames = Vec::new();
    for (i, w) in wanted.iter().enumerate() {
        let code: &str = match w.parse::<EnvType>() {
            Ok(t) => t.code(),
            Err(_) => w,
        };
        let Some(EnvTarget { name: env_name, ips, multi_region }) = env_ips.get(code) else {
            cx.problem(
                Stage::Applications,
                format!("{at}.environments[{i}]"),
                format!("organization {} has no {w:?} Environment", org.slug),
            );
            continue;
        };
        environments.push(env_name.clone());
        let Some(f) = fqdn else { continue };
        let Ok(env) = env_name.parse::<EnvironmentName>() else { continue };
        debug_assert_eq!(env.org(), slug);
        let host = match env.app_dns(&app_name, f) {
            Ok(h) => h,
            Err(e) => {
                cx.problem(Stage::Naming, format!("{at}.name"), e);
                continue;
            }
        };
        hostnames.push(host.clone());
        let zone = catalyst_dns::canonical_name(f.as_str());
        let owner = catalyst_dns::canonical_name(&host);
        let distinct: Vec<Ipv4Addr> = ips.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
        let record = if !multi_region || distinct.len() <= 1 {
            // One region: plain A records of its load balancers (SPEC DNS-17).
            Record {
                name: owner,
                rtype: "A".into(),
                ttl: APP_TTL,
                contents: distinct.iter().map(ToString::to_string).collect(),
            }
        } else {
            // Active-active across the Environment's regions (SPEC DNS-17).
            let lua = LuaRecord::Ifurlup(IfUrlUp {
                url: format!("https://{host}/healthz"),
                pools: Vec::new(),
                addresses: ips.iter().copied().map(IpAddr::V4).collect(),
                options: BTreeMap::from([("selector".to_owned(), LuaOption::Text("all".into()))]),
            });
            match lua.content() {
                Ok(c) => Record { name: owner, rtype: "LUA".into(), ttl: APP_TTL, contents: vec![c] },
                Err(e) => {
                    cx.problem(Stage::Dns, format!("{at}.name"), e);
                    continue;
                }
            }
        };
        zones.entry(zone).or_default().push(record);
    }
    let install_order = resolution
        .plan
        .install_order
        .iter()
        .map(|i| InstallStep {
            name: i.name.clone(),
            version: i.version.clone(),
            depends_on: i.depends_on.clone(),
        })
        .collect();
    Some(ApplicationPlan {
        organization: org.slug.clone(),
        application: app.name.clone(),
        blueprint: app.blueprint.clone(),
        environments,
        hostnames,
        install_order,
    })
}

impl Plan {
    /// Readable sections and a summary line.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let s = &self.summary;
        let _ = writeln!(o, "Sovereign {}", self.sovereign.get("fqdn").map_or("-", String::as_str));
        for (k, v) in &self.sovereign {
            if k != "fqdn" {
                let _ = writeln!(o, "  {k:12} {v}");
            }
        }
        let _ = writeln!(o, "\n== names: {} host clusters ==", s.host_clusters);
        for h in &self.names.host_clusters {
            let _ = writeln!(o, "  {:24} location {:6} vpc {}", h.host_cluster, h.location_code, h.vpc);
        }
        let _ = writeln!(o, "  control plane:");
        for (c, n) in &self.names.control_plane_dns {
            let _ = writeln!(o, "    {c:14} {n}");
        }
        for (org, envs) in &self.names.organizations {
            for e in envs {
                let _ = writeln!(
                    o,
                    "  {org}: {:16} branch {:8} {}  vclusters {}",
                    e.name,
                    e.branch,
                    e.jetstream_prefix,
                    e.vclusters.join(", ")
                );
            }
        }
        let _ = writeln!(o, "\n== resources: {} ==", s.resources);
        for r in &self.resources {
            let _ = writeln!(
                o,
                "  {}/{}",
                r["kind"].as_str().unwrap_or("?"),
                r["metadata"]["name"].as_str().unwrap_or("?")
            );
        }
        let _ = writeln!(o, "\n== bootstrap kit: {} releases ==", s.bootstrap_releases);
        for (i, r) in self.bootstrap_kit.order.iter().enumerate() {
            let deps = self
                .bootstrap_kit
                .depends_on
                .get(r)
                .filter(|d| !d.is_empty())
                .map_or_else(|| "-".to_owned(), |d| d.join(", "));
            let _ = writeln!(o, "  {:3}. {r:28} after: {deps}", i + 1);
        }
        let _ = writeln!(o, "\n== applications: {} ({} Blueprints) ==", s.applications, s.blueprints);
        for a in &self.applications {
            let _ = writeln!(
                o,
                "  {}/{} ({}) in {}",
                a.organization,
                a.application,
                a.blueprint,
                a.environments.join(", ")
            );
            for (i, step) in a.install_order.iter().enumerate() {
                let deps =
                    if step.depends_on.is_empty() { "-".to_owned() } else { step.depends_on.join(", ") };
                let _ = writeln!(o, "    {:3}. {} {}  after: {deps}", i + 1, step.name, step.version);
            }
        }
        let _ = writeln!(o, "\n== dns: {} record sets ==", s.dns_records);
        for z in &self.dns {
            let _ = writeln!(o, "  zone {}", z.zone);
            for r in &z.records {
                let _ = writeln!(o, "    {:44} {:4} {:4} {}", r.name, r.ttl, r.rtype, r.contents.join(" | "));
            }
        }
        let _ = writeln!(o, "\n== gitea: {} files ==", s.gitea_files);
        for f in &self.gitea {
            let _ = writeln!(o, "  {} {}: {}", f.repository, f.branch, f.path);
        }
        if !self.problems.is_empty() {
            let _ = writeln!(o, "\n== problems: {} ==", s.problems);
            for p in &self.problems {
                let _ = writeln!(o, "  {p}");
            }
        }
        let _ = writeln!(
            o,
            "\n{} host clusters, {} organizations, {} environments, {} resources, {} bootstrap releases, {} applications ({} Blueprints), {} DNS record sets, {} Gitea files, {} problems",
            s.host_clusters,
            s.organizations,
            s.environments,
            s.resources,
            s.bootstrap_releases,
            s.applications,
            s.blueprints,
            s.dns_records,
            s.gitea_files,
            s.problems
        );
        o
    }

    /// The dependency picture (bootstrap kit and applications) in Graphviz DOT.
    pub fn to_dot(&self) -> String {
        let mut o = String::from(
            "digraph plan {\n  rankdir=LR;\n  node [shape=box];\n  subgraph cluster_kit {\n    label=\"bootstrap kit\";\n",
        );
        for (r, deps) in &self.bootstrap_kit.depends_on {
            let _ = writeln!(o, "    \"kit/{r}\" [label=\"{r}\"];");
            for d in deps {
                let _ = writeln!(o, "    \"kit/{d}\" -> \"kit/{r}\";");
            }
        }
        o.push_str("  }\n");
        for (i, a) in self.applications.iter().enumerate() {
            let _ = writeln!(
                o,
                "  subgraph cluster_app{i} {{\n    label=\"{}/{}\";",
                a.organization, a.application
            );
            for s in &a.install_order {
                let _ = writeln!(o, "    \"app{i}/{}\" [label=\"{} {}\"];", s.name, s.name, s.version);
                for d in &s.depends_on {
                    let _ = writeln!(o, "    \"app{i}/{d}\" -> \"app{i}/{}\";", s.name);
                }
            }
            o.push_str("  }\n");
        }
        o.push_str("}\n");
        o
    }

    /// The same picture as a Mermaid flowchart.
    pub fn to_mermaid(&self) -> String {
        let id = |s: &str| s.replace(['-', '.', '/'], "_");
        let mut o = String::from("flowchart LR\n  subgraph kit[bootstrap kit]\n");
        for (r, deps) in &self.bootstrap_kit.depends_on {
            let _ = writeln!(o, "    kit_{}[{r}]", id(r));
            for d in deps {
                let _ = writeln!(o, "    kit_{} --> kit_{}", id(d), id(r));
            }
        }
        o.push_str("  end\n");
        for (i, a) in self.applications.iter().enumerate() {
            let _ = writeln!(o, "  subgraph app{i}[{}/{}]", a.organization, a.application);
            for s in &a.install_order {
                let _ = writeln!(o, "    app{i}_{}[{} {}]", id(&s.name), s.name, s.version);
                for d in &s.depends_on {
                    let _ = writeln!(o, "    app{i}_{} --> app{i}_{}", id(d), id(&s.name));
                }
            }
            o.push_str("  end\n");
        }
        o
    }
}
