//! MySQL and MariaDB scripts.
//!
//! Enums are written inline (`enum('G','PG')`) on every column that uses
//! them, so a changed enum modifies those columns. Foreign keys are added
//! once every table exists; MySQL creates an index for a foreign key
//! without one, so indexes come first. Column changes are one
//! `MODIFY COLUMN` with the whole new definition.
//!
//! Choices where MySQL cannot say what the manifest says:
//! - a plain index on a `TEXT`/`BLOB` column indexes its first 255
//!   characters (MySQL refuses the whole value); the manifest records no
//!   prefix. A `text` column in a primary, unique or foreign key is a
//!   `varchar(191)` instead, and a `bytes` one without a `max_length` a
//!   `varbinary(255)`: a prefix would change what is unique, and InnoDB
//!   refuses one in a foreign key;
//! - a `TEXT`/`BLOB`/`JSON` literal default is written as an expression
//!   (`DEFAULT ('x')`), which MySQL 8 and MariaDB both accept;
//! - partial indexes, expression keys (MariaDB has none) and `SET DEFAULT`
//!   actions (InnoDB refuses them) are left out, each with a lossy line;
//! - an invisible column is `INVISIBLE`, which MariaDB and MySQL 8.0.23
//!   on take (an older MySQL refuses the script rather than make it
//!   visible); an invisible index is `IGNORED` to MariaDB 10.6 on and
//!   `INVISIBLE` to MySQL 8, each in a comment the other leaves out (older
//!   servers make it visible).
//!
//! MySQL runs every DDL statement in a transaction of its own: a failing
//! statement leaves the ones before it applied.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::sql::{AlterConstraints, DdlRenderer, TablePlan, action, columns_of, uses_enum};
use super::{
    Cx, RenderError, Statement, Target, float_literal, is_view, object, portable_field,
    string_literal,
};
use crate::dialect::Dialect as _;
use crate::dialect::mysql::{KEY_VARBINARY_LENGTH, KEY_VARCHAR_LENGTH, MysqlDialect, key_type};
use crate::diff::ChangeKind;
use crate::manifest::{
    DefaultValue, Entity, Field, FieldType, Generated, GeneratedKind, Index, IndexPart, Literal,
    Manifest, ReferentialAction, Relation, SortOrder,
};

/// `name` as a MySQL identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn table(entity: &Entity) -> String {
    quote(&entity.table)
}

/// The characters of a `TEXT`/`BLOB` column an index covers.
pub(crate) const PREFIX_LENGTH: u32 = 255;

/// Functions MySQL has beyond the shared ones.
const MYSQL_FUNCTIONS: &[&str] = &[
    "ifnull",
    "char_length",
    "character_length",
    "floor",
    "ceil",
    "least",
    "greatest",
    "concat",
    "md5",
    "now",
    "uuid",
    "curdate",
    "curtime",
    "json_valid",
    "left",
    "right",
    "regexp",
];

/// The MySQL and MariaDB renderer: what it writes unlike the other SQL
/// engines.
pub(super) struct MysqlRenderer;

