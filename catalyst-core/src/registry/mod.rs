//! The cluster registry: clusters by ID from a directory of kubeconfigs, kept current by a
//! background rescan (SPEC CORE-6 … CORE-13, seed 000). Feature `client`.
//!
//! A Catalyst API Pod that restarted after handover found an empty kubeconfig directory, or
//! started before the `sovereign-fqdn` ConfigMap existed, and then served one cluster (or none)
//! until someone re-posted the kubeconfigs. This registry heals itself instead: every
//! [`rescan_interval`](RegistryConfig::rescan_interval) it registers kubeconfig files that
//! appeared since, and, until it knows its own cluster, it re-reads the ConfigMap.
//!
//! - A tick over an unchanged directory does nothing and logs nothing. Each change is logged
//!   once: a new cluster, a bad file (again only when the file changes), an unreadable
//!   directory.
//! - One bad kubeconfig never blocks the others; it is reported with its path.
//! - Clusters added while the registry runs get their watchers at once. Replacing or removing
//!   a cluster stops its watchers first.
//!
//! ```no_run
//! # async fn run() -> Result<(), catalyst_core::registry::RegistryError> {
//! use catalyst_core::registry::{ClusterRegistry, RegistryConfig};
//!
//! let registry = ClusterRegistry::with_watchers(RegistryConfig::new("/var/lib/catalyst/kubeconfigs"), |cluster| {
//!     let client = cluster.client().clone();
//!     vec![tokio::spawn(async move { let _ = client; /* watch something */ })]
//! });
//! let report = registry.start().await?;
//! for problem in &report.problems {
//!     eprintln!("skipped {problem}");
//! }
//! println!("clusters: {:?}", registry.ids());
//! registry.stop().await;
//! # Ok(()) }
//! ```

mod config;
mod scan;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::{Api, Client, Config};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::{Instant, MissedTickBehavior};

pub use config::{
    DEFAULT_DEPLOYMENTS_DIR, DEFAULT_KUBECONFIGS_DIR, DEFAULT_NAMESPACE, DEFAULT_RESCAN_INTERVAL,
    ENV_ALLOW_EXTERNAL_CREDENTIALS, ENV_DEPLOYMENTS_DIR, ENV_KUBECONFIGS_DIR, ENV_NAMESPACE,
    ENV_SELF_DEPLOYMENT_ID, ENV_SOVEREIGN_FQDN, MAX_DEPLOYMENT_RECORD_BYTES, MAX_DEPLOYMENT_RECORDS,
    RegistryConfig, SOVEREIGN_FQDN_CONFIGMAP, SOVEREIGN_FQDN_KEY,
};
use scan::FileStamp;
pub use scan::{
    FileProblem, KUBECONFIG_EXTENSIONS, KubeconfigFile, KubeconfigFileError, KubeconfigPolicy, LOAD_TIMEOUT,
    MAX_KUBECONFIG_BYTES, MAX_RESPONSE_BYTES, external_credentials, list_kubeconfigs, load_kubeconfig,
};

/// Where a registered cluster came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterSource {
    /// A kubeconfig file in the registry's directory.
    Kubeconfig {
        /// The file.
        path: PathBuf,
    },
    /// The registry's own cluster (the home client), registered once its FQDN was known.
    InCluster,
    /// Added by the caller through [`ClusterRegistry::add`].
    Added,
}

/// A registered cluster: its ID and a client for it.
#[derive(Clone)]
pub struct Cluster {
    id: String,
    client: Client,
    source: ClusterSource,
}

impl Cluster {
    /// A cluster named `id`, reached through `client`.
    pub fn new(id: impl Into<String>, client: Client, source: ClusterSource) -> Self {
        Self { id: id.into(), client, source }
    }

    /// The cluster ID.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A client for the cluster.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Where the cluster came from.
    pub fn source(&self) -> &ClusterSource {
        &self.source
    }
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client holds credentials; it is left out.
        f.debug_struct("Cluster").field("id", &self.id).field("source", &self.source).finish_non_exhaustive()
    }
}

