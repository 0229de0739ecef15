//! SQL dumps: importing a script must give the manifest that loading the same
//! script into the engine and introspecting it gives.

use std::path::Path;

use baas::backend::introspect;
use baas::introspect::{IntrospectOptions, Introspection};
use baas::manifest::{EntityKind, FieldType, Generated, GeneratedKind, Manifest};
use baas::source::SourceLocation;
use baas::ui::Progress;

use crate::support::corpus_file;

async fn import(path: &Path, options: &IntrospectOptions) -> Introspection {
    let location = SourceLocation::parse(&path.display().to_string(), Path::new("/")).unwrap();
    introspect(&location, options, &Progress::hidden())
        .await
        .unwrap()
}

/// The same script loaded into a real SQLite file and introspected live.
async fn live_sqlite(script: &Path) -> Introspection {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("live.db");
    let connection = rusqlite::Connection::open(&database).unwrap();
    connection
        .execute_batch(&std::fs::read_to_string(script).unwrap())
        .unwrap();
    drop(connection);
    let introspection = import(&database, &IntrospectOptions::default()).await;
    drop(dir);
    introspection
}

/// Only what says where a manifest came from may differ.
fn without_provenance(mut manifest: Manifest) -> Manifest {
    manifest.project.name = None;
    manifest.source = None;
    manifest
}

#[tokio::test]
async fn sqlite_dumps_import_exactly_like_the_live_databases() {
    for (script, entities, relations) in [
        ("sql/sqlite/Chinook_Sqlite.sql", 11, 11),
        ("sql/sqlite/northwind-sqlite-create.sql", 29, 13),
    ] {
        let path = corpus_file(script);
        let dump = import(&path, &IntrospectOptions::default()).await;
        let live = live_sqlite(&path).await;
        assert_eq!(dump.manifest.entities.len(), entities, "{script}");
        assert_eq!(dump.manifest.relation_count(), relations, "{script}");
        assert!(
            dump.ledger.is_empty(),
            "{script}: {:?}",
            dump.ledger.entries()
        );
        assert_eq!(
            without_provenance(dump.manifest.clone()),
            without_provenance(live.manifest),
            "{script}: dump import and live introspection differ"
        );
        assert_eq!(dump.ledger, live.ledger, "{script}");
        let source = dump.manifest.source.unwrap();
        assert_eq!(source.engine, baas::manifest::SourceEngine::Sqlite);
    }
}

#[tokio::test]
async fn statements_sqlite_rejects_are_ledgered_with_their_line_or_fail_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.sql");
    std::fs::write(
        &path,
        "-- a hand-written SQLite schema\nCREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);\n\nCREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id),, oops);\nINSERT INTO a (name) VALUES ('x');\nCREATE INDEX a_name ON a(name);\n",
    )
    .unwrap();
    let options = IntrospectOptions {
        dialect: Some("sqlite".into()),
        ..IntrospectOptions::default()
    };
    let Introspection { manifest, ledger } = import(&path, &options).await;
    assert_eq!(manifest.entities.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(manifest.entities["a"].indexes[0].name, "a_name");
    let entries = ledger.entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].object, "schema.sql:4");
    assert_eq!(entries[0].kind, "skipped_statement");

    let output = assert_cmd::Command::cargo_bin("baas")
        .unwrap()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["introspect", "schema.sql", "--strict", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("schema.sql:4:1"), "{stderr}");
    assert!(
        stderr.contains("SQLite rejected this statement"),
        "{stderr}"
    );
}

#[test]
fn the_binary_imports_a_dump_and_refuses_dialects_it_cannot_read_yet() {
    let dir = tempfile::tempdir().unwrap();
    let output = assert_cmd::Command::cargo_bin("baas")
        .unwrap()
        .current_dir(dir.path())
        .args(["introspect"])
        .arg(corpus_file("sql/sqlite/Chinook_Sqlite.sql"))
        .args(["--dry-run"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let toml = String::from_utf8(output.stdout).unwrap();
    assert!(toml.contains("[entities.PlaylistTrack]"), "{toml}");

    for script in [
        "sql/postgres/pagila-schema.sql",
        "sql/postgres/Chinook_PostgreSql.sql",
    ] {
        let output = assert_cmd::Command::cargo_bin("baas")
            .unwrap()
            .current_dir(dir.path())
            .arg("introspect")
            .arg(corpus_file(script))
            .args(["--dry-run"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let toml = String::from_utf8(output.stdout).unwrap();
        assert!(
            toml.contains("[entities.track]") || toml.contains("[entities.rental]"),
            "{toml}"
        );
    }
}

#[tokio::test]
async fn mysql_dumps_import_without_a_server() {
    let Introspection { manifest, ledger } = import(
        &corpus_file("sql/mysql/sakila-schema.sql"),
        &IntrospectOptions::default(),
    )
    .await;
    assert_eq!(
        manifest.source.as_ref().unwrap().engine,
        baas::manifest::SourceEngine::Mysql
    );
    assert_eq!(
        manifest.project.name.as_deref(),
        Some("sakila"),
        "named by `CREATE SCHEMA sakila`"
    );
    assert_eq!(manifest.entities.len(), 23);
    assert_eq!(manifest.relation_count(), 22);
    assert_eq!(
        manifest.enums["film_rating"].values,
        ["G", "PG", "PG-13", "R", "NC-17"]
    );
    let kinds: Vec<&str> = ledger.entries().iter().map(|e| e.kind.as_str()).collect();
    // Every view's columns are derived from its query.
    assert_eq!(
        kinds.iter().filter(|k| **k == "view_columns").count(),
        0,
        "{:?}",
        ledger.entries()
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "trigger").count(),
        3,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "routine").count(),
        1,
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&"skipped_statement"),
        "{:?}",
        ledger.entries()
    );
    assert_eq!(baas::manifest::validate(&manifest), vec![]);

    // The data file adds rows and three triggers, and changes no table.
    let data = import(
        &corpus_file("sql/mysql/sakila-data.sql"),
        &IntrospectOptions::default(),
    )
    .await;
    let data_kinds: Vec<&str> = data
        .ledger
        .entries()
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        data_kinds.iter().filter(|k| **k == "trigger").count(),
        3,
        "{data_kinds:?}"
    );
    assert!(
        !data_kinds.contains(&"skipped_statement"),
        "{:?}",
        data.ledger.entries()
    );
}

/// A live-introspection snapshot of `tests/it/postgres.rs`, without the
/// insta header.
fn live_snapshot_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/snapshots")
        .join(format!("it__postgres__{name}_manifest.snap"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut parts = text.splitn(3, "---\n");
    parts.next();
    parts.next();
    parts.next().unwrap().to_owned()
}

/// Manifest text without the `[project]` and `[source]` tables.
fn without_provenance_text(text: &str) -> String {
    let mut out = Vec::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with('[') {
            skipping = line == "[project]" || line == "[source]";
        }
        if !skipping {
            out.push(line);
        }
    }
    out.join("\n")
}

