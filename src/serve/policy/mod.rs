//! Who may do what: the policy step of the kernel.
//!
//! A [`Policy`] sees every [`Operation`] before the store does and either
//! refuses it or allows it with a *scope*: a filter over the entity's
//! fields that the store ANDs into the query (list) or the key condition
//! (view, update, delete), so a row outside the scope is simply not found.
//! Rules from the manifest compile to this filter ([`rules::Rules`], the
//! policy `baas serve` runs); [`Open`] allows everything, as a manifest
//! without `[auth]` and rules always has for local work.

pub mod rules;

pub mod identity;

use serde::Serialize;

pub use super::operation::Principal;
use super::operation::{Operation, Schema};
use crate::query::Filter;

/// The policy's answer for one operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Go ahead, on the rows matching `scope` only (all rows when `None`).
    Allow { scope: Option<Filter> },
    /// Refused; `reason` is safe to show to the client.
    Deny { reason: String },
}

/// What a principal may do with an entity (`_discovery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Permissions {
    pub read: bool,
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

/// Decides every operation; one per served manifest.
pub trait Policy: Send + Sync + 'static {
    fn decide(&self, schema: &Schema, operation: &Operation) -> Decision;

    /// For an update the policy allowed: the filter the row as updated
    /// must match (PostgreSQL's `WITH CHECK`), or `None` for any row.
    fn check(&self, _schema: &Schema, _operation: &Operation) -> Option<Filter> {
        None
    }

    /// What `principal` may do with `entity` at all (before any row is
    /// looked at), for discovery and the studio.
    fn permissions(&self, schema: &Schema, principal: &Principal, entity: &str) -> Permissions;
}

/// Everything is allowed: the policy of a manifest without `[auth]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Open;

impl Policy for Open {
    fn decide(&self, _: &Schema, _: &Operation) -> Decision {
        Decision::Allow { scope: None }
    }

    fn permissions(&self, schema: &Schema, _: &Principal, entity: &str) -> Permissions {
        let Some(entity) = schema.manifest.entities.get(entity) else {
            return Permissions {
                read: false,
                create: false,
                update: false,
                delete: false,
            };
        };
        let writable = !entity.is_read_only();
        let addressable = writable && !entity.primary_key.is_empty();
        Permissions {
            read: true,
            create: writable,
            update: addressable,
            delete: addressable,
        }
    }
}
