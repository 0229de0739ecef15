//! `baas serve`: the REST API of the manifest.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::ExitStatus;
use crate::context::Context;
use crate::manifest::{Manifest, SourceEngine};
use crate::migrate::sync::LosesData;
use crate::serve::http::HttpOptions;
use crate::serve::listen::ConnectionLimits;
use crate::serve::reload::{AfterReload, DevDatabase, Reloader};
use crate::serve::store::sqlite::SqliteStore;
use crate::serve::{AppState, Store};
use crate::settings::Environment;
use crate::source::{SourceLocation, redact};

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
    /// Seconds a client has to send a request's headers; idle keep-alive
    /// connections close after it too [default: `[api] header_timeout_seconds`, else 10]
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: Option<u64>,
    /// Seconds a request may take [default: `[api] request_timeout_seconds`, else 30]
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: Option<u64>,
    /// Open connections at most; more are answered 503
    /// [default: `[api] max_connections`, else 1024 or fewer under a low open-files limit]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: Option<u64>,
    /// Do not serve the studio (the web admin page at `/_studio`, where `/` redirects)
    #[arg(long)]
    pub no_studio: bool,
    /// Also serve the PostgREST-compatible profile, at `/rest/v1`
    /// [default: `[api] postgrest`]
    #[arg(long)]
    pub postgrest: bool,
    /// Serve the manifest's API by calling the upstream API at this base URL
    /// [default: `[source] url` with `engine = "http"`, else `[api] base_url`]
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
}

/// What is served: a manifest, an engine, and what to watch.
struct Served {
    manifest: Manifest,
    engine: Arc<dyn Store>,
    /// The manifest, as shown at start-up.
    manifest_label: String,
    /// The database, as shown at start-up (no password).
    database_label: String,
    /// The file to watch, with the dev database (and its file) to migrate
    /// on reload.
    watch: Option<(PathBuf, Option<DevDatabase>)>,
    /// The `[source] url` / `--db` database, compared with every manifest
    /// a reload swaps in.
    drift_url: Option<String>,
    /// Served through the upstream-API store.
    upstream: bool,
}

