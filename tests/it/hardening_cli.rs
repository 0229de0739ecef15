//! Hostile and careless input through the real binary: files that are not
//! schema files, inputs built to be slow or deep, names that hide text, and
//! secrets written where they should not be. Big inputs are built here in
//! memory, never committed; no test asserts on wall-clock time, only on the
//! outcome (exit code, no crash, a bounded number of problems).

use predicates::prelude::*;
use predicates::str::contains;

use crate::support::baas;

/// Exit code for bad input (DESIGN.md §1).
const BAD_INPUT: i32 = 2;

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn introspect_of_a_missing_file_is_bad_input_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = baas(dir.path())
        .args(["introspect", "nowhere.prisma"])
        .assert()
        .code(BAD_INPUT)
        .get_output()
        .clone();
    let stderr = stderr_of(&output);
    assert!(stderr.contains("nowhere.prisma"), "{stderr}");
    assert!(stderr.contains("no such file"), "{stderr}");
    assert!(!stderr.contains("cannot connect"), "{stderr}");
}

#[test]
fn introspect_of_a_binary_file_is_bad_input_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"CREATE TABLE a (id int);\n".to_vec();
    bytes.extend((0..=255u8).cycle().take(4096));
    for name in ["blob.sql", "blob.bin"] {
        std::fs::write(dir.path().join(name), &bytes).unwrap();
        let output = baas(dir.path())
            .args(["introspect", name])
            .assert()
            .code(BAD_INPUT)
            .get_output()
            .clone();
        let stderr = stderr_of(&output);
        assert!(stderr.contains(name), "{stderr}");
        assert!(stderr.contains("binary"), "{stderr}");
        assert!(!stderr.contains("cannot connect"), "{stderr}");
    }
}

#[test]
fn introspect_of_a_file_that_is_not_utf8_names_the_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("latin1.sql"),
        b"CREATE TABLE a (id int);\n-- caf\xe9\n",
    )
    .unwrap();
    baas(dir.path())
        .args(["introspect", "latin1.sql"])
        .assert()
        .code(BAD_INPUT)
        .stderr(contains("latin1.sql:2:7").and(contains("UTF-8")));
}

#[cfg(unix)]
#[test]
fn introspect_of_an_unreadable_file_is_bad_input() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.prisma");
    std::fs::write(&path, "model A { id Int @id }\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        // Running as root: permissions do not stop a read, so there is no
        // unreadable file to make (the mapping has a unit test in src/parse).
        return;
    }
    baas(dir.path())
        .args(["introspect", "secret.prisma"])
        .assert()
        .code(BAD_INPUT)
        .stderr(contains("secret.prisma").and(contains("permission denied")));
}

fn manifest_with_url(url: &str) -> String {
    format!(
        "[manifest]\nformat = 1\nversion = 1\n\n[source]\nengine = \"postgres\"\nurl = \"{url}\"\n\n\
         [entities.book]\ntable = \"book\"\nprimary_key = [\"id\"]\n\n\
         [entities.book.fields]\nid = {{ type = \"int64\" }}\n"
    )
}

#[test]
fn json_show_masks_an_inline_password_in_the_source_url() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        manifest_with_url("postgres://app:hunter2secret@db.example.com:5432/shop"),
    )
    .unwrap();
    let output = baas(dir.path())
        .args(["--json", "show"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains("hunter2secret"), "{stdout}");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        value["source"]["url"],
        "postgres://app:***@db.example.com:5432/shop"
    );
}

#[test]
fn json_show_keeps_a_password_reference_in_the_source_url() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        manifest_with_url("postgres://app:${DATABASE_PASSWORD}@db/shop"),
    )
    .unwrap();
    let output = baas(dir.path())
        .args(["--json", "show"])
        .assert()
        .success()
        .get_output()
        .clone();
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        value["source"]["url"],
        "postgres://app:${DATABASE_PASSWORD}@db/shop"
    );
}

/// `tests/run.sh` with its servers, tools and cargo replaced by stubs: the
/// build's progress lines must reach stderr while it runs, not a log file
/// shown only on failure, and each finished step gets a line.
#[cfg(unix)]
#[test]
fn run_sh_streams_the_build_progress_and_each_step() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |relative: &str, text: &str| {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let script =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/run.sh")).unwrap();
    write("tests/run.sh", &script);
    write("tests/servers/start.sh", "echo 'export STUB_SERVERS=1'\n");
    write("tests/servers/stop.sh", "true\n");
    write("tests/tools/setup.sh", "true\n");
    write("tests/schemathesis.sh", "true\n");
    write(
        "bin/cargo",
        "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = --no-run ] && echo '   Compiling stub-crate v0.1.0' >&2; done\nexit 0\n",
    );
    write("bin/shellcheck", "#!/bin/sh\nexit 0\n");
    let path = format!(
        "{}:{}",
        root.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = std::process::Command::new("bash")
        .arg(root.join("tests/run.sh"))
        .env("PATH", path)
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("build:    Compiling stub-crate"),
        "{stderr}"
    );
    for step in ["test servers started", "tests built", "running the tests"] {
        assert!(stderr.contains(step), "no `{step}` line:\n{stderr}");
    }
}

