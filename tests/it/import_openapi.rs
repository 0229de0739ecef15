//! OpenAPI / Swagger import and the Supabase (PostgREST) source: the five
//! corpus specs (counts and snapshots; summaries for the two big ones), an
//! OpenAPI 3.1 document of our own, malformed documents with their line and
//! column, corrupted corpus files that must never panic, and the Supabase
//! fetch against a local HTTP server serving a PostgREST schema document.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baas::introspect::{IntrospectError, IntrospectOptions, Introspection};
use baas::manifest::{self, Diagnostics, FieldType, Manifest, SourceEngine};
use baas::parse::openapi;

use crate::import_jsonschema::{
    entity_names, field, first_message, first_position, ledger_kinds, ledger_text, source,
};
use crate::support;
use crate::support::{assert_valid_and_round_trips, baas};

fn import_text(name: &str, text: &str) -> Result<Introspection, Diagnostics> {
    openapi::parse(
        &source(Path::new(name), text.to_owned()),
        &IntrospectOptions::default(),
    )
}

fn import_path(path: &Path) -> Introspection {
    let text = std::fs::read_to_string(path).unwrap();
    let introspection = openapi::parse(&source(path, text), &IntrospectOptions::default())
        .unwrap_or_else(|d| {
            panic!(
                "{} should import:\n{}",
                path.display(),
                baas::diagnostics::render_problems(&d, false)
            )
        });
    assert_valid_and_round_trips(&introspection.manifest);
    introspection
}

fn corpus(relative: &str) -> Introspection {
    import_path(&support::corpus_file(relative))
}

fn has_entry(introspection: &Introspection, object: &str, kind: &str) -> bool {
    ledger_kinds(introspection)
        .iter()
        .any(|(o, k)| o == object && k == kind)
}

/// `(entity, fields, target, target fields)` of every relation.
fn relations(manifest: &Manifest) -> Vec<(String, String, String, String)> {
    manifest
        .entities
        .iter()
        .flat_map(|(name, entity)| {
            entity.relations.iter().map(move |relation| {
                (
                    name.clone(),
                    relation.fields.join(","),
                    relation.references.entity.clone(),
                    relation.references.fields.join(","),
                )
            })
        })
        .collect()
}

