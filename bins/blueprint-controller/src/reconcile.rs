//! One reconcile of one `Blueprint` (SPEC CTRL-2, as the platform runs it): judge it with the
//! one rule set ([`catalyst_core::catalog::judge`]), mirror it into the Gitea org `catalog`
//! (listed → `blueprint.yaml` written, unlisted or private → deleted; equal bytes make no
//! commit), and write the status, only when it changed, so the controller's own status write
//! never triggers another pass.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use catalyst_blueprint::artifact::{ArtifactRef, Limits};
use catalyst_blueprint::oci::{OciError, PublicKey, Registry, RegistryOptions};
use catalyst_core::catalog::{
    CATALOG_ORG, MIRROR_DESCRIPTION, MIRROR_FILE, Mirror, Signature, Verdict, judge, next_status_signed,
};
use catalyst_gitea::{GiteaError, Identity, NewRepo, Target};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams};
use serde_json::{Value, json};
use tracing::{info, warn};

/// Who the controller says manages what it writes.
pub const MANAGER: &str = "blueprint-controller";

/// What every reconcile shares.
pub struct Context {
    /// The Kubernetes API.
    pub kube: kube::Client,
    /// Gitea; `None` turns the mirror off (validation and status only, as on the platform).
    pub gitea: Option<catalyst_gitea::Client>,
    /// Commit author and committer.
    pub author: Identity,
    /// How soon an unchanged Blueprint is looked at again (the mirror's drift).
    pub requeue: Duration,
    /// The status clock (tests fix it): RFC 3339, seconds.
    pub clock: Arc<dyn Fn() -> String + Send + Sync>,
    /// The signature check of published artifacts; `None` turns it off (as on the platform).
    pub oci: Option<Oci>,
}

/// The largest chart layer a signature check reads (a manifest without title and version
/// annotations has its chart read to learn which Blueprint it is).
pub const MAX_CHECKED_LAYER_BYTES: u64 = 8 * 1024 * 1024;

/// How soon an artifact that is not there or not signed yet is looked at again: CI pushes,
/// then signs, so a new version is briefly unsigned.
pub const RECHECK_SOON: Duration = Duration::from_secs(30);

/// The signature check: where the published Blueprints are, and the keys they must be signed
/// with.
#[derive(Clone, Debug)]
pub struct Oci {
    registry: Registry,
    prefix: String,
    keys: Vec<PublicKey>,
}

impl Oci {
    /// Checks Blueprints at `prefix/bp-<name>:<version>` (`prefix` is `registry/namespace`,
    /// `ghcr.io/openova-io`) against `keys`, each check bounded by `deadline`. Credentials come
    /// from `CATALYST_REGISTRY_USERNAME` and `CATALYST_REGISTRY_PASSWORD` for that registry.
    ///
    /// # Errors
    /// No keys, or a prefix that does not make an OCI reference.
    pub fn new(
        prefix: &str,
        keys: Vec<PublicKey>,
        plain_http: bool,
        deadline: Duration,
    ) -> Result<Self, String> {
        if keys.is_empty() {
            return Err("the signature check needs at least one public key".into());
        }
        let probe: ArtifactRef = format!("{prefix}/bp-probe:0.0.0")
            .parse()
            .map_err(|e| format!("--oci-registry {prefix:?} does not make an OCI reference: {e}"))?;
        if plain_http && !catalyst_blueprint::oci::is_loopback_registry(probe.registry()) {
            return Err(format!(
                "--oci-plain-http is only allowed to a registry on loopback, not {}: credentials and content would travel in clear",
                probe.registry()
            ));
        }
        // A check holds at most one chart layer in memory (when the manifest does not name
        // its Blueprint), so the caps are a controller's, not a CLI's.
        let options = RegistryOptions::new()
            .with_plain_http(plain_http)
            .with_credentials(catalyst_blueprint::oci::Credentials::from_env(probe.registry()))
            .with_deadline(deadline)
            .with_max_layer_bytes(MAX_CHECKED_LAYER_BYTES)
            .with_limits(Limits {
                max_total_bytes: 4 * MAX_CHECKED_LAYER_BYTES,
                max_file_bytes: MAX_CHECKED_LAYER_BYTES,
                max_entries: 5_000,
            });
        Ok(Self { registry: Registry::new(options), prefix: prefix.to_owned(), keys })
    }

