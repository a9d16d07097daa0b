//! Version constraints, requests, `when` expressions and release tags on arbitrary text: no
//! panic, and a parsed constraint's (or tag's) Display re-parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Ok(c) = catalyst_blueprint::Constraint::parse(s) {
        let again = catalyst_blueprint::Constraint::parse(&c.to_string()).expect("Display output must re-parse");
        assert_eq!(c, again);
    }
    if let Ok(r) = s.parse::<catalyst_blueprint::Request>() {
        assert_eq!(r.to_string().parse::<catalyst_blueprint::Request>().expect("re-parse"), r);
    }
    if let Ok(t) = catalyst_blueprint::ReleaseTag::parse(s) {
        assert_eq!(catalyst_blueprint::ReleaseTag::parse(&t.to_string()).expect("re-parse"), t);
    }
    if let Ok(w) = catalyst_blueprint::When::parse(s) {
        let _ = w.eval(&serde_json::json!({"config": {"a": 1}, "application": {"name": "x"}}));
    }
});
