//! Pure record logic: the desired-state file, lua synthesis and linting, the plan, the
//! Sovereign records and the audit (DNS-10 … DNS-18).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use catalyst_dns::{
    ActualSet, AuditFinding, Change, LuaRecord, Owner, RecordSet, audit, check_content, default_parent_zone,
    lint_lua, parse_desired, plan_zone, sovereign_records,
};
use catalyst_naming::Fqdn;
use proptest::prelude::*;

fn set(name: &str, rtype: &str, ttl: u32, contents: &[&str]) -> RecordSet {
    RecordSet {
        name: name.into(),
        rtype: rtype.into(),
        ttl,
        contents: contents.iter().map(|c| (*c).to_owned()).collect(),
    }
}

#[test]
fn dns_16_doc_forms_render_exactly() {
    let ips = |v: &[&str]| v.iter().map(|s| s.parse().unwrap()).collect::<Vec<std::net::IpAddr>>();
    let yaml_lua = |y: &str| serde_saphyr::from_str::<LuaRecord>(y).unwrap().content().unwrap();
    // Rendering only: these documentation addresses are never loaded into a server.
    assert_eq!(
        yaml_lua(
            "ifurlup: {url: 'https://primary.example.com/healthz', addresses: [5.161.42.18, 95.217.189.42], options: {selector: all}}"
        ),
        r#"A "ifurlup('https://primary.example.com/healthz', {'5.161.42.18', '95.217.189.42'}, {selector='all'})""#
    );
    assert_eq!(
        yaml_lua(
            "ifurlup: {url: 'https://primary.example.com/healthz', pools: [[5.161.42.18, 95.217.189.42]], options: {selector: pickclosest}}"
        ),
        r#"A "ifurlup('https://primary.example.com/healthz', {{'5.161.42.18', '95.217.189.42'}}, {selector='pickclosest'})""#
    );
    assert_eq!(
        LuaRecord::Pickclosest(ips(&["5.161.42.18", "95.217.189.42"])).content().unwrap(),
        r#"A "pickclosest({'5.161.42.18', '95.217.189.42'})""#
    );
    assert_eq!(
        yaml_lua("ifportup: {port: 587, addresses: [5.161.42.18, 95.217.189.42]}"),
        r#"A "ifportup(587, {'5.161.42.18', '95.217.189.42'})""#
    );
    assert_eq!(
        yaml_lua("pickwhashed: [{weight: 80, address: 5.161.42.18}, {weight: 20, address: 95.217.189.42}]"),
        r#"A "pickwhashed({{80, '5.161.42.18'}, {20, '95.217.189.42'}})""#
    );
    assert_eq!(
        LuaRecord::Pickrandom(ips(&["::1", "::2"])).content().unwrap(),
        r#"AAAA "pickrandom({'::1', '::2'})""#
    );
    // A URL that would need an escape is refused by the builder: PowerDNS hands the record's
    // text to Lua with its escapes as written, so no escaped text is ever produced.
    let tricky: LuaRecord =
        serde_saphyr::from_str(r#"ifurlup: {url: "http://127.0.0.1:9/a'b", addresses: [127.0.0.1]}"#)
            .unwrap();
    assert_eq!(
        tricky.content().unwrap_err().to_string(),
        r#""http://127.0.0.1:9/a'b" holds '\'', which a LUA record string cannot carry unescaped"#
    );
    assert_eq!(
        LuaRecord::Pickrandom(ips(&["127.0.0.1", "::1"])).content().unwrap_err().to_string(),
        "IPv4 and IPv6 addresses are mixed in one record"
    );
}

#[test]
fn lua_linter_uses_a_real_parser() {
    for ok in [
        r#"A "ifurlup('http://127.0.0.1:9/', {{'127.0.0.10'}, {'127.0.0.20'}})""#,
        r#"A ";return pickrandom({'127.0.0.1', '127.0.0.2'})""#,
        r#"A "ifurlup('https://probe.example.test/healthz', {'A 127.0.0.1', 'A 127.0.0.2'}, {selector='pickfirst', backupSelector='all', timeout=2, interval=5})""#,
    ] {
        lint_lua(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for (bad, reason) in [
        (r#"A "ifurlup('http://x/', {'127.0.0.1'}""#, "the lua does not parse"),
        (r#"A "pickrandom({'127.0.0.1',})) ""#, "the lua does not parse"),
        (r#"a "pickrandom({})""#, "\"a\" is not a record type"),
        (r"A pickrandom({})", "the lua must be one double-quoted string"),
        (r#"A "x" "y""#, "a '\"' at byte 1 inside the record string"),
        ("A", "expected <TYPE> \"<lua>\""),
    ] {
        let err = lint_lua(bad).unwrap_err();
        assert!(err.reason.starts_with(reason), "{bad}: {}", err.reason);
    }
}

#[test]
fn bad_files_are_refused_with_every_path() {
    let yaml = r#"
zones:
  - name: example.test
    records:
      - {name: www, type: A, ttl: 300, content: [127.0.0.1, not-an-ip]}
      - {name: v6, type: AAAA, ttl: 300, content: 127.0.0.1}
      - {name: docs, type: CNAME, ttl: 60, content: www.example.test}
      - {name: docs, type: TXT, ttl: 60, content: '"x"'}
      - {name: app, type: LUA, ttl: 30, content: ['A "ifurlup(''http://x/'', {''127.0.0.1''}"']}
      - {name: out.other.test., type: A, ttl: 60, content: 127.0.0.1}
      - {name: t, type: TXT, ttl: 60, content: unquoted}
      - {name: www, type: A, ttl: 60, content: 127.0.0.3}
"#;
    let errors: Vec<String> = parse_desired(yaml).unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 6, "{errors:#?}");
    for needle in [
        "zones[0].records[0].content[1]: \"not-an-ip\" is not an IPv4 address",
        "zones[0].records[1].content[0]: \"127.0.0.1\" is not an IPv6 address",
        "zones[0].records[4].content[0]: the lua does not parse",
        "zones[0].records[5].name: out.other.test. is outside the zone example.test.",
        "zones[0].records[6].content[0]: \"unquoted\" must be a double-quoted string",
        "zones[0]: docs.example.test. has a CNAME beside other data",
    ] {
        assert!(errors.iter().any(|e| e.starts_with(needle)), "missing {needle:?} in {errors:#?}");
    }
    let dup = parse_desired("zones: [{name: a.test, records: [{name: x, type: A, ttl: 1, content: 127.0.0.1}, {name: x, type: A, ttl: 1, content: 127.0.0.2}]}]").unwrap_err();
    assert_eq!(
        dup[0].to_string(),
        "zones[0].records[1]: x.a.test. A is defined twice; list all contents in one entry [DuplicateRecordSet]"
    );
    assert_eq!(dup[0].code, catalyst_dns::Code::DuplicateRecordSet);
    let unknown = parse_desired(
        "zones: [{name: a.test, records: [{name: x, type: A, ttl: 1, contents: [127.0.0.1]}]}]",
    )
    .unwrap_err();
    assert!(unknown[0].message.contains("contents"), "{unknown:?}");
}

#[test]
fn content_is_normalised_like_powerdns_stores_it() {
    assert_eq!(check_content("AAAA", "0:0:0:0:0:0:0:1").unwrap(), "::1");
    assert_eq!(check_content("CNAME", "WWW.Example.test").unwrap(), "www.example.test.");
    assert_eq!(check_content("MX", "10 Mail.example.test").unwrap(), "10 mail.example.test.");
    assert_eq!(check_content("SRV", "0 5 5060 sip.example.test.").unwrap(), "0 5 5060 sip.example.test.");
}

#[test]
fn plan_respects_ownership_and_splits_bodies() {
    let zone = parse_desired("zones: [{name: z.test, records: [{name: a, type: A, ttl: 60, content: 127.0.0.1}, {name: b, type: A, ttl: 60, content: 127.0.0.2}]}]").unwrap().remove(0);
    let actual = vec![
        ActualSet {
            set: set("a.z.test.", "A", 60, &["127.0.0.1"]),
            owner: Some(Owner::default()),
            legacy_marker: false,
            all_enabled: true,
        },
        ActualSet {
            set: set("b.z.test.", "A", 60, &["127.0.0.9"]),
            owner: None,
            legacy_marker: false,
            all_enabled: true,
        },
        ActualSet {
            set: set("old.z.test.", "A", 60, &["127.0.0.3"]),
            owner: Some(Owner::default()),
            legacy_marker: false,
            all_enabled: true,
        },
        ActualSet {
            set: set("z.test.", "SOA", 3600, &["ns1.z.test. x 1 2 3 4 5"]),
            owner: None,
            legacy_marker: false,
            all_enabled: true,
        },
    ];
    let plan = plan_zone(&zone, Some(&actual), false);
    assert_eq!(plan.changes, [Change::Delete { from: set("old.z.test.", "A", 60, &["127.0.0.3"]) }]);
    assert_eq!(plan.refused.len(), 1);
    let forced = plan_zone(&zone, Some(&actual), true);
    assert_eq!(forced.changes.len(), 2);
    assert!(forced.refused.is_empty());
    assert!(plan_zone(&zone, None, false).create_zone);

    // 1,000 creates: one body by default, several under a small cap, none lost.
    let records: Vec<String> = (0..1000)
        .map(|i| format!("{{name: h{i}, type: A, ttl: 60, content: 127.0.{}.{}}}", i / 250, i % 250 + 1))
        .collect();
    let big = parse_desired(&format!("zones: [{{name: big.test, records: [{}]}}]", records.join(", ")))
        .unwrap()
        .remove(0);
    let plan = plan_zone(&big, Some(&[]), false);
    assert_eq!(plan.patches(catalyst_dns::DEFAULT_MAX_BODY).len(), 1);
    let split = plan.patches(20_000);
    assert!(split.len() > 1);
    assert!(split.iter().all(|p| serde_json::to_string(p).unwrap().len() <= 20_000));
    assert_eq!(split.iter().map(|p| p.rrsets.len()).sum::<usize>(), 1000);
}

#[test]
fn dns_12_13_sovereign_records() {
    let fqdn = Fqdn::sovereign("t111.omani.works").unwrap();
    assert_eq!(default_parent_zone(&fqdn), "omani.works.");
    assert_eq!(default_parent_zone(&Fqdn::sovereign("acme.com").unwrap()), "acme.com.");
    let zone = sovereign_records(&fqdn, None, "127.0.0.7".parse().unwrap(), None, true).unwrap();
    assert_eq!(zone.rrsets.len(), 14);
    assert!(
        zone.rrsets.values().all(|s| s.ttl == 60 && s.contents == ["127.0.0.7"] && !s.name.starts_with('*'))
    );
    assert!(zone.rrsets.contains_key(&("t111.omani.works.".into(), "A".into())));
    let custom = ["console".to_owned(), "api".to_owned()];
    let zone = sovereign_records(
        &fqdn,
        Some("t111.omani.works"),
        "127.0.0.7".parse().unwrap(),
        Some(&custom),
        false,
    )
    .unwrap();
    assert_eq!(
        zone.rrsets.keys().map(|k| k.0.as_str()).collect::<Vec<_>>(),
        ["api.t111.omani.works.", "console.t111.omani.works."]
    );
    assert!(sovereign_records(&fqdn, Some("other.test"), "127.0.0.7".parse().unwrap(), None, true).is_err());
}

#[test]
fn dns_15_audit_finds_wildcards_and_stray_addresses() {
    let sets = vec![
        ActualSet {
            set: set("*.omani.works.", "A", 300, &["127.0.0.66"]),
            owner: None,
            legacy_marker: false,
            all_enabled: true,
        },
        ActualSet {
            set: set("console.t1.omani.works.", "A", 60, &["127.0.0.7"]),
            owner: Some(Owner::default()),
            legacy_marker: false,
            all_enabled: true,
        },
        ActualSet {
            set: set("old.omani.works.", "A", 60, &["127.0.0.99"]),
            owner: None,
            legacy_marker: false,
            all_enabled: true,
        },
        ActualSet {
            set: set("omani.works.", "NS", 3600, &["ns1.omani.works."]),
            owner: None,
            legacy_marker: false,
            all_enabled: true,
        },
    ];
    let findings = audit(&sets, &["127.0.0.7".parse().unwrap()]);
    assert_eq!(findings.len(), 3);
    assert!(matches!(&findings[0], AuditFinding::Wildcard { set } if set.name == "*.omani.works."));
    assert_eq!(
        findings[2].to_string(),
        "old.omani.works. A points at 127.0.0.99, which is not an expected address"
    );
    assert_eq!(audit(&sets, &[]).len(), 1, "without expected IPs only wildcards are reported");
}

proptest! {
    /// Built lua always lints, whatever the URL text; a URL that would need an escape is
    /// refused by the builder, never written escaped.
    #[test]
    fn built_lua_always_parses(url_tail in "[ -~]{0,40}", a in 1u8..255, b in 1u8..255, weights in proptest::collection::vec(1u32..100, 1..4)) {
        let url = format!("http://127.0.0.1:9/{url_tail}");
        let yaml = format!("ifurlup: {{url: {}, pools: [[127.0.0.{a}], [127.0.0.{b}]]}}", serde_json::to_string(&url).unwrap());
        let rec: LuaRecord = serde_saphyr::from_str(&yaml).unwrap();
        let needs_escape = url_tail.contains(['\'', '"', '\\', '`']);
        match rec.content() {
            Ok(content) => prop_assert!(!needs_escape && lint_lua(&content).is_ok()),
            Err(e) => prop_assert!(needs_escape, "{}", e),
        }
        let w: Vec<String> = weights.iter().enumerate().map(|(i, w)| format!("{{weight: {w}, address: 127.0.0.{}}}", i + 1)).collect();
        let rec: LuaRecord = serde_saphyr::from_str(&format!("pickwhashed: [{}]", w.join(", "))).unwrap();
        prop_assert!(lint_lua(&rec.content().unwrap()).is_ok());
    }

    /// Plans are stable: planning the desired state against itself (owned) changes nothing.
    #[test]
    fn plan_against_itself_is_empty(n in 1usize..30) {
        let records: Vec<String> = (0..n).map(|i| format!("{{name: h{i}, type: A, ttl: 60, content: 127.0.0.{}}}", i + 1)).collect();
        let zone = parse_desired(&format!("zones: [{{name: p.test, records: [{}]}}]", records.join(", "))).unwrap().remove(0);
        let actual: Vec<ActualSet> = zone.rrsets.values().map(|s| ActualSet { set: s.clone(), owner: Some(Owner::default()), legacy_marker: false, all_enabled: true }).collect();
        let plan = plan_zone(&zone, Some(&actual), false);
        prop_assert!(plan.changes.is_empty() && plan.refused.is_empty());
        let _ = BTreeMap::<u8, u8>::new();
    }
}

/// Issue 16 §3 (SPEC DNS-18): the linter is an allow-list. Code, unknown functions and
/// selectors, and probes of link-local addresses are refused with the name that broke it;
/// 2,000 nested parentheses are refused before the parser (which has no depth limit) runs.
#[test]
fn the_lua_linter_is_an_allow_list() {
    for (bad, reason) in [
        (
            r#"A ";while true do end""#,
            "`while` is not allowed: a LUA record may call only ifurlup, ifportup, pickclosest, pickrandom, pickwhashed, pickwrandom, pickhashed with literal arguments",
        ),
        (r#"A ";os.execute('id') return '127.0.0.1'""#, "`os` is not allowed"),
        (r#"A "io.open('/etc/passwd')""#, "`io` is not allowed"),
        (r#"A ";if country('NL') then return '127.0.0.1' end""#, "`if` is not allowed"),
        (r#"TXT "'hello' .. 'world'""#, "'.' at byte 8 is not allowed outside strings"),
        (r#"A "pickrandom({'127.0.0.1'})[1]""#, "'[' at byte 25 is not allowed outside strings"),
        (
            r#"A "ifurlup('http://127.0.0.1/', {'127.0.0.1'}, {selector='bogus'})""#,
            "selector \"bogus\" is not a selector; use one of all, random, hashed, pickclosest, pickfirst, pickrandom, pickhashed, empty",
        ),
        (r#"A "ifurlup('http://127.0.0.1/', {'127.0.0.1'}, {follow='true'})""#, "`follow` is not allowed"),
        (
            r#"A "ifurlup('http://169.254.169.254/latest/meta-data/', {'127.0.0.1'})""#,
            "`ifurlup` URL host 169.254.169.254 is link-local (a cloud metadata service?); PowerDNS would send traffic to it",
        ),
        (
            r#"A "ifportup(80, {'169.254.169.254'})""#,
            "`ifportup` address 169.254.169.254 is link-local (a cloud metadata service?); PowerDNS would send traffic to it",
        ),
        (
            r#"A "ifurlup('http://127.0.0.1/', {'A 169.254.1.1'})""#,
            "`ifurlup` address 169.254.1.1 is link-local",
        ),
        (r#"AAAA "ifportup(80, {'fe80::1'})""#, "`ifportup` address fe80::1 is link-local"),
        (r#"A "ifportup(80, {'0.0.0.0'})""#, "`ifportup` address 0.0.0.0 is not a host address"),
        (r#"A "pickrandom(pickrandom({'127.0.0.1'}))""#, "the addresses of `pickrandom` must be a table {…}"),
        // Escapes mean one thing to a linter and another to PowerDNS (which hands them to Lua
        // as written): none are allowed. Found by review: this passed as one string before.
        (
            r#"A "pickrandom({'a\\', os.execute(string.char(105,100))}) --', ''})""#,
            "a '\\' at byte 14 inside the record string",
        ),
        // The double-quoted form (the continuum synthesizer's lua body) is not record content.
        (
            r#"A "ifurlup(\"https://probe-fsn.example.com/healthz\", {{\"127.0.0.3\"}}, {selector=\"pickfirst\"})""#,
            "a '\"' at byte 9 inside the record string",
        ),
        // A line break inside a Lua string (full_moon recovers and parses on, unbounded).
        ("A \"pickrandom('x\n,((((('127.0.0.1')\"", "the string at byte 11 holds a control character"),
        // Addresses PowerDNS reads with inet_aton: only canonical IP strings are accepted.
        (r#"A "ifportup(80, {'2852039166'})""#, "`ifportup` address \"2852039166\" is not an IP address"),
        (r#"A "ifportup(80, {'0xa9fea9fe'})""#, "`ifportup` address \"0xa9fea9fe\" is not an IP address"),
        (
            r#"A "ifportup(80, {'0251.0376.0251.0376'})""#,
            "`ifportup` address \"0251.0376.0251.0376\" is not an IP address",
        ),
        (
            r#"A "ifportup(80, {'169.254.169.254:80'})""#,
            "`ifportup` address \"169.254.169.254:80\" is not an IP address",
        ),
        (r#"A "ifportup(80, {2852039166})""#, "the addresses of `ifportup` are strings, not `2852039166`"),
        (
            r#"AAAA "ifportup(80, {'::ffff:169.254.169.254'})""#,
            "`ifportup` address ::ffff:169.254.169.254 is link-local",
        ),
        (
            r#"AAAA "ifportup(80, {'fd00:ec2::254'})""#,
            "`ifportup` address fd00:ec2::254 is the EC2 metadata service's IPv6 address",
        ),
        (
            r#"A "ifurlup('http://127.0.0.1/', {'127.0.0.1'}, {source='169.254.0.1'})""#,
            "`ifurlup` address 169.254.0.1 is link-local",
        ),
        // Numbers are plain decimals: nothing glued to them (`0or 0or …` was an operator chain).
        (
            r#"A "pickrandom({0or 0or '127.0.0.1'})""#,
            "the number at byte 12 runs into 'o'; numbers are plain decimals",
        ),
        (
            r#"A "ifurlup('file:///etc/passwd', {'127.0.0.1'})""#,
            "`ifurlup` URL \"file:///etc/passwd\" is not http:// or https://",
        ),
        (
            r#"A "pickrandom({'127.0.0.1'}), pickrandom({'127.0.0.2'})""#,
            "the lua must return exactly one call",
        ),
    ] {
        let err = lint_lua(bad).unwrap_err();
        assert!(err.reason.starts_with(reason), "{bad}:\n  got  {}\n  want {reason}", err.reason);
    }
    // Deep nesting: refused before parsing, never a stack overflow.
    let deep = format!("A \"pickrandom({}'127.0.0.1'{})\"", "(".repeat(2000), ")".repeat(2000));
    assert_eq!(lint_lua(&deep).unwrap_err().reason, "brackets nest deeper than 64 levels");
    let tables = format!("A \"pickrandom({}'127.0.0.1'{})\"", "{".repeat(70), "}".repeat(70));
    assert_eq!(lint_lua(&tables).unwrap_err().reason, "brackets nest deeper than 64 levels");
    let long = format!("A \"pickrandom({{{}}})\"", vec!["'127.0.0.1'"; 2000].join(", "));
    assert_eq!(lint_lua(&long).unwrap_err().reason, "the lua is 26012 bytes long; at most 16384 are allowed");
    // A hostile content is not echoed back whole.
    assert!(lint_lua(&long).unwrap_err().to_string().len() < 400);
}

/// Regression (fuzz `dns_desired`): a backtick made the `full_moon` lexer panic. The linter
/// refuses backticks in and out of strings before the parser runs; the builder refuses them.
#[test]
fn backticks_are_refused_not_panicked_on() {
    assert!(lint_lua("80 \"Y\n^\n2 ` 2 \"").is_err());
    assert_eq!(
        lint_lua("A \"pickrandom({`127.0.0.1`})\"").unwrap_err().reason,
        "'`' at byte 12 is not allowed outside strings (no operators, indexing or comments)"
    );
    assert_eq!(
        lint_lua(r#"A "ifurlup('http://127.0.0.1:9/a`b', {'127.0.0.1'})""#).unwrap_err().reason,
        "a backtick at byte 29; LUA record strings cannot carry one"
    );
    let rec: LuaRecord =
        serde_saphyr::from_str("ifurlup: {url: 'http://127.0.0.1:9/a`b', addresses: [127.0.0.1]}").unwrap();
    assert!(rec.content().is_err());
}

/// The example in README.md is a valid desired-state file.
#[test]
fn readme_example_is_valid() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme.split("### The DNS desired-state file").nth(1).expect("README section");
    let yaml = section.split("```yaml\n").nth(1).and_then(|s| s.split("```").next()).expect("yaml block");
    let zones = parse_desired(yaml).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(zones[0].rrsets.len(), 4);
    let geo = &zones[0].rrsets[&("geo.example.test.".to_owned(), "LUA".to_owned())];
    assert_eq!(geo.contents, [r#"A "pickclosest({'127.0.0.30', '127.0.0.40'})""#]);
}

fn owned(s: RecordSet, owner: &str) -> ActualSet {
    ActualSet { set: s, owner: Some(Owner::new(owner).unwrap()), legacy_marker: false, all_enabled: true }
}

/// Issue 16 §1: a plan creates, updates and deletes only its own owner's sets; another
/// owner's are refused (never deleted) and taken over only with force; the legacy marker
/// counts as owner `catalyst`.
#[test]
fn plans_are_scoped_to_their_owner() {
    let zone = parse_desired("owner: team-a\nzones: [{name: z.test, records: [{name: a, type: A, ttl: 60, content: 127.0.0.1}, {name: shared, type: A, ttl: 60, content: 127.0.0.5}]}]").unwrap().remove(0);
    assert_eq!(zone.owner.as_str(), "team-a");
    let actual = vec![
        owned(set("gone.z.test.", "A", 60, &["127.0.0.3"]), "team-a"),
        owned(set("b.z.test.", "A", 60, &["127.0.0.2"]), "team-b"),
        owned(set("legacy.z.test.", "A", 60, &["127.0.0.4"]), "catalyst"),
        owned(set("shared.z.test.", "A", 60, &["127.0.0.6"]), "team-b"),
    ];
    let plan = plan_zone(&zone, Some(&actual), false);
    assert_eq!(plan.owner.as_str(), "team-a");
    assert_eq!(
        plan.changes,
        [
            Change::Create { to: set("a.z.test.", "A", 60, &["127.0.0.1"]) },
            Change::Delete { from: set("gone.z.test.", "A", 60, &["127.0.0.3"]) },
        ]
    );
    assert_eq!(plan.refused.len(), 1);
    assert_eq!(
        plan.refused[0].to_string(),
        "shared.z.test. A: exists, owned by team-b; --force to take it over"
    );
    // Force takes `shared` over; it still never deletes team-b's `b` or the legacy set.
    let forced = plan_zone(&zone, Some(&actual), true);
    assert!(forced.refused.is_empty());
    assert_eq!(forced.changes.len(), 3);
    assert!(
        forced.changes.iter().all(|c| !matches!(c, Change::Delete { from } if from.name != "gone.z.test."))
    );
    // Every written set carries team-a's marker.
    let body = forced.patches(catalyst_dns::DEFAULT_MAX_BODY)[0].to_json();
    assert_eq!(
        body.matches(
            r#""comments":[{"content":"managed-by: catalyst; owner: team-a","account":"catalyst"}]"#
        )
        .count(),
        2,
        "{body}"
    );

    // A file without `owner:` is owner `catalyst`: the legacy set is its own and is deleted.
    let default = parse_desired("zones: [{name: z.test, records: []}]").unwrap().remove(0);
    let plan = plan_zone(&default, Some(&actual), false);
    assert_eq!(plan.changes, [Change::Delete { from: set("legacy.z.test.", "A", 60, &["127.0.0.4"]) }]);

    let err = parse_desired("owner: 'a b'\nzones: []").unwrap_err();
    assert_eq!(
        err[0].to_string(),
        "owner: invalid owner \"a b\": only ASCII letters, digits and - . _ : / @ are allowed [InvalidOwner]"
    );
}

/// A Sovereign's records are scoped to its own names: another Sovereign's sets in the same
/// parent zone are not even looked at, whoever owns them.
#[test]
fn sovereign_plans_never_look_outside_their_fqdn() {
    let a = Fqdn::sovereign("t111.omani.works").unwrap();
    let b = Fqdn::sovereign("t112.omani.works").unwrap();
    let zone_a = sovereign_records(&a, None, "127.0.0.7".parse().unwrap(), None, true).unwrap();
    let zone_b = sovereign_records(&b, None, "127.0.0.8".parse().unwrap(), None, true).unwrap();
    let written: Vec<ActualSet> =
        zone_a.rrsets.values().map(|s| owned(s.clone(), "sovereign:t111.omani.works")).collect();
    // Even sets of A written under B's owner (a hostile or mistaken marker) are out of B's scope.
    let mut actual = written.clone();
    actual.push(owned(set("x.t111.omani.works.", "A", 60, &["127.0.0.1"]), "sovereign:t112.omani.works"));
    actual.push(owned(set("xt112.omani.works.", "A", 60, &["127.0.0.1"]), "sovereign:t112.omani.works"));
    let plan = plan_zone(&zone_b, Some(&actual), false);
    assert_eq!(plan.changes.len(), 14);
    assert!(plan.changes.iter().all(|c| matches!(c, Change::Create { .. })));
    assert!(plan.refused.is_empty());
    let plan = plan_zone(&zone_a, Some(&written), false);
    assert!(plan.changes.is_empty() && plan.refused.is_empty());
}

/// Found by review: PowerDNS reads the generic type `TYPE65402` as LUA, so a LUA record could
/// slip past the linter under its number; generic types and `\#` contents are refused.
#[test]
fn generic_types_cannot_smuggle_a_lua_record() {
    let errors = parse_desired("zones: [{name: g.test, records: [{name: a, type: TYPE65402, ttl: 60, content: 'A \";os.execute(1)\"'}, {name: b, type: TXT, ttl: 60, content: '\\# 2 abcd'}]}]").unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "zones[0].records[0].type: TYPE65402 is a generic type number; write the type's name [InvalidType]",
            "zones[0].records[1].content[0]: generic (RFC 3597 \\#) content is not accepted; write the record in its own syntax [InvalidContent]",
        ]
    );
    assert!(check_content("TYPE1", "127.0.0.1").is_err());
    assert_eq!(
        lint_lua(r#"A "ifurlup('http://a@imds.example.test/latest/', {'192.0.2.1'})""#).unwrap_err().reason,
        "`ifurlup` URL \"http://a@imds.example.test/latest/\" carries userinfo (`…@`); the probe would not go to the pool addresses"
    );
}

/// Found by review: a plan's own existing set was refused once another owner wrote beside it
/// (every re-apply failed), and a Sovereign adopted (and could delete) every legacy set under
/// its names. Now only new sets are checked against other owners' names, and a Sovereign
/// re-marks only the legacy sets it writes, deleting none.
#[test]
fn own_sets_stay_appliable_and_legacy_adoption_is_narrow() {
    let file = parse_desired("owner: mail\nzones: [{name: omani.works, records: [{name: mail.t1, type: MX, ttl: 60, content: '10 mx.t1.omani.works.'}]}]").unwrap().remove(0);
    let mut actual = vec![owned(set("mail.t1.omani.works.", "MX", 60, &["10 mx.t1.omani.works."]), "mail")];
    actual.push(owned(set("t1.omani.works.", "A", 60, &["127.0.0.7"]), "sovereign:t1.omani.works"));
    let plan = plan_zone(&file, Some(&actual), false);
    assert!(plan.changes.is_empty() && plan.refused.is_empty(), "{plan:?}");

    let t1 = Fqdn::sovereign("t1.omani.works").unwrap();
    let zone =
        sovereign_records(&t1, None, "127.0.0.7".parse().unwrap(), Some(&["console".to_owned()]), true)
            .unwrap();
    let legacy = |name: &str, rtype: &str, content: &str| ActualSet {
        set: set(name, rtype, 60, &[content]),
        owner: Some(Owner::default()),
        legacy_marker: true,
        all_enabled: true,
    };
    let actual = vec![
        legacy("console.t1.omani.works.", "A", "127.0.0.7"),
        legacy("_acme-challenge.console.t1.omani.works.", "TXT", "\"token\""),
        legacy("t9.t1.omani.works.", "A", "127.0.0.9"),
    ];
    let plan = plan_zone(&zone, Some(&actual), false);
    let shown: Vec<String> = plan.changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "~ console.t1.omani.works. A: content unchanged, ownership marker rewritten",
            "+ t1.omani.works. 60 A [127.0.0.7]"
        ]
    );
}

/// Found by fuzzing (`pdns_zone`): a zone answer listing one (name, type) twice, once with this
/// owner's marker and once without, made the plan delete it. Such an answer is refused by
/// `parse_zone`, and `plan_zone` keeps the copy that is not the plan's owner's.
#[test]
fn a_set_listed_twice_is_never_taken_as_owned() {
    let answer = br#"{"name":"z.test.","rrsets":[
        {"name":"a.z.test.","type":"A","ttl":60,"records":[],"comments":[{"content":"by hand","account":"x"}]},
        {"name":"a.z.test.","type":"A","ttl":60,"records":[],"comments":[{"content":"managed-by: catalyst; owner: fuzz","account":"catalyst"}]}]}"#;
    assert_eq!(catalyst_dns::parse_zone(answer).unwrap_err().to_string(), "the zone lists a.z.test. A twice");
    let zone = parse_desired("owner: fuzz\nzones: [{name: z.test, records: []}]").unwrap().remove(0);
    for actual in [
        vec![
            ActualSet {
                set: set("a.z.test.", "A", 60, &[]),
                owner: None,
                legacy_marker: false,
                all_enabled: true,
            },
            owned(set("a.z.test.", "A", 60, &[]), "fuzz"),
        ],
        vec![
            owned(set("a.z.test.", "A", 60, &[]), "fuzz"),
            ActualSet {
                set: set("a.z.test.", "A", 60, &[]),
                owner: None,
                legacy_marker: false,
                all_enabled: true,
            },
        ],
    ] {
        assert!(plan_zone(&zone, Some(&actual), false).changes.is_empty());
    }
}
