//! The MongoDB store: one collection per entity, documents keyed by field
//! column names, filters, keys, sorts and values as BSON from
//! [`crate::query::mongo`] (the only BSON builder), and documents read
//! back by the manifest's field types (`object_id` ↔ ObjectId,
//! `timestamptz` ↔ BSON date, `uuid` ↔ binary subtype 4, `decimal` ↔
//! Decimal128, `bytes` ↔ binary; docs/api.md). Key operations take a
//! scope filter ANDed with the key; updates and deletes are one
//! `findOneAnd…` command each. A write that webhooks are told about runs
//! in one transaction with its outbox documents where the server has
//! transactions ([`crate::webhooks::mongo`]); other writes have none.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::TryStreamExt as _;
use indexmap::IndexMap;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Bson, Document, doc, oid::ObjectId};
use mongodb::error::{
    ErrorKind, TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT, WriteFailure,
};
use mongodb::options::{ClientOptions, ReturnDocument};
use mongodb::{Client, ClientSession, Collection, Database};

use super::{ListResult, Outbox, Row, StoreError, Updated, Values};
use crate::manifest::{
    DefaultValue, Entity, Field, FieldType, IndexPart, Literal, Manifest, ReferentialAction,
    Relation,
};
use crate::query::{Filter, ListQuery, Value, mongo};
use crate::webhooks::outbox::{self, Entry, OutboxMode, Write};

/// `$action` (a driver action) made in `$session` (an
/// `Option<&mut ClientSession>`) when there is one.
macro_rules! within {
    ($action:expr, $session:expr) => {
        match $session {
            Some(session) => $action.session(session),
            None => $action,
        }
    };
}

/// Runs `$write` (a future made with `$session`, an
/// `Option<&mut ClientSession>`) as [`MongoStore::transaction`] decides:
/// on its own, or in a transaction that commits with it, made again from
/// the start after a transient error. A macro, not a function taking a
/// closure: the future stays a concrete type, which the `Send` bound of
/// the store's futures needs.
macro_rules! transacted {
    ($store:expr, $outbox:expr, |$session:ident| $write:expr) => {
        match $store.transaction($outbox).await? {
            None => {
                let $session: Option<&mut ClientSession> = None;
                $write.await
            }
            Some(mut transaction) => loop {
                transaction.start().await?;
                let outcome = {
                    let $session = Some(&mut transaction.session);
                    $write.await
                };
                if let Some(done) = transaction.finish(outcome).await {
                    break done;
                }
            },
        }
    };
}

/// How long a write's transaction is tried again after a transient error
/// (a write conflict with another transaction, a lost connection).
const RETRY_FOR: Duration = Duration::from_secs(5);

/// `baas serve` on a MongoDB database (the database named in the URL).
#[derive(Debug, Clone)]
pub struct MongoStore {
    database: Database,
    /// Where a write's webhook deliveries are recorded: decided once, at
    /// the first write that has some.
    outbox_mode: Arc<tokio::sync::OnceCell<OutboxMode>>,
}

impl MongoStore {
    /// A client on `url`, checked with a `ping`. The URL must name the
    /// database (`mongodb://host/shop`).
    pub async fn connect(url: &str, _manifest: &Manifest) -> Result<Self, StoreError> {
        Self::connect_sized(url, None).await
    }

    /// [`MongoStore::connect`] with a pool of `size` connections at most
    /// (a tenant's pool options; the default when `None`).
    pub async fn connect_sized(url: &str, size: Option<u32>) -> Result<Self, StoreError> {
        let mut options = ClientOptions::parse(url)
            .await
            .map_err(|error| StoreError::Unavailable(error.into()))?;
        options
            .server_selection_timeout
            .get_or_insert(crate::connect::connect_timeout());
        crate::connect::refuse_closed_ports(&crate::connect::mongodb_addresses(&options))
            .await
            .map_err(|reason| StoreError::Unavailable(anyhow::anyhow!(reason)))?;
        options.app_name = Some("baas serve".to_owned());
        options.max_pool_size = Some(size.unwrap_or(super::sqlx_common::DEFAULT_POOL_SIZE).max(1));
        let Some(name) = options.default_database.clone() else {
            return Err(StoreError::Unavailable(anyhow::anyhow!(
                "the MongoDB URL names no database (`mongodb://host:port/DATABASE`)"
            )));
        };
        let client =
            Client::with_options(options).map_err(|error| StoreError::Unavailable(error.into()))?;
        let engine = Self {
            database: client.database(&name),
            outbox_mode: Arc::default(),
        };
        engine.ping().await?;
        Ok(engine)
    }

    /// No bulk transaction: a bulk write is row by row (docs/api.md,
    /// "Writing many rows"), each row's write with its own deliveries (in
    /// one transaction with them where the server has transactions).
    #[allow(clippy::unused_async)]
    async fn begin_bulk(&self) -> Result<Option<super::Bulk>, StoreError> {
        Ok(None)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.database
            .run_command(doc! { "ping": 1 })
            .await
            .map(drop)
            .map_err(|error| map_error(None, error))
    }

