//! Classes of real-world schemas that failed to round-trip: each test holds
//! a small schema written in the style of the real ones (a Rails
//! `structure.sql` of an older `pg_dump`, a Supabase dump) that reproduces
//! the class, and runs what a user runs: import, plan, apply to an empty
//! database, check.

use std::path::Path;

use baas::diff::diff;
use baas::introspect::{IntrospectOptions, Introspection};
use baas::ui::Progress;

use crate::support::postgres::TempDatabase;
use crate::support::run_in;

/// Runs the binary in `dir` and expects exit code 0.
fn succeed(dir: &Path, args: &[&str]) -> String {
    let (code, output) = run_in(dir, args);
    assert_eq!(code, Some(0), "baas {}:\n{output}", args.join(" "));
    output
}

/// Writes `text` to `file` in `dir` and imports it with the binary into
/// `dir`'s baas.toml: the manifest it wrote.
fn import_file(dir: &Path, file: &str, text: &str) -> baas::manifest::Manifest {
    std::fs::write(dir.join(file), text).unwrap();
    succeed(dir, &["introspect", file, "--yes"]);
    baas::manifest::load_file(&dir.join("baas.toml"))
        .unwrap()
        .manifest
}

/// Plans `dir`'s manifest, applies it to the empty database at `url` and
/// expects `check` to find no drift there.
fn plan_apply_check(dir: &Path, url: &str) {
    succeed(dir, &["migrate", "plan", "--name", "init", "--yes"]);
    succeed(dir, &["migrate", "apply", "--db", url, "--yes"]);
    succeed(dir, &["check", "--db", url]);
}

/// What `baas introspect <url>` reads.
async fn read_live(url: &str) -> Introspection {
    let location = baas::source::SourceLocation::parse(url, Path::new("/")).unwrap();
    baas::backend::introspect(
        &location,
        &IntrospectOptions::default(),
        &Progress::hidden(),
    )
    .await
    .unwrap()
}

/// A PostgreSQL database of the test's own named `label` (`None` without
/// a server) made by planning `manifest` to it and applying the plan;
/// `check` finds no drift there.
async fn applied_copy(label: &str, manifest: &baas::manifest::Manifest) -> Option<TempDatabase> {
    let copy = TempDatabase::create_async(label).await?;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        baas::manifest::to_toml(manifest),
    )
    .unwrap();
    plan_apply_check(dir.path(), &copy.url());
    Some(copy)
}

/// A dump written by an older `pg_dump` (it lists plpgsql, which every
/// database has) with extensions installed into a schema the dump does not
/// create, as Supabase's `extensions`, and one into `public`; a function and
/// a trigger with every name quoted, as Supabase's dumps write them.
const EXTENSIONS_DUMP: &str = r#"
SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

CREATE EXTENSION IF NOT EXISTS plpgsql WITH SCHEMA pg_catalog;
COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL procedural language';
CREATE EXTENSION IF NOT EXISTS "pgcrypto" WITH SCHEMA "extensions";
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA "extensions";
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
COMMENT ON EXTENSION citext IS 'data type for case-insensitive character strings';

SET search_path = public, pg_catalog;

CREATE TABLE members (
    id uuid DEFAULT extensions.uuid_generate_v4() NOT NULL,
    email citext NOT NULL,
    created_at timestamp without time zone NOT NULL
);

ALTER TABLE ONLY members
    ADD CONSTRAINT members_pkey PRIMARY KEY (id);

CREATE OR REPLACE FUNCTION "public"."touch_members"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    AS $$
BEGIN
  NEW.created_at = now();
  RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER "members_touch" BEFORE UPDATE ON "public"."members" FOR EACH ROW EXECUTE FUNCTION "public"."touch_members"();
"#;

/// The dump imports without plpgsql, its plan creates the schema an
/// extension goes to before the extension, `check` finds no drift on the
/// database it made (live introspection reads extensions of every schema)
/// and finds an extension moved by hand; a `pg_dump` of that database
/// (`_baas_migrations` included) imports to the live manifest.
#[tokio::test]
async fn extensions_of_a_dump_round_trip_whatever_schema_they_live_in() {
    let Some(database) = TempDatabase::create_async("sweep_extensions").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let manifest = import_file(dir.path(), "structure.sql", EXTENSIONS_DUMP);
    let extensions: Vec<(&str, Option<&str>)> = manifest
        .postgres
        .extensions
        .iter()
        .map(|(name, extension)| (name.as_str(), extension.schema.as_deref()))
        .collect();
    assert_eq!(
        extensions,
        [
            ("citext", None),
            ("pgcrypto", Some("extensions")),
            ("uuid-ossp", Some("extensions")),
        ]
    );

    let url = database.url();
    plan_apply_check(dir.path(), &url);

    let live = read_live(&url).await;
    let changes = diff(&live.manifest, &manifest);
    assert!(
        changes.is_empty(),
        "{}",
        serde_json::to_string_pretty(&changes).unwrap()
    );
    let dump = crate::postgres::read_dump(&database, &["--schema-only"]).await;
    assert!(
        !dump.manifest.entities.contains_key("_baas_migrations"),
        "{:?}",
        dump.manifest.entities.keys().collect::<Vec<_>>()
    );
    let changes = diff(&live.manifest, &dump.manifest);
    assert!(
        changes.is_empty(),
        "{}",
        serde_json::to_string_pretty(&changes).unwrap()
    );

    database.psql("ALTER EXTENSION pgcrypto SET SCHEMA public;");
    let (code, output) = run_in(dir.path(), &["check", "--db", &url]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("extension pgcrypto"), "{output}");
}

/// A Rails `structure.sql` of `pg_dump` 9.x: the search path set instead of
/// qualified names, tables inheriting from a parent (the partitioning of
/// those days, with a trigger routing rows) and `EXECUTE PROCEDURE`.
const INHERITANCE_DUMP: &str = r#"
SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET check_function_bodies = false;

CREATE EXTENSION IF NOT EXISTS plpgsql WITH SCHEMA pg_catalog;

SET search_path = public, pg_catalog;

CREATE FUNCTION votes_insert_trigger() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      begin
        if (NEW.user_id % 2 = 0) then
          insert into votes_0 values (NEW.*);
        else
          insert into votes_1 values (NEW.*);
        end if;
        return NULL;
      end;
      $$;

SET default_tablespace = '';

SET default_with_oids = false;

CREATE TABLE votes (
    id integer NOT NULL,
    user_id integer NOT NULL,
    score smallint DEFAULT 1
);

CREATE SEQUENCE votes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE votes_id_seq OWNED BY votes.id;

CREATE TABLE votes_0 (
    CONSTRAINT votes_0_user_id_check CHECK (((user_id % 2) = 0))
)
INHERITS (votes);

CREATE TABLE votes_1 (
    note text,
    score smallint DEFAULT 5,
    CONSTRAINT votes_1_user_id_check CHECK (((user_id % 2) = 1))
)
INHERITS (votes);

ALTER TABLE ONLY votes ALTER COLUMN id SET DEFAULT nextval('votes_id_seq'::regclass);

ALTER TABLE ONLY votes_0 ALTER COLUMN id SET DEFAULT nextval('votes_id_seq'::regclass);

ALTER TABLE ONLY votes_1 ALTER COLUMN id SET DEFAULT nextval('votes_id_seq'::regclass);

ALTER TABLE ONLY votes
    ADD CONSTRAINT votes_pkey PRIMARY KEY (id);

CREATE INDEX index_votes_0_on_user_id ON votes_0 USING btree (user_id);

