//! BP-4 constraints, requests, and BP-6 `when` expressions.

#![allow(clippy::unwrap_used)]

use catalyst_blueprint::{Constraint, Pin, Request, When};
use proptest::prelude::*;
use semver::Version;
use serde_json::json;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

#[test]
fn bp_4_semantics() {
    // (constraint, admitted, refused)
    let table: &[(&str, &[&str], &[&str])] = &[
        ("^1.4", &["1.4.0", "1.9.9"], &["1.3.9", "2.0.0", "2.0.0-rc.1"]),
        ("^1", &["1.0.0", "1.99.0"], &["0.9.0", "2.0.0"]),
        ("^1.0", &["1.0.0", "1.5.0"], &["2.0.0"]),
        ("^0.4", &["0.4.0", "0.4.9"], &["0.5.0", "0.3.9"]),
        ("^0.0.3", &["0.0.3"], &["0.0.4", "0.0.2"]),
        ("~1.4", &["1.4.0", "1.4.7"], &["1.5.0", "1.3.0"]),
        ("~1.2.3", &["1.2.3", "1.2.9"], &["1.3.0", "1.2.2"]),
        ("1.2.x", &["1.2.0", "1.2.5"], &["1.3.0", "1.1.9"]),
        ("0.x", &["0.0.1", "0.9.0"], &["1.0.0"]),
        ("*", &["0.0.0", "7.1.2"], &[]),
        ("1.2.3", &["1.2.3"], &["1.2.4"]),
        ("=1.2.3", &["1.2.3"], &["1.2.2"]),
        (">=1.2 <2", &["1.2.0", "1.9.0"], &["1.1.9", "2.0.0"]),
        (">=1.2, <2.0.0", &["1.5.0"], &["2.0.0"]),
        (">= 1.2", &["1.2.0", "9.0.0"], &["1.1.0"]),
        (">1.2.3", &["1.2.4"], &["1.2.3"]),
        (">1.2", &["1.3.0"], &["1.2.9"]),
        ("<=1.2", &["1.2.9"], &["1.3.0"]),
        ("<1.2", &["1.1.9"], &["1.2.0"]),
        ("^1 || ^3", &["1.2.0", "3.0.0"], &["2.0.0"]),
        (">=1.0.0-rc.1", &["1.0.0-rc.1", "1.0.0"], &["1.0.0-alpha"]),
    ];
    for (c, yes, no) in table {
        let parsed = Constraint::parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
        for ok in *yes {
            assert!(parsed.matches(&v(ok)), "{c} should admit {ok}");
        }
        for bad in *no {
            assert!(!parsed.matches(&v(bad)), "{c} should refuse {bad}");
        }
    }
    assert!(Constraint::parse(">=1.0.0-rc.1").unwrap().names_prerelease());
    assert!(!Constraint::parse("^1").unwrap().names_prerelease());
}

#[test]
fn bp_4_invalid_ranges() {
    for (input, reason) in [
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("^", "the operator \"^\" has no version after it"),
        ("v1.2.3", "\"v1.2.3\": versions are written without a 'v' prefix"),
        ("1.x.3", "\"1.x.3\": component 3 follows a wildcard"),
        ("1.2.3.4", "\"1.2.3.4\": a version has at most 3 components"),
        ("01.2", "\"01.2\": \"01\" has a leading zero"),
        (">=*", "\">=*\": a comparison needs a version, not a wildcard"),
        ("^1 ||", "an alternative of '||' is empty"),
        ("abc", "\"abc\": \"abc\" is not a number or wildcard"),
        ("1.2-rc", "\"1.2-rc\": prerelease \"rc\" needs a full X.Y.Z version"),
    ] {
        let err = Constraint::parse(input).unwrap_err();
        assert_eq!(err.reason, reason, "{input:?}");
        assert_eq!(err.input, input);
    }
}

#[test]
fn requests_and_digest_pins() {
    let r: Request = "postgres@^1.4".parse().unwrap();
    assert_eq!((r.name.as_str(), r.to_string().as_str()), ("bp-postgres", "bp-postgres@^1.4"));
    let any: Request = "bp-cilium".parse().unwrap();
    assert_eq!(any.pin, Pin::Version(Constraint::any()));
    let digest = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let pinned: Request = format!("bp-cilium@{digest}").parse().unwrap();
    assert_eq!(pinned.pin, Pin::Digest(digest));
    assert_eq!(
        "bp-cilium@sha256:abc".parse::<Request>().unwrap_err().to_string(),
        "\"bp-cilium@sha256:abc\": invalid digest: expected sha256: followed by 64 lowercase hex digits"
    );
    assert!("BP-x@^1".parse::<Request>().is_err());
    assert!("bp-x@^1.x.2".parse::<Request>().is_err());
}

