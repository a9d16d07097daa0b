//! `catalyst plan`: the whole Sovereign planned offline (catalyst-plan).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, anyhow};
use catalyst_plan::LoadError;
use catalyst_plan::plan::{Plan, plan};
use catalyst_plan::spec::SovereignFile;

use crate::Failure;
use crate::cli::Output;
use crate::graph::Graph;
use crate::output;
use crate::progress::Steps;

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::remote(anyhow!(e)))
}

/// Runs `catalyst plan`.
pub(crate) fn run(
    file: Option<&Path>,
    graph: Option<&Path>,
    schema: bool,
    format: Output,
) -> Result<(), Failure> {
    if schema {
        return output::print(
            &SovereignFile::schema(),
            if format == Output::Text { Output::Json } else { format },
        )
        .map_err(Failure::invalid);
    }
    let (sovereign, inputs) = match file {
        None => catalyst_plan::example(),
        Some(path) => load(path)?,
    };
    let p = plan(&sovereign, &inputs);
    if let Some(target) = graph {
        write_graph(&p, target)?;
    }
    match format {
        Output::Text => output::raw(&text(&p)),
        _ => output::print(&p, format).map_err(Failure::invalid)?,
    }
    if p.problems.is_empty() {
        return Ok(());
    }
    let source = file.map_or_else(|| "example".to_owned(), |f| f.display().to_string());
    for problem in &p.problems {
        eprintln!("error: {source}: {problem}");
    }
    Err(Failure::reported())
}