    /// The reference of `name` (canonical `bp-<name>`) at `version`.
    pub fn reference(&self, name: &catalyst_naming::BlueprintName, version: &str) -> String {
        format!("{}/{name}:{version}", self.prefix)
    }

    /// What the registry says of `name` at `version`. The name must be canonical
    /// (`bp-<name>`): `shop` and `bp-shop` would be two mirror repositories vouched for by one
    /// artifact.
    pub async fn check(&self, name: &str, version: &str) -> Signature {
        let refused =
            |reason: &str, message: String| Signature::Refused { reason: reason.to_owned(), message };
        let bp = match catalyst_naming::BlueprintName::parse(name) {
            Ok(bp) if bp.as_str() == name => bp,
            Ok(bp) => {
                return refused(
                    "ReferenceMismatch",
                    format!(
                        "the Blueprint is named {name:?}; with signatures checked it must be named {:?}, as its artifact is",
                        bp.as_str()
                    ),
                );
            }
            Err(e) => return refused("ReferenceMismatch", e.to_string()),
        };
        let version = match catalyst_naming::BlueprintVersion::parse(version) {
            Ok(v) => v.to_string(),
            Err(e) => return refused("ReferenceMismatch", e.to_string()),
        };
        let reference = self.reference(&bp, &version);
        let parsed: ArtifactRef = match reference.parse() {
            Ok(r) => r,
            Err(e) => return refused("ReferenceMismatch", format!("{reference}: {e}")),
        };
        match self.registry.verify_blueprint(&parsed, &self.keys).await {
            Ok(v) => Signature::Verified { reference, digest: v.digest.to_string(), key: v.key },
            Err(e) => {
                let message = e.to_string();
                let reason = match e {
                    // Not the artifact's fault: the registry, or how it is reached.
                    OciError::Registry { .. }
                    | OciError::Timeout { .. }
                    | OciError::Usage(_)
                    | OciError::Key(_) => {
                        return Signature::Unavailable { message };
                    }
                    OciError::NotFound(_) => "ArtifactNotFound",
                    OciError::SignatureMissing { .. } => "SignatureMissing",
                    OciError::SignatureInvalid { .. } => "SignatureInvalid",
                    OciError::PayloadDigestMismatch { .. } => "PayloadDigestMismatch",
                    OciError::MalformedSignature { .. } => "MalformedSignature",
                    OciError::ReferenceMismatch { .. } => "ReferenceMismatch",
                    OciError::DigestMismatch { .. } => "DigestMismatch",
                    OciError::NotABlueprintArtifact { .. }
                    | OciError::Manifest { .. }
                    | OciError::Archive(_) => "NotABlueprintArtifact",
                    OciError::TooLarge { .. } => "TooLarge",
                    _ => "VerificationFailed",
                };
                refused(reason, message)
            }
        }
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("mirror", &self.gitea.is_some())
            .field("oci", &self.oci)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context on the real clock.
    pub fn new(kube: kube::Client, gitea: Option<catalyst_gitea::Client>, author: Identity) -> Self {
        Self {
            kube,
            gitea,
            author,
            requeue: Duration::from_secs(300),
            clock: Arc::new(|| catalyst_core::conditions::now().0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
            oci: None,
        }
    }

    fn blueprints(&self) -> Api<DynamicObject> {
        let r = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("catalyst.openova.io", "v1", "Blueprint"),
            "blueprints",
        );
        Api::all_with(self.kube.clone(), &r)
    }
}

/// A reconcile that must be retried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The mirror failed (the status says so; retried with backoff).
    #[error("Blueprint {name}: mirror: {message}")]
    Mirror {
        /// The Blueprint.
        name: String,
        /// What failed.
        message: String,
    },
    /// The registry could not be asked (the status says so; retried with backoff).
    #[error("Blueprint {name}: signature check: {message}")]
    Registry {
        /// The Blueprint.
        name: String,
        /// What failed.
        message: String,
    },
    /// A Kubernetes API call failed.
    #[error("Blueprint {name}: {action}")]
    Kube {
        /// The Blueprint.
        name: String,
        /// What was being done.
        action: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
}

fn kube_err(name: &str, action: impl Into<String>) -> impl FnOnce(kube::Error) -> Error + '_ {
    let action = action.into();
    move |source| Error::Kube { name: name.to_owned(), action, source }
}

