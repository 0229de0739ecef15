//! SQLite introspection against real databases: Chinook and Northwind built
//! from the shared corpus, and a synthetic database that uses every feature
//! the introspector reads.

use std::path::Path;
use std::sync::OnceLock;

use baas::introspect::sqlite::SqliteIntrospector;
use baas::introspect::{IntrospectError, IntrospectOptions, Introspection, Introspector};
use baas::ledger::LedgerEntry;
use baas::manifest::{
    self, Check, DefaultValue, Entity, EntityKind, Field, FieldType, Generated, GeneratedKind,
    Index, IndexPart, Literal, Manifest, ReferentialAction, SortOrder, Unique,
};
use baas::ui::Progress;
use tempfile::TempDir;

use crate::support;
use crate::support::assert_valid_and_round_trips;
use crate::support::sqlite::TempDatabase;

/// A database built in a temporary directory, and what introspection made of it.
struct Introspected {
    _database: TempDatabase,
    introspection: Introspection,
}

impl Introspected {
    fn manifest(&self) -> &Manifest {
        &self.introspection.manifest
    }

    fn entity(&self, name: &str) -> &Entity {
        self.manifest()
            .entities
            .get(name)
            .unwrap_or_else(|| panic!("entity `{name}` is missing"))
    }

    fn field(&self, entity: &str, field: &str) -> &Field {
        self.entity(entity)
            .fields
            .get(field)
            .unwrap_or_else(|| panic!("field `{entity}.{field}` is missing"))
    }

    fn ledger(&self) -> Vec<&LedgerEntry> {
        self.introspection.ledger.entries()
    }
}

fn introspect(path: &Path) -> Result<Introspection, IntrospectError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(
        SqliteIntrospector::new(path.to_owned())
            .introspect(&IntrospectOptions::default(), &Progress::hidden()),
    )
}

fn corpus_database(relative: &str, file: &str) -> Introspected {
    let script = std::fs::read_to_string(support::corpus_file(relative)).unwrap();
    let database = TempDatabase::with_script(file, &script);
    let introspection = introspect(database.path()).unwrap();
    Introspected {
        _database: database,
        introspection,
    }
}

fn chinook() -> &'static Introspected {
    static CHINOOK: OnceLock<Introspected> = OnceLock::new();
    CHINOOK.get_or_init(|| corpus_database("sql/sqlite/Chinook_Sqlite.sql", "chinook.db"))
}

fn northwind() -> &'static Introspected {
    static NORTHWIND: OnceLock<Introspected> = OnceLock::new();
    NORTHWIND
        .get_or_init(|| corpus_database("sql/sqlite/northwind-sqlite-create.sql", "northwind.db"))
}

/// Every relation as (entity, fields, target entity, target fields,
/// on_delete, on_update), entities by name, relations in manifest order.
type RelationRow = (
    String,
    Vec<String>,
    String,
    Vec<String>,
    ReferentialAction,
    ReferentialAction,
);

fn relations(manifest: &Manifest) -> Vec<RelationRow> {
    manifest
        .entities
        .iter()
        .flat_map(|(name, entity)| {
            entity.relations.iter().map(move |relation| {
                (
                    name.clone(),
                    relation.fields.clone(),
                    relation.references.entity.clone(),
                    relation.references.fields.clone(),
                    relation.on_delete,
                    relation.on_update,
                )
            })
        })
        .collect()
}

