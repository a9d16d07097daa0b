//! `Continuum.dr.openova.io/v1` (SPEC CONT-1, CONT-2): an Application's hot-standby lease
//! and switchover.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Extra;
use crate::conditions::Condition;
#[allow(clippy::wildcard_imports, unused_imports, reason = "the rules share one vocabulary")]
use crate::validate::prelude::*;

/// Lease-based failover of an `active-hotstandby` Application.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "dr.openova.io",
    version = "v1",
    kind = "Continuum",
    namespaced,
    status = "ContinuumStatus",
    derive = "PartialEq",
    shortname = "dr",
    category = "catalyst",
    category = "openova",
    doc = "Lease-based failover of an active-hotstandby Application: lease witness, lua record and switchover.",
    printcolumn(name = "Application", type_ = "string", json_path = ".spec.applicationRef"),
    printcolumn(name = "Primary", type_ = "string", json_path = ".status.primaryRegion"),
    printcolumn(name = "Lease", type_ = "string", json_path = ".status.leaseHolder"),
    printcolumn(name = "Lag", type_ = "string", json_path = ".status.maxReplicationLag", priority = "1"),
    printcolumn(name = "RTO", type_ = "string", json_path = ".spec.rto", priority = "1"),
    printcolumn(name = "RPO", type_ = "string", json_path = ".spec.rpo", priority = "1"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct ContinuumSpec {
    /// The Application (must be `active-hotstandby`).
    pub application_ref: String,
    /// Host cluster of the primary.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9]*(-[a-z0-9]+){3,}$"))]
    pub primary_region: String,
    /// Host clusters of the standbys (1–4).
    #[schemars(length(min = 1, max = 4), inner(regex(pattern = r"^[a-z][a-z0-9]*(-[a-z0-9]+){3,}$")))]
    pub hot_standby_regions: Vec<String>,
    /// The lease witness.
    pub lease_client: LeaseClient,
    /// The PowerDNS lua record steering traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lua_record: Option<LuaRecordSpec>,
    /// Recovery time objective (`60s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(s|m|h)$"))]
    pub rto: Option<String>,
    /// Recovery point objective (`5s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(s|m|h)$"))]
    pub rpo: Option<String>,
    /// Fail over without a human (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_failover: Option<bool>,
    /// How writes move (default `cnpg-pair`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switchover: Option<Switchover>,
    /// Each region's load-balancer addresses: the lua record's pools (SPEC DNS-19).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<ContinuumRegion>,
    /// The zone the lua records are committed to (default: the first hostname without its
    /// first label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdm_zone: Option<String>,
    /// The CNPG Cluster pair (labelled `catalyst.openova.io/cnpg-pair=<name>`); namespace
    /// defaults to the Continuum's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnpg_pair: Option<ObjectRef>,
    /// The Gateway API HTTPRoute drained on switchover; namespace defaults to the Continuum's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_route: Option<ObjectRef>,
    /// How long a standby may be unavailable before it counts as down (default 30; 0 allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 3600))]
    pub standby_grace_seconds: Option<i64>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// The lease witness.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct LeaseClient {
    /// Witness kind.
    pub kind: LeaseKind,
    /// Witness settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<LeaseConfig>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Lease witness kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LeaseKind {
    /// Cloudflare Workers KV.
    CloudflareKv,
    /// A 2-of-3 quorum of public resolvers.
    DnsQuorum,
    /// A `coordination.k8s.io/v1` Lease `cw-<namespace>-<name>` (compare-and-swap on its
    /// resourceVersion).
    K8sLease,
}

/// Lease witness settings (per kind; validation checks the kind's required fields).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct LeaseConfig {
    /// `cloudflare-kv`: KV namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_namespace_id: Option<String>,
    /// `cloudflare-kv`: account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// `cloudflare-kv`: Secret holding the API token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_secret_ref: Option<SecretKeyRef>,
    /// `dns-quorum`: 3–5 IPv4 resolvers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        length(min = 3, max = 5),
        inner(regex(pattern = r"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$"))
    )]
    pub resolvers: Vec<String>,
    /// Lease TTL (5–600 s, default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 600))]
    pub ttl_seconds: Option<i64>,
    /// Renewal interval (1–60 s, default 10; must be below `ttlSeconds / 2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 60))]
    pub renew_seconds: Option<i64>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// A key of a Secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// Secret name.
    pub name: String,
    /// Key (default `token`).
    #[schemars(extend("default" = "token"))]
    pub key: String,
}

/// A named object, in the Continuum's namespace unless another is given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ObjectRef {
    /// Its name.
    pub name: String,
    /// Its namespace (default: the Continuum's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// A region of a Continuum and its load balancers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContinuumRegion {
    /// Host-cluster name (`hz-fsn-rtz-prod`).
    pub name: String,
    /// Its load-balancer addresses, in order.
    #[serde(rename = "lbIPs", default)]
    pub lb_ips: Vec<String>,
}

