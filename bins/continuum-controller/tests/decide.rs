//! SPEC CONT-4: automatic failover only when asked for, after three failed intervals, with
//! the witness confirming and a standby promotable.

#![allow(clippy::unwrap_used)]

use continuum_controller::decide::{Decision, Observation, decide};

#[test]
fn auto_failover_needs_every_condition() {
    let base = Observation {
        auto_failover: true,
        consecutive_failures: 3,
        witness_confirms: true,
        standby_promotable: true,
        requested: false,
    };
    assert_eq!(decide(base), Decision::Switchover { reason: "auto-failover".into() });
    assert_eq!(decide(Observation { consecutive_failures: 2, ..base }), Decision::Hold);
    assert_eq!(
        decide(Observation { auto_failover: false, ..base }),
        Decision::Recommend {
            reason: "the primary failed 3 or more consecutive health intervals; autoFailover is off".into()
        }
    );
    assert_eq!(
        decide(Observation { witness_confirms: false, ..base }),
        Decision::Recommend { reason: "the primary failed 3 or more consecutive health intervals, but the witness does not confirm the lease is lost".into() }
    );
    assert_eq!(
        decide(Observation { standby_promotable: false, consecutive_failures: 7, ..base }),
        Decision::Recommend {
            reason: "the primary failed 3 or more consecutive health intervals, but no standby is promotable"
                .into()
        }
    );
    // A request switches regardless of autoFailover, if a standby can take it.
    let asked = Observation { requested: true, ..Observation::default() };
    assert!(matches!(decide(asked), Decision::Blocked { .. }));
    assert_eq!(
        decide(Observation { standby_promotable: true, ..asked }),
        Decision::Switchover { reason: "manual".into() }
    );
    assert_eq!(decide(Observation::default()), Decision::Hold);
}
