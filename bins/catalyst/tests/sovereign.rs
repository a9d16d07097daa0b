//! `catalyst sovereign watch` as a user runs it: the kubeconfig that never arrives
//! (`kubeconfig-missing`, exit 1, seed 001), one kube cannot use (`watcher-start-failed`), an
//! API that does not answer (exit 3), and usage errors (exit 2). The watch itself runs against
//! a scripted API in catalyst-core's tests.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

fn watch(args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_catalyst"))
        .args(["sovereign", "watch"])
        .args(args)
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_kubeconfig_that_never_arrives_is_kubeconfig_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("otech9.kubeconfig");
    let out = watch(
        &["--kubeconfig", path.to_str().unwrap()],
        &[("CATALYST_PHASE1_KUBECONFIG_ARRIVAL_TIMEOUT", "1s")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // Piped: one JSON object per line, the last the report.
    let last: serde_json::Value = serde_json::from_str(text(&out.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "finished");
    assert_eq!(last["report"]["outcome"], "kubeconfig-missing");
    assert_eq!(last["report"]["status"], "failed");
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: the new cluster never PUT its kubeconfig to /api/v1/deployments/<id>/kubeconfig, so Phase 1 could not watch anything; check the cloud-init logs of the first control-plane node (no kubeconfig at {} after 1s)\n",
            path.display()
        )
    );
}

#[test]
fn a_kubeconfig_kube_cannot_use_is_watcher_start_failed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.kubeconfig");
    std::fs::write(&path, "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    exec: {command: /bin/sh, apiVersion: client.authentication.k8s.io/v1}\n").unwrap();
    let out = watch(&["--kubeconfig", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let last: serde_json::Value = serde_json::from_str(text(&out.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(last["report"]["outcome"], "watcher-start-failed");
    let err = text(&out.stderr);
    assert!(err.starts_with("error: the Phase-1 watch could not start"), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
}

#[test]
fn an_api_that_does_not_answer_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("closed.kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:9'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n",
    )
    .unwrap();
    // Retried while the arrival timeout lasts (a new cluster's API may come up late).
    let out = watch(
        &["--kubeconfig", path.to_str().unwrap()],
        &[("CATALYST_PHASE1_KUBECONFIG_ARRIVAL_TIMEOUT", "3s")],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).starts_with("error: the Kubernetes API of the new cluster cannot be reached: "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = watch(&["--kubeconfig", "k", "--timeout", "soon"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), "error: --timeout \"soon\": not a positive duration (90s, 15m, 1h)\n");
    let out = watch(&["--kubeconfig", "k", "--kit", "/nonexistent/kit"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: --kit /nonexistent/kit: "), "{}", text(&out.stderr));
}
