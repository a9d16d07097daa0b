//! DNS for OpenOva Catalyst: PowerDNS record sets, lua records, a Sovereign's canonical
//! records and orphan audits (SPEC DNS-*).
//!
//! This first part holds the pure pieces every PowerDNS call is built from: name
//! canonicalization, the PATCH body shape, and the Sovereign's canonical subdomain list.
//! The HTTP client, plan/diff/apply and lua-record synthesis follow.
//!
//! ```
//! use catalyst_dns::{RrSet, ZonePatch, SOVEREIGN_SUBDOMAINS};
//!
//! // The seed-003 record set of a Sovereign: one A record per subdomain, TTL 60.
//! let patch = ZonePatch {
//!     rrsets: SOVEREIGN_SUBDOMAINS.iter()
//!         .map(|sub| RrSet::replace(&format!("{sub}.t111.omani.works"), "A", 60, ["127.0.0.10"]))
//!         .collect(),
//! };
//! assert_eq!(patch.rrsets.len(), 13);
//! assert!(patch.to_json().starts_with(r#"{"rrsets":[{"name":"console.t111.omani.works.","type":"A","ttl":60,"changetype":"REPLACE","records":[{"content":"127.0.0.10","disabled":false}]}"#));
//! ```
//!
//! # Crate features
//!
//! None yet.

mod client;
mod desired;
mod lua;
mod owner;
mod plan;
mod rrset;
mod sovereign;
mod subdomains;

pub use client::{
    ApiKey, Applied, Client, Config, CryptoKey, MAX_RESPONSE_BYTES, PdnsError, ServerInfo, Stats,
    ZoneSummary, parse_zone,
};
pub use desired::{DesiredZone, FileError, RecordSet, check_content, parse_desired};
pub use lua::{
    IfPortUp, IfUrlUp, LUA_FUNCTIONS, LUA_OPTIONS, LUA_SELECTORS, LuaError, LuaOption, LuaRecord,
    MAX_LUA_DEPTH, MAX_LUA_LEN, Weighted, lint_lua,
};
pub use owner::{MARKER_ACCOUNT, MARKER_PREFIX, MAX_OWNER_LEN, Owner, OwnerError, SOVEREIGN_PREFIX};
pub use plan::{ActualSet, Change, DEFAULT_MAX_BODY, Refused, ZonePlan, plan_zone};
pub use rrset::{ChangeType, Comment, Record, RrSet, ZonePatch, canonical_name, canonical_nameservers};
pub use sovereign::{AuditFinding, SOVEREIGN_TTL, audit, default_parent_zone, sovereign_records};
pub use subdomains::{
    LATER_SUBDOMAINS, SOVEREIGN_SUBDOMAINS, SUBDOMAINS_ENV, SubdomainError, extended_subdomains,
    parse_subdomains,
};
