//! The cluster registry against a real directory, tokio's paused clock and a mock Kubernetes
//! API (CORE-6 … CORE-13).
#![cfg(feature = "client")]
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use catalyst_core::registry::{
    Cluster, ClusterRegistry, ClusterSource, KubeconfigFileError, RegistryConfig, RegistryError,
    SOVEREIGN_FQDN_CONFIGMAP,
};
use http::{Request, Response};
use kube::client::Body;
use tokio::time::Instant;
use tracing::field::{Field, Visit};
use tracing::span;

/// A kubeconfig for a cluster at a loopback address (nothing ever connects to it).
fn kubeconfig(name: &str, insecure: bool) -> String {
    let skip = if insecure { "\n    insecure-skip-tls-verify: true" } else { "" };
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: https://127.0.0.1:6443{skip}
contexts:
- name: {name}
  context:
    cluster: {name}
    user: {name}-admin
current-context: {name}
users:
- name: {name}-admin
  user:
    token: secret-token-{name}
"
    )
}

fn write(dir: &Path, file: &str, text: &str) {
    fs::write(dir.join(file), text).unwrap();
}

/// Records the log events of catalyst-core.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<String>>>);

impl Logs {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            write!(self.0, "{value:?}").unwrap();
        } else {
            write!(self.0, " {}={value:?}", field.name()).unwrap();
        }
    }
}

impl tracing::Subscriber for Logs {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if event.metadata().target().starts_with("catalyst_core") {
            let mut line = format!("{} ", event.metadata().level());
            event.record(&mut Line(&mut line));
            self.0.lock().unwrap().push(line);
        }
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

fn capture_logs() -> (Logs, tracing::subscriber::DefaultGuard) {
    let logs = Logs::default();
    let guard = tracing::subscriber::set_default(logs.clone());
    (logs, guard)
}

/// Counts running watcher tasks: each task holds a guard that decrements on drop (abort).
#[derive(Clone, Default)]
struct Watchers {
    started: Arc<AtomicUsize>,
    live: Arc<AtomicUsize>,
}

struct LiveGuard(Arc<AtomicUsize>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Watchers {
    fn registry(&self, config: RegistryConfig) -> ClusterRegistry {
        let this = self.clone();
        ClusterRegistry::with_watchers(config, move |_cluster| {
            this.started.fetch_add(1, Ordering::SeqCst);
            this.live.fetch_add(1, Ordering::SeqCst);
            let guard = LiveGuard(this.live.clone());
            vec![tokio::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            })]
        })
    }
    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
    fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }
}

/// Let spawned and aborted tasks run.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

/// A kubeconfig that does not parse (one still being written, say) is reported by where, never
/// by the parser's own message, which quotes the line and with it the token.
#[tokio::test]
async fn a_broken_kubeconfig_never_shows_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let good = kubeconfig("omantel", false);
    write(
        dir.path(),
        "cut.yaml",
        &format!("{good}\n- name: second\n  user:\n    token: \"sha256~TOPSECRETTOKEN"),
    );
    write(
        dir.path(),
        "dup.yaml",
        "users:\n- name: u\n  user:\n    token: sha256~TOPSECRETTOKEN\n    token: x\n",
    );
    let report = ClusterRegistry::new(RegistryConfig::new(dir.path())).start().await.unwrap();
    assert_eq!(report.problems.len(), 2);
    for p in &report.problems {
        let text = format!("{p} {:#} {:?}", catalyst_naming::diagnostic::Chain(&p.error), p.error);
        assert!(!text.contains("TOPSECRET"), "{text}");
        assert!(matches!(p.error, KubeconfigFileError::Yaml { at: Some(_) }), "{text}");
    }
}

