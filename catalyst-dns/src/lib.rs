//! DNS for OpenOva Catalyst: a desired state of PowerDNS record sets, planned against what a
//! server has and applied in one PATCH per zone; lua records built and linted; a Sovereign's
//! canonical records; orphan audits (SPEC DNS-*). Every record set catalyst writes carries an
//! ownership marker, and a plan changes or deletes only its own owner's sets.
//!
//! The planning is pure; the PowerDNS HTTP client is behind the `client` feature.
//!
//! ```
//! use catalyst_dns::{ActualSet, Change, parse_desired, plan_zone};
//!
//! let zones = parse_desired(r#"
//! owner: team-web
//! zones:
//!   - name: example.test
//!     records:
//!       - {name: www, type: A, ttl: 300, content: [127.0.0.2, 127.0.0.1]}
//!       - {name: geo, type: LUA, ttl: 30, lua: {pickclosest: [127.0.0.10, 127.0.0.20]}}
//! "#)?;
//! // Against an empty zone: two record sets to create, each marked as team-web's.
//! let plan = plan_zone(&zones[0], Some(&[] as &[ActualSet]), false);
//! assert!(matches!(plan.changes[0], Change::Create { .. }));
//! let body = plan.patches(catalyst_dns::DEFAULT_MAX_BODY)[0].to_json();
//! assert!(body.contains(r#""content":"A \"pickclosest({'127.0.0.10', '127.0.0.20'})\"""#));
//! assert!(body.contains("managed-by: catalyst; owner: team-web"));
//! # Ok::<(), catalyst_dns::Diagnostics>(())
//! ```
//!
//! # Crate features
//!
//! - `client`: [`Client`], the PowerDNS Authoritative HTTP API client (reqwest with rustls,
//!   tokio): plans against a live zone, applies, creates zones, turns DNSSEC on. Off by
//!   default, so the pure planning pulls no HTTP stack.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "client")]
mod client;
mod code;
pub mod continuum;
mod desired;
mod lua;
mod owner;
#[cfg(feature = "client")]
pub mod pdm;
mod plan;
mod rrset;
mod sovereign;
mod subdomains;
mod zone;

#[cfg(feature = "client")]
pub use client::{
    ApiKey, Applied, Client, Config, CryptoKey, MAX_RESPONSE_BYTES, PdnsError, ServerInfo, Stats, ZoneSummary,
};
pub use code::{Code, Diagnostic, Diagnostics};
pub use desired::{DesiredZone, InvalidContent, RecordSet, check_content, parse_desired};
pub use lua::{
    IfPortUp, IfUrlUp, InvalidLuaRecord, LUA_FUNCTIONS, LUA_OPTIONS, LUA_SELECTORS, LuaError, LuaOption,
    LuaRecord, MAX_LUA_DEPTH, MAX_LUA_LEN, Weighted, lint_lua,
};
pub use owner::{MARKER_ACCOUNT, MARKER_PREFIX, MAX_OWNER_LEN, Owner, OwnerError, SOVEREIGN_PREFIX};
pub use plan::{ActualSet, Change, DEFAULT_MAX_BODY, Refused, ZonePlan, plan_zone};
pub use rrset::{ChangeType, Comment, Record, RrSet, ZonePatch, canonical_name, canonical_nameservers};
pub use sovereign::{
    AuditFinding, SOVEREIGN_TTL, SovereignRecordsError, audit, default_parent_zone, sovereign_records,
};
pub use subdomains::{
    LATER_SUBDOMAINS, SOVEREIGN_SUBDOMAINS, SUBDOMAINS_ENV, SubdomainError, extended_subdomains,
    parse_subdomains,
};
pub use zone::parse_zone;
