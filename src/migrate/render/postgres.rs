//! PostgreSQL scripts.
//!
//! Statements run in an order where everything they need exists and
//! nothing they drop is still used: views that read a changing table are
//! dropped first and created again last; foreign keys are added once every
//! table exists (so cycles work); enum types are created before the tables
//! and dropped after them. PostgreSQL runs DDL in a transaction, so a
//! failing statement leaves the database as it was.

use std::collections::{BTreeMap, BTreeSet};

use super::sql::{AlterConstraints, DdlRenderer, TablePlan, action, columns_of, uses_enum};
use super::{
    Cx, RenderError, Statement, float_literal, index_name, is_view, object, portable_field,
    string_literal,
};
use crate::dialect::Dialect as _;
use crate::dialect::postgres::PostgresDialect;
use crate::diff::ChangeKind;
use crate::manifest::{
    Check, DefaultValue, EngineObject, Entity, EntityKind, Field, FieldType, Generated,
    GeneratedKind, Index, Literal, Manifest, ObjectKind, Partition, ReferentialAction, Relation,
    Unique,
};

/// `name` as a PostgreSQL identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The table of `entity`, schema-qualified when it has a schema.
fn table(entity: &Entity) -> String {
    match &entity.schema {
        Some(schema) => format!("{}.{}", quote(schema), quote(&entity.table)),
        None => quote(&entity.table),
    }
}

/// The name PostgreSQL gives a constraint it names itself.
fn default_name(table: &str, columns: &[&str], label: &str) -> String {
    let joined = columns.join("_");
    let column = (!columns.is_empty()).then_some(joined.as_str());
    crate::dialect::postgres::default_name(table, column, label)
}

/// Functions PostgreSQL has beyond the shared ones that defaults, checks
/// and index keys of other engines commonly call.
const POSTGRES_FUNCTIONS: &[&str] = &[
    "char_length",
    "character_length",
    "octet_length",
    "floor",
    "ceil",
    "least",
    "greatest",
    "concat",
    "md5",
    "now",
    "gen_random_uuid",
    "position",
    "left",
    "right",
    "any",
    "all",
    "array",
];

/// The PostgreSQL renderer: what it writes unlike the other SQL engines.
pub(super) struct PostgresRenderer;

impl DdlRenderer for PostgresRenderer {
    fn name(&self) -> &'static str {
        "PostgreSQL"
    }

    fn quote(&self, name: &str) -> String {
        quote(name)
    }

    fn functions(&self) -> &'static [&'static str] {
        POSTGRES_FUNCTIONS
    }

    fn table(&self, entity: &Entity) -> String {
        table(entity)
    }

    fn create_table(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        name: &str,
        entity: &Entity,
    ) -> String {
        let mut lines = Vec::new();
        for (field_name, field) in &entity.fields {
            // The parents' columns come with `INHERITS`.
            if is_inherited(entity, field) {
                continue;
            }
            lines.push(column_definition(
                cx, manifest, name, entity, field_name, field,
            ));
        }
        if !entity.primary_key.is_empty() {
            let constraint = entity
                .primary_key_name
                .as_ref()
                .map(|n| format!("CONSTRAINT {} ", quote(n)))
                .unwrap_or_default();
            lines.push(format!(
                "{constraint}{}",
                primary_key_clause(entity, &entity.primary_key)
            ));
        }
        for unique in &entity.uniques {
            let constraint = unique
                .name
                .as_ref()
                .map(|n| format!("CONSTRAINT {} ", quote(n)))
                .unwrap_or_default();
            lines.push(format!("{constraint}{}", unique_clause(entity, unique)));
        }
        lines.extend(PostgresRenderer.check_constraints(cx, manifest, name, entity));
        format!(
            "CREATE {}TABLE {} (\n    {}\n){}{}{}",
            if entity.unlogged { "UNLOGGED " } else { "" },
            table(entity),
            lines.join(",\n    "),
            inherits_clause(manifest, entity),
            partition_clause(entity.partition_by.as_deref()),
            storage_clause(&entity.storage_parameters)
        )
    }

    fn create_index(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        entity_name: &str,
        entity: &Entity,
        index: &Index,
    ) -> Option<Statement> {
        let here = format!("{entity_name}.{}", index.name);
        let name = index_name(manifest, entity_name, index);
        if name != index.name {
            cx.lossy(format!(
                "{here}: index names are per schema in PostgreSQL; created as `{name}`"
            ));
        }
        let same = cx.same_engine(manifest);
        let method = match &index.method {
            Some(method) if same => Some(method.clone()),
            Some(method) => {
                let known = ["btree", "hash", "gin", "gist", "brin", "spgist"];
                if known.contains(&method.to_ascii_lowercase().as_str()) {
                    Some(method.to_ascii_lowercase())
                } else {
                    cx.lossy(format!(
                        "{here}: PostgreSQL has no `{method}` indexes; created as a btree index"
                    ));
                    None
                }
            }
            None => None,
        };
        if index.expire_after_seconds.is_some() {
            cx.lossy(format!(
                "{here}: PostgreSQL does not expire rows; `expire_after_seconds` is left out"
            ));
        }
        let parts = PostgresRenderer.index_parts(cx, manifest, &here, entity, index, true)?;
        let predicate = PostgresRenderer.index_predicate(cx, manifest, &here, index)?;
        let include = include_clause(entity, &index.options.include);
        let nulls = if index.options.nulls_not_distinct {
            " NULLS NOT DISTINCT"
        } else {
            ""
        };
        Some(Statement::new(format!(
            "CREATE {}INDEX {} ON {}{} ({}){include}{nulls}{}{predicate}",
            if index.unique { "UNIQUE " } else { "" },
            quote(&name),
            table(entity),
            method.map(|m| format!(" USING {m}")).unwrap_or_default(),
            parts.join(", "),
            storage_clause(&index.options.storage_parameters)
        )))
    }

    /// `COMMENT ON INDEX`, under the name `create_index` gave it; the
    /// table's replica identity or `CLUSTER ON` when it is this index.
    fn after_index(
        &self,
        manifest: &Manifest,
        entity_name: &str,
        entity: &Entity,
        index: &Index,
        out: &mut Vec<Statement>,
    ) {
        out.extend(index_settings(entity, false, |name| name == index.name));
        if let Some(comment) = &index.options.comment {
            out.push(Statement::new(format!(
                "COMMENT ON INDEX {} IS {}",
                qualified_index(entity, &index_name(manifest, entity_name, index)),
                string_literal(comment, false)
            )));
        }
    }

    fn view_keyword(&self, view: &Entity) -> &'static str {
        if view.kind == EntityKind::MaterializedView {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        }
    }

    /// Its partitions, parents first (the indexes that follow are made on
    /// every partition too), its comments and its row-level security.
    fn after_table(&self, cx: &mut Cx<'_>, name: &str, entity: &Entity, out: &mut Vec<Statement>) {
        for partition in &entity.partitions {
            out.push(create_partition(entity, partition));
        }
        inherited_columns(cx, name, entity, None, out);
        out.extend(comments(entity, None));
        // Those on a key's index, which the table has made; those on
        // another index follow it (`after_index`).
        out.extend(index_settings(entity, true, |name| {
            !entity.indexes.iter().any(|index| index.name == name)
        }));
        if entity.row_level_security {
            out.push(Statement::new(format!(
                "ALTER TABLE {} ENABLE ROW LEVEL SECURITY",
                table(entity)
            )));
        }
        if entity.force_row_level_security {
            out.push(Statement::new(format!(
                "ALTER TABLE {} FORCE ROW LEVEL SECURITY",
                table(entity)
            )));
        }
    }

    /// Its comments and indexes (a materialized view has them).
    fn after_view(&self, cx: &mut Cx<'_>, name: &str, view: &Entity, out: &mut Vec<Statement>) {
        out.extend(comments(view, None));
        for index in &view.indexes {
            if let Some(statement) = PostgresRenderer.create_index(cx, cx.after, name, view, index)
            {
                out.push(statement);
                PostgresRenderer.after_index(cx.after, name, view, index, out);
            }
        }
    }
}

impl AlterConstraints for PostgresRenderer {
    fn relation_name(&self, _manifest: &Manifest, entity: &Entity, relation: &Relation) -> String {
        relation_name(entity, relation)
    }

    fn check_name(&self, entity: &Entity, position: usize) -> String {
        check_name(entity, position)
    }

    /// Not a check its parents give it with `INHERITS`.
    fn makes_check(&self, entity: &Entity, check: &Check) -> bool {
        !check.inherited || entity.inherits.is_empty()
    }

    fn check_suffix(&self, check: &Check) -> &'static str {
        if check.no_inherit { " NO INHERIT" } else { "" }
    }

    fn add_foreign_key(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        entity_name: &str,
        entity: &Entity,
        relation: &Relation,
    ) -> Option<Statement> {
        let name = relation_name(entity, relation);
        let mut text = PostgresRenderer.foreign_key_clause(
            cx,
            manifest,
            entity_name,
            entity,
            relation,
            &name,
        )?;
        if relation.on_delete != ReferentialAction::NoAction {
            text.push_str(&format!(" ON DELETE {}", action(relation.on_delete)));
        }
        if relation.on_update != ReferentialAction::NoAction {
            text.push_str(&format!(" ON UPDATE {}", action(relation.on_update)));
        }
        if relation.deferred {
            text.push_str(" DEFERRABLE INITIALLY DEFERRED");
        } else if relation.deferrable {
            text.push_str(" DEFERRABLE");
        }
        Some(Statement::new(text))
    }
}

/// PostgreSQL's own type names (`format_type` spellings, without modifiers).
const BUILTIN_TYPES: &[&str] = &[
    "boolean",
    "smallint",
    "integer",
    "bigint",
    "real",
    "double precision",
    "numeric",
    "character varying",
    "character",
    "\"char\"",
    "char",
    "varchar",
    "text",
    "bytea",
    "date",
    "time",
    "time without time zone",
    "time with time zone",
    "timestamp",
    "timestamp without time zone",
    "timestamp with time zone",
    "timestamptz",
    "timetz",
    "interval",
    "json",
    "jsonb",
    "uuid",
    "xml",
    "inet",
    "cidr",
    "macaddr",
    "macaddr8",
    "money",
    "point",
    "line",
    "lseg",
    "box",
    "path",
    "polygon",
    "circle",
    "tsvector",
    "tsquery",
    "bit",
    "bit varying",
    "varbit",
    "oid",
    "regclass",
    "regtype",
    "regproc",
    "pg_lsn",
    "pg_snapshot",
    "txid_snapshot",
    "name",
    "int2vector",
    "oidvector",
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "int4multirange",
    "int8multirange",
    "nummultirange",
    "tsmultirange",
    "tstzmultirange",
    "datemultirange",
    "jsonpath",
    "int2",
    "int4",
    "int8",
    "float4",
    "float8",
    "bool",
    "decimal",
    "serial",
    "bigserial",
    "smallserial",
];

