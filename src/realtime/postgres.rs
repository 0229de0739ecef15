//! A schema tenant's realtime objects on PostgreSQL: [`install`] makes the
//! trigger function and the triggers of [`super::tenant_objects`] in the
//! tenant's schema (or removes them when `[realtime] external` is off), so
//! that they match the manifest. Provisioning calls it after a new tenant's
//! migrations, and `migrate apply --tenants` after each tenant's.
//!
//! It reads the catalog first and changes only what differs: a tenant that
//! is up to date costs one connection and two queries, and no lock on its
//! tables. The changes run in one transaction under an advisory lock of the
//! schema, so two runs at once do not trip over each other.

use std::collections::BTreeMap;

use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _, Row as _};

use super::{FUNCTION, TRIGGER, ident, tenant_objects};
use crate::manifest::{Manifest, ObjectKind};

/// What [`install`] changed in a tenant's schema, by object key
/// (`trigger baas_realtime ON acme.note`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installed {
    /// Made or replaced.
    pub made: Vec<String>,
    pub dropped: Vec<String>,
}

impl Installed {
    pub fn is_empty(&self) -> bool {
        self.made.is_empty() && self.dropped.is_empty()
    }
}

/// Brings the realtime objects of schema `schema` at `url` (a connection
/// whose `search_path` is that schema) to what `manifest` asks for.
pub async fn install(
    url: &url::Url,
    schema: &str,
    manifest: &Manifest,
) -> Result<Installed, sqlx::Error> {
    let options = sqlx::postgres::PgConnectOptions::from_url(url)?;
    let mut connection = crate::connect::within_connect_timeout(options.connect())
        .await
        .map_err(|timed_out| sqlx::Error::Io(std::io::Error::other(timed_out.to_string())))??;
    let result = reconcile(&mut connection, schema, manifest).await;
    let _ = connection.close().await;
    result
}

async fn reconcile(
    connection: &mut sqlx::PgConnection,
    schema: &str,
    manifest: &Manifest,
) -> Result<Installed, sqlx::Error> {
    let wanted = tenant_objects(manifest, schema);
    let function = sqlx::query(
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = $1 AND p.proname = $2 AND p.pronargs = 0",
    )
    .bind(schema)
    .bind(FUNCTION)
    .fetch_optional(&mut *connection)
    .await?
    .map(|row| row.try_get::<String, _>(0))
    .transpose()?;
    let mut triggers: BTreeMap<String, String> = BTreeMap::new();
    for row in sqlx::query(
        "SELECT c.relname::text, pg_get_triggerdef(t.oid) FROM pg_trigger t \
         JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND t.tgname = $2 AND NOT t.tgisinternal",
    )
    .bind(schema)
    .bind(TRIGGER)
    .fetch_all(&mut *connection)
    .await?
    {
        let table: String = row.try_get(0)?;
        let key = format!(
            "trigger {} ON {}.{}",
            ident(TRIGGER),
            ident(schema),
            ident(&table)
        );
        // `pg_get_triggerdef` names the table (and the function, unless
        // the connection's `search_path` shows it) with the schema; the
        // wanted definition names them unqualified, in that schema.
        let live: String = row.try_get(1)?;
        triggers.insert(key, live.replace(&format!(" {}.", ident(schema)), " "));
    }

    let mut statements = Vec::new();
    let mut installed = Installed::default();
    let wanted_function = wanted.iter().find(|o| o.kind == ObjectKind::Function);
    // Triggers no table of the manifest asks for go first (the function
    // may be dropped after them).
    for key in triggers.keys() {
        if !wanted.iter().any(|object| object.key() == *key) {
            let on = key.trim_start_matches("trigger ");
            statements.push(format!("DROP TRIGGER IF EXISTS {on}"));
            installed.dropped.push(key.clone());
        }
    }
    match (wanted_function, &function) {
        (Some(object), Some(live)) if same(&object.sql, live) => {}
        (Some(object), _) => {
            statements.push(object.sql.clone());
            installed.made.push(object.key());
        }
        (None, Some(_)) => {}
        (None, None) => {}
    }
    for object in wanted.iter().filter(|o| o.kind == ObjectKind::Trigger) {
        let key = object.key();
        if triggers
            .get(&key)
            .is_some_and(|live| same(&object.sql, live))
        {
            continue;
        }
        // The same definition, replacing one that differs (PostgreSQL 14+).
        statements.push(
            object
                .sql
                .replacen("CREATE TRIGGER", "CREATE OR REPLACE TRIGGER", 1),
        );
        installed.made.push(key);
    }
    if wanted_function.is_none() && function.is_some() {
        statements.push(format!(
            "DROP FUNCTION IF EXISTS {}.{FUNCTION}()",
            ident(schema)
        ));
        installed
            .dropped
            .push(format!("function {}.{FUNCTION}()", ident(schema)));
    }
    if statements.is_empty() {
        return Ok(installed);
    }
    let mut transaction = connection.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('baas_realtime'), hashtext($1))")
        .bind(schema)
        .execute(&mut *transaction)
        .await?;
    for statement in statements {
        sqlx::raw_sql(AssertSqlSafe(statement))
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    Ok(installed)
}

/// Whether two definitions are the same, spacing and a final `;` aside.
fn same(a: &str, b: &str) -> bool {
    let words = |text: &str| {
        text.trim()
            .trim_end_matches(';')
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    words(a) == words(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_compare_without_spacing() {
        assert!(same(
            "CREATE TRIGGER t\n  AFTER INSERT;",
            "CREATE TRIGGER t AFTER INSERT"
        ));
        assert!(!same(
            "CREATE TRIGGER t AFTER INSERT",
            "CREATE TRIGGER u AFTER INSERT"
        ));
    }
}
