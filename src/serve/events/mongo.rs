//! Changes made outside this process, on MongoDB: with `[realtime]
//! external = true`, `baas serve` opens a change stream on the served
//! database (a replica set or a sharded cluster has them; a standalone
//! server does not, and start-up says so once) and publishes each insert,
//! update, replace and delete of a served collection as a [`Change`], as
//! [`super::external`] does for PostgreSQL's notifications.
//!
//! The row after a create or update is read again through the store (the
//! API's form, the current values). The row before is not known (change
//! streams carry pre-images only where the collection enables them): an
//! update's or delete's `old` has the key fields only. An entity keyed by
//! a field other than `_id` finds its key in the changed document; a
//! delete of such a document cannot be traced to its key and is not sent.
//!
//! Exactly once: a change stream also reports this process's own API
//! writes, which the kernel publishes as they commit. Each one published
//! is remembered (entity, key, kind) for [`REMEMBER`], and the change
//! stream's report of it is skipped; a report that comes before the
//! kernel's publication waits up to [`GRACE`] for it. So an outside write
//! to the same row, of the same kind, within moments of one through this
//! process may be taken for it (and not sent twice, but not sent either).
//! Several `baas serve` processes on one database see each other's writes
//! through their change streams.
//!
//! Row tenants (`[tenancy] strategy = "row"`) share the collections: a
//! change is the tenant's its document's tenant field names
//! ([`super::by_row_tenant`]), when that tenant is served; a delete's
//! document is gone, so it names no tenant and is not sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use mongodb::bson::{Bson, doc};
use mongodb::change_stream::event::OperationType;

use super::external::{CurrentManifest, Wanted, change};
use super::{Change, ChangeKind, Events, Received};
use crate::realtime::{Notification, Operation};
use crate::serve::store::resolver::StoreResolver;

/// How long an own write is remembered for its change-stream report.
const REMEMBER: Duration = Duration::from_secs(30);
/// How long a report waits for the kernel's publication of an own write.
const GRACE: Duration = Duration::from_millis(50);
/// How often a reload of `[realtime] external` is looked for.
const FOLLOW: Duration = Duration::from_millis(250);

/// What identifies a write in both reports.
type Signature = (String, String, ChangeKind);

fn signature(entity: &str, key: &[serde_json::Value], kind: ChangeKind) -> Signature {
    let key = serde_json::Value::Array(key.to_vec()).to_string();
    (entity.to_owned(), key, kind)
}

/// Writes seen on one side and not yet on the other.
#[derive(Default)]
struct Pending {
    /// Published by the kernel (this process's API writes).
    own: HashMap<Signature, Vec<Instant>>,
    /// Published from the change stream (so not the kernel's).
    mine: HashMap<Signature, u32>,
}

impl Pending {
    /// Forgets own writes older than [`REMEMBER`].
    fn forget_old(&mut self) {
        let now = Instant::now();
        self.own.retain(|_, times| {
            times.retain(|at| now.duration_since(*at) < REMEMBER);
            !times.is_empty()
        });
    }

    fn take_own(&mut self, signature: &Signature) -> bool {
        self.forget_old();
        match self.own.get_mut(signature) {
            Some(times) if !times.is_empty() => {
                times.remove(0);
                true
            }
            _ => false,
        }
    }
}

/// A change-stream reader on one database.
pub struct MongoChanges {
    pub database: mongodb::Database,
    pub events: Events,
    pub manifest: CurrentManifest,
    pub wanted: Wanted,
    /// The served database's store (rows are read again through it), and
    /// whether a row tenant is served.
    pub stores: Arc<dyn StoreResolver>,
}

/// The database a `mongodb://` URL names, with a client of its own.
pub async fn open(url: &str) -> anyhow::Result<mongodb::Database> {
    let mut options = mongodb::options::ClientOptions::parse(url).await?;
    options
        .server_selection_timeout
        .get_or_insert(crate::connect::connect_timeout());
    options.app_name = Some("baas realtime".to_owned());
    let name = options.default_database.clone().ok_or_else(|| {
        anyhow::anyhow!("the MongoDB URL names no database (`mongodb://host:port/DATABASE`)")
    })?;
    Ok(mongodb::Client::with_options(options)?.database(&name))
}

