//! Status conditions shared by every Catalyst status type (SPEC CORE-2).
//!
//! A condition is `{type, status, reason, message, lastTransitionTime, observedGeneration}`.
//! [`set_condition`] upserts by `type`: reason, message and observed generation are always
//! overwritten, `lastTransitionTime` moves only when `status` changes, and a new type is
//! appended so the order of first insertion is kept.
//!
//! Reasons are typed per controller: anything implementing [`ConditionReason`] can be used,
//! and [`EnvironmentReason`] is the environment-controller's set (SPEC ENV-5 … ENV-12).

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The three condition statuses of Kubernetes API conventions (wire strings `True`, `False`,
/// `Unknown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ConditionStatus {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// The controller cannot tell (yet).
    Unknown,
}

impl ConditionStatus {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::True => "True",
            Self::False => "False",
            Self::Unknown => "Unknown",
        }
    }
}

impl From<bool> for ConditionStatus {
    fn from(value: bool) -> Self {
        if value { Self::True } else { Self::False }
    }
}

impl fmt::Display for ConditionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `status.conditions[]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// The condition type, e.g. `Ready` (unique within one list).
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: ConditionStatus,
    /// A machine-readable CamelCase reason.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// A human-readable explanation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// When `status` last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    /// The `metadata.generation` the controller acted on when it set this condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// A reason string of one controller's vocabulary. Implement it on an enum so a controller
/// cannot set a reason it never declared.
pub trait ConditionReason {
    /// The CamelCase wire string.
    fn as_str(&self) -> &'static str;
}

/// What a controller wants a condition to say; [`set_condition`] applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionUpdate {
    /// The condition type.
    pub type_: String,
    /// The new status.
    pub status: ConditionStatus,
    /// The reason's wire string.
    pub reason: &'static str,
    /// The message.
    pub message: String,
    /// `metadata.generation` of the object acted on.
    pub observed_generation: Option<i64>,
}

/// The longest condition message kept (Kubernetes' `metav1.Condition` limit is 32768): a
/// longer one is cut and marked, so a status write never fails or grows on a long message.
pub const MAX_CONDITION_MESSAGE: usize = 32 * 1024;

impl ConditionUpdate {
    /// A condition update with a typed reason. A message longer than
    /// [`MAX_CONDITION_MESSAGE`] bytes is cut (on a character boundary) and ends in `…`.
    pub fn new(
        type_: impl Into<String>,
        status: impl Into<ConditionStatus>,
        reason: &impl ConditionReason,
        message: impl Into<String>,
    ) -> Self {
        Self {
            type_: type_.into(),
            status: status.into(),
            reason: reason.as_str(),
            message: cap_message(message.into()),
            observed_generation: None,
        }
    }

    /// Records the generation this update was computed from.
    #[must_use]
    pub fn observed_generation(mut self, generation: Option<i64>) -> Self {
        self.observed_generation = generation;
        self
    }
}

fn cap_message(mut message: String) -> String {
    if message.len() > MAX_CONDITION_MESSAGE {
        let mut cut = MAX_CONDITION_MESSAGE - '…'.len_utf8();
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    message
}

/// Upserts `update` into `conditions` by type (SPEC CORE-2) and returns whether anything changed.
///
/// `lastTransitionTime` becomes `now` for a new condition or when the status changes, and is
/// kept otherwise (also when only the reason or message changed).
///
/// ```
/// use catalyst_core::conditions::{set_condition, ConditionStatus, ConditionUpdate, EnvironmentReason};
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
///
/// let t0 = Time("2026-11-23T10:00:00Z".parse().unwrap());
/// let t1 = Time("2026-11-23T10:05:00Z".parse().unwrap());
/// let mut conditions = Vec::new();
/// set_condition(&mut conditions, ConditionUpdate::new("Ready", false, &EnvironmentReason::GiteaOrgMissing, "create the Organization first"), t0.clone());
/// // Same status, new message: the transition time stays.
/// set_condition(&mut conditions, ConditionUpdate::new("Ready", false, &EnvironmentReason::GiteaRepoMissing, "repo missing"), t1.clone());
/// assert_eq!(conditions[0].last_transition_time, Some(t0));
/// assert_eq!(conditions[0].reason, "GiteaRepoMissing");
/// // Status flips: it moves.
/// set_condition(&mut conditions, ConditionUpdate::new("Ready", true, &EnvironmentReason::Reconciled, ""), t1.clone());
/// assert_eq!(conditions[0].status, ConditionStatus::True);
/// assert_eq!(conditions[0].last_transition_time, Some(t1));
/// ```
pub fn set_condition(conditions: &mut Vec<Condition>, update: ConditionUpdate, now: Time) -> bool {
    let ConditionUpdate { type_, status, reason, message, observed_generation } = update;
    if let Some(existing) = conditions.iter_mut().find(|c| c.type_ == type_) {
        let before = existing.clone();
        if existing.status != status || existing.last_transition_time.is_none() {
            existing.last_transition_time = Some(now);
        }
        existing.status = status;
        reason.clone_into(&mut existing.reason);
        existing.message = message;
        existing.observed_generation = observed_generation;
        return *existing != before;
    }
    conditions.push(Condition {
        type_,
        status,
        reason: reason.to_owned(),
        message,
        last_transition_time: Some(now),
        observed_generation,
    });
    true
}

/// The condition of `type_`, if present.
pub fn find_condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether the condition of `type_` is present with status `True`.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find_condition(conditions, type_).is_some_and(|c| c.status == ConditionStatus::True)
}

