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
//!
//! Tenants: a schema tenant's tables are in the served database, and the
//! notification names their schema ([`TenantOf`]). A database tenant on
//! PostgreSQL ([`TenantDatabases`]) has a database of its own, listened to
//! on a connection of its own while the tenant has realtime subscribers
//! ([`Events::watch`]) or an open pool, at most the open-pool cap of them
//! at once; its changes are that tenant's. Row tenants share the tables:
//! each change is the tenant's its row's tenant column names
//! ([`super::by_row_tenant`]), when that tenant is served.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
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

/// The tenant whose schema a notification names, if any (looked up
/// without holding the thread, from the registry's cache where it has one).
pub type TenantOf = Arc<dyn Fn(String) -> BoxFuture<'static, Option<String>> + Send + Sync>;

/// How often a reload of `[realtime] external` is looked for (and which
/// tenant databases to listen to).
const FOLLOW: Duration = Duration::from_millis(250);

/// How long a tenant found to have no PostgreSQL database of its own is
/// not looked up again.
const RECHECK: Duration = Duration::from_secs(5);

/// The connection string of a tenant's own database, if it has one
/// (looked up as [`TenantOf`] is).
pub type TenantUrl = Arc<dyn Fn(String) -> BoxFuture<'static, Option<String>> + Send + Sync>;

/// Database tenants on PostgreSQL: each one's own database is listened to.
pub struct TenantDatabases {
    /// The connection string of tenant `slug`'s own PostgreSQL database,
    /// when it is served and has one.
    pub url_of: TenantUrl,
    /// The tenants whose pool is open now.
    pub open: Arc<dyn Fn() -> Vec<String> + Send + Sync>,
    /// At most this many tenant databases are listened to at once (the
    /// cap on open pools).
    pub cap: usize,
}

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
    /// Database tenants on PostgreSQL, whose own databases are listened to.
    pub databases: Option<TenantDatabases>,
}

impl External {
    /// Starts following `[realtime] external`: when it is on now, the
    /// first connection is made here (an error when it fails: the server
    /// should say so at start-up); later drops reconnect, and a reload
    /// that turns it on or off starts or stops the listening.
    pub async fn start(self) -> Result<tokio::task::JoinHandle<()>, sqlx::Error> {
        let first = if (self.wanted)() {
            Some(Self::connect(&self.url).await?)
        } else {
            None
        };
        Ok(tokio::spawn(Arc::new(self).follow(first)))
    }

