//! The store of an upstream REST API (`[source] engine = "http"`, or
//! `baas serve --upstream URL`): list/get/create/update/delete call the
//! operations the OpenAPI import mapped (`[[api.operations]] action`).
//!
//! - **Client.** One pooled hyper client (HTTP/1.1 keep-alive, TLS through
//!   rustls), a timeout per call, retries with backoff on idempotent calls
//!   (GET, PUT, DELETE) that could not connect or got 502/503/504, a cap on
//!   calls in flight (a semaphore) and a circuit breaker that answers 503 at
//!   once while the upstream keeps failing.
//! - **Queries.** A filter, order and page are passed on when the list
//!   operation declares matching parameters (baas's own `where`/`order`, or
//!   a parameter named like the field for an equality); otherwise baas
//!   reads at most `max_pages` upstream pages and filters, orders and pages
//!   them itself, and says so in the `X-Baas-Filtered` response header
//!   (`local; complete=true|false`); the parts of the filter the
//!   parameters can say still go upstream ([`narrowing`]), so fewer pages
//!   are read. A short page of an upstream that
//!   caps its page size is followed by another: from the rows received
//!   ([`more_after`]), or at its next cursor or link.
//! - **Errors.** An upstream error keeps its status; its body is shown only
//!   with `[api.upstream] expose_errors = true`.
//! - **Credentials.** The caller's `Authorization` (`in = "forward"`; never
//!   baas's own service key) or a configured secret; neither is ever logged.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value as Json};
use tokio::sync::Semaphore;

use super::{ListResult, Outbox, Row, StoreError, Updated, Values, Verbatim};
use crate::manifest::{
    CredentialsIn, Entity, Manifest, Operation, OperationAction, PaginationStyle,
};
use crate::query::{Filter, ListQuery, Op, OrderBy, Value};
use crate::webhooks::outbox::Write;

/// The response header saying a list was filtered by baas.
pub const FILTERED_HEADER: &str = "x-baas-filtered";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_CONCURRENCY: usize = 64;
const DEFAULT_RETRIES: u64 = 2;
const DEFAULT_MAX_PAGES: u64 = 10;
/// Rows asked for per upstream page when baas reads pages itself.
const LOCAL_PAGE: u64 = 100;
/// Keys read at most by one list-by-ids call or by gets (`expand` asks
/// for fewer at a time).
pub(crate) const MAX_BY_KEY: usize = 100;
/// Gets in flight at once when a list by keys is read one key at a time.
const GETS_IN_FLIGHT: usize = 8;
/// Consecutive failures that open the circuit.
const BREAKER_FAILURES: u32 = 5;
const BREAKER_MIN: Duration = Duration::from_secs(1);
const BREAKER_MAX: Duration = Duration::from_secs(30);

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// What the HTTP layer hands the store for one request: the caller's
/// `Authorization` (for `in = "forward"`), whether that credential is
/// baas's own service key (never forwarded: it is a secret of this server,
/// not the upstream's), and where the store notes that it filtered a list
/// itself.
#[derive(Debug, Default)]
pub struct Caller {
    pub authorization: Option<HeaderValue>,
    pub service: std::sync::atomic::AtomicBool,
    pub filtered: Mutex<Option<String>>,
}

tokio::task_local! {
    static CALLER: Arc<Caller>;
}

/// The way of a request on a server in upstream mode: `run` (the rest of
/// it) with its [`Caller`] in scope, and [`FILTERED_HEADER`] added when the
/// store filtered locally.
pub async fn scope<F: Future<Output = axum::response::Response>>(
    request: axum::extract::Request,
    run: impl FnOnce(axum::extract::Request) -> F,
) -> axum::response::Response {
    let caller = Arc::new(Caller {
        authorization: request.headers().get(header::AUTHORIZATION).cloned(),
        ..Caller::default()
    });
    let mut response = CALLER.scope(caller.clone(), run(request)).await;
    let note = caller.filtered.lock().ok().and_then(|mut note| note.take());
    if let Some(note) = note
        && let Ok(value) = HeaderValue::from_str(&note)
    {
        response.headers_mut().insert(FILTERED_HEADER, value);
    }
    response
}

pub(crate) fn caller() -> Option<Arc<Caller>> {
    CALLER.try_with(Arc::clone).ok()
}

/// Called by the identity layer when the request's credential is the
/// service key: the caller's `Authorization` stays in baas.
pub(crate) fn withhold_authorization() {
    if let Some(caller) = caller() {
        caller
            .service
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Where and how credentials go upstream, resolved from the environment.
#[derive(Clone)]
enum Credential {
    Forward,
    Header(String, HeaderValue),
    Query(String, String),
}

/// Kept-alive HTTP/1.1 connections to the upstream. A call takes an idle
/// connection (the last one put back first) or opens one, and puts it back
/// once it read the whole answer. A connection is driven by the call that
/// holds it, inside that call's task: a call spawns nothing and wakes no
/// other task, and the `Host` header and the origin are made once. An
/// idle connection is polled once when it is taken, so one the upstream
/// closed meanwhile is dropped then; connections idle longer than
/// [`IDLE_TIMEOUT`] are dropped too.
struct Pool {
    connector: Connector,
    /// The scheme and authority the connector connects to.
    origin: axum::http::Uri,
    /// `Host`: the base URL's host, and its port unless it is the default.
    host: HeaderValue,
    /// Idle connections, the oldest first.
    idle: Mutex<std::collections::VecDeque<(Kept, Instant)>>,
}

type Io = hyper_rustls::MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

/// One open connection: the handle requests are sent on, and the state
/// machine that reads and writes the socket (polled by the call using it).
struct Kept {
    sender: SendRequest<Full<Bytes>>,
    driver: Option<Connection<Io, Full<Bytes>>>,
}

/// Runs the I/O of a connection (`driver`) while `exchange` runs, until
/// the exchange is done. A connection that closes meanwhile is dropped,
/// which fails an exchange still waiting on it.
async fn drive<T>(
    driver: &mut Option<Connection<Io, Full<Bytes>>>,
    exchange: impl Future<Output = T>,
) -> T {
    let mut exchange = std::pin::pin!(exchange);
    std::future::poll_fn(|cx| {
        if let Some(connection) = driver.as_mut()
            && let Poll::Ready(result) = Pin::new(connection).poll(cx)
        {
            if let Err(error) = result {
                tracing::debug!(target: "baas::serve", "an upstream connection ended: {error}");
            }
            *driver = None;
        }
        exchange.as_mut().poll(cx)
    })
    .await
}

impl Kept {
    /// Whether the connection is still open (the driver is polled once,
    /// to read a close the upstream sent while it was idle).
    fn is_open(&mut self) -> bool {
        let Some(driver) = &mut self.driver else {
            return false;
        };
        let mut cx = Context::from_waker(std::task::Waker::noop());
        if Pin::new(driver).poll(&mut cx).is_ready() {
            self.driver = None;
            return false;
        }
        !self.sender.is_closed()
    }
}

/// Idle connections kept at most, and for how long.
const MAX_IDLE: usize = 256;
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How one attempt at a call on a connection ended.
enum Sent {
    Answered(Answer),
    /// Not sent: the connection closed first. The request, to send again.
    Unsent(Box<Request<Full<Bytes>>>),
    Failed(Failure),
}

impl Pool {
    fn new(connector: Connector, base: &url::Url) -> anyhow::Result<Self> {
        let host = base
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("the upstream base URL `{base}` names no host"))?;
        let authority = match base.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let origin = axum::http::Uri::builder()
            .scheme(base.scheme())
            .authority(authority.as_str())
            .path_and_query("/")
            .build()?;
        Ok(Self {
            connector,
            origin,
            host: HeaderValue::from_str(&authority)?,
            idle: Mutex::new(std::collections::VecDeque::new()),
        })
    }

    /// An idle connection that is still open, if there is one.
    fn take(&self) -> Option<Kept> {
        loop {
            let (mut kept, since) = self.idle.lock().ok()?.pop_back()?;
            if since.elapsed() < IDLE_TIMEOUT && kept.is_open() {
                return Some(kept);
            }
        }
    }

    /// Puts a connection that read its whole answer back, and drops the
    /// ones idle for too long.
    fn put(&self, mut kept: Kept) {
        if !kept.is_open() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            let now = Instant::now();
            while idle
                .front()
                .is_some_and(|(_, since)| now.duration_since(*since) >= IDLE_TIMEOUT)
            {
                idle.pop_front();
            }
            if idle.len() < MAX_IDLE {
                idle.push_back((kept, now));
            }
        }
    }

    async fn connect(&self) -> Result<Kept, Failure> {
        use tower::ServiceExt as _;
        let io = self
            .connector
            .clone()
            .oneshot(self.origin.clone())
            .await
            .map_err(|error| Failure::Connect(error.to_string()))?;
        let (sender, driver) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|error| Failure::Connect(error.to_string()))?;
        Ok(Kept {
            sender,
            driver: Some(driver),
        })
    }

    /// Sends `request` (origin-form URI, `Host` set here) on an idle
    /// connection or a new one, reads the whole answer, and puts the
    /// connection back. A request an idle connection could not send (the
    /// upstream closed it meanwhile) is sent on a new one.
    async fn exchange(&self, mut request: Request<Full<Bytes>>) -> Result<Answer, Failure> {
        request
            .headers_mut()
            .insert(header::HOST, self.host.clone());
        loop {
            let (mut kept, fresh) = match self.take() {
                Some(kept) => (kept, false),
                // Boxed: rare on kept-alive connections, and large.
                None => (Box::pin(self.connect()).await?, true),
            };
            let Kept { sender, driver } = &mut kept;
            let sent = drive(driver, Self::send(sender, request)).await;
            match sent {
                Sent::Answered(answer) => {
                    self.put(kept);
                    return Ok(answer);
                }
                Sent::Unsent(unsent) if !fresh => request = *unsent,
                Sent::Unsent(_) => {
                    return Err(Failure::Connect(
                        "the connection closed before the request was sent".to_owned(),
                    ));
                }
                Sent::Failed(failure) => return Err(failure),
            }
        }
    }

    /// One request on one connection, its whole answer read.
    async fn send(sender: &mut SendRequest<Full<Bytes>>, request: Request<Full<Bytes>>) -> Sent {
        if sender.ready().await.is_err() {
            return Sent::Unsent(Box::new(request));
        }
        let response = match sender.try_send_request(request).await {
            Ok(response) => response,
            Err(mut error) => {
                return match error.take_message() {
                    Some(unsent) => Sent::Unsent(Box::new(unsent)),
                    None => Sent::Failed(Failure::Other(error.into_error().to_string())),
                };
            }
        };
        let status = response.status();
        let link = response
            .headers()
            .get(header::LINK)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        match response.into_body().collect().await {
            Ok(body) => Sent::Answered(Answer {
                status,
                link,
                body: body.to_bytes(),
            }),
            Err(error) => Sent::Failed(Failure::Other(error.to_string())),
        }
    }
}

