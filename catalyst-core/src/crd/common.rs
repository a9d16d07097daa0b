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

impl Owner {
    /// A principal and its role.
    pub fn new(email: impl Into<String>, role: OwnerRole) -> Self {
        Self { email: email.into(), role, extra: Extra::default() }
    }
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
