//! Gitea base URLs and file paths on arbitrary text: no panic, no traversal segment survives.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Ok(base) = catalyst_gitea::BaseUrl::parse(s) {
        assert_eq!(catalyst_gitea::BaseUrl::parse(base.root()).unwrap(), base);
    }
    if let Ok(p) = catalyst_gitea::escape_path(s) {
        assert!(p.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != ".."));
    }
});
