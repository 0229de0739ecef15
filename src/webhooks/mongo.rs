//! Where a MongoDB write records its webhook deliveries: in the write's
//! own multi-document transaction where the server has them, else right
//! after the write (docs/webhooks.md, "The outbox"). Decided once per
//! client: the `hello` answer must claim transactions (a replica set
//! member or a mongos, with logical sessions), and a test transaction
//! must then keep its write to itself and take it back on abort, as a
//! MongoDB-wire server may claim more than it does.

use mongodb::Database;
use mongodb::bson::{Document, doc};

use super::outbox::{OutboxMode, TABLE};

/// `BAAS_MONGODB_TRANSACTIONS=off` keeps MongoDB writes out of
/// transactions (deliveries recorded right after the write) on a server
/// that has them.
pub const TRANSACTIONS_ENV: &str = "BAAS_MONGODB_TRANSACTIONS";

/// Decides the outbox mode of `database`'s server: its `hello` answer,
/// then a test transaction on the outbox collection (a document of state
/// `probe`, which no worker takes, inserted and aborted); unless
/// [`TRANSACTIONS_ENV`] is `off`.
pub async fn outbox_mode(database: &Database) -> OutboxMode {
    if std::env::var(TRANSACTIONS_ENV).is_ok_and(|value| value.eq_ignore_ascii_case("off")) {
        return OutboxMode::AfterWrite {
            why: format!("transactions turned off by {TRANSACTIONS_ENV}=off"),
        };
    }
    let why = match database.run_command(doc! { "hello": 1 }).await {
        Ok(hello) => match claims_transactions(&hello) {
            Ok(()) => match test_transaction(database).await {
                Ok(()) => return OutboxMode::Transaction,
                Err(why) => why,
            },
            Err(why) => why,
        },
        Err(error) => format!("`hello` failed: {error}"),
    };
    OutboxMode::AfterWrite {
        why: format!("server has no transactions: {why}"),
    }
}

/// Whether a `hello` answer claims multi-document transactions: a
/// replica set member (`setName`) or a mongos (`msg: "isdbgrid"`), with
/// logical sessions (`logicalSessionTimeoutMinutes`).
pub fn claims_transactions(hello: &Document) -> Result<(), String> {
    let replica_set = hello.get_str("setName").is_ok();
    let mongos = hello.get_str("msg").is_ok_and(|msg| msg == "isdbgrid");
    if !replica_set && !mongos {
        return Err("a standalone server (neither a replica set member nor a mongos)".to_owned());
    }
    if hello
        .get("logicalSessionTimeoutMinutes")
        .is_none_or(|minutes| minutes.as_null().is_some())
    {
        return Err("no logical sessions (`hello` has no logicalSessionTimeoutMinutes)".to_owned());
    }
    Ok(())
}

/// One transaction that inserts a `probe` document into the outbox: it
/// must not be seen outside the transaction, and must be gone after the
/// abort (removed if it is not, so no worker ever sees it).
async fn test_transaction(database: &Database) -> Result<(), String> {
    let outbox = database.collection::<Document>(TABLE);
    let id = format!("probe-{}", super::outbox::new_id());
    let filter = doc! { "_id": &id };
    let mut session = database
        .client()
        .start_session()
        .await
        .map_err(|error| format!("a session cannot be started: {error}"))?;
    session
        .start_transaction()
        .await
        .map_err(|error| format!("a transaction cannot be started: {error}"))?;
    let inserted = outbox
        .insert_one(doc! { "_id": &id, "state": "probe" })
        .session(&mut session)
        .await;
    if let Err(error) = inserted {
        let _ = session.abort_transaction().await;
        return Err(format!("a write in a test transaction failed: {error}"));
    }
    let seen_inside = outbox.find_one(filter.clone()).await;
    let aborted = session.abort_transaction().await;
    let seen_after = outbox.find_one(filter.clone()).await;
    let leaked = matches!(seen_after, Ok(Some(_)));
    if leaked {
        let _ = outbox.delete_one(filter).await;
    }
    match (seen_inside, aborted, seen_after) {
        (Ok(Some(_)), _, _) => {
            Err("a test transaction's write was seen before it committed".to_owned())
        }
        (_, Err(error), _) => Err(format!("a test transaction cannot be aborted: {error}")),
        (_, _, Ok(Some(_))) => Err("a test transaction's write stayed after its abort".to_owned()),
        (Err(error), _, _) | (_, _, Err(error)) => {
            Err(format!("reading around a test transaction failed: {error}"))
        }
        (Ok(None), Ok(()), Ok(None)) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_must_claim_a_replica_set_or_mongos_with_sessions() {
        let sessions = 30;
        assert_eq!(
            claims_transactions(
                &doc! { "setName": "rs0", "logicalSessionTimeoutMinutes": sessions }
            ),
            Ok(())
        );
        assert_eq!(
            claims_transactions(
                &doc! { "msg": "isdbgrid", "logicalSessionTimeoutMinutes": sessions }
            ),
            Ok(())
        );
        let standalone = claims_transactions(
            &doc! { "isWritablePrimary": true, "logicalSessionTimeoutMinutes": sessions },
        );
        assert!(
            standalone
                .as_ref()
                .is_err_and(|why| why.contains("standalone")),
            "{standalone:?}"
        );
        let sessionless = claims_transactions(&doc! { "setName": "rs0" });
        assert!(
            sessionless
                .as_ref()
                .is_err_and(|why| why.contains("sessions")),
            "{sessionless:?}"
        );
        let null = claims_transactions(
            &doc! { "setName": "rs0", "logicalSessionTimeoutMinutes": mongodb::bson::Bson::Null },
        );
        assert!(null.is_err(), "{null:?}");
        // Another `msg` is not a mongos.
        assert!(
            claims_transactions(&doc! { "msg": "hi", "logicalSessionTimeoutMinutes": 1 }).is_err()
        );
    }

    #[test]
    fn the_mode_reads_as_one_line() {
        assert_eq!(
            OutboxMode::Transaction.to_string(),
            "webhook outbox: in the write's transaction"
        );
        assert_eq!(
            OutboxMode::AfterWrite {
                why: "server has no transactions: a standalone server".into()
            }
            .to_string(),
            "webhook outbox: right after the write (server has no transactions: a standalone server)"
        );
    }
}
