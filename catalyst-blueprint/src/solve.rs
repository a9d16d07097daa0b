//! Version solving with PubGrub (SPEC BP-8, BP-9).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::fmt;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use catalyst_naming::FieldPath;
use catalyst_naming::{BlueprintName, OrgSlug};
use petgraph::graph::{DiGraph, NodeIndex};
use pubgrub::{
    DefaultStringReporter, Dependencies, DependencyProvider, DerivationTree, Derived, External,
    PackageResolutionStatistics, PubGrubError, Ranges, ReportFormatter, Reporter, Term, VersionSet,
};
use semver::Version;

use crate::plan::{Dag, InstallPlan, PlanDependency, SkippedEdge, cycle_paths};
use crate::{Catalog, Pin, Request};

/// What the resolver should know besides the catalog.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ResolveOptions {
    /// Versions already installed: chosen when they satisfy every constraint (SPEC BP-8).
    pub installed: BTreeMap<BlueprintName, Version>,
    /// Consider prerelease versions everywhere. Without it, a prerelease is a candidate only
    /// when a constraint on that Blueprint names a prerelease.
    pub allow_prerelease: bool,
    /// Installed Blueprints that may be replaced by another version; any other installed
    /// version that no longer fits is [`ResolveError::InstalledVersionConflict`].
    pub allow_upgrade: BTreeSet<BlueprintName>,
    /// The requesting Application's parameters per requested Blueprint, merged over its
    /// configSchema defaults to evaluate `when` (SPEC BP-6).
    pub parameters: BTreeMap<BlueprintName, serde_json::Value>,
    /// The values each dependency receives from its dependents (SPEC BP-7): its parameters,
    /// under the caller's. Found by [`resolve`] itself.
    pub(crate) received: BTreeMap<BlueprintName, serde_json::Value>,
    /// The Organization whose Application makes the request: it may use its own `private`
    /// Blueprints (SPEC BP-9). `None`: a request from no Organization.
    pub org: Option<OrgSlug>,
    /// What installed each installed Blueprint, when known (the bootstrap kit, see
    /// [`ResolveOptions::with_kit`]); plan items and conflicts name it.
    pub provided_by: BTreeMap<BlueprintName, String>,
}

impl ResolveOptions {
    /// Marks `name` as installed at `version`.
    #[must_use]
    pub fn with_installed(mut self, name: BlueprintName, version: Version) -> Self {
        self.installed.insert(name, version);
        self
    }

    /// Parameters of the Application that requests `name` (the `config` of its `when`s).
    #[must_use]
    pub fn with_parameters(mut self, name: BlueprintName, parameters: serde_json::Value) -> Self {
        self.parameters.insert(name, parameters);
        self
    }

    /// Marks the Sovereign's bootstrap kit as installed: each HelmRelease named `bp-…` whose
    /// chart version is an exact version is installed at that version, provided by the kit (plan
    /// items say so) and the only version the solver may choose unless upgrading it is allowed.
    /// Other releases (no chart version, a range, another name) are not counted.
    #[must_use]
    pub fn with_kit(mut self, kit: &crate::KitCheck) -> Self {
        for r in &kit.releases {
            // Only Blueprint releases (`bp-…`), at an exact version; the first definition stands,
            // as in the kit check.
            let (true, Ok(name), Some(Ok(version))) = (
                r.name.starts_with(catalyst_naming::BLUEPRINT_PREFIX),
                r.name.parse::<BlueprintName>(),
                r.version.as_deref().map(Version::parse),
            ) else {
                continue;
            };
            if self.provided_by.contains_key(&name) {
                continue;
            }
            self.provided_by.insert(name.clone(), format!("the Sovereign (bootstrap kit, {})", r.file));
            self.installed.insert(name, version);
        }
        self
    }

    /// The requesting Organization.
    #[must_use]
    pub fn with_org(mut self, org: OrgSlug) -> Self {
        self.org = Some(org);
        self
    }

    /// Allows `name`'s installed version to be replaced.
    #[must_use]
    pub fn with_allow_upgrade(mut self, name: BlueprintName) -> Self {
        self.allow_upgrade.insert(name);
        self
    }

