//! The identity of a Blueprint: apiVersion, kind, canonical name and version (SPEC BP-1).

use std::fmt;

use catalyst_naming::{BLUEPRINT_PREFIX, BlueprintName, BlueprintVersion, FieldPath, NamingError};

use crate::{Code, Diagnostics};
use serde_json::Value;

/// The two apiVersions in use (29 fixture files are `v1alpha1`, 19 are `v1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    /// `catalyst.openova.io/v1alpha1`: names carry `bp-`.
    V1Alpha1,
    /// `catalyst.openova.io/v1`: names are bare (`harbor`).
    V1,
}

impl ApiVersion {
    /// The apiVersion string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1Alpha1 => "catalyst.openova.io/v1alpha1",
            Self::V1 => "catalyst.openova.io/v1",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a blueprint.yaml has no valid identity. Every variant names the YAML path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The document is not YAML of the expected shape.
    #[error("not a Blueprint document: {message}")]
    Yaml {
        /// The YAML parser's message, with line and column.
        message: String,
    },
    /// `apiVersion` is not a Catalyst Blueprint version.
    #[error("apiVersion: {found:?} is not catalyst.openova.io/v1alpha1 or catalyst.openova.io/v1")]
    UnsupportedApiVersion {
        /// What was found.
        found: String,
    },
    /// `kind` is not `Blueprint`.
    #[error("kind: {found:?} is not Blueprint")]
    WrongKind {
        /// What was found.
        found: String,
    },
    /// `metadata.name` breaks the Blueprint name rule.
    #[error("metadata.name: {0}")]
    InvalidName(NamingError),
    /// The canonical name disagrees with the folder the file is in: the folder is named
    /// either without the prefix (`gitea/`, the platform's layout) or with it (`bp-gitea/`).
    #[error("metadata.name: {name:?} does not match its folder {folder:?} (expected {expected})")]
    NameFolderMismatch {
        /// The canonical name.
        name: String,
        /// The folder name.
        folder: String,
        /// The name the folder asks for.
        expected: String,
    },
    /// Neither `spec.version` nor `metadata.version` is set.
    #[error("spec.version: missing (neither spec.version nor metadata.version is set)")]
    MissingVersion,
    /// The version is not `X.Y.Z[-pre]`.
    #[error("{path}: {error}")]
    InvalidVersion {
        /// Where the version was read from.
        path: &'static str,
        /// The rule it broke.
        error: NamingError,
    },
}

/// A Blueprint's identity, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlueprintHeader {
    /// The apiVersion the file was written in.
    pub api_version: ApiVersion,
    /// The canonical `bp-` name.
    pub name: BlueprintName,
    /// The version.
    pub version: BlueprintVersion,
    /// Lint warnings about non-canonical spellings (SPEC BP-11).
    pub warnings: Diagnostics,
}

/// Parses the identity of a blueprint.yaml. `folder`, when known, must agree with the name
/// (`platform/harbor/blueprint.yaml` must be `harbor` or `bp-harbor`).
///
/// ```
/// let yaml = "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: harbor}\nspec: {version: 1.0.0}\n";
/// let h = catalyst_blueprint::parse_header(yaml, Some("harbor"))?;
/// assert_eq!((h.name.as_str(), h.version.as_str()), ("bp-harbor", "1.0.0"));
/// assert_eq!(h.warnings.to_string(), "metadata.name: \"harbor\" has no bp- prefix; the canonical name is bp-harbor [NameWithoutPrefix]");
/// # Ok::<(), catalyst_blueprint::HeaderError>(())
/// ```
pub fn parse_header(yaml: &str, folder: Option<&str>) -> Result<BlueprintHeader, HeaderError> {
    let doc: Value =
        serde_saphyr::from_str(yaml).map_err(|e| HeaderError::Yaml { message: e.to_string() })?;
    identity(&doc, folder)
}

/// A string at `key` of a mapping, `None` when absent, an error naming `path` otherwise.
fn string_at<'a>(map: Option<&'a Value>, key: &str, path: &str) -> Result<Option<&'a str>, HeaderError> {
    match map.and_then(|m| m.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => {
            Err(HeaderError::Yaml { message: format!("{path}: expected a string, found {}", kind_of(other)) })
        }
    }
}

/// The JSON kind of a value, for messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The identity of a parsed blueprint.yaml document (SPEC BP-1).
pub(crate) fn identity(doc: &Value, folder: Option<&str>) -> Result<BlueprintHeader, HeaderError> {
    if !doc.is_object() {
        return Err(HeaderError::Yaml {
            message: format!("the document is {}, not a mapping", kind_of(doc)),
        });
    }
    let api = string_at(Some(doc), "apiVersion", "apiVersion")?.unwrap_or_default();
    let api_version = match api {
        "catalyst.openova.io/v1alpha1" => ApiVersion::V1Alpha1,
        "catalyst.openova.io/v1" => ApiVersion::V1,
        _ => return Err(HeaderError::UnsupportedApiVersion { found: api.to_owned() }),
    };
    let kind = string_at(Some(doc), "kind", "kind")?.unwrap_or_default();
    if kind != "Blueprint" {
        return Err(HeaderError::WrongKind { found: kind.to_owned() });
    }
    let metadata = doc.get("metadata");
    let raw_name = string_at(metadata, "name", "metadata.name")?.unwrap_or_default();
    let meta_version = string_at(metadata, "version", "metadata.version")?;
    let spec_version = match doc.get("spec").and_then(|s| s.get("version")) {
        // NB: YAML reads `version: 1.0` as a number; keep its text so the error shows it.
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => string_at(doc.get("spec"), "version", "spec.version")?.map(str::to_owned),
    };
    let mut warnings = Diagnostics::new();
    let metadata_path = FieldPath::root().key("metadata");
    let name = BlueprintName::parse(raw_name).map_err(HeaderError::InvalidName)?;
    if name.as_str() != raw_name {
        warnings.warning(
            Code::NameWithoutPrefix,
            metadata_path.key("name"),
            format!("{raw_name:?} has no bp- prefix; the canonical name is {name}"),
        );
    }
    if let Some(folder) = folder
        && name.short() != folder
        && name.as_str() != folder
    {
        let expected = BlueprintName::parse(folder)
            .map_or_else(|_| format!("{BLUEPRINT_PREFIX}{folder}"), |n| n.to_string());
        return Err(HeaderError::NameFolderMismatch {
            name: name.to_string(),
            folder: folder.to_owned(),
            expected,
        });
    }
    let (path, version) = match (spec_version, meta_version) {
        (Some(v), _) => ("spec.version", v),
        (None, Some(v)) => {
            warnings.warning(
                Code::MetadataVersion,
                metadata_path.key("version"),
                "the version belongs in spec.version",
            );
            ("metadata.version", v.to_owned())
        }
        (None, None) => return Err(HeaderError::MissingVersion),
    };
    let version =
        BlueprintVersion::parse(&version).map_err(|error| HeaderError::InvalidVersion { path, error })?;
    Ok(BlueprintHeader { api_version, name, version, warnings })
}
