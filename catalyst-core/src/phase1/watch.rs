//! The Phase-1 watch without IO (SPEC CORE-15, CORE-16, CORE-19): the knobs, what one watch
//! event does to the component states, when the watch may finish, the report, and the record
//! a deployment stores. The watch itself (kube's watcher on a new cluster) is
//! [`crate::phase1::cluster`] behind feature `client`; it feeds [`Tracker`] and obeys it.
//!
//! ```
//! use catalyst_core::phase1::watch::{Observed, Seen, Tracker};
//! use catalyst_core::{ComponentState, GateConfig, Outcome};
//! use std::time::Duration;
//!
//! let mut t = Tracker::new(GateConfig::default());
//! let now = Duration::ZERO;
//! t.observe(Seen::Applied(Observed::new("flux-system", "bp-cilium").ready("True", "Succeeded", "ok")), now);
//! assert_eq!(t.finished(), None, "the initial list has not synced yet");
//! t.observe(Seen::Synced, now);
//! assert_eq!(t.finished(), Some(Outcome::Ready));
//! assert_eq!(t.states()["cilium"], ComponentState::Installed);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{
    Classification, ComponentState, GateConfig, Outcome, ReadyCondition, classify, component_id,
    component_state, deadline_outcome, terminate_gate,
};

/// `CATALYST_PHASE1_WATCH_TIMEOUT`: how long the watch runs at most (default 60 m).
pub const ENV_WATCH_TIMEOUT: &str = "CATALYST_PHASE1_WATCH_TIMEOUT";
/// `CATALYST_PHASE1_FIRST_SEEN_TIMEOUT`: when to warn that nothing was seen yet (default 15 m).
pub const ENV_FIRST_SEEN_TIMEOUT: &str = "CATALYST_PHASE1_FIRST_SEEN_TIMEOUT";
/// `CATALYST_PHASE1_MIN_BOOTSTRAP_KIT_HRS`: fewest observed releases before an early finish
/// (default 1).
pub const ENV_MIN_BOOTSTRAP_KIT_HRS: &str = "CATALYST_PHASE1_MIN_BOOTSTRAP_KIT_HRS";
/// `CATALYST_PHASE1_KUBECONFIG_ARRIVAL_TIMEOUT`: how long to wait for the new cluster's
/// kubeconfig before `kubeconfig-missing` (default 15 m).
pub const ENV_KUBECONFIG_ARRIVAL_TIMEOUT: &str = "CATALYST_PHASE1_KUBECONFIG_ARRIVAL_TIMEOUT";
/// How long a release may stay `degraded` before the watch reports it (the SDK's knob).
pub const ENV_DEGRADED_GRACE: &str = "CATALYST_PHASE1_DEGRADED_GRACE";

/// The watch's knobs (CORE-16). Every one has a default; a variable that is empty,
/// unparseable or not positive keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Knobs {
    /// The deadline of the whole watch (60 m).
    pub watch_timeout: Duration,
    /// When nothing has been seen by then, one warning (15 m).
    pub first_seen_timeout: Duration,
    /// The terminate gate's floor of observed releases (1).
    pub gate: GateConfig,
    /// How long to wait for the kubeconfig to arrive (15 m).
    pub kubeconfig_arrival_timeout: Duration,
    /// How long a release may stay `degraded` before the watch reports it, as it happens and
    /// in the report (5 m; the SDK's, [`ENV_DEGRADED_GRACE`]).
    pub degraded_grace: Duration,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            watch_timeout: Duration::from_secs(60 * 60),
            first_seen_timeout: Duration::from_secs(15 * 60),
            gate: GateConfig::default(),
            kubeconfig_arrival_timeout: Duration::from_secs(15 * 60),
            degraded_grace: Duration::from_secs(5 * 60),
        }
    }
}