/// Whether `native` names a type a fresh PostgreSQL database has, or an
/// enum of `manifest`.
fn is_known_type(manifest: &Manifest, native: &str) -> bool {
    let mut base = native.trim().to_ascii_lowercase();
    while let Some(stripped) = base.strip_suffix("[]") {
        base = stripped.trim_end().to_owned();
    }
    // `numeric(4,2)`, `timestamp(3) with time zone`, `interval day`.
    let without_modifiers: String = {
        let mut out = String::new();
        let mut depth = 0;
        for ch in base.chars() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                ch if depth == 0 => out.push(ch),
                _ => {}
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    if BUILTIN_TYPES.contains(&without_modifiers.as_str())
        || without_modifiers.starts_with("interval")
    {
        return true;
    }
    let unquoted = without_modifiers.replace('"', "");
    // A domain or type of the manifest, or (with extensions installed
    // first) a type an extension may provide: the plan creates them before
    // the tables.
    let bare = unquoted.rsplit('.').next().unwrap_or(&unquoted);
    if !manifest.postgres.extensions.is_empty()
        || manifest
            .postgres
            .objects
            .iter()
            .flat_map(type_names)
            .any(|name| name.eq_ignore_ascii_case(bare))
    {
        return true;
    }
    manifest.enums.iter().any(|(name, e)| {
        let own = enum_type_name(name, e);
        own.replace('"', "").eq_ignore_ascii_case(&unquoted) || name.eq_ignore_ascii_case(&unquoted)
    })
}

/// The types an engine object makes, by their bare names: a domain's or
/// type's own, and a range type's multirange too (`multirange_type_name`,
/// else the name PostgreSQL gives it).
fn type_names(object: &EngineObject) -> Vec<String> {
    if !matches!(object.kind, ObjectKind::Domain | ObjectKind::Type) {
        return Vec::new();
    }
    let unquoted = object.name.replace('"', "");
    let bare = unquoted.rsplit('.').next().unwrap_or(&unquoted).to_owned();
    let mut names = vec![bare.clone()];
    let sql = object.sql.to_ascii_lowercase();
    if object.kind == ObjectKind::Type && sql.contains(" as range") {
        let multirange = sql
            .split_once("multirange_type_name")
            .and_then(|(_, rest)| rest.trim_start().strip_prefix('='))
            .and_then(|rest| rest.split([',', ')']).next())
            .map(|name| {
                let name = name.trim().replace('"', "");
                name.rsplit('.').next().unwrap_or(&name).to_owned()
            });
        names.push(multirange.unwrap_or_else(|| match bare.find("range") {
            Some(at) => format!("{}multirange{}", &bare[..at], &bare[at + 5..]),
            None => format!("{bare}_multirange"),
        }));
    }
    names
}

/// The PostgreSQL type name of enum `name`, schema-qualified and quoted.
fn enum_type_name(name: &str, enumeration: &crate::manifest::Enum) -> String {
    let own = enumeration.native.as_deref().unwrap_or(name);
    // Introspection names an enum of another schema `schema.name` (and
    // says the schema); any other dot is part of the name.
    let (schema, bare) = match (&enumeration.schema, own.split_once('.')) {
        (Some(schema), Some((prefix, bare))) if prefix == schema => (Some(schema.clone()), bare),
        (schema, _) => (schema.clone(), own),
    };
    match schema {
        Some(schema) => format!("{}.{}", quote(&schema), quote(bare)),
        None => quote(bare),
    }
}

fn enum_type(manifest: &Manifest, name: &str) -> String {
    match manifest.enums.get(name) {
        Some(enumeration) => enum_type_name(name, enumeration),
        None => quote(name),
    }
}

pub(super) fn render(cx: &mut Cx<'_>) -> Result<Vec<Statement>, RenderError> {
    let (plan, swapped_enums) = plan(cx);
    let objects = ObjectPlan::new(cx, &plan.dropped)?;
    let mut out = Vec::new();

    // 0. Row-level security policies that go away (they may read columns
    // that change or go).
    for change in cx.changes {
        if let ChangeKind::DropPolicy { entity, name } = &change.kind
            && let Some(old) = cx.old_entity(entity)
        {
            out.push(Statement::new(format!(
                "DROP POLICY IF EXISTS {} ON {}",
                quote(name),
                table(old)
            )));
        }
    }

    // 1. Views that go away, change, or read a table that changes.
    PostgresRenderer.drop_views(cx, &plan.old_views, &mut out);

    // 2. Foreign keys that go away, or that block a drop.
    PostgresRenderer.drop_foreign_keys(cx, &plan.dropped_relations, &mut out);

    // The foreign keys of partitions that would block a drop.
    drop_partition_foreign_keys(cx, &plan.dropped, &mut out);

    // 3. Indexes, uniques, checks and keys that go away from tables that stay.
    for (name, kind) in plan.changes_of_altered(cx) {
        let Some(old) = cx.old_entity(&name) else {
            continue;
        };
        let old_name = cx.old_entity_name(&name).to_owned();
        match kind {
            ChangeKind::DropIndex { index, .. } => {
                if let Some(found) = old.indexes.iter().find(|i| &i.name == index) {
                    out.push(Statement::new(format!(
                        "DROP INDEX IF EXISTS {}",
                        qualified_index(old, &index_name(cx.before, &old_name, found))
                    )));
                }
            }
            ChangeKind::DropUnique { fields, .. } => {
                let old_fields = cx.old_fields(&name, fields);
                let unique = old.uniques.iter().find(|u| u.fields == old_fields);
                let constraint = unique.and_then(|u| u.name.clone()).unwrap_or_else(|| {
                    default_name(&old.table, &columns_of(old, &old_fields), "key")
                });
                out.push(Statement::new(format!(
                    "ALTER TABLE {} DROP CONSTRAINT {}",
                    table(old),
                    quote(&constraint)
                )));
            }
            // The parent's `DROP CONSTRAINT` drops an inherited one.
            ChangeKind::DropCheck { sql, .. }
                if !inherited_check(cx, &name, cx.before, old, sql) =>
            {
                out.extend(PostgresRenderer.drop_check(old, sql));
            }
            ChangeKind::ChangePrimaryKey { before, .. } if !before.is_empty() => {
                out.push(Statement::new(format!(
                    "ALTER TABLE {} DROP CONSTRAINT {}",
                    table(old),
                    quote(&primary_key_name(old))
                )));
            }
            _ => {}
        }
    }

    // Tables that stop inheriting from another (before it may go).
    for name in &plan.altered {
        alter_inheritance(cx, name, false, &mut out);
    }

    // 3b. Engine objects that use tables, and go away or are made again.
    objects.drops(cx, true, &mut out);

    // 4. Tables that go away.
    PostgresRenderer.drop_tables(cx, &plan.dropped, &mut out);

    // 4b. The other engine objects that go away or are made again.
    objects.drops(cx, false, &mut out);

    // 5. Schemas and enum types the new objects need.
    // Those of new tables and of their partitions (GitLab keeps them in
    // schemas of their own), unless a table of before is in it.
    let existing: BTreeSet<&String> = cx
        .before
        .entities
        .values()
        .flat_map(|e| {
            e.schema
                .iter()
                .chain(e.partitions.iter().filter_map(|p| p.schema.as_ref()))
        })
        .collect();
    let mut schemas = BTreeSet::new();
    for name in plan.created.iter().chain(&plan.altered) {
        let Some(entity) = cx.after.entities.get(name) else {
            continue;
        };
        let own = plan.created.contains(name).then_some(&entity.schema);
        for schema in own
            .into_iter()
            .flatten()
            .chain(entity.partitions.iter().filter_map(|p| p.schema.as_ref()))
        {
            if !existing.contains(schema) {
                schemas.insert(schema.clone());
            }
        }
    }
    for change in cx.changes {
        if let ChangeKind::AddEnum { name } = &change.kind
            && let Some(schema) = cx.after.enums.get(name).and_then(|e| e.schema.clone())
            && schema != "public"
        {
            schemas.insert(schema);
        }
    }
    // An extension installed into a schema of its own (Supabase's
    // `extensions`), which a dump does not create.
    for name in objects
        .extensions_created
        .iter()
        .chain(&objects.extensions_moved)
    {
        if let Some(schema) = extension_schema(cx, name)
            && !matches!(schema, "public" | "pg_catalog")
        {
            schemas.insert(schema.to_owned());
        }
    }
    for schema in schemas {
        out.push(Statement::new(format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote(&schema)
        )));
    }
    for change in cx.changes {
        match &change.kind {
            ChangeKind::AddEnum { name } => {
                let Some(enumeration) = cx.after.enums.get(name) else {
                    continue;
                };
                let mut statement = Statement::new(format!(
                    "CREATE TYPE {} AS ENUM ({})",
                    enum_type_name(name, enumeration),
                    enum_values(&enumeration.values)
                ));
                if let Some(note) = cx.restore_note(&format!("enum `{name}`")) {
                    statement = statement.note(note);
                }
                out.push(statement);
                if let Some(comment) = &enumeration.comment {
                    out.push(Statement::new(format!(
                        "COMMENT ON TYPE {} IS {}",
                        enum_type_name(name, enumeration),
                        string_literal(comment, false)
                    )));
                }
            }
            ChangeKind::AddEnumValue { name, value } if !swapped_enums.contains(name) => {
                let Some(enumeration) = cx.after.enums.get(name) else {
                    continue;
                };
                let position = enumeration.values.iter().position(|v| v == value);
                let place = match position {
                    Some(0) => enumeration
                        .values
                        .get(1)
                        .map(|next| format!(" BEFORE {}", string_literal(next, false))),
                    Some(i) => Some(format!(
                        " AFTER {}",
                        string_literal(&enumeration.values[i - 1], false)
                    )),
                    None => None,
                }
                .unwrap_or_default();
                out.push(
                    Statement::new(format!(
                        "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{place}",
                        enum_type_name(name, enumeration),
                        string_literal(value, false)
                    ))
                    .note("a value added here cannot be used in the same transaction before PostgreSQL commits it"),
                );
            }
            _ => {}
        }
    }

    // 5b. Extensions, then the engine objects that need no table.
    objects.creates(cx, 0, &mut out);

    // 6. Renames.
    for name in &plan.altered {
        let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
            continue;
        };
        if old.schema != new.schema {
            out.push(Statement::new(format!(
                "ALTER TABLE {} SET SCHEMA {}",
                table(old),
                quote(new.schema.as_deref().unwrap_or("public"))
            )));
        }
        if old.table != new.table {
            let mut moved = old.clone();
            moved.schema = new.schema.clone();
            out.push(Statement::new(format!(
                "ALTER TABLE {} RENAME TO {}",
                table(&moved),
                quote(&new.table)
            )));
        }
        PostgresRenderer.rename_columns(cx, name, old, new, &mut out);
        identity_sequence_renames(cx, name, old, new, &mut out);
    }

    // 7. New tables; then what their partitions have of their own, the
    // foreign keys waiting in `later` until every table exists.
    PostgresRenderer.create_tables(cx, &plan.created, &mut out);
    let mut later = Vec::new();
    let after = cx.after;
    for name in &plan.created {
        let Some(entity) = after.entities.get(name) else {
            continue;
        };
        if is_view(entity) {
            continue;
        }
        out.extend(add_exclusions(&Entity::new(""), entity));
        for partition in &entity.partitions {
            partition_objects(cx, name, entity, partition, None, &mut out, &mut later);
        }
    }

    // 8. Columns of tables that stay, their exclusion constraints (those
    // that change dropped first) and their partitions.
    for name in plan.altered.clone() {
        let tables = match (cx.old_entity(&name), cx.after.entities.get(&name)) {
            (Some(old), Some(new)) if !is_view(new) && !is_view(old) => {
                Some((old.clone(), new.clone()))
            }
            _ => None,
        };
        if let Some((old, new)) = &tables {
            out.extend(drop_exclusions(old, new));
        }
        alter_columns(cx, &name, &mut out);
        if let Some((old, new)) = &tables {
            out.extend(add_exclusions(old, new));
            alter_partitions(cx, &name, old, new, &mut out, &mut later);
        }
    }

    // 9. Enum values that go away: a new type, and the columns moved to it.
    for name in &swapped_enums {
        swap_enum(cx, name, &mut out);
    }

    // 10. Keys, uniques, checks and indexes that appear on tables that stay.
    for (name, kind) in plan.changes_of_altered(cx) {
        let Some(new) = cx.after.entities.get(&name) else {
            continue;
        };
        if plan.new_views.contains(&name) {
            // Created again below, with its indexes.
            continue;
        }
        match kind {
            ChangeKind::AddIndex { index, .. } => {
                if let Some(found) = new.indexes.iter().find(|i| &i.name == index)
                    && let Some(statement) =
                        PostgresRenderer.create_index(cx, cx.after, &name, new, found)
                {
                    out.push(statement);
                    PostgresRenderer.after_index(cx.after, &name, new, found, &mut out);
                }
            }
            ChangeKind::AddUnique { fields, .. } => {
                if let Some(unique) = new.uniques.iter().find(|u| &u.fields == fields) {
                    let constraint = unique.name.clone().unwrap_or_else(|| {
                        default_name(&new.table, &columns_of(new, fields), "key")
                    });
                    out.push(Statement::new(format!(
                        "ALTER TABLE {} ADD CONSTRAINT {} {}",
                        table(new),
                        quote(&constraint),
                        unique_clause(new, unique)
                    )));
                }
            }
            // The parent's `ADD CONSTRAINT` makes an inherited one.
            ChangeKind::AddCheck { sql, .. } if !inherited_check(cx, &name, cx.after, new, sql) => {
                out.extend(PostgresRenderer.add_check(cx, &name, new, sql));
            }
            ChangeKind::ChangePrimaryKey { after, .. } if !after.is_empty() => {
                out.push(Statement::new(format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} {}",
                    table(new),
                    quote(&primary_key_name(new)),
                    primary_key_clause(new, after)
                )));
            }
            _ => {}
        }
    }

    // 10b. Tables that start inheriting from another, once it exists and
    // they have its columns and checks.
    for name in &plan.altered {
        alter_inheritance(cx, name, true, &mut out);
    }

    // 11. Foreign keys, once every table exists.
    PostgresRenderer.add_foreign_keys(cx, &plan.added_relations, &mut out);

    // The foreign keys of partitions.
    out.append(&mut later);

    // 11a. Comments of the constraints made or changed, once all exist.
    for (name, new) in &cx.after.entities {
        if is_view(new) {
            continue;
        }
        let readded: Vec<&Relation> = plan
            .added_relations
            .iter()
            .filter(|(entity, _)| entity == name)
            .map(|(_, relation)| relation)
            .collect();
        out.extend(constraint_comments(cx.old_entity(name), new, &readded));
    }

    // 11b. Engine objects that use tables, and sequence owners.
    objects.creates(cx, 1, &mut out);

    // 12. Views, once every table they read exists.
    PostgresRenderer.create_views(cx, &plan.new_views, &mut out);

    // 12b. Engine objects that use views, and triggers.
    objects.creates(cx, 2, &mut out);

    // 13. Table-level changes: comments and row-level security.
    for name in &plan.altered {
        let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
            continue;
        };
        if old.comment != new.comment {
            out.push(Statement::new(format!(
                "COMMENT ON TABLE {} IS {}",
                table(new),
                comment_literal(new.comment.as_deref())
            )));
        }
        if old.replica_identity != new.replica_identity && !is_view(new) {
            out.push(replica_identity(new));
        }
        if old.cluster_on != new.cluster_on && !is_view(new) {
            out.push(Statement::new(match &new.cluster_on {
                Some(index) => format!("ALTER TABLE {} CLUSTER ON {}", table(new), quote(index)),
                None => format!("ALTER TABLE {} SET WITHOUT CLUSTER", table(new)),
            }));
        }
        if old.unlogged != new.unlogged && !is_view(new) {
            out.push(Statement::new(format!(
                "ALTER TABLE {} SET {}",
                table(new),
                if new.unlogged { "UNLOGGED" } else { "LOGGED" }
            )));
        }
        if old.storage_parameters != new.storage_parameters && !is_view(new) {
            let reset: Vec<&str> = old
                .storage_parameters
                .iter()
                .map(|p| parameter_name(p))
                .filter(|name| {
                    !new.storage_parameters
                        .iter()
                        .any(|p| parameter_name(p) == *name)
                })
                .collect();
            if !reset.is_empty() {
                out.push(Statement::new(format!(
                    "ALTER TABLE {} RESET ({})",
                    table(new),
                    reset.join(", ")
                )));
            }
            if !new.storage_parameters.is_empty() {
                out.push(Statement::new(format!(
                    "ALTER TABLE {} SET ({})",
                    table(new),
                    new.storage_parameters.join(", ")
                )));
            }
        }
        if old.force_row_level_security != new.force_row_level_security {
            out.push(Statement::new(format!(
                "ALTER TABLE {} {} ROW LEVEL SECURITY",
                table(new),
                if new.force_row_level_security {
                    "FORCE"
                } else {
                    "NO FORCE"
                }
            )));
        }
    }

    // 14. Row-level security and the policies made from rules, last: a
    // policy may read any table.
    let mut made = None;
    for change in cx.changes {
        match &change.kind {
            ChangeKind::SetRowSecurity { entity, enabled } => {
                if let Some(new) = cx.after.entities.get(entity) {
                    out.push(Statement::new(format!(
                        "ALTER TABLE {} {} ROW LEVEL SECURITY",
                        table(new),
                        if *enabled { "ENABLE" } else { "DISABLE" }
                    )));
                }
            }
            ChangeKind::AddPolicy { entity, name } => {
                let links = made.get_or_insert_with(|| crate::manifest::links::links(cx.after));
                let claims = crate::rules::rls::claim_names(cx.after);
                let policy = crate::rules::rls::policies(cx.after, links, entity, &claims)
                    .into_iter()
                    .find(|policy| &policy.name == name);
                match policy {
                    Some(policy) => {
                        // One edited by hand keeps its name: made again.
                        if cx.before.entities.contains_key(entity) {
                            out.push(Statement::new(format!(
                                "DROP POLICY IF EXISTS {} ON {}",
                                quote(name),
                                policy.table
                            )));
                        }
                        let fingerprint = policy.fingerprint();
                        out.push(Statement::new(policy.create));
                        out.push(Statement::new(fingerprint));
                    }
                    None => cx.lossy(format!(
                        "the row-level security policy `{name}` of `{entity}` is not made from its rules any more and is not recreated"
                    )),
                }
            }
            _ => {}
        }
    }

    // 15. Enum types nothing uses any more.
    for change in cx.changes {
        if let ChangeKind::DropEnum { name } = &change.kind
            && let Some(enumeration) = cx.before.enums.get(name)
        {
            out.push(Statement::new(format!(
                "DROP TYPE {}",
                enum_type_name(name, enumeration)
            )));
        }
    }
    // 15. Extensions nothing uses any more.
    objects.drop_extensions(cx, &mut out);
    Ok(out)
}

