//! PostgreSQL introspection: reads the catalog of the requested schemas into
//! a [`Manifest`] and a [`Ledger`] of what the manifest cannot represent.
//!
//! The catalog is read with one `pg_catalog` query per kind of object, for all
//! tables at once (the `.sql` files in `postgres/`), run concurrently on a
//! few connections. Each query is a single statement, so each sees a
//! consistent snapshot of its own kind of object.
//!
//! The work is split in two: `read_catalog` does all the I/O and returns
//! plain rows; `build` turns those rows into the manifest without I/O, with
//! maps keyed by object id (never a scan per table).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, Connection, Row};
use url::Url;

use super::{IntrospectError, IntrospectOptions, Introspection, Introspector};
use crate::dialect::postgres::{builtin_field, default_name, pin_native};
use crate::ledger::Ledger;
use crate::manifest::{
    Check, DefaultValue, Entity, EntityKind, Enum, Exclusion, Field, FieldType, Generated,
    GeneratedKind, Index, IndexPart, KeyOptions, Literal, Manifest, Partition, Project,
    ReferentialAction, Relation, RelationTarget, SortOrder, Source, SourceEngine, Unique,
};
use crate::manifest::{EngineObject, EngineObjects, Extension, IndexOptions, ObjectKind};
use crate::ui::Progress;

/// The schema read when none is given.
const DEFAULT_SCHEMA: &str = "public";
/// Connections reading the catalog at once: the first one, plus the pool's.
const POOL_CONNECTIONS: u32 = 3;

const DATABASE: &str = include_str!("postgres/database.sql");
const RELATIONS: &str = include_str!("postgres/relations.sql");
const COLUMNS: &str = include_str!("postgres/columns.sql");
const TYPES: &str = include_str!("postgres/types.sql");
const CONSTRAINTS: &str = include_str!("postgres/constraints.sql");
const INDEXES: &str = include_str!("postgres/indexes.sql");
const TRIGGERS: &str = include_str!("postgres/triggers.sql");
const ROUTINES: &str = include_str!("postgres/routines.sql");
const OBJECTS: &str = include_str!("postgres/objects.sql");
const POLICIES: &str = include_str!("postgres/policies.sql");
const SEQUENCES: &str = include_str!("postgres/sequences.sql");
const EXTENSIONS: &str = include_str!("postgres/extensions.sql");
const DEPENDENCIES: &str = include_str!("postgres/dependencies.sql");
const ACCESS: &str = include_str!("postgres/access.sql");

/// Reads a PostgreSQL database over the network (sqlx).
pub struct PostgresIntrospector {
    url: Url,
}

impl PostgresIntrospector {
    pub fn new(url: Url) -> Self {
        Self { url }
    }

    /// The URL as messages show it: host, port, user and database, never the
    /// password (neither the one in the user part nor a `password=` option).
    fn target(&self) -> String {
        let mut url = self.url.clone();
        if url.password().is_some() {
            // Only fails for URLs that cannot have a password at all.
            let _ = url.set_password(Some("***"));
        }
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(key, _)| !key.eq_ignore_ascii_case("password"))
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        if pairs.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        crate::source::redact(url.as_str())
    }

    /// `text` with the password taken out, should a driver ever quote it.
    fn scrub(&self, text: &str) -> String {
        let mut text = crate::source::redact(text);
        let passwords = self.url.password().into_iter().map(str::to_owned).chain(
            self.url
                .query_pairs()
                .filter(|(key, _)| key.eq_ignore_ascii_case("password"))
                .map(|(_, value)| value.into_owned()),
        );
        for password in passwords {
            // Very short passwords would mangle the message; they are also
            // not worth hiding from someone who can read the terminal.
            if password.len() >= 3 {
                text = text.replace(&password, "***");
                if let Ok(decoded) = urlencoding_decode(&password) {
                    text = text.replace(&decoded, "***");
                }
            }
        }
        text
    }

    fn connect_error(&self, reason: impl std::fmt::Display) -> IntrospectError {
        IntrospectError::Connect {
            target: self.target(),
            reason: self.scrub(&reason.to_string()),
        }
    }

    fn catalog_error(&self, error: &sqlx::Error) -> IntrospectError {
        IntrospectError::Catalog {
            target: self.target(),
            reason: self.scrub(&describe(error)),
        }
    }

    /// Opens the first connection (which fails fast, with the server's
    /// reason) and a pool that opens the others while the queries run.
    async fn connect(&self, first_schema: &str) -> Result<(PgConnection, PgPool), IntrospectError> {
        let mut options =
            PgConnectOptions::from_url(&self.url).map_err(|error| self.connect_error(error))?;
        if options.get_application_name().is_none() {
            options = options.application_name("baas");
        }
        let options = options
            // The manifest must not depend on the role's or the server's
            // settings: names in the first schema print unqualified in types,
            // defaults and view queries (others qualified), and dates and
            // intervals in those print the same everywhere. JIT compilation
            // costs more than these small catalog queries ever take.
            .options([
                ("search_path", quote_identifier_always(first_schema)),
                ("TimeZone", "UTC".to_owned()),
                ("DateStyle", "ISO, YMD".to_owned()),
                ("IntervalStyle", "postgres".to_owned()),
                ("jit", "off".to_owned()),
            ])
            .disable_statement_logging();
        let connection =
            crate::connect::within_connect_timeout(PgConnection::connect_with(&options))
                .await
                .map_err(|timed_out| self.connect_error(timed_out.to_string()))?
                .map_err(|error| self.connect_error(describe(&error)))?;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_CONNECTIONS)
            .acquire_timeout(crate::connect::connect_timeout())
            .connect_lazy_with(options);
        Ok((connection, pool))
    }
}

/// An sqlx error for a person: the server's own message (and SQLSTATE) for
/// a database error, without sqlx's source-location details.
fn describe(error: &sqlx::Error) -> String {
    match error.as_database_error() {
        Some(database) => match database.code() {
            Some(code) => format!("{} (SQLSTATE {code})", database.message()),
            None => database.message().to_owned(),
        },
        None => error.to_string(),
    }
}

/// Percent-decodes `text` (a password as written in a URL).
fn urlencoding_decode(text: &str) -> Result<String, std::str::Utf8Error> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    std::str::from_utf8(&out).map(str::to_owned)
}

fn quote_identifier_always(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The schemas `options` asks for, in order and each once; `public` when
/// none is given.
pub(crate) fn requested_schemas(options: &IntrospectOptions) -> Vec<String> {
    let mut schemas: Vec<String> = Vec::new();
    for schema in &options.schemas {
        if !schemas.contains(schema) {
            schemas.push(schema.clone());
        }
    }
    if schemas.is_empty() {
        schemas.push(DEFAULT_SCHEMA.to_owned());
    }
    schemas
}

impl Introspector for PostgresIntrospector {
    async fn introspect(
        &self,
        options: &IntrospectOptions,
        progress: &Progress,
    ) -> Result<Introspection, IntrospectError> {
        let schemas = requested_schemas(options);

        progress.set_message("connecting");
        let first_schema = schemas.first().map_or(DEFAULT_SCHEMA, String::as_str);
        let (mut connection, pool) = self.connect(first_schema).await?;
        progress.set_message("reading catalog");
        let catalog = read_catalog(&mut connection, &pool, &schemas).await;
        // Closing tells the server we are done; nothing is lost if it fails.
        let _ = tokio::join!(connection.close(), pool.close());
        let catalog = catalog.map_err(|error| self.catalog_error(&error))?;

        let missing: Vec<&str> = schemas
            .iter()
            .filter(|schema| !catalog.existing_schemas.contains(schema))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(IntrospectError::Unsupported(format!(
                "schema {} does not exist in database `{}` at `{}`",
                missing
                    .iter()
                    .map(|schema| format!("`{schema}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                catalog.database,
                self.target()
            )));
        }
        progress.set_message("building manifest");
        Ok(build(&catalog, &schemas, progress))
    }
}

// ---------------------------------------------------------------------------
// Catalog rows

/// Everything read from the database, before any interpretation.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub(crate) database: String,
    pub(crate) existing_schemas: Vec<String>,
    pub(crate) relations: Vec<RelationRow>,
    pub(crate) columns: Vec<ColumnRow>,
    pub(crate) types: Vec<TypeRow>,
    pub(crate) constraints: Vec<ConstraintRow>,
    pub(crate) indexes: Vec<IndexRow>,
    pub(crate) triggers: Vec<TriggerRow>,
    pub(crate) routines: Vec<RoutineRow>,
    pub(crate) policies: Vec<PolicyRow>,
    pub(crate) sequences: Vec<SequenceRow>,
    pub(crate) extensions: Vec<ExtensionRow>,
    pub(crate) dependencies: Vec<DependencyRow>,
    /// Collations, policies, rules, statistics, event triggers, and the
    /// objects the manifest does not carry (see `objects.sql`).
    pub(crate) others: Vec<OtherObjectRow>,
    /// Privileges, owners and tablespaces, which the manifest does not
    /// carry (see `access.sql`).
    pub(crate) access: Vec<AccessRow>,
}

/// A row type of one of the catalog queries.
trait CatalogRow: Sized {
    fn decode(row: &PgRow) -> Result<Self, sqlx::Error>;
}

/// Runs one catalog query (its only parameter is the schema list).
async fn fetch<'e, T, E>(
    executor: E,
    sql: impl sqlx::SqlSafeStr,
    schemas: &[String],
) -> sqlx::Result<Vec<T>>
where
    T: CatalogRow,
    E: sqlx::PgExecutor<'e>,
{
    let rows = sqlx::query(sql).bind(schemas).fetch_all(executor).await?;
    rows.iter().map(T::decode).collect()
}

/// Reads the whole catalog: the biggest query on the first connection, the
/// others concurrently on the pool.
async fn read_catalog(
    connection: &mut PgConnection,
    pool: &PgPool,
    schemas: &[String],
) -> sqlx::Result<Catalog> {
    // `pg_index.indnullsnotdistinct` exists from PostgreSQL 15 on. (Reading
    // it through `to_jsonb(pg_index)` on every version costs a third of the
    // query.) The text replaced is our own constant.
    let indexes = if connection.server_version_num().unwrap_or_default() >= 150_000 {
        INDEXES.replace(
            "false AS nulls_not_distinct",
            "i.indnullsnotdistinct AS nulls_not_distinct",
        )
    } else {
        INDEXES.to_owned()
    };
    // `pg_trigger.tgparentid` (a partition's copy of its table's trigger)
    // exists from PostgreSQL 13 on; before, partitions' triggers are left out.
    let triggers = if connection.server_version_num().unwrap_or_default() >= 130_000 {
        TRIGGERS.replace(
            "AND NOT c.relispartition",
            "AND (NOT c.relispartition OR t.tgparentid = 0)",
        )
    } else {
        TRIGGERS.to_owned()
    };
    // Not-null constraints are listed (`n`), and checks and foreign keys may
    // be `NOT ENFORCED`, from PostgreSQL 18 on.
    let constraints = if connection.server_version_num().unwrap_or_default() >= 180_000 {
        CONSTRAINTS.replace("true AS enforced", "k.conenforced AS enforced")
    } else {
        CONSTRAINTS.to_owned()
    };
    // Publications' column lists, row filters and schemas exist from
    // PostgreSQL 15 on.
    let objects = if connection.server_version_num().unwrap_or_default() >= 150_000 {
        OBJECTS
            .replace(
                "'' -- a table's column list and row filter",
                "coalesce(' (' || (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.at)
                                     FROM unnest(r.prattrs::int2[]) WITH ORDINALITY AS k (attnum, at)
                                     JOIN pg_attribute a
                                       ON a.attrelid = r.prrelid AND a.attnum = k.attnum)
                           || ')', '')
                 || coalesce(' WHERE (' || pg_get_expr(r.prqual, r.prrelid) || ')', '')",
            )
            .replace(
                "'' -- the schemas",
                "coalesce((SELECT string_agg('; ALTER PUBLICATION ' || quote_ident(p.pubname)
                                            || ' ADD TABLES IN SCHEMA ' || quote_ident(s.nspname),
                                            '' ORDER BY s.nspname)
                             FROM pg_publication_namespace pn
                             JOIN pg_namespace s ON s.oid = pn.pnnspid
                            WHERE pn.pnpubid = p.oid), '')",
            )
    } else {
        OBJECTS.to_owned()
    };
    let on_first = async {
        let columns = fetch::<ColumnRow, _>(&mut *connection, COLUMNS, schemas).await?;
        let database = fetch::<DatabaseRow, _>(&mut *connection, DATABASE, schemas).await?;
        Ok::<_, sqlx::Error>((columns, database))
    };
    let (
        (columns, database),
        types,
        indexes,
        constraints,
        relations,
        triggers,
        sequences,
        routines,
        policies,
        extensions,
        dependencies,
        others,
        access,
    ) = tokio::try_join!(
        on_first,
        fetch::<TypeRow, _>(pool, TYPES, schemas),
        fetch::<IndexRow, _>(pool, sqlx::AssertSqlSafe(indexes), schemas),
        fetch::<ConstraintRow, _>(pool, sqlx::AssertSqlSafe(constraints), schemas),
        fetch::<RelationRow, _>(pool, RELATIONS, schemas),
        fetch::<TriggerRow, _>(pool, sqlx::AssertSqlSafe(triggers), schemas),
        fetch::<SequenceRow, _>(pool, SEQUENCES, schemas),
        fetch::<RoutineRow, _>(pool, ROUTINES, schemas),
        fetch::<PolicyRow, _>(pool, POLICIES, schemas),
        fetch::<ExtensionRow, _>(pool, EXTENSIONS, schemas),
        fetch::<DependencyRow, _>(pool, DEPENDENCIES, schemas),
        fetch::<OtherObjectRow, _>(pool, sqlx::AssertSqlSafe(objects), schemas),
        fetch::<AccessRow, _>(pool, ACCESS, schemas),
    )?;
    let database = database.into_iter().next().unwrap_or_default();
    Ok(Catalog {
        database: database.database,
        existing_schemas: database.schemas,
        relations,
        columns,
        types,
        constraints,
        indexes,
        triggers,
        routines,
        policies,
        sequences,
        extensions,
        dependencies,
        others,
        access,
    })
}

/// What the manifest does not carry of an object: its privileges, its
/// owner or its tablespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccessRow {
    /// `privileges` (not the defaults), `owner` or `tablespace`.
    pub(crate) what: String,
    /// `table` (views too), `sequence`, `index`, `function` or `type`.
    pub(crate) kind: String,
    pub(crate) schema: String,
    pub(crate) name: String,
    /// The owner's or the tablespace's name.
    pub(crate) detail: String,
}

