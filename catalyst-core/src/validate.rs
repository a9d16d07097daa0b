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
use std::net::Ipv4Addr;

use catalyst_naming::{BlueprintName, BlueprintVersion, EnvironmentName, Fqdn, OrgSlug, RegionTable};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::crd::{
    Application, ApplicationPlacement, BcpTopology, Continuum, Environment, EnvironmentPlacement,
    EnvironmentPolicy, Kind, LeaseKind, Organization, PLACEMENT_VCLUSTERS, ParentDomainRole, PlacementMode,
    RuleKind, Runbook, SecretPolicy, Sovereign, UserAccess,
};
use crate::schema::{self, short_str};
use crate::text::{Duration, check_cron};

/// The largest YAML stream [`validate_yaml`] reads (8 MiB); Kubernetes objects are limited
/// to far less (etcd's 1.5 MiB request limit).
pub const MAX_STREAM_BYTES: usize = 8 * 1024 * 1024;

pub use crate::rule::Rule;
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

fn error(path: FieldPath, rule: Rule, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(rule, path, message)
}

fn warning(path: FieldPath, rule: Rule, message: impl Into<String>) -> Diagnostic {
    Diagnostic::warning(rule, path, message)
}

fn spec() -> FieldPath {
    FieldPath::root().key("spec")
}

