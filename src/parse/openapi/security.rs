//! What the API asks callers to send (3.x `components.securitySchemes`,
//! Swagger 2.0 `securityDefinitions`, required by the document's or its
//! operations' `security`) → `[api.upstream] credentials`, so `serve`
//! calls the upstream with it instead of being refused on every call:
//!
//! - an API key in a header or the query → `in = "header"` / `"query"`
//!   with its name, the key read from `${UPSTREAM_API_KEY}`;
//! - HTTP bearer → `in = "bearer"`, `${UPSTREAM_TOKEN}`; OAuth 2.0 and
//!   OpenID Connect send their access token so too (the flow that gets it
//!   is a ledger line);
//! - HTTP basic → `in = "basic"`, `${UPSTREAM_CREDENTIALS}` holding
//!   `user:password`.
//!
//! The first requirement is the one sent. A requirement the API may go
//! without (`security: [{}, ...]`), one of several schemes at once, the
//! other alternatives and schemes baas cannot send (a cookie, HTTP digest,
//! mutual TLS) are ledger lines, never dropped unsaid.

use serde_json::{Map, Value};

use super::{Version, resolve};
use crate::manifest::{Credentials, CredentialsIn};
use crate::parse::json_schema::Walker;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The credentials the API requires, with ledger lines for what they leave out.
pub(super) fn credentials(
    root: &Value,
    version: Version,
    walker: &mut Walker<'_>,
) -> Option<Credentials> {
    let schemes = match version {
        Version::V20 => root.get("securityDefinitions"),
        Version::V30 | Version::V31 => root.pointer("/components/securitySchemes"),
    }
    .and_then(Value::as_object)?;
    if schemes.is_empty() {
        return None;
    }
    let requirements = requirements(root);
    let optional = requirements
        .iter()
        .any(|requirement| requirement.is_empty());
    let chosen: Vec<&String> = requirements
        .iter()
        .find(|requirement| !requirement.is_empty())
        .map(|requirement| requirement.keys().collect())
        .unwrap_or_default();
    let mut credentials = None;
    for (name, scheme) in schemes {
        let scheme = resolve(root, scheme);
        let object = format!("security {name}");
        let Some(index) = chosen.iter().position(|chosen| *chosen == name) else {
            let why = if chosen.is_empty() {
                "the document requires it nowhere"
            } else {
                "the document requires another"
            };
            walker.note(
                &object,
                "security",
                format!(
                    "security scheme `{name}` ({}) is not sent upstream: {why}",
                    describe(scheme)
                ),
            );
            continue;
        };
        if optional {
            walker.note(
                &object,
                "security",
                format!(
                    "security scheme `{name}` ({}) is optional (`security` allows `{{}}`), so \
                     calls go upstream without it; to send it, add `[api.upstream] credentials`",
                    describe(scheme)
                ),
            );
            continue;
        }
        if index > 0 {
            walker.note(
                &object,
                "security",
                format!(
                    "security scheme `{name}` ({}) is required with `{}`: `[api.upstream] \
                     credentials` send one scheme, so it is not sent",
                    describe(scheme),
                    chosen[0]
                ),
            );
            continue;
        }
        match credentials_of(scheme) {
            Some((found, flow)) => {
                if let Some(flow) = flow {
                    walker.note(
                        &object,
                        "security",
                        format!("security scheme `{name}`: {flow}"),
                    );
                }
                credentials = Some(found);
            }
            None => walker.note(
                &object,
                "security",
                format!(
                    "security scheme `{name}` ({}) cannot be sent by `[api.upstream] \
                     credentials` (a bearer token, HTTP basic, or a key in a header or the query)",
                    describe(scheme)
                ),
            ),
        }
    }
    credentials
}

/// The document's `security`, else every operation's, in order.
fn requirements(root: &Value) -> Vec<&Map<String, Value>> {
    fn listed(value: Option<&Value>) -> Option<Vec<&Map<String, Value>>> {
        Some(
            value?
                .as_array()?
                .iter()
                .filter_map(Value::as_object)
                .collect(),
        )
    }
    if let Some(global) = listed(root.get("security")) {
        return global;
    }
    let mut found = Vec::new();
    for item in root
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(Map::values)
    {
        let item = resolve(root, item);
        for method in METHODS {
            if let Some(requirements) = listed(item.get(*method).and_then(|o| o.get("security"))) {
                found.extend(requirements);
            }
        }
    }
    found
}

/// A scheme as credentials, with what its flow leaves to the user.
fn credentials_of(scheme: &Value) -> Option<(Credentials, Option<String>)> {
    let text = |key: &str| scheme.get(key).and_then(Value::as_str);
    let made = |location, name: Option<&str>, value: &str| Credentials {
        location,
        name: name.map(str::to_owned),
        value: Some(format!("${{{value}}}")),
    };
    match text("type")? {
        "apiKey" => {
            let name = text("name").filter(|name| !name.is_empty())?;
            let location = match text("in")? {
                "header" => CredentialsIn::Header,
                "query" => CredentialsIn::Query,
                _ => return None,
            };
            Some((made(location, Some(name), "UPSTREAM_API_KEY"), None))
        }
        "basic" => Some((
            made(CredentialsIn::Basic, None, "UPSTREAM_CREDENTIALS"),
            None,
        )),
        "http" => match text("scheme")?.to_ascii_lowercase().as_str() {
            "bearer" => Some((made(CredentialsIn::Bearer, None, "UPSTREAM_TOKEN"), None)),
            "basic" => Some((
                made(CredentialsIn::Basic, None, "UPSTREAM_CREDENTIALS"),
                None,
            )),
            _ => None,
        },
        kind @ ("oauth2" | "openIdConnect") => Some((
            made(CredentialsIn::Bearer, None, "UPSTREAM_TOKEN"),
            Some(format!(
                "the {} flow that gets an access token is not represented; the token in \
                 `UPSTREAM_TOKEN` is sent as a bearer token",
                if kind == "oauth2" {
                    "OAuth 2.0"
                } else {
                    "OpenID Connect"
                }
            )),
        )),
        _ => None,
    }
}

/// `API key in header X-Key`, `HTTP bearer`, `OAuth 2.0`, ...
fn describe(scheme: &Value) -> String {
    let text = |key: &str| scheme.get(key).and_then(Value::as_str).unwrap_or("?");
    match text("type") {
        "apiKey" => format!("API key in {} `{}`", text("in"), text("name")),
        "http" => format!("HTTP {}", text("scheme")),
        "basic" => "HTTP basic".to_owned(),
        "oauth2" => "OAuth 2.0".to_owned(),
        "openIdConnect" => "OpenID Connect".to_owned(),
        "mutualTLS" => "mutual TLS".to_owned(),
        other => format!("type `{other}`"),
    }
}
