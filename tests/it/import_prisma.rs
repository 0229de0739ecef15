//! Prisma schemas: the real-world corpus imports into valid manifests with
//! the counts the schemas say, folders of schema files work as one schema,
//! and malformed input gives diagnostics with the right file, line and
//! column, never a panic.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use assert_cmd::Command;
use baas::introspect::{IntrospectOptions, Introspection};
use baas::manifest::diagnostics::line_column;
use baas::manifest::{
    self, DefaultValue, Diagnostics, Entity, Field, FieldType, Generated, GeneratedKind, IndexPart,
    Literal, Manifest, ReferentialAction, SortOrder, SourceEngine,
};
use baas::parse::SourceFile;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::support::{assert_valid_and_round_trips, count_kind, ledger_kinds, ledger_text};
use crate::support::{corpus_file, project_fixtures};

const CORPUS: &[&str] = &[
    "prisma/01-prisma-examples-rest-express.schema.prisma",
    "prisma/02-prisma-examples-nextjs-auth.schema.prisma",
    "prisma/03-hoppscotch-backend.schema.prisma",
    "prisma/04-umami.schema.prisma",
];

fn source(path: &Path, text: &str) -> SourceFile {
    SourceFile {
        path: path.to_owned(),
        text: Arc::new(text.to_owned()),
    }
}

fn parse_text(path: &str, text: &str) -> Result<Introspection, Diagnostics> {
    baas::parse::prisma::parse(
        &[source(Path::new(path), text)],
        &IntrospectOptions::default(),
    )
}

