//! SQLite scripts.
//!
//! SQLite declares keys, uniques, checks and foreign keys inside
//! `CREATE TABLE` and cannot add them later, so most changes to a table
//! rebuild it (<https://www.sqlite.org/lang_altertable.html#otheralter>):
//! the new shape is created as `_baas_new_<table>`, the rows are copied over
//! (`INSERT ... SELECT` of the columns both shapes have), the old table is
//! dropped and the new one renamed; its indexes are created again. Only what
//! `ALTER TABLE` does in place stays an `ALTER TABLE`: `RENAME TO`,
//! `RENAME COLUMN`, `ADD COLUMN` of a column SQLite can add, and
//! `DROP COLUMN` of a column nothing else uses.
//!
//! Dropping the old table would run its foreign-key actions (`ON DELETE
//! CASCADE` would empty the children), so a script that rebuilds or drops a
//! table turns foreign-key enforcement off first and checks every reference
//! at the end (see [`super::Script::sqlite_foreign_keys_off`]).

use std::collections::BTreeSet;

use super::sql::{DdlRenderer, action, uses_enum};
use super::{
    Cx, RenderError, SQLITE_FOREIGN_KEYS_OFF, SQLITE_FOREIGN_KEYS_ON, Statement, float_literal,
    index_name, is_view, object, portable_field, string_literal, views_using,
};
use crate::dialect::Dialect as _;
use crate::dialect::sqlite::SqliteDialect;
use crate::diff::ChangeKind;
use crate::manifest::{
    DefaultValue, Entity, Field, FieldType, Generated, GeneratedKind, Index, IndexPart, Literal,
    Manifest, ReferentialAction,
};

/// `name` as an SQLite identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The prefix of the table a rebuild creates before it takes the old name.
const NEW_PREFIX: &str = "_baas_new_";