fn no_action(entity: &str, field: &str, target: &str, target_field: &str) -> RelationRow {
    (
        entity.to_owned(),
        vec![field.to_owned()],
        target.to_owned(),
        vec![target_field.to_owned()],
        ReferentialAction::NoAction,
        ReferentialAction::NoAction,
    )
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

fn table_names(manifest: &Manifest, kind: EntityKind) -> Vec<&str> {
    manifest
        .entities
        .iter()
        .filter(|(_, entity)| entity.kind == kind)
        .map(|(name, _)| name.as_str())
        .collect()
}

// ---------------------------------------------------------------------------
// Chinook

#[test]
fn chinook_has_its_eleven_tables_and_nothing_lost() {
    let db = chinook();
    let manifest = db.manifest();
    assert_eq!(
        table_names(manifest, EntityKind::Table),
        [
            "Album",
            "Artist",
            "Customer",
            "Employee",
            "Genre",
            "Invoice",
            "InvoiceLine",
            "MediaType",
            "Playlist",
            "PlaylistTrack",
            "Track"
        ]
    );
    assert_eq!(manifest.entities.len(), 11);
    assert_eq!(manifest.project.name.as_deref(), Some("chinook"));
    let source = manifest.source.as_ref().unwrap();
    assert_eq!(source.engine, manifest::SourceEngine::Sqlite);
    assert_eq!(source.url, None);
    assert!(manifest.enums.is_empty());
    assert!(db.ledger().is_empty(), "{:#?}", db.ledger());
    for (name, entity) in &manifest.entities {
        assert_eq!(&entity.table, name);
        assert_eq!(entity.schema, None);
    }
    assert_valid_and_round_trips(manifest);
}

#[test]
fn chinook_foreign_keys_all_resolve_in_declaration_order() {
    assert_eq!(
        relations(chinook().manifest()),
        vec![
            no_action("Album", "ArtistId", "Artist", "ArtistId"),
            no_action("Customer", "SupportRepId", "Employee", "EmployeeId"),
            no_action("Employee", "ReportsTo", "Employee", "EmployeeId"),
            no_action("Invoice", "CustomerId", "Customer", "CustomerId"),
            no_action("InvoiceLine", "InvoiceId", "Invoice", "InvoiceId"),
            no_action("InvoiceLine", "TrackId", "Track", "TrackId"),
            no_action("PlaylistTrack", "PlaylistId", "Playlist", "PlaylistId"),
            no_action("PlaylistTrack", "TrackId", "Track", "TrackId"),
            no_action("Track", "AlbumId", "Album", "AlbumId"),
            no_action("Track", "GenreId", "Genre", "GenreId"),
            no_action("Track", "MediaTypeId", "MediaType", "MediaTypeId"),
        ]
    );
    assert_eq!(chinook().manifest().relation_count(), 11);
    // The script declares no names and nothing deferred.
    for entity in chinook().manifest().entities.values() {
        for relation in &entity.relations {
            assert_eq!(relation.name, None);
            assert!(!relation.deferrable);
        }
    }
}

#[test]
fn chinook_primary_keys_are_named_and_integer_keys_alias_the_rowid() {
    let db = chinook();
    for (entity, key) in [
        ("Album", "AlbumId"),
        ("Artist", "ArtistId"),
        ("Customer", "CustomerId"),
        ("Employee", "EmployeeId"),
        ("Genre", "GenreId"),
        ("Invoice", "InvoiceId"),
        ("InvoiceLine", "InvoiceLineId"),
        ("MediaType", "MediaTypeId"),
        ("Playlist", "PlaylistId"),
        ("Track", "TrackId"),
    ] {
        let table = db.entity(entity);
        assert_eq!(table.primary_key, [key], "{entity}");
        assert_eq!(
            table.primary_key_name.as_deref(),
            Some(format!("PK_{entity}").as_str())
        );
        let field = db.field(entity, key);
        assert_eq!(field.ty, FieldType::Int64);
        assert!(!field.nullable);
        assert_eq!(
            field.generated,
            Some(Generated::Kind(GeneratedKind::Rowid)),
            "{entity}.{key}"
        );
    }
    let playlist_track = db.entity("PlaylistTrack");
    assert_eq!(playlist_track.primary_key, ["PlaylistId", "TrackId"]);
    assert_eq!(
        playlist_track.primary_key_name.as_deref(),
        Some("PK_PlaylistTrack")
    );
    // A composite key is not a rowid alias.
    assert_eq!(db.field("PlaylistTrack", "PlaylistId").generated, None);
    assert_eq!(db.field("PlaylistTrack", "TrackId").generated, None);
}

#[test]
fn chinook_foreign_key_indexes_are_read_with_their_fields() {
    let db = chinook();
    let expected = [
        ("Album", "IFK_AlbumArtistId", "ArtistId"),
        ("Customer", "IFK_CustomerSupportRepId", "SupportRepId"),
        ("Employee", "IFK_EmployeeReportsTo", "ReportsTo"),
        ("Invoice", "IFK_InvoiceCustomerId", "CustomerId"),
        ("InvoiceLine", "IFK_InvoiceLineInvoiceId", "InvoiceId"),
        ("InvoiceLine", "IFK_InvoiceLineTrackId", "TrackId"),
        ("PlaylistTrack", "IFK_PlaylistTrackPlaylistId", "PlaylistId"),
        ("PlaylistTrack", "IFK_PlaylistTrackTrackId", "TrackId"),
        ("Track", "IFK_TrackAlbumId", "AlbumId"),
        ("Track", "IFK_TrackGenreId", "GenreId"),
        ("Track", "IFK_TrackMediaTypeId", "MediaTypeId"),
    ];
    let mut found = Vec::new();
    for (name, entity) in &db.manifest().entities {
        for index in &entity.indexes {
            assert!(!index.unique);
            assert_eq!(index.predicate, None);
            assert_eq!(index.method, None);
            let [
                IndexPart::Field {
                    field,
                    order,
                    collation,
                    ..
                },
            ] = index.fields.as_slice()
            else {
                panic!("{name}: unexpected index {index:?}");
            };
            assert_eq!((*order, collation), (None, &None));
            found.push((name.as_str(), index.name.as_str(), field.as_str()));
        }
        // Primary keys are not listed as indexes or unique constraints.
        assert!(entity.uniques.is_empty());
    }
    assert_eq!(found, expected);
}

#[test]
fn chinook_columns_keep_types_lengths_and_nullability() {
    let db = chinook();
    let title = db.field("Album", "Title");
    assert_eq!(title.ty, FieldType::String);
    assert_eq!(title.max_length, Some(160));
    assert_eq!(title.native.as_deref(), Some("NVARCHAR(160)"));
    assert!(!title.nullable);

    let name = db.field("Artist", "Name");
    assert_eq!(
        (
            name.ty,
            name.max_length,
            name.native.as_deref(),
            name.nullable
        ),
        (FieldType::String, Some(120), Some("NVARCHAR(120)"), true)
    );

    for (entity, field) in [
        ("Invoice", "Total"),
        ("InvoiceLine", "UnitPrice"),
        ("Track", "UnitPrice"),
    ] {
        let decimal = db.field(entity, field);
        assert_eq!(decimal.ty, FieldType::Decimal);
        assert_eq!((decimal.precision, decimal.scale), (Some(10), Some(2)));
        assert_eq!(
            decimal.native, None,
            "NUMERIC(10,2) is the canonical spelling"
        );
        assert!(!decimal.nullable);
    }

    let invoice_date = db.field("Invoice", "InvoiceDate");
    assert_eq!(
        (
            invoice_date.ty,
            invoice_date.native.as_deref(),
            invoice_date.nullable
        ),
        (FieldType::Timestamp, None, false)
    );
    let birth_date = db.field("Employee", "BirthDate");
    assert_eq!(
        (birth_date.ty, birth_date.nullable),
        (FieldType::Timestamp, true)
    );

    for (entity, field, nullable) in [
        ("Customer", "FirstName", false),
        ("Customer", "LastName", false),
        ("Customer", "Company", true),
        ("Customer", "Email", false),
        ("Customer", "SupportRepId", true),
        ("Employee", "ReportsTo", true),
        ("Employee", "Email", true),
        ("Invoice", "CustomerId", false),
        ("Invoice", "BillingAddress", true),
        ("InvoiceLine", "Quantity", false),
        ("Track", "Name", false),
        ("Track", "AlbumId", true),
        ("Track", "MediaTypeId", false),
        ("Track", "GenreId", true),
        ("Track", "Composer", true),
        ("Track", "Milliseconds", false),
        ("Track", "Bytes", true),
    ] {
        assert_eq!(
            db.field(entity, field).nullable,
            nullable,
            "{entity}.{field}"
        );
    }

    let bytes = db.field("Track", "Bytes");
    assert_eq!(
        (bytes.ty, bytes.native.as_deref()),
        (FieldType::Int64, None)
    );
    // Fields keep the column order of the table.
    let track: Vec<&str> = db
        .entity("Track")
        .fields
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        track,
        [
            "TrackId",
            "Name",
            "AlbumId",
            "MediaTypeId",
            "GenreId",
            "Composer",
            "Milliseconds",
            "Bytes",
            "UnitPrice"
        ]
    );
    // No defaults anywhere in Chinook.
    for entity in db.manifest().entities.values() {
        assert!(entity.fields.values().all(|field| field.default.is_none()));
        assert!(entity.checks.is_empty());
    }
}