fn import(relative: &str) -> Introspection {
    let path = corpus_file(relative);
    let text = std::fs::read_to_string(&path).unwrap();
    match baas::parse::prisma::parse(&[source(&path, &text)], &IntrospectOptions::default()) {
        Ok(introspection) => introspection,
        Err(diagnostics) => panic!(
            "{relative} does not import:\n{}",
            baas::diagnostics::render_problems(&diagnostics, false)
        ),
    }
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

fn field_names(entity: &Entity) -> Vec<&str> {
    entity.fields.keys().map(String::as_str).collect()
}

fn sql(text: &str) -> Option<DefaultValue> {
    Some(DefaultValue::Sql {
        sql: text.to_owned(),
    })
}

fn relation_rows(manifest: &Manifest) -> Vec<(String, Vec<String>, String, Vec<String>)> {
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
                )
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The corpus

#[test]
fn every_corpus_schema_imports_into_a_valid_manifest_and_is_deterministic() {
    for relative in CORPUS {
        let first = import(relative);
        assert_valid_and_round_trips(&first.manifest);
        let second = import(relative);
        assert_eq!(
            manifest::to_toml(&first.manifest),
            manifest::to_toml(&second.manifest),
            "{relative}"
        );
        assert_eq!(ledger_text(&first), ledger_text(&second), "{relative}");
    }
}

#[test]
fn rest_express_maps_models_defaults_and_the_optional_relation() {
    let result = import(CORPUS[0]);
    let manifest = &result.manifest;
    let source = manifest.source.as_ref().unwrap();
    assert_eq!(source.engine, SourceEngine::Sqlite);
    assert_eq!(source.url.as_deref(), Some("sqlite://./dev.db"));
    assert_eq!(
        manifest.entities.keys().collect::<Vec<_>>(),
        ["Post", "User"]
    );
    assert!(manifest.enums.is_empty());
    assert_eq!(
        field_names(entity(manifest, "User")),
        ["id", "email", "name"]
    );
    assert_eq!(
        field_names(entity(manifest, "Post")),
        [
            "id",
            "createdAt",
            "updatedAt",
            "title",
            "content",
            "published",
            "viewCount",
            "authorId"
        ]
    );
    let id = field(manifest, "User", "id");
    // SQLite: `INTEGER PRIMARY KEY AUTOINCREMENT`, a 64-bit integer.
    assert_eq!(id.ty, FieldType::Int64);
    assert_eq!(
        id.generated,
        Some(Generated::Kind(GeneratedKind::Autoincrement))
    );
    assert!(field(manifest, "User", "email").unique);
    assert!(field(manifest, "User", "name").nullable);
    assert_eq!(
        field(manifest, "Post", "createdAt").default,
        sql("CURRENT_TIMESTAMP")
    );
    assert_eq!(
        field(manifest, "Post", "published").default,
        Some(DefaultValue::Literal(Literal::Bool(false)))
    );
    assert_eq!(
        field(manifest, "Post", "viewCount").default,
        Some(DefaultValue::Literal(Literal::Int(0)))
    );
    let post = entity(manifest, "Post");
    assert_eq!(post.primary_key, ["id"]);
    assert_eq!(post.relations.len(), 1);
    let relation = &post.relations[0];
    assert_eq!(relation.name, None);
    assert_eq!(relation.fields, ["authorId"]);
    assert_eq!(relation.references.entity, "User");
    assert_eq!(relation.references.fields, ["id"]);
    // Prisma's defaults for an optional relation.
    assert_eq!(relation.on_delete, ReferentialAction::SetNull);
    assert_eq!(relation.on_update, ReferentialAction::Cascade);
    assert_eq!(
        ledger_kinds(&result),
        [("Post.updatedAt".to_owned(), "updated_at".to_owned())]
    );
    insta::assert_snapshot!("rest_express_manifest", manifest::to_toml(manifest));
}

#[test]
fn nextjs_auth_maps_table_and_column_names_and_composite_uniques() {
    let result = import(CORPUS[1]);
    let manifest = &result.manifest;
    assert_eq!(manifest.entities.len(), 5);
    let tables: Vec<(&str, &str)> = manifest
        .entities
        .iter()
        .map(|(name, entity)| (name.as_str(), entity.table.as_str()))
        .collect();
    assert_eq!(
        tables,
        [
            ("Account", "accounts"),
            ("Post", "Post"),
            ("Session", "sessions"),
            ("User", "users"),
            ("VerificationToken", "verificationtokens"),
        ]
    );
    assert_eq!(
        field(manifest, "Account", "userId").column.as_deref(),
        Some("user_id")
    );
    // `@map(name: "...")` is the same as `@map("...")`.
    assert_eq!(
        field(manifest, "User", "createdAt").column.as_deref(),
        Some("created_at")
    );
    // A field named like its column has no `column`.
    assert_eq!(field(manifest, "Account", "refresh_token").column, None);
    let session_token = field(manifest, "Session", "sessionToken");
    assert!(session_token.unique);
    assert_eq!(session_token.column.as_deref(), Some("session_token"));
    let account = entity(manifest, "Account");
    assert_eq!(account.fields.len(), 14);
    assert_eq!(account.uniques.len(), 1);
    assert_eq!(account.uniques[0].name, None);
    assert_eq!(account.uniques[0].fields, ["provider", "providerAccountId"]);
    assert_eq!(account.relations[0].on_delete, ReferentialAction::Cascade);
    let token = entity(manifest, "VerificationToken");
    assert!(token.primary_key.is_empty());
    assert_eq!(token.uniques[0].fields, ["identifier", "token"]);
    assert_eq!(manifest.relation_count(), 3);
    assert_eq!(
        ledger_kinds(&result),
        [("User.updatedAt".to_owned(), "updated_at".to_owned())]
    );
    insta::assert_snapshot!("nextjs_auth_manifest", manifest::to_toml(manifest));
}

#[test]
fn hoppscotch_maps_enums_self_relations_named_uniques_and_client_defaults() {
    let result = import(CORPUS[2]);
    let manifest = &result.manifest;
    let source = manifest.source.as_ref().unwrap();
    assert_eq!(source.engine, SourceEngine::Postgres);
    // Prisma 7: the URL lives in prisma.config.ts, not in the schema.
    assert_eq!(source.url, None);
    assert_eq!(manifest.entities.len(), 23);
    assert_eq!(
        manifest.enums.keys().collect::<Vec<_>>(),
        [
            "MockServerAction",
            "ReqType",
            "TeamAccessRole",
            "WorkspaceType"
        ]
    );
    assert_eq!(
        manifest.enums["TeamAccessRole"].values,
        ["OWNER", "VIEWER", "EDITOR"]
    );
    assert_eq!(manifest.relation_count(), 22);
    let indexes: usize = manifest.entities.values().map(|e| e.indexes.len()).sum();
    assert_eq!(indexes, 5);
    let logs = entity(manifest, "MockServerLog");
    assert_eq!(
        logs.indexes
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>(),
        [
            "MockServerLog_mockServerID_idx",
            "MockServerLog_mockServerID_executedAt_idx"
        ]
    );
    // A self-relation keeps its Prisma name; the back-relation list adds nothing.
    let collection = entity(manifest, "TeamCollection");
    assert_eq!(collection.relations.len(), 2);
    assert_eq!(
        collection.relations[0].name.as_deref(),
        Some("TeamCollectionChildParent")
    );
    assert_eq!(collection.relations[0].references.entity, "TeamCollection");
    assert!(!collection.fields.contains_key("children"));
    assert_eq!(
        collection.uniques[0].fields,
        ["teamID", "parentID", "orderIndex"]
    );
    // `@id @unique` on the same field keeps both.
    let shortcode = entity(manifest, "Shortcode");
    assert_eq!(shortcode.primary_key, ["id"]);
    assert!(shortcode.fields["id"].unique);
    // `name:` names the client's compound key, not the database's index.
    assert_eq!(shortcode.uniques[0].fields, ["id", "creatorUid"]);
    assert_eq!(shortcode.uniques[0].name, None);
    assert_eq!(
        shortcode.fields["updatedOn"].default,
        sql("CURRENT_TIMESTAMP")
    );
    // `@db.Timestamptz(3)`: the precision is kept as the native type.
    let created = field(manifest, "Team", "id");
    // A plain `String` is PostgreSQL's `text`, as Prisma Migrate makes it.
    assert_eq!(created.ty, FieldType::Text);
    assert_eq!(created.default, None);
    let created_on = field(manifest, "User", "createdOn");
    assert_eq!(created_on.ty, FieldType::Timestamptz);
    assert_eq!(
        created_on.native.as_deref(),
        Some("timestamp(3) with time zone")
    );
    assert_eq!(
        field(manifest, "UserHistory", "reqType")
            .enum_name
            .as_deref(),
        Some("ReqType")
    );
    assert_eq!(
        field(manifest, "TeamRequest", "request").ty,
        FieldType::Json
    );
    // No `@id` but a `@unique`: no primary key.
    assert!(entity(manifest, "InvitedUsers").primary_key.is_empty());
    assert_eq!(
        entity(manifest, "MockServer").relations[0].on_delete,
        ReferentialAction::SetNull
    );
    assert_eq!(count_kind(&result, "client_default"), 23);
    assert_eq!(count_kind(&result, "updated_at"), 10);
    assert_eq!(result.ledger.len(), 33);
    insta::assert_snapshot!("hoppscotch_manifest", manifest::to_toml(manifest));
    insta::assert_snapshot!("hoppscotch_ledger", ledger_text(&result));
}

#[test]
fn umami_maps_native_types_mapped_names_and_relation_mode() {
    let result = import(CORPUS[3]);
    let manifest = &result.manifest;
    assert_eq!(
        manifest.source.as_ref().unwrap().engine,
        SourceEngine::Postgres
    );
    assert_eq!(manifest.entities.len(), 17);
    assert!(manifest.enums.is_empty());
    assert_eq!(manifest.relation_count(), 23);
    let indexes: usize = manifest.entities.values().map(|e| e.indexes.len()).sum();
    assert_eq!(indexes, 73);
    let fields: usize = manifest.entities.values().map(|e| e.fields.len()).sum();
    assert_eq!(fields, 170);

    let user = entity(manifest, "User");
    assert_eq!(user.table, "user");
    assert_eq!(user.primary_key, ["id"]);
    let id = &user.fields["id"];
    assert_eq!(
        (id.ty, id.column.as_deref(), id.native.as_deref()),
        (FieldType::Uuid, Some("user_id"), None)
    );
    let username = &user.fields["username"];
    assert_eq!(
        (username.ty, username.max_length, username.unique),
        (FieldType::String, Some(255), true)
    );
    // `@map("role")` on a field named `role` says nothing.
    assert_eq!(user.fields["role"].column, None);
    let country = field(manifest, "Session", "country");
    assert_eq!(
        (country.max_length, country.native.as_deref()),
        (Some(2), Some("character(2)"))
    );
    let cls = field(manifest, "WebsiteEvent", "cls");
    assert_eq!(
        (cls.ty, cls.precision, cls.scale),
        (FieldType::Decimal, Some(10), Some(4))
    );
    let event_type = field(manifest, "WebsiteEvent", "eventType");
    assert_eq!(
        (
            event_type.ty,
            event_type.native.as_deref(),
            &event_type.default
        ),
        (
            FieldType::Int32,
            None,
            &Some(DefaultValue::Literal(Literal::Int(1)))
        )
    );
    assert_eq!(
        field(manifest, "SessionReplay", "events").ty,
        FieldType::Bytes
    );
    let created = field(manifest, "Website", "createdAt");
    assert_eq!(
        (
            created.nullable,
            created.native.as_deref(),
            created.column.as_deref()
        ),
        (
            true,
            Some("timestamp(6) with time zone"),
            Some("created_at")
        )
    );

    // Default index names use the mapped table and column names.
    let session = entity(manifest, "Session");
    assert_eq!(session.indexes.len(), 11);
    assert_eq!(session.indexes[0].name, "session_created_at_idx");
    assert_eq!(
        session.indexes[3].name,
        "session_website_id_created_at_browser_idx"
    );
    assert_eq!(
        session.indexes[3].fields,
        [
            IndexPart::field("websiteId"),
            IndexPart::field("createdAt"),
            IndexPart::field("browser")
        ]
    );

    // Named relations: two to `User` from `Website`, told apart by name.
    let website = entity(manifest, "Website");
    let names: Vec<Option<&str>> = website
        .relations
        .iter()
        .map(|r| r.name.as_deref())
        .collect();
    assert_eq!(names, [Some("user"), Some("createUser"), None]);
    assert_eq!(website.relations[1].fields, ["createdBy"]);
    assert_eq!(website.relations[0].on_delete, ReferentialAction::SetNull);
    let event = entity(manifest, "WebsiteEvent");
    assert_eq!(event.relations[0].on_delete, ReferentialAction::Restrict);
    assert!(entity(manifest, "Share").relations.is_empty());
    assert_eq!(
        entity(manifest, "SessionReplaySaved").uniques[0].fields,
        ["websiteId", "visitId"]
    );

    assert!(
        ledger_kinds(&result).contains(&("datasource db".to_owned(), "relation_mode".to_owned())),
        "{:#?}",
        result.ledger.entries()
    );
    assert_eq!(count_kind(&result, "updated_at"), 11);
    assert_eq!(result.ledger.len(), 12);
    insta::assert_snapshot!("umami_manifest", manifest::to_toml(manifest));
    insta::assert_snapshot!("umami_ledger", ledger_text(&result));
}

#[test]
fn every_relation_of_the_corpus_points_at_existing_fields() {
    for relative in CORPUS {
        let manifest = import(relative).manifest;
        for (owner, fields, target, target_fields) in relation_rows(&manifest) {
            let target_entity = entity(&manifest, &target);
            for (field_name, target_field) in fields.iter().zip(&target_fields) {
                let own = field(&manifest, &owner, field_name);
                let theirs = &target_entity.fields[target_field];
                assert_eq!(
                    own.ty, theirs.ty,
                    "{relative}: {owner}.{field_name} → {target}.{target_field}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Features beyond the corpus

#[test]
fn datasource_urls_never_carry_a_password() {
    let schema = |url: &str| {
        format!(
            "datasource db {{\n  provider = \"postgresql\"\n  url = {url}\n}}\nmodel A {{\n  id Int @id\n}}\n"
        )
    };
    let url_of = |text: String| {
        parse_text("schema.prisma", &text)
            .unwrap()
            .manifest
            .source
            .unwrap()
            .url
    };
    assert_eq!(
        url_of(schema("env(\"DATABASE_URL\")")).as_deref(),
        Some("${DATABASE_URL}")
    );
    assert_eq!(
        url_of(schema("\"postgresql://app:s3cret@db:5432/shop\"")).as_deref(),
        Some("postgresql://app:${DATABASE_PASSWORD}@db:5432/shop")
    );
    assert_eq!(url_of(schema("\"not a url\"")), None);
}

#[test]
fn providers_map_to_engines_and_autoincrement_to_the_engine_kind() {
    for (provider, engine, generated) in [
        ("postgresql", SourceEngine::Postgres, GeneratedKind::Serial),
        ("postgres", SourceEngine::Postgres, GeneratedKind::Serial),
        ("cockroachdb", SourceEngine::Postgres, GeneratedKind::Serial),
        ("mysql", SourceEngine::Mysql, GeneratedKind::Autoincrement),
        ("sqlite", SourceEngine::Sqlite, GeneratedKind::Autoincrement),
        (
            "sqlserver",
            SourceEngine::Prisma,
            GeneratedKind::Autoincrement,
        ),
    ] {
        let text = format!(
            "datasource db {{\n  provider = \"{provider}\"\n}}\nmodel A {{\n  id Int @id @default(autoincrement())\n}}\n"
        );
        let result = parse_text("schema.prisma", &text).unwrap();
        let manifest = &result.manifest;
        assert_eq!(
            manifest.source.as_ref().unwrap().engine,
            engine,
            "{provider}"
        );
        assert_eq!(
            field(manifest, "A", "id").generated,
            Some(Generated::Kind(generated)),
            "{provider}"
        );
    }
    let result = parse_text("schema.prisma", "model A {\n  id Int @id\n}\n").unwrap();
    assert_eq!(result.manifest.source.unwrap().engine, SourceEngine::Prisma);
}

const KITCHEN_SINK: &str = r#"
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
  schemas  = ["public", "audit"]
}

generator client {
  provider = "prisma-client-js"
}

/// Who may do what.
/// Second line.
enum Role {
  USER  @map("user")
  ADMIN @map("admin")

  @@map("role")
  @@schema("public")
}

/// A registered person
model Person {
  /// The key
  id        BigInt   @id @default(autoincrement())
  email     String   @unique(map: "person_email_key") @db.Citext
  role      Role     @default(ADMIN)
  roles     Role[]   @default([USER])
  tags      String[] @default([])
  bio       String?  @db.Text
  code      String   @db.Char(3)
  ratio     Float    @db.Real
  small     Int      @db.SmallInt
  token     String   @default(uuid()) @db.Uuid
  seen      DateTime @db.Date
  at        DateTime @db.Timestamp(6)
  stamp     DateTime @updatedAt
  location  Unsupported("point")?
  computed  String   @default(dbgenerated("upper('x')"))
  legacy    String?  @ignore
  note      Json     @default("{}") @db.JsonB
  posts     Post[]
  followers Person[] @relation("follows")
  following Person[] @relation("follows")

  @@map("people")
  @@schema("audit")
  @@index([email(sort: Desc), role], map: "people_email_role", type: Hash)
}

model Post {
  authorId BigInt
  slug     String
  author   Person @relation(fields: [authorId], references: [id], onDelete: Cascade, onUpdate: NoAction, map: "post_author_fk")
  cats     Category[]

  @@id([authorId, slug], map: "post_pk")
  @@unique([slug, authorId], name: "slugAuthor")
  @@index([slug])
  @@schema("public")
}

model Category {
  id    Int    @id
  posts Post[]
  @@schema("public")
}

view PersonInfo {
  id    BigInt @unique
  email String
  @@schema("public")
}
"#;

#[test]
fn every_documented_attribute_is_mapped_or_ledgered() {
    let result = parse_text("kitchen.prisma", KITCHEN_SINK).unwrap_or_else(|d| {
        panic!("{}", baas::diagnostics::render_problems(&d, false));
    });
    let manifest = &result.manifest;
    assert_valid_and_round_trips(manifest);
    let source = manifest.source.as_ref().unwrap();
    assert_eq!(source.url.as_deref(), Some("${DATABASE_URL}"));
    assert_eq!(source.schemas, ["public", "audit"]);

    let role = &manifest.enums["Role"];
    assert_eq!(role.values, ["user", "admin"]);
    assert_eq!(role.native.as_deref(), Some("role"));
    assert_eq!(role.schema.as_deref(), Some("public"));
    assert_eq!(
        role.comment.as_deref(),
        Some("Who may do what.\nSecond line.")
    );

    let person = entity(manifest, "Person");
    assert_eq!(person.table, "people");
    assert_eq!(person.schema.as_deref(), Some("audit"));
    assert_eq!(person.comment.as_deref(), Some("A registered person"));
    assert_eq!(
        field_names(person),
        [
            "id", "email", "role", "roles", "tags", "bio", "code", "ratio", "small", "token",
            "seen", "at", "stamp", "location", "computed", "legacy", "note"
        ]
    );
    let id = &person.fields["id"];
    assert_eq!(
        (id.ty, &id.generated, id.comment.as_deref()),
        (
            FieldType::Int64,
            &Some(Generated::Kind(GeneratedKind::Serial)),
            Some("The key")
        )
    );
    let email = &person.fields["email"];
    assert_eq!(
        (email.ty, email.native.as_deref(), email.unique),
        (FieldType::Native, Some("citext"), false)
    );
    assert_eq!(person.uniques[0].name.as_deref(), Some("person_email_key"));
    assert_eq!(
        person.fields["role"].default,
        Some(DefaultValue::Literal(Literal::String("admin".into())))
    );
    let roles = &person.fields["roles"];
    assert_eq!(roles.ty, FieldType::Array);
    assert_eq!(roles.items.as_ref().unwrap().ty, FieldType::Enum);
    assert_eq!(
        roles.default,
        Some(DefaultValue::Literal(Literal::Array(vec![
            Literal::String("user".into())
        ])))
    );
    assert_eq!(
        person.fields["tags"].default,
        Some(DefaultValue::Literal(Literal::Array(Vec::new())))
    );
    assert_eq!(person.fields["bio"].ty, FieldType::Text);
    assert!(person.fields["bio"].nullable);
    assert_eq!(
        person.fields["code"].native.as_deref(),
        Some("character(3)")
    );
    assert_eq!(person.fields["ratio"].ty, FieldType::Float32);
    assert_eq!(person.fields["small"].ty, FieldType::Int16);
    assert_eq!(person.fields["token"].ty, FieldType::Uuid);
    assert_eq!(person.fields["token"].default, None);
    assert_eq!(person.fields["seen"].ty, FieldType::Date);
    let at = &person.fields["at"];
    assert_eq!(
        (at.ty, at.native.as_deref()),
        (FieldType::Timestamp, Some("timestamp(6) without time zone"))
    );
    let location = &person.fields["location"];
    assert_eq!(
        (location.ty, location.native.as_deref(), location.nullable),
        (FieldType::Native, Some("point"), true)
    );
    assert_eq!(person.fields["computed"].default, sql("upper('x')"));
    let note = &person.fields["note"];
    assert_eq!(
        (note.ty, note.native.as_deref(), &note.default),
        (
            FieldType::Json,
            None,
            &Some(DefaultValue::Literal(Literal::String("{}".into())))
        )
    );
    let index = &person.indexes[0];
    assert_eq!(index.name, "people_email_role");
    assert_eq!(index.method.as_deref(), Some("hash"));
    assert_eq!(
        index.fields,
        [
            IndexPart::Field {
                field: "email".into(),
                order: Some(SortOrder::Desc),
                collation: None,
                prefix_length: None,
            },
            IndexPart::field("role")
        ]
    );
    assert!(person.relations.is_empty());

    let post = entity(manifest, "Post");
    assert_eq!(post.primary_key, ["authorId", "slug"]);
    assert_eq!(post.primary_key_name.as_deref(), Some("post_pk"));
    // `name:` is the client's name of the compound key, not the index's.
    assert_eq!(post.uniques[0].name, None);
    assert_eq!(post.indexes[0].name, "Post_slug_idx");
    let relation = &post.relations[0];
    assert_eq!(relation.name.as_deref(), Some("post_author_fk"));
    assert_eq!(
        (relation.on_delete, relation.on_update),
        (ReferentialAction::Cascade, ReferentialAction::NoAction)
    );
    assert_eq!(
        entity(manifest, "PersonInfo").kind,
        manifest::EntityKind::View
    );

    assert_eq!(
        ledger_kinds(&result),
        [
            (
                "Category.posts".to_owned(),
                "implicit_many_to_many".to_owned()
            ),
            (
                "Person.followers".to_owned(),
                "implicit_many_to_many".to_owned()
            ),
            ("Person.legacy".to_owned(), "ignored".to_owned()),
            ("Person.stamp".to_owned(), "updated_at".to_owned()),
            ("Person.token".to_owned(), "client_default".to_owned()),
            // The query of a view is not in a Prisma schema.
            ("PersonInfo".to_owned(), "view_definition".to_owned()),
            ("Role".to_owned(), "enum_value_map".to_owned()),
        ]
    );
    insta::assert_snapshot!("kitchen_sink_ledger", ledger_text(&result));
}

#[test]
fn mongodb_composite_types_become_objects() {
    let text = r#"
datasource db {
  provider = "mongodb"
  url      = env("DATABASE_URL")
}

type Address {
  street String
  city   String @map("town")
  geo    Point?
}

type Point {
  lat Float
  lng Float
}

model Customer {
  id        String    @id @default(auto()) @map("_id") @db.ObjectId
  name      String?
  address   Address
  previous  Address[]
  visits    Int       @db.Long
  createdAt DateTime  @default(now()) @db.Date
}
"#;
    let result = parse_text("mongo.prisma", text).unwrap_or_else(|d| {
        panic!("{}", baas::diagnostics::render_problems(&d, false));
    });
    let manifest = &result.manifest;
    assert_valid_and_round_trips(manifest);
    let customer = entity(manifest, "Customer");
    let id = &customer.fields["id"];
    assert_eq!(
        (id.ty, id.column.as_deref()),
        (FieldType::ObjectId, Some("_id"))
    );
    let name = &customer.fields["name"];
    assert!(name.nullable && name.optional);
    let address = &customer.fields["address"];
    assert_eq!(address.ty, FieldType::Object);
    let nested = address.fields.as_ref().unwrap();
    assert_eq!(nested.keys().collect::<Vec<_>>(), ["street", "city", "geo"]);
    assert_eq!(nested["city"].column.as_deref(), Some("town"));
    assert_eq!(nested["geo"].ty, FieldType::Object);
    let previous = &customer.fields["previous"];
    assert_eq!(previous.ty, FieldType::Array);
    assert_eq!(previous.items.as_ref().unwrap().ty, FieldType::Object);
    assert_eq!(customer.fields["visits"].ty, FieldType::Int64);
    assert_eq!(customer.fields["createdAt"].ty, FieldType::Timestamptz);
    assert!(!manifest.entities.contains_key("Address"));
    assert_eq!(
        ledger_kinds(&result),
        [("Customer.id".to_owned(), "client_default".to_owned())]
    );
}

#[test]
fn mongodb_many_to_many_through_id_lists_imports_with_a_ledger_line() {
    // Each side keeps the other's ids in a list field: Prisma's MongoDB
    // many-to-many. A list field holding `fields:` is an error elsewhere.
    let text = r#"
datasource db {
  provider = "mongodb"
  url      = env("DATABASE_URL")
}

model Student {
  id        String   @id @default(auto()) @map("_id") @db.ObjectId
  courseIds String[] @db.ObjectId
  courses   Course[] @relation(fields: [courseIds], references: [id])
}

model Course {
  id         String    @id @default(auto()) @map("_id") @db.ObjectId
  studentIds String[]  @db.ObjectId
  students   Student[] @relation(fields: [studentIds], references: [id])
}
"#;
    let result = parse_text("mongo.prisma", text).unwrap_or_else(|d| {
        panic!("{}", baas::diagnostics::render_problems(&d, false));
    });
    let manifest = &result.manifest;
    assert_valid_and_round_trips(manifest);
    let ids = &entity(manifest, "Student").fields["courseIds"];
    assert_eq!(ids.ty, FieldType::Array);
    assert_eq!(ids.items.as_ref().unwrap().ty, FieldType::ObjectId);
    assert_eq!(
        entity(manifest, "Course").fields["studentIds"].ty,
        FieldType::Array
    );
    let kinds = ledger_kinds(&result);
    for side in ["Student.courses", "Course.students"] {
        assert!(
            kinds.contains(&(side.to_owned(), "id_array_relation".to_owned())),
            "{side} is not in the ledger: {kinds:?}"
        );
    }
    assert_eq!(count_kind(&result, "implicit_many_to_many"), 0);

    // On a SQL database the same relation is still an error.
    let sql = text.replace("\"mongodb\"", "\"postgresql\"");
    let problems = parse_text("sql.prisma", &sql).unwrap_err();
    assert!(
        baas::diagnostics::render_problems(&problems, false)
            .contains("cannot hold the foreign key"),
    );
}

#[test]
fn what_the_manifest_validator_rejects_is_an_error_at_the_model() {
    let text = "model A {\n  id Int @id\n  @@map(\"t\")\n}\n\nmodel B {\n  id Int @id\n  @@map(\"t\")\n}\n";
    let diagnostics = parse_text("schema.prisma", text).unwrap_err();
    let positions: Vec<(usize, usize)> = diagnostics
        .problems
        .iter()
        .map(|p| line_column(text, p.span.clone().unwrap().start))
        .collect();
    assert_eq!(positions, [(6, 7)]);
    assert!(diagnostics.problems[0].message.contains("both use table"));
}

#[test]
fn a_model_without_columns_is_an_error() {
    let text = "model A {\n  b B[]\n}\n\nmodel B {\n  id Int @id\n}\n";
    let diagnostics = parse_text("schema.prisma", text).unwrap_err();
    assert_eq!(diagnostics.problems.len(), 1, "{:#?}", diagnostics.problems);
    assert!(
        diagnostics.problems[0].message.contains("no scalar fields"),
        "{:?}",
        diagnostics.problems[0]
    );
}

// ---------------------------------------------------------------------------
// Folders of schema files

#[tokio::test]
async fn a_folder_of_schema_files_is_one_schema() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n\nmodel User {\n  id    Int    @id @default(autoincrement())\n  posts Post[]\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.prisma"),
        "model Post {\n  id       Int  @id\n  author   User @relation(fields: [authorId], references: [id])\n  authorId Int\n}\n",
    )
    .unwrap();
    let result = baas::parse::parse_file(dir.path(), &IntrospectOptions::default())
        .await
        .unwrap();
    let manifest = &result.manifest;
    assert_valid_and_round_trips(manifest);
    assert_eq!(
        manifest.entities.keys().collect::<Vec<_>>(),
        ["Post", "User"]
    );
    assert_eq!(
        manifest.source.as_ref().unwrap().engine,
        SourceEngine::Postgres
    );
    let relation = &entity(manifest, "Post").relations[0];
    assert_eq!(relation.references.entity, "User");
    assert_eq!(relation.on_delete, ReferentialAction::Restrict);
}

#[tokio::test]
async fn problems_in_a_folder_point_at_the_file_they_are_in() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n}\n\nmodel User {\n  id Int @id\n}\n",
    )
    .unwrap();
    let second = "model Post {\n  id     Int  @id\n  author Usr  @relation(fields: [userId], references: [id])\n  userId Int\n}\n\nmodel User {\n  id Int @id\n}\n";
    std::fs::write(dir.path().join("b.prisma"), second).unwrap();
    let error = baas::parse::parse_file(dir.path(), &IntrospectOptions::default())
        .await
        .unwrap_err();
    let baas::introspect::IntrospectError::Invalid(diagnostics) = error else {
        panic!("expected diagnostics, got {error:?}");
    };
    assert_eq!(diagnostics.file, dir.path().join("b.prisma"));
    let positions: Vec<(usize, usize)> = diagnostics
        .problems
        .iter()
        .map(|p| line_column(second, p.span.clone().unwrap().start))
        .collect();
    // `Usr` on line 3, and `User` defined a second time on line 7.
    assert_eq!(positions, [(3, 10), (7, 7)]);
    assert!(
        diagnostics.problems[0]
            .help
            .as_deref()
            .is_some_and(|h| h.contains("`User`")),
        "{:?}",
        diagnostics.problems[0]
    );
}

// ---------------------------------------------------------------------------
// Malformed input

fn invalid_fixture(name: &str) -> (PathBuf, String) {
    let relative = Path::new("fixtures/schemas/prisma/invalid").join(name);
    let text =
        std::fs::read_to_string(project_fixtures().join("schemas/prisma/invalid").join(name))
            .unwrap();
    (relative, text)
}

/// Each problem's `line:column` and message.
fn located(name: &str) -> Vec<(usize, usize, String)> {
    let (relative, text) = invalid_fixture(name);
    let diagnostics = parse_text(&relative.display().to_string(), &text)
        .expect_err("an invalid fixture must not import");
    diagnostics
        .problems
        .iter()
        .map(|problem| {
            let span = problem.span.clone().expect("every problem has a location");
            let (line, column) = line_column(&text, span.start);
            (line, column, problem.message.clone())
        })
        .collect()
}

fn positions(problems: &[(usize, usize, String)]) -> Vec<(usize, usize)> {
    problems.iter().map(|(l, c, _)| (*l, *c)).collect()
}

#[test]
fn a_missing_closing_brace_is_reported_where_the_next_block_starts() {
    let problems = located("missing_brace.prisma");
    assert_eq!(positions(&problems), [(10, 1)]);
    assert!(problems[0].2.contains("model `User`"), "{problems:?}");
}

#[test]
fn unknown_types_are_reported_with_a_suggestion() {
    let problems = located("unknown_type.prisma");
    assert_eq!(positions(&problems), [(12, 12), (14, 12)]);
    assert!(problems[0].2.contains("`Usr`"), "{problems:?}");
}

#[test]
fn bad_attribute_arguments_are_all_reported() {
    let problems = located("bad_arguments.prisma");
    assert_eq!(
        positions(&problems),
        [(7, 29), (9, 39), (10, 26), (11, 74), (14, 12)]
    );
}

#[test]
fn a_truncated_file_reports_the_end_of_the_file() {
    let (_, text) = invalid_fixture("truncated.prisma");
    let end = line_column(&text, text.len());
    let problems = located("truncated.prisma");
    assert!(!problems.is_empty());
    assert!(
        problems.iter().all(|(l, c, _)| (*l, *c) == end),
        "{problems:?}"
    );
    assert!(problems.iter().any(|(_, _, m)| m.contains("end of file")));
}

#[test]
fn syntax_errors_are_all_reported_and_recovered_from() {
    let problems = located("syntax.prisma");
    assert_eq!(
        positions(&problems),
        [(5, 1), (11, 15), (12, 24), (15, 1)],
        "{problems:#?}"
    );
}

#[test]
fn malformed_schemas_render_with_file_line_column_and_hint() {
    insta::glob!(
        "../../fixtures/schemas/prisma/invalid",
        "*.prisma",
        |path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            let (relative, text) = invalid_fixture(name);
            let diagnostics = parse_text(&relative.display().to_string(), &text).unwrap_err();
            insta::assert_snapshot!(baas::diagnostics::render_problems(&diagnostics, false));
        }
    );
}

