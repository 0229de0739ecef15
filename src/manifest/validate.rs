//! Semantic checks over a whole [`Manifest`]: names that must refer to
//! something, names that must be unique, and attributes that must fit their
//! field's type. Pure: the same checks run on a loaded file (where problems get
//! spans) and on a manifest a source just produced.

use std::collections::{BTreeMap, HashMap, HashSet};

use indexmap::IndexMap;

use super::diagnostics::{Problem, ProblemKind, closest};
use super::model::*;
use super::path::{index_path, key_path};

/// Whether `c` is invisible or changes the direction of text: the bidi
/// embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069), the
/// direction marks (U+200E, U+200F, U+061C), and the zero-width characters
/// (U+200B..U+200D, U+2060..U+2064, U+FEFF).
pub fn is_hidden_character(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// `name` with every hidden character written as `\u{...}`, for messages.
pub fn escape_hidden(name: &str) -> String {
    name.chars()
        .map(|c| {
            if is_hidden_character(c) {
                format!("\\u{{{:04X}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn hidden_character_name(c: char) -> &'static str {
    match c {
        '\u{200B}' => "zero width space",
        '\u{200C}' => "zero width non-joiner",
        '\u{200D}' => "zero width joiner",
        '\u{2060}' => "word joiner",
        '\u{FEFF}' => "zero width no-break space",
        '\u{200E}' | '\u{200F}' | '\u{061C}' => "a direction mark",
        '\u{202A}'..='\u{202E}' => "a bidirectional embedding or override",
        '\u{2066}'..='\u{2069}' => "a bidirectional isolate",
        _ => "an invisible character",
    }
}

/// Every problem in `manifest`, in file order (entities by name).
pub fn validate(manifest: &Manifest) -> Vec<Problem> {
    let mut checker = Checker {
        manifest,
        problems: Vec::new(),
    };
    checker.names();
    checker.enums();
    checker.entities();
    checker.api();
    checker.auth();
    checker.tenancy();
    checker.hooks();
    checker.webhooks();
    checker.problems
}

struct Checker<'a> {
    manifest: &'a Manifest,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn push(&mut self, kind: ProblemKind, path: &str, message: String, help: Option<String>) {
        let mut problem = Problem::new(kind, path, message);
        problem.help = help;
        self.problems.push(problem);
    }

    /// Names with invisible or text-direction characters are refused: in
    /// SQL, generated code and terminals they make text read differently
    /// from what it is (`book\u{202e}` shows as one name and is another),
    /// and rustc refuses them in the Rust SDK. No real schema needs them in
    /// a name, so they are refused rather than escaped (table and column
    /// names too: they are written to `up.sql` as they are).
    fn names(&mut self) {
        let check = |checker: &mut Self, what: &str, name: &str, path: &str| {
            let Some(hidden) = name.chars().find(|c| is_hidden_character(*c)) else {
                return;
            };
            checker.push(
                ProblemKind::InvalidName,
                path,
                format!(
                    "{what} `{}` contains U+{:04X} ({}), an invisible or text-direction character",
                    escape_hidden(name),
                    hidden as u32,
                    hidden_character_name(hidden)
                ),
                Some(format!(
                    "such characters make SQL and generated code read differently from what \
                     they do; use `{}`",
                    name.chars()
                        .filter(|c| !is_hidden_character(*c))
                        .collect::<String>()
                )),
            );
        };
        for (name, enumeration) in &self.manifest.enums {
            let path = key_path("enums", name);
            check(self, "enum", name, &path);
            for (i, value) in enumeration.values.iter().enumerate() {
                let at = index_path(&key_path(&path, "values"), i);
                check(self, "enum value", value, &at);
            }
        }
        for (name, entity) in &self.manifest.entities {
            let path = key_path("entities", name);
            check(self, "entity", name, &path);
            if entity.table != *name {
                check(self, "table", &entity.table, &key_path(&path, "table"));
            }
            let fields_path = key_path(&path, "fields");
            for (field_name, field) in &entity.fields {
                let field_path = key_path(&fields_path, field_name);
                check(self, "field", field_name, &field_path);
                if let Some(column) = &field.column {
                    check(self, "column", column, &key_path(&field_path, "column"));
                }
            }
            for (i, relation) in entity.relations.iter().enumerate() {
                if let Some(relation_name) = &relation.name {
                    let at = key_path(&index_path(&key_path(&path, "relations"), i), "name");
                    check(self, "relation", relation_name, &at);
                }
            }
        }
    }

    fn enums(&mut self) {
        for (name, enumeration) in &self.manifest.enums {
            let path = key_path(&key_path("enums", name), "values");
            if enumeration.values.is_empty() {
                self.push(
                    ProblemKind::InvalidValue,
                    &path,
                    format!("enum `{name}` has no values"),
                    Some(
                        "list at least one value, e.g. `values = [\"draft\", \"published\"]`"
                            .into(),
                    ),
                );
            }
            let mut seen = HashSet::new();
            for (i, value) in enumeration.values.iter().enumerate() {
                if !seen.insert(value) {
                    self.push(
                        ProblemKind::Duplicate,
                        &index_path(&path, i),
                        format!("enum `{name}` lists `{value}` twice"),
                        Some("remove the second one".into()),
                    );
                }
            }
        }
    }

    fn entities(&mut self) {
        // (schema, table) → entity, to catch two entities on one table.
        let mut tables: HashMap<(Option<&str>, String), &str> = HashMap::new();
        // index name → entity, for engines where index names share a namespace.
        let mut index_names: HashMap<(Option<&str>, &str), &str> = HashMap::new();
        // Names that differ only in case clash on SQLite and MySQL (and its
        // Windows/macOS file systems), not on PostgreSQL with quoted names.
        let fold = |name: &str| fold_name(self.manifest, name);
        let per_table_index_names = matches!(
            self.manifest.source.as_ref().map(|s| s.engine),
            Some(SourceEngine::Mysql | SourceEngine::Mongodb)
        );
        for (name, entity) in &self.manifest.entities {
            let path = key_path("entities", name);
            let table_key = (entity.schema.as_deref(), fold(&entity.table));
            if let Some(other) = tables.insert(table_key, name) {
                self.push(
                    ProblemKind::Duplicate,
                    &key_path(&path, "table"),
                    format!(
                        "entities `{other}` and `{name}` both use table `{}`",
                        entity.table
                    ),
                    Some("give one of them another `table`".into()),
                );
            }
            self.entity(name, entity, &path);
            let mut local = HashSet::new();
            let own = entity.indexes.iter().enumerate().map(|(i, index)| {
                let at = key_path(&index_path(&key_path(&path, "indexes"), i), "name");
                (entity.schema.as_deref(), index, at)
            });
            let of_partitions = entity
                .partitions
                .iter()
                .enumerate()
                .flat_map(|(i, partition)| {
                    let partition_path = index_path(&key_path(&path, "partitions"), i);
                    let schema = partition.schema.as_deref().or(entity.schema.as_deref());
                    partition.indexes.iter().enumerate().map(move |(j, index)| {
                        let at = key_path(
                            &index_path(&key_path(&partition_path, "indexes"), j),
                            "name",
                        );
                        (schema, index, at)
                    })
                });
            for (schema, index, at) in own.chain(of_partitions) {
                let other = if per_table_index_names {
                    (!local.insert(index.name.as_str())).then_some(name.as_str())
                } else {
                    index_names.insert((schema, index.name.as_str()), name)
                };
                if let Some(other) = other {
                    self.push(
                        ProblemKind::Duplicate,
                        &at,
                        format!(
                            "index name `{}` is used twice (also in entity `{other}`)",
                            index.name
                        ),
                        Some("index names must be unique; rename one of them".into()),
                    );
                }
            }
        }
    }

    fn api(&mut self) {
        let Some(api) = &self.manifest.api else {
            return;
        };
        for (i, operation) in api.operations.iter().enumerate() {
            let path = index_path("api.operations", i);
            const METHODS: &[&str] = &[
                "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE",
            ];
            if !METHODS.contains(&operation.method.as_str()) {
                self.push(
                    ProblemKind::InvalidValue,
                    &key_path(&path, "method"),
                    format!("unknown HTTP method `{}`", operation.method),
                    Some(format!("use one of: {}", METHODS.join(", "))),
                );
            }
            if !operation.path.starts_with('/') {
                self.push(
                    ProblemKind::InvalidValue,
                    &key_path(&path, "path"),
                    format!("API path `{}` does not start with `/`", operation.path),
                    None,
                );
            }
            if let Some(action) = operation.action
                && operation.entity.is_none()
            {
                self.push(
                    ProblemKind::MissingKey,
                    &path,
                    format!(
                        "API operation `{} {}` has `action = \"{action}\"` but no `entity`",
                        operation.method, operation.path
                    ),
                    Some("name the entity it serves: `entity = \"...\"`".into()),
                );
            }
            if let Some(entity) = &operation.entity
                && !self.manifest.entities.contains_key(entity)
            {
                self.push(
                    ProblemKind::UnknownEntity,
                    &key_path(&path, "entity"),
                    format!(
                        "API operation `{} {}` names unknown entity `{entity}`",
                        operation.method, operation.path
                    ),
                    None,
                );
            }
        }
    }

    fn entity(&mut self, name: &str, entity: &Entity, path: &str) {
        if entity.fields.is_empty() && entity.kind == EntityKind::Table {
            self.push(
                ProblemKind::MissingKey,
                path,
                format!("entity `{name}` has no fields"),
                Some(format!(
                    "add `[entities.{}.fields]` with at least one field",
                    super::save::key(name)
                )),
            );
        }
        self.inherits(name, entity, path);
        let fields_path = key_path(path, "fields");
        if !entity.fields.is_empty() && entity.fields.values().all(|f| f.invisible) {
            self.push(
                ProblemKind::InvalidValue,
                &fields_path,
                format!(
                    "every field of entity `{name}` is `invisible`; a table needs a visible column"
                ),
                Some("remove `invisible = true` from one of them".into()),
            );
        }
        let mut columns = HashMap::new();
        for (field_name, field) in &entity.fields {
            let field_path = key_path(&fields_path, field_name);
            if let Some(other) = columns.insert(
                fold_name(self.manifest, field.column_name(field_name)),
                field_name,
            ) {
                self.push(
                    ProblemKind::Duplicate,
                    &field_path,
                    format!(
                        "fields `{other}` and `{field_name}` of entity `{name}` both use column `{}`",
                        field.column_name(field_name)
                    ),
                    Some("give one of them another `column`".into()),
                );
            }
            self.field(field_name, field, &field_path);
            if let Some(from) = &field.renamed_from
                && entity.fields.contains_key(from)
            {
                self.push(
                    ProblemKind::Duplicate,
                    &key_path(&field_path, "renamed_from"),
                    format!(
                        "field `{field_name}` is renamed from `{from}`, but entity `{name}` still has a field `{from}`"
                    ),
                    Some(format!("remove `{from}`, or the `renamed_from`")),
                );
            }
        }
        if let Some(from) = &entity.renamed_from
            && self.manifest.entities.contains_key(from)
        {
            self.push(
                ProblemKind::Duplicate,
                &key_path(path, "renamed_from"),
                format!(
                    "entity `{name}` is renamed from `{from}`, but entity `{from}` still exists"
                ),
                Some(format!("remove entity `{from}`, or the `renamed_from`")),
            );
        }
        self.field_list(
            name,
            entity,
            &entity.primary_key,
            &key_path(path, "primary_key"),
            "primary key",
        );
        self.field_list(
            name,
            entity,
            &entity.primary_key_include,
            &key_path(path, "primary_key_include"),
            "primary key's `INCLUDE`",
        );
        if entity.definition.is_some() && entity.kind == EntityKind::Table {
            self.push(
                ProblemKind::Mismatch,
                &key_path(path, "definition"),
                format!("entity `{name}` has a view `definition` but is not a view"),
                Some("add `kind = \"view\"`, or remove `definition`".into()),
            );
        }
        for (i, index) in entity.indexes.iter().enumerate() {
            self.index(
                name,
                entity,
                index,
                &index_path(&key_path(path, "indexes"), i),
            );
        }
        // A partition's own indexes, checks and foreign keys are on its
        // parent's fields.
        for (i, partition) in entity.partitions.iter().enumerate() {
            let at = index_path(&key_path(path, "partitions"), i);
            self.field_list(
                name,
                entity,
                &partition.primary_key,
                &key_path(&at, "primary_key"),
                "primary key",
            );
            for (j, unique) in partition.uniques.iter().enumerate() {
                self.field_list(
                    name,
                    entity,
                    &unique.fields,
                    &key_path(&index_path(&key_path(&at, "uniques"), j), "fields"),
                    "unique constraint",
                );
            }
            for (j, index) in partition.indexes.iter().enumerate() {
                self.index(
                    name,
                    entity,
                    index,
                    &index_path(&key_path(&at, "indexes"), j),
                );
            }
            for (j, relation) in partition.relations.iter().enumerate() {
                self.relation(
                    name,
                    entity,
                    relation,
                    &index_path(&key_path(&at, "relations"), j),
                );
            }
        }
        for (i, unique) in entity.uniques.iter().enumerate() {
            let at = index_path(&key_path(path, "uniques"), i);
            self.field_list(
                name,
                entity,
                &unique.fields,
                &key_path(&at, "fields"),
                "unique constraint",
            );
            self.field_list(
                name,
                entity,
                &unique.options.include,
                &key_path(&at, "include"),
                "unique constraint's `INCLUDE`",
            );
            if unique.fields.is_empty() {
                self.push(
                    ProblemKind::InvalidValue,
                    &key_path(&index_path(&key_path(path, "uniques"), i), "fields"),
                    "a unique constraint needs at least one field".into(),
                    None,
                );
            }
        }
        let mut relation_names = HashSet::new();
        for (i, relation) in entity.relations.iter().enumerate() {
            let relation_path = index_path(&key_path(path, "relations"), i);
            if let Some(relation_name) = &relation.name
                && !relation_names.insert(relation_name)
            {
                self.push(
                    ProblemKind::Duplicate,
                    &key_path(&relation_path, "name"),
                    format!("entity `{name}` has two relations named `{relation_name}`"),
                    Some("relation names must be unique within an entity".into()),
                );
            }
            self.relation(name, entity, relation, &relation_path);
        }
    }

    fn index(&mut self, name: &str, entity: &Entity, index: &Index, at: &str) {
        if index.fields.is_empty() {
            self.push(
                ProblemKind::InvalidValue,
                &key_path(at, "fields"),
                format!("index `{}` has no fields", index.name),
                None,
            );
        }
        for (j, part) in index.fields.iter().enumerate() {
            let IndexPart::Field {
                field,
                prefix_length,
                ..
            } = part
            else {
                continue;
            };
            let part_path = index_path(&key_path(at, "fields"), j);
            // Index keys may name nested document fields (`dimensions.unit`).
            match (entity.field_at_path(field), prefix_length) {
                (None, _) => {
                    self.known_field(name, entity, field, &part_path, "index");
                }
                (Some(definition), Some(length)) => {
                    self.prefix_length(index, field, definition, *length, &part_path)
                }
                (Some(_), None) => {}
            }
        }
    }

    /// A prefix key part: of a string, text or bytes field (or a native
    /// one, which may be any of them), shorter than the field.
    fn prefix_length(&mut self, index: &Index, name: &str, field: &Field, length: u32, at: &str) {
        let at = key_path(at, "prefix_length");
        let index = &index.name;
        if !matches!(
            field.ty,
            FieldType::String | FieldType::Text | FieldType::Bytes | FieldType::Native
        ) {
            self.push(
                ProblemKind::InvalidValue,
                &at,
                format!(
                    "index `{index}` keys a prefix of `{name}`, a {} field; only string, text and bytes fields have prefixes",
                    field.ty.as_str()
                ),
                Some("leave `prefix_length` out".to_owned()),
            );
        } else if let Some(max) = field.max_length
            && length >= max
        {
            self.push(
                ProblemKind::InvalidValue,
                &at,
                format!(
                    "index `{index}` keys the first {length} characters of `{name}`, which holds at most {max}"
                ),
                Some("leave `prefix_length` out to key the whole field".to_owned()),
            );
        }
    }

    /// A list of field names (primary key, unique): each must exist, once.
    fn field_list(
        &mut self,
        name: &str,
        entity: &Entity,
        fields: &[String],
        path: &str,
        what: &str,
    ) {
        let mut seen = HashSet::new();
        for (i, field) in fields.iter().enumerate() {
            let item_path = index_path(path, i);
            if !seen.insert(field) {
                self.push(
                    ProblemKind::Duplicate,
                    &item_path,
                    format!("{what} of entity `{name}` lists `{field}` twice"),
                    None,
                );
            }
            self.known_field(name, entity, field, &item_path, what);
        }
    }

    fn known_field(
        &mut self,
        name: &str,
        entity: &Entity,
        field: &str,
        path: &str,
        what: &str,
    ) -> bool {
        if entity.fields.contains_key(field) {
            return true;
        }
        self.push(
            ProblemKind::UnknownField,
            path,
            format!("{what} of entity `{name}` names unknown field `{field}`"),
            Some(field_hint(field, &entity.fields)),
        );
        false
    }

    /// The tables `entity` inherits from are other tables of the manifest,
    /// and it does not inherit from itself through them.
    fn inherits(&mut self, name: &str, entity: &Entity, path: &str) {
        for (i, parent) in entity.inherits.iter().enumerate() {
            let at = index_path(&key_path(path, "inherits"), i);
            match self.manifest.entities.get(parent) {
                None => {
                    let names: Vec<&str> =
                        self.manifest.entities.keys().map(String::as_str).collect();
                    let help = match closest(parent, &names) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => "a table inherits from an entity defined under `[entities]`".into(),
                    };
                    self.push(
                        ProblemKind::UnknownEntity,
                        &at,
                        format!("entity `{name}` inherits from unknown entity `{parent}`"),
                        Some(help),
                    );
                }
                Some(other)
                    if other.kind != EntityKind::Table || entity.kind != EntityKind::Table =>
                {
                    self.push(
                        ProblemKind::InvalidValue,
                        &at,
                        format!("entity `{name}` inherits from `{parent}`: only tables inherit from tables"),
                        None,
                    );
                }
                Some(_) => {}
            }
        }
        // A cycle: `name` among its own ancestors.
        let mut seen: Vec<&str> = Vec::new();
        let mut level: Vec<&str> = entity.inherits.iter().map(String::as_str).collect();
        while let Some(parent) = level.pop() {
            if parent == name {
                self.push(
                    ProblemKind::InvalidValue,
                    &key_path(path, "inherits"),
                    format!("entity `{name}` inherits from itself"),
                    None,
                );
                break;
            }
            if seen.contains(&parent) {
                continue;
            }
            seen.push(parent);
            if let Some(other) = self.manifest.entities.get(parent) {
                level.extend(other.inherits.iter().map(String::as_str));
            }
        }
    }

    fn relation(&mut self, name: &str, entity: &Entity, relation: &Relation, path: &str) {
        let fields_path = key_path(path, "fields");
        for (i, field) in relation.fields.iter().enumerate() {
            self.known_field(
                name,
                entity,
                field,
                &index_path(&fields_path, i),
                "relation",
            );
        }
        if relation.fields.is_empty() {
            self.push(
                ProblemKind::InvalidValue,
                &fields_path,
                format!("a relation of entity `{name}` has no fields"),
                None,
            );
        }
        let target_path = key_path(path, "references");
        let Some(target) = self.manifest.entities.get(&relation.references.entity) else {
            let names: Vec<&str> = self.manifest.entities.keys().map(String::as_str).collect();
            let help = match closest(&relation.references.entity, &names) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "a relation must reference an entity defined under `[entities]`".into(),
            };
            self.push(
                ProblemKind::UnknownEntity,
                &key_path(&target_path, "entity"),
                format!(
                    "relation of entity `{name}` references unknown entity `{}`",
                    relation.references.entity
                ),
                Some(help),
            );
            return;
        };
        let target_fields_path = key_path(&target_path, "fields");
        for (i, field) in relation.references.fields.iter().enumerate() {
            if !target.fields.contains_key(field) {
                self.push(
                    ProblemKind::UnknownField,
                    &index_path(&target_fields_path, i),
                    format!(
                        "relation of entity `{name}` references unknown field `{field}` of entity `{}`",
                        relation.references.entity
                    ),
                    Some(field_hint(field, &target.fields)),
                );
            }
        }
        if relation.fields.len() != relation.references.fields.len() {
            self.push(
                ProblemKind::Mismatch,
                &target_fields_path,
                format!(
                    "relation of entity `{name}` has {} field(s) but references {}",
                    relation.fields.len(),
                    relation.references.fields.len()
                ),
                Some("`fields` and `references.fields` pair up one to one".into()),
            );
        }
    }

    fn field(&mut self, name: &str, field: &Field, path: &str) {
        let ty = field.ty;
        let misplaced = |checker: &mut Self, key: &str, set: bool, allowed: bool, types: &str| {
            if set && !allowed {
                checker.push(
                    ProblemKind::Mismatch,
                    &key_path(path, key),
                    format!("`{key}` does not apply to field `{name}` of type `{ty}`"),
                    Some(format!(
                        "`{key}` is for {types} fields; remove it or change the type"
                    )),
                );
            }
        };
        misplaced(
            self,
            "max_length",
            field.max_length.is_some(),
            ty.has_length() || ty == FieldType::Native,
            "string, text and bytes",
        );
        misplaced(
            self,
            "precision",
            field.precision.is_some(),
            ty == FieldType::Decimal || ty == FieldType::Native,
            "decimal",
        );
        misplaced(
            self,
            "scale",
            field.scale.is_some(),
            ty == FieldType::Decimal || ty == FieldType::Native,
            "decimal",
        );
        misplaced(
            self,
            "enum",
            field.enum_name.is_some(),
            ty == FieldType::Enum,
            "enum",
        );
        // `items` of an object without `fields` is a map's value shape.
        misplaced(
            self,
            "items",
            field.items.is_some(),
            ty == FieldType::Array || (ty == FieldType::Object && field.fields.is_none()),
            "array",
        );
        misplaced(
            self,
            "fields",
            field.fields.is_some(),
            ty == FieldType::Object,
            "object",
        );
        if field.identity_options.is_some() && !field.is_identity() {
            self.push(
                ProblemKind::Mismatch,
                &key_path(path, "identity_options"),
                format!("`identity_options` of field `{name}` needs an identity column"),
                Some(
                    "add `generated = \"identity\"` (or `\"identity_always\"`), or remove \
                     `identity_options`"
                        .into(),
                ),
            );
        }
        if field.sequence_comment.is_some() && !field.has_own_sequence() {
            self.push(
                ProblemKind::Mismatch,
                &key_path(path, "sequence_comment"),
                format!("`sequence_comment` of field `{name}` needs a serial or identity column"),
                Some(
                    "add `generated = \"serial\"` (or `\"identity\"`, `\"identity_always\"`), \
                     or remove `sequence_comment`"
                        .into(),
                ),
            );
        }
        if let (Some(precision), Some(scale)) = (field.precision, field.scale)
            && scale > precision
        {
            self.push(
                ProblemKind::InvalidValue,
                &key_path(path, "scale"),
                format!("field `{name}` has scale {scale} larger than its precision {precision}"),
                None,
            );
        }
        match ty {
            FieldType::Enum => match &field.enum_name {
                None => self.push(
                    ProblemKind::MissingKey,
                    path,
                    format!("enum field `{name}` does not say which enum"),
                    Some("add `enum = \"name\"`, naming an `[enums.name]` table".into()),
                ),
                Some(enum_name) if !self.manifest.enums.contains_key(enum_name) => {
                    let names: Vec<&str> = self.manifest.enums.keys().map(String::as_str).collect();
                    let help = match closest(enum_name, &names) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => format!(
                            "define it: `[enums.{}]` with `values = [...]`",
                            super::save::key(enum_name)
                        ),
                    };
                    self.push(
                        ProblemKind::UnknownEnum,
                        &key_path(path, "enum"),
                        format!("field `{name}` uses undefined enum `{enum_name}`"),
                        Some(help),
                    );
                }
                Some(_) => {}
            },
            FieldType::Array if field.items.is_none() => self.push(
                ProblemKind::MissingKey,
                path,
                format!("array field `{name}` does not say what it holds"),
                Some("add `items = { type = \"string\" }`".into()),
            ),
            FieldType::Native if field.native.is_none() => self.push(
                ProblemKind::MissingKey,
                path,
                format!("native field `{name}` does not name its engine type"),
                Some("add `native = \"tsvector\"` (the database's own type name)".into()),
            ),
            _ => {}
        }
        if let Some(items) = &field.items {
            self.field(&format!("{name}[]"), items, &key_path(path, "items"));
        }
        if let Some(fields) = &field.fields {
            for (child, child_field) in fields {
                self.field(
                    child,
                    child_field,
                    &key_path(&key_path(path, "fields"), child),
                );
            }
        }
        if let Some(default) = &field.default {
            self.default_value(name, field, default, &key_path(path, "default"));
        }
        if let Some(generated) = &field.generated {
            let generated_path = key_path(path, "generated");
            if field.default.is_some() {
                self.push(
                    ProblemKind::Mismatch,
                    &generated_path,
                    format!("field `{name}` has both a default and `generated`"),
                    Some("a generated value replaces the default; keep one of them".into()),
                );
            }
            if let Generated::Kind(kind) = generated
                && !ty.is_integer()
                && ty != FieldType::Native
                && ty != FieldType::Decimal
            {
                self.push(
                    ProblemKind::Mismatch,
                    &generated_path,
                    format!(
                        "`generated = \"{kind}\"` needs an integer field, but `{name}` is `{ty}`"
                    ),
                    Some("use an int16/int32/int64 field, or a `default` instead".into()),
                );
            }
        }
    }

    fn default_value(&mut self, name: &str, field: &Field, default: &DefaultValue, path: &str) {
        let DefaultValue::Literal(literal) = default else {
            return;
        };
        let ty = field.ty;
        let fits = field.accepts(literal);
        if !fits {
            self.push(
                ProblemKind::Mismatch,
                path,
                format!("default of field `{name}` does not fit its type `{ty}`"),
                Some(
                    "write a literal of the field's type, or an expression as `{ sql = \"...\" }`"
                        .into(),
                ),
            );
            return;
        }
        if let (Literal::String(value), Some(enum_name)) = (literal, &field.enum_name)
            && let Some(enumeration) = self.manifest.enums.get(enum_name)
            && !enumeration.values.contains(value)
        {
            self.push(
                ProblemKind::InvalidValue,
                path,
                format!("default `{value}` of field `{name}` is not a value of enum `{enum_name}`"),
                Some(format!("use one of: {}", enumeration.values.join(", "))),
            );
        }
    }
}

