//! How manifest names become identifiers in generated code.
//!
//! Wire names never change: a field is always sent and read under its
//! manifest name, an entity is always addressed by its manifest name. Only
//! the identifiers a language needs are derived, by these rules:
//!
//! - **Words.** A name is split into words at every character that is not a
//!   letter or a digit (`Order Details`, `created-by`, `film_id`) and at case
//!   changes (`AlbumId` → `Album`, `Id`; `HTTPRequest` → `HTTP`, `Request`).
//! - **Types** (both languages): the words in PascalCase (`film_actor` →
//!   `FilmActor`, `Order Details` → `OrderDetails`, `PG-13` → `Pg13`). Per
//!   entity the types are that base plus `Row`, `Insert`, `Update`, `Filter`,
//!   `List` and `Links` (`FilmRow`); an enum is its base alone (`MpaaRating`).
//! - **TypeScript properties** keep the field name; it is quoted when it is
//!   not an identifier (`"Order ID": number`). Reserved words are valid
//!   property names and stay as they are.
//! - **Rust fields and methods**: the words in snake_case (`AlbumId` →
//!   `album_id`), with `#[serde(rename = "...")]` when that differs from the
//!   wire name. A Rust keyword gets a `_` suffix (`type` → `type_`).
//! - **Leading digit**: an identifier that would start with a digit gets a
//!   `_` prefix (`2fa` → `_2fa`, `_2fa` as a type too). A name with no
//!   letter or digit at all becomes `Empty` (types) or `empty` (fields).
//! - **Collisions** (two names mapping to one identifier, or a name taken by
//!   the generated runtime such as `Client`, `Query`, `BaasError`): the later
//!   name, in manifest order (entities and enums sorted by name, fields in
//!   field order), gets `2`, `3`... appended (`_2`, `_3` for snake_case).
//!
//! The same rules feed the OpenAPI document: its component names are the
//! type names above, so `FilmRow` means the same thing everywhere.

use std::collections::{BTreeMap, BTreeSet};

use crate::manifest::Manifest;

/// Suffixes of the per-entity type names.
pub const ENTITY_TYPE_SUFFIXES: &[&str] = &["Row", "Insert", "Update", "Filter", "List", "Links"];

/// Names the generated runtimes and the OpenAPI document use themselves.
const RESERVED_TYPES: &[&str] = &[
    // TypeScript runtime and built-ins
    "BaasError",
    "Client",
    "ClientOptions",
    "Entities",
    "EntityName",
    "JsonValue",
    "ListResult",
    "Problem",
    "ProblemField",
    "Query",
    "ReadQuery",
    "TableQuery",
    "Array",
    "Record",
    "Partial",
    "Pick",
    "Promise",
    "Date",
    "Error",
    "Object",
    "String",
    "Number",
    "Boolean",
    // Rust runtime and prelude
    "Entity",
    "Writable",
    "Keyed",
    "Key",
    "List",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "Box",
    "Value",
    "Self",
    // OpenAPI components
    "Filter",
    "FilterOperators",
    "QueryBody",
];

/// Rust keywords (strict and reserved, 2024 edition).
const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "union",
];

/// The words of `name`, split at non-alphanumerics and case changes.
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in name.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = chunk.chars().collect();
        let mut word = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let previous = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = match previous {
                None => false,
                Some(p) => {
                    // fooBar | HTTPRequest (before the `R` of `Request`)
                    (c.is_uppercase() && (p.is_lowercase() || p.is_ascii_digit()))
                        || (c.is_uppercase()
                            && p.is_uppercase()
                            && next.is_some_and(char::is_lowercase))
                }
            };
            if boundary && !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            word.push(c);
        }
        if !word.is_empty() {
            out.push(word);
        }
    }
    out
}

/// `film_actor` → `FilmActor`; see the module rules.
pub fn pascal_case(name: &str) -> String {
    let mut out: String = words(name)
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect();
    fix_start(&mut out);
    out
}

