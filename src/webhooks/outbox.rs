//! What a write leaves in `_baas_outbox`: one row per webhook told about
//! it, written by the store in the write's own transaction on the SQL
//! engines, so a committed write always has its deliveries recorded and a
//! rolled-back one never does.

use sea_query::{Alias, Query};
use serde_json::{Map, Value as Json};

use crate::manifest::{Entity, Manifest};
use crate::query::sql::{SqlDialect, Statement};

/// The outbox table (a bookkeeping table: left out of introspect and check).
pub const TABLE: &str = "_baas_outbox";

/// A row as the API returns it (the store's row type).
pub type Row = Map<String, Json>;

/// Which write a store made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Create,
    Update,
    Delete,
}

impl Write {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// The webhooks told about one write: handed to the store, which records
/// one delivery per webhook with the rows it wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbox {
    webhooks: Vec<String>,
    /// The tenant the write was for: every payload says it (`tenant`), so
    /// a receiver of a shared outbox (`strategy = "row"`) tells tenants
    /// apart under the signature.
    tenant: Option<String>,
}

impl Outbox {
    /// No webhook: the write records nothing.
    pub fn none() -> &'static Outbox {
        static NONE: Outbox = Outbox {
            webhooks: Vec::new(),
            tenant: None,
        };
        &NONE
    }

    /// The webhooks of `manifest` whose `on` matches `write` to `entity`.
    pub fn for_write(manifest: &Manifest, entity: &str, write: Write) -> Self {
        Self {
            webhooks: manifest
                .webhooks
                .iter()
                .filter(|webhook| webhook.matches(entity, write.as_str()))
                .map(|webhook| webhook.name().to_owned())
                .collect(),
            tenant: None,
        }
    }

    /// The same deliveries, for a write made for `tenant`.
    pub fn in_tenant(mut self, tenant: Option<&str>) -> Self {
        self.tenant = tenant.map(str::to_owned);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.webhooks.is_empty()
    }

    /// One entry per webhook for a write of `entity` that left `new`
    /// (create, update) after `old` (update, delete).
    pub fn entries(
        &self,
        entity_name: &str,
        entity: &Entity,
        write: Write,
        old: Option<&Row>,
        new: Option<&Row>,
    ) -> Vec<Entry> {
        if self.webhooks.is_empty() {
            return Vec::new();
        }
        let now = now_ms();
        let key: Vec<Json> = new
            .or(old)
            .map(|row| {
                entity
                    .primary_key
                    .iter()
                    .map(|field| row.get(field).cloned().unwrap_or(Json::Null))
                    .collect()
            })
            .unwrap_or_default();
        let event = format!("{entity_name}.{}", write.as_str());
        self.webhooks
            .iter()
            .map(|webhook| {
                let id = new_id();
                let mut payload = serde_json::json!({
                    "id": id,
                    "type": write.as_str(),
                    "entity": entity_name,
                    "key": key,
                    "row": new,
                    "old": old,
                    "created_at": now,
                });
                if let Some(tenant) = &self.tenant {
                    payload["tenant"] = Json::String(tenant.clone());
                }
                Entry {
                    id,
                    webhook: webhook.clone(),
                    event: event.clone(),
                    payload: payload.to_string(),
                    created_at: now,
                }
            })
            .collect()
    }
}

/// Where a write records its deliveries (said once when `baas serve`
/// starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxMode {
    /// In one transaction with the write: both commit or neither.
    Transaction,
    /// Right after the write, by the same request (on MongoDB, for the
    /// reason given: the server has no transactions, or they are off).
    AfterWrite { why: String },
}

impl OutboxMode {
    pub fn in_transaction(&self) -> bool {
        matches!(self, Self::Transaction)
    }
}

impl std::fmt::Display for OutboxMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Transaction => f.write_str("webhook outbox: in the write's transaction"),
            Self::AfterWrite { why } => write!(f, "webhook outbox: right after the write ({why})"),
        }
    }
}

/// The tenant a recorded payload names (`None` for a write of no tenant,
/// or a payload recorded before payloads named it).
pub fn tenant_of(payload: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Tenant {
        tenant: Option<String>,
    }
    serde_json::from_str::<Tenant>(payload).ok()?.tenant
}

/// One delivery to record: its id is the event id the receiver sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub webhook: String,
    /// `entity.action`.
    pub event: String,
    /// The JSON body posted.
    pub payload: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// One `INSERT` of `entries` (not empty) into the outbox, pending and due now.
pub fn insert_statement(dialect: SqlDialect, entries: &[Entry]) -> Statement {
    let mut insert = Query::insert();
    insert.into_table(Alias::new(TABLE)).columns(
        [
            "id",
            "webhook",
            "event",
            "payload",
            "state",
            "attempts",
            "next_attempt_at",
            "created_at",
        ]
        .map(Alias::new),
    );
    for entry in entries {
        insert.values_panic([
            entry.id.clone().into(),
            entry.webhook.clone().into(),
            entry.event.clone().into(),
            entry.payload.clone().into(),
            "pending".into(),
            0i32.into(),
            entry.created_at.into(),
            entry.created_at.into(),
        ]);
    }
    match dialect {
        SqlDialect::Postgres => insert.build(sea_query::PostgresQueryBuilder),
        SqlDialect::Mysql => insert.build(sea_query::MysqlQueryBuilder),
        SqlDialect::Sqlite => insert.build(sea_query::SqliteQueryBuilder),
    }
}