    fn collection(&self, entity: &Entity) -> Collection<Document> {
        self.database.collection(&entity.table)
    }

    /// `filter` with each EXISTS (a rule's relation path) replaced by the
    /// keys of the related documents it matches, as `find` cannot join;
    /// `None` when it has none.
    async fn resolved(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        filter: Option<&Filter>,
    ) -> Result<Option<Filter>, StoreError> {
        match filter {
            Some(filter) if mongo::has_exists(filter) => {
                Ok(Some(self.resolve(manifest, entity_name, filter).await?))
            }
            _ => Ok(None),
        }
    }

    fn resolve<'a>(
        &'a self,
        manifest: &'a Manifest,
        entity_name: &'a str,
        filter: &'a Filter,
    ) -> futures::future::BoxFuture<'a, Result<Filter, StoreError>> {
        Box::pin(async move {
            Ok(match filter {
                Filter::And(parts) | Filter::Or(parts) => {
                    let mut resolved = Vec::with_capacity(parts.len());
                    for part in parts {
                        resolved.push(self.resolve(manifest, entity_name, part).await?);
                    }
                    if matches!(filter, Filter::And(_)) {
                        Filter::And(resolved)
                    } else {
                        Filter::Or(resolved)
                    }
                }
                Filter::Not(inner) => {
                    Filter::Not(Box::new(self.resolve(manifest, entity_name, inner).await?))
                }
                Filter::Compare { .. } | Filter::Relate { .. } | Filter::Json { .. } => {
                    filter.clone()
                }
                Filter::Exists {
                    entity: related,
                    from_fields,
                    to_fields,
                    filter: inner,
                } => {
                    let source = entity(manifest, entity_name)?;
                    let target = entity(manifest, related)?;
                    let inner = self.resolve(manifest, related, inner).await?;
                    let mut projection = Document::new();
                    for name in to_fields {
                        projection.insert(mongo::stored_path(target, name), 1);
                    }
                    let documents: Vec<Document> = self
                        .collection(target)
                        .find(mongo::filter_document(manifest, related, &inner))
                        .projection(projection)
                        .await
                        .map_err(|error| map_error(Some(target), error))?
                        .try_collect()
                        .await
                        .map_err(|error| map_error(Some(target), error))?;
                    let mut keys = Vec::with_capacity(documents.len());
                    for document in &documents {
                        let row = wire_row(target, Some(to_fields.as_slice()), document)?;
                        let key: Option<Vec<Value>> = from_fields
                            .iter()
                            .zip(to_fields)
                            .map(|(from, to)| {
                                let json = row.get(to)?;
                                let value =
                                    crate::query::value_from_json(field(source, from).ok()?, json)
                                        .ok()?;
                                (value != Value::Null).then_some(value)
                            })
                            .collect();
                        keys.extend(key);
                    }
                    mongo::exists_keys(from_fields, keys)
                }
            })
        })
    }

    async fn list_rows(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        query: &ListQuery,
    ) -> Result<ListResult, StoreError> {
        let entity = entity(manifest, entity_name)?;
        let resolved = self
            .resolved(manifest, entity_name, query.filter.as_ref())
            .await?;
        let filter = match resolved.as_ref().or(query.filter.as_ref()) {
            Some(filter) => mongo::filter_document(manifest, entity_name, filter),
            None => Document::new(),
        };
        let collection = self.collection(entity);
        // `limit(0)` is no limit to MongoDB; `limit=0` asks for no rows.
        let documents: Vec<Document> = if query.limit == 0 {
            Vec::new()
        } else {
            let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
            let sort = mongo::sort_document(manifest, entity_name, &query.order);
            let projection =
                mongo::projection_document(manifest, entity_name, query.select.as_deref());
            let cursor = match mongo::null_order_fields(manifest, entity_name, &query.order) {
                None => {
                    let mut find = collection
                        .find(filter.clone())
                        .sort(sort)
                        .skip(query.offset)
                        .limit(limit);
                    if let Some(projection) = projection {
                        find = find.projection(projection);
                    }
                    find.await
                }
                // Nulls where MongoDB's sort does not put them: sorted on
                // a flag computed first.
                Some(flags) => {
                    let skip = i64::try_from(query.offset).unwrap_or(i64::MAX);
                    let mut pipeline = vec![
                        doc! { "$match": filter.clone() },
                        doc! { "$addFields": flags },
                        doc! { "$sort": sort },
                        doc! { "$skip": skip },
                        doc! { "$limit": limit },
                    ];
                    if let Some(projection) = projection {
                        pipeline.push(doc! { "$project": projection });
                    }
                    collection.aggregate(pipeline).await
                }
            };
            cursor
                .map_err(|error| map_error(Some(entity), error))?
                .try_collect()
                .await
                .map_err(|error| map_error(Some(entity), error))?
        };
        let rows = documents
            .iter()
            .map(|document| wire_row(entity, query.select.as_deref(), document))
            .collect::<Result<Vec<_>, _>>()?;
        let count = if query.count {
            let count = collection
                .count_documents(filter)
                .await
                .map_err(|error| map_error(Some(entity), error))?;
            Some(count)
        } else {
            None
        };
        Ok(ListResult { rows, count })
    }

    async fn get_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        key: &[Value],
        scope: Option<&Filter>,
    ) -> Result<Option<Row>, StoreError> {
        let entity = entity(manifest, entity_name)?;
        let resolved = self.resolved(manifest, entity_name, scope).await?;
        let scope = resolved.as_ref().or(scope);
        let document = self
            .collection(entity)
            .find_one(key_document(manifest, entity_name, key, scope)?)
            .await
            .map_err(|error| map_error(Some(entity), error))?;
        document
            .map(|document| wire_row(entity, None, &document))
            .transpose()
    }

    async fn insert_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        values: &Values,
        outbox: &Outbox,
    ) -> Result<Row, StoreError> {
        let entity = entity(manifest, entity_name)?;
        for name in values.keys() {
            if !entity.fields.contains_key(name) {
                return Err(internal(format!(
                    "unknown field `{name}` of `{}`",
                    entity.table
                )));
            }
        }
        // MongoDB has no sequences: a generated integer key takes the next
        // value after the largest, retried when a concurrent insert took it.
        let counted = entity.primary_key.iter().find(|name| {
            !values.contains_key(*name)
                && entity
                    .fields
                    .get(*name)
                    .is_some_and(|field| field.ty.is_integer() && field.generated.is_some())
        });
        let mut attempts = 0;
        loop {
            let inserted = transacted!(self, outbox, |session| self.insert_once(
                manifest,
                entity_name,
                values,
                counted,
                outbox,
                session
            ));
            match inserted {
                Err(StoreError::Conflict { fields })
                    if counted.is_some_and(|name| fields.contains(name)) && attempts < 5 =>
                {
                    attempts += 1;
                }
                inserted => return inserted,
            }
        }
    }

    /// One attempt at an insert (`counted`: the generated integer key to
    /// number), with its deliveries, in `session` when there is one.
    async fn insert_once(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        values: &Values,
        counted: Option<&String>,
        outbox: &Outbox,
        mut session: Option<&mut ClientSession>,
    ) -> Result<Row, StoreError> {
        let entity = entity(manifest, entity_name)?;
        self.check_references(manifest, entity, values, session.as_deref_mut())
            .await?;
        let mut document = self.new_document(entity, values)?;
        if let Some(name) = counted {
            let column = entity.fields[name].column_name(name);
            document.insert(
                column,
                self.next_key(entity, column, session.as_deref_mut())
                    .await?,
            );
        }
        let collection = self.collection(entity);
        let inserted = within!(collection.insert_one(&document), session.as_deref_mut())
            .await
            .map_err(|error| map_error(Some(entity), error))?;
        if !document.contains_key("_id") {
            document.insert("_id", inserted.inserted_id);
        }
        let row = wire_row(entity, None, &document)?;
        let entries = outbox.entries(entity_name, entity, Write::Create, None, Some(&row));
        self.record_outbox(&entries, session).await?;
        Ok(row)
    }

    /// Where this server records a write's deliveries (decided once).
    pub async fn outbox_mode(&self) -> &OutboxMode {
        self.outbox_mode
            .get_or_init(|| crate::webhooks::mongo::outbox_mode(&self.database))
            .await
    }

    /// The transaction a write with `outbox`'s deliveries is made in:
    /// `None` without deliveries (the fast path) or on a server with no
    /// transactions.
    async fn transaction(&self, outbox: &Outbox) -> Result<Option<WriteTransaction>, StoreError> {
        if outbox.is_empty() || !self.outbox_mode().await.in_transaction() {
            return Ok(None);
        }
        let session = self
            .database
            .client()
            .start_session()
            .await
            .map_err(|error| map_error(None, error))?;
        Ok(Some(WriteTransaction {
            session,
            started: Instant::now(),
            pause: Duration::from_millis(2),
        }))
    }

    /// Records webhook deliveries in the outbox collection: in the write's
    /// transaction (`session`) where the server has them; otherwise right
    /// after the write, as MongoDB does not let a later insert join a
    /// single-document write without one, so a process killed between the
    /// two loses those deliveries (docs/webhooks.md).
    async fn record_outbox(
        &self,
        entries: &[Entry],
        session: Option<&mut ClientSession>,
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let outbox = self.database.collection::<Document>(outbox::TABLE);
        within!(
            outbox.insert_many(entries.iter().map(crate::webhooks::queue::document)),
            session
        )
        .await
        .map(drop)
        // The driver's error is kept: its labels say whether the
        // transaction is worth another try.
        .map_err(|error| {
            StoreError::Internal(anyhow::Error::new(error).context("recording webhook deliveries"))
        })
    }

    /// MongoDB has no foreign keys: a relation whose fields are all given
    /// (and not null) must find its target document, as SQL would check.
    async fn check_references(
        &self,
        manifest: &Manifest,
        entity: &Entity,
        values: &Values,
        mut session: Option<&mut ClientSession>,
    ) -> Result<(), StoreError> {
        for relation in &entity.relations {
            let given: Option<Vec<&Value>> = relation
                .fields
                .iter()
                .map(|name| {
                    values
                        .get(name)
                        .filter(|value| !matches!(value, Value::Null))
                })
                .collect();
            let Some(given) = given else { continue };
            let Some(target) = manifest.entities.get(&relation.references.entity) else {
                continue;
            };
            let mut filter = Document::new();
            for (name, value) in relation.references.fields.iter().zip(given) {
                let field = field(target, name)?;
                filter.insert(
                    mongo::stored_path(target, name),
                    mongo::bson_value(field, value),
                );
            }
            let collection = self.collection(target);
            let found = within!(
                collection.find_one(filter).projection(doc! { "_id": 1 }),
                session.as_deref_mut()
            )
            .await
            .map_err(|error| map_error(Some(target), error))?;
            if found.is_none() {
                return Err(StoreError::Reference {
                    relation: Some(super::describe_relation(entity, relation)),
                });
            }
        }
        Ok(())
    }

    /// Before deleting `row` of `entity_name`: a row that references it
    /// through a relation that is not `cascade` or `set_null` stops the
    /// delete.
    async fn check_restrictions(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        row: &Row,
        mut session: Option<&mut ClientSession>,
    ) -> Result<(), StoreError> {
        for (source, relation) in referencing(manifest, entity_name) {
            if matches!(
                relation.on_delete,
                ReferentialAction::Cascade | ReferentialAction::SetNull
            ) {
                continue;
            }
            let collection = self.collection(source);
            let filter = referencing_filter(source, relation, row)?;
            let found = within!(
                collection.find_one(filter).projection(doc! { "_id": 1 }),
                session.as_deref_mut()
            )
            .await
            .map_err(|error| map_error(Some(source), error))?;
            if found.is_some() {
                return Err(StoreError::Reference {
                    relation: Some(super::describe_relation(source, relation)),
                });
            }
        }
        Ok(())
    }

    /// After deleting `row` of `entity_name`: rows that reference it are
    /// deleted (`cascade`) or unlinked (`set_null`).
    async fn apply_delete_actions(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        row: &Row,
        mut session: Option<&mut ClientSession>,
    ) -> Result<(), StoreError> {
        for (source, relation) in referencing(manifest, entity_name) {
            let filter = referencing_filter(source, relation, row)?;
            let collection = self.collection(source);
            let outcome = match relation.on_delete {
                ReferentialAction::Cascade => {
                    within!(collection.delete_many(filter), session.as_deref_mut())
                        .await
                        .map(drop)
                }
                ReferentialAction::SetNull => {
                    let mut unset = Document::new();
                    for name in &relation.fields {
                        unset.insert(mongo::stored_path(source, name), Bson::Null);
                    }
                    within!(
                        collection.update_many(filter, doc! { "$set": unset }),
                        session.as_deref_mut()
                    )
                    .await
                    .map(drop)
                }
                _ => Ok(()),
            };
            outcome.map_err(|error| map_error(Some(source), error))?;
        }
        Ok(())
    }

    /// The document of an insert: the given values, then literal defaults.
    fn new_document(&self, entity: &Entity, values: &Values) -> Result<Document, StoreError> {
        let mut document = Document::new();
        for (name, field) in &entity.fields {
            let value = match values.get(name) {
                Some(value) => mongo::bson_value(field, value),
                None => match &field.default {
                    Some(DefaultValue::Literal(literal)) => literal_to_bson(field, literal),
                    _ if field.ty == FieldType::ObjectId
                        && entity.primary_key.iter().any(|key| key == name) =>
                    {
                        Bson::ObjectId(ObjectId::new())
                    }
                    // A nullable field not given is null, as a SQL column
                    // is; only an `optional` one may be absent (the
                    // collection's validator requires the others).
                    _ if field.nullable && !field.optional => Bson::Null,
                    _ => continue,
                },
            };
            document.insert(field.column_name(name), value);
        }
        Ok(document)
    }

    /// One more than the largest `column` in the collection (1 when empty).
    async fn next_key(
        &self,
        entity: &Entity,
        column: &str,
        session: Option<&mut ClientSession>,
    ) -> Result<Bson, StoreError> {
        let collection = self.collection(entity);
        let last = within!(
            collection
                .find_one(doc! { column: { "$type": "number" } })
                .sort(doc! { column: -1 })
                .projection(doc! { column: 1 }),
            session
        )
        .await
        .map_err(|error| map_error(Some(entity), error))?;
        let largest = match last.as_ref().and_then(|document| document.get(column)) {
            Some(Bson::Int32(i)) => i64::from(*i),
            Some(Bson::Int64(i)) => *i,
            Some(Bson::Double(f)) => *f as i64,
            _ => 0,
        };
        Ok(Bson::Int64(largest + 1))
    }

    /// One `findOneAndUpdate` on the key and scope: the document before
    /// is what the server changed, and the document after is that one with
    /// the `$set` applied (top-level keys only, so it is exact), with no
    /// second read another writer could change in between.
    ///
    /// `check` (the update rule's row conditions) is decided in memory on
    /// the document after, its relation paths resolved to keys first: on
    /// the document as read just before the write (a refused row is never
    /// written), and again on the document the write changed when another
    /// writer changed it in between; refused then, the fields set are put
    /// back (if no one changed them since), or the transaction (a write
    /// with webhooks, on a server with transactions) is aborted. So
    /// without a transaction a refused row may be visible for that moment,
    /// in that race only.
    #[allow(clippy::too_many_arguments)]
    async fn update_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        key: &[Value],
        scope: Option<&Filter>,
        check: Option<&Filter>,
        values: &Values,
        outbox: &Outbox,
    ) -> Result<Option<Updated>, StoreError> {
        let entity = entity(manifest, entity_name)?;
        let resolved = self.resolved(manifest, entity_name, scope).await?;
        let scope = resolved.as_ref().or(scope);
        if values.is_empty() {
            let row = self.get_row(manifest, entity_name, key, scope).await?;
            return Ok(row.map(|row| Updated {
                new: row.clone(),
                old: row,
            }));
        }
        let mut set = Document::new();
        for (name, value) in values {
            let field = field(entity, name)?;
            set.insert(field.column_name(name), mongo::bson_value(field, value));
        }
        let check = match check {
            Some(check) => Some(
                self.resolved(manifest, entity_name, Some(check))
                    .await?
                    .unwrap_or_else(|| check.clone()),
            ),
            None => None,
        };
        let write = UpdateWrite {
            manifest,
            entity_name,
            entity,
            filter: key_document(manifest, entity_name, key, scope)?,
            check: check.as_ref(),
            values,
            set,
            outbox,
        };
        transacted!(self, outbox, |session| self.update_once(&write, session))
    }

    /// One attempt at an update, with its deliveries, in `session` when
    /// there is one.
    async fn update_once(
        &self,
        write: &UpdateWrite<'_>,
        mut session: Option<&mut ClientSession>,
    ) -> Result<Option<Updated>, StoreError> {
        let UpdateWrite {
            manifest,
            entity_name,
            entity,
            ref filter,
            check,
            values,
            ref set,
            outbox,
        } = *write;
        self.check_references(manifest, entity, values, session.as_deref_mut())
            .await?;
        let apply = |before: &Document| {
            let mut after = before.clone();
            for (column, value) in set {
                after.insert(column.clone(), value.clone());
            }
            after
        };
        let passes = |after: &Document| -> Result<bool, StoreError> {
            let Some(check) = check else {
                return Ok(true);
            };
            let row = wire_row(entity, None, after)?;
            // Undecided cannot be: the relation paths were resolved.
            Ok(crate::serve::realtime::matches(entity, check, &row).unwrap_or(false))
        };
        let collection = self.collection(entity);
        let read = match check {
            Some(_) => within!(collection.find_one(filter.clone()), session.as_deref_mut())
                .await
                .map_err(|error| map_error(Some(entity), error))?,
            None => None,
        };
        if let Some(read) = &read
            && !passes(&apply(read))?
        {
            return Err(StoreError::Refused);
        }
        let before = within!(
            collection
                .find_one_and_update(filter.clone(), doc! { "$set": set.clone() })
                .return_document(ReturnDocument::Before),
            session.as_deref_mut()
        )
        .await
        .map_err(|error| map_error(Some(entity), error))?;
        let Some(before) = before else {
            return Ok(None);
        };
        let after = apply(&before);
        if read.as_ref() != Some(&before) && !passes(&after)? {
            // In a transaction, its abort puts the fields back.
            if session.is_none() {
                self.restore(entity, &before, set).await?;
            }
            return Err(StoreError::Refused);
        }
        let updated = Updated {
            old: wire_row(entity, None, &before)?,
            new: wire_row(entity, None, &after)?,
        };
        let entries = outbox.entries(
            entity_name,
            entity,
            Write::Update,
            Some(&updated.old),
            Some(&updated.new),
        );
        self.record_outbox(&entries, session).await?;
        Ok(Some(updated))
    }

    /// Puts back the fields of `set` as `before` had them, on the document
    /// of `before` if they still hold the values `set` gave them.
    async fn restore(
        &self,
        entity: &Entity,
        before: &Document,
        set: &Document,
    ) -> Result<(), StoreError> {
        let mut filter = doc! { "_id": before.get("_id").cloned().unwrap_or(Bson::Null) };
        let mut back = Document::new();
        let mut gone = Document::new();
        for (column, value) in set {
            filter.insert(column.clone(), value.clone());
            match before.get(column) {
                Some(old) => {
                    back.insert(column.clone(), old.clone());
                }
                None => {
                    gone.insert(column.clone(), "");
                }
            }
        }
        let mut update = Document::new();
        if !back.is_empty() {
            update.insert("$set", back);
        }
        if !gone.is_empty() {
            update.insert("$unset", gone);
        }
        if update.is_empty() {
            return Ok(());
        }
        self.collection(entity)
            .update_one(filter, update)
            .await
            .map_err(|error| map_error(Some(entity), error))?;
        Ok(())
    }

    /// Rows that reference the row stop the delete (`restrict`, `no
    /// action`); the row is then removed with one `findOneAndDelete` on
    /// the key and scope, which returns it; rows referencing it are
    /// deleted (`cascade`) or unlinked (`set_null`) after. MongoDB has no
    /// foreign keys: a reference written between the check and the delete
    /// is not seen, as with the check on insert.
    async fn delete_row(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        key: &[Value],
        scope: Option<&Filter>,
        outbox: &Outbox,
    ) -> Result<Option<Row>, StoreError> {
        let resolved = self.resolved(manifest, entity_name, scope).await?;
        let scope = resolved.as_ref().or(scope);
        let filter = key_document(manifest, entity_name, key, scope)?;
        transacted!(self, outbox, |session| self.delete_once(
            manifest,
            entity_name,
            &filter,
            outbox,
            session
        ))
    }

    /// One attempt at a delete of the row `filter` finds, with its
    /// deliveries, in `session` when there is one.
    async fn delete_once(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        filter: &Document,
        outbox: &Outbox,
        mut session: Option<&mut ClientSession>,
    ) -> Result<Option<Row>, StoreError> {
        let entity = entity(manifest, entity_name)?;
        let collection = self.collection(entity);
        if restricting(manifest, entity_name) {
            let found = within!(collection.find_one(filter.clone()), session.as_deref_mut())
                .await
                .map_err(|error| map_error(Some(entity), error))?;
            let Some(found) = found else {
                return Ok(None);
            };
            let row = wire_row(entity, None, &found)?;
            self.check_restrictions(manifest, entity_name, &row, session.as_deref_mut())
                .await?;
        }
        let deleted = within!(
            collection.find_one_and_delete(filter.clone()),
            session.as_deref_mut()
        )
        .await
        .map_err(|error| map_error(Some(entity), error))?;
        let Some(deleted) = deleted else {
            return Ok(None);
        };
        let row = wire_row(entity, None, &deleted)?;
        self.apply_delete_actions(manifest, entity_name, &row, session.as_deref_mut())
            .await?;
        let entries = outbox.entries(entity_name, entity, Write::Delete, Some(&row), None);
        self.record_outbox(&entries, session).await?;
        Ok(Some(row))
    }
}

