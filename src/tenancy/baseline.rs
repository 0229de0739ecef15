//! A file tenant made without a migrations folder (its tables synced from
//! the manifest, `migrate::sync`) meeting migrations: its `dev_sync`
//! history is replaced by a baseline, the migrations its tables already
//! match recorded as applied without running them.

use std::future::Future;
use std::time::Duration;

use super::TenancyError;
use crate::backend::Backend;
use crate::manifest::Manifest;
use crate::migrate::folder::{self, Migration, MigrationDir};
use crate::migrate::history::AppliedMigration;
use crate::migrate::runner::{Direction, Missing, NotRecorded, Runner};
use crate::migrate::{MigrateError, Target};

/// Whether `applied` is the history of a tenant made from the manifest
/// without a migrations folder: `dev_sync` steps only.
pub fn synced_only(applied: &[AppliedMigration]) -> bool {
    !applied.is_empty()
        && applied
            .iter()
            .all(|row| row.name == crate::migrate::sync::STEP_NAME)
}

/// A file tenant made without a migrations folder got the manifest's
/// tables directly, its history a `dev_sync` step numbered as a migration
/// is. Once the folder has migrations, running `0001` there would run it
/// on tables that exist: instead the newest migration whose snapshot its
/// live tables match becomes its baseline, recorded as applied with every
/// migration before it (nothing run, the `dev_sync` rows replaced, in one
/// transaction), and `apply` goes on from there. Refused, changing
/// nothing, when its tables match no migration's snapshot. The ids
/// recorded; none for any other tenant (only SQLite tenants are synced).
/// `live` reads the tenant's tables (awaited only for a synced tenant).
pub async fn baseline(
    backend: &Backend,
    migrations: &[Migration],
    lock_timeout: Duration,
    slug: &str,
    live: impl Future<Output = Result<Manifest, TenancyError>>,
) -> Result<Vec<String>, TenancyError> {
    if migrations.is_empty() || backend.target() != Target::Sqlite {
        return Ok(Vec::new());
    }
    let mut runner = backend.runner(Missing::Fail).await?;
    let applied = runner.applied().await?;
    if !synced_only(&applied) {
        return Ok(Vec::new());
    }
    let live = live.await?;
    let matches = |migration: &&Migration| {
        let path = migration.dir.snapshot_path();
        path.is_file()
            && crate::manifest::load_file(&path)
                .is_ok_and(|snapshot| crate::diff::diff(&live, &snapshot.manifest).is_empty())
    };
    let Some(newest) = migrations.iter().rev().find(matches) else {
        let synced: Vec<String> = applied
            .iter()
            .map(|row| folder::folder_name(row.number, &row.name))
            .collect();
        return Err(MigrateError::refused(
            format!(
                "tenant `{}` was made from the manifest without migrations (its history is `{}`), and its tables match the snapshot of none of the migrations: running `{}` would run it on tables that exist",
                slug,
                synced.join("`, `"),
                migrations[0].id()
            ),
            format!(
                "bring its tables in line with a migration's snapshot (`baas check --tenants {}` shows how they differ from baas.toml), then run again: that migration is recorded as applied and the later ones run",
                slug
            ),
        )
        .into());
    };
    runner
        .lock(lock_timeout, &|| {
            tracing::info!(
                target: "baas::tenancy",
                tenant = slug,
                "waiting for another `baas migrate` on this tenant"
            );
        })
        .await?;
    let result = record_baseline(&mut runner, migrations, newest.number()).await;
    let unlocked = runner.unlock().await;
    let recorded = result?;
    unlocked?;
    Ok(recorded)
}

/// Under the tenant's lock: the `dev_sync` rows removed, and every
/// migration up to `newest` recorded as applied without running it
/// (nothing when another runner did it meanwhile).
async fn record_baseline(
    runner: &mut Runner,
    migrations: &[Migration],
    newest: u32,
) -> Result<Vec<String>, TenancyError> {
    let applied = runner.applied().await?;
    if !synced_only(&applied) {
        return Ok(Vec::new());
    }
    let failed = |failure: NotRecorded| {
        TenancyError::Migrate(MigrateError::Failed {
            message: format!(
                "recording `{}` as the tenant's baseline failed: {}",
                failure.id, failure.reason
            ),
            hint: "nothing was changed: run the same command again".into(),
        })
    };
    let synced: Vec<Migration> = applied
        .iter()
        .map(|row| {
            Migration::in_memory(
                MigrationDir {
                    number: row.number,
                    name: row.name.clone(),
                    path: std::path::PathBuf::new(),
                },
                String::new(),
                None,
            )
        })
        .collect();
    runner
        .record_applied(&synced, Direction::Down, &mut |_| {})
        .await
        .map_err(failed)?;
    let baseline = migrations.iter().filter(|m| m.number() <= newest);
    runner
        .record_applied(baseline, Direction::Up, &mut |_| {})
        .await
        .map_err(failed)
}
