//! PostgreSQL partitions: what a partition (or a sub-partition, or a
//! default partition) has of its own is carried in the manifest or named in
//! the ledger, never lost in silence. Each test reads a live database, a
//! `pg_dump` of it, plans it to an empty database, and checks drift.

use baas::diff::{Change, diff};
use baas::introspect::Introspection;
use baas::manifest::{Entity, Manifest, Partition};
use baas::migrate::render::{Plan, Target, render};

use crate::support::postgres::TempDatabase;

/// Partitions with keys and constraints of their own: a unique and an
/// exclusion constraint (btree_gist) on a partition, a partition attached
/// with the primary key it had while its parent has none, and a
/// sub-partitioned default partition with a unique constraint of its own
/// (copied to its sub-partitions) and one on a sub-partition alone.
const OWN_KEYS: &str = "
CREATE EXTENSION btree_gist;
CREATE TABLE rooms (id bigint PRIMARY KEY);
CREATE TABLE bookings (
    id bigint NOT NULL,
    room_id bigint NOT NULL REFERENCES rooms (id),
    during tstzrange NOT NULL,
    region text NOT NULL,
    code text
) PARTITION BY LIST (region);
CREATE TABLE bookings_eu PARTITION OF bookings FOR VALUES IN ('eu');
ALTER TABLE bookings_eu ADD CONSTRAINT bookings_eu_code_key UNIQUE (code);
ALTER TABLE bookings_eu ADD CONSTRAINT bookings_eu_no_overlap
    EXCLUDE USING gist (room_id WITH =, during WITH &&) WHERE (code IS NOT NULL);
CREATE TABLE bookings_us (
    id bigint NOT NULL,
    room_id bigint NOT NULL,
    during tstzrange NOT NULL,
    region text NOT NULL,
    code text,
    CONSTRAINT bookings_us_pk PRIMARY KEY (id)
);
ALTER TABLE bookings ATTACH PARTITION bookings_us FOR VALUES IN ('us');
CREATE TABLE bookings_other PARTITION OF bookings DEFAULT PARTITION BY HASH (id);
CREATE TABLE bookings_other_0 PARTITION OF bookings_other
    FOR VALUES WITH (modulus 2, remainder 0);
CREATE TABLE bookings_other_1 PARTITION OF bookings_other
    FOR VALUES WITH (modulus 2, remainder 1);
ALTER TABLE bookings_other ADD CONSTRAINT bookings_other_id_region_key UNIQUE (id, region);
ALTER TABLE bookings_other_1 ADD CONSTRAINT bookings_other_1_code_key UNIQUE (code);
";

async fn introspect(database: &TempDatabase) -> Introspection {
    crate::postgres::introspect(database, &["public"]).await
}

/// The plan that makes `manifest` on an empty database.
pub(crate) fn create_plan(manifest: &Manifest) -> Plan {
    let empty = Manifest {
        project: manifest.project.clone(),
        source: manifest.source.clone(),
        ..Manifest::default()
    };
    render(Target::Postgres, &empty, manifest, &diff(&empty, manifest)).unwrap()
}

pub(crate) fn show(changes: &[Change]) -> String {
    serde_json::to_string_pretty(changes).unwrap()
}

fn partition<'a>(entity: &'a Entity, table: &str) -> &'a Partition {
    entity
        .partitions
        .iter()
        .find(|p| p.table == table)
        .unwrap_or_else(|| panic!("no partition {table}"))
}

