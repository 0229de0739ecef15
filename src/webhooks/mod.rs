//! Webhooks (DESIGN.md §5b): `[[webhooks]]` in the manifest name the writes
//! another system is told about. A write records its deliveries in the
//! outbox table `_baas_outbox` in its own transaction ([`outbox`]); the
//! [`worker`] posts them, signed ([`sign`]), at least once, with retries and
//! a dead-letter state; [`queue`] is the outbox as the worker and
//! `baas webhooks` read and change it; [`mongo`] decides whether a
//! MongoDB server records them in the write's transaction too.

pub mod mongo;
pub mod outbox;
pub mod queue;
pub mod sign;
pub mod worker;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::settings::Environment;
use crate::source::SourceLocation;
use worker::{CurrentManifest, Worker};

/// Starts delivering the webhooks of the database at `location` (the
/// served one): with `[[webhooks]]` in the manifest now, the outbox table
/// is made sure of before the server answers (an error stops it) and the
/// worker starts; without, a task waits for a reload to bring the first
/// webhook. Returns what to notify after a write.
pub async fn start(
    location: SourceLocation,
    manifest: CurrentManifest,
    env: Environment,
) -> anyhow::Result<Arc<Notify>> {
    let wake = Arc::new(Notify::new());
    let env = Arc::new(env);
    if !manifest().webhooks.is_empty() {
        let queue = queue::Queue::open(&location).await?;
        queue.ensure().await?;
        announce(&queue).await;
        Worker {
            queue,
            manifest,
            env,
            wake: Arc::clone(&wake),
            tenant: None,
        }
        .spawn();
        return Ok(wake);
    }
    let later = Arc::clone(&wake);
    tokio::spawn(async move {
        while manifest().webhooks.is_empty() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let opened = match queue::Queue::open(&location).await {
            Ok(queue) => queue.ensure().await.map(|()| queue),
            Err(error) => Err(error),
        };
        match opened {
            Ok(queue) => {
                announce(&queue).await;
                Worker {
                    queue,
                    manifest,
                    env,
                    wake: later,
                    tenant: None,
                }
                .spawn();
            }
            Err(error) => {
                tracing::error!(target: "baas::webhooks", "webhooks will not be delivered: {error:#}");
            }
        }
    });
    Ok(wake)
}

/// Says in one log line where the served database's writes record their
/// deliveries: in the write's transaction (SQL engines, and MongoDB
/// servers with transactions), or right after the write (a warning).
async fn announce(queue: &queue::Queue) {
    let mode = match queue {
        queue::Queue::Mongo(database) => mongo::outbox_mode(database).await,
        _ => outbox::OutboxMode::Transaction,
    };
    if mode.in_transaction() {
        tracing::info!(target: "baas::webhooks", "{mode}");
    } else {
        tracing::warn!(target: "baas::webhooks", "{mode}");
    }
}

/// How often the tenants are listed again.
const TENANT_SCAN: Duration = Duration::from_secs(1);

/// The served tenants of a deployment and where each one's database is
/// (read from the tenant registry by the caller, off the runtime's threads).
pub type ServedTenants = Arc<
    dyn Fn() -> futures::future::BoxFuture<'static, anyhow::Result<Vec<(String, SourceLocation)>>>
        + Send
        + Sync,
>;

/// Delivers the outboxes of a tenanted deployment's tenants: each tenant's
/// writes record their deliveries in the tenant's own database (in the
/// write's transaction), so a worker per served tenant delivers them, with
/// the tenant's slug in [`sign::TENANT_HEADER`]. The tenants are listed
/// every [`TENANT_SCAN`]: a new one gets a worker, one deactivated or
/// dropped loses it. Tenant workers are not woken by writes: they look
/// every 200 ms. Nothing runs while the manifest has no `[[webhooks]]`.
pub fn start_tenants(tenants: ServedTenants, manifest: CurrentManifest, env: Environment) {
    let env = Arc::new(env);
    tokio::spawn(async move {
        let mut running: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();
        loop {
            if !manifest().webhooks.is_empty() {
                match tenants().await {
                    Ok(served) => {
                        running.retain(|slug, worker| {
                            let keep = served.iter().any(|(served, _)| served == slug);
                            if !keep {
                                worker.abort();
                            }
                            keep
                        });
                        for (slug, location) in served {
                            if running.contains_key(&slug) {
                                continue;
                            }
                            let opened = match queue::Queue::open(&location).await {
                                Ok(queue) => queue.ensure().await.map(|()| queue),
                                Err(error) => Err(error),
                            };
                            match opened {
                                Ok(queue) => {
                                    let worker = Worker {
                                        queue,
                                        manifest: Arc::clone(&manifest),
                                        env: Arc::clone(&env),
                                        wake: Arc::new(Notify::new()),
                                        tenant: Some(slug.clone()),
                                    }
                                    .spawn();
                                    running.insert(slug, worker);
                                }
                                Err(error) => tracing::warn!(
                                    target: "baas::webhooks",
                                    "the webhook outbox of tenant `{slug}` cannot be opened (tried again in {} s): {error:#}",
                                    TENANT_SCAN.as_secs()
                                ),
                            }
                        }
                    }
                    Err(error) => tracing::warn!(
                        target: "baas::webhooks",
                        "the tenants cannot be listed for webhook delivery: {error:#}"
                    ),
                }
            }
            tokio::time::sleep(TENANT_SCAN).await;
        }
    });
}