/// Whether the manifest's engine compares table and column names without case.
fn case_insensitive(manifest: &Manifest) -> bool {
    matches!(
        manifest.source.as_ref().map(|s| s.engine),
        Some(SourceEngine::Sqlite | SourceEngine::Mysql)
    )
}

fn fold_name(manifest: &Manifest, name: &str) -> String {
    if case_insensitive(manifest) {
        name.to_lowercase()
    } else {
        name.to_owned()
    }
}

fn field_hint(field: &str, fields: &IndexMap<String, Field>) -> String {
    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
    match closest(field, &names) {
        Some(best) => format!("did you mean `{best}`?"),
        None if names.is_empty() => "the entity has no fields".into(),
        None => format!("known fields: {}", names.join(", ")),
    }
}

/// Counts used in summaries: entities by kind and totals.
pub fn counts(manifest: &Manifest) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    counts.insert("entities", manifest.entities.len());
    counts.insert(
        "views",
        manifest
            .entities
            .values()
            .filter(|e| e.is_read_only())
            .count(),
    );
    counts.insert(
        "fields",
        manifest.entities.values().map(|e| e.fields.len()).sum(),
    );
    counts.insert("relations", manifest.relation_count());
    counts.insert(
        "indexes",
        manifest.entities.values().map(|e| e.indexes.len()).sum(),
    );
    counts.insert("enums", manifest.enums.len());
    counts
}