/// Parses `text`; when it imports, the manifest must be valid.
fn parse_never_panics(text: &str, case: &str) {
    crate::support::import_never_panics(text, case, |text| parse_text("fuzz.prisma", text));
}

#[test]
fn truncated_and_corrupted_corpus_files_never_panic() {
    const NOISE: &[u8] = b"{}()[]@\"/\\:=?,.\n #@@ab1-";
    let mut random = crate::support::XorShift(0x9e37_79b9_7f4a_7c15);
    for relative in CORPUS {
        let text = std::fs::read_to_string(corpus_file(relative)).unwrap();
        for (what, mangled) in crate::support::mangled(&text, NOISE, &mut random, 50) {
            parse_never_panics(&mangled, &format!("{relative} {what}"));
        }
    }
    parse_never_panics(KITCHEN_SINK, "the kitchen sink");
    for text in [
        "",
        "\"",
        "model",
        "model A",
        "model A {",
        "@@",
        "///",
        "enum E {\n}\n",
    ] {
        parse_never_panics(text, &format!("{text:?}"));
    }
}

// ---------------------------------------------------------------------------
// Through the binary

fn baas() -> Command {
    let mut command = Command::cargo_bin("baas").unwrap();
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("BAAS_MANIFEST");
    command
}

#[test]
fn introspect_dry_run_prints_the_manifest_of_a_prisma_schema() {
    let path = corpus_file(CORPUS[1]);
    baas()
        .args(["introspect", path.to_str().unwrap(), "--dry-run"])
        .assert()
        .success()
        .stdout(
            contains("[entities.Account]\ntable = \"accounts\"")
                .and(contains("[[entities.Session.relations]]")),
        );
}

