//! Changes: after every committed write the kernel publishes one
//! [`Change`] here; realtime subscribers, webhooks and after-hooks read
//! them from a [`Subscription`].
//!
//! The channel is a bounded broadcast: publishing never waits, and a
//! subscriber that falls more than [`CAPACITY`] changes behind is told how
//! many it missed ([`Received::Lagged`]) instead of making the writer wait
//! or memory grow.
//!
//! Realtime streams read the same changes in [`Batch`]es
//! ([`Events::batches`]): one task gathers the changes published within
//! [`batch_window`] of the last batch it sent and sends them together, so
//! a thousand subscribers wake, filter and write once per batch instead of
//! once per change. A change after a quiet spell is sent at once; under a
//! steady stream of writes it waits at most one window.

pub mod external;
pub mod mongo;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use serde::Serialize;
use tokio::sync::broadcast;

use super::store::Row;
use super::store::resolver::{Refusal, StoreResolver};

/// Changes kept for subscribers that have not read them yet.
pub const CAPACITY: usize = 4096;

/// Events kept for resuming subscribers ([`Events::resume`]).
pub const HISTORY: usize = 1024;

/// Batches kept for realtime subscribers that have not read them yet
/// ([`Events::batches`]); one that falls further behind is told so.
pub const BATCH_CAPACITY: usize = 1024;

/// The most changes one [`Batch`] carries.
pub const BATCH_MAX: usize = 64;

/// The default [`batch_window`]. Measured with `benches/realtime.sh` (1,000
/// subscribers, 200 writes/s, 2 cores): 20 ms gave p99 33.5 ms at 2.6 µs
/// of server CPU per delivery; 10 ms gave p99 33.5 to 52.9 ms at 4.1 µs:
/// its extra wake-ups cost CPU, which showed as latency.
pub const BATCH_WINDOW: Duration = Duration::from_millis(20);

/// The least time between two realtime batches: `BAAS_REALTIME_BATCH_MS`
/// in the environment (`0`: a batch as soon as a change comes, with the
/// changes already waiting), else [`BATCH_WINDOW`].
pub fn batch_window() -> Duration {
    std::env::var("BAAS_REALTIME_BATCH_MS")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map_or(BATCH_WINDOW, Duration::from_millis)
}

/// Changes sent to realtime subscribers together, in id order.
pub type Batch = Arc<[Arc<Event>]>;

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

/// Under `[tenancy] strategy = "row"`, the changes a write made outside
/// baas is for each tenant: every row is sent to the tenant its tenant
/// column (`column`, a field name) names, and to no other, so a row is
/// never shown to a tenant it did not belong to at that moment.
///
/// - a create goes to the new row's tenant, a delete to the old row's;
/// - an update within one tenant goes to it; an update that moves a row
///   from tenant A to tenant B is two changes, as a rule moving a row out
///   of or into a subscriber's view makes them: A gets an update whose
///   `new` is none (its subscribers see `row: null` and the old row they
///   could see), B an update whose `old` is none;
/// - a row image without the tenant column (an update or delete whose old
///   row was too large for NOTIFY, or a MongoDB change without pre-images:
///   only its key is known) says nothing: an update goes to the new row's
///   tenant with that key-only old row, a delete is not sent.
///
/// Nothing here knows whether a tenant is served: the caller asks
/// ([`admitted`]). Changes that name no tenant are logged at debug level
/// and dropped.
pub fn by_row_tenant(change: Change, column: &str) -> Vec<Change> {
    let tenant_of = |row: Option<&Row>| -> Option<String> {
        match row?.get(column)? {
            serde_json::Value::String(tenant) => Some(tenant.clone()),
            _ => None,
        }
    };
    let old = tenant_of(change.old.as_ref());
    let new = tenant_of(change.new.as_ref());
    let with = |tenant: String, change: Change| Change {
        tenant: Some(tenant),
        ..change
    };
    match (change.kind, old, new) {
        (ChangeKind::Create, _, Some(new)) => vec![with(new, change)],
        (ChangeKind::Delete, Some(old), _) => vec![with(old, change)],
        (ChangeKind::Update, Some(old), Some(new)) if old != new => {
            let left = Change {
                new: None,
                ..change.clone()
            };
            let entered = Change {
                old: None,
                ..change
            };
            vec![with(old, left), with(new, entered)]
        }
        (ChangeKind::Update, _, Some(new)) => vec![with(new, change)],
        // The row is gone when read again and the old image names it.
        (ChangeKind::Update, Some(old), None) if change.new.is_none() => {
            vec![with(old, change)]
        }
        _ => {
            tracing::debug!(
                target: "baas::realtime",
                "a {:?} of `{}` {:?} made outside baas names no tenant in `{column}`: not sent",
                change.kind,
                change.entity,
                change.key
            );
            Vec::new()
        }
    }
}

