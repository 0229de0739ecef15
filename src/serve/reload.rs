//! Hot reload: a debounced watcher on the manifest file. A valid new
//! manifest is swapped in atomically (requests in flight finish on the old
//! one); an invalid one is reported with `file:line:col` and the old one
//! keeps serving. On the embedded dev database, the changes are applied
//! first: safe ones at once, the others only with `--accept-data-loss`,
//! and then only from a file that stayed unchanged for [`SETTLE`] (an
//! editor or a script may write it in several steps, and a half-written
//! file can be valid and lack a whole entity), after a backup of the dev
//! database that the log names.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;
use notify_debouncer_mini::{DebounceEventResult, new_debouncer, notify::RecursiveMode};

use super::state::AppState;
use super::store::sqlite::SqliteStore;
use crate::hooks::HookSet;
use crate::manifest::{Diagnostics, Manifest};
use crate::migrate::sync::LosesData;

/// How long the watcher waits for a burst of writes to end.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// How long a file must stay unchanged before a change that loses data in
/// the dev database is applied.
pub const SETTLE: Duration = Duration::from_millis(1500);

/// The embedded dev database and its file.
pub type DevDatabase = (Arc<SqliteStore>, PathBuf);

/// What runs after each reload that swapped a new manifest in, with that
/// manifest (the drift check of a `[source] url` database).
pub type AfterReload = Arc<dyn Fn(Arc<Manifest>) -> BoxFuture<'static, ()> + Send + Sync>;

/// What the watcher needs: the file, the state to swap, and the dev database
/// to migrate (when serving the embedded one).
pub struct Reloader {
    pub path: PathBuf,
    pub state: Arc<AppState>,
    /// The dev database and its file.
    pub dev: Option<DevDatabase>,
    pub accept_data_loss: bool,
    /// Awaited after every reload that swapped a manifest in, before the
    /// next reload starts.
    pub after_reload: Option<AfterReload>,
}

type Debouncer =
    notify_debouncer_mini::Debouncer<notify_debouncer_mini::notify::RecommendedWatcher>;

/// Keeps the watcher alive; dropping it stops watching.
pub struct Watch {
    _debouncer: Arc<std::sync::Mutex<Debouncer>>,
}

impl Reloader {
    /// Starts watching. Reloads run on the blocking pool of the current
    /// runtime, one at a time, in the order of the saves.
    pub fn watch(self) -> anyhow::Result<Watch> {
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<()>();
        let target = self.path.clone();
        let file_name = target.file_name().map(ToOwned::to_owned);
        let mut debouncer = new_debouncer(DEBOUNCE, move |result: DebounceEventResult| {
            let Ok(events) = result else { return };
            if events.iter().any(|event| {
                event.path.file_name().map(ToOwned::to_owned) == file_name
                    || is_hook_file(&event.path)
            }) {
                let _ = sender.send(());
            }
        })?;
        // The folder, not the file: editors often save by replacing it.
        let folder = target
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        debouncer
            .watcher()
            .watch(&folder, RecursiveMode::NonRecursive)?;
        let debouncer = Arc::new(std::sync::Mutex::new(debouncer));
        let mut watched = vec![folder];
        watch_hook_folders(&debouncer, &mut watched, &self.state);
        let reloader = Arc::new(self);
        let hook_watcher = debouncer.clone();
        tokio::spawn(async move {
            let mut last: Option<String> = None;
            while receiver.recv().await.is_some() {
                let serving = reloader.state.snapshot().source_manifest().clone();
                let previous = last.clone();
                let task = reloader.clone();
                match tokio::task::spawn_blocking(move || task.reload(previous.as_deref())).await {
                    Ok(Some(text)) => last = Some(text),
                    Ok(None) => {}
                    Err(error) => tracing::error!("the reload task failed: {error}"),
                }
                watch_hook_folders(&hook_watcher, &mut watched, &reloader.state);
                let now = reloader.state.snapshot().source_manifest().clone();
                if let Some(after) = &reloader.after_reload
                    && !Arc::ptr_eq(&serving, &now)
                {
                    after(now).await;
                }
            }
        });
        Ok(Watch {
            _debouncer: debouncer,
        })
    }

