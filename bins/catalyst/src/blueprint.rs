//! `catalyst blueprint lint|resolve|graph` and `catalyst bootstrap-kit check`: thin wrappers
//! over catalyst-blueprint.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, anyhow};
use catalyst_blueprint::{
    Catalog, Diagnostic, ExpectedDag, Loaded, Request, ResolveOptions, check_kit_dir_against, resolve,
};
use catalyst_naming::BlueprintName;
use serde::Serialize;

use crate::Failure;
use crate::cli::{BlueprintCommand, GraphFormat, KitCommand, KitFormat, Output};
use crate::graph::Graph;
use crate::output;

/// Runs a `blueprint` subcommand.
pub(crate) fn run(cmd: BlueprintCommand, format: Output) -> Result<(), Failure> {
    match cmd {
        BlueprintCommand::Lint { catalog } => lint(&catalog, format),
        #[cfg(feature = "remote")]
        BlueprintCommand::Push { src, reference, sign, source, registry } => {
            crate::oci::push(&src, &reference, sign, source.as_deref(), &registry, format)
        }
        #[cfg(feature = "remote")]
        BlueprintCommand::Pull { reference, keys, keyless, out, insecure_skip_verify, registry } => {
            crate::oci::pull(&reference, &keys, &keyless, &out, insecure_skip_verify, &registry, format)
        }
        #[cfg(feature = "remote")]
        BlueprintCommand::Verify { reference, keys, keyless, registry } => {
            crate::oci::verify(&reference, &keys, &keyless, &registry, format)
        }
        #[cfg(not(feature = "remote"))]
        BlueprintCommand::Push { .. } => Err(Failure::needs_remote("blueprint push")),
        #[cfg(not(feature = "remote"))]
        BlueprintCommand::Pull { .. } => Err(Failure::needs_remote("blueprint pull")),
        #[cfg(not(feature = "remote"))]
        BlueprintCommand::Verify { .. } => Err(Failure::needs_remote("blueprint verify")),
        BlueprintCommand::Resolve {
            catalog,
            requests,
            installed,
            allow_upgrade,
            kit,
            org,
            org_catalog,
            values,
            set,
            allow_prerelease,
        } => {
            let mut loaded = load(&catalog)?;
            for spec in &org_catalog {
                let (org, dir) = spec
                    .split_once('=')
                    .ok_or_else(|| Failure::usage(anyhow!("--org-catalog {spec:?}: expected ORG=DIR")))?;
                let org: catalyst_naming::OrgSlug =
                    org.parse().map_err(|e| Failure::usage(anyhow!("--org-catalog {spec:?}: {e}")))?;
                let own = load(Path::new(dir))?;
                loaded.catalog.merge(own.catalog.owned_by(&org));
            }
            let requests = parse_requests(&requests)?;
            let mut options = ResolveOptions::default().with_prerelease(allow_prerelease);
            for i in &installed {
                let (name, version) = parse_installed(i)?;
                options = options.with_installed(name, version);
            }
            let parameters = parameters(values.as_deref(), &set)?;
            for r in &requests {
                options = options.with_parameters(r.name.clone(), parameters.clone());
            }
            for name in &allow_upgrade {
                let name = BlueprintName::parse(name)
                    .map_err(|e| Failure::usage(anyhow!("--allow-upgrade {name:?}: {e}")))?;
                options = options.with_allow_upgrade(name);
            }
            if let Some(dir) = &kit {
                let check = check_kit_dir_against(dir, None).map_err(Failure::usage)?;
                options = options.with_kit(&check);
            }
            if let Some(org) = &org {
                let org = org.parse().map_err(|e| Failure::usage(anyhow!("--org {org:?}: {e}")))?;
                options = options.with_org(org);
            }
            let res = resolve(&loaded.catalog, &requests, &options).map_err(|e| match &e {
                // The flag that accepts the replacement, named where it would help.
                catalyst_blueprint::ResolveError::InstalledVersionConflict { name, .. } => {
                    Failure::invalid(anyhow!("{e} (--allow-upgrade {name}) [InstalledVersionConflict]"))
                }
                _ => Failure::invalid(e),
            })?;
            if format == Output::Text {
                output::raw(&plan_text(&res.plan));
                Ok(())
            } else {
                output::print(&res.plan, format).map_err(Failure::invalid)
            }
        }
        BlueprintCommand::Graph { catalog, request, format: graph } => {
            let loaded = load(&catalog)?;
            let requests = parse_requests(std::slice::from_ref(&request))?;
            let res =
                resolve(&loaded.catalog, &requests, &ResolveOptions::default()).map_err(Failure::invalid)?;
            let mut g = Graph::new("blueprints");
            for (name, version) in res.dag.nodes() {
                g.node(name.as_str(), &[name.as_str(), &version.to_string()]);
            }
            for (from, to, alias) in res.dag.edges() {
                g.edge(&from, &to, Some(&alias));
            }
            output::raw(&match graph {
                GraphFormat::Dot => g.dot(),
                GraphFormat::Mermaid => g.mermaid(),
            });
            Ok(())
        }
    }
}