/// `len` bytes of printable noise with the punctuation every importer
/// reacts to (brackets, quotes, `@`, `;`), the same on every run.
fn random_text(len: usize, seed: u64) -> String {
    const ALPHABET: &[u8] =
        b"abcdefghijklmnopqrstuvwxyz ABCXYZ{}()[]@=\"\n\t.,:;0123456789?!#$'*-/";
    let mut random = crate::support::XorShift(seed);
    (0..len)
        .map(|_| ALPHABET[random.below(ALPHABET.len())] as char)
        .collect()
}

/// The problems `--json` reports for `file` in `dir`, after checking the
/// exit code is bad input.
fn json_problems(dir: &std::path::Path, file: &str) -> Vec<serde_json::Value> {
    let output = baas(dir)
        .args(["--json", "introspect", file, "--dry-run"])
        .assert()
        .code(BAD_INPUT)
        .get_output()
        .clone();
    let value: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    value["problems"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no problems in {value:#}"))
}

#[test]
fn random_text_as_prisma_or_graphql_reports_a_bounded_number_of_problems() {
    let dir = tempfile::tempdir().unwrap();
    for (name, seed) in [("garbage.prisma", 7), ("garbage.graphql", 11)] {
        std::fs::write(dir.path().join(name), random_text(300_000, seed)).unwrap();
        let problems = json_problems(dir.path(), name);
        assert_eq!(problems.len(), 51, "{name}: {problems:#?}");
        let last = problems[50]["message"].as_str().unwrap();
        assert!(
            last.starts_with("and ") && last.contains(" more problems"),
            "{name}: {last}"
        );
        // The terminal rendering says the same.
        baas(dir.path())
            .args(["introspect", name, "--dry-run"])
            .assert()
            .code(BAD_INPUT)
            .stderr(contains("more problems (only the first 50 are shown)"));
    }
}

#[test]
fn deeply_nested_prisma_and_graphql_fail_at_the_position_without_crashing() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 10_000;
    let cases = [
        (
            "deep.prisma",
            format!(
                "model A {{\n  id String @id @default({}{})\n}}\n",
                "dbgenerated(".repeat(depth),
                ")".repeat(depth)
            ),
        ),
        (
            "list.prisma",
            format!(
                "model A {{\n  id String @id @default({}{})\n}}\n",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
        ),
        (
            "type.graphql",
            format!(
                "type A {{\n  id: {}ID{}\n}}\n",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
        ),
        (
            "value.graphql",
            format!(
                "type A {{\n  id: ID @x(a: {}1{})\n}}\n",
                "{a: ".repeat(depth),
                "}".repeat(depth)
            ),
        ),
    ];
    for (name, text) in cases {
        std::fs::write(dir.path().join(name), text).unwrap();
        let problems = json_problems(dir.path(), name);
        let deep = problems
            .iter()
            .find(|p| {
                p["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("nested more than 128 deep"))
            })
            .unwrap_or_else(|| panic!("{name}: {problems:#?}"));
        assert_eq!(deep["line"], 2, "{name}: {deep:#}");
        assert!(deep["column"].as_u64().unwrap() > 128, "{name}: {deep:#}");
    }
}

#[test]
fn random_text_as_a_sql_dump_is_an_error_naming_the_first_statement() {
    let dir = tempfile::tempdir().unwrap();
    // Starts with a line of its own, so the first statement is at 2:1.
    let text = format!("\n{}", random_text(2_000_000, 3).replace("--", "- "));
    std::fs::write(dir.path().join("garbage.sql"), &text).unwrap();
    for dialect in ["postgres", "mysql", "sqlite"] {
        let output = baas(dir.path())
            .args([
                "introspect",
                "garbage.sql",
                "--dry-run",
                "--dialect",
                dialect,
            ])
            .assert()
            .code(BAD_INPUT)
            .get_output()
            .clone();
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains("nothing in this file reads as a SQL schema"),
            "{dialect}: {stderr}"
        );
        assert!(stderr.contains("garbage.sql:2:1"), "{dialect}: {stderr}");
    }
    // Real SQL among the noise is still read, the rest goes to the ledger.
    std::fs::write(
        dir.path().join("mixed.sql"),
        format!(
            "CREATE TABLE a (id int PRIMARY KEY);\n{}",
            random_text(20_000, 5)
        ),
    )
    .unwrap();
    baas(dir.path())
        .args([
            "introspect",
            "mixed.sql",
            "--dry-run",
            "--dialect",
            "postgres",
        ])
        .assert()
        .success();
}

/// A manifest whose entity and field names hide characters.
fn manifest_with_hidden_names() -> String {
    "[manifest]\nformat = 1\nversion = 1\n\n\
     [entities.\"bo\u{202e}ok\"]\ntable = \"book\"\nprimary_key = [\"id\"]\n\n\
     [entities.\"bo\u{202e}ok\".fields]\nid = { type = \"int64\" }\n\"ti\u{200b}tle\" = { type = \"string\" }\n"
        .to_owned()
}

#[test]
fn validate_refuses_names_with_bidi_or_zero_width_characters_at_their_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), manifest_with_hidden_names()).unwrap();
    let output = baas(dir.path())
        .arg("validate")
        .assert()
        .code(BAD_INPUT)
        .get_output()
        .clone();
    let stderr = stderr_of(&output);
    assert!(stderr.contains("U+202E"), "{stderr}");
    assert!(stderr.contains("U+200B"), "{stderr}");
    // Both at their key: `[entities."bo…ok"]` on line 5, `"ti…tle"` on line 11.
    assert!(stderr.contains("baas.toml:5:"), "{stderr}");
    assert!(stderr.contains("baas.toml:11:1"), "{stderr}");
    // The message shows the name escaped, never the raw character.
    assert!(stderr.contains("bo\\u{202E}ok"), "{stderr}");
    // Codegen and migrations read the manifest through the same check.
    for args in [
        &["codegen", "rust", "--out", "sdk"][..],
        &["codegen", "ts", "--out", "ts"],
    ] {
        baas(dir.path()).args(args).assert().code(BAD_INPUT);
    }
    assert!(!dir.path().join("sdk").exists());
}

