//! From a list of changes to up/down scripts for one engine.
//!
//! [`render`] is pure: `(before, after, changes)` → a [`Plan`] with the
//! statements that take a database from `before` to `after` (`up`), the
//! statements that take it back (`down`), and what the target engine could
//! not express (`lossy`). Each engine has its own file; what they share
//! (which SQL and native types can be trusted on the target, names,
//! literals, the order of views) lives here.
//!
//! The down script is the rendering of the inverse changes (`after` →
//! `before`): what the up script drops, the down script recreates from
//! `before`, with a comment saying that the rows are not restored.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sqlparser::dialect::{Dialect as SqlparserDialect, GenericDialect, MySqlDialect};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::database::SqlDialect;
use crate::diff::{Change, ChangeKind};
use crate::manifest::{Entity, EntityKind, Field, FieldType, Index, Manifest, Relation};

mod mongo;
mod mysql;
mod postgres;
mod sql;
mod sqlite;

/// The engine a script is written for: a [`crate::database::Database`]
/// (the name the migration code has always used for it).
pub use crate::database::Database as Target;
/// The prefix a MySQL index gives a `TEXT`/`BLOB` key that names none.
pub(crate) use mysql::PREFIX_LENGTH as MYSQL_TEXT_PREFIX_LENGTH;

/// One statement (SQL text, or a MongoDB command as JSON text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The statement, without a trailing `;`.
    pub text: String,
    /// Loses data (drop, narrowing...): written with a warning comment, and
    /// `migrate apply` asks before running it.
    pub destructive: bool,
    /// A one-line note written above the statement (`-- note`).
    pub comment: Option<String>,
}

impl Statement {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            destructive: false,
            comment: None,
        }
    }

    pub(crate) fn destructive(mut self, reason: impl Into<String>) -> Self {
        self.destructive = true;
        self.comment = Some(reason.into());
        self
    }

    pub(crate) fn note(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }
}

/// Statements in the order they run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Script {
    pub statements: Vec<Statement>,
}

/// The SQLite statement that turns foreign-key enforcement off for a table
/// rebuild. It has no effect inside a transaction, so a runner executes it
/// (and [`SQLITE_FOREIGN_KEYS_ON`]) outside the transaction; see
/// [`Script::sqlite_foreign_keys_off`].
pub const SQLITE_FOREIGN_KEYS_OFF: &str = "PRAGMA foreign_keys = OFF";
/// Turns enforcement back on, after the transaction of a rebuild.
pub const SQLITE_FOREIGN_KEYS_ON: &str = "PRAGMA foreign_keys = ON";

impl Script {
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The text of the script file: each statement followed by `;` and a
    /// blank line, its note as a `-- ` line above it, and a destructive
    /// statement preceded by `-- baas:destructive <reason>`.
    pub fn to_sql(&self) -> String {
        let mut out = String::new();
        for statement in &self.statements {
            let comment = statement
                .comment
                .as_deref()
                .map(|c| c.replace(['\n', '\r'], " "));
            match (&comment, statement.destructive) {
                (Some(reason), true) => {
                    out.push_str("-- baas:destructive ");
                    out.push_str(reason);
                    out.push('\n');
                }
                (None, true) => out.push_str("-- baas:destructive\n"),
                (Some(note), false) => {
                    out.push_str("-- ");
                    out.push_str(note);
                    out.push('\n');
                }
                (None, false) => {}
            }
            out.push_str(&statement.text);
            out.push_str(";\n\n");
        }
        out
    }

    /// Whether this SQLite script rebuilds or drops tables and so must run
    /// with foreign-key enforcement off: its first statement is
    /// [`SQLITE_FOREIGN_KEYS_OFF`] and its last [`SQLITE_FOREIGN_KEYS_ON`].
    /// A runner executes the first before `BEGIN` and the last after
    /// `COMMIT` (SQLite ignores both inside a transaction), and runs the
    /// rest in the transaction; the `PRAGMA foreign_key_check` before the
    /// end returns a row per broken reference, and any row must roll the
    /// transaction back.
    pub fn sqlite_foreign_keys_off(&self) -> bool {
        self.statements
            .first()
            .is_some_and(|s| s.text == SQLITE_FOREIGN_KEYS_OFF)
    }
}

/// The scripts that take a database from `before` to `after` and back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub target: Target,
    pub up: Script,
    pub down: Script,
    /// What the target engine cannot express exactly (a Postgres enum on
    /// SQLite becomes TEXT with a CHECK...), one line each, starting with
    /// the object it is about (`film.fulltext: ...`).
    pub lossy: Vec<String>,
}

/// A change the target engine cannot carry out at all.
#[derive(Debug, thiserror::Error)]
#[error("{target:?} cannot {what}")]
pub struct RenderError {
    pub target: Target,
    pub what: String,
}

