//! Hosted schema documents: Supabase / PostgREST (`GET /rest/v1/`) and
//! OpenAPI documents served over HTTP.
//!
//! `baas introspect https://PROJECT.supabase.co --key KEY` (any `http(s)`
//! address whose path is empty, `/` or `/rest/v1`) fetches the PostgREST
//! schema document from `<url>/rest/v1/` with the key as `apikey` and as a
//! bearer token. That document is Swagger 2.0 whose properties carry the
//! PostgreSQL column types in `format` (`integer`, `character varying`,
//! `timestamp with time zone`, `public.mood`, `text[]`), the enum labels in
//! `enum`, `NOT NULL` columns in `required`, column defaults in `default`,
//! and primary and foreign keys as notes in `description`
//! (`<pk/>`, `<fk table='t' column='c'/>`). Types are read with the
//! PostgreSQL dialect's own mapping, so a Supabase manifest names types the
//! way one read straight from the database would.
//!
//! Any other address is fetched as it is and read as an OpenAPI document
//! (the key, when given, is sent the same way).
//!
//! The key is never written: not to the manifest, not to an error. An HTTP
//! error status or a failed connection is [`IntrospectError::Connect`]
//! (exit 3), a refused key (401/403) included, as a refused database
//! password is; a missing key is bad usage (exit 2).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use url::Url;

use super::SourceFile;
use super::json_schema::{Syntax, default_fits, literal, locate, read_document};
use crate::dialect::postgres::builtin_field;
use crate::ledger::Ledger;
use crate::manifest::{
    Api, CURRENT_FORMAT, DefaultValue, Diagnostics, Entity, Enum, Field, FieldType, Generated,
    GeneratedKind, Literal, Manifest, Operation, Project, ReferentialAction, Relation,
    RelationTarget, Source, SourceEngine,
};
use crate::source::{IntrospectError, IntrospectOptions, Introspection};

/// How long one fetch may take, connection and body included.
const TIMEOUT: Duration = Duration::from_secs(60);
/// The largest document read (PostgREST documents of big schemas are a few MB).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Fetches the schema document at `url` and reads it into a manifest.
pub async fn fetch(
    url: &Url,
    options: &IntrospectOptions,
) -> Result<Introspection, IntrospectError> {
    let endpoint = Endpoint::of(url);
    let key = options.key.clone().filter(|key| !key.is_empty());
    if endpoint.postgrest && key.is_none() {
        return Err(IntrospectError::Unsupported(format!(
            "`{}` is a Supabase / PostgREST address, which needs an API key: pass --key \
             (or set BAAS_API_KEY) with the project's anon or service-role key",
            endpoint.project
        )));
    }
    let document_url = endpoint.document.clone();
    let fetch_key = key.clone();
    let body = tokio::task::spawn_blocking(move || get(&document_url, fetch_key.as_deref()))
        .await
        .map_err(|error| IntrospectError::Connect {
            target: endpoint.document.clone(),
            reason: format!("the request task failed: {error}"),
        })??;
    let file = SourceFile {
        path: PathBuf::from(crate::source::redact(&endpoint.document)),
        text: Arc::new(body),
    };
    let result = if endpoint.postgrest {
        from_postgrest(&file, &endpoint.project)
    } else {
        super::openapi::parse(&file, options).map(|mut introspection| {
            super::openapi::resolve_base_url(&mut introspection.manifest, url);
            introspection
        })
    };
    result.map_err(IntrospectError::Invalid)
}

/// Where the document is, and what the manifest records.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    /// The URL fetched.
    document: String,
    /// The project URL (`[source] url`), without `/rest/v1`.
    project: String,
    /// A PostgREST schema document, rather than an OpenAPI file.
    postgrest: bool,
}

