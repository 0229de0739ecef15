//! PostgreSQL introspection against the server `tests/servers/start.sh` runs:
//! pagila and Chinook from the shared corpus, loaded with the real `psql`
//! client, and a synthetic database with the features they lack. Each test
//! gets a fresh database of its own and drops it at the end.

use std::path::Path;

use baas::introspect::postgres::PostgresIntrospector;
use baas::introspect::{IntrospectError, IntrospectOptions, Introspection, Introspector};
use baas::ledger::LedgerEntry;
use baas::manifest::{
    self, Check, DefaultValue, Entity, EntityKind, Exclusion, Field, FieldType, Generated,
    GeneratedKind, Index, IndexPart, Literal, Manifest, SortOrder, Unique,
};
use baas::ui::Progress;
use url::Url;

use crate::support::corpus_file;
use crate::support::postgres::TempDatabase;
use crate::support::{assert_valid_and_round_trips, ledger_kinds};

/// Introspects `schemas` of the database (every schema when empty).
async fn try_introspect(
    database: &TempDatabase,
    schemas: &[&str],
) -> Result<Introspection, IntrospectError> {
    let options = IntrospectOptions {
        schemas: schemas.iter().map(|schema| (*schema).to_owned()).collect(),
        ..IntrospectOptions::default()
    };
    PostgresIntrospector::new(database.parsed_url())
        .introspect(&options, &Progress::hidden())
        .await
}

pub(crate) async fn introspect(database: &TempDatabase, schemas: &[&str]) -> Introspection {
    try_introspect(database, schemas).await.unwrap()
}

fn entity<'a>(manifest: &'a Manifest, name: &str) -> &'a Entity {
    manifest
        .entities
        .get(name)
        .unwrap_or_else(|| panic!("entity `{name}` is missing"))
}

fn field<'a>(manifest: &'a Manifest, entity_name: &str, name: &str) -> &'a Field {
    entity(manifest, entity_name)
        .fields
        .get(name)
        .unwrap_or_else(|| panic!("field `{entity_name}.{name}` is missing"))
}

fn names(manifest: &Manifest, kind: EntityKind) -> Vec<&str> {
    manifest
        .entities
        .iter()
        .filter(|(_, entity)| entity.kind == kind)
        .map(|(name, _)| name.as_str())
        .collect()
}

/// Every relation as `entity(fields) -> target(fields) name on_delete/on_update`,
/// entities by name and relations by name.
fn relations(manifest: &Manifest) -> Vec<String> {
    let mut rows = Vec::new();
    for (name, entity) in &manifest.entities {
        for relation in &entity.relations {
            rows.push(format!(
                "{name}({}) -> {}({}) {} {}/{}",
                relation.fields.join(", "),
                relation.references.entity,
                relation.references.fields.join(", "),
                relation.name.as_deref().unwrap_or("-"),
                relation.on_delete,
                relation.on_update,
            ));
        }
    }
    rows
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

fn sql(text: &str) -> Option<DefaultValue> {
    Some(DefaultValue::Sql {
        sql: text.to_owned(),
    })
}

fn literal(value: Literal) -> Option<DefaultValue> {
    Some(DefaultValue::Literal(value))
}

/// The manifest as TOML, with the per-test database name replaced so that
/// snapshots do not depend on it.
fn snapshot_text(manifest: &Manifest, project: &str) -> String {
    let mut manifest = manifest.clone();
    manifest.project.name = Some(project.to_owned());
    manifest::to_toml(&manifest)
}

fn ledger_entry<'a>(introspection: &'a Introspection, kind: &str, object: &str) -> &'a LedgerEntry {
    introspection
        .ledger
        .entries()
        .into_iter()
        .find(|entry| entry.kind == kind && entry.object == object)
        .unwrap_or_else(|| {
            panic!(
                "no `{kind}` entry for `{object}` in {:#?}",
                introspection.ledger.entries()
            )
        })
}

// ---------------------------------------------------------------------------
// pagila

const PAGILA_TABLES: [&str; 15] = [
    "actor",
    "address",
    "category",
    "city",
    "country",
    "customer",
    "film",
    "film_actor",
    "film_category",
    "inventory",
    "language",
    "payment",
    "rental",
    "staff",
    "store",
];

