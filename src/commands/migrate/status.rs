//! `baas migrate status`: the migrations folder against `_baas_migrations`.

use serde_json::json;

use super::StatusArgs;
use crate::ExitStatus;
use crate::commands::shared::{database, shown};
use crate::context::Context;
use crate::migrate::history::{self, State};
use crate::ui::table;

pub async fn run(args: StatusArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    if let Some(selection) = &args.tenants.tenants {
        let request = super::tenants::Request {
            tenants: &args.tenants,
            selection,
            dir: args.migrations.resolve(cx),
            work: crate::tenancy::fanout::Work::Status,
            lock_timeout: std::time::Duration::ZERO,
            fail_on_pending: args.fail_on_pending(),
        };
        return super::tenants::run(request, cx).await;
    }
    let location = database(args.db.as_deref(), cx)?;
    let shown = shown(&location, cx);
    let dir = args.migrations.resolve(cx);
    // A SQLite file `apply` would create: everything is pending.
    let crate::admin::History {
        migrations,
        applied,
        exists,
    } = crate::admin::history(&location, &dir).await?;
    let rows = history::status(&migrations, &applied);
    let count = |state: State| rows.iter().filter(|r| r.state == state).count();
    let troubled = count(State::Modified) + count(State::MissingFile);
    let failing = troubled
        + if args.fail_on_pending() {
            count(State::Pending)
        } else {
            0
        };
    let status = if failing > 0 {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    };
    if cx.printer.json_mode() {
        cx.printer.json(&json!({
            "ok": troubled == 0,
            "database": shown.clone(),
            "exists": exists,
            "migrations": rows,
            "summary": {
                "applied": count(State::Applied),
                "pending": count(State::Pending),
                "modified": count(State::Modified),
                "missing_file": count(State::MissingFile),
            },
        }))?;
        return Ok(status);
    }
    if rows.is_empty() {
        cx.printer.status(&format!(
            "No migrations in `{}` and none applied to `{shown}`; write one with `baas migrate plan --name NAME`",
            cx.display_path(&dir)
        ));
        return Ok(status);
    }
    let mut output = table::new(&["number", "name", "state", "applied at"]);
    for row in &rows {
        let state = match row.state {
            State::Modified | State::MissingFile if cx.printer.color() => {
                cx.printer.red(row.state.as_str())
            }
            _ => row.state.as_str().to_owned(),
        };
        output.add_row(vec![
            format!("{:04}", row.number),
            row.name.clone(),
            state,
            row.applied_at.clone().unwrap_or_default(),
        ]);
    }
    cx.printer.data(&format!("{output}\n"))?;
    cx.printer.status(&format!(
        "{} applied, {} pending, {} modified, {} missing-file on `{shown}`{}",
        count(State::Applied),
        count(State::Pending),
        count(State::Modified),
        count(State::MissingFile),
        if exists {
            ""
        } else {
            " (not created yet: `baas migrate apply` creates it)"
        }
    ));
    if count(State::Modified) > 0 {
        cx.printer.warn(
            "a modified migration was edited after it was applied: restore its files and put new \
             changes in a new migration; `baas migrate apply` refuses to run until then",
        );
    }
    Ok(status)
}
