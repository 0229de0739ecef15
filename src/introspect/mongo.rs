//! MongoDB introspection: reads a database's collections and views into a
//! [`Manifest`] and a [`Ledger`] of what the manifest cannot represent.
//!
//! Fields come from a collection's `$jsonSchema` validator when it has one
//! ([`schema`]); otherwise they are inferred from its documents ([`infer`]):
//! every document, in `_id` order, when the collection holds no more than
//! `--sample` of them, else a `$sample` of that many, sorted by `_id` so that
//! the order of fields depends only on which documents were drawn. Views and
//! time-series collections, which have no `_id` index to sort by, give their
//! first `--sample` documents. Indexes come from `listIndexes` ([`indexes`]).
//! No relations are inferred: MongoDB has no foreign keys, and guessing them
//! from field names would be invention.
//!
//! The work is split in two: `read_catalog` does all the I/O and returns what
//! the server said (collection and index specifications, and the documents
//! read, summarised as they stream in: keys, counts and BSON types); `build`
//! turns that into the manifest without I/O.

mod indexes;
mod infer;
mod schema;

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use mongodb::bson::{Bson, Document, doc, spec::BinarySubtype};
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

use super::{IntrospectError, IntrospectOptions, Introspection, Introspector};
use crate::ledger::Ledger;
use crate::manifest::{
    CURRENT_FORMAT, Entity, EntityKind, Field, FieldType, IndexPart, Manifest, Project, Source,
    SourceEngine,
};
use crate::source::redact;
use crate::ui::Progress;

/// Documents read per collection when `--sample` is not given.
const DEFAULT_SAMPLE: usize = 1000;
/// Collections read at the same time.
const CONCURRENT_COLLECTIONS: usize = 4;

/// Reads the database named in a `mongodb://` or `mongodb+srv://` URL.
pub struct MongoIntrospector {
    url: String,
}

impl MongoIntrospector {
    pub fn new(url: String) -> Self {
        Self { url }
    }
}

impl Introspector for MongoIntrospector {
    async fn introspect(
        &self,
        options: &IntrospectOptions,
        progress: &Progress,
    ) -> Result<Introspection, IntrospectError> {
        let target = redact(&self.url);
        let driver_options = client_options(&self.url, &target).await?;
        crate::connect::refuse_closed_ports(&crate::connect::mongodb_addresses(&driver_options))
            .await
            .map_err(|reason| IntrospectError::Connect {
                target: target.clone(),
                reason,
            })?;
        let name = database_name(&driver_options, &target)?;
        let client =
            Client::with_options(driver_options).map_err(|error| connect_error(&target, &error))?;
        let database = client.database(&name);
        database
            .run_command(doc! { "ping": 1 })
            .await
            .map_err(|error| connect_error(&target, &error))?;
        let sample = options.sample.unwrap_or(DEFAULT_SAMPLE);
        let catalog = read_catalog(&database, sample, progress)
            .await
            .map_err(|error| IntrospectError::Catalog {
                target: target.clone(),
                reason: describe(&error),
            })?;
        Ok(build(&catalog))
    }
}

/// The database named by the URL's path: `mongodb://host/shop` → `shop`.
fn database_name(options: &ClientOptions, target: &str) -> Result<String, IntrospectError> {
    match options.default_database.as_deref() {
        Some(name) if !name.is_empty() => Ok(name.to_owned()),
        _ => Err(IntrospectError::Unsupported(format!(
            "`{target}` names no database: put it in the path, e.g. `mongodb://host:27017/mydb`"
        ))),
    }
}

fn connect_error(target: &str, error: &mongodb::error::Error) -> IntrospectError {
    IntrospectError::Connect {
        target: target.to_owned(),
        reason: describe(error),
    }
}

/// A driver error in one line, without a password.
fn describe(error: &mongodb::error::Error) -> String {
    use mongodb::error::ErrorKind;
    let text = match error.kind.as_ref() {
        ErrorKind::ServerSelection { message, .. } => server_selection(message),
        ErrorKind::Authentication { message, .. } => format!("authentication failed: {message}"),
        ErrorKind::Command(command) => {
            format!(
                "{} ({}): {}",
                command.code_name, command.code, command.message
            )
        }
        other => other.to_string(),
    };
    redact(&text)
}

