//! `catalyst continuum lua`: the continuum-controller's lua records for a Continuum file
//! (SPEC DNS-19), byte for byte what it commits to the pool-domain-manager.

use std::fmt::Write as _;

use anyhow::anyhow;
use catalyst_core::crd::Kind;
use catalyst_core::validate::{Checked, validate_yaml_documents};
use catalyst_dns::continuum::{SynthParams, records_document, synthesize};

use crate::Failure;
use crate::cli::{ContinuumCommand, LuaFormat, Output};
use crate::output;

pub(crate) fn run(cmd: ContinuumCommand, format: Output) -> Result<(), Failure> {
    let ContinuumCommand::Lua { file, primary_region, format: lua_format } = cmd;
    if !file.exists() {
        return Err(Failure::usage(anyhow!("{}: no such file", file.display())));
    }
    let name = file.display().to_string();
    let text = crate::core::read_capped(&file).map_err(Failure::invalid)?;
    let documents = validate_yaml_documents(&text).map_err(|e| Failure::invalid(anyhow!("{name}: {e}")))?;
    let mut continuums = Vec::new();
    let mut applications = Vec::new();
    for (report, doc) in documents {
        match report.checked {
            Checked::Kind(Kind::Continuum) => {
                if !report.is_valid() {
                    for f in report.errors() {
                        eprintln!("error: {name}: {}: {f}", report.label());
                    }
                    return Err(Failure::reported());
                }
                continuums.push(doc);
            }
            // The Application only lends its hostnames; its own validity is `validate`'s job.
            _ if doc.get("kind").and_then(serde_json::Value::as_str) == Some("Application") => {
                applications.push(doc);
            }
            _ => {}
        }
    }
    let continuum = match continuums.as_slice() {
        [one] => one,
        [] => return Err(Failure::invalid(anyhow!("{name}: no Continuum document"))),
        _ => {
            return Err(Failure::invalid(anyhow!(
                "{name}: {} Continuum documents; give one per file",
                continuums.len()
            )));
        }
    };
    let spec = continuum.get("spec").cloned().unwrap_or_default();
    let app_ref = spec.get("applicationRef").and_then(serde_json::Value::as_str).unwrap_or_default();
    let application = applications
        .iter()
        .find(|a| a.pointer("/metadata/name").and_then(serde_json::Value::as_str) == Some(app_ref));
    let mut params = SynthParams::from_spec(&spec);
    if let Some(p) = primary_region {
        params.primary_region = p;
    }
    let records = synthesize(&params, application).map_err(|e| Failure::invalid(anyhow!("{name}: {e}")))?;
    match (lua_format, format) {
        (LuaFormat::Pdm, _) => output::raw(&format!("{}\n", records_document(&records))),
        (LuaFormat::Text, Output::Text) => {
            let mut out = String::new();
            for r in &records {
                let _ =
                    writeln!(out, "{}. {} IN LUA {}", r.hostname.trim_end_matches('.'), r.ttl, r.content());
            }
            output::raw(&out);
        }
        (LuaFormat::Text, format) => output::print(&records, format).map_err(Failure::invalid)?,
    }
    Ok(())
}
