//! `baas tenants`: make, list, show, deactivate and drop the tenants of a
//! manifest with `[tenancy]` (the work is in [`crate::tenancy`]).

use serde_json::json;

use crate::ExitStatus;
use crate::commands::shared::MigrationsDir;
use crate::context::Context;
use crate::tenancy::{Place, PoolOptions, Slug, TenancyError, Tenants, provision, record_json};
use crate::ui::table;

#[derive(Debug, clap::Subcommand)]
pub enum TenantsCommand {
    /// Make a tenant: its file, schema or database, with every migration applied (all or nothing)
    Create(CreateArgs),
    /// List the tenants of the registry
    List(MigrationsDir),
    /// Show one tenant
    Show(SlugArgs),
    /// Stop serving a tenant (its rows are kept)
    Deactivate(SlugArgs),
    /// Serve a deactivated tenant again
    Activate(SlugArgs),
    /// Drop a tenant with all its rows (asks first, or --yes)
    Drop(DropArgs),
}

/// Make a tenant.
///
/// Registers the slug, makes its place (a SQLite file under
/// `.baas/tenants/`, or a PostgreSQL schema named after it), applies every
/// migration of the migrations folder (a SQLite tenant without migrations
/// gets the manifest's tables), then marks it ready. On any failure the
/// place is removed and the registry row with it: nothing is left behind.
/// Several slugs make several tenants, one after the other, stopping at the
/// first that fails (those made before it stay).
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct CreateArgs {
    /// The tenant's slug: a lower-case letter, then lower-case letters, digits or `_`
    #[arg(required = true, value_name = "SLUG")]
    pub slugs: Vec<String>,
    /// A display name (with one slug)
    #[arg(long)]
    pub name: Option<String>,
    /// Connections the tenant's pool holds at most, 1 to 100 [default: 8] (database tenants)
    #[arg(long, value_name = "N")]
    pub pool_size: Option<u64>,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

#[derive(Debug, clap::Args)]
pub struct SlugArgs {
    /// The tenant's slug
    pub slug: String,
    #[command(flatten)]
    pub migrations: MigrationsDir,
}

/// Drop a tenant with all its rows.
///
/// A file, schema or database tenant loses its place. A `row` tenant's
/// rows are deleted from every entity (in one transaction on SQLite,
/// PostgreSQL and MySQL; MongoDB deletes collection by collection, and
/// running the drop again finishes one that stopped halfway), unless
/// `--keep-rows`. Asks first; without a terminal, pass --yes.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct DropArgs {
    #[command(flatten)]
    pub tenant: SlugArgs,
    /// A `row` tenant: remove it from the registry but keep its rows in the shared tables
    #[arg(long)]
    pub keep_rows: bool,
}

pub async fn run(command: TenantsCommand, cx: &Context) -> anyhow::Result<ExitStatus> {
    match command {
        TenantsCommand::Create(args) => create(args, cx).await,
        TenantsCommand::List(migrations) => list(&open(cx, &migrations)?, cx),
        TenantsCommand::Show(args) => show(args, cx),
        TenantsCommand::Deactivate(args) => set_active(args, cx, false),
        TenantsCommand::Activate(args) => set_active(args, cx, true),
        TenantsCommand::Drop(args) => drop(args, cx).await,
    }
}

/// The tenants of the manifest; refused without `[tenancy]`.
fn open(cx: &Context, migrations: &MigrationsDir) -> anyhow::Result<Tenants> {
    crate::commands::shared::open_tenants(cx, migrations.resolve(cx))
}

fn slug(text: &str) -> anyhow::Result<Slug> {
    Slug::parse(text).map_err(TenancyError::into_error)
}

async fn create(args: CreateArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let tenants = open(cx, &args.migrations)?;
    if args.slugs.len() > 1 && args.name.is_some() {
        return Err(crate::error::UsageError::new("--name names one tenant, not several")
            .with_hint("create the tenant with a name on its own: `baas tenants create SLUG --name NAME`")
            .into());
    }
    let slugs = args
        .slugs
        .iter()
        .map(|text| slug(text))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pool = PoolOptions::with_pool_size(args.pool_size).map_err(TenancyError::into_error)?;
    let mut created = Vec::new();
    for slug in &slugs {
        let started = std::time::Instant::now();
        let record = provision::create(&tenants, slug, args.name.as_deref(), pool)
            .await
            .map_err(TenancyError::into_error)?;
        let elapsed = started.elapsed();
        if cx.printer.json_mode() {
            let mut value = record_json(&record);
            value["provision_ms"] = json!(elapsed.as_secs_f64() * 1000.0);
            created.push(value);
        } else {
            cx.printer.success(
                "Created",
                &format!(
                    "tenant `{slug}` at `{}` in {:.0} ms",
                    Place::parse(&record.location).shown(),
                    elapsed.as_secs_f64() * 1000.0
                ),
            );
        }
    }
    if cx.printer.json_mode() {
        match <[serde_json::Value; 1]>::try_from(created) {
            Ok([one]) => cx.printer.json(&one)?,
            Err(several) => cx.printer.json(&json!({ "tenants": several }))?,
        }
    }
    Ok(ExitStatus::Success)
}