// ---------------------------------------------------------------------------
// Engine objects (`[postgres]`)

/// When an engine object can be created: 0 before the tables, 1 after the
/// tables (it uses one, e.g. a function returning a table's rows), 2 after
/// the views (it uses one, or is a trigger).
fn object_level(manifest: &Manifest, object: &EngineObject, depth: usize) -> u8 {
    let mut level = u8::from(object.kind == ObjectKind::Trigger) * 2;
    for dependency in &object.depends_on {
        if let Some(entity) = dependency.strip_prefix("entity ") {
            let used = manifest.entities.get(entity);
            level = level.max(if used.is_some_and(is_view) { 2 } else { 1 });
        } else if depth < 32
            && let Some(other) = manifest.postgres.object(dependency)
        {
            level = level.max(object_level(manifest, other, depth + 1));
        }
    }
    level
}

/// The objects of `manifest` named by `keys`, each after the objects it
/// depends on (then in manifest order; a cycle keeps manifest order).
fn object_order<'m>(manifest: &'m Manifest, keys: &BTreeSet<String>) -> Vec<&'m EngineObject> {
    let mut pending: Vec<&EngineObject> = manifest
        .postgres
        .objects
        .iter()
        .filter(|object| keys.contains(&object.key()))
        .collect();
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending.iter().position(|object| {
            !object.depends_on.iter().any(|dependency| {
                pending
                    .iter()
                    .any(|other| other.key() == *dependency && other.key() != object.key())
            })
        });
        ordered.push(pending.remove(ready.unwrap_or(0)));
    }
    ordered
}

/// The roles a policy's statement names (`TO authenticated, anon`), but
/// `PUBLIC` and the current or session user.
fn policy_roles(sql: &str) -> Vec<String> {
    use sqlparser::ast::{Owner, Statement as Ast};
    let parsed =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql);
    let Some(Ast::CreatePolicy(policy)) = parsed.ok().and_then(|mut all| all.drain(..).next())
    else {
        return Vec::new();
    };
    policy
        .to
        .unwrap_or_default()
        .into_iter()
        .filter_map(|owner| match owner {
            Owner::Ident(ident) if ident.quote_style.is_some() => Some(ident.value),
            Owner::Ident(ident) if !ident.value.eq_ignore_ascii_case("public") => {
                Some(ident.value.to_ascii_lowercase())
            }
            _ => None,
        })
        .collect()
}

/// The columns (`entity.field`) of `manifest`'s tables whose type is one
/// `object` makes, an array of it, or a type or domain made of it (which
/// PostgreSQL counts as a use too), but those of `dropped` entities.
fn columns_using(
    manifest: &Manifest,
    object: &EngineObject,
    dropped: &[String],
    depth: usize,
) -> Vec<String> {
    let names = type_names(object);
    let names_it = |native: &String| {
        let mut base = native.trim();
        while let Some(stripped) = base.strip_suffix("[]") {
            base = stripped.trim_end();
        }
        let unquoted = base.replace('"', "");
        let bare = unquoted.rsplit('.').next().unwrap_or(&unquoted).to_owned();
        names.iter().any(|name| name.eq_ignore_ascii_case(&bare))
    };
    let mut columns = Vec::new();
    for (entity_name, entity) in &manifest.entities {
        if is_view(entity) || dropped.contains(entity_name) {
            continue;
        }
        for (field_name, field) in &entity.fields {
            let items = field
                .items
                .as_deref()
                .and_then(|items| items.native.as_ref());
            if field.native.iter().chain(items).any(names_it) {
                columns.push(format!("{entity_name}.{field_name}"));
            }
        }
    }
    let key = object.key();
    for other in &manifest.postgres.objects {
        if depth < 8
            && matches!(other.kind, ObjectKind::Type | ObjectKind::Domain)
            && other.depends_on.contains(&key)
        {
            columns.extend(columns_using(manifest, other, dropped, depth + 1));
        }
    }
    columns.sort();
    columns.dedup();
    columns
}

/// A type's text in the form two spellings of it compare by.
fn type_key(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// What a `CREATE DOMAIN` says, its checks by name.
struct DomainParts {
    base: String,
    collation: Option<String>,
    default: Option<String>,
    not_null: bool,
    checks: Vec<(String, String)>,
}

fn domain_parts(name: &str, sql: &str) -> Option<DomainParts> {
    use sqlparser::ast::{Statement as Ast, TableConstraint};
    let (text, not_null) = crate::dialect::postgres::domain_without_null(sql);
    let parsed =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, &text);
    let Ast::CreateDomain(domain) = parsed.ok()?.into_iter().next()? else {
        return None;
    };
    let unquoted = name.replace('"', "");
    let bare = unquoted.rsplit('.').next().unwrap_or(&unquoted);
    // PostgreSQL names an unnamed check `<domain>_check`.
    let checks = domain
        .constraints
        .iter()
        .filter_map(|constraint| match constraint {
            TableConstraint::Check(check) => Some((
                check
                    .name
                    .as_ref()
                    .map_or_else(|| format!("{bare}_check"), |name| name.value.clone()),
                check.expr.to_string(),
            )),
            _ => None,
        })
        .collect();
    Some(DomainParts {
        base: type_key(&domain.data_type.to_string()),
        collation: domain.collation.map(|c| c.value),
        default: domain.default.map(|d| d.to_string()),
        not_null,
        checks,
    })
}

/// The `ALTER DOMAIN` statements that take domain `name` from `old` to
/// `new`; `None` when its base type or collation changes, which no `ALTER`
/// does.
fn domain_alterations(name: &str, old: &str, new: &str) -> Option<Vec<Statement>> {
    let (old, new) = (domain_parts(name, old)?, domain_parts(name, new)?);
    if old.base != new.base || old.collation != new.collation {
        return None;
    }
    let kept = |check: &(String, String), other: &[(String, String)]| {
        other
            .iter()
            .any(|(name, sql)| *name == check.0 && crate::diff::sql_eq(sql, &check.1))
    };
    let mut out = Vec::new();
    for check in old.checks.iter().filter(|c| !kept(c, &new.checks)) {
        out.push(format!(
            "ALTER DOMAIN {name} DROP CONSTRAINT {}",
            quote(&check.0)
        ));
    }
    let same_default = match (&old.default, &new.default) {
        (Some(a), Some(b)) => crate::diff::sql_eq(a, b),
        (a, b) => a == b,
    };
    if !same_default {
        out.push(match &new.default {
            Some(default) => format!("ALTER DOMAIN {name} SET DEFAULT {default}"),
            None => format!("ALTER DOMAIN {name} DROP DEFAULT"),
        });
    }
    if old.not_null != new.not_null {
        let verb = if new.not_null { "SET" } else { "DROP" };
        out.push(format!("ALTER DOMAIN {name} {verb} NOT NULL"));
    }
    for check in new.checks.iter().filter(|c| !kept(c, &old.checks)) {
        out.push(format!(
            "ALTER DOMAIN {name} ADD CONSTRAINT {} CHECK ({})",
            quote(&check.0),
            check.1
        ));
    }
    Some(out.into_iter().map(Statement::new).collect())
}

/// A composite type's attributes (`CREATE TYPE t AS ( a integer, b text
/// COLLATE "C" )`): each name and the rest, its type and collation, as
/// written. `None` for another statement.
fn composite_attributes(sql: &str) -> Option<Vec<(String, String)>> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&sqlparser::dialect::PostgreSqlDialect {}, sql)
        .tokenize()
        .ok()?;
    let open = tokens.iter().position(|t| matches!(t, Token::LParen))?;
    let before = tokens[..open]
        .iter()
        .rev()
        .find(|t| !matches!(t, Token::Whitespace(_)));
    if !matches!(before, Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("AS"))
    {
        return None;
    }
    let mut attributes = Vec::new();
    let mut current: Vec<&Token> = Vec::new();
    let mut depth = 0usize;
    let mut finish = |current: &mut Vec<&Token>| {
        let mut solid = current
            .iter()
            .skip_while(|t| matches!(t, Token::Whitespace(_)));
        if let Some(name) = solid.next() {
            let rest: String = solid.map(ToString::to_string).collect();
            attributes.push((name.to_string(), rest.trim().to_owned()));
        }
        current.clear();
    };
    for token in &tokens[open + 1..] {
        match token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => {
                finish(&mut current);
                return Some(attributes);
            }
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => {
                finish(&mut current);
                continue;
            }
            _ => {}
        }
        current.push(token);
    }
    None
}

/// The `ALTER TYPE` statements that take composite type `name` from `old`
/// to `new` (`CASCADE` carries them to tables made `OF` it); `None` when it
/// is not a composite type both times, when the attributes kept change
/// order or a new one comes before one kept (`ADD ATTRIBUTE` puts it
/// last), or when an attribute changes type while columns use the type,
/// which PostgreSQL refuses.
fn composite_alterations(name: &str, old: &str, new: &str, used: bool) -> Option<Vec<Statement>> {
    let (old, new) = (composite_attributes(old)?, composite_attributes(new)?);
    let kept_old: Vec<&String> = old
        .iter()
        .map(|a| &a.0)
        .filter(|n| new.iter().any(|b| &b.0 == *n))
        .collect();
    let kept_new: Vec<&String> = new
        .iter()
        .map(|a| &a.0)
        .filter(|n| old.iter().any(|b| &b.0 == *n))
        .collect();
    if kept_old != kept_new
        || !new[..kept_new.len()]
            .iter()
            .all(|a| kept_new.contains(&&a.0))
    {
        return None;
    }
    let mut out = Vec::new();
    for attribute in old.iter().filter(|a| !kept_old.contains(&&a.0)) {
        out.push(format!(
            "ALTER TYPE {name} DROP ATTRIBUTE {} CASCADE",
            attribute.0
        ));
    }
    for attribute in &old {
        let Some(after) = new.iter().find(|b| b.0 == attribute.0) else {
            continue;
        };
        if type_key(&attribute.1) != type_key(&after.1) {
            if used {
                return None;
            }
            out.push(format!(
                "ALTER TYPE {name} ALTER ATTRIBUTE {} TYPE {} CASCADE",
                after.0, after.1
            ));
        }
    }
    for attribute in new.iter().filter(|a| !kept_new.contains(&&a.0)) {
        out.push(format!(
            "ALTER TYPE {name} ADD ATTRIBUTE {} {} CASCADE",
            attribute.0, attribute.1
        ));
    }
    Some(out.into_iter().map(Statement::new).collect())
}

