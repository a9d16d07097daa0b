//! Bootstrap-kit HelmRelease files and expected-DAG files on arbitrary text: no panic; an
//! install order, when given, lists every release once; a check against an expected DAG
//! accounts for every declared release as present or deferred.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if !s.is_char_boundary(s.len() / 2) {
        return;
    }
    let (a, b) = s.split_at(s.len() / 2);
    let files = vec![("01-a.yaml".to_owned(), a.to_owned()), ("02-b.yaml".to_owned(), b.to_owned())];
    let check = catalyst_blueprint::check_kit(&files, Some(s));
    if !check.order.is_empty() {
        let unique: std::collections::BTreeSet<&String> = check.order.iter().collect();
        assert_eq!(unique.len(), check.order.len());
    }
    for text in [s, a, b] {
        let Ok(dag) = catalyst_blueprint::ExpectedDag::parse("fuzz.yaml", text) else { continue };
        let _ = dag.cold_start_gaps();
        assert!(dag.diff(&dag).is_empty());
        let check = catalyst_blueprint::check_kit_against(&files, None, Some(&dag));
        let summary = check.summary.expect("a check against a DAG has a summary");
        assert_eq!(summary.declared, dag.slots.len());
        let present = dag.slots.iter().filter(|d| check.releases.iter().any(|r| r.name == d.name)).count();
        assert_eq!(present + summary.deferred, summary.declared);
    }
});
