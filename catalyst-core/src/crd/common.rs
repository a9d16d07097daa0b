//! Types shared by several kinds.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Fields a document carries that the typed model does not name. They survive a
/// parse/serialize round trip (every Catalyst CRD preserves unknown fields, SPEC CORE-1).
pub type Extra = BTreeMap<String, serde_json::Value>;

/// A principal with a role on an Organization or Application (`owners[]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct Owner {
    /// E-mail address of the principal.
    #[schemars(email)]
    pub email: String,
    /// What the principal may do.
    pub role: OwnerRole,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// The role of an [`Owner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OwnerRole {
    /// Full control including deletion and ownership transfer.
    Owner,
    /// Administers everything but ownership.
    Admin,
    /// Deploys and changes workloads.
    Developer,
    /// Reads only.
    Viewer,
}

/// The full provider names the CRDs use (`provider` fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderName {
    /// Hetzner Cloud.
    Hetzner,
    /// Huawei Cloud.
    Huawei,
    /// Oracle Cloud Infrastructure.
    Oci,
    /// Amazon Web Services.
    Aws,
    /// Google Cloud.
    Gcp,
    /// Microsoft Azure.
    Azure,
    /// Contabo.
    Contabo,
}

impl ProviderName {
    /// The wire string (`hetzner`, …).
    pub fn as_str(self) -> &'static str {
        self.to_naming().name()
    }

    /// The catalyst-naming provider.
    pub fn to_naming(self) -> catalyst_naming::Provider {
        use catalyst_naming::Provider as P;
        match self {
            Self::Hetzner => P::Hetzner,
            Self::Huawei => P::Huawei,
            Self::Oci => P::Oci,
            Self::Aws => P::Aws,
            Self::Gcp => P::Gcp,
            Self::Azure => P::Azure,
            Self::Contabo => P::Contabo,
        }
    }
}

/// The environment types (SPEC NAME-4); `dr` is a placement, never an environment type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EnvType {
    /// Production.
    Prod,
    /// Staging.
    Stg,
    /// User acceptance testing.
    Uat,
    /// Development.
    Dev,
    /// Proof of concept.
    Poc,
}

impl EnvType {
    /// The catalyst-naming environment type.
    pub fn to_naming(self) -> catalyst_naming::EnvType {
        use catalyst_naming::EnvType as E;
        match self {
            Self::Prod => E::Prod,
            Self::Stg => E::Stg,
            Self::Uat => E::Uat,
            Self::Dev => E::Dev,
            Self::Poc => E::Poc,
        }
    }

    /// The wire string (`prod`, …).
    pub fn as_str(self) -> &'static str {
        self.to_naming().code()
    }
}

/// A `{name, namespace}` reference to another object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct NamespacedRef {
    /// The object's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The object's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}