/// `changes` whose tenant is served now (known and active); the others
/// are logged at debug level and dropped.
pub async fn admitted(changes: Vec<Change>, stores: &dyn StoreResolver) -> Vec<Change> {
    let mut served = Vec::with_capacity(changes.len());
    for change in changes {
        let Some(tenant) = change.tenant.as_deref() else {
            continue;
        };
        let why = match stores.admit(tenant).await {
            Ok(()) => {
                served.push(change);
                continue;
            }
            Err(Refusal::Unavailable(reason)) => {
                tracing::warn!(
                    target: "baas::realtime",
                    "a change of `{}` {:?} made outside baas for tenant `{tenant}` is not sent: the tenant registry cannot be read: {}",
                    change.entity,
                    change.key,
                    crate::source::redact(&reason)
                );
                continue;
            }
            Err(Refusal::Unknown | Refusal::NoTenants) => "there is no such tenant",
            Err(Refusal::Inactive) => "the tenant is deactivated",
        };
        tracing::debug!(
            target: "baas::realtime",
            "a change of `{}` {:?} made outside baas names tenant `{tenant}` in its tenant column: not sent ({why})",
            change.entity,
            change.key
        );
    }
    served
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

/// The realtime rendering of an event (its SSE frame, whose `data:` line
/// the WebSocket sends too) by form: which of `row` and `old` are
/// visible, under which served manifest (a reload between two subscribers
/// renders again). A handful of forms at most; every subscriber sent the
/// same form shares one buffer.
#[derive(Default)]
pub struct Rendered(Mutex<Vec<(usize, u8, Bytes)>>);

impl Rendered {
    /// The rendering of form `(manifest, form)`, made by `render` the
    /// first time it is asked for.
    pub fn get_or_render(
        &self,
        manifest: usize,
        form: u8,
        render: impl FnOnce() -> Bytes,
    ) -> Bytes {
        let mut forms = match self.0.lock() {
            Ok(forms) => forms,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((_, _, data)) = forms.iter().find(|(m, f, _)| *m == manifest && *f == form) {
            return data.clone();
        }
        let data = render();
        forms.push((manifest, form, data.clone()));
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
    /// The batches of realtime streams, and whether the task that gathers
    /// them has started (with the first [`Events::batches`]).
    batches: broadcast::Sender<Batch>,
    gathering: Arc<OnceLock<()>>,
    /// The least time between two batches ([`batch_window`]).
    window: Duration,
    /// The tenants with a realtime subscriber now ([`Events::watch`]).
    watchers: Arc<Watchers>,
}

/// Realtime subscribers by tenant, and a signal when that changes.
#[derive(Debug, Default)]
struct Watchers {
    counts: Mutex<std::collections::HashMap<String, usize>>,
    changed: tokio::sync::Notify,
}

impl Watchers {
    fn counts(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, usize>> {
        match self.counts.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// A realtime subscriber of a tenant, counted while it lives
/// ([`Events::watch`]).
#[derive(Debug)]
pub struct Watching {
    tenant: String,
    watchers: Arc<Watchers>,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let mut counts = self.watchers.counts();
        if let Some(count) = counts.get_mut(&self.tenant) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.tenant);
                drop(counts);
                self.watchers.changed.notify_waiters();
            }
        }
    }
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
            batches: broadcast::channel(BATCH_CAPACITY).0,
            gathering: Arc::new(OnceLock::new()),
            window: batch_window(),
            watchers: Arc::default(),
        }
    }
}

