//! `catalyst sovereign watch`: the Phase-1 watch of a new Sovereign (catalyst-core's
//! `phase1::cluster`), its transitions as they happen and the outcome it ends with.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::anyhow;
use catalyst_core::phase1::cluster::{Event, watch_cluster};
use catalyst_core::phase1::watch::{Knobs, Report, Tracker, format_duration, parse_duration};
use serde_json::json;

use crate::Failure;
use crate::cli::Output;

/// The component ids (`cilium`) of a kit's `bp-*` HelmReleases: `builtin` is the platform's
/// own kit (the one `catalyst plan` uses), anything else a folder.
fn kit_components(kit: &Path) -> Result<Vec<String>, Failure> {
    let check = if kit == Path::new("builtin") {
        catalyst_blueprint::check_kit_files(catalyst_plan::embedded_inputs().bootstrap_kit)
    } else {
        catalyst_blueprint::check_kit_dir_against(kit, None)
            .map_err(|e| Failure::usage(anyhow!("--kit {}: {e}", kit.display())))?
    };
    let ids: Vec<String> = check
        .releases
        .iter()
        .filter_map(|r| catalyst_core::component_id("flux-system", &r.name).map(str::to_owned))
        .collect();
    if ids.is_empty() {
        return Err(Failure::usage(anyhow!("--kit {}: no bp-* HelmRelease in it", kit.display())));
    }
    Ok(ids)
}

fn event_json(e: &Event) -> serde_json::Value {
    match e {
        Event::Transition(t) => json!({"event": "transition", "component": t.component,
            "from": t.from.map(catalyst_core::ComponentState::as_str), "to": t.to.as_str(), "message": t.message}),
        Event::Synced => json!({"event": "synced"}),
        Event::NothingSeenYet(after) => {
            json!({"event": "nothing-seen-yet", "after": format_duration(*after)})
        }
        Event::WatchError(message) => json!({"event": "watch-error", "message": message}),
        Event::Waiting(message) => json!({"event": "waiting", "message": message}),
        Event::StuckDegraded { component, message, grace } => json!({"event": "degraded-past-grace",
            "component": component, "message": message, "grace": format_duration(*grace)}),
    }
}

fn event_text(e: &Event) -> String {
    match e {
        Event::Transition(t) => format!(
            "{:<24} {:>10} -> {:<10} {}",
            t.component,
            t.from.map_or("-", |s| s.as_str()),
            t.to.as_str(),
            t.message
        ),
        Event::Synced => "(the initial list of HelmReleases is complete)".to_owned(),
        Event::NothingSeenYet(after) => format!(
            "warning: no bp-* HelmRelease seen in flux-system after {}; still watching",
            format_duration(*after)
        ),
        Event::WatchError(message) => format!("warning: the watch failed ({message}); retrying"),
        Event::Waiting(message) => format!("waiting: {message}"),
        Event::StuckDegraded { component, message, grace } => {
            format!("warning: {component} has been degraded for {}: {message}", format_duration(*grace))
        }
    }
}

fn report_json(r: &Report) -> serde_json::Value {
    json!({
        "outcome": r.outcome.as_str(),
        "status": r.classification.status.as_str(),
        "error": r.classification.error,
        "component_states": r.states.iter().map(|(k, v)| (k.clone(), v.as_str())).collect::<std::collections::BTreeMap<_, _>>(),
        "never_seen": r.never_seen,
        "stuck_degraded": r.stuck_degraded.iter().map(|(c, m)| json!({"component": c, "message": m})).collect::<Vec<_>>(),
    })
}

/// Runs `catalyst sovereign watch`.
pub(crate) fn watch(
    kubeconfig: &Path,
    kit: Option<&Path>,
    timeout: Option<&str>,
    degraded_grace: Option<&str>,
    format: Output,
) -> Result<(), Failure> {
    let (mut knobs, warnings) = Knobs::from_env();
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let duration = |flag: &str, text: &str| {
        parse_duration(text)
            .filter(|d| !d.is_zero())
            .ok_or_else(|| Failure::usage(anyhow!("{flag} {text:?}: not a positive duration (90s, 15m, 1h)")))
    };
    if let Some(t) = timeout {
        knobs.watch_timeout = duration("--timeout", t)?;
    }
    if let Some(g) = degraded_grace {
        knobs.degraded_grace = duration("--degraded-grace", g)?;
    }
    let mut tracker = Tracker::new(knobs.gate);
    if let Some(kit) = kit {
        tracker = tracker.with_kit(kit_components(kit)?);
    }
    // Events as they happen: a live table on a terminal (redrawn in place), one JSON object
    // per line otherwise. A closed stdout (`| head -1`) stops the printing, not the watch.
    let lines = format == Output::Json || !std::io::stdout().is_terminal();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::remote(anyhow!(e)))?;
    let mut table = Table::default();
    let result = rt.block_on(watch_cluster(kubeconfig, &knobs, tracker, |e| {
        if lines {
            emit(&event_json(e).to_string());
        } else {
            table.show(e);
        }
    }));
    let (report, unreachable) = match result {
        Ok(report) => (report, None),
        // Still an explicit outcome (watcher-start-failed) to record; exit 3.
        Err(e) => (*e.report.clone(), Some(e)),
    };
    if lines {
        emit(&json!({"event": "finished", "report": report_json(&report)}).to_string());
    } else {
        let mut text = format!(
            "outcome: {}\nstatus:  {}\n",
            report.outcome.as_str(),
            report.classification.status.as_str()
        );
        for id in &report.never_seen {
            let _ = writeln!(text, "never seen: bp-{id}");
        }
        for (c, m) in &report.stuck_degraded {
            let _ = writeln!(text, "degraded past the grace period: {c}: {m}");
        }
        emit(text.trim_end());
    }
    if let Some(e) = unreachable {
        return Err(Failure::remote(e));
    }
    match &report.classification.error {
        None => Ok(()),
        Some(error) => Err(Failure::invalid(anyhow!("{error}"))),
    }
}

/// At most `n` characters of `s`, the last one `…` when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut cut: String = s.chars().take(n - 1).collect();
    cut.push('…');
    cut
}

/// One line on stdout; a stdout that is gone is not an error of the watch.
fn emit(line: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// The live table on a terminal: one row per component, redrawn in place, with warnings
/// printed above it.
#[derive(Default)]
struct Table {
    rows: std::collections::BTreeMap<String, (String, String)>,
    drawn: usize,
}

impl Table {
    fn show(&mut self, e: &Event) {
        let mut out = String::new();
        // Back to the first row of the previous drawing, clearing as we go.
        for _ in 0..self.drawn {
            out.push_str("\x1b[1A\x1b[2K");
        }
        match e {
            Event::Transition(t) => {
                self.rows.insert(t.component.clone(), (t.to.as_str().to_owned(), t.message.clone()));
            }
            other => {
                let _ = writeln!(out, "{}", event_text(other));
            }
        }
        // Rows narrower than a terminal (100 columns at most), so none wraps and the redraw
        // moves up exactly one line per row.
        let _ = writeln!(out, "{:<24} {:<10} MESSAGE", "COMPONENT", "STATE");
        for (component, (state, message)) in &self.rows {
            let row = format!("{:<24} {state:<10} {message}", clip(component, 40));
            let _ = writeln!(out, "{}", clip(&row, 100));
        }
        self.drawn = self.rows.len() + 1;
        emit(out.trim_end_matches('\n'));
    }
}