impl CatalogRow for AccessRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            what: row.try_get("what")?,
            kind: row.try_get("kind")?,
            schema: row.try_get("schema")?,
            name: row.try_get("name")?,
            detail: row.try_get("detail")?,
        })
    }
}

/// A function or domain of the schemas read that uses a function, a type
/// or (through its row type) a relation.
#[derive(Debug)]
pub(crate) struct DependencyRow {
    pub(crate) object: i64,
    /// `function`, `type` or `relation`.
    pub(crate) referenced_kind: String,
    pub(crate) referenced: i64,
}

impl CatalogRow for DependencyRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            object: row.try_get("object")?,
            referenced_kind: row.try_get("referenced_kind")?,
            referenced: row.try_get("referenced")?,
        })
    }
}

#[derive(Debug, Default)]
pub(crate) struct DatabaseRow {
    pub(crate) database: String,
    pub(crate) schemas: Vec<String>,
}

impl CatalogRow for DatabaseRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            database: row.try_get("database")?,
            schemas: row.try_get("schemas")?,
        })
    }
}

#[derive(Debug)]
pub(crate) struct RelationRow {
    pub(crate) oid: i64,
    pub(crate) schema: String,
    pub(crate) name: String,
    /// `r` table, `p` partitioned table, `v` view, `m` materialized view,
    /// `f` foreign table.
    pub(crate) kind: String,
    pub(crate) is_partition: bool,
    pub(crate) row_security: bool,
    pub(crate) force_row_security: bool,
    /// `p` permanent, `u` unlogged.
    pub(crate) persistence: String,
    pub(crate) options: Vec<String>,
    pub(crate) comment: Option<String>,
    pub(crate) definition: Option<String>,
    pub(crate) partition_key: Option<String>,
    pub(crate) partition_bound: Option<String>,
    /// `FULL`, `NOTHING` or `USING INDEX name`; `None` for `DEFAULT`.
    pub(crate) replica_identity: Option<String>,
    /// The index `CLUSTER ON` names.
    pub(crate) cluster_on: Option<String>,
    /// What it has that the manifest cannot say (its access method), one
    /// phrase each; its tablespace is with the others (see `access.sql`).
    pub(crate) unrepresented: Vec<String>,
    pub(crate) parents: Vec<i64>,
    /// The parents as `regclass` prints them (qualified outside the first schema).
    pub(crate) parent_names: Vec<String>,
    /// The schemas not read that its partitions are in, one per partition.
    pub(crate) unread_partition_schemas: Vec<String>,
}

impl CatalogRow for RelationRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            oid: row.try_get("oid")?,
            schema: row.try_get("schema")?,
            name: row.try_get("name")?,
            kind: row.try_get("kind")?,
            is_partition: row.try_get("is_partition")?,
            row_security: row.try_get("row_security")?,
            force_row_security: row.try_get("force_row_security")?,
            persistence: row.try_get("persistence")?,
            options: row.try_get("options")?,
            comment: row.try_get("comment")?,
            definition: row.try_get("definition")?,
            partition_key: row.try_get("partition_key")?,
            partition_bound: row.try_get("partition_bound")?,
            replica_identity: row.try_get("replica_identity")?,
            cluster_on: row.try_get("cluster_on")?,
            unrepresented: row.try_get("unrepresented")?,
            parents: row.try_get("parents")?,
            parent_names: row.try_get("parent_names")?,
            unread_partition_schemas: row.try_get("unread_partition_schemas")?,
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ColumnRow {
    pub(crate) relation: i64,
    pub(crate) position: i16,
    pub(crate) name: String,
    pub(crate) type_oid: i64,
    pub(crate) typmod: i32,
    /// `format_type()` of the column's type and modifier.
    pub(crate) type_name: String,
    pub(crate) not_null: bool,
    /// Declared by the table itself, not (only) inherited from a parent.
    pub(crate) is_local: bool,
    /// `a` always, `d` by default, empty when not an identity column.
    pub(crate) identity: String,
    /// `s` stored, `v` virtual, empty when not generated.
    pub(crate) generated: String,
    pub(crate) default_sql: Option<String>,
    /// The sequence the default expression depends on.
    pub(crate) default_sequence: Option<i64>,
    pub(crate) collation_oid: i64,
    /// The collation, when not the type's default.
    pub(crate) collation: Option<String>,
    pub(crate) custom_storage: bool,
    pub(crate) options: Vec<String>,
    /// `ALTER COLUMN ... SET STATISTICS`; -1 when not set.
    pub(crate) statistics_target: i32,
    pub(crate) comment: Option<String>,
}

impl CatalogRow for ColumnRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            relation: row.try_get("relation")?,
            position: row.try_get("position")?,
            name: row.try_get("name")?,
            type_oid: row.try_get("type_oid")?,
            typmod: row.try_get("typmod")?,
            type_name: row.try_get("type_name")?,
            not_null: row.try_get("not_null")?,
            is_local: row.try_get("is_local")?,
            identity: row.try_get("identity")?,
            generated: row.try_get("generated")?,
            default_sql: row.try_get("default_sql")?,
            default_sequence: row.try_get("default_sequence")?,
            collation_oid: row.try_get("collation_oid")?,
            collation: row.try_get("collation")?,
            custom_storage: row.try_get("custom_storage")?,
            options: row.try_get("options")?,
            statistics_target: row.try_get("statistics_target")?,
            comment: row.try_get("comment")?,
        })
    }
}

#[derive(Debug)]
pub(crate) struct TypeRow {
    pub(crate) oid: i64,
    pub(crate) schema: String,
    pub(crate) name: String,
    /// `format_type(oid, NULL)`.
    pub(crate) formatted: String,
    /// `b` base, `c` composite, `d` domain, `e` enum, `r` range, `m`
    /// multirange, `p` pseudo.
    pub(crate) kind: String,
    pub(crate) category: String,
    pub(crate) element: i64,
    /// A domain's base type; a range's subtype.
    pub(crate) base: i64,
    pub(crate) base_typmod: i32,
    pub(crate) base_formatted: Option<String>,
    pub(crate) not_null: bool,
    pub(crate) default_sql: Option<String>,
    pub(crate) labels: Option<Vec<String>>,
    pub(crate) checks: Option<Vec<String>>,
    pub(crate) attribute_names: Vec<String>,
    pub(crate) attribute_types: Vec<i64>,
    pub(crate) attribute_typmods: Vec<i32>,
    pub(crate) attribute_formatted: Vec<String>,
    /// In a requested schema and not created by an extension.
    pub(crate) defined_here: bool,
    /// A domain's collation, when not its base type's.
    pub(crate) collation: Option<String>,
    pub(crate) comment: Option<String>,
    /// The `CREATE TYPE` of a composite or range type, as pg_dump writes it.
    pub(crate) definition: Option<String>,
}

impl CatalogRow for TypeRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            oid: row.try_get("oid")?,
            schema: row.try_get("schema")?,
            name: row.try_get("name")?,
            formatted: row.try_get("formatted")?,
            kind: row.try_get("kind")?,
            category: row.try_get("category")?,
            element: row.try_get("element")?,
            base: row.try_get("base")?,
            base_typmod: row.try_get("base_typmod")?,
            base_formatted: row.try_get("base_formatted")?,
            not_null: row.try_get("not_null")?,
            default_sql: row.try_get("default_sql")?,
            labels: row.try_get("labels")?,
            checks: row.try_get("checks")?,
            attribute_names: row.try_get("attribute_names")?,
            attribute_types: row.try_get("attribute_types")?,
            attribute_typmods: row.try_get("attribute_typmods")?,
            attribute_formatted: row.try_get("attribute_formatted")?,
            defined_here: row.try_get("defined_here")?,
            collation: row.try_get("collation")?,
            comment: row.try_get("comment")?,
            definition: row.try_get("definition")?,
        })
    }
}

#[derive(Debug)]
pub(crate) struct ConstraintRow {
    pub(crate) name: String,
    /// `p`, `u`, `f`, `c`, `x` (exclusion) or `t` (constraint trigger).
    pub(crate) kind: String,
    pub(crate) relation: i64,
    pub(crate) referenced: i64,
    /// The referenced table as `regclass` prints it (qualified when not in
    /// the first schema).
    pub(crate) referenced_name: Option<String>,
    pub(crate) columns: Vec<i16>,
    pub(crate) referenced_columns: Vec<i16>,
    pub(crate) on_update: String,
    pub(crate) on_delete: String,
    /// `f` full, `p` partial, `s` simple.
    pub(crate) match_type: String,
    pub(crate) deferrable: bool,
    pub(crate) deferred: bool,
    pub(crate) validated: bool,
    /// `false` for a `NOT ENFORCED` check or foreign key (PostgreSQL 18).
    pub(crate) enforced: bool,
    pub(crate) no_inherit: bool,
    /// Declared on this table, not (only) inherited from a parent.
    pub(crate) is_local: bool,
    pub(crate) index_oid: i64,
    pub(crate) check_sql: Option<String>,
    pub(crate) definition: Option<String>,
    pub(crate) comment: Option<String>,
}

impl CatalogRow for ConstraintRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            name: row.try_get("name")?,
            kind: row.try_get("kind")?,
            relation: row.try_get("relation")?,
            referenced: row.try_get("referenced")?,
            referenced_name: row.try_get("referenced_name")?,
            columns: row.try_get("columns")?,
            referenced_columns: row.try_get("referenced_columns")?,
            on_update: row.try_get("on_update")?,
            on_delete: row.try_get("on_delete")?,
            match_type: row.try_get("match_type")?,
            deferrable: row.try_get("deferrable")?,
            deferred: row.try_get("deferred")?,
            validated: row.try_get("validated")?,
            enforced: row.try_get("enforced")?,
            no_inherit: row.try_get("no_inherit")?,
            is_local: row.try_get("is_local")?,
            index_oid: row.try_get("index_oid")?,
            check_sql: row.try_get("check_sql")?,
            definition: row.try_get("definition")?,
            comment: row.try_get("comment")?,
        })
    }
}

#[derive(Debug)]
pub(crate) struct IndexRow {
    pub(crate) oid: i64,
    pub(crate) name: String,
    pub(crate) relation: i64,
    pub(crate) method: String,
    pub(crate) is_unique: bool,
    pub(crate) is_valid: bool,
    pub(crate) key_count: i16,
    /// Column numbers of the keys then the `INCLUDE` columns; 0 for an expression.
    pub(crate) columns: Vec<i16>,
    /// Per key: bit 0 `DESC`, bit 1 `NULLS FIRST`.
    pub(crate) key_options: Vec<i16>,
    pub(crate) predicate: Option<String>,
    pub(crate) backs_constraint: bool,
    /// A partition's copy of its parent's index.
    pub(crate) is_inherited: bool,
    pub(crate) nulls_not_distinct: Option<bool>,
    pub(crate) options: Vec<String>,
    pub(crate) collations: Vec<i64>,
    pub(crate) collation_names: Vec<String>,
    pub(crate) default_opclasses: Vec<bool>,
    pub(crate) opclasses: Vec<String>,
    /// Per key: the expression's text, empty for a column.
    pub(crate) expressions: Vec<String>,
    pub(crate) comment: Option<String>,
}

impl CatalogRow for IndexRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        let mut index = Self {
            oid: row.try_get("oid")?,
            name: row.try_get("name")?,
            relation: row.try_get("relation")?,
            method: row.try_get("method")?,
            is_unique: row.try_get("is_unique")?,
            is_valid: row.try_get("is_valid")?,
            key_count: row.try_get("key_count")?,
            columns: row.try_get("columns")?,
            key_options: row.try_get("key_options")?,
            predicate: row.try_get("predicate")?,
            backs_constraint: row.try_get("backs_constraint")?,
            is_inherited: row.try_get("is_inherited")?,
            nulls_not_distinct: row.try_get("nulls_not_distinct")?,
            options: row.try_get("options")?,
            collations: row
                .try_get::<Option<Vec<i64>>, _>("collations")?
                .unwrap_or_default(),
            collation_names: row
                .try_get::<Option<Vec<String>>, _>("collation_names")?
                .unwrap_or_default(),
            default_opclasses: row
                .try_get::<Option<Vec<bool>>, _>("default_opclasses")?
                .unwrap_or_default(),
            opclasses: row
                .try_get::<Option<Vec<String>>, _>("opclasses")?
                .unwrap_or_default(),
            expressions: row
                .try_get::<Option<Vec<String>>, _>("expressions")?
                .unwrap_or_default(),
            comment: row.try_get("comment")?,
        };
        // An expression key's collation is kept only where the definition
        // writes it: the server leaves out the expression's own, as `pg_dump`
        // does. (The query reads the definition only of an index with a
        // collated expression key: printing and parsing every index's was
        // a third of a large schema's introspection.)
        let definition: Option<String> = row.try_get("definition")?;
        let written = definition
            .as_deref()
            .map(written_key_collations)
            .unwrap_or_default();
        for (key, name) in index.collation_names.iter_mut().enumerate() {
            if index.columns.get(key) == Some(&0) && written.get(key).is_none_or(Option::is_none) {
                name.clear();
            }
        }
        Ok(index)
    }
}

/// The collation each key of a `CREATE INDEX` statement writes (`None`
/// for a key without `COLLATE`); empty when the statement does not parse.
fn written_key_collations(definition: &str) -> Vec<Option<String>> {
    match sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, definition).as_deref() {
        Ok([sqlparser::ast::Statement::CreateIndex(index)]) => index
            .columns
            .iter()
            .map(|part| collated_key(&part.column.expr).1)
            .collect(),
        _ => Vec::new(),
    }
}

/// An index key without its top-level `COLLATE`, and that collation's
/// name as the catalog holds it (`pg_catalog."C"` is `C`).
pub(crate) fn collated_key(expr: &sqlparser::ast::Expr) -> (&sqlparser::ast::Expr, Option<String>) {
    match expr {
        sqlparser::ast::Expr::Collate { expr, collation } => (
            expr,
            collation.0.last().map(|part| {
                part.as_ident()
                    .map_or_else(|| part.to_string(), |ident| ident.value.clone())
            }),
        ),
        other => (other, None),
    }
}

#[derive(Debug)]
pub(crate) struct TriggerRow {
    pub(crate) relation: i64,
    pub(crate) table_schema: String,
    pub(crate) table_name: String,
    pub(crate) name: String,
    /// The function it calls.
    pub(crate) function: i64,
    pub(crate) definition: String,
    pub(crate) comment: Option<String>,
}

