//! `Organization.orgs.openova.io/v1` (SPEC CORE-1).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Extra, Owner};
use crate::conditions::Condition;
#[allow(clippy::wildcard_imports, unused_imports, reason = "the rules share one vocabulary")]
use crate::validate::prelude::*;
use catalyst_naming::EnvType;

/// A tenant of a Sovereign: its slug, billing, owners and identity federation.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "orgs.openova.io",
    version = "v1",
    kind = "Organization",
    status = "OrganizationStatus",
    derive = "PartialEq",
    shortname = "org",
    shortname = "orgs",
    category = "catalyst",
    category = "openova",
    doc = "A tenant of a Sovereign: slug, billing, owners and identity federation.",
    printcolumn(name = "Slug", type_ = "string", json_path = ".spec.slug"),
    printcolumn(name = "Kind", type_ = "string", json_path = ".spec.kind"),
    printcolumn(name = "Tier", type_ = "string", json_path = ".spec.tier"),
    printcolumn(name = "Plan", type_ = "string", json_path = ".spec.planSlug"),
    printcolumn(name = "Billing", type_ = "string", json_path = ".spec.billingMode"),
    printcolumn(name = "Package", type_ = "string", json_path = ".spec.commerce.packageSKU", priority = "1"),
    printcolumn(name = "Sovereign", type_ = "string", json_path = ".spec.sovereignRef"),
    printcolumn(name = "vCluster", type_ = "string", json_path = ".status.vcluster.phase", priority = "1"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct OrganizationSpec {
    /// The Organization slug (SPEC NAME-5).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{2,31}$"))]
    pub slug: String,
    /// Display name.
    #[schemars(length(min = 1, max = 128))]
    pub display_name: String,
    /// `customer` or `internal`.
    pub kind: OrganizationKind,
    /// Commercial tier.
    pub tier: OrganizationTier,
    /// Plan size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_slug: Option<PlanSlug>,
    /// How usage is billed.
    pub billing_mode: BillingMode,
    /// At least one owner.
    #[schemars(length(min = 1))]
    pub owners: Vec<Owner>,
    /// The Sovereign's FQDN.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"))]
    pub sovereign_ref: String,
    /// Slug of the parent Organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{2,31}$"))]
    pub parent_org: Option<String>,
    /// The env type new Environments get (default `prod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "prod"))]
    pub default_environment_type: Option<EnvType>,
    /// Suspended Organizations keep their data but run nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
    /// Why the Organization is suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 512))]
    pub suspend_reason: Option<String>,
    /// Identity federation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<OrganizationIdentity>,
    /// The commercial package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commerce: Option<Commerce>,
    /// Where cloud costs come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_sources: Option<serde_json::Value>,
    /// The public tenant endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_public: Option<serde_json::Value>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// `commerce` of an Organization.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct Commerce {
    /// Package SKU.
    #[serde(default, rename = "packageSKU", skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub package_sku: Option<String>,
    /// Add-on SKUs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(length(max = 64)))]
    pub addons: Vec<String>,
    /// Where prices come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128))]
    pub price_source: Option<String>,
    /// The order.
    #[serde(default, rename = "orderID", skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub order_id: Option<String>,
    /// `capped` or `grow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["capped", "grow"]))]
    pub overage_mode: Option<String>,
    /// Ceiling when growing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grow_ceiling: Option<GrowCeiling>,
    /// Monthly spend limit (`25.500`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]{1,3})?$"))]
    pub spend_limit_month: Option<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Resource ceiling of a growing package.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrowCeiling {
    /// vCPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub vcpu: Option<f64>,
    /// Memory in GB.
    #[serde(default, rename = "memoryGB", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub memory_gb: Option<f64>,
    /// Disk in GB.
    #[serde(default, rename = "diskGB", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub disk_gb: Option<f64>,
    /// Bandwidth in Mbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub bandwidth_mbps: Option<f64>,
}

/// Organization kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OrganizationKind {
    /// A paying customer.
    Customer,
    /// Part of the operator's own company.
    Internal,
}

/// Organization tiers. `org` and `corporate` are the current CRD's; `sme` is the earlier name
/// SPEC CORE-1 lists, still accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OrganizationTier {
    /// Small and medium enterprise (earlier name of `org`).
    Sme,
    /// Standard Organization.
    Org,
    /// Corporate.
    Corporate,
}

