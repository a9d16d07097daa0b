#![allow(clippy::unwrap_used)]
//! `catalyst validate` (catalyst-core) and `catalyst blueprint lint` (catalyst-blueprint)
//! judge a `kind: Blueprint` document by one rule set, so they cannot disagree: over the
//! platform's 48 blueprint.yaml files, the CRD samples and doc examples, and generated
//! variants of all of them, both give the same verdict.

use std::path::{Path, PathBuf};

use catalyst_blueprint::Blueprint;
use catalyst_core::validate::{Checked, blueprint_lint_findings, validate_document};
use proptest::prelude::*;
use serde_json::Value;

fn fixtures() -> PathBuf {
    catalyst_testkit::fixtures()
}

/// Every `kind: Blueprint` document of the fixtures, with where it came from.
fn blueprint_documents() -> Vec<(String, Value)> {
    let root = fixtures().join("openova");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("blueprints/platform"))
        .expect("fixtures/openova/blueprints/platform")
        .map(|e| e.unwrap().path().join("blueprint.yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 48, "the platform's 48 blueprint.yaml files");
    for sample in [
        "crds/tests/blueprint-sample-valid.yaml",
        "crds/tests/blueprint-sample-invalid.yaml",
        "crds/doc-examples/docs/ARCHITECTURE.md.L352-L365.Blueprint.yaml",
        "crds/doc-examples/docs/BLUEPRINT-AUTHORING.md.L84-L188.Blueprint.yaml",
    ] {
        files.push(root.join(sample));
    }
    let mut docs = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let parsed: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
        for (i, doc) in parsed.into_iter().filter(|d| !d.is_null()).enumerate() {
            let label = format!("{} #{}", short(&file), i + 1);
            docs.push((label, doc));
        }
    }
    docs
}

fn short(path: &Path) -> String {
    let parts: Vec<_> = path.iter().rev().take(2).collect();
    format!("{}/{}", parts[1].to_string_lossy(), parts[0].to_string_lossy())
}

/// `(validate accepts, lint accepts)` for one document; `None` when validate skips it
/// (not a Catalyst document, so lint is not asked either).
fn verdicts(doc: &Value) -> Option<(bool, bool, String, String)> {
    let report = validate_document(doc);
    if let Checked::Skipped(_) = report.checked {
        return None;
    }
    // `catalyst blueprint lint` runs the model, then `blueprint_lint_findings` on each file.
    let model = Blueprint::from_value(doc, None);
    let model_findings: Vec<_> = match &model {
        Ok(bp) => bp.warnings.to_vec(),
        Err(d) => d.to_vec(),
    };
    let crd: catalyst_blueprint::Diagnostics = blueprint_lint_findings(doc, &model_findings).into();
    let validate_errors: Vec<String> = report.errors().map(ToString::to_string).collect();
    let mut lint_errors: Vec<String> = match &model {
        Ok(_) => Vec::new(),
        Err(d) => d.errors().map(ToString::to_string).collect(),
    };
    lint_errors.extend(crd.errors().map(ToString::to_string));
    let lint_ok = model.is_ok() && !crd.has_errors();
    Some((report.is_valid(), lint_ok, validate_errors.join("\n"), lint_errors.join("\n")))
}

fn assert_agree(label: &str, doc: &Value) {
    if let Some((v, l, ve, le)) = verdicts(doc) {
        assert_eq!(v, l, "{label}: validate says {v}, lint says {l}\nvalidate:\n{ve}\nlint:\n{le}\n{doc:#}");
    }
}

