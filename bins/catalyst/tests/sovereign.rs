//! `catalyst sovereign watch` as a user runs it: whole watches against a Kubernetes API on
//! loopback reached through a kubeconfig (catalyst-testkit's `FluxApi`, which checks every
//! request against the API reference) ending `ready` (exit 0), `failed`, `timeout` with kit
//! releases never seen and `flux-crds-absent` (exit 1), with the live table on a terminal;
//! the kubeconfig that never arrives (`kubeconfig-missing`, exit 1, seed 001), one kube cannot
//! use (`watcher-start-failed`), an API that does not answer (exit 3), and usage errors
//! (exit 2). The watch's rules are tested on a paused clock in catalyst-core's tests.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use catalyst_testkit::fluxapi::{FluxApi, flux_crd, helmrelease};
use serde_json::Value;

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
    // Still an explicit outcome to record (CORE-18).
    let last: serde_json::Value = serde_json::from_str(text(&out.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "finished");
    assert_eq!(last["report"]["outcome"], "watcher-start-failed");
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

/// Starts `catalyst sovereign watch --kubeconfig <api's> ARGS` (stdout piped: JSON lines).
fn start_watch(api: &FluxApi, dir: &std::path::Path, args: &[&str]) -> tokio::process::Child {
    let kubeconfig = dir.join("new.kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    spawn_watch(&kubeconfig, args, &[])
}

fn spawn_watch(kubeconfig: &std::path::Path, args: &[&str], vars: &[(&str, &str)]) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_catalyst"))
        .args(["sovereign", "watch", "--kubeconfig", kubeconfig.to_str().unwrap()])
        .args(args)
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

async fn finish(child: tokio::process::Child) -> (Option<i32>, Vec<Value>, String) {
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output()).await.unwrap().unwrap();
    let lines = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (out.status.code(), lines, text(&out.stderr))
}

fn api_crd_without_v2() -> Value {
    let mut crd = flux_crd();
    for v in crd["spec"]["versions"].as_array_mut().unwrap() {
        if v["name"] == "v2" {
            v["served"] = Value::Bool(false);
        }
    }
    crd
}

fn transitions(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l["event"] == "transition")
        .map(|l| {
            format!(
                "{} {} -> {}",
                l["component"].as_str().unwrap(),
                l["from"].as_str().unwrap_or("-"),
                l["to"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn a_kit_that_installs_while_watched_is_ready_exit_0() {
    let api = FluxApi::start(Some(flux_crd()), "phase1-token").await.unwrap();
    api.apply(helmrelease("bp-cilium", Some(("True", "InstallSucceeded", "Helm install succeeded"))));
    api.apply(helmrelease("bp-cert-manager", Some(("Unknown", "Progressing", "Running 'install' action"))));
    api.apply(helmrelease("not-a-blueprint", Some(("False", "InstallFailed", "ignored: not bp-*"))));
    let dir = tempfile::tempdir().unwrap();
    let child = start_watch(&api, dir.path(), &[]);
    api.wait_for_watches(1).await;
    // The API server ends the watch; the watcher watches again from where it was.
    api.close_watches();
    api.wait_for_watches(2).await;
    api.apply(helmrelease("bp-cert-manager", Some(("True", "InstallSucceeded", "Helm install succeeded"))));
    let (code, lines, stderr) = finish(child).await;
    assert_eq!(code, Some(0), "{stderr}\n{lines:?}");
    assert_eq!(
        transitions(&lines),
        ["cert-manager - -> installing", "cilium - -> installed", "cert-manager installing -> installed"]
    );
    assert!(lines.iter().any(|l| l["event"] == "synced"));
    let report = &lines.last().unwrap()["report"];
    assert_eq!(report["outcome"], "ready");
    assert_eq!(report["status"], "ready");
    assert_eq!(
        report["component_states"],
        serde_json::json!({"cert-manager": "installed", "cilium": "installed"})
    );
    assert_eq!(stderr, "");
    assert_eq!(api.violations(), Vec::<String>::new());
    let requests = api.requests();
    assert_eq!(
        requests[0].path,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/helmreleases.helm.toolkit.fluxcd.io"
    );
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.path == "/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases"),
        "{requests:?}"
    );
}

#[tokio::test]
async fn a_failed_release_is_failed_exit_1_naming_it() {
    let api = FluxApi::start(Some(flux_crd()), "t").await.unwrap();
    api.apply(helmrelease("bp-cilium", Some(("True", "InstallSucceeded", "ok"))));
    api.apply(helmrelease("bp-openbao", Some(("False", "InstallFailed", "context deadline exceeded"))));
    let dir = tempfile::tempdir().unwrap();
    let (code, lines, stderr) = finish(start_watch(&api, dir.path(), &[])).await;
    assert_eq!(code, Some(1), "{stderr}");
    let report = &lines.last().unwrap()["report"];
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["status"], "failed");
    assert!(stderr.starts_with("error: ") && stderr.contains("openbao"), "{stderr}");
    assert_eq!(api.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn with_the_kit_a_release_never_seen_keeps_it_from_ready() {
    let api = FluxApi::start(Some(flux_crd()), "t").await.unwrap();
    api.apply(helmrelease("bp-cilium", Some(("True", "InstallSucceeded", "ok"))));
    let dir = tempfile::tempdir().unwrap();
    let (code, lines, stderr) =
        finish(start_watch(&api, dir.path(), &["--kit", "builtin", "--timeout", "3s"])).await;
    assert_eq!(code, Some(1), "{stderr}");
    let report = &lines.last().unwrap()["report"];
    // Everything seen is installed, which is "ready" without the kit.
    assert_eq!(report["outcome"], "timeout");
    assert_eq!(report["status"], "failed");
    let never_seen: Vec<&str> =
        report["never_seen"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(never_seen.contains(&"cert-manager") && !never_seen.contains(&"cilium"), "{never_seen:?}");
    assert!(stderr.contains("never seen: ") && stderr.contains("cert-manager"), "{stderr}");
}

#[tokio::test]
async fn a_release_degraded_past_the_grace_period_is_reported_as_it_happens() {
    let api = FluxApi::start(Some(flux_crd()), "t").await.unwrap();
    api.apply(helmrelease(
        "bp-cilium",
        Some(("False", "RollbackSucceeded", "Helm rollback to previous release succeeded")),
    ));
    let dir = tempfile::tempdir().unwrap();
    let child = start_watch(&api, dir.path(), &["--degraded-grace", "1s", "--timeout", "4s"]);
    let (code, lines, stderr) = finish(child).await;
    assert_eq!(code, Some(1), "{stderr}");
    let warned: Vec<&Value> = lines.iter().filter(|l| l["event"] == "degraded-past-grace").collect();
    assert_eq!(warned.len(), 1, "{lines:?}");
    assert_eq!(warned[0]["component"], "cilium");
    assert_eq!(warned[0]["grace"], "1s");
    assert_eq!(
        warned[0]["message"],
        "Ready=False RollbackSucceeded: Helm rollback to previous release succeeded"
    );
    let report = &lines.last().unwrap()["report"];
    assert_eq!(report["outcome"], "timeout");
    assert_eq!(report["stuck_degraded"][0]["component"], "cilium");
}

#[tokio::test]
async fn flux_without_helmrelease_v2_is_flux_crds_absent() {
    let api = FluxApi::start(Some(api_crd_without_v2()), "t").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("new.kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    let soon = [("CATALYST_PHASE1_FIRST_SEEN_TIMEOUT", "1s")];
    let (code, lines, stderr) = finish(spawn_watch(&kubeconfig, &[], &soon)).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(lines.last().unwrap()["report"]["outcome"], "flux-crds-absent");
    assert_eq!(
        stderr,
        "error: the Flux CRDs (helm.toolkit.fluxcd.io) are not installed on the new cluster, so no HelmRelease can be watched (the CRD helmreleases.helm.toolkit.fluxcd.io serves v2beta1, v2beta2 but not v2; Flux serves v2 from 2.3 on)\n"
    );
    assert_eq!(lines[0]["event"], "waiting");
    // And no CRD at all.
    let api = FluxApi::start(None, "t").await.unwrap();
    api.write_kubeconfig(&kubeconfig);
    let (code, lines, _) = finish(spawn_watch(&kubeconfig, &[], &soon)).await;
    assert_eq!(code, Some(1));
    assert_eq!(lines.last().unwrap()["report"]["outcome"], "flux-crds-absent");
    assert_eq!(api.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_token_the_api_refuses_is_watcher_start_failed() {
    let api = FluxApi::start(Some(flux_crd()), "the-right-token").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("new.kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    let wrong = std::fs::read_to_string(&kubeconfig).unwrap().replace("the-right-token", "a-stale-token");
    std::fs::write(&kubeconfig, wrong).unwrap();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_catalyst"))
        .args(["sovereign", "watch", "--kubeconfig", kubeconfig.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (code, lines, stderr) = finish(child).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(lines.last().unwrap()["report"]["outcome"], "watcher-start-failed");
    assert!(
        stderr.ends_with("nothing was observed (reading helmreleases.helm.toolkit.fluxcd.io: no valid bearer token: Unauthorized (HTTP 401))\n"),
        "{stderr}"
    );
    // The API refused it; the client asked as it should.
    assert_eq!(
        api.violations(),
        [
            "GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/helmreleases.helm.toolkit.fluxcd.io?: no valid bearer token"
        ]
    );
}

/// On a terminal (a pty from `script`), the table is redrawn in place and the outcome printed
/// as text.
#[tokio::test]
async fn on_a_terminal_the_table_is_redrawn_in_place() {
    let api = FluxApi::start(Some(flux_crd()), "t").await.unwrap();
    api.apply(helmrelease("bp-cilium", Some(("True", "InstallSucceeded", "Helm install succeeded"))));
    api.apply(helmrelease("bp-cert-manager", Some(("Unknown", "Progressing", "Running 'install' action"))));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("new.kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    let command =
        format!("{} sovereign watch --kubeconfig {}", env!("CARGO_BIN_EXE_catalyst"), kubeconfig.display());
    let child = tokio::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    api.wait_for_watches(1).await;
    api.apply(helmrelease("bp-cert-manager", Some(("True", "InstallSucceeded", "Helm install succeeded"))));
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output()).await.unwrap().unwrap();
    let screen = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(screen.contains("COMPONENT                STATE      MESSAGE"), "{screen:?}");
    // Redrawn in place: up one line and clear it, once per row of the previous drawing.
    assert!(screen.contains("\x1b[1A\x1b[2K\x1b[1A\x1b[2K\x1b[1A\x1b[2K"), "{screen:?}");
    assert!(
        screen.contains(
            "cert-manager             installed  Ready=True InstallSucceeded: Helm install succeeded"
        ),
        "{screen:?}"
    );
    assert!(screen.contains("outcome: ready\r\nstatus:  ready"), "{screen:?}");
    assert!(!screen.contains("\"event\""), "JSON on a terminal: {screen:?}");
}

/// Flux installed after the kubeconfig arrived: the watch waits for the CRD, then goes on.
#[tokio::test]
async fn a_crd_that_comes_later_is_waited_for() {
    let api = FluxApi::start(None, "t").await.unwrap();
    api.apply(helmrelease("bp-cilium", Some(("True", "InstallSucceeded", "ok"))));
    let dir = tempfile::tempdir().unwrap();
    let child = start_watch(&api, dir.path(), &[]);
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while !api.requests().iter().any(|r| r.path.ends_with("/helmreleases.helm.toolkit.fluxcd.io")) {
        assert!(std::time::Instant::now() < until);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    api.set_crd(Some(flux_crd()));
    let (code, lines, stderr) = finish(child).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(lines[0]["event"], "waiting");
    assert_eq!(lines.last().unwrap()["report"]["outcome"], "ready");
}

/// A kubeconfig caught half-written is read again; its parse error never quotes the token.
#[tokio::test]
async fn a_half_written_kubeconfig_is_read_again() {
    let api = FluxApi::start(Some(flux_crd()), "sha256-TOPSECRET").await.unwrap();
    api.apply(helmrelease("bp-cilium", Some(("True", "InstallSucceeded", "ok"))));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("new.kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    let whole = std::fs::read_to_string(&kubeconfig).unwrap();
    let cut = whole.find("sha256-TOPSECRET").unwrap() + 10;
    std::fs::write(&kubeconfig, format!("{}\n  bad: [", &whole[..cut])).unwrap();
    let child = spawn_watch(&kubeconfig, &[], &[]);
    tokio::time::sleep(Duration::from_millis(800)).await;
    std::fs::write(&kubeconfig, &whole).unwrap();
    let (code, lines, stderr) = finish(child).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(lines[0]["event"], "waiting");
    assert!(!format!("{lines:?}{stderr}").contains("TOPSECRET"));
    assert_eq!(lines.last().unwrap()["report"]["outcome"], "ready");
}
