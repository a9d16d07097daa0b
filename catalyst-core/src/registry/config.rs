//! Registry configuration, resolved once from the environment (CORE-6, CORE-10, CORE-12).

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::Client;
use serde::Deserialize;

/// Env var naming the kubeconfig directory.
pub const ENV_KUBECONFIGS_DIR: &str = "CATALYST_K8SCACHE_KUBECONFIGS_DIR";
/// Env var naming the namespace of the `sovereign-fqdn` ConfigMap.
pub const ENV_NAMESPACE: &str = "CATALYST_NAMESPACE";
/// Env var carrying the Sovereign FQDN at startup.
pub const ENV_SOVEREIGN_FQDN: &str = "SOVEREIGN_FQDN";
/// Env var naming the self cluster's deployment ID outright.
pub const ENV_SELF_DEPLOYMENT_ID: &str = "CATALYST_SELF_DEPLOYMENT_ID";
/// Env var: `true` lets kubeconfigs run exec/auth-provider plugins and read local files.
pub const ENV_ALLOW_EXTERNAL_CREDENTIALS: &str = "CATALYST_K8SCACHE_ALLOW_EXTERNAL_CREDENTIALS";
/// Env var naming the deployment store directory.
pub const ENV_DEPLOYMENTS_DIR: &str = "CATALYST_DEPLOYMENTS_DIR";

/// Where kubeconfigs are read from when [`ENV_KUBECONFIGS_DIR`] is unset.
pub const DEFAULT_KUBECONFIGS_DIR: &str = "/var/lib/catalyst/kubeconfigs";
/// The deployment store when [`ENV_DEPLOYMENTS_DIR`] is unset.
pub const DEFAULT_DEPLOYMENTS_DIR: &str = "/var/lib/catalyst/deployments";
/// The namespace when [`ENV_NAMESPACE`] is unset.
pub const DEFAULT_NAMESPACE: &str = "catalyst-system";
/// The rescan interval when none (or zero) is configured.
pub const DEFAULT_RESCAN_INTERVAL: Duration = Duration::from_secs(30);
/// The ConfigMap that tells a Sovereign its own FQDN.
pub const SOVEREIGN_FQDN_CONFIGMAP: &str = "sovereign-fqdn";
/// The ConfigMap key holding the FQDN.
pub const SOVEREIGN_FQDN_KEY: &str = "fqdn";
/// At most this many deployment records are read when resolving the self cluster ID.
pub const MAX_DEPLOYMENT_RECORDS: usize = 8;
/// A deployment record larger than this is not read.
pub const MAX_DEPLOYMENT_RECORD_BYTES: u64 = 1024 * 1024;

/// How a [`ClusterRegistry`](super::ClusterRegistry) finds its clusters.
///
/// Everything the rescan loop needs is resolved here once, so the loop never re-reads the
/// environment (CORE-12).
#[derive(Clone)]
pub struct RegistryConfig {
    /// The directory of `*.kubeconfig` / `*.yaml` / `*.yml` files, one cluster each.
    pub kubeconfigs_dir: PathBuf,
    /// How often the directory (and the `sovereign-fqdn` ConfigMap) is re-read. Zero means
    /// [`DEFAULT_RESCAN_INTERVAL`].
    pub rescan_interval: Duration,
    /// A client for the registry's own cluster. When set, every tick reads the
    /// `sovereign-fqdn` ConfigMap through it and registers this cluster as the self cluster
    /// once the FQDN is known (CORE-9).
    pub home_client: Option<Client>,
    /// Namespace of the `sovereign-fqdn` ConfigMap.
    pub namespace: String,
    /// The FQDN known at startup (env `SOVEREIGN_FQDN`), if any.
    pub sovereign_fqdn: Option<String>,
    /// The self cluster's ID when set outright (env `CATALYST_SELF_DEPLOYMENT_ID`).
    pub self_deployment_id: Option<String>,
    /// The deployment store searched for the self cluster's ID (CORE-10).
    pub deployments_dir: PathBuf,
    /// Accept kubeconfigs that turn TLS verification off. Off by default: such a file is
    /// reported and skipped (OP-15).
    pub insecure_skip_tls_verify: bool,
    /// Drop a cluster whose kubeconfig file has gone from the directory. Off by default
    /// (OP-15): a vanished file leaves its cluster registered.
    pub prune_missing: bool,
    /// Accept kubeconfigs that run commands (`exec`, `auth-provider`) or read local files
    /// (`tokenFile`, certificate and key paths). Off by default: the files arrive from
    /// outside (the handover API), so such a file is reported and skipped.
    pub allow_external_credentials: bool,
}