pub(super) fn render(cx: &mut Cx<'_>) -> Result<Vec<Statement>, RenderError> {
    let plan = EntityPlan::new(cx);
    let mut out = Vec::new();

    // Views that go away, change, or read a table that changes.
    let mut touched_tables: BTreeSet<String> = BTreeSet::new();
    for name in plan
        .dropped
        .iter()
        .chain(&plan.rebuilt)
        .chain(&plan.altered)
    {
        if let Some(entity) = cx.old_entity(name).or_else(|| cx.before.entities.get(name)) {
            touched_tables.insert(entity.table.clone());
        }
    }
    let mut old_views: BTreeSet<String> = views_using(cx.before, &touched_tables);
    for name in &plan.views_changed {
        if let Some(entity) = cx.old_entity(name)
            && is_view(entity)
        {
            old_views.insert(cx.old_entity_name(name).to_owned());
        }
    }
    for name in &plan.dropped {
        if cx.before.entities.get(name).is_some_and(is_view) {
            old_views.insert(name.clone());
        }
    }
    SqliteRenderer.drop_views(cx, &old_views, &mut out);

    // Indexes that go away from tables that stay (a rebuilt or dropped
    // table takes its indexes with it).
    for kind in plan.simple_changes(cx) {
        if let ChangeKind::DropIndex { entity, index } = kind
            && let Some(old) = cx.old_entity(entity)
            && let Some(found) = old.indexes.iter().find(|i| &i.name == index)
        {
            let name = index_name(cx.before, cx.old_entity_name(entity), found);
            out.push(Statement::new(format!(
                "DROP INDEX IF EXISTS {}",
                quote(&name)
            )));
        }
    }

    // Renames that `ALTER TABLE` does in place.
    for name in &plan.altered {
        let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
            continue;
        };
        if old.table != new.table {
            out.push(Statement::new(format!(
                "ALTER TABLE {} RENAME TO {}",
                quote(&old.table),
                quote(&new.table)
            )));
        }
        for (field_name, field) in &new.fields {
            let old_name = cx.old_field_name(name, field_name);
            if old_name != field_name
                && let Some(old_field) = old.fields.get(old_name)
            {
                out.push(Statement::new(format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {}",
                    quote(&new.table),
                    quote(old_field.column_name(old_name)),
                    quote(field.column_name(field_name))
                )));
            }
        }
    }

    // Tables that go away.
    SqliteRenderer.drop_tables(cx, &plan.dropped, &mut out);

    // New tables.
    SqliteRenderer.create_tables(cx, &plan.created, &mut out);

    // In-place column changes.
    for name in &plan.altered {
        let Some(new) = cx.after.entities.get(name) else {
            continue;
        };
        let old = cx.old_entity(name);
        for kind in cx.changes_of(name) {
            match kind {
                ChangeKind::AddField { field, .. } => {
                    let Some(definition) = new.fields.get(field) else {
                        continue;
                    };
                    let column = column_definition(cx, cx.after, name, new, field, definition);
                    out.push(SqliteRenderer.add_column(cx, new, field, &column));
                }
                ChangeKind::DropField { field, .. } => {
                    let Some(old_field) = old.and_then(|o| o.fields.get(field)) else {
                        continue;
                    };
                    out.push(SqliteRenderer.drop_column(name, new, field, old_field));
                }
                _ => {}
            }
        }
    }

    // Rebuilds.
    for name in &plan.rebuilt {
        rebuild(cx, name, &mut out);
    }

    // New indexes on tables that stay.
    for kind in plan.simple_changes(cx) {
        if let ChangeKind::AddIndex { entity, index } = kind
            && let Some(new) = cx.after.entities.get(entity)
            && let Some(found) = new.indexes.iter().find(|i| &i.name == index)
            && let Some(statement) = SqliteRenderer.create_index(cx, cx.after, entity, new, found)
        {
            out.push(statement);
        }
    }

    // Views, once every table they read exists.
    let mut new_views: BTreeSet<String> = views_using(cx.after, &{
        let mut tables = BTreeSet::new();
        for name in plan
            .dropped
            .iter()
            .chain(&plan.rebuilt)
            .chain(&plan.altered)
        {
            if let Some(entity) = cx.after.entities.get(name) {
                tables.insert(entity.table.clone());
            }
        }
        tables.extend(touched_tables.iter().cloned());
        tables
    });
    new_views.retain(|name| {
        // Only views that were dropped above (or are new) are created again.
        let old_name = cx.old_entity_name(name).to_owned();
        old_views.contains(&old_name) || !cx.before.entities.contains_key(&old_name)
    });
    for name in plan.created.iter().chain(&plan.views_changed) {
        if cx.after.entities.get(name).is_some_and(is_view) {
            new_views.insert(name.clone());
        }
    }
    SqliteRenderer.create_views(cx, &new_views, &mut out);

    if plan.needs_foreign_keys_off && !out.is_empty() {
        let mut wrapped = vec![
            Statement::new(SQLITE_FOREIGN_KEYS_OFF).note(
                "rebuilt or dropped tables must not run their foreign-key actions: \
                 run this before BEGIN (SQLite ignores it inside a transaction)",
            ),
            // Stops the script, inside the transaction, when enforcement is
            // still on: dropping a parent table would run ON DELETE actions.
            Statement::new(
                "SELECT CASE WHEN foreign_keys THEN json('foreign keys must be off for this migration') END \
                 FROM pragma_foreign_keys",
            )
            .note("fails when foreign keys are still enforced (the PRAGMA above ran inside a transaction)"),
        ];
        wrapped.append(&mut out);
        wrapped.push(
            Statement::new("PRAGMA foreign_key_check")
                .note("every reference must still hold: any row returned here must roll back"),
        );
        wrapped.push(
            Statement::new(SQLITE_FOREIGN_KEYS_ON)
                .note("run this after COMMIT (SQLite ignores it inside a transaction)"),
        );
        out = wrapped;
    }
    Ok(out)
}

