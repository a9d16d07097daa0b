//! The stable codes of a plan's problems, and the stage each belongs to.

use catalyst_naming::diagnostic::Code as CodeTrait;
use serde::Serialize;

/// Where a problem was found: the stage of planning that found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The Sovereign file itself (parsing).
    File,
    /// Names and codes (catalyst-naming).
    Naming,
    /// Custom resources (catalyst-core validation).
    Resources,
    /// The bootstrap kit's dependency graph.
    BootstrapKit,
    /// The Blueprint catalog.
    Catalog,
    /// Version solving of an Application.
    Applications,
    /// DNS record sets.
    Dns,
    /// Files the controllers write to Gitea.
    Gitea,
}

impl Stage {
    /// The stage's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Naming => "naming",
            Self::Resources => "resources",
            Self::BootstrapKit => "bootstrap-kit",
            Self::Catalog => "catalog",
            Self::Applications => "applications",
            Self::Dns => "dns",
            Self::Gitea => "gitea",
        }
    }
}

/// What a problem is: a stable code. Problems found by another crate keep that crate's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// The Sovereign file is not YAML, too large, or does not match its schema.
    InvalidFile,
    /// A name or code breaks a NAME-* rule (FQDN, provider, slug, env type, building block,
    /// Application name, a region the provider does not have).
    InvalidName,
    /// More than one region is `primary`.
    SeveralPrimaries,
    /// The Sovereign has no region.
    NoRegions,
    /// A region is listed twice.
    DuplicateRegion,
    /// An Organization slug is listed twice.
    DuplicateOrganization,
    /// An Environment has no region.
    EnvironmentWithoutRegion,
    /// An Environment names a region the Sovereign does not have.
    UnknownRegion,
    /// An Environment's building block does not run in one of its regions.
    BuildingBlockNotInRegion,
    /// A region has no load-balancer IP.
    NoLoadBalancer,
    /// A record set the plan built is not valid DNS (catalyst-dns refused it).
    InvalidRecord,
    /// A custom resource breaks a rule of catalyst-core.
    Resource(catalyst_core::validate::Rule),
    /// A catalog `blueprint.yaml` breaks a rule of catalyst-blueprint.
    Catalog(catalyst_blueprint::Code),
    /// The bootstrap kit has no files.
    EmptyKit,
    /// The bootstrap kit breaks a rule of catalyst-blueprint.
    BootstrapKit(catalyst_blueprint::Code),
    /// An Application's `blueprint` is not `NAME[@CONSTRAINT]`.
    InvalidRequest,
    /// No versions of the catalog satisfy an Application.
    Unsatisfiable,
    /// An Application names an Environment its Organization does not have.
    UnknownEnvironment,
    /// The Environment's Gitea files could not be rendered.
    Gitea,
}

impl Code {
    /// The stage that reports it.
    pub fn stage(self) -> Stage {
        match self {
            Self::InvalidFile => Stage::File,
            Self::InvalidName
            | Self::SeveralPrimaries
            | Self::NoRegions
            | Self::DuplicateRegion
            | Self::DuplicateOrganization
            | Self::EnvironmentWithoutRegion
            | Self::UnknownRegion
            | Self::BuildingBlockNotInRegion => Stage::Naming,
            Self::NoLoadBalancer | Self::InvalidRecord => Stage::Dns,
            Self::Resource(_) => Stage::Resources,
            Self::Catalog(_) => Stage::Catalog,
            Self::EmptyKit | Self::BootstrapKit(_) => Stage::BootstrapKit,
            Self::InvalidRequest | Self::Unsatisfiable | Self::UnknownEnvironment => Stage::Applications,
            Self::Gitea => Stage::Gitea,
        }
    }
}

impl CodeTrait for Code {
    fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFile => "InvalidFile",
            Self::InvalidName => "InvalidName",
            Self::SeveralPrimaries => "SeveralPrimaries",
            Self::NoRegions => "NoRegions",
            Self::DuplicateRegion => "DuplicateRegion",
            Self::DuplicateOrganization => "DuplicateOrganization",
            Self::EnvironmentWithoutRegion => "EnvironmentWithoutRegion",
            Self::UnknownRegion => "UnknownRegion",
            Self::BuildingBlockNotInRegion => "BuildingBlockNotInRegion",
            Self::NoLoadBalancer => "NoLoadBalancer",
            Self::InvalidRecord => "InvalidRecord",
            Self::Resource(rule) => rule.as_str(),
            Self::Catalog(code) | Self::BootstrapKit(code) => code.as_str(),
            Self::EmptyKit => "EmptyKit",
            Self::InvalidRequest => "InvalidRequest",
            Self::Unsatisfiable => "Unsatisfiable",
            Self::UnknownEnvironment => "UnknownEnvironment",
            Self::Gitea => "GiteaRender",
        }
    }
}

/// One problem of a plan or of the Sovereign file: located, with its stable code.
pub type Problem = catalyst_naming::Diagnostic<Code>;

/// Serializes problems as `{stage, severity, code, file?, path, message}`.
pub(crate) fn serialize_problems<S: serde::Serializer>(
    problems: &[Problem],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Shown<'a> {
        stage: Stage,
        #[serde(flatten)]
        problem: &'a Problem,
    }
    serializer.collect_seq(problems.iter().map(|p| Shown { stage: p.code.stage(), problem: p }))
}
