//! Filtered bulk writes (`PATCH`/`DELETE` on a list, with a filter): the
//! rows the filter matches, as the principal lists them, each written as
//! an operation of its own, so rules, hooks and events apply to every row
//! exactly as to a write of one row. Not one transaction: a failure stops
//! the writes that follow it, the ones before it stay.

use super::{Action, Kernel, KernelError, Operation, Outcome, Schema, default_query};
use crate::serve::store::{Row, StoreError};

/// The most rows one bulk write touches.
pub const MAX_BULK: u64 = 10_000;

impl Kernel {
    /// Runs `operation` (an update with its body, or a delete; its query's
    /// filter, order and limit choose the rows) on every row it matches.
    /// The rows written come back: as updated, or as they were before a
    /// delete. Rows the policy lets the principal list but not write are
    /// left alone, as a hidden row is.
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
    }
}
