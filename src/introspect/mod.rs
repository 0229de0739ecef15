//! Live introspection: read a running database into a [`Manifest`] plus a
//! [`Ledger`] of what could not be represented.
//!
//! One [`Introspector`] per engine, each in a file named after it. Nothing
//! downstream knows which one produced a manifest. Which one reads a given
//! URL is decided in [`crate::backend`].
//!
//! [`Manifest`]: crate::manifest::Manifest
//! [`Ledger`]: crate::ledger::Ledger

use std::future::Future;

pub use crate::source::{IntrospectError, IntrospectOptions, Introspection};
use crate::ui::Progress;

pub mod mongo;
pub mod mysql;
pub mod postgres;
pub mod sqlite;

/// Reads a live database into a manifest.
pub trait Introspector {
    fn introspect(
        &self,
        options: &IntrospectOptions,
        progress: &Progress,
    ) -> impl Future<Output = Result<Introspection, IntrospectError>> + Send;
}