#[test]
fn chinook_manifest_snapshot() {
    insta::assert_snapshot!(manifest::to_toml(chinook().manifest()));
}

// ---------------------------------------------------------------------------
// Northwind

const NORTHWIND_TABLES: [&str; 13] = [
    "Categories",
    "CustomerCustomerDemo",
    "CustomerDemographics",
    "Customers",
    "EmployeeTerritories",
    "Employees",
    "Order Details",
    "Orders",
    "Products",
    "Regions",
    "Shippers",
    "Suppliers",
    "Territories",
];

const NORTHWIND_VIEWS: [&str; 16] = [
    "Alphabetical list of products",
    "Category Sales for 1997",
    "Current Product List",
    "Customer and Suppliers by City",
    "Invoices",
    "Order Details Extended",
    "Order Subtotals",
    "Orders Qry",
    "Product Sales for 1997",
    "Products Above Average Price",
    "Products by Category",
    "Quarterly Orders",
    "Sales Totals by Amount",
    "Sales by Category",
    "Summary of Sales by Quarter",
    "Summary of Sales by Year",
];

#[test]
fn northwind_has_its_tables_and_views_but_not_sqlite_sequence() {
    let db = northwind();
    let manifest = db.manifest();
    assert_eq!(table_names(manifest, EntityKind::Table), NORTHWIND_TABLES);
    assert_eq!(table_names(manifest, EntityKind::View), NORTHWIND_VIEWS);
    assert_eq!(manifest.entities.len(), 13 + 16);
    assert!(!manifest.entities.contains_key("sqlite_sequence"));
    assert_eq!(
        manifest.project.name.as_deref(),
        Some("northwind"),
        "the file stem names the project"
    );
    assert!(db.ledger().is_empty(), "{:#?}", db.ledger());
    assert_valid_and_round_trips(manifest);
}

