//! The blueprint-controller's verdict, mirror and status (SPEC CTRL-2, as the platform runs
//! it): the one rule set, each visibility, pending dependencies, the mirror bytes and the
//! status that is written only when it changed.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use catalyst_core::catalog::{Mirror, Signature, judge, mirror_bytes, next_status, next_status_signed};
use serde_json::{Value, json};

fn blueprint(api: &str, visibility: Option<&str>) -> Value {
    let mut bp = json!({"apiVersion": format!("catalyst.openova.io/{api}"), "kind": "Blueprint",
        "metadata": {"name": "bp-shop", "uid": "u1", "resourceVersion": "7", "generation": 2,
                     "labels": {"catalyst.openova.io/section": "apps"},
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{…}", "note": "x"}},
        "spec": {"version": "1.4.0", "card": {"title": "Shop"}, "depends": [{"blueprint": "bp-postgres", "version": "^16"}]},
        "status": {"ociDigest": "sha256:abc"}});
    if let Some(v) = visibility {
        bp["spec"]["visibility"] = json!(v);
    }
    bp
}

fn catalog() -> BTreeSet<String> {
    ["bp-postgres".to_owned()].into()
}

#[test]
fn each_visibility_has_its_mirror_action() {
    let listed = judge(&blueprint("v1", Some("listed")), &catalog());
    assert_eq!(listed.errors, Vec::<String>::new());
    let Some(Mirror::Write { bytes, message }) = &listed.mirror else { panic!("{:?}", listed.mirror) };
    assert_eq!(message, "publish bp-shop @ 1.4.0");
    assert_eq!(bytes, &mirror_bytes(&blueprint("v1", Some("listed"))));
    // Absent visibility is listed, as the platform's controller reads it.
    assert!(matches!(judge(&blueprint("v1", None), &catalog()).mirror, Some(Mirror::Write { .. })));
    assert_eq!(
        judge(&blueprint("v1", Some("unlisted")), &catalog()).mirror,
        Some(Mirror::Delete { message: "unlist bp-shop".into() })
    );
    assert_eq!(
        judge(&blueprint("v1", Some("private")), &catalog()).mirror,
        Some(Mirror::Delete { message: "withdraw bp-shop".into() })
    );
    // A v1alpha1 object is judged the same way.
    assert!(matches!(
        judge(&blueprint("v1alpha1", Some("listed")), &catalog()).mirror,
        Some(Mirror::Write { .. })
    ));
}

#[test]
fn the_mirror_file_is_the_object_without_server_state() {
    let bytes = mirror_bytes(&blueprint("v1", Some("listed")));
    let back: Value = serde_saphyr::from_str(&bytes).unwrap();
    assert_eq!(
        back.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["apiVersion", "kind", "metadata", "spec"]
    );
    assert_eq!(
        back["metadata"],
        json!({"annotations": {"note": "x"}, "labels": {"catalyst.openova.io/section": "apps"}, "name": "bp-shop"})
    );
    assert!(
        !bytes.contains("last-applied") && !bytes.contains("ociDigest") && !bytes.contains("resourceVersion")
    );
    // Keys sorted at every level: the same object in another key order gives the same bytes.
    let mut reordered = blueprint("v1", Some("listed"));
    reordered["spec"] = json!({"visibility": "listed", "depends": [{"version": "^16", "blueprint": "bp-postgres"}], "card": {"title": "Shop"}, "version": "1.4.0"});
    assert_eq!(mirror_bytes(&reordered), bytes);
    let spec_at = bytes.find("\nspec:").unwrap();
    assert!(bytes[spec_at..].find("card").unwrap() < bytes[spec_at..].find("version").unwrap());
}

#[test]
fn invalid_blueprints_are_draft_and_write_nothing() {
    let mut bp = blueprint("v1", Some("listed"));
    bp["spec"]["placementSchema"] = json!({"modes": ["round-robin"]});
    let v = judge(&bp, &catalog());
    assert!(!v.errors.is_empty());
    assert!(v.errors.iter().any(|e| e.contains("round-robin")), "{:?}", v.errors);
    assert_eq!(v.mirror, None);
    let status = next_status(&bp["status"], &v, Some(2), "2026-12-07T10:00:00Z", None);
    assert_eq!(status["phase"], "Draft");
    assert_eq!(status["conditions"][0]["reason"], "ValidationFailed");
    assert_eq!(status["conditions"][0]["message"], v.errors.join("; ").as_str());
    assert_eq!(status["ociDigest"], "sha256:abc", "unknown status keys are kept");
    let mut bad = blueprint("v1", Some("everyone"));
    bad["spec"]["visibility"] = json!("everyone");
    assert!(judge(&bad, &catalog()).errors.iter().any(|e| e.contains("visibility")));
}

#[test]
fn unknown_dependencies_are_pending_and_do_not_block() {
    let v = judge(&blueprint("v1", Some("listed")), &BTreeSet::new());
    assert_eq!(v.pending, ["bp-postgres"]);
    assert!(v.mirror.is_some());
    let status = next_status(&json!({}), &v, Some(2), "2026-12-07T10:00:00Z", None);
    let pending = status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Pending").unwrap();
    assert_eq!(
        (pending["reason"].as_str(), pending["message"].as_str()),
        (Some("PendingDependencies"), Some("unresolved dependencies: bp-postgres"))
    );
}

#[test]
fn status_phases_times_and_stability() {
    let v = judge(&blueprint("v1", Some("listed")), &catalog());
    let first = next_status(&json!({"ociDigest": "sha256:abc"}), &v, Some(2), "2026-12-07T10:00:00Z", None);
    assert_eq!(
        (first["phase"].as_str(), first["publishedAt"].as_str()),
        (Some("Published"), Some("2026-12-07T10:00:00Z"))
    );
    assert_eq!(first["conditions"][0]["message"], "blueprint bp-shop mirrored (visibility=listed)");
    // The same verdict later: the same status, byte for byte (so it is not written again).
    assert_eq!(next_status(&first, &v, Some(2), "2026-12-07T11:00:00Z", None), first);
    // Withdrawn, then Published again: publishedAt stays the first one.
    let private = judge(&blueprint("v1", Some("private")), &catalog());
    let withdrawn = next_status(&first, &private, Some(3), "2026-12-07T12:00:00Z", None);
    assert_eq!(withdrawn["phase"], "Withdrawn");
    let again = next_status(&withdrawn, &v, Some(4), "2026-12-07T13:00:00Z", None);
    assert_eq!(again["publishedAt"], "2026-12-07T10:00:00Z");
    // Deprecated is kept; a Gitea failure is Draft/GiteaWriteFailed.
    let deprecated = next_status(&json!({"phase": "Deprecated"}), &v, Some(2), "t", None);
    assert_eq!(deprecated["phase"], "Deprecated");
    let failed = next_status(&first, &v, Some(2), "t", Some("Gitea answered 500"));
    assert_eq!(
        (failed["phase"].as_str(), failed["conditions"][0]["reason"].as_str()),
        (Some("Draft"), Some("GiteaWriteFailed"))
    );
    // A Gitea outage does not undo a deprecation.
    let outage = next_status(&json!({"phase": "Deprecated"}), &v, Some(2), "t", Some("Gitea answered 500"));
    assert_eq!(outage["phase"], "Deprecated");
}

#[test]
fn the_topology_schema_is_part_of_the_rule_set() {
    let mut bp = blueprint("v1", Some("listed"));
    bp["spec"]["topology"] = json!({"supported": []});
    let v = judge(&bp, &catalog());
    let topology: Vec<&String> = v.errors.iter().filter(|e| e.starts_with("topology schema: ")).collect();
    assert!(!topology.is_empty(), "{:?}", v.errors);
    assert!(topology.iter().any(|e| e.contains("/spec/topology")), "{topology:?}");
    assert_eq!(v.mirror, None);
    // Every Blueprint of the platform passes it (no false alarm on real data).
    let root = catalyst_testkit::fixture("openova/blueprints");
    let mut seen = 0;
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "blueprint.yaml") {
                let doc: Value = serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let found = catalyst_core::catalog::topology_findings(&doc);
                assert!(found.is_empty(), "{}: {found:?}", path.display());
                seen += 1;
            }
        }
    }
    assert_eq!(seen, 48);
}

