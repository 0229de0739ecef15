//! Fan-out over tenants: `baas migrate apply|status|down --tenants` and
//! `baas check --tenants` run the same work on many tenants, N at a time.
//!
//! Each tenant is migrated under its own lock (a PostgreSQL advisory lock
//! keyed by database and schema, SQLite's write lock on the tenant's file),
//! so tenants never wait for each other and two fan-outs at once never
//! apply a migration twice: the second one waits for each tenant's lock,
//! then finds the work done. A tenant that fails does not stop the others;
//! its outcome says why, and a rerun applies only what is still pending.
//! The registry's `schema_version` follows every apply and down, also one
//! that failed after some of its migrations were applied.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt as _};
use serde::Serialize;

use super::{Place, Slug, TenancyError, TenantRecord, Tenants};
use crate::backend::Backend;
use crate::diff::Change;
use crate::manifest::{Generated, Manifest, TenancyStrategy};
use crate::migrate::folder::{self, Migration};
use crate::migrate::history::{self, AppliedMigration, State};
use crate::migrate::runner::{Direction, Missing, Runner, Step};
use crate::migrate::{MigrateError, Target};
use crate::source::IntrospectOptions;

/// Which tenants a command works on: `--tenants all` or `--tenants a,b`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every provisioned tenant, active or not.
    All,
    /// These, in this order.
    Some(Vec<Slug>),
}

impl Selection {
    pub fn parse(text: &str) -> Result<Self, TenancyError> {
        if text.trim() == "all" {
            return Ok(Self::All);
        }
        let mut slugs = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let slug = Slug::parse(part)?;
            if !slugs.contains(&slug) {
                slugs.push(slug);
            }
        }
        if slugs.is_empty() {
            return Err(TenancyError::refused(
                "`--tenants` names no tenant",
                "pass `all`, or slugs separated by commas: `--tenants acme,globex`",
            ));
        }
        Ok(Self::Some(slugs))
    }
}

/// The registered tenants `selection` names (refused with strategy `row`,
/// whose tenants share one database). `all` leaves out
/// provisionings that did not finish; naming one is refused, as is an
/// unknown slug, before any tenant is touched.
pub fn select(tenants: &Tenants, selection: &Selection) -> Result<Vec<TenantRecord>, TenancyError> {
    if tenants.strategy == TenancyStrategy::Row {
        return Err(TenancyError::refused(
            "with strategy `row` every tenant's rows are in one database: there is nothing to fan out",
            "run the command without --tenants: it works on that database",
        ));
    }
    match selection {
        Selection::All => Ok(tenants
            .registry
            .list()?
            .into_iter()
            .filter(|record| record.ready)
            .collect()),
        Selection::Some(slugs) => slugs
            .iter()
            .map(|slug| {
                let record = tenants.record(slug)?;
                if !record.ready {
                    return Err(TenancyError::refused(
                        format!(
                            "tenant `{slug}` is being provisioned, or its provisioning was interrupted"
                        ),
                        format!("finish or clean it up with `baas tenants drop {slug} --yes`"),
                    ));
                }
                Ok(record)
            })
            .collect(),
    }
}

/// What to do on each tenant.
#[derive(Debug, Clone)]
pub enum Work {
    /// Apply what is pending (with `dry_run`, only say what).
    Apply { dry_run: bool },
    /// Read the history.
    Status,
    /// Undo the newest `count` applied migrations (with `dry_run`, only say which).
    Down { count: usize, dry_run: bool },
}

impl Work {
    fn changes(&self) -> bool {
        match self {
            Self::Apply { dry_run } | Self::Down { dry_run, .. } => !dry_run,
            Self::Status => false,
        }
    }

    fn direction(&self) -> Direction {
        match self {
            Self::Down { .. } => Direction::Down,
            _ => Direction::Up,
        }
    }
}

/// A fan-out: the work, and how.
#[derive(Debug, Clone)]
pub struct FanOut {
    pub work: Work,
    /// How long each tenant waits for its lock.
    pub lock_timeout: Duration,
    /// Tenants worked on at once (at least 1).
    pub concurrency: usize,
    /// Migrations whose destructive statements may run; a tenant that
    /// would run another destructive statement is refused.
    pub confirmed: BTreeSet<u32>,
}