const PAGILA_VIEWS: [&str; 7] = [
    "actor_info",
    "customer_list",
    "film_list",
    "nicer_but_slower_film_list",
    "sales_by_film_category",
    "sales_by_store",
    "staff_list",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagila_introspects_faithfully() {
    let Some(database) = TempDatabase::create_async("pagila").await else {
        return;
    };
    database.psql_file(&corpus_file("sql/postgres/pagila-schema.sql"));
    database.psql_file(&corpus_file("sql/postgres/pagila-data.sql"));
    let introspection = introspect(&database, &[]).await;
    let manifest = &introspection.manifest;
    assert_valid_and_round_trips(manifest);

    // Entities: the partitioned `payment` once, none of its partitions.
    assert_eq!(names(manifest, EntityKind::Table), PAGILA_TABLES);
    assert_eq!(names(manifest, EntityKind::View), PAGILA_VIEWS);
    assert_eq!(
        names(manifest, EntityKind::MaterializedView),
        ["rental_by_category"]
    );
    assert_eq!(manifest.entities.len(), 23);
    assert!(
        manifest
            .entities
            .keys()
            .all(|name| !name.starts_with("payment_p"))
    );
    assert_eq!(manifest.project.name.as_deref(), Some(database.name()));
    let source = manifest.source.as_ref().unwrap();
    assert_eq!(source.engine, manifest::SourceEngine::Postgres);
    assert_eq!(
        (source.url.as_deref(), source.schemas.as_slice()),
        (None, &strings(&["public"])[..])
    );
    for (name, entity) in &manifest.entities {
        assert_eq!((&entity.table, &entity.schema), (name, &None));
    }

    // Every foreign key. Those declared on the partitions of `payment` are
    // the partitions' own (below).
    assert_eq!(
        relations(manifest),
        vec![
            "address(city_id) -> city(city_id) address_city_id_fkey restrict/cascade",
            "city(country_id) -> country(country_id) city_country_id_fkey restrict/cascade",
            "customer(address_id) -> address(address_id) customer_address_id_fkey restrict/cascade",
            "customer(store_id) -> store(store_id) customer_store_id_fkey restrict/cascade",
            "film(language_id) -> language(language_id) film_language_id_fkey restrict/cascade",
            "film(original_language_id) -> language(language_id) film_original_language_id_fkey restrict/cascade",
            "film_actor(actor_id) -> actor(actor_id) film_actor_actor_id_fkey restrict/cascade",
            "film_actor(film_id) -> film(film_id) film_actor_film_id_fkey restrict/cascade",
            "film_category(category_id) -> category(category_id) film_category_category_id_fkey restrict/cascade",
            "film_category(film_id) -> film(film_id) film_category_film_id_fkey restrict/cascade",
            "inventory(film_id) -> film(film_id) inventory_film_id_fkey restrict/cascade",
            "inventory(store_id) -> store(store_id) inventory_store_id_fkey restrict/cascade",
            "rental(customer_id) -> customer(customer_id) rental_customer_id_fkey restrict/cascade",
            "rental(inventory_id) -> inventory(inventory_id) rental_inventory_id_fkey restrict/cascade",
            "rental(staff_id) -> staff(staff_id) rental_staff_id_fkey restrict/cascade",
            "staff(address_id) -> address(address_id) staff_address_id_fkey restrict/cascade",
            "staff(store_id) -> store(store_id) staff_store_id_fkey no_action/no_action",
            "store(address_id) -> address(address_id) store_address_id_fkey restrict/cascade",
        ]
    );
    assert!(
        manifest
            .entities
            .values()
            .flat_map(|entity| &entity.relations)
            .all(|relation| !relation.deferrable)
    );

    // Primary keys, all with PostgreSQL's default names.
    for (name, key) in [
        ("actor", &["actor_id"][..]),
        ("film_actor", &["actor_id", "film_id"]),
        ("film_category", &["film_id", "category_id"]),
        ("payment", &["payment_date", "payment_id"]),
        ("rental", &["rental_id"]),
    ] {
        assert_eq!(entity(manifest, name).primary_key, strings(key), "{name}");
    }
    for name in PAGILA_TABLES {
        let table = entity(manifest, name);
        assert_eq!(table.primary_key_name, None, "{name}");
        assert!(!table.primary_key.is_empty(), "{name}");
        assert!(
            table.uniques.is_empty() && table.checks.is_empty(),
            "{name}"
        );
        assert!(!table.row_level_security, "{name}");
    }
    for name in PAGILA_VIEWS {
        let view = entity(manifest, name);
        assert!(view.primary_key.is_empty() && view.relations.is_empty());
        assert!(
            view.definition.as_deref().unwrap().starts_with("SELECT "),
            "{name}"
        );
        assert!(view.fields.values().all(|field| field.nullable), "{name}");
    }

    // Types: enum, domain, array, tsvector, fixed-length text.
    assert_eq!(
        manifest.enums["mpaa_rating"].values,
        ["G", "PG", "PG-13", "R", "NC-17"]
    );
    assert_eq!(manifest.enums.len(), 1);
    let rating = field(manifest, "film", "rating");
    assert_eq!(
        (
            rating.ty,
            rating.enum_name.as_deref(),
            rating.native.as_deref()
        ),
        (FieldType::Enum, Some("mpaa_rating"), None)
    );
    assert_eq!(rating.default, literal(Literal::String("G".into())));
    assert!(rating.nullable);
    let year = field(manifest, "film", "release_year");
    assert_eq!(
        (year.ty, year.native.as_deref()),
        (FieldType::Int32, Some("year"))
    );
    let features = field(manifest, "film", "special_features");
    assert_eq!(features.ty, FieldType::Array);
    assert_eq!(features.native, None);
    let items = features.items.as_deref().unwrap();
    assert_eq!((items.ty, items.native.as_deref()), (FieldType::Text, None));
    let fulltext = field(manifest, "film", "fulltext");
    assert_eq!(
        (fulltext.ty, fulltext.native.as_deref(), fulltext.nullable),
        (FieldType::Native, Some("tsvector"), false)
    );
    let language = field(manifest, "language", "name");
    assert_eq!(
        (language.ty, language.max_length, language.native.as_deref()),
        (FieldType::String, Some(20), Some("character(20)"))
    );
    let rate = field(manifest, "film", "rental_rate");
    assert_eq!(
        (rate.ty, rate.precision, rate.scale, rate.native.as_deref()),
        (FieldType::Decimal, Some(4), Some(2), None)
    );
    assert_eq!(field(manifest, "staff", "picture").ty, FieldType::Bytes);
    assert_eq!(
        field(manifest, "rental", "return_date").ty,
        FieldType::Timestamptz
    );
    assert_eq!(
        field(manifest, "customer", "create_date").ty,
        FieldType::Date
    );

    // Serial columns: pagila's `nextval(...)` keys (their sequences are not
    // owned by the columns; the ledger says so).
    for (name, key) in [
        ("actor", "actor_id"),
        ("address", "address_id"),
        ("category", "category_id"),
        ("city", "city_id"),
        ("country", "country_id"),
        ("customer", "customer_id"),
        ("film", "film_id"),
        ("inventory", "inventory_id"),
        ("language", "language_id"),
        ("payment", "payment_id"),
        ("rental", "rental_id"),
        ("staff", "staff_id"),
        ("store", "store_id"),
    ] {
        let serial = field(manifest, name, key);
        assert_eq!(
            (&serial.generated, &serial.default, serial.nullable),
            (&Some(Generated::Kind(GeneratedKind::Serial)), &None, false),
            "{name}.{key}"
        );
        let entry = ledger_entry(&introspection, "sequence", &format!("{name}_{key}_seq"));
        assert!(entry.message.contains("not owned"), "{}", entry.message);
    }

    // Defaults.
    assert_eq!(field(manifest, "film", "last_update").default, sql("now()"));
    assert_eq!(
        field(manifest, "film", "rental_rate").default,
        literal(Literal::Float(4.99))
    );
    assert_eq!(
        field(manifest, "film", "replacement_cost").default,
        literal(Literal::Float(19.99))
    );
    assert_eq!(
        field(manifest, "film", "rental_duration").default,
        literal(Literal::Int(3))
    );
    assert_eq!(
        field(manifest, "customer", "activebool").default,
        literal(Literal::Bool(true))
    );
    assert_eq!(
        field(manifest, "customer", "create_date").default,
        sql("CURRENT_DATE")
    );
    assert_eq!(
        field(manifest, "customer", "last_update").default,
        sql("now()")
    );
    assert!(field(manifest, "customer", "last_update").nullable);

    // Indexes: methods, unique indexes, none for the keys.
    let film = entity(manifest, "film");
    let fulltext_index = film
        .indexes
        .iter()
        .find(|index| index.name == "film_fulltext_idx")
        .unwrap();
    assert_eq!(
        fulltext_index,
        &Index {
            name: "film_fulltext_idx".into(),
            fields: vec![IndexPart::field("fulltext")],
            unique: false,
            predicate: None,
            method: Some("gist".into()),
            expire_after_seconds: None,
            options: Default::default(),
        }
    );
    let unique_indexes: Vec<(&str, &str, Vec<String>)> = manifest
        .entities
        .iter()
        .flat_map(|(name, entity)| {
            entity
                .indexes
                .iter()
                .filter(|index| index.unique)
                .map(move |index| {
                    (
                        name.as_str(),
                        index.name.as_str(),
                        index.fields.iter().map(ToString::to_string).collect(),
                    )
                })
        })
        .collect();
    assert_eq!(
        unique_indexes,
        [
            (
                "rental",
                "idx_unq_rental_rental_date_inventory_id_customer_id",
                strings(&["rental_date", "inventory_id", "customer_id"])
            ),
            (
                "rental_by_category",
                "rental_category",
                strings(&["category"])
            ),
            (
                "store",
                "idx_unq_manager_staff_id",
                strings(&["manager_staff_id"])
            ),
        ]
    );
    let index_count: usize = manifest.entities.values().map(|e| e.indexes.len()).sum();
    assert_eq!(index_count, 16);
    assert!(
        manifest
            .entities
            .values()
            .flat_map(|entity| &entity.indexes)
            .all(|index| !index.name.ends_with("_pkey"))
    );

    // Each partition of `payment` but the last carries its own two
    // `idx_fk_` indexes, its `_customer_id_idx` index and its three foreign
    // keys; the primary key attached to the parent's stays the parent's.
    let payment = entity(manifest, "payment");
    assert_eq!(payment.partitions.len(), 7);
    let last = &payment.partitions[6];
    assert_eq!(last.table, "payment_p2022_07");
    assert!(!last.has_own_objects());
    for partition in &payment.partitions[..6] {
        let table = partition.table.as_str();
        let indexes: Vec<&str> = partition.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            indexes,
            [
                format!("idx_fk_{table}_customer_id"),
                format!("idx_fk_{table}_staff_id"),
                format!("{table}_customer_id_idx"),
            ],
            "{table}"
        );
        let keys: Vec<String> = partition
            .relations
            .iter()
            .map(|r| {
                format!(
                    "{}({}) -> {}",
                    r.name.as_deref().unwrap_or("?"),
                    r.fields.join(","),
                    r.references.entity
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                format!("{table}_customer_id_fkey(customer_id) -> customer"),
                format!("{table}_rental_id_fkey(rental_id) -> rental"),
                format!("{table}_staff_id_fkey(staff_id) -> staff"),
            ],
            "{table}"
        );
        assert!(partition.checks.is_empty(), "{table}");
    }

    // The ledger: the sequences behind the serial columns. Triggers,
    // functions, the aggregate and the domains are carried in `[postgres]`,
    // the partitions' own indexes and foreign keys on the partitions.
    let kinds = ledger_kinds(&introspection);
    let count = |kind: &str| kinds.iter().filter(|(_, k)| k == kind).count();
    assert_eq!(count("trigger"), 0);
    assert_eq!(count("sequence"), 13);
    assert_eq!(count("partition"), 0);
    assert_eq!(count("function"), 0);
    assert_eq!(count("domain"), 0);
    assert_eq!(introspection.ledger.len(), 13, "{kinds:#?}");
    let carried: Vec<String> = manifest
        .postgres
        .objects
        .iter()
        .map(|object| object.kind.to_string())
        .collect();
    let carried = |kind: &str| carried.iter().filter(|k| *k == kind).count();
    assert_eq!(carried("trigger"), 15);
    assert_eq!(carried("function"), 9);
    assert_eq!(carried("aggregate"), 1);
    assert_eq!(carried("domain"), 2);
    let group_concat = manifest
        .postgres
        .object("aggregate public.group_concat(text)")
        .expect("pagila's aggregate is carried");
    assert_eq!(
        group_concat.depends_on,
        ["function public._group_concat(text, text)"]
    );
    assert!(
        manifest
            .postgres
            .object("function public.rewards_report(min_monthly_purchases integer, min_dollar_amount_purchased numeric)")
            .is_some_and(|f| f.depends_on.contains(&"entity customer".to_owned()))
    );
    // `payment` is partitioned by month: the partitions are carried on the
    // entity; the foreign keys each partition has of its own are not.
    let payment = &manifest.entities["payment"];
    assert_eq!(
        payment.partition_by.as_deref(),
        Some("RANGE (payment_date)")
    );
    assert_eq!(
        payment
            .partitions
            .iter()
            .map(|p| p.table.as_str())
            .collect::<Vec<_>>(),
        (1..=7)
            .map(|month| format!("payment_p2022_0{month}"))
            .collect::<Vec<_>>()
    );
    assert!(
        payment
            .partitions
            .iter()
            .all(|p| p.of.is_none() && p.bound.starts_with("FOR VALUES FROM ('2022-0")),
        "{:#?}",
        payment.partitions
    );
    let year = manifest.postgres.object("domain public.year").unwrap();
    assert!(year.sql.contains("VALUE >= 1901"), "{}", year.sql);

    insta::assert_snapshot!("pagila_manifest", snapshot_text(manifest, "pagila"));
    insta::assert_json_snapshot!("pagila_ledger", introspection.ledger.entries());

    // The same database through the real binary: exit 0, JSON on stdout, and
    // the password replaced by a variable in the written manifest.
    let project = tempfile::tempdir().unwrap();
    let output = assert_cmd::Command::cargo_bin("baas")
        .unwrap()
        .current_dir(project.path())
        .env("NO_COLOR", "1")
        .env("HOME", project.path())
        .env_remove("BAAS_MANIFEST")
        .args(["--json", "introspect"])
        .arg(database.url_with_password("pagilaHunter2"))
        .args(["-o", "out/baas.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stdout.contains("pagilaHunter2") && !stderr.contains("pagilaHunter2"));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["outcome"], "written");
    assert_eq!(report["counts"]["entities"], 23);
    assert_eq!(report["counts"]["views"], 8);
    assert_eq!(report["counts"]["relations"], 18);
    assert_eq!(report["counts"]["enums"], 1);
    assert_eq!(report["lossy"], true);
    assert_eq!(report["ledger"].as_array().unwrap().len(), 13);
    let written = std::fs::read_to_string(project.path().join("out/baas.toml")).unwrap();
    assert!(!written.contains("pagilaHunter2"), "{written}");
    let expected_url = format!(
        "url = \"postgres://postgres:${{DATABASE_PASSWORD}}@{}:{}/{}\"",
        database.host_and_port().0,
        database.host_and_port().1,
        database.name()
    );
    assert!(written.contains(&expected_url), "{written}");
    let loaded = manifest::load_str(Path::new("baas.toml"), written).unwrap();
    assert_eq!(loaded.manifest.entities, manifest.entities);
    assert_eq!(loaded.manifest.enums, manifest.enums);
}

// ---------------------------------------------------------------------------
// Chinook

/// The Chinook script without the statements that create and enter its own
/// `chinook` database, so that it loads into the test's fresh one. The
/// fixture file itself is not changed.
fn chinook_script() -> String {
    let script =
        std::fs::read_to_string(corpus_file("sql/postgres/Chinook_PostgreSql.sql")).unwrap();
    let kept: Vec<&str> = script
        .lines()
        .filter(|line| {
            !matches!(
                line.trim(),
                "DROP DATABASE IF EXISTS chinook;" | "CREATE DATABASE chinook;" | "\\c chinook;"
            )
        })
        .collect();
    assert_eq!(
        kept.len() + 3,
        script.lines().count(),
        "the Chinook script changed"
    );
    kept.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinook_introspects_faithfully() {
    let Some(database) = TempDatabase::create_async("chinook").await else {
        return;
    };
    database.psql(&chinook_script());
    let introspection = introspect(&database, &["public"]).await;
    let manifest = &introspection.manifest;
    assert_valid_and_round_trips(manifest);

    assert_eq!(
        names(manifest, EntityKind::Table),
        [
            "album",
            "artist",
            "customer",
            "employee",
            "genre",
            "invoice",
            "invoice_line",
            "media_type",
            "playlist",
            "playlist_track",
            "track"
        ]
    );
    assert_eq!(manifest.entities.len(), 11);
    assert!(manifest.enums.is_empty());
    assert!(
        introspection.ledger.is_empty(),
        "{:#?}",
        introspection.ledger.entries()
    );

    let fk = |entity: &str, field: &str, target: &str, target_field: &str| {
        format!(
            "{entity}({field}) -> {target}({target_field}) {entity}_{field}_fkey no_action/no_action"
        )
    };
    assert_eq!(
        relations(manifest),
        vec![
            fk("album", "artist_id", "artist", "artist_id"),
            fk("customer", "support_rep_id", "employee", "employee_id"),
            fk("employee", "reports_to", "employee", "employee_id"),
            fk("invoice", "customer_id", "customer", "customer_id"),
            fk("invoice_line", "invoice_id", "invoice", "invoice_id"),
            fk("invoice_line", "track_id", "track", "track_id"),
            fk("playlist_track", "playlist_id", "playlist", "playlist_id"),
            fk("playlist_track", "track_id", "track", "track_id"),
            fk("track", "album_id", "album", "album_id"),
            fk("track", "genre_id", "genre", "genre_id"),
            fk("track", "media_type_id", "media_type", "media_type_id"),
        ]
    );

    for (name, entity) in &manifest.entities {
        let key = match name.as_str() {
            "playlist_track" => vec!["playlist_id".to_owned(), "track_id".to_owned()],
            _ => vec![format!("{name}_id")],
        };
        assert_eq!(entity.primary_key, key, "{name}");
        // `CONSTRAINT album_pkey PRIMARY KEY`: PostgreSQL's default name.
        assert_eq!(entity.primary_key_name, None, "{name}");
        // Keys are plain integers: no sequence, no identity.
        for field in &entity.primary_key {
            assert_eq!(entity.fields[field].generated, None, "{name}.{field}");
            assert_eq!(entity.fields[field].ty, FieldType::Int32, "{name}.{field}");
        }
        // One index per foreign key, named after it.
        let indexes: Vec<&str> = entity
            .indexes
            .iter()
            .map(|index| index.name.as_str())
            .collect();
        let expected: Vec<String> = entity
            .relations
            .iter()
            .map(|relation| format!("{name}_{}_idx", relation.fields[0]))
            .collect();
        assert_eq!(indexes, expected, "{name}");
        assert!(
            entity.uniques.is_empty() && entity.checks.is_empty(),
            "{name}"
        );
    }

    let title = field(manifest, "album", "title");
    assert_eq!(
        (
            title.ty,
            title.max_length,
            title.native.as_deref(),
            title.nullable
        ),
        (FieldType::String, Some(160), None, false)
    );
    let price = field(manifest, "track", "unit_price");
    assert_eq!(
        (
            price.ty,
            price.precision,
            price.scale,
            price.native.as_deref()
        ),
        (FieldType::Decimal, Some(10), Some(2), None)
    );
    let invoice_date = field(manifest, "invoice", "invoice_date");
    assert_eq!(
        (invoice_date.ty, invoice_date.nullable),
        (FieldType::Timestamp, false)
    );
    assert!(field(manifest, "track", "composer").nullable);
    assert!(
        manifest
            .entities
            .values()
            .flat_map(|entity| entity.fields.values())
            .all(|field| field.default.is_none() && field.native.is_none())
    );

    insta::assert_snapshot!("chinook_manifest", snapshot_text(manifest, "chinook"));
}

// ---------------------------------------------------------------------------
// Every feature, on a synthetic database

const FEATURES: &str = r#"
CREATE TYPE status AS ENUM ('draft', 'published', 'archived');
COMMENT ON TYPE status IS 'Publication state';
CREATE DOMAIN email AS character varying(254) NOT NULL CHECK (VALUE LIKE '%@%');
CREATE TYPE money_amount AS (currency character(3), cents bigint);
CREATE TYPE place AS (position point, label text);
CREATE SEQUENCE shared_seq;
CREATE SEQUENCE standalone_seq START 100 INCREMENT 5;

CREATE TABLE authors (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email email UNIQUE,
    handle text COLLATE "C" NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL,
    status status NOT NULL DEFAULT 'draft',
    tags text[] NOT NULL DEFAULT '{}',
    lucky integer[] DEFAULT '{7,13}',
    moods status[],
    balance money_amount,
    home place,
    score double precision DEFAULT -1.5,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    motto text DEFAULT 'it''s fine',
    CONSTRAINT authors_full_name UNIQUE (first_name, last_name),
    CONSTRAINT handle_format CHECK (handle ~ '^[a-z]+$')
);
COMMENT ON TABLE authors IS 'People who write books';
COMMENT ON COLUMN authors.handle IS 'Public handle, lower case';

CREATE TABLE books (
    id bigserial PRIMARY KEY,
    author_id integer NOT NULL REFERENCES authors (id) ON DELETE CASCADE ON UPDATE SET NULL,
    edition integer NOT NULL DEFAULT 1,
    title varchar(200) NOT NULL,
    price numeric(8,2) NOT NULL CONSTRAINT price_positive CHECK (price > 0),
    isbn character(13),
    legacy_id integer DEFAULT nextval('shared_seq'),
    title_upper text GENERATED ALWAYS AS (upper(title)) STORED,
    UNIQUE (author_id, edition)
);
CREATE INDEX books_title_lower ON books (lower(title));
CREATE INDEX books_in_stock ON books (author_id, price DESC) WHERE price > 10;
CREATE INDEX books_title_pattern ON books (title varchar_pattern_ops) INCLUDE (isbn);
CREATE UNIQUE INDEX books_isbn_c ON books (isbn COLLATE "C");
CREATE INDEX books_id_hash ON books USING hash (id);

CREATE TABLE editions (
    book_id bigint NOT NULL REFERENCES books (id),
    number integer NOT NULL,
    published_on date,
    PRIMARY KEY (book_id, number)
);
CREATE UNIQUE INDEX editions_published_on ON editions (published_on) NULLS NOT DISTINCT;
CREATE TABLE reviews (
    id integer GENERATED BY DEFAULT AS IDENTITY,
    book_id bigint NOT NULL,
    edition integer NOT NULL,
    body text,
    legacy_id integer DEFAULT nextval('shared_seq'),
    CONSTRAINT reviews_pk PRIMARY KEY (id),
    CONSTRAINT reviews_edition_fkey FOREIGN KEY (book_id, edition)
        REFERENCES editions (book_id, number) ON DELETE CASCADE DEFERRABLE
);
ALTER TABLE reviews ENABLE ROW LEVEL SECURITY;
CREATE POLICY reviews_visible ON reviews FOR SELECT USING (body IS NOT NULL);

CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER books_touch BEFORE UPDATE ON books FOR EACH ROW EXECUTE FUNCTION touch();

CREATE MATERIALIZED VIEW book_counts AS
    SELECT author_id, count(*) AS books FROM books GROUP BY author_id;
CREATE UNIQUE INDEX book_counts_author ON book_counts (author_id);
CREATE VIEW expensive_books AS SELECT id, title, price FROM books WHERE price > 100;

CREATE TABLE bookings (room integer, during tsrange, EXCLUDE USING gist (during WITH &&));
CREATE UNLOGGED TABLE scratch (note text) WITH (fillfactor = 70);
CREATE TABLE special_books (discount numeric(4,2)) INHERITS (books);
CREATE TABLE nothing ();

CREATE SCHEMA audit;
CREATE TYPE audit.level AS ENUM ('info', 'warn');
CREATE TABLE audit.log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id integer REFERENCES public.authors (id) ON DELETE SET NULL,
    level audit.level NOT NULL DEFAULT 'info',
    happened_at timestamp NOT NULL DEFAULT '2020-01-01 00:00:00'
);
CREATE TABLE audit.authors (id integer PRIMARY KEY, log_id bigint REFERENCES audit.log (id));
CREATE VIEW audit.recent AS SELECT id, level FROM audit.log;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn features_introspect_faithfully_across_two_schemas() {
    let Some(database) = TempDatabase::create_async("features").await else {
        return;
    };
    database.psql(FEATURES);
    let introspection = introspect(&database, &["public", "audit"]).await;
    let manifest = &introspection.manifest;
    assert_valid_and_round_trips(manifest);

    // Names: the first schema's unqualified, the second's qualified.
    assert_eq!(
        names(manifest, EntityKind::Table),
        [
            "audit.authors",
            "audit.log",
            "authors",
            "bookings",
            "books",
            "editions",
            "reviews",
            "scratch",
            "special_books"
        ]
    );
    assert_eq!(
        names(manifest, EntityKind::View),
        ["audit.recent", "expensive_books"]
    );
    assert_eq!(
        names(manifest, EntityKind::MaterializedView),
        ["book_counts"]
    );
    let audit_log = entity(manifest, "audit.log");
    assert_eq!(
        (audit_log.table.as_str(), audit_log.schema.as_deref()),
        ("log", Some("audit"))
    );
    assert_eq!(entity(manifest, "authors").schema, None);
    assert_eq!(
        manifest.source.as_ref().unwrap().schemas,
        strings(&["public", "audit"])
    );

    // Enums, qualified the same way; values in declaration order.
    assert_eq!(
        manifest.enums.keys().collect::<Vec<_>>(),
        ["audit.level", "status"]
    );
    assert_eq!(
        manifest.enums["status"].values,
        ["draft", "published", "archived"]
    );
    assert_eq!(
        manifest.enums["status"].comment.as_deref(),
        Some("Publication state")
    );
    assert_eq!(
        manifest.enums["audit.level"].schema.as_deref(),
        Some("audit")
    );
    let level = field(manifest, "audit.log", "level");
    assert_eq!(
        (
            level.ty,
            level.enum_name.as_deref(),
            level.native.as_deref()
        ),
        (FieldType::Enum, Some("audit.level"), None)
    );
    assert_eq!(level.default, literal(Literal::String("info".into())));

    // Comments.
    let authors = entity(manifest, "authors");
    assert_eq!(authors.comment.as_deref(), Some("People who write books"));
    let handle = field(manifest, "authors", "handle");
    assert_eq!(handle.comment.as_deref(), Some("Public handle, lower case"));
    assert_eq!(handle.collation.as_deref(), Some("C"));

    // Identity, serial, generated columns.
    assert_eq!(
        field(manifest, "authors", "id").generated,
        Some(Generated::Kind(GeneratedKind::IdentityAlways))
    );
    assert_eq!(
        field(manifest, "reviews", "id").generated,
        Some(Generated::Kind(GeneratedKind::Identity))
    );
    let book_id = field(manifest, "books", "id");
    assert_eq!(
        (book_id.ty, &book_id.generated, &book_id.default),
        (
            FieldType::Int64,
            &Some(Generated::Kind(GeneratedKind::Serial)),
            &None
        )
    );
    assert_eq!(
        field(manifest, "books", "title_upper").generated,
        Some(Generated::Computed {
            sql: "upper((title)::text)".into(),
            stored: true
        })
    );
    // A sequence two tables share is no serial: the defaults stay SQL.
    assert_eq!(
        field(manifest, "books", "legacy_id").default,
        sql("nextval('shared_seq'::regclass)")
    );
    assert_eq!(field(manifest, "reviews", "legacy_id").generated, None);

    // Types: domain with NOT NULL, arrays, composite types.
    let email = field(manifest, "authors", "email");
    assert_eq!(
        (
            email.ty,
            email.max_length,
            email.native.as_deref(),
            email.nullable,
            email.unique
        ),
        (FieldType::String, Some(254), Some("email"), false, true)
    );
    let moods = field(manifest, "authors", "moods");
    assert_eq!(moods.ty, FieldType::Array);
    assert_eq!(
        moods.items.as_deref().unwrap().enum_name.as_deref(),
        Some("status")
    );
    let balance = field(manifest, "authors", "balance");
    assert_eq!(
        (balance.ty, balance.native.as_deref()),
        (FieldType::Object, Some("money_amount"))
    );
    let nested = balance.fields.as_ref().unwrap();
    assert_eq!(nested.keys().collect::<Vec<_>>(), ["currency", "cents"]);
    assert_eq!(
        (nested["currency"].ty, nested["currency"].native.as_deref()),
        (FieldType::String, Some("character(3)"))
    );
    assert_eq!(nested["cents"].ty, FieldType::Int64);
    let home = field(manifest, "authors", "home");
    assert_eq!(
        (home.ty, home.native.as_deref()),
        (FieldType::Native, Some("place"))
    );
    let during = field(manifest, "bookings", "during");
    assert_eq!(
        (during.ty, during.native.as_deref()),
        (FieldType::Native, Some("tsrange"))
    );
    let isbn = field(manifest, "books", "isbn");
    assert_eq!(
        (isbn.ty, isbn.max_length, isbn.native.as_deref()),
        (FieldType::String, Some(13), Some("character(13)"))
    );

    // Defaults, normalized.
    assert_eq!(
        field(manifest, "authors", "status").default,
        literal(Literal::String("draft".into()))
    );
    assert_eq!(
        field(manifest, "authors", "tags").default,
        literal(Literal::Array(vec![]))
    );
    assert_eq!(
        field(manifest, "authors", "lucky").default,
        literal(Literal::Array(vec![Literal::Int(7), Literal::Int(13)]))
    );
    assert_eq!(
        field(manifest, "authors", "score").default,
        literal(Literal::Float(-1.5))
    );
    assert_eq!(
        field(manifest, "authors", "active").default,
        literal(Literal::Bool(true))
    );
    assert_eq!(
        field(manifest, "authors", "created_at").default,
        sql("now()")
    );
    assert_eq!(
        field(manifest, "authors", "motto").default,
        literal(Literal::String("it's fine".into()))
    );
    assert_eq!(
        field(manifest, "books", "edition").default,
        literal(Literal::Int(1))
    );
    assert_eq!(
        field(manifest, "audit.log", "happened_at").default,
        literal(Literal::String("2020-01-01 00:00:00".into()))
    );

    // Keys, unique and check constraints.
    assert_eq!(
        entity(manifest, "reviews").primary_key_name.as_deref(),
        Some("reviews_pk")
    );
    assert_eq!(entity(manifest, "books").primary_key_name, None);
    assert_eq!(
        entity(manifest, "editions").primary_key,
        strings(&["book_id", "number"])
    );
    assert_eq!(
        authors.uniques,
        [Unique::new(
            Some("authors_full_name".into()),
            strings(&["first_name", "last_name"])
        )]
    );
    assert_eq!(
        entity(manifest, "books").uniques,
        [Unique::new(
            Some("books_author_id_edition_key".into()),
            strings(&["author_id", "edition"])
        )]
    );
    assert_eq!(
        authors.checks,
        [Check {
            name: Some("handle_format".into()),
            sql: "(handle ~ '^[a-z]+$'::text)".into(),
            ..Check::default()
        }]
    );
    assert_eq!(
        entity(manifest, "books").checks,
        [Check {
            name: Some("price_positive".into()),
            sql: "(price > (0)::numeric)".into(),
            ..Check::default()
        }]
    );

    // Foreign keys: composite, cascading, deferrable, across schemas.
    assert_eq!(
        relations(manifest),
        vec![
            "audit.authors(log_id) -> audit.log(id) authors_log_id_fkey no_action/no_action",
            "audit.log(author_id) -> authors(id) log_author_id_fkey set_null/no_action",
            "books(author_id) -> authors(id) books_author_id_fkey cascade/set_null",
            "editions(book_id) -> books(id) editions_book_id_fkey no_action/no_action",
            "reviews(book_id, edition) -> editions(book_id, number) reviews_edition_fkey cascade/no_action",
        ]
    );
    assert!(entity(manifest, "reviews").relations[0].deferrable);
    assert!(!entity(manifest, "books").relations[0].deferrable);

    // Indexes: expression, partial with a DESC key, collation, method.
    let books = entity(manifest, "books");
    let index = |name: &str| {
        books
            .indexes
            .iter()
            .find(|index| index.name == name)
            .unwrap()
    };
    assert_eq!(
        books
            .indexes
            .iter()
            .map(|index| index.name.as_str())
            .collect::<Vec<_>>(),
        [
            "books_id_hash",
            "books_in_stock",
            "books_isbn_c",
            "books_title_lower",
            "books_title_pattern"
        ]
    );
    assert_eq!(
        index("books_title_lower").fields,
        [IndexPart::Expression {
            sql: "lower((title)::text)".into(),
            order: None
        }]
    );
    let in_stock = index("books_in_stock");
    assert_eq!(
        in_stock.fields,
        [
            IndexPart::field("author_id"),
            IndexPart::Field {
                field: "price".into(),
                order: Some(SortOrder::Desc),
                collation: None,
                prefix_length: None,
            }
        ]
    );
    assert_eq!(
        in_stock.predicate.as_deref(),
        Some("(price > (10)::numeric)")
    );
    assert!(!in_stock.unique);
    let isbn_c = index("books_isbn_c");
    assert!(isbn_c.unique);
    assert_eq!(
        isbn_c.fields,
        [IndexPart::Field {
            field: "isbn".into(),
            order: None,
            collation: Some("C".into()),
            prefix_length: None,
        }]
    );
    assert_eq!(index("books_id_hash").method.as_deref(), Some("hash"));
    assert_eq!(index("books_in_stock").method, None);

    // Views, materialized views, row-level security.
    let counts = entity(manifest, "book_counts");
    assert_eq!(
        counts.definition.as_deref(),
        Some(
            "SELECT books.author_id,\n    count(*) AS books\n   FROM books\n  GROUP BY books.author_id"
        )
    );
    assert_eq!(counts.indexes.len(), 1);
    assert_eq!(counts.fields["books"].ty, FieldType::Int64);
    assert!(entity(manifest, "reviews").row_level_security);
    assert!(!authors.row_level_security);
    assert_eq!(
        entity(manifest, "bookings").exclusions,
        [Exclusion {
            name: "bookings_during_excl".to_owned(),
            sql: "EXCLUDE USING gist (during WITH &&)".to_owned(),
            comment: None,
        }]
    );

    // What the manifest cannot say is in the ledger, every item of it.
    assert_eq!(
        ledger_kinds(&introspection),
        [("nothing", "empty_table")].map(|(object, kind)| (object.to_owned(), kind.to_owned()))
    );
    assert_eq!(entity(manifest, "special_books").inherits, ["books"]);
    // Index and table details are carried, not lost.
    let pattern = index("books_title_pattern");
    assert_eq!(pattern.options.operator_classes, ["varchar_pattern_ops"]);
    assert_eq!(pattern.options.include, ["isbn"]);
    let nulls = &entity(manifest, "editions").indexes[0];
    assert_eq!(nulls.name, "editions_published_on");
    assert!(nulls.options.nulls_not_distinct);
    let scratch = entity(manifest, "scratch");
    assert!(scratch.unlogged);
    assert_eq!(scratch.storage_parameters, ["fillfactor=70"]);
    assert_eq!(
        manifest
            .postgres
            .object("policy reviews_visible ON public.reviews")
            .map(|policy| policy.sql.as_str()),
        Some("CREATE POLICY reviews_visible ON reviews FOR SELECT USING ((body IS NOT NULL))")
    );
    // Carried, not lost: the composite types, the trigger, its function,
    // the domain and the sequences that belong to no serial column.
    let keys: Vec<String> = manifest.postgres.objects.iter().map(|o| o.key()).collect();
    assert_eq!(
        keys,
        [
            "type public.money_amount",
            "type public.place",
            "sequence public.shared_seq",
            "sequence public.standalone_seq",
            "domain public.email",
            "function public.touch()",
            "trigger books_touch ON public.books",
            "policy reviews_visible ON public.reviews",
        ]
    );
    let standalone = manifest
        .postgres
        .object("sequence public.standalone_seq")
        .unwrap();
    assert_eq!(
        standalone.sql,
        "CREATE SEQUENCE public.standalone_seq INCREMENT BY 5 START WITH 100"
    );
    let trigger = manifest
        .postgres
        .object("trigger books_touch ON public.books")
        .unwrap();
    assert_eq!(
        trigger.depends_on,
        ["entity books", "function public.touch()"]
    );
    insta::assert_json_snapshot!("features_ledger", introspection.ledger.entries());
    insta::assert_snapshot!("features_manifest", snapshot_text(manifest, "features"));

    // The second schema alone: its names unqualified, the foreign key into
    // `public` reported rather than kept.
    let audit = introspect(&database, &["audit"]).await;
    assert_valid_and_round_trips(&audit.manifest);
    assert_eq!(
        audit.manifest.entities.keys().collect::<Vec<_>>(),
        ["authors", "log", "recent"]
    );
    assert_eq!(audit.manifest.entities["log"].schema, None);
    assert!(audit.manifest.entities["log"].relations.is_empty());
    assert_eq!(
        audit.manifest.entities["authors"].relations[0]
            .references
            .entity,
        "log"
    );
    assert_eq!(audit.manifest.enums.keys().collect::<Vec<_>>(), ["level"]);
    let dangling = ledger_entry(&audit, "dangling_foreign_key", "log");
    assert!(
        dangling.message.contains("`public.authors`"),
        "{}",
        dangling.message
    );
    assert_eq!(audit.ledger.len(), 1);

    // A schema that does not exist is an error, not an empty manifest.
    let error = try_introspect(&database, &["public", "nope"])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, IntrospectError::Unsupported(message) if message.contains("`nope`")),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------
// Connection errors

#[tokio::test]
async fn unreachable_server_is_a_connect_error_that_never_shows_the_password() {
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://app:Sup3rSecretPw@127.0.0.1:{port}/shop?password=0therSecretPw");
    let error = PostgresIntrospector::new(Url::parse(&url).unwrap())
        .introspect(&IntrospectOptions::default(), &Progress::hidden())
        .await
        .unwrap_err();
    let IntrospectError::Connect { target, reason } = &error else {
        panic!("expected a connect error, got {error:?}");
    };
    assert_eq!(target, &format!("postgres://app:***@127.0.0.1:{port}/shop"));
    assert!(
        !reason.contains("Sup3rSecretPw") && !reason.contains("0therSecretPw"),
        "{reason}"
    );

    let project = tempfile::tempdir().unwrap();
    for json in [false, true] {
        let mut command = assert_cmd::Command::cargo_bin("baas").unwrap();
        command
            .current_dir(project.path())
            .env("NO_COLOR", "1")
            .env("HOME", project.path());
        if json {
            command.arg("--json");
        }
        let output = command.args(["introspect", &url]).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(3), "{all}");
        assert!(
            !all.contains("Sup3rSecretPw") && !all.contains("0therSecretPw"),
            "{all}"
        );
        assert!(all.contains(&format!("127.0.0.1:{port}/shop")), "{all}");
        assert!(!project.path().join("baas.toml").exists());
    }
}

/// Spellings a dump and the live catalog disagree on: unquoted names
/// folded, typed defaults, an index of the partitioned table alone
/// (`ON ONLY`), a domain's check, a routine's result type.
const DUMP_SPELLINGS: &str = "\
CREATE TABLE People (Id integer PRIMARY KEY, \"MixedCase\" text DEFAULT 'x'::text, Name varchar(20) DEFAULT 'bob'::character varying, n numeric DEFAULT '1.50'::numeric, d date DEFAULT '2020-01-01'::date, arr text[] DEFAULT '{}'::text[], j jsonb DEFAULT '{}'::jsonb, neg integer DEFAULT '-1'::integer);
CREATE TABLE m (t date NOT NULL, v int) PARTITION BY RANGE (t);
CREATE TABLE m1 PARTITION OF m FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE INDEX m_v ON m (v);
CREATE DOMAIN pos AS integer CONSTRAINT pos_check CHECK (VALUE > 0 AND (VALUE < 100 OR VALUE = 1000));
CREATE FUNCTION everyone() RETURNS SETOF People LANGUAGE sql STABLE AS $$ SELECT * FROM People $$;
";

/// `pg_dump` of `database` with `options`, as text.
pub(crate) fn pg_dump(database: &TempDatabase, options: &[&str]) -> String {
    let output = std::process::Command::new("pg_dump")
        .args(options)
        .arg(database.url())
        .output()
        .expect("pg_dump (installed with the postgresql client)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `pg_dump` of `database` with `options`, imported as a dump file.
pub(crate) async fn read_dump(database: &TempDatabase, options: &[&str]) -> Introspection {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{}.sql", database.name()));
    std::fs::write(&path, pg_dump(database, options)).unwrap();
    let location =
        baas::source::SourceLocation::parse(&path.display().to_string(), Path::new("/")).unwrap();
    baas::backend::introspect(
        &location,
        &IntrospectOptions::default(),
        &Progress::hidden(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn pg_dump_output_imports_to_the_manifest_of_the_live_database() {
    let Some(pagila) = TempDatabase::create_async("dump_pagila").await else {
        return;
    };
    pagila.psql_file(&corpus_file("sql/postgres/pagila-schema.sql"));
    let Some(spellings) = TempDatabase::create_async("dump_spellings").await else {
        return;
    };
    spellings.psql(DUMP_SPELLINGS);
    let Some(structure) = TempDatabase::create_async("dump_structure").await else {
        return;
    };
    structure.psql(&crate::migrate_render::structure_sql());
    for (label, database) in [
        ("structure", &structure),
        ("pagila", &pagila),
        ("spellings", &spellings),
    ] {
        let live = introspect(database, &[]).await;
        for options in [
            &["--schema-only"][..],
            &["--schema-only", "--clean"],
            &["--schema-only", "--clean", "--if-exists"],
        ] {
            let dump = read_dump(database, options).await;
            let changes = baas::diff::diff(&live.manifest, &dump.manifest);
            assert!(
                changes.is_empty(),
                "{label} {options:?}: the dump differs from the database: {changes:#?}"
            );
            let entries = dump.ledger.entries();
            let skipped: Vec<&&LedgerEntry> = entries
                .iter()
                .filter(|e| e.kind == "skipped_statement")
                .collect();
            assert!(skipped.is_empty(), "{label} {options:?}: {skipped:#?}");
            assert_eq!(
                dump.ledger.entries().len(),
                live.ledger.entries().len(),
                "{label} {options:?}"
            );
        }
    }
    let dump = read_dump(&spellings, &["--schema-only"]).await.manifest;
    let people = entity(&dump, "people");
    assert!(people.fields.contains_key("id") && people.fields.contains_key("MixedCase"));
    assert_eq!(
        entity(&dump, "m").indexes[0].name,
        "m_v",
        "the ON ONLY index"
    );
    let live = introspect(&spellings, &[]).await.manifest;
    assert_eq!(
        people.fields["j"].default,
        entity(&live, "people").fields["j"].default,
        "a typed default reads as the server prints it"
    );
}

/// A partition's own indexes, checks and foreign keys are read and checked
/// like an entity's: an unknown field or target is reported at its line and
/// column, an index name taken by an entity's index is a duplicate, and a
/// valid manifest survives a save and a load unchanged.
#[test]
fn partition_own_objects_are_validated_at_their_place_and_round_trip() {
    let manifest = |own: &str| {
        format!(
            "[manifest]\nformat = 1\nversion = 1\n\n[entities.users]\n[entities.users.fields]\nid = {{ type = \
             \"int64\" }}\n\n[entities.events]\nprimary_key = [\"id\", \"at\"]\npartition_by = \
             \"RANGE (at)\"\n\n[entities.events.fields]\nid = {{ type = \"int64\" }}\nat = {{ type \
             = \"timestamptz\" }}\nuser_id = {{ type = \"int64\", nullable = true }}\n\n\
             [[entities.events.indexes]]\nname = \"events_at\"\nfields = [\"at\"]\n\n\
             [[entities.events.partitions]]\ntable = \"events_2025\"\nbound = \"FOR VALUES FROM \
             ('2025-01-01') TO ('2026-01-01')\"\n{own}"
        )
    };
    let valid = manifest(
        "primary_key = [\"id\"]\nprimary_key_name = \"events_2025_pk\"\n\n\
         [[entities.events.partitions.uniques]]\nname = \"events_2025_user_key\"\nfields = \
         [\"user_id\"]\n\n[[entities.events.partitions.exclusions]]\nname = \"no_overlap\"\nsql \
         = \"EXCLUDE USING gist (user_id WITH =)\"\n\n\
         [[entities.events.partitions.indexes]]\nname = \"events_2025_user\"\nfields = \
         [\"user_id\"]\n\n[[entities.events.partitions.checks]]\nname = \"positive\"\nsql = \"id > \
         0\"\n\n[[entities.events.partitions.relations]]\nfields = [\"user_id\"]\nreferences = { \
         entity = \"users\", fields = [\"id\"] }\n",
    );
    let loaded = baas::manifest::load_str(Path::new("baas.toml"), valid)
        .unwrap_or_else(|e| panic!("{e}"))
        .manifest;
    let partition = &loaded.entities["events"].partitions[0];
    assert_eq!(
        (
            partition.indexes.len(),
            partition.checks.len(),
            partition.relations.len()
        ),
        (1, 1, 1)
    );
    assert_eq!(
        (
            partition.primary_key.as_slice(),
            partition.primary_key_name.as_deref(),
            partition.uniques[0].fields.as_slice(),
            partition.exclusions[0].sql.as_str()
        ),
        (
            &["id".to_owned()][..],
            Some("events_2025_pk"),
            &["user_id".to_owned()][..],
            "EXCLUDE USING gist (user_id WITH =)"
        )
    );
    let saved = baas::manifest::to_toml(&loaded);
    let again = baas::manifest::load_str(Path::new("baas.toml"), saved.clone())
        .unwrap_or_else(|e| panic!("{e}\n{saved}"))
        .manifest;
    assert_eq!(again, loaded, "{saved}");

    // Each problem is placed at the last occurrence of `place` (1-based
    // line:column).
    for (own, expected, place) in [
        (
            "\n[[entities.events.partitions.indexes]]\nname = \"x\"\nfields = [\"usr_id\"]\n",
            "index of entity `events` names unknown field `usr_id`",
            "\"usr_id\"",
        ),
        (
            "\n[[entities.events.partitions.relations]]\nfields = [\"user_id\"]\nreferences = { \
             entity = \"user\", fields = [\"id\"] }\n",
            "references unknown entity `user`",
            "\"user\"",
        ),
        (
            "\n[[entities.events.partitions.indexes]]\nname = \"events_at\"\nfields = [\"id\"]\n",
            "index name `events_at` is used twice",
            "name = \"events_at\"",
        ),
        (
            "\n[[entities.events.partitions.checks]]\nname = \"c\"\n",
            "check constraint has no `sql`",
            "[[entities.events.partitions.checks]]",
        ),
        (
            "primary_key = [\"idd\"]\n",
            "primary key of entity `events` names unknown field `idd`",
            "\"idd\"",
        ),
        (
            "\n[[entities.events.partitions.uniques]]\nfields = [\"code\"]\n",
            "unique constraint of entity `events` names unknown field `code`",
            "\"code\"",
        ),
        (
            "\n[[entities.events.partitions.exclusions]]\nname = \"x\"\n",
            "exclusion constraint has no `sql`",
            "[[entities.events.partitions.exclusions]]",
        ),
    ] {
        let text = manifest(own);
        let offset = text.rfind(place).unwrap();
        let line = text[..offset].matches('\n').count() + 1;
        let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
        let error = baas::manifest::load_str(Path::new("baas.toml"), text)
            .err()
            .unwrap_or_else(|| panic!("accepted: {own}"));
        let shown = error.to_string();
        assert!(shown.contains(expected), "{own}: {shown}");
        assert!(
            shown.contains(&format!("at {line}:{column}")),
            "{own}: not at {line}:{column}: {shown}"
        );
    }
}

/// Exclusion constraints of an ordinary table, in the forms PostgreSQL
/// has (several keys, a predicate, an expression, operator classes, a
/// collation and order, `DEFERRABLE`), on the columns of an extension's
/// operator class (btree_gist's `=` on bigint).
const EXCLUSIONS: &str = r#"
CREATE EXTENSION btree_gist;
CREATE TABLE reservations (
    id bigint PRIMARY KEY,
    room bigint NOT NULL,
    during tstzrange NOT NULL,
    code text,
    label text,
    CONSTRAINT reservations_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&),
    CONSTRAINT reservations_coded EXCLUDE USING gist (room WITH =, during WITH &&)
        WHERE (code IS NOT NULL AND (room > 0 OR code <> '')) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT reservations_label EXCLUDE USING btree
        (lower(label) text_pattern_ops WITH =, code COLLATE "C" DESC WITH =) DEFERRABLE
);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclusion_constraints_of_a_table_round_trip_through_dump_plan_and_check() {
    let Some(source) = TempDatabase::create_async("table_excl").await else {
        return;
    };
    source.psql(EXCLUSIONS);
    let live = introspect(&source, &["public"]).await;
    assert_valid_and_round_trips(&live.manifest);
    let mut carried: Vec<String> = entity(&live.manifest, "reservations")
        .exclusions
        .iter()
        .map(|e| format!("{}: {}", e.name, e.sql))
        .collect();
    carried.sort();
    assert_eq!(
        carried,
        [
            "reservations_coded: EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (((code \
             IS NOT NULL) AND ((room > 0) OR (code <> ''::text)))) DEFERRABLE INITIALLY DEFERRED",
            "reservations_label: EXCLUDE USING btree (lower(label) text_pattern_ops WITH =, code \
             COLLATE \"C\" DESC WITH =) DEFERRABLE",
            "reservations_no_overlap: EXCLUDE USING gist (room WITH =, during WITH &&)",
        ]
    );
    assert_eq!(ledger_kinds(&live), Vec::<(String, String)>::new());

    // A dump reads to the same manifest and ledger.
    let dump = read_dump(&source, &["--schema-only"]).await;
    let changes = baas::diff::diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "{}", crate::partitions::show(&changes));
    assert_eq!(ledger_kinds(&dump), ledger_kinds(&live));

    // Planned to an empty database (the extension first), it comes back
    // the same.
    let plan = crate::partitions::create_plan(&live.manifest);
    assert!(plan.lossy.is_empty(), "{:#?}", plan.lossy);
    let Some(copy) = TempDatabase::create_async("table_excl_copy").await else {
        return;
    };
    crate::migrate_render::pg::apply(&copy, &plan.up).await;
    let again = introspect(&copy, &["public"]).await;
    let changes = baas::diff::diff(&live.manifest, &again.manifest);
    assert!(
        changes.is_empty(),
        "{}\n{}",
        crate::partitions::show(&changes),
        plan.up.to_sql()
    );

    // On MySQL there is no such thing: the plan says so.
    let empty = Manifest {
        project: live.manifest.project.clone(),
        source: live.manifest.source.clone(),
        ..Manifest::default()
    };
    let mysql = baas::migrate::render::render(
        baas::migrate::render::Target::Mysql,
        &empty,
        &live.manifest,
        &baas::diff::diff(&empty, &live.manifest),
    )
    .unwrap();
    let lost: Vec<&String> = mysql
        .lossy
        .iter()
        .filter(|line| line.contains("exclusion constraint"))
        .collect();
    assert_eq!(lost.len(), 3, "{:#?}", mysql.lossy);

    // `check --url` sees one dropped, changed or added by hand, and the
    // plan back to the manifest repairs it.
    crate::partitions::assert_drift_seen_and_repaired(
        &copy,
        &live.manifest,
        &[
            (
                "ALTER TABLE reservations DROP CONSTRAINT reservations_no_overlap",
                "exclusion `reservations_no_overlap` added",
            ),
            (
                "ALTER TABLE reservations DROP CONSTRAINT reservations_coded; ALTER TABLE \
                 reservations ADD CONSTRAINT reservations_coded EXCLUDE USING gist (room WITH =, \
                 during WITH &&) WHERE (code IS NOT NULL) DEFERRABLE INITIALLY DEFERRED",
                "exclusion `reservations_coded`",
            ),
            (
                "ALTER TABLE reservations DROP CONSTRAINT reservations_label; ALTER TABLE \
                 reservations ADD CONSTRAINT reservations_label EXCLUDE USING btree \
                 (lower(label) text_pattern_ops WITH =, code COLLATE \"C\" DESC WITH =)",
                "exclusion `reservations_label`",
            ),
            (
                "ALTER TABLE reservations ADD CONSTRAINT reservations_code EXCLUDE (code WITH =)",
                "exclusion `reservations_code` dropped",
            ),
        ],
    )
    .await;
}

/// Every place PostgreSQL keeps an expression, written as `pg_dump` writes
/// it: column defaults (casts, arrays, jsonb, `nextval`, `now()`), checks
/// (one a `CASE` the server prints over several lines), generated
/// columns, index keys and predicates, an exclusion's `WHERE`, a trigger's
/// `WHEN`, domain checks, partition bounds, a view, functions in every
/// layout a dump gives them (options, `SET`, a default argument, a SQL
/// body), an extension.
const EXPRESSIONS_DUMP: &str = r#"SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET search_path = '';
SET check_function_bodies = false;

CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
CREATE TYPE public.mood AS ENUM (
    'sad',
    'ok',
    'happy'
);
CREATE DOMAIN public.posint AS integer
	CONSTRAINT posint_check CHECK (((VALUE > 0) AND ((VALUE < 1000) OR (VALUE = 5000))));
CREATE DOMAIN public.code AS text
	CONSTRAINT code_check CHECK ((VALUE ~ '^[A-Z]{3}$'::text));
CREATE FUNCTION public.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NEW.name := lower(NEW.name); RETURN NEW; END $$;
CREATE FUNCTION public.score_of(p_id bigint, bonus numeric DEFAULT 1.5) RETURNS numeric
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path TO 'public', 'pg_temp'
    AS $_$ SELECT $2 * 2 $_$;
CREATE FUNCTION public.add_one(integer) RETURNS integer
    LANGUAGE sql IMMUTABLE
    RETURN ($1 + 1);
CREATE SEQUENCE public.ticket_seq
    START WITH 100
    INCREMENT BY 5
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
CREATE TABLE public.users (
    id bigint NOT NULL,
    email character varying(200) NOT NULL,
    name text DEFAULT ''::text NOT NULL,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    roles text[] DEFAULT ARRAY['reader'::text, 'writer'::text],
    prefs jsonb DEFAULT '{"a": 1, "b": [true, null]}'::jsonb NOT NULL,
    ticket integer DEFAULT nextval('public.ticket_seq'::regclass),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone DEFAULT (now() + '30 days'::interval),
    day date DEFAULT CURRENT_DATE,
    note text DEFAULT 'it''s'::text,
    score numeric(10,2) DEFAULT 0.0,
    m public.mood DEFAULT 'ok'::public.mood,
    age public.posint,
    cc public.code,
    ratio double precision DEFAULT ((1)::double precision / (3)::double precision),
    lower_email text GENERATED ALWAYS AS (lower((email)::text)) STORED,
    total numeric GENERATED ALWAYS AS ((score * (2)::numeric)) STORED,
    during tstzrange,
    room integer,
    "Mixed" integer DEFAULT 0,
    CONSTRAINT users_email_check CHECK (((email)::text ~~ '%@%'::text)),
    CONSTRAINT users_score_check CHECK (((score >= (0)::numeric) AND (score <= (100)::numeric))),
    CONSTRAINT users_tags_check CHECK ((array_length(tags, 1) < 10)),
    CONSTRAINT users_case_check CHECK (
CASE
    WHEN (room IS NULL) THEN true
    ELSE (room > 0)
END),
    CONSTRAINT users_in_check CHECK ((name = ANY (ARRAY['a'::text, 'b'::text, ''::text]))),
    CONSTRAINT users_between_check CHECK ((("Mixed" >= 0) AND ("Mixed" <= 10))),
    CONSTRAINT users_coalesce_check CHECK ((COALESCE(note, ''::text) <> 'x'::text))
);
CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;
CREATE VIEW public.active_users AS
 SELECT users.id,
    users.email,
    users.score
   FROM public.users
  WHERE ((users.score > (10)::numeric) AND (users.name <> ''::text));
CREATE TABLE public.events (
    id integer NOT NULL,
    at timestamp without time zone NOT NULL,
    kind text DEFAULT 'x'::text NOT NULL
)
PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 (
    id integer NOT NULL,
    at timestamp without time zone NOT NULL,
    kind text DEFAULT 'x'::text NOT NULL
);
CREATE TABLE public.events_other (
    id integer NOT NULL,
    at timestamp without time zone NOT NULL,
    kind text DEFAULT 'x'::text NOT NULL
);
ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2024 FOR VALUES FROM ('2024-01-01 00:00:00') TO ('2025-01-01 00:00:00');
ALTER TABLE ONLY public.events ATTACH PARTITION public.events_other DEFAULT;
ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);
ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&) WHERE ((room > 0));
ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);
CREATE INDEX users_active ON public.users USING btree (created_at DESC NULLS LAST) WHERE ((score > (10)::numeric) AND (name <> ''::text));
CREATE UNIQUE INDEX users_lower_email ON public.users USING btree (lower((email)::text));
CREATE INDEX users_name_pattern ON public.users USING btree (name text_pattern_ops, COALESCE(note, ''::text)) INCLUDE (email);
CREATE INDEX users_prefs ON public.users USING btree (((prefs ->> 'a'::text)), ((prefs -> 'b'::text)));
CREATE TRIGGER users_touch BEFORE UPDATE OF name ON public.users FOR EACH ROW WHEN (((old.name IS DISTINCT FROM new.name) AND (new.name IS NOT NULL))) EXECUTE FUNCTION public.touch();
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_own ON public.users USING ((room > 0)) WITH CHECK ((score < (100)::numeric));
"#;

/// `baas introspect <source>` run in a directory of its own (with `file`
/// written in it): the baas.toml it wrote, without the lines that name
/// the source (the project's name and the URL).
pub(crate) fn introspected_manifest(source: &str, file: Option<(&str, &str)>) -> String {
    introspected_manifest_with(&[source.to_owned()], file)
}

#[tokio::test]
async fn a_dump_and_the_live_database_give_the_same_manifest_byte_for_byte() {
    let Some(database) = TempDatabase::create_async("expressions").await else {
        return;
    };
    database.psql(EXPRESSIONS_DUMP);
    let live = introspected_manifest(&database.url(), None);
    let written = introspected_manifest("dump.sql", Some(("dump.sql", EXPRESSIONS_DUMP)));
    assert_eq!(live, written, "the dump written in pg_dump's layout");
    let real = pg_dump(&database, &["--schema-only"]);
    let dumped = introspected_manifest("dump.sql", Some(("dump.sql", &real)));
    assert_eq!(live, dumped, "pg_dump's own dump:\n{real}");
    // The expressions are the server's, not a reprint of them.
    for expected in [
        "CHECK (((VALUE > 0) AND",
        "sql = \"\"\"\n\nCASE\n    WHEN (room IS NULL) THEN true",
        "ON users FOR EACH ROW WHEN (((old.name IS DISTINCT FROM new.name)",
        "CREATE OR REPLACE FUNCTION public.score_of(p_id bigint, bonus numeric DEFAULT 1.5)\n",
        "name = \"public.score_of(p_id bigint, bonus numeric)\"",
        "btree_gist = {}",
    ] {
        assert!(live.contains(expected), "{expected}:\n{live}");
    }
}

/// Objects that are not tables: functions in `LANGUAGE internal` and `c`,
/// an ICU collation, a text search dictionary and configuration, a cast,
/// extended statistics, an event trigger and a publication (carried), a
/// text search template (not carried: it needs functions written in C).
const OTHER_OBJECTS: &str = r#"CREATE FUNCTION public.my_lower(text) RETURNS text
    LANGUAGE internal IMMUTABLE STRICT
    AS $$lower$$;
CREATE FUNCTION public.my_c(cstring) RETURNS integer
    LANGUAGE c IMMUTABLE STRICT
    AS '$libdir/dict_snowball', $$dsnowball_init$$;
CREATE TEXT SEARCH DICTIONARY public.my_dict (
    TEMPLATE = pg_catalog.simple, stopwords = 'english' );
CREATE TEXT SEARCH CONFIGURATION public.my_cfg (
    PARSER = pg_catalog."default" );
ALTER TEXT SEARCH CONFIGURATION public.my_cfg
    ADD MAPPING FOR asciiword WITH public.my_dict;
CREATE TEXT SEARCH TEMPLATE public.my_tmpl (LEXIZE = dsimple_lexize);
CREATE COLLATION public.my_icu (provider = icu, locale = 'und-u-ks-level2');
CREATE TYPE public.pair AS (a integer, b integer);
CREATE FUNCTION public.pair_text(public.pair) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT $1.a || ',' || $1.b $$;
CREATE CAST (public.pair AS text) WITH FUNCTION public.pair_text(public.pair);
CREATE TABLE public.t (
    id integer NOT NULL,
    a integer,
    b integer,
    name text COLLATE public.my_icu
);
CREATE STATISTICS public.t_ab ON a, b FROM public.t;
CREATE FUNCTION public.on_ddl() RETURNS event_trigger
    LANGUAGE plpgsql
    AS $$ BEGIN END $$;
CREATE EVENT TRIGGER my_ddl ON ddl_command_end
   EXECUTE FUNCTION public.on_ddl();
CREATE PUBLICATION my_pub FOR TABLE public.t;
"#;

/// Each of them is carried (alike live and from a dump) or named in the
/// ledger, live and from `pg_dump`'s dump: none is left out unsaid.
#[tokio::test]
async fn objects_the_manifest_cannot_carry_are_named_in_the_ledger_live_and_from_a_dump() {
    let Some(database) = TempDatabase::create_async("other_objects").await else {
        return;
    };
    database.psql(OTHER_OBJECTS);
    let live = introspect(&database, &["public"]).await;
    let dump = read_dump(&database, &["--schema-only"]).await;
    for name in [
        "public.my_lower(text)",
        "public.my_c(cstring)",
        "public.my_icu",
        "public.t_ab",
        "my_ddl",
        "public.my_dict",
        "public.my_cfg",
        "(pair AS text)",
        "my_pub",
    ] {
        let object = |manifest: &Manifest| {
            manifest
                .postgres
                .objects
                .iter()
                .find(|o| o.name == name)
                .map(|o| o.sql.clone())
        };
        assert!(object(&live.manifest).is_some(), "{name}");
        assert_eq!(object(&live.manifest), object(&dump.manifest), "{name}");
    }
    let lines: Vec<String> = live
        .ledger
        .entries()
        .iter()
        .map(|e| format!("{}: {}", e.kind, e.message))
        .collect();
    let expected = "engine_object: text search template `public.my_tmpl` is not represented";
    assert!(
        lines.iter().any(|line| line.starts_with(expected)),
        "{expected}: {lines:#?}"
    );
    let skipped: Vec<String> = dump
        .ledger
        .entries()
        .iter()
        .filter(|e| e.kind == "skipped_statement")
        .map(|e| e.message.clone())
        .collect();
    assert!(
        skipped
            .iter()
            .any(|message| message.contains("CREATE TEXT SEARCH TEMPLATE")),
        "{skipped:#?}"
    );
}

/// Real-world features whose catalog form and `pg_dump` form differ in
/// spelling: index keys in every combination of field or expression,
/// collation, operator class, order and nulls; domains with a collation, a
/// default, `NOT NULL`, several named checks, over an array and over another
/// domain; exclusion constraints with storage parameters, an index
/// tablespace, a deferral and a predicate; identity columns with every
/// sequence option; arrays of enums, range columns, comments
/// with quotes and line breaks, mixed-case and reserved-word names,
/// partitions and inheritance.
const DUMP_AND_LIVE: &str = r#"
CREATE EXTENSION btree_gist;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN ctext AS text COLLATE "C" CHECK (VALUE <> '');
CREATE DOMAIN posint AS integer DEFAULT 1 NOT NULL
    CONSTRAINT pos CHECK (VALUE > 0) CONSTRAINT small CHECK (VALUE < 1000);
CREATE DOMAIN ints AS integer[] CHECK (array_length(VALUE, 1) < 5);
CREATE DOMAIN smallpos AS posint CHECK (VALUE < 100);
CREATE DOMAIN posix_code AS varchar(10) COLLATE "POSIX" DEFAULT 'x' NOT NULL;
CREATE TABLE "MixedCase" (
    "Id" bigint GENERATED BY DEFAULT AS IDENTITY
        (START WITH 10 INCREMENT BY 5 MINVALUE 5 MAXVALUE 100000 CACHE 3 CYCLE) PRIMARY KEY,
    "select" text,
    "order" integer GENERATED ALWAYS AS IDENTITY,
    moods mood[] DEFAULT '{ok}',
    r int4range,
    c ctext,
    pi posint,
    sp smallpos,
    arr ints,
    code posix_code,
    g integer GENERATED ALWAYS AS ("order" * 2) STORED,
    name text COLLATE "C"
);
CREATE SEQUENCE cycling START 3 CYCLE;
COMMENT ON TABLE "MixedCase" IS 'it''s a
multi-line comment';
COMMENT ON COLUMN "MixedCase"."select" IS 'quote '' and "dq"';
CREATE INDEX mc_name_c ON "MixedCase" (name COLLATE "C");
CREATE INDEX mc_sel_c ON "MixedCase" ("select" COLLATE "POSIX" text_pattern_ops DESC NULLS LAST);
CREATE INDEX mc_sel_c2 ON "MixedCase" ("select" COLLATE "C");
CREATE INDEX mc_name_posix ON "MixedCase" (name COLLATE "POSIX" DESC);
CREATE INDEX mc_lower ON "MixedCase" (lower("select") COLLATE "C" text_pattern_ops DESC NULLS LAST);
CREATE INDEX mc_lower_c ON "MixedCase" (lower(name) COLLATE "C");
CREATE INDEX mc_concat ON "MixedCase" (("select" || 'x') COLLATE "POSIX", (name || 'y') COLLATE "POSIX" NULLS FIRST);
CREATE INDEX mc_ops ON "MixedCase" (name text_pattern_ops);
CREATE INDEX mc_nf ON "MixedCase" ("select" NULLS FIRST);
CREATE TABLE bookings (
    room integer,
    during tstzrange,
    CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)
        WITH (fillfactor = 70) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT no_overlap2 EXCLUDE USING gist (room WITH =, during WITH &&)
        WITH (fillfactor = 80, buffering = auto) USING INDEX TABLESPACE pg_default WHERE (room > 0)
);
CREATE TABLE parent (id integer, at date) PARTITION BY RANGE (at);
CREATE TABLE parent_2024 PARTITION OF parent FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE base (id integer, note text);
CREATE TABLE child (extra integer) INHERITS (base);
"#;

/// The ledger's lines, each `object kind: message`, in order.
fn ledger_lines(introspection: &Introspection) -> Vec<String> {
    let mut lines: Vec<String> = introspection
        .ledger
        .entries()
        .iter()
        .map(|entry| format!("{} {}: {}", entry.object, entry.kind, entry.message))
        .collect();
    lines.sort();
    lines
}

/// Loads `sql` into a database of its own, then: `baas introspect` of the
/// live database and of its real `pg_dump --schema-only` write the same
/// baas.toml byte for byte and the same ledger, and its plan applied to an
/// empty database reads back to the same manifest. Returns the manifest.
async fn assert_dump_reads_as_live(name: &str, sql: &str, schemas: &[&str]) -> Option<String> {
    let database = TempDatabase::create_async(name).await?;
    database.psql(sql);
    let mut arguments = vec![database.url()];
    for schema in schemas {
        arguments.extend(["--schema".to_owned(), (*schema).to_owned()]);
    }
    let live_text = introspected_manifest_with(&arguments, None);
    let real = pg_dump(&database, &["--schema-only"]);
    let mut arguments = vec!["dump.sql".to_owned()];
    for schema in schemas {
        arguments.extend(["--schema".to_owned(), (*schema).to_owned()]);
    }
    let dumped = introspected_manifest_with(&arguments, Some(("dump.sql", &real)));
    assert_eq!(live_text, dumped, "pg_dump's own dump:\n{real}");

    let live = introspect(&database, schemas).await;
    let dump = read_dump_of(&database, schemas).await;
    // The dump's line for each schema it has and that was not read is its
    // own: the database has schemas introspection did not ask for.
    let mut dump_lines = ledger_lines(&dump);
    dump_lines.retain(|line| !line.contains(" schema: schema `"));
    assert_eq!(ledger_lines(&live), dump_lines, "{real}");

    let plan = crate::partitions::create_plan(&live.manifest);
    let copy = TempDatabase::create_async(&format!("{name}_copy")).await?;
    crate::migrate_render::pg::apply(&copy, &plan.up).await;
    let again = introspect(&copy, schemas).await;
    assert_eq!(
        snapshot_text(&again.manifest, name),
        snapshot_text(&live.manifest, name),
        "{}",
        plan.up.to_sql()
    );
    Some(live_text)
}

/// `baas introspect <arguments>` run in a directory of its own (with
/// `file` written in it): the baas.toml it wrote, without the lines that
/// name the source (the project's name and the URL).
pub(crate) fn introspected_manifest_with(
    arguments: &[String],
    file: Option<(&str, &str)>,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    if let Some((name, text)) = file {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut command: Vec<&str> = vec!["introspect"];
    command.extend(arguments.iter().map(String::as_str));
    command.push("--yes");
    let (code, output) = crate::support::run_in(dir.path(), &command);
    assert_eq!(code, Some(0), "baas {command:?}:\n{output}");
    let manifest = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    let mut in_project = false;
    manifest
        .lines()
        .filter(|line| {
            if line.starts_with('[') {
                in_project = *line == "[project]";
            }
            !(in_project && line.starts_with("name = ") || line.starts_with("url = "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `pg_dump --schema-only` of `database`, imported as a dump file reading
/// `schemas` (the default when empty).
async fn read_dump_of(database: &TempDatabase, schemas: &[&str]) -> Introspection {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.sql");
    std::fs::write(&path, pg_dump(database, &["--schema-only"])).unwrap();
    let location =
        baas::source::SourceLocation::parse(&path.display().to_string(), Path::new("/")).unwrap();
    let options = IntrospectOptions {
        schemas: schemas.iter().map(|schema| (*schema).to_owned()).collect(),
        ..IntrospectOptions::default()
    };
    baas::backend::introspect(&location, &options, &Progress::hidden())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_keys_domains_exclusions_and_identities_read_alike_live_and_from_pg_dump() {
    let Some(manifest) = assert_dump_reads_as_live("dump_live", DUMP_AND_LIVE, &[]).await else {
        return;
    };
    for expected in [
        r#"fields = [{ field = "select", order = "desc", collation = "POSIX" }]"#,
        r#"fields = [{ sql = "lower(\"select\") COLLATE \"C\"", order = "desc" }]"#,
        r#"name = "mc_lower_c"
fields = [{ sql = "lower(name)" }]"#,
        r#"name = "mc_name_c"
fields = ["name"]"#,
        r#"sql = "CREATE DOMAIN public.ctext AS text COLLATE \"C\" CONSTRAINT ctext_check"#,
        r#"depends_on = ["domain public.posint"]"#,
        "WITH (fillfactor='70') DEFERRABLE INITIALLY DEFERRED",
        "WITH (fillfactor='80', buffering=auto) WHERE ((room > 0))",
        "CYCLE",
    ] {
        assert!(manifest.contains(expected), "{expected}:\n{manifest}");
    }
}

/// Two schemas, `public` using a type, a table and a function of `audit`
/// (a foreign key, a column, a view), and `audit` using `public`'s.
const TWO_SCHEMAS: &str = r#"
CREATE SCHEMA audit;
CREATE TYPE audit.level AS ENUM ('low', 'high');
CREATE DOMAIN audit.note AS text CHECK (VALUE <> '');
CREATE TABLE audit.actors (id integer PRIMARY KEY, name audit.note);
CREATE SEQUENCE audit.ticket START 7;
CREATE FUNCTION audit.stamp() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TABLE public.users (
    id integer PRIMARY KEY,
    actor integer REFERENCES audit.actors (id),
    level audit.level DEFAULT 'low',
    ticket bigint DEFAULT nextval('audit.ticket')
);
CREATE TABLE audit.log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id integer REFERENCES public.users (id) ON DELETE CASCADE
);
CREATE INDEX log_user ON audit.log (user_id);
CREATE VIEW public.user_actors AS SELECT u.id, a.name FROM public.users u JOIN audit.actors a ON a.id = u.actor;
"#;

/// A dump reads the schemas live introspection reads: `public` by default
/// (each other schema it has named in the ledger), or those `--schema`
/// gives, references across them alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_reads_the_schemas_live_introspection_reads() {
    let Some(database) = TempDatabase::create_async("dump_schemas").await else {
        return;
    };
    database.psql(TWO_SCHEMAS);
    let live = introspect(&database, &[]).await;
    let dump = read_dump_of(&database, &[]).await;
    assert_eq!(
        snapshot_text(&dump.manifest, "schemas"),
        snapshot_text(&live.manifest, "schemas")
    );
    assert!(!live.manifest.entities.contains_key("audit.actors"));
    let schema_lines: Vec<String> = ledger_lines(&dump)
        .into_iter()
        .filter(|line| line.contains(" schema: "))
        .collect();
    assert_eq!(
        schema_lines,
        [
            "audit schema: schema `audit` of the dump is not read (only `public`); pass `--schema \
          audit` to read it"
        ]
    );

    let Some(manifest) =
        assert_dump_reads_as_live("dump_both", TWO_SCHEMAS, &["public", "audit"]).await
    else {
        return;
    };
    for expected in [
        r#"references = { entity = "audit.actors", fields = ["id"] }"#,
        r#"references = { entity = "users", fields = ["id"] }"#,
        r#"name = "audit.note""#,
    ] {
        assert!(manifest.contains(expected), "{expected}:\n{manifest}");
    }

    // A dump is read with `public` first, as its names are written.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dump.sql"),
        pg_dump(&database, &["--schema-only"]),
    )
    .unwrap();
    let (code, output) = crate::support::run_in(
        dir.path(),
        &["introspect", "dump.sql", "--schema", "audit", "--yes"],
    );
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains("read with `public` as its first schema, not `audit`"),
        "{output}"
    );
}

/// A table that inherits another's checks: the server lists them on the
/// child too (the manifest has no inheritance), `pg_dump` writes them on
/// the parent only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inherited_check_is_on_the_child_live_and_from_pg_dump() {
    let Some(manifest) = assert_dump_reads_as_live(
        "dump_inherits",
        "CREATE TABLE animal (id integer PRIMARY KEY, name text CHECK (name <> ''));\n\
         CREATE TABLE dog (bark boolean, CONSTRAINT dog_barks CHECK (bark IS NOT NULL)) \
         INHERITS (animal);",
        &[],
    )
    .await
    else {
        return;
    };
    assert!(
        manifest.contains("[[entities.dog.checks]]\nname = \"animal_name_check\""),
        "{manifest}"
    );
}

/// A column's statistics target and storage, which `pg_dump` writes as
/// `ALTER TABLE ... ALTER COLUMN ... SET STATISTICS` and `SET STORAGE`
/// (the statements were skipped): the same ledger lines as live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_columns_statistics_target_and_storage_read_alike_live_and_from_pg_dump() {
    let Some(database) = TempDatabase::create_async("dump_column_settings").await else {
        return;
    };
    database.psql(
        "CREATE TABLE \"Orders\" (id integer, \"Limit\" integer, note text);\n\
         ALTER TABLE \"Orders\" ALTER COLUMN \"Limit\" SET STATISTICS 500;\n\
         ALTER TABLE \"Orders\" ALTER note SET STORAGE EXTERNAL;",
    );
    let live = introspect(&database, &[]).await;
    let dump = read_dump_of(&database, &[]).await;
    assert_eq!(ledger_lines(&dump), ledger_lines(&live));
    let lines = ledger_lines(&live).join("\n");
    assert!(lines.contains("statistics target (500)"), "{lines}");
    assert!(lines.contains("`STORAGE`"), "{lines}");
}

/// Fails unless `manifest` contains each of `expected`.
fn assert_contains_all(manifest: &str, expected: &[&str]) {
    for expected in expected {
        assert!(manifest.contains(expected), "{expected}:\n{manifest}");
    }
}

/// Writes `manifest` as `dir`'s `baas.toml` and runs `baas args` there,
/// which must succeed; what it printed.
pub(crate) fn run_with(dir: &Path, manifest: &Manifest, args: &[&str]) -> String {
    std::fs::write(dir.join("baas.toml"), manifest::to_toml(manifest)).unwrap();
    let (code, output) = crate::support::run_in(dir, args);
    assert_eq!(code, Some(0), "baas {}:\n{output}", args.join(" "));
    output
}

/// Plans `manifest` in `dir` as migration `name` and applies it to `url`
/// with the CLI; the migration's `up.sql`.
pub(crate) fn plan_and_apply(dir: &Path, manifest: &Manifest, name: &str, url: &str) -> String {
    run_with(dir, manifest, &["migrate", "plan", "--name", name, "--yes"]);
    run_with(dir, manifest, &["migrate", "apply", "--db", url, "--yes"]);
    let suffix = format!("_{name}");
    let planned = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().ends_with(&suffix))
        .unwrap();
    std::fs::read_to_string(planned.join("up.sql")).unwrap()
}

/// `sql` read live and from its `pg_dump` alike (see
/// [`assert_dump_reads_as_live`]); its manifest planned and applied to an
/// empty database with the CLI, which `check --db` then finds clean; and
/// `hand_change` run there is drift naming each of `named`. The manifest
/// read live.
async fn assert_carried(
    name: &str,
    sql: &str,
    hand_change: &str,
    named: &[&str],
) -> Option<String> {
    let manifest = assert_dump_reads_as_live(name, sql, &[]).await?;
    let source = TempDatabase::create_async(&format!("{name}_source")).await?;
    source.psql(sql);
    let target = TempDatabase::create_async(&format!("{name}_target")).await?;
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["introspect", &source.url(), "--yes"][..],
        &["migrate", "plan", "--name", "init", "--yes"],
        &["migrate", "apply", "--db", &target.url(), "--yes"],
        &["check", "--db", &target.url()],
    ] {
        let (code, output) = crate::support::run_in(dir.path(), args);
        assert_eq!(code, Some(0), "baas {}:\n{output}", args.join(" "));
    }
    target.psql(hand_change);
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &target.url()]);
    assert_eq!(code, Some(1), "{hand_change}\n{output}");
    for named in named {
        assert!(output.contains(named), "{named} not in\n{output}");
    }
    Some(manifest)
}