    async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        Ok(listener)
    }

    /// Listens while `wanted` holds (a task of its own, ended when it no
    /// longer holds: its connection closes with it), and to the tenant
    /// databases wanted now.
    async fn follow(self: Arc<Self>, first: Option<PgListener>) {
        let main = || Listened {
            url: self.url.clone(),
            tenant: None,
        };
        let mut listening =
            first.map(|listener| tokio::spawn(Arc::clone(&self).run(main(), Some(listener))));
        let mut tenants = TenantListeners::default();
        loop {
            tokio::select! {
                () = tokio::time::sleep(FOLLOW) => {}
                () = self.events.watched_changed() => {}
            }
            let wanted = (self.wanted)();
            if let Some(databases) = &self.databases {
                tenants.follow(&self, databases, wanted).await;
            }
            match (listening.is_some(), wanted) {
                (false, true) => {
                    listening = Some(tokio::spawn(Arc::clone(&self).run(main(), None)));
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

    async fn run(self: Arc<Self>, listened: Listened, mut listener: Option<PgListener>) {
        let mut failures: u32 = 0;
        let whose = listened
            .tenant
            .as_deref()
            .map_or_else(String::new, |tenant| format!(" of tenant `{tenant}`"));
        loop {
            let received = match listener.as_mut() {
                Some(listener) => listener.try_recv().await,
                None => match Self::connect(&listened.url).await {
                    Ok(connected) => {
                        match &listened.tenant {
                            None => tracing::info!(
                                target: "baas::realtime",
                                "[realtime] external is on: listening for changes made outside baas (LISTEN {CHANNEL})"
                            ),
                            Some(tenant) => tracing::info!(
                                target: "baas::realtime",
                                tenant = tenant.as_str(),
                                "listening for changes made outside baas in the database of tenant `{tenant}` (LISTEN {CHANNEL})"
                            ),
                        }
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
                    self.receive(notification.payload(), listened.tenant.as_deref())
                        .await;
                }
                Ok(None) => tracing::warn!(
                    target: "baas::realtime",
                    "the connection listening for database changes{whose} dropped; reconnecting (changes made meanwhile are not sent)"
                ),
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let wait = Duration::from_millis(100 * 2u64.pow(failures.min(7)));
                    tracing::warn!(
                        target: "baas::realtime",
                        "cannot listen for database changes{whose}: {}; retrying in {} ms",
                        crate::source::redact(&error.to_string()),
                        wait.as_millis()
                    );
                    tokio::time::sleep(wait).await;
                    // A tenant that is no longer served (dropped,
                    // deactivated) is not waited for.
                    if let (Some(tenant), Some(databases)) = (&listened.tenant, &self.databases)
                        && (databases.url_of)(tenant.clone()).await.as_deref()
                            != Some(listened.url.as_str())
                    {
                        return;
                    }
                }
            }
        }
    }

    /// Publishes the change `payload` announces: `tenant`'s when it came
    /// from a tenant's own database, else the tenant whose schema it names.
    async fn receive(&self, payload: &str, tenant: Option<&str>) {
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
        // Row tenants share the tables: the row's tenant column says whose
        // change it is.
        let row_column = manifest
            .tenancy
            .as_ref()
            .and_then(|tenancy| tenancy.row_column());
        if let (None, Some(column)) = (tenant, row_column) {
            let store = self.stores.default_store();
            let written = notification.new.clone();
            if let Some(mut change) = change(&*store, &manifest, notification).await {
                at_write_time(&manifest, &mut change, written, column);
                let changes = super::by_row_tenant(change, column);
                for change in super::admitted(changes, &*self.stores).await {
                    self.events.publish(change);
                }
            }
            return;
        }
        let tenant = match tenant {
            Some(tenant) => Some(tenant.to_owned()),
            None => match notification.schema.clone() {
                Some(schema) => (self.tenant_of)(schema).await,
                None => None,
            },
        };
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

/// Under row tenancy, the row read again after a create or update is the
/// row as it is now: when a later write moved it to another tenant, the
/// row the trigger sent (as it was written, of the tenant it was written
/// for) is sent instead, so the change goes to the tenant it was made in
/// and shows it only what was that tenant's.
fn at_write_time(
    manifest: &Manifest,
    change: &mut Change,
    written: Option<serde_json::Map<String, serde_json::Value>>,
    column: &str,
) {
    let (Some(entity), Some(written)) = (manifest.entities.get(&change.entity), written) else {
        return;
    };
    let written = by_field(entity, &written);
    let now = change.new.as_ref().and_then(|row| row.get(column));
    if now != written.get(column) {
        change.new = Some(written);
    }
}

/// One database listened to: the served one, or a tenant's own.
struct Listened {
    url: String,
    tenant: Option<String>,
}

/// The listeners of tenant databases, by tenant.
#[derive(Default)]
struct TenantListeners {
    running: HashMap<String, tokio::task::JoinHandle<()>>,
    /// Tenants with no PostgreSQL database of their own (or not served),
    /// and when that was found: not looked up again for [`RECHECK`].
    passed: HashMap<String, Instant>,
    /// Whether more tenants than the cap are wanted now (said once).
    capped: bool,
}

impl TenantListeners {
    /// Listens to the databases of the tenants with realtime subscribers,
    /// then of those with an open pool, up to the cap; stops the others
    /// (all of them when `[realtime] external` is off).
    async fn follow(&mut self, external: &Arc<External>, databases: &TenantDatabases, on: bool) {
        let mut wanted = Vec::new();
        if on {
            wanted = external.events.watched();
            for tenant in (databases.open)() {
                if !wanted.contains(&tenant) {
                    wanted.push(tenant);
                }
            }
        }
        let over = wanted.len() > databases.cap;
        if over && !self.capped {
            tracing::warn!(
                target: "baas::realtime",
                "{} tenants have realtime subscribers or an open pool; the databases of {} of them are listened to (the open-pool cap): changes made outside baas in the others are not sent",
                wanted.len(),
                databases.cap
            );
        }
        self.capped = over;
        wanted.truncate(databases.cap);
        let mut ended = Vec::new();
        self.running.retain(|tenant, task| {
            if task.is_finished() {
                ended.push(tenant.clone());
                return false;
            }
            if wanted.contains(tenant) {
                return true;
            }
            task.abort();
            tracing::info!(
                target: "baas::realtime",
                tenant = tenant.as_str(),
                "no longer listening for changes made outside baas in the database of tenant `{tenant}` (no subscriber, no open pool)"
            );
            false
        });
        let now = Instant::now();
        self.passed
            .retain(|_, at| now.duration_since(*at) < RECHECK);
        for tenant in ended {
            self.passed.insert(tenant, now);
        }
        for tenant in wanted {
            if self.running.contains_key(&tenant) || self.passed.contains_key(&tenant) {
                continue;
            }
            let Some(url) = (databases.url_of)(tenant.clone()).await else {
                self.passed.insert(tenant, now);
                continue;
            };
            let listened = Listened {
                url,
                tenant: Some(tenant.clone()),
            };
            let task = tokio::spawn(Arc::clone(external).run(listened, None));
            self.running.insert(tenant, task);
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
