//! Against a real PowerDNS on loopback: zones, one-PATCH apply, lua records over DNS,
//! ownership, DNSSEC.

#![allow(clippy::unwrap_used)]

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use catalyst_dns::{PdnsError, RrSet, ZonePatch, parse_desired};
use catalyst_testkit::pdns::{API_KEY, Act, Health, Pdns, Proxy, free_port_on};
use hickory_proto::rr::RecordType;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Waits until `name` answers exactly `want` five times in a row (lua health checks settle).
fn settle(pdns: &Pdns, name: &str, want: IpAddr) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut streak = 0;
    while Instant::now() < deadline {
        streak = if pdns.addresses(name, RecordType::A) == [want] { streak + 1 } else { 0 };
        if streak >= 5 {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{name} never settled on {want}");
}

async fn apply(pdns: &Pdns, yaml: &str, force: bool) -> Result<Vec<catalyst_dns::Applied>, PdnsError> {
    let zones = parse_desired(yaml).unwrap();
    let client = pdns.client();
    let plans = client.plan(&zones, force).await?;
    client.apply_all(&plans).await
}

#[tokio::test]
async fn apply_creates_the_zone_answers_over_dns_and_reapply_sends_nothing() {
    let pdns = Pdns::start();
    let client = pdns.client();
    let info = client.server_info().await.unwrap();
    assert_eq!(info.daemon_type, "authoritative");
    let yaml = "zones:\n  - name: example.test\n    records:\n      - {name: www, type: A, ttl: 300, content: [127.0.0.1, 127.0.0.2]}\n      - {name: '@', type: TXT, ttl: 60, content: '\"v=catalyst\"'}\n      - {name: docs, type: CNAME, ttl: 60, content: www.example.test}\n";
    let zones = parse_desired(yaml).unwrap();
    let plans = client.plan(&zones, false).await.unwrap();
    assert!(plans[0].create_zone);
    assert_eq!(plans[0].changes.len(), 3);
    let applied = client.apply_all(&plans).await.unwrap();
    assert_eq!((applied[0].changes, applied[0].patches), (3, 1));
    assert_eq!(pdns.addresses("www.example.test.", RecordType::A), [ip("127.0.0.1"), ip("127.0.0.2")]);

    // A second run: one GET, no write at all.
    let patches_before = client.stats().patches.load(Ordering::Relaxed);
    let writes_before = client.stats().other_writes.load(Ordering::Relaxed);
    let plans = client.plan(&zones, false).await.unwrap();
    assert!(plans[0].changes.is_empty(), "{:?}", plans[0].changes);
    let applied = client.apply_all(&plans).await.unwrap();
    assert_eq!((applied[0].changes, applied[0].patches), (0, 0));
    assert_eq!(client.stats().patches.load(Ordering::Relaxed), patches_before);
    assert_eq!(client.stats().other_writes.load(Ordering::Relaxed), writes_before);
}

#[tokio::test]
async fn only_owned_record_sets_are_changed_or_deleted() {
    let pdns = Pdns::start();
    let client = pdns.client();
    apply(&pdns, "zones:\n  - name: own.test\n    records:\n      - {name: a, type: A, ttl: 60, content: 127.0.0.1}\n      - {name: b, type: A, ttl: 60, content: 127.0.0.2}\n", false).await.unwrap();
    // Someone else writes `manual` (no ownership comment).
    client
        .patch(
            "own.test",
            &ZonePatch { rrsets: vec![RrSet::replace("manual.own.test", "A", 60, ["127.0.0.9"])] },
        )
        .await
        .unwrap();

    // Dropping `b` from the file deletes it; `manual` is not ours and stays.
    apply(
        &pdns,
        "zones:\n  - name: own.test\n    records:\n      - {name: a, type: A, ttl: 60, content: 127.0.0.1}\n",
        false,
    )
    .await
    .unwrap();
    assert!(pdns.addresses("b.own.test.", RecordType::A).is_empty());
    assert_eq!(pdns.addresses("manual.own.test.", RecordType::A), [ip("127.0.0.9")]);

    // Changing `manual` is refused without --force, and nothing is written.
    let want = "zones:\n  - name: own.test\n    records:\n      - {name: a, type: A, ttl: 60, content: 127.0.0.1}\n      - {name: manual, type: A, ttl: 60, content: 127.0.0.8}\n";
    let patches = client.stats().patches.load(Ordering::Relaxed);
    let err = apply(&pdns, want, false).await.unwrap_err();
    assert!(
        err.to_string().starts_with("zone own.test.: 1 record set(s) exist, are not owned by catalyst and differ from the desired state (first: manual.own.test. 60 A [127.0.0.9] (no owner))"),
        "{err}"
    );
    assert_eq!(pdns.addresses("manual.own.test.", RecordType::A), [ip("127.0.0.9")]);
    assert_eq!(client.stats().patches.load(Ordering::Relaxed), patches);
    // With --force it is adopted, and from then on owned.
    apply(&pdns, want, true).await.unwrap();
    assert_eq!(pdns.addresses("manual.own.test.", RecordType::A), [ip("127.0.0.8")]);
    let sets = client.rrsets("own.test").await.unwrap().unwrap();
    assert_eq!(
        sets.iter().find(|s| s.set.name == "manual.own.test.").unwrap().owner,
        Some(catalyst_dns::Owner::default())
    );
}

#[tokio::test]
async fn lua_ifurlup_falls_back_to_the_backup_pool() {
    let pdns = Pdns::start();
    let port = free_port_on(&["127.0.0.2", "127.0.0.3"]);
    let primary = Health::start("127.0.0.2", port);
    let _backup = Health::start("127.0.0.3", port);
    let yaml = format!(
        "zones:\n  - name: lua.test\n    records:\n      - name: app\n        type: LUA\n        ttl: 1\n        lua:\n          ifurlup:\n            url: http://127.0.0.1:{port}/\n            pools: [[127.0.0.2], [127.0.0.3]]\n      - {{name: geo, type: LUA, ttl: 1, lua: {{pickclosest: [127.0.0.10, 127.0.0.20]}}}}\n"
    );
    apply(&pdns, &yaml, false).await.unwrap();
    let settle = |want: IpAddr| settle(&pdns, "app.lua.test.", want);
    settle(ip("127.0.0.2"));
    drop(primary);
    settle(ip("127.0.0.3"));
    // pickclosest without a GeoIP backend answers one of its addresses.
    for _ in 0..5 {
        let got = pdns.addresses("geo.lua.test.", RecordType::A);
        assert_eq!(got.len(), 1);
        assert!([ip("127.0.0.10"), ip("127.0.0.20")].contains(&got[0]), "{got:?}");
    }
}

#[tokio::test]
async fn dnssec_zone_answers_with_rrsigs() {
    let pdns = Pdns::start();
    let client = pdns.client();
    apply(&pdns, "zones:\n  - name: signed.test\n    records:\n      - {name: www, type: A, ttl: 60, content: 127.0.0.5}\n", false).await.unwrap();
    client.enable_dnssec("signed.test").await.unwrap();
    client.enable_dnssec("signed.test").await.unwrap(); // idempotent
    let keys = client.cryptokeys("signed.test").await.unwrap();
    assert!(keys.iter().any(|k| k.active), "{keys:?}");
    let answer = pdns.query("www.signed.test.", RecordType::A, true);
    let types: Vec<RecordType> = answer.answers.iter().map(hickory_proto::rr::Record::record_type).collect();
    assert!(types.contains(&RecordType::A) && types.contains(&RecordType::RRSIG), "{types:?}");
    let plain = pdns.query("www.signed.test.", RecordType::A, false);
    assert!(!plain.answers.iter().any(|r| r.record_type() == RecordType::RRSIG));
}

#[tokio::test]
async fn errors_are_typed() {
    let pdns = Pdns::start();
    let client = pdns.client();
    assert!(client.rrsets("absent.test").await.unwrap().is_none());
    let bad_key =
        catalyst_dns::Client::new(catalyst_dns::Config::new(pdns.url()), catalyst_dns::ApiKey::new("wrong"))
            .unwrap();
    assert!(matches!(bad_key.zones().await.unwrap_err(), PdnsError::Unauthorized));
    assert!(client.create_zone("dup.test", &[], false).await.unwrap());
    assert!(!client.create_zone("dup.test", &[], false).await.unwrap(), "409 counts as success");
    // A 422 is not retried and carries PowerDNS's message.
    let gets = client.stats().patches.load(Ordering::Relaxed);
    let err = client
        .patch(
            "dup.test",
            &ZonePatch { rrsets: vec![RrSet::replace("x.other.test", "A", 60, ["127.0.0.1"])] },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PdnsError::Api { status: 422, message, .. } if message.contains("out of zone")),
        "{err}"
    );
    assert_eq!(client.stats().patches.load(Ordering::Relaxed), gets + 1, "4xx must not be retried");
    client.delete_zone("dup.test").await.unwrap();
    client.delete_zone("dup.test").await.unwrap();
    // Nothing listens here: transport errors are retried, then reported.
    let dead = catalyst_dns::Client::new(
        catalyst_dns::Config::new("http://127.0.0.1:9").with_attempts(3),
        catalyst_dns::ApiKey::new("k"),
    )
    .unwrap();
    assert!(matches!(dead.zones().await.unwrap_err(), PdnsError::Transport { .. }));
    assert_eq!(dead.stats().gets.load(Ordering::Relaxed), 3);
}