impl CatalogRow for TriggerRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            relation: row.try_get("relation")?,
            table_schema: row.try_get("table_schema")?,
            table_name: row.try_get("table_name")?,
            name: row.try_get("name")?,
            function: row.try_get("function")?,
            definition: row.try_get("definition")?,
            comment: row.try_get("comment")?,
        })
    }
}

#[derive(Debug)]
pub(crate) struct RoutineRow {
    pub(crate) oid: i64,
    pub(crate) schema: String,
    pub(crate) name: String,
    /// `f` function, `p` procedure, `a` aggregate, `w` window function.
    pub(crate) kind: String,
    pub(crate) arguments: String,
    /// The statement that creates it (the catalog query prints every kind).
    pub(crate) definition: Option<String>,
    pub(crate) comment: Option<String>,
}

impl CatalogRow for RoutineRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            oid: row.try_get("oid")?,
            schema: row.try_get("schema")?,
            name: row.try_get("name")?,
            kind: row.try_get("kind")?,
            arguments: row.try_get("arguments")?,
            definition: row.try_get("definition")?,
            comment: row.try_get("comment")?,
        })
    }
}

/// An object kept as its statement (`collation`, `policy`, `rule`,
/// `statistics`, `event trigger`: see [`ObjectKind`]), or one the manifest
/// does not carry (`cast`, `publication`, ...), which has no definition.
#[derive(Debug)]
pub(crate) struct OtherObjectRow {
    pub(crate) kind: String,
    /// Its [`EngineObject::name`].
    pub(crate) name: String,
    /// The table it is on (policies, rules, statistics).
    pub(crate) relation: Option<i64>,
    /// The tables a publication publishes.
    pub(crate) tables: Vec<i64>,
    /// The function it calls (event triggers).
    pub(crate) function: Option<i64>,
    /// Other objects of this query it uses, by [`EngineObject::key`] (the
    /// dictionaries of a text search configuration); those the manifest
    /// does not carry are left out of `depends_on`.
    pub(crate) uses: Vec<String>,
    /// The statement that creates it, as pg_dump writes it.
    pub(crate) definition: Option<String>,
    pub(crate) comment: Option<String>,
}

impl CatalogRow for OtherObjectRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            kind: row.try_get("kind")?,
            name: row.try_get("name")?,
            relation: row.try_get("relation")?,
            tables: row.try_get("tables")?,
            function: row.try_get("function")?,
            uses: row.try_get("uses")?,
            definition: row.try_get("definition")?,
            comment: row.try_get("comment")?,
        })
    }
}

#[derive(Debug)]
pub(crate) struct PolicyRow {
    pub(crate) relation: i64,
    pub(crate) name: String,
    /// Its comment holds its fingerprint (`rules::rls::FINGERPRINT`): as
    /// `migrate` made it.
    pub(crate) intact: bool,
}

impl CatalogRow for PolicyRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            relation: row.try_get("relation")?,
            name: row.try_get("name")?,
            intact: row.try_get("intact")?,
        })
    }
}

#[derive(Debug)]
pub(crate) struct SequenceRow {
    pub(crate) oid: i64,
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) type_name: String,
    pub(crate) start: i64,
    pub(crate) increment: i64,
    pub(crate) minimum: i64,
    pub(crate) maximum: i64,
    pub(crate) cache: i64,
    pub(crate) cycle: bool,
    pub(crate) owner_relation: Option<i64>,
    pub(crate) owner_column: Option<i32>,
    /// `a` owned by a column (serial, `OWNED BY`), `i` identity.
    pub(crate) ownership: Option<String>,
    pub(crate) comment: Option<String>,
}

impl CatalogRow for SequenceRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            oid: row.try_get("oid")?,
            schema: row.try_get("schema")?,
            name: row.try_get("name")?,
            type_name: row.try_get("type_name")?,
            start: row.try_get("start")?,
            increment: row.try_get("increment")?,
            minimum: row.try_get("minimum")?,
            maximum: row.try_get("maximum")?,
            cache: row.try_get("cache")?,
            cycle: row.try_get("cycle")?,
            owner_relation: row.try_get("owner_relation")?,
            owner_column: row.try_get("owner_column")?,
            ownership: row.try_get("ownership")?,
            comment: row.try_get("comment")?,
        })
    }
}

#[derive(Debug)]
pub(crate) struct ExtensionRow {
    pub(crate) name: String,
    /// `None` for the server's default version.
    pub(crate) version: Option<String>,
    pub(crate) schema: String,
}

impl CatalogRow for ExtensionRow {
    fn decode(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            name: row.try_get("name")?,
            version: row.try_get("version")?,
            schema: row.try_get("schema")?,
        })
    }
}

// ---------------------------------------------------------------------------
// Rows → manifest

/// Deeper nesting of arrays, domains and composite types than this is read
/// as `native` (PostgreSQL forbids cycles; this only bounds the work).
const MAX_TYPE_DEPTH: usize = 32;

/// Manifest names: objects of the first schema keep their own name; those
/// of the other schemas are written `schema.name`.
struct Naming<'a> {
    first: &'a str,
}

impl Naming<'_> {
    fn name(&self, schema: &str, name: &str) -> String {
        if schema == self.first {
            name.to_owned()
        } else {
            format!("{schema}.{name}")
        }
    }

    fn schema(&self, schema: &str) -> Option<String> {
        (schema != self.first).then(|| schema.to_owned())
    }
}

/// Lookups over the catalog rows, built once, keyed by object id.
struct Lookups<'a> {
    naming: Naming<'a>,
    relations: HashMap<i64, &'a RelationRow>,
    /// The entity name of every relation that becomes an entity.
    entity_names: HashMap<i64, String>,
    columns: HashMap<i64, Vec<&'a ColumnRow>>,
    column_rows: HashMap<(i64, i16), &'a ColumnRow>,
    constraints: HashMap<i64, Vec<&'a ConstraintRow>>,
    indexes: HashMap<i64, Vec<&'a IndexRow>>,
    indexes_by_oid: HashMap<i64, &'a IndexRow>,
    /// Columns whose `nextval(...)` default is written `generated = "serial"`,
    /// with the sequence it calls.
    serial_columns: HashMap<(i64, i16), &'a SequenceRow>,
    /// The sequence of each identity column.
    identity_sequences: HashMap<(i64, i16), &'a SequenceRow>,
}

impl<'a> Lookups<'a> {
    fn new(catalog: &'a Catalog, naming: Naming<'a>) -> Self {
        let relations: HashMap<i64, &RelationRow> =
            catalog.relations.iter().map(|r| (r.oid, r)).collect();
        let entity_names = catalog
            .relations
            .iter()
            .filter(|relation| is_entity(relation))
            .map(|relation| (relation.oid, naming.name(&relation.schema, &relation.name)))
            .collect();
        let mut columns: HashMap<i64, Vec<&ColumnRow>> = HashMap::new();
        let mut column_rows = HashMap::with_capacity(catalog.columns.len());
        for column in &catalog.columns {
            columns.entry(column.relation).or_default().push(column);
            column_rows.insert((column.relation, column.position), column);
        }
        let mut constraints: HashMap<i64, Vec<&ConstraintRow>> = HashMap::new();
        for constraint in &catalog.constraints {
            constraints
                .entry(constraint.relation)
                .or_default()
                .push(constraint);
        }
        let mut indexes: HashMap<i64, Vec<&IndexRow>> = HashMap::new();
        for index in &catalog.indexes {
            indexes.entry(index.relation).or_default().push(index);
        }
        let indexes_by_oid = catalog.indexes.iter().map(|i| (i.oid, i)).collect();
        let identity_sequences = catalog
            .sequences
            .iter()
            .filter(|sequence| sequence.ownership.as_deref() == Some("i"))
            .filter_map(|sequence| {
                let relation = sequence.owner_relation?;
                let position = i16::try_from(sequence.owner_column?).ok()?;
                Some(((relation, position), sequence))
            })
            .collect();
        let mut lookups = Self {
            naming,
            relations,
            entity_names,
            columns,
            column_rows,
            constraints,
            indexes,
            indexes_by_oid,
            serial_columns: HashMap::new(),
            identity_sequences,
        };
        lookups.serial_columns = serial_columns(catalog, &lookups);
        lookups
    }

    /// The names of columns `positions` of `relation`; `None` when one is
    /// not a column the catalog listed.
    fn column_list(&self, relation: i64, positions: &[i16]) -> Option<Vec<String>> {
        positions
            .iter()
            .map(|position| {
                self.column_rows
                    .get(&(relation, *position))
                    .map(|column| column.name.clone())
            })
            .collect()
    }

    /// The entity `relation` is, or, for a partition, the entity of the
    /// partitioned table it belongs to.
    fn owning_entity(&self, relation: i64) -> Option<&String> {
        let mut at = relation;
        for _ in 0..MAX_TYPE_DEPTH {
            if let Some(name) = self.entity_names.get(&at) {
                return Some(name);
            }
            let row = self.relations.get(&at)?;
            if !row.is_partition {
                return None;
            }
            at = *row.parents.first()?;
        }
        None
    }

    /// How the ledger names a relation: its entity name, or `schema.name`
    /// as the manifest would write it.
    fn object_name(&self, relation: i64) -> String {
        match (
            self.entity_names.get(&relation),
            self.relations.get(&relation),
        ) {
            (Some(name), _) => name.clone(),
            (None, Some(row)) => self.naming.name(&row.schema, &row.name),
            (None, None) => format!("relation {relation}"),
        }
    }
}

/// The tables `relation` inherits from (`INHERITS`), in order, when each
/// is an entity of the manifest; none for a partition, nor when one is not
/// (a table of a schema not read, a foreign table): the ledger says so and
/// the table is planned as a plain table, its columns in their order.
fn read_parents<'r>(
    relation: &'r RelationRow,
    lookups: &'r Lookups<'_>,
) -> impl Iterator<Item = i64> + 'r {
    let all_read = !relation.is_partition
        && relation
            .parents
            .iter()
            .all(|parent| lookups.entity_names.contains_key(parent));
    relation.parents.iter().copied().filter(move |_| all_read)
}

fn is_entity(relation: &RelationRow) -> bool {
    !relation.is_partition && matches!(relation.kind.as_str(), "r" | "p" | "v" | "m")
}

/// Decides which `nextval(...)` defaults are written `generated = "serial"`:
/// those on an integer column calling a sequence that the column owns (what
/// `serial` creates), or a sequence nobody owns that no other column calls
/// (what `pg_dump` of an old or hand-written schema often leaves, pagila
/// among them; the ledger says so). Any other `nextval` stays an SQL default.
fn serial_columns<'c>(
    catalog: &'c Catalog,
    lookups: &Lookups<'_>,
) -> HashMap<(i64, i16), &'c SequenceRow> {
    let types: HashMap<i64, &TypeRow> = catalog.types.iter().map(|t| (t.oid, t)).collect();
    let sequences: HashMap<i64, &SequenceRow> =
        catalog.sequences.iter().map(|s| (s.oid, s)).collect();
    let mut users: HashMap<i64, Vec<&ColumnRow>> = HashMap::new();
    for column in &catalog.columns {
        if let (Some(sequence), Some(sql)) = (column.default_sequence, &column.default_sql)
            && lookups.entity_names.contains_key(&column.relation)
            && column.identity.is_empty()
            && column.generated.is_empty()
            && is_nextval_call(sql)
        {
            users.entry(sequence).or_default().push(column);
        }
    }
    let mut serial = HashMap::new();
    for (sequence_oid, columns) in users {
        let Some(sequence) = sequences.get(&sequence_oid) else {
            continue;
        };
        for column in &columns {
            let owned_here = sequence.ownership.as_deref() == Some("a")
                && sequence.owner_relation == Some(column.relation)
                && sequence.owner_column == Some(i32::from(column.position));
            let unowned_alone = sequence.ownership.is_none() && columns.len() == 1;
            // A plan names a serial column's sequence `table_column_seq`
            // in the table's schema (its table renamed since, or named by
            // hand, it is not).
            let named_so = lookups
                .relations
                .get(&column.relation)
                .is_some_and(|table| {
                    sequence.schema == table.schema
                        && sequence.name == default_name(&table.name, Some(&column.name), "seq")
                });
            // A sequence with options or a name of its own is carried as an
            // engine object and the column keeps its `nextval(...)` default.
            if (owned_here || unowned_alone)
                && named_so
                && sequence_options(sequence).is_none()
                && is_integer_type(&types, column.type_oid)
            {
                serial.insert((column.relation, column.position), *sequence);
            }
        }
    }
    serial
}

/// `smallint`, `integer`, `bigint`, or a domain over one of them.
fn is_integer_type(types: &HashMap<i64, &TypeRow>, oid: i64) -> bool {
    let mut oid = oid;
    for _ in 0..MAX_TYPE_DEPTH {
        let Some(ty) = types.get(&oid) else {
            return false;
        };
        match ty.kind.as_str() {
            "d" => oid = ty.base,
            "b" => {
                return ty.schema == "pg_catalog"
                    && matches!(ty.name.as_str(), "int2" | "int4" | "int8");
            }
            _ => return false,
        }
    }
    false
}

/// A portable field for a type, and whether a domain on the way forbids null.
struct Resolved {
    field: Field,
    not_null: bool,
}

impl Resolved {
    fn native(formatted: &str) -> Self {
        let mut field = Field::new(FieldType::Native);
        field.native = Some(formatted.to_owned());
        Self {
            field,
            not_null: false,
        }
    }
}

/// Turns PostgreSQL types into portable fields, and remembers what it met
/// on the way for the ledger.
struct TypeResolver<'a> {
    types: HashMap<i64, &'a TypeRow>,
    enum_names: HashMap<i64, String>,
    /// Every type a column used, directly or inside another.
    used: BTreeSet<i64>,
    /// Composite types written as `native` rather than `object`.
    native_composites: BTreeSet<i64>,
    /// Columns' types, resolved once per type and modifier: a schema has
    /// thousands of columns but a few dozen distinct types.
    cache: HashMap<(i64, i32), (Field, bool)>,
}

