//! Validation of Catalyst custom resources beyond what a CRD schema can say (`catalyst validate`).
//!
//! A document is checked in three layers, each finding carrying the YAML path of the field:
//! 1. the envelope: `apiVersion`/`kind` name one of the ten kinds (other documents are
//!    skipped, not failed), `metadata.name` is a valid object name;
//! 2. the kind's structural schema, exactly as the API server would ([`crate::schema`]);
//! 3. the platform's rules: naming (SPEC NAME-*), cross-field rules (placement vs region
//!    count, a soak's source environment, change-window cron, durations, lease timing, …)
//!    and the CEL rules the CRDs carry. Layer 3 runs on the typed object, so it is reported
//!    once the schema errors are fixed.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::crd::{
    Application, Continuum, Environment, EnvironmentPolicy, Kind, Organization, Runbook, SecretPolicy,
    Sovereign, UserAccess,
};
use crate::crd::{
    check_application, check_blueprint, check_continuum, check_environment, check_organization, check_policy,
    check_runbook, check_secret_policy, check_sovereign, check_user_access,
};
use crate::schema::{self, short_str};

/// The largest YAML stream [`validate_yaml`] reads (8 MiB); Kubernetes objects are limited
/// to far less (etcd's 1.5 MiB request limit).
pub const MAX_STREAM_BYTES: usize = 8 * 1024 * 1024;

pub use crate::crd::{blueprint_crd_findings, blueprint_lint_findings};
pub use crate::rule::Rule;

/// What the rules beside each kind (`crate::crd::*`) are written with.
#[allow(unused_imports, reason = "each kind's rules use a part of it")]
pub(crate) mod prelude {
    pub(crate) use std::collections::{BTreeMap, BTreeSet};
    pub(crate) use std::net::Ipv4Addr;

    pub(crate) use catalyst_naming::{
        BlueprintName, BlueprintVersion, EnvironmentName, Fqdn, OrgSlug, RegionTable,
    };
    pub(crate) use serde_json::Value;

    pub(crate) use super::{Diagnostic, Diagnostics, FieldPath, Rule, duplicates, error, spec, warning};
    pub(crate) use crate::crd::{
        Application, ApplicationPlacement, BcpTopology, Continuum, Environment, EnvironmentPlacement,
        EnvironmentPolicy, Kind, LeaseKind, Organization, PLACEMENT_VCLUSTERS, ParentDomainRole,
        PlacementMode, RuleKind, Runbook, SecretPolicy, Sovereign, UserAccess,
    };
    pub(crate) use crate::schema::{self, short_str};
    pub(crate) use crate::text::{Duration, check_cron};
}
pub use catalyst_naming::diagnostic::{FieldPath, Severity};

/// One problem in a document: [`catalyst_naming::Diagnostic`] with a [`Rule`].
pub type Diagnostic = catalyst_naming::Diagnostic<Rule>;
/// Problems of a document, usable as an error (`?`).
pub type Diagnostics = catalyst_naming::Diagnostics<Rule>;

/// Whether a document was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checked {
    /// Checked as this kind.
    Kind(Kind),
    /// Not a Catalyst document (the reason says why); nothing was checked.
    Skipped(String),
}

/// The result for one document of a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentReport {
    /// 0-based position in the stream.
    pub index: usize,
    /// `apiVersion`, if present.
    pub api_version: Option<String>,
    /// `kind`, if present.
    pub kind: Option<String>,
    /// `metadata.name`, if present.
    pub name: Option<String>,
    /// Checked or skipped.
    pub checked: Checked,
    /// Findings, errors first, then by path.
    pub findings: Diagnostics,
}

impl DocumentReport {
    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.findings.errors()
    }

    /// No errors (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    /// `Environment/acme-prod` or `document 3` for messages.
    pub fn label(&self) -> String {
        match (&self.kind, &self.name) {
            (Some(k), Some(n)) => format!("{k}/{n}"),
            (Some(k), None) => format!("{k} (document {})", self.index + 1),
            _ => format!("document {}", self.index + 1),
        }
    }
}

/// Why a stream could not be checked at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidateError {
    /// Not YAML.
    #[error("not valid YAML: {message}")]
    Yaml {
        /// The parser's message, with line and column.
        message: String,
    },
    /// Larger than [`MAX_STREAM_BYTES`].
    #[error("{size} bytes is more than the {MAX_STREAM_BYTES}-byte limit")]
    TooLarge {
        /// The size.
        size: usize,
    },
}

