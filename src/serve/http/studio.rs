//! The studio: a web admin page served at `/_studio` (docs/studio.md).
//!
//! Its files (`studio/` in the repository: plain JavaScript modules and CSS,
//! no build step) are embedded in the binary and gzipped once, on first use.
//! The page loads them from `/_studio/v/{version}/...`, where the version is
//! a hash of every file: those answers are cached for a year (`immutable`),
//! while the page itself is revalidated (`no-cache` and an `ETag`), so a new
//! binary is picked up at the next load and nothing stale is ever served.
//!
//! The studio talks to the public API only (entity routes, discovery, the
//! OpenAPI document, `_auth`, `_realtime`), plus `/_studio/schema.json`: the
//! served manifest's entities in full (relations, indexes, uniques, checks,
//! comments), which discovery leaves out.
//!
//! Two answers need the served database's engine (its migration runner and
//! introspector), which the HTTP layer cannot reach: `GET /api/_migrations`
//! (migrations applied and pending with their checksums, and the drift of
//! the live schema from the manifest) and `GET /_studio/ledger.json` (the
//! fidelity ledger of the live schema, by entity and field). `baas serve`
//! gives them an [`Admin`] as a request extension ([`AdminHandle`]); both
//! are for the service key only (for everyone without `[auth]`).
//!
//! Every studio answer carries a strict Content-Security-Policy: scripts,
//! styles and connections from this origin only, no inline code, no frames.

use std::io::Write as _;
use std::sync::LazyLock;

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::{Value as Json, json};
use sha2::{Digest as _, Sha256};

use futures::future::BoxFuture;

use super::Shared;
use super::ctx::Ctx;
use super::problem::{Problem, finish, json_response};
use super::routes::Caller;
use crate::ledger::{Ledger, LedgerEntry};
use crate::manifest::{Manifest, TenantSource};
use crate::serve::operation::Principal;
use crate::serve::state::{AppState, State};

/// Where the studio is served.
pub const PATH: &str = "/_studio";

/// The policy of every studio answer: nothing from elsewhere, no inline code.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The embedded files: name, content type, bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../../studio/index.html"),
    ),
    (
        "studio.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../studio/studio.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../studio/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../studio/api.js"),
    ),
    (
        "dom.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../studio/dom.js"),
    ),
    (
        "grid.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../studio/grid.js"),
    ),
    (
        "schema.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../studio/schema.js"),
    ),
    (
        "diagram.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../studio/diagram.js"),
    ),
    (
        "explorer.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../studio/explorer.js"),
    ),
    (
        "changes.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../studio/changes.js"),
    ),
    (
        "migrations.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../studio/migrations.js"),
    ),
    (
        "tenants.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../studio/tenants.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../../studio/favicon.svg"),
    ),
];

/// One embedded file, ready to send.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    /// The body gzipped, when that is smaller.
    gzip: Option<Vec<u8>>,
    etag: String,
}

/// The studio's files and their version (a hash of all of them).
struct Assets {
    version: String,
    files: Vec<Asset>,
}

static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let mut all = Sha256::new();
    for (name, _, bytes) in FILES {
        all.update(name.as_bytes());
        all.update(bytes);
    }
    let version = hex(&all.finalize()[..6]);
    let files = FILES
        .iter()
        .map(|(name, content_type, bytes)| {
            // The page names its files under the version, so a new binary
            // never meets a cached old file.
            let body = if *name == "index.html" {
                String::from_utf8_lossy(bytes)
                    .replace("{{version}}", &version)
                    .into_bytes()
            } else {
                bytes.to_vec()
            };
            let etag = format!("\"{}\"", hex(&Sha256::digest(&body)[..8]));
            let gzip = gzip(&body).filter(|packed| packed.len() < body.len());
            Asset {
                name,
                content_type,
                body,
                gzip,
                etag,
            }
        })
        .collect();
    Assets { version, files }
});

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

/// The size of the studio's files, plain and gzipped (bytes): what
/// docs/studio.md states.
pub fn size() -> (usize, usize) {
    ASSETS.files.iter().fold((0, 0), |(plain, packed), asset| {
        (
            plain + asset.body.len(),
            packed + asset.gzip.as_ref().map_or(asset.body.len(), Vec::len),
        )
    })
}

