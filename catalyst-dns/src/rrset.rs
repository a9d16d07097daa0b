//! Record sets as the PowerDNS API takes them (SPEC DNS-3, DNS-4).

use serde::{Deserialize, Serialize};

/// A zone or owner name as PowerDNS wants it: trimmed, lowercased, with a trailing dot
/// (SPEC DNS-3). An empty or blank input stays empty.
///
/// ```
/// assert_eq!(catalyst_dns::canonical_name(" Console.T38.Omani.Works "), "console.t38.omani.works.");
/// assert_eq!(catalyst_dns::canonical_name("omani.works."), "omani.works.");
/// ```
pub fn canonical_name(name: &str) -> String {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return String::new();
    }
    let mut out = trimmed.to_ascii_lowercase();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// A nameserver list in canonical form, empty entries dropped (SPEC DNS-3).
pub fn canonical_nameservers<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    names.iter().map(|n| canonical_name(n.as_ref())).filter(|n| !n.is_empty()).collect()
}

/// What a PATCH does to one (name, type) set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChangeType {
    /// Overwrite the whole set with the given records.
    Replace,
    /// Remove the set; removing an absent set succeeds.
    Delete,
}

/// One record of a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The record content in zone-file syntax (`192.0.2.1`, `A "ifurlup(...)"`).
    pub content: String,
    /// Whether PowerDNS serves it.
    #[serde(default)]
    pub disabled: bool,
}

/// One record set of a PATCH body (SPEC DNS-4).
///
/// `ttl` is sent for `REPLACE` (PowerDNS answers 422 when the key is missing, even for 0)
/// and left out for `DELETE`, which needs neither TTL nor records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RrSet {
    /// Owner name, canonical (trailing dot).
    pub name: String,
    /// Record type (`A`, `LUA`, …), uppercase.
    #[serde(rename = "type")]
    pub rtype: String,
    /// TTL in seconds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ttl: Option<u32>,
    /// What the PATCH does with the set.
    pub changetype: ChangeType,
    /// The records (empty for `DELETE`).
    #[serde(default)]
    pub records: Vec<Record>,
    /// Comments of the set; a `REPLACE` that carries them replaces the old ones.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub comments: Vec<Comment>,
}

/// An rrset comment; catalyst marks the sets it owns with one ([`crate::Owner::marker`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The text.
    pub content: String,
    /// Who wrote it.
    #[serde(default)]
    pub account: String,
}

impl RrSet {
    /// A `REPLACE` of (name, type) with these contents, all enabled; names are canonicalised.
    pub fn replace<S: Into<String>>(
        name: &str,
        rtype: &str,
        ttl: u32,
        contents: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            name: canonical_name(name),
            rtype: rtype.trim().to_ascii_uppercase(),
            ttl: Some(ttl),
            changetype: ChangeType::Replace,
            records: contents.into_iter().map(|c| Record { content: c.into(), disabled: false }).collect(),
            comments: Vec::new(),
        }
    }

    /// A `DELETE` of (name, type).
    pub fn delete(name: &str, rtype: &str) -> Self {
        Self {
            name: canonical_name(name),
            rtype: rtype.trim().to_ascii_uppercase(),
            ttl: None,
            changetype: ChangeType::Delete,
            records: Vec::new(),
            comments: Vec::new(),
        }
    }
}

/// The body of `PATCH /api/v1/servers/{id}/zones/{zone}`: all edits of one zone, applied
/// atomically by PowerDNS (SPEC DNS-5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZonePatch {
    /// The record sets to change.
    pub rrsets: Vec<RrSet>,
}

impl ZonePatch {
    /// The JSON body.
    pub fn to_json(&self) -> String {
        // NB: serializing these plain structs cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}
