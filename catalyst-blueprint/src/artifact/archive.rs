//! Packaging a Blueprint as a Helm chart layer, reproducibly, and unpacking one safely
//! (SPEC OCI-5, OCI-7, BP-12).
//!
//! The artifact is the Blueprint's Helm chart, so Flux and Helm can install it as it is, with
//! the Blueprint's `blueprint.yaml` at the chart root (`<chart>/blueprint.yaml`), where Helm
//! treats it as a plain file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use serde_json::Value;

use super::manifest::{Descriptor, HELM_CHART_LAYER, HELM_CONFIG, Manifest};
use crate::catalog::MAX_BLUEPRINT_BYTES;
use crate::model::Blueprint;

/// Annotation: the Blueprint name.
pub const ANNOTATION_TITLE: &str = "org.opencontainers.image.title";
/// Annotation: the Blueprint version.
pub const ANNOTATION_VERSION: &str = "org.opencontainers.image.version";
/// Annotation: where the Blueprint's source lives.
pub const ANNOTATION_SOURCE: &str = "org.opencontainers.image.source";
/// A `.tgz` given to [`Package::from_path`] larger than this is refused.
pub const MAX_PACKAGE_BYTES: u64 = 64 * 1024 * 1024;

/// Caps applied while reading an archive. The defaults suit Blueprint charts with vendored
/// upstream charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total bytes of all files once decompressed.
    pub max_total_bytes: u64,
    /// Bytes of one file.
    pub max_file_bytes: u64,
    /// Number of entries.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_total_bytes: 256 * 1024 * 1024, max_file_bytes: 64 * 1024 * 1024, max_entries: 10_000 }
    }
}

/// Why packaging or unpacking failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// Reading or writing a file failed.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// An entry that would land outside the target, or that is a link or a device.
    #[error("unsafe archive path {path:?}: {reason}")]
    UnsafeArchivePath {
        /// The entry's path as stored.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The archive is over a cap: which thing, which cap, the cap's value and the value seen.
    #[error("{}", too_large_text(what, *cap, *limit, *seen))]
    TooLarge {
        /// What is too large (a file's path, `the chart folder`, `the decompressed stream` …).
        what: String,
        /// The cap that was applied.
        cap: Cap,
        /// Its value (bytes, or entries for [`Cap::Entries`]).
        limit: u64,
        /// The value seen; `None` when reading stopped at the cap.
        seen: Option<u64>,
    },
    /// Not a gzip-compressed tar, or a truncated one.
    #[error("not a valid tar+gzip archive: {0}")]
    Corrupt(String),
    /// The folder or archive is not a Blueprint chart.
    #[error("{0}")]
    NotABlueprint(String),
    /// blueprint.yaml does not parse; the source lists every error.
    #[error("blueprint.yaml is invalid")]
    Blueprint(#[source] crate::Diagnostics),
    /// The chart does not vendor a dependency it declares (BP-12).
    #[error("hollow chart: dependency {dep}: {reason} [BP-12]")]
    HollowChart {
        /// The dependency.
        dep: String,
        /// What is missing or differs.
        reason: String,
    },
    /// The archive holds another Blueprint (name or version) than the one expected.
    #[error("{0}")]
    WrongBlueprint(String),
    /// The unpack target exists and is not an empty directory.
    #[error("{} already exists and is not empty; nothing was written", .0.display())]
    TargetExists(PathBuf),
}

/// The caps an archive is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cap {
    /// A chart `.tgz` taken as it is ([`MAX_PACKAGE_BYTES`]).
    Package,
    /// `blueprint.yaml` ([`MAX_BLUEPRINT_BYTES`]).
    BlueprintYaml,
    /// One file ([`Limits::max_file_bytes`]).
    File,
    /// All files together ([`Limits::max_total_bytes`]).
    Total,
    /// The number of files ([`Limits::max_entries`]).
    Entries,
    /// The decompressed stream, headers included.
    Stream,
    /// One PAX or GNU long-name record ([`MAX_EXTENSION_BYTES`]).
    ExtensionRecord,
    /// All PAX and GNU long-name records together.
    ExtensionTotal,
}

impl Cap {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Package => "package cap",
            Self::BlueprintYaml => "blueprint.yaml cap",
            Self::File => "per-file cap",
            Self::Total => "total-size cap",
            Self::Entries => "file-count cap",
            Self::Stream => "decompressed-stream cap",
            Self::ExtensionRecord => "cap on one PAX or GNU long-name record",
            Self::ExtensionTotal => "cap on all PAX and GNU long-name records",
        }
    }
}

/// `12345 bytes (12.1 KiB)`, or `12 files` for the file-count cap.
fn amount(n: u64, cap: Cap) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if cap == Cap::Entries {
        return if n == 1 { "1 file".to_owned() } else { format!("{n} files") };
    }
    if n < 1024 {
        return format!("{n} bytes");
    }
    #[allow(clippy::cast_precision_loss)] // a size shown to a person
    let mut v = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    if v.fract() == 0.0 { format!("{n} bytes ({v:.0} {unit})") } else { format!("{n} bytes ({v:.1} {unit})") }
}

fn too_large_text(what: &str, cap: Cap, limit: u64, seen: Option<u64>) -> String {
    match seen {
        // Reading stops at the first file over a running total: the total is at least that.
        Some(seen) => format!(
            "archive too large: {what} is {}{}, over the {} of {}",
            if matches!(cap, Cap::Total | Cap::Entries) { "at least " } else { "" },
            amount(seen, cap),
            cap.name(),
            amount(limit, cap)
        ),
        None => format!("archive too large: {what} goes over the {} of {}", cap.name(), amount(limit, cap)),
    }
}