/// Renders the scripts for `changes` (as returned by `diff(before, after)`).
///
/// Only the changes listed are carried out, except on SQLite, where a
/// table that must be rebuilt gets `after`'s shape as a whole.
pub fn render(
    target: Target,
    before: &Manifest,
    after: &Manifest,
    changes: &[Change],
) -> Result<Plan, RenderError> {
    // `[realtime] external`: the triggers it derives are rendered as engine objects.
    let (before, after) = (
        &*crate::realtime::with_objects(before, after),
        &*crate::realtime::with_objects(after, before),
    );
    let mut up_cx = Cx::new(target, before, after, changes, false);
    let up = render_script(&mut up_cx)?;
    let inverse = invert(changes);
    let mut down_cx = Cx::new(target, after, before, &inverse, true);
    let down = render_script(&mut down_cx)?;
    let mut lossy = up_cx.lossy;
    for line in down_cx.lossy {
        if !lossy.contains(&line) {
            lossy.push(line);
        }
    }
    Ok(Plan {
        target,
        up,
        down,
        lossy,
    })
}

fn render_script(cx: &mut Cx<'_>) -> Result<Script, RenderError> {
    if cx.target != Target::Postgres {
        // `[postgres]` objects exist only there.
        for change in cx.changes {
            if let ChangeKind::AddObject { object } | ChangeKind::AlterObject { object } =
                &change.kind
            {
                cx.lossy(format!(
                    "{object}: a PostgreSQL object; {} has no equivalent and it is left out",
                    cx.target
                ));
            }
            let ChangeKind::AddEntity { entity: name } = &change.kind else {
                continue;
            };
            let Some(added) = cx.after.entities.get(name) else {
                continue;
            };
            if let Some(key) = added.partition_by.as_deref() {
                cx.lossy(format!(
                    "`{name}` is partitioned by {key} on PostgreSQL; on {} it is one table \
                     and its partitions are left out",
                    cx.target
                ));
            }
            for exclusion in &added.exclusions {
                cx.lossy(format!(
                    "`{name}`: exclusion constraint `{}` is PostgreSQL's; {} has none and it \
                     is left out",
                    exclusion.name, cx.target
                ));
            }
            // MySQL keeps a key's comment (`PRIMARY KEY (id) COMMENT '...'`).
            for constraint in commented_constraints(added, cx.target == Target::Mysql) {
                cx.lossy(format!(
                    "`{name}`: the comment on {constraint} is left out; {} keeps none",
                    cx.target
                ));
            }
        }
    }
    for change in cx.changes {
        let ChangeKind::AddEntity { entity: name } = &change.kind else {
            continue;
        };
        let Some(added) = cx.after.entities.get(name) else {
            continue;
        };
        for (owner, what) in table_details_of_one_engine(added) {
            if Target::from(owner) != cx.target {
                cx.lossy(format!(
                    "`{name}`: {what} is {}'s; {} has none and it is left out",
                    owner.label(),
                    cx.target
                ));
            }
        }
    }
    let statements = match cx.target {
        Target::Postgres => postgres::render(cx)?,
        Target::Mysql => mysql::render(cx)?,
        Target::Sqlite => sqlite::render(cx)?,
        Target::Mongodb => mongo::render(cx)?,
    };
    Ok(Script { statements })
}

/// What `entity` holds that only PostgreSQL makes: the tables it inherits
/// from, its `NO INHERIT` checks, storage and replication settings of the
/// table, options of its keys' and indexes' indexes, an identity column's
/// sequence options; one phrase each (`UNLOGGED`, `INCLUDE (total) of
/// unique key (a, b)`).
fn postgres_table_details(entity: &Entity) -> Vec<String> {
    let mut details = Vec::new();
    if !entity.inherits.is_empty() {
        // The table is made with all its columns and checks.
        details.push(format!("`INHERITS ({})`", entity.inherits.join(", ")));
    }
    for check in entity.checks.iter().filter(|check| check.no_inherit) {
        details.push(format!(
            "`NO INHERIT` of check `{}`",
            check.name.as_deref().unwrap_or(&check.sql)
        ));
    }
    if entity.unlogged {
        details.push("`UNLOGGED`".to_owned());
    }
    if let Some(identity) = &entity.replica_identity {
        details.push(format!("`REPLICA IDENTITY {identity}`"));
    }
    if let Some(index) = &entity.cluster_on {
        details.push(format!("`CLUSTER ON {index}`"));
    }
    let with = |parameters: &[String]| format!("`WITH ({})`", parameters.join(", "));
    let include = |fields: &[String]| format!("`INCLUDE ({})`", fields.join(", "));
    if !entity.storage_parameters.is_empty() {
        details.push(with(&entity.storage_parameters));
    }
    if !entity.primary_key_include.is_empty() {
        details.push(format!(
            "{} of the primary key",
            include(&entity.primary_key_include)
        ));
    }
    if !entity.primary_key_with.is_empty() {
        details.push(format!(
            "{} of the primary key",
            with(&entity.primary_key_with)
        ));
    }
    for unique in &entity.uniques {
        let key = format!("of unique key ({})", unique.fields.join(", "));
        let options = &unique.options;
        if !options.include.is_empty() {
            details.push(format!("{} {key}", include(&options.include)));
        }
        if options.nulls_not_distinct {
            details.push(format!("`NULLS NOT DISTINCT` {key}"));
        }
        if !options.storage_parameters.is_empty() {
            details.push(format!("{} {key}", with(&options.storage_parameters)));
        }
    }
    for index in &entity.indexes {
        let of = format!("of index `{}`", index.name);
        let options = &index.options;
        let classes: Vec<&str> = options
            .operator_classes
            .iter()
            .filter(|class| !class.is_empty())
            .map(String::as_str)
            .collect();
        if !classes.is_empty() {
            details.push(format!("operator class `{}` {of}", classes.join("`, `")));
        }
        if !options.include.is_empty() {
            details.push(format!("{} {of}", include(&options.include)));
        }
        if options.nulls_not_distinct {
            details.push(format!("`NULLS NOT DISTINCT` {of}"));
        }
        if !options.storage_parameters.is_empty() {
            details.push(format!("{} {of}", with(&options.storage_parameters)));
        }
    }
    for (field_name, field) in &entity.fields {
        if let Some(options) = &field.identity_options {
            details.push(format!("identity `{options}` of `{field_name}`"));
        }
        if field.sequence_comment.is_some() {
            details.push(format!("the comment on the sequence of `{field_name}`"));
        }
    }
    details
}

