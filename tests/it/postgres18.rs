//! PostgreSQL 18 (`BAAS_TEST_POSTGRES18_URL`; the other PostgreSQL tests
//! run on 15): what 18 adds to a table reads alike live and from a dump in
//! `pg_dump` 18's form, and a plan of the manifest gives it back.

use std::path::Path;

use serde_json::Value;

use crate::postgres::{introspected_manifest_with, plan_and_apply};
use crate::support::postgres::TempDatabase;

/// Virtual generated columns (18's default), not-null constraints by name
/// (one `NOT VALID`), `NOT ENFORCED` checks and foreign keys, and a child
/// that inherits its parent's not-null constraint (and not its `NO
/// INHERIT` one).
const SCHEMA: &str = "\
CREATE TABLE t (
    id integer CONSTRAINT t_id_required NOT NULL PRIMARY KEY,
    n integer NOT NULL,
    m integer,
    doubled integer GENERATED ALWAYS AS (n * 2),
    tripled integer GENERATED ALWAYS AS (n * 3) STORED,
    CONSTRAINT t_n_positive CHECK (n > 0) NOT ENFORCED
);
ALTER TABLE t ADD CONSTRAINT t_m_required NOT NULL m NOT VALID;
CREATE TABLE ref (id integer PRIMARY KEY, t_id integer REFERENCES t NOT ENFORCED);
CREATE TABLE parent (id integer PRIMARY KEY, a integer NOT NULL, c integer NOT NULL NO INHERIT);
CREATE TABLE child (b integer) INHERITS (parent);
";

/// [`SCHEMA`] as `pg_dump` 18 writes it (18's client tools are not in the
/// test servers' build, so the test cannot run it): a virtual column's
/// expression without a keyword, the not-null constraints the server did
/// not name (`t_n_not_null`) and the one added `NOT VALID` apart.
const DUMP: &str = "\
--
-- PostgreSQL database dump
--

\\restrict PzJ6

-- Dumped from database version 18.4
-- Dumped by pg_dump version 18.4

SET statement_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);
SET default_tablespace = '';
SET default_table_access_method = heap;

CREATE TABLE public.parent (
    id integer NOT NULL,
    a integer NOT NULL,
    c integer NOT NULL NO INHERIT
);

CREATE TABLE public.child (
    b integer
)
INHERITS (public.parent);

CREATE TABLE public.ref (
    id integer NOT NULL,
    t_id integer
);

CREATE TABLE public.t (
    id integer CONSTRAINT t_id_required NOT NULL,
    n integer NOT NULL,
    m integer,
    doubled integer GENERATED ALWAYS AS ((n * 2)),
    tripled integer GENERATED ALWAYS AS ((n * 3)) STORED,
    CONSTRAINT t_n_positive CHECK ((n > 0)) NOT ENFORCED
);

ALTER TABLE public.t
    ADD CONSTRAINT t_m_required NOT NULL m NOT VALID;

ALTER TABLE ONLY public.parent
    ADD CONSTRAINT parent_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.ref
    ADD CONSTRAINT ref_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.t
    ADD CONSTRAINT t_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.ref
    ADD CONSTRAINT ref_t_id_fkey FOREIGN KEY (t_id) REFERENCES public.t(id) NOT ENFORCED;

\\unrestrict PzJ6
";

/// `baas introspect <source> --dry-run --json`'s ledger, as `object kind:
/// message` lines in order.
fn ledger_lines(dir: &Path, source: &str) -> Vec<String> {
    let output = crate::support::baas(dir)
        .args(["introspect", source, "--dry-run", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let json: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{output:?}"));
    json["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            format!(
                "{} {}: {}",
                entry["object"], entry["kind"], entry["message"]
            )
        })
        .collect()
}

/// Before: `GENERATED ALWAYS AS (...)` without `STORED` failed the dump's
/// import, a table with a named or `NO INHERIT` not-null constraint was
/// skipped, `NOT ENFORCED`
/// read live as `NOT VALID` and from a dump not at all, and a plan made the
/// virtual column stored (drift on the database it was applied to).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_18_tables_read_alike_live_and_from_a_dump_and_round_trip() {
    let Some(source) =
        TempDatabase::create_async_on("BAAS_TEST_POSTGRES18_URL", "pg18_source").await
    else {
        return;
    };
    source.psql(SCHEMA);
    let live = introspected_manifest_with(&[source.url()], None);
    let dumped = introspected_manifest_with(&["dump.sql".to_owned()], Some(("dump.sql", DUMP)));
    assert_eq!(live, dumped);
    for expected in [
        r#"doubled = { type = "int32", nullable = true, generated = { sql = "n * 2", stored = false } }"#,
        r#"tripled = { type = "int32", nullable = true, generated = { sql = "n * 3", stored = true } }"#,
        r#"m = { type = "int32" }"#,
        "[entities.child.fields]\nid = { type = \"int32\", inherited = true }\n\
         a = { type = \"int32\", inherited = true }\n\
         c = { type = \"int32\", nullable = true, inherited = true }",
    ] {
        assert!(live.contains(expected), "{expected}\n{live}");
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dump.sql"), DUMP).unwrap();
    let lines = ledger_lines(dir.path(), &source.url());
    assert_eq!(lines, ledger_lines(dir.path(), "dump.sql"));
    let mut kinds: Vec<&str> = lines
        .iter()
        .map(|line| line.split(':').next().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            r#""parent.c" "no_inherit""#,
            r#""ref" "not_enforced""#,
            r#""t" "not_enforced""#,
            r#""t" "not_valid""#,
            r#""t.id" "constraint_name""#,
            r#""t.m" "constraint_name""#,
        ]
    );

    // Planned from its manifest and applied to an empty PostgreSQL 18
    // database: no drift but what the ledger said a plan does (`parent.c`'s
    // not-null constraint is inherited, so `child.c` is not null).
    let Some(target) =
        TempDatabase::create_async_on("BAAS_TEST_POSTGRES18_URL", "pg18_target").await
    else {
        return;
    };
    let manifest = baas::manifest::load_str(Path::new("baas.toml"), live.clone())
        .unwrap()
        .manifest;
    let up = plan_and_apply(dir.path(), &manifest, "init", &target.url());
    assert!(
        up.contains("\"doubled\" integer GENERATED ALWAYS AS (n * 2) VIRTUAL"),
        "{up}"
    );
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &target.url()]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("1 change(s)") && output.contains("`child.c`: nullable"),
        "{output}"
    );
    assert_eq!(
        target
            .query("SELECT attgenerated FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'doubled'")
            .trim(),
        "v"
    );
}
