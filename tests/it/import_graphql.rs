//! GraphQL SDL: the SWAPI schema imports into a valid manifest (entities,
//! keys, scalar mappings, references as foreign keys, Relay plumbing and
//! to-many relations in the ledger), and malformed SDL gives diagnostics with
//! the right line and column, never a panic.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use assert_cmd::Command;
use baas::introspect::{IntrospectOptions, Introspection};
use baas::manifest::diagnostics::line_column;
use baas::manifest::{self, Diagnostics, Entity, FieldType, Manifest, SourceEngine};
use baas::parse::SourceFile;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::support::{assert_valid_and_round_trips, count_kind, ledger_kinds, ledger_text};
use crate::support::{corpus_file, project_fixtures};

const SWAPI: &str = "graphql/swapi.schema.graphql";

fn parse_text(path: &str, text: &str) -> Result<Introspection, Diagnostics> {
    let file = SourceFile {
        path: PathBuf::from(path),
        text: Arc::new(text.to_owned()),
    };
    baas::parse::graphql::parse(&file, &IntrospectOptions::default())
}

fn parse_ok(text: &str) -> Introspection {
    parse_text("schema.graphql", text).unwrap_or_else(|d| {
        panic!("{}", baas::diagnostics::render_problems(&d, false));
    })
}

fn swapi() -> Introspection {
    let path = corpus_file(SWAPI);
    let text = std::fs::read_to_string(&path).unwrap();
    parse_text(&path.display().to_string(), &text).unwrap_or_else(|d| {
        panic!(
            "{SWAPI} does not import:\n{}",
            baas::diagnostics::render_problems(&d, false)
        )
    })
}

fn entity<'a>(manifest: &'a Manifest, name: &str) -> &'a Entity {
    manifest
        .entities
        .get(name)
        .unwrap_or_else(|| panic!("entity `{name}` is missing"))
}

// ---------------------------------------------------------------------------
// SWAPI

#[test]
fn swapi_imports_its_six_entities_and_nothing_of_the_relay_plumbing() {
    let result = swapi();
    let manifest = &result.manifest;
    assert_valid_and_round_trips(manifest);
    assert_eq!(
        manifest.source.as_ref().unwrap().engine,
        SourceEngine::Graphql
    );
    assert_eq!(
        manifest.entities.keys().collect::<Vec<_>>(),
        ["Film", "Person", "Planet", "Species", "Starship", "Vehicle"]
    );
    assert!(manifest.enums.is_empty());
    let fields: usize = manifest.entities.values().map(|e| e.fields.len()).sum();
    assert_eq!(fields, 77);
    for (name, entity) in &manifest.entities {
        assert_eq!(&entity.table, name);
        assert_eq!(entity.primary_key, ["id"], "{name}");
        let id = &entity.fields["id"];
        assert_eq!((id.ty, id.nullable), (FieldType::String, false), "{name}");
        assert!(entity.comment.is_some(), "{name} has no description");
    }
    assert_eq!(
        swapi_kinds(&result),
        [
            ("interface", 1),
            ("relay", 1),
            ("root_type", 1),
            ("to_many", 14)
        ]
    );
    let second = swapi();
    assert_eq!(
        manifest::to_toml(manifest),
        manifest::to_toml(&second.manifest)
    );
    assert_eq!(ledger_text(&result), ledger_text(&second));
    insta::assert_snapshot!("swapi_manifest", manifest::to_toml(manifest));
    insta::assert_snapshot!("swapi_ledger", ledger_text(&result));
}

fn swapi_kinds(result: &Introspection) -> Vec<(&'static str, usize)> {
    ["interface", "relay", "root_type", "to_many"]
        .into_iter()
        .map(|kind| (kind, count_kind(result, kind)))
        .collect()
}