fn operations(manifest: &Manifest) -> Vec<String> {
    manifest
        .api
        .as_ref()
        .map(|api| {
            api.operations
                .iter()
                .map(|op| {
                    format!(
                        "{} {} id={} entity={}",
                        op.method,
                        op.path,
                        op.id.as_deref().unwrap_or("-"),
                        op.entity.as_deref().unwrap_or("-")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn base_url(manifest: &Manifest) -> Option<&str> {
    manifest
        .api
        .as_ref()
        .and_then(|api| api.base_url.as_deref())
}

/// Counts, the API, the ledger by kind, and the full text of a few
/// entities: a snapshot of a manifest too big to review whole.
fn summary(introspection: &Introspection, shown: &[&str]) -> String {
    let manifest = &introspection.manifest;
    let mut out = String::new();
    out.push_str(&format!("project: {:?}\n", manifest.project.name));
    for (what, count) in manifest::validate::counts(manifest) {
        out.push_str(&format!("{what}: {count}\n"));
    }
    out.push_str(&format!(
        "primary keys: {}\n",
        manifest
            .entities
            .values()
            .filter(|e| !e.primary_key.is_empty())
            .count()
    ));
    let api = manifest.api.as_ref().unwrap();
    out.push_str(&format!("base_url: {:?}\n", api.base_url));
    out.push_str(&format!(
        "operations: {} ({} with an entity)\n",
        api.operations.len(),
        api.operations.iter().filter(|o| o.entity.is_some()).count()
    ));
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (_, kind) in ledger_kinds(introspection) {
        *kinds.entry(kind).or_default() += 1;
    }
    out.push_str(&format!("ledger: {kinds:?}\n"));
    out.push_str("relations:\n");
    for (entity, fields, target, target_fields) in relations(manifest) {
        out.push_str(&format!(
            "  {entity}.{fields} -> {target}.{target_fields}\n"
        ));
    }
    // The chosen entities, with the enums they use, as the manifest writes them.
    let mut part = Manifest::default();
    for name in shown {
        let entity = manifest.entities[*name].clone();
        for field in entity.fields.values() {
            if let Some(enum_name) = &field.enum_name {
                part.enums
                    .insert(enum_name.clone(), manifest.enums[enum_name].clone());
            }
        }
        part.entities.insert((*name).to_owned(), entity);
    }
    let text = manifest::to_toml(&part);
    let from = text.find("\n[").map_or(0, |at| at + 1);
    out.push('\n');
    out.push_str(&text[from..]);
    out
}

// ---------------------------------------------------------------------------
// The corpus

#[test]
fn petstore_3_0_has_pet_and_error_and_three_operations() {
    let petstore = corpus("openapi/petstore-oas3.0.yaml");
    let manifest = &petstore.manifest;
    assert_eq!(entity_names(manifest), ["Error", "Pet"]);
    assert_eq!(manifest.project.name.as_deref(), Some("Swagger Petstore"));
    let source = manifest.source.as_ref().unwrap();
    assert_eq!(
        (source.engine, source.url.as_deref()),
        (SourceEngine::Openapi, None)
    );
    assert_eq!(manifest.entities["Pet"].primary_key, ["id"]);
    assert_eq!(field(manifest, "Pet", "id").ty, FieldType::Int64);
    assert!(field(manifest, "Pet", "tag").optional);
    assert_eq!(field(manifest, "Error", "code").ty, FieldType::Int32);
    assert_eq!(base_url(manifest), Some("http://petstore.swagger.io/v1"));
    // `Pets` (an array of Pet) is no entity, but operations see through it.
    assert_eq!(
        operations(manifest),
        [
            "GET /pets id=listPets entity=Pet",
            "POST /pets id=createPets entity=Pet",
            "GET /pets/{petId} id=showPetById entity=Pet",
        ]
    );
    // The operations' tag groups them; the manifest does not.
    assert_eq!(
        ledger_kinds(&petstore),
        [
            ("Pets".to_owned(), "not_an_entity".to_owned()),
            ("tags.pets".to_owned(), "tag".to_owned())
        ]
    );
    insta::assert_snapshot!("petstore_3_0", manifest::to_toml(manifest));
}

#[test]
fn petstore_expanded_merges_all_of_into_pet() {
    let petstore = corpus("openapi/petstore-expanded-oas3.0.yaml");
    let manifest = &petstore.manifest;
    assert_eq!(entity_names(manifest), ["Error", "NewPet", "Pet"]);
    let pet = &manifest.entities["Pet"];
    assert_eq!(
        pet.fields.keys().map(String::as_str).collect::<Vec<_>>(),
        ["name", "tag", "id"]
    );
    assert_eq!(pet.primary_key, ["id"]);
    assert!(!field(manifest, "Pet", "name").optional);
    assert_eq!(base_url(manifest), Some("https://petstore.swagger.io/v2"));
    assert_eq!(
        operations(manifest),
        [
            "GET /pets id=findPets entity=Pet",
            // NewPet in, Pet out: two entities, so none is named.
            "POST /pets id=addPet entity=Pet",
            "GET /pets/{id} id=find pet by id entity=Pet",
            "DELETE /pets/{id} id=deletePet entity=Pet",
        ]
    );
    // Only the API's description has no place in the manifest.
    assert_eq!(
        ledger_kinds(&petstore),
        [("info".to_owned(), "api_description".to_owned())]
    );
    insta::assert_snapshot!("petstore_expanded", manifest::to_toml(manifest));
}

#[test]
fn petstore_swagger_2_0_reads_definitions_and_host() {
    let petstore = corpus("openapi/petstore-swagger2.0.json");
    let manifest = &petstore.manifest;
    assert_eq!(entity_names(manifest), ["Error", "Pet"]);
    assert_eq!(manifest.entities["Pet"].primary_key, ["id"]);
    assert_eq!(manifest.entities["Pet"].fields.len(), 3);
    assert_eq!(base_url(manifest), Some("http://petstore.swagger.io/v1"));
    assert_eq!(
        operations(manifest),
        [
            "GET /pets id=listPets entity=Pet",
            "POST /pets id=createPets entity=Pet",
            "GET /pets/{petId} id=showPetById entity=Pet",
        ]
    );
    insta::assert_snapshot!("petstore_swagger_2_0", manifest::to_toml(manifest));
}

#[test]
fn harbor_swagger_2_0_yaml_imports_with_keys_and_relations() {
    let harbor = corpus("openapi/harbor-v2.0.swagger2.0.yaml");
    let manifest = &harbor.manifest;
    assert_eq!(manifest.project.name.as_deref(), Some("Harbor API"));
    // `RegistryUpdate` and `RobotCreate` are forms of `Registry` and
    // `Robot` that those resources' operations send, not entities;
    // `ScanDataExportExecutionList {items}` and `SystemInfo {storage}`, all
    // a `GET` on a collection answers, are lists of their items.
    assert_eq!(manifest.entities.len(), 139);
    for (form, kind) in [
        ("RegistryUpdate", "resource_form"),
        ("RobotCreate", "resource_form"),
        ("ScanDataExportExecutionList", "list_envelope"),
        ("SystemInfo", "list_envelope"),
    ] {
        assert!(!manifest.entities.contains_key(form), "{form}");
        assert!(has_entry(&harbor, form, kind), "{form}");
    }
    // An error body's list and a status with its parts are no pages.
    assert!(manifest.entities.contains_key("Errors"));
    assert!(manifest.entities.contains_key("OverallHealthStatus"));
    assert_eq!(
        manifest
            .entities
            .values()
            .filter(|e| !e.primary_key.is_empty())
            .count(),
        40
    );
    assert_eq!(base_url(manifest), Some("http://localhost/api/v2.0"));
    let api = manifest.api.as_ref().unwrap();
    assert_eq!(api.operations.len(), 203);
    // Harbor's projects are keyed by `project_id`, which no rule makes a key.
    assert!(manifest.entities["Project"].primary_key.is_empty());
    assert_eq!(manifest.entities["Registry"].primary_key, ["id"]);
    assert_eq!(
        relations(manifest),
        [
            // `Artifact.tags` and `.accessories` list rows that name their artifact.
            ("Accessory", "artifact_id", "Artifact", "id"),
            ("Project", "cve_allowlist_id", "CVEAllowlist", "id"),
            ("ProjectMember", "member_group_id", "UserGroup", "id"),
            ("ProjectReq", "cve_allowlist_id", "CVEAllowlist", "id"),
            ("ProjectSummary", "registry_id", "Registry", "id"),
            ("ReplicationPolicy", "src_registry_id", "Registry", "id"),
            ("ReplicationPolicy", "dest_registry_id", "Registry", "id"),
            ("Tag", "artifact_id", "Artifact", "id"),
            ("UserResp", "oidc_user_meta_id", "OIDCUserInfo", "id"),
        ]
        .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned()))
    );
    // Maps (`additionalProperties` only) are no entities; they are json where used.
    assert!(has_entry(&harbor, "ResourceList", "not_an_entity"));
    assert!(has_entry(&harbor, "Quota.hard", "additional_properties"));
    assert!(has_entry(
        &harbor,
        "Artifact.inherited_accessories",
        "list_relation"
    ));
    assert!(has_entry(&harbor, "Artifact.labels", "list_of_entity"));
    insta::assert_snapshot!(
        "harbor_summary",
        summary(&harbor, &["Project", "Registry", "ReplicationPolicy"])
    );
}

#[test]
fn twilio_3_0_json_imports_its_forty_schemas() {
    let twilio = corpus("openapi/twilio_messaging_v1.oas3.0.json");
    let manifest = &twilio.manifest;
    assert_eq!(manifest.project.name.as_deref(), Some("Twilio - Messaging"));
    // 40 schemas: 26 objects, 12 string enums (3 more enums are inline), and
    // an array and a `oneOf` left out.
    assert_eq!(manifest.entities.len(), 26);
    assert_eq!(manifest.enums.len(), 15);
    assert_eq!(manifest.relation_count(), 0);
    assert_eq!(base_url(manifest), Some("https://messaging.twilio.com"));
    assert_eq!(manifest.api.as_ref().unwrap().operations.len(), 58);
    let name = "messaging.v1.brand_registrations";
    let status = field(manifest, name, "status");
    assert_eq!(status.ty, FieldType::Enum);
    assert_eq!(
        status.enum_name.as_deref(),
        Some("brand_registrations_enum_status")
    );
    let sid = field(manifest, name, "sid");
    assert_eq!((sid.ty, sid.max_length), (FieldType::String, Some(34)));
    assert!(sid.nullable && sid.optional);
    assert!(has_entry(
        &twilio,
        "messaging.v1.service.us_app_to_person_response",
        "not_an_entity"
    ));
    insta::assert_snapshot!(
        "twilio_summary",
        summary(
            &twilio,
            &[
                "messaging.v1.brand_registrations",
                "messaging.v1.service.alpha_sender"
            ]
        )
    );
}

#[test]
fn an_openapi_3_1_document_gives_relations_enums_and_nullable_types() {
    let path = support::project_fixtures().join("schemas/openapi/library-3.1.yaml");
    let library = import_path(&path);
    let manifest = &library.manifest;
    assert_eq!(
        entity_names(manifest),
        [
            "Author",
            "Book",
            "BookDetails",
            "Error",
            "FeaturedBook",
            "Review"
        ]
    );
    assert_eq!(manifest.project.name.as_deref(), Some("Library API"));
    // Server variables take their defaults.
    assert_eq!(
        base_url(manifest),
        Some("https://eu.library.example.com/v2")
    );
    // `$ref` to an entity with a key: a foreign key typed like the key.
    let author_id = field(manifest, "Book", "author_id");
    assert_eq!(author_id.ty, FieldType::Int64);
    assert!(!author_id.optional && !author_id.nullable);
    assert_eq!(author_id.comment.as_deref(), Some("Who wrote it"));
    // `oneOf: [Author, null]`: a nullable foreign key.
    let co_author = field(manifest, "Book", "co_author_id");
    assert!(co_author.nullable && co_author.optional);
    assert_eq!(field(manifest, "Review", "book_id").ty, FieldType::Uuid);
    assert_eq!(
        relations(manifest),
        [
            ("Book", "author_id", "Author", "id"),
            ("Book", "co_author_id", "Author", "id"),
            ("FeaturedBook", "author_id", "Author", "id"),
            ("FeaturedBook", "co_author_id", "Author", "id"),
            ("Review", "book_id", "Book", "id"),
        ]
        .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned()))
    );
    // No key: embedded; inside arrays: embedded too.
    let details = field(manifest, "Book", "details");
    assert_eq!(details.ty, FieldType::Object);
    let reviews = field(manifest, "Book", "reviews");
    let review = reviews.items.as_ref().unwrap();
    assert_eq!(review.ty, FieldType::Object);
    assert!(review.fields.as_ref().unwrap().contains_key("book_id"));
    // 3.1: `type: [string, "null"]`; `$defs` inside a component.
    assert!(field(manifest, "Author", "email").nullable);
    assert_eq!(field(manifest, "Review", "score").ty, FieldType::Int32);
    let status = field(manifest, "Book", "status");
    assert_eq!(status.enum_name.as_deref(), Some("Book_status"));
    assert!(status.nullable);
    assert_eq!(
        manifest.enums["Book_status"].values,
        ["available", "loaned", "lost"]
    );
    assert_eq!(
        field(manifest, "Book", "genre").enum_name.as_deref(),
        Some("Genre")
    );
    assert_eq!(manifest.entities["FeaturedBook"].primary_key, ["id"]);
    assert_eq!(
        operations(manifest),
        [
            "GET /books id=listBooks entity=Book",
            "POST /books id=createBook entity=Book",
            "GET /books/{bookId} id=getBook entity=Book",
            "DELETE /books/{bookId} id=deleteBook entity=Book",
            "GET /authors id=listAuthors entity=Author",
            "GET /search id=search entity=-",
        ]
    );
    assert!(has_entry(
        &library,
        "Book.metadata",
        "additional_properties"
    ));
    assert!(has_entry(&library, "BookList", "not_an_entity"));
    insta::assert_snapshot!("library_3_1_manifest", manifest::to_toml(manifest));
    insta::assert_snapshot!("library_3_1_ledger", ledger_text(&library));
}

// ---------------------------------------------------------------------------
// Malformed documents

fn malformed(name: &str, text: &str) -> (Diagnostics, String) {
    match import_text(name, text) {
        Ok(introspection) => panic!(
            "{name} should not import:\n{}",
            manifest::to_toml(&introspection.manifest)
        ),
        Err(diagnostics) => {
            let rendered = baas::diagnostics::render_problems(&diagnostics, false);
            (diagnostics, rendered)
        }
    }
}

const PETS_3_0: &str = "\
openapi: 3.0.3
info:
  title: Pets
  version: '1'
paths: {}
components:
  schemas:
    Pet:
      type: object
      properties:
        id:
          type: 12
";

#[test]
fn a_wrong_type_in_openapi_3_0_is_reported_by_the_typed_reader() {
    // A schema problem: the walker points at the value.
    let (diagnostics, rendered) = malformed("pets.yaml", PETS_3_0);
    assert_eq!(first_position(&diagnostics), (12, 17), "{rendered}");
    insta::assert_snapshot!("malformed_3_0_type", rendered);
    // Anything else openapiv3 rejects is reported where serde stopped.
    let text = "openapi: 3.0.3\ninfo:\n  title: Pets\n  version: '1'\npaths:\n  /pets:\n    get:\n      responses: 12\n";
    let (diagnostics, rendered) = malformed("responses.yaml", text);
    assert!(
        first_message(&diagnostics).starts_with("not a valid OpenAPI 3.0 document"),
        "{rendered}"
    );
    // openapiv3 buffers path items (`flatten`), so serde stops at the path.
    assert_eq!(first_position(&diagnostics), (6, 3), "{rendered}");
    insta::assert_snapshot!("malformed_3_0_structure", rendered);
}

#[test]
fn an_unknown_type_in_swagger_2_0_points_at_its_value() {
    let text = "{\n  \"swagger\": \"2.0\",\n  \"info\": {\"title\": \"x\", \"version\": \"1\"},\n  \"paths\": {},\n  \"definitions\": {\n    \"Pet\": {\"properties\": {\"name\": {\"type\": \"strin\"}}}\n  }\n}\n";
    let (diagnostics, rendered) = malformed("pets.json", text);
    assert_eq!(first_message(&diagnostics), "unknown type `strin`");
    assert_eq!(first_position(&diagnostics), (6, 45));
    insta::assert_snapshot!("malformed_2_0_unknown_type", rendered);
}

/// A document with neither schemas nor operations gave an empty manifest
/// and "nothing was lost"; paths alone are operations to proxy.
#[test]
fn a_document_without_schemas_or_operations_says_there_is_nothing_to_import() {
    for (name, text, schemas) in [
        (
            "empty.yaml",
            "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\ncomponents: {schemas: {}}\n",
            "`components.schemas`",
        ),
        (
            "empty.json",
            "{\"swagger\": \"2.0\", \"info\": {\"title\": \"x\", \"version\": \"1\"}, \"paths\": {}}",
            "`definitions`",
        ),
    ] {
        let (diagnostics, rendered) = malformed(name, text);
        assert!(
            first_message(&diagnostics).contains("nothing to import"),
            "{rendered}"
        );
        assert!(first_message(&diagnostics).contains(schemas), "{rendered}");
    }
    let paths = import_text(
        "paths.yaml",
        "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /ping:\n    get:\n      responses:\n        '200': {description: ok}\n",
    )
    .unwrap();
    assert_eq!(operations(&paths.manifest).len(), 1);
}

#[test]
fn truncated_and_unsupported_documents_are_errors() {
    let (diagnostics, _) = malformed("cut.json", "{\"openapi\": \"3.1.0\", \"paths\": {\"/a\": ");
    assert!(first_message(&diagnostics).contains("incomplete"));
    assert_eq!(first_position(&diagnostics), (1, 38));

    let (diagnostics, rendered) = malformed("v4.yaml", "openapi: 4.0.0\ninfo: {title: x}\n");
    assert_eq!(
        first_message(&diagnostics),
        "OpenAPI version `4.0.0` is not supported"
    );
    assert_eq!(first_position(&diagnostics), (1, 10));
    insta::assert_snapshot!("malformed_version", rendered);

    let (diagnostics, _) = malformed("none.yaml", "title: nothing\n");
    assert!(first_message(&diagnostics).starts_with("not an OpenAPI document"));

    // A dangling `$ref` in 3.1, at the reference.
    let text = "openapi: 3.1.0\ninfo: {title: x, version: '1'}\ncomponents:\n  schemas:\n    A:\n      properties:\n        b:\n          $ref: '#/components/schemas/Missing'\n";
    let (diagnostics, _) = malformed("dangling.yaml", text);
    assert_eq!(first_position(&diagnostics), (8, 17));
}

#[test]
fn corrupted_corpus_specs_never_panic() {
    const NOISE: &[u8] = b"{}[]:,\"'\\ \n\t-#&*!|>0aZ";
    let mut random = support::XorShift(0x9E37_79B9_7F4A_7C15);
    let fixture = support::project_fixtures().join("schemas/openapi/library-3.1.yaml");
    for (path, count) in [
        (support::corpus_file("openapi/petstore-oas3.0.yaml"), 50),
        (
            support::corpus_file("openapi/petstore-expanded-oas3.0.yaml"),
            50,
        ),
        (support::corpus_file("openapi/petstore-swagger2.0.json"), 50),
        (
            support::corpus_file("openapi/harbor-v2.0.swagger2.0.yaml"),
            12,
        ),
        (
            support::corpus_file("openapi/twilio_messaging_v1.oas3.0.json"),
            12,
        ),
        (fixture, 75),
    ] {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (what, mangled) in support::mangled(&text, NOISE, &mut random, count) {
            support::import_never_panics(&mangled, &format!("{name} {what}"), |text| {
                openapi::parse(
                    &source(Path::new(&name), text.to_owned()),
                    &IntrospectOptions::default(),
                )
            });
        }
    }
}

// ---------------------------------------------------------------------------
// Through the binary

#[test]
fn the_binary_imports_a_spec_and_reports_a_broken_one_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let spec = support::corpus_file("openapi/petstore-oas3.0.yaml");
    let output = baas(dir.path())
        .args(["introspect", "--dry-run"])
        .arg(&spec)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("[entities.Pet]"), "{stdout}");
    assert!(stdout.contains("[[api.operations]]"), "{stdout}");

    std::fs::write(dir.path().join("pets.yaml"), PETS_3_0).unwrap();
    let output = baas(dir.path())
        .args(["introspect", "pets.yaml", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("pets.yaml:12:17"), "{stderr}");
}

// ---------------------------------------------------------------------------
// Supabase / PostgREST against a local server

const KEY: &str = "sb-test-service-key-1234567890";

/// A tiny HTTP server on 127.0.0.1 that answers `GET /rest/v1/` with
/// `document` when the `apikey` and `Authorization: Bearer` headers carry
/// `key`, 401 when they do not. It serves `expected` requests, or stops by
/// itself after 30 seconds.
struct RestServer {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RestServer {
    fn start(document: String, key: &'static str, expected: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut served = 0;
            while served < expected && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        if let Some(head) = answer(stream, &document, key) {
                            seen.lock().unwrap().push(head);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self {
            port,
            requests,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn finish(mut self) -> Vec<String> {
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
        self.requests.lock().unwrap().clone()
    }
}

/// Reads one request and answers it; returns the request line and headers.
fn answer(mut stream: TcpStream, document: &str, key: &str) -> Option<String> {
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        if stream.read(&mut byte).ok()? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default().to_owned();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let authorized = headers.get("apikey").map(String::as_str) == Some(key)
        && headers.get("authorization").map(String::as_str) == Some(&format!("Bearer {key}"));
    let (status, body) = if !request_line.starts_with("GET /rest/v1/ ") {
        ("404 Not Found", "{\"message\":\"not found\"}".to_owned())
    } else if !authorized {
        (
            "401 Unauthorized",
            "{\"message\":\"Invalid API key\",\"hint\":\"Double check your Supabase `anon` or `service_role` API key.\"}".to_owned(),
        )
    } else {
        ("200 OK", document.to_owned())
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/openapi+json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).ok()?;
    stream.flush().ok()?;
    Some(head)
}

fn postgrest_document() -> String {
    std::fs::read_to_string(support::project_fixtures().join("schemas/openapi/postgrest.json"))
        .unwrap()
}

fn fetch(url: &str, key: Option<&str>) -> Result<Introspection, IntrospectError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = IntrospectOptions {
        key: key.map(str::to_owned),
        ..IntrospectOptions::default()
    };
    runtime.block_on(baas::parse::fetch(&url::Url::parse(url).unwrap(), &options))
}

#[test]
fn a_postgrest_document_gives_keys_relations_enums_and_postgres_types() {
    let server = RestServer::start(postgrest_document(), KEY, 1);
    let introspection = fetch(&server.url(), Some(KEY)).unwrap();
    let requests = server.finish();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].starts_with("GET /rest/v1/ HTTP/1.1"),
        "{requests:?}"
    );

    let manifest = &introspection.manifest;
    assert_valid_and_round_trips(manifest);
    assert_eq!(
        entity_names(manifest),
        ["authors", "book_stats", "books", "profiles", "reviews"]
    );
    let source = manifest.source.as_ref().unwrap();
    assert_eq!(source.engine, SourceEngine::Supabase);
    let url = server_url_without_slash(&source.url);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(
        base_url(manifest).map(str::to_owned),
        Some(format!("{url}/rest/v1"))
    );
    assert_eq!(
        manifest.project.name.as_deref(),
        Some("standard public schema")
    );
    for (table, key) in [
        ("authors", "id"),
        ("books", "id"),
        ("reviews", "id"),
        ("profiles", "id"),
    ] {
        assert_eq!(manifest.entities[table].primary_key, [key], "{table}");
    }
    assert!(manifest.entities["book_stats"].primary_key.is_empty());
    assert_eq!(
        relations(manifest),
        [
            ("book_stats", "book_id", "books", "id"),
            ("books", "author_id", "authors", "id"),
            ("reviews", "book_id", "books", "id"),
            ("reviews", "reviewer_id", "profiles", "id"),
        ]
        .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned()))
    );
    // PostgreSQL types, named as the PostgreSQL introspector names them.
    let types: Vec<(&str, String)> = manifest.entities["books"]
        .fields
        .iter()
        .map(|(name, field)| (name.as_str(), field.type_label()))
        .collect();
    assert_eq!(
        types,
        [
            ("id", "uuid".to_owned()),
            ("title", "text".to_owned()),
            ("author_id", "int64".to_owned()),
            ("status", "enum book_status".to_owned()),
            ("isbn", "string(13)".to_owned()),
            ("price", "decimal".to_owned()),
            ("pages", "int32".to_owned()),
            ("weight_kg", "float32".to_owned()),
            ("in_print", "bool".to_owned()),
            ("tags", "array<text>".to_owned()),
            ("past_statuses", "array<enum book_status>".to_owned()),
            ("metadata", "json".to_owned()),
            ("search", "native tsvector".to_owned()),
            ("published_at", "timestamp".to_owned()),
        ]
    );
    assert_eq!(
        field(manifest, "books", "isbn").native.as_deref(),
        Some("character(13)")
    );
    let email = field(manifest, "authors", "email");
    assert_eq!((email.max_length, email.nullable), (Some(255), true));
    assert!(!field(manifest, "authors", "name").nullable);
    assert_eq!(
        field(manifest, "authors", "name").comment.as_deref(),
        Some("Full name, as printed on the cover")
    );
    assert_eq!(
        field(manifest, "books", "author_id").comment.as_deref(),
        Some("Who wrote it")
    );
    assert_eq!(
        manifest.entities["authors"].comment.as_deref(),
        Some("People who write books")
    );
    let status_enum = &manifest.enums["book_status"];
    assert_eq!(status_enum.values, ["draft", "published", "out_of_print"]);
    assert_eq!(status_enum.schema.as_deref(), Some("public"));
    // Defaults: literal values, and expressions as SQL.
    assert_eq!(
        field(manifest, "books", "status")
            .default
            .as_ref()
            .unwrap()
            .to_string(),
        "\"draft\""
    );
    assert_eq!(
        field(manifest, "books", "id")
            .default
            .as_ref()
            .unwrap()
            .to_string(),
        "sql: gen_random_uuid()"
    );
    assert_eq!(
        field(manifest, "authors", "created_at")
            .default
            .as_ref()
            .unwrap()
            .to_string(),
        "sql: now()"
    );
    assert_eq!(
        field(manifest, "books", "price")
            .default
            .as_ref()
            .unwrap()
            .to_string(),
        "0"
    );
    assert_eq!(
        field(manifest, "books", "in_print")
            .default
            .as_ref()
            .unwrap()
            .to_string(),
        "true"
    );
    // Operations: one per table method, the functions without an entity.
    let ops = operations(manifest);
    assert_eq!(ops.len(), 19);
    assert!(ops.contains(&"GET /books id=- entity=books".to_owned()));
    assert!(ops.contains(&"POST /rpc/search_books id=- entity=-".to_owned()));
    assert_eq!(
        ledger_kinds(&introspection),
        [
            ("book_stats".to_owned(), "view_or_table".to_owned()),
            ("profiles.id".to_owned(), "foreign_key".to_owned()),
        ]
    );
    let mut text = manifest::to_toml(manifest);
    text = text.replace(&url, "http://127.0.0.1:PORT");
    insta::assert_snapshot!("postgrest_manifest", text);
}

