//! The Phase-1 watch on a new cluster (SPEC CORE-15 … CORE-18; feature `client`): wait for its
//! kubeconfig, check the Flux CRDs, watch `helm.toolkit.fluxcd.io/v2` HelmReleases in
//! `flux-system`, and end with an explicit outcome on every path.
//!
//! [`drive`] is the watch loop over any stream of [`Seen`] events, on tokio's clock (so tests
//! run it on a paused clock with scripted events); [`watch_cluster`] connects it to a real
//! cluster through kube's watcher.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use catalyst_naming::untrusted::remote_text;
use futures::{Stream, StreamExt as _};

use super::Outcome;
use super::watch::{Knobs, MAX_COMPONENTS, Observed, Report, Seen, Tracker, Transition, format_duration};

/// What the watch reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A component changed state.
    Transition(Transition),
    /// The initial list of HelmReleases is complete.
    Synced,
    /// Nothing was seen within the first-seen timeout (once; the watch goes on).
    NothingSeenYet(Duration),
    /// The watch stream failed; kube's watcher retries with backoff.
    WatchError(String),
    /// The watch is waiting for something the cluster does not have yet (the HelmRelease CRD
    /// serving v2, a kubeconfig that parses); it says what, and how long it waits at most.
    Waiting(String),
    /// A component has stayed `degraded` for the grace period (once per stretch of
    /// `degraded`; the watch goes on).
    StuckDegraded {
        /// The component.
        component: String,
        /// Its `Ready` condition.
        message: String,
        /// The grace period it outlasted.
        grace: Duration,
    },
}

/// Runs the watch over `events` until the terminate gate opens or the deadline passes
/// (CORE-16), reporting each [`Event`] to `on`. The deadline and the first-seen warning are
/// measured on tokio's clock from the call.
pub async fn drive<S>(events: S, knobs: &Knobs, mut tracker: Tracker, mut on: impl FnMut(&Event)) -> Report
where
    S: Stream<Item = Result<Seen, String>>,
{
    let start = tokio::time::Instant::now();
    let deadline = start + knobs.watch_timeout;
    let first_seen = start + knobs.first_seen_timeout;
    let mut warned = false;
    let mut ended = false;
    let (mut listed_once, mut capped) = (false, false);
    let mut events = std::pin::pin!(events);
    // Components already reported stuck in their current stretch of `degraded`.
    let mut announced: BTreeSet<String> = BTreeSet::new();
    loop {
        if let Some(outcome) = tracker.finished() {
            return tracker.report(outcome, start.elapsed(), knobs.degraded_grace);
        }
        announced.retain(|id| tracker.degraded_since().contains_key(id));
        let next_stuck = tracker
            .degraded_since()
            .iter()
            .filter(|(id, _)| !announced.contains(*id))
            .map(|(_, since)| start + *since + knobs.degraded_grace)
            .min();
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(deadline) => {
                return tracker.report(tracker.deadline(), start.elapsed(), knobs.degraded_grace);
            }
            () = tokio::time::sleep_until(first_seen), if !warned && !tracker.ever_seen() => {
                warned = true;
                on(&Event::NothingSeenYet(knobs.first_seen_timeout));
            }
            () = sleep_until_some(next_stuck), if next_stuck.is_some() => {
                for (component, message) in tracker.stuck_degraded(start.elapsed(), knobs.degraded_grace) {
                    if announced.insert(component.clone()) {
                        on(&Event::StuckDegraded { component, message, grace: knobs.degraded_grace });
                    }
                }
            }
            next = events.next(), if !ended => match next {
                Some(Ok(seen)) => {
                    let synced = seen == Seen::Synced && !tracker.synced();
                    let first_time = !listed_once;
                    for t in tracker.observe(seen, start.elapsed()) {
                        on(&Event::Transition(t));
                    }
                    if synced && first_time {
                        listed_once = true;
                        on(&Event::Synced);
                    }
                    if tracker.over_cap() && !capped {
                        capped = true;
                        on(&Event::WatchError(format!(
                            "more than {MAX_COMPONENTS} bp-* HelmReleases; the rest are not tracked"
                        )));
                    }
                }
                Some(Err(e)) => on(&Event::WatchError(e)),
                // The stream ended: nothing more will be seen; the deadline decides.
                None => ended = true,
            },
        }
    }
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The API server could not be reached at the start. It still carries a report with an
/// explicit outcome (`watcher-start-failed`, CORE-18), so a caller that records the deployment
/// never has to choose one.
#[derive(Debug, thiserror::Error)]
#[error("the Kubernetes API of the new cluster cannot be reached: {message}")]
pub struct Unreachable {
    /// Why (cleaned remote text).
    pub message: String,
    /// The report to record: `watcher-start-failed`, nothing observed.
    pub report: Box<Report>,
}

