//! SQLite introspection: reads a database file through its catalog into a
//! [`Manifest`] and a [`Ledger`] of what the manifest cannot represent.
//!
//! The PRAGMAs (`table_list`, `table_xinfo`, `foreign_key_list`, `index_list`,
//! `index_xinfo`) give tables, views, columns, keys, foreign keys and indexes.
//! What they leave out (constraint names, CHECK constraints, collations,
//! generated-column expressions, `AUTOINCREMENT`, deferred foreign keys, index
//! expressions and predicates, view queries) comes from the `CREATE`
//! statements stored in `sqlite_schema`, parsed with sqlparser.
//!
//! The work is split in two: `read_catalog` does all the I/O and returns
//! plain rows; `build` turns those rows into the manifest without I/O.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};
use sqlparser::ast::{
    ColumnOption, ConstraintCharacteristics, DeferrableInitial, Expr, IndexColumn, ObjectName,
    Statement, TableConstraint,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, Tokenizer};

use super::{IntrospectError, IntrospectOptions, Introspection, Introspector};
use crate::dialect::sqlite::field_for_declared_type;
use crate::ledger::Ledger;
use crate::manifest::{
    CURRENT_FORMAT, Check, DefaultValue, Entity, EntityKind, FieldType, Generated, GeneratedKind,
    Index, IndexPart, Literal, Manifest, Project, ReferentialAction, Relation, RelationTarget,
    SortOrder, Source, SourceEngine, Unique,
};
use crate::ui::Progress;

/// Reads a SQLite database file. The file is opened read-only, so a missing
/// file is reported, never created.
pub struct SqliteIntrospector {
    path: PathBuf,
}

impl SqliteIntrospector {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

impl Introspector for SqliteIntrospector {
    async fn introspect(
        &self,
        _options: &IntrospectOptions,
        progress: &Progress,
    ) -> Result<Introspection, IntrospectError> {
        let path = self.path.clone();
        let progress = progress.clone();
        let target = target(&self.path);
        // rusqlite blocks; keep it off the async workers.
        tokio::task::spawn_blocking(move || introspect_file(&path, &progress))
            .await
            .map_err(|error| IntrospectError::Catalog {
                target,
                reason: format!("the introspection task failed: {error}"),
            })?
    }
}

fn target(path: &Path) -> String {
    path.display().to_string()
}

/// Introspects an open connection (used for SQL dumps loaded into memory).
pub fn introspect_connection(
    connection: &Connection,
    project: Option<String>,
    progress: &Progress,
) -> rusqlite::Result<Introspection> {
    Ok(build(&read_catalog(connection, progress)?, project))
}

fn introspect_file(path: &Path, progress: &Progress) -> Result<Introspection, IntrospectError> {
    let connection = open(path)?;
    let catalog =
        read_catalog(&connection, progress).map_err(|error| IntrospectError::Catalog {
            target: target(path),
            reason: error.to_string(),
        })?;
    let project = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned());
    Ok(build(&catalog, project))
}

/// Opens `path` read-only and checks that it is a SQLite database.
fn open(path: &Path) -> Result<Connection, IntrospectError> {
    let connect_error = |reason: String| IntrospectError::Connect {
        target: target(path),
        reason,
    };
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(connect_error("no such file".to_owned()));
        }
        Err(error) => return Err(connect_error(error.to_string())),
        Ok(metadata) if metadata.is_dir() => {
            return Err(connect_error(
                "is a directory, not a SQLite database file".to_owned(),
            ));
        }
        Ok(_) => {}
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags)
        .map_err(|error| connect_error(error.to_string()))?;
    // No double-quoted string literals: an unknown "column" is an error.
    for option in [
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML,
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL,
    ] {
        connection
            .set_db_config(option, false)
            .map_err(|error| connect_error(error.to_string()))?;
    }
    // A writer may hold the file for a moment; wait for it rather than fail.
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|error| connect_error(error.to_string()))?;
    // SQLite opens files lazily: read the schema now, so that a file that is
    // not a database ("file is not a database") fails as a connection error.
    connection
        .query_row("SELECT count(*) FROM main.sqlite_schema", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(|error| connect_error(error.to_string()))?;
    Ok(connection)
}

// ---------------------------------------------------------------------------
// Catalog rows

const TABLE_LIST: &str =
    "SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main' ORDER BY name";
const SCHEMA: &str = "SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY name";
const TABLE_XINFO: &str = "SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden \
     FROM pragma_table_xinfo(?1, 'main') ORDER BY cid";
const FOREIGN_KEY_LIST: &str = "SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete \
     FROM pragma_foreign_key_list(?1, 'main') ORDER BY id, seq";
const INDEX_LIST: &str =
    "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1, 'main') ORDER BY name";
const INDEX_XINFO: &str = "SELECT cid, name, \"desc\", coll \
     FROM pragma_index_xinfo(?1, 'main') WHERE \"key\" = 1 ORDER BY seqno";

/// Everything read from the database, before any interpretation.
#[derive(Debug, Default)]
struct Catalog {
    /// Tables and views, by name.
    objects: Vec<CatalogObject>,
    /// Views whose columns SQLite could not resolve, with its error.
    broken_views: Vec<(String, String)>,
    virtual_tables: Vec<VirtualTable>,
    shadow_tables: Vec<String>,
    triggers: Vec<Trigger>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectKind {
    Table,
    View,
}

#[derive(Debug)]
struct CatalogObject {
    name: String,
    kind: ObjectKind,
    without_rowid: bool,
    strict: bool,
    sql: Option<String>,
    columns: Vec<ColumnRow>,
    foreign_keys: Vec<ForeignKeyRow>,
    indexes: Vec<IndexRows>,
}

#[derive(Debug)]
struct VirtualTable {
    name: String,
    sql: Option<String>,
}

#[derive(Debug)]
struct Trigger {
    name: String,
    table: String,
}

#[derive(Debug)]
struct ColumnRow {
    name: String,
    declared: String,
    not_null: bool,
    default: Option<String>,
    /// 1-based position in the primary key, 0 when not part of it.
    pk: i64,
    /// 0 normal, 1 hidden (virtual tables), 2 generated virtual, 3 generated stored.
    hidden: i64,
}

#[derive(Debug)]
struct ForeignKeyRow {
    id: i64,
    table: String,
    from: String,
    to: Option<String>,
    on_update: String,
    on_delete: String,
}

#[derive(Debug)]
struct IndexRows {
    name: String,
    unique: bool,
    /// `c` (CREATE INDEX), `u` (UNIQUE constraint) or `pk` (PRIMARY KEY).
    origin: String,
    partial: bool,
    sql: Option<String>,
    /// The key columns, in order.
    parts: Vec<IndexPartRow>,
}

#[derive(Debug)]
struct IndexPartRow {
    /// The column's index in the table; -2 for an expression, -1 for the rowid.
    cid: i64,
    name: Option<String>,
    desc: bool,
    collation: Option<String>,
}

#[derive(Debug)]
struct SchemaRow {
    kind: String,
    table: String,
    sql: Option<String>,
}

/// A text column that SQLite may also hand back as a number.
fn text(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<String>> {
    Ok(match row.get_ref(index)? {
        ValueRef::Null => None,
        ValueRef::Integer(value) => Some(value.to_string()),
        ValueRef::Real(value) => Some(value.to_string()),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
    })
}

fn is_internal(name: &str) -> bool {
    name.get(..7)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("sqlite_"))
}

/// Reads the whole catalog of the `main` schema inside one read transaction:
/// a consistent snapshot even if another process changes the schema, and one
/// shared lock instead of one per statement.
fn read_catalog(connection: &Connection, progress: &Progress) -> rusqlite::Result<Catalog> {
    connection.execute_batch("BEGIN DEFERRED")?;
    let catalog = read_catalog_rows(connection, progress);
    // Nothing was written; ending the read transaction cannot lose anything.
    let _ = connection.execute_batch("COMMIT");
    catalog
}

fn read_catalog_rows(connection: &Connection, progress: &Progress) -> rusqlite::Result<Catalog> {
    let mut schema = BTreeMap::new();
    {
        let mut statement = connection.prepare(SCHEMA)?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let name: String = row.get(1)?;
            schema.insert(
                name,
                SchemaRow {
                    kind: row.get(0)?,
                    table: row.get(2)?,
                    sql: text(row, 3)?,
                },
            );
        }
    }
    let sql_of = |name: &str| schema.get(name).and_then(|row| row.sql.clone());