/// The studio's routes; with `enabled`, `/` also redirects to it. Disabled
/// (`baas serve --no-studio`), there are none and both paths are 404.
pub fn routes(enabled: bool) -> Router<std::sync::Arc<AppState>> {
    if !enabled {
        return Router::new();
    }
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/_studio/") }))
        .route(PATH, get(page))
        .route("/_studio/", get(page))
        .route("/_studio/schema.json", get(schema))
        .route("/_studio/ledger.json", get(ledger))
        .route("/_studio/v/{version}/{file}", get(file))
}

/// The administrator's routes of the API (served with or without the
/// studio): `GET /api/_migrations`.
pub fn admin_routes() -> Router<std::sync::Arc<AppState>> {
    Router::new().route("/api/_migrations", get(migrations))
}

async fn page(headers: HeaderMap) -> Response {
    send("index.html", &headers, false)
}

async fn file(Path((version, name)): Path<(String, String)>, headers: HeaderMap) -> Response {
    if name == "index.html" {
        return not_found();
    }
    // Another version's file is served (the current one) but not kept.
    send(&name, &headers, version == ASSETS.version)
}

fn not_found() -> Response {
    studio_headers(
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found\n",
        )
            .into_response(),
    )
}

/// Answers with one embedded file: gzipped when the client takes it,
/// 304 when its `If-None-Match` names the file's tag.
fn send(name: &str, headers: &HeaderMap, immutable: bool) -> Response {
    if let Some(dir) = std::env::var_os("BAAS_STUDIO_DIR") {
        return from_disk(std::path::Path::new(&dir), name);
    }
    let Some(asset) = ASSETS.files.iter().find(|asset| asset.name == name) else {
        return not_found();
    };
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == asset.etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let takes_gzip = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|coding| {
                let mut parts = coding.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q == 0.0))
                });
                name.eq_ignore_ascii_case("gzip") && !refused
            });
        let mut response = match (&asset.gzip, takes_gzip) {
            (Some(packed), true) => {
                let mut response = packed.clone().into_response();
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                response
            }
            _ => asset.body.clone().into_response(),
        };
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        response
    };
    let out = response.headers_mut();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(etag) = HeaderValue::from_str(&asset.etag) {
        out.insert(header::ETAG, etag);
    }
    studio_headers(response)
}

/// `BAAS_STUDIO_DIR=studio baas serve`: the files are read from that
/// folder at every request (for working on the studio without rebuilding).
/// Only the names of the embedded files are served, never cached.
fn from_disk(dir: &std::path::Path, name: &str) -> Response {
    let Some((_, content_type, _)) = FILES.iter().find(|(file, _, _)| *file == name) else {
        return not_found();
    };
    let Ok(mut body) = std::fs::read(dir.join(name)) else {
        return not_found();
    };
    if name == "index.html" {
        body = String::from_utf8_lossy(&body)
            .replace("{{version}}", "dev")
            .into_bytes();
    }
    let mut response = body.into_response();
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    studio_headers(response)
}