    /// Allows prereleases.
    #[must_use]
    pub fn with_prerelease(mut self, allow: bool) -> Self {
        self.allow_prerelease = allow;
        self
    }
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// A requested Blueprint is not in the catalog.
    #[error("{name} is not in the catalog (required by {required_by})")]
    UnknownBlueprint {
        /// The Blueprint.
        name: String,
        /// Who asked for it.
        required_by: String,
    },
    /// A digest pin that no catalog entry carries.
    #[error("{request}: no version of {name} in the catalog has digest {digest}")]
    UnknownDigest {
        /// The request as given.
        request: String,
        /// The Blueprint.
        name: String,
        /// The digest.
        digest: String,
    },
    /// No combination of versions satisfies every constraint: the conflict keeps PubGrub's
    /// derivation and every requirement involved; its `Display` is the whole explanation.
    #[error("{conflict}")]
    Unsatisfiable {
        /// Why.
        conflict: Box<Conflict>,
    },
    /// An installed version no longer fits and was not allowed to be replaced (SPEC BP-8).
    #[error(
        "{name} {installed} is installed{}, but {required_by} needs {name} {constraint}; allow the upgrade or change the constraint",
        provided_by.as_deref().map(|p| format!(", provided by {p}")).unwrap_or_default()
    )]
    InstalledVersionConflict {
        /// The Blueprint.
        name: String,
        /// What installed it, when known (`the Sovereign (bootstrap kit, 16-cnpg.yaml)`).
        provided_by: Option<String>,
        /// The installed version.
        installed: String,
        /// The constraint it does not satisfy, as written (`not in the catalog` when the
        /// installed version is not one the catalog has).
        constraint: String,
        /// Who asked: `the request` or `NAME VERSION (FILE, PATH)`.
        required_by: String,
    },
    /// Two dependents give one dependency different values for one key (SPEC BP-7).
    #[error("{blueprint} is given two values for {key}: {a}, and {b}")]
    ValuesConflict {
        /// The dependency that receives them.
        blueprint: String,
        /// The dotted key inside its values (`storage.size`).
        key: String,
        /// The first value and who gave it: `10 by bp-a 1.0.0 (FILE, spec.depends[0].values.storage.size)`.
        a: String,
        /// The second value and who gave it.
        b: String,
    },
    /// A `values` placeholder cannot be rendered (SPEC BP-7).
    #[error("{blueprint}{}: {path}: {message}", file.as_deref().map(|f| format!(" ({f})")).unwrap_or_default())]
    TemplateError {
        /// The dependent whose `values` it is (`bp-a 1.0.0`).
        blueprint: String,
        /// Its blueprint.yaml, when loaded from disk.
        file: Option<String>,
        /// The YAML path of the string (`spec.depends[0].values.db.host`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Edges' `when` and the values dependents pass keep changing each other (SPEC BP-6/7): a
    /// state of the received values came back, or 256 rounds did not settle them.
    #[error("the values passed to {} change which dependencies their when predicates follow, round after round; make the predicates independent of the values", blueprints.join(", "))]
    ValuesDoNotSettle {
        /// The Blueprints whose received values still changed.
        blueprints: Vec<String>,
    },
    /// A `private` Blueprint of one Organization's catalog is required from outside it
    /// (SPEC BP-2, BP-9).
    #[error("{blueprint} is private to Organization {owner}, but {required_by} requires it")]
    VisibilityViolation {
        /// The private Blueprint and version.
        blueprint: String,
        /// The Organization that owns it.
        owner: String,
        /// Who requires it: `the request from Organization X`, `the request` (no
        /// Organization) or `NAME VERSION (FILE, PATH) of Organization X` / `of the shared catalog`.
        required_by: String,
    },
    /// The chosen versions depend on each other in a cycle.
    #[error("dependency cycle: {}", path.join(" -> "))]
    DependencyCycle {
        /// The Blueprints of the cycle, ending where it started (`a -> b -> a`).
        path: Vec<String>,
    },
}

/// A solution: one version per Blueprint, its DAG and install plan.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// The chosen version of each Blueprint.
    pub versions: BTreeMap<BlueprintName, Version>,
    /// The dependency DAG of the chosen versions.
    pub dag: Dag,
    /// The install plan, dependencies first.
    pub plan: InstallPlan,
}

/// A package of the solver: the synthetic request, or a Blueprint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Pkg {
    Root,
    Bp(BlueprintName),
}

impl fmt::Display for Pkg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str(ROOT),
            Self::Bp(name) => name.fmt(f),
        }
    }
}

/// How the request reads in explanations (the formatter never shows its version).
const ROOT: &str = "the request";
const ROOT_VERSION: Version = Version::new(0, 0, 0);

/// pubgrub ranges with readable bounds: `<2.0.0-0` (below every 2.0.0 prerelease) is shown
/// as `<2.0.0`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Versions(Ranges<Version>);

impl VersionSet for Versions {
    type V = Version;
    fn empty() -> Self {
        Self(Ranges::empty())
    }
    fn singleton(v: Version) -> Self {
        Self(Ranges::singleton(v))
    }
    fn complement(&self) -> Self {
        Self(self.0.complement())
    }
    fn intersection(&self, other: &Self) -> Self {
        Self(self.0.intersection(&other.0))
    }
    fn contains(&self, v: &Version) -> bool {
        self.0.contains(v)
    }
    fn full() -> Self {
        Self(Ranges::full())
    }
    fn union(&self, other: &Self) -> Self {
        Self(self.0.union(&other.0))
    }
    fn is_disjoint(&self, other: &Self) -> bool {
        self.0.is_disjoint(&other.0)
    }
    fn subset_of(&self, other: &Self) -> bool {
        self.0.subset_of(&other.0)
    }
}

fn shown(v: &Version) -> String {
    if v.pre.as_str() == "0" { format!("{}.{}.{}", v.major, v.minor, v.patch) } else { v.to_string() }
}

impl fmt::Display for Versions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (lo, hi) in self.0.iter() {
            let part = match (lo, hi) {
                (Bound::Unbounded, Bound::Unbounded) => "*".to_owned(),
                (Bound::Included(a), Bound::Included(b)) if a == b => a.to_string(),
                (lo, hi) => {
                    let lo = match lo {
                        Bound::Included(a) => Some(format!(">={}", shown(a))),
                        Bound::Excluded(a) => Some(format!(">{a}")),
                        Bound::Unbounded => None,
                    };
                    let hi = match hi {
                        Bound::Included(b) => Some(format!("<={b}")),
                        Bound::Excluded(b) => Some(format!("<{}", shown(b))),
                        Bound::Unbounded => None,
                    };
                    lo.into_iter().chain(hi).collect::<Vec<_>>().join(", ")
                }
            };
            parts.push(part);
        }
        if parts.is_empty() { f.write_str("no version") } else { f.write_str(&parts.join(" || ")) }
    }
}