pub async fn run(args: ServeArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    crate::memory::return_freed_memory_promptly();
    init_logs(cx.printer.json_mode());
    let served = if args.example {
        example(cx)?
    } else if cx.manifest_path.is_file() {
        manifest_file(&args, cx).await?
    } else if let Some(url) = &args.db {
        instant(url, cx).await?
    } else {
        return Err(crate::diagnostics::UsageError::new(format!(
            "there is no manifest at `{}` and no database to serve",
            cx.display_path(&cx.manifest_path)
        ))
        .with_hint(
            "try `baas serve --example`, `baas serve --db postgres://...`, or `baas init` first",
        )
        .into());
    };
    let entity_count = served.manifest.entities.len();
    let (mut http, limits) = options(&args, &served.manifest);
    let manifest = Arc::new(served.manifest);
    let migrations = cx
        .manifest_path
        .parent()
        .map_or_else(|| cx.cwd.clone(), Path::to_path_buf)
        .join("migrations");
    let tenants = crate::tenancy::Tenants::open(&manifest, &cx.manifest_path, migrations.clone())
        .map_err(crate::tenancy::TenancyError::into_error)?
        .map(Arc::new);
    let resolver = tenants.as_ref().map(|tenants| {
        Arc::new(crate::tenancy::resolver::TenantResolver::new(
            Arc::clone(tenants),
            served.engine.clone(),
        ))
    });
    let state = match &resolver {
        Some(resolver) => AppState::with(
            manifest,
            Arc::new(crate::serve::policy::rules::Rules),
            resolver.clone(),
        ),
        None => AppState::new(manifest, served.engine),
    };
    if let Some((path, _)) = &served.watch {
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        state.use_manifest_dir(dir).map_err(|error| {
            crate::diagnostics::UsageError::new(format!("{}: {error}", cx.display_path(path)))
        })?;
    }
    // `[[hooks]]`: their files are read and checked next to the manifest.
    let hooks_dir = served
        .watch
        .as_ref()
        .and_then(|(path, _)| path.parent())
        .unwrap_or_else(|| Path::new("."));
    let hooks = crate::hooks::HookSet::load(state.snapshot().source_manifest(), hooks_dir)
        .map_err(|problems| {
            crate::diagnostics::UsageError::new(format!(
                "the hooks cannot be loaded:\n{}",
                problems.join("\n")
            ))
        })?;
    state.kernel.hooks.install(hooks);
    // Where the built-in users' sessions are kept: the served database.
    // Upstream mode: the upstream has none of baas's; the outbox file does.
    let database = match (&served.drift_url, &served.watch) {
        (_, Some((path, _))) if served.upstream => Some(SourceLocation::Sqlite {
            path: crate::serve::store::http::outbox_path(path.parent().unwrap_or(&cx.cwd)),
        }),
        (Some(url), _) => SourceLocation::parse(url, &cx.cwd).ok(),
        (None, Some((_, Some((_, path))))) => Some(SourceLocation::Sqlite { path: path.clone() }),
        _ => None,
    };
    // The studio's migrations page and ledger read the served database (or
    // the one `--db` introspected).
    let admin = match (&database, &args.db) {
        _ if served.upstream => None,
        (Some(location), _) if served.drift_url.is_none() => {
            Some(crate::admin::ServedDatabase::new(location.clone(), migrations).dev())
        }
        (Some(location), _) => Some(crate::admin::ServedDatabase::new(
            location.clone(),
            migrations,
        )),
        (None, Some(url)) => SourceLocation::parse(url, &cx.cwd)
            .ok()
            .map(|location| crate::admin::ServedDatabase::new(location, migrations)),
        (None, None) => None,
    };
    let external = external_changes(&state, database.as_ref(), resolver, cx).await?;
    if let Some(database) = database {
        let _ = state.database.set(database.clone());
        start_webhooks(&state, database, cx).await?;
    }
    if let Some(tenants) = tenants {
        start_tenant_webhooks(&state, tenants, cx)?;
    }
    let _watch = match served.watch {
        Some((path, dev)) => Some(
            Reloader {
                path,
                state: state.clone(),
                dev,
                accept_data_loss: args.accept_data_loss,
                after_reload: served
                    .drift_url
                    .clone()
                    .map(|url| drift_on_reload(url, cx.cwd.clone())),
            }
            .watch()?,
        ),
        None => None,
    };
    let listener = bind(&args).await?;
    let address = listener.local_addr()?;
    http.bound = Some(address.ip());
    let printer = &cx.printer;
    if printer.json_mode() {
        // One line a script can wait for (`--json`): the server is answering.
        let ready = serde_json::json!({
            "event": "ready",
            "url": format!("http://{address}/api"),
            "manifest": served.manifest_label,
            "database": served.database_label,
            "entities": entity_count,
            "ready_ms": (started.elapsed().as_secs_f64() * 1000.0).round(),
        });
        printer.data(&format!("{ready}\n"))?;
    }
    printer.success("Serving", &format!("http://{address}/api"));
    if !args.no_studio {
        printer.status(&format!("  studio     http://{address}/_studio/"));
    }
    printer.status(&format!("  manifest   {}", served.manifest_label));
    printer.status(&format!("  database   {}", served.database_label));
    printer.status(&format!("  entities   {entity_count}"));
    if let Some(line) = external {
        printer.status(&format!("  realtime   {line}"));
    }
    printer.status(&format!(
        "  ready in   {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    ));
    if address.ip().is_unspecified() {
        let who = if state.snapshot().source_manifest().auth.is_some() {
            "anyone who can reach this machine can call the API ([auth] and the rules decide what they may do)"
        } else {
            "anyone who can reach this machine can read and write every row"
        };
        printer.warn(&format!(
            "listening on every network interface ({address}): {who}"
        ));
    }
    http.upstream = served.upstream;
    let mut router = crate::serve::http::router_with(state, http);
    if let Some(admin) = admin {
        router = router.layer(axum::Extension(crate::serve::http::studio::AdminHandle(
            Arc::new(admin),
        )));
    }
    crate::serve::listen::serve(listener, router, limits, shutdown()).await?;
    printer.status("Stopped");
    Ok(ExitStatus::Success)
}

/// `[realtime] external = true`: listens for the changes the database's
/// triggers announce (PostgreSQL); what it does, for the start-up lines.
async fn external_changes(
    state: &Arc<AppState>,
    database: Option<&SourceLocation>,
    resolver: Option<Arc<crate::tenancy::resolver::TenantResolver>>,
    cx: &Context,
) -> anyhow::Result<Option<String>> {
    let manifest = state.snapshot().source_manifest().clone();
    let external = manifest.realtime.as_ref().is_some_and(|r| r.external);
    if let Some(SourceLocation::Mongodb { url }) = database {
        return mongo_changes(state, url, external, cx).await;
    }
    let Some(SourceLocation::Postgres { url }) = database else {
        if external {
            cx.printer.warn(
                "[realtime] external = true needs a PostgreSQL database: only writes made through this server are sent to realtime subscribers",
            );
        }
        return Ok(None);
    };
    // On PostgreSQL the listener follows reloads of `[realtime] external`.
    let (manifest, wanted) = followed(state);
    crate::serve::events::external::External {
        url: url.to_string(),
        events: state.kernel.events.clone(),
        manifest,
        wanted,
        stores: state.kernel.stores.clone(),
        tenant_of: schema_tenants(resolver.as_ref().map(|r| Arc::clone(r.tenants()))),
        databases: resolver.and_then(database_tenants),
    }
    .start()
    .await
    .map_err(|error| {
        anyhow::anyhow!(
            "cannot listen for database changes ([realtime] external = true) on {}: {}",
            redact(url.as_str()),
            redact(&error.to_string())
        )
    })?;
    Ok(external.then(|| {
        format!(
            "changes made outside baas (LISTEN {})",
            crate::realtime::CHANNEL
        )
    }))
}

/// What a listener for changes made outside baas asks on each change: the
/// manifest served now, and whether `[realtime] external` is still on
/// (both follow hot reloads).
fn followed(
    state: &Arc<AppState>,
) -> (
    crate::serve::events::external::CurrentManifest,
    crate::serve::events::external::Wanted,
) {
    let current = state.clone();
    let wanted = state.clone();
    (
        Arc::new(move || current.snapshot().manifest().clone()),
        Arc::new(move || {
            let snapshot = wanted.snapshot();
            let realtime = snapshot.source_manifest().realtime.as_ref();
            realtime.is_some_and(|r| r.external)
        }),
    )
}

/// With `[tenancy] strategy = "schema"`: the served tenant whose schema is
/// the one named (a schema tenant's slug is its schema's name).
fn schema_tenants(
    tenants: Option<Arc<crate::tenancy::Tenants>>,
) -> crate::serve::events::external::TenantOf {
    use crate::tenancy::Place;
    let tenants = tenants.filter(|t| t.strategy == crate::manifest::TenancyStrategy::Schema);
    Arc::new(move |schema: String| {
        let tenants = tenants.clone();
        Box::pin(async move {
            let record = tenants?.registry.lookup(&schema).await.ok()??;
            let owns = matches!(Place::parse(&record.location), Place::Schema { schema: ref s, .. } if *s == schema);
            (owns && record.serves()).then_some(record.slug)
        })
    })
}

/// With `[tenancy] strategy = "database"` on PostgreSQL: each tenant's own
/// database, and the tenants whose pool is open.
fn database_tenants(
    resolver: Arc<crate::tenancy::resolver::TenantResolver>,
) -> Option<crate::serve::events::external::TenantDatabases> {
    use crate::tenancy::Place;
    let tenants = Arc::clone(resolver.tenants());
    if tenants.strategy != crate::manifest::TenancyStrategy::Database {
        return None;
    }
    let cap = tenants
        .manifest
        .tenancy
        .as_ref()
        .and_then(|tenancy| tenancy.max_pools)
        .map_or(crate::tenancy::pools::DEFAULT_CAP, |n| {
            usize::try_from(n).unwrap_or(usize::MAX)
        });
    Some(crate::serve::events::external::TenantDatabases {
        url_of: Arc::new(move |slug: String| {
            let tenants = Arc::clone(&tenants);
            Box::pin(async move {
                let record = tenants.registry.lookup(&slug).await.ok()??;
                let place = Place::parse(&record.location);
                if !record.serves() || !matches!(place, Place::Database { .. }) {
                    return None;
                }
                match place.connection(&tenants).ok()? {
                    SourceLocation::Postgres { url } => Some(url.to_string()),
                    _ => None,
                }
            })
        }),
        open: Arc::new(move || resolver.pools().open_tenants()),
        cap,
    })
}

/// `[realtime] external` on MongoDB: the change stream of the served
/// database, where the server has them (said once when it has not).
async fn mongo_changes(
    state: &Arc<AppState>,
    url: &str,
    external: bool,
    cx: &Context,
) -> anyhow::Result<Option<String>> {
    use crate::serve::events::mongo;
    let database = mongo::open(url).await?;
    if let Err(why) = mongo::supports_change_streams(&database).await {
        if external {
            cx.printer.warn(&format!(
                "[realtime] external = true: {why}; only writes made through this server are sent to realtime subscribers"
            ));
        }
        return Ok(None);
    }
    let (manifest, wanted) = followed(state);
    mongo::MongoChanges {
        database,
        events: state.kernel.events.clone(),
        manifest,
        wanted,
        stores: state.kernel.stores.clone(),
    }
    .start();
    Ok(external.then(|| "changes made outside baas (the MongoDB change stream)".to_owned()))
}

/// Delivers `[[webhooks]]` from the served database's outbox, woken by
/// every committed write.
async fn start_webhooks(
    state: &Arc<AppState>,
    database: SourceLocation,
    cx: &Context,
) -> anyhow::Result<()> {
    let dir = cx.manifest_path.parent().unwrap_or_else(|| Path::new("."));
    let env = Environment::load(dir)?;
    let current = {
        let state = Arc::clone(state);
        Arc::new(move || state.snapshot().source_manifest().clone())
    };
    let wake = crate::webhooks::start(database, current, env).await?;
    let mut changes = state.kernel.events.subscribe();
    tokio::spawn(async move {
        while !matches!(changes.next().await, crate::serve::events::Received::Closed) {
            wake.notify_one();
        }
    });
    Ok(())
}

/// Delivers `[[webhooks]]` from each served tenant's own outbox.
fn start_tenant_webhooks(
    state: &Arc<AppState>,
    tenants: Arc<crate::tenancy::Tenants>,
    cx: &Context,
) -> anyhow::Result<()> {
    let dir = cx.manifest_path.parent().unwrap_or_else(|| Path::new("."));
    let env = Environment::load(dir)?;
    let current = {
        let state = Arc::clone(state);
        Arc::new(move || state.snapshot().source_manifest().clone())
    };
    // The registry's list is a blocking call: made on a blocking thread.
    let served: crate::webhooks::ServedTenants = Arc::new(move || {
        let tenants = Arc::clone(&tenants);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || served_tenants(&tenants))
                .await
                .map_err(|e| anyhow::anyhow!("listing the tenants stopped: {e}"))?
        })
    });
    crate::webhooks::start_tenants(served, current, env);
    Ok(())
}