/// Issue 16 §1: two desired-state files with different owners share one zone; neither ever
/// deletes or silently changes the other's record sets.
#[tokio::test]
async fn two_owners_share_a_zone() {
    let pdns = Pdns::start();
    let client = pdns.client();
    let a =
        |records: &str| format!("owner: team-a\nzones:\n  - name: shared.test\n    records: [{records}]\n");
    let b =
        |records: &str| format!("owner: team-b\nzones:\n  - name: shared.test\n    records: [{records}]\n");
    client.create_zone("shared.test", &[], false).await.unwrap();
    apply(&pdns, &a("{name: a1, type: A, ttl: 60, content: 127.0.0.1}, {name: a2, type: A, ttl: 60, content: 127.0.0.2}"), false).await.unwrap();
    apply(&pdns, &b("{name: b1, type: A, ttl: 60, content: 127.0.0.3}"), false).await.unwrap();
    // team-a drops a2: only a2 goes.
    apply(&pdns, &a("{name: a1, type: A, ttl: 60, content: 127.0.0.1}"), false).await.unwrap();
    // team-b empties its file: only b1 goes.
    let applied = apply(&pdns, &b(""), false).await.unwrap();
    assert_eq!(applied[0].changes, 1);
    assert_eq!(pdns.addresses("a1.shared.test.", RecordType::A), [ip("127.0.0.1")]);
    assert!(pdns.addresses("a2.shared.test.", RecordType::A).is_empty());
    assert!(pdns.addresses("b1.shared.test.", RecordType::A).is_empty());
    // team-b wanting team-a's name is refused with the owner named, and nothing is written.
    let patches = client.stats().patches.load(Ordering::Relaxed);
    let err = apply(&pdns, &b("{name: a1, type: A, ttl: 60, content: 127.0.0.9}"), false).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "zone shared.test.: 1 record set(s) exist, are not owned by team-b and differ from the desired state (first: a1.shared.test. 60 A [127.0.0.1] (owner team-a)); use --force to take them over"
    );
    assert_eq!(client.stats().patches.load(Ordering::Relaxed), patches);
    assert_eq!(pdns.addresses("a1.shared.test.", RecordType::A), [ip("127.0.0.1")]);
}

