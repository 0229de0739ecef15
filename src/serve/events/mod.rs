//! Changes: after every committed write the kernel publishes one
//! [`Change`] here; realtime subscribers, webhooks and after-hooks read
//! them from a [`Subscription`].
//!
//! The channel is a bounded broadcast: publishing never waits, and a
//! subscriber that falls more than [`CAPACITY`] changes behind is told how
//! many it missed ([`Received::Lagged`]) instead of making the writer wait
//! or memory grow.

pub mod external;
pub mod mongo;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;

use super::store::Row;

/// Changes kept for subscribers that have not read them yet.
pub const CAPACITY: usize = 4096;

/// Events kept for resuming subscribers ([`Events::resume`]).
pub const HISTORY: usize = 1024;

/// The kind of write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
}

/// One committed write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The tenant the write ran for, when the deployment has tenants.
    pub tenant: Option<String>,
    pub entity: String,
    #[serde(rename = "type")]
    pub kind: ChangeKind,
    /// The primary key values of the row, in key order.
    pub key: Vec<serde_json::Value>,
    /// The row before the write (update, delete).
    pub old: Option<Row>,
    /// The row after the write (create, update).
    pub new: Option<Row>,
}

/// A published change and its id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Increasing within the process (see the module docs).
    pub id: u64,
    pub change: Change,
    /// Its realtime data, rendered once per form and shared by every
    /// subscriber who is sent that form (see [`Rendered`]).
    #[serde(skip)]
    pub rendered: Rendered,
}

/// The JSON data of an event as subscribers are sent it, by form: which
/// of `row` and `old` are visible, under which served manifest (a reload
/// between two subscribers renders again). A handful of forms at most.
#[derive(Default)]
pub struct Rendered(Mutex<Vec<(usize, u8, Arc<str>)>>);

impl Rendered {
    /// The data of form `(manifest, form)`, rendered by `render` the first
    /// time it is asked for.
    pub fn get_or_render(
        &self,
        manifest: usize,
        form: u8,
        render: impl FnOnce() -> String,
    ) -> Arc<str> {
        let mut forms = match self.0.lock() {
            Ok(forms) => forms,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((_, _, data)) = forms.iter().find(|(m, f, _)| *m == manifest && *f == form) {
            return Arc::clone(data);
        }
        let data: Arc<str> = render().into();
        forms.push((manifest, form, Arc::clone(&data)));
        data
    }
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rendered")
    }
}

/// A copy renders again (the cache is not part of the event's value).
impl Clone for Rendered {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for Rendered {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::ops::Deref for Event {
    type Target = Change;

    fn deref(&self) -> &Change {
        &self.change
    }
}

/// The in-process change channel.
#[derive(Debug, Clone)]
pub struct Events {
    sender: broadcast::Sender<Arc<Event>>,
    /// The next id and the last [`HISTORY`] events; the lock also orders
    /// sending, so subscribers receive ids in increasing order.
    log: Arc<Mutex<Log>>,
}

#[derive(Debug)]
struct Log {
    next: u64,
    recent: VecDeque<Arc<Event>>,
}

impl Default for Events {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| u64::try_from(d.as_micros()).unwrap_or(1));
        Self {
            sender,
            log: Arc::new(Mutex::new(Log {
                next: start.max(1),
                recent: VecDeque::with_capacity(HISTORY),
            })),
        }
    }
}

/// Where a resuming subscriber starts ([`Events::resume`]).
pub struct Resumed {
    /// The kept events after the one the subscriber saw last.
    pub backlog: Vec<Arc<Event>>,
    /// Whether events it has not seen are no longer kept (or the id is
    /// not one of this process): it has to read the data again.
    pub gap: bool,
    /// Changes published from now on (after the backlog).
    pub subscription: Subscription,
}

impl Events {
    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        match self.log.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Sends `change` to every current subscriber; with none it is dropped
    /// (and kept in the history only).
    pub fn publish(&self, change: Change) {
        let mut log = self.log();
        let event = Arc::new(Event {
            id: log.next,
            change,
            rendered: Rendered::default(),
        });
        log.next += 1;
        if log.recent.len() == HISTORY {
            log.recent.pop_front();
        }
        log.recent.push_back(event.clone());
        // An error only means nobody is subscribed.
        let _ = self.sender.send(event);
    }

