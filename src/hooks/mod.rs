//! `[[hooks]]`: JavaScript files run before and after the API's writes, in
//! an embedded sandbox ([`sandbox`]: QuickJS, no file, network, process or
//! environment access, a time and a memory limit per call).
//!
//! A [`HookSet`] is the manifest's hooks with their files read and checked
//! (a syntax error is reported as `file:line:col`); [`Hooks`] holds the set
//! being served (swapped by a reload) and the pool of engines that run
//! them. The engines live on threads of their own, one runtime each, so a
//! slow hook holds one of them and never a thread of the async executor.
//! The JavaScript API is documented in `docs/hooks.md`.

mod sandbox;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use serde_json::Value as Json;

use crate::manifest::{HookPhase, HookTrigger, Manifest};

pub use sandbox::Engine;

/// The time limit of one call when `timeout_ms` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1000);
/// The memory limit of one call when `memory_mb` is not set.
pub const DEFAULT_MEMORY_MB: u64 = 32;
/// Calls waiting for an engine before more are refused.
const QUEUE: usize = 1024;

/// One hook: its file's text and its limits.
#[derive(Debug, PartialEq)]
pub struct Script {
    /// `on` as written.
    pub on: String,
    pub trigger: HookTrigger,
    /// `run` as written (relative to baas.toml): how messages name it.
    pub run: String,
    /// Where the file was read from.
    pub path: PathBuf,
    pub source: String,
    pub timeout: Duration,
    pub memory_mb: u64,
}

impl Script {
    fn memory_bytes(&self) -> usize {
        usize::try_from(self.memory_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }
}

/// Why a hook call did not give a value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HookError {
    /// `reject(message, status)`: the write is refused with `status`.
    #[error("{message}")]
    Rejected {
        hook: String,
        status: u16,
        message: String,
    },
    /// The hook threw: the write is refused (422).
    #[error("{message}")]
    Thrown {
        hook: String,
        message: String,
        /// `file:line:col`, when known.
        at: Option<String>,
    },
    #[error("the hook `{hook}` was stopped: it ran longer than its time limit of {ms} ms")]
    Timeout { hook: String, ms: u128 },
    #[error("the hook `{hook}` was stopped: it used more than its memory limit of {mb} MiB")]
    Memory { hook: String, mb: u64 },
    /// A before-hook returned something that is not a body.
    #[error(
        "the hook `{hook}` returned {what}: a before-hook returns an object (the new body) or nothing"
    )]
    Returned { hook: String, what: String },
    #[error("the hook engine failed: {0}")]
    Engine(String),
}

impl HookError {
    /// The HTTP status the API answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Rejected { status, .. } => *status,
            Self::Thrown { .. } => 422,
            Self::Timeout { .. }
            | Self::Memory { .. }
            | Self::Returned { .. }
            | Self::Engine(_) => 500,
        }
    }

    /// Whether a limit stopped the hook (its engine is then replaced).
    fn stopped(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. } | Self::Memory { .. } | Self::Engine(_)
        )
    }
}

/// The manifest's hooks, files read and checked.
#[derive(Debug, Default, PartialEq)]
pub struct HookSet {
    scripts: Vec<Arc<Script>>,
}