fn server_url_without_slash(url: &Option<String>) -> String {
    url.clone().unwrap().trim_end_matches('/').to_owned()
}

#[test]
fn supabase_through_the_binary_writes_the_manifest_and_never_the_key() {
    let server = RestServer::start(postgrest_document(), KEY, 1);
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let output = baas(dir.path())
        .args(["introspect", &url, "--key", KEY, "-o", "out.toml", "--json"])
        .output()
        .unwrap();
    server.finish();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["counts"]["entities"], 5);
    assert_eq!(json["counts"]["relations"], 4);
    assert_eq!(json["counts"]["enums"], 1);
    let written = std::fs::read_to_string(dir.path().join("out.toml")).unwrap();
    for text in [&stdout, &stderr, &written] {
        assert!(!text.contains(KEY), "the key leaked:\n{text}");
    }
    let loaded = manifest::load_str(Path::new("out.toml"), written)
        .unwrap()
        .manifest;
    assert_eq!(
        loaded.source.as_ref().unwrap().engine,
        SourceEngine::Supabase
    );
    assert_eq!(
        loaded.source.as_ref().unwrap().url.as_deref(),
        Some(url.as_str())
    );
    assert_eq!(loaded.entities["books"].primary_key, ["id"]);
    assert_eq!(loaded.entities["reviews"].relations.len(), 2);
    assert!(loaded.enums.contains_key("book_status"));
}

