//! What `baas serve` shares between requests: the [`Kernel`] (policy,
//! stores, events: one per process) and the served manifest with what is
//! derived from it ([`State`]: one per manifest version, swapped
//! atomically by a hot reload; each request keeps the snapshot it started
//! with).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use sha2::Digest as _;

use super::kernel::{Kernel, Schema};
use super::policy::Policy;
use super::policy::identity::{Identity, IdentityError};
use super::policy::rules::Rules;
use super::store::Store;
use super::store::resolver::{Single, StoreResolver};
use crate::manifest::Manifest;

/// The OpenAPI document of one manifest version, serialized once.
#[derive(Debug)]
pub struct OpenApi {
    pub body: Bytes,
    /// A strong validator of `body` (quoted, as the header carries it).
    pub etag: String,
}

impl OpenApi {
    /// Builds the document: CPU work proportional to the manifest, so it
    /// runs on the blocking pool, never on a request thread.
    fn build(manifest: &Manifest) -> Self {
        Self::of(&crate::codegen::openapi::document(manifest))
    }

    /// `document` serialized, with its validator.
    pub fn of(document: &serde_json::Value) -> Self {
        let body = serde_json::to_vec(document).unwrap_or_default();
        let digest = sha2::Sha256::digest(&body);
        let etag = format!(
            "\"{}\"",
            digest
                .iter()
                .take(12)
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        Self {
            body: Bytes::from(body),
            etag,
        }
    }
}

/// One manifest version as served.
pub struct State {
    pub schema: Schema,
    openapi: tokio::sync::OnceCell<Arc<OpenApi>>,
    /// The PostgREST profile's document (one profile per process).
    postgrest_openapi: tokio::sync::OnceCell<Arc<OpenApi>>,
    /// The verifier of `[auth]` (`None` without one); an error when it
    /// could not be built, and then every credential is refused.
    pub identity: Result<Option<Arc<Identity>>, Arc<IdentityError>>,
    /// The manifest as written; `schema.manifest` is what the API serves
    /// of it (without the built-in users' password field).
    source: Arc<Manifest>,
}

impl State {
    /// `manifest`, its `[auth]` files read relative to the current folder.
    pub fn new(manifest: Arc<Manifest>) -> Self {
        Self::new_in(manifest, Path::new("."))
    }

    /// `manifest`, its `[auth]` files and `.env` read relative to `dir`.
    pub fn new_in(manifest: Arc<Manifest>, dir: &Path) -> Self {
        let identity = Identity::from_manifest(&manifest, dir).map_err(Arc::new);
        Self {
            schema: Schema::new(served(&manifest)),
            openapi: tokio::sync::OnceCell::new(),
            postgrest_openapi: tokio::sync::OnceCell::new(),
            identity,
            source: manifest,
        }
    }

    /// The manifest the API serves: every entity route, query, discovery
    /// and the OpenAPI document read this one.
    pub fn manifest(&self) -> &Arc<Manifest> {
        &self.schema.manifest
    }

    /// The manifest as written in the file (the built-in users' password
    /// field included): what the database is compared and migrated with.
    pub fn source_manifest(&self) -> &Arc<Manifest> {
        &self.source
    }

    /// The OpenAPI document, built once per manifest version (concurrent
    /// callers wait for the one build).
    pub async fn openapi(&self) -> Arc<OpenApi> {
        self.openapi
            .get_or_init(|| async {
                let manifest = self.schema.manifest.clone();
                match tokio::task::spawn_blocking(move || OpenApi::build(&manifest)).await {
                    Ok(document) => Arc::new(document),
                    // The build panicked (a bug): build it here rather than
                    // answer nothing.
                    Err(_) => Arc::new(OpenApi::build(&self.schema.manifest)),
                }
            })
            .await
            .clone()
    }

