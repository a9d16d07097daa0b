//! How the controller is run: the shipped RBAC grants exactly what the scenarios request, the
//! Deployment matches the binary's flags and ports, `--help` documents every flag with its
//! variable, configuration mistakes exit 2 before connecting, probes and metrics are served.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use catalyst_runtime::leader::{Elector, LeaseTimings};
use clap::CommandFactory as _;
use continuum_controller::config::{Config, LEASE_NAME};
use continuum_controller::deploy;
use continuum_controller::reconcile::reconcile_continuum;
use continuum_controller::worker::{Memory, tick};
use serde_json::{Value, json};
use support::*;

fn docs(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(yaml).unwrap().into_iter().filter(|d| !d.is_null()).collect()
}

/// (apiGroup, resource, verb) of a request to the fake API.
fn permission(r: &catalyst_testkit::kube::ApiRequest) -> (String, String, String) {
    let p: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
    let rest = match p.as_slice() {
        ["apis", group, _version, rest @ ..] => (group.to_string(), rest.to_vec()),
        _ => panic!("unexpected path {}", r.path),
    };
    let (group, rest) = rest;
    let rest = if rest.first() == Some(&"namespaces") { rest[2..].to_vec() } else { rest };
    let (resource, named) = match rest.as_slice() {
        [res] => ((*res).to_owned(), false),
        [res, _] => ((*res).to_owned(), true),
        [res, _, sub] => (format!("{res}/{sub}"), true),
        _ => panic!("unexpected path {}", r.path),
    };
    let verb = match (r.method.as_str(), named) {
        ("GET", true) => "get",
        ("GET", false) if r.query.contains("watch=true") => "watch",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", _) => "delete",
        (m, _) => panic!("unexpected method {m}"),
    };
    (group, resource, verb.to_owned())
}

fn allows(rules: &[Value], (group, resource, verb): &(String, String, String)) -> bool {
    let has = |v: &Value, s: &str| v.as_array().is_some_and(|a| a.iter().any(|x| x == s));
    rules.iter().any(|rule| {
        has(&rule["apiGroups"], group) && has(&rule["resources"], resource) && has(&rule["verbs"], verb)
    })
}

#[tokio::test]
async fn rbac_is_least_privilege_and_covers_every_request() {
    let rbac = docs(deploy::RBAC);
    let kinds: Vec<&str> = rbac.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);
    let cluster_rules = rbac[1]["rules"].as_array().unwrap().clone();
    let lease_rules = rbac[3]["rules"].as_array().unwrap().clone();
    assert_eq!(rbac[3]["metadata"]["namespace"], "catalyst-system");
    for rule in cluster_rules.iter().chain(&lease_rules) {
        for field in ["apiGroups", "resources", "verbs"] {
            assert!(!rule[field].as_array().unwrap().iter().any(|v| v == "*"), "no wildcard: {rule}");
        }
    }
    let verbs: BTreeSet<&str> = cluster_rules
        .iter()
        .flat_map(|r| r["verbs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()))
        .collect();
    assert!(!verbs.contains("delete") && !verbs.contains("create"), "{verbs:?}");

    // Every request of a real run: reconcile, ticks with a switchover, leader election, the
    // witness Leases in the controller's namespace.
    let w = world(true).await;
    let ctx = {
        let audit = continuum_controller::audit::Audit::Nats(Box::new(
            continuum_controller::audit::NatsAudit::connect(&w.nats.url(), Duration::from_secs(5))
                .await
                .unwrap(),
        ));
        let settings = continuum_controller::worker::Settings {
            region: None,
            lease_namespace: Some("catalyst-system".into()),
        };
        let pdm = catalyst_dns::pdm::PdmClient::new(catalyst_dns::pdm::PdmConfig::new(w.pdm.url())).unwrap();
        Arc::new(continuum_controller::worker::Context::new(w.api.client(), Some(pdm), audit, settings))
    };
    reconcile_continuum("acme", "web-dr", &ctx).await.unwrap();
    ctx.workers.stop_all().await;
    let mut mem = Memory::default();
    tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    w.api.patch_object(KEY, &json!({"spec": {"switchover": {"requested": true}}}));
    let t = tick(&ctx, "acme", "web-dr", &mut mem).await.unwrap();
    assert!(t.switchover.unwrap().is_ok());
    assert!(w.api.lease("catalyst-system", LEASE).is_some(), "the witness Lease lives in CATALYST_LEASE_NS");
    let e = Elector::new(w.api.client(), "catalyst-system", LEASE_NAME, "pod-a", LeaseTimings::default());
    assert!(e.try_acquire_or_renew().await.unwrap());
    e.release().await.unwrap();
    let requests = w.api.requests();
    let kinds: BTreeSet<(String, String, String)> = requests.iter().map(permission).collect();
    assert!(kinds.len() >= 10, "{kinds:?}");
    for r in &requests {
        let p = permission(r);
        let rules = if p.1 == "leases" { &lease_rules } else { &cluster_rules };
        assert!(
            allows(rules, &p),
            "{} {} needs {p:?}, which the shipped RBAC does not grant",
            r.method,
            r.path
        );
    }
    // And the watch the controller runs.
    for verb in ["list", "watch"] {
        assert!(allows(&cluster_rules, &("dr.openova.io".into(), "continuums".into(), verb.into())));
    }
}

#[test]
fn the_deployment_matches_the_binary() {
    let d = &docs(deploy::DEPLOYMENT)[0];
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], docs(deploy::RBAC)[0]["metadata"]["name"]);
    assert_eq!(pod["securityContext"]["runAsUser"], 65534);
    let c = &pod["containers"][0];
    assert_eq!(
        c["image"].as_str().unwrap(),
        format!("ghcr.io/openova-io/continuum-controller:{}", env!("CARGO_PKG_VERSION"))
    );
    let ports: Vec<(String, i64)> = c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p["containerPort"].as_i64().unwrap()))
        .collect();
    let cmd = Config::command();
    let default_of = |id: &str| {
        let arg = cmd.get_arguments().find(|a| a.get_id() == id).unwrap();
        arg.get_default_values()[0].to_str().unwrap().to_owned()
    };
    let port_of = |addr: String| addr.rsplit_once(':').unwrap().1.parse::<i64>().unwrap();
    assert_eq!(
        ports,
        [
            ("metrics".into(), port_of(default_of("metrics_addr"))),
            ("health".into(), port_of(default_of("health_addr")))
        ]
    );
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    let known: BTreeSet<String> =
        cmd.get_arguments().filter_map(|a| a.get_env()).map(|e| e.to_str().unwrap().to_owned()).collect();
    let set: Vec<&str> = c["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    for name in &set {
        assert!(known.contains(*name), "the Deployment sets {name}, which the binary does not read");
    }
    for needed in ["PDM_API_URL", "NATS_URL", "CATALYST_LEASE_NS", "LEADER_ELECT_NS"] {
        assert!(set.contains(&needed), "{needed}");
    }
    assert!(!set.contains(&"PDM_AUTH_TOKEN"), "the token comes from a mounted file, not a plain env value");
    // The witness Leases live where the Role grants them.
    assert_eq!(d["metadata"]["namespace"], docs(deploy::RBAC)[3]["metadata"]["namespace"]);
}