    /// Changes published from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            receiver: self.sender.subscribe(),
        }
    }

    /// Changes after the event `last` (a `Last-Event-ID`): the kept ones,
    /// then those published from now on, with none lost or repeated in
    /// between.
    pub fn resume(&self, last: u64) -> Resumed {
        let log = self.log();
        let subscription = self.subscribe();
        let oldest = log.recent.front().map_or(log.next, |event| event.id);
        // `last` is the id before the oldest kept one at the earliest, and
        // one this process gave at the latest.
        let known = last.checked_add(1).is_some_and(|after| after >= oldest) && last < log.next;
        let backlog = if known {
            log.recent
                .iter()
                .filter(|event| event.id > last)
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        Resumed {
            backlog,
            gap: !known,
            subscription,
        }
    }
}

/// One subscriber's view of the channel.
pub struct Subscription {
    receiver: broadcast::Receiver<Arc<Event>>,
}

/// What [`Subscription::next`] gives.
#[derive(Debug)]
pub enum Received {
    Change(Arc<Event>),
    /// The subscriber was too slow: this many changes were dropped for it.
    Lagged(u64),
    /// The server is shutting down.
    Closed,
}

impl Subscription {
    pub async fn next(&mut self) -> Received {
        match self.receiver.recv().await {
            Ok(change) => Received::Change(change),
            Err(broadcast::error::RecvError::Lagged(missed)) => Received::Lagged(missed),
            Err(broadcast::error::RecvError::Closed) => Received::Closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(n: i64) -> Change {
        Change {
            tenant: None,
            entity: "book".into(),
            kind: ChangeKind::Create,
            key: vec![serde_json::json!(n)],
            old: None,
            new: None,
        }
    }

    #[tokio::test]
    async fn subscribers_receive_changes_in_order() {
        let events = Events::default();
        let mut first = events.subscribe();
        let mut second = events.subscribe();
        events.publish(change(1));
        events.publish(change(2));
        for subscription in [&mut first, &mut second] {
            for n in [1, 2] {
                match subscription.next().await {
                    Received::Change(c) => assert_eq!(c.key, vec![serde_json::json!(n)]),
                    other => panic!("expected change {n}, got {other:?}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_told_what_it_missed_and_the_writer_never_waits() {
        let events = Events::default();
        let mut slow = events.subscribe();
        let extra = 10;
        for n in 0..(CAPACITY as i64 + extra) {
            events.publish(change(n));
        }
        match slow.next().await {
            Received::Lagged(missed) => assert_eq!(missed, extra as u64),
            other => panic!("expected a lag report, got {other:?}"),
        }
        match slow.next().await {
            Received::Change(c) => assert_eq!(c.key, vec![serde_json::json!(extra)]),
            other => panic!("expected the oldest kept change, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn ids_increase_and_a_resume_gives_the_kept_events_after_the_last_seen() {
        let events = Events::default();
        let mut live = events.subscribe();
        for n in 0..3 {
            events.publish(change(n));
        }
        let mut ids = Vec::new();
        for _ in 0..3 {
            match live.next().await {
                Received::Change(event) => ids.push(event.id),
                other => panic!("expected a change, got {other:?}"),
            }
        }
        assert!(ids.windows(2).all(|pair| pair[1] == pair[0] + 1), "{ids:?}");

        let mut resumed = events.resume(ids[0]);
        assert!(!resumed.gap);
        let backlog: Vec<u64> = resumed.backlog.iter().map(|event| event.id).collect();
        assert_eq!(backlog, ids[1..]);
        events.publish(change(3));
        match resumed.subscription.next().await {
            Received::Change(event) => assert_eq!(event.id, ids[2] + 1),
            other => panic!("expected the next change, got {other:?}"),
        }
        // Up to date: nothing kept is after it, and nothing is missing.
        let current = events.resume(ids[2] + 1);
        assert!(!current.gap && current.backlog.is_empty());
        // An id of an earlier run, and one this process never gave.
        assert!(events.resume(1).gap);
        assert!(events.resume(ids[2] + 100).gap);
    }

    #[test]
    fn the_history_is_bounded_and_an_id_before_it_is_a_gap() {
        let events = Events::default();
        for n in 0..(HISTORY as i64 + 5) {
            events.publish(change(n));
        }
        let first = events.resume(0).backlog.len();
        assert_eq!(first, 0, "a gap gives no backlog");
        let log = events.log();
        assert_eq!(log.recent.len(), HISTORY);
        let oldest = log.recent[0].id;
        drop(log);
        assert!(events.resume(oldest - 2).gap);
        let resumed = events.resume(oldest - 1);
        assert!(!resumed.gap);
        assert_eq!(resumed.backlog.len(), HISTORY);
    }
}
