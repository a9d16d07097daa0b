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

/// Largest rendered `values` of one entry, and largest merged values one Blueprint receives,
/// counted as string bytes plus one per node.
pub const MAX_VALUES_SIZE: usize = 1024 * 1024;

/// The size of `v` as [`MAX_VALUES_SIZE`] counts it, `None` past `limit` or past
/// [`MAX_VALUES_DEPTH`] levels below `depth`. Stops as soon as either is exceeded.
pub(crate) fn size_within(v: &Value, limit: usize, depth: usize) -> Option<usize> {
    if depth > MAX_VALUES_DEPTH {
        return None;
    }
    let mut total = match v {
        Value::String(s) => s.len() + 1,
        _ => 1,
    };
    let children: Box<dyn Iterator<Item = (&str, &Value)>> = match v {
        Value::Array(items) => Box::new(items.iter().map(|x| ("", x))),
        Value::Object(map) => Box::new(map.iter().map(|(k, x)| (k.as_str(), x))),
        _ => Box::new(std::iter::empty()),
    };
    for (key, child) in children {
        total += key.len();
        if total > limit {
            return None;
        }
        total += size_within(child, limit - total, depth + 1)?;
    }
    (total <= limit).then_some(total)
}

/// Renders every string leaf of `values` against `ctx` (`{config, application}`). `at` is the
/// YAML path of `values` (`spec.depends[0].values`); an error is (path, message). The result is
/// at most [`MAX_VALUES_SIZE`] and [`MAX_VALUES_DEPTH`] deep.
pub(crate) fn render(values: &Value, ctx: &Value, at: &str) -> Result<Value, (String, String)> {
    let mut left = MAX_VALUES_SIZE;
    render_at(values, ctx, at, 0, &mut left)
}

fn render_at(
    v: &Value,
    ctx: &Value,
    at: &str,
    depth: usize,
    left: &mut usize,
) -> Result<Value, (String, String)> {
    if depth > MAX_VALUES_DEPTH {
        return Err((at.to_owned(), format!("values nest deeper than {MAX_VALUES_DEPTH} levels")));
    }
    let too_big = || (at.to_owned(), format!("the rendered values are larger than {MAX_VALUES_SIZE} bytes"));
    *left = left.checked_sub(1).ok_or_else(too_big)?;
    Ok(match v {
        Value::String(s) => {
            let out = render_str(s, ctx, depth, *left + 1).map_err(|m| (at.to_owned(), m))?;
            let size = size_within(&out, *left + 1, depth).ok_or_else(too_big)?;
            *left -= size - 1;
            out
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| render_at(x, ctx, &format!("{at}[{i}]"), depth + 1, left))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, x)| {
                    *left = left.checked_sub(k.len()).ok_or_else(too_big)?;
                    Ok((k.clone(), render_at(x, ctx, &format!("{at}.{k}"), depth + 1, left)?))
                })
                .collect::<Result<Map<_, _>, (String, String)>>()?,
        ),
        other => other.clone(),
    })
}

/// One string: `{{ .path }}` alone keeps the value's type; inside text, scalars are spliced in.
/// A value taken whole must fit in `left` and below `depth`.
fn render_str(s: &str, ctx: &Value, depth: usize, left: usize) -> Result<Value, String> {
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
            let at = s[..s.len() - rest.len() + open].chars().count() + 1;
            return Err(format!("{{{{ at position {at} is not closed by }}}}"));
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
        let v = resolve(inner, path)?;
        // Checked before the copy: a whole map taken from the context may be large.
        if size_within(v, left, depth).is_none() {
            return Err(format!(
                "{{{{{inner}}}}} takes the rendered values past {MAX_VALUES_SIZE} bytes or {MAX_VALUES_DEPTH} levels deep"
            ));
        }
        return Ok(v.clone());
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
/// what is there. A conflict is (the key's segments, the value there, the value offered), the
/// values as JSON text.
pub(crate) fn merge(into: &mut Value, from: &Value) -> Result<(), (Vec<String>, String, String)> {
    let mut key = Vec::new();
    merge_at(into, from, &mut key).map_err(|(there, offered)| (key, there, offered))
}

fn merge_at(into: &mut Value, from: &Value, key: &mut Vec<String>) -> Result<(), (String, String)> {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) if key.len() < MAX_VALUES_DEPTH => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(existing) => {
                        key.push(k.clone());
                        merge_at(existing, v, key)?;
                        key.pop();
                    }
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
            Ok(())
        }
        (a, b) if *a == *b => Ok(()),
        (a, b) => Err((a.to_string(), b.to_string())),
    }
}

