//! `baas serve`: the REST API of the manifest.

use crate::ExitStatus;
use crate::context::Context;

/// Serve a REST API that follows the manifest, reloading when baas.toml changes.
///
/// Without a database it uses an embedded SQLite file, `.baas/dev.sqlite3`,
/// created from the manifest. With `--db URL` and no manifest it introspects
/// that database and serves it at once.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Port to listen on
    #[arg(long, short, env = "BAAS_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address to bind
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Database to serve [default: `[source] url` of the manifest, else the embedded SQLite file]
    #[arg(long, env = "BAAS_DATABASE_URL", value_name = "URL")]
    pub db: Option<String>,
    /// Serve the bundled example manifest with example rows
    #[arg(long)]
    pub example: bool,
    /// Apply destructive manifest changes to the embedded dev database on reload
    #[arg(long)]
    pub accept_data_loss: bool,
}

pub fn run(_args: ServeArgs, _cx: &Context) -> anyhow::Result<ExitStatus> {
    crate::diagnostics::not_available("serve")
}
