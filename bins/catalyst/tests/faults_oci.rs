//! Faults for `catalyst blueprint pull|push` against a real docker-registry on loopback: the
//! registry killed (SIGKILL) in the middle of moving a 50 MiB artifact. A TCP proxy in front of
//! it kills the process once 10 MiB have gone through, so the kill always lands mid-transfer.
//! Nothing half-done may remain: no `--out`, no partial blob in the cache, no tag on an
//! incomplete manifest; after the registry is back, the same command succeeds and verifies.
//! Part of `scripts/test`'s fault-and-load step (`faults*` test binaries).

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use catalyst_blueprint::artifact::Digest;
use catalyst_testkit::cli::{stderr, stdout};
use catalyst_testkit::registry::{Direction, Keys, KillingProxy, TestRegistry, kill_process};

const BIG: usize = 50 * 1024 * 1024;

fn catalyst(args: &[&str], env: &[(&str, &Path)]) -> Output {
    catalyst_testkit::catalyst_cli!().run_with(args, env)
}

/// A Blueprint folder whose chart carries 50 MiB that do not compress.
fn big_blueprint(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    fs::create_dir_all(src.join("chart/files")).unwrap();
    fs::write(
        src.join("blueprint.yaml"),
        "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-big}\nspec: {version: 1.0.0, card: {title: Big}, visibility: listed}\n",
    )
    .unwrap();
    fs::write(src.join("chart/Chart.yaml"), "apiVersion: v2\nname: big\nversion: 1.0.0\n").unwrap();
    // xorshift64: incompressible, reproducible, fast.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut data = Vec::with_capacity(BIG);
    while data.len() < BIG {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    fs::write(src.join("chart/files/blob.bin"), data).unwrap();
    src
}

fn push(src: &Path, reference: &str, key: &Path) -> Output {
    catalyst(
        &["-o", "json", "blueprint", "push", "--plain-http", "--sign", src.to_str().unwrap(), reference],
        &[("CATALYST_SIGN_KEY", key)],
    )
}

fn pull(reference: &str, key: &Path, out: &Path, cache: &Path) -> Output {
    catalyst(
        &[
            "-o",
            "json",
            "blueprint",
            "pull",
            "--plain-http",
            "--timeout",
            "120",
            reference,
            "--key",
            key.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
        ],
        &[],
    )
}

/// Every file of the cache's blob store holds exactly the bytes its name (a sha256) says.
fn assert_cache_whole(cache: &Path) {
    let blobs = cache.join("blobs/sha256");
    let Ok(entries) = fs::read_dir(&blobs) else { return };
    for e in entries {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "a temporary file was left in the cache: {}", path.display());
        let hash = Digest::of(&fs::read(&path).unwrap()).hex().to_owned();
        assert_eq!(hash, name, "a partial or corrupt blob in the cache: {}", path.display());
    }
}

#[test]
fn a_registry_killed_mid_pull_leaves_nothing_and_the_next_pull_verifies() {
    let mut reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let keys = Keys::new(&["a"]);
    let src = big_blueprint(tmp.path());
    let direct = format!("{}/openova-io/bp-big:1.0.0", reg.host());
    let o = push(&src, &direct, &keys.path("a.key"));
    assert!(o.status.success(), "{}", stderr(&o));

    let pid = reg.pid().unwrap();
    let proxy =
        KillingProxy::start(reg.host().parse().unwrap(), Direction::Down, 10 * 1024 * 1024, move || {
            kill_process(pid);
        });
    let via = format!("{}/openova-io/bp-big:1.0.0", proxy.host());
    let (out, cache) = (tmp.path().join("out"), tmp.path().join("cache"));
    let o = pull(&via, &keys.path("a.pub"), &out, &cache);
    assert!(proxy.fired(), "the registry was not killed: {}", stderr(&o));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains(&proxy.host()), "the error names the registry: {}", stderr(&o));
    assert!(!out.exists(), "--out exists after a failed pull");
    assert_cache_whole(&cache);

    reg.start_again().unwrap();
    let o = pull(&via, &keys.path("a.pub"), &out, &cache);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verified"], keys.path("a.pub").display().to_string(), "{v}");
    assert_eq!(fs::read(out.join("big/files/blob.bin")).unwrap().len(), BIG);
    assert_cache_whole(&cache);
}

#[test]
fn a_registry_killed_mid_push_tags_nothing_incomplete_and_the_retry_completes() {
    let mut reg = TestRegistry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let keys = Keys::new(&["a"]);
    let src = big_blueprint(tmp.path());
    let pid = reg.pid().unwrap();
    let proxy =
        KillingProxy::start(reg.host().parse().unwrap(), Direction::Up, 10 * 1024 * 1024, move || {
            kill_process(pid);
        });
    let via = format!("{}/openova-io/bp-big:1.0.0", proxy.host());
    let o = push(&src, &via, &keys.path("a.key"));
    assert!(proxy.fired(), "the registry was not killed: {}", stderr(&o));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains(&proxy.host()), "the error names the registry: {}", stderr(&o));

    reg.start_again().unwrap();
    // No tag points at anything: the manifest is written last, after every blob.
    let tag = reg.storage().join("docker/registry/v2/repositories/openova-io/bp-big/_manifests/tags/1.0.0");
    assert!(!tag.exists(), "a tag points at an incomplete artifact");

    let o = push(&src, &via, &keys.path("a.key"));
    assert!(o.status.success(), "{}", stderr(&o));
    let (out, cache) = (tmp.path().join("out"), tmp.path().join("cache"));
    let o = pull(&via, &keys.path("a.pub"), &out, &cache);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read(out.join("big/files/blob.bin")).unwrap().len(), BIG);
}
