//! JSON Schema import: the three corpus schemas (counts, ledger, a snapshot
//! of each manifest), small documents for each mapping rule, malformed files
//! with their line and column, and corrupted corpus files that must never
//! make the importer panic.

use std::path::Path;
use std::sync::Arc;

use baas::introspect::{IntrospectOptions, Introspection};
use baas::manifest::diagnostics::line_column;
use baas::manifest::{self, DefaultValue, Diagnostics, Field, FieldType, Literal, Manifest};
use baas::parse::{SourceFile, json_schema};

use crate::support;
use crate::support::{assert_valid_and_round_trips, baas};

pub(crate) fn source(path: &Path, text: String) -> SourceFile {
    SourceFile {
        path: path.to_owned(),
        text: Arc::new(text),
    }
}

fn import_text(name: &str, text: &str) -> Result<Introspection, Diagnostics> {
    json_schema::parse(
        &source(Path::new(name), text.to_owned()),
        &IntrospectOptions::default(),
    )
}

fn import_path(path: &Path) -> Introspection {
    let text = std::fs::read_to_string(path).unwrap();
    json_schema::parse(&source(path, text), &IntrospectOptions::default()).unwrap_or_else(|d| {
        panic!(
            "{} should import:\n{}",
            path.display(),
            baas::diagnostics::render_problems(&d, false)
        )
    })
}

fn corpus(relative: &str) -> Introspection {
    let introspection = import_path(&support::corpus_file(relative));
    assert_valid_and_round_trips(&introspection.manifest);
    introspection
}

fn fixture(name: &str) -> Introspection {
    let introspection = import_path(
        &support::project_fixtures()
            .join("schemas/jsonschema")
            .join(name),
    );
    assert_valid_and_round_trips(&introspection.manifest);
    introspection
}

/// `(object, kind)` of every ledger entry, sorted.
pub(crate) fn ledger_kinds(introspection: &Introspection) -> Vec<(String, String)> {
    introspection
        .ledger
        .entries()
        .into_iter()
        .map(|entry| (entry.object.clone(), entry.kind.clone()))
        .collect()
}

pub(crate) fn ledger_text(introspection: &Introspection) -> String {
    introspection
        .ledger
        .entries()
        .into_iter()
        .map(|entry| format!("{} [{}] {}\n", entry.object, entry.kind, entry.message))
        .collect()
}

fn has_entry(introspection: &Introspection, object: &str, kind: &str) -> bool {
    ledger_kinds(introspection)
        .iter()
        .any(|(o, k)| o == object && k == kind)
}

pub(crate) fn field<'a>(manifest: &'a Manifest, entity: &str, name: &str) -> &'a Field {
    manifest
        .entities
        .get(entity)
        .unwrap_or_else(|| panic!("entity `{entity}` is missing"))
        .fields
        .get(name)
        .unwrap_or_else(|| panic!("field `{entity}.{name}` is missing"))
}

fn nested<'a>(field: &'a Field, name: &str) -> &'a Field {
    field
        .fields
        .as_ref()
        .and_then(|fields| fields.get(name))
        .unwrap_or_else(|| panic!("nested field `{name}` is missing"))
}

fn nested_names(field: &Field) -> Vec<&str> {
    field
        .fields
        .as_ref()
        .map(|fields| fields.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

pub(crate) fn entity_names(manifest: &Manifest) -> Vec<&str> {
    manifest.entities.keys().map(String::as_str).collect()
}

fn field_names<'a>(manifest: &'a Manifest, entity: &str) -> Vec<&'a str> {
    manifest.entities[entity]
        .fields
        .keys()
        .map(String::as_str)
        .collect()
}

/// The first problem's 1-based line and column.
pub(crate) fn first_position(diagnostics: &Diagnostics) -> (usize, usize) {
    let span = diagnostics.problems[0]
        .span
        .clone()
        .expect("the problem has a span");
    line_column(&diagnostics.text, span.start)
}

pub(crate) fn first_message(diagnostics: &Diagnostics) -> &str {
    &diagnostics.problems[0].message
}

// ---------------------------------------------------------------------------
// The corpus

#[test]
fn jsonfeed_becomes_five_entities_with_embedded_definitions() {
    let feed = corpus("jsonschema/jsonfeed-1.1.schema.json");
    let manifest = &feed.manifest;
    assert_eq!(
        entity_names(manifest),
        ["attachment", "author", "extension", "item", "jsonfeed_1_1"]
    );
    assert_eq!(
        manifest.project.name.as_deref(),
        Some("JSON schema for the JSON Feed format")
    );
    let source = manifest.source.as_ref().unwrap();
    assert_eq!(source.engine, manifest::SourceEngine::JsonSchema);
    assert_eq!(source.url, None);
    assert!(manifest.enums.is_empty());
    assert_eq!(manifest.relation_count(), 0);
    assert!(manifest.api.is_none());

    // The root: 13 properties; only `items`, `title` and `version` are required.
    assert_eq!(manifest.entities["jsonfeed_1_1"].fields.len(), 13);
    let title = field(manifest, "jsonfeed_1_1", "title");
    assert_eq!((title.ty, title.optional), (FieldType::String, false));
    assert!(field(manifest, "jsonfeed_1_1", "description").optional);
    assert_eq!(
        field(manifest, "jsonfeed_1_1", "expired").ty,
        FieldType::Bool
    );
    // `allOf: [{$ref: uri}]` is the `uri` string, described here.
    let favicon = field(manifest, "jsonfeed_1_1", "favicon");
    assert_eq!(favicon.ty, FieldType::String);
    assert!(favicon.comment.as_deref().unwrap().starts_with("The URL"));
    // `anyOf` of an enum and a string: json, with a ledger entry.
    assert_eq!(
        field(manifest, "jsonfeed_1_1", "version").ty,
        FieldType::Json
    );

    // `$ref` to an object definition embeds its fields.
    let author = field(manifest, "jsonfeed_1_1", "author");
    assert_eq!(author.ty, FieldType::Object);
    assert_eq!(nested_names(author), ["avatar", "name", "url"]);
    let items = field(manifest, "jsonfeed_1_1", "items");
    assert_eq!(items.ty, FieldType::Array);
    let item = items.items.as_ref().unwrap();
    assert_eq!(item.ty, FieldType::Object);
    assert_eq!(nested_names(item).len(), 14);
    let attachments = nested(item, "attachments").items.as_ref().unwrap();
    assert_eq!(nested_names(attachments).len(), 5);
    let hubs = field(manifest, "jsonfeed_1_1", "hubs")
        .items
        .as_ref()
        .unwrap();
    assert_eq!(nested_names(hubs), ["type", "url"]);
    assert!(!nested(hubs, "type").optional);

    // The item entity: `id` is required but `string | number`, so json and no key.
    let item_entity = &manifest.entities["item"];
    assert_eq!(item_entity.fields.len(), 14);
    assert!(item_entity.primary_key.is_empty());
    assert_eq!(field(manifest, "item", "id").ty, FieldType::Json);
    assert_eq!(
        field(manifest, "item", "date_published").ty,
        FieldType::Timestamptz
    );
    let mime = field(manifest, "attachment", "mime_type");
    assert!(!mime.optional && !mime.nullable);
    assert_eq!(
        field(manifest, "attachment", "size_in_bytes").ty,
        FieldType::Float64
    );

    for object in ["jsonfeed_1_1", "item", "author", "attachment"] {
        assert!(
            has_entry(&feed, object, "pattern_properties"),
            "{object}: {:#?}",
            ledger_kinds(&feed)
        );
    }
    assert!(has_entry(&feed, "item", "one_of"));
    assert!(has_entry(&feed, "item.id", "type_union"));
    assert!(has_entry(&feed, "jsonfeed_1_1.version", "any_of"));
    assert!(has_entry(&feed, "uri", "not_an_entity"));
    assert!(has_entry(&feed, "item", "constraint"));
    assert_eq!(feed.ledger.len(), 12);

    insta::assert_snapshot!("jsonfeed_manifest", manifest::to_toml(manifest));
    insta::assert_snapshot!("jsonfeed_ledger", ledger_text(&feed));
}

