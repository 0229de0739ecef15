//! The servers tenants are made on: a PostgreSQL schema
//! (`strategy = "schema"`) or a database on PostgreSQL, MySQL/MariaDB or
//! MongoDB (`strategy = "database"`), made and dropped on a connection of
//! its own. Names are validated slugs (or a server's database name plus
//! one), and quoted all the same; no value of a request reaches here.

use sqlx::{AssertSqlSafe, ConnectOptions, Connection as _};
use url::Url;

use super::TenancyError;
use crate::source::redact;

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_mysql(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A new connection to `server` (PostgreSQL or MySQL) for `what`, within
/// the connect timeout: the one way tenancy opens a connection of its own.
pub(super) async fn connect<O>(server: &Url, what: &str) -> Result<O::Connection, TenancyError>
where
    O: ConnectOptions,
    O::Connection: Sized,
{
    let options = O::from_url(server).map_err(|error| failed(server, what, &error))?;
    crate::connect::within_connect_timeout(options.connect())
        .await
        .map_err(|timed_out| {
            TenancyError::Database(format!(
                "{what}: cannot connect to `{}`: {timed_out}",
                redact(server.as_str())
            ))
        })?
        .map_err(|error| failed(server, what, &error))
}

/// `what` on `server` failed with `error` (passwords redacted).
pub(super) fn failed(server: &Url, what: &str, error: &sqlx::Error) -> TenancyError {
    TenancyError::Database(format!(
        "{what} on `{}` failed: {}",
        redact(server.as_str()),
        redact(&error.to_string())
    ))
}

/// Runs `statement` on a new connection to `server` (PostgreSQL or MySQL).
async fn execute<O>(server: &Url, statement: String, what: &str) -> Result<(), TenancyError>
where
    O: ConnectOptions,
    O::Connection: Sized,
    for<'c> &'c mut O::Connection: sqlx::Executor<'c>,
{
    let mut connection = connect::<O>(server, what).await?;
    let result = sqlx::raw_sql(AssertSqlSafe(statement))
        .execute(&mut connection)
        .await;
    let _ = connection.close().await;
    result
        .map(|_| ())
        .map_err(|error| failed(server, what, &error))
}

type Pg = sqlx::postgres::PgConnectOptions;
type My = sqlx::mysql::MySqlConnectOptions;

/// `CREATE SCHEMA`: fails when the schema exists (it is never taken over).
pub async fn create_schema(server: &Url, schema: &str) -> Result<(), TenancyError> {
    execute::<Pg>(
        server,
        format!("CREATE SCHEMA {}", quote(schema)),
        &format!("creating schema `{schema}`"),
    )
    .await
}

/// `DROP SCHEMA ... CASCADE`, nothing when it is gone.
pub async fn drop_schema(server: &Url, schema: &str) -> Result<(), TenancyError> {
    execute::<Pg>(
        server,
        format!("DROP SCHEMA IF EXISTS {} CASCADE", quote(schema)),
        &format!("dropping schema `{schema}`"),
    )
    .await
}

/// The engine of a tenant database: a [`crate::database::Database`] with a
/// server to make databases on (PostgreSQL, MySQL, MongoDB; SQLite tenants
/// are files, and [`engine`] never names SQLite).
pub use crate::database::Database as Engine;

/// The engine of a server's connection string, by its scheme.
pub fn engine(server: &str) -> Option<Engine> {
    let scheme = server.split_once("://")?.0.to_ascii_lowercase();
    match scheme.as_str() {
        "postgres" | "postgresql" => Some(Engine::Postgres),
        "mysql" | "mariadb" => Some(Engine::Mysql),
        "mongodb" | "mongodb+srv" => Some(Engine::Mongodb),
        _ => None,
    }
}

/// SQLite has no server: a database cannot be made or dropped on one.
fn no_server(server: &str) -> TenancyError {
    TenancyError::refused(
        format!("`{}` is not a database server", redact(server)),
        "strategy `database` makes databases on postgres://, mysql:// or mongodb:// servers",
    )
}

/// The `(start, end)` byte range of the database name in a connection
/// string (`scheme://authority/NAME?query`); empty when it names none.
/// Text, not a URL parser: a MongoDB string may list several hosts.
fn database_range(server: &str) -> (usize, usize) {
    let after_scheme = server.find("://").map_or(0, |at| at + 3);
    let end_of_authority = server[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(server.len(), |at| after_scheme + at);
    if !server[end_of_authority..].starts_with('/') {
        return (end_of_authority, end_of_authority);
    }
    let start = end_of_authority + 1;
    let end = server[start..]
        .find(['?', '#'])
        .map_or(server.len(), |at| start + at);
    (start, end)
}

/// The database a connection string names (`""` when none).
pub fn database_of(server: &str) -> &str {
    let (start, end) = database_range(server);
    &server[start..end]
}

/// `server` with its database name replaced by `database`.
pub fn with_database(server: &str, database: &str) -> String {
    let (start, end) = database_range(server);
    if start == end && !server[..start].ends_with('/') {
        return format!("{}/{database}{}", &server[..start], &server[start..]);
    }
    format!("{}{database}{}", &server[..start], &server[end..])
}

/// Makes the empty database `database` on `server`; fails when it exists
/// (it is never taken over).
pub async fn create_database(
    engine: Engine,
    server: &str,
    database: &str,
) -> Result<(), TenancyError> {
    let what = format!("creating database `{database}`");
    match engine {
        Engine::Postgres => {
            execute::<Pg>(
                &url(server)?,
                format!("CREATE DATABASE {}", quote(database)),
                &what,
            )
            .await
        }
        Engine::Mysql => {
            execute::<My>(
                &url(server)?,
                format!(
                    "CREATE DATABASE {} CHARACTER SET utf8mb4",
                    quote_mysql(database)
                ),
                &what,
            )
            .await
        }
        // MongoDB makes a database on its first write (the migrations'):
        // making it is making sure no database has the name already.
        Engine::Mongodb => {
            let client = mongo_client(server, &what).await?;
            let names = client
                .list_database_names()
                .await
                .map_err(|error| mongo_failed(server, &what, &error))?;
            if names.iter().any(|name| name == database) {
                return Err(TenancyError::Database(format!(
                    "{what} on `{}` failed: database \"{database}\" already exists",
                    redact(server)
                )));
            }
            Ok(())
        }
        Engine::Sqlite => Err(no_server(server)),
    }
}

/// Drops the database `database` on `server` with everything in it
/// (connections still open to it are closed); nothing when it is gone.
pub async fn drop_database(
    engine: Engine,
    server: &str,
    database: &str,
) -> Result<(), TenancyError> {
    let what = format!("dropping database `{database}`");
    match engine {
        Engine::Postgres => {
            execute::<Pg>(
                &url(server)?,
                format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote(database)),
                &what,
            )
            .await
        }
        Engine::Mysql => {
            execute::<My>(
                &url(server)?,
                format!("DROP DATABASE IF EXISTS {}", quote_mysql(database)),
                &what,
            )
            .await
        }
        Engine::Mongodb => {
            let client = mongo_client(server, &what).await?;
            client
                .database(database)
                .drop()
                .await
                .map_err(|error| mongo_failed(server, &what, &error))
        }
        Engine::Sqlite => Err(no_server(server)),
    }
}

fn url(server: &str) -> Result<Url, TenancyError> {
    Url::parse(server).map_err(|error| {
        TenancyError::refused(
            format!(
                "the tenants' server `{}` is not a URL: {error}",
                redact(server)
            ),
            "write it as `postgres://user:${PASSWORD}@host/database`",
        )
    })
}

fn mongo_failed(server: &str, what: &str, error: &mongodb::error::Error) -> TenancyError {
    TenancyError::Database(format!(
        "{what} on `{}` failed: {}",
        redact(server),
        redact(&error.to_string())
    ))
}

pub(super) async fn mongo_client(
    server: &str,
    what: &str,
) -> Result<mongodb::Client, TenancyError> {
    let mut options = mongodb::options::ClientOptions::parse(server)
        .await
        .map_err(|error| mongo_failed(server, what, &error))?;
    crate::connect::refuse_closed_ports(&crate::connect::mongodb_addresses(&options))
        .await
        .map_err(|reason| {
            TenancyError::Database(format!(
                "{what}: cannot connect to `{}`: {reason}",
                redact(server)
            ))
        })?;
    let timeout = crate::connect::connect_timeout();
    options.server_selection_timeout.get_or_insert(timeout);
    options.connect_timeout.get_or_insert(timeout);
    options.app_name = Some("baas tenants".to_owned());
    mongodb::Client::with_options(options).map_err(|error| mongo_failed(server, what, &error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_connection_string_is_swapped_in_place() {
        for (server, name, swapped) in [
            (
                "postgres://u:${PW}@h:5432/app?sslmode=disable",
                "app",
                "postgres://u:${PW}@h:5432/app_acme?sslmode=disable",
            ),
            (
                "mysql://root@h:3306/mysql",
                "mysql",
                "mysql://root@h:3306/app_acme",
            ),
            (
                "mongodb://a:1,b:2/?directConnection=true",
                "",
                "mongodb://a:1,b:2/app_acme?directConnection=true",
            ),
            ("mongodb://a:1,b:2", "", "mongodb://a:1,b:2/app_acme"),
            (
                "mongodb://a:1?replicaSet=x",
                "",
                "mongodb://a:1/app_acme?replicaSet=x",
            ),
        ] {
            assert_eq!(database_of(server), name, "{server}");
            assert_eq!(with_database(server, "app_acme"), swapped, "{server}");
        }
        assert_eq!(engine("postgresql://h/x"), Some(Engine::Postgres));
        assert_eq!(engine("mariadb://h/x"), Some(Engine::Mysql));
        assert_eq!(engine("mongodb+srv://h/x"), Some(Engine::Mongodb));
        assert_eq!(engine("sqlite://x.db"), None);
    }
}