/// The studio's own security policy (the API's default one forbids
/// scripts and styles, which a page needs).
fn studio_headers(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

/// `GET /_studio/schema.json`: what the schema view shows that discovery
/// does not: each entity as the served manifest has it (the built-in users'
/// password field is not in it), the enums, and which parts of the
/// platform are configured (`tenancy`: how the studio names a tenant), and
/// whether the caller is the administrator. Rules are shown to the service
/// key only.
async fn schema(
    axum::extract::State(app): Shared,
    caller: Caller,
    extension: Option<axum::Extension<AdminHandle>>,
) -> Response {
    let state = app.snapshot();
    let manifest = state.manifest();
    let service = matches!(*caller.0, Principal::Service);
    let auth = state.source_manifest().auth.as_ref();
    let entities: serde_json::Map<String, Json> = manifest
        .entities
        .iter()
        .map(|(name, entity)| {
            let mut value = serde_json::to_value(entity).unwrap_or(Json::Null);
            if let Some(object) = value.as_object_mut()
                && !service
            {
                object.remove("rules");
                object.remove("policies");
            }
            (name.clone(), value)
        })
        .collect();
    let mut response = json_response(
        StatusCode::OK,
        &json!({
            "project": manifest.project.name,
            "version": manifest.version,
            "engine": manifest.source.as_ref().map(|source| source.engine.as_str()),
            "auth": auth.map(|auth| json!({
                "service_key": auth.service_key.is_some(),
                "users": auth.users.is_some(),
            })),
            // Whether the caller may read the administrator's answers
            // (migrations, the ledger, tenants): the studio shows those
            // pages only then.
            "administrator": administrator(&state, &caller).is_ok(),
            // Whether the server knows its database (`/api/_migrations`).
            "migrations": extension.is_some(),
            "tenancy": manifest.tenancy.as_ref().map(|tenancy| {
                let sources = tenancy.sources();
                json!({
                    "strategy": tenancy.strategy,
                    "header": sources.iter().find_map(|source| match source {
                        TenantSource::Header(name) => Some(name.clone()),
                        _ => None,
                    }),
                    "path": sources.contains(&TenantSource::Path),
                })
            }),
            "enums": manifest.enums,
            "entities": entities,
        }),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What the administrator's answers read from the served database, given
/// by `baas serve` (which owns the engines); errors are one sentence, with
/// no password in it.
pub trait Admin: Send + Sync {
    /// `GET /api/_migrations`: the migrations folder against the database's
    /// history (`baas migrate status --json`'s rows, each with the checksum
    /// of its up file and the one applied), and the drift of the live
    /// schema from `manifest` (`baas check --db`'s changes).
    fn migrations<'a>(&'a self, manifest: &'a Manifest) -> BoxFuture<'a, Result<Json, String>>;

    /// The fidelity ledger of the live schema (what it has that the
    /// manifest cannot hold), as introspection records it.
    fn ledger<'a>(&'a self, manifest: &'a Manifest) -> BoxFuture<'a, Result<Ledger, String>>;
}

/// The [`Admin`] of a server, as a request extension.
#[derive(Clone)]
pub struct AdminHandle(pub Arc<dyn Admin>);

/// The served database's [`Admin`], or why there is none.
fn admin_of(extension: Option<axum::Extension<AdminHandle>>) -> Result<Arc<dyn Admin>, Problem> {
    extension
        .map(|axum::Extension(handle)| handle.0)
        .ok_or_else(|| {
            Problem::new(
            StatusCode::NOT_FOUND,
            "not-available",
            "Not available",
            "this server does not know its database (`baas serve --example`, or a server built \
             without one), so it has no migrations to show"
                .into(),
        )
        })
}

/// The service key may read the administrator's answers; without `[auth]`
/// everyone may (as everyone may do everything).
fn administrator(state: &State, caller: &Caller) -> Result<(), Problem> {
    if state.source_manifest().auth.is_none() {
        return Ok(());
    }
    match *caller.0 {
        Principal::Service => Ok(()),
        Principal::Anonymous => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The credentials are not valid",
            "this answer is for the service key: send it as `Authorization: Bearer <key>`".into(),
        )),
        Principal::User { .. } => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "this answer is for the service key, not for a user".into(),
        )),
    }
}