impl DdlRenderer for MysqlRenderer {
    fn name(&self) -> &'static str {
        "MySQL"
    }

    fn quote(&self, name: &str) -> String {
        quote(name)
    }

    fn functions(&self) -> &'static [&'static str] {
        MYSQL_FUNCTIONS
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
            lines.push(column_definition(
                cx, manifest, name, entity, field_name, field,
            ));
        }
        if !entity.primary_key.is_empty() {
            lines.push(format!(
                "PRIMARY KEY ({}){}",
                key_parts(cx, manifest, name, entity, &entity.primary_key),
                key_comment(entity.primary_key_comment.as_deref())
            ));
            if let Some(key_name) = &entity.primary_key_name
                && !cx.same_engine(manifest)
            {
                cx.lossy(format!(
                    "{name}: MySQL names every primary key PRIMARY; `{key_name}` is not kept"
                ));
            }
        }
        // A key without a name is named as MySQL names it: after its first
        // column, then `_2`, `_3`... when a key of the table has that name.
        let mut named: Vec<String> = entity
            .uniques
            .iter()
            .filter_map(|u| u.name.clone())
            .collect();
        let mut name_after = |column: &str| {
            let mut index = column.to_owned();
            let mut n = 1;
            while named.iter().any(|taken| taken.eq_ignore_ascii_case(&index)) {
                n += 1;
                index = format!("{column}_{n}");
            }
            named.push(index.clone());
            index
        };
        for (field_name, field) in &entity.fields {
            if field.unique {
                lines.push(format!(
                    "UNIQUE KEY {} ({})",
                    quote(&name_after(field.column_name(field_name))),
                    key_parts(cx, manifest, name, entity, std::slice::from_ref(field_name))
                ));
            }
        }
        for unique in &entity.uniques {
            let index = match &unique.name {
                Some(index) => index.clone(),
                None => name_after(columns_of(entity, &unique.fields)[0]),
            };
            if Cx::source_target(manifest) != Some(Target::Mysql) {
                cx.lossy(format!(
                    "{name}: MySQL keeps the unique constraint on ({}) as unique index `{index}`",
                    unique.fields.join(", ")
                ));
            }
            lines.push(format!(
                "UNIQUE KEY {} ({}){}",
                quote(&index),
                key_parts(cx, manifest, name, entity, &unique.fields),
                key_comment(unique.options.comment.as_deref())
            ));
        }
        lines.extend(MysqlRenderer.check_constraints(cx, manifest, name, entity));
        let comment = entity
            .comment
            .as_ref()
            .map(|c| format!(" COMMENT={}", string_literal(c, true)))
            .unwrap_or_default();
        if entity.row_level_security {
            cx.lossy(format!("{name}: MySQL has no row-level security"));
        }
        let row_format = entity
            .row_format
            .as_ref()
            .map(|format| format!(" ROW_FORMAT={format}"))
            .unwrap_or_default();
        format!(
            "CREATE TABLE {} (\n    {}\n) ENGINE=InnoDB {}{row_format}{comment}",
            table(entity),
            lines.join(",\n    "),
            table_charset(entity)
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
        let same = cx.same_engine(manifest);
        let kind = match index
            .method
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("fulltext") => "FULLTEXT ",
            Some("spatial") => "SPATIAL ",
            Some(other) if !same => {
                cx.lossy(format!(
                    "{here}: MySQL has no `{other}` indexes; created as a plain index"
                ));
                ""
            }
            _ => "",
        };
        if index.predicate.is_some() {
            if index.unique {
                cx.lossy(format!(
                    "{here}: MySQL has no partial indexes; the unique index is left out"
                ));
                return None;
            }
            cx.lossy(format!(
                "{here}: MySQL has no partial indexes; the index covers every row"
            ));
        }
        if index.expire_after_seconds.is_some() {
            cx.lossy(format!(
                "{here}: MySQL does not expire rows; `expire_after_seconds` is left out"
            ));
        }
        let mut parts = Vec::new();
        for part in &index.fields {
            match part {
                IndexPart::Field {
                    field,
                    order,
                    collation,
                    prefix_length,
                } => {
                    let mut text = match (entity.fields.get(field), prefix_length) {
                        (Some(definition), Some(length)) if kind.is_empty() => {
                            format!("{}({length})", quote(definition.column_name(field)))
                        }
                        (Some(_), _) if kind.is_empty() => key_parts(
                            cx,
                            manifest,
                            entity_name,
                            entity,
                            std::slice::from_ref(field),
                        ),
                        (Some(definition), _) => quote(definition.column_name(field)),
                        (None, _) => quote(field),
                    };
                    if let Some(length) = prefix_length
                        && !kind.is_empty()
                    {
                        cx.lossy(format!(
                            "{here}: a {}index keys whole columns; the prefix length {length} of `{field}` is left out",
                            kind.to_ascii_lowercase()
                        ));
                    }
                    if collation.is_some() {
                        cx.lossy(format!("{here}: per-key collations are left out"));
                    }
                    if *order == Some(SortOrder::Desc) {
                        text.push_str(" DESC");
                    }
                    parts.push(text);
                }
                IndexPart::Expression { sql, .. } => {
                    cx.lossy(format!(
                        "{here}: MariaDB indexes no expressions (`{sql}`); the index is left out"
                    ));
                    return None;
                }
            }
        }
        // MariaDB 10.6 on reads `/*M!100600 IGNORED */` and MySQL 8
        // `/*!80000 INVISIBLE */`, each leaving out the other's; the comment
        // (empty when there is none) ends the statement, so that the
        // comments are inside it.
        let hidden = if index.options.invisible {
            " /*M!100600 IGNORED */ /*!80000 INVISIBLE */"
        } else {
            ""
        };
        let comment = match (&index.options.comment, hidden.is_empty()) {
            (None, false) => " COMMENT ''".to_owned(),
            (comment, _) => key_comment(comment.as_deref()),
        };
        Some(Statement::new(format!(
            "CREATE {}{kind}INDEX {} ON {} ({}){hidden}{comment}",
            if index.unique { "UNIQUE " } else { "" },
            quote(&index.name),
            table(entity),
            parts.join(", ")
        )))
    }

    fn view_query_separator(&self) -> &'static str {
        " "
    }

    /// A view's string literals, and what functions make of them, take the
    /// connection's collation: the view is made with the one the manifest
    /// says it was made with, the connection's own set back after it.
    fn before_view(&self, cx: &mut Cx<'_>, view: &Entity, out: &mut Vec<Statement>) {
        if let Some(collation) = view_collation(cx, view) {
            out.push(Statement::new(format!(
                "SET @baas_collation_connection = @@collation_connection, collation_connection = {collation}"
            )));
        }
    }

    fn after_view(&self, cx: &mut Cx<'_>, _name: &str, view: &Entity, out: &mut Vec<Statement>) {
        if view_collation(cx, view).is_some() {
            out.push(Statement::new(
                "SET collation_connection = @baas_collation_connection",
            ));
        }
    }
}