    let mut listed = Vec::new();
    {
        let mut statement = connection.prepare(TABLE_LIST)?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let name: String = row.get(0)?;
            let kind: String = row.get(1)?;
            let without_rowid: bool = row.get(2)?;
            let strict: bool = row.get(3)?;
            listed.push((name, kind, without_rowid, strict));
        }
    }

    let mut catalog = Catalog::default();
    let mut pending = Vec::new();
    for (name, kind, without_rowid, strict) in listed {
        if is_internal(&name) {
            continue;
        }
        match kind.as_str() {
            "table" => pending.push((name, ObjectKind::Table, without_rowid, strict)),
            "view" => pending.push((name, ObjectKind::View, without_rowid, strict)),
            "virtual" => catalog.virtual_tables.push(VirtualTable {
                sql: sql_of(&name),
                name,
            }),
            "shadow" => catalog.shadow_tables.push(name),
            // A future kind of table: report it rather than guess.
            _ => catalog.virtual_tables.push(VirtualTable {
                sql: sql_of(&name),
                name,
            }),
        }
    }

    progress.set_length(pending.len() as u64);
    for (name, kind, without_rowid, strict) in pending {
        progress.set_message(format!("reading `{name}`"));
        let columns = match read_columns(connection, &name) {
            Ok(columns) if kind == ObjectKind::View && columns.is_empty() => {
                catalog
                    .broken_views
                    .push((name, "SQLite reports no columns".to_owned()));
                progress.inc(1);
                continue;
            }
            Ok(columns) => columns,
            // A view over a table that was dropped or changed since: SQLite
            // cannot resolve its columns. The rest of the database is fine.
            Err(error) if kind == ObjectKind::View => {
                catalog.broken_views.push((name, error.to_string()));
                progress.inc(1);
                continue;
            }
            Err(error) => return Err(error),
        };
        let (foreign_keys, indexes) = match kind {
            ObjectKind::Table => (
                read_foreign_keys(connection, &name)?,
                read_indexes(connection, &name, &sql_of)?,
            ),
            ObjectKind::View => (Vec::new(), Vec::new()),
        };
        catalog.objects.push(CatalogObject {
            sql: sql_of(&name),
            name,
            kind,
            without_rowid,
            strict,
            columns,
            foreign_keys,
            indexes,
        });
        progress.inc(1);
    }

    for (name, row) in &schema {
        if row.kind == "trigger" {
            catalog.triggers.push(Trigger {
                name: name.clone(),
                table: row.table.clone(),
            });
        }
    }
    Ok(catalog)
}

fn read_columns(connection: &Connection, table: &str) -> rusqlite::Result<Vec<ColumnRow>> {
    let mut statement = connection.prepare_cached(TABLE_XINFO)?;
    let mut rows = statement.query([table])?;
    let mut columns = Vec::new();
    while let Some(row) = rows.next()? {
        columns.push(ColumnRow {
            name: row.get(1)?,
            declared: text(row, 2)?.unwrap_or_default(),
            not_null: row.get(3)?,
            default: text(row, 4)?,
            pk: row.get(5)?,
            hidden: row.get(6)?,
        });
    }
    Ok(columns)
}

fn read_foreign_keys(connection: &Connection, table: &str) -> rusqlite::Result<Vec<ForeignKeyRow>> {
    let mut statement = connection.prepare_cached(FOREIGN_KEY_LIST)?;
    let mut rows = statement.query([table])?;
    let mut foreign_keys = Vec::new();
    while let Some(row) = rows.next()? {
        foreign_keys.push(ForeignKeyRow {
            id: row.get(0)?,
            table: row.get(2)?,
            from: row.get(3)?,
            to: text(row, 4)?,
            on_update: row.get(5)?,
            on_delete: row.get(6)?,
        });
    }
    Ok(foreign_keys)
}

fn read_indexes(
    connection: &Connection,
    table: &str,
    sql_of: &dyn Fn(&str) -> Option<String>,
) -> rusqlite::Result<Vec<IndexRows>> {
    let mut listed = Vec::new();
    {
        let mut statement = connection.prepare_cached(INDEX_LIST)?;
        let mut rows = statement.query([table])?;
        while let Some(row) = rows.next()? {
            let name: String = row.get(0)?;
            let unique: bool = row.get(1)?;
            let origin: String = row.get(2)?;
            let partial: bool = row.get(3)?;
            listed.push((name, unique, origin, partial));
        }
    }
    let mut indexes = Vec::new();
    let mut statement = connection.prepare_cached(INDEX_XINFO)?;
    for (name, unique, origin, partial) in listed {
        let mut parts = Vec::new();
        let mut rows = statement.query([&name])?;
        while let Some(row) = rows.next()? {
            parts.push(IndexPartRow {
                cid: row.get(0)?,
                name: text(row, 1)?,
                desc: row.get(2)?,
                collation: text(row, 3)?,
            });
        }
        indexes.push(IndexRows {
            sql: sql_of(&name),
            name,
            unique,
            origin,
            partial,
            parts,
        });
    }
    Ok(indexes)
}

// ---------------------------------------------------------------------------
// Rows → manifest

/// What a foreign key needs to know about the table it references.
struct Parent<'a> {
    name: &'a str,
    columns: Vec<&'a str>,
    primary_key: Vec<&'a str>,
}

impl Parent<'_> {
    /// The parent's real spelling of `column` (SQLite names are case-insensitive).
    fn column(&self, column: &str) -> Option<String> {
        self.columns
            .iter()
            .find(|candidate| candidate.eq_ignore_ascii_case(column))
            .map(|candidate| (*candidate).to_owned())
    }
}

