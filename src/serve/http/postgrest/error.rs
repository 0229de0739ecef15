//! PostgREST's error body, `{code, message, details, hint}`, with its
//! status codes: `PGRST...` codes where PostgREST has them, PostgreSQL
//! SQLSTATEs where it passes the database's error on.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::query::QueryError;
use crate::serve::http::Ctx;
use crate::serve::http::problem::Problem;
use crate::serve::kernel::KernelError;
use crate::serve::operation::Principal;
use crate::serve::store::StoreError;

/// One error answer of the profile.
#[derive(Debug)]
pub struct PgError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<String>,
    pub hint: Option<String>,
}

impl PgError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            hint: None,
        }
    }

    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A query string PostgREST could not parse (PGRST100).
    pub fn parse(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "PGRST100", message)
    }

    /// Something PostgREST serves that this profile does not (400, PGRST100).
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::parse(message).hint("docs/postgrest.md lists what the profile serves")
    }

    /// A query that names what the manifest does not have.
    pub fn query(error: &QueryError) -> Self {
        let code = if error.message.starts_with("unknown field") {
            "42703"
        } else {
            "PGRST100"
        };
        Self::new(StatusCode::BAD_REQUEST, code, error.message.clone())
            .details(format!("at `{}`", error.at))
    }

    pub fn unknown_table(name: &str, names: &[&str]) -> Self {
        let error = Self::new(
            StatusCode::NOT_FOUND,
            "PGRST205",
            format!("Could not find the table 'public.{name}' in the schema cache"),
        );
        match crate::manifest::diagnostics::closest(name, names) {
            Some(close) => error.hint(format!("Perhaps you meant the table 'public.{close}'")),
            None => error,
        }
    }

    /// A kernel refusal or failure, for `principal`.
    pub fn kernel(error: KernelError, principal: &Principal, ctx: &Ctx) -> Self {
        match error {
            KernelError::UnknownEntity(name) => Self::unknown_table(&name, &[]),
            KernelError::ReadOnly(name) => Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "PGRST101",
                format!("`{name}` is a view: it can be read, not written"),
            ),
            KernelError::NoKey(name) => Self::new(
                StatusCode::BAD_REQUEST,
                "PGRST100",
                format!("`{name}` has no primary key, so its rows cannot be written one by one"),
            ),
            KernelError::NotFound => Self::new(
                StatusCode::NOT_FOUND,
                "PGRST116",
                "the row is not there (or not visible to you)",
            ),
            // As PostgreSQL's `42501` through PostgREST: 401 without a
            // signed-in user, 403 with one.
            KernelError::Denied(reason) => Self::new(
                if matches!(principal, Principal::Anonymous) {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::FORBIDDEN
                },
                "42501",
                reason,
            ),
            KernelError::Query(error) => Self::query(&error),
            KernelError::Invalid(errors) => {
                let code = match errors.first().map(|e| e.code) {
                    Some("required" | "null") => "23502",
                    Some("max_length") => "22001",
                    Some("range") => "22003",
                    Some("type" | "enum") => "22P02",
                    Some("unknown") => "PGRST204",
                    Some("read_only") => "428C9",
                    _ => "23514",
                };
                let message = errors
                    .iter()
                    .map(|e| {
                        if e.field.is_empty() {
                            e.message.clone()
                        } else {
                            format!("`{}` {}", e.field, e.message)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                Self::new(StatusCode::BAD_REQUEST, code, message)
                    .details(serde_json::to_string(&errors).unwrap_or_default())
            }
            KernelError::Store(StoreError::Conflict { fields }) => Self::new(
                StatusCode::CONFLICT,
                "23505",
                "duplicate key value violates unique constraint",
            )
            .details(if fields.is_empty() {
                "a row with the same unique value already exists".to_owned()
            } else {
                format!("Key ({}) already exists.", fields.join(", "))
            }),
            KernelError::Store(StoreError::Reference { relation }) => Self::new(
                StatusCode::CONFLICT,
                "23503",
                "the change breaks a reference (foreign key constraint)",
            )
            .details(relation.map_or_else(
                || "the referenced row is missing, or rows still reference this one".to_owned(),
                |relation| {
                    format!(
                        "the reference {relation} would break: the referenced row is missing, or rows still reference this one"
                    )
                },
            )),
            KernelError::Store(StoreError::Query(error)) => Self::query(&error),
            // A before-hook's refusal: its status and message (P0001 is
            // PostgreSQL's `RAISE EXCEPTION`, what a trigger would give).
            KernelError::Hook(error) => {
                let problem = Problem::hook(&error);
                Self::new(problem.status, "P0001", problem.detail)
            }
            // 5xx: logged by the problem mapping, never shown.
            KernelError::Store(other) => {
                let problem = Problem::store(other, ctx);
                Self::new(problem.status, "PGRST000", problem.detail)
            }
        }
    }

    pub fn respond(self) -> Response {
        let body = json!({
            "code": self.code,
            "message": self.message,
            "details": self.details,
            "hint": self.hint,
        });
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

impl From<QueryError> for PgError {
    fn from(error: QueryError) -> Self {
        Self::query(&error)
    }
}
