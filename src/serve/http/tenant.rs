//! Which tenant a request is for (`[tenancy] resolve`, DESIGN.md §5b):
//! a header, a JWT claim, the subdomain, or the path `/t/{tenant}/api/...`.
//!
//! The claim of a verified token is trusted over everything else: a header,
//! subdomain or path naming another tenant than the token's is refused with
//! 403, never followed. Without a claim, the sources given must agree. The
//! service key may name any tenant. A tenant that is unknown, not yet
//! provisioned or deactivated is a 404 problem before any work is done.
//! The tenant found is kept in the request ([`RequestTenant`]) and becomes
//! `Operation::tenant` (through [`super::Ctx`]).

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;

use super::ctx::{Ctx, RequestPath, RequestTenant};
use super::problem::Problem;
use super::routes::Caller;
use crate::manifest::TenantSource;
use crate::serve::policy::Principal;
use crate::serve::state::AppState;
use crate::serve::store::resolver::Refusal;

/// The tenant named by the path prefix `/t/{tenant}`, stripped from the
/// path before routing.
#[derive(Debug, Clone)]
pub struct PathTenant(pub String);

/// Strips `/t/{tenant}` from `/t/{tenant}/api/...` (the routes are the
/// same with or without it) and keeps the tenant for [`resolve`].
pub fn strip_path_prefix(mut request: Request) -> Request {
    let path = request.uri().path();
    let Some(rest) = path.strip_prefix("/t/") else {
        return request;
    };
    let Some((tenant, tail)) = rest.split_once('/') else {
        return request;
    };
    if !tail.starts_with("api") || tenant.is_empty() {
        return request;
    }
    let tenant = tenant.to_owned();
    let asked = RequestPath(path.to_owned());
    let mut new_path = format!("/{tail}");
    if let Some(query) = request.uri().query() {
        new_path.push('?');
        new_path.push_str(query);
    }
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = new_path.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
            request.extensions_mut().insert(PathTenant(tenant));
            request.extensions_mut().insert(asked);
        }
    }
    request
}

/// Finds the request's tenant (see the module docs), or refuses it.
pub async fn resolve(app: &AppState, request: Request) -> Result<Request, Box<Response>> {
    // The tenants' administration is for no tenant (the platform's).
    if is_platform_api(request.uri().path()) {
        return Ok(request);
    }
    let state = app.snapshot();
    let Some(tenancy) = state.manifest().tenancy.as_ref() else {
        if request.extensions().get::<PathTenant>().is_some() {
            return refuse(
                &request,
                Problem::not_found(
                    "this server has no tenants: `/t/{tenant}/api/...` is not served",
                ),
            );
        }
        return Ok(request);
    };
    let sources = tenancy.sources();
    drop(state);
    // Boxed: a server without tenants keeps every request's future small.
    Box::pin(resolve_in(app, request, sources)).await
}

