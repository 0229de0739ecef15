//! What a server keeps of the registry's rows between requests: slug →
//! record (or "no such tenant"), for a registry whose every read is a
//! round trip to another server (PostgreSQL).
//!
//! An entry is trusted only while the registry's change notifications are
//! being received (`live`), for at most the cache's TTL, and it is
//! forgotten at once when a notification or a write of this process names
//! its slug. A read that was under way while anything was forgotten does
//! not fill the cache: its answer may predate the change (the
//! `generation` stamp taken before the read tells).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::TenantRecord;

/// Entries kept at most: past it, the expired ones go, then all of them
/// (slugs that are no tenant are cached too, and a client may send many).
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    record: Option<TenantRecord>,
    at: Instant,
}

#[derive(Default)]
struct State {
    /// Bumped by every forgetting.
    generation: u64,
    entries: HashMap<String, Entry>,
}

/// The cache of registry rows, by slug.
pub struct Cache {
    ttl: Duration,
    live: AtomicBool,
    state: Mutex<State>,
}

/// Taken before a read of the registry, handed back with its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(u64);

impl Cache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            live: AtomicBool::new(false),
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The record cached for `slug` (`Some(None)`: cached as no tenant);
    /// `None` when it must be read.
    pub fn get(&self, slug: &str) -> Option<Option<TenantRecord>> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let state = self.state();
        let entry = state.entries.get(slug)?;
        (entry.at.elapsed() < self.ttl).then(|| entry.record.clone())
    }

    /// To be taken before reading the registry for [`Cache::put`].
    pub fn stamp(&self) -> Stamp {
        Stamp(self.state().generation)
    }

    /// Keeps what a read begun at `stamp` found, unless something was
    /// forgotten since (the answer may be older than that change) or the
    /// notifications are not being received.
    pub fn put(&self, slug: &str, record: Option<TenantRecord>, stamp: Stamp) {
        if !self.live.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.state();
        if state.generation != stamp.0 {
            return;
        }
        if state.entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            state.entries.retain(|_, entry| entry.at.elapsed() < ttl);
            if state.entries.len() >= MAX_ENTRIES {
                state.entries.clear();
            }
        }
        state.entries.insert(
            slug.to_owned(),
            Entry {
                record,
                at: Instant::now(),
            },
        );
    }

    /// Forgets `slug` (`None`: every slug), and makes the reads under way
    /// keep nothing.
    pub fn forget(&self, slug: Option<&str>) {
        let mut state = self.state();
        state.generation = state.generation.wrapping_add(1);
        match slug {
            Some(slug) => {
                state.entries.remove(slug);
            }
            None => state.entries.clear(),
        }
    }

    /// Whether the registry's change notifications are being received: the
    /// cache is used only while they are. Either way everything cached so
    /// far is forgotten (changes may have been missed).
    pub fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::Release);
        self.forget(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(slug: &str, active: bool) -> TenantRecord {
        TenantRecord {
            id: 1,
            slug: slug.to_owned(),
            name: None,
            location: format!("#schema={slug}"),
            pool_options: "{}".into(),
            active,
            ready: true,
            schema_version: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn nothing_is_kept_while_the_notifications_are_not_received() {
        let cache = Cache::new(Duration::from_secs(60));
        cache.put("acme", Some(record("acme", true)), cache.stamp());
        assert_eq!(cache.get("acme"), None);
        cache.set_live(true);
        cache.put("acme", Some(record("acme", true)), cache.stamp());
        assert_eq!(cache.get("acme"), Some(Some(record("acme", true))));
        // The notifications stop: what was kept may be stale.
        cache.set_live(false);
        assert_eq!(cache.get("acme"), None);
        cache.set_live(true);
        assert_eq!(cache.get("acme"), None, "forgotten, not just hidden");
    }

    #[test]
    fn a_read_that_overlapped_a_change_keeps_nothing() {
        let cache = Cache::new(Duration::from_secs(60));
        cache.set_live(true);
        // A read begins, the tenant is deactivated meanwhile (the
        // notification arrives), then the read's older answer comes back.
        let stamp = cache.stamp();
        cache.forget(Some("acme"));
        cache.put("acme", Some(record("acme", true)), stamp);
        assert_eq!(cache.get("acme"), None);
        // Another tenant's change counts too (one generation for all).
        let stamp = cache.stamp();
        cache.forget(Some("globex"));
        cache.put("acme", Some(record("acme", true)), stamp);
        assert_eq!(cache.get("acme"), None);
        let stamp = cache.stamp();
        cache.put("acme", Some(record("acme", false)), stamp);
        assert_eq!(cache.get("acme"), Some(Some(record("acme", false))));
        cache.forget(Some("acme"));
        assert_eq!(cache.get("acme"), None);
    }

    #[test]
    fn unknown_slugs_are_kept_too_and_everything_expires() {
        let cache = Cache::new(Duration::from_millis(30));
        cache.set_live(true);
        cache.put("nobody", None, cache.stamp());
        assert_eq!(cache.get("nobody"), Some(None));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get("nobody"), None, "past the TTL");
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = Cache::new(Duration::from_secs(60));
        cache.set_live(true);
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(&format!("t{i}"), None, cache.stamp());
        }
        assert!(cache.state().entries.len() <= MAX_ENTRIES);
        assert_eq!(
            cache.get(&format!("t{}", MAX_ENTRIES + 9)),
            Some(None),
            "the newest is kept"
        );
    }
}