/// The served tenants with an outbox of their own, and where each one's
/// database is.
fn served_tenants(
    tenants: &crate::tenancy::Tenants,
) -> anyhow::Result<Vec<(String, SourceLocation)>> {
    let records = tenants
        .registry
        .list()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    records
        .into_iter()
        .filter(crate::tenancy::TenantRecord::serves)
        // Row tenants write to the deployment's own outbox, which
        // `start_webhooks` delivers once for all of them.
        .filter(|record| {
            !matches!(
                crate::tenancy::Place::parse(&record.location),
                crate::tenancy::Place::Row { .. }
            )
        })
        .map(|record| {
            let location = crate::tenancy::Place::parse(&record.location)
                .connection(tenants)
                .map_err(|e| anyhow::anyhow!("tenant `{}`: {e}", record.slug))?;
            Ok((record.slug, location))
        })
        .collect()
}

/// The HTTP options and connection limits: flags, then `[api]`, then defaults.
fn options(args: &ServeArgs, manifest: &Manifest) -> (HttpOptions, ConnectionLimits) {
    let mut http = HttpOptions::from_manifest(manifest);
    http.studio = !args.no_studio;
    if let Some(seconds) = args.request_timeout {
        http.request_timeout = Duration::from_secs(seconds);
    }
    if args.postgrest && http.postgrest.is_none() {
        http.postgrest = Some(crate::manifest::POSTGREST_PATH.to_owned());
    }
    let api = manifest.api.as_ref();
    let mut limits = ConnectionLimits::default();
    if let Some(seconds) = args
        .header_timeout
        .or_else(|| api.and_then(|api| api.header_timeout_seconds))
    {
        limits.header_timeout = Duration::from_secs(seconds);
    }
    if let Some(max) = args
        .max_connections
        .or_else(|| api.and_then(|api| api.max_connections))
    {
        limits.max_connections = usize::try_from(max).unwrap_or(usize::MAX);
    }
    (http, limits)
}

