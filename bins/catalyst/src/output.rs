//! Rendering a command's result as text, JSON or YAML, from one serde value so the three
//! formats always carry the same keys in the same order.

use std::fmt::Write as _;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::Value;

use crate::cli::Output;

/// Renders `value` in `format`, ending with a newline.
pub(crate) fn render(value: &impl Serialize, format: Output) -> anyhow::Result<String> {
    match format {
        Output::Json => {
            let mut s = serde_json::to_string_pretty(value).context("rendering JSON")?;
            s.push('\n');
            Ok(s)
        }
        Output::Yaml => serde_saphyr::to_string(value).context("rendering YAML"),
        Output::Text => {
            let value = serde_json::to_value(value).context("rendering text")?;
            let mut out = String::new();
            text(&value, 0, &mut out);
            Ok(out)
        }
    }
}

/// Prints `value` to stdout in `format`.
pub(crate) fn print(value: &impl Serialize, format: Output) -> anyhow::Result<()> {
    raw(&render(value, format)?);
    Ok(())
}

/// Prints text to stdout as it is (the one place the CLI writes to stdout).
pub(crate) fn raw(text: &str) {
    #[expect(clippy::print_stdout, reason = "the CLI owns stdout")]
    {
        print!("{text}");
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("-".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            Some(if items.is_empty() {
                "-".into()
            } else {
                items.iter().filter_map(scalar).collect::<Vec<_>>().join(", ")
            })
        }
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Objects become aligned `key  value` lines, nested objects are indented under their key.
fn text(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            let width =
                map.iter().filter(|(_, v)| scalar(v).is_some()).map(|(k, _)| k.len()).max().unwrap_or(0);
            for (k, v) in map {
                if let Some(s) = scalar(v) {
                    let _ = writeln!(out, "{pad}{k:width$}  {s}");
                } else {
                    let _ = writeln!(out, "{pad}{k}:");
                    text(v, indent + 2, out);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                if let Some(s) = scalar(item) {
                    let _ = writeln!(out, "{pad}- {s}");
                } else {
                    let _ = writeln!(out, "{pad}-");
                    text(item, indent + 2, out);
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other).unwrap_or_default());
        }
    }
}

/// A finding as `blueprint lint` and `bootstrap-kit check` print it:
/// `error[Code]: file: path: message`.
pub(crate) fn finding_line<C: catalyst_naming::diagnostic::Code>(
    d: &catalyst_naming::Diagnostic<C>,
) -> String {
    let file = d
        .file
        .as_deref()
        .map(|f| format!("{}: ", catalyst_naming::untrusted::escape_unsafe(f)))
        .unwrap_or_default();
    format!("{}[{}]: {file}{}: {}", d.severity, d.code.as_str(), d.path.as_str(), d.message)
}