struct Provider<'a> {
    catalog: &'a Catalog,
    root: Vec<(Pkg, Versions)>,
    options: &'a ResolveOptions,
    prerelease_ok: BTreeSet<BlueprintName>,
}

/// The `when` context of a Blueprint version: `config` = its configSchema defaults with the
/// requesting Application's parameters merged over them, `application` = its identity.
pub(crate) fn when_context(entry: &crate::Entry, options: &ResolveOptions) -> serde_json::Value {
    context(entry, options.received.get(&entry.blueprint.name), options.parameters.get(&entry.blueprint.name))
}

/// `{config, application}`: configSchema defaults, then what its dependents pass it (BP-7),
/// then the caller's parameters.
pub(crate) fn context(
    entry: &crate::Entry,
    received: Option<&serde_json::Value>,
    parameters: Option<&serde_json::Value>,
) -> serde_json::Value {
    let bp = &entry.blueprint;
    let mut config = bp.config_defaults();
    for layer in [received, parameters].into_iter().flatten() {
        crate::model::merge(&mut config, layer);
    }
    serde_json::json!({
        "config": config,
        "application": {"name": bp.name.short(), "blueprint": bp.name.as_str(), "version": bp.version.to_string()},
    })
}

/// The `depends` entries of `entry` whose `when` holds (all of them when none has one), and
/// the ones skipped.
fn active_depends<'e>(
    entry: &'e crate::Entry,
    options: &ResolveOptions,
) -> (Vec<&'e crate::Dependency>, Vec<SkippedEdge>) {
    if entry.blueprint.depends.iter().all(|d| d.when.is_none()) {
        return (entry.blueprint.depends.iter().collect(), Vec::new());
    }
    let ctx = when_context(entry, options);
    let mut active = Vec::new();
    let mut skipped = Vec::new();
    for d in &entry.blueprint.depends {
        match &d.when {
            Some(w) if !w.eval(&ctx) => skipped.push(SkippedEdge {
                from: entry.blueprint.name.to_string(),
                version: entry.blueprint.version.to_string(),
                to: d.blueprint.to_string(),
                when: w.to_string(),
            }),
            _ => active.push(d),
        }
    }
    (active, skipped)
}

impl Provider<'_> {
    fn candidates<'s>(
        &'s self,
        name: &'s BlueprintName,
        range: &'s Versions,
    ) -> impl DoubleEndedIterator<Item = &'s Version> + 's {
        let pre_ok = self.options.allow_prerelease || self.prerelease_ok.contains(name);
        // A version the Sovereign's kit provides is the only one, unless upgrading is allowed.
        let pinned = (self.options.provided_by.contains_key(name)
            && !self.options.allow_upgrade.contains(name))
        .then(|| self.options.installed.get(name))
        .flatten();
        self.catalog.versions(name).into_iter().flat_map(|v| v.keys()).filter(move |v| {
            range.contains(v) && (pre_ok || v.pre.is_empty()) && pinned.is_none_or(|p| p == *v)
        })
    }
}

impl DependencyProvider for Provider<'_> {
    type P = Pkg;
    type V = Version;
    type VS = Versions;
    type M = String;
    type Err = Infallible;
    type Priority = (u32, Reverse<usize>);

    fn prioritize(
        &self,
        package: &Pkg,
        range: &Versions,
        stats: &PackageResolutionStatistics,
    ) -> Self::Priority {
        match package {
            Pkg::Root => (u32::MAX, Reverse(0)),
            Pkg::Bp(name) => match self.candidates(name, range).count() {
                // No candidate: decide it first, so the conflict surfaces at once.
                0 => (u32::MAX, Reverse(0)),
                n => (stats.conflict_count(), Reverse(n)),
            },
        }
    }

    fn choose_version(&self, package: &Pkg, range: &Versions) -> Result<Option<Version>, Infallible> {
        Ok(match package {
            Pkg::Root => Some(ROOT_VERSION),
            Pkg::Bp(name) => {
                let installed = self.options.installed.get(name);
                let mut best = None;
                for v in self.candidates(name, range).rev() {
                    if Some(v) == installed {
                        return Ok(Some(v.clone()));
                    }
                    best.get_or_insert(v);
                }
                best.cloned()
            }
        })
    }

    fn get_dependencies(
        &self,
        package: &Pkg,
        version: &Version,
    ) -> Result<Dependencies<Pkg, Versions, String>, Infallible> {
        Ok(match package {
            Pkg::Root => Dependencies::Available(self.root.iter().cloned().collect()),
            Pkg::Bp(name) => match self.catalog.get(name, version) {
                None => Dependencies::Unavailable("it is not in the catalog".into()),
                Some(entry) => {
                    let mut deps: BTreeMap<Pkg, Versions> = BTreeMap::new();
                    for d in active_depends(entry, self.options).0 {
                        let range = Versions(d.constraint.ranges().clone());
                        let slot = deps.entry(Pkg::Bp(d.blueprint.clone())).or_insert_with(Versions::full);
                        *slot = slot.intersection(&range);
                    }
                    Dependencies::Available(deps.into_iter().collect())
                }
            },
        })
    }
}

