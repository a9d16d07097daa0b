//! The `spec` fields of the Blueprint CRD that the platform's later controllers read
//! (topology, endpoints, SSO, multi-instance, placements; SPEC CORE-1), checked to the same
//! rules as the CRD's schema and CEL rules. blueprint.yaml files do not need them; when they
//! are there, `blueprint lint` and `catalyst validate` judge them alike.

use catalyst_naming::FieldPath;
use serde_json::{Map, Value};

use crate::Topology;
use crate::code::Code;
use crate::header::kind_of;
use crate::{Diagnostic, Diagnostics};

/// The host-name template tokens the platform's resolver substitutes in
/// `endpoints[].hostnameTemplate` (`{{.SovereignFQDN}}` …).
pub const HOSTNAME_TOKENS: [&str; 4] = ["SovereignFQDN", "OrgSlug", "AppName", "OrgDomain"];

/// The DR topologies a Blueprint may support (`spec.topology.supported`), as written.
const TOPOLOGIES: [&str; 4] = [
    Topology::ALL[0].as_str(),
    Topology::ALL[1].as_str(),
    Topology::ALL[2].as_str(),
    Topology::ALL[3].as_str(),
];

/// The `spec` keys this module checks.
pub(crate) const KEYS: [&str; 6] =
    ["topology", "endpoints", "sso", "multiInstance", "allowedPlacements", "hasUserUIEndpoint"];

/// The `spec` keys kept verbatim without checks (free-form in the CRD too).
pub(crate) const FREE_FORM: [&str; 9] = [
    "configSchema",
    "manifests",
    "owner",
    "observability",
    "outputs",
    "rotation",
    "consoleUI",
    "producesInstances",
    "defaultPlacement",
];

/// Checks the CRD-level fields of `spec`.
pub(crate) fn check(spec: &Map<String, Value>, at: &FieldPath, out: &mut Diagnostics) {
    let mut c = Checker { out };
    if let Some(v) = present(spec.get("topology")) {
        c.topology(v, &at.key("topology"));
    }
    if let Some(v) = present(spec.get("endpoints")) {
        c.endpoints(v, &at.key("endpoints"));
    }
    if let Some(v) = present(spec.get("sso")) {
        c.sso(v, &at.key("sso"));
    }
    if let Some(v) = present(spec.get("multiInstance")) {
        c.multi_instance(v, &at.key("multiInstance"));
    }
    if let Some(v) = present(spec.get("allowedPlacements")) {
        let at = at.key("allowedPlacements");
        if let Some(items) = c.list(v, &at, Code::InvalidField) {
            for (i, item) in items.iter().enumerate() {
                c.one_of(Some(item), &at.index(i), Code::InvalidField, &crate::PLACEMENT_VCLUSTERS);
            }
        }
    }
    c.boolean(spec.get("hasUserUIEndpoint"), &at.key("hasUserUIEndpoint"), Code::InvalidField);
}

/// `None` for an absent or null value.
fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

struct Checker<'a> {
    out: &'a mut Diagnostics,
}