#[test]
fn a_refused_key_exits_3_without_showing_the_key() {
    let server = RestServer::start(postgrest_document(), KEY, 1);
    let dir = tempfile::tempdir().unwrap();
    let wrong = "sb-wrong-key-0987654321";
    let output = baas(dir.path())
        .args(["introspect", &server.url(), "--key", wrong, "--dry-run"])
        .output()
        .unwrap();
    let requests = server.finish();
    assert_eq!(requests.len(), 1);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("refused the API key"), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        !stderr.contains(wrong) && !stdout.contains(wrong),
        "{stderr}"
    );
}

#[test]
fn a_missing_key_exits_2_and_a_closed_port_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let output = baas(dir.path())
        .args(["introspect", "http://127.0.0.1:9/", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--key"), "{stderr}");

    // A port nobody listens on.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let output = baas(dir.path())
        .args([
            "introspect",
            &format!("http://127.0.0.1:{port}"),
            "--key",
            KEY,
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(!stderr.contains(KEY), "{stderr}");
}

#[test]
fn an_openapi_url_is_fetched_and_read_as_a_spec() {
    // Any other path is fetched as is and read as an OpenAPI document.
    let spec =
        std::fs::read_to_string(support::corpus_file("openapi/petstore-swagger2.0.json")).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = std::thread::spawn(move || {
        listener.set_nonblocking(false).unwrap();
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buffer = [0u8; 4096];
        let read = stream.read(&mut buffer).unwrap();
        let head = String::from_utf8_lossy(&buffer[..read]).into_owned();
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{spec}",
            spec.len()
        );
        stream.write_all(response.as_bytes()).unwrap();
        head
    });
    let introspection = fetch(
        &format!("http://127.0.0.1:{port}/specs/petstore.json"),
        None,
    )
    .unwrap();
    let head = thread.join().unwrap();
    assert!(head.starts_with("GET /specs/petstore.json "), "{head}");
    assert_eq!(entity_names(&introspection.manifest), ["Error", "Pet"]);
    assert_eq!(
        introspection.manifest.source.as_ref().unwrap().engine,
        SourceEngine::Openapi
    );
}

// ---------------------------------------------------------------------------
// Format detection by parsing

#[test]
fn the_binary_detects_a_spec_whose_version_key_comes_after_the_first_kilobytes() {
    // Keys sorted: `"openapi"` comes after `"components"`, well past 4 KiB.
    let dir = tempfile::tempdir().unwrap();
    let spec = support::corpus_file("openapi/twilio_messaging_v1.oas3.0.json");
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(text.find("\"openapi\"").unwrap() > 4096);
    let output = baas(dir.path())
        .args(["introspect", "--dry-run"])
        .arg(&spec)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("engine = \"openapi\""), "{stdout}");
}

#[test]
fn formats_are_detected_by_their_keys_wherever_they_are() {
    use baas::parse::{SourceFormat, detect};
    // A long description first: no prefix of the text names the format.
    let padding = "x".repeat(20_000);
    let openapi = format!(
        r#"{{"components": {{"schemas": {{"A": {{"description": "{padding}", "type": "object"}}}}}},
            "info": {{"title": "t", "version": "1"}}, "openapi": "3.0.3", "paths": {{}}}}"#
    );
    assert_eq!(
        detect(Path::new("api.json"), &openapi),
        Some(SourceFormat::Openapi)
    );
    let yaml = format!(
        "info:\n  description: {padding}\n  title: t\n  version: '1'\npaths: {{}}\nswagger: '2.0'\n"
    );
    assert_eq!(
        detect(Path::new("api.yaml"), &yaml),
        Some(SourceFormat::Openapi)
    );
    // JSON Schema without `$schema`: its keywords say what it is.
    let schema = format!(
        r#"{{"description": "{padding}", "properties": {{"a": {{"type": "string"}}}}, "type": "object"}}"#
    );
    assert_eq!(
        detect(Path::new("thing.json"), &schema),
        Some(SourceFormat::Jsonschema)
    );
    // Text with an unknown extension is tried with each text parser.
    assert_eq!(
        detect(
            Path::new("schema.txt"),
            "// users\nmodel User {\n  id Int @id\n  email String\n}\n"
        ),
        Some(SourceFormat::Prisma)
    );
    assert_eq!(
        detect(
            Path::new("schema.txt"),
            "type Query { users: [User] }\ntype User { id: ID! name: String }\n"
        ),
        Some(SourceFormat::Graphql)
    );
    assert_eq!(
        detect(
            Path::new("dump.txt"),
            "-- Name: users; Type: TABLE\nCREATE TABLE users (id integer PRIMARY KEY, name text);\n"
        ),
        Some(SourceFormat::Sql)
    );
    assert_eq!(detect(Path::new("notes.txt"), "hello: world\n"), None);
}

