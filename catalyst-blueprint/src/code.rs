//! The stable codes of this crate's diagnostics (SPEC BP-*, BK-*).

/// Declares the code enum, its `as_str` (the variant name) and `ALL`.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident,)*) => {
        /// A stable diagnostic code of a blueprint.yaml, a catalog or a bootstrap kit: the
        /// SPEC's error name, printed as the variant name (`InvalidRange`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code.
            pub const ALL: &'static [Code] = &[$(Self::$variant,)*];
        }

        impl catalyst_naming::diagnostic::Code for Code {
            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)*
                }
            }
        }
    };
}

codes! {
    /// The text is not YAML.
    Yaml,
    /// A file is larger than the cap.
    TooLarge,
    /// `apiVersion` is not a Blueprint version.
    UnsupportedApiVersion,
    /// `kind` is not `Blueprint`.
    WrongKind,
    /// `metadata.name` (or a dependency) is not a Blueprint name.
    InvalidBlueprintName,
    /// The name disagrees with the folder.
    NameFolderMismatch,
    /// The name has no `bp-` prefix.
    NameWithoutPrefix,
    /// No version is set.
    MissingVersion,
    /// The version is not semver.
    InvalidVersion,
    /// The version is in `metadata.version`.
    MetadataVersion,
    /// `spec` is not a mapping.
    InvalidSpec,
    /// A field the model does not know; kept verbatim.
    UnknownField,
    /// The document breaks the Blueprint CRD's structural schema, as the API server would
    /// reject it (checked by catalyst-core's `blueprint_crd_findings`; the message ends with
    /// the schema keyword).
    CrdSchema,
    /// A field of the wrong type.
    InvalidField,
    /// A label is not a string.
    InvalidLabel,
    /// The card has no title.
    MissingCardTitle,
    /// No visibility is set.
    MissingVisibility,
    /// The visibility is not listed, unlisted or private.
    InvalidVisibility,
    /// A `depends` entry has the wrong shape.
    InvalidDependsEntry,
    /// A `depends` entry is a bare string.
    BareStringDepends,
    /// Two `depends` entries share an alias.
    DuplicateAlias,
    /// An alias is not a DNS label.
    InvalidAlias,
    /// A version constraint does not parse.
    InvalidRange,
    /// A `when` predicate does not parse.
    WhenParseError,
    /// `values` is not a mapping.
    InvalidValues,
    /// `spec.placementSchema` is wrong.
    InvalidPlacementSchema,
    /// `spec.topology` is wrong.
    InvalidTopology,
    /// `spec.endpoints` is wrong.
    InvalidEndpoint,
    /// One version of one Blueprint is in the catalog twice.
    DuplicateVersion,
    /// A dependency names a Blueprint or release that is not there.
    DanglingDependency,
    /// No version of a dependency satisfies its constraint.
    UnsatisfiableConstraint,
    /// The dependencies form a cycle.
    DependencyCycle,
    /// A bootstrap-kit file is not a HelmRelease the kit can use.
    InvalidRelease,
    /// A bootstrap-kit file name has no slot number.
    InvalidSlot,
    /// Two bootstrap-kit files define one release.
    DuplicateRelease,
    /// A release depends on a later slot (a warning, SPEC BK-5: the prefix is not the install
    /// order).
    SlotOrder,
    /// The kit's kustomization.yaml disagrees with its files.
    KustomizationOrder,
    /// A kit HelmRelease the expected DAG does not declare (SPEC BK-4 rule 2).
    UndeclaredRelease,
    /// A kit HelmRelease's dependsOn differs from the declared set (SPEC BK-4 rule 3).
    DependsDrift,
    /// A Phase-0 release (slots 01-15 and 19) depends outside that set (a warning, SPEC BK-5).
    ColdStartNotClosed,
}