impl Knobs {
    /// The knobs from variables (`lookup(name)`), with a warning for each value that is set but
    /// not usable (the default is kept).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> (Self, Vec<String>) {
        let mut knobs = Self::default();
        let mut warnings = Vec::new();
        let mut duration = |name: &str, slot: &mut Duration| {
            let Some(raw) = lookup(name).filter(|v| !v.trim().is_empty()) else { return };
            match parse_duration(&raw) {
                Some(d) if !d.is_zero() => *slot = d,
                _ => warnings.push(format!(
                    "{name}={raw:?} is not a positive duration (90s, 15m, 1h); using {}",
                    format_duration(*slot)
                )),
            }
        };
        duration(ENV_WATCH_TIMEOUT, &mut knobs.watch_timeout);
        duration(ENV_FIRST_SEEN_TIMEOUT, &mut knobs.first_seen_timeout);
        duration(ENV_KUBECONFIG_ARRIVAL_TIMEOUT, &mut knobs.kubeconfig_arrival_timeout);
        duration(ENV_DEGRADED_GRACE, &mut knobs.degraded_grace);
        if let Some(raw) = lookup(ENV_MIN_BOOTSTRAP_KIT_HRS).filter(|v| !v.trim().is_empty()) {
            match raw.trim().parse::<i64>() {
                Ok(n) if n > 0 => {
                    knobs.gate =
                        knobs.gate.with_min_bootstrap_kit_hrs(usize::try_from(n).unwrap_or(usize::MAX));
                }
                _ => warnings.push(format!(
                    "{ENV_MIN_BOOTSTRAP_KIT_HRS}={raw:?} is not a positive number; using {}",
                    knobs.gate.min_bootstrap_kit_hrs
                )),
            }
        }
        (knobs, warnings)
    }

    /// The knobs from the process environment.
    pub fn from_env() -> (Self, Vec<String>) {
        Self::from_lookup(|name| std::env::var(name).ok())
    }
}

/// A duration as the platform writes its knobs: one or more `<number><unit>` with units `h`,
/// `m`, `s` and `ms` (`90s`, `15m`, `1h30m`). `None` for anything else, negatives included.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 || digits > 9 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let part = match &rest[..unit] {
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "s" => Duration::from_secs(n),
            "ms" => Duration::from_millis(n),
            _ => return None,
        };
        total = total.checked_add(part)?;
        rest = &rest[unit..];
    }
    Some(total)
}

/// `1h`, `15m`, `90s`: the shortest of [`parse_duration`]'s forms that gives `d` back (whole
/// seconds).
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s > 0 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s > 0 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// A HelmRelease as one watch event shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// Its namespace.
    pub namespace: String,
    /// Its name (`bp-cilium`).
    pub name: String,
    /// Its `Ready` condition: (status, reason, message), when it has one.
    pub ready: Option<(String, String, String)>,
}

impl Observed {
    /// A release without a `Ready` condition yet.
    pub fn new(namespace: &str, name: &str) -> Self {
        Self { namespace: namespace.to_owned(), name: name.to_owned(), ready: None }
    }

    /// With its `Ready` condition.
    #[must_use]
    pub fn ready(mut self, status: &str, reason: &str, message: &str) -> Self {
        self.ready = Some((status.to_owned(), reason.to_owned(), message.to_owned()));
        self
    }

