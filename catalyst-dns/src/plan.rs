//! Plan = diff of desired against actual record sets; apply bodies = one PATCH per zone
//! (SPEC DNS-5, DNS-10).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::desired::{DesiredZone, RecordSet};
use crate::{Owner, RrSet, ZonePatch};

/// PowerDNS's default `webserver-max-bodysize` is 2 MiB; bodies stay below with a margin.
pub const DEFAULT_MAX_BODY: usize = 2 * 1024 * 1024 - 16 * 1024;

/// A record set as the server has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualSet {
    /// Its contents (disabled records included, see `all_enabled`).
    pub set: RecordSet,
    /// The owner its catalyst marker names; `None` when it carries no marker (written by
    /// hand or by another tool).
    pub owner: Option<Owner>,
    /// Whether that marker is the one of before owners existed (`managed-by: catalyst`, owner
    /// `catalyst`). A Sovereign's plan re-marks such sets at its own names as its own.
    pub legacy_marker: bool,
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
    /// A set of this plan's owner that the desired state no longer lists.
    Delete {
        /// What the server has.
        from: RecordSet,
    },
}

impl ActualSet {
    /// Whether its marker names `owner`.
    pub fn is_owned_by(&self, owner: &Owner) -> bool {
        self.owner.as_ref() == Some(owner)
    }
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

    fn rrset(&self, owner: &Owner) -> RrSet {
        match self {
            Self::Create { to } | Self::Update { to, .. } => {
                let mut r = RrSet::replace(&to.name, &to.rtype, to.ttl, to.contents.iter().cloned());
                r.comments = vec![owner.marker()];
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
            Self::Update { from, to } if from == to => {
                write!(f, "~ {} {}: content unchanged, ownership marker rewritten", to.name, to.rtype)
            }
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

/// A record set the desired state wants to write but this plan's owner may not without
/// `force`: the set exists and is another's (or nobody's), or another owner holds its name or
/// the Sovereign whose names it is under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    /// The set on the server that stands in the way (without the ownership comment): the same
    /// set, another type at the same name, or one of the Sovereign's records.
    pub actual: RecordSet,
    /// Who owns it: another owner's identity, or `None` when no catalyst marker is on it.
    pub owner: Option<Owner>,
    /// What the file wants.
    pub desired: RecordSet,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, d) = (&self.actual, &self.desired);
        let by = self
            .owner
            .as_ref()
            .map_or_else(|| "not managed by catalyst".to_owned(), |o| format!("owned by {o}"));
        if a.name == d.name && a.rtype == d.rtype {
            let verb = if self.owner.is_some() { "take it over" } else { "adopt" };
            write!(f, "{} {}: exists, {by}; --force to {verb}", a.name, a.rtype)
        } else if a.name == d.name {
            write!(f, "{} {}: the name holds {} {by}; --force to write beside it", d.name, d.rtype, a.rtype)
        } else {
            let sovereign = self.owner.as_ref().and_then(Owner::sovereign_fqdn).unwrap_or_default();
            write!(
                f,
                "{} {}: inside the names of Sovereign {sovereign} ({by}); --force to write it anyway",
                d.name, d.rtype
            )
        }
    }
}

/// The plan of one zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZonePlan {
    /// Zone name with a trailing dot.
    pub zone: String,
    /// The owner the plan acts for: every set it writes carries this owner's marker.
    pub owner: Owner,
    /// Whether the zone must be created first.
    pub create_zone: bool,
    /// The changes, by (name, type).
    pub changes: Vec<Change>,
    /// Sets that exist, are not this owner's and differ: changed only with `--force`.
    pub refused: Vec<Refused>,
    /// What the plan was made from (the desired zone and `force`), so that a write that
    /// fails can be planned again against the zone as it is then, never replayed.
    #[serde(skip)]
    pub(crate) basis: std::sync::Arc<(DesiredZone, bool)>,
}