CREATE TRIGGER insert_votes_trigger BEFORE INSERT ON votes FOR EACH ROW EXECUTE PROCEDURE votes_insert_trigger();
"#;

/// The dump imports as the database it makes reads: each inheriting table
/// with its parent's columns first, saying what it inherits (as live
/// introspection does), and its plan applies to a database `check` finds
/// no drift in.
#[tokio::test]
async fn an_older_pg_dump_with_inheritance_reads_as_its_database_and_round_trips() {
    let Some(loaded) = TempDatabase::create_async("sweep_inherits").await else {
        return;
    };
    let Some(planned) = TempDatabase::create_async("sweep_inherits_plan").await else {
        return;
    };
    loaded.psql(INHERITANCE_DUMP);
    let dir = tempfile::tempdir().unwrap();
    let manifest = import_file(dir.path(), "structure.sql", INHERITANCE_DUMP);
    let fields = |table: &str| -> Vec<&str> {
        manifest.entities[table]
            .fields
            .keys()
            .map(String::as_str)
            .collect()
    };
    assert_eq!(fields("votes_0"), ["id", "user_id", "score"]);
    assert_eq!(fields("votes_1"), ["id", "user_id", "score", "note"]);
    assert_eq!(manifest.entities["votes_0"].inherits, ["votes"]);
    assert!(manifest.entities["votes_0"].fields["score"].inherited);
    // Declared again with a default of its own: its own column.
    assert!(!manifest.entities["votes_1"].fields["score"].inherited);

    let live = read_live(&loaded.url()).await;
    let changes = diff(&live.manifest, &manifest);
    assert!(
        changes.is_empty(),
        "{}",
        serde_json::to_string_pretty(&changes).unwrap()
    );
    let kinds = |introspection: &Introspection| -> Vec<(String, String)> {
        introspection
            .ledger
            .entries()
            .iter()
            .map(|entry| (entry.object.clone(), entry.kind.clone()))
            .collect()
    };
    let dump = crate::postgres::read_dump(&loaded, &["--schema-only"]).await;
    assert_eq!(kinds(&dump), kinds(&live));
    assert_eq!(kinds(&live), []);

    let url = planned.url();
    plan_apply_check(dir.path(), &url);
    planned.psql("CREATE OR REPLACE FUNCTION votes_insert_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ begin return NULL; end; $$;");
    let (code, output) = run_in(dir.path(), &["check", "--db", &url]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("votes_insert_trigger"), "{output}");
}

/// A dump as `supabase db dump` writes it: every name quoted, functions
/// and types included (`"now"()`, `::"text"`, `USING "btree"`), the
/// sequence of a key named in quotes inside `nextval`.
const QUOTED_DUMP: &str = r#"
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
SET default_table_access_method = "heap";

CREATE TABLE IF NOT EXISTS "public"."posts" (
    "id" bigint NOT NULL,
    "title" character varying(255) NOT NULL,
    "status" character varying(50) DEFAULT 'draft'::character varying,
    "order" integer DEFAULT 0 NOT NULL,
    "created_at" timestamp with time zone DEFAULT "now"(),
    CONSTRAINT "posts_order_check" CHECK (("order" >= 0)),
    CONSTRAINT "posts_status_check" CHECK (((("status")::"text" = ANY ((ARRAY['draft'::character varying, 'published'::character varying])::"text"[]))))
);

CREATE SEQUENCE IF NOT EXISTS "public"."posts_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE "public"."posts_id_seq" OWNED BY "public"."posts"."id";

ALTER TABLE ONLY "public"."posts" ALTER COLUMN "id" SET DEFAULT "nextval"('"public"."posts_id_seq"'::"regclass");

ALTER TABLE ONLY "public"."posts"
    ADD CONSTRAINT "posts_pkey" PRIMARY KEY ("id");

CREATE INDEX "idx_posts_status" ON "public"."posts" USING "btree" ("status");

CREATE INDEX "idx_posts_lower_title" ON "public"."posts" USING "btree" ("lower"(("title")::"text"));
"#;

/// The quoted dump reads as the database it makes reads (the key a serial,
/// defaults, checks and indexes as the server prints them), and its plan
/// applies to a database `check` finds no drift in.
#[tokio::test]
async fn a_dump_quoting_every_name_reads_as_its_database_and_round_trips() {
    let Some(loaded) = TempDatabase::create_async("sweep_quoted").await else {
        return;
    };
    let Some(planned) = TempDatabase::create_async("sweep_quoted_plan").await else {
        return;
    };
    loaded.psql(QUOTED_DUMP);
    let dir = tempfile::tempdir().unwrap();
    let manifest = import_file(dir.path(), "schema.sql", QUOTED_DUMP);
    let live = read_live(&loaded.url()).await;
    // Fields as the server prints them (expressions are compared by diff:
    // `pg_dump` and the catalog group them differently).
    assert_eq!(
        serde_json::to_value(&live.manifest.entities["posts"].fields).unwrap(),
        serde_json::to_value(&manifest.entities["posts"].fields).unwrap()
    );
    let changes = diff(&live.manifest, &manifest);
    assert!(
        changes.is_empty(),
        "{}",
        serde_json::to_string_pretty(&changes).unwrap()
    );

    let url = planned.url();
    plan_apply_check(dir.path(), &url);
    planned.psql("ALTER TABLE posts ALTER COLUMN created_at SET DEFAULT statement_timestamp();");
    let (code, output) = run_in(dir.path(), &["check", "--db", &url]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("posts.created_at"), "{output}");
}

/// A MariaDB database of the test's own (`None` without a server) made by
/// `script`, and what `baas introspect <url>` reads from it.
async fn mariadb_with(
    label: &str,
    script: &str,
) -> Option<(crate::support::mysql::TempDatabase, Introspection)> {
    let database = crate::support::mysql::TempDatabase::create_async(label).await?;
    database.load(script);
    let live = read_live(&database.url()).await;
    Some((database, live))
}

