//! The resolved dependency DAG and the install plan (SPEC BP-9 step 4–5, BP-10).

use std::collections::{BTreeMap, BTreeSet};

use catalyst_naming::BlueprintName;
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use semver::Version;
use serde::Serialize;
use serde_json::Value;

/// One dependency edge of a plan item, as the dependent's blueprint.yaml wrote it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanDependency {
    /// The Blueprint depended on.
    pub name: String,
    /// The alias the dependent's chart reads it under.
    pub alias: String,
    /// The install-time predicate as written; it held (edges whose `when` is false are not in
    /// the plan, see [`InstallPlan::skipped`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// The values passed to the dependency, rendered in the dependent's context (SPEC BP-7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Value>,
}

/// One Blueprint to install.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanItem {
    /// Canonical name.
    pub name: String,
    /// Chosen version.
    pub version: String,
    /// The Application name: the alias a dependent gave it, else the name without `bp-`.
    pub application: String,
    /// Whether the installed version is reused (no new Application, SPEC BP-8).
    pub reuse: bool,
    /// `installed` (reused), `upgrade` (an installed version replaced, as allowed) or `new`.
    pub status: InstallStatus,
    /// What must be ready first: the names Flux's `Kustomization.dependsOn` needs.
    pub depends_on: Vec<String>,
    /// Those dependencies with their alias, `when` and rendered `values`.
    pub dependencies: Vec<PlanDependency>,
    /// The values its dependents pass it, rendered and deep-merged (SPEC BP-7): the
    /// Application's parameters. Absent when no dependent passes any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<serde_json::Value>,
    /// What provides the reused installed version, when known: `the Sovereign's bootstrap
    /// kit, 16-cnpg.yaml`. Such an item is not installed again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provided_by: Option<String>,
}

/// What a plan item does to what is installed (SPEC BP-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InstallStatus {
    /// The installed version is reused: no new Application.
    Installed,
    /// An installed version is replaced by this one (allowed with `allow_upgrade`).
    Upgrade,
    /// Not installed: a new Application.
    New,
}

impl InstallStatus {
    /// `installed`, `upgrade` or `new`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Installed => "installed",
            Self::Upgrade => "upgrade",
            Self::New => "new",
        }
    }
}

/// Blueprints in dependency order: every item comes after everything it depends on; ties
/// are broken by name, so the same input always gives the same plan (SPEC BP-10).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstallPlan {
    /// The items, dependencies first.
    pub install_order: Vec<PlanItem>,
    /// Dependency edges of chosen versions that were not followed because their `when`
    /// is false in the dependent's context (SPEC BP-6), sorted.
    pub skipped: Vec<SkippedEdge>,
}

/// A `depends` entry whose `when` was false, so its Blueprint was not required by it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SkippedEdge {
    /// The dependent.
    pub from: String,
    /// Its chosen version.
    pub version: String,
    /// The Blueprint it would have required.
    pub to: String,
    /// The predicate, as written.
    pub when: String,
}

/// The DAG of a resolution: nodes are chosen versions, an edge runs from a dependency to its
/// dependent (install direction).
#[derive(Debug, Clone)]
pub struct Dag {
    pub(crate) graph: DiGraph<(BlueprintName, Version), PlanDependency>,
}

impl Dag {
    /// The petgraph graph (edge dependency → dependent).
    pub fn graph(&self) -> &DiGraph<(BlueprintName, Version), PlanDependency> {
        &self.graph
    }

    /// Topological order, ties broken by name. `None` when the graph has a cycle.
    pub(crate) fn order(&self) -> Option<Vec<NodeIndex>> {
        topo_order(&self.graph, |(name, _)| name.clone())
    }

    /// The install plan; `installed` marks reused versions.
    pub(crate) fn plan(
        &self,
        order: &[NodeIndex],
        installed: &BTreeMap<BlueprintName, Version>,
        provided_by: &BTreeMap<BlueprintName, String>,
    ) -> InstallPlan {
        let g = &self.graph;
        let items = order
            .iter()
            .map(|&n| {
                let (name, version) = &g[n];
                let mut dependencies: Vec<PlanDependency> =
                    g.edges_directed(n, Direction::Incoming).map(|e| e.weight().clone()).collect();
                dependencies.sort_by(|a, b| a.name.cmp(&b.name));
                // The alias given by the first dependent (by name), else the short name.
                let mut given: Vec<(&BlueprintName, &str)> = g
                    .edges_directed(n, Direction::Outgoing)
                    .map(|e| {
                        use petgraph::visit::EdgeRef;
                        (&g[e.target()].0, e.weight().alias.as_str())
                    })
                    .collect();
                given.sort_unstable();
                PlanItem {
                    name: name.to_string(),
                    version: version.to_string(),
                    application: given
                        .first()
                        .map_or_else(|| name.short().to_owned(), |(_, a)| (*a).to_owned()),
                    reuse: installed.get(name) == Some(version),
                    status: match installed.get(name) {
                        Some(v) if v == version => InstallStatus::Installed,
                        Some(_) => InstallStatus::Upgrade,
                        None => InstallStatus::New,
                    },
                    depends_on: dependencies.iter().map(|d| d.name.clone()).collect(),
                    dependencies,
                    values: None,
                    provided_by: if installed.get(name) == Some(version) {
                        provided_by.get(name).cloned()
                    } else {
                        None
                    },
                }
            })
            .collect();
        InstallPlan { install_order: items, skipped: Vec::new() }
    }