/// A primary key's and a unique constraint's `INCLUDE`, `NULLS NOT
/// DISTINCT` and storage parameters, which `pg_dump` writes in `ALTER
/// TABLE ... ADD CONSTRAINT` (`USING INDEX TABLESPACE` of the default
/// tablespace it leaves out): on the key live and from a dump, planned,
/// and a change by hand is drift.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_constraint_index_options_read_alike_live_and_from_pg_dump() {
    let Some(manifest) = assert_carried(
        "dump_key_options",
        "CREATE TABLE \"Orders\" (\n\
             id integer, \"Code\" text, note text, at date,\n\
             CONSTRAINT orders_pk PRIMARY KEY (id) INCLUDE (note, at) WITH (fillfactor = 80)\n\
                 USING INDEX TABLESPACE pg_default,\n\
             CONSTRAINT orders_code UNIQUE NULLS NOT DISTINCT (\"Code\") INCLUDE (note)\n\
                 WITH (fillfactor = 70, deduplicate_items = off),\n\
             UNIQUE NULLS NOT DISTINCT (note),\n\
             UNIQUE (at) WITH (fillfactor = 90)\n\
         );\n\
         CREATE TABLE plain (id integer PRIMARY KEY, code text UNIQUE);",
        "ALTER TABLE \"Orders\" DROP CONSTRAINT orders_code;\n\
         ALTER TABLE \"Orders\" ADD CONSTRAINT orders_code UNIQUE (\"Code\") INCLUDE (note)\n\
             WITH (fillfactor = 70, deduplicate_items = off);\n\
         ALTER INDEX orders_pk SET (fillfactor = 60);",
        &["unique", "primary key"],
    )
    .await
    else {
        return;
    };
    assert_contains_all(
        &manifest,
        &[
            "primary_key_name = \"orders_pk\"\nprimary_key_include = [\"note\", \"at\"]\n\
             primary_key_with = [\"fillfactor=80\"]",
            "name = \"orders_code\"\nfields = [\"Code\"]\ninclude = [\"note\"]\n\
             nulls_not_distinct = true\nwith = [\"fillfactor=70\", \"deduplicate_items=off\"]",
            "name = \"Orders_note_key\"\nfields = [\"note\"]\nnulls_not_distinct = true",
            "name = \"Orders_at_key\"\nfields = [\"at\"]\nwith = [\"fillfactor=90\"]",
            "code = { type = \"text\", nullable = true, unique = true }",
        ],
    );
}