    /// Reads the file and swaps it in when valid; the text read, to skip
    /// events that changed nothing.
    fn reload(&self, previous: Option<&str>) -> Option<String> {
        let started = Instant::now();
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) => {
                tracing::warn!(
                    "cannot read `{}`: {error}; still serving the previous manifest",
                    self.path.display()
                );
                return None;
            }
        };
        if previous == Some(text.as_str()) {
            self.reload_hooks(&self.state.snapshot().source_manifest().clone());
            return Some(text);
        }
        let saved = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let manifest = match crate::manifest::load_str(&self.path, text.clone()) {
            Ok(loaded) => loaded.manifest,
            Err(diagnostics) => {
                report_invalid(&diagnostics);
                return Some(text);
            }
        };
        if **self.state.snapshot().source_manifest() == manifest {
            // The same model (a save without changes, the watcher's first
            // event, or a hook file saved): only the hooks may have changed.
            self.reload_hooks(&manifest);
            return Some(text);
        }
        if let Err(error) = self.state.check_auth(&manifest) {
            tracing::warn!(
                "not reloaded: {}: {error}; still serving the previous manifest",
                self.path.display()
            );
            return Some(text);
        }
        match tenancy_reload(self.state.snapshot().source_manifest(), &manifest) {
            Ok(restart) => {
                for line in restart {
                    tracing::warn!("{}: {line}", self.path.display());
                }
            }
            Err(reason) => {
                tracing::warn!(
                    "not reloaded: {}: {reason}; still serving the previous manifest (restart `baas serve` to apply it)",
                    self.path.display()
                );
                return Some(text);
            }
        }
        let Some(hooks) = self.load_hooks(&manifest) else {
            return Some(text);
        };
        if self.apply(manifest, &text).is_some() {
            self.install_hooks(hooks);
            let since_save = saved
                .and_then(|saved| SystemTime::now().duration_since(saved).ok())
                .map_or_else(String::new, |d| {
                    format!(", {:.1} ms after the save", d.as_secs_f64() * 1000.0)
                });
            tracing::info!(
                target: "baas::serve",
                "reloaded `{}` in {:.1} ms{since_save}",
                self.path.display(),
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
        Some(text)
    }

    /// Migrates the dev database (when there is one) and swaps `manifest` in.
    fn apply(&self, manifest: Manifest, text: &str) -> Option<()> {
        if let Some((dev, dev_path)) = &self.dev {
            // Safe changes first; what would lose data is refused here.
            let applied = match dev.sync(&manifest, false) {
                Err(error)
                    if self.accept_data_loss && error.downcast_ref::<LosesData>().is_some() =>
                {
                    self.apply_destructive(dev, dev_path, &manifest, text)?
                }
                other => other,
            };
            match applied {
                Ok(changes) => {
                    for change in &changes {
                        tracing::info!(target: "baas::serve", "applied to the dev database: {}", change.reason);
                    }
                }
                Err(error) => {
                    if let Some(refused) = error.downcast_ref::<LosesData>() {
                        let lines: Vec<String> = refused
                            .changes
                            .iter()
                            .map(|c| format!("  {:?}: {}", c.safety, c.reason))
                            .collect();
                        tracing::warn!(
                            "not reloaded: the change would lose data in the dev database; still serving the previous manifest (restart with --accept-data-loss to apply it):\n{}",
                            lines.join("\n")
                        );
                    } else {
                        tracing::error!(
                            "not reloaded: the dev database could not follow the manifest: {error:#}; still serving the previous manifest"
                        );
                    }
                    return None;
                }
            }
        }
        self.state.swap_manifest(Arc::new(manifest));
        Some(())
    }

    /// A change that loses data, with `--accept-data-loss`: applied only when
    /// the file still reads the same after [`SETTLE`], and after a backup of
    /// the dev database. `None` when the file moved on (its own event will
    /// reload it).
    fn apply_destructive(
        &self,
        dev: &SqliteStore,
        dev_path: &Path,
        manifest: &Manifest,
        text: &str,
    ) -> Option<anyhow::Result<Vec<crate::diff::Change>>> {
        std::thread::sleep(SETTLE);
        match std::fs::read_to_string(&self.path) {
            Ok(again) if again == text => {}
            _ => {
                tracing::info!(
                    target: "baas::serve",
                    "`{}` changed again while a change that loses data waited to settle; waiting for the next save",
                    self.path.display()
                );
                return None;
            }
        }
        let backup = match backup(dev_path) {
            Ok(backup) => backup,
            Err(error) => {
                return Some(Err(error.context(
                    "the dev database could not be backed up before a change that loses data",
                )));
            }
        };
        tracing::warn!(
            target: "baas::serve",
            "applying a change that loses data to the dev database (--accept-data-loss); the database before it is saved at `{}`: to restore it, stop baas serve and copy that file over `{}`",
            backup.display(),
            dev_path.display()
        );
        Some(dev.sync(manifest, true))
    }
}

// ── `[[hooks]]` (`crate::hooks`): the hook files reload with the manifest;
// one that does not load is reported and the previous hooks keep running.
impl Reloader {
    fn hooks_dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }

    /// `manifest`'s hooks, or `None` after reporting why they cannot load.
    fn load_hooks(&self, manifest: &Manifest) -> Option<HookSet> {
        match HookSet::load(manifest, self.hooks_dir()) {
            Ok(hooks) => Some(hooks),
            Err(problems) => {
                tracing::warn!(
                    "not reloaded: a hook does not load; still running the previous hooks and manifest:\n{}",
                    problems.join("\n")
                );
                None
            }
        }
    }

    /// Reads the hook files of the served `manifest` again; swaps them in
    /// when they changed and load.
    fn reload_hooks(&self, manifest: &Manifest) {
        if manifest.hooks.is_empty() && self.state.kernel.hooks.current().is_empty() {
            return;
        }
        if let Some(hooks) = self.load_hooks(manifest) {
            self.install_hooks(hooks);
        }
    }

    fn install_hooks(&self, hooks: HookSet) {
        if *self.state.kernel.hooks.current() == hooks {
            return;
        }
        self.state.kernel.hooks.install(hooks);
        tracing::info!(target: "baas::serve", "reloaded the hooks of `{}`", self.path.display());
    }
}

