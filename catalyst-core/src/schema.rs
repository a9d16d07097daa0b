//! Validation of a JSON value against a structural OpenAPI v3 schema, the subset a
//! CustomResourceDefinition uses (what the API server checks before admission).
//!
//! Keywords: `type`, `nullable`, `enum`, `pattern`, `minLength`/`maxLength`, `format`
//! (`date-time`, `email`), `minimum`/`maximum`, `minItems`/`maxItems`, `items`, `properties`,
//! `required`, `additionalProperties`, `x-kubernetes-preserve-unknown-fields` and
//! `x-kubernetes-int-or-string`. CEL rules (`x-kubernetes-validations`) are not evaluated here;
//! the rules the SDK's CRDs carry are also checked in Rust by [`crate::validate`].

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use regex::Regex;
use serde_json::Value;

use crate::rule::Rule;
use crate::validate::Diagnostic;

pub use catalyst_naming::diagnostic::FieldPath;

/// Compiled patterns, shared: the same dozen patterns recur across kinds and documents.
static PATTERNS: LazyLock<Mutex<HashMap<String, Option<Regex>>>> = LazyLock::new(Mutex::default);

fn pattern_matches(pattern: &str, text: &str) -> Option<bool> {
    let mut cache = PATTERNS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let compiled = cache.entry(pattern.to_owned()).or_insert_with(|| Regex::new(pattern).ok());
    compiled.as_ref().map(|re| re.is_match(text))
}

/// Checks `value` against `schema`, appending findings (errors for violations, warnings for
/// fields the schema does not know) with paths below `path`.
pub fn check(schema: &Value, value: &Value, path: &FieldPath, out: &mut Vec<Diagnostic>) {
    let Value::Object(s) = schema else { return };
    if value.is_null() {
        // The API server treats null in a non-nullable field as absent; `required` catches it.
        return;
    }
    let flag = |k: &str| s.get(k) == Some(&Value::Bool(true));
    let error = |out: &mut Vec<Diagnostic>, rule: Rule, message: String| {
        out.push(Diagnostic::error(rule, path.clone(), message));
    };

    if flag("x-kubernetes-int-or-string") {
        if !(value.is_string() || value.is_i64() || value.is_u64()) {
            error(
                out,
                Rule::SchemaType,
                format!("expected an integer or a string, found {}", describe(value)),
            );
        }
        return;
    }

    if let Some(Value::String(ty)) = s.get("type")
        && !type_matches(ty, value)
    {
        error(out, Rule::SchemaType, format!("expected {}, found {}", article(ty), describe(value)));
        return;
    }

    if let Some(Value::Array(allowed)) = s.get("enum")
        && !allowed.contains(value)
    {
        let list = allowed.iter().map(Value::to_string).collect::<Vec<_>>().join(", ");
        error(out, Rule::SchemaEnum, format!("{} is not one of {list}", short(value)));
    }

    match value {
        Value::String(text) => check_string(s, text, path, out),
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                if let Some(min) = s.get("minimum").and_then(Value::as_f64)
                    && x < min
                {
                    error(out, Rule::SchemaMinimum, format!("{n} is less than the minimum {min}"));
                }
                if let Some(max) = s.get("maximum").and_then(Value::as_f64)
                    && x > max
                {
                    error(out, Rule::SchemaMaximum, format!("{n} is greater than the maximum {max}"));
                }
            }
        }
        Value::Array(items) => {
            let len = items.len();
            if let Some(min) = s.get("minItems").and_then(Value::as_u64)
                && (len as u64) < min
            {
                error(out, Rule::SchemaMinItems, format!("has {len} items, at least {min} required"));
            }
            if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
                && (len as u64) > max
            {
                error(out, Rule::SchemaMaxItems, format!("has {len} items, at most {max} allowed"));
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(item_schema, item, &path.index(i), out);
                }
            }
        }
        Value::Object(fields) => check_object(s, fields, path, out),
        Value::Bool(_) | Value::Null => {}
    }
}

fn check_object(
    s: &serde_json::Map<String, Value>,
    fields: &serde_json::Map<String, Value>,
    path: &FieldPath,
    out: &mut Vec<Diagnostic>,
) {
    let flag = |k: &str| s.get(k) == Some(&Value::Bool(true));
    if let Some(Value::Array(required)) = s.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if fields.get(name).is_none_or(Value::is_null) {
                out.push(Diagnostic::error(
                    Rule::SchemaRequired,
                    path.key(name),
                    "required field is missing",
                ));
            }
        }
    }
    let properties = s.get("properties").and_then(Value::as_object);
    let additional = s.get("additionalProperties").filter(|a| a.is_object());
    for (name, child) in fields {
        let child_path = path.key(name);
        if let Some(child_schema) = properties.and_then(|p| p.get(name)) {
            check(child_schema, child, &child_path, out);
        } else if let Some(additional) = additional {
            check(additional, child, &child_path, out);
        } else if path.as_str().is_empty() && matches!(name.as_str(), "apiVersion" | "kind" | "metadata") {
            // The envelope is checked by the caller.
        } else if properties.is_some_and(|p| !p.is_empty()) {
            let mut known: Vec<&str> =
                properties.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
            known.sort_unstable();
            let known = known.join(", ");
            let message = if flag("x-kubernetes-preserve-unknown-fields") {
                format!("unknown field (kept as-is, not checked); known fields: {known}")
            } else {
                format!("unknown field; the API server drops it. Known fields: {known}")
            };
            out.push(Diagnostic::warning(Rule::SchemaUnknownField, child_path.clone(), message));
        }
    }
}

