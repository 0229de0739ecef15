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

/// `sequence_comment` and `identity_options` belong to a column with a
/// sequence of its own: elsewhere they are a problem at the key, with a
/// hint; on a serial or identity column they load.
#[test]
fn sequence_keys_need_a_column_with_its_own_sequence() {
    let text = |field: &str| {
        format!(
            "[manifest]\nformat = 1\nversion = 1\n\n[entities.t]\ntable = \"t\"\n\n[entities.t.fields]\n{field}\n"
        )
    };
    for field in [
        r#"id = { type = "int32", generated = "serial", sequence_comment = "numbers" }"#,
        r#"id = { type = "int32", generated = "identity_always", sequence_comment = "numbers" }"#,
    ] {
        assert!(
            load_str(Path::new("baas.toml"), text(field)).is_ok(),
            "{field}"
        );
    }
    for (field, key) in [
        (
            r#"id = { type = "int32", sequence_comment = "numbers" }"#,
            "sequence_comment",
        ),
        (
            r#"id = { type = "int32", default = 1, sequence_comment = "numbers" }"#,
            "sequence_comment",
        ),
        (
            r#"id = { type = "int32", generated = "serial", identity_options = "START WITH 5" }"#,
            "identity_options",
        ),
    ] {
        let error = load_str(Path::new("baas.toml"), text(field)).unwrap_err();
        let rendered = baas::diagnostics::render_problems(&error, false);
        assert_eq!(error.problems.len(), 1, "{rendered}");
        assert_eq!(
            error.problems[0].path,
            format!("entities.t.fields.id.{key}")
        );
        assert!(
            rendered.contains("baas.toml:9:") && rendered.contains("help:"),
            "{rendered}"
        );
    }
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

/// `docs/manifest.md` is the reference of `baas.toml`: its examples load,
/// and it has a table row for every key the loader reads and names every
/// value of every closed set (field types, actions, ...).
#[test]
fn the_manifest_reference_documents_every_key_and_its_examples_load() {
    let (doc, loader) = reference_sources();
    let problems = reference_problems(&doc, &loader);
    assert!(
        problems.is_empty(),
        "docs/manifest.md does not match the loader:\n{}",
        problems.join("\n")
    );
}

/// The check above fails when the reference leaves a key out, documents
/// one the loader does not read, or shows an example that does not load.
#[test]
fn the_manifest_reference_check_fails_when_the_reference_is_wrong() {
    let (doc, loader) = reference_sources();
    let row = doc
        .lines()
        .find(|line| line.starts_with("| `row_format` |"))
        .expect("docs/manifest.md documents `row_format`");
    let without = doc.replacen(&format!("{row}\n"), "", 1);
    let problems = reference_problems(&without, &loader);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("ENTITY_KEYS") && p.contains("`row_format`")),
        "{problems:#?}"
    );
    let extra = doc.replacen(row, &format!("| `row_shape` |{}", &row[16..]), 1);
    assert!(
        reference_problems(&extra, &loader)
            .iter()
            .any(|p| p.contains("`row_shape`")),
    );
    let broken = doc.replacen("```toml\n", "```toml\n[entity]\n", 1);
    assert!(
        reference_problems(&broken, &loader)
            .iter()
            .any(|p| p.contains("unknown key `entity`")),
    );
    let no_value = doc.replace("`timestamptz`", "timestamptz");
    let no_value = no_value.replace("\"timestamptz\"", "timestamptz");
    assert!(
        reference_problems(&no_value, &loader)
            .iter()
            .any(|p| p.contains("`timestamptz`")),
    );
}

fn reference_sources() -> (String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    (read("docs/manifest.md"), read("src/manifest/load.rs"))
}

