//! `catalyst crds` and `catalyst validate`: the CRDs of the ten kinds, and validation of
//! Catalyst custom resources (catalyst-core).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use catalyst_core::crd::{Environment, Kind, crds, crds_yaml};
use catalyst_core::gitops::{EnvironmentPlan, PlannedFile, RenderConfig};
use catalyst_core::validate::{
    Checked, Diagnostic, DocumentReport, MAX_STREAM_BYTES, Severity, validate_yaml, validate_yaml_documents,
};
use serde::Serialize;

use crate::Failure;
use crate::cli::{ApplicationCommand, EnvironmentCommand, OrganizationCommand, Output, UserAccessCommand};
use crate::output;

/// `catalyst crds [--out DIR]`.
pub(crate) fn crds_command(out: Option<&Path>, format: Output) -> Result<(), Failure> {
    let Some(dir) = out else {
        match format {
            Output::Text | Output::Yaml => output::raw(&crds_yaml()),
            Output::Json => output::print(&crds(), format).map_err(Failure::invalid)?,
        }
        return Ok(());
    };
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display())).map_err(Failure::usage)?;
    let mut written = Vec::new();
    for kind in Kind::ALL {
        let crd = kind.crd();
        let name = crd.metadata.name.clone().unwrap_or_else(|| kind.name().to_lowercase());
        let path = dir.join(format!("{name}.yaml"));
        let yaml = serde_saphyr::to_string(&crd).context("rendering YAML").map_err(Failure::invalid)?;
        fs::write(&path, yaml)
            .with_context(|| format!("writing {}", path.display()))
            .map_err(Failure::usage)?;
        written.push(path.display().to_string());
    }
    output::print(&serde_json::json!({ "written": written }), format).map_err(Failure::invalid)
}

#[derive(Serialize)]
struct FileReport {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    documents: Vec<DocReport>,
}

#[derive(Serialize)]
struct DocReport {
    #[serde(skip)]
    label: String,
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<String>,
    findings: Vec<Diagnostic>,
}

#[derive(Serialize, Default)]
struct Summary {
    files: usize,
    documents: usize,
    skipped: usize,
    invalid: usize,
    errors: usize,
    warnings: usize,
}

impl DocReport {
    fn from_report(r: DocumentReport) -> Self {
        let (status, skipped) = match &r.checked {
            Checked::Skipped(why) => ("skipped", Some(why.clone())),
            Checked::Kind(_) if r.is_valid() => ("valid", None),
            Checked::Kind(_) => ("invalid", None),
        };
        Self {
            label: r.label(),
            index: r.index,
            kind: r.kind,
            name: r.name,
            status,
            skipped,
            findings: r.findings.into_vec(),
        }
    }
}

/// `catalyst validate PATH...`.
pub(crate) fn validate_command(paths: &[PathBuf], format: Output) -> Result<(), Failure> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files).map_err(Failure::usage)?;
    }
    if files.is_empty() {
        return Err(Failure::usage(anyhow!("no .yaml or .yml files under {}", join(paths))));
    }
    let mut reports = Vec::new();
    let mut summary = Summary { files: files.len(), ..Summary::default() };
    for file in &files {
        let mut report = FileReport { file: file.display().to_string(), error: None, documents: Vec::new() };
        match read_capped(file).and_then(|text| validate_yaml(&text).map_err(anyhow::Error::from)) {
            Ok(docs) => report.documents = docs.into_iter().map(DocReport::from_report).collect(),
            Err(e) => {
                summary.errors += 1;
                report.error = Some(format!("{e:#}"));
            }
        }
        for d in &report.documents {
            summary.documents += 1;
            match d.status {
                "skipped" => summary.skipped += 1,
                "invalid" => summary.invalid += 1,
                _ => {}
            }
            summary.errors += d.findings.iter().filter(|f| f.severity == Severity::Error).count();
            summary.warnings += d.findings.iter().filter(|f| f.severity == Severity::Warning).count();
        }
        reports.push(report);
    }
    match format {
        Output::Text => output::raw(&text(&reports, &summary)),
        _ => output::print(&serde_json::json!({ "files": reports, "summary": summary }), format)
            .map_err(Failure::invalid)?,
    }
    let broken_files = reports.iter().filter(|r| r.error.is_some()).count();
    if summary.invalid > 0 || broken_files > 0 {
        return Err(Failure::invalid(anyhow!(
            "{} of {} documents invalid, {} of {} files unreadable",
            summary.invalid,
            summary.documents - summary.skipped,
            broken_files,
            summary.files
        )));
    }
    Ok(())
}

