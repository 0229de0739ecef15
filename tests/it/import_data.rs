//! Data files: a json-server `db.json` and NDJSON as mongoexport writes it
//! (MongoDB Extended JSON) infer a manifest the way MongoDB sampling does,
//! including objects keyed by data recorded as maps.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use baas::introspect::{IntrospectOptions, Introspection};
use baas::manifest::{FieldType, SourceEngine};
use baas::parse::{SourceFile, SourceFormat, data, detect};

use crate::support::{assert_valid_and_round_trips, baas, ledger_kinds};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data")
        .join(name)
}

fn import(path: &Path, text: &str) -> Introspection {
    let file = SourceFile {
        path: path.to_owned(),
        text: Arc::new(text.to_owned()),
    };
    data::parse(&file, &IntrospectOptions::default()).unwrap_or_else(|d| {
        panic!(
            "{} should import:\n{}",
            path.display(),
            baas::diagnostics::render_problems(&d, false)
        )
    })
}

#[test]
fn a_json_server_database_gives_one_entity_per_collection() {
    let path = fixture("db.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(detect(&path, &text), Some(SourceFormat::Data));
    let imported = import(&path, &text);
    let manifest = &imported.manifest;
    assert_eq!(
        manifest.source.as_ref().map(|s| s.engine),
        Some(SourceEngine::Mongodb)
    );
    let names: Vec<&str> = manifest.entities.keys().map(String::as_str).collect();
    assert_eq!(names, ["comments", "posts", "profile"]);
    let posts = &manifest.entities["posts"];
    assert_eq!(posts.primary_key, ["id"]);
    assert_eq!(posts.fields["views"].ty, FieldType::Int32);
    assert!(posts.fields["tags"].optional);
    // json-server's singular resource: a collection of one document, keyed
    // by an `_id` it does not hold, as the ledger says.
    assert_eq!(manifest.entities["profile"].primary_key, ["_id"]);
    assert_eq!(
        ledger_kinds(&imported),
        [
            ("profile".to_owned(), "added_key".to_owned()),
            ("profile".to_owned(), "singular_resource".to_owned()),
            ("version".to_owned(), "not_a_collection".to_owned())
        ]
    );
    assert_valid_and_round_trips(manifest);
}

#[test]
fn ndjson_from_mongoexport_reads_extended_json_types() {
    let path = fixture("users.ndjson");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(detect(&path, &text), Some(SourceFormat::Data));
    let imported = import(&path, &text);
    let users = &imported.manifest.entities["users"];
    assert_eq!(users.primary_key, ["_id"]);
    let types: Vec<(&str, FieldType)> = users
        .fields
        .iter()
        .map(|(name, field)| (name.as_str(), field.ty))
        .collect();
    assert_eq!(
        types,
        [
            ("_id", FieldType::ObjectId),
            ("name", FieldType::String),
            ("joined", FieldType::Timestamptz),
            ("balance", FieldType::Decimal),
            ("age", FieldType::Int32),
        ]
    );
    assert_valid_and_round_trips(&imported.manifest);
}

#[test]
fn objects_keyed_by_ids_become_one_map_field_that_validates_and_generates() {
    // 30 documents, each with scores keyed by other users' ids and a title
    // keyed by language: one map field each, not a field per key.
    let mut lines = String::new();
    for user in 0..30 {
        let scores: Vec<String> = (0..4)
            .map(|other| {
                format!(
                    "\"{:024x}\": {{\"score\": {other}, \"seen\": true}}",
                    0x64a1_0000_u64 + (user * 11 + other) as u64
                )
            })
            .collect();
        lines.push_str(&format!(
            "{{\"_id\": {user}, \"scores\": {{{}}}, \"title\": {{\"en\": \"a\", \"fr\": \"b\", \"de\": \"c\", \"es\": \"d\", \"it\": \"e\", \"nl\": \"f\", \"pt-BR\": \"g\", \"sv\": \"h\"}}}}\n",
            scores.join(", ")
        ));
    }
    let imported = import(Path::new("players.jsonl"), &lines);
    let players = &imported.manifest.entities["players"];
    let scores = &players.fields["scores"];
    assert_eq!(scores.ty, FieldType::Object);
    assert!(scores.fields.is_none());
    let value = scores.items.as_deref().expect("a map has a value shape");
    assert_eq!(value.ty, FieldType::Object);
    assert_eq!(value.fields.as_ref().unwrap().len(), 2);
    let title = &players.fields["title"];
    assert_eq!(
        title.items.as_deref().map(|f| f.ty),
        Some(FieldType::String)
    );
    assert!(
        ledger_kinds(&imported)
            .iter()
            .any(|(object, kind)| object == "players.scores" && kind == "map")
    );
    assert_valid_and_round_trips(&imported.manifest);

    // The generated TypeScript types say it is a map.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("players.jsonl"), &lines).unwrap();
    let output = baas(dir.path())
        .args(["introspect", "players.jsonl", "--force"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let output = baas(dir.path())
        .args(["codegen", "ts", "--out", "gen"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let generated: String = std::fs::read_dir(dir.path().join("gen"))
        .unwrap()
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
        .collect();
    assert!(
        generated.contains("scores: { [key: string]: { score: number; seen: boolean } }"),
        "{generated}"
    );
}

#[test]
fn a_line_that_is_not_a_document_is_an_error_at_its_line() {
    let file = SourceFile {
        path: PathBuf::from("docs.ndjson"),
        text: Arc::new("{\"a\": 1}\n[1, 2]\n{\"a\": 2}\n{broken\n".to_owned()),
    };
    let diagnostics = data::parse(&file, &IntrospectOptions::default()).unwrap_err();
    let rendered = baas::diagnostics::render_problems(&diagnostics, false);
    assert!(rendered.contains("docs.ndjson:2:1"), "{rendered}");
    assert!(rendered.contains("docs.ndjson:4:1"), "{rendered}");
}

/// The relation of a field and the entity and key it refers to.
fn relations(imported: &Introspection, entity: &str) -> Vec<(String, String, String)> {
    imported.manifest.entities[entity]
        .relations
        .iter()
        .map(|relation| {
            (
                relation.fields.join(","),
                relation.references.entity.clone(),
                relation.references.fields.join(","),
            )
        })
        .collect()
}

#[test]
fn fields_named_singular_id_whose_values_are_keys_of_a_collection_are_relations() {
    // json-server's convention (`postId` → `posts`), snake case, a plural in
    // -ies, and MongoDB's `*_id` holding ObjectIds.
    let text = r#"{
      "posts": [{"id": 1, "title": "a"}, {"id": 2, "title": "b"}],
      "authors": [{"id": "ann"}, {"id": "bob"}],
      "categories": [{"_id": {"$oid": "64a100000000000000000001"}, "name": "x"}],
      "comments": [
        {"id": 1, "postId": 1, "author_id": "ann", "category_id": {"$oid": "64a100000000000000000001"}},
        {"id": 2, "postId": 2, "author_id": "bob", "category_id": null},
        {"id": 3, "postId": 2, "author_id": "bob", "userId": 7, "boxId": 9}
      ],
      "drafts": [{"id": 1, "postId": 3}]
    }"#;
    let imported = import(Path::new("db.json"), text);
    assert_eq!(
        relations(&imported, "comments"),
        [
            ("postId".into(), "posts".into(), "id".into()),
            ("author_id".into(), "authors".into(), "id".into()),
            ("category_id".into(), "categories".into(), "_id".into()),
        ]
    );
    // Post 3 does not exist: a name alone makes no relation.
    assert_eq!(relations(&imported, "drafts"), []);
    assert!(
        ledger_kinds(&imported)
            .contains(&("drafts.postId".to_owned(), "unmatched_reference".to_owned())),
        "{:?}",
        ledger_kinds(&imported)
    );
    assert_valid_and_round_trips(&imported.manifest);

    // The fixture's comments refer to its posts.
    let path = fixture("db.json");
    let imported = import(&path, &std::fs::read_to_string(&path).unwrap());
    assert_eq!(
        relations(&imported, "comments"),
        [("postId".into(), "posts".into(), "id".into())]
    );
}

/// A json-server database may name a collection like a JSON Schema keyword
/// (`properties` of a real-estate app, `type`) and hold lists that are not
/// documents (`"years": [2023, 2024]`): it is still detected as data, not
/// refused as a broken schema or an unknown format. An empty collection and
/// a key given to documents that have none are ledger lines; both were
/// silent.
#[test]
fn collections_named_like_schema_keywords_lists_of_values_and_empty_lists_are_data() {
    let text = r#"{
      "properties": [{"id": 1, "title": "Villa", "agentId": 1}],
      "type": [{"id": 1, "name": "house"}],
      "agents": [{"id": 1, "name": "Ann"}],
      "years": [2023, 2024],
      "favorites": [],
      "settings": [{"theme": "dark"}]
    }"#;
    let path = Path::new("db.json");
    assert_eq!(detect(path, text), Some(SourceFormat::Data));
    let imported = import(path, text);
    let names: Vec<&str> = imported
        .manifest
        .entities
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["agents", "properties", "settings", "type"]);
    assert_eq!(
        ledger_kinds(&imported),
        [
            ("favorites".to_owned(), "empty_collection".to_owned()),
            ("settings".to_owned(), "added_key".to_owned()),
            ("years".to_owned(), "not_a_collection".to_owned())
        ]
    );
    assert_valid_and_round_trips(&imported.manifest);
    // The binary reads it without `--format`.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("db.json"), text).unwrap();
    let output = baas(dir.path())
        .args(["introspect", "db.json", "--dry-run", "-q"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    // A schema is still a schema: its keywords with the values a schema
    // gives them.
    let schema = r#"{"type": "object", "properties": {"id": {"type": "integer"}}}"#;
    assert_eq!(
        detect(Path::new("thing.json"), schema),
        Some(SourceFormat::Jsonschema)
    );
    let typed = r#"{"type": ["object", "null"], "required": ["id"]}"#;
    assert_eq!(
        detect(Path::new("thing.json"), typed),
        Some(SourceFormat::Jsonschema)
    );
}
