//! Syntax trees of one or more Prisma files → [`Manifest`] + [`Ledger`].
//!
//! Every name is resolved across all files (a schema folder is one schema).
//! Problems (unknown types and fields, bad attribute arguments, duplicates)
//! are collected per file; what the manifest cannot say goes to the ledger.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use indexmap::IndexMap;

use super::ViewQueries;
use super::native::{
    Native, NativeArgument, Provider, Scalar, default_field, default_operator_class, native_field,
    operator_class,
};
use super::syntax::{
    Argument, Arity, Attribute, Block, BlockKind, Expr, FieldDecl, Ident, SchemaAst,
};
use crate::ledger::Ledger;
use crate::manifest::diagnostics::closest;
use crate::manifest::{
    CURRENT_FORMAT, DefaultValue, Entity, EntityKind, Enum, Extension, Field, FieldType, Generated,
    GeneratedKind, Index, IndexOptions, IndexPart, Literal, Manifest, ReferentialAction, Relation,
    RelationTarget, SortOrder, Source, SourceEngine, Unique,
};
use crate::source::Introspection;
use crate::source::SourceLocation;

/// A problem in file `file` (an index into the files given to [`build`]).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BuildProblem {
    pub file: usize,
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

/// Builds the manifest from the parsed files. Problems are returned beside
/// the result; the caller decides whether the result may be used.
pub(super) fn build<'a>(
    asts: &'a [SchemaAst],
    views: &'a ViewQueries,
) -> (Introspection, Vec<BuildProblem>) {
    let mut builder = Builder {
        views,
        declarations: BTreeMap::new(),
        datasource: None,
        provider: Provider::Unknown,
        problems: Vec::new(),
        ledger: Ledger::new(),
        composites: BTreeMap::new(),
        visiting: Vec::new(),
        extensions: BTreeMap::new(),
    };
    builder.declare(asts);
    let source = builder.datasource();
    let mut manifest = Manifest {
        format: CURRENT_FORMAT,
        version: 1,
        source: Some(source),
        ..Manifest::default()
    };
    manifest.postgres.extensions = std::mem::take(&mut builder.extensions);
    let declarations: Vec<Declaration<'_>> = builder.declarations.values().copied().collect();
    for declaration in &declarations {
        if declaration.block.kind == BlockKind::Enum {
            let enumeration = builder.enumeration(*declaration);
            manifest
                .enums
                .insert(declaration.block.name.name.clone(), enumeration);
        }
    }
    for declaration in &declarations {
        if declaration.block.kind == BlockKind::Type {
            builder.composite(&declaration.block.name.name);
        }
    }
    for declaration in &declarations {
        if matches!(declaration.block.kind, BlockKind::Model | BlockKind::View) {
            let entity = builder.entity(*declaration);
            manifest
                .entities
                .insert(declaration.block.name.name.clone(), entity);
        }
    }
    for declaration in &declarations {
        if matches!(declaration.block.kind, BlockKind::Model | BlockKind::View) {
            let relations = builder.relations(*declaration);
            if let Some(entity) = manifest.entities.get_mut(&declaration.block.name.name) {
                entity.relations = relations;
            }
        }
    }
    builder.many_to_many(&declarations, &mut manifest);
    builder.validate(&manifest);
    (
        Introspection {
            manifest,
            ledger: builder.ledger,
        },
        builder.problems,
    )
}

/// One item of a datasource's `extensions`: `pg_trgm`, or
/// `postgis(map: "postgis", schema: "extensions", version: "3.3.2")` (`map`
/// is its name in the database).
fn prisma_extension(item: &Expr) -> (String, Extension) {
    let mut extension = Extension::default();
    let name = match item {
        Expr::Ident(ident) => ident.name.clone(),
        Expr::String(text, _) => text.clone(),
        Expr::Call {
            name, arguments, ..
        } => {
            let mut database_name = name.name.clone();
            for argument in arguments {
                let Expr::String(value, _) = &argument.value else {
                    continue;
                };
                match argument.name.as_ref().map(|n| n.name.as_str()) {
                    Some("map") => database_name = value.clone(),
                    Some("schema") => extension.schema = Some(value.clone()),
                    Some("version") => extension.version = Some(value.clone()),
                    _ => {}
                }
            }
            database_name
        }
        other => other.describe().to_owned(),
    };
    (name, extension)
}

/// A block and the file it is in.
#[derive(Debug, Clone, Copy)]
struct Declaration<'a> {
    file: usize,
    block: &'a Block,
}