impl Endpoint {
    fn of(url: &Url) -> Self {
        let mut base = url.clone();
        base.set_query(None);
        base.set_fragment(None);
        let path = base.path().trim_end_matches('/').to_owned();
        let postgrest_path = path.is_empty() || path.ends_with("/rest/v1");
        if !postgrest_path {
            return Self {
                document: url.to_string(),
                project: url.to_string(),
                postgrest: false,
            };
        }
        let project_path = path.strip_suffix("/rest/v1").unwrap_or(&path).to_owned();
        base.set_path(&project_path);
        // Credentials in the address are for the request, not for the manifest.
        let _ = base.set_username("");
        let _ = base.set_password(None);
        let project = base.as_str().trim_end_matches('/').to_owned();
        Self {
            document: format!("{project}/rest/v1/"),
            project,
            postgrest: true,
        }
    }
}

/// `GET url` with the key headers; the body of a 2xx answer.
fn get(url: &str, key: Option<&str>) -> Result<String, IntrospectError> {
    let hide = |text: String| match key {
        Some(key) if key.len() >= 4 => text.replace(key, "***"),
        _ => text,
    };
    let connect = |reason: String| IntrospectError::Connect {
        target: url.to_owned(),
        reason: hide(reason),
    };
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .user_agent(concat!("baas/", env!("CARGO_PKG_VERSION")))
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let mut request = agent
        .get(url)
        .header("Accept", "application/openapi+json, application/json;q=0.9");
    if let Some(key) = key {
        request = request
            .header("apikey", key)
            .header("Authorization", &format!("Bearer {key}"));
    }
    let mut response = request.call().map_err(|error| connect(error.to_string()))?;
    let status = response.status();
    if status.as_u16() == 401 || status.as_u16() == 403 {
        return Err(connect(format!(
            "the server refused the API key (HTTP {status}); check --key: the project's anon \
             or service-role key"
        )));
    }
    if !status.is_success() {
        return Err(connect(format!("the server answered HTTP {status}")));
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_BYTES)
        .read_to_string()
        .map_err(|error| connect(format!("failed to read the answer: {error}")))
}

// ---------------------------------------------------------------------------
// The PostgREST document → manifest

/// Reads a PostgREST schema document; `project` is the project URL.
pub(crate) fn from_postgrest(
    file: &SourceFile,
    project: &str,
) -> Result<Introspection, Diagnostics> {
    let document = read_document(file)?;
    let root = &document.value;
    let problem = |pointer: &[&str], message: &str| {
        let pointer: Vec<String> = pointer.iter().map(|s| (*s).to_owned()).collect();
        let span = locate(&file.text, document.syntax, &pointer);
        file.diagnostics(vec![file.problem(span, message.to_owned())])
    };
    if root.get("swagger").and_then(Value::as_str) != Some("2.0") {
        return Err(problem(
            &["swagger"],
            "not a PostgREST schema document: expected Swagger 2.0 (`\"swagger\": \"2.0\"`)",
        ));
    }
    let definitions = match root.get("definitions") {
        None => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(problem(
                &["definitions"],
                "`definitions` must be an object of tables",
            ));
        }
    };

    let mut reader = Reader {
        file,
        syntax: document.syntax,
        enums: BTreeMap::new(),
        ledger: Ledger::new(),
        problems: Vec::new(),
    };
    let tables: BTreeSet<&str> = definitions.keys().map(String::as_str).collect();
    let mut entities = BTreeMap::new();
    for (table, definition) in &definitions {
        if let Some(entity) = reader.table(table, definition, &tables) {
            entities.insert(table.clone(), entity);
        }
    }
    if !reader.problems.is_empty() {
        return Err(file.diagnostics(reader.problems));
    }
    // A foreign key to a column its table does not list cannot be a relation.
    let columns: BTreeMap<String, BTreeSet<String>> = entities
        .iter()
        .map(|(name, entity)| (name.clone(), entity.fields.keys().cloned().collect()))
        .collect();
    for (name, entity) in &mut entities {
        entity.relations.retain(|relation| {
            let known = columns
                .get(&relation.references.entity)
                .is_some_and(|fields| {
                    relation
                        .references
                        .fields
                        .iter()
                        .all(|f| fields.contains(f))
                });
            if !known {
                reader.ledger.record(
                    format!("{name}.{}", relation.fields.join(",")),
                    "foreign_key",
                    format!(
                        "the foreign key references `{}.{}`, a column the document does not \
                         list; no relation is recorded",
                        relation.references.entity,
                        relation.references.fields.join(",")
                    ),
                );
            }
            known
        });
    }

    let operations = operations(root, &entities);
    let host = Url::parse(project)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned));
    let name = match host.as_deref() {
        Some(host) if host.ends_with(".supabase.co") => host.split('.').next().map(str::to_owned),
        _ => root
            .pointer("/info/title")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(host),
    };
    let manifest = Manifest {
        format: CURRENT_FORMAT,
        version: 1,
        project: Project { name },
        source: Some(Source {
            engine: SourceEngine::Supabase,
            url: Some(project.to_owned()),
            schemas: Vec::new(),
        }),
        enums: reader.enums,
        entities,
        api: Some(Api {
            base_url: Some(format!("{project}/rest/v1")),
            operations,
            ..Api::default()
        }),
        auth: None,
        ..Manifest::default()
    };
    Ok(Introspection {
        manifest,
        ledger: reader.ledger,
    })
}