/// Binds the listening socket; a busy port or a bad address is the user's
/// to fix (exit 2), with a hint.
async fn bind(args: &ServeArgs) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|error| {
            let (what, hint) = match error.kind() {
                std::io::ErrorKind::AddrInUse => (
                    format!("port {} is already in use on {}", args.port, args.host),
                    format!(
                        "stop the other server, or pick another port: `baas serve --port {}`",
                        args.port.saturating_add(1)
                    ),
                ),
                std::io::ErrorKind::PermissionDenied => (
                    format!("not allowed to listen on {}:{}", args.host, args.port),
                    "ports below 1024 need privileges: try `--port 8080`".to_owned(),
                ),
                _ => (
                    format!("cannot listen on {}:{}: {error}", args.host, args.port),
                    "`--host` takes a local address such as 127.0.0.1, ::1 or 0.0.0.0".to_owned(),
                ),
            };
            crate::diagnostics::UsageError::new(what)
                .with_hint(hint)
                .into()
        })
}

/// Logs on stderr (JSON lines with `--json`): one line per request (method, path, status, latency,
/// request id), reloads, and errors. `BAAS_LOG=warn` quiets requests.
fn init_logs(json: bool) {
    let level = match std::env::var("BAAS_LOG").as_deref() {
        Ok("error") => tracing::Level::ERROR,
        Ok("warn") => tracing::Level::WARN,
        Ok("debug") => tracing::Level::DEBUG,
        Ok("trace") => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_ansi(false);
    // `--json`: one JSON object per log line, for log collectors.
    let _ = if json {
        logs.json().try_init()
    } else {
        logs.try_init()
    };
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!(target: "baas::serve", "shutting down");
}

/// `--example`: the bundled manifest and rows in `.baas/example.sqlite3`.
fn example(cx: &Context) -> anyhow::Result<Served> {
    let manifest = crate::serve::example_manifest()?;
    let path = cx.cwd.join(".baas").join("example.sqlite3");
    // The example is disposable: it follows the bundled manifest whatever it loses.
    let (engine, sync) = SqliteStore::dev(&path, &manifest, true)?;
    if sync.created {
        engine.load_rows(&manifest, &crate::serve::example_rows()?)?;
    }
    Ok(Served {
        manifest,
        engine: Arc::new(engine),
        manifest_label: "the bundled example (bookshop)".into(),
        database_label: format!("{} (embedded SQLite)", cx.display_path(&path)),
        watch: None,
        drift_url: None,
        upstream: false,
    })
}

/// A manifest file: its `[source]` database, `--db`, or the dev database.
async fn manifest_file(args: &ServeArgs, cx: &Context) -> anyhow::Result<Served> {
    let loaded = crate::manifest::load_file(&cx.manifest_path)?;
    let manifest = loaded.manifest;
    let folder = cx
        .manifest_path
        .parent()
        .map_or_else(|| cx.cwd.clone(), Path::to_path_buf);
    let manifest_label = cx.display_path(&cx.manifest_path);
    if let Some(served) = upstream(args, cx, &manifest, &folder, &manifest_label)? {
        return Ok(served);
    }
    let source_url = manifest.source.as_ref().and_then(|source| {
        let live = matches!(
            source.engine,
            SourceEngine::Postgres
                | SourceEngine::Mysql
                | SourceEngine::Sqlite
                | SourceEngine::Mongodb
        );
        source.url.clone().filter(|_| live)
    });
    let url = match (&args.db, source_url) {
        (Some(url), _) => Some(url.clone()),
        (None, Some(url)) => Some(Environment::load(&folder)?.interpolate(&url)?),
        (None, None) => None,
    };
    if let Some(url) = url {
        let engine = crate::backend::store(&url, &manifest).await?;
        warn_on_drift(&url, &manifest, cx).await;
        return Ok(Served {
            manifest,
            engine,
            manifest_label,
            database_label: redact(&url),
            watch: Some((cx.manifest_path.clone(), None)),
            drift_url: Some(url),
            upstream: false,
        });
    }
    let path = folder.join(".baas").join("dev.sqlite3");
    let (engine, sync) = match SqliteStore::dev(&path, &manifest, args.accept_data_loss) {
        Ok(done) => done,
        Err(error) => return Err(refused_hint(error)),
    };
    if !sync.created {
        for change in &sync.applied {
            cx.printer
                .status(&format!("  applied    {}", change.reason));
        }
    }
    let engine = Arc::new(engine);
    Ok(Served {
        manifest,
        engine: engine.clone(),
        manifest_label,
        database_label: format!(
            "{} (embedded SQLite{})",
            cx.display_path(&path),
            if sync.created { ", created" } else { "" }
        ),
        watch: Some((cx.manifest_path.clone(), Some((engine, path)))),
        drift_url: None,
        upstream: false,
    })
}

/// `--upstream URL` or `[source] engine = "http"`: the API the manifest
/// describes, called through the upstream-API store.
fn upstream(
    args: &ServeArgs,
    cx: &Context,
    manifest: &Manifest,
    folder: &Path,
    manifest_label: &str,
) -> anyhow::Result<Option<Served>> {
    let source = manifest.source.as_ref();
    let http = source.is_some_and(|source| source.engine == SourceEngine::Http);
    // A GraphQL manifest is served from its upstream once it names one; an
    // SDL file alone still gets the embedded database.
    let graphql = source.is_some_and(|source| source.engine == SourceEngine::Graphql);
    let graphql_upstream = graphql
        && (args.upstream.is_some()
            || source.is_some_and(|source| source.url.is_some())
            || manifest
                .api
                .as_ref()
                .is_some_and(|api| api.base_url.is_some()));
    if args.upstream.is_none() && !http && !graphql_upstream {
        return Ok(None);
    }
    let env = Environment::load(folder)?;
    let base = match &args.upstream {
        Some(url) => url.clone(),
        None => match source
            .and_then(|source| source.url.clone())
            .or_else(|| manifest.api.as_ref().and_then(|api| api.base_url.clone()))
        {
            Some(url) => env.interpolate(&url)?,
            None => {
                return Err(crate::diagnostics::UsageError::new(
                    "the manifest names no upstream API to serve".to_owned(),
                )
                .with_hint("pass `--upstream http://host:port/base`, or set `[source] url`")
                .into());
            }
        },
    };
    let resolve = |reference: &str| env.interpolate(reference).map_err(anyhow::Error::from);
    let outbox = crate::serve::store::http::outbox_path(folder);
    let engine: Arc<dyn crate::serve::store::Store> = if graphql {
        Arc::new(
            crate::serve::store::graphql::GraphqlStore::new(manifest, &base, &resolve)
                .map_err(|error| crate::diagnostics::UsageError::new(format!("{error:#}")))?
                .with_outbox(outbox.clone()),
        )
    } else {
        Arc::new(
            crate::serve::store::http::HttpStore::new(manifest, &base, &resolve)
                .map_err(|error| crate::diagnostics::UsageError::new(format!("{error:#}")))?
                .with_outbox(outbox.clone()),
        )
    };
    // The webhook worker opens the outbox file before any write does.
    if let Some(parent) = outbox.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| anyhow::anyhow!("cannot create `{}`: {error}", parent.display()))?;
    }
    Ok(Some(Served {
        manifest: manifest.clone(),
        engine,
        manifest_label: manifest_label.to_owned(),
        database_label: format!("{} (upstream API)", redact(&base)),
        watch: Some((cx.manifest_path.clone(), None)),
        drift_url: None,
        upstream: true,
    }))
}