#[test]
fn integers_beyond_64_bits_do_not_fail_the_import() {
    for (name, text) in [
        (
            "big.yaml",
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Account:\n      type: object\n      required: [id]\n      properties:\n        id: {type: integer, format: int64}\n        balance:\n          type: integer\n          maximum: 99999999999999999999999999\n          minimum: -99999999999999999999999\n          example: 123456789012345678901234567890\n",
        ),
        (
            "big.json",
            r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
                "components": {"schemas": {"Account": {"type": "object", "required": ["id"],
                "properties": {"id": {"type": "integer", "format": "int64"},
                "balance": {"type": "integer", "maximum": 99999999999999999999999999,
                            "minimum": -99999999999999999999999}}}}}}"#,
        ),
        (
            "big31.yaml",
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n    Account:\n      type: object\n      properties:\n        id: {type: integer}\n        balance: {type: integer, maximum: 18446744073709551616}\n",
        ),
    ] {
        let introspection = import_text(name, text).unwrap_or_else(|d| {
            panic!(
                "{name} should import:\n{}",
                baas::diagnostics::render_problems(&d, false)
            )
        });
        let account = &introspection.manifest.entities["Account"];
        assert_eq!(account.fields["balance"].ty, FieldType::Int64, "{name}");
    }
}

/// A spec split over files as real ones are: `$ref`s to a sibling file
/// (`./schemas/pet.yaml`), to a schema inside another file
/// (`common.yaml#/components/schemas/Owner`), from that file back to the
/// first one (a cycle between files) and to itself (a cycle between
/// schemas), and to a file that is not there.
#[test]
fn openapi_refs_to_other_files_are_followed_relative_to_the_file_that_names_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("schemas")).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "api.yaml",
        r##"openapi: 3.0.3
info: {title: Pets, version: "1"}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        "200":
          description: the pets
          content:
            application/json:
              schema: {type: array, items: {$ref: "./schemas/pet.yaml"}}
  /owners/{id}:
    get:
      operationId: getOwner
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: an owner
          content:
            application/json:
              schema: {$ref: "common.yaml#/components/schemas/Owner"}
components:
  schemas:
    Pet: {$ref: "./schemas/pet.yaml"}
    Owner: {$ref: "common.yaml#/components/schemas/Owner"}
"##,
    );
    write(
        "schemas/pet.yaml",
        r##"type: object
required: [id, name]
properties:
  id: {type: integer, format: int64}
  name: {type: string}
  tag: {$ref: "../common.yaml#/components/schemas/Tag"}
  owner: {$ref: "../common.yaml#/components/schemas/Owner"}
  vet: {$ref: "../missing.yaml#/components/schemas/Vet"}
"##,
    );
    write(
        "common.yaml",
        r##"components:
  schemas:
    Tag: {type: string, enum: [cat, dog]}
    Owner:
      type: object
      required: [id]
      properties:
        id: {type: integer}
        favourite: {$ref: "./schemas/pet.yaml"}
        address: {$ref: "#/components/schemas/Address"}
    Address:
      type: object
      properties:
        street: {type: string}
        previous: {$ref: "#/components/schemas/Address"}
"##,
    );
    let introspection = import_path(&dir.path().join("api.yaml"));
    let manifest = &introspection.manifest;
    assert_eq!(entity_names(manifest), ["Owner", "Pet"]);
    // The other files' schemas are the entities their aliases name: a
    // reference to them is a relation, in both directions of the cycle.
    assert_eq!(
        relations(manifest),
        [
            (
                "Owner".into(),
                "favourite_id".into(),
                "Pet".into(),
                "id".into()
            ),
            ("Pet".into(), "owner_id".into(), "Owner".into(), "id".into()),
        ]
    );
    assert_eq!(
        field(manifest, "Pet", "tag").enum_name.as_deref(),
        Some("Pet_tag")
    );
    assert_eq!(manifest.enums["Pet_tag"].values, ["cat", "dog"]);
    assert_eq!(
        operations(manifest),
        [
            "GET /pets id=listPets entity=Pet",
            "GET /owners/{id} id=getOwner entity=Owner"
        ]
    );
    // The cycle between schemas is cut with a ledger line that names the
    // reference as its file wrote it.
    let ledger = ledger_text(&introspection);
    assert!(
        has_entry(&introspection, "Owner.address.previous", "recursive_ref"),
        "{ledger}"
    );
    assert!(
        ledger.contains("`common.yaml#/components/schemas/Address`"),
        "{ledger}"
    );
    // A file that is not there: the ledger says so; the property is `json`.
    assert_eq!(field(manifest, "Pet", "vet").ty, FieldType::Json);
    assert!(
        has_entry(&introspection, "Pet.vet", "external_ref"),
        "{ledger}"
    );
    assert!(
        ledger.contains("`../missing.yaml#/components/schemas/Vet`"),
        "{ledger}"
    );
    assert_valid_and_round_trips(manifest);
}

