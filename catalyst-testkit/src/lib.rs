//! The Catalyst SDK's test harnesses, in one place (not published):
//!
//! - [`fixtures`]: the platform's real data in `../shared/fixtures` (a missing folder is a
//!   test failure, never a skip);
//! - [`pdns`]: a real PowerDNS Authoritative server (sqlite3 backend) on free loopback ports,
//!   a DNS query helper, a loopback health endpoint and an HTTP proxy that can lose answers;
//! - [`registry`]: a real `docker-registry` (distribution 2.8) on loopback, and ECDSA P-256
//!   keys and signatures made by the openssl CLI, independent of the SDK;
//! - [`gitea`]: a Gitea-compatible server on real git repositories, every exchange logged
//!   for checks against Gitea's swagger;
//! - [`kube`]: an in-memory Kubernetes API for controllers (resourceVersions, 409 on stale
//!   writes, metadata-only lists), reached through kube's tower-test mock;
//! - [`fluxapi`]: a Kubernetes API over HTTP on loopback serving the HelmRelease CRD and
//!   HelmReleases (get, paged lists, watches from a resource version), for binaries that reach
//!   a cluster through a kubeconfig; every request checked against the API reference;
//! - [`controller`]: a controller's whole watch loop in a test, and the waits and metric
//!   reads of the fault tests;
//! - [`nats`]: a real `nats-server` with JetStream on a free loopback port;
//! - [`pdm`]: a stand-in for the pool-domain-manager's lua commit that records requests;
//! - [`cli`]: runs a binary of the workspace and reads its output.
//!
//! Real processes are started by the harness and stopped when it is dropped.

#![allow(missing_docs, clippy::unwrap_used, clippy::missing_panics_doc, clippy::expect_used, unreachable_pub)]

pub mod cli;
pub mod controller;
pub mod fluxapi;
pub mod gitea;
pub mod keycloak;
pub mod kube;
pub mod nats;
pub mod pdm;
pub mod pdns;
pub mod rbac;
pub mod registry;

use std::path::PathBuf;

/// `../shared/fixtures` beside the workspace. Panics, naming the folder, when it is missing:
/// tests read real data and never skip.
pub fn fixtures() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    assert!(dir.is_dir(), "fixtures not found at {}: clone the repository beside shared/", dir.display());
    dir.canonicalize().unwrap_or(dir)
}

/// A path inside [`fixtures`], which must exist.
pub fn fixture(rel: &str) -> PathBuf {
    let p = fixtures().join(rel);
    assert!(p.exists(), "fixture {} is missing", p.display());
    p
}

/// The `openAPIV3Schema` of version `version` of the upstream CRD in
/// `fixtures/upstream-crds/<file>` (Flux, Gateway API, CNPG …), to validate what the SDK
/// renders against the real schema.
pub fn upstream_crd_schema(file: &str, version: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture(&format!("upstream-crds/{file}"))).unwrap_or_default();
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap_or_default();
    let crd = docs.into_iter().find(|d| d["kind"] == "CustomResourceDefinition");
    let crd = crd.unwrap_or_else(|| panic!("{file} holds no CustomResourceDefinition"));
    let found =
        crd["spec"]["versions"].as_array().and_then(|v| v.iter().find(|v| v["name"] == version)).cloned();
    found.unwrap_or_else(|| panic!("{file} has no version {version}"))["schema"]["openAPIV3Schema"].clone()
}