#[test]
fn northwind_foreign_keys_all_resolve_in_declaration_order() {
    assert_eq!(
        relations(northwind().manifest()),
        vec![
            no_action(
                "CustomerCustomerDemo",
                "CustomerID",
                "Customers",
                "CustomerID"
            ),
            no_action(
                "CustomerCustomerDemo",
                "CustomerTypeID",
                "CustomerDemographics",
                "CustomerTypeID"
            ),
            no_action(
                "EmployeeTerritories",
                "EmployeeID",
                "Employees",
                "EmployeeID"
            ),
            no_action(
                "EmployeeTerritories",
                "TerritoryID",
                "Territories",
                "TerritoryID"
            ),
            no_action("Employees", "ReportsTo", "Employees", "EmployeeID"),
            no_action("Order Details", "OrderID", "Orders", "OrderID"),
            no_action("Order Details", "ProductID", "Products", "ProductID"),
            no_action("Orders", "EmployeeID", "Employees", "EmployeeID"),
            no_action("Orders", "CustomerID", "Customers", "CustomerID"),
            no_action("Orders", "ShipVia", "Shippers", "ShipperID"),
            no_action("Products", "CategoryID", "Categories", "CategoryID"),
            no_action("Products", "SupplierID", "Suppliers", "SupplierID"),
            no_action("Territories", "RegionID", "Regions", "RegionID"),
        ]
    );
    assert_eq!(northwind().manifest().relation_count(), 13);
}

#[test]
fn northwind_keys_composite_and_autoincrement() {
    let db = northwind();
    for (entity, key) in [
        ("Order Details", vec!["OrderID", "ProductID"]),
        ("CustomerCustomerDemo", vec!["CustomerID", "CustomerTypeID"]),
        ("EmployeeTerritories", vec!["EmployeeID", "TerritoryID"]),
        ("CustomerDemographics", vec!["CustomerTypeID"]),
        ("Customers", vec!["CustomerID"]),
        ("Territories", vec!["TerritoryID"]),
    ] {
        let table = db.entity(entity);
        assert_eq!(table.primary_key, key, "{entity}");
        assert_eq!(table.primary_key_name, None);
        for field in key {
            assert_eq!(db.field(entity, field).generated, None, "{entity}.{field}");
        }
    }

    // `INTEGER PRIMARY KEY AUTOINCREMENT`, without NOT NULL: never null anyway.
    let category_id = db.field("Categories", "CategoryID");
    assert_eq!(
        category_id.generated,
        Some(Generated::Kind(GeneratedKind::Autoincrement))
    );
    assert!(!category_id.nullable);
    for (entity, key) in [
        ("Employees", "EmployeeID"),
        ("Orders", "OrderID"),
        ("Products", "ProductID"),
        ("Shippers", "ShipperID"),
        ("Suppliers", "SupplierID"),
    ] {
        assert_eq!(db.entity(entity).primary_key, [key]);
        assert_eq!(
            db.field(entity, key).generated,
            Some(Generated::Kind(GeneratedKind::Autoincrement)),
            "{entity}.{key}"
        );
    }
    // `INTEGER NOT NULL PRIMARY KEY` without AUTOINCREMENT: a plain rowid alias.
    assert_eq!(
        db.field("Regions", "RegionID").generated,
        Some(Generated::Kind(GeneratedKind::Rowid))
    );

    // A TEXT primary key of a rowid table may be null unless declared NOT NULL.
    assert!(db.field("Customers", "CustomerID").nullable);
    assert!(!db.field("Territories", "TerritoryID").nullable);
    assert!(!db.field("CustomerCustomerDemo", "CustomerID").nullable);
}

#[test]
fn northwind_checks_and_defaults() {
    let db = northwind();
    let check = |sql: &str| Check {
        name: None,
        sql: sql.to_owned(),
        ..Check::default()
    };
    assert_eq!(
        db.entity("Order Details").checks,
        [
            check("[Discount] >= (0) AND [Discount] <= (1)"),
            check("[Quantity] > (0)"),
            check("[UnitPrice] >= (0)"),
        ]
    );
    assert_eq!(
        db.entity("Products").checks,
        [
            check("[UnitPrice] >= (0)"),
            check("[ReorderLevel] >= (0)"),
            check("[UnitsInStock] >= (0)"),
            check("[UnitsOnOrder] >= (0)"),
        ]
    );

    let literal = |value: Literal| Some(DefaultValue::Literal(value));
    let discontinued = db.field("Products", "Discontinued");
    assert_eq!(discontinued.ty, FieldType::Text);
    assert!(!discontinued.nullable);
    assert_eq!(discontinued.default, literal(Literal::String("0".into())));

    let quantity = db.field("Order Details", "Quantity");
    assert_eq!(
        (quantity.ty, quantity.nullable, &quantity.default),
        (FieldType::Int64, false, &literal(Literal::Int(1)))
    );
    let unit_price = db.field("Order Details", "UnitPrice");
    assert_eq!(
        (unit_price.ty, unit_price.precision, &unit_price.default),
        (FieldType::Decimal, None, &literal(Literal::Int(0)))
    );
    let discount = db.field("Order Details", "Discount");
    assert_eq!(
        (discount.ty, &discount.default),
        (FieldType::Float64, &literal(Literal::Int(0)))
    );
    assert_eq!(
        db.field("Orders", "Freight").default,
        literal(Literal::Int(0))
    );
    assert!(db.field("Orders", "Freight").nullable);
    assert_eq!(db.field("Orders", "ShipName").default, None);

    assert_eq!(db.field("Categories", "Picture").ty, FieldType::Bytes);
    assert_eq!(db.field("Employees", "BirthDate").ty, FieldType::Date);
    assert_eq!(db.field("Orders", "OrderDate").ty, FieldType::Timestamp);
    for entity in NORTHWIND_TABLES {
        assert!(db.entity(entity).indexes.is_empty(), "{entity}");
        assert!(db.entity(entity).uniques.is_empty(), "{entity}");
    }
}

