//! The bootstrap kit's expected dependency DAG (SPEC BK-2, BK-3): the format of the platform's
//! `scripts/expected-bootstrap-deps.yaml`, the two graphs this crate ships as data, the drift
//! between two such graphs, and the cold-start closure (BK-5).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// Largest expected-DAG file parsed; larger text is an error.
pub const MAX_EXPECTED_DAG_BYTES: usize = 256 * 1024;

/// Most slots an expected DAG may declare.
pub const MAX_EXPECTED_SLOTS: usize = 4096;

/// The ARCH §9.1 48-slot target (SPEC BK-2), in the expected-DAG format.
const ARCH: &str = include_str!("../data/bootstrap-kit/arch-9.1.yaml");

/// The platform CI's expected-DAG file as SPEC BK-3 describes it.
const EXPECTED: &str = include_str!("../data/bootstrap-kit/expected-bootstrap-deps.yaml");

/// The delivery wave a slot belongs to (SPEC BK-3): the kit as first built, then the four W2
/// batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Wave {
    /// Slots 01–14, the kit as first built.
    #[serde(rename = "present")]
    Present,
    /// W2.K1, slots 15–19 (secrets, data, registry).
    #[serde(rename = "W2.K1")]
    W2K1,
    /// W2.K2, slots 20–26 (observability).
    #[serde(rename = "W2.K2")]
    W2K2,
    /// W2.K3, slots 27–34 (security and policy).
    #[serde(rename = "W2.K3")]
    W2K3,
    /// W2.K4, slots 35–48 (edge, apps and AI runtime).
    #[serde(rename = "W2.K4")]
    W2K4,
}

impl Wave {
    /// As written in the file: `present`, `W2.K1` … `W2.K4`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Present => "present",
            Self::W2K1 => "W2.K1",
            Self::W2K2 => "W2.K2",
            Self::W2K3 => "W2.K3",
            Self::W2K4 => "W2.K4",
        }
    }
}

impl fmt::Display for Wave {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One declared slot: the release expected there and what it must depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedSlot {
    /// `01` … `48`, `06a`.
    pub slot: String,
    /// The HelmRelease name (`bp-cilium`).
    pub name: String,
    /// The names its `spec.dependsOn` must hold, as a set.
    pub depends_on: Vec<String>,
    /// The wave that delivers it.
    pub wave: Wave,
}

/// An expected bootstrap-kit DAG: `slots[]{slot, name, depends_on[], wave}` (SPEC BK-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedDag {
    /// Where it came from: a file path, `builtin:arch` or `builtin:expected`.
    pub source: String,
    /// The declared slots, in slot order.
    pub slots: Vec<ExpectedSlot>,
}

/// An expected-DAG file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpectedDagError {
    /// The text is larger than [`MAX_EXPECTED_DAG_BYTES`].
    #[error("{file}: {len} bytes, more than the {max} an expected DAG may have")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not YAML of the expected shape.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// What is wrong, with the location.
        message: String,
    },
    /// One slot entry breaks a rule.
    #[error("{file}: slots[{index}]: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The entry.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// `builtin:NAME` names no shipped graph.
    #[error(
        "unknown builtin {name:?}: the shipped graphs are builtin:arch (ARCH §9.1) and builtin:expected (SPEC BK-3)"
    )]
    UnknownBuiltin {
        /// The name after `builtin:`.
        name: String,
    },
}

/// The file's shape before the rules are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    slots: Vec<RawSlot>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlot {
    slot: RawSlotId,
    name: String,
    #[serde(default)]
    depends_on: Option<Vec<String>>,
    wave: Wave,
}

/// `slot: 01` is the integer 1 in YAML; `slot: "06a"` a string. Both are accepted.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawSlotId {
    Number(u64),
    Text(String),
}