/// An update as [`MongoStore::update_once`] makes it: the row's filter
/// (key and scope), the update rule's conditions, and the `$set` of the
/// values.
struct UpdateWrite<'a> {
    manifest: &'a Manifest,
    entity_name: &'a str,
    entity: &'a Entity,
    filter: Document,
    check: Option<&'a Filter>,
    values: &'a Values,
    set: Document,
    outbox: &'a Outbox,
}

/// The session of a write and its deliveries (see [`transacted`]).
struct WriteTransaction {
    session: ClientSession,
    started: Instant,
    /// The wait before the next attempt.
    pause: Duration,
}

impl WriteTransaction {
    async fn start(&mut self) -> Result<(), StoreError> {
        self.session
            .start_transaction()
            .await
            .map_err(|error| map_error(None, error))
    }

    /// Ends an attempt that came to `outcome`: committed when it
    /// succeeded, aborted when it failed. `None` when it is worth another
    /// attempt (a transient error within [`RETRY_FOR`]; after a pause).
    async fn finish<T>(&mut self, outcome: Result<T, StoreError>) -> Option<Result<T, StoreError>> {
        let outcome = match outcome {
            Ok(value) => self.commit().await.map(|()| value),
            Err(error) => {
                // The server may have ended it already (a failed
                // statement aborts the transaction): nothing to undo.
                let _ = self.session.abort_transaction().await;
                Err(error)
            }
        };
        match outcome {
            Err(error) if transient(&error) && self.started.elapsed() < RETRY_FOR => {
                tracing::debug!(
                    target: "baas::webhooks",
                    "a write's transaction is made again after a transient error: {:#}",
                    anyhow::Error::from(error)
                );
                tokio::time::sleep(jittered(self.pause)).await;
                self.pause = (self.pause * 2).min(Duration::from_millis(100));
                None
            }
            outcome => Some(outcome),
        }
    }

