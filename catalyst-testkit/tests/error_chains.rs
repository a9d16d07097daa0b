//! Errors print their own layer and return the cause as `source()`, never both: `{:#}` of
//! anyhow and [`Chain`] then show each cause once. Two checks: representative errors of
//! every library walked through their `source()` chains, and every `thiserror` variant of
//! the workspace's sources read for a message that interpolates its own source field.
#![allow(clippy::unwrap_used)]

use std::error::Error;
use std::path::{Path, PathBuf};

use catalyst_naming::diagnostic::Chain;

/// No layer's message contains the message of the layer below it.
fn assert_no_repeats(e: &(dyn Error + 'static)) -> String {
    let mut outer = e.to_string();
    let mut next = e.source();
    while let Some(inner) = next {
        let shown = inner.to_string();
        assert!(!outer.contains(&shown), "{outer:?} repeats its source {shown:?}");
        outer = shown;
        next = inner.source();
    }
    Chain(e).to_string()
}

#[test]
fn representative_errors_name_each_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();

    // catalyst-core: the registry's directory, a kubeconfig, an Environment's name.
    let e = catalyst_core::registry::list_kubeconfigs(&file).unwrap_err();
    let shown = assert_no_repeats(&e);
    assert!(shown.starts_with(&format!("cannot read kubeconfig directory {}: ", file.display())), "{shown}");

    let env: catalyst_core::crd::Environment = serde_saphyr::from_str(
        "apiVersion: catalyst.openova.io/v1\nkind: Environment\nmetadata: {name: ../x}\nspec: {organizationRef: acme, envType: dev, placement: single-region, regions: [{provider: hetzner, region: fsn, buildingBlock: rtz}]}\n",
    )
    .unwrap();
    let e = catalyst_core::gitops::EnvironmentPlan::new(
        &env,
        &catalyst_core::gitops::RenderConfig::new("https://g"),
    )
    .unwrap_err();
    let shown = assert_no_repeats(&e);
    assert!(shown.starts_with("metadata.name is not a usable name: "), "{shown}");

    // catalyst-dns: a split apply that failed part-way.
    let e = catalyst_dns::PdnsError::Partial {
        zone: "omantel.biz.".into(),
        written: 1,
        total: 2,
        source: Box::new(catalyst_dns::PdnsError::ZoneNotFound { zone: "omantel.biz.".into() }),
    };
    let shown = assert_no_repeats(&e);
    assert_eq!(
        shown,
        "zone omantel.biz.: 1 write(s) of this apply landed before this failure (its plan needed 2): zone omantel.biz. does not exist on the server"
    );

    // catalyst-blueprint: an archive that cannot be read.
    let e = catalyst_blueprint::artifact::Package::from_path(&dir.path().join("missing"), None).unwrap_err();
    assert_no_repeats(&e);

    // catalyst-plan: a Sovereign file that cannot be read, and one that does not parse.
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let e = rt.block_on(catalyst_plan::load(&dir.path().join("missing.yaml"))).unwrap_err();
    let shown = assert_no_repeats(&e);
    assert!(shown.starts_with("cannot read "), "{shown}");
    let e = rt.block_on(catalyst_plan::load(&file)).unwrap_err();
    assert_no_repeats(&e);
}

/// Every `#[error("…")]` of the workspace: a variant whose cause is its `source()` (a
/// `#[source]`/`#[from]` field or one named `source`) does not also print it.
#[test]
fn no_variant_prints_its_source() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for top in std::fs::read_dir(root).unwrap() {
        let top = top.unwrap().path();
        let name = top.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("catalyst") {
            collect(&top.join("src"), &mut files);
        } else if name == "bins" {
            for bin in std::fs::read_dir(&top).unwrap() {
                collect(&bin.unwrap().path().join("src"), &mut files);
            }
        }
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut offenders = Vec::new();
    let mut variants = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (start, _) in text.match_indices("#[error(") {
            let open = start + "#[error".len();
            let Some(close) = matching(&text, open) else { continue };
            let attr = &text[open + 1..close];
            if attr.trim() == "transparent" {
                continue;
            }
            let Some((fields, tuple)) = variant_fields(&text[close + 1..]) else { continue };
            variants += 1;
            for (i, field) in fields.iter().enumerate() {
                let is_source = field.contains("#[source]") || field.contains("#[from]");
                let name = if tuple {
                    i.to_string()
                } else {
                    let decl = strip_attributes(field);
                    decl.split(':').next().unwrap_or_default().trim().trim_start_matches("pub ").to_owned()
                };
                if !(is_source || (!tuple && name == "source")) {
                    continue;
                }
                if interpolates(attr, &name, tuple) {
                    let line = text[..start].lines().count() + 1;
                    offenders.push(format!("{}:{line}: prints its source {name}", f.display()));
                }
            }
        }
    }
    assert!(variants > 100, "read only {variants} #[error] variants");
    assert!(offenders.is_empty(), "{offenders:#?}");
}

/// The index of the bracket closing the one at `open` (`(`, `[` or `{`), skipping string
/// literals and character literals.
fn matching(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The fields of the variant (or struct) that follows an `#[error(…)]`: each field's text with
/// its attributes, and whether it is a tuple variant. `None` for a unit variant.
fn variant_fields(after: &str) -> Option<(Vec<String>, bool)> {
    // Skip doc comments and other attributes to the variant's name.
    let mut rest = after;
    loop {
        let trimmed = rest.trim_start();
        if trimmed.starts_with("///") || trimmed.starts_with("//") {
            rest = trimmed.split_once('\n').map_or("", |(_, r)| r);
        } else if trimmed.starts_with("#[") {
            let offset = after.len() - trimmed.len();
            let close = matching(after, offset + 1)?;
            rest = &after[close + 1..];
        } else {
            rest = trimmed;
            break;
        }
    }
    let body_at = rest.find(['(', '{', ',', '}', ';'])?;
    let opener = rest.as_bytes()[body_at];
    if opener != b'(' && opener != b'{' {
        return None;
    }
    let close = matching(rest, body_at)?;
    let body = &rest[body_at + 1..close];
    let mut fields = Vec::new();
    let (mut depth, mut from) = (0i32, 0usize);
    for (i, c) in body.char_indices() {
        match c {
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth -= 1,
            ',' if depth == 0 => {
                fields.push(body[from..i].to_owned());
                from = i + 1;
            }
            _ => {}
        }
    }
    if !body[from..].trim().is_empty() {
        fields.push(body[from..].to_owned());
    }
    Some((fields, opener == b'('))
}

/// A field declaration without its doc comments and attributes.
fn strip_attributes(field: &str) -> String {
    field
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("///") && !l.is_empty())
        .map(|l| {
            let mut l = l;
            while l.starts_with("#[") {
                l = matching(l, 1).map_or("", |c| l[c + 1..].trim_start());
            }
            l
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether an `#[error(…)]` argument list shows `name`: `{name}`, `{name:…}`, or `name` /
/// `.0` among the format arguments.
fn interpolates(attr: &str, name: &str, tuple: bool) -> bool {
    if attr.contains(&format!("{{{name}}}")) || attr.contains(&format!("{{{name}:")) {
        return true;
    }
    // The arguments after the format string.
    let Some(end) = attr.find('"').and_then(|q| matching_quote(attr, q)) else { return false };
    let args = &attr[end + 1..];
    let words = args.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'));
    words.into_iter().any(|w| {
        // `.0` for a tuple field, `source` or `source.path` for a named one.
        let w = if tuple { w.trim_start_matches('.') } else { w };
        w == name || w.starts_with(&format!("{name}."))
    })
}

fn matching_quote(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}
