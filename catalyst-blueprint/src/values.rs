//! `values` of dependency entries (SPEC BP-7): placeholders rendered against the dependent's
//! context, and the values several dependents give one dependency deep-merged.

use std::collections::BTreeMap;

use catalyst_naming::BlueprintName;
use semver::Version;
use serde_json::{Map, Value};

use crate::solve::{ResolveError, ResolveOptions, context};
use crate::{Catalog, Resolution};

/// Longest string a template may render to.
pub const MAX_RENDERED_LEN: usize = 64 * 1024;

/// Most placeholders one string may hold.
const MAX_PLACEHOLDERS: usize = 64;

/// Deepest `values` tree rendered or merged.
const MAX_VALUES_DEPTH: usize = 64;

/// Renders every string leaf of `values` against `ctx` (`{config, application}`). `at` is the
/// YAML path of `values` (`spec.depends[0].values`); an error is (path, message).
pub(crate) fn render(values: &Value, ctx: &Value, at: &str) -> Result<Value, (String, String)> {
    render_at(values, ctx, at, 0)
}

fn render_at(v: &Value, ctx: &Value, at: &str, depth: usize) -> Result<Value, (String, String)> {
    if depth > MAX_VALUES_DEPTH {
        return Err((at.to_owned(), format!("values nest deeper than {MAX_VALUES_DEPTH} levels")));
    }
    Ok(match v {
        Value::String(s) => render_str(s, ctx).map_err(|m| (at.to_owned(), m))?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| render_at(x, ctx, &format!("{at}[{i}]"), depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, x)| Ok((k.clone(), render_at(x, ctx, &format!("{at}.{k}"), depth + 1)?)))
                .collect::<Result<Map<_, _>, (String, String)>>()?,
        ),
        other => other.clone(),
    })
}

/// One string: `{{ .path }}` alone keeps the value's type; inside text, scalars are spliced in.
fn render_str(s: &str, ctx: &Value) -> Result<Value, String> {
    if !s.contains("{{") {
        return Ok(Value::String(s.to_owned()));
    }
    let mut parts: Vec<(&str, Option<Vec<String>>)> = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find("{{") {
        if parts.len() >= 2 * MAX_PLACEHOLDERS {
            return Err(format!("more than {MAX_PLACEHOLDERS} placeholders in one string"));
        }
        let Some(close) = rest[open + 2..].find("}}") else {
            return Err(format!(
                "{{{{ at position {} is not closed by }}}}",
                s.len() - rest.len() + open + 1
            ));
        };
        let inner = &rest[open + 2..open + 2 + close];
        let path = crate::when::parse_path(inner).map_err(|e| format!("{{{{{inner}}}}}: {e}"))?;
        parts.push((&rest[..open], None));
        parts.push((inner, Some(path)));
        rest = &rest[open + 2 + close + 2..];
    }
    let resolve = |inner: &str, path: &[String]| {
        path.iter()
            .try_fold(ctx, |v, seg| v.get(seg))
            .filter(|v| !v.is_null())
            .ok_or_else(|| format!("{{{{{inner}}}}} does not resolve: {} is not set", path.join(".")))
    };
    // Exactly one placeholder and nothing else: the value itself, with its type.
    if let [("", None), (inner, Some(path))] = parts.as_slice()
        && rest.is_empty()
    {
        return resolve(inner, path).cloned();
    }
    let mut out = String::new();
    for (text, path) in &parts {
        match path {
            None => out.push_str(text),
            Some(path) => match resolve(text, path)? {
                Value::String(x) => out.push_str(x),
                Value::Number(n) => out.push_str(&n.to_string()),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                _ => {
                    return Err(format!(
                        "{{{{{text}}}}} is a map or a list; only a placeholder standing alone may take one"
                    ));
                }
            },
        }
        if out.len() > MAX_RENDERED_LEN {
            return Err(format!("renders to more than {MAX_RENDERED_LEN} bytes"));
        }
    }
    out.push_str(rest);
    if out.len() > MAX_RENDERED_LEN {
        return Err(format!("renders to more than {MAX_RENDERED_LEN} bytes"));
    }
    Ok(Value::String(out))
}