fn primary_key_columns(columns: &[ColumnRow]) -> Vec<&ColumnRow> {
    let mut key: Vec<&ColumnRow> = columns.iter().filter(|column| column.pk > 0).collect();
    key.sort_by_key(|column| column.pk);
    key
}

/// Turns the catalog into a manifest. No I/O.
fn build(catalog: &Catalog, project_name: Option<String>) -> Introspection {
    let mut ledger = Ledger::new();
    let mut manifest = Manifest {
        format: CURRENT_FORMAT,
        version: 1,
        project: Project { name: project_name },
        source: Some(Source {
            engine: SourceEngine::Sqlite,
            url: None,
            schemas: Vec::new(),
        }),
        ..Manifest::default()
    };

    let parents: BTreeMap<String, Parent<'_>> = catalog
        .objects
        .iter()
        .filter(|object| object.kind == ObjectKind::Table)
        .map(|object| {
            let parent = Parent {
                name: &object.name,
                columns: object.columns.iter().map(|c| c.name.as_str()).collect(),
                primary_key: primary_key_columns(&object.columns)
                    .into_iter()
                    .map(|c| c.name.as_str())
                    .collect(),
            };
            (object.name.to_ascii_lowercase(), parent)
        })
        .collect();

    for object in &catalog.objects {
        let entity = match object.kind {
            ObjectKind::Table => build_table(object, &parents, &mut ledger),
            ObjectKind::View => build_view(object, &mut ledger),
        };
        manifest.entities.insert(object.name.clone(), entity);
    }

    for (name, reason) in &catalog.broken_views {
        ledger.record(
            name.as_str(),
            "invalid_view",
            format!(
                "view `{name}` is left out because SQLite cannot resolve its columns: {reason}"
            ),
        );
    }

    record_virtual_tables(catalog, &mut ledger);

    for trigger in &catalog.triggers {
        ledger.record(
            trigger.table.as_str(),
            "trigger",
            format!(
                "trigger `{}` on `{}` is not represented in the manifest",
                trigger.name, trigger.table
            ),
        );
    }

    Introspection { manifest, ledger }
}

