//! MongoDB introspection against the MongoDB-wire server started by
//! tests/servers (`BAAS_TEST_MONGODB_URL`). Each test seeds a database of its
//! own through the driver, introspects it and drops it.
//!
//! The seeded database has: `products`, documents with mixed numbers, keys
//! present in only some documents, explicit nulls, objects two levels deep,
//! arrays of strings and of documents, and a key that is a string in some
//! documents and an object in others; `orders`, whose fields come from a
//! `$jsonSchema` validator; `cheap_products`, a view; `audit_log`, empty;
//! `events`, capped; `bulk`, larger than the sample used in one test; and
//! indexes of every kind the server supports (unique, compound with a
//! descending key, TTL, partial, 2dsphere, sparse on a nested path, and text
//! when the server can build it). One more test builds collections with
//! options the manifest cannot represent (time series, collation, clustered,
//! query validators, wildcard/hidden/collated indexes) and checks the ledger.

use std::path::Path;

use baas::introspect::mongo::MongoIntrospector;
use baas::introspect::{IntrospectError, IntrospectOptions, Introspection, Introspector};
use baas::manifest::{
    self, Entity, EntityKind, Field, FieldType, IndexPart, Manifest, SortOrder, SourceEngine,
};
use baas::ui::Progress;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, DateTime, Decimal128, Document, doc};
use mongodb::{Client, Database};

use crate::support;
use crate::support::baas;
use crate::support::mongo::TempDatabase;

const PRODUCTS: usize = 10;

/// A fresh database on the test server, dropped when the test ends, and a
/// runtime and client for the sync tests to reach it with.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    client: Client,
    temp: TempDatabase,
    /// `mongodb://127.0.0.1:PORT/<name>?directConnection=true`
    url: String,
    /// Whether the server built the text index.
    text_index: bool,
}

impl Fixture {
    /// The standard dataset (see the module comment); `None` when no test
    /// server is configured (see `support::server_url`).
    fn seeded(test: &str) -> Option<Self> {
        let mut fixture = Self::empty(test)?;
        fixture.text_index = fixture.runtime.block_on(seed(&fixture.database()));
        Some(fixture)
    }

    /// A database with nothing in it yet.
    fn empty(test: &str) -> Option<Self> {
        let temp = TempDatabase::create(test)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let client = runtime.block_on(temp.client());
        Some(Self {
            runtime,
            client,
            url: temp.url().to_owned(),
            temp,
            text_index: false,
        })
    }

    fn database(&self) -> Database {
        self.client.database(self.temp.name())
    }

    fn introspect_with(
        &self,
        options: &IntrospectOptions,
    ) -> Result<Introspection, IntrospectError> {
        self.runtime.block_on(
            MongoIntrospector::new(self.url.clone()).introspect(options, &Progress::hidden()),
        )
    }

    fn introspect(&self) -> Introspection {
        self.introspect_with(&IntrospectOptions::default())
            .expect("introspection failed")
    }
}

async fn command(database: &Database, command: Document) {
    database
        .run_command(command.clone())
        .await
        .unwrap_or_else(|error| panic!("{command} failed: {error}"));
}

fn uuid(i: u8) -> Bson {
    Bson::Binary(Binary {
        subtype: BinarySubtype::Uuid,
        bytes: vec![i; 16],
    })
}

