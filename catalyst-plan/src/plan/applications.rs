//! Stage 4: each Application's resolved install plan, hostnames and records.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use catalyst_blueprint::{Request, resolve};
use catalyst_dns::{IfUrlUp, LuaOption, LuaRecord};
use catalyst_naming::{AppName, EnvType, Fqdn};

use super::tenants::EnvTarget;
use catalyst_naming::FieldPath;

use super::{APP_TTL, ApplicationPlan, Code, Ctx, InstallStep, Record};
use crate::spec::{ApplicationSpec, OrganizationSpec};

#[expect(clippy::too_many_arguments, reason = "the stage's shared state, passed explicitly")]
pub(super) fn plan(
    cx: &mut Ctx,
    supply: &super::inputs::Supply,
    org: &OrganizationSpec,
    app: &ApplicationSpec,
    here: &FieldPath,
    targets: &BTreeMap<EnvType, EnvTarget>,
    fqdn: Option<&Fqdn>,
    zones: &mut BTreeMap<String, Vec<Record>>,
) -> Option<ApplicationPlan> {
    let app_name =
        app.name.parse::<AppName>().map_err(|e| cx.problem(Code::InvalidName, here.key("name"), e)).ok()?;
    let request: Request =
        app.blueprint.parse().map_err(|e| cx.problem(Code::InvalidRequest, here.key("blueprint"), e)).ok()?;
    // Each Application resolves against the kit as installed: kit components are reused,
    // and a kit version outside an Application's constraint is a problem naming both files.
    let mut options = supply.installed.clone();
    if let Ok(slug) = org.slug.parse() {
        options = options.with_org(slug);
    }
    let resolution = resolve(&supply.catalog, std::slice::from_ref(&request), &options)
        .map_err(|e| {
            cx.problem(Code::Unsatisfiable, here.key("blueprint"), format!("{}: {e}", app.blueprint));
        })
        .ok()?;
    let wanted: Vec<String> = match &app.environments {
        Some(list) => list.clone(),
        None => org.environments.iter().map(|e| e.env_type.clone()).collect(),
    };
    let mut environments = Vec::new();
    let mut hostnames = Vec::new();
    for (i, w) in wanted.iter().enumerate() {
        let Some(EnvTarget { name: env, ips, multi_region }) =
            w.parse::<EnvType>().ok().and_then(|t| targets.get(&t))
        else {
            cx.problem(
                Code::UnknownEnvironment,
                here.key("environments").index(i),
                format!("organization {} has no {w:?} Environment", org.slug),
            );
            continue;
        };
        environments.push(env.to_string());
        let Some(f) = fqdn else { continue };
        let host = match env.app_dns(&app_name, f) {
            Ok(h) => h,
            Err(e) => {
                cx.problem(Code::InvalidName, here.key("name"), e);
                continue;
            }
        };
        hostnames.push(host.clone());
        let zone = catalyst_dns::canonical_name(f.as_str());
        let owner = catalyst_dns::canonical_name(&host);
        let distinct: Vec<_> = ips.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
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
                    cx.problem(Code::InvalidRecord, here.key("name"), e);
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
            provided_by: i.provided_by.clone(),
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
