//! The one error type of the crate.

use crate::dimensions::Provider;

/// Why a name, code or label was rejected.
///
/// Every variant carries the offending input and says which rule it broke, so a caller can
/// show the message as it is. The variant names are the ones SPEC.md gives (NAME-*).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NamingError {
    /// A provider that is none of the known three spellings (NAME-1).
    #[error("unknown provider {input:?}; accepted: {}", crate::dimensions::Provider::accepted())]
    UnknownProvider {
        /// What was given.
        input: String,
    },
    /// A region code that is not in the provider's table (NAME-2).
    #[error("unknown region {region:?} for provider {provider}; accepted: {accepted}")]
    UnknownRegion {
        /// The provider the region was looked up in.
        provider: Provider,
        /// What was given.
        region: String,
        /// The provider's region codes, or a note that none are configured.
        accepted: String,
    },
    /// A region table entry that would make codes ambiguous (NAME-2).
    #[error("cannot add region {code:?} to provider {provider}: {reason}")]
    InvalidRegionEntry {
        /// The provider the entry was for.
        provider: Provider,
        /// The region code of the entry.
        code: String,
        /// The rule the entry broke.
        reason: String,
    },
    /// A building block that is not `rtz`/`dmz`/`mgt` or their 1-char codes (NAME-3).
    #[error("unknown building block {input:?}; accepted: {}", crate::dimensions::BuildingBlock::accepted())]
    UnknownBuildingBlock {
        /// What was given.
        input: String,
    },
    /// `dr` was given as an env type (NAME-4).
    #[error(
        "{input:?} is not an env type: disaster recovery is a Placement of an Application \
         (active-hotstandby across regions), not an Environment; accepted env types: {}",
        crate::dimensions::EnvType::accepted()
    )]
    DrIsPlacementNotEnvType {
        /// What was given.
        input: String,
    },
    /// An env type that is not one of the five (NAME-4).
    #[error("unknown env type {input:?}; accepted: {} (lowercase)", crate::dimensions::EnvType::accepted())]
    UnknownEnvType {
        /// What was given.
        input: String,
    },
    /// An organization slug that breaks the pattern `^[a-z][a-z0-9-]{2,31}$` (NAME-5).
    #[error(
        "invalid organization slug {slug:?}: {rule} (slugs match ^[a-z][a-z0-9-]{{2,31}}$ and do not end in '-')"
    )]
    InvalidOrgSlug {
        /// What was given.
        slug: String,
        /// Which part of the pattern it broke.
        rule: SlugRule,
    },
    /// An organization slug that is a reserved word (NAME-5).
    #[error("organization slug {slug:?} is reserved: {reason}")]
    ReservedOrgSlug {
        /// What was given.
        slug: String,
        /// Why it is reserved.
        reason: String,
    },
    /// A name that must be a DNS-1123 label but has a bad character or shape (NAME-28).
    #[error(
        "invalid {what} {value:?}: {reason} (a DNS-1123 label is lowercase a-z, 0-9 and '-', starting and ending with a letter or digit)"
    )]
    InvalidDnsLabel {
        /// What kind of name it is ("application name", …).
        what: String,
        /// What was given.
        value: String,
        /// The rule it broke, with the position.
        reason: String,
    },
    /// A name that must be a DNS-1123 label is longer than 63 characters (NAME-28).
    #[error("{what} {value:?} is {len} characters long; a DNS-1123 label allows at most 63{detail}")]
    DnsLabelTooLong {
        /// What kind of name it is.
        what: String,
        /// The name that is too long.
        value: String,
        /// Its length in characters.
        len: usize,
        /// Which part of a composed name makes it long (may be empty).
        detail: String,
    },
    /// A DNS name, or one of its labels, is over its limit (NAME-28: 63 per label, 253 in all).
    #[error("{what} {value:?} is too long: {detail}")]
    DnsNameTooLong {
        /// What kind of name it is.
        what: String,
        /// The name that is too long.
        value: String,
        /// Which part is too long and by how much.
        detail: String,
    },
    /// A Sovereign FQDN that does not match the Sovereign CRD pattern (NAME-28).
    #[error("invalid Sovereign FQDN {value:?}: {reason}")]
    InvalidSovereignFqdn {
        /// What was given.
        value: String,
        /// The rule it broke.
        reason: String,
    },
    /// A domain (white-label Org domain, parent zone) that is not a valid DNS name.
    #[error("invalid domain {value:?}: {reason}")]
    InvalidDomain {
        /// What was given.
        value: String,
        /// The rule it broke.
        reason: String,
    },
    /// A Blueprint name that does not match `^(bp-)?[a-z][a-z0-9-]{1,62}$` (NAME-13, NAME-28).
    #[error(
        "invalid Blueprint name {value:?}: {reason} (Blueprint names match ^(bp-)?[a-z][a-z0-9-]{{1,62}}$)"
    )]
    InvalidBlueprintName {
        /// What was given.
        value: String,
        /// The rule it broke.
        reason: String,
    },
    /// A Blueprint version that is not plain semver `X.Y.Z[-pre]` (NAME-13, BP-1).
    #[error("invalid Blueprint version {value:?}: {reason} (versions match X.Y.Z or X.Y.Z-prerelease)")]
    InvalidBlueprintVersion {
        /// What was given.
        value: String,
        /// The rule it broke.
        reason: String,
    },
    /// A server index that is not a positive integer (NAME-8, NAME-28).
    #[error("invalid server index {value:?}: the index is a positive integer (1, 2, …)")]
    InvalidIndex {
        /// What was given.
        value: String,
    },
    /// A string that is not a 4-char DNS location code (NAME-7).
    #[error("invalid location code {input:?}: {reason}")]
    InvalidLocationCode {
        /// What was given.
        input: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A string that is not a host-cluster / kube-context name (NAME-6).
    #[error(
        "invalid host-cluster name {input:?}: {reason} (expected {{provider}}-{{region}}-{{building-block}}-{{env-type}}, e.g. hz-fsn-rtz-prod)"
    )]
    InvalidHostClusterName {
        /// What was given.
        input: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A string that is not a qualified vCluster name (NAME-11).
    #[error(
        "invalid qualified vCluster name {input:?}: {reason} (expected {{host-cluster}}-{{org}}, e.g. hz-fsn-rtz-prod-acme)"
    )]
    InvalidQualifiedVcluster {
        /// What was given.
        input: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A string that is not a server / VM name (NAME-8).
    #[error(
        "invalid server name {input:?}: {reason} (expected {{provider}}{{region}}{{bb1}}-{{app}}-{{n}}{{env1}}, e.g. hzfsnr-k8s-1p)"
    )]
    InvalidServerName {
        /// What was given.
        input: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A string that is not an Environment name `{org}-{env-type}` (NAME-12).
    #[error("invalid Environment name {input:?}: {reason} (expected {{org}}-{{env-type}}, e.g. acme-prod)")]
    InvalidEnvironmentName {
        /// What was given.
        input: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A label value over 63 characters (NAME-26).
    #[error("label {key} would be {len} characters long; label values allow at most 63")]
    LabelValueTooLong {
        /// The label key.
        key: String,
        /// The value's length.
        len: usize,
    },
    /// A label value that is not a valid Kubernetes label value (NAME-26).
    #[error("label {key}: invalid value {value:?}: {reason}")]
    InvalidLabelValue {
        /// The label key.
        key: String,
        /// The value.
        value: String,
        /// The rule it broke.
        reason: String,
    },
    /// A pool subdomain that pool-domain-manager reserves (NAME-24).
    #[error("pool subdomain {input:?} is reserved by pool-domain-manager (reserved: {})", crate::env::RESERVED_POOL_SUBDOMAINS.join(", "))]
    ReservedPoolSubdomain {
        /// What was given.
        input: String,
    },
}

impl NamingError {
    /// The variant name, stable for machine-readable output (`"ReservedOrgSlug"`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownProvider { .. } => "UnknownProvider",
            Self::UnknownRegion { .. } => "UnknownRegion",
            Self::InvalidRegionEntry { .. } => "InvalidRegionEntry",
            Self::UnknownBuildingBlock { .. } => "UnknownBuildingBlock",
            Self::DrIsPlacementNotEnvType { .. } => "DrIsPlacementNotEnvType",
            Self::UnknownEnvType { .. } => "UnknownEnvType",
            Self::InvalidOrgSlug { .. } => "InvalidOrgSlug",
            Self::ReservedOrgSlug { .. } => "ReservedOrgSlug",
            Self::InvalidDnsLabel { .. } => "InvalidDnsLabel",
            Self::DnsLabelTooLong { .. } => "DnsLabelTooLong",
            Self::DnsNameTooLong { .. } => "DnsNameTooLong",
            Self::InvalidSovereignFqdn { .. } => "InvalidSovereignFqdn",
            Self::InvalidDomain { .. } => "InvalidDomain",
            Self::InvalidBlueprintName { .. } => "InvalidBlueprintName",
            Self::InvalidBlueprintVersion { .. } => "InvalidBlueprintVersion",
            Self::InvalidIndex { .. } => "InvalidIndex",
            Self::InvalidLocationCode { .. } => "InvalidLocationCode",
            Self::InvalidHostClusterName { .. } => "InvalidHostClusterName",
            Self::InvalidQualifiedVcluster { .. } => "InvalidQualifiedVcluster",
            Self::InvalidServerName { .. } => "InvalidServerName",
            Self::InvalidEnvironmentName { .. } => "InvalidEnvironmentName",
            Self::LabelValueTooLong { .. } => "LabelValueTooLong",
            Self::InvalidLabelValue { .. } => "InvalidLabelValue",
            Self::ReservedPoolSubdomain { .. } => "ReservedPoolSubdomain",
        }
    }
}

