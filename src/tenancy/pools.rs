//! The connection manager: one store (one pool) per tenant, opened on the
//! first request for it and reused.
//!
//! - **One initialisation per tenant**: concurrent first requests wait for
//!   the same opening (a `tokio::sync::OnceCell` per tenant); an opening
//!   that fails is retried by the next request.
//! - **A cap on open pools**: opening one more than `cap` closes the least
//!   recently used; a pool unused for `idle` is closed too.
//! - **A circuit breaker per tenant**: a tenant whose database cannot be
//!   opened is not tried again for a while (1 s, doubling up to 30 s per
//!   failure in a row): its requests fail at once with 503 instead of each
//!   waiting for the connect timeout, and the other tenants never wait
//!   for it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::serve::store::{Store, StoreError};

/// The default cap on open tenant pools.
pub const DEFAULT_CAP: usize = 100;

/// The default idle time after which a tenant's pool is closed.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(300);

struct Slot {
    /// The location the store was opened for: a changed location (the
    /// tenant was dropped and made again elsewhere) opens a new one.
    location: String,
    store: tokio::sync::OnceCell<Arc<dyn Store>>,
    /// Milliseconds since [`Pools::epoch`] of the last use.
    last_used: AtomicU64,
    /// Openings that failed in a row.
    failures: AtomicU64,
    /// Until when (milliseconds since the epoch) no opening is tried.
    open_until: AtomicU64,
}

/// The longest a tenant's breaker stays open.
const MAX_BACKOFF_MS: u64 = 30_000;

/// Open tenant stores, by slug.
pub struct Pools {
    cap: usize,
    idle: Duration,
    epoch: Instant,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    /// Stores opened so far (for tests and the benchmark's figures).
    opened: AtomicU64,
}

