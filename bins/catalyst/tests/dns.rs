//! `catalyst dns …` against a real PowerDNS on loopback.

#![allow(clippy::unwrap_used)]

use std::net::IpAddr;
use std::process::{Command, Output};

use catalyst_testkit::cli::json;
use catalyst_testkit::pdns::{API_KEY, Pdns};
use hickory_proto::rr::RecordType;

fn catalyst(args: &[&str], key: Option<&str>) -> Output {
    let cli = catalyst_testkit::catalyst_cli!();
    match key {
        Some(k) => cli.env("PDNS_API_KEY", k).run(args),
        None => cli.run(args),
    }
}

fn file(tag: &str, content: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("catalyst-dns-{tag}-{}.yaml", std::process::id()));
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn apply_plan_and_reapply() {
    let pdns = Pdns::start();
    let url = pdns.url();
    let f = file(
        "apply",
        "zones:\n  - name: cli.test\n    records:\n      - {name: www, type: A, ttl: 300, content: [127.0.0.1, 127.0.0.2]}\n      - {name: app, type: LUA, ttl: 30, lua: {pickrandom: [127.0.0.5]}}\n",
    );
    let f = f.to_str().unwrap();

    let out = catalyst(&["dns", "apply", "-f", f, "--server", &url], Some(API_KEY));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("error: {f}: zone cli.test. does not exist; pass --create-zones to create it\n")
    );

    let out =
        catalyst(&["dns", "apply", "-f", f, "--server", &url, "--create-zones", "-o", "json"], Some(API_KEY));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(
        (
            v["zones"][0]["zone"].as_str(),
            v["zones"][0]["changes"].as_u64(),
            v["zones"][0]["patches"].as_u64()
        ),
        (Some("cli.test."), Some(2), Some(1))
    );
    assert_eq!(
        pdns.addresses("www.cli.test.", RecordType::A),
        ["127.0.0.1".parse::<IpAddr>().unwrap(), "127.0.0.2".parse().unwrap()]
    );
    assert_eq!(pdns.addresses("app.cli.test.", RecordType::A), ["127.0.0.5".parse::<IpAddr>().unwrap()]);

    let again = catalyst(&["dns", "apply", "-f", f, "--server", &url, "-o", "json"], Some(API_KEY));
    let v = json(&again);
    assert_eq!((v["zones"][0]["changes"].as_u64(), v["zones"][0]["patches"].as_u64()), (Some(0), Some(0)));
    let plan = catalyst(&["dns", "plan", "-f", f, "--server", &url], Some(API_KEY));
    assert_eq!(
        String::from_utf8_lossy(&plan.stdout),
        "zone cli.test. (owner catalyst)\n  (no changes)\n0 to add, 0 to change, 0 to delete, 0 refused\n"
    );
}

