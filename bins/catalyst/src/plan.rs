//! `catalyst plan`: the whole Sovereign planned offline (catalyst-plan).

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, anyhow};
use catalyst_plan::plan::plan;
use catalyst_plan::spec::SovereignFile;

use crate::Failure;
use crate::cli::Output;
use crate::output;

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
        Some(path) => runtime()?.block_on(catalyst_plan::load(path)).map_err(|e| {
            let shown = path.display();
            if e.path.is_empty() {
                Failure::usage(anyhow!("{shown}: {}", e.message))
            } else if e.path.starts_with("catalog.oci.blueprints") {
                // The registry answered, and what it holds is refused (unsigned, wrong key,
                // unsafe archive): the remote state is wrong, as for `blueprint pull`.
                Failure::invalid(anyhow!("{shown}: {e}"))
            } else {
                Failure::usage(anyhow!("{shown}: {e}"))
            }
        })?,
    };
    let p = plan(&sovereign, &inputs);
    if let Some(target) = graph {
        write_graph(&p, target)?;
    }
    match format {
        Output::Text => output::raw(&p.to_text()),
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

fn write_graph(p: &catalyst_plan::plan::Plan, target: &Path) -> Result<(), Failure> {
    let ext = target.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let bytes = match ext {
        "dot" | "gv" => p.to_dot().into_bytes(),
        "mmd" | "mermaid" => p.to_mermaid().into_bytes(),
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
                stdin.write_all(p.to_dot().as_bytes()).map_err(|e| Failure::invalid(anyhow!("dot: {e}")))?;
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