/// Diffs one zone for the desired state's owner.
///
/// Only sets whose marker names `desired.owner` are updated or deleted. A set without a
/// marker, or with another owner's, is refused when the desired state wants it different
/// (with `force` it is taken over: updated and re-marked), and is never deleted. Refused as
/// well, unless `force`: a new set at a name where another owner holds a set of another type
/// (an NS beside someone's A would take their name over), and any set under the names of a
/// Sovereign other than this plan's. When `desired.scope` is set, sets outside that name and
/// its subdomains are not looked at; a Sovereign's plan (owner `sovereign:<fqdn>`) takes the
/// sets it writes that carry the marker of before owners existed as its own and re-marks
/// them, and never deletes such a set. SOA and apex NS are never touched unless the desired
/// state lists them.
///
/// ```
/// use catalyst_dns::{ActualSet, Owner, RecordSet, plan_zone, parse_desired};
/// let zone = &parse_desired("owner: team-a\nzones: [{name: z.test, records: []}]").unwrap()[0];
/// let other = ActualSet {
///     set: RecordSet { name: "b.z.test.".into(), rtype: "A".into(), ttl: 60, contents: vec!["127.0.0.2".into()] },
///     owner: Some(Owner::new("team-b")?),
///     legacy_marker: false,
///     all_enabled: true,
/// };
/// // team-a's empty file deletes nothing of team-b's.
/// assert!(plan_zone(zone, Some(&[other]), false).changes.is_empty());
/// # Ok::<(), catalyst_dns::OwnerError>(())
/// ```
pub fn plan_zone(desired: &DesiredZone, actual: Option<&[ActualSet]>, force: bool) -> ZonePlan {
    let within = |name: &str, scope: &str| {
        name == scope || name.strip_suffix(scope).is_some_and(|head| head.ends_with('.'))
    };
    let in_scope = |name: &str| desired.scope.as_deref().is_none_or(|scope| within(name, scope));
    let all = actual.unwrap_or_default();
    // A (name, type) listed twice keeps the copy that is not this owner's: a plan never acts
    // on a claim of ownership that the same answer contradicts (found by fuzzing).
    let mut by_key: BTreeMap<(&str, &str), &ActualSet> = BTreeMap::new();
    for a in all.iter().filter(|a| in_scope(&a.set.name)) {
        let key = (a.set.name.as_str(), a.set.rtype.as_str());
        match by_key.get(&key) {
            Some(kept) if !kept.is_owned_by(&desired.owner) => {}
            _ => {
                by_key.insert(key, a);
            }
        }
    }
    // A Sovereign's plan takes the sets of before owners existed that it writes itself (the
    // records the old `sovereign-records` wrote) as its own and re-marks them; it never
    // deletes a legacy set.
    let sovereign = desired.owner.sovereign_fqdn();
    let mine = |a: &ActualSet| {
        a.is_owned_by(&desired.owner)
            || (sovereign.is_some()
                && a.legacy_marker
                && desired.rrsets.contains_key(&(a.set.name.clone(), a.set.rtype.clone())))
    };
    // What stands in the way of writing `want` beside the sets that exist: another owner's
    // set at the same name, or a Sovereign (other than this plan's) whose names it is under.
    let blocked = |want: &RecordSet| -> Option<&ActualSet> {
        let other = |a: &&ActualSet| a.owner.is_some() && !mine(a);
        let same_name =
            all.iter().filter(other).find(|a| a.set.name == want.name && a.set.rtype != want.rtype);
        same_name.or_else(|| {
            all.iter().filter(other).find(|a| {
                a.owner.as_ref().and_then(Owner::sovereign_fqdn).is_some_and(|fqdn| {
                    Some(&fqdn) != sovereign.as_ref()
                        && within(&want.name, &fqdn)
                        && within(&a.set.name, &fqdn)
                })
            })
        })
    };
    let mut changes = Vec::new();
    let mut refused = Vec::new();
    for ((name, rtype), want) in &desired.rrsets {
        let have = by_key.get(&(name.as_str(), rtype.as_str()));
        if have.is_none()
            && !force
            && let Some(block) = blocked(want)
        {
            refused.push(Refused {
                actual: block.set.clone(),
                owner: block.owner.clone(),
                desired: want.clone(),
            });
            continue;
        }
        match have {
            None => changes.push(Change::Create { to: want.clone() }),
            Some(have) => {
                let same = have.all_enabled && have.set.ttl == want.ttl && have.set.contents == want.contents;
                let ours = mine(have);
                // A set under the old marker is re-marked even when its content is right.
                let remark = ours && !have.is_owned_by(&desired.owner);
                match (same && !remark, ours, force) {
                    (true, true, _) | (true, false, false) => {}
                    (_, true, _) | (_, false, true) => {
                        changes.push(Change::Update { from: have.set.clone(), to: want.clone() });
                    }
                    (false, false, false) => {
                        refused.push(Refused {
                            actual: have.set.clone(),
                            owner: have.owner.clone(),
                            desired: want.clone(),
                        });
                    }
                }
            }
        }
    }
    for ((name, rtype), have) in &by_key {
        // Only this owner's own marked sets are deleted (legacy ones a Sovereign re-marks are in
        // the desired state, so never here).
        if have.is_owned_by(&desired.owner)
            && !desired.rrsets.contains_key(&((*name).to_owned(), (*rtype).to_owned()))
        {
            changes.push(Change::Delete { from: have.set.clone() });
        }
    }
    changes.sort_by(|a, b| a.key().cmp(&b.key()));
    ZonePlan {
        zone: desired.zone.clone(),
        owner: desired.owner.clone(),
        create_zone: actual.is_none(),
        changes,
        refused,
        basis: std::sync::Arc::new((desired.clone(), force)),
    }
}

impl ZonePlan {
    /// The plan of the same desired zone against `actual` (the zone as it is now; `None`:
    /// absent), with the same `force`.
    #[must_use]
    pub fn replan(&self, actual: Option<&[ActualSet]>) -> Self {
        plan_zone(&self.basis.0, actual, self.basis.1)
    }

    /// The PATCH bodies carrying every change: one, unless that one would exceed
    /// `max_body` bytes. No change, no body.
    pub fn patches(&self, max_body: usize) -> Vec<ZonePatch> {
        let mut patches: Vec<ZonePatch> = Vec::new();
        let mut current = ZonePatch::default();
        let mut size = "{\"rrsets\":[]}".len();
        for change in &self.changes {
            let rrset = change.rrset(&self.owner);
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
