//! PostgreSQL's part of tenancy: the schema of a schema-per-tenant tenant,
//! made and dropped on a connection of its own (the schema name is a
//! validated slug, and quoted all the same).

use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _};
use url::Url;

use super::TenancyError;
use crate::source::redact;

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn execute(server: &Url, statement: String, what: &str) -> Result<(), TenancyError> {
    let fail = |error: sqlx::Error| {
        TenancyError::Database(format!(
            "{what} on `{}` failed: {}",
            redact(server.as_str()),
            redact(&error.to_string())
        ))
    };
    let options = PgConnectOptions::from_url(server)
        .map_err(fail)?
        .application_name("baas tenants");
    let mut connection = crate::connect::within_connect_timeout(options.connect())
        .await
        .map_err(|timed_out| {
            TenancyError::Database(format!(
                "{what}: cannot connect to `{}`: {timed_out}",
                redact(server.as_str())
            ))
        })?
        .map_err(fail)?;
    let result = sqlx::raw_sql(AssertSqlSafe(statement))
        .execute(&mut connection)
        .await;
    let _ = connection.close().await;
    result.map(|_| ()).map_err(fail)
}

/// `CREATE SCHEMA`: fails when the schema exists (it is never taken over).
pub async fn create_schema(server: &Url, schema: &str) -> Result<(), TenancyError> {
    execute(
        server,
        format!("CREATE SCHEMA {}", quote(schema)),
        &format!("creating schema `{schema}`"),
    )
    .await
}

/// `DROP SCHEMA ... CASCADE`, nothing when it is gone.
pub async fn drop_schema(server: &Url, schema: &str) -> Result<(), TenancyError> {
    execute(
        server,
        format!("DROP SCHEMA IF EXISTS {} CASCADE", quote(schema)),
        &format!("dropping schema `{schema}`"),
    )
    .await
}