/// Deep-merges `from` into `into`: maps merge key by key; any other value must be equal to
/// what is there. A conflict is (dotted key, the value there, the value offered), the values as
/// JSON text.
pub(crate) fn merge(into: &mut Value, from: &Value) -> Result<(), (String, String, String)> {
    merge_at(into, from, String::new(), 0)
}

fn merge_at(
    into: &mut Value,
    from: &Value,
    key: String,
    depth: usize,
) -> Result<(), (String, String, String)> {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) if depth < MAX_VALUES_DEPTH => {
            for (k, v) in b {
                let sub = if key.is_empty() { k.clone() } else { format!("{key}.{k}") };
                match a.get_mut(k) {
                    Some(existing) => merge_at(existing, v, sub, depth + 1)?,
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
            Ok(())
        }
        (a, b) if *a == *b => Ok(()),
        (a, b) => {
            Err((if key.is_empty() { "(all values)".into() } else { key }, a.to_string(), b.to_string()))
        }
    }
}

/// SPEC BP-7 over a resolution, from the requested Blueprints down (reverse install order): each
/// Blueprint's received values are merged from its dependents' (topological, then name order),
/// then its own `values` entries are rendered in its context and passed on. Writes the rendered
/// values into the plan and the DAG's edges; returns what each Blueprint received.
pub(crate) fn received(
    catalog: &Catalog,
    resolution: &mut Resolution,
    options: &ResolveOptions,
) -> Result<BTreeMap<BlueprintName, Value>, ResolveError> {
    // Nothing to do, and nothing to allocate, when no chosen version passes values.
    let passes = |n: &BlueprintName, v: &Version| {
        catalog.get(n, v).is_some_and(|e| e.blueprint.depends.iter().any(|d| d.values.is_some()))
    };
    if !resolution.versions.iter().any(|(n, v)| passes(n, v)) {
        return Ok(BTreeMap::new());
    }
    let names: BTreeMap<String, (&BlueprintName, &Version)> =
        resolution.versions.iter().map(|(n, v)| (n.to_string(), (n, v))).collect();
    let mut received: BTreeMap<BlueprintName, Value> = BTreeMap::new();
    // Per receiving Blueprint: (install position of the giver, giver, rendered values, source).
    let mut given: BTreeMap<String, Vec<(usize, String, Value, Giver)>> = BTreeMap::new();
    let mut rendered_edges: Vec<(String, String, Value)> = Vec::new();
    let items = &mut resolution.plan.install_order;
    for pos in (0..items.len()).rev() {
        let item = &mut items[pos];
        let Some(&(name, version)) = names.get(&item.name) else { continue };
        let Some(entry) = catalog.get(name, version) else { continue };
        let file = entry.source.as_ref().map(|p| p.display().to_string());
        if let Some(mut gifts) = given.remove(&item.name) {
            gifts.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            let mut merged = Value::Object(Map::new());
            for (i, (_, _, values, _)) in gifts.iter().enumerate() {
                if let Err((key, there, offered)) = merge(&mut merged, values) {
                    // The earlier giver whose values hold the key.
                    let first = gifts[..i].iter().find(|g| lookup(&g.2, &key).is_some()).unwrap_or(&gifts[i]);
                    return Err(ResolveError::ValuesConflict {
                        blueprint: item.name.clone(),
                        key: key.clone(),
                        a: format!("{there} from {}", first.3.at(&key)),
                        b: format!("{offered} from {}", gifts[i].3.at(&key)),
                    });
                }
            }
            item.values = Some(merged.clone());
            received.insert(name.clone(), merged);
        }
        let ctx = context(entry, received.get(name), options.parameters.get(name));
        for d in entry.blueprint.depends.iter().filter(|d| d.values.is_some()) {
            let dep = d.blueprint.to_string();
            let Some(edge) = item.dependencies.iter_mut().find(|e| e.name == dep) else { continue };
            let Some(values) = &d.values else { continue };
            let at = format!("{}.values", d.path);
            let rendered =
                render(values, &ctx, &at).map_err(|(path, message)| ResolveError::TemplateError {
                    blueprint: format!("{name} {version}"),
                    file: file.clone(),
                    path,
                    message,
                })?;
            edge.values = Some(rendered.clone());
            let source = Giver { who: format!("{name} {version}"), file: file.clone(), at: at.clone() };
            rendered_edges.push((item.name.clone(), dep.clone(), rendered.clone()));
            given.entry(dep).or_default().push((pos, item.name.clone(), rendered, source));
        }
    }
    // The DAG's edges carry the same rendered values as the plan.
    let graph = &mut resolution.dag.graph;
    for (dependent, dependency, values) in rendered_edges {
        let edge = graph.edge_indices().find(|&e| {
            graph.edge_endpoints(e).is_some_and(|(from, to)| {
                graph[from].0.as_str() == dependency && graph[to].0.as_str() == dependent
            })
        });
        if let Some(e) = edge {
            graph[e].values = Some(values);
        }
    }
    Ok(received)
}