/// Plan sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PlanSlug {
    /// Small.
    S,
    /// Medium.
    M,
    /// Large.
    L,
    /// Extra large.
    Xl,
    /// Pay per use.
    Flexi,
}

/// Billing modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BillingMode {
    /// Invoiced.
    Real,
    /// Charged back internally.
    Chargeback,
    /// Shown, not charged.
    Showback,
}

/// Identity federation of an Organization.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct OrganizationIdentity {
    /// The external identity provider; empty for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["", "azure-sso", "okta", "generic-oidc"], "default" = ""))]
    pub federation_provider: Option<String>,
    /// Provider settings (issuer, client ID, secret reference, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub federation_config: Option<serde_json::Value>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// What the organization-controller observed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct OrganizationStatus {
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The generation the status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Fields not modelled here (`vcluster`, `keycloakGroup`, `giteaOrg`, …).
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

impl OrganizationSpec {
    /// An Organization from its required fields; the optional ones are public fields.
    ///
    /// ```
    /// use catalyst_core::crd::{BillingMode, Organization, OrganizationKind, OrganizationSpec, OrganizationTier, Owner, OwnerRole};
    ///
    /// let spec = OrganizationSpec::new(
    ///     "acme", "Acme Bank", OrganizationKind::Customer, OrganizationTier::Corporate, BillingMode::Real,
    ///     vec![Owner::new("ops@acme.example", OwnerRole::Owner)], "omantel.biz",
    /// );
    /// let org = Organization::new("acme", spec);
    /// assert_eq!(org.spec.owners.len(), 1);
    /// ```
    pub fn new(
        slug: impl Into<String>,
        display_name: impl Into<String>,
        kind: OrganizationKind,
        tier: OrganizationTier,
        billing_mode: BillingMode,
        owners: Vec<Owner>,
        sovereign_ref: impl Into<String>,
    ) -> Self {
        Self {
            slug: slug.into(),
            display_name: display_name.into(),
            kind,
            tier,
            plan_slug: None,
            billing_mode,
            owners,
            sovereign_ref: sovereign_ref.into(),
            parent_org: None,
            default_environment_type: None,
            suspended: None,
            suspend_reason: None,
            identity: None,
            commerce: None,
            cost_sources: None,
            tenant_public: None,
            extra: Extra::default(),
        }
    }
}

// --- rules beyond the schema (catalyst validate) ---------------------------------------

pub(crate) fn check_organization(org: &Organization, out: &mut Vec<Diagnostic>) {
    let s = &org.spec;
    match OrgSlug::parse(&s.slug) {
        Ok(_) => {
            if org.metadata.name.as_deref().is_some_and(|n| n != s.slug) {
                out.push(warning(
                    FieldPath::root().key("metadata").key("name"),
                    Rule::Name5,
                    format!("differs from spec.slug {}", short_str(&s.slug)),
                ));
            }
        }
        Err(e) => out.push(error(spec().key("slug"), Rule::Name5, e.to_string())),
    }
    if let Some(parent) = &s.parent_org {
        if let Err(e) = OrgSlug::parse(parent) {
            out.push(error(spec().key("parentOrg"), Rule::Name5, e.to_string()));
        } else if *parent == s.slug {
            out.push(error(spec().key("parentOrg"), Rule::Core1, "an Organization cannot be its own parent"));
        }
    }
    if let Err(e) = Fqdn::sovereign(&s.sovereign_ref) {
        out.push(error(spec().key("sovereignRef"), Rule::Name28, e.to_string()));
    }
    if let Some(identity) = &s.identity {
        let provider = identity.federation_provider.as_deref().unwrap_or("");
        if !provider.is_empty() && identity.federation_config.is_none() {
            out.push(error(
                spec().key("identity").key("federationConfig"),
                Rule::Core1,
                format!("federationProvider {provider} needs federationConfig (issuer, clientId, …)"),
            ));
        }
    }
}
