//! What running the controller relies on: leader election on a Lease, the shipped RBAC
//! covering exactly the requests it makes, the Deployment matching the binary's flags and
//! ports, `--help`, startup refusals, and the probe and metrics endpoints.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::CommandFactory as _;
use environment_controller::config::Config;
use environment_controller::deploy;
use environment_controller::leader::{Elector, LEASE_NAME, LeaseTimings};
use environment_controller::reconcile::reconcile_environment;
use serde_json::Value;
use support::{FakeApi, Gitea, context, environment, hetzner, settings};

fn timings() -> LeaseTimings {
    LeaseTimings {
        lease_duration: Duration::from_secs(1),
        renew_deadline: Duration::from_millis(600),
        retry_period: Duration::from_millis(100),
    }
}

#[tokio::test]
async fn env_1_one_leader_at_a_time_takeover_on_expiry_and_release() {
    let api = FakeApi::default();
    let a = Elector::new(api.client(), "catalyst-system", LEASE_NAME, "pod-a", timings());
    let b = Elector::new(api.client(), "catalyst-system", LEASE_NAME, "pod-b", timings());
    assert!(a.try_acquire_or_renew().await.unwrap());
    assert!(!b.try_acquire_or_renew().await.unwrap());
    assert!(a.try_acquire_or_renew().await.unwrap(), "the holder renews");
    assert!(!b.try_acquire_or_renew().await.unwrap(), "pod-b sees the renewal");
    let lease = api.lease("catalyst-system", LEASE_NAME).unwrap();
    assert_eq!(lease["spec"]["holderIdentity"], "pod-a");
    assert_eq!(lease["spec"]["leaseDurationSeconds"], 1);
    // pod-a stops renewing: after the lease duration pod-b takes over.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(b.try_acquire_or_renew().await.unwrap());
    assert!(!a.try_acquire_or_renew().await.unwrap());
    let lease = api.lease("catalyst-system", LEASE_NAME).unwrap();
    assert_eq!(
        (lease["spec"]["holderIdentity"].as_str(), lease["spec"]["leaseTransitions"].as_i64()),
        (Some("pod-b"), Some(1))
    );
    // A graceful shutdown releases it; pod-a takes it at once.
    b.release().await.unwrap();
    assert!(a.try_acquire_or_renew().await.unwrap());
    // `hold` returns when someone else holds the Lease.
    let c = Elector::new(api.client(), "catalyst-system", LEASE_NAME, "pod-c", timings());
    let holder = tokio::spawn(async move { c.acquire().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!holder.is_finished(), "pod-c waits while pod-a renews");
    holder.abort();
    let a2 = a.clone();
    let hold = tokio::spawn(async move { a2.hold().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Someone else takes the lease behind pod-a's back (e.g. after a partition).
    let mut lease = api.lease("catalyst-system", LEASE_NAME).unwrap();
    lease["spec"]["holderIdentity"] = "pod-z".into();
    lease["spec"]["renewTime"] = "2099-01-01T00:00:00.000000Z".into();
    let z: kube::Api<k8s_openapi::api::coordination::v1::Lease> =
        kube::Api::namespaced(api.client(), "catalyst-system");
    z.replace(LEASE_NAME, &kube::api::PostParams::default(), &serde_json::from_value(lease).unwrap())
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(2), hold)
        .await
        .expect("hold returns when leadership is lost")
        .unwrap();
}

fn docs(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(yaml).unwrap().into_iter().filter(|d| !d.is_null()).collect()
}

/// (apiGroup, resource, verb, resourceName?) of a request to the fake API.
fn permission(r: &support::ApiRequest) -> (String, String, String, Option<String>) {
    let p: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
    let (group, rest) = match p.as_slice() {
        ["apis", group, _version, rest @ ..] => ((*group).to_owned(), rest.to_vec()),
        _ => panic!("unexpected path {}", r.path),
    };
    let rest = if rest.first() == Some(&"namespaces") { rest[2..].to_vec() } else { rest };
    let (resource, name) = match rest.as_slice() {
        [res] => ((*res).to_owned(), None),
        [res, name] => ((*res).to_owned(), Some((*name).to_owned())),
        [res, name, sub] => (format!("{res}/{sub}"), Some((*name).to_owned())),
        _ => panic!("unexpected path {}", r.path),
    };
    let verb = match (r.method.as_str(), &name) {
        ("GET", Some(_)) => "get",
        ("GET", None) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", _) => "delete",
        (m, _) => panic!("unexpected method {m}"),
    };
    (group, resource, verb.to_owned(), name)
}

fn allows(rules: &[Value], (group, resource, verb, name): &(String, String, String, Option<String>)) -> bool {
    let has = |v: &Value, s: &str| v.as_array().is_some_and(|a| a.iter().any(|x| x == s));
    rules.iter().any(|rule| {
        has(&rule["apiGroups"], group)
            && has(&rule["resources"], resource)
            && has(&rule["verbs"], verb)
            && (rule.get("resourceNames").is_none()
                || name.as_deref().is_some_and(|n| has(&rule["resourceNames"], n)))
    })
}

#[tokio::test]
async fn env_1_rbac_is_least_privilege_and_covers_every_request() {
    let rbac = docs(deploy::RBAC);
    let kinds: Vec<&str> = rbac.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);
    let cluster_rules = rbac[1]["rules"].as_array().unwrap().clone();
    let lease_rules = rbac[3]["rules"].as_array().unwrap().clone();
    // Nothing but Environments (read) and their status (write) cluster-wide; no wildcard.
    let granted: BTreeSet<String> = cluster_rules
        .iter()
        .flat_map(|r| {
            let res = r["resources"].as_array().unwrap().clone();
            let verbs = r["verbs"].as_array().unwrap().clone();
            res.into_iter().flat_map(move |x| {
                verbs
                    .clone()
                    .into_iter()
                    .map(move |v| format!("{}:{}", x.as_str().unwrap(), v.as_str().unwrap()))
            })
        })
        .collect();
    assert_eq!(
        granted.into_iter().collect::<Vec<_>>(),
        [
            "environments/status:get",
            "environments/status:patch",
            "environments:get",
            "environments:list",
            "environments:watch"
        ]
    );
    assert_eq!(rbac[3]["metadata"]["namespace"], "catalyst-system");

    // Every request of real scenarios is allowed by the shipped rules.
    let api = FakeApi::default();
    let gitea = Gitea::with_orgs(&["acme"]).await;
    api.insert(&environment("acme-prod", "acme", "prod", "single-region", &[&hetzner("fsn")]));
    api.insert(&environment("acme-dev", "acme", "dev", "multi-region", &[&hetzner("fsn")]));
    let ctx = context(&api, &gitea, settings());
    reconcile_environment("acme-prod", &ctx).await.unwrap();
    reconcile_environment("acme-dev", &ctx).await.unwrap();
    reconcile_environment("gone", &ctx).await.unwrap();
    let e = Elector::new(api.client(), "catalyst-system", LEASE_NAME, "pod-a", timings());
    assert!(e.try_acquire_or_renew().await.unwrap());
    assert!(e.try_acquire_or_renew().await.unwrap());
    e.release().await.unwrap();
    let requests = api.requests();
    assert!(requests.len() >= 8, "{requests:?}");
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
}

#[test]
fn env_1_deployment_matches_the_binary() {
    let d = &docs(deploy::DEPLOYMENT)[0];
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], docs(deploy::RBAC)[0]["metadata"]["name"]);
    assert_eq!(pod["securityContext"]["runAsUser"], 65534);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let c = &pod["containers"][0];
    // A pinned image: the release this manifest belongs to, never a moving tag.
    assert_eq!(
        c["image"].as_str().unwrap(),
        format!("ghcr.io/openova-io/environment-controller:{}", env!("CARGO_PKG_VERSION"))
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
    assert_eq!(c["readinessProbe"]["httpGet"]["port"], "health");
    // Every variable the Deployment sets is one the binary reads; the required one is set.
    let known: BTreeSet<String> =
        cmd.get_arguments().filter_map(|a| a.get_env()).map(|e| e.to_str().unwrap().to_owned()).collect();
    let set: Vec<&str> = c["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    for name in &set {
        assert!(known.contains(*name), "the Deployment sets {name}, which the binary does not read");
    }
    assert!(set.contains(&"GITEA_PUBLIC_URL"));
    assert!(!set.contains(&"GITEA_TOKEN"), "the token comes from a mounted file, not a plain env value");
}

