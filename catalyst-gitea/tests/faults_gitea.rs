//! Faults for a multi-file commit against the Gitea stand-in (checked against Gitea's swagger
//! by the other tests): each request of the commit in turn answers 500 or stalls past the
//! client's timeout. The commit is all or nothing, every time: either it landed whole, once,
//! or nothing did; and the next attempt (the next reconcile) converges with exactly one commit.
//! Part of `scripts/test`'s fault-and-load step (`faults*` test binaries).

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use catalyst_gitea::{Client, Config, Identity, Target, Token};
use catalyst_testkit::gitea::{Fault, TestServer};

const TOKEN: &str = "test-token";
const FILES: [&str; 3] =
    ["clusters/a/env.yaml", "clusters/a/gitrepository.yaml", "clusters/a/kustomization.yaml"];

fn contents(version: u32) -> Vec<(&'static str, Vec<u8>)> {
    FILES.iter().map(|p| (*p, format!("# {p}\nversion: {version}\n").into_bytes())).collect()
}

#[tokio::test]
async fn a_multi_file_commit_is_whole_or_absent_under_every_single_fault() {
    let who =
        Identity { name: "environment-controller".into(), email: "environment-controller@openova.io".into() };
    let t =
        Target { owner: "acme", repo: "acme-environment", branch: "main", message: "render", author: &who };
    let faults = [Fault::Status(500), Fault::Status(503), Fault::Stall(Duration::from_millis(1500))];
    let mut cases = 0;
    for fault in faults {
        // Reads, the write, and past it: 3 GETs and 1 POST when nothing fails.
        for n in 1..=5 {
            let dir = tempfile::tempdir().unwrap();
            let server = TestServer::start(dir.path(), TOKEN).await.unwrap();
            let config = Config::new(format!("{}/api/v1", server.url())).with_timeout(Duration::from_secs(1));
            let client = Client::from_config(&config, Token::new(TOKEN)).unwrap();
            client.create_org("acme").await.unwrap();
            client.create_repo("acme", "acme-environment", "main").await.unwrap();
            let v1 = contents(1);
            let files: Vec<(&str, &[u8])> = v1.iter().map(|(p, c)| (*p, c.as_slice())).collect();
            client.upsert_files(&t, &files).await.unwrap();
            let commits = || server.commit_count("acme", "acme-environment", "main");
            let before = commits();
            let on_disk = |version: u32| {
                contents(version).iter().all(|(p, c)| {
                    server.read_file("acme", "acme-environment", "main", p).as_deref() == Some(c.as_slice())
                })
            };

            let v2 = contents(2);
            let files: Vec<(&str, &[u8])> = v2.iter().map(|(p, c)| (*p, c.as_slice())).collect();
            server.fault_request(n, fault);
            let first = client.upsert_files(&t, &files).await;
            match &first {
                Ok(_) => assert!(
                    on_disk(2) && commits() == before + 1,
                    "{fault:?} at request {n}: Ok but not one whole commit"
                ),
                Err(e) => assert!(
                    on_disk(1) && commits() == before,
                    "{fault:?} at request {n}: {e}, and something was written"
                ),
            }
            // The next reconcile: converges, and the commit exists exactly once.
            client
                .upsert_files(&t, &files)
                .await
                .unwrap_or_else(|e| panic!("{fault:?} at request {n}: retry failed: {e}"));
            assert!(on_disk(2), "{fault:?} at request {n}");
            assert_eq!(commits(), before + 1, "{fault:?} at request {n}: one commit, never two");
            cases += 1;
        }
    }
    assert_eq!(cases, 15);
}