#[test]
fn northwind_views_are_read_only_entities_with_their_query() {
    let db = northwind();
    for name in NORTHWIND_VIEWS {
        let view = db.entity(name);
        assert_eq!(view.kind, EntityKind::View);
        assert!(view.primary_key.is_empty());
        assert!(view.relations.is_empty() && view.indexes.is_empty());
        assert!(
            view.definition
                .as_deref()
                .is_some_and(|query| query.starts_with("SELECT"))
        );
        assert!(!view.fields.is_empty(), "{name}");
        assert!(view.fields.values().all(|field| field.nullable), "{name}");
    }
    let current = db.entity("Current Product List");
    assert_eq!(
        current.definition.as_deref(),
        Some("SELECT ProductID, ProductName FROM Products WHERE Discontinued = 0")
    );
    assert_eq!(
        current.fields.keys().collect::<Vec<_>>(),
        ["ProductID", "ProductName"]
    );
    assert_eq!(current.fields["ProductID"].ty, FieldType::Int64);
    assert_eq!(current.fields["ProductName"].ty, FieldType::Text);

    // `Products.*` expands to every column of Products, plus CategoryName.
    let alphabetical = db.entity("Alphabetical list of products");
    assert_eq!(alphabetical.fields.len(), 11);
    // A computed column has no type: native "ANY".
    let subtotal = &db.entity("Order Subtotals").fields["Subtotal"];
    assert_eq!(
        (subtotal.ty, subtotal.native.as_deref()),
        (FieldType::Native, Some("ANY"))
    );
}

#[test]
fn northwind_manifest_snapshot() {
    insta::assert_snapshot!(manifest::to_toml(northwind().manifest()));
}

// ---------------------------------------------------------------------------
// Every feature, on a synthetic database

const FEATURES: &str = r#"
CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
    handle TEXT CONSTRAINT uq_handle UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at TEXT DEFAULT CURRENT_TIMESTAMP,
    active BOOLEAN NOT NULL DEFAULT 1,
    score REAL DEFAULT -1.5,
    motto TEXT DEFAULT 'it''s fine',
    avatar BLOB DEFAULT X'00FF',
    nickname DEFAULT NULL,
    UNIQUE (first_name, last_name),
    CONSTRAINT uq_name_email UNIQUE (last_name, email)
);
CREATE TABLE books (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE ON UPDATE SET NULL,
    editor_id INTEGER,
    title VARCHAR(200) NOT NULL,
    price NUMERIC(8, 2) NOT NULL CONSTRAINT price_positive CHECK (price > 0),
    quantity INT NOT NULL DEFAULT 0,
    price_with_tax NUMERIC GENERATED ALWAYS AS (price * 1.2) VIRTUAL,
    title_upper TEXT AS (upper(title)) STORED,
    CONSTRAINT fk_books_editor FOREIGN KEY (editor_id) REFERENCES Authors (ID)
        DEFERRABLE INITIALLY DEFERRED,
    CHECK (quantity >= 0)
);
CREATE INDEX books_title_lower ON books (lower(title));
CREATE INDEX books_in_stock ON books (author_id, price DESC) WHERE quantity > 0;
CREATE UNIQUE INDEX books_title_nocase ON books (title COLLATE NOCASE);
CREATE TABLE tags (
    book_id INTEGER NOT NULL,
    tag TEXT NOT NULL,
    weight UNSIGNED BIG INT,
    PRIMARY KEY (book_id, tag),
    UNIQUE (tag COLLATE NOCASE),
    FOREIGN KEY (book_id) REFERENCES books
) WITHOUT ROWID;
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value ANY,
    revision INTEGER,
    UNIQUE (revision) ON CONFLICT REPLACE
) STRICT;
CREATE TABLE orphans (id INTEGER PRIMARY KEY, ghost_id INTEGER REFERENCES ghosts (id));
CREATE VIEW book_titles AS
    SELECT b.id, b.title, a.last_name || ', ' || a.first_name AS author
    FROM books b JOIN authors a ON a.id = b.author_id;
CREATE TRIGGER books_touch AFTER UPDATE ON books
BEGIN
    UPDATE books SET quantity = quantity WHERE id = NEW.id;