/// What `entity` holds that only one engine makes of a table, with that
/// engine: PostgreSQL's [`postgres_table_details`], MySQL's `ROW_FORMAT` and
/// table collation, SQLite's `WITHOUT ROWID` and `STRICT`.
fn table_details_of_one_engine(entity: &Entity) -> Vec<(SqlDialect, String)> {
    let mut details: Vec<(SqlDialect, String)> = postgres_table_details(entity)
        .into_iter()
        .map(|what| (SqlDialect::Postgres, what))
        .collect();
    if let Some(format) = &entity.row_format {
        details.push((SqlDialect::Mysql, format!("`ROW_FORMAT={format}`")));
    }
    if let Some(collation) = &entity.collation {
        details.push((SqlDialect::Mysql, format!("the collation `{collation}`")));
    }
    if entity.without_rowid {
        details.push((SqlDialect::Sqlite, "`WITHOUT ROWID`".to_owned()));
    }
    if entity.strict {
        details.push((SqlDialect::Sqlite, "`STRICT`".to_owned()));
    }
    details
}

/// The constraints of `entity` that have a comment, as lossy lines name
/// them (`check \`price_positive\``); its keys' left out when `keys`.
fn commented_constraints(entity: &Entity, keys: bool) -> Vec<String> {
    let named = |kind: &str, name: Option<&str>, fields: &[String]| match name {
        Some(name) => format!("{kind} `{name}`"),
        None => format!("{kind} ({})", fields.join(", ")),
    };
    let mut out = Vec::new();
    if !keys {
        if entity.primary_key_comment.is_some() {
            out.push("the primary key".to_owned());
        }
        for unique in entity
            .uniques
            .iter()
            .filter(|u| u.options.comment.is_some())
        {
            out.push(named("unique key", unique.name.as_deref(), &unique.fields));
        }
    }
    for check in entity.checks.iter().filter(|c| c.comment.is_some()) {
        out.push(match &check.name {
            Some(name) => format!("check `{name}`"),
            None => format!("check `{}`", check.sql),
        });
    }
    for relation in entity.relations.iter().filter(|r| r.comment.is_some()) {
        out.push(named(
            "foreign key",
            relation.name.as_deref(),
            &relation.fields,
        ));
    }
    out
}

