//! `baas rules test [FILE]`: run a table of rule cases against the
//! compiled rules (embedded SQLite) and, with `--url`, against a PostgreSQL
//! database's row-level security policies; a case that does not get its
//! expected answer, or on which the two disagree, fails.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;
use sqlx::Connection as _;

use crate::ExitStatus;
use crate::context::Context;
use crate::error::UsageError;
use crate::manifest;
use crate::serve::cases::{self, Case};

#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Run a table of cases (claims, action, row or body, expected allow or
    /// deny) against the rules, and against PostgreSQL's policies with --url
    Test(TestArgs),
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The cases [default: rules.test.toml beside baas.toml]
    file: Option<PathBuf>,
    /// A PostgreSQL database whose policies (`[auth] rls = true`, applied
    /// by `migrate apply`) must agree with the rules
    #[arg(long)]
    url: Option<String>,
}

pub async fn run(command: RulesCommand, cx: &Context) -> anyhow::Result<ExitStatus> {
    match command {
        RulesCommand::Test(args) => test(args, cx).await,
    }
}

/// The answer of one case.
#[derive(Debug, serde::Serialize)]
struct Outcome {
    name: String,
    entity: String,
    action: crate::serve::operation::Action,
    expect: &'static str,
    rules: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    postgres: Option<&'static str>,
    passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn word(allowed: bool) -> &'static str {
    if allowed { "allow" } else { "deny" }
}

async fn test(args: TestArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let loaded = manifest::load_file(&cx.manifest_path)?;
    let directory = loaded.path.parent().unwrap_or(&cx.cwd).to_owned();
    let file = match args.file {
        Some(file) => cx.cwd.join(file),
        None => directory.join("rules.test.toml"),
    };
    let text = std::fs::read_to_string(&file).map_err(|error| {
        UsageError::new(format!("cannot read `{}`: {error}", cx.display_path(&file)))
            .with_hint("write the cases as [[case]] tables (see docs/rules.md)")
    })?;
    let cases = cases::parse_cases(&text)
        .map_err(|error| UsageError::new(format!("{}: {error}", cx.display_path(&file))))?;
    let manifest = Arc::new(loaded.manifest);
    let mut connection = match &args.url {
        Some(url) => {
            let url = crate::settings::Environment::load(&directory)?
                .interpolate(url)
                .map_err(|error| UsageError::new(format!("--url: {error}")))?;
            match sqlx::PgConnection::connect(&url).await {
                Ok(connection) => Some(connection),
                Err(error) => {
                    cx.printer.warn(&format!(
                        "cannot connect to the PostgreSQL database: {error}"
                    ));
                    return Ok(ExitStatus::CannotConnect);
                }
            }
        }
        None => None,
    };
    let mut outcomes = Vec::new();
    for (number, case) in cases.iter().enumerate() {
        outcomes.push(run_case(&manifest, case, number, connection.as_mut()).await);
    }
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    if cx.printer.json_mode() {
        cx.printer.json(&json!({
            "ok": failed == 0,
            "file": cx.display_path(&file),
            "cases": outcomes,
            "failed": failed,
        }))?;
    } else {
        for outcome in &outcomes {
            let mark = if outcome.passed { "ok  " } else { "FAIL" };
            let postgres = outcome
                .postgres
                .map(|p| format!(", postgres {p}"))
                .unwrap_or_default();
            let mut line = format!(
                "{mark} {} ({} {}): expected {}, rules {}{postgres}",
                outcome.name,
                outcome.action_label(),
                outcome.entity,
                outcome.expect,
                outcome.rules,
            );
            if let Some(error) = &outcome.error {
                line.push_str(&format!(" ({error})"));
            }
            line.push('\n');
            cx.printer.data(&line)?;
        }
        let summary = format!("{} cases, {failed} failed", outcomes.len());
        if failed == 0 {
            cx.printer.success("rules", &summary);
        } else {
            cx.printer.warn(&summary);
        }
    }
    Ok(if failed == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Found
    })
}

impl Outcome {
    fn action_label(&self) -> &'static str {
        use crate::serve::operation::Action;
        match self.action {
            Action::List => "list",
            Action::View => "view",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

async fn run_case(
    manifest: &Arc<manifest::Manifest>,
    case: &Case,
    number: usize,
    connection: Option<&mut sqlx::PgConnection>,
) -> Outcome {
    let mut outcome = Outcome {
        name: case.name.clone(),
        entity: case.entity.clone(),
        action: case.action,
        expect: word(case.expect),
        rules: "error",
        postgres: None,
        passed: false,
        error: None,
    };
    let dir = std::env::temp_dir().join(format!("baas-rules-test-{}-{number}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(error) = std::fs::create_dir_all(&dir) {
        outcome.error = Some(format!("cannot create `{}`: {error}", dir.display()));
        return outcome;
    }
    let rules = cases::on_sqlite(manifest, case, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    let rules = match rules {
        Ok(allowed) => allowed,
        Err(error) => {
            outcome.error = Some(error);
            return outcome;
        }
    };
    outcome.rules = word(rules);
    let mut passed = rules == case.expect;
    if let Some(connection) = connection {
        match cases::on_postgres(connection, manifest, case, number).await {
            Ok(Some(allowed)) => {
                outcome.postgres = Some(word(allowed));
                passed &= allowed == rules;
            }
            Ok(None) => outcome.postgres = Some("n/a"),
            Err(error) => {
                outcome.postgres = Some("error");
                outcome.error = Some(error);
                passed = false;
            }
        }
    }
    outcome.passed = passed;
    outcome
}