#[test]
fn bp_6_when_expressions() {
    let ctx = json!({"config": {"db": {"mode": "managed", "replicas": 3}, "ha": true}, "application": {"name": "blog"}});
    for (expr, want) in [
        ("{{ .config.db.mode == 'managed' }}", true),
        ("{{ .config.db.mode == \"self\" }}", false),
        ("{{ .config.db.replicas == 3 }}", true),
        ("{{ .config.ha && .application.name != 'shop' }}", true),
        ("{{ !.config.ha || (.config.db.mode == 'managed') }}", true),
        ("{{ .config.missing == 'x' }}", false),
        ("{{ .config.missing != 'x' }}", true),
        ("{{ .config.missing }}", false),
        ("{{ true && !false }}", true),
    ] {
        assert_eq!(When::parse(expr).unwrap().eval(&ctx), want, "{expr}");
    }
    for (expr, reason) in [
        ("no braces", "it must be written {{ <expression> }}"),
        (
            "{{ .secrets.x }}",
            "the path at position 4 must start with .config. or .application. and name a field",
        ),
        ("{{ .config.a == }}", "the expression ends too early"),
        ("{{ (.config.a }}", "the '(' at position 4 is not closed"),
        ("{{ .config.a = 'x' }}", "unexpected '=' at position 14"),
        (
            "{{ env.HOME }}",
            "\"env\" at position 4 is not supported (paths start with .config. or .application.)",
        ),
        ("{{ 'open }}", "the string at position 4 is not closed"),
    ] {
        assert_eq!(When::parse(expr).unwrap_err().reason, reason, "{expr}");
    }
    let deep = format!("{{{{ {}.config.a{} }}}}", "(".repeat(40), ")".repeat(40));
    assert_eq!(When::parse(&deep).unwrap_err().reason, "nesting deeper than 32 levels");
}

/// Issue 16 §3: a `when` of 300,000 terms (a 900 KB blueprint.yaml) overflowed the stack in
/// parse, eval and drop. Length, operands and nesting are bounded, chains are flat.
#[test]
fn hostile_when_expressions_are_refused_not_crashed_on() {
    let huge = format!("{{{{ {} }}}}", vec!["1"; 300_000].join("||"));
    let e = When::parse(&huge).unwrap_err();
    assert_eq!(e.reason, "the expression is 900000 characters long; at most 4096 are allowed");
    assert!(e.to_string().len() < 300, "the message does not repeat the input: {}", e.to_string().len());
    let many = format!("{{{{ {} }}}}", vec!["true"; 300].join(" || "));
    assert_eq!(When::parse(&many).unwrap_err().reason, "more than 256 operands of && and ||");
    let mixed = format!("{{{{ {} }}}}", vec!["true && false"; 129].join(" || "));
    assert_eq!(When::parse(&mixed).unwrap_err().reason, "more than 256 operands of && and ||");
    let nots = format!("{{{{ {}true }}}}", "!".repeat(33));
    assert_eq!(When::parse(&nots).unwrap_err().reason, "nesting deeper than 32 levels");
    // At the limits it parses and evaluates, flat.
    let ok = format!("{{{{ {} || .config.x == 'y' }}}}", vec!["false"; 255].join(" || "));
    let w = When::parse(&ok).unwrap();
    assert!(w.eval(&json!({"config": {"x": "y"}})));
    assert!(!w.eval(&json!({"config": {"x": "n"}})));
    let ands = format!("{{{{ {} }}}}", vec!["(.config.a && !.config.b)"; 80].join(" && "));
    assert!(When::parse(&ands).unwrap().eval(&json!({"config": {"a": 1, "b": false}})));
}

