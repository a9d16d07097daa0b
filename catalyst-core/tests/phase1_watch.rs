//! The Phase-1 watch (SPEC CORE-15 … CORE-20, seed 001) on tokio's paused clock, fed scripted
//! watch events: the short-circuits with their exact outcomes, nothing ever seen, all
//! installed, a failure, a component stuck installing, a dependency that becomes ready, the
//! bootstrap kit's releases that never appear, the record that never downgrades `adopted`, and a
//! property: the watch never ends `ready` unless every counted component was observed
//! `installed`.

#![cfg(feature = "client")]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use catalyst_core::phase1::cluster::{Event, drive, watch_cluster};
use catalyst_core::phase1::watch::{Knobs, Observed, Report, Seen, Tracker, parse_duration, store};
use catalyst_core::{ComponentState, DeploymentStatus, GateConfig, Outcome};
use futures::Stream;
use proptest::prelude::*;

const MIN: u64 = 60;

/// Events after waits (seconds); the stream then stays open without events.
fn scripted(script: Vec<(u64, Seen)>) -> impl Stream<Item = Result<Seen, String>> {
    use futures::StreamExt as _;
    futures::stream::unfold(script.into_iter(), |mut it| async move {
        let (wait, seen) = it.next()?;
        tokio::time::sleep(Duration::from_secs(wait)).await;
        Some((Ok(seen), it))
    })
    .chain(futures::stream::pending())
}

fn hr(name: &str, status: &str, reason: &str, message: &str) -> Seen {
    Seen::Applied(Observed::new("flux-system", name).ready(status, reason, message))
}

async fn run(script: Vec<(u64, Seen)>, tracker: Tracker) -> (Report, Vec<Event>, Duration) {
    let start = tokio::time::Instant::now();
    let mut events = Vec::new();
    let report = drive(scripted(script), &Knobs::default(), tracker, |e| events.push(e.clone())).await;
    (report, events, start.elapsed())
}

/// The states `component` moved to, in order.
fn states_of(events: &[Event], component: &str) -> Vec<ComponentState> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Transition(t) if t.component == component => Some(t.to),
            _ => None,
        })
        .collect()
}

fn tracker() -> Tracker {
    Tracker::new(GateConfig::default())
}

#[tokio::test(start_paused = true)]
async fn all_installed_is_ready_as_soon_as_the_gate_opens() {
    let (report, events, took) = run(
        vec![
            (0, hr("bp-cilium", "True", "InstallSucceeded", "ok")),
            (0, hr("bp-flux", "Unknown", "Progressing", "installing")),
            (0, Seen::Applied(Observed::new("kube-system", "bp-other"))),
            (0, hr("podinfo", "False", "InstallFailed", "not a bp- release")),
            (0, Seen::Synced),
            (90, hr("bp-flux", "True", "InstallSucceeded", "ok")),
        ],
        tracker(),
    )
    .await;
    assert_eq!(report.outcome, Outcome::Ready);
    assert_eq!(report.classification.status, DeploymentStatus::Ready);
    assert_eq!(took, Duration::from_secs(90));
    assert_eq!(
        report.states,
        BTreeMap::from([
            ("cilium".into(), ComponentState::Installed),
            ("flux".into(), ComponentState::Installed)
        ])
    );
    // Only bp-* releases in flux-system count, and only transitions are reported.
    let transitions: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Transition(t) => {
                Some(format!("{} {:?}->{}", t.component, t.from.map(ComponentState::as_str), t.to))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        transitions,
        ["cilium None->installed", "flux None->installing", "flux Some(\"installing\")->installed"]
    );
}

#[tokio::test(start_paused = true)]
async fn one_install_failure_fails_the_deployment() {
    let (report, _, took) = run(
        vec![
            (0, hr("bp-cilium", "True", "InstallSucceeded", "ok")),
            (0, hr("bp-gitea", "Unknown", "Progressing", "installing")),
            (0, Seen::Synced),
            (30, hr("bp-gitea", "False", "InstallFailed", "timed out waiting for the condition")),
        ],
        tracker(),
    )
    .await;
    assert_eq!((report.outcome, took), (Outcome::Failed, Duration::from_secs(30)));
    assert_eq!(report.classification.error.as_deref(), Some("1 of 2 components failed: gitea"));
}

