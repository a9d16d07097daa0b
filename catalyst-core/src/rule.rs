//! The stable codes of catalyst-core's findings: SPEC rule IDs and schema keywords.

/// Declares [`Rule`] and its stable strings.
macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// The rule a finding of [`crate::validate`] broke: a SPEC ID (`CORE-5`, `NAME-5`),
        /// a schema keyword (`schema.pattern`), `cel` or `k8s.name`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Rule {
            $($(#[$doc])* $variant,)*
            /// A rule of the Blueprint model (catalyst-blueprint): Blueprint documents are
            /// judged by the same rules as `blueprint lint`.
            Blueprint(catalyst_blueprint::Code),
        }

        impl Rule {
            /// Every rule of this crate's own (the Blueprint rules are
            /// [`catalyst_blueprint::Code::ALL`]).
            pub const ALL: &'static [Rule] = &[$(Self::$variant,)*];
        }

        impl catalyst_naming::diagnostic::Code for Rule {
            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Blueprint(code) => code.as_str(),
                }
            }
        }
    };
}

rules! {
    /// CORE-1: the CRD's own rules (unique entries, timing, cross-field).
    Core1 => "CORE-1",
    /// CORE-3: the Environment's regions.
    Core3 => "CORE-3",
    /// CORE-5: placement and region count.
    Core5 => "CORE-5",
    /// NAME-2: a region of the naming table.
    Name2 => "NAME-2",
    /// NAME-5: an Organization slug.
    Name5 => "NAME-5",
    /// NAME-6: a host-cluster name.
    Name6 => "NAME-6",
    /// NAME-12: an Environment name.
    Name12 => "NAME-12",
    /// NAME-13: a Blueprint name or version.
    Name13 => "NAME-13",
    /// NAME-28: DNS length and charset limits.
    Name28 => "NAME-28",
    /// BP-1: the blueprint.yaml shapes.
    Bp1 => "BP-1",
    /// CONT-1: a Continuum's shape.
    Cont1 => "CONT-1",
    /// CONT-2: a Continuum's lease timing.
    Cont2 => "CONT-2",
    /// OP-18: a decision of the SPEC's open points.
    Op18 => "OP-18",
    /// POL-1: an EnvironmentPolicy's shape.
    Pol1 => "POL-1",
    /// POL-2: an EnvironmentPolicy's rules.
    Pol2 => "POL-2",
    /// POL-3: an EnvironmentPolicy's change windows.
    Pol3 => "POL-3",
    /// UA-1: a UserAccess's shape.
    Ua1 => "UA-1",
    /// UA-2: a UserAccess's scopes.
    Ua2 => "UA-2",
    /// A CEL rule (`x-kubernetes-validations`) the CRD carries.
    Cel => "cel",
    /// A Kubernetes object name.
    K8sName => "k8s.name",
    /// Schema keyword `enum`.
    SchemaEnum => "schema.enum",
    /// Schema keyword `format`.
    SchemaFormat => "schema.format",
    /// Schema keyword `maxItems`.
    SchemaMaxItems => "schema.maxItems",
    /// Schema keyword `maxLength`.
    SchemaMaxLength => "schema.maxLength",
    /// Schema keyword `maximum`.
    SchemaMaximum => "schema.maximum",
    /// Schema keyword `minItems`.
    SchemaMinItems => "schema.minItems",
    /// Schema keyword `minLength`.
    SchemaMinLength => "schema.minLength",
    /// Schema keyword `minimum`.
    SchemaMinimum => "schema.minimum",
    /// Schema keyword `pattern`.
    SchemaPattern => "schema.pattern",
    /// Schema keyword `required`.
    SchemaRequired => "schema.required",
    /// Schema keyword `type` (or a value serde cannot read).
    SchemaType => "schema.type",
    /// A field the schema does not know.
    SchemaUnknownField => "schema.unknownField",
    /// A CRD schema that is not structural (Kubernetes would refuse the CRD).
    SchemaStructural => "schema.structural",
}