fn too_large(what: impl Into<String>, cap: Cap, limit: u64, seen: Option<u64>) -> ArchiveError {
    ArchiveError::TooLarge { what: what.into(), cap, limit, seen }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io { path: path.to_owned(), source }
}

/// A Blueprint packaged as an OCI artifact: Helm config, one chart layer, annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The Blueprint name (`bp-cilium`), from blueprint.yaml (or the chart name).
    pub name: String,
    /// The Blueprint version: the tag it is pushed under.
    pub version: String,
    /// The chart's name: the archive's top directory.
    pub chart: String,
    /// The config blob (Chart.yaml as JSON).
    pub config: Vec<u8>,
    /// The chart layer (tar+gzip).
    pub layer: Vec<u8>,
    /// Manifest annotations.
    pub annotations: BTreeMap<String, String>,
}

impl Package {
    /// Packages a Blueprint folder (blueprint.yaml and its chart, `spec.manifests.chart`
    /// or `chart/`) or takes a chart `.tgz` as it is. `source` becomes the
    /// `org.opencontainers.image.source` annotation. The same input gives the same bytes.
    pub fn from_path(src: &Path, source: Option<&str>) -> Result<Self, ArchiveError> {
        let meta = fs::metadata(src).map_err(io_err(src))?;
        let (layer, files) = if meta.is_dir() {
            let files = collect_folder(src)?;
            (write_tgz(&files)?, files)
        } else {
            if meta.len() > MAX_PACKAGE_BYTES {
                return Err(too_large(
                    src.display().to_string(),
                    Cap::Package,
                    MAX_PACKAGE_BYTES,
                    Some(meta.len()),
                ));
            }
            let layer = fs::read(src).map_err(io_err(src))?;
            let mut files = BTreeMap::new();
            for_each_entry(&layer, Limits::default(), |path, data| {
                files.insert(path.to_owned(), data.to_vec());
                Ok(())
            })?;
            (layer, files)
        };
        Self::from_files(layer, &files, source)
    }

    fn from_files(
        layer: Vec<u8>,
        files: &BTreeMap<String, Vec<u8>>,
        source: Option<&str>,
    ) -> Result<Self, ArchiveError> {
        let chart = single_root(files.keys().map(String::as_str))?;
        let text = |name: &str| -> Result<Option<String>, ArchiveError> {
            files
                .get(&format!("{chart}/{name}"))
                .map(|b| {
                    String::from_utf8(b.clone())
                        .map_err(|_| ArchiveError::NotABlueprint(format!("{chart}/{name} is not UTF-8")))
                })
                .transpose()
        };
        let chart_yaml = text("Chart.yaml")?
            .ok_or_else(|| ArchiveError::NotABlueprint(format!("no {chart}/Chart.yaml: not a Helm chart")))?;
        let chart_meta = parse_chart_yaml(&chart_yaml)?;
        check_vendored(&chart_yaml, text("values.yaml")?.as_deref(), |p| {
            files.contains_key(&format!("{chart}/{p}"))
        })?;
        let (name, version) = match text("blueprint.yaml")? {
            Some(yaml) => {
                let bp = parse_blueprint(&yaml)?;
                (bp.name.to_string(), bp.version.to_string())
            }
            None => (chart_meta.name.clone(), chart_meta.version.clone()),
        };
        let mut annotations = BTreeMap::from([
            (ANNOTATION_TITLE.to_owned(), name.clone()),
            (ANNOTATION_VERSION.to_owned(), version.clone()),
        ]);
        if let Some(source) = source {
            annotations.insert(ANNOTATION_SOURCE.to_owned(), source.to_owned());
        }
        Ok(Self { name, version, chart: chart.to_owned(), config: chart_meta.json, layer, annotations })
    }

    /// The artifact's manifest.
    pub fn manifest(&self) -> Manifest {
        Manifest::new(
            Descriptor::of(HELM_CONFIG, &self.config),
            vec![Descriptor::of(HELM_CHART_LAYER, &self.layer)],
            self.annotations.clone(),
        )
    }
}

fn parse_blueprint(yaml: &str) -> Result<Blueprint, ArchiveError> {
    Blueprint::parse(yaml, None)
        .map_err(|all| ArchiveError::Blueprint(all.into_iter().filter(crate::Diagnostic::is_error).collect()))
}

struct ChartMeta {
    name: String,
    version: String,
    json: Vec<u8>,
}

fn parse_chart_yaml(yaml: &str) -> Result<ChartMeta, ArchiveError> {
    let doc: Value = serde_saphyr::from_str(yaml)
        .map_err(|e| ArchiveError::NotABlueprint(format!("Chart.yaml does not parse: {e}")))?;
    let field = |key: &str| {
        doc.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned).ok_or_else(|| {
            ArchiveError::NotABlueprint(format!("Chart.yaml: `{key}` is missing or not a string"))
        })
    };
    let name = field("name")?;
    let version = field("version")?;
    let json =
        serde_json::to_vec(&doc).map_err(|e| ArchiveError::NotABlueprint(format!("Chart.yaml: {e}")))?;
    Ok(ChartMeta { name, version, json })
}