/// Issue 16 §3: `||` alternatives were quadratic (20,000 took 6 s); they are capped.
#[test]
fn constraint_alternatives_and_length_are_capped() {
    let many = vec!["1.0.0"; 20_000].join("||");
    let e = Constraint::parse(&many).unwrap_err();
    assert_eq!(e.reason, "it is 139998 bytes long; at most 1024 are allowed");
    assert!(e.to_string().len() < 300);
    let e = Constraint::parse(&vec!["1"; 65].join("||")).unwrap_err();
    assert_eq!(e.reason, "65 alternatives ('||'); at most 64 are allowed");
    // Found by fuzzing: the cap holds for the normalised text, so Display always re-parses.
    let tight = format!("^10{}||1", " <9".repeat(339));
    assert_eq!(tight.len(), 1023);
    let e = Constraint::parse(&tight).unwrap_err();
    assert_eq!(e.reason, "it is 1025 bytes long; at most 1024 are allowed");
    let fits = format!("^10{}||1", " <9".repeat(338));
    let c = Constraint::parse(&fits).unwrap();
    assert_eq!(Constraint::parse(&c.to_string()).unwrap(), c);
    let c =
        Constraint::parse(&(0..64).map(|i| format!("={i}.0.0")).collect::<Vec<_>>().join(" || ")).unwrap();
    assert!(c.matches(&v("63.0.0")) && !c.matches(&v("64.0.0")));
}

proptest! {
    /// Display re-parses to the same set of versions.
    #[test]
    fn constraint_display_round_trips(s in "[\\^~<>=]{0,2}[0-9x*]{1,2}(\\.[0-9x]{1,2}){0,2}( [<>]=?[0-9]\\.[0-9]){0,1}") {
        if let Ok(c) = Constraint::parse(&s) {
            let again = Constraint::parse(&c.to_string()).unwrap();
            prop_assert_eq!(&again, &c);
        }
    }

    /// `^X.Y.Z` admits exactly X.Y.Z up to the next breaking version, never its prereleases.
    #[test]
    fn caret_matches_cargo(ma in 0u64..5, mi in 0u64..5, pa in 0u64..5, tma in 0u64..6, tmi in 0u64..6, tpa in 0u64..6) {
        let c = Constraint::parse(&format!("^{ma}.{mi}.{pa}")).unwrap();
        let target = Version::new(tma, tmi, tpa);
        let lower = target >= Version::new(ma, mi, pa);
        let same_breaking = if ma > 0 { tma == ma } else if mi > 0 { tma == 0 && tmi == mi } else { tma == 0 && tmi == 0 && tpa == pa };
        prop_assert_eq!(c.matches(&target), lower && same_breaking);
        let mut pre = target.clone();
        pre.pre = semver::Prerelease::new("rc.1").unwrap();
        if !c.matches(&target) || target == Version::new(ma, mi, pa) { prop_assert!(!c.matches(&pre) || lower); }
    }

    /// The `when` parser never panics and an accepted expression evaluates on any context.
    #[test]
    fn when_never_panics(s in "\\{\\{[ .a-z()!=&|'0-9]{0,40}\\}\\}") {
        if let Ok(w) = When::parse(&s) {
            let _ = w.eval(&json!({"config": {"a": 1}}));
        }
    }
}

proptest::proptest! {
    /// BP-14: every release tag formats back to itself (folder form), maps to the platform's
    /// artifact, and no text makes the parser panic.
    #[test]
    fn release_tags_round_trip(
        products in proptest::bool::ANY,
        name in "[a-z][a-z0-9-]{1,20}[a-z0-9]",
        (major, minor, patch) in (0u32..100, 0u32..100, 0u32..100),
        noise in ".{0,80}",
    ) {
        // `bp-` followed by a digit or `-` is not a name once the prefix goes: the folder form
        // is tested with and without the prefix on names that stay valid.
        proptest::prop_assume!(
            !name.starts_with("bp-") || (name.len() >= 5 && name[3..].starts_with(|c: char| c.is_ascii_lowercase()))
        );
        let track = if products { "products" } else { "platform" };
        let tag = format!("{track}/{name}/v{major}.{minor}.{patch}");
        let parsed = catalyst_blueprint::ReleaseTag::parse(&tag).unwrap();
        let short = name.strip_prefix("bp-").unwrap_or(&name);
        proptest::prop_assert_eq!(parsed.to_string(), format!("{track}/{short}/v{major}.{minor}.{patch}"));
        proptest::prop_assert_eq!(parsed.artifact(), format!("ghcr.io/openova-io/bp-{short}:{major}.{minor}.{patch}"));
        let _ = catalyst_blueprint::ReleaseTag::parse(&noise);
    }
}
