//! Webhooks on the MongoDB-wire server, whose transactions are real: a
//! write that webhooks are told about commits with its outbox documents
//! or not at all. The outbox insert is made to fail (a unique index on
//! the outbox clashes): the insert, update and delete it belonged to
//! leave nothing behind and nothing is delivered. Concurrent writes to
//! one document conflict inside their transactions and are made again,
//! each recording exactly one delivery. With transactions turned off (as
//! on a server that has none) the outbox document follows the write: a
//! failed outbox insert leaves the write in place, undelivered. (The kill
//! -9 story on this server is
//! `webhooks::webhooks_on_the_mongodb_wire_server_survive_a_kill_and_dead_letter`.)

use std::path::Path;
use std::time::Duration;

use mongodb::bson::{Document, doc};
use serde_json::json;

use crate::support::mongo::TempDatabase;
use crate::webhooks::{Receiver, Serve, manifest, types};

/// A database with `post` documents 1 and 2 and a unique `id`.
fn posts() -> Option<TempDatabase> {
    let database = TempDatabase::create("webhooks_tx")?;
    crate::support::block_on(async {
        let db = database.connect().await;
        let index = mongodb::IndexModel::builder()
            .keys(doc! { "id": 1 })
            .options(
                mongodb::options::IndexOptions::builder()
                    .unique(true)
                    .build(),
            )
            .build();
        let post = db.collection::<Document>("post");
        post.create_index(index).await.unwrap();
        post.insert_many([
            doc! { "id": 1_i64, "title": "post 1" },
            doc! { "id": 2_i64, "title": "post 2" },
        ])
        .await
        .unwrap();
    });
    Some(database)
}

/// The `post` documents by id, as `(id, title)`.
fn stored(database: &TempDatabase) -> Vec<(i64, String)> {
    crate::support::block_on(async {
        let db = database.connect().await;
        let mut cursor = db
            .collection::<Document>("post")
            .find(doc! {})
            .sort(doc! { "id": 1 })
            .await
            .unwrap();
        let mut rows = Vec::new();
        while cursor.advance().await.unwrap() {
            let document = cursor.deserialize_current().unwrap();
            rows.push((
                document.get_i64("id").unwrap(),
                document.get_str("title").unwrap().to_owned(),
            ));
        }
        rows
    })
}

/// The outbox documents whose `event` is `event`.
fn recorded(database: &TempDatabase, event: &str) -> u64 {
    crate::support::block_on(async {
        database
            .connect()
            .await
            .collection::<Document>("_baas_outbox")
            .count_documents(doc! { "event": event })
            .await
            .unwrap()
    })
}

/// A unique index on the outbox's `webhook`: once one delivery of a
/// webhook is recorded, recording another fails.
fn one_delivery_per_webhook(database: &TempDatabase) {
    crate::support::block_on(async {
        let index = mongodb::IndexModel::builder()
            .keys(doc! { "webhook": 1 })
            .options(
                mongodb::options::IndexOptions::builder()
                    .unique(true)
                    .name("one_per_webhook".to_owned())
                    .build(),
            )
            .build();
        database
            .connect()
            .await
            .collection::<Document>("_baas_outbox")
            .create_index(index)
            .await
            .unwrap();
    });
}

/// `baas serve` (with `env`) on `database`'s posts and a receiver: its
/// start-up log has `line`, and one insert is made and delivered.
fn serve_posts(
    database: &TempDatabase,
    env: &[(&str, &str)],
    line: &str,
) -> (tempfile::TempDir, Receiver, Serve) {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::new();
    receiver.start();
    std::fs::write(dir.path().join("baas.toml"), manifest(receiver.port)).unwrap();
    let server = Serve::start_with(dir.path(), &["--db", database.url()], "info", env);
    let log = log_of(dir.path());
    assert!(
        log.contains(line),
        "the start-up log says where deliveries are recorded: {log}"
    );
    let created = server.call(
        "POST",
        "/api/post",
        Some(json!({ "id": 3, "title": "post 3" })),
    );
    assert_eq!(created, 201);
    receiver.wait_for("the first delivery", |seen| seen.delivered.len() == 1);
    (dir, receiver, server)
}

fn log_of(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
}