/// The JWT algorithms `[auth] algorithms` may name.
pub const JWT_ALGORITHMS: &[&str] = &[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "EdDSA",
];

/// The largest `[auth] leeway_seconds`.
pub const MAX_LEEWAY_SECONDS: u64 = 3600;

/// `[auth]`.
impl Checker<'_> {
    /// `[tenancy]`: the strategy fits the engine, and the tables stay in
    /// the tenant's place (no entity pinned to a schema of its own; the
    /// tenant column on every entity for `row`).
    fn tenancy(&mut self) {
        let Some(tenancy) = &self.manifest.tenancy else {
            return;
        };
        let engine = self.manifest.source.as_ref().map(|source| source.engine);
        let strategy = tenancy.strategy;
        let fits: &[SourceEngine] = match strategy {
            TenancyStrategy::Schema => &[SourceEngine::Postgres],
            TenancyStrategy::Database => &[
                SourceEngine::Postgres,
                SourceEngine::Mysql,
                SourceEngine::Mongodb,
            ],
            TenancyStrategy::File => &[SourceEngine::Sqlite],
            TenancyStrategy::Row => &[],
        };
        let live = |engine: SourceEngine| {
            matches!(
                engine,
                SourceEngine::Postgres
                    | SourceEngine::Mysql
                    | SourceEngine::Sqlite
                    | SourceEngine::Mongodb
            )
        };
        if let Some(engine) = engine
            && live(engine)
            && !fits.is_empty()
            && !fits.contains(&engine)
        {
            let engines: Vec<&str> = fits.iter().map(|e| e.as_str()).collect();
            self.push(
                ProblemKind::InvalidValue,
                "tenancy.strategy",
                format!(
                    "strategy `{strategy}` does not work on `{engine}`: it needs {}",
                    engines.join(" or ")
                ),
                Some(match engine {
                    SourceEngine::Postgres => {
                        "on PostgreSQL use \"schema\", \"database\" or \"row\"".into()
                    }
                    SourceEngine::Sqlite => "on SQLite use \"file\" or \"row\"".into(),
                    _ => "use \"database\" or \"row\"".into(),
                }),
            );
        }
        if matches!(
            strategy,
            TenancyStrategy::Schema | TenancyStrategy::Database
        ) && tenancy.url.is_none()
            && self
                .manifest
                .source
                .as_ref()
                .is_none_or(|s| s.url.is_none())
        {
            self.push(
                ProblemKind::MissingKey,
                "tenancy",
                format!("strategy `{strategy}` needs a server to make the tenants on"),
                Some("set `[source] url` or `[tenancy] url = \"${TENANTS_URL}\"`".into()),
            );
        }
        if strategy == TenancyStrategy::Schema {
            for (name, entity) in &self.manifest.entities {
                if let Some(schema) = &entity.schema {
                    self.push(
                        ProblemKind::InvalidValue,
                        &key_path(&key_path("entities", name), "schema"),
                        format!(
                            "entity `{name}` is pinned to schema `{schema}`, but with `strategy = \"schema\"` every table lives in its tenant's schema"
                        ),
                        Some("remove `schema` from the entity".into()),
                    );
                }
            }
        }
        if tenancy.admin.is_some() && self.manifest.auth.is_none() {
            self.push(
                ProblemKind::InvalidValue,
                "tenancy.admin",
                "`admin` is a rule about the signed-in caller, and without `[auth]` no caller signs in".into(),
                Some("add `[auth]` (with a `service_key`), or remove `admin`".into()),
            );
        }
        if tenancy.column.is_some() && strategy != TenancyStrategy::Row {
            self.push(
                ProblemKind::InvalidValue,
                "tenancy.column",
                format!("`column` applies to strategy `row`, not `{strategy}`"),
                Some("remove `column`, or set `strategy = \"row\"`".into()),
            );
        }
        if let Some(column) = tenancy.row_column() {
            for (name, entity) in &self.manifest.entities {
                if !entity.fields.contains_key(column) {
                    self.push(
                        ProblemKind::UnknownField,
                        &key_path("entities", name),
                        format!("entity `{name}` has no tenant column `{column}`"),
                        Some(format!(
                            "add `{column} = {{ type = \"string\" }}` to `[entities.{name}.fields]`"
                        )),
                    );
                }
            }
        }
    }

    /// `[[webhooks]]`: patterns name entities and actions that exist, URLs
    /// are http(s), names are unique (the outbox refers to them).
    fn webhooks(&mut self) {
        const ACTIONS: &[&str] = &["create", "update", "delete", "*"];
        let mut names = HashSet::new();
        for (i, webhook) in self.manifest.webhooks.iter().enumerate() {
            let path = index_path("webhooks", i);
            for (j, pattern) in webhook.on.iter().enumerate() {
                let at = index_path(&key_path(&path, "on"), j);
                if pattern == "*" {
                    continue;
                }
                let Some((entity, action)) = pattern.rsplit_once('.') else {
                    self.push(
                        ProblemKind::InvalidValue,
                        &at,
                        format!("`{pattern}` is not an `entity.action` pattern"),
                        Some(
                            "write `\"post.create\"`, `\"post.*\"`, `\"*.delete\"` or `\"*\"`"
                                .into(),
                        ),
                    );
                    continue;
                };
                if !ACTIONS.contains(&action) {
                    let help = match closest(action, ACTIONS) {
                        Some(best) => format!("did you mean `{entity}.{best}`?"),
                        None => "the actions are create, update, delete and *".into(),
                    };
                    self.push(
                        ProblemKind::InvalidValue,
                        &at,
                        format!("unknown action `{action}` in `{pattern}`"),
                        Some(help),
                    );
                }
                if entity != "*" && !self.manifest.entities.contains_key(entity) {
                    let known: Vec<&str> =
                        self.manifest.entities.keys().map(String::as_str).collect();
                    self.push(
                        ProblemKind::UnknownEntity,
                        &at,
                        format!("`{pattern}` names no entity of the manifest (`{entity}`)"),
                        closest(entity, &known).map(|best| format!("did you mean `{best}`?")),
                    );
                }
            }
            if !(webhook.url.starts_with("http://") || webhook.url.starts_with("https://"))
                || url::Url::parse(&webhook.url).is_err()
            {
                self.push(
                    ProblemKind::InvalidValue,
                    &key_path(&path, "url"),
                    format!("`{}` is not an http:// or https:// URL", webhook.url),
                    None,
                );
            }
            if !names.insert(webhook.name()) {
                self.push(
                    ProblemKind::Duplicate,
                    &path,
                    format!("two webhooks are called `{}`", webhook.name()),
                    Some("give each a distinct `name`".into()),
                );
            }
        }
    }

    fn auth(&mut self) {
        let Some(auth) = &self.manifest.auth else {
            return;
        };
        let keys: Vec<&str> = [
            ("jwt_secret", auth.jwt_secret.is_some()),
            ("public_key", auth.public_key.is_some()),
            ("jwks", auth.jwks.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect();
        match keys.as_slice() {
            [] => self.push(
                ProblemKind::MissingKey,
                "auth",
                "`[auth]` has no key to verify tokens with".into(),
                Some(
                    "add one of `jwt_secret = \"${JWT_SECRET}\"` (HS256), `public_key = \"keys/jwt.pub.pem\"` or `jwks = \"https://issuer/.well-known/jwks.json\"`"
                        .into(),
                ),
            ),
            [_] => {}
            [_, second, ..] => self.push(
                ProblemKind::InvalidValue,
                &key_path("auth", second),
                format!(
                    "`[auth]` sets {}: tokens are verified with one kind of key",
                    keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" and ")
                ),
                Some("keep one of `jwt_secret`, `public_key` or `jwks`".into()),
            ),
        }
        let symmetric = auth.jwt_secret.is_some();
        for (i, algorithm) in auth.algorithms.iter().enumerate() {
            let path = index_path("auth.algorithms", i);
            if !JWT_ALGORITHMS.contains(&algorithm.as_str()) {
                self.push(
                    ProblemKind::InvalidValue,
                    &path,
                    format!("unknown JWT algorithm `{algorithm}`"),
                    Some(format!("use one of: {}", JWT_ALGORITHMS.join(", "))),
                );
            } else if algorithm.starts_with("HS") != symmetric && keys.len() == 1 {
                let (why, help) = if symmetric {
                    (
                        "`jwt_secret` verifies HMAC tokens only",
                        "use HS256, HS384 or HS512 with `jwt_secret`",
                    )
                } else {
                    (
                        "a public key never verifies HMAC tokens (that would let anyone who has the public key sign tokens)",
                        "use RS256, ES256, EdDSA, ... with `public_key` or `jwks`",
                    )
                };
                self.push(
                    ProblemKind::InvalidValue,
                    &path,
                    format!("`{algorithm}` cannot be used here: {why}"),
                    Some(help.into()),
                );
            }
        }
        if auth
            .leeway_seconds
            .is_some_and(|leeway| leeway > MAX_LEEWAY_SECONDS)
        {
            self.push(
                ProblemKind::InvalidValue,
                "auth.leeway_seconds",
                format!("`leeway_seconds` is at most {MAX_LEEWAY_SECONDS} (an hour)"),
                Some(
                    "the leeway only absorbs clock skew; tokens live as long as their `exp` says"
                        .into(),
                ),
            );
        }
        if let Some(url) = &auth.jwks
            && url.starts_with("http://")
            && !url.starts_with("http://localhost")
            && !url.starts_with("http://127.0.0.1")
        {
            self.push(
                ProblemKind::InvalidValue,
                "auth.jwks",
                "`jwks` must be fetched over https (or from localhost)".into(),
                Some("keys fetched in clear text can be replaced on the way".into()),
            );
        }
        if let Some(users) = &auth.users {
            self.auth_users(users, auth);
        }
    }

    fn auth_users(&mut self, users: &AuthUsers, auth: &Auth) {
        if auth.jwt_secret.is_none() && (auth.public_key.is_some() || auth.jwks.is_some()) {
            self.push(
                ProblemKind::InvalidValue,
                "auth.users",
                "built-in users need `jwt_secret`: baas signs the tokens of its users itself, and a public key cannot sign".into(),
                Some("set `jwt_secret = \"${JWT_SECRET}\"` instead of `public_key`/`jwks`, or remove `users`".into()),
            );
        }
        let Some(entity) = self.manifest.entities.get(&users.entity) else {
            let names: Vec<&str> = self.manifest.entities.keys().map(String::as_str).collect();
            let help = closest(&users.entity, &names).map(|best| format!("did you mean `{best}`?"));
            self.push(
                ProblemKind::UnknownEntity,
                "auth.users.entity",
                format!("`[auth] users` names unknown entity `{}`", users.entity),
                help,
            );
            return;
        };
        if entity.is_read_only() || entity.primary_key.is_empty() {
            self.push(
                ProblemKind::InvalidValue,
                "auth.users.entity",
                format!(
                    "the users entity `{}` must be a table with a primary key",
                    users.entity
                ),
                None,
            );
        }
        for (key, field) in [("email", &users.email), ("password", &users.password)] {
            let path = key_path("auth.users", key);
            match entity.fields.get(field) {
                None => self.push(
                    ProblemKind::UnknownField,
                    &path,
                    format!(
                        "`[auth] users` names unknown field `{field}` of entity `{}`",
                        users.entity
                    ),
                    Some(field_hint(field, &entity.fields)),
                ),
                Some(f) if !matches!(f.ty, FieldType::String | FieldType::Text) => self.push(
                    ProblemKind::Mismatch,
                    &path,
                    format!(
                        "`{}.{field}` must be a string or text field to hold the {key}",
                        users.entity
                    ),
                    None,
                ),
                Some(_) => {}
            }
        }
        // Two accounts must never share an email: the database decides
        // when two sign-ups race.
        let email = &users.email;
        let unique = entity.fields.get(email).is_some_and(|f| f.unique)
            || entity.primary_key == [email.clone()]
            || entity.uniques.iter().any(|u| u.fields == [email.clone()])
            || entity.indexes.iter().any(|index| {
                index.unique
                    && index.predicate.is_none()
                    && matches!(index.fields.as_slice(), [IndexPart::Field { field, .. }] if field == email)
            });
        if entity.fields.contains_key(email) && !unique {
            self.push(
                ProblemKind::InvalidValue,
                "auth.users.email",
                format!(
                    "`{}.{email}` must be unique to hold the accounts' emails",
                    users.entity
                ),
                Some(format!(
                    "add `unique = true` to the field `{email}` of `{}`",
                    users.entity
                )),
            );
        }
    }
}