/// `(entity, name, fields, referenced entity, referenced fields)`.
type ForeignKey = (String, String, Vec<String>, String, Vec<String>);

#[tokio::test]
async fn postgres_dumps_import_without_a_server() {
    let chinook = import(
        &corpus_file("sql/postgres/Chinook_PostgreSql.sql"),
        &IntrospectOptions::default(),
    )
    .await;
    let manifest = &chinook.manifest;
    assert_eq!(
        manifest.source.as_ref().unwrap().engine,
        baas::manifest::SourceEngine::Postgres
    );
    assert_eq!(manifest.entities.len(), 11);
    assert_eq!(manifest.relation_count(), 11);
    assert!(chinook.ledger.is_empty(), "{:?}", chinook.ledger.entries());
    // Every foreign key, as the live snapshot lists them.
    let mut foreign_keys: Vec<ForeignKey> = manifest
        .entities
        .iter()
        .flat_map(|(entity, e)| {
            e.relations.iter().map(move |r| {
                (
                    entity.clone(),
                    r.name.clone().unwrap_or_default(),
                    r.fields.clone(),
                    r.references.entity.clone(),
                    r.references.fields.clone(),
                )
            })
        })
        .collect();
    foreign_keys.sort();
    let expected = [
        (
            "album",
            "album_artist_id_fkey",
            "artist_id",
            "artist",
            "artist_id",
        ),
        (
            "customer",
            "customer_support_rep_id_fkey",
            "support_rep_id",
            "employee",
            "employee_id",
        ),
        (
            "employee",
            "employee_reports_to_fkey",
            "reports_to",
            "employee",
            "employee_id",
        ),
        (
            "invoice",
            "invoice_customer_id_fkey",
            "customer_id",
            "customer",
            "customer_id",
        ),
        (
            "invoice_line",
            "invoice_line_invoice_id_fkey",
            "invoice_id",
            "invoice",
            "invoice_id",
        ),
        (
            "invoice_line",
            "invoice_line_track_id_fkey",
            "track_id",
            "track",
            "track_id",
        ),
        (
            "playlist_track",
            "playlist_track_playlist_id_fkey",
            "playlist_id",
            "playlist",
            "playlist_id",
        ),
        (
            "playlist_track",
            "playlist_track_track_id_fkey",
            "track_id",
            "track",
            "track_id",
        ),
        (
            "track",
            "track_album_id_fkey",
            "album_id",
            "album",
            "album_id",
        ),
        (
            "track",
            "track_genre_id_fkey",
            "genre_id",
            "genre",
            "genre_id",
        ),
        (
            "track",
            "track_media_type_id_fkey",
            "media_type_id",
            "media_type",
            "media_type_id",
        ),
    ]
    .map(|(entity, name, field, target, target_field)| {
        (
            entity.to_owned(),
            name.to_owned(),
            vec![field.to_owned()],
            target.to_owned(),
            vec![target_field.to_owned()],
        )
    });
    assert_eq!(foreign_keys, expected);
    for entity in manifest.entities.values() {
        for relation in &entity.relations {
            assert_eq!(
                relation.on_delete,
                baas::manifest::ReferentialAction::NoAction
            );
            assert_eq!(
                relation.on_update,
                baas::manifest::ReferentialAction::NoAction
            );
        }
    }

    let pagila = import(
        &corpus_file("sql/postgres/pagila-schema.sql"),
        &IntrospectOptions::default(),
    )
    .await;
    let manifest = &pagila.manifest;
    let count = |kind: EntityKind| {
        manifest
            .entities
            .values()
            .filter(|e| e.kind == kind)
            .count()
    };
    assert_eq!(manifest.entities.len(), 23);
    assert_eq!(count(EntityKind::Table), 15);
    assert_eq!(count(EntityKind::View), 7);
    assert_eq!(count(EntityKind::MaterializedView), 1);
    assert_eq!(manifest.relation_count(), 18);
    assert_eq!(
        manifest.enums["mpaa_rating"].values,
        ["G", "PG", "PG-13", "R", "NC-17"]
    );
    assert!(!manifest.entities.contains_key("payment_p2022_01"));
    let kinds: Vec<&str> = pagila
        .ledger
        .entries()
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "view_columns").count(),
        0,
        "{:?}",
        pagila.ledger.entries()
    );
    // Triggers and functions are carried in `[postgres]`, not lost.
    let carried = |kind: baas::manifest::ObjectKind| {
        manifest
            .postgres
            .objects
            .iter()
            .filter(|o| o.kind == kind)
            .count()
    };
    assert_eq!(carried(baas::manifest::ObjectKind::Trigger), 15);
    assert_eq!(kinds.iter().filter(|k| **k == "trigger").count(), 0);
    // A partition's own indexes and foreign keys are carried under it,
    // as the live introspection carries them: no ledger line for them.
    assert_eq!(kinds.iter().filter(|k| **k == "partition").count(), 0);
    let partitions = &manifest.entities["payment"].partitions;
    assert_eq!(partitions.len(), 7);
    for partition in &partitions[..6] {
        assert_eq!(partition.indexes.len(), 3, "{}", partition.table);
        assert_eq!(partition.relations.len(), 3, "{}", partition.table);
    }
    assert_eq!(kinds.iter().filter(|k| **k == "function").count(), 0);
    assert!(
        !kinds.contains(&"skipped_statement"),
        "{:?}",
        pagila.ledger.entries()
    );
    assert_eq!(baas::manifest::validate(manifest), vec![]);
}

#[tokio::test]
async fn postgres_dumps_match_the_live_introspection_snapshots() {
    // Chinook: identical, but for where the manifest came from.
    let chinook = import(
        &corpus_file("sql/postgres/Chinook_PostgreSql.sql"),
        &IntrospectOptions::default(),
    )
    .await;
    assert_eq!(
        without_provenance_text(&baas::manifest::to_toml(&chinook.manifest)),
        without_provenance_text(&live_snapshot_text("chinook")),
    );

    // Pagila: every table is identical (fields with types, domains, enums,
    // serials and defaults, primary keys, relations, uniques, indexes), and
    // so is every view: its query (both sides hold `pg_get_viewdef`'s plain
    // form, the dump's `public.` qualification removed), and its fields,
    // which the import derives from the query as the server does; so the
    // unique index `rental_category` on the materialized view
    // `rental_by_category` is on the field `category`, as live.
    let pagila = import(
        &corpus_file("sql/postgres/pagila-schema.sql"),
        &IntrospectOptions::default(),
    )
    .await;
    let live = baas::manifest::load_str(Path::new("pagila.toml"), live_snapshot_text("pagila"))
        .unwrap()
        .manifest;
    assert_eq!(pagila.manifest.enums, live.enums);
    assert_eq!(
        pagila.manifest.entities.keys().collect::<Vec<_>>(),
        live.entities.keys().collect::<Vec<_>>()
    );
    for (name, entity) in &live.entities {
        assert_eq!(&pagila.manifest.entities[name], entity, "{name}");
    }
}