/// A property listing the rows of another entity keeps them as sent, and
/// says what the manifest can of the link: a relation when the listed rows
/// name their owner, a ledger line for a many-to-many it cannot say.
#[test]
fn a_list_of_another_entity_is_a_relation_when_its_rows_name_their_owner() {
    let text = r##"
openapi: 3.0.3
info: {title: shop, version: "1"}
paths: {}
components:
  schemas:
    Tag:
      type: object
      properties:
        id: {type: integer, format: int64}
        name: {type: string}
    Pet:
      type: object
      properties:
        id: {type: integer, format: int64}
        name: {type: string}
        tags: {type: array, items: {$ref: "#/components/schemas/Tag"}}
    Order:
      allOf:
        - type: object
          properties:
            id: {type: integer, format: int32}
        - type: object
          properties:
            lines: {type: array, items: {$ref: "#/components/schemas/OrderLine"}}
    OrderLine:
      type: object
      properties:
        id: {type: string}
        orderId: {type: integer, format: int64}
        sku: {type: string}
    OrderPage:
      type: object
      properties:
        items: {type: array, items: {$ref: "#/components/schemas/Order"}}
"##;
    let imported = import_text("shop.yaml", text).unwrap();
    let manifest = &imported.manifest;
    assert_valid_and_round_trips(manifest);
    assert_eq!(
        relations(manifest),
        [("OrderLine", "orderId", "Order", "id")].map(|(a, b, c, d)| (
            a.to_owned(),
            b.to_owned(),
            c.to_owned(),
            d.to_owned()
        ))
    );
    assert!(has_entry(&imported, "Order.lines", "list_relation"));
    assert!(has_entry(&imported, "Pet.tags", "list_of_entity"));
    // A page of rows links nothing.
    assert!(
        !ledger_kinds(&imported)
            .iter()
            .any(|(object, _)| object == "OrderPage.items")
    );
    // The rows stay in the list, as the API sends them.
    let tags = &manifest.entities["Pet"].fields["tags"];
    assert_eq!(tags.ty, FieldType::Array);
    assert_eq!(
        tags.items.as_ref().map(|items| items.ty),
        Some(FieldType::Object)
    );
}

/// What the manifest has no place for is named, not dropped without a
/// word: a 3.1 document's `webhooks` and an operation's `callbacks` (requests
/// the API sends), and a `discriminator` (3.x object, Swagger 2.0 name).
#[test]
fn webhooks_callbacks_and_discriminators_are_named_in_the_ledger() {
    let v31 = r##"
openapi: 3.1.0
info: {title: Pets, version: "1"}
paths:
  /subscriptions:
    post:
      callbacks:
        onEvent:
          "{$request.body#/url}":
            post:
              responses: {"200": {description: ok}}
      responses: {"201": {description: created}}
webhooks:
  newPet:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pet"}
      responses: {"200": {description: ok}}
components:
  schemas:
    Pet:
      type: object
      required: [id, kind]
      discriminator:
        propertyName: kind
        mapping: {cat: "#/components/schemas/Cat"}
      properties:
        id: {type: integer}
        kind: {type: string}
    Cat:
      allOf:
        - $ref: "#/components/schemas/Pet"
        - type: object
          properties:
            lives: {type: integer}
"##;
    let result = import_text("pets.yaml", v31).unwrap();
    for (object, kind) in [
        ("webhooks.newPet", "webhook"),
        ("POST /subscriptions", "callback"),
        ("Pet", "discriminator"),
    ] {
        assert!(
            has_entry(&result, object, kind),
            "{object} {kind}: {}",
            ledger_text(&result)
        );
    }
    let v20 = r#"{
  "swagger": "2.0",
  "info": {"title": "Pets", "version": "1"},
  "paths": {},
  "definitions": {
    "Pet": {"type": "object", "discriminator": "kind", "required": ["kind"],
            "properties": {"id": {"type": "integer"}, "kind": {"type": "string"}}}
  }
}"#;
    let result = import_text("pets.json", v20).unwrap();
    assert!(
        has_entry(&result, "Pet", "discriminator"),
        "{}",
        ledger_text(&result)
    );
}

/// GitHub's description defines `nullable-simple-user` (`nullable: true`)
/// and names it wherever a user may be missing (`assignee`, `closed_by`):
/// a property naming a schema that admits `null` is nullable, whether the
/// schema is copied in (no key) or held by key (a relation), in 3.0
/// (`nullable`), 3.1 (`type: [object, "null"]`) and Swagger 2.0
/// (`x-nullable`).
#[test]
fn a_reference_to_a_schema_that_admits_null_is_nullable() {
    let v30 = r##"
openapi: 3.0.3
info: {title: Issues, version: "1"}
paths: {}
components:
  schemas:
    nullable-simple-user:
      type: object
      nullable: true
      required: [id, login]
      properties:
        id: {type: integer}
        login: {type: string}
    nullable-label:
      type: object
      nullable: true
      properties:
        name: {type: string}
    simple-user:
      type: object
      required: [id]
      properties:
        id: {type: integer}
    issue:
      type: object
      required: [id, assignee, label, user]
      properties:
        id: {type: integer}
        assignee: {$ref: "#/components/schemas/nullable-simple-user"}
        label: {$ref: "#/components/schemas/nullable-label"}
        user: {$ref: "#/components/schemas/simple-user"}
"##;
    // 3.1 says it with the type.
    let v31 = v30.replace("openapi: 3.0.3", "openapi: 3.1.0").replace(
        "type: object\n      nullable: true",
        "type: [object, \"null\"]",
    );
    let v20 = r##"{
  "swagger": "2.0",
  "info": {"title": "Issues", "version": "1"},
  "paths": {},
  "definitions": {
    "nullable-simple-user": {"type": "object", "x-nullable": true, "required": ["id"],
                             "properties": {"id": {"type": "integer"}, "login": {"type": "string"}}},
    "nullable-label": {"type": "object", "x-nullable": true, "properties": {"name": {"type": "string"}}},
    "simple-user": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
    "issue": {"type": "object", "required": ["id", "assignee", "label", "user"],
              "properties": {"id": {"type": "integer"},
                             "assignee": {"$ref": "#/definitions/nullable-simple-user"},
                             "label": {"$ref": "#/definitions/nullable-label"},
                             "user": {"$ref": "#/definitions/simple-user"}}}
  }
}"##;
    for (name, text) in [("v30.yaml", v30), ("v31.yaml", &v31), ("v20.json", v20)] {
        let result = import_text(name, text).unwrap();
        let manifest = &result.manifest;
        assert_valid_and_round_trips(manifest);
        let assignee = field(manifest, "issue", "assignee_id");
        assert!(assignee.nullable, "{name}: {assignee:?}");
        assert!(!assignee.optional, "{name}: {assignee:?}");
        let label = field(manifest, "issue", "label");
        assert_eq!(label.ty, FieldType::Object, "{name}");
        assert!(label.nullable, "{name}: {label:?}");
        // A schema that does not admit null stays required and non-null.
        assert!(!field(manifest, "issue", "user_id").nullable, "{name}");
        assert!(
            relations(manifest).contains(&(
                "issue".into(),
                "assignee_id".into(),
                "nullable-simple-user".into(),
                "id".into()
            )),
            "{name}: {:?}",
            relations(manifest)
        );
    }
}

