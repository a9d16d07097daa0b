//! The blueprint-controller's reconcile against the in-memory Kubernetes API and catalyst-gitea's
//! test server (real git, checked against Gitea's swagger): each visibility, an invalid
//! placement mode, an unknown dependency, a Gitea failure, and a second pass that writes nothing.

#![allow(clippy::unwrap_used)]

mod support;

use blueprint_controller::reconcile::reconcile_blueprint;
use serde_json::json;
use support::*;

#[tokio::test]
async fn listed_is_mirrored_once_and_the_second_pass_writes_nothing() {
    let w = world().await;
    w.api.put_object(&blueprint("bp-shop", "listed", json!({})));
    let out = reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    assert_eq!((out.phase.as_deref(), out.gitea_writes, out.status_written), (Some("Published"), 2, true));
    let repo = w.gitea.client.get_repo("catalog", "bp-shop").await.unwrap();
    assert!(!repo.private, "the catalog mirror is public");
    let file = w.gitea.server.read_file("catalog", "bp-shop", "main", "blueprint.yaml").unwrap();
    let doc: serde_json::Value = serde_saphyr::from_slice(&file).unwrap();
    assert_eq!(doc["spec"]["version"], "1.4.0");
    assert!(doc.get("status").is_none());
    let st = status(&w, "bp-shop");
    assert_eq!(
        (st["phase"].as_str(), st["publishedAt"].as_str(), st["observedGeneration"].as_i64()),
        (Some("Published"), Some("2026-12-07T10:00:00Z"), Some(1))
    );
    assert_eq!(st["conditions"][0]["message"], "blueprint bp-shop mirrored (visibility=listed)");
    // The status write does not change the generation, and a second pass writes nothing at
    // all: no commit, no status (so the controller never triggers itself).
    let (kube_before, gitea_before) = (w.api.writes().len(), w.gitea.writes().len());
    let out = reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    assert_eq!((out.gitea_writes, out.status_written), (0, false));
    assert_eq!((w.api.writes().len(), w.gitea.writes().len()), (kube_before, gitea_before));
    assert_eq!(w.api.object(&key("bp-shop")).unwrap()["metadata"]["generation"], 1);
    assert_eq!(w.gitea.server.commit_count("catalog", "bp-shop", "main"), 2);
}

#[tokio::test]
async fn unlisted_and_private_take_the_file_down() {
    let w = world().await;
    w.api.put_object(&blueprint("bp-shop", "listed", json!({})));
    reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    w.api.patch_object(&key("bp-shop"), &json!({"spec": {"visibility": "unlisted"}}));
    let out = reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    assert_eq!((out.phase.as_deref(), out.gitea_writes), (Some("Published"), 1));
    assert!(w.gitea.server.read_file("catalog", "bp-shop", "main", "blueprint.yaml").is_none());
    w.api.patch_object(&key("bp-shop"), &json!({"spec": {"visibility": "private"}}));
    let out = reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    assert_eq!((out.phase.as_deref(), out.gitea_writes), (Some("Withdrawn"), 0));
    assert_eq!(status(&w, "bp-shop")["publishedAt"], "2026-12-07T10:00:00Z", "stamped once");
    // A private Blueprint that was never mirrored: nothing to take down, no repository made.
    w.api.put_object(&blueprint("bp-secret", "private", json!({})));
    let out = reconcile_blueprint("bp-secret", &w.ctx).await.unwrap();
    assert_eq!((out.phase.as_deref(), out.gitea_writes), (Some("Withdrawn"), 0));
    assert!(w.gitea.client.get_repo("catalog", "bp-secret").await.is_err());
}

#[tokio::test]
async fn an_invalid_placement_mode_is_draft_and_writes_nothing() {
    let w = world().await;
    w.api.put_object(&blueprint("bp-shop", "listed", json!({"placementSchema": {"modes": ["round-robin"]}})));
    let out = reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    assert_eq!(out.phase.as_deref(), Some("Draft"));
    assert!(w.gitea.writes().is_empty());
    let st = status(&w, "bp-shop");
    assert_eq!(st["conditions"][0]["reason"], "ValidationFailed");
    assert!(st["conditions"][0]["message"].as_str().unwrap().contains("round-robin"), "{st}");
}

#[tokio::test]
async fn an_unknown_dependency_is_pending_and_still_mirrored() {
    let w = world().await;
    w.api.put_object(&blueprint(
        "bp-shop",
        "listed",
        json!({"depends": [{"blueprint": "bp-postgres", "version": "^16"}]}),
    ));
    let out = reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    assert_eq!(out.phase.as_deref(), Some("Published"));
    assert!(w.gitea.server.read_file("catalog", "bp-shop", "main", "blueprint.yaml").is_some());
    let pending = status(&w, "bp-shop")["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Pending")
        .cloned()
        .unwrap();
    assert_eq!(pending["message"], "unresolved dependencies: bp-postgres");
    // Once the dependency is in the catalog, the condition goes.
    w.api.put_object(&blueprint("bp-postgres", "listed", json!({})));
    reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    assert!(status(&w, "bp-shop")["conditions"].as_array().unwrap().iter().all(|c| c["type"] != "Pending"));
}

