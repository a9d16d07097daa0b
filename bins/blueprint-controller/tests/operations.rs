//! How the controller is run: the shipped RBAC grants exactly what the scenarios request, the
//! Deployment matches the binary's flags and variables, `--help` documents every flag with its
//! variable, and configuration mistakes exit 2 before connecting.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use blueprint_controller::config::{Config, LEASE_NAME};
use blueprint_controller::deploy;
use blueprint_controller::reconcile::reconcile_blueprint;
use catalyst_runtime::leader::{Elector, LeaseTimings};
use catalyst_testkit::rbac::{allows, docs, permission};
use clap::CommandFactory as _;
use serde_json::json;
use support::*;

#[tokio::test]
async fn rbac_is_least_privilege_and_covers_every_request() {
    let rbac = docs(deploy::RBAC);
    let kinds: Vec<&str> = rbac.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);
    let cluster = rbac[1]["rules"].as_array().unwrap().clone();
    let leases = rbac[3]["rules"].as_array().unwrap().clone();
    let w = world().await;
    w.api.put_object(&blueprint("bp-shop", "listed", json!({})));
    reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    w.api.patch_object(&key("bp-shop"), &json!({"spec": {"visibility": "private"}}));
    reconcile_blueprint("bp-shop", &w.ctx).await.unwrap();
    let e = Elector::new(w.api.client(), "catalyst-system", LEASE_NAME, "pod-a", LeaseTimings::default());
    assert!(e.try_acquire_or_renew().await.unwrap());
    assert!(e.try_acquire_or_renew().await.unwrap(), "renewed");
    let seen: BTreeSet<(String, String, String, Option<String>)> =
        w.api.requests().iter().map(permission).collect();
    for (group, resource, verb, ns) in &seen {
        let rules = if resource == "leases" { &leases } else { &cluster };
        assert!(allows(rules, group, resource, verb), "{verb} {group}/{resource} in {ns:?} is not granted");
    }
    for rule in cluster.iter().chain(&leases) {
        for g in rule["apiGroups"].as_array().unwrap() {
            for r in rule["resources"].as_array().unwrap() {
                for v in rule["verbs"].as_array().unwrap() {
                    let (g, r, v) = (g.as_str().unwrap(), r.as_str().unwrap(), v.as_str().unwrap());
                    let used = seen.iter().any(|(sg, sr, sv, _)| sg == g && sr == r && sv == v);
                    let implied = v == "watch" || (r == "blueprints/status" && v == "get");
                    assert!(used || implied, "granted but never used: {v} {g}/{r}");
                }
            }
        }
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
        format!("ghcr.io/openova-io/blueprint-controller:{}", env!("CARGO_PKG_VERSION"))
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
    assert_eq!(
        ports,
        [
            ("metrics".into(), port_of(default_of("metrics_addr"))),
            ("health".into(), port_of(default_of("health_addr")))
        ]
    );
    let known: BTreeSet<String> =
        cmd.get_arguments().filter_map(|a| a.get_env()).map(|e| e.to_str().unwrap().to_owned()).collect();
    let set: Vec<&str> = c["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    for name in &set {
        assert!(known.contains(*name), "the Deployment sets {name}, which the binary does not read");
    }
    assert!(
        set.contains(&"CATALYST_GITEA_TOKEN_FILE") && !set.contains(&"CATALYST_GITEA_TOKEN"),
        "the token comes from a mounted file"
    );
}

#[test]
fn help_lists_every_flag_with_its_variable_and_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_blueprint-controller")).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for arg in Config::command().get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if long == "help" || long == "version" {
            continue;
        }
        let env = arg.get_env().unwrap_or_else(|| panic!("--{long} has no environment variable"));
        assert!(help.contains(&format!("[env: {}", env.to_str().unwrap())), "--{long}: variable missing");
        for d in arg.get_default_values() {
            assert!(
                help.contains(&format!("[default: {}]", d.to_str().unwrap())),
                "--{long}: default missing"
            );
        }
    }
}

#[test]
fn startup_refuses_bad_configuration_with_exit_2() {
    let run = |vars: &[(&str, &str)]| {
        let out = Command::new(env!("CARGO_BIN_EXE_blueprint-controller"))
            .env_clear()
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    let (code, stderr) = run(&[("CATALYST_GITEA_TOKEN_FILE", "/nonexistent/token")]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: --gitea-token-file /nonexistent/token: "), "{stderr}");
    let (code, stderr) = run(&[("LEADER_ELECT", "maybe")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("maybe"), "{stderr}");
    // The signature check: a registry needs keys, keys need a registry, a key must be one.
    let (code, stderr) = run(&[("CATALYST_OCI_REGISTRY", "ghcr.io/openova-io")]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "error: --oci-registry ghcr.io/openova-io needs at least one --cosign-key: the public keys Blueprints must be signed with\n"
    );
    let (code, stderr) = run(&[("CATALYST_COSIGN_KEYS", "/keys/a.pub")]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: --cosign-key without --oci-registry checks nothing"), "{stderr}");
    let keys = catalyst_testkit::registry::Keys::new(&["a"]);
    let not_a_key = keys.path("bad.pub");
    std::fs::write(&not_a_key, "hello").unwrap();
    let list = format!("{},/nonexistent/b.pub", not_a_key.display());
    let (code, stderr) =
        run(&[("CATALYST_OCI_REGISTRY", "ghcr.io/openova-io"), ("CATALYST_COSIGN_KEYS", list.as_str())]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with(&format!("error: --cosign-key {}: ", not_a_key.display())), "{stderr}");
    let good = keys.path("a.pub").display().to_string();
    let (code, stderr) =
        run(&[("CATALYST_OCI_REGISTRY", "ghcr.io/Open Ova"), ("CATALYST_COSIGN_KEYS", good.as_str())]);
    assert!(
        stderr.starts_with("error: --oci-registry \"ghcr.io/Open Ova\" does not make an OCI reference: "),
        "{stderr}"
    );
    assert_eq!(code, Some(2), "{stderr}");
    let (code, stderr) = run(&[
        ("CATALYST_OCI_REGISTRY", "ghcr.io/openova-io"),
        ("CATALYST_COSIGN_KEYS", good.as_str()),
        ("CATALYST_OCI_PLAIN_HTTP", "true"),
    ]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "error: --oci-plain-http is only allowed to a registry on loopback, not ghcr.io: credentials and content would travel in clear\n"
    );
}