impl TypeResolver<'_> {
    /// The field for a column's type (see [`Self::resolve`]), from the cache
    /// when the same type and modifier were seen before.
    fn column_type(&mut self, oid: i64, typmod: i32, formatted: &str) -> Resolved {
        if let Some((field, not_null)) = self.cache.get(&(oid, typmod)) {
            return Resolved {
                field: field.clone(),
                not_null: *not_null,
            };
        }
        let resolved = self.resolve(oid, typmod, formatted, 0);
        self.cache
            .insert((oid, typmod), (resolved.field.clone(), resolved.not_null));
        resolved
    }

    /// The field for type `oid` with modifier `typmod`, which `format_type()`
    /// prints as `formatted`.
    fn resolve(&mut self, oid: i64, typmod: i32, formatted: &str, depth: usize) -> Resolved {
        self.used.insert(oid);
        let Some(ty) = self.types.get(&oid).copied() else {
            return Resolved::native(formatted);
        };
        if depth > MAX_TYPE_DEPTH {
            return Resolved::native(formatted);
        }
        if ty.category == "A" && ty.element != 0 && ty.name.starts_with('_') {
            let element_formatted = match formatted.strip_suffix("[]") {
                Some(element) => element.to_owned(),
                None => self
                    .types
                    .get(&ty.element)
                    .map_or_else(|| formatted.to_owned(), |element| element.formatted.clone()),
            };
            let items = self.resolve(ty.element, typmod, &element_formatted, depth + 1);
            let mut field = Field::new(FieldType::Array);
            field.items = Some(Box::new(items.field));
            pin_native(&mut field, formatted);
            return Resolved {
                field,
                not_null: false,
            };
        }
        match ty.kind.as_str() {
            "d" => {
                let base_formatted = ty.base_formatted.clone().unwrap_or_default();
                let mut resolved =
                    self.resolve(ty.base, ty.base_typmod, &base_formatted, depth + 1);
                // The column's type is the domain: name it.
                resolved.field.native = Some(formatted.to_owned());
                resolved.not_null |= ty.not_null;
                resolved
            }
            "e" => match self.enum_names.get(&oid) {
                Some(name) => {
                    let mut field = Field::new(FieldType::Enum);
                    field.enum_name = Some(name.clone());
                    pin_native(&mut field, formatted);
                    Resolved {
                        field,
                        not_null: false,
                    }
                }
                // An enum without values: the manifest cannot declare it.
                None => Resolved::native(formatted),
            },
            "c" => self.composite(ty, formatted, depth),
            "b" if ty.schema == "pg_catalog" => Resolved {
                field: builtin_field(&ty.name, typmod, formatted),
                not_null: false,
            },
            _ => Resolved::native(formatted),
        }
    }

    /// A composite type: an `object` with its attributes as nested fields
    /// when each of them has a portable type, else `native`.
    fn composite(&mut self, ty: &TypeRow, formatted: &str, depth: usize) -> Resolved {
        let mut fields = indexmap::IndexMap::new();
        let mut portable = !ty.attribute_names.is_empty();
        for (index, name) in ty.attribute_names.iter().enumerate() {
            let (Some(oid), Some(typmod), Some(attribute_formatted)) = (
                ty.attribute_types.get(index),
                ty.attribute_typmods.get(index),
                ty.attribute_formatted.get(index),
            ) else {
                portable = false;
                continue;
            };
            let mut child = self
                .resolve(*oid, *typmod, attribute_formatted, depth + 1)
                .field;
            portable &= !contains_native(&child);
            // Attributes of a composite type cannot be declared NOT NULL.
            child.nullable = true;
            fields.insert(name.clone(), child);
        }
        if !portable {
            self.native_composites.insert(ty.oid);
            return Resolved::native(formatted);
        }
        let mut field = Field::new(FieldType::Object);
        field.fields = Some(fields);
        pin_native(&mut field, formatted);
        Resolved {
            field,
            not_null: false,
        }
    }
}

fn contains_native(field: &Field) -> bool {
    field.ty == FieldType::Native
        || field.items.as_deref().is_some_and(contains_native)
        || field
            .fields
            .as_ref()
            .is_some_and(|fields| fields.values().any(contains_native))
}

/// Turns the catalog into a manifest. No I/O.
pub(crate) fn build(catalog: &Catalog, schemas: &[String], progress: &Progress) -> Introspection {
    let first = schemas.first().map_or(DEFAULT_SCHEMA, String::as_str);
    let lookups = Lookups::new(catalog, Naming { first });
    let mut ledger = Ledger::new();
    let mut manifest = Manifest {
        project: Project {
            name: Some(catalog.database.clone()).filter(|name| !name.is_empty()),
        },
        source: Some(Source {
            engine: SourceEngine::Postgres,
            url: None,
            schemas: schemas.to_vec(),
        }),
        ..Manifest::default()
    };

    let mut enum_names = HashMap::new();
    for ty in catalog.types.iter().filter(|ty| ty.kind == "e") {
        let values = ty.labels.clone().unwrap_or_default();
        if values.is_empty() {
            continue;
        }
        let name = lookups.naming.name(&ty.schema, &ty.name);
        enum_names.insert(ty.oid, name.clone());
        manifest.enums.insert(
            name,
            Enum {
                values,
                native: None,
                schema: lookups.naming.schema(&ty.schema),
                comment: ty.comment.clone(),
            },
        );
    }
    let mut resolver = TypeResolver {
        types: catalog.types.iter().map(|ty| (ty.oid, ty)).collect(),
        enum_names,
        used: BTreeSet::new(),
        native_composites: BTreeSet::new(),
        cache: HashMap::new(),
    };

    let mut entities: Vec<(&String, &RelationRow)> = catalog
        .relations
        .iter()
        .filter_map(|relation| {
            lookups
                .entity_names
                .get(&relation.oid)
                .map(|name| (name, relation))
        })
        .collect();
    entities.sort_by(|left, right| left.0.cmp(right.0));
    progress.set_length(entities.len() as u64);
    for (name, relation) in entities {
        let mut entity = build_entity(relation, &lookups, &mut resolver, &mut ledger);
        // Policies made from rules (`[auth] rls = true`) are known by name;
        // one changed by hand since is not the rule's any more.
        entity.policies = catalog
            .policies
            .iter()
            .filter(|policy| {
                policy.relation == relation.oid && is_rule_policy(&policy.name) && policy.intact
            })
            .map(|policy| policy.name.clone())
            .collect();
        entity.policies.sort();
        progress.inc(1);
        if entity.fields.is_empty() && entity.kind == EntityKind::Table {
            // `CREATE TABLE t ()` is valid SQL; an entity needs a field.
            ledger.record(
                name.as_str(),
                "empty_table",
                format!("table `{name}` has no columns; the manifest cannot hold it"),
            );
            continue;
        }
        manifest.entities.insert(name.clone(), entity);
    }

    record_relations(catalog, &lookups, &mut manifest, &mut ledger);
    manifest.postgres = engine_objects(catalog, &lookups, &mut ledger);
    record_objects(catalog, &mut ledger);
    record_sequences(catalog, &lookups, &mut ledger);
    record_types(catalog, &lookups, &resolver, &mut ledger);
    record_access(catalog, schemas, &lookups.naming, &mut ledger);
    Introspection { manifest, ledger }
}

/// One ledger line each for what the manifest does not carry of the
/// objects of `schemas` (ownership, privileges, tablespaces: a plan's
/// objects belong to the role that applies it, with the default
/// privileges, in the default tablespace): the objects with privileges of
/// their own, the owners when there are several, each tablespace's
/// objects.
fn record_access(catalog: &Catalog, schemas: &[String], naming: &Naming<'_>, ledger: &mut Ledger) {
    let mut granted: BTreeSet<(&str, String)> = BTreeSet::new();
    let mut owners: BTreeMap<&str, BTreeSet<(&str, String)>> = BTreeMap::new();
    let mut tablespaces: BTreeMap<&str, BTreeSet<(&str, String)>> = BTreeMap::new();
    for row in &catalog.access {
        if !schemas.contains(&row.schema) {
            continue;
        }
        let object = (row.kind.as_str(), naming.name(&row.schema, &row.name));
        match row.what.as_str() {
            "privileges" => {
                granted.insert(object);
            }
            "owner" => {
                owners.entry(&row.detail).or_default().insert(object);
            }
            "tablespace" => {
                tablespaces.entry(&row.detail).or_default().insert(object);
            }
            _ => {}
        }
    }
    if !granted.is_empty() {
        ledger.record(
            "privileges",
            "privileges",
            format!(
                "privileges granted or revoked (`GRANT`, `REVOKE`) on {} are not carried: a \
                 plan grants nothing beyond the defaults; grant them in a migration of your own",
                objects_named(&granted)
            ),
        );
    }
    if owners.len() > 1 {
        let roles: Vec<String> = owners
            .iter()
            .map(|(role, objects)| format!("`{role}` ({})", objects.len()))
            .collect();
        ledger.record(
            "owners",
            "ownership",
            format!(
                "the objects read have {} owners, {}: ownership is not carried, a plan's \
                 objects are owned by the role that applies it",
                roles.len(),
                roles.join(", ")
            ),
        );
    }
    for (tablespace, objects) in tablespaces {
        ledger.record(
            format!("tablespace {tablespace}"),
            "tablespace",
            format!(
                "tablespace `{tablespace}` holds {}: tablespaces are not carried, a plan \
                 makes them in the database's default tablespace",
                objects_named(&objects)
            ),
        );
    }
}

/// `2 tables (\`a\`, \`b\`), function \`f\``: objects by kind, the first
/// few of each named.
fn objects_named(objects: &BTreeSet<(&str, String)>) -> String {
    const NAMED: usize = 5;
    let mut by_kind: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (kind, name) in objects {
        by_kind.entry(kind).or_default().push(name);
    }
    let parts: Vec<String> = by_kind
        .into_iter()
        .map(|(kind, names)| {
            let mut shown: Vec<String> = names
                .iter()
                .take(NAMED)
                .map(|name| format!("`{name}`"))
                .collect();
            if names.len() > NAMED {
                shown.push(format!("{} more", names.len() - NAMED));
            }
            match names.len() {
                1 => format!("{kind} {}", shown[0]),
                n if kind == "index" => format!("{n} indexes ({})", shown.join(", ")),
                n => format!("{n} {kind}s ({})", shown.join(", ")),
            }
        })
        .collect();
    parts.join(", ")
}

fn build_entity(
    relation: &RelationRow,
    lookups: &Lookups<'_>,
    resolver: &mut TypeResolver<'_>,
    ledger: &mut Ledger,
) -> Entity {
    let object = lookups.object_name(relation.oid);
    let table = relation.name.as_str();
    let mut entity = Entity::new(table);
    entity.schema = lookups.naming.schema(&relation.schema);
    entity.kind = match relation.kind.as_str() {
        "v" => EntityKind::View,
        "m" => EntityKind::MaterializedView,
        _ => EntityKind::Table,
    };
    entity.comment = relation.comment.clone();
    entity.definition = relation.definition.as_deref().map(view_query);
    entity.row_level_security = relation.row_security;
    entity.force_row_level_security = relation.force_row_security;
    if !relation.unrepresented.is_empty() {
        ledger.record(
            object.as_str(),
            "table_options",
            format!(
                "`{table}` has {}; the manifest cannot say so",
                relation.unrepresented.join(", ")
            ),
        );
    }
    record_unread_partitions(&object, relation, ledger);
    entity.unlogged = relation.persistence == "u";
    entity.replica_identity = relation.replica_identity.clone();
    entity.cluster_on = relation.cluster_on.clone();
    entity.partition_by = relation.partition_key.clone();
    if entity.kind == EntityKind::Table {
        entity.storage_parameters = relation.options.clone();
    } else if !relation.options.is_empty() {
        let (kind, what) = match entity.kind {
            EntityKind::View => ("view_options", "view options"),
            _ => ("storage_options", "storage parameters"),
        };
        // Views and materialized views.
        ledger.record(
            object.as_str(),
            kind,
            format!(
                "the {what} of `{table}` ({}) are not represented",
                relation.options.join(", ")
            ),
        );
    }

    entity.inherits = read_parents(relation, lookups)
        .filter_map(|parent| lookups.entity_names.get(&parent).cloned())
        .collect();
    for column in lookups.columns.get(&relation.oid).into_iter().flatten() {
        let mut field = build_field(column, lookups, resolver);
        field.inherited = !column.is_local
            && read_parents(relation, lookups).any(|parent| {
                lookups
                    .columns
                    .get(&parent)
                    .is_some_and(|columns| columns.iter().any(|c| c.name == column.name))
            });
        let what = column_details(column);
        if !what.is_empty() {
            ledger.record(
                format!("{object}.{}", column.name),
                "column_options",
                format!(
                    "column `{}` has {}, which the manifest cannot represent",
                    column.name,
                    what.join(" and ")
                ),
            );
        }
        entity.fields.insert(column.name.clone(), field);
    }

    let mut constraints: Vec<&ConstraintRow> = lookups
        .constraints
        .get(&relation.oid)
        .map(|rows| rows.to_vec())
        .unwrap_or_default();
    constraints.sort_by(|left, right| left.name.cmp(&right.name));
    for constraint in constraints {
        add_constraint(&mut entity, &object, relation, constraint, lookups, ledger);
    }

    let mut indexes: Vec<&IndexRow> = lookups
        .indexes
        .get(&relation.oid)
        .map(|rows| rows.to_vec())
        .unwrap_or_default();
    indexes.sort_by(|left, right| left.name.cmp(&right.name));
    for index in indexes {
        if index.backs_constraint {
            continue;
        }
        if let Some(index) = build_index(&object, relation, index, lookups, ledger) {
            entity.indexes.push(index);
        }
    }
    entity
}

/// What a column has that the manifest cannot say: a storage mode, options
/// and a statistics target of its own.
/// The partitions of `relation` in schemas not read (GitLab keeps them in
/// schemas of their own): the manifest has them only when those schemas
/// are read, and a plan makes the table without them.
fn record_unread_partitions(object: &str, relation: &RelationRow, ledger: &mut Ledger) {
    let mut schemas = relation.unread_partition_schemas.clone();
    let count = schemas.len();
    if count == 0 {
        return;
    }
    schemas.sort_unstable();
    schemas.dedup();
    let (partitions, them) = if count == 1 {
        ("1 partition".to_owned(), "it")
    } else {
        (format!("{count} partitions"), "them")
    };
    let (in_schemas, which) = if schemas.len() == 1 {
        ("schema", "which is")
    } else {
        ("schemas", "which are")
    };
    ledger.record(
        object,
        "partition",
        format!(
            "`{}` has {partitions} in {in_schemas} {}, {which} not read: a plan makes the table without {them}; pass {} to read {them}",
            relation.name,
            quoted_list(&schemas),
            schemas
                .iter()
                .map(|s| format!("`--schema {s}`"))
                .collect::<Vec<_>>()
                .join(" "),
        ),
    );
}

fn column_details(column: &ColumnRow) -> Vec<String> {
    let mut what = Vec::new();
    if column.custom_storage {
        what.push("a non-default `STORAGE`".to_owned());
    }
    if !column.options.is_empty() {
        what.push(format!("options ({})", column.options.join(", ")));
    }
    if column.statistics_target >= 0 {
        what.push(format!(
            "a statistics target ({})",
            column.statistics_target
        ));
    }
    what
}

