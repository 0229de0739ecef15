//! TypeScript: types per entity and a zero-dependency `fetch` client.
//!
//! Output (ESM sources): `types.ts` (wire types, enums as string unions,
//! `Row`/`Insert`/`Update`/`Filter`/`Links` per entity and the `Entities`
//! map), `client.ts` (the runtime: `createClient`, the query builder,
//! `BaasError`), `index.ts` (re-exports), and a `package.json` plus
//! `tsconfig.json` so that `npx tsc` in the output directory emits `dist/`
//! with `.js` and `.d.ts` files. Sources rather than prebuilt `.js`/`.d.ts`:
//! a TypeScript project imports them as they are, a JavaScript one builds
//! them once, and the strict compiler checks exactly what users read.

use serde::Serialize;

use super::names::{TypeNames, ts_property};
use super::{Origin, OutputFile, RenderError, render};
use crate::manifest::links::links;
use crate::manifest::{Field, FieldType, Manifest};

#[derive(Serialize)]
struct Context {
    header: String,
    package: String,
    version: u64,
    enums: Vec<EnumView>,
    entities: Vec<EntityView>,
    /// How the client names its tenant (`[tenancy]` with a header or the
    /// path in `resolve`).
    tenancy: Option<super::TenancyView>,
}

#[derive(Serialize)]
struct EnumView {
    name: String,
    wire: String,
    union: String,
}

#[derive(Serialize)]
struct EntityView {
    /// The wire name as a string literal.
    literal: String,
    wire: String,
    base: String,
    comment: Option<String>,
    read_only: bool,
    /// The key type (`number`, `[number, number]`), `never` without a key.
    key: String,
    fields: Vec<FieldView>,
    /// The union of field names, `never` without fields.
    field_union: String,
    links: Vec<LinkView>,
    /// Which of `and`/`or`/`not` the filter type may use (not field names).
    logical: Vec<String>,
}

#[derive(Serialize)]
struct FieldView {
    property: String,
    comment: Option<String>,
    row: String,
    row_optional: bool,
    input: String,
    insert_optional: bool,
    generated: bool,
    clause: String,
}

#[derive(Serialize)]
struct LinkView {
    property: String,
    ty: String,
}

/// The TypeScript files for `manifest`.
pub fn generate(manifest: &Manifest, origin: &Origin) -> Result<Vec<OutputFile>, RenderError> {
    let context = context(manifest, origin);
    let mut out = Vec::new();
    for (path, template) in [
        ("client.ts", "ts/client.ts"),
        ("index.ts", "ts/index.ts"),
        ("package.json", "ts/package.json"),
        ("tsconfig.json", "ts/tsconfig.json"),
        ("types.ts", "ts/types.ts"),
    ] {
        out.push(OutputFile {
            path: path.into(),
            content: render(template, &context)?,
        });
    }
    Ok(out)
}

fn context(manifest: &Manifest, origin: &Origin) -> Context {
    let names = TypeNames::new(manifest);
    let all_links = links(manifest);
    let enums = manifest
        .enums
        .iter()
        .map(|(name, found)| EnumView {
            name: names.enumeration(name).to_owned(),
            wire: doc_comment(name),
            union: union(found.values.iter().map(|value| literal(value))),
        })
        .collect();
    let entities = manifest
        .entities
        .iter()
        .map(|(name, entity)| {
            let fields = entity
                .fields
                .iter()
                .map(|(field_name, field)| FieldView {
                    property: ts_property(field_name),
                    comment: field.comment.as_deref().map(doc_comment),
                    row: value_type(manifest, &names, field, false),
                    row_optional: field.optional,
                    input: value_type(manifest, &names, field, true),
                    insert_optional: field.is_optional_on_insert(),
                    generated: field.generated.is_some(),
                    clause: clause_type(manifest, &names, field),
                })
                .collect();
            let key_types: Vec<String> = entity
                .primary_key
                .iter()
                .filter_map(|key| entity.fields.get(key))
                .map(|field| {
                    value_type(
                        manifest,
                        &names,
                        &Field {
                            nullable: false,
                            ..field.clone()
                        },
                        false,
                    )
                })
                .collect();
            let key = match key_types.as_slice() {
                [] => "never".to_owned(),
                [single] => single.clone(),
                several => format!("[{}]", several.join(", ")),
            };
            let links = all_links
                .get(name)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|link| {
                    let row = format!("{}Row", names.entity(&link.to));
                    LinkView {
                        property: ts_property(&link.name),
                        ty: if link.many {
                            format!("{row}[]")
                        } else {
                            format!("{row} | null")
                        },
                    }
                })
                .collect();
            EntityView {
                literal: literal(name),
                wire: doc_comment(name),
                base: names.entity(name).to_owned(),
                comment: entity.comment.as_deref().map(doc_comment),
                read_only: entity.is_read_only(),
                key,
                fields,
                field_union: union(entity.fields.keys().map(|field| literal(field))),
                links,
                logical: ["and", "or", "not"]
                    .into_iter()
                    .filter(|word| !entity.fields.contains_key(*word))
                    .map(str::to_owned)
                    .collect(),
            }
        })
        .collect();
    Context {
        header: origin.header(),
        package: package_name(manifest),
        version: manifest.version,
        enums,
        entities,
        tenancy: super::tenancy_view(manifest, literal),
    }
}