    /// Every Blueprint version of the graph, sorted.
    pub fn nodes(&self) -> Vec<&(BlueprintName, Version)> {
        let mut nodes: Vec<_> = self.graph.node_weights().collect();
        nodes.sort();
        nodes
    }

    /// Every dependency as (dependent, dependency, alias), sorted.
    pub fn edges(&self) -> Vec<(String, String, String)> {
        use petgraph::visit::EdgeRef;
        let mut edges: Vec<_> = self
            .graph
            .edge_references()
            .map(|e| {
                (
                    self.graph[e.target()].0.to_string(),
                    self.graph[e.source()].0.to_string(),
                    e.weight().alias.clone(),
                )
            })
            .collect();
        edges.sort();
        edges
    }
}

/// Kahn's algorithm with a sorted ready set: every node after its predecessors (edges run
/// from the node that must come first), ties broken by `key`, so the order is deterministic.
/// `None` when the graph has a cycle.
pub(crate) fn topo_order<N, E, K: Ord>(
    graph: &DiGraph<N, E>,
    key: impl Fn(&N) -> K,
) -> Option<Vec<NodeIndex>> {
    let order = kahn(graph, key);
    (order.len() == graph.node_count()).then_some(order)
}

/// Kahn's algorithm with `key` as tie-break: every node that can be ordered, in order. The
/// nodes missing from the result are the stalled ones: on a cycle or after one.
pub(crate) fn kahn<N, E, K: Ord>(graph: &DiGraph<N, E>, key: impl Fn(&N) -> K) -> Vec<NodeIndex> {
    let mut indegree: Vec<usize> =
        graph.node_indices().map(|n| graph.neighbors_directed(n, Direction::Incoming).count()).collect();
    let mut ready: BTreeSet<(K, NodeIndex)> =
        graph.node_indices().filter(|n| indegree[n.index()] == 0).map(|n| (key(&graph[n]), n)).collect();
    let mut order = Vec::with_capacity(graph.node_count());
    while let Some((_, n)) = ready.pop_first() {
        order.push(n);
        for next in graph.neighbors_directed(n, Direction::Outgoing) {
            indegree[next.index()] -= 1;
            if indegree[next.index()] == 0 {
                ready.insert((key(&graph[next]), next));
            }
        }
    }
    order
}

/// One cycle per strongly connected component that has one (self-loops included), each as
/// the full path back to its first node: `[a, b, c, a]`. Components and paths are ordered
/// so the output is deterministic.
pub(crate) fn cycle_paths<N: Clone + Ord, E>(graph: &DiGraph<N, E>) -> Vec<Vec<N>> {
    let mut out = Vec::new();
    for scc in petgraph::algo::tarjan_scc(graph) {
        let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
        let Some(&start) = scc.iter().min_by(|a, b| graph[**a].cmp(&graph[**b])) else { continue };
        if scc.len() == 1 && graph.find_edge(start, start).is_none() {
            continue;
        }
        // Walk from `start`, always taking the smallest next member not yet on the path;
        // inside a strongly connected component this closes a cycle.
        let mut path = vec![start];
        let mut on_path: BTreeSet<NodeIndex> = BTreeSet::from([start]);
        let mut current = start;
        loop {
            let mut next: Vec<NodeIndex> = graph.neighbors(current).filter(|n| members.contains(n)).collect();
            next.sort_by(|a, b| graph[*a].cmp(&graph[*b]));
            if next.contains(&start) && (path.len() > 1 || current == start) {
                path.push(start);
                break;
            }
            let Some(&step) = next.iter().find(|n| !on_path.contains(n)) else {
                // Closed a loop not through `start`: cut the path to that loop.
                if let Some(&back) = next.first()
                    && let Some(pos) = path.iter().position(|n| *n == back)
                {
                    path.drain(..pos);
                    path.push(back);
                }
                break;
            };
            path.push(step);
            on_path.insert(step);
            current = step;
        }
        out.push(path.into_iter().map(|n| graph[n].clone()).collect());
    }
    out.sort();
    out
}
