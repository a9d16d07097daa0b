//! Kubernetes quantities in their canonical form (`Quantity.String()` of k8s.io/apimachinery):
//! the platform's plan-quota figures, and properties over any quantity.

#![allow(clippy::unwrap_used)]

use catalyst_core::quantity::Quantity;
use proptest::prelude::*;

fn q(s: &str) -> Quantity {
    s.parse().unwrap()
}

#[test]
fn canonical_forms_as_the_api_server_writes_them() {
    for (input, canonical) in [
        ("7050m", "7050m"),
        ("2500m", "2500m"),
        ("1000m", "1"),
        ("2000", "2k"),
        ("2", "2"),
        ("0.5", "500m"),
        ("1.5", "1500m"),
        ("10410Mi", "10410Mi"),
        ("7168Mi", "7Gi"),
        ("5120Mi", "5Gi"),
        ("1536Mi", "1536Mi"),
        ("1024Ki", "1Mi"),
        ("1Gi", "1Gi"),
        ("1000", "1k"),
        ("512", "512"),
        ("0", "0"),
        ("0.0001", "1m"),
        ("-250m", "-250m"),
        ("1e3", ""),
    ] {
        let parsed = input.parse::<Quantity>();
        if canonical.is_empty() {
            assert!(parsed.is_err(), "{input} should be refused");
        } else {
            assert_eq!(parsed.unwrap().to_string(), canonical, "{input}");
        }
    }
    // The platform's plan m arithmetic: guaranteed + control plane + platform stack.
    assert_eq!((Quantity::millis(334) + q("520m") + q("3840m")).to_string(), "4694m");
    assert_eq!((q("1366Mi") + q("1088Mi") + q("6064Mi")).to_string(), "8518Mi");
    assert_eq!((q("2") + q("1500m") + q("4550m")).to_string(), "8050m");
    assert_eq!((q("4Gi") + q("1194Mi") + q("7Gi")).to_string(), "12458Mi");
    assert_eq!(q("1366Mi").as_mebibytes_ceil(), 1366);
    assert_eq!(q("1.5Mi").as_mebibytes_ceil(), 2);
    // The largest value a quantity holds does not overflow on the way to MiB.
    let max = q("170141183460469231731687303715884105727m");
    assert!(max.as_mebibytes_ceil() > 0);
    assert!("170141183460469231731687303715884105728m".parse::<Quantity>().is_err(), "one more does not fit");
    assert_eq!((max + max).as_millis(), i128::MAX, "sums saturate");
    let min = Quantity::millis(i128::MIN);
    assert_eq!(min.to_string(), format!("-{}m", i128::MIN.unsigned_abs()), "even the smallest prints");
}

#[test]
fn garbage_is_refused_with_the_input() {
    for bad in ["", "Mi", "1.2.3", "1Xi", "--1", "1 Mi", &"9".repeat(70)] {
        let e = bad.parse::<Quantity>().unwrap_err();
        assert!(e.to_string().starts_with(&format!("{bad:?} is not a Kubernetes quantity")), "{e}");
    }
}

proptest! {
    /// The canonical form parses back to the same value, is its own canonical form, and uses
    /// the largest suffix that divides exactly (no number part divisible by the next step).
    #[test]
    fn canonical_form_round_trips(milli in -10_000_000_000_000i128..10_000_000_000_000i128, binary in any::<bool>()) {
        let text = if binary { format!("{milli}Ki") } else { format!("{milli}m") };
        let v: Quantity = text.parse().unwrap();
        let canonical = v.to_string();
        let back: Quantity = canonical.parse().unwrap();
        prop_assert_eq!(back.as_millis(), v.as_millis());
        prop_assert_eq!(back.to_string(), canonical.clone());
        let digits: String = canonical.trim_start_matches('-').chars().take_while(char::is_ascii_digit).collect();
        let suffix = &canonical.trim_start_matches('-')[digits.len()..];
        let n: i128 = digits.parse().unwrap();
        match suffix {
            "m" => prop_assert!(n % 1000 != 0),
            "Ki" | "Mi" | "Gi" | "Ti" | "Pi" => prop_assert!(n % 1024 != 0),
            "k" | "M" | "G" | "T" | "P" => prop_assert!(n % 1000 != 0),
            "" => prop_assert!(n == 0 || n % 1000 != 0),
            _ => {}
        }
    }
}
