//! Optional wire formats: `serde` (feature `serde`) and JSON Schema (feature `schemars`).
//!
//! Every type serializes as its canonical string (its `Display`), and deserializes through
//! its `FromStr` with one more rule: the input must already be the canonical spelling.
//! `"hz"` parses as [`Provider::Hetzner`](crate::Provider) on a command line, but a
//! document that says `provider: hz` is refused, because the API server's schema (an enum
//! of full names) would refuse it too and a round trip would silently rewrite it.

#[cfg(feature = "serde")]
mod serde_impls {
    use std::fmt;
    use std::marker::PhantomData;
    use std::str::FromStr;

    use serde::de::{self, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    struct Canonical<T>(PhantomData<T>, &'static str);

    impl<T> Visitor<'_> for Canonical<T>
    where
        T: FromStr<Err = crate::NamingError> + fmt::Display,
    {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.1)
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
            let value = s.parse::<T>().map_err(E::custom)?;
            let canonical = value.to_string();
            if canonical != s {
                return Err(E::custom(format_args!(
                    "{s:?} is not the canonical spelling of {}: write {canonical:?}",
                    self.1
                )));
            }
            Ok(value)
        }
    }

    macro_rules! canonical_string {
        ($($ty:ty => $what:literal),* $(,)?) => {$(
            impl Serialize for $ty {
                fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    serializer.collect_str(self)
                }
            }

            impl<'de> Deserialize<'de> for $ty {
                fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    deserializer.deserialize_str(Canonical(PhantomData, $what))
                }
            }
        )*};
    }

    canonical_string! {
        crate::Provider => "a provider",
        crate::BuildingBlock => "a building block",
        crate::EnvType => "an env type",
        crate::ManagedBy => "a managed-by value",
        crate::OrgSlug => "an organization slug",
        crate::Fqdn => "a domain name",
        crate::AppName => "an application name",
        crate::Component => "a component name",
        crate::BlueprintName => "a Blueprint name",
        crate::BlueprintVersion => "a Blueprint version",
        crate::EnvironmentName => "an Environment name",
        crate::ServerName => "a server name",
        crate::QualifiedVcluster => "a qualified vCluster name",
    }
}

#[cfg(feature = "schemars")]
mod schema_impls {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    /// An enum of canonical strings.
    macro_rules! enum_schema {
        ($($ty:ty => $name:literal, $all:expr, $to_str:expr, $doc:literal);* $(;)?) => {$(
            impl JsonSchema for $ty {
                fn schema_name() -> Cow<'static, str> {
                    $name.into()
                }

                fn schema_id() -> Cow<'static, str> {
                    concat!("catalyst_naming::", $name).into()
                }

                fn json_schema(_: &mut SchemaGenerator) -> Schema {
                    let values: Vec<&'static str> = $all.into_iter().map($to_str).collect();
                    json_schema!({ "type": "string", "enum": values, "description": $doc })
                }
            }
        )*};
    }

    enum_schema! {
        crate::Provider => "Provider", crate::Provider::ALL, crate::Provider::name,
            "A cloud provider, by its full name (SPEC NAME-1).";
        crate::BuildingBlock => "BuildingBlock", crate::BuildingBlock::ALL, crate::BuildingBlock::code,
            "A building block: `rtz`, `dmz` or `mgt` (SPEC NAME-3).";
        crate::EnvType => "EnvType", crate::EnvType::ALL, crate::EnvType::code,
            "An environment type (SPEC NAME-4); `dr` is a placement, never an environment type.";
        crate::ManagedBy => "ManagedBy", crate::ManagedBy::ALL, crate::ManagedBy::as_str,
            "Who manages a resource (SPEC NAME-25).";
    }

    /// A string with a pattern and a length cap.
    macro_rules! string_schema {
        ($($ty:ty => $name:literal, $pattern:expr, $max:expr, $doc:literal);* $(;)?) => {$(
            impl JsonSchema for $ty {
                fn schema_name() -> Cow<'static, str> {
                    $name.into()
                }

                fn schema_id() -> Cow<'static, str> {
                    concat!("catalyst_naming::", $name).into()
                }

                fn json_schema(_: &mut SchemaGenerator) -> Schema {
                    json_schema!({
                        "type": "string",
                        "pattern": $pattern,
                        "maxLength": $max,
                        "description": $doc,
                    })
                }
            }
        )*};
    }

    string_schema! {
        crate::OrgSlug => "OrgSlug", r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$", 32,
            "An Organization slug (SPEC NAME-5); reserved words are refused on parse.";
        crate::Fqdn => "Fqdn", r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$", crate::MAX_NAME_LEN,
            "A DNS name without the trailing dot.";
        crate::AppName => "AppName", r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", crate::MAX_LABEL_LEN,
            "An Application name: a DNS-1123 label.";
        crate::Component => "Component", r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", crate::MAX_LABEL_LEN,
            "A control-plane component: a DNS-1123 label.";
        crate::BlueprintName => "BlueprintName", r"^bp-[a-z][a-z0-9-]{0,61}[a-z0-9]$", 66,
            "A Blueprint name with its `bp-` prefix (SPEC NAME-13).";
        crate::BlueprintVersion => "BlueprintVersion",
            r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[a-z0-9.-]+)?$", 128,
            "A Blueprint version `X.Y.Z` or `X.Y.Z-prerelease` (SPEC BP-1).";
        crate::EnvironmentName => "EnvironmentName", r"^[a-z][a-z0-9-]{1,30}[a-z0-9]-(prod|stg|uat|dev|poc)$", 37,
            "An Environment name `{organization}-{envType}` (SPEC NAME-12).";
    }
}