/// An identity column's sequence options, which `pg_dump` writes in
/// `ALTER TABLE ... ADD GENERATED ... AS IDENTITY (SEQUENCE NAME ...
/// START WITH ...)`: on the field (`identity_options`, the ones that are
/// not the defaults) live and from a dump, planned, and a change by hand
/// is drift.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_sequence_options_read_alike_live_and_from_pg_dump() {
    let Some(manifest) = assert_carried(
        "dump_identity_options",
        "CREATE TABLE tickets (\n\
             id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 100 INCREMENT BY 10),\n\
             seat smallint GENERATED ALWAYS AS IDENTITY\n\
                 (MINVALUE 5 MAXVALUE 500 START WITH 7 CACHE 20 CYCLE),\n\
             down integer GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY -1),\n\
             plain integer GENERATED BY DEFAULT AS IDENTITY\n\
         );",
        "ALTER TABLE tickets ALTER COLUMN id SET INCREMENT BY 5;\n\
         ALTER TABLE tickets ALTER COLUMN plain SET START WITH 3;",
        &["tickets.id", "tickets.plain", "identity options"],
    )
    .await
    else {
        return;
    };
    assert_contains_all(
        &manifest,
        &[
            r#"id = { type = "int64", generated = "identity", identity_options = "INCREMENT BY 10 START WITH 100" }"#,
            r#"seat = { type = "int16", generated = "identity_always", identity_options = "MINVALUE 5 MAXVALUE 500 START WITH 7 CACHE 20 CYCLE" }"#,
            r#"plain = { type = "int32", generated = "identity" }"#,
        ],
    );
}

