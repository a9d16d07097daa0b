//! The zone PowerDNS answers to `GET …/zones/{zone}`, parsed (pure: the client and the fuzz
//! target share it).

use serde::Deserialize;

use crate::canonical_name;
use crate::desired::RecordSet;
use crate::plan::ActualSet;
use crate::rrset::Comment;

#[derive(Deserialize)]
struct ApiZone {
    rrsets: Vec<ApiRrset>,
}

/// The record sets of a zone as PowerDNS answers `GET …/zones/{zone}`, sorted, each with the
/// owner its catalyst marker names. The answer is untrusted input: any shape error is an
/// error, never a panic (`serde_json` also bounds nesting at 128 levels).
///
/// ```
/// let sets = catalyst_dns::parse_zone(br#"{"name": "z.test.", "rrsets": [
///   {"name": "A.z.test.", "type": "A", "ttl": 60, "records": [{"content": "127.0.0.2", "disabled": false}],
///    "comments": [{"content": "managed-by: catalyst; owner: t1", "account": "catalyst"}]}]}"#)?;
/// assert_eq!(sets[0].set.name, "a.z.test.");
/// assert_eq!(sets[0].owner.as_ref().map(|o| o.as_str()), Some("t1"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn parse_zone(bytes: &[u8]) -> Result<Vec<ActualSet>, serde_json::Error> {
    let z: ApiZone = serde_json::from_slice(bytes)?;
    let mut sets: Vec<ActualSet> = z
        .rrsets
        .into_iter()
        .map(|r| {
            let mut contents: Vec<String> = r.records.iter().map(|x| x.content.clone()).collect();
            contents.sort();
            ActualSet {
                owner: crate::Owner::from_comments(&r.comments),
                legacy_marker: crate::Owner::is_legacy_marker(&r.comments),
                all_enabled: r.records.iter().all(|x| !x.disabled),
                set: RecordSet { name: canonical_name(&r.name), rtype: r.rtype, ttl: r.ttl, contents },
            }
        })
        .collect();
    sets.sort_by(|a, b| a.set.cmp(&b.set));
    // PowerDNS lists each (name, type) once; an answer that lists one twice (with different
    // markers, say) is ambiguous about who owns it and is refused (found by fuzzing).
    if let Some(w) =
        sets.windows(2).find(|w| w[0].set.name == w[1].set.name && w[0].set.rtype == w[1].set.rtype)
    {
        return Err(serde::de::Error::custom(format!(
            "the zone lists {} {} twice",
            catalyst_naming::untrusted::remote_text(&w[0].set.name),
            catalyst_naming::untrusted::remote_text(&w[0].set.rtype)
        )));
    }
    Ok(sets)
}

#[derive(Deserialize)]
struct ApiRrset {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: u32,
    #[serde(default)]
    records: Vec<crate::Record>,
    #[serde(default)]
    comments: Vec<Comment>,
}
