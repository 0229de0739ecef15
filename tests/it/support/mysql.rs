//! A throwaway database on the MariaDB test server (`BAAS_TEST_MYSQL_URL`).

#![allow(dead_code)]

use std::process::Command;

use sqlx::Connection as _;
use url::Url;

use super::{block_on, block_on_quietly, run_client, server_url, text, unique_label, unique_name};

/// A database of its own for one test, created empty and dropped when this
/// value is (after killing the connections a failed test left open: they
/// may hold metadata locks that would make the drop wait).
pub struct TempDatabase {
    admin: Url,
    name: String,
    /// Users made by [`TempDatabase::user`], dropped after the database.
    users: Vec<String>,
}

impl TempDatabase {
    /// Creates the database, blocking; usable from sync and async tests.
    /// `None` when no server is configured outside CI (see [`server_url`]).
    pub fn create(label: &str) -> Option<Self> {
        let admin = admin_url()?;
        let name = unique_name(label);
        block_on(create_on(admin.clone(), name.clone()));
        Some(Self {
            admin,
            name,
            users: Vec::new(),
        })
    }

    /// [`TempDatabase::create`] on the caller's runtime.
    pub async fn create_async(label: &str) -> Option<Self> {
        let admin = admin_url()?;
        let name = unique_name(label);
        create_on(admin.clone(), name.clone()).await;
        Some(Self {
            admin,
            name,
            users: Vec::new(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `mysql://…/<name>`: the server's URL with this database's name.
    pub fn url(&self) -> String {
        let mut url = self.admin.clone();
        url.set_path(&self.name);
        url.to_string()
    }

    /// The URL as `user` with `password`.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        let mut url = Url::parse(&self.url()).expect("the server's URL parses");
        url.set_username(user)
            .expect("a mysql:// URL takes a user name");
        url.set_password(Some(password))
            .expect("a mysql:// URL takes a password");
        url.to_string()
    }

    /// Creates a user `<database>_<name>`@`%` with `password` and no
    /// privilege (grant what the test needs); it is dropped with the
    /// database.
    pub fn user(&mut self, name: &str, password: &str) -> String {
        let user = format!("{}_{}", self.name, unique_label(name));
        // Both parts are letters, digits and underscores; the password is
        // quoted as an SQL string literal.
        let password = password.replace('\\', "\\\\").replace('\'', "''");
        block_on(execute_on(
            self.admin.clone(),
            format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"),
        ));
        self.users.push(user.clone());
        user
    }

    pub async fn connect(&self) -> sqlx::MySqlConnection {
        sqlx::MySqlConnection::connect(&self.url())
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
    ) -> baas::serve::store::mysql::MysqlStore {
        self.execute(&crate::serve_engines::create_statements(
            baas::migrate::render::Target::Mysql,
            manifest,
        ))
        .await;
        baas::serve::store::mysql::MysqlStore::connect(&self.url(), manifest)
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

    /// Runs SQL in this database through the real `mariadb` client (it
    /// understands `DELIMITER`) and returns its rows, tab-separated, one
    /// line each, without column names.
    pub fn query(&self, sql: &str) -> String {
        let mut command = Command::new("mariadb");
        command
            .arg("--protocol=TCP")
            .arg(format!(
                "--host={}",
                self.admin.host_str().unwrap_or("127.0.0.1")
            ))
            .arg(format!("--port={}", self.admin.port().unwrap_or(3306)))
            .arg(format!("--user={}", self.admin.username()))
            .args(["--batch", "--skip-column-names"])
            .arg("--default-character-set=utf8mb4");
        if let Some(password) = self.admin.password() {
            command.arg(format!("--password={password}"));
        }
        command.arg(&self.name);
        let output = run_client(
            &mut command,
            Some(sql),
            "the `mariadb` client (installed by tests/servers/start.sh)",
        );
        assert!(
            output.status.success(),
            "mariadb failed on `{}`: {}",
            self.name,
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    /// Loads a script (see [`TempDatabase::query`]).
    pub fn load(&self, script: &str) {
        self.query(script);
    }

    /// The tables, one per line, by name.
    pub fn tables(&self) -> String {
        self.query("SHOW TABLES")
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let (admin, name, users) = (self.admin.clone(), self.name.clone(), self.users.clone());
        block_on_quietly(async move {
            let Ok(mut connection) = sqlx::MySqlConnection::connect(admin.as_str()).await else {
                return;
            };
            // `processlist.id` is a signed BIGINT on MariaDB: read as u64,
            // every row failed to decode and nothing was killed.
            let ids: Vec<(i64,)> = sqlx::query_as(
                "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()",
            )
            .bind(&name)
            .fetch_all(&mut connection)
            .await
            .unwrap_or_default();
            for (id,) in ids {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("KILL {id}")))
                    .execute(&mut connection)
                    .await;
            }
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS `{name}`"
            )))
            .execute(&mut connection)
            .await;
            for user in users {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP USER IF EXISTS '{user}'@'%'"
                )))
                .execute(&mut connection)
                .await;
            }
            let _ = connection.close().await;
        });
    }
}

fn admin_url() -> Option<Url> {
    let url = server_url("BAAS_TEST_MYSQL_URL")?;
    Some(
        Url::parse(&url)
            .unwrap_or_else(|error| panic!("BAAS_TEST_MYSQL_URL `{url}` is not a URL: {error}")),
    )
}

/// The name comes from [`unique_name`] (letters, digits, underscores): safe
/// to splice.
async fn create_on(admin: Url, name: String) {
    execute_on(admin, format!("CREATE DATABASE `{name}`")).await;
}

async fn execute_on(admin: Url, statement: String) {
    let mut connection = sqlx::MySqlConnection::connect(admin.as_str())
        .await
        .unwrap_or_else(|error| panic!("cannot connect to the MariaDB test server: {error}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
        .execute(&mut connection)
        .await
        .unwrap_or_else(|error| panic!("{error}\n{statement}"));
    let _ = connection.close().await;
}
