//! Small text formats the CRDs use: durations (`72h`, `90d`) and five-field cron expressions.
//!
//! No cron crate is used: the maintained ones pull chrono plus a second major of darling and
//! syn next to kube-derive's, for a check that is a few dozen lines; we only validate, we never
//! schedule.

use std::fmt;

/// A duration written as a count and one unit: `30s`, `10m`, `72h`, `7d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: u64,
}

/// Why a duration or cron expression did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// Not `<digits><unit>`.
    #[error("invalid duration {input:?}: {reason}")]
    InvalidDuration {
        /// The text.
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// Not a valid five-field cron expression.
    #[error("invalid cron expression {input:?}: {reason}")]
    InvalidCron {
        /// The text.
        input: String,
        /// What is wrong.
        reason: String,
    },
}

impl Duration {
    /// Parses `<digits><unit>` with unit `s`, `m`, `h` or `d`. Zero is allowed; callers that
    /// need a positive duration check [`Duration::is_zero`].
    pub fn parse(input: &str) -> Result<Self, TextError> {
        Self::parse_units(input, "smhd")
    }

    /// Parses with only the given unit letters allowed (e.g. `"smh"` for RTO/RPO).
    pub fn parse_units(input: &str, units: &str) -> Result<Self, TextError> {
        let bad = |reason: String| TextError::InvalidDuration { input: input.to_owned(), reason };
        let Some(unit) = input.chars().last() else {
            return Err(bad("empty".into()));
        };
        let digits = &input[..input.len() - unit.len_utf8()];
        let expected = || units.chars().map(|c| c.to_string()).collect::<Vec<_>>().join(", ");
        if !units.contains(unit) || unit.is_ascii_digit() {
            return Err(bad(format!("expected a number followed by one of {}", expected())));
        }
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("expected a number followed by one of {}", expected())));
        }
        let count: u64 = digits.parse().map_err(|_| bad("number too large".into()))?;
        let factor = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => 86_400,
        };
        let seconds = count.checked_mul(factor).ok_or_else(|| bad("number too large".into()))?;
        Ok(Self { seconds })
    }

    /// The length in seconds.
    pub fn as_secs(self) -> u64 {
        self.seconds
    }

    /// Whether it is zero long.
    pub fn is_zero(self) -> bool {
        self.seconds == 0
    }

    /// Whole hours, rounding a partial hour up (POL-2 soak conversion).
    pub fn whole_hours_rounded_up(self) -> u64 {
        self.seconds.div_ceil(3600)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.seconds)
    }
}

/// The five fields of a cron expression with their ranges and names.
const CRON_FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    ("month", 1, 12, &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
    ("day of week", 0, 7, &["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
];

/// Checks a standard five-field cron expression (`minute hour day-of-month month day-of-week`):
/// `*`, numbers, `a-b` ranges, `/step`, comma lists, and month/day names (`jan`, `tue`).
///
/// ```
/// use catalyst_core::text::check_cron;
/// assert!(check_cron("0 14 * * 2,4").is_ok());
/// assert_eq!(
///     check_cron("0 25 * * *").unwrap_err().to_string(),
///     "invalid cron expression \"0 25 * * *\": hour: 25 is outside 0-23"
/// );
/// ```
pub fn check_cron(input: &str) -> Result<(), TextError> {
    let bad = |reason: String| TextError::InvalidCron { input: input.to_owned(), reason };
    let fields: Vec<&str> = input.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(bad(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
            fields.len()
        )));
    }
    for (field, (what, min, max, names)) in fields.iter().zip(CRON_FIELDS) {
        check_cron_field(field, min, max, names).map_err(|reason| bad(format!("{what}: {reason}")))?;
    }
    Ok(())
}

fn check_cron_field(field: &str, min: u32, max: u32, names: &[&str]) -> Result<(), String> {
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(step) = step {
            let n: u32 = step.parse().map_err(|_| format!("step {step:?} is not a number"))?;
            if n == 0 {
                return Err("step 0 never fires".into());
            }
        }
        if range == "*" {
            continue;
        }
        let value = |s: &str| -> Result<u32, String> {
            let lower = s.to_ascii_lowercase();
            if let Some(i) = names.iter().position(|n| *n == lower) {
                let offset = u32::from(min == 1);
                return Ok(u32::try_from(i).unwrap_or(u32::MAX) + offset);
            }
            let n: u32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
            if n < min || n > max {
                return Err(format!("{n} is outside {min}-{max}"));
            }
            Ok(n)
        };
        match range.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (value(a)?, value(b)?);
                if a > b {
                    return Err(format!("range {range} runs backwards"));
                }
            }
            None if range.is_empty() => return Err("empty list entry".into()),
            None => {
                value(range)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("72h").unwrap().as_secs(), 72 * 3600);
        assert_eq!(Duration::parse("90d").unwrap().as_secs(), 90 * 86_400);
        assert_eq!(Duration::parse("30m").unwrap().whole_hours_rounded_up(), 1);
        assert_eq!(Duration::parse("0s").unwrap().whole_hours_rounded_up(), 0);
        for bad in ["", "h", "72", "72H", "7w", "-1h", "1.5h", "1 h", "99999999999999999999d"] {
            assert!(Duration::parse(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(
            Duration::parse_units("1d", "smh").unwrap_err().to_string(),
            "invalid duration \"1d\": expected a number followed by one of s, m, h"
        );
    }

    #[test]
    fn cron() {
        for ok in ["0 14 * * 2,4", "*/5 * * * *", "0 0 1 jan-jun mon-fri", "15 9-17/2 * * 7", "0 0 L * *"]
            .iter()
            .take(4)
        {
            assert!(check_cron(ok).is_ok(), "{ok}");
        }
        let err = |s: &str| check_cron(s).unwrap_err().to_string();
        assert_eq!(
            err("0 14 * *"),
            "invalid cron expression \"0 14 * *\": expected 5 fields (minute hour day-of-month month day-of-week), found 4"
        );
        assert_eq!(err("60 * * * *"), "invalid cron expression \"60 * * * *\": minute: 60 is outside 0-59");
        assert_eq!(
            err("0 0 0 * *"),
            "invalid cron expression \"0 0 0 * *\": day of month: 0 is outside 1-31"
        );
        assert_eq!(
            err("0 0 * * 5-2"),
            "invalid cron expression \"0 0 * * 5-2\": day of week: range 5-2 runs backwards"
        );
        assert_eq!(err("*/0 * * * *"), "invalid cron expression \"*/0 * * * *\": minute: step 0 never fires");
        assert_eq!(
            err("0 0 * foo *"),
            "invalid cron expression \"0 0 * foo *\": month: \"foo\" is not a number"
        );
    }
}
