//! `/api/_tenants`: the tenants of a tenanted deployment over HTTP, for the
//! service key only, with the provisioning `baas tenants` uses (the work is
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
//! Errors are problems: 403 without the service key, 404 for an unknown
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
use crate::serve::policy::Principal;
use crate::serve::store::resolver::TenantCommand;

/// Runs `command` for the service key and answers with `status`.
async fn answer(
    app: &crate::serve::state::AppState,
    caller: &Caller,
    ctx: &Ctx,
    command: Result<TenantCommand, Problem>,
    status: StatusCode,
) -> Response {
    let answer = async {
        if *caller.0 != Principal::Service {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Only the service key manages tenants",
                "send the service key (`apikey` or `Authorization: Bearer`) to manage tenants"
                    .into(),
            ));
        }
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

/// `POST /api/_tenants` with `{"slug": "acme", "name": "Acme"}`.
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
                    .filter(|key| !matches!(key.as_str(), "slug" | "name"))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(key) = unknown.first() {
            return Err(Problem::bad_body(format!(
                "`{key}` is not a field of a tenant: send `slug` and optionally `name`"
            )));
        }
        let Some(slug) = field("slug") else {
            return Err(Problem::bad_body(
                "send `{\"slug\": \"acme\"}` (a string), optionally with `\"name\"`",
            ));
        };
        Ok(TenantCommand::Create {
            slug,
            name: field("name"),
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