/// WordPress's tables (`wp-admin/includes/schema.php`): `varchar(255)`
/// keys indexed by their first 191 characters, so that a utf8mb4 key fits
/// the old 767-byte limit; besides, a unique prefix key, a key with a
/// prefix on one of its columns only, a prefix of a TEXT column, and one
/// as long as its column (which the server keeps as the whole column).
const WORDPRESS_SCHEMA: &str = "
CREATE TABLE wp_termmeta (
  meta_id bigint(20) unsigned NOT NULL auto_increment,
  term_id bigint(20) unsigned NOT NULL default '0',
  meta_key varchar(255) default NULL,
  meta_value longtext,
  PRIMARY KEY  (meta_id),
  KEY term_id (term_id),
  KEY meta_key (meta_key(191))
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
CREATE TABLE wp_terms (
 term_id bigint(20) unsigned NOT NULL auto_increment,
 name varchar(200) NOT NULL default '',
 slug varchar(200) NOT NULL default '',
 term_group bigint(10) NOT NULL default 0,
 PRIMARY KEY  (term_id),
 KEY slug (slug(191)),
 KEY name (name(191)),
 KEY group_slug (term_group, slug(50))
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
CREATE TABLE wp_users (
 ID bigint(20) unsigned NOT NULL auto_increment,
 user_login varchar(60) NOT NULL default '',
 user_nicename varchar(50) NOT NULL default '',
 user_email varchar(100) NOT NULL default '',
 display_name varchar(250) NOT NULL default '',
 PRIMARY KEY  (ID),
 KEY user_login_key (user_login),
 UNIQUE KEY user_nicename (user_nicename(40)),
 KEY user_email (user_email(100))
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
CREATE TABLE wp_posts (
 ID bigint(20) unsigned NOT NULL auto_increment,
 post_author bigint(20) unsigned NOT NULL default '0',
 post_date datetime NOT NULL default '2000-01-01 00:00:00',
 post_title text NOT NULL,
 post_status varchar(20) NOT NULL default 'publish',
 post_name varchar(200) NOT NULL default '',
 post_type varchar(20) NOT NULL default 'post',
 PRIMARY KEY  (ID),
 KEY post_name (post_name(191)),
 KEY type_status_date (post_type,post_status,post_date,ID),
 KEY post_author (post_author),
 KEY post_title (post_title(64)),
 KEY post_title_whole (post_title(255))
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
";

/// Prefix keys are in the manifest (`{ field = "meta_key", prefix_length =
/// 191 }`) alike from the live database and from its schema file; the plan
/// makes them again, `check` finds no drift on the database it made and
/// finds a prefix changed by hand; a PostgreSQL plan says it keys whole
/// values. Before, the prefix was only named in the ledger and the plan
/// keyed the whole column.
#[tokio::test]
async fn wordpress_prefix_keys_round_trip_and_drift_is_seen() {
    use baas::manifest::IndexPart;
    let Some((_database, live)) = mariadb_with("wp_prefix", WORDPRESS_SCHEMA).await else {
        return;
    };
    assert!(
        !live
            .ledger
            .entries()
            .iter()
            .any(|e| e.kind == "index_prefix"),
        "{:?}",
        live.ledger.entries()
    );
    let keys = |entity: &str, index: &str| -> Vec<(String, Option<u32>)> {
        let index = live.manifest.entities[entity]
            .indexes
            .iter()
            .find(|i| i.name == index)
            .unwrap_or_else(|| panic!("{entity}.{index}: {:#?}", live.manifest.entities[entity]));
        index
            .fields
            .iter()
            .map(|part| match part {
                IndexPart::Field {
                    field,
                    prefix_length,
                    ..
                } => (field.clone(), *prefix_length),
                IndexPart::Expression { sql, .. } => (sql.clone(), None),
            })
            .collect()
    };
    let key = |field: &str, length: Option<u32>| (field.to_owned(), length);
    assert_eq!(
        keys("wp_termmeta", "meta_key"),
        [key("meta_key", Some(191))]
    );
    assert_eq!(
        keys("wp_terms", "group_slug"),
        [key("term_group", None), key("slug", Some(50))]
    );
    assert_eq!(
        keys("wp_users", "user_nicename"),
        [key("user_nicename", Some(40))]
    );
    assert_eq!(keys("wp_users", "user_email"), [key("user_email", None)]);
    assert_eq!(
        keys("wp_posts", "post_title"),
        [key("post_title", Some(64))]
    );
    assert_eq!(
        keys("wp_posts", "post_title_whole"),
        [key("post_title", None)]
    );

    let dir = tempfile::tempdir().unwrap();
    let dump = import_file(dir.path(), "wordpress.sql", WORDPRESS_SCHEMA);
    let changes = diff(&live.manifest, &dump);
    assert!(changes.is_empty(), "the schema file differs: {changes:#?}");
    let written = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    assert!(
        written.contains(r#"fields = [{ field = "meta_key", prefix_length = 191 }]"#),
        "{written}"
    );

    let Some(copy) = crate::support::mysql::TempDatabase::create_async("wp_prefix_copy").await
    else {
        return;
    };
    let url = copy.url();
    plan_apply_check(dir.path(), &url);
    let up = std::fs::read_to_string(dir.path().join("migrations/0001_init/up.sql")).unwrap();
    assert!(up.contains("(`term_group`, `slug`(50))"), "{up}");
    copy.load("ALTER TABLE wp_termmeta DROP INDEX meta_key, ADD INDEX meta_key (meta_key(100));");
    let (code, output) = run_in(dir.path(), &["check", "--db", &url]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("meta_key"), "{output}");

    let empty = baas::manifest::Manifest::default();
    for target in [
        baas::migrate::render::Target::Postgres,
        baas::migrate::render::Target::Sqlite,
    ] {
        let changes = diff(&empty, &dump);
        let plan = baas::migrate::render::render(target, &empty, &dump, &changes).unwrap();
        assert!(
            plan.lossy
                .iter()
                .any(|line| line.starts_with("wp_termmeta.meta_key: ")
                    && line.contains("prefix length 191 of `meta_key`")),
            "{target:?}: {:#?}",
            plan.lossy
        );
    }
}

/// A MariaDB table with an expression in every place one goes: defaults
/// (a function, an expression in parentheses, `ON UPDATE`), checks (named,
/// on a column, a `CASE`, an `IN` list, in an order other than their
/// names'), generated columns (stored, virtual, a `CASE`), a view.
const MARIADB_EXPRESSIONS: &str = r#"CREATE TABLE users (
  id int NOT NULL AUTO_INCREMENT,
  email varchar(200) NOT NULL,
  name varchar(50) NOT NULL DEFAULT '',
  note text DEFAULT 'it''s',
  token char(36) DEFAULT uuid(),
  created_at timestamp NOT NULL DEFAULT current_timestamp(),
  updated_at datetime DEFAULT NULL ON UPDATE current_timestamp(),
  score decimal(10,2) DEFAULT 0.00,
  ratio double DEFAULT (1 / 3),
  tags json DEFAULT '[]' CHECK (json_valid(tags)),
  kind varchar(10) DEFAULT 'a',
  lower_email varchar(200) GENERATED ALWAYS AS (lower(email)) STORED,
  v_len int GENERATED ALWAYS AS (char_length(name) + 1) VIRTUAL,
  label varchar(100) GENERATED ALWAYS AS (case when score > 50 then concat('high-', name) else 'low' end) VIRTUAL,
  day date DEFAULT (curdate() + interval 1 day),
  PRIMARY KEY (id),
  KEY users_lower (lower_email),
  CONSTRAINT users_score_check CHECK (score >= 0 and score <= 100),
  CONSTRAINT users_kind_check CHECK (kind in ('a','b','c')),
  CONSTRAINT users_case_check CHECK (case when score is null then 1 else score > 0 end),
  CONSTRAINT users_json_check CHECK (json_length(tags) < 10 or tags is null)
);
CREATE TABLE orders (
  id bigint NOT NULL,
  user_id int NOT NULL,
  total decimal(12,2) NOT NULL DEFAULT 0,
  placed date NOT NULL DEFAULT (curdate()),
  PRIMARY KEY (id),
  CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT orders_total_check CHECK (total >= 0)
);
CREATE VIEW active_users AS SELECT id, email, name FROM users WHERE score > 10 and kind <> 'c';
"#;

/// `mariadb-dump --no-data` and the live database give the same baas.toml
/// byte for byte: the dump's expressions are the text the server printed
/// into it, not sqlparser's reprint (`CASE WHEN`, `INTERVAL 1 DAY`), and
/// its checks come in the server's order.
#[test]
fn a_mariadb_dump_and_its_database_give_the_same_manifest_byte_for_byte() {
    let Some(database) = crate::support::mysql::TempDatabase::create("expressions") else {
        return;
    };
    database.load(MARIADB_EXPRESSIONS);
    let url = url::Url::parse(&database.url()).unwrap();
    let mut dump = std::process::Command::new("mariadb-dump");
    dump.arg("--protocol=TCP")
        .arg(format!("--host={}", url.host_str().unwrap_or("127.0.0.1")))
        .arg(format!("--port={}", url.port().unwrap_or(3306)))
        .arg(format!("--user={}", url.username()))
        .arg("--no-data");
    if let Some(password) = url.password() {
        dump.arg(format!("--password={password}"));
    }
    let output = dump.arg(database.name()).output().expect("mariadb-dump");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let live = crate::postgres::introspected_manifest(&database.url(), None);
    let dumped = crate::postgres::introspected_manifest("dump.sql", Some(("dump.sql", &text)));
    assert_eq!(live, dumped, "mariadb-dump's dump:\n{text}");
    for expected in [
        "sql = \"case when `score` is null then 1 else `score` > 0 end\"",
        "default = { sql = \"(curdate() + interval 1 day)\" }",
        "generated = { sql = \"case when `score` > 50 then concat('high-',`name`) else 'low' end\"",
    ] {
        assert!(live.contains(expected), "{expected}:\n{live}");
    }
}

/// What MariaDB has beyond the common tables: a JSON column (a LONGTEXT
/// with a `json_valid` check) and a view over it, a CHECK on a JSON
/// column, an INVISIBLE column, `ON UPDATE CURRENT_TIMESTAMP`, STORED and
/// VIRTUAL generated columns, SPATIAL and FULLTEXT indexes, table and
/// column comments, a sequence and a system-versioned table.
const MARIADB_FEATURES: &str = "
CREATE TABLE doc (
  id int NOT NULL PRIMARY KEY,
  body json,
  meta json NOT NULL DEFAULT '{}' CHECK (json_length(meta) < 10),
  note text COMMENT 'a note',
  secret int INVISIBLE DEFAULT 1,
  changed timestamp NOT NULL DEFAULT current_timestamp ON UPDATE current_timestamp,
  twice int AS (id * 2) STORED,
  sign int AS (CASE WHEN id > 0 THEN 1 ELSE 0 END) VIRTUAL,
  place point NOT NULL,
  SPATIAL INDEX place (place),
  FULLTEXT INDEX note (note)
) COMMENT 'documents';
CREATE VIEW doc_bodies AS SELECT id, body, meta FROM doc;
CREATE SEQUENCE ticket START WITH 5 INCREMENT BY 2;
CREATE TABLE history (id int PRIMARY KEY, x int) WITH SYSTEM VERSIONING;
";

/// The live database and its `mariadb-dump` read to the same manifest and
/// name the same things in the ledger, and the manifest planned to an
/// empty database is what `check` finds there. Before, the view's JSON
/// column was `longtext` live and `json` from the dump, the spatial index
/// had InnoDB's key length of a POINT, the dump's sequence and versioned
/// table were unparsable statements while the live database named the
/// sequence and left the versioned table out, a plan of the JSON column
/// wrote a collation MariaDB refuses, and an INVISIBLE column was planned
/// visible.
#[tokio::test]
async fn mariadb_features_read_alike_live_and_from_a_dump_and_round_trip() {
    let Some((database, live)) = mariadb_with("mariadb_features", MARIADB_FEATURES).await else {
        return;
    };
    let dump = crate::mysql::mariadb_dump_import(&database).await;
    let changes = diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "the dump differs: {changes:#?}");
    let kinds = |introspection: &Introspection| -> Vec<(String, String)> {
        let mut kinds: Vec<(String, String)> = introspection
            .ledger
            .entries()
            .iter()
            .map(|e| (e.object.clone(), e.kind.clone()))
            .collect();
        kinds.sort();
        kinds
    };
    let kind = |object: &str, kind: &str| (object.to_owned(), kind.to_owned());
    assert_eq!(
        kinds(&live),
        [
            kind("history", "system_versioned"),
            kind("ticket", "table_kind"),
        ]
    );
    assert_eq!(kinds(&dump), kinds(&live));
    // An INVISIBLE column is a field marked so (the dump's too: the diff
    // above compares it).
    assert!(live.manifest.entities["doc"].fields["secret"].invisible);
    let view = &live.manifest.entities["doc_bodies"];
    assert_eq!(view.fields["body"].ty, baas::manifest::FieldType::Json);
    assert_eq!(view.fields["body"].collation, None);
    assert_eq!(
        live.manifest.entities["history"]
            .fields
            .keys()
            .collect::<Vec<_>>(),
        ["id", "x"]
    );
    let place = &live.manifest.entities["doc"].indexes;
    assert!(
        place
            .iter()
            .any(|i| i.name == "place" && i.fields == [baas::manifest::IndexPart::field("place")]),
        "{place:#?}"
    );

    let Some(copy) =
        crate::support::mysql::TempDatabase::create_async("mariadb_features_copy").await
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        baas::manifest::to_toml(&live.manifest),
    )
    .unwrap();
    plan_apply_check(dir.path(), &copy.url());
}

/// Views whose columns are computed, one of each class PostgreSQL types
/// itself: arithmetic across integer, numeric and float types, casts,
/// literals, comparisons, string functions and `||`, `CASE`, `COALESCE`,
/// `NULLIF`, `GREATEST`/`LEAST`, aggregates and window functions, date and
/// time functions and operators, JSON operators, arrays, enums and
/// domains, and columns of joins, subqueries, `WITH` queries and unions.
const PG_COMPUTED_VIEWS: &str = "
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE item (
  id integer PRIMARY KEY, big bigint NOT NULL, small smallint, score integer NOT NULL,
  price numeric(10,2), ratio real, weight double precision, name varchar(40) NOT NULL,
  code char(3), body text, flag boolean, data jsonb, raw json, created_at timestamp NOT NULL,
  seen_at timestamptz, day date, span interval, tags varchar(10)[], m mood, p positive,
  at3 timestamp(3), amount numeric(12,4)
);
CREATE TABLE owner (id integer PRIMARY KEY, item_id integer, label text NOT NULL);
CREATE VIEW v_expr AS SELECT
  id, score * 2 AS doubled, score + big AS sum_big, score * price AS sp, score / 2 AS half,
  price * 2 AS price2, ratio * 2 AS r2, weight + 1 AS w1, score + 1.5 AS s15, -score AS neg,
  score % 3 AS m, small + small AS ss, id::real * 2 AS fr, id * 1.5::real AS fr2, p + 1 AS p1,
  lower(name) AS key, upper(body) AS ub, name || '-' || body AS cat, length(name) AS len,
  'x' || id AS xi, concat(name, id) AS ci, substring(name from 1 for 3) AS sub, trim(name) AS tr,
  position('a' in name) AS pos, lower(code) AS lc,
  price::numeric(10,2) AS p2, CAST(score AS bigint) AS sb, score::text AS st,
  name::varchar(10) AS n10, CASE WHEN score > 0 THEN 'pos' ELSE 'neg' END AS sign,
  CASE WHEN flag THEN score ELSE big END AS cb, CASE WHEN id > 1 THEN amount END AS case_no_else,
  coalesce(name, body) AS nb, coalesce(score, 0) AS sc, coalesce(amount, price) AS cap,
  coalesce(amount, amount) AS caa, coalesce(m, 'sad') AS cm, coalesce(at3, at3) AS cat3,
  nullif(score, 0) AS nz, greatest(score, big) AS gb, least(price, 1) AS lp,
  round(amount, 1) AS ra, abs(amount) AS aa,
  data ->> 'k' AS dk, data -> 'k' AS dj, raw -> 'k' AS rj, raw ->> 'k' AS rk,
  data #>> '{a,b}' AS dp, jsonb_build_object('a', id) AS jb,
  now() AS at, now() - created_at AS age, created_at - created_at AS diff,
  date_trunc('day', created_at) AS dt, seen_at - interval '1 day' AS before,
  day + 1 AS next_day, day - day AS days, current_date AS today, age(at3) AS ag,
  at3 AT TIME ZONE 'UTC' AS utc, extract(year FROM created_at) AS yr,
  to_char(at3, 'YYYY') AS tc,
  score > 0 AS positive, flag AND score > 1 AS both, NOT flag AS nf, name IS NULL AS nn,
  score IN (1, 2) AS inn, name LIKE 'a%' AS lk, id BETWEEN 1 AND 3 AS bt,
  EXISTS (SELECT 1 FROM owner WHERE owner.item_id = item.id) AS ex,
  1 AS one, 'x' AS lit, 2.5 AS dec, true AS yes, NULL::integer AS nothing, NULL AS nul,
  code AS c3, tags[1] AS first_tag, array_length(tags, 1) AS al, ARRAY[id, 2] AS arr,
  row_number() OVER () AS rn
FROM item;
CREATE VIEW v_agg AS SELECT name, count(*) AS n, count(body) AS nb, sum(score) AS ss,
  sum(big) AS sb, sum(small) AS sm, sum(price) AS sp, avg(score) AS av, avg(weight) AS aw,
  min(name) AS mn, max(price) AS mx, max(created_at) AS last, bool_and(flag) AS ba,
  string_agg(name, ',') AS sa, array_agg(score) AS aa, array_agg(name) AS an, sum(ratio) AS sr,
  max(code) AS mc, max(m) AS mm, max(at3) AS mat3, sum(span) AS ssp, avg(span) AS asp,
  count(DISTINCT id) AS cd
FROM item GROUP BY name;
CREATE VIEW v_join AS SELECT i.id, i.name, o.label, o.id AS oid
  FROM item i LEFT JOIN owner o ON o.item_id = i.id;
CREATE VIEW v_sub AS SELECT s.id, s.d FROM (SELECT id, score * 2 AS d FROM item) s;
CREATE VIEW v_nest AS
  SELECT q.x FROM (SELECT t.y * 2 AS x FROM (SELECT amount AS y FROM item) t) q;
CREATE VIEW v_cte AS WITH t AS (SELECT id, lower(name) AS k FROM item) SELECT t.id, t.k FROM t;
CREATE VIEW v_cte2 AS WITH a(x, y) AS (SELECT id, name FROM item), b AS (SELECT x * 2 AS z FROM a)
  SELECT a.x, a.y, b.z FROM a CROSS JOIN b;
CREATE VIEW v_union AS SELECT id, name FROM item UNION SELECT id, label FROM owner;
CREATE VIEW v_union2 AS SELECT score AS x FROM item UNION ALL SELECT big FROM item;
CREATE VIEW v_union3 AS SELECT price AS x FROM item UNION ALL SELECT score FROM item;
CREATE VIEW v_union4 AS SELECT name AS v FROM item UNION SELECT code FROM item;
CREATE VIEW v_union5 AS SELECT price AS v FROM item UNION ALL SELECT price FROM item;
CREATE VIEW v_union6 AS SELECT 'a' AS v UNION SELECT 'b';
CREATE VIEW v_union7 AS SELECT id::real AS v FROM item UNION SELECT amount FROM item;
CREATE VIEW v_scalar AS
  SELECT id, (SELECT count(*) FROM owner o WHERE o.item_id = item.id) AS owners FROM item;
CREATE VIEW v_functions AS SELECT random() AS r, gen_random_uuid() AS u, md5(name) AS h FROM item;
";

/// A `pg_dump` of views over computed columns imports to the baas.toml of
/// the live database byte for byte: each column is typed from the query
/// the way the server typed it. Before, every view with a computed column
/// was a `view_columns` ledger line without fields from the dump.
#[tokio::test]
async fn computed_view_columns_of_a_pg_dump_are_typed_as_the_server_types_them() {
    let Some(database) = TempDatabase::create_async("sweep_view_types").await else {
        return;
    };
    database.psql(PG_COMPUTED_VIEWS);
    let live = crate::postgres::introspected_manifest(&database.url(), None);
    let dump = crate::postgres::pg_dump(&database, &["--schema-only"]);
    let dumped = crate::postgres::introspected_manifest("dump.sql", Some(("dump.sql", &dump)));
    assert_eq!(live, dumped, "pg_dump's dump:\n{dump}");
    for expected in [
        "doubled = { type = \"int32\", nullable = true }",
        "sb = { type = \"decimal\", nullable = true }",
        "cm = { type = \"enum\", enum = \"mood\", nullable = true }",
        "age = { type = \"interval\", nullable = true }",
    ] {
        assert!(live.contains(expected), "{expected}:\n{live}");
    }
}

/// A view column of a type the importer does not derive (a text search
/// vector) is not guessed from a dump: the view keeps no fields and its
/// ledger line names the column, on PostgreSQL as on MariaDB.
#[tokio::test]
async fn an_untypable_view_column_stays_in_the_ledger_of_a_dump() {
    let untypable = |introspection: &Introspection, view: &str, column: &str| {
        assert!(
            introspection.manifest.entities[view].fields.is_empty(),
            "{:#?}",
            introspection.manifest.entities[view].fields
        );
        let entries = introspection.ledger.entries();
        let entry = entries
            .iter()
            .find(|e| e.object == view && e.kind == "view_columns")
            .unwrap_or_else(|| panic!("no view_columns entry: {entries:#?}"));
        assert!(entry.message.contains(&format!("`{column}`")), "{entry:#?}");
    };
    if let Some(database) = TempDatabase::create_async("sweep_view_untypable").await {
        database.psql(
            "CREATE TABLE doc (id integer PRIMARY KEY, body text);
             CREATE VIEW doc_search AS SELECT id, to_tsvector('simple', body) AS terms FROM doc;",
        );
        let live = read_live(&database.url()).await;
        assert_eq!(live.manifest.entities["doc_search"].fields.len(), 2);
        let dump = crate::postgres::read_dump(&database, &["--schema-only"]).await;
        untypable(&dump, "doc_search", "terms");
    }
    if let Some((database, live)) = mariadb_with(
        "sweep_view_untypable",
        "CREATE TABLE doc (id int PRIMARY KEY, body text);
         CREATE VIEW doc_search AS SELECT id, uuid_short() + id AS terms FROM doc;",
    )
    .await
    {
        assert_eq!(live.manifest.entities["doc_search"].fields.len(), 2);
        let dump = crate::mysql::mariadb_dump_import(&database).await;
        untypable(&dump, "doc_search", "terms");
    }
}

/// MariaDB views whose columns are computed, one of each class the server
/// types itself: integer arithmetic (`int` or `bigint` by the result's
/// length, unsigned kept), decimal arithmetic and division, floats, casts,
/// literals, comparisons, string functions, `CASE`, `COALESCE`/`IFNULL`/
/// `IF`/`GREATEST`/`LEAST`, aggregates (grouped or not), date and JSON
/// functions, and columns of joins, subqueries, `WITH` queries and unions.
const MARIADB_COMPUTED_VIEWS: &str = "
CREATE TABLE item (
  id int NOT NULL PRIMARY KEY, big bigint NOT NULL, small smallint, tiny tinyint, med mediumint NOT NULL,
  score int NOT NULL, uns int unsigned, price decimal(10,2), ratio float, weight double,
  name varchar(40) NOT NULL, code char(3), body text, flag boolean, data json,
  created_at datetime NOT NULL, day date
);
CREATE TABLE owner (id int NOT NULL PRIMARY KEY, item_id int, label varchar(20) NOT NULL);
CREATE VIEW v_expr AS SELECT
  id, score * 2 AS doubled, score + big AS sum_big, score * price AS sp, score / 2 AS half,
  price * 2 AS price2, ratio * 2 AS r2, weight + 1 AS w1, score + 1.5 AS s15, -score AS neg,
  small + small AS ss, tiny * 2 AS t2, uns + 1 AS u1, med + tiny AS mt, -tiny AS nt, price / 3 AS p3,
  lower(name) AS lname, upper(name) AS uname, concat(name, '-', code) AS cat, length(name) AS len,
  char_length(name) AS cl,
  CAST(price AS decimal(8,1)) AS p2, CAST(score AS signed) AS sb, CAST(big AS unsigned) AS ub2,
  CAST(day AS datetime) AS dtm, CAST(name AS date) AS cd, date(created_at) AS dt,
  coalesce(score, 0) AS sc, ifnull(small, 0) AS isn, coalesce(name, 'abc') AS cn, greatest(score, big) AS gb,
  least(price, 1) AS lp, if(flag, score, price) AS ifv, coalesce(med, tiny) AS cmt,
  json_extract(data, '$.k') AS dk, json_value(data, '$.k') AS dv, json_unquote(json_extract(data, '$.k')) AS du,
  now() AS at, current_timestamp AS ct, curdate() AS today,
  score > 0 AS positive, flag AND score > 1 AS both_, NOT flag AS nf, name IS NULL AS nn,
  score IN (1, 2) AS inn, name LIKE 'a%' AS lk, score BETWEEN 1 AND 3 AS bt,
  1 AS one, 'x' AS lit, 2.5 AS dec_, 2.50 AS dec2, 1e2 AS dbl, true AS yes, NULL AS nothing,
  12345678901 AS bigl, 1 + 1 AS two
FROM item;
CREATE VIEW v_agg AS SELECT name, count(*) AS n, count(body) AS nb, sum(score) AS ss, sum(big) AS sb,
  sum(small) AS sm, sum(price) AS sp, avg(score) AS av, avg(price) AS ap, avg(weight) AS aw,
  min(name) AS mn, max(price) AS mx, max(created_at) AS last, group_concat(name) AS gc,
  sum(ratio) AS sr, sum(uns) AS su, max(score) AS ms
FROM item GROUP BY name;
CREATE VIEW v_total AS SELECT count(*) AS n, max(score) AS top, score AS any_score FROM item;
CREATE VIEW v_case AS SELECT CASE WHEN flag THEN score ELSE big END AS c1,
  CASE WHEN score > 1 THEN score ELSE big END AS c2, CASE WHEN score > 1 THEN score ELSE 0 END AS c3,
  CASE WHEN flag THEN 'a' ELSE 'bb' END AS c4, CASE WHEN score > 1 THEN price ELSE score END AS c5,
  CASE WHEN score > 1 THEN name END AS c6, CASE score WHEN 1 THEN score ELSE big END AS c7,
  CASE WHEN score > 1 THEN name ELSE 'x' END AS c8 FROM item;
CREATE VIEW v_join AS SELECT i.id, i.name, o.label, o.id AS oid FROM item i LEFT JOIN owner o ON o.item_id = i.id;
CREATE VIEW v_sub AS SELECT s.id, s.d FROM (SELECT id, score * 2 AS d FROM item) s;
CREATE VIEW v_cte AS WITH t AS (SELECT id, lower(name) AS k FROM item) SELECT t.id, t.k FROM t;
CREATE VIEW v_union AS SELECT id, name FROM item UNION SELECT id, label FROM owner;
CREATE VIEW v_union2 AS SELECT score AS x FROM item UNION ALL SELECT big FROM item;
CREATE VIEW v_mod AS SELECT id % 3 AS a, big MOD 7 AS b, small % 2 AS c, price % 3 AS d,
  ratio % 2 AS e, uns % 5 AS f, mod(id, 4) AS g, id % big AS h, price % id AS i, id % price AS j FROM item;
CREATE VIEW v_union3 AS SELECT price AS x FROM item UNION ALL SELECT score FROM item;
CREATE VIEW v_scalar AS SELECT id, (SELECT count(*) FROM owner o WHERE o.item_id = item.id) AS owners FROM item;
";

/// A `mariadb-dump` of views over computed columns reads to the manifest
/// of the live database, byte for byte: each column's type, length,
/// precision, nullability and collation are what the server reports.
/// Before, every such view was a `view_columns` ledger line without fields
/// from the dump.
#[tokio::test]
async fn computed_view_columns_of_a_mariadb_dump_are_typed_as_the_server_types_them() {
    let Some((database, live)) = mariadb_with("sweep_view_types", MARIADB_COMPUTED_VIEWS).await
    else {
        return;
    };
    let mut dump = crate::mysql::mariadb_dump_import(&database).await;
    let entries = dump.ledger.entries();
    assert!(
        !entries.iter().any(|e| e.kind == "view_columns"),
        "{entries:#?}"
    );
    // The same manifest but for the names of the source.
    dump.manifest.project = live.manifest.project.clone();
    dump.manifest.source = live.manifest.source.clone();
    assert_eq!(
        baas::manifest::to_toml(&live.manifest),
        baas::manifest::to_toml(&dump.manifest)
    );
    let view = &live.manifest.entities["v_expr"].fields;
    assert_eq!(view["doubled"].ty, baas::manifest::FieldType::Int64);
    assert_eq!(view["ss"].ty, baas::manifest::FieldType::Int32);
    assert_eq!(
        (view["half"].precision, view["half"].scale),
        (Some(14), Some(4))
    );
}

/// Functions whose signature uses a table's row type, as GitLab's
/// `structure.sql` has them (`RETURNS namespaces`), and the other ways a
/// signature names one: `SETOF`, an argument, an array of rows, a `TABLE`
/// result; besides, a domain as an argument and a result.
const ROW_TYPE_FUNCTIONS: &str = "
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE namespaces (id integer PRIMARY KEY, name text, m mood);
CREATE FUNCTION find_namespaces_by_id(namespaces_id bigint) RETURNS namespaces
    LANGUAGE plpgsql STABLE COST 1 PARALLEL SAFE
    AS $$ BEGIN return (SELECT namespaces FROM namespaces WHERE id = namespaces_id LIMIT 1); END; $$;
CREATE FUNCTION all_namespaces() RETURNS SETOF public.namespaces LANGUAGE sql STABLE
    AS $$ SELECT * FROM namespaces $$;
CREATE FUNCTION label(n namespaces, suffix text DEFAULT '') RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT n.name || suffix $$;
CREATE FUNCTION counted(ns namespaces[]) RETURNS integer LANGUAGE sql IMMUTABLE
    AS $$ SELECT array_length(ns, 1) $$;
CREATE FUNCTION pairs() RETURNS TABLE(a namespaces, b mood) LANGUAGE sql STABLE
    AS $$ SELECT n, n.m FROM namespaces n $$;
CREATE FUNCTION twice(p positive, OUT doubled positive) LANGUAGE sql IMMUTABLE
    AS $$ SELECT (p * 2)::positive $$;
";

/// Each function depends on the table (or domain) its signature uses,
/// alike live and from a `pg_dump`, so that a plan of either manifest makes
/// the table before the function and applies. Before, a dump's functions
/// depended on nothing (the plan made `find_namespaces_by_id` before
/// `namespaces`: type "namespaces" does not exist), and live, an array of
/// rows was no dependency either.
#[tokio::test]
async fn functions_using_a_row_type_depend_on_its_table_live_and_from_a_dump() {
    let Some(database) = TempDatabase::create_async("sweep_row_type_functions").await else {
        return;
    };
    database.psql(ROW_TYPE_FUNCTIONS);
    let live = read_live(&database.url()).await;
    let depends_on = |name: &str| -> Vec<String> {
        live.manifest
            .postgres
            .objects
            .iter()
            .find(|o| o.name.starts_with(name))
            .unwrap_or_else(|| panic!("no {name}: {:#?}", live.manifest.postgres.objects))
            .depends_on
            .clone()
    };
    for function in [
        "public.find_namespaces_by_id(",
        "public.all_namespaces(",
        "public.label(",
        "public.counted(",
        "public.pairs(",
    ] {
        assert_eq!(depends_on(function), ["entity namespaces"], "{function}");
    }
    assert_eq!(depends_on("public.twice("), ["domain public.positive"]);

    let dump = crate::postgres::read_dump(&database, &["--schema-only"]).await;
    let changes = diff(&live.manifest, &dump.manifest);
    assert!(
        changes.is_empty(),
        "{}",
        serde_json::to_string_pretty(&changes).unwrap()
    );
    applied_copy("sweep_row_type_functions_copy", &dump.manifest).await;
}

/// A PostgreSQL database of the test's own made by `script` (`None`
/// without a server), and what is read of it live and from its `pg_dump
/// --schema-only`, whose manifests and ledgers are checked alike.
async fn pg_read_alike(
    label: &str,
    script: &str,
) -> Option<(TempDatabase, Introspection, Introspection)> {
    let database = TempDatabase::create_async(label).await?;
    database.psql(script);
    let live = read_live(&database.url()).await;
    let dump = crate::postgres::read_dump(&database, &["--schema-only"]).await;
    let changes = diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "{changes:#?}");
    assert_eq!(ledger_lines(&live), ledger_lines(&dump));
    Some((database, live, dump))
}

/// What `baas introspect <source> --schema ...` reads, for each of `schemas`.
async fn read_schemas(source: &str, schemas: &[&str]) -> Introspection {
    let location = baas::source::SourceLocation::parse(source, Path::new("/")).unwrap();
    let options = IntrospectOptions {
        schemas: schemas.iter().map(|s| (*s).to_owned()).collect(),
        ..IntrospectOptions::default()
    };
    baas::backend::introspect(&location, &options, &Progress::hidden())
        .await
        .unwrap()
}

/// The ledger's lines, but for those naming a schema of the dump that is
/// not read (live introspection does not list the database's schemas).
fn ledger_lines(introspection: &Introspection) -> Vec<(String, String, String)> {
    introspection
        .ledger
        .entries()
        .into_iter()
        .filter(|e| e.kind != "schema")
        .map(|e| (e.object.clone(), e.kind.clone(), e.message.clone()))
        .collect()
}

/// GitLab's `structure.sql` keeps the partitions of its tables in schemas
/// of their own (`gitlab_partitions_static`, `_dynamic`), made as tables
/// with their parent's checks and attached; a partition of `public` has no
/// default where its parent has one (`pg_dump` writes `DEFAULT NULL`);
/// constraints are added `NOT VALID`.
const GITLAB_PARTITIONS: &str = "
CREATE SCHEMA gitlab_partitions_dynamic;
CREATE SCHEMA gitlab_partitions_static;
CREATE TABLE audit_events (
    id bigint NOT NULL,
    created_at timestamp without time zone NOT NULL,
    author_name text,
    CONSTRAINT check_83ff8406e2 CHECK ((char_length(author_name) <= 255))
) PARTITION BY RANGE (created_at);
CREATE TABLE gitlab_partitions_dynamic.audit_events_000000 (
    id bigint NOT NULL,
    created_at timestamp without time zone NOT NULL,
    author_name text,
    CONSTRAINT check_83ff8406e2 CHECK ((char_length(author_name) <= 255))
);
ALTER TABLE ONLY audit_events ATTACH PARTITION gitlab_partitions_dynamic.audit_events_000000
    FOR VALUES FROM (MINVALUE) TO ('2020-11-01 00:00:00');
CREATE SEQUENCE audit_events_id_seq;
ALTER SEQUENCE audit_events_id_seq OWNED BY audit_events.id;
ALTER TABLE ONLY audit_events ALTER COLUMN id SET DEFAULT nextval('audit_events_id_seq'::regclass);
ALTER TABLE audit_events ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id, created_at);
CREATE TABLE issue_stage_events (stage_event_hash_id bigint NOT NULL, issue_id bigint NOT NULL)
    PARTITION BY HASH (stage_event_hash_id);