#[test]
fn help_lists_every_flag_with_its_variable_and_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_continuum-controller")).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let mut checked = 0;
    for arg in Config::command().get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if long == "help" || long == "version" {
            continue;
        }
        assert!(help.contains(&format!("--{long}")), "--{long} missing from --help");
        let env = arg.get_env().unwrap_or_else(|| panic!("--{long} has no environment variable"));
        assert!(help.contains(&format!("[env: {}=", env.to_str().unwrap())), "--{long}: variable missing");
        for d in arg.get_default_values() {
            assert!(
                help.contains(&format!("[default: {}]", d.to_str().unwrap())),
                "--{long}: default missing"
            );
        }
        checked += 1;
    }
    assert!(checked >= 13, "{checked}");
    for flag in
        ["--metrics-bind-address", "--health-probe-bind-address", "--leader-elect", "[env: CATALYST_REGION="]
    {
        assert!(help.contains(flag), "{flag}");
    }
}

#[test]
fn startup_refuses_bad_configuration_with_exit_2() {
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_continuum-controller"));
        cmd.env_clear().env("PATH", std::env::var("PATH").unwrap()).envs(vars.iter().copied());
        let out = cmd.output().unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    assert_eq!(
        run(&[("NATS_URL", "http://nats:4222")]),
        (
            Some(2),
            "error: --nats-url (NATS_URL) \"http://nats:4222\" is not a nats:// or tls:// URL\n".into()
        )
    );
    let (code, stderr) = run(&[("PDM_API_URL", "ftp://pdm")]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with(
            "error: --pdm-api-url (PDM_API_URL): pdm: the PDM URL \"ftp://pdm\" is not http:// or https://"
        ),
        "{stderr}"
    );
    let (code, stderr) = run(&[("PDM_API_URL", "http://user:pw@pdm")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("carries credentials"), "{stderr}");
    assert!(!stderr.contains("pw@"), "the secret is not echoed: {stderr}");
    let (code, stderr) = run(&[("PDM_API_URL", "http://pdm"), ("PDM_AUTH_TOKEN_FILE", "/nonexistent/token")]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: --pdm-token-file /nonexistent/token: "), "{stderr}");
    let (code, stderr) = run(&[("LEADER_ELECT", "maybe")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("\"maybe\" is not one of true, false, 1, 0, yes, no"), "{stderr}");
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn probes_and_metrics_are_served() {
    let metrics = continuum_controller::metrics::Metrics::new();
    let ready = Arc::new(AtomicBool::new(false));
    let m2 = metrics.clone();
    let (m, h) = catalyst_runtime::router(move || m2.render(), ready.clone());
    let ml = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hl = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (ma, ha) = (ml.local_addr().unwrap(), hl.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(ml, m).await });
    tokio::spawn(async move { axum::serve(hl, h).await });
    assert!(http_get(ha, "/healthz").await.starts_with("HTTP/1.0 200"));
    assert!(http_get(ha, "/readyz").await.starts_with("HTTP/1.0 503"));
    ready.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(http_get(ha, "/readyz").await.starts_with("HTTP/1.0 200"));
    metrics.switchover("success");
    metrics.workers.set(2);
    let body = http_get(ma, "/metrics").await;
    assert!(body.contains("continuum_controller_switchovers_total{result=\"success\"} 1\n"), "{body}");
    assert!(body.contains("continuum_controller_workers 2\n"), "{body}");
}
