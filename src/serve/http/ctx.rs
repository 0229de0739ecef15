//! A request's context for problems and logs ([`Ctx`]): its path, its id,
//! its query and the entity it names. A leaf of `http`: `problem` renders
//! with it and `request` reads with it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderName, HeaderValue, Request, Uri};

use crate::query;

/// The longest `x-request-id` a client may choose; a longer (or not
/// printable ASCII) one is replaced by a generated id.
pub const MAX_REQUEST_ID: usize = 128;

/// What an error response needs from the request: its path and id.
pub struct Ctx {
    pub path: String,
    /// The path the client asked for (a problem's `instance`): `path`,
    /// unless the routes answering see another ([`RequestPath`]).
    pub instance: String,
    pub request_id: String,
    pub query: Option<String>,
    /// The entity segment of `/api/{entity}/...`, percent-decoded.
    pub entity: Option<String>,
    /// The tenant the request is for (set by `http::tenant`).
    pub tenant: Option<String>,
}

impl Ctx {
    /// The context of a request with `uri` and the id header `id`.
    pub fn new(uri: &Uri, id: Option<&HeaderValue>) -> Self {
        let path = uri.path().to_owned();
        let entity = entity_segment(&path)
            .filter(|segment| !segment.is_empty())
            .map(|segment| query::percent_decode(segment).unwrap_or_else(|| segment.to_owned()));
        Self {
            request_id: id
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            query: uri.query().map(str::to_owned),
            entity,
            instance: path.clone(),
            path,
            tenant: None,
        }
    }

    /// The context of `request`, as its handler would see it: the path the
    /// client asked for ([`RequestPath`]) and the tenant, when known. Every
    /// middleware answering with a problem builds its context here.
    pub fn of<B>(request: &Request<B>) -> Self {
        Self::new(request.uri(), request.headers().get(REQUEST_ID)).within(request.extensions())
    }

    /// This context with what the layers before the routes learnt of the
    /// request: the path asked for and the tenant.
    pub fn within(mut self, extensions: &Extensions) -> Self {
        if let Some(RequestPath(path)) = extensions.get::<RequestPath>() {
            self.instance.clone_from(path);
        }
        if let Some(RequestTenant(tenant)) = extensions.get::<RequestTenant>() {
            self.tenant = Some(tenant.clone());
        }
        self
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::new(&parts.uri, parts.headers.get(REQUEST_ID)).within(&parts.extensions))
    }
}

/// The path the client asked for, when the routes answering it see
/// another (`/t/acme/api/note` is routed as `/api/note`,
/// `/api/_system/tenants` is served as `/api/tenants`): a problem's
/// `instance` names the client's. Set by the first layer that rewrites the
/// path; a later rewrite keeps it.
#[derive(Debug, Clone)]
pub struct RequestPath(pub String);

/// The tenant of a request, once `http::tenant` resolved it.
#[derive(Debug, Clone)]
pub struct RequestTenant(pub String);

/// The header that carries the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The raw (percent-encoded) `{entity}` segment of `/api/{entity}/...`.
pub(super) fn entity_segment(path: &str) -> Option<&str> {
    path.strip_prefix("/api/")
        .and_then(|rest| rest.split('/').next())
}

/// Whether a client's `x-request-id` may be echoed back: short, printable
/// ASCII without quotes or angle brackets.
pub fn acceptable_request_id(value: &[u8]) -> bool {
    !value.is_empty()
        && value.len() <= MAX_REQUEST_ID
        && value
            .iter()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\'' | b'&'))
}
