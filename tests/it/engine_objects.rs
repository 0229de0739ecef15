//! PostgreSQL objects kept in `[postgres]` as the statement that creates
//! them (collations, text search dictionaries and configurations, composite
//! and range types, casts, row-level security policies and flags, rules,
//! extended statistics, event triggers, publications): a database that
//! holds them reads the same live and from its `pg_dump`, a plan of it makes
//! them on an empty database that then reads the same, and one changed by
//! hand is drift named by its key.

use baas::introspect::Introspection;
use baas::manifest::Manifest;

use crate::postgres::{introspect, read_dump};
use crate::support::postgres::TempDatabase;
use crate::support::run_in;

/// The manifest's schema as `baas.toml` text: its entities, enums and
/// `[postgres]` objects (not where it was read from).
fn schema_text(manifest: &Manifest) -> String {
    baas::manifest::to_toml(&Manifest {
        entities: manifest
            .entities
            .iter()
            .filter(|(name, _)| !name.starts_with("_baas"))
            .map(|(name, entity)| (name.clone(), entity.clone()))
            .collect(),
        enums: manifest.enums.clone(),
        postgres: manifest.postgres.clone(),
        ..Manifest::default()
    })
}

/// The database's objects, each made by SQL as a user would.
fn script(reader: &str) -> String {
    format!(
        r#"
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TEXT SEARCH DICTIONARY english_stem_keep (TEMPLATE = snowball, language = english);
CREATE TEXT SEARCH CONFIGURATION docs_search (COPY = english);
ALTER TEXT SEARCH CONFIGURATION docs_search
    ALTER MAPPING FOR asciiword, word WITH english_stem_keep, simple;
ALTER TEXT SEARCH CONFIGURATION docs_search DROP MAPPING FOR int, uint;
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE FUNCTION mood_rank(mood) RETURNS integer LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE $1 WHEN 'sad' THEN 0 ELSE 1 END $$;
CREATE CAST (mood AS integer) WITH FUNCTION mood_rank(mood) AS ASSIGNMENT;
CREATE TABLE docs (
    id integer PRIMARY KEY,
    mood mood,
    owner text NOT NULL,
    title text COLLATE nocase,
    body text
);
CREATE VIEW doc_titles AS SELECT id, title FROM docs;
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE docs FORCE ROW LEVEL SECURITY;
CREATE POLICY docs_everyone ON docs USING (true);
CREATE POLICY docs_insert ON docs AS RESTRICTIVE FOR INSERT
    WITH CHECK (owner = current_user AND title IS NOT NULL);
CREATE POLICY "Owners read" ON docs FOR SELECT TO {reader}, current_user USING (owner = current_user);
CREATE RULE docs_keep_root AS ON DELETE TO docs WHERE old.owner = 'root' DO INSTEAD NOTHING;
CREATE RULE doc_titles_update AS ON UPDATE TO doc_titles
    DO INSTEAD UPDATE docs SET title = new.title WHERE id = old.id;
CREATE PUBLICATION docs_changes FOR TABLE docs WITH (publish = 'insert, update');
CREATE TABLE notes (id integer PRIMARY KEY, n integer, "Body" text);
CREATE PUBLICATION notes_some FOR TABLE notes (id, "Body") WHERE (n > 0), docs
    WITH (publish = 'insert');
CREATE PUBLICATION public_tables FOR TABLES IN SCHEMA public;
CREATE PUBLICATION all_tables FOR ALL TABLES WITH (publish_via_partition_root = true);
CREATE STATISTICS docs_owner_title (dependencies, ndistinct) ON owner, title FROM docs;
CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER note_table_ddl ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE') EXECUTE FUNCTION note_ddl();
ALTER EVENT TRIGGER note_table_ddl ENABLE ALWAYS;
ALTER TABLE docs DISABLE RULE docs_keep_root;
CREATE FUNCTION isum(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + $2 $$;
CREATE FUNCTION isub(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT $1 - $2 $$;
CREATE AGGREGATE msum(integer) (SFUNC = isum, STYPE = integer, INITCOND = '0',
    MSFUNC = isum, MINVFUNC = isub, MSTYPE = integer, MINITCOND = '0', PARALLEL = SAFE);
CREATE AGGREGATE mymax(integer) (SFUNC = int4larger, STYPE = integer, SORTOP = >);
CREATE AGGREGATE my_pct(double precision ORDER BY double precision) (
    SFUNC = ordered_set_transition, STYPE = internal, FINALFUNC = percentile_disc_final,
    FINALFUNC_EXTRA);
CREATE AGGREGATE my_rank(VARIADIC "any" ORDER BY VARIADIC "any") (
    SFUNC = ordered_set_transition_multi, STYPE = internal, FINALFUNC = rank_final,
    FINALFUNC_EXTRA, HYPOTHETICAL);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER docs_touch BEFORE UPDATE ON docs FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE docs ENABLE REPLICA TRIGGER docs_touch;
CREATE TRIGGER docs_touch_off AFTER INSERT ON docs FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE docs DISABLE TRIGGER docs_touch_off;
"#
    )
}

/// `source` read live and from its `pg_dump --schema-only`, which must
/// give the same schema; and that schema as `baas.toml` text.
async fn live_and_dump(source: &TempDatabase) -> (Introspection, Introspection, String) {
    let live = introspect(source, &[]).await;
    let dump = read_dump(source, &["--schema-only"]).await;
    let live_text = schema_text(&live.manifest);
    assert_eq!(
        live_text,
        schema_text(&dump.manifest),
        "live and dump differ"
    );
    (live, dump, live_text)
}

/// `manifest` planned, applied to an empty database (`label`) that then
/// has no drift and reads the same (nothing stored as `jsonb` on the way);
/// then `hand_change` run on it is drift that names each of `named`.
async fn plan_apply_and_change_by_hand(
    label: &str,
    manifest: &Manifest,
    hand_change: &str,
    named: &[&str],
) {
    let Some(target) = TempDatabase::create_async(label).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        baas::manifest::to_toml(manifest),
    )
    .unwrap();
    for args in [
        &["migrate", "plan", "--name", "init", "--yes"][..],
        &["migrate", "apply", "--db", &target.url(), "--yes"],
        &["check", "--db", &target.url()],
    ] {
        let (code, output) = run_in(dir.path(), args);
        assert_eq!(code, Some(0), "baas {}:\n{output}", args.join(" "));
        assert!(!output.contains("jsonb"), "{output}");
    }
    let applied = introspect(&target, &[]).await;
    assert_eq!(schema_text(&applied.manifest), schema_text(manifest));

    target.psql(hand_change);
    let (code, output) = run_in(dir.path(), &["check", "--db", &target.url()]);
    assert_eq!(code, Some(1), "{output}");
    for named in named {
        assert!(output.contains(named), "{named} not in\n{output}");
    }
}

/// Each kind is carried: read alike live and from the dump, planned onto
/// an empty database that then reads the same, and a hand change is drift.
#[tokio::test]
async fn postgres_objects_round_trip_live_dump_and_plan() {
    let Some(mut source) = TempDatabase::create_async("engobj").await else {
        return;
    };
    let reader = source.role("reader", "unused");
    source.psql(&script(&reader));
    let (live, dump, live_text) = live_and_dump(&source).await;
    for expected in [
        "[[postgres.collations]]\nname = \"public.nocase\"\nsql = \"CREATE COLLATION nocase (provider = icu, deterministic = false, locale = 'und-u-ks-level2')\"",
        "[[postgres.policies]]\nname = \"docs_everyone ON public.docs\"\ndepends_on = [\"entity docs\"]\nsql = \"CREATE POLICY docs_everyone ON docs USING (true)\"",
        "name = \"docs_insert ON public.docs\"",
        "AS RESTRICTIVE FOR INSERT WITH CHECK (((owner = CURRENT_USER) AND (title IS NOT NULL)))",
        "name = \"\\\"Owners read\\\" ON public.docs\"",
        "[[postgres.rules]]\nname = \"doc_titles_update ON public.doc_titles\"",
        "DO INSTEAD NOTHING",
        "[[postgres.statistics]]\nname = \"public.docs_owner_title\"",
        "[[postgres.event_triggers]]\nname = \"note_table_ddl\"\ndepends_on = [\"function public.note_ddl()\"]",
        "WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE') EXECUTE FUNCTION note_ddl(); ALTER EVENT TRIGGER note_table_ddl ENABLE ALWAYS\"",
        "DO INSTEAD NOTHING; ALTER TABLE docs DISABLE RULE docs_keep_root\"",
        "EXECUTE FUNCTION touch(); ALTER TABLE docs ENABLE REPLICA TRIGGER docs_touch\"",
        "EXECUTE FUNCTION touch(); ALTER TABLE docs DISABLE TRIGGER docs_touch_off\"",
        "row_level_security = true\nforce_row_level_security = true",
        "[[postgres.publications]]\nname = \"docs_changes\"\ndepends_on = [\"entity docs\"]\nsql = \"CREATE PUBLICATION docs_changes WITH (publish = 'insert, update'); ALTER PUBLICATION docs_changes ADD TABLE ONLY docs\"",
        "ALTER PUBLICATION notes_some ADD TABLE ONLY docs; ALTER PUBLICATION notes_some ADD TABLE ONLY notes (id, \\\"Body\\\") WHERE ((n > 0))\"",
        "CREATE PUBLICATION public_tables WITH (publish = 'insert, update, delete, truncate'); ALTER PUBLICATION public_tables ADD TABLES IN SCHEMA public\"",
        "CREATE PUBLICATION all_tables FOR ALL TABLES WITH (publish = 'insert, update, delete, truncate', publish_via_partition_root = true)\"",
        "\n    STYPE = integer,\n    INITCOND = '0',\n    MSFUNC = public.isum,\n    MINVFUNC = public.isub,\n    MSTYPE = integer,\n    MINITCOND = '0',\n    PARALLEL = safe\n)",
        "CREATE AGGREGATE public.mymax(integer) (\n    SFUNC = int4larger,\n    STYPE = integer,\n    SORTOP = OPERATOR(pg_catalog.>)\n)",
        "name = \"public.my_pct(double precision ORDER BY double precision)\"\nkind = \"aggregate\"",
        "FINALFUNC = rank_final,\n    FINALFUNC_EXTRA,\n    HYPOTHETICAL\n)",
        "[[postgres.text_search_dictionaries]]\nname = \"public.english_stem_keep\"\nsql = \"CREATE TEXT SEARCH DICTIONARY english_stem_keep ( TEMPLATE = pg_catalog.snowball, language = 'english' )\"",
        "[[postgres.text_search_configurations]]\nname = \"public.docs_search\"\ndepends_on = [\"text search dictionary public.english_stem_keep\"]\nsql = \"CREATE TEXT SEARCH CONFIGURATION docs_search ( PARSER = pg_catalog.\\\"default\\\" ); ALTER TEXT SEARCH CONFIGURATION docs_search ADD MAPPING FOR asciiword WITH english_stem_keep, simple; ALTER TEXT SEARCH CONFIGURATION docs_search ADD MAPPING FOR word WITH english_stem_keep, simple; ALTER TEXT SEARCH CONFIGURATION docs_search ADD MAPPING FOR numword WITH simple;",
        "ALTER TEXT SEARCH CONFIGURATION docs_search ADD MAPPING FOR \\\"float\\\" WITH simple",
        "[[postgres.casts]]\nname = \"(mood AS integer)\"\ndepends_on = [\"function public.mood_rank(mood)\"]\nsql = \"CREATE CAST (mood AS integer) WITH FUNCTION mood_rank(mood) AS ASSIGNMENT\"",
    ] {
        assert!(
            live_text.contains(expected),
            "{expected}\nnot in\n{live_text}"
        );
    }
    assert!(
        live_text.contains(&format!("FOR SELECT TO {reader}"))
            || live_text.contains(&format!(", {reader} USING")),
        "{live_text}"
    );
    for (label, introspection) in [("live", &live), ("dump", &dump)] {
        let ledger = crate::support::ledger_text(introspection);
        for kind in [
            "policy",
            "rule",
            "collation",
            "statistics",
            "event trigger",
            "FORCE",
            "dictionary",
            "configuration",
            "cast",
            "publication",
            "aggregate",
        ] {
            assert!(
                !ledger.contains(kind),
                "{label} ledger names {kind}:\n{ledger}"
            );
        }
    }

    // Plan → apply to an empty database → the same schema, no drift; a
    // hand change to each is drift, named by its key.
    plan_apply_and_change_by_hand(
        "engobj_target",
        &live.manifest,
        "ALTER POLICY docs_everyone ON docs USING (false);\n\
         ALTER TABLE docs ENABLE RULE docs_keep_root;\n\
         ALTER TABLE docs ENABLE TRIGGER docs_touch;\n\
         ALTER TABLE docs ENABLE TRIGGER docs_touch_off;\n\
         DROP STATISTICS docs_owner_title;\n\
         ALTER TABLE docs NO FORCE ROW LEVEL SECURITY;\n\
         DROP EVENT TRIGGER note_table_ddl;\n\
         CREATE COLLATION by_hand (provider = icu, locale = 'und');\n\
         DROP CAST (mood AS integer);\n\
         DROP AGGREGATE my_pct(double precision ORDER BY double precision);\n\
         ALTER PUBLICATION docs_changes SET (publish = 'insert');\n\
         ALTER PUBLICATION notes_some SET TABLE notes (id) WHERE (n > 1);\n\
         ALTER PUBLICATION public_tables DROP TABLES IN SCHEMA public;\n\
         ALTER TEXT SEARCH DICTIONARY english_stem_keep (StopWords = english);\n\
         ALTER TEXT SEARCH CONFIGURATION docs_search DROP MAPPING FOR email;\n",
        &[
            "policy docs_everyone ON public.docs",
            "rule docs_keep_root ON public.docs",
            "trigger docs_touch ON public.docs",
            "trigger docs_touch_off ON public.docs",
            "statistics public.docs_owner_title",
            "event trigger note_table_ddl",
            "collation public.by_hand",
            "cast (mood AS integer)",
            "aggregate public.my_pct(double precision ORDER BY double precision)",
            "publication docs_changes",
            "publication notes_some",
            "publication public_tables",
            "text search dictionary public.english_stem_keep",
            "text search configuration public.docs_search",
            "row-level security forced on the owner",
        ],
    )
    .await;
}

/// Composite and range types, each made by SQL as a user would: nested,
/// collated, used by a column, by an array column, by a domain, or only by
/// a function.
const TYPES: &str = r#"
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TYPE pair AS (a integer, b text COLLATE "C", c text COLLATE nocase);
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TYPE timerange AS RANGE (subtype = time);
CREATE TYPE "Nested" AS (p pair, r floatrange, "when" timerange[]);
CREATE TYPE empty_type AS ();
CREATE DOMAIN positive_pair AS pair CHECK ((VALUE).a > 0);
CREATE TYPE only_returned AS (x integer, y integer);
CREATE FUNCTION make_pair(integer) RETURNS only_returned LANGUAGE sql IMMUTABLE
    AS $$ SELECT $1, $1 $$;
CREATE TABLE shapes (
    id integer PRIMARY KEY,
    p pair,
    ps pair[],
    n "Nested",
    d positive_pair,
    r floatrange,
    rs floatmultirange
);
"#;

/// A database whose columns use composite and range types reads alike live
/// and from its dump, with the types carried in `[[postgres.types]]` (not
/// in the ledger, nor the functions and casts a range type comes with), and
/// a plan of it makes them before the domains, functions and tables that
/// use them; a type changed or dropped by hand is drift named by its key.
#[tokio::test]
async fn postgres_composite_and_range_types_round_trip_live_dump_and_plan() {
    let Some(source) = TempDatabase::create_async("engtypes").await else {
        return;
    };
    source.psql(TYPES);
    let (live, dump, live_text) = live_and_dump(&source).await;
    for expected in [
        "[[postgres.types]]\nname = \"public.\\\"Nested\\\"\"\ndepends_on = [\"type public.floatrange\", \"type public.pair\", \"type public.timerange\"]\nsql = \"CREATE TYPE \\\"Nested\\\" AS ( p pair, r floatrange, \\\"when\\\" timerange[] )\"",
        "[[postgres.types]]\nname = \"public.empty_type\"\nsql = \"CREATE TYPE empty_type AS ( )\"",
        "[[postgres.types]]\nname = \"public.floatrange\"\nsql = \"CREATE TYPE floatrange AS RANGE ( subtype = double precision, multirange_type_name = floatmultirange, subtype_diff = float8mi )\"",
        "[[postgres.types]]\nname = \"public.pair\"\nsql = \"CREATE TYPE pair AS ( a integer, b text COLLATE pg_catalog.\\\"C\\\", c text COLLATE nocase )\"",
        "[[postgres.types]]\nname = \"public.timerange\"\nsql = \"CREATE TYPE timerange AS RANGE ( subtype = time without time zone, multirange_type_name = timemultirange )\"",
        "[[postgres.domains]]\nname = \"public.positive_pair\"\ndepends_on = [\"type public.pair\"]",
        "name = \"public.make_pair(integer)\"\ndepends_on = [\"type public.only_returned\"]",
        "[[postgres.types]]\nname = \"public.only_returned\"",
    ] {
        assert!(
            live_text.contains(expected),
            "{expected}\nnot in\n{live_text}"
        );
    }
    // A range's constructors and casts come with it: not listed.
    assert!(!live_text.contains("range_constructor"), "{live_text}");
    assert!(!live_text.contains("[[postgres.casts]]"), "{live_text}");
    for (label, introspection) in [("live", &live), ("dump", &dump)] {
        let ledger = crate::support::ledger_text(introspection);
        assert_eq!(ledger, "", "{label} ledger");
    }

    // Plan → apply to an empty database → the same schema, no drift; a
    // hand change to each is drift, named by its key.
    plan_apply_and_change_by_hand(
        "engtypes_target",
        &live.manifest,
        "ALTER TYPE pair ADD ATTRIBUTE d integer;\n\
         ALTER TYPE only_returned RENAME ATTRIBUTE y TO z;\n\
         DROP TYPE empty_type;\n",
        &[
            "type public.pair",
            "type public.only_returned",
            "type public.empty_type",
        ],
    )
    .await;
}

/// A policy naming a role (Supabase's `TO authenticated`) planned onto a
/// server that lacks the role: the plan makes the role (without login)
/// before the policy instead of stopping halfway, and the database then
/// reads the same.
#[tokio::test]
async fn a_role_a_policy_names_is_made_where_the_server_lacks_it() {
    let Some(mut target) = TempDatabase::create_async("engroles_target").await else {
        return;
    };
    // Made here so that it is dropped with the target database at the end.
    let role = target.role("authenticated", "unused");
    let Some(source) = TempDatabase::create_async("engroles").await else {
        return;
    };
    source.psql(&format!(
        "CREATE TABLE notes (id integer PRIMARY KEY, owner text);\n\
         ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n\
         CREATE POLICY notes_read ON notes FOR SELECT TO {role}, current_user USING (owner = current_user);\n"
    ));
    let live = introspect(&source, &[]).await;
    drop(source);
    // A fresh server: the role is not there.
    target.execute(&[format!("DROP ROLE \"{role}\"")]).await;

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        baas::manifest::to_toml(&live.manifest),
    )
    .unwrap();
    let (code, output) = run_in(dir.path(), &["migrate", "plan", "--name", "init", "--yes"]);
    assert_eq!(code, Some(0), "{output}");
    let up = std::fs::read_to_string(dir.path().join("migrations/0001_init/up.sql")).unwrap();
    assert!(
        up.contains(&format!("-- a policy names role `{role}`: made (NOLOGIN)"))
            && up.find(&format!("CREATE ROLE \"{role}\" NOLOGIN")) < up.find("CREATE POLICY"),
        "{up}"
    );
    apply_and_check(dir.path(), &target);
    let applied = introspect(&target, &[]).await;
    assert_eq!(schema_text(&applied.manifest), schema_text(&live.manifest));
    assert!(
        schema_text(&live.manifest).contains(&format!(" {role}")),
        "{}",
        schema_text(&live.manifest)
    );
}