/// The credentials the document's upstream is called with, as `in name value`.
fn upstream_credentials(result: &Introspection) -> Option<String> {
    let credentials = result
        .manifest
        .api
        .as_ref()?
        .upstream
        .as_ref()?
        .credentials
        .as_ref()?;
    Some(format!(
        "{} {} {}",
        credentials.location,
        credentials.name.as_deref().unwrap_or("-"),
        credentials.value.as_deref().unwrap_or("-")
    ))
}

/// What the API asks callers to send is what `serve` sends upstream
/// (`[api.upstream] credentials`, the secret an `${ENV}` reference); what
/// credentials cannot send, or a scheme the API may go without, is a ledger
/// line. Before, every scheme was dropped unsaid and each upstream call of
/// an imported Stripe, Twilio or DigitalOcean description was refused.
#[test]
fn security_schemes_become_the_upstream_credentials_or_ledger_lines() {
    let document = |version: &str, schemes: &str, global: &str, operation: &str| {
        let (schemes_at, head) = if version == "2.0" {
            ("securityDefinitions", "swagger: \"2.0\"".to_owned())
        } else {
            (
                "components:\n  securitySchemes",
                format!("openapi: {version}"),
            )
        };
        let indent = if version == "2.0" { "  " } else { "    " };
        let schemes: String = schemes
            .lines()
            .map(|line| format!("{indent}{line}\n"))
            .collect();
        format!(
            "{head}\ninfo: {{title: Api, version: \"1\"}}\n{global}\npaths:\n  /pets:\n    get:\n      \
             {operation}\n      responses: {{\"200\": {{description: ok}}}}\n{schemes_at}:\n{schemes}"
        )
    };
    // (case, document, credentials sent, objects of the `security` ledger lines)
    let cases: [(&str, String, Option<&str>, &[&str]); 6] = [
        (
            "a key in a header, required by the document",
            document(
                "3.0.3",
                "key: {type: apiKey, in: header, name: X-Api-Key}",
                "security: [{key: []}]",
                "",
            ),
            Some("header X-Api-Key ${UPSTREAM_API_KEY}"),
            &[],
        ),
        (
            "HTTP basic, required by each operation (Twilio)",
            document(
                "3.0.1",
                "accountSid_authToken: {type: http, scheme: basic}",
                "",
                "security: [{accountSid_authToken: []}]",
            ),
            Some("basic - ${UPSTREAM_CREDENTIALS}"),
            &[],
        ),
        (
            "Swagger 2.0 basic the API may go without (Harbor)",
            document(
                "2.0",
                "basic: {type: basic}",
                "security: [{basic: []}, {}]",
                "",
            ),
            None,
            &["security basic"],
        ),
        (
            "OAuth 2.0, or a cookie baas cannot send",
            document(
                "3.1.0",
                "oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: \"https://x/token\", scopes: {}}}}\n\
                 session: {type: apiKey, in: cookie, name: sid}",
                "security: [{oauth: []}, {session: []}]",
                "",
            ),
            Some("bearer - ${UPSTREAM_TOKEN}"),
            &["security oauth", "security session"],
        ),
        (
            "a key in the query required with an application header",
            document(
                "3.0.0",
                "key: {type: apiKey, in: query, name: api_key}\napp: {type: apiKey, in: header, name: X-App}",
                "security: [{key: [], app: []}]",
                "",
            ),
            Some("query api_key ${UPSTREAM_API_KEY}"),
            &["security app"],
        ),
        (
            "a bearer scheme the document requires nowhere",
            document("3.0.0", "bearer: {type: http, scheme: bearer}", "", ""),
            None,
            &["security bearer"],
        ),
    ];
    for (case, text, expected, lines) in &cases {
        let result = import_text("api.yaml", text).unwrap_or_else(|d| {
            panic!(
                "{case}: {}\n{text}",
                baas::diagnostics::render_problems(&d, false)
            )
        });
        assert_valid_and_round_trips(&result.manifest);
        assert_eq!(
            upstream_credentials(&result).as_deref(),
            *expected,
            "{case}"
        );
        let security: Vec<String> = ledger_kinds(&result)
            .into_iter()
            .filter(|(_, kind)| kind == "security")
            .map(|(object, _)| object)
            .collect();
        assert_eq!(security, *lines, "{case}: {}", ledger_text(&result));
    }
    // The manifest written by the binary says where the secret comes from,
    // never a value.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("api.yaml"), &cases[0].1).unwrap();
    baas(dir.path())
        .args(["introspect", "api.yaml", "-q"])
        .assert()
        .success();
    let written = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    assert!(
        written.contains(
            "[api.upstream]\ncredentials = { in = \"header\", name = \"X-Api-Key\", value = \"${UPSTREAM_API_KEY}\" }"
        ),
        "{written}"
    );
}

/// Stripe's expandable properties: `customer` is `anyOf` a string and the
/// `customer` schema (and `deleted_customer`), the key unless a request
/// asks to expand it. The property holds the key under its own name, a
/// relation to `customer` with an `expandable` ledger line; it was `json`.
/// A string or one of several entities (`default_source`: a card or a bank
/// account) names no one entity and stays `json`.
#[test]
fn an_expandable_key_or_object_is_a_relation_under_its_own_name() {
    let text = r##"
openapi: 3.0.0
info: {title: Payments, version: "1"}
paths: {}
components:
  schemas:
    customer:
      type: object
      required: [id]
      properties:
        id: {type: string, maxLength: 5000}
        default_source:
          anyOf:
            - {maxLength: 5000, type: string}
            - $ref: "#/components/schemas/card"
            - $ref: "#/components/schemas/bank_account"
          nullable: true
    deleted_customer:
      type: object
      required: [id, deleted]
      properties:
        id: {type: string}
        deleted: {type: boolean}
    card:
      type: object
      required: [id, customer]
      properties:
        id: {type: string}
        customer:
          anyOf:
            - {maxLength: 5000, type: string}
            - $ref: "#/components/schemas/customer"
            - $ref: "#/components/schemas/deleted_customer"
          description: The customer that this card belongs to.
          nullable: true
    bank_account:
      type: object
      required: [id]
      properties:
        id: {type: string}
        customer:
          oneOf:
            - {type: string}
            - $ref: "#/components/schemas/customer"
"##;
    let result = import_text("payments.yaml", text).unwrap();
    let manifest = &result.manifest;
    assert_valid_and_round_trips(manifest);
    let card = field(manifest, "card", "customer");
    assert_eq!(card.ty, FieldType::String);
    assert_eq!(card.max_length, Some(5000));
    assert!(card.nullable && !card.optional, "{card:?}");
    assert_eq!(
        card.comment.as_deref(),
        Some("The customer that this card belongs to.")
    );
    assert!(field(manifest, "bank_account", "customer").optional);
    for owner in ["bank_account", "card"] {
        assert!(
            relations(manifest).contains(&(
                owner.into(),
                "customer".into(),
                "customer".into(),
                "id".into()
            )),
            "{owner}: {:?}",
            relations(manifest)
        );
        assert!(
            has_entry(&result, &format!("{owner}.customer"), "expandable"),
            "{}",
            ledger_text(&result)
        );
    }
    assert!(!manifest.entities["card"].fields.contains_key("customer_id"));
    assert_eq!(
        field(manifest, "customer", "default_source").ty,
        FieldType::Json
    );
    assert!(has_entry(&result, "customer.default_source", "any_of"));
}

/// A deprecated property, schema or operation (`deprecated: true`) is named
/// in the ledger, as GraphQL's `@deprecated` is; the manifest has no place
/// for it and it was dropped unsaid.
#[test]
fn deprecated_properties_schemas_and_operations_are_named_in_the_ledger() {
    let text = r##"
openapi: 3.1.0
info: {title: Shop, version: "1"}
paths:
  /orders:
    get:
      deprecated: true
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Order"}}
components:
  schemas:
    Order:
      type: object
      required: [id]
      properties:
        id: {type: integer}
        total: {type: number, deprecated: true}
        legacy: {$ref: "#/components/schemas/Legacy"}
    Legacy:
      type: object
      deprecated: true
      properties:
        code: {type: string}
"##;
    let result = import_text("shop.yaml", text).unwrap();
    assert_valid_and_round_trips(&result.manifest);
    let mut deprecated: Vec<String> = ledger_kinds(&result)
        .into_iter()
        .filter(|(_, kind)| kind == "deprecated")
        .map(|(object, _)| object)
        .collect();
    deprecated.sort();
    assert_eq!(
        deprecated,
        ["GET /orders", "Legacy", "Order.total"],
        "{}",
        ledger_text(&result)
    );
}