/// The connection collation `view` of the target manifest is made with,
/// when it says one (a collation name is letters, digits and `_`).
fn view_collation<'v>(cx: &Cx<'_>, view: &'v Entity) -> Option<&'v str> {
    let collation = view.collation.as_deref()?;
    (cx.same_engine(cx.after)
        && collation
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some(collation)
}

impl AlterConstraints for MysqlRenderer {
    fn relation_name(&self, manifest: &Manifest, entity: &Entity, relation: &Relation) -> String {
        relation_name(manifest, entity, relation)
    }

    fn check_name(&self, entity: &Entity, position: usize) -> String {
        check_name(entity, position)
    }

    fn add_foreign_key(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        entity_name: &str,
        entity: &Entity,
        relation: &Relation,
    ) -> Option<Statement> {
        MysqlRenderer.referenced(cx, manifest, entity_name, relation)?;
        let name = relation_name(manifest, entity, relation);
        if relation.name.as_ref().is_some_and(|own| own != &name) {
            cx.lossy(format!(
                "{entity_name}: foreign-key names are per database in MySQL; `{}` is created as `{name}`",
                relation.name.as_deref().unwrap_or_default()
            ));
        }
        let mut text =
            MysqlRenderer.foreign_key_clause(cx, manifest, entity_name, entity, relation, &name)?;
        // MySQL reports a missing action as RESTRICT: NO ACTION is written out.
        for (label, value) in [
            ("DELETE", relation.on_delete),
            ("UPDATE", relation.on_update),
        ] {
            match value {
                ReferentialAction::SetDefault => cx.lossy(format!(
                    "{entity_name}: InnoDB refuses ON {label} SET DEFAULT; foreign key `{name}` takes NO ACTION"
                )),
                other => text.push_str(&format!(" ON {label} {}", action(other))),
            }
        }
        if relation.deferrable {
            cx.lossy(format!(
                "{entity_name}: MySQL checks foreign keys at once; `{name}` is not deferrable"
            ));
        }
        // MySQL adds an index named after the foreign key when no index starts
        // with its columns.
        let covered = entity.primary_key.starts_with(&relation.fields)
            || entity.indexes.iter().any(|index| {
                index.predicate.is_none()
                    && index.fields.len() >= relation.fields.len()
                    && relation.fields.iter().zip(&index.fields).all(
                        |(f, part)| matches!(part, IndexPart::Field { field, .. } if field == f),
                    )
            })
            || entity
                .uniques
                .iter()
                .any(|u| u.fields.starts_with(&relation.fields))
            || matches!(relation.fields.as_slice(), [single] if entity.fields.get(single).is_some_and(|f| f.unique));
        if !covered {
            cx.lossy(format!(
                "{entity_name}: MySQL adds index `{name}` for its foreign key ({})",
                relation.fields.join(", ")
            ));
        }
        Some(Statement::new(text))
    }

    fn drop_foreign_key_clause(&self) -> &'static str {
        "DROP FOREIGN KEY"
    }
}

