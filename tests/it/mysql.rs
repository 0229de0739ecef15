//! Live introspection of MariaDB (the server `tests/servers/start.sh` runs):
//! the real sakila and Chinook schemas loaded with the `mariadb` client, and
//! a schema of our own for the features they lack.

use baas::backend::introspect as introspect_location;
use baas::introspect::{IntrospectOptions, Introspection};
use baas::manifest::{
    self, DefaultValue, EntityKind, FieldType, Generated, GeneratedKind, IndexPart, Literal,
    Manifest, ReferentialAction, SortOrder,
};
use baas::source::SourceLocation;
use baas::ui::Progress;

use crate::support::mysql::TempDatabase;
use crate::support::{assert_valid_and_round_trips, corpus_file};

async fn introspect(database: &TempDatabase) -> Introspection {
    read_source(&database.url()).await
}

/// What `introspect` reads from `source` (a URL or a file).
async fn read_source(source: &str) -> Introspection {
    let location = SourceLocation::parse(source, std::path::Path::new("/")).unwrap();
    introspect_location(
        &location,
        &IntrospectOptions::default(),
        &Progress::hidden(),
    )
    .await
    .unwrap()
}

/// A corpus script without the statements that pick its own database, so
/// that it loads into the test's fresh one. The fixture file is not changed.
fn into_this_database(script: &str, own_name: &str) -> String {
    script
        .lines()
        .filter(|line| {
            let upper = line.trim_start().to_ascii_uppercase();
            !(upper.starts_with("DROP SCHEMA")
                || upper.starts_with("CREATE SCHEMA")
                || upper.starts_with("DROP DATABASE")
                || upper.starts_with("CREATE DATABASE")
                || upper.starts_with("USE "))
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replace(&format!("{own_name}."), "")
}

fn corpus(relative: &str) -> String {
    std::fs::read_to_string(corpus_file(relative)).unwrap()
}

/// `(entity, relation name, fields, target, target fields, on delete, on update)`
fn relations(
    manifest: &Manifest,
) -> Vec<(
    String,
    String,
    String,
    String,
    String,
    ReferentialAction,
    ReferentialAction,
)> {
    let mut out = Vec::new();
    for (name, entity) in &manifest.entities {
        for relation in &entity.relations {
            out.push((
                name.clone(),
                relation.name.clone().unwrap_or_default(),
                relation.fields.join(","),
                relation.references.entity.clone(),
                relation.references.fields.join(","),
                relation.on_delete,
                relation.on_update,
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sakila_schema_and_data_introspect_faithfully() {
    let Some(database) = TempDatabase::create("sakila") else {
        return;
    };
    database.load(&into_this_database(
        &corpus("sql/mysql/sakila-schema.sql"),
        "sakila",
    ));
    database.load(&into_this_database(
        &corpus("sql/mysql/sakila-data.sql"),
        "sakila",
    ));
    let Introspection { manifest, ledger } = introspect(&database).await;
    assert_valid_and_round_trips(&manifest);

    let tables: Vec<&str> = manifest
        .entities
        .iter()
        .filter(|(_, e)| e.kind == EntityKind::Table)
        .map(|(n, _)| n.as_str())
        .collect();
    let views: Vec<&str> = manifest
        .entities
        .iter()
        .filter(|(_, e)| e.kind == EntityKind::View)
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        tables,
        [
            "actor",
            "address",
            "category",
            "city",
            "country",
            "customer",
            "film",
            "film_actor",
            "film_category",
            "film_text",
            "inventory",
            "language",
            "payment",
            "rental",
            "staff",
            "store"
        ]
    );
    assert_eq!(
        views,
        [
            "actor_info",
            "customer_list",
            "film_list",
            "nicer_but_slower_film_list",
            "sales_by_film_category",
            "sales_by_store",
            "staff_list"
        ]
    );

    use ReferentialAction::{Cascade, Restrict, SetNull};
    let expected: Vec<(
        &str,
        &str,
        &str,
        &str,
        &str,
        ReferentialAction,
        ReferentialAction,
    )> = vec![
        (
            "address",
            "fk_address_city",
            "city_id",
            "city",
            "city_id",
            Restrict,
            Cascade,
        ),
        (
            "city",
            "fk_city_country",
            "country_id",
            "country",
            "country_id",
            Restrict,
            Cascade,
        ),
        (
            "customer",
            "fk_customer_address",
            "address_id",
            "address",
            "address_id",
            Restrict,
            Cascade,
        ),
        (
            "customer",
            "fk_customer_store",
            "store_id",
            "store",
            "store_id",
            Restrict,
            Cascade,
        ),
        (
            "film",
            "fk_film_language",
            "language_id",
            "language",
            "language_id",
            Restrict,
            Cascade,
        ),
        (
            "film",
            "fk_film_language_original",
            "original_language_id",
            "language",
            "language_id",
            Restrict,
            Cascade,
        ),
        (
            "film_actor",
            "fk_film_actor_actor",
            "actor_id",
            "actor",
            "actor_id",
            Restrict,
            Cascade,
        ),
        (
            "film_actor",
            "fk_film_actor_film",
            "film_id",
            "film",
            "film_id",
            Restrict,
            Cascade,
        ),
        (
            "film_category",
            "fk_film_category_category",
            "category_id",
            "category",
            "category_id",
            Restrict,
            Cascade,
        ),
        (
            "film_category",
            "fk_film_category_film",
            "film_id",
            "film",
            "film_id",
            Restrict,
            Cascade,
        ),
        (
            "inventory",
            "fk_inventory_film",
            "film_id",
            "film",
            "film_id",
            Restrict,
            Cascade,
        ),
        (
            "inventory",
            "fk_inventory_store",
            "store_id",
            "store",
            "store_id",
            Restrict,
            Cascade,
        ),
        (
            "payment",
            "fk_payment_customer",
            "customer_id",
            "customer",
            "customer_id",
            Restrict,
            Cascade,
        ),
        (
            "payment",
            "fk_payment_rental",
            "rental_id",
            "rental",
            "rental_id",
            SetNull,
            Cascade,
        ),
        (
            "payment",
            "fk_payment_staff",
            "staff_id",
            "staff",
            "staff_id",
            Restrict,
            Cascade,
        ),
        (
            "rental",
            "fk_rental_customer",
            "customer_id",
            "customer",
            "customer_id",
            Restrict,
            Cascade,
        ),
        (
            "rental",
            "fk_rental_inventory",
            "inventory_id",
            "inventory",
            "inventory_id",
            Restrict,
            Cascade,
        ),
        (
            "rental",
            "fk_rental_staff",
            "staff_id",
            "staff",
            "staff_id",
            Restrict,
            Cascade,
        ),
        (
            "staff",
            "fk_staff_address",
            "address_id",
            "address",
            "address_id",
            Restrict,
            Cascade,
        ),
        (
            "staff",
            "fk_staff_store",
            "store_id",
            "store",
            "store_id",
            Restrict,
            Cascade,
        ),
        (
            "store",
            "fk_store_address",
            "address_id",
            "address",
            "address_id",
            Restrict,
            Cascade,
        ),
        (
            "store",
            "fk_store_staff",
            "manager_staff_id",
            "staff",
            "staff_id",
            Restrict,
            Cascade,
        ),
    ];
    let expected: Vec<_> = expected
        .into_iter()
        .map(|(a, b, c, d, e, f, g)| (a.into(), b.into(), c.into(), d.into(), e.into(), f, g))
        .collect();
    assert_eq!(relations(&manifest), expected);

    // Primary keys, composite included.
    assert_eq!(
        manifest.entities["film_actor"].primary_key,
        ["actor_id", "film_id"]
    );
    assert_eq!(
        manifest.entities["film_category"].primary_key,
        ["film_id", "category_id"]
    );
    assert_eq!(manifest.entities["rental"].primary_key, ["rental_id"]);

    // Inline enum and set become `[enums]`, shared with the views over them.
    assert_eq!(
        manifest.enums["film_rating"].values,
        ["G", "PG", "PG-13", "R", "NC-17"]
    );
    assert_eq!(
        manifest.enums.len(),
        2,
        "{:?}",
        manifest.enums.keys().collect::<Vec<_>>()
    );
    let film = &manifest.entities["film"];
    let rating = &film.fields["rating"];
    assert_eq!(
        (rating.ty, rating.enum_name.as_deref()),
        (FieldType::Enum, Some("film_rating"))
    );
    assert_eq!(
        rating.default,
        Some(DefaultValue::Literal(Literal::String("G".into())))
    );
    assert!(rating.nullable);
    let features = &film.fields["special_features"];
    assert_eq!(features.ty, FieldType::Array);
    assert_eq!(
        features.items.as_ref().unwrap().enum_name.as_deref(),
        Some("film_special_features")
    );
    assert_eq!(
        manifest.entities["film_list"].fields["rating"]
            .enum_name
            .as_deref(),
        Some("film_rating")
    );

    // Unsigned integers widen, with the exact type kept.
    let film_id = &film.fields["film_id"];
    assert_eq!(film_id.ty, FieldType::Int32);
    assert_eq!(film_id.native.as_deref(), Some("smallint unsigned"));
    assert_eq!(
        film_id.generated,
        Some(Generated::Kind(GeneratedKind::Autoincrement))
    );
    assert_eq!(film.fields["release_year"].native.as_deref(), Some("year"));
    let rate = &film.fields["rental_rate"];
    assert_eq!(
        (rate.ty, rate.precision, rate.scale),
        (FieldType::Decimal, Some(4), Some(2))
    );
    assert_eq!(
        rate.default,
        Some(DefaultValue::Literal(Literal::Float(4.99)))
    );
    assert!(!film.fields["title"].nullable);
    assert_eq!(film.fields["title"].max_length, Some(128));

    // ON UPDATE CURRENT_TIMESTAMP and the expression default.
    let last_update = &film.fields["last_update"];
    assert_eq!(last_update.ty, FieldType::Timestamptz);
    assert_eq!(last_update.on_update.as_deref(), Some("CURRENT_TIMESTAMP"));
    assert_eq!(
        last_update.default,
        Some(DefaultValue::Sql {
            sql: "CURRENT_TIMESTAMP".into()
        })
    );
    assert_eq!(
        manifest.entities["customer"].fields["active"].ty,
        FieldType::Bool
    );
    assert_eq!(
        manifest.entities["staff"].fields["picture"].ty,
        FieldType::Bytes
    );

    // Indexes: plain, unique, composite unique, full-text.
    let index = |entity: &str, name: &str| {
        manifest.entities[entity]
            .indexes
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("index {entity}.{name}"))
            .clone()
    };
    assert_eq!(
        index("film", "idx_title").fields,
        [IndexPart::field("title")]
    );
    let rental_date = index("rental", "rental_date");
    assert!(rental_date.unique);
    assert_eq!(
        rental_date.fields,
        [
            IndexPart::field("rental_date"),
            IndexPart::field("inventory_id"),
            IndexPart::field("customer_id")
        ]
    );
    assert!(index("store", "idx_unique_manager").unique);
    let fulltext = index("film_text", "idx_title_description");
    assert_eq!(fulltext.method.as_deref(), Some("fulltext"));
    assert_eq!(
        fulltext.fields,
        [IndexPart::field("title"), IndexPart::field("description")]
    );

    // Views keep their query, without the database's name in it.
    let definition = manifest.entities["actor_info"]
        .definition
        .as_deref()
        .unwrap();
    assert!(definition.contains("`film_category`"), "{definition}");
    assert!(!definition.contains(database.name()), "{definition}");

    // Triggers and routines are not representable: the ledger says so.
    let entries = ledger.entries();
    let triggers: Vec<&str> = entries
        .iter()
        .filter(|e| e.kind == "trigger")
        .map(|e| e.object.as_str())
        .collect();
    assert_eq!(
        triggers,
        ["customer", "film", "film", "film", "payment", "rental"]
    );
    let routine = entries.iter().find(|e| e.kind == "routine").unwrap();
    assert!(
        routine.message.contains("6 stored routine(s)"),
        "{}",
        routine.message
    );
    assert!(routine.message.contains("`rewards_report`"));

    let mut manifest = manifest;
    manifest.project.name = Some("sakila".into());
    insta::assert_snapshot!(manifest::to_toml(&manifest));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinook_for_mysql_introspects_every_key() {
    let Some(database) = TempDatabase::create("chinook") else {
        return;
    };
    database.load(&into_this_database(
        &corpus("sql/mysql/Chinook_MySql.sql"),
        "Chinook",
    ));
    let Introspection { manifest, ledger } = introspect(&database).await;
    assert_valid_and_round_trips(&manifest);
    assert!(ledger.is_empty(), "{:?}", ledger.entries());
    assert_eq!(manifest.entities.len(), 11);
    let found: Vec<(String, String, String, String)> = relations(&manifest)
        .into_iter()
        .map(|(entity, name, fields, target, target_fields, ..)| {
            (entity, format!("{name}:{fields}"), target, target_fields)
        })
        .collect();
    let expected = [
        ("Album", "FK_AlbumArtistId:ArtistId", "Artist", "ArtistId"),
        (
            "Customer",
            "FK_CustomerSupportRepId:SupportRepId",
            "Employee",
            "EmployeeId",
        ),
        (
            "Employee",
            "FK_EmployeeReportsTo:ReportsTo",
            "Employee",
            "EmployeeId",
        ),
        (
            "Invoice",
            "FK_InvoiceCustomerId:CustomerId",
            "Customer",
            "CustomerId",
        ),
        (
            "InvoiceLine",
            "FK_InvoiceLineInvoiceId:InvoiceId",
            "Invoice",
            "InvoiceId",
        ),
        (
            "InvoiceLine",
            "FK_InvoiceLineTrackId:TrackId",
            "Track",
            "TrackId",
        ),
        (
            "PlaylistTrack",
            "FK_PlaylistTrackPlaylistId:PlaylistId",
            "Playlist",
            "PlaylistId",
        ),
        (
            "PlaylistTrack",
            "FK_PlaylistTrackTrackId:TrackId",
            "Track",
            "TrackId",
        ),
        ("Track", "FK_TrackAlbumId:AlbumId", "Album", "AlbumId"),
        ("Track", "FK_TrackGenreId:GenreId", "Genre", "GenreId"),
        (
            "Track",
            "FK_TrackMediaTypeId:MediaTypeId",
            "MediaType",
            "MediaTypeId",
        ),
    ];
    let expected: Vec<(String, String, String, String)> = expected
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(found, expected);
    for relation in manifest.entities.values().flat_map(|e| &e.relations) {
        // `NO ACTION` in the script; InnoDB treats it as `RESTRICT` and MariaDB reports that.
        assert!(
            matches!(
                relation.on_delete,
                ReferentialAction::NoAction | ReferentialAction::Restrict
            ),
            "{relation:?}"
        );
    }
    assert_eq!(
        manifest.entities["PlaylistTrack"].primary_key,
        ["PlaylistId", "TrackId"]
    );
    let track = &manifest.entities["Track"];
    assert_eq!(track.fields["Name"].max_length, Some(200));
    assert!(track.fields["AlbumId"].nullable);
    assert!(!track.fields["MediaTypeId"].nullable);
    let price = &track.fields["UnitPrice"];
    assert_eq!(
        (price.ty, price.precision, price.scale),
        (FieldType::Decimal, Some(10), Some(2))
    );
    let mut index_names: Vec<&str> = manifest
        .entities
        .values()
        .flat_map(|e| e.indexes.iter().map(|i| i.name.as_str()))
        .collect();
    index_names.sort();
    assert_eq!(index_names.len(), 11, "{index_names:?}");
    assert!(
        index_names.iter().all(|n| n.starts_with("IFK_")),
        "{index_names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn features_beyond_the_corpus_are_read_or_ledgered() {
    let Some(database) = TempDatabase::create("features") else {
        return;
    };
    database.load(
        "
        CREATE TABLE author (
            id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
            email VARCHAR(120) NOT NULL UNIQUE,
            name VARCHAR(80) NOT NULL COMMENT 'shown on the cover',
            bio TEXT,
            profile JSON,
            active BIT(1) NOT NULL DEFAULT b'1',
            secret VARCHAR(10) INVISIBLE
        ) COMMENT 'people who write';
        CREATE TABLE book (
            id INT NOT NULL AUTO_INCREMENT,
            author_id BIGINT UNSIGNED NULL,
            title VARCHAR(200) NOT NULL,
            price DECIMAL(8,2) NOT NULL DEFAULT 9.99,
            pages INT,
            weight DOUBLE,
            status ENUM('draft','published') NOT NULL DEFAULT 'draft',
            tags SET('a','b','c'),
            price_with_tax DECIMAL(9,2) AS (price * 1.2) VIRTUAL,
            title_upper VARCHAR(200) AS (upper(title)) STORED,
            location POINT,
            created DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
            changed TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
            PRIMARY KEY (id),
            CONSTRAINT book_author FOREIGN KEY (author_id) REFERENCES author (id) ON DELETE SET NULL ON UPDATE CASCADE,
            CONSTRAINT price_positive CHECK (price >= 0),
            KEY book_title_prefix (title(20)),
            KEY book_pages_desc (pages DESC, id),
            FULLTEXT KEY book_title_text (title)
        );
        CREATE VIEW published AS SELECT id, title, status FROM book WHERE status = 'published';
        ",
    );
    let Introspection { manifest, ledger } = introspect(&database).await;
    assert_valid_and_round_trips(&manifest);

    let author = &manifest.entities["author"];
    assert_eq!(author.comment.as_deref(), Some("people who write"));
    assert_eq!(author.fields["id"].ty, FieldType::Int64);
    assert_eq!(
        author.fields["id"].native.as_deref(),
        Some("bigint unsigned")
    );
    assert!(
        author.fields["email"].unique,
        "single-column UNIQUE is said on the field"
    );
    assert_eq!(
        author.fields["name"].comment.as_deref(),
        Some("shown on the cover")
    );
    assert_eq!(author.fields["profile"].ty, FieldType::Json);
    assert!(
        author.checks.is_empty(),
        "MariaDB's json_valid CHECK is implied by the type"
    );
    assert_eq!(author.fields["active"].ty, FieldType::Bool);

    let book = &manifest.entities["book"];
    assert_eq!(book.primary_key, ["id"]);
    assert_eq!(book.fields["weight"].ty, FieldType::Float64);
    assert_eq!(
        book.fields["status"].enum_name.as_deref(),
        Some("book_status")
    );
    assert_eq!(manifest.enums["book_tags"].values, ["a", "b", "c"]);
    assert_eq!(
        book.fields["price_with_tax"].generated,
        Some(Generated::Computed {
            sql: "`price` * 1.2".into(),
            stored: false
        })
    );
    assert!(matches!(
        book.fields["title_upper"].generated,
        Some(Generated::Computed { stored: true, .. })
    ));
    assert_eq!(book.fields["location"].ty, FieldType::Native);
    assert_eq!(book.fields["location"].native.as_deref(), Some("point"));
    assert_eq!(book.fields["created"].ty, FieldType::Timestamp);
    assert_eq!(
        book.fields["changed"].on_update.as_deref(),
        Some("CURRENT_TIMESTAMP")
    );
    assert_eq!(book.checks.len(), 1);
    assert_eq!(book.checks[0].name.as_deref(), Some("price_positive"));
    assert_eq!(book.checks[0].sql, "`price` >= 0");
    let relation = &book.relations[0];
    assert_eq!(relation.name.as_deref(), Some("book_author"));
    assert_eq!(
        (relation.on_delete, relation.on_update),
        (ReferentialAction::SetNull, ReferentialAction::Cascade)
    );
    let index = |name: &str| book.indexes.iter().find(|i| i.name == name).unwrap();
    let desc = index("book_pages_desc");
    assert_eq!(
        desc.fields,
        [
            IndexPart::Field {
                field: "pages".into(),
                order: Some(SortOrder::Desc),
                collation: None,
                prefix_length: None,
            },
            IndexPart::field("id"),
        ]
    );
    let prefix = index("book_title_prefix");
    assert_eq!(
        prefix.fields,
        [IndexPart::Field {
            field: "title".into(),
            order: None,
            collation: None,
            prefix_length: Some(20),
        }]
    );
    let text = index("book_title_text");
    assert_eq!(text.method.as_deref(), Some("fulltext"));

    let published = &manifest.entities["published"];
    assert_eq!(published.kind, EntityKind::View);
    assert!(published.fields.values().all(|f| f.default.is_none()));

    let kinds: Vec<(String, String)> = ledger
        .entries()
        .iter()
        .map(|e| (e.object.clone(), e.kind.clone()))
        .collect();
    assert!(
        !kinds.iter().any(|(_, kind)| kind == "invisible_column"),
        "{kinds:?}"
    );
    assert!(manifest.entities["author"].fields["secret"].invisible);
    assert!(!manifest.entities["author"].fields["name"].invisible);
}

#[test]
fn the_binary_reads_mariadb_and_never_shows_a_password() {
    let Some(database) = TempDatabase::create("cli") else {
        return;
    };
    database.load("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10));");
    let dir = tempfile::tempdir().unwrap();
    let output = assert_cmd::Command::cargo_bin("baas")
        .unwrap()
        .current_dir(dir.path())
        .args(["introspect", &database.url(), "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["counts"]["entities"], 1);
    let written = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    assert!(written.contains("engine = \"mysql\""), "{written}");

    let output = assert_cmd::Command::cargo_bin("baas")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "introspect",
            "mysql://root:pw-s3cret-xyz@127.0.0.1:1/shop",
            "-o",
            "other.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(all.contains("127.0.0.1:1/shop"), "{all}");
    assert!(!all.contains("pw-s3cret-xyz"), "{all}");
}

/// A dump imported from its file and the same file loaded into MariaDB and
/// introspected must agree. What only a server knows is left out of the
/// comparison: where each came from and a view's query (rewritten by the
/// server). A view's columns are compared: the import derives them from the
/// query as the server does.
fn comparable(mut manifest: Manifest) -> Manifest {
    manifest.project.name = None;
    manifest.source = None;
    for entity in manifest.entities.values_mut() {
        if entity.kind == EntityKind::View {
            entity.definition = None;
        }
    }
    // Only enums used by some field.
    let used: Vec<String> = manifest
        .entities
        .values()
        .flat_map(|e| e.fields.values())
        .flat_map(|f| {
            [
                f.enum_name.clone(),
                f.items.as_ref().and_then(|i| i.enum_name.clone()),
            ]
        })
        .flatten()
        .collect();
    manifest.enums.retain(|name, _| used.contains(name));
    manifest
}

async fn import_dump(relative: &str) -> Introspection {
    let location = SourceLocation::parse(
        &corpus_file(relative).display().to_string(),
        std::path::Path::new("/"),
    )
    .unwrap();
    introspect_location(
        &location,
        &IntrospectOptions::default(),
        &Progress::hidden(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sakila_dump_import_equals_live_introspection() {
    let Some(database) = TempDatabase::create("sakila_dump") else {
        return;
    };
    database.load(&into_this_database(
        &corpus("sql/mysql/sakila-schema.sql"),
        "sakila",
    ));
    let live = comparable(introspect(&database).await.manifest);
    let mut dump = comparable(import_dump("sql/mysql/sakila-schema.sql").await.manifest);
    // MariaDB skips MySQL 5.7+ executable comments (`/*!50705 ... */`), so it
    // has no `address.location` nor its spatial index; MySQL, for which the
    // dump is written, has both, and so does the import.
    let address = dump.entities.get_mut("address").unwrap();
    assert_eq!(
        address
            .fields
            .shift_remove("location")
            .unwrap()
            .native
            .as_deref(),
        Some("geometry")
    );
    let spatial = address
        .indexes
        .iter()
        .position(|i| i.name == "idx_location")
        .unwrap();
    assert_eq!(
        address.indexes.remove(spatial).method.as_deref(),
        Some("spatial")
    );
    pretty_assertions_eq(&dump, &live);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinook_dump_import_equals_live_introspection() {
    let Some(database) = TempDatabase::create("chinook_dump") else {
        return;
    };
    database.load(&into_this_database(
        &corpus("sql/mysql/Chinook_MySql.sql"),
        "Chinook",
    ));
    let live = comparable(introspect(&database).await.manifest);
    let dump = import_dump("sql/mysql/Chinook_MySql.sql").await;
    assert!(dump.ledger.is_empty(), "{:?}", dump.ledger.entries());
    pretty_assertions_eq(&comparable(dump.manifest), &live);
}

/// Compares manifests through their TOML, so a failure shows the lines that differ.
fn pretty_assertions_eq(dump: &Manifest, live: &Manifest) {
    let (dump, live) = (manifest::to_toml(dump), manifest::to_toml(live));
    if dump != live {
        let differences: Vec<String> = dump
            .lines()
            .zip(live.lines())
            .filter(|(a, b)| a != b)
            .take(10)
            .map(|(a, b)| format!("dump: {a}\nlive: {b}"))
            .collect();
        panic!(
            "dump import and live introspection differ:\n{}",
            differences.join("\n")
        );
    }
}

#[tokio::test]
async fn mysqldump_output_imports_to_the_manifest_of_the_live_database() {
    let Some(database) = TempDatabase::create_async("dump_sakila").await else {
        return;
    };
    database.load(&into_this_database(
        &corpus("sql/mysql/sakila-schema.sql"),
        "sakila",
    ));
    let live = introspect(&database).await;
    let dump = mariadb_dump_import(&database).await;
    let changes = baas::diff::diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "the dump differs: {changes:#?}");
    // View queries are the server's own text, not a re-rendering.
    assert_eq!(
        dump.manifest.entities["customer_list"].definition,
        live.manifest.entities["customer_list"].definition
    );
}

/// String defaults that MariaDB shows escaped read as the value written,
/// alike live and from a dump: a `BINARY(n)` default is padded with zero
/// bytes (`DEFAULT ''` shows as `'\0\0\0\0'`), a backslash is doubled.
/// Before, the live side kept the padding as text, and `check` reported
/// drift on tables it had just made.
#[tokio::test]
async fn escaped_and_padded_defaults_read_alike_live_and_from_a_dump() {
    let Some(database) = TempDatabase::create_async("escaped_defaults").await else {
        return;
    };
    database.load(
        "CREATE TABLE t (id INT PRIMARY KEY, h BINARY(4) NOT NULL DEFAULT '', \
         h2 BINARY(4) NOT NULL DEFAULT 'ab', v VARBINARY(8) NOT NULL DEFAULT '', \
         s VARCHAR(10) DEFAULT 'a\\\\b\\'c', z VARCHAR(10) DEFAULT 'x\\\\0y')",
    );
    let live = introspect(&database).await;
    let default = |field: &str| live.manifest.entities["t"].fields[field].default.clone();
    let text = |value: &str| Some(DefaultValue::Literal(Literal::String(value.to_owned())));
    assert_eq!(default("h"), text(""));
    assert_eq!(default("h2"), text("ab"));
    assert_eq!(default("v"), text(""));
    assert_eq!(default("s"), text("a\\b'c"));
    assert_eq!(default("z"), text("x\\0y"));
    let dump = mariadb_dump_import(&database).await;
    let changes = baas::diff::diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "the dump differs: {changes:#?}");
}

/// `mariadb-dump --no-data --routines --triggers --events` of `database`,
/// imported as a dump file.
pub(crate) async fn mariadb_dump_import(database: &TempDatabase) -> Introspection {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.sql");
    std::fs::write(&path, mariadb_dump(database)).unwrap();
    read_source(&path.display().to_string()).await
}

/// `mariadb-dump --no-data --routines --triggers --events` of `database`.
fn mariadb_dump(database: &TempDatabase) -> Vec<u8> {
    let url = url::Url::parse(&database.url()).unwrap();
    let mut command = std::process::Command::new("mariadb-dump");
    command
        .arg("--protocol=TCP")
        .arg(format!("--host={}", url.host_str().unwrap_or("127.0.0.1")))
        .arg(format!("--port={}", url.port().unwrap_or(3306)))
        .arg(format!("--user={}", url.username()))
        .args(["--no-data", "--routines", "--triggers", "--events"]);
    if let Some(password) = url.password() {
        command.arg(format!("--password={password}"));
    }
    let output = command.arg(database.name()).output().expect("mariadb-dump");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A `mariadb-dump` (a partitioned table, its partitions in a `/*!50100
/// ... */` comment, a compressed column, `/*M!100301 COMPRESSED*/`, a
/// view made by `/*!50001 ... */` comments alone, a trigger, a procedure
/// and a function between `DELIMITER ;;` lines) is a migration `migrate
/// apply` runs as the `mariadb` client runs it: the database it makes has
/// no drift from the one dumped. Before, `DELIMITER ;;` was sent to the
/// server, which refused it, the statements made of comments alone were
/// not run and a trailing comment was cut from its statement.
#[test]
fn a_mariadb_dump_applies_as_a_migration_as_the_client_runs_it() {
    let Some(database) = TempDatabase::create("dump_migration") else {
        return;
    };
    let Some(copy) = TempDatabase::create("dump_migration_copy") else {
        return;
    };
    database.load(
        "CREATE TABLE it (id int PRIMARY KEY, body blob COMPRESSED, n int) \
             PARTITION BY HASH (id) PARTITIONS 2; \
         CREATE VIEW v AS SELECT id, n + 1 AS m FROM it;\n\
         DELIMITER //\n\
         CREATE TRIGGER tr BEFORE INSERT ON it FOR EACH ROW \
             BEGIN SET NEW.n = 1; SET NEW.n = NEW.n + 1; END//\n\
         CREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';;'; END//\n\
         DELIMITER ;\n\
         CREATE FUNCTION f(x int) RETURNS int DETERMINISTIC RETURN x + 1;",
    );
    let dump = String::from_utf8(mariadb_dump(&database)).unwrap();
    for part in ["DELIMITER ;;", "/*!50001 CREATE", "/*M!100301 COMPRESSED*/"] {
        assert!(dump.contains(part), "{part}\n{dump}");
    }
    let dir = tempfile::tempdir().unwrap();
    succeed(dir.path(), &["introspect", &database.url(), "--yes"]);
    let migration = dir.path().join("migrations/0001_dump");
    std::fs::create_dir_all(&migration).unwrap();
    std::fs::write(migration.join("up.sql"), &dump).unwrap();
    std::fs::write(migration.join("down.sql"), "").unwrap();
    succeed(
        dir.path(),
        &["migrate", "apply", "--db", &copy.url(), "--yes"],
    );
    assert!(succeed(dir.path(), &["check", "--db", &copy.url()]).contains("No drift"));
    assert!(
        copy.query("SHOW CREATE TABLE it")
            .contains("PARTITION BY HASH")
    );

    // A migration written by hand, as `mysqldump` writes partitions.
    let migration = dir.path().join("migrations/0002_more");
    std::fs::create_dir_all(&migration).unwrap();
    std::fs::write(
        migration.join("up.sql"),
        "CREATE TABLE more (id int PRIMARY KEY) /*!50100 PARTITION BY HASH (id) PARTITIONS 3 */;\n\
         /*!40101 SET @unused = 1 */;\n/*!99999 SELECT no_such_function() */;\n",
    )
    .unwrap();
    std::fs::write(migration.join("down.sql"), "DROP TABLE more;").unwrap();
    succeed(
        dir.path(),
        &["migrate", "apply", "--db", &copy.url(), "--yes"],
    );
    assert!(
        copy.query("SHOW CREATE TABLE more")
            .contains("PARTITIONS 3")
    );
}

/// Partitioned tables (`RANGE` on an expression, `LIST COLUMNS`, `HASH`,
/// `KEY`, sub-partitions) are plain tables in the manifest: the live
/// introspection and a `mariadb-dump` of it (which failed to import) give
/// the same manifest and each names the partitioning in the ledger; the
/// manifest planned to an empty database comes back the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitioned_tables_are_ledgered_alike_live_and_from_a_dump() {
    let Some(database) = TempDatabase::create_async("partitioned").await else {
        return;
    };
    database.load(
        "CREATE TABLE sales (id INT NOT NULL, sold DATE NOT NULL, PRIMARY KEY (id, sold)) \
         PARTITION BY RANGE (YEAR(sold)) (PARTITION p2023 VALUES LESS THAN (2024), \
         PARTITION pmax VALUES LESS THAN MAXVALUE);
         CREATE TABLE stores (id INT NOT NULL, region VARCHAR(8) NOT NULL, PRIMARY KEY (id, region)) \
         PARTITION BY LIST COLUMNS (region) (PARTITION eu VALUES IN ('eu'), \
         PARTITION us VALUES IN ('us'));
         CREATE TABLE hits (id INT NOT NULL PRIMARY KEY, `partition` INT) PARTITION BY HASH (id) PARTITIONS 4;
         CREATE TABLE tokens (id INT NOT NULL PRIMARY KEY) PARTITION BY KEY (id) PARTITIONS 2;
         CREATE TABLE visits (id INT NOT NULL, at DATE NOT NULL, PRIMARY KEY (id, at)) \
         PARTITION BY RANGE (YEAR(at)) SUBPARTITION BY HASH (id) SUBPARTITIONS 2 \
         (PARTITION v2024 VALUES LESS THAN (2025), PARTITION vmax VALUES LESS THAN MAXVALUE);
         CREATE TABLE plain (id INT PRIMARY KEY);",
    );
    let live = introspect(&database).await;
    let partitioned = |introspection: &Introspection| -> Vec<String> {
        let mut tables: Vec<String> = introspection
            .ledger
            .entries()
            .iter()
            .filter(|e| e.kind == "partition")
            .map(|e| e.object.clone())
            .collect();
        tables.sort();
        tables
    };
    assert_eq!(
        partitioned(&live),
        ["hits", "sales", "stores", "tokens", "visits"]
    );
    let dump = mariadb_dump_import(&database).await;
    let changes = baas::diff::diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "the dump differs: {changes:#?}");
    assert_eq!(partitioned(&dump), partitioned(&live));
    assert_eq!(dump.ledger.entries().len(), live.ledger.entries().len());

    let empty = Manifest {
        project: live.manifest.project.clone(),
        source: live.manifest.source.clone(),
        ..Manifest::default()
    };
    let changes = baas::diff::diff(&empty, &live.manifest);
    let plan = baas::migrate::render::render(
        baas::migrate::render::Target::Mysql,
        &empty,
        &live.manifest,
        &changes,
    )
    .unwrap();
    let Some(copy) = TempDatabase::create_async("partitioned_copy").await else {
        return;
    };
    copy.load(&plan.up.to_sql());
    let again = introspect(&copy).await;
    let changes = baas::diff::diff(&live.manifest, &again.manifest);
    assert!(changes.is_empty(), "{changes:#?}");
}

/// A view's columns have the collation of what they select: a column's own
/// (latin1, utf8mb4_bin, an ENUM's), its table's (latin1_general_cs), a
/// CONCAT's of its column, and a literal's (its character set's, or the
/// connection's the view was made with). The live introspection wrote
/// none of them while the dump import kept the columns' own, so the two
/// differed.
#[tokio::test]
async fn view_columns_keep_their_collation_alike_live_and_from_a_dump() {
    let Some(database) = TempDatabase::create_async("view_collations").await else {
        return;
    };
    database.load(
        "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b VARCHAR(10) CHARACTER SET latin1, \
         c VARCHAR(10) COLLATE utf8mb4_bin, d VARCHAR(10) CHARACTER SET utf8mb4, \
         e ENUM('x', 'y') CHARACTER SET latin1) DEFAULT CHARSET=latin1 COLLATE latin1_general_cs;
         CREATE TABLE u (id INT PRIMARY KEY, name VARCHAR(10));
         CREATE VIEW v AS SELECT t.id, a, b, c, d, e, u.name, CONCAT(b, 'x') AS bx, \
         CONCAT(_utf8mb4'a', 'b') AS lit, IF(t.id > 0, _latin1'yes', _latin1'no') AS yes \
         FROM t JOIN u ON u.id = t.id;",
    );
    let live = introspect(&database).await;
    let collations = |introspection: &Introspection| -> Vec<(String, Option<String>)> {
        introspection.manifest.entities["v"]
            .fields
            .iter()
            .map(|(name, field)| (name.clone(), field.collation.clone()))
            .collect()
    };
    let some =
        |name: &str, collation: Option<&str>| (name.to_owned(), collation.map(str::to_owned));
    assert_eq!(
        collations(&live),
        [
            some("id", None),
            some("a", Some("latin1_general_cs")),
            some("b", Some("latin1_swedish_ci")),
            some("c", Some("utf8mb4_bin")),
            some("d", None),
            some("e", Some("latin1_swedish_ci")),
            some("name", None),
            some("bx", Some("latin1_swedish_ci")),
            some("lit", None),
            some("yes", Some("latin1_swedish_ci")),
        ]
    );
    let dump = mariadb_dump_import(&database).await;
    assert_eq!(collations(&dump), collations(&live));
    let changes = baas::diff::diff(&live.manifest, &dump.manifest);
    assert!(changes.is_empty(), "the dump differs: {changes:#?}");
}

/// The statements inside a MariaDB `BEGIN NOT ATOMIC ... END` block (a
/// table, an index, a view) read as they do outside one;
/// what the block runs besides (a condition) is named in the ledger at its
/// line. Before, the whole block was one skipped statement.
#[tokio::test]
async fn statements_inside_a_not_atomic_block_read_as_outside_one() {
    let Some(database) = TempDatabase::create_async("not_atomic").await else {
        return;
    };
    let script = "CREATE TABLE plain (id INT PRIMARY KEY);\n\
                  DELIMITER ;;\n\
                  BEGIN NOT ATOMIC\n\
                  \x20 CREATE TABLE a (id INT PRIMARY KEY, name VARCHAR(10), n INT);\n\
                  \x20 CREATE INDEX a_name ON a (name);\n\
                  \x20 CREATE VIEW va AS SELECT id, name FROM a;\n\
                  \x20 IF (SELECT COUNT(*) FROM plain) = 0 THEN\n\
                  \x20   CREATE TABLE later (id INT);\n\
                  \x20 END IF;\n\
                  END ;;\n\
                  DELIMITER ;\n";
    database.load(script);
    let live = introspect(&database).await;
    let (dump, skipped) = blocks_script_reads_as_live(&live, script).await;
    assert_eq!(
        dump.manifest.entities["a"].indexes[0].name, "a_name",
        "{:#?}",
        dump.manifest.entities["a"]
    );
    assert_eq!(skipped.len(), 1, "{skipped:#?}");
    assert!(
        skipped[0].starts_with("blocks.sql:7: `IF (SELECT COUNT(*)")
            && skipped[0].contains("BEGIN NOT ATOMIC"),
        "{skipped:#?}"
    );
}

/// A labelled `BEGIN NOT ATOMIC ... END label` block sent without
/// `DELIMITER` (as a client that sends a script whole does) reads as one
/// statement: what it makes, in a nested `BEGIN ... END` too, reads as
/// outside a block, and each statement it runs besides (a variable, a
/// loop, a condition) is one ledger line at its line, so that the
/// statements after the block are read too. Before, the block was cut at
/// its first `;` and its label made it unreadable. (MariaDB 10.11 takes a
/// label on a nested block only: the database is made with the outer one
/// unlabelled.)
#[tokio::test]
async fn a_labelled_not_atomic_block_without_delimiter_reads_as_its_database() {
    let Some(database) = TempDatabase::create_async("labelled_block").await else {
        return;
    };
    let block = "setup: BEGIN NOT ATOMIC\n\
                 \x20 DECLARE n INT DEFAULT 0;\n\
                 \x20 CREATE TABLE a (id INT PRIMARY KEY, name VARCHAR(10), \
                 sign INT AS (CASE WHEN id > 0 THEN 1 ELSE 0 END));\n\
                 \x20 BEGIN\n\
                 \x20   CREATE INDEX a_name ON a (name);\n\
                 \x20   inner_block: BEGIN CREATE TABLE b (id INT PRIMARY KEY); END inner_block;\n\
                 \x20 END;\n\
                 \x20 WHILE n < 1 DO SET n = n + 1; END WHILE;\n\
                 \x20 IF (SELECT COUNT(*) FROM plain) = 0 THEN\n\
                 \x20   CREATE TABLE later (id INT);\n\
                 \x20 END IF;\n\
                 \x20 CREATE VIEW va AS SELECT id, name FROM a;\n\
                 END setup";
    let statements = [
        "CREATE TABLE plain (id INT PRIMARY KEY)".to_owned(),
        block.to_owned(),
        "CREATE TABLE after_block (id INT PRIMARY KEY)".to_owned(),
    ];
    let unlabelled = block
        .strip_prefix("setup: ")
        .and_then(|b| b.strip_suffix(" setup"))
        .unwrap();
    database
        .execute(&[
            statements[0].clone(),
            unlabelled.to_owned(),
            statements[2].clone(),
        ])
        .await;
    let live = introspect(&database).await;
    assert!(live.manifest.entities.contains_key("later"));
    let (_, skipped) =
        blocks_script_reads_as_live(&live, &format!("{};\n", statements.join(";\n"))).await;
    let mut heads: Vec<&str> = skipped
        .iter()
        .map(|line| {
            line.split_once(" ...`")
                .map_or(line.as_str(), |(head, _)| head)
        })
        .collect();
    heads.sort_by_key(|head| head.len());
    assert_eq!(
        heads,
        [
            "blocks.sql:9: `WHILE n < 1",
            "blocks.sql:3: `DECLARE n INT DEFAULT",
            "blocks.sql:10: `IF (SELECT COUNT(*) FROM",
        ],
        "{skipped:#?}"
    );
}

/// Imports `script` as `blocks.sql` and expects the manifest of `live`,
/// the database it made, but for the table `later` its condition made and
/// the query of the view `va` (the server spells it its own way, `select
/// `a`.`id` AS `id` ...`; a script's is as written). The import and its
/// skipped statements (`file:line: message`).
async fn blocks_script_reads_as_live(
    live: &Introspection,
    script: &str,
) -> (Introspection, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blocks.sql");
    std::fs::write(&path, script).unwrap();
    let location =
        SourceLocation::parse(&path.display().to_string(), std::path::Path::new("/")).unwrap();
    let dump = introspect_location(
        &location,
        &IntrospectOptions::default(),
        &Progress::hidden(),
    )
    .await
    .unwrap();
    let mut expected = live.manifest.clone();
    expected.entities.remove("later");
    if let Some(view) = expected.entities.get_mut("va") {
        view.definition = dump.manifest.entities["va"].definition.clone();
    }
    let changes = baas::diff::diff(&expected, &dump.manifest);
    assert!(changes.is_empty(), "the import differs: {changes:#?}");
    let skipped: Vec<String> = dump
        .ledger
        .entries()
        .iter()
        .filter(|e| e.kind == "skipped_statement")
        .map(|e| format!("{}: {}", e.object, e.message))
        .collect();
    (dump, skipped)
}

/// A manifest read from PostgreSQL with `text` and `bytes` columns in a
/// primary key, a unique key and foreign keys (at both ends) plans for
/// MySQL with `varchar(191)` and `varbinary(255)` key columns (InnoDB takes
/// no prefix in a foreign key), each with a lossy line; it applies, and
/// `check` sees no drift in the types baas chose, but does see a key column
/// changed by hand.
#[test]
fn text_and_bytes_keys_of_another_engine_apply_and_check_clean() {
    let Some(database) = TempDatabase::create("keys") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schema.sql"),
        "CREATE TABLE accounts (code text PRIMARY KEY, hash bytea NOT NULL UNIQUE, \
         sized bytea, label text);\n\
         CREATE TABLE members (id integer PRIMARY KEY, \
         account text NOT NULL REFERENCES accounts (code), \
         token bytea REFERENCES accounts (hash));\n",
    )
    .unwrap();
    let run = |args: &[&str]| succeed(dir.path(), args);
    run(&["introspect", "schema.sql", "--yes"]);
    let planned = run(&[
        "migrate",
        "plan",
        "--name",
        "init",
        "--dialect",
        "mysql",
        "--yes",
    ]);
    for line in [
        "accounts.code: MySQL keys no whole TEXT column; this key column is varchar(191)",
        "accounts.hash: MySQL keys no whole BLOB column; this key column is varbinary(255)",
        "members.token: MySQL keys no whole BLOB column; this key column is varbinary(255)",
    ] {
        assert!(planned.contains(line), "{line}\n{planned}");
    }
    assert!(!planned.contains("accounts.sized"), "{planned}");
    let url = database.url();
    run(&["migrate", "apply", "--db", &url, "--yes"]);
    let columns = database.query(
        "SELECT GROUP_CONCAT(CONCAT(table_name, '.', column_name, ' ', column_type) \
         ORDER BY table_name, column_name SEPARATOR ', ') FROM information_schema.columns \
         WHERE table_schema = DATABASE()",
    );
    for column in [
        "accounts.code varchar(191)",
        "accounts.hash varbinary(255)",
        "accounts.label text",
        "accounts.sized blob",
        "members.account varchar(191)",
        "members.token varbinary(255)",
    ] {
        assert!(columns.contains(column), "{column}: {columns}");
    }
    let checked = run(&["check", "--db", &url]);
    assert!(checked.contains("No drift"), "{checked}");

    database.load("ALTER TABLE accounts MODIFY label varchar(191) NULL;");
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &url]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("accounts.label"), "{output}");
}

/// An `INVISIBLE` column reads as a field with `invisible = true`, alike
/// live and from a dump; the manifest plans it back invisible on MariaDB
/// (the copy checks clean), and visible with a lossy line on PostgreSQL
/// and SQLite; the column made visible by hand is drift. A table of
/// invisible fields only is refused: MariaDB and MySQL want a visible one.
#[test]
fn invisible_columns_are_a_field_attribute_that_round_trips() {
    let Some((_database, copy, dir, written)) = read_and_copied(
        "invisible",
        "CREATE TABLE doc (id int PRIMARY KEY, body text, \
             secret int INVISIBLE DEFAULT 1, \
             note varchar(10) NULL INVISIBLE COMMENT 'hidden');",
        &[
            "secret = { type = \"int32\", nullable = true, default = 1, invisible = true }",
            "note = { type = \"string\", max_length = 10, nullable = true, invisible = true, comment = \"hidden\" }",
            "body = { type = \"text\", nullable = true }",
        ],
    ) else {
        return;
    };
    let run = |args: &[&str]| succeed(dir.path(), args);
    let made = copy.query("SHOW CREATE TABLE doc");
    assert!(made.contains("`secret` int(11) INVISIBLE"), "{made}");
    assert!(made.contains("`note` varchar(10) INVISIBLE"), "{made}");
    assert!(!made.contains("`body` text INVISIBLE"), "{made}");
    assert!(run(&["check", "--db", &copy.url()]).contains("No drift"));

    copy.load("ALTER TABLE doc MODIFY secret int DEFAULT 1;");
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &copy.url()]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("doc.secret") && output.contains("invisible"),
        "{output}"
    );

    for (dialect, engine) in [("postgres", "PostgreSQL"), ("sqlite", "SQLite")] {
        let planned = planned_for(&written, dialect);
        for field in ["secret", "note"] {
            let line =
                format!("doc.{field}: {engine} has no invisible columns; this column is visible");
            assert!(planned.contains(&line), "{line}\n{planned}");
        }
    }

    let hidden = written
        .replace(
            "body = { type = \"text\", nullable = true }",
            "body = { type = \"text\", nullable = true, invisible = true }",
        )
        .replace(
            "id = { type = \"int32\" }",
            "id = { type = \"int32\", invisible = true }",
        );
    std::fs::write(dir.path().join("hidden.toml"), hidden).unwrap();
    let (code, output) =
        crate::support::run_in(dir.path(), &["validate", "--manifest", "hidden.toml"]);
    assert_ne!(code, Some(0), "{output}");
    assert!(
        output.contains("every field of entity `doc` is `invisible`"),
        "{output}"
    );
}

/// A view made by the `mariadb` client (a utf8mb3 connection) has its
/// string literals, and what functions make of them, in utf8mb3: the view
/// reads with the connection collation it was made with, a plan makes it
/// with that collation again (the copy checks clean, where it used to show
/// its columns' collations as drift), a manifest that says no collation
/// for a view or its columns compares none, and one that says another is
/// drift.
#[test]
fn a_view_is_made_with_the_connection_collation_it_was_read_with() {
    let Some((database, copy, dir, written)) = read_and_copied(
        "view_connection",
        "SET NAMES utf8mb3; \
             CREATE TABLE t (id int PRIMARY KEY, name varchar(20)) DEFAULT CHARSET utf8mb4; \
             CREATE VIEW v AS SELECT id, concat(name, 'x') AS label, 'x' AS tag, \
             concat('#', id) AS ref FROM t;",
        &[
            "kind = \"view\"\ncollation = \"utf8mb3_general_ci\"",
            "tag = { type = \"string\", max_length = 1, collation = \"utf8mb3_general_ci\" }",
            "label = { type = \"string\", max_length = 21, nullable = true }",
        ],
    ) else {
        return;
    };
    let run = |args: &[&str]| succeed(dir.path(), args);
    let collations = |db: &TempDatabase| {
        db.query(
            "SELECT GROUP_CONCAT(CONCAT(column_name, ' ', IFNULL(collation_name, '-')) \
             ORDER BY column_name SEPARATOR ', ') FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = 'v'",
        )
    };
    assert_eq!(collations(&copy), collations(&database));
    assert!(run(&["check", "--db", &copy.url()]).contains("No drift"));

    // Said nowhere: not compared. Said otherwise: drift.
    let unsaid: String = written
        .lines()
        .filter(|line| *line != "collation = \"utf8mb3_general_ci\"")
        .map(|line| line.replace(", collation = \"utf8mb3_general_ci\"", "") + "\n")
        .collect();
    std::fs::write(dir.path().join("unsaid.toml"), &unsaid).unwrap();
    let checked = run(&["check", "--db", &copy.url(), "--manifest", "unsaid.toml"]);
    assert!(checked.contains("No drift"), "{checked}");
    let other = written.replace(
        "max_length = 1, collation = \"utf8mb3_general_ci\"",
        "max_length = 1, collation = \"utf8mb3_bin\"",
    );
    std::fs::write(dir.path().join("other.toml"), other).unwrap();
    let (code, output) = crate::support::run_in(
        dir.path(),
        &["check", "--db", &copy.url(), "--manifest", "other.toml"],
    );
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("v.tag"), "{output}");
}

/// MariaDB's `IGNORED` keys (MySQL 8's `INVISIBLE`), which the optimizer
/// does not use, and the `COMMENT` of keys read as `invisible = true` and
/// `comment` on the index, alike live and from a `mariadb-dump` (byte for
/// byte); a plan makes them again (the copy checks clean), a key made
/// visible or a comment changed by hand is drift, and a PostgreSQL plan
/// names what it leaves out. Before, the dump was refused (sqlparser reads
/// neither `IGNORED` nor a `FULLTEXT` key's `COMMENT`), and the database
/// read as visible keys without comments.
#[test]
fn invisible_keys_and_key_comments_round_trip() {
    let Some((database, copy, dir, written)) = read_and_copied(
        "key_options",
        "CREATE TABLE doc (id int PRIMARY KEY, code varchar(20), title varchar(100), \
             body text, place point NOT NULL, \
             UNIQUE KEY code (code) COMMENT 'one per doc', \
             KEY title (title) IGNORED, \
             KEY title_code (title, code) COMMENT 'it''s a \\\\ key' IGNORED, \
             FULLTEXT KEY body (body) COMMENT 'search', \
             SPATIAL KEY place (place) IGNORED);",
        &[
            "name = \"code\"\nfields = [\"code\"]\nunique = true\ncomment = \"one per doc\"\n",
            "name = \"title\"\nfields = [\"title\"]\ninvisible = true\n",
            "invisible = true\ncomment = \"it's a \\\\ key\"\n",
            "method = \"fulltext\"\ncomment = \"search\"\n",
            "method = \"spatial\"\ninvisible = true\n",
        ],
    ) else {
        return;
    };
    let made = copy.query("SHOW CREATE TABLE doc");
    for key in [
        "UNIQUE KEY `code` (`code`) COMMENT 'one per doc'",
        "KEY `title` (`title`) IGNORED",
        // (the client's output doubles the backslash)
        "KEY `title_code` (`title`,`code`) COMMENT 'it''s a \\\\\\\\ key' IGNORED",
        "FULLTEXT KEY `body` (`body`) COMMENT 'search'",
        "SPATIAL KEY `place` (`place`) IGNORED",
    ] {
        assert!(made.contains(key), "{key}\n{made}");
    }
    assert!(succeed(dir.path(), &["check", "--db", &copy.url()]).contains("No drift"));

    let live = read_alike_live_and_from_a_dump(&database);
    assert!(live.ledger.is_empty(), "{:?}", live.ledger.entries());

    for (change, drifted) in [
        (
            "ALTER TABLE doc ALTER INDEX title NOT IGNORED;",
            "doc.title",
        ),
        (
            "ALTER TABLE doc ALTER INDEX title IGNORED, DROP INDEX body, \
             ADD FULLTEXT KEY body (body) COMMENT 'find';",
            "doc.body",
        ),
    ] {
        copy.load(change);
        let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &copy.url()]);
        assert_eq!(code, Some(1), "{output}");
        assert!(output.contains(drifted), "{drifted}\n{output}");
    }

    let line = "doc.title_code: PostgreSQL has no invisible indexes; this index is visible";
    let planned = planned_for(&written, "postgres");
    assert!(planned.contains(line), "{line}\n{planned}");
    // PostgreSQL keeps a comment on an index; SQLite does not.
    assert!(!planned.contains("comment is left out"), "{planned}");
    let planned = planned_for(&written, "sqlite");
    for line in [
        "doc.title_code: SQLite has no invisible indexes; this index is visible",
        "doc.title_code: the index's comment is left out",
    ] {
        assert!(planned.contains(line), "{line}\n{planned}");
    }
}

/// A `PRIMARY KEY`'s `COMMENT` is `primary_key_comment` on the entity
/// (a `UNIQUE` key's is `comment` on its index), alike live and from a
/// `mariadb-dump` (byte for byte); a plan writes it again (the copy checks
/// clean), and SQLite and MongoDB plans, which have no place for it, say
/// they leave it out. Before, it was dropped in silence, live and from a
/// dump.
#[test]
fn a_primary_key_comment_round_trips() {
    let Some((database, copy, dir, written)) = read_and_copied(
        "pk_comment",
        "CREATE TABLE doc (id int, code varchar(20), \
             PRIMARY KEY (id) COMMENT 'the doc''s id', \
             UNIQUE KEY code (code) COMMENT 'one per doc');",
        &[
            "primary_key = [\"id\"]\nprimary_key_comment = \"the doc's id\"\n",
            "name = \"code\"\nfields = [\"code\"]\nunique = true\ncomment = \"one per doc\"\n",
        ],
    ) else {
        return;
    };
    let made = copy.query("SHOW CREATE TABLE doc");
    assert!(
        made.contains("PRIMARY KEY (`id`) COMMENT 'the doc''s id'"),
        "{made}"
    );
    assert!(succeed(dir.path(), &["check", "--db", &copy.url()]).contains("No drift"));
    let live = read_alike_live_and_from_a_dump(&database);
    assert!(live.ledger.is_empty(), "{:?}", live.ledger.entries());

    // Changed by hand: drift, which a plan of the manifest puts right.
    copy.load("ALTER TABLE doc DROP PRIMARY KEY, ADD PRIMARY KEY (id) COMMENT 'changed';");
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &copy.url()]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("comment on the primary key"), "{output}");
    let drifted = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(introspect(&copy))
        .manifest;
    let wanted = manifest::load_str(std::path::Path::new("baas.toml"), written.clone())
        .unwrap()
        .manifest;
    let plan = baas::migrate::render::render(
        baas::migrate::render::Target::Mysql,
        &drifted,
        &wanted,
        &baas::diff::diff(&drifted, &wanted),
    )
    .unwrap();
    let up = plan.up.to_sql();
    assert!(
        up.contains("DROP PRIMARY KEY, ADD PRIMARY KEY (`id`) COMMENT 'the doc''s id'"),
        "{up}"
    );
    copy.load(&up);
    assert!(succeed(dir.path(), &["check", "--db", &copy.url()]).contains("No drift"));

    let line = "`doc`: the comment on the primary key is left out; sqlite keeps none";
    let planned = planned_for(&written, "sqlite");
    assert!(planned.contains(line), "{line}\n{planned}");
    let planned = planned_for(&written, "postgres");
    assert!(!planned.contains("primary key is left out"), "{planned}");
}

/// An InnoDB table's `ROW_FORMAT` is `row_format` on the entity, alike
/// live and from a `mariadb-dump` (byte for byte); its other options
/// (`MAX_ROWS`, `STATS_PERSISTENT`, `CHECKSUM`, MariaDB's
/// `PAGE_COMPRESSED`...) are one `table_options` ledger line, the same
/// from both (an engine's own options spelled as they were written), and
/// its `AUTO_INCREMENT` start (no part of the schema) none.
/// A plan makes the row format again (the copy checks clean), and another
/// one set by hand is drift. Before, all were dropped without a word, and a
/// dump with MariaDB's own options lost its table to a skipped statement.
#[test]
fn a_row_format_is_carried_and_other_table_options_are_ledgered() {
    let Some((database, copy, dir, written)) = read_and_copied(
        "table_options",
        "CREATE TABLE plain (id int PRIMARY KEY) ROW_FORMAT=COMPACT COMMENT 'kept'; \
             CREATE TABLE tuned (id int PRIMARY KEY, name varchar(20)) ENGINE=InnoDB \
             AUTO_INCREMENT=50 MAX_ROWS=1000 STATS_PERSISTENT=1 CHECKSUM=1 \
             ROW_FORMAT=DYNAMIC PACK_KEYS=1; \
             CREATE TABLE squeezed (id int PRIMARY KEY) PAGE_COMPRESSED=1 \
             PAGE_COMPRESSION_LEVEL=3;",
        &[
            "[entities.plain]\ntable = \"plain\"\nprimary_key = [\"id\"]\nrow_format = \"COMPACT\"\ncomment = \"kept\"\n",
            "[entities.tuned]\ntable = \"tuned\"\nprimary_key = [\"id\"]\nrow_format = \"DYNAMIC\"\n",
            "[entities.squeezed]\ntable = \"squeezed\"\nprimary_key = [\"id\"]\n\n",
        ],
    ) else {
        return;
    };
    let made = copy.query("SHOW CREATE TABLE plain");
    assert!(made.contains("ROW_FORMAT=COMPACT COMMENT='kept'"), "{made}");
    assert!(succeed(dir.path(), &["check", "--db", &copy.url()]).contains("No drift"));

    let live = read_alike_live_and_from_a_dump(&database);
    let lines: Vec<(&str, &str, &str)> = live
        .ledger
        .entries()
        .iter()
        .map(|e| (e.object.as_str(), e.kind.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (
                "squeezed",
                "table_options",
                "`squeezed` has table options the manifest does not represent: \
                 `PAGE_COMPRESSED`=1 `PAGE_COMPRESSION_LEVEL`=3; a plan leaves them out"
            ),
            (
                "tuned",
                "table_options",
                "`tuned` has table options the manifest does not represent: \
                 max_rows=1000 pack_keys=1 stats_persistent=1 checksum=1; a plan leaves them out"
            ),
        ]
    );

    copy.load("ALTER TABLE plain ROW_FORMAT=REDUNDANT;");
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &copy.url()]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("row format"), "{output}");

    // A row format is one of InnoDB's, never text spliced into a plan.
    std::fs::write(
        dir.path().join("other.toml"),
        written.replace("\"COMPACT\"", "\"COMPACT COMMENT='x'\""),
    )
    .unwrap();
    let (code, output) =
        crate::support::run_in(dir.path(), &["validate", "--manifest", "other.toml"]);
    assert_ne!(code, Some(0), "{output}");
    assert!(output.contains("unknown row format"), "{output}");
}

