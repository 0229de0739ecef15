//! `baas introspect`: read a database (or schema file) into baas.toml.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;

use crate::ExitStatus;
use crate::backend::{self, Backend};
use crate::context::Context;
use crate::diagnostics::UsageError;
use crate::ledger::Ledger;
use crate::manifest::{self, Manifest};
use crate::settings::Environment;
use crate::source::SourceLocation;
use crate::source::{IntrospectOptions, Introspection};
use crate::ui::{Progress, table};

/// Read a database or schema file into baas.toml.
///
/// SOURCE is a connection string or a path:
///   sqlite://app.db, app.db, app.sqlite     an SQLite database file
///   postgres://user@host:5432/db             PostgreSQL
///   mysql://user@host:3306/db                MySQL / MariaDB
///   mongodb://host:27017/db                  MongoDB
///
/// Without SOURCE, the `[source] url` of the existing manifest is read again.
/// Anything the manifest cannot represent is listed in the fidelity ledger
/// printed at the end. A password in a connection string is never written to
/// baas.toml: it goes to `.env` beside it (created readable by its owner
/// only) as DATABASE_PASSWORD, and baas.toml refers to `${DATABASE_PASSWORD}`.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct IntrospectArgs {
    /// Connection string or file to read [default: `[source] url` of the manifest]
    pub source: Option<String>,
    /// A database to read (the same as SOURCE; `--db` as in the other commands)
    #[arg(long, value_name = "URL", conflicts_with = "source")]
    pub db: Option<String>,
    /// Where to write the manifest [default: the --manifest path, ./baas.toml]
    #[arg(long, short, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Print the manifest to stdout instead of writing it
    #[arg(long)]
    pub dry_run: bool,
    /// Replace an existing manifest without asking
    #[arg(long, short)]
    pub force: bool,
    /// Exit with code 1 when anything could not be represented (the ledger is not empty)
    #[arg(long)]
    pub fail_on_lossy: bool,
    /// Database schema to read (repeatable; PostgreSQL) [default: public]
    #[arg(long = "schema", value_name = "NAME")]
    pub schemas: Vec<String>,
    /// Documents to sample per collection to infer its fields (MongoDB)
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub sample: usize,
    /// Format of a schema file [default: detected from its name and content]
    #[arg(long, value_enum)]
    pub format: Option<crate::source::SourceFormat>,
    /// SQL dialect of a dump [default: detected]
    #[arg(long, value_enum)]
    pub dialect: Option<crate::commands::shared::SqlDialect>,
    /// Fail on statements a schema file importer would otherwise skip (with a ledger entry)
    #[arg(long)]
    pub strict: bool,
    /// API key of a hosted source (Supabase service or anon key)
    #[arg(long, env = "BAAS_API_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

