//! blueprint.yaml on arbitrary text: the identity parser and the full model either succeed
//! or return diagnostics, never panic; a parsed model keeps its canonical identity, and
//! resolving it (its `when`s evaluated, its `values` rendered) never panics.
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
            // Resolve it against one plain version of each dependency: `when` is evaluated and
            // `values` rendered (SPEC BP-6/7) on hostile input without a panic.
            let mut catalog = catalyst_blueprint::Catalog::default();
            for d in &bp.depends {
                let yaml = format!(
                    "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: {}}}\nspec: {{version: 1.0.0, visibility: listed, card: {{title: x}}}}\n",
                    d.blueprint
                );
                if let Ok(dep) = catalyst_blueprint::Blueprint::parse(&yaml, None) {
                    catalog.insert(dep, None);
                }
            }
            let request = format!("{}@={}", bp.name, bp.version);
            catalog.insert(bp, None);
            if let Ok(request) = request.parse::<catalyst_blueprint::Request>() {
                match catalyst_blueprint::resolve(&catalog, &[request], &Default::default()) {
                    Ok(r) => assert!(!r.plan.install_order.is_empty()),
                    Err(e) => assert!(!e.to_string().is_empty()),
                }
            }
        }
        Err(diagnostics) => assert!(diagnostics.iter().any(|d| d.is_error())),
    }
});