#[tokio::test]
async fn start_loads_every_good_file_and_reports_each_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "omantel.kubeconfig", &kubeconfig("omantel", false));
    write(dir.path(), "bad.yaml", "clusters: [unclosed");
    write(dir.path(), "nocontext.yml", "apiVersion: v1\nkind: Config\nclusters: []\n");
    write(dir.path(), "apse.yaml", &kubeconfig("apse", false));
    write(dir.path(), "README.md", "not a kubeconfig, not looked at");
    let (logs, _guard) = capture_logs();

    let registry = ClusterRegistry::new(RegistryConfig::new(dir.path()));
    let report = registry.start().await.unwrap();

    assert_eq!(registry.ids(), ["apse", "omantel"]);
    assert_eq!(report.added, ["apse", "omantel"]);
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    let bad = dir.path().join("bad.yaml");
    assert!(
        problems[0].starts_with(&format!("{}: not valid kubeconfig YAML at line 1, column ", bad.display())),
        "{}",
        problems[0]
    );
    assert!(
        problems[1].starts_with(&format!(
            "{}: not a usable kubeconfig: ",
            dir.path().join("nocontext.yml").display()
        ))
    );
    assert!(matches!(report.problems[1].error, KubeconfigFileError::Kubeconfig(_)));
    assert_eq!(
        registry.get("omantel").unwrap().source(),
        &ClusterSource::Kubeconfig { path: dir.path().join("omantel.kubeconfig") }
    );

    let logs = logs.take();
    assert_eq!(
        logs.iter().filter(|l| l.contains("registered cluster from kubeconfig")).count(),
        2,
        "{logs:#?}"
    );
    assert_eq!(logs.iter().filter(|l| l.starts_with("WARN skipping kubeconfig")).count(), 2, "{logs:#?}");
    assert!(logs.iter().all(|l| !l.contains("secret-token")), "{logs:#?}");
    registry.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_file_dropped_after_start_is_registered_at_the_next_tick() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RegistryConfig::new(dir.path());
    config.rescan_interval = Duration::from_secs(30);
    let watchers = Watchers::default();
    let registry = watchers.registry(config);
    let started = Instant::now();
    registry.start().await.unwrap();
    assert!(registry.is_empty());

    // Five seconds in, the handover hook writes a kubeconfig.
    tokio::time::sleep(Duration::from_secs(5)).await;
    write(dir.path(), "muscat.kubeconfig", &kubeconfig("muscat", false));
    assert!(registry.is_empty(), "registered before any tick");

    let mut changes = registry.changes();
    tokio::time::timeout(Duration::from_secs(60), changes.changed()).await.unwrap().unwrap();
    assert_eq!(registry.ids(), ["muscat"]);
    // Registered by the first tick, 30 s after start: no sleeping, the clock is paused.
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    settle().await;
    assert_eq!(
        (watchers.started(), watchers.live()),
        (1, 1),
        "a runtime-added cluster's watchers start at once"
    );

    registry.stop().await;
    settle().await;
    assert_eq!(watchers.live(), 0);
}

#[tokio::test(start_paused = true)]
async fn rescanning_a_registered_directory_changes_nothing_and_logs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.kubeconfig", &kubeconfig("a", false));
    write(dir.path(), "b.yaml", &kubeconfig("b", false));
    write(dir.path(), "broken.yaml", "{{{");
    let watchers = Watchers::default();
    let registry = watchers.registry(RegistryConfig::new(dir.path()));
    let first = registry.start().await.unwrap();
    assert_eq!((first.added.len(), first.problems.len()), (2, 1));
    settle().await;
    assert_eq!(watchers.started(), 2);
    let revision = *registry.changes().borrow();

    let (logs, _guard) = capture_logs();
    for _ in 0..3 {
        let report = registry.rescan_once().await;
        assert!(report.is_quiet(), "{report:?}");
    }
    // Ten loop ticks as well.
    tokio::time::sleep(Duration::from_secs(300)).await;
    assert_eq!(logs.take(), Vec::<String>::new());
    assert_eq!(registry.ids(), ["a", "b"]);
    assert_eq!(*registry.changes().borrow(), revision, "no re-registration");
    settle().await;
    assert_eq!((watchers.started(), watchers.live()), (2, 2), "no watcher re-created");
    registry.stop().await;
}

#[tokio::test]
async fn a_bad_file_is_reported_once_and_registered_once_fixed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "late.yaml", "kind: Config\ncurrent-context: missing\n");
    let registry = ClusterRegistry::new(RegistryConfig::new(dir.path()));

    let first = registry.rescan_once().await;
    assert_eq!(first.problems.len(), 1);
    assert_eq!(first.problems[0].path, dir.path().join("late.yaml"));
    assert!(registry.rescan_once().await.is_quiet(), "the same bad file is not reported again");

    write(dir.path(), "late.yaml", &kubeconfig("late", false));
    let fixed = registry.rescan_once().await;
    assert_eq!(fixed.added, ["late"]);
    assert!(fixed.problems.is_empty());
}