#[test]
fn json_resume_is_one_entity_of_nested_objects_and_arrays() {
    let resume = corpus("jsonschema/jsonresume.schema.json");
    let manifest = &resume.manifest;
    // The title "Resume Schema" is not one word: the file names the entity.
    assert_eq!(entity_names(manifest), ["jsonresume"]);
    assert_eq!(manifest.project.name.as_deref(), Some("Resume Schema"));
    assert_eq!(
        field_names(manifest, "jsonresume"),
        [
            "$schema",
            "basics",
            "work",
            "volunteer",
            "education",
            "awards",
            "certificates",
            "publications",
            "skills",
            "languages",
            "interests",
            "references",
            "projects",
            "meta"
        ]
    );
    let basics = field(manifest, "jsonresume", "basics");
    assert_eq!(basics.ty, FieldType::Object);
    assert_eq!(nested_names(basics).len(), 9);
    assert_eq!(nested_names(nested(basics, "location")).len(), 5);
    let profiles = nested(basics, "profiles");
    assert_eq!(profiles.ty, FieldType::Array);
    assert_eq!(
        nested_names(profiles.items.as_ref().unwrap()),
        ["network", "username", "url"]
    );
    let work = field(manifest, "jsonresume", "work")
        .items
        .as_ref()
        .unwrap();
    assert_eq!(nested_names(work).len(), 9);
    // `$ref: #/definitions/iso8601` (a pattern-checked string) is inlined.
    assert_eq!(nested(work, "startDate").ty, FieldType::String);
    let highlights = nested(work, "highlights");
    assert_eq!(highlights.items.as_ref().unwrap().ty, FieldType::String);
    assert!(manifest.enums.is_empty());
    assert_eq!(
        ledger_kinds(&resume),
        [
            ("iso8601".to_owned(), "not_an_entity".to_owned()),
            ("jsonresume".to_owned(), "constraint".to_owned()),
        ]
    );
    insta::assert_snapshot!("jsonresume_manifest", manifest::to_toml(manifest));
    insta::assert_snapshot!("jsonresume_ledger", ledger_text(&resume));
}

#[test]
fn ocds_release_has_thirty_two_entities_and_its_codelist_enums() {
    let ocds = corpus("jsonschema/ocds-release-1.1.5.schema.json");
    let manifest = &ocds.manifest;
    assert_eq!(manifest.entities.len(), 32);
    let root = &manifest.entities["ocds_release_1_1_5"];
    assert_eq!(root.fields.len(), 15);
    assert_eq!(root.primary_key, ["id"]);
    assert_eq!(
        manifest.project.name.as_deref(),
        Some("Schema for an Open Contracting Release")
    );
    for name in [
        "Tender",
        "Award",
        "Contract",
        "Organization",
        "Value",
        "Period",
    ] {
        assert!(manifest.entities.contains_key(name), "{name}");
    }
    assert_eq!(manifest.entities["Tender"].fields.len(), 42);
    // `type: [string, null]` is a nullable string; `required` makes it non-optional.
    let ocid = field(manifest, "ocds_release_1_1_5", "ocid");
    assert_eq!((ocid.ty, ocid.optional), (FieldType::String, false));
    let description = field(manifest, "Tender", "description");
    assert!(description.nullable && description.optional);
    // Codelist enums with `null` among the values: nullable enum fields.
    assert_eq!(manifest.enums.len(), 16);
    let status = field(manifest, "Tender", "status");
    assert_eq!(status.ty, FieldType::Enum);
    assert_eq!(status.enum_name.as_deref(), Some("Tender_status"));
    assert!(status.nullable);
    assert_eq!(
        manifest.enums["Tender_status"].values,
        [
            "planning",
            "planned",
            "active",
            "complete",
            "cancelled",
            "unsuccessful",
            "withdrawn"
        ]
    );
    let geometry = field(manifest, "Location", "geometry");
    assert_eq!(
        nested(geometry, "type").enum_name.as_deref(),
        Some("Location_geometry_type")
    );
    // Embedded definitions: the release's tender carries Tender's fields.
    let tender = field(manifest, "ocds_release_1_1_5", "tender");
    assert_eq!(tender.ty, FieldType::Object);
    assert_eq!(nested_names(tender).len(), 42);
    assert_eq!(
        nested(nested(tender, "value"), "amount").ty,
        FieldType::Float64
    );
    // Ids that are `string | integer` are json (ledger), so not keys.
    assert!(manifest.entities["Award"].primary_key.is_empty());
    assert!(has_entry(&ocds, "Award.id", "type_union"));
    assert!(has_entry(
        &ocds,
        "Location.geometry.coordinates",
        "type_union"
    ));
    let kinds: std::collections::BTreeSet<String> =
        ledger_kinds(&ocds).into_iter().map(|(_, k)| k).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["constraint", "type_union"]
    );
    insta::assert_snapshot!("ocds_manifest", manifest::to_toml(manifest));
    insta::assert_snapshot!("ocds_ledger", ledger_text(&ocds));
}