/// What happens to each entity (named as in `after`, or in `before` when
/// dropped).
struct EntityPlan {
    created: Vec<String>,
    dropped: Vec<String>,
    /// Tables rebuilt to their `after` shape.
    rebuilt: Vec<String>,
    /// Tables changed in place (renames, columns added or dropped, indexes).
    altered: Vec<String>,
    /// Views whose query or fields change.
    views_changed: Vec<String>,
    needs_foreign_keys_off: bool,
}

impl EntityPlan {
    fn new(cx: &mut Cx<'_>) -> Self {
        let mut plan = Self {
            created: Vec::new(),
            dropped: Vec::new(),
            rebuilt: Vec::new(),
            altered: Vec::new(),
            views_changed: Vec::new(),
            needs_foreign_keys_off: false,
        };
        let mut touched: BTreeSet<String> = BTreeSet::new();
        // Tables whose enum CHECK changes with an enum's values.
        let mut enum_tables: BTreeSet<String> = BTreeSet::new();
        for change in cx.changes {
            match &change.kind {
                ChangeKind::AddEntity { entity } => plan.created.push(entity.clone()),
                ChangeKind::DropEntity { entity } => plan.dropped.push(entity.clone()),
                ChangeKind::AddEnumValue { name, .. }
                | ChangeKind::RemoveEnumValue { name, .. } => {
                    for (entity_name, entity) in &cx.after.entities {
                        if !is_view(entity) && entity.fields.values().any(|f| uses_enum(f, name)) {
                            enum_tables.insert(entity_name.clone());
                        }
                    }
                }
                kind => {
                    if let Some(entity) = super::change_entity(kind) {
                        touched.insert(entity.to_owned());
                    }
                }
            }
        }
        for name in &enum_tables {
            if !plan.created.contains(name) {
                touched.insert(name.clone());
            }
        }
        for name in touched {
            let Some(new) = cx.after.entities.get(&name) else {
                continue;
            };
            if plan.created.contains(&name) {
                continue;
            }
            if is_view(new) || cx.old_entity(&name).is_some_and(is_view) {
                plan.views_changed.push(name);
                continue;
            }
            if enum_tables.contains(&name) || needs_rebuild(cx, &name) {
                plan.rebuilt.push(name);
            } else {
                plan.altered.push(name);
            }
        }
        plan.needs_foreign_keys_off = !plan.rebuilt.is_empty()
            || plan
                .dropped
                .iter()
                .any(|name| cx.before.entities.get(name).is_some_and(|e| !is_view(e)));
        for name in plan.created.iter().chain(&plan.rebuilt) {
            if let Some(entity) = cx.after.entities.get(name) {
                note_entity_losses(cx, name, entity);
            }
        }
        plan
    }

    /// Changes of entities changed in place.
    fn simple_changes<'c>(&self, cx: &Cx<'c>) -> Vec<&'c ChangeKind> {
        self.altered
            .iter()
            .flat_map(|name| cx.changes_of(name))
            .collect()
    }
}

fn needs_rebuild(cx: &Cx<'_>, name: &str) -> bool {
    let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
        return false;
    };
    let dropped_indexes: Vec<&str> = cx
        .changes_of(name)
        .into_iter()
        .filter_map(|kind| match kind {
            ChangeKind::DropIndex { index, .. } => Some(index.as_str()),
            _ => None,
        })
        .collect();
    cx.changes_of(name).into_iter().any(|kind| match kind {
        ChangeKind::AddField { field, .. } => new
            .fields
            .get(field)
            .is_none_or(|f| !can_add_column(new, field, f)),
        ChangeKind::DropField { field, .. } => !can_drop_column(old, field, &dropped_indexes),
        ChangeKind::AlterField { field, .. } => {
            // A comment alone changes nothing SQLite stores.
            let before = old.fields.get(cx.old_field_name(name, field));
            let after = new.fields.get(field);
            match (before, after) {
                (Some(before), Some(after)) => {
                    let mut a = before.clone();
                    a.comment = None;
                    let mut b = after.clone();
                    b.comment = None;
                    a.column = None;
                    b.column = None;
                    a != b
                }
                _ => true,
            }
        }
        ChangeKind::AlterEntity { .. } => {
            old.without_rowid != new.without_rowid || old.strict != new.strict
        }
        ChangeKind::RenameField { .. }
        | ChangeKind::RenameEntity { .. }
        | ChangeKind::AddIndex { .. }
        | ChangeKind::DropIndex { .. } => false,
        _ => true,
    })
}