/// Resolves `requests` against `catalog`: one version per Blueprint, chosen by PubGrub,
/// preferring installed versions, then the highest (SPEC BP-8, BP-9).
///
/// ```
/// use catalyst_blueprint::{resolve, Blueprint, Catalog, ResolveOptions};
/// let bp = |name: &str, v: &str, deps: &str| Blueprint::parse(&format!(
///     "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: {name}}}\n\
///      spec: {{version: {v}, card: {{title: x}}, visibility: listed, depends: [{deps}]}}\n"), None).unwrap();
/// let mut catalog = Catalog::default();
/// catalog.insert(bp("bp-wordpress", "1.0.0", "{blueprint: bp-postgres, version: ^1.4}"), None);
/// for v in ["1.3.0", "1.4.2", "1.9.0", "2.0.0"] { catalog.insert(bp("bp-postgres", v, ""), None); }
///
/// let r = resolve(&catalog, &["wordpress".parse()?], &ResolveOptions::default())?;
/// let order: Vec<_> = r.plan.install_order.iter().map(|i| format!("{}@{}", i.name, i.version)).collect();
/// assert_eq!(order, ["bp-postgres@1.9.0", "bp-wordpress@1.0.0"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resolve(
    catalog: &Catalog,
    requests: &[Request],
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    // Values a dependent passes become the dependency's parameters, which its own `when`s
    // read: solve, render, and solve again until the values settle (one round without values).
    // A version the bootstrap kit installs may be newer than any blueprint.yaml the catalog
    // holds; it is still there to be reused (its own dependencies are the kit's).
    let with_kit = kit_versions(catalog, options);
    let catalog = with_kit.as_ref().unwrap_or(catalog);
    let mut options = options.clone();
    options.received.clear();
    // Each round can switch on one more `when` edge gated on received values, so a chain needs
    // as many rounds as it is long: at most one per Blueprint, and at most MAX_VALUE_ROUNDS
    // (a bound on time). A state seen before is a loop.
    let rounds = (catalog.names().count() + 2).min(MAX_VALUE_ROUNDS);
    let mut seen: Vec<BTreeMap<BlueprintName, serde_json::Value>> = Vec::new();
    for _ in 0..rounds {
        let mut resolution = resolve_once(catalog, requests, &options)?;
        let received = crate::values::received(catalog, &mut resolution, &options)?;
        if received == options.received {
            return Ok(resolution);
        }
        if let Some(earlier) = seen.iter().find(|s| **s == received) {
            let blueprints: BTreeSet<String> = earlier
                .keys()
                .chain(options.received.keys())
                .filter(|n| earlier.get(*n) != options.received.get(*n))
                .map(ToString::to_string)
                .collect();
            return Err(ResolveError::ValuesDoNotSettle { blueprints: blueprints.into_iter().collect() });
        }
        seen.push(std::mem::replace(&mut options.received, received));
    }
    Err(ResolveError::ValuesDoNotSettle {
        blueprints: options.received.keys().map(ToString::to_string).collect(),
    })
}

/// A conflict that a provided installed version (the bootstrap kit's) explains: a requirement
/// on it that the installed version does not satisfy, told as [`ResolveError::InstalledVersionConflict`]
/// with both files. `None` when no such requirement is involved.
fn kit_conflict(catalog: &Catalog, conflict: &Conflict, options: &ResolveOptions) -> Option<ResolveError> {
    conflict.involved().iter().find_map(|inv| {
        let provider = options.provided_by.get(&inv.name)?;
        let installed = options.installed.get(&inv.name)?;
        if options.allow_upgrade.contains(&inv.name) {
            return None;
        }
        // A requirement the kit version fails, from the request or from a Blueprint none of
        // whose versions accepts the kit version: that requirer cannot be served by the kit.
        let fails = |c: &str| c.parse::<crate::Constraint>().is_ok_and(|c| !c.matches(installed));
        let req = inv.requirements.iter().find(|r| {
            fails(&r.constraint)
                && r.by.as_ref().is_none_or(|(requirer, _)| {
                    catalog.versions(requirer).into_iter().flat_map(|v| v.values()).all(|e| {
                        e.blueprint
                            .depends
                            .iter()
                            .filter(|d| d.blueprint == inv.name)
                            .all(|d| !d.constraint.matches(installed))
                    })
                })
        })?;
        let required_by = match (&req.by, &req.at) {
            (None, _) => ROOT.to_owned(),
            (Some((n, v)), Some((file, path))) => format!("{n} {v} ({}, {path})", file.display()),
            (Some((n, v)), None) => format!("{n} {v}"),
        };
        Some(ResolveError::InstalledVersionConflict {
            name: inv.name.to_string(),
            provided_by: Some(provider.clone()),
            installed: installed.to_string(),
            constraint: req.constraint.clone(),
            required_by,
        })
    })
}

/// Most rounds of solving while passed values keep switching `when` edges on or off.
const MAX_VALUE_ROUNDS: usize = 256;