// ---------------------------------------------------------------------------
// The mapping rules, on small documents

#[test]
fn every_mapping_rule_applies_to_the_catalog_schema() {
    let catalog = fixture("catalog.schema.json");
    let manifest = &catalog.manifest;
    // A one-word title names the root entity; object `$defs` are entities too.
    assert_eq!(
        entity_names(manifest),
        ["Category", "Party", "Product", "Variant"]
    );
    let product = &manifest.entities["Product"];
    assert_eq!(product.primary_key, ["id"]);
    assert_eq!(
        product.comment.as_deref(),
        Some("A product in the catalogue")
    );
    let types: Vec<(&str, String)> = product
        .fields
        .iter()
        .map(|(name, field)| (name.as_str(), field.type_label()))
        .collect();
    assert_eq!(
        types,
        [
            ("id", "uuid".to_owned()),
            ("name", "string(120)".to_owned()),
            ("sku", "string".to_owned()),
            ("price", "decimal".to_owned()),
            ("stock", "int32".to_owned()),
            ("views", "int64".to_owned()),
            ("status", "enum Product_status".to_owned()),
            ("color", "enum Product_color".to_owned()),
            ("released_on", "date".to_owned()),
            ("updated_at", "timestamptz".to_owned()),
            ("opens_at", "time".to_owned()),
            ("warranty", "interval".to_owned()),
            ("homepage", "string".to_owned()),
            ("thumbnail", "bytes".to_owned()),
            ("featured", "bool".to_owned()),
            ("dimensions", "object".to_owned()),
            ("category", "object".to_owned()),
            ("tags", "array<string>".to_owned()),
            ("variants", "array<object>".to_owned()),
            ("attributes", "json".to_owned()),
            ("seller", "object".to_owned()),
            ("buyer", "object".to_owned()),
            ("legacy_code", "string".to_owned()),
            ("discount", "json".to_owned()),
            ("coordinates", "array<json>".to_owned()),
            ("misc", "json".to_owned()),
        ]
    );
    // Presence: required → neither optional nor nullable; others optional;
    // `null` among the types or values → nullable.
    let id = field(manifest, "Product", "id");
    assert!(!id.optional && !id.nullable);
    let sku = field(manifest, "Product", "sku");
    assert!(sku.optional && sku.nullable);
    assert!(field(manifest, "Product", "color").nullable);
    assert!(field(manifest, "Product", "legacy_code").nullable);
    assert_eq!(manifest.enums["Product_color"].values, ["red", "green"]);
    assert_eq!(
        field(manifest, "Product", "status").default,
        Some(DefaultValue::Literal(Literal::String("draft".to_owned())))
    );
    assert_eq!(
        field(manifest, "Product", "featured").default,
        Some(DefaultValue::Literal(Literal::Bool(false)))
    );
    // Nested objects keep their own `required`.
    let dimensions = field(manifest, "Product", "dimensions");
    assert!(!nested(dimensions, "width").optional);
    assert!(nested(dimensions, "unit").optional);
    assert_eq!(
        nested(dimensions, "unit").enum_name.as_deref(),
        Some("Product_dimensions_unit")
    );
    // `allOf` merges a definition with more properties.
    assert_eq!(
        nested_names(field(manifest, "Product", "seller")),
        ["name", "Name", "rating"]
    );
    // So does a `$ref` with properties beside it (2019-09 and later).
    assert_eq!(
        nested_names(field(manifest, "Product", "buyer")),
        ["name", "Name", "carrier"]
    );
    // An enum definition is a named enum wherever it is used.
    let variant = field(manifest, "Product", "variants")
        .items
        .as_ref()
        .unwrap();
    assert_eq!(nested(variant, "size").enum_name.as_deref(), Some("Size"));
    assert_eq!(manifest.enums["Size"].values, ["S", "M", "L", "XL"]);
    // A recursive definition: the inner reference is json.
    let category = &manifest.entities["Category"];
    assert_eq!(category.primary_key, ["id"]);
    assert_eq!(field(manifest, "Category", "id").ty, FieldType::Int32);
    assert_eq!(field(manifest, "Category", "parent").ty, FieldType::Json);
    // Two properties that differ only by case get distinct columns.
    let party = &manifest.entities["Party"];
    assert_eq!(party.fields["Name"].column.as_deref(), Some("Name_2"));

    for (object, kind) in [
        ("Product", "pattern_properties"),
        ("Product", "if_then_else"),
        ("Product", "not"),
        ("Product", "constraint"),
        ("Product.attributes", "additional_properties"),
        ("Product.discount", "one_of"),
        ("Product.coordinates", "tuple_items"),
        ("Category.parent", "recursive_ref"),
        ("Category.children", "recursive_ref"),
        ("Party.Name", "duplicate_column"),
        ("Money", "not_an_entity"),
        ("Anything", "not_an_entity"),
    ] {
        assert!(
            has_entry(&catalog, object, kind),
            "{object} [{kind}] missing:\n{}",
            ledger_text(&catalog)
        );
    }
    // `anyOf: [X, null]` is a nullable X, not a union.
    assert!(!has_entry(&catalog, "Product.legacy_code", "any_of"));
    insta::assert_snapshot!("catalog_manifest", manifest::to_toml(manifest));
    insta::assert_snapshot!("catalog_ledger", ledger_text(&catalog));
}