/// What a partition has of its own that the manifest cannot say: its
/// table options, comment, row-level security, `UNLOGGED`, storage
/// parameters, and columns that differ from its parent's (order, defaults,
/// `NOT NULL`, comments, storage). A dropped column leaves nothing to say.
fn record_partition_details(child: &RelationRow, lookups: &Lookups<'_>, ledger: &mut Ledger) {
    let object = lookups.object_name(child.oid);
    let table = child.name.as_str();
    let mut what = child.unrepresented.clone();
    if let Some(identity) = &child.replica_identity {
        what.push(format!("replica identity `{identity}`"));
    }
    if let Some(index) = &child.cluster_on {
        what.push(format!("a `CLUSTER ON` index (`{index}`)"));
    }
    if child.persistence == "u" {
        what.push("`UNLOGGED`".to_owned());
    }
    if !child.options.is_empty() {
        what.push(format!("storage parameters ({})", child.options.join(", ")));
    }
    if child.row_security {
        what.push("row-level security enabled".to_owned());
    }
    if child.force_row_security {
        what.push("`FORCE ROW LEVEL SECURITY`".to_owned());
    }
    if let Some(comment) = &child.comment {
        what.push(format!("a comment ({comment:?})"));
    }
    let columns = lookups.columns.get(&child.oid).cloned().unwrap_or_default();
    let parent_columns = child
        .parents
        .first()
        .and_then(|parent| lookups.columns.get(parent))
        .cloned()
        .unwrap_or_default();
    let names = |columns: &[&ColumnRow]| -> Vec<String> {
        columns.iter().map(|column| column.name.clone()).collect()
    };
    if names(&columns) != names(&parent_columns) {
        what.push(format!(
            "its columns in another order ({})",
            quoted_list(&names(&columns))
        ));
    }
    for column in &columns {
        let name = column.name.as_str();
        let parent = parent_columns.iter().find(|c| c.name == column.name);
        let mut own = column_details(column);
        if let Some(parent) = parent {
            if column.default_sql != parent.default_sql && column.generated == parent.generated {
                own.push(match &column.default_sql {
                    Some(default) => format!("its own default ({default})"),
                    None => "no default".to_owned(),
                });
            }
            let in_own_key = lookups.constraints.get(&child.oid).is_some_and(|rows| {
                rows.iter()
                    .any(|c| c.kind == "p" && c.columns.contains(&column.position))
            });
            if column.not_null && !parent.not_null && !in_own_key {
                own.push("`NOT NULL`".to_owned());
            }
        }
        if let Some(comment) = &column.comment {
            own.push(format!("a comment ({comment:?})"));
        }
        if !own.is_empty() {
            what.push(format!("column `{name}` with {}", own.join(", ")));
        }
    }
    if !what.is_empty() {
        ledger.record(
            object.as_str(),
            "partition",
            format!(
                "partition `{table}` has {}; the manifest cannot say so",
                what.join("; ")
            ),
        );
    }
}

/// A view's query as `pg_get_viewdef` prints it, without the leading
/// space and the final semicolon.
fn view_query(definition: &str) -> String {
    definition
        .trim()
        .trim_end_matches(';')
        .trim_end()
        .to_owned()
}

fn build_field(
    column: &ColumnRow,
    lookups: &Lookups<'_>,
    resolver: &mut TypeResolver<'_>,
) -> Field {
    let resolved = resolver.column_type(column.type_oid, column.typmod, &column.type_name);
    let mut field = resolved.field;
    field.nullable = !(column.not_null || resolved.not_null);
    field.collation = column.collation.clone();
    field.comment = column.comment.clone();
    if !column.identity.is_empty() {
        field.identity_options = lookups
            .identity_sequences
            .get(&(column.relation, column.position))
            .and_then(|sequence| {
                let table = lookups.relations.get(&column.relation)?;
                identity_options(sequence, &table.name, &column.name)
            });
    }
    let own_sequence = lookups
        .identity_sequences
        .get(&(column.relation, column.position))
        .filter(|_| !column.identity.is_empty())
        .or_else(|| {
            lookups
                .serial_columns
                .get(&(column.relation, column.position))
        });
    field.sequence_comment = own_sequence.and_then(|sequence| sequence.comment.clone());
    match (column.identity.as_str(), column.generated.as_str()) {
        ("a", _) => field.generated = Some(Generated::Kind(GeneratedKind::IdentityAlways)),
        ("d", _) => field.generated = Some(Generated::Kind(GeneratedKind::Identity)),
        (_, kind @ ("s" | "v")) => {
            field.generated = Some(Generated::Computed {
                sql: strip_outer_parens(column.default_sql.as_deref().unwrap_or_default())
                    .to_owned(),
                stored: kind == "s",
            });
        }
        _ if lookups
            .serial_columns
            .contains_key(&(column.relation, column.position)) =>
        {
            field.generated = Some(Generated::Kind(GeneratedKind::Serial));
        }
        _ => {
            field.default = column
                .default_sql
                .as_deref()
                .and_then(|sql| parse_default(sql, &field));
        }
    }
    field
}