#[test]
fn introspect_of_a_malformed_prisma_schema_exits_2_with_its_location() {
    baas()
        .args([
            "introspect",
            "fixtures/schemas/prisma/invalid/missing_brace.prisma",
            "--dry-run",
        ])
        .assert()
        .code(2)
        .stderr(contains(
            "fixtures/schemas/prisma/invalid/missing_brace.prisma:10:1",
        ));
}

// ---------------------------------------------------------------------------
// Everything Prisma's grammar accepts

#[test]
fn block_comments_bare_field_lists_and_sort_arguments_are_read() {
    let introspection = parse_text(
        "schema.prisma",
        r#"/* A schema with
   a block comment first */
datasource db {
  provider = "postgresql" /* inline */
  url      = env("DATABASE_URL")
}

model Product { /* after the brace */
  id        Int      @id(sort: Desc) @default(autoincrement())
  name      String   @unique(sort: Desc, length: 10) /* trailing
  spanning two lines */
  slug      String
  createdAt DateTime @default(now())
  ownerId   Int
  owner     Owner    @relation(fields: ownerId, references: id)

  /* a comment between attributes */
  @@index(slug)
  @@index(createdAt(sort: Desc))
  @@index([name(sort: Desc), createdAt(sort: Asc)], map: "by_name")
  @@unique(slug(length: 10), map: "slug_prefix")
}

model Owner {
  id       Int       @id
  products Product[]
}
"#,
    )
    .unwrap_or_else(|d| panic!("{}", baas::diagnostics::render_problems(&d, false)));
    let manifest = &introspection.manifest;
    let product = entity(manifest, "Product");
    assert_eq!(
        field_names(product),
        ["id", "name", "slug", "createdAt", "ownerId"]
    );
    let indexes: Vec<(String, Vec<IndexPart>)> = product
        .indexes
        .iter()
        .map(|i| (i.name.clone(), i.fields.clone()))
        .collect();
    let part = |field: &str, order| IndexPart::Field {
        field: field.to_owned(),
        order,
        collation: None,
        prefix_length: None,
    };
    assert_eq!(
        indexes,
        [
            // A descending unique key is a unique index.
            (
                "Product_name_key".to_owned(),
                vec![part("name", Some(SortOrder::Desc))]
            ),
            ("Product_slug_idx".to_owned(), vec![part("slug", None)]),
            (
                "Product_createdAt_idx".to_owned(),
                vec![part("createdAt", Some(SortOrder::Desc))]
            ),
            (
                "by_name".to_owned(),
                vec![part("name", Some(SortOrder::Desc)), part("createdAt", None)]
            ),
        ]
    );
    assert_eq!(product.uniques.len(), 1);
    assert_eq!(product.uniques[0].fields, ["slug"]);
    assert_eq!(product.relations.len(), 1);
    assert_eq!(product.relations[0].fields, ["ownerId"]);
    assert_eq!(product.relations[0].references.fields, ["id"]);
    // What the manifest cannot say is named, not dropped.
    let ledger = ledger_text(&introspection);
    assert!(ledger.contains("`length:`"), "{ledger}");
    assert!(ledger.contains("`sort:`"), "{ledger}");
    assert_valid_and_round_trips(manifest);
}

#[test]
fn an_unterminated_block_comment_is_an_error_at_its_start() {
    let diagnostics = parse_text("schema.prisma", "model A {\n  id Int @id\n}\n/* open\n")
        .expect_err("an unterminated comment is an error");
    let rendered = baas::diagnostics::render_problems(&diagnostics, false);
    assert!(rendered.contains("unterminated comment"), "{rendered}");
    assert!(rendered.contains("schema.prisma:4:1"), "{rendered}");
}

#[test]
fn decimal_defaults_written_as_strings_keep_their_value() {
    let introspection = parse_text(
        "schema.prisma",
        r#"datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Price {
  id      Int     @id
  a       Decimal @default("2.00") @db.Decimal(10, 2)
  b       Decimal @default("-0.5")
  c       Decimal @default("12")
  d       Decimal @default("12345678901234567890.123456789") @db.Decimal(40, 9)
  e       Decimal @default(1.25)
}
"#,
    )
    .unwrap_or_else(|d| panic!("{}", baas::diagnostics::render_problems(&d, false)));
    let manifest = &introspection.manifest;
    let default = |name: &str| field(manifest, "Price", name).default.clone();
    assert_eq!(
        default("a"),
        Some(DefaultValue::Literal(Literal::Float(2.0)))
    );
    assert_eq!(
        default("b"),
        Some(DefaultValue::Literal(Literal::Float(-0.5)))
    );
    assert_eq!(default("c"), Some(DefaultValue::Literal(Literal::Int(12))));
    // More digits than a float keeps: the text as written.
    assert_eq!(
        default("d"),
        Some(DefaultValue::Literal(Literal::String(
            "12345678901234567890.123456789".to_owned()
        )))
    );
    assert_eq!(
        default("e"),
        Some(DefaultValue::Literal(Literal::Float(1.25)))
    );
    assert_valid_and_round_trips(manifest);

    // A string that is no number is still an error on a Decimal.
    let diagnostics = parse_text(
        "schema.prisma",
        "model P {\n  id Int @id\n  a Decimal @default(\"cheap\")\n}\n",
    )
    .expect_err("a non-numeric string default on a Decimal is an error");
    let rendered = baas::diagnostics::render_problems(&diagnostics, false);
    assert!(rendered.contains("\"cheap\""), "{rendered}");
}

fn schema_folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/prisma/schema_folder")
}

fn assert_schema_folder_manifest(stdout: &str) {
    for expected in [
        "[entities.Post]",
        "[entities.User]",
        "[enums.Role]",
        "references = { entity = \"User\", fields = [\"id\"] }",
        "price = { type = \"decimal\", precision = 8, scale = 2, default = 2.5 }",
        "engine = \"postgres\"",
    ] {
        assert!(stdout.contains(expected), "{expected} in:\n{stdout}");
    }
}

#[test]
fn a_schema_folder_with_subfolders_imports_as_one_schema() {
    let output = baas()
        .args(["introspect", "--dry-run"])
        .arg(schema_folder())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_schema_folder_manifest(&String::from_utf8(output.stdout).unwrap());
}

#[test]
fn one_file_of_a_schema_folder_is_read_with_the_rest_of_its_folder() {
    // `post.prisma` names `User`, declared in a sibling file.
    let output = baas()
        .args(["introspect", "--dry-run"])
        .arg(schema_folder().join("models/post.prisma"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("[entities.Post]"), "{stdout}");
    assert!(stdout.contains("[entities.User]"), "{stdout}");
}

/// A PostgreSQL datasource's `extensions` are the manifest's
/// `[postgres.extensions]` (each was only a ledger line, so a plan could not
/// make the index of an extension's operator class): by the name `map:`
/// gives, with `schema:` and `version:`.
#[test]
fn postgres_datasource_extensions_are_carried_not_ledgered() {
    let introspection = parse_text(
        "schema.prisma",
        "datasource db {\n  provider   = \"postgresql\"\n  url        = env(\"DATABASE_URL\")\n  \
         extensions = [pg_trgm, citext(schema: \"public\"), vector(map: \"pgvector\", version: \"0.7.0\")]\n}\n\
         model Tag {\n  id   Int    @id\n  name String\n}\n",
    )
    .unwrap();
    let extensions = &introspection.manifest.postgres.extensions;
    assert_eq!(
        extensions.keys().collect::<Vec<_>>(),
        ["citext", "pg_trgm", "pgvector"]
    );
    assert_eq!(extensions["citext"].schema.as_deref(), Some("public"));
    assert_eq!(extensions["pgvector"].version.as_deref(), Some("0.7.0"));
    assert_eq!(count_kind(&introspection, "extension"), 0);
    assert_valid_and_round_trips(&introspection.manifest);
}

/// A schema whose models, fields and schemas are named apart from their
/// tables and columns (`@@map`, `@map`, `@@schema`), planned and applied to
/// an empty database: `check --db` and `diff --db` find it as planned, and
/// still see a column changed by hand.
#[test]
fn a_mapped_schema_applied_to_a_database_shows_no_drift() {
    let Some(db) = crate::support::postgres::TempDatabase::create("prisma_mapped") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schema.prisma"),
        r#"
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
  schemas  = ["auth", "public"]
}

model Account {
  id      Int      @id @default(autoincrement())
  email   String   @unique @map("email_address")
  created DateTime @default(now()) @map("created_at")
  posts   Post[]

  @@index([email, created])
  @@map("accounts")
  @@schema("auth")
}

model Post {
  id       Int     @id @default(autoincrement())
  title    String
  authorId Int     @map("author_id")
  author   Account @relation(fields: [authorId], references: [id])

  @@map("posts")
  @@schema("public")
}
"#,
    )
    .unwrap();
    let url = db.url();
    let run = |args: &[&str]| crate::support::run_in(dir.path(), args);
    apply_schema(dir.path(), &url);
    assert_no_drift(run(&["check", "--db", &url]));
    let (code, output) = run(&["diff", "--db", &url]);
    assert_eq!(code, Some(0), "diff: {output}");
    assert!(output.contains("No changes"), "{output}");

    db.psql("alter table public.posts alter column title drop not null;");
    let (code, output) = run(&["check", "--db", &url]);
    assert_eq!(code, Some(1), "check after a change: {output}");
    assert!(output.contains("Post.title"), "{output}");
    assert!(!output.contains("accounts"), "{output}");
}

