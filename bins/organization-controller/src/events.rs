//! `catalyst.tenant.deleted` on NATS when an Organization is deleted (best effort, as the
//! platform publishes it): the envelope `{id, type, source, timestamp, tenant_id, data}` with
//! `data = {"id": slug, "slug": slug}`, within a deadline; a failure is logged, never retried,
//! and never holds up the deletion.

use std::time::Duration;

use serde_json::json;

/// The subject.
pub const TENANT_DELETED: &str = "catalyst.tenant.deleted";

/// A NATS connection for tenant events.
#[derive(Clone, Debug)]
pub struct Events {
    client: async_nats::Client,
    timeout: Duration,
}

impl Events {
    /// Connects to `url` in the background (a NATS outage must not stop reconciles); each
    /// publish is bounded by `timeout`.
    ///
    /// # Errors
    /// A URL that is not a NATS URL.
    pub async fn connect(url: &str, timeout: Duration) -> Result<Self, String> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(timeout)
            .retry_on_initial_connect()
            .connect(url)
            .await
            .map_err(|e| format!("NATS_URL {}: {e}", redacted(url)))?;
        Ok(Self { client, timeout })
    }

    /// Publishes `tenant.deleted` for `slug` (Organization `uid`) and waits for the server to
    /// have it (flush), within the deadline.
    ///
    /// # Errors
    /// What failed, for the log.
    pub async fn tenant_deleted(&self, slug: &str, uid: &str, at: &str) -> Result<(), String> {
        let event = json!({
            "id": format!("{uid}/tenant.deleted"),
            "type": "tenant.deleted",
            "source": catalyst_core::tenant::CONTROLLER,
            "timestamp": at,
            "tenant_id": slug,
            "data": {"id": slug, "slug": slug},
        });
        let body = serde_json::to_vec(&event).map_err(|e| e.to_string())?;
        let publish = async {
            self.client.publish(TENANT_DELETED, body.into()).await.map_err(|e| format!("publishing: {e}"))?;
            self.client.flush().await.map_err(|e| format!("flushing: {e}"))
        };
        tokio::time::timeout(self.timeout, publish)
            .await
            .map_err(|_| format!("not published within {:?}", self.timeout))?
    }
}

/// The URL without user or password, for messages.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "(not a URL)".into(),
    }
}
