//! SPEC DNS-19 / CONT-5: the continuum synthesizer, byte for byte as the platform writes it.
//!
//! The vectors are derived from the platform's description (SPEC DNS-19, research §3): region
//! map `hz-fsn-rtz-prod` → 5.1.2.3, 5.1.2.4 and `hz-hel-rtz-prod` → 5.5.6.7, hostnames given
//! unsorted, health URL `https://probe-fsn.example.com/healthz`. Its two golden files are 475
//! bytes each. These addresses are text only: never served by a running PowerDNS.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use catalyst_dns::continuum::{ContinuumRecord, SynthError, SynthParams, records_document, synthesize};

fn params(primary: &str) -> SynthParams {
    SynthParams {
        primary_region: primary.into(),
        region_ips: BTreeMap::from([
            ("hz-fsn-rtz-prod".into(), vec!["5.1.2.3".into(), "5.1.2.4".into()]),
            ("hz-hel-rtz-prod".into(), vec!["5.5.6.7".into()]),
        ]),
        selector: "ifurlup".into(),
        health_check_url: "https://probe-fsn.example.com/healthz".into(),
        interval: 5,
        timeout: 2,
        ttl: 30,
        hostnames: vec!["web.example.com".into(), "api.example.com".into()],
    }
}

const FSN_BODY: &str = r#"ifurlup(\"https://probe-fsn.example.com/healthz\", {{\"5.1.2.3\", \"5.1.2.4\"}, {\"5.5.6.7\"}}, {selector=\"pickfirst\", interval=5, timeout=2})"#;
const HEL_BODY: &str = r#"ifurlup(\"https://probe-hel.example.com/healthz\", {{\"5.5.6.7\"}, {\"5.1.2.3\", \"5.1.2.4\"}}, {selector=\"pickfirst\", interval=5, timeout=2})"#;

fn golden(body: &str, primary: &str) -> String {
    format!(
        r#"{{"records":[{{"hostname":"api.example.com","luaBody":"{body}","ttl":30,"primaryRegion":"{primary}"}},{{"hostname":"web.example.com","luaBody":"{body}","ttl":30,"primaryRegion":"{primary}"}}]}}"#
    )
}

#[test]
fn the_two_region_pair_matches_the_platform_goldens_byte_for_byte() {
    let fsn = records_document(&synthesize(&params("hz-fsn-rtz-prod"), None).unwrap());
    assert_eq!(fsn, golden(FSN_BODY, "hz-fsn-rtz-prod"));
    assert_eq!(fsn.len(), 475, "the platform's golden is 475 bytes");
    // Promoted: the probe host and the groups follow the new primary.
    let hel = records_document(&synthesize(&params("hz-hel-rtz-prod"), None).unwrap());
    assert_eq!(hel, golden(HEL_BODY, "hz-hel-rtz-prod"));
    assert_eq!(hel.len(), 475);
    // Byte-stable: the same input, the same bytes (CONT-5).
    assert_eq!(records_document(&synthesize(&params("hz-fsn-rtz-prod"), None).unwrap()), fsn);
}

#[test]
fn defaults_single_region_and_application_hostnames() {
    let mut p = params("hz-fsn-rtz-prod");
    p.region_ips.remove("hz-hel-rtz-prod");
    p.selector = String::new();
    p.interval = 0;
    p.timeout = -1;
    p.ttl = 0;
    p.hostnames.clear();
    p.health_check_url = "https://app.example.com:8443/healthz?full=1&deep=true".into();
    let app = serde_json::json!({
        "spec": {"routes": [{"hostnames": ["b.example.com", "a.example.com"]}, {"hostname": "a.example.com"}]},
        "status": {"hostnames": ["c.example.com"]},
    });
    let records = synthesize(&p, Some(&app)).unwrap();
    let hosts: Vec<&str> = records.iter().map(|r| r.hostname.as_str()).collect();
    assert_eq!(hosts, ["a.example.com", "b.example.com", "c.example.com"]);
    assert_eq!(
        records[0].lua_body,
        r#"ifurlup("https://probe-fsn.app.example.com:8443/healthz?full=1&deep=true", {{"5.1.2.3", "5.1.2.4"}}, {selector="pickfirst", interval=5, timeout=2})"#
    );
    assert_eq!(records[0].ttl, 30);
    // Go's escaping of & in the document.
    assert!(records_document(&records).contains(r"?full=1\u0026deep=true"));
}

