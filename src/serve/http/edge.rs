//! Edge protection: rate limits and security headers (docs/api.md,
//! "Rate limits and headers").
//!
//! - Per client address (`[api] rate_limit_per_ip`; `/api/_health` is not
//!   counted), checked before the credentials are verified; per signed-in user
//!   (`[api] rate_limit_per_user`), after. The service key is never limited.
//! - The client address is the connection's peer, unless the peer is one of
//!   `[api] trusted_proxies`: then the `Forwarded` (or `X-Forwarded-For`)
//!   chain is followed from its right end, one hop per trusted proxy, to
//!   the first address that is not one. An untrusted peer's header is never
//!   read, so a client cannot pick the address it is counted under.
//! - The limits follow the served manifest: a hot reload that changes them
//!   starts counting afresh under the new ones.
//! - Sign-up and login attempts (`[api] login_attempts_per_minute`, default
//!   10), per address here and per email in the login handler.
//! - Over a limit: 429 problem with `Retry-After` (seconds).
//! - Every answer carries `X-Content-Type-Options: nosniff`,
//!   `X-Frame-Options: DENY`, a `Content-Security-Policy` that allows
//!   nothing (`frame-ancestors 'none'`) and `Referrer-Policy: no-referrer`;
//!   `/api/_auth/*` answers also `Cache-Control: no-store`.
//!
//! Limits are counted with `governor` (GCRA: a burst of the per-minute
//! number, then one every `60/n` s); idle keys are dropped now and then.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ctx::Ctx;
use super::problem::Problem;
use super::routes::Caller;
use crate::manifest::Manifest;
use crate::serve::AppState;
use crate::serve::policy::Principal;

/// Default sign-up and login attempts per minute (per address, per email).
pub const DEFAULT_LOGIN_ATTEMPTS: u32 = 10;

/// Idle keys are dropped every this many checks.
const SWEEP_EVERY: u64 = 4096;

/// The limit settings of `[api]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LimitSettings {
    pub per_ip: Option<u32>,
    pub per_user: Option<u32>,
    pub login: Option<u32>,
    /// `[api] trusted_proxies`: networks (address, prefix length).
    pub trusted_proxies: Vec<(IpAddr, u8)>,
}

impl LimitSettings {
    /// The settings of `manifest`'s `[api]` (a proxy that does not parse
    /// was refused when the manifest was loaded).
    pub fn from_manifest(manifest: &Manifest) -> Self {
        let Some(api) = &manifest.api else {
            return Self::default();
        };
        let per_minute = |n: Option<u64>| n.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        Self {
            per_ip: per_minute(api.rate_limit_per_ip),
            per_user: per_minute(api.rate_limit_per_user),
            login: per_minute(api.login_attempts_per_minute),
            trusted_proxies: api
                .trusted_proxies
                .iter()
                .filter_map(|proxy| crate::manifest::parse_network(proxy).ok())
                .collect(),
        }
    }
}

/// The limits of one server under one set of settings.
pub struct Limits {
    settings: LimitSettings,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_user: Option<DefaultKeyedRateLimiter<String>>,
    login_ip: DefaultKeyedRateLimiter<IpAddr>,
    login_email: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits").finish_non_exhaustive()
    }
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
}

impl Limits {
    pub fn new(settings: LimitSettings) -> Self {
        let login = quota(settings.login.unwrap_or(DEFAULT_LOGIN_ATTEMPTS));
        Self {
            per_ip: settings.per_ip.map(|n| RateLimiter::keyed(quota(n))),
            per_user: settings.per_user.map(|n| RateLimiter::keyed(quota(n))),
            login_ip: RateLimiter::keyed(login),
            login_email: RateLimiter::keyed(login),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
            settings,
        }
    }