/// BP-12: every dependency in Chart.yaml is vendored under `charts/`, and the upstream
/// version pinned in values.yaml (`catalystBlueprint.upstream.version`) is one of them.
/// `has` answers whether a path relative to the chart root exists.
pub fn check_vendored(
    chart_yaml: &str,
    values_yaml: Option<&str>,
    has: impl Fn(&str) -> bool,
) -> Result<(), ArchiveError> {
    let doc: Value = serde_saphyr::from_str(chart_yaml)
        .map_err(|e| ArchiveError::NotABlueprint(format!("Chart.yaml does not parse: {e}")))?;
    let deps = doc.get("dependencies").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut versions = Vec::new();
    for dep in &deps {
        let name = dep.get("name").and_then(Value::as_str).unwrap_or_default();
        let version = dep.get("version").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() {
            return Err(ArchiveError::NotABlueprint("Chart.yaml: a dependency has no name".into()));
        }
        if !has(&format!("charts/{name}-{version}.tgz")) && !has(&format!("charts/{name}/Chart.yaml")) {
            return Err(ArchiveError::HollowChart {
                dep: name.to_owned(),
                reason: format!(
                    "neither charts/{name}-{version}.tgz nor charts/{name}/Chart.yaml is in the chart"
                ),
            });
        }
        versions.push((name, version));
    }
    let pinned = values_yaml.and_then(|v| serde_saphyr::from_str::<Value>(v).ok()).and_then(|v| {
        v.pointer("/catalystBlueprint/upstream/version").and_then(Value::as_str).map(str::to_owned)
    });
    if let Some(pinned) = pinned
        && let Some((name, version)) = versions.first()
        && !versions.iter().any(|(_, v)| *v == pinned)
    {
        return Err(ArchiveError::HollowChart {
            dep: (*name).to_owned(),
            reason: format!("values.yaml pins upstream version {pinned} but Chart.yaml vendors {version}"),
        });
    }
    Ok(())
}

fn single_root<'a>(paths: impl Iterator<Item = &'a str>) -> Result<&'a str, ArchiveError> {
    let roots: BTreeSet<&str> = paths.map(|p| p.split('/').next().unwrap_or(p)).collect();
    match roots.len() {
        1 => Ok(roots.into_iter().next().unwrap_or_default()),
        0 => Err(ArchiveError::NotABlueprint("the archive is empty".into())),
        _ => Err(ArchiveError::NotABlueprint(format!(
            "a chart archive has one top directory; found {}",
            roots.into_iter().collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// The files of a Blueprint folder as archive paths (`<chart>/...`), sorted.
fn collect_folder(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, ArchiveError> {
    let bp_path = dir.join("blueprint.yaml");
    let size = fs::metadata(&bp_path).map_err(io_err(&bp_path))?.len();
    if size > MAX_BLUEPRINT_BYTES {
        return Err(too_large(
            bp_path.display().to_string(),
            Cap::BlueprintYaml,
            MAX_BLUEPRINT_BYTES,
            Some(size),
        ));
    }
    let bp_yaml = fs::read(&bp_path).map_err(io_err(&bp_path))?;
    let bp = parse_blueprint(&String::from_utf8_lossy(&bp_yaml))?;
    let chart_rel = bp
        .spec_extra
        .get("manifests")
        .and_then(|m| m.get("chart"))
        .and_then(Value::as_str)
        .unwrap_or("chart")
        .to_owned();
    let rel = Path::new(&chart_rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(ArchiveError::NotABlueprint(format!(
            "spec.manifests.chart {chart_rel:?} must be a path inside the Blueprint folder"
        )));
    }
    let chart_dir = dir.join(rel);
    let chart_yaml_path = chart_dir.join("Chart.yaml");
    let chart_yaml = fs::read_to_string(&chart_yaml_path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            ArchiveError::NotABlueprint(format!(
                "{} not found: only a Blueprint with a Helm chart can be published as an OCI artifact",
                chart_yaml_path.display()
            ))
        } else {
            ArchiveError::Io { path: chart_yaml_path.clone(), source: e }
        }
    })?;
    let chart = parse_chart_yaml(&chart_yaml)?.name;
    let mut files = BTreeMap::new();
    let limits = Limits::default();
    let mut total = 0u64;
    walk(&chart_dir, &chart_dir, &mut |rel, path| {
        let len = fs::symlink_metadata(path).map_err(io_err(path))?.len();
        total += len;
        if len > limits.max_file_bytes {
            let shown: PathBuf = path.components().filter(|c| !matches!(c, Component::CurDir)).collect();
            return Err(too_large(shown.display().to_string(), Cap::File, limits.max_file_bytes, Some(len)));
        }
        if total > limits.max_total_bytes {
            let what = format!("the chart folder {}", chart_dir.display());
            return Err(too_large(what, Cap::Total, limits.max_total_bytes, Some(total)));
        }
        if files.len() >= limits.max_entries {
            let what = format!("the chart folder {}", chart_dir.display());
            return Err(too_large(
                what,
                Cap::Entries,
                limits.max_entries as u64,
                Some(files.len() as u64 + 1),
            ));
        }
        files.insert(format!("{chart}/{rel}"), fs::read(path).map_err(io_err(path))?);
        Ok(())
    })?;
    let key = format!("{chart}/blueprint.yaml");
    if files.contains_key(&key) {
        return Err(ArchiveError::NotABlueprint(format!(
            "{} has its own blueprint.yaml; the Blueprint's goes there",
            chart_dir.display()
        )));
    }
    files.insert(key, bp_yaml);
    Ok(files)
}

fn walk(
    root: &Path,
    dir: &Path,
    visit: &mut dyn FnMut(&str, &Path) -> Result<(), ArchiveError>,
) -> Result<(), ArchiveError> {
    let mut entries: Vec<_> =
        fs::read_dir(dir).map_err(io_err(dir))?.collect::<Result<_, _>>().map_err(io_err(dir))?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().map_err(io_err(&path))?;
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let rel = rel
            .to_str()
            .ok_or_else(|| ArchiveError::NotABlueprint(format!("{} is not a UTF-8 path", path.display())))?
            .to_owned();
        if kind.is_symlink() {
            return Err(ArchiveError::NotABlueprint(format!(
                "{} is a symbolic link; links are not packaged (copy the file instead)",
                path.display()
            )));
        } else if kind.is_dir() {
            walk(root, &path, visit)?;
        } else if kind.is_file() {
            visit(&rel, &path)?;
        }
    }
    Ok(())
}

/// tar+gzip of `files` with fixed metadata: sorted, mtime 0, uid/gid 0, mode 0644.
fn write_tgz(files: &BTreeMap<String, Vec<u8>>) -> Result<Vec<u8>, ArchiveError> {
    let gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, data.as_slice()).map_err(io_err(Path::new(path)))?;
    }
    let gz = tar.into_inner().map_err(io_err(Path::new("<archive>")))?;
    gz.finish().map_err(io_err(Path::new("<archive>")))
}

