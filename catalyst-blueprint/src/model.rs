//! The normalised Blueprint model (SPEC BP-1 … BP-5), parsed from every shape in use.

use std::collections::BTreeMap;
use std::fmt;

use catalyst_naming::{BlueprintName, FieldPath, check_dns_label};
use semver::Version;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::code::Code;
use crate::header::{ApiVersion, HeaderError, identity, kind_of};
use crate::{Constraint, Diagnostic, Diagnostics, When};

/// `spec`, the root of most paths.
fn spec_path() -> FieldPath {
    FieldPath::root().key("spec")
}

/// Who can see a Blueprint (SPEC BP-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// A marketplace card.
    Listed,
    /// Found by name or search; the default when absent.
    Unlisted,
    /// Only the owning Org.
    Private,
}

/// A DR topology a Blueprint supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Topology {
    /// Every region serves.
    ActiveActive,
    /// One primary, hot standbys.
    ActiveHotStandby,
    /// One primary, cold standbys.
    ActivePassive,
    /// One instance.
    Singleton,
}

impl Topology {
    /// Every topology.
    pub const ALL: [Topology; 4] =
        [Self::ActiveActive, Self::ActiveHotStandby, Self::ActivePassive, Self::Singleton];

    /// The wire string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ActiveActive => "active-active",
            Self::ActiveHotStandby => "active-hot-standby",
            Self::ActivePassive => "active-passive",
            Self::Singleton => "singleton",
        }
    }
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
    pub path: FieldPath,
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

/// The `metadata` fields the API server sets or reads on every object: present on a
/// Blueprint read back from a cluster, never a finding.
const OBJECT_META: [&str; 12] = [
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "finalizers",
    "ownerReferences",
    "managedFields",
    "generateName",
    "selfLink",
];

/// The DR postures of an Application (string form of `placement`), and the canonical
/// spellings among [`PLACEMENT_TOKENS`]; catalyst-core's Application CRD uses this type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum PlacementMode {
    /// One cluster only.
    SingleRegion,
    /// Manifests fan out to every region.
    ActiveActive,
    /// Primary in `regions[0]`, standbys with zero replicas elsewhere.
    ActiveHotstandby,
}

impl PlacementMode {
    /// Every mode, in wire order.
    pub const ALL: [PlacementMode; 3] = [Self::SingleRegion, Self::ActiveActive, Self::ActiveHotstandby];

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SingleRegion => "single-region",
            Self::ActiveActive => "active-active",
            Self::ActiveHotstandby => "active-hotstandby",
        }
    }

    /// The mode named `s`.
    pub fn from_wire(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

impl std::fmt::Display for PlacementMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The vCluster values of an Application's object placement form, and of a Blueprint's
/// `allowedPlacements`.
pub const PLACEMENT_VCLUSTERS: [&str; 4] = ["host", "mgmt", "dmz", "rtz"];

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
    pub warnings: Diagnostics,
}

impl Blueprint {
    /// The defaults of `spec.configSchema` as a config object: each property's `default`,
    /// nested objects followed (at most 32 levels). The base a request's parameters are merged
    /// over to evaluate `when` (SPEC BP-6).
    pub fn config_defaults(&self) -> Value {
        fn defaults(schema: &Value, depth: usize) -> Option<Value> {
            if depth > 32 {
                return None;
            }
            if let Some(d) = schema.get("default") {
                return Some(d.clone());
            }
            let props = schema.get("properties")?.as_object()?;
            let out: Map<String, Value> =
                props.iter().filter_map(|(k, v)| Some((k.clone(), defaults(v, depth + 1)?))).collect();
            (!out.is_empty()).then_some(Value::Object(out))
        }
        self.spec_extra
            .get("configSchema")
            .and_then(|s| defaults(s, 0))
            .unwrap_or_else(|| Value::Object(Map::new()))
    }
}