/// The statements that change `old` into `new` where it is, keeping what
/// uses it: a domain's checks, default and `NOT NULL`, a composite type's
/// attributes. `None` when it must be dropped and made again.
fn alter_in_place(
    cx: &Cx<'_>,
    old: &EngineObject,
    new: &EngineObject,
    dropped_entities: &[String],
) -> Option<Vec<Statement>> {
    if old.depends_on != new.depends_on {
        return None;
    }
    match new.kind {
        ObjectKind::Domain => domain_alterations(&new.name, &old.sql, &new.sql),
        ObjectKind::Type => {
            let used = !columns_using(cx.before, old, dropped_entities, 0).is_empty();
            composite_alterations(&new.name, &old.sql, &new.sql, used)
        }
        _ => None,
    }
}

/// Which engine objects and extensions the changes create and drop.
struct ObjectPlan {
    /// Keys of objects of `before` dropped (gone, or changed in a way
    /// `CREATE OR REPLACE` cannot carry out).
    dropped: BTreeSet<String>,
    /// Keys of objects of `after` created (new, or changed).
    created: BTreeSet<String>,
    /// Sequences of `after` whose statement becomes `ALTER SEQUENCE`.
    altered_sequences: BTreeSet<String>,
    /// Objects of `after` kept (or replaced in place) whose comment
    /// changes: only `COMMENT ON`.
    commented: BTreeSet<String>,
    /// Domains and composite types of `after` changed in place, with the
    /// `ALTER` statements that do it, run where its `CREATE` would.
    altered: BTreeMap<String, Vec<Statement>>,
    extensions_created: BTreeSet<String>,
    extensions_dropped: BTreeSet<String>,
    extensions_moved: BTreeSet<String>,
}

impl ObjectPlan {
    fn new(cx: &Cx<'_>, dropped_entities: &[String]) -> Result<Self, RenderError> {
        let mut plan = Self {
            dropped: BTreeSet::new(),
            created: BTreeSet::new(),
            altered_sequences: BTreeSet::new(),
            commented: BTreeSet::new(),
            altered: BTreeMap::new(),
            extensions_created: BTreeSet::new(),
            extensions_dropped: BTreeSet::new(),
            extensions_moved: BTreeSet::new(),
        };
        for change in cx.changes {
            match &change.kind {
                ChangeKind::AddObject { object } => match object.strip_prefix("extension ") {
                    Some(name) => {
                        plan.extensions_created.insert(name.to_owned());
                    }
                    None => {
                        plan.created.insert(object.clone());
                    }
                },
                ChangeKind::DropObject { object } => match object.strip_prefix("extension ") {
                    Some(name) => {
                        plan.extensions_dropped.insert(name.to_owned());
                    }
                    None => {
                        plan.dropped.insert(object.clone());
                    }
                },
                ChangeKind::AlterObject { object } => {
                    if let Some(name) = object.strip_prefix("extension ") {
                        plan.extensions_moved.insert(name.to_owned());
                        continue;
                    }
                    let Some(new) = cx.after.postgres.object(object) else {
                        continue;
                    };
                    let old = cx.before.postgres.object(object);
                    let comment_changed = old.is_some_and(|old| old.comment != new.comment);
                    if old.is_some_and(|old| {
                        crate::diff::statement_eq(&old.sql, &new.sql)
                            && old.owned_by == new.owned_by
                    }) {
                        plan.commented.insert(object.clone());
                        continue;
                    }
                    let replaceable = new
                        .sql
                        .trim_start()
                        .get(..17)
                        .is_some_and(|head| head.eq_ignore_ascii_case("CREATE OR REPLACE"));
                    if new.kind == ObjectKind::Sequence {
                        plan.altered_sequences.insert(object.clone());
                        if comment_changed {
                            plan.commented.insert(object.clone());
                        }
                        continue;
                    }
                    if let Some(statements) =
                        old.and_then(|old| alter_in_place(cx, old, new, dropped_entities))
                    {
                        plan.altered.insert(object.clone(), statements);
                        if comment_changed {
                            plan.commented.insert(object.clone());
                        }
                        continue;
                    }
                    if !replaceable {
                        plan.dropped.insert(object.clone());
                    }
                    plan.created.insert(object.clone());
                    if comment_changed && replaceable {
                        plan.commented.insert(object.clone());
                    }
                }
                _ => {}
            }
        }
        // What uses an object dropped and made again is dropped before it
        // and made again after it: PostgreSQL drops nothing still in use.
        loop {
            let more: Vec<String> =
                cx.before
                    .postgres
                    .objects
                    .iter()
                    .map(EngineObject::key)
                    .filter(|key| {
                        !plan.dropped.contains(key) && cx.after.postgres.object(key).is_some()
                    })
                    .filter(|key| {
                        cx.before.postgres.object(key).is_some_and(|object| {
                            object.depends_on.iter().any(|used| {
                                plan.dropped.contains(used) && plan.created.contains(used)
                            })
                        })
                    })
                    .collect();
            if more.is_empty() {
                break;
            }
            for key in more {
                plan.altered.remove(&key);
                plan.dropped.insert(key.clone());
                plan.created.insert(key);
            }
        }
        // A type or domain columns use cannot be dropped: the plan stops
        // here rather than in the middle of `migrate apply`.
        for key in plan.dropped.intersection(&plan.created) {
            let Some(object) = cx.before.postgres.object(key) else {
                continue;
            };
            if !matches!(object.kind, ObjectKind::Type | ObjectKind::Domain) {
                continue;
            }
            let columns = columns_using(cx.before, object, dropped_entities, 0);
            if !columns.is_empty() {
                return Err(RenderError {
                    target: super::Target::Postgres,
                    what: format!(
                        "change {} `{}` in place, and columns use it ({}): PostgreSQL has no \
                         ALTER for this change (a range type's definition, a domain's base \
                         type or collation, an attribute's type or order of a composite type \
                         columns use) and cannot drop it while they do. Change those columns \
                         to another type in one migration and the {} in the next, or write \
                         this migration by hand (for instance: create the new {} under \
                         another name, `ALTER TABLE ... ALTER COLUMN ... TYPE new USING \
                         column::text::new`, drop the old one, rename the new one)",
                        object.kind,
                        object.name,
                        columns
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        object.kind,
                        object.kind,
                    ),
                });
            }
        }
        Ok(plan)
    }

    /// Drops dependants first: those that use a table (`using_tables`),
    /// before the tables go; then the others.
    fn drops(&self, cx: &Cx<'_>, using_tables: bool, out: &mut Vec<Statement>) {
        let mut order = object_order(cx.before, &self.dropped);
        order.reverse();
        for object in order {
            if (object_level(cx.before, object, 0) > 0) != using_tables {
                continue;
            }
            out.push(Statement::new(format!(
                "DROP {} IF EXISTS {}",
                object.kind.keyword(),
                object.name
            )));
        }
    }

    fn creates(&self, cx: &Cx<'_>, level: u8, out: &mut Vec<Statement>) {
        if level == 0 {
            for name in &self.extensions_created {
                let schema = extension_schema(cx, name)
                    .map(|schema| format!(" WITH SCHEMA {}", quote(schema)))
                    .unwrap_or_default();
                out.push(Statement::new(format!(
                    "CREATE EXTENSION IF NOT EXISTS {}{schema}",
                    quote(name)
                )));
            }
            for name in &self.extensions_moved {
                if let Some(schema) = extension_schema(cx, name) {
                    out.push(Statement::new(format!(
                        "ALTER EXTENSION {} SET SCHEMA {}",
                        quote(name),
                        quote(schema)
                    )));
                }
            }
        }
        let keys: BTreeSet<String> = self
            .created
            .iter()
            .chain(self.altered.keys())
            .cloned()
            .collect();
        let objects: Vec<&EngineObject> = object_order(cx.after, &keys)
            .into_iter()
            .filter(|object| object_level(cx.after, object, 0) == level)
            .collect();
        if objects
            .iter()
            .any(|object| matches!(object.kind, ObjectKind::Function | ObjectKind::Procedure))
        {
            // As pg_dump does: a function body may name tables created
            // later in the script; it is checked when it runs.
            out.push(Statement::new("SET check_function_bodies = false"));
        }
        // A policy may name roles a fresh server lacks (Supabase's
        // `authenticated`): each is made first, without login, unless the
        // server has it, so that the plan does not stop halfway.
        let roles: BTreeSet<String> = objects
            .iter()
            .filter(|object| object.kind == ObjectKind::Policy)
            .flat_map(|object| policy_roles(&object.sql))
            .collect();
        for role in roles {
            let tag = if role.contains("$role$") {
                "$baas_role$"
            } else {
                "$role$"
            };
            out.push(
                Statement::new(format!(
                    "DO {tag} BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {}) \
                     THEN CREATE ROLE {} NOLOGIN; END IF; END {tag}",
                    string_literal(&role, false),
                    quote(&role)
                ))
                .note(format!(
                    "a policy names role `{role}`: made (NOLOGIN) where the server does not have it"
                )),
            );
        }
        for object in objects {
            let key = object.key();
            if let Some(statements) = self.altered.get(&key) {
                out.extend(statements.iter().cloned());
                continue;
            }
            let mut statement = Statement::new(object.sql.trim().trim_end_matches(';').trim_end());
            if let Some(note) = cx.restore_note(&format!("{} `{}`", object.kind, object.name)) {
                statement = statement.note(note);
            }
            out.push(statement);
            // A new object's comment; one replaced in place keeps its own.
            if object.comment.is_some() && !self.commented.contains(&key) {
                let replaced =
                    cx.before.postgres.object(&key).is_some() && !self.dropped.contains(&key);
                if !replaced {
                    out.push(object_comment(object));
                }
            }
        }
        for key in &self.commented {
            if let Some(object) = cx.after.postgres.object(key)
                && object_level(cx.after, object, 0) == level
            {
                out.push(object_comment(object));
            }
        }
        if level == 1 {
            for key in &self.altered_sequences {
                if let Some(object) = cx.after.postgres.object(key) {
                    let text = object.sql.trim().trim_end_matches(';').trim_end();
                    let altered = match text.get(..15) {
                        Some(head) if head.eq_ignore_ascii_case("CREATE SEQUENCE") => {
                            format!("ALTER SEQUENCE{}", &text[15..])
                        }
                        _ => continue,
                    };
                    out.push(Statement::new(altered));
                }
            }
            let owners = cx.after.postgres.objects.iter().filter(|object| {
                let key = object.key();
                object.kind == ObjectKind::Sequence
                    && (self.created.contains(&key) || self.altered_sequences.contains(&key))
            });
            for sequence in owners {
                let before = cx.before.postgres.object(&sequence.key());
                if before.is_some_and(|old| old.owned_by == sequence.owned_by) {
                    continue;
                }
                if sequence.owned_by.is_none() && before.is_none() {
                    continue;
                }
                out.push(Statement::new(format!(
                    "ALTER SEQUENCE {} OWNED BY {}",
                    sequence.name,
                    sequence.owned_by.as_deref().unwrap_or("NONE")
                )));
            }
        }
    }

    fn drop_extensions(&self, _cx: &Cx<'_>, out: &mut Vec<Statement>) {
        for name in &self.extensions_dropped {
            out.push(
                Statement::new(format!("DROP EXTENSION IF EXISTS {}", quote(name)))
                    .destructive(format!("drops extension `{name}` and what it provides")),
            );
        }
    }
}

/// `COMMENT ON <kind> <name> IS ...` of an engine object (`IS NULL` when
/// it has none).
fn object_comment(object: &EngineObject) -> Statement {
    Statement::new(format!(
        "COMMENT ON {} {} IS {}",
        object.kind.keyword(),
        object.name,
        comment_literal(object.comment.as_deref())
    ))
}

/// The schema an extension of the new manifest goes to, when not the
/// default one.
fn extension_schema<'a>(cx: &Cx<'a>, name: &str) -> Option<&'a str> {
    cx.after
        .postgres
        .extensions
        .get(name)
        .and_then(|e| e.schema.as_deref())
}