/// `ALTER TABLE ADD COLUMN` takes a column that is not a key, not unique,
/// not stored-generated, and has a constant default (or none and may be
/// null), <https://www.sqlite.org/lang_altertable.html#altertabaddcol>.
fn can_add_column(entity: &Entity, name: &str, field: &Field) -> bool {
    let in_key = entity.primary_key.iter().any(|k| k == name);
    let in_unique = field.unique
        || entity
            .uniques
            .iter()
            .any(|u| u.fields.iter().any(|f| f == name));
    let in_relation = entity
        .relations
        .iter()
        .any(|r| r.fields.iter().any(|f| f == name));
    let constant_default = match &field.default {
        None => field.nullable,
        Some(DefaultValue::Literal(_)) => true,
        Some(DefaultValue::Sql { .. }) => false,
    };
    let generated_ok = match &field.generated {
        None => true,
        Some(Generated::Computed { stored, .. }) => !stored,
        Some(Generated::Kind(_)) => false,
    };
    let enum_check = field.ty == FieldType::Enum;
    !in_key && !in_unique && !in_relation && constant_default && generated_ok && !enum_check
}

/// `ALTER TABLE DROP COLUMN` refuses a column used by a key, a unique, an
/// index (that stays), a check, a foreign key or a generated column.
fn can_drop_column(entity: &Entity, name: &str, dropped_indexes: &[&str]) -> bool {
    let Some(field) = entity.fields.get(name) else {
        return true;
    };
    let column = field.column_name(name);
    let in_key = entity.primary_key.iter().any(|k| k == name);
    let in_unique = field.unique
        || entity
            .uniques
            .iter()
            .any(|u| u.fields.iter().any(|f| f == name));
    let in_index = entity.indexes.iter().any(|index| {
        !dropped_indexes.contains(&index.name.as_str())
            && (index.fields.iter().any(|part| match part {
                IndexPart::Field { field, .. } => field == name,
                IndexPart::Expression { sql, .. } => super::mentions(sql, column),
            }) || index
                .predicate
                .as_deref()
                .is_some_and(|p| super::mentions(p, column)))
    });
    let in_check = entity
        .checks
        .iter()
        .any(|c| super::mentions(&c.sql, column));
    let in_relation = entity
        .relations
        .iter()
        .any(|r| r.fields.iter().any(|f| f == name));
    let in_generated = entity.fields.values().any(|f| match &f.generated {
        Some(Generated::Computed { sql, .. }) => super::mentions(sql, column),
        _ => false,
    });
    !(in_key || in_unique || in_index || in_check || in_relation || in_generated || field.unique)
        && field.ty != FieldType::Enum
}