/// The upstream store.
pub struct HttpStore {
    pool: Pool,
    base: String,
    /// `base` parsed once: a call's URL is this one with its path set
    /// (parsing the whole URL per call was a visible share of a get).
    base_url: url::Url,
    timeout: Duration,
    retries: u64,
    max_pages: u64,
    expose_errors: bool,
    credential: Option<Credential>,
    permits: Semaphore,
    breaker: Mutex<Breaker>,
    /// The local outbox of `[[webhooks]]` ([`outbox_path`]), opened on the
    /// first write that has a delivery to record.
    outbox: Option<Sidecar>,
}

/// The SQLite file beside the manifest that keeps the webhook outbox (and
/// the built-in users' sessions) of a server in upstream mode: the
/// upstream has no database of baas's to hold them.
pub fn outbox_path(folder: &std::path::Path) -> std::path::PathBuf {
    folder.join(".baas").join("outbox.sqlite3")
}

/// The outbox file and its connection, opened once.
struct Sidecar {
    path: std::path::PathBuf,
    connection: tokio::sync::OnceCell<Arc<Mutex<rusqlite::Connection>>>,
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    pause: Duration,
}

/// An upstream answer: status, headers we read, body.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) link: Option<String>,
    pub(crate) body: Bytes,
}

impl HttpStore {
    /// A store for `manifest`'s upstream at `base` (no trailing `/`);
    /// `env` resolves `${VAR}` in the credentials.
    pub fn new(
        manifest: &Manifest,
        base: &str,
        env: &dyn Fn(&str) -> anyhow::Result<String>,
    ) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(base).map_err(|error| {
            anyhow::anyhow!(
                "the upstream base URL `{base}` is not an absolute URL ({error}): pass `--upstream http://host:port` or set `[source] url`"
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            anyhow::bail!("the upstream base URL `{base}` is not http:// or https://");
        }
        let upstream = manifest
            .api
            .as_ref()
            .and_then(|api| api.upstream.clone())
            .unwrap_or_default();
        let credential = match &upstream.credentials {
            None => None,
            Some(credentials) => {
                let value = match &credentials.value {
                    Some(reference) => env(reference)?,
                    None => String::new(),
                };
                let name = credentials.name.clone().unwrap_or_default();
                let header_value = |text: String| {
                    HeaderValue::from_str(&text).map(|mut value| {
                        value.set_sensitive(true);
                        value
                    })
                };
                Some(match credentials.location {
                    CredentialsIn::Forward => Credential::Forward,
                    CredentialsIn::Bearer => Credential::Header(
                        header::AUTHORIZATION.to_string(),
                        header_value(format!("Bearer {value}"))?,
                    ),
                    CredentialsIn::Basic => {
                        use base64::Engine as _;
                        let encoded = base64::engine::general_purpose::STANDARD.encode(value);
                        Credential::Header(
                            header::AUTHORIZATION.to_string(),
                            header_value(format!("Basic {encoded}"))?,
                        )
                    }
                    CredentialsIn::Header => Credential::Header(name, header_value(value)?),
                    CredentialsIn::Query => Credential::Query(name, value),
                })
            }
        };
        // Small requests and answers on kept-alive connections: no Nagle
        // delay between baas and the upstream.
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let concurrency = upstream
            .max_concurrency
            .map_or(DEFAULT_CONCURRENCY, |n| {
                usize::try_from(n).unwrap_or(usize::MAX)
            })
            .min(Semaphore::MAX_PERMITS);
        let base = base.trim_end_matches('/').to_owned();
        let base_url = url::Url::parse(&base).map_err(|error| {
            anyhow::anyhow!("the upstream base URL `{base}` is not an absolute URL ({error})")
        })?;
        let pool = Pool::new(connector, &base_url)?;
        Ok(Self {
            pool,
            base,
            base_url,
            timeout: upstream
                .timeout_seconds
                .map_or(DEFAULT_TIMEOUT, Duration::from_secs),
            retries: upstream.retries.unwrap_or(DEFAULT_RETRIES),
            max_pages: upstream.max_pages.unwrap_or(DEFAULT_MAX_PAGES),
            expose_errors: upstream.expose_errors,
            credential,
            permits: Semaphore::new(concurrency),
            breaker: Mutex::new(Breaker::default()),
            outbox: None,
        })
    }

    /// Records the deliveries of `[[webhooks]]` in the SQLite file at
    /// `path` ([`outbox_path`]), where the webhook worker reads them.
    pub fn with_outbox(mut self, path: std::path::PathBuf) -> Self {
        self.outbox = Some(Sidecar {
            path,
            connection: tokio::sync::OnceCell::new(),
        });
        self
    }

    /// Records one write's deliveries, after the upstream made it: the
    /// upstream has no transaction to share, so a crash between its answer
    /// and this insert loses them (documented).
    pub(crate) async fn record_deliveries(
        &self,
        manifest: &Manifest,
        entity: &str,
        outbox: &Outbox,
        write: crate::webhooks::outbox::Write,
        old: Option<&Row>,
        new: Option<&Row>,
    ) -> Result<(), StoreError> {
        if outbox.is_empty() {
            return Ok(());
        }
        let Some(sidecar) = &self.outbox else {
            return Ok(());
        };
        let entries = outbox.entries(entity, entity_of(manifest, entity)?, write, old, new);
        let fail = |error: anyhow::Error| {
            StoreError::Internal(error.context(format!(
                "cannot record the webhook deliveries in `{}`",
                sidecar.path.display()
            )))
        };
        let connection = sidecar
            .connection
            .get_or_try_init(|| {
                let path = sidecar.path.clone();
                async move {
                    tokio::task::spawn_blocking(move || open_outbox(&path))
                        .await
                        .map_err(anyhow::Error::from)?
                }
            })
            .await
            .map_err(fail)?
            .clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let connection = connection
                .lock()
                .map_err(|_| anyhow::anyhow!("the outbox connection lock is poisoned"))?;
            let (sql, values) = crate::webhooks::outbox::insert_statement(
                crate::query::sql::SqlDialect::Sqlite,
                &entries,
            );
            connection.execute(
                &sql,
                rusqlite::params_from_iter(super::sqlite::sqlite_params(&values)),
            )?;
            Ok(())
        })
        .await
        .map_err(|error| fail(error.into()))?
        .map_err(fail)
    }

    /// Upstream pages read at most for one list.
    pub(crate) fn max_pages(&self) -> u64 {
        self.max_pages
    }

    /// Whether problems carry the upstream's own error message.
    pub(crate) fn expose_errors(&self) -> bool {
        self.expose_errors
    }

    // -- calls -------------------------------------------------------------

    /// One upstream call, with the cap, the breaker, the timeout and the
    /// retries of idempotent methods.
    async fn call(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&Json>,
    ) -> Result<Answer, StoreError> {
        let idempotent = matches!(
            method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        );
        self.call_as(method, url, body, idempotent).await
    }

    /// [`HttpStore::call`], saying whether the call may be retried (a
    /// GraphQL query is posted, yet idempotent).
    pub(crate) async fn call_as(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&Json>,
        idempotent: bool,
    ) -> Result<Answer, StoreError> {
        // The credential (configured or forwarded) goes to the upstream's
        // own origin only: a paging link or a key never sends it elsewhere.
        if !same_origin(&url, &self.base_url) {
            return Err(upstream_error(
                StatusCode::BAD_GATEWAY,
                format!(
                    "the upstream pointed baas at another origin ({}), which is not called",
                    url.origin().ascii_serialization()
                ),
            ));
        }
        self.admit()?;
        // A free permit is taken at once; only a wait for one is timed.
        // The slow paths (a wait, a retry's pause) are boxed: the future
        // of every call stays small, a copy of it cheap.
        let _permit = match self.permits.try_acquire() {
            Ok(permit) => permit,
            Err(_) => Box::pin(self.wait_for_permit()).await?,
        };
        let bytes = match body {
            Some(body) => {
                Bytes::from(serde_json::to_vec(body).map_err(|e| StoreError::Internal(e.into()))?)
            }
            None => Bytes::new(),
        };
        let mut attempt = 0;
        loop {
            let outcome = self
                .once(&method, &url, body.is_some(), bytes.clone())
                .await;
            let retry = match &outcome {
                Err(Failure::Connect(_)) => true,
                Ok(answer) => matches!(answer.status.as_u16(), 502..=504),
                Err(_) => false,
            };
            if idempotent && retry && attempt < self.retries {
                attempt += 1;
                Box::pin(tokio::time::sleep(Duration::from_millis(
                    50 << attempt.min(6),
                )))
                .await;
                continue;
            }
            let failed = match &outcome {
                Ok(answer) => answer.status.is_server_error(),
                Err(_) => true,
            };
            self.record(failed);
            return outcome.map_err(|failure| failure.into_error(&method, &url, self.timeout));
        }
    }

    /// A permit to call, when all are taken: waited for at most the
    /// call's timeout.
    async fn wait_for_permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, StoreError> {
        tokio::time::timeout(self.timeout, self.permits.acquire())
            .await
            .map_err(|_| {
                upstream_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many upstream calls are in flight".to_owned(),
                )
            })?
            .map_err(|_| StoreError::Internal(anyhow::anyhow!("the upstream semaphore is closed")))
    }

    async fn once(
        &self,
        method: &Method,
        url: &url::Url,
        json: bool,
        body: Bytes,
    ) -> Result<Answer, Failure> {
        let mut url = std::borrow::Cow::Borrowed(url);
        let mut request = Request::builder().method(method.clone());
        match &self.credential {
            Some(Credential::Header(name, value)) => {
                request = request.header(name.as_str(), value.clone());
            }
            Some(Credential::Query(name, value)) => {
                url.to_mut().query_pairs_mut().append_pair(name, value);
            }
            Some(Credential::Forward) => {
                let forwarded = caller().and_then(|caller| {
                    let service = caller.service.load(std::sync::atomic::Ordering::Relaxed);
                    caller.authorization.clone().filter(|_| !service)
                });
                if let Some(value) = forwarded {
                    request = request.header(header::AUTHORIZATION, value);
                }
            }
            None => {}
        }
        // Origin-form: the connection is the upstream's already.
        let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
        request = request
            .uri(target.to_owned())
            .header(header::ACCEPT, HeaderValue::from_static("application/json"));
        if json {
            request = request.header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        let request = request
            .body(Full::new(body))
            .map_err(|error| Failure::Other(error.to_string()))?;
        tokio::time::timeout(self.timeout, self.pool.exchange(request))
            .await
            .map_err(|_| Failure::Timeout)?
    }

    /// Refuses at once while the circuit is open.
    pub(crate) fn admit(&self) -> Result<(), StoreError> {
        let Ok(breaker) = self.breaker.lock() else {
            return Ok(());
        };
        match breaker.open_until {
            Some(until) if Instant::now() < until => Err(upstream_error(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the upstream API keeps failing: calls are paused for {} s",
                    until
                        .saturating_duration_since(Instant::now())
                        .as_secs()
                        .max(1)
                ),
            )),
            _ => Ok(()),
        }
    }

    fn record(&self, failed: bool) {
        let Ok(mut breaker) = self.breaker.lock() else {
            return;
        };
        if !failed {
            *breaker = Breaker::default();
            return;
        }
        breaker.failures += 1;
        if breaker.failures >= BREAKER_FAILURES {
            breaker.pause = (breaker.pause * 2).clamp(BREAKER_MIN, BREAKER_MAX);
            breaker.open_until = Some(Instant::now() + breaker.pause);
            breaker.failures = 0;
        }
    }

    /// A JSON answer, or the problem an error status or a bad body is.
    fn json(&self, operation: &Operation, answer: &Answer) -> Result<Json, StoreError> {
        if !answer.status.is_success() {
            return Err(self.error_of(operation, answer));
        }
        if answer.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Json::Null);
        }
        serde_json::from_slice(&answer.body).map_err(|error| {
            upstream_error(
                StatusCode::BAD_GATEWAY,
                format!(
                    "the upstream `{} {}` answered a body that is not JSON ({error})",
                    operation.method, operation.path
                ),
            )
        })
    }

    fn error_of(&self, operation: &Operation, answer: &Answer) -> StoreError {
        let mut detail = format!(
            "the upstream `{} {}` answered {}",
            operation.method, operation.path, answer.status
        );
        if self.expose_errors {
            let body: Option<Json> = serde_json::from_slice(&answer.body).ok();
            let message = operation
                .error
                .as_deref()
                .and_then(|pointer| body.as_ref()?.pointer(pointer))
                .and_then(Json::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&answer.body)
                        .chars()
                        .take(500)
                        .collect()
                });
            detail.push_str(": ");
            detail.push_str(&message);
        }
        upstream_error(answer.status, detail)
    }

    // -- operations --------------------------------------------------------

    fn url(&self, operation: &Operation, key: Option<&[Value]>) -> Result<url::Url, StoreError> {
        let mut path = operation.path.clone();
        if let Some(key) = key
            && let (Some(open), Some(close)) = (path.rfind('{'), path.rfind('}'))
            && open < close
        {
            let text: Vec<String> = key.iter().map(key_text).collect();
            let segment = text.join(",");
            // `.` and `..` (however encoded) are dot segments to a URL:
            // they would call another path of the upstream, not this key.
            // So are they between a `/` or `\` a proxy or server decodes
            // before it routes (`..%2F..`, `..%5C..`), or once the key is
            // decoded again (`%2e%2e`, sent as `%252e%252e`).
            if walks(&segment) || crate::query::percent_decode(&segment).is_some_and(|d| walks(&d))
            {
                return Err(StoreError::Query(crate::query::QueryError {
                    at: "key".into(),
                    message: format!("`{segment}` cannot be a key of an upstream row"),
                }));
            }
            path.replace_range(open..=close, &encode_segment(&segment));
        }
        self.join(&path)
    }

    /// The base URL with `path` (from the manifest, `/` first) after its own
    /// path, as `{base}{path}` would read.
    pub(crate) fn join(&self, path: &str) -> Result<url::Url, StoreError> {
        let plain = self.base_url.query().is_none()
            && self.base_url.fragment().is_none()
            && path.starts_with('/')
            && !path.contains(['?', '#']);
        if !plain {
            return url::Url::parse(&format!("{}{path}", self.base)).map_err(|error| {
                StoreError::Internal(anyhow::anyhow!("bad upstream URL: {error}"))
            });
        }
        let mut url = self.base_url.clone();
        let prefix = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{prefix}{path}"));
        Ok(url)
    }

    async fn fetch_row(
        &self,
        manifest: &Manifest,
        entity: &str,
        key: &[Value],
    ) -> Result<Option<Row>, StoreError> {
        let operation = find(manifest, entity, &[OperationAction::Get])?;
        let answer = self
            .call(Method::GET, self.url(operation, Some(key))?, None)
            .await?;
        self.row_answer(entity_of(manifest, entity)?, operation, &answer)
    }

    /// The row of a `get` answer (`None` for a 404).
    fn row_answer(
        &self,
        entity: &Entity,
        operation: &Operation,
        answer: &Answer,
    ) -> Result<Option<Row>, StoreError> {
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let json = self.json(operation, answer)?;
        Ok(Some(row_of(entity, json)?))
    }

    /// A `get` answered with the upstream's body when that body is exactly
    /// the row (the manifest's fields, in order: another baas's answer).
    async fn get_row_verbatim(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        key: &[Value],
    ) -> Result<Verbatim<Option<Row>>, StoreError> {
        let operation = find(manifest, entity, &[OperationAction::Get])?;
        let definition = entity_of(manifest, entity)?;
        let answer = self
            .call(Method::GET, self.url(operation, Some(key))?, None)
            .await?;
        if answer.status == StatusCode::OK && verbatim::row(definition, &answer.body) {
            return Ok(Verbatim::Body(answer.body));
        }
        self.row_answer(definition, operation, &answer)
            .map(Verbatim::Parsed)
    }

    /// A list answered with the upstream's body (or its array in baas's
    /// envelope) when the upstream took the whole query and its rows are
    /// exactly the manifest's fields; otherwise as [`HttpStore::list_rows`].
    async fn list_rows_verbatim(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        query: &ListQuery,
    ) -> Result<Verbatim<ListResult>, StoreError> {
        let operation = find(manifest, entity, &[OperationAction::List])?;
        let definition = entity_of(manifest, entity)?;
        let url = match self.passed_on(operation, query)? {
            Some(url) if query.select.is_none() => url,
            // Boxed, as the pages read after a short answer below: the
            // future of the common call stays small.
            _ => {
                return Box::pin(self.list_rows(manifest, entity, query))
                    .await
                    .map(Verbatim::Parsed);
            }
        };
        let answer = self.call(Method::GET, url.clone(), None).await?;
        if answer.status == StatusCode::OK
            && let Some(body) = verbatim::list(definition, operation, query.count, &answer.body)
            && !short_of_capped(operation, query, &answer.body)
        {
            return Ok(Verbatim::Body(body));
        }
        Box::pin(self.passed_pages(definition, operation, query, url, answer))
            .await
            .map(Verbatim::Parsed)
    }

    async fn list_rows(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        query: &ListQuery,
    ) -> Result<ListResult, StoreError> {
        let operation = find(manifest, entity, &[OperationAction::List])?;
        let definition = entity_of(manifest, entity)?;
        if let Some(url) = self.passed_on(operation, query)? {
            let answer = self.call(Method::GET, url.clone(), None).await?;
            return self
                .passed_pages(definition, operation, query, url, answer)
                .await;
        }
        if let Some(rows) = self
            .by_keys(manifest, entity, definition, operation, query)
            .await?
        {
            return Ok(finish_locally(definition, rows, query, true));
        }
        self.list_locally(definition, operation, query).await
    }

    /// The rows of an upstream answer to a query it took whole.
    fn passed_answer(
        &self,
        definition: &Entity,
        operation: &Operation,
        query: &ListQuery,
        answer: &Answer,
    ) -> Result<ListResult, StoreError> {
        let json = self.json(operation, answer)?;
        let count = query
            .count
            .then(|| json.get("count").and_then(Json::as_u64))
            .flatten();
        let rows = rows_of(definition, operation, json)?;
        let rows = match &query.select {
            None => rows,
            Some(_) => rows.into_iter().map(|row| select(row, query)).collect(),
        };
        Ok(ListResult { rows, count })
    }

    /// The rows of a query passed on whole (`url`, first answered by
    /// `answer`). An upstream that is not baas may cap its pages: a short
    /// answer is read on until the page is full, and says `upstream;
    /// complete=false` when `max_pages` ran out first. An offset- or
    /// page-paged one goes on from the rows received when [`more_after`]
    /// does not take the short page as the last; a cursor- or link-paged
    /// one follows the next cursor or `next` link while there is one (a
    /// link to another origin is never followed). A page-paged query past
    /// its first page cannot be continued (the upstream's pages are of its
    /// own size) and is read locally.
    async fn passed_pages(
        &self,
        definition: &Entity,
        operation: &Operation,
        query: &ListQuery,
        url: url::Url,
        answer: Answer,
    ) -> Result<ListResult, StoreError> {
        let Some(pagination) = operation.pagination.as_ref().filter(|_| capped(operation)) else {
            return self.passed_answer(definition, operation, query, &answer);
        };
        let mut rows: Vec<Row> = Vec::new();
        let mut largest: u64 = 0;
        let mut seen_pages: Vec<u64> = Vec::new();
        let mut answer = answer;
        for page in 1.. {
            let json = self.json(operation, &answer)?;
            let print = fingerprint(&answer.body);
            if seen_pages.contains(&print) {
                note_filtered("upstream; complete=false".to_owned());
                break;
            }
            seen_pages.push(print);
            let received = rows.len() as u64;
            let (named, total) = more_hint(&json, &answer);
            let onward = next_of(pagination, &json, &answer);
            let page_rows = rows_of(definition, operation, json)?;
            let count = page_rows.len() as u64;
            rows.extend(page_rows);
            if received + count >= query.limit {
                break;
            }
            let received = rows.len() as u64;
            let next = match pagination.style {
                PaginationStyle::Cursor | PaginationStyle::Link => {
                    let Some(onward) = onward.filter(|_| count > 0) else {
                        break;
                    };
                    self.onward_url(pagination, &url, &onward)
                }
                PaginationStyle::Offset | PaginationStyle::Page => {
                    let signalled =
                        named || total.is_some_and(|total| total > query.offset + received);
                    if !more_after(count, query.limit, largest, signalled) {
                        break;
                    }
                    largest = largest.max(count);
                    let moved = match pagination.style {
                        PaginationStyle::Page if query.offset > 0 => {
                            return self.list_locally(definition, operation, query).await;
                        }
                        PaginationStyle::Page => pagination
                            .page
                            .as_ref()
                            .map(|name| (name, (page + 1).to_string())),
                        _ => pagination
                            .offset
                            .as_ref()
                            .map(|name| (name, (query.offset + received).to_string())),
                    };
                    // The same call with the offset (or page) moved on; the
                    // size asked stays (a page's number counts pages of
                    // that size).
                    moved.map(|(name, value)| with_parameter(&url, name, &value))
                }
            };
            let (Some(next), false) = (next, page >= self.max_pages) else {
                note_filtered("upstream; complete=false".to_owned());
                break;
            };
            answer = self.call(Method::GET, next, None).await?;
        }
        let rows = rows
            .into_iter()
            .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
            .map(|row| match &query.select {
                None => row,
                Some(_) => select(row, query),
            })
            .collect();
        Ok(ListResult { rows, count: None })
    }

    /// The call after `url` of a cursor- or link-paged list: `url` with its
    /// cursor parameter set to `onward`, or the `next` link `onward`
    /// resolved against it; none for a link to another origin (the
    /// credential would go with it), which is not followed.
    fn onward_url(
        &self,
        pagination: &crate::manifest::Pagination,
        url: &url::Url,
        onward: &str,
    ) -> Option<url::Url> {
        match pagination.style {
            PaginationStyle::Link => {
                let next = url.join(onward).ok()?;
                if same_origin(&next, &self.base_url) {
                    return Some(next);
                }
                tracing::warn!(
                    target: "baas::upstream",
                    "the upstream's next page is on another origin; not followed"
                );
                None
            }
            _ => Some(with_parameter(url, pagination.cursor.as_deref()?, onward)),
        }
    }

    /// The rows of a list whose filter names their keys (`id in (..)`, as
    /// `expand` asks for the rows it nests): one call with the keys where
    /// the list operation declares a list-by-ids parameter (`ids`,
    /// `id_in`...), else one `get` per key, a few at a time. `None` when
    /// the filter names no keys or too many.
    async fn by_keys(
        &self,
        manifest: &Manifest,
        entity: &str,
        definition: &Entity,
        operation: &Operation,
        query: &ListQuery,
    ) -> Result<Option<Vec<Row>>, StoreError> {
        let [key] = definition.primary_key.as_slice() else {
            return Ok(None);
        };
        let Some(keys) = query.filter.as_ref().and_then(|f| key_list(f, key)) else {
            return Ok(None);
        };
        if keys.len() > MAX_BY_KEY {
            return Ok(None);
        }
        if keys.is_empty() {
            return Ok(Some(Vec::new()));
        }
        if let Some(parameter) = ids_parameter(operation, key) {
            let mut url = self.url(operation, None)?;
            {
                let text: Vec<String> = keys.iter().map(key_text).collect();
                let mut pairs = url.query_pairs_mut();
                pairs.append_pair(parameter, &text.join(","));
                if let Some(size) = operation.pagination.as_ref().and_then(|p| p.limit.as_ref()) {
                    pairs.append_pair(size, &keys.len().to_string());
                }
            }
            let answer = self.call(Method::GET, url, None).await?;
            let json = self.json(operation, &answer)?;
            return Ok(Some(rows_of(definition, operation, json)?));
        }
        if find(manifest, entity, &[OperationAction::Get]).is_err() {
            return Ok(None);
        }
        let rows = each_key(keys, |key| async move {
            self.fetch_row(manifest, entity, &[key]).await
        })
        .await?;
        Ok(Some(rows))
    }

    /// The URL of one upstream call answering `query` whole, when the
    /// operation can take its filter, order and page.
    fn passed_on(
        &self,
        operation: &Operation,
        query: &ListQuery,
    ) -> Result<Option<url::Url>, StoreError> {
        let declares = |name: &str| declares(operation, name);
        let baas = speaks_baas(operation);
        let mut url = self.url(operation, None)?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(filter) = &query.filter {
            if baas {
                let Some(json) = filter_json(filter) else {
                    return Ok(None);
                };
                pairs.push(("where".to_owned(), json.to_string()));
            } else {
                let Some(equalities) = equalities(filter) else {
                    return Ok(None);
                };
                for (field, value) in equalities {
                    if !declares(&field) {
                        return Ok(None);
                    }
                    pairs.push((field, key_text(&value)));
                }
            }
        }
        if !query.order.is_empty() {
            if !baas {
                return Ok(None);
            }
            let order: Vec<String> = query.order.iter().map(order_text).collect();
            pairs.push(("order".to_owned(), order.join(",")));
        }
        if query.count {
            if !baas {
                return Ok(None);
            }
            pairs.push(("count".to_owned(), "exact".to_owned()));
        }
        match &operation.pagination {
            Some(pagination) => {
                let size = pagination.limit.clone();
                match pagination.style {
                    PaginationStyle::Offset => {
                        if let Some(size) = size {
                            pairs.push((size, query.limit.to_string()));
                        }
                        if let Some(offset) = &pagination.offset {
                            pairs.push((offset.clone(), query.offset.to_string()));
                        }
                    }
                    PaginationStyle::Page => {
                        let Some(size) = size else {
                            return Ok(None);
                        };
                        if query.limit == 0 || !query.offset.is_multiple_of(query.limit) {
                            return Ok(None);
                        }
                        pairs.push((size, query.limit.to_string()));
                        if let Some(page) = &pagination.page {
                            pairs
                                .push((page.clone(), (query.offset / query.limit + 1).to_string()));
                        }
                    }
                    PaginationStyle::Cursor | PaginationStyle::Link => {
                        let Some(size) = size else {
                            return Ok(None);
                        };
                        if query.offset != 0 {
                            return Ok(None);
                        }
                        pairs.push((size, query.limit.to_string()));
                    }
                }
            }
            // No paging parameters: one answer is every row, paged by baas.
            None => return Ok(None),
        }
        url.query_pairs_mut().extend_pairs(pairs);
        Ok(Some(url))
    }

    /// Reads up to `max_pages` pages and filters, orders and pages them here.
    async fn list_locally(
        &self,
        entity: &Entity,
        operation: &Operation,
        query: &ListQuery,
    ) -> Result<ListResult, StoreError> {
        let mut rows: Vec<Row> = Vec::new();
        let mut complete = false;
        let mut seen_pages: Vec<u64> = Vec::new();
        let mut next_url: Option<url::Url> = None;
        let mut cursor: Option<String> = None;
        // Rows received so far (the next offset) and the largest page the
        // upstream gave: a page under its cap is not the last.
        let mut received: u64 = 0;
        let mut largest: u64 = 0;
        let narrowing = narrowing(operation, query.filter.as_ref());
        for page in 0..self.max_pages {
            let url = match next_url.take() {
                Some(url) => url,
                None => {
                    let mut url = self.url(operation, None)?;
                    if !narrowing.is_empty() {
                        url.query_pairs_mut().extend_pairs(&narrowing);
                    }
                    if let Some(pagination) = &operation.pagination {
                        let mut pairs = url.query_pairs_mut();
                        if let Some(size) = &pagination.limit {
                            pairs.append_pair(size, &LOCAL_PAGE.to_string());
                        }
                        match pagination.style {
                            PaginationStyle::Offset => {
                                if let Some(offset) = &pagination.offset {
                                    pairs.append_pair(offset, &received.to_string());
                                }
                            }
                            PaginationStyle::Page => {
                                if let Some(name) = &pagination.page {
                                    pairs.append_pair(name, &(page + 1).to_string());
                                }
                            }
                            PaginationStyle::Cursor => {
                                if let (Some(name), Some(cursor)) = (&pagination.cursor, &cursor) {
                                    pairs.append_pair(name, cursor);
                                }
                            }
                            PaginationStyle::Link => {}
                        }
                    }
                    url
                }
            };
            let answer = self.call(Method::GET, url.clone(), None).await?;
            let json = self.json(operation, &answer)?;
            // A page that repeats the previous one is a loop: stop there.
            let fingerprint = fingerprint(&answer.body);
            if seen_pages.contains(&fingerprint) {
                break;
            }
            seen_pages.push(fingerprint);
            let Some(pagination) = &operation.pagination else {
                rows.extend(rows_of(entity, operation, json)?);
                complete = true;
                break;
            };
            // The next page's cursor or link, read before the rows are
            // taken out of the answer.
            let next = next_of(pagination, &json, &answer);
            let (next_named, total) = more_hint(&json, &answer);
            let page_rows = rows_of(entity, operation, json)?;
            let count = page_rows.len() as u64;
            rows.extend(page_rows);
            let more = match pagination.style {
                PaginationStyle::Offset | PaginationStyle::Page => {
                    pagination.limit.is_some()
                        && more_after(
                            count,
                            LOCAL_PAGE,
                            largest,
                            next_named || total.is_some_and(|total| total > received + count),
                        )
                }
                PaginationStyle::Cursor => {
                    cursor = next;
                    cursor.is_some() && count > 0
                }
                PaginationStyle::Link => {
                    next_url = next.and_then(|next| url.join(&next).ok());
                    // A next page on another origin is not followed (the
                    // credential would go with it): the list is incomplete.
                    if next_url
                        .as_ref()
                        .is_some_and(|next| next.origin() != self.base_url.origin())
                    {
                        tracing::warn!(
                            target: "baas::upstream",
                            "the upstream's next page is on another origin; not followed"
                        );
                        break;
                    }
                    next_url.is_some() && count > 0
                }
            };
            received += count;
            largest = largest.max(count);
            if !more {
                complete = true;
                break;
            }
        }
        Ok(finish_locally(entity, rows, query, complete))
    }

    async fn get_row(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        key: &[Value],
        scope: Option<&Filter>,
    ) -> Result<Option<Row>, StoreError> {
        let row = self.fetch_row(manifest, entity, key).await?;
        Ok(row.filter(|row| in_scope(manifest, entity, scope, row)))
    }

    async fn insert_row(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        values: &Values,
        outbox: &Outbox,
    ) -> Result<Row, StoreError> {
        let operation = find(manifest, entity, &[OperationAction::Create])?;
        let body = body_of(values);
        let answer = self
            .call(Method::POST, self.url(operation, None)?, Some(&body))
            .await?;
        if answer.status == StatusCode::CONFLICT {
            return Err(StoreError::Conflict { fields: Vec::new() });
        }
        let json = self.json(operation, &answer)?;
        let definition = entity_of(manifest, entity)?;
        let row = match json {
            Json::Null => row_of(definition, body)?,
            json => row_of(definition, json)?,
        };
        self.record_deliveries(manifest, entity, outbox, Write::Create, None, Some(&row))
            .await?;
        Ok(row)
    }

    #[allow(clippy::too_many_arguments)]
    async fn update_row(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        key: &[Value],
        scope: Option<&Filter>,
        check: Option<&Filter>,
        values: &Values,
        outbox: &Outbox,
    ) -> Result<Option<Updated>, StoreError> {
        let Some(old) = self.get_row(manifest, entity, key, scope).await? else {
            return Ok(None);
        };
        // The update rule's row conditions, on the row as it would become
        // (checked before the upstream is written: it has no transaction).
        let after = changed(&old, values);
        if check.is_some() && !in_scope(manifest, entity, check, &after) {
            return Err(StoreError::Refused);
        }
        let operation = find(
            manifest,
            entity,
            &[OperationAction::Update, OperationAction::Replace],
        )?;
        let body = if operation.action == Some(OperationAction::Replace) {
            Json::Object(after.clone())
        } else {
            body_of(values)
        };
        let method = Method::from_bytes(operation.method.as_bytes()).unwrap_or(Method::PATCH);
        let answer = self
            .call(method, self.url(operation, Some(key))?, Some(&body))
            .await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let json = self.json(operation, &answer)?;
        let definition = entity_of(manifest, entity)?;
        let new = match json {
            json @ Json::Object(_) => row_of(definition, json)?,
            _ => after,
        };
        self.record_deliveries(
            manifest,
            entity,
            outbox,
            Write::Update,
            Some(&old),
            Some(&new),
        )
        .await?;
        Ok(Some(Updated { old, new }))
    }

    async fn delete_row(
        &self,
        manifest: &Arc<Manifest>,
        entity: &str,
        key: &[Value],
        scope: Option<&Filter>,
        outbox: &Outbox,
    ) -> Result<Option<Row>, StoreError> {
        let Some(old) = self.get_row(manifest, entity, key, scope).await? else {
            return Ok(None);
        };
        let operation = find(manifest, entity, &[OperationAction::Delete])?;
        let answer = self
            .call(Method::DELETE, self.url(operation, Some(key))?, None)
            .await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.json(operation, &answer)?;
        self.record_deliveries(manifest, entity, outbox, Write::Delete, Some(&old), None)
            .await?;
        Ok(Some(old))
    }

    /// No transactions upstream: bulk writes are made one by one.
    async fn begin_bulk(&self) -> Result<Option<super::Bulk>, StoreError> {
        Ok(None)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.admit()
    }
}