#[tokio::test(start_paused = true)]
async fn a_component_stuck_installing_times_out_and_fails() {
    let (report, _, took) = run(
        vec![
            (0, hr("bp-cilium", "True", "InstallSucceeded", "ok")),
            (0, hr("bp-harbor", "Unknown", "Progressing", "waiting")),
            (0, Seen::Synced),
        ],
        tracker(),
    )
    .await;
    assert_eq!((report.outcome, took), (Outcome::Timeout, Duration::from_secs(60 * MIN)));
    assert_eq!(report.classification.status, DeploymentStatus::Failed);
    assert_eq!(
        report.classification.error.as_deref(),
        Some(
            "not all components reached a terminal state (outcome timeout); still waiting on: harbor (installing)"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_dependency_that_becomes_ready_is_pending_then_installed() {
    let (report, events, _) = run(
        vec![
            (
                0,
                hr(
                    "bp-loki",
                    "False",
                    "DependencyNotReady",
                    "dependency 'flux-system/bp-seaweedfs' is not ready",
                ),
            ),
            (0, hr("bp-seaweedfs", "Unknown", "Progressing", "installing")),
            (0, Seen::Synced),
            (120, hr("bp-seaweedfs", "True", "InstallSucceeded", "ok")),
            (60, hr("bp-loki", "True", "InstallSucceeded", "ok")),
        ],
        tracker(),
    )
    .await;
    assert_eq!(report.outcome, Outcome::Ready);
    let loki = states_of(&events, "loki");
    assert_eq!(loki, [ComponentState::Pending, ComponentState::Installed]);
}

#[tokio::test(start_paused = true)]
async fn nothing_ever_seen_is_flux_not_reconciling_with_one_warning() {
    let (report, events, took) = run(vec![(0, Seen::Synced)], tracker()).await;
    assert_eq!((report.outcome, took), (Outcome::FluxNotReconciling, Duration::from_secs(60 * MIN)));
    assert_eq!(report.classification.status, DeploymentStatus::Failed);
    let warnings: Vec<&Event> = events.iter().filter(|e| matches!(e, Event::NothingSeenYet(_))).collect();
    assert_eq!(warnings, [&Event::NothingSeenYet(Duration::from_secs(15 * MIN))]);
}

#[tokio::test(start_paused = true)]
async fn the_list_must_sync_before_an_early_finish() {
    // Everything seen is installed, but the initial list never completes: no early finish.
    let (report, _, took) =
        run(vec![(0, hr("bp-cilium", "True", "InstallSucceeded", "ok"))], tracker()).await;
    assert_eq!((report.outcome, took), (Outcome::Timeout, Duration::from_secs(60 * MIN)));
}

/// The platform's gate (CORE-16) ends at the first moment every release listed so far is
/// installed: a release Flux has not created yet is not waited for.
#[tokio::test(start_paused = true)]
async fn without_the_kit_the_first_synced_list_decides() {
    let (report, _, took) = run(
        vec![
            (0, hr("bp-cilium", "True", "InstallSucceeded", "ok")),
            (0, Seen::Synced),
            (30, hr("bp-gitea", "False", "InstallFailed", "too late to matter")),
        ],
        tracker(),
    )
    .await;
    assert_eq!((report.outcome, took), (Outcome::Ready, Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn with_the_kit_a_release_never_seen_prevents_ready() {
    let kit = Tracker::new(GateConfig::default()).with_kit([
        "cilium".to_owned(),
        "flux".to_owned(),
        "gitea".to_owned(),
    ]);
    let (report, _, _) = run(
        vec![
            (0, hr("bp-cilium", "True", "InstallSucceeded", "ok")),
            (0, hr("bp-flux", "True", "InstallSucceeded", "ok")),
            (0, Seen::Synced),
        ],
        kit,
    )
    .await;
    assert_eq!(report.outcome, Outcome::Timeout, "every seen release is installed, but gitea never appeared");
    assert_eq!(report.never_seen, ["gitea"]);
    assert_eq!(
        report.classification.error.as_deref(),
        Some(
            "not all components reached a terminal state (outcome timeout); still waiting on: -; never seen: gitea"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_release_degraded_past_the_grace_period_is_named() {
    let (report, _, _) = run(
        vec![
            (0, hr("bp-cilium", "True", "InstallSucceeded", "ok")),
            (0, hr("bp-keycloak", "False", "HealthCheckFailed", "pod keycloak-0 is crash-looping")),
            (0, Seen::Synced),
        ],
        tracker(),
    )
    .await;
    assert_eq!(report.outcome, Outcome::Timeout, "degraded is not terminal");
    assert_eq!(
        report.stuck_degraded,
        [(
            "keycloak".to_owned(),
            "Ready=False HealthCheckFailed: pod keycloak-0 is crash-looping".to_owned()
        )]
    );
}

/// The watch says so when a release has been degraded for the grace period, once per stretch
/// of `degraded`, and goes on.
#[tokio::test(start_paused = true)]
async fn a_release_stuck_degraded_is_reported_as_it_happens() {
    let script = vec![
        (0, hr("bp-cilium", "True", "InstallSucceeded", "ok")),
        (0, hr("bp-keycloak", "False", "HealthCheckFailed", "crash-looping")),
        (0, Seen::Synced),
        // Recovers for a while before the grace period ends, then degrades again at 6m.
        (4 * MIN, hr("bp-keycloak", "Unknown", "Progressing", "upgrading")),
        (2 * MIN, hr("bp-keycloak", "False", "HealthCheckFailed", "crash-looping again")),
        // Degraded for 14m more: reported once, at 11m.
    ];
    let start = tokio::time::Instant::now();
    let mut stuck = Vec::new();
    let mut knobs = Knobs::default();
    knobs.watch_timeout = Duration::from_secs(20 * MIN);
    let report = drive(scripted(script), &knobs, tracker(), |e| {
        if let Event::StuckDegraded { component, message, grace } = e {
            stuck.push((start.elapsed().as_secs(), component.clone(), message.clone(), *grace));
        }
    })
    .await;
    assert_eq!(
        stuck,
        [(
            11 * MIN,
            "keycloak".to_owned(),
            "Ready=False HealthCheckFailed: crash-looping again".to_owned(),
            Duration::from_secs(5 * MIN)
        )]
    );
    assert_eq!(report.outcome, Outcome::Timeout);
    assert_eq!(report.stuck_degraded.len(), 1);
}

/// Releases past the tracking cap were never looked at: no `ready`, whatever the others say.
#[tokio::test(start_paused = true)]
async fn past_the_cap_the_watch_never_ends_ready() {
    let mut script: Vec<(u64, Seen)> =
        (0..1000).map(|i| (0, hr(&format!("bp-c{i:04}"), "True", "InstallSucceeded", "ok"))).collect();
    script.push((0, hr("bp-zzz", "False", "InstallFailed", "boom")));
    script.push((0, Seen::Synced));
    let (report, events, _) = run(script, tracker()).await;
    assert_eq!(report.outcome, Outcome::Timeout);
    assert_eq!(report.states.len(), 1000);
    assert!(
        report
            .classification
            .error
            .unwrap()
            .ends_with("; more than 1000 bp-* HelmReleases, the rest were not tracked")
    );
    assert!(
        events.contains(&Event::WatchError(
            "more than 1000 bp-* HelmReleases; the rest are not tracked".into()
        ))
    );
}

/// kube's watcher lists again after a disconnect: a release not listed again was deleted
/// meanwhile, and its old `installed` is no evidence.
#[tokio::test(start_paused = true)]
async fn a_release_missing_from_a_relist_is_pending_again() {
    let (report, events, _) = run(
        vec![
            (0, Seen::Restarted),
            (0, hr("bp-cilium", "True", "InstallSucceeded", "ok")),
            (0, hr("bp-flux", "True", "InstallSucceeded", "ok")),
            (0, hr("bp-gitea", "Unknown", "Progressing", "installing")),
            (0, Seen::Synced),
            (60, Seen::Restarted),
            (0, hr("bp-cilium", "True", "InstallSucceeded", "ok")),
            (0, hr("bp-gitea", "True", "InstallSucceeded", "ok")),
            (0, Seen::Synced),
        ],
        tracker(),
    )
    .await;
    assert_eq!(report.outcome, Outcome::Timeout, "flux vanished in the relist");
    assert_eq!(report.states["flux"], ComponentState::Pending);
    assert!(events.contains(&Event::Transition(catalyst_core::phase1::watch::Transition {
        component: "flux".into(),
        from: Some(ComponentState::Installed),
        to: ComponentState::Pending,
        message: "absent when the watch listed again".into(),
    })));
    assert_eq!(events.iter().filter(|e| **e == Event::Synced).count(), 1, "the list completes once");
}

#[tokio::test(start_paused = true)]
async fn the_floor_of_observed_releases_holds_the_gate() {
    let knobs =
        Knobs::from_lookup(|n| (n == "CATALYST_PHASE1_MIN_BOOTSTRAP_KIT_HRS").then(|| "2".to_owned())).0;
    let script = vec![
        (0, hr("bp-cilium", "True", "InstallSucceeded", "ok")),
        (0, Seen::Synced),
        (45, hr("bp-flux", "True", "InstallSucceeded", "ok")),
    ];
    let start = tokio::time::Instant::now();
    let report = drive(scripted(script), &knobs, Tracker::new(knobs.gate), |_| {}).await;
    assert_eq!((report.outcome, start.elapsed()), (Outcome::Ready, Duration::from_secs(45)));
}

/// What the cluster sends is not trusted: names that are not object names are dropped, and
/// condition texts lose control characters and are cut.
#[test]
fn hostile_release_text_is_cleaned() {
    let obj = |name: &str, message: &str| {
        serde_json::json!({"metadata": {"name": name, "namespace": "flux-system"},
            "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "X\u{1b}[2J", "message": message}]}})
    };
    assert_eq!(Observed::from_object(&obj("bp-a\u{1b}[31m", "m")), None);
    assert_eq!(Observed::from_object(&obj(&"b".repeat(300), "m")), None);
    let r =
        Observed::from_object(&obj("bp-a", &format!("line\nfake line\u{7}{}", "x".repeat(100_000)))).unwrap();
    let (status, reason, message) = r.ready.unwrap();
    assert_eq!(status, "False");
    assert!(
        !reason.contains('\u{1b}') && !message.contains('\n') && !message.contains('\u{7}'),
        "{reason:?} {message:?}"
    );
    assert!(message.chars().count() <= catalyst_naming::untrusted::MAX_REMOTE_TEXT + 1, "{}", message.len());
}

#[test]
fn the_record_has_the_platform_keys() {
    let report = Report::short_circuit(Outcome::KubeconfigMissing, "no kubeconfig at k after 15m");
    let record = serde_json::to_value(report.record("2026-12-07T10:00:00Z")).unwrap();
    assert_eq!(record["phase1Outcome"], "kubeconfig-missing");
    assert_eq!(record["phase1FinishedAt"], "2026-12-07T10:00:00Z");
    assert_eq!(record["componentStates"], serde_json::json!({}));
    assert!(record["error"].as_str().unwrap().contains("kubeconfig"));
    let back: catalyst_core::phase1::watch::Phase1Record = serde_json::from_value(record).unwrap();
    assert_eq!(back.outcome, "kubeconfig-missing");
}

#[tokio::test(start_paused = true)]
async fn a_deleted_release_is_no_evidence() {
    let (report, _, _) = run(
        vec![
            (0, hr("bp-cilium", "True", "InstallSucceeded", "ok")),
            (0, hr("bp-flux", "Unknown", "Progressing", "installing")),
            (0, Seen::Deleted { namespace: "flux-system".into(), name: "bp-flux".into() }),
            (0, Seen::Synced),
        ],
        tracker(),
    )
    .await;
    assert_eq!(report.outcome, Outcome::Timeout);
    assert_eq!(report.states["flux"], ComponentState::Pending);
}

/// Seed 001: an empty kubeconfig short-circuits to `failed`, with an error about the
/// kubeconfig and the outcome exactly `kubeconfig-missing`.
#[tokio::test(start_paused = true)]
async fn a_kubeconfig_that_never_arrives_is_kubeconfig_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new-sovereign.kubeconfig");
    std::fs::write(&path, "").unwrap();
    let start = tokio::time::Instant::now();
    let report = watch_cluster(&path, &Knobs::default(), tracker(), |_| {}).await.unwrap();
    assert_eq!(report.outcome, Outcome::KubeconfigMissing);
    assert_eq!(report.outcome.as_str(), "kubeconfig-missing");
    assert_eq!(report.classification.status, DeploymentStatus::Failed);
    let error = report.classification.error.unwrap();
    assert!(error.contains("kubeconfig"), "{error}");
    assert!(error.ends_with(&format!("(no kubeconfig at {} after 15m)", path.display())), "{error}");
    assert_eq!(start.elapsed(), Duration::from_secs(15 * MIN), "it waited for the arrival timeout");
}

#[tokio::test(start_paused = true)]
async fn a_kubeconfig_that_arrives_late_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new-sovereign.kubeconfig");
    let late = path.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(5 * MIN)).await;
        // YAML of a kubeconfig's shape, which kube cannot use (no current context).
        std::fs::write(&late, "apiVersion: v1\nkind: Config\nclusters: []\n").unwrap();
    });
    let start = tokio::time::Instant::now();
    let report = watch_cluster(&path, &Knobs::default(), tracker(), |_| {}).await.unwrap();
    // It arrived (after ~5 minutes) and was read: a kubeconfig kube cannot use is a watch that
    // could not start.
    assert!(start.elapsed() < Duration::from_secs(6 * MIN));
    assert_eq!(report.outcome, Outcome::WatcherStartFailed);
    let error = report.classification.error.unwrap();
    assert!(error.starts_with("the Phase-1 watch could not start"), "{error}");
    assert!(error.contains(&path.display().to_string()), "{error}");
}

#[test]
fn an_adopted_deployment_is_never_downgraded() {
    let failed = Report::short_circuit(Outcome::FluxNotReconciling, "");
    let mut adopted = serde_json::json!({"id": "d-1", "status": "adopted"});
    let changed = store(adopted.as_object_mut().unwrap(), &failed, "2026-12-07T10:00:00Z");
    assert!(!changed);
    assert_eq!(adopted["status"], "adopted");
    assert_eq!(adopted["phase1Outcome"], "flux-not-reconciling");
    assert!(adopted.get("error").is_none());
    let mut watching = serde_json::json!({"id": "d-2", "status": "phase1-watching"});
    assert!(store(watching.as_object_mut().unwrap(), &failed, "2026-12-07T10:00:00Z"));
    assert_eq!(
        (watching["status"].as_str(), watching["phase1FinishedAt"].as_str()),
        (Some("failed"), Some("2026-12-07T10:00:00Z"))
    );
    assert!(watching["error"].as_str().unwrap().starts_with("zero bp-* HelmReleases were seen"));
    assert_eq!(watching["componentStates"], serde_json::json!({}));
}

#[test]
fn knobs_from_variables() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    };
    let (k, warnings) = Knobs::from_lookup(vars(&[]));
    assert_eq!((k, warnings.len()), (Knobs::default(), 0));
    let (k, warnings) = Knobs::from_lookup(vars(&[
        ("CATALYST_PHASE1_WATCH_TIMEOUT", "90m"),
        ("CATALYST_PHASE1_FIRST_SEEN_TIMEOUT", "1h30m"),
        ("CATALYST_PHASE1_MIN_BOOTSTRAP_KIT_HRS", "11"),
        ("CATALYST_PHASE1_KUBECONFIG_ARRIVAL_TIMEOUT", "90s"),
        ("CATALYST_PHASE1_DEGRADED_GRACE", "2m"),
    ]));
    assert!(warnings.is_empty());
    assert_eq!(k.degraded_grace, Duration::from_secs(2 * MIN));
    assert_eq!(k.watch_timeout, Duration::from_secs(90 * MIN));
    assert_eq!(k.first_seen_timeout, Duration::from_secs(90 * MIN));
    assert_eq!(k.gate.min_bootstrap_kit_hrs, 11);
    assert_eq!(k.kubeconfig_arrival_timeout, Duration::from_secs(90));
    let (k, warnings) = Knobs::from_lookup(vars(&[
        ("CATALYST_PHASE1_WATCH_TIMEOUT", "soon"),
        ("CATALYST_PHASE1_FIRST_SEEN_TIMEOUT", "0s"),
        ("CATALYST_PHASE1_MIN_BOOTSTRAP_KIT_HRS", "-3"),
        ("CATALYST_PHASE1_KUBECONFIG_ARRIVAL_TIMEOUT", " "),
    ]));
    assert_eq!(k, Knobs::default());
    assert_eq!(
        warnings,
        [
            "CATALYST_PHASE1_WATCH_TIMEOUT=\"soon\" is not a positive duration (90s, 15m, 1h); using 1h",
            "CATALYST_PHASE1_FIRST_SEEN_TIMEOUT=\"0s\" is not a positive duration (90s, 15m, 1h); using 15m",
            "CATALYST_PHASE1_MIN_BOOTSTRAP_KIT_HRS=\"-3\" is not a positive number; using 1",
        ]
    );
    for bad in ["", "5", "m", "-5m", "1.5h", "1d", "5m3", "99999999999h"] {
        assert_eq!(parse_duration(bad), None, "{bad:?}");
    }
}

fn arb_seen() -> impl Strategy<Value = Seen> {
    let name = prop::sample::select(vec!["bp-a", "bp-b", "bp-c", "other"]);
    let ns = prop::sample::select(vec!["flux-system", "default"]);
    let cond = prop::option::of((
        prop::sample::select(vec!["True", "False", "Unknown"]),
        prop::sample::select(vec![
            "InstallFailed",
            "Progressing",
            "DependencyNotReady",
            "HealthCheckFailed",
            "",
        ]),
        prop::sample::select(vec!["", "dependency 'x' is not ready", "boom"]),
    ));
    prop_oneof![
        8 => (ns.clone(), name.clone(), cond).prop_map(|(ns, name, c)| {
            let o = Observed::new(ns, name);
            Seen::Applied(match c { Some((s, r, m)) => o.ready(s, r, m), None => o })
        }),
        1 => (ns, name).prop_map(|(ns, name)| Seen::Deleted { namespace: ns.into(), name: name.into() }),
        2 => Just(Seen::Synced),
        1 => Just(Seen::Restarted),
    ]
}

/// Whether the script's last word on `name` (in flux-system) is `Ready=True`, and it was not
/// deleted or left out of a relist after it.
fn last_says_installed(script: &[(u64, Seen)], upto: usize, name: &str) -> bool {
    let mut installed = false;
    let mut relisted: Option<bool> = None;
    for (_, seen) in &script[..upto] {
        match seen {
            Seen::Applied(o) if o.namespace == "flux-system" && o.name == name => {
                installed = o.ready.as_ref().is_some_and(|(s, _, _)| s == "True");
                if let Some(r) = &mut relisted {
                    *r = true;
                }
            }
            Seen::Deleted { namespace, name: n } if namespace == "flux-system" && n == name => {
                installed = false;
            }
            Seen::Restarted => relisted = Some(false),
            Seen::Synced => {
                if relisted == Some(false) {
                    installed = false;
                }
                relisted = None;
            }
            _ => {}
        }
    }
    installed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// CORE-16/17: whatever the events (relists included), a `ready` end means every counted
    /// component's last word before the end was `Ready=True`; with a kit, every kit component's.
    #[test]
    fn the_watch_never_ends_ready_without_evidence(
        script in prop::collection::vec((0u64..400, arb_seen()), 0..40),
        with_kit in any::<bool>(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        let t = if with_kit { tracker().with_kit(["a".to_owned(), "b".to_owned()]) } else { tracker() };
        // The events the watch took from the stream before it ended, counted as they are yielded.
        let yielded = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = yielded.clone();
        let events = futures::StreamExt::inspect(scripted(script.clone()), move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        let report = rt.block_on(drive(events, &Knobs::default(), t, |_| {}));
        if report.outcome == Outcome::Ready || report.classification.status == DeploymentStatus::Ready {
            prop_assert_eq!(report.outcome, Outcome::Ready);
            prop_assert_eq!(report.classification.status, DeploymentStatus::Ready);
            prop_assert!(!report.states.is_empty());
            let upto = yielded.load(std::sync::atomic::Ordering::SeqCst).min(script.len());
            // The gate needs a synced list.
            prop_assert!(script[..upto].iter().any(|(_, s)| *s == Seen::Synced));
            for id in report.states.keys() {
                prop_assert!(last_says_installed(&script, upto, &format!("bp-{id}")), "{} in {:?}", id, report.states);
            }
            if with_kit {
                prop_assert!(last_says_installed(&script, upto, "bp-a") && last_says_installed(&script, upto, "bp-b"));
            }
        }
    }
}

// --- the watch against a scripted Kubernetes API (tower-test): CRD check, first list, watch ---

/// What the scripted API answers.
#[derive(Clone, Copy)]
enum Api {
    /// No HelmRelease CRD.
    NoFluxCrds,
    /// The CRD of a Flux before 2.3: v2beta1 and v2beta2 served, no v2.
    FluxBefore2_3,
    /// The CRD is there; listing HelmReleases is forbidden.
    ListForbidden,
    /// The CRD is there; a list with two releases, then a watch that makes both installed.
    Healthy,
}

fn status(code: u16, reason: &str, message: &str) -> String {
    serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code})
    .to_string()
}

fn release(name: &str, ready: &str) -> serde_json::Value {
    serde_json::json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": "flux-system", "resourceVersion": "7"},
        "status": {"conditions": [{"type": "Ready", "status": ready, "reason": "R", "message": "m"}]}})
}

fn scripted_api(api: Api, requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>) -> kube::Client {
    use http::{Request, Response};
    use kube::client::Body;
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    tokio::spawn(async move {
        while let Some((request, respond)) = handle.next_request().await {
            let uri = request.uri().to_string();
            requests.lock().unwrap().push(uri.clone());
            let (code, body) = if uri.contains("/customresourcedefinitions/")
                && matches!(api, Api::NoFluxCrds)
            {
                (
                    404,
                    status(
                        404,
                        "NotFound",
                        "customresourcedefinitions.apiextensions.k8s.io \"helmreleases.helm.toolkit.fluxcd.io\" not found",
                    ),
                )
            } else if uri.contains("/customresourcedefinitions/") {
                let versions: &[&str] = if matches!(api, Api::FluxBefore2_3) {
                    &["v2beta1", "v2beta2"]
                } else {
                    &["v2beta2", "v2"]
                };
                let versions: Vec<serde_json::Value> = versions
                    .iter()
                    .map(|v| serde_json::json!({"name": v, "served": true, "storage": *v == "v2beta2"}))
                    .collect();
                (200, serde_json::json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                            "metadata": {"name": "helmreleases.helm.toolkit.fluxcd.io"},
                            "spec": {"group": "helm.toolkit.fluxcd.io", "names": {"kind": "HelmRelease", "plural": "helmreleases"},
                                     "scope": "Namespaced", "versions": versions}}).to_string())
            } else if matches!(api, Api::ListForbidden) {
                (
                    403,
                    status(
                        403,
                        "Forbidden",
                        "helmreleases.helm.toolkit.fluxcd.io is forbidden: User \"phase1\" cannot list resource \"helmreleases\"",
                    ),
                )
            } else if uri.contains("watch=true") {
                // The real wire format: one JSON watch event per line.
                let event = serde_json::json!({"type": "MODIFIED", "object": release("bp-cilium", "True")});
                (200, format!("{event}\n"))
            } else {
                let list = serde_json::json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmReleaseList",
                    "metadata": {"resourceVersion": "7"},
                    "items": [release("bp-cilium", "Unknown"), release("bp-flux", "True")]});
                (200, list.to_string())
            };
            respond
                .send_response(Response::builder().status(code).body(Body::from(body.into_bytes())).unwrap());
        }
    });
    kube::Client::new(service, "default")
}