/// What happens to each entity and which constraints move.
/// The order of work, and the enums that lose a value (each swapped for a
/// new type).
fn plan(cx: &Cx<'_>) -> (TablePlan, BTreeSet<String>) {
    let mut swapped_enums = BTreeSet::new();
    for change in cx.changes {
        if let ChangeKind::RemoveEnumValue { name, .. } = &change.kind {
            swapped_enums.insert(name.clone());
        }
    }
    let mut plan = TablePlan::new(cx, BTreeSet::new());
    // Parents before the tables that inherit from them; those dropped first.
    plan.created
        .sort_by_key(|name| inheritance_depth(cx.after, name));
    plan.altered
        .sort_by_key(|name| inheritance_depth(cx.after, name));
    plan.dropped
        .sort_by_key(|name| std::cmp::Reverse(inheritance_depth(cx.before, name)));

    // Tables whose columns change under a view.
    let mut touched: BTreeSet<String> = BTreeSet::new();
    for name in &plan.altered {
        let Some(old) = cx.old_entity(name) else {
            continue;
        };
        let changes_columns = cx.changes_of(name).iter().any(|kind| {
            matches!(
                kind,
                ChangeKind::AlterField { .. }
                    | ChangeKind::DropField { .. }
                    | ChangeKind::RenameField { .. }
                    | ChangeKind::RenameEntity { .. }
                    | ChangeKind::AlterEntity { .. }
            )
        });
        if changes_columns && !is_view(old) {
            touched.insert(old.table.clone());
        }
    }
    for name in &plan.dropped {
        if let Some(entity) = cx.before.entities.get(name) {
            touched.insert(entity.table.clone());
        }
    }
    for enum_name in &swapped_enums {
        for entity in cx.before.entities.values() {
            if entity.fields.values().any(|f| uses_enum(f, enum_name)) {
                touched.insert(entity.table.clone());
            }
        }
    }
    plan.find_views(cx, &touched);

    plan.find_relations(cx);
    // Foreign keys that reference a primary key that changes are dropped
    // first and added again.
    for change in cx.changes {
        if let ChangeKind::ChangePrimaryKey { entity, before, .. } = &change.kind {
            let old_name = cx.old_entity_name(entity).to_owned();
            for (other_name, other) in &cx.before.entities {
                for relation in &other.relations {
                    if relation.references.entity == old_name
                        && &relation.references.fields == before
                    {
                        plan.drop_relation(other_name, relation);
                    }
                }
            }
        }
    }
    plan.restore_relations(cx);
    (plan, swapped_enums)
}

fn enum_values(values: &[String]) -> String {
    values
        .iter()
        .map(|v| string_literal(v, false))
        .collect::<Vec<_>>()
        .join(", ")
}

fn primary_key_name(entity: &Entity) -> String {
    entity
        .primary_key_name
        .clone()
        .unwrap_or_else(|| default_name(&entity.table, &[], "pkey"))
}

/// The name of the check at `position`: its own, or one made up the way
/// PostgreSQL would (`<table>_check`, `<table>_check1`, ...).
fn check_name(entity: &Entity, position: usize) -> String {
    if let Some(name) = &entity.checks[position].name {
        return name.clone();
    }
    let unnamed_before = entity.checks[..position]
        .iter()
        .filter(|c| c.name.is_none())
        .count();
    let base = default_name(&entity.table, &[], "check");
    if unnamed_before == 0 {
        base
    } else {
        format!("{base}{unnamed_before}")
    }
}

fn relation_name(entity: &Entity, relation: &Relation) -> String {
    relation.name.clone().unwrap_or_else(|| {
        default_name(&entity.table, &columns_of(entity, &relation.fields), "fkey")
    })
}

fn qualified_index(entity: &Entity, name: &str) -> String {
    match &entity.schema {
        Some(schema) => format!("{}.{}", quote(schema), quote(name)),
        None => quote(name),
    }
}

fn comment_literal(comment: Option<&str>) -> String {
    comment.map_or_else(|| "NULL".to_owned(), |c| string_literal(c, false))
}

/// `COMMENT ON CONSTRAINT` of each constraint of `new` whose comment
/// `old` (the table before, `None` when it is made) does not have: one
/// made (or added again, `readded`) with a comment, one kept with
/// another comment.
fn constraint_comments(
    old: Option<&Entity>,
    new: &Entity,
    readded: &[&Relation],
) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut comment = |name: String, before: Option<&Option<String>>, after: &Option<String>| {
        let unchanged = match before {
            Some(before) => before == after,
            None => after.is_none(),
        };
        if !unchanged {
            out.push(Statement::new(format!(
                "COMMENT ON CONSTRAINT {} ON {} IS {}",
                quote(&name),
                table(new),
                comment_literal(after.as_deref())
            )));
        }
    };
    if !new.primary_key.is_empty() {
        let kept = old.filter(|old| {
            old.primary_key == new.primary_key
                && old.primary_key_include == new.primary_key_include
                && old.primary_key_with == new.primary_key_with
        });
        comment(
            primary_key_name(new),
            kept.map(|old| &old.primary_key_comment),
            &new.primary_key_comment,
        );
    }
    let same_key = |a: &Unique, b: &Unique| {
        a.fields == b.fields && a.options.without_comment() == b.options.without_comment()
    };
    for unique in &new.uniques {
        let kept = old.and_then(|old| old.uniques.iter().find(|u| same_key(u, unique)));
        let name = unique
            .name
            .clone()
            .unwrap_or_else(|| default_name(&new.table, &columns_of(new, &unique.fields), "key"));
        comment(
            name,
            kept.map(|u| &u.options.comment),
            &unique.options.comment,
        );
    }
    for (position, check) in new.checks.iter().enumerate() {
        let kept = old.and_then(|old| {
            old.checks
                .iter()
                .find(|c| crate::diff::sql_eq(&c.sql, &check.sql))
        });
        comment(
            check_name(new, position),
            kept.map(|c| &c.comment),
            &check.comment,
        );
    }
    for exclusion in &new.exclusions {
        let kept = old.and_then(|old| {
            old.exclusions
                .iter()
                .find(|e| crate::diff::exclusion_eq(e, exclusion))
        });
        comment(
            exclusion.name.clone(),
            kept.map(|e| &e.comment),
            &exclusion.comment,
        );
    }
    for relation in &new.relations {
        let kept = old
            .and_then(|old| {
                old.relations
                    .iter()
                    .find(|r| crate::diff::relation_eq(r, relation))
            })
            .filter(|_| {
                !readded
                    .iter()
                    .any(|r| crate::diff::relation_eq(r, relation))
            });
        comment(
            relation_name(new, relation),
            kept.map(|r| &r.comment),
            &relation.comment,
        );
    }
    out
}

/// `COMMENT ON` statements of an entity (and its fields, or only `field`).
fn comments(entity: &Entity, field: Option<&str>) -> Vec<Statement> {
    let mut out = Vec::new();
    let what = match entity.kind {
        EntityKind::Table => "TABLE",
        EntityKind::View => "VIEW",
        EntityKind::MaterializedView => "MATERIALIZED VIEW",
    };
    if field.is_none()
        && let Some(comment) = &entity.comment
    {
        out.push(Statement::new(format!(
            "COMMENT ON {what} {} IS {}",
            table(entity),
            string_literal(comment, false)
        )));
    }
    for (name, f) in &entity.fields {
        if field.is_some_and(|only| only != name) {
            continue;
        }
        if let Some(comment) = &f.comment {
            out.push(Statement::new(format!(
                "COMMENT ON COLUMN {}.{} IS {}",
                table(entity),
                quote(f.column_name(name)),
                string_literal(comment, false)
            )));
        }
        if let Some(comment) = &f.sequence_comment
            && f.has_own_sequence()
        {
            out.push(sequence_comment(entity, name, f, Some(comment)));
        }
    }
    out
}

/// `COMMENT ON SEQUENCE` of the sequence of serial or identity column
/// `name`; `comment` `None` removes it.
fn sequence_comment(
    entity: &Entity,
    name: &str,
    field: &Field,
    comment: Option<&str>,
) -> Statement {
    Statement::new(format!(
        "COMMENT ON SEQUENCE {} IS {}",
        own_sequence(entity, name, field),
        comment_literal(comment)
    ))
}

/// The sequence of serial or identity column `name`, as SQL, in the
/// table's schema unless its `SEQUENCE NAME` says another.
fn own_sequence(entity: &Entity, name: &str, field: &Field) -> String {
    let sequence = if is_identity(field) {
        identity_sequence(&entity.table, name, field)
    } else {
        quote(&default_name(
            &entity.table,
            &[field.column_name(name)],
            "seq",
        ))
    };
    // A dot outside double quotes names a schema (a doubled quote inside
    // a quoted name toggles twice).
    let mut quoted = false;
    let qualified = sequence.chars().any(|c| {
        if c == '"' {
            quoted = !quoted;
        }
        c == '.' && !quoted
    });
    match &entity.schema {
        Some(schema) if !qualified => format!("{}.{sequence}", quote(schema)),
        _ => sequence,
    }
}

/// Whether `field` is a column `entity` has from the tables it inherits
/// from, which `INHERITS` makes.
fn is_inherited(entity: &Entity, field: &Field) -> bool {
    field.inherited && !entity.inherits.is_empty()
}

/// ` INHERITS (parent, ...)`, or nothing.
fn inherits_clause(manifest: &Manifest, entity: &Entity) -> String {
    if entity.inherits.is_empty() {
        return String::new();
    }
    let parents: Vec<String> = entity
        .inherits
        .iter()
        .map(|parent| parent_table(manifest, parent))
        .collect();
    format!(" INHERITS ({})", parents.join(", "))
}

/// The table of the entity `parent`, as `INHERITS` names it.
fn parent_table(manifest: &Manifest, parent: &str) -> String {
    manifest
        .entities
        .get(parent)
        .map_or_else(|| quote(parent), table)
}

/// The field `column` of the first table `entity` inherits from that has
/// it: the one PostgreSQL gives it.
fn parent_field<'m>(manifest: &'m Manifest, entity: &Entity, column: &str) -> Option<&'m Field> {
    entity
        .inherits
        .iter()
        .filter_map(|parent| manifest.entities.get(parent))
        .find_map(|parent| {
            parent
                .fields
                .iter()
                .find(|(name, field)| field.column_name(name) == column)
                .map(|(_, field)| field)
        })
}

/// What the inherited columns of a new table have of their own, which
/// `INHERITS` does not give them: `NOT NULL` where no parent has it, a
/// default other than the parent's, a unique constraint (as `pg_dump`
/// writes the first two, `ALTER TABLE ONLY ...`).
fn inherited_columns(
    cx: &mut Cx<'_>,
    name: &str,
    entity: &Entity,
    only: Option<&str>,
    out: &mut Vec<Statement>,
) {
    let manifest = cx.after;
    for (field_name, field) in &entity.fields {
        if !is_inherited(entity, field) || only.is_some_and(|only| only != field_name) {
            continue;
        }
        let column = quote(field.column_name(field_name));
        let alter = |what: String| {
            Statement::new(format!(
                "ALTER TABLE ONLY {} ALTER COLUMN {column} {what}",
                table(entity)
            ))
        };
        let parent = parent_field(manifest, entity, field.column_name(field_name));
        if !field.nullable && parent.is_none_or(|parent| parent.nullable) {
            out.push(alter("SET NOT NULL".to_owned()));
        }
        // A serial parent's default is its `nextval(...)`.
        let parent_default = parent.and_then(|parent| {
            let serial = matches!(
                parent.generated,
                Some(Generated::Kind(GeneratedKind::Serial))
            );
            (serial || parent.default.is_some()).then_some(parent)
        });
        if field.generated.is_none() {
            let same = match (parent_default, &field.default) {
                (None, None) => true,
                (Some(parent), Some(_)) => crate::diff::default_eq(&parent.default, &field.default),
                _ => false,
            };
            if !same && field.default.is_none() {
                out.push(alter("DROP DEFAULT".to_owned()));
            } else if !same
                && let Some(default) = default_sql(cx, manifest, &object(name, field_name), field)
            {
                out.push(alter(format!("SET DEFAULT {default}")));
            }
        }
        if field.unique {
            let column_name = field.column_name(field_name);
            out.push(Statement::new(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({column})",
                table(entity),
                quote(&default_name(&entity.table, &[column_name], "key"))
            )));
        }
    }
}

/// Whether a table `name` inherits from before and after the changes
/// (as `manifest` has it) `has`: a change of it there reaches `name`
/// through that parent.
fn from_kept_parent(
    cx: &Cx<'_>,
    name: &str,
    manifest: &Manifest,
    has: impl Fn(&Entity) -> bool,
) -> bool {
    let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
        return false;
    };
    new.inherits
        .iter()
        .filter(|parent| old.inherits.contains(parent))
        .filter_map(|parent| manifest.entities.get(parent))
        .any(has)
}

/// Whether the check `sql` of `entity` (`name` in `manifest`) is one it
/// inherits from a parent it keeps, which has it.
fn inherited_check(
    cx: &Cx<'_>,
    name: &str,
    manifest: &Manifest,
    entity: &Entity,
    sql: &str,
) -> bool {
    let inherited = |checks: &[Check]| {
        checks
            .iter()
            .any(|check| !check.no_inherit && crate::diff::sql_eq(&check.sql, sql))
    };
    entity
        .checks
        .iter()
        .any(|check| check.inherited && crate::diff::sql_eq(&check.sql, sql))
        && from_kept_parent(cx, name, manifest, |parent| inherited(&parent.checks))
}