/// Where one tenant stands after the work.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The migrations this run applied or undid (a dry run: would), by id.
    pub done: Vec<String>,
    /// How many are applied.
    pub applied: usize,
    /// Those still pending, by id.
    pub pending: Vec<String>,
    /// Applied, but edited since.
    pub modified: Vec<String>,
    /// Applied, but without a folder.
    pub missing_file: Vec<String>,
    /// Steps that brought the tenant up to the manifest directly (a file
    /// tenant made without a migrations folder), by id: they have no
    /// folder by design, and are not missing ones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub synced: Vec<String>,
    /// The migrations this run recorded as applied without running them:
    /// a synced tenant's tables already matched them (`baseline`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub baselined: Vec<String>,
    /// The realtime objects of `[realtime] external` this run made again
    /// (a schema tenant's dropped or edited trigger) or made for new
    /// tables, and those it dropped (no longer asked for).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub realtime_made: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub realtime_dropped: Vec<String>,
    /// The newest applied migration's number.
    pub version: Option<i64>,
}

/// One tenant's outcome.
#[derive(Debug)]
pub struct Outcome {
    pub record: TenantRecord,
    pub elapsed: Duration,
    pub result: Result<Report, TenancyError>,
}

/// The migrations folder, loaded once per engine the tenants are on.
pub struct Folders {
    loaded: Vec<(Target, Vec<Migration>)>,
}

impl Folders {
    /// Loads the folder for each engine `records` are on.
    pub fn load(tenants: &Tenants, records: &[TenantRecord]) -> Result<Self, TenancyError> {
        let mut loaded: Vec<(Target, Vec<Migration>)> = Vec::new();
        for record in records {
            let target = backend(tenants, record)?.target();
            if !loaded.iter().any(|(t, _)| *t == target) {
                let migrations =
                    folder::load(&tenants.migrations, target).map_err(MigrateError::from)?;
                loaded.push((target, migrations));
            }
        }
        Ok(Self { loaded })
    }

    fn of(&self, target: Target) -> &[Migration] {
        self.loaded
            .iter()
            .find(|(t, _)| *t == target)
            .map_or(&[], |(_, migrations)| migrations.as_slice())
    }

    /// The migrations of each engine.
    pub fn by_target(&self) -> impl Iterator<Item = (Target, &[Migration])> {
        self.loaded
            .iter()
            .map(|(target, migrations)| (*target, migrations.as_slice()))
    }
}

fn backend(tenants: &Tenants, record: &TenantRecord) -> Result<Backend, TenancyError> {
    let place = Place::parse(&record.location);
    let location = place.connection(tenants)?;
    Backend::of(&location).ok_or_else(|| {
        TenancyError::Database(format!(
            "tenant `{}`: `{}` is not a database",
            record.slug,
            place.shown()
        ))
    })
}