fn text(reports: &[FileReport], summary: &Summary) -> String {
    let mut out = String::new();
    for r in reports {
        if let Some(e) = &r.error {
            let _ = writeln!(out, "{}: error: {e}", r.file);
        }
        for d in &r.documents {
            match d.status {
                "skipped" => {
                    let _ = writeln!(
                        out,
                        "{}: {}: skipped ({})",
                        r.file,
                        d.label,
                        d.skipped.as_deref().unwrap_or("")
                    );
                }
                status => {
                    let errors = d.findings.iter().filter(|f| f.severity == Severity::Error).count();
                    let head = if status == "valid" { "ok".to_owned() } else { format!("{errors} error(s)") };
                    let _ = writeln!(out, "{}: {}: {head}", r.file, d.label);
                    for f in &d.findings {
                        let sev = if f.severity == Severity::Error { "error" } else { "warning" };
                        let _ = writeln!(out, "  {sev}: {f}");
                    }
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "{} documents in {} files: {} valid, {} invalid, {} skipped; {} errors, {} warnings",
        summary.documents,
        summary.files,
        summary.documents - summary.invalid - summary.skipped,
        summary.invalid,
        summary.skipped,
        summary.errors,
        summary.warnings
    );
    out
}

/// Reads a file of at most [`MAX_STREAM_BYTES`], refusing it while reading (a device or a
/// growing file cannot make the read go on).
pub(crate) fn read_capped(file: &Path) -> anyhow::Result<String> {
    catalyst_blueprint::read_text_capped(file, MAX_STREAM_BYTES as u64)
        .with_context(|| format!("reading {}", file.display()))
}

/// Files named on the command line are read whatever their name; directories are walked for
/// `.yaml`/`.yml` files, skipping hidden entries, in sorted order. Inside a walked directory
/// a symlink is followed only when it is a file inside that directory's tree: links out of
/// the tree (to `/etc/…` or `/dev/zero`) and links to directories are reported and skipped.
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let meta = fs::metadata(path).with_context(|| format!("{}", path.display()))?;
    if !meta.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let root = fs::canonicalize(path).with_context(|| format!("{}", path.display()))?;
    walk(&root, path, files)
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<(PathBuf, fs::FileType)> = fs::read_dir(dir)
        .with_context(|| format!("reading directory {}", dir.display()))?
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.path(), e.file_type().ok()?)))
        .filter(|(p, _)| !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (entry, kind) in entries {
        let yaml = entry.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if kind.is_dir() {
            walk(root, &entry, files)?;
        } else if kind.is_file() && yaml {
            files.push(entry);
        } else if kind.is_symlink() && yaml {
            match fs::canonicalize(&entry) {
                Ok(target) if target.starts_with(root) && target.is_file() => files.push(entry),
                _ => eprintln!(
                    "warning: {}: a symlink that leaves {} (or is not a file); not read",
                    entry.display(),
                    root.display()
                ),
            }
        }
    }
    Ok(())
}

fn join(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// `catalyst environment render`: the controller's files for every Environment of a file.
pub(crate) fn environment(cmd: EnvironmentCommand, format: Output) -> Result<(), Failure> {
    let EnvironmentCommand::Render { file, host_cluster } = cmd;
    let (mut config, warnings) =
        RenderConfig::from_vars(|k| std::env::var(k).ok()).map_err(Failure::usage)?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    config.host_cluster_override = host_cluster;
    if !file.exists() {
        return Err(Failure::usage(anyhow!("{}: no such file", file.display())));
    }
    let name = file.display().to_string();
    let text = read_capped(&file).map_err(Failure::invalid)?;
    let documents = validate_yaml_documents(&text).map_err(|e| Failure::invalid(anyhow!("{name}: {e}")))?;
    let mut problems = Vec::new();
    let mut files: Vec<PlannedFile> = Vec::new();
    let mut environments = 0;
    for (report, doc) in documents {
        if report.checked != Checked::Kind(Kind::Environment) {
            continue;
        }
        environments += 1;
        let label = report.label();
        if !report.is_valid() {
            problems.extend(report.errors().map(|f| format!("{name}: {label}: {f}")));
            continue;
        }
        let plan = serde_json::from_value::<Environment>(doc)
            .map_err(|e| anyhow!("{e}"))
            .and_then(|env| EnvironmentPlan::new(&env, &config).map_err(anyhow::Error::from));
        match plan {
            Ok(plan) => files.extend(plan.files),
            Err(e) => problems.push(format!("{name}: {label}: {e}")),
        }
    }
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
        return Err(Failure::reported());
    }
    if environments == 0 {
        return Err(Failure::invalid(anyhow!("{name}: no Environment document")));
    }
    if format == Output::Text {
        let mut out = String::new();
        for f in &files {
            let _ = writeln!(out, "==> {} <==", f.path);
            out.push_str(&f.content);
        }
        output::raw(&out);
        Ok(())
    } else {
        output::print(&serde_json::json!({ "files": files }), format).map_err(Failure::invalid)
    }
}

