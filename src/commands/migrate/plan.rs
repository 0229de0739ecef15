//! `baas migrate plan`: the next migration folder from the changes in baas.toml.

use serde_json::json;

use super::PlanArgs;
use crate::ExitStatus;
use crate::commands::shared::{changes_table, summary, summary_line};
use crate::context::Context;
use crate::diagnostics::UsageError;
use crate::diff::Safety;
use crate::manifest::{self, Manifest};
use crate::migrate::folder::{self, MigrationDir};
use crate::migrate::{MigrateError, Script, Target};

/// A manifest with no `[source]` whose tenants are SQLite files: its
/// migrations can only be SQLite's.
fn file_tenants_only(manifest: &crate::manifest::Manifest) -> bool {
    manifest.source.is_none()
        && manifest.tenancy.as_ref().is_some_and(|tenancy| {
            matches!(tenancy.strategy, crate::manifest::TenancyStrategy::File)
        })
}

pub fn run(args: PlanArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    if !folder::valid_name(&args.name) {
        return Err(
            UsageError::new(format!("`{}` cannot name a migration", args.name))
                .with_hint("use letters, digits, `_` and `-`, e.g. `--name add_author_bio`")
                .into(),
        );
    }
    let loaded = manifest::load_file(&cx.manifest_path)?;
    let after = loaded.manifest;
    let target = match args.dialect {
        Some(dialect) => dialect,
        None => after
            .source
            .as_ref()
            .and_then(|s| Target::of_engine(s.engine))
            .or_else(|| file_tenants_only(&after).then_some(Target::Sqlite))
            .ok_or_else(|| {
                let engine = after
                    .source
                    .as_ref()
                    .map_or("(none)", |s| s.engine.as_str());
                UsageError::new(format!(
                    "`[source] engine = \"{engine}\"` is not a database baas writes migrations for"
                ))
                .with_hint("pass --dialect postgres, mysql, sqlite or mongodb")
            })?,
    };
    let dir = args.migrations.resolve(cx);
    let existing = folder::list(&dir).map_err(MigrateError::from)?;
    let latest = folder::latest_snapshot(&dir)?;
    let before = match &latest {
        Some((_, snapshot)) => snapshot.clone(),
        None => empty_like(&after),
    };
    let since = latest.as_ref().map_or_else(
        || "an empty schema".to_owned(),
        |(m, _)| format!("`{}`", m.id()),
    );
    let changes = crate::diff::diff(&before, &after);
    if changes.is_empty() {
        if cx.printer.json_mode() {
            cx.printer.json(&json!({
                "ok": true,
                "migration": null,
                "target": target.name(),
                "changes": [],
                "summary": summary(&changes),
            }))?;
        } else {
            cx.printer.success(
                "No changes",
                &format!(
                    "since {since}: {} matches it; nothing written",
                    cx.display_path(&cx.manifest_path)
                ),
            );
        }
        return Ok(ExitStatus::Success);
    }
    let plan = crate::migrate::render(target, &before, &after, &changes).map_err(|error| {
        UsageError::new(format!("cannot plan this migration: {error}")).with_hint(
            "change baas.toml so the engine can carry it out, or write the migration folder by hand",
        )
    })?;

    let number = folder::next_number(&existing);
    let version = after.version.max(before.version) + 1;
    let mut snapshot = after.clone();
    snapshot.version = version;
    let id = folder::folder_name(number, &args.name);
    let header = format!(
        "baas migration {id} for {}: version {} → {version}",
        target.name(),
        before.version.max(after.version)
    );
    let files = vec![
        (
            folder::script_name("up", target),
            script_text(&plan.up, target, &format!("{header} (up)"), &plan.lossy),
        ),
        (
            folder::script_name("down", target),
            script_text(&plan.down, target, &format!("{header} (down)"), &[]),
        ),
        (folder::SNAPSHOT.to_owned(), manifest::to_toml(&snapshot)),
    ];
    let path = folder::write(&dir, number, &args.name, &files).map_err(MigrateError::from)?;
    let bumped = folder::set_version(&loaded.text, version)?;
    folder::replace_file(&cx.manifest_path, &bumped).map_err(MigrateError::from)?;

    let destructive = plan.up.statements.iter().filter(|s| s.destructive).count();
    if cx.printer.json_mode() {
        cx.printer.json(&json!({
            "ok": true,
            "migration": {
                "number": number,
                "name": args.name,
                "path": cx.display_path(&path),
                "files": files.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            },
            "version": version,
            "target": target.name(),
            "changes": changes,
            "summary": summary(&changes),
            "destructive_statements": destructive,
            "lossy": plan.lossy,
        }))?;
        return Ok(ExitStatus::Success);
    }
    // A table is data (stdout), as in `diff` and `check`; `-q` leaves it out.
    if !cx.printer.quiet() {
        cx.printer
            .data(&format!("{}\n", changes_table(&changes, cx)))?;
    }
    cx.printer
        .status(&format!("{} since {since}", summary_line(&changes)));
    for line in &plan.lossy {
        cx.printer
            .warn(&format!("{} cannot express exactly: {line}", target.name()));
    }
    let planned = MigrationDir {
        number,
        name: args.name.clone(),
        path: path.clone(),
    };
    cx.printer.success(
        "Wrote",
        &format!(
            "{}/ ({}); {} is now version {version}",
            cx.display_path(&planned.path),
            files
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            cx.display_path(&cx.manifest_path)
        ),
    );
    if destructive > 0 || changes.iter().any(|c| c.safety == Safety::Destructive) {
        cx.printer.warn(&format!(
            "{} destructive statement(s) in {}: `baas migrate apply` asks before running them \
             (or pass --yes); review them first",
            destructive,
            folder::script_name("up", target)
        ));
    }
    Ok(ExitStatus::Success)
}