pub async fn run(mut args: IntrospectArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    if args.source.is_none() {
        args.source = args.db.take();
    }
    let out_path = args
        .out
        .as_ref()
        .map_or_else(|| cx.manifest_path.clone(), |p| cx.cwd.join(p));
    // The manifest already there is needed first only when it names the
    // source; otherwise it is read on the other core while the catalog is.
    let (existing, pending) = if args.source.is_none() {
        (Some(read_existing(&out_path)?), None)
    } else {
        let path = out_path.clone();
        (
            None,
            Some(tokio::task::spawn_blocking(move || read_existing(&path))),
        )
    };
    let (input, location) = resolve_source(&args, cx, existing.as_ref().and_then(Option::as_ref))?;

    let options = IntrospectOptions {
        schemas: args.schemas.clone(),
        sample: Some(args.sample),
        format: args.format,
        dialect: args.dialect.map(|d| d.name().to_owned()),
        strict: args.strict,
        key: args.key.clone(),
    };
    let progress = Progress::new(cx.printer.progress_allowed(), "reading catalog");
    let started = Instant::now();
    let result = backend::introspect(&location, &options, &progress).await;
    progress.finish();
    let Introspection {
        mut manifest,
        ledger,
    } = result?;
    let elapsed = started.elapsed();
    let existing = match (existing, pending) {
        (Some(existing), _) => existing,
        (None, Some(pending)) => pending.await??,
        (None, None) => None,
    };

    let out_dir = out_path.parent().unwrap_or(&cx.cwd).to_owned();
    // The manifest's own `[source] url` stays as written when it names this
    // database (`${DATABASE_PASSWORD}` and all).
    let kept_url = existing
        .as_ref()
        .and_then(|(previous, _)| same_source_url(previous, &location, &out_dir));
    if let Some(source) = &mut manifest.source {
        // A live database is where the manifest connects from now on; a
        // schema file only describes one, and its importer knows the
        // database's URL when the file names it (`env("DATABASE_URL")`).
        if Backend::of(&location).is_some() {
            source.url = Some(
                kept_url
                    .clone()
                    .unwrap_or_else(|| manifest_url(&location, &input, &out_dir)),
            );
        }
        if !args.schemas.is_empty() {
            source.schemas = args.schemas.clone();
        }
    }
    if let Some((previous, _)) = &existing {
        // The model comes from the database; the project's own settings stay.
        manifest.version = previous.version;
        if previous.project.name.is_some() {
            manifest.project = previous.project.clone();
        }
    }
    let problems = manifest::validate(&manifest);
    if !problems.is_empty()
        && problems
            .iter()
            .all(|p| p.kind == manifest::ProblemKind::InvalidName)
    {
        // The source itself has names baas refuses (invisible or
        // text-direction characters): bad input, not a bug.
        let list: Vec<String> = problems
            .iter()
            .map(|p| {
                format!(
                    "{}: {}",
                    manifest::validate::escape_hidden(&p.path),
                    p.message
                )
            })
            .collect();
        return Err(UsageError::new(format!(
            "`{location}` has names with invisible or text-direction characters:\n  {}",
            list.join("\n  ")
        ))
        .with_hint("rename them in the source: baas does not write such names to SQL or code")
        .into());
    }
    if !problems.is_empty() {
        let list: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect();
        anyhow::bail!(
            "the manifest read from `{location}` is inconsistent, which is a bug in baas:\n  {}",
            list.join("\n  ")
        );
    }
    let text = manifest::to_toml(&manifest);

    let outcome = if args.dry_run {
        Outcome::DryRun
    } else {
        // The manifest `init --url` wrote (no entities, this source) is
        // filled in without asking.
        let replaceable = kept_url.is_some()
            && existing
                .as_ref()
                .is_some_and(|(_, text)| has_no_schema(&out_path, text));
        write_manifest(
            &out_path,
            &text,
            existing.as_ref().map(|(_, t)| t.as_str()),
            &args,
            replaceable,
            cx,
        )?
    };
    // The password goes where `${DATABASE_PASSWORD}` is read from.
    let password = match (&kept_url, Backend::of(&location), args.dry_run) {
        (None, Some(_), false) => location.password(),
        _ => None,
    };
    let env_write = match &password {
        Some(password) => Some(crate::settings::set_dotenv(
            &out_dir,
            crate::settings::PASSWORD_VARIABLE,
            password,
        )?),
        None => None,
    };

    let lossy = !ledger.is_empty();
    if cx.printer.json_mode() {
        let entities: Vec<_> = manifest
            .entities
            .iter()
            .map(|(name, e)| {
                json!({
                    "name": name,
                    "kind": e.kind,
                    "fields": e.fields.len(),
                    "relations": e.relations.len(),
                    "indexes": e.indexes.len(),
                })
            })
            .collect();
        cx.printer.json(&json!({
            "ok": true,
            "source": crate::source::redact(&input),
            "manifest": (!args.dry_run).then(|| out_path.display().to_string()),
            "outcome": outcome.as_str(),
            "counts": manifest::validate::counts(&manifest),
            "entities": entities,
            "ledger": ledger,
            "lossy": lossy,
            "elapsed_ms": elapsed.as_millis() as u64,
            "toml": args.dry_run.then_some(&text),
        }))?;
    } else {
        if args.dry_run {
            cx.printer.data(&text)?;
        }
        print_summary(cx, &manifest, &ledger);
        let what = format!(
            "{} entities, {} relations from `{}` in {}",
            manifest.entities.len(),
            manifest.relation_count(),
            crate::source::redact(&input),
            human_duration(elapsed)
        );
        match outcome {
            Outcome::DryRun => cx
                .printer
                .success("Read", &format!("{what} (dry run, nothing written)")),
            Outcome::Written => cx
                .printer
                .success("Wrote", &format!("{}: {what}", cx.display_path(&out_path))),
            Outcome::Unchanged => cx.printer.success(
                "Unchanged",
                &format!("{} already matches: {what}", cx.display_path(&out_path)),
            ),
        }
        if let (Some(write), Some(password)) = (env_write, &password) {
            crate::commands::shared::report_dotenv(cx, write, &out_dir, password);
        }
    }
    Ok(if args.fail_on_lossy && lossy {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    DryRun,
    Written,
    Unchanged,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::DryRun => "dry-run",
            Self::Written => "written",
            Self::Unchanged => "unchanged",
        }
    }
}