impl ExpectedDag {
    /// Parses an expected-DAG file. `source` names it in errors (a path, usually).
    ///
    /// # Errors
    /// [`ExpectedDagError`] naming the file and, for a rule, the slot entry: too large, not
    /// YAML of the shape, a slot that is not `NN` or `NNx`, a name that is empty or not a DNS
    /// label, a slot or name declared twice, a release depending on itself.
    pub fn parse(source: &str, text: &str) -> Result<Self, ExpectedDagError> {
        let source = source.to_owned();
        if text.len() > MAX_EXPECTED_DAG_BYTES {
            return Err(ExpectedDagError::TooLarge {
                file: source,
                len: text.len(),
                max: MAX_EXPECTED_DAG_BYTES,
            });
        }
        let raw: RawFile = serde_saphyr::from_str(text)
            .map_err(|e| ExpectedDagError::Parse { file: source.clone(), message: e.to_string() })?;
        if raw.slots.len() > MAX_EXPECTED_SLOTS {
            return Err(ExpectedDagError::Parse {
                file: source,
                message: format!("{} slots, more than the {MAX_EXPECTED_SLOTS} allowed", raw.slots.len()),
            });
        }
        let invalid =
            |index, message: String| ExpectedDagError::Invalid { file: source.clone(), index, message };
        let mut slots = Vec::with_capacity(raw.slots.len());
        let mut by_slot: BTreeMap<(u32, String), usize> = BTreeMap::new();
        let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
        for (index, r) in raw.slots.into_iter().enumerate() {
            let slot = match r.slot {
                RawSlotId::Number(n) if n < 1000 => format!("{n:02}"),
                RawSlotId::Number(n) => return Err(invalid(index, format!("slot {n} is out of range"))),
                RawSlotId::Text(t) => t,
            };
            let Some(key) = slot_key(&slot) else {
                return Err(invalid(
                    index,
                    format!("slot {slot:?} is not a slot number (NN, or NN and a letter)"),
                ));
            };
            if let Err(reason) = check_release_name(&r.name) {
                return Err(invalid(index, format!("name {:?} {reason}", r.name)));
            }
            let mut depends_on = r.depends_on.unwrap_or_default();
            let mut seen = BTreeSet::new();
            for dep in &depends_on {
                if let Err(reason) = check_release_name(dep) {
                    return Err(invalid(index, format!("depends_on {dep:?} {reason}")));
                }
                if *dep == r.name {
                    return Err(invalid(index, format!("{} depends on itself", r.name)));
                }
                if !seen.insert(dep.as_str()) {
                    return Err(invalid(index, format!("depends_on lists {dep} twice")));
                }
            }
            depends_on.shrink_to_fit();
            if let Some(prev) = by_slot.insert(key, index) {
                return Err(invalid(index, format!("slot {slot} is also declared by slots[{prev}]")));
            }
            if let Some(prev) = by_name.insert(r.name.clone(), index) {
                return Err(invalid(index, format!("{} is also declared by slots[{prev}]", r.name)));
            }
            slots.push(ExpectedSlot { slot, name: r.name, depends_on, wave: r.wave });
        }
        slots.sort_by_key(|a| slot_key(&a.slot));
        Ok(Self { source, slots })
    }

    /// A shipped graph: `arch` is the ARCH §9.1 48-slot target (SPEC BK-2), `expected` the
    /// platform CI's expected-DAG file as SPEC BK-3 describes it.
    ///
    /// # Errors
    /// [`ExpectedDagError::UnknownBuiltin`] for any other name.
    pub fn builtin(name: &str) -> Result<Self, ExpectedDagError> {
        let text = match name {
            "arch" => ARCH,
            "expected" => EXPECTED,
            _ => return Err(ExpectedDagError::UnknownBuiltin { name: name.to_owned() }),
        };
        Self::parse(&format!("builtin:{name}"), text)
    }

