//! The normalised Blueprint model (SPEC BP-1 … BP-5), parsed from every shape in use.

use std::collections::BTreeMap;
use std::fmt;

use catalyst_naming::{BlueprintName, check_dns_label};
use semver::Version;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::header::{ApiVersion, HeaderError, identity, kind_of};
use crate::{Constraint, When};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The document is usable but not canonical.
    Warning,
    /// The document, or the catalog, is wrong.
    Error,
}

/// One finding about a blueprint.yaml or a catalog, with where it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code: the SPEC's error name (`InvalidRange`, `DanglingDependency`, …).
    pub code: &'static str,
    /// The file, when known.
    pub file: Option<String>,
    /// The YAML path inside the file (`spec.depends[2].version`).
    pub path: String,
    /// What is wrong, with the offending value.
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn error(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, code, file: None, path: path.into(), message: message.into() }
    }

    pub(crate) fn warning(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, code, file: None, path: path.into(), message: message.into() }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match &self.file {
            Some(file) => write!(f, "{level}[{}]: {file}: {}: {}", self.code, self.path, self.message),
            None => write!(f, "{level}[{}]: {}: {}", self.code, self.path, self.message),
        }
    }
}

/// Who can see a Blueprint (SPEC BP-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// A marketplace card.
    Listed,
    /// Found by name or search; the default when absent.
    Unlisted,
    /// Only the owning Org.
    Private,
}

/// The marketplace card, with the aliases of both dialects folded (SPEC BP-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Card {
    /// `card.title` (required).
    pub title: String,
    /// `card.summary` or `card.description`.
    pub summary: Option<String>,
    /// `card.category` or `card.family`.
    pub category: Option<String>,
    /// `card.docs` or `card.documentation`.
    pub docs: Option<String>,
    /// Every other card key, verbatim (`icon`, `tags`, `license`, …).
    pub extra: Map<String, Value>,
}

/// One `spec.depends` entry, normalised (SPEC BP-1, BP-4 … BP-7).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dependency {
    /// The Blueprint depended on, canonical `bp-` form.
    #[serde(serialize_with = "display")]
    pub blueprint: BlueprintName,
    /// Acceptable versions; `*` when the entry has no `version`.
    #[serde(serialize_with = "display")]
    pub constraint: Constraint,
    /// How the dependent's chart reads it (`.Values.dependencies.<alias>`); default: the
    /// name without `bp-`.
    pub alias: String,
    /// The install-time predicate, if any.
    #[serde(serialize_with = "display_opt")]
    pub when: Option<When>,
    /// Values passed to the dependency's Application, kept verbatim for the caller.
    pub values: Option<Value>,
    /// Whether the entry was written as a bare string (`- bp-cert-manager`).
    pub bare: bool,
    /// Its YAML path (`spec.depends[0]`).
    pub path: String,
}

fn display<S: serde::Serializer, T: fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

#[allow(clippy::ref_option, reason = "serde's serialize_with passes &Option<T>")]
fn display_opt<S: serde::Serializer, T: fmt::Display>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// `spec.placementSchema` (SPEC BP-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlacementSchema {
    /// Allowed placements.
    pub modes: Vec<String>,
    /// The default placement, one of `modes`.
    pub default: Option<String>,
    /// Fewest regions.
    pub min_regions: Option<u64>,
    /// Most regions.
    pub max_regions: Option<u64>,
}

/// Placement tokens of the docs and of the later CRD (SPEC BP-3).
pub const PLACEMENT_TOKENS: [&str; 9] = [
    "single-region",
    "active-active",
    "active-hotstandby",
    "singleton",
    "active-hot-standby",
    "active-passive",
    "primary-only",
    "secondary-only",
    "every-region",
];

/// The same placement under both vocabularies: `singleton` is `single-region`,
/// `active-hot-standby` is `active-hotstandby`.
fn fold_placement(token: &str) -> &str {
    match token {
        "singleton" => "single-region",
        "active-hot-standby" => "active-hotstandby",
        other => other,
    }
}