impl Checker<'_> {
    fn error(&mut self, code: Code, at: FieldPath, message: impl Into<String>) {
        self.out.push(Diagnostic::error(code, at, message));
    }

    fn mapping<'v>(&mut self, v: &'v Value, at: &FieldPath, code: Code) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.error(code, at.clone(), format!("expected a mapping, found {}", kind_of(other)));
                None
            }
        }
    }

    fn list<'v>(&mut self, v: &'v Value, at: &FieldPath, code: Code) -> Option<&'v Vec<Value>> {
        match v {
            Value::Array(items) => Some(items),
            other => {
                self.error(code, at.clone(), format!("expected a list, found {}", kind_of(other)));
                None
            }
        }
    }

    /// An optional string; returns it when it is one.
    fn string<'v>(&mut self, v: Option<&'v Value>, at: &FieldPath, code: Code) -> Option<&'v str> {
        match present(v)? {
            Value::String(s) => Some(s),
            other => {
                self.error(code, at.clone(), format!("expected a string, found {}", kind_of(other)));
                None
            }
        }
    }

    fn boolean(&mut self, v: Option<&Value>, at: &FieldPath, code: Code) {
        if let Some(other) = present(v).filter(|v| !v.is_boolean()) {
            self.error(code, at.clone(), format!("expected true or false, found {}", kind_of(other)));
        }
    }

    /// An optional string out of `allowed`.
    fn one_of(&mut self, v: Option<&Value>, at: &FieldPath, code: Code, allowed: &[&str]) {
        if let Some(s) = self.string(v, at, code)
            && !allowed.contains(&s)
        {
            self.error(code, at.clone(), format!("{s:?} is not one of {}", allowed.join(", ")));
        }
    }

    /// An optional whole number in `min..=max`.
    fn whole(&mut self, v: Option<&Value>, at: &FieldPath, code: Code, min: i64, max: i64) {
        match present(v) {
            None => {}
            Some(Value::Number(n)) if n.as_i64().is_some_and(|n| (min..=max).contains(&n)) => {}
            Some(other) => {
                self.error(code, at.clone(), format!("{other} is not a whole number from {min} to {max}"));
            }
        }
    }

    fn topology(&mut self, v: &Value, at: &FieldPath) {
        const CODE: Code = Code::InvalidTopology;
        let Some(m) = self.mapping(v, at, CODE) else { return };
        let mut supported = Vec::new();
        match present(m.get("supported")) {
            None => self.error(CODE, at.key("supported"), "at least one supported topology is required"),
            Some(v) => {
                if let Some(items) = self.list(v, &at.key("supported"), CODE) {
                    if items.is_empty() {
                        self.error(CODE, at.key("supported"), "at least one supported topology is required");
                    }
                    for (i, item) in items.iter().enumerate() {
                        let p = at.key("supported").index(i);
                        self.one_of(Some(item), &p, CODE, &TOPOLOGIES);
                        if let Some(t) = item.as_str() {
                            // A list-type set in the CRD: each topology once.
                            if supported.contains(&t) {
                                self.error(CODE, p, format!("{t} is listed twice"));
                            }
                            supported.push(t);
                        }
                    }
                }
            }
        }
        match present(m.get("defaults")) {
            None => self.error(
                CODE,
                at.key("defaults"),
                "the defaults for multi-region and single-region are required",
            ),
            Some(v) => {
                if let Some(d) = self.mapping(v, &at.key("defaults"), CODE) {
                    for field in ["multi-region", "single-region"] {
                        let p = at.key("defaults").key(field);
                        match present(d.get(field)) {
                            None => self.error(CODE, p, "required field is missing"),
                            Some(t) => {
                                self.one_of(Some(t), &p, CODE, &TOPOLOGIES);
                                if let Some(t) = t.as_str().filter(|t| TOPOLOGIES.contains(t))
                                    && !supported.contains(&t)
                                {
                                    self.error(
                                        CODE,
                                        p,
                                        format!("topology.defaults.{field} {t} must be a member of topology.supported[]"),
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        if let Some(v) = present(m.get("perTopology"))
            && let Some(per) = self.mapping(v, &at.key("perTopology"), CODE)
        {
            for key in per.keys() {
                if !supported.contains(&key.as_str()) {
                    self.error(
                        CODE,
                        at.key("perTopology").key(key),
                        format!("{key:?} is not in topology.supported[]"),
                    );
                }
            }
        }
    }

    fn endpoints(&mut self, v: &Value, at: &FieldPath) {
        const CODE: Code = Code::InvalidEndpoint;
        let Some(items) = self.list(v, at, CODE) else { return };
        let mut names: Vec<(&str, usize)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = at.index(i);
            let Some(e) = self.mapping(item, &at, CODE) else { continue };
            match self.string(e.get("name"), &at.key("name"), CODE) {
                None if present(e.get("name")).is_none() => {
                    self.error(CODE, at.key("name"), "required field is missing");
                }
                None => {}
                Some(name) => {
                    if !endpoint_name_ok(name) {
                        self.error(
                            CODE,
                            at.key("name"),
                            format!("{name:?} is not 2-32 characters of a-z, 0-9 and '-', starting with a letter and ending alphanumeric"),
                        );
                    }
                    if let Some((_, first)) = names.iter().find(|(n, _)| *n == name) {
                        self.error(CODE, at.key("name"), format!("{name:?} repeats endpoint {first}"));
                    } else {
                        names.push((name, i));
                    }
                }
            }
            let template = at.key("hostnameTemplate");
            match self.string(e.get("hostnameTemplate"), &template, CODE) {
                None if present(e.get("hostnameTemplate")).is_none() => {
                    self.error(CODE, template, "required field is missing");
                }
                None => {}
                Some(t) => {
                    if t.is_empty() || t.chars().count() > 253 {
                        self.error(
                            CODE,
                            template.clone(),
                            format!("has {} characters; 1 to 253 are allowed", t.chars().count()),
                        );
                    }
                    for token in template_tokens(t) {
                        if !HOSTNAME_TOKENS.contains(&token) {
                            self.error(
                                CODE,
                                template.clone(),
                                format!(
                                    "{{{{.{token}}}}} is not substituted by the resolver; it knows only {}",
                                    HOSTNAME_TOKENS.map(|t| format!("{{{{.{t}}}}}")).join(", ")
                                ),
                            );
                        }
                    }
                }
            }
            self.whole(e.get("port"), &at.key("port"), CODE, 1, 65_535);
            self.one_of(
                e.get("protocol"),
                &at.key("protocol"),
                CODE,
                &["https", "http", "grpc", "tcp", "udp"],
            );
            self.one_of(e.get("visibility"), &at.key("visibility"), CODE, &["public", "private", "internal"]);
            for flag in ["tls", "launchDefault", "ssoEnabled"] {
                self.boolean(e.get(flag), &at.key(flag), CODE);
            }
            if let Some(path) = self.string(e.get("ssoInitPath"), &at.key("ssoInitPath"), CODE)
                && path.chars().count() > 512
            {
                self.error(CODE, at.key("ssoInitPath"), "longer than 512 characters");
            }
        }
    }

    fn sso(&mut self, v: &Value, at: &FieldPath) {
        const CODE: Code = Code::InvalidField;
        let Some(m) = self.mapping(v, at, CODE) else { return };
        if present(m.get("realm")).is_none() {
            self.error(CODE, at.key("realm"), "required field is missing");
        }
        self.one_of(m.get("realm"), &at.key("realm"), CODE, &["sovereign", "{{.OrgSlug}}"]);
        self.one_of(m.get("protocolMapper"), &at.key("protocolMapper"), CODE, &["oidc", "saml"]);
        for key in ["groupsClaim", "adminGroup"] {
            self.string(m.get(key), &at.key(key), CODE);
        }
        self.boolean(m.get("silentLogin"), &at.key("silentLogin"), CODE);
        if let Some(v) = present(m.get("rolesFromGroup"))
            && let Some(roles) = self.mapping(v, &at.key("rolesFromGroup"), CODE)
        {
            for (group, role) in roles {
                self.string(Some(role), &at.key("rolesFromGroup").key(group), CODE);
            }
        }
    }

    fn multi_instance(&mut self, v: &Value, at: &FieldPath) {
        const CODE: Code = Code::InvalidField;
        let Some(m) = self.mapping(v, at, CODE) else { return };
        match present(m.get("enabled")) {
            None => self.error(CODE, at.key("enabled"), "required field is missing"),
            enabled => self.boolean(enabled, &at.key("enabled"), CODE),
        }
        self.whole(m.get("maxPerOrg"), &at.key("maxPerOrg"), CODE, 0, 1000);
        self.one_of(m.get("isolationLevel"), &at.key("isolationLevel"), CODE, &["namespace", "vcluster"]);
        self.string(m.get("namingTemplate"), &at.key("namingTemplate"), CODE);
    }
}

/// `^[a-z][a-z0-9-]{0,30}[a-z0-9]$`.
fn endpoint_name_ok(name: &str) -> bool {
    let b = name.as_bytes();
    (2..=32).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

/// The `{{.Name}}` tokens of a Go-template host name.
fn template_tokens(template: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        if let Some(name) = inner.strip_prefix('.') {
            tokens.push(name.trim());
        }
        rest = &after[end + 2..];
    }
    tokens
}