    /// From a HelmRelease object (JSON): `metadata.namespace`, `metadata.name` and the
    /// `Ready` entry of `status.conditions`. The cluster is not trusted: `None` without a name
    /// or with one that is not a Kubernetes object name, and the condition's texts are cut to
    /// [`catalyst_naming::untrusted::MAX_REMOTE_TEXT`] characters with control characters
    /// removed, so nothing from the cluster can draw on a terminal or grow without bound.
    pub fn from_object(obj: &serde_json::Value) -> Option<Self> {
        use catalyst_naming::untrusted::remote_text;
        let meta = &obj["metadata"];
        let name = meta["name"].as_str().filter(|n| is_object_name(n))?;
        let namespace = meta["namespace"].as_str().filter(|n| is_object_name(n)).unwrap_or_default();
        let ready = obj["status"]["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
            .map(|c| {
                let field = |k: &str| remote_text(c[k].as_str().unwrap_or_default());
                (field("status"), field("reason"), field("message"))
            });
        Some(Self { namespace: namespace.to_owned(), name: name.to_owned(), ready })
    }
}

/// A Kubernetes object name (DNS-1123 subdomain: lowercase letters, digits, `-` and `.`, at
/// most 253 characters).
fn is_object_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 253
        && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// The most components one watch tracks; more are ignored with one warning (a bootstrap kit
/// has ~50).
pub const MAX_COMPONENTS: usize = 1000;

/// What the watch saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A release was listed, added or changed.
    Applied(Observed),
    /// A release was deleted.
    Deleted {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The initial list is complete (kube's `InitDone`).
    Synced,
    /// The watch lists again from scratch (kube's `Init`, after a disconnect or an expired
    /// resource version): until the next [`Seen::Synced`], what is not listed again is gone.
    Restarted,
}

/// A component whose state changed: the only thing the watch reports as it goes (CORE-15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The component (`cilium` for `bp-cilium`).
    pub component: String,
    /// Its state before; `None` when first seen.
    pub from: Option<ComponentState>,
    /// Its state now.
    pub to: ComponentState,
    /// The `Ready` condition's reason and message, or why it changed.
    pub message: String,
}

/// The component states of one watch, and its rules.
#[derive(Debug, Clone)]
pub struct Tracker {
    gate: GateConfig,
    kit: Option<BTreeSet<String>>,
    states: BTreeMap<String, ComponentState>,
    messages: BTreeMap<String, String>,
    degraded_since: BTreeMap<String, Duration>,
    synced: bool,
    relisted: Option<BTreeSet<String>>,
    over_cap: bool,
}

impl Tracker {
    /// An empty tracker with the gate's floor.
    pub fn new(gate: GateConfig) -> Self {
        Self {
            gate,
            kit: None,
            states: BTreeMap::new(),
            messages: BTreeMap::new(),
            degraded_since: BTreeMap::new(),
            synced: false,
            relisted: None,
            over_cap: false,
        }
    }

    /// Knows which components must appear (the bootstrap kit's `bp-*` releases, by component
    /// id): `ready` then needs every one of them observed `installed`, not only every one
    /// seen.
    #[must_use]
    pub fn with_kit(mut self, components: impl IntoIterator<Item = String>) -> Self {
        self.kit = Some(components.into_iter().collect());
        self
    }

    /// Applies one event seen at `now` (time since the watch started); the transitions of
    /// counted components whose state changed (several when a relist ends without some).
    pub fn observe(&mut self, seen: Seen, now: Duration) -> Vec<Transition> {
        match seen {
            Seen::Restarted => {
                self.synced = false;
                self.relisted = Some(BTreeSet::new());
                Vec::new()
            }
            Seen::Synced => {
                self.synced = true;
                // Not listed again: deleted while the watch was away. Gone is not installed.
                let Some(listed) = self.relisted.take() else { return Vec::new() };
                let gone: Vec<String> =
                    self.states.keys().filter(|id| !listed.contains(*id)).cloned().collect();
                gone.into_iter()
                    .filter_map(|id| {
                        self.set(
                            id,
                            ComponentState::Pending,
                            "absent when the watch listed again".into(),
                            now,
                        )
                    })
                    .collect()
            }
            Seen::Applied(r) => {
                let Some(id) = component_id(&r.namespace, &r.name) else { return Vec::new() };
                let id = id.to_owned();
                if !self.states.contains_key(&id) && self.states.len() >= MAX_COMPONENTS {
                    self.over_cap = true;
                    return Vec::new();
                }
                if let Some(listed) = &mut self.relisted {
                    listed.insert(id.clone());
                }
                let condition = r.ready.as_ref().map(|(status, reason, message)| ReadyCondition {
                    status,
                    reason,
                    message,
                });
                let message = r.ready.as_ref().map_or_else(
                    || "no Ready condition yet".to_owned(),
                    |(status, reason, message)| format!("Ready={status} {reason}: {message}"),
                );
                self.set(id, component_state(condition), message, now).into_iter().collect()
            }
            Seen::Deleted { namespace, name } => {
                let Some(id) = component_id(&namespace, &name) else { return Vec::new() };
                if !self.states.contains_key(id) {
                    return Vec::new();
                }
                // Gone is not installed: it counts as pending, never as evidence.
                self.set(id.to_owned(), ComponentState::Pending, "the HelmRelease was deleted".into(), now)
                    .into_iter()
                    .collect()
            }
        }
    }

