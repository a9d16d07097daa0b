//! Plan a whole Sovereign from Rust, as `catalyst plan` does: the embedded example, or a
//! Sovereign file given as the first argument.
//!
//! ```text
//! cargo run -p catalyst-examples --example plan-sovereign [-- sovereign.yaml]
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr, reason = "an example prints its result")]

use std::error::Error;
use std::path::Path;

use catalyst_plan::plan::plan;

fn main() -> Result<(), Box<dyn Error>> {
    let (file, inputs) = match std::env::args().nth(1) {
        // `load` is async (an OCI catalog is pulled); a small runtime drives it.
        Some(path) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(catalyst_plan::load(Path::new(&path)))?,
        None => catalyst_plan::example(),
    };
    let p = plan(&file, &inputs);
    println!("Sovereign {} on {}", file.sovereign.fqdn, file.sovereign.provider);
    for host in &p.names.host_clusters {
        println!("  host cluster {} ({})", host.host_cluster, host.location_code);
    }
    for app in &p.applications {
        let order: Vec<String> =
            app.install_order.iter().map(|s| format!("{}@{}", s.name, s.version)).collect();
        println!("  {}/{}: {}", app.organization, app.application, order.join(" -> "));
    }
    println!(
        "  {} DNS record sets in {} zone(s), {} Gitea files, bootstrap kit of {}",
        p.summary.dns_records,
        p.dns.len(),
        p.summary.gitea_files,
        p.summary.bootstrap_releases
    );
    for problem in &p.problems {
        eprintln!("problem: {problem}");
    }
    if p.problems.is_empty() { Ok(()) } else { Err(format!("{} problem(s)", p.problems.len()).into()) }
}