/// Sets written under the marker of before owners existed (`managed-by: catalyst`) count as
/// owner `catalyst`: a file without `owner:` keeps managing them (and re-marks what it
/// writes); a Sovereign re-marks those at its own names as its own (the records the old
/// `sovereign-records` wrote) and leaves the rest alone.
#[tokio::test]
async fn legacy_marker_migrates_to_owner_catalyst() {
    let pdns = Pdns::start();
    let client = pdns.client();
    client.create_zone("legacy.test", &[], false).await.unwrap();
    let legacy = |name: &str, ip: &str| {
        let mut r = RrSet::replace(name, "A", 60, [ip]);
        r.comments = vec![catalyst_dns::Comment {
            content: "managed-by: catalyst".into(),
            account: "catalyst".into(),
        }];
        r
    };
    client
        .patch(
            "legacy.test",
            &ZonePatch {
                rrsets: vec![
                    legacy("keep.legacy.test", "127.0.0.1"),
                    legacy("drop.legacy.test", "127.0.0.2"),
                    legacy("t5.legacy.test", "127.0.0.4"),
                    legacy("console.t5.legacy.test", "127.0.0.4"),
                ],
            },
        )
        .await
        .unwrap();
    let sets = client.rrsets("legacy.test").await.unwrap().unwrap();
    assert!(
        sets.iter()
            .filter(|s| s.set.rtype == "A")
            .all(|s| s.owner == Some(catalyst_dns::Owner::default()) && s.legacy_marker)
    );

    // The Sovereign re-marks its own legacy records (same content: only the marker changes),
    // without --force, and touches nothing outside its names.
    let t5 = catalyst_naming::Fqdn::sovereign("t5.legacy.test").unwrap();
    let subs = ["console".to_owned()];
    let zone = catalyst_dns::sovereign_records(
        &t5,
        Some("legacy.test"),
        "127.0.0.4".parse().unwrap(),
        Some(&subs),
        true,
    )
    .unwrap();
    let plans = client.plan(std::slice::from_ref(&zone), false).await.unwrap();
    assert!(plans[0].refused.is_empty(), "{:?}", plans[0].refused);
    let shown: Vec<String> = plans[0].changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "~ console.t5.legacy.test. A: content unchanged, ownership marker rewritten",
            "~ t5.legacy.test. A: content unchanged, ownership marker rewritten"
        ]
    );
    client.apply_all(&plans).await.unwrap();
    let raw = pdns.api_get("/api/v1/servers/localhost/zones/legacy.test.");
    assert_eq!(raw.matches("managed-by: catalyst; owner: sovereign:t5.legacy.test").count(), 2, "{raw}");
    assert!(
        client.plan(std::slice::from_ref(&zone), false).await.unwrap()[0].changes.is_empty(),
        "migrated once"
    );

    // The default owner manages the rest: `drop` is deleted, `keep` is updated and re-marked;
    // the Sovereign's records are now the Sovereign's.
    apply(&pdns, "zones:\n  - name: legacy.test\n    records:\n      - {name: keep, type: A, ttl: 60, content: 127.0.0.5}\n", false).await.unwrap();
    assert!(pdns.addresses("drop.legacy.test.", RecordType::A).is_empty());
    assert_eq!(pdns.addresses("keep.legacy.test.", RecordType::A), [ip("127.0.0.5")]);
    assert_eq!(pdns.addresses("t5.legacy.test.", RecordType::A), [ip("127.0.0.4")]);
    assert_eq!(pdns.addresses("console.t5.legacy.test.", RecordType::A), [ip("127.0.0.4")]);
    let sets = client.rrsets("legacy.test").await.unwrap().unwrap();
    let keep = sets.iter().find(|s| s.set.name == "keep.legacy.test.").unwrap();
    assert_eq!((keep.owner.clone(), keep.legacy_marker), (Some(catalyst_dns::Owner::default()), false));
}