struct Reader<'a> {
    file: &'a SourceFile,
    syntax: Syntax,
    enums: BTreeMap<String, Enum>,
    ledger: Ledger,
    problems: Vec<crate::manifest::Problem>,
}

/// What a column's description says.
#[derive(Debug, Default, PartialEq)]
struct Notes {
    comment: Option<String>,
    primary_key: bool,
    /// `(table, column)` of a foreign key.
    references: Option<(String, String)>,
}

impl Reader<'_> {
    fn problem(&mut self, pointer: &[&str], message: String) {
        let pointer: Vec<String> = pointer.iter().map(|s| (*s).to_owned()).collect();
        let span = locate(&self.file.text, self.syntax, &pointer);
        self.problems.push(self.file.problem(span, message));
    }

    fn table(
        &mut self,
        table: &str,
        definition: &Value,
        tables: &BTreeSet<&str>,
    ) -> Option<Entity> {
        let Value::Object(definition) = definition else {
            self.problem(
                &["definitions", table],
                format!("table `{table}` must be an object"),
            );
            return None;
        };
        let required: BTreeSet<&str> = match definition.get("required") {
            None => BTreeSet::new(),
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            Some(_) => {
                self.problem(
                    &["definitions", table, "required"],
                    "`required` must be an array of column names".to_owned(),
                );
                BTreeSet::new()
            }
        };
        let properties = match definition.get("properties") {
            Some(Value::Object(properties)) => properties,
            None => {
                self.ledger.record(
                    table,
                    "empty_object",
                    format!("`{table}` has no columns in the document; left out"),
                );
                return None;
            }
            Some(_) => {
                self.problem(
                    &["definitions", table, "properties"],
                    "`properties` must be an object of columns".to_owned(),
                );
                return None;
            }
        };
        let mut entity = Entity::new(table);
        entity.comment = definition
            .get("description")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned);
        for (column, property) in properties {
            let Value::Object(property) = property else {
                self.problem(
                    &["definitions", table, "properties", column],
                    format!("column `{column}` must be an object"),
                );
                continue;
            };
            let notes = property
                .get("description")
                .and_then(Value::as_str)
                .map(notes)
                .unwrap_or_default();
            let mut field = self.column_field(table, column, property);
            field.nullable = !required.contains(column.as_str()) && !notes.primary_key;
            field.comment = notes.comment;
            if let Some(default) = property.get("default") {
                self.default(table, column, &mut field, default);
            }
            if notes.primary_key {
                entity.primary_key.push(column.clone());
            }
            if let Some((target_table, target_column)) = notes.references {
                if tables.contains(target_table.as_str()) {
                    entity.relations.push(Relation {
                        name: None,
                        fields: vec![column.clone()],
                        references: RelationTarget {
                            entity: target_table,
                            fields: vec![target_column],
                        },
                        on_delete: ReferentialAction::NoAction,
                        on_update: ReferentialAction::NoAction,
                        deferrable: false,
                        deferred: false,
                        comment: None,
                    });
                } else {
                    self.ledger.record(
                        format!("{table}.{column}"),
                        "foreign_key",
                        format!(
                            "`{column}` references `{target_table}.{target_column}`, which the \
                             document does not describe (another schema?); no relation is recorded"
                        ),
                    );
                }
            }
            entity.fields.insert(column.clone(), field);
        }
        if entity.fields.is_empty() {
            self.ledger.record(
                table,
                "empty_object",
                format!("`{table}` has no columns in the document; left out"),
            );
            return None;
        }
        if entity.primary_key.is_empty() {
            self.ledger.record(
                table,
                "view_or_table",
                format!(
                    "`{table}` has no primary key in the document: it may be a view, which the \
                     PostgREST document does not tell apart from a table; recorded as a table"
                ),
            );
        }
        Some(entity)
    }

    /// The field of a column from its PostgreSQL type in `format`.
    fn column_field(&mut self, table: &str, column: &str, property: &Map<String, Value>) -> Field {
        let format = property
            .get("format")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default();
        let max_length = property.get("maxLength").and_then(Value::as_u64);
        if format.is_empty() {
            // No PostgreSQL type: fall back on the JSON type.
            let field = match property.get("type").and_then(Value::as_str) {
                Some("integer") => Field::new(FieldType::Int64),
                Some("number") => Field::new(FieldType::Decimal),
                Some("boolean") => Field::new(FieldType::Bool),
                Some("string") => Field::new(FieldType::Text),
                _ => Field::new(FieldType::Json),
            };
            self.ledger.record(
                format!("{table}.{column}"),
                "column_type",
                format!(
                    "`{column}` has no PostgreSQL type (`format`) in the document; recorded as \
                     `{}`",
                    field.ty
                ),
            );
            return field;
        }
        let values: Option<Vec<String>> = match property.get("enum") {
            Some(Value::Array(values)) => Some(
                values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        };
        self.postgres_field(format, max_length, values)
    }

    fn postgres_field(
        &mut self,
        format: &str,
        max_length: Option<u64>,
        values: Option<Vec<String>>,
    ) -> Field {
        if let Some(element) = format.strip_suffix("[]") {
            let mut field = Field::new(FieldType::Array);
            field.items = Some(Box::new(self.postgres_field(element, None, None)));
            return field;
        }
        if let Some(values) = values.filter(|values| !values.is_empty()) {
            return self.enum_field(format, values);
        }
        let (schema, name) = match format.rsplit_once('.') {
            Some((schema, name)) if !schema.contains(' ') => (Some(schema), name),
            _ => (None, format),
        };
        if let Some(existing) = self.enum_named(schema, name) {
            let mut field = Field::new(FieldType::Enum);
            field.enum_name = Some(existing);
            return field;
        }
        let type_name = match format {
            "smallint" | "int2" => "int2",
            "integer" | "int" | "int4" => "int4",
            "bigint" | "int8" => "int8",
            "real" | "float4" => "float4",
            "double precision" | "float8" => "float8",
            "numeric" | "decimal" => "numeric",
            "character varying" | "varchar" => "varchar",
            "character" | "char" | "bpchar" => "bpchar",
            "boolean" | "bool" => "bool",
            "time without time zone" | "time" => "time",
            "timestamp without time zone" | "timestamp" => "timestamp",
            "timestamp with time zone" | "timestamptz" => "timestamptz",
            other => other,
        };
        // A length comes back as the `varchar(n)` type modifier.
        let (typmod, formatted) = match (type_name, max_length) {
            ("varchar", Some(n)) => (
                i32::try_from(n).map_or(-1, |n| n.saturating_add(4)),
                format!("character varying({n})"),
            ),
            ("bpchar", Some(n)) => (
                i32::try_from(n).map_or(-1, |n| n.saturating_add(4)),
                format!("character({n})"),
            ),
            _ => (-1, format.to_owned()),
        };
        builtin_field(type_name, typmod, &formatted)
    }

    /// An enum column: `public.mood` → `[enums.mood]` (`schema = "public"`).
    fn enum_field(&mut self, format: &str, values: Vec<String>) -> Field {
        let (schema, name) = match format.rsplit_once('.') {
            Some((schema, name)) => (Some(schema.to_owned()), name.to_owned()),
            None => (None, format.to_owned()),
        };
        let mut enum_name = name.clone();
        let mut n = 1;
        loop {
            match self.enums.get(&enum_name) {
                None => {
                    self.enums.insert(
                        enum_name.clone(),
                        Enum {
                            values: dedup(values),
                            native: (enum_name != name).then(|| name.clone()),
                            schema,
                            comment: None,
                        },
                    );
                    break;
                }
                Some(existing)
                    if existing.schema == schema
                        && existing.native.as_deref().unwrap_or(&enum_name) == name =>
                {
                    break;
                }
                Some(_) => {
                    n += 1;
                    enum_name = format!("{name}_{n}");
                }
            }
        }
        let mut field = Field::new(FieldType::Enum);
        field.enum_name = Some(enum_name);
        field
    }

    /// The enum already read for type `schema.name`, if any.
    fn enum_named(&self, schema: Option<&str>, name: &str) -> Option<String> {
        self.enums
            .iter()
            .find(|(enum_name, enumeration)| {
                enumeration.native.as_deref().unwrap_or(enum_name) == name
                    && (schema.is_none() || enumeration.schema.as_deref() == schema)
            })
            .map(|(enum_name, _)| enum_name.clone())
    }

    /// A column default, as PostgREST gives it: JSON numbers and booleans
    /// as such, everything else as text (literals with their cast removed,
    /// expressions such as `now()` as written).
    fn default(&mut self, table: &str, column: &str, field: &mut Field, default: &Value) {
        let lost = |reader: &mut Self, why: &str| {
            let shown: String = default.to_string().chars().take(60).collect();
            reader.ledger.record(
                format!("{table}.{column}"),
                "default",
                format!("the default `{shown}` {why}; dropped"),
            );
        };
        let text = match default {
            Value::Null => return,
            Value::String(text) => text.trim().to_owned(),
            other => {
                match literal(other) {
                    Some(value) if default_fits(&value, field, &self.enums) => {
                        field.default = Some(DefaultValue::Literal(value));
                    }
                    _ => lost(self, "does not fit the column's type"),
                }
                return;
            }
        };
        if field.ty.is_integer() && text.starts_with("nextval(") {
            field.generated = Some(Generated::Kind(GeneratedKind::Serial));
            return;
        }
        // `'draft'::mood` → draft
        let unquoted = text
            .strip_prefix('\'')
            .and_then(|rest| rest.rsplit_once("'::"))
            .map(|(value, _)| value.replace("''", "'"));
        if let Some(value) = unquoted {
            let value = Literal::String(value);
            if default_fits(&value, field, &self.enums) {
                field.default = Some(DefaultValue::Literal(value));
            } else {
                field.default = Some(DefaultValue::Sql { sql: text });
            }
            return;
        }
        if is_expression(&text) {
            field.default = Some(DefaultValue::Sql { sql: text });
            return;
        }
        let value = if field.ty.is_numeric() {
            text.parse::<i64>().map(Literal::Int).ok().or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Literal::Float)
            })
        } else if field.ty == FieldType::Bool {
            match text.to_ascii_lowercase().as_str() {
                "true" => Some(Literal::Bool(true)),
                "false" => Some(Literal::Bool(false)),
                _ => None,
            }
        } else {
            Some(Literal::String(text.clone()))
        };
        match value {
            Some(value) if default_fits(&value, field, &self.enums) => {
                field.default = Some(DefaultValue::Literal(value));
            }
            _ => field.default = Some(DefaultValue::Sql { sql: text }),
        }
    }
}