impl HookSet {
    /// Reads every hook's file (relative to `dir`, the manifest's folder)
    /// and runs its top level once in the sandbox; every problem as
    /// `file[:line:col]: message`.
    pub fn load(manifest: &Manifest, dir: &Path) -> Result<Self, Vec<String>> {
        let mut scripts = Vec::new();
        let mut problems = Vec::new();
        let mut engine = None;
        for hook in &manifest.hooks {
            let trigger = match hook.trigger() {
                Ok(trigger) => trigger,
                Err(message) => {
                    problems.push(format!("[[hooks]] on = {:?}: {message}", hook.on));
                    continue;
                }
            };
            let path = dir.join(&hook.run);
            let source = match std::fs::read_to_string(&path) {
                Ok(source) => source,
                Err(error) => {
                    problems.push(format!("{}: cannot read the hook: {error}", hook.run));
                    continue;
                }
            };
            let script = Script {
                on: hook.on.clone(),
                trigger,
                run: hook.run.clone(),
                path,
                source,
                timeout: hook
                    .timeout_ms
                    .map_or(DEFAULT_TIMEOUT, Duration::from_millis),
                memory_mb: hook.memory_mb.unwrap_or(DEFAULT_MEMORY_MB),
            };
            if engine.is_none() {
                engine = Some(Engine::new().map_err(|e| vec![e.to_string()])?);
            }
            if let Some(engine) = &engine
                && let Err(error) = engine.check(&script)
            {
                problems.push(describe(&error));
                continue;
            }
            scripts.push(Arc::new(script));
        }
        if problems.is_empty() {
            Ok(Self { scripts })
        } else {
            Err(problems)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// The hooks that run for `action` on `entity` in `phase`, in manifest
    /// order.
    pub fn matching<'a>(
        &'a self,
        entity: &'a str,
        action: &'a str,
        phase: HookPhase,
    ) -> impl Iterator<Item = &'a Arc<Script>> + 'a {
        self.scripts
            .iter()
            .filter(move |script| script.trigger.matches(entity, action, phase))
    }

    /// The folders the hook files are in (what a reload watches).
    pub fn folders(&self) -> Vec<PathBuf> {
        let mut folders: Vec<PathBuf> = self
            .scripts
            .iter()
            .filter_map(|script| script.path.parent().map(Path::to_path_buf))
            .collect();
        folders.sort();
        folders.dedup();
        folders
    }
}

/// `file:line:col: message` for a hook that failed to load.
pub fn describe(error: &HookError) -> String {
    match error {
        HookError::Thrown {
            message,
            at: Some(at),
            ..
        } => format!("{at}: {message}"),
        HookError::Thrown { hook, message, .. } | HookError::Rejected { hook, message, .. } => {
            format!("{hook}: {message}")
        }
        other => other.to_string(),
    }
}

/// One call for an engine thread.
struct Job {
    script: Arc<Script>,
    event: String,
    reply: tokio::sync::oneshot::Sender<Result<Option<String>, HookError>>,
}

/// The hooks being served and the engines that run them.
pub struct Hooks {
    current: RwLock<Arc<HookSet>>,
    pool: OnceLock<SyncSender<Job>>,
}

impl Default for Hooks {
    fn default() -> Self {
        Self {
            current: RwLock::new(Arc::new(HookSet::default())),
            pool: OnceLock::new(),
        }
    }
}

impl Hooks {
    /// The set requests use from now on.
    pub fn install(&self, set: HookSet) {
        let set = Arc::new(set);
        match self.current.write() {
            Ok(mut guard) => *guard = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }

    pub fn current(&self) -> Arc<HookSet> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Calls `script` with `event` on an engine thread; what it returned.
    pub async fn call(
        &self,
        script: &Arc<Script>,
        event: &Json,
    ) -> Result<Option<Json>, HookError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job {
            script: script.clone(),
            event: event.to_string(),
            reply,
        };
        match self.pool().try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(HookError::Engine(
                    "too many hook calls are waiting for an engine".into(),
                ));
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(HookError::Engine("the hook engines have stopped".into()));
            }
        }
        let text = answer
            .await
            .map_err(|_| HookError::Engine("the hook engine stopped during the call".into()))??;
        text.map(|text| {
            serde_json::from_str(&text).map_err(|error| {
                HookError::Engine(format!("the hook's value is not JSON: {error}"))
            })
        })
        .transpose()
    }

    fn pool(&self) -> &SyncSender<Job> {
        self.pool.get_or_init(|| {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<Job>(QUEUE);
            let receiver = Arc::new(Mutex::new(receiver));
            let threads = std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .clamp(2, 4);
            for i in 0..threads {
                let receiver = receiver.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("baas-hooks-{i}"))
                    .stack_size(4 * 1024 * 1024)
                    .spawn(move || work(&receiver));
                if let Err(error) = spawned {
                    tracing::error!("cannot start a hook engine thread: {error}");
                }
            }
            sender
        })
    }
}

/// An engine thread: one runtime, replaced after a call a limit stopped.
fn work(receiver: &Mutex<Receiver<Job>>) {
    let mut engine: Option<Engine> = None;
    loop {
        let job = match receiver.lock() {
            Ok(guard) => guard.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(job) = job else { return };
        if engine.is_none() {
            engine = match Engine::new() {
                Ok(engine) => Some(engine),
                Err(error) => {
                    let _ = job.reply.send(Err(error));
                    continue;
                }
            };
        }
        let Some(current) = &engine else { continue };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            current.run(&job.script, &job.event)
        }))
        .unwrap_or_else(|_| Err(HookError::Engine("the hook engine panicked".into())));
        if let Err(error) = &result
            && error.stopped()
        {
            engine = None;
        }
        let _ = job.reply.send(result);
    }
}