/// What is wrong with reference `doc` for the loader whose source is
/// `loader`: a key list of the loader without its table (marked
/// `<!-- keys: LIST -->`) or with another set of keys in it, an unknown
/// list, a value of a closed set the reference never names, a ```toml
/// example that does not load.
fn reference_problems(doc: &str, loader: &str) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut problems = Vec::new();
    // The key lists the loader reports unknown keys with, by name.
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let declaration = regex::Regex::new(r"const ([A-Z_]+): &\[&str\] = &\[([^\]]*)\];").unwrap();
    let quoted = regex::Regex::new(r#""([^"]*)""#).unwrap();
    for found in declaration.captures_iter(loader) {
        let keys = quoted
            .captures_iter(&found[2])
            .map(|key| key[1].to_owned())
            .collect();
        lists.insert(found[1].to_owned(), keys);
    }
    let mut sections = vec!["extensions".to_owned()];
    sections.extend(manifest::ObjectKind::SECTIONS.iter().map(|s| s.to_string()));
    lists.insert("postgres".into(), sections);
    lists.insert("Rules::ACTIONS".into(), strings(manifest::Rules::ACTIONS));
    // Every list a table is read with is one of those: a new one must be
    // taught here, and documented.
    let entries = regex::Regex::new(r"self\.entries\(\s*[^,]+,\s*[^,]+,\s*([^,]+),").unwrap();
    let calls = entries.captures_iter(loader).count();
    if calls < 20 || !lists.contains_key("ENTITY_KEYS") || !lists.contains_key("FIELD_KEYS") {
        problems.push(format!(
            "src/manifest/load.rs was not read as expected ({calls} tables read, lists {:?})",
            lists.keys().collect::<Vec<_>>()
        ));
    }
    for found in entries.captures_iter(loader) {
        let list = found[1].trim();
        let known = match list {
            // Names of their own (fields, entities) and `[postgres]`'s sections.
            "&[]" | "&sections" => true,
            other => lists.contains_key(other.trim_start_matches('&')),
        };
        if !known {
            problems.push(format!(
                "src/manifest/load.rs reads a table's keys from `{list}`, which this test does not know: teach it, and document the keys"
            ));
        }
    }
    // The tables of the reference, by the list they document.
    let mut tables: BTreeMap<String, Vec<BTreeSet<String>>> = BTreeMap::new();
    let ticked = regex::Regex::new(r"`([^`]+)`").unwrap();
    let mut lines = doc.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .strip_prefix("<!-- keys: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let mut keys = BTreeSet::new();
        while lines.peek().is_some_and(|l| l.trim().is_empty()) {
            lines.next();
        }
        // The header row and the separator, then one row per key.
        for row in lines.by_ref().take_while(|l| l.starts_with('|')).skip(2) {
            let first = row.split('|').nth(1).unwrap_or_default();
            keys.extend(ticked.captures_iter(first).map(|key| key[1].to_owned()));
        }
        tables.entry(name.to_owned()).or_default().push(keys);
    }
    for (name, keys) in &lists {
        let keys: BTreeSet<String> = keys.iter().cloned().collect();
        match tables.get(name.as_str()).map(Vec::as_slice) {
            None => problems.push(format!(
                "no table of `{name}` ({}): add one after `<!-- keys: {name} -->`",
                keys.iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some([documented]) => {
                for key in keys.difference(documented) {
                    problems.push(format!("the table of `{name}` has no row for `{key}`"));
                }
                for key in documented.difference(&keys) {
                    problems.push(format!(
                        "the table of `{name}` documents `{key}`, which the loader does not read there"
                    ));
                }
            }
            Some(_) => problems.push(format!("`{name}` has more than one table")),
        }
    }
    for name in tables.keys() {
        if !lists.contains_key(name) {
            problems.push(format!(
                "`<!-- keys: {name} -->` names no key list of the loader"
            ));
        }
    }
    // The closed sets the loader reads values from (`self.choice`).
    let choices =
        regex::Regex::new(r"self\.choice\([^;]*?\b([A-Z][A-Za-z]*::ALL|[A-Z][A-Z_]+)\b").unwrap();
    for found in choices.captures_iter(loader) {
        let values = match found[1].trim() {
            "FieldType::ALL" => manifest::FieldType::ALL,
            "EntityKind::ALL" => manifest::EntityKind::ALL,
            "GeneratedKind::ALL" => manifest::GeneratedKind::ALL,
            "ReferentialAction::ALL" => manifest::ReferentialAction::ALL,
            "SortOrder::ALL" => manifest::SortOrder::ALL,
            "SourceEngine::ALL" => manifest::SourceEngine::ALL,
            "ObjectKind::ALL" => manifest::ObjectKind::ALL,
            "TenancyStrategy::ALL" => manifest::TenancyStrategy::ALL,
            "OperationAction::ALL" => manifest::OperationAction::ALL,
            "PaginationStyle::ALL" => manifest::PaginationStyle::ALL,
            "GraphqlOperationType::ALL" => manifest::GraphqlOperationType::ALL,
            "GraphqlOrderStyle::ALL" => manifest::GraphqlOrderStyle::ALL,
            "CredentialsIn::ALL" => manifest::CredentialsIn::ALL,
            "ROW_FORMATS" => manifest::ROW_FORMATS,
            other => {
                problems.push(format!(
                    "src/manifest/load.rs reads a value from `{other}`, which this test does not know: teach it, and document the values"
                ));
                continue;
            }
        };
        for value in values {
            if !doc.contains(&format!("`{value}`")) && !doc.contains(&format!("\"{value}\"")) {
                problems.push(format!("`{value}` ({}) is never named", found[1].trim()));
            }
        }
    }
    // Every example loads, as a whole manifest (the header is added when
    // the example leaves it out), without a `${VAR}` in `[source] url`,
    // which `baas validate` warns about when it is unset.
    let mut block: Option<(usize, String)> = None;
    for (number, line) in doc.lines().enumerate() {
        match block.take() {
            None if line == "```toml" => block = Some((number + 2, String::new())),
            None => {}
            Some((first, text)) if line == "```" => {
                problems.extend(example_problem(first, text));
            }
            Some((first, mut text)) => {
                text.push_str(line);
                text.push('\n');
                block = Some((first, text));
            }
        }
    }
    problems
}

/// What is wrong with the example starting at line `first` of the
/// reference: it does not load, or its `[source] url` names a variable.
fn example_problem(first: usize, text: String) -> Option<String> {
    let text = if text.lines().any(|line| line == "[manifest]") {
        text
    } else {
        format!("[manifest]\nformat = 1\nversion = 1\n\n{text}")
    };
    let path = format!("docs/manifest.md, the example at line {first}");
    match load_str(Path::new(&path), text) {
        Err(diagnostics) => Some(baas::diagnostics::render_problems(&diagnostics, false)),
        Ok(loaded) => loaded
            .manifest
            .source
            .and_then(|source| source.url)
            .filter(|url| !manifest::interpolate::variables(url).is_empty())
            .map(|_| format!("{path}: `[source] url` names a variable")),
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| value.to_string()).collect()
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