#[tokio::test]
async fn a_gitea_failure_is_draft_and_keeps_what_ci_wrote() {
    let w = world().await;
    let mut bp = blueprint("bp-shop", "listed", json!({}));
    bp["status"] = json!({"ociDigest": "sha256:abc"});
    w.api.put_object(&bp);
    let mut ctx = w.ctx;
    ctx.gitea = Some(
        catalyst_gitea::Client::new(&w.gitea.server.url(), catalyst_gitea::Token::new("wrong")).unwrap(),
    );
    let err = reconcile_blueprint("bp-shop", &ctx).await.unwrap_err();
    assert!(err.to_string().starts_with("Blueprint bp-shop: mirror: "), "{err}");
    let st = w.api.object(&key("bp-shop")).unwrap()["status"].clone();
    assert_eq!(st["phase"], "Draft");
    assert_eq!(st["conditions"][0]["reason"], "GiteaWriteFailed");
    assert_eq!(st["ociDigest"], "sha256:abc");
    // Without Gitea at all (no token): validation and status only.
    ctx.gitea = None;
    let out = reconcile_blueprint("bp-shop", &ctx).await.unwrap();
    assert_eq!((out.phase.as_deref(), out.gitea_writes), (Some("Published"), 0));
}

#[tokio::test]
async fn a_repository_that_is_not_a_mirror_is_never_written_or_emptied() {
    let w = world().await;
    // Someone's private repository in the catalog org, with a blueprint.yaml of its own.
    w.gitea.client.create_repo("catalog", "bp-notes", "main").await.unwrap();
    w.gitea.server.commit_file("catalog", "bp-notes", "main", "blueprint.yaml", b"theirs\n").unwrap();
    let commits = w.gitea.server.commit_count("catalog", "bp-notes", "main");
    w.api.put_object(&blueprint("bp-notes", "listed", json!({})));
    let err = reconcile_blueprint("bp-notes", &w.ctx).await.unwrap_err();
    assert!(
        err.to_string().ends_with("catalog/bp-notes exists and is not a Blueprint mirror; not written"),
        "{err}"
    );
    assert_eq!(status(&w, "bp-notes")["conditions"][0]["reason"], "GiteaWriteFailed");
    w.api.patch_object(&key("bp-notes"), &json!({"spec": {"visibility": "private"}}));
    assert!(reconcile_blueprint("bp-notes", &w.ctx).await.is_err());
    assert_eq!(
        w.gitea.server.read_file("catalog", "bp-notes", "main", "blueprint.yaml").unwrap(),
        b"theirs\n"
    );
    assert_eq!(w.gitea.server.commit_count("catalog", "bp-notes", "main"), commits);
}

/// Every line a reconcile logs names its Blueprint, in the JSON format the controller writes
/// (catalyst-runtime's subscriber), and `RUST_LOG`-style filters apply.
#[tokio::test]
async fn every_log_line_of_a_reconcile_names_the_blueprint() {
    use kube::core::PartialObjectMetaExt as _;
    let w = world().await;
    w.api.put_object(&blueprint("bp-shop", "listed", json!({})));
    let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let (filter, warning) = catalyst_runtime::log_filter(Some("warn,blueprint_controller=info"));
    assert_eq!(warning, None);
    let sink = Sink(buffer.clone());
    let guard = tracing::subscriber::set_default(catalyst_runtime::log_subscriber(filter, true, move || {
        sink.clone()
    }));
    let shared = std::sync::Arc::new(blueprint_controller::Shared {
        ctx: w.ctx,
        metrics: blueprint_controller::metrics::Metrics::new(),
        failures: std::sync::Mutex::default(),
    });
    let meta = kube::api::ObjectMeta { name: Some("bp-shop".into()), ..Default::default() };
    blueprint_controller::reconcile(std::sync::Arc::new(meta.into_response_partial()), shared).await.unwrap();
    let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "mirrored to catalog/bp-shop"),
        "the reconcile logs what it wrote: {text}"
    );
    for line in &lines {
        assert_eq!(line["span"]["blueprint"], "bp-shop", "{line}");
        assert_eq!(line["span"]["name"], "reconcile", "{line}");
        assert!(line["level"] == "INFO" || line["level"] == "WARN", "{line}");
    }
    drop(guard);

    // RUST_LOG=warn: the warnings of a failed reconcile still name the Blueprint.
    let w = world().await;
    w.api.put_object(&blueprint("bp-shop", "listed", json!({})));
    let mut ctx = w.ctx;
    ctx.gitea = Some(
        catalyst_gitea::Client::new(&w.gitea.server.url(), catalyst_gitea::Token::new("wrong")).unwrap(),
    );
    buffer.lock().unwrap().clear();
    let (filter, _) = catalyst_runtime::log_filter(Some("warn"));
    let sink = Sink(buffer.clone());
    let _guard =
        tracing::subscriber::set_default(catalyst_runtime::log_subscriber(filter, true, move || {
            sink.clone()
        }));
    let shared = std::sync::Arc::new(blueprint_controller::Shared {
        ctx,
        metrics: blueprint_controller::metrics::Metrics::new(),
        failures: std::sync::Mutex::default(),
    });
    let meta = kube::api::ObjectMeta { name: Some("bp-shop".into()), ..Default::default() };
    assert!(
        blueprint_controller::reconcile(std::sync::Arc::new(meta.into_response_partial()), shared)
            .await
            .is_err()
    );
    let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.iter().any(|l| l["fields"]["message"] == "mirror failed"), "{text}");
    for line in &lines {
        assert_eq!(
            (line["level"].as_str(), line["span"]["blueprint"].as_str()),
            (Some("WARN"), Some("bp-shop"))
        );
    }
    let (_, warning) = catalyst_runtime::log_filter(Some("blueprint_controller=loud"));
    assert!(warning.unwrap().starts_with("RUST_LOG=\"blueprint_controller=loud\" is not a filter ("));
}

/// Log lines written into memory.
#[derive(Clone)]
struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