/// One object of each kind `[postgres]` carries, each with a comment
/// (quotes, several lines).
const COMMENTED: &str = r#"
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TEXT SEARCH DICTIONARY english_stem_keep (TEMPLATE = snowball, language = english);
CREATE TEXT SEARCH CONFIGURATION docs_search (PARSER = default);
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TYPE pair AS (a integer, b text);
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE SEQUENCE tickets START 100;
CREATE FUNCTION mood_rank(mood) RETURNS integer LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE $1 WHEN 'sad' THEN 0 ELSE 1 END $$;
CREATE CAST (mood AS integer) WITH FUNCTION mood_rank(mood);
CREATE FUNCTION add_days(d date, n integer DEFAULT 1) RETURNS date LANGUAGE sql IMMUTABLE
    AS $$ SELECT d + n $$;
CREATE PROCEDURE tidy(keep integer) LANGUAGE sql AS $$ SELECT keep $$;
CREATE AGGREGATE total(integer) (SFUNC = int4pl, STYPE = integer);
CREATE AGGREGATE my_pct(double precision ORDER BY double precision) (
    SFUNC = ordered_set_transition, STYPE = internal, FINALFUNC = percentile_disc_final,
    FINALFUNC_EXTRA);
CREATE TABLE docs (id integer PRIMARY KEY, owner text, title text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Owners read" ON docs FOR SELECT USING (owner = current_user);
CREATE RULE docs_keep_root AS ON DELETE TO docs WHERE old.owner = 'root' DO INSTEAD NOTHING;
CREATE STATISTICS docs_owner_title (dependencies) ON owner, title FROM docs;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER docs_touch BEFORE UPDATE ON docs FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER note_ddl ON ddl_command_end EXECUTE FUNCTION note_ddl();
CREATE PUBLICATION docs_changes FOR TABLE docs;
COMMENT ON COLLATION nocase IS 'compares without case';
COMMENT ON TEXT SEARCH DICTIONARY english_stem_keep IS 'stems English';
COMMENT ON TEXT SEARCH CONFIGURATION docs_search IS 'searches docs';
COMMENT ON TYPE pair IS 'two values';
COMMENT ON TYPE floatrange IS 'a range of floats';
COMMENT ON DOMAIN posint IS 'above zero';
COMMENT ON SEQUENCE tickets IS 'ticket numbers';
COMMENT ON FUNCTION mood_rank(mood) IS 'orders moods';
COMMENT ON CAST (mood AS integer) IS 'a mood''s rank';
COMMENT ON FUNCTION add_days(date, integer) IS 'adds days:
n of them, one by default';
COMMENT ON PROCEDURE tidy(integer) IS 'tidies up';
COMMENT ON AGGREGATE total(integer) IS 'sums';
COMMENT ON AGGREGATE my_pct(double precision ORDER BY double precision) IS 'a percentile';
COMMENT ON POLICY "Owners read" ON docs IS 'owners read theirs';
COMMENT ON RULE docs_keep_root ON docs IS 'root stays';
COMMENT ON STATISTICS docs_owner_title IS 'owner and title go together';
COMMENT ON FUNCTION touch() IS 'touches a row';
COMMENT ON TRIGGER docs_touch ON docs IS 'touches on update';
COMMENT ON EVENT TRIGGER note_ddl IS 'notes DDL';
COMMENT ON PUBLICATION docs_changes IS 'what changes in docs';
"#;

/// A comment on any engine object is its `comment`, read alike live and
/// from the dump (they were dropped in silence live and skipped in a
/// dump); a plan writes it after the object, a comment changed or removed
/// by hand is drift, and a plan of only a changed comment is `COMMENT ON`
/// alone, never a drop and a create.
#[tokio::test]
async fn comments_on_postgres_objects_round_trip_live_dump_and_plan() {
    let Some(source) = TempDatabase::create_async("engcomments").await else {
        return;
    };
    source.psql(COMMENTED);
    let (live, dump, live_text) = live_and_dump(&source).await;
    for expected in [
        "name = \"public.nocase\"\ncomment = \"compares without case\"",
        "name = \"public.english_stem_keep\"\ncomment = \"stems English\"",
        "name = \"public.docs_search\"\ncomment = \"searches docs\"",
        "name = \"public.pair\"\ncomment = \"two values\"",
        "name = \"public.floatrange\"\ncomment = \"a range of floats\"",
        "name = \"public.posint\"\ncomment = \"above zero\"",
        "name = \"public.tickets\"\ncomment = \"ticket numbers\"",
        "name = \"public.mood_rank(mood)\"\ncomment = \"orders moods\"",
        "name = \"(mood AS integer)\"\ndepends_on = [\"function public.mood_rank(mood)\"]\ncomment = \"a mood's rank\"",
        "name = \"public.add_days(d date, n integer)\"\ncomment = \"\"\"\nadds days:\nn of them, one by default\"\"\"",
        "name = \"public.tidy(IN keep integer)\"\nkind = \"procedure\"\ncomment = \"tidies up\"",
        "name = \"public.total(integer)\"\nkind = \"aggregate\"\ncomment = \"sums\"",
        "kind = \"aggregate\"\ncomment = \"a percentile\"",
        "name = \"\\\"Owners read\\\" ON public.docs\"\ndepends_on = [\"entity docs\"]\ncomment = \"owners read theirs\"",
        "name = \"docs_keep_root ON public.docs\"\ndepends_on = [\"entity docs\"]\ncomment = \"root stays\"",
        "name = \"public.docs_owner_title\"\ndepends_on = [\"entity docs\"]\ncomment = \"owner and title go together\"",
        "name = \"public.touch()\"\ncomment = \"touches a row\"",
        "comment = \"touches on update\"",
        "name = \"note_ddl\"\ndepends_on = [\"function public.note_ddl()\"]\ncomment = \"notes DDL\"",
        "name = \"docs_changes\"\ndepends_on = [\"entity docs\"]\ncomment = \"what changes in docs\"",
    ] {
        assert!(
            live_text.contains(expected),
            "{expected}\nnot in\n{live_text}"
        );
    }
    for (label, introspection) in [("live", &live), ("dump", &dump)] {
        let ledger = crate::support::ledger_text(introspection);
        assert_eq!(ledger, "", "{label} ledger");
    }

    plan_apply_and_change_by_hand(
        "engcomments_target",
        &live.manifest,
        "COMMENT ON FUNCTION add_days(date, integer) IS 'changed';\n\
         COMMENT ON TRIGGER docs_touch ON docs IS NULL;\n\
         COMMENT ON AGGREGATE total(integer) IS NULL;\n\
         COMMENT ON CAST (mood AS integer) IS 'changed';\n",
        &[
            "function public.add_days(d date, n integer)",
            "trigger docs_touch ON public.docs",
            "aggregate public.total(integer)",
            "cast (mood AS integer)",
        ],
    )
    .await;

    // Only comments change: the plan is `COMMENT ON` alone.
    let mut changed = live.manifest.clone();
    for object in &mut changed.postgres.objects {
        object.comment = match object.kind {
            baas::manifest::ObjectKind::Function => Some("changed".to_owned()),
            baas::manifest::ObjectKind::Sequence => Some("new".to_owned()),
            _ => None,
        };
    }
    let changes = baas::diff::diff(&live.manifest, &changed);
    let plan = baas::migrate::render::render(
        baas::migrate::render::Target::Postgres,
        &live.manifest,
        &changed,
        &changes,
    )
    .unwrap();
    let up = plan.up.to_sql();
    let statements: Vec<&str> = up
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with("--"))
        .collect();
    assert!(
        statements
            .iter()
            .all(|line| line.starts_with("COMMENT ON ")),
        "{up}"
    );
    assert!(
        up.contains("COMMENT ON FUNCTION public.add_days(d date, n integer) IS 'changed';")
            && up.contains("COMMENT ON TRIGGER docs_touch ON public.docs IS NULL;")
            && up.contains("COMMENT ON SEQUENCE public.tickets IS 'new';"),
        "{up}"
    );
}

