//! The tenant registry: the `_baas_tenants` table, one row per tenant, in
//! the embedded `.baas/registry.sqlite3` by default ([`sqlite`]) or in the
//! PostgreSQL database `[tenancy] registry` names ([`postgres`]), which
//! several `baas serve` processes can share.
//!
//! A row is written first with `ready` false while its tenant is being
//! provisioned and marked ready when its place exists and is migrated, so
//! a provisioning that was killed halfway is found (and cleaned up) by the
//! next `create` of the same slug instead of leaving a half tenant. The
//! slug is unique in the table: of two creations of one slug at the same
//! time (two processes, two servers) only one registers it.

mod cache;
mod postgres;
mod sqlite;

use std::path::Path;

use futures::future::BoxFuture;
use serde::Serialize;

use super::TenancyError;
use crate::settings::Environment;
use crate::source::redact;

pub use postgres::PostgresRegistry;
pub use sqlite::SqliteRegistry;

/// One tenant as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantRecord {
    pub id: i64,
    pub slug: String,
    pub name: Option<String>,
    /// Where its rows live, credentials as `${ENV}` references only.
    pub location: String,
    /// Pool options (JSON object) for its connections.
    pub pool_options: String,
    /// Whether requests for it are served.
    pub active: bool,
    /// Whether its provisioning finished (a row that is not ready is a
    /// provisioning in progress, or one that was killed).
    pub ready: bool,
    /// The number of the newest migration applied to it.
    pub schema_version: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// The options of a tenant's connections, kept as a JSON object in the
/// registry's `pool_options` (`{"pool_size": 4}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PoolOptions {
    /// Connections its pool holds at most [default: 8].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<u32>,
}

impl PoolOptions {
    /// The largest pool a tenant may ask for.
    pub const MAX_POOL_SIZE: u32 = 100;

    /// `pool_size` checked: 1 to [`PoolOptions::MAX_POOL_SIZE`].
    pub fn with_pool_size(pool_size: Option<u64>) -> Result<Self, TenancyError> {
        match pool_size {
            None => Ok(Self::default()),
            Some(size @ 1..=100) => Ok(Self {
                pool_size: u32::try_from(size).ok(),
            }),
            Some(size) => Err(TenancyError::refused(
                format!(
                    "a pool size of {size} is out of range: a tenant's pool holds 1 to {} connections",
                    Self::MAX_POOL_SIZE
                ),
                "leave it out for the default of 8",
            )),
        }
    }

    /// As the registry keeps it.
    pub fn to_json(self) -> String {
        serde_json::to_string(&self).unwrap_or_else(|_| "{}".to_owned())
    }
}

impl TenantRecord {
    /// Its pool options (the defaults when the column holds something
    /// else than such an object).
    pub fn pool(&self) -> PoolOptions {
        serde_json::from_str(&self.pool_options).unwrap_or_default()
    }

    /// Served: provisioned and active.
    pub fn serves(&self) -> bool {
        self.active && self.ready
    }

    /// `provisioning`, `active` or `inactive`.
    pub fn state(&self) -> &'static str {
        match (self.ready, self.active) {
            (false, _) => "provisioning",
            (true, true) => "active",
            (true, false) => "inactive",
        }
    }
}

/// The operations on `_baas_tenants`, whichever database keeps it.
///
/// The calls are blocking (they are short, keyed by the unique slug): the
/// SQLite registry is a local file, and the PostgreSQL one runs its
/// queries on a runtime of its own, so they can be made from synchronous
/// code and the CLI. A request asks with [`Registry::lookup`], which does
/// not hold its thread.
pub trait Registry: Send + Sync {
    /// Where the registry is, as shown to people (no password).
    fn shown(&self) -> String;

    /// The tenant `slug`, as the registry has it now.
    fn get(&self, slug: &str) -> Result<Option<TenantRecord>, TenancyError>;