    /// The shipped graph's text, for `catalyst bootstrap-kit diff` and for copying.
    pub fn builtin_text(name: &str) -> Option<&'static str> {
        match name {
            "arch" => Some(ARCH),
            "expected" => Some(EXPECTED),
            _ => None,
        }
    }

    /// The declared slot of a release.
    pub fn get(&self, name: &str) -> Option<&ExpectedSlot> {
        self.slots.iter().find(|s| s.name == name)
    }

    /// Declared dependencies naming no declared slot (SPEC BK-4 rule 5), as (release,
    /// dependency), in slot order.
    pub fn dangling(&self) -> Vec<(String, String)> {
        let names: BTreeSet<&str> = self.slots.iter().map(|s| s.name.as_str()).collect();
        self.slots
            .iter()
            .flat_map(|s| {
                s.depends_on
                    .iter()
                    .filter(|d| !names.contains(d.as_str()))
                    .map(|d| (s.name.clone(), d.clone()))
            })
            .collect()
    }

    /// BK-5 cold-start closure of this graph: the Phase-0 slots (01–15 and 19) whose declared
    /// dependencies leave that set.
    pub fn cold_start_gaps(&self) -> Vec<ColdStartGap> {
        cold_start_gaps(
            self.slots.iter().map(|s| (s.slot.as_str(), s.name.as_str(), s.depends_on.as_slice())),
        )
    }

    /// The drift from `self` (the reference) to `other`: slots only in one, releases that moved
    /// slot or wave, and dependency sets that differ (`missing` = in `self` only, `extra` = in
    /// `other` only).
    pub fn diff(&self, other: &ExpectedDag) -> DagDiff {
        let mine: BTreeMap<&str, &ExpectedSlot> = self.slots.iter().map(|s| (s.name.as_str(), s)).collect();
        let theirs: BTreeMap<&str, &ExpectedSlot> =
            other.slots.iter().map(|s| (s.name.as_str(), s)).collect();
        let mut out =
            DagDiff { left: self.source.clone(), right: other.source.clone(), ..DagDiff::default() };
        for s in &self.slots {
            let Some(o) = theirs.get(s.name.as_str()) else {
                out.only_left.push(s.clone());
                continue;
            };
            if slot_key(&s.slot) != slot_key(&o.slot) {
                out.moved.push(Moved { name: s.name.clone(), left: s.slot.clone(), right: o.slot.clone() });
            }
            if s.wave != o.wave {
                out.rewaved.push(Rewaved { name: s.name.clone(), left: s.wave, right: o.wave });
            }
            if let Some(d) = DependsDrift::between(&s.name, &s.depends_on, &o.depends_on) {
                out.depends.push(d);
            }
        }
        out.only_right =
            other.slots.iter().filter(|s| !mine.contains_key(s.name.as_str())).cloned().collect();
        out
    }
}

/// A release name in an expected DAG: a DNS label (`bp-cilium`), as a HelmRelease name is.
fn check_release_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("is empty");
    }
    if name.len() > 63 {
        return Err("is longer than 63 characters");
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || name.starts_with('-')
        || name.ends_with('-')
    {
        return Err("is not a DNS label (lowercase letters, digits and '-')");
    }
    Ok(())
}

/// Sort key of a slot (`06` < `06a` < `07`); `None` when it is not `digits[letter]`.
pub(crate) fn slot_key(slot: &str) -> Option<(u32, String)> {
    let digits = slot.trim_end_matches(|c: char| c.is_ascii_lowercase());
    let letters = slot.len() - digits.len();
    if digits.is_empty() || digits.len() > 3 || letters > 1 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, slot[digits.len()..].to_owned()))
}

/// A release whose dependencies differ from what is declared (SPEC BK-4 rule 3), compared as
/// sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependsDrift {
    /// The release.
    pub name: String,
    /// Declared, not depended on.
    pub missing: Vec<String>,
    /// Depended on, not declared.
    pub extra: Vec<String>,
}