/// Integer display widths a table says (`int(5)`, `bigint(8)`, `int(4)
/// ZEROFILL`, which pads values to it, `tinyint(1) unsigned`) are kept in
/// `native`, alike live and from a dump, while the widths the server gives
/// by default say nothing; a plan makes them again (the copy checks clean),
/// another width set by hand is drift, and a view's columns over them are
/// typed as the server types them, without a width. Before, a plan made
/// `int(4) ZEROFILL` an `int(10)` one (values padded to 10 digits), and a
/// dump lost `ZEROFILL` and read `tinyint(1) unsigned` as a number where
/// the server has a boolean.
#[test]
fn integer_display_widths_and_zerofill_round_trip() {
    let Some((database, copy, dir, _)) = read_and_copied(
        "int_widths",
        "CREATE TABLE n (id int(11) NOT NULL PRIMARY KEY, a int(5), b int(3) unsigned, \
             c bigint(8), z int(4) ZEROFILL, zd int ZEROFILL, m mediumint(3), \
             f tinyint(1) unsigned, s smallint(6)); \
             CREATE VIEW nv AS SELECT a, z, a + 1 AS a1, z + 1 AS z1, coalesce(a, m) AS am FROM n; \
             CREATE VIEW na AS SELECT max(z) AS mz, min(a) AS ma FROM n;",
        &[
            "a = { type = \"int32\", native = \"int(5)\", nullable = true }\n\
             b = { type = \"int64\", native = \"int(3) unsigned\", nullable = true }\n\
             c = { type = \"int64\", native = \"bigint(8)\", nullable = true }\n\
             z = { type = \"int64\", native = \"int(4) unsigned zerofill\", nullable = true }\n\
             zd = { type = \"int64\", native = \"int unsigned zerofill\", nullable = true }\n\
             m = { type = \"int32\", native = \"mediumint(3)\", nullable = true }\n\
             f = { type = \"bool\", native = \"tinyint(1) unsigned\", nullable = true }\n\
             s = { type = \"int16\", nullable = true }\n",
            "[entities.nv.fields]\n\
             a = { type = \"int32\", nullable = true }\n\
             z = { type = \"int64\", native = \"int unsigned zerofill\", nullable = true }\n\
             a1 = { type = \"int64\", nullable = true }\n\
             z1 = { type = \"int64\", native = \"bigint unsigned\", nullable = true }\n\
             am = { type = \"int32\", nullable = true }\n",
            "[entities.na.fields]\n\
             mz = { type = \"int64\", native = \"int unsigned zerofill\", nullable = true }\n\
             ma = { type = \"int32\", nullable = true }\n",
        ],
    ) else {
        return;
    };
    let made = copy.query("SHOW CREATE TABLE n");
    for column in [
        "`a` int(5) DEFAULT NULL",
        "`z` int(4) unsigned zerofill DEFAULT NULL",
        "`zd` int(10) unsigned zerofill DEFAULT NULL",
        "`f` tinyint(1) unsigned DEFAULT NULL",
    ] {
        assert!(made.contains(column), "{column}\n{made}");
    }
    assert!(succeed(dir.path(), &["check", "--db", &copy.url()]).contains("No drift"));
    let live = read_alike_live_and_from_a_dump(&database);
    assert!(live.ledger.is_empty(), "{:?}", live.ledger.entries());

    copy.load("ALTER TABLE n MODIFY z int(6) unsigned zerofill;");
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &copy.url()]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("n.z"), "{output}");
}