impl RegistryConfig {
    /// A configuration for `kubeconfigs_dir` with every other setting at its default and no
    /// home client.
    pub fn new(kubeconfigs_dir: impl Into<PathBuf>) -> Self {
        Self {
            kubeconfigs_dir: kubeconfigs_dir.into(),
            rescan_interval: DEFAULT_RESCAN_INTERVAL,
            home_client: None,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            sovereign_fqdn: None,
            self_deployment_id: None,
            deployments_dir: PathBuf::from(DEFAULT_DEPLOYMENTS_DIR),
            insecure_skip_tls_verify: false,
            prune_missing: false,
            allow_external_credentials: false,
        }
    }

    /// What a kubeconfig file may ask of the registry under this configuration.
    pub fn policy(&self) -> super::KubeconfigPolicy {
        super::KubeconfigPolicy {
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            external_credentials: self.allow_external_credentials,
        }
    }

    /// Resolve the configuration from the process environment (see the `ENV_*` constants);
    /// unset or empty variables take their defaults. No home client is set: see
    /// [`ClusterRegistry::from_env`](super::ClusterRegistry::from_env) for that.
    pub fn from_env() -> Self {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// [`from_env`](Self::from_env) over any variable source (tests use a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |key: &str| lookup(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut config =
            Self::new(get(ENV_KUBECONFIGS_DIR).unwrap_or_else(|| DEFAULT_KUBECONFIGS_DIR.to_owned()));
        if let Some(ns) = get(ENV_NAMESPACE) {
            config.namespace = ns;
        }
        config.sovereign_fqdn = get(ENV_SOVEREIGN_FQDN);
        config.self_deployment_id = get(ENV_SELF_DEPLOYMENT_ID);
        if let Some(dir) = get(ENV_DEPLOYMENTS_DIR) {
            config.deployments_dir = PathBuf::from(dir);
        }
        config.allow_external_credentials = get(ENV_ALLOW_EXTERNAL_CREDENTIALS).is_some_and(|v| v == "true");
        config
    }

    /// The interval the loop actually uses: [`DEFAULT_RESCAN_INTERVAL`] when zero.
    pub fn effective_rescan_interval(&self) -> Duration {
        if self.rescan_interval.is_zero() { DEFAULT_RESCAN_INTERVAL } else { self.rescan_interval }
    }

    /// The self cluster's ID for `fqdn` (CORE-10): the configured deployment ID; else the ID
    /// of the deployment record whose `Request.SovereignFQDN` equals `fqdn` ignoring case
    /// (at most [`MAX_DEPLOYMENT_RECORDS`] `*.json` files, in name order); else
    /// `sovereign-<fqdn>`.
    pub fn self_cluster_id(&self, fqdn: &str) -> String {
        if let Some(id) = &self.self_deployment_id {
            return id.clone();
        }
        deployment_id_for(&self.deployments_dir, fqdn).unwrap_or_else(|| format!("sovereign-{fqdn}"))
    }
}

impl fmt::Debug for RegistryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client carries credentials: show only whether there is one.
        f.debug_struct("RegistryConfig")
            .field("kubeconfigs_dir", &self.kubeconfigs_dir)
            .field("rescan_interval", &self.rescan_interval)
            .field("home_client", &self.home_client.as_ref().map(|_| "<client>"))
            .field("namespace", &self.namespace)
            .field("sovereign_fqdn", &self.sovereign_fqdn)
            .field("self_deployment_id", &self.self_deployment_id)
            .field("deployments_dir", &self.deployments_dir)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("prune_missing", &self.prune_missing)
            .field("allow_external_credentials", &self.allow_external_credentials)
            .finish()
    }
}

#[derive(Deserialize)]
struct DeploymentRecord {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "Request")]
    request: DeploymentRequest,
}

#[derive(Deserialize)]
struct DeploymentRequest {
    #[serde(rename = "SovereignFQDN", default)]
    sovereign_fqdn: String,
}