async fn against(
    api: Api,
) -> (Result<Report, catalyst_core::phase1::cluster::Unreachable>, Vec<String>, Vec<Event>) {
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut events = Vec::new();
    let client = scripted_api(api, requests.clone());
    let report = catalyst_core::phase1::cluster::watch_client(client, &Knobs::default(), tracker(), |e| {
        events.push(e.clone());
    })
    .await;
    let requests = requests.lock().unwrap().clone();
    (report, requests, events)
}

/// Flux may come after the kubeconfig: the CRD is looked for every 5 s until the first-seen
/// timeout (15 m), with one `Waiting` event, before `flux-crds-absent`.
#[tokio::test(start_paused = true)]
async fn no_flux_crds_is_flux_crds_absent() {
    let start = tokio::time::Instant::now();
    let (report, requests, events) = against(Api::NoFluxCrds).await;
    let report = report.unwrap();
    assert_eq!(report.outcome, Outcome::FluxCrdsAbsent);
    assert_eq!(report.classification.status, DeploymentStatus::Failed);
    assert_eq!(start.elapsed().as_secs(), 15 * MIN);
    assert_eq!(requests.len(), 15 * 60 / 5 + 1);
    assert!(requests.iter().all(|r| r
        == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/helmreleases.helm.toolkit.fluxcd.io"));
    assert_eq!(
        events,
        [Event::Waiting(
            "no CRD helmreleases.helm.toolkit.fluxcd.io; looking again every 5s until 15m after the start"
                .into()
        )]
    );
}

#[tokio::test(start_paused = true)]
async fn a_crd_without_v2_is_flux_crds_absent_naming_what_it_serves() {
    let (report, requests, _) = against(Api::FluxBefore2_3).await;
    let report = report.unwrap();
    assert_eq!(report.outcome, Outcome::FluxCrdsAbsent);
    assert!(
        report.classification.error.unwrap().ends_with(
            "(the CRD helmreleases.helm.toolkit.fluxcd.io serves v2beta1, v2beta2 but not v2; Flux serves v2 from 2.3 on)"
        )
    );
    // Nothing is listed: a v2 watch could only ever answer 404.
    assert!(requests.iter().all(|r| r.contains("/customresourcedefinitions/")));
}

#[tokio::test]
async fn a_watch_the_api_refuses_is_watcher_start_failed() {
    let (report, _, _) = against(Api::ListForbidden).await;
    let report = report.unwrap();
    assert_eq!(report.outcome, Outcome::WatcherStartFailed);
    let error = report.classification.error.unwrap();
    assert!(error.starts_with("the Phase-1 watch could not start"), "{error}");
    assert!(error.contains("cannot list resource \"helmreleases\""), "{error}");
}

#[tokio::test]
async fn a_real_list_and_watch_end_ready() {
    let (report, requests, events) = against(Api::Healthy).await;
    let report = report.unwrap();
    assert_eq!(report.outcome, Outcome::Ready);
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases?")
                && r.contains("watch=true")),
        "{requests:?}"
    );
    let cilium = states_of(&events, "cilium");
    assert_eq!(cilium, [ComponentState::Installing, ComponentState::Installed]);
}

#[tokio::test(start_paused = true)]
async fn an_api_that_does_not_answer_is_unreachable() {
    use http::{Request, Response};
    use kube::client::Body;
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    drop(handle);
    let client = kube::Client::new(service, "default");
    let err = catalyst_core::phase1::cluster::watch_client(client, &Knobs::default(), tracker(), |_| {})
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("the Kubernetes API of the new cluster cannot be reached: "),
        "{err}"
    );
    // Still an explicit outcome for the record (CORE-18).
    assert_eq!(err.report.outcome, Outcome::WatcherStartFailed);
    assert_eq!(err.report.classification.status, DeploymentStatus::Failed);
    assert!(err.report.classification.error.as_deref().unwrap().contains("the API did not answer"));
}
