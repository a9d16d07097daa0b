//! One worker per Continuum (SPEC CONT-2 … CONT-4): every `renewSeconds` it holds the witness
//! lease, observes the CNPG pair, decides, runs a switchover when one is due, and writes the
//! status — only when it changed, so a healthy Continuum costs one Lease renewal per tick and
//! nothing else.
//!
//! [`tick`] is one such round, testable without timers; [`run_worker`] repeats it until the
//! Continuum is deleted or the worker is stopped.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use catalyst_core::conditions::{
    ConditionStatus, ConditionUpdate, ContinuumReason, continuum_types, find_condition, set_condition, types,
};
use catalyst_core::crd::{
    Continuum, ContinuumPhase, ContinuumStatus, LastLuaRecord, LastSwitchover, LeaseKind, LuaRecordStatus,
};
use catalyst_core::witness::{Clock, KubeLeaseWitness, LeaseState, LeaseTiming, Witness, WitnessError};
use catalyst_dns::continuum::{ContinuumRecord, SynthParams};
use catalyst_dns::pdm::{PdmClient, commit_zone};
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams};
use serde_json::{Value, json};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::audit::{Audit, AuditEvent, AuditSink as _, AuditType, Transitions};
use crate::decide::AUTO_FAILOVER;
use crate::decide::{Decision, Observation, decide};
use crate::kube_ops::{KubeOps, Targets, switchover_event};
use crate::metrics::Metrics;
use crate::objects::PAIR_LABEL;
use crate::observe::{Grace, PairObservation, Standby, observe_pair};
use crate::switchover::{
    Step, StepError, Switched, SwitchoverFailed, SwitchoverOps, SwitchoverPlan, switchover,
};

/// The field manager of the controller's status writes (server-side apply).
pub const FIELD_MANAGER: &str = "continuum-controller";
/// Seconds to wait after draining HTTP traffic when `spec.switchover.drainSeconds` is unset.
pub const DEFAULT_DRAIN_SECONDS: i64 = 10;
/// The standby grace window when `spec.standbyGraceSeconds` is unset.
pub const DEFAULT_STANDBY_GRACE_SECONDS: i64 = 30;
/// How long past its expiry (by this controller's clock) the primary's lease still counts as
/// held, so a standby region whose clock runs ahead does not see it expire early.
pub const CLOCK_SKEW_MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_secs(5);
/// The wait after a failed automatic switchover; it doubles with each further failure.
pub const AUTO_RETRY_BASE: Duration = Duration::from_secs(60);
/// The longest wait between automatic switchover attempts.
pub const AUTO_RETRY_MAX: Duration = Duration::from_secs(1800);
/// Who a switchover is recorded as when `spec.switchover.requestedBy` is unset.
pub const DEFAULT_INITIATOR: &str = "controller";

/// Where this controller runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `CATALYST_REGION`: the region this controller holds the lease as; unset, it holds as the
    /// acting primary (one controller for every region).
    pub region: Option<String>,
    /// `CATALYST_LEASE_NS`: the namespace of the witness Leases; unset, each Continuum's own.
    pub lease_namespace: Option<String>,
}

/// What every worker and reconcile shares.
pub struct Context {
    /// The Kubernetes API.
    pub kube: kube::Client,
    /// The pool-domain-manager; `None` blocks switchovers (DNS could not follow).
    pub pdm: Option<PdmClient>,
    /// Where audit events go.
    pub audit: Audit,
    /// Which audit events were published, so a steady state publishes nothing.
    pub transitions: Transitions,
    /// The witness's and the conditions' clock.
    pub clock: Arc<dyn Clock>,
    /// Configuration.
    pub settings: Settings,
    /// Counters.
    pub metrics: Metrics,
    /// The running workers.
    pub workers: Workers,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Context {
    /// A context on the system clock.
    pub fn new(kube: kube::Client, pdm: Option<PdmClient>, audit: Audit, settings: Settings) -> Self {
        Self {
            kube,
            pdm,
            audit,
            transitions: Transitions::default(),
            clock: Arc::new(catalyst_core::witness::SystemClock),
            settings,
            metrics: Metrics::new(),
            workers: Workers::default(),
        }
    }

    fn now(&self) -> Time {
        Time(self.clock.now())
    }

    /// The Continuum API of `namespace`, untyped (an object that does not fit the type is
    /// reported, not a read error).
    pub fn continuums(&self, namespace: &str) -> Api<DynamicObject> {
        Api::namespaced_with(self.kube.clone(), namespace, &ApiResource::erase::<Continuum>(&()))
    }

    /// Publishes a one-off `event` (a switchover's outcome, a request taken): never held back
    /// as a repeat. `false` when it was not recorded.
    pub async fn record(&self, event: &AuditEvent) -> bool {
        match self.audit.publish(event).await {
            Ok(()) => {
                self.metrics.audited(event.kind);
                true
            }
            Err(e) => {
                warn!(continuum = %event.continuum_name, audit = event.kind.as_str(), error = %e, "audit event not recorded");
                false
            }
        }
    }

    /// Publishes `event` when it is a transition; a failed publish is logged and retried at
    /// the next transition check (steady state keeps working without NATS).
    pub async fn publish(&self, event: &AuditEvent) {
        if !self.transitions.is_new(event) {
            return;
        }
        match self.audit.publish(event).await {
            Ok(()) => {
                self.transitions.published(event);
                self.metrics.audited(event.kind);
            }
            Err(e) => {
                warn!(continuum = %event.continuum_name, audit = event.kind.as_str(), error = %e, "audit event not recorded");
            }
        }
    }
}

/// A reconcile or tick that must be retried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the Continuum or writing it failed.
    #[error("Continuum {name}: {action}")]
    Kube {
        /// `<namespace>/<name>`.
        name: String,
        /// What was being done.
        action: &'static str,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The object has no name or namespace.
    #[error("the Continuum has no metadata.name or metadata.namespace")]
    Unnamed,
    /// The reconcile was stopped: leadership was lost or the process is shutting down.
    #[error("stopped: leadership lost or shutting down")]
    Stopped,
}

impl Error {
    /// Whether retrying without a change cannot help (see the environment-controller).
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Unnamed => true,
            Self::Kube { source: kube::Error::Api(status), .. } => {
                (400..500).contains(&status.code) && !matches!(status.code, 401 | 403 | 408 | 409 | 429)
            }
            Self::Kube { .. } | Self::Stopped => false,
        }
    }
}

fn kube_err<'a>(key: &'a str, action: &'static str) -> impl FnOnce(kube::Error) -> Error + 'a {
    move |source| Error::Kube { name: key.to_owned(), action, source }
}

