//! Phase-1 outcome classification (SPEC CORE-14 … CORE-17, seed 001).
//!
//! Provisioning once reported "Sovereign ready" with nothing observed, because an empty
//! outcome fell into a "ready" default. Here an outcome is a closed enum, "no outcome" is an
//! explicit `None`, and [`classify`] returns `ready` only for [`Outcome::Ready`]: everything
//! else, unknown or empty included, is `failed` with a message that says why.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

#[cfg(feature = "client")]
pub mod cluster;
pub mod watch;

/// How the Phase-1 watch ended (CORE-14); the wire strings are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Every observed component reached `installed`.
    Ready,
    /// At least one component failed.
    Failed,
    /// The deadline passed with some component not terminal.
    Timeout,
    /// The deadline passed and no `bp-*` HelmRelease was ever seen.
    FluxNotReconciling,
    /// The new cluster never delivered its kubeconfig, so nothing could be watched.
    KubeconfigMissing,
    /// The watch could not start (bad kubeconfig, informer init failed).
    WatcherStartFailed,
    /// The Flux CRDs are not installed on the new cluster (later upstream outcome).
    FluxCrdsAbsent,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 7] = [
        Self::Ready,
        Self::Failed,
        Self::Timeout,
        Self::FluxNotReconciling,
        Self::KubeconfigMissing,
        Self::WatcherStartFailed,
        Self::FluxCrdsAbsent,
    ];

    /// The wire string (`flux-not-reconciling`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::FluxNotReconciling => "flux-not-reconciling",
            Self::KubeconfigMissing => "kubeconfig-missing",
            Self::WatcherStartFailed => "watcher-start-failed",
            Self::FluxCrdsAbsent => "flux-crds-absent",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the outcome wire strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown Phase-1 outcome {0:?}; known: ready, failed, timeout, flux-not-reconciling, kubeconfig-missing, watcher-start-failed, flux-crds-absent"
)]
pub struct UnknownOutcome(pub String);

impl FromStr for Outcome {
    type Err = UnknownOutcome;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|o| o.as_str() == s).ok_or_else(|| UnknownOutcome(s.to_owned()))
    }
}

/// The state of one Blueprint component, from its HelmRelease (CORE-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentState {
    /// No Ready condition yet, or waiting on a dependency.
    Pending,
    /// Ready is Unknown, or False while progressing.
    Installing,
    /// Ready is True. Terminal.
    Installed,
    /// Ready is False with an install/upgrade/chart failure reason. Terminal.
    Failed,
    /// Ready is False for another reason. Not terminal: it may recover.
    Degraded,
}

impl ComponentState {
    /// The wire string (`installed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Installing => "installing",
            Self::Installed => "installed",
            Self::Failed => "failed",
            Self::Degraded => "degraded",
        }
    }

    /// Whether the watch may stop waiting for this component: `installed` or `failed`.
    pub const fn is_terminal(self) -> bool {
        matches!(self, Self::Installed | Self::Failed)
    }
}

impl serde::Serialize for ComponentState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl serde::Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for ComponentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `Ready` condition of a HelmRelease, as far as classification needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadyCondition<'a> {
    /// `True`, `False` or `Unknown`.
    pub status: &'a str,
    /// The machine-readable reason (`InstallFailed`).
    pub reason: &'a str,
    /// The human-readable message.
    pub message: &'a str,
}

const FAILED_REASONS: [&str; 5] =
    ["InstallFailed", "UpgradeFailed", "ChartPullError", "ChartLoadError", "ArtifactFailed"];
const INSTALLING_REASONS: [&str; 3] = ["Progressing", "ReconcileStarted", "DependencyNotReady"];

/// The component state of a HelmRelease from its `Ready` condition (CORE-15).
///
/// ```
/// use catalyst_core::{component_state, ComponentState, ReadyCondition};
/// assert_eq!(component_state(None), ComponentState::Pending);
/// let failed = ReadyCondition { status: "False", reason: "InstallFailed", message: "timed out" };
/// assert_eq!(component_state(Some(failed)), ComponentState::Failed);
/// ```
pub fn component_state(ready: Option<ReadyCondition<'_>>) -> ComponentState {
    let Some(c) = ready else {
        return ComponentState::Pending;
    };
    match c.status {
        "True" => ComponentState::Installed,
        "False" => {
            let message = c.message.to_ascii_lowercase();
            if message.contains("dependency '") && message.contains("is not ready") {
                ComponentState::Pending
            } else if FAILED_REASONS.contains(&c.reason) {
                ComponentState::Failed
            } else if INSTALLING_REASONS.contains(&c.reason) {
                ComponentState::Installing
            } else {
                ComponentState::Degraded
            }
        }
        // `Unknown`, and any status the API should never send, is still in progress.
        _ => ComponentState::Installing,
    }
}

/// The component ID of a HelmRelease, when it counts for Phase 1: only releases in
/// `flux-system` whose name starts `bp-` count, and the ID is the name without `bp-`.
pub fn component_id<'a>(namespace: &str, name: &'a str) -> Option<&'a str> {
    if namespace != "flux-system" {
        return None;
    }
    name.strip_prefix(catalyst_naming::BLUEPRINT_PREFIX).filter(|id| !id.is_empty())
}

/// Knobs of the terminate gate (CORE-16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct GateConfig {
    /// Fewest observed components before an early finish is allowed (default 1).
    pub min_bootstrap_kit_hrs: usize,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self { min_bootstrap_kit_hrs: 1 }
    }
}

