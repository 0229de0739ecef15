//! `baas rules test`: a table of cases (who, which action, on which row or
//! body, allowed or not) run against the compiled rules on a throwaway
//! embedded SQLite database, and against a PostgreSQL database's
//! row-level security policies (`[auth] rls = true`).
//!
//! ```toml
//! [[case]]
//! name = "a user edits their own draft"
//! entity = "post"
//! action = "update"                              # list, view, create, update, delete
//! claims = { sub = "1", org = 1 }                # omitted: anonymous; service = true: the service key
//! row = { id = 2, published = false, author_id = 1 }   # the stored row (not for create)
//! body = { title = "new" }                       # create, update
//! rows = { author = [{ id = 1, org_id = 1 }] }   # other rows the rule reads (relation paths)
//! expect = "allow"                               # or "deny"
//! ```
//!
//! A list or view is allowed when the row is among those returned; an
//! update, delete or create when it happens. Every case runs in a database
//! of its own (SQLite) or in a transaction rolled back (PostgreSQL, as a
//! role made for it in that transaction, so the policies apply).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::kernel::{Kernel, KernelError, Outcome};
use super::operation::{Action, Body, Operation, Principal, Schema};
use super::policy::rules::Rules;
use super::store::resolver::Single;
use super::store::{Store, Values};
use crate::manifest::Manifest;
use crate::query::{Filter, ListQuery, Op, Value, WriteMode};

/// One case of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub name: String,
    pub entity: String,
    pub action: Action,
    /// The service key.
    pub service: bool,
    /// A verified token's claims; `None` (and not the service): anonymous.
    pub claims: Option<Map<String, Json>>,
    pub row: Option<Map<String, Json>>,
    pub body: Option<Json>,
    /// Rows of other entities, loaded first.
    pub rows: BTreeMap<String, Vec<Map<String, Json>>>,
    /// `true`: allow.
    pub expect: bool,
}