fn write_graph(p: &Plan, target: &Path) -> Result<(), Failure> {
    let ext = target.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let bytes = match ext {
        "dot" | "gv" => graph(p).dot().into_bytes(),
        "mmd" | "mermaid" => graph(p).mermaid().into_bytes(),
        "svg" => {
            let mut child = Command::new("dot")
                .arg("-Tsvg")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| {
                    Failure::usage(anyhow!(
                        "--graph {}: rendering SVG needs Graphviz's `dot` ({e}); install graphviz, or write .dot or .mmd",
                        target.display()
                    ))
                })?;
            if let Some(mut stdin) = child.stdin.take() {
                use std::io::Write as _;
                stdin
                    .write_all(graph(p).dot().as_bytes())
                    .map_err(|e| Failure::invalid(anyhow!("dot: {e}")))?;
            }
            let out = child.wait_with_output().map_err(|e| Failure::invalid(anyhow!("dot: {e}")))?;
            if !out.status.success() {
                return Err(Failure::invalid(anyhow!(
                    "dot failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            out.stdout
        }
        other => {
            return Err(Failure::usage(anyhow!(
                "--graph {}: unknown extension {other:?}; use .dot, .mmd or .svg",
                target.display()
            )));
        }
    };
    std::fs::write(target, bytes)
        .with_context(|| format!("--graph {}", target.display()))
        .map_err(Failure::invalid)
}

/// The dependency picture: the bootstrap kit and each Application's install plan, arrows
/// from what must be ready first.
fn graph(p: &Plan) -> Graph {
    let mut g = Graph::new("plan");
    g.cluster("kit", "bootstrap kit");
    for (r, deps) in &p.bootstrap_kit.depends_on {
        g.node(&format!("kit/{r}"), &[r]);
        for d in deps {
            g.edge(&format!("kit/{d}"), &format!("kit/{r}"), None);
        }
    }
    for (i, a) in p.applications.iter().enumerate() {
        g.cluster(&format!("app{i}"), &format!("{}/{}", a.organization, a.application));
        for s in &a.install_order {
            g.node(&format!("app{i}/{}", s.name), &[&format!("{} {}", s.name, s.version)]);
            for d in &s.depends_on {
                g.edge(&format!("app{i}/{d}"), &format!("app{i}/{}", s.name), None);
            }
        }
    }
    g
}

/// Readable sections and a summary line.
fn text(p: &Plan) -> String {
    let mut o = String::new();
    let s = &p.summary;
    let _ = writeln!(o, "Sovereign {}", p.sovereign.fqdn);
    if let Some(zone) = &p.sovereign.parent_zone {
        let _ = writeln!(o, "  {:12} {zone}", "parent_zone");
    }
    if let Some(provider) = p.sovereign.provider {
        let _ = writeln!(o, "  {:12} {}", "provider", provider.name());
    }
    let _ = writeln!(o, "\n== names: {} host clusters ==", s.host_clusters);
    for h in &p.names.host_clusters {
        let _ = writeln!(o, "  {:24} location {:6} vpc {}", h.host_cluster, h.location_code, h.vpc);
    }
    let _ = writeln!(o, "  control plane:");
    for (c, n) in &p.names.control_plane_dns {
        let _ = writeln!(o, "    {c:14} {n}");
    }
    for (org, envs) in &p.names.organizations {
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
    for r in &p.resources {
        let _ = writeln!(o, "  {}/{}", r.kind(), r.name());
    }
    let _ = writeln!(o, "\n== bootstrap kit: {} releases ==", s.bootstrap_releases);
    for (i, r) in p.bootstrap_kit.order.iter().enumerate() {
        let deps = p
            .bootstrap_kit
            .depends_on
            .get(r)
            .filter(|d| !d.is_empty())
            .map_or_else(|| "-".to_owned(), |d| d.join(", "));
        let _ = writeln!(o, "  {:3}. {r:28} after: {deps}", i + 1);
    }
    let _ = writeln!(
        o,
        "\n== applications: {} ({} Blueprints, {} provided by the bootstrap kit) ==",
        s.applications, s.blueprints, s.kit_provided
    );
    for a in &p.applications {
        let _ = writeln!(
            o,
            "  {}/{} ({}) in {}",
            a.organization,
            a.application,
            a.blueprint,
            a.environments.join(", ")
        );
        for (i, step) in a.install_order.iter().enumerate() {
            let deps = if step.depends_on.is_empty() { "-".to_owned() } else { step.depends_on.join(", ") };
            let provided =
                step.provided_by.as_deref().map(|p| format!("  provided by {p}")).unwrap_or_default();
            let _ = writeln!(o, "    {:3}. {} {}  after: {deps}{provided}", i + 1, step.name, step.version);
        }
    }
    let _ = writeln!(o, "\n== dns: {} record sets ==", s.dns_records);
    for z in &p.dns {
        let _ = writeln!(o, "  zone {}", z.zone);
        for r in &z.records {
            let _ = writeln!(o, "    {:44} {:4} {:4} {}", r.name, r.ttl, r.rtype, r.contents.join(" | "));
        }
    }
    let _ = writeln!(o, "\n== gitea: {} files ==", s.gitea_files);
    for f in &p.gitea {
        let _ = writeln!(o, "  {} {}: {}", f.repository, f.branch, f.path);
    }
    if !p.problems.is_empty() {
        let _ = writeln!(o, "\n== problems: {} ==", s.problems);
        for problem in &p.problems {
            let _ = writeln!(o, "  {problem} ({})", problem.code.stage().as_str());
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

/// Reads a Sovereign file and its catalog, counting the pulls of an OCI catalog on a terminal.
fn load(path: &Path) -> Result<(SovereignFile, catalyst_plan::plan::Inputs), Failure> {
    let mut steps: Option<Steps> = None;
    let progress = |step: catalyst_plan::LoadStep<'_>| {
        let catalyst_plan::LoadStep::Pulling { index, total, reference } = step else { return };
        steps.get_or_insert_with(|| Steps::new(total, "pulling catalog")).starting(index, reference);
    };
    runtime()?.block_on(catalyst_plan::load_with_progress(path, progress)).map_err(|e| {
        #[cfg(not(feature = "remote"))]
        if let LoadError::Refused { field, .. } = &e
            && field == "catalog.oci"
        {
            return Failure::needs_remote("plan` of a Sovereign file with `catalog.oci")
                .context(&path.display().to_string());
        }
        // The registry answered, and what it holds is refused (unsigned, wrong key,
        // unsafe archive): the remote state is wrong, as for `blueprint pull`.
        let remote = e.is_remote();
        let e = match e {
            // Names the file already.
            LoadError::Read { .. } => anyhow::Error::new(e),
            e => anyhow::Error::new(e).context(path.display().to_string()),
        };
        if remote { Failure::invalid(e) } else { Failure::usage(e) }
    })
}
