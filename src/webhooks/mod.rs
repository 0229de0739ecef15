//! Webhooks (DESIGN.md §5b): `[[webhooks]]` in the manifest name the writes
//! another system is told about. A write records its deliveries in the
//! outbox table `_baas_outbox` in its own transaction ([`outbox`]); the
//! [`worker`] posts them, signed ([`sign`]), at least once, with retries and
//! a dead-letter state; [`queue`] is the outbox as the worker and
//! `baas webhooks` read and change it.

pub mod outbox;
pub mod queue;
pub mod sign;
pub mod worker;

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
        Worker {
            queue,
            manifest,
            env,
            wake: Arc::clone(&wake),
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
                Worker {
                    queue,
                    manifest,
                    env,
                    wake: later,
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
