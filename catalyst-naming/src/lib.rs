//! Every name, code and label of the OpenOva Catalyst platform, computed from typed
//! dimensions and parsed back.
//!
//! A Catalyst name is never free text: it is composed from a provider, a region, a building
//! block, an env type, an Organization slug and a few more parts (SPEC.md §2, NAME-*). This
//! crate holds those rules once, as types that can only hold valid values: parse input at
//! the edge, and from then on the type is the proof. Bad input is an error that names the
//! rule it broke and the offending value.
//!
//! ```
//! use catalyst_naming::{EnvironmentName, Fqdn, LabelsBuilder, Location, ManagedBy, OrgSlug};
//!
//! let loc = Location::parse("hetzner", "fsn", "rtz", "prod")?;  // long or short codes
//! let org: OrgSlug = "acme".parse()?;
//! let sovereign = Fqdn::sovereign("omantel.biz")?;
//!
//! assert_eq!(loc.host_cluster(), "hz-fsn-rtz-prod");
//! assert_eq!(loc.location_code(), "hfrp");
//! assert_eq!(loc.vcluster_qualified(&org), "hz-fsn-rtz-prod-acme");
//! assert_eq!(EnvironmentName::new(org.clone(), loc.env_type()).to_string(), "acme-prod");
//! assert_eq!(loc.control_plane_dns(&"gitea".parse()?, &sovereign)?, "gitea.hfrp.omantel.biz");
//!
//! // Parsing is the inverse of formatting.
//! assert_eq!(Location::from_host_cluster("hz-fsn-rtz-prod")?, loc);
//!
//! // The required labels, checked as Kubernetes label values.
//! let labels = LabelsBuilder::new().location(loc).sovereign(sovereign).organization(org)
//!     .managed_by(ManagedBy::Flux).build()?;
//! assert_eq!(labels["openova.io/environment"], "acme-prod");
//!
//! // Rejections say which rule broke.
//! let err = "system".parse::<OrgSlug>().unwrap_err();
//! assert_eq!(err.to_string(), r#"organization slug "system" is reserved: "system" is a platform name (system, flux, crossplane, catalyst, gitea)"#);
//! # Ok::<(), catalyst_naming::NamingError>(())
//! ```
//!
//! # What is here
//!
//! - Dimensions: [`Provider`], [`Region`] (provider-scoped, from a [`RegionTable`]),
//!   [`BuildingBlock`], [`EnvType`], each with its long and short codes; [`OrgSlug`].
//! - Patterns: [`Location`] computes host-cluster names, location codes, VPCs, server
//!   names, qualified vClusters, Crossplane CR names, control-plane DNS and Application repo
//!   URLs; [`EnvironmentName`] computes Environment names, branches, the JetStream prefix,
//!   paths and Application DNS; [`BlueprintName`] and [`BlueprintVersion`] the `bp-` names
//!   and OCI references. Reversible patterns parse back: [`Location::from_host_cluster`],
//!   [`Location::from_location_code`], [`ServerName`], [`QualifiedVcluster`],
//!   [`EnvironmentName`].
//! - Labels: [`LabelsBuilder`] and [`validate_labels`].
//! - [`untrusted`]: server-provided text made safe to show and store.
//! - [`diagnostic`]: the located finding (severity, stable code, [`FieldPath`], message,
//!   file) every validator of the SDK reports, and [`Diagnostics`], its error type.
//! - Limits: every produced name is checked against the DNS-1123 label (63) and DNS name
//!   (253) limits; [`check_dns_label`].
//!
//! # Crate features
//!
//! - `serde`: `Serialize` and `Deserialize` for every dimension and name, as its canonical
//!   string; deserializing refuses other spellings (`provider: hz`), see [`wire`].
//! - `schemars` (implies `serde`): `JsonSchema` for the same types: enums of canonical
//!   strings, and patterns with length caps for names. catalyst-core's CRDs use them.
//!
//! With no features the crate depends on `std` and `thiserror` only: no IO, no async.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[macro_use]
mod newtype;
pub mod diagnostic;
mod dimensions;
mod dns;
mod env;
mod error;
mod labels;
mod names;
mod org;
pub mod unchecked;
pub mod untrusted;
pub mod wire;

pub use diagnostic::{Diagnostic, Diagnostics, FieldPath, Severity};
pub use dimensions::{BuildingBlock, EnvType, Provider, Region, RegionTable};
pub use dns::{AppName, Component, Fqdn, MAX_LABEL_LEN, MAX_NAME_LEN, check_dns_label};
pub use env::{
    AUDIT_SUBJECT, CONTROL_PLANE_COMPONENTS, DEFAULT_ENV_REPO_SUFFIX, GITEA_ORG_SHARED_REPO,
    GITEA_PLATFORM_ORGS, GITEA_SYSTEM_REPOS, RESERVED_POOL_SUBDOMAINS, branch_for_env_type,
    check_pool_subdomain, env_repo,
};
pub use error::{NamingError, SlugRule};
pub use labels::{LabelProblem, LabelScope, LabelsBuilder, ManagedBy, keys, validate_labels};
pub use names::{
    BLUEPRINT_NAMESPACE, BLUEPRINT_PREFIX, BLUEPRINT_REGISTRY, BlueprintName, BlueprintVersion,
    EnvironmentName, Location, QualifiedVcluster, ServerName, VCLUSTER_GITREPOSITORY, VCLUSTER_KUSTOMIZATION,
    cloud, control_plane_namespace, dmz_vcluster,
};
pub use org::{OrgSlug, RESERVED_PLATFORM_SLUGS, RESERVED_SLUG_PREFIX};
