//! The delivery worker: a tokio task that claims due deliveries from the
//! outbox, posts each to its webhook (signed, within the webhook's
//! timeout), and records the outcome: delivered on a 2xx answer, else due
//! again after an exponential backoff with jitter, or dead after the
//! webhook's `max_attempts`. Delivery is at least once: a receiver
//! dedupes by the `X-Baas-Event-Id` header.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::outbox::now_ms;
use super::queue::{Claimed, Failure, Queue};
use super::sign;
use crate::manifest::{Manifest, Webhook};
use crate::settings::Environment;

/// Deliveries claimed per round (and posted at once).
const BATCH: usize = 128;
/// How long an idle worker waits before looking again (writes from other
/// processes and retries coming due are only seen by looking).
const IDLE_POLL: Duration = Duration::from_millis(200);
/// The first retry's delay; each next one doubles, up to [`MAX_BACKOFF_MS`].
const BASE_BACKOFF_MS: i64 = 1_000;
const MAX_BACKOFF_MS: i64 = 10 * 60 * 1_000;
/// The most of a receiver's answer that is read (and then dropped).
const MAX_ANSWER_BYTES: u64 = 64 * 1024;

/// Where the worker finds the current manifest (hot reloads included).
pub type CurrentManifest = Arc<dyn Fn() -> Arc<Manifest> + Send + Sync>;

/// Delivers the outbox of one database.
pub struct Worker {
    pub queue: Queue,
    pub manifest: CurrentManifest,
    /// `.env` beside the manifest, for the `${ENV}` secrets.
    pub env: Arc<Environment>,
    /// Notified after a write that may have added deliveries.
    pub wake: Arc<Notify>,
    /// The tenant whose outbox this is (sent as [`sign::TENANT_HEADER`]
    /// when a payload names none).
    pub tenant: Option<String>,
}

/// How one attempt went.
enum Outcome {
    Delivered,
    Failed(String),
    /// The webhook is gone from the manifest: no attempt can succeed.
    Unknown,
}