    fn sweep(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY != SWEEP_EVERY - 1 {
            return;
        }
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_user {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        self.login_ip.retain_recent();
        self.login_ip.shrink_to_fit();
        self.login_email.retain_recent();
        self.login_email.shrink_to_fit();
    }

    /// `Err(wait)` when `key` is over `limiter`'s quota.
    fn check<K>(&self, limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), Duration>
    where
        K: std::hash::Hash + Eq + Clone,
    {
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// A login or sign-up attempt for `email` (lower case).
    pub fn login_attempt(&self, email: &str) -> Result<(), Duration> {
        self.check(&self.login_email, &email.to_owned())
    }
}

/// 429 with `Retry-After`.
pub fn too_many(ctx: &Ctx, wait: Duration, what: &str) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let mut response = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!("{what}; try again in {seconds} s"),
    )
    .respond(ctx);
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn is_attempt(method: &Method, path: &str) -> bool {
    method == Method::POST && matches!(path, "/api/_auth/login" | "/api/_auth/signup")
}

/// The limits of a server, made again when a hot reload changes the
/// served manifest's `[api]` settings.
pub struct Edge {
    app: Arc<AppState>,
    /// The manifest the limits were last checked against, and the limits.
    current: RwLock<(Arc<Manifest>, Arc<Limits>)>,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge").finish_non_exhaustive()
    }
}

impl Edge {
    pub fn new(app: Arc<AppState>) -> Self {
        let manifest = app.snapshot().manifest().clone();
        let limits = Arc::new(Limits::new(LimitSettings::from_manifest(&manifest)));
        Self {
            app,
            current: RwLock::new((manifest, limits)),
        }
    }

    /// The limits of the manifest served now (the same limits, counts
    /// kept, when a reload left `[api]`'s limits as they were).
    fn limits(&self) -> Arc<Limits> {
        let manifest = self.app.snapshot().manifest().clone();
        if let Ok(current) = self.current.read()
            && Arc::ptr_eq(&current.0, &manifest)
        {
            return current.1.clone();
        }
        let Ok(mut current) = self.current.write() else {
            return Arc::new(Limits::new(LimitSettings::from_manifest(&manifest)));
        };
        let settings = LimitSettings::from_manifest(&manifest);
        if current.1.settings != settings {
            current.1 = Arc::new(Limits::new(settings));
        }
        current.0 = manifest;
        current.1.clone()
    }
}

/// The address a request is counted under: the peer, or, behind trusted
/// proxies, the address the last of them was asked by.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[(IpAddr, u8)]) -> IpAddr {
    let is_trusted = |address: IpAddr| {
        trusted
            .iter()
            .any(|&(network, prefix)| contains(network, prefix, address))
    };
    let mut client = peer.to_canonical();
    if !is_trusted(client) {
        return client;
    }
    let mut hops = forwarded_chain(headers);
    while is_trusted(client) {
        match hops.pop().as_deref().and_then(parse_hop) {
            Some(address) => client = address.to_canonical(),
            None => break,
        }
    }
    client
}

fn contains(network: IpAddr, prefix: u8, address: IpAddr) -> bool {
    match (network.to_canonical(), address) {
        (IpAddr::V4(network), IpAddr::V4(address)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(network) & mask == u32::from(address) & mask
        }
        (IpAddr::V6(network), IpAddr::V6(address)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(network) & mask == u128::from(address) & mask
        }
        _ => false,
    }
}

/// The hops of `Forwarded` (its `for=` values), or else of
/// `X-Forwarded-For`, in order (the client first, the nearest proxy last).
fn forwarded_chain(headers: &HeaderMap) -> Vec<String> {
    let values = |name: &HeaderName| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|hop| hop.trim().to_owned())
            .collect()
    };
    let forwarded = values(&header::FORWARDED);
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .find_map(|pair| {
                        let (key, value) = pair.split_once('=')?;
                        key.trim()
                            .eq_ignore_ascii_case("for")
                            .then(|| value.trim().trim_matches('"').to_owned())
                    })
                    .unwrap_or_default()
            })
            .collect();
    }
    values(&HeaderName::from_static("x-forwarded-for"))
}

/// An address of a forwarding header: `192.0.2.1`, `192.0.2.1:8080`,
/// `2001:db8::1` or `[2001:db8::1]:8080`; `None` for `unknown`, obfuscated
/// names and anything else.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(address) = hop.parse() {
        return Some(address);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    hop.parse::<SocketAddr>().ok().map(|socket| socket.ip())
}

