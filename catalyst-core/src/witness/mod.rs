//! The Continuum lease witness (SPEC CONT-2): one holder at a time of a lease with a TTL, so a
//! standby region never takes over while the primary's lease is valid.
//!
//! [`Witness`] is the contract; [`InMemoryWitness`] implements it over a [`Clock`] (tests and
//! single-process use) and, with the `client` feature, [`KubeLeaseWitness`] over a Kubernetes
//! `coordination.k8s.io/v1` Lease with resourceVersion compare-and-swap.
//!
//! ```
//! use std::time::Duration;
//! use catalyst_core::witness::{InMemoryWitness, ManualClock, Witness, WitnessError};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let clock = ManualClock::new("2026-12-07T10:00:00Z".parse().unwrap());
//! let witness = InMemoryWitness::new(clock.clone());
//! let ttl = Duration::from_secs(30);
//! let lease = witness.acquire("hz-fsn-rtz-prod", ttl).await.unwrap();
//! assert_eq!(lease.generation, 1);
//! // Another region cannot take a valid lease…
//! assert!(matches!(witness.acquire("hz-hel-rtz-prod", ttl).await, Err(WitnessError::HeldByAnother { .. })));
//! // …until it expires.
//! clock.advance(Duration::from_secs(31));
//! assert_eq!(witness.acquire("hz-hel-rtz-prod", ttl).await.unwrap().generation, 2);
//! // The old holder's renew now fails.
//! assert!(matches!(witness.renew("hz-fsn-rtz-prod").await, Err(WitnessError::LeaseLost { .. })));
//! # });
//! ```

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

/// Shortest lease TTL, seconds (SPEC CONT-2).
pub const MIN_TTL_SECONDS: i64 = 5;
/// Longest lease TTL, seconds.
pub const MAX_TTL_SECONDS: i64 = 600;

/// The lease as the witness holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseState {
    /// Who holds it; `None` when free.
    pub holder: Option<String>,
    /// When the holder took it.
    pub acquired_at: Option<Timestamp>,
    /// When it lapses unless renewed.
    pub expires_at: Option<Timestamp>,
    /// Incremented on every acquire: a fencing token.
    pub generation: u64,
    /// The TTL each renew extends it by.
    #[serde(skip)]
    pub ttl: Duration,
}

impl LeaseState {
    /// Whether `holder` holds it and it has not lapsed at `now`.
    pub fn held_by(&self, holder: &str, now: Timestamp) -> bool {
        self.holder.as_deref() == Some(holder) && self.expires_at.is_some_and(|e| now < e)
    }

    /// Whether anyone holds it unexpired at `now`.
    pub fn is_held(&self, now: Timestamp) -> bool {
        self.holder.is_some() && self.expires_at.is_some_and(|e| now < e)
    }
}

/// Why the witness said no.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// Someone else holds an unexpired lease.
    #[error("HeldByAnother: the lease is held by {holder} until {expires_at}")]
    HeldByAnother {
        /// The holder.
        holder: String,
        /// Until when.
        expires_at: String,
    },
    /// The caller no longer holds the lease (another holder, expiry, or a lost race).
    #[error("LeaseLost: {reason}")]
    LeaseLost {
        /// What happened.
        reason: String,
    },
    /// The witness cannot be reached or cannot decide.
    #[error("QuorumUnavailable: {0}")]
    QuorumUnavailable(String),
    /// The lease object cannot be named (`cw-<namespace>-<name>` longer than 253 characters).
    #[error("InvalidLeaseName: {0}")]
    InvalidLeaseName(String),
    /// `renewSeconds`/`ttlSeconds` outside SPEC CONT-2.
    #[error(
        "InvalidLeaseTiming: renewSeconds {renew_seconds} and ttlSeconds {ttl_seconds}: ttlSeconds must be 5 to 600 and renewSeconds 1 to 60 and below ttlSeconds/2"
    )]
    InvalidLeaseTiming {
        /// The renew period given.
        renew_seconds: i64,
        /// The TTL given.
        ttl_seconds: i64,
    },
}

/// Validated lease numbers (SPEC CONT-2, which the platform never enforced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseTiming {
    /// How often the holder renews.
    pub renew: Duration,
    /// How long a lease lasts unrenewed.
    pub ttl: Duration,
}

impl LeaseTiming {
    /// The platform's numbers: renew every 10 s, TTL 30 s.
    pub const DEFAULT: Self = Self { renew: Duration::from_secs(10), ttl: Duration::from_secs(30) };

    /// Checks `renewSeconds` < `ttlSeconds`/2, `renewSeconds` in 1..=60, `ttlSeconds` in 5..=600.
    ///
    /// # Errors
    /// [`WitnessError::InvalidLeaseTiming`].
    pub fn new(renew_seconds: i64, ttl_seconds: i64) -> Result<Self, WitnessError> {
        let ok = (MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&ttl_seconds)
            && (1..=60).contains(&renew_seconds)
            && renew_seconds.saturating_mul(2) < ttl_seconds;
        if !ok {
            return Err(WitnessError::InvalidLeaseTiming { renew_seconds, ttl_seconds });
        }
        Ok(Self {
            renew: Duration::from_secs(renew_seconds.unsigned_abs()),
            ttl: Duration::from_secs(ttl_seconds.unsigned_abs()),
        })
    }
}