/// A Continuum as read: its JSON, and the typed object or why the spec is invalid.
#[derive(Debug)]
pub struct Read {
    /// The object as the API returned it.
    pub json: Value,
    /// The typed object, or the validation errors joined with `; `.
    pub typed: Result<Continuum, String>,
}

/// Reads the Continuum `namespace/name` fresh; `None` when it does not exist.
///
/// # Errors
/// [`Error::Kube`] when the API fails.
pub async fn read(ctx: &Context, namespace: &str, name: &str) -> Result<Option<Read>, Error> {
    let key = format!("{namespace}/{name}");
    let Some(obj) = ctx.continuums(namespace).get_opt(name).await.map_err(kube_err(&key, "reading"))? else {
        return Ok(None);
    };
    let mut json = serde_json::to_value(&obj).unwrap_or_default();
    if json.get("apiVersion").is_none_or(Value::is_null) {
        json["apiVersion"] = json!("dr.openova.io/v1");
        json["kind"] = json!("Continuum");
    }
    let report = catalyst_core::validate::validate_document(&json);
    let errors: Vec<String> = report.errors().map(ToString::to_string).collect();
    let typed = if errors.is_empty() {
        serde_json::from_value::<Continuum>(json.clone()).map_err(|e| e.to_string()).and_then(|c| {
            if c.spec.lease_client.kind == LeaseKind::K8sLease {
                Ok(c)
            } else {
                Err(format!(
                    "spec.leaseClient.kind: {} is not a witness this controller has; use k8s-lease",
                    serde_json::to_value(c.spec.lease_client.kind)
                        .unwrap_or_default()
                        .as_str()
                        .unwrap_or_default()
                ))
            }
        })
    } else {
        Err(errors.join("; "))
    };
    Ok(Some(Read { json, typed }))
}

/// Writes `status` by server-side apply.
///
/// # Errors
/// [`Error::Kube`].
pub async fn write_status(
    ctx: &Context,
    namespace: &str,
    name: &str,
    status: &ContinuumStatus,
) -> Result<(), Error> {
    let key = format!("{namespace}/{name}");
    let patch = json!({"apiVersion": "dr.openova.io/v1", "kind": "Continuum", "status": status});
    ctx.continuums(namespace)
        .patch_status(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&patch))
        .await
        .map_err(kube_err(&key, "writing the status"))?;
    ctx.metrics.status_written();
    Ok(())
}

/// The region acting as primary: the one the last switchover left as primary, recorded on the
/// object (annotation `dr.openova.io/primary`, written with the end of the switchover, so a
/// lost status write cannot forget it), else `status.primaryRegion`, while it is one of the
/// spec's regions; else `spec.primaryRegion`.
pub fn acting_primary(c: &Continuum) -> String {
    let recorded = annotation(c, catalyst_naming::keys::CONTINUUM_PRIMARY)
        .or_else(|| c.status.as_ref().and_then(|s| s.primary_region.clone()))
        .filter(|r| !r.is_empty());
    match recorded {
        Some(r) if r == c.spec.primary_region || c.spec.hot_standby_regions.contains(&r) => r,
        _ => c.spec.primary_region.clone(),
    }
}

fn annotation(c: &Continuum, key: &str) -> Option<String> {
    c.metadata.annotations.as_ref().and_then(|a| a.get(key)).cloned()
}

/// Where a switchover from `acting` goes: `spec.primaryRegion` (a failback) or the first
/// standby region, whichever comes first and is not `acting`.
pub fn switchover_target(c: &Continuum, acting: &str) -> Option<String> {
    std::iter::once(&c.spec.primary_region).chain(&c.spec.hot_standby_regions).find(|r| *r != acting).cloned()
}

/// `spec.rto` (`90s`, `5m`, `1h`) in seconds: the largest replication lag tolerated.
pub fn rto_seconds(rto: &str) -> Option<i64> {
    let (digits, unit) = rto.split_at(rto.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = digits.parse().ok()?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return None,
    };
    n.checked_mul(factor)
}

fn lease_timing(c: &Continuum) -> LeaseTiming {
    let config = c.spec.lease_client.config.clone().unwrap_or_default();
    LeaseTiming::new(config.renew_seconds.unwrap_or(10), config.ttl_seconds.unwrap_or(30))
        .unwrap_or(LeaseTiming::DEFAULT)
}

/// The witness of `namespace/name`: a Lease `cw-<namespace>-<name>` in the lease namespace.
///
/// # Errors
/// A name too long for a Lease.
pub fn witness(
    ctx: &Context,
    namespace: &str,
    name: &str,
) -> Result<KubeLeaseWitness<Arc<dyn Clock>>, WitnessError> {
    let w = KubeLeaseWitness::new(ctx.kube.clone(), namespace, name, ctx.clock.clone())?;
    Ok(match &ctx.settings.lease_namespace {
        Some(ns) => w.in_lease_namespace(ctx.kube.clone(), ns),
        None => w,
    })
}

/// What a worker remembers between ticks.
#[derive(Debug, Default)]
pub struct Memory {
    /// The identity this worker holds the lease as.
    holding: Option<String>,
    /// Consecutive ticks with a failed primary or lag over the RTO.
    failures: u32,
    /// The standby grace window.
    grace: Grace,
    /// The switchover-relevant spec last seen.
    fingerprint: Option<String>,
    /// The primary's lease record as last seen, and when this controller first saw it so.
    lease_seen: Option<(LeaseState, Timestamp)>,
    /// This controller saw the acting primary hold the lease at least once.
    primary_seen_holding: bool,
    /// Automatic switchovers that failed in a row, and when the next may run.
    auto_failures: u32,
    retry_after: Option<Timestamp>,
    /// Audit events of completed switchovers not yet recorded, retried each tick.
    owed: Vec<AuditEvent>,
}

impl Memory {
    /// The identity this worker holds the lease as, if any.
    pub fn holding(&self) -> Option<&str> {
        self.holding.as_deref()
    }
}

/// The lease as this tick left it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum LeaseView {
    /// This controller holds it.
    Held,
    /// Another region is the acting primary; this controller only watches. `false` when the
    /// witness confirms the acting primary lost its lease; the holder as read.
    Observer(bool, Option<String>),
    /// Lost and not taken back (why).
    Lost(String),
    /// Held by another region.
    Collision(String),
    /// The witness cannot be reached.
    Unavailable(String),
}

