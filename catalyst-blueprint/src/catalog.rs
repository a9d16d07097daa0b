//! A catalog: every known version of every Blueprint (SPEC BP-9, BP-11).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use catalyst_naming::BlueprintName;
use petgraph::graph::{DiGraph, NodeIndex};
use semver::Version;

use catalyst_naming::OrgSlug;

use crate::{Blueprint, Code, Diagnostic, Diagnostics, FieldPath};

/// Largest blueprint.yaml read from disk; larger files are reported, not parsed.
pub const MAX_BLUEPRINT_BYTES: u64 = 1024 * 1024;

/// One version of one Blueprint in a catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The parsed Blueprint.
    pub blueprint: Blueprint,
    /// The file it came from, when loaded from disk.
    pub source: Option<PathBuf>,
    /// The OCI manifest digest, when the catalog knows it (for `@sha256:` pins).
    pub digest: Option<String>,
    /// The Organization whose catalog (`<org>/shared-blueprints`) holds it; `None` for the
    /// public and Sovereign catalogs. A `private` Blueprint may only be depended on from its
    /// own Organization (SPEC BP-2, BP-9).
    pub org: Option<OrgSlug>,
}

/// A catalog could not be read at all (a single bad file is a [`Diagnostic`] instead).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The directory, or a folder inside it, could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Every version of every Blueprint, keyed by canonical name then version.
///
/// ```
/// use catalyst_blueprint::{Blueprint, Catalog};
/// let yaml = |name: &str, deps: &str| format!("apiVersion: catalyst.openova.io/v1\nkind: Blueprint\n\
///     metadata: {{name: {name}}}\nspec: {{version: 1.0.0, card: {{title: x}}, visibility: listed, depends: [{deps}]}}\n");
/// let mut catalog = Catalog::default();
/// catalog.insert(Blueprint::parse(&yaml("bp-alpha", "bp-beta"), None).unwrap(), None);
/// assert_eq!(catalog.lint()[0].code, catalyst_blueprint::Code::DanglingDependency);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: BTreeMap<BlueprintName, BTreeMap<Version, Entry>>,
}

/// The result of loading a catalog directory: the catalog and every finding per file.
#[derive(Debug)]
pub struct Loaded {
    /// Every Blueprint that parsed.
    pub catalog: Catalog,
    /// Errors of files that did not parse, and warnings of those that did, each with its file.
    pub diagnostics: Diagnostics,
}

impl Catalog {
    /// Adds one Blueprint version; returns the entry it replaced, if the version was present.
    pub fn insert(&mut self, blueprint: Blueprint, source: Option<PathBuf>) -> Option<Entry> {
        self.insert_entry(Entry { blueprint, source, digest: None, org: None })
    }

    /// Marks every entry as held by `org`'s catalog (`<org>/shared-blueprints`).
    #[must_use]
    pub fn owned_by(mut self, org: &OrgSlug) -> Self {
        for entry in self.entries.values_mut().flat_map(BTreeMap::values_mut) {
            entry.org = Some(org.clone());
        }
        self
    }

    /// Adds every entry of `other`; an entry of the same name and version replaces this
    /// catalog's, and is returned.
    pub fn merge(&mut self, other: Catalog) -> Vec<Entry> {
        let mut replaced = Vec::new();
        for entry in other.entries.into_values().flat_map(BTreeMap::into_values) {
            replaced.extend(self.insert_entry(entry));
        }
        replaced
    }

    /// Adds an entry (with a digest, for OCI-backed catalogs).
    pub fn insert_entry(&mut self, entry: Entry) -> Option<Entry> {
        let versions = self.entries.entry(entry.blueprint.name.clone()).or_default();
        versions.insert(entry.blueprint.version.clone(), entry)
    }