/// `catalyst application render`: the controller's files and objects for every Application of
/// the files, with the parents found among their documents.
pub(crate) fn application(cmd: ApplicationCommand, format: Output) -> Result<(), Failure> {
    let ApplicationCommand::Render { files: paths, install_dependencies } = cmd;
    let (config, warnings) = catalyst_core::apps::AppsConfig::from_vars(|k| std::env::var(k).ok());
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let mut docs: Vec<(String, serde_json::Value)> = Vec::new();
    for path in &paths {
        if !path.exists() {
            return Err(Failure::usage(anyhow!("{}: no such file", path.display())));
        }
        let name = path.display().to_string();
        let text = read_capped(path).map_err(Failure::invalid)?;
        let parsed: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text)
            .map_err(|e| Failure::invalid(anyhow!("{name}: not valid YAML: {e}")))?;
        docs.extend(parsed.into_iter().filter(|d| !d.is_null()).map(|d| (name.clone(), d)));
    }
    let find = |kind: &str, name: &str| {
        docs.iter().map(|(_, d)| d).find(|d| {
            d["kind"] == kind && d.pointer("/metadata/name").and_then(serde_json::Value::as_str) == Some(name)
        })
    };
    let mut problems = Vec::new();
    let mut files = Vec::new();
    let mut objects = Vec::new();
    let mut applications = 0;
    for (file, app) in docs.iter().filter(|(_, d)| d["kind"] == "Application") {
        applications += 1;
        let text = |p: &str| app.pointer(p).and_then(serde_json::Value::as_str).unwrap_or_default();
        let env = find("Environment", text("/spec/environmentRef"));
        let org = env.and_then(|e| {
            find(
                "Organization",
                e.pointer("/spec/organizationRef").and_then(serde_json::Value::as_str).unwrap_or_default(),
            )
        });
        let bp = find("Blueprint", text("/spec/blueprintRef/name"));
        let planned = if install_dependencies {
            let blueprints: Vec<serde_json::Value> =
                docs.iter().filter(|(_, d)| d["kind"] == "Blueprint").map(|(_, d)| d.clone()).collect();
            let others: Vec<serde_json::Value> = docs
                .iter()
                .filter(|(_, d)| d["kind"] == "Application" && *d != *app)
                .map(|(_, d)| d.clone())
                .collect();
            let (catalog, options, warnings) = catalyst_core::apps::dependency_context(&blueprints, &others);
            for w in warnings {
                eprintln!("warning: {w}");
            }
            catalyst_core::apps::plan_application_with_dependencies(
                app,
                (env, org, bp),
                &config,
                &catalog,
                &options,
            )
        } else {
            catalyst_core::apps::plan_application(app, env, org, bp, &config)
        };
        match planned {
            Ok(plan) => {
                files.extend(plan.files);
                objects.extend(plan.objects);
            }
            Err(p) => problems.push(format!(
                "{file}: Application {}/{}: {:?}/{}: {}",
                text("/metadata/namespace"),
                text("/metadata/name"),
                p.phase,
                p.reason,
                p.message
            )),
        }
    }
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
        return Err(Failure::reported());
    }
    if applications == 0 {
        return Err(Failure::invalid(anyhow!("{}: no Application document", join(&paths))));
    }
    if format == Output::Text {
        let mut out = String::new();
        for f in &files {
            let _ = writeln!(out, "==> {} <==", f.path);
            out.push_str(&f.content);
        }
        output::raw(&out);
        Ok(())
    } else {
        output::print(&serde_json::json!({ "files": files, "objects": objects }), format)
            .map_err(Failure::invalid)
    }
}