/// The manifest already at `path`, if any, parsed when possible.
fn read_existing(path: &Path) -> anyhow::Result<Option<(Manifest, String)>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            // Only its header is needed: version, project and source.
            let manifest = manifest::load::load_header(path, &text).unwrap_or_default();
            Ok(Some((manifest, text)))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => {
            Err(anyhow::Error::new(error).context(format!("failed to read `{}`", path.display())))
        }
    }
}

/// `previous`'s `[source] url` as written, when it resolves to `location`.
fn same_source_url(previous: &Manifest, location: &SourceLocation, dir: &Path) -> Option<String> {
    let url = previous.source.as_ref()?.url.clone()?;
    let resolved = Environment::load(dir).ok()?.interpolate(&url).ok()?;
    let named = SourceLocation::parse(&resolved, dir).ok()?;
    (named == *location).then_some(url)
}

/// Whether the manifest `text` declares no entities and no enums (only its
/// header, as `baas init` writes it).
fn has_no_schema(path: &Path, text: &str) -> bool {
    manifest::load_str(path, text.to_owned())
        .is_ok_and(|loaded| loaded.manifest.entities.is_empty() && loaded.manifest.enums.is_empty())
}

/// The source to read: the argument, or the existing manifest's `[source] url`.
fn resolve_source(
    args: &IntrospectArgs,
    cx: &Context,
    existing: Option<&(Manifest, String)>,
) -> anyhow::Result<(String, SourceLocation)> {
    let input = match &args.source {
        Some(source) => source.clone(),
        None => {
            let url = existing
                .and_then(|(m, _)| m.source.as_ref())
                .and_then(|s| s.url.clone())
                .ok_or_else(|| {
                    UsageError::new("no source to introspect").with_hint(
                        "pass a connection string or file, e.g. `baas introspect sqlite://app.db`",
                    )
                })?;
            let directory = cx.manifest_path.parent().unwrap_or(&cx.cwd);
            Environment::load(directory)?
                .interpolate(&url)
                .map_err(|e| {
                    UsageError::new(format!("cannot resolve `[source] url`: {e}")).with_hint(
                        "set the variable in the environment or in .env beside baas.toml",
                    )
                })?
        }
    };
    let base = if args.source.is_some() {
        cx.cwd.clone()
    } else {
        cx.manifest_path.parent().unwrap_or(&cx.cwd).to_owned()
    };
    let location = SourceLocation::parse(&input, &base)?;
    Ok((input, location))
}