/// `dir`'s migrations applied to `target` by `migrate apply`, which then
/// has no drift (`check --db`).
fn apply_and_check(dir: &std::path::Path, target: &TempDatabase) {
    for args in [
        &["migrate", "apply", "--db", &target.url(), "--yes"][..],
        &["check", "--db", &target.url()],
    ] {
        let (code, output) = run_in(dir, args);
        assert_eq!(code, Some(0), "baas {}:\n{output}", args.join(" "));
    }
}

/// `manifest` written as `dir`'s `baas.toml` and planned as migration
/// `name`; the plan's exit code and output.
fn plan_in(dir: &std::path::Path, manifest: &Manifest, name: &str) -> (Option<i32>, String) {
    std::fs::write(dir.join("baas.toml"), baas::manifest::to_toml(manifest)).unwrap();
    run_in(dir, &["migrate", "plan", "--name", name, "--yes"])
}

/// Domains and composite types that columns use, changed in the manifest
/// while the columns hold rows: the plan alters them where they are
/// (`ALTER DOMAIN ... ADD | DROP CONSTRAINT`, `SET | DROP DEFAULT`, `SET |
/// DROP NOT NULL`; `ALTER TYPE ... ADD | DROP | ALTER ATTRIBUTE`) instead
/// of dropping them, which PostgreSQL refused while the columns used them;
/// the rows stay and `check --db` is clean.
#[tokio::test]
async fn changed_domains_and_composite_types_are_altered_where_columns_use_them() {
    let Some(source) = TempDatabase::create_async("engalter").await else {
        return;
    };
    let Some(target) = TempDatabase::create_async("engalter_target").await else {
        return;
    };
    source.psql(
        "CREATE DOMAIN score AS integer DEFAULT 0\n\
             CONSTRAINT score_range CHECK (VALUE >= 0 AND VALUE <= 100);\n\
         CREATE DOMAIN label AS text NOT NULL CHECK (VALUE <> '');\n\
         CREATE TYPE pair AS (a integer, b text, c text);\n\
         CREATE TYPE spare AS (a integer, b text);\n\
         CREATE DOMAIN positive_pair AS pair CHECK ((VALUE).a > 0);\n\
         CREATE TABLE results (id integer PRIMARY KEY, s score, l label, p pair, ps pair[],\n\
             pp positive_pair);\n",
    );
    let before = introspect(&source, &[]).await.manifest;
    let dir = tempfile::tempdir().unwrap();
    let (code, output) = plan_in(dir.path(), &before, "init");
    assert_eq!(code, Some(0), "{output}");
    apply_and_check(dir.path(), &target);
    target.psql(
        "INSERT INTO results VALUES (1, 50, 'x', (1, 'y', 'z'), ARRAY[(2, 'w', 'v')::pair],\n\
             (3, 'u', 't'));\n",
    );

    // The same changes made by SQL on the source give the new manifest.
    source.psql(
        "ALTER DOMAIN score DROP CONSTRAINT score_range;\n\
         ALTER DOMAIN score ADD CONSTRAINT score_range CHECK (VALUE >= 0 AND VALUE <= 1000);\n\
         ALTER DOMAIN score SET DEFAULT 1;\n\
         ALTER DOMAIN label DROP NOT NULL;\n\
         ALTER DOMAIN label ADD CONSTRAINT label_short CHECK (length(VALUE) < 50);\n\
         ALTER TYPE pair DROP ATTRIBUTE c;\n\
         ALTER TYPE pair ADD ATTRIBUTE d date;\n\
         ALTER TYPE spare ALTER ATTRIBUTE a TYPE bigint;\n",
    );
    let after = introspect(&source, &[]).await.manifest;
    let (code, output) = plan_in(dir.path(), &after, "change");
    assert_eq!(code, Some(0), "{output}");
    let up = std::fs::read_to_string(dir.path().join("migrations/0002_change/up.sql")).unwrap();
    for expected in [
        "ALTER DOMAIN public.score DROP CONSTRAINT \"score_range\"",
        "ALTER DOMAIN public.score SET DEFAULT 1",
        "ALTER DOMAIN public.score ADD CONSTRAINT \"score_range\" CHECK (",
        "ALTER DOMAIN public.label DROP NOT NULL",
        "ALTER DOMAIN public.label ADD CONSTRAINT \"label_short\" CHECK (",
        "ALTER TYPE public.pair DROP ATTRIBUTE c CASCADE",
        "ALTER TYPE public.pair ADD ATTRIBUTE d date CASCADE",
        "ALTER TYPE public.spare ALTER ATTRIBUTE a TYPE bigint CASCADE",
    ] {
        assert!(up.contains(expected), "{expected} not in\n{up}");
    }
    assert!(
        !up.contains("DROP DOMAIN") && !up.contains("DROP TYPE"),
        "{up}"
    );
    apply_and_check(dir.path(), &target);
    assert_eq!(
        target
            .query("SELECT s, l, (p).a, (p).b, (ps[1]).b, (pp).a FROM results")
            .trim(),
        "50|x|1|y|w|3"
    );
    assert_eq!(
        schema_text(&introspect(&target, &[]).await.manifest),
        schema_text(&after)
    );
}

