//! The manifest: canonical round trips over every manifest in `fixtures/`,
//! and one snapshot of the rendered diagnostics per kind of problem.

use std::path::Path;

use baas::manifest::{self, load_str, to_toml};

fn load(path: &Path) -> manifest::LoadedManifest {
    let text = std::fs::read_to_string(path).unwrap();
    load_str(path, text).unwrap_or_else(|d| {
        panic!(
            "{} should load:\n{}",
            path.display(),
            baas::diagnostics::render_problems(&d, false)
        )
    })
}

#[test]
fn every_fixture_manifest_round_trips_byte_for_byte() {
    insta::glob!("../../fixtures/manifests", "*.toml", |path| {
        let original = std::fs::read_to_string(path).unwrap();
        let first = to_toml(&load(path).manifest);
        // The fixtures are written in canonical form: saving changes nothing.
        similar_asserts_eq(&original, &first, path);
        // And load → save → load gives the same model and the same bytes.
        let reloaded = load_str(path, first.clone()).unwrap();
        assert_eq!(reloaded.manifest, load(path).manifest);
        assert_eq!(to_toml(&reloaded.manifest), first);
    });
}

#[test]
fn hand_written_manifest_with_comments_becomes_canonical_and_stays_so() {
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/init/bookshop.toml");
    let loaded = load(&template);
    let canonical = to_toml(&loaded.manifest);
    assert!(
        !canonical.contains('#'),
        "comments are not part of the model"
    );
    let again = to_toml(&load_str(&template, canonical.clone()).unwrap().manifest);
    assert_eq!(canonical, again);
    assert_eq!(loaded.manifest.entities.len(), 3);
    assert_eq!(loaded.manifest.relation_count(), 2);
}

#[test]
fn entities_are_sorted_and_fields_keep_their_order() {
    let text = r#"
[manifest]
format = 1
version = 1

[entities.zebra]
table = "zebra"
[entities.zebra.fields]
z = { type = "int32" }
a = { type = "int32" }
m = { type = "int32" }

[entities.apple]
table = "apple"
[entities.apple.fields]
id = { type = "int32" }
"#;
    let manifest = load_str(Path::new("baas.toml"), text.to_owned())
        .unwrap()
        .manifest;
    let out = to_toml(&manifest);
    let apple = out.find("[entities.apple]").unwrap();
    let zebra = out.find("[entities.zebra]").unwrap();
    assert!(apple < zebra, "{out}");
    let fields: Vec<&str> = manifest.entities["zebra"]
        .fields
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, ["z", "a", "m"]);
    assert!(out.contains(
        "z = { type = \"int32\" }\na = { type = \"int32\" }\nm = { type = \"int32\" }\n"
    ));
}

#[test]
fn field_tables_written_long_hand_load_like_inline_ones() {
    let long = r#"
[manifest]
format = 1
version = 1

[entities.film]
table = "film"

[entities.film.fields.title]
type = "string"
max_length = 255

[[entities.film.indexes]]
name = "film_title_idx"
fields = ["title"]
"#;
    let inline = r#"
[manifest]
format = 1
version = 1

[entities.film]
table = "film"

[entities.film.fields]
title = { type = "string", max_length = 255 }

[entities.film]
kind = "view"
"#;
    let long = load_str(Path::new("a.toml"), long.to_owned())
        .unwrap()
        .manifest;
    assert_eq!(long.entities["film"].fields["title"].max_length, Some(255));
    // Defining a table twice is a TOML error, reported with its position.
    let error = load_str(Path::new("b.toml"), inline.to_owned()).unwrap_err();
    let rendered = baas::diagnostics::render_problems(&error, false);
    assert!(rendered.contains("b.toml:12:11"), "{rendered}");
}

#[test]
fn each_kind_of_problem_renders_with_file_line_column_and_hint() {
    insta::glob!("../../fixtures/invalid", "*.toml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let relative = Path::new("fixtures/invalid").join(path.file_name().unwrap());
        let diagnostics = load_str(&relative, text).expect_err("an invalid fixture must not load");
        assert!(!diagnostics.problems.is_empty());
        for problem in &diagnostics.problems {
            assert!(
                problem.span.is_some(),
                "problem without a location: {problem:?}"
            );
        }
        insta::assert_snapshot!(baas::diagnostics::render_problems(&diagnostics, false));
    });
}

#[test]
fn unset_variable_is_reported_when_used_not_when_loaded() {
    let text = "[manifest]\nformat = 1\nversion = 1\n\n[source]\nengine = \"postgres\"\nurl = \"${BAAS_TEST_SURELY_UNSET_VAR}\"\n";
    let loaded = load_str(Path::new("baas.toml"), text.to_owned()).unwrap();
    let url = loaded.manifest.source.unwrap().url.unwrap();
    assert_eq!(url, "${BAAS_TEST_SURELY_UNSET_VAR}");
    let environment = baas::settings::Environment::default();
    assert_eq!(environment.missing(&url), ["BAAS_TEST_SURELY_UNSET_VAR"]);
    assert!(environment.interpolate(&url).is_err());
}

#[test]
fn dotenv_beside_the_manifest_feeds_interpolation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "BAAS_TEST_DOTENV_URL='sqlite://from-dotenv.db'\n",
    )
    .unwrap();
    let environment = baas::settings::Environment::load(dir.path()).unwrap();
    assert_eq!(
        environment.interpolate("${BAAS_TEST_DOTENV_URL}").unwrap(),
        "sqlite://from-dotenv.db"
    );
}

fn similar_asserts_eq(expected: &str, actual: &str, path: &Path) {
    if expected != actual {
        let first_difference = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} is not canonical; first difference at line {}:\n  file:  {:?}\n  saved: {:?}",
            path.display(),
            first_difference + 1,
            expected.lines().nth(first_difference),
            actual.lines().nth(first_difference),
        );
    }
}