#[test]
fn bad_file_sends_nothing_and_exit_codes() {
    let pdns = Pdns::start();
    let url = pdns.url();
    let f = file(
        "bad",
        "zones:\n  - name: bad.test\n    records:\n      - {name: www, type: A, ttl: 300, content: not-an-ip}\n      - {name: app, type: LUA, ttl: 30, content: 'A \"pickrandom({\"'}\n",
    );
    let out = catalyst(
        &["dns", "apply", "-f", f.to_str().unwrap(), "--server", &url, "--create-zones"],
        Some(API_KEY),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 problem(s); nothing was sent"), "{err}");
    assert!(err.contains("zones[0].records[0].content[0]: \"not-an-ip\" is not an IPv4 address"), "{err}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert!(rt.block_on(pdns.client().rrsets("bad.test")).unwrap().is_none(), "the zone must not exist");

    let good = file("good", "zones: [{name: ok.test, records: []}]\n");
    let out = catalyst(&["dns", "plan", "-f", good.to_str().unwrap(), "--server", &url], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: PowerDNS client configuration: PDNS_API_KEY is not set\n"
    );
    let out = catalyst(&["dns", "plan", "-f", good.to_str().unwrap(), "--server", &url], Some("wrong"));
    assert_eq!(out.status.code(), Some(3));
    let out = catalyst(
        &["dns", "plan", "-f", good.to_str().unwrap(), "--server", "http://127.0.0.1:9"],
        Some(API_KEY),
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("error: could not reach PowerDNS for GET /api/v1/servers/localhost/zones/ok.test.")
    );
}

#[test]
fn sovereign_records_then_audit() {
    let pdns = Pdns::start();
    let url = pdns.url();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(pdns.client().create_zone("omani.test", &[], false)).unwrap();
    let args = [
        "dns",
        "sovereign-records",
        "--sovereign",
        "t111.omani.test",
        "--lb-ip",
        "127.0.0.7",
        "--server",
        &url,
        "-o",
        "json",
    ];
    let out = catalyst(&args, Some(API_KEY));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["zones"][0]["changes"].as_u64(), Some(14));
    assert_eq!(
        pdns.addresses("console.t111.omani.test.", RecordType::A),
        ["127.0.0.7".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(pdns.addresses("t111.omani.test.", RecordType::A), ["127.0.0.7".parse::<IpAddr>().unwrap()]);
    let out = catalyst(&args, Some(API_KEY));
    assert_eq!(json(&out)["zones"][0]["patches"].as_u64(), Some(0), "idempotent");

    let audit = ["dns", "audit", "--zone", "omani.test", "--server", &url, "--expect-ip", "127.0.0.7"];
    let out = catalyst(&audit, Some(API_KEY));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    // A stale wildcard pointing elsewhere: both findings.
    rt.block_on(pdns.client().patch(
        "omani.test",
        &catalyst_dns::ZonePatch {
            rrsets: vec![catalyst_dns::RrSet::replace("*.omani.test", "A", 300, ["127.0.0.66"])],
        },
    ))
    .unwrap();
    let out = catalyst(&audit, Some(API_KEY));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("wildcard *.omani.test. 300 A [127.0.0.66]"), "{text}");
    assert!(
        text.contains("*.omani.test. A points at 127.0.0.66, which is not an expected address"),
        "{text}"
    );
}

/// Issue 16 §1 reproduced: publishing Sovereign B into the parent zone Sovereign A lives in
/// deleted all of A's records. Now B touches only its own names and A's are left as they were.
#[test]
fn two_sovereigns_share_a_parent_zone() {
    let pdns = Pdns::start();
    let url = pdns.url();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(pdns.client().create_zone("omani.test", &[], false)).unwrap();
    let publish = |fqdn: &str, ip: &str| {
        let args =
            ["dns", "sovereign-records", "--sovereign", fqdn, "--lb-ip", ip, "--server", &url, "-o", "json"];
        let out = catalyst(&args, Some(API_KEY));
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        json(&out)
    };
    let zone_json = || {
        let body = pdns.api_get("/api/v1/servers/localhost/zones/omani.test.");
        let mut v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let mut sets: Vec<serde_json::Value> = v["rrsets"].as_array_mut().unwrap().drain(..).collect();
        sets.retain(|s| s["name"].as_str().unwrap().ends_with("t111.omani.test."));
        sets.sort_by_key(|s| s["name"].as_str().unwrap().to_owned());
        sets
    };
    assert_eq!(publish("t111.omani.test", "127.0.0.7")["zones"][0]["changes"].as_u64(), Some(14));
    let before = zone_json();
    assert_eq!(before.len(), 14);
    assert!(
        before
            .iter()
            .all(|s| s["comments"][0]["content"] == "managed-by: catalyst; owner: sovereign:t111.omani.test")
    );

    let b = publish("t112.omani.test", "127.0.0.8");
    assert_eq!(b["zones"][0]["owner"], "sovereign:t112.omani.test");
    assert_eq!(b["zones"][0]["changes"].as_u64(), Some(14));
    assert!(b["zones"][0]["items"].as_array().unwrap().iter().all(|c| c["action"] == "create"), "{b}");
    assert_eq!(zone_json(), before, "Sovereign A's record sets are byte-identical after B is published");

    // Both answer over DNS, asked with dig.
    for (name, want) in [
        ("console.t111.omani.test", "127.0.0.7"),
        ("t112.omani.test", "127.0.0.8"),
        ("gitea.t112.omani.test", "127.0.0.8"),
        ("t111.omani.test", "127.0.0.7"),
    ] {
        let out = Command::new("dig")
            .args([
                "+short",
                "+time=2",
                "+tries=1",
                "-p",
                &pdns.dns_port.to_string(),
                "@127.0.0.1",
                name,
                "A",
            ])
            .output()
            .expect("dig is installed (scripts/test installs dnsutils)");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), want, "{name}");
    }
    // Re-publishing A with a new address changes A's 14 sets and none of B's.
    let again = publish("t111.omani.test", "127.0.0.9");
    assert_eq!(again["zones"][0]["changes"].as_u64(), Some(14));
    assert!(
        again["zones"][0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["to"]["name"].as_str().unwrap().ends_with("t111.omani.test."))
    );
    assert_eq!(
        pdns.addresses("console.t112.omani.test.", RecordType::A),
        ["127.0.0.8".parse::<IpAddr>().unwrap()]
    );
}

/// Issue 16 §3: the desired-state file is read capped.
#[cfg(unix)]
#[test]
fn desired_state_reads_are_capped() {
    let out = catalyst(&["dns", "plan", "-f", "/dev/zero", "--server", "http://127.0.0.1:9"], Some(API_KEY));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: /dev/zero: more than 16777216 bytes (the limit for this file)\n"
    );
}

/// Issue 16 §3: 2,000 nested parentheses in a LUA content crashed `dns plan` (the parser has
/// no depth limit); code in a LUA record was accepted. Both are now findings with the path.
#[test]
fn hostile_lua_is_a_finding_not_a_crash() {
    let deep = format!("A \\\"pickrandom({}'127.0.0.1'{})\\\"", "(".repeat(2000), ")".repeat(2000));
    let f = file(
        "deep-lua",
        &format!(
            "zones:\n  - name: lua.test\n    records:\n      - {{name: a, type: LUA, ttl: 30, content: \"{deep}\"}}\n      - {{name: b, type: LUA, ttl: 30, content: \"A \\\";os.execute('id')\\\"\"}}\n"
        ),
    );
    let out = catalyst(
        &["dns", "plan", "-f", f.to_str().unwrap(), "--server", "http://127.0.0.1:9"],
        Some(API_KEY),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 problem(s); nothing was sent"), "{err:.3000}");
    assert!(
        err.contains("zones[0].records[0].content[0]: brackets nest deeper than 64 levels"),
        "{err:.3000}"
    );
    assert!(err.contains("zones[0].records[1].content[0]: `os` is not allowed"), "{err:.3000}");
}

#[test]
fn a_retry_budget_that_is_not_a_duration_is_a_usage_error() {
    let out = catalyst(
        &["dns", "plan", "-f", "x.yaml", "--server", "http://127.0.0.1:9", "--retry-budget", "soon"],
        Some(API_KEY),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("invalid value 'soon' for '--retry-budget <DURATION>': \"soon\" is not a duration (500ms, 15s, 1m)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
