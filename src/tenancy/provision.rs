//! Making and removing tenants, all or nothing, and bringing one tenant's
//! place up to the migrations folder.
//!
//! `create` registers the slug as "provisioning" first, then makes the
//! place and applies every migration, then marks the row ready. A failure
//! on the way removes the place (only when this run made it) and the row;
//! a process killed on the way leaves a row that is not ready, which
//! `list` shows and `drop` cleans up, so the registry never loses track
//! of a schema or file it made.

use std::time::Duration;

use super::fanout::{FanOut, Work};
use super::{Place, PoolOptions, Slug, TenancyError, TenantRecord, Tenants};
use crate::backend::Backend;
use crate::migrate::folder::{self, Migration};
use crate::migrate::{MigrateError, Target};

/// How long a tenant's migration waits for another runner's lock.
const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Provisions tenant `slug`: its place, all migrations, its registry row
/// (with its pool options).
pub async fn create(
    tenants: &Tenants,
    slug: &Slug,
    name: Option<&str>,
    pool: PoolOptions,
) -> Result<TenantRecord, TenancyError> {
    let place = Place::new(tenants, slug)?;
    if pool.pool_size.is_some() && !matches!(place, Place::Database { .. }) {
        return Err(TenancyError::refused(
            format!(
                "tenant `{slug}` would have no pool of its own to size: strategy `{}` serves its tenants from the deployment's connections",
                tenants.strategy.as_str()
            ),
            "a pool size applies to `strategy = \"database\"` tenants; leave it out",
        ));
    }
    super::rows::check_tables(tenants, &place, slug).await?;
    if !tenants
        .registry
        .begin(slug.as_str(), name, &place.location(), &pool.to_json())?
    {
        let existing = tenants.record(slug)?;
        if existing.ready {
            return Err(TenancyError::Exists(slug.to_string()));
        }
        return Err(TenancyError::refused(
            format!("tenant `{slug}` is being provisioned, or its provisioning was interrupted"),
            format!(
                "wait for the other `baas tenants create` to finish, or clean it up with `baas tenants drop {slug} --yes`"
            ),
        ));
    }
    let mut made = false;
    let result = async {
        place.create(tenants).await?;
        made = true;
        migrate(tenants, slug.as_str(), &place).await
    }
    .await;
    match result {
        Ok(applied) => {
            tenants.registry.finish(slug.as_str(), applied.version)?;
            tenants.record(slug)
        }
        Err(error) => {
            if made && let Err(cleanup) = place.destroy(tenants).await {
                tracing::warn!(
                    target: "baas::tenancy",
                    tenant = slug.as_str(),
                    "could not remove the place of the failed tenant: {cleanup}"
                );
                // The row stays (not ready) so that `drop` can finish the job.
                return Err(error);
            }
            tenants.registry.remove(slug.as_str())?;
            Err(error)
        }
    }
}

/// Removes tenant `slug`: its place with every row in it (a `row`
/// tenant's rows in the shared tables, unless `keep_rows`), then its
/// registry row (also a provisioning that never finished). For a `row`
/// tenant, the rows deleted from each entity.
pub async fn drop(
    tenants: &Tenants,
    slug: &Slug,
    keep_rows: bool,
) -> Result<(TenantRecord, Option<super::rows::Deleted>), TenancyError> {
    let record = tenants.record(slug)?;
    let place = Place::parse(&record.location);
    let deleted = match &place {
        Place::Row { .. } if keep_rows => None,
        Place::Row { column } => {
            let location = place.connection(tenants)?;
            Some(super::rows::delete(&location, &tenants.manifest, column, slug.as_str()).await?)
        }
        _ => {
            place.destroy(tenants).await?;
            None
        }
    };
    tenants.registry.remove(slug.as_str())?;
    Ok((record, deleted))
}

/// Turns serving `slug` on or off; refused for a tenant whose
/// provisioning did not finish.
pub fn set_active(
    tenants: &Tenants,
    slug: &Slug,
    active: bool,
) -> Result<TenantRecord, TenancyError> {
    let record = tenants.record(slug)?;
    if !tenants.registry.set_active(slug.as_str(), active)? {
        return Err(TenancyError::refused(
            format!(
                "tenant `{slug}` is {}: it cannot be {}",
                record.state(),
                if active { "activated" } else { "deactivated" }
            ),
            format!("finish or clean it up with `baas tenants drop {slug} --yes`"),
        ));
    }
    tenants.record(slug)
}

/// What [`migrate`] did to one tenant.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// The migrations applied now, by id.
    pub applied: Vec<String>,
    /// The newest migration's number after the run (`None` without a
    /// migrations folder).
    pub version: Option<i64>,
}

/// Brings tenant `tenant` at `place` up to the migrations folder, under
/// its lock as the fan-out does ([`super::fanout::change`]); a SQLite tenant of a deployment without migrations is
/// brought up to the manifest instead (as the dev database is).
pub async fn migrate(
    tenants: &Tenants,
    tenant: &str,
    place: &Place,
) -> Result<Applied, TenancyError> {
    // Row tenants live in the deployment's own tables: `baas migrate
    // apply` migrates them all at once.
    if matches!(place, Place::Row { .. }) {
        return Ok(Applied::default());
    }
    let location = place.connection(tenants)?;
    let Some(backend) = Backend::of(&location) else {
        return Err(TenancyError::Database(format!(
            "`{}` is not a database",
            place.shown()
        )));
    };
    let target = backend.target();
    let migrations = folder::load(&tenants.migrations, target).map_err(MigrateError::from)?;
    if migrations.is_empty() {
        return match (target, &location) {
            (Target::Sqlite, crate::source::SourceLocation::Sqlite { path }) => {
                crate::migrate::sync::sync(path, &tenants.manifest, false)
                    .map_err(|error| TenancyError::Database(format!("{error:#}")))?;
                Ok(Applied::default())
            }
            _ => Err(TenancyError::refused(
                format!(
                    "there are no migrations in `{}` to make a tenant's tables with",
                    tenants.migrations.display()
                ),
                "write them first with `baas migrate plan --name init`",
            )),
        };
    }
    // A new tenant has no rows to lose: every migration is confirmed.
    let fan_out = FanOut {
        work: Work::Apply { dry_run: false },
        lock_timeout: LOCK_TIMEOUT,
        concurrency: 1,
        confirmed: migrations.iter().map(Migration::number).collect(),
    };
    let report = super::fanout::change(&backend, &migrations, &fan_out, tenant).await?;
    super::realtime::install(tenants, tenant, place).await?;
    Ok(Applied {
        applied: report.done,
        version: report.version,
    })
}
