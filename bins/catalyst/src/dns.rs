//! `catalyst dns plan|apply|sovereign-records|audit`: thin wrappers over catalyst-dns.

use crate::progress::Steps;
use std::fmt::Write as _;

use anyhow::anyhow;
use catalyst_dns::{
    ApiKey, Change, Client, Config, PdnsError, ZonePlan, audit, parse_desired, sovereign_records,
};
use catalyst_naming::Fqdn;
use serde::Serialize;

use crate::Failure;
use crate::cli::{DnsCommand, Output, PdnsServer};
use crate::output;

/// Maps a PowerDNS error to its exit code: the zone's state is wrong (1) or the server failed (3).
fn pdns_failure(e: PdnsError) -> Failure {
    match e {
        PdnsError::NotOwned { .. } | PdnsError::ZoneNotFound { .. } => Failure::invalid(e),
        PdnsError::Partial { ref source, .. }
            if matches!(**source, PdnsError::NotOwned { .. } | PdnsError::ZoneNotFound { .. }) =>
        {
            Failure::invalid(e)
        }
        PdnsError::Config(_) => Failure::usage(e),
        _ => Failure::remote(e),
    }
}

fn client(server: &PdnsServer) -> Result<Client, Failure> {
    let key = ApiKey::from_env().map_err(Failure::usage)?;
    let config = Config::new(server.server.clone())
        .with_server_id(server.server_id.clone())
        .with_retry_budget(server.retry_budget);
    Client::new(config, key).map_err(Failure::usage)
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::remote(anyhow!(e)))
}

#[derive(Serialize)]
struct ZoneReport<'a> {
    zone: &'a str,
    owner: &'a catalyst_dns::Owner,
    changes: usize,
    patches: usize,
    create_zone: bool,
    items: &'a [Change],
    refused: &'a [catalyst_dns::Refused],
}

#[derive(Serialize)]
struct Report<'a> {
    zones: Vec<ZoneReport<'a>>,
}

fn report<'a>(plans: &'a [ZonePlan], patches: &[usize]) -> Report<'a> {
    Report {
        zones: plans
            .iter()
            .zip(patches)
            .map(|(p, n)| ZoneReport {
                zone: &p.zone,
                owner: &p.owner,
                changes: p.changes.len(),
                patches: *n,
                create_zone: p.create_zone,
                items: &p.changes,
                refused: &p.refused,
            })
            .collect(),
    }
}

fn plan_text(plans: &[ZonePlan]) -> String {
    let mut out = String::new();
    let (mut add, mut change, mut delete, mut refused) = (0, 0, 0, 0);
    for p in plans {
        let _ = writeln!(
            out,
            "zone {} (owner {}){}",
            p.zone,
            p.owner,
            if p.create_zone { " (will be created)" } else { "" }
        );
        for c in &p.changes {
            match c {
                Change::Create { .. } => add += 1,
                Change::Update { .. } => change += 1,
                Change::Delete { .. } => delete += 1,
            }
            let _ = writeln!(out, "  {c}");
        }
        for r in &p.refused {
            refused += 1;
            let _ = writeln!(out, "  ! {r}");
        }
        if p.changes.is_empty() && p.refused.is_empty() {
            let _ = writeln!(out, "  (no changes)");
        }
    }
    let _ = writeln!(out, "{add} to add, {change} to change, {delete} to delete, {refused} refused");
    out
}