/// The `ID` of the first record in `dir` (name order, at most [`MAX_DEPLOYMENT_RECORDS`]
/// `*.json` files) provisioned for `fqdn`. Unreadable or foreign files are passed over.
fn deployment_id_for(dir: &Path, fqdn: &str) -> Option<String> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files.truncate(MAX_DEPLOYMENT_RECORDS);
    files.iter().find_map(|path| {
        let mut text = String::new();
        fs::File::open(path).ok()?.take(MAX_DEPLOYMENT_RECORD_BYTES).read_to_string(&mut text).ok()?;
        let record: DeploymentRecord = serde_json::from_str(&text).ok()?;
        (!record.id.is_empty() && record.request.sovereign_fqdn.eq_ignore_ascii_case(fqdn))
            .then_some(record.id)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_when_the_environment_is_empty() {
        let c = RegistryConfig::from_lookup(lookup(&[(ENV_NAMESPACE, "  ")]));
        assert_eq!(c.kubeconfigs_dir, Path::new(DEFAULT_KUBECONFIGS_DIR));
        assert_eq!(c.namespace, DEFAULT_NAMESPACE);
        assert_eq!(c.deployments_dir, Path::new(DEFAULT_DEPLOYMENTS_DIR));
        assert_eq!(c.effective_rescan_interval(), Duration::from_secs(30));
        assert_eq!(c.sovereign_fqdn, None);
        assert!(!c.insecure_skip_tls_verify && !c.prune_missing);
    }

    #[test]
    fn environment_overrides() {
        let c = RegistryConfig::from_lookup(lookup(&[
            (ENV_KUBECONFIGS_DIR, "/k"),
            (ENV_NAMESPACE, "cat"),
            (ENV_SOVEREIGN_FQDN, " omantel.openova.io \n"),
            (ENV_SELF_DEPLOYMENT_ID, "d-42"),
            (ENV_DEPLOYMENTS_DIR, "/d"),
        ]));
        assert_eq!(c.kubeconfigs_dir, Path::new("/k"));
        assert_eq!(c.namespace, "cat");
        assert_eq!(c.sovereign_fqdn.as_deref(), Some("omantel.openova.io"));
        assert_eq!(c.self_cluster_id("anything"), "d-42");
        assert_eq!(c.deployments_dir, Path::new("/d"));
    }

    #[test]
    fn zero_interval_means_default() {
        let mut c = RegistryConfig::new("/k");
        c.rescan_interval = Duration::ZERO;
        assert_eq!(c.effective_rescan_interval(), DEFAULT_RESCAN_INTERVAL);
        c.rescan_interval = Duration::from_secs(5);
        assert_eq!(c.effective_rescan_interval(), Duration::from_secs(5));
    }

    #[test]
    fn self_id_from_the_deployment_store_ignoring_case() {
        let dir = tempfile::tempdir().unwrap();
        let rec = |id: &str, fqdn: &str| format!(r#"{{"ID":"{id}","Request":{{"SovereignFQDN":"{fqdn}"}}}}"#);
        fs::write(dir.path().join("a.json"), rec("d-other", "other.example.org")).unwrap();
        fs::write(dir.path().join("b.json"), "not json").unwrap();
        fs::write(dir.path().join("c.json"), rec("d-omantel", "Omantel.OpenOva.io")).unwrap();
        fs::write(dir.path().join("c.txt"), rec("d-txt", "txt.example.org")).unwrap();
        let mut c = RegistryConfig::new("/k");
        c.deployments_dir = dir.path().to_owned();
        assert_eq!(c.self_cluster_id("omantel.openova.io"), "d-omantel");
        assert_eq!(c.self_cluster_id("txt.example.org"), "sovereign-txt.example.org");
        assert_eq!(c.self_cluster_id("unknown.example.org"), "sovereign-unknown.example.org");
    }

    #[test]
    fn only_eight_records_are_read() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..9 {
            let fqdn = if i == 8 { "late.example.org" } else { "x.example.org" };
            fs::write(
                dir.path().join(format!("{i}.json")),
                format!(r#"{{"ID":"d-{i}","Request":{{"SovereignFQDN":"{fqdn}"}}}}"#),
            )
            .unwrap();
        }
        let mut c = RegistryConfig::new("/k");
        c.deployments_dir = dir.path().to_owned();
        assert_eq!(c.self_cluster_id("late.example.org"), "sovereign-late.example.org");
        assert_eq!(c.self_cluster_id("x.example.org"), "d-0");
    }

    #[test]
    fn debug_hides_the_client() {
        let c = RegistryConfig::new("/k");
        assert!(format!("{c:?}").contains("home_client: None"));
    }
}