/// A `mariadb-dump` of views over string functions of `CHAR` and `VARCHAR`
/// columns (`LOWER`, `UPPER`, `TRIM`, `LTRIM`, `SUBSTRING` of a literal
/// length, `REPLACE` by no longer a string), parts of dates (`YEAR`, `MONTH`, `DAY`, `DATEDIFF`, which the
/// server prints `to_days(a) - to_days(b)`), `NULLIF`, window functions
/// (`ROW_NUMBER`, `RANK`, `DENSE_RANK`, `COUNT`, `SUM`, `MAX` ... `OVER`)
/// and casts to `CHAR` and `CHAR(n)` reads to the manifest of its live database: each column typed as the
/// server types it. Before, each of these views kept no fields and was a
/// `view_columns` ledger line.
#[test]
fn string_date_and_window_view_columns_of_a_dump_are_typed_as_the_server_types_them() {
    let Some(database) = TempDatabase::create("view_functions") else {
        return;
    };
    database.load(
        "CREATE TABLE it (id int PRIMARY KEY, name varchar(40) NOT NULL, code char(3), \
             d date NOT NULL, ts datetime, n int, price decimal(10,2)); \
         CREATE VIEW vs AS SELECT lower(code) AS lc, upper(name) AS un, trim(code) AS tc, \
             ltrim(name) AS ln, substring(name, 2, 3) AS sub, \
             replace(name, 'ab', 'c') AS rp FROM it; \
         CREATE VIEW vd AS SELECT year(d) AS y, month(ts) AS m, day(d) AS dy, \
             dayofmonth(ts) AS dm, datediff(d, ts) AS dd, nullif(n, 0) AS nz FROM it; \
         CREATE VIEW vw AS SELECT row_number() OVER (ORDER BY n) AS rn, \
             rank() OVER (ORDER BY n) AS rk, dense_rank() OVER (ORDER BY n) AS dr, \
             count(*) OVER () AS c, sum(n) OVER (PARTITION BY d) AS sn, \
             sum(price) OVER () AS sp, max(n) OVER () AS mx FROM it; \
         CREATE VIEW vc AS SELECT cast(n AS char) AS c0, cast(name AS char) AS cn, \
             cast(name AS char(10)) AS c10, cast(price AS char(5)) AS p5 FROM it;",
    );
    let live = read_alike_live_and_from_a_dump(&database);
    assert!(live.ledger.is_empty(), "{:?}", live.ledger.entries());
    let view = &live.manifest.entities["vw"];
    assert_eq!(view.fields["rn"].ty, FieldType::Int64);
    assert!(!view.fields["rn"].nullable);
}