/// Errors of the registry as a whole. Per-file problems are [`FileProblem`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The kubeconfig directory exists but cannot be read. The registry goes on with the
    /// clusters it has.
    #[error("cannot read kubeconfig directory {}", dir.display())]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// [`ClusterRegistry::start`] was called on a running registry.
    #[error("the cluster registry is already running")]
    AlreadyRunning,
}

/// What one scan changed. Only news is reported: a tick over an unchanged directory
/// returns an empty report ([`is_quiet`](Self::is_quiet)), and the registry logs exactly
/// what a report holds.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct RescanReport {
    /// Clusters registered from kubeconfig files, in ID order.
    pub added: Vec<String>,
    /// The self cluster, when this scan registered it.
    pub self_registered: Option<String>,
    /// Clusters dropped because their file vanished (only with `prune_missing`).
    pub pruned: Vec<String>,
    /// Files skipped for the first time, or again after they changed.
    pub problems: Vec<FileProblem>,
    /// The directory could not be read (reported when it starts failing).
    pub dir_error: Option<RegistryError>,
    /// Reading the `sovereign-fqdn` ConfigMap failed with a new error.
    pub configmap_error: Option<String>,
}

impl RescanReport {
    /// Nothing changed and nothing new went wrong.
    pub fn is_quiet(&self) -> bool {
        self.added.is_empty()
            && self.self_registered.is_none()
            && self.pruned.is_empty()
            && self.problems.is_empty()
            && self.dir_error.is_none()
            && self.configmap_error.is_none()
    }
}

type WatcherFactory = dyn Fn(&Cluster) -> Vec<JoinHandle<()>> + Send + Sync;

/// Clusters by ID, loaded from a kubeconfig directory and kept current by a rescan loop.
///
/// Cloning is cheap and shares the registry. Dropping the last clone stops the loop and
/// every watcher.
#[derive(Clone)]
pub struct ClusterRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    config: RegistryConfig,
    watchers: Option<Box<WatcherFactory>>,
    state: Mutex<State>,
    /// Serialises scans, so a manual [`ClusterRegistry::rescan_once`] and the loop never load
    /// the same file twice.
    scan_lock: tokio::sync::Mutex<()>,
    revision: watch::Sender<u64>,
}

#[derive(Default)]
struct State {
    clusters: BTreeMap<String, Entry>,
    running: bool,
    /// The ID the self cluster was registered (or found) under.
    self_id: Option<String>,
    /// Bad files already reported, by the version that failed.
    reported: HashMap<PathBuf, Option<FileStamp>>,
    dir_error_reported: bool,
    configmap_error: Option<String>,
    rescan_loop: Option<(watch::Sender<bool>, JoinHandle<()>)>,
}

struct Entry {
    cluster: Cluster,
    watchers: Vec<AbortHandle>,
}

impl Entry {
    fn stop_watchers(&mut self) {
        for handle in self.watchers.drain(..) {
            handle.abort();
        }
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.stop_watchers();
    }
}

impl fmt::Debug for ClusterRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterRegistry")
            .field("config", &self.inner.config)
            .field("ids", &self.ids())
            .field("running", &self.is_running())
            .finish()
    }
}

impl ClusterRegistry {
    /// A registry with no watchers.
    pub fn new(config: RegistryConfig) -> Self {
        Self::build(config, None)
    }

    /// A registry that runs `watchers` for each cluster while the registry runs: at
    /// [`start`](Self::start) for the clusters known then, and at once for each cluster
    /// registered later. The tasks it returns are aborted when the cluster is replaced or
    /// removed, or the registry stops. `watchers` runs under the registry's lock: it should
    /// spawn and return, and must not call back into the registry.
    pub fn with_watchers<F>(config: RegistryConfig, watchers: F) -> Self
    where
        F: Fn(&Cluster) -> Vec<JoinHandle<()>> + Send + Sync + 'static,
    {
        Self::build(config, Some(Box::new(watchers)))
    }