#[tokio::test]
async fn tls_verification_stays_on_unless_the_registry_allows_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "lab.yaml", &kubeconfig("lab", true));

    let strict = ClusterRegistry::new(RegistryConfig::new(dir.path()));
    let report = strict.rescan_once().await;
    assert!(strict.is_empty());
    assert_eq!(
        report.problems[0].to_string(),
        format!(
            "{}: the kubeconfig sets insecure-skip-tls-verify; the registry keeps TLS verification on unless insecure_skip_tls_verify is set",
            dir.path().join("lab.yaml").display()
        )
    );

    let mut config = RegistryConfig::new(dir.path());
    config.insecure_skip_tls_verify = true;
    let lax = ClusterRegistry::new(config);
    assert_eq!(lax.rescan_once().await.added, ["lab"]);
}

#[tokio::test]
async fn an_unreadable_directory_is_reported_once_and_the_registry_runs_on() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the directory should be: read_dir fails with "not a directory".
    let not_a_dir = dir.path().join("kubeconfigs");
    write(dir.path(), "kubeconfigs", "");
    let registry = ClusterRegistry::new(RegistryConfig::new(&not_a_dir));

    let report = registry.start().await.unwrap();
    let Some(RegistryError::ReadDir { dir: reported, .. }) = &report.dir_error else { panic!("{report:?}") };
    assert_eq!(reported, &not_a_dir);
    assert!(registry.is_running() && registry.is_empty());
    assert!(registry.rescan_once().await.is_quiet(), "reported once, not every tick");

    // The directory appears: the next scan picks it up.
    fs::remove_file(&not_a_dir).unwrap();
    fs::create_dir(&not_a_dir).unwrap();
    write(&not_a_dir, "x.yaml", &kubeconfig("x", false));
    assert_eq!(registry.rescan_once().await.added, ["x"]);
    assert!(matches!(registry.start().await, Err(RegistryError::AlreadyRunning)));
    registry.stop().await;
}

#[tokio::test]
async fn a_missing_directory_is_an_empty_registry() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ClusterRegistry::new(RegistryConfig::new(dir.path().join("absent")));
    let report = registry.start().await.unwrap();
    assert!(report.is_quiet() && registry.is_empty());
    registry.stop().await;
}

#[tokio::test]
async fn add_replaces_and_stops_old_watchers_remove_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &kubeconfig("a", false));
    let watchers = Watchers::default();
    let registry = watchers.registry(RegistryConfig::new(dir.path()));

    // Before start: registered, no watchers yet.
    let client = registry.get("a").map(|c| c.client().clone());
    assert!(client.is_none());
    registry.rescan_once().await;
    let client = registry.get("a").unwrap().client().clone();
    assert_eq!(watchers.started(), 0);

    registry.start().await.unwrap();
    settle().await;
    assert_eq!((watchers.started(), watchers.live()), (1, 1));

    // Added at runtime: watchers at once.
    assert!(registry.add(Cluster::new("b", client.clone(), ClusterSource::Added)).is_none());
    settle().await;
    assert_eq!((watchers.started(), watchers.live()), (2, 2));

    // Same ID again: the old watchers stop, new ones start, nothing leaks.
    let replaced = registry.add(Cluster::new("b", client.clone(), ClusterSource::Added)).unwrap();
    assert_eq!(replaced.id(), "b");
    settle().await;
    assert_eq!((watchers.started(), watchers.live()), (3, 2));
    assert_eq!(registry.ids(), ["a", "b"]);

    assert_eq!(registry.remove("b").unwrap().id(), "b");
    assert!(registry.remove("b").is_none());
    settle().await;
    assert_eq!(watchers.live(), 1, "only b's watchers stopped");
    assert_eq!(registry.ids(), ["a"]);

    registry.stop().await;
    settle().await;
    assert_eq!(watchers.live(), 0);
    registry.stop().await; // idempotent
    assert!(!registry.is_running());
}

#[tokio::test]
async fn dropping_the_registry_stops_its_watchers() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &kubeconfig("a", false));
    let watchers = Watchers::default();
    let registry = watchers.registry(RegistryConfig::new(dir.path()));
    registry.start().await.unwrap();
    settle().await;
    assert_eq!(watchers.live(), 1);
    drop(registry);
    settle().await;
    assert_eq!(watchers.live(), 0);
}

#[tokio::test]
async fn pruning_is_opt_in() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &kubeconfig("a", false));
    write(dir.path(), "b.yaml", &kubeconfig("b", false));
    let keep = ClusterRegistry::new(RegistryConfig::new(dir.path()));
    let mut config = RegistryConfig::new(dir.path());
    config.prune_missing = true;
    let prune = ClusterRegistry::new(config);
    keep.rescan_once().await;
    prune.rescan_once().await;

    fs::remove_file(dir.path().join("b.yaml")).unwrap();
    assert!(keep.rescan_once().await.is_quiet());
    assert_eq!(keep.ids(), ["a", "b"]);
    assert_eq!(prune.rescan_once().await.pruned, ["b"]);
    assert_eq!(prune.ids(), ["a"]);
}