/// Types whose modifiers `pg_dump` writes as `format_type` prints them
/// (`interval day to second`, `interval(2)`, `interval hour to
/// second(3)`, `time(3) with time zone`, `bit varying(5)`, `numeric`
/// without a precision, arrays of them): the same fields live and from a
/// dump (an interval with fields was `native` from a dump, and its
/// precision was lost), planned, and a change by hand is drift.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_modifiers_read_alike_live_and_from_pg_dump() {
    let Some(manifest) = assert_carried(
        "dump_typmods",
        "CREATE TABLE spans (\n\
             id integer PRIMARY KEY,\n\
             a interval day to second, b interval(2), c interval hour to second(3),\n\
             d interval year to month, e interval second(0), f interval minute,\n\
             g interval, h time(3) with time zone, i bit varying(5), j numeric,\n\
             k numeric(7,2)[], l interval day to second[], m interval(4)[],\n\
             n timestamp(0) without time zone, o time(1), p bit(3), q varchar(9)[]\n\
         );",
        "ALTER TABLE spans ALTER COLUMN a TYPE interval hour to minute;\n\
         ALTER TABLE spans ALTER COLUMN b TYPE interval(3);",
        &["spans.a", "spans.b"],
    )
    .await
    else {
        return;
    };
    assert_contains_all(
        &manifest,
        &[
            r#"a = { type = "interval", native = "interval day to second", nullable = true }"#,
            r#"b = { type = "interval", native = "interval(2)", nullable = true }"#,
            r#"c = { type = "interval", native = "interval hour to second(3)", nullable = true }"#,
            r#"g = { type = "interval", nullable = true }"#,
            r#"l = { type = "array", items = { type = "interval", native = "interval day to second" }, nullable = true }"#,
            r#"m = { type = "array", items = { type = "interval", native = "interval(4)" }, nullable = true }"#,
        ],
    );
}

