//! Bootstrap-kit checks: the Flux HelmRelease `dependsOn` DAG of a kit folder (SPEC BK-*).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use serde_json::Value;

use crate::plan::{cycle_paths, topo_order};
use crate::{Code, Diagnostic, Diagnostics, FieldPath};

/// Largest kit file read; larger files are an error.
const MAX_KIT_FILE_BYTES: u64 = 1024 * 1024;

/// One HelmRelease of the kit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KitRelease {
    /// `metadata.name` (`bp-cilium`).
    pub name: String,
    /// The slot from the file name (`01`, `06a`).
    pub slot: String,
    /// The file it is in.
    pub file: String,
    /// `spec.dependsOn[].name`, as written.
    pub depends_on: Vec<String>,
}

/// The result of a kit check.
#[derive(Debug, Clone, Serialize)]
pub struct KitCheck {
    /// Every HelmRelease, in slot order.
    pub releases: Vec<KitRelease>,
    /// Install order: every release after what it depends on, ties by slot. Empty when the
    /// graph has a cycle.
    pub order: Vec<String>,
    /// The longest dependency chain, first to install first.
    pub longest_chain: Vec<String>,
    /// Findings; any error means the kit is wrong.
    pub findings: Diagnostics,
}

impl KitCheck {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.has_errors()
    }
}

/// The kit folder cannot be checked at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KitError {
    /// The folder or a file in it could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The folder holds no HelmRelease at all.
    #[error("{}: no HelmRelease found in any *.yaml file", dir.display())]
    NoReleases {
        /// The folder.
        dir: PathBuf,
    },
}

/// Checks a kit folder: every `*.yaml` except `kustomization.yaml`, plus that file's
/// `resources` list when present.
pub fn check_kit_dir(dir: &Path) -> Result<KitCheck, KitError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| KitError::Io { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
        let yaml =
            path.extension().is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        if !path.is_file() || !yaml {
            continue;
        }
        let text = crate::read_text_capped(&path, MAX_KIT_FILE_BYTES).map_err(io(&path))?;
        files.push((name, text));
    }
    let check = check_kit_files(files);
    if check.releases.is_empty() && !check.has_errors() {
        return Err(KitError::NoReleases { dir: dir.to_owned() });
    }
    Ok(check)
}

/// Checks a kit folder's files given as (file name, text), in any order: a
/// `kustomization.yaml` (or `.yml`) among them is the resources list, every other file a
/// release file. Pure: no IO.
pub fn check_kit_files(files: Vec<(String, String)>) -> KitCheck {
    let (kustomizations, mut files): (Vec<_>, Vec<_>) =
        files.into_iter().partition(|(name, _)| name == "kustomization.yaml" || name == "kustomization.yml");
    let kustomization = kustomizations.into_iter().next_back().map(|(_, text)| text);
    files.sort();
    check_kit(&files, kustomization.as_deref())
}

/// The slot of a kit file name: the leading digits and an optional letter (`06a-x.yaml`).
fn slot_of(file: &str) -> Option<String> {
    let (slot, rest) = file.split_once('-')?;
    let digits = slot.trim_end_matches(|c: char| c.is_ascii_lowercase());
    (!digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && slot.len() - digits.len() <= 1
        && !rest.is_empty())
    .then(|| slot.to_owned())
}

/// Sort key of a slot: number, then letter (`06` < `06a` < `07`).
fn slot_key(slot: &str) -> (u32, String) {
    let digits: String = slot.chars().take_while(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(u32::MAX), slot[digits.len()..].to_owned())
}

/// Checks kit files given as (file name, text), and the kustomization text if any
/// (SPEC BK-4, BK-5). Pure: no IO.
pub fn check_kit(files: &[(String, String)], kustomization: Option<&str>) -> KitCheck {
    let mut findings = Diagnostics::new();
    let mut releases = parse_releases(files, &mut findings);
    releases.sort_by(|a, b| slot_key(&a.slot).cmp(&slot_key(&b.slot)).then_with(|| a.name.cmp(&b.name)));
    KitCheck::from_releases(releases, findings, kustomization.map(|k| (k, files)))
}

