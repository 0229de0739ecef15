//! Hot reload: a debounced watcher on the manifest file. A valid new
//! manifest is swapped in atomically (requests in flight finish on the old
//! one); an invalid one is reported with `file:line:col` and the old one
//! keeps serving. On the embedded dev database, the changes are applied
//! first: safe ones at once, the others only with `--accept-data-loss`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use notify_debouncer_mini::{DebounceEventResult, new_debouncer, notify::RecursiveMode};

use super::state::AppState;
use super::store::sqlite::{Refused, SqliteStore};
use crate::manifest::{Diagnostics, Manifest};

/// How long the watcher waits for a burst of writes to end.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// What the watcher needs: the file, the state to swap, and the dev database
/// to migrate (when serving the embedded one).
pub struct Reloader {
    pub path: PathBuf,
    pub state: Arc<AppState>,
    pub dev: Option<Arc<SqliteStore>>,
    pub accept_data_loss: bool,
}

/// Keeps the watcher alive; dropping it stops watching.
pub struct Watch {
    _debouncer: notify_debouncer_mini::Debouncer<notify_debouncer_mini::notify::RecommendedWatcher>,
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
            if events
                .iter()
                .any(|event| event.path.file_name().map(ToOwned::to_owned) == file_name)
            {
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
        let reloader = Arc::new(self);
        tokio::spawn(async move {
            let mut last: Option<String> = None;
            while receiver.recv().await.is_some() {
                let reloader = reloader.clone();
                let previous = last.clone();
                match tokio::task::spawn_blocking(move || reloader.reload(previous.as_deref()))
                    .await
                {
                    Ok(Some(text)) => last = Some(text),
                    Ok(None) => {}
                    Err(error) => tracing::error!("the reload task failed: {error}"),
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
        if self.apply(manifest).is_some() {
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
    fn apply(&self, manifest: Manifest) -> Option<()> {
        if let Some(dev) = &self.dev {
            match dev.migrate_dev(&manifest, self.accept_data_loss) {
                Ok(changes) => {
                    for change in &changes {
                        tracing::info!(target: "baas::serve", "applied to the dev database: {}", change.reason);
                    }
                }
                Err(error) => {
                    if let Some(refused) = error.downcast_ref::<Refused>() {
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