/// A root that is no entity (a union of its definitions, as FHIR's is, or
/// a container of definitions) has its description named in the ledger;
/// a root that is an entity keeps it as the entity's comment. Before, the
/// description of such a root was dropped without a word.
#[test]
fn the_description_of_a_root_that_is_no_entity_is_a_ledger_line() {
    let union = import_text(
        "resources.schema.json",
        r##"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "resources",
  "description": "Every resource of the registry.\nSecond line.",
  "oneOf": [{ "$ref": "#/definitions/Patient" }, { "$ref": "#/definitions/Visit" }],
  "definitions": {
    "Patient": { "type": "object", "properties": { "id": { "type": "string" } }, "required": ["id"] },
    "Visit": { "type": "object", "properties": { "id": { "type": "string" } }, "required": ["id"] }
  }
}"##,
    )
    .unwrap();
    let entries = union.ledger.entries();
    let line = entries
        .iter()
        .find(|e| e.kind == "schema_description")
        .unwrap_or_else(|| panic!("{entries:#?}"));
    assert!(
        line.message.contains("(Every resource of the registry.)"),
        "{line:?}"
    );
    let entity = import_text(
        "patient.schema.json",
        r#"{ "title": "Patient", "description": "A person in care.", "type": "object",
             "properties": { "id": { "type": "string" } }, "required": ["id"] }"#,
    )
    .unwrap();
    assert!(
        !entity
            .ledger
            .entries()
            .iter()
            .any(|e| e.kind == "schema_description"),
        "{:#?}",
        entity.ledger.entries()
    );
    let comments: Vec<_> = entity
        .manifest
        .entities
        .values()
        .map(|e| e.comment.clone())
        .collect();
    assert_eq!(comments, [Some("A person in care.".to_owned())]);
}

#[test]
fn a_root_of_only_definitions_gives_one_entity_per_definition() {
    let container = fixture("container.schema.json");
    let manifest = &container.manifest;
    assert_eq!(entity_names(manifest), ["Address", "Customer", "Order"]);
    assert_eq!(manifest.project.name.as_deref(), Some("container"));
    assert_eq!(manifest.entities["Customer"].primary_key, ["id"]);
    assert!(manifest.entities["Address"].primary_key.is_empty());
    let customer = field(manifest, "Order", "customer");
    assert_eq!(customer.ty, FieldType::Object);
    assert_eq!(nested_names(customer), ["id", "email", "address"]);
    assert_eq!(
        nested_names(nested(customer, "address")),
        ["street", "city", "country"]
    );
    assert_eq!(
        nested(nested(customer, "address"), "country")
            .enum_name
            .as_deref(),
        Some("Address_country")
    );
    // The embedded copy carries types, not the definition's comments.
    assert_eq!(field(manifest, "Order", "shipping").ty, FieldType::Json);
    assert_eq!(
        ledger_kinds(&container),
        [
            ("Customer".to_owned(), "constraint".to_owned()),
            ("Order.shipping".to_owned(), "external_ref".to_owned()),
        ]
    );
}

#[test]
fn imports_are_deterministic() {
    let path = support::corpus_file("jsonschema/ocds-release-1.1.5.schema.json");
    let first = import_path(&path);
    let second = import_path(&path);
    assert_eq!(
        manifest::to_toml(&first.manifest),
        manifest::to_toml(&second.manifest)
    );
    assert_eq!(ledger_text(&first), ledger_text(&second));
}

#[test]
fn yaml_schemas_are_read_too() {
    let yaml = "\
$schema: https://json-schema.org/draft/2020-12/schema
title: Note
type: object
required: [id]
properties:
  id: {type: integer}
  body: {type: [string, 'null']}
";
    let note = import_text("note.schema.yaml", yaml).unwrap();
    assert_eq!(entity_names(&note.manifest), ["Note"]);
    assert_eq!(note.manifest.entities["Note"].primary_key, ["id"]);
    assert!(field(&note.manifest, "Note", "body").nullable);
}

#[test]
fn a_long_chain_of_references_is_cut_with_a_ledger_entry() {
    // D0.next → D1, D1.next → D2, ... 300 definitions deep: the walk stops
    // at a fixed depth instead of exhausting the stack.
    let definitions: Vec<String> = (0..300)
        .map(|i| {
            format!(
                "\"D{i}\": {{\"type\": \"object\", \"properties\": {{\"n\": {{\"type\": \"integer\"}}, \"next\": {{\"$ref\": \"#/definitions/D{}\"}}}}}}",
                i + 1
            )
        })
        .chain(std::iter::once(
            "\"D300\": {\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\"}}}"
                .to_owned(),
        ))
        .collect();
    let text = format!("{{\"definitions\": {{{}}}}}", definitions.join(",\n"));
    let chain = import_text("chain.schema.json", &text).unwrap();
    assert_eq!(chain.manifest.entities.len(), 301);
    assert_valid_and_round_trips(&chain.manifest);
    assert!(
        ledger_kinds(&chain)
            .iter()
            .any(|(_, kind)| kind == "too_deep"),
        "{}",
        ledger_text(&chain)
    );
}

// ---------------------------------------------------------------------------
// Malformed files

/// Imports `text` as `name`, expects problems, and returns them with the
/// rendered diagnostics.
fn malformed(name: &str, text: &str) -> (Diagnostics, String) {
    let diagnostics = match import_text(name, text) {
        Ok(introspection) => panic!(
            "{name} should not import:\n{}",
            manifest::to_toml(&introspection.manifest)
        ),
        Err(diagnostics) => diagnostics,
    };
    let rendered = baas::diagnostics::render_problems(&diagnostics, false);
    (diagnostics, rendered)
}

#[test]
fn truncated_json_points_at_its_end() {
    let text =
        "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"id\": {\"type\": \"integer\"";
    let (diagnostics, rendered) = malformed("truncated.schema.json", text);
    assert_eq!(first_position(&diagnostics), (4, 29));
    assert!(first_message(&diagnostics).contains("incomplete"));
    insta::assert_snapshot!("malformed_truncated", rendered);
}

#[test]
fn a_type_that_is_a_number_points_at_the_number() {
    let text =
        "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"id\": {\"type\": 12}\n  }\n}\n";
    let (diagnostics, rendered) = malformed("wrong-type.schema.json", text);
    assert_eq!(first_position(&diagnostics), (4, 20));
    assert!(first_message(&diagnostics).contains("`type` must be"));
    assert_eq!(diagnostics.problems[0].path, "/properties/id/type");
    insta::assert_snapshot!("malformed_type_number", rendered);
}