/// Runs a `dns` subcommand.
pub(crate) fn run(cmd: DnsCommand, format: Output) -> Result<(), Failure> {
    let rt = runtime()?;
    match cmd {
        DnsCommand::Plan { file, server, force } => {
            let zones = load(&file)?;
            let client = client(&server)?;
            let plans = plan_zones(&rt, &client, &zones, force)?;
            show(&plans, &vec![0; plans.len()], format)?;
            if plans.iter().any(|p| !p.refused.is_empty()) { Err(Failure::reported()) } else { Ok(()) }
        }
        DnsCommand::Apply { file, server, create_zones, force } => {
            let zones = load(&file)?;
            let client = client(&server)?;
            apply(&rt, &client, &zones, (create_zones, force), &file.display().to_string(), format)
        }
        DnsCommand::SovereignRecords {
            parent_zone,
            sovereign,
            lb_ip,
            subdomains,
            no_apex,
            server,
            dry_run,
            force,
        } => {
            let fqdn =
                Fqdn::sovereign(&sovereign).map_err(|e| Failure::invalid(anyhow!("--sovereign: {e}")))?;
            let ip: std::net::Ipv4Addr = lb_ip
                .parse()
                .map_err(|_| Failure::invalid(anyhow!("--lb-ip: {lb_ip:?} is not an IPv4 address")))?;
            let subs = subdomains
                .as_deref()
                .map(catalyst_dns::parse_subdomains)
                .transpose()
                .map_err(|e| Failure::invalid(anyhow!("--subdomains: {e}")))?;
            let zone = sovereign_records(&fqdn, parent_zone.as_deref(), ip, subs.as_deref(), !no_apex)
                .map_err(|e| Failure::invalid(anyhow!(e)))?;
            let client = client(&server)?;
            if dry_run {
                let plans =
                    rt.block_on(client.plan(std::slice::from_ref(&zone), force)).map_err(pdns_failure)?;
                show(&plans, &vec![0; plans.len()], format)
            } else {
                apply(&rt, &client, std::slice::from_ref(&zone), (false, force), "--sovereign", format)
            }
        }
        DnsCommand::Audit { zone, server, expect_ip } => {
            let client = client(&server)?;
            let sets = rt
                .block_on(client.rrsets(&zone))
                .map_err(pdns_failure)?
                .ok_or_else(|| Failure::invalid(anyhow!("zone {zone} does not exist on the server")))?;
            let findings = audit(&sets, &expect_ip);
            if format == Output::Text {
                let mut out = String::new();
                for f in &findings {
                    let _ = writeln!(out, "{f}");
                }
                let _ = writeln!(out, "{} record sets audited, {} findings", sets.len(), findings.len());
                output::raw(&out);
            } else {
                output::print(&serde_json::json!({"zone": zone, "findings": findings}), format)
                    .map_err(Failure::invalid)?;
            }
            if findings.is_empty() { Ok(()) } else { Err(Failure::reported()) }
        }
    }
}

fn load(file: &std::path::Path) -> Result<Vec<catalyst_dns::DesiredZone>, Failure> {
    // A desired-state file far larger than PowerDNS's 2 MiB body cap could ever send is refused.
    let text = catalyst_blueprint::read_text_capped(file, 16 * 1024 * 1024)
        .map_err(|e| Failure::invalid(anyhow!("{}: {e}", file.display())))?;
    parse_desired(&text).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        Failure::invalid(anyhow!(
            "{}: {} problem(s); nothing was sent:\n{}",
            file.display(),
            errors.len(),
            list.join("\n")
        ))
    })
}

fn show(plans: &[ZonePlan], patches: &[usize], format: Output) -> Result<(), Failure> {
    if format == Output::Text {
        output::raw(&plan_text(plans));
        Ok(())
    } else {
        output::print(&report(plans, patches), format).map_err(Failure::invalid)
    }
}

/// Plans every zone, counting them on a terminal.
fn plan_zones(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    zones: &[catalyst_dns::DesiredZone],
    force: bool,
) -> Result<Vec<catalyst_dns::ZonePlan>, Failure> {
    let steps = Steps::new(zones.len(), "reading zones");
    rt.block_on(client.plan_with_progress(zones, force, |p| steps.done(&p.zone))).map_err(pdns_failure)
}

/// Plans and applies `zones` (read from `source`, named in refusals); `(create_zones, force)`.
fn apply(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    zones: &[catalyst_dns::DesiredZone],
    (create_zones, force): (bool, bool),
    source: &str,
    format: Output,
) -> Result<(), Failure> {
    let plans = plan_zones(rt, client, zones, force)?;
    if !create_zones && let Some(p) = plans.iter().find(|p| p.create_zone) {
        return Err(Failure::invalid(anyhow!(
            "{source}: zone {} does not exist; pass --create-zones to create it",
            p.zone
        )));
    }
    let applied = {
        let steps = Steps::new(plans.len(), "applying zones");
        rt.block_on(client.apply_all_with_progress(&plans, |a| steps.done(&a.zone))).map_err(|e| {
            // What the file asks for is refused: name the file.
            let refused = matches!(e, PdnsError::NotOwned { .. })
                || matches!(&e, PdnsError::Partial { source, .. } if matches!(**source, PdnsError::NotOwned { .. }));
            let failure = pdns_failure(e);
            if refused { failure.context(source) } else { failure }
        })?
    };
    let patches: Vec<usize> = applied.iter().map(|a| a.patches).collect();
    show(&plans, &patches, format)
}
