//! The environment-controller's test configuration over the shared harnesses
//! (catalyst-testkit): the in-memory Kubernetes API, the Gitea stand-in, and the manifests.
#![allow(dead_code, unused_imports, clippy::unwrap_used, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use catalyst_gitea::Identity;
pub use catalyst_testkit::gitea::Gitea;
pub use catalyst_testkit::kube::{ApiRequest, FakeApi, environment, hetzner};
use environment_controller::config::Settings;
use environment_controller::metrics::Metrics;
use environment_controller::reconcile::Context;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// The fixed clock of the tests.
pub const NOW: &str = "2026-12-06T10:00:00Z";

/// The seed's test configuration: public URL, secret, author `test-bot`, suffix, requeue 2 min.
pub fn settings() -> Settings {
    let mut s = Settings::empty("https://gitea.hfmp.acme.openova.io").with_defaults();
    s.author = Identity { name: "test-bot".into(), email: "test-bot@openova.io".into() };
    s.requeue_after = Duration::from_secs(120);
    s
}

/// A reconcile context over the fake API and the Gitea server, on the fixed clock.
pub fn context(api: &FakeApi, gitea: &Gitea, settings: Settings) -> Context {
    let mut ctx = Context::new(api.client(), gitea.client.clone(), settings, Metrics::new());
    ctx.clock = Arc::new(|| Time(NOW.parse().unwrap()));
    ctx
}