#[test]
fn swapi_single_references_become_foreign_keys() {
    let result = swapi();
    let manifest = &result.manifest;
    assert_eq!(manifest.relation_count(), 3);
    let person = entity(manifest, "Person");
    let rows: Vec<(Vec<String>, &str, Vec<String>)> = person
        .relations
        .iter()
        .map(|r| {
            (
                r.fields.clone(),
                r.references.entity.as_str(),
                r.references.fields.clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                vec!["homeworld_id".to_owned()],
                "Planet",
                vec!["id".to_owned()]
            ),
            (
                vec!["species_id".to_owned()],
                "Species",
                vec!["id".to_owned()]
            ),
        ]
    );
    // The key field takes the place of the reference, nullable like it.
    let names: Vec<&str> = person.fields.keys().map(String::as_str).collect();
    assert_eq!(&names[7..10], ["skinColor", "homeworld_id", "species_id"]);
    let homeworld = &person.fields["homeworld_id"];
    assert_eq!(
        (homeworld.ty, homeworld.nullable),
        (FieldType::String, true)
    );
    assert_eq!(
        homeworld.comment.as_deref(),
        Some("A planet that this person was born on or inhabits.")
    );
    assert_eq!(
        entity(manifest, "Species").relations[0].references.entity,
        "Planet"
    );
    // Connections are no fields.
    assert!(
        !entity(manifest, "Film")
            .fields
            .contains_key("characterConnection")
    );
}

#[test]
fn swapi_scalars_lists_and_descriptions_map() {
    let manifest = swapi().manifest;
    let film = entity(&manifest, "Film");
    assert_eq!(film.comment.as_deref(), Some("A single film."));
    assert_eq!(film.fields["episodeID"].ty, FieldType::Int32);
    let producers = &film.fields["producers"];
    assert_eq!(producers.ty, FieldType::Array);
    assert!(producers.nullable);
    let items = producers.items.as_ref().unwrap();
    assert_eq!((items.ty, items.nullable), (FieldType::String, true));
    assert_eq!(
        entity(&manifest, "Person").fields["mass"].ty,
        FieldType::Float64
    );
    // A multi-line block string keeps its lines, without the indentation.
    assert_eq!(
        entity(&manifest, "Planet").comment.as_deref(),
        Some("A large mass, planet or planetoid in the Star Wars Universe, at the time of\n0 ABY.")
    );
    assert_eq!(
        entity(&manifest, "Starship").fields["MGLT"].ty,
        FieldType::Int32
    );
}

#[test]
fn swapi_to_many_connections_are_ledgered_unless_they_invert_a_reference() {
    let result = swapi();
    let to_many: Vec<String> = ledger_kinds(&result)
        .into_iter()
        .filter(|(_, kind)| kind == "to_many")
        .map(|(object, _)| object)
        .collect();
    assert_eq!(
        to_many,
        [
            "Film.characterConnection",
            "Film.planetConnection",
            "Film.speciesConnection",
            "Film.starshipConnection",
            "Film.vehicleConnection",
            "Person.filmConnection",
            "Person.starshipConnection",
            "Person.vehicleConnection",
            "Planet.filmConnection",
            "Species.filmConnection",
            "Starship.filmConnection",
            "Starship.pilotConnection",
            "Vehicle.filmConnection",
            "Vehicle.pilotConnection",
        ]
    );
    // `Planet.residentConnection` inverts `Person.homeworld`,
    // `Species.personConnection` inverts `Person.species`.
    let relay = result
        .ledger
        .entries()
        .into_iter()
        .find(|e| e.kind == "relay")
        .unwrap();
    assert!(
        relay.message.contains("22 `*Connection` types") && relay.message.contains("`PageInfo`"),
        "{}",
        relay.message
    );
}

// ---------------------------------------------------------------------------
// Beyond SWAPI

const KITCHEN_SINK: &str = r#"
schema @link(url: "x") {
  query: Q
  mutation: M
}

"An instant"
scalar DateTime
scalar JSON
scalar UUID
scalar Money

directive @auth(requires: Role = ADMIN) repeatable on OBJECT | FIELD_DEFINITION

"""
Roles a user can have
"""
enum Role {
  ADMIN
  "an ordinary user"
  USER @deprecated(reason: "use MEMBER")
  MEMBER
}

interface Entity {
  id: ID!
}

union SearchResult = Book | Author

input BookInput {
  title: String!
  tags: [String!] = []
}

type Q {
  books(first: Int = 10): [Book!]!
}

type M {
  addBook(input: BookInput!): Book
}

type Author implements Entity @auth(requires: ADMIN) {
  id: ID!
  name: String!
  born: DateTime
  meta: JSON
  key: UUID!
  wealth: Money
  role: Role!
  matrix: [[Float!]!]
  books: [Book!]!
}