/// `before` with the type (and collation) of `after`.
fn with_type_of(before: &Field, after: &Field) -> Field {
    Field {
        ty: after.ty,
        max_length: after.max_length,
        precision: after.precision,
        scale: after.scale,
        enum_name: after.enum_name.clone(),
        items: after.items.clone(),
        fields: after.fields.clone(),
        native: after.native.clone(),
        collation: after.collation.clone(),
        ..before.clone()
    }
}

fn has_column(entity: &Entity, column: &str) -> bool {
    entity
        .fields
        .iter()
        .any(|(name, field)| field.column_name(name) == column)
}

/// How many levels of tables `name` inherits from: a plan creates parents
/// before their children and drops children first.
fn inheritance_depth(manifest: &Manifest, name: &str) -> usize {
    let mut level: BTreeSet<&str> = BTreeSet::from([name]);
    let mut depth = 0;
    while depth <= manifest.entities.len() {
        level = level
            .iter()
            .filter_map(|name| manifest.entities.get(*name))
            .flat_map(|entity| entity.inherits.iter().map(String::as_str))
            .collect();
        if level.is_empty() {
            break;
        }
        depth += 1;
    }
    depth
}

/// `ALTER TABLE ... NO INHERIT` (`inherit` false) or `INHERIT` of the
/// parents of `name` that change: from the first that differs on, in
/// order, so the parents keep the order the manifest gives them.
fn alter_inheritance(cx: &Cx<'_>, name: &str, inherit: bool, out: &mut Vec<Statement>) {
    let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
        return;
    };
    if is_view(old) || is_view(new) {
        return;
    }
    let kept = old
        .inherits
        .iter()
        .zip(&new.inherits)
        .take_while(|(before, after)| before == after)
        .count();
    let (entity, manifest, parents, what) = if inherit {
        (new, cx.after, &new.inherits, "INHERIT")
    } else {
        (old, cx.before, &old.inherits, "NO INHERIT")
    };
    for parent in &parents[kept..] {
        out.push(Statement::new(format!(
            "ALTER TABLE {} {what} {}",
            table(entity),
            parent_table(manifest, parent)
        )));
    }
}

/// ` PARTITION BY RANGE (t)`, or nothing.
fn partition_clause(key: Option<&str>) -> String {
    key.map(|key| format!(" PARTITION BY {key}"))
        .unwrap_or_default()
}

/// The table of a partition of `entity`.
fn partition_table(entity: &Entity, partition: &Partition) -> String {
    match partition.schema.as_ref().or(entity.schema.as_ref()) {
        Some(schema) => format!("{}.{}", quote(schema), quote(&partition.table)),
        None => quote(&partition.table),
    }
}

/// The table `partition` is a partition of: the entity's, or the
/// partition it names in `of`.
fn partition_parent(entity: &Entity, partition: &Partition) -> String {
    match partition
        .of
        .as_ref()
        .and_then(|of| entity.partitions.iter().find(|p| &p.table == of))
    {
        Some(parent) => partition_table(entity, parent),
        None => table(entity),
    }
}

/// `CREATE TABLE partition PARTITION OF parent bound [PARTITION BY key]`.
fn create_partition(entity: &Entity, partition: &Partition) -> Statement {
    Statement::new(format!(
        "CREATE TABLE {} PARTITION OF {} {}{}",
        partition_table(entity, partition),
        partition_parent(entity, partition),
        partition.bound,
        partition_clause(partition.partition_by.as_deref())
    ))
}

/// The foreign keys of partitions that belong to a table of `dropped` or
/// reference one: dropped before the tables, which drop in any order.
fn drop_partition_foreign_keys(cx: &Cx<'_>, dropped: &[String], out: &mut Vec<Statement>) {
    for (name, entity) in &cx.before.entities {
        for partition in &entity.partitions {
            let own = partition.as_entity(entity);
            for relation in &own.relations {
                if dropped.contains(name) || dropped.contains(&relation.references.entity) {
                    out.push(Statement::new(format!(
                        "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
                        table(&own),
                        quote(&relation_name(&own, relation))
                    )));
                }
            }
        }
    }
}

/// The indexes and checks `partition` of `entity` has of its own, after
/// the partition is made, and its foreign keys in `later` (once every
/// table exists). With `before` (the partition in the old manifest), only
/// what differs from it, what it alone has dropped first.
fn partition_objects(
    cx: &mut Cx<'_>,
    entity_name: &str,
    entity: &Entity,
    partition: &Partition,
    before: Option<(&Entity, &Partition)>,
    out: &mut Vec<Statement>,
    later: &mut Vec<Statement>,
) {
    use crate::diff::{index_eq, own_check_eq, own_unique_eq, relation_eq};
    let own = partition.as_entity(entity);
    let old = before.map(|(entity, partition)| partition.as_entity(entity));
    let empty = Entity::new("");
    let old = old.as_ref().unwrap_or(&empty);
    let here = format!("{entity_name}.{}", partition.table);
    let unique_name = |entity: &Entity, unique: &Unique| {
        unique.name.clone().unwrap_or_else(|| {
            default_name(&entity.table, &columns_of(entity, &unique.fields), "key")
        })
    };
    let drop_constraint = |entity: &Entity, name: &str| {
        Statement::new(format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
            table(entity),
            quote(name)
        ))
    };
    // The primary key is the same when its fields and name are.
    let same_key =
        old.primary_key == own.primary_key && primary_key_name(old) == primary_key_name(&own);
    out.extend(drop_exclusions(old, &own));
    for unique in &old.uniques {
        if !own.uniques.iter().any(|u| own_unique_eq(u, unique)) {
            out.push(drop_constraint(old, &unique_name(old, unique)));
        }
    }
    if !old.primary_key.is_empty() && !same_key {
        out.push(drop_constraint(old, &primary_key_name(old)));
    }
    for (position, check) in old.checks.iter().enumerate() {
        if !own.checks.iter().any(|c| own_check_eq(c, check)) {
            out.push(Statement::new(format!(
                "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
                table(old),
                quote(&check_name(old, position))
            )));
        }
    }
    for relation in &old.relations {
        if !own.relations.iter().any(|r| relation_eq(r, relation)) {
            out.push(Statement::new(format!(
                "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
                table(old),
                quote(&relation_name(old, relation))
            )));
        }
    }
    for index in &old.indexes {
        if !own
            .indexes
            .iter()
            .any(|i| i.name == index.name && index_eq(i, index))
        {
            out.push(Statement::new(format!(
                "DROP INDEX IF EXISTS {}",
                qualified_index(old, &index.name)
            )));
        }
    }
    if !own.primary_key.is_empty() && !same_key {
        out.push(Statement::new(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {}",
            table(&own),
            quote(&primary_key_name(&own)),
            primary_key_clause(&own, &own.primary_key)
        )));
    }
    for unique in &own.uniques {
        if !old.uniques.iter().any(|u| own_unique_eq(u, unique)) {
            out.push(Statement::new(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {}",
                table(&own),
                quote(&unique_name(&own, unique)),
                unique_clause(&own, unique)
            )));
        }
    }
    out.extend(add_exclusions(old, &own));
    for index in &own.indexes {
        if !old
            .indexes
            .iter()
            .any(|i| i.name == index.name && index_eq(i, index))
            && let Some(statement) =
                PostgresRenderer.create_index(cx, cx.after, entity_name, &own, index)
        {
            out.push(statement);
            PostgresRenderer.after_index(cx.after, entity_name, &own, index, out);
        }
    }
    for (position, check) in own.checks.iter().enumerate() {
        if !old.checks.iter().any(|c| own_check_eq(c, check))
            && let Some(text) = PostgresRenderer.check_sql(cx, cx.after, &here, &check.sql)
        {
            out.push(Statement::new(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({text})",
                table(&own),
                quote(&check_name(&own, position))
            )));
        }
    }
    for relation in &own.relations {
        if !old.relations.iter().any(|r| relation_eq(r, relation))
            && let Some(statement) =
                PostgresRenderer.add_foreign_key(cx, cx.after, &here, &own, relation)
        {
            later.push(statement);
        }
    }
}

/// `ALTER TABLE ... DROP CONSTRAINT` for each exclusion constraint of
/// `old` that `new` (the same table, by its new name) does not have the
/// same.
fn drop_exclusions(old: &Entity, new: &Entity) -> Vec<Statement> {
    old.exclusions
        .iter()
        .filter(|exclusion| {
            !new.exclusions
                .iter()
                .any(|e| crate::diff::exclusion_eq(e, exclusion))
        })
        .map(|exclusion| {
            Statement::new(format!(
                "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
                table(new),
                quote(&exclusion.name)
            ))
        })
        .collect()
}

/// `ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE ...` for each exclusion
/// constraint of `new` that `old` (the same table, or an empty one) does
/// not have the same.
fn add_exclusions(old: &Entity, new: &Entity) -> Vec<Statement> {
    new.exclusions
        .iter()
        .filter(|exclusion| {
            !old.exclusions
                .iter()
                .any(|e| crate::diff::exclusion_eq(e, exclusion))
        })
        .map(|exclusion| {
            Statement::new(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {}",
                table(new),
                quote(&exclusion.name),
                exclusion.sql
            ))
        })
        .collect()
}

/// The statements that take the partitions of a table that stays from
/// `old` to `new`: sub-partitions dropped before their parents, the others
/// created parents first, a changed bound detached and attached again
/// (rows kept).
fn alter_partitions(
    cx: &mut Cx<'_>,
    name: &str,
    old: &Entity,
    new: &Entity,
    out: &mut Vec<Statement>,
    later: &mut Vec<Statement>,
) {
    use crate::diff::{PartitionChange, partition_changes, partition_key_eq};
    if !partition_key_eq(&old.partition_by, &new.partition_by) {
        cx.lossy(format!(
            "`{}` is partitioned differently ({} → {}); a table's partitioning cannot change in \
             place: it is left as it is",
            new.table,
            old.partition_by.as_deref().unwrap_or("not partitioned"),
            new.partition_by.as_deref().unwrap_or("not partitioned")
        ));
        return;
    }
    let find =
        |entity: &Entity, name: &str| entity.partitions.iter().find(|p| p.table == name).cloned();
    let entity_name = name;
    for change in partition_changes(old, new) {
        match change {
            PartitionChange::Dropped(name) => {
                if let Some(partition) = find(old, &name) {
                    out.push(
                        Statement::new(format!(
                            "DROP TABLE IF EXISTS {}",
                            partition_table(old, &partition)
                        ))
                        .destructive(format!(
                            "drops partition `{name}` of `{}` and every row in it",
                            old.table
                        )),
                    );
                }
            }
            PartitionChange::Added(name) => {
                if let Some(partition) = find(new, &name) {
                    out.push(create_partition(new, &partition));
                    partition_objects(cx, entity_name, new, &partition, None, out, later);
                }
            }
            PartitionChange::Own { partition, .. } => {
                if let (Some(before), Some(after)) = (find(old, &partition), find(new, &partition))
                {
                    let before = (old, &before);
                    partition_objects(cx, entity_name, new, &after, Some(before), out, later);
                }
            }
            PartitionChange::Rebound(name) => {
                if let (Some(before), Some(after)) = (find(old, &name), find(new, &name)) {
                    out.push(Statement::new(format!(
                        "ALTER TABLE {} DETACH PARTITION {}",
                        partition_parent(old, &before),
                        partition_table(old, &before)
                    )));
                    out.push(Statement::new(format!(
                        "ALTER TABLE {} ATTACH PARTITION {} {}",
                        partition_parent(new, &after),
                        partition_table(new, &after),
                        after.bound
                    )));
                }
            }
            PartitionChange::Repartitioned(name) => cx.lossy(format!(
                "partition `{name}` of `{}` is partitioned differently; a table's partitioning \
                 cannot change in place: it is left as it is",
                new.table
            )),
        }
    }
}

/// ` WITH (fillfactor=70, ...)`, or nothing.
/// `ALTER TABLE ... REPLICA IDENTITY` of `entity` (`DEFAULT` when it
/// says none).
fn replica_identity(entity: &Entity) -> Statement {
    Statement::new(format!(
        "ALTER TABLE {} REPLICA IDENTITY {}",
        table(entity),
        entity.replica_identity.as_deref().unwrap_or("DEFAULT")
    ))
}

/// The replica identity and `CLUSTER ON` of `entity` that are on an index
/// `here` accepts, with a replica identity of no index (`FULL`,
/// `NOTHING`) when `whole_table`.
fn index_settings(
    entity: &Entity,
    whole_table: bool,
    here: impl Fn(&str) -> bool,
) -> Vec<Statement> {
    let mut out = Vec::new();
    if let Some(identity) = &entity.replica_identity {
        let index = identity
            .get(..12)
            .filter(|head| head.eq_ignore_ascii_case("USING INDEX "))
            .map(|_| {
                identity[12..]
                    .trim()
                    .trim_matches('"')
                    .replace("\"\"", "\"")
            });
        if index.as_deref().map_or(whole_table, &here) {
            out.push(replica_identity(entity));
        }
    }
    if let Some(index) = entity.cluster_on.as_deref().filter(|name| here(name)) {
        out.push(Statement::new(format!(
            "ALTER TABLE {} CLUSTER ON {}",
            table(entity),
            quote(index)
        )));
    }
    out
}