/// The driver's server-selection message lists the topology in a debug
/// format; keep each server's address and error, or the message as it is.
fn server_selection(message: &str) -> String {
    let mut servers = Vec::new();
    let mut rest = message;
    while let Some(start) = rest.find("Address: ") {
        rest = &rest[start + "Address: ".len()..];
        let address = rest.split([',', ' ']).next().unwrap_or_default();
        let next_server = rest.find("Address: ").unwrap_or(rest.len());
        let error = rest[..next_server].find("Error: ").map(|at| {
            let error = &rest[at + "Error: ".len()..next_server];
            let error = error.strip_prefix("Kind: ").unwrap_or(error);
            error
                .split(", labels:")
                .next()
                .unwrap_or(error)
                .trim_end_matches([' ', '}', ']', ','])
        });
        servers.push(match error {
            Some(error) => format!("{address}: {error}"),
            None => address.to_owned(),
        });
    }
    if servers.is_empty() {
        message.to_owned()
    } else {
        format!("no server could be reached ({})", servers.join("; "))
    }
}

/// The driver's options for `url`, with short timeouts unless the URL sets them.
async fn client_options(url: &str, target: &str) -> Result<ClientOptions, IntrospectError> {
    let mut options = ClientOptions::parse(url)
        .await
        .map_err(|error| connect_error(target, &error))?;
    let timeout = crate::connect::connect_timeout();
    options.server_selection_timeout.get_or_insert(timeout);
    options.connect_timeout.get_or_insert(timeout);
    options.app_name.get_or_insert_with(|| "baas".to_owned());
    Ok(options)
}

// ---------------------------------------------------------------------------
// Reading

/// Everything read from the server, before any interpretation.
#[derive(Debug, Default)]
struct Catalog {
    database: String,
    /// Collections and views, sorted by name.
    collections: Vec<CollectionRead>,
    /// `system.*` collections that mean something to the user (`system.js`).
    system: Vec<String>,
}

/// One `listCollections` entry and what was read from it.
#[derive(Debug, Default)]
struct CollectionRead {
    name: String,
    /// `collection`, `view` or `timeseries`.
    kind: String,
    /// The `options` of `listCollections`: validator, view pipeline, capped...
    options: Document,
    /// The `listIndexes` entries (none for views).
    indexes: Vec<Document>,
    /// What the documents read, in `_id` order, looked like.
    documents: infer::DocumentStats,
    /// The smallest `_id`, when the fields come from the validator.
    first_id: Option<Bson>,
    sampling: Sampling,
}

/// How the documents of a [`CollectionRead`] were chosen.
#[derive(Debug, Default, Clone, PartialEq)]
enum Sampling {
    /// Every document (or, if the count was stale, the first `--sample` by `_id`).
    #[default]
    Scan,
    /// A `$sample` of `size` documents out of about `total`.
    Random { size: usize, total: u64 },
    /// The first `size` documents a view or time-series collection yielded;
    /// it may hold more.
    First { size: usize },
    /// The fields come from the validator; only the smallest `_id` was read.
    Validator,
    /// `--sample 0`: no document was read.
    Disabled,
    /// A view whose pipeline failed.
    Failed(String),
}

/// `system.*` collections that carry nothing the manifest could show:
/// view definitions (read through `listCollections`), time-series buckets
/// (read through their collection) and profiler output.
fn is_trivial_system_collection(name: &str) -> bool {
    name == "system.views" || name == "system.profile" || name.starts_with("system.buckets.")
}

async fn read_catalog(
    database: &Database,
    sample: usize,
    progress: &Progress,
) -> mongodb::error::Result<Catalog> {
    let listed: Vec<Document> = database
        .run_cursor_command(doc! { "listCollections": 1, "nameOnly": false })
        .await?
        .try_collect()
        .await?;
    let mut catalog = Catalog {
        database: database.name().to_owned(),
        ..Catalog::default()
    };
    let mut pending = Vec::new();
    for spec in listed {
        let Ok(name) = spec.get_str("name") else {
            continue;
        };
        if name.starts_with("system.") {
            if !is_trivial_system_collection(name) {
                catalog.system.push(name.to_owned());
            }
            continue;
        }
        pending.push(spec);
    }
    progress.set_length(pending.len() as u64);
    let mut collections: Vec<CollectionRead> = futures::stream::iter(pending)
        .map(|spec| async move {
            let read = read_collection(database, spec, sample, progress).await;
            progress.inc(1);
            read
        })
        .buffer_unordered(CONCURRENT_COLLECTIONS)
        .try_collect()
        .await?;
    collections.sort_by(|a, b| a.name.cmp(&b.name));
    catalog.collections = collections;
    catalog.system.sort();
    Ok(catalog)
}