/// The catalog plus each kit-provided installed version it lacks, as a Blueprint without
/// dependencies; `None` when it lacks none (no copy).
fn kit_versions(catalog: &Catalog, options: &ResolveOptions) -> Option<Catalog> {
    let missing: Vec<(&BlueprintName, &Version)> = options
        .provided_by
        .keys()
        .filter_map(|n| Some((n, options.installed.get(n)?)))
        .filter(|(n, v)| catalog.get(n, v).is_none())
        .collect();
    if missing.is_empty() {
        return None;
    }
    let mut with_kit = catalog.clone();
    for (name, version) in missing {
        let yaml = format!(
            "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: {name}}}\nspec: {{version: \"{version}\", visibility: listed, card: {{title: {name}}}}}\n"
        );
        if let Ok(bp) = crate::Blueprint::parse(&yaml, None) {
            with_kit.insert(bp, None);
        }
    }
    Some(with_kit)
}

/// One solve with fixed contexts.
fn resolve_once(
    catalog: &Catalog,
    requests: &[Request],
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    let mut root: BTreeMap<Pkg, Versions> = BTreeMap::new();
    let mut prerelease_ok = catalog.prerelease_opt_ins();
    for r in requests {
        let Some(versions) = catalog.versions(&r.name) else {
            return Err(ResolveError::UnknownBlueprint {
                name: r.name.to_string(),
                required_by: ROOT.into(),
            });
        };
        let range = match &r.pin {
            Pin::Version(c) => {
                if c.names_prerelease() {
                    prerelease_ok.insert(r.name.clone());
                }
                Versions(c.ranges().clone())
            }
            Pin::Digest(d) => {
                let Some((v, _)) = versions.iter().find(|(_, e)| e.digest.as_deref() == Some(d)) else {
                    return Err(ResolveError::UnknownDigest {
                        request: r.to_string(),
                        name: r.name.to_string(),
                        digest: d.clone(),
                    });
                };
                prerelease_ok.insert(r.name.clone());
                Versions::singleton(v.clone())
            }
        };
        let slot = root.entry(Pkg::Bp(r.name.clone())).or_insert_with(Versions::full);
        *slot = slot.intersection(&range);
    }
    let provider = Provider { catalog, root: root.into_iter().collect(), options, prerelease_ok };
    let solution = match pubgrub::resolve(&provider, Pkg::Root, ROOT_VERSION) {
        Ok(solution) => solution,
        Err(PubGrubError::NoSolution(mut tree)) => {
            tree.collapse_no_versions();
            let conflict = Conflict::new(catalog, requests, tree);
            if let Some(kit) = kit_conflict(catalog, &conflict, options) {
                return Err(kit);
            }
            return Err(ResolveError::Unsatisfiable { conflict: Box::new(conflict) });
        }
        // The provider's error type is `Infallible`: these cannot be constructed.
        Err(
            PubGrubError::ErrorRetrievingDependencies { source, .. }
            | PubGrubError::ErrorChoosingVersion { source, .. }
            | PubGrubError::ErrorInShouldCancel(source),
        ) => match source {},
    };
    let versions: BTreeMap<BlueprintName, Version> = solution
        .into_iter()
        .filter_map(|(p, v)| match p {
            Pkg::Root => None,
            Pkg::Bp(name) => Some((name, v)),
        })
        .collect();
    installed_conflicts(catalog, requests, options, &versions)?;
    let (dag, mut skipped) = build_dag(catalog, &versions, options);
    visibility(catalog, requests, options, &versions, &dag)?;
    let Some(order) = dag.order() else {
        let mut path: Vec<String> = cycle_paths(&dag.graph)
            .into_iter()
            .next()
            .map(|p| p.into_iter().map(|(n, _)| n.to_string()).collect())
            .unwrap_or_default();
        // The DAG's edges run dependency -> dependent; show "depends on" direction.
        path.reverse();
        return Err(ResolveError::DependencyCycle { path });
    };
    let mut plan = dag.plan(&order, &options.installed, &options.provided_by);
    skipped.sort();
    plan.skipped = skipped;
    Ok(Resolution { versions, dag, plan })
}

/// SPEC BP-9: every chosen `private` Blueprint of an Organization's catalog is required only
/// from that Organization: by its request, or by Blueprints of its own catalog.
fn visibility(
    catalog: &Catalog,
    requests: &[Request],
    options: &ResolveOptions,
    versions: &BTreeMap<BlueprintName, Version>,
    dag: &Dag,
) -> Result<(), ResolveError> {
    let owner_of = |name: &BlueprintName| {
        let entry = catalog.get(name, versions.get(name)?)?;
        match (&entry.blueprint.visibility, &entry.org) {
            (crate::Visibility::Private, Some(org)) => Some((entry, org)),
            _ => None,
        }
    };
    let violation =
        |entry: &crate::Entry, owner: &OrgSlug, required_by: String| ResolveError::VisibilityViolation {
            blueprint: format!("{} {}", entry.blueprint.name, entry.blueprint.version),
            owner: owner.to_string(),
            required_by,
        };
    for r in requests {
        if let Some((entry, owner)) = owner_of(&r.name)
            && options.org.as_ref() != Some(owner)
        {
            let who = match &options.org {
                Some(org) => format!("the request from Organization {org}"),
                None => "the request (from no Organization)".to_owned(),
            };
            return Err(violation(entry, owner, who));
        }
    }
    let g = &dag.graph;
    let mut edges: Vec<(&BlueprintName, &BlueprintName)> = g
        .edge_indices()
        .filter_map(|e| g.edge_endpoints(e))
        .map(|(dependency, dependent)| (&g[dependent].0, &g[dependency].0))
        .collect();
    edges.sort();
    for (dependent, dependency) in edges {
        let Some((entry, owner)) = owner_of(dependency) else { continue };
        let Some(from) = versions.get(dependent).and_then(|v| catalog.get(dependent, v)) else { continue };
        if from.org.as_ref() == Some(owner) {
            continue;
        }
        let at = from
            .blueprint
            .depends
            .iter()
            .find(|d| &d.blueprint == dependency)
            .map(|d| match &from.source {
                Some(p) => format!(" ({}, {})", p.display(), d.path),
                None => format!(" ({})", d.path),
            })
            .unwrap_or_default();
        let catalog_of = match &from.org {
            Some(org) => format!("of Organization {org}"),
            None => "of the shared catalog".to_owned(),
        };
        return Err(violation(
            entry,
            owner,
            format!("{} {}{at} {catalog_of}", from.blueprint.name, from.blueprint.version),
        ));
    }
    Ok(())
}