super::store_from_inherent_methods!(HttpStore, {
    fn list_verbatim<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        query: &'a ListQuery,
    ) -> futures::future::BoxFuture<'a, Result<Verbatim<ListResult>, StoreError>> {
        Box::pin(self.list_rows_verbatim(manifest, entity, query))
    }

    fn get_verbatim<'a>(
        &'a self,
        manifest: &'a Arc<Manifest>,
        entity: &'a str,
        key: &'a [Value],
    ) -> futures::future::BoxFuture<'a, Result<Verbatim<Option<Row>>, StoreError>> {
        Box::pin(self.get_row_verbatim(manifest, entity, key))
    }
});

/// Filters, orders and pages rows read from the upstream, and notes in
/// [`FILTERED_HEADER`] that baas did (`complete`: every upstream row was read).
pub(crate) fn finish_locally(
    entity: &Entity,
    rows: Vec<Row>,
    query: &ListQuery,
    complete: bool,
) -> ListResult {
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let keep = match &query.filter {
            None => true,
            Some(filter) => crate::serve::realtime::matches(entity, filter, &row).unwrap_or(false),
        };
        if keep {
            kept.push(row);
        }
    }
    sort(&mut kept, &query.order);
    let count = query.count.then_some(kept.len() as u64);
    let rows = kept
        .into_iter()
        .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
        .map(|row| select(row, query))
        .collect();
    note_filtered(local_note(complete, query.count));
    ListResult { rows, count }
}