/// The changes that undo `changes`: adds become drops and the other way
/// round, renames swap their names. Candidates are only hints; they have no
/// inverse.
pub fn invert(changes: &[Change]) -> Vec<Change> {
    // Entity renames first: the inverse of a field rename names the entity
    // by its name before the change.
    let entity_back: BTreeMap<&str, &str> = changes
        .iter()
        .filter_map(|c| match &c.kind {
            ChangeKind::RenameEntity { from, to } => Some((to.as_str(), from.as_str())),
            _ => None,
        })
        .collect();
    let back = |entity: &String| -> String {
        entity_back
            .get(entity.as_str())
            .map_or_else(|| entity.clone(), |from| (*from).to_owned())
    };
    changes
        .iter()
        .filter_map(|change| {
            let kind = match change.kind.clone() {
                ChangeKind::AddEnum { name } => ChangeKind::DropEnum { name },
                ChangeKind::DropEnum { name } => ChangeKind::AddEnum { name },
                ChangeKind::AddEnumValue { name, value } => {
                    ChangeKind::RemoveEnumValue { name, value }
                }
                ChangeKind::RemoveEnumValue { name, value } => {
                    ChangeKind::AddEnumValue { name, value }
                }
                ChangeKind::AddEntity { entity } => ChangeKind::DropEntity { entity },
                ChangeKind::DropEntity { entity } => ChangeKind::AddEntity { entity },
                ChangeKind::RenameEntityCandidate { .. }
                | ChangeKind::RenameFieldCandidate { .. } => return None,
                ChangeKind::RenameEntity { from, to } => {
                    ChangeKind::RenameEntity { from: to, to: from }
                }
                ChangeKind::RenameField { entity, from, to } => ChangeKind::RenameField {
                    entity: back(&entity),
                    from: to,
                    to: from,
                },
                ChangeKind::AddField { entity, field } => ChangeKind::DropField {
                    entity: back(&entity),
                    field,
                },
                ChangeKind::DropField { entity, field } => ChangeKind::AddField {
                    entity: back(&entity),
                    field,
                },
                ChangeKind::AlterField {
                    entity,
                    field,
                    what,
                } => ChangeKind::AlterField {
                    entity: back(&entity),
                    field,
                    what,
                },
                ChangeKind::ChangePrimaryKey {
                    entity,
                    before,
                    after,
                } => ChangeKind::ChangePrimaryKey {
                    entity: back(&entity),
                    before: after,
                    after: before,
                },
                ChangeKind::AddIndex { entity, index } => ChangeKind::DropIndex {
                    entity: back(&entity),
                    index,
                },
                ChangeKind::DropIndex { entity, index } => ChangeKind::AddIndex {
                    entity: back(&entity),
                    index,
                },
                ChangeKind::AddRelation {
                    entity,
                    fields,
                    target,
                } => ChangeKind::DropRelation {
                    entity: back(&entity),
                    fields,
                    target,
                },
                ChangeKind::DropRelation {
                    entity,
                    fields,
                    target,
                } => ChangeKind::AddRelation {
                    entity: back(&entity),
                    fields,
                    target,
                },
                ChangeKind::AddUnique { entity, fields } => ChangeKind::DropUnique {
                    entity: back(&entity),
                    fields,
                },
                ChangeKind::DropUnique { entity, fields } => ChangeKind::AddUnique {
                    entity: back(&entity),
                    fields,
                },
                ChangeKind::AddCheck { entity, sql } => ChangeKind::DropCheck {
                    entity: back(&entity),
                    sql,
                },
                ChangeKind::DropCheck { entity, sql } => ChangeKind::AddCheck {
                    entity: back(&entity),
                    sql,
                },
                ChangeKind::AlterEntity { entity, what } => ChangeKind::AlterEntity {
                    entity: back(&entity),
                    what,
                },
                ChangeKind::AddObject { object } => ChangeKind::DropObject { object },
                ChangeKind::DropObject { object } => ChangeKind::AddObject { object },
                kind @ ChangeKind::AlterObject { .. } => kind,
                ChangeKind::AddPolicy { entity, name } => ChangeKind::DropPolicy {
                    entity: back(&entity),
                    name,
                },
                ChangeKind::DropPolicy { entity, name } => ChangeKind::AddPolicy {
                    entity: back(&entity),
                    name,
                },
                ChangeKind::SetRowSecurity { entity, enabled } => ChangeKind::SetRowSecurity {
                    entity: back(&entity),
                    enabled: !enabled,
                },
            };
            Some(Change {
                kind,
                safety: change.safety,
                reason: change.reason.clone(),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// What every engine's renderer shares

/// The state of one script's rendering.
pub(crate) struct Cx<'a> {
    pub target: Target,
    pub before: &'a Manifest,
    pub after: &'a Manifest,
    pub changes: &'a [Change],
    pub lossy: Vec<String>,
    /// Rendering a down script: what it creates restores what the up
    /// script dropped, without the rows.
    pub restoring: bool,
    /// Entity name after → before, for renamed entities.
    entity_renames: BTreeMap<String, String>,
    /// (entity after, field after) → field before, for renamed fields.
    field_renames: BTreeMap<(String, String), String>,
}

/// Foreign keys with the entity that holds them.
pub(crate) type EntityRelations = Vec<(String, Relation)>;

impl<'a> Cx<'a> {
    /// The foreign keys the changes drop and add, as `(entity, relation)`:
    /// dropped ones named as in `before`, added ones as in `after`. Every
    /// foreign key of a `dropped` table is dropped too, first, so that the
    /// tables can go in any order. Shared by the engines that change foreign
    /// keys with `ALTER TABLE` (PostgreSQL, MySQL).
    pub(crate) fn moved_relations(&self, dropped: &[String]) -> (EntityRelations, EntityRelations) {
        let mut dropped_relations = EntityRelations::new();
        let mut added_relations = EntityRelations::new();
        for change in self.changes {
            match &change.kind {
                ChangeKind::DropRelation {
                    entity,
                    fields,
                    target,
                } => {
                    let old_name = self.old_entity_name(entity).to_owned();
                    let new_relations = self
                        .after
                        .entities
                        .get(entity)
                        .map(|e| e.relations.clone())
                        .unwrap_or_default();
                    // The change names fields and target as they are called after
                    // any rename.
                    let old_fields = self.old_fields(entity, fields);
                    let old_target = self.old_entity_name(target).to_owned();
                    if let Some(relation) = self.before.entities.get(&old_name).and_then(|e| {
                        e.relations.iter().find(|r| {
                            r.fields == old_fields
                                && r.references.entity == old_target
                                && !new_relations.contains(r)
                        })
                    }) {
                        dropped_relations.push((old_name, relation.clone()));
                    }
                }
                ChangeKind::AddRelation {
                    entity,
                    fields,
                    target,
                } => {
                    let old_relations = self
                        .old_entity(entity)
                        .map(|e| e.relations.clone())
                        .unwrap_or_default();
                    if let Some(relation) = self.after.entities.get(entity).and_then(|e| {
                        e.relations.iter().find(|r| {
                            &r.fields == fields
                                && &r.references.entity == target
                                && !old_relations.contains(r)
                        })
                    }) {
                        added_relations.push((entity.clone(), relation.clone()));
                    }
                }
                _ => {}
            }
        }
        // The foreign keys of dropped tables go first, so that the tables
        // drop in any order.
        for name in dropped {
            if let Some(entity) = self.before.entities.get(name)
                && !is_view(entity)
            {
                for relation in &entity.relations {
                    if !dropped_relations
                        .iter()
                        .any(|(n, r)| n == name && r == relation)
                    {
                        dropped_relations.push((name.clone(), relation.clone()));
                    }
                }
            }
        }
        (dropped_relations, added_relations)
    }

    /// Completes `added_relations`: a foreign key dropped only to let a key
    /// or column change (its table stays, the relation is still in `after`)
    /// is added again, and every `created` table gets its foreign keys.
    pub(crate) fn restore_relations(
        &self,
        dropped: &[String],
        created: &[String],
        dropped_relations: &[(String, Relation)],
        added_relations: &mut EntityRelations,
    ) {
        for (name, relation) in dropped_relations.iter().cloned() {
            // Added again when the relation is still in `after` (same table).
            if dropped.contains(&name) {
                continue;
            }
            let new_name = self
                .after
                .entities
                .keys()
                .find(|n| self.old_entity_name(n) == name)
                .cloned();
            if let Some(new_name) = new_name
                && let Some(entity) = self.after.entities.get(&new_name)
                && let Some(kept) = entity.relations.iter().find(|r| {
                    r.fields == relation.fields && r.references.fields == relation.references.fields
                })
                && !added_relations
                    .iter()
                    .any(|(n, r)| n == &new_name && r == kept)
            {
                added_relations.push((new_name, kept.clone()));
            }
        }
        // New tables' foreign keys.
        for name in created {
            if let Some(entity) = self.after.entities.get(name)
                && !is_view(entity)
            {
                for relation in &entity.relations {
                    added_relations.push((name.clone(), relation.clone()));
                }
            }
        }
    }
    fn new(
        target: Target,
        before: &'a Manifest,
        after: &'a Manifest,
        changes: &'a [Change],
        restoring: bool,
    ) -> Self {
        let mut entity_renames = BTreeMap::new();
        let mut field_renames = BTreeMap::new();
        for change in changes {
            match &change.kind {
                ChangeKind::RenameEntity { from, to } => {
                    entity_renames.insert(to.clone(), from.clone());
                }
                ChangeKind::RenameField { entity, from, to } => {
                    field_renames.insert((entity.clone(), to.clone()), from.clone());
                }
                _ => {}
            }
        }
        Self {
            target,
            before,
            after,
            changes,
            lossy: Vec::new(),
            restoring,
            entity_renames,
            field_renames,
        }
    }

    /// Records a lossy conversion once.
    pub fn lossy(&mut self, line: impl Into<String>) {
        let line = line.into();
        if !self.lossy.contains(&line) {
            self.lossy.push(line);
        }
    }

    /// The name `entity` (named as in `after`) had in `before`.
    pub fn old_entity_name<'s>(&'s self, entity: &'s str) -> &'s str {
        self.entity_renames
            .get(entity)
            .map_or(entity, String::as_str)
    }

    /// `entity` (named as in `after`) as it was in `before`.
    pub fn old_entity(&self, entity: &str) -> Option<&'a Entity> {
        self.before.entities.get(self.old_entity_name(entity))
    }

    /// The name field `field` of `entity` (both named as in `after`) had in
    /// `before`.
    pub fn old_field_name<'s>(&'s self, entity: &str, field: &'s str) -> &'s str {
        self.field_renames
            .get(&(entity.to_owned(), field.to_owned()))
            .map_or(field, String::as_str)
    }

    /// `fields` of `entity` (named as in `after`) by their names in `before`.
    pub fn old_fields(&self, entity: &str, fields: &[String]) -> Vec<String> {
        fields
            .iter()
            .map(|f| self.old_field_name(entity, f).to_owned())
            .collect()
    }

    /// The engine whose types and SQL `manifest` carries; `None` when its
    /// source does not say (a hand-written manifest: trusted everywhere).
    pub fn source_of(manifest: &Manifest) -> Option<Option<Target>> {
        manifest
            .source
            .as_ref()
            .map(|source| Target::of_engine(source.engine))
    }

    /// Whether the native types and SQL text of `manifest` are written for
    /// this target.
    pub fn same_engine(&self, manifest: &Manifest) -> bool {
        match Self::source_of(manifest) {
            None => true,
            Some(engine) => engine == Some(self.target),
        }
    }

    /// The SQL dialect `manifest`'s SQL text is written in, when known.
    pub fn source_target(manifest: &Manifest) -> Option<Target> {
        Self::source_of(manifest).flatten()
    }

    /// The changes that concern `entity` (named as in `after`).
    pub fn changes_of(&self, entity: &str) -> Vec<&'a ChangeKind> {
        let changes: &'a [Change] = self.changes;
        changes
            .iter()
            .map(|c| &c.kind)
            .filter(|kind| change_entity(kind) == Some(entity))
            .collect()
    }

    /// The safety and reason of the change `kind` (one of this script's).
    pub fn reason_of(&self, kind: &ChangeKind) -> Option<(crate::diff::Safety, String)> {
        self.changes
            .iter()
            .find(|c| std::ptr::eq(&c.kind, kind))
            .map(|c| (c.safety, c.reason.clone()))
    }

    /// The comment of a statement that recreates `what` in a down script.
    pub fn restore_note(&self, what: &str) -> Option<String> {
        self.restoring.then(|| {
            format!("recreates {what} as it was; the rows the up script dropped are not restored")
        })
    }
}

/// The entity a change is about (its name after the change).
pub(crate) fn change_entity(kind: &ChangeKind) -> Option<&str> {
    Some(match kind {
        ChangeKind::AddEntity { entity }
        | ChangeKind::DropEntity { entity }
        | ChangeKind::AddField { entity, .. }
        | ChangeKind::DropField { entity, .. }
        | ChangeKind::AlterField { entity, .. }
        | ChangeKind::RenameField { entity, .. }
        | ChangeKind::ChangePrimaryKey { entity, .. }
        | ChangeKind::AddIndex { entity, .. }
        | ChangeKind::DropIndex { entity, .. }
        | ChangeKind::AddRelation { entity, .. }
        | ChangeKind::DropRelation { entity, .. }
        | ChangeKind::AddUnique { entity, .. }
        | ChangeKind::DropUnique { entity, .. }
        | ChangeKind::AddCheck { entity, .. }
        | ChangeKind::DropCheck { entity, .. }
        | ChangeKind::AlterEntity { entity, .. } => entity,
        ChangeKind::RenameEntity { to, .. } => to,
        _ => return None,
    })
}

/// `field` with every `native` type removed (arrays and objects included),
/// for an engine the natives were not written for.
pub(crate) fn without_natives(field: &Field) -> Field {
    let mut field = field.clone();
    if field.ty != FieldType::Native {
        field.native = None;
    }
    if let Some(items) = &field.items {
        field.items = Some(Box::new(without_natives(items)));
    }
    field
}

/// The field to render on `cx.target`: as written when its native types
/// belong to the target; else with them dropped, and a lossy line for each
/// dropped one. `None` means a `type = "native"` field whose type the
/// target does not have (the caller picks a stand-in).
pub(crate) fn portable_field(
    cx: &mut Cx<'_>,
    manifest: &Manifest,
    object: &str,
    field: &Field,
) -> Option<Field> {
    if cx.same_engine(manifest) {
        return Some(field.clone());
    }
    if field.ty == FieldType::Native {
        return None;
    }
    let stripped = without_natives(field);
    if stripped != *field
        && let Some(native) = field
            .native
            .as_deref()
            .or_else(|| field.items.as_ref().and_then(|i| i.native.as_deref()))
    {
        let from = Cx::source_target(manifest).map_or("another engine", Target::name);
        cx.lossy(format!(
            "{object}: `{native}` is a {from} type; written as the {} type for {}",
            cx.target,
            field.type_label()
        ));
    }
    Some(stripped)
}

/// Entities of `kind` (tables, or views and materialized views) in `names`
/// order.
pub(crate) fn is_view(entity: &Entity) -> bool {
    entity.kind != EntityKind::Table
}

/// Whether `text` mentions `name` as a whole identifier (quoted or not).
pub(crate) fn mentions(text: &str, name: &str) -> bool {
    match Tokenizer::new(&GenericDialect {}, text).tokenize() {
        Ok(tokens) => tokens.iter().any(|token| match token {
            Token::Word(word) => word.value.eq_ignore_ascii_case(name),
            _ => false,
        }),
        Err(_) => text.contains(name),
    }
}

/// Views in an order where every view comes after the views its query
/// mentions (a cycle keeps the remaining names in order).
pub(crate) fn view_order<'m>(manifest: &'m Manifest, names: &BTreeSet<String>) -> Vec<&'m str> {
    let mut pending: Vec<&str> = manifest
        .entities
        .keys()
        .filter(|name| names.contains(*name))
        .map(String::as_str)
        .collect();
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        let ready = pending.iter().position(|name| {
            let definition = manifest.entities[*name].definition.as_deref().unwrap_or("");
            !pending.iter().any(|other| {
                other != name && mentions(definition, &manifest.entities[*other].table)
            })
        });
        let next = pending.remove(ready.unwrap_or(0));
        ordered.push(next);
    }
    ordered
}