/// A schema of only a datasource and a generator declares nothing to
/// import: an error saying so, not an empty manifest with an empty ledger.
/// The configuration file of a schema folder is therefore read with its
/// folder, where the models are.
#[test]
fn a_schema_without_models_is_an_error_and_its_folder_is_read_instead() {
    let text = std::fs::read_to_string(schema_folder().join("schema.prisma")).unwrap();
    let diagnostics = parse_text("schema.prisma", &text).unwrap_err();
    let rendered = baas::diagnostics::render_problems(&diagnostics, false);
    assert!(
        rendered.contains("declares no model, view, enum or composite type"),
        "{rendered}"
    );
    assert!(rendered.contains("import their folder"), "{rendered}");

    let output = baas()
        .args(["introspect", "--dry-run"])
        .arg(schema_folder().join("schema.prisma"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_schema_folder_manifest(&String::from_utf8(output.stdout).unwrap());

    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("schema.prisma");
    std::fs::write(&alone, &text).unwrap();
    let output = baas()
        .args(["introspect", "--dry-run"])
        .arg(&alone)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("nothing to import"), "{stderr}");
}

/// Imports `dir/schema.prisma`, plans it and applies the plan to `url`.
fn apply_schema(dir: &Path, url: &str) {
    for args in [
        &["introspect", "schema.prisma", "-y", "-q"][..],
        &["migrate", "plan", "--name", "init", "-y", "-q"],
        &["migrate", "apply", "--db", url, "-y", "-q"],
    ] {
        let (code, output) = crate::support::run_in(dir, args);
        assert_eq!(code, Some(0), "{args:?}: {output}");
    }
}

/// A MongoDB schema keyed by `id @map("_id")`, with a unique field and an
/// index, applied to an empty database: its keys and indexes read back as
/// they were planned. A full-text index is MongoDB's `text` index.
#[test]
fn a_mongodb_schema_applied_to_a_database_reads_back_its_keys_and_indexes() {
    let Some(db) = crate::support::mongo::TempDatabase::create("prisma_mongo_keys") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schema.prisma"),
        r#"
datasource db {
  provider = "mongodb"
  url      = env("DATABASE_URL")
}

model Article {
  id    String @id @map("_id") @db.ObjectId
  slug  String @unique
  title String
  body  String
  views Int

  @@index([title, views])
  @@map("articles")
}
"#,
    )
    .unwrap();
    apply_schema(dir.path(), db.url());
    assert_no_drift(crate::support::run_in(
        dir.path(),
        &["check", "--db", db.url()],
    ));
    let up = std::fs::read_to_string(dir.path().join("migrations/0001_init/up.json")).unwrap();
    assert!(!up.contains("articles_pkey"), "{up}");

    // The test server has no text indexes: the full-text index is read only.
    let text = std::fs::read_to_string(dir.path().join("schema.prisma"))
        .unwrap()
        .replace("@@map(\"articles\")", "@@fulltext([body])");
    let result = parse_text("schema.prisma", &text).unwrap();
    let index = &entity(&result.manifest, "Article").indexes;
    let fulltext = index.iter().find(|i| i.name.contains("body")).unwrap();
    assert_eq!(fulltext.method.as_deref(), Some("text"));
}

/// A Prisma schema for MongoDB with what the database cannot show
/// (relations, defaults, `Json?`, an enum's name, `@updatedAt`), composite
/// types with a mapped nested field, a compound unique, a descending index
/// and a key other than `_id`.
const MONGODB_BLOG: &str = r#"
datasource db {
  provider = "mongodb"
  url      = env("DATABASE_URL")
}

type Address {
  street String
  city   String
  zip    String? @map("postal_code")
}

enum Role {
  USER
  ADMIN
}

model User {
  id        String    @id @default(auto()) @map("_id") @db.ObjectId
  email     String    @unique
  name      String?
  role      Role      @default(USER)
  address   Address?
  profile   Json?
  createdAt DateTime  @default(now())
  updatedAt DateTime  @updatedAt
  posts     Post[]
  comments  Comment[]
}

model Post {
  id        String    @id @default(auto()) @map("_id") @db.ObjectId
  slug      String    @unique
  title     String
  published Boolean   @default(false)
  views     Int       @default(0)
  tags      String[]
  meta      Json?
  author    User      @relation(fields: [authorId], references: [id], onDelete: Cascade)
  authorId  String    @db.ObjectId
  comments  Comment[]
  createdAt DateTime  @default(now()) @db.Date

  @@index([authorId, createdAt(sort: Desc)])
  @@unique([authorId, title])
  @@map("posts")
}

model Comment {
  id       String  @id @default(auto()) @map("_id") @db.ObjectId
  text     String
  post     Post    @relation(fields: [postId], references: [id])
  postId   String  @db.ObjectId
  author   User?   @relation(fields: [authorId], references: [id])
  authorId String? @db.ObjectId

  @@index([postId])
}

model Setting {
  key   String @id
  value Json
}
"#;

/// `check --db` compares with a MongoDB database only what it shows: a
/// schema just applied has no drift, and an index, a validator or a
/// collection changed by hand does.
#[test]
fn a_mongodb_schema_applied_checks_clean_and_sees_changes_by_hand() {
    use mongodb::bson::doc;
    let Some(db) = crate::support::mongo::TempDatabase::create("prisma_mongo_check") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.prisma"), MONGODB_BLOG).unwrap();
    apply_schema(dir.path(), db.url());
    let check = |args: &[&str]| {
        let mut all = vec!["check", "--db", db.url(), "--json"];
        all.extend_from_slice(args);
        let (code, output) = crate::support::run_in(dir.path(), &all);
        let start = output.find('{').unwrap_or_else(|| panic!("{output}"));
        let body: serde_json::Value = serde_json::Deserializer::from_str(&output[start..])
            .into_iter()
            .next()
            .unwrap()
            .unwrap();
        (code, body)
    };
    let (code, body) = check(&[]);
    assert_eq!((code, &body["changes"]), (Some(0), &serde_json::json!([])));
    let (code, output) = crate::support::run_in(dir.path(), &["diff", "--db", db.url()]);
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("No changes"), "{output}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let database = runtime.block_on(db.connect());
    let run = |command| {
        runtime
            .block_on(async { database.run_command(command).await })
            .unwrap_or_else(|e| panic!("{e}"));
    };
    let kinds = |body: &serde_json::Value| {
        let mut kinds: Vec<String> = body["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    c["kind"].as_str().unwrap(),
                    c["entity"].as_str().unwrap_or_default()
                )
            })
            .collect();
        kinds.sort();
        kinds
    };

    // An index made ascending by hand.
    run(doc! { "dropIndexes": "posts", "index": "posts_authorId_createdAt_idx" });
    run(doc! { "createIndexes": "posts", "indexes": [
        { "key": { "authorId": 1, "createdAt": 1 }, "name": "posts_authorId_createdAt_idx" }
    ] });
    let (code, body) = check(&[]);
    assert_eq!(code, Some(1), "{body}");
    assert_eq!(
        kinds(&body),
        ["add_index Post", "drop_index Post"],
        "{body}"
    );

    // The compound unique's index dropped, and the one of a key other than `_id`.
    run(doc! { "dropIndexes": "posts", "index": "posts_authorId_title_key" });
    run(doc! { "dropIndexes": "Setting", "index": "*" });
    let (_, body) = check(&[]);
    assert_eq!(
        kinds(&body),
        [
            "add_index Post",
            "add_unique Post",
            "change_primary_key Setting",
            "drop_index Post"
        ],
        "{body}"
    );

    // A validator changed: `views` may be a string now.
    run(doc! { "collMod": "posts", "validator": { "$jsonSchema": {
        "bsonType": "object",
        "required": ["_id", "slug", "title", "published", "views", "tags", "authorId", "createdAt"],
        "properties": {
            "_id": { "bsonType": "objectId" }, "slug": { "bsonType": "string" },
            "title": { "bsonType": "string" }, "published": { "bsonType": "bool" },
            "views": { "bsonType": "string" }, "tags": { "bsonType": "array", "items": { "bsonType": "string" } },
            "meta": {}, "authorId": { "bsonType": "objectId" }, "createdAt": { "bsonType": "date" }
        }
    } } });
    let (_, body) = check(&[]);
    let altered: Vec<&serde_json::Value> = body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "alter_field")
        .collect();
    assert_eq!(altered.len(), 1, "{body}");
    assert_eq!(altered[0]["field"], "views", "{body}");

    // The allowed values of an enum changed: the enum keeps its name.
    let options = runtime
        .block_on(async {
            database
                .run_command(doc! { "listCollections": 1, "filter": { "name": "User" } })
                .await
        })
        .unwrap()
        .get_document("cursor")
        .unwrap()
        .get_array("firstBatch")
        .unwrap()[0]
        .as_document()
        .unwrap()
        .get_document("options")
        .unwrap()
        .clone();
    let mut validator = options.get_document("validator").unwrap().clone();
    validator
        .get_document_mut("$jsonSchema")
        .unwrap()
        .get_document_mut("properties")
        .unwrap()
        .get_document_mut("role")
        .unwrap()
        .insert("enum", vec!["USER"]);
    run(doc! { "collMod": "User", "validator": validator });
    let (_, body) = check(&[]);
    let removed: Vec<(&str, &str)> = body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] != "alter_field" && c["entity"].is_null())
        .map(|c| {
            (
                c["kind"].as_str().unwrap(),
                c["value"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(removed, [("add_enum_value", "ADMIN")], "{body}");

    // A collection dropped.
    run(doc! { "drop": "Comment" });
    let (code, body) = check(&[]);
    assert_eq!(code, Some(1));
    assert!(
        kinds(&body).contains(&"add_entity Comment".to_owned()),
        "{body}"
    );
}

/// Operator classes (`ops: raw("gin_trgm_ops")`, Prisma's `JsonbPathOps`
/// and `Int4BloomOps`) and partial indexes (`where: raw("...")`) are the
/// manifest's operator classes and predicates: applied to PostgreSQL they
/// read back the same, and an index rebuilt without its class is drift.
#[test]
fn index_operator_classes_and_predicates_round_trip_through_postgres() {
    let Some(db) = crate::support::postgres::TempDatabase::create("prisma_ops") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let schema = r#"
generator client {
  provider        = "prisma-client-js"
  previewFeatures = ["postgresqlExtensions", "partialIndexes"]
}

datasource db {
  provider   = "postgresql"
  url        = env("DATABASE_URL")
  extensions = [pg_trgm]
}

model Article {
  id        Int       @id @default(autoincrement())
  title     String
  body      String    @db.VarChar(2000)
  meta      Json
  tags      String[]
  views     Int
  deletedAt DateTime? @db.Timestamptz(6)

  @@index([title(ops: raw("gin_trgm_ops"))], type: Gin)
  @@index([meta(ops: JsonbPathOps)], type: Gin)
  @@index([tags(ops: ArrayOps)], type: Gin)
  @@index([views(ops: Int4MinMaxMultiOps)], type: Brin, map: "article_views_brin")
  @@index([body(ops: raw("text_pattern_ops"))], where: raw("\"deletedAt\" IS NULL"))
}
"#;
    std::fs::write(dir.path().join("schema.prisma"), schema).unwrap();
    let result = parse_text("schema.prisma", schema).unwrap_or_else(|d| {
        panic!("{}", baas::diagnostics::render_problems(&d, false));
    });
    let indexes = &entity(&result.manifest, "Article").indexes;
    let classes: Vec<(&str, &[String], Option<&str>)> = indexes
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                i.options.operator_classes.as_slice(),
                i.predicate.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        classes,
        [
            ("Article_title_idx", &["gin_trgm_ops".to_owned()][..], None),
            ("Article_meta_idx", &["jsonb_path_ops".to_owned()][..], None),
            // The default class of GIN on an array: the catalog names none.
            ("Article_tags_idx", &[][..], None),
            (
                "article_views_brin",
                &["int4_minmax_multi_ops".to_owned()][..],
                None
            ),
            (
                "Article_body_idx",
                &["text_pattern_ops".to_owned()][..],
                Some("\"deletedAt\" IS NULL")
            ),
        ]
    );
    assert_eq!(
        count_kind(&result, "index_option"),
        0,
        "{}",
        ledger_text(&result)
    );

    let url = db.url();
    apply_schema(dir.path(), &url);
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &url]);
    assert_eq!(code, Some(0), "check: {output}");
    db.psql(
        "drop index \"Article_meta_idx\"; \
         create index \"Article_meta_idx\" on \"Article\" using gin (meta);",
    );
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &url]);
    assert_eq!(code, Some(1), "check after a change: {output}");
    assert!(output.contains("Article_meta_idx"), "{output}");

    // An unknown Prisma name is an error at it.
    let wrong = schema.replace("JsonbPathOps", "JsonbPathsOps");
    let problems = baas::diagnostics::render_problems(
        &parse_text("schema.prisma", &wrong).unwrap_err(),
        false,
    );
    assert!(
        problems.contains("unknown operator class `JsonbPathsOps`"),
        "{problems}"
    );
}