/// The npm package name: the project name, lowercased, `-`-separated, with
/// `-client`.
fn package_name(manifest: &Manifest) -> String {
    let project = manifest.project.name.as_deref().unwrap_or("baas");
    let words = super::names::words(project)
        .iter()
        .map(|word| word.to_lowercase())
        .filter(|word| word.is_ascii())
        .collect::<Vec<_>>();
    if words.is_empty() {
        "baas-client".into()
    } else {
        format!("{}-client", words.join("-"))
    }
}

/// A TypeScript string literal (JSON escaping is valid TypeScript).
fn literal(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn union(members: impl Iterator<Item = String>) -> String {
    let members: Vec<String> = members.collect();
    if members.is_empty() {
        "never".into()
    } else {
        members.join(" | ")
    }
}

/// The text of a `/** */` comment, made safe to embed.
fn doc_comment(text: &str) -> String {
    text.replace("*/", "*\\/")
        .lines()
        .collect::<Vec<_>>()
        .join("\n * ")
}

/// The wire type of `field`; `input` for request bodies (a decimal may also
/// be sent as a number).
fn value_type(manifest: &Manifest, names: &TypeNames, field: &Field, input: bool) -> String {
    let base = match field.ty {
        FieldType::Bool => "boolean".to_owned(),
        FieldType::Int16
        | FieldType::Int32
        | FieldType::Int64
        | FieldType::Float32
        | FieldType::Float64 => "number".into(),
        FieldType::Decimal if input => "string | number".into(),
        FieldType::Json => "JsonValue".into(),
        FieldType::Enum => match field.enum_name.as_deref() {
            Some(name) if manifest.enums.contains_key(name) => names.enumeration(name).to_owned(),
            _ => "string".into(),
        },
        FieldType::Array => match &field.items {
            Some(items) => format!("Array<{}>", value_type(manifest, names, items, input)),
            None => "JsonValue[]".into(),
        },
        FieldType::Object => match &field.fields {
            Some(fields) if !fields.is_empty() => {
                let members: Vec<String> = fields
                    .iter()
                    .map(|(name, nested)| {
                        format!(
                            "{}{}: {}",
                            ts_property(name),
                            if nested.optional { "?" } else { "" },
                            value_type(manifest, names, nested, input)
                        )
                    })
                    .collect();
                format!("{{ {} }}", members.join("; "))
            }
            _ => match &field.items {
                // A map: `items` is the shape of its values.
                Some(values) => format!(
                    "{{ [key: string]: {} }}",
                    value_type(manifest, names, values, input)
                ),
                None => "{ [key: string]: JsonValue }".into(),
            },
        },
        FieldType::Decimal
        | FieldType::String
        | FieldType::Text
        | FieldType::Uuid
        | FieldType::ObjectId
        | FieldType::Date
        | FieldType::Time
        | FieldType::Timestamp
        | FieldType::Timestamptz
        | FieldType::Interval
        | FieldType::Bytes
        | FieldType::Native => "string".into(),
    };
    if field.nullable && field.ty != FieldType::Json {
        if is_union(&base) {
            format!("({base}) | null")
        } else {
            format!("{base} | null")
        }
    } else {
        base
    }
}

/// Whether `ty` is a union at its top level (`string | number`, not
/// `Array<string | null>`), so that it needs parentheses inside another.
fn is_union(ty: &str) -> bool {
    let mut depth = 0i32;
    for c in ty.chars() {
        match c {
            '<' | '{' | '(' | '[' => depth += 1,
            '>' | '}' | ')' | ']' => depth -= 1,
            '|' if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// The filter clause type of `field`: a value (eq) or the operators its
/// type allows (docs/api.md: no `gt` on booleans, `like` only on strings,
/// `contains` only on arrays and json).
fn clause_type(manifest: &Manifest, names: &TypeNames, field: &Field) -> String {
    let value = value_type(
        manifest,
        names,
        &Field {
            nullable: false,
            ..field.clone()
        },
        true,
    );
    let null = if field.nullable && field.ty != FieldType::Json {
        " | null"
    } else {
        ""
    };
    let operators = match field.ty {
        FieldType::Bool => "BoolOps".to_owned(),
        FieldType::String | FieldType::Text => "StringOps".to_owned(),
        FieldType::Json => return "JsonValue | JsonOps".to_owned(),
        FieldType::Array => {
            let items = field.items.as_deref().map_or_else(
                || "JsonValue".to_owned(),
                |items| value_type(manifest, names, items, true),
            );
            format!("ArrayOps<{items}>")
        }
        FieldType::Bytes | FieldType::Object | FieldType::Native => {
            format!("EqualityOps<{value}>")
        }
        _ => format!("OrderedOps<{value}>"),
    };
    let value = if is_union(&value) {
        format!("({value})")
    } else {
        value
    };
    format!("{value}{null} | {operators}")
}