    /// Commits, again when the server's answer was lost
    /// (`UnknownTransactionCommitResult`: committing twice is harmless).
    async fn commit(&mut self) -> Result<(), StoreError> {
        let mut tries = 0;
        loop {
            match self.session.commit_transaction().await {
                Ok(()) => return Ok(()),
                Err(error)
                    if error.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT) && tries < 3 =>
                {
                    tries += 1;
                }
                Err(error) => return Err(map_error(None, error)),
            }
        }
    }
}

/// Whether a failed write's transaction may succeed if made again from
/// the start (the driver's `TransientTransactionError` label: a write
/// conflict, a lost connection).
fn transient(error: &StoreError) -> bool {
    let (StoreError::Internal(error) | StoreError::Unavailable(error)) = error else {
        return false;
    };
    error
        .downcast_ref::<mongodb::error::Error>()
        .is_some_and(|error| error.contains_label(TRANSIENT_TRANSACTION_ERROR))
}

/// `pause` scaled by a random factor between 0.5 and 1, so writers that
/// conflicted do not come back in step.
fn jittered(pause: Duration) -> Duration {
    let mut byte = [0u8; 1];
    let factor = if getrandom::fill(&mut byte).is_ok() {
        0.5 + f64::from(byte[0]) / 510.0
    } else {
        0.75
    };
    pause.mul_f64(factor)
}