/// The largest `[[hooks]] timeout_ms` (a hook holds a worker that long).
const MAX_HOOK_TIMEOUT_MS: u64 = 60_000;
/// The largest `[[hooks]] memory_mb`.
const MAX_HOOK_MEMORY_MB: u64 = 1024;

/// `[[hooks]]`.
impl Checker<'_> {
    fn hooks(&mut self) {
        for (i, hook) in self.manifest.hooks.iter().enumerate() {
            let path = index_path("hooks", i);
            match hook.trigger() {
                Err(message) => self.push(
                    ProblemKind::InvalidValue,
                    &key_path(&path, "on"),
                    message,
                    Some("for example `on = \"post.create.before\"`".into()),
                ),
                Ok(trigger) => {
                    if let Some(entity) = &trigger.entity
                        && !self.manifest.entities.contains_key(entity)
                    {
                        let names: Vec<&str> =
                            self.manifest.entities.keys().map(String::as_str).collect();
                        self.push(
                            ProblemKind::UnknownEntity,
                            &key_path(&path, "on"),
                            format!("the hook runs on `{entity}`, which is no entity"),
                            closest(entity, &names).map(|name| format!("did you mean `{name}`?")),
                        );
                    }
                }
            }
            if hook.run.starts_with('/') || hook.run.split(['/', '\\']).any(|part| part == "..") {
                self.push(
                    ProblemKind::InvalidValue,
                    &key_path(&path, "run"),
                    format!("`{}` must be a path inside the manifest's folder", hook.run),
                    Some("write it relative to baas.toml, like `run = \"hooks/post.js\"`".into()),
                );
            }
            for (key, value, max) in [
                ("timeout_ms", hook.timeout_ms, MAX_HOOK_TIMEOUT_MS),
                ("memory_mb", hook.memory_mb, MAX_HOOK_MEMORY_MB),
            ] {
                if let Some(value) = value
                    && value > max
                {
                    self.push(
                        ProblemKind::InvalidValue,
                        &key_path(&path, key),
                        format!("`{key} = {value}` is more than the largest allowed, {max}"),
                        None,
                    );
                }
            }
        }
    }
}