/// The views of `manifest` whose query mentions one of `tables`, directly
/// or through another such view.
pub(crate) fn views_using(manifest: &Manifest, tables: &BTreeSet<String>) -> BTreeSet<String> {
    let mut used: BTreeSet<String> = tables.clone();
    let mut views = BTreeSet::new();
    loop {
        let mut grew = false;
        for (name, entity) in &manifest.entities {
            if !is_view(entity) || views.contains(name) {
                continue;
            }
            let definition = entity.definition.as_deref().unwrap_or("");
            if used.iter().any(|table| mentions(definition, table)) {
                views.insert(name.clone());
                used.insert(entity.table.clone());
                grew = true;
            }
        }
        if !grew {
            return views;
        }
    }
}

/// SQL text written for `from` (an engine, or unknown) as `to` would read
/// it: identifier quotes translated; `None` when it uses syntax of its own
/// engine that `to` does not have (`::` casts, `~~` pattern operators, ...).
pub(crate) fn translate_sql(text: &str, from: Option<Target>, to: Target) -> Option<String> {
    if from == Some(to) {
        return Some(text.to_owned());
    }
    let dialect: Box<dyn SqlparserDialect> = match from {
        Some(Target::Mysql) => Box::new(MySqlDialect {}),
        _ => Box::new(GenericDialect {}),
    };
    let tokens = Tokenizer::new(dialect.as_ref(), text).tokenize().ok()?;
    let mut out = String::with_capacity(text.len());
    for token in tokens {
        match &token {
            Token::DoubleColon
            | Token::Tilde
            | Token::TildeAsterisk
            | Token::ExclamationMarkTilde
            | Token::ExclamationMarkTildeAsterisk
            | Token::DoubleTilde
            | Token::DoubleTildeAsterisk
            | Token::ExclamationMarkDoubleTilde
            | Token::ExclamationMarkDoubleTildeAsterisk
            | Token::Arrow
            | Token::LongArrow
            | Token::HashArrow
            | Token::HashLongArrow
            | Token::AtArrow
            | Token::ArrowAt
            | Token::Placeholder(_) => return None,
            Token::Word(word) if word.quote_style.is_some() => {
                let quoted = match to {
                    Target::Mysql => format!("`{}`", word.value.replace('`', "``")),
                    _ => format!("\"{}\"", word.value.replace('"', "\"\"")),
                };
                out.push_str(&quoted);
            }
            Token::Word(word)
                if to != Target::Postgres
                    && ["ilike", "similar", "nextval", "regclass"]
                        .contains(&word.value.to_ascii_lowercase().as_str()) =>
            {
                return None;
            }
            // `||` concatenates in PostgreSQL and SQLite, but means OR in MySQL.
            Token::StringConcat if to == Target::Mysql => return None,
            other => out.push_str(&other.to_string()),
        }
    }
    Some(out)
}