/// Reads a catalog folder; an unreadable folder is an error naming `--catalog`.
fn read_catalog(dir: &Path) -> Result<Loaded, Failure> {
    Catalog::load_dir(dir)
        .map_err(|e| Failure::invalid(anyhow!(e).context(format!("--catalog {}", dir.display()))))
}

/// Reads a catalog for resolving: files with errors are skipped with a warning.
fn load(dir: &Path) -> Result<Loaded, Failure> {
    let loaded = read_catalog(dir)?;
    let broken = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    if broken > 0 {
        eprintln!(
            "warning: {broken} error(s) in the catalog at {}; those files were skipped (see `catalyst blueprint lint --catalog {}`)",
            dir.display(),
            dir.display()
        );
    }
    if loaded.catalog.is_empty() {
        return Err(Failure::invalid(anyhow!(
            "--catalog {}: no blueprint.yaml parsed under this folder",
            dir.display()
        )));
    }
    Ok(loaded)
}

fn parse_requests(raw: &[String]) -> Result<Vec<Request>, Failure> {
    raw.iter().map(|r| r.parse::<Request>().map_err(Failure::invalid)).collect()
}

/// The requesting Application's parameters: `--values FILE` (YAML), then each `--set`.
fn parameters(values: Option<&Path>, set: &[String]) -> Result<serde_json::Value, Failure> {
    let mut params = match values {
        None => serde_json::Value::Object(serde_json::Map::new()),
        Some(file) => {
            let text = catalyst_blueprint::read_text_capped(file, catalyst_blueprint::MAX_BLUEPRINT_BYTES)
                .map_err(|e| Failure::usage(anyhow!("--values {}: {e}", file.display())))?;
            let v: serde_json::Value = serde_saphyr::from_str(&text)
                .map_err(|e| Failure::usage(anyhow!("--values {}: not valid YAML: {e}", file.display())))?;
            if !v.is_object() {
                return Err(Failure::usage(anyhow!("--values {}: expected a mapping", file.display())));
            }
            v
        }
    };
    for raw in set {
        let (path, value) = raw
            .split_once('=')
            .ok_or_else(|| Failure::usage(anyhow!("--set {raw:?}: expected PATH=VALUE")))?;
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(Failure::usage(anyhow!("--set {raw:?}: the path needs dot-separated keys")));
        }
        let value: serde_json::Value =
            serde_saphyr::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
        let mut at = &mut params;
        for key in path.split('.') {
            if !at.is_object() {
                *at = serde_json::Value::Object(serde_json::Map::new());
            }
            at = at
                .as_object_mut()
                .map(|m| m.entry(key.to_owned()).or_insert(serde_json::Value::Null))
                .ok_or_else(|| Failure::usage(anyhow!("--set {raw:?}")))?;
        }
        *at = value;
    }
    Ok(params)
}