/// Per-address limits, before the credentials are looked at; makes the
/// limits available to the handlers (the login's per-email limit).
pub fn limit_address(edge: &Edge, mut request: Request) -> Result<Request, Box<Response>> {
    let limits = edge.limits();
    limits.sweep();
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| {
            client_address(
                info.0.ip(),
                request.headers(),
                &limits.settings.trusted_proxies,
            )
        });
    if let Some(address) = address {
        let ctx = || Ctx::of(&request);
        if let Some(limiter) = &limits.per_ip
            && request.uri().path() != "/api/_health"
            && let Err(wait) = limits.check(limiter, &address)
        {
            return Err(Box::new(too_many(
                &ctx(),
                wait,
                "this address sent too many requests",
            )));
        }
        if is_attempt(request.method(), request.uri().path())
            && let Err(wait) = limits.check(&limits.login_ip, &address)
        {
            return Err(Box::new(too_many(
                &ctx(),
                wait,
                "too many sign-in attempts from this address",
            )));
        }
    }
    request.extensions_mut().insert(limits.clone());
    Ok(request)
}

/// Per-user limits, after the credentials are verified (under the limits
/// [`limit_address`] found for the request).
pub fn limit_user(request: Request) -> Result<Request, Box<Response>> {
    if let Some(limits) = request.extensions().get::<Arc<Limits>>()
        && let Some(limiter) = &limits.per_user
        && let Some(Caller(principal)) = request.extensions().get::<Caller>()
        && let Principal::User { id: Some(id), .. } = &**principal
        && let Err(wait) = limits.check(limiter, id)
    {
        let ctx = Ctx::of(&request);
        return Err(Box::new(too_many(
            &ctx,
            wait,
            "this user sent too many requests",
        )));
    }
    Ok(request)
}

/// Whether an answer to `path` is one of the sessions' (`Cache-Control:
/// no-store`).
pub fn is_sessions(path: &str) -> bool {
    path.starts_with("/api/_auth/")
}

/// The security headers of every answer (a header the handler set is
/// kept), `Cache-Control: no-store` on the sessions' answers
/// ([`is_sessions`] of the request's path).
pub fn security_headers(headers: &mut HeaderMap, sessions: bool) {
    static FIXED: [(HeaderName, HeaderValue); 5] = [
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ];
    headers.reserve(FIXED.len() + 1);
    for (name, value) in &FIXED {
        if !headers.contains_key(name) {
            headers.insert(name, value.clone());
        }
    }
    if sessions {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_is_read_from_trusted_proxies_only() {
        let trusted = [
            crate::manifest::parse_network("10.0.0.0/8").unwrap(),
            crate::manifest::parse_network("fd00::/8").unwrap(),
        ];
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.append(*name, HeaderValue::from_str(value).unwrap());
            }
            map
        };
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let chain = headers(&[("x-forwarded-for", "192.0.2.9, 198.51.100.4, 10.1.1.1")]);
        // An untrusted peer's header is not read.
        assert_eq!(
            client_address(ip("203.0.113.5"), &chain, &trusted),
            ip("203.0.113.5")
        );
        // Through two trusted proxies to the first address that is not one.
        assert_eq!(
            client_address(ip("10.0.0.2"), &chain, &trusted),
            ip("198.51.100.4")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        let forwarded = headers(&[
            (
                "forwarded",
                "for=192.0.2.60;proto=http, for=\"[2001:db8::7]:4711\"",
            ),
            ("x-forwarded-for", "203.0.113.1"),
        ]);
        assert_eq!(
            client_address(ip("fd00::1"), &forwarded, &trusted),
            ip("2001:db8::7")
        );
        let unknown = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &unknown, &trusted),
            ip("10.0.0.2")
        );
        // An IPv4 peer seen as an IPv6-mapped address is the IPv4 address.
        assert_eq!(
            client_address(ip("::ffff:10.0.0.2"), &chain, &trusted),
            ip("198.51.100.4")
        );
        assert!(crate::manifest::parse_network("10.0.0.0/33").is_err());
        assert!(crate::manifest::parse_network("proxy.local").is_err());
    }

    #[test]
    fn login_attempts_are_limited_per_email() {
        let limits = Limits::new(LimitSettings {
            login: Some(2),
            ..LimitSettings::default()
        });
        assert!(limits.login_attempt("a@example.com").is_ok());
        assert!(limits.login_attempt("a@example.com").is_ok());
        let wait = limits.login_attempt("a@example.com").unwrap_err();
        // A burst of 2 per minute: the next attempt is about 30 s away.
        assert!(
            wait > Duration::from_secs(20) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(
            limits.login_attempt("b@example.com").is_ok(),
            "another email"
        );
        // Dropping idle keys never forgets a key that is still limited.
        for _ in 0..SWEEP_EVERY {
            limits.sweep();
        }
        assert!(limits.login_attempt("a@example.com").is_err());
    }
}