/// The current time as a Kubernetes [`Time`].
pub fn now() -> Time {
    Time(jiff::Timestamp::now())
}

/// Condition types the environment-controller sets (SPEC ENV-9).
pub mod types {
    /// The overall readiness condition.
    pub const READY: &str = "Ready";
    /// The parent Organization's Gitea org exists.
    pub const GITEA_ORG_READY: &str = "GiteaOrgReady";
    /// Every region's GitRepository manifest is in Gitea.
    pub const GIT_REPOSITORY_WRITTEN: &str = "GitRepositoryWritten";
}

/// The environment-controller's reasons (SPEC ENV-5 … ENV-12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvironmentReason {
    /// The spec failed validation (ENV-5).
    InvalidSpec,
    /// The parent Organization has no Gitea org yet (ENV-7).
    GiteaOrgMissing,
    /// Looking up the Gitea org failed for another reason (ENV-7).
    GiteaOrgLookupError,
    /// The Gitea org exists (ENV-9).
    OrgFound,
    /// The environment repository does not exist yet (ENV-8).
    GiteaRepoMissing,
    /// A manifest could not be rendered (ENV-8).
    RenderError,
    /// Every region was written (ENV-9).
    Reconciled,
    /// At least one region failed (ENV-9).
    PartialFailure,
}

impl ConditionReason for EnvironmentReason {
    fn as_str(&self) -> &'static str {
        match self {
            Self::InvalidSpec => "InvalidSpec",
            Self::GiteaOrgMissing => "GiteaOrgMissing",
            Self::GiteaOrgLookupError => "GiteaOrgLookupError",
            Self::OrgFound => "OrgFound",
            Self::GiteaRepoMissing => "GiteaRepoMissing",
            Self::RenderError => "RenderError",
            Self::Reconciled => "Reconciled",
            Self::PartialFailure => "PartialFailure",
        }
    }
}

impl fmt::Display for EnvironmentReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Condition types the continuum-controller sets (SPEC CONT-3, CONT-4).
pub mod continuum_types {
    /// This controller's region holds the witness lease.
    pub const LEASE_HELD: &str = "LeaseHeld";
    /// The standby can take over.
    pub const STANDBY_AVAILABLE: &str = "StandbyAvailable";
    /// The primary failed long enough that a switchover is recommended, not automatic.
    pub const FAILOVER_RECOMMENDED: &str = "FailoverRecommended";
    /// A requested switchover could not run.
    pub const SWITCHOVER_BLOCKED: &str = "SwitchoverBlocked";
    /// A switchover was interrupted (the controller stopped mid-way): a person must check.
    pub const SWITCHOVER_INTERRUPTED: &str = "SwitchoverInterrupted";
    /// The audit event of a completed switchover is not recorded yet.
    pub const AUDIT_OWED: &str = "AuditOwed";
}

/// The continuum-controller's reasons (SPEC CONT-1 … CONT-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContinuumReason {
    /// The spec failed validation.
    Invalid,
    /// Steady state, as intended.
    Reconciled,
    /// The lease was lost and could not be taken back.
    LeaseLost,
    /// Another region holds the lease.
    LeaseCollision,
    /// The witness cannot be reached.
    WitnessUnavailable,
    /// Another region is the primary: this controller observes only.
    Standby,
    /// A switchover is running.
    InProgress,
    /// The last switchover completed.
    Succeeded,
    /// A switchover step failed; the earlier steps were rolled back.
    SwitchoverFailed,
    /// Failing long enough that a switchover is recommended.
    FailoverRecommended,
    /// A requested switchover cannot run.
    SwitchoverBlocked,
    /// Healthy enough: nothing recommended or blocked.
    NotNeeded,
    /// The standby replica is ready.
    StandbyReachable,
    /// The standby replica has been unready for longer than the grace window.
    StandbyUnreachable,
    /// The standby replica disappeared for longer than the grace window.
    StandbyAbsent,
    /// A switchover was interrupted mid-way.
    SwitchoverInterrupted,
    /// An audit event could not be published yet; it is retried.
    AuditOwed,
    /// Every audit event was published.
    AuditRecorded,
}

impl ConditionReason for ContinuumReason {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Invalid => "Invalid",
            Self::Reconciled => "Reconciled",
            Self::LeaseLost => "LeaseLost",
            Self::LeaseCollision => "LeaseCollision",
            Self::WitnessUnavailable => "WitnessUnavailable",
            Self::Standby => "Standby",
            Self::InProgress => "InProgress",
            Self::Succeeded => "Succeeded",
            Self::SwitchoverFailed => "SwitchoverFailed",
            Self::FailoverRecommended => "FailoverRecommended",
            Self::SwitchoverBlocked => "SwitchoverBlocked",
            Self::NotNeeded => "NotNeeded",
            Self::StandbyReachable => "StandbyReachable",
            Self::StandbyUnreachable => "StandbyUnreachable",
            Self::StandbyAbsent => "StandbyAbsent",
            Self::SwitchoverInterrupted => "SwitchoverInterrupted",
            Self::AuditOwed => "AuditOwed",
            Self::AuditRecorded => "AuditRecorded",
        }
    }
}

impl fmt::Display for ContinuumReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let reason = EnvironmentReason::PartialFailure;
        let long = "é".repeat(MAX_CONDITION_MESSAGE);
        let u = ConditionUpdate::new(types::READY, false, &reason, long);
        assert!(u.message.len() <= MAX_CONDITION_MESSAGE && u.message.ends_with('…'), "{}", u.message.len());
        let short = ConditionUpdate::new(types::READY, false, &reason, "fine");
        assert_eq!(short.message, "fine");
    }
}