fn parse_installed(raw: &str) -> Result<(BlueprintName, semver::Version), Failure> {
    let (name, version) = raw
        .split_once('@')
        .ok_or_else(|| Failure::invalid(anyhow!("--installed {raw:?}: expected NAME@VERSION")))?;
    let name =
        BlueprintName::parse(name).map_err(|e| Failure::invalid(anyhow!("--installed {raw:?}: {e}")))?;
    let version = semver::Version::parse(version)
        .with_context(|| format!("--installed {raw:?}: {version:?} is not a version"))
        .map_err(Failure::invalid)?;
    Ok((name, version))
}

fn plan_text(plan: &catalyst_blueprint::InstallPlan) -> String {
    let mut out = String::new();
    let width = plan.install_order.iter().map(|i| i.name.len() + i.version.len() + 1).max().unwrap_or(0);
    for (n, item) in plan.install_order.iter().enumerate() {
        let id = format!("{} {}", item.name, item.version);
        let after = if item.depends_on.is_empty() { "-".to_owned() } else { item.depends_on.join(", ") };
        let provided = item.provided_by.as_deref().map(|p| format!("  provided by {p}"));
        let reuse = match item.status {
            _ if provided.is_some() => provided.as_deref().unwrap_or_default(),
            catalyst_blueprint::InstallStatus::Installed => "  (installed, reused)",
            catalyst_blueprint::InstallStatus::Upgrade => "  (upgrade of the installed version)",
            catalyst_blueprint::InstallStatus::New => "",
        };
        let _ =
            writeln!(out, "{:>3}. {id:width$}  app={:<20} after: {after}{reuse}", n + 1, item.application);
        if let Some(values) = &item.values {
            let _ = writeln!(out, "     values: {values}");
        }
    }
    for s in &plan.skipped {
        let _ = writeln!(out, "  skipped: {} {} -> {} (when {} is false)", s.from, s.version, s.to, s.when);
    }
    let reused = plan
        .install_order
        .iter()
        .filter(|i| i.status == catalyst_blueprint::InstallStatus::Installed)
        .count();
    let _ = writeln!(
        out,
        "{} Blueprints to install, {reused} already installed",
        plan.install_order.len() - reused
    );
    out
}

#[derive(Serialize)]
struct LintReport<'a> {
    blueprints: usize,
    errors: usize,
    warnings: usize,
    findings: &'a [Diagnostic],
}

fn lint(dir: &Path, format: Output) -> Result<(), Failure> {
    let loaded = read_catalog(dir)?;
    let mut findings = loaded.diagnostics;
    findings.extend(loaded.catalog.lint());
    // The CRD's structural schema, as `catalyst validate` checks it, so the two agree.
    let mut added = Vec::new();
    for entry in loaded.catalog.entries() {
        let Some(file) = &entry.source else { continue };
        let shown = file.display().to_string();
        let Ok(text) = catalyst_blueprint::read_text_capped(file, catalyst_blueprint::MAX_BLUEPRINT_BYTES)
        else {
            continue;
        };
        let Ok(doc) = serde_saphyr::from_str::<serde_json::Value>(&text) else { continue };
        let model: Vec<_> =
            findings.iter().filter(|d| d.file.as_deref() == Some(shown.as_str())).cloned().collect();
        added.extend(
            catalyst_core::validate::blueprint_lint_findings(&doc, &model)
                .into_iter()
                .map(|d| d.in_file(shown.clone())),
        );
    }
    findings.extend(added);
    findings.sort();
    let errors = findings.iter().filter(|d| d.is_error()).count();
    let report = LintReport {
        blueprints: loaded.catalog.len(),
        errors,
        warnings: findings.len() - errors,
        findings: &findings,
    };
    if format == Output::Text {
        let mut out = String::new();
        for d in &findings {
            let _ = writeln!(out, "{}", output::finding_line(d));
        }
        let _ = writeln!(
            out,
            "{} Blueprints, {} errors, {} warnings",
            report.blueprints, report.errors, report.warnings
        );
        output::raw(&out);
    } else {
        output::print(&report, format).map_err(Failure::invalid)?;
    }
    if errors > 0 { Err(Failure::reported()) } else { Ok(()) }
}