/// `continuum-cnpg-lag-breach` when the lag went over the RTO (once per episode).
async fn lag_event(
    ctx: &Context,
    (key, c): (&str, &Continuum),
    breach: bool,
    lag: Option<i64>,
    max_lag: Option<i64>,
) {
    if breach {
        let mut e = event(AuditType::CnpgLagBreach, key, c);
        e.lag_seconds = lag;
        e.reason = "lag-breach".into();
        e.message =
            format!("replication lag {}s > RTO {}s", lag.unwrap_or_default(), max_lag.unwrap_or_default());
        ctx.publish(&e).await;
    } else {
        ctx.transitions.clear(key, AuditType::CnpgLagBreach);
    }
}

/// `continuum-config-changed` when the switchover-relevant spec changed since the last tick.
async fn config_changed(ctx: &Context, key: &str, c: &Continuum, mem: &mut Memory) {
    let print = fingerprint(c);
    if mem.fingerprint.as_ref().is_some_and(|f| *f != print) {
        let mut e = event(AuditType::ConfigChanged, key, c);
        e.message = format!("spec changed (generation {})", c.metadata.generation.unwrap_or_default());
        ctx.record(&e).await;
    }
    mem.fingerprint = Some(print);
}

/// Publishes the audit events owed by completed switchovers; keeps those that fail.
async fn pay_owed(ctx: &Context, mem: &mut Memory) {
    let mut owed = Vec::new();
    for e in std::mem::take(&mut mem.owed) {
        if !ctx.record(&e).await {
            owed.push(e);
        }
    }
    mem.owed = owed;
}

/// Whether the witness confirms that `acting` lost its lease, judged so that clocks cannot
/// fool it: the record must name `acting`, or be free after this controller saw `acting` hold
/// it (a witness that never saw the primary hold it, such as one local to another cluster,
/// confirms nothing), must have stood unchanged for a whole
/// TTL plus [`CLOCK_SKEW_MARGIN`] *as this controller observed it* (a primary that keeps
/// renewing is alive whatever its clock says), and must have expired by this controller's
/// clock with the same margin.
fn confirms_lost(mem: &mut Memory, lease: &LeaseState, acting: &str, now: Timestamp) -> bool {
    let since = match &mem.lease_seen {
        Some((seen, at)) if seen == lease => *at,
        _ => {
            mem.lease_seen = Some((lease.clone(), now));
            now
        }
    };
    let named = lease.holder.as_deref() == Some(acting);
    mem.primary_seen_holding |= named;
    let ttl = jiff::SignedDuration::try_from(lease.ttl).unwrap_or(jiff::SignedDuration::MAX);
    let unchanged_for = now.duration_since(since);
    (named || (lease.holder.is_none() && mem.primary_seen_holding))
        && unchanged_for >= ttl.saturating_add(CLOCK_SKEW_MARGIN)
        && !lease.held_by(acting, now.checked_sub(CLOCK_SKEW_MARGIN).unwrap_or(now))
}

/// What one tick did.
#[derive(Debug, Default)]
pub struct Tick {
    /// The Continuum no longer exists (the worker stops).
    pub gone: bool,
    /// When to tick again.
    pub renew: Duration,
    /// The status was written (it is only when something changed).
    pub status_written: bool,
    /// A switchover ran: its outcome.
    pub switchover: Option<Result<Switched, SwitchoverFailed>>,
}

fn event(kind: AuditType, key: &str, c: &Continuum) -> AuditEvent {
    AuditEvent::new(kind, key, &c.spec.application_ref)
}

async fn hold_lease<W: Witness>(
    ctx: &Context,
    witness: &W,
    identity: &str,
    ttl: Duration,
    mem: &mut Memory,
    (key, c): (&str, &Continuum),
) -> LeaseView {
    let mut lost = None;
    if mem.holding.as_deref() == Some(identity) {
        match witness.renew(identity).await {
            Ok(_) => return LeaseView::Held,
            Err(WitnessError::LeaseLost { reason }) => {
                lost = Some(reason.clone());
                mem.holding = None;
                let mut e = event(AuditType::LeaseLost, key, c);
                e.reason = "lease-lost".into();
                e.message.clone_from(&reason);
                ctx.publish(&e).await;
                ctx.transitions.clear(key, AuditType::LeaseAcquired);
            }
            Err(e) => return LeaseView::Unavailable(e.to_string()),
        }
    }
    match witness.acquire(identity, ttl).await {
        Ok(_) => {
            mem.holding = Some(identity.to_owned());
            let mut e = event(AuditType::LeaseAcquired, key, c);
            e.to_primary = identity.to_owned();
            ctx.publish(&e).await;
            ctx.transitions.clear(key, AuditType::LeaseLost);
            ctx.transitions.clear(key, AuditType::LeaseCollision);
            LeaseView::Held
        }
        Err(WitnessError::HeldByAnother { holder, expires_at }) => {
            let mut e = event(AuditType::LeaseCollision, key, c);
            e.from_primary.clone_from(&holder);
            e.to_primary = identity.to_owned();
            e.reason = "held-by-another".into();
            e.message = format!("the lease is held by {holder} until {expires_at}");
            ctx.publish(&e).await;
            // Lost this tick and not taken back: that is what the status says.
            match lost {
                Some(reason) => LeaseView::Lost(format!("{reason}; not re-acquired")),
                None => LeaseView::Collision(holder),
            }
        }
        Err(WitnessError::LeaseLost { reason }) => LeaseView::Lost(reason),
        Err(e) => LeaseView::Unavailable(e.to_string()),
    }
}

async fn observe_cnpg(ctx: &Context, c: &Continuum, namespace: &str) -> Option<PairObservation> {
    let pair = c.spec.cnpg_pair.as_ref()?;
    if foreign_namespace(c, namespace).is_some() {
        return None;
    }
    let ns = namespace;
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("postgresql.cnpg.io", "v1", "Cluster"),
        "clusters",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.kube.clone(), ns, &resource);
    match api.list(&ListParams::default().labels(&format!("{PAIR_LABEL}={}", pair.name))).await {
        Ok(list) => {
            let items: Vec<Value> = list.items.iter().filter_map(|o| serde_json::to_value(o).ok()).collect();
            Some(observe_pair(&items))
        }
        Err(e) => {
            warn!(pair = %pair.name, error = %e, "reading the CNPG pair failed; no determination this tick");
            None
        }
    }
}

/// The Application of `c`, for its hostnames (`apps.openova.io/v1`); `None` when absent or
/// unreadable.
async fn application(ctx: &Context, c: &Continuum, namespace: &str) -> Option<Value> {
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("apps.openova.io", "v1", "Application"),
        "applications",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.kube.clone(), namespace, &resource);
    match api.get_opt(&c.spec.application_ref).await {
        Ok(found) => found.and_then(|a| serde_json::to_value(a).ok()),
        Err(e) => {
            warn!(application = %c.spec.application_ref, error = %e, "reading the Application failed");
            None
        }
    }
}