/// The products: see the comments on each key for what it exercises.
fn products() -> Vec<Document> {
    (0..PRODUCTS)
        .map(|i| {
            let n = i as i32;
            let mut product = doc! {
                "name": format!("product {i}"),
                "category": if i % 2 == 0 { "tools" } else { "garden" },
            };
            // double in 6 of 10 documents, int32 in 4 → float64.
            if [1, 3, 5, 7].contains(&i) {
                product.insert("price", n * 10);
            } else {
                product.insert("price", f64::from(n) + 0.5);
            }
            // present in 6 of 10 → optional.
            if i < 6 {
                product.insert("discount", 0.1 * f64::from(n));
            }
            // always present, null in 4 → nullable.
            if i % 3 == 0 {
                product.insert("description", Bson::Null);
            } else {
                product.insert("description", format!("the {i}th product"));
            }
            // two levels deep; `depth` only in even documents.
            let mut size = doc! { "w": 1.5 * f64::from(n), "h": 2.0 };
            if i % 2 == 0 {
                size.insert("depth", 3.0);
            }
            product.insert("dimensions", doc! { "unit": "cm", "size": size });
            // array of strings, one of them empty.
            let tags: Vec<Bson> = if i == 4 {
                Vec::new()
            } else {
                vec![Bson::from("new"), Bson::from(format!("t{i}"))]
            };
            product.insert("tags", tags);
            // array of documents in half of them; only the first review has a comment.
            if i < 5 {
                product.insert(
                    "reviews",
                    vec![
                        doc! { "user": "ann", "rating": 5, "comment": "great" },
                        doc! { "user": "bob", "rating": n },
                    ],
                );
            }
            // a string in 7 of 10 documents, an object in 3 → json.
            if i < 7 {
                product.insert("manufacturer", "Acme");
            } else {
                product.insert("manufacturer", doc! { "name": "Bolt", "country": "DE" });
            }
            // int32 in 8, int64 in 2 → int64.
            if i < 8 {
                product.insert("stock", n);
            } else {
                product.insert("stock", 10_000_000_000_i64 + i as i64);
            }
            product.insert(
                "created",
                DateTime::from_millis(1_700_000_000_000 + i as i64),
            );
            product.insert("sku", uuid(i as u8));
            // a GeoJSON point in 3 of them, for the 2dsphere index.
            if i < 3 {
                product.insert(
                    "location",
                    doc! { "type": "Point", "coordinates": [13.4 + f64::from(n), 52.5] },
                );
            }
            // elements of two types, in one document.
            if i == 0 {
                product.insert(
                    "codes",
                    vec![Bson::Int32(1), Bson::from("x"), Bson::Int32(2)],
                );
            }
            product
        })
        .collect()
}

fn orders_schema() -> Document {
    doc! {
        "bsonType": "object",
        "description": "Customer orders",
        "required": ["_id", "customer", "status", "total", "items"],
        "additionalProperties": false,
        "properties": {
            "_id": { "bsonType": "objectId" },
            "customer": { "bsonType": "string", "maxLength": 80, "description": "Who ordered" },
            "email": { "bsonType": "string", "pattern": "^.+@.+$" },
            "status": { "enum": ["pending", "paid", "shipped"] },
            "total": { "bsonType": "decimal" },
            "discount": { "bsonType": ["double", "null"], "minimum": 0 },
            "placed_at": { "bsonType": "date" },
            "shipping": {
                "bsonType": "object",
                "required": ["city"],
                "properties": {
                    "city": { "bsonType": "string" },
                    "zip": { "bsonType": "string", "maxLength": 10 },
                    "method": { "bsonType": ["string", "null"], "enum": ["post", "courier", null] },
                },
            },
            "items": {
                "bsonType": "array",
                "minItems": 1,
                "items": {
                    "bsonType": "object",
                    "required": ["sku", "qty"],
                    "properties": {
                        "sku": { "bsonType": "string" },
                        "qty": { "bsonType": "int", "minimum": 1 },
                    },
                },
            },
            "notes": { "bsonType": ["string", "null"] },
            "version": { "bsonType": "long" },
            "synced": { "bsonType": "timestamp" },
            "receipt": { "bsonType": "binData" },
            "gift": { "bsonType": "bool" },
            "reference": { "bsonType": ["int", "string"] },
        },
    }
}

/// Seeds the database; returns whether the server could build a text index.
async fn seed(database: &Database) -> bool {
    database
        .collection::<Document>("products")
        .insert_many(products())
        .await
        .unwrap();
    command(
        database,
        doc! {
            "createIndexes": "products",
            "indexes": [
                { "key": { "name": 1 }, "name": "products_name_unique", "unique": true },
                { "key": { "category": 1, "price": -1 }, "name": "category_price" },
                { "key": { "created": 1 }, "name": "created_ttl", "expireAfterSeconds": 3600 },
                {
                    "key": { "price": 1 },
                    "name": "cheap_partial",
                    "partialFilterExpression": { "price": { "$lt": 20 } },
                },
                { "key": { "location": "2dsphere" }, "name": "location_2dsphere" },
                { "key": { "dimensions.unit": 1 }, "name": "unit_sparse", "sparse": true },
            ],
        },
    )
    .await;
    // secantusdb answers `text indexes are not supported` (code 67).
    let text_index = database
        .run_command(doc! {
            "createIndexes": "products",
            "indexes": [{ "key": { "name": "text", "category": "text" }, "name": "search_text" }],
        })
        .await
        .is_ok();

    command(
        database,
        doc! {
            "create": "orders",
            "validator": { "$jsonSchema": orders_schema() },
            "validationLevel": "moderate",
            "validationAction": "warn",
        },
    )
    .await;
    database
        .collection::<Document>("orders")
        .insert_one(doc! {
            "customer": "Ann",
            "status": "paid",
            "total": "12.50".parse::<Decimal128>().unwrap(),
            "items": [{ "sku": "p1", "qty": 2 }],
        })
        .await
        .unwrap();
    command(
        database,
        doc! { "createIndexes": "orders", "indexes": [
            { "key": { "customer": 1, "placed_at": -1 }, "name": "customer_recent" },
        ] },
    )
    .await;

    command(
        database,
        doc! {
            "create": "cheap_products",
            "viewOn": "products",
            "pipeline": [
                { "$match": { "price": { "$lt": 20 } } },
                { "$project": { "name": 1, "price": 1 } },
            ],
        },
    )
    .await;
    command(database, doc! { "create": "audit_log" }).await;
    command(
        database,
        doc! { "create": "events", "capped": true, "size": 4096 },
    )
    .await;
    let bulk: Vec<Document> = (0..50)
        .map(|i| doc! { "n": i, "label": format!("row {i}") })
        .collect();
    database
        .collection::<Document>("bulk")
        .insert_many(bulk)
        .await
        .unwrap();
    text_index
}