CREATE TABLE gitlab_partitions_static.issue_stage_events_00 PARTITION OF issue_stage_events
    FOR VALUES WITH (modulus 2, remainder 0);
CREATE TABLE gitlab_partitions_static.issue_stage_events_01 PARTITION OF issue_stage_events
    FOR VALUES WITH (modulus 2, remainder 1);
CREATE TABLE p_ci_builds (id bigint NOT NULL, partition_id bigint NOT NULL, project_id bigint)
    PARTITION BY LIST (partition_id);
CREATE SEQUENCE ci_builds_id_seq;
ALTER TABLE ONLY p_ci_builds ALTER COLUMN id SET DEFAULT nextval('ci_builds_id_seq'::regclass);
CREATE TABLE ci_builds (id bigint NOT NULL, partition_id bigint NOT NULL, project_id bigint);
ALTER TABLE ONLY p_ci_builds ATTACH PARTITION ci_builds FOR VALUES IN ('100');
CREATE TABLE projects (id integer PRIMARY KEY, namespace_id integer);
ALTER TABLE projects ADD CONSTRAINT check_fa75869cb1 CHECK ((namespace_id IS NOT NULL)) NOT VALID;
ALTER TABLE ONLY projects ADD CONSTRAINT fk_parent FOREIGN KEY (namespace_id) REFERENCES projects(id) NOT VALID;
";