impl GateConfig {
    /// Sets the floor of observed components; 0 means the default (1).
    #[must_use]
    pub fn with_min_bootstrap_kit_hrs(mut self, n: usize) -> Self {
        self.min_bootstrap_kit_hrs = if n == 0 { 1 } else { n };
        self
    }
}

/// The terminate gate (CORE-16): `Some(outcome)` when the watch may finish now.
///
/// It may finish only when the initial list has synced, at least one `bp-*` release was
/// seen, at least `min_bootstrap_kit_hrs` were observed and every one is terminal.
pub fn terminate_gate(
    synced: bool,
    states: &BTreeMap<String, ComponentState>,
    config: GateConfig,
) -> Option<Outcome> {
    if !synced || states.is_empty() || states.len() < config.min_bootstrap_kit_hrs {
        return None;
    }
    if !states.values().all(|s| s.is_terminal()) {
        return None;
    }
    Some(if states.values().any(|s| *s == ComponentState::Failed) { Outcome::Failed } else { Outcome::Ready })
}

/// The outcome when the deadline passes (CORE-16): `flux-not-reconciling` if nothing was
/// ever seen, else `timeout`.
pub fn deadline_outcome(ever_seen: bool) -> Outcome {
    if ever_seen { Outcome::Timeout } else { Outcome::FluxNotReconciling }
}

/// A deployment's status after Phase 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentStatus {
    /// The Sovereign is ready.
    Ready,
    /// Phase 1 failed; the classification carries the reason.
    Failed,
}

impl DeploymentStatus {
    /// The wire string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }
}

/// The result of [`classify`]: a status, and for `failed` a message for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// `ready` or `failed`.
    pub status: DeploymentStatus,
    /// Why it failed; `None` exactly when the status is `ready`.
    pub error: Option<String>,
}

impl Classification {
    fn failed(error: String) -> Self {
        Self { status: DeploymentStatus::Failed, error: Some(error) }
    }
}

/// Maps a Phase-1 outcome and the final component states to a deployment status
/// (CORE-17). First matching rule wins; only an explicit [`Outcome::Ready`] with at least
/// one observed component, every one `installed`, gives `ready`.
///
/// ```
/// use std::collections::BTreeMap;
/// use catalyst_core::{classify, DeploymentStatus, Outcome};
/// let c = classify(Some(Outcome::KubeconfigMissing), &BTreeMap::new());
/// assert_eq!(c.status, DeploymentStatus::Failed);
/// assert!(c.error.unwrap().contains("kubeconfig"));
/// // Nothing observed and no outcome is never "ready".
/// assert_eq!(classify(None, &BTreeMap::new()).status, DeploymentStatus::Failed);
/// ```
pub fn classify(outcome: Option<Outcome>, states: &BTreeMap<String, ComponentState>) -> Classification {
    match outcome {
        Some(Outcome::KubeconfigMissing) => {
            return Classification::failed(
                "the new cluster never PUT its kubeconfig to /api/v1/deployments/<id>/kubeconfig, so Phase 1 \
                 could not watch anything; check the cloud-init logs of the first control-plane node"
                    .into(),
            );
        }
        Some(Outcome::WatcherStartFailed) => {
            return Classification::failed(
                "the Phase-1 watch could not start (bad kubeconfig or informer initialisation failed); \
                 nothing was observed"
                    .into(),
            );
        }
        Some(Outcome::FluxNotReconciling) => {
            return Classification::failed(
                "zero bp-* HelmReleases were seen before the deadline; check the bootstrap-kit Kustomization \
                 in flux-system on the new cluster"
                    .into(),
            );
        }
        Some(Outcome::FluxCrdsAbsent) => {
            return Classification::failed(
                "the Flux CRDs (helm.toolkit.fluxcd.io) are not installed on the new cluster, so no \
                 HelmRelease can be watched"
                    .into(),
            );
        }
        _ => {}
    }
    let failed: Vec<&str> =
        states.iter().filter(|(_, s)| **s == ComponentState::Failed).map(|(id, _)| id.as_str()).collect();
    if !failed.is_empty() {
        return Classification::failed(format!(
            "{} of {} components failed: {}",
            failed.len(),
            states.len(),
            failed.join(", ")
        ));
    }
    match outcome {
        None if states.is_empty() => Classification::failed(
            "programming error: Phase 1 ended with no outcome and no component states; refusing to report ready \
             without evidence"
                .into(),
        ),
        // Evidence rule: "ready" needs at least one observed, installed component.
        Some(Outcome::Ready) if states.is_empty() => Classification::failed(
            "the outcome is ready but no component was observed; refusing to report ready without evidence".into(),
        ),
        Some(Outcome::Ready) if states.values().all(|s| *s == ComponentState::Installed) => {
            Classification { status: DeploymentStatus::Ready, error: None }
        }
        // SDK decision (SPEC OP-9): upstream falls through to "ready" here.
        other => {
            let pending: Vec<String> = states
                .iter()
                .filter(|(_, s)| !s.is_terminal())
                .map(|(id, s)| format!("{id} ({s})"))
                .collect();
            let outcome = other.map_or("none", Outcome::as_str);
            Classification::failed(format!(
                "not all components reached a terminal state (outcome {outcome}); still waiting on: {}",
                if pending.is_empty() { "-".to_owned() } else { pending.join(", ") }
            ))
        }
    }
}
