//! Version solving with PubGrub (SPEC BP-8, BP-9).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::fmt;
use std::fmt::Write as _;
use std::ops::Bound;

use catalyst_naming::BlueprintName;
use petgraph::graph::{DiGraph, NodeIndex};
use pubgrub::{
    DefaultStringReporter, Dependencies, DependencyProvider, PackageResolutionStatistics, PubGrubError,
    Ranges, Reporter, VersionSet,
};
use semver::Version;

use crate::plan::{Dag, InstallPlan, PlanDependency, cycle_paths};
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
}

impl ResolveOptions {
    /// Marks `name` as installed at `version`.
    #[must_use]
    pub fn with_installed(mut self, name: BlueprintName, version: Version) -> Self {
        self.installed.insert(name, version);
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
    /// No combination of versions satisfies every constraint.
    #[error("{explanation}")]
    Unsatisfiable {
        /// The full human explanation: the derivation, then every requirement involved with
        /// its constraint as written and where it was written.
        explanation: String,
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

/// How the request reads in explanations; its version is cut from the text afterwards.
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

impl Provider<'_> {
    fn candidates<'s>(
        &'s self,
        name: &'s BlueprintName,
        range: &'s Versions,
    ) -> impl DoubleEndedIterator<Item = &'s Version> + 's {
        let pre_ok = self.options.allow_prerelease || self.prerelease_ok.contains(name);
        self.catalog
            .versions(name)
            .into_iter()
            .flat_map(|v| v.keys())
            .filter(move |v| range.contains(v) && (pre_ok || v.pre.is_empty()))
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
                    for d in &entry.blueprint.depends {
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
            let packages: BTreeSet<Pkg> = tree.packages().into_iter().cloned().collect();
            let report = DefaultStringReporter::report(&tree)
                .replace(&format!("{ROOT} {ROOT_VERSION}"), ROOT)
                .replace(&format!("{ROOT} is forbidden"), &format!("{ROOT} cannot be satisfied"));
            return Err(ResolveError::Unsatisfiable {
                explanation: explain(catalog, requests, &packages, &report),
            });
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
    let dag = build_dag(catalog, &versions);
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
    let plan = dag.plan(&order, &options.installed);
    Ok(Resolution { versions, dag, plan })
}

fn build_dag(catalog: &Catalog, versions: &BTreeMap<BlueprintName, Version>) -> Dag {
    let mut graph = DiGraph::new();
    let index: BTreeMap<&BlueprintName, NodeIndex> =
        versions.iter().map(|(n, v)| (n, graph.add_node((n.clone(), v.clone())))).collect();
    for (name, version) in versions {
        let Some(entry) = catalog.get(name, version) else { continue };
        for d in &entry.blueprint.depends {
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
    Dag { graph }
}

/// Most requirement lines listed per Blueprint in an explanation.
const MAX_REQUIRERS: usize = 12;

/// PubGrub's derivation, then, for each Blueprint it involves, every requirement on it as
/// written (constraint text, file and YAML path) and the versions available.
fn explain(catalog: &Catalog, requests: &[Request], packages: &BTreeSet<Pkg>, report: &str) -> String {
    let mut out =
        format!("no set of Blueprint versions satisfies the request:\n  {}\n", report.replace('\n', "\n  "));
    let involved: BTreeSet<&BlueprintName> = packages
        .iter()
        .filter_map(|p| match p {
            Pkg::Bp(n) => Some(n),
            Pkg::Root => None,
        })
        .collect();
    out.push_str("requirements involved:\n");
    for name in &involved {
        let mut lines: Vec<String> = requests
            .iter()
            .filter(|r| &&r.name == name)
            .map(|r| format!("the request asks for {} {}", r.name, r.pin))
            .collect();
        for requirer in &involved {
            for entry in catalog.versions(requirer).into_iter().flat_map(|v| v.values()) {
                for d in entry.blueprint.depends.iter().filter(|d| &&d.blueprint == name) {
                    let at = entry
                        .source
                        .as_ref()
                        .map_or_else(String::new, |p| format!(" ({}, {})", p.display(), d.path));
                    lines.push(format!(
                        "{} {} requires {} {}{at}",
                        entry.blueprint.name, entry.blueprint.version, d.blueprint, d.constraint
                    ));
                }
            }
        }
        let available = catalog.versions(name).map_or_else(
            || "not in the catalog".to_owned(),
            |v| format!("available: {}", v.keys().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
        );
        let _ = writeln!(out, "  {name} ({available})");
        let extra = lines.len().saturating_sub(MAX_REQUIRERS);
        for line in lines.iter().take(MAX_REQUIRERS) {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
        if extra > 0 {
            let _ = writeln!(out, "    … and {extra} more");
        }
    }
    out.trim_end().to_owned()
}
