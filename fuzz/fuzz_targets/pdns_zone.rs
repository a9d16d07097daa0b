//! The zone JSON PowerDNS answers, on arbitrary bytes: parsed or refused, never a panic; every
//! parsed set plans and audits, and a plan never deletes or changes what its owner does not own.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sets) = catalyst_dns::parse_zone(data) else { return };
    let _ = catalyst_dns::audit(&sets, &["127.0.0.1".parse().unwrap()]);
    let Ok(zones) = catalyst_dns::parse_desired("owner: fuzz\nzones: [{name: z.test, records: [{name: a, type: A, ttl: 60, content: 127.0.0.1}]}]") else {
        return;
    };
    let owner = catalyst_dns::Owner::new("fuzz").unwrap();
    for force in [false, true] {
        let plan = catalyst_dns::plan_zone(&zones[0], Some(&sets), force);
        for change in &plan.changes {
            if let catalyst_dns::Change::Delete { from } = change {
                let set = sets.iter().find(|s| s.set == *from).expect("a deleted set exists");
                assert_eq!(set.owner.as_ref(), Some(&owner), "deleted a set of another owner: {from}");
            }
            if let catalyst_dns::Change::Update { from, .. } = change
                && !force
            {
                let set = sets.iter().find(|s| s.set == *from).expect("an updated set exists");
                assert_eq!(set.owner.as_ref(), Some(&owner), "changed a set of another owner without force: {from}");
            }
        }
        let _ = plan.patches(catalyst_dns::DEFAULT_MAX_BODY);
    }
});