/// The lua record of a Continuum.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LuaRecordSpec {
    /// Selector (default `ifurlup`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "ifurlup"))]
    pub selector: Option<LuaSelector>,
    /// The probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<LuaHealthCheck>,
    /// Record TTL in seconds (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 86400))]
    pub ttl: Option<i64>,
    /// The hostnames (default: the Application's routes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
}

/// Lua record selectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LuaSelector {
    /// First address whose URL answers.
    Ifurlup,
    /// Closest address.
    Pickclosest,
    /// First address.
    Pickfirst,
    /// Weighted hash.
    Pickwhashed,
}

/// The lua record's probe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LuaHealthCheck {
    /// Probe URL.
    #[schemars(regex(pattern = r"^https?://.+"))]
    pub url: String,
    /// 1–60 s (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 60), extend("default" = 5))]
    pub interval_seconds: Option<i64>,
    /// 1–30 s (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 30), extend("default" = 2))]
    pub timeout_seconds: Option<i64>,
}

/// How writes move on switchover.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct Switchover {
    /// Mechanism (default `cnpg-pair`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "cnpg-pair"))]
    pub mechanism: Option<SwitchoverMechanism>,
    /// Settings of the `raft-transition` mechanism (namespace, pod selector, paths).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub raft_transition: Option<serde_json::Value>,
    /// Ask for a switchover to the first standby; the controller clears it when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested: Option<bool>,
    /// Who asked (default `controller`), recorded in the audit event and `lastSwitchover`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    /// Seconds to wait after draining the old primary's HTTP traffic (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 600))]
    pub drain_seconds: Option<i64>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Switchover mechanisms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SwitchoverMechanism {
    /// CloudNativePG demote/promote.
    CnpgPair,
    /// OpenBao raft snapshot transition.
    RaftTransition,
}

/// What the continuum controller observed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct ContinuumStatus {
    /// Phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<ContinuumPhase>,
    /// Current primary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_region: Option<String>,
    /// Current lease holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_holder: Option<String>,
    /// Replication lag per standby.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub replication_lag: BTreeMap<String, String>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The generation the status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The largest replication lag observed, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_lag_seconds: Option<i64>,
    /// Whether the standby can take over (absent while the grace window has not decided).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby_available: Option<bool>,
    /// The running switchover's step, `step <n>/7 — <name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switchover_step: Option<String>,
    /// The last switchover, successful or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_switchover: Option<LastSwitchover>,
    /// The lua records last committed to the pool-domain-manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_lua_record: Option<LastLuaRecord>,
    /// When `lastLuaRecord` was committed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_lua_record_at: Option<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// The outcome of the last switchover.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastSwitchover {
    /// `Success` or `Failed`.
    pub result: String,
    /// The primary before.
    pub from: String,
    /// The primary asked for.
    pub to: String,
    /// When it ended (RFC 3339).
    pub at: String,
    /// Why it ran: `manual` or `auto-failover`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Who asked (`spec.switchover.requestedBy`, else `controller`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub initiated_by: String,
    /// Wall time of the seven steps (`1.234s`), on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_observed: Option<String>,
    /// The step that failed (`step 4/7 — flip-dns`) and why, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<String>,
}

/// The lua records committed for one primary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastLuaRecord {
    /// One record per hostname.
    pub records: Vec<LuaRecordStatus>,
}

/// One committed lua record (the platform's keys: `body`, not `luaBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LuaRecordStatus {
    /// The hostname.
    pub hostname: String,
    /// The lua body.
    pub body: String,
    /// TTL in seconds.
    pub ttl: i64,
    /// The primary the body sends traffic to.
    pub primary_region: String,
}

/// Continuum phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ContinuumPhase {
    /// Not started.
    Pending,
    /// Primary and standbys healthy.
    Healthy,
    /// Something is wrong.
    Degraded,
    /// A switchover is running.
    SwitchingOver,
    /// A standby became primary.
    FailedOver,
    /// Cannot operate.
    Failed,
}

impl ContinuumSpec {
    /// A Continuum from its required fields.
    pub fn new(
        application_ref: impl Into<String>,
        primary_region: impl Into<String>,
        hot_standby_regions: Vec<String>,
        lease_client: LeaseClient,
    ) -> Self {
        Self {
            application_ref: application_ref.into(),
            primary_region: primary_region.into(),
            hot_standby_regions,
            lease_client,
            lua_record: None,
            rto: None,
            rpo: None,
            auto_failover: None,
            switchover: None,
            regions: Vec::new(),
            pdm_zone: None,
            cnpg_pair: None,
            http_route: None,
            standby_grace_seconds: None,
            extra: Extra::default(),
        }
    }
}