/// ` (options)` of an identity column's sequence, or nothing.
fn identity_options(field: &Field) -> String {
    field
        .identity_options
        .as_ref()
        .map(|options| format!(" ({options})"))
        .unwrap_or_default()
}

/// Whether `field` is an identity column.
fn is_identity(field: &Field) -> bool {
    matches!(
        &field.generated,
        Some(Generated::Kind(
            GeneratedKind::Identity | GeneratedKind::IdentityAlways
        ))
    )
}

/// The name of the sequence of identity column `name` of table `table`,
/// as SQL: `SEQUENCE NAME` of its options, else the one PostgreSQL gives
/// it.
fn identity_sequence(table: &str, name: &str, field: &Field) -> String {
    crate::diff::identity_options(
        field.identity_options.as_deref(),
        crate::diff::identity_bounds(field),
    )
    .get("SEQUENCE NAME")
    .and_then(|clause| clause.strip_prefix("SEQUENCE NAME "))
    .map_or_else(
        || quote(&default_name(table, &[field.column_name(name)], "seq")),
        str::to_owned,
    )
}

/// `ALTER SEQUENCE ... RENAME` of the serial and identity columns of `old`
/// (now `new`, its table and columns renamed already) whose sequence's
/// name changes: one the manifest names, or the one PostgreSQL would give
/// it under the table's or column's new name, which PostgreSQL does not
/// rename itself. A serial column's is renamed only if it exists under
/// its default name (a sequence renamed by hand keeps its name).
fn identity_sequence_renames(
    cx: &Cx<'_>,
    entity_name: &str,
    old: &Entity,
    new: &Entity,
    out: &mut Vec<Statement>,
) {
    // In the table's schema, which it has moved to already.
    let schema = new
        .schema
        .as_ref()
        .map(|schema| format!("{}.", quote(schema)))
        .unwrap_or_default();
    for (name, after) in &new.fields {
        let old_name = cx.old_field_name(entity_name, name);
        let Some(before) = old.fields.get(old_name) else {
            continue;
        };
        let (from, to, if_exists) = if is_identity(before) && is_identity(after) {
            let from = identity_sequence(&old.table, old_name, before);
            (from, identity_sequence(&new.table, name, after), "")
        } else if before.is_serial() && after.is_serial() {
            let from = default_name(&old.table, &[before.column_name(old_name)], "seq");
            let to = default_name(&new.table, &[after.column_name(name)], "seq");
            (quote(&from), quote(&to), "IF EXISTS ")
        } else {
            continue;
        };
        if from != to {
            out.push(Statement::new(format!(
                "ALTER SEQUENCE {if_exists}{schema}{from} RENAME TO {to}"
            )));
        }
    }
}

/// What a sequence clause sets: `MINVALUE` for `MINVALUE 5` and `NO
/// MINVALUE`, `CYCLE` for `CYCLE` and `NO CYCLE`.
fn sequence_clause_kind(clause: &str) -> String {
    let upper = clause.to_ascii_uppercase();
    let words: Vec<&str> = upper.split_whitespace().collect();
    match words.as_slice() {
        ["NO", kind, ..] | [kind, ..] => (*kind).to_owned(),
        [] => String::new(),
    }
}

/// `PRIMARY KEY (fields)` with the entity's `INCLUDE` and storage
/// parameters of the key's index.
fn primary_key_clause(entity: &Entity, fields: &[String]) -> String {
    format!(
        "PRIMARY KEY ({}){}",
        PostgresRenderer.column_list(entity, fields),
        index_parameters(
            entity,
            &entity.primary_key_include,
            &entity.primary_key_with
        )
    )
}

/// `UNIQUE [NULLS NOT DISTINCT] (fields)` with the `INCLUDE` and storage
/// parameters of its index.
fn unique_clause(entity: &Entity, unique: &Unique) -> String {
    format!(
        "UNIQUE{} ({}){}",
        if unique.options.nulls_not_distinct {
            " NULLS NOT DISTINCT"
        } else {
            ""
        },
        PostgresRenderer.column_list(entity, &unique.fields),
        index_parameters(
            entity,
            &unique.options.include,
            &unique.options.storage_parameters
        )
    )
}

/// A key constraint's `INCLUDE (...)` and `WITH (...)`, each when it has one.
fn index_parameters(entity: &Entity, include: &[String], parameters: &[String]) -> String {
    format!(
        "{}{}",
        include_clause(entity, include),
        storage_clause(parameters)
    )
}

/// ` INCLUDE (columns)` of an index, or nothing.
fn include_clause(entity: &Entity, include: &[String]) -> String {
    if include.is_empty() {
        String::new()
    } else {
        format!(
            " INCLUDE ({})",
            PostgresRenderer.column_list(entity, include)
        )
    }
}

fn storage_clause(parameters: &[String]) -> String {
    if parameters.is_empty() {
        String::new()
    } else {
        format!(" WITH ({})", parameters.join(", "))
    }
}

/// The name of a storage parameter (`fillfactor` of `fillfactor=70`).
fn parameter_name(parameter: &str) -> &str {
    parameter
        .split_once('=')
        .map_or(parameter, |(name, _)| name)
        .trim()
}

/// A column as `CREATE TABLE` or `ADD COLUMN` declares it.
fn column_definition(
    cx: &mut Cx<'_>,
    manifest: &Manifest,
    entity_name: &str,
    entity: &Entity,
    name: &str,
    field: &Field,
) -> String {
    let here = object(entity_name, name);
    let mut parts = vec![quote(field.column_name(name))];
    let ty = column_type(cx, manifest, &here, field);
    let serial = match &field.generated {
        Some(Generated::Kind(
            GeneratedKind::Serial | GeneratedKind::Autoincrement | GeneratedKind::Rowid,
        )) => match field.ty {
            FieldType::Int16 => Some("smallserial"),
            FieldType::Int32 => Some("serial"),
            FieldType::Int64 => Some("bigserial"),
            _ => None,
        },
        _ => None,
    };
    match serial {
        Some(serial) => parts.push(serial.to_owned()),
        None => parts.push(ty),
    }
    if let Some(collation) = &field.collation {
        if cx.same_engine(manifest) {
            parts.push(format!("COLLATE {}", quote(collation)));
        } else {
            cx.lossy(format!(
                "{here}: collation `{collation}` is not a PostgreSQL collation; left out"
            ));
        }
    }
    if !field.nullable {
        parts.push("NOT NULL".into());
    }
    match &field.generated {
        Some(Generated::Kind(GeneratedKind::Identity)) => {
            parts.push(format!(
                "GENERATED BY DEFAULT AS IDENTITY{}",
                identity_options(field)
            ));
        }
        Some(Generated::Kind(GeneratedKind::IdentityAlways)) => {
            parts.push(format!(
                "GENERATED ALWAYS AS IDENTITY{}",
                identity_options(field)
            ));
        }
        Some(Generated::Kind(kind @ (GeneratedKind::Autoincrement | GeneratedKind::Rowid))) => {
            cx.lossy(format!(
                "{here}: `{kind}` becomes a PostgreSQL serial column"
            ));
        }
        Some(Generated::Kind(GeneratedKind::Serial)) if serial.is_none() => {
            cx.lossy(format!(
                "{here}: only integers can be serial in PostgreSQL; `serial` is left out"
            ));
        }
        Some(Generated::Kind(GeneratedKind::Serial)) => {}
        Some(Generated::Computed { stored, .. }) => {
            if let Some(sql) = PostgresRenderer.computed_expression(cx, manifest, &here, field) {
                // A PostgreSQL manifest's virtual column comes from
                // PostgreSQL 18 or later, where the plan goes back to;
                // another engine's may go to an older one.
                let kind = if *stored {
                    "STORED"
                } else if cx.same_engine(manifest) {
                    "VIRTUAL"
                } else {
                    cx.lossy(format!(
                        "{here}: PostgreSQL before 18 has only stored generated columns; stored"
                    ));
                    "STORED"
                };
                parts.push(format!("GENERATED ALWAYS AS ({sql}) {kind}"));
            }
        }
        None => {
            if let Some(default) = default_sql(cx, manifest, &here, field) {
                parts.push(format!("DEFAULT {default}"));
            }
        }
    }
    if field.unique {
        parts.push("UNIQUE".into());
    }
    if field.on_update.is_some() {
        cx.lossy(format!(
            "{here}: PostgreSQL has no ON UPDATE for columns (a trigger would do it); `on_update` is left out"
        ));
    }
    super::visible_on(cx, "PostgreSQL", &here, field);
    let _ = entity;
    parts.join(" ")
}

/// The PostgreSQL type of `field`.
fn column_type(cx: &mut Cx<'_>, manifest: &Manifest, here: &str, field: &Field) -> String {
    let Some(field) = portable_field(cx, manifest, here, field) else {
        let native = field.native.as_deref().unwrap_or("?");
        cx.lossy(format!(
            "{here}: `{native}` has no postgres equivalent; stored as text"
        ));
        return "text".into();
    };
    let mut field = field;
    if let Some(native) = field.native.clone()
        && !is_known_type(manifest, &native)
    {
        if field.ty == FieldType::Native {
            cx.lossy(format!(
                "{here}: `{native}` is not a built-in PostgreSQL type (a domain or an extension's type?) and the manifest does not define it; stored as text"
            ));
            return "text".into();
        }
        field.native = None;
        let canonical = PostgresDialect.canonical_type(&field);
        cx.lossy(format!(
            "{here}: `{native}` is not a built-in PostgreSQL type (a domain?) and the manifest does not define it; written as `{canonical}`"
        ));
    }
    match field.ty {
        FieldType::Enum => field
            .enum_name
            .as_deref()
            .map_or_else(|| "text".to_owned(), |name| enum_type(manifest, name)),
        FieldType::Array if field.native.is_none() => match &field.items {
            Some(items) if items.ty == FieldType::Enum => format!(
                "{}[]",
                items
                    .enum_name
                    .as_deref()
                    .map_or_else(|| "text".to_owned(), |name| enum_type(manifest, name))
            ),
            _ => PostgresDialect.column_type(&field),
        },
        FieldType::ObjectId => {
            cx.lossy(format!("{here}: object ids are stored as character(24)"));
            PostgresDialect.column_type(&field)
        }
        // A composite type of the manifest (or a domain over one) holds
        // its fields as they are.
        FieldType::Object if field.native.is_some() => PostgresDialect.column_type(&field),
        FieldType::Object => {
            cx.lossy(format!("{here}: nested documents are stored as jsonb"));
            PostgresDialect.column_type(&field)
        }
        _ => PostgresDialect.column_type(&field),
    }
}

/// A literal as PostgreSQL writes it.
fn literal_sql(literal: &Literal) -> String {
    match literal {
        Literal::Bool(true) => "true".into(),
        Literal::Bool(false) => "false".into(),
        Literal::Int(value) => value.to_string(),
        Literal::Float(value) => float_literal(*value),
        Literal::String(text) => string_literal(text, false),
        Literal::Array(items) => {
            // An array constant: `'{a,b}'`.
            let elements: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Literal::String(text)
                        if !text.is_empty()
                            && !text.contains([',', '{', '}', '"', '\\', ' '])
                            && !text.eq_ignore_ascii_case("null") =>
                    {
                        text.clone()
                    }
                    Literal::String(text) => {
                        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
                    }
                    Literal::Bool(v) => v.to_string(),
                    Literal::Int(v) => v.to_string(),
                    Literal::Float(v) => float_literal(*v),
                    Literal::Array(_) => literal_sql(item).trim_matches('\'').to_owned(),
                })
                .collect();
            string_literal(&format!("{{{}}}", elements.join(",")), false)
        }
    }
}

fn default_sql(cx: &mut Cx<'_>, manifest: &Manifest, here: &str, field: &Field) -> Option<String> {
    match field.default.as_ref()? {
        DefaultValue::Literal(literal) => Some(match (field.ty, literal) {
            (FieldType::Bool, Literal::Int(0)) => "false".into(),
            (FieldType::Bool, Literal::Int(1)) => "true".into(),
            _ => literal_sql(literal),
        }),
        DefaultValue::Sql { sql } => PostgresRenderer.default_expression(cx, manifest, here, sql),
    }
}