/// The [`FILTERED_HEADER`] of a list baas filtered or counted itself:
/// `local; complete=true|false`, and `; count=partial` when a count was
/// asked for and the pages ran out before the upstream's rows did (the
/// count is then of the rows read, a lower bound, not the total).
pub(crate) fn local_note(complete: bool, counted: bool) -> String {
    if counted && !complete {
        "local; complete=false; count=partial".to_owned()
    } else {
        format!("local; complete={complete}")
    }
}

/// Sets the [`FILTERED_HEADER`] of the current request: `local;
/// complete=..` when baas filtered, `upstream; complete=false` when the
/// upstream took the query but its pages ran out before the rows asked for.
pub(crate) fn note_filtered(text: String) {
    if let Some(caller) = caller()
        && let Ok(mut note) = caller.filtered.lock()
    {
        *note = Some(text);
    }
}

/// Whether an offset- or page-paged upstream may hold rows after a page of
/// `count` rows when `asked` were asked for: a full page; a short one as
/// large as the largest page before it (`largest`: the upstream caps its
/// pages); a short first page that is a round size (a cap of 10, 20, 25,
/// 50, 100...) or that the upstream says is not the last (`signalled`). An
/// empty page, or one smaller than the largest before it, is the last.
pub(crate) fn more_after(count: u64, asked: u64, largest: u64, signalled: bool) -> bool {
    if count == 0 {
        return false;
    }
    if count >= asked {
        return true;
    }
    if largest > 0 {
        return count >= largest;
    }
    signalled || count.is_multiple_of(10) || count.is_multiple_of(25)
}