#[test]
fn an_unknown_type_name_is_reported_with_a_suggestion() {
    let text = "{\n  \"properties\": {\n    \"a\": {\"type\": \"strng\"},\n    \"b\": {\"type\": [\"integer\", \"nul\"]}\n  }\n}\n";
    let (diagnostics, rendered) = malformed("unknown-type.schema.json", text);
    assert_eq!(diagnostics.problems.len(), 2);
    assert_eq!(first_position(&diagnostics), (3, 19));
    assert_eq!(first_message(&diagnostics), "unknown type `strng`");
    assert_eq!(
        diagnostics.problems[0].help.as_deref(),
        Some("did you mean `string`?")
    );
    let second = diagnostics.problems[1].span.clone().unwrap();
    assert_eq!(line_column(&diagnostics.text, second.start), (4, 31));
    insta::assert_snapshot!("malformed_unknown_type", rendered);
}

#[test]
fn a_dangling_reference_is_an_error_at_the_reference() {
    let text = "{\n  \"properties\": {\n    \"a\": {\"$ref\": \"#/definitions/Nope\"}\n  }\n}\n";
    let (diagnostics, rendered) = malformed("dangling.schema.json", text);
    assert_eq!(first_position(&diagnostics), (3, 19));
    insta::assert_snapshot!("malformed_dangling_ref", rendered);
}

#[test]
fn broken_yaml_and_wrong_shapes_are_reported_where_they_are() {
    let (diagnostics, _) = malformed(
        "bad.schema.yaml",
        "type: object\nproperties:\n  a: {type: string\n  b: 1\n",
    );
    assert!(first_message(&diagnostics).starts_with("invalid YAML"));
    assert_eq!(first_position(&diagnostics).0, 4);

    let (diagnostics, _) = malformed(
        "shape.schema.yaml",
        "type: object\nproperties:\n  a:\n    type: object\n    properties: [1, 2]\n",
    );
    assert_eq!(
        first_message(&diagnostics),
        "`properties` must be an object of schemas"
    );
    assert_eq!(first_position(&diagnostics), (5, 17));

    let (diagnostics, _) = malformed("list.schema.json", "  [1, 2]");
    assert_eq!(first_position(&diagnostics), (1, 3));
    let (diagnostics, _) = malformed("empty.schema.yaml", "");
    assert_eq!(first_message(&diagnostics), "the document is empty");
}

// ---------------------------------------------------------------------------
// Corrupted corpus files never panic

#[test]
fn corrupted_corpus_schemas_never_panic() {
    const NOISE: &[u8] = b"{}[]:,\"'\\ \n\t-#&*!|>0aZ";
    let mut random = support::XorShift(0x9E37_79B9_7F4A_7C15);
    for relative in [
        "jsonschema/jsonfeed-1.1.schema.json",
        "jsonschema/jsonresume.schema.json",
        "jsonschema/ocds-release-1.1.5.schema.json",
    ] {
        let text = std::fs::read_to_string(support::corpus_file(relative)).unwrap();
        for (what, mangled) in support::mangled(&text, NOISE, &mut random, 50) {
            support::import_never_panics(&mangled, &format!("{relative} {what}"), |text| {
                json_schema::parse(
                    &source(Path::new(relative), text.to_owned()),
                    &IntrospectOptions::default(),
                )
            });
        }
    }
}

// ---------------------------------------------------------------------------
// Through the binary

#[test]
fn the_binary_imports_a_schema_and_reports_a_broken_one_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let corpus_path = support::corpus_file("jsonschema/jsonfeed-1.1.schema.json");
    let output = baas(dir.path())
        .args(["introspect", "--dry-run"])
        .arg(&corpus_path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("[entities.jsonfeed_1_1]"), "{stdout}");
    assert!(stdout.contains("engine = \"jsonschema\""));
    assert!(!dir.path().join("baas.toml").exists());

    let broken = dir.path().join("broken.schema.json");
    std::fs::write(
        &broken,
        "{\n  \"type\": \"object\",\n  \"properties\": {\"a\": {\"type\": 12}}\n}\n",
    )
    .unwrap();
    let output = baas(dir.path())
        .args(["introspect", "broken.schema.json", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("broken.schema.json:3:32"), "{stderr}");
    assert!(stderr.contains("`type` must be"), "{stderr}");
}

#[test]
fn a_document_without_schema_keywords_is_refused_and_points_at_format_data() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, help) in [
        ("plain.json", "{\"a\": 1}\n", "--format data"),
        (
            "db.json",
            "{\"posts\": [{\"id\": 1, \"title\": \"x\"}], \"profile\": {\"name\": \"t\"}}\n",
            "json-server",
        ),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
        let output = baas(dir.path())
            .args(["introspect", name, "--format", "jsonschema", "--dry-run"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}: {output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.contains("no JSON Schema keywords"),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(help), "{name}: {stderr}");
        assert!(
            output.stdout.is_empty(),
            "{name}: no manifest is printed for a file that gave nothing"
        );
    }
    // Keywords that describe nothing say so too, rather than an empty
    // manifest with an empty ledger.
    let (diagnostics, _) = malformed(
        "nothing.schema.json",
        r#"{"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {}}"#,
    );
    assert!(
        first_message(&diagnostics).contains("describes no object, enum or value"),
        "{}",
        first_message(&diagnostics)
    );
}

// ---------------------------------------------------------------------------
// Roots that are not objects, references to other files, scale

#[test]
fn a_root_that_is_an_enum_gives_the_enum_and_says_so() {
    let colors = import_text(
        "color.schema.json",
        r#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Color",
            "type": "string", "enum": ["red", "green", "blue"]}"#,
    )
    .unwrap();
    assert_eq!(
        colors.manifest.enums["Color"].values,
        ["red", "green", "blue"]
    );
    assert!(colors.manifest.entities.is_empty());
    assert!(
        has_entry(&colors, "Color", "not_an_entity"),
        "{}",
        ledger_text(&colors)
    );
    // A scalar root: no enum, no entity, but a ledger line.
    let scalar = import_text(
        "count.schema.json",
        r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "integer"}"#,
    )
    .unwrap();
    assert!(scalar.manifest.entities.is_empty());
    assert!(
        !scalar.ledger.is_empty(),
        "a scalar root must be named in the ledger"
    );
}