/// Found by review: ownership per record set was not enough. A file could add an NS beside a
/// Sovereign's A (taking its subtree over) or write into a Sovereign's names, and a file
/// named like a Sovereign shared its owner. All are refused without --force now.
#[tokio::test]
async fn names_of_others_are_not_written_into() {
    let pdns = Pdns::start();
    let client = pdns.client();
    client.create_zone("omani.test", &[], false).await.unwrap();
    let t1 = catalyst_naming::Fqdn::sovereign("t1.omani.test").unwrap();
    let zone = catalyst_dns::sovereign_records(&t1, None, "127.0.0.7".parse().unwrap(), None, true).unwrap();
    client.apply_all(&client.plan(std::slice::from_ref(&zone), false).await.unwrap()).await.unwrap();
    let file = "owner: team-x\nzones:\n  - name: omani.test\n    records:\n      - {name: t1, type: NS, ttl: 60, content: ns.evil.test.}\n      - {name: new.t1, type: A, ttl: 60, content: 127.0.0.66}\n      - {name: elsewhere, type: A, ttl: 60, content: 127.0.0.8}\n";
    let zones = parse_desired(file).unwrap();
    let plans = client.plan(&zones, false).await.unwrap();
    let refused: Vec<String> = plans[0].refused.iter().map(ToString::to_string).collect();
    assert_eq!(
        refused,
        [
            "new.t1.omani.test. A: inside the names of Sovereign t1.omani.test. (owned by sovereign:t1.omani.test); --force to write it anyway",
            "t1.omani.test. NS: the name holds A owned by sovereign:t1.omani.test; --force to write beside it",
        ]
    );
    let err = client.apply_all(&plans).await.unwrap_err();
    assert!(
        err.to_string().starts_with("zone omani.test.: 2 record set(s) exist, are not owned by team-x"),
        "{err}"
    );
    assert!(pdns.addresses("elsewhere.omani.test.", RecordType::A).is_empty(), "nothing was written");
    assert_eq!(
        parse_desired("owner: sovereign:t1.omani.test\nzones: []").unwrap_err()[0].to_string(),
        "owner: invalid owner \"sovereign:t1.omani.test\": the prefix sovereign: is reserved for the records of `dns sovereign-records` [InvalidOwner]"
    );
}