/// Splits a column description into its own text and PostgREST's notes.
fn notes(description: &str) -> Notes {
    let primary_key = description.contains("<pk/>");
    let references = description.find("<fk table='").and_then(|start| {
        let rest = &description[start + "<fk table='".len()..];
        let (table, rest) = rest.split_once("' column='")?;
        let (column, _) = rest.split_once("'/>")?;
        Some((table.to_owned(), column.to_owned()))
    });
    let own = if primary_key || references.is_some() {
        match description.find("Note:\n") {
            Some(at) => &description[..at],
            None => description,
        }
    } else {
        description
    };
    let own = own.trim();
    Notes {
        comment: (!own.is_empty()).then(|| own.to_owned()),
        primary_key,
        references,
    }
}

/// Whether a default given as text is an SQL expression rather than a value.
fn is_expression(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    matches!(
        upper.as_str(),
        "CURRENT_TIMESTAMP"
            | "CURRENT_DATE"
            | "CURRENT_TIME"
            | "LOCALTIMESTAMP"
            | "LOCALTIME"
            | "CURRENT_USER"
            | "SESSION_USER"
            | "USER"
    ) || text.contains("::")
        || (text.ends_with(')')
            && text.split('(').next().is_some_and(|name| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            }))
}

fn dedup(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        if !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

/// `/table` and `/rpc/function` paths as operations; `/` (the document) is left out.
fn operations(root: &Value, entities: &BTreeMap<String, Entity>) -> Vec<Operation> {
    let Some(Value::Object(paths)) = root.get("paths") else {
        return Vec::new();
    };
    let mut operations = Vec::new();
    for (path, item) in paths {
        if path == "/" || !path.starts_with('/') {
            continue;
        }
        let entity = path
            .strip_prefix('/')
            .filter(|name| entities.contains_key(*name))
            .map(str::to_owned);
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(operation) = item.get(method) else {
                continue;
            };
            operations.push(Operation {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                id: operation
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                entity: entity.clone(),
                summary: operation
                    .get("summary")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                ..Operation::default()
            });
        }
    }
    operations
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_add_rest_v1_to_project_urls() {
        let of = |text: &str| Endpoint::of(&Url::parse(text).unwrap());
        let supabase = of("https://abcd.supabase.co");
        assert_eq!(supabase.document, "https://abcd.supabase.co/rest/v1/");
        assert_eq!(supabase.project, "https://abcd.supabase.co");
        assert!(supabase.postgrest);
        let explicit = of("http://127.0.0.1:3000/rest/v1/");
        assert_eq!(explicit.document, "http://127.0.0.1:3000/rest/v1/");
        assert_eq!(explicit.project, "http://127.0.0.1:3000");
        let private = of("https://user:secret@db.example.com/rest/v1");
        assert_eq!(private.project, "https://db.example.com");
        assert_eq!(private.document, "https://db.example.com/rest/v1/");
        let file = of("https://api.example.com/openapi.json");
        assert!(!file.postgrest);
        assert_eq!(file.document, "https://api.example.com/openapi.json");
    }

    #[test]
    fn descriptions_give_keys_and_comments() {
        assert_eq!(
            notes("Note:\nThis is a Primary Key.<pk/>"),
            Notes {
                comment: None,
                primary_key: true,
                references: None
            }
        );
        assert_eq!(
            notes(
                "The author\n\nNote:\nThis is a Foreign Key to `author.id`.<fk table='author' column='id'/>"
            ),
            Notes {
                comment: Some("The author".to_owned()),
                primary_key: false,
                references: Some(("author".to_owned(), "id".to_owned()))
            }
        );
        assert_eq!(
            notes("Just a comment").comment.as_deref(),
            Some("Just a comment")
        );
    }

    #[test]
    fn expressions_are_told_from_values() {
        assert!(is_expression("now()"));
        assert!(is_expression("extensions.uuid_generate_v4()"));
        assert!(is_expression("CURRENT_TIMESTAMP"));
        assert!(is_expression("(now() + '1 day'::interval)"));
        assert!(!is_expression("draft"));
        assert!(!is_expression("hello (world)"));
    }
}