/// Whether a list passed on to `operation` may come back short of what
/// was asked because the upstream caps its pages: it takes a page size and
/// is not baas (which refuses a limit it does not serve).
fn capped(operation: &Operation) -> bool {
    operation
        .pagination
        .as_ref()
        .is_some_and(|pagination| pagination.limit.is_some())
        && !speaks_baas(operation)
}

/// The next page an answer names: the cursor at the `next` pointer of a
/// cursor-paged list, the URL at `next` (or the `Link` header's
/// `rel="next"`) of a link-paged one; none for other styles, and when the
/// answer names none.
fn next_of(
    pagination: &crate::manifest::Pagination,
    json: &Json,
    answer: &Answer,
) -> Option<String> {
    match pagination.style {
        PaginationStyle::Offset | PaginationStyle::Page => None,
        PaginationStyle::Cursor => pagination
            .next
            .as_deref()
            .and_then(|pointer| json.pointer(pointer))
            .and_then(scalar_text)
            .filter(|text| !text.is_empty()),
        PaginationStyle::Link => match &pagination.next {
            Some(pointer) => json
                .pointer(pointer)
                .and_then(Json::as_str)
                .filter(|text| !text.is_empty())
                .map(str::to_owned),
            None => answer.link.as_deref().and_then(next_link),
        },
    }
}

