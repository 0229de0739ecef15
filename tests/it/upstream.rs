//! Existing APIs as a source: what an OpenAPI import keeps for serving the
//! API through baas (per entity, the operations with their action, query
//! parameters, pagination, rows key and error pointer), on the public specs
//! of the corpus and on baas's own OpenAPI document.

use std::path::Path;

use baas::introspect::IntrospectOptions;
use baas::manifest::{self, Manifest};
use baas::parse::openapi;

use crate::import_jsonschema::source;
use crate::support;

fn import(name: &str, text: String) -> Manifest {
    let introspection = openapi::parse(
        &source(Path::new(name), text),
        &IntrospectOptions::default(),
    )
    .unwrap_or_else(|d| {
        panic!(
            "{name} should import:\n{}",
            baas::diagnostics::render_problems(&d, false)
        )
    });
    support::assert_valid_and_round_trips(&introspection.manifest);
    introspection.manifest
}

/// One line per mapped operation, by entity then action.
fn mapped(manifest: &Manifest) -> String {
    let api = manifest.api.as_ref().expect("an [api] section");
    let mut lines: Vec<String> = api
        .operations
        .iter()
        .filter_map(|op| {
            let action = op.action?;
            let mut line = format!(
                "{} {:<7} {} {}",
                op.entity.as_deref().unwrap_or("-"),
                action.as_str(),
                op.method,
                op.path
            );
            if !op.query.is_empty() {
                line.push_str(&format!(" query={}", op.query.join(",")));
            }
            if let Some(p) = &op.pagination {
                let names: Vec<String> = [
                    ("limit", &p.limit),
                    ("offset", &p.offset),
                    ("page", &p.page),
                    ("cursor", &p.cursor),
                    ("next", &p.next),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
                .collect();
                line.push_str(&format!(" pagination={}({})", p.style, names.join(",")));
            }
            if let Some(rows) = &op.rows {
                line.push_str(&format!(" rows={rows}"));
            }
            if let Some(error) = &op.error {
                line.push_str(&format!(" error={error}"));
            }
            Some(line)
        })
        .collect();
    lines.sort();
    format!(
        "base_url: {}\n{}\n",
        api.base_url.as_deref().unwrap_or("-"),
        lines.join("\n")
    )
}

fn corpus(relative: &str) -> String {
    let path = support::corpus_file(relative);
    mapped(&import(relative, std::fs::read_to_string(path).unwrap()))
}

#[test]
fn petstore_variants_map_list_get_create_and_delete() {
    insta::assert_snapshot!(
        "petstore_3_0_operations",
        corpus("openapi/petstore-oas3.0.yaml")
    );
    insta::assert_snapshot!(
        "petstore_expanded_operations",
        corpus("openapi/petstore-expanded-oas3.0.yaml")
    );
    insta::assert_snapshot!(
        "petstore_swagger_2_0_operations",
        corpus("openapi/petstore-swagger2.0.json")
    );
}

#[test]
fn harbor_maps_its_link_header_paging_and_error_list() {
    insta::assert_snapshot!(
        "harbor_operations",
        corpus("openapi/harbor-v2.0.swagger2.0.yaml")
    );
}

#[test]
fn twilio_maps_its_wrapped_lists_and_next_page_urls() {
    insta::assert_snapshot!(
        "twilio_operations",
        corpus("openapi/twilio_messaging_v1.oas3.0.json")
    );
}

#[test]
fn baas_own_openapi_document_maps_every_entity_with_offset_paging() {
    let example = baas::serve::example_manifest().unwrap();
    let document = baas::codegen::openapi::document(&example);
    let manifest = import("bookshop.json", serde_json::to_string(&document).unwrap());
    let text = mapped(&manifest);
    insta::assert_snapshot!("baas_example_operations", text);
    // Every list of a table keeps its rows under `data` and pages by
    // limit/offset (a view has no `get` naming its inline row schema).
    let api = manifest.api.unwrap();
    let lists: Vec<_> = api
        .operations
        .iter()
        .filter(|op| op.action == Some(manifest::OperationAction::List))
        .collect();
    let tables = example
        .entities
        .values()
        .filter(|entity| entity.kind != manifest::EntityKind::View)
        .count();
    assert_eq!(lists.len(), tables, "{text}");
    assert!(lists.iter().all(|op| op.rows.as_deref() == Some("data")));
}

const SERVED: &str = r#"[manifest]
format = 1
version = 1

[source]
engine = "http"
url = "${UPSTREAM_URL}"

[entities.pet]
table = "pet"
primary_key = ["id"]

[entities.pet.fields]
id = { type = "int64" }
name = { type = "string" }

[api]

[api.upstream]
timeout_seconds = 2
max_concurrency = 8
retries = 1
max_pages = 3
expose_errors = true
credentials = { in = "header", name = "X-API-Key", value = "${PET_KEY}" }

[[api.operations]]
method = "GET"
path = "/pets"
entity = "pet"
action = "list"
query = ["name"]
pagination = { style = "page", limit = "per_page", page = "page" }
rows = "items"
error = "/message"
"#;

#[test]
fn upstream_keys_round_trip_through_the_manifest() {
    let loaded = manifest::load_str(Path::new("baas.toml"), SERVED.to_owned()).unwrap();
    let manifest = loaded.manifest;
    assert_eq!(
        manifest.source.as_ref().unwrap().engine,
        manifest::SourceEngine::Http
    );
    let api = manifest.api.as_ref().unwrap();
    let upstream = api.upstream.as_ref().unwrap();
    assert_eq!(upstream.max_pages, Some(3));
    assert!(upstream.expose_errors);
    let credentials = upstream.credentials.as_ref().unwrap();
    assert_eq!(credentials.location, manifest::CredentialsIn::Header);
    let list = &api.operations[0];
    assert_eq!(
        list.pagination.as_ref().unwrap().style,
        manifest::PaginationStyle::Page
    );
    assert_eq!(list.rows.as_deref(), Some("items"));
    support::assert_valid_and_round_trips(&manifest);
}

#[test]
fn bad_upstream_keys_are_reported_at_their_line_and_column() {
    for (from, to, expected) in [
        (r#"style = "page""#, r#"style = "pages""#, "`pages`"),
        (
            r#"value = "${PET_KEY}""#,
            r#"value = "hunter2""#,
            "environment reference",
        ),
        (r#"action = "list""#, r#"action = "browse""#, "`browse`"),
        (
            r#"error = "/message""#,
            r#"error = "message""#,
            "not a JSON pointer",
        ),
        (r#"name = "X-API-Key", "#, "", "need a `name`"),
        ("retries = 1", "retries = \"1\"", "retries"),
    ] {
        assert!(SERVED.contains(from), "{from}");
        let text = SERVED.replacen(from, to, 1);
        let diagnostics = match manifest::load_str(Path::new("baas.toml"), text) {
            Ok(_) => panic!("`{to}` should be refused"),
            Err(diagnostics) => diagnostics,
        };
        assert!(
            diagnostics.problems.iter().all(|p| p.span.is_some()),
            "{to}: {:?}",
            diagnostics.problems
        );
        let rendered = baas::diagnostics::render_problems(&diagnostics, false);
        assert!(rendered.contains(expected), "{to}: {rendered}");
        assert!(
            rendered.contains("baas.toml:"),
            "{to}: no position in {rendered}"
        );
    }
}
