//! The stable codes of a desired-state file's diagnostics (SPEC DNS-*).

/// A stable code of a desired-state file finding, printed as the variant name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Code {
    /// The file is not YAML of the expected shape.
    Yaml,
    /// `owner` is not a valid owner.
    InvalidOwner,
    /// A zone name is not a domain.
    InvalidZone,
    /// A zone is listed twice.
    DuplicateZone,
    /// A record's name is not a DNS name inside its zone.
    InvalidName,
    /// A record's type is not accepted.
    InvalidType,
    /// A record has neither or both of `content` and `lua`.
    InvalidRecord,
    /// A content is not valid for its type.
    InvalidContent,
    /// A `lua:` record cannot be written.
    InvalidLua,
    /// One (name, type) is defined twice.
    DuplicateRecordSet,
    /// A CNAME shares its name with other data.
    CnameConflict,
}

impl catalyst_naming::diagnostic::Code for Code {
    fn as_str(self) -> &'static str {
        match self {
            Self::Yaml => "Yaml",
            Self::InvalidOwner => "InvalidOwner",
            Self::InvalidZone => "InvalidZone",
            Self::DuplicateZone => "DuplicateZone",
            Self::InvalidName => "InvalidName",
            Self::InvalidType => "InvalidType",
            Self::InvalidRecord => "InvalidRecord",
            Self::InvalidContent => "InvalidContent",
            Self::InvalidLua => "InvalidLua",
            Self::DuplicateRecordSet => "DuplicateRecordSet",
            Self::CnameConflict => "CnameConflict",
        }
    }
}

/// A finding of a desired-state file: [`catalyst_naming::Diagnostic`] with a [`Code`].
pub type Diagnostic = catalyst_naming::Diagnostic<Code>;
/// Findings of a desired-state file, usable as an error (`?`).
pub type Diagnostics = catalyst_naming::Diagnostics<Code>;
