//! Changes made outside this process, on PostgreSQL: `baas serve` LISTENs
//! on [`crate::realtime::CHANNEL`] (the triggers of `[realtime] external =
//! true`) and publishes each announced write as a [`Change`], so realtime
//! subscribers see writes made with `psql`, by other programs, and through
//! other `baas serve` processes on the same database.
//!
//! Exactly once: the process's own API writes are published by the kernel
//! as they commit; their notifications carry this process's
//! [`crate::realtime::origin`] (the store's `application_name`) and are
//! skipped. The row after a create or update is read again through the
//! store, so it has the API's form (and the current values); the row before
//! an update or delete is the trigger's `to_jsonb(OLD)`, by field name.
//!
//! The listening connection is reopened when it drops (notifications sent
//! while it was down are lost: a warning says so). It follows hot reloads:
//! turning `[realtime] external` on starts listening, off stops it.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;

use super::{Change, ChangeKind, Events};
use crate::manifest::{Entity, Manifest};
use crate::realtime::{CHANNEL, Notification, Operation};
use crate::serve::store::resolver::StoreResolver;
use crate::serve::store::{Row, Store};

/// The served manifest at the moment a notification arrives.
pub type CurrentManifest = Arc<dyn Fn() -> Arc<Manifest> + Send + Sync>;

/// Whether the served manifest asks for `[realtime] external` now.
pub type Wanted = Arc<dyn Fn() -> bool + Send + Sync>;

/// The tenant whose schema a notification names, if any.
pub type TenantOf = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How often a reload of `[realtime] external` is looked for.
const FOLLOW: Duration = Duration::from_millis(250);

/// A listener on one database.
pub struct External {
    pub url: String,
    pub events: Events,
    pub manifest: CurrentManifest,
    /// `[realtime] external` of the manifest served now: the listener
    /// follows hot reloads (on: it starts listening; off: it stops).
    pub wanted: Wanted,
    /// The stores rows are read again through (a tenant's for its writes).
    pub stores: Arc<dyn StoreResolver>,
    /// Schema tenants: the tenant a written table's schema belongs to.
    pub tenant_of: TenantOf,
}

impl External {
    /// Starts following `[realtime] external`: when it is on now, the
    /// first connection is made here (an error when it fails: the server
    /// should say so at start-up); later drops reconnect, and a reload
    /// that turns it on or off starts or stops the listening.
    pub async fn start(self) -> Result<tokio::task::JoinHandle<()>, sqlx::Error> {
        let first = if (self.wanted)() {
            Some(self.connect().await?)
        } else {
            None
        };
        Ok(tokio::spawn(Arc::new(self).follow(first)))
    }

    async fn connect(&self) -> Result<PgListener, sqlx::Error> {
        let mut listener = PgListener::connect(&self.url).await?;
        listener.listen(CHANNEL).await?;
        Ok(listener)
    }

    /// Listens while `wanted` holds (a task of its own, ended when it no
    /// longer holds: its connection closes with it).
    async fn follow(self: Arc<Self>, first: Option<PgListener>) {
        let mut listening =
            first.map(|listener| tokio::spawn(Arc::clone(&self).run(Some(listener))));
        loop {
            tokio::time::sleep(FOLLOW).await;
            match (listening.is_some(), (self.wanted)()) {
                (false, true) => {
                    listening = Some(tokio::spawn(Arc::clone(&self).run(None)));
                }
                (true, false) => {
                    if let Some(task) = listening.take() {
                        task.abort();
                    }
                    tracing::info!(
                        target: "baas::realtime",
                        "[realtime] external is off: no longer listening for changes made outside baas"
                    );
                }
                _ => {}
            }
        }
    }