END;
CREATE TABLE quirky (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    low INT,
    high INT,
    CHECK (low < high) CHECK (high < 100)
);
CREATE INDEX quirky_unset ON quirky (abs(low) DESC) WHERE high ISNULL;
CREATE TABLE dropped (a);
CREATE VIEW stale AS SELECT a FROM dropped;
DROP TABLE dropped;
"#;

const FTS5: &str = "CREATE VIRTUAL TABLE book_search USING fts5(title, body);";

/// The synthetic database, and whether the bundled SQLite has FTS5.
fn features() -> &'static (Introspected, bool) {
    static FEATURES_DB: OnceLock<(Introspected, bool)> = OnceLock::new();
    FEATURES_DB.get_or_init(|| {
        let database = TempDatabase::with_script("features.sqlite3", FEATURES);
        let has_fts5 = database.connect().execute_batch(FTS5).is_ok();
        let introspection = introspect(database.path()).unwrap();
        (
            Introspected {
                _database: database,
                introspection,
            },
            has_fts5,
        )
    })
}

fn ledger_entry<'a>(db: &'a Introspected, kind: &str, object: &str) -> &'a LedgerEntry {
    db.introspection
        .ledger
        .entries()
        .into_iter()
        .find(|entry| entry.kind == kind && entry.object == object)
        .unwrap_or_else(|| panic!("no `{kind}` entry for `{object}` in {:#?}", db.ledger()))
}

#[test]
fn features_entities_and_table_options() {
    let (db, _) = features();
    let manifest = db.manifest();
    assert_eq!(
        table_names(manifest, EntityKind::Table),
        ["authors", "books", "orphans", "quirky", "settings", "tags"]
    );
    assert_eq!(table_names(manifest, EntityKind::View), ["book_titles"]);
    assert_eq!(manifest.project.name.as_deref(), Some("features"));

    let tags = db.entity("tags");
    assert!(tags.without_rowid && !tags.strict);
    assert_eq!(tags.primary_key, ["book_id", "tag"]);
    assert!(!db.field("tags", "tag").nullable);
    // The collation of a UNIQUE constraint has no place in the manifest.
    assert!(db.field("tags", "tag").unique);
    let entry = ledger_entry(db, "unique_options", "tags");
    assert!(entry.message.contains("NOCASE"), "{}", entry.message);
    let weight = db.field("tags", "weight");
    assert_eq!(
        (weight.ty, weight.native.as_deref()),
        (FieldType::Int64, Some("UNSIGNED BIG INT"))
    );

    let settings = db.entity("settings");
    assert!(settings.strict && !settings.without_rowid);
    assert_eq!(settings.primary_key, ["key"]);
    let value = db.field("settings", "value");
    assert_eq!(
        (value.ty, value.native.as_deref()),
        (FieldType::Native, Some("ANY"))
    );
    assert!(db.field("settings", "revision").unique);

    assert!(!db.entity("authors").strict && !db.entity("authors").without_rowid);
    assert_valid_and_round_trips(manifest);
}

#[test]
fn features_rowid_aliases_and_autoincrement() {
    let (db, _) = features();
    assert_eq!(
        db.field("authors", "id").generated,
        Some(Generated::Kind(GeneratedKind::Rowid))
    );
    assert_eq!(
        db.field("books", "id").generated,
        Some(Generated::Kind(GeneratedKind::Autoincrement))
    );
    assert!(!db.field("authors", "id").nullable);
    // A TEXT key is no rowid alias, WITHOUT ROWID keys neither.
    assert_eq!(db.field("settings", "key").generated, None);
    assert_eq!(db.field("tags", "book_id").generated, None);
}

#[test]
fn features_defaults() {
    let (db, _) = features();
    let sql = |text: &str| {
        Some(DefaultValue::Sql {
            sql: text.to_owned(),
        })
    };
    let literal = |value: Literal| Some(DefaultValue::Literal(value));
    assert_eq!(
        db.field("authors", "created_at").default,
        sql("datetime('now')")
    );
    assert_eq!(
        db.field("authors", "updated_at").default,
        sql("CURRENT_TIMESTAMP")
    );
    let active = db.field("authors", "active");
    assert_eq!(active.ty, FieldType::Bool);
    assert_eq!(active.default, literal(Literal::Bool(true)));
    assert_eq!(
        db.field("authors", "score").default,
        literal(Literal::Float(-1.5))
    );
    assert_eq!(
        db.field("authors", "motto").default,
        literal(Literal::String("it's fine".into()))
    );
    assert_eq!(db.field("authors", "avatar").default, sql("X'00FF'"));
    assert_eq!(db.field("authors", "nickname").default, None);
    assert_eq!(
        db.field("books", "quantity").default,
        literal(Literal::Int(0))
    );
}

#[test]
fn features_untyped_column_is_native_any_and_reported() {
    let (db, _) = features();
    let nickname = db.field("authors", "nickname");
    assert_eq!(
        (nickname.ty, nickname.native.as_deref(), nickname.nullable),
        (FieldType::Native, Some("ANY"), true)
    );
    ledger_entry(db, "untyped_column", "authors.nickname");
    // View columns without a type are not reported.
    let author = &db.entity("book_titles").fields["author"];
    assert_eq!(
        (author.ty, author.native.as_deref()),
        (FieldType::Native, Some("ANY"))
    );
    assert!(
        db.ledger()
            .iter()
            .all(|entry| !entry.object.starts_with("book_titles"))
    );
}

