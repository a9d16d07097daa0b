//! What a registry hands us, on arbitrary bytes: artifact references, OCI manifests, cosign
//! payloads and chart archives (walked, and read for the Blueprint they hold). No panic; whatever parses re-serialises to something that
//! parses to the same value; archive entries that pass are relative and free of `..`.
#![no_main]

use catalyst_blueprint::artifact::{
    ArtifactRef, Expected, ExpectedVersion, Limits, Manifest, SigningPayload, check_identity, for_each_entry,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(r) = ArtifactRef::parse(s)
    {
        assert_eq!(ArtifactRef::parse(&r.to_string()).expect("Display re-parses"), r);
    }
    if let Ok(m) = Manifest::parse(data) {
        assert_eq!(Manifest::parse(&m.to_bytes()).expect("canonical bytes re-parse"), m);
    }
    if let Ok(p) = SigningPayload::parse(data) {
        assert_eq!(SigningPayload::parse(&p.to_bytes()).expect("payload re-parses"), p);
    }
    let limits = Limits { max_total_bytes: 1 << 20, max_file_bytes: 1 << 20, max_entries: 256 };
    let _ = for_each_entry(data, limits, |path, _| {
        assert!(!path.starts_with('/') && !path.split('/').any(|c| c == ".." || c.is_empty()), "{path}");
        Ok(())
    });
    // The in-memory identity check the blueprint-controller runs on a signed chart layer.
    let expect = Expected { name: "bp-demo".into(), version: ExpectedVersion::Exact("1.0.0".into()) };
    let _ = check_identity(data, limits, &expect);
});