impl Unreachable {
    fn new(message: String) -> Self {
        let report =
            Report::short_circuit(Outcome::WatcherStartFailed, &format!("the API did not answer: {message}"));
        Self { message, report: Box::new(report) }
    }
}

/// The CRD whose absence is `flux-crds-absent`.
pub const HELMRELEASE_CRD: &str = "helmreleases.helm.toolkit.fluxcd.io";

/// Waits (polling every 2 s on tokio's clock) for `path` to be a non-empty file, up to
/// `timeout`.
async fn kubeconfig_arrival(path: &Path, timeout: Duration) -> bool {
    let until = tokio::time::Instant::now() + timeout;
    loop {
        if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0) {
            return true;
        }
        if tokio::time::Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_secs(2).min(until - tokio::time::Instant::now())).await;
    }
}

/// The Phase-1 watch of the cluster whose kubeconfig is (or will be) at `kubeconfig`.
///
/// Every path ends in a [`Report`] with an explicit outcome (CORE-18): no kubeconfig within
/// the arrival timeout → `kubeconfig-missing`; a kubeconfig kube cannot use, or a watch the
/// API refuses (401, 403, 404) → `watcher-start-failed`; no HelmRelease CRD serving v2 by the
/// first-seen timeout → `flux-crds-absent`; then the gate or the deadline, measured from when
/// the API first answered.
///
/// # Errors
/// [`Unreachable`] when the API server does not answer at the start.
pub async fn watch_cluster(
    kubeconfig: &Path,
    knobs: &Knobs,
    tracker: Tracker,
    mut on: impl FnMut(&Event),
) -> Result<Report, Unreachable> {
    let arrival = tokio::time::Instant::now() + knobs.kubeconfig_arrival_timeout;
    if !kubeconfig_arrival(kubeconfig, knobs.kubeconfig_arrival_timeout).await {
        return Ok(Report::short_circuit(
            Outcome::KubeconfigMissing,
            &format!(
                "no kubeconfig at {} after {}",
                kubeconfig.display(),
                format_duration(knobs.kubeconfig_arrival_timeout)
            ),
        ));
    }
    // Read as the cluster registry reads kubeconfigs: capped, and refusing anything that runs a
    // command or reads a local file (KubeconfigPolicy's defaults).
    // A file that does not parse may still be being written: read again until the arrival
    // timeout. Its error names only where (the parser's message would quote a token).
    let file = crate::registry::KubeconfigFile { id: "phase1".into(), path: kubeconfig.to_owned() };
    let mut said = false;
    let client = loop {
        match crate::registry::load_kubeconfig(&file, crate::registry::KubeconfigPolicy::default()).await {
            Ok(cluster) => break cluster.client().clone(),
            Err(crate::registry::KubeconfigFileError::Yaml { .. })
                if tokio::time::Instant::now() < arrival =>
            {
                if !said {
                    said = true;
                    on(&Event::Waiting(format!(
                        "{} is not a whole kubeconfig yet; reading it again until {} after the start",
                        kubeconfig.display(),
                        format_duration(knobs.kubeconfig_arrival_timeout)
                    )));
                }
                tokio::time::sleep(Duration::from_secs(2).min(arrival - tokio::time::Instant::now())).await;
            }
            Err(e) => {
                let detail = format!(
                    "{}: {}",
                    kubeconfig.display(),
                    remote_text(&catalyst_naming::diagnostic::Chain(&e).to_string())
                );
                return Ok(Report::short_circuit(Outcome::WatcherStartFailed, &detail));
            }
        }
    };
    watch_client(client, knobs, tracker, on).await
}