/// Where the witness reads the time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that moves only when told (tests).
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    /// A clock at `at`.
    pub fn new(at: Timestamp) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Moves it forward.
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *t = add(*t, by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

/// `t + d`, saturating at the largest timestamp.
pub(crate) fn add(t: Timestamp, d: Duration) -> Timestamp {
    jiff::SignedDuration::try_from(d).ok().and_then(|d| t.checked_add(d).ok()).unwrap_or(Timestamp::MAX)
}

/// The lease contract (SPEC CONT-2).
pub trait Witness: Send + Sync {
    /// Takes the lease for `ttl` when it is free, expired or already `holder`'s; the generation
    /// goes up by one.
    ///
    /// # Errors
    /// [`WitnessError::HeldByAnother`], or [`WitnessError::QuorumUnavailable`].
    fn acquire(
        &self,
        holder: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<LeaseState, WitnessError>> + Send;

    /// Extends `holder`'s lease by its TTL.
    ///
    /// # Errors
    /// [`WitnessError::LeaseLost`] when another holds it or it has expired, or
    /// [`WitnessError::QuorumUnavailable`].
    fn renew(&self, holder: &str) -> impl Future<Output = Result<LeaseState, WitnessError>> + Send;

    /// Gives the lease up; by anyone but the holder, nothing happens.
    ///
    /// # Errors
    /// [`WitnessError::QuorumUnavailable`].
    fn release(&self, holder: &str) -> impl Future<Output = Result<(), WitnessError>> + Send;

    /// The lease as it is.
    ///
    /// # Errors
    /// [`WitnessError::QuorumUnavailable`].
    fn read(&self) -> impl Future<Output = Result<LeaseState, WitnessError>> + Send;
}

/// The rules every witness applies, on a state read at `now`: the state after `acquire`.
pub(crate) fn acquired(
    state: &LeaseState,
    holder: &str,
    ttl: Duration,
    now: Timestamp,
) -> Result<LeaseState, WitnessError> {
    if let Some(other) = state.holder.as_deref()
        && other != holder
        && state.is_held(now)
    {
        return Err(WitnessError::HeldByAnother {
            holder: other.to_owned(),
            expires_at: state.expires_at.map(|t| t.to_string()).unwrap_or_default(),
        });
    }
    let own = state.held_by(holder, now);
    Ok(LeaseState {
        holder: Some(holder.to_owned()),
        acquired_at: if own { state.acquired_at } else { Some(now) },
        expires_at: Some(add(now, ttl)),
        generation: state.generation + 1,
        ttl,
    })
}

/// The state after `renew`.
pub(crate) fn renewed(state: &LeaseState, holder: &str, now: Timestamp) -> Result<LeaseState, WitnessError> {
    match state.holder.as_deref() {
        Some(h) if h == holder && state.is_held(now) => {
            Ok(LeaseState { expires_at: Some(add(now, state.ttl)), ..state.clone() })
        }
        Some(h) if h == holder => Err(WitnessError::LeaseLost {
            reason: format!(
                "{holder}'s lease expired at {}",
                state.expires_at.map(|t| t.to_string()).unwrap_or_default()
            ),
        }),
        Some(other) => Err(WitnessError::LeaseLost { reason: format!("the lease is now held by {other}") }),
        None => Err(WitnessError::LeaseLost { reason: "the lease is free: it was released".into() }),
    }
}

/// The state after `release` by `holder` (`None`: nothing to change). The generation goes up,
/// as the platform's does: a release is a change of hands.
pub(crate) fn released(state: &LeaseState, holder: &str) -> Option<LeaseState> {
    (state.holder.as_deref() == Some(holder)).then(|| LeaseState {
        holder: None,
        acquired_at: None,
        expires_at: None,
        generation: state.generation + 1,
        ..state.clone()
    })
}

/// A witness in memory.
#[derive(Clone, Debug)]
pub struct InMemoryWitness<C: Clock = SystemClock> {
    clock: C,
    state: Arc<Mutex<LeaseState>>,
}

impl<C: Clock> InMemoryWitness<C> {
    /// A free lease read with `clock`.
    pub fn new(clock: C) -> Self {
        Self { clock, state: Arc::default() }
    }

    fn with<T>(&self, f: impl FnOnce(&mut LeaseState, Timestamp) -> T) -> T {
        let now = self.clock.now();
        let mut s = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut s, now)
    }
}

impl<C: Clock> Witness for InMemoryWitness<C> {
    async fn acquire(&self, holder: &str, ttl: Duration) -> Result<LeaseState, WitnessError> {
        self.with(|s, now| {
            let next = acquired(s, holder, ttl, now)?;
            *s = next.clone();
            Ok(next)
        })
    }

    async fn renew(&self, holder: &str) -> Result<LeaseState, WitnessError> {
        self.with(|s, now| {
            let next = renewed(s, holder, now)?;
            *s = next.clone();
            Ok(next)
        })
    }

    async fn release(&self, holder: &str) -> Result<(), WitnessError> {
        self.with(|s, _| {
            if let Some(next) = released(s, holder) {
                *s = next;
            }
            Ok(())
        })
    }

    async fn read(&self) -> Result<LeaseState, WitnessError> {
        self.with(|s, _| Ok(s.clone()))
    }
}

#[cfg(feature = "client")]
mod kube_lease;
#[cfg(feature = "client")]
pub use kube_lease::{KubeLeaseWitness, lease_name};
