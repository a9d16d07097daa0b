//! Plan a Sovereign's canonical DNS records offline (seed 003): one A record per
//! subdomain, and the apex, in the parent zone, with the PATCH body PowerDNS would get.
//!
//! ```text
//! cargo run -p catalyst-examples --example sovereign-dns -- t111.omani.works 127.0.0.7
//! ```

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use std::error::Error;

use catalyst_dns::{plan_zone, sovereign_records};
use catalyst_naming::Fqdn;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let fqdn = Fqdn::sovereign(args.next().as_deref().unwrap_or("t111.omani.works"))?;
    let lb_ip = args.next().as_deref().unwrap_or("127.0.0.7").parse()?;
    let zone = sovereign_records(&fqdn, None, lb_ip, None, true)?;
    // Against an empty parent zone every record is a create.
    let plan = plan_zone(&zone, Some(&[]), false);
    println!("zone {} ({} record sets)", plan.zone, plan.changes.len());
    for change in &plan.changes {
        println!("  {change}");
    }
    let patches = plan.patches(catalyst_dns::DEFAULT_MAX_BODY);
    println!("{} PATCH body of {} bytes", patches.len(), patches[0].to_json().len());
    Ok(())
}