/// An index's comment (`COMMENT ON INDEX`, which a dump wrote and the
/// importer passed over, while live introspection named it in the ledger):
/// `comment` on the index, alike live and from a dump, planned, and a
/// change by hand is drift.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_comments_read_alike_live_and_from_pg_dump() {
    let Some(manifest) = assert_carried(
        "dump_index_comments",
        "CREATE SCHEMA other;\n\
         CREATE TABLE other.notes (id integer);\n\
         CREATE INDEX by_title ON other.notes (id);\n\
         COMMENT ON INDEX other.by_title IS 'not the one read';\n\
         CREATE TABLE books (id integer PRIMARY KEY, title text, isbn text);\n\
         CREATE INDEX by_title ON books (title);\n\
         CREATE UNIQUE INDEX \"By ISBN\" ON books (isbn) WHERE isbn IS NOT NULL;\n\
         COMMENT ON INDEX by_title IS 'finds a book by its title: it''s \"fast\"';\n\
         COMMENT ON INDEX \"By ISBN\" IS 'one book per ISBN';\n\
         CREATE MATERIALIZED VIEW titles AS SELECT id, title FROM books;\n\
         CREATE INDEX titles_by_id ON titles (id);\n\
         COMMENT ON INDEX titles_by_id IS 'by id';",
        "COMMENT ON INDEX by_title IS 'changed';\n\
         COMMENT ON INDEX titles_by_id IS NULL;",
        &["books", "titles"],
    )
    .await
    else {
        return;
    };
    assert_contains_all(
        &manifest,
        &[
            "name = \"by_title\"\nfields = [\"title\"]\ncomment = \"finds a book by its title: it's \\\"fast\\\"\"",
            "name = \"By ISBN\"\nfields = [\"isbn\"]\nunique = true\nwhere = \"(isbn IS NOT NULL)\"\ncomment = \"one book per ISBN\"",
            "name = \"titles_by_id\"\nfields = [\"id\"]\ncomment = \"by id\"",
        ],
    );
}