/// Runs a `bootstrap-kit` subcommand.
pub(crate) fn kit(cmd: KitCommand, format: Output) -> Result<(), Failure> {
    let (dir, expected, kit_format) = match cmd {
        KitCommand::Check { dir, expected, format } => (dir, expected, format),
        KitCommand::Diff { left, right } => return kit_diff(&left, &right, format),
    };
    let expected = expected.as_deref().map(load_expected).transpose()?;
    // Nothing to check (an unreadable folder, no HelmRelease in it) is a usage error, exit 2;
    // findings in the kit are exit 1 (issue 18, DESIGN's exit codes).
    let check = check_kit_dir_against(&dir, expected.as_ref()).map_err(Failure::usage)?;
    match (kit_format, format) {
        (KitFormat::Dot, _) => output::raw(&kit_graph(&check).dot()),
        (KitFormat::Mermaid, _) => output::raw(&kit_graph(&check).mermaid()),
        (KitFormat::Text, Output::Text) => output::raw(&kit_text(&check, expected.as_ref())),
        (KitFormat::Text, format) => output::print(&check, format).map_err(Failure::invalid)?,
    }
    for d in &check.findings {
        eprintln!("{}", output::finding_line(d));
    }
    if check.has_errors() { Err(Failure::reported()) } else { Ok(()) }
}

/// An expected DAG from `--expected`: `builtin:NAME` or a file. Any problem is exit 2.
fn load_expected(spec: &str) -> Result<ExpectedDag, Failure> {
    if let Some(name) = spec.strip_prefix("builtin:") {
        return ExpectedDag::builtin(name).map_err(Failure::usage);
    }
    let path = Path::new(spec);
    let text = catalyst_blueprint::read_text_capped(path, catalyst_blueprint::MAX_EXPECTED_DAG_BYTES as u64)
        .with_context(|| format!("--expected {spec}: cannot read the expected DAG"))
        .map_err(Failure::usage)?;
    ExpectedDag::parse(spec, &text).map_err(Failure::usage)
}

/// The text report: the install order without an expected DAG; with one, the declared graph by
/// wave in slot order and the summary (SPEC BK-4 rule 7).
fn kit_text(check: &catalyst_blueprint::KitCheck, expected: Option<&ExpectedDag>) -> String {
    let mut out = String::new();
    let line = |out: &mut String, prefix: String, name: &str, slot: &str, deps: &[String], note: &str| {
        let deps = if deps.is_empty() { "-".to_owned() } else { deps.join(", ") };
        let _ = writeln!(out, "{prefix}[{slot:>3}] {name:<24} after: {deps}{note}");
    };
    if check.summary.is_some() {
        for (wave, names) in &check.waves {
            let _ = writeln!(out, "{wave} ({})", names.len());
            for name in names {
                match check.releases.iter().find(|r| &r.name == name) {
                    Some(r) => line(&mut out, "  ".into(), name, &r.slot, &r.depends_on, ""),
                    None => match expected.and_then(|e| e.get(name)) {
                        Some(s) => line(
                            &mut out,
                            "  ".into(),
                            name,
                            &s.slot,
                            &s.depends_on,
                            "  (deferred: no file yet)",
                        ),
                        None => line(&mut out, "  ".into(), name, "", &[], "  (deferred: no file yet)"),
                    },
                }
            }
        }
    } else {
        for (n, name) in check.order.iter().enumerate() {
            if let Some(r) = check.releases.iter().find(|r| &r.name == name) {
                line(&mut out, format!("{:>3}. ", n + 1), name, &r.slot, &r.depends_on, "");
            }
        }
    }
    let edges: usize = check.releases.iter().map(|r| r.depends_on.len()).sum();
    let errors = check.findings.iter().filter(|d| d.is_error()).count();
    let _ = writeln!(
        out,
        "{} releases, {edges} dependsOn edges, longest chain {} ({}), {errors} errors",
        check.releases.len(),
        check.longest_chain.len(),
        check.longest_chain.join(" -> ")
    );
    if !check.stalled.is_empty() {
        let _ = writeln!(out, "stalled by a cycle ({}): {}", check.stalled.len(), check.stalled.join(", "));
    }
    if let Some(s) = &check.summary {
        let _ = writeln!(
            out,
            "summary against {}: present {} / declared {} / deferred {} / drift {} / cycles {}",
            check.expected.as_deref().unwrap_or("?"),
            s.present,
            s.declared,
            s.deferred,
            s.drift,
            s.cycles
        );
    }
    out
}

