//! Multi-tenancy (DESIGN.md §5b "Tenancy"): many tenants served from one
//! manifest, each with its rows in a place of its own.
//!
//! ```text
//! [tenancy] ─> Tenants { strategy, registry, server }
//!   provision::create  ─> registry row (provisioning) ─> Place::create ─> migrations ─> row ready
//!   resolver::TenantResolver (serve) ─> registry lookup ─> pools::Pools ─> Store of the tenant
//! ```
//!
//! - [`registry`]: the `_baas_tenants` table (the embedded
//!   `.baas/registry.sqlite3` by default, or a PostgreSQL database).
//! - [`place`]: where a tenant's rows live (a SQLite file, a PostgreSQL
//!   schema, a database), its stored location and how to connect to it;
//!   the servers' part (making and dropping schemas and databases) is in
//!   [`server`].
//! - [`provision`]: create (all or nothing), drop, and migrations per tenant.
//! - [`rows`]: a `row` tenant's rows, deleted when it is dropped.
//! - [`realtime`]: the triggers of `[realtime] external` in schema tenants.
//! - [`fanout`]: `migrate apply|status|down` and `check` over many tenants;
//!   [`baseline`]: a tenant synced from the manifest meeting migrations.
//! - [`pools`]: one store per tenant, opened lazily once, capped with
//!   least-recently-used and idle eviction.
//! - [`resolver`]: the kernel's [`crate::serve::store::resolver::StoreResolver`]
//!   for a tenanted deployment.
//!
//! A location in the registry never holds a password: the server is kept
//! as the `${ENV}` reference written in baas.toml and resolved when used.

pub mod admin;
pub mod baseline;
pub mod fanout;
pub mod place;
pub mod pools;
pub mod provision;
pub mod realtime;
pub mod registry;
pub mod resolver;
pub mod rows;
pub mod server;

use std::path::{Path, PathBuf};

use crate::manifest::{Manifest, TenancyStrategy};
use crate::settings::Environment;

pub use place::Place;
pub use registry::{PoolOptions, Registry, TenantRecord};

/// Why a tenancy operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    #[error(
        "`{0}` is not a valid tenant slug: it must be a lower-case letter then up to 62 lower-case letters, digits or `_`"
    )]
    InvalidSlug(String),
    #[error("`{0}` is a reserved name and cannot be a tenant slug")]
    Reserved(String),
    #[error("there is no tenant `{0}`")]
    Unknown(String),
    #[error("tenant `{0}` already exists")]
    Exists(String),
    /// Something the user must change (the message says what).
    #[error("{message}")]
    Refused { message: String, hint: String },
    /// The registry database failed.
    #[error("the tenant registry `{path}` failed: {reason}")]
    Registry { path: String, reason: String },
    /// A tenant's database failed (the message names the tenant).
    #[error("{0}")]
    Database(String),
    #[error(transparent)]
    Migrate(#[from] crate::migrate::MigrateError),
}

impl TenancyError {
    pub fn refused(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::Refused {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// As a command's error: the user's to fix (exit 2, with the hint), a
    /// migration's own error, or a database that cannot be reached (exit 3).
    pub fn into_error(self) -> anyhow::Error {
        match self {
            Self::Migrate(error) => error.into(),
            Self::Database(message) => anyhow::Error::new(
                crate::serve::store::StoreError::Unavailable(anyhow::anyhow!(message.clone())),
            )
            .context(message),
            Self::Registry { .. } => anyhow::Error::new(self),
            other => {
                let mut usage = crate::error::UsageError::new(other.to_string());
                if let Some(hint) = other.hint() {
                    usage = usage.with_hint(hint);
                }
                usage.into()
            }
        }
    }

    /// What to do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::InvalidSlug(_) | Self::Reserved(_) => Some(
                "use a name like `acme` or `acme_eu` (it becomes a schema, database or file name)"
                    .into(),
            ),
            Self::Unknown(_) => Some("`baas tenants list` shows the tenants".into()),
            Self::Exists(_) => Some(
                "pick another slug, or drop the tenant first (`baas tenants drop SLUG`)".into(),
            ),
            Self::Refused { hint, .. } => Some(hint.clone()),
            _ => None,
        }
    }
}

