//! `/api/_system/...`: the platform as tenant `system` (DESIGN.md §5b).
//! The registry is described by a built-in manifest ([`manifest`]) and
//! served by the kernel's own routes (list with filters, order and paging,
//! view, `_query`, update) over the registry's store, for the platform's
//! administrators only ([`super::tenants_api::platform_admin`]).
//!
//! | request | does |
//! |---|---|
//! | `GET /api/_system/tenants?active=eq.true&order=slug` | a list, as any entity's |
//! | `GET /api/_system/tenants/{id}` | one tenant |
//! | `POST /api/_system/tenants/_query` | a list, the query in the body |
//! | `PATCH /api/_system/tenants/{id}` `{"name"?, "active"?}` | renames, deactivates or activates it |
//!
//! The manifest has no `location` or `pool_options` field, so no request
//! can select, filter or order by them. Tenants are made and dropped with
//! `/api/_tenants` only (405 here); only `name` and `active` change, and
//! `updated_at` follows.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::Value as Json;
use tower::ServiceExt as _;

use super::Shared;
use super::ctx::{Ctx, RequestPath};
use super::problem::{BODY_LIMIT, Problem};
use super::request::json_body;
use super::routes::{self, Caller};
use super::{many, tenants_api::platform_admin};
use crate::manifest::{Manifest, load_str};
use crate::serve::policy::rules::Rules;
use crate::serve::state::AppState;
use crate::serve::store::resolver::Single;

/// The entity the registry is served as.
pub const ENTITY: &str = "tenants";

/// The fields of [`ENTITY`] a request may change.
pub const WRITABLE: &[&str] = &["name", "active"];

const MANIFEST: &str = r#"[manifest]
format = 1
version = 1

[project]
name = "system"

[entities.tenants]
table = "_baas_tenants"
primary_key = ["id"]

[entities.tenants.fields]
id = { type = "int64", generated = "identity" }
slug = { type = "string" }
name = { type = "string", nullable = true }
active = { type = "bool" }
ready = { type = "bool" }
schema_version = { type = "int64", nullable = true }
created_at = { type = "string" }
updated_at = { type = "string" }
"#;

/// The built-in manifest of the registry for a deployment serving
/// `served`: its `[auth]` (without built-in users), and its `[tenancy]
/// admin` rule as the rules of list, view and update. Create and delete
/// have no rule, so `[auth]` leaves them to the service key.
pub fn manifest(served: &Manifest) -> Manifest {
    let mut manifest = match load_str(std::path::Path::new("system.toml"), MANIFEST.to_owned()) {
        Ok(loaded) => loaded.manifest,
        // The text above is fixed and loads (a unit test says so).
        Err(_) => Manifest::default(),
    };
    manifest.auth = served.auth.clone().map(|mut auth| {
        auth.users = None;
        auth
    });
    let admin = served
        .tenancy
        .as_ref()
        .and_then(|tenancy| tenancy.admin.clone());
    if let Some(entity) = manifest.entities.get_mut(ENTITY) {
        entity.rules.list.clone_from(&admin);
        entity.rules.view.clone_from(&admin);
        entity.rules.update = admin;
    }
    manifest
}

/// The system's state and routes, built again when the served manifest
/// changes (its `[auth]` or admin rule may have).
#[derive(Default)]
pub struct Cache {
    current: Mutex<Option<Built>>,
}

/// The served manifest the system was built for, its state and routes.
type Built = (Arc<Manifest>, Arc<AppState>, Router);

impl Cache {
    /// The routes of the system for the served manifest `source`.
    fn routes(&self, source: &Arc<Manifest>, store: Arc<dyn crate::serve::store::Store>) -> Router {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &mut *current {
            Some((served, _, router)) if Arc::ptr_eq(served, source) => router.clone(),
            Some((served, app, router)) => {
                app.swap_manifest(Arc::new(manifest(source)));
                *served = source.clone();
                router.clone()
            }
            None => {
                let app = AppState::with(
                    Arc::new(manifest(source)),
                    Arc::new(Rules),
                    Arc::new(Single(store)),
                );
                let router = Router::new()
                    .route("/api/{entity}", get(many::list))
                    .route("/api/{entity}/_query", post(routes::query_body))
                    .route("/api/{entity}/{id}", get(many::read).patch(routes::patch))
                    .with_state(app.clone());
                *current = Some((source.clone(), app, router.clone()));
                router
            }
        }
    }
}

/// Every request under `/api/_system`.
pub async fn serve(
    axum::extract::State(app): Shared,
    axum::Extension(cache): axum::Extension<Arc<Cache>>,
    caller: Caller,
    request: Request,
) -> Response {
    let ctx = Ctx::of(&request);
    match forward(&app, &cache, &caller, request).await {
        Ok(response) => response,
        Err(problem) => problem.respond(&ctx),
    }
}