/// The tables `prisma migrate` makes for a schema (its own DDL, as it
/// writes it: `TIMESTAMP(3)` for a plain `DateTime`, `DECIMAL(65,30)` for a
/// plain `Decimal`, and the `@db.` types as asked) show no drift against
/// the manifest imported from the same schema.
#[test]
fn a_database_made_by_prisma_migrate_matches_the_imported_schema() {
    let Some(db) = crate::support::postgres::TempDatabase::create("prisma_made") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schema.prisma"),
        r#"
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Invoice {
  id        String    @id @db.Text
  number    String    @db.Text
  amount    Decimal
  total     Decimal   @db.Decimal(10, 2)
  ratio     Float
  paid      Boolean   @default(false)
  issuedOn  DateTime  @db.Date
  dueAt     DateTime  @db.Timestamp(6)
  sentAt    DateTime? @db.Timestamptz(6)
  remindAt  DateTime? @db.Time(6)
  createdAt DateTime  @default(now())
  updatedAt DateTime  @updatedAt
  lines     Json
  pdf       Bytes?
  code      String    @db.VarChar(12)
}
"#,
    )
    .unwrap();
    // What `prisma migrate dev` writes for it.
    db.psql(
        r#"CREATE TABLE "Invoice" (
    "id" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "amount" DECIMAL(65,30) NOT NULL,
    "total" DECIMAL(10,2) NOT NULL,
    "ratio" DOUBLE PRECISION NOT NULL,
    "paid" BOOLEAN NOT NULL DEFAULT false,
    "issuedOn" DATE NOT NULL,
    "dueAt" TIMESTAMP(6) NOT NULL,
    "sentAt" TIMESTAMPTZ(6),
    "remindAt" TIME(6),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "lines" JSONB NOT NULL,
    "pdf" BYTEA,
    "code" VARCHAR(12) NOT NULL,

    CONSTRAINT "Invoice_pkey" PRIMARY KEY ("id")
);"#,
    );
    let (code, output) =
        crate::support::run_in(dir.path(), &["introspect", "schema.prisma", "-y", "-q"]);
    assert_eq!(code, Some(0), "{output}");
    assert_no_drift(crate::support::run_in(
        dir.path(),
        &["check", "--db", &db.url()],
    ));
}

/// A schema with the column types, keys and indexes most Prisma schemas
/// have, for `provider`: plain `String`s (in keys and foreign keys too),
/// `@unique`, `@@unique`, `@@index`, a relation, an enum and the other
/// scalars.
fn prisma_made_schema(provider: &str) -> String {
    // Prisma stores an enum as an enum type on PostgreSQL, an inline
    // `ENUM(...)` on MySQL and a plain `TEXT` on SQLite.
    let enumeration = "enum Role {\n  USER\n  ADMIN\n}\n";
    let role = "  role      Role     @default(USER)\n";
    format!(
        r#"
datasource db {{
  provider = "{provider}"
  url      = env("DATABASE_URL")
}}

{enumeration}
model User {{
  id        String   @id
  email     String   @unique
  name      String?
{role}  team      String
  handle    String
  balance   Decimal
  profile   Json?
  avatar    Bytes?
  createdAt DateTime @default(now())
  updatedAt DateTime @updatedAt
  posts     Post[]

  @@unique([team, handle])
}}

model Post {{
  id       Int     @id @default(autoincrement())
  title    String
  views    Int     @default(0)
  big      BigInt?
  ratio    Float
  live     Boolean @default(false)
  authorId String
  author   User    @relation(fields: [authorId], references: [id])

  @@index([title])
}}
"#
    )
}

/// Imports `schema` in `dir` and runs `check --db url` against it.
/// Asserts that a `check` answered exit 0 and "No drift".
fn assert_no_drift((code, output): (Option<i32>, String)) {
    assert_eq!(code, Some(0), "check: {output}");
    assert!(output.contains("No drift"), "{output}");
}

fn import_and_check(dir: &Path, schema: &str, url: &str) -> (Option<i32>, String) {
    std::fs::write(dir.join("schema.prisma"), schema).unwrap();
    let (code, output) = crate::support::run_in(dir, &["introspect", "schema.prisma", "-y", "-q"]);
    assert_eq!(code, Some(0), "{output}");
    crate::support::run_in(dir, &["check", "--db", url])
}