    /// The PostgREST profile's document, made by `build` from the served
    /// manifest once per manifest version, as [`State::openapi`].
    pub async fn postgrest_openapi(
        &self,
        build: impl Fn(&Manifest) -> serde_json::Value + Clone + Send + 'static,
    ) -> Arc<OpenApi> {
        self.postgrest_openapi
            .get_or_init(|| async {
                let manifest = self.schema.manifest.clone();
                let again = build.clone();
                match tokio::task::spawn_blocking(move || OpenApi::of(&build(&manifest))).await {
                    Ok(document) => Arc::new(document),
                    Err(_) => Arc::new(OpenApi::of(&again(&self.schema.manifest))),
                }
            })
            .await
            .clone()
    }
}

/// What the API serves of `manifest` ([`Manifest::served`]), shared when
/// it is the same.
fn served(manifest: &Arc<Manifest>) -> Arc<Manifest> {
    match manifest.served() {
        std::borrow::Cow::Borrowed(_) => manifest.clone(),
        std::borrow::Cow::Owned(served) => Arc::new(served),
    }
}

/// The state shared by every request.
pub struct AppState {
    pub kernel: Kernel,
    current: RwLock<Arc<State>>,
    /// The manifest's folder: `[auth]` key files and `.env` are read there.
    dir: RwLock<PathBuf>,
    /// The served database, where the built-in users' refresh tokens are
    /// kept (set by `baas serve`).
    pub database: std::sync::OnceLock<crate::source::SourceLocation>,
    /// Whether the refresh-token table was made sure of.
    pub tokens_ready: tokio::sync::OnceCell<()>,
}

impl AppState {
    /// One store, the manifest's rules (everything allowed without rules
    /// and `[auth]`).
    pub fn new(manifest: Arc<Manifest>, store: Arc<dyn Store>) -> Arc<Self> {
        Self::with(manifest, Arc::new(Rules), Arc::new(Single(store)))
    }

    pub fn with(
        manifest: Arc<Manifest>,
        policy: Arc<dyn Policy>,
        stores: Arc<dyn StoreResolver>,
    ) -> Arc<Self> {
        let state = Arc::new(State::new(manifest));
        prepare(&state);
        Arc::new(Self {
            kernel: Kernel::new(policy, stores),
            current: RwLock::new(state),
            dir: RwLock::new(PathBuf::from(".")),
            database: std::sync::OnceLock::new(),
            tokens_ready: tokio::sync::OnceCell::new(),
        })
    }

    /// Reads `[auth]` files and `.env` relative to `dir` from now on, and
    /// builds the current manifest's verifier again there; the error of a
    /// broken `[auth]` (a secret unset, a key file missing).
    pub fn use_manifest_dir(&self, dir: &Path) -> Result<(), Arc<IdentityError>> {
        match self.dir.write() {
            Ok(mut guard) => *guard = dir.to_owned(),
            Err(poisoned) => *poisoned.into_inner() = dir.to_owned(),
        }
        let next = Arc::new(State::new_in(
            self.snapshot().source_manifest().clone(),
            dir,
        ));
        next.identity.clone()?;
        self.install(next);
        Ok(())
    }

    fn dir(&self) -> PathBuf {
        match self.dir.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The state a request works on from start to end.
    pub fn snapshot(&self) -> Arc<State> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Serves `manifest` from now on.
    pub fn swap_manifest(&self, manifest: Arc<Manifest>) {
        let next = Arc::new(State::new_in(manifest, &self.dir()));
        self.install(next);
    }

    /// Whether `manifest`'s `[auth]` can be served (its secrets set, its
    /// key files readable), before it is swapped in.
    pub fn check_auth(&self, manifest: &Manifest) -> Result<(), IdentityError> {
        Identity::from_manifest(manifest, &self.dir()).map(|_| ())
    }

    fn install(&self, next: Arc<State>) {
        prepare(&next);
        match self.current.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

/// Starts building what a state serves lazily (the OpenAPI document) in
/// the background, so the first request for it rarely waits.
fn prepare(state: &Arc<State>) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let state = state.clone();
        runtime.spawn(async move {
            state.openapi().await;
        });
    }
}