/// Reads the cases of a TOML file's text; the message names the case and
/// key at fault.
pub fn parse_cases(text: &str) -> Result<Vec<Case>, String> {
    let document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|error: toml_edit::TomlError| error.to_string())?;
    let Some(cases) = document
        .get("case")
        .and_then(toml_edit::Item::as_array_of_tables)
    else {
        return Err("the file has no `[[case]]` tables".into());
    };
    let mut out = Vec::new();
    for (index, table) in cases.iter().enumerate() {
        let json = table_json(table);
        let at = |key: &str| format!("case {} `{key}`", index + 1);
        let text = |key: &str| json.get(key).and_then(Json::as_str).map(str::to_owned);
        let object = |key: &str| -> Result<Option<Map<String, Json>>, String> {
            match json.get(key) {
                None => Ok(None),
                Some(Json::Object(map)) => Ok(Some(map.clone())),
                Some(_) => Err(format!("{} must be a table", at(key))),
            }
        };
        let name = text("name").unwrap_or_else(|| format!("case {}", index + 1));
        let entity = text("entity").ok_or_else(|| format!("{} is missing", at("entity")))?;
        let action = match text("action").as_deref() {
            Some("list") => Action::List,
            Some("view") => Action::View,
            Some("create") => Action::Create,
            Some("update") => Action::Update,
            Some("delete") => Action::Delete,
            _ => {
                return Err(format!(
                    "{} must be list, view, create, update or delete",
                    at("action")
                ));
            }
        };
        let expect = match text("expect").as_deref() {
            Some("allow") => true,
            Some("deny") => false,
            _ => return Err(format!("{} must be \"allow\" or \"deny\"", at("expect"))),
        };
        let mut rows = BTreeMap::new();
        if let Some(map) = object("rows")? {
            for (entity, list) in map {
                let Json::Array(items) = list else {
                    return Err(format!("{} must hold arrays of tables", at("rows")));
                };
                let items = items
                    .into_iter()
                    .map(|item| match item {
                        Json::Object(map) => Ok(map),
                        _ => Err(format!("{} must hold arrays of tables", at("rows"))),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                rows.insert(entity, items);
            }
        }
        let row = object("row")?;
        if action != Action::Create && row.is_none() {
            return Err(format!(
                "{} is missing (a {} needs the stored row)",
                at("row"),
                text("action").unwrap_or_default()
            ));
        }
        out.push(Case {
            name,
            entity,
            action,
            service: json.get("service").and_then(Json::as_bool).unwrap_or(false),
            claims: object("claims")?,
            row,
            body: json.get("body").cloned(),
            rows,
            expect,
        });
    }
    Ok(out)
}

fn table_json(table: &dyn toml_edit::TableLike) -> Json {
    Json::Object(
        table
            .iter()
            .map(|(key, item)| (key.to_owned(), item_json(item)))
            .collect(),
    )
}

fn item_json(item: &toml_edit::Item) -> Json {
    match item {
        toml_edit::Item::Value(value) => value_json(value),
        toml_edit::Item::Table(table) => table_json(table),
        toml_edit::Item::ArrayOfTables(tables) => {
            Json::Array(tables.iter().map(|t| table_json(t)).collect())
        }
        toml_edit::Item::None => Json::Null,
    }
}

fn value_json(value: &toml_edit::Value) -> Json {
    use toml_edit::Value as V;
    match value {
        V::String(s) => Json::String(s.value().clone()),
        V::Integer(i) => Json::from(*i.value()),
        V::Float(f) => Json::from(*f.value()),
        V::Boolean(b) => Json::Bool(*b.value()),
        V::Datetime(d) => Json::String(d.value().to_string()),
        V::Array(items) => Json::Array(items.iter().map(value_json).collect()),
        V::InlineTable(table) => table_json(table),
    }
}

/// The principal of a case, with `id` and `role` read through the
/// manifest's `[auth] claims` names.
pub fn principal(manifest: &Manifest, case: &Case) -> Principal {
    if case.service {
        return Principal::Service;
    }
    let Some(claims) = &case.claims else {
        return Principal::Anonymous;
    };
    let names = manifest
        .auth
        .as_ref()
        .map(|auth| auth.claims.clone())
        .unwrap_or_default();
    super::policy::identity::principal_of(&names, claims.clone())
}

/// The entities of `rows` with the ones others reference first, so each
/// row's references exist when it is loaded.
fn load_order<'a>(
    manifest: &Manifest,
    rows: &'a BTreeMap<String, Vec<Map<String, Json>>>,
) -> Vec<&'a String> {
    let mut left: Vec<&String> = rows.keys().collect();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready = left.iter().position(|name| {
            manifest.entities.get(name.as_str()).is_none_or(|entity| {
                entity.relations.iter().all(|relation| {
                    let target = &relation.references.entity;
                    target == *name || !left.contains(&target)
                })
            })
        });
        // A cycle: load the rest as written.
        order.push(left.remove(ready.unwrap_or(0)));
    }
    order
}

/// A row of JSON typed by `entity`'s fields.
fn typed(manifest: &Manifest, entity: &str, row: &Map<String, Json>) -> Result<Values, String> {
    let definition = manifest
        .entities
        .get(entity)
        .ok_or_else(|| format!("there is no entity `{entity}`"))?;
    let mut values = Values::new();
    for (name, json) in row {
        let field = definition
            .fields
            .get(name)
            .ok_or_else(|| format!("`{entity}` has no field `{name}`"))?;
        let value = crate::query::value_from_json(field, json)
            .map_err(|error| format!("`{entity}.{name}`: {error}"))?;
        values.insert(name.clone(), value);
    }
    Ok(values)
}

/// The primary key of the case's row.
fn key(manifest: &Manifest, case: &Case) -> Result<Vec<Value>, String> {
    let entity = &manifest.entities[&case.entity];
    let row = case.row.as_ref().ok_or("the case has no row")?;
    let values = typed(manifest, &case.entity, row)?;
    entity
        .primary_key
        .iter()
        .map(|name| {
            values
                .get(name)
                .cloned()
                .ok_or_else(|| format!("the row has no `{name}` (part of the key)"))
        })
        .collect()
}

fn key_filter(manifest: &Manifest, case: &Case, key: &[Value]) -> Filter {
    let entity = &manifest.entities[&case.entity];
    Filter::And(
        entity
            .primary_key
            .iter()
            .zip(key)
            .map(|(field, value)| Filter::Compare {
                field: field.clone(),
                op: Op::Eq,
                value: value.clone(),
            })
            .collect(),
    )
}