/// What a reconcile did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The phase written; `None` when the Blueprint is gone.
    pub phase: Option<String>,
    /// Gitea writes (a commit or a deletion; 0 when nothing changed).
    pub gitea_writes: usize,
    /// The signature check's result.
    pub signature: Signature,
    /// Whether the status was written.
    pub status_written: bool,
    /// When to look again.
    pub requeue: Option<Duration>,
}

impl Default for Outcome {
    fn default() -> Self {
        Self {
            phase: None,
            gitea_writes: 0,
            signature: Signature::NotChecked,
            status_written: false,
            requeue: None,
        }
    }
}

/// Reconciles the Blueprint `name`.
///
/// # Errors
/// [`Error`] when the API cannot be read or written (retried with backoff). A Gitea failure is
/// reported in the status (`Draft/GiteaWriteFailed`) and retried on the requeue.
pub async fn reconcile_blueprint(name: &str, ctx: &Context) -> Result<Outcome, Error> {
    let api = ctx.blueprints();
    let Some(obj) = api.get_opt(name).await.map_err(kube_err(name, "reading"))? else {
        return Ok(Outcome::default());
    };
    let doc = serde_json::to_value(&obj).unwrap_or_default();
    let list =
        api.list_metadata(&ListParams::default()).await.map_err(kube_err(name, "listing the catalog"))?;
    // Dependencies are written `bp-<name>`; the catalog's names are read the same way.
    let catalog: BTreeSet<String> = list
        .items
        .into_iter()
        .filter_map(|m| m.metadata.name)
        .map(|n| catalyst_naming::BlueprintName::parse(&n).map_or(n, |b| b.to_string()))
        .collect();
    let verdict = judge(&doc, &catalog);
    let mut out = Outcome { requeue: Some(ctx.requeue), ..Outcome::default() };
    // Only what is offered is checked: a valid Blueprint that is listed or unlisted.
    if let Some(oci) = &ctx.oci
        && verdict.errors.is_empty()
        && verdict.visibility != "private"
    {
        let version = doc.pointer("/spec/version").and_then(Value::as_str).unwrap_or_default();
        out.signature = oci.check(name, version).await;
        match &out.signature {
            Signature::Verified { digest, key, .. } => {
                info!(blueprint = %name, %digest, %key, "signature verified");
            }
            Signature::Refused { reason, message } => {
                warn!(blueprint = %name, %reason, %message, "signature refused; not published");
            }
            Signature::Unavailable { message } => {
                warn!(blueprint = %name, %message, "registry unavailable; not published");
            }
            Signature::NotChecked => {}
        }
    }
    let mut write_failed = None;
    // A Blueprint whose artifact did not verify is not published: a refused one is taken
    // down (the catalog never lists what does not verify), an unchecked one left as it is
    // until the registry answers. Taking a file down never waits for the registry.
    let mirror = match (&verdict.mirror, &out.signature) {
        (Some(Mirror::Write { .. }), Signature::Refused { reason, .. }) => {
            if matches!(reason.as_str(), "ArtifactNotFound" | "SignatureMissing") {
                out.requeue = Some(ctx.requeue.min(RECHECK_SOON));
            }
            Some(Mirror::Delete { message: format!("withdraw {name}: signature refused ({reason})") })
        }
        (Some(Mirror::Write { .. }), Signature::Unavailable { .. }) => None,
        (m, _) => m.clone(),
    };
    if let (Some(gitea), Some(mirror)) = (&ctx.gitea, &mirror) {
        match mirror_once(ctx, gitea, &verdict, mirror).await {
            Ok(writes) => out.gitea_writes = writes,
            Err(e) => {
                warn!(blueprint = %name, error = %e, "mirror failed");
                write_failed = Some(e);
            }
        }
    }
    let prev = doc.get("status").cloned().filter(|s| !s.is_null()).unwrap_or_else(|| json!({}));
    let generation = doc.pointer("/metadata/generation").and_then(Value::as_i64);
    let status = next_status_signed(
        &prev,
        &verdict,
        generation,
        &(ctx.clock)(),
        write_failed.as_deref(),
        &out.signature,
    );
    out.phase = status["phase"].as_str().map(str::to_owned);
    if status != prev {
        // The resourceVersion read is a precondition: an `ociDigest` CI wrote meanwhile is not
        // overwritten (the 409 is retried, and the next read has it).
        let patch = json!({"apiVersion": "catalyst.openova.io/v1", "kind": "Blueprint",
            "metadata": {"resourceVersion": doc["metadata"]["resourceVersion"]}, "status": status});
        api.patch_status(name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&patch))
            .await
            .map_err(kube_err(name, "writing the status"))?;
        out.status_written = true;
    }
    if let Some(message) = write_failed {
        return Err(Error::Mirror { name: name.to_owned(), message });
    }
    if let Signature::Unavailable { message } = &out.signature {
        return Err(Error::Registry { name: name.to_owned(), message: message.clone() });
    }
    Ok(out)
}