/// A parsed blueprint.yaml: one version of one Blueprint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blueprint {
    /// The apiVersion it was written in.
    #[serde(serialize_with = "display")]
    pub api_version: ApiVersion,
    /// Canonical `bp-` name.
    #[serde(serialize_with = "display")]
    pub name: BlueprintName,
    /// The version.
    #[serde(serialize_with = "display")]
    pub version: Version,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// The card.
    pub card: Card,
    /// Visibility (`unlisted` when absent).
    pub visibility: Visibility,
    /// Dependencies, in file order.
    pub depends: Vec<Dependency>,
    /// `spec.placementSchema`.
    pub placement: Option<PlacementSchema>,
    /// `spec.upgrades.from`: versions this one upgrades from.
    #[serde(serialize_with = "display_vec")]
    pub upgrades_from: Vec<Constraint>,
    /// Every other `spec` key, verbatim (`configSchema`, `manifests`, `owner`, …).
    pub spec_extra: Map<String, Value>,
    /// Unknown top-level and `metadata` keys, verbatim, keyed by their path.
    pub unknown: Map<String, Value>,
    /// Warnings found while parsing.
    pub warnings: Vec<Diagnostic>,
}

fn display_vec<S: serde::Serializer, T: fmt::Display>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(ToString::to_string))
}

impl Blueprint {
    /// Parses one blueprint.yaml. `folder`, when known, must agree with the name. On
    /// failure every error found is returned (with the warnings), each with its YAML path.
    ///
    /// ```
    /// let yaml = r"
    /// apiVersion: catalyst.openova.io/v1
    /// kind: Blueprint
    /// metadata: {name: bp-wordpress}
    /// spec:
    ///   version: 1.3.0
    ///   card: {title: WordPress}
    ///   visibility: listed
    ///   depends:
    ///     - {blueprint: bp-postgres, version: ^1.4, alias: db}
    /// ";
    /// let bp = catalyst_blueprint::Blueprint::parse(yaml, None).unwrap();
    /// assert!(bp.warnings.is_empty());
    /// assert_eq!(bp.depends[0].alias, "db");
    /// assert_eq!(bp.depends[0].constraint.to_string(), "^1.4");
    /// ```
    pub fn parse(yaml: &str, folder: Option<&str>) -> Result<Self, Vec<Diagnostic>> {
        let doc: Value = match serde_saphyr::from_str(yaml) {
            Ok(doc) => doc,
            Err(e) => return Err(vec![Diagnostic::error("Yaml", "", e.to_string())]),
        };
        Self::from_value(&doc, folder)
    }

    /// Builds the model from an already-parsed document.
    pub fn from_value(doc: &Value, folder: Option<&str>) -> Result<Self, Vec<Diagnostic>> {
        let mut p = Walk::default();
        let header = match identity(doc, folder) {
            Ok(h) => h,
            Err(e) => return Err(vec![header_diagnostic(&e)]),
        };
        for w in &header.warnings {
            let (path, msg) = w.split_once(": ").unwrap_or(("", w));
            let code = if path == "metadata.version" { "MetadataVersion" } else { "NameWithoutPrefix" };
            p.out.push(Diagnostic::warning(code, path, msg));
        }
        let mut unknown = Map::new();
        if let Some(top) = doc.as_object() {
            for (k, v) in top {
                if !["apiVersion", "kind", "metadata", "spec"].contains(&k.as_str()) {
                    p.unknown_field(k);
                    unknown.insert(k.clone(), v.clone());
                }
            }
        }
        let metadata = doc.get("metadata");
        if let Some(meta) = metadata.and_then(Value::as_object) {
            for (k, v) in meta {
                if !["name", "version", "labels", "annotations"].contains(&k.as_str()) {
                    p.unknown_field(&format!("metadata.{k}"));
                    unknown.insert(format!("metadata.{k}"), v.clone());
                }
            }
        }
        let labels = p.string_map(metadata.and_then(|m| m.get("labels")), "metadata.labels");
        let empty = Map::new();
        let spec = match doc.get("spec") {
            Some(Value::Object(m)) => m,
            None => &empty,
            Some(other) => {
                p.error("InvalidSpec", "spec", format!("expected a mapping, found {}", kind_of(other)));
                &empty
            }
        };
        let card = p.card(spec.get("card"));
        let visibility = p.visibility(spec.get("visibility"));
        let depends = p.depends(spec.get("depends"), &header.name);
        let placement = spec.get("placementSchema").and_then(|v| p.placement(v));
        let upgrades_from = p.upgrades(spec.get("upgrades"));
        let mut spec_extra = Map::new();
        for (k, v) in spec {
            match k.as_str() {
                "version" | "card" | "visibility" | "depends" | "placementSchema" | "upgrades" => {}
                "configSchema" | "manifests" | "owner" | "observability" | "outputs" | "rotation" => {
                    spec_extra.insert(k.clone(), v.clone());
                }
                _ => {
                    p.unknown_field(&format!("spec.{k}"));
                    spec_extra.insert(k.clone(), v.clone());
                }
            }
        }
        if p.out.iter().any(Diagnostic::is_error) {
            return Err(p.out);
        }
        let version = Version::parse(header.version.as_str()).map_err(|e| {
            vec![Diagnostic::error("InvalidVersion", "spec.version", format!("{}: {e}", header.version))]
        })?;
        Ok(Self {
            api_version: header.api_version,
            name: header.name,
            version,
            labels,
            card: card.unwrap_or_else(|| Card {
                title: String::new(),
                summary: None,
                category: None,
                docs: None,
                extra: Map::new(),
            }),
            visibility,
            depends,
            placement,
            upgrades_from,
            spec_extra,
            unknown,
            warnings: p.out,
        })
    }
}