/// Whether the server behind `database` has change streams: `Err` says why
/// not.
pub async fn supports_change_streams(database: &mongodb::Database) -> Result<(), String> {
    let hello = database
        .run_command(doc! { "hello": 1 })
        .await
        .map_err(|error| format!("the server does not answer `hello`: {error}"))?;
    let replica_set = hello.get_str("setName").is_ok();
    let sharded = hello.get_str("msg") == Ok("isdbgrid");
    if replica_set || sharded {
        Ok(())
    } else {
        Err(
            "the server is a standalone (change streams need a replica set or a sharded cluster)"
                .into(),
        )
    }
}

impl MongoChanges {
    /// Follows `[realtime] external`: while it is on, reads the change
    /// stream (reopened when it fails).
    pub fn start(self) -> tokio::task::JoinHandle<()> {
        let this = Arc::new(self);
        let pending = Arc::new(Mutex::new(Pending::default()));
        tokio::spawn(Arc::clone(&this).remember_own(Arc::clone(&pending)));
        tokio::spawn(async move {
            let mut reading: Option<tokio::task::JoinHandle<()>> = None;
            loop {
                match (reading.is_some(), (this.wanted)()) {
                    (false, true) => {
                        reading = Some(tokio::spawn(Arc::clone(&this).read(Arc::clone(&pending))));
                    }
                    (true, false) => {
                        if let Some(task) = reading.take() {
                            task.abort();
                        }
                        tracing::info!(
                            target: "baas::realtime",
                            "[realtime] external is off: no longer reading the change stream"
                        );
                    }
                    _ => {}
                }
                tokio::time::sleep(FOLLOW).await;
            }
        })
    }

    /// Remembers the kernel's publications of this process's writes.
    async fn remember_own(self: Arc<Self>, pending: Arc<Mutex<Pending>>) {
        let mut subscription = self.events.subscribe();
        loop {
            match subscription.next().await {
                Received::Change(event) => {
                    // A tenant's change is in the served database only
                    // when row tenants share it.
                    let shared = (self.manifest)()
                        .tenancy
                        .as_ref()
                        .is_some_and(|tenancy| tenancy.row_column().is_some());
                    if (event.tenant.is_some() && !shared) || !(self.wanted)() {
                        continue;
                    }
                    let signature = signature(&event.entity, &event.key, event.kind);
                    let Ok(mut pending) = pending.lock() else {
                        return;
                    };
                    match pending.mine.get(&signature).copied() {
                        Some(1) => {
                            pending.mine.remove(&signature);
                        }
                        Some(count) if count > 1 => {
                            pending.mine.insert(signature, count - 1);
                        }
                        _ => {
                            if pending.own.len() >= 4096 {
                                pending.forget_old();
                            }
                            pending
                                .own
                                .entry(signature)
                                .or_default()
                                .push(Instant::now());
                        }
                    }
                }
                Received::Lagged(_) => {}
                Received::Closed => return,
            }
        }
    }