/// The largest PAX extended header or GNU long-name record read. They are read whole before
/// the entry they describe, so they get their own small cap (a path needs far less).
pub const MAX_EXTENSION_BYTES: u64 = 64 * 1024;
/// All PAX and GNU long-name records of one archive together.
pub const MAX_EXTENSION_TOTAL: u64 = 16 * 1024 * 1024;

/// Decompressed bytes allowed for `limits`: the files, a header and padding per entry, the
/// extension records and the end-of-archive blocks. Anything past it is refused while it is
/// being decompressed, whatever the headers claim.
fn stream_cap(limits: Limits) -> u64 {
    let extensions = MAX_EXTENSION_TOTAL.min(limits.max_total_bytes);
    limits.max_total_bytes + (limits.max_entries as u64 + 2) * 1024 + extensions + 1024
}

/// A reader that stops with an error after `cap` bytes, and remembers that it did.
struct CappedReader<R> {
    inner: R,
    left: u64,
    exceeded: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a stream that ends exactly at the cap from a longer one.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.exceeded.set(true);
            return Err(io::Error::other("the decompressed stream is over its cap"));
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Reads every file of a tar+gzip `layer`, checking each entry before it is handed to
/// `visit`: paths stay relative and inside the archive (no absolute paths, no `..`), links and
/// devices are refused, duplicates are refused, and the caps of `limits` hold for the bytes
/// actually decompressed (a header cannot lie its way past them): the decompressed stream
/// itself is capped, and PAX and GNU long-name records are read by this function under
/// [`MAX_EXTENSION_BYTES`] each, never by the tar reader without a bound.
pub fn for_each_entry(
    layer: &[u8],
    limits: Limits,
    mut visit: impl FnMut(&str, &[u8]) -> Result<(), ArchiveError>,
) -> Result<(), ArchiveError> {
    let exceeded = std::rc::Rc::new(std::cell::Cell::new(false));
    let reader =
        CappedReader { inner: GzDecoder::new(layer), left: stream_cap(limits), exceeded: exceeded.clone() };
    let mut archive = tar::Archive::new(reader);
    let corrupt = |e: io::Error| {
        if exceeded.get() {
            too_large("the decompressed stream", Cap::Stream, stream_cap(limits), None)
        } else {
            ArchiveError::Corrupt(e.to_string())
        }
    };
    let corrupt_or = |e: ExtensionError| match e {
        ExtensionError::Io(e) => corrupt(e),
        ExtensionError::Unsafe(e) => e,
    };
    let mut seen = BTreeSet::new();
    let (mut total, mut extensions, mut count) = (0u64, 0u64, 0usize);
    // The path a PAX header or GNU long-name record gives the next entry.
    let mut long_path: Option<String> = None;
    let entries = archive.entries().map_err(corrupt)?.raw(true);
    for entry in entries {
        let mut entry = entry.map_err(corrupt)?;
        let kind = entry.header().entry_type();
        let size = entry.header().entry_size().map_err(corrupt)?;
        if matches!(
            kind,
            tar::EntryType::XHeader
                | tar::EntryType::XGlobalHeader
                | tar::EntryType::GNULongName
                | tar::EntryType::GNULongLink
        ) {
            if size > MAX_EXTENSION_BYTES {
                return Err(too_large(
                    "a PAX or GNU long-name record",
                    Cap::ExtensionRecord,
                    MAX_EXTENSION_BYTES,
                    Some(size),
                ));
            }
            extensions += size;
            let limit = MAX_EXTENSION_TOTAL.min(limits.max_total_bytes);
            if extensions > limit {
                return Err(too_large("the PAX and GNU long-name records", Cap::ExtensionTotal, limit, None));
            }
            extension(&mut entry, kind, &mut long_path).map_err(corrupt_or)?;
            continue;
        }
        if count >= limits.max_entries {
            return Err(too_large(
                "the archive",
                Cap::Entries,
                limits.max_entries as u64,
                Some(count as u64 + 1),
            ));
        }
        count += 1;
        let raw =
            long_path.take().unwrap_or_else(|| String::from_utf8_lossy(&entry.path_bytes()).into_owned());
        let path = safe_path(&raw)?;
        match kind {
            tar::EntryType::Directory => continue,
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            tar::EntryType::Symlink | tar::EntryType::Link => {
                return Err(ArchiveError::UnsafeArchivePath { path: raw, reason: "links are not unpacked" });
            }
            // Devices, FIFOs and sparse files have no place in a chart.
            _ => {
                return Err(ArchiveError::UnsafeArchivePath {
                    path: raw,
                    reason: "not a regular file or directory",
                });
            }
        }
        if size > limits.max_file_bytes {
            return Err(too_large(path, Cap::File, limits.max_file_bytes, Some(size)));
        }
        if !seen.insert(path.clone()) {
            return Err(ArchiveError::UnsafeArchivePath {
                path: raw,
                reason: "the archive holds this path twice",
            });
        }
        let mut data = Vec::new();
        (&mut entry).take(limits.max_file_bytes + 1).read_to_end(&mut data).map_err(corrupt)?;
        if data.len() as u64 > limits.max_file_bytes {
            // The header understated it.
            return Err(too_large(path, Cap::File, limits.max_file_bytes, None));
        }
        total += data.len() as u64;
        if total > limits.max_total_bytes {
            return Err(too_large("the archive", Cap::Total, limits.max_total_bytes, Some(total)));
        }
        visit(&path, &data)?;
    }
    Ok(())
}

/// Reads one PAX or GNU long-name record (at most [`MAX_EXTENSION_BYTES`]) and keeps the path
/// it gives the next entry. A PAX `size` (files over 8 GiB) is refused.
fn extension(
    entry: &mut tar::Entry<'_, impl Read>,
    kind: tar::EntryType,
    long_path: &mut Option<String>,
) -> Result<(), ExtensionError> {
    let mut data = Vec::new();
    entry.take(MAX_EXTENSION_BYTES).read_to_end(&mut data).map_err(ExtensionError::Io)?;
    match kind {
        tar::EntryType::XHeader => {
            for ext in tar::PaxExtensions::new(&data) {
                let ext = ext.map_err(ExtensionError::Io)?;
                match ext.key_bytes() {
                    b"path" => *long_path = Some(String::from_utf8_lossy(ext.value_bytes()).into_owned()),
                    b"size" => {
                        return Err(ExtensionError::Unsafe(ArchiveError::UnsafeArchivePath {
                            path: long_path.clone().unwrap_or_default(),
                            reason: "a PAX size record (files over 8 GiB) has no place in a chart",
                        }));
                    }
                    _ => {}
                }
            }
        }
        tar::EntryType::GNULongName => {
            let name = data.split(|b| *b == 0).next().unwrap_or_default();
            *long_path = Some(String::from_utf8_lossy(name).into_owned());
        }
        // Global PAX headers carry nothing a chart needs; a long link name only precedes a
        // link, which is refused.
        _ => {}
    }
    Ok(())
}

enum ExtensionError {
    Io(io::Error),
    Unsafe(ArchiveError),
}

/// The normalised relative form of an entry path, or why it is unsafe.
fn safe_path(raw: &str) -> Result<String, ArchiveError> {
    let unsafe_path = |reason| ArchiveError::UnsafeArchivePath { path: raw.to_owned(), reason };
    if raw.contains('\0') {
        return Err(unsafe_path("contains a NUL byte"));
    }
    if raw.contains('\\') {
        return Err(unsafe_path("contains a backslash"));
    }
    let mut parts = Vec::new();
    for c in Path::new(raw).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str().ok_or_else(|| unsafe_path("not UTF-8"))?),
            Component::CurDir => {}
            Component::ParentDir => return Err(unsafe_path("contains a `..` component")),
            Component::RootDir | Component::Prefix(_) => return Err(unsafe_path("is absolute")),
        }
    }
    if parts.is_empty() {
        return Err(unsafe_path("is empty"));
    }
    Ok(parts.join("/"))
}