/// Validates every document of a YAML stream (`---`-separated).
///
/// ```
/// use catalyst_core::validate::validate_yaml;
///
/// let reports = validate_yaml("
/// apiVersion: catalyst.openova.io/v1
/// kind: Environment
/// metadata: {name: acme-prod}
/// spec:
///   organizationRef: acme
///   envType: prod
///   placement: single-region
///   regions:
///     - {provider: hetzner, region: fsn, buildingBlock: rtz}
///     - {provider: hetzner, region: hel, buildingBlock: rtz}
/// ").unwrap();
/// let errors: Vec<String> = reports[0].errors().map(ToString::to_string).collect();
/// assert_eq!(errors, ["spec.regions: placement single-region needs exactly 1 region, found 2 [CORE-5]"]);
/// ```
pub fn validate_yaml(text: &str) -> Result<Vec<DocumentReport>, ValidateError> {
    Ok(validate_yaml_documents(text)?.into_iter().map(|(report, _)| report).collect())
}

/// [`validate_yaml`], with each report's document, for callers that go on to use the
/// documents (deserialize the valid ones) without parsing the stream again.
pub fn validate_yaml_documents(text: &str) -> Result<Vec<(DocumentReport, Value)>, ValidateError> {
    if text.len() > MAX_STREAM_BYTES {
        return Err(ValidateError::TooLarge { size: text.len() });
    }
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(text).map_err(|e| ValidateError::Yaml { message: e.to_string() })?;
    Ok(docs
        .into_iter()
        .filter(|d| !d.is_null())
        .enumerate()
        .map(|(i, d)| {
            let mut r = validate_document(&d);
            r.index = i;
            (r, d)
        })
        .collect())
}

/// Validates one document given as a JSON value.
pub fn validate_document(doc: &Value) -> DocumentReport {
    let text = |p: &str| doc.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let mut report = DocumentReport {
        index: 0,
        api_version: text("/apiVersion"),
        kind: text("/kind"),
        name: text("/metadata/name"),
        checked: Checked::Skipped(String::new()),
        findings: Diagnostics::new(),
    };
    let Some(obj) = doc.as_object() else {
        report.checked = Checked::Skipped(format!("not a mapping but {}", schema::describe(doc)));
        return report;
    };
    let (Some(api_version), Some(kind_name)) = (report.api_version.clone(), report.kind.clone()) else {
        report.checked = Checked::Skipped("no apiVersion and kind".into());
        return report;
    };
    let Some(kind) = Kind::from_name(&kind_name) else {
        report.checked = Checked::Skipped(format!("{kind_name} is not a Catalyst kind"));
        return report;
    };
    let mut out = Vec::new();
    match kind.match_api_version(&api_version) {
        Some(crate::crd::ApiVersionMatch::Current) => {}
        Some(crate::crd::ApiVersionMatch::Legacy(note)) => out.push(warning(
            FieldPath::root().key("apiVersion"),
            Rule::Core1,
            format!("{api_version}: {note} ({})", kind.api_version()),
        )),
        None => {
            let group = api_version.split_once('/').map_or(api_version.as_str(), |(g, _)| g);
            if group.ends_with("openova.io") {
                out.push(error(
                    FieldPath::root().key("apiVersion"),
                    Rule::Core1,
                    format!("{api_version} is not a version of {kind_name}; expected {}", kind.api_version()),
                ));
            } else {
                report.checked =
                    Checked::Skipped(format!("{kind_name} of {api_version} is not a Catalyst kind"));
                return report;
            }
        }
    }
    report.checked = Checked::Kind(kind);
    if kind == Kind::Blueprint {
        // One rule set: catalyst-blueprint's model covers metadata and every CRD field
        // (SPEC OP-1: it also accepts the documented shapes the CRD schema predates).
        check_blueprint(doc, &mut out);
        let mut findings = Diagnostics::from(out);
        findings.sort();
        report.findings = findings;
        return report;
    }
    check_metadata(kind, obj.get("metadata"), &mut out);
    schema::check(kind.schema(), doc, &FieldPath::root(), &mut out);
    let schema_errors = out.iter().any(|f| f.severity == Severity::Error);
    match kind {
        Kind::Sovereign => typed::<Sovereign>(doc, schema_errors, &mut out, check_sovereign),
        Kind::Organization => typed::<Organization>(doc, schema_errors, &mut out, check_organization),
        Kind::Environment => typed::<Environment>(doc, schema_errors, &mut out, check_environment),
        Kind::Application => typed::<Application>(doc, schema_errors, &mut out, check_application),
        Kind::Blueprint => {} // judged above
        Kind::EnvironmentPolicy => typed::<EnvironmentPolicy>(doc, schema_errors, &mut out, check_policy),
        Kind::SecretPolicy => typed::<SecretPolicy>(doc, schema_errors, &mut out, check_secret_policy),
        Kind::Runbook => typed::<Runbook>(doc, schema_errors, &mut out, check_runbook),
        Kind::Continuum => typed::<Continuum>(doc, schema_errors, &mut out, check_continuum),
        Kind::UserAccess => typed::<UserAccess>(doc, schema_errors, &mut out, check_user_access),
    }
    out.dedup();
    let mut findings = Diagnostics::from(out);
    findings.sort();
    report.findings = findings;
    report
}