impl LeaseClient {
    /// A lease client of this kind.
    pub fn new(kind: LeaseKind) -> Self {
        Self { kind, config: None, extra: Extra::default() }
    }
}

// --- rules beyond the schema (catalyst validate) ---------------------------------------

pub(crate) fn check_continuum(c: &Continuum, out: &mut Vec<Diagnostic>) {
    let s = &c.spec;
    for (i, standby) in s.hot_standby_regions.iter().enumerate() {
        if *standby == s.primary_region {
            out.push(error(
                spec().key("hotStandbyRegions").index(i),
                Rule::Cont1,
                format!("{standby} is the primary region; a standby must be another host cluster"),
            ));
        }
    }
    duplicates(s.hot_standby_regions.iter().map(String::as_str), &spec().key("hotStandbyRegions"), "", out);
    let cfg_path = spec().key("leaseClient").key("config");
    let config = s.lease_client.config.clone().unwrap_or_default();
    match s.lease_client.kind {
        LeaseKind::CloudflareKv => {
            for (field, present) in [
                ("kvNamespaceId", config.kv_namespace_id.is_some()),
                ("accountId", config.account_id.is_some()),
                ("tokenSecretRef", config.token_secret_ref.is_some()),
            ] {
                if !present {
                    out.push(error(
                        cfg_path.key(field),
                        Rule::Cont1,
                        "required for leaseClient kind cloudflare-kv",
                    ));
                }
            }
        }
        LeaseKind::DnsQuorum => {
            let n = config.resolvers.len();
            if !(3..=5).contains(&n) {
                out.push(error(
                    cfg_path.key("resolvers"),
                    Rule::Cont1,
                    format!("dns-quorum needs 3 to 5 resolvers, found {n}"),
                ));
            }
            for (i, r) in config.resolvers.iter().enumerate() {
                if r.parse::<Ipv4Addr>().is_err() {
                    out.push(error(
                        cfg_path.key("resolvers").index(i),
                        Rule::Cont1,
                        format!("{} is not an IPv4 address", short_str(r)),
                    ));
                }
            }
        }
        // A Lease beside the Continuum: nothing to configure.
        LeaseKind::K8sLease => {}
    }
    check_lua_record(s, out);
    let ttl = config.ttl_seconds.unwrap_or(30);
    let renew = config.renew_seconds.unwrap_or(10);
    if renew * 2 >= ttl {
        out.push(error(
            cfg_path.key("renewSeconds"),
            Rule::Cont2,
            format!("InvalidLeaseTiming: renewSeconds {renew} must be below ttlSeconds/2 ({ttl}/2)"),
        ));
    }
    if let Some(hc) = s.lua_record.as_ref().and_then(|l| l.health_check.as_ref())
        && hc.timeout_seconds.unwrap_or(2) >= hc.interval_seconds.unwrap_or(5)
    {
        out.push(error(
            spec().key("luaRecord").key("healthCheck").key("timeoutSeconds"),
            Rule::Cont1,
            "must be shorter than intervalSeconds",
        ));
    }
}

/// The lua record's inputs (SPEC DNS-19, OP-11): a selector the synthesizer can call, IP
/// lbIPs, unique regions, the primary among them.
fn check_lua_record(s: &ContinuumSpec, out: &mut Vec<Diagnostic>) {
    // The synthesizer calls the selector as a function with (url, pools, options): only ifurlup
    // takes those (SPEC OP-11). The CRD allows the others, so this is a warning.
    if let Some(sel) = s.lua_record.as_ref().and_then(|l| l.selector)
        && sel != LuaSelector::Ifurlup
    {
        out.push(warning(
            spec().key("luaRecord").key("selector"),
            Rule::Cont1,
            format!(
                "{}: the continuum synthesizer calls the selector by name with a URL, pools and options, which only ifurlup takes; this Continuum's lua record cannot be synthesized",
                serde_json::to_value(sel).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
            ),
        ));
    }
    // The lua record's pools (SPEC DNS-19): addresses, and the primary among the regions.
    for (i, r) in s.regions.iter().enumerate() {
        for (j, ip) in r.lb_ips.iter().enumerate() {
            if ip.parse::<std::net::IpAddr>().is_err() {
                out.push(error(
                    spec().key("regions").index(i).key("lbIPs").index(j),
                    Rule::Cont1,
                    format!("{} is not an IP address", short_str(ip)),
                ));
            }
        }
    }
    duplicates(s.regions.iter().map(|r| r.name.as_str()), &spec().key("regions"), "name", out);
    if !s.regions.is_empty() && !s.regions.iter().any(|r| r.name == s.primary_region) {
        out.push(error(
            spec().key("regions"),
            Rule::Cont1,
            format!(
                "UnknownRegion: the primary region {} has no entry (the lua record needs its lbIPs)",
                s.primary_region
            ),
        ));
    }
}
