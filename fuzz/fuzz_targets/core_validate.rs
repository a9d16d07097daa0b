//! `catalyst validate`'s YAML path on arbitrary text: a report or an error, never a panic;
//! every finding names a rule and a message, and every error-free Catalyst document
//! deserializes into its typed kind. Every valid Environment renders (environment-controller's
//! `catalyst environment render`) deterministically, to paths that stay under `clusters/`.
#![no_main]

use catalyst_core::crd::{Environment, Kind};
use catalyst_core::gitops::{EnvironmentPlan, HostClusterNaming, RenderConfig};
use catalyst_core::validate::{Checked, validate_yaml_documents};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let Ok(documents) = validate_yaml_documents(s) else { return };
    for (r, _) in &documents {
        for f in &r.findings {
            assert!(!f.message.is_empty(), "{f:?}");
        }
        if matches!(r.checked, Checked::Skipped(_)) {
            assert!(r.findings.is_empty(), "a skipped document has findings: {r:?}");
        }
    }
    for (r, doc) in documents {
        if r.checked != Checked::Kind(Kind::Environment) || !r.is_valid() {
            continue;
        }
        let Ok(env) = serde_json::from_value::<Environment>(doc) else { continue };
        for naming in [HostClusterNaming::Verbatim, HostClusterNaming::Canonical] {
            let mut config = RenderConfig::new("https://gitea.example.test");
            config.host_cluster_naming = naming;
            let Ok(plan) = EnvironmentPlan::new(&env, &config) else { continue };
            assert_eq!(EnvironmentPlan::new(&env, &config).ok(), Some(plan.clone()), "not deterministic");
            for f in &plan.files {
                assert!(f.path.starts_with("clusters/") && f.path.ends_with("/gitrepository.yaml"), "{}", f.path);
                assert!(!f.path.split('/').any(|seg| seg == ".." || seg.is_empty()), "{}", f.path);
                assert!(f.content.ends_with('\n') && !f.content.ends_with("\n\n"), "{:?}", f.content);
            }
        }
    }
});
