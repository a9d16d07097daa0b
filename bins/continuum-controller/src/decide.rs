//! When to switch over (SPEC CONT-4): on request; automatically only with `autoFailover: true`,
//! after at least three consecutive failed health intervals, with the witness confirming the
//! primary's lease is gone and a standby promotable (lag under the threshold). Otherwise the
//! controller raises `FailoverRecommended` and waits for a human. The platform ignores
//! `autoFailover`; this does not.

use serde::Serialize;

/// The reason of an automatic switchover.
pub const AUTO_FAILOVER: &str = "auto-failover";

/// Consecutive failed intervals before an automatic failover.
pub const FAILED_INTERVALS: u32 = 3;

/// What the controller knows at one tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent facts observed at one tick, not a state machine"
)]
pub struct Observation {
    /// `spec.switchover.requested`.
    pub requested: bool,
    /// `spec.autoFailover`.
    pub auto_failover: bool,
    /// Health or lag checks failed this many intervals in a row.
    pub consecutive_failures: u32,
    /// The witness says the primary no longer holds a valid lease.
    pub witness_confirms: bool,
    /// A standby's replication lag is under the threshold.
    pub standby_promotable: bool,
}

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Decision {
    /// Nothing: healthy, or not failed long enough.
    Hold,
    /// Run the switchover, for this reason.
    Switchover {
        /// `manual` or `auto-failover`.
        reason: String,
    },
    /// Raise the `FailoverRecommended` condition and an audit event; do not switch.
    Recommend {
        /// Why it is not automatic.
        reason: String,
    },
    /// A requested switchover cannot run now: say so (condition `SwitchoverBlocked`) and clear
    /// the request, so it never fires later unannounced.
    Blocked {
        /// Why.
        reason: String,
    },
}

/// The decision for one tick.
pub fn decide(o: Observation) -> Decision {
    if o.requested {
        return if o.standby_promotable {
            Decision::Switchover { reason: "manual".into() }
        } else {
            Decision::Blocked {
                reason:
                    "switchover requested, but no standby is promotable (replication lag over the threshold)"
                        .into(),
            }
        };
    }
    if o.consecutive_failures < FAILED_INTERVALS {
        return Decision::Hold;
    }
    // Stable while it lasts (the count is not in it), so a failing primary does not rewrite the
    // status on every tick.
    let why = format!("the primary failed {FAILED_INTERVALS} or more consecutive health intervals");
    match (o.auto_failover, o.witness_confirms, o.standby_promotable) {
        (true, true, true) => Decision::Switchover { reason: AUTO_FAILOVER.into() },
        (false, _, _) => Decision::Recommend { reason: format!("{why}; autoFailover is off") },
        (true, false, _) => Decision::Recommend {
            reason: format!("{why}, but the witness does not confirm the lease is lost"),
        },
        (true, true, false) => Decision::Recommend { reason: format!("{why}, but no standby is promotable") },
    }
}
