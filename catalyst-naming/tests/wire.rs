//! The optional wire formats: serde as the canonical string, JSON Schema that accepts what
//! the parsers accept.

#![cfg(feature = "schemars")]
#![allow(clippy::unwrap_used)]

use catalyst_naming::{
    BlueprintName, BlueprintVersion, BuildingBlock, EnvType, EnvironmentName, ManagedBy, OrgSlug, Provider,
};
use proptest::prelude::*;
use schemars::JsonSchema;
use serde_json::{Value, json};

fn schema<T: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap()
}

fn pattern<T: JsonSchema>() -> regex::Regex {
    regex::Regex::new(schema::<T>()["pattern"].as_str().unwrap()).unwrap()
}

#[test]
fn dimensions_serialize_as_their_canonical_string_and_back() {
    for p in Provider::ALL {
        let v = serde_json::to_value(p).unwrap();
        assert_eq!(v, json!(p.name()));
        assert_eq!(serde_json::from_value::<Provider>(v).unwrap(), p);
    }
    for e in EnvType::ALL {
        assert_eq!(serde_json::to_value(e).unwrap(), json!(e.code()));
        assert_eq!(serde_json::from_value::<EnvType>(json!(e.code())).unwrap(), e);
    }
    for b in BuildingBlock::ALL {
        assert_eq!(serde_json::from_value::<BuildingBlock>(json!(b.code())).unwrap(), b);
    }
    for m in ManagedBy::ALL {
        assert_eq!(serde_json::from_value::<ManagedBy>(json!(m.as_str())).unwrap(), m);
    }
}

#[test]
fn documents_must_use_the_canonical_spelling() {
    let err = serde_json::from_value::<Provider>(json!("hz")).unwrap_err();
    assert_eq!(err.to_string(), r#""hz" is not the canonical spelling of a provider: write "hetzner""#);
    let err = serde_json::from_value::<EnvType>(json!("p")).unwrap_err();
    assert_eq!(err.to_string(), r#""p" is not the canonical spelling of an env type: write "prod""#);
    // A Blueprint name without its prefix parses on a command line, not in a document.
    let err = serde_json::from_value::<BlueprintName>(json!("cilium")).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#""cilium" is not the canonical spelling of a Blueprint name: write "bp-cilium""#
    );
    // Unknown values carry the parser's own message, which names the rule.
    let err = serde_json::from_value::<EnvType>(json!("dr")).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#""dr" is not an env type: disaster recovery is a Placement of an Application (active-hotstandby across regions), not an Environment; accepted env types: prod|p, stg|s, uat|u, dev|d, poc|c"#
    );
    let err = serde_json::from_value::<OrgSlug>(json!("system")).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"organization slug "system" is reserved: "system" is a platform name (system, flux, crossplane, catalyst, gitea)"#
    );
    // Not a string at all.
    let err = serde_json::from_value::<Provider>(json!(7)).unwrap_err();
    assert_eq!(err.to_string(), "invalid type: integer `7`, expected a provider");
}

#[test]
fn enum_schemas_list_the_canonical_strings_in_table_order() {
    let s = schema::<Provider>();
    assert_eq!(s["type"], "string");
    assert_eq!(s["enum"], json!(["hetzner", "huawei", "oci", "aws", "gcp", "azure", "contabo"]));
    assert_eq!(schema::<EnvType>()["enum"], json!(["prod", "stg", "uat", "dev", "poc"]));
    assert_eq!(schema::<BuildingBlock>()["enum"], json!(["rtz", "dmz", "mgt"]));
    assert_eq!(schema::<ManagedBy>()["enum"], json!(["flux", "crossplane", "opentofu", "manual"]));
}

proptest! {
    // What the parsers accept, the schema accepts: a schema stricter than the parser would
    // make the API server refuse objects the SDK wrote.
    #[test]
    fn schema_patterns_accept_every_parsed_value(s in "[a-z][a-z0-9-]{0,40}", v in "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[a-z0-9.-]{1,8})?") {
        if let Ok(slug) = OrgSlug::parse(&s) {
            prop_assert!(pattern::<OrgSlug>().is_match(slug.as_str()));
            for e in EnvType::ALL {
                let env = EnvironmentName::new(slug.clone(), e).to_string();
                prop_assert!(pattern::<EnvironmentName>().is_match(&env), "{}", env);
            }
        }
        if let Ok(bp) = BlueprintName::parse(&s) {
            prop_assert!(pattern::<BlueprintName>().is_match(bp.as_str()), "{}", bp);
        }
        if let Ok(version) = BlueprintVersion::parse(&v) {
            prop_assert!(pattern::<BlueprintVersion>().is_match(version.as_str()), "{}", version);
        }
    }

    // And the reverse for the names whose pattern is the whole rule.
    #[test]
    fn schema_pattern_matches_are_parsed(s in "[a-z][a-z0-9-]{0,40}") {
        if pattern::<BlueprintName>().is_match(&s) {
            prop_assert!(BlueprintName::parse(&s).is_ok(), "{}", s);
        }
    }
}
