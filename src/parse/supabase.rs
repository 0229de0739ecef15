//! Hosted schema documents: Supabase / PostgREST (`GET /rest/v1/`) and
//! OpenAPI documents served over HTTP (in progress).

use url::Url;

use crate::introspect::{IntrospectError, IntrospectOptions, Introspection};

/// Fetches the schema document at `url` and reads it into a manifest.
pub async fn fetch(
    url: &Url,
    _options: &IntrospectOptions,
) -> Result<Introspection, IntrospectError> {
    Err(IntrospectError::Unsupported(format!(
        "importing `{}` is not available yet in this build",
        crate::source::redact(url.as_str())
    )))
}