/// An installed version the solution replaces without `allow_upgrade`: the first
/// requirement (the request's, then each chosen version's, by name) it does not satisfy.
fn installed_conflicts(
    catalog: &Catalog,
    requests: &[Request],
    options: &ResolveOptions,
    versions: &BTreeMap<BlueprintName, Version>,
) -> Result<(), ResolveError> {
    for (name, installed) in &options.installed {
        let Some(chosen) = versions.get(name) else { continue };
        if chosen == installed || options.allow_upgrade.contains(name) {
            continue;
        }
        let conflict = |constraint: String, required_by: String| ResolveError::InstalledVersionConflict {
            name: name.to_string(),
            provided_by: options.provided_by.get(name).cloned(),
            installed: installed.to_string(),
            constraint,
            required_by,
        };
        for r in requests.iter().filter(|r| &r.name == name) {
            let fits = match &r.pin {
                Pin::Version(c) => c.matches(installed),
                Pin::Digest(_) => false,
            };
            if !fits {
                return Err(conflict(r.pin.to_string(), ROOT.into()));
            }
        }
        for (requirer, version) in versions {
            let Some(entry) = catalog.get(requirer, version) else { continue };
            for d in entry.blueprint.depends.iter().filter(|d| &d.blueprint == name) {
                if !d.constraint.matches(installed) {
                    let at = entry
                        .source
                        .as_ref()
                        .map_or_else(String::new, |p| format!(" ({}, {})", p.display(), d.path));
                    return Err(conflict(d.constraint.to_string(), format!("{requirer} {version}{at}")));
                }
            }
        }
        if catalog.get(name, installed).is_none() {
            let have: Vec<String> =
                catalog.versions(name).into_iter().flat_map(|v| v.keys()).map(ToString::to_string).collect();
            return Err(conflict(
                format!("(one of the catalog's versions: {})", have.join(", ")),
                "the solution".into(),
            ));
        }
        // Nothing excludes it alone: the combination does (PubGrub chose another version).
        return Err(conflict(
            format!("{chosen} (the only version that fits every constraint together)"),
            "the solution".into(),
        ));
    }
    Ok(())
}

/// The DAG of the chosen versions over their active edges, and the edges their `when` skipped
/// (each version's predicates evaluated once).
fn build_dag(
    catalog: &Catalog,
    versions: &BTreeMap<BlueprintName, Version>,
    options: &ResolveOptions,
) -> (Dag, Vec<SkippedEdge>) {
    let mut graph = DiGraph::new();
    let mut skipped = Vec::new();
    let index: BTreeMap<&BlueprintName, NodeIndex> =
        versions.iter().map(|(n, v)| (n, graph.add_node((n.clone(), v.clone())))).collect();
    for (name, version) in versions {
        let Some(entry) = catalog.get(name, version) else { continue };
        let (active, not_followed) = active_depends(entry, options);
        skipped.extend(not_followed);
        for d in active {
            if let Some(&dep) = index.get(&d.blueprint) {
                let edge = PlanDependency {
                    name: d.blueprint.to_string(),
                    alias: d.alias.clone(),
                    when: d.when.as_ref().map(ToString::to_string),
                    values: d.values.clone(),
                };
                graph.add_edge(dep, index[name], edge);
            }
        }
    }
    (Dag { graph }, skipped)
}

/// Most requirement lines listed per Blueprint in an explanation.
const MAX_REQUIRERS: usize = 12;

/// Why no set of versions satisfies a request: PubGrub's derivation tree, kept as it is, and
/// every requirement on the Blueprints it involves, as written and where.
#[derive(Debug, Clone)]
pub struct Conflict {
    tree: DerivationTree<Pkg, Versions, String>,
    involved: Vec<Involved>,
}

/// A Blueprint a conflict involves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Involved {
    /// The Blueprint.
    pub name: BlueprintName,
    /// The versions the catalog has (empty: not in the catalog).
    pub available: Vec<Version>,
    /// Every requirement on it: the request's and each catalog entry's.
    pub requirements: Vec<Requirement>,
}

/// One requirement on a Blueprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Who requires it: `None` for the request, else the Blueprint version whose `depends`
    /// says so.
    pub by: Option<(BlueprintName, Version)>,
    /// The constraint as written (`^1`, `@sha256:…`).
    pub constraint: String,
    /// The file and YAML path it is written at, when the catalog was read from disk.
    pub at: Option<(PathBuf, FieldPath)>,
}