pub(super) fn render(cx: &mut Cx<'_>) -> Result<Vec<Statement>, RenderError> {
    let (plan, changed_enums) = plan(cx);
    let mut out = Vec::new();

    // 1. Views that go away, change, or read a table that changes.
    MysqlRenderer.drop_views(cx, &plan.old_views, &mut out);

    // 2. Foreign keys that go away, or that block a drop.
    MysqlRenderer.drop_foreign_keys(cx, &plan.dropped_relations, &mut out);

    // 3. Indexes, uniques, checks and keys that go away from tables that stay.
    for (name, kind) in plan.changes_of_altered(cx) {
        let Some(old) = cx.old_entity(&name) else {
            continue;
        };
        if is_view(old) {
            continue;
        }
        match kind {
            ChangeKind::DropIndex { index, .. } if old.indexes.iter().any(|i| &i.name == index) => {
                out.push(Statement::new(format!(
                    "DROP INDEX {} ON {}",
                    quote(index),
                    table(old)
                )));
            }
            ChangeKind::DropUnique { fields, .. } => {
                let old_fields = cx.old_fields(&name, fields);
                let unique = old.uniques.iter().find(|u| u.fields == old_fields);
                let index = unique
                    .and_then(|u| u.name.clone())
                    .unwrap_or_else(|| columns_of(old, &old_fields)[0].to_owned());
                out.push(Statement::new(format!(
                    "DROP INDEX {} ON {}",
                    quote(&index),
                    table(old)
                )));
            }
            ChangeKind::DropCheck { sql, .. } => {
                out.extend(MysqlRenderer.drop_check(old, sql));
            }
            _ => {}
        }
    }

    // 4. Tables that go away.
    MysqlRenderer.drop_tables(cx, &plan.dropped, &mut out);

    // 5. Renames.
    for name in &plan.altered {
        let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
            continue;
        };
        if is_view(new) {
            continue;
        }
        if old.table != new.table {
            out.push(Statement::new(format!(
                "RENAME TABLE {} TO {}",
                table(old),
                table(new)
            )));
        }
        MysqlRenderer.rename_columns(cx, name, old, new, &mut out);
    }

    // 6. New tables, with their indexes.
    MysqlRenderer.create_tables(cx, &plan.created, &mut out);

    // 7. Columns of tables that stay, and the columns of changed enums.
    for name in plan.altered.clone() {
        alter_columns(cx, &name, &changed_enums, &mut out);
    }

    // 8. Keys, uniques, checks and indexes that appear on tables that stay.
    for (name, kind) in plan.changes_of_altered(cx) {
        let (Some(old), Some(new)) = (cx.old_entity(&name), cx.after.entities.get(&name)) else {
            continue;
        };
        if is_view(new) {
            continue;
        }
        match kind {
            ChangeKind::AddIndex { index, .. } => {
                if let Some(found) = new.indexes.iter().find(|i| &i.name == index)
                    && let Some(statement) =
                        MysqlRenderer.create_index(cx, cx.after, &name, new, found)
                {
                    out.push(statement);
                }
            }
            ChangeKind::AddUnique { fields, .. } => {
                if let Some(unique) = new.uniques.iter().find(|u| &u.fields == fields) {
                    let index = unique
                        .name
                        .clone()
                        .unwrap_or_else(|| columns_of(new, fields)[0].to_owned());
                    if Cx::source_target(cx.after) != Some(Target::Mysql) {
                        cx.lossy(format!(
                            "{name}: MySQL keeps the unique constraint on ({}) as unique index `{index}`",
                            fields.join(", ")
                        ));
                    }
                    out.push(Statement::new(format!(
                        "CREATE UNIQUE INDEX {} ON {} ({}){}",
                        quote(&index),
                        table(new),
                        key_parts(cx, cx.after, &name, new, fields),
                        key_comment(unique.options.comment.as_deref())
                    )));
                }
            }
            ChangeKind::AddCheck { sql, .. } => {
                out.extend(MysqlRenderer.add_check(cx, &name, new, sql));
            }
            ChangeKind::ChangePrimaryKey { before, after, .. } => {
                let mut steps = Vec::new();
                if !before.is_empty() {
                    steps.push("DROP PRIMARY KEY".to_owned());
                }
                if !after.is_empty() {
                    steps.push(format!(
                        "ADD PRIMARY KEY ({}){}",
                        MysqlRenderer.column_list(new, after),
                        key_comment(new.primary_key_comment.as_deref())
                    ));
                }
                let _ = old;
                out.push(Statement::new(format!(
                    "ALTER TABLE {} {}",
                    table(new),
                    steps.join(", ")
                )));
            }
            _ => {}
        }
    }

    // 9. Foreign keys, once every table and index exists.
    MysqlRenderer.add_foreign_keys(cx, &plan.added_relations, &mut out);

    // 10. Views.
    MysqlRenderer.create_views(cx, &plan.new_views, &mut out);

    // 11. Table comments.
    for name in &plan.altered {
        let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
            continue;
        };
        if !is_view(new) && old.comment != new.comment {
            out.push(Statement::new(format!(
                "ALTER TABLE {} COMMENT = {}",
                table(new),
                string_literal(new.comment.as_deref().unwrap_or(""), true)
            )));
        }
        // MySQL changes a key's comment only by making the key again.
        if !is_view(new)
            && !new.primary_key.is_empty()
            && old.primary_key == new.primary_key
            && old.primary_key_comment != new.primary_key_comment
        {
            out.push(Statement::new(format!(
                "ALTER TABLE {} DROP PRIMARY KEY, ADD PRIMARY KEY ({}){}",
                table(new),
                MysqlRenderer.column_list(new, &new.primary_key),
                key_comment(new.primary_key_comment.as_deref())
            )));
        }
        if !is_view(new) && old.row_format != new.row_format {
            out.push(Statement::new(format!(
                "ALTER TABLE {} ROW_FORMAT={}",
                table(new),
                new.row_format.as_deref().unwrap_or("DEFAULT")
            )));
        }
        if !is_view(new) && old.collation != new.collation {
            out.push(Statement::new(format!(
                "ALTER TABLE {} {}",
                table(new),
                table_charset(new)
            )));
            // Text columns without a collation of their own follow the
            // table's new one (a new default alone changes no column).
            for (field_name, field) in &new.fields {
                if field.collation.is_none()
                    && matches!(
                        field.ty,
                        FieldType::String | FieldType::Text | FieldType::Enum
                    )
                {
                    let definition = column_definition(cx, cx.after, name, new, field_name, field);
                    out.push(Statement::new(format!(
                        "ALTER TABLE {} MODIFY COLUMN {definition}",
                        table(new)
                    )));
                }
            }
        }
        if new.row_level_security {
            cx.lossy(format!("{name}: MySQL has no row-level security"));
        }
    }
    Ok(out)
}

