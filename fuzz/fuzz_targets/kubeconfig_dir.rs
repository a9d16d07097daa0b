//! The kubeconfig-directory scanner on an arbitrary file: each input is dropped into a fresh
//! directory and the cluster registry rescans it. No panic, no hang; a file is registered or
//! reported, and one that would run a command or read a local file is never registered.
#![no_main]

use catalyst_core::registry::{ClusterRegistry, RegistryConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fuzzed.yaml"), data).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let registry = ClusterRegistry::new(RegistryConfig::new(dir.path()));
        let report = registry.rescan_once().await;
        assert_eq!(report.added.len() + report.problems.len(), 1, "{report:?}");
        if !report.added.is_empty()
            && let Ok(text) = std::str::from_utf8(data)
            && let Ok(k) = kube::config::Kubeconfig::from_yaml(text)
        {
            assert_eq!(catalyst_core::registry::external_credentials(&k), None, "registered a file that runs or reads: {text}");
        }
        // A second scan of the same file is quiet.
        assert!(registry.rescan_once().await.is_quiet());
    });
});