impl Worker {
    /// Runs the worker until the runtime stops.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run().await })
    }

    async fn run(self) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent("baas-webhooks")
            // A receiver cannot send the signed delivery on to another
            // address: a 3xx is its answer, a failed attempt.
            .max_redirects(0)
            .max_idle_connections_per_host(128)
            .build()
            .into();
        loop {
            match self.round(&agent).await {
                Ok(0) => {
                    let _ = tokio::time::timeout(IDLE_POLL, self.wake.notified()).await;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(target: "baas::webhooks", "the webhook outbox cannot be read: {error:#}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Claims and delivers one batch; how many were claimed.
    pub async fn round(&self, agent: &ureq::Agent) -> anyhow::Result<usize> {
        let manifest = (self.manifest)();
        let lease_ms = lease_ms(&manifest);
        let claimed = self.queue.claim(BATCH, lease_ms).await?;
        let count = claimed.len();
        let attempts = claimed.into_iter().map(|delivery| {
            let webhook = manifest
                .webhooks
                .iter()
                .find(|webhook| webhook.name() == delivery.webhook)
                .cloned();
            let (agent, env) = (agent.clone(), Arc::clone(&self.env));
            let tenant = self.tenant.clone();
            tokio::task::spawn_blocking(move || {
                let outcome = match &webhook {
                    Some(webhook) => post(&agent, &env, webhook, &delivery, tenant.as_deref()),
                    None => Outcome::Unknown,
                };
                (delivery, webhook, outcome)
            })
        });
        let mut delivered = Vec::new();
        let mut failures = Vec::new();
        for attempt in futures::future::join_all(attempts).await {
            let (delivery, webhook, outcome) = attempt?;
            match outcome {
                Outcome::Delivered => delivered.push(delivery.id),
                Outcome::Unknown => {
                    let error = format!(
                        "no webhook is called `{}` in the manifest",
                        delivery.webhook
                    );
                    tracing::warn!(target: "baas::webhooks", id = %delivery.id, "{error}: the delivery is dead");
                    failures.push(Failure {
                        id: delivery.id,
                        error,
                        next_attempt_at: None,
                    });
                }
                Outcome::Failed(error) => {
                    let max = webhook
                        .as_ref()
                        .and_then(|webhook| webhook.max_attempts)
                        .unwrap_or(Webhook::DEFAULT_MAX_ATTEMPTS);
                    let next =
                        (delivery.attempts < max).then(|| now_ms() + backoff_ms(delivery.attempts));
                    tracing::warn!(
                        target: "baas::webhooks",
                        id = %delivery.id,
                        webhook = %delivery.webhook,
                        attempt = delivery.attempts,
                        dead = next.is_none(),
                        "webhook delivery failed: {error}"
                    );
                    failures.push(Failure {
                        id: delivery.id,
                        error,
                        next_attempt_at: next,
                    });
                }
            }
        }
        self.queue.failed(&failures).await?;
        self.queue.delivered(&delivered).await?;
        Ok(count)
    }
}

/// A claim outlives the longest attempt (plus a margin), so a running
/// attempt is never taken by another worker.
fn lease_ms(manifest: &Manifest) -> i64 {
    let longest = manifest
        .webhooks
        .iter()
        .map(|webhook| {
            webhook
                .timeout_seconds
                .unwrap_or(Webhook::DEFAULT_TIMEOUT_SECONDS)
        })
        .max()
        .unwrap_or(Webhook::DEFAULT_TIMEOUT_SECONDS);
    i64::try_from(longest.saturating_add(5).saturating_mul(1_000)).unwrap_or(i64::MAX)
}

/// The delay before attempt `attempts + 1`: 1 s, 2 s, 4 s, ... up to 10
/// minutes, each scaled by a random factor in [0.5, 1) so failed
/// deliveries do not come back in lockstep.
pub fn backoff_ms(attempts: u32) -> i64 {
    let exponent = attempts.saturating_sub(1).min(20);
    let delay = BASE_BACKOFF_MS
        .saturating_mul(1_i64 << exponent)
        .min(MAX_BACKOFF_MS);
    let mut random = [0u8; 2];
    let _ = getrandom::fill(&mut random);
    let jitter = i64::from(u16::from_le_bytes(random)); // 0..65535
    delay / 2 + delay / 2 * jitter / 65_536
}

/// One attempt: POST the payload, signed when the webhook has a secret.
fn post(
    agent: &ureq::Agent,
    env: &Environment,
    webhook: &Webhook,
    delivery: &Claimed,
    tenant: Option<&str>,
) -> Outcome {
    let timestamp = now_ms() / 1_000;
    let body = delivery.payload.as_bytes();
    let timeout = Duration::from_secs(
        webhook
            .timeout_seconds
            .unwrap_or(Webhook::DEFAULT_TIMEOUT_SECONDS),
    );
    let mut request = agent
        .post(&webhook.url)
        .config()
        .timeout_global(Some(timeout))
        .build()
        .header("content-type", "application/json")
        .header(sign::EVENT_ID_HEADER, &delivery.id)
        .header(sign::EVENT_HEADER, &delivery.event)
        .header(sign::TIMESTAMP_HEADER, timestamp.to_string());
    // The payload's tenant (signed with it) when it names one; else the
    // tenant whose own outbox this is.
    if let Some(tenant) = super::outbox::tenant_of(&delivery.payload).or(tenant.map(str::to_owned))
    {
        request = request.header(sign::TENANT_HEADER, tenant);
    }
    if let Some(reference) = &webhook.secret {
        // The message names the reference, never the value.
        let secret = match env.interpolate(reference) {
            Ok(secret) if !secret.is_empty() => secret,
            _ => return Outcome::Failed(format!("the secret {reference} is not set")),
        };
        request = request.header(
            sign::SIGNATURE_HEADER,
            sign::signature(secret.as_bytes(), timestamp, body),
        );
    }
    match request.send(body) {
        Ok(mut response) => {
            let status = response.status();
            let _ = response
                .body_mut()
                .with_config()
                .limit(MAX_ANSWER_BYTES)
                .read_to_vec();
            if status.is_success() {
                Outcome::Delivered
            } else if status.is_redirection() {
                Outcome::Failed(format!(
                    "{} answered {status}; redirects are not followed",
                    webhook.url
                ))
            } else {
                Outcome::Failed(format!("{} answered {status}", webhook.url))
            }
        }
        Err(error) => Outcome::Failed(format!("POST {}: {error}", webhook.url)),
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for attempts in 1..=30 {
            let full = (1_000_i64 << (attempts - 1).min(20)).min(600_000);
            let delay = backoff_ms(attempts);
            assert!(delay >= full / 2 && delay < full, "{attempts}: {delay}");
        }
    }
}
