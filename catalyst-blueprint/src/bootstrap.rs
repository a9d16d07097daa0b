//! Bootstrap-kit checks: the Flux HelmRelease `dependsOn` DAG of a kit folder (SPEC BK-*).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use serde_json::Value;

use crate::kit_dag::{self, ColdStartGap, DependsDrift, ExpectedDag, Wave};
use crate::plan::{cycle_paths, kahn, topo_order};
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
    /// `spec.chart.spec.version`: the chart (Blueprint) version it installs, when written.
    pub version: Option<String>,
}

/// The result of a kit check.
#[derive(Debug, Clone, Serialize)]
pub struct KitCheck {
    /// The expected DAG checked against (a path, `builtin:arch`, `builtin:expected`), if any.
    pub expected: Option<String>,
    /// Every HelmRelease, in slot order.
    pub releases: Vec<KitRelease>,
    /// Install order: every release after what it depends on, ties by slot. Empty when the
    /// graph has a cycle.
    pub order: Vec<String>,
    /// The longest dependency chain, first to install first.
    pub longest_chain: Vec<String>,
    /// Releases on disk the expected DAG does not declare (SPEC BK-4 rule 2).
    pub undeclared: Vec<String>,
    /// Releases whose `dependsOn` differs from the declared set (rule 3).
    pub drift: Vec<DependsDrift>,
    /// Declared releases with no file yet (rule 4): information, not an error.
    pub deferred: Vec<String>,
    /// Dependencies naming no release: in a HelmRelease (not in the folder) or in the expected
    /// DAG (not declared; rule 5).
    pub dangling: Vec<Dangling>,
    /// Dependency cycles, each as its path in the depends-on direction (`[a, b, a]`: a depends
    /// on b, b on a). With an expected DAG, over declared and actual edges together (rule 6).
    pub cycles: Vec<Vec<String>>,
    /// Kahn's stalled releases: on a cycle or after one.
    pub stalled: Vec<String>,
    /// The declared releases per wave, in slot order (rule 7); empty without an expected DAG.
    pub waves: BTreeMap<Wave, Vec<String>>,
    /// Counts of the check against an expected DAG (rule 7); `None` without one.
    pub summary: Option<KitSummary>,
    /// Phase-0 releases whose dependencies leave the cold-start set (SPEC BK-5; warnings).
    pub cold_start: Vec<ColdStartGap>,
    /// Findings; any error means the kit is wrong.
    pub findings: Diagnostics,
}

/// A dependency naming no release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dangling {
    /// The release that depends.
    pub name: String,
    /// The dependency it names.
    pub dependency: String,
    /// Where the edge is: `kit` (a HelmRelease's dependsOn) or `expected` (the expected DAG).
    pub declared_in: &'static str,
}

/// The counts SPEC BK-4 rule 7 reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KitSummary {
    /// HelmReleases on disk.
    pub present: usize,
    /// Releases the expected DAG declares.
    pub declared: usize,
    /// Declared, not on disk.
    pub deferred: usize,
    /// Undeclared releases, releases whose dependsOn differs, and dangling dependencies.
    pub drift: usize,
    /// Dependency cycles.
    pub cycles: usize,
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
    check_kit_dir_against(dir, None)
}

/// [`check_kit_dir`], and with `expected` every rule of SPEC BK-4 against that DAG:
/// undeclared releases, dependsOn drift, deferred slots, dangling declarations and cycles over
/// declared and actual edges.
pub fn check_kit_dir_against(dir: &Path, expected: Option<&ExpectedDag>) -> Result<KitCheck, KitError> {
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
    let check = check_kit_files_against(files, expected);
    if check.releases.is_empty() && !check.has_errors() {
        return Err(KitError::NoReleases { dir: dir.to_owned() });
    }
    Ok(check)
}