impl Conflict {
    fn new(catalog: &Catalog, requests: &[Request], tree: DerivationTree<Pkg, Versions, String>) -> Self {
        let names: BTreeSet<BlueprintName> = tree
            .packages()
            .into_iter()
            .filter_map(|p| match p {
                Pkg::Bp(n) => Some(n.clone()),
                Pkg::Root => None,
            })
            .collect();
        let involved = names
            .iter()
            .map(|name| {
                let mut requirements: Vec<Requirement> = requests
                    .iter()
                    .filter(|r| &r.name == name)
                    .map(|r| Requirement { by: None, constraint: r.pin.to_string(), at: None })
                    .collect();
                for requirer in &names {
                    for entry in catalog.versions(requirer).into_iter().flat_map(|v| v.values()) {
                        for d in entry.blueprint.depends.iter().filter(|d| &d.blueprint == name) {
                            requirements.push(Requirement {
                                by: Some((entry.blueprint.name.clone(), entry.blueprint.version.clone())),
                                constraint: d.constraint.to_string(),
                                at: entry.source.clone().map(|p| (p, d.path.clone())),
                            });
                        }
                    }
                }
                let available =
                    catalog.versions(name).map(|v| v.keys().cloned().collect()).unwrap_or_default();
                Involved { name: name.clone(), available, requirements }
            })
            .collect();
        Self { tree, involved }
    }

    /// The derivation in sentences, uv-style: "Because bp-aa 1.0.0 depends on bp-cc
    /// >=1.0.0, <2.0.0 and bp-bb 1.0.0 depends on bp-cc >=2.0.0, <3.0.0, …", one per line.
    pub fn derivation(&self) -> String {
        let available = self.involved.iter().map(|i| (&i.name, i.available.as_slice())).collect();
        DefaultStringReporter::report_with_formatter(&self.tree, &Sentences { available })
    }

    /// The Blueprints involved, each with its requirements.
    pub fn involved(&self) -> &[Involved] {
        &self.involved
    }

    /// The files the involved requirements are written in, sorted.
    pub fn files(&self) -> Vec<&Path> {
        let files: BTreeSet<&Path> = self
            .involved
            .iter()
            .flat_map(|i| &i.requirements)
            .filter_map(|r| r.at.as_ref().map(|(p, _)| p.as_path()))
            .collect();
        files.into_iter().collect()
    }
}

impl PartialEq for Conflict {
    fn eq(&self, other: &Self) -> bool {
        self.involved == other.involved && self.derivation() == other.derivation()
    }
}

impl Eq for Conflict {}

impl fmt::Display for Conflict {
    /// The derivation, every requirement involved (constraint, file and path) with the
    /// versions available, and a hint naming the files to change.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "no set of Blueprint versions satisfies the request:")?;
        for line in self.derivation().lines() {
            writeln!(f, "  {line}")?;
        }
        writeln!(f, "requirements involved:")?;
        for i in &self.involved {
            let available = if i.available.is_empty() {
                "not in the catalog".to_owned()
            } else {
                format!(
                    "available: {}",
                    i.available.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                )
            };
            writeln!(f, "  {} ({available})", i.name)?;
            for r in i.requirements.iter().take(MAX_REQUIRERS) {
                match &r.by {
                    None if r.constraint == "*" => {
                        write!(f, "    the request asks for {} (any version)", i.name)?;
                    }
                    None => write!(f, "    the request asks for {} {}", i.name, r.constraint)?,
                    Some((by, v)) if r.constraint == "*" => {
                        write!(f, "    {by} {v} requires {} (any version)", i.name)?;
                    }
                    Some((by, v)) => write!(f, "    {by} {v} requires {} {}", i.name, r.constraint)?,
                }
                match &r.at {
                    Some((file, path)) => writeln!(f, " ({}, {path})", file.display())?,
                    None => writeln!(f)?,
                }
            }
            let extra = i.requirements.len().saturating_sub(MAX_REQUIRERS);
            if extra > 0 {
                writeln!(f, "    … and {extra} more")?;
            }
        }
        let files = self.files();
        if files.is_empty() {
            write!(
                f,
                "hint: loosen one of the constraints above, or add a version that satisfies all of them"
            )
        } else {
            let files: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
            write!(
                f,
                "hint: the constraints are written in {}; loosen one of them, or add a version that satisfies all of them",
                files.join(", ")
            )
        }
    }
}

/// PubGrub's report in Blueprint words: the request is "the request" (never its synthetic
/// version), and a Blueprint's range is shown by the catalog versions it holds when that is
/// shorter (`bp-aa 1.0.0`, `every version of bp-aa`).
struct Sentences<'a> {
    available: BTreeMap<&'a BlueprintName, &'a [Version]>,
}

impl Sentences<'_> {
    /// `bp-aa 1.0.0`, `every version of bp-aa`, `bp-aa >=1.0.0, <2.0.0`, `the request`.
    fn versions_of(&self, p: &Pkg, vs: &Versions) -> String {
        let Pkg::Bp(name) = p else { return ROOT.to_owned() };
        let available = self.available.get(name).copied().unwrap_or_default();
        let held: Vec<&Version> = available.iter().filter(|v| vs.contains(v)).collect();
        match held.as_slice() {
            [one] => format!("{name} {one}"),
            _ if !available.is_empty() && held.len() == available.len() => format!("every version of {name}"),
            _ => term(p, vs),
        }
    }
}

