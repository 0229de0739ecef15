//! `baas codegen`: generated SDKs, OpenAPI and JSON Schema.
//!
//! Snapshots of the fixture manifests; every SDK generated for the real
//! corpus (pagila, Chinook, Northwind, the four Prisma schemas) compiled by
//! the real compilers (`tsc --strict`, one `cargo check`), every OpenAPI
//! document checked by `openapi-spec-validator`; `--check` through the binary.
//! The compilers come from `tests/tools/setup.sh` (pinned versions).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use baas::backend::introspect;
use baas::codegen::jsonschema::{Shape, entity_schema};
use baas::codegen::names::TypeNames;
use baas::codegen::{Origin, Target, generate};
use baas::introspect::IntrospectOptions;
use baas::manifest::Manifest;
use baas::source::SourceLocation;
use baas::ui::Progress;

use crate::support::{baas, corpus_file, project_fixtures};

/// The external tools, installed once per test run by `tests/tools/setup.sh`.
struct Tools {
    tsc: PathBuf,
    openapi_spec_validator: PathBuf,
}

/// The tools, or `None` (with a note) when they cannot be installed outside
/// CI; under `CI` a missing tool fails the test, as a missing server does.
#[allow(clippy::print_stderr)]
fn tools() -> Option<&'static Tools> {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    let result = TOOLS.get_or_init(|| {
        let stdout = crate::support::tools_output()?;
        let path = |name: &str| {
            stdout
                .lines()
                .find_map(|line| line.strip_prefix(&format!("{name}=")))
                .map(PathBuf::from)
                .ok_or_else(|| format!("setup.sh printed no `{name}`"))
        };
        Ok(Tools {
            tsc: path("TSC")?,
            openapi_spec_validator: path("OPENAPI_SPEC_VALIDATOR")?,
        })
    });
    match result {
        Ok(tools) => Some(tools),
        Err(error) if std::env::var_os("CI").is_some() => panic!("{error}"),
        Err(error) => {
            eprintln!("skipping: {error}");
            None
        }
    }
}

fn fixture(name: &str) -> Manifest {
    let path = project_fixtures().join("manifests").join(name);
    baas::manifest::load_file(&path).unwrap().manifest
}

/// Entities whose names and fields hit every name-mapping rule.
fn awkward_names() -> Manifest {
    baas::manifest::load_str(
        Path::new("names.toml"),
        r#"
[manifest]
format = 1
version = 1

[enums.kind]
values = ["PG-13", "pg_13", "2x", "self", "", "a b"]

[entities.match]
table = "match"
primary_key = ["type", "2fa"]

[entities.match.fields]
type = { type = "string" }
"2fa" = { type = "int32" }
class = { type = "bool", nullable = true }
"created-by" = { type = "text", optional = true }
self = { type = "enum", enum = "kind", default = "self" }
fn = { type = "json", nullable = true }
OrderID = { type = "int64", default = 0 }
order_id = { type = "int64", default = 0 }
"order id" = { type = "int64", default = 0 }
and = { type = "int32", nullable = true }
where = { type = "decimal", nullable = true }
"*/" = { type = "array", items = { type = "date", nullable = true }, nullable = true }

[entities.Match]
table = "Match2"
primary_key = ["id"]

[entities.Match.fields]
id = { type = "uuid" }
match_type = { type = "string" }
match_2fa = { type = "int32" }

[[entities.Match.relations]]
fields = ["match_type", "match_2fa"]
references = { entity = "match", fields = ["type", "2fa"] }

[entities.client]
table = "client"

[entities.client.fields]
"Query" = { type = "string" }
"#
        .to_owned(),
    )
    .unwrap()
    .manifest
}

async fn imported(relative: &str) -> Manifest {
    let path = corpus_file(relative);
    let location = SourceLocation::parse(&path.display().to_string(), Path::new("/")).unwrap();
    introspect(
        &location,
        &IntrospectOptions::default(),
        &Progress::hidden(),
    )
    .await
    .unwrap()
    .manifest
}

/// The corpus manifests, by a short name.
async fn corpus() -> Vec<(&'static str, Manifest)> {
    let mut out = Vec::new();
    for (name, file) in [
        ("pagila", "sql/postgres/pagila-schema.sql"),
        ("chinook", "sql/sqlite/Chinook_Sqlite.sql"),
        ("northwind", "sql/sqlite/northwind-sqlite-create.sql"),
        (
            "prisma_rest_express",
            "prisma/01-prisma-examples-rest-express.schema.prisma",
        ),
        (
            "prisma_nextjs_auth",
            "prisma/02-prisma-examples-nextjs-auth.schema.prisma",
        ),
        (
            "prisma_hoppscotch",
            "prisma/03-hoppscotch-backend.schema.prisma",
        ),
        ("prisma_umami", "prisma/04-umami.schema.prisma"),
    ] {
        out.push((name, imported(file).await));
    }
    out
}

fn origin(manifest: &Manifest, path: &str) -> Origin {
    Origin {
        manifest_path: path.to_owned(),
        version: manifest.version,
    }
}

/// Writes the files of `target` for `manifest` under `dir`.
fn write(manifest: &Manifest, target: Target, dir: &Path) {
    for file in generate(manifest, target, &origin(manifest, "baas.toml")).unwrap() {
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, file.content).unwrap();
    }
}

