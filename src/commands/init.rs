//! `baas init`: start a project's baas.toml, by wizard or by flags.

use std::path::Path;

use crate::ExitStatus;
use crate::backend::Backend;
use crate::commands::shared::report_dotenv;
use crate::context::Context;
use crate::diagnostics::UsageError;
use crate::manifest::{self, Manifest, Source, SourceEngine};
use crate::settings::{self, DotenvWrite};
use crate::source::SourceLocation;
use crate::ui::prompt;

/// The example manifest behind `--template bookshop`.
pub const BOOKSHOP: &str = include_str!("../../templates/init/bookshop.toml");

/// Create baas.toml.
///
/// On a terminal without flags, a short wizard asks for the project name and
/// where the schema comes from. With flags (or without a terminal) it asks
/// nothing. An existing manifest is never replaced without --force.
///
/// Examples:
///   baas init                                     # the wizard
///   baas init --name shop --template bookshop     # an example to play with
///   baas init --db postgres://app@localhost/shop  # then run `baas introspect`
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct InitArgs {
    /// Project name [default: the directory's name]
    #[arg(long)]
    pub name: Option<String>,
    /// What to start from
    #[arg(long, value_enum)]
    pub template: Option<Template>,
    /// Connection string of an existing database, recorded as `[source] url`
    #[arg(long, alias = "url", value_name = "URL")]
    pub db: Option<String>,
    /// Replace an existing manifest
    #[arg(long, short)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// Only the `[manifest]` and `[project]` tables
    Empty,
    /// A small bookshop: authors, books and reviews, with an enum, checks and relations
    Bookshop,
}

pub fn run(args: InitArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let path = &cx.manifest_path;
    if path.exists() && !args.force {
        return Err(
            UsageError::new(format!("`{}` already exists", cx.display_path(path)))
                .with_hint("pass --force to replace it, or --manifest PATH to write elsewhere")
                .into(),
        );
    }
    let default_name = cx
        .cwd
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("app")
        .to_owned();
    let no_flags = args.name.is_none() && args.template.is_none() && args.db.is_none();
    let answers = if cx.interactive && no_flags {
        wizard(&default_name)?
    } else {
        Answers {
            name: args.name.unwrap_or(default_name),
            template: args.template.unwrap_or(Template::Empty),
            url: args.db,
        }
    };
    let directory = path.parent().unwrap_or(&cx.cwd).to_owned();
    let mut manifest = match answers.template {
        Template::Empty => Manifest::default(),
        Template::Bookshop => {
            manifest::load_str(
                Path::new("templates/init/bookshop.toml"),
                BOOKSHOP.to_owned(),
            )?
            .manifest
        }
    };
    manifest.project.name = Some(answers.name.clone());
    let mut env_write = None;
    if let Some(url) = &answers.url {
        let location = SourceLocation::parse(url, &cx.cwd)?;
        let engine = Backend::of(&location).map(|backend| backend.engine()).ok_or_else(|| {
            UsageError::new(format!("`{location}` is not a database connection string"))
                .with_hint("use postgres://, mysql://, sqlite:// or mongodb://; schema files go to `baas introspect FILE`")
        })?;
        let recorded = match location.password() {
            Some(password) => {
                let write =
                    settings::set_dotenv(&directory, settings::PASSWORD_VARIABLE, &password)?;
                env_write = Some((write, password));
                location.manifest_url(url)
            }
            None => url.trim().to_owned(),
        };
        manifest.source = Some(Source {
            engine,
            url: Some(recorded),
            schemas: if engine == SourceEngine::Postgres {
                vec!["public".to_owned()]
            } else {
                Vec::new()
            },
        });
    }
    std::fs::create_dir_all(&directory)?;
    std::fs::write(path, manifest::to_toml(&manifest)).map_err(|e| {
        anyhow::Error::new(e).context(format!("failed to write `{}`", path.display()))
    })?;
    cx.printer.success("Created", &cx.display_path(path));
    if let Some((write, password)) = &env_write {
        report_dotenv(cx, *write, &directory, password);
    }
    let next = match (&answers.url, answers.template) {
        (Some(_), _) => "Next: `baas introspect` reads the database into baas.toml.",
        (None, Template::Bookshop) => {
            "Next: `baas show` lists the entities; `baas validate` checks the file."
        }
        (None, Template::Empty) => {
            "Next: `baas introspect <database or schema file>` fills it, or add `[entities.*]` by hand."
        }
    };
    cx.printer.status(next);
    if cx.printer.json_mode() {
        cx.printer.json(&serde_json::json!({
            "ok": true,
            "manifest": path.display().to_string(),
            "env_written": env_write.as_ref().is_some_and(|(w, _)| *w != DotenvWrite::Unchanged),
        }))?;
    }
    Ok(ExitStatus::Success)
}

struct Answers {
    name: String,
    template: Template,
    url: Option<String>,
}

fn wizard(default_name: &str) -> anyhow::Result<Answers> {
    let name = prompt::input("Project name", default_name)?;
    let choices = [
        "An existing database (connection string)",
        "The bookshop example (authors, books, reviews)",
        "An empty manifest",
    ];
    let choice = prompt::select("What do you start from?", &choices, 0)?;
    let (template, url) = match choice {
        0 => {
            let url = prompt::required_input(
                "Connection string (e.g. sqlite://app.db, postgres://user@host/db)",
            )?;
            (Template::Empty, Some(url))
        }
        1 => (Template::Bookshop, None),
        _ => (Template::Empty, None),
    };
    Ok(Answers {
        name,
        template,
        url,
    })
}