type Book implements Entity & Node {
  id: ID!
  title: String!
  author: Author!
  editorId: ID
  editor: Author
  related: SearchResult
  reviews(last: Int): [Review!]!
  anchor: Anchor
}

type Review {
  code: ID!
  stars: Int!
  book: Book!
}

"No key at all"
type Anchor {
  label: String
}

interface Node {
  id: ID!
}

extend type Author {
  nickname: String @deprecated
}
"#;

#[test]
fn every_sdl_construct_is_mapped_or_ledgered() {
    let result = parse_ok(KITCHEN_SINK);
    let manifest = &result.manifest;
    assert_valid_and_round_trips(manifest);
    assert_eq!(
        manifest.entities.keys().collect::<Vec<_>>(),
        ["Anchor", "Author", "Book", "Review"]
    );
    assert_eq!(manifest.enums["Role"].values, ["ADMIN", "USER", "MEMBER"]);
    assert_eq!(
        manifest.enums["Role"].comment.as_deref(),
        Some("Roles a user can have")
    );

    let author = entity(manifest, "Author");
    let types: Vec<(&str, FieldType)> = author
        .fields
        .iter()
        .map(|(name, field)| (name.as_str(), field.ty))
        .collect();
    assert_eq!(
        types,
        [
            ("id", FieldType::String),
            ("name", FieldType::String),
            ("born", FieldType::Timestamptz),
            ("meta", FieldType::Json),
            ("key", FieldType::Uuid),
            ("wealth", FieldType::Native),
            ("role", FieldType::Enum),
            ("matrix", FieldType::Array),
            ("nickname", FieldType::String),
        ]
    );
    assert_eq!(author.fields["wealth"].native.as_deref(), Some("Money"));
    let matrix = author.fields["matrix"].items.as_ref().unwrap();
    assert_eq!(matrix.ty, FieldType::Array);
    assert!(!matrix.nullable);

    let book = entity(manifest, "Book");
    // `anchor` is a value without a key: embedded as an object.
    assert_eq!(
        book.fields.keys().collect::<Vec<_>>(),
        ["id", "title", "author_id", "editorId", "anchor"]
    );
    assert_eq!(book.fields["anchor"].ty, FieldType::Object);
    // `editor` reuses the `editorId` field already there.
    let relations: Vec<(&str, &str)> = book
        .relations
        .iter()
        .map(|r| (r.fields[0].as_str(), r.references.entity.as_str()))
        .collect();
    assert_eq!(relations, [("author_id", "Author"), ("editorId", "Author")]);
    assert!(!book.fields["author_id"].nullable);

    // The first non-null `ID` is the key when there is no `id`.
    let review = entity(manifest, "Review");
    assert_eq!(review.primary_key, ["code"]);
    assert!(entity(manifest, "Anchor").primary_key.is_empty());

    assert_eq!(
        ledger_kinds(&result),
        [
            ("@auth", "directive_definition"),
            ("Author", "directive"),
            ("Author.nickname", "directive"),
            ("Book.id", "upstream_key"),
            ("Book.related", "polymorphic_reference"),
            ("Book.reviews", "field_arguments"),
            ("BookInput", "input_type"),
            ("Entity", "interface"),
            ("M", "root_type"),
            ("Money", "custom_scalar"),
            ("Node", "interface"),
            ("Q", "root_type"),
            ("Role", "comment"),
            ("Role", "directive"),
            ("SearchResult", "union"),
            ("schema", "directive"),
        ]
        .map(|(o, k)| (o.to_owned(), k.to_owned()))
    );
    insta::assert_snapshot!("kitchen_sink_ledger", ledger_text(&result));
}

#[test]
fn types_without_columns_are_ledgered_and_table_clashes_are_errors() {
    let result = parse_ok("type A { id: ID! }\ntype Empty { others: [A] }\n");
    assert_eq!(result.manifest.entities.keys().collect::<Vec<_>>(), ["A"]);
    assert!(
        ledger_kinds(&result).contains(&("Empty".to_owned(), "empty_type".to_owned())),
        "{:?}",
        ledger_kinds(&result)
    );
    // Type names differ in case only: two tables, as on PostgreSQL with quoted names.
    let both = parse_ok("type User { id: ID! }\ntype user { id: ID! }\n");
    assert_eq!(both.manifest.entities.len(), 2);
}

