//! What a controller's operations tests check its shipped RBAC with: the documents of a
//! manifest, the permission each API request needs, and whether rules grant it.

use serde_json::Value;

use crate::kube::ApiRequest;

/// The non-empty documents of a YAML manifest.
pub fn docs(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(yaml)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

/// (apiGroup, resource, verb, namespace) a request needs.
///
/// # Panics
/// On a path or method no controller sends (the test should look at it).
pub fn permission(r: &ApiRequest) -> (String, String, String, Option<String>) {
    let p: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
    let (group, rest) = match p.as_slice() {
        ["apis", group, _version, rest @ ..] => (*group, rest),
        ["api", "v1", "namespaces"] => return (String::new(), "namespaces".into(), "list".into(), None),
        ["api", "v1", "namespaces", _name] => {
            return (String::new(), "namespaces".into(), "get".into(), None);
        }
        ["api", "v1", rest @ ..] => ("", rest),
        _ => panic!("unexpected path {}", r.path),
    };
    let (ns, rest) = if rest.first() == Some(&"namespaces") {
        (Some(rest[1].to_owned()), rest[2..].to_vec())
    } else {
        (None, rest.to_vec())
    };
    let (resource, named) = match rest.as_slice() {
        [res] => ((*res).to_owned(), false),
        [res, _] => ((*res).to_owned(), true),
        [res, _, sub] => (format!("{res}/{sub}"), true),
        _ => panic!("unexpected path {}", r.path),
    };
    let verb = match (r.method.as_str(), named) {
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", _) => "delete",
        (m, _) => panic!("unexpected method {m}"),
    };
    (group.to_owned(), resource, verb.to_owned(), ns)
}

/// Whether `rules` grant `verb` on `group`/`resource` (no wildcards considered).
pub fn allows(rules: &[Value], group: &str, resource: &str, verb: &str) -> bool {
    let has = |v: &Value, s: &str| v.as_array().is_some_and(|a| a.iter().any(|x| x == s));
    rules
        .iter()
        .any(|r| has(&r["apiGroups"], group) && has(&r["resources"], resource) && has(&r["verbs"], verb))
}