/// The database could not be read: 503, with the reason.
fn unavailable(reason: String) -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "The database cannot be read",
        reason,
    )
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /api/_migrations` (docs/studio.md).
async fn migrations(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    extension: Option<axum::Extension<AdminHandle>>,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        administrator(&state, &caller)?;
        let admin = admin_of(extension)?;
        let report = admin
            .migrations(state.source_manifest())
            .await
            .map_err(unavailable)?;
        Ok(no_store(json_response(StatusCode::OK, &report)))
    }
    .await;
    finish(&ctx, answer)
}

/// `GET /_studio/ledger.json`: the ledger's lines by the entity (and field)
/// they are about: `{"entities": {name: {"entity": [...], "fields":
/// {field: [...]}}}, "other": [...]}`.
async fn ledger(
    axum::extract::State(app): Shared,
    caller: Caller,
    ctx: Ctx,
    extension: Option<axum::Extension<AdminHandle>>,
) -> Response {
    let state = app.snapshot();
    let answer = async {
        administrator(&state, &caller)?;
        let admin = admin_of(extension)?;
        let ledger = admin
            .ledger(state.source_manifest())
            .await
            .map_err(unavailable)?;
        Ok(no_store(json_response(
            StatusCode::OK,
            &ledger_by_entity(state.manifest(), &ledger),
        )))
    }
    .await;
    finish(&ctx, answer)
}

/// Files each ledger line under the entity it names (by its table,
/// `schema.table` or its name) and, for `table.column`, under the field;
/// lines about nothing the manifest serves are `other`.
pub fn ledger_by_entity(manifest: &Manifest, ledger: &Ledger) -> Json {
    let mut entities = serde_json::Map::new();
    let mut other: Vec<&LedgerEntry> = Vec::new();
    for entry in ledger.entries() {
        let found = manifest.entities.iter().find_map(|(name, entity)| {
            let qualified = entity
                .schema
                .as_ref()
                .map(|schema| format!("{schema}.{}", entity.table));
            let names = [
                Some(entity.table.as_str()),
                qualified.as_deref(),
                Some(name),
            ];
            names.into_iter().flatten().find_map(|prefix| {
                if entry.object == prefix {
                    return Some((name, entity, None));
                }
                let column = entry.object.strip_prefix(prefix)?.strip_prefix('.')?;
                let field = entity
                    .fields
                    .iter()
                    .find(|(field, f)| f.column.as_deref().unwrap_or(field) == column)
                    .map(|(field, _)| field.as_str());
                Some((name, entity, Some(field.unwrap_or(column))))
            })
        });
        let Some((name, _, field)) = found else {
            other.push(entry);
            continue;
        };
        let slot = entities
            .entry(name.clone())
            .or_insert_with(|| json!({ "entity": [], "fields": {} }));
        let list = match field {
            None => slot.get_mut("entity"),
            Some(field) => slot
                .get_mut("fields")
                .and_then(Json::as_object_mut)
                .map(|fields| fields.entry(field).or_insert_with(|| json!([]))),
        };
        if let Some(Json::Array(list)) = list {
            list.push(json!(entry));
        }
    }
    json!({ "entities": entities, "other": other })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/studio.md states the size of the files, gzipped: within 2%.
    #[test]
    fn the_docs_state_the_gzipped_size() {
        let docs = include_str!("../../../docs/studio.md");
        let (plain, packed) = size();
        let stated = docs
            .split("**")
            .find_map(|part| part.strip_suffix(" kB gzipped"))
            .and_then(|number| number.parse::<f64>().ok())
            .expect("docs/studio.md states `**N kB gzipped**`");
        let actual = packed as f64 / 1000.0;
        assert!(
            (stated - actual).abs() <= actual * 0.02,
            "docs/studio.md says {stated} kB gzipped; the files are {:.1} kB, {actual:.1} kB \
             gzipped ({} files)",
            plain as f64 / 1000.0,
            FILES.len()
        );
    }

    #[test]
    fn ledger_lines_are_filed_under_their_entity_and_field() {
        let manifest = crate::manifest::load_str(
            std::path::Path::new("baas.toml"),
            r#"
[manifest]
format = 1
version = 1

[entities.film]
table = "films"
schema = "catalog"
primary_key = ["id"]
[entities.film.fields]
id = { type = "int64" }
title = { type = "string", column = "film_title" }
"#
            .to_owned(),
        )
        .expect("manifest")
        .manifest;
        let mut ledger = Ledger::new();
        ledger.record("films", "trigger", "a trigger");
        ledger.record("catalog.films.film_title", "collation", "a collation");
        ledger.record(
            "film.rating",
            "domain",
            "a domain on a column the manifest lacks",
        );
        ledger.record("films_archive", "partition", "about another table");
        ledger.record("filmsx", "trigger", "a table whose name starts the same");
        let filed = ledger_by_entity(&manifest, &ledger);
        let film = &filed["entities"]["film"];
        assert_eq!(film["entity"][0]["kind"], "trigger", "{filed}");
        assert_eq!(film["fields"]["title"][0]["kind"], "collation", "{filed}");
        assert_eq!(film["fields"]["rating"][0]["kind"], "domain", "{filed}");
        let other: Vec<&str> = filed["other"]
            .as_array()
            .expect("other")
            .iter()
            .filter_map(|e| e["object"].as_str())
            .collect();
        assert_eq!(other, ["films_archive", "filmsx"], "{filed}");
    }

    #[test]
    fn every_file_the_page_names_is_embedded() {
        let page = &ASSETS
            .files
            .iter()
            .find(|asset| asset.name == "index.html")
            .expect("index.html")
            .body;
        let page = String::from_utf8_lossy(page);
        let prefix = format!("/_studio/v/{}/", ASSETS.version);
        let named: Vec<&str> = page
            .split(&prefix)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default())
            .collect();
        assert!(named.contains(&"app.js"), "{page}");
        for name in named {
            assert!(
                ASSETS.files.iter().any(|asset| asset.name == name),
                "{name} is not embedded"
            );
        }
    }

    #[test]
    fn every_module_import_is_embedded() {
        for asset in ASSETS.files.iter().filter(|a| a.name.ends_with(".js")) {
            let text = String::from_utf8_lossy(&asset.body);
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let name = line
                    .rsplit("./")
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches([';', '\'', '"']);
                assert!(
                    ASSETS.files.iter().any(|a| a.name == name),
                    "{}: imports `{name}`, which is not embedded",
                    asset.name
                );
            }
        }
    }
}