    fn set(
        &mut self,
        id: String,
        state: ComponentState,
        message: String,
        now: Duration,
    ) -> Option<Transition> {
        if state == ComponentState::Degraded {
            self.degraded_since.entry(id.clone()).or_insert(now);
        } else {
            self.degraded_since.remove(&id);
        }
        self.messages.insert(id.clone(), message.clone());
        let from = self.states.insert(id.clone(), state);
        (from != Some(state)).then_some(Transition { component: id, from, to: state, message })
    }

    /// Whether more than [`MAX_COMPONENTS`] components were seen (the rest were ignored).
    pub fn over_cap(&self) -> bool {
        self.over_cap
    }

    /// The component states so far.
    pub fn states(&self) -> &BTreeMap<String, ComponentState> {
        &self.states
    }

    /// Whether any counted release was ever seen.
    pub fn ever_seen(&self) -> bool {
        !self.states.is_empty()
    }

    /// Whether the initial list has synced.
    pub fn synced(&self) -> bool {
        self.synced
    }

    /// `Some(outcome)` when the watch may finish now (CORE-16; with a kit, `ready` also needs
    /// every kit component installed).
    pub fn finished(&self) -> Option<Outcome> {
        let outcome = terminate_gate(self.synced, &self.states, self.gate)?;
        // Releases past the cap were not looked at: no evidence about them, so never `ready`.
        if outcome == Outcome::Ready && self.over_cap {
            return None;
        }
        if outcome == Outcome::Ready
            && let Some(kit) = &self.kit
            && kit.iter().any(|c| self.states.get(c) != Some(&ComponentState::Installed))
        {
            return None;
        }
        Some(outcome)
    }

    /// The outcome when the deadline passes: `flux-not-reconciling` if nothing was ever seen,
    /// else `timeout`.
    pub fn deadline(&self) -> Outcome {
        deadline_outcome(self.ever_seen())
    }

    /// Kit components never seen (empty without a kit).
    pub fn never_seen(&self) -> Vec<String> {
        self.kit.iter().flatten().filter(|c| !self.states.contains_key(*c)).cloned().collect()
    }

    /// Components now `degraded`, with the time (since the watch started) they became so.
    pub fn degraded_since(&self) -> &BTreeMap<String, Duration> {
        &self.degraded_since
    }

    /// Components `degraded` for at least `grace` at `now`, with their last message.
    pub fn stuck_degraded(&self, now: Duration, grace: Duration) -> Vec<(String, String)> {
        self.degraded_since
            .iter()
            .filter(|(_, since)| now.saturating_sub(**since) >= grace)
            .map(|(id, _)| (id.clone(), self.messages.get(id).cloned().unwrap_or_default()))
            .collect()
    }

