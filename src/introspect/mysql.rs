//! MySQL and MariaDB introspection through `information_schema`.
//!
//! [`MysqlIntrospector`] runs the catalog queries in `mysql/*.sql`
//! concurrently on a small pool (one query per kind of object, for the whole
//! schema at once) and hands the rows to [`build`], which makes the manifest
//! without further I/O. The two servers differ in places (how defaults are
//! quoted, functional index parts, how JSON columns and CHECK constraints
//! are reported); [`Flavor`] says which one answered.

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::{ConnectOptions as _, Connection as _};
use sqlx::{FromRow, Row};
use url::Url;

use super::{IntrospectError, IntrospectOptions, Introspection, Introspector};
use crate::dialect::mysql::{field_for_column, without_display_width};
use crate::ledger::Ledger;
use crate::manifest::{
    CURRENT_FORMAT, Check, DefaultValue, Entity, EntityKind, Enum, Field, FieldType, Generated,
    GeneratedKind, Index, IndexOptions, IndexPart, Literal, Manifest, Project, ROW_FORMATS,
    ReferentialAction, Relation, RelationTarget, SortOrder, Source, SourceEngine,
};
use crate::source::redact;
use crate::ui::Progress;

const TABLES: &str = include_str!("mysql/tables.sql");
const COLUMNS: &str = include_str!("mysql/columns.sql");
const INDEXES: &str = include_str!("mysql/indexes.sql");
const INDEX_EXPRESSIONS: &str = include_str!("mysql/index_expressions.sql");
const FOREIGN_KEYS: &str = include_str!("mysql/foreign_keys.sql");
const CHECKS: &str = include_str!("mysql/checks.sql");
const CHECKS_MARIADB: &str = include_str!("mysql/checks_mariadb.sql");
const VIEWS: &str = include_str!("mysql/views.sql");
const TRIGGERS: &str = include_str!("mysql/triggers.sql");
const ROUTINES: &str = include_str!("mysql/routines.sql");

/// Reads one MySQL or MariaDB database (the path of the URL).
pub struct MysqlIntrospector {
    url: Url,
}

impl MysqlIntrospector {
    pub fn new(url: Url) -> Self {
        Self { url }
    }
}

/// Which server answered: they report some things differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Mysql,
    Mariadb,
}

impl Introspector for MysqlIntrospector {
    async fn introspect(
        &self,
        _options: &IntrospectOptions,
        progress: &Progress,
    ) -> Result<Introspection, IntrospectError> {
        let target = redact(self.url.as_str());
        let database = self.url.path().trim_start_matches('/').to_owned();
        if database.is_empty() {
            return Err(IntrospectError::Unsupported(format!(
                "`{target}` names no database; put it in the path, e.g. `mysql://user@host:3306/shop`"
            )));
        }
        let connect_error = |reason: String| IntrospectError::Connect {
            target: target.clone(),
            reason: redact(&reason),
        };
        // One connection first, under the shared timeout: a refused one
        // fails at once (the pool would retry it until its own timeout).
        let options = MySqlConnectOptions::from_url(&self.url)
            .map_err(|error| connect_error(error.to_string()))?;
        let first = crate::connect::within_connect_timeout(MySqlConnection::connect_with(&options))
            .await
            .map_err(|timed_out| connect_error(timed_out.to_string()))?
            .map_err(|error| connect_error(error.to_string()))?;
        let _ = first.close().await;
        let pool = MySqlPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(crate::connect::connect_timeout())
            .connect_lazy_with(options);
        let catalog = read_catalog(&pool, &database).await;
        pool.close().await;
        let catalog = catalog.map_err(|error| IntrospectError::Catalog {
            target,
            reason: redact(&error.to_string()),
        })?;
        Ok(build(&catalog, &database, progress))
    }
}

/// Everything read from `information_schema`, as plain rows.
#[derive(Debug, Default)]
pub struct Catalog {
    pub flavor: Option<Flavor>,
    /// The collation `DEFAULT CHARSET=utf8mb4` gives on this server: a table
    /// or column with it says nothing in the manifest.
    pub default_collation: Option<String>,
    pub tables: Vec<TableRow>,
    pub columns: Vec<ColumnRow>,
    pub indexes: Vec<IndexRow>,
    pub index_expressions: Vec<IndexExpressionRow>,
    pub foreign_keys: Vec<ForeignKeyRow>,
    pub checks: Vec<CheckRow>,
    pub views: Vec<ViewRow>,
    pub triggers: Vec<TriggerRow>,
    pub routines: Vec<RoutineRow>,
}