fn refused_hint(error: anyhow::Error) -> anyhow::Error {
    match error.downcast::<LosesData>() {
        Ok(refused) => {
            let lines: Vec<String> = refused
                .changes
                .iter()
                .map(|c| format!("{:?}: {}", c.safety, c.reason))
                .collect();
            crate::diagnostics::UsageError::new(format!(
                "the manifest changed in ways that would lose data in the dev database:\n  {}",
                lines.join("\n  ")
            ))
            .with_hint(
                "run again with `--accept-data-loss` to apply them, or delete `.baas/dev.sqlite3`",
            )
            .into()
        }
        Err(error) => error,
    }
}

/// Compares the database with the manifest, as `baas check --db` would,
/// and warns with what differs: a table or column the manifest has and the
/// database lacks makes the requests that touch it fail.
async fn warn_on_drift(url: &str, manifest: &Manifest, cx: &Context) {
    match drift(url, manifest, &cx.cwd).await {
        Drift::None => {}
        Drift::Unknown(message) | Drift::Found { message, .. } => cx.printer.warn(&message),
    }
}

/// The drift check after a reload: the same comparison, as a log warning
/// (a JSON log event with `--json`: `event = "drift"` and the number of
/// differences).
fn drift_on_reload(url: String, cwd: PathBuf) -> AfterReload {
    Arc::new(move |manifest: Arc<Manifest>| {
        let url = url.clone();
        let cwd = cwd.clone();
        Box::pin(async move {
            match drift(&url, &manifest, &cwd).await {
                Drift::None => {}
                Drift::Unknown(message) => {
                    tracing::warn!(target: "baas::serve", event = "drift", "{message}");
                }
                Drift::Found {
                    differences,
                    message,
                } => {
                    tracing::warn!(target: "baas::serve", event = "drift", differences, "{message}");
                }
            }
        })
    })
}