/// A `mariadb-dump` of views over `DATE_FORMAT`, `SUBSTRING` without a
/// length, `REPLACE` by a longer string, casts and conversions to a
/// character set, `CONCAT`/`CONCAT_WS` of strings, numbers and dates,
/// `LPAD`/`RPAD`, `LEFT`/`RIGHT`, `IF`/`IFNULL`/`COALESCE`/`CASE` of mixed
/// types (strings with numbers, dates with times, signed with unsigned,
/// `NULL`), `GROUP_CONCAT`, `ROUND`/`TRUNCATE`/`ABS` and date arithmetic
/// (`DATE_ADD`, `+ INTERVAL`) reads to the manifest of its live database:
/// each column typed as the server types it, past 512 characters as a
/// text type. Before, each of these views kept no fields and was a
/// `view_columns` ledger line (and `REPLACE(x, 'ab', 'xy')` was typed
/// shorter than the server's).
#[test]
fn mixed_type_string_number_and_date_view_columns_of_a_dump_are_typed_as_the_server_types_them() {
    let Some(database) = TempDatabase::create("view_mixed") else {
        return;
    };
    database.load(
        "CREATE TABLE it (id int PRIMARY KEY, name varchar(40) NOT NULL, nm varchar(40), \
             code char(3), l1 varchar(20) CHARACTER SET latin1, d date NOT NULL, ts datetime, \
             tm time, tsp timestamp NULL, dt6 datetime(6), n int, u int unsigned, \
             bi bigint, ti tinyint, price decimal(10,2), pn decimal(10,2) NOT NULL, f float, \
             db double); \
         CREATE VIEW vs AS SELECT date_format(d, '%Y-%m-%d %H') AS df, \
             date_format(ts, '%W %M') AS dn, substring(name, 2) AS s2, substr(code, 2) AS s3, \
             substring(l1 FROM 3) AS s4, substring(name, -2) AS s5, \
             substring(name, 2, 100) AS s6, replace(name, 'ab', 'xy') AS r1, \
             replace(code, 'a', name) AS r2, replace(nm, 'a', '') AS r3, \
             cast(name AS char CHARACTER SET latin1) AS c1, cast(n AS char(5) CHARSET utf8mb4) AS c2, \
             convert(name USING latin1) AS c3, convert(n, char) AS c4, cast(price AS char) AS c5, \
             cast(dt6 AS char) AS c6, concat(name, n, d, price) AS k1, \
             concat_ws(',', name, code, nm) AS k2, concat_ws(nm, l1, n) AS k3, \
             concat(name, name, name, name, name, name, name, name, name, name, name, name, name) AS k4, \
             lpad(name, 10, 'x') AS p1, rpad(n, 5, '0') AS p2, lpad(l1, 600, 'x') AS p3, \
             lpad(name, n, 'x') AS p4, left(name, 3) AS p5, right(code, 50) AS p6 FROM it; \
         CREATE VIEW vm AS SELECT if(n > 0, name, n) AS i1, ifnull(n, name) AS i2, \
             coalesce(n, 'x') AS i3, coalesce(price, n) AS i4, coalesce(d, ts) AS i5, \
             if(n > 0, d, d) AS i6, coalesce(ts, ts) AS i7, coalesce(tm, d) AS i8, \
             coalesce(dt6, d) AS i9, coalesce(tsp, tsp) AS i10, ifnull(u, n) AS i11, \
             coalesce(bi, u) AS i12, coalesce(n, f) AS i13, coalesce(d, n) AS i14, \
             if(n > 0, name, NULL) AS i15, coalesce(n, NULL) AS i16, \
             CASE WHEN n > 0 THEN d ELSE ts END AS i17, CASE WHEN n > 0 THEN name ELSE n END AS i18, \
             CASE n WHEN 1 THEN 'a' WHEN 2 THEN 'bcd' END AS i19, greatest(d, ts) AS i20, \
             coalesce(nm, l1) AS i21, if(n > 0, 1, 'ab') AS i22 FROM it; \
         CREATE VIEW vg AS SELECT group_concat(name) AS g1, group_concat(n) AS g2, \
             group_concat(DISTINCT l1 ORDER BY l1 SEPARATOR ';') AS g3 FROM it; \
         CREATE VIEW vn AS SELECT round(price) AS o1, round(price, 1) AS o2, round(price, 3) AS o3, \
             round(price, -1) AS o4, round(price, n) AS o5, truncate(price, 1) AS o6, \
             truncate(price, 0) AS o7, round(pn, 1) AS o8, abs(price) AS o9, abs(n) AS o10, \
             abs(u) AS o11, abs(ti) AS o12, abs(f) AS o13, round(n) AS o14, round(n, -2) AS o15, \
             round(u, -1) AS o16, truncate(n, 1) AS o17, round(bi) AS o18, round(db) AS o19, \
             round(f, 2) AS o20, round(price, 40) AS o21 FROM it; \
         CREATE VIEW vt AS SELECT date_add(d, INTERVAL 1 DAY) AS t1, d + INTERVAL 1 MONTH AS t2, \
             date_sub(d, INTERVAL 1 YEAR) AS t3, date_add(d, INTERVAL 1 HOUR) AS t4, \
             ts + INTERVAL 1 SECOND AS t5, date_sub(ts, INTERVAL n MINUTE) AS t6, \
             date_add(dt6, INTERVAL 1 DAY) AS t7, date_add(tsp, INTERVAL 1 DAY) AS t8, \
             date_add(tm, INTERVAL 1 HOUR) AS t9, adddate(d, 1) AS t10, \
             date_add(d, INTERVAL 1 MICROSECOND) AS t11, date_add(ts, INTERVAL 1.5 SECOND) AS t12, \
             INTERVAL 1 DAY + d AS t13 FROM it;",
    );
    let live = read_alike_live_and_from_a_dump(&database);
    assert!(live.ledger.is_empty(), "{:?}", live.ledger.entries());
    let field = |view: &str, column: &str| live.manifest.entities[view].fields[column].clone();
    assert_eq!(field("vs", "r1").max_length, Some(80));
    assert_eq!(field("vs", "k4").ty, FieldType::Text);
    assert_eq!(field("vt", "t1").ty, FieldType::Date);
}