fn file(manifest: &Manifest, path: &str, target: Target, name: &str) -> String {
    generate(manifest, target, &origin(manifest, path))
        .unwrap()
        .into_iter()
        .find(|file| file.path == name)
        .unwrap_or_else(|| panic!("no `{name}` generated"))
        .content
}

#[test]
fn fixture_manifests_generate_the_snapshotted_files() {
    for name in ["bookshop", "kitchen_sink"] {
        let manifest = fixture(&format!("{name}.toml"));
        let path = format!("fixtures/manifests/{name}.toml");
        insta::assert_snapshot!(
            format!("{name}_types_ts"),
            file(&manifest, &path, Target::Ts, "types.ts")
        );
        insta::assert_snapshot!(
            format!("{name}_openapi_json"),
            file(&manifest, &path, Target::Openapi, "openapi.json")
        );
        insta::assert_snapshot!(
            format!("{name}_lib_rs"),
            file(&manifest, &path, Target::Rust, "src/lib.rs")
        );
        // Same manifest, same bytes.
        for target in [
            Target::Ts,
            Target::Rust,
            Target::Openapi,
            Target::Jsonschema,
        ] {
            assert_eq!(
                generate(&manifest, target, &origin(&manifest, &path)).unwrap(),
                generate(&manifest, target, &origin(&manifest, &path)).unwrap()
            );
        }
    }
    let bookshop = fixture("bookshop.toml");
    let path = "fixtures/manifests/bookshop.toml";
    insta::assert_snapshot!("client_ts", file(&bookshop, path, Target::Ts, "client.ts"));
    insta::assert_snapshot!(
        "bookshop_book_schema_json",
        file(&bookshop, path, Target::Jsonschema, "book.schema.json")
    );
}

#[test]
fn awkward_names_map_to_the_documented_identifiers() {
    let manifest = awkward_names();
    let names = TypeNames::new(&manifest);
    assert_eq!(names.entity("Match"), "Match");
    assert_eq!(names.entity("match"), "Match2");
    assert_eq!(names.entity("client"), "Client2");
    let rust = file(&manifest, "names.toml", Target::Rust, "src/lib.rs");
    for expected in [
        "pub type_: String,",
        "#[serde(rename = \"2fa\")]\n    pub _2fa: i32,",
        "#[serde(rename = \"created-by\", default, skip_serializing_if = \"Option::is_none\")]\n    pub created_by: Option<String>,",
        "pub self_: Kind,",
        "pub fn_: Option<serde_json::Value>,",
        "#[serde(rename = \"OrderID\")]\n    pub order_id: i64,",
        "#[serde(rename = \"order_id\")]\n    pub order_id_2: i64,",
        "#[serde(rename = \"order id\")]\n    pub order_id_3: i64,",
        "pub where_: Option<String>,",
        "#[serde(rename = \"PG-13\")]\n    Pg13,",
        "#[serde(rename = \"pg_13\")]\n    Pg132,",
        "#[serde(rename = \"2x\")]\n    _2x,",
        "#[serde(rename = \"self\")]\n    Self2,",
        "#[serde(rename = \"\")]\n    Empty,",
        "#[serde(rename = \"a b\")]\n    AB,",
        "#[serde(rename = \"*/\")]\n    pub empty: Option<Vec<Option<String>>>,",
        "type Key = (String, i32);",
    ] {
        assert!(rust.contains(expected), "missing {expected:?} in:\n{rust}");
    }
    let ts = file(&manifest, "names.toml", Target::Ts, "types.ts");
    for expected in [
        "export interface Match2Row {",
        "  type: string;",
        "  \"2fa\": number;",
        "  \"created-by\"?: string;",
        "  \"*/\": Array<string | null> | null;",
        "export type Kind = \"PG-13\" | \"pg_13\" | \"2x\" | \"self\" | \"\" | \"a b\";",
        "export interface Client2Row {",
    ] {
        assert!(ts.contains(expected), "missing {expected:?} in:\n{ts}");
    }
    // A field named `and` takes the place of the `and` group in the filter.
    let filter = &ts[ts.find("export interface Match2Filter").unwrap()..];
    let filter = &filter[..filter.find("\n}").unwrap()];
    assert!(
        filter.contains("  and?: number | null | OrderedOps<number>;"),
        "{filter}"
    );
    assert!(filter.contains("  or?: Match2Filter[];"), "{filter}");
    // Reserved parameter names get no shorthand parameter.
    let openapi: serde_json::Value = serde_json::from_str(&file(
        &manifest,
        "names.toml",
        Target::Openapi,
        "openapi.json",
    ))
    .unwrap();
    let parameters = openapi["paths"]["/api/match"]["get"]["parameters"]
        .as_array()
        .unwrap();
    // Shared list parameters are components: resolve the references.
    let resolved: Vec<&serde_json::Value> = parameters
        .iter()
        .map(|p| match p["$ref"].as_str() {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/parameters/");
                &openapi["components"]["parameters"][name]
            }
            None => p,
        })
        .collect();
    let count = |name: &str| resolved.iter().filter(|p| p["name"] == name).count();
    assert_eq!((count("where"), count("and"), count("2fa")), (1, 1, 1));
}