/// The order of work, and the enums whose values change (every column
/// using one is modified).
fn plan(cx: &Cx<'_>) -> (TablePlan, BTreeSet<String>) {
    let mut changed_enums = BTreeSet::new();
    for change in cx.changes {
        if let ChangeKind::AddEnumValue { name, .. } | ChangeKind::RemoveEnumValue { name, .. } =
            &change.kind
        {
            changed_enums.insert(name.clone());
        }
    }
    let mut enum_tables = BTreeSet::new();
    for enum_name in &changed_enums {
        for (name, entity) in &cx.after.entities {
            if !is_view(entity) && entity.fields.values().any(|f| uses_enum(f, enum_name)) {
                enum_tables.insert(name.clone());
            }
        }
    }
    let mut plan = TablePlan::new(cx, enum_tables);

    let mut touched: BTreeSet<String> = BTreeSet::new();
    for name in plan.altered.iter() {
        if let Some(old) = cx.old_entity(name)
            && !is_view(old)
        {
            touched.insert(old.table.clone());
        }
    }
    for name in &plan.dropped {
        if let Some(entity) = cx.before.entities.get(name) {
            touched.insert(entity.table.clone());
        }
    }
    plan.find_views(cx, &touched);

    plan.find_relations(cx);
    // Foreign keys into a changing primary key, or onto a column whose
    // type changes, are dropped first and added again.
    for change in cx.changes {
        let (entity, fields): (&String, Vec<String>) = match &change.kind {
            ChangeKind::ChangePrimaryKey { entity, before, .. } => (entity, before.clone()),
            ChangeKind::AlterField { entity, field, .. } => (entity, vec![field.clone()]),
            _ => continue,
        };
        let old_name = cx.old_entity_name(entity).to_owned();
        for (other_name, other) in &cx.before.entities {
            for relation in &other.relations {
                let into = relation.references.entity == old_name
                    && relation
                        .references
                        .fields
                        .iter()
                        .any(|f| fields.contains(f));
                let from = other_name == &old_name
                    && matches!(change.kind, ChangeKind::AlterField { .. })
                    && relation.fields.iter().any(|f| fields.contains(f));
                if into || from {
                    plan.drop_relation(other_name, relation);
                }
            }
        }
    }
    plan.restore_relations(cx);
    (plan, changed_enums)
}

/// A check's name: its own, or MySQL's pattern `<table>_chk_<n>`.
/// ` COMMENT '...'` of a key that has a comment.
fn key_comment(comment: Option<&str>) -> String {
    comment
        .map(|comment| format!(" COMMENT {}", string_literal(comment, true)))
        .unwrap_or_default()
}

fn check_name(entity: &Entity, position: usize) -> String {
    if let Some(name) = &entity.checks[position].name {
        return name.clone();
    }
    let number = entity.checks[..=position]
        .iter()
        .filter(|c| c.name.is_none())
        .count();
    format!("{}_chk_{number}", entity.table)
}

/// A foreign key's name: its own, or MySQL's pattern `<table>_ibfk_<n>`.
fn relation_name(manifest: &Manifest, entity: &Entity, relation: &Relation) -> String {
    match &relation.name {
        // Foreign-key names are per database in InnoDB: a name two tables
        // use gets the table's name in front.
        Some(name) => {
            let uses = manifest
                .entities
                .values()
                .flat_map(|e| &e.relations)
                .filter(|r| r.name.as_ref() == Some(name))
                .count();
            if uses > 1 {
                let mut prefixed = format!("{}_{name}", entity.table);
                prefixed.truncate(64);
                prefixed
            } else {
                name.clone()
            }
        }
        None => {
            let number = entity
                .relations
                .iter()
                .take_while(|r| *r != relation)
                .filter(|r| r.name.is_none())
                .count()
                + 1;
            format!("{}_ibfk_{number}", entity.table)
        }
    }
}

/// Whether MySQL keeps `field` as `TEXT`/`BLOB`/`JSON` (no plain index, no
/// literal default).
fn is_blob(cx: &mut Cx<'_>, manifest: &Manifest, here: &str, field: &Field) -> bool {
    let ty = column_type(cx, manifest, here, field).to_ascii_lowercase();
    ty.contains("text") || ty.contains("blob") || ty == "json" || ty.starts_with("geometry")
}

/// `field` as MySQL holds it: see [`key_type`], with a lossy line; a plain index keys a
/// prefix of a `TEXT`/`BLOB` column instead.
fn key_column<'f>(
    cx: &mut Cx<'_>,
    manifest: &Manifest,
    entity_name: &str,
    entity: &Entity,
    name: &str,
    field: &'f Field,
) -> Cow<'f, Field> {
    let Some(keyed) = key_type(manifest, entity_name, entity, name, field) else {
        return Cow::Borrowed(field);
    };
    let here = object(entity_name, name);
    if keyed.ty == FieldType::Bytes {
        cx.lossy(format!(
            "{here}: MySQL keys no whole BLOB column; this key column is \
             varbinary({KEY_VARBINARY_LENGTH}) (set `max_length` to choose the length)"
        ));
    } else {
        cx.lossy(format!(
            "{here}: MySQL keys no whole TEXT column; this key column is varchar({KEY_VARCHAR_LENGTH})"
        ));
    }
    Cow::Owned(keyed)
}