#[test]
fn a_mongodb_write_whose_outbox_insert_fails_leaves_nothing_behind() {
    let Some(database) = posts() else {
        return;
    };
    let (_dir, receiver, server) =
        serve_posts(&database, &[], "webhook outbox: in the write's transaction");

    // From now on every outbox insert of this webhook clashes with the
    // delivered document's `webhook`.
    one_delivery_per_webhook(&database);
    let before = stored(&database);
    assert_eq!(
        server.call(
            "POST",
            "/api/post",
            Some(json!({ "id": 4, "title": "lost" }))
        ),
        500
    );
    assert_eq!(
        server.call("PATCH", "/api/post/1", Some(json!({ "title": "lost" }))),
        500
    );
    assert_eq!(server.call("DELETE", "/api/post/2", None), 500);
    assert_eq!(
        stored(&database),
        before,
        "a write whose deliveries could not be recorded is rolled back"
    );

    // With the outbox accepting again, writes and deliveries go through.
    crate::support::block_on(async {
        database
            .connect()
            .await
            .collection::<Document>("_baas_outbox")
            .drop_index("one_per_webhook")
            .await
            .unwrap();
    });
    assert_eq!(
        server.call("PATCH", "/api/post/1", Some(json!({ "title": "edited" }))),
        200
    );
    receiver.wait_for("the update's delivery", |seen| seen.delivered.len() == 2);
    std::thread::sleep(Duration::from_millis(1000));
    let seen = receiver.seen.lock().unwrap();
    assert_eq!(seen.delivered.len(), 2, "{seen:?}");
    assert_eq!(seen.bad_signatures, 0);
    let expected = [("create".to_owned(), 1), ("update".to_owned(), 1)].into();
    assert_eq!(types(&seen), expected);
    assert!(
        seen.delivered
            .values()
            .all(|(_, payload)| payload["row"]["title"] != "lost"),
        "{seen:?}"
    );
    assert_eq!(recorded(&database, "post.delete"), 0);
    drop(server);
}

#[test]
fn concurrent_mongodb_writes_to_one_document_each_record_one_delivery() {
    let Some(database) = posts() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // No receiver: the deliveries stay in the outbox to be counted. The
    // debug log says when a transaction is made again.
    let receiver = Receiver::new();
    std::fs::write(dir.path().join("baas.toml"), manifest(receiver.port)).unwrap();
    let server = Serve::start_logging(dir.path(), &["--db", database.url()], "debug");
    let (writers, writes) = (6, 5);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let server = &server;
        let handles: Vec<_> = (0..writers)
            .map(|writer| {
                scope.spawn(move || {
                    (0..writes)
                        .map(|write| {
                            let title = format!("writer {writer} write {write}");
                            server.call("PATCH", "/api/post/1", Some(json!({ "title": title })))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap())
            .collect()
    });
    assert!(
        statuses.iter().all(|status| *status == 200),
        "every write succeeds, a conflicting one made again: {statuses:?}\n{}",
        log_of(dir.path())
    );
    assert_eq!(recorded(&database, "post.update"), writers * writes);
    // The writes did conflict (so the retry was what made them pass).
    let log = log_of(dir.path());
    assert!(
        log.contains("a write's transaction is made again"),
        "no write conflicted: {log}"
    );
    drop(server);
}

#[test]
fn with_mongodb_transactions_off_the_outbox_document_follows_the_write() {
    let Some(database) = posts() else {
        return;
    };
    let (_dir, receiver, server) = serve_posts(
        &database,
        &[(baas::webhooks::mongo::TRANSACTIONS_ENV, "off")],
        "webhook outbox: right after the write (transactions turned off by BAAS_MONGODB_TRANSACTIONS=off)",
    );
    one_delivery_per_webhook(&database);
    // The write is made, then its delivery cannot be recorded: the
    // request fails, the row stays, nothing is delivered for it.
    assert_eq!(
        server.call(
            "PATCH",
            "/api/post/1",
            Some(json!({ "title": "undelivered" }))
        ),
        500
    );
    assert_eq!(stored(&database)[0], (1, "undelivered".to_owned()));
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(receiver.seen.lock().unwrap().delivered.len(), 1);
    assert_eq!(recorded(&database, "post.update"), 0);
    drop(server);
}