fn client_via(url: &str) -> catalyst_dns::Client {
    catalyst_dns::Client::new(catalyst_dns::Config::new(url), catalyst_dns::ApiKey::new(API_KEY)).unwrap()
}

/// Issue 16 §2: a redirect is never followed, so the API key never reaches the host the
/// `Location` names; the error names the Location.
#[tokio::test]
async fn the_api_key_never_follows_a_redirect() {
    let pdns = Pdns::start();
    let sink = Proxy::start(pdns.api_port, |_, _, _| Act::Forward);
    let location = format!("{}/api/v1/servers/localhost/zones/x.test.", sink.url());
    let redirecting = Proxy::start(pdns.api_port, move |_, _, _| {
        Act::Answer(format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").into_bytes())
    });
    let err = client_via(&redirecting.url()).rrsets("x.test").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "PowerDNS answered 307 to GET /api/v1/servers/localhost/zones/x.test. with a redirect to {}/api/v1/servers/localhost/zones/x.test.; redirects are not followed (the API key would go with them): point --server at the API itself",
            sink.url()
        )
    );
    assert!(sink.seen.lock().unwrap().is_empty(), "the redirect target was contacted");
    assert_eq!(redirecting.seen.lock().unwrap().len(), 1, "a 3xx is not retried");
}

/// Issue 16 §2: a server's error text is cut to 512 characters with control characters
/// removed, however large and hostile it is.
#[tokio::test]
async fn hostile_error_text_is_cut_and_cleaned() {
    let pdns = Pdns::start();
    let answer = |body: String| {
        Act::Answer(format!("HTTP/1.1 422 Unprocessable Entity\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).into_bytes())
    };
    // 5 MB: only the first 64 KiB are read, and 512 characters of them kept.
    let huge = format!("{{\"error\": \"{}\"}}", "A".repeat(5 * 1024 * 1024));
    let proxy = Proxy::start(pdns.api_port, move |_, _, _| answer(huge.clone()));
    let err = client_via(&proxy.url()).rrsets("x.test").await.unwrap_err();
    let PdnsError::Api { status: 422, message, .. } = &err else { panic!("{err:?}") };
    assert_eq!(message.chars().count(), 512);
    assert!(message.starts_with("{\"error\": \"AAAA") && message.ends_with("A…"), "{message:.40}");
    assert!(err.to_string().len() < 700);
    // Escapes and newlines that would forge terminal output or log lines become spaces.
    let proxy = Proxy::start(pdns.api_port, move |_, _, _| {
        answer(r#"{"error": "\u001b[2Jbad\nerror: forged"}"#.to_owned())
    });
    let err = client_via(&proxy.url()).rrsets("x.test").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "PowerDNS answered 422 to GET /api/v1/servers/localhost/zones/x.test.:  [2Jbad error: forged"
    );
}

/// Issue 16 §4: the answer to a DNSSEC key's POST is lost after PowerDNS created the key;
/// the client reads the keys back instead of creating a second one.
#[tokio::test]
async fn a_lost_answer_never_duplicates_a_dnssec_key() {
    let pdns = Pdns::start();
    pdns.client().create_zone("keys.test", &[], false).await.unwrap();
    // PowerDNS 4.7 gives a zone a CSK when DNSSEC is turned on; the proxy hides it from the
    // first key listing so the client posts a KSK, whose answer is then lost.
    let empty = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]".to_vec();
    let proxy = Proxy::start(pdns.api_port, move |method, path, n| {
        match (method, path.ends_with("/cryptokeys"), n) {
            ("GET", true, 1) => Act::Answer(empty.clone()),
            ("POST", true, 1) => Act::ForwardThenDrop,
            _ => Act::Forward,
        }
    });
    client_via(&proxy.url()).enable_dnssec("keys.test").await.unwrap();
    let keys = pdns.client().cryptokeys("keys.test").await.unwrap();
    // The CSK DNSSEC brought, and the one key of the lost POST: not a third from a repeat.
    assert_eq!(keys.len(), 2, "{keys:?}");
    let posts = proxy
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(m, p, _)| m == "POST" && p.ends_with("/cryptokeys"))
        .count();
    assert_eq!(posts, 1, "the lost KSK POST is not repeated once the key is read back");

    // The same for a zone whose creation answer is lost: read back, reported created.
    let proxy = Proxy::start(pdns.api_port, |method, _, n| {
        if method == "POST" && n == 1 { Act::ForwardThenDrop } else { Act::Forward }
    });
    assert!(client_via(&proxy.url()).create_zone("lost.test", &[], false).await.unwrap());
    assert!(pdns.client().rrsets("lost.test").await.unwrap().is_some());
    assert_eq!(proxy.seen.lock().unwrap().iter().filter(|(m, _, _)| m == "POST").count(), 1);
}

