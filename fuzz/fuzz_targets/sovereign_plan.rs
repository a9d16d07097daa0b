//! `catalyst plan` on arbitrary Sovereign files: a parse error with a path, or a plan whose
//! every problem names its stage and path; never a panic, and the same input always gives the
//! same plan.
#![no_main]

use catalyst_plan::plan::{Inputs, plan};
use catalyst_plan::spec::SovereignFile;
use libfuzzer_sys::fuzz_target;

fn inputs() -> Inputs {
    Inputs {
        catalog: vec![
            (
                "db/blueprint.yaml".into(),
                "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-db}\nspec: {version: 1.0.0, visibility: listed, card: {title: DB}}\n".into(),
            ),
            (
                "app/blueprint.yaml".into(),
                "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-app}\nspec: {version: 2.0.0, visibility: listed, card: {title: App}, depends: [{blueprint: bp-db, version: ^1}]}\n".into(),
            ),
        ],
        bootstrap_kit: vec![(
            "01-cilium.yaml".into(),
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: bp-cilium, namespace: flux-system}\nspec: {}\n".into(),
        )],
    }
}

fuzz_target!(|s: &str| {
    let Ok(file) = SovereignFile::parse(s) else { return };
    let inputs = inputs();
    let p = plan(&file, &inputs);
    for problem in &p.problems {
        assert!((!problem.path.is_root() || problem.file.is_some()) && !problem.message.is_empty(), "{problem:?}");
    }
    assert_eq!(p.summary.problems, p.problems.len());
    let again = plan(&file, &inputs);
    assert_eq!(p, again, "not deterministic");
});
