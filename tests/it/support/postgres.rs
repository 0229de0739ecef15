//! A throwaway database on the PostgreSQL test server
//! (`BAAS_TEST_POSTGRES_URL`).

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use sqlx::Connection as _;
use url::Url;

use super::{block_on, block_on_quietly, run_client, server_url, text, unique_label, unique_name};

/// A database of its own for one test, created empty and dropped (with
/// `WITH (FORCE)`, so connections a failed test left open do not keep it)
/// when this value is.
pub struct TempDatabase {
    admin: Url,
    name: String,
    /// Login roles made by [`TempDatabase::role`], dropped after the
    /// database.
    roles: Vec<String>,
}

impl TempDatabase {
    /// Creates the database, blocking; usable from sync and async tests.
    /// `None` when no server is configured outside CI (see [`server_url`]).
    pub fn create(label: &str) -> Option<Self> {
        let admin = admin_url()?;
        let name = unique_name(label);
        block_on(execute_on(admin.clone(), create_statement(&name)));
        Some(Self {
            admin,
            name,
            roles: Vec::new(),
        })
    }

    /// [`TempDatabase::create`] on the caller's runtime.
    pub async fn create_async(label: &str) -> Option<Self> {
        Self::create_async_on("BAAS_TEST_POSTGRES_URL", label).await
    }

    /// [`TempDatabase::create_async`] on the server whose URL is in
    /// `variable` (`BAAS_TEST_POSTGRES18_URL`: PostgreSQL 18).
    pub async fn create_async_on(variable: &str, label: &str) -> Option<Self> {
        let admin = admin_url_of(variable)?;
        let name = unique_name(label);
        execute_on(admin.clone(), create_statement(&name)).await;
        Some(Self {
            admin,
            name,
            roles: Vec::new(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `postgres://…/<name>`: the server's URL with this database's name.
    pub fn url(&self) -> String {
        self.parsed_url().to_string()
    }

    pub fn parsed_url(&self) -> Url {
        let mut url = self.admin.clone();
        url.set_path(&self.name);
        url
    }

    /// The URL with a password (the trust-authenticated server ignores it).
    pub fn url_with_password(&self, password: &str) -> String {
        let mut url = self.parsed_url();
        url.set_password(Some(password))
            .expect("a postgres:// URL takes a password");
        url.to_string()
    }

    /// The URL as `user` with `password`.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        let mut url = self.parsed_url();
        url.set_username(user)
            .expect("a postgres:// URL takes a user name");
        url.set_password(Some(password))
            .expect("a postgres:// URL takes a password");
        url.to_string()
    }

    /// The user the test server's URL logs in as.
    pub fn user(&self) -> &str {
        self.admin.username()
    }

    /// Creates a login role `<database>_<name>` with `password` and no
    /// privilege beyond connecting; it is dropped with the database.
    pub fn role(&mut self, name: &str, password: &str) -> String {
        let mut role = format!("{}_{}", self.name, unique_label(name));
        // PostgreSQL would cut a longer name silently.
        role.truncate(63);
        // Both parts are letters, digits and underscores; the password is
        // quoted as an SQL string literal.
        let statement = format!(
            "CREATE ROLE \"{role}\" LOGIN PASSWORD '{}'",
            password.replace('\'', "''")
        );
        block_on(execute_on(self.admin.clone(), statement));
        self.roles.push(role.clone());
        role
    }

    /// The server's host and port.
    pub fn host_and_port(&self) -> (String, u16) {
        (
            self.admin.host_str().unwrap_or_default().to_owned(),
            self.admin.port().unwrap_or(5432),
        )
    }

    pub async fn connect(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.url())
            .await
            .unwrap_or_else(|error| panic!("cannot connect to `{}`: {error}", self.name))
    }

    pub async fn pool(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(&self.url())
            .await
            .unwrap_or_else(|error| panic!("cannot connect to `{}`: {error}", self.name))
    }

    /// Runs each statement in order on one connection; panics with the
    /// statement that fails.
    pub async fn execute(&self, statements: &[String]) {
        let mut connection = self.connect().await;
        for statement in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
                .execute(&mut connection)
                .await
                .unwrap_or_else(|error| panic!("{error}\n{statement}"));
        }
        let _ = connection.close().await;
    }

    /// The tables of `manifest` made here, and a store over them.
    pub async fn store_of(
        &self,
        manifest: &baas::manifest::Manifest,
    ) -> baas::serve::store::postgres::PostgresStore {
        self.execute(&crate::serve_engines::create_statements(
            baas::migrate::render::Target::Postgres,
            manifest,
        ))
        .await;
        baas::serve::store::postgres::PostgresStore::connect(&self.url(), manifest)
            .await
            .unwrap()
    }

    /// The one `bigint` value `sql` selects.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let mut connection = self.connect().await;
        let (value,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut connection)
            .await
            .unwrap_or_else(|error| panic!("{error}\n{sql}"));
        let _ = connection.close().await;
        value
    }