/// Found by review: a zone created by someone else between plan and apply was written with a
/// plan made against an empty zone (its REPLACEs could overwrite their sets). Now the apply
/// plans again against the zone as it is: their set is not ours and differs, so it is refused
/// and nothing is sent.
#[tokio::test]
async fn a_zone_that_appears_after_the_plan_is_not_written() {
    let pdns = Pdns::start();
    let client = pdns.client();
    let zones = parse_desired("zones:\n  - name: race.test\n    records:\n      - {name: a, type: A, ttl: 60, content: 127.0.0.1}\n").unwrap();
    let plans = client.plan(&zones, false).await.unwrap();
    assert!(plans[0].create_zone);
    // Someone else creates the zone and writes `a` by hand.
    client.create_zone("race.test", &[], false).await.unwrap();
    client
        .patch(
            "race.test",
            &ZonePatch { rrsets: vec![RrSet::replace("a.race.test", "A", 60, ["127.0.0.9"])] },
        )
        .await
        .unwrap();
    let patches = client.stats().patches.load(Ordering::Relaxed);
    let err = client.apply_all(&plans).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "zone race.test.: 1 record set(s) exist, are not owned by catalyst and differ from the desired state (first: a.race.test. 60 A [127.0.0.9] (no owner)); use --force to take them over"
    );
    assert_eq!(client.stats().patches.load(Ordering::Relaxed), patches, "nothing was sent");
    assert_eq!(pdns.addresses("a.race.test.", RecordType::A), [ip("127.0.0.9")]);
}

/// SPEC DNS-19 against a real PowerDNS: a continuum record, synthesized for loopback regions,
/// is served and fails over from the primary's pool to the standby's. Only 127.0.0.0/8 is
/// probed.
#[tokio::test]
async fn a_synthesized_continuum_record_is_served_and_fails_over() {
    use catalyst_dns::continuum::{SynthParams, synthesize};
    let pdns = Pdns::start();
    let port = free_port_on(&["127.0.0.4", "127.0.0.5"]);
    let primary = Health::start("127.0.0.4", port);
    let _standby = Health::start("127.0.0.5", port);
    let params = SynthParams {
        primary_region: "hz-fsn-rtz-prod".into(),
        region_ips: std::collections::BTreeMap::from([
            ("hz-fsn-rtz-prod".into(), vec!["127.0.0.4".into()]),
            ("hz-hel-rtz-prod".into(), vec!["127.0.0.5".into()]),
        ]),
        health_check_url: format!("http://app.dr.test:{port}/healthz"),
        interval: 1,
        timeout: 1,
        ttl: 1,
        hostnames: vec!["app.dr.test".into()],
        ..SynthParams::default()
    };
    let records = synthesize(&params, None).unwrap();
    assert!(
        records[0].lua_body.starts_with(&format!("ifurlup(\"http://probe-fsn.app.dr.test:{port}/healthz\""))
    );
    apply(&pdns, "zones:\n  - name: dr.test\n    records:\n      - {name: www, type: A, ttl: 60, content: 127.0.0.1}\n", false).await.unwrap();
    let r = &records[0];
    let ttl = u32::try_from(r.ttl).unwrap();
    // The body as the platform commits it, double quotes escaped into the record text: PowerDNS
    // splits the text at every `"`, and the Lua it gets does not run, so it answers nothing.
    let verbatim = format!("A \"{}\"", r.lua_body.replace('"', "\\\""));
    // What `content()` gives (single-quoted strings) is served.
    pdns.client()
        .patch(
            "dr.test",
            &ZonePatch {
                rrsets: vec![
                    RrSet::replace("raw.dr.test", "LUA", ttl, [verbatim]),
                    RrSet::replace("app.dr.test", "LUA", ttl, [r.content()]),
                ],
            },
        )
        .await
        .unwrap();
    let settle = |want: IpAddr| settle(&pdns, "app.dr.test.", want);
    settle(ip("127.0.0.4"));
    assert!(pdns.addresses("raw.dr.test.", RecordType::A).is_empty());
    drop(primary);
    settle(ip("127.0.0.5"));
}