/// A domain whose check calls a function depends on it, live and from a
/// dump, so a plan makes the function first (the domain failed with
/// `function is_code(text) does not exist`); and an empty schema of a
/// dump that is not read is named in the ledger as one with objects is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_depends_on_the_functions_its_checks_call() {
    const SQL: &str = "CREATE SCHEMA util;\n\
         CREATE FUNCTION util.upper_only(t text) RETURNS boolean LANGUAGE sql IMMUTABLE\n\
             AS $$ SELECT t = upper(t) $$;\n\
         CREATE FUNCTION is_code(t text) RETURNS boolean LANGUAGE sql IMMUTABLE\n\
             AS $$ SELECT t ~ '^[A-Z]+$' $$;\n\
         CREATE DOMAIN code AS text CHECK (is_code(VALUE) AND length(VALUE) < 9);\n\
         CREATE TABLE items (id integer PRIMARY KEY, c code);\n\
         CREATE SCHEMA empty;";
    let Some(manifest) = assert_carried(
        "dump_domain_functions",
        SQL,
        "ALTER DOMAIN code DROP CONSTRAINT code_check;",
        &["domain public.code"],
    )
    .await
    else {
        return;
    };
    assert!(
        manifest
            .contains("name = \"public.code\"\ndepends_on = [\"function public.is_code(t text)\"]"),
        "{manifest}"
    );
    let Some(database) = TempDatabase::create_async("dump_empty_schema").await else {
        return;
    };
    database.psql(SQL);
    let lines: Vec<String> = ledger_lines(&read_dump_of(&database, &[]).await)
        .into_iter()
        .filter(|line| line.contains(" schema: "))
        .collect();
    assert_eq!(
        lines,
        [
            "empty schema: schema `empty` of the dump is not read (only `public`); pass \
             `--schema empty` to read it",
            "util schema: schema `util` of the dump is not read (only `public`); pass `--schema \
             util` to read it",
        ]
    );
}

/// A table's replica identity (`REPLICA IDENTITY FULL`, as Supabase
/// realtime tables have, `NOTHING`, `USING INDEX`) and `CLUSTER ON` index,
/// which `pg_dump` writes in `ALTER TABLE` statements the importer skipped:
/// on the entity live and from a dump, planned (after the index they
/// name), and a change by hand is drift.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_identity_and_cluster_on_read_alike_live_and_from_pg_dump() {
    let Some(manifest) = assert_carried(
        "dump_replica_identity",
        "CREATE TABLE messages (id integer PRIMARY KEY, body text);\n\
         ALTER TABLE messages REPLICA IDENTITY FULL;\n\
         CREATE TABLE quiet (id integer PRIMARY KEY);\n\
         ALTER TABLE quiet REPLICA IDENTITY NOTHING;\n\
         ALTER TABLE quiet CLUSTER ON quiet_pkey;\n\
         CREATE TABLE \"Codes\" (id integer PRIMARY KEY, code text NOT NULL, at date);\n\
         CREATE UNIQUE INDEX \"Codes by code\" ON \"Codes\" (code);\n\
         CREATE INDEX codes_at ON \"Codes\" (at);\n\
         ALTER TABLE \"Codes\" REPLICA IDENTITY USING INDEX \"Codes by code\";\n\
         ALTER TABLE \"Codes\" CLUSTER ON codes_at;\n\
         CREATE TABLE keyed (id integer PRIMARY KEY);\n\
         ALTER TABLE keyed REPLICA IDENTITY USING INDEX keyed_pkey;",
        "ALTER TABLE messages REPLICA IDENTITY DEFAULT;\n\
         ALTER TABLE \"Codes\" SET WITHOUT CLUSTER;",
        &["messages", "Codes"],
    )
    .await
    else {
        return;
    };
    assert_contains_all(
        &manifest,
        &[
            "[entities.messages]\ntable = \"messages\"\nprimary_key = [\"id\"]\nreplica_identity = \"FULL\"",
            "replica_identity = \"NOTHING\"\ncluster_on = \"quiet_pkey\"",
            "replica_identity = \"USING INDEX \\\"Codes by code\\\"\"\ncluster_on = \"codes_at\"",
            "replica_identity = \"USING INDEX keyed_pkey\"",
        ],
    );
}

/// A constraint's comment (`COMMENT ON CONSTRAINT ... ON table`) is
/// `comment` on its key, unique, check, exclusion or foreign key (or
/// `primary_key_comment`), alike live and from a dump (they were ledger
/// lines); a plan writes it, a comment changed or removed by hand is
/// drift, and a plan of only changed comments is `COMMENT ON CONSTRAINT`
/// alone, never a drop and an add.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constraint_comments_read_alike_live_and_from_pg_dump_and_round_trip() {
    let Some(manifest) = assert_carried(
        "dump_constraint_comments",
        "CREATE EXTENSION btree_gist;\n\
         CREATE TABLE owners (id integer PRIMARY KEY);\n\
         CREATE TABLE \"Pets\" (id integer, owner integer REFERENCES owners,\n\
             name text CONSTRAINT named CHECK (name <> ''), UNIQUE (name), CHECK (id > 0),\n\
             EXCLUDE USING gist (id WITH =));\n\
         COMMENT ON CONSTRAINT owners_pkey ON owners IS 'the key';\n\
         COMMENT ON CONSTRAINT named ON \"Pets\" IS 'it''s named';\n\
         COMMENT ON CONSTRAINT \"Pets_id_check\" ON \"Pets\" IS 'positive';\n\
         COMMENT ON CONSTRAINT \"Pets_owner_fkey\" ON \"Pets\" IS 'whose';\n\
         COMMENT ON CONSTRAINT \"Pets_name_key\" ON \"Pets\" IS 'one name';\n\
         COMMENT ON CONSTRAINT \"Pets_id_excl\" ON \"Pets\" IS 'one id';",
        "COMMENT ON CONSTRAINT owners_pkey ON owners IS 'changed';\n\
         COMMENT ON CONSTRAINT \"Pets_owner_fkey\" ON \"Pets\" IS NULL;",
        &[
            "comment on the primary key",
            "comment on constraint `Pets_owner_fkey`",
        ],
    )
    .await
    else {
        return;
    };
    assert_contains_all(
        &manifest,
        &[
            "primary_key_comment = \"the key\"",
            "name = \"Pets_name_key\"\nfields = [\"name\"]\ncomment = \"one name\"",
            "name = \"named\"\nsql = \"(name <> ''::text)\"\ncomment = \"it's named\"",
            "comment = \"positive\"",
            "comment = \"one id\"",
            "references = { entity = \"owners\", fields = [\"id\"] }\ncomment = \"whose\"",
        ],
    );

    // Only comments change: the plan is `COMMENT ON CONSTRAINT` alone.
    let before = baas::manifest::load_str(Path::new("baas.toml"), manifest)
        .unwrap()
        .manifest;
    let mut after = before.clone();
    after
        .entities
        .get_mut("owners")
        .unwrap()
        .primary_key_comment = None;
    let pets = after.entities.get_mut("Pets").unwrap();
    pets.uniques[0].options.comment = Some("changed".to_owned());
    pets.relations[0].comment = Some("changed".to_owned());
    let plan = baas::migrate::render::render(
        baas::migrate::render::Target::Postgres,
        &before,
        &after,
        &baas::diff::diff(&before, &after),
    )
    .unwrap();
    let up = plan.up.to_sql();
    let statements: Vec<&str> = up
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with("--"))
        .collect();
    assert_eq!(
        statements,
        [
            "COMMENT ON CONSTRAINT \"Pets_name_key\" ON \"Pets\" IS 'changed';",
            "COMMENT ON CONSTRAINT \"Pets_owner_fkey\" ON \"Pets\" IS 'changed';",
            "COMMENT ON CONSTRAINT \"owners_pkey\" ON \"owners\" IS NULL;",
        ],
        "{up}"
    );
}

/// An identity column's sequence under a name PostgreSQL would not give it
/// (named by hand, or its table renamed since) keeps that name:
/// `SEQUENCE NAME` in `identity_options`, alike live and from a dump, made
/// so by a plan, renamed by a plan when the manifest renames it, and a
/// rename by hand is drift (the name was lost: a plan made the sequence
/// under the default name). The same options spelled otherwise in the
/// manifest are no change, and a change of only the primary key's index
/// options says which.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identity_sequence_keeps_its_name_and_its_options_compare_by_meaning() {
    let sql = "CREATE TABLE old_tickets (\n\
                   id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 100 INCREMENT BY 10)\n\
                       PRIMARY KEY,\n\
                   n integer GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME ticket_numbers),\n\
                   plain integer GENERATED BY DEFAULT AS IDENTITY\n\
               );\n\
               ALTER TABLE old_tickets RENAME TO tickets;";
    let Some(manifest) = assert_carried(
        "dump_identity_names",
        sql,
        "ALTER SEQUENCE ticket_numbers RENAME TO other_numbers;",
        &["tickets.n", "identity options"],
    )
    .await
    else {
        return;
    };
    assert_contains_all(
        &manifest,
        &[
            r#"id = { type = "int64", generated = "identity", identity_options = "SEQUENCE NAME old_tickets_id_seq INCREMENT BY 10 START WITH 100" }"#,
            r#"n = { type = "int32", generated = "identity_always", identity_options = "SEQUENCE NAME ticket_numbers" }"#,
            r#"plain = { type = "int32", generated = "identity", identity_options = "SEQUENCE NAME old_tickets_plain_seq" }"#,
        ],
    );

    let Some(source) = TempDatabase::create_async("identity_names_source").await else {
        return;
    };
    source.psql(sql);
    let Some(target) = TempDatabase::create_async("identity_names_target").await else {
        return;
    };
    let before = introspect(&source, &[]).await.manifest;
    let dir = tempfile::tempdir().unwrap();
    let run = |manifest: &Manifest, args: &[&str]| run_with(dir.path(), manifest, args);
    plan_and_apply(dir.path(), &before, "init", &target.url());
    target.psql("INSERT INTO tickets DEFAULT VALUES;");

    // Spelled otherwise: no drift, no change.
    let mut respelled = before.clone();
    let fields = &mut respelled.entities.get_mut("tickets").unwrap().fields;
    fields.get_mut("id").unwrap().identity_options =
        Some("start 100 increment 10 no cycle cache 1 SEQUENCE NAME old_tickets_id_seq".into());
    fields.get_mut("plain").unwrap().identity_options =
        Some("INCREMENT BY 1 MAXVALUE 2147483647 NO MINVALUE START WITH 1 SEQUENCE NAME old_tickets_plain_seq".into());
    run(&respelled, &["check", "--db", &target.url()]);
    assert!(baas::diff::diff(&before, &respelled).is_empty());

    // Renamed in the manifest: renamed by the plan, the rows kept.
    let mut renamed = before.clone();
    let n = renamed
        .entities
        .get_mut("tickets")
        .unwrap()
        .fields
        .get_mut("n")
        .unwrap();
    n.identity_options = Some("SEQUENCE NAME seat_numbers INCREMENT BY 2".into());
    let up = plan_and_apply(dir.path(), &renamed, "rename", &target.url());
    assert!(
        up.contains("ALTER SEQUENCE ticket_numbers RENAME TO seat_numbers")
            && !up.contains("SET SEQUENCE NAME"),
        "{up}"
    );
    run(&renamed, &["check", "--db", &target.url()]);
    assert_eq!(target.query("SELECT count(*) FROM tickets").trim(), "1");

    // Only the primary key's storage parameters change: the change says so.
    let mut with = before.clone();
    with.entities.get_mut("tickets").unwrap().primary_key_with = vec!["fillfactor=70".into()];
    let changes = baas::diff::diff(&before, &with);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        changes[0].reason,
        "`tickets`: the primary key (id) is made again with WITH none → (fillfactor=70)"
    );
}