    async fn read(self: Arc<Self>, pending: Arc<Mutex<Pending>>) {
        let mut failures: u32 = 0;
        loop {
            let opened = self
                .database
                .watch()
                .full_document(mongodb::options::FullDocumentType::UpdateLookup)
                .await;
            let mut stream = match opened {
                Ok(stream) => {
                    failures = 0;
                    tracing::info!(
                        target: "baas::realtime",
                        "[realtime] external is on: reading the MongoDB change stream"
                    );
                    stream
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let wait = Duration::from_millis(100 * 2u64.pow(failures.min(7)));
                    tracing::warn!(
                        target: "baas::realtime",
                        "cannot read the MongoDB change stream: {}; retrying in {} ms",
                        crate::source::redact(&error.to_string()),
                        wait.as_millis()
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            // Reports are stamped as they arrive (a reader of their own), so
            // the wait for the kernel's publication runs from the arrival:
            // a burst does not wait [`GRACE`] per report.
            let (sender, mut arrived) = tokio::sync::mpsc::channel(1024);
            let reader = tokio::spawn(async move {
                while let Some(next) = stream.next().await {
                    let failed = next.is_err();
                    if sender.send((Instant::now(), next)).await.is_err() || failed {
                        return;
                    }
                }
            });
            while let Some((at, next)) = arrived.recv().await {
                match next {
                    Ok(event) => self.receive(event, at, &pending).await,
                    Err(error) => {
                        tracing::warn!(
                            target: "baas::realtime",
                            "the MongoDB change stream failed: {}; reopening it (changes made meanwhile are not sent)",
                            crate::source::redact(&error.to_string())
                        );
                        break;
                    }
                }
            }
            reader.abort();
        }
    }

    async fn receive(
        &self,
        event: mongodb::change_stream::event::ChangeStreamEvent<mongodb::bson::Document>,
        arrived: Instant,
        pending: &Mutex<Pending>,
    ) {
        tracing::debug!(
            target: "baas::realtime",
            "change stream: {:?} on {:?}",
            event.operation_type,
            event.ns
        );
        let op = match event.operation_type {
            OperationType::Insert => Operation::Insert,
            OperationType::Update | OperationType::Replace => Operation::Update,
            OperationType::Delete => Operation::Delete,
            _ => return,
        };
        let Some(collection) = event.ns.and_then(|ns| ns.coll) else {
            return;
        };
        let manifest = (self.manifest)();
        let Some((name, entity)) = manifest
            .entities
            .iter()
            .find(|(_, entity)| entity.table == collection && !entity.is_read_only())
        else {
            return;
        };
        let [key_field] = entity.primary_key.as_slice() else {
            return;
        };
        let column = entity
            .fields
            .get(key_field)
            .map_or(key_field.as_str(), |field| field.column_name(key_field));
        let Some(id) = event.document_key.and_then(|key| key.get("_id").cloned()) else {
            return;
        };
        let key = if column == "_id" {
            id
        } else {
            // The key is another field: the document says it (a delete's
            // document is gone: not sent).
            let document = match event.full_document.clone() {
                Some(document) => Some(document),
                None if op != Operation::Delete => self
                    .database
                    .collection::<mongodb::bson::Document>(&collection)
                    .find_one(doc! { "_id": id })
                    .await
                    .ok()
                    .flatten(),
                None => None,
            };
            let Some(key) = document.and_then(|document| document.get(column).cloned()) else {
                return;
            };
            key
        };
        let notification = Notification {
            entity: name.clone(),
            op,
            key: vec![json_of(key)],
            origin: String::new(),
            schema: None,
            // What was written, should the row be gone when read again.
            new: event.full_document.and_then(|document| {
                match Bson::Document(document).into_relaxed_extjson() {
                    serde_json::Value::Object(columns) => Some(columns),
                    _ => None,
                }
            }),
            old: None,
            reread: true,
        };
        let kind = match op {
            Operation::Insert => ChangeKind::Create,
            Operation::Update => ChangeKind::Update,
            Operation::Delete => ChangeKind::Delete,
        };
        let signature = signature(name, &notification.key, kind);
        if self.own_write(&signature, arrived, pending).await {
            return;
        }
        let store = self.stores.default_store();
        let Some(change) = change(&*store, &manifest, notification).await else {
            return;
        };
        match manifest
            .tenancy
            .as_ref()
            .and_then(|tenancy| tenancy.row_column())
        {
            // Row tenants: the document's tenant field says whose it is.
            Some(column) => {
                let changes = super::by_row_tenant(change, column);
                for change in super::admitted(changes, &*self.stores).await {
                    self.publish_mine(change, signature.clone(), pending);
                }
            }
            None => self.publish_mine(change, signature, pending),
        }
    }

    /// Whether the report is of this process's own write (waiting up to
    /// [`GRACE`] for the kernel's publication).
    async fn own_write(
        &self,
        signature: &Signature,
        arrived: Instant,
        pending: &Mutex<Pending>,
    ) -> bool {
        loop {
            match pending.lock() {
                Ok(mut pending) => {
                    if pending.take_own(signature) {
                        return true;
                    }
                }
                Err(_) => return false,
            }
            if arrived.elapsed() >= GRACE {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn publish_mine(&self, change: Change, signature: Signature, pending: &Mutex<Pending>) {
        if let Ok(mut pending) = pending.lock() {
            *pending.mine.entry(signature).or_default() += 1;
        }
        self.events.publish(change);
    }
}

/// A key value as the API writes it: an ObjectId as its hex string.
fn json_of(value: Bson) -> serde_json::Value {
    match value {
        Bson::ObjectId(id) => serde_json::Value::String(id.to_hex()),
        Bson::Int32(n) => n.into(),
        Bson::Int64(n) => n.into(),
        Bson::String(text) => text.into(),
        other => other.into_relaxed_extjson(),
    }
}