/// SDL that declares no type baas reads (only scalars) is an
/// error saying so, not an empty manifest with an empty ledger; a schema of
/// only a `Query` type is a ledger line.
#[test]
fn a_schema_without_types_says_there_is_nothing_to_import() {
    let diagnostics = parse_text("scalars.graphql", "scalar DateTime\nscalar JSON\n").unwrap_err();
    let message = &diagnostics.problems[0].message;
    assert!(message.contains("nothing to import"), "{message}");
    let query = parse_ok("type Query { hello: String }\n");
    assert!(query.manifest.entities.is_empty());
    assert!(
        !query.ledger.is_empty(),
        "the Query type is named in the ledger"
    );
}

// ---------------------------------------------------------------------------
// Aggregates and mutation payloads

/// Hasura's SDL of two tables, `books` and `authors` (v2, trimmed of the
/// arguments each field repeats). Placeholders name the types whose names
/// vary: `AGG` (books_aggregate), `FIGURES` (books_aggregate_fields),
/// `HIGHEST` (books_max_fields), `WRITTEN` (books_mutation_response).
const HASURA: &str = r#"schema { query: query_root mutation: mutation_root subscription: subscription_root }

scalar numeric

input Int_comparison_exp { _eq: Int _gt: Int _in: [Int!] _is_null: Boolean _neq: Int }
input String_comparison_exp { _eq: String _ilike: String _in: [String!] _neq: String }
input numeric_comparison_exp { _eq: numeric _in: [numeric!] }

"""column ordering options"""
enum order_by { asc asc_nulls_first asc_nulls_last desc desc_nulls_first desc_nulls_last }

"""
columns and relationships of "books"
"""
type books {
  author: authors!
  author_id: Int!
  id: Int!
  price: numeric
  title: String!
}

"""
aggregated selection of "books"
"""
type AGG { aggregate: FIGURES nodes: [books!]! }

type FIGURES {
  avg: books_avg_fields
  count(columns: [books_select_column!], distinct: Boolean): Int!
  max: HIGHEST
  min: books_min_fields
  stddev: books_stddev_fields
  stddev_pop: books_stddev_pop_fields
  stddev_samp: books_stddev_samp_fields
  sum: books_sum_fields
  var_pop: books_var_pop_fields
  var_samp: books_var_samp_fields
  variance: books_variance_fields
}

type books_avg_fields { author_id: Float id: Float price: Float }
type HIGHEST { author_id: Int id: Int price: numeric title: String }
type books_min_fields { author_id: Int id: Int price: numeric title: String }
type books_stddev_fields { author_id: Float id: Float price: Float }
type books_stddev_pop_fields { author_id: Float id: Float price: Float }
type books_stddev_samp_fields { author_id: Float id: Float price: Float }
type books_sum_fields { author_id: Int id: Int price: numeric }
type books_var_pop_fields { author_id: Float id: Float price: Float }
type books_var_samp_fields { author_id: Float id: Float price: Float }
type books_variance_fields { author_id: Float id: Float price: Float }

input books_bool_exp {
  _and: [books_bool_exp!]
  _not: books_bool_exp
  _or: [books_bool_exp!]
  author_id: Int_comparison_exp
  id: Int_comparison_exp
  price: numeric_comparison_exp
  title: String_comparison_exp
}
input books_insert_input { author_id: Int id: Int price: numeric title: String }
"""
response of any mutation on the table "books"
"""
type WRITTEN {
  """number of rows affected by the mutation"""
  affected_rows: Int!
  returning: [books!]!
}
input books_order_by { author: authors_order_by author_id: order_by id: order_by price: order_by title: order_by }
input books_pk_columns_input { id: Int! }
enum books_select_column { author_id id price title }
input books_set_input { author_id: Int id: Int price: numeric title: String }

type authors {
  books(limit: Int, offset: Int, order_by: [books_order_by!], where: books_bool_exp): [books!]!
  books_aggregate(limit: Int, offset: Int, order_by: [books_order_by!], where: books_bool_exp): AGG!
  id: Int!
  name: String!
}
input authors_order_by { id: order_by name: order_by }

type query_root {
  authors(limit: Int, offset: Int, order_by: [authors_order_by!]): [authors!]!
  authors_by_pk(id: Int!): authors
  books(distinct_on: [books_select_column!], limit: Int, offset: Int, order_by: [books_order_by!], where: books_bool_exp): [books!]!
  books_aggregate(distinct_on: [books_select_column!], limit: Int, offset: Int, order_by: [books_order_by!], where: books_bool_exp): AGG!
  books_by_pk(id: Int!): books
}