fn entity<'a>(manifest: &'a Manifest, name: &str) -> &'a Entity {
    manifest
        .entities
        .get(name)
        .unwrap_or_else(|| panic!("entity `{name}` is missing"))
}

fn field<'a>(entity: &'a Entity, path: &str) -> &'a Field {
    let mut parts = path.split('.');
    let first = parts.next().unwrap();
    let mut field = entity
        .fields
        .get(first)
        .unwrap_or_else(|| panic!("field `{first}` is missing"));
    for part in parts {
        field = if part == "[]" {
            field.items.as_deref().expect("no items")
        } else {
            field
                .fields
                .as_ref()
                .and_then(|fields| fields.get(part))
                .unwrap_or_else(|| panic!("field `{path}` is missing at `{part}`"))
        };
    }
    field
}

/// (type, optional, nullable) of a field.
fn shape(field: &Field) -> (FieldType, bool, bool) {
    (field.ty, field.optional, field.nullable)
}

fn names(fields: &indexmap::IndexMap<String, Field>) -> Vec<&str> {
    fields.keys().map(String::as_str).collect()
}

fn ledger(introspection: &Introspection) -> Vec<(String, String, String)> {
    introspection
        .ledger
        .entries()
        .into_iter()
        .map(|e| (e.object.clone(), e.kind.clone(), e.message.clone()))
        .collect()
}

fn ledger_of<'a>(entries: &'a [(String, String, String)], object: &str) -> Vec<(&'a str, &'a str)> {
    entries
        .iter()
        .filter(|(o, _, _)| o == object)
        .map(|(_, kind, message)| (kind.as_str(), message.as_str()))
        .collect()
}

// ---------------------------------------------------------------------------