/// Every HelmRelease of the files; parse problems go to `findings`.
fn parse_releases(files: &[(String, String)], findings: &mut Diagnostics) -> Vec<KitRelease> {
    let mut releases: Vec<KitRelease> = Vec::new();
    for (file, text) in files {
        let at = |d: Diagnostic| d.in_file(file.clone());
        let Some(slot) = slot_of(file) else {
            findings.push(at(Diagnostic::error(
                Code::InvalidSlot,
                FieldPath::root(),
                "the file name does not start with a slot number (NN-<name>.yaml)",
            )));
            continue;
        };
        let docs: Vec<Value> = match serde_saphyr::from_multiple(text) {
            Ok(docs) => docs,
            Err(e) => {
                findings.push(at(Diagnostic::error(Code::Yaml, FieldPath::root(), e.to_string())));
                continue;
            }
        };
        for (i, doc) in docs.iter().enumerate() {
            if doc.get("kind").and_then(Value::as_str) != Some("HelmRelease") {
                continue;
            }
            let path = FieldPath::root().key("documents").index(i);
            let Some(name) = doc.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str) else {
                findings.push(at(Diagnostic::error(
                    Code::InvalidRelease,
                    path.key("metadata").key("name"),
                    "the HelmRelease has no name",
                )));
                continue;
            };
            let mut depends_on = Vec::new();
            match doc.get("spec").and_then(|s| s.get("dependsOn")) {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    for (j, item) in items.iter().enumerate() {
                        match item.get("name").and_then(Value::as_str) {
                            Some(dep) => depends_on.push(dep.to_owned()),
                            None => findings.push(at(Diagnostic::error(
                                Code::InvalidRelease,
                                path.key("spec").key("dependsOn").index(j),
                                "a dependsOn entry has no name",
                            ))),
                        }
                    }
                }
                Some(_) => findings.push(at(Diagnostic::error(
                    Code::InvalidRelease,
                    path.key("spec").key("dependsOn"),
                    "expected a list",
                ))),
            }
            releases.push(KitRelease {
                name: name.to_owned(),
                slot: slot.clone(),
                file: file.clone(),
                depends_on,
            });
        }
    }
    releases
}

impl KitCheck {
    /// The graph checks over parsed releases (in slot order).
    fn from_releases(
        releases: Vec<KitRelease>,
        mut findings: Diagnostics,
        kustomization: Option<(&str, &[(String, String)])>,
    ) -> Self {
        // Duplicates, dangling references and slot order.
        let mut by_name: BTreeMap<&str, &KitRelease> = BTreeMap::new();
        for r in &releases {
            // The first definition (lowest slot) stands; later ones are reported.
            match by_name.entry(&r.name) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(r);
                }
                std::collections::btree_map::Entry::Occupied(prev) => findings.push(
                    Diagnostic::error(
                        Code::DuplicateRelease,
                        FieldPath::root().key("metadata").key("name"),
                        format!("{} is also defined in {}", r.name, prev.get().file),
                    )
                    .in_file(r.file.clone()),
                ),
            }
        }
        for r in &releases {
            for dep in &r.depends_on {
                let finding = match by_name.get(dep.as_str()) {
                    None => Diagnostic::error(
                        Code::DanglingDependency,
                        depends_on(),
                        format!("{} depends on {dep}, which is not a HelmRelease of this kit", r.name),
                    ),
                    // A warning (SPEC BK-5): the prefix is not the install order (BK-1), and
                    // the target table itself has `11 powerdns <- 16 cnpg` (BK-2).
                    Some(d) if slot_key(&d.slot) > slot_key(&r.slot) => Diagnostic::warning(
                        Code::SlotOrder,
                        depends_on(),
                        format!(
                            "{} (slot {}) depends on {dep} (slot {}), a higher slot",
                            r.name, r.slot, d.slot
                        ),
                    ),
                    Some(_) => continue,
                };
                findings.push(finding.in_file(r.file.clone()));
            }
        }

        // The DAG: an edge from each dependency to its dependent (install direction).
        let mut graph: DiGraph<(u32, String, String), ()> = DiGraph::new();
        let index: BTreeMap<&str, NodeIndex> = by_name
            .iter()
            .map(|(n, r)| {
                let (num, letter) = slot_key(&r.slot);
                (*n, graph.add_node((num, letter, (*n).to_owned())))
            })
            .collect();
        for r in by_name.values() {
            for dep in &r.depends_on {
                if let Some(&from) = index.get(dep.as_str()) {
                    graph.update_edge(from, index[r.name.as_str()], ());
                }
            }
        }
        let cycles = cycle_paths(&graph);
        for path in &cycles {
            // Edges run dependency -> dependent; show the "depends on" direction.
            let names: Vec<&str> = path.iter().rev().map(|(_, _, n)| n.as_str()).collect();
            findings.push(Diagnostic::error(
                Code::DependencyCycle,
                depends_on(),
                format!("dependency cycle: {}", names.join(" -> ")),
            ));
        }
        let (order, longest_chain) =
            if cycles.is_empty() { order_and_chain(&graph) } else { (Vec::new(), Vec::new()) };

        if let Some((k, files)) = kustomization {
            findings.extend(check_kustomization(k, files));
        }
        KitCheck { releases, order, longest_chain, findings }
    }
}

