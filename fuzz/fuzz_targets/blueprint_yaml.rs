//! blueprint.yaml on arbitrary text: the identity parser and the full model either succeed
//! or return diagnostics, never panic; a parsed model keeps its canonical identity.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let header = catalyst_blueprint::parse_header(s, None);
    match catalyst_blueprint::Blueprint::parse(s, None) {
        Ok(bp) => {
            assert!(bp.name.as_str().starts_with("bp-"));
            let h = header.expect("a valid model has a valid header");
            assert_eq!(h.name, bp.name);
            for d in &bp.depends {
                assert!(d.blueprint.as_str().starts_with("bp-"));
            }
        }
        Err(diagnostics) => assert!(diagnostics.iter().any(|d| d.is_error())),
    }
});