impl DependsDrift {
    /// The drift from `declared` to `actual`, `None` when they are the same set. Both lists keep
    /// their own order in the result.
    pub(crate) fn between(name: &str, declared: &[String], actual: &[String]) -> Option<Self> {
        let d: BTreeSet<&String> = declared.iter().collect();
        let a: BTreeSet<&String> = actual.iter().collect();
        // Each name once, in its first position.
        let once = |list: &[String], other: &BTreeSet<&String>| {
            let mut seen = BTreeSet::new();
            list.iter().filter(|x| !other.contains(x) && seen.insert(*x)).cloned().collect::<Vec<String>>()
        };
        let missing = once(declared, &a);
        let extra = once(actual, &d);
        (!missing.is_empty() || !extra.is_empty()).then(|| Self { name: name.to_owned(), missing, extra })
    }
}

/// A release that moved slot between two graphs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    /// The release.
    pub name: String,
    /// Its slot on the left.
    pub left: String,
    /// Its slot on the right.
    pub right: String,
}

/// A release that moved wave between two graphs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rewaved {
    /// The release.
    pub name: String,
    /// Its wave on the left.
    pub left: Wave,
    /// Its wave on the right.
    pub right: Wave,
}

/// The drift between two expected DAGs ([`ExpectedDag::diff`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DagDiff {
    /// The reference graph's source.
    pub left: String,
    /// The other graph's source.
    pub right: String,
    /// Declared on the left only.
    pub only_left: Vec<ExpectedSlot>,
    /// Declared on the right only.
    pub only_right: Vec<ExpectedSlot>,
    /// Releases at another slot.
    pub moved: Vec<Moved>,
    /// Releases in another wave.
    pub rewaved: Vec<Rewaved>,
    /// Releases whose dependencies differ: `missing` on the right, `extra` on the right.
    pub depends: Vec<DependsDrift>,
}

impl DagDiff {
    /// Whether the two graphs agree.
    pub fn is_empty(&self) -> bool {
        self.only_left.is_empty()
            && self.only_right.is_empty()
            && self.moved.is_empty()
            && self.rewaved.is_empty()
            && self.depends.is_empty()
    }
}

/// A Phase-0 release whose dependencies leave the cold-start set (SPEC BK-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColdStartGap {
    /// Its slot.
    pub slot: String,
    /// The release.
    pub name: String,
    /// Its dependencies outside slots 01–15 and 19, with their slots (`bp-cnpg (16)`).
    pub missing: Vec<String>,
}

/// Whether a slot is in the cold-start (Phase 0) set: 01–15 and 19 (SPEC BK-5).
pub fn is_cold_start_slot(slot: &str) -> bool {
    slot_key(slot).is_some_and(|(n, _)| (1..=15).contains(&n) || n == 19)
}

/// The cold-start gaps of a graph given as `(slot, name, depends_on)`. A dependency naming no
/// release of the graph is not a gap (it is dangling, reported elsewhere).
pub(crate) fn cold_start_gaps<'a>(
    releases: impl Iterator<Item = (&'a str, &'a str, &'a [String])> + Clone,
) -> Vec<ColdStartGap> {
    let slots: BTreeMap<&str, &str> = releases.clone().map(|(slot, name, _)| (name, slot)).collect();
    releases
        .filter(|(slot, _, _)| is_cold_start_slot(slot))
        .filter_map(|(slot, name, deps)| {
            let missing: Vec<String> = deps
                .iter()
                .filter_map(|d| {
                    let s = slots.get(d.as_str())?;
                    (!is_cold_start_slot(s)).then(|| format!("{d} ({s})"))
                })
                .collect();
            (!missing.is_empty()).then(|| ColdStartGap {
                slot: slot.to_owned(),
                name: name.to_owned(),
                missing,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_keys_order_letters_after_their_number() {
        assert!(slot_key("06").unwrap() < slot_key("06a").unwrap());
        assert!(slot_key("06a").unwrap() < slot_key("07").unwrap());
        for bad in ["", "a", "6ab", "x6", "1234", "0-1"] {
            assert_eq!(slot_key(bad), None, "{bad}");
        }
    }
}
