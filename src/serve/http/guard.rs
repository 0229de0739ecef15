//! What keeps a page in the developer's browser, or another site, from
//! using the API behind their back, and what bounds a request's time:
//!
//! - **Origins**: CORS answers only localhost origins and the ones listed in
//!   `[api] cors_origins`; a request carrying any other `Origin` is refused
//!   with 403 before it reaches the data (CORS alone only hides answers, it
//!   does not stop a "simple" cross-site POST from writing).
//! - **Host** (DNS rebinding): the `Host` header must name localhost, the
//!   bound address or a name listed in `[api] hosts`.
//! - **Content type**: writes and `_query` take `application/json` (or a
//!   `+json` type) only, so a cross-site form or `text/plain` body never
//!   counts as JSON.
//! - **Time**: a request that takes longer than the request timeout is
//!   answered 503 and its work is dropped.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::ctx::RequestPath;
use super::problem::Problem;
use super::request::{Ctx, REQUEST_ID};
use crate::manifest::Manifest;

/// The HTTP options of a served API (`[api]` in the manifest, then flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Extra allowed origins (`scheme://host[:port]`), or `*`.
    pub cors_origins: Vec<String>,
    /// Extra allowed host names (no port), or `*`.
    pub hosts: Vec<String>,
    /// The address the server is bound to, when it listens on a socket.
    pub bound: Option<IpAddr>,
    pub request_timeout: Duration,
    /// Serve the studio at `/_studio` (`baas serve --no-studio` turns it off).
    pub studio: bool,
    /// Where the PostgREST-compatible profile is mounted (`[api] postgrest`
    /// or `--postgrest`), when it is.
    pub postgrest: Option<String>,
    /// The store is an upstream API: each request runs in the scope of its
    /// caller ([`crate::serve::store::http::scope`]).
    pub upstream: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            hosts: Vec::new(),
            bound: None,
            request_timeout: Duration::from_secs(30),
            studio: true,
            postgrest: None,
            upstream: false,
        }
    }
}

impl HttpOptions {
    /// The options `[api]` of `manifest` asks for.
    pub fn from_manifest(manifest: &Manifest) -> Self {
        let mut options = Self::default();
        if let Some(api) = &manifest.api {
            options.cors_origins.clone_from(&api.cors_origins);
            options.hosts.clone_from(&api.hosts);
            if let Some(seconds) = api.request_timeout_seconds {
                options.request_timeout = Duration::from_secs(seconds);
            }
            options.postgrest.clone_from(&api.postgrest);
        }
        options
    }

    /// Whether a browser at `origin` may call the API.
    pub fn allows_origin(&self, origin: &str) -> bool {
        if self
            .cors_origins
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
        {
            return true;
        }
        let Ok(url) = url::Url::parse(origin) else {
            return false;
        };
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(is_local_host)
    }

    /// Whether a request whose `Host` header is `host` is for this server.
    pub fn allows_host(&self, host: &str) -> bool {
        let name = host_name(host);
        if is_local_host(name)
            || self
                .hosts
                .iter()
                .any(|h| h == "*" || h.eq_ignore_ascii_case(name))
        {
            return true;
        }
        match self.bound {
            // Listening on every interface: the user opened the API to the
            // network on purpose, under whatever names reach it.
            Some(bound) if bound.is_unspecified() => true,
            Some(bound) => name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip == bound),
            None => false,
        }
    }

    /// The CORS layer: allowed origins only, any method and header.
    pub fn cors(self: &Arc<Self>) -> CorsLayer {
        let options = self.clone();
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
                origin.to_str().is_ok_and(|o| options.allows_origin(o))
            }))
            .allow_methods(tower_http::cors::Any)
            .allow_headers(tower_http::cors::Any)
            .expose_headers([
                header::LOCATION,
                header::ETAG,
                axum::http::HeaderName::from_static("x-request-id"),
            ])
            .max_age(Duration::from_secs(600))
    }
}

/// `localhost`, `*.localhost`, and loopback addresses.
fn is_local_host(name: &str) -> bool {
    let name = name.trim_start_matches('[').trim_end_matches(']');
    // Compared in place: this runs on every request.
    let bytes = name.as_bytes();
    bytes.eq_ignore_ascii_case(b"localhost")
        || bytes
            .len()
            .checked_sub(b".localhost".len())
            .is_some_and(|at| bytes[at..].eq_ignore_ascii_case(b".localhost"))
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The name part of a `Host` header (`example.com:8080` -> `example.com`,
/// `[::1]:8080` -> `[::1]`).
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Refuses requests from other origins, for other hosts, and writes that are
/// not JSON.
pub fn check(options: &HttpOptions, request: &Request) -> Result<(), Box<Response>> {
    // The problem context is built only for a refusal (a hot path).
    let ctx = || Ctx::of(request);
    let headers = request.headers();
    if let Some(host) = headers.get(header::HOST) {
        let host = host.to_str().unwrap_or_default();
        if !options.allows_host(host) {
            return Err(Box::new(Problem::new(
                StatusCode::MISDIRECTED_REQUEST,
                "unknown-host",
                "This server does not answer to that host name",
                format!(
                    "the request is for `{host}`; add the name to `[api] hosts` in baas.toml to serve it"
                ),
            )
            .respond(&ctx())));
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let same_origin = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|host| {
                url::Url::parse(origin).is_ok_and(|url| {
                    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                    url.host_str()
                        .is_some_and(|name| format!("{name}{port}").eq_ignore_ascii_case(host))
                })
            });
        if !same_origin && !options.allows_origin(origin) && request.method() != Method::OPTIONS {
            return Err(Box::new(Problem::new(
                StatusCode::FORBIDDEN,
                "origin",
                "This origin may not call the API",
                format!(
                    "requests from `{origin}` are refused; add it to `[api] cors_origins` in baas.toml to allow it"
                ),
            )
            .respond(&ctx())));
        }
    }
    if takes_json(
        request.method(),
        request.uri().path(),
        options.postgrest.as_deref(),
    ) && !is_json(headers.get(header::CONTENT_TYPE))
    {
        let given = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| "no content type".to_owned(), |v| format!("`{v}`"));
        return Err(Box::new(
            Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "media-type",
                "The body must be JSON",
                format!("the request has {given}; send `content-type: application/json`"),
            )
            .respond(&ctx()),
        ));
    }
    Ok(())
}