/// A tenant's name: `^[a-z][a-z0-9_]{0,62}$`, so it is a valid schema,
/// database and file name in every engine without quoting surprises.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

/// Names no tenant may take: PostgreSQL's own schemas and the platform's.
const RESERVED: &[&str] = &[
    "public",
    "information_schema",
    "system",
    "admin",
    "postgres",
];

impl Slug {
    pub fn parse(text: &str) -> Result<Self, TenancyError> {
        let bytes = text.as_bytes();
        let valid = !bytes.is_empty()
            && bytes.len() <= 63
            && bytes[0].is_ascii_lowercase()
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_');
        if !valid {
            return Err(TenancyError::InvalidSlug(text.chars().take(80).collect()));
        }
        if RESERVED.contains(&text) || text.starts_with("pg_") {
            return Err(TenancyError::Reserved(text.to_owned()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenanted deployment: the manifest's `[tenancy]` resolved against its
/// folder and environment, with its registry open.
pub struct Tenants {
    pub strategy: TenancyStrategy,
    /// The manifest's folder: `.baas/` and relative paths are there.
    pub dir: PathBuf,
    /// The server tenants are made on, as written (`${DATABASE_URL}`).
    pub server: Option<String>,
    pub env: Environment,
    pub registry: Box<dyn Registry>,
    /// The migrations folder applied to every new tenant.
    pub migrations: PathBuf,
    pub manifest: Manifest,
}

impl Tenants {
    /// The tenants of `manifest` (read from `manifest_path`); `None` when
    /// it has no `[tenancy]`.
    pub fn open(
        manifest: &Manifest,
        manifest_path: &Path,
        migrations: PathBuf,
    ) -> Result<Option<Self>, TenancyError> {
        let Some(tenancy) = &manifest.tenancy else {
            return Ok(None);
        };
        let dir = manifest_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let env = Environment::load(&dir)
            .map_err(|error| TenancyError::refused(error.to_string(), "fix `.env`"))?;
        let registry = registry::open(&env, tenancy.registry.as_deref(), &dir)?;
        let server = tenancy.url.clone().or_else(|| {
            manifest
                .source
                .as_ref()
                .and_then(|source| source.url.clone())
        });
        Ok(Some(Self {
            strategy: tenancy.strategy,
            dir,
            server,
            env,
            registry,
            migrations,
            manifest: manifest.clone(),
        }))
    }

    /// The record of `slug`, refused when it is unknown.
    pub fn record(&self, slug: &Slug) -> Result<TenantRecord, TenancyError> {
        self.registry
            .get(slug.as_str())?
            .ok_or_else(|| TenancyError::Unknown(slug.to_string()))
    }
}

/// A record as `baas tenants --json` and `/api/_tenants` show it: its
/// location without any password.
pub fn record_json(record: &TenantRecord) -> serde_json::Value {
    let pool_options: serde_json::Value =
        serde_json::from_str(&record.pool_options).unwrap_or_else(|_| serde_json::json!({}));
    serde_json::json!({
        "id": record.id,
        "slug": record.slug,
        "name": record.name,
        "state": record.state(),
        "active": record.active,
        "schema_version": record.schema_version,
        "location": Place::parse(&record.location).shown(),
        "pool_options": pool_options,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_identifiers_and_not_reserved() {
        for good in ["acme", "a", "acme_eu2", &"a".repeat(63)] {
            assert!(Slug::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Acme",
            "1acme",
            "_acme",
            "acme-eu",
            "acme eu",
            "a\"b",
            "ac;me",
            &"a".repeat(64),
            "é",
        ] {
            assert!(
                matches!(Slug::parse(bad), Err(TenancyError::InvalidSlug(_))),
                "{bad}"
            );
        }
        for reserved in ["public", "pg_catalog", "information_schema", "system"] {
            assert!(
                matches!(Slug::parse(reserved), Err(TenancyError::Reserved(_))),
                "{reserved}"
            );
        }
    }
}
