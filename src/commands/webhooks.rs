//! `baas webhooks list|retry|purge`: the webhook outbox of the served
//! database (`_baas_outbox`), as the delivery worker of `baas serve` leaves
//! it.

use std::path::Path;

use serde_json::json;

use crate::ExitStatus;
use crate::context::Context;
use crate::error::UsageError;
use crate::source::SourceLocation;
use crate::webhooks::outbox::now_ms;
use crate::webhooks::queue::{Delivery, Queue};

#[derive(Debug, clap::Subcommand)]
pub enum WebhooksCommand {
    /// List deliveries, newest first, with how many are in each state
    List(ListArgs),
    /// Deliver again now, attempts reset: the given deliveries, or every dead one
    Retry(RetryArgs),
    /// Delete delivered deliveries (and dead ones with --dead)
    Purge(PurgeArgs),
}

#[derive(Debug, clap::Args)]
pub struct DatabaseArgs {
    /// The database whose outbox to read [default: `.baas/outbox.sqlite3`
    /// for an upstream API's manifest, else `[source] url` of the manifest,
    /// else the embedded `.baas/dev.sqlite3`]
    #[arg(long, env = "BAAS_DATABASE_URL", value_name = "URL")]
    db: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Only deliveries in this state
    #[arg(long, value_parser = ["pending", "delivered", "dead"])]
    state: Option<String>,
    /// At most this many deliveries
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

#[derive(Debug, clap::Args)]
pub struct RetryArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Delivery ids (the `X-Baas-Event-Id` a receiver saw)
    #[arg(required_unless_present = "all_dead", conflicts_with = "all_dead")]
    ids: Vec<String>,
    /// Every dead delivery
    #[arg(long)]
    all_dead: bool,
}

#[derive(Debug, clap::Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Delete the dead deliveries too
    #[arg(long)]
    dead: bool,
}

pub async fn run(command: WebhooksCommand, cx: &Context) -> anyhow::Result<ExitStatus> {
    match command {
        WebhooksCommand::List(args) => list(args, cx).await,
        WebhooksCommand::Retry(args) => retry(args, cx).await,
        WebhooksCommand::Purge(args) => purge(args, cx).await,
    }
}

/// The outbox of `--db`; else, for a manifest of an upstream API, the
/// outbox file `baas serve` keeps beside it; else of `[source] url`, else
/// of the dev database.
async fn queue(args: &DatabaseArgs, cx: &Context) -> anyhow::Result<Queue> {
    if args.db.is_none()
        && let Some(path) = upstream_outbox(cx)?
    {
        return Queue::open(&SourceLocation::Sqlite { path }).await;
    }
    let location = match super::shared::database(args.db.as_deref(), cx) {
        Ok(location) => location,
        Err(error) => {
            let dir = cx.manifest_path.parent().unwrap_or(Path::new("."));
            let dev = dir.join(".baas").join("dev.sqlite3");
            if args.db.is_some() || !dev.is_file() {
                return Err(error);
            }
            SourceLocation::Sqlite { path: dev }
        }
    };
    Queue::open(&location).await
}

/// The outbox file of a manifest served from an upstream API
/// (`[source] engine = "http"`, or an OpenAPI or GraphQL import served with
/// `--upstream`): `.baas/outbox.sqlite3` beside the manifest, where the
/// upstream store records its deliveries. `None` for another manifest, or
/// an OpenAPI or GraphQL one without that file (served from the embedded
/// database); an error for an `http` one that has none yet.
fn upstream_outbox(cx: &Context) -> anyhow::Result<Option<std::path::PathBuf>> {
    use crate::manifest::SourceEngine;
    let Ok(text) = std::fs::read_to_string(&cx.manifest_path) else {
        return Ok(None);
    };
    let Some(engine) = crate::manifest::load::load_header(&cx.manifest_path, &text)
        .and_then(|header| header.source)
        .map(|source| source.engine)
    else {
        return Ok(None);
    };
    if !matches!(
        engine,
        SourceEngine::Http | SourceEngine::Graphql | SourceEngine::Openapi
    ) {
        return Ok(None);
    }
    let dir = cx.manifest_path.parent().unwrap_or(Path::new("."));
    let path = crate::serve::store::http::outbox_path(dir);
    if path.is_file() {
        return Ok(Some(path));
    }
    if engine == SourceEngine::Http {
        return Err(UsageError::new(format!(
            "there is no webhook outbox at `{}` yet",
            cx.display_path(&path)
        ))
        .with_hint(
            "`baas serve` makes it beside baas.toml when the manifest has `[[webhooks]]`; or pass --db URL",
        )
        .into());
    }
    Ok(None)
}

