//! The identity of a Blueprint: apiVersion, kind, canonical name and version (SPEC BP-1).

use std::fmt;

use catalyst_naming::{BlueprintName, BlueprintVersion, NamingError};
use serde::Deserialize;

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
    /// The canonical name disagrees with the folder the file is in.
    #[error("metadata.name: {name:?} does not match its folder {folder:?} (expected bp-{folder})")]
    NameFolderMismatch {
        /// The canonical name.
        name: String,
        /// The folder name.
        folder: String,
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
    pub warnings: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHeader {
    api_version: String,
    kind: String,
    metadata: RawMetadata,
    #[serde(default)]
    spec: RawSpec,
}

#[derive(Deserialize)]
struct RawMetadata {
    name: String,
    version: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawSpec {
    version: Option<String>,
}

/// Parses the identity of a blueprint.yaml. `folder`, when known, must agree with the name
/// (`platform/harbor/blueprint.yaml` must be `harbor` or `bp-harbor`).
///
/// ```
/// let yaml = "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: harbor}\nspec: {version: 1.0.0}\n";
/// let h = catalyst_blueprint::parse_header(yaml, Some("harbor"))?;
/// assert_eq!((h.name.as_str(), h.version.as_str()), ("bp-harbor", "1.0.0"));
/// assert_eq!(h.warnings, ["metadata.name: \"harbor\" has no bp- prefix; the canonical name is bp-harbor"]);
/// # Ok::<(), catalyst_blueprint::HeaderError>(())
/// ```
pub fn parse_header(yaml: &str, folder: Option<&str>) -> Result<BlueprintHeader, HeaderError> {
    let raw: RawHeader =
        serde_saphyr::from_str(yaml).map_err(|e| HeaderError::Yaml { message: e.to_string() })?;
    let api_version = match raw.api_version.as_str() {
        "catalyst.openova.io/v1alpha1" => ApiVersion::V1Alpha1,
        "catalyst.openova.io/v1" => ApiVersion::V1,
        _ => {
            return Err(HeaderError::UnsupportedApiVersion { found: raw.api_version });
        }
    };
    if raw.kind != "Blueprint" {
        return Err(HeaderError::WrongKind { found: raw.kind });
    }
    let mut warnings = Vec::new();
    let name = BlueprintName::parse(&raw.metadata.name).map_err(HeaderError::InvalidName)?;
    if name.as_str() != raw.metadata.name {
        warnings.push(format!(
            "metadata.name: {:?} has no bp- prefix; the canonical name is {name}",
            raw.metadata.name
        ));
    }
    if let Some(folder) = folder
        && name.short() != folder
    {
        return Err(HeaderError::NameFolderMismatch { name: name.to_string(), folder: folder.to_owned() });
    }
    let (path, version) = match (raw.spec.version, raw.metadata.version) {
        (Some(v), _) => ("spec.version", v),
        (None, Some(v)) => {
            warnings.push("metadata.version: the version belongs in spec.version".to_owned());
            ("metadata.version", v)
        }
        (None, None) => return Err(HeaderError::MissingVersion),
    };
    let version =
        BlueprintVersion::parse(&version).map_err(|error| HeaderError::InvalidVersion { path, error })?;
    Ok(BlueprintHeader { api_version, name, version, warnings })
}