/// Read with `public` only, the live database and its `pg_dump` give the
/// same manifest and the same ledger: each partitioned table with
/// partitions in a schema not read says so and names the `--schema` that
/// reads them, a partition's missing default and the `NOT VALID`
/// constraints are named alike. Read with every schema, the dump's
/// partitions have no checks of their own (the server merged them with
/// their parent's when attached) and the plan makes the partitions'
/// schemas, so that it applies and `check` finds no drift. Before, the
/// partitions were left out without a word, the dump named `DEFAULT NULL`
/// an own default and no constraint `NOT VALID`, and the plan failed on a
/// schema that did not exist.
#[tokio::test]
async fn gitlab_partitions_in_schemas_of_their_own_are_named_or_read_and_planned() {
    let Some(database) = TempDatabase::create_async("sweep_gitlab_partitions").await else {
        return;
    };
    database.psql(GITLAB_PARTITIONS);
    let url = database.url();
    let dir = tempfile::tempdir().unwrap();
    let dump_path = dir.path().join("structure.sql");
    std::fs::write(
        &dump_path,
        crate::postgres::pg_dump(&database, &["--schema-only"]),
    )
    .unwrap();
    let dump_path = dump_path.display().to_string();

    let live = read_schemas(&url, &[]).await;
    let dump = read_schemas(&dump_path, &[]).await;
    let changes = diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "{changes:#?}");
    assert_eq!(ledger_lines(&live), ledger_lines(&dump));
    let line = |object: &str, kind: &str| -> String {
        live.ledger
            .entries()
            .into_iter()
            .find(|e| e.object == object && e.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} line for {object}: {:#?}", live.ledger))
            .message
            .clone()
    };
    assert!(
        line("audit_events", "partition").contains(
            "1 partition in schema `gitlab_partitions_dynamic`, which is not read: \
             a plan makes the table without it; pass `--schema gitlab_partitions_dynamic`"
        ),
        "{}",
        line("audit_events", "partition")
    );
    assert!(line("issue_stage_events", "partition").contains("2 partitions"));
    assert!(line("ci_builds", "partition").contains("no default"));
    assert!(line("projects", "not_valid").contains("check_fa75869cb1"));

    let all = [
        "public",
        "gitlab_partitions_static",
        "gitlab_partitions_dynamic",
    ];
    let live = read_schemas(&url, &all).await;
    let dump = read_schemas(&dump_path, &all).await;
    let changes = diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "{changes:#?}");
    assert_eq!(ledger_lines(&live), ledger_lines(&dump));
    assert_eq!(live.manifest.entities["audit_events"].partitions.len(), 1);

    let Some(copy) = applied_copy("sweep_gitlab_partitions_copy", &live.manifest).await else {
        return;
    };
    let copied = read_schemas(&copy.url(), &all).await;
    let changes = diff(&live.manifest, &copied.manifest);
    assert!(changes.is_empty(), "{changes:#?}");
}