/// `metadata.name` is a DNS-1123 subdomain; namespace matches the kind's scope.
fn check_metadata(kind: Kind, metadata: Option<&Value>, out: &mut Vec<Diagnostic>) {
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

fn check_sovereign(sov: &Sovereign, out: &mut Vec<Diagnostic>) {
    let s = &sov.spec;
    if let Err(e) = Fqdn::sovereign(&s.fqdn) {
        out.push(error(spec().key("fqdn"), Rule::Name28, e.to_string()));
    }
    if !s.parent_domains.is_empty() {
        let primaries = s.parent_domains.iter().filter(|d| d.role == ParentDomainRole::Primary).count();
        if primaries != 1 {
            out.push(error(
                spec().key("parentDomains"),
                Rule::Core1,
                format!("exactly one parent domain must have role primary, found {primaries}"),
            ));
        }
    }
    duplicates(s.parent_domains.iter().map(|d| d.name.as_str()), &spec().key("parentDomains"), "name", out);
    duplicates(s.regions.iter().map(|r| r.code.as_str()), &spec().key("regions"), "code", out);
    let topology = s.bcp_topology.unwrap_or(BcpTopology::SingleRegion);
    let n = s.regions.len();
    match topology {
        BcpTopology::SingleRegion if n > 1 => out.push(error(
            spec().key("regions"),
            Rule::Core1,
            format!("bcpTopology single-region allows 1 region, found {n}"),
        )),
        BcpTopology::ActiveActive | BcpTopology::ActiveHotstandby if n < 2 => out.push(error(
            spec().key("regions"),
            Rule::Core1,
            format!("bcpTopology {} needs at least 2 regions, found {n}", topology.as_str()),
        )),
        _ => {}
    }
}

fn check_organization(org: &Organization, out: &mut Vec<Diagnostic>) {
    let s = &org.spec;
    match OrgSlug::parse(&s.slug) {
        Ok(_) => {
            if org.metadata.name.as_deref().is_some_and(|n| n != s.slug) {
                out.push(warning(
                    FieldPath::root().key("metadata").key("name"),
                    Rule::Name5,
                    format!("differs from spec.slug {}", short_str(&s.slug)),
                ));
            }
        }
        Err(e) => out.push(error(spec().key("slug"), Rule::Name5, e.to_string())),
    }
    if let Some(parent) = &s.parent_org {
        if let Err(e) = OrgSlug::parse(parent) {
            out.push(error(spec().key("parentOrg"), Rule::Name5, e.to_string()));
        } else if *parent == s.slug {
            out.push(error(spec().key("parentOrg"), Rule::Core1, "an Organization cannot be its own parent"));
        }
    }
    if let Err(e) = Fqdn::sovereign(&s.sovereign_ref) {
        out.push(error(spec().key("sovereignRef"), Rule::Name28, e.to_string()));
    }
    if let Some(identity) = &s.identity {
        let provider = identity.federation_provider.as_deref().unwrap_or("");
        if !provider.is_empty() && identity.federation_config.is_none() {
            out.push(error(
                spec().key("identity").key("federationConfig"),
                Rule::Core1,
                format!("federationProvider {provider} needs federationConfig (issuer, clientId, …)"),
            ));
        }
    }
}

fn check_environment(env: &Environment, out: &mut Vec<Diagnostic>) {
    let s = &env.spec;
    let org = match OrgSlug::parse(&s.organization_ref) {
        Ok(org) => Some(org),
        Err(e) => {
            out.push(error(spec().key("organizationRef"), Rule::Name5, e.to_string()));
            None
        }
    };
    if let Err(e) = s.validate_placement() {
        out.push(error(spec().key("regions"), Rule::Core5, e.message));
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, region) in s.regions.iter().enumerate() {
        let path = spec().key("regions").index(i);
        if let Some(host) = region.host_cluster_override() {
            if let Err(e) = catalyst_naming::check_dns_label("hostCluster", host) {
                out.push(error(path.key("hostCluster"), Rule::Name6, e.to_string()));
            }
        } else if let Err(e) = RegionTable::builtin().get(region.provider, &region.region) {
            out.push(warning(
                path.key("region"),
                Rule::Name2,
                format!("{e}; the verbatim host-cluster name works, canonical naming (ENV-3) does not"),
            ));
        }
        let host = region.host_cluster_verbatim(s.env_type);
        if let Some(first) = seen.insert(host.clone(), i) {
            out.push(error(
                path,
                Rule::Core3,
                format!("host cluster {host} is already spec.regions[{first}]"),
            ));
        }
    }
    if let (Some(org), Some(name)) = (org, env.metadata.name.as_deref()) {
        let expected = EnvironmentName::new(org, s.env_type).to_string();
        if name != expected {
            out.push(warning(
                FieldPath::root().key("metadata").key("name"),
                Rule::Op18,
                format!("{} is not {{organizationRef}}-{{envType}} ({expected})", short_str(name)),
            ));
        }
    }
}

fn check_application(app: &Application, out: &mut Vec<Diagnostic>) {
    let s = &app.spec;
    if !s.is_bootstrap() {
        const CEL: &str = "spec.environmentRef and spec.regions are required unless spec.bootstrap=true (bootstrap-owned instance)";
        if s.environment_ref.is_none() {
            out.push(error(spec().key("environmentRef"), Rule::Cel, CEL));
        }
        if s.regions.is_none() {
            out.push(error(spec().key("regions"), Rule::Cel, CEL));
        }
    }
    if let Some(env) = &s.environment_ref
        && let Err(e) = EnvironmentName::parse(env)
    {
        out.push(warning(spec().key("environmentRef"), Rule::Name12, e.to_string()));
    }
    if let Err(e) = BlueprintName::parse(&s.blueprint_ref.name) {
        out.push(error(spec().key("blueprintRef").key("name"), Rule::Name13, e.to_string()));
    }
    if let Err(e) = BlueprintVersion::parse(&s.blueprint_ref.version) {
        out.push(error(spec().key("blueprintRef").key("version"), Rule::Name13, e.to_string()));
    }
    let placement_path = spec().key("placement");
    let mode = match &s.placement {
        None => None,
        Some(p) => match p.mode() {
            Ok(m) => m,
            Err(text) => {
                let path = if matches!(p, ApplicationPlacement::Spec(_)) {
                    placement_path.key("mode")
                } else {
                    placement_path.clone()
                };
                let modes = PlacementMode::ALL.map(PlacementMode::as_str).join(", ");
                out.push(error(
                    path,
                    Rule::Cel,
                    format!("{} is not a placement; expected one of {modes}", short_str(text)),
                ));
                None
            }
        },
    };
    if let Some(ApplicationPlacement::Spec(p)) = &s.placement
        && let Some(vc) = &p.vcluster
        && !PLACEMENT_VCLUSTERS.contains(&vc.as_str())
    {
        out.push(error(
            placement_path.key("vcluster"),
            Rule::Core1,
            format!("{} is not one of {}", short_str(vc), PLACEMENT_VCLUSTERS.join(", ")),
        ));
    }
    if let (Some(mode), Some(regions)) = (mode, &s.regions) {
        let n = regions.len();
        let message = match mode {
            PlacementMode::SingleRegion if n != 1 => {
                Some(format!("placement single-region needs exactly 1 region, found {n}"))
            }
            PlacementMode::ActiveActive | PlacementMode::ActiveHotstandby if n < 2 => {
                Some(format!("placement {mode} needs at least 2 regions, found {n}"))
            }
            _ => None,
        };
        if let Some(message) = message {
            out.push(error(spec().key("regions"), Rule::Core1, message));
        }
    }
    if let Some(regions) = &s.regions {
        duplicates(regions.iter().map(String::as_str), &spec().key("regions"), "", out);
    }
    if let Some(hc) = &s.health_check
        && hc.timeout_seconds.unwrap_or(5) >= hc.interval_seconds.unwrap_or(30)
    {
        out.push(error(
            spec().key("healthCheck").key("timeoutSeconds"),
            Rule::Core1,
            "must be shorter than intervalSeconds",
        ));
    }
}

/// Blueprint documents are judged by catalyst-blueprint's model, the rule set of `blueprint
/// lint` (SPEC BP-1 … BP-7 and the CRD fields the controllers read): the two cannot disagree.
fn check_blueprint(doc: &Value, out: &mut Vec<Diagnostic>) {
    let found = match catalyst_blueprint::Blueprint::from_value(doc, None) {
        Ok(bp) => bp.warnings,
        Err(all) => all,
    };
    out.extend(found.into_iter().map(|d| d.map_code(Rule::Blueprint)));
}

#[allow(clippy::too_many_lines, reason = "one match arm per rule kind reads best in one place")]
fn check_policy(policy: &EnvironmentPolicy, out: &mut Vec<Diagnostic>) {
    let s = &policy.spec;
    let mut gated = Vec::new();
    if let Some(applies) = &s.applies_to {
        for (i, env) in applies.environments.iter().enumerate() {
            match EnvironmentName::parse(env) {
                Ok(name) => gated.push(name),
                Err(e) => out.push(error(
                    spec().key("appliesTo").key("environments").index(i),
                    Rule::Name12,
                    e.to_string(),
                )),
            }
        }
    }
    for (i, rule) in s.rules.iter().enumerate() {
        let path = spec().key("rules").index(i);
        let kind = rule.kind.as_str();
        let missing = |field: &str, out: &mut Vec<Diagnostic>| {
            out.push(error(path.key(field), Rule::Pol2, format!("required for a {kind} rule")));
        };
        let positive_duration = |out: &mut Vec<Diagnostic>| match rule.duration.as_deref() {
            None => out.push(error(path.key("duration"), Rule::Pol2, format!("required for a {kind} rule"))),
            Some(d) => match Duration::parse(d) {
                Ok(d) if d.is_zero() => {
                    out.push(error(path.key("duration"), Rule::Pol2, "must be longer than zero"));
                }
                Ok(_) => {}
                Err(e) => out.push(error(path.key("duration"), Rule::Pol2, e.to_string())),
            },
        };
        match rule.kind {
            RuleKind::PrRequired => match rule.min_approvals {
                None => missing("minApprovals", out),
                Some(0) => out.push(error(
                    path.key("minApprovals"),
                    Rule::Pol2,
                    "a pr-required rule needs at least 1 approval",
                )),
                Some(_) => {}
            },
            RuleKind::ReScoreGate => {
                if rule.min_score.is_none() {
                    missing("minScore", out);
                }
                if let Some(sev) = &rule.severity
                    && !matches!(sev.as_str(), "blocking" | "advisory")
                {
                    out.push(error(
                        path.key("severity"),
                        Rule::Pol2,
                        format!("{} is not blocking or advisory", short_str(sev)),
                    ));
                }
            }
            RuleKind::Soak => {
                positive_duration(out);
                match rule.source_environment.as_deref() {
                    None => missing("sourceEnvironment", out),
                    Some(source) => match EnvironmentName::parse(source) {
                        Err(e) => out.push(error(path.key("sourceEnvironment"), Rule::Name12, e.to_string())),
                        Ok(source_name) => {
                            if gated.contains(&source_name) {
                                out.push(error(
                                    path.key("sourceEnvironment"),
                                    Rule::Pol2,
                                    format!("{source} is an environment this policy gates; a soak needs the environment changes come from"),
                                ));
                            }
                            for g in gated.iter().filter(|g| g.org() != source_name.org()) {
                                out.push(warning(
                                    path.key("sourceEnvironment"),
                                    Rule::Pol3,
                                    format!("{source} belongs to another Organization than {g}; promotion runs inside one Organization"),
                                ));
                            }
                        }
                    },
                }
            }
            RuleKind::ChangeWindow => {
                positive_duration(out);
                match rule.cron.as_deref() {
                    None => missing("cron", out),
                    Some(cron) => {
                        if let Err(e) = check_cron(cron) {
                            out.push(error(path.key("cron"), Rule::Pol2, e.to_string()));
                        }
                    }
                }
            }
        }
    }
    if let Some(compliance) = &s.compliance {
        for name in compliance.modes.keys().filter(|m| !compliance.weights.contains_key(*m)) {
            out.push(warning(
                spec().key("compliance").key("modes").key(name),
                Rule::Pol1,
                "has a mode but no weight; it does not count towards the score",
            ));
        }
    }
    if s.promotion.is_none() && s.compliance.is_none() && s.rules.is_empty() {
        out.push(warning(
            spec(),
            Rule::Pol1,
            "the policy has no promotion, compliance or rules: it gates nothing",
        ));
    }
}

fn check_secret_policy(policy: &SecretPolicy, out: &mut Vec<Diagnostic>) {
    for (i, rule) in policy.spec.rotation.iter().enumerate() {
        let path = spec().key("rotation").index(i);
        let ttl = match Duration::parse(&rule.ttl) {
            Ok(d) if d.is_zero() => {
                out.push(error(path.key("ttl"), Rule::Core1, "must be longer than zero"));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                out.push(error(path.key("ttl"), Rule::Core1, e.to_string()));
                None
            }
        };
        if let Some(grace) = &rule.grace_period {
            match Duration::parse(grace) {
                Ok(g) if ttl.is_some_and(|t| g >= t) => {
                    out.push(error(
                        path.key("gracePeriod"),
                        Rule::Core1,
                        format!("{grace} is not shorter than ttl {}", rule.ttl),
                    ));
                }
                Ok(_) => {}
                Err(e) => out.push(error(path.key("gracePeriod"), Rule::Core1, e.to_string())),
            }
        }
    }
}

fn check_runbook(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    let s = &rb.spec;
    let crd_shape = s.trigger.is_some() || s.action.is_some();
    let doc_shape = !s.triggers.is_empty() || !s.steps.is_empty();
    if crd_shape {
        if s.trigger.is_none() {
            out.push(error(spec().key("trigger"), Rule::Core1, "required together with spec.action"));
        }
        if s.action.is_none() {
            out.push(error(spec().key("action"), Rule::Core1, "required together with spec.trigger"));
        }
    } else if doc_shape {
        if s.triggers.is_empty() {
            out.push(error(spec().key("triggers"), Rule::Core1, "required together with spec.steps"));
        }
        if s.steps.is_empty() {
            out.push(error(spec().key("steps"), Rule::Core1, "required together with spec.triggers"));
        }
    } else {
        out.push(error(spec(), Rule::Core1, "a Runbook needs trigger + action, or triggers + steps"));
    }
    if let Some(c) = &s.cooldown
        && let Err(e) = Duration::parse_units(c, "smh")
    {
        out.push(error(spec().key("cooldown"), Rule::Core1, e.to_string()));
    }
}

fn check_continuum(c: &Continuum, out: &mut Vec<Diagnostic>) {
    let s = &c.spec;
    for (i, standby) in s.hot_standby_regions.iter().enumerate() {
        if *standby == s.primary_region {
            out.push(error(
                spec().key("hotStandbyRegions").index(i),
                Rule::Cont1,
                format!("{standby} is the primary region; a standby must be another host cluster"),
            ));
        }
    }
    duplicates(s.hot_standby_regions.iter().map(String::as_str), &spec().key("hotStandbyRegions"), "", out);
    let cfg_path = spec().key("leaseClient").key("config");
    let config = s.lease_client.config.clone().unwrap_or_default();
    match s.lease_client.kind {
        LeaseKind::CloudflareKv => {
            for (field, present) in [
                ("kvNamespaceId", config.kv_namespace_id.is_some()),
                ("accountId", config.account_id.is_some()),
                ("tokenSecretRef", config.token_secret_ref.is_some()),
            ] {
                if !present {
                    out.push(error(
                        cfg_path.key(field),
                        Rule::Cont1,
                        "required for leaseClient kind cloudflare-kv",
                    ));
                }
            }
        }
        LeaseKind::DnsQuorum => {
            let n = config.resolvers.len();
            if !(3..=5).contains(&n) {
                out.push(error(
                    cfg_path.key("resolvers"),
                    Rule::Cont1,
                    format!("dns-quorum needs 3 to 5 resolvers, found {n}"),
                ));
            }
            for (i, r) in config.resolvers.iter().enumerate() {
                if r.parse::<Ipv4Addr>().is_err() {
                    out.push(error(
                        cfg_path.key("resolvers").index(i),
                        Rule::Cont1,
                        format!("{} is not an IPv4 address", short_str(r)),
                    ));
                }
            }
        }
    }
    let ttl = config.ttl_seconds.unwrap_or(30);
    let renew = config.renew_seconds.unwrap_or(10);
    if renew * 2 >= ttl {
        out.push(error(
            cfg_path.key("renewSeconds"),
            Rule::Cont2,
            format!("InvalidLeaseTiming: renewSeconds {renew} must be below ttlSeconds/2 ({ttl}/2)"),
        ));
    }
    if let Some(hc) = s.lua_record.as_ref().and_then(|l| l.health_check.as_ref())
        && hc.timeout_seconds.unwrap_or(2) >= hc.interval_seconds.unwrap_or(5)
    {
        out.push(error(
            spec().key("luaRecord").key("healthCheck").key("timeoutSeconds"),
            Rule::Cont1,
            "must be shorter than intervalSeconds",
        ));
    }
}

fn check_user_access(ua: &UserAccess, out: &mut Vec<Diagnostic>) {
    let s = &ua.spec;
    if s.user.keycloak_subject.as_deref().is_none_or(str::is_empty) && s.user.keycloak_groups.is_empty() {
        out.push(error(spec().key("user"), Rule::Ua2, "needs keycloakSubject or keycloakGroups"));
    }
    let tier = match s.tier() {
        Some(Ok(t)) => Some(t),
        Some(Err(r)) => {
            out.push(error(
                spec().key("tierRoleRef"),
                Rule::Ua1,
                format!("UnknownTier: {}", short_str(&r.0)),
            ));
            None
        }
        None => None,
    };
    let scopes = s.scopes.as_deref().unwrap_or(&[]);
    if tier.is_some() && scopes.is_empty() {
        out.push(error(
            spec().key("scopes"),
            Rule::Ua2,
            "EmptyScope: a tier grant needs scopes; write [{key: \"*\", value: \"*\"}] for a global grant",
        ));
    }
    for (i, scope) in scopes.iter().enumerate() {
        let path = spec().key("scopes").index(i);
        if scope.key == "*" && scope.value != "*" {
            out.push(error(
                path.key("value"),
                Rule::Ua2,
                "the wildcard key `*` only goes with the wildcard value `*`",
            ));
        }
        if tier == Some(crate::crd::Tier::Developer)
            && scope.key == catalyst_naming::keys::ENV_TYPE
            && scope.value != "dev"
        {
            out.push(error(
                path.key("value"),
                Rule::Ua2,
                format!(
                    "developer grants are limited to {}=dev, not {}",
                    catalyst_naming::keys::ENV_TYPE,
                    short_str(&scope.value)
                ),
            ));
        }
    }
}

/// Reports repeated entries of a list (`field` names the compared field, or "" for scalars).
fn duplicates<'a>(
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

impl crate::crd::EnvironmentSpec {
    /// The check the CRD cannot express (CORE-5): `single-region` needs exactly one region,
    /// `multi-region` at least two.
    pub fn validate_placement(&self) -> Result<(), Diagnostic> {
        let n = self.regions.len();
        let ok = match self.placement {
            EnvironmentPlacement::SingleRegion => n == 1,
            EnvironmentPlacement::MultiRegion => n >= 2,
        };
        if ok {
            return Ok(());
        }
        let need = match self.placement {
            EnvironmentPlacement::SingleRegion => "exactly 1 region",
            EnvironmentPlacement::MultiRegion => "at least 2 regions",
        };
        Err(Diagnostic::error(
            Rule::Core5,
            spec().key("regions"),
            format!("placement {} needs {need}, found {n}", self.placement.as_str()),
        ))
    }

    /// The CRD's schema checks, for library users without an API server (CORE-4): every
    /// pattern, enum and count violation, each with its path.
    pub fn validate_schema(&self) -> Result<(), Diagnostics> {
        let schema = Kind::Environment.schema();
        let spec_schema = schema.pointer("/properties/spec").unwrap_or(&Value::Null);
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut out = Vec::new();
        schema::check(spec_schema, &value, &spec(), &mut out);
        let errors: Diagnostics = out.into_iter().filter(Diagnostic::is_error).collect();
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}