/// Runs `fan_out` on every tenant of `records`, `concurrency` at a time,
/// calling `finished` as each one ends; the outcomes come back in the
/// order of `records`.
pub async fn run(
    tenants: &Tenants,
    records: Vec<TenantRecord>,
    folders: &Folders,
    fan_out: &FanOut,
    finished: &dyn Fn(&Outcome),
) -> Vec<Outcome> {
    let mut outcomes: Vec<(usize, Outcome)> = stream::iter(records.into_iter().enumerate())
        .map(|(index, record)| async move {
            let started = Instant::now();
            let result = one(tenants, &record, folders, fan_out).await;
            let outcome = Outcome {
                record,
                elapsed: started.elapsed(),
                result,
            };
            finished(&outcome);
            (index, outcome)
        })
        .buffer_unordered(fan_out.concurrency.max(1))
        .collect()
        .await;
    outcomes.sort_by_key(|(index, _)| *index);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

/// The work on one tenant.
async fn one(
    tenants: &Tenants,
    record: &TenantRecord,
    folders: &Folders,
    fan_out: &FanOut,
) -> Result<Report, TenancyError> {
    let backend = backend(tenants, record)?;
    let migrations = folders.of(backend.target());
    if !fan_out.work.changes() {
        let mut runner = backend.runner(Missing::Fail).await?;
        let applied = runner.applied().await?;
        // A synced tenant's `dev_sync` rows are no migrations of the
        // folder: all of them are ahead of it (`apply` starts with a
        // baseline).
        let compared = if super::baseline::synced_only(&applied) {
            &[][..]
        } else {
            &applied[..]
        };
        let done = match fan_out.work {
            Work::Apply { .. } => history::pending(migrations, compared)
                .map_err(|c| c.into_error())?
                .iter()
                .map(|m| m.id())
                .collect(),
            Work::Down { count, .. } => history::newest_applied(migrations, &applied, count)
                .map_err(|c| c.into_error())?
                .iter()
                .map(|m| m.id())
                .collect(),
            Work::Status => Vec::new(),
        };
        return Ok(report(migrations, &applied, done));
    }
    let baselined = match fan_out.work {
        Work::Apply { .. } => {
            super::baseline::baseline(
                &backend,
                migrations,
                fan_out.lock_timeout,
                &record.slug,
                live(tenants, record),
            )
            .await?
        }
        _ => Vec::new(),
    };
    let mut report = match change(&backend, migrations, fan_out, &record.slug).await {
        Ok(report) => report,
        Err(error) => {
            // Migrations applied before the one that failed stay applied:
            // the registry follows the tenant's history (when it can be
            // read; the error says why not).
            if let Ok(mut runner) = backend.runner(Missing::Fail).await
                && let Ok(applied) = runner.applied().await
            {
                let version = report(migrations, &applied, Vec::new()).version;
                if let Err(registry) = tenants.registry.set_version(&record.slug, version) {
                    tracing::warn!(
                        target: "baas::tenancy",
                        tenant = record.slug.as_str(),
                        "the registry's schema version could not follow a failed migration: {registry}"
                    );
                }
            }
            return Err(error);
        }
    };
    report.baselined = baselined;
    tenants.registry.set_version(&record.slug, report.version)?;
    if matches!(fan_out.work, Work::Apply { .. }) {
        let place = Place::parse(&record.location);
        let installed = super::realtime::install(tenants, &record.slug, &place).await?;
        report.realtime_made = installed.made;
        report.realtime_dropped = installed.dropped;
    }
    Ok(report)
}

/// Applies (or undoes) `fan_out`'s migrations on the database of tenant
/// `tenant` under the tenant's lock, and reads its history after: what
/// provisioning runs on a new tenant and the fan-out on each one (the
/// registry is the caller's).
pub(super) async fn change(
    backend: &Backend,
    migrations: &[Migration],
    fan_out: &FanOut,
    tenant: &str,
) -> Result<Report, TenancyError> {
    let missing = match fan_out.work {
        Work::Apply { .. } => Missing::Create,
        _ => Missing::Fail,
    };
    let mut runner = backend.runner(missing).await?;
    runner
        .lock(fan_out.lock_timeout, &|| {
            tracing::info!(
                target: "baas::tenancy",
                tenant,
                "waiting for another `baas migrate` on this tenant"
            );
        })
        .await?;
    let result = locked(&mut runner, migrations, fan_out).await;
    let applied = runner.applied().await;
    let unlocked = runner.unlock().await;
    let done = result?;
    unlocked?;
    let applied = applied?;
    Ok(report(migrations, &applied, done))
}

/// Under the tenant's lock: what is pending now (another runner may have
/// applied some meanwhile), or the newest applied, run in order.
async fn locked(
    runner: &mut Runner,
    migrations: &[Migration],
    fan_out: &FanOut,
) -> Result<Vec<String>, TenancyError> {
    let applied = runner.applied().await?;
    let chosen = match fan_out.work {
        Work::Down { count, .. } => history::newest_applied(migrations, &applied, count),
        _ => history::pending(migrations, &applied),
    }
    .map_err(|c| c.into_error())?;
    let steps = chosen
        .iter()
        .map(|m| {
            crate::migrate::steps::prepare(
                m,
                fan_out.work.direction(),
                runner.target(),
                runner.transactional(),
            )
        })
        .collect::<Result<Vec<Step<'_>>, _>>()?;
    let unconfirmed: Vec<String> = steps
        .iter()
        .filter(|step| {
            !fan_out.confirmed.contains(&step.migration.number())
                && step.statements.iter().any(|s| s.destructive.is_some())
        })
        .map(|step| step.migration.id())
        .collect();
    if !unconfirmed.is_empty() {
        return Err(MigrateError::refused(
            format!(
                "{} would run destructive statements that were not confirmed",
                unconfirmed.join(", ")
            ),
            "review the statements marked `-- baas:destructive`, then run again (or pass --yes)",
        )
        .into());
    }
    let done = crate::migrate::steps::run(runner, &steps, &mut |_| {}).await?;
    Ok(done
        .iter()
        .map(|d| folder::folder_name(d.number, &d.name))
        .collect())
}

fn report(migrations: &[Migration], applied: &[AppliedMigration], done: Vec<String>) -> Report {
    // A synced tenant's rows are listed as `synced`, beside the folder's
    // migrations (all pending), never compared with them.
    let rows = if super::baseline::synced_only(applied) {
        let mut rows = history::status(&[], applied);
        rows.extend(history::status(migrations, &[]));
        rows
    } else {
        history::status(migrations, applied)
    };
    let synced = |row: &&history::StatusRow| {
        row.state == State::MissingFile && row.name == crate::migrate::sync::STEP_NAME
    };
    let of = |state: State| -> Vec<String> {
        rows.iter()
            .filter(|r| r.state == state)
            .map(history::StatusRow::id)
            .collect()
    };
    Report {
        done,
        applied: applied.len(),
        pending: of(State::Pending),
        modified: of(State::Modified),
        missing_file: rows
            .iter()
            .filter(|r| r.state == State::MissingFile && !synced(r))
            .map(history::StatusRow::id)
            .collect(),
        synced: rows
            .iter()
            .filter(synced)
            .map(history::StatusRow::id)
            .collect(),
        baselined: Vec::new(),
        realtime_made: Vec::new(),
        realtime_dropped: Vec::new(),
        version: applied.iter().map(|a| i64::from(a.number)).max(),
    }
}

/// One tenant's drift: the changes that would bring its live schema to
/// `manifest`.
#[derive(Debug)]
pub struct Drift {
    pub record: TenantRecord,
    pub result: Result<Vec<Change>, TenancyError>,
}

/// Reads every tenant of `records` (`concurrency` at a time) and compares
/// it with the manifest, calling `finished` as each one ends; in the order
/// of `records`.
pub async fn drift(
    tenants: &Tenants,
    records: Vec<TenantRecord>,
    concurrency: usize,
    finished: &dyn Fn(&Drift),
) -> Vec<Drift> {
    let mut drifts: Vec<(usize, Drift)> = stream::iter(records.into_iter().enumerate())
        .map(|(index, record)| async move {
            let result = live(tenants, &record).await.map(|live| {
                // The tenant is "before": the changes are what it takes to
                // get to the manifest.
                let place = Place::parse(&record.location);
                crate::diff::diff(&live, &super::realtime::expected(tenants, &place))
            });
            let drift = Drift { record, result };
            finished(&drift);
            (index, drift)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    drifts.sort_by_key(|(index, _)| *index);
    drifts.into_iter().map(|(_, drift)| drift).collect()
}

/// A tenant's live schema, read as if it were the only one (a schema
/// tenant's schema is the default schema of its connections).
async fn live(tenants: &Tenants, record: &TenantRecord) -> Result<Manifest, TenancyError> {
    let place = Place::parse(&record.location);
    let location = place.connection(tenants)?;
    let options = IntrospectOptions {
        schemas: match &place {
            Place::Schema { schema, .. } => vec![schema.clone()],
            Place::File { .. } | Place::Database { .. } | Place::Row { .. } => Vec::new(),
        },
        ..IntrospectOptions::default()
    };
    let introspection =
        crate::backend::introspect(&location, &options, &crate::ui::Progress::hidden())
            .await
            .map_err(|error| {
                TenancyError::Database(format!(
                    "tenant `{}`: reading `{}` failed: {error:#}",
                    record.slug,
                    place.shown()
                ))
            })?;
    let mut live = introspection.manifest;
    // The manifest of a tenanted deployment pins no entity to a schema.
    for entity in live.entities.values_mut() {
        entity.schema = None;
    }
    engine_words(&mut live, &tenants.manifest);
    Ok(live)
}

/// A manifest written for no engine, or another one, says "numbered by the
/// database" in its own words (`identity`), which the tenant's engine
/// spells its way (SQLite's `autoincrement`): as `diff` does across
/// engines, the tenant's auto-numbering kind takes the manifest's word.
fn engine_words(live: &mut Manifest, manifest: &Manifest) {
    let engine = |m: &Manifest| m.source.as_ref().map(|s| s.engine);
    if engine(live) == engine(manifest) {
        return;
    }
    for (name, entity) in &mut live.entities {
        let Some(wanted) = manifest.entities.get(name) else {
            continue;
        };
        for (field_name, field) in &mut entity.fields {
            if let (Some(Generated::Kind(_)), Some(Some(Generated::Kind(kind)))) = (
                &field.generated,
                wanted.fields.get(field_name).map(|f| &f.generated),
            ) {
                field.generated = Some(Generated::Kind(*kind));
            }
        }
    }
}
