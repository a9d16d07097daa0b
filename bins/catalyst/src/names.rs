//! `catalyst names`, `names parse`, `names check-org`: thin wrappers over catalyst-naming.

use anyhow::anyhow;
use serde::Serialize;
use serde_json::{Map, Value};

use catalyst_naming::{
    AppName, BlueprintName, BlueprintVersion, CONTROL_PLANE_COMPONENTS, Component, EnvironmentName, Fqdn,
    LabelsBuilder, Location, ManagedBy, NamingError, OrgSlug, QualifiedVcluster, Region, ServerName,
};

use crate::Failure;
use crate::cli::{NameKind, NamesArgs, NamesCommand, Output};
use crate::output;

/// Runs `names` or one of its subcommands.
pub(crate) fn run(args: &NamesArgs, format: Output) -> Result<(), Failure> {
    match &args.command {
        Some(NamesCommand::Parse { name, kind }) => parse(name, *kind, format),
        Some(NamesCommand::CheckOrg { slug }) => check_org(slug, format),
        None => derive(args, format),
    }
}

/// Attaches the flag that carried a bad value to a naming error.
fn flag(name: &str) -> impl FnOnce(NamingError) -> Failure + '_ {
    move |e| Failure::invalid(anyhow!("--{name}: {e}"))
}

/// Every derived name, in the key order of DESIGN.md.
#[derive(Debug, Default, Serialize)]
struct Names {
    cluster_context: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<String>,
    location_code: String,
    vpc: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    vcluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vcluster_qualified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blueprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blueprint_oci_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    control_plane_dns: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_dns: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gitea_repo_url: Option<String>,
    labels: Map<String, Value>,
}

/// The validated inputs of `catalyst names`.
struct Inputs {
    loc: Location,
    org: Option<OrgSlug>,
    sovereign: Option<Fqdn>,
    app: Option<AppName>,
    index: u32,
    app_domain: Option<Fqdn>,
    blueprint: Option<BlueprintName>,
    version: Option<BlueprintVersion>,
    managed_by: Option<ManagedBy>,
    components: Vec<Component>,
}

/// Parses every flag, naming the flag whose value breaks a rule.
fn inputs(args: &NamesArgs) -> Result<Inputs, Failure> {
    // clap enforces presence of the four dimensions when no subcommand is given.
    let dim = |v: &Option<String>| v.clone().unwrap_or_default();
    let provider = dim(&args.provider).parse().map_err(flag("provider"))?;
    let region = Region::parse(provider, &dim(&args.region)).map_err(flag("region"))?;
    let building_block = dim(&args.building_block).parse().map_err(flag("building-block"))?;
    let env_type = dim(&args.env_type).parse().map_err(flag("env-type"))?;
    let index = match args.index.parse::<u32>() {
        Ok(n) if n > 0 => n,
        _ => return Err(flag("index")(NamingError::InvalidIndex { value: args.index.clone() })),
    };
    let components = if args.components.is_empty() {
        CONTROL_PLANE_COMPONENTS.iter().map(|c| Component::parse(c)).collect::<Result<Vec<_>, _>>()
    } else {
        args.components.iter().map(|c| Component::parse(c)).collect()
    }
    .map_err(flag("component"))?;
    Ok(Inputs {
        loc: Location::new(region, building_block, env_type),
        org: args.org.as_deref().map(OrgSlug::parse).transpose().map_err(flag("org"))?,
        sovereign: args.sovereign.as_deref().map(Fqdn::sovereign).transpose().map_err(flag("sovereign"))?,
        app: args.app.as_deref().map(AppName::parse).transpose().map_err(flag("app"))?,
        index,
        app_domain: args.app_domain.as_deref().map(Fqdn::domain).transpose().map_err(flag("app-domain"))?,
        blueprint: args
            .blueprint
            .as_deref()
            .map(BlueprintName::parse)
            .transpose()
            .map_err(flag("blueprint"))?,
        version: args
            .blueprint_version
            .as_deref()
            .map(BlueprintVersion::parse)
            .transpose()
            .map_err(flag("blueprint-version"))?,
        managed_by: args.managed_by.as_deref().map(str::parse).transpose().map_err(flag("managed-by"))?,
        components,
    })
}

