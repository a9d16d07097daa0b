//! Plan = diff of desired against actual record sets; apply bodies = one PATCH per zone
//! (SPEC DNS-5, DNS-10).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::desired::{DesiredZone, RecordSet};
use crate::{RrSet, ZonePatch};

/// The rrset comment that marks a record set as managed by this tool.
pub const OWNER_COMMENT: &str = "managed-by: catalyst";
/// The comment account written with [`OWNER_COMMENT`].
pub const OWNER_ACCOUNT: &str = "catalyst";
/// PowerDNS's default `webserver-max-bodysize` is 2 MiB; bodies stay below with a margin.
pub const DEFAULT_MAX_BODY: usize = 2 * 1024 * 1024 - 16 * 1024;

/// A record set as the server has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualSet {
    /// Its contents (disabled records included, see `all_enabled`).
    pub set: RecordSet,
    /// Whether it carries the ownership comment.
    pub owned: bool,
    /// Whether every record is enabled.
    pub all_enabled: bool,
}

/// One change of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Change {
    /// The set does not exist yet.
    Create {
        /// The new set.
        to: RecordSet,
    },
    /// The set exists and differs (or is adopted with `--force`).
    Update {
        /// What the server has.
        from: RecordSet,
        /// What it will have.
        to: RecordSet,
    },
    /// An owned set that the file no longer lists.
    Delete {
        /// What the server has.
        from: RecordSet,
    },
}

impl Change {
    /// The (name, type) the change applies to.
    pub fn key(&self) -> (&str, &str) {
        let s = match self {
            Self::Create { to } | Self::Update { to, .. } => to,
            Self::Delete { from } => from,
        };
        (&s.name, &s.rtype)
    }

    fn rrset(&self) -> RrSet {
        match self {
            Self::Create { to } | Self::Update { to, .. } => {
                let mut r = RrSet::replace(&to.name, &to.rtype, to.ttl, to.contents.iter().cloned());
                r.comments = vec![crate::rrset::Comment::owner()];
                r
            }
            Self::Delete { from } => RrSet::delete(&from.name, &from.rtype),
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Create { to } => write!(f, "+ {to}"),
            Self::Update { from, to } => write!(
                f,
                "~ {} {}: ttl {} -> {}, [{}] -> [{}]",
                to.name,
                to.rtype,
                from.ttl,
                to.ttl,
                from.contents.join(", "),
                to.contents.join(", ")
            ),
            Self::Delete { from } => write!(f, "- {from}"),
        }
    }
}

/// A record set the file wants to change but this tool does not own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    /// What the server has (without the ownership comment).
    pub actual: RecordSet,
    /// What the file wants.
    pub desired: RecordSet,
}

/// The plan of one zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZonePlan {
    /// Zone name with a trailing dot.
    pub zone: String,
    /// Whether the zone must be created first.
    pub create_zone: bool,
    /// The changes, by (name, type).
    pub changes: Vec<Change>,
    /// Sets that exist unowned and differ: changed only with `--force`.
    pub refused: Vec<Refused>,
}

/// Diffs one zone. Only owned sets are updated or deleted; with `force`, unowned sets the
/// file lists are adopted (updated and marked). SOA and apex NS are never touched unless
/// the file lists them.
pub fn plan_zone(desired: &DesiredZone, actual: Option<&[ActualSet]>, force: bool) -> ZonePlan {
    let by_key: BTreeMap<(&str, &str), &ActualSet> =
        actual.unwrap_or_default().iter().map(|a| ((a.set.name.as_str(), a.set.rtype.as_str()), a)).collect();
    let mut changes = Vec::new();
    let mut refused = Vec::new();
    for ((name, rtype), want) in &desired.rrsets {
        match by_key.get(&(name.as_str(), rtype.as_str())) {
            None => changes.push(Change::Create { to: want.clone() }),
            Some(have) => {
                let same = have.all_enabled && have.set.ttl == want.ttl && have.set.contents == want.contents;
                match (same, have.owned, force) {
                    (true, true, _) | (true, false, false) => {}
                    (_, true, _) | (_, false, true) => {
                        changes.push(Change::Update { from: have.set.clone(), to: want.clone() });
                    }
                    (false, false, false) => {
                        refused.push(Refused { actual: have.set.clone(), desired: want.clone() });
                    }
                }
            }
        }
    }
    for ((name, rtype), have) in &by_key {
        if have.owned && !desired.rrsets.contains_key(&((*name).to_owned(), (*rtype).to_owned())) {
            changes.push(Change::Delete { from: have.set.clone() });
        }
    }
    changes.sort_by(|a, b| a.key().cmp(&b.key()));
    ZonePlan { zone: desired.zone.clone(), create_zone: actual.is_none(), changes, refused }
}

impl ZonePlan {
    /// The PATCH bodies carrying every change: one, unless that one would exceed
    /// `max_body` bytes. No change, no body.
    pub fn patches(&self, max_body: usize) -> Vec<ZonePatch> {
        let mut patches: Vec<ZonePatch> = Vec::new();
        let mut current = ZonePatch::default();
        let mut size = "{\"rrsets\":[]}".len();
        for change in &self.changes {
            let rrset = change.rrset();
            let len = serde_json::to_string(&rrset).map_or(0, |s| s.len()) + 1;
            if !current.rrsets.is_empty() && size + len > max_body {
                patches.push(std::mem::take(&mut current));
                size = "{\"rrsets\":[]}".len();
            }
            size += len;
            current.rrsets.push(rrset);
        }
        if !current.rrsets.is_empty() {
            patches.push(current);
        }
        patches
    }
}