/// The part of the organization-slug pattern a slug broke (NAME-5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlugRule {
    /// An uppercase letter; slugs are lowercase and are not folded.
    Uppercase {
        /// The letter.
        ch: char,
        /// 1-based character position.
        position: usize,
    },
    /// A character outside `a-z`, `0-9` and `-`.
    Charset {
        /// The character.
        ch: char,
        /// 1-based character position.
        position: usize,
    },
    /// The first character is not a letter.
    FirstChar {
        /// The character.
        ch: char,
    },
    /// Fewer than 3 characters.
    TooShort {
        /// The length given.
        len: usize,
    },
    /// More than 32 characters.
    TooLong {
        /// The length given.
        len: usize,
    },
    /// Ends in `-`, so it cannot be a namespace or DNS label.
    TrailingDash,
}

impl std::fmt::Display for SlugRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Uppercase { ch, position } => {
                write!(f, "uppercase letter {ch:?} at position {position}; slugs are lowercase")
            }
            Self::Charset { ch, position } => {
                write!(f, "character {ch:?} at position {position} is not a-z, 0-9 or '-'")
            }
            Self::FirstChar { ch } => write!(f, "the first character {ch:?} is not a letter a-z"),
            Self::TooShort { len } => write!(f, "length {len} is below the minimum of 3"),
            Self::TooLong { len } => write!(f, "length {len} is above the maximum of 32"),
            Self::TrailingDash => write!(f, "it ends in '-', which no namespace or DNS label may"),
        }
    }
}