/// A Supabase app's schema: a profile per user of `auth.users` (a schema
/// the app does not own), made by a trigger on `auth.users` that calls a
/// function of `public`.
const SUPABASE_PROFILES: &str = "
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY, raw_user_meta_data jsonb);
CREATE TABLE profiles (
  id uuid REFERENCES auth.users NOT NULL PRIMARY KEY,
  full_name text,
  avatar_url text
);
CREATE FUNCTION public.handle_new_user() RETURNS trigger SET search_path = '' AS $$
begin
  insert into public.profiles (id, full_name, avatar_url)
  values (new.id, new.raw_user_meta_data->>'full_name', new.raw_user_meta_data->>'avatar_url');
  return new;
end;
$$ LANGUAGE plpgsql SECURITY DEFINER;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users
  FOR EACH ROW EXECUTE PROCEDURE public.handle_new_user();
";

/// The trigger on `auth.users` is a `trigger` ledger line naming it, its
/// table and its function, alike live, from a `pg_dump` and from the
/// app's migration alone (without the table, as Supabase's starters write
/// it); the rest plans and applies to an empty database. Before, the
/// trigger was dropped without a word.
#[tokio::test]
async fn a_trigger_on_a_table_of_a_schema_not_read_is_named_in_the_ledger() {
    let Some((_database, live, _dump)) =
        pg_read_alike("sweep_supabase_trigger", SUPABASE_PROFILES).await
    else {
        return;
    };
    // A migration of the app alone, as `supabase/migrations` keep them.
    let dir = tempfile::tempdir().unwrap();
    let migration = dir.path().join("20240101000000_profiles.sql");
    let app = SUPABASE_PROFILES
        .lines()
        .filter(|line| !line.contains("auth;") && !line.contains("auth.users (id"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&migration, app).unwrap();
    let public_only = read_schemas(&migration.display().to_string(), &[]).await;
    let trigger = |introspection: &Introspection| -> String {
        introspection
            .ledger
            .entries()
            .into_iter()
            .find(|e| e.kind == "trigger")
            .unwrap_or_else(|| panic!("no trigger line: {:#?}", introspection.ledger))
            .message
            .clone()
    };
    assert_eq!(
        trigger(&live),
        "trigger `on_auth_user_created` on `auth.users`, a table of a schema not read, \
         calls `public.handle_new_user`; the manifest has no table to carry it on and a plan \
         does not make it; pass `--schema auth` to read it"
    );
    assert_eq!(trigger(&public_only), trigger(&live));

    applied_copy("sweep_supabase_trigger_copy", &live.manifest).await;
}

/// Views with options and a check option (`pg_dump` writes `WITH
/// (security_invoker='true')` before the query and `WITH CASCADED CHECK
/// OPTION` after it), and a foreign key `MATCH FULL`.
const VIEW_OPTIONS: &str = "
CREATE TABLE accounts (id bigint PRIMARY KEY, parent_id bigint, username text, domain text);
ALTER TABLE accounts ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES accounts(id) MATCH FULL;
CREATE VIEW local_accounts WITH (security_invoker = true) AS
  SELECT id, username FROM accounts WHERE domain IS NULL WITH CASCADED CHECK OPTION;
CREATE VIEW named_accounts AS SELECT id, username FROM accounts WHERE username IS NOT NULL
  WITH LOCAL CHECK OPTION;
CREATE VIEW checked_accounts AS SELECT id FROM accounts WHERE id > 0 WITH CHECK OPTION;
";

/// The dump reads each view, its options and its check option in the
/// server's order, and the `MATCH FULL`, to the manifest and ledger of the
/// live database. Before, a view with a check option was a skipped
/// statement (the view lost), a view's options and a foreign key's `MATCH
/// FULL` were not named.
#[tokio::test]
async fn a_dumps_view_options_check_options_and_match_full_read_as_live() {
    let Some((_database, _live, dump)) = pg_read_alike("sweep_view_options", VIEW_OPTIONS).await
    else {
        return;
    };
    let kinds: Vec<(String, String)> = ledger_lines(&dump)
        .into_iter()
        .map(|(object, kind, _)| (object, kind))
        .collect();
    let kind = |object: &str, kind: &str| (object.to_owned(), kind.to_owned());
    assert_eq!(
        kinds,
        [
            kind("accounts", "foreign_key_options"),
            kind("checked_accounts", "view_options"),
            kind("local_accounts", "view_options"),
            kind("named_accounts", "view_options"),
        ]
    );
    assert!(
        ledger_lines(&dump)
            .iter()
            .any(|(_, _, message)| message
                .contains("(security_invoker=true, check_option=cascaded)")),
        "{:#?}",
        dump.ledger
    );
}

/// MySQL `SET` columns with defaults, as WordPress-era and Magento schemas
/// have them: members joined by commas, the empty set, and none.
const MARIADB_SET_DEFAULTS: &str = "
CREATE TABLE prefs (
  id int NOT NULL PRIMARY KEY,
  flags set('read','write','admin') NOT NULL DEFAULT 'read,write',
  none set('x','y') NOT NULL DEFAULT '',
  one set('p','q') DEFAULT 'q',
  maybe set('m','n') DEFAULT NULL
);
";

/// A `SET` column's default is the list of its members, alike live and
/// from a dump; the plan writes it back and `check` finds no drift there,
/// then finds a default changed by hand. Before, any `SET` column with a
/// default made the whole introspection fail ("default of field `flags`
/// does not fit its type `array`", live and from a dump alike).
#[tokio::test]
async fn set_column_defaults_are_lists_of_members_and_round_trip() {
    use baas::manifest::{DefaultValue, Literal};
    let Some((database, live)) = mariadb_with("set_defaults", MARIADB_SET_DEFAULTS).await else {
        return;
    };
    let fields = &live.manifest.entities["prefs"].fields;
    let members = |names: &[&str]| {
        Some(DefaultValue::Literal(Literal::Array(
            names.iter().map(|n| Literal::String((*n).into())).collect(),
        )))
    };
    assert_eq!(fields["flags"].default, members(&["read", "write"]));
    assert_eq!(fields["none"].default, members(&[]));
    assert_eq!(fields["one"].default, members(&["q"]));
    assert_eq!(fields["maybe"].default, None);
    let dump = crate::mysql::mariadb_dump_import(&database).await;
    let changes = diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "the dump differs: {changes:#?}");

    let Some(copy) = crate::support::mysql::TempDatabase::create_async("set_defaults_copy").await
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        baas::manifest::to_toml(&live.manifest),
    )
    .unwrap();
    plan_apply_check(dir.path(), &copy.url());
    copy.execute(&["ALTER TABLE prefs ALTER flags SET DEFAULT 'admin'".to_owned()])
        .await;
    let (code, output) = run_in(dir.path(), &["check", "--db", &copy.url()]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("prefs.flags"), "{output}");
}