/// An SQL expression of `manifest` (a default, check, index key or
/// predicate) as `cx.target` reads it: as written when the manifest is of
/// the target's engine; else the usual current-time synonyms, or the text
/// with its identifier quotes translated when it calls only `functions`
/// (a function the target lacks would fail when a row is written) and uses
/// no syntax of its own engine. `None` when it cannot be carried over.
pub(crate) fn expression(
    cx: &Cx<'_>,
    manifest: &Manifest,
    sql: &str,
    functions: &dyn Fn(&str) -> bool,
) -> Option<String> {
    if cx.same_engine(manifest) {
        return Some(sql.to_owned());
    }
    let squeezed: String = sql
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    match squeezed.as_str() {
        "now()"
        | "current_timestamp"
        | "current_timestamp()"
        | "localtimestamp"
        | "transaction_timestamp()"
        | "statement_timestamp()"
        | "datetime('now')" => {
            return Some("CURRENT_TIMESTAMP".into());
        }
        "current_date" | "curdate()" | "date('now')" => return Some("CURRENT_DATE".into()),
        "current_time" | "curtime()" | "time('now')" => return Some("CURRENT_TIME".into()),
        _ => {}
    }
    let translated = translate_sql(sql, Cx::source_target(manifest), cx.target)?;
    let tokens = Tokenizer::new(&GenericDialect {}, &translated)
        .tokenize()
        .ok()?;
    let calls_unknown = tokens
        .iter()
        .filter(|token| !matches!(token, Token::Whitespace(_)))
        .collect::<Vec<_>>()
        .windows(2)
        .any(|pair| match pair {
            [Token::Word(word), Token::LParen] => {
                word.quote_style.is_none() && !functions(&word.value.to_ascii_lowercase())
            }
            _ => false,
        });
    (!calls_unknown).then_some(translated)
}