/// What a partition has of its own, one line.
fn own(partition: &Partition) -> String {
    let uniques: Vec<String> = partition
        .uniques
        .iter()
        .map(|u| {
            format!(
                "{}({})",
                u.name.as_deref().unwrap_or("-"),
                u.fields.join(", ")
            )
        })
        .collect();
    let exclusions: Vec<String> = partition
        .exclusions
        .iter()
        .map(|e| format!("{}: {}", e.name, e.sql))
        .collect();
    format!(
        "{}: primary key [{}] {} uniques [{}] exclusions [{}]",
        partition.table,
        partition.primary_key.join(", "),
        partition.primary_key_name.as_deref().unwrap_or("-"),
        uniques.join(" "),
        exclusions.join(" ")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitions_own_keys_and_exclusions_round_trip_through_dump_plan_and_check() {
    let Some(source) = TempDatabase::create_async("part_keys").await else {
        return;
    };
    source.psql(OWN_KEYS);
    let live = introspect(&source).await;
    let bookings = &live.manifest.entities["bookings"];
    let lines: Vec<String> = bookings.partitions.iter().map(own).collect();
    assert_eq!(
        lines,
        [
            "bookings_eu: primary key [] - uniques [bookings_eu_code_key(code)] exclusions \
             [bookings_eu_no_overlap: EXCLUDE USING gist (room_id WITH =, during WITH &&) WHERE \
             ((code IS NOT NULL))]",
            "bookings_other: primary key [] - uniques [bookings_other_id_region_key(id, region)] \
             exclusions []",
            "bookings_us: primary key [id] bookings_us_pk uniques [] exclusions []",
            "bookings_other_0: primary key [] - uniques [] exclusions []",
            "bookings_other_1: primary key [] - uniques [bookings_other_1_code_key(code)] \
             exclusions []",
        ]
    );
    // Carried, so not in the ledger.
    for entry in live.ledger.entries() {
        assert!(
            !entry.message.contains("bookings_"),
            "a partition's own object in the ledger: {entry:?}"
        );
    }

    // A dump reads to the same manifest (the copies `pg_dump` writes on
    // sub-partitions and attaches to the parent's are not their own).
    for options in [&[][..], &["--clean", "--if-exists"]] {
        let options: Vec<&str> = ["--schema-only"]
            .into_iter()
            .chain(options.iter().copied())
            .collect();
        let dump = crate::postgres::read_dump(&source, &options).await;
        let changes = diff(&live.manifest, &dump.manifest);
        assert!(changes.is_empty(), "{options:?}: {}", show(&changes));
        assert_eq!(
            bookings.partitions,
            dump.manifest.entities["bookings"]
                .partitions
                .iter()
                .map(|p| Partition {
                    exclusions: partition(bookings, &p.table).exclusions.clone(),
                    ..p.clone()
                })
                .collect::<Vec<_>>(),
            "{options:?}"
        );
        assert_eq!(
            dump.ledger.entries().len(),
            live.ledger.entries().len(),
            "{options:?}: {:#?}",
            dump.ledger.entries()
        );
    }

    // Planned to an empty database, it comes back the same.
    let plan = create_plan(&live.manifest);
    assert!(plan.lossy.is_empty(), "{:#?}", plan.lossy);
    let Some(copy) = TempDatabase::create_async("part_keys_copy").await else {
        return;
    };
    crate::migrate_render::pg::apply(&copy, &plan.up).await;
    let again = introspect(&copy).await;
    let changes = diff(&live.manifest, &again.manifest);
    assert!(
        changes.is_empty(),
        "{}\n{}",
        show(&changes),
        plan.up.to_sql()
    );

    // `check --url` sees each one dropped or changed by hand, and a plan
    // from the database back to the manifest puts it back.
    assert_drift_seen_and_repaired(
        &copy,
        &live.manifest,
        &[
            (
                "ALTER TABLE bookings_eu DROP CONSTRAINT bookings_eu_no_overlap",
                "bookings_eu_no_overlap",
            ),
            (
                "ALTER TABLE bookings_eu DROP CONSTRAINT bookings_eu_no_overlap; ALTER TABLE \
                 bookings_eu ADD CONSTRAINT bookings_eu_no_overlap EXCLUDE USING gist (room_id WITH \
                 =, during WITH &&)",
                "bookings_eu_no_overlap",
            ),
            (
                "ALTER TABLE bookings_eu DROP CONSTRAINT bookings_eu_code_key",
                "bookings_eu_code_key",
            ),
            (
                "ALTER TABLE bookings_us DROP CONSTRAINT bookings_us_pk",
                "primary key",
            ),
            (
                "ALTER TABLE bookings_other_1 DROP CONSTRAINT bookings_other_1_code_key",
                "bookings_other_1_code_key",
            ),
            (
                "ALTER TABLE bookings_other_0 ADD CONSTRAINT bookings_other_0_code_key UNIQUE (code)",
                "bookings_other_0_code_key",
            ),
        ],
    )
    .await;
}

/// `check --url` on `database` (made from `manifest`, with no drift) sees
/// each change of `by_hand` (SQL, run in turn) and names what it says, and
/// the plan from the database back to `manifest` repairs it.
pub(crate) async fn assert_drift_seen_and_repaired(
    database: &TempDatabase,
    manifest: &Manifest,
    by_hand: &[(&str, &str)],
) {
    let url = database.url();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        baas::manifest::to_toml(manifest),
    )
    .unwrap();
    let check = |code: i32| {
        let output = crate::support::baas(dir.path())
            .args(["check", "--url", &url])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert_eq!(
            output.status.code(),
            Some(code),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    };
    check(0);
    for (sql, named) in by_hand {
        database.psql(sql);
        let stdout = check(1);
        assert!(stdout.contains(named), "{sql}: {named} not in\n{stdout}");
        let now = introspect(database).await.manifest;
        let changes = diff(&now, manifest);
        let repair = render(Target::Postgres, &now, manifest, &changes).unwrap();
        crate::migrate_render::pg::apply(database, &repair.up).await;
        check(0);
    }
}

/// What else a partition (a sub-partition, a default partition) or a table
/// can have of its own, one class a statement.
const DETAILS: &str = "
CREATE TABLE audit_log (
    id bigint NOT NULL,
    at date NOT NULL,
    note text,
    actor text DEFAULT 'system'
) PARTITION BY RANGE (at);
-- Attached with another column order (and a dropped column).
CREATE TABLE audit_2024 (junk int, note text, at date NOT NULL, id bigint NOT NULL,
    actor text DEFAULT 'system');
ALTER TABLE audit_2024 DROP COLUMN junk;
ALTER TABLE audit_log ATTACH PARTITION audit_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
-- A dropped column alone changes nothing.
CREATE TABLE audit_2023 (id bigint NOT NULL, junk int, at date NOT NULL, note text,
    actor text DEFAULT 'system');
ALTER TABLE audit_2023 DROP COLUMN junk;
ALTER TABLE audit_log ATTACH PARTITION audit_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
-- Its own default, NOT NULL, statistics target, storage parameters,
-- UNLOGGED, comments, row-level security and a policy.
CREATE UNLOGGED TABLE audit_2025 PARTITION OF audit_log
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') WITH (fillfactor = 70);
ALTER TABLE audit_2025 ALTER COLUMN actor SET DEFAULT 'batch',
    ALTER COLUMN note SET NOT NULL, ALTER COLUMN note SET STATISTICS 500;
COMMENT ON TABLE audit_2025 IS 'this year';
COMMENT ON COLUMN audit_2025.note IS 'why';
ALTER TABLE audit_2025 ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_2025_mine ON audit_2025 USING (actor = current_user);
-- A sub-partitioned default partition; a sub-partition with a trigger and
-- a replica identity of its own.
CREATE TABLE audit_default PARTITION OF audit_log DEFAULT PARTITION BY LIST (actor);
CREATE TABLE audit_default_system PARTITION OF audit_default FOR VALUES IN ('system');
CREATE FUNCTION audit_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER audit_default_system_touch AFTER INSERT ON audit_default_system
    FOR EACH ROW EXECUTE FUNCTION audit_touch();
ALTER TABLE audit_default_system REPLICA IDENTITY FULL;
-- The table's trigger, which PostgreSQL copies to every partition.
CREATE TRIGGER audit_log_touch AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_touch();
-- An ordinary table.
CREATE TABLE notes (
    id bigint PRIMARY KEY,
    body text COLLATE \"C\",
    words int GENERATED ALWAYS AS (length(body)) STORED,
    n int GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 5)
);
CREATE INDEX notes_body ON notes (body);
ALTER TABLE notes REPLICA IDENTITY USING INDEX notes_pkey;
ALTER TABLE notes CLUSTER ON notes_body;
ALTER TABLE notes ALTER COLUMN body SET STATISTICS 1000;
CREATE STATISTICS notes_stats ON body, words FROM notes;
COMMENT ON INDEX notes_body IS 'search';
COMMENT ON CONSTRAINT notes_pkey ON notes IS 'key';
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_else_partitions_and_tables_have_is_carried_or_ledgered_never_lost() {
    let Some(source) = TempDatabase::create_async("part_details").await else {
        return;
    };
    source.psql(DETAILS);
    let live = introspect(&source).await;
    let manifest = &live.manifest;
    let ledger: Vec<String> = live
        .ledger
        .entries()
        .iter()
        .map(|e| format!("{} [{}] {}", e.object, e.kind, e.message))
        .collect();
    let text = ledger.join("\n");
    // Ledgered: each class named on the object that has it.
    for (object, kind, says) in [
        ("audit_2024", "partition", "its columns in another order"),
        (
            "audit_2025",
            "partition",
            "column `actor` with its own default",
        ),
        ("audit_2025", "partition", "`NOT NULL`"),
        ("audit_2025", "partition", "a statistics target (500)"),
        ("audit_2025", "partition", "a comment (\"why\")"),
        ("audit_2025", "partition", "a comment (\"this year\")"),
        (
            "audit_2025",
            "partition",
            "storage parameters (fillfactor=70)",
        ),
        ("audit_2025", "partition", "`UNLOGGED`"),
        ("audit_2025", "partition", "row-level security enabled"),
        (
            "audit_default_system",
            "partition",
            "replica identity `FULL`",
        ),
        ("notes.body", "column_options", "a statistics target (1000)"),
    ] {
        assert!(
            ledger
                .iter()
                .any(|line| line.starts_with(&format!("{object} [{kind}]")) && line.contains(says)),
            "no `{kind}` line on `{object}` saying `{says}` in\n{text}"
        );
    }
    assert!(
        !text.contains("audit_2023"),
        "a dropped column is nothing to say:\n{text}"
    );
    // Carried: a table's constraint's comment, a partition's own policy,
    // extended statistics.
    assert_eq!(
        manifest.entities["notes"].primary_key_comment.as_deref(),
        Some("key")
    );
    for (key, sql) in [
        (
            "policy audit_2025_mine ON public.audit_2025",
            "CREATE POLICY audit_2025_mine ON audit_2025 USING ((actor = CURRENT_USER))",
        ),
        (
            "statistics public.notes_stats",
            "CREATE STATISTICS notes_stats ON body, words FROM notes",
        ),
    ] {
        assert_eq!(
            manifest.postgres.object(key).map(|o| o.sql.as_str()),
            Some(sql),
            "{key}"
        );
    }
    // Carried: a sub-partition's own trigger (not the copies of the
    // table's), a column's collation and its generated expression.
    let triggers: Vec<String> = manifest
        .postgres
        .objects
        .iter()
        .filter(|o| o.kind == baas::manifest::ObjectKind::Trigger)
        .map(|o| format!("{} <- {}", o.key(), o.depends_on.join(", ")))
        .collect();
    assert_eq!(
        triggers,
        [
            "trigger audit_default_system_touch ON public.audit_default_system <- entity \
             audit_log, function public.audit_touch()",
            "trigger audit_log_touch ON public.audit_log <- entity audit_log, function \
             public.audit_touch()",
        ]
    );
    let notes = &manifest.entities["notes"];
    assert_eq!(notes.fields["body"].collation.as_deref(), Some("C"));
    assert!(notes.fields["words"].generated.is_some());
    // Carried: the table's replica identity and `CLUSTER ON` index.
    assert_eq!(
        notes.replica_identity.as_deref(),
        Some("USING INDEX notes_pkey")
    );
    assert_eq!(notes.cluster_on.as_deref(), Some("notes_body"));
    // Carried: an index's comment.
    assert_eq!(
        notes
            .indexes
            .iter()
            .find(|index| index.name == "notes_body")
            .and_then(|index| index.options.comment.as_deref()),
        Some("search")
    );

    // What is carried applies to an empty database and comes back the same.
    let plan = create_plan(manifest);
    let Some(copy) = TempDatabase::create_async("part_details_copy").await else {
        return;
    };
    crate::migrate_render::pg::apply(&copy, &plan.up).await;
    let again = introspect(&copy).await;
    let changes = diff(manifest, &again.manifest);
    assert!(
        changes.is_empty(),
        "{}\n{}",
        show(&changes),
        plan.up.to_sql()
    );
}

/// A partitioned table whose partition key, partitions' own keys,
/// exclusion constraint, index and check all use the columns renamed below.
const RENAMED: &str = "
CREATE EXTENSION btree_gist;
CREATE TABLE stays (
    id bigint NOT NULL,
    room_id bigint NOT NULL,
    during tstzrange NOT NULL,
    region text NOT NULL,
    code text,
    CONSTRAINT stays_code_check CHECK (code <> '')
) PARTITION BY LIST (region);
CREATE TABLE stays_eu PARTITION OF stays FOR VALUES IN ('eu') PARTITION BY HASH (code);
CREATE TABLE stays_eu_0 PARTITION OF stays_eu FOR VALUES WITH (modulus 1, remainder 0);
ALTER TABLE stays_eu_0 ADD CONSTRAINT stays_eu_0_code_key UNIQUE (code);
ALTER TABLE stays_eu_0 ADD CONSTRAINT stays_eu_0_no_overlap
    EXCLUDE USING gist (room_id WITH =, during WITH &&) WHERE (code IS NOT NULL);
CREATE TABLE stays_us PARTITION OF stays FOR VALUES IN ('us');
CREATE INDEX stays_us_code ON stays_us (lower(code)) WHERE code IS NOT NULL;
ALTER TABLE stays_us ADD CONSTRAINT stays_us_code_check CHECK (length(code) < 10);
";

/// Fields renamed on a partitioned table (`renamed_from`) are one `RENAME
/// COLUMN` each on the table; the partition key and the partitions' own
/// keys, exclusion constraints, indexes and checks follow the new names
/// (PostgreSQL renames the column in all of them) instead of being dropped
/// and made again, or the table repartitioned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_renamed_on_a_partitioned_table_are_renamed_once_and_partitions_follow() {
    let Some(database) = TempDatabase::create_async("part_rename").await else {
        return;
    };
    database.psql(RENAMED);
    let before = introspect(&database).await.manifest;
    let Some(renamed) = TempDatabase::create_async("part_rename_to").await else {
        return;
    };
    renamed.psql(RENAMED);
    renamed.psql("ALTER TABLE stays RENAME COLUMN code TO ref; ALTER TABLE stays RENAME COLUMN region TO area;");
    let mut after = introspect(&renamed).await.manifest;
    let stays = after.entities.get_mut("stays").unwrap();
    stays.fields["ref"].renamed_from = Some("code".to_owned());
    stays.fields["area"].renamed_from = Some("region".to_owned());
    assert!(
        partition(stays, "stays_eu_0").exclusions[0]
            .sql
            .contains("ref IS NOT NULL"),
        "{:?}",
        partition(stays, "stays_eu_0").exclusions
    );

    let changes = diff(&before, &after);
    let kinds: Vec<String> = changes
        .iter()
        .map(|change| serde_json::to_value(change).unwrap()["kind"].to_string())
        .collect();
    assert_eq!(
        kinds,
        ["\"rename_field\"", "\"rename_field\""],
        "{}",
        show(&changes)
    );
    let plan = render(Target::Postgres, &before, &after, &changes).unwrap();
    let up = plan.up.to_sql();
    assert_eq!(up.matches("RENAME COLUMN").count(), 2, "{up}");
    for absent in ["DROP", "DETACH", "ADD CONSTRAINT", "CREATE"] {
        assert!(!up.contains(absent), "{absent} in\n{up}");
    }

    crate::migrate_render::pg::apply(&database, &plan.up).await;
    let again = introspect(&database).await.manifest;
    let changes = diff(&again, &after);
    assert!(changes.is_empty(), "{}", show(&changes));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        baas::manifest::to_toml(&after),
    )
    .unwrap();
    let output = crate::support::baas(dir.path())
        .args(["check", "--url", &database.url()])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