/// The 12-step rebuild of table `name` to its `after` shape, keeping its rows.
fn rebuild(cx: &mut Cx<'_>, name: &str, out: &mut Vec<Statement>) {
    let (Some(old), Some(new)) = (cx.old_entity(name), cx.after.entities.get(name)) else {
        return;
    };
    let temporary = format!("{NEW_PREFIX}{}", new.table);
    out.push(
        Statement::new(create_table(cx, cx.after, name, new, &temporary)).note(format!(
            "rebuilds `{}`: SQLite cannot change it in place",
            new.table
        )),
    );
    // Columns both shapes have: new column ← old column.
    let mut targets = Vec::new();
    let mut sources = Vec::new();
    for (field_name, field) in &new.fields {
        if matches!(&field.generated, Some(Generated::Computed { .. })) {
            continue;
        }
        let old_name = cx.old_field_name(name, field_name);
        let Some(old_field) = old.fields.get(old_name) else {
            continue;
        };
        if matches!(&old_field.generated, Some(Generated::Computed { .. })) {
            continue;
        }
        let column = quote(old_field.column_name(old_name));
        // A column that becomes NOT NULL with a default takes the default
        // where it held NULL, instead of failing.
        let source = match (&field.default, old_field.nullable && !field.nullable) {
            (Some(DefaultValue::Literal(literal)), true) => {
                format!("COALESCE({column}, {})", literal_sql(literal))
            }
            _ => column,
        };
        targets.push(quote(field.column_name(field_name)));
        sources.push(source);
    }
    let dropped: Vec<&String> = old
        .fields
        .keys()
        .filter(|old_name| {
            !new.fields
                .keys()
                .any(|field_name| cx.old_field_name(name, field_name) == old_name.as_str())
        })
        .collect();
    let mut copy = Statement::new(format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        quote(&temporary),
        targets.join(", "),
        sources.join(", "),
        quote(&old.table)
    ));
    if !dropped.is_empty() {
        copy = copy.destructive(format!(
            "the values of {} are not copied",
            dropped
                .iter()
                .map(|f| format!("`{name}.{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.push(copy);
    out.push(Statement::new(format!("DROP TABLE {}", quote(&old.table))));
    out.push(Statement::new(format!(
        "ALTER TABLE {} RENAME TO {}",
        quote(&temporary),
        quote(&new.table)
    )));
    for index in &new.indexes {
        if let Some(statement) = SqliteRenderer.create_index(cx, cx.after, name, new, index) {
            out.push(statement);
        }
    }
}

/// Lossy lines for what SQLite does not keep of a table as a whole.
fn note_entity_losses(cx: &mut Cx<'_>, name: &str, entity: &Entity) {
    if entity.comment.is_some() {
        cx.lossy(format!(
            "{name}: SQLite has no table comments; the comment is not stored"
        ));
    }
    if entity.row_level_security {
        cx.lossy(format!("{name}: SQLite has no row-level security"));
    }
    if entity
        .schema
        .as_deref()
        .is_some_and(|s| s != "public" && s != "main")
    {
        cx.lossy(format!(
            "{name}: SQLite has no schemas; `{}` is created in the main database",
            entity.table
        ));
    }
    for (field_name, field) in &entity.fields {
        if field.comment.is_some() {
            cx.lossy(format!(
                "{}: SQLite has no column comments; the comment is not stored",
                object(name, field_name)
            ));
        }
    }
}

/// The single field of the primary key, when it is to be SQLite's rowid
/// (`INTEGER PRIMARY KEY`).
fn rowid_field(entity: &Entity) -> Option<&str> {
    if entity.without_rowid {
        return None;
    }
    let [key] = entity.primary_key.as_slice() else {
        return None;
    };
    let field = entity.fields.get(key)?;
    let generated = matches!(&field.generated, Some(Generated::Kind(_)));
    let integer_declared = field.ty == FieldType::Int64
        && field
            .native
            .as_deref()
            .is_none_or(|n| n.trim().eq_ignore_ascii_case("INTEGER"));
    (generated || integer_declared).then_some(key.as_str())
}

/// `CREATE TABLE` of `entity` named `table`, with every key, unique, check
/// and foreign key inline.
fn create_table(
    cx: &mut Cx<'_>,
    manifest: &Manifest,
    name: &str,
    entity: &Entity,
    table: &str,
) -> String {
    let mut lines = Vec::new();
    let rowid = rowid_field(entity);
    for (field_name, field) in &entity.fields {
        lines.push(column_definition(
            cx, manifest, name, entity, field_name, field,
        ));
    }
    if rowid.is_none() && !entity.primary_key.is_empty() {
        let columns = SqliteRenderer.column_list(entity, &entity.primary_key);
        lines.push(format!(
            "{}PRIMARY KEY ({columns})",
            constraint_name(entity.primary_key_name.as_deref())
        ));
    }
    for unique in &entity.uniques {
        lines.push(format!(
            "{}UNIQUE ({})",
            constraint_name(unique.name.as_deref()),
            SqliteRenderer.column_list(entity, &unique.fields)
        ));
    }
    for check in &entity.checks {
        if let Some(sql) = SqliteRenderer.check_sql(cx, manifest, name, &check.sql) {
            lines.push(format!(
                "{}CHECK ({sql})",
                constraint_name(check.name.as_deref())
            ));
        }
    }
    for (field_name, field) in &entity.fields {
        if let Some(check) = enum_check(cx, manifest, name, field_name, field) {
            lines.push(check);
        }
    }
    for relation in &entity.relations {
        let Some(target) = SqliteRenderer.referenced(cx, manifest, name, relation) else {
            continue;
        };
        let mut line = format!(
            "{}FOREIGN KEY ({}) REFERENCES {} ({})",
            constraint_name(relation.name.as_deref()),
            SqliteRenderer.column_list(entity, &relation.fields),
            quote(&target.table),
            SqliteRenderer.column_list(target, &relation.references.fields)
        );
        if relation.on_delete != ReferentialAction::NoAction {
            line.push_str(&format!(" ON DELETE {}", action(relation.on_delete)));
        }
        if relation.on_update != ReferentialAction::NoAction {
            line.push_str(&format!(" ON UPDATE {}", action(relation.on_update)));
        }
        if relation.deferrable {
            line.push_str(" DEFERRABLE INITIALLY DEFERRED");
        }
        lines.push(line);
    }
    let mut options = Vec::new();
    if entity.without_rowid {
        options.push("WITHOUT ROWID");
    }
    if entity.strict {
        options.push("STRICT");
    }
    format!(
        "CREATE TABLE {} (\n    {}\n){}",
        quote(table),
        lines.join(",\n    "),
        if options.is_empty() {
            String::new()
        } else {
            format!(" {}", options.join(", "))
        }
    )
}

fn constraint_name(name: Option<&str>) -> String {
    name.map(|n| format!("CONSTRAINT {} ", quote(n)))
        .unwrap_or_default()
}

/// The `CHECK (column IN (...))` that stands for an enum.
fn enum_check(
    cx: &mut Cx<'_>,
    manifest: &Manifest,
    entity: &str,
    name: &str,
    field: &Field,
) -> Option<String> {
    if field.ty != FieldType::Enum {
        return None;
    }
    let enum_name = field.enum_name.as_deref()?;
    let values = &manifest.enums.get(enum_name)?.values;
    cx.lossy(format!(
        "{}: SQLite has no enums; enum `{enum_name}` is stored as TEXT with a CHECK on its values",
        object(entity, name)
    ));
    Some(format!(
        "CHECK ({})",
        crate::dialect::sqlite::enum_values_check(field.column_name(name), values)
    ))
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
    let rowid = rowid_field(entity) == Some(name);
    let mut parts = vec![quote(field.column_name(name))];
    if rowid {
        if field.ty != FieldType::Int64 {
            cx.lossy(format!(
                "{here}: the key is SQLite's rowid, declared INTEGER (a 64-bit integer)"
            ));
        }
        parts.push("INTEGER".to_owned());
        parts.push(format!(
            "{}PRIMARY KEY",
            constraint_name(entity.primary_key_name.as_deref())
        ));
        match &field.generated {
            Some(Generated::Kind(GeneratedKind::Rowid)) => {}
            Some(Generated::Kind(GeneratedKind::Autoincrement)) => parts.push("AUTOINCREMENT".into()),
            Some(Generated::Kind(kind)) => {
                cx.lossy(format!(
                    "{here}: `{kind}` becomes SQLite's INTEGER PRIMARY KEY AUTOINCREMENT"
                ));
                parts.push("AUTOINCREMENT".into());
            }
            _ => cx.lossy(format!(
                "{here}: an INTEGER PRIMARY KEY is SQLite's rowid; SQLite fills it when an insert leaves it out"
            )),
        }
    } else {
        let declared = column_type(cx, manifest, &here, field);
        parts.push(if entity.strict {
            strict_type(cx, &here, field, declared)
        } else {
            declared
        });
    }
    if !field.nullable {
        parts.push("NOT NULL".into());
    }
    match &field.generated {
        Some(Generated::Computed { stored, .. }) => {
            if let Some(sql) = SqliteRenderer.computed_expression(cx, manifest, &here, field) {
                parts.push(format!(
                    "GENERATED ALWAYS AS ({sql}) {}",
                    if *stored { "STORED" } else { "VIRTUAL" }
                ));
            }
        }
        Some(Generated::Kind(kind)) if !rowid => cx.lossy(format!(
            "{here}: SQLite generates values only for an INTEGER PRIMARY KEY; `{kind}` is left out"
        )),
        _ => {
            if let Some(default) = default_sql(cx, manifest, &here, field) {
                parts.push(format!("DEFAULT {default}"));
            }
        }
    }
    if let Some(collation) = &field.collation {
        if cx.same_engine(manifest)
            || ["BINARY", "NOCASE", "RTRIM"].contains(&collation.to_ascii_uppercase().as_str())
        {
            parts.push(format!("COLLATE {}", quote(collation)));
        } else {
            cx.lossy(format!(
                "{here}: collation `{collation}` does not exist in SQLite; left out"
            ));
        }
    }
    if field.on_update.is_some() {
        cx.lossy(format!(
            "{here}: SQLite has no ON UPDATE for columns; `on_update` is left out"
        ));
    }
    super::visible_on(cx, "SQLite", &here, field);
    let single_unique = field.unique;
    if single_unique {
        parts.push("UNIQUE".into());
    }
    parts.join(" ")
}

/// The declared type of `field`.
fn column_type(cx: &mut Cx<'_>, manifest: &Manifest, here: &str, field: &Field) -> String {
    let Some(field) = portable_field(cx, manifest, here, field) else {
        let native = field.native.as_deref().unwrap_or("?");
        cx.lossy(format!(
            "{here}: `{native}` has no sqlite equivalent; stored as TEXT"
        ));
        return "TEXT".into();
    };
    let lost = match field.ty {
        FieldType::Float32 if field.native.is_none() => {
            Some("float32 is stored as REAL (a 64-bit float)")
        }
        FieldType::Bytes if field.max_length.is_some() && field.native.is_none() => {
            Some("SQLite does not limit the length of a BLOB")
        }
        FieldType::Interval => Some("SQLite has no interval type; stored as TEXT"),
        FieldType::ObjectId => Some("object ids are stored as TEXT"),
        FieldType::Array if field.native.is_none() => {
            Some("SQLite has no arrays; stored as JSON text")
        }
        FieldType::Object => Some("SQLite has no nested documents; stored as JSON text"),
        _ => None,
    };
    if let Some(lost) = lost {
        cx.lossy(format!("{here}: {lost}"));
    }
    SqliteDialect.column_type(&field)
}

/// The types a STRICT table accepts.
const STRICT_TYPES: &[&str] = &["INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"];

/// `declared` for a STRICT table: as it is when SQLite takes it there, else
/// the strict type of its affinity.
fn strict_type(cx: &mut Cx<'_>, here: &str, field: &Field, declared: String) -> String {
    let normalized = crate::dialect::sqlite::normalize_type(&declared);
    if STRICT_TYPES.contains(&normalized.as_str()) {
        return declared;
    }
    let strict = match field.ty {
        FieldType::Int16 | FieldType::Int32 => "INT",
        FieldType::Int64 | FieldType::Bool => "INTEGER",
        FieldType::Float32 | FieldType::Float64 | FieldType::Decimal => "REAL",
        FieldType::Bytes => "BLOB",
        FieldType::Native | FieldType::Json => "ANY",
        _ => "TEXT",
    };
    cx.lossy(format!(
        "{here}: a STRICT table takes only INT, INTEGER, REAL, TEXT, BLOB and ANY; `{declared}` is declared {strict}"
    ));
    strict.to_owned()
}

/// A literal as SQLite writes it.
fn literal_sql(literal: &Literal) -> String {
    match literal {
        Literal::Bool(true) => "TRUE".into(),
        Literal::Bool(false) => "FALSE".into(),
        Literal::Int(value) => value.to_string(),
        Literal::Float(value) => float_literal(*value),
        Literal::String(text) => string_literal(text, false),
        Literal::Array(items) => string_literal(&json_array(items).to_string(), false),
    }
}

fn json_array(items: &[Literal]) -> serde_json::Value {
    serde_json::Value::Array(
        items
            .iter()
            .map(|item| match item {
                Literal::Bool(v) => serde_json::Value::Bool(*v),
                Literal::Int(v) => serde_json::Value::from(*v),
                Literal::Float(v) => serde_json::Value::from(*v),
                Literal::String(v) => serde_json::Value::String(v.clone()),
                Literal::Array(items) => json_array(items),
            })
            .collect(),
    )
}

/// The `DEFAULT` of `field`, when SQLite can say it.
fn default_sql(cx: &mut Cx<'_>, manifest: &Manifest, here: &str, field: &Field) -> Option<String> {
    match field.default.as_ref()? {
        DefaultValue::Literal(literal) => {
            if matches!(literal, Literal::Array(_)) {
                cx.lossy(format!("{here}: the array default is stored as JSON text"));
            }
            Some(literal_sql(literal))
        }
        DefaultValue::Sql { sql } => SqliteRenderer
            .default_expression(cx, manifest, here, sql)
            .map(|sql| {
                if is_current_time(&sql) {
                    sql
                } else {
                    format!("({sql})")
                }
            }),
    }
}

fn is_current_time(sql: &str) -> bool {
    ["CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"].contains(&sql)
}

/// Functions SQLite has beyond the shared ones.
const SQLITE_FUNCTIONS: &[&str] = &[
    "ifnull",
    "min",
    "max",
    "date",
    "time",
    "datetime",
    "julianday",
    "strftime",
    "unixepoch",
    "random",
    "randomblob",
    "hex",
    "json",
    "instr",
    "printf",
    "format",
    "typeof",
    "glob",
];

/// The SQLite renderer: what it writes unlike the other SQL engines.
pub(super) struct SqliteRenderer;

impl DdlRenderer for SqliteRenderer {
    fn name(&self) -> &'static str {
        "SQLite"
    }

    fn quote(&self, name: &str) -> String {
        quote(name)
    }

    fn functions(&self) -> &'static [&'static str] {
        SQLITE_FUNCTIONS
    }

    fn create_table(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        name: &str,
        entity: &Entity,
    ) -> String {
        create_table(cx, manifest, name, entity, &entity.table)
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
                "{here}: index names are per database in SQLite; created as `{name}`"
            ));
        }
        if let Some(method) = &index.method
            && !cx.same_engine(manifest)
        {
            cx.lossy(format!(
                "{here}: SQLite has no `{method}` indexes; created as a plain index"
            ));
        }
        if index.expire_after_seconds.is_some() {
            cx.lossy(format!(
                "{here}: SQLite does not expire rows; `expire_after_seconds` is left out"
            ));
        }
        super::index_comment_left_out(cx, &here, index);
        let parts = SqliteRenderer.index_parts(cx, manifest, &here, entity, index, false)?;
        let predicate = SqliteRenderer.index_predicate(cx, manifest, &here, index)?;
        Some(Statement::new(format!(
            "CREATE {}INDEX {} ON {} ({}){predicate}",
            if index.unique { "UNIQUE " } else { "" },
            quote(&name),
            quote(&entity.table),
            parts.join(", ")
        )))
    }
}