/// Checks a kit folder's files given as (file name, text), in any order: a
/// `kustomization.yaml` (or `.yml`) among them is the resources list, every other file a
/// release file. Pure: no IO.
pub fn check_kit_files(files: Vec<(String, String)>) -> KitCheck {
    check_kit_files_against(files, None)
}

/// [`check_kit_files`] against an expected DAG (see [`check_kit_dir_against`]).
pub fn check_kit_files_against(files: Vec<(String, String)>, expected: Option<&ExpectedDag>) -> KitCheck {
    let (kustomizations, mut files): (Vec<_>, Vec<_>) =
        files.into_iter().partition(|(name, _)| name == "kustomization.yaml" || name == "kustomization.yml");
    let kustomization = kustomizations.into_iter().next_back().map(|(_, text)| text);
    files.sort();
    check_kit_against(&files, kustomization.as_deref(), expected)
}

/// The slot of a kit file name: the leading digits and an optional letter (`06a-x.yaml`).
fn slot_of(file: &str) -> Option<String> {
    let (slot, rest) = file.split_once('-')?;
    (kit_dag::slot_key(slot).is_some() && !rest.is_empty()).then(|| slot.to_owned())
}

/// Sort key of a slot: number, then letter (`06` < `06a` < `07`); malformed slots last.
fn slot_key(slot: &str) -> (u32, String) {
    kit_dag::slot_key(slot).unwrap_or((u32::MAX, String::new()))
}

/// Checks kit files given as (file name, text), and the kustomization text if any
/// (SPEC BK-4, BK-5). Pure: no IO.
pub fn check_kit(files: &[(String, String)], kustomization: Option<&str>) -> KitCheck {
    check_kit_against(files, kustomization, None)
}

/// [`check_kit`] against an expected DAG (see [`check_kit_dir_against`]). Pure: no IO.
pub fn check_kit_against(
    files: &[(String, String)],
    kustomization: Option<&str>,
    expected: Option<&ExpectedDag>,
) -> KitCheck {
    let mut findings = Diagnostics::new();
    let mut releases = parse_releases(files, &mut findings);
    releases.sort_by(|a, b| slot_key(&a.slot).cmp(&slot_key(&b.slot)).then_with(|| a.name.cmp(&b.name)));
    KitCheck::from_releases(releases, findings, kustomization.map(|k| (k, files)), expected)
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
            let version = doc.pointer("/spec/chart/spec/version").and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
            releases.push(KitRelease {
                name: name.to_owned(),
                slot: slot.clone(),
                file: file.clone(),
                depends_on,
                version,
            });
        }
    }
    releases
}