/// A Continuum acts only on its own namespace: another namespace's database and traffic are not
/// its tenant's to read or move. The problem, if the spec points elsewhere.
fn foreign_namespace(c: &Continuum, namespace: &str) -> Option<String> {
    [
        ("spec.cnpgPair.namespace", c.spec.cnpg_pair.as_ref().and_then(|p| p.namespace.as_deref())),
        ("spec.httpRoute.namespace", c.spec.http_route.as_ref().and_then(|r| r.namespace.as_deref())),
    ]
    .into_iter()
    .find_map(|(field, ns)| {
        ns.filter(|n| *n != namespace)
            .map(|other| format!("{field}: {other} is not the Continuum's namespace {namespace}"))
    })
}

/// The switchover's targets from the spec, or why it cannot run.
fn targets(c: &Continuum, spec: &Value, namespace: &str, app: Option<Value>) -> Result<Targets, String> {
    let pair = c.spec.cnpg_pair.as_ref().ok_or("spec.cnpgPair is required to switch a CNPG pair over")?;
    if let Some(problem) = foreign_namespace(c, namespace) {
        return Err(problem);
    }
    let synth = SynthParams::from_spec(spec);
    let records = catalyst_dns::continuum::synthesize(&synth, app.as_ref()).map_err(|e| e.to_string())?;
    let zone = commit_zone(c.spec.pdm_zone.as_deref(), &records)
        .ok_or("no zone to commit to: set spec.pdmZone or list hostnames with a parent domain")?;
    let drain = c.spec.switchover.as_ref().and_then(|s| s.drain_seconds).unwrap_or(DEFAULT_DRAIN_SECONDS);
    Ok(Targets {
        pair: (pair.name.clone(), pair.namespace.clone().unwrap_or_else(|| namespace.to_owned())),
        route: c
            .spec
            .http_route
            .as_ref()
            .map(|r| (r.name.clone(), r.namespace.clone().unwrap_or_else(|| namespace.to_owned()))),
        drain: Duration::from_secs(drain.clamp(0, 600).unsigned_abs()),
        ttl: lease_timing(c).ttl,
        synth,
        application: app,
        zone,
    })
}

/// The switchover's operations, writing `step n/7 — <name>` to the status before each step.
struct Reporting<'a, O> {
    ops: O,
    ctx: &'a Context,
    namespace: &'a str,
    name: &'a str,
    status: ContinuumStatus,
}

impl<O: SwitchoverOps + Sync> SwitchoverOps for Reporting<'_, O> {
    async fn run(&mut self, step: Step, plan: &SwitchoverPlan) -> Result<(), StepError> {
        let message = format!("step {}/7 — {}", step.number(), step.name());
        self.status.phase = Some(ContinuumPhase::SwitchingOver);
        self.status.switchover_step = Some(message.clone());
        set_condition(
            &mut self.status.conditions,
            ConditionUpdate::new(
                types::READY,
                ConditionStatus::Unknown,
                &ContinuumReason::InProgress,
                format!("{message}; from={} to={}", plan.from, plan.to),
            ),
            self.ctx.now(),
        );
        if let Err(e) = write_status(self.ctx, self.namespace, self.name, &self.status).await {
            warn!(error = %e, "writing the switchover step failed; going on");
        }
        self.ops.run(step, plan).await
    }

    async fn rollback(&mut self, step: Step, plan: &SwitchoverPlan) -> Result<(), StepError> {
        self.ops.rollback(step, plan).await
    }
}

fn lua_status(records: &[ContinuumRecord]) -> LastLuaRecord {
    LastLuaRecord {
        records: records
            .iter()
            .map(|r| LuaRecordStatus {
                hostname: r.hostname.clone(),
                body: r.lua_body.clone(),
                ttl: r.ttl,
                primary_region: r.primary_region.clone(),
            })
            .collect(),
    }
}

/// Runs the switchover of `plan`, then records it: status, audit, traffic, the request.
async fn run_switchover(
    ctx: &Context,
    (namespace, name): (&str, &str),
    c: &Continuum,
    targets: Targets,
    plan: &SwitchoverPlan,
    mut status: ContinuumStatus,
) -> (ContinuumStatus, Result<Switched, SwitchoverFailed>) {
    let key = format!("{namespace}/{name}");
    let Some(pdm) = ctx.pdm.clone() else {
        return (
            status,
            Err(step1("no pool-domain-manager configured (PDM_API_URL): DNS could not follow".into())),
        );
    };
    let witness = match witness(ctx, namespace, name) {
        Ok(w) => w,
        Err(e) => return (status, Err(step1(e.to_string()))),
    };
    let ops = KubeOps::new(ctx.kube.clone(), targets, witness, pdm, ctx.audit.clone());
    let mut reporting = Reporting { ops, ctx, namespace, name, status: status.clone() };
    let outcome = switchover(&mut reporting, plan, |_| {}).await;
    let at = ctx.now().0.to_string();
    status.switchover_step = None;
    match &outcome {
        Ok(done) => {
            ctx.metrics.switchover("success");
            if let Err(e) = reporting.ops.restore_traffic(&plan.to).await {
                warn!(continuum = %key, error = %e, "restoring HTTP traffic toward the new primary failed");
            }
            if let Ok(records) = reporting.ops.records_for(&plan.to) {
                status.last_lua_record = Some(lua_status(&records));
                status.last_lua_record_at = Some(at.clone());
            }
            status.phase = Some(ContinuumPhase::FailedOver);
            status.primary_region = Some(plan.to.clone());
            status.lease_holder = Some(plan.to.clone());
            status.last_switchover = Some(LastSwitchover {
                result: "Success".into(),
                from: plan.from.clone(),
                to: plan.to.clone(),
                at,
                reason: plan.reason.clone(),
                initiated_by: plan.initiated_by.clone(),
                rto_observed: Some(format!("{:.3}s", done.rto_observed.as_secs_f64())),
                failed_step: None,
            });
            let message = format!("switchover {} → {} completed", plan.from, plan.to);
            set_condition(
                &mut status.conditions,
                ConditionUpdate::new(types::READY, true, &ContinuumReason::Succeeded, message),
                ctx.now(),
            );
            if plan.to == c.spec.primary_region {
                let mut e = event(AuditType::FailbackCompleted, &key, c);
                e.from_primary.clone_from(&plan.from);
                e.to_primary.clone_from(&plan.to);
                e.initiated_by.clone_from(&plan.initiated_by);
                ctx.record(&e).await;
            }
            info!(continuum = %key, from = %plan.from, to = %plan.to, rto = ?done.rto_observed, "switchover completed");
        }
        Err(failed) => {
            ctx.metrics.switchover("failed");
            let step = format!("{}/7", failed.failed.number());
            let mut e = event(AuditType::Error, &key, c);
            e.from_primary.clone_from(&plan.from);
            e.to_primary.clone_from(&plan.to);
            e.step.clone_from(&step);
            e.reason = "step-failed".into();
            e.message = failed.to_string();
            e.initiated_by.clone_from(&plan.initiated_by);
            ctx.record(&e).await;
            status.phase = Some(ContinuumPhase::Degraded);
            status.last_switchover = Some(LastSwitchover {
                result: "Failed".into(),
                from: plan.from.clone(),
                to: plan.to.clone(),
                at,
                reason: plan.reason.clone(),
                initiated_by: plan.initiated_by.clone(),
                rto_observed: None,
                failed_step: Some(format!("step {step} — {}: {}", failed.failed.name(), failed.error)),
            });
            set_condition(
                &mut status.conditions,
                ConditionUpdate::new(
                    types::READY,
                    false,
                    &ContinuumReason::SwitchoverFailed,
                    failed.to_string(),
                ),
                ctx.now(),
            );
            warn!(continuum = %key, error = %failed, "switchover failed and was rolled back");
        }
    }
    (status, outcome)
}