/// A program using the generated client: it must compile, and every
/// `@ts-expect-error` line must be an error (else tsc reports it unused).
const KITCHEN_SINK_USAGE: &str = r#"
import { createClient, BaasError } from "./kitchen_sink/index.js";

export async function main(): Promise<void> {
  const db = createClient({ url: "http://localhost:8080", token: "t" });
  const page = await db
    .from("order")
    .where({ rating: { eq: "PG" }, amount: { gt: 2 }, or: [{ paid: true }, { code: { ilike: "%a%" } }] })
    .order("code", "amount.desc.nullslast")
    .limit(20)
    .offset(40)
    .list({ count: true });
  const first: number | undefined = page.data[0]?.id;
  const total: number | null | undefined = page.count;
  const picked = await db.from("order").select("id", "code").expand("parent").list();
  const code: string | undefined = picked.data[0]?.code;
  const parent: { id: number } | null | undefined = picked.data[0]?.parent;
  // @ts-expect-error: not selected
  picked.data[0]?.amount;
  const starred = await db.from("order").select("*").list();
  const amount: string | undefined = starred.data[0]?.amount;
  const embedded = await db.from("order").select("id", "code").embed("parent", "id").list();
  const parentId: number | undefined = embedded.data[0]?.parent?.id;
  // @ts-expect-error: not embedded
  embedded.data[0]?.parent?.code;
  const whole = await db.from("order").embed("parent").list();
  const parentCode: string | undefined = whole.data[0]?.parent?.code;
  // @ts-expect-error: unknown field of the embedded link
  db.from("order").embed("parent", "nope");
  // @ts-expect-error: unknown link
  db.from("order").embed("nope");
  const changed = await db.from("order").where({ code: "x" }).updateWhere({ paid: false }, { paid: true });
  const changedIds: number[] = changed.data.map((row) => row.id);
  const gone = await db.from("order").deleteWhere({ paid: true });
  const goneCodes: string[] = gone.data.map((row) => row.code);
  // @ts-expect-error: a view cannot be written
  db.from("customer_view").deleteWhere({});
  // @ts-expect-error: not a field of the update
  db.from("order").updateWhere({ paid: true }, { nope: 1 });
  const created = await db.from("order").create({ code: "x" });
  await db.from("order").update(created.id, { paid: true, rating: null });
  await db.from("order").replace(created.id, { code: "y" });
  await db.from("order").delete(created.id);
  await db.from("Order Details").get([1, 2]);
  const views: number = await db.from("customer_view").count();
  db.from("audit_log").where({ tags: { contains: ["a"] }, payload: { contains: { k: 1 } } });
  db.from("order").where({ not: { status: { in: ["draft"] } }, customer: { is: null } });
  // @ts-expect-error: gt on a boolean
  db.from("order").where({ paid: { gt: true } });
  // @ts-expect-error: like on a number
  db.from("order").where({ amount: { like: "1%" } });
  // @ts-expect-error: contains on a string
  db.from("order").where({ code: { contains: "x" } });
  // @ts-expect-error: not a value of the enum
  db.from("order").where({ status: "archived" });
  // @ts-expect-error: a view cannot be written
  db.from("customer_view").create({ id: 1 });
  // @ts-expect-error: unknown link
  db.from("order").expand("nope");
  // @ts-expect-error: unknown entity
  db.from("nope");
  // @ts-expect-error: a required field is missing
  db.from("order").create({});
  // @ts-expect-error: a composite key is a tuple
  db.from("Order Details").get(1);
  // @ts-expect-error: unknown field to order by
  db.from("order").order("nope.desc");
  try {
    await db.from("order").get(1);
  } catch (error) {
    if (error instanceof BaasError) {
      const status: number = error.problem.status;
      const fields: string[] | undefined = error.problem.errors?.map((e) => e.field);
      void status;
      void fields;
    }
  }
  void first; void total; void code; void parent; void views;
  void amount; void parentId; void parentCode; void changedIds; void goneCodes;
}
"#;