fn header_diagnostic(e: &HeaderError) -> Diagnostic {
    let (code, path) = match e {
        HeaderError::Yaml { .. } => ("Yaml", ""),
        HeaderError::UnsupportedApiVersion { .. } => ("UnsupportedApiVersion", "apiVersion"),
        HeaderError::WrongKind { .. } => ("WrongKind", "kind"),
        HeaderError::InvalidName(_) => ("InvalidBlueprintName", "metadata.name"),
        HeaderError::NameFolderMismatch { .. } => ("NameFolderMismatch", "metadata.name"),
        HeaderError::MissingVersion => ("MissingVersion", "spec.version"),
        HeaderError::InvalidVersion { path, .. } => ("InvalidVersion", *path),
    };
    // The header's own message starts with the path; keep just the explanation.
    let text = e.to_string();
    let message = text.strip_prefix(&format!("{path}: ")).unwrap_or(&text).to_owned();
    Diagnostic::error(code, path, message)
}

/// Collects findings while walking one document.
#[derive(Default)]
struct Walk {
    out: Vec<Diagnostic>,
}

impl Walk {
    fn error(&mut self, code: &'static str, path: impl Into<String>, message: impl Into<String>) {
        self.out.push(Diagnostic::error(code, path, message));
    }

    fn unknown_field(&mut self, path: &str) {
        self.out.push(Diagnostic::warning("UnknownField", path, "unknown field, kept verbatim"));
    }

