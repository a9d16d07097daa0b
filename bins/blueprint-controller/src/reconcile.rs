//! One reconcile of one `Blueprint` (SPEC CTRL-2, as the platform runs it): judge it with the
//! one rule set ([`catalyst_core::catalog::judge`]), mirror it into the Gitea org `catalog`
//! (listed → `blueprint.yaml` written, unlisted or private → deleted; equal bytes make no
//! commit), and write the status, only when it changed, so the controller's own status write
//! never triggers another pass.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use catalyst_core::catalog::{
    CATALOG_ORG, MIRROR_DESCRIPTION, MIRROR_FILE, Mirror, Verdict, judge, next_status,
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
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("mirror", &self.gitea.is_some()).finish_non_exhaustive()
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
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The phase written; `None` when the Blueprint is gone.
    pub phase: Option<String>,
    /// Gitea writes (a commit or a deletion; 0 when nothing changed).
    pub gitea_writes: usize,
    /// Whether the status was written.
    pub status_written: bool,
    /// When to look again.
    pub requeue: Option<Duration>,
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
    let mut write_failed = None;
    if let (Some(gitea), Some(mirror)) = (&ctx.gitea, &verdict.mirror) {
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
    let status = next_status(&prev, &verdict, generation, &(ctx.clock)(), write_failed.as_deref());
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
