//! Problems (RFC 9457): every 4xx and 5xx of the API is an
//! `application/problem+json` document. 4xx details say what is wrong and
//! where; 5xx are logged (passwords redacted) and answer a generic body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::ctx::Ctx;
use crate::query::QueryError;
use crate::serve::kernel::KernelError;
use crate::serve::store::StoreError;

/// Bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// One field's problem in a 422 (or the fields of a 409).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// An error answer: rendered as `application/problem+json`.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    /// The suffix of `urn:baas:problem:`.
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: String,
    ) -> Self {
        Self {
            status,
            kind,
            title,
            detail,
            errors: Vec::new(),
        }
    }

    pub fn bad_query(error: &QueryError) -> Self {
        let mut problem = Self::new(
            StatusCode::BAD_REQUEST,
            "bad-query",
            "The query is not valid",
            format!("`{}`: {}", error.at, error.message),
        );
        problem.errors.push(FieldProblem {
            field: error.at.clone(),
            code: "query".into(),
            message: error.message.clone(),
        });
        problem
    }

    pub fn bad_body(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-body",
            "The request body is not valid JSON",
            detail.into(),
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            detail.into(),
        )
    }

    pub fn read_only(entity: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "read-only",
            "This resource is read-only",
            format!("`{entity}` is a view: it can be read, not written"),
        )
    }

    pub fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "The request body is too large",
            format!("the body is over the limit of {BODY_LIMIT} bytes"),
        )
    }

    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let count = errors.len();
        let mut problem = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "The request body is not valid",
            if count == 1 {
                "1 field is not valid".into()
            } else {
                format!("{count} fields are not valid")
            },
        );
        problem.errors = errors;
        problem
    }

    /// A before-hook's refusal (its message, its status) or failure.
    pub fn hook(error: &crate::hooks::HookError) -> Self {
        use crate::hooks::HookError;
        let status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        match error {
            HookError::Rejected { .. } | HookError::Thrown { .. } => Self::new(
                status,
                "hook-rejected",
                "Refused by a hook",
                error.to_string(),
            ),
            _ => {
                tracing::warn!(target: "baas::hooks", "{error}");
                Self::new(status, "hook-failed", "A hook failed", error.to_string())
            }
        }
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "the server failed to answer; the log has the details".into(),
        )
    }

    /// Maps a database failure; 500s and 503s are logged, never shown.
    pub fn store(error: StoreError, ctx: &Ctx) -> Self {
        match error {
            StoreError::Conflict { fields } => {
                let detail = if fields.is_empty() {
                    "a row with the same unique value already exists".to_owned()
                } else {
                    format!(
                        "a row with the same {} already exists",
                        fields
                            .iter()
                            .map(|f| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                let mut problem = Self::new(StatusCode::CONFLICT, "conflict", "Conflict", detail);
                problem.errors = fields
                    .into_iter()
                    .map(|field| FieldProblem {
                        field,
                        code: "unique".into(),
                        message: "is already taken".into(),
                    })
                    .collect();
                problem
            }
            StoreError::Reference { relation } => Self::new(
                StatusCode::CONFLICT,
                "reference",
                "The change breaks a reference",
                match relation {
                    Some(relation) => format!(
                        "the reference {relation} would break: the referenced row is missing, or rows still reference this one"
                    ),
                    None => {
                        "the referenced row is missing, or rows still reference this one".into()
                    }
                },
            ),
            StoreError::Unavailable(error) => {
                tracing::error!(
                    request_id = ctx.request_id,
                    path = ctx.path,
                    "database unavailable: {}",
                    crate::source::redact(&format!("{error:#}"))
                );
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The database is unavailable",
                    "the database cannot be reached".into(),
                )
            }
            StoreError::Query(error) => Self::bad_query(&error),
            StoreError::Refused => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                StoreError::Refused.to_string(),
            ),
            StoreError::Upstream { status, detail } => {
                tracing::warn!(
                    request_id = ctx.request_id,
                    path = ctx.path,
                    "upstream: {detail}"
                );
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                Self::new(
                    status,
                    "upstream",
                    "The upstream API answered an error",
                    detail,
                )
            }
            StoreError::Credentials(error) => {
                tracing::error!(
                    request_id = ctx.request_id,
                    path = ctx.path,
                    "the database refused the credentials: {}",
                    crate::source::redact(&format!("{error:#}"))
                );
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The database is unavailable",
                    "the database refused the credentials the server connects with".into(),
                )
            }
            StoreError::NotMigrated { what, message } => {
                tracing::error!(
                    request_id = ctx.request_id,
                    path = ctx.path,
                    "the database has no {what} ({}): run `baas migrate apply`",
                    crate::source::redact(&message)
                );
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "not-migrated",
                    "The database is not migrated",
                    format!(
                        "the database has no {what}, which the manifest names: its migrations are not applied (`baas migrate apply`)"
                    ),
                )
            }
            StoreError::Internal(error) => {
                tracing::error!(
                    request_id = ctx.request_id,
                    path = ctx.path,
                    "internal error: {}",
                    crate::source::redact(&format!("{error:#}"))
                );
                Self::internal()
            }
        }
    }

    pub fn respond(self, ctx: &Ctx) -> Response {
        let mut body = json!({
            "type": format!("urn:baas:problem:{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "instance": ctx.instance,
            "request_id": ctx.request_id,
        });
        if !self.errors.is_empty()
            && let Some(object) = body.as_object_mut()
        {
            object.insert("errors".into(), json!(self.errors));
        }
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl Problem {
    /// Maps a kernel refusal or failure; `ctx` names the row for 404s.
    pub fn kernel(error: KernelError, ctx: &Ctx) -> Self {
        match error {
            KernelError::UnknownEntity(name) => {
                Self::not_found(format!("there is no entity `{name}`"))
            }
            KernelError::ReadOnly(name) => Self::read_only(&name),
            KernelError::NoKey(name) => Self::not_found(format!(
                "`{name}` has no primary key, so its rows have no address"
            )),
            KernelError::NotFound => {
                let raw = ctx.path.rsplit('/').next().unwrap_or_default();
                let entity = ctx.entity.as_deref().unwrap_or_default();
                Self::not_found(format!("no `{entity}` has the key `{raw}`"))
            }
            KernelError::Denied(reason) => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", reason)
            }
            KernelError::Query(error) => Self::bad_query(&error),
            KernelError::Invalid(errors) => Self::validation(
                errors
                    .into_iter()
                    .map(|e| FieldProblem {
                        field: e.field,
                        code: e.code.to_owned(),
                        message: e.message,
                    })
                    .collect(),
            ),
            KernelError::Store(error) => Self::store(error, ctx),
            KernelError::Hook(error) => Self::hook(&error),
        }
    }
}

pub type Answer = Result<Response, Problem>;

/// Runs a handler body and renders its problem with the request's context.
pub fn finish(ctx: &Ctx, answer: Answer) -> Response {
    answer.unwrap_or_else(|problem| problem.respond(ctx))
}

pub fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::error!("cannot serialize a response: {error}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