#[tokio::test]
async fn cluster_debug_leaves_credentials_out() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &kubeconfig("a", false));
    let registry = ClusterRegistry::new(RegistryConfig::new(dir.path()));
    registry.rescan_once().await;
    let shown = format!("{:?} {registry:?}", registry.get("a").unwrap());
    assert!(shown.contains("id: \"a\""), "{shown}");
    assert!(!shown.contains("secret-token"), "{shown}");
}

// --- self-registration against a mock API server -------------------------------------------

/// What the mock API server answers for the `sovereign-fqdn` ConfigMap.
#[derive(Clone, Default)]
struct HomeApi {
    fqdn: Arc<Mutex<Option<String>>>,
    forbidden: Arc<Mutex<bool>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl HomeApi {
    fn client(&self) -> kube::Client {
        let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
        let api = self.clone();
        tokio::spawn(async move {
            while let Some((request, respond)) = handle.next_request().await {
                api.requests.lock().unwrap().push(format!("{} {}", request.method(), request.uri()));
                respond.send_response(api.answer());
            }
        });
        kube::Client::new(service, "default")
    }

    fn answer(&self) -> Response<Body> {
        let (code, body) = if *self.forbidden.lock().unwrap() {
            (403, status(403, "Forbidden", "configmaps \"sovereign-fqdn\" is forbidden"))
        } else if let Some(fqdn) = self.fqdn.lock().unwrap().clone() {
            let cm = serde_json::json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": SOVEREIGN_FQDN_CONFIGMAP, "namespace": "catalyst-system"},
                "data": {"fqdn": fqdn}
            });
            (200, cm.to_string())
        } else {
            (404, status(404, "NotFound", "configmaps \"sovereign-fqdn\" not found"))
        };
        Response::builder().status(code).body(Body::from(body.into_bytes())).unwrap()
    }

    fn set_fqdn(&self, fqdn: &str) {
        *self.fqdn.lock().unwrap() = Some(fqdn.to_owned());
    }

    fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

fn status(code: u16, reason: &str, message: &str) -> String {
    serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code
    })
    .to_string()
}

#[tokio::test(start_paused = true)]
async fn a_late_configmap_registers_the_self_cluster_on_the_next_tick() {
    let dir = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    write(
        store.path(),
        "d1.json",
        r#"{"ID":"d-omantel-7f3a","Request":{"SovereignFQDN":"omantel.openova.io"}}"#,
    );
    let api = HomeApi::default();
    let mut config = RegistryConfig::new(dir.path());
    config.home_client = Some(api.client());
    config.deployments_dir = store.path().to_owned();
    let watchers = Watchers::default();
    let registry = watchers.registry(config);
    let (logs, _guard) = capture_logs();

    // The Pod starts before the chart's ConfigMap exists: silently nothing.
    let report = registry.start().await.unwrap();
    assert!(report.is_quiet(), "{report:?}");
    assert!(registry.is_empty());
    assert_eq!(
        api.requests.lock().unwrap()[0],
        "GET /api/v1/namespaces/catalyst-system/configmaps/sovereign-fqdn"
    );
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert!(registry.is_empty());
    assert_eq!(api.request_count(), 2, "read again on the tick");

    // The ConfigMap lands 30 s later; the next tick registers the in-cluster cluster under
    // the ID from the deployment store.
    api.set_fqdn("  Omantel.OpenOva.io\n");
    let mut changes = registry.changes();
    let landed = Instant::now();
    tokio::time::timeout(Duration::from_secs(60), changes.changed()).await.unwrap().unwrap();
    assert!(landed.elapsed() <= Duration::from_secs(30));
    assert_eq!(registry.ids(), ["d-omantel-7f3a"]);
    assert_eq!(registry.self_id().as_deref(), Some("d-omantel-7f3a"));
    assert_eq!(registry.get("d-omantel-7f3a").unwrap().source(), &ClusterSource::InCluster);
    settle().await;
    assert_eq!(watchers.live(), 1);

    // Once known, the ConfigMap is not read again.
    let reads = api.request_count();
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(api.request_count(), reads);
    let logs = logs.take();
    assert_eq!(logs.len(), 2, "{logs:#?}"); // started, registered the self cluster
    assert!(logs[1].starts_with("INFO registered the self cluster"), "{logs:#?}");
    registry.stop().await;
}