/// What the problem of a request that took too long names, copied before
/// the request goes on (cheap copies: shared bytes).
pub struct Deadline {
    uri: Uri,
    id: Option<HeaderValue>,
    asked: Option<RequestPath>,
}

impl Deadline {
    pub fn of(request: &Request) -> Self {
        Self {
            uri: request.uri().clone(),
            id: request.headers().get(REQUEST_ID).cloned(),
            asked: request.extensions().get::<RequestPath>().cloned(),
        }
    }

    /// Runs `work`, the rest of the request's way, within the request
    /// timeout: a request that takes longer is answered 503 and its work is
    /// dropped.
    pub async fn run(
        self,
        options: &HttpOptions,
        work: impl Future<Output = Response>,
    ) -> Response {
        match tokio::time::timeout(options.request_timeout, work).await {
            Ok(response) => response,
            Err(_) => {
                let mut ctx = Ctx::new(&self.uri, self.id.as_ref());
                if let Some(RequestPath(path)) = self.asked {
                    ctx.instance = path;
                }
                tracing::warn!(
                    target: "baas::serve",
                    request_id = ctx.request_id,
                    path = ctx.path,
                    "the request took longer than {} s and was stopped",
                    options.request_timeout.as_secs()
                );
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    "The request took too long",
                    format!(
                        "the request did not finish within {} s (`[api] request_timeout_seconds`)",
                        options.request_timeout.as_secs()
                    ),
                )
                .respond(&ctx)
            }
        }
    }
}

/// Requests whose body is JSON: writes and `_query`, on both profiles.
fn takes_json(method: &Method, path: &str, postgrest: Option<&str>) -> bool {
    match *method {
        Method::POST | Method::PUT | Method::PATCH => {
            path.starts_with("/api/")
                || postgrest.is_some_and(|prefix| {
                    path.strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('/'))
                })
        }
        _ => false,
    }
}

fn is_json(value: Option<&HeaderValue>) -> bool {
    let Some(value) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_origins_are_allowed_and_others_are_not() {
        let options = HttpOptions::default();
        for origin in [
            "http://localhost:3000",
            "http://127.0.0.1:5173",
            "https://app.localhost",
            "http://[::1]:8080",
        ] {
            assert!(options.allows_origin(origin), "{origin}");
        }
        for origin in [
            "https://evil.example",
            "http://localhost.evil.example",
            "null",
            "file://",
        ] {
            assert!(!options.allows_origin(origin), "{origin}");
        }
        let configured = HttpOptions {
            cors_origins: vec!["https://app.example.com".into()],
            ..HttpOptions::default()
        };
        assert!(configured.allows_origin("https://app.example.com"));
        assert!(!configured.allows_origin("https://example.com"));
    }

    #[test]
    fn hosts_are_checked_against_rebinding() {
        let options = HttpOptions {
            bound: Some("127.0.0.1".parse().unwrap()),
            ..HttpOptions::default()
        };
        for host in [
            "localhost:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
            "localhost",
        ] {
            assert!(options.allows_host(host), "{host}");
        }
        assert!(!options.allows_host("attacker.example:8080"));
        assert!(!options.allows_host("10.0.0.5:8080"));
        let open = HttpOptions {
            bound: Some("0.0.0.0".parse().unwrap()),
            ..HttpOptions::default()
        };
        assert!(open.allows_host("10.0.0.5:8080"));
        let named = HttpOptions {
            hosts: vec!["api.dev.test".into()],
            ..options
        };
        assert!(named.allows_host("api.dev.test:8080"));
    }

    #[test]
    fn only_json_content_types_count_as_json() {
        let json = |v: &'static str| is_json(Some(&HeaderValue::from_static(v)));
        assert!(json("application/json"));
        assert!(json("application/json; charset=utf-8"));
        assert!(json("application/merge-patch+json"));
        assert!(!json("text/plain"));
        assert!(!json("application/x-www-form-urlencoded"));
        assert!(!json("multipart/form-data; boundary=x"));
        assert!(!is_json(None));
    }
}