/// The relations of every entity that reference `entity_name`.
fn referencing<'a>(
    manifest: &'a Manifest,
    entity_name: &'a str,
) -> impl Iterator<Item = (&'a Entity, &'a Relation)> + 'a {
    manifest.entities.values().flat_map(move |source| {
        source
            .relations
            .iter()
            .filter(move |relation| relation.references.entity == entity_name)
            .map(move |relation| (source, relation))
    })
}

/// The documents of `source` that reference `row` through `relation`.
fn referencing_filter(
    source: &Entity,
    relation: &Relation,
    row: &Row,
) -> Result<Document, StoreError> {
    let mut filter = Document::new();
    for (name, target_name) in relation.fields.iter().zip(&relation.references.fields) {
        let field = field(source, name)?;
        let value = row.get(target_name).cloned().unwrap_or_default();
        filter.insert(
            mongo::stored_path(source, name),
            mongo::bson_value(field, &mongo::json_to_value(&value)),
        );
    }
    Ok(filter)
}

/// Whether a relation to `entity_name` stops deletes (not `cascade` or
/// `set_null`).
fn restricting(manifest: &Manifest, entity_name: &str) -> bool {
    manifest.entities.values().any(|source| {
        source.relations.iter().any(|relation| {
            relation.references.entity == entity_name
                && !matches!(
                    relation.on_delete,
                    ReferentialAction::Cascade | ReferentialAction::SetNull
                )
        })
    })
}

