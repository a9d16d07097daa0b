//! The whole Sovereign, planned offline from one file: what `catalyst plan` prints.
//!
//! A [`spec::SovereignFile`] says what a Sovereign is: its FQDN and provider,
//! its regions with building blocks and load-balancer IPs, its Organizations with their
//! Environments and Applications, and where Blueprints come from. [`plan::plan`] applies
//! every crate of the SDK to it — names and labels (catalyst-naming), validated custom
//! resources (catalyst-core), the bootstrap kit's order and each Application's resolved
//! install plan (catalyst-blueprint), DNS record sets with lua records for multi-region
//! Environments (catalyst-dns, validated, never sent), and the files the controllers write to
//! Gitea — and collects every problem with its stage and path instead of stopping at the
//! first. Nothing talks to a cluster, a DNS server or Gitea.
//!
//! ```
//! use catalyst_plan::{embedded_inputs, plan::plan, spec::SovereignFile};
//!
//! let file = SovereignFile::parse("
//! sovereign: {fqdn: omantel.biz, provider: hetzner}
//! regions: [{region: fsn, buildingBlocks: [rtz, mgt], lbIps: [127.0.10.1]}]
//! organizations:
//!   - slug: acme
//!     owners: [{email: ops@acme.example}]
//!     environments: [{envType: prod, regions: [fsn]}]
//!     applications: [{name: chat, blueprint: bp-librechat}]
//! ")?;
//! // With the platform's own catalog and bootstrap kit (or `catalyst_plan::load` a folder).
//! let p = plan(&file, &embedded_inputs());
//! assert!(p.problems.is_empty(), "{:?}", p.problems);
//! assert_eq!(p.names.control_plane_dns["gitea"], "gitea.hfmp.omantel.biz");
//! assert_eq!(p.applications[0].hostnames, ["chat.acme-prod.omantel.biz"]);
//! assert_eq!(p.applications[0].install_order.last().map(|s| s.name.as_str()), Some("bp-librechat"));
//! # Ok::<(), catalyst_plan::spec::FileError>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod code;
mod load;
pub mod plan;
pub mod spec;

pub use crate::code::{Code, Problem, Stage};
pub use crate::load::{LoadError, LoadStep, load, load_with_progress};
use crate::plan::Inputs;
use crate::spec::SovereignFile;

include!(concat!(env!("OUT_DIR"), "/example_files.rs"));

/// The embedded example Sovereign (two regions, two Organizations, several Environments and
/// Applications) with the platform's Blueprint catalog and bootstrap kit.
pub fn example() -> (SovereignFile, Inputs) {
    let text = example_text();
    // The embedded file is checked by this crate's tests; a failure here is a build defect.
    let file =
        SovereignFile::parse(text).unwrap_or_else(|e| unreachable!("the embedded example is valid: {e}"));
    (file, embedded_inputs())
}

/// The embedded example's text.
pub fn example_text() -> &'static str {
    EXAMPLE_FILES.iter().find(|(p, _)| *p == "sovereign.yaml").map_or("", |(_, t)| t)
}

/// The embedded catalog and kit.
pub fn embedded_inputs() -> Inputs {
    let pick = |prefix: &str| -> Vec<(String, String)> {
        EXAMPLE_FILES
            .iter()
            .filter_map(|(p, t)| p.strip_prefix(prefix).map(|rest| (rest.to_owned(), (*t).to_owned())))
            .collect()
    };
    Inputs { catalog: pick("catalog/"), bootstrap_kit: pick("bootstrap-kit/") }
}