#[test]
fn errors_come_in_the_platforms_order() {
    let err = |f: &dyn Fn(&mut SynthParams)| {
        let mut p = params("hz-fsn-rtz-prod");
        f(&mut p);
        synthesize(&p, None).unwrap_err()
    };
    // An Application without hostnames: no records, as the platform (nothing to commit).
    let mut p = params("hz-fsn-rtz-prod");
    p.hostnames.clear();
    assert_eq!(synthesize(&p, Some(&serde_json::json!({"spec": {}}))).unwrap(), []);
    // No hostnames wins over everything after it.
    assert_eq!(
        err(&|p| {
            p.hostnames.clear();
            p.primary_region.clear();
        })
        .to_string(),
        "InvalidArgument: no hostnames: list luaRecord.hostnames or give the Application routes"
    );
    assert_eq!(err(&|p| p.primary_region.clear()), SynthError::MissingPrimary);
    assert_eq!(
        err(&|p| {
            p.region_ips.clear();
            p.health_check_url.clear();
        })
        .to_string(),
        "InvalidArgument: no regions: spec.regions[] lists each region's lbIPs"
    );
    // The primary must be in the map, checked before the URL.
    assert_eq!(
        err(&|p| {
            p.primary_region = "hz-nbg-rtz-prod".into();
            p.health_check_url.clear();
        })
        .to_string(),
        "UnknownRegion: primary region \"hz-nbg-rtz-prod\" is not one of the regions (hz-fsn-rtz-prod, hz-hel-rtz-prod)"
    );
    assert_eq!(
        err(&|p| {
            p.health_check_url.clear();
            p.region_ips.insert("hz-fsn-rtz-prod".into(), vec![]);
        })
        .to_string(),
        "InvalidArgument: no health-check URL (luaRecord.healthCheck.url)"
    );
    assert_eq!(
        err(&|p| {
            p.region_ips.insert("hz-fsn-rtz-prod".into(), vec![]);
        })
        .to_string(),
        "InvalidArgument: the primary region hz-fsn-rtz-prod has no lbIPs"
    );
}