#[test]
fn inferred_collection_has_optional_nullable_nested_and_widened_fields() {
    let Some(fixture) = Fixture::seeded("infer") else {
        return;
    };
    let introspection = fixture.introspect();
    let manifest = &introspection.manifest;
    let products = entity(manifest, "products");
    assert_eq!(products.kind, EntityKind::Table);
    assert_eq!(products.table, "products");
    assert_eq!(products.primary_key, ["_id"]);
    assert_eq!(products.definition, None);
    assert!(products.relations.is_empty());
    assert_eq!(
        names(&products.fields),
        [
            "_id",
            "name",
            "category",
            "price",
            "discount",
            "description",
            "dimensions",
            "tags",
            "reviews",
            "manufacturer",
            "stock",
            "created",
            "sku",
            "location",
            "codes"
        ]
    );
    let expect = [
        ("_id", (FieldType::ObjectId, false, false)),
        ("name", (FieldType::String, false, false)),
        ("price", (FieldType::Float64, false, false)),
        ("discount", (FieldType::Float64, true, false)),
        ("description", (FieldType::String, false, true)),
        ("dimensions", (FieldType::Object, false, false)),
        ("dimensions.unit", (FieldType::String, false, false)),
        ("dimensions.size", (FieldType::Object, false, false)),
        ("dimensions.size.w", (FieldType::Float64, false, false)),
        ("dimensions.size.depth", (FieldType::Float64, true, false)),
        ("tags", (FieldType::Array, false, false)),
        ("tags.[]", (FieldType::String, false, false)),
        ("reviews", (FieldType::Array, true, false)),
        ("reviews.[]", (FieldType::Object, false, false)),
        ("reviews.[].user", (FieldType::String, false, false)),
        ("reviews.[].rating", (FieldType::Int32, false, false)),
        ("reviews.[].comment", (FieldType::String, true, false)),
        ("manufacturer", (FieldType::Json, false, false)),
        ("stock", (FieldType::Int64, false, false)),
        ("created", (FieldType::Timestamptz, false, false)),
        ("sku", (FieldType::Uuid, false, false)),
        ("location", (FieldType::Object, true, false)),
        ("location.type", (FieldType::String, false, false)),
        (
            "location.coordinates.[]",
            (FieldType::Float64, false, false),
        ),
        ("codes", (FieldType::Array, true, false)),
        ("codes.[]", (FieldType::Json, false, false)),
    ];
    for (path, expected) in expect {
        assert_eq!(shape(field(products, path)), expected, "products.{path}");
    }
    assert_eq!(
        names(field(products, "dimensions.size").fields.as_ref().unwrap()),
        ["w", "h", "depth"]
    );
    // A json field has no nested fields, whatever some of its values held.
    assert_eq!(field(products, "manufacturer").fields, None);

    let entries = ledger(&introspection);
    assert_eq!(
        ledger_of(&entries, "products.price"),
        [(
            "mixed_types",
            "`price`: double 60%, int32 40% (of 10 non-null values); recorded as float64"
        )]
    );
    assert_eq!(
        ledger_of(&entries, "products.manufacturer"),
        [(
            "mixed_types",
            "`manufacturer`: string 70%, object 30% (of 10 non-null values); recorded as json"
        )]
    );
    assert_eq!(
        ledger_of(&entries, "products.stock"),
        [(
            "mixed_types",
            "`stock`: int32 80%, int64 20% (of 10 non-null values); recorded as int64"
        )]
    );
    assert_eq!(
        ledger_of(&entries, "products.codes[]"),
        [(
            "mixed_types",
            "`codes[]`: int32 67%, string 33% (of 3 non-null values); recorded as json"
        )]
    );
}