/// The tables `prisma migrate dev` makes on PostgreSQL (its DDL as it
/// writes it: `TEXT` for a plain `String`, a `@unique` as a unique index
/// named `<table>_<column>_key`, partial indexes of `where:`, raw or an
/// object filter) check
/// clean against the imported schema; a unique index made plain, moved to
/// other columns or given a predicate is drift.
#[test]
fn a_database_prisma_made_on_postgres_checks_clean_and_its_unique_indexes_are_compared() {
    let Some(db) = crate::support::postgres::TempDatabase::create("prisma_unique") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let schema = prisma_made_schema("postgresql").replace(
        "  @@index([title])\n",
        "  slug     String  @unique(where: raw(\"live\"))\n\n  @@index([title])\n  \
         @@unique([authorId, title], where: raw(\"views > 0\"), map: \"post_title_per_author\")\n  \
         @@index([ratio], where: { live: true, big: null })\n",
    );
    db.psql(
        r#"CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "team" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "balance" DECIMAL(65,30) NOT NULL,
    "profile" JSONB,
    "avatar" BYTEA,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "Post" (
    "id" SERIAL NOT NULL,
    "title" TEXT NOT NULL,
    "views" INTEGER NOT NULL DEFAULT 0,
    "big" BIGINT,
    "ratio" DOUBLE PRECISION NOT NULL,
    "live" BOOLEAN NOT NULL DEFAULT false,
    "authorId" TEXT NOT NULL,
    "slug" TEXT NOT NULL,

    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE UNIQUE INDEX "User_team_handle_key" ON "User"("team", "handle");
CREATE INDEX "Post_title_idx" ON "Post"("title");
CREATE UNIQUE INDEX "Post_slug_key" ON "Post"("slug") WHERE live;
CREATE UNIQUE INDEX "post_title_per_author" ON "Post"("authorId", "title") WHERE views > 0;
CREATE INDEX "Post_ratio_idx" ON "Post"("ratio") WHERE ("live" = true AND "big" IS NULL);
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;"#,
    );
    assert_no_drift(import_and_check(dir.path(), &schema, &db.url()));

    let check = || crate::support::run_in(dir.path(), &["check", "--db", &db.url()]);
    for (change, names, undo) in [
        (
            r#"DROP INDEX "User_email_key"; CREATE INDEX "User_email_key" ON "User"("email");"#,
            "User.email",
            r#"DROP INDEX "User_email_key"; CREATE UNIQUE INDEX "User_email_key" ON "User"("email");"#,
        ),
        (
            r#"DROP INDEX "User_team_handle_key"; CREATE UNIQUE INDEX "User_team_handle_key" ON "User"("team");"#,
            "User_team_handle_key",
            r#"DROP INDEX "User_team_handle_key"; CREATE UNIQUE INDEX "User_team_handle_key" ON "User"("team", "handle");"#,
        ),
        (
            r#"DROP INDEX "User_team_handle_key"; CREATE UNIQUE INDEX "User_team_handle_key" ON "User"("team", "handle") WHERE "name" IS NOT NULL;"#,
            "User_team_handle_key",
            r#"DROP INDEX "User_team_handle_key"; CREATE UNIQUE INDEX "User_team_handle_key" ON "User"("team", "handle");"#,
        ),
        (
            r#"DROP INDEX "Post_slug_key"; CREATE UNIQUE INDEX "Post_slug_key" ON "Post"("slug");"#,
            "Post_slug_key",
            r#"DROP INDEX "Post_slug_key"; CREATE UNIQUE INDEX "Post_slug_key" ON "Post"("slug") WHERE live;"#,
        ),
    ] {
        db.psql(change);
        let (code, output) = check();
        assert_eq!(code, Some(1), "{change}: {output}");
        assert!(output.contains(names), "{change}: {output}");
        db.psql(undo);
        let (code, output) = check();
        assert_eq!(code, Some(0), "{undo}: {output}");
    }
}

/// The tables `prisma migrate dev` makes on MySQL (`VARCHAR(191)`,
/// `DATETIME(3)` with `CURRENT_TIMESTAMP(3)`, inline `ENUM`, `LONGBLOB`,
/// `utf8mb4_unicode_ci` tables, unique indexes named `<table>_<columns>_key`
/// and a foreign key `<table>_<column>_fkey` InnoDB indexes by itself)
/// check clean on MariaDB against the imported schema; a unique index made
/// plain is drift.
#[test]
fn a_database_prisma_made_on_mariadb_checks_clean() {
    let Some(db) = crate::support::mysql::TempDatabase::create("prisma_made") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    db.load(
        "CREATE TABLE `User` (
    `id` VARCHAR(191) NOT NULL,
    `email` VARCHAR(191) NOT NULL,
    `name` VARCHAR(191) NULL,
    `role` ENUM('USER', 'ADMIN') NOT NULL DEFAULT 'USER',
    `team` VARCHAR(191) NOT NULL,
    `handle` VARCHAR(191) NOT NULL,
    `balance` DECIMAL(65, 30) NOT NULL,
    `profile` JSON NULL,
    `avatar` LONGBLOB NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updatedAt` DATETIME(3) NOT NULL,

    UNIQUE INDEX `User_email_key`(`email`),
    UNIQUE INDEX `User_team_handle_key`(`team`, `handle`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

CREATE TABLE `Post` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `title` VARCHAR(191) NOT NULL,
    `views` INTEGER NOT NULL DEFAULT 0,
    `big` BIGINT NULL,
    `ratio` DOUBLE NOT NULL,
    `live` BOOLEAN NOT NULL DEFAULT false,
    `authorId` VARCHAR(191) NOT NULL,

    INDEX `Post_title_idx`(`title`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

ALTER TABLE `Post` ADD CONSTRAINT `Post_authorId_fkey` FOREIGN KEY (`authorId`) REFERENCES `User`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE `Note` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `body` TEXT NOT NULL,
    `slug` VARCHAR(191) NOT NULL,

    INDEX `Note_body_idx`(`body`(100)),
    INDEX `Note_slug_id_idx`(`slug`(40), `id`),
    INDEX `Note_id_slug_idx`(`id`, `slug`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;",
    );
    // `length:` keys a prefix; one as long as the column keys all of it.
    let schema = prisma_made_schema("mysql")
        + r#"
model Note {
  id   Int    @id @default(autoincrement())
  body String @db.Text
  slug String

  @@index([body(length: 100)])
  @@index([slug(length: 40), id])
  @@index([id, slug(length: 191)])
}
"#;
    assert_no_drift(import_and_check(dir.path(), &schema, &db.url()));
    let manifest = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    assert!(manifest.contains("prefix_length = 100"), "{manifest}");
    assert!(!manifest.contains("prefix_length = 191"), "{manifest}");

    db.load("DROP INDEX `Note_body_idx` ON `Note`; CREATE INDEX `Note_body_idx` ON `Note` (`body`(50));");
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &db.url()]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("Note_body_idx"), "{output}");

    db.load(
        "DROP INDEX `User_email_key` ON `User`; CREATE INDEX `User_email_key` ON `User` (`email`);",
    );
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &db.url()]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("User.email"), "{output}");
}

/// The tables `prisma migrate dev` makes on SQLite (`TEXT`, a plain `TEXT`
/// for an enum, `INTEGER` for an `Int`, an `INTEGER PRIMARY KEY` that is
/// the rowid, `BIGINT`, `JSONB`, unique and partial unique indexes) check
/// clean against the imported schema, and so does the enum's CHECK baas
/// writes; a CHECK of other values or a column of another type is drift.
#[test]
fn a_database_prisma_made_on_sqlite_checks_clean() {
    let schema = prisma_made_schema("sqlite")
        + r#"
model Tag {
  id    Int    @id
  label String @unique(where: raw("label <> ''"))
}
"#;
    let db = crate::support::sqlite::TempDatabase::with_script(
        "dev.db",
        &prisma_sqlite_script(r#""role" TEXT NOT NULL DEFAULT 'USER',"#),
    );
    let url = db.path().display().to_string();
    assert_no_drift(import_and_check(db.dir(), &schema, &url));
    // The CHECK of the enum's values baas writes on SQLite is no drift;
    // a CHECK of other values, or a column that is not TEXT, is.
    for (column, drift) in [
        (
            r#""role" TEXT NOT NULL DEFAULT 'USER' CHECK ("role" IN ('USER', 'ADMIN')),"#,
            None,
        ),
        (
            r#""role" TEXT NOT NULL DEFAULT 'USER' CHECK ("role" IN ('USER', 'ADMIN', 'OWNER')),"#,
            Some("drop check"),
        ),
        (
            r#""role" INTEGER NOT NULL DEFAULT 'USER',"#,
            Some("User.role"),
        ),
    ] {
        let other = crate::support::sqlite::TempDatabase::with_script(
            "dev.db",
            &prisma_sqlite_script(column),
        );
        let url = other.path().display().to_string();
        let (code, output) = import_and_check(other.dir(), &schema, &url);
        match drift {
            None => assert!(
                code == Some(0) && output.contains("No drift"),
                "{column}\n{output}"
            ),
            Some(change) => assert!(
                code != Some(0) && output.contains(change) && !output.contains("add enum"),
                "{column}\n{output}"
            ),
        }
    }
}

/// The tables `prisma migrate dev` makes on SQLite for
/// [`prisma_made_schema`] (and its `Tag`), with `role` the column written.
fn prisma_sqlite_script(role: &str) -> String {
    format!(
        r#"CREATE TABLE "User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "email" TEXT NOT NULL,
    "name" TEXT,
    {role}
    "team" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "balance" DECIMAL NOT NULL,
    "profile" JSONB,
    "avatar" BLOB,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
CREATE TABLE "Post" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "title" TEXT NOT NULL,
    "views" INTEGER NOT NULL DEFAULT 0,
    "big" BIGINT,
    "ratio" REAL NOT NULL,
    "live" BOOLEAN NOT NULL DEFAULT false,
    "authorId" TEXT NOT NULL,
    CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE TABLE "Tag" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "label" TEXT NOT NULL
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE UNIQUE INDEX "User_team_handle_key" ON "User"("team", "handle");
CREATE INDEX "Post_title_idx" ON "Post"("title");
CREATE UNIQUE INDEX "Tag_label_key" ON "Tag"("label") WHERE label <> '';"#
    )
}

/// `BigInt @id @default(autoincrement()) @db.UnsignedBigInt`, as `prisma db
/// pull` writes a MySQL `BIGINT UNSIGNED AUTO_INCREMENT` key (and the
/// columns that refer to one), imports as the 64-bit integer the database
/// reads as, and the database Prisma made from it checks clean; it was an
/// error (`autoincrement()` applies to `Int` and `BigInt` fields).
#[test]
fn unsigned_bigint_keys_autoincrement_and_check_clean_on_mysql() {
    let Some(db) = crate::support::mysql::TempDatabase::create("prisma_unsigned") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    db.load(
        "CREATE TABLE `Author` (
    `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    `name` VARCHAR(191) NOT NULL,

    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

CREATE TABLE `Book` (
    `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    `authorId` BIGINT UNSIGNED NOT NULL,
    `pages` INTEGER UNSIGNED NOT NULL DEFAULT 0,

    INDEX `Book_authorId_idx`(`authorId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

ALTER TABLE `Book` ADD CONSTRAINT `Book_authorId_fkey` FOREIGN KEY (`authorId`) REFERENCES `Author`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;",
    );
    let schema = r#"
datasource db {
  provider = "mysql"
  url      = env("DATABASE_URL")
}

model Author {
  id    BigInt @id @default(autoincrement()) @db.UnsignedBigInt
  name  String
  books Book[]
}

model Book {
  id       BigInt @id @default(autoincrement()) @db.UnsignedBigInt
  authorId BigInt @db.UnsignedBigInt
  pages    Int    @default(0) @db.UnsignedInt
  author   Author @relation(fields: [authorId], references: [id])

  @@index([authorId])
}
"#;
    assert_no_drift(import_and_check(dir.path(), schema, &db.url()));
    let manifest = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    assert!(
        manifest.contains(
            r#"id = { type = "int64", native = "bigint unsigned", generated = "autoincrement" }"#
        ),
        "{manifest}"
    );
}

/// A unique key whose fields say more than their names (MySQL's `length:`
/// on `@unique` and in `@@unique`, as `prisma db pull` writes a unique key
/// over a text prefix) is the unique index Prisma makes, so the database
/// Prisma made checks clean and a prefix changed by hand is drift; the
/// length was only a ledger line and the plan keyed whole columns.
#[test]
fn unique_keys_over_a_prefix_check_clean_on_mysql() {
    let Some(db) = crate::support::mysql::TempDatabase::create("prisma_unique_prefix") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    db.load(
        "CREATE TABLE `Page` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `slug` TEXT NOT NULL,
    `lang` VARCHAR(10) NOT NULL,
    `title` VARCHAR(255) NOT NULL,

    UNIQUE INDEX `Page_slug_key`(`slug`(100)),
    UNIQUE INDEX `Page_lang_title_key`(`lang`, `title`(120)),
    UNIQUE INDEX `page_recent`(`lang` DESC, `id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;",
    );
    let schema = r#"
datasource db {
  provider = "mysql"
  url      = env("DATABASE_URL")
}

model Page {
  id    Int    @id @default(autoincrement())
  slug  String @unique(length: 100) @db.Text
  lang  String @db.VarChar(10)
  title String @db.VarChar(255)

  @@unique([lang, title(length: 120)])
  @@unique([lang(sort: Desc), id], map: "page_recent")
}
"#;
    assert_no_drift(import_and_check(dir.path(), schema, &db.url()));
    let manifest = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    assert!(!manifest.contains("index_option"), "{manifest}");

    db.load(
        "DROP INDEX `Page_lang_title_key` ON `Page`; \
         CREATE UNIQUE INDEX `Page_lang_title_key` ON `Page` (`lang`, `title`(60));",
    );
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &db.url()]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("Page_lang_title_key"), "{output}");
}

/// `sort: Desc` in `@@unique` / on `@unique` is the descending unique
/// index Prisma makes on PostgreSQL (it was dropped without a word); in
/// `@@id` it is named in the ledger.
#[test]
fn descending_unique_keys_check_clean_on_postgres_and_a_descending_id_is_ledgered() {
    let Some(db) = crate::support::postgres::TempDatabase::create("prisma_unique_desc") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    db.psql(
        r#"CREATE TABLE "Event" (
    "id" SERIAL NOT NULL,
    "title" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "code" TEXT NOT NULL,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Event_code_key" ON "Event"("code" DESC);
CREATE UNIQUE INDEX "Event_title_at_key" ON "Event"("title", "at" DESC);"#,
    );
    let schema = r#"
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Event {
  id    Int      @id @default(autoincrement())
  title String
  at    DateTime
  code  String   @unique(sort: Desc)

  @@unique([title, at(sort: Desc)])
}
"#;
    assert_no_drift(import_and_check(dir.path(), schema, &db.url()));

    db.psql(r#"DROP INDEX "Event_title_at_key"; CREATE UNIQUE INDEX "Event_title_at_key" ON "Event"("title", "at");"#);
    let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &db.url()]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("Event_title_at_key"), "{output}");

    let result = parse_text(
        "schema.prisma",
        r#"
datasource db {
  provider = "mysql"
  url      = env("DATABASE_URL")
}

model Version {
  package String
  number  Int

  @@id([package, number(sort: Desc)])
}
"#,
    )
    .unwrap();
    assert_eq!(
        entity(&result.manifest, "Version").primary_key,
        ["package", "number"]
    );
    assert!(
        ledger_text(&result).contains("`sort: Desc` on `number` in `@@id`"),
        "{}",
        ledger_text(&result)
    );
}

/// On MongoDB, `@@index` and `@@unique` key fields of a composite type by
/// their path (`address.city`), as Prisma allows: the index keys that path,
/// and the schema applied to a database checks clean. It was an error
/// (`User` has no field `address.city`).
#[test]
fn mongodb_indexes_key_fields_of_composite_types_by_path() {
    let schema = r#"
datasource db {
  provider = "mongodb"
  url      = env("DATABASE_URL")
}

type Address {
  street String
  city   String
}

model Customer {
  id      String  @id @default(auto()) @map("_id") @db.ObjectId
  email   String
  address Address

  @@index([address.city])
  @@unique([email, address.street])
  @@map("customers")
}
"#;
    let result = parse_text("schema.prisma", schema).unwrap();
    let customer = entity(&result.manifest, "Customer");
    let keys: Vec<(String, bool, Vec<IndexPart>)> = customer
        .indexes
        .iter()
        .map(|index| (index.name.clone(), index.unique, index.fields.clone()))
        .collect();
    assert_eq!(
        keys,
        [
            (
                "customers_address_city_idx".to_owned(),
                false,
                vec![IndexPart::field("address.city")]
            ),
            (
                "customers_email_address_street_key".to_owned(),
                true,
                vec![
                    IndexPart::field("email"),
                    IndexPart::field("address.street")
                ]
            ),
        ]
    );

    let Some(db) = crate::support::mongo::TempDatabase::create("prisma_mongo_paths") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.prisma"), schema).unwrap();
    apply_schema(dir.path(), db.url());
    assert_no_drift(crate::support::run_in(
        dir.path(),
        &["check", "--db", db.url()],
    ));
}

/// `name:` of `@@unique` and `@@id` names the Prisma client's compound key;
/// the database's index and constraint keep Prisma's own names
/// (`<table>_<columns>_key`, `<table>_pkey`) unless `map:` names them, as
/// hoppscotch's migrations show. The manifest took `name:` for the
/// database's name, so the database Prisma made was drift.
#[test]
fn a_compound_keys_client_name_is_not_the_databases() {
    let Some(db) = crate::support::postgres::TempDatabase::create("prisma_client_names") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    db.psql(
        r#"CREATE TABLE "Membership" (
    "teamId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,

    CONSTRAINT "Membership_pkey" PRIMARY KEY ("teamId","userId")
);
CREATE UNIQUE INDEX "Membership_teamId_email_key" ON "Membership"("teamId", "email");
CREATE UNIQUE INDEX "slot_per_team" ON "Membership"("teamId", "slot");"#,
    );
    let schema = r#"
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Membership {
  teamId String
  userId String
  email  String
  slot   Int

  @@id([teamId, userId], name: "member")
  @@unique([teamId, email], name: "emailPerTeam")
  @@unique([teamId, slot], name: "slotPerTeam", map: "slot_per_team")
}
"#;
    assert_no_drift(import_and_check(dir.path(), schema, &db.url()));
    let manifest = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    assert!(!manifest.contains("emailPerTeam"), "{manifest}");
    assert!(!manifest.contains("\"member\""), "{manifest}");
}

/// Two implicit many-to-many relations, one named (`_PostTags`), one not
/// (`_CategoryToPost`), over keys of three types.
fn implicit_many_to_many_schema(provider: &str) -> String {
    format!(
        r#"
datasource db {{
  provider = "{provider}"
  url      = env("DATABASE_URL")
}}

model Post {{
  id         Int        @id @default(autoincrement())
  categories Category[]
  tags       Tag[]      @relation("PostTags")
}}

model Category {{
  id    String @id
  posts Post[]
}}

model Tag {{
  name  String @id
  posts Post[] @relation("PostTags")
}}
"#
    )
}