/// `catalyst organization render FILE`: the tenant manifests of one Organization.
pub(crate) fn organization(cmd: OrganizationCommand, format: Output) -> Result<(), Failure> {
    let OrganizationCommand::Render { file: path } = cmd;
    let (config, warnings) = catalyst_core::tenant::TenantConfig::from_vars(|k| std::env::var(k).ok())
        .map_err(|e| Failure::usage(anyhow!(e)))?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    if !path.exists() {
        return Err(Failure::usage(anyhow!("{}: no such file", path.display())));
    }
    let name = path.display().to_string();
    let text = read_capped(&path).map_err(Failure::invalid)?;
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text)
        .map_err(|e| Failure::invalid(anyhow!("{name}: not valid YAML: {e}")))?;
    let mut orgs = docs.into_iter().filter(|d| d["kind"] == "Organization");
    let (Some(doc), None) = (orgs.next(), orgs.next()) else {
        return Err(Failure::invalid(anyhow!("{name}: expected exactly one Organization document")));
    };
    let (org, warnings) = catalyst_core::tenant::organization_from(&doc)
        .map_err(|e| Failure::invalid(anyhow!("{name}: Organization: {e}")))?;
    for w in warnings {
        eprintln!("warning: {name}: {w}");
    }
    if let Some(meta) = org.metadata.name.as_deref().filter(|n| *n != org.spec.slug) {
        return Err(Failure::invalid(anyhow!(
            "{name}: Organization {meta}: SlugMetadataMismatch: spec.slug={:?} != metadata.name={meta:?} (CRs are immutable on slug after admission)",
            org.spec.slug
        )));
    }
    let files = catalyst_core::tenant::render(&org, &config)
        .map_err(|e| Failure::invalid(anyhow!("{name}: Organization {}: {e}", org.spec.slug)))?;
    if format == Output::Text {
        let mut out = String::new();
        for f in &files {
            let _ = writeln!(out, "==> {} <==", f.path);
            out.push_str(&f.content);
        }
        output::raw(&out);
        Ok(())
    } else {
        output::print(&serde_json::json!({ "files": files }), format).map_err(Failure::invalid)
    }
}

fn read_docs(path: &Path) -> Result<Vec<serde_json::Value>, Failure> {
    if !path.exists() {
        return Err(Failure::usage(anyhow!("{}: no such file", path.display())));
    }
    let text = read_capped(path).map_err(Failure::invalid)?;
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text)
        .map_err(|e| Failure::invalid(anyhow!("{}: not valid YAML: {e}", path.display())))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

fn print_documents(key: &str, docs: &[serde_json::Value], format: Output) -> Result<(), Failure> {
    if format == Output::Json {
        return output::print(&serde_json::json!({ key: docs }), format).map_err(Failure::invalid);
    }
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&serde_saphyr::to_string(d).context("rendering YAML").map_err(Failure::invalid)?);
    }
    output::raw(&out);
    Ok(())
}

/// `catalyst useraccess roles|render`.
pub(crate) fn user_access(cmd: UserAccessCommand, format: Output) -> Result<(), Failure> {
    use catalyst_core::access;
    let (path, namespaces) = match cmd {
        UserAccessCommand::Roles => return print_documents("roles", &access::role_catalogue(), format),
        UserAccessCommand::Render { file, namespaces } => (file, namespaces),
    };
    let name = path.display().to_string();
    let mut uas = read_docs(&path)?.into_iter().filter(|d| d["kind"] == "UserAccess");
    let (Some(mut ua), None) = (uas.next(), uas.next()) else {
        return Err(Failure::invalid(anyhow!("{name}: expected exactly one UserAccess document")));
    };
    let namespaces: Vec<access::NamespaceLabels> = match &namespaces {
        Some(p) => read_docs(p)?
            .iter()
            .filter(|d| d["kind"] == "Namespace")
            .map(access::NamespaceLabels::of)
            .collect(),
        None => Vec::new(),
    };
    let ua_name =
        ua.pointer("/metadata/name").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
    let mut grant = access::parse(&ua)
        .map_err(|e| Failure::invalid(anyhow!("{name}: UserAccess {ua_name}: Invalid: {e}")))?;
    // The tier's enforced scopes, as the controller adds them (from the role bound, else the
    // label's tier; the catalogue stands in for the cluster's ClusterRoles).
    let tier = grant
        .tier_role_ref
        .as_deref()
        .and_then(access::tier_of_role)
        .map(|t| t.name().to_owned())
        .or_else(|| grant.tier.clone());
    if let Some(tier) = tier {
        let role = format!("openova:tier-{}", tier.strip_prefix("tier-").unwrap_or(&tier));
        let cluster_role =
            access::role_catalogue().into_iter().find(|r| r["metadata"]["name"] == role.as_str());
        let missing =
            access::missing_scopes(&grant.scopes, &access::required_scopes(&role, cluster_role.as_ref()));
        if !missing.is_empty() {
            ua["spec"]["scopes"] = access::scopes_with(&grant, &missing);
            grant = access::parse(&ua).map_err(|e| Failure::invalid(anyhow!("{name}: {e}")))?;
        }
    }
    print_documents("bindings", &access::desired(&grant, &namespaces).bindings, format)
}