/// What the platform does not check: nothing may break out of a lua string, and the selector
/// must be a function PowerDNS has.
#[test]
fn hostile_inputs_are_refused_before_they_reach_the_lua() {
    let err = |f: &dyn Fn(&mut SynthParams)| {
        let mut p = params("hz-fsn-rtz-prod");
        f(&mut p);
        synthesize(&p, None).unwrap_err().to_string()
    };
    assert_eq!(
        err(&|p| p.selector = "pickfirst".into()),
        "InvalidArgument: selector \"pickfirst\" is not a PowerDNS lua function; the synthesizer calls the selector by name (use one of ifurlup)"
    );
    assert_eq!(
        err(&|p| {
            p.region_ips.insert("hz-hel-rtz-prod".into(), vec![r#"1.2.3.4"}, os.execute("id"#.into()]);
        }),
        "InvalidArgument: region hz-hel-rtz-prod: \"1.2.3.4\\\"}, os.execute(\\\"id\" is not an IP address"
    );
    assert!(
        err(&|p| p.health_check_url = "https://x.example.com/\")..os.exit(\"".into())
            .contains("must be http(s) with no quotes")
    );
    assert!(err(&|p| p.hostnames = vec!["a b.example.com".into()]).contains("is not a DNS name"));
    assert!(err(&|p| p.selector = "pickclosest".into()).contains("use one of ifurlup"));
    assert_eq!(
        err(&|p| {
            p.region_ips.insert("x-evil.net/".into(), vec!["127.0.0.9".into()]);
            p.primary_region = "x-evil.net/".into();
        }),
        "InvalidArgument: the primary region \"x-evil.net/\" gives the probe label \"evil.net/\", which is not a DNS label"
    );
    assert!(
        err(&|p| p.hostnames = (0..300).map(|i| format!("h{i}.example.com")).collect())
            .contains("300 hostnames; at most 256")
    );
    assert!(
        err(&|p| {
            p.region_ips.insert("hz-hel-rtz-prod".into(), vec!["::1".into()]);
        })
        .contains("is IPv6")
    );
    assert!(
        err(&|p| {
            p.region_ips.insert("hz-hel-rtz-prod".into(), vec!["169.254.169.254".into()]);
        })
        .starts_with("InvalidArgument: the record would not be safe to serve: "),
        "a cloud metadata address is never probed"
    );
}

/// Every body passes the DNS-18 linter as record content.
#[test]
fn every_body_lints_as_record_content() {
    for primary in ["hz-fsn-rtz-prod", "hz-hel-rtz-prod"] {
        for r in synthesize(&params(primary), None).unwrap() {
            catalyst_dns::lint_lua(&r.content()).unwrap_or_else(|e| panic!("{}: {e}", r.content()));
        }
    }
    let r = ContinuumRecord {
        hostname: "x".into(),
        lua_body: r#"f("u", {{"1"}})"#.into(),
        ttl: 30,
        primary_region: "p".into(),
    };
    assert_eq!(r.content(), r#"A "f('u', {{'1'}})""#);
}

proptest::proptest! {
    /// The synthesizer is deterministic and its document always round-trips as JSON with the
    /// records sorted.
    #[test]
    fn documents_are_stable_and_sorted(hosts in proptest::collection::vec("[a-z]{1,8}\\.example\\.com", 1..6), fsn in proptest::bool::ANY) {
        let mut p = params(if fsn { "hz-fsn-rtz-prod" } else { "hz-hel-rtz-prod" });
        p.hostnames = hosts;
        let a = records_document(&synthesize(&p, None).unwrap());
        proptest::prop_assert_eq!(&a, &records_document(&synthesize(&p, None).unwrap()));
        let v: serde_json::Value = serde_json::from_str(&a).unwrap();
        let names: Vec<&str> = v["records"].as_array().unwrap().iter().map(|r| r["hostname"].as_str().unwrap()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        proptest::prop_assert_eq!(names, sorted);
    }
}

// ---- the PDM commit (client feature) ----

#[cfg(feature = "client")]
mod pdm {
    use std::time::Duration;

    use catalyst_dns::continuum::synthesize;
    use catalyst_dns::pdm::{CommitOutcome, PdmClient, PdmConfig, PdmError, PdmToken, commit_zone};
    use catalyst_testkit::pdm::PdmServer;

    use super::params;

    #[tokio::test]
    async fn commits_the_document_with_records_first_and_the_token() {
        let server = PdmServer::start().await;
        let records = synthesize(&params("hz-fsn-rtz-prod"), None).unwrap();
        let zone = commit_zone(None, &records).unwrap();
        assert_eq!(zone, "example.com");
        assert_eq!(commit_zone(Some("lua.example.com"), &records).as_deref(), Some("lua.example.com"));
        let client =
            PdmClient::new(PdmConfig::new(server.url()).with_token(PdmToken::new("s3cret"))).unwrap();
        assert_eq!(client.commit(&zone, &records).await.unwrap(), CommitOutcome::Committed(200));
        let commits = server.commits();
        assert_eq!(commits.len(), 1);
        let c = &commits[0];
        assert_eq!((c.method.as_str(), c.path.as_str()), ("POST", "/v1/lua/commit"));
        assert_eq!(c.header("x-catalyst-token"), Some("s3cret"));
        assert_eq!(c.header("accept"), Some("application/json"));
        assert!(
            c.body.starts_with(r#"{"records":[{"hostname":"api.example.com","luaBody":"ifurlup("#),
            "{}",
            c.body
        );
        assert!(
            c.body.ends_with(r#""primaryRegion":"hz-fsn-rtz-prod"}],"zone":"example.com"}"#),
            "{}",
            c.body
        );
        // No records: no request at all.
        assert_eq!(client.commit(&zone, &[]).await.unwrap(), CommitOutcome::NoOp);
        assert_eq!(server.commits().len(), 1);
        // The token never shows in Debug.
        assert!(!format!("{client:?}").contains("s3cret"));
    }

    #[tokio::test]
    async fn refusals_are_typed_and_bodies_are_cut() {
        let server = PdmServer::start().await;
        let records = synthesize(&params("hz-fsn-rtz-prod"), None).unwrap();
        let client =
            PdmClient::new(PdmConfig::new(server.url()).with_path("/api/v1/pool/example.com/commit"))
                .unwrap();
        server.answer(403, "no");
        assert!(matches!(
            client.commit("example.com", &records).await,
            Err(PdmError::AuthRejected { status: 403 })
        ));
        assert_eq!(server.commits()[0].path, "/api/v1/pool/example.com/commit");
        server.answer(500, &"x".repeat(1000));
        let err = client.commit("example.com", &records).await.unwrap_err();
        assert_eq!(err.to_string(), format!("pdm: status 500: {}...", "x".repeat(256)));
        // A silent server: the deadline ends it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let slow = PdmClient::new(PdmConfig::new(url).with_timeout(Duration::from_millis(300))).unwrap();
        let started = std::time::Instant::now();
        assert!(matches!(slow.commit("example.com", &records).await, Err(PdmError::Transport(_))));
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(listener);
        assert!(matches!(PdmClient::new(PdmConfig::new("ftp://x")), Err(PdmError::Config(_))));
        assert!(
            matches!(PdmClient::new(PdmConfig::new("http://u:secret@127.0.0.1:1")), Err(PdmError::Config(m)) if !m.contains("secret"))
        );
    }
}
