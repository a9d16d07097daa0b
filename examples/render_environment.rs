//! Render an Environment's Gitea files offline, as the environment-controller commits them
//! (SPEC ENV-3, ENV-8, ENV-13): one Flux GitRepository per region, on the env type's branch.
//!
//! ```text
//! cargo run -p catalyst-examples --example render-environment -- https://gitea.example.test
//! ```

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use std::error::Error;

use catalyst_core::crd::Environment;
use catalyst_core::gitops::{EnvironmentPlan, RenderConfig};

const ENVIRONMENT: &str = r"
apiVersion: catalyst.openova.io/v1
kind: Environment
metadata: {name: acmebank-prod, uid: 0d6f4a52, generation: 3}
spec:
  organizationRef: acmebank
  envType: prod
  placement: multi-region
  regions:
    - {provider: hetzner, region: fsn, buildingBlock: rtz}
    - {provider: hetzner, region: hel, buildingBlock: rtz}
";

fn main() -> Result<(), Box<dyn Error>> {
    let public_url = std::env::args().nth(1).unwrap_or_else(|| "https://gitea.example.test".into());
    let env: Environment = serde_saphyr::from_str(ENVIRONMENT)?;
    env.spec.validate_placement()?;
    let plan = EnvironmentPlan::new(&env, &RenderConfig::new(public_url))?;
    println!(
        "{}/{} on branch {} (JetStream {})",
        plan.org, plan.repo, plan.branch, plan.jetstream_subject_prefix
    );
    for file in &plan.files {
        println!("==> {} <==\n{}", file.path, file.content);
    }
    Ok(())
}
