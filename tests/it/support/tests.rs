//! The throwaway databases themselves: each exists while its value lives
//! and is gone after, even when a connection was left open on it.

use std::time::Duration;

use sqlx::Connection as _;

use super::{block_on, mongo, mysql, postgres, unique_name};

#[test]
fn unique_names_differ_and_fit_every_engine() {
    let long = "a label far longer than any engine's identifier limit, with spaces";
    let first = unique_name(long);
    let second = unique_name(long);
    assert_ne!(first, second);
    for name in [&first, &second, &unique_name("Ünïcode-and/slashes.")] {
        assert!(name.len() <= 63, "{name} is {} bytes", name.len());
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{name}"
        );
    }
}

/// Whether a database of that name is on the PostgreSQL server.
async fn postgres_has(name: &str) -> bool {
    let admin = super::server_url("BAAS_TEST_POSTGRES_URL").unwrap();
    let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
    let (found,): (bool,) =
        sqlx::query_as("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut connection)
            .await
            .unwrap();
    found
}

#[test]
fn postgres_database_and_its_roles_are_gone_after_drop_from_a_sync_test() {
    let Some(mut database) = postgres::TempDatabase::create("support_sync") else {
        return;
    };
    let name = database.name().to_owned();
    let role = database.role("reader", "it's a secret");
    assert!(block_on(postgres_has(&name)));
    // The role logs in (the quote in its password was escaped).
    let as_role = database.url_as(&role, "it's a secret");
    let (user,): (String,) = block_on(async {
        let mut connection = sqlx::PgConnection::connect(&as_role).await.unwrap();
        sqlx::query_as("SELECT current_user::text")
            .fetch_one(&mut connection)
            .await
            .unwrap()
    });
    assert_eq!(user, role);
    database.query("CREATE TABLE book (id int)");
    assert!(database.has_table("book"));
    assert!(!database.has_table("author"));
    drop(database);
    assert!(!block_on(postgres_has(&name)), "{name} is still there");
    let roles = block_on(async {
        let admin = super::server_url("BAAS_TEST_POSTGRES_URL").unwrap();
        let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
        let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM pg_roles WHERE rolname = $1")
            .bind(&role)
            .fetch_one(&mut connection)
            .await
            .unwrap();
        count
    });
    assert_eq!(roles, 0, "role {role} is still there");
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_database_is_gone_after_drop_inside_a_runtime_with_a_connection_open() {
    let Some(database) = postgres::TempDatabase::create_async("support_async").await else {
        return;
    };
    let name = database.name().to_owned();
    let mut open = database.connect().await;
    sqlx::raw_sql("CREATE TABLE book (id int); BEGIN; LOCK TABLE book")
        .execute(&mut open)
        .await
        .unwrap();
    // On a current-thread runtime: the drop must not need this one.
    drop(database);
    assert!(!postgres_has(&name).await, "{name} is still there");
}

/// Whether a database of that name is on the MariaDB server.
async fn mysql_has(name: &str) -> bool {
    let admin = super::server_url("BAAS_TEST_MYSQL_URL").unwrap();
    let mut connection = sqlx::MySqlConnection::connect(&admin).await.unwrap();
    let (count,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?")
            .bind(name)
            .fetch_one(&mut connection)
            .await
            .unwrap();
    count == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_database_is_gone_after_drop_though_a_transaction_holds_a_lock() {
    let Some(database) = mysql::TempDatabase::create_async("support_lock").await else {
        return;
    };
    let name = database.name().to_owned();
    database.load("CREATE TABLE book (id INT PRIMARY KEY); INSERT INTO book VALUES (1);");
    assert_eq!(database.tables(), "book\n");
    let mut open = database.connect().await;
    // A metadata lock DROP DATABASE would wait for (`lock_wait_timeout`,
    // a day by default on MariaDB).
    sqlx::raw_sql("BEGIN; SELECT * FROM book FOR UPDATE")
        .execute(&mut open)
        .await
        .unwrap();
    let (done, waited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(database);
        let _ = done.send(());
    });
    assert!(
        waited.recv_timeout(Duration::from_secs(20)).is_ok(),
        "dropping {name} waited on the open transaction"
    );
    assert!(!mysql_has(&name).await, "{name} is still there");
}

/// How many accounts of that user name the MariaDB server has.
async fn mysql_users(user: &str) -> i64 {
    let admin = super::server_url("BAAS_TEST_MYSQL_URL").unwrap();
    let mut connection = sqlx::MySqlConnection::connect(&admin).await.unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM mysql.user WHERE user = ?")
        .bind(user)
        .fetch_one(&mut connection)
        .await
        .unwrap();
    count
}

#[test]
fn mysql_database_and_its_users_are_gone_after_drop_from_a_sync_test() {
    let Some(mut database) = mysql::TempDatabase::create("support_sync") else {
        return;
    };
    let name = database.name().to_owned();
    assert!(block_on(mysql_has(&name)));
    assert_eq!(database.query("SELECT 'it''s'"), "it's\n");
    let user = database.user("reader", r"it's a \ secret");
    database.query(&format!("GRANT SELECT ON `{name}`.* TO '{user}'@'%'"));
    // The user logs in with exactly that password.
    let as_user = database.url_as(&user, r"it's a \ secret");
    let (current,): (String,) = block_on(async {
        let mut connection = sqlx::MySqlConnection::connect(&as_user).await.unwrap();
        sqlx::query_as("SELECT CURRENT_USER()")
            .fetch_one(&mut connection)
            .await
            .unwrap()
    });
    assert_eq!(current, format!("{user}@%"));
    drop(database);
    assert!(!block_on(mysql_has(&name)), "{name} is still there");
    assert_eq!(
        block_on(mysql_users(&user)),
        0,
        "user {user} is still there"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongo_database_is_gone_after_drop() {
    let Some(temp) = mongo::TempDatabase::create("support") else {
        return;
    };
    let name = temp.name().to_owned();
    assert!(temp.url().contains(&format!("/{name}")), "{}", temp.url());
    temp.connect()
        .await
        .collection::<mongodb::bson::Document>("book")
        .insert_one(mongodb::bson::doc! { "title": "Dune" })
        .await
        .unwrap();
    let client = temp.client().await;
    assert!(client.list_database_names().await.unwrap().contains(&name));
    drop(temp);
    assert!(
        !client.list_database_names().await.unwrap().contains(&name),
        "{name} is still there"
    );
}