/// The install order with (slot, name) as tie-break, and the longest chain. Call only on an
/// acyclic graph.
fn order_and_chain(graph: &DiGraph<(u32, String, String), ()>) -> (Vec<String>, Vec<String>) {
    let order = topo_order(graph, Clone::clone).unwrap_or_default();
    // Longest chain ending at each node: (length, predecessor), relaxed in install order.
    let mut best: Vec<(usize, Option<NodeIndex>)> = vec![(1, None); graph.node_count()];
    for &n in &order {
        for next in graph.neighbors_directed(n, petgraph::Direction::Outgoing) {
            if best[n.index()].0 + 1 > best[next.index()].0 {
                best[next.index()] = (best[n.index()].0 + 1, Some(n));
            }
        }
    }
    let mut chain = Vec::new();
    let mut cursor = order
        .iter()
        .copied()
        .max_by(|a, b| best[a.index()].0.cmp(&best[b.index()].0).then_with(|| graph[*b].cmp(&graph[*a])));
    while let Some(n) = cursor {
        chain.push(graph[n].2.clone());
        cursor = best[n.index()].1;
    }
    chain.reverse();
    (order.into_iter().map(|n| graph[n].2.clone()).collect(), chain)
}

/// `spec.dependsOn`, where graph findings point.
fn depends_on() -> FieldPath {
    FieldPath::root().key("spec").key("dependsOn")
}

/// BK-5: `resources` lists every kit file exactly once, in ascending slot order.
fn check_kustomization(text: &str, files: &[(String, String)]) -> Diagnostics {
    let at = |d: Diagnostic| d.in_file("kustomization.yaml");
    let doc: Value = match serde_saphyr::from_str(text) {
        Ok(doc) => doc,
        Err(e) => return at(Diagnostic::error(Code::Yaml, FieldPath::root(), e.to_string())).into(),
    };
    let resources: Vec<&str> = doc
        .get("resources")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let resources_at = FieldPath::root().key("resources");
    let mut out = Diagnostics::new();
    let listed: BTreeSet<&str> = resources.iter().copied().collect();
    for (file, _) in files {
        if !listed.contains(file.as_str()) {
            out.push(at(Diagnostic::error(
                Code::KustomizationOrder,
                resources_at.clone(),
                format!("{file} is not listed"),
            )));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, r) in resources.iter().enumerate() {
        if !seen.insert(*r) {
            out.push(at(Diagnostic::error(
                Code::KustomizationOrder,
                resources_at.index(i),
                format!("{r} is listed twice"),
            )));
        }
        if !files.iter().any(|(f, _)| f == r) {
            out.push(at(Diagnostic::error(
                Code::KustomizationOrder,
                resources_at.index(i),
                format!("{r} is not a file of the kit"),
            )));
        }
    }
    for (i, pair) in resources.windows(2).enumerate() {
        if let (Some(a), Some(b)) = (slot_of(pair[0]), slot_of(pair[1]))
            && slot_key(&a) > slot_key(&b)
        {
            out.push(at(Diagnostic::error(
                Code::KustomizationOrder,
                resources_at.index(i + 1),
                format!("{} comes after {}, out of slot order", pair[1], pair[0]),
            )));
        }
    }
    out
}