/// Who passed values: the dependent, its file and the YAML path of the `values`.
struct Giver {
    who: String,
    file: Option<String>,
    at: String,
}

impl Giver {
    /// `bp-a 1.0.0 (FILE, spec.depends[0].values.KEY)`.
    fn at(&self, key: &str) -> String {
        match &self.file {
            Some(f) => format!("{} ({f}, {}.{key})", self.who, self.at),
            None => format!("{} ({}.{key})", self.who, self.at),
        }
    }
}

/// The value at a dotted key.
fn lookup<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    key.split('.').try_fold(v, |v, k| v.get(k))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ctx() -> Value {
        json!({"config": {"db": {"size": 10, "host": "pg"}, "ha": true}, "application": {"name": "wordpress"}})
    }

    #[test]
    fn placeholders_render_with_their_types() {
        let v = json!({"a": "{{ .config.db.size }}", "b": "db-{{.application.name}}-{{ .config.ha }}", "c": ["{{ .config.db }}"], "d": 3});
        assert_eq!(
            render(&v, &ctx(), "values").unwrap(),
            json!({"a": 10, "b": "db-wordpress-true", "c": [{"size": 10, "host": "pg"}], "d": 3})
        );
    }

    #[test]
    fn template_errors_name_the_path() {
        let err = |v: Value| render(&v, &ctx(), "spec.depends[0].values").unwrap_err();
        assert_eq!(
            err(json!({"x": {"y": "{{ .config.nope }}"}})),
            (
                "spec.depends[0].values.x.y".into(),
                "{{ .config.nope }} does not resolve: config.nope is not set".into()
            )
        );
        assert_eq!(err(json!(["a {{ .config.db"])).1, "{{ at position 3 is not closed by }}");
        assert_eq!(
            err(json!("{{ .config.a == 1 }}")).1,
            "{{ .config.a == 1 }}: unexpected '=' after the path (a placeholder holds one path, no expression)"
        );
        assert_eq!(
            err(json!("x{{ .config.db }}")).1,
            "{{ .config.db }} is a map or a list; only a placeholder standing alone may take one"
        );
        assert_eq!(
            err(json!("{{ env.HOME }}")).1,
            "{{ env.HOME }}: a placeholder holds one path starting with .config. or .application."
        );
        assert!(
            err(json!("{{ .env.HOME }}"))
                .1
                .ends_with("must start with .config. or .application. and name a field")
        );
    }

    #[test]
    fn huge_renders_are_refused() {
        let big = json!({"config": {"s": "x".repeat(4096)}});
        let many = "{{ .config.s }}".repeat(32);
        assert_eq!(
            render(&json!(many), &big, "v").unwrap_err().1,
            format!("renders to more than {MAX_RENDERED_LEN} bytes")
        );
    }

    #[test]
    fn merge_is_deep_and_scalar_conflicts_name_the_key() {
        let mut a = json!({"db": {"size": 10}, "tags": ["x"]});
        merge(&mut a, &json!({"db": {"host": "pg", "size": 10}, "tags": ["x"]})).unwrap();
        assert_eq!(a, json!({"db": {"size": 10, "host": "pg"}, "tags": ["x"]}));
        assert_eq!(
            merge(&mut a, &json!({"db": {"size": 20}})).unwrap_err(),
            ("db.size".into(), "10".into(), "20".into())
        );
    }
}