#[tokio::test]
async fn hand_written_postgres_ddl_gets_the_names_and_rules_the_server_would_give() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.sql");
    std::fs::write(
        &path,
        "SET search_path = public;\n\
         CREATE TYPE mood AS ENUM ('sad', 'ok');\n\
         CREATE TABLE a (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code varchar(10) UNIQUE, m mood DEFAULT 'ok'::mood);\n\
         CREATE TABLE b (id serial, a_id bigint REFERENCES a ON DELETE CASCADE, PRIMARY KEY (id));\n\
         CREATE TABLE m (t date NOT NULL, v int) PARTITION BY RANGE (t);\n\
         CREATE TABLE m1 PARTITION OF m FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n\
         COMMENT ON COLUMN a.code IS 'a code';\n\
         CREATE RULE r AS ON INSERT TO a DO NOTHING;\n\
         CREATE TEXT SEARCH CONFIGURATION words (COPY = english);\n\
         CREATE TEXT SEARCH TEMPLATE lexer (LEXIZE = dsimple_lexize);\n",
    )
    .unwrap();
    let options = IntrospectOptions {
        dialect: Some("postgres".into()),
        ..IntrospectOptions::default()
    };
    let Introspection { manifest, ledger } = import(&path, &options).await;
    assert_eq!(
        manifest.entities.keys().collect::<Vec<_>>(),
        ["a", "b", "m"]
    );
    let a = &manifest.entities["a"];
    assert!(a.fields["code"].unique, "default name `a_code_key`");
    assert_eq!(a.fields["code"].comment.as_deref(), Some("a code"));
    assert_eq!(a.fields["m"].enum_name.as_deref(), Some("mood"));
    let b = &manifest.entities["b"];
    assert_eq!(
        baas::manifest::to_toml(&manifest)
            .lines()
            .find(|line| line.starts_with("id = { type = \"int32\""))
            .unwrap(),
        "id = { type = \"int32\", generated = \"serial\" }"
    );
    assert_eq!(b.relations[0].name.as_deref(), Some("b_a_id_fkey"));
    assert_eq!(b.relations[0].references.fields, ["id"]);
    assert_eq!(
        b.relations[0].on_delete,
        baas::manifest::ReferentialAction::Cascade
    );
    let entries = ledger.entries();
    let kinds: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.object.as_str(), e.kind.as_str()))
        .collect();
    // The partition is carried on its partitioned table, with the bound
    // as the server prints it.
    let m = &manifest.entities["m"];
    assert_eq!(m.partition_by.as_deref(), Some("RANGE (t)"));
    assert_eq!(m.partitions.len(), 1);
    assert_eq!(m.partitions[0].table, "m1");
    assert_eq!(
        m.partitions[0].bound,
        "FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')"
    );
    // The rule and the text search configuration (as written) are carried;
    // the text search template is not.
    assert_eq!(
        manifest
            .postgres
            .object("rule r ON public.a")
            .map(|rule| rule.sql.as_str()),
        Some("CREATE RULE r AS ON INSERT TO a DO NOTHING")
    );
    assert_eq!(
        manifest
            .postgres
            .object("text search configuration public.words")
            .map(|configuration| configuration.sql.as_str()),
        Some("CREATE TEXT SEARCH CONFIGURATION words (COPY = english)")
    );
    assert_eq!(kinds, [("schema.sql:10", "skipped_statement")]);

    let strict = IntrospectOptions {
        strict: true,
        ..options
    };
    let location = SourceLocation::parse(&path.display().to_string(), Path::new("/")).unwrap();
    assert!(
        introspect(&location, &strict, &Progress::hidden())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn view_columns_that_cannot_be_typed_are_ledgered_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("views.sql");
    std::fs::write(
        &path,
        "CREATE TABLE t (id integer NOT NULL, name varchar(20), price numeric(6,2));\n\
         CREATE VIEW v AS SELECT t.id, t.name || '!' AS shout, sum(t.price) AS total, count(*) AS n FROM t GROUP BY t.id, t.name;\n\
         CREATE VIEW w AS SELECT v.*, to_tsvector(v.name) AS next FROM v;\n",
    )
    .unwrap();
    let options = IntrospectOptions {
        dialect: Some("postgres".into()),
        ..IntrospectOptions::default()
    };
    let Introspection { manifest, ledger } = import(&path, &options).await;
    let v = &manifest.entities["v"];
    assert_eq!(
        v.fields.keys().collect::<Vec<_>>(),
        ["id", "shout", "total", "n"]
    );
    assert!(v.fields.values().all(|f| f.nullable));
    assert_eq!(v.fields["shout"].ty, baas::manifest::FieldType::Text);
    assert_eq!(v.fields["total"].ty, baas::manifest::FieldType::Decimal);
    assert_eq!(v.fields["total"].precision, None);
    assert_eq!(v.fields["n"].ty, baas::manifest::FieldType::Int64);
    // `to_tsvector(v.name)` is not typed: no fields rather than a guess.
    assert!(manifest.entities["w"].fields.is_empty());
    let entries = ledger.entries();
    let entry = entries.iter().find(|e| e.kind == "view_columns").unwrap();
    assert_eq!(entry.object, "w");
    assert!(entry.message.contains("`next`"), "{}", entry.message);
    assert_eq!(
        entries.iter().filter(|e| e.kind == "view_columns").count(),
        1
    );
}

/// A schema with what SQLite reads its own way: a rowid alias, type names
/// it maps by affinity, an inline foreign key, FTS virtual tables.
const SQLITE_APP: &str = "\
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age SMALLINT, score BIGINT, active BOOL DEFAULT 1, created DATETIME);
CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE, body VARCHAR(200), price DECIMAL(10,2));
CREATE VIRTUAL TABLE docs USING fts5(title, body);
CREATE VIRTUAL TABLE docs4 USING fts4(title, body);
CREATE INDEX posts_user ON posts(user_id);
INSERT INTO users VALUES(1,'::1 `x` $$ ENGINE=InnoDB',3,4,1,NULL);
INSERT INTO posts(user_id, body) VALUES(1, 'AUTO_INCREMENT :: SERIAL');
";