    /// The tenant `slug` for a request: what [`Registry::get`] answers,
    /// without blocking the caller's thread, and from the registry's cache
    /// where it keeps one (the PostgreSQL registry, while its change
    /// notifications are received). The SQLite registry is a local file
    /// read in microseconds: it is read every time.
    fn lookup<'a>(
        &'a self,
        slug: &'a str,
    ) -> BoxFuture<'a, Result<Option<TenantRecord>, TenancyError>> {
        Box::pin(async move { self.get(slug) })
    }

    /// Forgets what is cached of `slug` (`None`: of every tenant): the
    /// registry's table was written other than through these calls (a
    /// PATCH of `/api/_system`).
    fn forget(&self, slug: Option<&str>) {
        let _ = slug;
    }

    /// The tenant whose id is `id`.
    fn get_by_id(&self, id: i64) -> Result<Option<TenantRecord>, TenancyError>;

    /// Every tenant, by slug.
    fn list(&self) -> Result<Vec<TenantRecord>, TenancyError>;

    /// Registers `slug` as being provisioned (not ready, not active), with
    /// its pool options (a JSON object). `false` when a row with that slug
    /// exists already, also one another process wrote a moment before.
    fn begin(
        &self,
        slug: &str,
        name: Option<&str>,
        location: &str,
        pool_options: &str,
    ) -> Result<bool, TenancyError>;

    /// Marks `slug` provisioned and active at `schema_version`.
    fn finish(&self, slug: &str, schema_version: Option<i64>) -> Result<(), TenancyError>;

    /// Records the newest migration applied to `slug`.
    fn set_version(&self, slug: &str, schema_version: Option<i64>) -> Result<(), TenancyError>;

    /// Turns serving `slug` on or off; `false` when there is no such
    /// provisioned tenant.
    fn set_active(&self, slug: &str, active: bool) -> Result<bool, TenancyError>;

    /// Removes `slug`'s row; `false` when there was none.
    fn remove(&self, slug: &str) -> Result<bool, TenancyError>;
}

/// Opens the registry `[tenancy] registry` names (`written`, `None` for
/// the embedded `.baas/registry.sqlite3` under `dir`): a SQLite path or
/// `sqlite://` URL, or a `postgres://` URL, each possibly an `${ENV}`
/// reference. A password written in clear in baas.toml is refused.
pub fn open(
    env: &Environment,
    written: Option<&str>,
    dir: &Path,
) -> Result<Box<dyn Registry>, TenancyError> {
    let Some(written) = written else {
        return Ok(Box::new(SqliteRegistry::open(
            &dir.join(".baas").join("registry.sqlite3"),
        )?));
    };
    if super::place::has_written_password(written) {
        return Err(TenancyError::refused(
            format!(
                "`[tenancy] registry` `{}` has its password written in baas.toml",
                redact(written)
            ),
            "write it as `${REGISTRY_URL}` (or the password as `${REGISTRY_PASSWORD}`) and set it in the environment or .env",
        ));
    }
    let resolved = env.interpolate(written).map_err(|error| {
        TenancyError::refused(
            format!("`[tenancy] registry`: {error}"),
            "set the variable in the environment or in .env",
        )
    })?;
    match crate::source::SourceLocation::parse(&resolved, dir) {
        Ok(crate::source::SourceLocation::Sqlite { path }) => {
            Ok(Box::new(SqliteRegistry::open(&path)?))
        }
        Ok(crate::source::SourceLocation::Postgres { url }) => {
            Ok(Box::new(PostgresRegistry::open(&url)?))
        }
        _ => Err(TenancyError::refused(
            format!(
                "`[tenancy] registry` is `{}`: the registry is kept in a SQLite file or a PostgreSQL database",
                redact(&resolved)
            ),
            "leave `registry` out for `.baas/registry.sqlite3`, or name a `sqlite://` file or a `postgres://` database",
        )),
    }
}