fn list(tenants: &Tenants, cx: &Context) -> anyhow::Result<ExitStatus> {
    let records = tenants.registry.list().map_err(TenancyError::into_error)?;
    if cx.printer.json_mode() {
        let rows: Vec<_> = records.iter().map(record_json).collect();
        cx.printer.json(&json!({ "tenants": rows }))?;
        return Ok(ExitStatus::Success);
    }
    if records.is_empty() {
        cx.printer
            .status("No tenants yet: make one with `baas tenants create SLUG`");
        return Ok(ExitStatus::Success);
    }
    let mut out = table::new(&["slug", "name", "state", "version", "location"]);
    for record in &records {
        out.add_row(vec![
            record.slug.clone(),
            record.name.clone().unwrap_or_default(),
            record.state().to_owned(),
            record
                .schema_version
                .map(|v| v.to_string())
                .unwrap_or_default(),
            Place::parse(&record.location).shown(),
        ]);
    }
    cx.printer.data(&format!("{out}\n"))?;
    Ok(ExitStatus::Success)
}

fn show(args: SlugArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let tenants = open(cx, &args.migrations)?;
    let record = tenants
        .record(&slug(&args.slug)?)
        .map_err(TenancyError::into_error)?;
    if cx.printer.json_mode() {
        cx.printer.json(&record_json(&record))?;
    } else {
        let value = record_json(&record);
        let mut text = String::new();
        if let Some(object) = value.as_object() {
            for (key, value) in object {
                let shown = match value {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                text.push_str(&format!("{key:<15} {shown}\n"));
            }
        }
        cx.printer.data(&text)?;
    }
    Ok(ExitStatus::Success)
}

fn set_active(args: SlugArgs, cx: &Context, active: bool) -> anyhow::Result<ExitStatus> {
    let tenants = open(cx, &args.migrations)?;
    let slug = slug(&args.slug)?;
    let record =
        provision::set_active(&tenants, &slug, active).map_err(TenancyError::into_error)?;
    if cx.printer.json_mode() {
        cx.printer.json(&record_json(&record))?;
    } else {
        let verb = if active { "Activated" } else { "Deactivated" };
        cx.printer.success(verb, &format!("tenant `{slug}`"));
    }
    Ok(ExitStatus::Success)
}

async fn drop(args: DropArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let tenants = open(cx, &args.tenant.migrations)?;
    let slug = slug(&args.tenant.slug)?;
    let record = tenants.record(&slug).map_err(TenancyError::into_error)?;
    let place = Place::parse(&record.location);
    let question = match &place {
        Place::Row { .. } if args.keep_rows => format!(
            "Remove tenant `{slug}` from the registry, keeping its rows in the shared tables?"
        ),
        Place::Row { column } => format!(
            "Drop tenant `{slug}` and delete its rows (`{column}` = '{slug}') from every entity?"
        ),
        _ if args.keep_rows => {
            return Err(crate::error::UsageError::new(format!(
                "--keep-rows keeps a `row` tenant's rows; tenant `{slug}` is at `{}`, which goes with it",
                place.shown()
            ))
            .with_hint("leave --keep-rows out, or deactivate the tenant instead: `baas tenants deactivate`")
            .into());
        }
        _ => format!("Drop tenant `{slug}` and every row at `{}`?", place.shown()),
    };
    if !cx.confirm(&question, "pass --yes to drop a tenant without a terminal")? {
        cx.printer.status("Nothing was dropped");
        return Ok(ExitStatus::Success);
    }
    let (dropped, deleted) = provision::drop(&tenants, &slug, args.keep_rows)
        .await
        .map_err(TenancyError::into_error)?;
    if cx.printer.json_mode() {
        let mut answer = json!({ "dropped": record_json(&dropped) });
        if let Some(deleted) = &deleted {
            answer["deleted"] = crate::tenancy::rows::deleted_json(deleted);
        }
        cx.printer.json(&answer)?;
    } else if let Some(deleted) = deleted {
        let rows: u64 = deleted.iter().map(|(_, rows)| rows).sum();
        cx.printer
            .success("Dropped", &format!("tenant `{slug}` and its {rows} row(s)"));
    } else {
        cx.printer.success("Dropped", &format!("tenant `{slug}`"));
    }
    Ok(ExitStatus::Success)
}