/// Prisma keeps an implicit many-to-many relation in a join table of its
/// own (`_CategoryToPost`, `_PostTags`: `A` keys the model first by name,
/// `B` the other, both cascading, a key over both and an index on `B`).
/// The table is an entity of the import, so a database `prisma migrate`
/// made checks clean on PostgreSQL (Prisma 6's `_AB_pkey`), MariaDB and
/// SQLite (the `_AB_unique` index), a plan makes the table the Prisma
/// client reads the links from, and a dropped index is drift. Before, the
/// table was only a ledger line and a plan left it out.
#[test]
fn implicit_many_to_many_join_tables_are_entities_that_check_clean() {
    let imported =
        parse_text("schema.prisma", &implicit_many_to_many_schema("postgresql")).unwrap();
    let manifest = &imported.manifest;
    assert_valid_and_round_trips(manifest);
    let links = entity(manifest, "_CategoryToPost");
    assert_eq!(links.primary_key, ["A", "B"]);
    assert_eq!(
        links.primary_key_name.as_deref(),
        Some("_CategoryToPost_AB_pkey")
    );
    assert_eq!(field(manifest, "_CategoryToPost", "A").ty, FieldType::Text);
    assert_eq!(field(manifest, "_CategoryToPost", "B").ty, FieldType::Int32);
    assert_eq!(field(manifest, "_PostTags", "A").ty, FieldType::Int32);
    let relations = relation_rows(manifest);
    for (table, column, target, key) in [
        ("_CategoryToPost", "A", "Category", "id"),
        ("_CategoryToPost", "B", "Post", "id"),
        ("_PostTags", "A", "Post", "id"),
        ("_PostTags", "B", "Tag", "name"),
    ] {
        let row = (
            table.to_owned(),
            vec![column.to_owned()],
            target.to_owned(),
            vec![key.to_owned()],
        );
        assert!(relations.contains(&row), "{row:?}: {relations:?}");
    }

    if let Some(db) = crate::support::postgres::TempDatabase::create("prisma_m2m") {
        let dir = tempfile::tempdir().unwrap();
        db.psql(
            r#"CREATE TABLE "Post" ("id" SERIAL NOT NULL, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Category" ("id" TEXT NOT NULL, CONSTRAINT "Category_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Tag" ("name" TEXT NOT NULL, CONSTRAINT "Tag_pkey" PRIMARY KEY ("name"));
CREATE TABLE "_CategoryToPost" ("A" TEXT NOT NULL, "B" INTEGER NOT NULL, CONSTRAINT "_CategoryToPost_AB_pkey" PRIMARY KEY ("A","B"));
CREATE TABLE "_PostTags" ("A" INTEGER NOT NULL, "B" TEXT NOT NULL, CONSTRAINT "_PostTags_AB_pkey" PRIMARY KEY ("A","B"));
CREATE INDEX "_CategoryToPost_B_index" ON "_CategoryToPost"("B");
CREATE INDEX "_PostTags_B_index" ON "_PostTags"("B");
ALTER TABLE "_CategoryToPost" ADD CONSTRAINT "_CategoryToPost_A_fkey" FOREIGN KEY ("A") REFERENCES "Category"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "_CategoryToPost" ADD CONSTRAINT "_CategoryToPost_B_fkey" FOREIGN KEY ("B") REFERENCES "Post"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "_PostTags" ADD CONSTRAINT "_PostTags_A_fkey" FOREIGN KEY ("A") REFERENCES "Post"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "_PostTags" ADD CONSTRAINT "_PostTags_B_fkey" FOREIGN KEY ("B") REFERENCES "Tag"("name") ON DELETE CASCADE ON UPDATE CASCADE;"#,
        );
        let schema = implicit_many_to_many_schema("postgresql");
        assert_no_drift(import_and_check(dir.path(), &schema, &db.url()));
        db.psql(r#"DROP INDEX "_PostTags_B_index";"#);
        let (code, output) = crate::support::run_in(dir.path(), &["check", "--db", &db.url()]);
        assert_eq!(code, Some(1), "{output}");
        assert!(output.contains("_PostTags_B_index"), "{output}");
    }
    // A plan from the import makes the join tables.
    if let Some(db) = crate::support::postgres::TempDatabase::create("prisma_m2m_plan") {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("schema.prisma"),
            implicit_many_to_many_schema("postgresql"),
        )
        .unwrap();
        apply_schema(dir.path(), &db.url());
        let (code, output) =
            crate::support::run_in(dir.path(), &["introspect", &db.url(), "--dry-run", "-q"]);
        assert_eq!(code, Some(0), "{output}");
        for table in ["[entities._CategoryToPost]", "[entities._PostTags]"] {
            assert!(output.contains(table), "{table}: {output}");
        }
    }

    if let Some(db) = crate::support::mysql::TempDatabase::create("prisma_m2m") {
        let dir = tempfile::tempdir().unwrap();
        let table = |name: &str, a: &str, b: &str| {
            format!(
                "CREATE TABLE `{name}` (`A` {a} NOT NULL, `B` {b} NOT NULL, \
                 UNIQUE INDEX `{name}_AB_unique`(`A`, `B`), INDEX `{name}_B_index`(`B`)) \
                 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
            )
        };
        db.load(&format!(
            "CREATE TABLE `Post` (`id` INTEGER NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE `Category` (`id` VARCHAR(191) NOT NULL, PRIMARY KEY (`id`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE `Tag` (`name` VARCHAR(191) NOT NULL, PRIMARY KEY (`name`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
{}
{}
ALTER TABLE `_CategoryToPost` ADD CONSTRAINT `_CategoryToPost_A_fkey` FOREIGN KEY (`A`) REFERENCES `Category`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE `_CategoryToPost` ADD CONSTRAINT `_CategoryToPost_B_fkey` FOREIGN KEY (`B`) REFERENCES `Post`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE `_PostTags` ADD CONSTRAINT `_PostTags_A_fkey` FOREIGN KEY (`A`) REFERENCES `Post`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE `_PostTags` ADD CONSTRAINT `_PostTags_B_fkey` FOREIGN KEY (`B`) REFERENCES `Tag`(`name`) ON DELETE CASCADE ON UPDATE CASCADE;",
            table("_CategoryToPost", "VARCHAR(191)", "INTEGER"),
            table("_PostTags", "INTEGER", "VARCHAR(191)"),
        ));
        let schema = implicit_many_to_many_schema("mysql");
        assert_no_drift(import_and_check(dir.path(), &schema, &db.url()));
    }

    let db = crate::support::sqlite::TempDatabase::with_script(
        "dev.db",
        r#"CREATE TABLE "Post" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT);
CREATE TABLE "Category" ("id" TEXT NOT NULL PRIMARY KEY);
CREATE TABLE "Tag" ("name" TEXT NOT NULL PRIMARY KEY);
CREATE TABLE "_CategoryToPost" (
    "A" TEXT NOT NULL,
    "B" INTEGER NOT NULL,
    CONSTRAINT "_CategoryToPost_A_fkey" FOREIGN KEY ("A") REFERENCES "Category" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "_CategoryToPost_B_fkey" FOREIGN KEY ("B") REFERENCES "Post" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE "_PostTags" (
    "A" INTEGER NOT NULL,
    "B" TEXT NOT NULL,
    CONSTRAINT "_PostTags_A_fkey" FOREIGN KEY ("A") REFERENCES "Post" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "_PostTags_B_fkey" FOREIGN KEY ("B") REFERENCES "Tag" ("name") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "_CategoryToPost_AB_unique" ON "_CategoryToPost"("A", "B");
CREATE INDEX "_CategoryToPost_B_index" ON "_CategoryToPost"("B");
CREATE UNIQUE INDEX "_PostTags_AB_unique" ON "_PostTags"("A", "B");
CREATE INDEX "_PostTags_B_index" ON "_PostTags"("B");"#,
    );
    let url = db.path().display().to_string();
    let schema = implicit_many_to_many_schema("sqlite");
    assert_no_drift(import_and_check(db.dir(), &schema, &url));
}

// ---------------------------------------------------------------------------
// Views and the queries `prisma db pull` keeps beside the schema

const VIEWS_SCHEMA: &str = r#"
generator client {
  provider        = "prisma-client-js"
  previewFeatures = ["views"]
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id     Int     @id @default(autoincrement())
  email  String  @unique
  active Boolean @default(true)
}

view ActiveUser {
  id    Int    @unique
  email String

  @@map("active_users")
}
"#;

/// `views/<schema>/<view>.sql` beside the schema (the layout `prisma db
/// pull` writes) is the view's query: the manifest's view has it as its
/// `definition`, a plan creates the view, and no ledger line says it is
/// missing. Applied to PostgreSQL, the database has the view.
#[test]
fn a_view_reads_its_query_from_the_views_folder_and_a_plan_creates_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.prisma"), VIEWS_SCHEMA).unwrap();
    std::fs::create_dir_all(dir.path().join("views/public")).unwrap();
    std::fs::write(
        dir.path().join("views/public/active_users.sql"),
        "SELECT id,\n    email\n   FROM \"User\"\n  WHERE active;\n",
    )
    .unwrap();
    let result = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(baas::parse::parse_file(
            &dir.path().join("schema.prisma"),
            &IntrospectOptions::default(),
        ))
        .unwrap();
    let view = entity(&result.manifest, "ActiveUser");
    assert_eq!(
        view.definition.as_deref(),
        Some("SELECT id,\n    email\n   FROM \"User\"\n  WHERE active")
    );
    assert_eq!(
        count_kind(&result, "view_definition"),
        0,
        "{}",
        ledger_text(&result)
    );

    let Some(db) = crate::support::postgres::TempDatabase::create("prisma_views") else {
        return;
    };
    apply_schema(dir.path(), &db.url());
    db.psql("insert into \"User\" (email, active) values ('a@x', true), ('b@x', false)");
    assert_eq!(db.query("select email from active_users").trim(), "a@x");
}

/// Without the file, the view keeps its columns and a ledger line names
/// the file that was looked for.
#[test]
fn a_view_without_its_query_file_is_a_ledger_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.prisma");
    std::fs::write(&path, VIEWS_SCHEMA).unwrap();
    // Another view's query does not stand for this one.
    std::fs::create_dir_all(dir.path().join("views/public")).unwrap();
    std::fs::write(dir.path().join("views/public/other.sql"), "SELECT 1").unwrap();
    let result = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(baas::parse::parse_file(
            &path,
            &IntrospectOptions::default(),
        ))
        .unwrap();
    let view = entity(&result.manifest, "ActiveUser");
    assert_eq!(view.definition, None);
    assert_eq!(field_names(view), ["id", "email"]);
    let text = ledger_text(&result);
    assert_eq!(count_kind(&result, "view_definition"), 1, "{text}");
    assert!(text.contains("public/active_users.sql"), "{text}");
}

/// A schema folder (`prisma/schema/*.prisma`) keeps its views beside the
/// folder (`prisma/views/`); a view in another database schema
/// (`@@schema("reporting")`) is read from that schema's folder.
#[tokio::test]
async fn a_schema_folder_reads_the_views_folder_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("prisma/schema");
    std::fs::create_dir_all(&schema).unwrap();
    std::fs::write(
        schema.join("main.prisma"),
        "generator client {\n  provider        = \"prisma-client-js\"\n  previewFeatures = [\"views\", \"multiSchema\"]\n}\n\n\
         datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n  schemas  = [\"public\", \"reporting\"]\n}\n",
    )
    .unwrap();
    std::fs::write(
        schema.join("sales.prisma"),
        "model Sale {\n  id     Int @id\n  amount Int\n  @@schema(\"public\")\n}\n\n\
         view SaleTotal {\n  total Int @unique\n  @@schema(\"reporting\")\n}\n",
    )
    .unwrap();
    let views = dir.path().join("prisma/views");
    std::fs::create_dir_all(views.join("reporting")).unwrap();
    std::fs::create_dir_all(views.join("public")).unwrap();
    std::fs::write(
        views.join("reporting/SaleTotal.sql"),
        "SELECT sum(amount)::int AS total FROM public.\"Sale\"",
    )
    .unwrap();
    // The same name in another schema is another view.
    std::fs::write(views.join("public/SaleTotal.sql"), "SELECT 0 AS total").unwrap();
    let result = baas::parse::parse_file(&schema, &IntrospectOptions::default())
        .await
        .unwrap();
    assert_eq!(
        entity(&result.manifest, "SaleTotal").definition.as_deref(),
        Some("SELECT sum(amount)::int AS total FROM public.\"Sale\"")
    );
    assert_eq!(
        count_kind(&result, "view_definition"),
        0,
        "{}",
        ledger_text(&result)
    );
    // One file of the folder, imported alone, reads the same views.
    let alone =
        baas::parse::parse_file(&schema.join("sales.prisma"), &IntrospectOptions::default())
            .await
            .unwrap();
    assert!(entity(&alone.manifest, "SaleTotal").definition.is_some());
}