#[test]
fn the_signature_check_decides_the_digest_and_outranks_a_gitea_failure() {
    let v = judge(&blueprint("v1", Some("listed")), &catalog());
    let verified = Signature::Verified {
        reference: "ghcr.io/openova-io/bp-shop:1.4.0".into(),
        digest: "sha256:1111".into(),
        key: "ci.pub".into(),
    };
    let ok = next_status_signed(&json!({"ociDigest": "sha256:0000"}), &v, Some(2), "t0", None, &verified);
    assert_eq!((ok["phase"].as_str(), ok["ociDigest"].as_str()), (Some("Published"), Some("sha256:1111")));
    let sig = ok["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "SignatureVerified").unwrap();
    assert_eq!(
        (sig["status"].as_str(), sig["reason"].as_str(), sig["message"].as_str()),
        (
            Some("True"),
            Some("Verified"),
            Some("ghcr.io/openova-io/bp-shop:1.4.0 is sha256:1111, signed with key ci.pub")
        )
    );
    // Stable: the same result later is the same status.
    assert_eq!(next_status_signed(&ok, &v, Some(2), "t1", None, &verified), ok);
    // Refused: Draft, the digest gone, and this outranks a Gitea failure; Deprecated is kept.
    let refused = Signature::Refused { reason: "SignatureMissing".into(), message: "no signature".into() };
    let bad = next_status_signed(&ok, &v, Some(2), "t2", Some("Gitea answered 500"), &refused);
    assert_eq!((bad["phase"].as_str(), bad.get("ociDigest")), (Some("Draft"), None));
    assert_eq!(bad["conditions"][0]["reason"], "SignatureInvalid");
    assert_eq!(bad["publishedAt"], "t0", "kept");
    let deprecated = next_status_signed(&json!({"phase": "Deprecated"}), &v, Some(2), "t", None, &refused);
    assert_eq!(deprecated["phase"], "Deprecated");
    // Unavailable: phase and digest as they were.
    let down = Signature::Unavailable { message: "registry error".into() };
    let outage = next_status_signed(&ok, &v, Some(2), "t3", None, &down);
    assert_eq!(
        (outage["phase"].as_str(), outage["ociDigest"].as_str()),
        (Some("Published"), Some("sha256:1111"))
    );
    assert_eq!(outage["conditions"][0]["reason"], "RegistryUnavailable");
    // Invalid outranks everything; a check that did not run drops the old condition.
    let mut invalid = v.clone();
    invalid.errors.push("spec.version: bad".into());
    assert_eq!(
        next_status_signed(&ok, &invalid, Some(3), "t", None, &refused)["conditions"][0]["reason"],
        "ValidationFailed"
    );
    let unchecked = next_status(&ok, &v, Some(2), "t4", None);
    assert!(unchecked["conditions"].as_array().unwrap().iter().all(|c| c["type"] != "SignatureVerified"));
    assert_eq!(unchecked["ociDigest"], "sha256:1111", "a digest is not removed by not checking");
}
