//! The connection manager: one store (one pool) per tenant, opened on the
//! first request for it and reused.
//!
//! - **One initialisation per tenant**: concurrent first requests wait for
//!   the same opening (a `tokio::sync::OnceCell` per tenant); an opening
//!   that fails is retried by the next request.
//! - **A cap on open pools**: opening one more than `cap` closes the least
//!   recently used; a pool unused for `idle` is closed too.

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
}

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
                    });
                    slots.insert(tenant.to_owned(), slot.clone());
                    slot
                }
            }
        };
        slot.last_used.store(now, Ordering::Relaxed);
        let store = slot
            .store
            .get_or_try_init(|| async {
                let store = open().await?;
                self.opened.fetch_add(1, Ordering::Relaxed);
                Ok::<_, StoreError>(store)
            })
            .await?;
        Ok(store.clone())
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

    /// How many tenant stores are open now.
    pub fn open_count(&self) -> usize {
        self.slots().len()
    }

    /// How many tenant stores were opened since the start.
    pub fn opened_total(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }
}