#[test]
fn validator_gives_required_types_enums_and_nested_fields() {
    let Some(fixture) = Fixture::seeded("validator") else {
        return;
    };
    let introspection = fixture.introspect();
    let manifest = &introspection.manifest;
    let orders = entity(manifest, "orders");
    assert_eq!(orders.primary_key, ["_id"]);
    assert_eq!(orders.comment.as_deref(), Some("Customer orders"));
    assert_eq!(
        names(&orders.fields),
        [
            "_id",
            "customer",
            "email",
            "status",
            "total",
            "discount",
            "placed_at",
            "shipping",
            "items",
            "notes",
            "version",
            "synced",
            "receipt",
            "gift",
            "reference"
        ]
    );
    let expect = [
        ("_id", (FieldType::ObjectId, false, false)),
        ("customer", (FieldType::String, false, false)),
        ("email", (FieldType::String, true, false)),
        ("status", (FieldType::Enum, false, false)),
        ("total", (FieldType::Decimal, false, false)),
        ("discount", (FieldType::Float64, true, true)),
        ("placed_at", (FieldType::Timestamptz, true, false)),
        ("shipping", (FieldType::Object, true, false)),
        ("shipping.city", (FieldType::String, false, false)),
        ("shipping.zip", (FieldType::String, true, false)),
        ("shipping.method", (FieldType::Enum, true, true)),
        ("items", (FieldType::Array, false, false)),
        ("items.[]", (FieldType::Object, false, false)),
        ("items.[].sku", (FieldType::String, false, false)),
        ("items.[].qty", (FieldType::Int32, false, false)),
        ("notes", (FieldType::String, true, true)),
        ("version", (FieldType::Int64, true, false)),
        ("synced", (FieldType::Native, true, false)),
        ("receipt", (FieldType::Bytes, true, false)),
        ("gift", (FieldType::Bool, true, false)),
        ("reference", (FieldType::Json, true, false)),
    ];
    for (path, expected) in expect {
        assert_eq!(shape(field(orders, path)), expected, "orders.{path}");
    }
    let customer = field(orders, "customer");
    assert_eq!(customer.max_length, Some(80));
    assert_eq!(customer.comment.as_deref(), Some("Who ordered"));
    assert_eq!(field(orders, "shipping.zip").max_length, Some(10));
    assert_eq!(field(orders, "synced").native.as_deref(), Some("timestamp"));
    assert_eq!(
        field(orders, "status").enum_name.as_deref(),
        Some("orders_status")
    );
    assert_eq!(
        field(orders, "shipping.method").enum_name.as_deref(),
        Some("orders_shipping_method")
    );
    let enums: Vec<(&str, Vec<&str>)> = manifest
        .enums
        .iter()
        .map(|(name, e)| (name.as_str(), e.values.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        enums,
        [
            ("orders_shipping_method", vec!["post", "courier"]),
            ("orders_status", vec!["pending", "paid", "shipped"]),
        ]
    );
    assert_eq!(orders.indexes.len(), 1);
    assert_eq!(
        orders.indexes[0].fields,
        [
            IndexPart::field("customer"),
            IndexPart::Field {
                field: "placed_at".into(),
                order: Some(SortOrder::Desc),
                collation: None,
                prefix_length: None,
            }
        ]
    );

    let entries = ledger(&introspection);
    let orders_entries: Vec<(&str, &str, &str)> = entries
        .iter()
        .filter(|(object, _, _)| object == "orders" || object.starts_with("orders."))
        .map(|(o, k, m)| (o.as_str(), k.as_str(), m.as_str()))
        .collect();
    assert_eq!(
        orders_entries,
        [
            (
                "orders",
                "validation",
                "`validationAction: \"warn\"`: the server accepts invalid documents and only \
                 logs a warning"
            ),
            (
                "orders",
                "validation",
                "`validationLevel: \"moderate\"`: documents that were invalid before the \
                 validator was added may stay invalid when updated"
            ),
            (
                "orders",
                "validator",
                "validator keyword `additionalProperties: false` is not represented"
            ),
            (
                "orders.discount",
                "validator",
                "validator keyword `minimum: 0` on `discount` is not represented"
            ),
            (
                "orders.email",
                "validator",
                "validator keyword `pattern: \"^.+@.+$\"` on `email` is not represented"
            ),
            (
                "orders.items",
                "validator",
                "validator keyword `minItems: 1` on `items` is not represented"
            ),
            (
                "orders.items[].qty",
                "validator",
                "validator keyword `minimum: 1` on `items[].qty` is not represented"
            ),
            (
                "orders.reference",
                "mixed_types",
                "the validator allows int32, string on `reference`; recorded as json"
            ),
        ]
    );
}

#[test]
fn indexes_views_empty_and_capped_collections() {
    let Some(fixture) = Fixture::seeded("indexes") else {
        return;
    };
    let introspection = fixture.introspect();
    let manifest = &introspection.manifest;
    let products = entity(manifest, "products");
    let mut expected_names = vec![
        "category_price",
        "cheap_partial",
        "created_ttl",
        "location_2dsphere",
        "products_name_unique",
    ];
    if fixture.text_index {
        expected_names.push("search_text");
    }
    expected_names.push("unit_sparse");
    let index_names: Vec<&str> = products.indexes.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        index_names, expected_names,
        "the `_id_` index is not listed"
    );
    let index = |name: &str| {
        products
            .indexes
            .iter()
            .find(|index| index.name == name)
            .unwrap()
    };

    let unique = index("products_name_unique");
    assert!(unique.unique);
    assert_eq!(unique.fields, [IndexPart::field("name")]);
    assert_eq!(
        (unique.method.as_deref(), unique.predicate.as_deref()),
        (None, None)
    );

    let compound = index("category_price");
    assert!(!compound.unique);
    assert_eq!(
        compound.fields,
        [
            IndexPart::field("category"),
            IndexPart::Field {
                field: "price".into(),
                order: Some(SortOrder::Desc),
                collation: None,
                prefix_length: None,
            }
        ]
    );

    let ttl = index("created_ttl");
    assert_eq!(ttl.expire_after_seconds, Some(3600));
    assert_eq!(ttl.fields, [IndexPart::field("created")]);

    let partial = index("cheap_partial");
    assert_eq!(
        partial.predicate.as_deref(),
        Some(r#"{"price":{"$lt":20}}"#)
    );
    assert_eq!(partial.expire_after_seconds, None);

    let geo = index("location_2dsphere");
    assert_eq!(geo.method.as_deref(), Some("2dsphere"));
    assert_eq!(geo.fields, [IndexPart::field("location")]);

    if fixture.text_index {
        let text = index("search_text");
        assert_eq!(text.method.as_deref(), Some("text"));
        assert_eq!(
            text.fields,
            [IndexPart::field("category"), IndexPart::field("name")]
        );
    }

    // A nested path names a field inside an object field.
    let sparse = index("unit_sparse");
    assert_eq!(sparse.fields, [IndexPart::field("dimensions.unit")]);

    let view = entity(manifest, "cheap_products");
    assert_eq!(view.kind, EntityKind::View);
    assert_eq!(
        view.definition.as_deref(),
        Some(
            r#"{"viewOn":"products","pipeline":[{"$match":{"price":{"$lt":20}}},{"$project":{"name":1,"price":1}}]}"#
        )
    );
    assert!(view.primary_key.is_empty());
    assert!(view.indexes.is_empty());
    assert_eq!(names(&view.fields), ["_id", "name", "price"]);
    assert_eq!(field(view, "price").ty, FieldType::Float64);

    let empty = entity(manifest, "audit_log");
    assert_eq!(names(&empty.fields), ["_id"]);
    assert_eq!(
        shape(field(empty, "_id")),
        (FieldType::ObjectId, false, false)
    );
    assert_eq!(empty.primary_key, ["_id"]);

    let capped = entity(manifest, "events");
    assert_eq!(capped.kind, EntityKind::Table);
    assert_eq!(names(&capped.fields), ["_id"]);

    let entries = ledger(&introspection);
    assert_eq!(
        ledger_of(&entries, "products"),
        [(
            "index_option",
            "index `unit_sparse` has options the manifest cannot represent: `sparse: true`"
        )]
    );
    assert_eq!(
        ledger_of(&entries, "audit_log"),
        [(
            "empty_collection",
            "`audit_log` has no documents, so its fields are unknown; only `_id` is recorded \
             (as an ObjectId, the server's default)"
        )]
    );
    assert_eq!(
        ledger_of(&entries, "events"),
        [
            (
                "capped",
                "`events` is a capped collection (`capped: true`, `size: 4096`); the manifest \
                 records it as a plain collection"
            ),
            (
                "empty_collection",
                "`events` has no documents, so its fields are unknown; only `_id` is recorded \
                 (as an ObjectId, the server's default)"
            ),
        ]
    );
    assert_eq!(
        ledger_of(&entries, "cheap_products.price"),
        [(
            "mixed_types",
            "`price`: double 86%, int32 14% (of 7 non-null values); recorded as float64"
        )]
    );
    // Nothing is recorded for the unremarkable collection.
    assert!(ledger_of(&entries, "bulk").is_empty());
}

#[test]
fn manifest_is_deterministic_valid_and_round_trips() {
    let Some(fixture) = Fixture::seeded("snapshot") else {
        return;
    };
    let first = fixture.introspect();
    let second = fixture.introspect();
    let text = manifest::to_toml(&first.manifest);
    assert_eq!(
        text,
        manifest::to_toml(&second.manifest),
        "not deterministic"
    );
    assert_eq!(ledger(&first), ledger(&second));

    let manifest = &first.manifest;
    assert_eq!(manifest.project.name.as_deref(), Some(fixture.temp.name()));
    let source = manifest.source.as_ref().unwrap();
    assert_eq!(
        (source.engine, source.url.as_deref(), source.schemas.len()),
        (SourceEngine::Mongodb, None, 0)
    );
    let entities: Vec<(&str, EntityKind)> = manifest
        .entities
        .iter()
        .map(|(name, entity)| (name.as_str(), entity.kind))
        .collect();
    assert_eq!(
        entities,
        [
            ("audit_log", EntityKind::Table),
            ("bulk", EntityKind::Table),
            ("cheap_products", EntityKind::View),
            ("events", EntityKind::Table),
            ("orders", EntityKind::Table),
            ("products", EntityKind::Table),
        ]
    );
    assert_eq!(manifest.relation_count(), 0, "no relations are invented");

    let problems = manifest::validate(manifest);
    assert!(problems.is_empty(), "invalid manifest: {problems:#?}");
    let loaded = manifest::load_str(Path::new("baas.toml"), text.clone())
        .unwrap_or_else(|_| panic!("the saved manifest does not load:\n{text}"));
    assert_eq!(&loaded.manifest, manifest);

    // The database name is unique per run; the snapshot shows a fixed one.
    // (It was taken on secantusdb, which cannot build the text index.)
    let text = text.replace(fixture.temp.name(), "baas_test");
    insta::assert_snapshot!("mongo_manifest", text);
    let ledger_text: Vec<String> = ledger(&first)
        .into_iter()
        .map(|(object, kind, message)| format!("{object} [{kind}] {message}"))
        .collect();
    insta::assert_snapshot!("mongo_ledger", ledger_text.join("\n"));
}

#[test]
fn large_collections_are_sampled_and_the_ledger_says_so() {
    let Some(fixture) = Fixture::seeded("sample") else {
        return;
    };
    let options = IntrospectOptions {
        sample: Some(20),
        ..IntrospectOptions::default()
    };
    let introspection = fixture.introspect_with(&options).unwrap();
    let bulk = entity(&introspection.manifest, "bulk");
    assert_eq!(names(&bulk.fields), ["_id", "n", "label"]);
    assert_eq!(shape(field(bulk, "n")), (FieldType::Int32, false, false));
    let entries = ledger(&introspection);
    assert_eq!(
        ledger_of(&entries, "bulk"),
        [(
            "sampled",
            "fields inferred from a random sample of 20 of about 50 documents; fields found \
             only in other documents are missing, and `optional` is an estimate"
        )]
    );
    // Products (10 documents) fit in the sample and are read whole.
    assert!(
        ledger_of(&entries, "products")
            .iter()
            .all(|(kind, _)| *kind != "sampled")
    );

    let none = IntrospectOptions {
        sample: Some(0),
        ..IntrospectOptions::default()
    };
    let introspection = fixture.introspect_with(&none).unwrap();
    assert_eq!(
        names(&entity(&introspection.manifest, "products").fields),
        ["_id"]
    );
    // The validator still gives the fields of `orders`.
    assert_eq!(entity(&introspection.manifest, "orders").fields.len(), 15);
}

#[test]
fn collection_options_unusual_indexes_and_validators_go_to_the_ledger() {
    let Some(fixture) = Fixture::empty("options") else {
        return;
    };
    let database = fixture.database();
    fixture.runtime.block_on(async {
        let at = DateTime::from_millis(1_700_000_000_000);
        command(
            &database,
            doc! {
                "create": "readings",
                "timeseries": { "timeField": "at", "metaField": "sensor" },
                "expireAfterSeconds": 60,
            },
        )
        .await;
        command(
            &database,
            doc! { "insert": "readings", "documents": [{ "at": at, "sensor": "s1", "value": 1.5 }] },
        )
        .await;
        command(
            &database,
            doc! { "create": "names_fr", "collation": { "locale": "fr" } },
        )
        .await;
        command(
            &database,
            doc! { "create": "clustered", "clusteredIndex": { "key": { "_id": 1 }, "unique": true } },
        )
        .await;
        command(
            &database,
            doc! { "insert": "clustered", "documents": [{ "_id": 5, "x": true, "y": "é" }] },
        )
        .await;
        command(
            &database,
            doc! { "createIndexes": "clustered", "indexes": [
                { "key": { "$**": 1 }, "name": "everything" },
                { "key": { "x": 1 }, "name": "hidden_x", "hidden": true },
                { "key": { "y": 1 }, "name": "y_fr", "collation": { "locale": "fr", "strength": 2 } },
            ] },
        )
        .await;
        command(
            &database,
            doc! { "create": "queued", "validator": { "status": { "$in": ["new", "done"] } } },
        )
        .await;
        command(
            &database,
            doc! { "insert": "queued", "documents": [{ "status": "new" }] },
        )
        .await;
        command(
            &database,
            doc! {
                "create": "rules",
                "validator": {
                    "$jsonSchema": { "bsonType": "object", "properties": {
                        "amount": { "bsonType": "number" },
                        "level": { "enum": [1, 2, 3] },
                        "either": { "oneOf": [{ "bsonType": "int" }, { "bsonType": "string" }] },
                    } },
                    "amount": { "$gt": 0 },
                },
            },
        )
        .await;
    });
    let introspection = fixture.introspect();
    let manifest = &introspection.manifest;

    let clustered = entity(manifest, "clustered");
    assert_eq!(
        shape(field(clustered, "_id")),
        (FieldType::Int32, false, false)
    );
    let index_names: Vec<&str> = clustered.indexes.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        index_names,
        ["hidden_x", "y_fr"],
        "the wildcard index is left out"
    );

    let rules = entity(manifest, "rules");
    assert_eq!(field(rules, "amount").ty, FieldType::Decimal);
    assert_eq!(field(rules, "level").ty, FieldType::Int32);
    assert_eq!(field(rules, "either").ty, FieldType::Json);
    assert_eq!(
        names(&entity(manifest, "queued").fields),
        ["_id", "status"],
        "a query-only validator leaves the fields to inference"
    );
    // The server, not the driver, gives these documents their `_id`.
    let mut readings = names(&entity(manifest, "readings").fields);
    readings.sort_unstable();
    assert_eq!(readings, ["_id", "at", "sensor", "value"]);

    let entries: Vec<String> = ledger(&introspection)
        .into_iter()
        .map(|(object, kind, message)| format!("{object} [{kind}] {message}"))
        .collect();
    assert_eq!(
        entries,
        [
            "clustered [clustered_index] `clustered` is a clustered collection (stored in `_id` \
             order); the manifest records it as a plain collection",
            "clustered [index_option] index `hidden_x` has options the manifest cannot \
             represent: `hidden: true`",
            "clustered [index_option] index `y_fr` has options the manifest cannot represent: \
             `collation: {\"locale\":\"fr\",\"strength\":2}`",
            "clustered [wildcard_index] wildcard index `everything` on `{\"$**\":1}` cannot be \
             represented (its keys are not fields); left out",
            "names_fr [collation] default collation `{\"locale\":\"fr\"}` is not represented",
            "names_fr [empty_collection] `names_fr` has no documents, so its fields are unknown; \
             only `_id` is recorded (as an ObjectId, the server's default)",
            "queued [validator] the validator is a query expression, \
             `{\"status\":{\"$in\":[\"new\",\"done\"]}}`, which the manifest cannot represent; \
             the fields were inferred from documents instead",
            "readings [timeseries] `readings` is a time-series collection \
             ({\"timeField\":\"at\",\"metaField\":\"sensor\"}); the manifest records it as a \
             plain collection",
            "readings [ttl] documents expire 60 seconds after their time field; the manifest \
             cannot represent a collection-level TTL",
            "rules [validator] the validator's query expression `{\"amount\":{\"$gt\":0}}` \
             (beside its `$jsonSchema`) is not represented",
            "rules.amount [mixed_types] the validator allows int32, int64, double, decimal \
             (bsonType `number`) on `amount`; recorded as decimal",
            "rules.either [validator] validator keyword \
             `oneOf: [{\"bsonType\":\"int\"},{\"bsonType\":\"string\"}]` on `either` is not \
             represented",
            "rules.level [validator] the allowed values `[1,2,3]` on `level` are not represented \
             (only string enums are)",
        ]
    );
    let problems = manifest::validate(manifest);
    assert!(problems.is_empty(), "invalid manifest: {problems:#?}");
}