async fn forward(
    app: &AppState,
    cache: &Cache,
    caller: &Caller,
    request: Request,
) -> Result<Response, Problem> {
    let state = app.snapshot();
    platform_admin(state.manifest(), &caller.0)?;
    let Some(admin) = app.kernel.stores.admin() else {
        return Err(Problem::not_found(
            "this server has no tenants (baas.toml has no `[tenancy]`), so no `/api/_system`",
        ));
    };
    let rest = request
        .uri()
        .path()
        .strip_prefix("/api/_system")
        .unwrap_or_default()
        .to_owned();
    let segments: Vec<&str> = rest.split('/').skip(1).collect();
    let method = request.method().clone();
    let allowed = match (segments.as_slice(), &method) {
        ([_], &Method::GET) | ([_, "_query"], &Method::POST) => true,
        ([_, id], &Method::GET | &Method::PATCH) => *id != "_query",
        _ => false,
    };
    if !allowed {
        return Err(Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Not done on the system's entities",
            format!(
                "`{method} /api/_system{}`: the registry is read (GET, `_query`) and its tenants' `name` and `active` updated (PATCH) here; tenants are made and dropped with `/api/_tenants`",
                rest.chars().take(80).collect::<String>()
            ),
        ));
    }
    let store = admin.registry_store().await.map_err(|error| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "tenant-unavailable",
            "The tenant registry cannot be read now",
            crate::source::redact(&error.to_string()),
        )
    })?;
    let router = cache.routes(state.source_manifest(), store);
    drop(state);
    let (mut parts, body) = request.into_parts();
    let mut deactivating = false;
    let body = if method == Method::PATCH {
        let (bytes, deactivates) = update_body(body).await?;
        deactivating = deactivates;
        Body::from(bytes)
    } else {
        body
    };
    if parts.extensions.get::<RequestPath>().is_none() {
        parts
            .extensions
            .insert(RequestPath(parts.uri.path().to_owned()));
    }
    let path_and_query = match parts.uri.query() {
        Some(query) => format!("/api{rest}?{query}"),
        None => format!("/api{rest}"),
    };
    parts.uri = path_and_query
        .parse::<Uri>()
        .map_err(|_| Problem::not_found("this path is not served"))?;
    let response = router
        .oneshot(Request::from_parts(parts, body))
        .await
        .unwrap_or_else(|never| match never {});
    if method == Method::PATCH {
        app.kernel.stores.forget_tenants();
    }
    if deactivating && response.status().is_success() {
        // The tenant's open store goes at once, as `/api/_tenants` closes
        // it: the response names the tenant.
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, BODY_LIMIT)
            .await
            .map_err(|_| Problem::internal())?;
        if let Some(slug) = serde_json::from_slice::<Json>(&bytes)
            .ok()
            .as_ref()
            .and_then(|row| row["slug"].as_str())
        {
            admin.deactivated(slug);
        }
        return Ok(Response::from_parts(parts, Body::from(bytes)));
    }
    Ok(response)
}

/// The body of a PATCH: `name` and `active` only, with `updated_at` set;
/// and whether it deactivates the tenant.
async fn update_body(body: Body) -> Result<(Vec<u8>, bool), Problem> {
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| Problem::too_large());
    let mut json = json_body(Ok(bytes?))?;
    let Some(object) = json.as_object_mut() else {
        return Err(Problem::bad_body(
            "send an object: `{\"name\": \"Acme\"}` or `{\"active\": false}`",
        ));
    };
    if let Some(key) = object.keys().find(|key| !WRITABLE.contains(&key.as_str())) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "read-only-field",
            "The field cannot be changed here",
            format!(
                "`{}` of a tenant is not changed here: only `name` and `active` are (tenants are made and dropped with `/api/_tenants`)",
                key.chars().take(64).collect::<String>()
            ),
        ));
    }
    let deactivates = object.get("active") == Some(&Json::Bool(false));
    object.insert(
        "updated_at".into(),
        Json::String(crate::rules::timestamp(crate::rules::now_seconds(), true)),
    );
    let bytes = serde_json::to_vec(&json).map_err(|_| Problem::internal())?;
    Ok((bytes, deactivates))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_manifest_loads_without_the_location() {
        let manifest = manifest(&Manifest::default());
        let entity = &manifest.entities[ENTITY];
        assert_eq!(entity.table, "_baas_tenants");
        assert!(entity.fields.contains_key("slug"));
        assert!(!entity.fields.contains_key("location"));
        assert!(!entity.fields.contains_key("pool_options"));
        assert!(entity.rules.is_empty());
    }
}