type mutation_root {
  delete_books(where: books_bool_exp!): WRITTEN
  delete_books_by_pk(id: Int!): books
  insert_books(objects: [books_insert_input!]!): WRITTEN
  insert_books_one(object: books_insert_input!): books
  update_books(_set: books_set_input, where: books_bool_exp!): WRITTEN
  update_books_by_pk(_set: books_set_input, pk_columns: books_pk_columns_input!): books
}

type subscription_root {
  books(limit: Int, offset: Int, order_by: [books_order_by!], where: books_bool_exp): [books!]!
}
"#;

/// PostGraphile's (v4) SDL of the same books; `CREATED` names the payload
/// of `createBook` (CreateBookPayload).
const POSTGRAPHILE: &str = r#"type Query implements Node {
  query: Query!
  nodeId: ID!
  node(nodeId: ID!): Node
  allBooks(first: Int, last: Int, offset: Int, before: Cursor, after: Cursor, orderBy: [BooksOrderBy!] = [PRIMARY_KEY_ASC], condition: BookCondition): BooksConnection
  book(id: Int!): Book
  bookByNodeId(nodeId: ID!): Book
}

interface Node { nodeId: ID! }

scalar Cursor
scalar BigFloat

type Book implements Node {
  nodeId: ID!
  id: Int!
  title: String!
  price: BigFloat
}

type BooksConnection { nodes: [Book]! edges: [BooksEdge!]! pageInfo: PageInfo! totalCount: Int! }
type BooksEdge { cursor: Cursor node: Book }
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: Cursor endCursor: Cursor }

enum BooksOrderBy {
  NATURAL
  ID_ASC
  ID_DESC
  TITLE_ASC
  TITLE_DESC
  PRICE_ASC
  PRICE_DESC
  PRIMARY_KEY_ASC
  PRIMARY_KEY_DESC
}

input BookCondition { id: Int title: String price: BigFloat }

type Mutation {
  createBook(input: CreateBookInput!): CREATED
  updateBook(input: UpdateBookInput!): UpdateBookPayload
  deleteBook(input: DeleteBookInput!): DeleteBookPayload
}

input CreateBookInput { clientMutationId: String book: BookInput! }
input BookInput { id: Int title: String! price: BigFloat }
input BookPatch { id: Int title: String price: BigFloat }
input UpdateBookInput { clientMutationId: String patch: BookPatch! id: Int! }
input DeleteBookInput { clientMutationId: String id: Int! }

"""The output of our create `Book` mutation."""
type CREATED {
  clientMutationId: String
  book: Book
  query: Query
  bookEdge(orderBy: [BooksOrderBy!] = [PRIMARY_KEY_ASC]): BooksEdge
}

type UpdateBookPayload {
  clientMutationId: String
  book: Book
  query: Query
  bookEdge(orderBy: [BooksOrderBy!] = [PRIMARY_KEY_ASC]): BooksEdge
}

type DeleteBookPayload {
  clientMutationId: String
  book: Book
  deletedBookNodeId: ID
  query: Query
  bookEdge(orderBy: [BooksOrderBy!] = [PRIMARY_KEY_ASC]): BooksEdge
}
"#;

/// The GraphQL form of the (first) create.
fn create_of(manifest: &Manifest) -> &manifest::GraphqlOperation {
    manifest
        .api
        .as_ref()
        .and_then(|api| {
            api.operations
                .iter()
                .find(|op| op.action == Some(manifest::OperationAction::Create))
        })
        .and_then(|op| op.graphql.as_ref())
        .expect("a create")
}

fn kinds_of(result: &Introspection, kind: &str) -> Vec<String> {
    let mut objects: Vec<String> = ledger_kinds(result)
        .into_iter()
        .filter(|(_, k)| k == kind)
        .map(|(object, _)| object)
        .collect();
    objects.sort();
    objects
}