async fn list(args: ListArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let queue = queue(&args.database, cx).await?;
    let counts = queue.counts().await?;
    let deliveries = queue.list(args.state.as_deref(), args.limit).await?;
    if cx.printer.json_mode() {
        let out = json!({ "counts": counts, "deliveries": deliveries });
        cx.printer.data(&format!("{out}\n"))?;
        return Ok(ExitStatus::Success);
    }
    let summary: Vec<String> = ["pending", "delivered", "dead"]
        .iter()
        .map(|state| {
            format!(
                "{} {state}",
                counts.get(*state).copied().unwrap_or_default()
            )
        })
        .collect();
    cx.printer.status(&summary.join(", "));
    if deliveries.is_empty() {
        return Ok(ExitStatus::Success);
    }
    let mut table = crate::ui::table::new(&[
        "id",
        "webhook",
        "event",
        "state",
        "attempts",
        "when",
        "last error",
    ]);
    let now = now_ms();
    for delivery in &deliveries {
        table.add_row(vec![
            delivery.id.clone(),
            delivery.webhook.clone(),
            delivery.event.clone(),
            delivery.state.clone(),
            delivery.attempts.to_string(),
            when(delivery, now),
            delivery.last_error.clone().unwrap_or_default(),
        ]);
    }
    crate::ui::table::right_align(&mut table, &[4]);
    cx.printer.data(&format!("{table}\n"))?;
    Ok(ExitStatus::Success)
}

/// When a delivery was delivered, or is next due.
fn when(delivery: &Delivery, now: i64) -> String {
    match (delivery.state.as_str(), delivery.delivered_at) {
        ("delivered", Some(at)) => format!("delivered {} ago", seconds(now - at)),
        ("pending", _) if delivery.next_attempt_at > now => {
            format!("next in {}", seconds(delivery.next_attempt_at - now))
        }
        ("pending", _) => "due".to_owned(),
        _ => String::new(),
    }
}

fn seconds(ms: i64) -> String {
    let seconds = ms.max(0) / 1_000;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3_600 => format!("{}m", seconds / 60),
        3_600..86_400 => format!("{}h", seconds / 3_600),
        _ => format!("{}d", seconds / 86_400),
    }
}

async fn retry(args: RetryArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let queue = queue(&args.database, cx).await?;
    let ids = (!args.all_dead).then_some(args.ids.as_slice());
    let retried = queue.retry(ids).await?;
    if let Some(ids) = ids
        && retried < ids.len() as u64
    {
        return Err(UsageError::new(format!(
            "{} of the {} ids name no delivery",
            ids.len() as u64 - retried,
            ids.len()
        ))
        .with_hint("`baas webhooks list` shows the ids")
        .into());
    }
    if cx.printer.json_mode() {
        cx.printer
            .data(&format!("{}\n", json!({ "retried": retried })))?;
    } else {
        cx.printer
            .success("Retrying", &plural(retried, "delivery", "deliveries"));
    }
    Ok(ExitStatus::Success)
}

async fn purge(args: PurgeArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let queue = queue(&args.database, cx).await?;
    let purged = queue.purge(args.dead).await?;
    if cx.printer.json_mode() {
        cx.printer
            .data(&format!("{}\n", json!({ "purged": purged })))?;
    } else {
        cx.printer
            .success("Purged", &plural(purged, "delivery", "deliveries"));
    }
    Ok(ExitStatus::Success)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