/// The name an index gets: its own, unless another entity of `manifest` has
/// an index (or table) of that name (MySQL names indexes per table;
/// PostgreSQL and SQLite per schema), then `<table>_<name>`.
pub(crate) fn index_name(
    manifest: &Manifest,
    entity_name: &str,
    index: &crate::manifest::Index,
) -> String {
    let taken = manifest.entities.iter().any(|(other_name, other)| {
        (other_name != entity_name && other.indexes.iter().any(|i| i.name == index.name))
            || other.table == index.name
    });
    match manifest.entities.get(entity_name) {
        Some(entity) if taken => format!("{}_{}", entity.table, index.name),
        _ => index.name.clone(),
    }
}

/// The lossy line of an invisible `field` on `engine`, which has no
/// invisible columns (MariaDB and MySQL do).
pub(crate) fn visible_on(cx: &mut Cx<'_>, engine: &str, here: &str, field: &Field) {
    if field.invisible {
        cx.lossy(format!(
            "{here}: {engine} has no invisible columns; this column is visible"
        ));
    }
}

/// The lossy line of an invisible `index` (MySQL, MariaDB) on `engine`,
/// which has no invisible indexes.
pub(crate) fn visible_index_on(cx: &mut Cx<'_>, engine: &str, here: &str, index: &Index) {
    if index.options.invisible {
        cx.lossy(format!(
            "{here}: {engine} has no invisible indexes; this index is visible"
        ));
    }
}

