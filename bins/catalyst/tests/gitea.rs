//! `catalyst gitea put-file` against the Gitea-compatible test server.

#![allow(clippy::unwrap_used)]

use catalyst_gitea::{Client, Token};
use catalyst_testkit::cli::stdout;
use catalyst_testkit::gitea::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn put_file_created_unchanged_updated_and_conflict() {
    let root = std::env::temp_dir().join(format!("catalyst-cli-gitea-{}", std::process::id()));
    let server = TestServer::start(&root, "tok").await.unwrap();
    let client = Client::new(&server.url(), Token::new("tok")).unwrap();
    client.create_org("acme").await.unwrap();
    client.create_repo("acme", "acme-environment", "main").await.unwrap();
    let file = root.join("local.yaml");
    let url = server.url();
    let run = |content: &str| {
        std::fs::write(&file, content).unwrap();
        catalyst_testkit::catalyst_cli!().env("GITEA_TOKEN", "tok").run(&[
            "gitea",
            "put-file",
            "--url",
            &url,
            "--org",
            "acme",
            "--repo",
            "acme-environment",
            "--branch",
            "main",
            "--path",
            "envs/acme-prod.yaml",
            "--file",
            file.to_str().unwrap(),
        ])
    };
    let out = run("a: 1\n");
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "created\n"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run("a: 1\n");
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(0), "unchanged\n"));
    assert_eq!(server.commit_count("acme", "acme-environment", "main"), 2);
    let out = run("a: 2\n");
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(0), "updated\n"));
    server.change_before_next_write("acme", "acme-environment", "envs/acme-prod.yaml", b"theirs\n");
    let out = run("a: 3\n");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: envs/acme-prod.yaml in acme/acme-environment changed since it was read"),
        "{err}"
    );
    assert_eq!(
        server.read_file("acme", "acme-environment", "main", "envs/acme-prod.yaml").unwrap(),
        b"theirs\n"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&root);
}

/// Issue 16 §3: `--org ..` sent `GET /api/v1/admin/…`-style requests with the token; now it
/// is a usage error before any request.
#[tokio::test(flavor = "multi_thread")]
async fn dot_segments_are_refused_before_any_request() {
    let root = std::env::temp_dir().join(format!("catalyst-cli-gitea-dots-{}", std::process::id()));
    let server = TestServer::start(&root, "tok").await.unwrap();
    let file = root.join("local.yaml");
    std::fs::write(&file, "a: 1\n").unwrap();
    let url = server.url();
    let out = catalyst_testkit::catalyst_cli!().env("GITEA_TOKEN", "tok").run(&[
        "gitea",
        "put-file",
        "--url",
        &url,
        "--org",
        "..",
        "--repo",
        "admin",
        "--branch",
        "main",
        "--path",
        "x.yaml",
        "--file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: invalid owner \"..\": '.' and '..' are not names\n"
    );
    assert!(server.exchanges().is_empty(), "a request was sent: {:?}", server.exchanges());
    drop(server);
    let _ = std::fs::remove_dir_all(&root);
}