// ---------------------------------------------------------------------------
// List envelopes and what a document says to its readers

/// Three ways APIs wrap a page of rows, and two resources that look alike
/// but are rows: the Kubernetes `PodList` (`apiVersion`, `kind`,
/// `metadata: ListMeta`, `items`), Stripe's `{object: "list", data,
/// has_more, url}` and Django REST framework's `{count, next, previous,
/// results}` are lists of `Pod`, `Customer` and `Pet`; a `Playlist` keyed by
/// `id` that lists its tracks and an `Order` a client sends stay entities.
const ENVELOPES: &str = r##"
openapi: 3.0.3
info:
  title: Envelopes
  version: "1"
  description: |
    Lists of rows, as three well-known APIs wrap them.
    Second line.
externalDocs:
  url: https://example.com/docs
  description: The guide
tags:
  - name: pets
    description: Everything about your pets
  - name: orders
    description: Orders placed in the shop
    externalDocs:
      url: https://example.com/orders
  - name: reports
    description: Aggregated figures
paths:
  /api/v1/namespaces/{namespace}/pods:
    get:
      operationId: listNamespacedPod
      parameters:
        - {name: namespace, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema: {$ref: "#/components/schemas/io.k8s.api.core.v1.PodList"}
  /v1/customers:
    get:
      operationId: GetCustomers
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema: {$ref: "#/components/schemas/CustomerList"}
  /v1/customers/{customer}:
    get:
      operationId: GetCustomer
      parameters:
        - {name: customer, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Customer"}
  /pets/:
    get:
      operationId: pets_list
      tags: [pets]
      parameters:
        - {name: page, in: query, schema: {type: integer}}
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema: {$ref: "#/components/schemas/PaginatedPetList"}
  /pets/{id}/:
    get:
      operationId: pets_retrieve
      tags: [pets]
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
  /orders:
    post:
      operationId: createOrder
      tags: [orders]
      externalDocs:
        url: https://example.com/orders/create
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Order"}
      responses:
        "201":
          description: Created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Order"}
components:
  schemas:
    io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta:
      type: object
      properties:
        continue: {type: string}
        remainingItemCount: {type: integer, format: int64}
        resourceVersion: {type: string}
        selfLink: {type: string}
    io.k8s.api.core.v1.Pod:
      type: object
      description: Pod is a collection of containers that can run on a host.
      properties:
        apiVersion: {type: string}
        kind: {type: string}
        metadata:
          type: object
          properties:
            name: {type: string}
            namespace: {type: string}
        spec:
          type: object
          properties:
            nodeName: {type: string}
    io.k8s.api.core.v1.PodList:
      type: object
      description: PodList is a list of Pods.
      required: [items]
      properties:
        apiVersion: {type: string}
        items:
          type: array
          items: {$ref: "#/components/schemas/io.k8s.api.core.v1.Pod"}
        kind: {type: string}
        metadata: {$ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"}
    Customer:
      type: object
      properties:
        id: {type: string}
        email: {type: string, nullable: true}
        object: {type: string, enum: [customer]}
    CustomerList:
      type: object
      title: CustomerResourceCustomerList
      required: [data, has_more, object, url]
      properties:
        data:
          type: array
          items: {$ref: "#/components/schemas/Customer"}
        has_more: {type: boolean}
        object: {type: string, enum: [list]}
        url: {type: string, maxLength: 5000}
    Pet:
      type: object
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string, maxLength: 100}
    PaginatedPetList:
      type: object
      required: [count, results]
      properties:
        count: {type: integer, example: 123}
        next: {type: string, nullable: true, format: uri}
        previous: {type: string, nullable: true, format: uri}
        results:
          type: array
          items: {$ref: "#/components/schemas/Pet"}
    Track:
      type: object
      properties:
        id: {type: integer}
        title: {type: string}
    Playlist:
      type: object
      properties:
        id: {type: integer}
        name: {type: string}
        count: {type: integer}
        tracks:
          type: array
          items: {$ref: "#/components/schemas/Track"}
    LineItem:
      type: object
      properties:
        sku: {type: string}
        quantity: {type: integer}
    Order:
      type: object
      externalDocs:
        url: https://example.com/order-schema
      properties:
        currency: {type: string}
        total: {type: integer}
        lines:
          type: array
          items: {$ref: "#/components/schemas/LineItem"}
"##;

fn import_envelopes() -> Introspection {
    import_text("envelopes.yaml", ENVELOPES)
        .unwrap_or_else(|d| panic!("{}", baas::diagnostics::render_problems(&d, false)))
}

#[test]
fn list_envelopes_are_lists_of_their_item_and_look_alike_resources_stay() {
    let introspection = import_envelopes();
    let manifest = &introspection.manifest;
    assert_valid_and_round_trips(manifest);
    assert_eq!(
        entity_names(manifest),
        [
            "Customer",
            "LineItem",
            "Order",
            "Pet",
            "Playlist",
            "Track",
            "io.k8s.api.core.v1.Pod",
            "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
        ]
    );
    let text = ledger_text(&introspection);
    for (envelope, item, rows) in [
        (
            "io.k8s.api.core.v1.PodList",
            "io.k8s.api.core.v1.Pod",
            "items",
        ),
        ("CustomerList", "Customer", "data"),
        ("PaginatedPetList", "Pet", "results"),
    ] {
        assert!(
            has_entry(&introspection, envelope, "list_envelope"),
            "{text}"
        );
        let operation = manifest
            .api
            .as_ref()
            .unwrap()
            .operations
            .iter()
            .find(|op| op.method == "GET" && op.entity.as_deref() == Some(item))
            .unwrap_or_else(|| panic!("no list of {item}: {:#?}", manifest.api));
        // `serve` lists what it can fill the path of; the rows are under the key.
        if operation.action.is_some() {
            assert_eq!(operation.rows.as_deref(), Some(rows));
        }
    }
    assert!(
        !has_entry(&introspection, "Playlist", "list_envelope"),
        "{text}"
    );
    assert!(
        !has_entry(&introspection, "Order", "list_envelope"),
        "{text}"
    );
}

#[test]
fn descriptions_tags_and_documentation_links_are_carried_or_in_the_ledger() {
    let introspection = import_envelopes();
    let manifest = &introspection.manifest;
    let text = ledger_text(&introspection);
    // The tag named after an entity without a description describes it.
    assert_eq!(
        manifest.entities["Pet"].comment.as_deref(),
        Some("Everything about your pets")
    );
    // A schema's own description wins; others are ledger lines.
    assert_eq!(
        manifest.entities["io.k8s.api.core.v1.Pod"]
            .comment
            .as_deref(),
        Some("Pod is a collection of containers that can run on a host.")
    );
    for (object, kind, words) in [
        (
            "info",
            "api_description",
            "Lists of rows, as three well-known APIs wrap them.",
        ),
        ("externalDocs", "external_docs", "https://example.com/docs"),
        ("tags.pets", "tag", "comment of `Pet`"),
        ("tags.orders", "tag", "https://example.com/orders"),
        ("tags.reports", "tag", "Aggregated figures"),
        (
            "POST /orders",
            "external_docs",
            "https://example.com/orders/create",
        ),
        ("Order", "external_docs", "https://example.com/order-schema"),
    ] {
        assert!(
            has_entry(&introspection, object, kind),
            "{object} {kind}: {text}"
        );
        assert!(
            introspection
                .ledger
                .entries()
                .iter()
                .any(|e| e.object == object && e.message.contains(words)),
            "{object}: {words}: {text}"
        );
    }
    // `Order` has no description of its own: its tag's is its comment.
    assert_eq!(
        manifest.entities["Order"].comment.as_deref(),
        Some("Orders placed in the shop")
    );
}