impl Pools {
    pub fn new(cap: usize, idle: Duration) -> Self {
        Self {
            cap: cap.max(1),
            idle,
            epoch: Instant::now(),
            slots: Mutex::new(HashMap::new()),
            opened: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Slot>>> {
        match self.slots.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The store of `tenant` at `location`, opened with `open` when it is
    /// not open yet (once, however many requests ask at the same time).
    pub async fn get<F, Fut>(
        &self,
        tenant: &str,
        location: &str,
        open: F,
    ) -> Result<Arc<dyn Store>, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<dyn Store>, StoreError>>,
    {
        let now = self.now();
        let slot = {
            let mut slots = self.slots();
            match slots.get(tenant) {
                Some(slot) if slot.location == location => slot.clone(),
                _ => {
                    self.make_room(&mut slots, now, tenant);
                    let slot = Arc::new(Slot {
                        location: location.to_owned(),
                        store: tokio::sync::OnceCell::new(),
                        last_used: AtomicU64::new(now),
                        failures: AtomicU64::new(0),
                        open_until: AtomicU64::new(0),
                    });
                    slots.insert(tenant.to_owned(), slot.clone());
                    slot
                }
            }
        };
        slot.last_used.store(now, Ordering::Relaxed);
        if let Some(store) = slot.store.get() {
            return Ok(store.clone());
        }
        let open_until = slot.open_until.load(Ordering::Relaxed);
        if now < open_until {
            return Err(StoreError::Unavailable(anyhow::anyhow!(
                "tenant `{tenant}`: its database failed {} time(s) in a row; the next attempt is in {} ms (circuit open)",
                slot.failures.load(Ordering::Relaxed),
                open_until - now
            )));
        }
        let result = slot
            .store
            .get_or_try_init(|| async {
                let store = open().await?;
                self.opened.fetch_add(1, Ordering::Relaxed);
                Ok::<_, StoreError>(store)
            })
            .await;
        match result {
            Ok(store) => {
                slot.failures.store(0, Ordering::Relaxed);
                Ok(store.clone())
            }
            Err(error) => {
                if matches!(
                    error,
                    StoreError::Unavailable(_) | StoreError::Credentials(_)
                ) {
                    let failures = slot.failures.fetch_add(1, Ordering::Relaxed) + 1;
                    let backoff = 1000u64
                        .saturating_mul(1 << (failures - 1).min(5))
                        .min(MAX_BACKOFF_MS);
                    slot.open_until
                        .store(self.now().saturating_add(backoff), Ordering::Relaxed);
                }
                Err(error)
            }
        }
    }

    /// Closes idle pools, then the least recently used ones, until one
    /// more fits under the cap (`keep` is the tenant about to be opened).
    fn make_room(&self, slots: &mut HashMap<String, Arc<Slot>>, now: u64, keep: &str) {
        let idle = u64::try_from(self.idle.as_millis()).unwrap_or(u64::MAX);
        slots.retain(|name, slot| {
            name == keep || now.saturating_sub(slot.last_used.load(Ordering::Relaxed)) < idle
        });
        while slots.len() >= self.cap {
            let oldest = slots
                .iter()
                .filter(|(name, _)| name.as_str() != keep)
                .min_by_key(|(_, slot)| slot.last_used.load(Ordering::Relaxed))
                .map(|(name, _)| name.clone());
            match oldest {
                Some(name) => {
                    slots.remove(&name);
                }
                None => break,
            }
        }
    }

    /// Forgets `tenant`'s store (dropped or deactivated).
    pub fn close(&self, tenant: &str) {
        self.slots().remove(tenant);
    }

    /// The tenants whose store is open now.
    pub fn open_tenants(&self) -> Vec<String> {
        let slots = self.slots();
        let open = slots.iter().filter(|(_, slot)| slot.store.get().is_some());
        open.map(|(tenant, _)| tenant.clone()).collect()
    }

    /// How many tenant stores are open now.
    pub fn open_count(&self) -> usize {
        self.slots().len()
    }

    /// How many tenant stores were opened since the start.
    pub fn opened_total(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::serve::store::sqlite::SqliteStore;

    fn store(dir: &std::path::Path) -> Result<Arc<dyn Store>, StoreError> {
        let path = dir.join("t.sqlite3");
        if !path.exists() {
            rusqlite::Connection::open(&path).unwrap();
        }
        let store = SqliteStore::open(&path).map_err(StoreError::Unavailable)?;
        Ok(Arc::new(store))
    }

    #[tokio::test]
    async fn concurrent_first_requests_open_one_store() {
        let dir = tempfile::tempdir().unwrap();
        let pools = Pools::new(10, DEFAULT_IDLE);
        let calls = AtomicUsize::new(0);
        let opens = (0..20).map(|_| {
            pools.get("acme", "a", || async {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                store(dir.path())
            })
        });
        for result in futures::future::join_all(opens).await {
            assert!(result.is_ok());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(pools.opened_total(), 1);
    }

    #[tokio::test]
    async fn the_least_recently_used_pool_is_closed_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let pools = Pools::new(2, DEFAULT_IDLE);
        for tenant in ["a", "b", "a", "c", "a", "d"] {
            pools
                .get(tenant, "x", || async { store(dir.path()) })
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert_eq!(pools.open_count(), 2);
        // `a` was used most often and last before `d`: it stayed open.
        assert_eq!(pools.opened_total(), 4);
    }

    #[tokio::test]
    async fn a_failing_tenant_trips_its_breaker_and_others_are_served() {
        let dir = tempfile::tempdir().unwrap();
        let pools = Pools::new(10, DEFAULT_IDLE);
        let calls = AtomicUsize::new(0);
        let dead = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<Arc<dyn Store>, _>(StoreError::Unavailable(anyhow::anyhow!("refused")))
        };
        assert!(pools.get("dead", "x", dead).await.is_err());
        let second = pools.get("dead", "x", dead).await;
        match second {
            Err(StoreError::Unavailable(error)) => {
                assert!(error.to_string().contains("circuit open"), "{error}");
            }
            _ => panic!("the breaker should answer"),
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "not tried again while open"
        );
        assert!(
            pools
                .get("alive", "x", || async { store(dir.path()) })
                .await
                .is_ok()
        );
    }
}