#[test]
fn url_without_a_database_is_bad_input() {
    let Some(base) = support::server_url("BAAS_TEST_MONGODB_URL") else {
        return;
    };
    let url = base.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let error = runtime
        .block_on(
            MongoIntrospector::new(url)
                .introspect(&IntrospectOptions::default(), &Progress::hidden()),
        )
        .unwrap_err();
    assert!(
        matches!(error, IntrospectError::Unsupported(_)),
        "{error:?}"
    );
    assert!(error.to_string().contains("names no database"), "{error}");
}

// ---------------------------------------------------------------------------
// The real binary

#[test]
fn cli_writes_the_manifest_and_prints_counts() {
    let Some(fixture) = Fixture::seeded("cli") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let output = baas(dir.path())
        .args(["introspect", &fixture.url, "-o", "out.toml", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["outcome"], "written");
    assert_eq!(json["counts"]["entities"], 6);
    assert_eq!(json["counts"]["views"], 1);
    assert_eq!(json["counts"]["enums"], 2);
    assert_eq!(json["counts"]["relations"], 0);
    let indexes = if fixture.text_index { 8 } else { 7 };
    assert_eq!(json["counts"]["indexes"], indexes);
    assert_eq!(json["lossy"], true);
    assert!(json["ledger"].as_array().unwrap().len() > 10);
    let written = std::fs::read_to_string(dir.path().join("out.toml")).unwrap();
    let loaded = manifest::load_str(Path::new("out.toml"), written.clone()).unwrap();
    let source = loaded.manifest.source.as_ref().unwrap();
    assert_eq!(source.engine, SourceEngine::Mongodb);
    assert_eq!(source.url.as_deref(), Some(fixture.url.as_str()));
    assert!(written.contains("[entities.products.fields]"), "{written}");
}

#[test]
fn cli_connection_failure_exits_3_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = "mongodb://u:s3cretpw@127.0.0.1:1/shop?serverSelectionTimeoutMS=500";
    for json in [false, true] {
        let mut command = baas(dir.path());
        command.args(["introspect", url, "-o", "out.toml"]);
        if json {
            command.arg("--json");
        }
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(3),
            "stdout: {stdout}\nstderr: {stderr}"
        );
        assert!(!stdout.contains("s3cretpw") && !stderr.contains("s3cretpw"));
        let shown = if json { &stdout } else { &stderr };
        assert!(
            shown.contains("mongodb://u:***@127.0.0.1:1/shop"),
            "the message names the host and database: {shown}"
        );
    }
    assert!(!dir.path().join("out.toml").exists());
}