fn record_virtual_tables(catalog: &Catalog, ledger: &mut Ledger) {
    // Shadow tables are named `<virtual table>_<suffix>`; give each to the
    // longest virtual-table name it starts with.
    let mut shadows: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut orphans = Vec::new();
    for shadow in &catalog.shadow_tables {
        let lower = shadow.to_ascii_lowercase();
        let owner = catalog
            .virtual_tables
            .iter()
            .filter(|table| lower.starts_with(&format!("{}_", table.name.to_ascii_lowercase())))
            .max_by_key(|table| table.name.len());
        match owner {
            Some(table) => shadows
                .entry(table.name.as_str())
                .or_default()
                .push(shadow.as_str()),
            None => orphans.push(shadow.as_str()),
        }
    }
    for table in &catalog.virtual_tables {
        let module = table
            .sql
            .as_deref()
            .and_then(virtual_table_module)
            .map(|module| format!(" (`USING {module}`)"))
            .unwrap_or_default();
        let shadow_note = match shadows.get(table.name.as_str()) {
            Some(names) => format!(
                "; its shadow tables {} are left out with it",
                names
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        };
        ledger.record(
            table.name.as_str(),
            "virtual_table",
            format!(
                "virtual table `{}`{module} cannot be represented in the manifest{shadow_note}",
                table.name
            ),
        );
    }
    for orphan in orphans {
        ledger.record(
            orphan,
            "virtual_table",
            format!(
                "shadow table `{orphan}` belongs to a virtual table that is not in this database; left out"
            ),
        );
    }
}

fn build_table(
    object: &CatalogObject,
    parents: &BTreeMap<String, Parent<'_>>,
    ledger: &mut Ledger,
) -> Entity {
    let table = object.name.as_str();
    let mut entity = Entity::new(table);
    entity.without_rowid = object.without_rowid;
    entity.strict = object.strict;

    let ddl = match object.sql.as_deref() {
        Some(sql) => match parse_create_table(sql) {
            Ok(ddl) => ddl,
            Err(reason) => {
                ledger.record(
                    table,
                    "unparsed_ddl",
                    format!(
                        "the `CREATE TABLE` statement of `{table}` could not be parsed ({reason}); \
                         its constraint names, CHECK constraints, collations, generated-column \
                         expressions and deferred foreign keys are missing from the manifest"
                    ),
                );
                TableDdl {
                    autoincrement: mentions_autoincrement(sql),
                    ..TableDdl::default()
                }
            }
        },
        None => TableDdl::default(),
    };
    if ddl.on_conflict {
        ledger.record(
            table,
            "on_conflict",
            format!(
                "`{table}` has `ON CONFLICT` clauses on its constraints, which the manifest \
                 cannot represent"
            ),
        );
    }

    let key = primary_key_columns(&object.columns);
    // An `INTEGER PRIMARY KEY` is an alias of the rowid, unless SQLite had to
    // build an index for the key (`INTEGER PRIMARY KEY DESC`, WITHOUT ROWID).
    let rowid_alias = match key.as_slice() {
        [column]
            if !object.without_rowid
                && column.declared.trim().eq_ignore_ascii_case("INTEGER")
                && !object.indexes.iter().any(|index| index.origin == "pk") =>
        {
            Some(column.name.as_str())
        }
        _ => None,
    };

    for column in &object.columns {
        let mut field = field_for_declared_type(&column.declared);
        if column.declared.trim().is_empty() {
            ledger.record(
                format!("{table}.{}", column.name),
                "untyped_column",
                format!(
                    "column `{}` has no declared type; the manifest records it as \
                     `native = \"ANY\"`, which SQLite would give numeric instead of blob affinity",
                    column.name
                ),
            );
        }
        field.nullable = !column.not_null;
        let column_ddl = ddl.column(&column.name);
        field.collation = column_ddl
            .and_then(|c| c.collation.clone())
            .filter(|collation| !collation.eq_ignore_ascii_case("BINARY"));

        if rowid_alias == Some(column.name.as_str()) {
            field.nullable = false;
            field.generated = Some(Generated::Kind(if ddl.autoincrement {
                GeneratedKind::Autoincrement
            } else {
                GeneratedKind::Rowid
            }));
        }

        if matches!(column.hidden, 2 | 3) {
            match column_ddl.and_then(|c| c.generated.clone()) {
                Some(sql) => {
                    field.generated = Some(Generated::Computed {
                        sql,
                        stored: column.hidden == 3,
                    });
                }
                None => ledger.record(
                    format!("{table}.{}", column.name),
                    "generated_column",
                    format!(
                        "column `{}` is generated, but its expression could not be read from the \
                         `CREATE TABLE` statement",
                        column.name
                    ),
                ),
            }
        } else if let Some(default) = column.default.as_deref() {
            field.default = parse_default(default, field.ty);
        }

        entity.fields.insert(column.name.clone(), field);
    }

    entity.primary_key = key.iter().map(|column| column.name.clone()).collect();
    entity.primary_key_name = ddl.primary_key_name.clone();
    entity.checks = ddl.checks.clone();

    add_indexes(&mut entity, object, &ddl, ledger);
    entity.relations = relations(object, &ddl, parents, ledger);
    entity
}

/// Indexes and unique constraints, from `index_list` + `index_xinfo`.
fn add_indexes(entity: &mut Entity, object: &CatalogObject, ddl: &TableDdl, ledger: &mut Ledger) {
    let table = object.name.as_str();

    // UNIQUE constraints come in the order they were declared: their
    // automatic indexes are numbered that way (`sqlite_autoindex_T_1`, ...).
    let mut constraints: Vec<&IndexRows> = object
        .indexes
        .iter()
        .filter(|index| index.origin == "u")
        .collect();
    constraints.sort_by_key(|index| (autoindex_number(&index.name), index.name.clone()));
    let mut used_uniques = vec![false; ddl.uniques.len()];
    for index in constraints {
        let mut fields = Vec::new();
        for part in &index.parts {
            let Some(name) = part.name.as_ref().filter(|_| part.cid >= 0) else {
                continue;
            };
            let column_collation = entity
                .fields
                .get(name)
                .and_then(|field| field.collation.clone())
                .unwrap_or_else(|| "BINARY".to_owned());
            let collation = part.collation.as_deref().unwrap_or("BINARY");
            if part.desc || !collation.eq_ignore_ascii_case(&column_collation) {
                ledger.record(
                    table,
                    "unique_options",
                    format!(
                        "the unique constraint on `{name}` uses a sort order or collation \
                         (`{collation}`) the manifest cannot represent"
                    ),
                );
            }
            fields.push(name.clone());
        }
        if fields.is_empty() {
            continue;
        }
        let declared = ddl
            .uniques
            .iter()
            .enumerate()
            .position(|(i, unique)| !used_uniques[i] && same_names(&unique.columns, &fields));
        let name = declared.and_then(|i| {
            used_uniques[i] = true;
            ddl.uniques[i].name.clone()
        });
        match (name, fields.as_slice()) {
            (None, [single]) => {
                if let Some(field) = entity.fields.get_mut(single) {
                    field.unique = true;
                }
            }
            (name, _) => entity.uniques.push(Unique::new(name, fields)),
        }
    }

    for index in object.indexes.iter().filter(|index| index.origin == "c") {
        let parsed = match index.sql.as_deref().map(parse_create_index) {
            Some(Ok(parsed)) if parsed.keys.len() == index.parts.len() => Some(parsed),
            Some(Ok(_)) => {
                ledger.record(
                    table,
                    "unparsed_ddl",
                    format!(
                        "the key columns of index `{}` in its `CREATE INDEX` statement do not \
                         match what SQLite reports; its expressions are kept as SQLite lists them",
                        index.name
                    ),
                );
                index.sql.as_deref().and_then(raw_index_keys)
            }
            Some(Err(reason)) => {
                ledger.record(
                    table,
                    "unparsed_ddl",
                    format!(
                        "the `CREATE INDEX` statement of index `{}` could not be parsed \
                         ({reason}); its expressions and predicate are kept as written",
                        index.name
                    ),
                );
                index.sql.as_deref().and_then(raw_index_keys)
            }
            None => None,
        };

        let mut fields = Vec::new();
        for (position, part) in index.parts.iter().enumerate() {
            let order = part.desc.then_some(SortOrder::Desc);
            match part.name.as_ref().filter(|_| part.cid >= 0) {
                Some(name) => {
                    let column_collation = entity
                        .fields
                        .get(name)
                        .and_then(|field| field.collation.clone())
                        .unwrap_or_else(|| "BINARY".to_owned());
                    let collation = part
                        .collation
                        .clone()
                        .filter(|collation| !collation.eq_ignore_ascii_case(&column_collation));
                    fields.push(IndexPart::Field {
                        field: name.clone(),
                        order,
                        collation,
                        prefix_length: None,
                    });
                }
                None => {
                    let sql = parsed
                        .as_ref()
                        .and_then(|parsed| parsed.keys.get(position).cloned());
                    match sql {
                        Some(sql) => fields.push(IndexPart::Expression { sql, order }),
                        None => {
                            ledger.record(
                                table,
                                "unparsed_ddl",
                                format!(
                                    "key {} of index `{}` is an expression that could not be read; \
                                     it is written as `rowid`",
                                    position + 1,
                                    index.name
                                ),
                            );
                            fields.push(IndexPart::Expression {
                                sql: "rowid".to_owned(),
                                order,
                            });
                        }
                    }
                }
            }
        }
        let predicate = parsed.and_then(|parsed| parsed.predicate);
        if index.partial && predicate.is_none() {
            ledger.record(
                table,
                "unparsed_ddl",
                format!(
                    "index `{}` is partial, but its `WHERE` clause could not be read; the manifest \
                     lists it as a full index",
                    index.name
                ),
            );
        }
        entity.indexes.push(Index {
            name: index.name.clone(),
            fields,
            unique: index.unique,
            predicate,
            method: None,
            expire_after_seconds: None,
            options: Default::default(),
        });
    }
}

/// `sqlite_autoindex_T_3` → 3, so that `_10` sorts after `_9`.
fn autoindex_number(name: &str) -> u64 {
    name.rsplit('_')
        .next()
        .and_then(|number| number.parse().ok())
        .unwrap_or(u64::MAX)
}

fn same_names(left: &[String], right: &[String]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .all(|(left, right)| left.eq_ignore_ascii_case(right))
}

/// Foreign keys, in the order of the `CREATE TABLE` statement.
fn relations(
    object: &CatalogObject,
    ddl: &TableDdl,
    parents: &BTreeMap<String, Parent<'_>>,
    ledger: &mut Ledger,
) -> Vec<Relation> {
    let table = object.name.as_str();
    let mut groups: BTreeMap<i64, Vec<&ForeignKeyRow>> = BTreeMap::new();
    for row in &object.foreign_keys {
        groups.entry(row.id).or_default().push(row);
    }
    let mut used = vec![false; ddl.foreign_keys.len()];
    let mut relations = Vec::new();
    // SQLite numbers foreign keys from the last declared one: reverse them.
    for rows in groups.values().rev() {
        let Some(first) = rows.first() else {
            continue;
        };
        let fields: Vec<String> = rows.iter().map(|row| row.from.clone()).collect();
        let described = format!(
            "foreign key ({}) → `{}`",
            fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", "),
            first.table
        );
        let Some(parent) = parents.get(&first.table.to_ascii_lowercase()) else {
            ledger.record(
                table,
                "dangling_foreign_key",
                format!("{described} is left out: there is no such table in this database"),
            );
            continue;
        };
        let targets: Option<Vec<String>> = if rows.iter().all(|row| row.to.is_some()) {
            rows.iter()
                .map(|row| row.to.as_deref().and_then(|to| parent.column(to)))
                .collect()
        } else if parent.primary_key.len() == rows.len() {
            Some(parent.primary_key.iter().map(|c| (*c).to_owned()).collect())
        } else {
            None
        };
        let Some(targets) = targets else {
            ledger.record(
                table,
                "dangling_foreign_key",
                format!(
                    "{described} is left out: the referenced columns do not match the columns or primary key of `{}`",
                    parent.name
                ),
            );
            continue;
        };

        let declared = ddl.foreign_keys.iter().enumerate().position(|(i, fk)| {
            !used[i]
                && fk.table.eq_ignore_ascii_case(parent.name)
                && same_names(&fk.columns, &fields)
        });
        let (name, deferrable) = match declared {
            Some(i) => {
                used[i] = true;
                (
                    ddl.foreign_keys[i].name.clone(),
                    ddl.foreign_keys[i].deferred,
                )
            }
            None => (None, false),
        };
        relations.push(Relation {
            name,
            fields,
            references: RelationTarget {
                entity: parent.name.to_owned(),
                fields: targets,
            },
            on_delete: referential_action(&first.on_delete),
            on_update: referential_action(&first.on_update),
            deferrable,
            deferred: false,
            comment: None,
        });
    }
    relations
}