fn referential_action(code: &str) -> ReferentialAction {
    match code {
        "r" => ReferentialAction::Restrict,
        "c" => ReferentialAction::Cascade,
        "n" => ReferentialAction::SetNull,
        "d" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Primary key, unique, foreign-key, check and exclusion constraints.
fn add_constraint(
    entity: &mut Entity,
    object: &str,
    relation: &RelationRow,
    constraint: &ConstraintRow,
    lookups: &Lookups<'_>,
    ledger: &mut Ledger,
) {
    let table = relation.name.as_str();
    let name = constraint.name.as_str();
    record_constraint_notes(object, constraint, ledger);
    // A check names no key columns, an exclusion constraint's definition
    // says what it is on (expressions too).
    let columns = if matches!(constraint.kind.as_str(), "c" | "x") {
        Some(Vec::new())
    } else {
        lookups.column_list(constraint.relation, &constraint.columns)
    };
    let Some(columns) = columns else {
        ledger.record(
            object,
            "constraint",
            format!("constraint `{name}` is on columns the catalog did not list; left out"),
        );
        return;
    };
    let index = lookups.indexes_by_oid.get(&constraint.index_oid).copied();
    match constraint.kind.as_str() {
        "p" => {
            entity.primary_key = columns;
            entity.primary_key_name =
                (name != default_name(table, None, "pkey")).then(|| name.to_owned());
            record_key_options(object, "primary key", constraint, index, ledger);
            let options = key_options(object, name, index, lookups, ledger);
            entity.primary_key_include = options.include;
            entity.primary_key_with = options.storage_parameters;
            entity.primary_key_comment = constraint.comment.clone();
        }
        "u" => {
            record_key_options(object, "unique constraint", constraint, index, ledger);
            let mut options = key_options(object, name, index, lookups, ledger);
            options.comment = constraint.comment.clone();
            let single_default = match columns.as_slice() {
                [column] if name == default_name(table, Some(column), "key") => {
                    Some(column.clone())
                }
                _ => None,
            };
            match single_default
                .filter(|_| options.is_empty())
                .and_then(|column| entity.fields.get_mut(&column))
            {
                Some(field) if !field.unique => field.unique = true,
                _ => entity.uniques.push(Unique {
                    name: Some(name.to_owned()),
                    fields: columns,
                    options,
                }),
            }
        }
        "f" => {
            if let Some(mut relation) = foreign_key(object, constraint, columns, lookups, ledger) {
                relation.comment = constraint.comment.clone();
                entity.relations.push(relation);
            }
        }
        "c" => entity.checks.push(Check {
            name: Some(name.to_owned()),
            sql: constraint.check_sql.clone().unwrap_or_default(),
            inherited: !constraint.is_local
                && read_parents(relation, lookups).any(|parent| {
                    lookups.constraints.get(&parent).is_some_and(|checks| {
                        checks
                            .iter()
                            .any(|c| c.kind == "c" && c.name == name && !c.no_inherit)
                    })
                }),
            no_inherit: constraint.no_inherit,
            comment: constraint.comment.clone(),
        }),
        "x" => entity.exclusions.push(Exclusion {
            name: name.to_owned(),
            sql: constraint.definition.clone().unwrap_or_default(),
            comment: constraint.comment.clone(),
        }),
        // A not-null constraint (PostgreSQL 18) is the column's `NOT NULL`;
        // its name, the table's own, is not carried. One inherited has
        // its parent's.
        "n" => {
            if let [column] = columns.as_slice()
                && constraint.is_local
            {
                if name != default_name(table, Some(column), "not_null") {
                    ledger.record(
                        format!("{object}.{column}"),
                        "constraint_name",
                        not_null_name_message(column, name),
                    );
                }
                if constraint.no_inherit {
                    ledger.record(
                        format!("{object}.{column}"),
                        "no_inherit",
                        format!(
                            "the not-null constraint of `{column}` is `NO INHERIT` (the tables \
                             that inherit from this one do not have it), which the manifest \
                             cannot say: a plan makes it inherited"
                        ),
                    );
                }
            }
        }
        // Constraint triggers are reported with the triggers.
        _ => {}
    }
}

/// The ledger's message for a not-null constraint named otherwise than
/// the server names it.
pub(crate) fn not_null_name_message(column: &str, name: &str) -> String {
    format!(
        "the not-null constraint of `{column}` is named `{name}`, which the manifest does not \
         carry: a plan leaves the name to the server"
    )
}

/// The ledger's message for a `NOT ENFORCED` constraint (PostgreSQL 18).
pub(crate) fn not_enforced_message(name: &str) -> String {
    format!(
        "constraint `{name}` is `NOT ENFORCED`, which the manifest cannot say: it is read as \
         enforced, and a plan makes it so (which fails while rows break it)"
    )
}

/// That a constraint is `NOT VALID`, and the comment of one the manifest
/// does not list (a constraint trigger's): the manifest cannot say either.
fn record_constraint_notes(object: &str, constraint: &ConstraintRow, ledger: &mut Ledger) {
    let name = constraint.name.as_str();
    if let Some(comment) = &constraint.comment
        && !matches!(constraint.kind.as_str(), "p" | "u" | "f" | "c" | "x")
    {
        ledger.record(
            object,
            "comment",
            format!("the comment on constraint `{name}` is not represented: {comment:?}"),
        );
    }
    if !constraint.enforced {
        // Not enforced, it was not validated either.
        ledger.record(object, "not_enforced", not_enforced_message(name));
    } else if !constraint.validated {
        ledger.record(
            object,
            "not_valid",
            format!(
                "constraint `{name}` is `NOT VALID` (existing rows were not checked); the \
                 manifest cannot say so"
            ),
        );
    }
}

/// What a primary key or unique constraint has that the manifest cannot
/// say: that it is deferrable, that its index is invalid.
fn record_key_options(
    object: &str,
    what: &str,
    constraint: &ConstraintRow,
    index: Option<&IndexRow>,
    ledger: &mut Ledger,
) {
    let name = constraint.name.as_str();
    let mut lost = Vec::new();
    if constraint.deferrable {
        lost.push(if constraint.deferred {
            "is `DEFERRABLE INITIALLY DEFERRED`".to_owned()
        } else {
            "is `DEFERRABLE`".to_owned()
        });
    }
    if index.is_some_and(|index| !index.is_valid) {
        lost.push(INVALID_INDEX.to_owned());
    }
    if !lost.is_empty() {
        ledger.record(
            object,
            "constraint_options",
            format!(
                "{what} `{name}` {}; the manifest cannot say so",
                lost.join(", ")
            ),
        );
    }
}

const INVALID_INDEX: &str = "is invalid (a failed `CREATE INDEX CONCURRENTLY`)";

/// The `INCLUDE` columns, `NULLS NOT DISTINCT` and storage parameters of
/// the index of key constraint `name`.
fn key_options(
    object: &str,
    name: &str,
    index: Option<&IndexRow>,
    lookups: &Lookups<'_>,
    ledger: &mut Ledger,
) -> KeyOptions {
    let Some(index) = index else {
        return KeyOptions::default();
    };
    KeyOptions {
        include: included_columns(object, name, index, lookups, ledger).unwrap_or_default(),
        nulls_not_distinct: index.nulls_not_distinct == Some(true),
        storage_parameters: index.options.clone(),
        comment: None,
    }
}

/// The names of the columns `index` stores beside its keys (`INCLUDE`);
/// `None`, with a ledger line, when the catalog did not list one.
fn included_columns(
    object: &str,
    name: &str,
    index: &IndexRow,
    lookups: &Lookups<'_>,
    ledger: &mut Ledger,
) -> Option<Vec<String>> {
    let key_count = usize::try_from(index.key_count).unwrap_or_default();
    let mut include = Vec::new();
    for position in index.columns.get(key_count..).unwrap_or_default() {
        match lookups.column_rows.get(&(index.relation, *position)) {
            Some(column) => include.push(column.name.clone()),
            None => {
                ledger.record(
                    object,
                    "index",
                    format!("index `{name}` includes a column the catalog did not list; left out"),
                );
                return None;
            }
        }
    }
    Some(include)
}

fn foreign_key(
    object: &str,
    constraint: &ConstraintRow,
    fields: Vec<String>,
    lookups: &Lookups<'_>,
    ledger: &mut Ledger,
) -> Option<Relation> {
    let name = constraint.name.as_str();
    let target = lookups.entity_names.get(&constraint.referenced);
    let target_fields = lookups.column_list(constraint.referenced, &constraint.referenced_columns);
    let (Some(target), Some(target_fields)) = (target, target_fields) else {
        let referenced = match (
            lookups.relations.contains_key(&constraint.referenced),
            &constraint.referenced_name,
        ) {
            (false, Some(name)) => name.clone(),
            _ => lookups.object_name(constraint.referenced),
        };
        ledger.record(
            object,
            "dangling_foreign_key",
            format!(
                "foreign key `{name}` is left out: it references `{referenced}`, which is not \
                 an entity of the schemas read"
            ),
        );
        return None;
    };
    let mut lost = Vec::new();
    match constraint.match_type.as_str() {
        "f" => lost.push("is `MATCH FULL`".to_owned()),
        "p" => lost.push("is `MATCH PARTIAL`".to_owned()),
        _ => {}
    }
    if let Some(definition) = &constraint.definition
        && (definition.contains("SET NULL (") || definition.contains("SET DEFAULT ("))
    {
        lost.push(format!("sets only some columns on delete ({definition})"));
    }
    if !lost.is_empty() {
        ledger.record(
            object,
            "foreign_key_options",
            format!(
                "foreign key `{name}` {}; the manifest cannot say so",
                lost.join(", ")
            ),
        );
    }
    Some(Relation {
        name: Some(name.to_owned()),
        fields,
        references: RelationTarget {
            entity: target.clone(),
            fields: target_fields,
        },
        on_delete: referential_action(&constraint.on_delete),
        on_update: referential_action(&constraint.on_update),
        deferrable: constraint.deferrable,
        deferred: constraint.deferred,
        comment: None,
    })
}

/// `indoption` bits.
const INDOPTION_DESC: i16 = 0x01;
const INDOPTION_NULLS_FIRST: i16 = 0x02;

fn build_index(
    object: &str,
    relation: &RelationRow,
    index: &IndexRow,
    lookups: &Lookups<'_>,
    ledger: &mut Ledger,
) -> Option<Index> {
    let name = index.name.as_str();
    let mut lost = Vec::new();
    if !index.is_valid {
        lost.push(INVALID_INDEX.to_owned());
    }
    let mut options = IndexOptions {
        nulls_not_distinct: index.nulls_not_distinct == Some(true),
        storage_parameters: index.options.clone(),
        include: included_columns(object, name, index, lookups, ledger)?,
        ..IndexOptions::default()
    };
    let key_count = usize::try_from(index.key_count).unwrap_or_default();
    let mut fields = Vec::new();
    for key in 0..key_count {
        let position = index.columns.get(key).copied().unwrap_or_default();
        let option = index.key_options.get(key).copied().unwrap_or_default();
        let descending = option & INDOPTION_DESC != 0;
        let nulls_first = option & INDOPTION_NULLS_FIRST != 0;
        let order = descending.then_some(SortOrder::Desc);
        if nulls_first != descending {
            lost.push(format!(
                "sorts nulls {} in key {}",
                if nulls_first { "first" } else { "last" },
                key + 1
            ));
        }
        if let (Some(false), Some(opclass)) =
            (index.default_opclasses.get(key), index.opclasses.get(key))
        {
            options.operator_classes.resize(key, String::new());
            options.operator_classes.push(opclass.clone());
        }
        let collation_oid = index.collations.get(key).copied().unwrap_or_default();
        if position == 0 {
            let mut sql = index.expressions.get(key).cloned().unwrap_or_default();
            if let Some(collation) = index
                .collation_names
                .get(key)
                .filter(|name| collation_oid != 0 && !name.is_empty())
            {
                sql = format!("{sql} COLLATE {}", quote_identifier(collation));
            }
            fields.push(IndexPart::Expression { sql, order });
            continue;
        }
        let Some(column) = lookups.column_rows.get(&(relation.oid, position)) else {
            ledger.record(
                object,
                "index",
                format!("index `{name}` is on a column the catalog did not list; left out"),
            );
            return None;
        };
        let collation = (collation_oid != 0 && collation_oid != column.collation_oid)
            .then(|| index.collation_names.get(key).cloned())
            .flatten()
            .filter(|name| !name.is_empty());
        fields.push(IndexPart::Field {
            field: column.name.clone(),
            order,
            collation,
            prefix_length: None,
        });
    }
    options.comment = index.comment.clone();
    if !lost.is_empty() {
        ledger.record(
            object,
            "index_options",
            format!(
                "index `{name}` {}; the manifest cannot say so",
                lost.join(", ")
            ),
        );
    }
    Some(Index {
        name: name.to_owned(),
        fields,
        unique: index.is_unique,
        predicate: index.predicate.clone(),
        method: (index.method != "btree").then(|| index.method.clone()),
        expire_after_seconds: None,
        options,
    })
}

/// What a partition has of its own: its primary key (when its parent has
/// none), unique and exclusion constraints, foreign keys, local checks
/// and the indexes that are not a copy of one of its parent's. What
/// PostgreSQL copies from the parent (its keys, constraints and indexes,
/// each attached to the parent's) stays the parent's.
fn partition_objects(child: &RelationRow, lookups: &Lookups<'_>, ledger: &mut Ledger) -> Partition {
    record_partition_details(child, lookups, ledger);
    let object = lookups.object_name(child.oid);
    let mut own = Entity::new(child.name.as_str());
    let mut constraints: Vec<&ConstraintRow> = lookups
        .constraints
        .get(&child.oid)
        .into_iter()
        .flatten()
        .copied()
        .filter(|constraint| match constraint.kind.as_str() {
            // Those cloned from the parent are not read (conparentid).
            "p" | "u" | "x" | "f" => true,
            "c" => constraint.is_local,
            _ => false,
        })
        .collect();
    constraints.sort_by(|left, right| left.name.cmp(&right.name));
    for constraint in constraints {
        add_constraint(&mut own, &object, child, constraint, lookups, ledger);
        // A plan makes no `COMMENT ON CONSTRAINT` on a partition.
        if let Some(comment) = &constraint.comment {
            ledger.record(
                object.as_str(),
                "comment",
                format!(
                    "the comment on constraint `{}` of partition `{}` is not represented: \
                     {comment:?}",
                    constraint.name, child.name
                ),
            );
        }
    }
    own.uniques
        .iter_mut()
        .for_each(|unique| unique.options.comment = None);
    own.checks.iter_mut().for_each(|check| check.comment = None);
    own.exclusions
        .iter_mut()
        .for_each(|exclusion| exclusion.comment = None);
    own.relations
        .iter_mut()
        .for_each(|relation| relation.comment = None);
    let mut indexes: Vec<&IndexRow> = lookups
        .indexes
        .get(&child.oid)
        .into_iter()
        .flatten()
        .copied()
        .filter(|index| !index.backs_constraint && !index.is_inherited)
        .collect();
    indexes.sort_by(|left, right| left.name.cmp(&right.name));
    for index in indexes {
        if let Some(index) = build_index(&object, child, index, lookups, ledger) {
            own.indexes.push(index);
        }
    }
    let mut lost = Vec::new();
    if !own.primary_key_include.is_empty() {
        lost.push(format!(
            "includes {}",
            quoted_list(&own.primary_key_include)
        ));
    }
    if !own.primary_key_with.is_empty() {
        lost.push(format!(
            "has storage parameters ({})",
            own.primary_key_with.join(", ")
        ));
    }
    if !lost.is_empty() {
        ledger.record(
            object.as_str(),
            "constraint_options",
            format!(
                "the primary key of partition `{}` {}; the manifest cannot say so",
                child.name,
                lost.join(", ")
            ),
        );
    }
    Partition {
        primary_key: own.primary_key,
        primary_key_name: own.primary_key_name,
        uniques: own.uniques,
        exclusions: own.exclusions,
        indexes: own.indexes,
        checks: own.checks,
        relations: own.relations,
        ..Partition::new(
            child.name.clone(),
            child.partition_bound.clone().unwrap_or_default(),
        )
    }
}

/// Partitions (on the entity they belong to), table inheritance and
/// foreign tables.
fn record_relations(
    catalog: &Catalog,
    lookups: &Lookups<'_>,
    manifest: &mut Manifest,
    ledger: &mut Ledger,
) {
    // Partitions (and partitions of partitions) under the entity they
    // belong to, each with its depth below it.
    let mut partitions: BTreeMap<String, Vec<(usize, &RelationRow)>> = BTreeMap::new();
    for relation in catalog.relations.iter().filter(|r| r.is_partition) {
        let mut ancestor = relation;
        let mut depth = 0;
        for _ in 0..MAX_TYPE_DEPTH {
            match ancestor
                .parents
                .first()
                .and_then(|parent| lookups.relations.get(parent))
            {
                Some(parent) if ancestor.is_partition => {
                    ancestor = parent;
                    depth += 1;
                }
                _ => break,
            }
        }
        let Some(entity) = lookups.entity_names.get(&ancestor.oid) else {
            continue;
        };
        partitions
            .entry(entity.clone())
            .or_default()
            .push((depth, relation));
    }
    for (entity_name, mut children) in partitions {
        children.sort_by(|(left_depth, left), (right_depth, right)| {
            (left_depth, &left.schema, &left.name).cmp(&(right_depth, &right.schema, &right.name))
        });
        let Some(entity) = manifest.entities.get_mut(&entity_name) else {
            continue;
        };
        let entity_schema = entity.schema.clone();
        entity.partitions = children
            .iter()
            .map(|(depth, child)| {
                let of = (*depth > 1)
                    .then(|| child.parents.first())
                    .flatten()
                    .and_then(|parent| lookups.relations.get(parent))
                    .map(|parent| parent.name.clone());
                let schema = lookups.naming.schema(&child.schema);
                Partition {
                    schema: (schema != entity_schema).then_some(schema).flatten(),
                    of,
                    partition_by: child.partition_key.clone(),
                    ..partition_objects(child, lookups, ledger)
                }
            })
            .collect();
    }

    for relation in &catalog.relations {
        let object = lookups.object_name(relation.oid);
        if relation.kind == "f" {
            ledger.record(
                object.as_str(),
                "foreign_table",
                format!(
                    "foreign table `{object}` (a table of another server, through a foreign-data \
                     wrapper) is not represented"
                ),
            );
        }
        // Inheritance from a table that is no entity: one of a schema not
        // read, or a foreign table.
        let unread: Vec<String> = relation
            .parents
            .iter()
            .zip(&relation.parent_names)
            .filter(|(parent, _)| !lookups.entity_names.contains_key(parent))
            .map(|(parent, name)| {
                if lookups.relations.contains_key(parent) {
                    lookups.object_name(*parent)
                } else {
                    name.clone()
                }
            })
            .collect();
        if is_entity(relation) && !unread.is_empty() {
            ledger.record(
                object.as_str(),
                "inheritance",
                format!(
                    "`{object}` inherits from {}, which the manifest does not have (a table of \
                     a schema not read, or a foreign table): the manifest lists the columns \
                     and checks it inherits as its own, and a plan makes it a table that \
                     inherits from nothing",
                    quoted_list(&unread)
                ),
            );
        }
    }
}

/// A row-level security policy `migrate` made from a rule.
fn is_rule_policy(name: &str) -> bool {
    name.starts_with("baas_")
}

/// The objects the manifest does not carry.
fn record_objects(catalog: &Catalog, ledger: &mut Ledger) {
    for other in catalog.others.iter().filter(|o| o.definition.is_none()) {
        ledger.record(
            other.name.as_str(),
            "engine_object",
            format!(
                "{} `{}` is not represented; a plan does not create it",
                other.kind, other.name
            ),
        );
    }
}

/// The `[postgres]` objects: extensions, and the functions, procedures,
/// aggregates, triggers, domains and sequences of the schemas read (not
/// those an extension made, nor a `serial` column's own sequence), each as
/// the statement that creates it and what it uses.
fn engine_objects(catalog: &Catalog, lookups: &Lookups<'_>, ledger: &mut Ledger) -> EngineObjects {
    let mut objects = EngineObjects::default();
    for extension in &catalog.extensions {
        objects.extensions.insert(
            extension.name.clone(),
            Extension {
                schema: (extension.schema != lookups.naming.first)
                    .then(|| extension.schema.clone()),
                version: extension.version.clone(),
            },
        );
    }

    // Keys of the objects carried, by object id (functions and domains).
    let mut keys: HashMap<i64, String> = HashMap::new();
    let mut routines: Vec<(&RoutineRow, ObjectKind, String)> = Vec::new();
    for routine in &catalog.routines {
        let identity = format!(
            "{}({})",
            qualified(&routine.schema, &routine.name),
            routine.arguments
        );
        let kind = match routine.kind.as_str() {
            "p" => ObjectKind::Procedure,
            "a" => ObjectKind::Aggregate,
            _ => ObjectKind::Function,
        };
        if routine.definition.is_none() {
            continue;
        }
        keys.insert(routine.oid, format!("{kind} {identity}"));
        routines.push((routine, kind, identity));
    }
    let domains: Vec<&TypeRow> = catalog
        .types
        .iter()
        .filter(|ty| ty.kind == "d" && ty.defined_here)
        .collect();
    for ty in &domains {
        keys.insert(
            ty.oid,
            format!("domain {}", qualified(&ty.schema, &ty.name)),
        );
    }
    let types = carried_types(catalog);
    for ty in &types {
        keys.insert(ty.oid, format!("type {}", qualified(&ty.schema, &ty.name)));
    }
    let mut uses: HashMap<i64, BTreeSet<String>> = HashMap::new();
    for dependency in &catalog.dependencies {
        let target = match dependency.referenced_kind.as_str() {
            "relation" => lookups
                .entity_names
                .get(&dependency.referenced)
                .map(|name| format!("entity {name}")),
            _ => keys.get(&dependency.referenced).cloned(),
        };
        if let Some(target) = target
            && dependency.referenced != dependency.object
        {
            uses.entry(dependency.object).or_default().insert(target);
        }
    }
    let depends_on = |oid: i64| -> Vec<String> {
        uses.get(&oid)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    };

    let mut list = Vec::new();
    for sequence in standalone_sequences(catalog, lookups) {
        let name = qualified(&sequence.schema, &sequence.name);
        let mut sql = format!("CREATE SEQUENCE {name}");
        if sequence.type_name != "bigint" {
            sql.push_str(&format!(" AS {}", sequence.type_name));
        }
        if let Some(options) = sequence_options(sequence) {
            sql.push(' ');
            sql.push_str(&options);
        }
        let owned_by = match (sequence.owner_relation, sequence.owner_column) {
            (Some(relation), Some(position)) => {
                let table = lookups.relations.get(&relation);
                let column = i16::try_from(position)
                    .ok()
                    .and_then(|position| lookups.column_rows.get(&(relation, position)));
                match (table, column) {
                    (Some(table), Some(column)) => Some(format!(
                        "{}.{}",
                        qualified(&table.schema, &table.name),
                        quote_identifier(&column.name)
                    )),
                    _ => None,
                }
            }
            _ => None,
        };
        list.push(EngineObject {
            kind: ObjectKind::Sequence,
            name,
            sql,
            depends_on: Vec::new(),
            owned_by,
            comment: sequence.comment.clone(),
        });
    }
    let by_oid: HashMap<i64, &TypeRow> = catalog.types.iter().map(|ty| (ty.oid, ty)).collect();
    for ty in types {
        // What its attributes (or a range's subtype) are, arrays by their
        // element.
        let depends_on: BTreeSet<String> = ty
            .attribute_types
            .iter()
            .chain([&ty.base])
            .map(|oid| match by_oid.get(oid) {
                Some(used) if used.category == "A" && used.element != 0 => used.element,
                _ => *oid,
            })
            .filter_map(|oid| keys.get(&oid).cloned())
            .collect();
        list.push(EngineObject {
            kind: ObjectKind::Type,
            name: qualified(&ty.schema, &ty.name),
            sql: object_statement(
                ty.definition.as_deref().unwrap_or_default(),
                lookups.naming.first,
            ),
            depends_on: depends_on.into_iter().collect(),
            owned_by: None,
            comment: ty.comment.clone(),
        });
    }
    for ty in domains {
        let mut sql = format!(
            "CREATE DOMAIN {} AS {}",
            qualified(&ty.schema, &ty.name),
            ty.base_formatted.as_deref().unwrap_or("text")
        );
        if let Some(collation) = &ty.collation {
            sql.push_str(&format!(" COLLATE {}", quote_identifier(collation)));
        }
        if let Some(default) = &ty.default_sql {
            sql.push_str(&format!(" DEFAULT {default}"));
        }
        if ty.not_null {
            sql.push_str(" NOT NULL");
        }
        for check in ty.checks.iter().flatten() {
            // `name: CHECK (...)`, as types.sql prints it.
            if let Some((name, definition)) = check.split_once(": ") {
                sql.push_str(&format!(
                    " CONSTRAINT {} {definition}",
                    quote_identifier(name)
                ));
            }
        }
        list.push(EngineObject {
            kind: ObjectKind::Domain,
            name: qualified(&ty.schema, &ty.name),
            sql,
            depends_on: depends_on(ty.oid),
            owned_by: None,
            comment: ty.comment.clone(),
        });
    }
    for (routine, kind, identity) in routines {
        list.push(EngineObject {
            kind,
            name: identity,
            sql: routine
                .definition
                .as_deref()
                .unwrap_or_default()
                .trim_end()
                .to_owned(),
            depends_on: depends_on(routine.oid),
            owned_by: None,
            comment: routine.comment.clone(),
        });
    }
    for trigger in &catalog.triggers {
        let mut depends_on = Vec::new();
        if let Some(name) = lookups.owning_entity(trigger.relation) {
            depends_on.push(format!("entity {name}"));
        }
        if let Some(function) = keys.get(&trigger.function) {
            depends_on.push(function.clone());
        }
        let Some(table) = lookups.relations.get(&trigger.relation) else {
            record_unread_trigger(trigger, &catalog.routines, ledger);
            continue;
        };
        list.push(EngineObject {
            kind: ObjectKind::Trigger,
            name: format!(
                "{} ON {}",
                quote_identifier(&trigger.name),
                qualified(&table.schema, &table.name)
            ),
            sql: trigger_definition(&trigger.definition, table, &lookups.naming),
            depends_on,
            owned_by: None,
            comment: trigger.comment.clone(),
        });
    }
    let carried: BTreeSet<String> = catalog
        .others
        .iter()
        .filter(|other| other.definition.is_some())
        .map(|other| format!("{} {}", other.kind, other.name))
        .collect();
    for other in &catalog.others {
        let (Some(definition), Some(kind)) = (&other.definition, ObjectKind::parse(&other.kind))
        else {
            continue;
        };
        let mut depends_on = Vec::new();
        if let Some(relation) = other.relation {
            // A policy made from a rule is the entity's (`Entity::policies`).
            if kind == ObjectKind::Policy
                && is_rule_policy(&other.name)
                && lookups.entity_names.contains_key(&relation)
            {
                continue;
            }
            if let Some(name) = lookups.owning_entity(relation) {
                depends_on.push(format!("entity {name}"));
            }
        }
        for table in &other.tables {
            if let Some(name) = lookups.owning_entity(*table) {
                depends_on.push(format!("entity {name}"));
            }
        }
        if let Some(function) = other.function.and_then(|oid| keys.get(&oid)) {
            depends_on.push(function.clone());
        }
        depends_on.extend(
            other
                .uses
                .iter()
                .filter(|key| carried.contains(key.as_str()))
                .cloned(),
        );
        // In one order, whatever order the source listed them in.
        depends_on.sort();
        depends_on.dedup();
        list.push(EngineObject {
            kind,
            name: other.name.clone(),
            sql: object_statement(definition, lookups.naming.first),
            depends_on,
            owned_by: None,
            comment: other.comment.clone(),
        });
    }
    list.sort_by(|left, right| (left.kind, &left.name).cmp(&(right.kind, &right.name)));
    objects.objects = list;
    objects
}

/// The composite and range types of the schemas read (not an extension's),
/// which the manifest carries as the statement that creates them.
fn carried_types(catalog: &Catalog) -> Vec<&TypeRow> {
    catalog
        .types
        .iter()
        .filter(|ty| {
            ty.defined_here && ty.definition.is_some() && matches!(ty.kind.as_str(), "c" | "r")
        })
        .collect()
}

/// A trigger as `pg_get_triggerdef` prints it for `pg_dump`, which always
/// qualifies the table (`ON public.film`), with the first schema's table
/// unqualified as its other names are: a dump of the same trigger reads
/// the same.
/// A trigger on a table of a schema not read that calls a function of
/// one read (Supabase's `on_auth_user_created` on `auth.users`): the
/// manifest has no table to put it on.
pub(crate) fn record_unread_trigger(
    trigger: &TriggerRow,
    routines: &[RoutineRow],
    ledger: &mut Ledger,
) {
    let Some(function) = routines.iter().find(|r| r.oid == trigger.function) else {
        return;
    };
    let table = format!("{}.{}", trigger.table_schema, trigger.table_name);
    ledger.record(
        format!("{} ON {table}", trigger.name),
        "trigger",
        format!(
            "trigger `{}` on `{table}`, a table of a schema not read, calls `{}.{}`; the manifest has no table to carry it on and a plan does not make it; pass `--schema {}` to read it",
            trigger.name, function.schema, function.name, trigger.table_schema
        ),
    );
}

fn trigger_definition(definition: &str, table: &RelationRow, naming: &Naming<'_>) -> String {
    if table.schema != naming.first {
        return definition.to_owned();
    }
    [
        quote_identifier(&table.schema),
        quote_identifier_always(&table.schema),
    ]
    .iter()
    .map(|schema| format!(" ON {schema}."))
    .find(|prefix| definition.contains(prefix.as_str()))
    .map_or_else(
        || definition.to_owned(),
        |prefix| definition.replacen(&prefix, " ON ", 1),
    )
}

/// `schema.name`, each quoted where PostgreSQL needs it.
fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_identifier(schema), quote_identifier(name))
}