/// `url` with query parameter `name` set to `value` (in place of any it had).
fn with_parameter(url: &url::Url, name: &str, value: &str) -> url::Url {
    let mut next = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != name)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    next.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair(name, value);
    next
}

/// Whether a list body passed through holds fewer rows than `query` asked
/// for from an upstream that may cap its pages (it is then read on).
fn short_of_capped(operation: &Operation, query: &ListQuery, body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Data {
        data: Vec<serde::de::IgnoredAny>,
    }
    if !capped(operation) {
        return false;
    }
    let rows = match operation.rows.as_deref() {
        Some(_) => serde_json::from_slice::<Data>(body).map(|data| data.data.len()),
        None => serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(body).map(|rows| rows.len()),
    };
    rows.map_or(true, |rows| (rows as u64) < query.limit)
}

/// What an answer says of rows after its own: whether it names a next page
/// (a `Link` next, `has_more`/`hasMore: true`), and the total it gives
/// (`total`, `total_count`, `totalCount`, `count`).
fn more_hint(json: &Json, answer: &Answer) -> (bool, Option<u64>) {
    let next = answer.link.as_deref().and_then(next_link).is_some()
        || ["has_more", "hasMore"]
            .iter()
            .any(|key| json.get(key) == Some(&Json::Bool(true)));
    let total = ["total", "total_count", "totalCount", "count"]
        .iter()
        .find_map(|key| json.get(key).and_then(Json::as_u64));
    (next, total)
}

/// The keys a filter restricts its rows to: `key in (..)`, alone or in a
/// conjunction (the rest is applied after).
pub(crate) fn key_list(filter: &Filter, key: &str) -> Option<Vec<Value>> {
    match filter {
        Filter::Compare {
            field,
            op: Op::In,
            value: Value::List(values),
        } if field == key => Some(values.clone()),
        Filter::Compare {
            field,
            op: Op::Eq,
            value,
        } if field == key && !matches!(value, Value::Null | Value::List(_)) => {
            Some(vec![value.clone()])
        }
        Filter::And(parts) => parts.iter().find_map(|part| key_list(part, key)),
        _ => None,
    }
}

/// A list operation's list-by-ids parameter (`ids=1,2,3`): `ids`, or the
/// key's name as `<key>s`, `<key>_in`, `<key>__in`, `<key>[]`.
fn ids_parameter<'o>(operation: &'o Operation, key: &str) -> Option<&'o str> {
    let names = [
        "ids".to_owned(),
        format!("{key}s"),
        format!("{key}_in"),
        format!("{key}__in"),
        format!("{key}[]"),
    ];
    operation
        .query
        .iter()
        .find(|name| names.iter().any(|known| known.eq_ignore_ascii_case(name)))
        .map(String::as_str)
}

/// Opens (creating) the outbox file and its table.
fn open_outbox(path: &std::path::Path) -> anyhow::Result<Arc<Mutex<rusqlite::Connection>>> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let connection = rusqlite::Connection::open(path)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    for statement in crate::webhooks::outbox::create_table(crate::query::sql::SqlDialect::Sqlite) {
        connection.execute_batch(statement)?;
    }
    Ok(Arc::new(Mutex::new(connection)))
}

/// Whether `url` is on `base`'s origin (scheme, host and port), as
/// `url.origin() == base.origin()` without making either.
fn same_origin(url: &url::Url, base: &url::Url) -> bool {
    url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
}

/// Why a call got no answer.
enum Failure {
    Connect(String),
    Timeout,
    Other(String),
}

impl Failure {
    fn into_error(self, method: &Method, url: &url::Url, timeout: Duration) -> StoreError {
        // The URL without its query or user and password: a credential in
        // either stays out of messages (problems and the log).
        let mut shown = url.clone();
        shown.set_query(None);
        let _ = shown.set_password(None);
        let _ = shown.set_username("");
        match self {
            Failure::Connect(error) => upstream_error(
                StatusCode::BAD_GATEWAY,
                format!("the upstream API cannot be reached (`{method} {shown}`: {error})"),
            ),
            Failure::Timeout => upstream_error(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "the upstream API did not answer `{method} {shown}` within {} s",
                    timeout.as_secs_f64()
                ),
            ),
            Failure::Other(error) => upstream_error(
                StatusCode::BAD_GATEWAY,
                format!("the upstream call `{method} {shown}` failed: {error}"),
            ),
        }
    }
}

/// The rows `fetch` reads for `keys`, one call per key, a few at a time
/// (no row for a key that has none).
pub(crate) async fn each_key<F, Fut>(keys: Vec<Value>, fetch: F) -> Result<Vec<Row>, StoreError>
where
    F: Fn(Value) -> Fut,
    Fut: std::future::Future<Output = Result<Option<Row>, StoreError>>,
{
    use futures::StreamExt as _;
    let fetched: Vec<Result<Option<Row>, StoreError>> = futures::stream::iter(keys)
        .map(fetch)
        .buffer_unordered(GETS_IN_FLIGHT)
        .collect()
        .await;
    let mut rows = Vec::with_capacity(fetched.len());
    for row in fetched {
        rows.extend(row?);
    }
    Ok(rows)
}

pub(crate) fn upstream_error(status: StatusCode, detail: String) -> StoreError {
    StoreError::Upstream {
        status: status.as_u16(),
        detail,
    }
}

pub(crate) fn entity_of<'m>(
    manifest: &'m Manifest,
    entity: &str,
) -> Result<&'m Entity, StoreError> {
    manifest
        .entities
        .get(entity)
        .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("unknown entity `{entity}`")))
}

/// The mapped operation of `entity` for the first of `actions` it has.
pub(crate) fn find<'m>(
    manifest: &'m Manifest,
    entity: &str,
    actions: &[OperationAction],
) -> Result<&'m Operation, StoreError> {
    let operations = manifest
        .api
        .as_ref()
        .map(|api| api.operations.as_slice())
        .unwrap_or_default();
    actions
        .iter()
        .find_map(|action| {
            operations
                .iter()
                .find(|op| op.entity.as_deref() == Some(entity) && op.action == Some(*action))
        })
        .ok_or_else(|| {
            upstream_error(
                StatusCode::METHOD_NOT_ALLOWED,
                format!(
                    "the upstream API has no `{}` operation for `{entity}` ([[api.operations]] with entity = \"{entity}\" and action = \"{}\")",
                    actions.first().map_or("", |a| a.as_str()),
                    actions.first().map_or("", |a| a.as_str()),
                ),
            )
        })
}

/// Whether `row` passes the rules' scope (an undecidable one does not).
pub(crate) fn in_scope(
    manifest: &Manifest,
    entity: &str,
    scope: Option<&Filter>,
    row: &Row,
) -> bool {
    match (scope, manifest.entities.get(entity)) {
        (None, _) => true,
        (Some(filter), Some(entity)) => {
            crate::serve::realtime::matches(entity, filter, row).unwrap_or(false)
        }
        (Some(_), None) => false,
    }
}

/// One upstream object as a row of `entity`: its fields in manifest order.
/// The object is taken as it is when it already is that row (the fields,
/// in order, and nothing else: another baas's answer); otherwise its
/// values are moved into a new row, never copied.
fn row_of(entity: &Entity, json: Json) -> Result<Row, StoreError> {
    let Json::Object(mut object) = json else {
        return Err(upstream_error(
            StatusCode::BAD_GATEWAY,
            format!(
                "the upstream answered {} where a row object was expected",
                kind(&json)
            ),
        ));
    };
    let same = object.len() == entity.fields.len()
        && object.keys().zip(entity.fields.keys()).all(|(a, b)| a == b);
    if same {
        return Ok(object);
    }
    let mut row = Map::with_capacity(entity.fields.len());
    for (name, field) in &entity.fields {
        match object.swap_remove(name) {
            Some(value) => {
                row.insert(name.clone(), value);
            }
            None if field.optional => {}
            None => {
                row.insert(name.clone(), Json::Null);
            }
        }
    }
    Ok(row)
}

