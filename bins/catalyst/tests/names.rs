//! `catalyst names …` as a user runs it: output keys, exit codes and error messages.

#![allow(clippy::unwrap_used)]

use std::process::Output;

use serde_json::json;

fn catalyst(args: &[&str]) -> Output {
    catalyst_testkit::catalyst_cli!().run(args)
}

use catalyst_testkit::cli::{json as stdout_json, stderr};

const SHORT: [&str; 12] = [
    "names",
    "--provider",
    "hz",
    "--region",
    "fsn",
    "--building-block",
    "rtz",
    "--env-type",
    "prod",
    "--org",
    "acme",
    "--sovereign",
];

#[test]
fn names_json_has_the_derived_names_and_labels() {
    let mut args = SHORT.to_vec();
    args.extend(["omantel.biz", "-o", "json"]);
    let out = catalyst(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = stdout_json(&out);
    assert_eq!(v["cluster_context"], "hz-fsn-rtz-prod");
    assert_eq!(v["location_code"], "hfrp");
    assert_eq!(v["vpc"], "rtz-prod");
    assert_eq!(v["vcluster"], "acme");
    assert_eq!(v["vcluster_qualified"], "hz-fsn-rtz-prod-acme");
    assert_eq!(v["environment"], "acme-prod");
    // NAME-14: the control plane is named after the region's management location, not the
    // workload's building block.
    assert_eq!(v["control_plane_dns"]["gitea"], "gitea.hfmp.omantel.biz");
    assert_eq!(v["control_plane_dns"].as_object().unwrap().len(), 13);
    assert_eq!(
        v["labels"],
        json!({
            "openova.io/provider": "hetzner",
            "openova.io/region": "fsn",
            "openova.io/building-block": "rtz",
            "openova.io/env-type": "prod",
            "openova.io/sovereign": "omantel.biz",
            "openova.io/host-cluster": "hz-fsn-rtz-prod",
            "openova.io/organization": "acme",
            "openova.io/environment": "acme-prod",
            "openova.io/vcluster": "acme",
        })
    );
    // Dimensions that were not given leave their keys out.
    for absent in ["server", "blueprint", "application_dns", "gitea_repo_url"] {
        assert!(v.get(absent).is_none(), "{absent} should be omitted: {v}");
    }
}

#[test]
fn managed_by_is_a_label_only_when_given() {
    let out = catalyst(&[&SHORT[..], &["omantel.biz", "--managed-by", "flux", "-o", "json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let labels = &stdout_json(&out)["labels"];
    assert_eq!(labels["openova.io/managed-by"], "flux");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "flux");
    let out = catalyst(&[&SHORT[..], &["omantel.biz", "--managed-by", "crossplane", "-o", "json"]].concat());
    let labels = &stdout_json(&out)["labels"];
    assert_eq!(labels["openova.io/managed-by"], "crossplane");
    assert!(labels.get("app.kubernetes.io/managed-by").is_none(), "{labels}");
}

#[test]
fn long_codes_give_the_same_result() {
    let short = catalyst(&[&SHORT[..], &["omantel.biz", "-o", "json"]].concat());
    let long = catalyst(&[
        "names",
        "--provider",
        "hetzner",
        "--region",
        "fsn",
        "--building-block",
        "r",
        "--env-type",
        "p",
        "--org",
        "acme",
        "--sovereign",
        "omantel.biz",
        "-o",
        "json",
    ]);
    assert_eq!(long.status.code(), Some(0), "{}", stderr(&long));
    assert_eq!(stdout_json(&short), stdout_json(&long));
}

#[test]
fn names_with_app_and_blueprint() {
    let out = catalyst(
        &[
            &SHORT[..],
            &[
                "t38.omani.works",
                "--app",
                "store-frontend",
                "--index",
                "2",
                "--blueprint",
                "wordpress",
                "--blueprint-version",
                "1.2.0",
                "-o",
                "json",
            ],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = stdout_json(&out);
    assert_eq!(v["server"], "hzfsnr-store-frontend-2p");
    assert_eq!(v["blueprint"], "bp-wordpress");
    assert_eq!(v["blueprint_oci_ref"], "ghcr.io/openova-io/bp-wordpress:1.2.0");
    assert_eq!(v["application_dns"], "store-frontend.acme-prod.t38.omani.works");
    assert_eq!(v["gitea_repo_url"], "gitea.hfmp.t38.omani.works/acme/store-frontend");
    assert_eq!(v["labels"]["openova.io/blueprint-version"], "1.2.0");
}

#[test]
fn yaml_and_text_carry_the_same_keys() {
    let base = &SHORT[..11];
    let yaml = catalyst(&[base, &["-o", "yaml"]].concat());
    assert_eq!(yaml.status.code(), Some(0));
    let yaml = String::from_utf8(yaml.stdout).unwrap();
    assert!(yaml.starts_with("cluster_context: hz-fsn-rtz-prod\n"), "{yaml}");
    assert!(yaml.contains("  openova.io/environment: acme-prod\n"), "{yaml}");
    let text = catalyst(base);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("cluster_context     hz-fsn-rtz-prod\n"), "{text}");
    assert!(text.contains("\nlabels:\n  openova.io/provider "), "{text}");
}

#[test]
fn bad_dimension_exits_1_naming_the_flag() {
    let out = catalyst(&[
        "names",
        "--provider",
        "ibm",
        "--region",
        "fsn",
        "--building-block",
        "rtz",
        "--env-type",
        "prod",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: --provider: unknown provider \"ibm\"; accepted: hetzner|hz|h, huawei|hw|w, oci|o, aws|a, gcp|g, azure|az|z, contabo|ct|c\n"
    );
    let out = catalyst(&[
        "names",
        "--provider",
        "hz",
        "--region",
        "muc",
        "--building-block",
        "rtz",
        "--env-type",
        "prod",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: --region: unknown region \"muc\" for provider hetzner; accepted: fsn, nbg, hel, ash, hil, sin\n"
    );
    let out = catalyst(&[
        "names",
        "--provider",
        "hz",
        "--region",
        "fsn",
        "--building-block",
        "rtz",
        "--env-type",
        "dr",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .starts_with("error: --env-type: \"dr\" is not an env type: disaster recovery is a Placement")
    );
    let out = catalyst(&[&SHORT[..9], &["--app", "k8s", "--index", "0"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: --index: invalid server index \"0\""), "{}", stderr(&out));
}

#[test]
fn missing_dimension_is_a_usage_error() {
    let out = catalyst(&["names", "--provider", "hz"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--region <R>"), "{}", stderr(&out));
    let out = catalyst(&["names", "--provider", "hz", "--output", "xml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn check_org_exit_codes() {
    let out = catalyst(&["names", "check-org", "system"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: organization slug \"system\" is reserved: \"system\" is a platform name (system, flux, crossplane, catalyst, gitea) [ReservedOrgSlug]\n"
    );
    let out = catalyst(&["names", "check-org", "Acme"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: invalid organization slug \"Acme\": uppercase letter 'A' at position 1; slugs are lowercase \
         (slugs match ^[a-z][a-z0-9-]{2,31}$ and do not end in '-') [InvalidOrgSlug]\n"
    );
    let out = catalyst(&["names", "check-org", "acme"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\"acme\" is a valid organization slug\n");
    assert!(out.stderr.is_empty());
}

#[test]
fn check_org_json_names_the_rule() {
    let out = catalyst(&["names", "check-org", "fsn", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = stdout_json(&out);
    assert_eq!(v["valid"], false);
    assert_eq!(v["rule"], "ReservedOrgSlug");
    let out = catalyst(&["names", "check-org", "acme--corp", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_json(&out)["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn parse_detects_the_kind() {
    for (name, kind, cluster) in [
        ("hz-fsn-rtz-prod", "host-cluster", Some("hz-fsn-rtz-prod")),
        ("hetzner-fsn-rtz-prod", "host-cluster", Some("hz-fsn-rtz-prod")),
        ("hz-hel-rtz-prod-acme", "vcluster-qualified", Some("hz-hel-rtz-prod")),
        ("hzfsnr-k8s-1p", "server", Some("hz-fsn-rtz-prod")),
        ("wprp", "location-code", Some("hw-apse-rtz-prod")),
        ("acme-prod", "environment", None),
    ] {
        let out = catalyst(&["names", "parse", name, "-o", "json"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let v = stdout_json(&out);
        assert_eq!(v["kind"], kind, "{name}");
        assert_eq!(v["cluster_context"].as_str(), cluster, "{name}");
    }
    let v = stdout_json(&catalyst(&["names", "parse", "hzfsnr-k8s-1p", "-o", "json"]));
    assert_eq!((v["app"].as_str(), v["index"].as_u64()), (Some("k8s"), Some(1)));
}

#[test]
fn parse_failure_lists_every_attempt() {
    let out = catalyst(&["names", "parse", "hz-fsn-rtz"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: \"hz-fsn-rtz\" is not a name catalyst can parse:\n"), "{err}");
    for kind in ["host-cluster", "vcluster-qualified", "server", "location-code", "environment"] {
        assert!(err.contains(&format!("  as {kind}: ")), "{kind} missing in {err}");
    }
    let out = catalyst(&["names", "parse", "--kind", "location-code", "hfr"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "error: invalid location code \"hfr\": it has 3 characters, not 4\n");
}

#[test]
fn help_lists_accepted_values() {
    let out = catalyst(&["names", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "hetzner|hz|h",
        "rtz|r, dmz|d, mgt|m",
        "prod|p, stg|s, uat|u, dev|d, poc|c",
        "hetzner: fsn, nbg, hel, ash, hil, sin",
    ] {
        assert!(help.contains(needle), "help lacks {needle:?}: {help}");
    }
}
