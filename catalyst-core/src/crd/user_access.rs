//! `UserAccess.catalyst.openova.io/v1` (SPEC UA-1, UA-2). The platform chart serves it as
//! `access.openova.io/v1alpha1`; documents of that group are accepted too.

use std::fmt;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Extra;
use crate::conditions::Condition;
#[allow(clippy::wildcard_imports, unused_imports, reason = "the rules share one vocabulary")]
use crate::validate::prelude::*;

/// A grant of a tier to a user or group, narrowed by label scopes.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "catalyst.openova.io",
    version = "v1",
    kind = "UserAccess",
    plural = "useraccesses",
    status = "UserAccessStatus",
    derive = "PartialEq",
    shortname = "ua",
    category = "catalyst",
    category = "openova",
    doc = "A grant of a tier (viewer … owner) to a Keycloak user or group, narrowed by label scopes.",
    printcolumn(name = "Sovereign", type_ = "string", json_path = ".spec.sovereignRef"),
    printcolumn(name = "User", type_ = "string", json_path = ".spec.user.keycloakSubject"),
    printcolumn(name = "Tier", type_ = "string", json_path = ".spec.tierRoleRef"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Grants", type_ = "integer", json_path = ".status.rolebindingsCreated"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct UserAccessSpec {
    /// Who receives access.
    pub user: UserRef,
    /// The Sovereign, as a single DNS label.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,62}$"))]
    pub sovereign_ref: String,
    /// The tier ClusterRole (`openova:tier-developer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^openova:tier-(viewer|developer|operator|admin|owner)$"))]
    pub tier_role_ref: Option<String>,
    /// Label scopes, ANDed (UA-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Scope>>,
    /// Fields not modelled here (the legacy `applications[]`, `providerConfigRef`).
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

impl UserAccessSpec {
    /// The tier of `tierRoleRef`, if set.
    pub fn tier(&self) -> Option<Result<Tier, UnknownTier>> {
        self.tier_role_ref.as_deref().map(|r| {
            r.strip_prefix("openova:tier-").and_then(Tier::from_name).ok_or_else(|| UnknownTier(r.to_owned()))
        })
    }
}

/// A `tierRoleRef` that is not `openova:tier-{viewer,developer,operator,admin,owner}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not openova:tier-viewer, -developer, -operator, -admin or -owner")]
pub struct UnknownTier(pub String);

/// The principal of a grant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct UserRef {
    /// OIDC `sub` of one user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keycloak_subject: Option<String>,
    /// Keycloak groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keycloak_groups: Vec<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// A label scope; `{key: "*", value: "*"}` is global.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    /// Label key (`openova.io/env-type`) or `*`.
    #[serde(alias = "labelKey")]
    pub key: String,
    /// Label value or `*`.
    #[serde(alias = "labelValue")]
    pub value: String,
}

/// The five tiers (SPEC UA-1); each includes every lower tier's actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// Level 10: `*.read`.
    Viewer,
    /// Level 20: viewer + exec, console, tickets, playback; scoped to `env-type=dev`.
    Developer,
    /// Level 30: developer + admin console, SAM, patches, ticket acceptance.
    Operator,
    /// Level 40: operator + compute (no delete), credentials, applications, actions, accounts,
    /// networks, sessions.
    Admin,
    /// Level 50: admin + RBAC and organization.
    Owner,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 5] = [Self::Viewer, Self::Developer, Self::Operator, Self::Admin, Self::Owner];

    /// The tier's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Developer => "developer",
            Self::Operator => "operator",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    /// The tier named `s`.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == s)
    }

    /// The numeric level (10 … 50).
    pub fn level(self) -> u8 {
        match self {
            Self::Viewer => 10,
            Self::Developer => 20,
            Self::Operator => 30,
            Self::Admin => 40,
            Self::Owner => 50,
        }
    }

    /// The actions this tier adds to the one below it.
    pub fn own_actions(self) -> &'static [&'static str] {
        match self {
            Self::Viewer => &["*.read"],
            Self::Developer => &[
                "workloads.exec",
                "workloads.console",
                "tickets.create",
                "tickets.update",
                "sessions.playback",
            ],
            Self::Operator => &["console.connect.admin", "sam.manage", "patches.manage", "tickets.accept"],
            Self::Admin => &[
                "compute.*",
                "credentials.*",
                "applications.*",
                "actions.*",
                "accounts.*",
                "networks.*",
                "sessions.*",
            ],
            Self::Owner => &["rbac.*", "organization.*"],
        }
    }

    /// Every action of this tier, its own and every lower tier's.
    pub fn actions(self) -> Vec<&'static str> {
        Self::ALL.into_iter().filter(|t| *t <= self).flat_map(|t| t.own_actions().iter().copied()).collect()
    }

    /// The scope added to every grant of this tier (`openova.io/env-type=dev` for developers).
    pub fn injected_scope(self) -> Option<(&'static str, &'static str)> {
        (self == Self::Developer).then_some((catalyst_naming::keys::ENV_TYPE, "dev"))
    }

    /// The ClusterRole name (`openova:tier-developer`).
    pub fn cluster_role(self) -> String {
        format!("openova:tier-{}", self.name())
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the useraccess-controller observed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct UserAccessStatus {
    /// `Pending`, `Active` or `Failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// RoleBindings this grant owns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolebindings_created: Option<i64>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

impl UserAccessSpec {
    /// A grant for `user` on a Sovereign; tier and scopes are public fields.
    pub fn new(user: UserRef, sovereign_ref: impl Into<String>) -> Self {
        Self {
            user,
            sovereign_ref: sovereign_ref.into(),
            tier_role_ref: None,
            scopes: None,
            extra: Extra::default(),
        }
    }
}

// --- rules beyond the schema (catalyst validate) ---------------------------------------

pub(crate) fn check_user_access(ua: &UserAccess, out: &mut Vec<Diagnostic>) {
    let s = &ua.spec;
    if s.user.keycloak_subject.as_deref().is_none_or(str::is_empty) && s.user.keycloak_groups.is_empty() {
        out.push(error(spec().key("user"), Rule::Ua2, "needs keycloakSubject or keycloakGroups"));
    }
    let tier = match s.tier() {
        Some(Ok(t)) => Some(t),
        Some(Err(r)) => {
            out.push(error(
                spec().key("tierRoleRef"),
                Rule::Ua1,
                format!("UnknownTier: {}", short_str(&r.0)),
            ));
            None
        }
        None => None,
    };
    let scopes = s.scopes.as_deref().unwrap_or(&[]);
    if tier.is_some() && scopes.is_empty() {
        out.push(error(
            spec().key("scopes"),
            Rule::Ua2,
            "EmptyScope: a tier grant needs scopes; write [{key: \"*\", value: \"*\"}] for a global grant",
        ));
    }
    for (i, scope) in scopes.iter().enumerate() {
        let path = spec().key("scopes").index(i);
        if scope.key == "*" && scope.value != "*" {
            out.push(error(
                path.key("value"),
                Rule::Ua2,
                "the wildcard key `*` only goes with the wildcard value `*`",
            ));
        }
        if tier == Some(crate::crd::Tier::Developer)
            && scope.key == catalyst_naming::keys::ENV_TYPE
            && scope.value != "dev"
        {
            out.push(error(
                path.key("value"),
                Rule::Ua2,
                format!(
                    "developer grants are limited to {}=dev, not {}",
                    catalyst_naming::keys::ENV_TYPE,
                    short_str(&scope.value)
                ),
            ));
        }
    }
}