/// What [`unpack`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    /// The chart's directory inside the target (`<target>/<chart>`).
    pub chart_dir: PathBuf,
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// Unpacks a chart layer into `target` (which must not exist, or be an empty directory) and
/// checks BP-12. Everything is first written to a sibling staging directory and moved into
/// place only when the whole archive was good, so a failure leaves nothing at `target`.
pub fn unpack(layer: &[u8], target: &Path, limits: Limits) -> Result<Unpacked, ArchiveError> {
    unpack_expecting(layer, target, limits, None)
}

/// The Blueprint an artifact must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Its name (`bp-cilium`).
    pub name: String,
    /// Its version: exactly this one, or one of this release line.
    pub version: ExpectedVersion,
}

/// Which versions of a Blueprint an artifact may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Exactly this version (`1.4.2`).
    Exact(String),
    /// One starting with these components (`1.4` admits `1.4.0` and `1.4.9`, not `1.40.0`).
    Line(String),
    /// Any version (a tag such as `latest` names none).
    Any,
}

impl ExpectedVersion {
    /// What a tag asks for. `latest` (or no tag) names no version; `X` or `X.Y` is a release
    /// line of final versions; anything else names one version exactly: a leading `v` is
    /// dropped from a version, and `_` read as `+` (Helm writes build metadata that way in
    /// tags), so `1.4.2_build5` is `1.4.2+build5` and `2024.01.15` is itself.
    pub fn from_tag(tag: Option<&str>) -> Self {
        let Some(t) = tag.filter(|t| *t != "latest") else { return Self::Any };
        let t = t.replace('_', "+");
        let v = t
            .strip_prefix('v')
            .filter(|v| semver::Version::parse(v).is_ok() || Self::is_line(v))
            .unwrap_or(&t);
        if Self::is_line(v) { Self::Line(v.to_owned()) } else { Self::Exact(v.to_owned()) }
    }

    fn is_line(v: &str) -> bool {
        v.split('.').count() <= 2
            && v.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    }

