//! Stage 1: the Sovereign, its regions and control plane, its canonical records and resource.

use std::collections::BTreeMap;

use catalyst_core::crd::{
    BcpTopology, ParentDomain, ParentDomainRole, Sovereign, SovereignRegion, SovereignSpec,
};
use catalyst_dns::sovereign_records;
use catalyst_naming::{BuildingBlock, Component, Fqdn, Location, Provider, Region, RegionTable};

use super::{Code, Ctx, Plan, Record, Resource};

fn root() -> catalyst_naming::FieldPath {
    catalyst_naming::FieldPath::root()
}
use crate::spec::SovereignFile;

/// What later stages need of the Sovereign.
pub(super) struct Sov {
    pub fqdn: Option<Fqdn>,
    pub provider: Option<Provider>,
    pub parent_zone: Option<String>,
    /// Region code → (region, index in the file).
    pub regions: BTreeMap<String, (Region, usize)>,
    /// Index of the primary region.
    pub primary: usize,
    /// `https://gitea.<mgt location>.<fqdn>`, when the control plane could be named.
    pub gitea_public: Option<String>,
}

pub(super) fn plan(cx: &mut Ctx, out: &mut Plan, file: &SovereignFile, table: &RegionTable) -> Sov {
    let fqdn = Fqdn::sovereign(&file.sovereign.fqdn)
        .map_err(|e| cx.problem(Code::InvalidName, root().key("sovereign").key("fqdn"), e))
        .ok();
    let provider = file
        .sovereign
        .provider
        .parse::<Provider>()
        .map_err(|e| cx.problem(Code::InvalidName, root().key("sovereign").key("provider"), e))
        .ok();
    let parent_zone = fqdn
        .as_ref()
        .map(|f| file.sovereign.parent_zone.clone().unwrap_or_else(|| catalyst_dns::default_parent_zone(f)));
    out.sovereign = super::SovereignSummary {
        fqdn: file.sovereign.fqdn.clone(),
        parent_zone: parent_zone.clone(),
        provider,
    };
    let primaries: Vec<usize> =
        file.regions.iter().enumerate().filter(|(_, r)| r.primary).map(|(i, _)| i).collect();
    if primaries.len() > 1 {
        cx.problem(
            Code::SeveralPrimaries,
            root().key("regions").index(primaries[1]).key("primary"),
            "only one region can be primary",
        );
    }
    if file.regions.is_empty() {
        cx.problem(Code::NoRegions, root().key("regions"), "a Sovereign needs at least one region");
    }
    let primary = primaries.first().copied().unwrap_or(0);
    let mut regions = BTreeMap::new();
    for (i, r) in file.regions.iter().enumerate() {
        if r.lb_ips.is_empty() {
            cx.problem(
                Code::NoLoadBalancer,
                root().key("regions").index(i).key("lbIps"),
                "a region needs at least one load-balancer IP",
            );
        }
        let Some(p) = provider else { continue };
        match table.get(p, &r.region) {
            Ok(region) => {
                if regions.insert(r.region.clone(), (region.clone(), i)).is_some() {
                    cx.problem(
                        Code::DuplicateRegion,
                        root().key("regions").index(i).key("region"),
                        format!("region {:?} is listed twice", r.region),
                    );
                }
            }
            Err(e) => cx.problem(Code::InvalidName, root().key("regions").index(i).key("region"), e),
        }
        for (j, bb) in r.building_blocks.iter().enumerate() {
            if let Err(e) = bb.parse::<BuildingBlock>() {
                cx.problem(
                    Code::InvalidName,
                    root().key("regions").index(i).key("buildingBlocks").index(j),
                    e,
                );
            }
        }
    }
    let mut sov = Sov { fqdn, provider, parent_zone, regions, primary, gitea_public: None };
    sov.gitea_public = control_plane(cx, out, file, &sov);
    sov
}

/// The control plane's hostnames, in the primary region's management location (NAME-14).
fn control_plane(cx: &mut Ctx, out: &mut Plan, file: &SovereignFile, sov: &Sov) -> Option<String> {
    let fqdn = sov.fqdn.as_ref()?;
    let region = file.regions.get(sov.primary)?;
    let (r, _) = sov.regions.get(&region.region)?;
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
            Err(e) => cx.problem(Code::InvalidName, root().key("sovereign").key("fqdn"), e),
        }
    }
    gitea
}

/// The Sovereign's canonical records (SPEC DNS-11/12), zone → record sets, and its resource.
pub(super) fn records(
    cx: &mut Ctx,
    out: &mut Plan,
    file: &SovereignFile,
    sov: &Sov,
) -> BTreeMap<String, Vec<Record>> {
    let mut zones: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    if let (Some(f), Some(first)) = (&sov.fqdn, file.regions.get(sov.primary).and_then(|r| r.lb_ips.first()))
    {
        match sovereign_records(
            f,
            file.sovereign.parent_zone.as_deref(),
            *first,
            file.sovereign.subdomains.as_deref(),
            true,
        ) {
            Ok(zone) => {
                let recs = zones.entry(zone.zone.clone()).or_default();
                recs.extend(zone.rrsets.into_values().map(|s| Record {
                    name: s.name,
                    rtype: s.rtype,
                    ttl: s.ttl,
                    contents: s.contents,
                }));
            }
            Err(e) => cx.problem(Code::InvalidRecord, root().key("sovereign"), e),
        }
    }
    if let (Some(f), Some(zone)) = (&sov.fqdn, &sov.parent_zone) {
        out.resources.push(Resource::Sovereign(Box::new(resource(file, f, zone, sov.provider))));
    }
    zones
}

fn resource(file: &SovereignFile, fqdn: &Fqdn, zone: &str, provider: Option<Provider>) -> Sovereign {
    let topology = file.sovereign.bcp_topology.unwrap_or(if file.regions.len() > 1 {
        BcpTopology::ActiveHotstandby
    } else {
        BcpTopology::SingleRegion
    });
    let mut spec = SovereignSpec::new(fqdn.as_str()).with_bcp_topology(topology);
    // An unknown provider is already a problem of the file; the resource leaves it out.
    if let Some(p) = provider {
        spec = spec.with_provider(p);
    }
    for r in &file.regions {
        spec = spec.with_region(SovereignRegion::new(&r.region).with_role(if r.primary {
            "primary"
        } else {
            "secondary"
        }));
    }
    spec = spec.with_parent_domain(ParentDomain::new(zone.trim_end_matches('.'), ParentDomainRole::Primary));
    Sovereign::new(&fqdn.as_str().replace('.', "-"), spec)
}