/// What a field's type names.
#[derive(Debug, Clone)]
enum Resolved<'a> {
    Scalar(Scalar),
    Unsupported(String),
    Enum(&'a Block),
    Model(&'a Block),
    Composite(&'a Block),
    Unknown,
}

struct Builder<'a> {
    /// The queries of views, read beside the schema.
    views: &'a ViewQueries,
    /// `extensions = [...]` of a PostgreSQL datasource, by name.
    extensions: BTreeMap<String, Extension>,
    /// Models, views, composite types and enums by name (one namespace).
    declarations: BTreeMap<String, Declaration<'a>>,
    datasource: Option<Declaration<'a>>,
    provider: Provider,
    problems: Vec<BuildProblem>,
    ledger: Ledger,
    /// The fields of each composite type, built once.
    composites: BTreeMap<String, Option<IndexMap<String, Field>>>,
    /// Composite types being built, to stop at a cycle.
    visiting: Vec<String>,
}

/// The collation of every table Prisma Migrate creates on MySQL.
const MYSQL_COLLATION: &str = "utf8mb4_unicode_ci";

const FIELD_ATTRIBUTES: &[&str] = &[
    "id",
    "unique",
    "default",
    "map",
    "relation",
    "updatedAt",
    "ignore",
    "shardKey",
];
const BLOCK_ATTRIBUTES: &[&str] = &[
    "id", "unique", "index", "map", "ignore", "schema", "fulltext", "shardKey",
];
const DEFAULT_FUNCTIONS: &[&str] = &[
    "autoincrement",
    "now",
    "uuid",
    "cuid",
    "nanoid",
    "ulid",
    "auto",
    "dbgenerated",
    "sequence",
];

impl<'a> Builder<'a> {
    fn problem(&mut self, file: usize, span: Range<usize>, message: impl Into<String>) {
        self.problems.push(BuildProblem {
            file,
            span,
            message: message.into(),
            help: None,
        });
    }

    fn problem_with_help(
        &mut self,
        file: usize,
        span: Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.problems.push(BuildProblem {
            file,
            span,
            message: message.into(),
            help: Some(help.into()),
        });
    }

    /// A problem about an unknown name, with a did-you-mean when one is close.
    fn unknown(
        &mut self,
        file: usize,
        span: Range<usize>,
        message: String,
        word: &str,
        candidates: &[&str],
        fallback: Option<String>,
    ) {
        match closest(word, candidates) {
            Some(best) => {
                self.problem_with_help(file, span, message, format!("did you mean `{best}`?"))
            }
            None => match fallback {
                Some(help) => self.problem_with_help(file, span, message, help),
                None => self.problem(file, span, message),
            },
        }
    }

    /// What the checks above let through but the manifest validator does not
    /// (two models on one table, two indexes of one name, ...), reported at
    /// the model or enum concerned. Only on an otherwise clean schema, where
    /// it cannot be a consequence of another problem.
    fn validate(&mut self, manifest: &Manifest) {
        if !self.problems.is_empty() {
            return;
        }
        for problem in crate::manifest::validate(manifest) {
            let segments = crate::manifest::path::segments(&problem.path);
            let (file, span) = segments
                .get(1)
                .and_then(|name| self.declarations.get(name.as_str()))
                .map_or((0, 0..0), |d| (d.file, d.block.name.span.clone()));
            self.problems.push(BuildProblem {
                file,
                span,
                message: problem.message,
                help: problem.help,
            });
        }
    }

    // -- declarations -------------------------------------------------------

    fn declare(&mut self, asts: &'a [SchemaAst]) {
        for (file, ast) in asts.iter().enumerate() {
            for block in &ast.blocks {
                let declaration = Declaration { file, block };
                match block.kind {
                    BlockKind::Generator => {}
                    BlockKind::Datasource => {
                        if self.datasource.is_some() {
                            self.problem_with_help(
                                file,
                                block.name.span.clone(),
                                format!(
                                    "a second datasource `{}`: a schema has one datasource",
                                    block.name.name
                                ),
                                "remove one of the datasource blocks",
                            );
                        } else {
                            self.datasource = Some(declaration);
                        }
                    }
                    _ => {
                        let name = &block.name.name;
                        if let Some(previous) = self.declarations.get(name) {
                            let what = previous.block.kind.keyword();
                            self.problem_with_help(
                                file,
                                block.name.span.clone(),
                                format!(
                                    "`{name}` is already defined as a {what}: names of models, views, types and enums must be unique"
                                ),
                                "rename one of them",
                            );
                        } else if Scalar::parse(name).is_some() || name == "Unsupported" {
                            self.problem(
                                file,
                                block.name.span.clone(),
                                format!("`{name}` is a built-in type and cannot be redefined"),
                            );
                        } else {
                            self.declarations.insert(name.clone(), declaration);
                        }
                    }
                }
            }
        }
    }

    fn resolve(&self, name: &str, arguments: Option<&[super::syntax::Argument]>) -> Resolved<'a> {
        if name == "Unsupported" {
            let text = arguments
                .and_then(|arguments| arguments.first())
                .and_then(|argument| match &argument.value {
                    Expr::String(text, _) => Some(text.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            return Resolved::Unsupported(text);
        }
        if let Some(scalar) = Scalar::parse(name) {
            return Resolved::Scalar(scalar);
        }
        match self.declarations.get(name) {
            Some(declaration) => match declaration.block.kind {
                BlockKind::Enum => Resolved::Enum(declaration.block),
                BlockKind::Model | BlockKind::View => Resolved::Model(declaration.block),
                BlockKind::Type => Resolved::Composite(declaration.block),
                BlockKind::Datasource | BlockKind::Generator => Resolved::Unknown,
            },
            None => Resolved::Unknown,
        }
    }

    fn report_unknown_type(&mut self, file: usize, field: &FieldDecl) {
        let name = &field.ty.name.name;
        let mut candidates: Vec<&str> = Scalar::NAMES.to_vec();
        candidates.extend(self.declarations.keys().map(String::as_str));
        let candidates: Vec<String> = candidates.into_iter().map(str::to_owned).collect();
        let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
        let help = format!(
            "use a scalar type ({}), or define a model, enum or type named `{name}`",
            Scalar::NAMES.join(", ")
        );
        self.unknown(
            file,
            field.ty.name.span.clone(),
            format!("unknown type `{name}` for field `{}`", field.name.name),
            name,
            &candidates,
            Some(help),
        );
    }

    // -- datasource ---------------------------------------------------------

    fn datasource(&mut self) -> Source {
        let Some(declaration) = self.datasource else {
            return Source {
                engine: SourceEngine::Prisma,
                url: None,
                schemas: Vec::new(),
            };
        };
        let file = declaration.file;
        let block = declaration.block;
        let object = format!("datasource {}", block.name.name);
        let mut source = Source {
            engine: SourceEngine::Prisma,
            url: None,
            schemas: Vec::new(),
        };
        let mut url = None;
        let mut extensions = Vec::new();
        let mut provider_seen = false;
        for entry in &block.entries {
            match entry.key.name.as_str() {
                "provider" => {
                    provider_seen = true;
                    let Expr::String(provider, span) = &entry.value else {
                        self.problem(
                            file,
                            entry.value.span(),
                            format!(
                                "`provider` must be a string such as \"postgresql\", found {}",
                                entry.value.describe()
                            ),
                        );
                        continue;
                    };
                    let (engine, kind) = match provider.as_str() {
                        "postgresql" | "postgres" => (SourceEngine::Postgres, Provider::Postgres),
                        "cockroachdb" => {
                            self.ledger.record(
                                object.as_str(),
                                "provider",
                                "provider `cockroachdb` is recorded as `postgres`: CockroachDB speaks \
                                 its protocol, but its types and defaults differ in places",
                            );
                            (SourceEngine::Postgres, Provider::Cockroach)
                        }
                        "mysql" => (SourceEngine::Mysql, Provider::Mysql),
                        "sqlite" => (SourceEngine::Sqlite, Provider::Sqlite),
                        "mongodb" => (SourceEngine::Mongodb, Provider::Mongodb),
                        "sqlserver" => {
                            self.ledger.record(
                                object.as_str(),
                                "provider",
                                "provider `sqlserver` has no engine in baas; the manifest records \
                                 `engine = \"prisma\"` and keeps SQL Server native types as written",
                            );
                            (SourceEngine::Prisma, Provider::Sqlserver)
                        }
                        other => {
                            const PROVIDERS: &[&str] = &[
                                "postgresql",
                                "postgres",
                                "cockroachdb",
                                "mysql",
                                "sqlite",
                                "mongodb",
                                "sqlserver",
                            ];
                            self.unknown(
                                file,
                                span.clone(),
                                format!("unknown datasource provider `{other}`"),
                                other,
                                PROVIDERS,
                                Some(format!("use one of: {}", PROVIDERS.join(", "))),
                            );
                            continue;
                        }
                    };
                    source.engine = engine;
                    self.provider = kind;
                }
                "url" => url = Some(&entry.value),
                "relationMode" | "referentialIntegrity" => match &entry.value {
                    Expr::String(mode, _) if mode == "prisma" => {
                        self.ledger.record(
                            object.as_str(),
                            "relation_mode",
                            "`relationMode = \"prisma\"`: the database has no foreign keys; the \
                             Prisma client emulates the relations and their referential actions",
                        );
                    }
                    Expr::String(mode, _) if mode == "foreignKeys" => {}
                    other => self.problem_with_help(
                        file,
                        other.span(),
                        "`relationMode` must be \"foreignKeys\" or \"prisma\"",
                        "write `relationMode = \"prisma\"` to emulate relations in the client",
                    ),
                },
                "schemas" => match &entry.value {
                    Expr::Array(items, _) => {
                        for item in items {
                            match item {
                                Expr::String(schema, _) => source.schemas.push(schema.clone()),
                                other => self.problem(
                                    file,
                                    other.span(),
                                    format!(
                                        "`schemas` lists schema names as strings, found {}",
                                        other.describe()
                                    ),
                                ),
                            }
                        }
                    }
                    other => self.problem(
                        file,
                        other.span(),
                        "`schemas` must be a list of strings, such as [\"public\", \"auth\"]",
                    ),
                },
                "extensions" => {
                    let items = match &entry.value {
                        Expr::Array(items, _) => items.iter().collect(),
                        other => vec![other],
                    };
                    extensions.extend(items.into_iter().map(prisma_extension));
                }
                // Connection settings for Prisma's own tools, not the schema.
                "directUrl" | "shadowDatabaseUrl" => {}
                other => self.ledger.record(
                    object.as_str(),
                    "datasource",
                    format!("datasource setting `{other}` is not represented in the manifest"),
                ),
            }
        }
        if !provider_seen {
            self.problem_with_help(
                file,
                block.name.span.clone(),
                format!("datasource `{}` has no `provider`", block.name.name),
                "add `provider = \"postgresql\"` (or mysql, sqlite, mongodb, ...)",
            );
        }
        if let Some(url) = url {
            source.url = self.datasource_url(file, &object, url);
        }
        // `[postgres.extensions]`, as an introspection of the database lists them.
        for (name, extension) in extensions {
            if matches!(self.provider, Provider::Postgres) {
                self.extensions.insert(name, extension);
            } else {
                self.ledger.record(
                    object.as_str(),
                    "extension",
                    format!("PostgreSQL extension `{name}` is not represented in the manifest"),
                );
            }
        }
        source
    }

    /// The `[source] url` for the datasource's `url`: `env("X")` becomes
    /// `${X}`; a literal URL is kept without its password.
    fn datasource_url(&mut self, file: usize, object: &str, value: &Expr) -> Option<String> {
        match value {
            Expr::Call {
                name, arguments, ..
            } if name.name == "env" => match arguments.first().map(|a| &a.value) {
                Some(Expr::String(variable, _)) if arguments.len() == 1 => {
                    Some(format!("${{{variable}}}"))
                }
                _ => {
                    self.problem(
                        file,
                        value.span(),
                        "`env(...)` takes the name of one environment variable, as a string",
                    );
                    None
                }
            },
            Expr::String(url, _) => {
                if self.provider == Provider::Sqlite
                    && let Some(path) = url.strip_prefix("file:")
                {
                    return Some(format!("sqlite://{path}"));
                }
                match SourceLocation::parse(url, Path::new("/")) {
                    Ok(
                        location @ (SourceLocation::Postgres { .. }
                        | SourceLocation::Mysql { .. }
                        | SourceLocation::Mongodb { .. }),
                    ) => Some(location.manifest_url(url)),
                    _ => {
                        self.ledger.record(
                            object,
                            "datasource_url",
                            "the datasource `url` is not a connection string baas reads; it is \
                             not written to the manifest",
                        );
                        None
                    }
                }
            }
            other => {
                self.problem(
                    file,
                    other.span(),
                    format!(
                        "`url` must be a string or `env(\"VARIABLE\")`, found {}",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    // -- enums --------------------------------------------------------------

    fn enumeration(&mut self, declaration: Declaration<'a>) -> Enum {
        let Declaration { file, block } = declaration;
        let name = &block.name.name;
        let mut enumeration = Enum {
            comment: comment(&block.docs),
            ..Enum::default()
        };
        let mut renamed = Vec::new();
        let mut seen = BTreeSet::new();
        for value in &block.values {
            let mut stored = value.name.name.clone();
            for attribute in &value.attributes {
                match attribute.name.as_str() {
                    "map" => {
                        if let Some(mapped) = self.string_argument(file, attribute, "name") {
                            renamed.push(format!("`{}` → `{mapped}`", value.name.name));
                            stored = mapped;
                        }
                    }
                    other => self.unknown_attribute(file, attribute, other, "@", &["map"]),
                }
            }
            if !value.docs.is_empty() {
                self.ledger.record(
                    name.as_str(),
                    "comment",
                    format!(
                        "the doc comment of enum value `{}` has no place in the manifest",
                        value.name.name
                    ),
                );
            }
            if !seen.insert(stored.clone()) {
                self.problem(
                    file,
                    value.name.span.clone(),
                    format!("enum `{name}` has the value `{stored}` twice"),
                );
                continue;
            }
            enumeration.values.push(stored);
        }
        if block.values.is_empty() {
            self.problem_with_help(
                file,
                block.name.span.clone(),
                format!("enum `{name}` has no values"),
                "list its values, one per line",
            );
        }
        if !renamed.is_empty() {
            self.ledger.record(
                name.as_str(),
                "enum_value_map",
                format!(
                    "enum values are stored under other names ({}); the manifest lists the stored \
                     values, the Prisma client names are lost",
                    renamed.join(", ")
                ),
            );
        }
        for attribute in &block.attributes {
            match attribute.name.as_str() {
                "map" => {
                    enumeration.native = self.string_argument(file, attribute, "name");
                }
                "schema" => {
                    enumeration.schema = self.string_argument(file, attribute, "name");
                }
                other => self.unknown_attribute(file, attribute, other, "@@", &["map", "schema"]),
            }
        }
        enumeration
    }

    // -- composite types ----------------------------------------------------

    /// The fields of composite type `name`, built (and checked) once.
    fn composite(&mut self, name: &str) -> Option<IndexMap<String, Field>> {
        if let Some(built) = self.composites.get(name) {
            return built.clone();
        }
        if self.visiting.iter().any(|visiting| visiting == name) {
            return None;
        }
        let declaration = *self.declarations.get(name)?;
        self.visiting.push(name.to_owned());
        let mut fields = IndexMap::new();
        for field in &declaration.block.fields {
            let object = format!("{name}.{}", field.name.name);
            if let Resolved::Model(target) = self.resolve(&field.ty.name.name, None) {
                self.problem_with_help(
                    declaration.file,
                    field.ty.name.span.clone(),
                    format!(
                        "composite type `{name}` cannot refer to {} `{}`",
                        target.kind.keyword(),
                        target.name.name
                    ),
                    "composite types hold scalar, enum and composite fields only",
                );
                continue;
            }
            if let Some(built) = self.field(declaration.file, &object, field, false) {
                if fields.contains_key(&field.name.name) {
                    self.duplicate_field(declaration.file, name, field);
                    continue;
                }
                fields.insert(field.name.name.clone(), built);
            }
        }
        for attribute in &declaration.block.attributes {
            self.ledger.record(
                name,
                "attribute",
                format!(
                    "`@@{}` on composite type `{name}` is not represented in the manifest",
                    attribute.name
                ),
            );
        }
        self.visiting.pop();
        self.composites
            .insert(name.to_owned(), Some(fields.clone()));
        Some(fields)
    }

    fn duplicate_field(&mut self, file: usize, owner: &str, field: &FieldDecl) {
        self.problem_with_help(
            file,
            field.name.span.clone(),
            format!("`{owner}` has two fields named `{}`", field.name.name),
            "rename or remove one of them",
        );
    }

    // -- fields -------------------------------------------------------------

    /// The manifest field for a scalar, enum, unsupported or composite field,
    /// with its field-level attributes (except those that concern the
    /// entity: `@id`, `@unique`, which [`Self::entity`] reads). `None` for
    /// relation fields and fields whose type is unknown (already reported).
    fn field(
        &mut self,
        file: usize,
        object: &str,
        decl: &FieldDecl,
        in_entity: bool,
    ) -> Option<Field> {
        let resolved = self.resolve(&decl.ty.name.name, decl.ty.arguments.as_deref());
        let scalar = match &resolved {
            Resolved::Scalar(scalar) => Some(*scalar),
            _ => None,
        };
        let mut element = match &resolved {
            Resolved::Unknown => {
                self.report_unknown_type(file, decl);
                return None;
            }
            Resolved::Model(_) => return None,
            // What Prisma Migrate creates, unless a `@db.` attribute says otherwise.
            Resolved::Scalar(scalar) => default_field(self.provider, *scalar),
            Resolved::Unsupported(text) => {
                if text.is_empty() {
                    self.problem_with_help(
                        file,
                        decl.ty.span.clone(),
                        "`Unsupported` needs the database type as a string",
                        "write `Unsupported(\"circle\")`",
                    );
                }
                let mut field = Field::new(FieldType::Native);
                field.native = Some(text.clone());
                field
            }
            Resolved::Enum(block) => {
                let mut field = Field::new(FieldType::Enum);
                field.enum_name = Some(block.name.name.clone());
                field
            }
            Resolved::Composite(block) => {
                let name = block.name.name.clone();
                match self.composite(&name) {
                    Some(fields) => {
                        let mut field = Field::new(FieldType::Object);
                        field.fields = Some(fields);
                        field
                    }
                    None => {
                        self.ledger.record(
                            object,
                            "recursive_type",
                            format!(
                                "composite type `{name}` contains itself; this field is recorded \
                                 as `json`"
                            ),
                        );
                        Field::new(FieldType::Json)
                    }
                }
            }
        };
        if decl.ty.arguments.is_some() && !matches!(resolved, Resolved::Unsupported(_)) {
            self.problem(
                file,
                decl.ty.span.clone(),
                format!("type `{}` takes no arguments", decl.ty.name.name),
            );
        }

        let mut column = None;
        let mut default_expr = None;
        for attribute in &decl.attributes {
            let name = attribute.name.as_str();
            if let Some(native) = name.strip_prefix("db.") {
                let Some(scalar) = scalar else {
                    self.problem(
                        file,
                        attribute.name_span.clone(),
                        format!(
                            "`@{name}` applies to scalar fields, not to `{}`",
                            decl.ty.name.name
                        ),
                    );
                    continue;
                };
                element = self.native_type(file, object, attribute, native, scalar, element);
                continue;
            }
            match name {
                "map" => column = self.string_argument(file, attribute, "name"),
                "default" => default_expr = Some(attribute),
                "updatedAt" => {
                    if scalar != Some(Scalar::DateTime) {
                        self.problem(
                            file,
                            attribute.name_span.clone(),
                            "`@updatedAt` applies to `DateTime` fields",
                        );
                    }
                    self.ledger.record(
                        object,
                        "updated_at",
                        "`@updatedAt`: the Prisma client sets it on every update, the database \
                         does not",
                    );
                }
                "ignore" => self.ledger.record(
                    object,
                    "ignored",
                    "`@ignore`: the column exists, but the Prisma client leaves it out",
                ),
                "shardKey" => self.ledger.record(
                    object,
                    "shard_key",
                    "`@shardKey` (PlanetScale sharding) is not represented in the manifest",
                ),
                "id" | "unique" => {
                    if !in_entity {
                        self.problem(
                            file,
                            attribute.name_span.clone(),
                            format!("`@{name}` does not apply to a field of a composite type"),
                        );
                    }
                }
                "relation" => self.problem_with_help(
                    file,
                    attribute.name_span.clone(),
                    format!(
                        "`@relation` applies to relation fields, but `{}` is a `{}`",
                        decl.name.name, decl.ty.name.name
                    ),
                    "put `@relation` on the field whose type is the related model",
                ),
                other => self.unknown_attribute(file, attribute, other, "@", FIELD_ATTRIBUTES),
            }
        }

        let mut field = match decl.ty.arity {
            Arity::List => {
                let mut list = Field::new(FieldType::Array);
                list.items = Some(Box::new(element));
                list
            }
            Arity::Optional => {
                let mut field = element;
                field.nullable = true;
                if self.provider == Provider::Mongodb {
                    field.optional = true;
                }
                field
            }
            Arity::Required => element,
        };
        field.column = column.filter(|column| column != &decl.name.name);
        field.comment = comment(&decl.docs);
        if let Some(attribute) = default_expr {
            self.default(file, object, attribute, decl, &resolved, &mut field);
        }
        Some(field)
    }

    fn native_type(
        &mut self,
        file: usize,
        object: &str,
        attribute: &Attribute,
        name: &str,
        scalar: Scalar,
        element: Field,
    ) -> Field {
        if self.provider == Provider::Sqlite {
            self.ledger.record(
                object,
                "native_type",
                format!(
                    "`@db.{name}`: SQLite has no native type attributes; the attribute is left out"
                ),
            );
            return element;
        }
        let mut arguments = Vec::new();
        for argument in &attribute.arguments {
            match &argument.value {
                Expr::Number(text, span) => match text.parse::<u32>() {
                    Ok(number) => arguments.push(NativeArgument::Number(number)),
                    Err(_) => {
                        self.problem(
                            file,
                            span.clone(),
                            format!("`@db.{name}` takes whole numbers, found `{text}`"),
                        );
                        return element;
                    }
                },
                Expr::Ident(word) => arguments.push(NativeArgument::Word(word.name.clone())),
                other => {
                    self.problem_with_help(
                        file,
                        other.span(),
                        format!(
                            "`@db.{name}` takes numbers as arguments, found {}",
                            other.describe()
                        ),
                        format!("write the size as a number, e.g. `@db.{name}(255)`"),
                    );
                    return element;
                }
            }
        }
        match native_field(self.provider, scalar, name, &arguments) {
            Native::Known(field) => field,
            Native::Unknown(field) => {
                if self.provider != Provider::Sqlserver && self.provider != Provider::Unknown {
                    self.ledger.record(
                        object,
                        "native_type",
                        format!(
                            "`@db.{name}` is not a native type baas knows for this provider; \
                             recorded as `native = \"{}\"`",
                            field.native.as_deref().unwrap_or_default()
                        ),
                    );
                }
                field
            }
            Native::Invalid(message) => {
                self.problem(file, attribute.span.clone(), message);
                element
            }
        }
    }

    fn default(
        &mut self,
        file: usize,
        object: &str,
        attribute: &Attribute,
        decl: &FieldDecl,
        resolved: &Resolved<'a>,
        field: &mut Field,
    ) {
        self.check_arguments(file, attribute, &["value", "map"], 1);
        if self.named_string(file, attribute, "map").is_some() {
            self.ledger.record(
                object,
                "default_name",
                "the name of the default constraint (`map:`) is not represented in the manifest",
            );
        }
        let Some(value) = positional_or_named(attribute, "value") else {
            self.problem_with_help(
                file,
                attribute.span.clone(),
                "`@default` needs a value",
                "write e.g. `@default(0)`, `@default(\"text\")` or `@default(now())`",
            );
            return;
        };
        let list = decl.ty.arity == Arity::List;
        match value {
            Expr::Call {
                name, arguments, ..
            } => self.default_function(file, object, name, arguments, field),
            Expr::Array(items, span) => {
                if !list {
                    self.problem(
                        file,
                        span.clone(),
                        format!(
                            "a list default does not fit `{}`, which is not a list",
                            decl.name.name
                        ),
                    );
                    return;
                }
                let mut literals = Vec::new();
                for item in items {
                    let Some(element) = field.items.as_deref() else {
                        return;
                    };
                    match self.literal(file, item, element, resolved, decl) {
                        Some(literal) => literals.push(literal),
                        None => return,
                    }
                }
                field.default = Some(DefaultValue::Literal(Literal::Array(literals)));
            }
            scalar => {
                if list {
                    self.problem_with_help(
                        file,
                        scalar.span(),
                        format!(
                            "the default of list field `{}` must be a list",
                            decl.name.name
                        ),
                        "write the values in brackets, e.g. `@default([])`",
                    );
                    return;
                }
                let target = field.clone();
                if let Some(literal) = self.literal(file, scalar, &target, resolved, decl) {
                    field.default = Some(DefaultValue::Literal(literal));
                }
            }
        }
    }

    fn default_function(
        &mut self,
        file: usize,
        object: &str,
        name: &Ident,
        arguments: &[super::syntax::Argument],
        field: &mut Field,
    ) {
        let ty = field.ty;
        match name.name.as_str() {
            "autoincrement" | "sequence" => {
                if !ty.is_integer() {
                    self.problem(
                        file,
                        name.span.clone(),
                        format!("`{}()` applies to `Int` and `BigInt` fields", name.name),
                    );
                    return;
                }
                let kind = match self.provider {
                    Provider::Postgres | Provider::Cockroach => GeneratedKind::Serial,
                    _ => GeneratedKind::Autoincrement,
                };
                field.generated = Some(Generated::Kind(kind));
                if name.name == "sequence" && !arguments.is_empty() {
                    self.ledger.record(
                        object,
                        "sequence",
                        "the options of `sequence(...)` (start, increment, cache, ...) are not \
                         represented in the manifest",
                    );
                }
            }
            "now" => {
                if !matches!(
                    ty,
                    FieldType::Timestamp
                        | FieldType::Timestamptz
                        | FieldType::Date
                        | FieldType::Time
                        | FieldType::Native
                ) {
                    self.problem(
                        file,
                        name.span.clone(),
                        "`now()` applies to `DateTime` fields",
                    );
                    return;
                }
                field.default = Some(DefaultValue::Sql {
                    sql: "CURRENT_TIMESTAMP".to_owned(),
                });
            }
            "uuid" | "cuid" | "nanoid" | "ulid" | "auto" => {
                let call = if arguments.is_empty() {
                    format!("{}()", name.name)
                } else {
                    format!("{}(...)", name.name)
                };
                let who = if name.name == "auto" {
                    "MongoDB or the Prisma client assigns it"
                } else {
                    "the Prisma client generates it"
                };
                self.ledger.record(
                    object,
                    "client_default",
                    format!(
                        "`@default({call})`: {who}, the database has no default; clients of the \
                         baas API must send a value"
                    ),
                );
            }
            "dbgenerated" => match arguments.first().map(|a| &a.value) {
                Some(Expr::String(sql, _)) if !sql.trim().is_empty() => {
                    field.default = Some(DefaultValue::Sql { sql: sql.clone() });
                }
                Some(Expr::String(..)) | None => self.ledger.record(
                    object,
                    "db_default",
                    "`@default(dbgenerated())`: the database has a default the schema does not \
                     spell out",
                ),
                Some(other) => self.problem(
                    file,
                    other.span(),
                    format!(
                        "`dbgenerated(...)` takes the SQL expression as a string, found {}",
                        other.describe()
                    ),
                ),
            },
            other => self.unknown(
                file,
                name.span.clone(),
                format!("unknown function `{other}()` in `@default`"),
                other,
                DEFAULT_FUNCTIONS,
                Some(format!(
                    "use one of: {}",
                    DEFAULT_FUNCTIONS
                        .iter()
                        .map(|f| format!("{f}()"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ),
        }
    }

    /// A literal default for a field (or list element) of type `target`.
    fn literal(
        &mut self,
        file: usize,
        expr: &Expr,
        target: &Field,
        resolved: &Resolved<'a>,
        decl: &FieldDecl,
    ) -> Option<Literal> {
        let ty = target.ty;
        let mismatch = |builder: &mut Self, what: &str| {
            builder.problem(
                file,
                expr.span(),
                format!(
                    "{what} is not a valid default for `{}` field `{}`",
                    decl.ty.name.name, decl.name.name
                ),
            );
            None
        };
        match expr {
            Expr::String(value, _) => {
                // Prisma takes a `Decimal` default written as a string, which
                // keeps digits a float would round: `@default("2.00")`.
                if ty == FieldType::Decimal {
                    return match decimal_literal(value) {
                        Some(literal) => Some(literal),
                        None => mismatch(self, &format!("the string \"{value}\"")),
                    };
                }
                if ty.is_numeric() || matches!(ty, FieldType::Bool | FieldType::Enum) {
                    return mismatch(self, &format!("the string \"{value}\""));
                }
                Some(Literal::String(value.clone()))
            }
            Expr::Number(text, _) => {
                let integer = !text.contains(['.', 'e', 'E']);
                if integer && let Ok(value) = text.parse::<i64>() {
                    if ty.is_numeric() || matches!(ty, FieldType::Json | FieldType::Native) {
                        return Some(Literal::Int(value));
                    }
                } else if let Ok(value) = text.parse::<f64>()
                    && matches!(
                        ty,
                        FieldType::Float32
                            | FieldType::Float64
                            | FieldType::Decimal
                            | FieldType::Json
                            | FieldType::Native
                    )
                {
                    return Some(Literal::Float(value));
                }
                mismatch(self, &format!("`{text}`"))
            }
            Expr::Ident(ident) => {
                match (ident.name.as_str(), ty) {
                    ("true", FieldType::Bool | FieldType::Json) => {
                        return Some(Literal::Bool(true));
                    }
                    ("false", FieldType::Bool | FieldType::Json) => {
                        return Some(Literal::Bool(false));
                    }
                    _ => {}
                }
                let enum_block = match resolved {
                    Resolved::Enum(block) if ty == FieldType::Enum => Some(*block),
                    _ => None,
                };
                let Some(block) = enum_block else {
                    return mismatch(self, &format!("`{}`", ident.name));
                };
                match block.values.iter().find(|v| v.name.name == ident.name) {
                    Some(value) => {
                        let stored = value
                            .attributes
                            .iter()
                            .find(|a| a.name == "map")
                            .and_then(|a| positional_or_named(a, "name"))
                            .and_then(|e| match e {
                                Expr::String(text, _) => Some(text.clone()),
                                _ => None,
                            })
                            .unwrap_or_else(|| ident.name.clone());
                        Some(Literal::String(stored))
                    }
                    None => {
                        let names: Vec<&str> =
                            block.values.iter().map(|v| v.name.name.as_str()).collect();
                        self.unknown(
                            file,
                            ident.span.clone(),
                            format!(
                                "`{}` is not a value of enum `{}`",
                                ident.name, block.name.name
                            ),
                            &ident.name,
                            &names,
                            Some(format!("use one of: {}", names.join(", "))),
                        );
                        None
                    }
                }
            }
            Expr::Array(..) => mismatch(self, "a list"),
            Expr::Object(..) => mismatch(self, "an object"),
            Expr::Call { name, .. } => {
                self.problem(
                    file,
                    name.span.clone(),
                    format!("`{}()` cannot be used inside a list default", name.name),
                );
                None
            }
        }
    }

    // -- entities -----------------------------------------------------------

    fn entity(&mut self, declaration: Declaration<'a>) -> Entity {
        let Declaration { file, block } = declaration;
        let name = block.name.name.as_str();
        let mut entity = Entity::new(name);
        if self.provider == Provider::Mysql && block.kind == BlockKind::Model {
            // Prisma Migrate creates every MySQL table with
            // `DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.
            entity.collation = Some(MYSQL_COLLATION.to_owned());
        }
        if block.kind == BlockKind::View {
            entity.kind = EntityKind::View;
        }
        entity.comment = comment(&block.docs);

        let mut field_ids: Vec<(&FieldDecl, &Attribute)> = Vec::new();
        let mut named_uniques = Vec::new();
        // `@unique(where: raw(...))`, `@unique(sort: Desc)`: name, key, predicate.
        let mut unique_indexes = Vec::new();
        let mut seen = BTreeSet::new();
        for decl in &block.fields {
            let object = format!("{name}.{}", decl.name.name);
            if !seen.insert(decl.name.name.as_str()) {
                self.duplicate_field(file, name, decl);
                continue;
            }
            let Some(mut field) = self.field(file, &object, decl, true) else {
                if let Resolved::Model(_) = self.resolve(&decl.ty.name.name, None) {
                    self.check_relation_field_attributes(file, &object, decl);
                }
                continue;
            };
            for attribute in &decl.attributes {
                match attribute.name.as_str() {
                    "id" => {
                        self.check_arguments(
                            file,
                            attribute,
                            &["map", "length", "sort", "clustered"],
                            0,
                        );
                        self.index_options_ledger(&object, attribute);
                        field_ids.push((decl, attribute));
                    }
                    "unique" => {
                        self.check_arguments(
                            file,
                            attribute,
                            &["map", "length", "sort", "clustered", "where"],
                            0,
                        );
                        let key = self.unique_field_key(file, &object, attribute, decl);
                        let map = self.named_string(file, attribute, "map");
                        let predicate = self.index_predicate(file, &object, attribute, &entity);
                        if predicate.is_some() || key.needs_index() {
                            unique_indexes.push((map, key, predicate));
                            continue;
                        }
                        match map {
                            Some(map) => named_uniques
                                .push(Unique::new(Some(map), vec![decl.name.name.clone()])),
                            None => field.unique = true,
                        }
                    }
                    _ => {}
                }
            }
            entity.fields.insert(decl.name.name.clone(), field);
        }
        entity.uniques = named_uniques;
        for (map, key, predicate) in unique_indexes {
            let index = unique_index(&entity, map, vec![key], predicate, self.provider);
            entity.indexes.push(index);
        }

        match field_ids.as_slice() {
            [] => {}
            [(decl, attribute)] => {
                entity.primary_key = vec![decl.name.name.clone()];
                entity.primary_key_name = self.named_string(file, attribute, "map");
            }
            [_, rest @ ..] => {
                for (_, attribute) in rest {
                    self.problem_with_help(
                        file,
                        attribute.name_span.clone(),
                        format!("`{name}` has more than one field with `@id`"),
                        "declare a compound key with `@@id([a, b])` instead",
                    );
                }
            }
        }

        // Fields of unknown types are reported already.
        if entity.fields.is_empty()
            && !block
                .fields
                .iter()
                .any(|f| matches!(self.resolve(&f.ty.name.name, None), Resolved::Unknown))
        {
            self.problem_with_help(
                file,
                block.name.span.clone(),
                format!("{} `{name}` has no scalar fields", block.kind.keyword()),
                "a table needs at least one column, such as `id Int @id`",
            );
        }
        // The table name first: default index names are made from it.
        let (naming, others): (Vec<&Attribute>, Vec<&Attribute>) = block
            .attributes
            .iter()
            .partition(|attribute| matches!(attribute.name.as_str(), "map" | "schema"));
        for attribute in naming.into_iter().chain(others) {
            self.block_attribute(file, block, attribute, &mut entity);
        }
        if self.provider == Provider::Sqlite {
            rowid_key(&mut entity);
        }
        if block.kind == BlockKind::View {
            self.view_query(&mut entity, name);
        }
        entity
    }

    /// The query of view `name` from `views/<schema>/<view>.sql`: the
    /// folder of its `@@schema`, else the one file of that name (of the
    /// engine's default schema when several folders have one). Without it
    /// the view has no `definition`, and a ledger line says so.
    fn view_query(&mut self, entity: &mut Entity, name: &str) {
        let view = entity.table.as_str();
        let default_schema = match self.provider {
            Provider::Postgres | Provider::Cockroach => "public",
            Provider::Sqlite => "main",
            Provider::Sqlserver => "dbo",
            Provider::Mysql | Provider::Mongodb | Provider::Unknown => "",
        };
        let queries = &self.views.queries;
        let found: Vec<(&String, &String)> = match &entity.schema {
            Some(schema) => queries
                .get_key_value(schema)
                .and_then(|(folder, views)| Some((folder, views.get(view)?)))
                .into_iter()
                .collect(),
            None => queries
                .iter()
                .filter_map(|(folder, views)| Some((folder, views.get(view)?)))
                .collect(),
        };
        let chosen = match found.as_slice() {
            [one] => Some(*one),
            several => several
                .iter()
                .find(|(folder, _)| folder.as_str() == default_schema)
                .copied(),
        };
        // MongoDB views are pipelines, which `db pull` does not write out.
        let query = chosen
            .filter(|_| self.provider != Provider::Mongodb)
            .map(|(_, text)| text.trim().trim_end_matches(';').trim_end())
            .filter(|query| !query.is_empty());
        if let Some(query) = query {
            entity.definition = Some(query.to_owned());
            return;
        }
        let folder = match &self.views.folder {
            Some(folder) => format!("`{}`", folder.display()),
            None => "a `views` folder beside the schema".to_owned(),
        };
        let schema = entity
            .schema
            .as_deref()
            .unwrap_or(if default_schema.is_empty() {
                "<schema>"
            } else {
                default_schema
            });
        let why = if found.len() > 1 {
            format!(
                "several folders of {folder} have a `{view}.sql` ({}), and none is the view's schema",
                found
                    .iter()
                    .map(|(folder, _)| format!("`{folder}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!("{folder} has no `{schema}/{view}.sql` (as `prisma db pull` writes it)")
        };
        self.ledger.record(
            name,
            "view_definition",
            format!(
                "a Prisma schema holds the columns of view `{name}` but not its query, and {why}: \
                 the manifest has no `definition`, so a migration cannot create the view (add the \
                 file, or `definition = \"SELECT ...\"` to the entity)"
            ),
        );
    }

    fn check_relation_field_attributes(&mut self, file: usize, object: &str, decl: &FieldDecl) {
        for attribute in &decl.attributes {
            match attribute.name.as_str() {
                "relation" => {}
                "ignore" => self.ledger.record(
                    object,
                    "ignored",
                    "`@ignore` on a relation field: the Prisma client leaves the relation out",
                ),
                other => self.problem_with_help(
                    file,
                    attribute.name_span.clone(),
                    format!(
                        "`@{other}` does not apply to relation field `{}`",
                        decl.name.name
                    ),
                    "put it on the scalar field that holds the foreign key",
                ),
            }
        }
    }

    /// The key of `@unique` on field `decl`: its `sort:`, and on MySQL its
    /// `length:`; the options a key does not hold go to the ledger.
    fn unique_field_key(
        &mut self,
        file: usize,
        object: &str,
        attribute: &Attribute,
        decl: &FieldDecl,
    ) -> KeyField {
        let mut key = KeyField {
            field: decl.name.name.clone(),
            order: None,
            operator_class: None,
            prefix_length: None,
        };
        let mut rest = attribute.clone();
        rest.arguments.retain(|argument| {
            let Some(name) = &argument.name else {
                return true;
            };
            match (name.name.as_str(), &argument.value) {
                ("sort", Expr::Ident(sort)) if sort.name == "Desc" => {
                    key.order = Some(SortOrder::Desc);
                    false
                }
                ("length", Expr::Number(text, _)) if self.provider == Provider::Mysql => {
                    match text.parse::<u32>() {
                        Ok(length) if length > 0 => {
                            key.prefix_length = Some(length);
                        }
                        _ => self.problem(
                            file,
                            argument.value.span(),
                            "`length:` is a whole number of characters, greater than 0",
                        ),
                    }
                    false
                }
                _ => true,
            }
        });
        self.index_options_ledger(object, &rest);
        key
    }

    /// `length:`, `sort:` and `clustered:` of `@id` / `@unique`.
    fn index_options_ledger(&mut self, object: &str, attribute: &Attribute) {
        for argument in &attribute.arguments {
            let Some(name) = &argument.name else {
                continue;
            };
            if matches!(name.name.as_str(), "length" | "clustered")
                || (name.name == "sort"
                    && !matches!(&argument.value, Expr::Ident(i) if i.name == "Asc"))
            {
                self.ledger.record(
                    object,
                    "index_option",
                    format!(
                        "`{}:` of `{}` is not represented in the manifest",
                        name.name,
                        attribute.display()
                    ),
                );
            }
        }
    }

    fn block_attribute(
        &mut self,
        file: usize,
        block: &Block,
        attribute: &Attribute,
        entity: &mut Entity,
    ) {
        let name = block.name.name.as_str();
        match attribute.name.as_str() {
            "map" => {
                if let Some(table) = self.string_argument(file, attribute, "name") {
                    entity.table = table;
                }
            }
            "schema" => entity.schema = self.string_argument(file, attribute, "name"),
            "ignore" => self.ledger.record(
                name,
                "ignored",
                "`@@ignore`: the table exists, but the Prisma client leaves it out",
            ),
            "shardKey" => self.ledger.record(
                name,
                "shard_key",
                "`@@shardKey` (PlanetScale sharding) is not represented in the manifest",
            ),
            "id" => {
                self.check_arguments(
                    file,
                    attribute,
                    &["fields", "name", "map", "length", "sort", "clustered"],
                    1,
                );
                let Some(parts) = self.key_fields(file, block, attribute, entity) else {
                    return;
                };
                if !entity.primary_key.is_empty() {
                    self.problem_with_help(
                        file,
                        attribute.name_span.clone(),
                        format!("`{name}` has both `@id` and `@@id`"),
                        "keep one of them",
                    );
                    return;
                }
                for part in parts.iter().filter(|part| part.order.is_some()) {
                    self.ledger.record(
                        name,
                        "index_option",
                        format!(
                            "`sort: Desc` on `{}` in `@@id` is not represented in the manifest \
                             (a primary key's columns are ascending)",
                            part.field
                        ),
                    );
                }
                entity.primary_key = parts.into_iter().map(|part| part.field).collect();
                // `name:` names the client's compound key; only `map:`
                // names the constraint.
                entity.primary_key_name = self.named_string(file, attribute, "map");
                self.index_options_ledger(name, attribute);
            }
            "unique" => {
                self.check_arguments(
                    file,
                    attribute,
                    &[
                        "fields",
                        "name",
                        "map",
                        "length",
                        "sort",
                        "clustered",
                        "where",
                    ],
                    1,
                );
                let Some(parts) = self.key_fields(file, block, attribute, entity) else {
                    return;
                };
                // `name:` names the client's compound key; only `map:`
                // names the constraint or index.
                let constraint = self.named_string(file, attribute, "map");
                self.index_options_ledger(name, attribute);
                let predicate = self.index_predicate(file, name, attribute, entity);
                if predicate.is_some() || parts.iter().any(KeyField::needs_index) {
                    let index = unique_index(entity, constraint, parts, predicate, self.provider);
                    entity.indexes.push(index);
                    return;
                }
                let fields: Vec<String> = parts.into_iter().map(|part| part.field).collect();
                match (constraint, fields.as_slice()) {
                    (None, [single]) => {
                        if let Some(field) = entity.fields.get_mut(single) {
                            field.unique = true;
                        }
                    }
                    (constraint, _) => entity.uniques.push(Unique::new(constraint, fields)),
                }
            }
            "index" | "fulltext" => {
                self.check_arguments(
                    file,
                    attribute,
                    &["fields", "name", "map", "type", "clustered", "where"],
                    1,
                );
                let Some(parts) = self.key_fields(file, block, attribute, entity) else {
                    return;
                };
                // MongoDB's full-text index is a `text` index.
                let fulltext = if self.provider == Provider::Mongodb {
                    "text"
                } else {
                    "fulltext"
                };
                let mut method = (attribute.name == "fulltext").then(|| fulltext.to_owned());
                if let Some(expr) = named(attribute, "type") {
                    match expr {
                        Expr::Ident(ident) => match ident.name.as_str() {
                            "BTree" => {}
                            "Hash" | "Gist" | "Gin" | "SpGist" | "Brin" => {
                                method = Some(ident.name.to_ascii_lowercase());
                            }
                            other => {
                                const TYPES: &[&str] =
                                    &["BTree", "Hash", "Gist", "Gin", "SpGist", "Brin"];
                                self.unknown(
                                    file,
                                    ident.span.clone(),
                                    format!("unknown index type `{other}`"),
                                    other,
                                    TYPES,
                                    Some(format!("use one of: {}", TYPES.join(", "))),
                                );
                            }
                        },
                        other => self.problem(
                            file,
                            other.span(),
                            format!(
                                "`type:` names an index type such as `Hash`, found {}",
                                other.describe()
                            ),
                        ),
                    }
                }
                let predicate = self.index_predicate(file, name, attribute, entity);
                for option in ["clustered"] {
                    if named(attribute, option).is_some() {
                        self.ledger.record(
                            name,
                            "index_option",
                            format!(
                                "`{option}:` of `@@{}` is not represented in the manifest",
                                attribute.name
                            ),
                        );
                    }
                }
                let index_name = self
                    .named_string(file, attribute, "map")
                    .or_else(|| self.named_string(file, attribute, "name"))
                    .unwrap_or_else(|| {
                        let fields: Vec<String> =
                            parts.iter().map(|part| part.field.clone()).collect();
                        let columns = column_names(entity, &fields);
                        default_index_name(&entity.table, &columns, "_idx", self.provider)
                    });
                // As the catalog shows them: `""` for the method's default.
                let mut options = IndexOptions::default();
                let classes: Vec<String> = parts
                    .iter()
                    .map(|part| {
                        part.operator_class
                            .clone()
                            .filter(|class| !default_operator_class(method.as_deref(), class))
                            .unwrap_or_default()
                    })
                    .collect();
                if let Some(last) = classes.iter().rposition(|class| !class.is_empty()) {
                    options.operator_classes = classes[..=last].to_vec();
                }
                let fields = index_parts(entity, parts);
                entity.indexes.push(Index {
                    name: index_name,
                    fields,
                    unique: false,
                    predicate,
                    method,
                    expire_after_seconds: None,
                    options,
                });
            }
            other => self.unknown_attribute(file, attribute, other, "@@", BLOCK_ATTRIBUTES),
        }
    }

    /// The predicate of a partial index, `where: raw("...")`: SQL, for the
    /// SQL providers. Another form, or MongoDB, goes to the ledger.
    fn index_predicate(
        &mut self,
        file: usize,
        object: &str,
        attribute: &Attribute,
        entity: &Entity,
    ) -> Option<String> {
        let value = named(attribute, "where")?;
        if self.provider != Provider::Mongodb
            && let Expr::Object(entries, _) = value
            && let Some(sql) = object_filter(entries, entity, self.provider)
        {
            return Some(sql);
        }
        if self.provider != Provider::Mongodb
            && let Some(sql) = raw_string(value)
        {
            if sql.trim().is_empty() {
                self.problem(
                    file,
                    value.span(),
                    "`where: raw(\"...\")` needs the predicate",
                );
                return None;
            }
            return Some(sql.to_owned());
        }
        self.ledger.record(
            object,
            "index_option",
            format!(
                "`where:` of `{}` is not represented in the manifest: only `raw(\"...\")` and \
                 objects of fields compared with `true`, `false`, `null`, numbers and strings \
                 (`not:` for the opposite) on a SQL database are",
                attribute.display()
            ),
        );
        None
    }

    /// The PostgreSQL operator class of `ops:`: `raw("gin_trgm_ops")` as
    /// written, or one of Prisma's names (`JsonbPathOps` is
    /// `jsonb_path_ops`). `None` after reporting anything else.
    fn operator_class(&mut self, file: usize, value: &Expr) -> Option<String> {
        if let Some(class) = raw_string(value) {
            if class.trim().is_empty() {
                self.problem(
                    file,
                    value.span(),
                    "`ops: raw(\"...\")` needs an operator class",
                );
                return None;
            }
            return Some(class.trim().to_owned());
        }
        match value {
            Expr::Ident(ident) => match operator_class(&ident.name) {
                Some(class) => Some(class),
                None => {
                    self.problem_with_help(
                        file,
                        ident.span.clone(),
                        format!("unknown operator class `{}`", ident.name),
                        "use one of Prisma's (`JsonbPathOps`, `ArrayOps`, `Int4MinMaxOps`, ...), \
                         or name the PostgreSQL one with `raw(\"gin_trgm_ops\")`",
                    );
                    None
                }
            },
            other => {
                self.problem(
                    file,
                    other.span(),
                    format!(
                        "`ops:` names an operator class such as `JsonbPathOps` or `raw(\"gin_trgm_ops\")`, found {}",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    /// The field list of `@@id`, `@@unique`, `@@index`: each a field of the
    /// entity, with its sort order.
    fn key_fields(
        &mut self,
        file: usize,
        block: &Block,
        attribute: &Attribute,
        entity: &Entity,
    ) -> Option<Vec<KeyField>> {
        let owner = block.name.name.as_str();
        let Some(list) = positional_or_named(attribute, "fields") else {
            self.problem_with_help(
                file,
                attribute.span.clone(),
                format!("`@@{}` needs a list of fields", attribute.name),
                format!("write `@@{}([a, b])`", attribute.name),
            );
            return None;
        };
        // Prisma reads a single field without brackets as a list of one:
        // `@@index(slug)`, `@@index(slug(sort: Desc))`.
        let single;
        let items = match list {
            Expr::Array(items, _) => items.as_slice(),
            Expr::Ident(_) | Expr::Call { .. } => {
                single = [list.clone()];
                &single[..]
            }
            _ => &[][..],
        };
        if !matches!(list, Expr::Array(..) | Expr::Ident(_) | Expr::Call { .. }) {
            self.problem_with_help(
                file,
                list.span(),
                format!(
                    "`@@{}` takes a list of fields in brackets, found {}",
                    attribute.name,
                    list.describe()
                ),
                format!("write `@@{}([a, b])`", attribute.name),
            );
            return None;
        }
        if items.is_empty() {
            self.problem(
                file,
                list.span(),
                format!("`@@{}` needs at least one field", attribute.name),
            );
            return None;
        }
        let mut parts = Vec::new();
        let mut ok = true;
        for item in items {
            let (ident, arguments) = match item {
                Expr::Ident(ident) => (ident, &[][..]),
                Expr::Call {
                    name, arguments, ..
                } => (name, arguments.as_slice()),
                other => {
                    self.problem(
                        file,
                        other.span(),
                        format!("expected a field name, found {}", other.describe()),
                    );
                    ok = false;
                    continue;
                }
            };
            let mut order = None;
            let mut operator_class = None;
            let mut prefix_length = None;
            for argument in arguments {
                match (
                    argument.name.as_ref().map(|n| n.name.as_str()),
                    &argument.value,
                ) {
                    (Some("sort"), Expr::Ident(sort)) if sort.name == "Desc" => {
                        order = Some(SortOrder::Desc);
                    }
                    (Some("sort"), Expr::Ident(sort)) if sort.name == "Asc" => {}
                    (Some("sort"), other) => {
                        self.problem(file, other.span(), "`sort:` is `Asc` or `Desc`");
                        ok = false;
                    }
                    (Some("ops"), value)
                        if attribute.name == "index"
                            && matches!(
                                self.provider,
                                Provider::Postgres | Provider::Cockroach
                            ) =>
                    {
                        match self.operator_class(file, value) {
                            Some(class) => operator_class = Some(class),
                            None => ok = false,
                        }
                    }
                    (Some("length"), value)
                        if matches!(attribute.name.as_str(), "index" | "unique")
                            && self.provider == Provider::Mysql =>
                    {
                        match value {
                            Expr::Number(text, _) if text.parse::<u32>().is_ok_and(|n| n > 0) => {
                                prefix_length = text.parse::<u32>().ok();
                            }
                            other => {
                                self.problem(
                                    file,
                                    other.span(),
                                    "`length:` is a whole number of characters, greater than 0",
                                );
                                ok = false;
                            }
                        }
                    }
                    (Some(option @ ("length" | "ops")), _) => self.ledger.record(
                        owner,
                        "index_option",
                        format!(
                            "`{option}:` on `{}` in `@@{}` is not represented in the manifest",
                            ident.name, attribute.name
                        ),
                    ),
                    _ => {
                        self.problem(
                            file,
                            argument.span.clone(),
                            format!(
                                "unexpected argument on `{}`: a key field takes `sort:`, `length:` or `ops:`",
                                ident.name
                            ),
                        );
                        ok = false;
                    }
                }
            }
            // MongoDB keys a field of a composite type by its path,
            // `address.city`.
            let path = self.provider == Provider::Mongodb
                && ident.name.contains('.')
                && crate::manifest::field_at_path(&entity.fields, &ident.name).is_some();
            if entity.fields.contains_key(&ident.name) || path {
                parts.push(KeyField {
                    field: ident.name.clone(),
                    order,
                    operator_class,
                    prefix_length,
                });
                continue;
            }
            ok = false;
            let is_relation = block.fields.iter().any(|f| f.name.name == ident.name);
            if is_relation {
                self.problem_with_help(
                    file,
                    ident.span.clone(),
                    format!(
                        "`{}` is a relation field; `@@{}` lists scalar fields",
                        ident.name, attribute.name
                    ),
                    "list the field that holds the foreign key instead",
                );
            } else {
                let names: Vec<&str> = entity.fields.keys().map(String::as_str).collect();
                self.unknown(
                    file,
                    ident.span.clone(),
                    format!("`{owner}` has no field `{}`", ident.name),
                    &ident.name,
                    &names,
                    None,
                );
            }
        }
        ok.then_some(parts)
    }

    // -- relations ----------------------------------------------------------

    fn relations(&mut self, declaration: Declaration<'a>) -> Vec<Relation> {
        let Declaration { file, block } = declaration;
        let owner = block.name.name.as_str();
        let mut relations: Vec<Relation> = Vec::new();
        for decl in &block.fields {
            let Resolved::Model(target) = self.resolve(&decl.ty.name.name, None) else {
                continue;
            };
            let Some(attribute) = decl.attributes.iter().find(|a| a.name == "relation") else {
                continue;
            };
            self.check_arguments(
                file,
                attribute,
                &[
                    "name",
                    "fields",
                    "references",
                    "onDelete",
                    "onUpdate",
                    "map",
                ],
                1,
            );
            let relation_name = match positional_or_named(attribute, "name") {
                Some(Expr::String(name, _)) => Some(name.clone()),
                Some(other) => {
                    self.problem(
                        file,
                        other.span(),
                        format!(
                            "the relation name must be a string, found {}",
                            other.describe()
                        ),
                    );
                    None
                }
                None => None,
            };
            let fields = named(attribute, "fields");
            let references = named(attribute, "references");
            let (fields, references) = match (fields, references) {
                (None, None) => {
                    for option in ["onDelete", "onUpdate"] {
                        if let Some(expr) = named(attribute, option) {
                            self.problem_with_help(
                                file,
                                expr.span(),
                                format!(
                                    "`{option}:` belongs on the side of the relation with `fields:`"
                                ),
                                "move it to the `@relation` that lists `fields` and `references`",
                            );
                        }
                    }
                    continue;
                }
                (Some(fields), Some(references)) => (fields, references),
                (Some(_), None) | (None, Some(_)) => {
                    self.problem_with_help(
                        file,
                        attribute.span.clone(),
                        "`@relation` needs both `fields:` and `references:`",
                        "write `@relation(fields: [authorId], references: [id])`",
                    );
                    continue;
                }
            };
            if decl.ty.arity == Arity::List {
                if let Some(ids) = self.id_array(block, fields) {
                    // MongoDB's many-to-many: each side keeps the ids of the
                    // other's documents in a list field of its own.
                    self.ledger.record(
                        format!("{owner}.{}", decl.name.name),
                        "id_array_relation",
                        format!(
                            "`{owner}.{}` links `{}` documents through the id list `{ids}`; the \
                             manifest keeps `{ids}` as a list of ids but has no relation for it",
                            decl.name.name, target.name.name
                        ),
                    );
                    continue;
                }
                self.problem_with_help(
                    file,
                    attribute.span.clone(),
                    format!(
                        "list field `{}` cannot hold the foreign key (`fields:`)",
                        decl.name.name
                    ),
                    "put `fields:` and `references:` on the single side of the relation",
                );
                continue;
            }
            let own: Vec<&str> = block
                .fields
                .iter()
                .filter(|f| !matches!(self.resolve(&f.ty.name.name, None), Resolved::Model(_)))
                .map(|f| f.name.name.as_str())
                .collect();
            let Some(fields) = self.relation_fields(file, fields, owner, &own) else {
                continue;
            };
            let theirs: Vec<&str> = target
                .fields
                .iter()
                .filter(|f| !matches!(self.resolve(&f.ty.name.name, None), Resolved::Model(_)))
                .map(|f| f.name.name.as_str())
                .collect();
            let Some(target_fields) =
                self.relation_fields(file, references, &target.name.name, &theirs)
            else {
                continue;
            };
            if fields.len() != target_fields.len() {
                self.problem_with_help(
                    file,
                    attribute.span.clone(),
                    format!(
                        "`@relation` lists {} field(s) but {} reference(s)",
                        fields.len(),
                        target_fields.len()
                    ),
                    "`fields` and `references` pair up one to one",
                );
                continue;
            }
            // Prisma's defaults: an optional relation sets null, a required
            // one restricts; an update cascades.
            let default_delete = if decl.ty.arity == Arity::Optional {
                ReferentialAction::SetNull
            } else {
                ReferentialAction::Restrict
            };
            let on_delete = self
                .referential_action(file, attribute, "onDelete")
                .unwrap_or(default_delete);
            let on_update = self
                .referential_action(file, attribute, "onUpdate")
                .unwrap_or(ReferentialAction::Cascade);
            let constraint = self.named_string(file, attribute, "map");
            let mut name = constraint.or(relation_name);
            if let Some(taken) = &name
                && relations.iter().any(|r| r.name.as_ref() == Some(taken))
            {
                self.ledger.record(
                    format!("{owner}.{}", decl.name.name),
                    "relation_name",
                    format!(
                        "relation name `{taken}` is used twice in `{owner}`; this relation is left unnamed"
                    ),
                );
                name = None;
            }
            relations.push(Relation {
                name,
                fields,
                references: RelationTarget {
                    entity: target.name.name.clone(),
                    fields: target_fields,
                },
                on_delete,
                on_update,
                deferrable: false,
                deferred: false,
                comment: None,
            });
        }
        relations
    }

    /// The field names listed in `fields:` or `references:`, each one a
    /// scalar field of `owner`.
    fn relation_fields(
        &mut self,
        file: usize,
        list: &Expr,
        owner: &str,
        known: &[&str],
    ) -> Option<Vec<String>> {
        // A single name stands for a list of one, as in Prisma:
        // `fields: authorId`.
        let span = list.span();
        let single;
        let items = match list {
            Expr::Array(items, _) => items.as_slice(),
            Expr::Ident(_) => {
                single = [list.clone()];
                &single[..]
            }
            _ => &[][..],
        };
        if !matches!(list, Expr::Array(..) | Expr::Ident(_)) {
            self.problem_with_help(
                file,
                list.span(),
                format!("expected a list of fields, found {}", list.describe()),
                "write the field names in brackets, e.g. `[authorId]`",
            );
            return None;
        }
        if items.is_empty() {
            self.problem(file, span.clone(), "the list of fields is empty");
            return None;
        }
        let mut names = Vec::new();
        let mut ok = true;
        for item in items {
            let Expr::Ident(ident) = item else {
                self.problem(
                    file,
                    item.span(),
                    format!("expected a field name, found {}", item.describe()),
                );
                ok = false;
                continue;
            };
            if known.contains(&ident.name.as_str()) {
                names.push(ident.name.clone());
            } else {
                self.unknown(
                    file,
                    ident.span.clone(),
                    format!("`{owner}` has no scalar field `{}`", ident.name),
                    &ident.name,
                    known,
                    None,
                );
                ok = false;
            }
        }
        ok.then_some(names)
    }

    fn referential_action(
        &mut self,
        file: usize,
        attribute: &Attribute,
        option: &str,
    ) -> Option<ReferentialAction> {
        const ACTIONS: &[&str] = &["Cascade", "Restrict", "NoAction", "SetNull", "SetDefault"];
        let expr = named(attribute, option)?;
        let Expr::Ident(ident) = expr else {
            self.problem_with_help(
                file,
                expr.span(),
                format!(
                    "`{option}:` takes a referential action, found {}",
                    expr.describe()
                ),
                format!("use one of: {}", ACTIONS.join(", ")),
            );
            return None;
        };
        let action = match ident.name.as_str() {
            "Cascade" => ReferentialAction::Cascade,
            "Restrict" => ReferentialAction::Restrict,
            "NoAction" => ReferentialAction::NoAction,
            "SetNull" => ReferentialAction::SetNull,
            "SetDefault" => ReferentialAction::SetDefault,
            other => {
                self.unknown(
                    file,
                    ident.span.clone(),
                    format!("unknown referential action `{other}`"),
                    other,
                    ACTIONS,
                    Some(format!("use one of: {}", ACTIONS.join(", "))),
                );
                return None;
            }
        };
        Some(action)
    }

    /// On MongoDB, the list field `fields:` names on a list relation
    /// (`favoriteIds String[] @db.ObjectId` beside
    /// `favorites Post[] @relation(fields: [favoriteIds], references: [id])`).
    fn id_array(&self, block: &Block, fields: &Expr) -> Option<String> {
        if self.provider != Provider::Mongodb {
            return None;
        }
        let name = match fields {
            Expr::Array(items, _) if items.len() == 1 => &items[0],
            Expr::Ident(_) => fields,
            _ => return None,
        };
        let Expr::Ident(name) = name else {
            return None;
        };
        block
            .fields
            .iter()
            .find(|f| f.name.name == name.name)
            .filter(|f| {
                f.ty.arity == Arity::List
                    && !matches!(self.resolve(&f.ty.name.name, None), Resolved::Model(_))
            })
            .map(|f| f.name.name.clone())
    }

    /// Implicit many-to-many relations (a list field on both sides, no
    /// `fields:`): Prisma keeps them in a join table of its own, which is
    /// an entity here ([`join_table`]).
    fn many_to_many(&mut self, declarations: &[Declaration<'a>], manifest: &mut Manifest) {
        for declaration in declarations {
            let block = declaration.block;
            if block.kind != BlockKind::Model {
                continue;
            }
            for decl in &block.fields {
                if decl.ty.arity != Arity::List {
                    continue;
                }
                let Resolved::Model(target) = self.resolve(&decl.ty.name.name, None) else {
                    continue;
                };
                let name = relation_name(decl);
                let back = target.fields.iter().find(|other| {
                    other.ty.name.name == block.name.name
                        && other.ty.arity == Arity::List
                        && relation_name(other) == name
                        && !(std::ptr::eq(target, block) && other.name.name == decl.name.name)
                });
                let Some(back) = back else {
                    continue;
                };
                // MongoDB's id lists (`fields:` on a list side) are no join table.
                if has_fields(decl) || has_fields(back) {
                    continue;
                }
                // Report each pair once.
                if (block.name.name.as_str(), decl.name.name.as_str())
                    > (target.name.name.as_str(), back.name.name.as_str())
                {
                    continue;
                }
                let table = match &name {
                    Some(name) => format!("_{name}"),
                    None => {
                        let mut pair = [block.name.name.as_str(), target.name.name.as_str()];
                        pair.sort_unstable();
                        format!("_{}To{}", pair[0], pair[1])
                    }
                };
                let mut pair = [block.name.name.as_str(), target.name.name.as_str()];
                pair.sort_unstable();
                let made = !manifest.entities.contains_key(&table)
                    && join_table(manifest, &table, pair, self.provider)
                        .map(|entity| manifest.entities.insert(table.clone(), entity))
                        .is_some();
                let held = if made {
                    "; the table is the entity of that name, its rows the links".to_owned()
                } else {
                    ", which the manifest does not represent".to_owned()
                };
                self.ledger.record(
                    format!("{}.{}", block.name.name, decl.name.name),
                    "implicit_many_to_many",
                    format!(
                        "the many-to-many relation `{}.{}` / `{}.{}` lives in Prisma's join table \
                         `{table}`{held}",
                        block.name.name, decl.name.name, target.name.name, back.name.name
                    ),
                );
            }
        }
    }

    // -- arguments ----------------------------------------------------------

    /// Reports named arguments not in `allowed` and more than `positional`
    /// positional arguments.
    fn check_arguments(
        &mut self,
        file: usize,
        attribute: &Attribute,
        allowed: &[&str],
        positional: usize,
    ) {
        let mut seen_positional = 0;
        let mut seen = BTreeSet::new();
        for argument in &attribute.arguments {
            match &argument.name {
                None => {
                    seen_positional += 1;
                    if seen_positional > positional {
                        self.problem(
                            file,
                            argument.span.clone(),
                            match positional {
                                0 => {
                                    format!("`{}` takes only named arguments", attribute.display())
                                }
                                _ => format!(
                                    "`{}` takes one unnamed argument; name the others",
                                    attribute.display()
                                ),
                            },
                        );
                    }
                }
                Some(name) => {
                    if !seen.insert(name.name.as_str()) {
                        self.problem(
                            file,
                            name.span.clone(),
                            format!("argument `{}` is given twice", name.name),
                        );
                    }
                    if !allowed.contains(&name.name.as_str()) {
                        self.unknown(
                            file,
                            name.span.clone(),
                            format!(
                                "unknown argument `{}` of `{}`",
                                name.name,
                                attribute.display()
                            ),
                            &name.name,
                            allowed,
                            Some(format!("it takes: {}", allowed.join(", "))),
                        );
                    }
                }
            }
        }
    }

    /// The string given first or as `name:` (`@map("x")`, `@map(name: "x")`).
    fn string_argument(
        &mut self,
        file: usize,
        attribute: &Attribute,
        name: &str,
    ) -> Option<String> {
        self.check_arguments(file, attribute, &[name], 1);
        match positional_or_named(attribute, name) {
            Some(Expr::String(value, _)) => Some(value.clone()),
            Some(other) => {
                self.problem_with_help(
                    file,
                    other.span(),
                    format!(
                        "`{}` takes a string, found {}",
                        attribute.display(),
                        other.describe()
                    ),
                    format!("write `{}(\"name\")`", attribute.display()),
                );
                None
            }
            None => {
                self.problem_with_help(
                    file,
                    attribute.span.clone(),
                    format!("`{}` needs a name", attribute.display()),
                    format!("write `{}(\"name\")`", attribute.display()),
                );
                None
            }
        }
    }

    /// A named string argument (`map: "x"`), when present.
    fn named_string(&mut self, file: usize, attribute: &Attribute, name: &str) -> Option<String> {
        match named(attribute, name)? {
            Expr::String(value, _) => Some(value.clone()),
            other => {
                self.problem(
                    file,
                    other.span(),
                    format!("`{name}:` takes a string, found {}", other.describe()),
                );
                None
            }
        }
    }

    fn unknown_attribute(
        &mut self,
        file: usize,
        attribute: &Attribute,
        name: &str,
        prefix: &str,
        known: &[&str],
    ) {
        let listed: Vec<String> = known.iter().map(|k| format!("{prefix}{k}")).collect();
        self.unknown(
            file,
            attribute.name_span.clone(),
            format!("unknown attribute `{prefix}{name}`"),
            name,
            known,
            Some(format!("this position takes: {}", listed.join(", "))),
        );
    }
}

/// The relation name of a relation field (`@relation("x")` or `name:`).
/// A decimal number written as a string: an integer, a float when a 64-bit
/// float keeps every digit written (at most 15 significant digits, as the
/// live introspection reads a `numeric` default), else the text itself.
fn decimal_literal(text: &str) -> Option<Literal> {
    let text = text.trim();
    if let Ok(integer) = text.parse::<i64>() {
        return Some(Literal::Int(integer));
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (unsigned, None),
    };
    let digits_only = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    let well_formed = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (digits_only(whole) || whole.is_empty()) && digits_only(fraction)
        }
        None => digits_only(mantissa),
    } && exponent
        .is_none_or(|e| digits_only(e.strip_prefix(['-', '+']).unwrap_or(e)));
    if !well_formed {
        return None;
    }
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    match text.parse::<f64>() {
        Ok(float) if float.is_finite() && significant.len() <= 15 => Some(Literal::Float(float)),
        _ => Some(Literal::String(text.to_owned())),
    }
}

fn relation_name(decl: &FieldDecl) -> Option<String> {
    decl.attributes
        .iter()
        .find(|a| a.name == "relation")
        .and_then(|a| positional_or_named(a, "name"))
        .and_then(|e| match e {
            Expr::String(name, _) => Some(name.clone()),
            _ => None,
        })
}

/// Whether the field's `@relation` lists `fields:`.
fn has_fields(decl: &FieldDecl) -> bool {
    decl.attributes
        .iter()
        .any(|a| a.name == "relation" && named(a, "fields").is_some())
}

/// The first unnamed argument, or the one named `name`.
fn positional_or_named<'e>(attribute: &'e Attribute, name: &str) -> Option<&'e Expr> {
    attribute
        .arguments
        .iter()
        .find(|a| a.name.is_none())
        .or_else(|| {
            attribute
                .arguments
                .iter()
                .find(|a| a.name.as_ref().is_some_and(|n| n.name == name))
        })
        .map(|a| &a.value)
}

/// The text of `raw("...")`.
fn raw_string(value: &Expr) -> Option<&str> {
    match value {
        Expr::Call {
            name, arguments, ..
        } if name.name == "raw" => match arguments.as_slice() {
            [argument] if argument.name.is_none() => match &argument.value {
                Expr::String(text, _) => Some(text),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// The join table Prisma makes for an implicit many-to-many relation
/// between `models` (in name order): columns `A` and `B` holding the keys
/// of the first and the second, both keys cascading, a key over both
/// (Prisma 6's primary key `<table>_AB_pkey` on PostgreSQL, the unique index
/// `<table>_AB_unique` elsewhere) and an index on `B`. `None` when a model
/// has no one-field key to hold.
fn join_table(
    manifest: &Manifest,
    table: &str,
    models: [&str; 2],
    provider: Provider,
) -> Option<Entity> {
    let mut entity = Entity::new(table);
    for (column, model) in ["A", "B"].into_iter().zip(models) {
        let target = manifest.entities.get(model)?;
        let [key] = target.primary_key.as_slice() else {
            return None;
        };
        let held = target.fields.get(key)?;
        let mut field = Field::new(held.ty);
        field.max_length = held.max_length;
        field.precision = held.precision;
        field.scale = held.scale;
        field.enum_name.clone_from(&held.enum_name);
        field.native.clone_from(&held.native);
        field.collation.clone_from(&held.collation);
        entity.fields.insert(column.to_owned(), field);
        entity.relations.push(Relation {
            name: Some(format!("{table}_{column}_fkey")),
            fields: vec![column.to_owned()],
            references: RelationTarget {
                entity: model.to_owned(),
                fields: vec![key.clone()],
            },
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::Cascade,
            deferrable: false,
            deferred: false,
            comment: None,
        });
        if column == "A" {
            entity.schema.clone_from(&target.schema);
            entity.collation.clone_from(&target.collation);
        }
    }
    let both = || vec![IndexPart::field("A"), IndexPart::field("B")];
    if matches!(provider, Provider::Postgres | Provider::Cockroach) {
        entity.primary_key = vec!["A".to_owned(), "B".to_owned()];
        entity.primary_key_name = Some(default_index_name(
            table,
            &["AB".to_owned()],
            "_pkey",
            provider,
        ));
    } else {
        entity.indexes.push(Index {
            name: default_index_name(table, &["AB".to_owned()], "_unique", provider),
            fields: both(),
            unique: true,
            predicate: None,
            method: None,
            expire_after_seconds: None,
            options: IndexOptions::default(),
        });
    }
    entity.indexes.push(Index {
        name: default_index_name(table, &["B".to_owned()], "_index", provider),
        fields: vec![IndexPart::field("B")],
        unique: false,
        predicate: None,
        method: None,
        expire_after_seconds: None,
        options: IndexOptions::default(),
    });
    Some(entity)
}

/// The key parts of an index over `parts` of `entity`.
fn index_parts(entity: &Entity, parts: Vec<KeyField>) -> Vec<IndexPart> {
    parts
        .into_iter()
        .map(|part| IndexPart::Field {
            prefix_length: part.prefix_length.filter(|&length| {
                // A prefix as long as the column is the whole column, as
                // MySQL shows it.
                entity
                    .fields
                    .get(&part.field)
                    .is_some_and(|field| field.max_length.is_none_or(|max| length < max))
            }),
            field: part.field,
            order: part.order,
            collation: None,
        })
        .collect()
}

/// One field of `@@id`, `@@unique` or `@@index`.
struct KeyField {
    field: String,
    order: Option<SortOrder>,
    /// `ops:` of `@@index` on PostgreSQL.
    operator_class: Option<String>,
    /// `length:` of `@@index` on MySQL: the key holds the first characters.
    prefix_length: Option<u32>,
}

impl KeyField {
    /// Whether the part says more than its field's name, which a unique
    /// constraint cannot hold and a unique index can.
    fn needs_index(&self) -> bool {
        self.order.is_some() || self.prefix_length.is_some() || self.field.contains('.')
    }
}

fn named<'e>(attribute: &'e Attribute, name: &str) -> Option<&'e Expr> {
    attribute
        .arguments
        .iter()
        .find(|a| a.name.as_ref().is_some_and(|n| n.name == name))
        .map(|a| &a.value)
}

/// `///` lines joined by newlines.
fn comment(docs: &[String]) -> Option<String> {
    (!docs.is_empty()).then(|| docs.join("\n"))
}

/// Prisma's name for an index it was not given a name for:
/// `{table}_{columns}_idx`, cut to the engine's identifier length.
/// A one-field `Int` key on SQLite is the table's rowid: Prisma Migrate
/// declares it `INTEGER PRIMARY KEY`, which SQLite fills when an insert
/// leaves it out, as the database reads back.
fn rowid_key(entity: &mut Entity) {
    let [key] = entity.primary_key.as_slice() else {
        return;
    };
    if let Some(field) = entity.fields.get_mut(key)
        && field.ty == FieldType::Int64
        && field.native.is_none()
        && field.generated.is_none()
        && field.default.is_none()
    {
        field.generated = Some(Generated::Kind(GeneratedKind::Rowid));
    }
}

/// The SQL of an object filter (`where: { published: true, deletedAt: null,
/// status: { not: "gone" } }`), its comparisons joined by `AND`, as Prisma
/// Migrate writes it; `None` for what it cannot say (another operator, a
/// nested relation, a list).
fn object_filter(entries: &[Argument], entity: &Entity, provider: Provider) -> Option<String> {
    let quote = |name: &str| match provider {
        Provider::Mysql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    };
    let literal = |value: &Expr| -> Option<String> {
        Some(match value {
            Expr::Ident(ident) if matches!(ident.name.as_str(), "true" | "false") => {
                ident.name.clone()
            }
            Expr::Ident(ident) if ident.name == "null" => "NULL".to_owned(),
            Expr::Number(number, _) => number.clone(),
            Expr::String(text, _) => format!("'{}'", text.replace('\'', "''")),
            _ => return None,
        })
    };
    let mut terms = Vec::with_capacity(entries.len());
    for entry in entries {
        let field = &entry.name.as_ref()?.name;
        let column = quote(
            entity
                .fields
                .get(field)
                .map_or(field.as_str(), |f| f.column_name(field)),
        );
        let (negated, value) = match &entry.value {
            Expr::Object(inner, _) => match inner.as_slice() {
                [only] => match only.name.as_ref()?.name.as_str() {
                    "not" => (true, &only.value),
                    "equals" => (false, &only.value),
                    _ => return None,
                },
                _ => return None,
            },
            value => (false, value),
        };
        let value = literal(value)?;
        terms.push(match (value.as_str(), negated) {
            ("NULL", false) => format!("{column} IS NULL"),
            ("NULL", true) => format!("{column} IS NOT NULL"),
            (_, false) => format!("{column} = {value}"),
            (_, true) => format!("{column} <> {value}"),
        });
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// The columns of `fields` of `entity` (a field's own name when it has no
/// column of another name).
fn column_names(entity: &Entity, fields: &[String]) -> Vec<String> {
    fields
        .iter()
        .map(|field| {
            entity.fields.get(field).map_or_else(
                || field.replace('.', "_"),
                |f| f.column_name(field).to_owned(),
            )
        })
        .collect()
}

/// The unique index of a unique key a constraint cannot hold: a partial one
/// (`@unique(where:)` / `@@unique(where:)`), or one whose fields carry more
/// than their names (`sort: Desc`, MySQL's `length:`, a MongoDB path into
/// a composite type): named by `map:`, else as Prisma names a unique key
/// (`<table>_<columns>_key`).
fn unique_index(
    entity: &Entity,
    map: Option<String>,
    parts: Vec<KeyField>,
    predicate: Option<String>,
    provider: Provider,
) -> Index {
    let name = map.unwrap_or_else(|| {
        let fields: Vec<String> = parts.iter().map(|part| part.field.clone()).collect();
        default_index_name(
            &entity.table,
            &column_names(entity, &fields),
            "_key",
            provider,
        )
    });
    Index {
        name,
        fields: index_parts(entity, parts),
        unique: true,
        predicate,
        method: None,
        expire_after_seconds: None,
        options: IndexOptions::default(),
    }
}

/// Prisma's name for an index or key it is not given one for:
/// `<table>_<columns>` and `suffix` (`_idx`, `_key`), cut to the engine's
/// longest name.
fn default_index_name(table: &str, columns: &[String], suffix: &str, provider: Provider) -> String {
    let limit = match provider {
        Provider::Postgres | Provider::Cockroach => Some(63),
        Provider::Mysql => Some(64),
        Provider::Sqlserver => Some(128),
        Provider::Sqlite | Provider::Mongodb | Provider::Unknown => None,
    };
    let mut base = format!("{table}_{}", columns.join("_"));
    if let Some(limit) = limit {
        let room = limit - suffix.len();
        if base.len() > room {
            let mut cut = room;
            while !base.is_char_boundary(cut) {
                cut -= 1;
            }
            base.truncate(cut);
        }
    }
    base.push_str(suffix);
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_index_names_fit_the_engine() {
        assert_eq!(
            default_index_name(
                "session",
                &["website_id".into(), "created_at".into()],
                "_idx",
                Provider::Postgres
            ),
            "session_website_id_created_at_idx"
        );
        let long = default_index_name(
            "a_rather_long_table_name",
            &[
                "first_column_name".into(),
                "second_column_name".into(),
                "third".into(),
            ],
            "_idx",
            Provider::Postgres,
        );
        assert_eq!(long.len(), 63);
        assert!(long.ends_with("_idx"));
    }
}