/// The rows of a list answer: the array itself, or the one under `rows`.
fn rows_of(entity: &Entity, operation: &Operation, json: Json) -> Result<Vec<Row>, StoreError> {
    let array = match (&operation.rows, json) {
        (Some(key), Json::Object(mut object)) => match object.swap_remove(key) {
            Some(Json::Array(items)) => Ok(items),
            Some(other) => Err(other),
            None => Err(Json::Object(object)),
        },
        (None, Json::Array(items)) => Ok(items),
        (_, other) => Err(other),
    };
    let items = array.map_err(|json| {
        upstream_error(
            StatusCode::BAD_GATEWAY,
            format!(
                "the upstream `{} {}` answered {} where a list of rows{} was expected",
                operation.method,
                operation.path,
                kind(&json),
                operation
                    .rows
                    .as_deref()
                    .map(|key| format!(" under `{key}`"))
                    .unwrap_or_default()
            ),
        )
    })?;
    items.into_iter().map(|item| row_of(entity, item)).collect()
}

pub(crate) fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "nothing",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

pub(crate) fn select(mut row: Row, query: &ListQuery) -> Row {
    if let Some(fields) = &query.select {
        row.retain(|name, _| fields.iter().any(|field| field == name));
    }
    row
}

/// What a row is ordered by for `by`: its field, or the value at the
/// field's JSON path (`order=metadata->>series`; none when the path
/// leads nowhere).
fn sort_value<'r>(row: &'r Row, by: &OrderBy) -> std::borrow::Cow<'r, Json> {
    use std::borrow::Cow;
    match &by.path {
        None => Cow::Borrowed(row.get(&by.field).unwrap_or(&Json::Null)),
        Some(path) => {
            Cow::Owned(crate::query::json::read(path, row.get(&path.field)).unwrap_or(Json::Null))
        }
    }
}

/// Orders rows by JSON value, nulls last unless asked otherwise; a JSON
/// path orders by the value at the path, as jsonb does (text with `->>`).
fn sort(rows: &mut [Row], order: &[OrderBy]) {
    if order.is_empty() {
        return;
    }
    rows.sort_by(|a, b| {
        for by in order {
            let left = sort_value(a, by);
            let right = sort_value(b, by);
            let (left, right) = (left.as_ref(), right.as_ref());
            let nulls_first = by.places_nulls_first();
            let ordering = match (left.is_null(), right.is_null()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => {
                    if nulls_first {
                        std::cmp::Ordering::Less
                    } else {
                        std::cmp::Ordering::Greater
                    }
                }
                (false, true) => {
                    if nulls_first {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Less
                    }
                }
                (false, false) => {
                    let ordering = match by.path {
                        Some(_) => crate::query::json::order(left, right),
                        None => compare(left, right),
                    };
                    if by.descending {
                        ordering.reverse()
                    } else {
                        ordering
                    }
                }
            };
            if ordering != std::cmp::Ordering::Equal {
                return ordering;
            }
        }
        std::cmp::Ordering::Equal
    });
}

