//! `/api/_tenants`: the tenants of a tenanted deployment over HTTP, for the
//! platform's administrators ([`platform_admin`]: the service key, or a user
//! the `[tenancy] admin` rule lets through), with the provisioning `baas tenants` uses (the work is
//! behind [`crate::serve::store::resolver::TenantAdmin`]):
//!
//! | request | does |
//! |---|---|
//! | `GET /api/_tenants` | `{"tenants": [...]}` |
//! | `POST /api/_tenants` `{"slug", "name"?}` | provisions one (201), all or nothing |
//! | `GET /api/_tenants/{slug}` | one tenant |
//! | `POST /api/_tenants/{slug}/deactivate`, `/activate` | stops or resumes serving it |
//! | `DELETE /api/_tenants/{slug}` | drops it with its rows: `{"dropped": {...}}` |
//!
//! Errors are problems: 401 without credentials, 403 for anyone but an
//! administrator, 404 for an unknown
//! tenant (or a server without tenants), 400 for a bad slug, 409 for one
//! that exists, 422 when a migration fails (nothing is left behind), 503
//! when the registry or the tenant's server cannot be reached.

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::BytesRejection;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::Value as Json;

use super::Shared;
use super::ctx::Ctx;
use super::problem::{Problem, finish, json_response};
use super::request::json_body;
use super::routes::Caller;
use crate::manifest::{Manifest, TenantSource};
use crate::serve::policy::Principal;
use crate::serve::store::resolver::TenantCommand;

/// The tenant a platform administrator's token may name (or name none).
pub const SYSTEM: &str = "system";

/// Whether `caller` administers the platform (`/api/_tenants`,
/// `/api/_system`): the service key, or a signed-in user whose token the
/// `[tenancy] admin` rule lets through and names no tenant but
/// [`SYSTEM`] (an administrator of one tenant is not the platform's).
/// 401 for an anonymous caller, 403 for anyone else.
pub(super) fn platform_admin(manifest: &Manifest, caller: &Principal) -> Result<(), Problem> {
    let refused = |detail: &str| {
        Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Only the platform's administrators manage tenants",
            detail.to_owned(),
        )
    };
    let rule = manifest
        .tenancy
        .as_ref()
        .and_then(|tenancy| tenancy.admin.as_deref());
    let (id, role, claims) = match caller {
        Principal::Service => return Ok(()),
        Principal::Anonymous => {
            return Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Sign in to manage tenants",
                match rule {
                    Some(_) => "send the service key, or the token of a user `[tenancy] admin` lets through",
                    None => "send the service key (`apikey` or `Authorization: Bearer`)",
                }
                .into(),
            ));
        }
        Principal::User { id, role, claims } => (id, role, claims),
    };
    let Some(rule) = rule else {
        return Err(refused(
            "send the service key (`apikey` or `Authorization: Bearer`) to manage tenants: baas.toml has no `[tenancy] admin` rule",
        ));
    };
    let mut tenant_claims: Vec<String> = manifest
        .tenancy
        .iter()
        .flat_map(|tenancy| tenancy.sources())
        .filter_map(|source| match source {
            TenantSource::Claim(name) => Some(name),
            _ => None,
        })
        .collect();
    if let Some(auth) = &manifest.auth {
        tenant_claims.push(auth.claims.tenant.clone());
    }
    let names_a_tenant = tenant_claims.iter().any(|name| {
        crate::serve::policy::identity::claim(claims, name)
            .is_some_and(|value| !value.is_null() && value.as_str() != Some(SYSTEM))
    });
    if names_a_tenant {
        return Err(refused(
            "the token is for a tenant: only a token for no tenant (or for `system`) administers the platform",
        ));
    }
    let holds = crate::manifest::rules::check_caller_rule(rule).is_ok_and(|expr| {
        let request = crate::rules::Request {
            id: id.as_deref(),
            role: role.as_deref(),
            claims: Some(claims),
            now: crate::rules::now_seconds(),
            ..crate::rules::Request::default()
        };
        crate::rules::caller_rule_holds(manifest, &expr, &request)
    });
    if holds {
        Ok(())
    } else {
        Err(refused(
            "the `[tenancy] admin` rule does not let this user through",
        ))
    }
}

/// Runs `command` for an administrator and answers with `status`.
async fn answer(
    app: &crate::serve::state::AppState,
    caller: &Caller,
    ctx: &Ctx,
    command: Result<TenantCommand, Problem>,
    status: StatusCode,
) -> Response {
    let answer = async {
        platform_admin(app.snapshot().manifest(), &caller.0)?;
        let Some(admin) = app.kernel.stores.admin() else {
            return Err(Problem::not_found(
                "this server has no tenants (baas.toml has no `[tenancy]`)",
            ));
        };
        let value = admin.run(command?).await.map_err(|refusal| {
            Problem::new(
                StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                refusal.kind,
                "The tenant command was not done",
                refusal.detail,
            )
        })?;
        Ok(json_response(status, &value))
    }
    .await;
    finish(ctx, answer)
}

/// `GET /api/_tenants`.
pub async fn list(axum::extract::State(app): Shared, caller: Caller, ctx: Ctx) -> Response {
    answer(&app, &caller, &ctx, Ok(TenantCommand::List), StatusCode::OK).await
}

/// `POST /api/_tenants` with `{"slug": "acme", "name": "Acme"}` (and
/// optionally `"pool_size": 4`).
pub async fn create(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let command = json_body(body).and_then(|json| {
        let field = |name: &str| json.get(name).and_then(Json::as_str).map(str::to_owned);
        let unknown: Vec<&String> = json
            .as_object()
            .map(|object| {
                object
                    .keys()
                    .filter(|key| !matches!(key.as_str(), "slug" | "name" | "pool_size"))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(key) = unknown.first() {
            return Err(Problem::bad_body(format!(
                "`{key}` is not a field of a tenant: send `slug` and optionally `name` and `pool_size`"
            )));
        }
        let pool_size = match json.get("pool_size") {
            None | Some(Json::Null) => None,
            Some(value) => match value.as_u64() {
                Some(size @ 1..=100) => Some(size),
                _ => {
                    return Err(Problem::bad_body(
                        "`pool_size` is the number of connections of the tenant's pool (1 to 100)",
                    ));
                }
            },
        };
        let Some(slug) = field("slug") else {
            return Err(Problem::bad_body(
                "send `{\"slug\": \"acme\"}` (a string), optionally with `\"name\"`",
            ));
        };
        Ok(TenantCommand::Create {
            slug,
            name: field("name"),
            pool_size,
        })
    });
    answer(&app, &caller, &ctx, command, StatusCode::CREATED).await
}

/// `GET /api/_tenants/{slug}` (show) and `DELETE` (drop).
pub async fn one(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    method: Method,
    Path(slug): Path<String>,
) -> Response {
    let command = if method == Method::DELETE {
        TenantCommand::Drop(slug)
    } else {
        TenantCommand::Show(slug)
    };
    answer(&app, &caller, &ctx, Ok(command), StatusCode::OK).await
}

/// `POST /api/_tenants/{slug}/activate` and `/deactivate`.
pub async fn set_active(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    Path((slug, verb)): Path<(String, String)>,
) -> Response {
    let command = match verb.as_str() {
        "activate" => Ok(TenantCommand::Activate(slug)),
        "deactivate" => Ok(TenantCommand::Deactivate(slug)),
        other => Err(Problem::not_found(format!(
            "`{}` is not a tenant action: use `activate` or `deactivate`",
            other.chars().take(40).collect::<String>()
        ))),
    };
    answer(&app, &caller, &ctx, command, StatusCode::OK).await
}