fn step1(message: String) -> SwitchoverFailed {
    SwitchoverFailed {
        failed: Step::ValidateLease,
        error: StepError(message),
        rolled_back: Vec::new(),
        rollback_errors: Vec::new(),
    }
}

/// Clears `spec.switchover.requested` (a merge patch touching nothing else).
async fn clear_request(ctx: &Context, namespace: &str, name: &str) {
    let patch = json!({"spec": {"switchover": {"requested": false}}});
    if let Err(e) =
        ctx.continuums(namespace).patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await
    {
        warn!(continuum = %format!("{namespace}/{name}"), error = %e, "clearing spec.switchover.requested failed");
    }
}

fn fingerprint(c: &Continuum) -> String {
    let mut spec = serde_json::to_value(&c.spec).unwrap_or_default();
    if let Some(s) = spec.get_mut("switchover").and_then(Value::as_object_mut) {
        s.remove("requested");
        s.remove("requestedBy");
    }
    spec.to_string()
}

/// One tick of the worker of `namespace/name`.
///
/// # Errors
/// [`Error::Kube`] when the Continuum cannot be read or its status written.
pub async fn tick(ctx: &Context, namespace: &str, name: &str, mem: &mut Memory) -> Result<Tick, Error> {
    let key = format!("{namespace}/{name}");
    let Some(read) = read(ctx, namespace, name).await? else {
        // Deleted: give the lease up so the standbys see it free, and stop.
        if let (Some(holder), Ok(w)) = (mem.holding.take(), witness(ctx, namespace, name))
            && let Err(e) = w.release(&holder).await
        {
            warn!(continuum = %key, error = %e, "releasing the lease failed; it expires on its own");
        }
        return Ok(Tick { gone: true, ..Tick::default() });
    };
    let Ok(c) = read.typed else {
        // Invalid: the reconcile reports it; keep the lease this worker holds, change nothing.
        if let (Some(holder), Ok(w)) = (mem.holding.clone(), witness(ctx, namespace, name))
            && w.renew(&holder).await.is_err()
        {
            mem.holding = None;
        }
        return Ok(Tick { renew: LeaseTiming::DEFAULT.renew, ..Tick::default() });
    };
    let timing = lease_timing(&c);
    let mut out = Tick { renew: timing.renew, ..Tick::default() };
    config_changed(ctx, &key, &c, mem).await;

    let acting = acting_primary(&c);
    let identity = ctx.settings.region.clone().unwrap_or_else(|| acting.clone());
    let w = witness(ctx, namespace, name).map_err(|_| Error::Unnamed)?;
    let now = ctx.clock.now();
    let view = if identity == acting {
        hold_lease(ctx, &w, &identity, timing.ttl, mem, (&key, &c)).await
    } else {
        match w.read().await {
            Ok(lease) => LeaseView::Observer(!confirms_lost(mem, &lease, &acting, now), lease.holder.clone()),
            Err(e) => LeaseView::Unavailable(e.to_string()),
        }
    };
    let holder = match &view {
        LeaseView::Held => Some(identity.clone()),
        LeaseView::Collision(h) => Some(h.clone()),
        LeaseView::Observer(_, h) => h.clone(),
        _ => None,
    };

    let pair = observe_cnpg(ctx, &c, namespace).await;
    let grace = Duration::from_secs(
        c.spec.standby_grace_seconds.unwrap_or(DEFAULT_STANDBY_GRACE_SECONDS).clamp(0, 86_400).unsigned_abs(),
    );
    let standby = match &pair {
        Some(p) => mem.grace.fold(p.standby_ready, now, grace),
        None => Standby::Undetermined,
    };
    let lag = pair.as_ref().and_then(|p| p.lag_seconds);
    let max_lag = c.spec.rto.as_deref().and_then(rto_seconds);
    let lag_breach = matches!((lag, max_lag), (Some(l), Some(m)) if l > m);
    let primary_failed = pair.as_ref().is_some_and(|p| p.primary.is_none() || !p.primary_ready) || lag_breach;
    mem.failures = if primary_failed { mem.failures.saturating_add(1) } else { 0 };
    lag_event(ctx, (&key, &c), lag_breach, lag, max_lag).await;

    let requested = c.spec.switchover.as_ref().and_then(|s| s.requested) == Some(true);
    let target = switchover_target(&c, &acting);
    let observation = Observation {
        requested,
        auto_failover: c.spec.auto_failover == Some(true),
        consecutive_failures: mem.failures,
        witness_confirms: matches!(view, LeaseView::Observer(false, _)),
        standby_promotable: standby == Standby::Available && !lag_breach,
    };
    let interrupted = annotation(&c, catalyst_naming::keys::CONTINUUM_SWITCHOVER);
    let g = Gate {
        requested,
        acting: &acting,
        target: target.as_ref(),
        identity: &identity,
        interrupted: interrupted.as_deref(),
        retry_after: mem.retry_after,
        refused: foreign_namespace(&c, namespace),
        now,
    };
    let decision = gate(decide(observation), ctx, &g);

    // Audit events owed by a completed switchover, until they are recorded.
    pay_owed(ctx, mem).await;

    let prev = c.status.clone().unwrap_or_default();
    let seen =
        Seen { acting: &acting, holder, lag, interrupted: interrupted.as_deref(), owed: mem.owed.len() };
    let mut status = steady_status(ctx, &c, &prev, &view, standby, &seen, &decision);

    let facts =
        Facts { key: &key, namespace, name, acting: &acting, target, requested, lag, json: &read.json };
    out.switchover = act(ctx, &c, &facts, &decision, &mut status, mem).await;
    if status.phase == Some(ContinuumPhase::Healthy) || status.phase == Some(ContinuumPhase::FailedOver) {
        let mut e = event(AuditType::ReconcileSuccess, &key, &c);
        e.reason = "healthy".into();
        ctx.publish(&e).await;
    } else {
        ctx.transitions.clear(&key, AuditType::ReconcileSuccess);
    }
    if status != prev {
        write_status(ctx, namespace, name, &status).await?;
        out.status_written = true;
    }
    Ok(out)
}

