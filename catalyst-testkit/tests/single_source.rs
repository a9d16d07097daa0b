//! The platform's names are written once, in catalyst-naming: no other crate's library or
//! binary code spells a NAME-* format, a label key or the Blueprint registry itself.
//!
//! Each pattern below is a fragment only a hand-built copy of a naming rule would contain.
//! Test modules (everything after `#[cfg(test)]`) and comments are not scanned: tests
//! assert the strings the rules produce.

use std::path::{Path, PathBuf};

/// (fragment, the rule it copies, where the one copy lives).
const COPIES: &[(&str, &str, &str)] = &[
    ("\"ws.", "NAME-22 JetStream prefix", "EnvironmentName::jetstream_prefix / unchecked::jetstream_prefix"),
    ("/environments/{", "NAME-22 manifest path", "unchecked::gitrepository_path"),
    ("clusters/{", "NAME-22 manifest path", "unchecked::gitrepository_path"),
    ("\"bp-", "NAME-13 Blueprint prefix", "BLUEPRINT_PREFIX / BlueprintName"),
    ("{}-{}-{}-{}", "NAME-6 host cluster", "Location::host_cluster / unchecked::host_cluster"),
    ("{org}{", "NAME-22 environment repo", "env_repo / unchecked::env_repo_name"),
    ("/env/{", "NAME-22 OpenBao path", "EnvironmentName::openbao_path"),
    ("\"catalyst-{", "NAME-18 namespace", "control_plane_namespace"),
    ("\"openova.io/", "NAME-25 label key", "keys::*"),
    ("\"catalyst.openova.io/environment", "NAME-27 label key", "keys::CATALYST_ENVIRONMENT*"),
    ("\"app.kubernetes.io/managed-by", "NAME-25 label key", "keys::K8S_MANAGED_BY"),
    ("\"ghcr.io\"", "NAME-13 registry", "BLUEPRINT_REGISTRY"),
    ("\"openova-io", "NAME-13 namespace", "BLUEPRINT_NAMESPACE"),
    ("\"gitea.{", "NAME-16 Gitea host", "Location::app_repo"),
    ("\"-environment\"", "NAME-22 repo suffix", "DEFAULT_ENV_REPO_SUFFIX"),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `src/` folders of every crate but catalyst-naming (and this test kit's own list).
fn sources() -> Vec<PathBuf> {
    let root = workspace();
    let mut dirs = Vec::new();
    for parent in [root.clone(), root.join("bins")] {
        for entry in std::fs::read_dir(&parent).expect("the workspace") {
            let dir = entry.expect("a directory entry").path();
            let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            if dir.join("Cargo.toml").is_file() && dir.join("src").is_dir() && name != "catalyst-naming" {
                dirs.push(dir.join("src"));
            }
        }
    }
    assert!(dirs.len() >= 8, "expected the workspace's crates, found {dirs:?}");
    let mut files = Vec::new();
    for d in dirs {
        rust_files(&d, &mut files);
    }
    files
}

#[test]
fn no_crate_but_naming_spells_a_naming_rule() {
    let mut found = Vec::new();
    for file in sources() {
        let text = std::fs::read_to_string(&file).expect("a source file");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("#[cfg(test)]") {
                break;
            }
            if code.starts_with("//") {
                continue;
            }
            for (fragment, rule, instead) in COPIES {
                if code.contains(fragment) {
                    let at = file.strip_prefix(workspace()).unwrap_or(&file).display().to_string();
                    found.push(format!(
                        "{at}:{}: {fragment} copies {rule}; use catalyst_naming::{instead}",
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(found.is_empty(), "hand-built names:\n{}", found.join("\n"));
}

#[test]
fn the_scan_sees_a_copy() {
    // The check above must be able to fail: a copy of the prefix is caught.
    let line = r#"let prefix = format!("ws.{org}-{env}.>");"#;
    assert!(COPIES.iter().any(|(f, _, _)| line.contains(f)));
}