/// [`SQLITE_APP`] as the SQLite shell's `.dump` (3.40) writes it: virtual
/// tables as rows of `sqlite_schema` under `writable_schema`, their shadow
/// tables as plain `CREATE TABLE IF NOT EXISTS`, data whose text looks like
/// other dialects' syntax.
const SQLITE_APP_DUMP: &str = "\
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age SMALLINT, score BIGINT, active BOOL DEFAULT 1, created DATETIME);
INSERT INTO users VALUES(1,'::1 `x` $$ ENGINE=InnoDB',3,4,1,NULL);
CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE, body VARCHAR(200), price DECIMAL(10,2));
INSERT INTO posts VALUES(1,1,'AUTO_INCREMENT :: SERIAL',NULL);
PRAGMA writable_schema=ON;
INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table','docs','docs',0,'CREATE VIRTUAL TABLE docs USING fts5(title, body)');
CREATE TABLE IF NOT EXISTS 'docs_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE IF NOT EXISTS 'docs_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS 'docs_content'(id INTEGER PRIMARY KEY, c0, c1);
CREATE TABLE IF NOT EXISTS 'docs_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE IF NOT EXISTS 'docs_config'(k PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table','docs4','docs4',0,'CREATE VIRTUAL TABLE docs4 USING fts4(title, body)');
CREATE TABLE IF NOT EXISTS 'docs4_content'(docid INTEGER PRIMARY KEY, 'c0title', 'c1body');
CREATE TABLE IF NOT EXISTS 'docs4_segments'(blockid INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE IF NOT EXISTS 'docs4_segdir'(level INTEGER,idx INTEGER,start_block INTEGER,leaves_end_block INTEGER,end_block INTEGER,root BLOB,PRIMARY KEY(level, idx));
CREATE TABLE IF NOT EXISTS 'docs4_docsize'(docid INTEGER PRIMARY KEY, size BLOB);
CREATE TABLE IF NOT EXISTS 'docs4_stat'(id INTEGER PRIMARY KEY, value BLOB);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('posts',1);
CREATE INDEX posts_user ON posts(user_id);
PRAGMA writable_schema=OFF;
COMMIT;
";

/// The manifest and ledger of a live SQLite database made by `script`, and
/// the path of its file (kept while `dir` lives).
async fn live_sqlite_in(dir: &Path, script: &str) -> (Introspection, std::path::PathBuf) {
    let database = dir.join("live.db");
    let connection = rusqlite::Connection::open(&database).unwrap();
    connection.execute_batch(script).unwrap();
    drop(connection);
    (
        import(&database, &IntrospectOptions::default()).await,
        database,
    )
}

/// `(object, kind)` of each ledger entry.
fn ledger_pairs(introspection: &Introspection) -> Vec<(String, String)> {
    introspection
        .ledger
        .entries()
        .iter()
        .map(|e| (e.object.clone(), e.kind.clone()))
        .collect()
}

#[tokio::test]
async fn sqlite_shell_dumps_are_detected_and_read_as_sqlite_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let (live, database) = live_sqlite_in(dir.path(), SQLITE_APP).await;
    let mut dumps = vec![("written.sql", SQLITE_APP_DUMP.to_owned())];
    // The shell's own `.dump` of the same database, when it is installed.
    if let Ok(output) = std::process::Command::new("sqlite3")
        .arg(&database)
        .arg(".dump")
        .output()
    {
        assert!(output.status.success());
        dumps.push(("shell.sql", String::from_utf8(output.stdout).unwrap()));
    }
    for (name, text) in dumps {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let dump = import(&path, &IntrospectOptions::default()).await;
        assert_eq!(
            dump.manifest.source.as_ref().unwrap().engine,
            baas::manifest::SourceEngine::Sqlite,
            "{name}"
        );
        assert_eq!(
            without_provenance(dump.manifest.clone()),
            without_provenance(live.manifest.clone()),
            "{name}: dump import and live introspection differ"
        );
        assert_eq!(ledger_pairs(&dump), ledger_pairs(&live), "{name}");
        assert_eq!(
            ledger_pairs(&dump),
            [
                ("docs".to_owned(), "virtual_table".to_owned()),
                ("docs4".to_owned(), "virtual_table".to_owned())
            ],
            "{name}"
        );
        let manifest = &dump.manifest;
        assert_eq!(
            manifest.entities.keys().collect::<Vec<_>>(),
            ["posts", "users"],
            "{name}: shadow tables are left out with their virtual table"
        );
        let users = &manifest.entities["users"];
        assert_eq!(users.fields["id"].ty, baas::manifest::FieldType::Int64);
        assert_eq!(
            users.fields["id"].generated,
            Some(baas::manifest::Generated::Kind(
                baas::manifest::GeneratedKind::Rowid
            ))
        );
        assert_eq!(users.fields["score"].ty, baas::manifest::FieldType::Int64);
        assert_eq!(users.fields["age"].ty, baas::manifest::FieldType::Int16);
        assert_eq!(users.fields["active"].ty, baas::manifest::FieldType::Bool);
        let posts = &manifest.entities["posts"];
        assert_eq!(posts.relations.len(), 1, "{name}");
        assert_eq!(posts.relations[0].references.entity, "users");
        assert_eq!(
            posts.relations[0].on_delete,
            baas::manifest::ReferentialAction::Cascade
        );
    }
}

#[tokio::test]
async fn sqlite_shell_dump_of_chinook_imports_like_the_database() {
    let Ok(version) = std::process::Command::new("sqlite3")
        .arg("--version")
        .output()
    else {
        // Without the shell there is no `.dump` to read; the dump written
        // by hand above covers its format.
        assert!(std::env::var_os("CI").is_none() || cfg!(not(unix)));
        return;
    };
    assert!(version.status.success());
    let dir = tempfile::tempdir().unwrap();
    let script = std::fs::read_to_string(corpus_file("sql/sqlite/Chinook_Sqlite.sql")).unwrap();
    let (live, database) = live_sqlite_in(dir.path(), &script).await;
    let output = std::process::Command::new("sqlite3")
        .arg(&database)
        .arg(".dump")
        .output()
        .unwrap();
    let path = dir.path().join("chinook_dump.sql");
    std::fs::write(&path, &output.stdout).unwrap();
    let dump = import(&path, &IntrospectOptions::default()).await;
    assert_eq!(dump.manifest.entities.len(), 11);
    assert_eq!(
        without_provenance(dump.manifest),
        without_provenance(live.manifest)
    );
    assert_eq!(dump.ledger, live.ledger);
}