    /// Runs `sql` with `psql -c` and returns its rows, one `a|b|c` line
    /// each.
    pub fn query(&self, sql: &str) -> String {
        self.psql_with(&["-At", "-c", sql], None)
    }

    /// Runs a script through the real `psql` client (it understands
    /// `COPY … FROM stdin` and meta-commands), stopping at the first error.
    pub fn psql(&self, script: &str) {
        self.psql_with(&["-f", "-"], Some(script));
    }

    /// [`TempDatabase::psql`] on a file.
    pub fn psql_file(&self, path: &Path) {
        let path = path.to_str().expect("a UTF-8 path");
        self.psql_with(&["-f", path], None);
    }

    /// Whether `table` (a name the test chose, possibly schema-qualified)
    /// exists.
    pub fn has_table(&self, table: &str) -> bool {
        let literal = table.replace('\'', "''");
        self.query(&format!("SELECT to_regclass('{literal}') IS NOT NULL"))
            .trim()
            == "t"
    }

    /// The tables of the `public` schema, one per line, by name.
    pub fn tables(&self) -> String {
        self.query(
            "SELECT table_name FROM information_schema.tables \
             WHERE table_schema = 'public' ORDER BY 1",
        )
    }

    fn psql_with(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut command = Command::new("psql");
        command
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-X", "-d", &self.url()])
            .args(args);
        let output = run_client(
            &mut command,
            stdin,
            "the `psql` client (installed with the postgresql package)",
        );
        assert!(
            output.status.success(),
            "psql {} failed on `{}`: {}",
            args.join(" "),
            self.name,
            text(&output.stderr)
        );
        text(&output.stdout)
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let mut statements = vec![format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )];
        statements.extend(
            self.roles
                .iter()
                .map(|role| format!("DROP ROLE IF EXISTS \"{role}\"")),
        );
        block_on_quietly(async move {
            if let Ok(mut connection) = sqlx::PgConnection::connect(admin.as_str()).await {
                for statement in statements {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                        .execute(&mut connection)
                        .await;
                }
                let _ = connection.close().await;
            }
        });
    }
}

fn admin_url() -> Option<Url> {
    admin_url_of("BAAS_TEST_POSTGRES_URL")
}

fn admin_url_of(variable: &str) -> Option<Url> {
    let url = server_url(variable)?;
    Some(
        Url::parse(&url).unwrap_or_else(|error| panic!("{variable} `{url}` is not a URL: {error}")),
    )
}

/// The name comes from [`unique_name`] (letters, digits, underscores): safe
/// to splice.
fn create_statement(name: &str) -> String {
    format!("CREATE DATABASE \"{name}\"")
}

async fn execute_on(url: Url, statement: String) {
    let mut connection = sqlx::PgConnection::connect(url.as_str())
        .await
        .unwrap_or_else(|error| panic!("cannot connect to the PostgreSQL test server: {error}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
        .execute(&mut connection)
        .await
        .unwrap_or_else(|error| panic!("{error}\n{statement}"));
    let _ = connection.close().await;
}