#[test]
fn features_unique_constraints_single_multi_named_and_automatic() {
    let (db, _) = features();
    let authors = db.entity("authors");
    assert!(db.field("authors", "email").unique);
    assert!(
        !db.field("authors", "handle").unique,
        "named: listed in uniques"
    );
    assert_eq!(
        authors.uniques,
        [
            Unique::new(Some("uq_handle".into()), strings(&["handle"])),
            Unique::new(None, strings(&["first_name", "last_name"])),
            Unique::new(
                Some("uq_name_email".into()),
                strings(&["last_name", "email"])
            ),
        ]
    );
    // UNIQUE constraints are not indexes.
    assert!(authors.indexes.is_empty());
}

#[test]
fn features_indexes_expression_partial_desc_and_collation() {
    let (db, _) = features();
    let books = db.entity("books");
    assert_eq!(
        books.indexes,
        [
            Index {
                name: "books_in_stock".into(),
                fields: vec![
                    IndexPart::field("author_id"),
                    IndexPart::Field {
                        field: "price".into(),
                        order: Some(SortOrder::Desc),
                        collation: None,
                        prefix_length: None,
                    },
                ],
                unique: false,
                predicate: Some("quantity > 0".into()),
                method: None,
                expire_after_seconds: None,
                options: Default::default(),
            },
            Index {
                name: "books_title_lower".into(),
                fields: vec![IndexPart::Expression {
                    sql: "lower(title)".into(),
                    order: None,
                }],
                unique: false,
                predicate: None,
                method: None,
                expire_after_seconds: None,
                options: Default::default(),
            },
            Index {
                name: "books_title_nocase".into(),
                fields: vec![IndexPart::Field {
                    field: "title".into(),
                    order: None,
                    collation: Some("NOCASE".into()),
                    prefix_length: None,
                }],
                unique: true,
                predicate: None,
                method: None,
                expire_after_seconds: None,
                options: Default::default(),
            },
        ]
    );
}

#[test]
fn features_checks_generated_columns_and_collations() {
    let (db, _) = features();
    assert_eq!(
        db.entity("books").checks,
        [
            Check {
                name: Some("price_positive".into()),
                sql: "price > 0".into(),
                ..Check::default()
            },
            Check {
                name: None,
                sql: "quantity >= 0".into(),
                ..Check::default()
            },
        ]
    );
    let price = db.field("books", "price");
    assert_eq!(
        (
            price.ty,
            price.precision,
            price.scale,
            price.native.as_deref()
        ),
        (FieldType::Decimal, Some(8), Some(2), None)
    );
    assert_eq!(
        db.field("books", "price_with_tax").generated,
        Some(Generated::Computed {
            sql: "price * 1.2".into(),
            stored: false,
        })
    );
    assert_eq!(
        db.field("books", "title_upper").generated,
        Some(Generated::Computed {
            sql: "upper(title)".into(),
            stored: true,
        })
    );
    assert_eq!(db.field("books", "title_upper").default, None);
    assert_eq!(
        db.field("authors", "email").collation.as_deref(),
        Some("NOCASE")
    );
    assert_eq!(db.field("authors", "handle").collation, None);
}

#[test]
fn features_foreign_keys_actions_names_deferral_and_dangling() {
    let (db, _) = features();
    let books = db.entity("books");
    assert_eq!(books.relations.len(), 2);
    let author = &books.relations[0];
    assert_eq!(author.name, None);
    assert_eq!(author.fields, ["author_id"]);
    assert_eq!(author.references.entity, "authors");
    assert_eq!(author.references.fields, ["id"]);
    assert_eq!(author.on_delete, ReferentialAction::Cascade);
    assert_eq!(author.on_update, ReferentialAction::SetNull);
    assert!(!author.deferrable);

    // Declared as `REFERENCES Authors (ID)`: resolved to the real names.
    let editor = &books.relations[1];
    assert_eq!(editor.name.as_deref(), Some("fk_books_editor"));
    assert_eq!(editor.fields, ["editor_id"]);
    assert_eq!(editor.references.entity, "authors");
    assert_eq!(editor.references.fields, ["id"]);
    assert_eq!(
        (editor.on_delete, editor.on_update),
        (ReferentialAction::NoAction, ReferentialAction::NoAction)
    );
    assert!(editor.deferrable);

    // `REFERENCES books` without columns: the parent's primary key.
    let tags = db.entity("tags");
    assert_eq!(tags.relations.len(), 1);
    assert_eq!(tags.relations[0].references.entity, "books");
    assert_eq!(tags.relations[0].references.fields, ["id"]);

    // A foreign key to a table that does not exist is reported, not kept.
    assert!(db.entity("orphans").relations.is_empty());
    let entry = ledger_entry(db, "dangling_foreign_key", "orphans");
    assert!(entry.message.contains("ghosts"), "{}", entry.message);
}

