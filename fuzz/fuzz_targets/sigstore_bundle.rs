//! Sigstore trust material and bundles, on arbitrary bytes (seeded with the conformance
//! suite's real bundles and roots): parsing never panics, and whatever parses goes through the
//! whole verification against the public-good root without a panic or a hang.
#![no_main]

use std::sync::OnceLock;

use catalyst_blueprint::oci::keyless::{Artifact, Bundle, TrustedRoot, verify_parsed};
use catalyst_blueprint::oci::{IdentityMatch, KeylessPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static ROOT: OnceLock<TrustedRoot> = OnceLock::new();
    let root = ROOT.get_or_init(TrustedRoot::public_good);
    let _ = TrustedRoot::from_json(data);
    if let Ok(bundle) = Bundle::parse(data) {
        let policy = KeylessPolicy {
            issuer: "https://token.actions.githubusercontent.com".into(),
            identity: IdentityMatch::Regexp(".*".into()),
        };
        let _ = verify_parsed(&bundle, Artifact::Bytes(b"hello, world!\n"), &policy, root);
        let _ = verify_parsed(&bundle, Artifact::Sha256([0; 32]), &policy, root);
    }
});
