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
        "zone omantel.biz.: 1 of 2 PATCH bodies were applied before this failure: zone omantel.biz. does not exist on the server"
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
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let starts: Vec<usize> = text.match_indices("#[error(").map(|(i, _)| i).collect();
        for (n, &start) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(text.len());
            let chunk = &text[start..end];
            // The variant ends at the enum's closing brace, if that comes first.
            let chunk = chunk.find("\n}").map_or(chunk, |i| &chunk[..i]);
            let attr_end = chunk.find(")]").unwrap_or(chunk.len());
            let attr = &chunk[..attr_end];
            if attr.contains("transparent") {
                continue;
            }
            for field in source_fields(&chunk[attr_end..]) {
                let tuple = field == "0";
                let printed = attr.contains(&format!("{{{field}}}"))
                    || attr.contains(&format!("{{{field}:"))
                    || (!tuple && attr.contains(&format!(", {field}")))
                    || (tuple && attr.contains(".0"));
                if printed {
                    let line = text[..start].lines().count() + 1;
                    offenders.push(format!("{}:{line}: prints its source {field}", f.display()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
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

/// The source fields of one variant's body: `0` for `(#[source] T)` / `(#[from] T)`, else
/// the names of fields marked `#[source]`/`#[from]` or named `source`.
fn source_fields(body: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let head = body.trim_start_matches(")]").trim_start();
    // Skip doc comments and other attributes to the variant's name and body.
    let variant =
        head.lines().map(str::trim).find(|l| !l.starts_with("///") && !l.starts_with("#[")).unwrap_or("");
    if variant.contains("(#[source]") || variant.contains("(#[from]") {
        fields.push("0".to_owned());
        return fields;
    }
    let mut marked = false;
    for line in body.lines().map(str::trim) {
        if line.starts_with("#[source]") || line.starts_with("#[from]") {
            marked = true;
            continue;
        }
        if line.starts_with("///") || line.starts_with("#[") {
            continue;
        }
        if let Some((name, _)) = line.split_once(':')
            && !name.contains(' ')
            && !name.is_empty()
            && (marked || name == "source")
        {
            fields.push(name.to_owned());
        }
        marked = false;
    }
    fields
}