/// The `ALTER TABLE` statements of the field changes of `name`.
fn alter_columns(cx: &mut Cx<'_>, name: &str, out: &mut Vec<Statement>) {
    let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
        return;
    };
    if is_view(new) {
        return;
    }
    for kind in cx.changes_of(name) {
        match kind {
            ChangeKind::AddField { field, .. } => {
                let Some(definition) = new.fields.get(field) else {
                    continue;
                };
                let column = definition.column_name(field);
                if is_inherited(new, definition)
                    && from_kept_parent(cx, name, cx.after, |p| has_column(p, column))
                {
                    // The parent's `ADD COLUMN` made it.
                    inherited_columns(cx, name, new, Some(field), out);
                    out.extend(comments(new, Some(field)));
                    continue;
                }
                let column = column_definition(cx, cx.after, name, new, field, definition);
                out.push(PostgresRenderer.add_column(cx, new, field, &column));
                out.extend(comments(new, Some(field)));
            }
            ChangeKind::DropField { field, .. } => {
                let Some(old_field) = old.fields.get(field) else {
                    continue;
                };
                let column = old_field.column_name(field);
                if is_inherited(old, old_field)
                    && from_kept_parent(cx, name, cx.before, |p| has_column(p, column))
                {
                    // The parent's `DROP COLUMN` drops it.
                    continue;
                }
                out.push(PostgresRenderer.drop_column(name, new, field, old_field));
            }
            ChangeKind::AlterField { field, .. } => {
                let old_name = cx.old_field_name(name, field).to_owned();
                let (Some(before), Some(after)) =
                    (old.fields.get(&old_name), new.fields.get(field))
                else {
                    continue;
                };
                let reason = cx.reason_of(kind);
                let column = after.column_name(field);
                if is_inherited(new, after)
                    && from_kept_parent(cx, name, cx.after, |p| has_column(p, column))
                {
                    // The parent's `ALTER COLUMN ... TYPE` changes its type
                    // (PostgreSQL refuses it on an inherited column).
                    let before = with_type_of(before, after);
                    alter_field(cx, name, new, field, &before, after, reason, out);
                    continue;
                }
                alter_field(cx, name, new, field, before, after, reason, out);
            }
            _ => {}
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn alter_field(
    cx: &mut Cx<'_>,
    entity_name: &str,
    entity: &Entity,
    name: &str,
    before: &Field,
    after: &Field,
    reason: Option<(crate::diff::Safety, String)>,
    out: &mut Vec<Statement>,
) {
    let here = object(entity_name, name);
    let qualified = table(entity);
    let column = quote(after.column_name(name));
    let alter = |what: String| {
        Statement::new(format!(
            "ALTER TABLE {qualified} ALTER COLUMN {column} {what}"
        ))
    };
    let manifest_before = cx.before;
    let manifest_after = cx.after;
    let old_type = column_type(cx, manifest_before, &here, before);
    let new_type = column_type(cx, manifest_after, &here, after);
    let type_changes = old_type != new_type || before.collation != after.collation;
    let computed = |f: &Field| matches!(&f.generated, Some(Generated::Computed { .. }));

    // A computed column that changes is dropped and added again (its
    // values are derived anyway).
    if (computed(before) || computed(after))
        && (before.generated != after.generated || type_changes)
    {
        if computed(before) && !computed(after) && !type_changes {
            out.push(alter("DROP EXPRESSION".into()));
        } else {
            out.push(
                Statement::new(format!("ALTER TABLE {qualified} DROP COLUMN {column}"))
                    .destructive(if computed(before) {
                        format!("`{here}` is generated again from its new expression")
                    } else {
                        format!(
                            "`{here}` becomes a generated column: its stored values are replaced"
                        )
                    }),
            );
            let definition =
                column_definition(cx, manifest_after, entity_name, entity, name, after);
            out.push(Statement::new(format!(
                "ALTER TABLE {qualified} ADD COLUMN {definition}"
            )));
        }
        return;
    }

    let (old_identity, new_identity) = (is_identity(before), is_identity(after));
    let serial = |f: &Field| {
        matches!(
            &f.generated,
            Some(Generated::Kind(
                GeneratedKind::Serial | GeneratedKind::Autoincrement | GeneratedKind::Rowid
            ))
        )
    };
    // What produced the value before goes first.
    if old_identity && !new_identity {
        out.push(alter("DROP IDENTITY IF EXISTS".into()));
    }
    let old_default = before.default.is_some() || serial(before);
    let default_changes = !crate::diff::default_eq(&before.default, &after.default)
        || serial(before) != serial(after);
    if old_default && (default_changes || type_changes) {
        out.push(alter("DROP DEFAULT".into()));
    }

    if type_changes {
        let collate = match &after.collation {
            Some(collation) if cx.same_engine(manifest_after) => {
                format!(" COLLATE {}", quote(collation))
            }
            _ => String::new(),
        };
        let using = if before.ty == FieldType::Enum || after.ty == FieldType::Enum {
            format!("{column}::text::{new_type}")
        } else {
            format!("{column}::{new_type}")
        };
        let mut statement = alter(format!("TYPE {new_type}{collate} USING {using}"));
        if let Some((crate::diff::Safety::Destructive, reason)) = &reason {
            statement = statement.destructive(reason.clone());
        }
        out.push(statement);
    }

    if before.nullable != after.nullable {
        if after.nullable {
            out.push(alter("DROP NOT NULL".into()));
        } else {
            if let Some(DefaultValue::Literal(literal)) = &after.default {
                out.push(
                    Statement::new(format!(
                        "UPDATE {qualified} SET {column} = {} WHERE {column} IS NULL",
                        literal_sql(literal)
                    ))
                    .note(format!(
                        "`{here}` becomes NOT NULL: rows holding NULL take the default"
                    )),
                );
            }
            out.push(alter("SET NOT NULL".into()));
        }
    }

    if serial(after) && !serial(before) {
        let qualified_sequence = own_sequence(entity, name, after);
        out.push(Statement::new(format!(
            "CREATE SEQUENCE IF NOT EXISTS {qualified_sequence} OWNED BY {qualified}.{column}"
        )));
        out.push(Statement::new(format!(
            "SELECT setval({}, COALESCE((SELECT max({column}) FROM {qualified}), 0) + 1, false)",
            string_literal(&qualified_sequence, false)
        )));
        out.push(alter(format!(
            "SET DEFAULT nextval({}::regclass)",
            string_literal(&qualified_sequence, false)
        )));
    } else if (default_changes || (type_changes && old_default)) && !serial(after) {
        let manifest = cx.after;
        if let Some(default) = default_sql(cx, manifest, &here, after) {
            out.push(alter(format!("SET DEFAULT {default}")));
        }
    }
    if new_identity && (!old_identity || before.generated != after.generated) {
        let kind = if matches!(
            &after.generated,
            Some(Generated::Kind(GeneratedKind::IdentityAlways))
        ) {
            "ALWAYS"
        } else {
            "BY DEFAULT"
        };
        if old_identity {
            out.push(alter(format!("SET GENERATED {kind}")));
        } else {
            out.push(alter(format!(
                "ADD GENERATED {kind} AS IDENTITY{}",
                identity_options(after)
            )));
        }
    }
    let canonical = |field: &Field| {
        crate::diff::identity_options(
            field.identity_options.as_deref(),
            crate::diff::identity_bounds(field),
        )
    };
    let (mut old_options, mut new_options) = (canonical(before), canonical(after));
    // The sequence's name is not an option `SET` changes: it is renamed
    // with the table (see `identity_sequence_renames`).
    old_options.remove("SEQUENCE NAME");
    new_options.remove("SEQUENCE NAME");
    if old_identity && new_identity && old_options != new_options {
        // What the new options leave unsaid goes back to its default: a
        // start at the first value (the minimum going up, the maximum going
        // down).
        let number = |options: &BTreeMap<&str, String>, kind: &str| {
            options
                .get(kind)
                .and_then(|clause| clause.rsplit(' ').next()?.parse::<i64>().ok())
        };
        let descending = |options| number(options, "INCREMENT").unwrap_or(1) < 0;
        let down = descending(&new_options);
        let start = if down {
            number(&new_options, "MAXVALUE").unwrap_or(-1)
        } else {
            number(&new_options, "MINVALUE").unwrap_or(1)
        };
        // New bounds or a new direction may leave the sequence's current
        // value outside, which PostgreSQL refuses: it restarts, then goes
        // on past the column's values.
        let restart = descending(&old_options) != down
            || ["MINVALUE", "MAXVALUE"]
                .into_iter()
                .any(|kind| old_options.get(kind) != new_options.get(kind));
        let mut options = vec![
            "INCREMENT BY 1".to_owned(),
            "NO MINVALUE".to_owned(),
            "NO MAXVALUE".to_owned(),
            format!("START WITH {start}"),
            "CACHE 1".to_owned(),
            "NO CYCLE".to_owned(),
        ];
        for option in new_options.into_values() {
            let slot = options
                .iter()
                .position(|default| sequence_clause_kind(default) == sequence_clause_kind(&option));
            match slot {
                Some(slot) => options[slot] = option,
                None => options.push(option),
            }
        }
        let mut set: Vec<String> = options
            .iter()
            .map(|option| format!("SET {option}"))
            .collect();
        if restart {
            set.push("RESTART".to_owned());
        }
        out.push(alter(set.join(" ")));
        if restart {
            let next = if down {
                format!("least((SELECT min({column}) FROM {qualified}) - 1, {start})")
            } else {
                format!("greatest((SELECT max({column}) FROM {qualified}) + 1, {start})")
            };
            out.push(Statement::new(format!(
                "SELECT setval({}::regclass, {next}, false)",
                string_literal(&own_sequence(entity, name, after), false)
            )));
        }
    }

    if before.unique != after.unique {
        let constraint = default_name(&entity.table, &[after.column_name(name)], "key");
        if after.unique {
            out.push(Statement::new(format!(
                "ALTER TABLE {qualified} ADD CONSTRAINT {} UNIQUE ({column})",
                quote(&constraint)
            )));
        } else {
            out.push(Statement::new(format!(
                "ALTER TABLE {qualified} DROP CONSTRAINT {}",
                quote(&constraint)
            )));
        }
    }
    if before.comment != after.comment {
        out.push(Statement::new(format!(
            "COMMENT ON COLUMN {qualified}.{column} IS {}",
            comment_literal(after.comment.as_deref())
        )));
    }
    // A new sequence has no comment; one kept has the old one.
    let new_sequence = !before.has_own_sequence() || old_identity != new_identity;
    if after.has_own_sequence()
        && (before.sequence_comment != after.sequence_comment
            || (new_sequence && after.sequence_comment.is_some()))
    {
        out.push(sequence_comment(
            entity,
            name,
            after,
            after.sequence_comment.as_deref(),
        ));
    }
    if before.on_update != after.on_update && after.on_update.is_some() {
        cx.lossy(format!(
            "{here}: PostgreSQL has no ON UPDATE for columns (a trigger would do it); `on_update` is left out"
        ));
    }
    if !before.invisible {
        super::visible_on(cx, "PostgreSQL", &here, after);
    }
}

/// Removes values from enum `name`: the old type is renamed away, the new
/// one created, every column moved over, the old type dropped.
fn swap_enum(cx: &mut Cx<'_>, name: &str, out: &mut Vec<Statement>) {
    let (Some(old), Some(new)) = (cx.before.enums.get(name), cx.after.enums.get(name)) else {
        return;
    };
    let type_name = enum_type_name(name, old);
    let bare = old.native.as_deref().unwrap_or(name);
    let bare = bare.rsplit('.').next().unwrap_or(bare);
    let retired = format!("{bare}_baas_old");
    let removed: Vec<&String> = old
        .values
        .iter()
        .filter(|v| !new.values.contains(v))
        .collect();
    out.push(
        Statement::new(format!(
            "ALTER TYPE {type_name} RENAME TO {}",
            quote(&retired)
        ))
        .destructive(format!(
            "removes {} from enum `{name}`: rows holding them make the migration fail",
            removed
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    );
    out.push(Statement::new(format!(
        "CREATE TYPE {} AS ENUM ({})",
        enum_type_name(name, new),
        enum_values(&new.values)
    )));
    let retired_qualified = match &old.schema {
        Some(schema) => format!("{}.{}", quote(schema), quote(&retired)),
        None => quote(&retired),
    };
    for (entity_name, entity) in &cx.after.entities {
        if is_view(entity) {
            continue;
        }
        for (field_name, field) in &entity.fields {
            let array = field.ty == FieldType::Array
                && field.items.as_ref().is_some_and(|i| uses_enum(i, name));
            if field.enum_name.as_deref() != Some(name) && !array {
                continue;
            }
            let qualified = table(entity);
            let column = quote(field.column_name(field_name));
            let new_type = enum_type_name(name, new);
            if field.default.is_some() {
                out.push(Statement::new(format!(
                    "ALTER TABLE {qualified} ALTER COLUMN {column} DROP DEFAULT"
                )));
            }
            let (target, using) = if array {
                (
                    format!("{new_type}[]"),
                    format!("{column}::text[]::{new_type}[]"),
                )
            } else {
                (new_type.clone(), format!("{column}::text::{new_type}"))
            };
            out.push(Statement::new(format!(
                "ALTER TABLE {qualified} ALTER COLUMN {column} TYPE {target} USING {using}"
            )));
            let manifest = cx.after;
            if let Some(default) =
                default_sql(cx, manifest, &object(entity_name, field_name), field)
            {
                out.push(Statement::new(format!(
                    "ALTER TABLE {qualified} ALTER COLUMN {column} SET DEFAULT {default}"
                )));
            }
        }
    }
    out.push(Statement::new(format!("DROP TYPE {retired_qualified}")));
}