/// What comparing the database with the manifest found.
enum Drift {
    None,
    /// The database could not be read; the message says why.
    Unknown(String),
    Found {
        differences: usize,
        message: String,
    },
}

async fn drift(url: &str, manifest: &Manifest, cwd: &Path) -> Drift {
    let Ok(location) = SourceLocation::parse(url, cwd) else {
        return Drift::None;
    };
    let options = crate::source::IntrospectOptions {
        schemas: manifest
            .source
            .as_ref()
            .map(|source| source.schemas.clone())
            .unwrap_or_default(),
        ..crate::source::IntrospectOptions::default()
    };
    let live = match crate::backend::introspect(&location, &options, &crate::ui::Progress::hidden())
        .await
    {
        Ok(introspection) => introspection.manifest,
        Err(error) => {
            return Drift::Unknown(format!(
                "could not compare the database with the manifest: {}",
                redact(&format!("{error:#}"))
            ));
        }
    };
    let changes = crate::diff::diff(&live, manifest);
    if changes.is_empty() {
        return Drift::None;
    }
    const SHOWN: usize = 20;
    let mut lines: Vec<String> = changes
        .iter()
        .take(SHOWN)
        .map(|change| format!("  {}", change.reason))
        .collect();
    if changes.len() > SHOWN {
        lines.push(format!("  ... and {} more", changes.len() - SHOWN));
    }
    Drift::Found {
        differences: changes.len(),
        message: format!(
            "the database differs from the manifest in {} place(s); requests that touch them will fail until it is migrated (`baas check --db` shows the drift, `baas migrate apply` applies planned migrations):\n{}",
            changes.len(),
            lines.join("\n")
        ),
    }
}

/// `--db URL` without a manifest: introspect and serve, writing nothing.
async fn instant(url: &str, cx: &Context) -> anyhow::Result<Served> {
    let location = SourceLocation::parse(url, &cx.cwd)?;
    let introspection = crate::backend::introspect(
        &location,
        &crate::source::IntrospectOptions::default(),
        &crate::ui::Progress::hidden(),
    )
    .await?;
    let mut manifest = introspection.manifest;
    // baas's own bookkeeping tables (`_baas_dev`, `_baas_migrations`) are not API.
    manifest
        .entities
        .retain(|_, entity| !entity.table.starts_with(crate::backend::BOOKKEEPING_PREFIX));
    let engine = crate::backend::store(url, &manifest).await?;
    Ok(Served {
        manifest,
        engine,
        manifest_label: "introspected (nothing written)".into(),
        database_label: redact(url),
        watch: None,
        drift_url: None,
        upstream: false,
    })
}