fn referential_action(action: &str) -> ReferentialAction {
    match action.to_ascii_uppercase().as_str() {
        "RESTRICT" => ReferentialAction::Restrict,
        "CASCADE" => ReferentialAction::Cascade,
        "SET NULL" => ReferentialAction::SetNull,
        "SET DEFAULT" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}

fn build_view(object: &CatalogObject, ledger: &mut Ledger) -> Entity {
    let view = object.name.as_str();
    let mut entity = Entity::new(view);
    entity.kind = EntityKind::View;
    for column in &object.columns {
        // A view column computed by an expression has no declared type; that
        // is not a loss (views are read-only), so no ledger entry.
        let mut field = field_for_declared_type(&column.declared);
        // SQLite cannot tell whether a view column can be null.
        field.nullable = true;
        entity.fields.insert(column.name.clone(), field);
    }
    entity.definition = match object.sql.as_deref() {
        Some(sql) => match parse_create_view(sql) {
            Ok(query) => Some(query),
            Err(reason) => {
                ledger.record(
                    view,
                    "unparsed_ddl",
                    format!(
                        "the `CREATE VIEW` statement of `{view}` could not be parsed ({reason}); \
                         its query is kept as written"
                    ),
                );
                raw_view_query(sql)
            }
        },
        None => None,
    };
    entity
}

// ---------------------------------------------------------------------------
// DDL: what the PRAGMAs do not say

/// What a `CREATE TABLE` statement adds to the PRAGMAs.
#[derive(Debug, Default)]
struct TableDdl {
    primary_key_name: Option<String>,
    autoincrement: bool,
    columns: Vec<ColumnDdl>,
    /// UNIQUE constraints in declaration order.
    uniques: Vec<UniqueDdl>,
    checks: Vec<Check>,
    foreign_keys: Vec<ForeignKeyDdl>,
    /// Some constraint has an `ON CONFLICT` clause.
    on_conflict: bool,
}

impl TableDdl {
    fn column(&self, name: &str) -> Option<&ColumnDdl> {
        self.columns
            .iter()
            .find(|column| column.name == name)
            .or_else(|| {
                self.columns
                    .iter()
                    .find(|column| column.name.eq_ignore_ascii_case(name))
            })
    }
}

#[derive(Debug, Default)]
struct ColumnDdl {
    name: String,
    collation: Option<String>,
    /// Expression of a generated column.
    generated: Option<String>,
}

#[derive(Debug)]
struct UniqueDdl {
    name: Option<String>,
    columns: Vec<String>,
}

#[derive(Debug)]
struct ForeignKeyDdl {
    name: Option<String>,
    columns: Vec<String>,
    table: String,
    /// `DEFERRABLE INITIALLY DEFERRED`, the only form SQLite defers.
    deferred: bool,
}

fn parse_one(sql: &str) -> Result<Statement, String> {
    let mut statements =
        Parser::parse_sql(&SQLiteDialect {}, sql).map_err(|error| error.to_string())?;
    match (statements.pop(), statements.is_empty()) {
        (Some(statement), true) => Ok(statement),
        _ => Err("expected exactly one statement".to_owned()),
    }
}

fn ident_name(name: &ObjectName) -> String {
    match name.0.last().and_then(|part| part.as_ident()) {
        Some(ident) => ident.value.clone(),
        None => name.to_string(),
    }
}

fn index_column_name(column: &IndexColumn) -> String {
    match &column.column.expr {
        Expr::Identifier(ident) => ident.value.clone(),
        Expr::Collate { expr, .. } => match expr.as_ref() {
            Expr::Identifier(ident) => ident.value.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    }
}

fn is_deferred(characteristics: Option<&ConstraintCharacteristics>) -> bool {
    characteristics.is_some_and(|c| {
        c.deferrable == Some(true) && c.initially == Some(DeferrableInitial::Deferred)
    })
}

fn parse_create_table(sql: &str) -> Result<TableDdl, String> {
    let (sanitized, table_on_conflict) = sanitize_create_table(sql)?;
    let Statement::CreateTable(create) = parse_one(&sanitized)? else {
        return Err("not a `CREATE TABLE` statement".to_owned());
    };
    let mut ddl = TableDdl {
        on_conflict: table_on_conflict,
        ..TableDdl::default()
    };
    for column in &create.columns {
        let name = column.name.value.clone();
        let mut column_ddl = ColumnDdl {
            name: name.clone(),
            ..ColumnDdl::default()
        };
        for definition in &column.options {
            let constraint_name = definition.name.as_ref().map(|ident| ident.value.clone());
            match &definition.option {
                ColumnOption::PrimaryKey(key) => {
                    ddl.primary_key_name =
                        constraint_name.or_else(|| key.name.as_ref().map(|i| i.value.clone()));
                }
                ColumnOption::Unique(unique) => ddl.uniques.push(UniqueDdl {
                    name: constraint_name.or_else(|| unique.name.as_ref().map(|i| i.value.clone())),
                    columns: vec![name.clone()],
                }),
                ColumnOption::ForeignKey(key) => ddl.foreign_keys.push(ForeignKeyDdl {
                    name: constraint_name.or_else(|| key.name.as_ref().map(|i| i.value.clone())),
                    columns: vec![name.clone()],
                    table: ident_name(&key.foreign_table),
                    deferred: is_deferred(key.characteristics.as_ref()),
                }),
                ColumnOption::Check(check) => ddl.checks.push(Check {
                    name: constraint_name.or_else(|| check.name.as_ref().map(|i| i.value.clone())),
                    sql: check.expr.to_string(),
                    ..Check::default()
                }),
                ColumnOption::Collation(collation) => {
                    column_ddl.collation = Some(ident_name(collation));
                }
                ColumnOption::Generated {
                    generation_expr: Some(expression),
                    ..
                } => column_ddl.generated = Some(expression.to_string()),
                ColumnOption::DialectSpecific(tokens)
                    if tokens.iter().any(|token| {
                        matches!(token, Token::Word(word) if word.keyword == Keyword::AUTOINCREMENT)
                    }) =>
                {
                    ddl.autoincrement = true;
                }
                ColumnOption::OnConflict(_) => ddl.on_conflict = true,
                _ => {}
            }
        }
        ddl.columns.push(column_ddl);
    }
    for constraint in &create.constraints {
        match constraint {
            TableConstraint::PrimaryKey(key) => {
                ddl.primary_key_name = key.name.as_ref().map(|i| i.value.clone());
            }
            TableConstraint::Unique(unique) => ddl.uniques.push(UniqueDdl {
                name: unique.name.as_ref().map(|i| i.value.clone()),
                columns: unique.columns.iter().map(index_column_name).collect(),
            }),
            TableConstraint::ForeignKey(key) => ddl.foreign_keys.push(ForeignKeyDdl {
                name: key.name.as_ref().map(|i| i.value.clone()),
                columns: key.columns.iter().map(|i| i.value.clone()).collect(),
                table: ident_name(&key.foreign_table),
                deferred: is_deferred(key.characteristics.as_ref()),
            }),
            TableConstraint::Check(check) => ddl.checks.push(Check {
                name: check.name.as_ref().map(|i| i.value.clone()),
                sql: check.expr.to_string(),
                ..Check::default()
            }),
            _ => {}
        }
    }
    Ok(ddl)
}

/// What a `CREATE INDEX` statement adds to the PRAGMAs.
#[derive(Debug)]
struct IndexDdl {
    /// SQL of each key, without its sort order.
    keys: Vec<String>,
    predicate: Option<String>,
}

fn parse_create_index(sql: &str) -> Result<IndexDdl, String> {
    let Statement::CreateIndex(create) = parse_one(sql)? else {
        return Err("not a `CREATE INDEX` statement".to_owned());
    };
    Ok(IndexDdl {
        keys: create
            .columns
            .iter()
            .map(|column| column.column.expr.to_string())
            .collect(),
        predicate: create.predicate.as_ref().map(ToString::to_string),
    })
}

fn parse_create_view(sql: &str) -> Result<String, String> {
    match parse_one(sql)? {
        Statement::CreateView(view) => Ok(view.query.to_string()),
        _ => Err("not a `CREATE VIEW` statement".to_owned()),
    }
}

fn virtual_table_module(sql: &str) -> Option<String> {
    let lexemes = lex(sql).ok()?;
    let using = lexemes
        .iter()
        .position(|lexeme| is_keyword(lexeme, Keyword::USING))?;
    match &lexemes.get(using + 1)?.token {
        Token::Word(word) => Some(word.value.clone()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Token-level helpers: the stored SQL, cut with sqlparser's tokenizer

/// A token and where it is in the text (byte offsets).
#[derive(Debug)]
struct Lexeme {
    token: Token,
    span: Range<usize>,
}

/// The tokens of `sql` without whitespace and comments.
fn lex(sql: &str) -> Result<Vec<Lexeme>, String> {
    let tokens = Tokenizer::new(&SQLiteDialect {}, sql)
        .tokenize_with_location()
        .map_err(|error| error.to_string())?;
    let mut line_starts = vec![0];
    line_starts.extend(
        sql.char_indices()
            .filter(|(_, ch)| *ch == '\n')
            .map(|(offset, _)| offset + 1),
    );
    let offset = |location: Location| -> usize {
        let line = usize::try_from(location.line.saturating_sub(1)).unwrap_or(usize::MAX);
        let column = usize::try_from(location.column.saturating_sub(1)).unwrap_or(usize::MAX);
        let Some(&start) = line_starts.get(line) else {
            return sql.len();
        };
        sql[start..]
            .char_indices()
            .nth(column)
            .map_or(sql.len(), |(offset, _)| start + offset)
    };
    Ok(tokens
        .into_iter()
        .filter(|token| !matches!(token.token, Token::Whitespace(_) | Token::EOF))
        .map(|token| Lexeme {
            span: offset(token.span.start)..offset(token.span.end),
            token: token.token,
        })
        .collect())
}

fn is_keyword(lexeme: &Lexeme, keyword: Keyword) -> bool {
    matches!(&lexeme.token, Token::Word(word) if word.quote_style.is_none() && word.keyword == keyword)
}

/// Splits the parenthesised list that starts at `lexemes[open]` into its
/// comma-separated items; returns them and the index of the closing parenthesis.
fn list_items(lexemes: &[Lexeme], open: usize) -> (Vec<Range<usize>>, usize) {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    let mut index = open + 1;
    while index < lexemes.len() {
        match lexemes[index].token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => break,
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => {
                items.push(start..index);
                start = index + 1;
            }
            _ => {}
        }
        index += 1;
    }
    items.push(start..index);
    (items, index)
}

/// Index just past the parenthesised group that opens at `lexemes[open]`.
fn skip_group(lexemes: &[Lexeme], open: usize) -> usize {
    let mut depth = 0usize;
    for (index, lexeme) in lexemes.iter().enumerate().skip(open) {
        match lexeme.token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return index + 1;
                }
            }
            _ => {}
        }
    }
    lexemes.len()
}

/// Removes what sqlparser cannot parse but the PRAGMAs already give, so that
/// the rest of a `CREATE TABLE` can be parsed:
///
/// - column types: SQLite accepts any words as a type (`UNSIGNED BIG INT`,
///   `integer unsigned`); the types come from `table_xinfo` instead;
/// - `ON CONFLICT` clauses on table constraints (reported as lost).
///
/// Returns the text to parse and whether an `ON CONFLICT` clause was removed.
fn sanitize_create_table(sql: &str) -> Result<(String, bool), String> {
    const TABLE_CONSTRAINT: &[Keyword] = &[
        Keyword::CONSTRAINT,
        Keyword::PRIMARY,
        Keyword::UNIQUE,
        Keyword::CHECK,
        Keyword::FOREIGN,
    ];
    const COLUMN_CONSTRAINT: &[Keyword] = &[
        Keyword::CONSTRAINT,
        Keyword::PRIMARY,
        Keyword::NOT,
        Keyword::NULL,
        Keyword::UNIQUE,
        Keyword::CHECK,
        Keyword::DEFAULT,
        Keyword::COLLATE,
        Keyword::REFERENCES,
        Keyword::GENERATED,
        Keyword::AS,
    ];
    let lexemes = lex(sql)?;
    let Some(open) = lexemes
        .iter()
        .position(|lexeme| lexeme.token == Token::LParen)
    else {
        return Ok((sql.to_owned(), false));
    };
    let (items, _) = list_items(&lexemes, open);
    let mut removals: Vec<Range<usize>> = Vec::new();
    let mut on_conflict = false;
    for item in items {
        let item = &lexemes[item];
        let Some(first) = item.first() else {
            continue;
        };
        if TABLE_CONSTRAINT
            .iter()
            .any(|keyword| is_keyword(first, *keyword))
        {
            let mut depth = 0usize;
            for (index, lexeme) in item.iter().enumerate() {
                match lexeme.token {
                    Token::LParen => depth += 1,
                    Token::RParen => depth = depth.saturating_sub(1),
                    _ => {}
                }
                let conflict_clause = depth == 0
                    && is_keyword(lexeme, Keyword::ON)
                    && item
                        .get(index + 1)
                        .is_some_and(|next| is_keyword(next, Keyword::CONFLICT));
                if let Some(resolution) = item.get(index + 2).filter(|_| conflict_clause) {
                    removals.push(lexeme.span.start..resolution.span.end);
                    on_conflict = true;
                }
            }
            continue;
        }
        // A column: its name, then the words of its type, then an optional
        // `(n)` or `(p, s)`.
        let mut end = 1;
        while item.get(end).is_some_and(|lexeme| {
            matches!(lexeme.token, Token::Word(_))
                && !COLUMN_CONSTRAINT
                    .iter()
                    .any(|keyword| is_keyword(lexeme, *keyword))
        }) {
            end += 1;
        }
        if end == 1 {
            continue;
        }
        if item
            .get(end)
            .is_some_and(|lexeme| lexeme.token == Token::LParen)
        {
            end = skip_group(item, end);
        }
        removals.push(item[1].span.start..item[end - 1].span.end);
    }
    let mut sanitized = String::with_capacity(sql.len());
    let mut last = 0;
    for removal in removals {
        sanitized.push_str(&sql[last..removal.start]);
        sanitized.push(' ');
        last = removal.end;
    }
    sanitized.push_str(&sql[last..]);
    Ok((sanitized, on_conflict))
}

/// Whether a `CREATE TABLE` says `AUTOINCREMENT` anywhere outside strings and
/// quoted names. SQLite allows it only on the `INTEGER PRIMARY KEY`, so this
/// is enough when the statement cannot be parsed.
fn mentions_autoincrement(sql: &str) -> bool {
    lex(sql).is_ok_and(|lexemes| {
        lexemes
            .iter()
            .any(|lexeme| is_keyword(lexeme, Keyword::AUTOINCREMENT))
    })
}

/// The keys and predicate of a `CREATE INDEX` that sqlparser cannot parse,
/// cut from the text as written.
fn raw_index_keys(sql: &str) -> Option<IndexDdl> {
    let lexemes = lex(sql).ok()?;
    let on = lexemes
        .iter()
        .position(|lexeme| is_keyword(lexeme, Keyword::ON))?;
    let open = on
        + lexemes[on..]
            .iter()
            .position(|lexeme| lexeme.token == Token::LParen)?;
    let (items, close) = list_items(&lexemes, open);
    let mut keys = Vec::new();
    for item in items {
        let mut item = &lexemes[item];
        if let [rest @ .., last] = item
            && (is_keyword(last, Keyword::ASC) || is_keyword(last, Keyword::DESC))
        {
            item = rest;
        }
        let (first, last) = (item.first()?, item.last()?);
        keys.push(sql[first.span.start..last.span.end].trim().to_owned());
    }
    let predicate = match lexemes.get(close + 1..) {
        Some([where_, first, .., last]) if is_keyword(where_, Keyword::WHERE) => {
            Some(sql[first.span.start..last.span.end].trim().to_owned())
        }
        Some([where_, only]) if is_keyword(where_, Keyword::WHERE) => {
            Some(sql[only.span.clone()].trim().to_owned())
        }
        _ => None,
    };
    Some(IndexDdl { keys, predicate })
}

/// The query of a `CREATE VIEW` that sqlparser cannot parse: everything after
/// its first `AS`.
fn raw_view_query(sql: &str) -> Option<String> {
    let lexemes = lex(sql).ok()?;
    let as_ = lexemes
        .iter()
        .position(|lexeme| is_keyword(lexeme, Keyword::AS))?;
    let start = lexemes.get(as_ + 1)?.span.start;
    Some(sql[start..].trim().trim_end_matches(';').trim().to_owned())
}

// ---------------------------------------------------------------------------
// Defaults

/// `dflt_value` as `table_xinfo` reports it (the text of the `DEFAULT`
/// clause) → a literal when it is one, else SQL; `NULL` is no default.
fn parse_default(text: &str, ty: FieldType) -> Option<DefaultValue> {
    let text = strip_outer_parens(text.trim());
    let literal = match default_literal(text) {
        DefaultLiteral::Null => return None,
        DefaultLiteral::Literal(literal) => literal,
        DefaultLiteral::Expression => {
            return Some(DefaultValue::Sql {
                sql: text.to_owned(),
            });
        }
    };
    let literal = match (ty, literal) {
        (FieldType::Bool, Literal::Int(0)) => Literal::Bool(false),
        (FieldType::Bool, Literal::Int(1)) => Literal::Bool(true),
        (_, literal) => literal,
    };
    Some(DefaultValue::Literal(literal))
}

enum DefaultLiteral {
    Null,
    Literal(Literal),
    Expression,
}

fn default_literal(text: &str) -> DefaultLiteral {
    let Ok(tokens) = Tokenizer::new(&SQLiteDialect {}, text).tokenize() else {
        return DefaultLiteral::Expression;
    };
    let tokens: Vec<&Token> = tokens
        .iter()
        .filter(|token| !matches!(token, Token::Whitespace(_)))
        .collect();
    match tokens.as_slice() {
        [Token::SingleQuotedString(value)] => {
            DefaultLiteral::Literal(Literal::String(value.clone()))
        }
        [Token::Number(number, false)] | [Token::Plus, Token::Number(number, false)] => {
            number_literal(number)
        }
        [Token::Minus, Token::Number(number, false)] => number_literal(&format!("-{number}")),
        [Token::Word(word)] if word.quote_style.is_none() => match word.keyword {
            Keyword::NULL => DefaultLiteral::Null,
            Keyword::TRUE => DefaultLiteral::Literal(Literal::Bool(true)),
            Keyword::FALSE => DefaultLiteral::Literal(Literal::Bool(false)),
            _ => DefaultLiteral::Expression,
        },
        _ => DefaultLiteral::Expression,
    }
}

fn number_literal(number: &str) -> DefaultLiteral {
    if let Ok(integer) = number.parse::<i64>() {
        return DefaultLiteral::Literal(Literal::Int(integer));
    }
    let decimal = number.contains(['.', 'e', 'E']) && !number.contains(['x', 'X']);
    match number.parse::<f64>() {
        Ok(float) if decimal && float.is_finite() => DefaultLiteral::Literal(Literal::Float(float)),
        // Too large for an integer: SQLite would store a REAL; keep the text.
        _ => DefaultLiteral::Expression,
    }
}

/// `(expr)` → `expr`, when the first parenthesis closes at the very end.
fn strip_outer_parens(text: &str) -> &str {
    let Ok(lexemes) = lex(text) else {
        return text;
    };
    match lexemes.as_slice() {
        [first, .., last]
            if first.token == Token::LParen
                && last.token == Token::RParen
                && skip_group(&lexemes, 0) == lexemes.len() =>
        {
            text[first.span.end..last.span.start].trim()
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(value: Literal) -> Option<DefaultValue> {
        Some(DefaultValue::Literal(value))
    }

    fn sql(text: &str) -> Option<DefaultValue> {
        Some(DefaultValue::Sql {
            sql: text.to_owned(),
        })
    }

    #[test]
    fn defaults_become_literals_or_sql() {
        let text = FieldType::Text;
        assert_eq!(
            parse_default("'0'", text),
            literal(Literal::String("0".into()))
        );
        assert_eq!(
            parse_default("'it''s'", text),
            literal(Literal::String("it's".into()))
        );
        assert_eq!(
            parse_default("'C:\\temp'", text),
            literal(Literal::String("C:\\temp".into()))
        );
        assert_eq!(
            parse_default("1", FieldType::Int64),
            literal(Literal::Int(1))
        );
        assert_eq!(
            parse_default("-42", FieldType::Int64),
            literal(Literal::Int(-42))
        );
        assert_eq!(
            parse_default("+7", FieldType::Int64),
            literal(Literal::Int(7))
        );
        assert_eq!(
            parse_default("-1.5", FieldType::Float64),
            literal(Literal::Float(-1.5))
        );
        assert_eq!(
            parse_default("(0)", FieldType::Int64),
            literal(Literal::Int(0))
        );
        assert_eq!(
            parse_default("TRUE", FieldType::Bool),
            literal(Literal::Bool(true))
        );
        assert_eq!(
            parse_default("false", FieldType::Bool),
            literal(Literal::Bool(false))
        );
        assert_eq!(
            parse_default("1", FieldType::Bool),
            literal(Literal::Bool(true))
        );
        assert_eq!(
            parse_default("0", FieldType::Bool),
            literal(Literal::Bool(false))
        );
        assert_eq!(parse_default("NULL", text), None);
        assert_eq!(parse_default("null", text), None);
    }

    #[test]
    fn expression_defaults_keep_their_text() {
        let text = FieldType::Text;
        assert_eq!(
            parse_default("CURRENT_TIMESTAMP", text),
            sql("CURRENT_TIMESTAMP")
        );
        assert_eq!(parse_default("current_date", text), sql("current_date"));
        assert_eq!(
            parse_default("(datetime('now'))", text),
            sql("datetime('now')")
        );
        assert_eq!(
            parse_default("datetime('now')", text),
            sql("datetime('now')")
        );
        assert_eq!(parse_default("X'00FF'", FieldType::Bytes), sql("X'00FF'"));
        assert_eq!(
            parse_default("(1) + (2)", FieldType::Int64),
            sql("(1) + (2)")
        );
        assert_eq!(
            parse_default("99999999999999999999", FieldType::Int64),
            sql("99999999999999999999")
        );
    }

    #[test]
    fn outer_parens_are_stripped_only_when_they_enclose_everything() {
        assert_eq!(strip_outer_parens("(a + b)"), "a + b");
        assert_eq!(strip_outer_parens("(a) + (b)"), "(a) + (b)");
        assert_eq!(strip_outer_parens("(')')"), "')'");
        assert_eq!(strip_outer_parens("a"), "a");
    }

    #[test]
    fn sanitizing_removes_column_types_and_conflict_clauses() {
        let (sanitized, on_conflict) = sanitize_create_table(
            "CREATE TABLE t (a UNSIGNED BIG INT NOT NULL, b VARCHAR(10, 2) DEFAULT 'x', \
             c, d integer unsigned CHECK (d >= 0), UNIQUE (a, b) ON CONFLICT IGNORE)",
        )
        .unwrap();
        assert!(on_conflict);
        assert_eq!(
            sanitized.split_whitespace().collect::<Vec<_>>().join(" "),
            "CREATE TABLE t (a NOT NULL, b DEFAULT 'x', c, d CHECK (d >= 0), UNIQUE (a, b) )"
        );
    }

    #[test]
    fn create_table_gives_names_checks_collations_and_generated_expressions() {
        let ddl = parse_create_table(
            "CREATE TABLE [t x] (\r\n\
               id INTEGER CONSTRAINT pk_t PRIMARY KEY AUTOINCREMENT,\r\n\
               code NATIONAL VARCHAR(20) COLLATE NOCASE CONSTRAINT uq_code UNIQUE,\r\n\
               qty INT CONSTRAINT qty_positive CHECK (qty > 0),\r\n\
               twice INT GENERATED ALWAYS AS (qty * 2) STORED,\r\n\
               parent INT REFERENCES \"t x\" (id) DEFERRABLE INITIALLY DEFERRED,\r\n\
               CONSTRAINT fk_code FOREIGN KEY (code) REFERENCES other (code),\r\n\
               CHECK (qty < 100)\r\n\
             )",
        )
        .unwrap();
        assert_eq!(ddl.primary_key_name.as_deref(), Some("pk_t"));
        assert!(ddl.autoincrement);
        assert!(!ddl.on_conflict);
        assert_eq!(
            ddl.column("CODE").and_then(|c| c.collation.as_deref()),
            Some("NOCASE")
        );
        assert_eq!(
            ddl.column("twice").and_then(|c| c.generated.as_deref()),
            Some("qty * 2")
        );
        assert_eq!(ddl.uniques.len(), 1);
        assert_eq!(ddl.uniques[0].name.as_deref(), Some("uq_code"));
        assert_eq!(
            ddl.checks,
            vec![
                Check {
                    name: Some("qty_positive".into()),
                    sql: "qty > 0".into(),
                    ..Check::default()
                },
                Check {
                    name: None,
                    sql: "qty < 100".into(),
                    ..Check::default()
                },
            ]
        );
        assert_eq!(ddl.foreign_keys.len(), 2);
        assert_eq!(ddl.foreign_keys[0].table, "t x");
        assert!(ddl.foreign_keys[0].deferred);
        assert_eq!(ddl.foreign_keys[1].name.as_deref(), Some("fk_code"));
        assert!(!ddl.foreign_keys[1].deferred);
    }

    #[test]
    fn unparsable_index_keeps_its_keys_and_predicate_as_written() {
        let raw = raw_index_keys(
            "CREATE INDEX i ON t (lower(a) DESC, b COLLATE NOCASE, c ASC) WHERE a IS NOT NULL",
        )
        .unwrap();
        assert_eq!(raw.keys, vec!["lower(a)", "b COLLATE NOCASE", "c"]);
        assert_eq!(raw.predicate.as_deref(), Some("a IS NOT NULL"));
    }

    #[test]
    fn unparsable_view_keeps_its_query_as_written() {
        assert_eq!(
            raw_view_query("CREATE VIEW v AS SELECT 1 AS one;").as_deref(),
            Some("SELECT 1 AS one")
        );
    }

    #[test]
    fn internal_tables_are_recognised_case_insensitively() {
        assert!(is_internal("sqlite_sequence"));
        assert!(is_internal("SQLITE_stat1"));
        assert!(!is_internal("sqlitex"));
        assert!(!is_internal("Album"));
    }

    #[test]
    fn autoindexes_sort_by_number() {
        assert!(
            autoindex_number("sqlite_autoindex_t_2") < autoindex_number("sqlite_autoindex_t_10")
        );
    }
}