#[test]
fn features_views_triggers_virtual_tables_and_broken_views_are_handled() {
    let (db, has_fts5) = features();
    let view = db.entity("book_titles");
    assert_eq!(view.kind, EntityKind::View);
    assert_eq!(
        view.fields.keys().collect::<Vec<_>>(),
        ["id", "title", "author"]
    );
    assert!(view.fields.values().all(|field| field.nullable));
    assert_eq!(view.fields["title"].max_length, Some(200));
    assert_eq!(
        view.definition.as_deref(),
        Some(
            "SELECT b.id, b.title, a.last_name || ', ' || a.first_name AS author \
             FROM books b JOIN authors a ON a.id = b.author_id"
        )
    );

    let trigger = ledger_entry(db, "trigger", "books");
    assert!(trigger.message.contains("books_touch"));

    let stale = ledger_entry(db, "invalid_view", "stale");
    assert!(stale.message.contains("dropped"), "{}", stale.message);
    assert!(!db.manifest().entities.contains_key("stale"));

    let on_conflict = ledger_entry(db, "on_conflict", "settings");
    assert!(on_conflict.message.contains("ON CONFLICT"));

    if *has_fts5 {
        let entry = ledger_entry(db, "virtual_table", "book_search");
        assert!(entry.message.contains("fts5"), "{}", entry.message);
        for shadow in ["config", "content", "data", "docsize", "idx"] {
            let name = format!("`book_search_{shadow}`");
            assert!(entry.message.contains(&name), "{}", entry.message);
            assert!(!db.manifest().entities.contains_key(&name));
        }
        assert!(
            db.manifest()
                .entities
                .keys()
                .all(|name| !name.starts_with("book_search"))
        );
    }
}

#[test]
fn features_ledger_snapshot() {
    let (db, has_fts5) = features();
    let entries: Vec<&LedgerEntry> = db
        .ledger()
        .into_iter()
        .filter(|entry| *has_fts5 || entry.kind != "virtual_table")
        .collect();
    insta::assert_json_snapshot!(entries);
}

#[test]
fn features_manifest_snapshot() {
    insta::assert_snapshot!(manifest::to_toml(features().0.manifest()));
}

#[test]
fn features_statements_sqlparser_cannot_parse_are_reported_and_read_as_far_as_possible() {
    let (db, _) = features();
    // SQLite accepts table constraints without commas between them; sqlparser
    // does not. The PRAGMAs still give columns, key and AUTOINCREMENT.
    let quirky = db.entity("quirky");
    assert_eq!(quirky.primary_key, ["id"]);
    assert_eq!(
        db.field("quirky", "id").generated,
        Some(Generated::Kind(GeneratedKind::Autoincrement))
    );
    assert_eq!(db.field("quirky", "low").ty, FieldType::Int32);
    assert!(quirky.checks.is_empty());
    let unparsed: Vec<&LedgerEntry> = db
        .ledger()
        .into_iter()
        .filter(|entry| entry.object == "quirky" && entry.kind == "unparsed_ddl")
        .collect();
    assert_eq!(unparsed.len(), 2, "{unparsed:#?}");
    assert!(
        unparsed
            .iter()
            .any(|entry| entry.message.contains("CREATE TABLE"))
    );
    assert!(
        unparsed
            .iter()
            .any(|entry| entry.message.contains("quirky_unset"))
    );

    // `ISNULL` is SQLite-only: the index is kept, with its text as written.
    assert_eq!(
        quirky.indexes,
        [Index {
            name: "quirky_unset".into(),
            fields: vec![IndexPart::Expression {
                sql: "abs(low)".into(),
                order: Some(SortOrder::Desc),
            }],
            unique: false,
            predicate: Some("high ISNULL".into()),
            method: None,
            expire_after_seconds: None,
            options: Default::default(),
        }]
    );
}

// ---------------------------------------------------------------------------
// Files that are not databases

#[test]
fn missing_file_is_a_connect_error_and_is_not_created() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("missing.db");
    let error = introspect(&path).unwrap_err();
    match &error {
        IntrospectError::Connect { target, reason } => {
            assert_eq!(target, &path.display().to_string());
            assert!(reason.contains("no such file"), "{reason}");
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
    assert!(!path.exists(), "introspection must not create the file");
}

#[test]
fn file_that_is_not_a_database_is_a_connect_error() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(
        &path,
        "these are not the tables you are looking for\n".repeat(100),
    )
    .unwrap();
    let error = introspect(&path).unwrap_err();
    assert!(
        matches!(&error, IntrospectError::Connect { reason, .. } if reason.contains("not a database")),
        "{error:?}"
    );
}

#[test]
fn empty_database_gives_an_empty_manifest() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, "").unwrap();
    let introspection = introspect(&path).unwrap();
    assert!(introspection.manifest.entities.is_empty());
    assert!(introspection.ledger.is_empty());
}