/// [`watch_cluster`] once the client exists: the Flux CRD check, the first list, then the
/// watch.
///
/// # Errors
/// [`Unreachable`] when the API server does not answer at the start.
pub async fn watch_client(
    client: kube::Client,
    knobs: &Knobs,
    tracker: Tracker,
    mut on: impl FnMut(&Event),
) -> Result<Report, Unreachable> {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
    use kube::runtime::{WatchStreamExt as _, watcher};

    // A new cluster's API may not answer yet, or answer 5xx/429 for a while: such answers are
    // retried (2 s, doubling to 30 s) for up to the arrival timeout; refusals decide at once.
    let start = tokio::time::Instant::now();
    let until = start + knobs.kubeconfig_arrival_timeout.min(knobs.watch_timeout);
    // Flux may be installed after the kubeconfig arrives: a CRD that is absent (or does not
    // serve v2 yet) is looked for again every 5 s until the first-seen timeout.
    let crd_until = start + knobs.first_seen_timeout.min(knobs.watch_timeout);
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut said = false;
    loop {
        let missing = match retrying(until, || crds.get_opt(HELMRELEASE_CRD)).await {
            Answer::Ok(None) => format!("no CRD {HELMRELEASE_CRD}"),
            Answer::Ok(Some(crd)) => {
                // Flux before 2.3 has the CRD but not `v2`: the watch would only ever see 404.
                let served: Vec<&str> =
                    crd.spec.versions.iter().filter(|v| v.served).map(|v| v.name.as_str()).collect();
                if served.contains(&"v2") {
                    break;
                }
                let what = if served.is_empty() {
                    "no version".to_owned()
                } else {
                    format!("{} but not v2", remote_text(&served.join(", ")))
                };
                format!("the CRD {HELMRELEASE_CRD} serves {what}; Flux serves v2 from 2.3 on")
            }
            // Not allowed to read CRDs: the watch itself tells.
            Answer::Refused(403, _) => break,
            Answer::Refused(_, text) => {
                return Ok(Report::short_circuit(
                    Outcome::WatcherStartFailed,
                    &format!("reading {HELMRELEASE_CRD}: {text}"),
                ));
            }
            Answer::Transient(text) => return Err(Unreachable::new(text)),
        };
        let now = tokio::time::Instant::now();
        if now >= crd_until {
            return Ok(Report::short_circuit(Outcome::FluxCrdsAbsent, &missing));
        }
        if !said {
            said = true;
            on(&Event::Waiting(format!(
                "{missing}; looking again every 5s until {} after the start",
                format_duration(knobs.first_seen_timeout.min(knobs.watch_timeout))
            )));
        }
        tokio::time::sleep(Duration::from_secs(5).min(crd_until - now)).await;
    }
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("helm.toolkit.fluxcd.io", "v2", "HelmRelease"),
        "helmreleases",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(client, "flux-system", &resource);
    // The first answer decides whether the watch started: a refusal (401, 403, 404: v2 not
    // served) is `watcher-start-failed`.
    let first = kube::api::ListParams::default().limit(1);
    match retrying(until, || api.list(&first)).await {
        Answer::Ok(_) => {}
        Answer::Refused(_, text) => {
            return Ok(Report::short_circuit(
                Outcome::WatcherStartFailed,
                &format!("listing HelmReleases (helm.toolkit.fluxcd.io/v2) in flux-system: {text}"),
            ));
        }
        Answer::Transient(text) => return Err(Unreachable::new(text)),
    }
    let events = watcher(api, watcher::Config::default()).default_backoff().filter_map(|e| async move {
        match e {
            Ok(watcher::Event::Apply(o) | watcher::Event::InitApply(o)) => {
                Observed::from_object(&serde_json::to_value(o).ok()?).map(|r| Ok(Seen::Applied(r)))
            }
            Ok(watcher::Event::Delete(o)) => Some(Ok(Seen::Deleted {
                namespace: o.metadata.namespace.unwrap_or_default(),
                name: o.metadata.name.unwrap_or_default(),
            })),
            Ok(watcher::Event::InitDone) => Some(Ok(Seen::Synced)),
            Ok(watcher::Event::Init) => Some(Ok(Seen::Restarted)),
            Err(e) => Some(Err(remote_text(&e.to_string()))),
        }
    });
    Ok(drive(events, knobs, tracker, on).await)
}

/// How the API answered one call at the start.
enum Answer<T> {
    Ok(T),
    /// A refusal (4xx but 429): its code and text.
    Refused(u16, String),
    /// No answer, 429 or 5xx, after retrying until the budget ran out.
    Transient(String),
}

/// Calls `call` (each within 30 s) until it answers or refuses, or `until` passes.
async fn retrying<T, F, Fut>(until: tokio::time::Instant, mut call: F) -> Answer<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut wait = Duration::from_secs(2);
    loop {
        let transient = match tokio::time::timeout(Duration::from_secs(30), call()).await {
            Ok(Ok(v)) => return Answer::Ok(v),
            Ok(Err(kube::Error::Api(s))) if s.code != 429 && (400..500).contains(&s.code) => {
                return Answer::Refused(s.code, format!("{} (HTTP {})", remote_text(&s.to_string()), s.code));
            }
            Ok(Err(e)) => remote_text(&e.to_string()),
            Err(_) => "no answer within 30s".to_owned(),
        };
        if tokio::time::Instant::now() + wait > until {
            return Answer::Transient(transient);
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}