fn compare(left: &Json, right: &Json) -> std::cmp::Ordering {
    match (left, right) {
        (Json::Number(a), Json::Number(b)) => a
            .as_f64()
            .partial_cmp(&b.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
        (Json::String(a), Json::String(b)) => match (a.parse::<f64>(), b.parse::<f64>()) {
            // Decimals travel as strings.
            (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
            _ => a.cmp(b),
        },
        (Json::Bool(a), Json::Bool(b)) => a.cmp(b),
        _ => left.to_string().cmp(&right.to_string()),
    }
}

/// A typed value in its wire form (docs/api.md, "Wire values").
pub(crate) fn wire(value: &Value) -> Json {
    use base64::Engine as _;
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Decimal(text) | Value::Text(text) => Json::String(text.clone()),
        Value::Bytes(bytes) => {
            Json::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        Value::Json(json) => json.clone(),
        Value::List(items) => Json::Array(items.iter().map(wire).collect()),
    }
}

/// `old` with the changes of an update: the row as it would become.
pub(crate) fn changed(old: &Row, values: &Values) -> Row {
    let mut row = old.clone();
    row.extend(
        values
            .iter()
            .map(|(name, value)| (name.clone(), wire(value))),
    );
    row
}

fn body_of(values: &Values) -> Json {
    Json::Object(
        values
            .iter()
            .map(|(name, value)| (name.clone(), wire(value)))
            .collect(),
    )
}

/// A key or query value as text.
fn key_text(value: &Value) -> String {
    match wire(value) {
        Json::String(text) => text,
        other => other.to_string(),
    }
}

fn scalar_text(json: &Json) -> Option<String> {
    match json {
        Json::String(text) => Some(text.clone()),
        Json::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Whether `key`, split at `/` and `\`, has a dot segment.
fn walks(key: &str) -> bool {
    key.split(['/', '\\'])
        .any(|part| part == "." || part == "..")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b',') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One item of baas's `order` parameter: the field, or its JSON path
/// (`metadata->>series`), then the direction and the nulls.
fn order_text(by: &OrderBy) -> String {
    let mut text = match &by.path {
        Some(path) => path.to_string(),
        None => by.field.clone(),
    };
    if by.descending {
        text.push_str(".desc");
    }
    match by.nulls_first {
        Some(true) => text.push_str(".nullsfirst"),
        Some(false) => text.push_str(".nullslast"),
        None => {}
    }
    text
}

/// The filter in the JSON form of baas's `where`; `None` when it holds
/// what that form cannot say (relation paths and field comparisons of rules).
fn filter_json(filter: &Filter) -> Option<Json> {
    let list = |parts: &[Filter]| parts.iter().map(filter_json).collect::<Option<Vec<_>>>();
    Some(match filter {
        Filter::And(parts) => serde_json::json!({ "and": list(parts)? }),
        Filter::Or(parts) => serde_json::json!({ "or": list(parts)? }),
        Filter::Not(inner) => serde_json::json!({ "not": filter_json(inner)? }),
        Filter::Compare { field, op, value } => {
            let op = serde_json::to_value(op).ok()?;
            let op = op.as_str()?;
            serde_json::json!({ field.as_str(): { op: wire(value) } })
        }
        _ => return None,
    })
}

/// Whether `operation` declares the query parameter `name`.
fn declares(operation: &Operation, name: &str) -> bool {
    operation.query.iter().any(|known| known == name)
}

/// Whether `operation` takes baas's own `where` and `order` parameters
/// (another baas, or an API that speaks its query language).
fn speaks_baas(operation: &Operation) -> bool {
    declares(operation, "where") && declares(operation, "order")
}

/// The parts of a list's filter an upstream can take when baas filters,
/// orders and pages the rows itself (an order, a count or a filter the
/// upstream cannot take whole): the filter's conjuncts that the operation's
/// declared parameters can say, as a `where` for an upstream that speaks
/// baas's query language, else as `field=value` for each equality on a
/// declared parameter. The upstream then sends fewer pages; baas still
/// applies the whole filter to them, so a parameter that matches more
/// loosely than equality loses no row.
fn narrowing(operation: &Operation, filter: Option<&Filter>) -> Vec<(String, String)> {
    fn conjuncts<'f>(filter: &'f Filter, into: &mut Vec<&'f Filter>) {
        match filter {
            Filter::And(parts) => parts.iter().for_each(|part| conjuncts(part, into)),
            other => into.push(other),
        }
    }
    let mut parts = Vec::new();
    if let Some(filter) = filter {
        conjuncts(filter, &mut parts);
    }
    if speaks_baas(operation) {
        let taken: Vec<Json> = parts.into_iter().filter_map(filter_json).collect();
        if taken.is_empty() {
            return Vec::new();
        }
        let taken = serde_json::json!({ "and": taken });
        return vec![("where".to_owned(), taken.to_string())];
    }
    parts
        .into_iter()
        .filter_map(|part| match part {
            Filter::Compare {
                field,
                op: Op::Eq,
                value,
            } if !matches!(value, Value::Null | Value::List(_)) && declares(operation, field) => {
                Some((field.clone(), key_text(value)))
            }
            _ => None,
        })
        .collect()
}

/// `field = value` pairs when the filter is only a conjunction of equalities.
pub(crate) fn equalities(filter: &Filter) -> Option<Vec<(String, Value)>> {
    match filter {
        Filter::Compare {
            field,
            op: Op::Eq,
            value,
        } if !matches!(value, Value::Null | Value::List(_)) => {
            Some(vec![(field.clone(), value.clone())])
        }
        Filter::And(parts) => {
            let mut out = Vec::new();
            for part in parts {
                out.extend(equalities(part)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// The `rel="next"` target of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let next = params.split(';').any(|param| {
            param
                .trim()
                .replace(' ', "")
                .eq_ignore_ascii_case("rel=\"next\"")
                || param.trim().eq_ignore_ascii_case("rel=next")
        });
        next.then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

pub(crate) fn fingerprint(body: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish()
}

/// Whether an upstream body already is baas's answer, checked in one scan
/// that reads keys and skips values (nothing is built): a row is an object
/// of exactly the manifest's fields in order; a list is baas's envelope of
/// such rows, or a bare array of them.
mod verbatim {
    use std::fmt;

    use axum::body::Bytes;
    use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess};

    use crate::manifest::{Entity, Operation};

    /// The body of a `get`: the row as it is.
    pub(super) fn row(entity: &Entity, body: &[u8]) -> bool {
        let mut reader = serde_json::Deserializer::from_slice(body);
        Row(entity).deserialize(&mut reader).is_ok() && reader.end().is_ok()
    }

    /// The response body of a list: the upstream's when it is
    /// `{"data":[rows]}` (with `"count"` after exactly when it was asked
    /// for), a bare array of rows put in that envelope, else `None`.
    pub(super) fn list(
        entity: &Entity,
        operation: &Operation,
        count: bool,
        body: &Bytes,
    ) -> Option<Bytes> {
        let mut reader = serde_json::Deserializer::from_slice(body);
        match operation.rows.as_deref() {
            Some("data") => {
                Envelope { entity, count }.deserialize(&mut reader).ok()?;
                reader.end().ok()?;
                Some(body.clone())
            }
            None if !count => {
                Rows(entity).deserialize(&mut reader).ok()?;
                reader.end().ok()?;
                let mut spliced = Vec::with_capacity(body.len() + 10);
                spliced.extend_from_slice(b"{\"data\":");
                spliced.extend_from_slice(body.trim_ascii());
                spliced.push(b'}');
                Some(Bytes::from(spliced))
            }
            _ => None,
        }
    }

    fn mismatch<E: de::Error>() -> E {
        E::custom("not baas's answer")
    }

    /// An object key that must be `expected` (`None`: no key may come).
    struct Key<'f>(Option<&'f str>);

    impl<'de> DeserializeSeed<'de> for Key<'_> {
        type Value = bool;
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
            deserializer.deserialize_str(self)
        }
    }

    impl de::Visitor<'_> for Key<'_> {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
            Ok(self.0 == Some(key))
        }
    }

    /// A row object: the entity's fields in order, values skipped.
    struct Row<'e>(&'e Entity);

    impl<'de> DeserializeSeed<'de> for Row<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    impl<'de> de::Visitor<'de> for Row<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a row object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut fields = self.0.fields.keys();
            loop {
                let want = fields.next().map(String::as_str);
                match map.next_key_seed(Key(want))? {
                    None if want.is_none() => return Ok(()),
                    Some(true) => {
                        map.next_value::<IgnoredAny>()?;
                    }
                    _ => return Err(mismatch()),
                }
            }
        }
    }

    /// An array of rows.
    struct Rows<'e>(&'e Entity);

    impl<'de> DeserializeSeed<'de> for Rows<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_seq(self)
        }
    }

    impl<'de> de::Visitor<'de> for Rows<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array of rows")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Row(self.0))?.is_some() {}
            Ok(())
        }
    }

    /// `{"data": [rows]}`, with `"count": n` after when `count`.
    struct Envelope<'e> {
        entity: &'e Entity,
        count: bool,
    }

    impl<'de> DeserializeSeed<'de> for Envelope<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    impl<'de> de::Visitor<'de> for Envelope<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list envelope")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            if map.next_key_seed(Key(Some("data")))? != Some(true) {
                return Err(mismatch());
            }
            map.next_value_seed(Rows(self.entity))?;
            if self.count {
                if map.next_key_seed(Key(Some("count")))? != Some(true) {
                    return Err(mismatch());
                }
                map.next_value::<u64>()?;
            }
            match map.next_key_seed(Key(None))? {
                None => Ok(()),
                Some(_) => Err(mismatch()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_read_from_a_link_header() {
        let header = r#"</api/v2.0/projects?page=1&page_size=10>; rel="prev" , </api/v2.0/projects?page=3&page_size=10>; rel="next""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("/api/v2.0/projects?page=3&page_size=10")
        );
        assert_eq!(next_link(r#"<a>; rel="prev""#), None);
    }

    /// The `pet` entity (`id`, `name`) and a list operation with `rows`.
    fn pet(rows: Option<&str>) -> (Entity, Operation) {
        let text = r#"[manifest]
format = 1
version = 1

[entities.pet]
table = "pet"
primary_key = ["id"]

[entities.pet.fields]
id = { type = "int64" }
name = { type = "string" }
"#;
        let manifest = crate::manifest::load_str(std::path::Path::new("baas.toml"), text.into())
            .unwrap()
            .manifest;
        let operation = Operation {
            rows: rows.map(str::to_owned),
            ..Operation::default()
        };
        (manifest.entities["pet"].clone(), operation)
    }

    #[test]
    fn a_body_is_passed_through_only_when_it_already_is_baas_answer() {
        let (entity, data) = pet(Some("data"));
        // A row: exactly the fields, in order; whitespace and escapes kept.
        assert!(verbatim::row(&entity, br#" {"id": 1, "name": "a\"b"} "#));
        for other in [
            &br#"{"name":"a","id":1}"#[..],
            br#"{"id":1}"#,
            br#"{"id":1,"name":"a","extra":true}"#,
            br#"{"id":1,"name":"a"} x"#,
            br#"[{"id":1,"name":"a"}]"#,
            b"",
        ] {
            assert!(
                !verbatim::row(&entity, other),
                "{}",
                String::from_utf8_lossy(other)
            );
        }
        // baas's envelope is the body itself; `count` exactly when asked.
        let body = Bytes::from_static(br#"{"data":[{"id":1,"name":"a"}],"count":7}"#);
        assert_eq!(
            verbatim::list(&entity, &data, true, &body),
            Some(body.clone())
        );
        assert_eq!(verbatim::list(&entity, &data, false, &body), None);
        let bare = Bytes::from_static(br#"{"data":[{"id":1,"name":"a"},{"id":2,"name":"b"}]}"#);
        assert_eq!(
            verbatim::list(&entity, &data, false, &bare),
            Some(bare.clone())
        );
        assert_eq!(verbatim::list(&entity, &data, true, &bare), None);
        for other in [
            &br#"{"data":[{"id":1}]}"#[..],
            br#"{"count":1,"data":[]}"#,
            br#"{"data":[],"next":null}"#,
            br#"{"data":{}}"#,
        ] {
            let other = Bytes::from_static(other);
            assert_eq!(
                verbatim::list(&entity, &data, false, &other),
                None,
                "{other:?}"
            );
        }
        // A bare array is put in the envelope; other row keys are parsed.
        let (_, plain) = pet(None);
        let array = Bytes::from_static(b" [{\"id\":1,\"name\":\"a\"}]\n");
        assert_eq!(
            verbatim::list(&entity, &plain, false, &array).as_deref(),
            Some(&br#"{"data":[{"id":1,"name":"a"}]}"#[..])
        );
        assert_eq!(verbatim::list(&entity, &plain, true, &array), None);
        let (_, items) = pet(Some("items"));
        let wrapped = Bytes::from_static(br#"{"items":[{"id":1,"name":"a"}]}"#);
        assert_eq!(verbatim::list(&entity, &items, false, &wrapped), None);
    }

    #[test]
    fn call_urls_are_the_base_then_the_operation_path() {
        let manifest = Manifest::default();
        let no_env = |_: &str| -> anyhow::Result<String> { Ok(String::new()) };
        for (base, path, expected) in [
            (
                "http://127.0.0.1:8080",
                "/api/book/1",
                "http://127.0.0.1:8080/api/book/1",
            ),
            (
                "http://127.0.0.1:8080/",
                "/api/book",
                "http://127.0.0.1:8080/api/book",
            ),
            (
                "https://api.example.com/v2/",
                "/pets/a%20b",
                "https://api.example.com/v2/pets/a%20b",
            ),
            ("http://h/v2", "/q?x=1", "http://h/v2/q?x=1"),
        ] {
            let store = HttpStore::new(&manifest, base, &no_env).unwrap();
            assert_eq!(
                store.join(path).unwrap().as_str(),
                expected,
                "{base} {path}"
            );
        }
    }

    /// A raw upstream on a free port: answers each request with `{}` and
    /// closes a connection after `answers` answers on it. Counts the
    /// connections it accepted.
    async fn raw_upstream(answers: usize) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut read = Vec::new();
                    for _ in 0..answers {
                        while !read.windows(4).any(|w| w == b"\r\n\r\n") {
                            let mut chunk = [0u8; 1024];
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => read.extend_from_slice(&chunk[..n]),
                            }
                        }
                        read.clear();
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
                        if socket.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (base, accepted)
    }

    #[tokio::test]
    async fn calls_keep_a_connection_alive_and_leave_one_the_upstream_closed() {
        let no_env = |_: &str| -> anyhow::Result<String> { Ok(String::new()) };
        for (answers, connections) in [(usize::MAX, 1), (1, 3)] {
            let (base, accepted) = raw_upstream(answers).await;
            let store = HttpStore::new(&Manifest::default(), &base, &no_env).unwrap();
            for _ in 0..3 {
                let answer = store
                    .call(Method::GET, store.join("/pets").unwrap(), None)
                    .await
                    .unwrap();
                assert_eq!(answer.status, StatusCode::OK);
                assert_eq!(&answer.body[..], b"{}");
                // Time for a close to reach the idle connection.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(
                accepted.load(std::sync::atomic::Ordering::SeqCst),
                connections,
                "{answers} answers per connection"
            );
        }
    }

    #[test]
    fn key_segments_are_percent_encoded() {
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_segment("1,2"), "1,2");
    }

    #[test]
    fn only_equalities_pass_as_plain_parameters() {
        let eq = |field: &str, value: i64| Filter::Compare {
            field: field.to_owned(),
            op: Op::Eq,
            value: Value::Int(value),
        };
        assert_eq!(
            equalities(&Filter::And(vec![eq("a", 1), eq("b", 2)])).map(|e| e.len()),
            Some(2)
        );
        assert!(equalities(&Filter::Or(vec![eq("a", 1)])).is_none());
        let json = filter_json(&Filter::Not(Box::new(eq("a", 1)))).unwrap();
        assert_eq!(json, serde_json::json!({"not": {"a": {"eq": 1}}}));
    }
}
