//! OpenOva Catalyst Blueprints: the installable units of the platform.
//!
//! A Blueprint is a folder with a `blueprint.yaml` and a Helm chart, published as
//! `ghcr.io/openova-io/bp-<name>:<semver>`. This crate reads every `blueprint.yaml` shape in
//! use and documented (SPEC BP-1 … BP-7) into one model, solves versions with PubGrub,
//! explains conflicts the way cargo and uv do, and turns a solution into a petgraph DAG and
//! an install plan in dependency order (SPEC BP-8 … BP-11). It also checks a bootstrap
//! kit's Flux HelmRelease `dependsOn` DAG (SPEC BK-*).
//!
//! ```
//! use catalyst_blueprint::{resolve, Blueprint, Catalog, ResolveError, ResolveOptions};
//!
//! let bp = |name: &str, deps: &str| Blueprint::parse(&format!(
//!     "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: {name}}}\n\
//!      spec: {{version: 1.0.0, card: {{title: x}}, visibility: listed, depends: [{deps}]}}\n"), None).unwrap();
//! let mut catalog = Catalog::default();
//! catalog.insert(bp("bp-alpha", "{blueprint: bp-gamma, version: ^1}"), None);
//! catalog.insert(bp("bp-beta", "{blueprint: bp-gamma, version: ^2}"), None);
//! catalog.insert(bp("bp-gamma", ""), None);
//!
//! // A needs C ^1 and B needs C ^2: the derivation says why, in Blueprint words, and the
//! // explanation lists both constraints as written.
//! let err = resolve(&catalog, &["bp-alpha".parse()?, "bp-beta".parse()?], &ResolveOptions::default()).unwrap_err();
//! let ResolveError::Unsatisfiable { conflict } = &err else { panic!("{err}") };
//! assert!(conflict.derivation().starts_with(
//!     "Because bp-alpha 1.0.0 depends on bp-gamma >=1.0.0, <2.0.0 and bp-beta 1.0.0 depends on bp-gamma >=2.0.0, <3.0.0"));
//! assert!(err.to_string().contains("bp-beta 1.0.0 requires bp-gamma ^2"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! The default build is pure: no tokio, no network. [`artifact`] (always on) packages,
//! unpacks and parses artifacts offline.
//!
//! - `schemars`: `JsonSchema` for [`Visibility`] and [`Topology`], the types the Blueprint
//!   CRD (catalyst-core) shares with the model.
//! - `oci`: the `oci` module, push, pull and cosign verification of Blueprint OCI artifacts
//!   against a registry (oci-client, sigstore, tokio, rustls).

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod artifact;
mod bootstrap;
mod catalog;
mod code;
mod constraint;
mod crd_fields;
mod header;
mod kit_dag;
mod model;
#[cfg(feature = "oci")]
pub mod oci;
mod plan;
mod read;
mod release;
mod solve;
mod values;
pub use values::{MAX_RENDERED_LEN, MAX_VALUES_SIZE};
mod when;

pub use bootstrap::{
    Dangling, KitCheck, KitError, KitRelease, KitSummary, check_kit, check_kit_against, check_kit_dir,
    check_kit_dir_against, check_kit_files, check_kit_files_against,
};
pub use catalog::{Catalog, CatalogError, Entry, Loaded, MAX_BLUEPRINT_BYTES};
pub use catalyst_naming::diagnostic::{FieldPath, Severity};
pub use code::Code;
pub use constraint::{
    Constraint, InvalidRange, MAX_ALTERNATIVES, MAX_CONSTRAINT_LEN, Pin, Request, RequestError,
};
pub use crd_fields::HOSTNAME_TOKENS;
pub use header::{ApiVersion, BlueprintHeader, HeaderError, parse_header};
pub use kit_dag::{
    ColdStartGap, DagDiff, DependsDrift, ExpectedDag, ExpectedDagError, ExpectedSlot, MAX_EXPECTED_DAG_BYTES,
    MAX_EXPECTED_SLOTS, Moved, Rewaved, Wave, is_cold_start_slot,
};
pub use model::{
    Blueprint, Card, Dependency, PLACEMENT_TOKENS, PLACEMENT_VCLUSTERS, PlacementMode, PlacementSchema,
    Topology, Visibility,
};

/// A finding of this crate: [`catalyst_naming::Diagnostic`] with this crate's [`Code`].
pub type Diagnostic = catalyst_naming::Diagnostic<Code>;
/// Findings of this crate, usable as an error (`?`).
pub type Diagnostics = catalyst_naming::Diagnostics<Code>;
pub use plan::{Dag, InstallPlan, InstallStatus, PlanDependency, PlanItem, SkippedEdge};
pub use read::{read_capped, read_text_capped};
pub use release::{InvalidReleaseTag, MAX_RELEASE_TAG_LEN, ReleaseTag, ReleaseTrack};
pub use solve::{Conflict, Involved, Requirement, Resolution, ResolveError, ResolveOptions, resolve};
pub use when::{MAX_WHEN_DEPTH, MAX_WHEN_LEN, MAX_WHEN_TERMS, When, WhenParseError};