/// What [`gate`] weighs besides the decision.
struct Gate<'a> {
    requested: bool,
    acting: &'a String,
    target: Option<&'a String>,
    identity: &'a String,
    /// The annotation of a switchover that was interrupted.
    interrupted: Option<&'a str>,
    /// No automatic switchover before this (the last one failed).
    retry_after: Option<Timestamp>,
    /// Why the spec's targets cannot be acted on (another namespace).
    refused: Option<String>,
    now: Timestamp,
}

/// Who runs a switchover, and whether it can: a requested switchover is run by the acting
/// primary's controller (it holds the lease); an automatic one by the target region's (the
/// primary's is presumed gone). Blocked after an interrupted switchover, without PDM or
/// without a target; an automatic one waits out its backoff; another controller's is held.
fn gate(decision: Decision, ctx: &Context, g: &Gate<'_>) -> Decision {
    if let (Decision::Blocked { .. }, Some(problem)) = (&decision, &g.refused) {
        return Decision::Blocked { reason: problem.clone() };
    }
    if !matches!(decision, Decision::Switchover { .. }) {
        return decision;
    }
    let runner = if g.requested { Some(g.acting) } else { g.target };
    if let Some(problem) = &g.refused {
        Decision::Blocked { reason: problem.clone() }
    } else if let Some(what) = g.interrupted {
        Decision::Blocked { reason: interrupted_message(what) }
    } else if ctx.pdm.is_none() {
        Decision::Blocked {
            reason: "no pool-domain-manager configured (PDM_API_URL): DNS could not follow".into(),
        }
    } else if g.target.is_none() {
        Decision::Blocked { reason: "no standby region to switch to".into() }
    } else if runner != Some(g.identity) {
        Decision::Hold
    } else if let Some(at) = g.retry_after.filter(|at| !g.requested && g.now < *at) {
        Decision::Recommend {
            reason: format!("the last automatic switchover failed; the next attempt is not before {at}"),
        }
    } else {
        decision
    }
}

fn interrupted_message(what: &str) -> String {
    format!(
        "a switchover {what} was interrupted (the controller stopped mid-way): check the CNPG pair, the HTTPRoute and DNS, set the annotation {} to the region that is primary, then remove {}",
        catalyst_naming::keys::CONTINUUM_PRIMARY,
        catalyst_naming::keys::CONTINUUM_SWITCHOVER
    )
}

/// Claims the switchover on the Continuum before anything changes: a merge patch that carries
/// the resourceVersion this tick read (so of two controllers racing, one wins and the other
/// gets 409), records `<from>→<to>` in the annotation `dr.openova.io/switchover`, and clears
/// `spec.switchover.requested` (a crash can never replay the request).
async fn claim(ctx: &Context, facts: &Facts<'_>, plan: &SwitchoverPlan) -> Result<(), String> {
    let rv = facts.json.pointer("/metadata/resourceVersion").cloned().unwrap_or(Value::Null);
    let mut patch = json!({"metadata": {"resourceVersion": rv, "annotations": {
        catalyst_naming::keys::CONTINUUM_SWITCHOVER: format!("{}→{}", plan.from, plan.to)
    }}});
    if facts.requested {
        patch["spec"] = json!({"switchover": {"requested": false}});
    }
    ctx.continuums(facts.namespace)
        .patch(facts.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .map_err(|e| match e {
            kube::Error::Api(s) if s.code == 409 => {
                "the Continuum changed since this tick read it (another controller?); not switching over"
                    .to_owned()
            }
            other => format!("claiming the switchover: {other}"),
        })
}

/// Ends a claimed switchover: records the region that is primary now and removes the claim.
/// Retried a few times; if it still fails, the claim stays and the next tick reports the
/// switchover as interrupted (a person decides), never as healthy.
async fn finish(ctx: &Context, facts: &Facts<'_>, primary: &str) -> bool {
    let patch = json!({"metadata": {"annotations": {
        catalyst_naming::keys::CONTINUUM_SWITCHOVER: null,
        catalyst_naming::keys::CONTINUUM_PRIMARY: primary,
    }}});
    for attempt in 0..3u32 {
        match ctx
            .continuums(facts.namespace)
            .patch(facts.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => return true,
            Err(e) => {
                warn!(continuum = %facts.key, error = %e, attempt, "recording the end of the switchover failed");
                tokio::time::sleep(Duration::from_millis(200) * 2u32.pow(attempt)).await;
            }
        }
    }
    false
}

/// What [`act`] needs to know about the tick.
struct Facts<'a> {
    key: &'a str,
    namespace: &'a str,
    name: &'a str,
    acting: &'a str,
    target: Option<String>,
    requested: bool,
    lag: Option<i64>,
    json: &'a Value,
}