    async fn run(self: Arc<Self>, mut listener: Option<PgListener>) {
        let mut failures: u32 = 0;
        loop {
            let received = match listener.as_mut() {
                Some(listener) => listener.try_recv().await,
                None => match self.connect().await {
                    Ok(connected) => {
                        tracing::info!(
                            target: "baas::realtime",
                            "[realtime] external is on: listening for changes made outside baas (LISTEN {CHANNEL})"
                        );
                        listener = Some(connected);
                        failures = 0;
                        continue;
                    }
                    Err(error) => Err(error),
                },
            };
            match received {
                Ok(Some(notification)) => {
                    failures = 0;
                    self.receive(notification.payload()).await;
                }
                Ok(None) => tracing::warn!(
                    target: "baas::realtime",
                    "the connection listening for database changes dropped; reconnecting (changes made meanwhile are not sent)"
                ),
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let wait = Duration::from_millis(100 * 2u64.pow(failures.min(7)));
                    tracing::warn!(
                        target: "baas::realtime",
                        "cannot listen for database changes: {}; retrying in {} ms",
                        crate::source::redact(&error.to_string()),
                        wait.as_millis()
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn receive(&self, payload: &str) {
        let notification = match Notification::parse(payload) {
            Ok(notification) => notification,
            Err(message) => {
                tracing::warn!(target: "baas::realtime", "{message}");
                return;
            }
        };
        if notification.origin == crate::realtime::origin() {
            return;
        }
        let manifest = (self.manifest)();
        let tenant = notification
            .schema
            .as_deref()
            .and_then(|schema| (self.tenant_of)(schema));
        let store = match self.stores.resolve(tenant.as_deref()).await {
            Ok(store) => store,
            Err(error) => {
                tracing::warn!(
                    target: "baas::realtime",
                    "a change of tenant `{}` made outside baas is not sent: {error}",
                    tenant.as_deref().unwrap_or_default()
                );
                return;
            }
        };
        if let Some(mut change) = change(&*store, &manifest, notification).await {
            change.tenant = tenant;
            self.events.publish(change);
        }
    }
}

/// The change `notification` announces, for an entity `manifest` serves;
/// the row after a create or update read again through `store`.
pub(super) async fn change(
    store: &dyn Store,
    manifest: &Arc<Manifest>,
    notification: Notification,
) -> Option<Change> {
    let entity = manifest.entities.get(&notification.entity)?;
    let kind = match notification.op {
        Operation::Insert => ChangeKind::Create,
        Operation::Update => ChangeKind::Update,
        Operation::Delete => ChangeKind::Delete,
    };
    let old = notification.old.as_ref().map(|row| by_field(entity, row));
    let new = match kind {
        ChangeKind::Delete => None,
        ChangeKind::Create | ChangeKind::Update => {
            let reread = reread(store, manifest, &notification).await;
            reread.or_else(|| notification.new.as_ref().map(|row| by_field(entity, row)))
        }
    };
    let old = match (old, kind) {
        (Some(old), _) => Some(old),
        // Too large for NOTIFY (or no pre-image): only the key is known.
        (None, ChangeKind::Update | ChangeKind::Delete) => Some(key_row(entity, &notification)),
        (None, ChangeKind::Create) => None,
    };
    Some(Change {
        tenant: None,
        entity: notification.entity,
        kind,
        key: notification.key,
        old,
        new,
    })
}

/// The row as the API reads it now (`None` when gone or unreadable).
async fn reread(
    store: &dyn Store,
    manifest: &Arc<Manifest>,
    notification: &Notification,
) -> Option<Row> {
    let entity = manifest.entities.get(&notification.entity)?;
    let key = entity
        .primary_key
        .iter()
        .zip(&notification.key)
        .map(|(name, value)| {
            let field = entity.fields.get(name)?;
            crate::query::value_from_json(field, value).ok()
        })
        .collect::<Option<Vec<_>>>()?;
    match store.get(manifest, &notification.entity, &key, None).await {
        Ok(row) => row,
        Err(error) => {
            tracing::warn!(
                target: "baas::realtime",
                "cannot read `{}` {:?} after a database change: {error}",
                notification.entity,
                notification.key
            );
            None
        }
    }
}

/// A row by column name (the trigger's `to_jsonb`) as a row by field name.
fn by_field(entity: &Entity, columns: &serde_json::Map<String, serde_json::Value>) -> Row {
    entity
        .fields
        .iter()
        .filter_map(|(name, field)| {
            columns
                .get(field.column_name(name))
                .map(|value| (name.clone(), value.clone()))
        })
        .collect()
}

/// The key fields of the notification's row, and nothing else.
fn key_row(entity: &Entity, notification: &Notification) -> Row {
    entity
        .primary_key
        .iter()
        .cloned()
        .zip(notification.key.iter().cloned())
        .collect()
}
