//! Resolve an install plan from the platform's real Blueprint catalog, as a third-party
//! tool embedding catalyst-blueprint would.
//!
//! ```text
//! cargo run -p catalyst-examples --example resolve-fixture-catalog -- bp-librechat
//! ```

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use std::error::Error;

use catalyst_blueprint::{Catalog, Request, ResolveOptions, resolve};

fn main() -> Result<(), Box<dyn Error>> {
    let request: Request = std::env::args().nth(1).as_deref().unwrap_or("bp-librechat").parse()?;
    // The platform's real catalog, from ../shared/fixtures beside the repository.
    let dir = catalyst_testkit::fixture("openova/blueprints");
    let loaded = Catalog::load_dir(&dir)?;
    println!("catalog: {} Blueprint versions, {} findings", loaded.catalog.len(), loaded.diagnostics.len());
    let resolution = resolve(&loaded.catalog, &[request], &ResolveOptions::default())?;
    for (i, item) in resolution.plan.install_order.iter().enumerate() {
        println!(
            "{:>2}. {} {} (app {}) after [{}]",
            i + 1,
            item.name,
            item.version,
            item.application,
            item.depends_on.join(", ")
        );
    }
    Ok(())
}