fn locked_500() -> Act {
    let body = r#"{"error": "database is locked"}"#;
    Act::Answer(
        format!("HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            .into_bytes(),
    )
}

fn client_with_budget(url: &str, budget: Duration) -> catalyst_dns::Client {
    catalyst_dns::Client::new(
        catalyst_dns::Config::new(url).with_retry_budget(budget),
        catalyst_dns::ApiKey::new(API_KEY),
    )
    .unwrap()
}

/// Issue 26: a PATCH whose answer was lost (PowerDNS wrote it) is not sent again: the apply
/// reads the zone, plans again, finds nothing left to do.
#[tokio::test]
async fn a_lost_answer_is_planned_again_not_replayed() {
    let pdns = Pdns::start();
    pdns.client().create_zone("lost.test", &[], false).await.unwrap();
    let proxy = Proxy::start(pdns.api_port, |method, _, n| {
        if method == "PATCH" && n == 1 { Act::ForwardThenDrop } else { Act::Forward }
    });
    let client = client_with_budget(&proxy.url(), Duration::from_secs(10));
    let zones = parse_desired(
        "zones: [{name: lost.test, records: [{name: a, type: A, ttl: 60, content: 127.0.0.1}]}]",
    )
    .unwrap();
    let plans = client.plan(&zones, false).await.unwrap();
    let applied = client.apply_all(&plans).await.unwrap();
    assert_eq!(applied[0].patches, 1, "one PATCH sent; the second plan had nothing to send");
    let seen = proxy.seen.lock().unwrap().clone();
    assert_eq!(seen.iter().filter(|(m, _, _)| m == "PATCH").count(), 1, "the PATCH was not replayed");
    assert_eq!(seen.iter().filter(|(m, _, _)| m == "GET").count(), 2, "planned, then planned again");
    assert_eq!(pdns.addresses("a.lost.test.", RecordType::A), [ip("127.0.0.1")]);
}

/// Issue 26: while an apply waits to retry a PATCH that failed, someone else takes one of the
/// names it was about to create. The plan made again sees their set and refuses: their write is
/// never overwritten by the stale diff.
#[tokio::test]
async fn a_write_made_during_the_retry_is_never_overwritten() {
    let pdns = Pdns::start();
    pdns.client().create_zone("race2.test", &[], false).await.unwrap();
    let api_port = pdns.api_port;
    let proxy = Proxy::start(api_port, move |method, path, n| {
        if method == "PATCH" && n == 1 {
            // Their write lands while ours failed.
            let body = r#"{"rrsets": [{"name": "a.race2.test.", "type": "A", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "127.0.0.9", "disabled": false}]}]}"#;
            let head = format!(
                "PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {API_KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let mut s = std::net::TcpStream::connect(("127.0.0.1", api_port)).unwrap();
            std::io::Write::write_all(&mut s, format!("{head}{body}").as_bytes()).unwrap();
            let mut answer = String::new();
            std::io::Read::read_to_string(&mut s, &mut answer).unwrap();
            assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
            return locked_500();
        }
        Act::Forward
    });
    let client = client_with_budget(&proxy.url(), Duration::from_secs(10));
    let zones = parse_desired(
        "zones: [{name: race2.test, records: [{name: a, type: A, ttl: 60, content: 127.0.0.1}]}]",
    )
    .unwrap();
    let plans = client.plan(&zones, false).await.unwrap();
    let err = client.apply_all(&plans).await.unwrap_err();
    assert!(matches!(err, PdnsError::NotOwned { count: 1, .. }), "{err}");
    assert_eq!(pdns.addresses("a.race2.test.", RecordType::A), [ip("127.0.0.9")]);
}

/// Issue 26: `--create-zones` creates the zone in the apply that fills it: the zone and its
/// records (apex NS included, with their owner's marker) arrive in one POST, so the zone never
/// exists half-filled and no PATCH is needed; a second apply sends nothing.
#[tokio::test]
async fn a_new_zone_is_created_with_its_records_in_one_request() {
    let pdns = Pdns::start();
    let proxy = Proxy::start(
        pdns.api_port,
        |method, _, _| if method == "PATCH" { locked_500() } else { Act::Forward },
    );
    let client = client_with_budget(&proxy.url(), Duration::from_secs(1));
    let yaml = "owner: team-a\nzones: [{name: whole.test, records: [{name: a, type: A, ttl: 60, content: 127.0.0.1}, {name: '@', type: NS, ttl: 3600, content: [ns1.example.net., ns2.example.net.]}]}]";
    let zones = parse_desired(yaml).unwrap();
    let plans = client.plan(&zones, false).await.unwrap();
    assert!(plans[0].create_zone);
    let applied = client.apply_all(&plans).await.unwrap();
    assert_eq!((applied[0].changes, applied[0].patches), (2, 1));
    let seen = proxy.seen.lock().unwrap().clone();
    assert_eq!(seen.iter().filter(|(m, _, _)| m == "POST").count(), 1);
    assert_eq!(seen.iter().filter(|(m, _, _)| m == "PATCH").count(), 0);
    assert_eq!(pdns.addresses("a.whole.test.", RecordType::A), [ip("127.0.0.1")]);
    let sets = pdns.client().rrsets("whole.test").await.unwrap().unwrap();
    let ns = sets.iter().find(|s| s.set.rtype == "NS").unwrap();
    assert_eq!(ns.set.contents, ["ns1.example.net.", "ns2.example.net."]);
    assert_eq!(ns.owner.as_ref().map(ToString::to_string).as_deref(), Some("team-a"));
    let again = client.plan(&zones, false).await.unwrap();
    assert!(again[0].changes.is_empty() && again[0].refused.is_empty(), "{:?}", again[0]);
}

/// Issue 26: a zone whose creation keeps failing is retried within the budget, then reported;
/// nothing was created, so nothing is left to undo.
#[tokio::test]
async fn a_creation_that_keeps_failing_leaves_no_zone() {
    let pdns = Pdns::start();
    let proxy = Proxy::start(
        pdns.api_port,
        |method, _, _| if method == "POST" { locked_500() } else { Act::Forward },
    );
    let client = client_with_budget(&proxy.url(), Duration::from_secs(1));
    let zones = parse_desired(
        "zones: [{name: never.test, records: [{name: a, type: A, ttl: 60, content: 127.0.0.1}]}]",
    )
    .unwrap();
    let plans = client.plan(&zones, false).await.unwrap();
    let started = Instant::now();
    let err = client.apply_all(&plans).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "within the retry budget: {:?}", started.elapsed());
    assert!(matches!(err, PdnsError::Api { status: 500, .. }), "{err}");
    assert!(pdns.client().rrsets("never.test").await.unwrap().is_none());
    let posts = proxy.seen.lock().unwrap().iter().filter(|(m, _, _)| m == "POST").count();
    assert!(posts >= 2, "retried within the budget: {posts} POSTs");
}

/// Issue 26: an apply split in several PATCH bodies whose later bodies keep failing says how
/// many writes landed, counted across its re-plans.
#[tokio::test]
async fn a_split_apply_that_fails_part_way_says_what_landed() {
    let pdns = Pdns::start();
    pdns.client().create_zone("split.test", &[], false).await.unwrap();
    let proxy =
        Proxy::start(
            pdns.api_port,
            |method, _, n| if method == "PATCH" && n > 1 { locked_500() } else { Act::Forward },
        );
    let client = catalyst_dns::Client::new(
        catalyst_dns::Config::new(proxy.url()).with_retry_budget(Duration::from_secs(1)).with_max_body(4096),
        catalyst_dns::ApiKey::new(API_KEY),
    )
    .unwrap();
    let records: Vec<String> =
        (0..60).map(|i| format!("{{name: h{i}, type: A, ttl: 60, content: 127.0.0.{}}}", i + 1)).collect();
    let zones =
        parse_desired(&format!("zones: [{{name: split.test, records: [{}]}}]", records.join(", "))).unwrap();
    let plans = client.plan(&zones, false).await.unwrap();
    let total = plans[0].patches(4096).len();
    assert!(total >= 2, "{total} bodies");
    let err = client.apply_all(&plans).await.unwrap_err();
    let PdnsError::Partial { written, total: needed, source, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*written, *needed), (1, total), "{err}");
    assert!(matches!(**source, PdnsError::Api { status: 500, .. }));
    // What landed is there, and a plan now shows only the rest.
    let again = pdns.client().plan(&zones, false).await.unwrap();
    assert_eq!(again[0].patches(4096).len(), total - 1);
}
