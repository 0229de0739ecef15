//! Writes of many rows: filtered bulk updates and deletes (`PATCH`/`DELETE`
//! on a list, with a filter) and the transaction around a bulk write.
//! Each row is an operation of its own, so rules, hooks and events apply
//! to every row exactly as to a write of one row; on engines with
//! transactions ([`crate::serve::store::Bulk`]) the rows are written in
//! one, so a failing row leaves none behind, and the events and
//! after-hooks of the rows are sent only once it commits.

use std::sync::{Arc, Mutex};

use super::{Action, Kernel, KernelError, Operation, Outcome, Schema, default_query, validate};
use crate::manifest::HookPhase;
use crate::serve::events::ChangeKind;
use crate::serve::policy::Decision;
use crate::serve::store::{Row, StoreError};

/// The most rows one bulk write touches.
pub const MAX_BULK: u64 = 10_000;

tokio::task_local! {
    /// The changes of the bulk transaction this task is in, published
    /// when it commits (dropped when it rolls back).
    pub(super) static DEFERRED: Arc<Mutex<Vec<Deferred>>>;
}

/// A change written in a bulk transaction, waiting for its commit.
pub(super) struct Deferred {
    pub operation: Operation,
    pub kind: ChangeKind,
    pub old: Option<Row>,
    pub new: Option<Row>,
}

impl Kernel {
    /// Runs `work` (writes of one bulk operation for `tenant`) in one
    /// transaction of the store, where the engine has them: committed
    /// when `work` succeeds, rolled back when it fails; the changes are
    /// published after the commit. Elsewhere (MongoDB), `work` runs as it
    /// is, each write on its own. The outer error is the transaction's
    /// (it could not begin or commit); the inner one is `work`'s.
    pub async fn in_transaction<T, E, F>(
        &self,
        schema: &Schema,
        tenant: Option<&str>,
        work: F,
    ) -> Result<Result<T, E>, KernelError>
    where
        F: std::future::Future<Output = Result<T, E>>,
    {
        let store = self.stores.resolve(tenant).await?;
        let Some(transaction) = store.begin().await? else {
            return Ok(work.await);
        };
        let deferred = Arc::new(Mutex::new(Vec::new()));
        let result = DEFERRED
            .scope(deferred.clone(), transaction.scope(work))
            .await;
        if result.is_err() {
            // Dropped uncommitted: rolled back, and nothing is published.
            drop(transaction);
            return Ok(result);
        }
        transaction.commit().await?;
        let changes = std::mem::take(&mut *deferred.lock().map_err(|_| {
            KernelError::Store(StoreError::Internal(anyhow::anyhow!(
                "the changes of a bulk write were poisoned"
            )))
        })?);
        for change in changes {
            self.publish_now(
                schema,
                &change.operation,
                change.kind,
                change.old,
                change.new.as_ref(),
            );
        }
        Ok(result)
    }

    /// Judges the rows of a bulk insert before any is written (the policy
    /// and the validation of every body), so that an invalid row leaves
    /// none behind on every engine, MongoDB included. Skipped when
    /// before-hooks may still change the bodies (each row is then judged
    /// as it is written). Under `strategy = "row"` the rows' links are
    /// looked up here for all of them at once, and the operations judged so
    /// are marked: their writes do not look them up again, row by row.
    pub async fn check_creates(
        &self,
        schema: &Schema,
        operations: &mut [Operation],
    ) -> Result<(), KernelError> {
        if operations
            .iter()
            .any(|operation| self.has_hooks(operation, HookPhase::Before))
        {
            return Ok(());
        }
        let store = match operations.first() {
            Some(first) if super::tenant::is_row(schema) => {
                Some(self.stores.resolve(first.tenant.as_deref()).await?)
            }
            _ => None,
        };
        let mut rows = Vec::with_capacity(operations.len());
        for operation in operations.iter() {
            // Judged as it will be written: under `strategy = "row"` with
            // the tenant column stamped (or refused when it names another).
            let mut operation = operation.clone();
            super::tenant::confine(schema, &mut operation)?;
            if let Decision::Deny { reason } = self.policy.decide(schema, &operation) {
                return Err(KernelError::Denied(reason));
            }
            rows.push(validate(schema, &operation, None)?);
        }
        // Under `strategy = "row"`: a key naming no row of the tenant
        // refuses the whole insert before anything is written.
        if let (Some(store), Some(first)) = (&store, operations.first()) {
            let rows: Vec<&_> = rows.iter().collect();
            super::tenant::links_of(schema, &**store, first, &rows, None).await?;
            // Judged for `first`'s entity and tenant: a row of another (no
            // bulk insert sends one) is looked up again as it is written.
            let (entity, tenant) = (first.entity.clone(), first.tenant.clone());
            for operation in operations.iter_mut() {
                operation.links_judged = operation.entity == entity && operation.tenant == tenant;
            }
        }
        Ok(())
    }

    /// Runs `operation` (an update with its body, or a delete; its query's
    /// filter, order and limit choose the rows) on every row it matches,
    /// in one transaction where the engine has them. The rows written
    /// come back: as updated, or as they were before a delete. Rows the
    /// policy lets the principal list but not write are left alone, as a
    /// hidden row is.
    pub async fn run_many(
        &self,
        schema: &Schema,
        operation: Operation,
    ) -> Result<Vec<Row>, KernelError> {
        let entity = schema.entity(&operation.entity)?;
        if entity.primary_key.is_empty() {
            return Err(KernelError::NoKey(operation.entity));
        }
        let mut list = operation.clone();
        list.action = Action::List;
        list.body = None;
        let mut query = operation.query.clone().unwrap_or_else(default_query);
        query.limit = query.limit.min(MAX_BULK);
        query.select = None;
        query.count = false;
        query.expand = Vec::new();
        list.query = Some(query);
        let Outcome::List(found) = self.run(schema, list).await? else {
            return Err(KernelError::Store(StoreError::Internal(anyhow::anyhow!(
                "a list answered something else"
            ))));
        };
        let tenant = operation.tenant.clone();
        let work = async {
            let mut written = Vec::with_capacity(found.rows.len());
            for row in found.rows {
                let mut one = operation.clone();
                one.query = None;
                one.key = entity
                    .primary_key
                    .iter()
                    .map(|field| {
                        super::expand::typed(
                            entity,
                            field,
                            row.get(field).unwrap_or(&serde_json::Value::Null),
                        )
                    })
                    .collect();
                match self.run(schema, one).await {
                    Ok(Outcome::Row(new)) => written.push(new),
                    Ok(_) => written.push(row),
                    Err(KernelError::NotFound) => {}
                    Err(error) => return Err(error),
                }
            }
            Ok(written)
        };
        self.in_transaction(schema, tenant.as_deref(), work).await?
    }
}