/// The filter of one row by key and scope.
fn key_document(
    manifest: &Manifest,
    entity_name: &str,
    key: &[Value],
    scope: Option<&Filter>,
) -> Result<Document, StoreError> {
    mongo::key_document(manifest, entity_name, key, scope).ok_or_else(|| {
        internal(format!(
            "`{entity_name}` has no primary key of {} values",
            key.len()
        ))
    })
}

fn internal(message: impl Into<String>) -> StoreError {
    StoreError::Internal(anyhow::anyhow!(message.into()))
}

fn entity<'a>(manifest: &'a Manifest, name: &str) -> Result<&'a Entity, StoreError> {
    manifest
        .entities
        .get(name)
        .ok_or_else(|| internal(format!("unknown entity `{name}`")))
}

/// The field at `name`, a field name or a dotted path into object fields.
fn field<'a>(entity: &'a Entity, name: &str) -> Result<&'a Field, StoreError> {
    entity
        .fields
        .get(name)
        .or_else(|| entity.field_at_path(name))
        .ok_or_else(|| internal(format!("unknown field `{name}` of `{}`", entity.table)))
}

fn literal_to_bson(field: &Field, literal: &Literal) -> Bson {
    let value = match literal {
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::Int(*i),
        Literal::Float(f) => Value::Float(*f),
        Literal::String(text) => Value::Text(text.clone()),
        Literal::Array(items) => {
            let item_field = field.items.as_deref().unwrap_or(field);
            return Bson::Array(
                items
                    .iter()
                    .map(|item| literal_to_bson(item_field, item))
                    .collect(),
            );
        }
    };
    mongo::bson_value(field, &value)
}