    fn build(config: RegistryConfig, watchers: Option<Box<WatcherFactory>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                watchers,
                state: Mutex::new(State::default()),
                scan_lock: tokio::sync::Mutex::new(()),
                revision: watch::Sender::new(0),
            }),
        }
    }

    /// A registry configured from the environment ([`RegistryConfig::from_env`]) with the
    /// in-cluster client as home client when the process runs in a Pod. Outside a cluster
    /// there is no home client and self-registration is skipped (CORE-10). Call it inside a
    /// tokio runtime.
    pub fn from_env() -> Self {
        let mut config = RegistryConfig::from_env();
        config.home_client = in_cluster_client();
        Self::new(config)
    }

    /// The configuration.
    pub fn config(&self) -> &RegistryConfig {
        &self.inner.config
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the map half-updated (every update is
        // one insert or remove), so a poisoned lock is still usable.
        self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Load the directory, register the self cluster when its FQDN is known (from
    /// `sovereign_fqdn`, else the ConfigMap), start the watchers and the rescan loop.
    ///
    /// An unreadable directory does not fail the start: it is in the report and logged, and
    /// the registry runs with the clusters it can reach.
    pub async fn start(&self) -> Result<RescanReport, RegistryError> {
        if self.is_running() {
            return Err(RegistryError::AlreadyRunning);
        }
        let startup_fqdn = self.inner.config.sovereign_fqdn.clone();
        let report = self.scan(startup_fqdn.as_deref()).await;
        let interval = self.inner.config.effective_rescan_interval();
        let mut state = self.state();
        if state.running {
            return Err(RegistryError::AlreadyRunning);
        }
        state.running = true;
        for entry in state.clusters.values_mut() {
            entry.watchers = self.spawn_watchers(&entry.cluster);
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let task = tokio::spawn(rescan_loop(Arc::downgrade(&self.inner), interval, stop_rx));
        state.rescan_loop = Some((stop_tx, task));
        drop(state);
        tracing::info!(
            dir = %self.inner.config.kubeconfigs_dir.display(),
            clusters = self.len(),
            interval_secs = interval.as_secs_f64(),
            "cluster registry started"
        );
        Ok(report)
    }

    /// Stop the rescan loop and every watcher, and wait for the loop to finish. The clusters
    /// stay registered; the registry can be started again. Idempotent.
    pub async fn stop(&self) {
        let rescan_loop = {
            let mut state = self.state();
            state.running = false;
            for entry in state.clusters.values_mut() {
                entry.stop_watchers();
            }
            state.rescan_loop.take()
        };
        if let Some((stop_tx, task)) = rescan_loop {
            let _ = stop_tx.send(true);
            // The loop only ends by this signal; a panic inside it has been logged by tokio.
            let _ = task.await;
            tracing::info!("cluster registry stopped");
        }
    }

    /// Whether [`start`](Self::start) has run and [`stop`](Self::stop) has not.
    pub fn is_running(&self) -> bool {
        self.state().running
    }

    /// One rescan, as the loop runs it every interval (CORE-8, CORE-9): register kubeconfig
    /// files whose ID is not registered yet, prune vanished ones when configured, and register
    /// the self cluster once the `sovereign-fqdn` ConfigMap names it.
    pub async fn rescan_once(&self) -> RescanReport {
        self.scan(None).await
    }

    async fn scan(&self, startup_fqdn: Option<&str>) -> RescanReport {
        let _one_at_a_time = self.inner.scan_lock.lock().await;
        let config = &self.inner.config;
        let mut report = RescanReport::default();

        let listing = match list_kubeconfigs(&config.kubeconfigs_dir) {
            Ok(files) => {
                self.state().dir_error_reported = false;
                Some(files)
            }
            Err(e) => {
                let mut state = self.state();
                if !state.dir_error_reported {
                    state.dir_error_reported = true;
                    tracing::warn!(error = %catalyst_naming::diagnostic::Chain(&e), "kubeconfig directory unreadable; keeping the registered clusters");
                    report.dir_error = Some(e);
                }
                None
            }
        };

        if let Some(files) = &listing {
            self.register_files(files, &mut report).await;
            if config.prune_missing {
                self.prune(files, &mut report);
            }
        }

        if let Some(home) = &config.home_client
            && self.state().self_id.is_none()
        {
            let fqdn = match startup_fqdn {
                Some(fqdn) => Some(fqdn.trim().to_owned()).filter(|f| !f.is_empty()),
                None => self.read_fqdn_configmap(home, &mut report).await,
            };
            if let Some(fqdn) = fqdn {
                self.register_self(home, &fqdn, &mut report);
            }
        }
        report
    }

    async fn register_files(&self, files: &[KubeconfigFile], report: &mut RescanReport) {
        let todo: Vec<&KubeconfigFile> = {
            let mut state = self.state();
            // Forget failures of files that are gone, so a file put back is reported again.
            state.reported.retain(|path, _| files.iter().any(|f| &f.path == path));
            files
                .iter()
                .filter(|f| match state.clusters.get(&f.id) {
                    // A kubeconfig file wins over the self entry with the same ID (CORE-9).
                    Some(entry) => entry.cluster.source == ClusterSource::InCluster,
                    None => state.reported.get(&f.path).is_none_or(|stamp| *stamp != FileStamp::of(&f.path)),
                })
                .collect()
        };
        for file in todo {
            match load_kubeconfig(file, self.inner.config.policy()).await {
                Ok(cluster) => {
                    self.state().reported.remove(&file.path);
                    let replaced = self.insert(cluster);
                    tracing::info!(
                        cluster = %file.id,
                        file = %file.path.display(),
                        replaced_self = replaced.is_some(),
                        "registered cluster from kubeconfig"
                    );
                    report.added.push(file.id.clone());
                }
                Err(error) => {
                    self.state().reported.insert(file.path.clone(), FileStamp::of(&file.path));
                    let problem = FileProblem { path: file.path.clone(), error };
                    tracing::warn!(cluster = %file.id, "skipping kubeconfig {problem}");
                    report.problems.push(problem);
                }
            }
        }
    }

    fn prune(&self, files: &[KubeconfigFile], report: &mut RescanReport) {
        let mut state = self.state();
        let gone: Vec<String> = state
            .clusters
            .values()
            .filter(|e| matches!(e.cluster.source, ClusterSource::Kubeconfig { .. }))
            .filter(|e| !files.iter().any(|f| f.id == e.cluster.id))
            .map(|e| e.cluster.id.clone())
            .collect();
        for id in gone {
            state.clusters.remove(&id);
            if state.self_id.as_deref() == Some(id.as_str()) {
                state.self_id = None;
            }
            tracing::info!(cluster = %id, "kubeconfig removed; cluster pruned");
            report.pruned.push(id);
        }
        drop(state);
        if !report.pruned.is_empty() {
            self.bump();
        }
    }

    /// The trimmed `fqdn` of the `sovereign-fqdn` ConfigMap; `None` when the ConfigMap or the
    /// key is absent or empty (the mothership has none), or the read failed (reported once
    /// per distinct error).
    async fn read_fqdn_configmap(&self, home: &Client, report: &mut RescanReport) -> Option<String> {
        let namespace = &self.inner.config.namespace;
        let api: Api<ConfigMap> = Api::namespaced(home.clone(), namespace);
        match api.get_opt(SOVEREIGN_FQDN_CONFIGMAP).await {
            Ok(cm) => {
                self.state().configmap_error = None;
                cm.and_then(|cm| cm.data)
                    .and_then(|mut data| data.remove(SOVEREIGN_FQDN_KEY))
                    .map(|fqdn| fqdn.trim().to_owned())
                    .filter(|fqdn| !fqdn.is_empty())
            }
            Err(e) => {
                let message = format!("reading ConfigMap {namespace}/{SOVEREIGN_FQDN_CONFIGMAP}: {e}");
                let mut state = self.state();
                if state.configmap_error.as_deref() != Some(message.as_str()) {
                    tracing::warn!("{message}; will retry on the next rescan");
                    state.configmap_error = Some(message.clone());
                    report.configmap_error = Some(message);
                }
                None
            }
        }
    }

    fn register_self(&self, home: &Client, fqdn: &str, report: &mut RescanReport) {
        let id = self.inner.config.self_cluster_id(fqdn);
        let mut state = self.state();
        if state.self_id.is_some() {
            return;
        }
        state.self_id = Some(id.clone());
        if state.clusters.contains_key(&id) {
            // Its kubeconfig file was registered first and wins.
            tracing::info!(cluster = %id, fqdn, "self cluster already registered from its kubeconfig");
            return;
        }
        let cluster = Cluster::new(id.clone(), home.clone(), ClusterSource::InCluster);
        self.insert_locked(&mut state, cluster);
        drop(state);
        self.bump();
        tracing::info!(cluster = %id, fqdn, "registered the self cluster");
        report.self_registered = Some(id);
    }

    /// Register `cluster`, replacing (and first stopping the watchers of) any cluster with the
    /// same ID. When the registry runs, the new cluster's watchers start at once (CORE-11).
    /// Returns the cluster it replaced.
    pub fn add(&self, cluster: Cluster) -> Option<Cluster> {
        self.insert(cluster)
    }

    fn insert(&self, cluster: Cluster) -> Option<Cluster> {
        let replaced = {
            let mut state = self.state();
            self.insert_locked(&mut state, cluster)
        };
        self.bump();
        replaced
    }

    fn insert_locked(&self, state: &mut State, cluster: Cluster) -> Option<Cluster> {
        let previous = state.clusters.remove(&cluster.id).map(|mut old| {
            old.stop_watchers();
            old.cluster.clone()
        });
        let watchers = if state.running { self.spawn_watchers(&cluster) } else { Vec::new() };
        state.clusters.insert(cluster.id.clone(), Entry { cluster, watchers });
        previous
    }

    fn spawn_watchers(&self, cluster: &Cluster) -> Vec<AbortHandle> {
        self.inner.watchers.as_ref().map_or_else(Vec::new, |start| {
            start(cluster).into_iter().map(|task| task.abort_handle()).collect()
        })
    }

    /// Unregister `id` and stop its watchers. Returns the cluster, `None` when it was not
    /// registered (not an error).
    pub fn remove(&self, id: &str) -> Option<Cluster> {
        let removed = {
            let mut state = self.state();
            if state.self_id.as_deref() == Some(id) {
                state.self_id = None;
            }
            state.clusters.remove(id).map(|mut entry| {
                entry.stop_watchers();
                entry.cluster.clone()
            })
        };
        if removed.is_some() {
            self.bump();
        }
        removed
    }

    /// The registered cluster IDs, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.state().clusters.keys().cloned().collect()
    }

    /// The cluster `id`.
    pub fn get(&self, id: &str) -> Option<Cluster> {
        self.state().clusters.get(id).map(|e| e.cluster.clone())
    }

    /// Every registered cluster, in ID order.
    pub fn clusters(&self) -> Vec<Cluster> {
        self.state().clusters.values().map(|e| e.cluster.clone()).collect()
    }

    /// How many clusters are registered.
    pub fn len(&self) -> usize {
        self.state().clusters.len()
    }

    /// Whether no cluster is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ID the self cluster is registered under, once known.
    pub fn self_id(&self) -> Option<String> {
        self.state().self_id.clone()
    }

    /// A receiver whose value (a revision number) changes whenever a cluster is added,
    /// replaced or removed: wait on `changed()` to react to new clusters.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.inner.revision.subscribe()
    }

    fn bump(&self) {
        self.inner.revision.send_modify(|revision| *revision += 1);
    }
}

/// The in-cluster client, when the process runs in a Pod with a service account.
pub fn in_cluster_client() -> Option<Client> {
    match Config::incluster() {
        Ok(config) => match Client::try_from(config) {
            Ok(client) => Some(client),
            Err(e) => {
                tracing::warn!(error = %e, "in-cluster configuration found but no client could be built; self-registration is off");
                None
            }
        },
        Err(e) => {
            tracing::debug!(error = %e, "not running in a cluster; self-registration is off");
            None
        }
    }
}

async fn rescan_loop(inner: Weak<Inner>, interval: Duration, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval_at(Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            // A stop signal, or the registry was dropped.
            _ = stop.changed() => return,
        }
        let Some(inner) = inner.upgrade() else { return };
        ClusterRegistry { inner }.rescan_once().await;
    }
}