async fn read_collection(
    database: &Database,
    spec: Document,
    sample: usize,
    progress: &Progress,
) -> mongodb::error::Result<CollectionRead> {
    let name = spec.get_str("name").unwrap_or_default().to_owned();
    progress.set_message(format!("reading `{name}`"));
    let kind = spec.get_str("type").unwrap_or("collection").to_owned();
    let options = spec.get_document("options").cloned().unwrap_or_default();
    let collection = database.collection::<Document>(&name);
    let by_id = doc! { "_id": 1 };
    let limit = i64::try_from(sample).unwrap_or(i64::MAX);
    let mut read = CollectionRead {
        name,
        kind,
        options,
        ..CollectionRead::default()
    };

    if read.kind != "view" {
        read.indexes = database
            .run_cursor_command(doc! { "listIndexes": read.name.as_str() })
            .await?
            .try_collect()
            .await?;
    }
    if schema::json_schema(&read.options).is_some() {
        read.sampling = Sampling::Validator;
        read.first_id = collection
            .find_one(doc! {})
            .sort(by_id)
            .projection(doc! { "_id": 1 })
            .await?
            .and_then(|mut document| document.remove("_id"));
        return Ok(read);
    }
    if sample == 0 {
        read.sampling = Sampling::Disabled;
        return Ok(read);
    }

    if read.kind == "view" || read.kind == "timeseries" {
        // Neither has an `_id` index to sort by: take the first documents as
        // the server yields them, then sort those.
        let pipeline = [doc! { "$limit": limit }, doc! { "$sort": by_id }];
        let result = match collection.aggregate(pipeline).await {
            Ok(cursor) => add_all(cursor, &mut read.documents).await,
            Err(error) => Err(error),
        };
        match result {
            // A view's pipeline may fail (a stage the server refuses, a
            // dropped source...); the rest of the database is still worth reading.
            Err(error) if read.kind == "view" => {
                read.documents = infer::DocumentStats::default();
                read.sampling = Sampling::Failed(describe(&error));
            }
            Err(error) => return Err(error),
            Ok(()) if read.documents.count() >= sample as u64 => {
                read.sampling = Sampling::First { size: sample };
            }
            Ok(()) => {}
        }
        return Ok(read);
    }

    // The estimate comes from metadata and costs nothing; if it is stale, the
    // `find` below still reads at most `sample` documents.
    let total = collection.estimated_document_count().await.unwrap_or(0);
    if total > sample as u64 {
        let pipeline = [
            doc! { "$sample": { "size": limit } },
            doc! { "$sort": by_id },
        ];
        add_all(collection.aggregate(pipeline).await?, &mut read.documents).await?;
        read.sampling = Sampling::Random {
            size: sample,
            total,
        };
    } else {
        let cursor = collection.find(doc! {}).sort(by_id).limit(limit).await?;
        add_all(cursor, &mut read.documents).await?;
    }
    Ok(read)
}