/// A scheduled event (`CREATE EVENT ... ON SCHEDULE EVERY 1 DAY`) is named
/// in the ledger among the stored routines, alike live and from a
/// `mariadb-dump --events`; a plan does not make it. Before, it was lost
/// without a word, live and from a dump.
#[test]
fn events_are_ledgered_alike_live_and_from_a_dump() {
    let Some(database) = TempDatabase::create("events") else {
        return;
    };
    database.load(
        "CREATE TABLE it (id int PRIMARY KEY, made datetime); \
         CREATE EVENT purge_old ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' \
             DO DELETE FROM it WHERE made < '2000-01-01'; \
         CREATE PROCEDURE p() SELECT 1;",
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (live, dump) = runtime.block_on(async {
        (
            introspect(&database).await,
            mariadb_dump_import(&database).await,
        )
    });
    assert_eq!(
        manifest::to_toml(&comparable(dump.manifest)),
        manifest::to_toml(&comparable(live.manifest))
    );
    for read in [live.ledger.entries(), dump.ledger.entries()] {
        let [routines] = read[..] else {
            panic!("{read:?}");
        };
        assert_eq!(routines.kind, "routine");
        assert!(
            routines
                .message
                .ends_with("2 stored routine(s) are not represented in the manifest: event `purge_old`, procedure `p`"),
            "{read:?}"
        );
    }
}

/// What `baas introspect` reads from `database`, which a `mariadb-dump` of
/// it reads to as well: the same manifest byte for byte (where the two came
/// from aside) and the same ledger.
fn read_alike_live_and_from_a_dump(database: &TempDatabase) -> Introspection {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (live, dump) = runtime.block_on(async {
        (
            introspect(database).await,
            mariadb_dump_import(database).await,
        )
    });
    assert_eq!(
        manifest::to_toml(&comparable(dump.manifest)),
        manifest::to_toml(&comparable(live.manifest.clone()))
    );
    assert_eq!(dump.ledger.entries(), live.ledger.entries());
    live
}

/// What `baas migrate plan --dialect <dialect>` of the manifest `written`
/// says (it must succeed).
fn planned_for(written: &str, dialect: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), written).unwrap();
    succeed(
        dir.path(),
        &[
            "migrate",
            "plan",
            "--name",
            "init",
            "--dialect",
            dialect,
            "--yes",
        ],
    )
}