/// `over` deep-merged onto `base`: objects merge key by key, anything else replaces.
pub(crate) fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
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
    pub fn parse(yaml: &str, folder: Option<&str>) -> Result<Self, Diagnostics> {
        let doc: Value = match serde_saphyr::from_str(yaml) {
            Ok(doc) => doc,
            Err(e) => return Err(Diagnostic::error(Code::Yaml, FieldPath::root(), e.to_string()).into()),
        };
        Self::from_value(&doc, folder)
    }

    /// Builds the model from an already-parsed document.
    pub fn from_value(doc: &Value, folder: Option<&str>) -> Result<Self, Diagnostics> {
        let mut p = Walk::default();
        let header = match identity(doc, folder) {
            Ok(h) => h,
            Err(e) => return Err(header_diagnostic(&e).into()),
        };
        p.out.extend(header.warnings.iter().cloned());
        let unknown = p.unknown_outside_spec(doc);
        let metadata = doc.get("metadata");
        let labels = p.string_map(
            metadata.and_then(|m| m.get("labels")),
            &FieldPath::root().key("metadata").key("labels"),
        );
        let empty = Map::new();
        let spec = match doc.get("spec") {
            Some(Value::Object(m)) => m,
            None => &empty,
            Some(other) => {
                p.error(
                    Code::InvalidSpec,
                    spec_path(),
                    format!("expected a mapping, found {}", kind_of(other)),
                );
                &empty
            }
        };
        let card = p.card(spec.get("card"));
        let visibility = p.visibility(spec.get("visibility"));
        let depends = p.depends(spec.get("depends"), &header.name);
        let placement = spec.get("placementSchema").and_then(|v| p.placement(v));
        let upgrades_from = p.upgrades(spec.get("upgrades"));
        crate::crd_fields::check(spec, &spec_path(), &mut p.out);
        let mut spec_extra = Map::new();
        for (k, v) in spec {
            match k.as_str() {
                "version" | "card" | "visibility" | "depends" | "placementSchema" | "upgrades" => {}
                k if crate::crd_fields::KEYS.contains(&k) || crate::crd_fields::FREE_FORM.contains(&k) => {
                    spec_extra.insert(k.to_owned(), v.clone());
                }
                _ => {
                    p.unknown_field(spec_path().key(k));
                    spec_extra.insert(k.clone(), v.clone());
                }
            }
        }
        if p.out.has_errors() {
            return Err(p.out);
        }
        let version = Version::parse(header.version.as_str()).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                Code::InvalidVersion,
                spec_path().key("version"),
                format!("{}: {e}", header.version),
            ))
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
        HeaderError::Yaml { .. } => (Code::Yaml, ""),
        HeaderError::UnsupportedApiVersion { .. } => (Code::UnsupportedApiVersion, "apiVersion"),
        HeaderError::WrongKind { .. } => (Code::WrongKind, "kind"),
        HeaderError::InvalidName(_) => (Code::InvalidBlueprintName, "metadata.name"),
        HeaderError::NameFolderMismatch { .. } => (Code::NameFolderMismatch, "metadata.name"),
        HeaderError::MissingVersion => (Code::MissingVersion, "spec.version"),
        HeaderError::InvalidVersion { path, .. } => (Code::InvalidVersion, *path),
    };
    // The header's own message starts with the path; keep just the explanation.
    let text = e.to_string();
    let message = text.strip_prefix(&format!("{path}: ")).unwrap_or(&text).to_owned();
    let field = path.split('.').filter(|k| !k.is_empty()).fold(FieldPath::root(), |p, k| p.key(k));
    Diagnostic::error(code, field, message)
}

/// Collects findings while walking one document.
#[derive(Default)]
struct Walk {
    out: Diagnostics,
}

impl Walk {
    fn error(&mut self, code: Code, path: FieldPath, message: impl Into<String>) {
        self.out.error(code, path, message);
    }

    fn unknown_field(&mut self, path: FieldPath) {
        self.out.warning(Code::UnknownField, path, "unknown field, kept verbatim");
    }

