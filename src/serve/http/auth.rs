//! The identity layer: sets each request's [`Caller`] from its
//! credentials, per the served manifest's `[auth]` (read from the
//! snapshot, so a hot reload of `[auth]` applies to the next request).
//!
//! No credentials: anonymous. The service key (`Authorization: Bearer
//! <key>` or `apikey: <key>`): the service. A valid bearer JWT: its user.
//! Anything else: 401 problem with `WWW-Authenticate: Bearer
//! error="invalid_token"` (RFC 6750), never a 500. Without `[auth]`
//! nothing is read and every request is anonymous.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::ctx::Ctx;
use super::problem::Problem;
use super::routes::Caller;
use crate::serve::policy::Principal;
use crate::serve::policy::identity::AuthFailure;
use crate::serve::state::AppState;

/// Finds the principal of the request and records it for the handlers.
pub async fn identify(app: &AppState, mut request: Request) -> Result<Request, Box<Response>> {
    let state = app.snapshot();
    let identity = match &state.identity {
        Ok(None) => return Ok(request),
        Ok(Some(identity)) => identity.clone(),
        Err(_) => {
            // A broken `[auth]` (it was checked at start and at reload, so
            // this is rare): no credential can be verified.
            let has_credentials = request.headers().contains_key(header::AUTHORIZATION)
                || request.headers().contains_key("apikey");
            if has_credentials {
                return Err(Box::new(refuse(
                    &request,
                    &AuthFailure {
                        code: "invalid_token",
                        detail: "the server cannot verify credentials: its `[auth]` is not usable"
                            .into(),
                        unavailable: true,
                    },
                )));
            }
            request
                .extensions_mut()
                .insert(Caller(Arc::new(Principal::Anonymous)));
            return Ok(request);
        }
    };
    drop(state);
    // Boxed: a server without `[auth]` keeps every request's future small.
    match Box::pin(identity.authenticate(request.headers())).await {
        Ok(principal) => {
            if principal == Principal::Service {
                crate::serve::store::http::withhold_authorization();
            }
            request.extensions_mut().insert(Caller(Arc::new(principal)));
            Ok(request)
        }
        Err(failure) => Err(Box::new(refuse(&request, &failure))),
    }
}

/// 401 (or 503 when the keys cannot be had) with the RFC 6750 challenge.
fn refuse(request: &Request, failure: &AuthFailure) -> Response {
    let ctx = Ctx::of(request);
    let (status, kind, title) = if failure.unavailable {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "auth-unavailable",
            "Credentials cannot be verified now",
        )
    } else {
        (
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The credentials are not valid",
        )
    };
    let mut response = Problem::new(status, kind, title, failure.detail.clone()).respond(&ctx);
    let challenge = format!("Bearer error=\"{}\"", failure.code);
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    if failure.unavailable {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}