/// `name` quoted when it is not a plain lower-case identifier (as
/// `quote_ident` does, keywords aside).
fn quote_identifier(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !matches!(
            name,
            "user" | "order" | "table" | "select" | "group" | "from" | "where" | "end" | "default"
        );
    if plain {
        name.to_owned()
    } else {
        quote_identifier_always(name)
    }
}

/// Sequences that belong to no `serial` or identity column.
fn standalone_sequences<'c>(catalog: &'c Catalog, lookups: &Lookups<'_>) -> Vec<&'c SequenceRow> {
    let serial: BTreeSet<i64> = lookups.serial_columns.values().map(|s| s.oid).collect();
    catalog
        .sequences
        .iter()
        .filter(|sequence| {
            sequence.ownership.as_deref() != Some("i") && !serial.contains(&sequence.oid)
        })
        .collect()
}

/// Sequences that are not simply the `serial` or identity column they
/// belong to.
fn record_sequences(catalog: &Catalog, lookups: &Lookups<'_>, ledger: &mut Ledger) {
    let mut serial_of: HashMap<i64, (i64, i16)> = HashMap::new();
    for (column, sequence) in &lookups.serial_columns {
        serial_of.insert(sequence.oid, *column);
    }
    let column_label = |relation: i64, position: i32| -> String {
        let name = i16::try_from(position)
            .ok()
            .and_then(|position| lookups.column_rows.get(&(relation, position)))
            .map_or_else(|| format!("#{position}"), |column| column.name.clone());
        format!("{}.{name}", lookups.object_name(relation))
    };
    let mut sequences: Vec<&SequenceRow> = catalog.sequences.iter().collect();
    sequences.sort_by(|left, right| (&left.schema, &left.name).cmp(&(&right.schema, &right.name)));
    for sequence in sequences {
        let object = lookups.naming.name(&sequence.schema, &sequence.name);
        let options = sequence_options(sequence);
        let message = match (sequence.ownership.as_deref(), serial_of.get(&sequence.oid)) {
            // Its options are on its column (`identity_options`).
            (Some("i"), _) => None,
            (ownership, Some((relation, position))) => {
                let column = column_label(*relation, i32::from(*position));
                let mut notes = Vec::new();
                if ownership.is_none() {
                    notes.push(format!(
                        "is not owned by `{column}`, which the manifest records as \
                         `generated = \"serial\"` (a serial column owns its sequence)"
                    ));
                }
                if let Some(options) = options {
                    notes.push(format!("has options the manifest cannot say: {options}"));
                }

                (!notes.is_empty()).then(|| format!("sequence `{object}` {}", notes.join(", and ")))
            }
            // Carried as an engine object (see `engine_objects`).
            (_, None) => None,
        };
        if let Some(message) = message {
            ledger.record(object, "sequence", message);
        }
    }
}

/// The options of an identity column's sequence, as SQL: its name when it
/// is not the one PostgreSQL gives it (`SEQUENCE NAME tickets_seq`: a table
/// renamed since keeps it, as does a sequence named by hand), then those of
/// [`sequence_options`].
fn identity_options(sequence: &SequenceRow, table: &str, column: &str) -> Option<String> {
    let mut options = Vec::new();
    if sequence.name != default_name(table, Some(column), "seq") {
        options.push(format!(
            "SEQUENCE NAME {}",
            quote_identifier(&sequence.name)
        ));
    }
    options.extend(sequence_options(sequence));
    (!options.is_empty()).then(|| options.join(" "))
}

/// The options of a sequence that differ from what `serial` or an identity
/// column creates, as SQL.
fn sequence_options(sequence: &SequenceRow) -> Option<String> {
    let (type_minimum, type_maximum) = match sequence.type_name.as_str() {
        "smallint" => (i64::from(i16::MIN), i64::from(i16::MAX)),
        "integer" => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    };
    // A descending sequence runs from -1 down to its type's minimum.
    let (minimum, maximum) = if sequence.increment < 0 {
        (type_minimum, -1)
    } else {
        (1, type_maximum)
    };
    let start = if sequence.increment < 0 {
        sequence.maximum
    } else {
        sequence.minimum
    };
    let mut options = Vec::new();
    if sequence.increment != 1 {
        options.push(format!("INCREMENT BY {}", sequence.increment));
    }
    if sequence.minimum != minimum {
        options.push(format!("MINVALUE {}", sequence.minimum));
    }
    if sequence.maximum != maximum {
        options.push(format!("MAXVALUE {}", sequence.maximum));
    }
    if sequence.start != start {
        options.push(format!("START WITH {}", sequence.start));
    }
    if sequence.cache != 1 {
        options.push(format!("CACHE {}", sequence.cache));
    }
    if sequence.cycle {
        options.push("CYCLE".to_owned());
    }
    (!options.is_empty()).then(|| options.join(" "))
}