// ── `[tenancy]`: `resolve`, `admin` and `column` are read per request from
// the served manifest, so they follow a reload; where the tenants are
// (`strategy`, `registry`, `url`) is fixed when `baas serve` starts, and a
// change there keeps the previous manifest serving. The pool settings
// apply at the next start (said, and the rest of the change reloads).

/// Whether the `[tenancy]` of `next` can replace `serving`'s live: `Err`
/// with the reason when it cannot, else what waits for a restart.
fn tenancy_reload(serving: &Manifest, next: &Manifest) -> Result<Vec<String>, String> {
    let (before, after) = match (&serving.tenancy, &next.tenancy) {
        (None, None) => return Ok(Vec::new()),
        (Some(_), None) => {
            return Err("`[tenancy]` was removed: a server of tenants cannot stop serving tenants while it runs".into());
        }
        (None, Some(_)) => {
            return Err(
                "`[tenancy]` was added: a server starts serving tenants when it starts".into(),
            );
        }
        (Some(before), Some(after)) => (before, after),
    };
    let fixed = [
        (
            "strategy",
            Some(before.strategy.as_str().to_owned()),
            Some(after.strategy.as_str().to_owned()),
        ),
        ("registry", before.registry.clone(), after.registry.clone()),
        ("url", before.url.clone(), after.url.clone()),
    ];
    for (key, was, is) in fixed {
        if was != is {
            let shown = |value: Option<String>| {
                value.map_or_else(
                    || "(not set)".to_owned(),
                    |v| format!("`{}`", crate::source::redact(&v)),
                )
            };
            return Err(format!(
                "`[tenancy] {key}` changed from {} to {}: where the tenants are is fixed while the server runs",
                shown(was),
                shown(is)
            ));
        }
    }
    let mut restart = Vec::new();
    for (key, was, is) in [
        ("max_pools", before.max_pools, after.max_pools),
        ("idle_seconds", before.idle_seconds, after.idle_seconds),
    ] {
        if was != is {
            restart.push(format!(
                "`[tenancy] {key}` applies when `baas serve` starts again; the rest of the change is served now"
            ));
        }
    }
    Ok(restart)
}

/// Whether `path` may be a hook file (a change there reloads the hooks).
fn is_hook_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "js" || ext == "mjs" || ext == "cjs")
}

/// Watches the folders of the hooks served that are not watched yet.
fn watch_hook_folders(
    debouncer: &std::sync::Mutex<Debouncer>,
    watched: &mut Vec<PathBuf>,
    state: &AppState,
) {
    for folder in state.kernel.hooks.current().folders() {
        let absolute = std::path::absolute(&folder).unwrap_or_else(|_| folder.clone());
        if watched
            .iter()
            .any(|w| std::path::absolute(w).ok().as_ref() == Some(&absolute))
        {
            continue;
        }
        let mut guard = match debouncer.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        match guard.watcher().watch(&folder, RecursiveMode::NonRecursive) {
            Ok(()) => watched.push(folder),
            Err(error) => tracing::warn!(
                "cannot watch the hook folder `{}`: {error}; its hooks reload with the manifest only",
                folder.display()
            ),
        }
    }
}

/// Copies the dev database (a consistent snapshot, WAL included) next to it,
/// under `.baas/backups/`, named by the time; the copy's path.
fn backup(dev_path: &Path) -> anyhow::Result<PathBuf> {
    let folder = dev_path
        .parent()
        .map_or_else(|| PathBuf::from("backups"), |p| p.join("backups"));
    std::fs::create_dir_all(&folder)
        .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", folder.display()))?;
    let stamp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let stem = dev_path
        .file_stem()
        .map_or_else(|| "dev".into(), |s| s.to_string_lossy().into_owned());
    let target = folder.join(format!("{stem}-{stamp}.sqlite3"));
    let connection = rusqlite::Connection::open(dev_path)?;
    connection.execute("VACUUM INTO ?1", [target.to_string_lossy().as_ref()])?;
    Ok(target)
}

/// One line per problem, `file:line:col: message`.
fn report_invalid(diagnostics: &Diagnostics) {
    let mut lines = Vec::new();
    for problem in &diagnostics.problems {
        let location = problem
            .span
            .as_ref()
            .map(|span| {
                let (line, column) = diagnostics.line_column(span.start);
                format!("{}:{line}:{column}", diagnostics.file.display())
            })
            .unwrap_or_else(|| diagnostics.file.display().to_string());
        lines.push(format!("{location}: {}", problem.message));
    }
    tracing::warn!(
        "the manifest is not valid; still serving the previous one:\n{}",
        lines.join("\n")
    );
}