/// A script of only statements an import skips (a dump's session settings,
/// `LOCK TABLES`), or of no statement at all, gave an empty manifest and
/// "nothing was lost": it is bad input naming what it holds.
#[test]
fn a_script_that_creates_nothing_says_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, dialect, expected) in [
        (
            "settings.sql",
            "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\
             COMMENT ON SCHEMA public IS 'standard public schema';\n",
            "postgres",
            "of its 3 statements (SET, SELECT, COMMENT ON)",
        ),
        (
            "locks.sql",
            "-- MariaDB dump\n/*!40101 SET NAMES utf8mb4 */;\nLOCK TABLES `t` WRITE;\nUNLOCK TABLES;\n",
            "mysql",
            "of its 3 statements (SET, LOCK, UNLOCK)",
        ),
        (
            "comments.sql",
            "-- nothing here\n/* yet */\n",
            "sqlite",
            "holds no SQL statement",
        ),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
        let output = crate::support::baas(dir.path())
            .args(["introspect", name, "--dry-run", "--dialect", dialect])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}: {output:?}");
        // The message as one line, whatever the terminal's width wrapped.
        let stderr = String::from_utf8_lossy(&output.stderr)
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(stderr.contains("nothing to import"), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
}

#[test]
fn plain_ddl_any_dialect_would_read_asks_for_the_dialect() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schema.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);\n\
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));\n",
    )
    .unwrap();
    let output = crate::support::baas(dir.path())
        .args(["introspect", "schema.sql", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "bad input, not a guess");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot tell which SQL dialect"), "{stderr}");
    assert!(
        stderr.contains("--dialect postgres|mysql|sqlite"),
        "{stderr}"
    );
    // Told, each reads it its own way: a rowid alias on SQLite, a 32-bit
    // integer on PostgreSQL.
    for (dialect, id) in [
        ("sqlite", "id = { type = \"int64\", generated = \"rowid\" }"),
        ("postgres", "id = { type = \"int32\" }"),
    ] {
        let output = crate::support::baas(dir.path())
            .args([
                "introspect",
                "schema.sql",
                "--dry-run",
                "--dialect",
                dialect,
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{dialect}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let toml = String::from_utf8(output.stdout).unwrap();
        assert!(toml.contains(id), "{dialect}: {toml}");
    }
}

#[tokio::test]
async fn every_corpus_dump_is_detected_as_the_dialect_that_wrote_it() {
    for (script, engine) in [
        (
            "sql/sqlite/Chinook_Sqlite.sql",
            baas::manifest::SourceEngine::Sqlite,
        ),
        (
            "sql/sqlite/northwind-sqlite-create.sql",
            baas::manifest::SourceEngine::Sqlite,
        ),
        (
            "sql/mysql/Chinook_MySql.sql",
            baas::manifest::SourceEngine::Mysql,
        ),
        (
            "sql/mysql/sakila-schema.sql",
            baas::manifest::SourceEngine::Mysql,
        ),
        (
            "sql/postgres/Chinook_PostgreSql.sql",
            baas::manifest::SourceEngine::Postgres,
        ),
        (
            "sql/postgres/pagila-schema.sql",
            baas::manifest::SourceEngine::Postgres,
        ),
    ] {
        let imported = import(&corpus_file(script), &IntrospectOptions::default()).await;
        assert_eq!(imported.manifest.source.unwrap().engine, engine, "{script}");
    }
}

/// `script` loaded into a fresh PostgreSQL database, introspected live with
/// `schemas` (the default when empty), and its `pg_dump --schema-only`
/// imported with the same: both introspections. `None` without a server.
async fn postgres_live_and_dump(
    label: &str,
    script: &str,
    schemas: &[&str],
) -> Option<(Introspection, Introspection)> {
    let database = crate::support::postgres::TempDatabase::create_async(label).await?;
    database.psql(script);
    let options = IntrospectOptions {
        schemas: schemas.iter().map(|s| (*s).to_owned()).collect(),
        ..IntrospectOptions::default()
    };
    let live = import_url(&database.url(), &options).await;
    let output = std::process::Command::new("pg_dump")
        .args(["--schema-only", &database.url()])
        .output()
        .expect("pg_dump (installed with the postgresql client)");
    assert!(output.status.success(), "{output:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{label}.sql"));
    std::fs::write(&path, &output.stdout).unwrap();
    let dump = import(&path, &options).await;
    Some((live, dump))
}

async fn import_url(url: &str, options: &IntrospectOptions) -> Introspection {
    let location = SourceLocation::parse(url, Path::new("/")).unwrap();
    introspect(&location, options, &Progress::hidden())
        .await
        .unwrap()
}

/// The dump reads as the database it came from: no change between them, no
/// statement skipped, and the same ledger.
fn assert_dump_reads_like_the_database(label: &str, live: &Introspection, dump: &Introspection) {
    let changes = baas::diff::diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "{label}: {changes:#?}");
    assert_eq!(ledger_pairs(dump), ledger_pairs(live), "{label}");
}

/// `pg_dump` writes an identity column as `ALTER TABLE ... ALTER COLUMN ...
/// ADD GENERATED ... AS IDENTITY (SEQUENCE NAME ... START WITH ...)` after
/// the table; the column stays an identity (it was a plain integer, the
/// statement skipped), its sequence's options on it as live.
#[tokio::test]
async fn postgres_dump_identity_columns_stay_identities() {
    let Some((live, dump)) = postgres_live_and_dump(
        "dump_identity",
        "CREATE TABLE tickets (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 2) PRIMARY KEY, \
         n integer GENERATED ALWAYS AS IDENTITY, s smallint GENERATED BY DEFAULT AS IDENTITY, label text);",
        &[],
    )
    .await
    else {
        return;
    };
    assert_dump_reads_like_the_database("identity", &live, &dump);
    let tickets = &dump.manifest.entities["tickets"];
    for field in ["id", "n", "s"] {
        assert!(
            matches!(
                tickets.fields[field].generated,
                Some(Generated::Kind(
                    GeneratedKind::Identity | GeneratedKind::IdentityAlways
                ))
            ),
            "{field}"
        );
    }
    assert_eq!(
        tickets.fields["id"].identity_options.as_deref(),
        Some("INCREMENT BY 2 START WITH 10")
    );
    assert!(ledger_pairs(&dump).is_empty(), "{:?}", ledger_pairs(&dump));
}

/// A domain `pg_dump` writes with `NOT NULL` before its checks (sqlparser
/// stopped there: the domain was skipped and its columns became `native`)
/// keeps its base type, its `NOT NULL` and its default; a `NOT NULL` inside
/// a check stays in the check.
#[tokio::test]
async fn postgres_dump_domains_with_not_null_keep_their_base_type() {
    let Some((live, dump)) = postgres_live_and_dump(
        "dump_domain_null",
        "CREATE DOMAIN posint AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);\n\
         CREATE DOMAIN label AS text DEFAULT NULL CHECK (VALUE IS NOT NULL AND VALUE <> '');\n\
         CREATE TABLE items (id integer PRIMARY KEY, qty posint, name label);",
        &[],
    )
    .await
    else {
        return;
    };
    assert_dump_reads_like_the_database("domains", &live, &dump);
    let items = &dump.manifest.entities["items"];
    assert_eq!(items.fields["qty"].ty, FieldType::Int32);
    assert!(!items.fields["qty"].nullable);
    assert_eq!(items.fields["name"].ty, FieldType::Text);
    assert_eq!(dump.manifest.postgres.objects.len(), 2);
}