/// [`resolve`] on a server with tenants, named by `sources`.
async fn resolve_in(
    app: &AppState,
    mut request: Request,
    sources: Vec<TenantSource>,
) -> Result<Request, Box<Response>> {
    let principal = request
        .extensions()
        .get::<Caller>()
        .map(|caller| caller.0.clone())
        .unwrap_or_else(|| Arc::new(Principal::Anonymous));
    let mut claimed: Option<String> = None;
    let mut named: Vec<(String, &'static str)> = Vec::new();
    let path_tenant = request
        .extensions()
        .get::<PathTenant>()
        .map(|tenant| tenant.0.clone());
    if path_tenant.is_some() && !sources.contains(&TenantSource::Path) {
        return refuse(
            &request,
            Problem::not_found(
                "tenants are not named by the path here (`[tenancy] resolve` has no \"path\")",
            ),
        );
    }
    for source in &sources {
        match source {
            TenantSource::Claim(name) => {
                if claimed.is_none()
                    && let Principal::User { claims, .. } = &*principal
                {
                    claimed = claim_text(crate::serve::policy::identity::claim(claims, name));
                }
            }
            TenantSource::Header(name) => {
                if let Some(value) = request.headers().get(name.as_str()) {
                    let text = value.to_str().unwrap_or_default().trim().to_owned();
                    named.push((text, "header"));
                }
            }
            TenantSource::Subdomain => {
                if let Some(label) = request
                    .headers()
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .and_then(subdomain)
                {
                    named.push((label, "subdomain"));
                }
            }
            TenantSource::Path => {
                if let Some(tenant) = &path_tenant {
                    named.push((tenant.clone(), "path"));
                }
            }
        }
    }
    // A token that names a tenant (`@auth.tenant`) is for that tenant
    // even when `resolve` lists no claim: a header, subdomain or path
    // naming another is refused like one contradicting a listed claim.
    if claimed.is_none()
        && !sources.iter().any(|s| matches!(s, TenantSource::Claim(_)))
        && let Principal::User { claims, .. } = &*principal
    {
        claimed = claim_text(claims.get("tenant"));
    }
    let tenant = match claimed {
        Some(claimed) => {
            if let Some((other, how)) = named.iter().find(|(name, _)| *name != claimed) {
                return refuse(
                    &request,
                    Problem::new(
                        StatusCode::FORBIDDEN,
                        "tenant-mismatch",
                        "The request names another tenant than its token",
                        format!(
                            "the token is for tenant `{claimed}`, the {how} names `{}`",
                            shown(other)
                        ),
                    ),
                );
            }
            Some(claimed)
        }
        None => {
            let mut names = named.iter();
            let first = names.next().cloned();
            if let Some((first, _)) = &first
                && let Some((other, how)) = names.find(|(name, _)| name != first)
            {
                return refuse(
                    &request,
                    Problem::new(
                        StatusCode::BAD_REQUEST,
                        "tenant-conflict",
                        "The request names two tenants",
                        format!("`{}` and, by the {how}, `{}`", shown(first), shown(other)),
                    ),
                );
            }
            // A signed-in user whose token names no tenant may not pick one:
            // only the service key and anonymous callers (whose rules
            // decide) name tenants by header, subdomain or path.
            if first.is_some()
                && matches!(&*principal, Principal::User { .. })
                && sources.iter().any(|s| matches!(s, TenantSource::Claim(_)))
            {
                return refuse(
                    &request,
                    Problem::new(
                        StatusCode::FORBIDDEN,
                        "tenant-mismatch",
                        "The token names no tenant",
                        "the token has no tenant claim, so it may not be used for a tenant".into(),
                    ),
                );
            }
            first.map(|(name, _)| name)
        }
    };
    let Some(tenant) = tenant else {
        return Ok(request);
    };
    match app.kernel.stores.admit(&tenant).await {
        Ok(()) => {
            request.extensions_mut().insert(RequestTenant(tenant));
            Ok(request)
        }
        Err(Refusal::Unavailable(_)) => refuse(
            &request,
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "tenant-unavailable",
                "The tenant cannot be served now",
                format!(
                    "tenant `{}` cannot be reached now; try again later",
                    shown(&tenant)
                ),
            ),
        ),
        Err(Refusal::Inactive | Refusal::Unknown | Refusal::NoTenants) => refuse(
            &request,
            Problem::new(
                StatusCode::NOT_FOUND,
                "unknown-tenant",
                "No such tenant",
                format!("there is no tenant `{}`", shown(&tenant)),
            ),
        ),
    }
}

/// A tenant claim's text (a string or a number).
fn claim_text(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// `/api/_tenants`, `/api/_system` and below: the platform's own routes.
fn is_platform_api(path: &str) -> bool {
    ["/api/_tenants", "/api/_system"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// A tenant name as echoed in a problem: short and printable.
fn shown(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}

/// The first label of a host name with at least three labels
/// (`acme.api.example.com`) or of `acme.localhost`; no port, no address.
fn subdomain(host: &str) -> Option<String> {
    let name = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    if name.starts_with('[') || name.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let labels: Vec<&str> = name.split('.').collect();
    let enough = labels.len() >= 3 || (labels.len() == 2 && labels[1] == "localhost");
    enough.then(|| labels[0].to_ascii_lowercase())
}

fn refuse(request: &Request, problem: Problem) -> Result<Request, Box<Response>> {
    Err(Box::new(problem.respond(&Ctx::of(request))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_are_first_labels_of_long_names() {
        assert_eq!(subdomain("acme.api.example.com"), Some("acme".into()));
        assert_eq!(subdomain("acme.localhost:8080"), Some("acme".into()));
        assert_eq!(subdomain("example.com"), None);
        assert_eq!(subdomain("127.0.0.1:8080"), None);
        assert_eq!(subdomain("[::1]:8080"), None);
    }
}