#[derive(Debug, Clone, FromRow)]
pub struct TableRow {
    pub name: String,
    pub kind: String,
    pub engine: Option<String>,
    pub comment: Option<String>,
    pub options: Option<String>,
    /// The table's default collation (`NULL` for views).
    pub collation: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ColumnRow {
    pub table_name: String,
    pub name: String,
    pub column_default: Option<String>,
    pub is_nullable: String,
    pub data_type: String,
    pub column_type: String,
    pub max_length: Option<i64>,
    pub numeric_precision: Option<i64>,
    pub numeric_scale: Option<i64>,
    pub collation: Option<String>,
    pub extra: Option<String>,
    pub comment: Option<String>,
    pub generation_expression: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct IndexRow {
    pub table_name: String,
    pub name: String,
    pub non_unique: i64,
    pub position: i64,
    pub column_name: Option<String>,
    pub collation: Option<String>,
    pub sub_part: Option<i64>,
    pub index_type: String,
    pub comment: Option<String>,
    /// 1 when the optimizer does not use the key (MySQL's `INVISIBLE`,
    /// MariaDB's `IGNORED`).
    pub hidden: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct IndexExpressionRow {
    pub table_name: String,
    pub name: String,
    pub position: i64,
    pub expression: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct ForeignKeyRow {
    pub table_name: String,
    pub name: String,
    pub column_name: String,
    pub referenced_schema: Option<String>,
    pub referenced_table: String,
    pub referenced_column: Option<String>,
    pub update_rule: Option<String>,
    pub delete_rule: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct CheckRow {
    pub table_name: String,
    pub name: String,
    pub clause: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct ViewRow {
    pub name: String,
    pub definition: Option<String>,
    /// The connection's collation when the view was made: its string
    /// literals and what functions make of them take it.
    pub collation: Option<String>,
    /// `NONE`, `CASCADED` or `LOCAL`.
    pub check_option: Option<String>,
    /// `DEFINER` or `INVOKER`.
    pub security_type: Option<String>,
    /// `UNDEFINED`, `MERGE` or `TEMPTABLE` (MariaDB lists it; MySQL does not).
    pub algorithm: Option<String>,
}

impl ViewRow {
    /// Its options that are not the server's defaults, as SQL
    /// (`ALGORITHM=TEMPTABLE`, `SQL SECURITY INVOKER`, `WITH LOCAL CHECK OPTION`).
    pub fn options(&self) -> Vec<String> {
        let said = |value: &Option<String>, default: &str| {
            value
                .as_deref()
                .filter(|value| !value.is_empty() && !value.eq_ignore_ascii_case(default))
                .map(str::to_ascii_uppercase)
        };
        let mut options = Vec::new();
        if let Some(algorithm) = said(&self.algorithm, "UNDEFINED") {
            options.push(format!("ALGORITHM={algorithm}"));
        }
        if let Some(security) = said(&self.security_type, "DEFINER") {
            options.push(format!("SQL SECURITY {security}"));
        }
        if let Some(check) = said(&self.check_option, "NONE") {
            options.push(format!("WITH {check} CHECK OPTION"));
        }
        options
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct TriggerRow {
    pub table_name: String,
    pub name: String,
    pub timing: String,
    pub event: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct RoutineRow {
    pub name: String,
    pub kind: String,
}

async fn fetch<T>(
    pool: &MySqlPool,
    sql: impl sqlx::SqlSafeStr,
    database: &str,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> FromRow<'r, MySqlRow> + Send + Unpin,
{
    sqlx::query_as::<_, T>(sql)
        .bind(database)
        .fetch_all(pool)
        .await
}

/// Runs every catalog query, concurrently.
async fn read_catalog(pool: &MySqlPool, database: &str) -> Result<Catalog, sqlx::Error> {
    let version: String = sqlx::query("SELECT CAST(VERSION() AS CHAR)")
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    let flavor = if version.to_ascii_lowercase().contains("mariadb") {
        Flavor::Mariadb
    } else {
        Flavor::Mysql
    };
    let checks_sql = match flavor {
        Flavor::Mariadb => CHECKS_MARIADB,
        Flavor::Mysql => CHECKS,
    };
    let expressions = async {
        match flavor {
            Flavor::Mysql => fetch::<IndexExpressionRow>(pool, INDEX_EXPRESSIONS, database).await,
            Flavor::Mariadb => Ok(Vec::new()),
        }
    };
    let default_collation: Option<String> = sqlx::query(
        "SELECT CAST(DEFAULT_COLLATE_NAME AS CHAR) FROM information_schema.CHARACTER_SETS \
         WHERE CHARACTER_SET_NAME = 'utf8mb4'",
    )
    .fetch_optional(pool)
    .await?
    .map(|row| row.try_get(0))
    .transpose()?;
    // A key's visibility, as this server lists it (older ones have none).
    let visibility: Option<String> = sqlx::query(
        "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = 'information_schema' AND TABLE_NAME = 'STATISTICS' \
         AND COLUMN_NAME IN ('IGNORED', 'IS_VISIBLE')",
    )
    .fetch_optional(pool)
    .await?
    .map(|row| row.try_get(0))
    .transpose()?;
    let hidden = match visibility.as_deref() {
        Some("IGNORED") => "IGNORED = 'YES'",
        Some("IS_VISIBLE") => "IS_VISIBLE = 'NO'",
        _ => "0",
    };
    // Made of this file's own text only.
    let views_sql = sqlx::AssertSqlSafe(match flavor {
        Flavor::Mariadb => VIEWS.replace(
            "CAST(NULL AS CHAR) AS algorithm",
            "CAST(ALGORITHM AS CHAR) AS algorithm",
        ),
        Flavor::Mysql => VIEWS.to_owned(),
    });
    // Made of this file's own text only.
    let indexes_sql =
        sqlx::AssertSqlSafe(INDEXES.replace("CAST(hidden AS", &format!("CAST({hidden} AS")));
    let (
        tables,
        columns,
        indexes,
        index_expressions,
        foreign_keys,
        checks,
        views,
        triggers,
        routines,
    ) = tokio::try_join!(
        fetch::<TableRow>(pool, TABLES, database),
        fetch::<ColumnRow>(pool, COLUMNS, database),
        fetch::<IndexRow>(pool, indexes_sql, database),
        expressions,
        fetch::<ForeignKeyRow>(pool, FOREIGN_KEYS, database),
        fetch::<CheckRow>(pool, checks_sql, database),
        fetch::<ViewRow>(pool, views_sql, database),
        fetch::<TriggerRow>(pool, TRIGGERS, database),
        fetch::<RoutineRow>(pool, ROUTINES, database),
    )?;
    Ok(Catalog {
        flavor: Some(flavor),
        default_collation,
        tables,
        columns,
        indexes,
        index_expressions,
        foreign_keys,
        checks,
        views,
        triggers,
        routines,
    })
}

/// Makes the manifest from the catalog rows. Pure: no I/O.
pub fn build(catalog: &Catalog, database: &str, progress: &Progress) -> Introspection {
    let flavor = catalog.flavor.unwrap_or(Flavor::Mysql);
    let mut ledger = Ledger::new();
    let mut manifest = Manifest {
        format: CURRENT_FORMAT,
        version: 1,
        project: Project {
            name: Some(database.to_owned()),
        },
        source: Some(Source {
            engine: SourceEngine::Mysql,
            url: None,
            schemas: Vec::new(),
        }),
        ..Manifest::default()
    };

    let mut columns: HashMap<&str, Vec<&ColumnRow>> = HashMap::new();
    for column in &catalog.columns {
        columns
            .entry(column.table_name.as_str())
            .or_default()
            .push(column);
    }
    let mut checks: HashMap<&str, Vec<&CheckRow>> = HashMap::new();
    for check in &catalog.checks {
        checks
            .entry(check.table_name.as_str())
            .or_default()
            .push(check);
    }
    let views: HashMap<&str, &ViewRow> =
        catalog.views.iter().map(|v| (v.name.as_str(), v)).collect();
    // Table names are case-sensitive on Linux; foreign keys name them as stored.
    let table_names: HashMap<&str, &str> = catalog
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t.name.as_str()))
        .collect();

    progress.set_length(catalog.tables.len() as u64);
    // Base tables first, so that views reuse their enums.
    let ordered = catalog
        .tables
        .iter()
        .filter(|t| t.kind == "BASE TABLE")
        .chain(catalog.tables.iter().filter(|t| t.kind != "BASE TABLE"));
    for table in ordered {
        progress.inc(1);
        let kind = match table.kind.as_str() {
            "BASE TABLE" => EntityKind::Table,
            "VIEW" => EntityKind::View,
            "SYSTEM VERSIONED" => {
                ledger.record(
                    &table.name,
                    "system_versioned",
                    format!(
                        "`{}` keeps the history of its rows (WITH SYSTEM VERSIONING); the manifest has it as a plain table",
                        table.name
                    ),
                );
                EntityKind::Table
            }
            other => {
                ledger.record(
                    &table.name,
                    "table_kind",
                    format!(
                        "`{}` is a `{other}`, which the manifest does not represent",
                        table.name
                    ),
                );
                continue;
            }
        };
        let mut entity = Entity::new(&table.name);
        entity.kind = kind;
        // A table's default collation, a view's connection collation: said
        // when not the server's default for utf8mb4.
        let collation = match kind {
            EntityKind::Table => table.collation.as_ref(),
            _ => views
                .get(table.name.as_str())
                .and_then(|v| v.collation.as_ref()),
        };
        entity.collation = collation
            .filter(|collation| Some(*collation) != catalog.default_collation.as_ref())
            .cloned();
        if let Some(view) = views.get(table.name.as_str())
            && kind != EntityKind::Table
        {
            let options = view.options();
            if !options.is_empty() {
                ledger.record(
                    &table.name,
                    "view_options",
                    format!(
                        "the view options of `{}` ({}) are not represented; a plan makes \
                         the view without them",
                        table.name,
                        options.join(", ")
                    ),
                );
            }
        }
        if kind == EntityKind::Table {
            entity.comment = table.comment.clone().filter(|c| !c.is_empty());
            if let Some(engine) = table.engine.as_deref()
                && !engine.eq_ignore_ascii_case("InnoDB")
            {
                ledger.record(
                    &table.name,
                    "table_engine",
                    format!(
                        "`{}` uses the {engine} storage engine, which the manifest does not record",
                        table.name
                    ),
                );
            }
            // An InnoDB table's row format; another engine's is an option
            // like the others (a plan makes an InnoDB table).
            let innodb = table
                .engine
                .as_deref()
                .is_none_or(|engine| engine.eq_ignore_ascii_case("InnoDB"));
            let options = create_options(table.options.as_deref().unwrap_or_default());
            let mut other = Vec::new();
            for option in &options {
                let format = option
                    .strip_prefix("row_format=")
                    .map(str::to_ascii_uppercase)
                    .filter(|format| innodb && ROW_FORMATS.contains(&format.as_str()));
                match format {
                    Some(format) => entity.row_format = Some(format),
                    None if *option != "partitioned" => other.push(*option),
                    None => {}
                }
            }
            if !other.is_empty() {
                ledger.record(
                    &table.name,
                    "table_options",
                    format!(
                        "`{}` has table options the manifest does not represent: {}; a plan leaves them out",
                        table.name,
                        other.join(" ")
                    ),
                );
            }
            if options.contains(&"partitioned") {
                ledger.record(
                    &table.name,
                    "partition",
                    format!(
                        "`{}` is partitioned; the partitioning is not represented",
                        table.name
                    ),
                );
            }
        } else {
            // The server qualifies every table with the database name; the
            // manifest must not depend on what the database is called.
            let qualifier = format!("`{database}`.");
            entity.definition = views
                .get(table.name.as_str())
                .and_then(|v| v.definition.as_deref())
                .map(|d| d.trim().replace(&qualifier, ""))
                .filter(|d| !d.is_empty());
        }
        let table_checks = checks.remove(table.name.as_str()).unwrap_or_default();
        let json_columns = mariadb_json_columns(flavor, &table_checks);
        for column in columns.remove(table.name.as_str()).unwrap_or_default() {
            let mut field = column_field(
                column,
                kind == EntityKind::View,
                flavor,
                json_columns.contains(&column.name.as_str()),
                &mut manifest.enums,
            );
            // A column's collation when it is not its table's; a view
            // column's (its source's) when it is not the server's default.
            let implied = match kind {
                EntityKind::Table => table.collation.as_ref(),
                _ => catalog.default_collation.as_ref(),
            };
            if let Some(collation) = &column.collation
                && implied != Some(collation)
            {
                field.collation = Some(collation.clone());
            }
            if kind == EntityKind::View {
                // The server reports the underlying columns' defaults; a view has none.
                field.default = None;
                field.generated = None;
                field.on_update = None;
            }
            entity.fields.insert(column.name.clone(), field);
        }
        for check in table_checks {
            if flavor == Flavor::Mariadb && json_columns.contains(&check.name.as_str()) {
                continue;
            }
            entity.checks.push(Check {
                name: Some(check.name.clone()),
                sql: check.clause.trim().to_owned(),
                ..Check::default()
            });
        }
        manifest.entities.insert(table.name.clone(), entity);
    }

    add_indexes(&mut manifest, catalog, &mut ledger);
    add_relations(&mut manifest, catalog, &table_names, database, &mut ledger);

    for trigger in &catalog.triggers {
        ledger.record(
            &trigger.table_name,
            "trigger",
            format!(
                "trigger `{}` ({} {}) on `{}` is not represented in the manifest",
                trigger.name,
                trigger.timing.to_ascii_lowercase(),
                trigger.event.to_ascii_lowercase(),
                trigger.table_name
            ),
        );
    }
    if !catalog.routines.is_empty() {
        let names: Vec<String> = catalog
            .routines
            .iter()
            .map(|r| format!("{} `{}`", r.kind.to_ascii_lowercase(), r.name))
            .collect();
        ledger.record(
            database,
            "routine",
            format!(
                "{} stored routine(s) are not represented in the manifest: {}",
                names.len(),
                names.join(", ")
            ),
        );
    }
    Introspection { manifest, ledger }
}

/// The options of `information_schema.TABLES.CREATE_OPTIONS`
/// (`max_rows=10 row_format=DYNAMIC partitioned`), split where a space is
/// outside quotes.
fn create_options(options: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quote) = (None, None::<char>);
    for (i, c) in options.char_indices() {
        match (c, quote) {
            (c, Some(open)) if c == open => quote = None,
            (_, Some(_)) => {}
            ('\'' | '"' | '`', None) => {
                quote = Some(c);
                start.get_or_insert(i);
            }
            (c, None) if c.is_whitespace() => {
                if let Some(from) = start.take() {
                    out.push(&options[from..i]);
                }
            }
            (_, None) => {
                start.get_or_insert(i);
            }
        }
    }
    if let Some(from) = start {
        out.push(&options[from..]);
    }
    out
}

/// MariaDB's `JSON` is `LONGTEXT` with a `json_valid(column)` CHECK named
/// after the column; those columns are JSON, and those checks are implied.
fn mariadb_json_columns<'a>(flavor: Flavor, checks: &[&'a CheckRow]) -> Vec<&'a str> {
    if flavor != Flavor::Mariadb {
        return Vec::new();
    }
    checks
        .iter()
        .filter(|check| {
            let clause = check.clause.replace(['`', ' '], "").to_ascii_lowercase();
            clause == format!("json_valid({})", check.name.to_ascii_lowercase())
        })
        .map(|check| check.name.as_str())
        .collect()
}

/// The field of `column` (of a view when `view`: its integer type's display
/// width, which the server derives from the query, is not said).
fn column_field(
    column: &ColumnRow,
    view: bool,
    flavor: Flavor,
    mariadb_json: bool,
    enums: &mut BTreeMap<String, Enum>,
) -> Field {
    let data_type = column.data_type.to_ascii_lowercase();
    let mut field = match data_type.as_str() {
        "enum" | "set" => {
            let values = parse_enum_values(&column.column_type);
            // MySQL enums are inline; columns with the same values (a view
            // over a table, say) share one `[enums]` entry.
            let existing = enums
                .iter()
                .find(|(_, e)| e.values == values)
                .map(|(name, _)| name.clone());
            let name = existing.unwrap_or_else(|| {
                let name = format!("{}_{}", column.table_name, column.name);
                enums.insert(
                    name.clone(),
                    Enum {
                        values,
                        ..Enum::default()
                    },
                );
                name
            });
            let mut member = Field::new(FieldType::Enum);
            member.enum_name = Some(name);
            if data_type == "enum" {
                member
            } else {
                // A SET holds any combination of its members.
                let mut set = Field::new(FieldType::Array);
                set.items = Some(Box::new(member));
                set.native = Some(crate::dialect::mysql::normalize_type(&column.column_type));
                set
            }
        }
        _ if mariadb_json => Field::new(FieldType::Json),
        _ => field_for_column(
            &data_type,
            &if view {
                without_display_width(&column.column_type)
            } else {
                column.column_type.clone()
            },
            column.max_length,
            column.numeric_precision,
            column.numeric_scale,
        ),
    };
    field.nullable = column.is_nullable.eq_ignore_ascii_case("YES");
    field.comment = column.comment.clone().filter(|c| !c.is_empty());
    let extra = column
        .extra
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if extra.contains("auto_increment") {
        field.generated = Some(Generated::Kind(GeneratedKind::Autoincrement));
    }
    if let Some(expression) = column
        .generation_expression
        .as_deref()
        .filter(|e| !e.is_empty())
    {
        field.generated = Some(Generated::Computed {
            sql: expression.trim().to_owned(),
            stored: extra.contains("stored generated"),
        });
    }
    if let Some(position) = extra.find("on update ") {
        let expression = extra[position + "on update ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or_default();
        field.on_update = Some(normalize_expression(expression));
    }
    field.invisible = extra.contains("invisible");
    if field.generated.is_none() {
        field.default = column
            .column_default
            .as_deref()
            .and_then(|text| parse_default(text, flavor, &extra, &field));
        // A `BINARY(n)` value is padded with zero bytes to its length, so
        // its default reads back padded: `DEFAULT ''` is n of them. The
        // padding is no part of the value written.
        if column.data_type.eq_ignore_ascii_case("binary")
            && let Some(DefaultValue::Literal(Literal::String(value))) = &mut field.default
        {
            value.truncate(value.trim_end_matches('\0').len());
        }
    }
    field
}

/// Values of `enum('a','b''c')` or `set(...)`, unquoted.
pub fn parse_enum_values(column_type: &str) -> Vec<String> {
    let Some(open) = column_type.find('(') else {
        return Vec::new();
    };
    let body = &column_type[open + 1..column_type.rfind(')').unwrap_or(column_type.len())];
    let mut values = Vec::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    value.push('\'');
                }
                '\'' => break,
                '\\' => {
                    if let Some(escaped) = chars.next() {
                        value.push(escaped);
                    }
                }
                c => value.push(c),
            }
        }
        values.push(value);
    }
    values
}

/// `current_timestamp()` → `CURRENT_TIMESTAMP`; other expressions as written.
fn normalize_expression(expression: &str) -> String {
    let lower = expression.trim().to_ascii_lowercase();
    for name in ["current_timestamp", "now", "localtimestamp", "localtime"] {
        if lower == name || lower == format!("{name}()") {
            return "CURRENT_TIMESTAMP".to_owned();
        }
        if let Some(rest) = lower.strip_prefix(&format!("{name}(")) {
            return format!("CURRENT_TIMESTAMP({rest}");
        }
    }
    expression.trim().to_owned()
}

/// A column default as the manifest writes it. MariaDB quotes string
/// literals and writes `NULL` for an explicit null default; MySQL writes
/// literals bare and marks expressions with `DEFAULT_GENERATED` in `EXTRA`.
pub fn parse_default(
    text: &str,
    flavor: Flavor,
    extra: &str,
    field: &Field,
) -> Option<DefaultValue> {
    let literal_text = match flavor {
        Flavor::Mariadb => {
            if text.eq_ignore_ascii_case("NULL") {
                return None;
            }
            if let Some(quoted) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
                Some(unescape_mariadb(quoted))
            } else if looks_numeric(text) {
                Some(text.to_owned())
            } else {
                None
            }
        }
        Flavor::Mysql => (!extra.contains("default_generated")).then(|| text.to_owned()),
    };
    let Some(literal) = literal_text else {
        return Some(DefaultValue::Sql {
            sql: normalize_expression(text),
        });
    };
    let typed = match field.ty {
        FieldType::Bool => match literal.as_str() {
            "0" => Some(Literal::Bool(false)),
            "1" => Some(Literal::Bool(true)),
            _ => None,
        },
        ty if ty.is_integer() => literal.parse().ok().map(Literal::Int),
        FieldType::Float32 | FieldType::Float64 | FieldType::Decimal => literal
            .parse::<i64>()
            .map(Literal::Int)
            .ok()
            .or_else(|| literal.parse::<f64>().ok().map(Literal::Float)),
        // A SET's default is its members joined by commas (`''` is none);
        // members cannot hold a comma.
        FieldType::Array if field.native.is_some() => Some(Literal::Array(
            literal
                .split(',')
                .filter(|member| !member.is_empty())
                .map(|member| Literal::String(member.to_owned()))
                .collect(),
        )),
        FieldType::Json | FieldType::Native | FieldType::Array => None,
        _ => Some(Literal::String(literal.clone())),
    };
    Some(match typed {
        Some(literal) => DefaultValue::Literal(literal),
        None if field.ty == FieldType::Array || field.ty == FieldType::Native => {
            DefaultValue::Literal(Literal::String(literal))
        }
        None => DefaultValue::Sql {
            sql: match flavor {
                Flavor::Mariadb => text.to_owned(),
                Flavor::Mysql => format!("'{}'", literal.replace('\'', "''")),
            },
        },
    })
}