/// Adds every document of `cursor` to `stats`, one at a time.
async fn add_all(
    mut cursor: mongodb::Cursor<Document>,
    stats: &mut infer::DocumentStats,
) -> mongodb::error::Result<()> {
    while let Some(document) = cursor.try_next().await? {
        stats.add(&document);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Documents → manifest

/// Turns the catalog into a manifest. No I/O.
fn build(catalog: &Catalog) -> Introspection {
    let mut ledger = Ledger::new();
    let mut manifest = Manifest {
        format: CURRENT_FORMAT,
        version: 1,
        project: Project {
            name: Some(catalog.database.clone()),
        },
        source: Some(Source {
            engine: SourceEngine::Mongodb,
            url: None,
            schemas: Vec::new(),
        }),
        ..Manifest::default()
    };
    for collection in &catalog.collections {
        let entity = build_collection(collection, &mut manifest.enums, &mut ledger);
        manifest.entities.insert(collection.name.clone(), entity);
    }
    for name in &catalog.system {
        ledger.record(
            name.as_str(),
            "system_collection",
            format!("system collection `{name}` is not represented in the manifest"),
        );
    }
    Introspection { manifest, ledger }
}

/// A manifest inferred from documents read from a file rather than a
/// server (`baas introspect db.json`, `docs.ndjson`): one entity per
/// collection, typed by the same inference as sampling. A collection whose
/// documents all carry `_id` (mongoexport) or `id` (json-server) is keyed
/// by it; otherwise by an `_id` the server makes.
pub fn infer_documents(project: &str, collections: &[(String, Vec<Document>)]) -> Introspection {
    let mut ledger = Ledger::new();
    let mut manifest = Manifest {
        format: CURRENT_FORMAT,
        version: 1,
        project: Project {
            name: Some(project.to_owned()),
        },
        source: Some(Source {
            engine: SourceEngine::Mongodb,
            url: None,
            schemas: Vec::new(),
        }),
        ..Manifest::default()
    };
    for (name, documents) in collections {
        let mut stats = infer::DocumentStats::default();
        for document in documents {
            stats.add(document);
        }
        let mut entity = Entity::new(name);
        entity.fields = infer::fields(name, &stats, &mut ledger);
        let key = ["_id", "id"].into_iter().find(|key| {
            entity.fields.get(*key).is_some_and(|field| {
                !field.optional
                    && !field.nullable
                    && !matches!(
                        field.ty,
                        FieldType::Json | FieldType::Object | FieldType::Array
                    )
            })
        });
        match key {
            Some(key) => entity.primary_key = vec![key.to_owned()],
            None => {
                let mut fields = indexmap::IndexMap::with_capacity(entity.fields.len() + 1);
                fields.insert("_id".to_owned(), Field::new(FieldType::ObjectId));
                fields.extend(std::mem::take(&mut entity.fields));
                entity.fields = fields;
                entity.primary_key = vec!["_id".to_owned()];
            }
        }
        manifest.entities.insert(name.clone(), entity);
    }
    Introspection { manifest, ledger }
}

fn build_collection(
    collection: &CollectionRead,
    enums: &mut BTreeMap<String, crate::manifest::Enum>,
    ledger: &mut Ledger,
) -> Entity {
    let name = collection.name.as_str();
    let mut entity = Entity::new(name);
    let view = collection.kind == "view";
    if view {
        entity.kind = EntityKind::View;
        entity.definition = Some(view_definition(&collection.options));
    } else if collection.kind != "collection" && collection.kind != "timeseries" {
        ledger.record(
            name,
            "collection_type",
            format!(
                "`{name}` is of type `{}`, which the manifest does not know; it is recorded as a \
                 collection",
                collection.kind
            ),
        );
    }
    record_options(collection, ledger);

    match schema::json_schema(&collection.options) {
        Some(json_schema) => {
            let id = collection.first_id.as_ref();
            let (fields, comment) = schema::fields(name, json_schema, id, enums, ledger);
            entity.fields = fields;
            entity.comment = comment;
        }
        None => {
            entity.fields = infer::fields(name, &collection.documents, ledger);
            record_sampling(collection, ledger);
        }
    }
    if !view && !entity.fields.contains_key("_id") {
        // Every stored document has an `_id`; the server makes an ObjectId
        // when the client sends none.
        let mut fields = indexmap::IndexMap::with_capacity(entity.fields.len() + 1);
        fields.insert("_id".to_owned(), Field::new(FieldType::ObjectId));
        fields.extend(std::mem::take(&mut entity.fields));
        entity.fields = fields;
    }
    if !view {
        entity.primary_key = vec!["_id".to_owned()];
        entity.indexes = indexes::indexes(name, &collection.indexes, &entity.fields, ledger);
        unique_fields(name, &mut entity);
    }
    entity
}

/// A plain unique index on one field, named as baas names a unique field
/// (`users_email_key`), is that field's `unique`; a unique index on `_id`
/// alone repeats the primary key.
fn unique_fields(collection: &str, entity: &mut Entity) {
    entity.indexes.retain(|index| {
        let plain = index.unique
            && index.predicate.is_none()
            && index.method.is_none()
            && index.expire_after_seconds.is_none()
            && index.options == Default::default();
        let [
            IndexPart::Field {
                field,
                order: None,
                collation: None,
                prefix_length: None,
            },
        ] = index.fields.as_slice()
        else {
            return true;
        };
        if !plain {
            return true;
        }
        if field == "_id" {
            return false;
        }
        match entity.fields.get_mut(field) {
            Some(target) if index.name == format!("{collection}_{field}_key") => {
                target.unique = true;
                false
            }
            _ => true,
        }
    });
}

/// `{"viewOn":"orders","pipeline":[...]}`, compact.
fn view_definition(options: &Document) -> String {
    let mut definition = Document::new();
    if let Some(on) = options.get("viewOn") {
        definition.insert("viewOn", on.clone());
    }
    definition.insert(
        "pipeline",
        options
            .get("pipeline")
            .cloned()
            .unwrap_or_else(|| Bson::Array(Vec::new())),
    );
    compact_json(&Bson::Document(definition))
}

/// Collection options the manifest has no place for.
fn record_options(collection: &CollectionRead, ledger: &mut Ledger) {
    let name = collection.name.as_str();
    let mut capped = Vec::new();
    for (key, value) in &collection.options {
        let (kind, message) = match key.as_str() {
            // Represented: the view's definition and the validator.
            "viewOn" | "pipeline" => continue,
            "validator" => {
                schema::record_validator_rest(name, value, ledger);
                continue;
            }
            "validationLevel" => match value.as_str() {
                Some("strict") => continue,
                Some("moderate") => (
                    "validation",
                    "`validationLevel: \"moderate\"`: documents that were invalid before the \
                     validator was added may stay invalid when updated"
                        .to_owned(),
                ),
                Some("off") => (
                    "validation",
                    "`validationLevel: \"off\"`: the server does not enforce the validator"
                        .to_owned(),
                ),
                _ => (
                    "validation",
                    format!(
                        "`validationLevel: {}` is not represented",
                        compact_json(value)
                    ),
                ),
            },
            "validationAction" => match value.as_str() {
                Some("error") => continue,
                Some("warn") => (
                    "validation",
                    "`validationAction: \"warn\"`: the server accepts invalid documents and \
                     only logs a warning"
                        .to_owned(),
                ),
                _ => (
                    "validation",
                    format!(
                        "`validationAction: {}` is not represented",
                        compact_json(value)
                    ),
                ),
            },
            "capped" | "size" | "max" => {
                capped.push(format!("`{key}: {}`", compact_json(value)));
                continue;
            }
            "timeseries" => (
                "timeseries",
                format!(
                    "`{name}` is a time-series collection ({}); the manifest records it as a \
                     plain collection",
                    compact_json(value)
                ),
            ),
            "expireAfterSeconds" => (
                "ttl",
                format!(
                    "documents expire {} seconds after their time field; the manifest cannot \
                     represent a collection-level TTL",
                    compact_json(value)
                ),
            ),
            "collation" => (
                "collation",
                format!(
                    "default collation `{}` is not represented",
                    compact_json(value)
                ),
            ),
            "clusteredIndex" => (
                "clustered_index",
                format!(
                    "`{name}` is a clustered collection (stored in `_id` order); the manifest \
                     records it as a plain collection"
                ),
            ),
            _ => (
                "collection_option",
                format!(
                    "collection option `{key}: {}` is not represented",
                    compact_json(value)
                ),
            ),
        };
        ledger.record(name, kind, message);
    }
    if !capped.is_empty() {
        ledger.record(
            name,
            "capped",
            format!(
                "`{name}` is a capped collection ({}); the manifest records it as a plain \
                 collection",
                capped.join(", ")
            ),
        );
    }
}

/// How the documents fields were inferred from were chosen, when that
/// leaves something unknown.
fn record_sampling(collection: &CollectionRead, ledger: &mut Ledger) {
    let name = collection.name.as_str();
    let view = collection.kind == "view";
    let (kind, message) = match &collection.sampling {
        Sampling::Scan | Sampling::First { .. } if collection.documents.count() == 0 => {
            if view {
                (
                    "empty_view",
                    format!("view `{name}` returned no documents, so its fields are unknown"),
                )
            } else {
                (
                    "empty_collection",
                    format!(
                        "`{name}` has no documents, so its fields are unknown; only `_id` is \
                         recorded (as an ObjectId, the server's default)"
                    ),
                )
            }
        }
        Sampling::Scan | Sampling::Validator => return,
        Sampling::Random { size, total } => (
            "sampled",
            format!(
                "fields inferred from a random sample of {size} of about {total} documents; \
                 fields found only in other documents are missing, and `optional` is an estimate"
            ),
        ),
        Sampling::First { size } => (
            "sampled",
            format!(
                "fields inferred from the first {size} documents {} yielded; fields found only \
                 in later documents are missing, and `optional` is an estimate",
                if view { "the view" } else { "the collection" }
            ),
        ),
        Sampling::Disabled => (
            "not_sampled",
            format!("no documents were read (`--sample 0`), so the fields of `{name}` are unknown"),
        ),
        Sampling::Failed(reason) => (
            "invalid_view",
            format!("view `{name}` could not be read, so its fields are unknown: {reason}"),
        ),
    };
    ledger.record(name, kind, message);
}

/// Compact relaxed Extended JSON: `{"price":{"$gt":10}}`.
fn compact_json(value: &Bson) -> String {
    let json = value.clone().into_relaxed_extjson();
    serde_json::to_string(&json).unwrap_or_else(|_| json.to_string())
}

// ---------------------------------------------------------------------------
// BSON types

/// The type of a BSON value other than null, as MongoDB names them (but
/// `int32`/`int64` for `int`/`long`, and UUIDs apart from other binary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum BsonKind {
    Double,
    String,
    Object,
    Array,
    Binary,
    Uuid,
    Undefined,
    ObjectId,
    Bool,
    Date,
    Regex,
    DbPointer,
    JavaScript,
    Symbol,
    JavaScriptWithScope,
    Int32,
    Timestamp,
    Int64,
    Decimal,
    MinKey,
    MaxKey,
}

impl BsonKind {
    /// The kind of `value`; `None` for null.
    fn of(value: &Bson) -> Option<Self> {
        Some(match value {
            Bson::Null => return None,
            Bson::Double(_) => Self::Double,
            Bson::String(_) => Self::String,
            Bson::Document(_) => Self::Object,
            Bson::Array(_) => Self::Array,
            Bson::Binary(binary) if binary.subtype == BinarySubtype::Uuid => Self::Uuid,
            Bson::Binary(_) => Self::Binary,
            Bson::Undefined => Self::Undefined,
            Bson::ObjectId(_) => Self::ObjectId,
            Bson::Boolean(_) => Self::Bool,
            Bson::DateTime(_) => Self::Date,
            Bson::RegularExpression(_) => Self::Regex,
            Bson::DbPointer(_) => Self::DbPointer,
            Bson::JavaScriptCode(_) => Self::JavaScript,
            Bson::Symbol(_) => Self::Symbol,
            Bson::JavaScriptCodeWithScope(_) => Self::JavaScriptWithScope,
            Bson::Int32(_) => Self::Int32,
            Bson::Timestamp(_) => Self::Timestamp,
            Bson::Int64(_) => Self::Int64,
            Bson::Decimal128(_) => Self::Decimal,
            Bson::MinKey => Self::MinKey,
            Bson::MaxKey => Self::MaxKey,
        })
    }

    /// A `$jsonSchema` `bsonType` alias (other than `null` and `number`).
    fn from_alias(alias: &str) -> Option<Self> {
        Some(match alias {
            "double" => Self::Double,
            "string" => Self::String,
            "object" => Self::Object,
            "array" => Self::Array,
            "binData" => Self::Binary,
            "undefined" => Self::Undefined,
            "objectId" => Self::ObjectId,
            "bool" => Self::Bool,
            "date" => Self::Date,
            "regex" => Self::Regex,
            "dbPointer" => Self::DbPointer,
            "javascript" => Self::JavaScript,
            "symbol" => Self::Symbol,
            "javascriptWithScope" => Self::JavaScriptWithScope,
            "int" => Self::Int32,
            "timestamp" => Self::Timestamp,
            "long" => Self::Int64,
            "decimal" => Self::Decimal,
            "minKey" => Self::MinKey,
            "maxKey" => Self::MaxKey,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Double => "double",
            Self::String => "string",
            Self::Object => "object",
            Self::Array => "array",
            Self::Binary => "binData",
            Self::Uuid => "uuid",
            Self::Undefined => "undefined",
            Self::ObjectId => "objectId",
            Self::Bool => "bool",
            Self::Date => "date",
            Self::Regex => "regex",
            Self::DbPointer => "dbPointer",
            Self::JavaScript => "javascript",
            Self::Symbol => "symbol",
            Self::JavaScriptWithScope => "javascriptWithScope",
            Self::Int32 => "int32",
            Self::Timestamp => "timestamp",
            Self::Int64 => "int64",
            Self::Decimal => "decimal",
            Self::MinKey => "minKey",
            Self::MaxKey => "maxKey",
        }
    }

    fn is_numeric(self) -> bool {
        matches!(
            self,
            Self::Int32 | Self::Int64 | Self::Double | Self::Decimal
        )
    }

    /// The field a value of this kind is recorded as; types the portable set
    /// lacks keep their BSON name in `native`.
    fn field(self) -> Field {
        let ty = match self {
            Self::Double => FieldType::Float64,
            Self::String => FieldType::String,
            Self::Object => FieldType::Object,
            Self::Array => FieldType::Array,
            Self::Binary => FieldType::Bytes,
            Self::Uuid => FieldType::Uuid,
            Self::ObjectId => FieldType::ObjectId,
            Self::Bool => FieldType::Bool,
            Self::Date => FieldType::Timestamptz,
            Self::Int32 => FieldType::Int32,
            Self::Int64 => FieldType::Int64,
            Self::Decimal => FieldType::Decimal,
            Self::Undefined
            | Self::Regex
            | Self::DbPointer
            | Self::JavaScript
            | Self::Symbol
            | Self::JavaScriptWithScope
            | Self::Timestamp
            | Self::MinKey
            | Self::MaxKey => {
                let mut field = Field::new(FieldType::Native);
                field.native = Some(self.name().to_owned());
                return field;
            }
        };
        Field::new(ty)
    }
}

/// The one field type for values of several kinds: the widest number for a
/// mix of numbers, `bytes` for UUIDs among other binary, else `json`.
fn merge_kinds(kinds: &[BsonKind]) -> Field {
    match kinds {
        [] => Field::new(FieldType::Json),
        [kind] => kind.field(),
        _ if kinds.iter().all(|kind| kind.is_numeric()) => {
            let widest = if kinds.contains(&BsonKind::Decimal) {
                FieldType::Decimal
            } else if kinds.contains(&BsonKind::Double) {
                FieldType::Float64
            } else {
                FieldType::Int64
            };
            Field::new(widest)
        }
        _ if kinds
            .iter()
            .all(|kind| matches!(kind, BsonKind::Binary | BsonKind::Uuid)) =>
        {
            Field::new(FieldType::Bytes)
        }
        _ => Field::new(FieldType::Json),
    }
}

/// `a.b`, `a[]`: the path of a nested field, for messages.
fn child_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn database_comes_from_the_path() {
        let target = "mongodb://u:***@h:27017/shop%2Dx";
        let options = client_options(
            "mongodb://u:pw@h:27017/shop%2Dx?directConnection=true",
            target,
        )
        .await
        .unwrap();
        assert_eq!(database_name(&options, target).unwrap(), "shop-x");
        let several = client_options("mongodb://a:1,b:2/app?replicaSet=rs", "x")
            .await
            .unwrap();
        assert_eq!(database_name(&several, "x").unwrap(), "app");
        let none = client_options(
            "mongodb://u:s3cret@h:1/?appName=x",
            "mongodb://u:***@h:1/?appName=x",
        )
        .await
        .unwrap();
        let error = database_name(&none, "mongodb://u:***@h:1/?appName=x")
            .unwrap_err()
            .to_string();
        assert!(error.contains("names no database"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[test]
    fn server_selection_errors_keep_address_and_cause() {
        let message = "No available servers. Topology: { Type: Unknown, Servers: [ { Address: \
            127.0.0.1:1, Type: Unknown, Error: Kind: I/O error: Connection refused (os error \
            111), labels: {\"RetryableError\"}, source: None, server response: None } ] }";
        assert_eq!(
            server_selection(message),
            "no server could be reached (127.0.0.1:1: I/O error: Connection refused (os error 111))"
        );
        assert_eq!(server_selection("timed out"), "timed out");
    }

    #[test]
    fn numbers_widen_and_other_mixes_become_json() {
        use BsonKind::*;
        assert_eq!(merge_kinds(&[Int32, Int64]).ty, FieldType::Int64);
        assert_eq!(merge_kinds(&[Double, Int32]).ty, FieldType::Float64);
        assert_eq!(merge_kinds(&[Double, Decimal]).ty, FieldType::Decimal);
        assert_eq!(merge_kinds(&[Binary, Uuid]).ty, FieldType::Bytes);
        assert_eq!(merge_kinds(&[String, Object]).ty, FieldType::Json);
        let timestamp = merge_kinds(&[Timestamp]);
        assert_eq!(
            (timestamp.ty, timestamp.native.as_deref()),
            (FieldType::Native, Some("timestamp"))
        );
    }
}