/// The Gitea side of one Blueprint; returns how many writes were made. Only a repository the
/// controller made is written to or deleted from (public, neither fork nor mirror, with the
/// mirror's description): a Blueprint named after another repository of the org cannot reach
/// it.
async fn mirror_once(
    ctx: &Context,
    gitea: &catalyst_gitea::Client,
    v: &Verdict,
    mirror: &Mirror,
) -> Result<usize, String> {
    let owned =
        |r: &catalyst_gitea::Repo| !r.private && !r.fork && !r.mirror && r.description == MIRROR_DESCRIPTION;
    let refuse = || format!("{CATALOG_ORG}/{} exists and is not a Blueprint mirror; not written", v.name);
    let target =
        |message| Target { owner: CATALOG_ORG, repo: &v.name, branch: "main", message, author: &ctx.author };
    match mirror {
        Mirror::Write { bytes, message } => {
            let repo = NewRepo {
                org: CATALOG_ORG,
                name: &v.name,
                description: MIRROR_DESCRIPTION,
                private: false,
                default_branch: "main",
            };
            let ensured = gitea.ensure_repo(&repo).await.map_err(|e| e.to_string())?;
            if !ensured.created && !owned(&ensured.value) {
                return Err(refuse());
            }
            let written = gitea
                .upsert_file(&target(message), MIRROR_FILE, bytes.as_bytes())
                .await
                .map_err(|e| e.to_string())?;
            let n = usize::from(ensured.created) + usize::from(written != catalyst_gitea::Upsert::Unchanged);
            if n > 0 {
                info!(blueprint = %v.name, %written, "mirrored to {CATALOG_ORG}/{}", v.name);
            }
            Ok(n)
        }
        Mirror::Delete { message } => {
            match gitea.get_repo(CATALOG_ORG, &v.name).await {
                Ok(r) if !owned(&r) => return Err(refuse()),
                Ok(_) => {}
                // No repository (never listed): nothing to take down.
                Err(GiteaError::RepoNotFound { .. }) => return Ok(0),
                Err(e) => return Err(e.to_string()),
            }
            match gitea.delete_file(&target(message), MIRROR_FILE).await {
                Ok(deleted) => Ok(usize::from(deleted)),
                Err(GiteaError::RepoNotFound { .. }) => Ok(0),
                Err(e) => Err(e.to_string()),
            }
        }
    }
}
