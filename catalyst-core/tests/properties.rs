#![allow(clippy::unwrap_used)]
//! Properties of the text parsers and the validator.

use catalyst_core::text::{Duration, check_cron};
use catalyst_core::validate::validate_yaml;
use proptest::prelude::*;

proptest! {
    #[test]
    fn durations_parse_to_count_times_unit(n in 0u64..10_000_000, unit in prop::sample::select(vec!['s', 'm', 'h', 'd'])) {
        let factor = match unit { 's' => 1, 'm' => 60, 'h' => 3600, _ => 86_400 };
        prop_assert_eq!(Duration::parse(&format!("{n}{unit}")).unwrap().as_secs(), n * factor);
    }

    #[test]
    fn cron_fields_in_range_are_accepted(m in 0u32..60, h in 0u32..24, dom in 1u32..32, mon in 1u32..13, dow in 0u32..8) {
        let ok = format!("{m} {h} {dom} {mon} {dow}");
        let bad = format!("{} {h} {dom} {mon} {dow}", m + 60);
        prop_assert!(check_cron(&ok).is_ok());
        prop_assert!(check_cron(&bad).is_err());
    }

    /// An Environment with N regions: valid exactly when the placement fits N (CORE-5), and
    /// an error always names spec.regions.
    #[test]
    fn placement_cardinality(n in 1usize..=5, multi in any::<bool>()) {
        let mut regions = String::new();
        for r in &["fsn", "nbg", "hel", "ash", "hil"][..n] {
            regions.push_str("    - {provider: hetzner, buildingBlock: rtz, region: ");
            regions.push_str(r);
            regions.push_str("}\n");
        }
        let placement = if multi { "multi-region" } else { "single-region" };
        let doc = format!("apiVersion: catalyst.openova.io/v1\nkind: Environment\nmetadata: {{name: acme-prod}}\nspec:\n  organizationRef: acme\n  envType: prod\n  placement: {placement}\n  regions:\n{regions}");
        let report = validate_yaml(&doc).unwrap().remove(0);
        let fits = if multi { n >= 2 } else { n == 1 };
        prop_assert_eq!(report.is_valid(), fits, "{:?}", report.findings);
        prop_assert!(report.errors().all(|f| f.path.as_str() == "spec.regions" && f.code == catalyst_core::validate::Rule::Core5));
    }

    /// Arbitrary text: a report or an error, never a panic.
    #[test]
    fn validate_never_panics(s in "\\PC{0,200}") {
        let _ = validate_yaml(&s);
    }
}