/// Where a resuming subscriber starts ([`Events::resume`]).
pub struct Resumed<S = Subscription> {
    /// The kept events after the one the subscriber saw last.
    pub backlog: Vec<Arc<Event>>,
    /// Whether events it has not seen are no longer kept (or the id is
    /// not one of this process): it has to read the data again.
    pub gap: bool,
    /// Changes published from now on (after the backlog).
    pub subscription: S,
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

    /// Counts a realtime subscriber of `tenant` until the guard is dropped:
    /// the changes made outside baas in a tenant's own database are
    /// listened for while it has subscribers ([`external`]).
    pub fn watch(&self, tenant: Option<&str>) -> Option<Watching> {
        let tenant = tenant?.to_owned();
        let first = {
            let mut counts = self.watchers.counts();
            let count = counts.entry(tenant.clone()).or_default();
            *count += 1;
            *count == 1
        };
        if first {
            self.watchers.changed.notify_waiters();
        }
        Some(Watching {
            tenant,
            watchers: Arc::clone(&self.watchers),
        })
    }

    /// The tenants with a realtime subscriber now.
    pub fn watched(&self) -> Vec<String> {
        let mut tenants: Vec<String> = self.watchers.counts().keys().cloned().collect();
        tenants.sort();
        tenants
    }

    /// Waits until a tenant gets its first subscriber or loses its last.
    pub async fn watched_changed(&self) {
        self.watchers.changed.notified().await;
    }

    /// Changes published from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            receiver: self.sender.subscribe(),
        }
    }

    /// Changes published from now on, in batches (see the module docs);
    /// the first call starts the task that gathers them (on the current
    /// tokio runtime).
    pub fn batches(&self) -> Batches {
        let log = self.log();
        self.following(&log)
    }

    /// [`Events::batches`] under the history's lock: every change with an
    /// id before `log.next` was published before, and is skipped.
    fn following(&self, log: &Log) -> Batches {
        self.gathering.get_or_init(|| {
            let receiver = self.sender.subscribe();
            tokio::spawn(gather(receiver, self.batches.clone(), self.window));
        });
        Batches {
            receiver: self.batches.subscribe(),
            last: log.next.saturating_sub(1),
            watching: None,
        }
    }

    /// Changes after the event `last` (a `Last-Event-ID`): the kept ones,
    /// then those published from now on, with none lost or repeated in
    /// between.
    pub fn resume(&self, last: u64) -> Resumed {
        let log = self.log();
        let subscription = self.subscribe();
        let (backlog, gap) = Self::kept_after(&log, last);
        Resumed {
            backlog,
            gap,
            subscription,
        }
    }

    /// [`Events::resume`] in batches: the kept events after `last`, then
    /// the batches of the changes published from now on.
    pub fn resume_batches(&self, last: u64) -> Resumed<Batches> {
        let log = self.log();
        let subscription = self.following(&log);
        let (backlog, gap) = Self::kept_after(&log, last);
        Resumed {
            backlog,
            gap,
            subscription,
        }
    }

    /// The kept events after `last`, and whether some after it are no
    /// longer kept (or `last` is not an id of this process).
    fn kept_after(log: &Log, last: u64) -> (Vec<Arc<Event>>, bool) {
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
        (backlog, !known)
    }
}

