//! A Sovereign's canonical records (SPEC DNS-11 … DNS-13) and the orphan audit (DNS-15).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use catalyst_naming::Fqdn;
use serde::Serialize;

use crate::desired::{DesiredZone, RecordSet};
use crate::plan::ActualSet;
use crate::{Owner, SOVEREIGN_SUBDOMAINS, canonical_name};

/// TTL of the per-Sovereign records in the parent zone (seed 003).
pub const SOVEREIGN_TTL: u32 = 60;

/// The parent zone of a Sovereign when none is configured: the FQDN minus its first label,
/// or the FQDN itself when that would leave a bare TLD (`acme.com`).
pub fn default_parent_zone(sovereign: &Fqdn) -> String {
    let labels: Vec<&str> = sovereign.labels().collect();
    if labels.len() <= 2 {
        canonical_name(sovereign.as_str())
    } else {
        canonical_name(&labels[1..].join("."))
    }
}

/// The canonical A records of a Sovereign in one parent zone: `<sub>.<fqdn>` for each
/// subdomain (the seed list by default) and, when `apex` is set, `<fqdn>` itself, all to
/// the primary load-balancer IP with TTL 60. Never a wildcard (DNS-15).
///
/// The zone is owned by the Sovereign ([`Owner::sovereign`]) and scoped to its FQDN: a plan
/// of it touches only the Sovereign's own names, so many Sovereigns share one parent zone
/// and publishing one leaves the others' records as they are.
///
/// ```
/// use catalyst_naming::Fqdn;
/// let fqdn = Fqdn::sovereign("t111.omani.works")?;
/// let zone = catalyst_dns::sovereign_records(&fqdn, None, "127.0.0.7".parse()?, None, true)?;
/// assert_eq!(zone.zone, "omani.works.");
/// assert_eq!(zone.rrsets.len(), 14);
/// assert_eq!(zone.owner.as_str(), "sovereign:t111.omani.works");
/// assert_eq!(zone.scope.as_deref(), Some("t111.omani.works."));
/// assert!(zone.rrsets.contains_key(&("console.t111.omani.works.".into(), "A".into())));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sovereign_records(
    sovereign: &Fqdn,
    parent_zone: Option<&str>,
    lb_ip: Ipv4Addr,
    subdomains: Option<&[String]>,
    apex: bool,
) -> Result<DesiredZone, SovereignRecordsError> {
    if lb_ip.is_unspecified() {
        return Err(SovereignRecordsError::UnspecifiedAddress);
    }
    let zone = parent_zone.map_or_else(|| default_parent_zone(sovereign), canonical_name);
    let fqdn = canonical_name(sovereign.as_str());
    if fqdn != zone && !fqdn.ends_with(&format!(".{zone}")) {
        return Err(SovereignRecordsError::OutsideParentZone { sovereign: fqdn, zone });
    }
    let defaults: Vec<String> = SOVEREIGN_SUBDOMAINS.iter().map(|s| (*s).to_owned()).collect();
    let mut names: Vec<String> =
        subdomains.unwrap_or(&defaults).iter().map(|s| format!("{s}.{fqdn}")).collect();
    if apex {
        names.push(fqdn.clone());
    }
    let rrsets: BTreeMap<(String, String), RecordSet> = names
        .into_iter()
        .map(|name| {
            let set = RecordSet {
                name: name.clone(),
                rtype: "A".into(),
                ttl: SOVEREIGN_TTL,
                contents: vec![lb_ip.to_string()],
            };
            ((name, "A".to_owned()), set)
        })
        .collect();
    Ok(DesiredZone { zone, owner: Owner::sovereign(sovereign), scope: Some(fqdn), rrsets })
}

/// Why [`sovereign_records`] cannot write a Sovereign's records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SovereignRecordsError {
    /// The load-balancer IP is `0.0.0.0`.
    #[error("the load-balancer IP 0.0.0.0 is not an address")]
    UnspecifiedAddress,
    /// The Sovereign is not a name inside the parent zone.
    #[error("the Sovereign {sovereign} is not inside the parent zone {zone}")]
    OutsideParentZone {
        /// The Sovereign, with a trailing dot.
        sovereign: String,
        /// The parent zone, with a trailing dot.
        zone: String,
    },
}

/// One finding of [`audit`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AuditFinding {
    /// A wildcard A/AAAA/CNAME set: it answers every name nobody wrote, including names of
    /// Sovereigns that no longer exist.
    Wildcard {
        /// The set.
        set: RecordSet,
    },
    /// An A/AAAA record pointing at an address outside the expected set.
    UnexpectedAddress {
        /// The set.
        set: RecordSet,
        /// The unexpected address.
        address: String,
    },
}

impl std::fmt::Display for AuditFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Wildcard { set } => {
                write!(f, "wildcard {set}: answers every name nobody wrote (stale-wildcard risk)")
            }
            Self::UnexpectedAddress { set, address } => {
                write!(f, "{} {} points at {address}, which is not an expected address", set.name, set.rtype)
            }
        }
    }
}

/// Audits a zone (DNS-15): wildcard A/AAAA/CNAME sets, and A/AAAA contents that are not in
/// `expected` (skipped when `expected` is empty).
pub fn audit(sets: &[ActualSet], expected: &[IpAddr]) -> Vec<AuditFinding> {
    let mut out = Vec::new();
    for a in sets {
        let s = &a.set;
        if s.name.starts_with("*.") && matches!(s.rtype.as_str(), "A" | "AAAA" | "CNAME") {
            out.push(AuditFinding::Wildcard { set: s.clone() });
        }
        if !expected.is_empty() && matches!(s.rtype.as_str(), "A" | "AAAA") {
            for c in &s.contents {
                if c.parse::<IpAddr>().map_or(true, |ip| !expected.contains(&ip)) {
                    out.push(AuditFinding::UnexpectedAddress { set: s.clone(), address: c.clone() });
                }
            }
        }
    }
    out
}