fn check_entity(manifest: &Manifest, case: &Case) -> Result<(), String> {
    if manifest.entities.contains_key(&case.entity) {
        Ok(())
    } else {
        Err(format!("there is no entity `{}`", case.entity))
    }
}

/// Runs `case` against the rules on a new SQLite database in `dir`:
/// `Ok(true)` allowed, `Ok(false)` refused or not found.
pub async fn on_sqlite(manifest: &Arc<Manifest>, case: &Case, dir: &Path) -> Result<bool, String> {
    check_entity(manifest, case)?;
    let (store, _) = super::SqliteStore::dev(&dir.join("rules.sqlite3"), manifest, false)
        .map_err(|error| format!("the SQLite database: {error:#}"))?;
    let store: Arc<dyn Store> = Arc::new(store);
    for entity in load_order(manifest, &case.rows) {
        for row in &case.rows[entity] {
            let values = typed(manifest, entity, row)?;
            store
                .insert(manifest, entity, &values)
                .await
                .map_err(|error| format!("loading a `{entity}` row: {error}"))?;
        }
    }
    if case.action != Action::Create
        && let Some(row) = &case.row
    {
        let values = typed(manifest, &case.entity, row)?;
        store
            .insert(manifest, &case.entity, &values)
            .await
            .map_err(|error| format!("loading the row: {error}"))?;
    }
    let kernel = Kernel::new(Arc::new(Rules), Arc::new(Single(store)));
    let schema = Schema::new(manifest.clone());
    let mut operation = Operation::new(
        Arc::new(principal(manifest, case)),
        case.entity.clone(),
        case.action,
    );
    let key = if case.action == Action::Create {
        Vec::new()
    } else {
        key(manifest, case)?
    };
    match case.action {
        Action::List => {
            operation.query = Some(ListQuery {
                filter: Some(key_filter(manifest, case, &key)),
                select: None,
                order: Vec::new(),
                limit: 1,
                offset: 0,
                count: false,
                expand: Vec::new(),
            });
        }
        Action::Create => {
            let body = case
                .body
                .clone()
                .or_else(|| case.row.clone().map(Json::Object));
            operation.body = Some(Body {
                json: body.unwrap_or_else(|| Json::Object(Map::new())),
                mode: WriteMode::Insert,
            });
        }
        Action::Update => {
            operation.key = key;
            operation.body = Some(Body {
                json: case
                    .body
                    .clone()
                    .unwrap_or_else(|| Json::Object(Map::new())),
                mode: WriteMode::Patch,
            });
        }
        Action::View | Action::Delete => operation.key = key,
    }
    match kernel.run(&schema, operation).await {
        Ok(Outcome::List(list)) => Ok(!list.rows.is_empty()),
        Ok(_) => Ok(true),
        Err(KernelError::NotFound | KernelError::Denied(_)) => Ok(false),
        Err(error) => Err(error.to_string()),
    }
}

