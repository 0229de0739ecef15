//! Edge protection: rate limits and security headers (docs/api.md,
//! "Rate limits and headers").
//!
//! - Per client address (`[api] rate_limit_per_ip`; `/api/_health` is not
//!   counted), checked before the credentials are verified; per signed-in user
//!   (`[api] rate_limit_per_user`), after. The service key is never limited.
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
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ctx::{Ctx, REQUEST_ID};
use super::problem::Problem;
use super::routes::Caller;
use crate::serve::policy::Principal;

/// Default sign-up and login attempts per minute (per address, per email).
pub const DEFAULT_LOGIN_ATTEMPTS: u32 = 10;

/// Idle keys are dropped every this many checks.
const SWEEP_EVERY: u64 = 4096;

/// The limits of one server.
pub struct Limits {
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
    pub fn new(per_ip: Option<u32>, per_user: Option<u32>, login: Option<u32>) -> Self {
        let login = quota(login.unwrap_or(DEFAULT_LOGIN_ATTEMPTS));
        Self {
            per_ip: per_ip.map(|n| RateLimiter::keyed(quota(n))),
            per_user: per_user.map(|n| RateLimiter::keyed(quota(n))),
            login_ip: RateLimiter::keyed(login),
            login_email: RateLimiter::keyed(login),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
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

/// Per-address limits, before the credentials are looked at; makes the
/// limits available to the handlers (the login's per-email limit).
pub async fn limit_address(
    axum::extract::State(limits): axum::extract::State<Arc<Limits>>,
    mut request: Request,
    next: Next,
) -> Response {
    limits.sweep();
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(address) = address {
        let ctx = || Ctx::new(request.uri(), request.headers().get(REQUEST_ID));
        if let Some(limiter) = &limits.per_ip
            && request.uri().path() != "/api/_health"
            && let Err(wait) = limits.check(limiter, &address)
        {
            return too_many(&ctx(), wait, "this address sent too many requests");
        }
        if is_attempt(request.method(), request.uri().path())
            && let Err(wait) = limits.check(&limits.login_ip, &address)
        {
            return too_many(&ctx(), wait, "too many sign-in attempts from this address");
        }
    }
    request.extensions_mut().insert(limits.clone());
    next.run(request).await
}

/// Per-user limits, after the credentials are verified.
pub async fn limit_user(
    axum::extract::State(limits): axum::extract::State<Arc<Limits>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(limiter) = &limits.per_user
        && let Some(Caller(principal)) = request.extensions().get::<Caller>()
        && let Principal::User { id: Some(id), .. } = &**principal
        && let Err(wait) = limits.check(limiter, id)
    {
        let ctx = Ctx::new(request.uri(), request.headers().get(REQUEST_ID));
        return too_many(&ctx, wait, "this user sent too many requests");
    }
    next.run(request).await
}

/// The security headers of every answer.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let sessions = request.uri().path().starts_with("/api/_auth/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ] {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
    if sessions {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_attempts_are_limited_per_email() {
        let limits = Limits::new(None, None, Some(2));
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