    fn string_map(&mut self, v: Option<&Value>, path: &FieldPath) -> BTreeMap<String, String> {
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
                            Code::InvalidLabel,
                            path.key(k),
                            format!("expected a string, found {}", kind_of(other)),
                        ),
                    }
                }
            }
            Some(other) => {
                self.error(
                    Code::InvalidLabel,
                    path.clone(),
                    format!("expected a mapping, found {}", kind_of(other)),
                );
            }
        }
        out
    }

    /// A string field: absent is `None`; another type is an error naming the path.
    fn opt_string(&mut self, map: &Map<String, Value>, key: &str, path: &FieldPath) -> Option<String> {
        match map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.error(
                    Code::InvalidField,
                    path.key(key),
                    format!("expected a string, found {}", kind_of(other)),
                );
                None
            }
        }
    }

    fn card(&mut self, v: Option<&Value>) -> Option<Card> {
        let at = spec_path().key("card");
        let Some(Value::Object(m)) = v else {
            let found = v.map_or("nothing", kind_of);
            self.error(
                Code::MissingCardTitle,
                at.key("title"),
                format!("a card with a title is required (found {found})"),
            );
            return None;
        };
        let title = self.opt_string(m, "title", &at);
        if title.as_deref().is_none_or(str::is_empty) {
            self.error(Code::MissingCardTitle, at.key("title"), "the card has no title");
        }
        let mut pick = |a: &str, b: &str| {
            let first = self.opt_string(m, a, &at);
            let second = self.opt_string(m, b, &at);
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
                self.unknown_field(at.key(k));
            }
            match (k.as_str(), v) {
                ("tagline" | "icon" | "license", Value::String(_) | Value::Null)
                | ("tags" | "screenshots", Value::Null) => {}
                ("tags" | "screenshots", Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate().filter(|(_, item)| !item.is_string()) {
                        self.error(
                            Code::InvalidField,
                            at.key(k).index(i),
                            format!("expected a string, found {}", kind_of(item)),
                        );
                    }
                }
                ("tagline" | "icon" | "license" | "tags" | "screenshots", other) => {
                    let want =
                        if k == "tags" || k == "screenshots" { "a list of strings" } else { "a string" };
                    self.error(
                        Code::InvalidField,
                        at.key(k),
                        format!("expected {want}, found {}", kind_of(other)),
                    );
                }
                _ => {}
            }
            extra.insert(k.clone(), v.clone());
        }
        Some(Card { title: title.unwrap_or_default(), summary, category, docs, extra })
    }

    fn visibility(&mut self, v: Option<&Value>) -> Visibility {
        match v {
            None | Some(Value::Null) => {
                self.out.warning(
                    Code::MissingVisibility,
                    spec_path().key("visibility"),
                    "not set; treated as unlisted (set listed, unlisted or private)",
                );
                Visibility::Unlisted
            }
            Some(Value::String(s)) if s == "listed" => Visibility::Listed,
            Some(Value::String(s)) if s == "unlisted" => Visibility::Unlisted,
            Some(Value::String(s)) if s == "private" => Visibility::Private,
            Some(other) => {
                self.error(
                    Code::InvalidVisibility,
                    spec_path().key("visibility"),
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
                    Code::InvalidDependsEntry,
                    spec_path().key("depends"),
                    format!("expected a list, found {}", kind_of(other)),
                );
                return Vec::new();
            }
        };
        let mut out: Vec<Dependency> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = spec_path().key("depends").index(i);
            let Some(dep) = self.dependency(item, &path) else { continue };
            if dep.blueprint == *own {
                self.error(
                    Code::DependencyCycle,
                    path.clone(),
                    format!("{own} depends on itself ({own} -> {own})"),
                );
            }
            if let Some(prev) = out.iter().find(|d| d.alias == dep.alias) {
                self.error(
                    Code::DuplicateAlias,
                    path.key("alias"),
                    format!("alias {:?} is already used by {} ({})", dep.alias, prev.blueprint, prev.path),
                );
            }
            out.push(dep);
        }
        out
    }

    fn dependency(&mut self, item: &Value, path: &FieldPath) -> Option<Dependency> {
        let (name, map) = match item {
            Value::String(s) => {
                self.out.warning(
                    Code::BareStringDepends,
                    path.clone(),
                    format!("bare string {s:?}; write {{blueprint: {s}}} (the Blueprint CRD accepts only mappings)"),
                );
                (s.clone(), None)
            }
            Value::Object(m) => {
                let Some(Value::String(s)) = m.get("blueprint") else {
                    self.error(
                        Code::InvalidDependsEntry,
                        path.key("blueprint"),
                        "the entry has no blueprint name",
                    );
                    return None;
                };
                (s.clone(), Some(m))
            }
            other => {
                self.error(
                    Code::InvalidDependsEntry,
                    path.clone(),
                    format!("expected a Blueprint name or a mapping, found {}", kind_of(other)),
                );
                return None;
            }
        };
        let blueprint = match BlueprintName::parse(&name) {
            Ok(b) => b,
            Err(e) => {
                self.error(Code::InvalidBlueprintName, path.key("blueprint"), e.to_string());
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
                    self.error(Code::InvalidRange, path.key("version"), e.to_string());
                    Constraint::any()
                })
            }
            Some(other) => {
                self.error(
                    Code::InvalidRange,
                    path.key("version"),
                    format!("expected a string, found {}", kind_of(other)),
                );
                Constraint::any()
            }
        };
        let alias = self.opt_string(m, "alias", path).unwrap_or_else(|| blueprint.short().to_owned());
        if let Err(e) = check_dns_label("alias", &alias) {
            self.error(Code::InvalidAlias, path.key("alias"), e.to_string());
        }
        let when = self.opt_string(m, "when", path).and_then(|w| {
            When::parse(&w)
                .map_err(|e| self.error(Code::WhenParseError, path.key("when"), e.to_string()))
                .ok()
        });
        let values = match m.get("values") {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(other) => {
                self.error(
                    Code::InvalidValues,
                    path.key("values"),
                    format!("expected a mapping, found {}", kind_of(other)),
                );
                None
            }
        };
        for k in m.keys() {
            if !["blueprint", "version", "alias", "when", "values"].contains(&k.as_str()) {
                self.unknown_field(path.key(k));
            }
        }
        Some(Dependency {
            blueprint,
            constraint,
            alias,
            when,
            values,
            bare: map.is_none(),
            path: path.clone(),
        })
    }

    fn placement(&mut self, v: &Value) -> Option<PlacementSchema> {
        let at = spec_path().key("placementSchema");
        let Value::Object(m) = v else {
            self.error(Code::InvalidPlacementSchema, at, format!("expected a mapping, found {}", kind_of(v)));
            return None;
        };
        let bad = |p: &mut Self, sub: FieldPath, msg: String| {
            p.error(Code::InvalidPlacementSchema, sub, msg);
        };
        let modes: Vec<String> = match m.get("modes") {
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate().filter(|(_, item)| !item.is_string()) {
                    bad(
                        self,
                        at.key("modes").index(i),
                        format!("expected a string, found {}", kind_of(item)),
                    );
                }
                items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect()
            }
            _ => Vec::new(),
        };
        if modes.is_empty() {
            bad(self, at.key("modes"), "at least one placement mode is required".into());
        }
        for (i, mode) in modes.iter().enumerate() {
            if !PLACEMENT_TOKENS.contains(&mode.as_str()) {
                bad(
                    self,
                    at.key("modes").index(i),
                    format!("{mode:?} is not a placement ({})", PLACEMENT_TOKENS.join(", ")),
                );
            }
        }
        let default = self.opt_string(m, "default", &at);
        if let Some(d) = &default
            && !modes.iter().any(|mode| fold_placement(mode) == fold_placement(d))
        {
            bad(self, at.key("default"), format!("{d:?} is not one of the modes [{}]", modes.join(", ")));
        }
        let count = |p: &mut Self, key: &str| match m.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (1..=5).contains(&n)) => n.as_u64(),
            Some(other) => {
                bad(p, at.key(key), format!("{other} is not a whole number from 1 to 5"));
                None
            }
        };
        let min_regions = count(self, "minRegions");
        let max_regions = count(self, "maxRegions");
        if let (Some(min), Some(max)) = (min_regions, max_regions)
            && min > max
        {
            bad(self, at.key("minRegions"), format!("minRegions {min} is above maxRegions {max}"));
        }
        for k in m.keys() {
            if !["modes", "default", "minRegions", "maxRegions"].contains(&k.as_str()) {
                self.unknown_field(at.key(k));
            }
        }
        Some(PlacementSchema { modes, default, min_regions, max_regions })
    }

    fn upgrades(&mut self, v: Option<&Value>) -> Vec<Constraint> {
        let at = spec_path().key("upgrades");
        let m = match v {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Object(m)) => m,
            Some(other) => {
                self.error(Code::InvalidSpec, at, format!("expected a mapping, found {}", kind_of(other)));
                return Vec::new();
            }
        };
        for key in ["from", "blocks"] {
            match m.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate().filter(|(_, item)| !item.is_string()) {
                        self.error(
                            Code::InvalidSpec,
                            at.key(key).index(i),
                            format!("expected a string, found {}", kind_of(item)),
                        );
                    }
                }
                Some(other) => self.error(
                    Code::InvalidSpec,
                    at.key(key),
                    format!("expected a list of versions, found {}", kind_of(other)),
                ),
            }
        }
        let mut out = Vec::new();
        if let Some(Value::Array(from)) = m.get("from") {
            for (i, f) in from.iter().enumerate() {
                let Some(text) = f.as_str() else { continue };
                match Constraint::parse(text) {
                    Ok(c) => out.push(c),
                    Err(e) => self.error(
                        Code::InvalidRange,
                        spec_path().key("upgrades").key("from").index(i),
                        e.to_string(),
                    ),
                }
            }
        }
        out
    }
}

impl Walk {
    /// Warns about fields outside `spec` the model does not know, and keeps them.
    fn unknown_outside_spec(&mut self, doc: &Value) -> Map<String, Value> {
        let mut unknown = Map::new();
        if let Some(top) = doc.as_object() {
            for (k, v) in top {
                if !["apiVersion", "kind", "metadata", "spec", "status"].contains(&k.as_str()) {
                    self.unknown_field(FieldPath::root().key(k));
                    unknown.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some(meta) = doc.get("metadata").and_then(Value::as_object) {
            for (k, v) in meta {
                if !["name", "version", "labels", "annotations"].contains(&k.as_str())
                    && !OBJECT_META.contains(&k.as_str())
                {
                    self.unknown_field(FieldPath::root().key("metadata").key(k));
                    unknown.insert(format!("metadata.{k}"), v.clone());
                }
            }
        }
        unknown
    }
}
