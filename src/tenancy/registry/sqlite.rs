//! The registry in a SQLite file (the embedded `.baas/registry.sqlite3`
//! by default), over one connection behind a mutex.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, params};

use super::{Registry, TenancyError, TenantRecord};

const CREATE: &str = "CREATE TABLE IF NOT EXISTS _baas_tenants (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT,
    location TEXT NOT NULL,
    pool_options TEXT NOT NULL DEFAULT '{}',
    active INTEGER NOT NULL DEFAULT 0,
    ready INTEGER NOT NULL DEFAULT 0,
    schema_version INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)";

const COLUMNS: &str = "id, slug, name, location, pool_options, active, ready, schema_version, \
     created_at, updated_at";

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/// The registry in a SQLite file.
pub struct SqliteRegistry {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl SqliteRegistry {
    /// Opens (creating when missing) the registry at `path`.
    pub fn open(path: &Path) -> Result<Self, TenancyError> {
        let fail = |reason: String| TenancyError::Registry {
            path: path.display().to_string(),
            reason,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
        }
        let connection = Connection::open(path).map_err(|e| fail(e.to_string()))?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| fail(e.to_string()))?;
        connection
            .pragma_update(None, "journal_mode", "wal")
            .map_err(|e| fail(e.to_string()))?;
        connection
            .execute_batch(CREATE)
            .map_err(|e| fail(e.to_string()))?;
        Ok(Self {
            path: path.to_owned(),
            connection: Mutex::new(connection),
        })
    }

    fn with<T>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, TenancyError> {
        let connection = match self.connection.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        work(&connection).map_err(|error| TenancyError::Registry {
            path: self.path.display().to_string(),
            reason: error.to_string(),
        })
    }
}

impl Registry for SqliteRegistry {
    fn shown(&self) -> String {
        self.path.display().to_string()
    }

    fn get(&self, slug: &str) -> Result<Option<TenantRecord>, TenancyError> {
        self.with(|c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM _baas_tenants WHERE slug = ?1"
            ))?
            .query_row([slug], record)
            .optional()
        })
    }

    /// Every tenant, by slug.
    fn get_by_id(&self, id: i64) -> Result<Option<TenantRecord>, TenancyError> {
        self.with(|c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM _baas_tenants WHERE id = ?1"
            ))?
            .query_row([id], record)
            .optional()
        })
    }

    fn list(&self) -> Result<Vec<TenantRecord>, TenancyError> {
        self.with(|c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM _baas_tenants ORDER BY slug"
            ))?
            .query_map([], record)?
            .collect()
        })
    }

    /// Registers `slug` as being provisioned (not ready, not active).
    /// `false` when a row with that slug exists already.
    fn begin(
        &self,
        slug: &str,
        name: Option<&str>,
        location: &str,
        pool_options: &str,
    ) -> Result<bool, TenancyError> {
        self.with(|c| {
            let inserted = c.execute(
                &format!(
                    "INSERT INTO _baas_tenants \
                     (slug, name, location, pool_options, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, {NOW}, {NOW}) ON CONFLICT (slug) DO NOTHING"
                ),
                params![slug, name, location, pool_options],
            )?;
            Ok(inserted == 1)
        })
    }

    /// Marks `slug` provisioned and active at `schema_version`.
    fn finish(&self, slug: &str, schema_version: Option<i64>) -> Result<(), TenancyError> {
        self.with(|c| {
            c.execute(
                &format!(
                    "UPDATE _baas_tenants SET ready = 1, active = 1, schema_version = ?2, \
                     updated_at = {NOW} WHERE slug = ?1"
                ),
                params![slug, schema_version],
            )
            .map(|_| ())
        })
    }

    /// Records the newest migration applied to `slug`.
    fn set_version(&self, slug: &str, schema_version: Option<i64>) -> Result<(), TenancyError> {
        self.with(|c| {
            c.execute(
                &format!(
                    "UPDATE _baas_tenants SET schema_version = ?2, updated_at = {NOW} WHERE slug = ?1"
                ),
                params![slug, schema_version],
            )
            .map(|_| ())
        })
    }

    /// Turns serving `slug` on or off; `false` when there is no such tenant.
    fn set_active(&self, slug: &str, active: bool) -> Result<bool, TenancyError> {
        self.with(|c| {
            let changed = c.execute(
                &format!(
                    "UPDATE _baas_tenants SET active = ?2, updated_at = {NOW} WHERE slug = ?1 AND ready = 1"
                ),
                params![slug, active],
            )?;
            Ok(changed == 1)
        })
    }

    /// Removes `slug`'s row; `false` when there was none.
    fn remove(&self, slug: &str) -> Result<bool, TenancyError> {
        self.with(|c| {
            let removed = c.execute("DELETE FROM _baas_tenants WHERE slug = ?1", [slug])?;
            Ok(removed == 1)
        })
    }
}

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<TenantRecord> {
    Ok(TenantRecord {
        id: row.get(0)?,
        slug: row.get(1)?,
        name: row.get(2)?,
        location: row.get(3)?,
        pool_options: row.get(4)?,
        active: row.get(5)?,
        ready: row.get(6)?,
        schema_version: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
    })
}