#[allow(clippy::print_stderr)]
#[tokio::test]
async fn typescript_sdks_compile_strictly_for_fixtures_and_the_corpus() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut manifests = vec![
        ("bookshop", fixture("bookshop.toml")),
        ("kitchen_sink", fixture("kitchen_sink.toml")),
        ("names", awkward_names()),
    ];
    manifests.extend(corpus().await);
    let mut files = Vec::new();
    for (name, manifest) in &manifests {
        write(manifest, Target::Ts, &dir.path().join(name));
        for file in ["index.ts", "types.ts", "client.ts"] {
            files.push(format!("{name}/{file}"));
        }
    }
    std::fs::write(dir.path().join("usage.ts"), KITCHEN_SINK_USAGE).unwrap();
    files.push("usage.ts".into());
    let tsconfig = serde_json::json!({
        "compilerOptions": {
            "target": "ES2022", "module": "ES2022", "moduleResolution": "bundler",
            "lib": ["ES2022", "DOM"], "strict": true, "noUncheckedIndexedAccess": true,
            "noEmit": true, "skipLibCheck": true,
        },
        "files": files,
    });
    std::fs::write(dir.path().join("tsconfig.json"), tsconfig.to_string()).unwrap();

    let started = Instant::now();
    let output = Command::new(&tools.tsc)
        .args(["-p", "tsconfig.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    eprintln!(
        "tsc --strict --noEmit over {} SDKs: {:.1} s",
        manifests.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        output.status.success(),
        "tsc failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    // The generated tsconfig.json builds ESM `.js` and `.d.ts`.
    let bookshop = dir.path().join("bookshop");
    let output = Command::new(&tools.tsc)
        .args(["-p", "tsconfig.json"])
        .current_dir(&bookshop)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    for built in [
        "index.js",
        "index.d.ts",
        "types.d.ts",
        "client.js",
        "client.d.ts",
    ] {
        assert!(
            bookshop.join("dist").join(built).is_file(),
            "no dist/{built}"
        );
    }
    let index = std::fs::read_to_string(bookshop.join("dist/index.js")).unwrap();
    assert!(index.contains("export * from \"./client.js\""), "{index}");
}

#[tokio::test]
async fn openapi_documents_pass_the_validator_and_embed_the_json_schemas() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut manifests = vec![
        ("bookshop", fixture("bookshop.toml")),
        ("kitchen_sink", fixture("kitchen_sink.toml")),
        ("names", awkward_names()),
    ];
    manifests.extend(corpus().await);
    let mut paths = Vec::new();
    for (name, manifest) in &manifests {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(
            &path,
            file(manifest, "baas.toml", Target::Openapi, "openapi.json"),
        )
        .unwrap();
        paths.push(path);

        // The components are exactly the JSON Schemas, `$schema` aside.
        let document = baas::codegen::openapi::document(manifest);
        let names = TypeNames::new(manifest);
        for (entity_name, entity) in &manifest.entities {
            for shape in Shape::ALL {
                if shape != Shape::Row && entity.is_read_only() {
                    continue;
                }
                let mut schema = entity_schema(manifest, entity_name, shape);
                schema.as_object_mut().unwrap().remove("$schema");
                let component = format!("{}{}", names.entity(entity_name), shape.suffix());
                assert_eq!(
                    document["components"]["schemas"][&component], schema,
                    "{name}: {component}"
                );
            }
        }
    }
    let output = Command::new(&tools.openapi_spec_validator)
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openapi-spec-validator failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.matches(": OK").count(), paths.len(), "{stdout}");

    let pagila = &manifests
        .iter()
        .find(|(name, _)| *name == "pagila")
        .unwrap()
        .1;
    let document = baas::codegen::openapi::document(pagila);
    let film = &document["paths"]["/api/film"]["get"]["parameters"];
    let expand = film
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "expand")
        .unwrap();
    assert!(
        expand["description"]
            .as_str()
            .unwrap()
            .contains("`language` (one `language`)"),
        "{expand}"
    );
    assert!(document["paths"]["/api/film_actor/{id}"]["patch"].is_object());
    assert!(
        document["paths"]["/api/actor_info/{id}"].is_null(),
        "views have no row routes"
    );
}

/// Code using the generated crate, compiled with it.
const RUST_USAGE: &str = r#"
use crate::*;

pub async fn main() -> Result<(), Error> {
    let db = Client::new("http://localhost:8080").with_token("t");
    let films = db
        .from::<Film>()
        .filter(serde_json::json!({ "rating": { "eq": "PG" }, "rental_rate": { "gt": 2 } }))
        .order("title")
        .limit(20)
        .expand("language")
        .list()
        .await?;
    let typed = db
        .from::<Film>()
        .filter(
            Film::rating()
                .in_([MpaaRating::Pg, MpaaRating::Pg13])
                .and(Film::rental_rate().gt("2"))
                .or(Film::title().ilike("%love%").not())
                .and(Film::special_features().contains(["Trailers"])),
        )
        .filter(Film::original_language_id().is_null())
        .list()
        .await?;
    let _: Vec<FilmRow> = typed.data;
    let first: Option<&FilmRow> = films.data.first();
    let _rating: Option<Option<MpaaRating>> = first.map(|film| film.rating);
    let _count: u64 = db.from::<ActorInfo>().count().await?;
    let key: (i32, i32) = (1, 23);
    let _link = db.from::<FilmActor>().get(&key).await?;
    let created = db
        .from::<Language>()
        .create(&LanguageInsert { name: "Esperanto".into(), last_update: None })
        .await?;
    db.from::<Language>()
        .update(&created.language_id, &LanguageUpdate { name: Some("Klingon".into()), ..Default::default() })
        .await?;
    let changed: List<LanguageRow> = db
        .from::<Language>()
        .filter(Language::name().eq("Klingon"))
        .update_where(Language::language_id().gt(100), &LanguageUpdate { name: Some("Vulcan".into()), ..Default::default() })
        .await?;
    let _: Vec<LanguageRow> = changed.data;
    let _gone: List<LanguageRow> = db.from::<Language>().delete_where(serde_json::json!({ "name": "Vulcan" })).await?;
    let _embedded: List<serde_json::Value> = db
        .from::<Film>()
        .select(["*"])
        .embed("language", ["name"])
        .embed("film_actor", Vec::<String>::new())
        .list_as()
        .await?;
    db.from::<Language>().delete(&created.language_id).await?;
    let _order = db.from::<OrderDetails>().get(&(1, 2)).await?;
    let _m = db.from::<Match2>().get(&("a".to_owned(), 2)).await?;
    use futures_util::StreamExt as _;
    let changes = db
        .from::<Film>()
        .filter(Film::rating().eq(MpaaRating::Pg))
        .subscribe()
        .last_event_id(7)
        .retry(std::time::Duration::from_millis(200))
        .stream();
    let mut changes = Box::pin(changes);
    if let Some(item) = changes.next().await {
        match item? {
            Realtime::Change(change) => {
                let _: ChangeKind = change.kind;
                let _: Option<FilmRow> = change.row;
                let _: Option<FilmRow> = change.old;
                let _: u64 = change.id;
            }
            Realtime::Reset { last_event_id } => drop(last_event_id),
        }
    }
    let _one = db.from::<Language>().subscribe_row(&1).stream();
    Ok(())
}
"#;