fn uuid_text(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A document as a wire row: fields in manifest order, absent `optional`
/// fields omitted, other absent fields `null`.
fn wire_row(
    entity: &Entity,
    select: Option<&[String]>,
    document: &Document,
) -> Result<Row, StoreError> {
    let mut row = Row::with_capacity(entity.fields.len());
    for (name, field) in &entity.fields {
        if select.is_some_and(|select| !select.iter().any(|selected| selected == name)) {
            continue;
        }
        match document.get(field.column_name(name)) {
            Some(value) => {
                row.insert(name.clone(), wire_value(Some(field), value));
            }
            None if field.optional => {}
            None => {
                row.insert(name.clone(), serde_json::Value::Null);
            }
        }
    }
    Ok(row)
}

/// A BSON value as its wire value, by field type when the field is known.
fn wire_value(field: Option<&Field>, value: &Bson) -> serde_json::Value {
    match value {
        Bson::Null | Bson::Undefined => serde_json::Value::Null,
        Bson::Boolean(b) => (*b).into(),
        Bson::Int32(i) => (*i).into(),
        Bson::Int64(i) => (*i).into(),
        Bson::Double(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Bson::Decimal128(decimal) => decimal.to_string().into(),
        Bson::String(text) => text.clone().into(),
        Bson::ObjectId(id) => id.to_hex().into(),
        Bson::DateTime(date) => date
            .try_to_rfc3339_string()
            .map_or_else(|_| date.timestamp_millis().into(), Into::into),
        Bson::Binary(binary) => {
            let as_uuid = binary.subtype == BinarySubtype::Uuid
                || field.is_some_and(|field| field.ty == FieldType::Uuid);
            if as_uuid && binary.bytes.len() == 16 {
                uuid_text(&binary.bytes).into()
            } else {
                base64::engine::general_purpose::STANDARD
                    .encode(&binary.bytes)
                    .into()
            }
        }
        Bson::Array(items) => {
            let items_field = field.and_then(|field| field.items.as_deref());
            items
                .iter()
                .map(|item| wire_value(items_field, item))
                .collect()
        }
        Bson::Document(document) => {
            let nested = field.and_then(|field| field.fields.as_ref());
            let mut object = serde_json::Map::new();
            match nested {
                Some(nested) => {
                    let by_column: IndexMap<&str, (&str, &Field)> = nested
                        .iter()
                        .map(|(name, field)| (field.column_name(name), (name.as_str(), field)))
                        .collect();
                    for (key, member) in document {
                        match by_column.get(key.as_str()) {
                            Some((name, member_field)) => {
                                object.insert(
                                    (*name).to_owned(),
                                    wire_value(Some(member_field), member),
                                );
                            }
                            None => {
                                object.insert(key.clone(), wire_value(None, member));
                            }
                        }
                    }
                }
                None => {
                    for (key, member) in document {
                        object.insert(key.clone(), wire_value(None, member));
                    }
                }
            }
            object.into()
        }
        other => other.clone().into_relaxed_extjson(),
    }
}

/// Driver error → engine error: duplicate key (11000) is a conflict
/// naming the index's fields, network and server selection unavailable.
fn map_error(entity: Option<&Entity>, error: mongodb::error::Error) -> StoreError {
    let duplicate = match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(write)) if write.code == 11000 => {
            Some(write.message.clone())
        }
        ErrorKind::Command(command) if command.code == 11000 => Some(command.message.clone()),
        _ => None,
    };
    if let Some(message) = duplicate {
        let fields = entity
            .map(|entity| duplicate_fields(entity, &message))
            .unwrap_or_default();
        return StoreError::Conflict { fields };
    }
    match error.kind.as_ref() {
        ErrorKind::Io(_)
        | ErrorKind::ServerSelection { .. }
        | ErrorKind::ConnectionPoolCleared { .. } => StoreError::Unavailable(error.into()),
        ErrorKind::Authentication { .. } => StoreError::Credentials(error.into()),
        _ => StoreError::Internal(error.into()),
    }
}