fn derive(args: &NamesArgs, format: Output) -> Result<(), Failure> {
    let Inputs { loc, org, sovereign, app, index, app_domain, blueprint, version, managed_by, components } =
        inputs(args)?;
    let env_type = loc.env_type();
    let mut names = Names {
        cluster_context: loc.host_cluster(),
        location_code: loc.location_code(),
        vpc: loc.vpc(),
        ..Names::default()
    };
    if let Some(app) = &app {
        names.server = Some(loc.server(app, index).map_err(flag("app"))?);
    }
    if let Some(org) = &org {
        names.vcluster = Some(org.to_string());
        names.vcluster_qualified = Some(loc.vcluster_qualified(org));
        names.environment = Some(EnvironmentName::new(org.clone(), env_type).to_string());
    }
    if let Some(bp) = &blueprint {
        names.blueprint = Some(bp.to_string());
        names.blueprint_oci_ref = version.as_ref().map(|v| bp.oci_ref(v));
    }
    if let Some(sov) = &sovereign {
        let mut dns = Map::new();
        for c in &components {
            dns.insert(
                c.to_string(),
                Value::String(loc.control_plane().control_plane_dns(c, sov).map_err(flag("sovereign"))?),
            );
        }
        names.control_plane_dns = Some(dns);
    }
    if let (Some(org), Some(app)) = (&org, &app) {
        let env = EnvironmentName::new(org.clone(), env_type);
        if let Some(domain) = app_domain.as_ref().or(sovereign.as_ref()) {
            names.application_dns = Some(env.app_dns(app, domain).map_err(flag("app"))?);
        }
        if let Some(sov) = &sovereign {
            names.gitea_repo_url =
                Some(loc.control_plane().app_repo(sov, org, app).map_err(flag("sovereign"))?);
        }
    }

    let mut labels = LabelsBuilder::new().location(loc);
    if let Some(m) = managed_by {
        labels = labels.managed_by(m);
    }
    if let Some(sov) = sovereign {
        labels = labels.sovereign(sov);
    }
    if let Some(org) = org {
        labels = labels.organization(org);
    }
    if let Some(app) = app {
        labels = labels.application(app);
    }
    if let Some(bp) = blueprint {
        labels = labels.blueprint(bp, version);
    }
    let labels = labels.build_ordered().map_err(Failure::invalid)?;
    names.labels = labels.into_iter().map(|(k, v)| (k.to_owned(), Value::String(v))).collect();

    output::print(&names, format).map_err(Failure::invalid)
}

/// A parsed name: its kind and dimensions, plus the names they give.
#[derive(Debug, Serialize)]
struct Parsed {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    building_block: Option<&'static str>,
    env_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    org: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location_code: Option<String>,
}

impl Parsed {
    fn location(kind: NameKind, loc: &Location) -> Self {
        Self {
            kind: kind.as_str(),
            provider: Some(loc.provider().name()),
            region: Some(loc.region().code().to_owned()),
            building_block: Some(loc.building_block().code()),
            env_type: loc.env_type().code(),
            org: None,
            app: None,
            index: None,
            cluster_context: Some(loc.host_cluster()),
            location_code: Some(loc.location_code()),
        }
    }
}

fn parse_as(kind: NameKind, name: &str) -> Result<Parsed, NamingError> {
    Ok(match kind {
        NameKind::HostCluster => Parsed::location(kind, &Location::from_host_cluster(name)?),
        NameKind::LocationCode => Parsed::location(kind, &Location::from_location_code(name)?),
        NameKind::VclusterQualified => {
            let v = QualifiedVcluster::parse(name)?;
            Parsed { org: Some(v.org().to_string()), ..Parsed::location(kind, v.location()) }
        }
        NameKind::Server => {
            let s = ServerName::parse(name)?;
            Parsed {
                app: Some(s.app().to_string()),
                index: Some(s.index()),
                ..Parsed::location(kind, s.location())
            }
        }
        NameKind::Environment => {
            let e = EnvironmentName::parse(name)?;
            Parsed {
                kind: kind.as_str(),
                provider: None,
                region: None,
                building_block: None,
                env_type: e.env_type().code(),
                org: Some(e.org().to_string()),
                app: None,
                index: None,
                cluster_context: None,
                location_code: None,
            }
        }
    })
}

fn parse(name: &str, kind: Option<NameKind>, format: Output) -> Result<(), Failure> {
    let parsed = if let Some(kind) = kind {
        parse_as(kind, name).map_err(Failure::invalid)?
    } else {
        let order = [
            NameKind::HostCluster,
            NameKind::VclusterQualified,
            NameKind::Server,
            NameKind::LocationCode,
            NameKind::Environment,
        ];
        let mut reasons = Vec::new();
        let mut found = None;
        for kind in order {
            match parse_as(kind, name) {
                Ok(p) => {
                    found = Some(p);
                    break;
                }
                Err(e) => reasons.push(format!("  as {}: {e}", kind.as_str())),
            }
        }
        found.ok_or_else(|| {
            Failure::invalid(anyhow!("{name:?} is not a name catalyst can parse:\n{}", reasons.join("\n")))
        })?
    };
    output::print(&parsed, format).map_err(Failure::invalid)
}

#[derive(Debug, Serialize)]
struct OrgCheck<'a> {
    slug: &'a str,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    warnings: Vec<String>,
}

fn check_org(slug: &str, format: Output) -> Result<(), Failure> {
    match OrgSlug::parse(slug) {
        Ok(org) => {
            let warnings = org.warnings();
            if format == Output::Text {
                for w in &warnings {
                    eprintln!("warning: {w}");
                }
                output::raw(&format!("{slug:?} is a valid organization slug\n"));
                Ok(())
            } else {
                let check = OrgCheck { slug, valid: true, rule: None, message: None, warnings };
                output::print(&check, format).map_err(Failure::invalid)
            }
        }
        // The rule broken, as the stable code `-o json` gives in `rule`.
        Err(e) if format == Output::Text => Err(Failure::invalid(anyhow!("{e} [{}]", e.kind()))),
        Err(e) => {
            eprintln!("error: {e}");
            let check = OrgCheck {
                slug,
                valid: false,
                rule: Some(e.kind()),
                message: Some(e.to_string()),
                warnings: vec![],
            };
            output::print(&check, format).map_err(Failure::invalid)?;
            Err(Failure::reported())
        }
    }
}
