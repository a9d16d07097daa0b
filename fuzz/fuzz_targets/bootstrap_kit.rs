//! Bootstrap-kit HelmRelease files on arbitrary text: no panic; an install order, when
//! given, lists every release once.
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
});
