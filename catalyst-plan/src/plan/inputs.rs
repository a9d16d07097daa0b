//! Stage 2: the Blueprint catalog and the bootstrap kit.

use catalyst_blueprint::{Catalog, KitCheck, ResolveOptions, check_kit_files};

use catalyst_naming::FieldPath;

use super::{Code, Ctx, KitPlan};

pub(super) fn load_catalog(cx: &mut Ctx, files: &[(String, String)]) -> Catalog {
    let loaded = Catalog::from_texts(files.iter().map(|(path, text)| (path.into(), text.clone())));
    cx.problems.extend(
        loaded
            .diagnostics
            .into_iter()
            .filter(catalyst_blueprint::Diagnostic::is_error)
            .map(|d| d.map_code(Code::Catalog)),
    );
    loaded.catalog
}

/// What Applications resolve against: the catalog, and the bootstrap kit as installed.
pub(super) struct Supply {
    pub catalog: Catalog,
    /// Every kit release at its chart version, provided by the Sovereign (SPEC BP-8).
    pub installed: ResolveOptions,
}

/// The kit's plan, and the kit as an installed set for resolving Applications.
pub(super) fn plan_kit(cx: &mut Ctx, files: &[(String, String)]) -> (KitPlan, ResolveOptions) {
    if files.is_empty() {
        cx.problem(Code::EmptyKit, FieldPath::root().key("bootstrapKit"), "the bootstrap kit has no files");
        return (KitPlan::default(), ResolveOptions::default());
    }
    let check: KitCheck = check_kit_files(files.to_vec());
    cx.problems.extend(
        check.findings.iter().filter(|f| f.is_error()).cloned().map(|d| d.map_code(Code::BootstrapKit)),
    );
    let installed = ResolveOptions::default().with_kit(&check);
    let plan = KitPlan {
        depends_on: check.releases.iter().map(|r| (r.name.clone(), r.depends_on.clone())).collect(),
        order: check.order,
        longest_chain: check.longest_chain,
    };
    (plan, installed)
}