/// `catalyst bootstrap-kit diff LEFT RIGHT`: exit 1 when the graphs differ, like diff(1).
fn kit_diff(left: &str, right: &str, format: Output) -> Result<(), Failure> {
    let (a, b) = (load_expected(left)?, load_expected(right)?);
    let diff = a.diff(&b);
    if format == Output::Text {
        let mut out = String::new();
        let _ = writeln!(out, "--- {}\n+++ {}", diff.left, diff.right);
        for s in &diff.only_left {
            let _ = writeln!(out, "- [{:>3}] {} (only in {})", s.slot, s.name, diff.left);
        }
        for s in &diff.only_right {
            let _ = writeln!(out, "+ [{:>3}] {} (only in {})", s.slot, s.name, diff.right);
        }
        for m in &diff.moved {
            let _ = writeln!(out, "~ {}: slot {} -> {}", m.name, m.left, m.right);
        }
        for w in &diff.rewaved {
            let _ = writeln!(out, "~ {}: wave {} -> {}", w.name, w.left, w.right);
        }
        for d in &diff.depends {
            let mut parts = Vec::new();
            if !d.missing.is_empty() {
                parts.push(format!("- {}", d.missing.join(", ")));
            }
            if !d.extra.is_empty() {
                parts.push(format!("+ {}", d.extra.join(", ")));
            }
            let _ = writeln!(out, "~ {} dependsOn: {}", d.name, parts.join("; "));
        }
        for (graph, gaps) in [(&diff.left, a.cold_start_gaps()), (&diff.right, b.cold_start_gaps())] {
            for g in gaps {
                let _ = writeln!(
                    out,
                    "note: in {graph}, cold-start {} (slot {}) depends on {}",
                    g.name,
                    g.slot,
                    g.missing.join(", ")
                );
            }
        }
        let _ = writeln!(
            out,
            "{} only in {}, {} only in {}, {} moved, {} in another wave, {} with other dependencies",
            diff.only_left.len(),
            diff.left,
            diff.only_right.len(),
            diff.right,
            diff.moved.len(),
            diff.rewaved.len(),
            diff.depends.len()
        );
        output::raw(&out);
    } else {
        output::print(&diff, format).map_err(Failure::invalid)?;
    }
    if diff.is_empty() { Ok(()) } else { Err(Failure::reported()) }
}

fn kit_graph(check: &catalyst_blueprint::KitCheck) -> Graph {
    let mut g = Graph::new("bootstrap_kit");
    for r in &check.releases {
        g.node(&r.name, &[&format!("{} {}", r.slot, r.name)]);
    }
    for r in &check.releases {
        for d in &r.depends_on {
            g.edge(&r.name, d, None);
        }
    }
    g
}