    /// Whether `version` is admitted. A release line admits final versions only: a
    /// prerelease is served under its own tag.
    pub fn admits(&self, version: &str) -> bool {
        match self {
            Self::Exact(v) => v == version,
            Self::Line(prefix) => {
                version.strip_prefix(prefix.as_str()).is_some_and(|rest| rest.starts_with('.'))
                    && semver::Version::parse(version).is_ok_and(|v| v.pre.is_empty())
            }
            Self::Any => true,
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(v) => write!(f, "{v:?}"),
            Self::Line(v) => write!(f, "a final {v}.x version"),
            Self::Any => f.write_str("any version"),
        }
    }
}

/// [`unpack`], and the Blueprint inside must be `expect`: its name (blueprint.yaml's, else
/// Chart.yaml's) and version as expected. Otherwise [`ArchiveError::WrongBlueprint`], and
/// nothing is left at `target`.
pub fn unpack_expecting(
    layer: &[u8],
    target: &Path,
    limits: Limits,
    expect: Option<&Expected>,
) -> Result<Unpacked, ArchiveError> {
    match fs::read_dir(target) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(ArchiveError::TargetExists(target.to_owned()));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(ArchiveError::Io { path: target.to_owned(), source: e }),
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let staging =
        tempfile::Builder::new().prefix(".catalyst-unpack-").tempdir_in(&parent).map_err(io_err(&parent))?;
    let (mut files, mut bytes) = (0usize, 0u64);
    let mut paths = Vec::new();
    for_each_entry(layer, limits, |path, data| {
        let dest = staging.path().join(path);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&dest).map_err(io_err(&dest))?;
        f.write_all(data).map_err(io_err(&dest))?;
        files += 1;
        bytes += data.len() as u64;
        paths.push(path.to_owned());
        Ok(())
    })?;
    let chart = single_root(paths.iter().map(String::as_str))?.to_owned();
    let chart_root = staging.path().join(&chart);
    let read = |name: &str| fs::read_to_string(chart_root.join(name)).ok();
    let chart_yaml = read("Chart.yaml")
        .ok_or_else(|| ArchiveError::NotABlueprint(format!("no {chart}/Chart.yaml: not a Helm chart")))?;
    check_vendored(&chart_yaml, read("values.yaml").as_deref(), |p| chart_root.join(p).is_file())?;
    if let Some(expect) = expect {
        is_expected(read("blueprint.yaml").as_deref(), &chart_yaml, expect)?;
    }
    if target.exists() {
        fs::remove_dir(target).map_err(io_err(target))?;
    }
    let staged = staging.keep();
    fs::rename(&staged, target).map_err(|e| {
        let _ = fs::remove_dir_all(&staged);
        ArchiveError::Io { path: target.to_owned(), source: e }
    })?;
    Ok(Unpacked { chart_dir: target.join(chart), files, bytes })
}

/// Whether the chart whose `blueprint.yaml` (if any) and `Chart.yaml` these are is `expect`:
/// the Blueprint's name and version, else the chart's.
fn is_expected(
    blueprint_yaml: Option<&str>,
    chart_yaml: &str,
    expect: &Expected,
) -> Result<(), ArchiveError> {
    let Expected { name, version } = expect;
    let (got_name, got_version) = if let Some(yaml) = blueprint_yaml {
        let bp = parse_blueprint(yaml)?;
        (bp.name.to_string(), bp.version.to_string())
    } else {
        let meta = parse_chart_yaml(chart_yaml)?;
        (meta.name, meta.version)
    };
    if got_name != *name {
        return Err(ArchiveError::WrongBlueprint(format!(
            "the artifact holds Blueprint {:?}, not {name:?}",
            catalyst_naming::untrusted::remote_text(&got_name)
        )));
    }
    if !version.admits(&got_version) {
        return Err(ArchiveError::WrongBlueprint(format!(
            "the artifact holds {name} version {:?}, not {version}",
            catalyst_naming::untrusted::remote_text(&got_version)
        )));
    }
    Ok(())
}