#[test]
fn help_lists_every_flag_with_its_variable_and_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_environment-controller")).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let cmd = Config::command();
    let mut checked = 0;
    for arg in cmd.get_arguments() {
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
    assert!(checked >= 20, "{checked}");
    for default in [
        "[default: flux-system]",
        "[default: 60]",
        "[default: -environment]",
        "[default: 300]",
        "[default: gitea-flux-token]",
    ] {
        assert!(help.contains(default), "{default}");
    }
}

#[test]
fn startup_refuses_a_missing_public_url_and_an_empty_secret() {
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_environment-controller"));
        cmd.env_clear().env("PATH", std::env::var("PATH").unwrap()).envs(vars.iter().copied());
        let out = cmd.output().unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    assert_eq!(
        run(&[]),
        (Some(2), "error: --gitea-public-url (GITEA_PUBLIC_URL) is required: the URL Flux clones environment repositories from\n".into())
    );
    let (code, stderr) = run(&[("GITEA_PUBLIC_URL", "https://g"), ("GITEA_SECRET_REF", " ")]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: --gitea-secret-ref (GITEA_SECRET_REF) is empty"), "{stderr}");
    let (code, stderr) =
        run(&[("GITEA_PUBLIC_URL", "https://g"), ("GITEA_TOKEN_FILE", "/nonexistent/token")]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: --gitea-token-file /nonexistent/token: "), "{stderr}");
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
    let metrics = environment_controller::metrics::Metrics::new();
    let ready = Arc::new(AtomicBool::new(false));
    let (m, h) = environment_controller::router(metrics.clone(), ready.clone());
    let ml = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hl = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (ma, ha) = (ml.local_addr().unwrap(), hl.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(ml, m).await });
    tokio::spawn(async move { axum::serve(hl, h).await });
    assert!(http_get(ha, "/healthz").await.starts_with("HTTP/1.0 200"));
    assert!(http_get(ha, "/readyz").await.starts_with("HTTP/1.0 503"));
    ready.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(http_get(ha, "/readyz").await.starts_with("HTTP/1.0 200"));
    metrics.leader.set(1);
    let body = http_get(ma, "/metrics").await;
    assert!(body.contains("environment_controller_leader 1\n"), "{body}");
    assert!(body.contains("# TYPE environment_controller_reconcile_duration_seconds histogram"), "{body}");
}

#[tokio::test]
async fn reconciles_follow_generation_changes_not_status_writes() {
    use futures::StreamExt as _;
    use kube::runtime::watcher::Event;
    let env = |generation: i64, rv: &str, phase: Option<&str>| {
        let mut v: Value = serde_saphyr::from_str(&environment(
            "acme-prod",
            "acme",
            "prod",
            "single-region",
            &[&hetzner("fsn")],
        ))
        .unwrap();
        v["metadata"]["generation"] = generation.into();
        v["metadata"]["resourceVersion"] = rv.into();
        if let Some(p) = phase {
            v["status"] = serde_json::json!({"phase": p});
        }
        serde_json::from_value::<catalyst_core::crd::Environment>(v).unwrap()
    };
    let events = vec![
        Ok(Event::Apply(env(1, "1", None))),
        Ok(Event::Apply(env(1, "2", Some("Ready")))), // our own status write
        Ok(Event::Apply(env(1, "3", Some("Degraded")))), // and another
        Ok(Event::Apply(env(2, "4", Some("Degraded")))), // a spec edit
        Ok(Event::Delete(env(2, "5", None))),
    ];
    let seen: Vec<String> = environment_controller::triggers(futures::stream::iter(events))
        .map(|r| r.unwrap().metadata.resource_version.unwrap())
        .collect()
        .await;
    assert_eq!(seen, ["1", "4"]);
}
