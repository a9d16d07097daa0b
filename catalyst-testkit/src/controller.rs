//! Running a controller's whole watch loop in a test, as each binary's `run` builds it: a
//! metadata watcher, catalyst-runtime's generation `triggers`, kube-runtime's `Controller`
//! with the binary's own `reconcile` and `error_policy`; and the waits and metric reads the
//! fault tests share.

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt as _, TryFuture};
use kube::Resource;
use kube::runtime::controller::Action;
use kube::runtime::{Controller, WatchStreamExt as _, reflector, watcher};
use serde::de::DeserializeOwned;

/// Spawns the controller loop over every `K` the client sees; abort the handle to stop it.
pub fn spawn<K, Ctx, Fut>(
    client: kube::Client,
    reconcile: impl FnMut(Arc<K>, Arc<Ctx>) -> Fut + Send + 'static,
    error_policy: impl Fn(Arc<K>, &Fut::Error, Arc<Ctx>) -> Action + Send + Sync + 'static,
    ctx: Arc<Ctx>,
) -> tokio::task::JoinHandle<()>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone + Debug + Unpin + Send + Sync,
    Ctx: Send + Sync + 'static,
    Fut: TryFuture<Ok = Action> + Send + 'static,
    Fut::Error: std::error::Error + Send + 'static,
{
    let watched: kube::Api<K> = kube::Api::all(client);
    let (reader, store) = reflector::store::<K>();
    let stream = catalyst_runtime::triggers(
        watcher(watched, watcher::Config::default().any_semantic()).default_backoff().reflect(store),
    );
    tokio::spawn(
        Controller::for_stream(stream, reader).run(reconcile, error_policy, ctx).for_each(|_| async {}),
    )
}

/// Waits (polling every 100 ms, at most 60 s) until `done`; panics naming `what` and `show()`.
pub async fn until(what: &str, mut done: impl FnMut() -> bool, show: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "not within 60 s: {what}; {}", show());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of the counter `name` (`<prefix>_<metric>_total`) in a Prometheus text exposition.
pub fn counter(exposition: &str, name: &str) -> u64 {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no counter {name} in:\n{exposition}"))
        .parse()
        .unwrap()
}