/// The fields of an E11000 message:
/// `… index: isbn_1 dup key: { isbn: "x" }` → the index's fields, else the
/// keys of the `dup key` document.
fn duplicate_fields(entity: &Entity, message: &str) -> Vec<String> {
    let index_name = message
        .split_once("index: ")
        .map(|(_, rest)| rest.split_whitespace().next().unwrap_or_default());
    if let Some(index_name) = index_name {
        if index_name == "_id_" {
            return entity.primary_key.clone();
        }
        if let Some(index) = entity.indexes.iter().find(|index| index.name == index_name) {
            return index
                .fields
                .iter()
                .filter_map(|part| match part {
                    IndexPart::Field { field, .. } => Some(field.clone()),
                    IndexPart::Expression { .. } => None,
                })
                .collect();
        }
    }
    let Some((_, keys)) = message.split_once("dup key: {") else {
        return Vec::new();
    };
    keys.split(", ")
        .filter_map(|pair| {
            pair.split_once(':')
                .map(|(key, _)| key.trim().trim_matches('"'))
        })
        .filter_map(|column| {
            entity
                .field_by_column(column)
                .map(|(name, _)| name.to_owned())
        })
        .collect()
}

super::store_from_inherent_methods!(MongoStore);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_round_trip_through_bytes() {
        let text = "0b9d7f3a-1c2e-4f5a-8b6c-7d8e9f0a1b2c";
        let field: Field = Field::new(FieldType::Uuid);
        let Bson::Binary(binary) = mongo::bson_value(&field, &Value::Text(text.to_owned())) else {
            panic!("a uuid is binary");
        };
        assert_eq!(binary.subtype, BinarySubtype::Uuid);
        assert_eq!(uuid_text(&binary.bytes), text);
    }
}