/// The task behind [`Events::batches`]: sends what `receiver` gets in
/// batches, at most one per `window` (a change after a quiet spell goes
/// at once, with the changes already waiting).
async fn gather(
    mut receiver: broadcast::Receiver<Arc<Event>>,
    batches: broadcast::Sender<Batch>,
    window: Duration,
) {
    use broadcast::error::{RecvError, TryRecvError};
    let mut sent: Option<tokio::time::Instant> = None;
    loop {
        let first = match receiver.recv().await {
            Ok(event) => event,
            // Subscribers see the gap in the ids and are told.
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        if let Some(due) = sent.map(|sent| sent + window)
            && due > tokio::time::Instant::now()
        {
            tokio::time::sleep_until(due).await;
        }
        let mut batch = vec![first];
        while batch.len() < BATCH_MAX {
            match receiver.try_recv() {
                Ok(event) => batch.push(event),
                Err(TryRecvError::Lagged(_)) => {}
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        sent = Some(tokio::time::Instant::now());
        // An error only means no realtime stream is open.
        let _ = batches.send(batch.into());
    }
}

/// A realtime stream's view of the changes, in batches
/// ([`Events::batches`]).
pub struct Batches {
    receiver: broadcast::Receiver<Batch>,
    /// The id of the last change received (or skipped as already seen).
    last: u64,
    /// The subscriber's tenant, counted while the stream lives.
    watching: Option<Watching>,
}

/// What [`Batches::next`] gives.
#[derive(Debug)]
pub enum Gathered {
    /// The batch's changes from index `from` on (those before were seen).
    Changes { batch: Batch, from: usize },
    /// The subscriber was too slow: this many changes were dropped for it.
    Lagged(u64),
    /// The server is shutting down.
    Closed,
}

impl Batches {
    /// The stream is a subscriber of `tenant` ([`Events::watch`]) for as
    /// long as it lives.
    pub fn watching(mut self, events: &Events, tenant: Option<&str>) -> Self {
        self.watching = events.watch(tenant);
        self
    }

    /// The subscriber has seen every change up to the id `last` (the end
    /// of its backlog).
    pub fn seen(&mut self, last: u64) {
        self.last = self.last.max(last);
    }

    pub async fn next(&mut self) -> Gathered {
        loop {
            let batch = match self.receiver.recv().await {
                Ok(batch) => batch,
                // The next batch received shows how many were missed.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return Gathered::Closed,
            };
            let from = batch.partition_point(|event| event.id <= self.last);
            let (Some(first), Some(end)) = (batch.get(from), batch.last()) else {
                continue;
            };
            let missed = first.id - self.last - 1;
            self.last = end.id;
            if missed > 0 {
                return Gathered::Lagged(missed);
            }
            return Gathered::Changes { batch, from };
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

    fn ids(gathered: Gathered) -> Vec<u64> {
        match gathered {
            Gathered::Changes { batch, from } => batch[from..].iter().map(|e| e.id).collect(),
            other => panic!("expected changes, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn changes_published_together_arrive_in_one_batch_and_none_twice_after_a_resume() {
        let events = Events {
            window: Duration::from_millis(20),
            ..Events::default()
        };
        let mut live = events.batches();
        events.publish(change(0));
        let first = ids(live.next().await);
        assert_eq!(first.len(), 1);
        // Within the window of the last batch: gathered into one.
        for n in 1..=5 {
            events.publish(change(n));
        }
        let started = std::time::Instant::now();
        let burst = ids(live.next().await);
        assert_eq!(burst, (first[0] + 1..=first[0] + 5).collect::<Vec<_>>());
        assert!(started.elapsed() < Duration::from_secs(1));
        // A resume from the middle of the burst: the kept events after it,
        // then only later changes (the burst's batch is not sent again).
        let mut resumed = events.resume_batches(burst[1]);
        assert!(!resumed.gap);
        let backlog: Vec<u64> = resumed.backlog.iter().map(|e| e.id).collect();
        assert_eq!(backlog, burst[2..]);
        events.publish(change(6));
        assert_eq!(ids(resumed.subscription.next().await), [burst[4] + 1]);
        // A new follower skips what was published before it.
        let mut fresh = events.batches();
        events.publish(change(7));
        assert_eq!(ids(fresh.next().await), [burst[4] + 2]);
    }

    #[tokio::test]
    async fn a_batch_follower_that_falls_behind_is_told_how_many_changes_it_missed() {
        let (sender, receiver) = broadcast::channel::<Batch>(2);
        let mut follower = Batches {
            receiver,
            last: 0,
            watching: None,
        };
        let event = |id: u64| {
            Arc::new(Event {
                id,
                change: change(0),
                rendered: Rendered::default(),
            })
        };
        sender.send(vec![event(1), event(2)].into()).unwrap();
        assert_eq!(ids(follower.next().await), [1, 2]);
        for id in 3..=6 {
            sender.send(vec![event(id)].into()).unwrap();
        }
        // Batches 3 and 4 were dropped for it: two changes.
        match follower.next().await {
            Gathered::Lagged(missed) => assert_eq!(missed, 2),
            other => panic!("expected a lag report, got {other:?}"),
        }
    }

    #[test]
    fn a_row_tenants_change_goes_to_the_tenant_its_row_names_and_a_move_is_split() {
        let row = |tenant: serde_json::Value, title: &str| -> Option<Row> {
            serde_json::json!({ "id": 1, "title": title, "tenant_id": tenant })
                .as_object()
                .cloned()
        };
        let acme = serde_json::json!("acme");
        let globex = serde_json::json!("globex");
        let of = |kind, old, new| Change {
            kind,
            old,
            new,
            ..change(1)
        };
        let sent = |changes: Vec<Change>| -> Vec<(Option<String>, bool, bool)> {
            changes
                .into_iter()
                .map(|c| (c.tenant, c.old.is_some(), c.new.is_some()))
                .collect()
        };
        let to = |tenant: &str, old: bool, new: bool| (Some(tenant.to_owned()), old, new);
        let created = of(ChangeKind::Create, None, row(globex.clone(), "a"));
        assert_eq!(
            sent(by_row_tenant(created, "tenant_id")),
            [to("globex", false, true)]
        );
        let deleted = of(ChangeKind::Delete, row(acme.clone(), "a"), None);
        assert_eq!(
            sent(by_row_tenant(deleted, "tenant_id")),
            [to("acme", true, false)]
        );
        let within = of(
            ChangeKind::Update,
            row(acme.clone(), "a"),
            row(acme.clone(), "b"),
        );
        assert_eq!(
            sent(by_row_tenant(within, "tenant_id")),
            [to("acme", true, true)]
        );
        // Moved: out of acme's view (no new row), into globex's (no old).
        let moved = of(
            ChangeKind::Update,
            row(acme.clone(), "a"),
            row(globex.clone(), "b"),
        );
        let split = by_row_tenant(moved, "tenant_id");
        assert_eq!(
            sent(split.clone()),
            [to("acme", true, false), to("globex", false, true)]
        );
        assert_eq!(split[0].old.as_ref().unwrap()["tenant_id"], acme);
        assert_eq!(split[1].new.as_ref().unwrap()["tenant_id"], globex);
        // A key-only old row: the update goes to the new row's tenant, the
        // delete nowhere; a null or missing column names no tenant.
        let key_only = serde_json::json!({ "id": 1 }).as_object().cloned();
        let update = of(
            ChangeKind::Update,
            key_only.clone(),
            row(globex.clone(), "b"),
        );
        assert_eq!(
            sent(by_row_tenant(update, "tenant_id")),
            [to("globex", true, true)]
        );
        assert!(by_row_tenant(of(ChangeKind::Delete, key_only, None), "tenant_id").is_empty());
        let null = of(ChangeKind::Create, None, row(serde_json::Value::Null, "a"));
        assert!(by_row_tenant(null, "tenant_id").is_empty());
        let other_column = of(ChangeKind::Create, None, row(acme, "a"));
        assert!(by_row_tenant(other_column, "org").is_empty());
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