/// The outbox table and its index, for `dialect` (idempotent).
pub fn create_table(dialect: SqlDialect) -> &'static [&'static str] {
    match dialect {
        SqlDialect::Sqlite => &[
            "CREATE TABLE IF NOT EXISTS _baas_outbox (id TEXT NOT NULL PRIMARY KEY, webhook TEXT NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, lease_until INTEGER, last_error TEXT, created_at INTEGER NOT NULL, delivered_at INTEGER)",
            "CREATE INDEX IF NOT EXISTS _baas_outbox_due ON _baas_outbox (state, next_attempt_at)",
        ],
        SqlDialect::Postgres => &[
            "CREATE TABLE IF NOT EXISTS _baas_outbox (id VARCHAR(64) NOT NULL PRIMARY KEY, webhook TEXT NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL, state VARCHAR(16) NOT NULL, attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL, lease_until BIGINT, last_error TEXT, created_at BIGINT NOT NULL, delivered_at BIGINT)",
            "CREATE INDEX IF NOT EXISTS _baas_outbox_due ON _baas_outbox (state, next_attempt_at)",
        ],
        SqlDialect::Mysql => &[
            "CREATE TABLE IF NOT EXISTS _baas_outbox (id VARCHAR(64) NOT NULL PRIMARY KEY, webhook VARCHAR(1024) NOT NULL, event VARCHAR(512) NOT NULL, payload LONGTEXT NOT NULL, state VARCHAR(16) NOT NULL, attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL, lease_until BIGINT, last_error TEXT, created_at BIGINT NOT NULL, delivered_at BIGINT, INDEX _baas_outbox_due (state, next_attempt_at))",
        ],
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// A random 128-bit id as 32 hex digits.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    // The id only has to be unique: on the (never seen) failure of the
    // system's generator, the clock and a counter stand in.
    if getrandom::fill(&mut bytes).is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes[..8].copy_from_slice(&now_ms().to_be_bytes());
        bytes[8..].copy_from_slice(&count.to_be_bytes());
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Webhook;

    fn webhook(name: &str, on: &[&str]) -> Webhook {
        Webhook {
            name: Some(name.into()),
            on: on.iter().map(|s| (*s).to_owned()).collect(),
            url: "http://127.0.0.1:9/hook".into(),
            secret: None,
            max_attempts: None,
            timeout_seconds: None,
        }
    }

    #[test]
    fn a_write_is_told_to_the_webhooks_whose_pattern_matches() {
        let manifest = Manifest {
            webhooks: vec![
                webhook("exact", &["post.create"]),
                webhook("any_action", &["post.*"]),
                webhook("any_entity", &["*.delete"]),
                webhook("all", &["*"]),
                webhook("other", &["author.create", "post.update"]),
            ],
            ..Manifest::default()
        };
        let names = |entity, write| Outbox::for_write(&manifest, entity, write).webhooks;
        assert_eq!(names("post", Write::Create), ["exact", "any_action", "all"]);
        assert_eq!(
            names("post", Write::Delete),
            ["any_action", "any_entity", "all"]
        );
        assert_eq!(names("author", Write::Update), ["all"]);
        assert_eq!(names("post", Write::Update), ["any_action", "all", "other"]);
        // `postx.create` is not `post.create`.
        assert_eq!(names("postx", Write::Create), ["all"]);
    }

    #[test]
    fn entries_carry_the_rows_and_a_distinct_id_each() {
        let manifest = crate::manifest::load::load_str(
            std::path::Path::new("baas.toml"),
            "[manifest]\nformat = 1\nversion = 1\n[entities.post]\ntable = \"post\"\nprimary_key = [\"id\"]\n[entities.post.fields]\nid = { type = \"int64\" }\n".to_owned(),
        );
        let Ok(manifest) = manifest else {
            panic!("the test manifest loads");
        };
        let entity = &manifest.manifest.entities["post"];
        let outbox = Outbox {
            webhooks: vec!["a".into(), "b".into()],
            tenant: None,
        };
        let new: Row = serde_json::from_str(r#"{"id": 7}"#).unwrap();
        let entries = outbox.entries("post", entity, Write::Create, None, Some(&new));
        assert_eq!(entries.len(), 2);
        assert_ne!(entries[0].id, entries[1].id);
        let payload: Json = serde_json::from_str(&entries[0].payload).unwrap();
        assert_eq!(payload["id"], entries[0].id.as_str());
        assert_eq!(payload["type"], "create");
        assert_eq!(payload["entity"], "post");
        assert_eq!(payload["key"], serde_json::json!([7]));
        assert_eq!(payload["row"], serde_json::json!({"id": 7}));
        assert_eq!(payload["old"], Json::Null);
        assert!(payload.get("tenant").is_none(), "no tenant: {payload}");
        let tenanted = outbox.clone().in_tenant(Some("acme")).entries(
            "post",
            entity,
            Write::Create,
            None,
            Some(&new),
        );
        let payload: Json = serde_json::from_str(&tenanted[0].payload).unwrap();
        assert_eq!(payload["tenant"], "acme");
        assert_eq!(tenant_of(&tenanted[0].payload).as_deref(), Some("acme"));
        assert_eq!(tenant_of(&entries[0].payload), None);
        assert!(
            Outbox::none()
                .entries("post", entity, Write::Create, None, Some(&new))
                .is_empty()
        );
        let (sql, values) = insert_statement(SqlDialect::Postgres, &entries);
        assert!(sql.starts_with("INSERT INTO \"_baas_outbox\""), "{sql}");
        assert_eq!(values.0.len(), 16);
    }
}