#[test]
fn fixtures_get_the_same_verdict() {
    let docs = blueprint_documents();
    let mut valid = 0;
    let mut invalid = 0;
    for (label, doc) in &docs {
        let (v, l, ve, le) = verdicts(doc).unwrap_or_else(|| panic!("{label}: validate skipped a Blueprint"));
        assert_eq!(v, l, "{label}: validate says {v}, lint says {l}\nvalidate:\n{ve}\nlint:\n{le}");
        if v {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    // The 48 platform files, the valid samples and the authoring example pass; every
    // seeded-invalid sample and the partial ARCHITECTURE excerpt fail in both.
    assert!(valid >= 48, "{valid} valid");
    assert!(invalid >= 6, "{invalid} invalid");
}

/// The disagreement the issue found: a depends entry `{name: …}` (not `blueprint:`).
#[test]
fn depends_by_name_is_rejected_by_both() {
    let (_, mut doc) = blueprint_documents().into_iter().find(|(l, _)| l.starts_with("cilium/")).unwrap();
    doc["spec"]["depends"] = serde_json::json!([{"name": "bp-cert-manager"}]);
    let (v, l, ve, le) = verdicts(&doc).unwrap();
    assert!(!v && !l, "validate: {ve}\nlint: {le}");
    assert!(ve.contains("spec.depends[0]"), "{ve}");
    assert!(le.contains("spec.depends[0]"), "{le}");
}

/// Paths to every node of a JSON value (object keys and array indices).
fn paths(v: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(Seg::Key(k.clone()));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(Seg::Index(i));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    path.iter().fold(v, |v, s| match s {
        Seg::Key(k) => &mut v[k.as_str()],
        Seg::Index(i) => &mut v[*i],
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    Remove,
    Replace(Value),
    AddKey(String, Value),
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        (-1000i64..70000).prop_map(Value::from),
        "[a-z0-9.-]{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "1.0.0",
            "1.3",
            ">=1.0.0, <2",
            "bp-cert-manager",
            "bp-",
            "Foo",
            "http",
            "tcp",
            "public",
            "secret",
            "listed",
            "private",
            "singleton",
            "active-hot-standby",
            "{sovereign}",
            "{unknown}",
            "/sso",
            "5 days",
            "24h",
            "multi-region",
            "single-region",
        ])
        .prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,10}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Remove),
        value().prop_map(Mutation::Replace),
        (
            prop::sample::select(vec![
                "name",
                "blueprint",
                "version",
                "depends",
                "card",
                "visibility",
                "topology",
                "endpoints",
                "sso",
                "multiInstance",
                "allowedPlacements",
                "hasUserUIEndpoint",
                "placementSchema",
                "rotation",
                "configSchema",
                "manifests",
                "owner",
                "title",
                "port",
                "protocol",
                "hostnameTemplate",
            ]),
            value()
        )
            .prop_map(|(k, v)| Mutation::AddKey(k.to_owned(), v)),
    ]
}

fn apply(mut doc: Value, selector: prop::sample::Index, m: &Mutation) -> Value {
    let mut all = Vec::new();
    paths(&doc, &mut Vec::new(), &mut all);
    // Keep apiVersion/kind so the document stays a Blueprint for validate to check.
    all.retain(|p| {
        !matches!(p.first(), Some(Seg::Key(k)) if k == "apiVersion" || k == "kind") && !p.is_empty()
    });
    if all.is_empty() {
        return doc;
    }
    let path = all[selector.index(all.len())].clone();
    let (last, parent) = path.split_last().unwrap();
    match m {
        Mutation::Remove => match (at(&mut doc, parent), last) {
            (Value::Object(o), Seg::Key(k)) => {
                o.remove(k);
            }
            (Value::Array(a), Seg::Index(i)) => {
                a.remove(*i);
            }
            _ => {}
        },
        Mutation::Replace(v) => *at(&mut doc, &path) = v.clone(),
        Mutation::AddKey(k, v) => {
            if let Value::Object(o) = at(&mut doc, &path) {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    doc
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Generated variants: one to three edits (remove a key or element, replace a value,
    /// add a key) anywhere in any fixture document.
    #[test]
    fn generated_variants_get_the_same_verdict(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), mutation()), 1..4),
    ) {
        let docs = blueprint_documents_cached();
        let (label, doc) = &docs[which.index(docs.len())];
        let mut doc = doc.clone();
        for (selector, m) in &edits {
            doc = apply(doc, *selector, m);
        }
        assert_agree(label, &doc);
    }
}

fn blueprint_documents_cached() -> &'static [(String, Value)] {
    static DOCS: std::sync::OnceLock<Vec<(String, Value)>> = std::sync::OnceLock::new();
    DOCS.get_or_init(blueprint_documents)
}

/// Shapes the API server rejects are errors in both, whether the model or the CRD schema
/// catches them (issue 17 review).
#[test]
fn crd_rejections_are_errors_in_both() {
    let (_, base) = blueprint_documents().into_iter().find(|(l, _)| l.starts_with("cilium/")).unwrap();
    for (field, value) in [
        ("depends", serde_json::json!([{"blueprint": "bp-cert-manager", "alias": 5}])),
        ("upgrades", serde_json::json!({"from": "1.0.0"})),
        (
            "topology",
            serde_json::json!({"supported": ["singleton", "singleton"], "defaults": {"multi-region": "singleton", "single-region": "singleton"}}),
        ),
        ("card", serde_json::json!({"title": "X", "screenshots": 5})),
        ("placementSchema", serde_json::json!({"modes": ["singleton", 7]})),
    ] {
        let mut doc = base.clone();
        doc["spec"][field] = value;
        let (v, l, ve, le) = verdicts(&doc).unwrap();
        assert!(!v && !l, "{field}: validate {v} ({ve}), lint {l} ({le})");
    }
}