/// Hasura's aggregate types (the count, and the figures under it: max,
/// min, avg, sum, stddev, variance) and its mutation response are no
/// entities, whatever their names: they are known by how they are used.
#[test]
fn hasura_aggregates_and_mutation_responses_are_not_entities() {
    for names in [
        [
            "books_aggregate",
            "books_aggregate_fields",
            "books_max_fields",
            "books_mutation_response",
        ],
        ["BookStats", "BookFigures", "BookHighest", "BookWriteResult"],
    ] {
        let mut text = HASURA.to_owned();
        for (placeholder, name) in ["AGG", "FIGURES", "HIGHEST", "WRITTEN"].iter().zip(names) {
            text = text.replace(placeholder, name);
        }
        let result = parse_ok(&text);
        let manifest = &result.manifest;
        assert_eq!(
            manifest.entities.keys().collect::<Vec<_>>(),
            ["authors", "books"],
            "{names:?}"
        );
        let mut aggregates = vec![
            names[0].to_owned(),
            names[1].to_owned(),
            names[2].to_owned(),
        ];
        for figure in [
            "avg",
            "min",
            "stddev",
            "stddev_pop",
            "stddev_samp",
            "sum",
            "var_pop",
            "var_samp",
            "variance",
        ] {
            aggregates.push(format!("books_{figure}_fields"));
        }
        aggregates.sort();
        assert_eq!(kinds_of(&result, "aggregate_type"), aggregates);
        assert_eq!(kinds_of(&result, "mutation_payload"), [names[3]]);
        let ledger = ledger_text(&result);
        assert!(
            ledger.contains(&format!(
                "`{}` is only the answer of mutation `delete_books`, `insert_books`, `update_books`",
                names[3]
            )),
            "{ledger}"
        );
        // The create is the one of a row, not the bulk insert.
        let create = create_of(manifest);
        assert_eq!(create.field, "insert_books_one");
        // `where: books_bool_exp` takes comparison objects (`{title:
        // {_eq: ..}}`), not values: the operators every field's comparison
        // type has (`numeric_comparison_exp` only `_eq` and `_in`).
        let list = manifest.api.as_ref().unwrap().operations.iter().find(|op| {
            op.entity.as_deref() == Some("books")
                && op.action == Some(manifest::OperationAction::List)
        });
        let list = list.expect("a list of books");
        let graphql = list.graphql.as_ref().unwrap();
        assert_eq!(list.query, ["author_id", "id", "price", "title"]);
        assert_eq!(
            (graphql.filter.as_deref(), graphql.filter_or.as_deref()),
            (Some("where"), Some("_or"))
        );
        let operators: Vec<(&str, &str)> = graphql
            .operators
            .iter()
            .map(|(op, name)| (op.as_str(), name.as_str()))
            .collect();
        assert_eq!(operators, [("eq", "_eq"), ("in", "_in")]);
    }
}

/// PostGraphile's (and Relay's) `CreateBookPayload`, answering mutations
/// only, is no entity whatever its name; its row is the mutation's
/// `result`.
#[test]
fn postgraphile_mutation_payloads_are_not_entities() {
    for name in ["CreateBookPayload", "BookCreated"] {
        let result = parse_ok(&POSTGRAPHILE.replace("CREATED", name));
        let manifest = &result.manifest;
        assert_eq!(
            manifest.entities.keys().collect::<Vec<_>>(),
            ["Book"],
            "{name}"
        );
        let mut payloads = vec![name, "DeleteBookPayload", "UpdateBookPayload"];
        payloads.sort_unstable();
        assert_eq!(kinds_of(&result, "mutation_payload"), payloads);
        let create = create_of(manifest);
        assert_eq!(
            (create.field.as_str(), create.result.as_deref()),
            ("createBook", Some("book"))
        );
    }
}

// ---------------------------------------------------------------------------
// Malformed input

fn invalid_fixture(name: &str) -> (PathBuf, String) {
    let relative = Path::new("fixtures/schemas/graphql/invalid").join(name);
    let text = std::fs::read_to_string(
        project_fixtures()
            .join("schemas/graphql/invalid")
            .join(name),
    )
    .unwrap();
    (relative, text)
}

fn positions(name: &str) -> Vec<(usize, usize)> {
    let (relative, text) = invalid_fixture(name);
    let diagnostics = parse_text(&relative.display().to_string(), &text)
        .expect_err("an invalid fixture must not import");
    diagnostics
        .problems
        .iter()
        .map(|problem| {
            let span = problem.span.clone().expect("every problem has a location");
            line_column(&text, span.start)
        })
        .collect()
}