/// The `[source] url` to record: SQLite paths relative to the manifest,
/// passwords replaced by a variable reference.
fn manifest_url(location: &SourceLocation, input: &str, out_dir: &Path) -> String {
    match location {
        SourceLocation::Sqlite { path } => {
            format!("sqlite://{}", relative_to(path, out_dir).display())
        }
        _ => location.manifest_url(input),
    }
}

/// `path` as seen from directory `base` (`../data/app.db`); both absolute.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    use std::path::Component;
    fn normal(p: &Path) -> Vec<Component<'_>> {
        p.components().filter(|c| *c != Component::CurDir).collect()
    }
    let (path_parts, base_parts) = (normal(path), normal(base));
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return path.to_owned();
    }
    let mut relative = PathBuf::new();
    for _ in common..base_parts.len() {
        relative.push("..");
    }
    for part in &path_parts[common..] {
        relative.push(part);
    }
    relative
}

fn write_manifest(
    path: &Path,
    text: &str,
    existing: Option<&str>,
    args: &IntrospectArgs,
    replaceable: bool,
    cx: &Context,
) -> anyhow::Result<Outcome> {
    if let Some(existing) = existing {
        if existing == text {
            return Ok(Outcome::Unchanged);
        }
        if !args.force && !replaceable {
            let question = format!(
                "`{}` exists and differs; replace it?",
                cx.display_path(path)
            );
            if !cx.confirm(
                &question,
                "pass --force to replace it, or --out to write elsewhere",
            )? {
                anyhow::bail!(UsageError::new(format!(
                    "kept `{}` as it was",
                    cx.display_path(path)
                )));
            }
        }
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // Write beside, then rename: a crash never leaves half a manifest.
    let temporary = path.with_extension("toml.tmp");
    std::fs::write(&temporary, text).map_err(|e| {
        anyhow::Error::new(e).context(format!("failed to write `{}`", temporary.display()))
    })?;
    std::fs::rename(&temporary, path).map_err(|e| {
        anyhow::Error::new(e).context(format!("failed to write `{}`", path.display()))
    })?;
    Ok(Outcome::Written)
}

const SUMMARY_ROWS: usize = 40;

fn print_summary(cx: &Context, manifest: &Manifest, ledger: &Ledger) {
    let mut summary = table::new(&["entity", "kind", "fields", "relations", "indexes"]);
    for (name, entity) in manifest.entities.iter().take(SUMMARY_ROWS) {
        summary.add_row(vec![
            name.clone(),
            entity.kind.to_string(),
            entity.fields.len().to_string(),
            entity.relations.len().to_string(),
            entity.indexes.len().to_string(),
        ]);
    }
    if manifest.entities.len() > SUMMARY_ROWS {
        summary.add_row(vec![
            format!("… {} more", manifest.entities.len() - SUMMARY_ROWS),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    let counts = manifest::validate::counts(manifest);
    summary.add_row(vec![
        "total".to_owned(),
        format!("{} views", counts["views"]),
        counts["fields"].to_string(),
        counts["relations"].to_string(),
        counts["indexes"].to_string(),
    ]);
    table::right_align(&mut summary, &[2, 3, 4]);
    cx.printer.status(&summary.to_string());
    if ledger.is_empty() {
        cx.printer
            .status("Fidelity ledger: empty, nothing was lost.");
        return;
    }
    let mut lost = table::new(&["object", "kind", "not represented"]);
    for entry in ledger.entries() {
        lost.add_row(vec![
            entry.object.clone(),
            entry.kind.clone(),
            entry.message.clone(),
        ]);
    }
    cx.printer.status(&format!(
        "Fidelity ledger: {} item(s) not represented in baas.toml:\n{lost}",
        ledger.len()
    ));
}

fn human_duration(duration: std::time::Duration) -> String {
    if duration.as_secs() >= 1 {
        format!("{:.2} s", duration.as_secs_f64())
    } else {
        format!("{} ms", duration.as_millis())
    }
}