/// Domains, composite types written as `native`, and other types of the
/// schemas read.
fn record_types(
    catalog: &Catalog,
    lookups: &Lookups<'_>,
    resolver: &TypeResolver<'_>,
    ledger: &mut Ledger,
) {
    let mut types: Vec<&TypeRow> = catalog.types.iter().collect();
    types.sort_by(|left, right| (&left.schema, &left.name).cmp(&(&right.schema, &right.name)));
    for ty in types {
        let used = resolver.used.contains(&ty.oid);
        let object = lookups.naming.name(&ty.schema, &ty.name);
        let formatted = ty.formatted.as_str();
        let usage = if used {
            format!("its fields say `native = {formatted:?}`")
        } else {
            "no column uses it".to_owned()
        };
        match ty.kind.as_str() {
            // Domains defined here are carried (see `engine_objects`).
            "d" if used && !ty.defined_here => {
                let mut definition = ty.base_formatted.clone().unwrap_or_default();
                if ty.not_null {
                    definition.push_str(" NOT NULL");
                }
                if let Some(default) = &ty.default_sql {
                    definition.push_str(&format!(" DEFAULT {default}"));
                }
                for check in ty.checks.iter().flatten() {
                    definition.push_str(&format!(" CONSTRAINT {check}"));
                }
                ledger.record(
                    object,
                    "domain",
                    format!("domain `{formatted}` ({definition}) is not represented; {usage}"),
                );
            }
            "e" if ty.labels.as_ref().is_none_or(Vec::is_empty) => ledger.record(
                object,
                "enum",
                format!(
                    "enum `{formatted}` has no values, which the manifest cannot declare; {usage}"
                ),
            ),
            // Composite and range types defined here are carried (see
            // `engine_objects`), a range's multirange with it.
            "c" | "r" if ty.defined_here && ty.definition.is_some() => {}
            "m" if ty.defined_here => {}
            "c" if resolver.native_composites.contains(&ty.oid) => ledger.record(
                object,
                "composite_type",
                format!(
                    "composite type `{formatted}` has attributes without a portable type, so \
                     the fields of this type are `native = {formatted:?}` and its attributes are \
                     not represented"
                ),
            ),
            // Array types come with their element type; nothing to report.
            "b" | "p" if ty.defined_here && ty.category != "A" => ledger.record(
                object,
                "type",
                format!("type `{formatted}` is not represented; {usage}"),
            ),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------
// Defaults

/// The tokens of `sql`, without whitespace; `None` when it does not tokenize.
fn tokens(sql: &str) -> Option<Vec<Token>> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    Some(
        tokens
            .into_iter()
            .filter(|token| !matches!(token, Token::Whitespace(_)))
            .collect(),
    )
}

fn is_word(token: &Token, text: &str) -> bool {
    matches!(token, Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(text))
}

/// `nextval('name'::regclass)`, as PostgreSQL prints a sequence default.
fn is_nextval_call(sql: &str) -> bool {
    matches!(
        tokens(sql).as_deref(),
        Some([nextval, Token::LParen, Token::SingleQuotedString(_), Token::DoubleColon, regclass, Token::RParen])
            if is_word(nextval, "nextval") && is_word(regclass, "regclass")
    )
}

/// Tokens that can make up a type name after `::` (`character varying`,
/// `public.mpaa_rating`, `text[]`, `"char"`, `numeric(10,2)`).
fn is_type_name(tokens: &[Token]) -> bool {
    !tokens.is_empty()
        && tokens.iter().all(|token| {
            matches!(
                token,
                Token::Word(_)
                    | Token::Period
                    | Token::LBracket
                    | Token::RBracket
                    | Token::LParen
                    | Token::RParen
                    | Token::Comma
                    | Token::Number(_, _)
            )
        })
}

/// A column default as `pg_get_expr` prints it → a literal when it is one
/// (a constant, possibly cast to the column's type), else SQL. `NULL` is no
/// default.
fn parse_default(sql: &str, field: &Field) -> Option<DefaultValue> {
    let expression = || {
        Some(DefaultValue::Sql {
            sql: sql.to_owned(),
        })
    };
    let Some(tokens) = tokens(sql) else {
        return expression();
    };
    let literal = match tokens.as_slice() {
        [Token::Word(word)] if word.quote_style.is_none() && word.keyword == Keyword::NULL => {
            return None;
        }
        [Token::Word(word), Token::DoubleColon, rest @ ..]
            if word.quote_style.is_none()
                && word.keyword == Keyword::NULL
                && is_type_name(rest) =>
        {
            return None;
        }
        [Token::Word(word)] if word.quote_style.is_none() && word.keyword == Keyword::TRUE => {
            (field.ty == FieldType::Bool).then_some(Literal::Bool(true))
        }
        [Token::Word(word)] if word.quote_style.is_none() && word.keyword == Keyword::FALSE => {
            (field.ty == FieldType::Bool).then_some(Literal::Bool(false))
        }
        [Token::Number(number, _)] => number_default(number, field),
        [Token::Minus, Token::Number(number, _)] => number_default(&format!("-{number}"), field),
        [
            Token::SingleQuotedString(text) | Token::EscapedStringLiteral(text),
            Token::DoubleColon,
            rest @ ..,
        ] if is_type_name(rest) => text_default(text, field),
        _ => None,
    };
    match literal {
        Some(literal) => Some(DefaultValue::Literal(literal)),
        None => expression(),
    }
}

/// A number written in a default, for a numeric (or `native`) field.
fn number_default(text: &str, field: &Field) -> Option<Literal> {
    if field.ty.is_numeric() || field.ty == FieldType::Native {
        number_literal(text)
    } else {
        None
    }
}

/// `-12` → an integer; `4.99`, `1e300` → a float, but only when a 64-bit
/// float keeps every digit written (at most 15 significant digits), so that
/// the manifest never rounds a `numeric` default.
fn number_literal(text: &str) -> Option<Literal> {
    let text = text.trim();
    if let Ok(integer) = text.parse::<i64>() {
        return Some(Literal::Int(integer));
    }
    let mantissa = text
        .trim_start_matches(['-', '+'])
        .split(['e', 'E'])
        .next()
        .unwrap_or_default();
    if mantissa.is_empty() || !mantissa.chars().all(|ch| ch.is_ascii_digit() || ch == '.') {
        return None;
    }
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    let float = text.parse::<f64>().ok()?;
    (float.is_finite() && significant.len() <= 15).then_some(Literal::Float(float))
}

/// A quoted constant cast to the column's type (`'G'::mpaa_rating`,
/// `'-1'::integer`, `'{}'::text[]`), read according to the field's type.
fn text_default(text: &str, field: &Field) -> Option<Literal> {
    match field.ty {
        FieldType::Bool => match text.to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => Some(Literal::Bool(true)),
            "f" | "false" | "n" | "no" | "off" | "0" => Some(Literal::Bool(false)),
            _ => None,
        },
        ty if ty.is_numeric() => number_literal(text),
        FieldType::Array => array_default(text, field.items.as_deref()?),
        // Byte strings and JSON documents have several spellings; their
        // text is kept as SQL.
        FieldType::Bytes | FieldType::Json | FieldType::Object => None,
        _ => Some(Literal::String(text.to_owned())),
    }
}

/// A simple array constant (`{}`, `{a,b}`, `{1,2}`): no quoting, no nesting,
/// no nulls.
fn array_default(text: &str, items: &Field) -> Option<Literal> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    if inner.contains(['{', '}', '"', '\\']) {
        return None;
    }
    if inner.trim().is_empty() {
        return Some(Literal::Array(Vec::new()));
    }
    inner
        .split(',')
        .map(|element| {
            let element = element.trim();
            if element.is_empty() || element.eq_ignore_ascii_case("null") {
                return None;
            }
            match items.ty {
                FieldType::Array | FieldType::Object => None,
                _ => text_default(element, items),
            }
        })
        .collect::<Option<Vec<_>>>()
        .map(Literal::Array)
}

/// An object's statement as the manifest keeps it, alike read from the
/// server and from a dump: one line (each run of spacing outside quotes is
/// one space), without its closing `;`, the names of `schema` unqualified.
pub(crate) fn object_statement(sql: &str, schema: &str) -> String {
    let prefix = format!("{}.", quote_identifier(schema));
    let mut rest = sql.trim().trim_end_matches(';').trim_end();
    let mut out = String::with_capacity(rest.len());
    let mut quote: Option<char> = None;
    while let Some(ch) = rest.chars().next() {
        if quote.is_none() {
            if ch.is_whitespace() {
                out.push(' ');
                rest = rest.trim_start();
                continue;
            }
            let boundary = !out
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '$'));
            if boundary && rest.starts_with(&prefix) {
                rest = &rest[prefix.len()..];
                continue;
            }
            if matches!(ch, '\'' | '"') {
                quote = Some(ch);
            }
        } else if quote == Some(ch) {
            quote = None;
        }
        out.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    out
}

/// `(expr)` → `expr`, when the first parenthesis closes at the very end
/// (quotes respected).
fn strip_outer_parens(text: &str) -> &str {
    let text = text.trim();
    let Some(inner) = text
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
    else {
        return text;
    };
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for ch in inner.chars() {
        match (quote, ch) {
            (Some(open), ch) if ch == open => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '(') => depth += 1,
            (None, ')') => match depth.checked_sub(1) {
                Some(next) => depth = next,
                // The first parenthesis closed before the end.
                None => return text,
            },
            _ => {}
        }
    }
    if depth == 0 && quote.is_none() {
        inner.trim()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_statements_are_one_line_with_the_first_schema_unqualified() {
        assert_eq!(
            object_statement(
                "CREATE RULE r AS\n    ON DELETE TO public.docs\n   WHERE (old.note = 'a  public.b'::text) DO INSTEAD NOTHING;\n",
                "public"
            ),
            "CREATE RULE r AS ON DELETE TO docs WHERE (old.note = 'a  public.b'::text) DO INSTEAD NOTHING"
        );
        assert_eq!(
            object_statement(
                "CREATE POLICY \"p  q\" ON app.t USING (x = my_public.f())",
                "app"
            ),
            "CREATE POLICY \"p  q\" ON t USING (x = my_public.f())"
        );
    }

    fn typed(ty: FieldType) -> Field {
        Field::new(ty)
    }

    fn array_of(ty: FieldType) -> Field {
        let mut field = Field::new(FieldType::Array);
        field.items = Some(Box::new(Field::new(ty)));
        field
    }

    fn literal(value: Literal) -> Option<DefaultValue> {
        Some(DefaultValue::Literal(value))
    }

    fn sql(text: &str) -> Option<DefaultValue> {
        Some(DefaultValue::Sql {
            sql: text.to_owned(),
        })
    }

    #[test]
    fn casts_of_constants_become_literals() {
        let text = typed(FieldType::Text);
        let mut rating = typed(FieldType::Enum);
        rating.enum_name = Some("mpaa_rating".into());
        assert_eq!(
            parse_default("'G'::mpaa_rating", &rating),
            literal(Literal::String("G".into()))
        );
        assert_eq!(
            parse_default("'abc'::character varying", &typed(FieldType::String)),
            literal(Literal::String("abc".into()))
        );
        assert_eq!(
            parse_default("'it''s'::text", &text),
            literal(Literal::String("it's".into()))
        );
        // standard_conforming_strings: a backslash is just a character.
        assert_eq!(
            parse_default("'a\\b'::text", &text),
            literal(Literal::String("a\\b".into()))
        );
        assert_eq!(
            parse_default("'x'::public.\"Mood\"", &text),
            literal(Literal::String("x".into()))
        );
        assert_eq!(
            parse_default(
                "'2020-01-01 00:00:00'::timestamp without time zone",
                &typed(FieldType::Timestamp)
            ),
            literal(Literal::String("2020-01-01 00:00:00".into()))
        );
        assert_eq!(
            parse_default("'-1'::integer", &typed(FieldType::Int32)),
            literal(Literal::Int(-1))
        );
        assert_eq!(
            parse_default("'-4.99'::numeric", &typed(FieldType::Decimal)),
            literal(Literal::Float(-4.99))
        );
        assert_eq!(
            parse_default("'9999999999'::bigint", &typed(FieldType::Int64)),
            literal(Literal::Int(9_999_999_999))
        );
        assert_eq!(
            parse_default("'f'::boolean", &typed(FieldType::Bool)),
            literal(Literal::Bool(false))
        );
    }

    #[test]
    fn bare_constants_become_literals() {
        assert_eq!(
            parse_default("0", &typed(FieldType::Int64)),
            literal(Literal::Int(0))
        );
        assert_eq!(
            parse_default("4.99", &typed(FieldType::Decimal)),
            literal(Literal::Float(4.99))
        );
        assert_eq!(
            parse_default("-1.5", &typed(FieldType::Float64)),
            literal(Literal::Float(-1.5))
        );
        assert_eq!(
            parse_default("true", &typed(FieldType::Bool)),
            literal(Literal::Bool(true))
        );
        assert_eq!(
            parse_default("false", &typed(FieldType::Bool)),
            literal(Literal::Bool(false))
        );
        assert_eq!(parse_default("NULL", &typed(FieldType::Text)), None);
        assert_eq!(parse_default("NULL::text", &typed(FieldType::Text)), None);
    }

    #[test]
    fn simple_array_constants_become_array_literals() {
        assert_eq!(
            parse_default("'{}'::text[]", &array_of(FieldType::Text)),
            literal(Literal::Array(vec![]))
        );
        assert_eq!(
            parse_default("'{1,2}'::integer[]", &array_of(FieldType::Int32)),
            literal(Literal::Array(vec![Literal::Int(1), Literal::Int(2)]))
        );
        assert_eq!(
            parse_default("'{a, b}'::text[]", &array_of(FieldType::Text)),
            literal(Literal::Array(vec![
                Literal::String("a".into()),
                Literal::String("b".into())
            ]))
        );
        for complex in [
            "'{\"a,b\",c}'::text[]",
            "'{NULL}'::text[]",
            "'{{1},{2}}'::integer[]",
        ] {
            assert_eq!(
                parse_default(complex, &array_of(FieldType::Text)),
                sql(complex),
                "{complex}"
            );
        }
        assert_eq!(
            parse_default("ARRAY['a'::text, 'b'::text]", &array_of(FieldType::Text)),
            sql("ARRAY['a'::text, 'b'::text]")
        );
    }

    #[test]
    fn expressions_and_lossy_constants_stay_sql() {
        let timestamp = typed(FieldType::Timestamptz);
        assert_eq!(parse_default("now()", &timestamp), sql("now()"));
        assert_eq!(
            parse_default("CURRENT_DATE", &typed(FieldType::Date)),
            sql("CURRENT_DATE")
        );
        assert_eq!(
            parse_default("1 + 2", &typed(FieldType::Int32)),
            sql("1 + 2")
        );
        assert_eq!(
            parse_default("'\\x00ff'::bytea", &typed(FieldType::Bytes)),
            sql("'\\x00ff'::bytea")
        );
        assert_eq!(
            parse_default("'{}'::jsonb", &typed(FieldType::Json)),
            sql("'{}'::jsonb")
        );
        // More digits than a float keeps: never rounded into the manifest.
        assert_eq!(
            parse_default(
                "123456789012345678901234567890.5",
                &typed(FieldType::Decimal)
            ),
            sql("123456789012345678901234567890.5")
        );
        // A number for a text column is not what PostgreSQL would print.
        assert_eq!(parse_default("0", &typed(FieldType::Text)), sql("0"));
        assert_eq!(
            parse_default("'a'::text || 'b'::text", &typed(FieldType::Text)),
            sql("'a'::text || 'b'::text")
        );
    }

    #[test]
    fn numbers_keep_every_digit_or_are_refused() {
        assert_eq!(number_literal("42"), Some(Literal::Int(42)));
        assert_eq!(number_literal("-0.5"), Some(Literal::Float(-0.5)));
        assert_eq!(number_literal("1e300"), Some(Literal::Float(1e300)));
        assert_eq!(
            number_literal("100000000000000000000"),
            Some(Literal::Float(1e20))
        );
        assert_eq!(number_literal("1.23456789012345678"), None);
        assert_eq!(number_literal("NaN"), None);
        assert_eq!(number_literal("abc"), None);
    }

    #[test]
    fn nextval_calls_are_recognised_exactly() {
        assert!(is_nextval_call("nextval('film_film_id_seq'::regclass)"));
        assert!(is_nextval_call("nextval('audit.\"Log_id_seq\"'::regclass)"));
        assert!(!is_nextval_call("nextval('s'::regclass) + 1"));
        assert!(!is_nextval_call("currval('s'::regclass)"));
    }

    #[test]
    fn outer_parens_are_stripped_only_when_they_enclose_everything() {
        assert_eq!(strip_outer_parens("(a * 2)"), "a * 2");
        assert_eq!(strip_outer_parens("(a) + (b)"), "(a) + (b)");
        assert_eq!(strip_outer_parens("(')')"), "')'");
        assert_eq!(strip_outer_parens("upper(title)"), "upper(title)");
    }

    #[test]
    fn view_queries_lose_their_padding_and_semicolon() {
        assert_eq!(view_query(" SELECT 1 AS one;"), "SELECT 1 AS one");
    }

    #[test]
    fn messages_never_show_the_password() {
        let introspector = PostgresIntrospector::new(
            Url::parse(
                "postgres://app:s%40cret!@db.example.com:5433/shop?password=other1&sslmode=require",
            )
            .unwrap(),
        );
        assert_eq!(
            introspector.target(),
            "postgres://app:***@db.example.com:5433/shop?sslmode=require"
        );
        let error =
            introspector.connect_error("password s@cret! and s%40cret! and other1 rejected");
        let text = error.to_string();
        assert!(
            !text.contains("cret!") && !text.contains("other1"),
            "{text}"
        );
        assert!(text.contains("db.example.com:5433/shop"), "{text}");
    }

    #[test]
    fn naming_qualifies_only_other_schemas() {
        let naming = Naming { first: "public" };
        assert_eq!(naming.name("public", "film"), "film");
        assert_eq!(naming.name("audit", "log"), "audit.log");
        assert_eq!(naming.schema("public"), None);
        assert_eq!(naming.schema("audit").as_deref(), Some("audit"));
    }
}
