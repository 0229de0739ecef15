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
fn create_plan(manifest: &Manifest) -> Plan {
    let empty = Manifest {
        project: manifest.project.clone(),
        source: manifest.source.clone(),
        ..Manifest::default()
    };
    render(Target::Postgres, &empty, manifest, &diff(&empty, manifest)).unwrap()
}

fn show(changes: &[Change]) -> String {
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
             (code IS NOT NULL)]",
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
    // from the database to the manifest puts it back.
    let url = copy.url();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        baas::manifest::to_toml(&live.manifest),
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
    for (by_hand, named) in [
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
    ] {
        copy.psql(by_hand);
        let stdout = check(1);
        assert!(
            stdout.contains(named),
            "{by_hand}: {named} not in\n{stdout}"
        );
        // The plan from the database back to the manifest repairs it.
        let now = introspect(&copy).await.manifest;
        let changes = diff(&now, &live.manifest);
        let repair = render(Target::Postgres, &now, &live.manifest, &changes).unwrap();
        crate::migrate_render::pg::apply(&copy, &repair.up).await;
        check(0);
    }
}