#[test]
fn a_root_that_is_an_array_of_objects_gives_the_entity_of_its_items() {
    let people = import_text(
        "people.schema.json",
        r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "array",
            "items": {"type": "object", "required": ["id"],
                      "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}}"#,
    )
    .unwrap();
    assert_eq!(entity_names(&people.manifest), ["people"]);
    assert_eq!(people.manifest.entities["people"].primary_key, ["id"]);
    assert_valid_and_round_trips(&people.manifest);
}

#[test]
fn references_to_sibling_files_are_followed_relative_to_the_file() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/jsonschema/siblings/order.schema.json");
    let order = import_path(&path);
    let manifest = &order.manifest;
    for name in ["shipping", "billing"] {
        let address = field(manifest, "Order", name);
        assert_eq!(address.ty, FieldType::Object, "{name}");
        assert_eq!(nested_names(address), ["street", "country"]);
        assert_eq!(nested(address, "street").max_length, Some(120));
        // The sibling's own `#/$defs/...` resolves inside the sibling.
        assert_eq!(nested(address, "country").ty, FieldType::String);
    }
    let total = field(manifest, "Order", "total");
    assert_eq!(nested_names(total), ["amount", "currency"]);
    // `../address.schema.json` from `common/` is the same file.
    assert_eq!(nested(total, "currency").max_length, Some(2));
    let status = field(manifest, "Order", "status");
    assert_eq!(status.ty, FieldType::Enum);
    assert_eq!(
        manifest.enums[status.enum_name.as_deref().unwrap()].values,
        ["open", "paid"]
    );
    // A file that is not there: `json`, named in the ledger.
    assert_eq!(field(manifest, "Order", "gift").ty, FieldType::Json);
    assert!(
        has_entry(&order, "Order.gift", "external_ref"),
        "{}",
        ledger_text(&order)
    );
}

/// A FHIR-like schema of `count` definitions: data types that contain
/// data types, an `Extension` every type carries and that can hold every
/// type, resources that contain resources and data types.
fn mutually_recursive_schema(count: usize) -> String {
    let mut random = support::XorShift(0x9e37_79b9_7f4a_7c15);
    let types = count / 10;
    let mut definitions = Vec::new();
    let reference = |name: String| format!("{{\"$ref\": \"#/definitions/{name}\"}}");
    let element = |mut properties: Vec<String>| {
        properties.push("\"id\": {\"type\": \"string\"}".to_owned());
        properties.push(
            "\"extension\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/definitions/Extension\"}}"
                .to_owned(),
        );
        format!(
            "{{\"type\": \"object\", \"properties\": {{{}}}}}",
            properties.join(", ")
        )
    };
    let values: Vec<String> = (0..types)
        .map(|t| format!("\"value{t}\": {}", reference(format!("Type{t}"))))
        .collect();
    definitions.push(format!("\"Extension\": {}", element(values)));
    for t in 0..types {
        let properties: Vec<String> = (0..2 + random.below(6))
            .map(|p| match random.below(3) {
                0 => format!(
                    "\"f{p}\": {}",
                    reference(format!("Type{}", random.below(types)))
                ),
                1 => format!(
                    "\"f{p}\": {{\"type\": \"array\", \"items\": {}}}",
                    reference(format!("Type{}", random.below(types)))
                ),
                _ => format!("\"f{p}\": {{\"type\": \"string\"}}"),
            })
            .collect();
        definitions.push(format!("\"Type{t}\": {}", element(properties)));
    }
    let resources = count - types - 1;
    for r in 0..resources {
        let properties: Vec<String> = (0..8 + random.below(16))
            .map(|p| match random.below(4) {
                0 => format!(
                    "\"f{p}\": {}",
                    reference(format!("Type{}", random.below(types)))
                ),
                1 => format!(
                    "\"f{p}\": {{\"type\": \"array\", \"items\": {}}}",
                    reference(format!("Resource{}", random.below(resources)))
                ),
                2 => format!(
                    "\"f{p}\": {}",
                    reference(format!("Resource{}", random.below(resources)))
                ),
                _ => format!("\"f{p}\": {{\"type\": \"integer\"}}"),
            })
            .collect();
        definitions.push(format!("\"Resource{r}\": {}", element(properties)));
    }
    format!("{{\"definitions\": {{{}}}}}", definitions.join(",\n"))
}

fn field_nodes(manifest: &Manifest) -> usize {
    fn size(field: &Field) -> usize {
        1 + field.items.as_deref().map_or(0, size)
            + field
                .fields
                .as_ref()
                .map_or(0, |fields| fields.values().map(size).sum())
    }
    manifest
        .entities
        .values()
        .flat_map(|entity| entity.fields.values())
        .map(size)
        .sum()
}

#[test]
fn mutual_recursion_between_many_definitions_is_bounded_and_cut_in_the_ledger() {
    // Expanding every reference in place grows without bound here (each
    // resource reaches hundreds of others, each type every other type).
    let text = mutually_recursive_schema(600);
    let properties = text.matches("\"f").count() + 2 * 600;
    let imported = import_text("fhir-like.schema.json", &text).unwrap();
    let manifest = &imported.manifest;
    assert_eq!(manifest.entities.len(), 600);
    let nodes = field_nodes(manifest);
    assert!(
        nodes <= properties * 64,
        "{nodes} field nodes for {properties} properties"
    );
    // Cycles are cut with a ledger line at the reference that closes them.
    assert!(has_entry(&imported, "Type0.extension", "recursive_ref"));
    assert!(has_entry(&imported, "Extension.value0", "recursive_ref"));
    // Everything is still there: each definition is its own entity.
    assert!(manifest.entities["Extension"].fields.len() > 60);
    assert_valid_and_round_trips(manifest);
}