/// A string literal's body as MariaDB's `COLUMN_DEFAULT` spells it:
/// `''` for a quote, `\\` for a backslash, `\0` for a zero byte (a
/// `BINARY(n)` default is padded with them), other escapes as MySQL reads
/// them; in one pass, so `\\0` stays a backslash and a `0`.
fn unescape_mariadb(quoted: &str) -> String {
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if chars.peek() == Some(&'\'') => {
                chars.next();
                out.push('\'');
            }
            '\\' => match chars.next() {
                Some('0') => out.push('\0'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('b') => out.push('\u{8}'),
                Some('Z') => out.push('\u{1a}'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

fn looks_numeric(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')
        && digits
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
}

fn add_indexes(manifest: &mut Manifest, catalog: &Catalog, ledger: &mut Ledger) {
    let expressions: HashMap<(&str, &str, i64), &str> = catalog
        .index_expressions
        .iter()
        .map(|e| {
            (
                (e.table_name.as_str(), e.name.as_str(), e.position),
                e.expression.as_str(),
            )
        })
        .collect();
    let columns: HashMap<(&str, &str), &ColumnRow> = catalog
        .columns
        .iter()
        .map(|c| ((c.table_name.as_str(), c.name.as_str()), c))
        .collect();
    // (table, index) → key parts, in position order (the query sorts them).
    let mut grouped: IndexMap<(&str, &str), Vec<&IndexRow>> = IndexMap::new();
    for row in &catalog.indexes {
        grouped
            .entry((row.table_name.as_str(), row.name.as_str()))
            .or_default()
            .push(row);
    }
    for ((table, name), rows) in grouped {
        let Some(entity) = manifest.entities.get_mut(table) else {
            continue;
        };
        if name == "PRIMARY" {
            entity.primary_key = rows.iter().filter_map(|r| r.column_name.clone()).collect();
            entity.primary_key_comment = rows
                .first()
                .and_then(|r| r.comment.clone())
                .filter(|c| !c.is_empty());
            continue;
        }
        let unique = rows.first().is_some_and(|r| r.non_unique == 0);
        let mut parts = Vec::with_capacity(rows.len());
        let mut readable = true;
        for row in &rows {
            let order = (row.collation.as_deref() == Some("D")).then_some(SortOrder::Desc);
            match (
                &row.column_name,
                expressions.get(&(table, name, row.position)),
            ) {
                (Some(column), _) => parts.push(IndexPart::Field {
                    field: column.clone(),
                    order,
                    collation: None,
                    prefix_length: row
                        .sub_part
                        .and_then(|length| u32::try_from(length).ok())
                        .filter(|&length| {
                            !whole_column(columns.get(&(table, column.as_str())), length)
                        }),
                }),
                (None, Some(expression)) => parts.push(IndexPart::Expression {
                    sql: expression.to_string(),
                    order,
                }),
                (None, None) => readable = false,
            }
        }
        if !readable {
            ledger.record(
                format!("{table}.{name}"),
                "unreadable_index",
                format!("index `{name}` on `{table}` has key parts the catalog does not describe; it is left out"),
            );
            continue;
        }
        let method = match rows
            .first()
            .map(|r| r.index_type.to_ascii_uppercase())
            .as_deref()
        {
            Some("FULLTEXT") => Some("fulltext".to_owned()),
            Some("SPATIAL") => Some("spatial".to_owned()),
            Some("HASH") => Some("hash".to_owned()),
            _ => None,
        };
        let first = rows.first();
        let options = IndexOptions {
            invisible: first.is_some_and(|r| r.hidden != 0),
            comment: first
                .and_then(|r| r.comment.clone())
                .filter(|c| !c.is_empty()),
            ..IndexOptions::default()
        };
        // A one-column unique index named after its column is what `UNIQUE`
        // on the column creates: say it on the field.
        if unique
            && method.is_none()
            && options == IndexOptions::default()
            && let [
                IndexPart::Field {
                    field,
                    order: None,
                    prefix_length: None,
                    ..
                },
            ] = parts.as_slice()
            && field == name
            && let Some(target) = entity.fields.get_mut(field.as_str())
        {
            target.unique = true;
            continue;
        }
        entity.indexes.push(Index {
            name: name.to_owned(),
            fields: parts,
            unique,
            predicate: None,
            method,
            expire_after_seconds: None,
            options,
        });
    }
}

/// Whether a key part `length` characters long covers what `column` holds,
/// so that the manifest says no prefix: a `CHAR`/`VARCHAR`/`BINARY` column
/// no longer than it (the server keeps such a key as the whole column; a
/// dump may still spell the length), a `TEXT`/`BLOB` column keyed by the
/// prefix a plan gives one that names none, or a column of another type
/// (InnoDB lists 32 for the `POINT` of a `SPATIAL` index).
fn whole_column(column: Option<&&ColumnRow>, length: u32) -> bool {
    let Some(column) = column else {
        return false;
    };
    let data_type = column.data_type.to_ascii_lowercase();
    if data_type.ends_with("text") || data_type.ends_with("blob") {
        return length == crate::migrate::render::MYSQL_TEXT_PREFIX_LENGTH;
    }
    if !data_type.ends_with("char") && !data_type.ends_with("binary") {
        return true;
    }
    column
        .max_length
        .is_some_and(|max| i64::from(length) >= max)
}

fn add_relations(
    manifest: &mut Manifest,
    catalog: &Catalog,
    tables: &HashMap<&str, &str>,
    database: &str,
    ledger: &mut Ledger,
) {
    let mut grouped: IndexMap<(&str, &str), Vec<&ForeignKeyRow>> = IndexMap::new();
    for row in &catalog.foreign_keys {
        grouped
            .entry((row.table_name.as_str(), row.name.as_str()))
            .or_default()
            .push(row);
    }
    for ((table, name), rows) in grouped {
        let Some(first) = rows.first() else { continue };
        let other_schema = first
            .referenced_schema
            .as_deref()
            .is_some_and(|schema| schema != database);
        let target = tables.get(first.referenced_table.as_str()).copied();
        let (Some(target), false) = (target, other_schema) else {
            ledger.record(
                table,
                "dangling_foreign_key",
                format!(
                    "foreign key `{name}` of `{table}` references `{}`, which is not in this database; it is left out",
                    first.referenced_table
                ),
            );
            continue;
        };
        let Some(entity) = manifest.entities.get_mut(table) else {
            continue;
        };
        entity.relations.push(Relation {
            name: Some(name.to_owned()),
            fields: rows.iter().map(|r| r.column_name.clone()).collect(),
            references: RelationTarget {
                entity: target.to_owned(),
                fields: rows
                    .iter()
                    .map(|r| r.referenced_column.clone().unwrap_or_default())
                    .collect(),
            },
            on_delete: action(first.delete_rule.as_deref()),
            on_update: action(first.update_rule.as_deref()),
            deferrable: false,
            deferred: false,
            comment: None,
        });
    }
}

fn action(rule: Option<&str>) -> ReferentialAction {
    match rule.map(str::to_ascii_uppercase).as_deref() {
        Some("CASCADE") => ReferentialAction::Cascade,
        Some("SET NULL") => ReferentialAction::SetNull,
        Some("SET DEFAULT") => ReferentialAction::SetDefault,
        Some("RESTRICT") => ReferentialAction::Restrict,
        _ => ReferentialAction::NoAction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values_are_unquoted() {
        assert_eq!(
            parse_enum_values("enum('G','PG','PG-13')"),
            ["G", "PG", "PG-13"]
        );
        assert_eq!(parse_enum_values("set('a,b','it''s')"), ["a,b", "it's"]);
        assert!(parse_enum_values("int").is_empty());
    }

    #[test]
    fn defaults_follow_each_flavor() {
        let text = Field::new(FieldType::String);
        let int = Field::new(FieldType::Int16);
        let decimal = Field::new(FieldType::Decimal);
        let stamp = Field::new(FieldType::Timestamptz);
        let boolean = Field::new(FieldType::Bool);
        let lit = |l| Some(DefaultValue::Literal(l));
        let sql = |s: &str| Some(DefaultValue::Sql { sql: s.into() });
        // MariaDB quotes strings and spells out NULL.
        assert_eq!(
            parse_default("'G'", Flavor::Mariadb, "", &text),
            lit(Literal::String("G".into()))
        );
        assert_eq!(parse_default("NULL", Flavor::Mariadb, "", &text), None);
        // Escapes in one pass: a zero byte, an escaped backslash before a
        // `0`, a doubled quote.
        assert_eq!(
            parse_default("'ab\\0\\0'", Flavor::Mariadb, "", &text),
            lit(Literal::String("ab\0\0".into()))
        );
        assert_eq!(
            parse_default("'a\\\\0''c'", Flavor::Mariadb, "", &text),
            lit(Literal::String("a\\0'c".into()))
        );
        assert_eq!(
            parse_default("3", Flavor::Mariadb, "", &int),
            lit(Literal::Int(3))
        );
        assert_eq!(
            parse_default("4.99", Flavor::Mariadb, "", &decimal),
            lit(Literal::Float(4.99))
        );
        assert_eq!(
            parse_default("current_timestamp()", Flavor::Mariadb, "", &stamp),
            sql("CURRENT_TIMESTAMP")
        );
        assert_eq!(
            parse_default("1", Flavor::Mariadb, "", &boolean),
            lit(Literal::Bool(true))
        );
        // MySQL writes literals bare and marks expressions in EXTRA.
        assert_eq!(
            parse_default("G", Flavor::Mysql, "", &text),
            lit(Literal::String("G".into()))
        );
        assert_eq!(
            parse_default(
                "CURRENT_TIMESTAMP",
                Flavor::Mysql,
                "default_generated",
                &stamp
            ),
            sql("CURRENT_TIMESTAMP")
        );
        assert_eq!(
            parse_default("19.99", Flavor::Mysql, "", &decimal),
            lit(Literal::Float(19.99))
        );
    }

    #[test]
    fn on_update_and_default_expressions_are_normalized() {
        assert_eq!(
            normalize_expression("current_timestamp()"),
            "CURRENT_TIMESTAMP"
        );
        assert_eq!(
            normalize_expression("CURRENT_TIMESTAMP(6)"),
            "CURRENT_TIMESTAMP(6)"
        );
        assert_eq!(normalize_expression("uuid()"), "uuid()");
    }
}