/// `AlbumId` → `album_id`; see the module rules.
pub fn snake_case(name: &str) -> String {
    let mut out = words(name)
        .iter()
        .map(|word| word.to_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if out.is_empty() {
        out.push_str("empty");
    }
    fix_start(&mut out);
    out
}

fn fix_start(identifier: &mut String) {
    if identifier.is_empty() {
        identifier.push_str("Empty");
    } else if identifier.starts_with(|c: char| c.is_ascii_digit()) {
        identifier.insert(0, '_');
    }
}

/// Whether `name` can be written bare as a TypeScript property name.
pub fn is_ts_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A TypeScript property key for field `name`: bare or a quoted string.
pub fn ts_property(name: &str) -> String {
    if is_ts_identifier(name) {
        name.to_owned()
    } else {
        serde_json::Value::String(name.to_owned()).to_string()
    }
}

/// A Rust field or method identifier for `name` (snake_case, keywords
/// suffixed with `_`).
pub fn rust_field(name: &str) -> String {
    let mut out = snake_case(name);
    if RUST_KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// Allocates identifiers in one namespace, suffixing collisions.
#[derive(Debug, Default)]
struct Namespace {
    taken: BTreeSet<String>,
}

impl Namespace {
    fn with_reserved(reserved: &[&str]) -> Self {
        Self {
            taken: reserved.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// `wanted` if it and every `wanted + suffix` are free, else `wanted2`,
    /// `wanted3`... (with `separator` before the number); records them.
    fn claim(&mut self, wanted: &str, separator: &str, suffixes: &[&str]) -> String {
        let free = |taken: &BTreeSet<String>, base: &str| {
            !taken.contains(base)
                && suffixes
                    .iter()
                    .all(|suffix| !taken.contains(&format!("{base}{suffix}")))
        };
        let name = if free(&self.taken, wanted) {
            wanted.to_owned()
        } else {
            (2..)
                .map(|n| format!("{wanted}{separator}{n}"))
                .find(|name| free(&self.taken, name))
                .expect("an unbounded range finds a free name")
        };
        self.taken.insert(name.clone());
        for suffix in suffixes {
            self.taken.insert(format!("{name}{suffix}"));
        }
        name
    }
}

/// The type names of one manifest, shared by every generator.
#[derive(Debug, Clone)]
pub struct TypeNames {
    /// Entity name → base type name (`film` → `Film`; `FilmRow` etc. derive from it).
    pub entities: BTreeMap<String, String>,
    /// Enum name → type name.
    pub enums: BTreeMap<String, String>,
}

impl TypeNames {
    pub fn new(manifest: &Manifest) -> Self {
        let mut namespace = Namespace::with_reserved(RESERVED_TYPES);
        let entities = manifest
            .entities
            .keys()
            .map(|name| {
                let base = namespace.claim(&pascal_case(name), "", ENTITY_TYPE_SUFFIXES);
                (name.clone(), base)
            })
            .collect();
        let enums = manifest
            .enums
            .keys()
            .map(|name| (name.clone(), namespace.claim(&pascal_case(name), "", &[])))
            .collect();
        Self { entities, enums }
    }

    /// The base type name of `entity`.
    pub fn entity(&self, entity: &str) -> &str {
        self.entities.get(entity).map_or("_", String::as_str)
    }

    /// The type name of enum `name`.
    pub fn enumeration(&self, name: &str) -> &str {
        self.enums.get(name).map_or("_", String::as_str)
    }
}

/// Rust identifiers for a list of names (fields of one struct, variants of
/// one enum), collisions suffixed in order.
pub fn rust_fields<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut namespace = Namespace::default();
    names
        .into_iter()
        .map(|name| namespace.claim(&rust_field(name), "_", &[]))
        .collect()
}

/// Rust enum variants for enum values (PascalCase, collisions suffixed).
pub fn rust_variants<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut namespace = Namespace::with_reserved(&["Self"]);
    values
        .into_iter()
        .map(|value| namespace.claim(&pascal_case(value), "", &[]))
        .collect()
}

/// A file name for `name` (an entity's JSON Schema file): letters, digits,
/// `_`, `-` and `.` kept, anything else `_`.
pub fn file_stem(name: &str) -> String {
    let out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with('.') {
        format!("_{out}")
    } else {
        out
    }
}

/// File stems for a list of names, collisions suffixed in order.
pub fn file_stems<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut namespace = Namespace::default();
    names
        .into_iter()
        .map(|name| namespace.claim(&file_stem(name), "_", &[]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words_at_symbols_and_case_changes() {
        assert_eq!(words("film_actor"), ["film", "actor"]);
        assert_eq!(words("AlbumId"), ["Album", "Id"]);
        assert_eq!(words("HTTPRequest"), ["HTTP", "Request"]);
        assert_eq!(words("Order Details"), ["Order", "Details"]);
        assert_eq!(words("PG-13"), ["PG", "13"]);
        assert_eq!(words("_id"), ["id"]);
    }

    #[test]
    fn identifiers_follow_the_documented_rules() {
        assert_eq!(pascal_case("film_actor"), "FilmActor");
        assert_eq!(pascal_case("Order Details"), "OrderDetails");
        assert_eq!(pascal_case("NC-17"), "Nc17");
        assert_eq!(pascal_case("2fa"), "_2fa");
        assert_eq!(pascal_case("--"), "Empty");
        assert_eq!(snake_case("*/"), "empty");
        assert_eq!(snake_case("AlbumId"), "album_id");
        assert_eq!(snake_case("OrderID"), "order_id");
        assert_eq!(snake_case("created by"), "created_by");
        assert_eq!(rust_field("type"), "type_");
        assert_eq!(rust_field("self"), "self_");
        assert_eq!(rust_field("2fa"), "_2fa");
        assert_eq!(ts_property("title"), "title");
        assert_eq!(ts_property("created by"), "\"created by\"");
        assert_eq!(ts_property("2fa"), "\"2fa\"");
        assert_eq!(ts_property("class"), "class");
    }

    #[test]
    fn collisions_are_suffixed_in_order() {
        assert_eq!(
            rust_fields(["OrderID", "order_id", "order id"]),
            ["order_id", "order_id_2", "order_id_3"]
        );
        assert_eq!(
            rust_variants(["PG-13", "pg_13", "G"]),
            ["Pg13", "Pg132", "G"]
        );
        assert_eq!(file_stems(["a b", "a/b", "c"]), ["a_b", "a_b_2", "c"]);
        let manifest = crate::manifest::load_str(
            std::path::Path::new("baas.toml"),
            r#"
[manifest]
format = 1
version = 1
[enums.film_row]
values = ["a"]
[entities.film]
table = "film"
[entities.film.fields]
id = { type = "int32" }
[entities.Film]
table = "Film2"
[entities.Film.fields]
id = { type = "int32" }
[entities.client]
table = "client"
[entities.client.fields]
id = { type = "int32" }
"#
            .to_owned(),
        )
        .unwrap()
        .manifest;
        let names = TypeNames::new(&manifest);
        assert_eq!(names.entity("Film"), "Film");
        assert_eq!(names.entity("film"), "Film2");
        assert_eq!(names.entity("client"), "Client2");
        assert_eq!(names.enumeration("film_row"), "FilmRow2");
    }
}
