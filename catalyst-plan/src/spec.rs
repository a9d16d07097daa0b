//! The Sovereign description file: what a user writes to say what their Sovereign is.
//! [`SovereignFile::schema`] gives its JSON Schema (for editors and CI).

use std::net::Ipv4Addr;
use std::path::PathBuf;

use catalyst_core::crd::{BcpTopology, BillingMode, OrganizationKind, OrganizationTier, OwnerRole};
use catalyst_naming::FieldPath;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::code::{Code, Problem};

/// Largest Sovereign file read (1 MiB).
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// A Sovereign: its identity, regions, Organizations and the catalog Applications come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SovereignFile {
    /// The Sovereign itself.
    pub sovereign: SovereignSpec,
    /// Its regions (host locations), the first `primary` one (or the first) is the control
    /// plane's.
    pub regions: Vec<RegionSpec>,
    /// The Organizations it hosts.
    #[serde(default)]
    pub organizations: Vec<OrganizationSpec>,
    /// Where Blueprints come from; the embedded platform catalog when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogSource>,
    /// The bootstrap-kit folder (`NN-<name>.yaml` HelmReleases); the embedded platform kit
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_kit: Option<PathBuf>,
}

/// The Sovereign's identity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SovereignSpec {
    /// The Sovereign's FQDN (`omantel.biz`, `t111.omani.works`).
    pub fqdn: String,
    /// The zone its canonical records go into; default: the FQDN minus its first label, or
    /// the FQDN itself one label below a TLD (SPEC DNS-13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_zone: Option<String>,
    /// Cloud provider (`hetzner`, `huawei`, `oci`, `aws`, … or their short codes).
    pub provider: String,
    /// `single-region`, `active-hotstandby` or `active-active`; default: `single-region`
    /// with one region, `active-hotstandby` with more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bcp_topology: Option<BcpTopology>,
    /// Subdomains given canonical A records; the platform's 13 when absent (SPEC DNS-11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdomains: Option<Vec<String>>,
}

/// One region of the Sovereign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegionSpec {
    /// The provider's region code (`fsn`, `hel`, `nbg`).
    pub region: String,
    /// The building blocks run there (`rtz`, `dmz`, `mgt`).
    pub building_blocks: Vec<String>,
    /// The region's load-balancer IPv4 addresses (first = primary).
    pub lb_ips: Vec<Ipv4Addr>,
    /// The control plane's region (at most one).
    #[serde(default)]
    pub primary: bool,
}

/// An Organization and what it runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganizationSpec {
    /// The slug (SPEC NAME-5): Gitea org, vCluster name, Keycloak group.
    pub slug: String,
    /// The display name; the slug when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `customer` or `internal`.
    #[serde(default = "customer")]
    pub kind: OrganizationKind,
    /// `sme`, `org` or `corporate`.
    #[serde(default = "org_tier")]
    pub tier: OrganizationTier,
    /// `real`, `chargeback` or `showback`.
    #[serde(default = "real")]
    pub billing_mode: BillingMode,
    /// Who owns it (at least one).
    pub owners: Vec<OwnerSpec>,
    /// Its Environments.
    #[serde(default)]
    pub environments: Vec<EnvironmentSpec>,
    /// Applications to install.
    #[serde(default)]
    pub applications: Vec<ApplicationSpec>,
}

/// An owner of an Organization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnerSpec {
    /// Email address.
    pub email: String,
    /// `owner`, `admin`, `developer` or `viewer`.
    #[serde(default = "owner_role")]
    pub role: OwnerRole,
}

fn owner_role() -> OwnerRole {
    OwnerRole::Owner
}
fn customer() -> OrganizationKind {
    OrganizationKind::Customer
}
fn org_tier() -> OrganizationTier {
    OrganizationTier::Org
}
fn real() -> BillingMode {
    BillingMode::Real
}

/// One Environment of an Organization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// `prod`, `stg`, `uat`, `dev` or `poc`.
    pub env_type: String,
    /// Regions of the Sovereign it runs in (one: single-region; several: multi-region).
    pub regions: Vec<String>,
    /// The building block its vClusters run in (default `rtz`).
    #[serde(default = "rtz")]
    pub building_block: String,
}

fn rtz() -> String {
    "rtz".into()
}

/// An Application: a Blueprint installed into some of the Organization's Environments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationSpec {
    /// The Application's name (a DNS label; its hostname is `{name}.{org}-{env}.{sovereign}`).
    pub name: String,
    /// The Blueprint and an optional constraint: `bp-grafana`, `bp-harbor@^1.0`.
    pub blueprint: String,
    /// The env types it is installed into; every Environment of the Organization when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
}

/// Where Blueprints are read from: exactly one of `dir` and `oci`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogSource {
    /// A folder of `blueprint.yaml` files, relative to the Sovereign file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// Signed Blueprint artifacts in an OCI registry (needs the `oci` feature; the `catalyst`
    /// binary has it). Each is verified before it is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<OciCatalog>,
}

/// Blueprints pulled from an OCI registry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OciCatalog {
    /// Artifact references (`REGISTRY/REPOSITORY:TAG` or `…@sha256:…`), one per Blueprint
    /// version.
    pub blueprints: Vec<String>,
    /// PEM public keys (relative to the Sovereign file); a cosign signature by any one of them
    /// must exist for every artifact.
    pub keys: Vec<PathBuf>,
    /// Speak plain HTTP: only to registries on loopback (localhost, 127.0.0.0/8, `[::1]`); a
    /// file that asks for it with any other registry is refused before anything is sent.
    #[serde(default)]
    pub plain_http: bool,
}

/// A problem with the file itself: where (`organizations[1].environments[0].envType`, the
/// root for the whole file) and what, under [`Code::InvalidFile`].
pub type FileError = Problem;

impl SovereignFile {
    /// Parses a Sovereign file; unknown fields and wrong types are errors with their path.
    pub fn parse(yaml: &str) -> Result<Self, FileError> {
        if yaml.len() > MAX_FILE_BYTES {
            return Err(Problem::error(
                Code::InvalidFile,
                FieldPath::root(),
                format!("{} bytes is more than the {MAX_FILE_BYTES}-byte limit", yaml.len()),
            ));
        }
        let value: serde_json::Value = serde_saphyr::from_str(yaml).map_err(|e| {
            Problem::error(Code::InvalidFile, FieldPath::root(), format!("not valid YAML: {e}"))
        })?;
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let path = path.trim_start_matches('.');
            let path = if path.is_empty() { FieldPath::root() } else { FieldPath::verbatim(path) };
            Problem::error(Code::InvalidFile, path, e.inner().to_string())
        })
    }

    /// The JSON Schema of the file.
    pub fn schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(SovereignFile)).unwrap_or_default()
    }
}