/// Types `pg_dump` qualifies or spells its own way read as the server
/// prints them: an enum of another schema (a `native` name appeared, which
/// diff took for a destructive change), a composite type (skipped, so its
/// column was `native`), `bit(n)` and `bit varying(n)` (their length was
/// lost) and `COLLATE pg_catalog."C"` (kept as written where the server says
/// `C`).
#[tokio::test]
async fn postgres_dump_types_read_as_the_server_prints_them() {
    let Some((live, dump)) = postgres_live_and_dump(
        "dump_types",
        "CREATE SCHEMA app;\n\
         CREATE TYPE app.status AS ENUM ('draft', 'published');\n\
         CREATE TYPE address AS (street text, zip varchar(10));\n\
         CREATE TABLE app.posts (id integer PRIMARY KEY, status app.status NOT NULL DEFAULT 'draft', \
         home address, flags bit(8), mask bit varying(16), one bit, code varchar(5) COLLATE \"C\");",
        &["public", "app"],
    )
    .await
    else {
        return;
    };
    assert_dump_reads_like_the_database("types", &live, &dump);
    let posts = &dump.manifest.entities["app.posts"];
    assert_eq!(posts.fields["status"].native, None);
    assert_eq!(posts.fields["home"].ty, FieldType::Object);
    assert_eq!(posts.fields["flags"].native.as_deref(), Some("bit(8)"));
    assert_eq!(
        posts.fields["mask"].native.as_deref(),
        Some("bit varying(16)")
    );
    assert_eq!(posts.fields["code"].collation.as_deref(), Some("C"));
}

/// What `pg_dump` writes with an empty search path: an extension's operator
/// as `OPERATOR(public.~)` in a domain's check (diff saw the domain change)
/// and an exclusion constraint, which the dump carries as the live
/// introspection does.
#[tokio::test]
async fn postgres_dump_operators_and_exclusions_read_like_the_database() {
    let Some((live, dump)) = postgres_live_and_dump(
        "dump_operators",
        "CREATE EXTENSION IF NOT EXISTS citext;\n\
         CREATE DOMAIN email AS citext CHECK (VALUE ~ '^[^@]+@[^@]+$');\n\
         CREATE TABLE bookings (id integer PRIMARY KEY, contact email, during tstzrange, \
         CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&));",
        &[],
    )
    .await
    else {
        return;
    };
    assert_dump_reads_like_the_database("operators", &live, &dump);
    assert_eq!(ledger_pairs(&dump), Vec::<(String, String)>::new());
    assert_eq!(
        dump.manifest.entities["bookings"].exclusions[0].sql,
        "EXCLUDE USING gist (during WITH &&)"
    );
}

/// What `mariadb-dump --routines --triggers` writes around a routine and a
/// trigger, `DROP ... IF EXISTS` first, are not statements lost (each was a
/// `skipped_statement` line); `double(8,3)` and `float(7,4)` keep their
/// digits as the live database lists them (the dump gave a plain `double`,
/// which diff took for a destructive change).
#[tokio::test]
async fn mysql_dump_drops_of_routines_are_not_losses_and_doubles_keep_digits() {
    let Some(database) = crate::support::mysql::TempDatabase::create_async("dump_routines").await
    else {
        return;
    };
    let script = "CREATE TABLE readings (id int PRIMARY KEY, value double(8,3), weight float(7,4), plain double);\n\
                  DROP PROCEDURE IF EXISTS `report`;\n\
                  DROP FUNCTION IF EXISTS `twice`;\n\
                  DROP TRIGGER IF EXISTS `readings_check`;\n\
                  DELIMITER ;;\n\
                  CREATE PROCEDURE `report`() SELECT 1 ;;\n\
                  CREATE FUNCTION `twice`(x int) RETURNS int DETERMINISTIC RETURN x * 2 ;;\n\
                  DELIMITER ;\n\
                  FLUSH TABLES;\n";
    let dump = mysql_script_reads_like_the_database(&database, script).await;
    let readings = &dump.manifest.entities["readings"];
    assert_eq!(
        readings.fields["value"].native.as_deref(),
        Some("double(8,3)")
    );
    assert_eq!(
        readings.fields["weight"].native.as_deref(),
        Some("float(7,4)")
    );
    assert_eq!(
        ledger_pairs(&dump)
            .into_iter()
            .map(|(_, kind)| kind)
            .collect::<Vec<_>>(),
        ["routine"]
    );
}

/// The shell's `.schema` prints `sqlite_sequence` (made by SQLite for an
/// `AUTOINCREMENT` key) and `sqlite_stat1` (made by `ANALYZE`) as tables,
/// which SQLite refuses to create: they are SQLite's own, not statements
/// lost (each was a `skipped_statement` line).
#[tokio::test]
async fn sqlite_schema_output_leaves_sqlites_own_tables_to_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let tables = "CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);\n";
    let live_script = dir.path().join("live.sql");
    std::fs::write(&live_script, tables).unwrap();
    let schema = dir.path().join("schema.sql");
    std::fs::write(
        &schema,
        format!("{tables}CREATE TABLE sqlite_sequence(name,seq);\nCREATE TABLE sqlite_stat1(tbl,idx,stat);\n"),
    )
    .unwrap();
    let options = IntrospectOptions {
        dialect: Some("sqlite".into()),
        ..IntrospectOptions::default()
    };
    let imported = import(&schema, &options).await;
    assert_eq!(ledger_pairs(&imported), Vec::<(String, String)>::new());
    assert_eq!(
        without_provenance(imported.manifest),
        without_provenance(live_sqlite(&live_script).await.manifest)
    );
}