/// References by identifier resolve inside the document, as a validator
/// resolves them: by an anchor (`$anchor`, a draft-07 `$id` or draft-04
/// `id` that is only a fragment), by the document's own `$id` (relative or
/// absolute), and by the `$id` of an embedded schema, whose `#/...`
/// pointers are its own. They were `json` with an `external_ref` line each
/// (an embedded schema's own pointer was a dangling-reference error).
#[test]
fn references_by_id_and_anchor_resolve_inside_the_document() {
    let bundled = r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://example.com/schemas/order.json",
  "title": "Order",
  "type": "object",
  "required": ["id"],
  "properties": {
    "id": {"type": "string"},
    "customer": {"$ref": "#customer"},
    "billing": {"$ref": "#/$defs/address"},
    "shipping": {"$ref": "order.json#/$defs/address"},
    "returns": {"$ref": "https://example.com/schemas/order.json#/$defs/address"},
    "line": {"$ref": "line.json"},
    "price": {"$ref": "/schemas/line.json#/properties/price"}
  },
  "$defs": {
    "customer": {
      "$anchor": "customer",
      "type": "object",
      "properties": {"name": {"type": "string"}, "vip": {"type": "boolean"}}
    },
    "address": {
      "type": "object",
      "properties": {"street": {"type": "string"}, "zip": {"type": "string"}}
    },
    "line": {
      "$id": "line.json",
      "type": "object",
      "properties": {"sku": {"type": "string"}, "price": {"$ref": "#/$defs/money"}},
      "$defs": {"money": {"type": "integer"}}
    }
  }
}"##;
    let result = import_text("order.json", bundled).unwrap();
    assert_valid_and_round_trips(&result.manifest);
    assert_eq!(ledger_text(&result), "");
    let manifest = &result.manifest;
    let billing = field(manifest, "Order", "billing");
    assert_eq!(nested_names(billing), ["street", "zip"]);
    assert_eq!(field(manifest, "Order", "shipping"), billing);
    assert_eq!(field(manifest, "Order", "returns"), billing);
    assert_eq!(
        nested_names(field(manifest, "Order", "customer")),
        ["name", "vip"]
    );
    let line = field(manifest, "Order", "line");
    assert_eq!(nested_names(line), ["sku", "price"]);
    assert_eq!(nested(line, "price").ty, FieldType::Int64);
    assert_eq!(field(manifest, "Order", "price").ty, FieldType::Int64);

    for (draft, keyword) in [("draft-07", "$id"), ("draft-04", "id")] {
        let text = format!(
            r##"{{
  "$schema": "http://json-schema.org/{draft}/schema#",
  "title": "Person",
  "type": "object",
  "properties": {{"home": {{"$ref": "#place"}}}},
  "definitions": {{
    "place": {{"{keyword}": "#place", "type": "object", "properties": {{"city": {{"type": "string"}}}}}}
  }}
}}"##
        );
        let result = import_text("person.json", &text).unwrap();
        assert_eq!(ledger_text(&result), "", "{draft}");
        assert_eq!(
            nested_names(field(&result.manifest, "Person", "home")),
            ["city"],
            "{draft}"
        );
    }
}

/// `items: false` after `prefixItems` only closes the tuple (2020-12): the
/// tuple has its ledger line, and no `never_valid` line says that no value
/// is valid, which only a `false` schema in a value's place means.
#[test]
fn a_closed_tuple_is_not_a_schema_no_value_matches() {
    let result = import_text(
        "tuple.json",
        r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Shape",
  "type": "object",
  "properties": {
    "point": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "items": false},
    "never": false
  }
}"#,
    )
    .unwrap();
    assert_eq!(
        ledger_kinds(&result),
        [
            ("Shape.never".to_owned(), "never_valid".to_owned()),
            ("Shape.point".to_owned(), "tuple_items".to_owned())
        ]
    );
}

/// A property naming a definition whose own type admits `null`
/// (`type: [object, "null"]`) is nullable, as the same schema written in
/// place is; the copy of its fields kept the object type and lost the null.
#[test]
fn a_reference_to_a_definition_that_admits_null_is_nullable() {
    let result = import_text(
        "deploy.json",
        r##"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Service",
  "type": "object",
  "required": ["deploy", "inline", "limits"],
  "properties": {
    "deploy": {"$ref": "#/definitions/deployment"},
    "inline": {"type": ["object", "null"], "properties": {"replicas": {"type": "integer"}}},
    "limits": {"$ref": "#/definitions/limits"}
  },
  "definitions": {
    "deployment": {"type": ["object", "null"], "properties": {"replicas": {"type": "integer"}}},
    "limits": {"type": "object", "properties": {"cpus": {"type": "string"}}}
  }
}"##,
    )
    .unwrap();
    let manifest = &result.manifest;
    assert_valid_and_round_trips(manifest);
    for name in ["deploy", "inline"] {
        let field = field(manifest, "Service", name);
        assert_eq!(field.ty, FieldType::Object, "{name}");
        assert!(field.nullable && !field.optional, "{name}: {field:?}");
    }
    assert!(!field(manifest, "Service", "limits").nullable);
}

/// Keywords of 2019-09 and 2020-12 that shape or constrain a value are read
/// or named in the ledger: `contentEncoding: base64` is bytes (OpenAPI 3.1's
/// `format: byte`), another encoding, `contentMediaType`, `minContains` and
/// `maxContains` are constraints, and `$dynamicRef` / `$recursiveRef`, which
/// were read as `json` without a word, have their own line.
#[test]
fn content_keywords_contains_counts_and_dynamic_references_are_read_or_ledgered() {
    let result = import_text(
        "tree.json",
        r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$dynamicAnchor": "node",
  "title": "Tree",
  "type": "object",
  "properties": {
    "avatar": {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"},
    "token": {"contentEncoding": "base64url"},
    "mail": {"type": "string", "contentEncoding": "quoted-printable"},
    "tags": {"type": "array", "items": {"type": "string"}, "contains": {"const": "a"}, "minContains": 1, "maxContains": 3},
    "children": {"type": "array", "items": {"$dynamicRef": "#node"}},
    "parent": {"$recursiveRef": "#"}
  }
}"##,
    )
    .unwrap();
    let manifest = &result.manifest;
    assert_valid_and_round_trips(manifest);
    assert_eq!(field(manifest, "Tree", "avatar").ty, FieldType::Bytes);
    assert_eq!(field(manifest, "Tree", "token").ty, FieldType::Bytes);
    assert_eq!(field(manifest, "Tree", "mail").ty, FieldType::String);
    let text = ledger_text(&result);
    for dropped in [
        "`contentMediaType` on `avatar`",
        "`contentEncoding: quoted-printable` on `mail`",
        "`minContains` on `tags`",
        "`maxContains` on `tags`",
    ] {
        assert!(text.contains(dropped), "{dropped}: {text}");
    }
    assert!(has_entry(&result, "Tree.children", "dynamic_ref"), "{text}");
    assert!(has_entry(&result, "Tree.parent", "dynamic_ref"), "{text}");
}