/// Runs `case` against the row-level security policies of the PostgreSQL
/// database at `url`, in a transaction rolled back; `None` for the service
/// key (which the policies do not know: the server bypasses them).
pub async fn on_postgres(
    connection: &mut sqlx::PgConnection,
    manifest: &Manifest,
    case: &Case,
    number: usize,
) -> Result<Option<bool>, String> {
    use sqlx::Connection as _;

    use super::store::sqlx_common::sqlx_statement;
    use crate::query::sql::{self, SqlDialect};

    check_entity(manifest, case)?;
    if case.service {
        return Ok(None);
    }
    let fail = |error: sqlx::Error| error.to_string();
    let mut tx = connection.begin().await.map_err(fail)?;
    let run = |statement| -> Result<_, String> {
        let (text, values) = sqlx_statement(statement).map_err(|e| e.to_string())?;
        Ok(sqlx::query_with(text, values))
    };
    for entity in load_order(manifest, &case.rows) {
        for row in &case.rows[entity] {
            let values = typed(manifest, entity, row)?;
            run(sql::insert(SqlDialect::Postgres, manifest, entity, &values))?
                .execute(&mut *tx)
                .await
                .map_err(|error| format!("loading a `{entity}` row: {error}"))?;
        }
    }
    if case.action != Action::Create
        && let Some(row) = &case.row
    {
        let values = typed(manifest, &case.entity, row)?;
        run(sql::insert(
            SqlDialect::Postgres,
            manifest,
            &case.entity,
            &values,
        ))?
        .execute(&mut *tx)
        .await
        .map_err(|error| format!("loading the row: {error}"))?;
    }
    // A role of the case's own, made and dropped with the transaction:
    // the owner of the tables would bypass their policies.
    let role = format!("baas_rules_test_{}_{number}", std::process::id());
    let mut setup = vec![format!("CREATE ROLE \"{role}\" NOLOGIN")];
    let mut schemas = std::collections::BTreeSet::new();
    for entity in manifest.entities.values() {
        schemas.insert(entity.schema.clone().unwrap_or_else(|| "public".into()));
        setup.push(format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO \"{role}\"",
            crate::rules::rls::table(entity)
        ));
    }
    for schema in schemas {
        setup.push(format!(
            "GRANT USAGE ON SCHEMA \"{}\" TO \"{role}\"",
            schema.replace('"', "\"\"")
        ));
    }
    setup.push(format!("SET LOCAL ROLE \"{role}\""));
    for statement in setup {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await
            .map_err(|error| format!("setting up a role for the case: {error}"))?;
    }
    let claims = case
        .claims
        .as_ref()
        .map(|claims| Json::Object(claims.clone()).to_string())
        .unwrap_or_default();
    sqlx::query("SELECT set_config('request.jwt.claims', $1, true)")
        .bind(claims)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    let refused = |error: &sqlx::Error| {
        error
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "42501")
    };
    let allowed = match case.action {
        Action::List | Action::View => {
            let key = key(manifest, case)?;
            let filter = key_filter(manifest, case, &key);
            let (count,): (i64,) = {
                let (text, values) = sqlx_statement(sql::count(
                    SqlDialect::Postgres,
                    manifest,
                    &case.entity,
                    Some(&filter),
                ))
                .map_err(|e| e.to_string())?;
                sqlx::query_as_with(text, values)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(fail)?
            };
            count > 0
        }
        Action::Delete => {
            let key = key(manifest, case)?;
            let statement =
                sql::delete_by_key(SqlDialect::Postgres, manifest, &case.entity, &key, None);
            match run(statement)?.fetch_optional(&mut *tx).await {
                Ok(row) => row.is_some(),
                Err(error) if refused(&error) => false,
                Err(error) => return Err(error.to_string()),
            }
        }
        Action::Update => {
            let key = key(manifest, case)?;
            let body = match &case.body {
                Some(Json::Object(map)) => map.clone(),
                _ => Map::new(),
            };
            let values = typed(manifest, &case.entity, &body)?;
            let statement = sql::update_by_key(
                SqlDialect::Postgres,
                manifest,
                &case.entity,
                &key,
                None,
                &values,
            );
            match run(statement)?.fetch_optional(&mut *tx).await {
                Ok(row) => row.is_some(),
                Err(error) if refused(&error) => false,
                Err(error) => return Err(error.to_string()),
            }
        }
        Action::Create => {
            let body = match case.body.as_ref().or(None) {
                Some(Json::Object(map)) => map.clone(),
                _ => case.row.clone().unwrap_or_default(),
            };
            let values = typed(manifest, &case.entity, &body)?;
            // No RETURNING: reading the row back is the SELECT policy's
            // business, not the INSERT's.
            let (text, values) = sqlx_statement(sql::insert(
                SqlDialect::Postgres,
                manifest,
                &case.entity,
                &values,
            ))
            .map_err(|e| e.to_string())?;
            let text = sqlx::AssertSqlSafe(strip_returning(&text.0));
            match sqlx::query_with(text, values).execute(&mut *tx).await {
                Ok(_) => true,
                Err(error) if refused(&error) => false,
                Err(error) => return Err(error.to_string()),
            }
        }
    };
    tx.rollback().await.map_err(fail)?;
    Ok(Some(allowed))
}

/// `INSERT ... RETURNING ...` without its `RETURNING` clause.
fn strip_returning(text: &str) -> String {
    match text.rfind(" RETURNING ") {
        Some(at) => text[..at].to_owned(),
        None => text.to_owned(),
    }
}