/// Runs the binary in `dir` and expects exit code 0: its output.
fn succeed(dir: &std::path::Path, args: &[&str]) -> String {
    let (code, output) = crate::support::run_in(dir, args);
    assert_eq!(code, Some(0), "baas {}:\n{output}", args.join(" "));
    output
}

/// Loads `script` into a database of its own, introspects it into a
/// temporary folder's baas.toml, expects each of `lines` there, and plans
/// and applies it to another, empty database (the copy): both databases,
/// the folder and the manifest written.
fn read_and_copied(
    label: &str,
    script: &str,
    lines: &[&str],
) -> Option<(TempDatabase, TempDatabase, tempfile::TempDir, String)> {
    let database = TempDatabase::create(label)?;
    let copy = TempDatabase::create(&format!("{label}_copy"))?;
    database.load(script);
    let dir = tempfile::tempdir().unwrap();
    succeed(dir.path(), &["introspect", &database.url(), "--yes"]);
    let written = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    for line in lines {
        assert!(written.contains(line), "{line}\n{written}");
    }
    succeed(dir.path(), &["migrate", "plan", "--name", "init", "--yes"]);
    succeed(
        dir.path(),
        &["migrate", "apply", "--db", &copy.url(), "--yes"],
    );
    Some((database, copy, dir, written))
}

