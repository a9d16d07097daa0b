//! How the controller is run: the shipped RBAC grants exactly what the scenarios request, the
//! Deployment matches the binary's flags and variables, `--help` documents every flag with its
//! variable, and configuration mistakes exit 2 before connecting.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use application_controller::config::{Config, LEASE_NAME};
use application_controller::deploy;
use application_controller::reconcile::reconcile_application;
use catalyst_runtime::leader::{Elector, LeaseTimings};
use catalyst_testkit::rbac::{allows, docs, permission};
use clap::CommandFactory as _;
use serde_json::json;
use support::*;

#[tokio::test]
async fn rbac_is_least_privilege_and_covers_every_request() {
    let rbac = docs(deploy::RBAC);
    let kinds: Vec<&str> = rbac.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Role", "RoleBinding"]
    );
    let cluster = rbac[1]["rules"].as_array().unwrap().clone();
    let flux = rbac[3]["rules"].as_array().unwrap().clone();
    let leases = rbac[5]["rules"].as_array().unwrap().clone();
    assert_eq!(rbac[3]["metadata"]["namespace"], "flux-system");
    for rule in cluster.iter().chain(&flux).chain(&leases) {
        for field in ["apiGroups", "resources", "verbs"] {
            assert!(!rule[field].as_array().unwrap().iter().any(|v| v == "*"), "no wildcard: {rule}");
        }
    }
    // A real run: create, steady state, hot standby, deletion, leader election.
    let w = world(true).await;
    w.api.put_object(&application(
        "site",
        "active-hotstandby",
        &["hetzner-fsn-rtz-prod", "hetzner-nbg-rtz-prod"],
        json!({}),
    ));
    reconcile_application("acme", "site", &w.ctx).await.unwrap();
    reconcile_application("acme", "site", &w.ctx).await.unwrap();
    w.api.patch_object(KEY, &json!({"metadata": {"deletionTimestamp": "2026-12-07T10:05:00Z"}}));
    reconcile_application("acme", "site", &w.ctx).await.unwrap();
    let e = Elector::new(w.api.client(), "catalyst-system", LEASE_NAME, "pod-a", LeaseTimings::default());
    assert!(e.try_acquire_or_renew().await.unwrap());
    let requests = w.api.requests();
    let seen: BTreeSet<(String, String, String, Option<String>)> = requests.iter().map(permission).collect();
    assert!(seen.len() >= 12, "{seen:?}");
    for (group, resource, verb, ns) in &seen {
        let rules = match (resource.as_str(), ns.as_deref()) {
            ("leases", _) => &leases,
            ("gitrepositories" | "kustomizations", Some("flux-system")) => &flux,
            _ => &cluster,
        };
        // Server-side apply that creates needs create as well as patch.
        let verbs: Vec<&str> =
            if verb == "patch" && resource != "applications" && !resource.ends_with("/status") {
                vec!["patch", "create"]
            } else {
                vec![verb.as_str()]
            };
        for v in verbs {
            assert!(allows(rules, group, resource, v), "{v} {group}/{resource} in {ns:?} is not granted");
        }
    }
    assert!(allows(&cluster, "apps.openova.io", "applications", "watch"));
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
        format!("ghcr.io/openova-io/application-controller:{}", env!("CARGO_PKG_VERSION"))
    );
    let cmd = Config::command();
    let default_of = |id: &str| {
        let arg = cmd.get_arguments().find(|a| a.get_id() == id).unwrap();
        arg.get_default_values()[0].to_str().unwrap().to_owned()
    };
    let port_of = |addr: String| addr.rsplit_once(':').unwrap().1.parse::<i64>().unwrap();
    let ports: Vec<(String, i64)> = c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p["containerPort"].as_i64().unwrap()))
        .collect();
    // The placement webhook listens where the Deployment tells it to.
    let webhook_addr = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "PLACEMENT_WEBHOOK_ADDR")
        .and_then(|e| e["value"].as_str())
        .expect("the bundle serves the placement webhook")
        .to_owned();
    assert_eq!(
        ports,
        [
            ("metrics".into(), port_of(default_of("metrics_addr"))),
            ("health".into(), port_of(default_of("health_addr"))),
            ("webhook".into(), port_of(webhook_addr))
        ]
    );
    // The certificate cert-manager writes is mounted where the binary reads it by default.
    let mount = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "webhook-tls")
        .and_then(|m| m["mountPath"].as_str())
        .unwrap()
        .to_owned();
    assert_eq!(default_of("placement_webhook_cert"), format!("{mount}/tls.crt"));
    assert_eq!(default_of("placement_webhook_key"), format!("{mount}/tls.key"));
    let mut known: BTreeSet<String> =
        cmd.get_arguments().filter_map(|a| a.get_env()).map(|e| e.to_str().unwrap().to_owned()).collect();
    known.extend(catalyst_core::apps::VARIABLES.iter().map(|v| (*v).to_owned()));
    let set: Vec<&str> = c["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    for name in &set {
        assert!(known.contains(*name), "the Deployment sets {name}, which the binary does not read");
    }
    assert!(set.contains(&"FLUX_GITEA_SECRET_REF") && set.contains(&"GITEA_PUBLIC_URL"));
    assert!(!set.contains(&"GITEA_TOKEN"), "the token comes from a mounted file");
}

#[test]
fn help_lists_every_flag_with_its_variable_and_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_application-controller")).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for arg in Config::command().get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if long == "help" || long == "version" {
            continue;
        }
        let env = arg.get_env().unwrap_or_else(|| panic!("--{long} has no environment variable"));
        assert!(help.contains(&format!("[env: {}=", env.to_str().unwrap())), "--{long}: variable missing");
        for d in arg.get_default_values() {
            assert!(
                help.contains(&format!("[default: {}]", d.to_str().unwrap())),
                "--{long}: default missing"
            );
        }
    }
    assert!(help.contains("FLUX_GITEA_SECRET_REF"), "the rendering variables are named");
}

#[test]
fn startup_refuses_bad_configuration_with_exit_2() {
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_application-controller"));
        cmd.env_clear().env("PATH", std::env::var("PATH").unwrap()).envs(vars.iter().copied());
        let out = cmd.output().unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    assert_eq!(
        run(&[]),
        (
            Some(2),
            "error: FLUX_GITEA_SECRET_REF is empty: host Flux could not clone from Gitea, which requires sign-in\n".into()
        )
    );
    let (code, stderr) = run(&[("FLUX_GITEA_SECRET_REF", "s"), ("GITEA_TOKEN_FILE", "/nonexistent/token")]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: --gitea-token-file /nonexistent/token: "), "{stderr}");
    let (code, stderr) = run(&[("FLUX_GITEA_SECRET_REF", "s"), ("LEADER_ELECT", "maybe")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("maybe"), "{stderr}");
}
