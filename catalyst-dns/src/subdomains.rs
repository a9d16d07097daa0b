//! The Sovereign's canonical subdomains (SPEC DNS-11, seed 003).

use catalyst_naming::check_dns_label;

/// The seed list of subdomains written for every Sovereign, in order: the HTTPRoute
/// hostnames the charts publish (`console`, `auth`, `gitea`, …; 13 names).
pub const SOVEREIGN_SUBDOMAINS: &[&str] = &catalyst_naming::CONTROL_PLANE_COMPONENTS;

/// Names later upstream added to [`SOVEREIGN_SUBDOMAINS`]; [`extended_subdomains`] appends them.
pub const LATER_SUBDOMAINS: [&str; 4] = ["newapi", "pdns-admin", "sandbox", "mcp"];

/// The environment variable that overrides the list.
pub const SUBDOMAINS_ENV: &str = "CATALYST_SOVEREIGN_SUBDOMAINS";

/// The seed list followed by the later additions (17 names).
pub fn extended_subdomains() -> Vec<&'static str> {
    SOVEREIGN_SUBDOMAINS.iter().chain(LATER_SUBDOMAINS.iter()).copied().collect()
}

/// A subdomain override that is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubdomainError {
    /// One entry is not a DNS-1123 label.
    #[error("{SUBDOMAINS_ENV}: entry {index} {value:?} is not a subdomain: {reason}")]
    InvalidSubdomain {
        /// 1-based position in the comma-separated list.
        index: usize,
        /// The entry, trimmed.
        value: String,
        /// The rule it broke.
        reason: String,
    },
}

/// Parses a comma-separated override (`CATALYST_SOVEREIGN_SUBDOMAINS`): entries trimmed,
/// empties dropped, duplicates removed (first kept), each a DNS-1123 label.
///
/// ```
/// let list = catalyst_dns::parse_subdomains(" console, api,,console ,grafana")?;
/// assert_eq!(list, ["console", "api", "grafana"]);
/// assert!(catalyst_dns::parse_subdomains("console,*").is_err());
/// # Ok::<(), catalyst_dns::SubdomainError>(())
/// ```
pub fn parse_subdomains(raw: &str) -> Result<Vec<String>, SubdomainError> {
    let mut out: Vec<String> = Vec::new();
    for (i, entry) in raw.split(',').enumerate() {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        if let Err(e) = check_dns_label("subdomain", entry) {
            let reason = match e {
                catalyst_naming::NamingError::InvalidDnsLabel { reason, .. } => reason,
                other => other.to_string(),
            };
            return Err(SubdomainError::InvalidSubdomain { index: i + 1, value: entry.to_owned(), reason });
        }
        if !out.iter().any(|s| s == entry) {
            out.push(entry.to_owned());
        }
    }
    Ok(out)
}
