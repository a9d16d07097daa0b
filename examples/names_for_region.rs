//! Compute every host-cluster name, location code and label set for one provider region,
//! as a provisioning tool would before creating clusters.
//!
//! ```text
//! cargo run -p catalyst-examples --example names-for-region -- hetzner fsn acme t38.omani.works
//! ```

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use std::error::Error;

use catalyst_naming::{
    BuildingBlock, EnvType, EnvironmentName, Fqdn, LabelsBuilder, Location, ManagedBy, OrgSlug, Provider,
    Region,
};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let provider: Provider = args.next().as_deref().unwrap_or("hetzner").parse()?;
    let region = Region::parse(provider, args.next().as_deref().unwrap_or("fsn"))?;
    let org = OrgSlug::parse(args.next().as_deref().unwrap_or("acme"))?;
    let sovereign = Fqdn::sovereign(args.next().as_deref().unwrap_or("t38.omani.works"))?;

    println!("# {} {} ({})", provider.name(), region.code(), region.place());
    for bb in BuildingBlock::ALL {
        for env in EnvType::ALL {
            let loc = Location::new(region.clone(), bb, env);
            let environment = EnvironmentName::new(org.clone(), env);
            let labels = LabelsBuilder::new()
                .location(loc.clone())
                .sovereign(sovereign.clone())
                .organization(org.clone())
                .managed_by(ManagedBy::Flux)
                .build()?;
            println!(
                "{:<18} {}  vpc={:<9} vcluster={:<24} env={:<12} branch={:<8} labels={}",
                loc.host_cluster(),
                loc.location_code(),
                loc.vpc(),
                loc.vcluster_qualified(&org),
                environment.to_string(),
                environment.branch(),
                labels.len()
            );
        }
    }
    Ok(())
}