    fn string_map(&mut self, v: Option<&Value>, path: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        match v {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    match v {
                        Value::String(s) => {
                            out.insert(k.clone(), s.clone());
                        }
                        other => self.error(
                            "InvalidLabel",
                            format!("{path}.{k}"),
                            format!("expected a string, found {}", kind_of(other)),
                        ),
                    }
                }
            }
            Some(other) => {
                self.error("InvalidLabel", path, format!("expected a mapping, found {}", kind_of(other)));
            }
        }
        out
    }

    /// A string field: absent is `None`; another type is an error naming the path.
    fn opt_string(&mut self, map: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        match map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.error(
                    "InvalidField",
                    format!("{path}.{key}"),
                    format!("expected a string, found {}", kind_of(other)),
                );
                None
            }
        }
    }

    fn card(&mut self, v: Option<&Value>) -> Option<Card> {
        let Some(Value::Object(m)) = v else {
            let found = v.map_or("nothing", kind_of);
            self.error(
                "MissingCardTitle",
                "spec.card.title",
                format!("a card with a title is required (found {found})"),
            );
            return None;
        };
        let title = self.opt_string(m, "title", "spec.card");
        if title.as_deref().is_none_or(str::is_empty) {
            self.error("MissingCardTitle", "spec.card.title", "the card has no title");
        }
        let mut pick = |a: &str, b: &str| {
            let first = self.opt_string(m, a, "spec.card");
            let second = self.opt_string(m, b, "spec.card");
            first.or(second)
        };
        let summary = pick("summary", "description");
        let category = pick("category", "family");
        let docs = pick("docs", "documentation");
        let known = ["title", "summary", "description", "category", "family", "docs", "documentation"];
        let documented = ["tagline", "tags", "icon", "screenshots", "license"];
        let mut extra = Map::new();
        for (k, v) in m {
            if known.contains(&k.as_str()) {
                continue;
            }
            if !documented.contains(&k.as_str()) {
                self.unknown_field(&format!("spec.card.{k}"));
            }
            extra.insert(k.clone(), v.clone());
        }
        Some(Card { title: title.unwrap_or_default(), summary, category, docs, extra })
    }

    fn visibility(&mut self, v: Option<&Value>) -> Visibility {
        match v {
            None | Some(Value::Null) => {
                self.out.push(Diagnostic::warning(
                    "MissingVisibility",
                    "spec.visibility",
                    "not set; treated as unlisted (set listed, unlisted or private)",
                ));
                Visibility::Unlisted
            }
            Some(Value::String(s)) if s == "listed" => Visibility::Listed,
            Some(Value::String(s)) if s == "unlisted" => Visibility::Unlisted,
            Some(Value::String(s)) if s == "private" => Visibility::Private,
            Some(other) => {
                self.error(
                    "InvalidVisibility",
                    "spec.visibility",
                    format!("{other} is not listed, unlisted or private"),
                );
                Visibility::Unlisted
            }
        }
    }

    fn depends(&mut self, v: Option<&Value>, own: &BlueprintName) -> Vec<Dependency> {
        let items = match v {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.error(
                    "InvalidDependsEntry",
                    "spec.depends",
                    format!("expected a list, found {}", kind_of(other)),
                );
                return Vec::new();
            }
        };
        let mut out: Vec<Dependency> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("spec.depends[{i}]");
            let Some(dep) = self.dependency(item, &path) else { continue };
            if dep.blueprint == *own {
                self.error("DependencyCycle", &path, format!("{own} depends on itself ({own} -> {own})"));
            }
            if let Some(prev) = out.iter().find(|d| d.alias == dep.alias) {
                self.error(
                    "DuplicateAlias",
                    format!("{path}.alias"),
                    format!("alias {:?} is already used by {} ({})", dep.alias, prev.blueprint, prev.path),
                );
            }
            out.push(dep);
        }
        out
    }

    fn dependency(&mut self, item: &Value, path: &str) -> Option<Dependency> {
        let (name, map) = match item {
            Value::String(s) => {
                self.out.push(Diagnostic::warning(
                    "BareStringDepends",
                    path,
                    format!("bare string {s:?}; write {{blueprint: {s}}} (the Blueprint CRD accepts only mappings)"),
                ));
                (s.clone(), None)
            }
            Value::Object(m) => {
                let Some(Value::String(s)) = m.get("blueprint") else {
                    self.error(
                        "InvalidDependsEntry",
                        format!("{path}.blueprint"),
                        "the entry has no blueprint name",
                    );
                    return None;
                };
                (s.clone(), Some(m))
            }
            other => {
                self.error(
                    "InvalidDependsEntry",
                    path,
                    format!("expected a Blueprint name or a mapping, found {}", kind_of(other)),
                );
                return None;
            }
        };
        let blueprint = match BlueprintName::parse(&name) {
            Ok(b) => b,
            Err(e) => {
                self.error("InvalidBlueprintName", format!("{path}.blueprint"), e.to_string());
                return None;
            }
        };
        let empty = Map::new();
        let m = map.unwrap_or(&empty);
        let constraint = match m.get("version") {
            None | Some(Value::Null) => Constraint::any(),
            Some(v @ (Value::String(_) | Value::Number(_))) => {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                Constraint::parse(&text).unwrap_or_else(|e| {
                    self.error("InvalidRange", format!("{path}.version"), e.to_string());
                    Constraint::any()
                })
            }
            Some(other) => {
                self.error(
                    "InvalidRange",
                    format!("{path}.version"),
                    format!("expected a string, found {}", kind_of(other)),
                );
                Constraint::any()
            }
        };
        let alias = self.opt_string(m, "alias", path).unwrap_or_else(|| blueprint.short().to_owned());
        if let Err(e) = check_dns_label("alias", &alias) {
            self.error("InvalidAlias", format!("{path}.alias"), e.to_string());
        }
        let when = self.opt_string(m, "when", path).and_then(|w| {
            When::parse(&w)
                .map_err(|e| self.error("WhenParseError", format!("{path}.when"), e.to_string()))
                .ok()
        });
        let values = match m.get("values") {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(other) => {
                self.error(
                    "InvalidValues",
                    format!("{path}.values"),
                    format!("expected a mapping, found {}", kind_of(other)),
                );
                None
            }
        };
        for k in m.keys() {
            if !["blueprint", "version", "alias", "when", "values"].contains(&k.as_str()) {
                self.unknown_field(&format!("{path}.{k}"));
            }
        }
        Some(Dependency {
            blueprint,
            constraint,
            alias,
            when,
            values,
            bare: map.is_none(),
            path: path.to_owned(),
        })
    }

    fn placement(&mut self, v: &Value) -> Option<PlacementSchema> {
        const PATH: &str = "spec.placementSchema";
        let Value::Object(m) = v else {
            self.error("InvalidPlacementSchema", PATH, format!("expected a mapping, found {}", kind_of(v)));
            return None;
        };
        let bad = |p: &mut Self, sub: &str, msg: String| {
            p.error("InvalidPlacementSchema", format!("{PATH}.{sub}"), msg);
        };
        let modes: Vec<String> = match m.get("modes") {
            Some(Value::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        };
        if modes.is_empty() {
            bad(self, "modes", "at least one placement mode is required".into());
        }
        for (i, mode) in modes.iter().enumerate() {
            if !PLACEMENT_TOKENS.contains(&mode.as_str()) {
                bad(
                    self,
                    &format!("modes[{i}]"),
                    format!("{mode:?} is not a placement ({})", PLACEMENT_TOKENS.join(", ")),
                );
            }
        }
        let default = self.opt_string(m, "default", PATH);
        if let Some(d) = &default
            && !modes.iter().any(|mode| fold_placement(mode) == fold_placement(d))
        {
            bad(self, "default", format!("{d:?} is not one of the modes [{}]", modes.join(", ")));
        }
        let count = |p: &mut Self, key: &str| match m.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (1..=5).contains(&n)) => n.as_u64(),
            Some(other) => {
                bad(p, key, format!("{other} is not a whole number from 1 to 5"));
                None
            }
        };
        let min_regions = count(self, "minRegions");
        let max_regions = count(self, "maxRegions");
        if let (Some(min), Some(max)) = (min_regions, max_regions)
            && min > max
        {
            bad(self, "minRegions", format!("minRegions {min} is above maxRegions {max}"));
        }
        for k in m.keys() {
            if !["modes", "default", "minRegions", "maxRegions"].contains(&k.as_str()) {
                self.unknown_field(&format!("{PATH}.{k}"));
            }
        }
        Some(PlacementSchema { modes, default, min_regions, max_regions })
    }

    fn upgrades(&mut self, v: Option<&Value>) -> Vec<Constraint> {
        let Some(Value::Object(m)) = v else { return Vec::new() };
        let mut out = Vec::new();
        if let Some(Value::Array(from)) = m.get("from") {
            for (i, f) in from.iter().enumerate() {
                let text = f.as_str().map_or_else(|| f.to_string(), str::to_owned);
                match Constraint::parse(&text) {
                    Ok(c) => out.push(c),
                    Err(e) => self.error("InvalidRange", format!("spec.upgrades.from[{i}]"), e.to_string()),
                }
            }
        }
        out
    }
}