#[allow(clippy::print_stderr)]
#[tokio::test]
async fn rust_sdk_for_pagila_and_the_fixtures_passes_cargo_check() {
    // cargo is always there; the generated crate's dependencies come from
    // crates.io the first time and from target/codegen-check after that.
    let mut manifest = imported("sql/postgres/pagila-schema.sql").await;
    for extra in [fixture("kitchen_sink.toml"), awkward_names()] {
        for (name, found) in extra.enums {
            manifest.enums.entry(name).or_insert(found);
        }
        for (name, entity) in extra.entities {
            assert!(
                manifest.entities.insert(name.clone(), entity).is_none(),
                "{name}"
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    write(&manifest, Target::Rust, dir.path());
    let lib = dir.path().join("src/lib.rs");
    let mut text = std::fs::read_to_string(&lib).unwrap();
    text.push_str("\nmod usage;\n");
    std::fs::write(&lib, text).unwrap();
    std::fs::write(dir.path().join("src/usage.rs"), RUST_USAGE).unwrap();

    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/codegen-check");
    let started = Instant::now();
    let output = Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--message-format", "short"])
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .current_dir(dir.path())
        .output()
        .unwrap();
    eprintln!(
        "cargo check of the Rust SDK ({} entities, {} enums): {:.1} s",
        manifest.entities.len(),
        manifest.enums.len(),
        started.elapsed().as_secs_f64()
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "cargo check failed:\n{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn check_exits_1_naming_stale_files_and_0_when_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = project_fixtures().join("manifests/bookshop.toml");
    std::fs::copy(&manifest, dir.path().join("baas.toml")).unwrap();

    let output = baas(dir.path()).args(["codegen", "ts"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let types = dir.path().join("generated/ts/types.ts");
    let written = std::fs::read_to_string(&types).unwrap();
    assert!(
        written.starts_with("// generated by baas from baas.toml version 1, do not edit\n"),
        "{written}"
    );

    let output = baas(dir.path())
        .args(["codegen", "ts", "--check"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // A new field: types.ts is stale, the runtime is not.
    let text = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    let text = text.replace(
        "born_on = { type = \"date\", nullable = true }",
        "born_on = { type = \"date\", nullable = true }\nwebsite = { type = \"string\", nullable = true }",
    );
    std::fs::write(dir.path().join("baas.toml"), text).unwrap();
    let output = baas(dir.path())
        .args(["codegen", "ts", "--check"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("stale: generated/ts/types.ts"), "{stderr}");
    assert!(!stderr.contains("client.ts"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&types).unwrap(),
        written,
        "--check wrote"
    );

    let output = baas(dir.path())
        .args(["--json", "codegen", "ts", "--check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["fresh"], false);
    let stale: Vec<&str> = summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|file| file["state"] != "unchanged")
        .map(|file| file["path"].as_str().unwrap())
        .collect();
    assert_eq!(stale, ["types.ts"]);

    // JSON Schema: one file per entity; a removed entity's file is extra,
    // and writing removes it (a file without the header is left alone).
    let out = dir.path().join("schemas");
    let output = baas(dir.path())
        .args(["codegen", "jsonschema", "--out", "schemas"])
        .output()
        .unwrap();
    assert!(output.status.success());
    std::fs::write(out.join("mine.json"), "{}").unwrap();
    let text = std::fs::read_to_string(dir.path().join("baas.toml")).unwrap();
    let start = text.find("[entities.review]").unwrap();
    std::fs::write(dir.path().join("baas.toml"), &text[..start]).unwrap();
    let output = baas(dir.path())
        .args(["codegen", "jsonschema", "--out", "schemas", "--check"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("extra: schemas/review.schema.json"),
        "{stderr}"
    );
    let output = baas(dir.path())
        .args(["codegen", "jsonschema", "--out", "schemas"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(!out.join("review.schema.json").exists());
    assert!(out.join("mine.json").exists());
    assert!(out.join("book.schema.json").exists());

    // Another target written into the project root leaves the TypeScript
    // output (and everything else) alone.
    let output = baas(dir.path())
        .args(["codegen", "rust", "--out", "."])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(types.exists() && dir.path().join("src/lib.rs").exists());
    assert!(dir.path().join("Cargo.toml").exists());
    assert!(dir.path().join("baas.toml").exists());

    // A broken manifest: the usual diagnostics, exit 2.
    std::fs::write(
        dir.path().join("baas.toml"),
        "[manifest]\nformat = 1\nversion = \"x\"\n",
    )
    .unwrap();
    let output = baas(dir.path())
        .args(["codegen", "openapi"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("baas.toml"));
}

/// create → list with a filter → update → delete through the generated
/// client, compiled by tsc and run by node against `baas serve --example`.
const SERVE_E2E: &str = r#"import { createClient, BaasError } from "./sdk/index.js";
declare const process: { argv: string[] };

function check(condition: boolean, message: string): void {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
}

const url = process.argv[2] ?? "";
const db = createClient({ url });

const author = await db.from("author").create({ name: "Ursula" });
check(typeof author.id === "number" && author.name === "Ursula", JSON.stringify(author));
const book = await db.from("book").create({ title: "E2E Book", isbn: "e2e-1", author_id: author.id, price: "3.50", keywords: ["a", "b"] });
check(book.genre === "fiction" && book.price === "3.50" && book.in_stock, JSON.stringify(book));

const found = await db
  .from("book")
  .where({ title: { like: "E2E%" }, price: { lt: 4 }, in_stock: true })
  .order("id.desc")
  .limit(5)
  .expand("author")
  .list({ count: true });
check(found.data.length === 1 && found.count === 1, JSON.stringify(found));
check(found.data[0]?.author?.name === "Ursula", JSON.stringify(found.data[0]));

const picked = await db.from("book").select("id", "title").where({ id: book.id }).list();
check(JSON.stringify(Object.keys(picked.data[0] ?? {})) === '["id","title"]', JSON.stringify(picked));

const starred = await db.from("book").select("*").where({ id: book.id }).list();
check(Object.keys(starred.data[0] ?? {}).length === 11, JSON.stringify(starred));
const embedded = await db.from("book").select("id").embed("author", "name").where({ id: book.id }).list();
check(JSON.stringify(embedded.data) === JSON.stringify([{ id: book.id, author: { name: "Ursula" } }]), JSON.stringify(embedded));
const spare = await db.from("book").create({ title: "E2E Spare", isbn: "e2e-3", author_id: author.id });
const changedMany = await db.from("book").where({ title: { like: "E2E%" } }).select("id", "pages").updateWhere({ id: { in: [book.id, spare.id] } }, { pages: 12 });
check(JSON.stringify(changedMany.data.map((row) => row.pages)) === "[12,12]" && changedMany.data.length === 2, JSON.stringify(changedMany));
try {
  await db.from("book").updateWhere({}, { pages: 1 });
  check(false, "a write of many rows without a filter was accepted");
} catch (error) {
  check(error instanceof BaasError && error.status === 400 && error.problem.type === "urn:baas:problem:bad-query", String(error));
}
const deletedMany = await db.from("book").deleteWhere({ id: spare.id });
check(deletedMany.data.length === 1 && deletedMany.data[0]?.title === "E2E Spare", JSON.stringify(deletedMany));
check((await db.from("book").where({ id: spare.id }).count()) === 0, "the deleted row is gone");
check((await db.from("book").get(book.id)).pages === 12, "the other row is kept");

const updated = await db.from("book").update(book.id, { price: 4.25, pages: null });
check(updated.price === "4.25" && updated.pages === null, JSON.stringify(updated));
const got = await db.from("book").get(book.id);
check(got.price === "4.25", JSON.stringify(got));
const replaced = await db.from("author").replace(author.id, { name: "Ursula K.", bio: "wrote" });
check(replaced.name === "Ursula K." && replaced.bio === "wrote", JSON.stringify(replaced));

const count = await db.from("book").where({ or: [{ genre: "poetry" }, { id: book.id }] }).count();
check(count >= 1, String(count));

const tag = await db.from("tag").create({ label: "e2e-tag" });
await db.from("book_tag").create({ book_id: book.id, tag_id: tag.id });
const link = await db.from("book_tag").get([book.id, tag.id]);
check(link.book_id === book.id, JSON.stringify(link));
await db.from("book_tag").delete([book.id, tag.id]);

const inStock = await db.from("book_in_stock").where({ id: book.id }).list();
check(inStock.data.length === 1, JSON.stringify(inStock));

await db.from("book").delete(book.id);
try {
  await db.from("book").get(book.id);
  check(false, "a deleted row is still there");
} catch (error) {
  check(error instanceof BaasError && error.status === 404 && error.problem.type === "urn:baas:problem:not-found", String(error));
}
try {
  await db.from("book").create({ title: "x".repeat(400), isbn: "e2e-2", author_id: author.id });
  check(false, "an invalid body was accepted");
} catch (error) {
  check(error instanceof BaasError && error.status === 422 && (error.problem.errors ?? []).some((e) => e.field === "title"), String(error));
}
await db.from("author").delete(author.id);
console.log("e2e: ok");
// The document the server serves, for the test to compare.
console.log(await (await fetch(`${url}/api/_openapi.json`)).text());
"#;

#[test]
fn the_typescript_client_talks_to_a_running_server() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/example/baas.toml");
    let manifest = baas::manifest::load_file(&example).unwrap().manifest;
    write(&manifest, Target::Ts, &dir.path().join("sdk"));
    std::fs::write(dir.path().join("e2e.ts"), SERVE_E2E).unwrap();
    std::fs::write(dir.path().join("package.json"), r#"{ "type": "module" }"#).unwrap();
    let tsconfig = serde_json::json!({
        "compilerOptions": {
            "target": "ES2022", "module": "ES2022", "moduleResolution": "bundler",
            "lib": ["ES2022", "DOM"], "types": [], "strict": true,
            "noUncheckedIndexedAccess": true, "outDir": "build", "skipLibCheck": true,
        },
        "files": ["e2e.ts"],
    });
    std::fs::write(dir.path().join("tsconfig.json"), tsconfig.to_string()).unwrap();
    let output = Command::new(&tools.tsc)
        .args(["-p", "tsconfig.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    // `--json` prints one ready event naming the address, once it listens.
    let server = crate::support::Spawned::start(
        Command::new(env!("CARGO_BIN_EXE_baas"))
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("HOME", dir.path())
            .env_remove("BAAS_MANIFEST")
            .env_remove("BAAS_DATABASE_URL")
            .args(["--json", "serve", "--example", "--port", "0"])
            .stderr(std::process::Stdio::null()),
    );
    let ready: serde_json::Value = serde_json::from_str(&server.line)
        .unwrap_or_else(|error| panic!("{error}: {}", server.line));
    let base = ready["url"].as_str().unwrap().trim_end_matches("/api");
    let output = Command::new("node")
        .arg("build/e2e.js")
        .arg(base)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("e2e: ok"),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // `baas serve` exposes the document `baas codegen openapi` writes.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (_, served) = stdout.split_once("e2e: ok\n").unwrap();
    let served: serde_json::Value = serde_json::from_str(served).unwrap();
    assert!(
        served == baas::codegen::openapi::document(&manifest),
        "/api/_openapi.json differs from `baas codegen openapi`"
    );
}

/// The generated client's `tenant` option and `forTenant`, by header and
/// by path prefix, against a server of file tenants: each client sees
/// only its tenant's rows.
const TENANT_E2E: &str = r#"import { createClient } from "./sdk/index.js";
import { createClient as createByPath } from "./sdk_path/index.js";
declare const process: { argv: string[] };

function check(condition: boolean, message: string): void {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
}

const url = process.argv[2] ?? "";
const headers = { apikey: process.argv[3] ?? "" };
const acme = createClient({ url, headers, tenant: "acme" });
const globex = acme.forTenant("globex");
await acme.from("note").create({ title: "acme note" });
await globex.from("note").create({ title: "globex note" });
const titles = async (rows: Promise<{ data: { title: string }[] }>) => JSON.stringify((await rows).data.map((r) => r.title));
check((await titles(acme.from("note").list())) === '["acme note"]', "acme by header");
check((await titles(globex.from("note").list())) === '["globex note"]', "globex by header");
const byPath = createByPath({ url, headers, tenant: "globex" });
check((await titles(byPath.from("note").list())) === '["globex note"]', "globex by path");
check((await titles(byPath.forTenant("acme").from("note").list())) === '["acme note"]', "acme by path");
console.log("tenant e2e: ok");
"#;

/// The server's secrets in the tenant client tests.
const TENANT_ENV: [(&str, &str); 2] = [
    ("JWT_SECRET", crate::tenancy::SECRET),
    ("BAAS_SERVICE_KEY", crate::tenancy::SERVICE_KEY),
];

/// A folder with the tenancy tests' manifest (resolved by claim, header
/// or path) and two file tenants, `acme` and `globex`; and the manifest.
fn two_file_tenants() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let text = crate::tenancy::tenant_manifest("", "file");
    std::fs::write(dir.path().join("baas.toml"), &text).unwrap();
    crate::tenancy::run_ok(
        dir.path(),
        &TENANT_ENV,
        &["migrate", "plan", "--name", "init", "--dialect", "sqlite"],
    );
    for slug in ["acme", "globex"] {
        crate::tenancy::create_tenant(dir.path(), &TENANT_ENV, slug);
    }
    (dir, text)
}

#[test]
fn the_typescript_client_names_its_tenant_by_header_or_path() {
    let Some(tools) = tools() else { return };
    let (dir, text) = two_file_tenants();
    let env = TENANT_ENV;
    let load = |text: String| {
        baas::manifest::load_str(Path::new("baas.toml"), text)
            .unwrap()
            .manifest
    };
    let client = dir.path().join("client");
    write(&load(text.clone()), Target::Ts, &client.join("sdk"));
    let by_path = text.replace(
        "resolve = [\"claim:tenant\", \"header:x-tenant\", \"path\"]",
        "resolve = [\"path\"]",
    );
    write(&load(by_path), Target::Ts, &client.join("sdk_path"));
    let generated = std::fs::read_to_string(client.join("sdk/client.ts")).unwrap();
    assert!(generated.contains("headers[\"x-tenant\"]"), "{generated}");
    std::fs::write(client.join("e2e.ts"), TENANT_E2E).unwrap();
    std::fs::write(client.join("package.json"), r#"{ "type": "module" }"#).unwrap();
    let tsconfig = serde_json::json!({
        "compilerOptions": {
            "target": "ES2022", "module": "ES2022", "moduleResolution": "bundler",
            "lib": ["ES2022", "DOM"], "types": [], "strict": true,
            "noUncheckedIndexedAccess": true, "outDir": "build", "skipLibCheck": true,
        },
        "files": ["e2e.ts"],
    });
    std::fs::write(client.join("tsconfig.json"), tsconfig.to_string()).unwrap();
    let output = Command::new(&tools.tsc)
        .args(["-p", "tsconfig.json"])
        .current_dir(&client)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let server = crate::auth::AuthServer::start_in(dir, &env);
    let output = Command::new("node")
        .arg("build/e2e.js")
        .arg(server.url(""))
        .arg(crate::tenancy::SERVICE_KEY)
        .current_dir(&client)
        .output()
        .unwrap();
    assert!(
        output.status.success()
            && String::from_utf8_lossy(&output.stdout).contains("tenant e2e: ok"),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The Rust client's tenant option, against live file tenants: the
/// arguments are the server's URL, its service key and a label.
const RUST_TENANT_E2E: &str = r#"use shop_client::*;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let (url, key, label) = (args.next().unwrap(), args.next().unwrap(), args.next().unwrap());
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("apikey", key.parse().unwrap());
    let http = reqwest::Client::builder().default_headers(headers).build()?;
    let acme = Client::new(url).with_http_client(http).with_tenant("acme");
    let globex = acme.for_tenant("globex");
    assert_eq!(globex.tenant(), Some("globex"));
    let note = |title: String| NoteInsert { title, author_id: None };
    acme.from::<Note>().create(&note(format!("acme {label}"))).await?;
    globex.from::<Note>().create(&note(format!("globex {label}"))).await?;
    for (client, tenant) in [(&acme, "acme"), (&globex, "globex")] {
        let titles: Vec<String> = client.from::<Note>().list().await?.data.into_iter().map(|row| row.title).collect();
        assert!(!titles.is_empty() && titles.iter().all(|title| title.starts_with(tenant)), "{tenant}: {titles:?}");
    }
    // Writes of many rows, in the tenant's rows only.
    let renamed = acme
        .from::<Note>()
        .update_where(Note::title().eq(format!("acme {label}")), &NoteUpdate { title: Some(format!("acme {label} 2")), ..Default::default() })
        .await?;
    assert_eq!(renamed.data.len(), 1, "{renamed:?}");
    assert_eq!(renamed.data[0].title, format!("acme {label} 2"));
    let refused = acme.from::<Note>().delete_where(serde_json::json!({})).await;
    assert!(matches!(&refused, Err(Error::Problem(problem)) if problem.status == 400), "{refused:?}");
    let removed = globex.from::<Note>().delete_where(Note::title().like("globex%")).await?;
    assert!(!removed.data.is_empty() && globex.from::<Note>().count().await? == 0, "{removed:?}");
    assert!(acme.from::<Note>().count().await? > 0);
    let noted: List<serde_json::Value> = acme.from::<Note>().select(["*"]).list_as().await?;
    assert!(noted.data.iter().all(|row| row.get("title").is_some()));
    println!("rust tenant e2e: ok");
    Ok(())
}
"#;

#[test]
fn the_rust_client_names_its_tenant_by_header_or_path() {
    let (dir, text) = two_file_tenants();
    let env = TENANT_ENV;
    let by_header = text.replace(
        "resolve = [\"claim:tenant\", \"header:x-tenant\", \"path\"]",
        "resolve = [\"claim:tenant\", \"header:x-tenant\"]",
    );
    let by_path = text.replace(
        "resolve = [\"claim:tenant\", \"header:x-tenant\", \"path\"]",
        "resolve = [\"path\"]",
    );
    let client = dir.path().join("client");
    let server = crate::auth::AuthServer::start_in(dir, &env);
    for (label, text, sent) in [
        ("header", by_header, "\"x-tenant\""),
        ("path", by_path, "/t/{}"),
    ] {
        let manifest = baas::manifest::load_str(Path::new("baas.toml"), text)
            .unwrap()
            .manifest;
        let sdk = client.join(label);
        write(&manifest, Target::Rust, &sdk);
        let generated = std::fs::read_to_string(sdk.join("src/lib.rs")).unwrap();
        assert!(generated.contains(sent), "{label}: {generated}");
        let cargo_toml = sdk.join("Cargo.toml");
        let mut manifest_text = std::fs::read_to_string(&cargo_toml).unwrap();
        manifest_text.push_str(
            "\n[dev-dependencies]\ntokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }\n",
        );
        std::fs::write(&cargo_toml, manifest_text).unwrap();
        std::fs::create_dir_all(sdk.join("examples")).unwrap();
        std::fs::write(sdk.join("examples/tenant.rs"), RUST_TENANT_E2E).unwrap();
        let output = Command::new(build_rust_example(&sdk, "tenant"))
            .arg(server.url(""))
            .arg(crate::tenancy::SERVICE_KEY)
            .arg(label)
            .output()
            .unwrap();
        assert!(
            output.status.success()
                && String::from_utf8_lossy(&output.stdout).contains("rust tenant e2e: ok"),
            "{label}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Builds example `name` of the generated Rust crate in `sdk` (in the
/// codegen check's target folder, whose crates are already built) and
/// returns the binary's path.
#[allow(clippy::print_stderr)]
pub(crate) fn build_rust_example(sdk: &Path, name: &str) -> std::path::PathBuf {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/codegen-check");
    let started = std::time::Instant::now();
    let output = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "--example",
            name,
            "--message-format",
            "short",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .current_dir(sdk)
        .output()
        .unwrap();
    eprintln!(
        "cargo build of the Rust SDK's example `{name}`: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target.join("debug/examples").join(name)
}
