//! How the controller is run: the shipped RBAC grants exactly what the scenarios request, the
//! Deployment matches the binary's flags and variables, `--help` documents every flag with its
//! variable, and configuration mistakes exit 2 before connecting.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use catalyst_runtime::leader::{Elector, LeaseTimings};
use catalyst_testkit::rbac::{allows, docs, permission};
use clap::CommandFactory as _;
use organization_controller::config::{Config, LEASE_NAME};
use organization_controller::deploy;
use organization_controller::reconcile::reconcile_organization;
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
    // A real run: create, Ready with the Environment, suspend, deletion, leader election.
    let w = world().await;
    w.api.put_object(&standard());
    reconcile_organization("acme", &w.ctx).await.unwrap();
    vcluster_up(&w, true);
    reconcile_organization("acme", &w.ctx).await.unwrap();
    w.api.patch_object(ORG, &json!({"spec": {"suspended": true}}));
    reconcile_organization("acme", &w.ctx).await.unwrap();
    w.api.patch_object(ORG, &json!({"spec": {"owners": [{"email": "ops@acme.example", "role": "owner"}]}}));
    reconcile_organization("acme", &w.ctx).await.unwrap();
    w.api.patch_object(ORG, &json!({"metadata": {"deletionTimestamp": "2026-12-07T10:05:00Z"}}));
    for _ in 0..5 {
        reconcile_organization("acme", &w.ctx).await.unwrap();
    }
    let e = Elector::new(w.api.client(), "catalyst-system", LEASE_NAME, "pod-a", LeaseTimings::default());
    assert!(e.try_acquire_or_renew().await.unwrap());
    assert!(e.try_acquire_or_renew().await.unwrap(), "renewed");
    let seen: BTreeSet<(String, String, String, Option<String>)> =
        w.api.requests().iter().map(permission).collect();
    assert!(seen.len() >= 16, "{seen:?}");
    for (group, resource, verb, ns) in &seen {
        let rules = match (resource.as_str(), ns.as_deref()) {
            ("leases", _) => &leases,
            ("gitrepositories" | "kustomizations", Some("flux-system")) => &flux,
            _ => &cluster,
        };
        // Server-side apply that creates needs create as well as patch.
        let verbs: Vec<&str> =
            if verb == "patch" && resource != "organizations" && !resource.ends_with("/status") {
                vec!["patch", "create"]
            } else {
                vec![verb.as_str()]
            };
        for v in verbs {
            assert!(allows(rules, group, resource, v), "{v} {group}/{resource} in {ns:?} is not granted");
        }
    }
    assert!(allows(&cluster, "orgs.openova.io", "organizations", "watch"));
    // Nothing granted that no scenario used (besides watch/list of what is watched).
    for rule in cluster.iter().chain(&flux).chain(&leases) {
        for g in rule["apiGroups"].as_array().unwrap() {
            for r in rule["resources"].as_array().unwrap() {
                for v in rule["verbs"].as_array().unwrap() {
                    let (g, r, v) = (g.as_str().unwrap(), r.as_str().unwrap(), v.as_str().unwrap());
                    let used = seen.iter().any(|(sg, sr, sv, _)| {
                        sg == g && sr == r && (sv == v || (v == "create" && sv == "patch"))
                    });
                    // organizations/finalizers: what blockOwnerDeletion on the owner references needs
                    // where the OwnerReferencesPermissionEnforcement plugin runs (no request of its own).
                    let implied = matches!(v, "watch" | "list")
                        || (r == "organizations/status" && v == "get")
                        || (r == "organizations/finalizers" && v == "update");
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
        format!("ghcr.io/openova-io/organization-controller:{}", env!("CARGO_PKG_VERSION"))
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
    let mut known: BTreeSet<String> =
        cmd.get_arguments().filter_map(|a| a.get_env()).map(|e| e.to_str().unwrap().to_owned()).collect();
    known.extend(catalyst_core::tenant::VARIABLES.iter().map(|v| (*v).to_owned()));
    let set: Vec<&str> = c["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    for name in &set {
        assert!(known.contains(*name), "the Deployment sets {name}, which the binary does not read");
    }
    for required in [
        "CATALYST_HOST_CLUSTER",
        "CATALYST_FLUX_GITEA_SECRET_REF",
        "CATALYST_KC_ADDR",
        "CATALYST_KC_SA_CLIENT_ID",
    ] {
        assert!(set.contains(&required), "{required} is required and not set");
    }
    assert!(!set.contains(&"CATALYST_GITEA_TOKEN"), "the token comes from a mounted file");
    assert!(!set.contains(&"CATALYST_KC_SA_CLIENT_SECRET"), "the secret comes from a mounted file");
}

#[test]
fn help_lists_every_flag_with_its_variable_and_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_organization-controller")).arg("--help").output().unwrap();
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
    for var in catalyst_core::tenant::VARIABLES {
        assert!(help.contains(var), "{var} is not documented");
    }
}

#[test]
fn startup_refuses_bad_configuration_with_exit_2() {
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_organization-controller"));
        cmd.env_clear().env("PATH", std::env::var("PATH").unwrap()).envs(vars.iter().copied());
        let out = cmd.output().unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    let base = [
        ("CATALYST_HOST_CLUSTER", "hz-fsn-rtz-prod"),
        ("CATALYST_FLUX_GITEA_SECRET_REF", "gitea-flux"),
        ("CATALYST_KC_ADDR", "http://127.0.0.1:9"),
        ("CATALYST_KC_SA_CLIENT_ID", "organization-controller"),
        ("CATALYST_KC_SA_CLIENT_SECRET", "s"),
    ];
    let without = |k: &str| base.iter().copied().filter(|(n, _)| *n != k).collect::<Vec<_>>();
    assert_eq!(
        run(&without("CATALYST_HOST_CLUSTER")).1,
        "error: CATALYST_HOST_CLUSTER is required (the host cluster of the tenants' vClusters, e.g. hz-fsn-rtz-prod)\n"
    );
    assert_eq!(run(&without("CATALYST_FLUX_GITEA_SECRET_REF")).0, Some(2));
    assert_eq!(run(&without("CATALYST_KC_ADDR")), (Some(2), "error: CATALYST_KC_ADDR is required\n".into()));
    assert_eq!(
        run(&without("CATALYST_KC_SA_CLIENT_SECRET")),
        (Some(2), "error: CATALYST_KC_SA_CLIENT_SECRET is required\n".into())
    );
    let mut bad = base.to_vec();
    bad.push(("CATALYST_VCLUSTER_IMAGE_REGISTRY", "evil\nx"));
    let (code, stderr) = run(&bad);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: CATALYST_VCLUSTER_IMAGE_REGISTRY="), "{stderr}");
    let mut bad = base.to_vec();
    bad.push(("CATALYST_GITEA_TOKEN_FILE", "/nonexistent/token"));
    let (code, stderr) = run(&bad);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: --gitea-token-file /nonexistent/token: "), "{stderr}");
    let mut bad = base.to_vec();
    bad.push(("CATALYST_KC_REALM", "a/b"));
    let (code, stderr) = run(&bad);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not a realm name"), "{stderr}");
    // The secret never shows in an error.
    assert!(!stderr.contains("CATALYST_KC_SA_CLIENT_SECRET=s"));
}