impl KitCheck {
    /// The graph checks over parsed releases (in slot order), in the order of SPEC BK-4, then
    /// BK-5's.
    fn from_releases(
        releases: Vec<KitRelease>,
        mut findings: Diagnostics,
        kustomization: Option<(&str, &[(String, String)])>,
        expected: Option<&ExpectedDag>,
    ) -> Self {
        // Rule 1: a release defined twice. The first definition (lowest slot) stands.
        let mut by_name: BTreeMap<&str, &KitRelease> = BTreeMap::new();
        for r in &releases {
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

        // Each release once (its first definition), in slot order: the order findings follow.
        let unique: Vec<&KitRelease> = releases
            .iter()
            .filter(|r| by_name.get(r.name.as_str()).is_some_and(|f| std::ptr::eq(*f, *r)))
            .collect();
        let mut check = KitCheck {
            expected: expected.map(|e| e.source.clone()),
            releases: Vec::new(),
            order: Vec::new(),
            longest_chain: Vec::new(),
            undeclared: Vec::new(),
            drift: Vec::new(),
            deferred: Vec::new(),
            dangling: Vec::new(),
            cycles: Vec::new(),
            stalled: Vec::new(),
            waves: BTreeMap::new(),
            summary: None,
            cold_start: Vec::new(),
            findings: Diagnostics::new(),
        };
        if let Some(expected) = expected {
            check.against(expected, &unique, &mut findings);
        }

        check.kit_edges(&unique, &by_name, &mut findings);
        check.graph(&by_name, expected, &mut findings);
        if let Some((k, files)) = kustomization {
            findings.extend(check_kustomization(k, files));
        }
        // BK-5: Phase 0 (slots 01-15 and 19) should install from itself alone.
        check.cold_start = kit_dag::cold_start_gaps(
            releases.iter().map(|r| (r.slot.as_str(), r.name.as_str(), r.depends_on.as_slice())),
        );
        for gap in &check.cold_start {
            let file = by_name.get(gap.name.as_str()).map(|r| r.file.clone()).unwrap_or_default();
            findings.push(
                Diagnostic::warning(
                    Code::ColdStartNotClosed,
                    depends_on(),
                    format!(
                        "{} (slot {}) is in the cold-start set (slots 01-15 and 19) but depends on {}, outside it",
                        gap.name,
                        gap.slot,
                        gap.missing.join(", ")
                    ),
                )
                .in_file(file),
            );
        }
        check.releases = releases;
        check.findings = findings;
        check
    }

    /// Dangling references and slot order in the HelmReleases themselves.
    fn kit_edges(
        &mut self,
        unique: &[&KitRelease],
        by_name: &BTreeMap<&str, &KitRelease>,
        findings: &mut Diagnostics,
    ) {
        for r in unique {
            for dep in &r.depends_on {
                let finding = match by_name.get(dep.as_str()) {
                    None => {
                        self.dangling.push(Dangling {
                            name: r.name.clone(),
                            dependency: dep.clone(),
                            declared_in: "kit",
                        });
                        Diagnostic::error(
                            Code::DanglingDependency,
                            depends_on(),
                            format!("{} depends on {dep}, which is not a HelmRelease of this kit", r.name),
                        )
                    }
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
    }

    /// The install order and longest chain of the kit, and rule 6: cycles (with Kahn's stalled
    /// releases) over the actual edges, and the declared ones when there is an expected DAG.
    fn graph(
        &mut self,
        by_name: &BTreeMap<&str, &KitRelease>,
        expected: Option<&ExpectedDag>,
        findings: &mut Diagnostics,
    ) {
        // The actual DAG: an edge from each dependency to its dependent (install direction).
        let mut graph: DiGraph<(u32, String, String), ()> = DiGraph::new();
        let mut index: BTreeMap<String, NodeIndex> = BTreeMap::new();
        let mut node = |graph: &mut DiGraph<_, _>, name: &str, slot: &str| {
            *index.entry(name.to_owned()).or_insert_with(|| {
                let (num, letter) = slot_key(slot);
                graph.add_node((num, letter, name.to_owned()))
            })
        };
        let mut edges = Vec::new();
        for r in by_name.values() {
            let to = node(&mut graph, &r.name, &r.slot);
            for dep in &r.depends_on {
                if let Some(d) = by_name.get(dep.as_str()) {
                    edges.push((node(&mut graph, dep, &d.slot), to));
                }
            }
        }
        for &(from, to) in &edges {
            graph.update_edge(from, to, ());
        }
        // Rule 6 runs on declared and actual edges together: a cycle either side would stall
        // a rollout (the HelmReleases now, or the slots still to come).
        let mut union = graph.clone();
        if let Some(expected) = expected {
            for s in &expected.slots {
                let to = node(&mut union, &s.name, &s.slot);
                for dep in &s.depends_on {
                    if let Some(d) = expected.get(dep) {
                        let from = node(&mut union, dep, &d.slot);
                        union.update_edge(from, to, ());
                    }
                }
            }
        }
        let cycles = cycle_paths(&union);
        let ordered: BTreeSet<NodeIndex> = kahn(&union, Clone::clone).into_iter().collect();
        let mut stalled: Vec<&(u32, String, String)> =
            union.node_indices().filter(|n| !ordered.contains(n)).map(|n| &union[n]).collect();
        stalled.sort();
        self.stalled = stalled.iter().map(|(_, _, n)| n.clone()).collect();
        for path in &cycles {
            // Edges run dependency -> dependent; show the "depends on" direction.
            let names: Vec<String> = path.iter().rev().map(|(_, _, n)| n.clone()).collect();
            findings.push(Diagnostic::error(
                Code::DependencyCycle,
                depends_on(),
                format!("dependency cycle: {}", names.join(" -> ")),
            ));
            self.cycles.push(names);
        }
        if let Some((order, chain)) = order_and_chain(&graph) {
            (self.order, self.longest_chain) = (order, chain);
        }
        if let Some(summary) = &mut self.summary {
            summary.cycles = self.cycles.len();
            summary.drift += self.dangling.iter().filter(|d| d.declared_in == "kit").count();
        }
    }

    /// SPEC BK-4 rules 2-5 against an expected DAG, and rule 7's waves and counts.
    fn against(&mut self, expected: &ExpectedDag, unique: &[&KitRelease], findings: &mut Diagnostics) {
        let source = &expected.source;
        // Rule 2: on disk, not declared.
        for r in unique {
            if expected.get(&r.name).is_none() {
                self.undeclared.push(r.name.clone());
                findings.push(
                    Diagnostic::error(
                        Code::UndeclaredRelease,
                        FieldPath::root().key("metadata").key("name"),
                        format!("{} is not declared in {source}", r.name),
                    )
                    .in_file(r.file.clone()),
                );
            }
        }
        // Rule 3: dependsOn against the declared set, as sets.
        for r in unique {
            let Some(declared) = expected.get(&r.name) else { continue };
            if let Some(drift) = DependsDrift::between(&r.name, &declared.depends_on, &r.depends_on) {
                let mut parts = Vec::new();
                if !drift.missing.is_empty() {
                    parts.push(format!("missing {}", drift.missing.join(", ")));
                }
                if !drift.extra.is_empty() {
                    parts.push(format!("extra {}", drift.extra.join(", ")));
                }
                findings.push(
                    Diagnostic::error(
                        Code::DependsDrift,
                        depends_on(),
                        format!(
                            "{} differs from {source} (slot {}): {}",
                            r.name,
                            declared.slot,
                            parts.join("; ")
                        ),
                    )
                    .in_file(r.file.clone()),
                );
                self.drift.push(drift);
            }
        }
        // Rule 4: declared, not on disk (information).
        let present: BTreeSet<&str> = unique.iter().map(|r| r.name.as_str()).collect();
        self.deferred = expected
            .slots
            .iter()
            .filter(|s| !present.contains(s.name.as_str()))
            .map(|s| s.name.clone())
            .collect();
        // Rule 5: a declared dependency naming no declared release.
        for (name, dependency) in expected.dangling() {
            findings.push(
                Diagnostic::error(
                    Code::DanglingDependency,
                    FieldPath::root().key("slots"),
                    format!("{name} is declared to depend on {dependency}, which is not declared"),
                )
                .in_file(source.clone()),
            );
            self.dangling.push(Dangling { name, dependency, declared_in: "expected" });
        }
        // Rule 7: the declared graph by wave, in slot order.
        for s in &expected.slots {
            self.waves.entry(s.wave).or_default().push(s.name.clone());
        }
        self.summary = Some(KitSummary {
            present: unique.len(),
            declared: expected.slots.len(),
            deferred: self.deferred.len(),
            drift: self.undeclared.len() + self.drift.len() + self.dangling.len(),
            cycles: 0,
        });
    }
}

/// The install order with (slot, name) as tie-break, and the longest chain; `None` when the
/// graph has a cycle.
fn order_and_chain(graph: &DiGraph<(u32, String, String), ()>) -> Option<(Vec<String>, Vec<String>)> {
    let order = topo_order(graph, Clone::clone)?;
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
    Some((order.into_iter().map(|n| graph[n].2.clone()).collect(), chain))
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