/// Deserializes the typed object and runs the kind's rules; a deserialization failure the
/// schema did not already explain is reported with its path.
fn typed<T: DeserializeOwned>(
    doc: &Value,
    schema_errors: bool,
    out: &mut Vec<Diagnostic>,
    rules: fn(&T, &mut Vec<Diagnostic>),
) {
    match serde_path_to_error::deserialize::<_, T>(doc.clone()) {
        Ok(object) => {
            // One finding per field: a rule does not repeat what the schema already said there.
            let reported: BTreeSet<FieldPath> =
                out.iter().filter(|f| f.is_error()).map(|f| f.path.clone()).collect();
            let mut found = Vec::new();
            rules(&object, &mut found);
            out.extend(found.into_iter().filter(|f| !reported.contains(&f.path)));
        }
        Err(e) if !schema_errors => {
            let path = e.path().to_string();
            let path = if path == "." { FieldPath::root() } else { FieldPath::verbatim(path) };
            out.push(Diagnostic::error(Rule::SchemaType, path, e.into_inner().to_string()));
        }
        Err(_) => {}
    }
}

pub(crate) fn error(path: FieldPath, rule: Rule, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(rule, path, message)
}

pub(crate) fn warning(path: FieldPath, rule: Rule, message: impl Into<String>) -> Diagnostic {
    Diagnostic::warning(rule, path, message)
}

pub(crate) fn spec() -> FieldPath {
    FieldPath::root().key("spec")
}

/// `metadata.name` is a DNS-1123 subdomain; namespace matches the kind's scope.
pub(crate) fn check_metadata(kind: Kind, metadata: Option<&Value>, out: &mut Vec<Diagnostic>) {
    let meta = FieldPath::root().key("metadata");
    let Some(Value::Object(m)) = metadata else {
        out.push(error(meta, Rule::SchemaRequired, "required field is missing"));
        return;
    };
    match m.get("name") {
        Some(Value::String(name)) => {
            if let Err(reason) = check_object_name(name) {
                out.push(error(meta.key("name"), Rule::K8sName, format!("{} {reason}", short_str(name))));
            }
        }
        Some(other) => out.push(error(
            meta.key("name"),
            Rule::SchemaType,
            format!("expected a string, found {}", schema::describe(other)),
        )),
        None if m.contains_key("generateName") => {}
        None => out.push(error(meta.key("name"), Rule::SchemaRequired, "required field is missing")),
    }
    match (kind.namespaced(), m.get("namespace")) {
        (false, Some(Value::String(ns))) => out.push(warning(
            meta.key("namespace"),
            Rule::Core1,
            format!("{kind} is cluster-scoped; namespace {} is ignored", short_str(ns)),
        )),
        (true, None) => out.push(warning(
            meta.key("namespace"),
            Rule::Core1,
            format!(
                "{kind} is namespaced and no namespace is set; kubectl applies it to the current namespace"
            ),
        )),
        _ => {}
    }
}

fn check_object_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 253 {
        return Err(format!("has {} characters; 1 to 253 are allowed", name.len()));
    }
    for label in name.split('.') {
        let ok = !label.is_empty()
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err("is not a valid object name (lowercase a-z, 0-9, '-' and '.', starting and ending alphanumeric)".into());
        }
    }
    Ok(())
}

/// Reports repeated entries of a list (`field` names the compared field, or "" for scalars).
pub(crate) fn duplicates<'a>(
    items: impl Iterator<Item = &'a str>,
    path: &FieldPath,
    field: &str,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, item) in items.enumerate() {
        if let Some(first) = seen.insert(item, i) {
            let p = if field.is_empty() { path.index(i) } else { path.index(i).key(field) };
            out.push(error(p, Rule::Core1, format!("{} repeats entry {first}", short_str(item))));
        }
    }
}