/// An empty schema with the working manifest's project and source, for the
/// first migration.
fn empty_like(after: &Manifest) -> Manifest {
    Manifest {
        version: 0,
        project: after.project.clone(),
        source: after.source.clone(),
        ..Manifest::default()
    }
}

/// A script as its file holds it. SQL: a header comment, then each
/// statement with its `;`, a `-- note` above it and `-- baas:destructive
/// <reason>` above a destructive one. MongoDB: a JSON array of command
/// documents, the note and the marker as `"//"` and `"baas:destructive"`.
fn script_text(script: &Script, target: Target, header: &str, lossy: &[String]) -> String {
    if target == Target::Mongodb {
        let commands: Vec<serde_json::Value> = script
            .statements
            .iter()
            .map(|statement| {
                let command: serde_json::Value = serde_json::from_str(&statement.text)
                    .unwrap_or_else(|_| serde_json::Value::String(statement.text.clone()));
                let mut document = serde_json::Map::new();
                // A destructive statement's comment is its reason.
                if let Some(comment) = statement
                    .comment
                    .as_ref()
                    .filter(|_| !statement.destructive)
                {
                    document.insert("//".into(), comment.clone().into());
                }
                if statement.destructive {
                    document.insert(
                        crate::migrate::split::DESTRUCTIVE_MARKER.into(),
                        reason(statement).into(),
                    );
                }
                match command {
                    serde_json::Value::Object(fields) => document.extend(fields),
                    other => {
                        document.insert("command".into(), other);
                    }
                }
                serde_json::Value::Object(document)
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&commands).unwrap_or_else(|_| "[]".to_owned());
        text.push('\n');
        return text;
    }
    let mut text = format!("-- {header}\n");
    for line in lossy {
        text.push_str(&format!("-- lossy: {line}\n"));
    }
    text.push('\n');
    text.push_str(&script.to_sql());
    text
}

fn reason(statement: &crate::migrate::Statement) -> String {
    statement
        .comment
        .clone()
        .unwrap_or_else(|| "loses data".to_owned())
}