/// mysqldump wraps each table's rows in `ALTER TABLE t DISABLE KEYS` /
/// `ENABLE KEYS`, which only pause index upkeep during the load: the dump
/// reads as the database it loads into, with nothing in the ledger (each
/// was a `skipped_statement` line).
#[tokio::test]
async fn mysqldump_disable_keys_around_rows_reads_as_the_database() {
    let Some(database) = crate::support::mysql::TempDatabase::create_async("disable_keys").await
    else {
        return;
    };
    let script = "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n\
                  /*!40101 SET NAMES utf8mb4 */;\n\
                  DROP TABLE IF EXISTS `posts`;\n\
                  CREATE TABLE `posts` (\n  `id` bigint unsigned NOT NULL AUTO_INCREMENT,\n  \
                  `title` varchar(200) NOT NULL,\n  PRIMARY KEY (`id`),\n  KEY `title` (`title`)\n\
                  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\
                  LOCK TABLES `posts` WRITE;\n\
                  /*!40000 ALTER TABLE `posts` DISABLE KEYS */;\n\
                  INSERT INTO `posts` VALUES (1,'Hello');\n\
                  /*!40000 ALTER TABLE `posts` ENABLE KEYS */;\n\
                  UNLOCK TABLES;\n\
                  alter table posts disable keys;\n";
    let dump = mysql_script_reads_like_the_database(&database, script).await;
    assert_eq!(ledger_pairs(&dump), Vec::<(String, String)>::new());
}

/// A MySQL 8 dump's functional key parts (`KEY k ((lower(name)))`, one
/// unnamed, which MySQL calls `functional_index`) are expression parts of
/// the index, as the server's catalog lists them, instead of a manifest
/// that names an unknown field; a key names its column in any case, as
/// MySQL compares them; a FULLTEXT key's `WITH PARSER ngram` no longer
/// loses its whole table, and the parser is named in the ledger.
#[tokio::test]
async fn mysql_functional_key_parts_and_fulltext_parsers_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.sql");
    std::fs::write(
        &path,
        "CREATE TABLE `articles` (\n  `id` int NOT NULL,\n  `Name` varchar(40) NOT NULL,\n  \
         `body` text NOT NULL,\n  `doc` json DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  \
         KEY `by_name` (`name`),\n  KEY `lower_name` ((lower(`Name`)) DESC, `id`),\n  \
         KEY ((cast(json_unquote(json_extract(`doc`,_utf8mb4'$.kind')) as char(20)))),\n  \
         FULLTEXT KEY `body_text` (`body`) /*!50100 WITH PARSER `ngram` */ \n\
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;\n\
         CREATE TABLE `notes` (`ID` int, `body` text, PRIMARY KEY (`id`), \
         FULLTEXT KEY (`body`) WITH PARSER ngram);\n",
    )
    .unwrap();
    let options = IntrospectOptions {
        dialect: Some("mysql".into()),
        ..IntrospectOptions::default()
    };
    let dump = import(&path, &options).await;
    let articles = &dump.manifest.entities["articles"];
    let keys: Vec<(String, Vec<String>)> = articles
        .indexes
        .iter()
        .map(|index| {
            let parts = index
                .fields
                .iter()
                .map(|part| match part {
                    baas::manifest::IndexPart::Field { field, order, .. } => {
                        format!("field {field} {order:?}")
                    }
                    baas::manifest::IndexPart::Expression { sql, order } => {
                        format!("expression {sql} {order:?}")
                    }
                })
                .collect();
            (index.name.clone(), parts)
        })
        .collect();
    let expected: Vec<(String, Vec<String>)> = vec![
        ("body_text".into(), vec!["field body None".into()]),
        ("by_name".into(), vec!["field Name None".into()]),
        (
            "functional_index".into(),
            vec![
                "expression CAST(json_unquote(json_extract(`doc`, _utf8mb4 '$.kind')) AS CHAR(20)) None"
                    .into(),
            ],
        ),
        (
            "lower_name".into(),
            vec![
                "expression lower(`Name`) Some(Desc)".into(),
                "field id None".into(),
            ],
        ),
    ];
    assert_eq!(keys, expected);
    let notes = &dump.manifest.entities["notes"];
    assert_eq!(notes.indexes[0].method.as_deref(), Some("fulltext"));
    assert_eq!(notes.primary_key, ["ID"]);
    assert!(!notes.fields["ID"].nullable);
    assert_eq!(
        ledger_pairs(&dump),
        [
            ("articles".to_owned(), "index_parser".to_owned()),
            ("notes".to_owned(), "index_parser".to_owned())
        ]
    );
}

/// What MySQL 8's `SHOW CREATE TABLE` prints in a dump: a cast to a string
/// type names its character set (`cast(x as char(20) charset utf8mb4)`, in
/// a generated column or a functional key part), which lost the whole
/// table to a skipped statement; the generated column keeps it as written.
/// A spatial column's `SRID 4326` is named in the ledger, not dropped
/// without a word.
#[tokio::test]
async fn mysql8_casts_with_a_charset_and_srids_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.sql");
    std::fs::write(
        &path,
        "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n\
         CREATE TABLE `places` (\n  `id` int NOT NULL,\n  `doc` json DEFAULT NULL,\n  \
         `code` char(20) GENERATED ALWAYS AS (cast(json_unquote(json_extract(`doc`,_utf8mb4'$.code')) as char(20) charset utf8mb4)) STORED,\n  \
         `loc` point NOT NULL /*!80003 SRID 4326 */,\n  PRIMARY KEY (`id`),\n  \
         KEY `by_kind` ((cast(json_unquote(json_extract(`doc`,_utf8mb4'$.kind')) as char(10) CHARACTER SET `utf8mb4`)))\n\
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;\n",
    )
    .unwrap();
    let dump = import(&path, &IntrospectOptions::default()).await;
    let places = &dump.manifest.entities["places"];
    assert_eq!(
        places.fields["code"].generated,
        Some(Generated::Computed {
            sql: "cast(json_unquote(json_extract(`doc`,_utf8mb4'$.code')) as char(20) charset utf8mb4)"
                .to_owned(),
            stored: true
        })
    );
    assert!(
        matches!(
            places.indexes[0].fields.as_slice(),
            [baas::manifest::IndexPart::Expression { .. }]
        ),
        "{:?}",
        places.indexes
    );
    assert_eq!(
        ledger_pairs(&dump),
        [("places.loc".to_owned(), "srid".to_owned())]
    );
}

/// MySQL compares column names without case: a script whose foreign key
/// or key names a column in another case than its definition (`userID` for
/// `UserId`) reads as the database it loads into, instead of a manifest
/// naming unknown fields, and an index that serves the foreign key in
/// another case is not doubled by the one InnoDB would add.
#[tokio::test]
async fn mysql_keys_name_columns_in_any_case() {
    let Some(database) = crate::support::mysql::TempDatabase::create_async("column_case").await
    else {
        return;
    };
    let script = "CREATE TABLE `users` (`ID` int NOT NULL, `Email` varchar(80) NOT NULL, \
                  PRIMARY KEY (`id`), UNIQUE KEY `email` (`email`)) ENGINE=InnoDB;\n\
                  CREATE TABLE `posts` (`id` int NOT NULL, `UserId` int DEFAULT NULL, \
                  PRIMARY KEY (`ID`), KEY `by_user` (`userid`), \
                  CONSTRAINT `posts_user` FOREIGN KEY (`userID`) REFERENCES `users` (`id`)) ENGINE=InnoDB;\n";
    let dump = mysql_script_reads_like_the_database(&database, script).await;
    let posts = &dump.manifest.entities["posts"];
    assert_eq!(posts.relations[0].fields, ["UserId"]);
    assert_eq!(posts.relations[0].references.fields, ["ID"]);
    assert_eq!(posts.indexes.len(), 1);
    assert_eq!(ledger_pairs(&dump), Vec::<(String, String)>::new());
}