    /// The report of a watch that ended with `outcome` at `now`.
    pub fn report(&self, outcome: Outcome, now: Duration, grace: Duration) -> Report {
        let never_seen = self.never_seen();
        let mut classification = classify(Some(outcome), &self.states);
        if let Some(error) = &mut classification.error
            && !never_seen.is_empty()
            && !matches!(
                outcome,
                Outcome::KubeconfigMissing | Outcome::WatcherStartFailed | Outcome::FluxCrdsAbsent
            )
        {
            let _ = write!(error, "; never seen: {}", never_seen.join(", "));
        }
        if let Some(error) = &mut classification.error
            && self.over_cap
        {
            let _ =
                write!(error, "; more than {MAX_COMPONENTS} bp-* HelmReleases, the rest were not tracked");
        }
        Report {
            outcome,
            classification,
            states: self.states.clone(),
            never_seen,
            stuck_degraded: self.stuck_degraded(now, grace),
        }
    }
}

/// How a Phase-1 watch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The outcome (explicit on every path, CORE-18).
    pub outcome: Outcome,
    /// The deployment status it maps to (CORE-17).
    pub classification: Classification,
    /// The final component states.
    pub states: BTreeMap<String, ComponentState>,
    /// Kit components never seen (with a kit).
    pub never_seen: Vec<String>,
    /// Components degraded past the grace period, with their message.
    pub stuck_degraded: Vec<(String, String)>,
}

impl Report {
    /// A watch that ended before it observed anything (`kubeconfig-missing`,
    /// `watcher-start-failed`, `flux-crds-absent`), with the reason added to the classification.
    pub fn short_circuit(outcome: Outcome, detail: &str) -> Self {
        let states = BTreeMap::new();
        let mut classification = classify(Some(outcome), &states);
        if let Some(error) = &mut classification.error
            && !detail.is_empty()
        {
            let _ = write!(error, " ({detail})");
        }
        Self { outcome, classification, states, never_seen: Vec::new(), stuck_degraded: Vec::new() }
    }

    /// The record a deployment stores (CORE-19), finished at `finished_at` (RFC 3339).
    pub fn record(&self, finished_at: &str) -> Phase1Record {
        Phase1Record {
            outcome: self.outcome.as_str().to_owned(),
            finished_at: finished_at.to_owned(),
            component_states: self.states.iter().map(|(k, v)| (k.clone(), v.as_str().to_owned())).collect(),
            error: self.classification.error.clone(),
        }
    }
}

/// What a deployment record stores after Phase 1 (CORE-19), with the platform's JSON keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase1Record {
    /// The outcome's wire string.
    #[serde(rename = "phase1Outcome")]
    pub outcome: String,
    /// When the watch ended (RFC 3339).
    #[serde(rename = "phase1FinishedAt")]
    pub finished_at: String,
    /// Component id → state wire string.
    #[serde(rename = "componentStates")]
    pub component_states: BTreeMap<String, String>,
    /// Why the deployment failed; absent when it is ready.
    #[serde(rename = "error", default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Stores a Phase-1 result into a deployment record (JSON object with the platform's keys):
/// `phase1Outcome`, `phase1FinishedAt`, `componentStates` and `error` always, `status` from
/// the classification, except that a deployment already `adopted` (handed over) keeps its
/// status and has no error added. Returns whether `status` changed.
pub fn store(
    deployment: &mut serde_json::Map<String, serde_json::Value>,
    report: &Report,
    finished_at: &str,
) -> bool {
    let record = report.record(finished_at);
    let adopted = deployment.get("status").and_then(serde_json::Value::as_str) == Some("adopted");
    deployment.insert("phase1Outcome".into(), record.outcome.into());
    deployment.insert("phase1FinishedAt".into(), record.finished_at.into());
    deployment.insert(
        "componentStates".into(),
        serde_json::to_value(&record.component_states).unwrap_or(serde_json::Value::Null),
    );
    if adopted {
        return false;
    }
    match record.error {
        Some(e) => deployment.insert("error".into(), e.into()),
        None => deployment.remove("error"),
    };
    let status = report.classification.status.as_str();
    let before = deployment.insert("status".into(), status.into());
    before.as_ref().and_then(serde_json::Value::as_str) != Some(status)
}