/// Key parts for `fields`, with a prefix length on `TEXT`/`BLOB` columns.
fn key_parts(
    cx: &mut Cx<'_>,
    manifest: &Manifest,
    entity_name: &str,
    entity: &Entity,
    fields: &[String],
) -> String {
    fields
        .iter()
        .map(|f| {
            let Some(field) = entity.fields.get(f) else {
                return quote(f);
            };
            let here = object(entity_name, f);
            let field = &key_column(cx, manifest, entity_name, entity, f, field);
            if is_blob(cx, manifest, &here, field) {
                cx.lossy(format!(
                    "{here}: MySQL indexes only a prefix of a TEXT/BLOB column; the key uses its first {PREFIX_LENGTH} characters"
                ));
                format!("{}({PREFIX_LENGTH})", quote(field.column_name(f)))
            } else {
                quote(field.column_name(f))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The character set a collation belongs to: its name up to the first `_`
/// (`utf8mb4_bin` → `utf8mb4`, `latin1_swedish_ci` → `latin1`).
fn charset_of(collation: &str) -> &str {
    collation.split('_').next().unwrap_or(collation)
}

/// `DEFAULT CHARSET=... [COLLATE=...]` of a table: its own collation, else
/// utf8mb4 with the server's default collation for it (what introspection
/// leaves unsaid).
fn table_charset(entity: &Entity) -> String {
    match &entity.collation {
        Some(collation) => format!(
            "DEFAULT CHARSET={} COLLATE={collation}",
            charset_of(collation)
        ),
        None => "DEFAULT CHARSET=utf8mb4".to_owned(),
    }
}

/// A column as `CREATE TABLE`, `ADD COLUMN` or `MODIFY COLUMN` declares it.
fn column_definition(
    cx: &mut Cx<'_>,
    manifest: &Manifest,
    entity_name: &str,
    entity: &Entity,
    name: &str,
    field: &Field,
) -> String {
    let here = object(entity_name, name);
    let field = &key_column(cx, manifest, entity_name, entity, name, field);
    let mut parts = vec![
        quote(field.column_name(name)),
        column_type(cx, manifest, &here, field),
    ];
    // Right after the type: the character set and collation, when the
    // column's differ from its table's.
    if let Some(collation) = &field.collation {
        if cx.same_engine(manifest) {
            parts.push(format!(
                "CHARACTER SET {} COLLATE {collation}",
                charset_of(collation)
            ));
        } else {
            cx.lossy(format!(
                "{here}: collation `{collation}` is not a MySQL collation; left out"
            ));
        }
    }
    let computed = matches!(&field.generated, Some(Generated::Computed { .. }));
    if let Some(Generated::Computed { stored, .. }) = &field.generated
        && let Some(sql) = MysqlRenderer.computed_expression(cx, manifest, &here, field)
    {
        parts.push(format!(
            "GENERATED ALWAYS AS ({sql}) {}",
            if *stored { "STORED" } else { "VIRTUAL" }
        ));
    }
    if !computed {
        parts.push(if field.nullable { "NULL" } else { "NOT NULL" }.into());
    }
    match &field.generated {
        Some(Generated::Kind(kind)) => {
            let in_key = entity.primary_key.first().is_some_and(|k| k == name)
                || field.unique
                || entity.indexes.iter().any(|i| {
                    matches!(i.fields.first(), Some(IndexPart::Field { field, .. }) if field == name)
                });
            if field.ty.is_integer() && in_key {
                parts.push("AUTO_INCREMENT".into());
                if *kind != GeneratedKind::Autoincrement {
                    cx.lossy(format!("{here}: `{kind}` becomes MySQL's AUTO_INCREMENT"));
                }
            } else {
                cx.lossy(format!(
                    "{here}: MySQL generates values only for an indexed integer column; `{kind}` is left out"
                ));
            }
        }
        Some(Generated::Computed { .. }) => {}
        None => {
            if let Some(default) = default_sql(cx, manifest, &here, field) {
                parts.push(format!("DEFAULT {default}"));
            }
        }
    }
    if let Some(on_update) = &field.on_update {
        match MysqlRenderer.expression(cx, manifest, on_update) {
            Some(sql) => parts.push(format!("ON UPDATE {sql}")),
            None => cx.lossy(format!(
                "{here}: ON UPDATE `{on_update}` is not MySQL SQL; left out"
            )),
        }
    }
    if field.invisible {
        // MariaDB (10.3.3 on) and MySQL 8.0.23 on. Not `/*!80023 ... */`
        // as mysqldump writes it: MariaDB skips a comment for MySQL 5.7 on,
        // and the column would be visible without a word.
        parts.push("INVISIBLE".into());
    }
    if let Some(comment) = &field.comment {
        parts.push(format!("COMMENT {}", string_literal(comment, true)));
    }
    parts.join(" ")
}

/// The MySQL type of `field`.
fn column_type(cx: &mut Cx<'_>, manifest: &Manifest, here: &str, field: &Field) -> String {
    let Some(field) = portable_field(cx, manifest, here, field) else {
        let native = field.native.as_deref().unwrap_or("?");
        cx.lossy(format!(
            "{here}: `{native}` has no mysql equivalent; stored as longtext"
        ));
        return "longtext".into();
    };
    let members = |name: Option<&str>| -> Option<String> {
        let values = &manifest.enums.get(name?)?.values;
        Some(
            values
                .iter()
                .map(|v| string_literal(v, true))
                .collect::<Vec<_>>()
                .join(","),
        )
    };
    // A SET: its members from the enum (the native text is lower-cased).
    if field.ty == FieldType::Array
        && let Some(items) = &field.items
        && items.ty == FieldType::Enum
        && field
            .native
            .as_deref()
            .is_some_and(|n| n.starts_with("set("))
        && let Some(values) = members(items.enum_name.as_deref())
    {
        return format!("set({values})");
    }
    if field.native.is_some() {
        return MysqlDialect.column_type(&field);
    }
    let enum_type = |name: Option<&str>| members(name).map(|values| format!("enum({values})"));
    let same = cx.same_engine(manifest);
    let lost = match field.ty {
        FieldType::Enum => {
            if let Some(ty) = enum_type(field.enum_name.as_deref()) {
                if Cx::source_target(manifest) != Some(Target::Mysql) {
                    // MySQL introspection names a column's enum `<table>_<column>`.
                    let (entity, column) = here.split_once('.').unwrap_or((here, ""));
                    cx.lossy(format!(
                        "{here}: MySQL enums belong to their column; enum `{}` is written inline (and reads back as `{entity}_{column}`)",
                        field.enum_name.as_deref().unwrap_or("?")
                    ));
                }
                return ty;
            }
            Some("an enum the manifest does not define is stored as varchar(255)")
        }
        FieldType::String if field.max_length.is_none() => {
            Some("a string without a length is stored as varchar(255)")
        }
        FieldType::Decimal if field.precision.is_none() => {
            cx.lossy(format!(
                "{here}: a decimal without a precision is stored as decimal(65,30)"
            ));
            return "decimal(65,30)".into();
        }
        FieldType::Uuid => Some("MySQL has no uuid type; stored as char(36)"),
        FieldType::Timestamptz if !same => {
            Some("timestamptz is stored as MySQL TIMESTAMP (kept in UTC, from 1970 to 2038)")
        }
        FieldType::Interval => Some("MySQL has no interval type; stored as varchar(64)"),
        FieldType::Array => Some("MySQL has no arrays; stored as json"),
        FieldType::Object => Some("MySQL has no nested documents; stored as json"),
        FieldType::ObjectId => Some("object ids are stored as char(24)"),
        FieldType::Time | FieldType::Timestamp | FieldType::Float32 => None,
        _ => None,
    };
    if let Some(lost) = lost {
        cx.lossy(format!("{here}: {lost}"));
    }
    if field.ty == FieldType::Enum {
        return "varchar(255)".into();
    }
    MysqlDialect.column_type(&field)
}

fn literal_sql(literal: &Literal) -> String {
    match literal {
        Literal::Bool(true) => "1".into(),
        Literal::Bool(false) => "0".into(),
        Literal::Int(value) => value.to_string(),
        Literal::Float(value) => float_literal(*value),
        Literal::String(text) => string_literal(text, true),
        Literal::Array(items) => {
            let json = serde_json::Value::Array(
                items
                    .iter()
                    .map(|item| match item {
                        Literal::Bool(v) => serde_json::Value::Bool(*v),
                        Literal::Int(v) => serde_json::Value::from(*v),
                        Literal::Float(v) => serde_json::Value::from(*v),
                        Literal::String(v) => serde_json::Value::String(v.clone()),
                        Literal::Array(_) => serde_json::Value::Null,
                    })
                    .collect(),
            );
            string_literal(&json.to_string(), true)
        }
    }
}

fn default_sql(cx: &mut Cx<'_>, manifest: &Manifest, here: &str, field: &Field) -> Option<String> {
    let blob = is_blob(cx, manifest, here, field);
    match field.default.as_ref()? {
        DefaultValue::Literal(literal) => {
            // A set (array of enum values) default is its members joined.
            let text = match (field.ty, literal) {
                (FieldType::Array, Literal::String(_)) => literal_sql(literal),
                (FieldType::Array, Literal::Array(items)) if field.native.is_some() => {
                    string_literal(
                        &items
                            .iter()
                            .map(|i| match i {
                                Literal::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(","),
                        true,
                    )
                }
                (FieldType::Array, _) => {
                    cx.lossy(format!("{here}: the array default is stored as JSON text"));
                    literal_sql(literal)
                }
                _ => literal_sql(literal),
            };
            Some(if blob { format!("({text})") } else { text })
        }
        DefaultValue::Sql { sql } => {
            match MysqlRenderer.default_expression(cx, manifest, here, sql) {
                Some(text) => {
                    let upper = text.trim().to_ascii_uppercase();
                    let bare = upper.starts_with("CURRENT_TIMESTAMP")
                        || upper.starts_with("CURRENT_DATE")
                        || upper.starts_with("CURRENT_TIME")
                        || upper == "NULL"
                        || text.trim().starts_with('\'')
                        || text.trim().parse::<f64>().is_ok();
                    if field.ty == FieldType::Date
                        && upper == "CURRENT_DATE"
                        && !cx.same_engine(manifest)
                    {
                        // MariaDB takes `curdate()` as a default expression.
                        return Some("(curdate())".into());
                    }
                    Some(if bare && !blob {
                        text
                    } else {
                        format!("({text})")
                    })
                }
                None => None,
            }
        }
    }
}

fn alter_columns(
    cx: &mut Cx<'_>,
    name: &str,
    changed_enums: &BTreeSet<String>,
    out: &mut Vec<Statement>,
) {
    let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
        return;
    };
    if is_view(new) {
        return;
    }
    let qualified = table(new);
    let mut modified = BTreeSet::new();
    for kind in cx.changes_of(name) {
        match kind {
            ChangeKind::AddField { field, .. } => {
                let Some(definition) = new.fields.get(field) else {
                    continue;
                };
                let column = column_definition(cx, cx.after, name, new, field, definition);
                let position = match new.fields.get_index_of(field) {
                    Some(0) => " FIRST".to_owned(),
                    Some(i) => new
                        .fields
                        .get_index(i - 1)
                        .map(|(n, f)| format!(" AFTER {}", quote(f.column_name(n))))
                        .unwrap_or_default(),
                    None => String::new(),
                };
                out.push(MysqlRenderer.add_column(cx, new, field, &format!("{column}{position}")));
                if definition.unique {
                    out.push(Statement::new(format!(
                        "CREATE UNIQUE INDEX {} ON {qualified} ({})",
                        quote(definition.column_name(field)),
                        key_parts(cx, cx.after, name, new, std::slice::from_ref(field))
                    )));
                }
            }
            ChangeKind::DropField { field, .. } => {
                let Some(old_field) = old.fields.get(field) else {
                    continue;
                };
                out.push(MysqlRenderer.drop_column(name, new, field, old_field));
            }
            ChangeKind::AlterField { field, .. } => {
                modified.insert(field.clone());
                let old_name = cx.old_field_name(name, field).to_owned();
                let (Some(before), Some(after)) =
                    (old.fields.get(&old_name), new.fields.get(field))
                else {
                    continue;
                };
                let reason = cx.reason_of(kind);
                let here = object(name, field);
                if !before.nullable && after.nullable {
                    // nothing to fill
                } else if before.nullable
                    && !after.nullable
                    && let Some(DefaultValue::Literal(literal)) = &after.default
                {
                    out.push(
                        Statement::new(format!(
                            "UPDATE {qualified} SET {} = {} WHERE {} IS NULL",
                            quote(before.column_name(&old_name)),
                            literal_sql(literal),
                            quote(before.column_name(&old_name))
                        ))
                        .note(format!(
                            "`{here}` becomes NOT NULL: rows holding NULL take the default"
                        )),
                    );
                }
                let mut stripped = before.clone();
                stripped.unique = after.unique;
                if stripped != *after || before.column_name(&old_name) != after.column_name(field) {
                    let definition = column_definition(cx, cx.after, name, new, field, after);
                    let mut statement = Statement::new(format!(
                        "ALTER TABLE {qualified} MODIFY COLUMN {definition}"
                    ));
                    if let Some((crate::diff::Safety::Destructive, reason)) = &reason {
                        statement = statement.destructive(reason.clone());
                    }
                    out.push(statement);
                }
                if before.unique != after.unique {
                    let index = quote(after.column_name(field));
                    if after.unique {
                        out.push(Statement::new(format!(
                            "CREATE UNIQUE INDEX {index} ON {qualified} ({})",
                            key_parts(cx, cx.after, name, new, std::slice::from_ref(field))
                        )));
                    } else {
                        out.push(Statement::new(format!("DROP INDEX {index} ON {qualified}")));
                    }
                }
            }
            _ => {}
        }
    }
    // Columns of an enum whose values change.
    for (field_name, field) in &new.fields {
        if modified.contains(field_name) {
            continue;
        }
        if changed_enums.iter().any(|e| uses_enum(field, e)) {
            let definition = column_definition(cx, cx.after, name, new, field_name, field);
            let removes = cx.changes.iter().any(|c| {
                matches!(&c.kind, ChangeKind::RemoveEnumValue { name: e, .. } if uses_enum(field, e))
            });
            let mut statement = Statement::new(format!(
                "ALTER TABLE {qualified} MODIFY COLUMN {definition}"
            ));
            if removes {
                statement = statement.destructive(format!(
                    "`{name}.{field_name}` loses enum values: rows holding them make the statement fail"
                ));
            }
            out.push(statement);
        }
    }
}