/// The comment on the sequence of a serial or identity column is the
/// field's `sequence_comment`, alike live and from a dump, made by a plan,
/// and a change by hand is drift. A serial sequence under a name a plan
/// would not give it (its table renamed since) stays a sequence of its own,
/// name and comment kept. A plan
/// that renames the table renames its serial and identity sequences, so the
/// comments stay on them and `check` stays clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_comments_of_serial_and_identity_columns_round_trip() {
    let sql = "CREATE TABLE \"Orders\" (id serial PRIMARY KEY,\n\
                   n integer GENERATED ALWAYS AS IDENTITY,\n\
                   m bigint GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME order_numbers));\n\
               COMMENT ON SEQUENCE \"Orders_id_seq\" IS 'numbers orders';\n\
               COMMENT ON SEQUENCE \"Orders_n_seq\" IS 'it''s n';\n\
               COMMENT ON SEQUENCE order_numbers IS 'm';\n\
               CREATE TABLE old_name (id serial PRIMARY KEY, other serial);\n\
               ALTER TABLE old_name RENAME TO renamed;\n\
               COMMENT ON SEQUENCE old_name_id_seq IS 'kept';";
    let Some(manifest) = assert_carried(
        "dump_sequence_comments",
        sql,
        "COMMENT ON SEQUENCE \"Orders_n_seq\" IS 'changed';\n\
         COMMENT ON SEQUENCE old_name_id_seq IS NULL;",
        &[
            "`Orders.n`: sequence comment",
            "sequence `public.old_name_id_seq`: comment",
        ],
    )
    .await
    else {
        return;
    };
    assert_contains_all(
        &manifest,
        &[
            r#"id = { type = "int32", generated = "serial", sequence_comment = "numbers orders" }"#,
            r#"n = { type = "int32", generated = "identity_always", sequence_comment = "it's n" }"#,
            r#"m = { type = "int64", generated = "identity", identity_options = "SEQUENCE NAME order_numbers", sequence_comment = "m" }"#,
            r#"id = { type = "int32", default = { sql = "nextval('old_name_id_seq'::regclass)" } }"#,
            "name = \"public.old_name_id_seq\"\nowned_by = \"public.renamed.id\"\ncomment = \"kept\"",
            r#"other = { type = "int32", default = { sql = "nextval('old_name_other_seq'::regclass)" } }"#,
            "name = \"public.old_name_other_seq\"\nowned_by = \"public.renamed.other\"\nsql",
        ],
    );

    let Some(source) = TempDatabase::create_async("sequence_comments_source").await else {
        return;
    };
    source.psql(sql);
    let introspection = introspect(&source, &[]).await;

    // Renamed by the manifest, one comment changed: the plan renames the
    // sequences with the table and comments on the renamed one.
    let Some(target) = TempDatabase::create_async("sequence_comments_target").await else {
        return;
    };
    let before = introspection.manifest;
    let dir = tempfile::tempdir().unwrap();
    plan_and_apply(dir.path(), &before, "init", &target.url());
    target.psql("INSERT INTO \"Orders\" DEFAULT VALUES;");
    let mut after = before.clone();
    let mut orders = after.entities.remove("Orders").unwrap();
    orders.table = "Sales".to_owned();
    orders.renamed_from = Some("Orders".to_owned());
    orders.fields.get_mut("n").unwrap().sequence_comment = None;
    after.entities.insert("Sales".to_owned(), orders);
    let up = plan_and_apply(dir.path(), &after, "rename", &target.url());
    assert_contains_all(
        &up,
        &[
            "ALTER SEQUENCE IF EXISTS \"Orders_id_seq\" RENAME TO \"Sales_id_seq\";",
            "ALTER SEQUENCE \"Orders_n_seq\" RENAME TO \"Sales_n_seq\";",
            "COMMENT ON SEQUENCE \"Sales_n_seq\" IS NULL;",
        ],
    );
    after.entities.get_mut("Sales").unwrap().renamed_from = None;
    run_with(dir.path(), &after, &["check", "--db", &target.url()]);
    assert_eq!(
        target
            .query("SELECT obj_description('\"Sales_id_seq\"'::regclass, 'pg_class')")
            .trim(),
        "numbers orders"
    );
    assert_eq!(target.query("SELECT count(*) FROM \"Sales\"").trim(), "1");
}

/// Identity options changed so that the sequence runs down, or starts
/// above 1, apply: what the new options leave unsaid goes back to its
/// default, the start's default is the first value (the maximum going
/// down, the minimum going up), and new bounds restart the sequence past
/// the rows there are. Before, the plan set `START WITH 1` and kept the
/// current value, which PostgreSQL refuses beyond those bounds, and the
/// migration failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_options_changed_to_run_down_or_start_higher_apply() {
    let Some(target) = TempDatabase::create_async("identity_direction").await else {
        return;
    };
    let text = "[manifest]\nformat = 1\nversion = 1\n\n[source]\nengine = \"postgres\"\n\n\
                [entities.t]\ntable = \"t\"\n\
                primary_key = [\"id\"]\n\n[entities.t.fields]\n\
                id = { type = \"int64\", generated = \"identity\" }\n\
                n = { type = \"int32\", generated = \"identity\", identity_options = \"INCREMENT BY 5\" }\n";
    let before = baas::manifest::load_str(Path::new("baas.toml"), text.to_owned())
        .unwrap()
        .manifest;
    let dir = tempfile::tempdir().unwrap();
    plan_and_apply(dir.path(), &before, "init", &target.url());
    target.psql("INSERT INTO t DEFAULT VALUES; INSERT INTO t DEFAULT VALUES;");
    let mut after = before.clone();
    let fields = &mut after.entities.get_mut("t").unwrap().fields;
    fields.get_mut("id").unwrap().identity_options = Some("INCREMENT BY -1".into());
    // `INCREMENT BY 5` left unsaid: back to 1.
    fields.get_mut("n").unwrap().identity_options = Some("MINVALUE 10".into());
    let up = plan_and_apply(dir.path(), &after, "direction", &target.url());
    assert_contains_all(&up, &["SET START WITH -1", "SET START WITH 10"]);
    run_with(dir.path(), &after, &["check", "--db", &target.url()]);
    target.psql("INSERT INTO t DEFAULT VALUES; INSERT INTO t DEFAULT VALUES;");
    assert_eq!(
        target
            .query("SELECT string_agg(id || ':' || n, ' ' ORDER BY n) FROM t")
            .trim(),
        "1:1 2:6 -1:10 -2:11"
    );
    // Only the step changes: no restart, the sequence goes on.
    let mut step = after.clone();
    let n = step
        .entities
        .get_mut("t")
        .unwrap()
        .fields
        .get_mut("n")
        .unwrap();
    n.identity_options = Some("MINVALUE 10 INCREMENT BY 100".into());
    let up = plan_and_apply(dir.path(), &step, "step", &target.url());
    assert!(!up.contains("RESTART") && !up.contains("setval"), "{up}");
    target.psql("INSERT INTO t DEFAULT VALUES;");
    assert_eq!(target.query("SELECT max(n) FROM t").trim(), "111");
}

/// Privileges, owners and tablespaces are not carried (a plan's objects
/// belong to the role that applies it, with the default privileges, in the
/// default tablespace), but not lost in silence either: one ledger line
/// each, alike live and from a dump. Before, a dump's `GRANT`s, owners and
/// `SET default_tablespace` were skipped without a word, and so were the
/// live database's privileges, owners and index tablespaces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileges_owners_and_tablespaces_are_ledger_lines_alike_live_and_from_pg_dump() {
    // Roles and tablespaces belong to the whole server.
    let Some(admin) = TempDatabase::create_async("access_admin").await else {
        return;
    };
    let tablespace = format!("baas_fast_{}", std::process::id());
    admin.psql(&format!(
        "DO $$ BEGIN CREATE ROLE baas_access_owner NOLOGIN;\n\
             EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n\
         DO $$ BEGIN CREATE ROLE baas_access_reader NOLOGIN;\n\
             EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n\
         SET allow_in_place_tablespaces = true;\n\
         CREATE TABLESPACE {tablespace} LOCATION '';"
    ));
    let sql = format!(
        "CREATE TABLE a (id serial PRIMARY KEY, secret text);\n\
         CREATE VIEW v AS SELECT id FROM a;\n\
         CREATE SEQUENCE counter;\n\
         CREATE FUNCTION f(x integer) RETURNS integer LANGUAGE sql AS 'SELECT x';\n\
         CREATE TYPE mood AS ENUM ('a', 'b');\n\
         CREATE DOMAIN positive AS integer CHECK (VALUE > 0);\n\
         CREATE TABLE fast (id integer PRIMARY KEY USING INDEX TABLESPACE {tablespace}, v text)\n\
             TABLESPACE {tablespace};\n\
         CREATE INDEX fast_v ON fast (v) TABLESPACE {tablespace};\n\
         CREATE INDEX a_secret ON a (secret) TABLESPACE pg_default;\n\
         GRANT SELECT ON a, v TO baas_access_reader;\n\
         GRANT SELECT (v) ON fast TO baas_access_reader;\n\
         GRANT USAGE ON SEQUENCE counter TO baas_access_reader;\n\
         REVOKE ALL ON FUNCTION f(integer) FROM PUBLIC;\n\
         GRANT USAGE ON TYPE mood TO baas_access_reader;\n\
         ALTER VIEW v OWNER TO baas_access_owner;\n\
         ALTER DOMAIN positive OWNER TO baas_access_owner;"
    );
    if assert_dump_reads_as_live("dump_access", &sql, &[])
        .await
        .is_none()
    {
        return;
    }
    let Some(database) = TempDatabase::create_async("access_live").await else {
        return;
    };
    database.psql(&sql);
    let lines = ledger_lines(&introspect(&database, &[]).await);
    assert_eq!(
        lines,
        [
            "owners ownership: the objects read have 2 owners, `baas_access_owner` (2), \
             `postgres` (6): ownership is not carried, a plan's objects are owned by the role \
             that applies it"
                .to_owned(),
            "privileges privileges: privileges granted or revoked (`GRANT`, `REVOKE`) on \
             function `f`, sequence `counter`, 3 tables (`a`, `fast`, `v`), type `mood` are not \
             carried: a plan grants nothing beyond the defaults; grant them in a migration of \
             your own"
                .to_owned(),
            format!(
                "tablespace {tablespace} tablespace: tablespace `{tablespace}` holds 2 indexes \
                 (`fast_pkey`, `fast_v`), table `fast`: tablespaces are not carried, a plan \
                 makes them in the database's default tablespace"
            ),
        ]
    );
}

/// Table inheritance (`INHERITS`, the partitioning of PostgreSQL before
/// 10): each table says what it inherits from, in order, and which of its
/// columns and checks it has from its parents; a `NO INHERIT` check says so.
/// Alike live and from a dump; the plan makes the parents first, each child
/// with only its own columns and `INHERITS`, and the `NOT NULL` and default
/// an inherited column has of its own; a table made to inherit from
/// another no more, by hand, is drift.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_inheritance_reads_alike_live_and_from_pg_dump_and_round_trips() {
    let Some(manifest) = assert_carried(
        "dump_inherits",
        "CREATE TABLE zparent (id serial PRIMARY KEY, name text NOT NULL DEFAULT 'x', note text,\n\
             CONSTRAINT zparent_positive CHECK (id > 0),\n\
             CONSTRAINT zparent_small CHECK (id < 1000000) NO INHERIT);\n\
         CREATE TABLE extras (extra integer DEFAULT 3);\n\
         CREATE TABLE child (own integer, name text NOT NULL,\n\
             CONSTRAINT child_own CHECK (own > 0)) INHERITS (zparent, extras);\n\
         ALTER TABLE ONLY child ALTER COLUMN note SET NOT NULL;\n\
         ALTER TABLE ONLY child ALTER COLUMN extra SET DEFAULT 5;\n\
         COMMENT ON COLUMN child.note IS 'the note';\n\
         CREATE TABLE achild (more text) INHERITS (child);\n\
         CREATE INDEX achild_more ON achild (more);",
        "ALTER TABLE child NO INHERIT extras;",
        &["child", "inherits"],
    )
    .await
    else {
        return;
    };
    assert_contains_all(
        &manifest,
        &[
            "[entities.achild]\ntable = \"achild\"\ninherits = [\"child\"]",
            "[entities.child]\ntable = \"child\"\ninherits = [\"zparent\", \"extras\"]",
            "[entities.child.fields]\n\
             id = { type = \"int32\", default = { sql = \"nextval('zparent_id_seq'::regclass)\" }, inherited = true }\n\
             name = { type = \"text\", default = \"x\" }\n\
             note = { type = \"text\", inherited = true, comment = \"the note\" }\n\
             extra = { type = \"int32\", nullable = true, default = 5, inherited = true }\n\
             own = { type = \"int32\", nullable = true }\n\n\
             [[entities.child.checks]]\nname = \"child_own\"\nsql = \"(own > 0)\"\n\n\
             [[entities.child.checks]]\nname = \"zparent_positive\"\nsql = \"(id > 0)\"\ninherited = true",
            "note = { type = \"text\", inherited = true }\n",
            "name = \"zparent_small\"\nsql = \"(id < 1000000)\"\nno_inherit = true",
        ],
    );
}

/// A table inheriting from a table of a schema not read: the ledger names
/// that parent, alike live and from a dump, and the table is planned
/// without it, with all its columns and checks as its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inheriting_from_a_table_of_a_schema_not_read_is_a_ledger_line() {
    let sql = "CREATE SCHEMA legacy;\n\
               CREATE TABLE legacy.base (id integer NOT NULL, CONSTRAINT base_id CHECK (id > 0));\n\
               CREATE TABLE local_base (code text);\n\
               CREATE TABLE child (own text) INHERITS (legacy.base, local_base);";
    let Some(manifest) = assert_dump_reads_as_live("dump_inherits_unread", sql, &["public"]).await
    else {
        return;
    };
    assert_contains_all(
        &manifest,
        &["[entities.child]\ntable = \"child\"\n\n\
             [entities.child.fields]\n\
             id = { type = \"int32\" }\n\
             code = { type = \"text\", nullable = true }\n\
             own = { type = \"text\", nullable = true }\n\n\
             [[entities.child.checks]]\nname = \"base_id\"\nsql = \"(id > 0)\"\n"],
    );
    let Some(database) = TempDatabase::create_async("inherits_unread").await else {
        return;
    };
    database.psql(sql);
    let live = introspect(&database, &["public"]).await;
    assert_eq!(
        ledger_lines(&live),
        [
            "child inheritance: `child` inherits from `legacy.base`, which the manifest does not \
          have (a table of a schema not read, or a foreign table): the manifest lists the \
          columns and checks it inherits as its own, and a plan makes it a table that \
          inherits from nothing"
        ]
    );
}

/// A plan from one inheritance to another: a table made to inherit from a
/// new parent (`INHERIT`, once it has the parent's columns) and from one no
/// more (`NO INHERIT`); a column and a check added to or dropped from a
/// parent, and a parent's column of another type, which PostgreSQL changes
/// in its children itself.
/// Applied, the database reads as the manifest planned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_changes_inheritance_and_the_parents_columns_in_place() {
    let (Some(before), Some(after)) = (
        TempDatabase::create_async("inherits_before").await,
        TempDatabase::create_async("inherits_after").await,
    ) else {
        return;
    };
    before.psql(
        "CREATE TABLE zparent (id integer NOT NULL, name text, gone text,\n\
             CONSTRAINT zparent_old CHECK (id < 10));\n\
         CREATE TABLE extras (extra integer);\n\
         CREATE TABLE legacy (old integer);\n\
         CREATE TABLE child () INHERITS (zparent, legacy);\n\
         CREATE TABLE grandchild (more text) INHERITS (child);",
    );
    after.psql(
        "CREATE TABLE zparent (id integer NOT NULL, name varchar(40), added text,\n\
             CONSTRAINT zparent_positive CHECK (id > 0));\n\
         CREATE TABLE extras (extra integer);\n\
         CREATE TABLE legacy (old integer);\n\
         CREATE TABLE child (own integer) INHERITS (zparent, extras);\n\
         CREATE TABLE grandchild (more text) INHERITS (child);",
    );
    let current = introspect(&before, &[]).await.manifest;
    let desired = introspect(&after, &[]).await.manifest;
    let plan = baas::migrate::render::render(
        baas::migrate::render::Target::Postgres,
        &current,
        &desired,
        &baas::diff::diff(&current, &desired),
    )
    .unwrap();
    crate::migrate_render::pg::apply(&before, &plan.up).await;
    let applied = introspect(&before, &[]).await.manifest;
    let left = baas::diff::diff(&applied, &desired);
    assert!(
        left.is_empty(),
        "{}\n{}",
        serde_json::to_string_pretty(&left).unwrap(),
        plan.up.to_sql()
    );
}