#[test]
fn a_missing_closing_brace_is_reported_where_the_next_type_starts() {
    assert_eq!(positions("missing_brace.graphql"), [(6, 1)]);
}

#[test]
fn unknown_types_are_reported_with_a_suggestion() {
    assert_eq!(positions("unknown_type.graphql"), [(3, 10), (4, 11)]);
}

#[test]
fn syntax_errors_are_all_reported_and_recovered_from() {
    assert_eq!(
        positions("syntax.graphql"),
        [(3, 9), (6, 3), (6, 16), (11, 3), (14, 1), (16, 1)]
    );
}

#[test]
fn a_truncated_file_reports_what_is_left_open() {
    let (_, text) = invalid_fixture("truncated.graphql");
    let end = line_column(&text, text.len());
    assert_eq!(positions("truncated.graphql"), [(7, 3), (13, 31), end]);
}

#[test]
fn malformed_sdl_renders_with_file_line_column_and_hint() {
    insta::glob!(
        "../../fixtures/schemas/graphql/invalid",
        "*.graphql",
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
    crate::support::import_never_panics(text, case, |text| parse_text("fuzz.graphql", text));
}

#[test]
fn truncated_and_corrupted_sdl_never_panics() {
    const NOISE: &[u8] = b"{}()[]@\"!:=|&$#.\n -1a";
    let mut random = crate::support::XorShift(0x2545_f491_4f6c_dd1d);
    for text in [
        std::fs::read_to_string(corpus_file(SWAPI)).unwrap(),
        KITCHEN_SINK.to_owned(),
    ] {
        for (what, mangled) in crate::support::mangled(&text, NOISE, &mut random, 50) {
            parse_never_panics(&mangled, &what);
        }
    }
    for text in [
        "",
        "\"",
        "\"\"\"",
        "type",
        "type A",
        "type A {",
        "type A { b: [",
        "-",
        "extend type X",
        "union U = ",
        "directive @d on",
        "schema { query: Nope }",
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
fn introspect_dry_run_prints_the_manifest_of_an_sdl_file() {
    let path = corpus_file(SWAPI);
    baas()
        .args(["introspect", path.to_str().unwrap(), "--dry-run"])
        .assert()
        .success()
        .stdout(
            contains("engine = \"graphql\"")
                .and(contains("[entities.Person.fields]"))
                .and(contains(
                    "references = { entity = \"Planet\", fields = [\"id\"] }",
                )),
        );
}

#[test]
fn introspect_of_malformed_sdl_exits_2_with_its_location() {
    baas()
        .args([
            "introspect",
            "fixtures/schemas/graphql/invalid/unknown_type.graphql",
            "--dry-run",
        ])
        .assert()
        .code(2)
        .stderr(contains(
            "fixtures/schemas/graphql/invalid/unknown_type.graphql:3:10",
        ));
}

/// The schema's own description (`"""..."""` before `schema { ... }`) has
/// no place in the manifest and is named in the ledger, as every other
/// description without one is; it was dropped unsaid.
#[test]
fn the_description_of_the_schema_is_in_the_ledger() {
    let sdl = r#"
"""
The storefront API.
"""
schema @link(url: "https://specs.apollo.dev/federation/v2.3") {
  query: QueryRoot
}

type QueryRoot { products: [Product!]! }
type Product { id: ID! title: String }
"#;
    let result = parse_ok(sdl);
    let lines: Vec<(String, String)> = result
        .ledger
        .entries()
        .into_iter()
        .filter(|entry| entry.object == "schema")
        .map(|entry| (entry.kind.clone(), entry.message.clone()))
        .collect();
    assert_eq!(
        lines,
        [
            (
                "comment".to_owned(),
                "the description of the schema has no place in the manifest".to_owned()
            ),
            (
                "directive".to_owned(),
                "directive `@link` on the schema is not represented in the manifest".to_owned()
            ),
        ]
    );
}

/// Every Apollo Federation 2 subgraph begins with `extend schema
/// @link(...)`: an extension names no schema of its own, so `Query`,
/// `Mutation` and `Subscription` stay the roots, less one the extension
/// names another type for. `Query` was read as an entity (with a foreign
/// key per field) and its operations were lost.
#[test]
fn an_extend_schema_alone_keeps_the_default_root_types() {
    let subgraph = r#"
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])

type Query {
  product(id: ID!): Product
  products: [Product!]!
}

type Mutation {
  createProduct(name: String!): Product
}

type Product @key(fields: "id") {
  id: ID!
  name: String!
}
"#;
    let result = parse_ok(subgraph);
    assert_eq!(
        crate::import_jsonschema::entity_names(&result.manifest),
        ["Product"]
    );
    assert_eq!(kinds_of(&result, "root_type"), ["Mutation", "Query"]);
    let actions: Vec<String> = result
        .manifest
        .api
        .as_ref()
        .map(|api| {
            api.operations
                .iter()
                .filter_map(|op| op.action.map(|action| action.to_string()))
                .collect()
        })
        .unwrap_or_default();
    for action in ["list", "get"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    // An extension naming the subscription root keeps the default query root.
    let extended = r#"
extend schema { subscription: Changes }
type Query { products: [Product!]! }
type Changes { productAdded: Product }
type Product { id: ID! name: String }
"#;
    let result = parse_ok(extended);
    assert_eq!(
        crate::import_jsonschema::entity_names(&result.manifest),
        ["Product"]
    );
    assert_eq!(kinds_of(&result, "root_type"), ["Changes", "Query"]);
}

/// Shopify's Admin API answers value objects without a key inside its
/// rows: `seo: SEO!`, `priceRangeV2 { minVariantPrice: MoneyV2 }`,
/// `selectedOptions: [SelectedOption!]!`. They are embedded as `object`
/// fields (lists of them as arrays of objects), as the API answers them;
/// before, each was a `reference` ledger line and the value was lost. A
/// row with a key inside one (`variant.product`) is left out with a line.
#[test]
fn keyless_value_objects_are_embedded_in_the_rows_that_hold_them() {
    let result = parse_ok(
        r#"
"A signed decimal number, serialized as a string."
scalar Decimal
enum CurrencyCode { USD EUR }
type MoneyV2 {
  "Decimal money amount."
  amount: Decimal!
  currencyCode: CurrencyCode!
}
type ProductPriceRangeV2 { maxVariantPrice: MoneyV2! minVariantPrice: MoneyV2! }
type SEO { description: String title: String }
type SelectedOption { name: String! value: String! }
type Product {
  id: ID!
  title: String!
  "SEO information of the product."
  seo: SEO!
  priceRangeV2: ProductPriceRangeV2!
  featured: ProductHighlight
}
type ProductHighlight { note: String product: Product }
type ProductVariant {
  id: ID!
  product: Product!
  selectedOptions: [SelectedOption!]!
}
type QueryRoot { product(id: ID!): Product }
schema { query: QueryRoot }
"#,
    );
    let manifest = &result.manifest;
    assert_valid_and_round_trips(manifest);
    let product = entity(manifest, "Product");
    let seo = &product.fields["seo"];
    assert_eq!(seo.ty, FieldType::Object);
    assert!(!seo.nullable);
    assert_eq!(
        seo.comment.as_deref(),
        Some("SEO information of the product.")
    );
    let seo_fields = seo.fields.as_ref().unwrap();
    assert_eq!(
        seo_fields.keys().collect::<Vec<_>>(),
        ["description", "title"]
    );
    assert!(seo_fields["title"].nullable);
    let range = product.fields["priceRangeV2"].fields.as_ref().unwrap();
    let money = range["minVariantPrice"].fields.as_ref().unwrap();
    assert_eq!(money["amount"].ty, FieldType::Decimal);
    assert_eq!(
        money["currencyCode"].enum_name.as_deref(),
        Some("CurrencyCode")
    );
    let options = &entity(manifest, "ProductVariant").fields["selectedOptions"];
    assert_eq!(options.ty, FieldType::Array);
    let option = options.items.as_ref().unwrap();
    assert!(!option.nullable);
    assert_eq!(
        option.fields.as_ref().unwrap().keys().collect::<Vec<_>>(),
        ["name", "value"]
    );
    // A row inside a value is no part of the value.
    let featured = product.fields["featured"].fields.as_ref().unwrap();
    assert_eq!(featured.keys().collect::<Vec<_>>(), ["note"]);
    let references = kinds_of(&result, "reference");
    assert_eq!(references, ["Product.featured.product"], "{references:?}");
}