#[tokio::test]
async fn on_the_mothership_the_missing_configmap_is_a_silent_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let api = HomeApi::default();
    let mut config = RegistryConfig::new(dir.path());
    config.home_client = Some(api.client());
    let registry = ClusterRegistry::new(config);
    let (logs, _guard) = capture_logs();
    for _ in 0..3 {
        assert!(registry.rescan_once().await.is_quiet());
    }
    assert_eq!(api.request_count(), 3);
    assert_eq!(logs.take(), Vec::<String>::new());
    assert!(registry.is_empty() && registry.self_id().is_none());
}

#[tokio::test]
async fn a_failing_configmap_read_is_reported_once_per_error() {
    let dir = tempfile::tempdir().unwrap();
    let api = HomeApi::default();
    *api.forbidden.lock().unwrap() = true;
    let mut config = RegistryConfig::new(dir.path());
    config.home_client = Some(api.client());
    let registry = ClusterRegistry::new(config);

    let first = registry.rescan_once().await;
    let message = first.configmap_error.unwrap();
    assert!(message.starts_with("reading ConfigMap catalyst-system/sovereign-fqdn: "), "{message}");
    assert!(message.contains("forbidden"), "{message}");
    assert!(registry.rescan_once().await.is_quiet());

    *api.forbidden.lock().unwrap() = false;
    api.set_fqdn("omantel.openova.io");
    assert_eq!(registry.rescan_once().await.self_registered.as_deref(), Some("sovereign-omantel.openova.io"));
}

#[tokio::test]
async fn startup_fqdn_registers_at_once_and_a_kubeconfig_of_the_same_id_wins() {
    let dir = tempfile::tempdir().unwrap();
    let api = HomeApi::default();
    let mut config = RegistryConfig::new(dir.path());
    config.home_client = Some(api.client());
    config.sovereign_fqdn = Some("omantel.openova.io".into());
    config.self_deployment_id = Some("omantel".into());
    let registry = ClusterRegistry::new(config);

    let report = registry.start().await.unwrap();
    assert_eq!(report.self_registered.as_deref(), Some("omantel"));
    assert_eq!(api.request_count(), 0, "the startup FQDN needs no ConfigMap read");
    assert_eq!(registry.get("omantel").unwrap().source(), &ClusterSource::InCluster);

    write(dir.path(), "omantel.kubeconfig", &kubeconfig("omantel", false));
    let report = registry.rescan_once().await;
    assert_eq!(report.added, ["omantel"]);
    assert_eq!(
        registry.get("omantel").unwrap().source(),
        &ClusterSource::Kubeconfig { path: dir.path().join("omantel.kubeconfig") }
    );
    assert!(registry.rescan_once().await.is_quiet());
    assert_eq!(api.request_count(), 0);
    registry.stop().await;
}

#[tokio::test]
async fn a_kubeconfig_registered_first_keeps_the_self_id() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "omantel.kubeconfig", &kubeconfig("omantel", false));
    let api = HomeApi::default();
    api.set_fqdn("omantel.openova.io");
    let mut config = RegistryConfig::new(dir.path());
    config.home_client = Some(api.client());
    config.self_deployment_id = Some("omantel".into());
    let registry = ClusterRegistry::new(config);

    let report = registry.start().await.unwrap();
    assert_eq!(report.added, ["omantel"]);
    assert_eq!(report.self_registered, None);
    assert_eq!(registry.self_id().as_deref(), Some("omantel"));
    assert!(matches!(registry.get("omantel").unwrap().source(), ClusterSource::Kubeconfig { .. }));
    assert!(registry.rescan_once().await.is_quiet());
    assert_eq!(api.request_count(), 1);
    registry.stop().await;
}

/// A kubeconfig whose user entry is `user` (YAML, indented for `  user:`).
fn kubeconfig_with_user(name: &str, user: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: https://127.0.0.1:6443
contexts:
- name: {name}
  context: {{cluster: {name}, user: u}}
current-context: {name}
users:
- name: u
  user:
{user}
"
    )
}