/// A key's segments as one path: `db.size`; a segment holding a dot or a quote is quoted
/// (`podAnnotations."prometheus.io/scrape"`); the empty path is `(all values)`.
pub(crate) fn key_text(key: &[String]) -> String {
    if key.is_empty() {
        return "(all values)".into();
    }
    key.iter()
        .map(|k| {
            if k.is_empty() || k.contains(['.', '"', ' ', '[', ']']) {
                serde_json::to_string(k).unwrap_or_else(|_| k.clone())
            } else {
                k.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// SPEC BP-7 over a resolution, from the requested Blueprints down (reverse install order): each
/// Blueprint's received values are merged from its dependents' (topological, then name order),
/// then the `values` of its `depends` entries whose `when` holds are rendered in its context and
/// passed on. Writes the rendered values into the plan and the DAG's edges; returns what each
/// Blueprint received.
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
    // (dependency, dependent, alias) -> rendered values, for the DAG's edges.
    let mut rendered_edges: BTreeMap<(String, String, String), Value> = BTreeMap::new();
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
                    let shown = key_text(&key);
                    return Err(ResolveError::ValuesConflict {
                        blueprint: item.name.clone(),
                        key: shown.clone(),
                        a: format!("{there} from {}", first.3.at(&shown)),
                        b: format!("{offered} from {}", gifts[i].3.at(&shown)),
                    });
                }
                if size_within(&merged, MAX_VALUES_SIZE, 0).is_none() {
                    return Err(ResolveError::TemplateError {
                        blueprint: format!("{name} {version}"),
                        file: file.clone(),
                        path: "(the values its dependents pass)".into(),
                        message: format!(
                            "together larger than {MAX_VALUES_SIZE} bytes or deeper than {MAX_VALUES_DEPTH} levels"
                        ),
                    });
                }
            }
            item.values = Some(merged.clone());
            received.insert(name.clone(), merged);
        }
        let ctx = context(entry, received.get(name), options.parameters.get(name));
        for d in &entry.blueprint.depends {
            let Some(values) = &d.values else { continue };
            // An entry whose `when` is false passes nothing (its edge is not followed).
            if d.when.as_ref().is_some_and(|w| !w.eval(&ctx)) {
                continue;
            }
            let dep = d.blueprint.to_string();
            let Some(edge) = item.dependencies.iter_mut().find(|e| e.name == dep && e.alias == d.alias)
            else {
                continue;
            };
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
            rendered_edges.insert((dep.clone(), item.name.clone(), d.alias.clone()), rendered.clone());
            given.entry(dep).or_default().push((pos, item.name.clone(), rendered, source));
        }
    }
    // The DAG's edges carry the same rendered values as the plan.
    let graph = &mut resolution.dag.graph;
    for e in graph.edge_indices() {
        let Some((from, to)) = graph.edge_endpoints(e) else { continue };
        let key = (graph[from].0.to_string(), graph[to].0.to_string(), graph[e].alias.clone());
        if let Some(values) = rendered_edges.remove(&key) {
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

/// The value at a key given as segments.
fn lookup<'v>(v: &'v Value, key: &[String]) -> Option<&'v Value> {
    key.iter().try_fold(v, |v, k| v.get(k))
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
            (vec!["db".to_owned(), "size".to_owned()], "10".into(), "20".into())
        );
        assert_eq!(
            key_text(&["podAnnotations".into(), "prometheus.io/scrape".into()]),
            "podAnnotations.\"prometheus.io/scrape\""
        );
    }

    #[test]
    fn a_whole_map_taken_from_the_context_is_size_checked_before_the_copy() {
        let big = json!({"config": {"blob": {"s": "x".repeat(MAX_VALUES_SIZE)}}, "application": {}});
        let err = render(&json!({"a": "{{ .config.blob }}"}), &big, "v").unwrap_err();
        assert_eq!(err.0, "v.a");
        assert_eq!(
            err.1,
            "{{ .config.blob }} takes the rendered values past 1048576 bytes or 64 levels deep"
        );
        // Many small copies add up against one budget.
        let ctx = json!({"config": {"s": "y".repeat(4096)}, "application": {}});
        let many: Map<String, Value> =
            (0..300).map(|i| (format!("k{i}"), json!("{{ .config.s }}"))).collect();
        let err = render(&Value::Object(many), &ctx, "v").unwrap_err();
        assert_eq!(err.1, "{{ .config.s }} takes the rendered values past 1048576 bytes or 64 levels deep");
    }
}