/// SchemaStore's package.json schema types a person (and `bugs`,
/// `repository`) `["object", "string"]`: `"Jane <jane@example.com>"` or
/// its parts. Inline or through a definition, such a value is `json` with
/// a `type_union` line; the definition is no entity whose object column
/// would refuse the string form.
#[test]
fn a_definition_of_an_object_or_another_type_is_json_where_used() {
    let schema = r##"{
      "$schema": "http://json-schema.org/draft-07/schema#",
      "title": "JSON schema for NPM package.json files",
      "definitions": {
        "person": {
          "description": "A person who has been involved in creating or maintaining this package.",
          "type": ["object", "string"],
          "required": ["name"],
          "properties": {
            "name": {"type": "string"},
            "email": {"type": "string", "format": "email"}
          }
        },
        "fundingWay": {
          "type": "object",
          "required": ["url"],
          "properties": {"url": {"type": "string"}, "type": {"type": "string"}}
        }
      },
      "type": "object",
      "properties": {
        "name": {"type": "string", "maxLength": 214},
        "author": {"$ref": "#/definitions/person"},
        "contributors": {"type": "array", "items": {"$ref": "#/definitions/person"}},
        "bugs": {"type": ["object", "string"], "properties": {"url": {"type": "string"}}},
        "funding": {"$ref": "#/definitions/fundingWay"}
      }
    }"##;
    let introspection = import_text("package.schema.json", schema).unwrap();
    let manifest = &introspection.manifest;
    assert_valid_and_round_trips(manifest);
    assert_eq!(entity_names(manifest), ["fundingWay", "package"]);
    let package = &manifest.entities["package"];
    assert_eq!(package.fields["author"].ty, FieldType::Json);
    assert_eq!(package.fields["bugs"].ty, FieldType::Json);
    assert_eq!(
        package.fields["contributors"].items.as_ref().unwrap().ty,
        FieldType::Json
    );
    // An object of one type still embeds.
    assert_eq!(package.fields["funding"].ty, FieldType::Object);
    let kinds = ledger_kinds(&introspection);
    for (object, kind) in [
        ("package.author", "type_union"),
        ("package.contributors", "type_union"),
        ("package.bugs", "type_union"),
        ("person", "not_an_entity"),
    ] {
        assert!(
            kinds.contains(&(object.to_owned(), kind.to_owned())),
            "{object} {kind}: {kinds:?}"
        );
    }
}

/// An object whose `anyOf` / `oneOf` alternatives are each an object with
/// properties (SchemaStore's tsconfig: `allOf: [..., {anyOf: [files,
/// include, references]}]`; a base with variants) keeps the properties of
/// every alternative, optional, and the ledger says so. Before, they were
/// lost while the ledger said "the listed properties are kept". A union of
/// objects and other values, and alternatives leading back to the schema,
/// merge nothing.
#[test]
fn properties_of_object_alternatives_are_kept_optional() {
    let schema = r##"{
      "$schema": "http://json-schema.org/draft-04/schema#",
      "title": "tsconfig",
      "definitions": {
        "compilerOptionsDefinition": {"properties": {"compilerOptions": {
          "type": "object", "properties": {"strict": {"type": "boolean"}}}}},
        "filesDefinition": {"properties": {"files": {
          "type": "array", "items": {"type": "string"}}}},
        "includeDefinition": {"properties": {"include": {
          "type": "array", "items": {"type": "string"}}}},
        "referencesDefinition": {"required": ["references"], "properties": {"references": {
          "type": "array", "items": {"type": "object", "properties": {"path": {"type": "string"}}}}}},
        "shape": {
          "type": "object",
          "required": ["kind"],
          "properties": {"kind": {"type": "string"}},
          "oneOf": [
            {"type": "object", "properties": {"radius": {"type": "number"}}},
            {"properties": {"side": {"type": "number"}}, "required": ["side"]}
          ]
        },
        "contact": {
          "type": "object",
          "properties": {"name": {"type": "string"}},
          "anyOf": [{"properties": {"email": {"type": "string"}}}, {"type": "string"}]
        },
        "loop": {
          "type": "object",
          "properties": {"a": {"type": "string"}},
          "anyOf": [{"$ref": "#/definitions/loop"}, {"$ref": "#/definitions/other"}]
        },
        "other": {
          "type": "object",
          "properties": {"b": {"type": "string"}},
          "anyOf": [{"$ref": "#/definitions/loop"}]
        }
      },
      "type": "object",
      "allOf": [
        {"$ref": "#/definitions/compilerOptionsDefinition"},
        {"anyOf": [
          {"$ref": "#/definitions/filesDefinition"},
          {"$ref": "#/definitions/includeDefinition"},
          {"$ref": "#/definitions/referencesDefinition"}
        ]}
      ]
    }"##;
    let introspection = import_text("tsconfig.json", schema).unwrap();
    let manifest = &introspection.manifest;
    assert_valid_and_round_trips(manifest);
    assert_eq!(
        field_names(manifest, "tsconfig"),
        ["compilerOptions", "files", "include", "references"]
    );
    for name in ["files", "include", "references"] {
        assert!(field(manifest, "tsconfig", name).optional, "{name}");
    }
    assert_eq!(field_names(manifest, "shape"), ["kind", "radius", "side"]);
    assert!(!field(manifest, "shape", "kind").optional);
    assert!(field(manifest, "shape", "side").optional);
    assert_eq!(field_names(manifest, "contact"), ["name"]);
    // An alternative that is the schema itself has nothing to add: `loop`
    // merges nothing; `other` has `loop`'s property.
    assert_eq!(field_names(manifest, "loop"), ["a"]);
    assert_eq!(field_names(manifest, "other"), ["b", "a"]);

    let message = |object: &str| {
        introspection
            .ledger
            .entries()
            .into_iter()
            .find(|entry| entry.object == object && entry.kind.ends_with("_of"))
            .unwrap_or_else(|| panic!("no union line for `{object}`"))
            .message
            .clone()
    };
    assert_eq!(
        message("tsconfig"),
        "`anyOf` (3 alternatives) cannot be represented; the properties of every alternative \
         are kept, each optional, and which alternative holds is not checked"
    );
    assert!(message("shape").starts_with("`oneOf` (2 alternatives)"));
    assert!(message("shape").contains("the properties of every alternative are kept"));
    assert!(
        message("contact")
            .ends_with("the listed properties are kept, the alternatives are not checked"),
        "{}",
        message("contact")
    );
}
