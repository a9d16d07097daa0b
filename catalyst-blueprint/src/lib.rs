//! OpenOva Catalyst Blueprints: the installable units of the platform.
//!
//! A Blueprint is a folder with a `blueprint.yaml` and a Helm chart, published as
//! `ghcr.io/openova-io/bp-<name>:<semver>`. This crate reads every `blueprint.yaml` shape in
//! use (SPEC BP-*). This first part parses a Blueprint's identity: both apiVersions, the
//! bare and `bp-` name forms, and the version in `spec` or `metadata`; dependency
//! constraints, version solving and install plans follow.
//!
//! ```
//! use catalyst_blueprint::{parse_header, ApiVersion};
//!
//! let yaml = r"
//! apiVersion: catalyst.openova.io/v1alpha1
//! kind: Blueprint
//! metadata:
//!   name: bp-cilium
//! spec:
//!   version: 1.1.1
//! ";
//! let header = parse_header(yaml, Some("cilium"))?;
//! assert_eq!(header.api_version, ApiVersion::V1Alpha1);
//! assert_eq!(header.name.oci_ref(&header.version), "ghcr.io/openova-io/bp-cilium:1.1.1");
//! # Ok::<(), catalyst_blueprint::HeaderError>(())
//! ```
//!
//! # Crate features
//!
//! None yet. The default build is pure: no tokio, no network. Signed OCI push/pull will
//! come behind `oci`.

mod header;

pub use header::{ApiVersion, BlueprintHeader, HeaderError, parse_header};