/// The lossy line of an `index` with a comment on an engine that keeps no
/// comments on indexes.
pub(crate) fn index_comment_left_out(cx: &mut Cx<'_>, here: &str, index: &Index) {
    if index.options.comment.is_some() {
        cx.lossy(format!("{here}: the index's comment is left out"));
    }
}

/// `text` as a single-quoted SQL string literal. MySQL (without
/// `NO_BACKSLASH_ESCAPES`) also reads backslashes as escapes.
pub(crate) fn string_literal(text: &str, backslashes: bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for ch in text.chars() {
        match ch {
            '\'' => out.push_str("''"),
            '\\' if backslashes => out.push_str("\\\\"),
            ch => out.push(ch),
        }
    }
    out.push('\'');
    out
}

/// A float as SQL: always with a `.` or an exponent, so that it reads back
/// as a float (`0.0`, `4.99`, `1e100`).
pub(crate) fn float_literal(value: f64) -> String {
    let text = format!("{value:?}");
    if text.contains(['.', 'e', 'E']) || !value.is_finite() {
        text
    } else {
        format!("{text}.0")
    }
}

/// An object name for lossy lines and comments: `entity.field`.
pub(crate) fn object(entity: &str, field: &str) -> String {
    format!("{entity}.{field}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_write_notes_and_destructive_markers() {
        let script = Script {
            statements: vec![
                Statement::new("CREATE TABLE \"a\" (\"x\" INT)").note("a new table"),
                Statement::new("DROP TABLE \"b\"").destructive("drops `b` and its rows"),
                Statement::new("SELECT 1"),
            ],
        };
        assert_eq!(
            script.to_sql(),
            "-- a new table\nCREATE TABLE \"a\" (\"x\" INT);\n\n\
             -- baas:destructive drops `b` and its rows\nDROP TABLE \"b\";\n\n\
             SELECT 1;\n\n"
        );
    }

    #[test]
    fn foreign_sql_is_translated_or_refused() {
        assert_eq!(
            translate_sql("`price` >= 0", Some(Target::Mysql), Target::Postgres).as_deref(),
            Some("\"price\" >= 0")
        );
        assert_eq!(
            translate_sql("\"a\" > 1", Some(Target::Postgres), Target::Mysql).as_deref(),
            Some("`a` > 1")
        );
        assert_eq!(
            translate_sql("(x)::text ~~ 'a%'", Some(Target::Postgres), Target::Sqlite),
            None
        );
        assert_eq!(
            translate_sql("a || b", Some(Target::Postgres), Target::Mysql),
            None
        );
    }

    #[test]
    fn floats_keep_a_point() {
        assert_eq!(float_literal(0.0), "0.0");
        assert_eq!(float_literal(4.99), "4.99");
        assert_eq!(float_literal(1e100), "1e100");
        assert_eq!(float_literal(-2.0), "-2.0");
    }
}
