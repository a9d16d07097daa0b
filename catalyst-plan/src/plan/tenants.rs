//! Stage 3: Organizations and their Environments: names, resources and Gitea files.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use catalyst_core::crd::{
    Environment, EnvironmentPlacement, EnvironmentRegion, EnvironmentSpec, Organization, OrganizationSpec,
    Owner,
};
use catalyst_core::gitops::{EnvironmentPlan, RenderConfig};
use catalyst_naming::{
    BuildingBlock, EnvType, EnvironmentName, FieldPath, Fqdn, LabelsBuilder, Location, ManagedBy, OrgSlug,
};

use super::sovereign::Sov;
use super::{Code, Ctx, EnvironmentNames, GiteaFile, HostClusterNames, Plan, Record, Resource};
use crate::spec::{OrganizationSpec as OrgFile, SovereignFile};

/// Where an Environment's Applications are reachable.
pub(super) struct EnvTarget {
    pub name: EnvironmentName,
    pub ips: Vec<Ipv4Addr>,
    pub multi_region: bool,
}

pub(super) fn plan(
    cx: &mut Ctx,
    out: &mut Plan,
    file: &SovereignFile,
    sov: &Sov,
    supply: &super::inputs::Supply,
    zones: &mut BTreeMap<String, Vec<Record>>,
) {
    let mut host_clusters = BTreeMap::new();
    let mut slugs = BTreeSet::new();
    for (oi, org) in file.organizations.iter().enumerate() {
        let here = FieldPath::root().key("organizations").index(oi);
        let slug = match OrgSlug::parse(&org.slug) {
            Ok(s) => s,
            Err(e) => {
                cx.problem(Code::InvalidName, here.key("slug"), e);
                continue;
            }
        };
        if !slugs.insert(org.slug.clone()) {
            cx.problem(
                Code::DuplicateOrganization,
                here.key("slug"),
                format!("organization {:?} is listed twice", org.slug),
            );
        }
        out.resources.push(Resource::Organization(Box::new(organization(file, org))));
        let mut env_names = Vec::new();
        let mut targets: BTreeMap<EnvType, EnvTarget> = BTreeMap::new();
        for (ei, env) in org.environments.iter().enumerate() {
            let eat = here.key("environments").index(ei);
            let Some((environment, target, names)) =
                environment(cx, file, sov, &slug, env, &eat, &mut host_clusters)
            else {
                continue;
            };
            gitea_files(cx, out, &environment, sov.gitea_public.as_deref(), &eat);
            out.resources.push(Resource::Environment(Box::new(environment)));
            targets.insert(target.name.env_type(), target);
            env_names.push(names);
        }
        out.names.organizations.insert(org.slug.clone(), env_names);
        for (ai, app) in org.applications.iter().enumerate() {
            let aat = here.key("applications").index(ai);
            if let Some(p) =
                super::applications::plan(cx, supply, org, app, &aat, &targets, sov.fqdn.as_ref(), zones)
            {
                out.applications.push(p);
            }
        }
    }
    out.names.host_clusters = host_clusters.into_values().flatten().collect();
}

fn organization(file: &SovereignFile, org: &OrgFile) -> Organization {
    let spec = OrganizationSpec::new(
        &org.slug,
        org.display_name.clone().unwrap_or_else(|| org.slug.clone()),
        org.kind,
        org.tier,
        org.billing_mode,
        org.owners.iter().map(|o| Owner::new(&o.email, o.role)).collect(),
        &file.sovereign.fqdn,
    );
    Organization::new(&org.slug, spec)
}

/// One Environment: its resource, where it is reachable and its names; `None` (with the
/// problems reported) when a name or region is wrong.
fn environment(
    cx: &mut Ctx,
    file: &SovereignFile,
    sov: &Sov,
    slug: &OrgSlug,
    env: &crate::spec::EnvironmentSpec,
    eat: &FieldPath,
    host_clusters: &mut BTreeMap<String, Option<HostClusterNames>>,
) -> Option<(Environment, EnvTarget, EnvironmentNames)> {
    let env_type = env
        .env_type
        .parse::<EnvType>()
        .map_err(|e| cx.problem(Code::InvalidName, eat.key("envType"), e))
        .ok()?;
    let bb = env
        .building_block
        .parse::<BuildingBlock>()
        .map_err(|e| cx.problem(Code::InvalidName, eat.key("buildingBlock"), e))
        .ok()?;
    let name = EnvironmentName::new(slug.clone(), env_type);
    let mut vclusters = Vec::new();
    let mut ips = Vec::new();
    let mut regions = Vec::new();
    if env.regions.is_empty() {
        cx.problem(
            Code::EnvironmentWithoutRegion,
            eat.key("regions"),
            "an Environment needs at least one region",
        );
    }
    for (ri, r) in env.regions.iter().enumerate() {
        let Some((region, idx)) = sov.regions.get(r) else {
            let known: Vec<&str> = file.regions.iter().map(|x| x.region.as_str()).collect();
            cx.problem(
                Code::UnknownRegion,
                eat.key("regions").index(ri),
                format!("unknown region {r:?}: the Sovereign has {}", known.join(", ")),
            );
            continue;
        };
        if !file.regions[*idx].building_blocks.contains(&env.building_block) {
            cx.problem(
                Code::BuildingBlockNotInRegion,
                eat.key("buildingBlock"),
                format!("region {r:?} does not run building block {:?}", env.building_block),
            );
        }
        let loc = Location::new(region.clone(), bb, env_type);
        vclusters.push(loc.vcluster_qualified(slug));
        ips.extend(file.regions[*idx].lb_ips.iter().copied());
        regions.push(EnvironmentRegion::new(loc.provider(), r, bb));
        host_clusters
            .entry(loc.host_cluster())
            .or_insert_with(|| host_names(cx, &loc, sov.fqdn.as_ref(), eat));
    }
    if regions.len() != env.regions.len() {
        // A region was reported above; a resource built from the rest would only repeat
        // that problem in other words.
        return None;
    }
    let multi_region = env.regions.len() > 1;
    let placement =
        if multi_region { EnvironmentPlacement::MultiRegion } else { EnvironmentPlacement::SingleRegion };
    let resource = Environment::new(
        &name.to_string(),
        EnvironmentSpec::new(slug.as_str(), env_type, placement, regions),
    );
    let names = EnvironmentNames {
        branch: name.branch().to_owned(),
        jetstream_prefix: name.jetstream_prefix(),
        openbao_path: name.openbao_path(),
        name: name.to_string(),
        vclusters,
    };
    Some((resource, EnvTarget { name, ips, multi_region }, names))
}

fn host_names(
    cx: &mut Ctx,
    loc: &Location,
    fqdn: Option<&Fqdn>,
    here: &FieldPath,
) -> Option<HostClusterNames> {
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
            cx.problem(Code::InvalidName, here.clone(), e);
            None
        }
    }
}

/// The files the environment-controller writes for `env` (when the control plane's Gitea
/// could be named and the placement holds).
fn gitea_files(cx: &mut Ctx, out: &mut Plan, env: &Environment, public: Option<&str>, here: &FieldPath) {
    let Some(public) = public else { return };
    if env.spec.validate_placement().is_err() {
        return;
    }
    match EnvironmentPlan::new(env, &RenderConfig::new(public)) {
        Ok(p) => out.gitea.extend(p.files.into_iter().map(|f| GiteaFile {
            repository: format!("{}/{}", p.org, p.repo),
            branch: p.branch.clone(),
            path: f.path,
            content: f.content,
        })),
        Err(e) => cx.problem(Code::Gitea, here.clone(), e),
    }
}