/// A range type columns use, whose definition changes, and a domain whose
/// base type changes while columns use it: PostgreSQL has no `ALTER` for
/// either and cannot drop them while the columns use them, so the plan is
/// refused before any SQL runs (exit 2), naming the type, the columns and
/// what to do; the same change with no column using the type is planned
/// as a drop and a create.
#[tokio::test]
async fn a_type_change_no_alter_can_make_while_columns_use_it_is_refused_at_plan() {
    let Some(source) = TempDatabase::create_async("engrefuse").await else {
        return;
    };
    source.psql(
        "CREATE TYPE floatrange AS RANGE (subtype = float8);\n\
         CREATE DOMAIN code AS varchar(5);\n\
         CREATE TYPE spare AS RANGE (subtype = float8);\n\
         CREATE FUNCTION spare_width(spare) RETURNS float8 LANGUAGE sql IMMUTABLE\n\
             AS $$ SELECT upper($1) - lower($1) $$;\n\
         CREATE TABLE spans (id integer PRIMARY KEY, r floatrange, rs floatmultirange,\n\
             c code);\n",
    );
    let before = introspect(&source, &[]).await.manifest;
    let dir = tempfile::tempdir().unwrap();
    let (code, output) = plan_in(dir.path(), &before, "init");
    assert_eq!(code, Some(0), "{output}");
    let changed = |name: &str, from: &str, to: &str| {
        let mut manifest = before.clone();
        let object = manifest
            .postgres
            .objects
            .iter_mut()
            .find(|o| o.name == name)
            .unwrap();
        assert!(object.sql.contains(from), "{}", object.sql);
        object.sql = object.sql.replace(from, to);
        manifest
    };
    for (manifest, named) in [
        (
            changed("public.floatrange", "double precision", "numeric"),
            ["type `public.floatrange`", "`spans.r`, `spans.rs`"],
        ),
        (
            changed(
                "public.code",
                "character varying(5)",
                "character varying(10)",
            ),
            ["domain `public.code`", "`spans.c`"],
        ),
    ] {
        let (code, output) = plan_in(dir.path(), &manifest, "change");
        assert_eq!(code, Some(2), "{output}");
        for named in named {
            assert!(output.contains(named), "{named} not in\n{output}");
        }
        assert!(output.contains("ALTER COLUMN"), "{output}");
        assert!(!dir.path().join("migrations/0002_change").exists());
    }

    // Nothing uses `spare` but a function, which is made again after it.
    let (code, output) = plan_in(
        dir.path(),
        &changed("public.spare", "double precision", "numeric"),
        "change",
    );
    assert_eq!(code, Some(0), "{output}");
    let up = std::fs::read_to_string(dir.path().join("migrations/0002_change/up.sql")).unwrap();
    let position = |text: &str| {
        up.find(text)
            .unwrap_or_else(|| panic!("{text} not in\n{up}"))
    };
    assert!(position("DROP FUNCTION") < position("DROP TYPE IF EXISTS public.spare"));
    assert!(
        position("CREATE TYPE spare") < position("CREATE OR REPLACE FUNCTION public.spare_width")
    );
}