    /// Loads every `blueprint.yaml` below `dir` (symlinks are not followed). Files that do
    /// not parse are reported and skipped; two files with the same name and version are an
    /// error (`DuplicateVersion`). The folder a file is in must match its name; a folder
    /// named after the version (`cnpg/1.2.0/blueprint.yaml`) defers to its parent.
    pub fn load_dir(dir: &Path) -> Result<Loaded, CatalogError> {
        let mut files = Vec::new();
        collect(dir, &mut files)?;
        files.sort();
        let mut catalog = Catalog::default();
        let mut diagnostics = Diagnostics::new();
        for file in files {
            let text = match crate::read_text_capped(&file, MAX_BLUEPRINT_BYTES) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                    diagnostics.push(
                        Diagnostic::error(
                            Code::TooLarge,
                            FieldPath::root(),
                            format!("over the {MAX_BLUEPRINT_BYTES}-byte limit; not parsed"),
                        )
                        .in_file(file.display().to_string()),
                    );
                    continue;
                }
                Err(source) => return Err(CatalogError::Io { path: file.clone(), source }),
            };
            catalog.add_text(file, &text, &mut diagnostics);
        }
        Ok(Loaded { catalog, diagnostics })
    }

    /// Builds a catalog from `blueprint.yaml` texts already read, each with the path it came
    /// from (which names its folder), by the rules of [`Catalog::load_dir`]: files that do not
    /// parse are reported and skipped, and a second file with the same name and version is a
    /// `DuplicateVersion` error. Every diagnostic carries its file.
    pub fn from_texts(files: impl IntoIterator<Item = (PathBuf, String)>) -> Loaded {
        let mut catalog = Catalog::default();
        let mut diagnostics = Diagnostics::new();
        for (file, text) in files {
            catalog.add_text(file, &text, &mut diagnostics);
        }
        Loaded { catalog, diagnostics }
    }

    /// Parses one `blueprint.yaml` and adds it, reporting into `diagnostics`.
    fn add_text(&mut self, file: PathBuf, text: &str, diagnostics: &mut Diagnostics) {
        let shown = file.display().to_string();
        let with_file = |d: Diagnostic| d.in_file(shown.clone());
        match Blueprint::parse(text, folder_of(&file, text).as_deref()) {
            Ok(mut bp) => {
                diagnostics.extend(std::mem::take(&mut bp.warnings).into_iter().map(with_file));
                let (name, version) = (bp.name.clone(), bp.version.clone());
                if let Some(prev) = self.insert(bp, Some(file)) {
                    let other = prev.source.map(|p| p.display().to_string()).unwrap_or_default();
                    diagnostics.push(with_file(Diagnostic::error(
                        Code::DuplicateVersion,
                        FieldPath::root().key("spec").key("version"),
                        format!("{name} {version} is also defined by {other}"),
                    )));
                }
            }
            Err(errors) => diagnostics.extend(errors.into_iter().map(with_file)),
        }
    }

    /// The versions of `name`, lowest first.
    pub fn versions(&self, name: &BlueprintName) -> Option<&BTreeMap<Version, Entry>> {
        self.entries.get(name)
    }

    /// One version of one Blueprint.
    pub fn get(&self, name: &BlueprintName, version: &Version) -> Option<&Entry> {
        self.entries.get(name)?.get(version)
    }

    /// Every Blueprint name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &BlueprintName> {
        self.entries.keys()
    }

    /// Every entry, by name then version.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values().flat_map(BTreeMap::values)
    }

    /// Number of Blueprint versions.
    pub fn len(&self) -> usize {
        self.entries.values().map(BTreeMap::len).sum()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Catalog-wide checks (SPEC BP-11): dependencies on Blueprints not in the catalog,
    /// constraints no available version satisfies, and dependency cycles (with the full path).
    pub fn lint(&self) -> Diagnostics {
        let mut out = Diagnostics::new();
        for entry in self.entries() {
            let bp = &entry.blueprint;
            let file = entry.source.as_ref().map(|p| p.display().to_string());
            for dep in &bp.depends {
                let mut d = match self.entries.get(&dep.blueprint) {
                    None => Diagnostic::error(
                        Code::DanglingDependency,
                        dep.path.clone(),
                        format!(
                            "{} {} depends on {}, which is not in the catalog",
                            bp.name, bp.version, dep.blueprint
                        ),
                    ),
                    Some(versions) if !versions.keys().any(|v| dep.constraint.matches(v)) => {
                        Diagnostic::error(
                            Code::UnsatisfiableConstraint,
                            dep.path.key("version"),
                            format!(
                                "no version of {} satisfies {} (available: {})",
                                dep.blueprint,
                                dep.constraint,
                                versions.keys().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                            ),
                        )
                    }
                    Some(_) => continue,
                };
                d.file.clone_from(&file);
                out.push(d);
            }
        }
        out.extend(self.cycles());
        out
    }

    /// Cycles in the name-level dependency graph (all versions), each with its path.
    fn cycles(&self) -> Vec<Diagnostic> {
        let mut graph: DiGraph<&BlueprintName, ()> = DiGraph::new();
        let index: BTreeMap<&BlueprintName, NodeIndex> =
            self.entries.keys().map(|n| (n, graph.add_node(n))).collect();
        for entry in self.entries() {
            let from = index[&entry.blueprint.name];
            for dep in &entry.blueprint.depends {
                // Self-dependencies are reported per file by the parser.
                if let Some(&to) = index.get(&dep.blueprint)
                    && to != from
                    && graph.find_edge(from, to).is_none()
                {
                    graph.add_edge(from, to, ());
                }
            }
        }
        crate::plan::cycle_paths(&graph)
            .into_iter()
            .map(|path| {
                let names: Vec<String> = path.iter().map(|n| (*n).to_string()).collect();
                Diagnostic::error(
                    Code::DependencyCycle,
                    FieldPath::root().key("spec").key("depends"),
                    format!("dependency cycle: {}", names.join(" -> ")),
                )
            })
            .collect()
    }

    /// Names whose requirement opts into prereleases (a constraint naming one).
    pub(crate) fn prerelease_opt_ins(&self) -> BTreeSet<BlueprintName> {
        self.entries()
            .flat_map(|e| &e.blueprint.depends)
            .filter(|d| d.constraint.names_prerelease())
            .map(|d| d.blueprint.clone())
            .collect()
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CatalogError> {
    let io = |source| CatalogError::Io { path: dir.to_owned(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() {
            collect(&entry.path(), out)?;
        } else if kind.is_file() && entry.file_name() == "blueprint.yaml" {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// The folder a blueprint.yaml must be named after: its parent, or the grandparent when
/// the parent is named after the version in the file.
fn folder_of(file: &Path, text: &str) -> Option<String> {
    let parent = file.parent()?;
    let name = parent.file_name()?.to_str()?;
    if Version::parse(name).is_ok() && text.contains(name) {
        return parent.parent()?.file_name()?.to_str().map(str::to_owned);
    }
    Some(name.to_owned())
}
