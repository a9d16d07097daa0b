//! Kubernetes resource quantities (`500m`, `2`, `10410Mi`, `7Gi`) with the canonical form of
//! `k8s.io/apimachinery`'s `Quantity.String()`, for manifests that must read exactly as the
//! API server would write them back (SPEC CTRL-1 plan quotas).
//!
//! A quantity is held in thousandths of a unit (millicores, millibytes) and remembers whether it
//! was written with a binary (`Ki` … `Ei`) or decimal suffix. The canonical form:
//! - binary: the largest `Ki`…`Ei` suffix that divides a whole number exactly (`7168Mi` →
//!   `7Gi`, `10410Mi` stays); a whole number no `Ki` divides is written plainly (`1500`); below
//!   1024, and for fractions, the decimal form (`1000` → `1k`, `500m`);
//! - decimal: a fraction in milli (`7050m`); a whole number with the largest `k`…`E` suffix
//!   that divides it (`2000` → `2k`), else plainly (`2`).
//!
//! ```
//! use catalyst_core::quantity::Quantity;
//!
//! let q: Quantity = "7168Mi".parse()?;
//! assert_eq!(q.to_string(), "7Gi");
//! assert_eq!(("1088Mi".parse::<Quantity>()? + "6064Mi".parse()?).to_string(), "7152Mi");
//! assert_eq!("1000m".parse::<Quantity>()?.to_string(), "1");
//! assert_eq!(Quantity::millis(7050).to_string(), "7050m");
//! # Ok::<(), catalyst_core::quantity::QuantityError>(())
//! ```

use std::fmt;
use std::ops::Add;
use std::str::FromStr;

/// Binary suffixes, smallest first, with their power of 1024.
const BINARY: [(&str, u32); 6] = [("Ki", 1), ("Mi", 2), ("Gi", 3), ("Ti", 4), ("Pi", 5), ("Ei", 6)];
/// Decimal suffixes, smallest first, with their power of 1000.
const DECIMAL: [(&str, u32); 6] = [("k", 1), ("M", 2), ("G", 3), ("T", 4), ("P", 5), ("E", 6)];

/// A resource quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quantity {
    /// Thousandths of a unit.
    milli: i128,
    /// Written with a binary suffix.
    binary: bool,
}

/// A quantity that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a Kubernetes quantity: {why}")]
pub struct QuantityError {
    input: String,
    why: &'static str,
}

impl Quantity {
    /// Thousandths of a unit, decimal (`Quantity::millis(7050)` is `7050m`).
    pub const fn millis(milli: i128) -> Self {
        Self { milli, binary: false }
    }

    /// A whole number of MiB.
    pub const fn mebibytes(mib: i128) -> Self {
        Self { milli: mib * 1024 * 1024 * 1000, binary: true }
    }

    /// The value in thousandths of a unit.
    pub const fn as_millis(self) -> i128 {
        self.milli
    }

    /// The value in MiB, rounded up.
    pub fn as_mebibytes_ceil(self) -> i128 {
        let per = 1024 * 1024 * 1000;
        self.milli.saturating_add(per - 1).div_euclid(per)
    }
}

impl Add for Quantity {
    type Output = Self;
    /// The sum (saturating); binary when either side is.
    fn add(self, other: Self) -> Self {
        Self { milli: self.milli.saturating_add(other.milli), binary: self.binary || other.binary }
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    /// `<number><suffix>`: an optional sign, digits with an optional fraction, and one of `m`,
    /// `k`, `M`, `G`, `T`, `P`, `E`, `Ki` … `Ei` or none. Precision below a thousandth is rounded
    /// up, as the API server does. Exponent forms (`1e3`) are refused.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |why| QuantityError { input: input.to_owned(), why };
        if input.len() > 64 {
            return Err(err("longer than 64 characters"));
        }
        let split = input
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
            .unwrap_or(input.len());
        let (number, suffix) = input.split_at(split);
        let (negative, digits) = match number.as_bytes().first() {
            Some(b'-') => (true, &number[1..]),
            Some(b'+') => (false, &number[1..]),
            _ => (false, number),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(err("no digits"));
        }
        if !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(err("not a decimal number"));
        }
        let (binary, factor_num, factor_den): (bool, i128, i128) = match suffix {
            "" => (false, 1000, 1),
            "m" => (false, 1, 1),
            s => match (BINARY.iter().find(|(n, _)| *n == s), DECIMAL.iter().find(|(n, _)| *n == s)) {
                (Some((_, p)), _) => (true, 1000 * 1024i128.pow(*p), 1),
                (_, Some((_, p))) => (false, 1000 * 1000i128.pow(*p), 1),
                _ => return Err(err("unknown suffix")),
            },
        };
        // value = (whole + frac/10^len) * factor, in milli, rounded up.
        let whole: i128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| err("too large"))? };
        let frac_len = u32::try_from(frac.len()).map_err(|_| err("too long"))?;
        if frac_len > 30 {
            return Err(err("too many decimals"));
        }
        let frac_val: i128 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| err("too large"))? };
        let scale = 10i128.pow(frac_len);
        let total = whole
            .checked_mul(factor_num)
            .and_then(|w| frac_val.checked_mul(factor_num).map(|f| (w, f)))
            .ok_or_else(|| err("too large"))?;
        let frac_milli = (total.1 + scale * factor_den - 1) / (scale * factor_den);
        let milli = total.0.checked_add(frac_milli).ok_or_else(|| err("too large"))?;
        Ok(Self { milli: if negative { -milli } else { milli }, binary })
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.milli < 0 { "-" } else { "" };
        let milli = self.milli.unsigned_abs();
        if !milli.is_multiple_of(1000) {
            return write!(f, "{sign}{milli}m");
        }
        let units = milli / 1000;
        if units == 0 {
            return f.write_str("0");
        }
        // Binary quantities below 1024 are written in the decimal form (as the API server does).
        let binary = self.binary && units >= 1024;
        let table: &[(&str, u32)] = if binary { &BINARY } else { &DECIMAL };
        let base: u128 = if binary { 1024 } else { 1000 };
        for (suffix, power) in table.iter().rev() {
            let unit = base.pow(*power);
            if units.is_multiple_of(unit) {
                return write!(f, "{sign}{}{suffix}", units / unit);
            }
        }
        write!(f, "{sign}{units}")
    }
}