/// A view's options that are not the server's defaults (`ALGORITHM`,
/// `SQL SECURITY INVOKER`, `WITH ... CHECK OPTION`) are named in the
/// ledger, alike live and from a `mariadb-dump`: the manifest keeps the
/// view's query, and a plan makes it without them. Before, they were lost
/// without a word.
#[test]
fn view_options_are_ledgered_alike_live_and_from_a_dump() {
    let Some(database) = TempDatabase::create("view_options") else {
        return;
    };
    database.load(
        "CREATE TABLE account (id int PRIMARY KEY, active tinyint(1) NOT NULL); \
         CREATE VIEW plain_accounts AS SELECT id FROM account; \
         CREATE ALGORITHM=TEMPTABLE VIEW frozen_accounts AS SELECT id FROM account; \
         CREATE SQL SECURITY INVOKER VIEW invoker_accounts AS SELECT id FROM account; \
         CREATE VIEW active_accounts AS SELECT id, active FROM account WHERE active = 1 \
             WITH CASCADED CHECK OPTION; \
         CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW local_accounts AS \
             SELECT id, active FROM active_accounts WHERE id > 0 WITH LOCAL CHECK OPTION;",
    );
    let read = read_alike_live_and_from_a_dump(&database);
    let options: Vec<(String, String, String)> = read
        .ledger
        .entries()
        .iter()
        .map(|e| (e.object.clone(), e.kind.clone(), e.message.clone()))
        .collect();
    let named = |view: &str, what: &str| {
        options.iter().any(|(object, kind, message)| {
            object == view && kind == "view_options" && message.contains(what)
        })
    };
    assert!(
        named("frozen_accounts", "ALGORITHM=TEMPTABLE"),
        "{options:#?}"
    );
    assert!(
        named("invoker_accounts", "SQL SECURITY INVOKER"),
        "{options:#?}"
    );
    assert!(
        named("active_accounts", "WITH CASCADED CHECK OPTION"),
        "{options:#?}"
    );
    assert!(
        named(
            "local_accounts",
            "ALGORITHM=MERGE, SQL SECURITY INVOKER, WITH LOCAL CHECK OPTION"
        ),
        "{options:#?}"
    );
    assert!(
        !options
            .iter()
            .any(|(object, _, _)| object == "plain_accounts"),
        "{options:#?}"
    );
    for view in [
        "plain_accounts",
        "frozen_accounts",
        "invoker_accounts",
        "active_accounts",
        "local_accounts",
    ] {
        assert!(read.manifest.entities.contains_key(view), "{view}");
    }
}
