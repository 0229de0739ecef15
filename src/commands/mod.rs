//! One file per subcommand: its arguments and its `run`, kept thin; the work
//! happens in the pipeline modules.

pub mod check;
pub mod codegen;
pub mod completions;
pub mod diff;
pub mod init;
pub mod introspect;
pub mod migrate;
pub mod rules;
pub mod serve;
pub mod shared;
pub mod show;
pub mod studio;
pub mod tenants;
pub mod validate;
pub mod webhooks;

use clap::Subcommand;

use crate::ExitStatus;
use crate::context::Context;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a baas.toml: interactively, or from flags
    Init(init::InitArgs),
    /// Read a database or schema file into baas.toml
    Introspect(introspect::IntrospectArgs),
    /// Show the entities of the manifest, or one entity in detail
    Show(show::ShowArgs),
    /// Check baas.toml and report every problem with its line and column
    Validate(validate::ValidateArgs),
    /// Compare two schemas (manifests, live databases, schema files) and classify every change
    Diff(diff::DiffArgs),
    /// Plan, apply and inspect migrations
    #[command(subcommand)]
    Migrate(migrate::MigrateCommand),
    /// Fail when the schema drifted (for CI)
    Check(check::CheckArgs),
    /// Test the rules of baas.toml against a table of cases
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Make, list, deactivate and drop the tenants of a manifest with [tenancy]
    #[command(subcommand)]
    Tenants(tenants::TenantsCommand),
    /// Generate typed clients and API documents from the manifest
    Codegen(codegen::CodegenArgs),
    /// Serve a REST API that follows the manifest, reloading when it changes
    Serve(serve::ServeArgs),
    /// Open the studio (the web admin page of `baas serve`) in the browser
    Studio(studio::StudioArgs),
    /// List, retry and purge webhook deliveries
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
    /// Print a shell completion script
    Completions(completions::CompletionsArgs),
}

/// Runs one command. `app` builds the whole command line (`cli::command`),
/// which only the completion scripts need.
pub async fn run(
    command: Command,
    cx: &Context,
    app: fn() -> clap::Command,
) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Init(args) => init::run(args, cx),
        Command::Introspect(args) => introspect::run(args, cx).await,
        Command::Show(args) => show::run(args, cx),
        Command::Validate(args) => validate::run(args, cx),
        Command::Diff(args) => diff::run(args, cx).await,
        Command::Migrate(command) => migrate::run(command, cx).await,
        Command::Check(args) => check::run(args, cx).await,
        Command::Rules(command) => rules::run(command, cx).await,
        Command::Tenants(command) => tenants::run(command, cx).await,
        Command::Codegen(args) => codegen::run(args, cx),
        Command::Serve(args) => serve::run(args, cx).await,
        Command::Studio(args) => studio::run(args, cx),
        Command::Webhooks(command) => webhooks::run(command, cx).await,
        Command::Completions(args) => completions::run(args, cx, app()),
    }
}