/// Loads `script` into `database` and reads it both live and as a MySQL
/// script file; the two manifests are the same. Returns the script's.
async fn mysql_script_reads_like_the_database(
    database: &crate::support::mysql::TempDatabase,
    script: &str,
) -> Introspection {
    database.load(script);
    let live = import_url(&database.url(), &IntrospectOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.sql");
    std::fs::write(&path, script).unwrap();
    let options = IntrospectOptions {
        dialect: Some("mysql".into()),
        ..IntrospectOptions::default()
    };
    let dump = import(&path, &options).await;
    let changes = baas::diff::diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "{changes:#?}");
    dump
}

/// MySQL 8 prints an invisible key `KEY k (c) /*!80000 INVISIBLE */`,
/// which lost its whole table to a skipped statement: the table is read,
/// the key kept with `invisible` on it (named or not); a column's own
/// `INVISIBLE` (MariaDB) stays the field attribute.
#[tokio::test]
async fn mysql8_invisible_keys_keep_their_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.sql");
    std::fs::write(
        &path,
        "CREATE TABLE `t` (\n  `id` int NOT NULL,\n  `name` varchar(20) DEFAULT NULL,\n  \
         `secret` int DEFAULT NULL INVISIBLE,\n  PRIMARY KEY (`id`),\n  \
         KEY `k_name` (`name`) /*!80000 INVISIBLE */,\n  \
         UNIQUE KEY `k_both` (`name`,`id`) VISIBLE,\n  KEY (`id`, `name`) INVISIBLE\n\
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n",
    )
    .unwrap();
    let options = IntrospectOptions {
        dialect: Some("mysql".into()),
        ..IntrospectOptions::default()
    };
    let dump = import(&path, &options).await;
    let t = &dump.manifest.entities["t"];
    assert!(t.fields["secret"].invisible, "{:?}", t.fields["secret"]);
    let mut keys: Vec<String> = t.indexes.iter().map(|index| index.name.clone()).collect();
    keys.extend(t.uniques.iter().filter_map(|unique| unique.name.clone()));
    keys.sort();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(
        keys.contains(&"k_name".to_owned()) && keys.contains(&"k_both".to_owned()),
        "{keys:?}"
    );
    let mut invisible: Vec<&str> = t
        .indexes
        .iter()
        .filter(|index| index.options.invisible)
        .map(|index| index.name.as_str())
        .collect();
    invisible.sort_unstable();
    assert_eq!(invisible, ["id", "k_name"], "{:#?}", t.indexes);
    assert!(dump.ledger.is_empty(), "{:?}", dump.ledger.entries());
}

/// A `pg_dump` of PostgreSQL 18 reads as a PostgreSQL 18 server's catalog
/// does: a `VIRTUAL` generated column (18's default) is one not stored,
/// not-null constraints written by name (among the columns, or added by
/// `ALTER TABLE`) make their columns not null, and what the manifest cannot
/// say (a `NOT VALID` or `NO INHERIT` not-null constraint, a `NOT ENFORCED`
/// check, a not-null constraint's own name) is the same ledger line live
/// introspection of a PostgreSQL 18 server makes. Before, `VIRTUAL` failed the whole
/// import, a named not-null constraint among the columns lost its table,
/// and `NOT ENFORCED` was dropped in silence.
#[tokio::test]
async fn a_postgres_18_dump_reads_virtual_columns_and_named_not_null_constraints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pg18.sql");
    std::fs::write(
        &path,
        "--\n-- PostgreSQL database dump\n--\n\n\\restrict abc\n\n\
         -- Dumped from database version 18.1\n-- Dumped by pg_dump version 18.1\n\n\
         SET transaction_timeout = 0;\n\
         SELECT pg_catalog.set_config('search_path', '', false);\n\n\
         CREATE TABLE public.t (\n\
             id integer CONSTRAINT t_id_required NOT NULL,\n\
             n integer,\n\
             m integer,\n\
             doubled integer GENERATED ALWAYS AS ((n * 2)) VIRTUAL,\n\
             tripled integer GENERATED ALWAYS AS ((n * 3)) STORED,\n\
             CONSTRAINT t_n_required NOT NULL n NO INHERIT\n\
         );\n\n\
         CREATE TABLE public.pair (\n\
             CONSTRAINT pair_a_required NOT NULL a,\n\
             a integer,\n\
             b integer\n\
         );\n\n\
         ALTER TABLE ONLY public.pair ADD CONSTRAINT pair_b_not_null NOT NULL b;\n\
         ALTER TABLE public.t ADD CONSTRAINT t_m_required NOT NULL m NOT VALID;\n\
         ALTER TABLE public.t ADD CONSTRAINT t_n_positive CHECK ((n > 0)) NOT ENFORCED;\n\
         ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n\n\
         \\unrestrict abc\n",
    )
    .unwrap();
    let introspection = import(&path, &IntrospectOptions::default()).await;
    let manifest = &introspection.manifest;
    let t = &manifest.entities["t"];
    // A `NOT VALID` not-null constraint makes its column not null too, as
    // the catalog says (the ledger says it is not valid).
    assert!(!t.fields["id"].nullable && !t.fields["n"].nullable && !t.fields["m"].nullable);
    assert_eq!(
        t.fields["doubled"].generated,
        Some(Generated::Computed {
            sql: "n * 2".to_owned(),
            stored: false
        })
    );
    assert!(matches!(
        &t.fields["tripled"].generated,
        Some(Generated::Computed { stored: true, .. })
    ));
    assert_eq!(t.checks.len(), 1);
    let pair = &manifest.entities["pair"];
    let fields: Vec<&str> = pair.fields.keys().map(String::as_str).collect();
    assert_eq!(fields, ["a", "b"]);
    assert!(!pair.fields["a"].nullable && !pair.fields["b"].nullable);
    // The names the server would not give (`table_column_not_null`).
    assert_eq!(
        ledger_pairs(&introspection),
        [
            ("pair.a", "constraint_name"),
            ("t", "not_enforced"),
            ("t", "not_valid"),
            ("t.id", "constraint_name"),
            ("t.m", "constraint_name"),
            ("t.n", "constraint_name"),
            ("t.n", "no_inherit"),
        ]
        .map(|(object, kind)| (object.to_owned(), kind.to_owned()))
    );
}