/// Carries out `decision`: runs the switchover, blocks it, or recommends one.
async fn act(
    ctx: &Context,
    c: &Continuum,
    facts: &Facts<'_>,
    decision: &Decision,
    status: &mut ContinuumStatus,
    mem: &mut Memory,
) -> Option<Result<Switched, SwitchoverFailed>> {
    let mut switched = None;
    match decision {
        Decision::Switchover { reason } => {
            let target = facts.target.clone().unwrap_or_default();
            if facts.requested {
                let mut e = event(AuditType::CnpgPromotable, facts.key, c);
                e.from_primary = facts.acting.to_owned();
                e.to_primary.clone_from(&target);
                e.lag_seconds = facts.lag;
                ctx.record(&e).await;
            }
            let plan = SwitchoverPlan {
                continuum: facts.key.to_owned(),
                application: c.spec.application_ref.clone(),
                from: facts.acting.to_owned(),
                to: target,
                reason: reason.clone(),
                initiated_by: c
                    .spec
                    .switchover
                    .as_ref()
                    .and_then(|s| s.requested_by.clone())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| DEFAULT_INITIATOR.to_owned()),
            };
            let app = if c.spec.lua_record.as_ref().is_none_or(|l| l.hostnames.is_empty()) {
                application(ctx, c, facts.namespace).await
            } else {
                None
            };
            let targets = match targets(c, &facts.json["spec"], facts.namespace, app) {
                Ok(t) => t,
                Err(reason) => {
                    block(ctx, status, &reason);
                    if facts.requested {
                        clear_request(ctx, facts.namespace, facts.name).await;
                    }
                    return None;
                }
            };
            if let Err(why) = claim(ctx, facts, &plan).await {
                warn!(continuum = %facts.key, "{why}");
                return None;
            }
            let (after, outcome) =
                run_switchover(ctx, (facts.namespace, facts.name), c, targets, &plan, status.clone()).await;
            *status = after;
            remember(ctx, mem, &plan, &outcome, status);
            let primary = if outcome.is_ok() { &plan.to } else { &plan.from };
            finish(ctx, facts, primary).await;
            switched = Some(outcome);
        }
        Decision::Blocked { reason } => {
            block(ctx, status, reason);
            if facts.requested {
                clear_request(ctx, facts.namespace, facts.name).await;
            }
        }
        Decision::Recommend { reason } => {
            let mut e = event(AuditType::Error, facts.key, c);
            e.reason = "failover-recommended".into();
            e.message.clone_from(reason);
            e.lag_seconds = facts.lag;
            ctx.publish(&e).await;
        }
        Decision::Hold => {}
    }
    switched
}

/// What the worker keeps from a switchover: the lease it holds now, the audit event it owes,
/// the backoff after a failed automatic one.
fn remember(
    ctx: &Context,
    mem: &mut Memory,
    plan: &SwitchoverPlan,
    outcome: &Result<Switched, SwitchoverFailed>,
    status: &mut ContinuumStatus,
) {
    let now = ctx.clock.now();
    match outcome {
        Ok(done) => {
            mem.failures = 0;
            mem.auto_failures = 0;
            mem.retry_after = None;
            mem.lease_seen = None;
            mem.holding =
                (ctx.settings.region.as_deref().unwrap_or(&plan.to) == plan.to).then(|| plan.to.clone());
            if let Some(why) = &done.unaudited {
                mem.owed.push(switchover_event(plan));
                set_condition(
                    &mut status.conditions,
                    ConditionUpdate::new(
                        continuum_types::AUDIT_OWED,
                        true,
                        &ContinuumReason::AuditOwed,
                        format!(
                            "the continuum-switchover event is not recorded yet ({why}); retried every tick"
                        ),
                    ),
                    ctx.now(),
                );
            }
        }
        Err(_) if plan.reason == AUTO_FAILOVER => {
            mem.auto_failures = mem.auto_failures.saturating_add(1);
            let wait = AUTO_RETRY_BASE
                .saturating_mul(2u32.saturating_pow(mem.auto_failures.min(16) - 1))
                .min(AUTO_RETRY_MAX);
            mem.retry_after = now.checked_add(jiff::SignedDuration::try_from(wait).unwrap_or_default()).ok();
        }
        Err(_) => {}
    }
}

fn block(ctx: &Context, status: &mut ContinuumStatus, reason: &str) {
    set_condition(
        &mut status.conditions,
        ConditionUpdate::new(
            continuum_types::SWITCHOVER_BLOCKED,
            true,
            &ContinuumReason::SwitchoverBlocked,
            reason,
        ),
        ctx.now(),
    );
}

/// What a tick saw, for [`steady_status`].
struct Seen<'a> {
    acting: &'a str,
    holder: Option<String>,
    lag: Option<i64>,
    /// The claim of an interrupted switchover.
    interrupted: Option<&'a str>,
    /// Audit events still owed.
    owed: usize,
}