/// Issue 16 §5: kubeconfigs arrive from outside (seed 000: the handover API), so they are
/// trust inputs. A file that would run a command or send a local file (the pod's own
/// `ServiceAccount` token) to the server it names is reported once and skipped; nothing it
/// names is run. The registry can be told to allow them.
#[tokio::test]
async fn kubeconfigs_that_run_commands_or_read_local_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sentinel = dir.path().join("exec-ran");
    let exec = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: touch\n      args: [{}]\n      interactiveMode: Never",
        sentinel.display()
    );
    write(dir.path(), "exec.yaml", &kubeconfig_with_user("exec", &exec));
    write(
        dir.path(),
        "provider.yaml",
        &kubeconfig_with_user(
            "provider",
            "    auth-provider:\n      name: gcp\n      config: {cmd-path: /bin/sh, cmd-args: '-c id'}",
        ),
    );
    write(
        dir.path(),
        "token.yaml",
        &kubeconfig_with_user("token", "    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token"),
    );
    write(
        dir.path(),
        "cert.yaml",
        &kubeconfig_with_user(
            "cert",
            "    client-certificate: /etc/ssl/private/c.pem\n    client-key: /etc/ssl/private/k.pem",
        ),
    );
    write(
        dir.path(),
        "ca.yaml",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: ca\n  cluster: {server: 'https://127.0.0.1:6443', certificate-authority: /etc/ssl/ca.pem}\ncontexts:\n- {name: ca, context: {cluster: ca, user: u}}\ncurrent-context: ca\nusers:\n- {name: u, user: {token: t}}\n",
    );
    write(dir.path(), "fine.yaml", &kubeconfig("fine", false));

    let registry = ClusterRegistry::new(RegistryConfig::new(dir.path()));
    let report = registry.rescan_once().await;
    assert_eq!(registry.ids(), ["fine"]);
    let mut problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    problems.sort();
    let tail = "; kubeconfigs are trust inputs, so the registry refuses commands and local file paths in them unless allow_external_credentials is set";
    let at = |f: &str| dir.path().join(f).display().to_string();
    assert_eq!(
        problems,
        [
            format!(
                "{}: the kubeconfig cluster \"ca\" reads certificate-authority from the local file \"/etc/ssl/ca.pem\"{tail}",
                at("ca.yaml")
            ),
            format!(
                "{}: the kubeconfig user \"u\" reads client-certificate from the local file \"/etc/ssl/private/c.pem\"{tail}",
                at("cert.yaml")
            ),
            format!("{}: the kubeconfig user \"u\" runs a command (exec: \"touch\"){tail}", at("exec.yaml")),
            format!(
                "{}: the kubeconfig user \"u\" uses the auth-provider \"gcp\" (it can run a command){tail}",
                at("provider.yaml")
            ),
            format!(
                "{}: the kubeconfig user \"u\" reads tokenFile from the local file \"/var/run/secrets/kubernetes.io/serviceaccount/token\"{tail}",
                at("token.yaml")
            ),
        ]
    );
    assert!(registry.rescan_once().await.is_quiet(), "reported once");
    settle().await;
    assert!(!sentinel.exists(), "the exec command ran");

    // Allowed by configuration, kube runs the plugin while it builds the client: the policy,
    // not kube, is what kept the command from running above. (`touch` prints no credential,
    // so the file is then reported as unusable.)
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "exec.yaml", &kubeconfig_with_user("exec", &exec));
    let mut config = RegistryConfig::new(dir.path());
    config.allow_external_credentials = true;
    let lax = ClusterRegistry::new(config);
    let report = lax.rescan_once().await;
    assert!(sentinel.exists(), "allowed, the exec plugin runs");
    assert!(
        report.problems[0]
            .to_string()
            .ends_with("cannot build a client: auth error: exec-plugin response did not contain a status"),
        "{}",
        report.problems[0]
    );
    assert!(
        RegistryConfig::from_lookup(
            |k| (k == catalyst_core::registry::ENV_ALLOW_EXTERNAL_CREDENTIALS).then(|| "true".to_owned())
        )
        .allow_external_credentials
    );
}

/// Found while testing the kubeconfig policy: a token with a control character made kube
/// panic while building the client, taking the registry (and its rescan loop) down.
#[tokio::test]
async fn a_token_kube_would_panic_on_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.yaml", &kubeconfig_with_user("bad", "    token: \"abc\\u0001def\""));
    let registry = ClusterRegistry::new(RegistryConfig::new(dir.path()));
    let report = registry.rescan_once().await;
    assert!(registry.is_empty());
    assert_eq!(
        report.problems[0].to_string(),
        format!(
            "{}: the kubeconfig cannot be used: user \"u\" has a token that is not a valid HTTP header value",
            dir.path().join("bad.yaml").display()
        )
    );
}