fn check_string(s: &serde_json::Map<String, Value>, text: &str, path: &FieldPath, out: &mut Vec<Diagnostic>) {
    let mut error = |rule: Rule, message: String| {
        out.push(Diagnostic::error(rule, path.clone(), message));
    };
    let chars = text.chars().count();
    if let Some(min) = s.get("minLength").and_then(Value::as_u64)
        && (chars as u64) < min
    {
        error(Rule::SchemaMinLength, format!("{} is shorter than {min} characters", short_str(text)));
    }
    if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
        && (chars as u64) > max
    {
        error(
            Rule::SchemaMaxLength,
            format!("{} is longer than {max} characters ({chars})", short_str(text)),
        );
    }
    if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
        match pattern_matches(pattern, text) {
            Some(true) => {}
            Some(false) => {
                error(Rule::SchemaPattern, format!("{} does not match {pattern}", short_str(text)));
            }
            None => error(Rule::SchemaPattern, format!("the schema's pattern {pattern} does not compile")),
        }
    }
    match s.get("format").and_then(Value::as_str) {
        Some("date-time") if text.parse::<jiff::Timestamp>().is_err() => {
            error(Rule::SchemaFormat, format!("{} is not an RFC 3339 date-time", short_str(text)));
        }
        Some("email") if !looks_like_email(text) => {
            error(Rule::SchemaFormat, format!("{} is not an e-mail address", short_str(text)));
        }
        _ => {}
    }
}

fn looks_like_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

fn type_matches(ty: &str, value: &Value) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        _ => true,
    }
}

fn article(ty: &str) -> String {
    match ty {
        "object" | "array" | "integer" => format!("an {ty}"),
        _ => format!("a {ty}"),
    }
}

/// "a string \"x\"", "a number 1.3", "an object", … for messages.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean {b}"),
        Value::Number(n) => format!("a number {n}"),
        Value::String(s) => format!("a string {}", short_str(s)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn short(value: &Value) -> String {
    match value {
        Value::String(s) => short_str(s),
        other => describe(other),
    }
}

/// A quoted string, cut at 80 characters so a huge value cannot flood a report.
pub(crate) fn short_str(s: &str) -> String {
    if s.chars().count() <= 80 {
        format!("{s:?}")
    } else {
        let cut: String = s.chars().take(77).collect();
        format!("{cut:?}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(schema: &Value, value: &Value) -> Vec<String> {
        let mut out = Vec::new();
        check(schema, value, &FieldPath::root().key("spec"), &mut out);
        let mut v: Vec<String> = out.into_iter().map(|f| format!("{}: {}", f.path, f.message)).collect();
        v.sort();
        v
    }

    #[test]
    fn paths_render_like_kubectl() {
        let p = FieldPath::root().key("spec").key("regions").index(2).key("region");
        assert_eq!(p.as_str(), "spec.regions[2].region");
        assert_eq!(
            FieldPath::root().key("metadata").key("labels").key("openova.io/x").as_str(),
            r#"metadata.labels["openova.io/x"]"#
        );
    }

    #[test]
    fn each_keyword_reports_with_its_path() {
        let schema = json!({
            "type": "object", "required": ["a"],
            "properties": {
                "a": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 3},
                "n": {"type": "integer", "minimum": 1, "maximum": 5},
                "e": {"type": "string", "enum": ["x", "y"]},
                "l": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                "t": {"type": "string", "format": "date-time"},
                "m": {"type": "string", "format": "email"}
            }
        });
        assert_eq!(errors(&schema, &json!({"a": "abc"})), Vec::<String>::new());
        assert_eq!(
            errors(&schema, &json!({"n": 9, "e": "z", "l": [1], "t": "yesterday", "m": "nobody", "q": 1})),
            vec![
                "spec.a: required field is missing",
                "spec.e: \"z\" is not one of \"x\", \"y\"",
                "spec.l[0]: expected a string, found a number 1",
                "spec.m: \"nobody\" is not an e-mail address",
                "spec.n: 9 is greater than the maximum 5",
                "spec.q: unknown field; the API server drops it. Known fields: a, e, l, m, n, t",
                "spec.t: \"yesterday\" is not an RFC 3339 date-time",
            ]
        );
    }
}