/// The status of a tick without a switchover. Every field is derived from what was
/// observed, so an unchanged world gives an equal status (and no write).
#[expect(
    clippy::too_many_lines,
    reason = "one status field or condition after the other, easier to check in one piece"
)]
fn steady_status(
    ctx: &Context,
    c: &Continuum,
    prev: &ContinuumStatus,
    view: &LeaseView,
    standby: Standby,
    seen: &Seen<'_>,
    decision: &Decision,
) -> ContinuumStatus {
    let (acting, lag) = (seen.acting, seen.lag);
    let now = ctx.now();
    let generation = c.metadata.generation;
    let mut s = prev.clone();
    s.primary_region = Some(acting.to_owned());
    s.lease_holder.clone_from(&seen.holder);
    s.observed_generation = generation;
    s.switchover_step = None;
    if lag.is_some() {
        s.replication_lag_seconds = lag;
    }
    let (mut phase, mut reason, mut message) = match view {
        LeaseView::Held => {
            (ContinuumPhase::Healthy, ContinuumReason::Reconciled, format!("{acting} holds the lease"))
        }
        LeaseView::Observer(true, _) => (
            ContinuumPhase::Healthy,
            ContinuumReason::Standby,
            format!("{acting} is the primary; this region watches its lease"),
        ),
        LeaseView::Observer(false, _) => (
            ContinuumPhase::Degraded,
            ContinuumReason::LeaseLost,
            format!("the primary {acting} does not hold the lease"),
        ),
        LeaseView::Lost(why) => (ContinuumPhase::Degraded, ContinuumReason::LeaseLost, why.clone()),
        LeaseView::Collision(h) => {
            (ContinuumPhase::Degraded, ContinuumReason::LeaseCollision, format!("the lease is held by {h}"))
        }
        LeaseView::Unavailable(why) => {
            (ContinuumPhase::Degraded, ContinuumReason::WitnessUnavailable, why.clone())
        }
    };
    let lease_held = matches!(view, LeaseView::Held);
    set_condition(
        &mut s.conditions,
        ConditionUpdate::new(
            continuum_types::LEASE_HELD,
            lease_held,
            if lease_held { &ContinuumReason::Reconciled } else { &reason },
            message.clone(),
        )
        .observed_generation(generation),
        now.clone(),
    );
    match standby {
        Standby::Available => {
            s.standby_available = Some(true);
            set_condition(
                &mut s.conditions,
                ConditionUpdate::new(
                    continuum_types::STANDBY_AVAILABLE,
                    true,
                    &ContinuumReason::StandbyReachable,
                    "the standby replica Cluster is ready",
                ),
                now.clone(),
            );
        }
        Standby::Unavailable | Standby::Gone => {
            s.standby_available = Some(false);
            let (r, m) = if standby == Standby::Gone {
                (ContinuumReason::StandbyAbsent, "the standby replica Cluster is gone")
            } else {
                (ContinuumReason::StandbyUnreachable, "the standby replica Cluster is not ready")
            };
            set_condition(
                &mut s.conditions,
                ConditionUpdate::new(continuum_types::STANDBY_AVAILABLE, false, &r, m),
                now.clone(),
            );
            if phase == ContinuumPhase::Healthy {
                (phase, reason, message) = (ContinuumPhase::Degraded, r, m.to_owned());
            }
        }
        Standby::Undetermined => {}
    }
    let recommended = match decision {
        Decision::Recommend { reason: why } => Some(why.clone()),
        _ => None,
    };
    if let Some(why) = &recommended {
        (phase, reason, message) =
            (ContinuumPhase::Degraded, ContinuumReason::FailoverRecommended, why.clone());
    }
    if recommended.is_some() || find_condition(&s.conditions, continuum_types::FAILOVER_RECOMMENDED).is_some()
    {
        set_condition(
            &mut s.conditions,
            ConditionUpdate::new(
                continuum_types::FAILOVER_RECOMMENDED,
                recommended.is_some(),
                if recommended.is_some() {
                    &ContinuumReason::FailoverRecommended
                } else {
                    &ContinuumReason::NotNeeded
                },
                recommended.clone().unwrap_or_else(|| "the primary is healthy".into()),
            ),
            now.clone(),
        );
    }
    if matches!(decision, Decision::Hold | Decision::Recommend { .. })
        && find_condition(&s.conditions, continuum_types::SWITCHOVER_BLOCKED)
            .is_some_and(|b| b.status == ConditionStatus::True)
    {
        set_condition(
            &mut s.conditions,
            ConditionUpdate::new(
                continuum_types::SWITCHOVER_BLOCKED,
                false,
                &ContinuumReason::NotNeeded,
                "no switchover is blocked",
            ),
            now.clone(),
        );
    }
    if let Some(what) = seen.interrupted {
        (phase, reason, message) =
            (ContinuumPhase::Degraded, ContinuumReason::SwitchoverInterrupted, interrupted_message(what));
    }
    if seen.interrupted.is_some()
        || find_condition(&s.conditions, continuum_types::SWITCHOVER_INTERRUPTED).is_some()
    {
        set_condition(
            &mut s.conditions,
            ConditionUpdate::new(
                continuum_types::SWITCHOVER_INTERRUPTED,
                seen.interrupted.is_some(),
                if seen.interrupted.is_some() {
                    &ContinuumReason::SwitchoverInterrupted
                } else {
                    &ContinuumReason::NotNeeded
                },
                seen.interrupted
                    .map_or_else(|| "no switchover is interrupted".to_owned(), interrupted_message),
            ),
            now.clone(),
        );
    }
    if seen.owed > 0 || find_condition(&s.conditions, continuum_types::AUDIT_OWED).is_some() {
        set_condition(
            &mut s.conditions,
            ConditionUpdate::new(
                continuum_types::AUDIT_OWED,
                seen.owed > 0,
                if seen.owed > 0 { &ContinuumReason::AuditOwed } else { &ContinuumReason::AuditRecorded },
                if seen.owed > 0 {
                    format!(
                        "{} audit event(s) of a completed switchover not recorded yet; retried every tick",
                        seen.owed
                    )
                } else {
                    "every audit event is recorded".to_owned()
                },
            ),
            now.clone(),
        );
    }
    // A completed switchover stays visible until something degrades.
    if phase == ContinuumPhase::Healthy && prev.phase == Some(ContinuumPhase::FailedOver) {
        phase = ContinuumPhase::FailedOver;
        if let Some(ready) = find_condition(&prev.conditions, types::READY) {
            message.clone_from(&ready.message);
            reason = ContinuumReason::Succeeded;
        }
    }
    s.phase = Some(phase);
    set_condition(
        &mut s.conditions,
        ConditionUpdate::new(
            types::READY,
            matches!(phase, ContinuumPhase::Healthy | ContinuumPhase::FailedOver),
            &reason,
            message,
        )
        .observed_generation(generation),
        now,
    );
    s
}

/// Repeats [`tick`] every `renewSeconds` until the Continuum is deleted or `stop` turns
/// `true`. A stop does not release the lease: the replica taking over holds it as the same
/// region, and a released lease would tell the standbys the primary is gone.
pub async fn run_worker(ctx: Arc<Context>, namespace: String, name: String, mut stop: watch::Receiver<bool>) {
    let mut mem = Memory::default();
    let key = format!("{namespace}/{name}");
    info!(continuum = %key, "worker started");
    loop {
        let wait = match tick(&ctx, &namespace, &name, &mut mem).await {
            Ok(t) if t.gone => break,
            Ok(t) => t.renew,
            Err(e) => {
                warn!(continuum = %key, error = %catalyst_naming::diagnostic::Chain(&e), "tick failed");
                LeaseTiming::DEFAULT.renew
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    info!(continuum = %key, "worker stopped");
}

struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// The running workers, one per Continuum (`<namespace>/<name>`).
#[derive(Default)]
pub struct Workers {
    running: Mutex<BTreeMap<String, Running>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers").field("running", &self.keys()).finish()
    }
}

impl Workers {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Running>> {
        self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts the worker of `key` with `spawn` unless one runs; `true` when it started one.
    pub fn ensure(
        &self,
        key: &str,
        spawn: impl FnOnce(watch::Receiver<bool>) -> tokio::task::JoinHandle<()>,
    ) -> bool {
        let mut running = self.lock();
        if running.get(key).is_some_and(|r| !r.task.is_finished()) {
            return false;
        }
        let (stop, rx) = watch::channel(false);
        running.insert(key.to_owned(), Running { stop, task: spawn(rx) });
        true
    }

    /// Stops the worker of `key`; `true` when one was running.
    pub fn stop(&self, key: &str) -> bool {
        self.lock().remove(key).is_some_and(|r| {
            r.stop.send_replace(true);
            !r.task.is_finished()
        })
    }

    /// The Continuums with a running worker.
    pub fn keys(&self) -> Vec<String> {
        self.lock().iter().filter(|(_, r)| !r.task.is_finished()).map(|(k, _)| k.clone()).collect()
    }

    /// Stops every worker and waits for each (a running switchover finishes or rolls back).
    pub async fn stop_all(&self) {
        let running: Vec<Running> = std::mem::take(&mut *self.lock()).into_values().collect();
        for r in &running {
            r.stop.send_replace(true);
        }
        for r in running {
            let _ = r.task.await;
        }
    }
}