/// `bp-cc >=1.0.0, <2.0.0`, `bp-cc` (any version), `the request`.
fn term(p: &Pkg, vs: &Versions) -> String {
    match p {
        Pkg::Root => ROOT.to_owned(),
        Pkg::Bp(_) if vs.0 == Ranges::full() => p.to_string(),
        Pkg::Bp(_) => format!("{p} {vs}"),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl ReportFormatter<Pkg, Versions, String> for Sentences<'_> {
    type Output = String;

    fn format_external(&self, external: &External<Pkg, Versions, String>) -> String {
        match external {
            External::NotRoot(..) => format!("{ROOT} is what is being solved"),
            External::NoVersions(p, vs) if vs.0 == Ranges::full() => {
                format!("there is no version of {p} in the catalog")
            }
            External::NoVersions(p, vs) => format!("there is no version of {p} {vs} in the catalog"),
            External::FromDependencyOf(Pkg::Root, _, dep, dep_vs) => {
                format!("{ROOT} asks for {}", term(dep, dep_vs))
            }
            External::FromDependencyOf(p, vs, dep, dep_vs) => {
                let dependent = self.versions_of(p, vs);
                format!("{dependent} depends on {}", term(dep, dep_vs))
            }
            External::Custom(p, vs, why) => format!("{} is unavailable: {why}", self.versions_of(p, vs)),
        }
    }

    fn format_terms(&self, terms: &pubgrub::Map<Pkg, Term<Versions>>) -> String {
        let terms: Vec<_> = terms.iter().collect();
        match terms.as_slice() {
            [] | [(Pkg::Root, Term::Positive(_))] => format!("{ROOT} cannot be satisfied"),
            [(p, Term::Positive(vs))] => format!("{} cannot be used", self.versions_of(p, vs)),
            [(p, Term::Negative(vs))] => format!("{} is required", term(p, vs)),
            [(p1, Term::Positive(r1)), (p2, Term::Negative(r2))]
            | [(p2, Term::Negative(r2)), (p1, Term::Positive(r1))] => self.format_external(
                &External::FromDependencyOf((*p1).clone(), r1.clone(), (*p2).clone(), r2.clone()),
            ),
            many => {
                let shown: Vec<String> = many
                    .iter()
                    .map(|(p, t)| match t {
                        Term::Positive(vs) => self.versions_of(p, vs),
                        Term::Negative(vs) => format!("not {}", term(p, vs)),
                    })
                    .collect();
                format!("{} are incompatible", and_list(&shown))
            }
        }
    }

    fn explain_both_external(
        &self,
        external1: &External<Pkg, Versions, String>,
        external2: &External<Pkg, Versions, String>,
        current_terms: &pubgrub::Map<Pkg, Term<Versions>>,
    ) -> String {
        format!(
            "Because {} and {}, {}.",
            self.format_external(external1),
            self.format_external(external2),
            self.format_terms(current_terms)
        )
    }

    fn explain_both_ref(
        &self,
        ref_id1: usize,
        derived1: &Derived<Pkg, Versions, String>,
        ref_id2: usize,
        derived2: &Derived<Pkg, Versions, String>,
        current_terms: &pubgrub::Map<Pkg, Term<Versions>>,
    ) -> String {
        format!(
            "Because {} ({ref_id1}) and {} ({ref_id2}), {}.",
            self.format_terms(&derived1.terms),
            self.format_terms(&derived2.terms),
            self.format_terms(current_terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        ref_id: usize,
        derived: &Derived<Pkg, Versions, String>,
        external: &External<Pkg, Versions, String>,
        current_terms: &pubgrub::Map<Pkg, Term<Versions>>,
    ) -> String {
        format!(
            "Because {} ({ref_id}) and {}, {}.",
            self.format_terms(&derived.terms),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_external(
        &self,
        external: &External<Pkg, Versions, String>,
        current_terms: &pubgrub::Map<Pkg, Term<Versions>>,
    ) -> String {
        format!("And because {}, {}.", self.format_external(external), self.format_terms(current_terms))
    }

    fn and_explain_ref(
        &self,
        ref_id: usize,
        derived: &Derived<Pkg, Versions, String>,
        current_terms: &pubgrub::Map<Pkg, Term<Versions>>,
    ) -> String {
        format!(
            "And because {} ({ref_id}), {}.",
            self.format_terms(&derived.terms),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_prior_and_external(
        &self,
        prior_external: &External<Pkg, Versions, String>,
        external: &External<Pkg, Versions, String>,
        current_terms: &pubgrub::Map<Pkg, Term<Versions>>,
    ) -> String {
        // Two requests read as one: "the request asks for bp-aa and bp-bb".
        let both = match (prior_external, external) {
            (
                External::FromDependencyOf(Pkg::Root, _, a, ra),
                External::FromDependencyOf(Pkg::Root, _, b, rb),
            ) => {
                format!("{ROOT} asks for {} and {}", term(a, ra), term(b, rb))
            }
            _ => format!("{} and {}", self.format_external(prior_external), self.format_external(external)),
        };
        format!("And because {both}, {}.", self.format_terms(current_terms))
    }
}
