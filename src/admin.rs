//! The served database as its administrator sees it: which migrations it
//! has against the migrations folder, how its live schema differs from the
//! manifest, and what that schema has that the manifest cannot hold (the
//! fidelity ledger).
//!
//! `baas migrate status` reads the migrations with [`history`]; `baas serve`
//! hands a [`ServedDatabase`] to the HTTP layer (the studio's
//! `/api/_migrations` and `/_studio/ledger.json`), which cannot reach the
//! engines' runners and introspectors itself.

use std::path::{Path, PathBuf};

use futures::future::BoxFuture;
use serde_json::{Value as Json, json};

use crate::ledger::Ledger;
use crate::manifest::Manifest;
use crate::migrate::folder::{self, Migration};
use crate::migrate::history::{self, AppliedMigration, State};
use crate::migrate::runner::Missing;
use crate::migrate::{MigrateError, Target};
use crate::serve::http::studio::Admin;
use crate::source::{IntrospectOptions, Introspection, SourceLocation, redact};

/// A database's migrations: the folder's and the applied ones.
pub struct History {
    pub migrations: Vec<Migration>,
    pub applied: Vec<AppliedMigration>,
    /// `false` for a SQLite file `apply` would create: nothing is applied.
    pub exists: bool,
}

/// The migrations of `dir` (as the database's engine runs them) and those
/// the database at `location` has applied.
pub async fn history(location: &SourceLocation, dir: &Path) -> Result<History, MigrateError> {
    if let SourceLocation::Sqlite { path } = location
        && !path.exists()
    {
        return Ok(History {
            migrations: folder::load(dir, Target::Sqlite)?,
            applied: Vec::new(),
            exists: false,
        });
    }
    let mut runner = crate::backend::runner(location, Missing::Fail).await?;
    let migrations = folder::load(dir, runner.target())?;
    let applied = runner.applied().await?;
    Ok(History {
        migrations,
        applied,
        exists: true,
    })
}

/// The database `baas serve` serves, and the migrations folder beside its
/// manifest.
pub struct ServedDatabase {
    location: SourceLocation,
    migrations: PathBuf,
    /// The dev database: `baas serve` keeps it in step with the manifest
    /// itself, so its live schema is not compared.
    dev: bool,
}

impl ServedDatabase {
    pub fn new(location: SourceLocation, migrations: PathBuf) -> Self {
        Self {
            location,
            migrations,
            dev: false,
        }
    }

    /// The embedded dev database (`.baas/dev.sqlite3`), which follows the
    /// manifest by itself: it has no drift to show, and SQLite's reading of
    /// enums, comments and JSON would show differences that are not drift.
    pub fn dev(self) -> Self {
        Self { dev: true, ..self }
    }

    /// The live schema, read as `baas check --db` reads it.
    async fn live(&self, manifest: &Manifest) -> Result<Introspection, String> {
        let options = IntrospectOptions {
            schemas: manifest
                .source
                .as_ref()
                .map(|source| source.schemas.clone())
                .unwrap_or_default(),
            ..IntrospectOptions::default()
        };
        crate::backend::introspect(&self.location, &options, &crate::ui::Progress::hidden())
            .await
            .map_err(|error| self.reason(&error))
    }

    fn reason(&self, error: &dyn std::fmt::Display) -> String {
        redact(&format!("`{}`: {error}", self.location))
    }

    /// [`history`] off the request's task: the engines' runners are not
    /// `Send`, so they run on a blocking thread of their own.
    async fn history(&self) -> Result<History, String> {
        let (location, dir) = (self.location.clone(), self.migrations.clone());
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || handle.block_on(history(&location, &dir)))
            .await
            .map_err(|error| self.reason(&error))?
            .map_err(|error| self.reason(&error))
    }

    async fn report(&self, manifest: &Manifest) -> Result<Json, String> {
        let history = self.history().await?;
        let rows = history::status(&history.migrations, &history.applied);
        let migrations: Vec<Json> = rows
            .iter()
            .map(|row| {
                let file = history.migrations.iter().find(|m| m.number() == row.number);
                let applied = history.applied.iter().find(|a| a.number == row.number);
                let mut value = json!(row);
                if let Some(object) = value.as_object_mut() {
                    object.insert("id".into(), json!(row.id()));
                    object.insert("checksum".into(), json!(file.map(|f| &f.checksum)));
                    object.insert(
                        "applied_checksum".into(),
                        json!(applied.map(|a| &a.checksum)),
                    );
                }
                value
            })
            .collect();
        let count = |state: State| rows.iter().filter(|r| r.state == state).count();
        // The drift is what it takes to get from the database to the
        // manifest, as `baas check --db` prints it.
        let drift = if self.dev {
            json!({
                "changes": [],
                "note": "the dev database follows the manifest by itself: `baas serve` applies each change",
            })
        } else if history.exists {
            match self.live(manifest).await {
                Ok(live) => json!({ "changes": crate::diff::diff(&live.manifest, manifest) }),
                Err(error) => json!({ "error": error }),
            }
        } else {
            json!({ "changes": [], "note": "the database does not exist yet" })
        };
        Ok(json!({
            "database": redact(&self.location.to_string()),
            "folder": self.migrations.display().to_string(),
            "exists": history.exists,
            "dev": self.dev,
            "migrations": migrations,
            "summary": {
                "applied": count(State::Applied),
                "pending": count(State::Pending),
                "modified": count(State::Modified),
                "missing_file": count(State::MissingFile),
            },
            "drift": drift,
        }))
    }
}

impl Admin for ServedDatabase {
    fn migrations<'a>(&'a self, manifest: &'a Manifest) -> BoxFuture<'a, Result<Json, String>> {
        Box::pin(self.report(manifest))
    }

    fn ledger<'a>(&'a self, manifest: &'a Manifest) -> BoxFuture<'a, Result<Ledger, String>> {
        Box::pin(async move { Ok(self.live(manifest).await?.ledger) })
    }
}