/// Checks, in memory, that a chart `layer` holds the Blueprint `expect` (the rule of
/// [`unpack_expecting`], nothing written): one chart folder, its `Chart.yaml` present, and the
/// name and version of its `blueprint.yaml`, else of its `Chart.yaml`, as expected. The
/// archive is read under `limits`, as for unpacking.
///
/// # Errors
/// [`ArchiveError::WrongBlueprint`] for another Blueprint or version; any refusal of
/// [`for_each_entry`]; [`ArchiveError::NotABlueprint`] without a `Chart.yaml`.
pub fn check_identity(layer: &[u8], limits: Limits, expect: &Expected) -> Result<(), ArchiveError> {
    let mut paths = Vec::new();
    let mut tops: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for_each_entry(layer, limits, |path, data| {
        paths.push(path.to_owned());
        if let Some((_, file @ ("Chart.yaml" | "blueprint.yaml"))) = path.split_once('/')
            && !file.contains('/')
        {
            tops.insert(path.to_owned(), data.to_vec());
        }
        Ok(())
    })?;
    let chart = single_root(paths.iter().map(String::as_str))?;
    let text =
        |file: &str| tops.get(&format!("{chart}/{file}")).map(|b| String::from_utf8_lossy(b).into_owned());
    let chart_yaml = text("Chart.yaml")
        .ok_or_else(|| ArchiveError::NotABlueprint(format!("no {chart}/Chart.yaml: not a Helm chart")))?;
    is_expected(text("blueprint.yaml").as_deref(), &chart_yaml, expect)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tgz(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), Compression::fast());
        let mut b = tar::Builder::new(gz);
        for (path, kind, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            // Write the name bytes directly: set_path refuses `..` and absolute paths, which
            // is exactly what these tests need to smuggle in.
            let name = &mut h.as_old_mut().name;
            name[..path.len()].copy_from_slice(path.as_bytes());
            if *kind == tar::EntryType::Symlink {
                h.set_link_name("/etc/passwd").unwrap();
            }
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    fn err(layer: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let e = unpack(layer, &target, Limits::default()).unwrap_err().to_string();
        assert!(!target.exists(), "nothing at the target after {e}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "no staging left behind");
        e
    }

    const CHART: &[u8] = b"apiVersion: v2\nname: x\nversion: 1.0.0\n";

    #[test]
    fn unsafe_entries_are_refused_and_nothing_is_left() {
        let reg = tar::EntryType::Regular;
        assert_eq!(
            err(&tgz(&[("x/Chart.yaml", reg, CHART), ("../evil", reg, b"x")])),
            "unsafe archive path \"../evil\": contains a `..` component"
        );
        assert_eq!(err(&tgz(&[("/etc/evil", reg, b"x")])), "unsafe archive path \"/etc/evil\": is absolute");
        assert_eq!(
            err(&tgz(&[("x/a/../../b", reg, b"x")])),
            "unsafe archive path \"x/a/../../b\": contains a `..` component"
        );
        assert_eq!(
            err(&tgz(&[("x/link", tar::EntryType::Symlink, b"")])),
            "unsafe archive path \"x/link\": links are not unpacked"
        );
        assert_eq!(
            err(&tgz(&[("x/f", reg, b"1"), ("x/f", reg, b"2")])),
            "unsafe archive path \"x/f\": the archive holds this path twice"
        );
        assert_eq!(
            err(&tgz(&[("x/fifo", tar::EntryType::Fifo, b"")])),
            "unsafe archive path \"x/fifo\": not a regular file or directory"
        );
        assert!(err(b"not gzip").starts_with("not a valid tar+gzip archive"));
        assert_eq!(err(&tgz(&[("x/values.yaml", reg, b"a: 1")])), "no x/Chart.yaml: not a Helm chart");
    }

    #[test]
    fn caps_hold_for_decompressed_bytes() {
        let big = vec![0u8; 2 * 1024 * 1024];
        let layer = tgz(&[
            ("x/Chart.yaml", tar::EntryType::Regular, CHART),
            ("x/big", tar::EntryType::Regular, &big),
        ]);
        assert!(layer.len() < 64 * 1024, "compresses well: {}", layer.len());
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits { max_file_bytes: 1024 * 1024, ..Limits::default() };
        let e = unpack(&layer, &dir.path().join("out"), limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "archive too large: x/big is 2097152 bytes (2 MiB), over the per-file cap of 1048576 bytes (1 MiB)"
        );
        let limits = Limits { max_total_bytes: 1024 * 1024, ..Limits::default() };
        let e = unpack(&layer, &dir.path().join("out"), limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "archive too large: the archive is at least {} bytes (2.0 MiB), over the total-size cap of 1048576 bytes (1 MiB)",
                CHART.len() + big.len()
            )
        );
        let limits = Limits { max_entries: 1, ..Limits::default() };
        let e = unpack(&layer, &dir.path().join("out"), limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "archive too large: the archive is at least 2 files, over the file-count cap of 1 file"
        );
        assert!(!dir.path().join("out").exists());
    }

    /// A raw tar entry: `header` bytes as given (no checks), then `data`, padded.
    fn raw_entry(out: &mut Vec<u8>, name: &str, kind: tar::EntryType, declared: u64, data: &[u8]) {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_size(declared);
        h.set_mode(0o644);
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(512), 0);
    }

    /// One PAX record, `<length> <key>=<value>\n`, the length counting itself.
    fn pax_record(key: &str, value: &str) -> Vec<u8> {
        let body = format!(" {key}={value}\n");
        let mut len = body.len() + 1;
        while format!("{len}{body}").len() != len {
            len += 1;
        }
        format!("{len}{body}").into_bytes()
    }

    fn gzip(tar: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(tar).unwrap();
        gz.finish().unwrap()
    }

    /// Issue 16 §4: a PAX header is read whole before the entry it describes; one declaring
    /// a huge size drove a pull to gigabytes of memory and then succeeded. Now each record is
    /// capped before it is read.
    #[test]
    fn oversized_pax_and_long_name_records_are_refused_unread() {
        let mut t = Vec::new();
        // A PAX header that really is 1 MiB (a valid record padded with a comment): accepted
        // and buffered whole by the tar reader before.
        let record = pax_record("comment", &"x".repeat(1024 * 1024));
        raw_entry(&mut t, "pax", tar::EntryType::XHeader, record.len() as u64, &record);
        raw_entry(&mut t, "x/Chart.yaml", tar::EntryType::Regular, CHART.len() as u64, CHART);
        t.extend_from_slice(&[0; 1024]);
        assert_eq!(
            err(&gzip(&t)),
            format!(
                "archive too large: a PAX or GNU long-name record is {} bytes (1.0 MiB), over the cap on one PAX or GNU long-name record of 65536 bytes (64 KiB)",
                record.len()
            )
        );

        // A GNU long name of 1 GiB declared, 4 KiB there: refused on the declaration.
        let mut t = Vec::new();
        raw_entry(&mut t, "././@LongLink", tar::EntryType::GNULongName, 1 << 30, &[b'a'; 4096]);
        assert_eq!(
            err(&gzip(&t)),
            "archive too large: a PAX or GNU long-name record is 1073741824 bytes (1 GiB), over the cap on one PAX or GNU long-name record of 65536 bytes (64 KiB)"
        );

        // Long names within the cap still work, from PAX and from GNU records.
        let mut t = Vec::new();
        let long = format!("x/{}/values.yaml", "d".repeat(150));
        let pax = String::from_utf8(pax_record("path", &long)).unwrap();
        raw_entry(&mut t, "pax", tar::EntryType::XHeader, pax.len() as u64, pax.as_bytes());
        raw_entry(&mut t, "short", tar::EntryType::Regular, 4, b"a: 1");
        let gnu = format!("x/{}/extra.yaml\0", "e".repeat(120));
        raw_entry(&mut t, "././@LongLink", tar::EntryType::GNULongName, gnu.len() as u64, gnu.as_bytes());
        raw_entry(&mut t, "short2", tar::EntryType::Regular, 4, b"b: 2");
        raw_entry(&mut t, "x/Chart.yaml", tar::EntryType::Regular, CHART.len() as u64, CHART);
        t.extend_from_slice(&[0; 1024]);
        let mut paths = Vec::new();
        for_each_entry(&gzip(&t), Limits::default(), |p, _| {
            paths.push(p.to_owned());
            Ok(())
        })
        .unwrap();
        assert_eq!(paths, [long, gnu.trim_end_matches('\0').to_owned(), "x/Chart.yaml".to_owned()]);
    }

    /// Issue 16 §4: the decompressed stream itself is capped, so bytes the entries never
    /// account for (a directory's "data", padding) cannot make the reader inflate without end.
    #[test]
    fn the_decompressed_stream_is_capped() {
        let limits = Limits { max_total_bytes: 1024 * 1024, max_file_bytes: 1024 * 1024, max_entries: 10 };
        let mut t = Vec::new();
        raw_entry(&mut t, "x/Chart.yaml", tar::EntryType::Regular, CHART.len() as u64, CHART);
        raw_entry(&mut t, "x/dir/", tar::EntryType::Directory, 8 * 1024 * 1024, &vec![0u8; 8 * 1024 * 1024]);
        t.extend_from_slice(&[0; 1024]);
        let layer = gzip(&t);
        assert!(layer.len() < 64 * 1024, "a bomb: {} bytes", layer.len());
        let e = for_each_entry(&layer, limits, |_, _| Ok(())).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "archive too large: the decompressed stream goes over the decompressed-stream cap of {}",
                amount(stream_cap(limits), Cap::Stream)
            )
        );
    }

    #[test]
    fn tags_name_versions_or_lines() {
        use ExpectedVersion as E;
        assert_eq!(E::from_tag(None), E::Any);
        assert_eq!(E::from_tag(Some("latest")), E::Any);
        assert_eq!(E::from_tag(Some("v1.4.2")), E::Exact("1.4.2".into()));
        assert_eq!(E::from_tag(Some("1.4.2_build5")), E::Exact("1.4.2+build5".into()));
        assert_eq!(E::from_tag(Some("2024.01.15")), E::Exact("2024.01.15".into()));
        assert_eq!(E::from_tag(Some("stable")), E::Exact("stable".into()));
        assert_eq!(E::from_tag(Some("1.4")), E::Line("1.4".into()));
        assert_eq!(E::from_tag(Some("v2")), E::Line("2".into()));
        let line = E::from_tag(Some("1.4"));
        assert!(line.admits("1.4.0") && line.admits("1.4.9"));
        assert!(!line.admits("1.40.0") && !line.admits("1.4.1-rc.1") && !line.admits("1.5.0"));
    }

    #[test]
    fn hollow_chart_is_refused() {
        let chart = b"apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies:\n- name: cilium\n  version: 1.16.5\n  repository: https://helm.cilium.io\n";
        let reg = tar::EntryType::Regular;
        assert_eq!(
            err(&tgz(&[("x/Chart.yaml", reg, chart)])),
            "hollow chart: dependency cilium: neither charts/cilium-1.16.5.tgz nor charts/cilium/Chart.yaml is in the chart [BP-12]"
        );
        let values = b"catalystBlueprint:\n  upstream:\n    version: 1.17.0\n";
        assert_eq!(
            err(&tgz(&[
                ("x/Chart.yaml", reg, chart),
                ("x/charts/cilium-1.16.5.tgz", reg, b"t"),
                ("x/values.yaml", reg, values)
            ])),
            "hollow chart: dependency cilium: values.yaml pins upstream version 1.17.0 but Chart.yaml vendors 1.16.5 [BP-12]"
        );
        let dir = tempfile::tempdir().unwrap();
        let ok = unpack(
            &tgz(&[("x/Chart.yaml", reg, chart), ("x/charts/cilium/Chart.yaml", reg, b"name: cilium")]),
            &dir.path().join("out"),
            Limits::default(),
        )
        .unwrap();
        assert_eq!((ok.files, ok.chart_dir.clone()), (2, dir.path().join("out/x")));
    }

    #[test]
    fn a_non_empty_target_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("keep"), "mine").unwrap();
        let layer = tgz(&[("x/Chart.yaml", tar::EntryType::Regular, CHART)]);
        let e = unpack(&layer, dir.path(), Limits::default()).unwrap_err();
        assert!(e.to_string().ends_with("already exists and is not empty; nothing was written"));
        assert_eq!(fs::read_to_string(dir.path().join("keep")).unwrap(), "mine");
        // An empty directory is fine.
        let empty = dir.path().join("empty");
        fs::create_dir(&empty).unwrap();
        assert_eq!(unpack(&layer, &empty, Limits::default()).unwrap().files, 1);
    }
}