#[test]
fn introspecting_a_database_with_hidden_characters_in_names_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let connection = rusqlite::Connection::open(dir.path().join("app.db")).unwrap();
    connection
        .execute_batch(
            "CREATE TABLE \"bo\u{202e}ok\" (id INTEGER PRIMARY KEY, \"ti\u{200b}tle\" TEXT);",
        )
        .unwrap();
    drop(connection);
    let output = baas(dir.path())
        .args(["introspect", "app.db", "--dry-run"])
        .assert()
        .code(BAD_INPUT)
        .get_output()
        .clone();
    let stderr = stderr_of(&output);
    assert!(stderr.contains("invisible or text-direction"), "{stderr}");
    assert!(!stderr.contains("bug in baas"), "{stderr}");
    assert!(!stderr.contains('\u{202e}'), "{stderr}");
}

#[test]
fn typescript_sdk_insert_types_leave_out_generated_keys_and_the_package_needs_typescript() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/manifests/bookshop.toml"
        ),
        dir.path().join("baas.toml"),
    )
    .unwrap();
    baas(dir.path())
        .args(["codegen", "ts", "--out", "sdk"])
        .assert()
        .success();
    let types = std::fs::read_to_string(dir.path().join("sdk/types.ts")).unwrap();
    let insert = types
        .split("export interface AuthorInsert {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap_or_else(|| panic!("no AuthorInsert:\n{types}"));
    // `id` is an identity column: the server answers 422 when it is sent.
    assert!(
        !insert.contains("id?:") && !insert.contains("id:"),
        "{insert}"
    );
    assert!(insert.contains("name: string;"), "{insert}");
    let package: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("sdk/package.json")).unwrap(),
    )
    .unwrap();
    assert!(
        package["devDependencies"]["typescript"].is_string(),
        "{package:#}"
    );
    // A file among the generated ones without their header is reported by
    // --check (and left alone when writing).
    std::fs::write(dir.path().join("sdk/old.ts"), "export const x = 1;\n").unwrap();
    baas(dir.path())
        .args(["codegen", "ts", "--out", "sdk", "--check"])
        .assert()
        .code(1)
        .stderr(contains("old.ts"));
    baas(dir.path())
        .args(["codegen", "ts", "--out", "sdk"])
        .assert()
        .success();
    assert!(dir.path().join("sdk/old.ts").exists());
}

#[test]
fn rust_sdk_insert_structs_leave_out_generated_keys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/manifests/bookshop.toml"
        ),
        dir.path().join("baas.toml"),
    )
    .unwrap();
    baas(dir.path())
        .args(["codegen", "rust", "--out", "sdk"])
        .assert()
        .success();
    let source = std::fs::read_to_string(dir.path().join("sdk/src/lib.rs")).unwrap();
    let insert = source
        .split("pub struct AuthorInsert {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap_or_else(|| panic!("no AuthorInsert:\n{source}"));
    // `id` is an identity column: the server answers 422 when it is sent.
    assert!(!insert.contains("pub id:"), "{insert}");
    assert!(insert.contains("pub name:"), "{insert}");
    // Updates still name every field (a PATCH may send a generated value
    // equal to the stored one).
    let update = source
        .split("pub struct AuthorUpdate {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap();
    assert!(update.contains("pub name:"), "{update}");
}
