//! `diff(before, after)`: the changes between two manifests, each classified
//! as safe, needs-review or destructive with a one-line reason. Pure: no I/O,
//! no dialect. Renames are never guessed silently: a dropped and an added
//! field (or entity) of compatible shape are reported as drop + add, plus a
//! rename candidate.
//!
//! Equal things spelled differently are not changes: defaults, checks,
//! generated columns and index predicates are compared as parsed SQL,
//! engine type names without case, spacing or synonyms (`int4` is
//! `integer`), a native type that only spells out the portable type's own
//! is no type at all, and a constraint without a name matches the same
//! constraint under the name the engine gave it ([`normalize`]).
//!
//! A drop and an add become a rename only when the manifest says so
//! (`renamed_from = "old"` on the entity or field) or the caller does
//! ([`diff_with_renames`], `baas diff --rename old=new`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::dialect::postgres::partition_bound_key;
use crate::manifest::{
    Check, EngineObject, EngineObjects, Entity, Exclusion, Field, FieldType, Generated, Index,
    Manifest, ObjectKind, Partition, Relation, SourceEngine, Unique,
};

mod align;
mod mongodb;
mod mysql;
mod normalize;
mod policies;
mod sqlite;

pub use align::named_like;

pub use normalize::{
    default_eq, exclusion_eq, identity_bounds, identity_options, index_eq, relation_eq, sql_eq,
    statement_eq,
};

/// How risky a change is for the data already in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Safety {
    Safe,
    NeedsReview,
    Destructive,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeKind {
    AddEnum {
        name: String,
    },
    DropEnum {
        name: String,
    },
    AddEnumValue {
        name: String,
        value: String,
    },
    RemoveEnumValue {
        name: String,
        value: String,
    },
    AddEntity {
        entity: String,
    },
    DropEntity {
        entity: String,
    },
    RenameEntityCandidate {
        from: String,
        to: String,
    },
    /// `to` is `from` renamed (said by `renamed_from` or `--rename`): the
    /// rows are kept. Changes inside the entity name it `to`.
    RenameEntity {
        from: String,
        to: String,
    },
    AddField {
        entity: String,
        field: String,
    },
    DropField {
        entity: String,
        field: String,
    },
    AlterField {
        entity: String,
        field: String,
        what: Vec<String>,
    },
    RenameFieldCandidate {
        entity: String,
        from: String,
        to: String,
    },
    /// Field `from` of `entity` (its name after the change) is now `to`:
    /// the values are kept.
    RenameField {
        entity: String,
        from: String,
        to: String,
    },
    ChangePrimaryKey {
        entity: String,
        before: Vec<String>,
        after: Vec<String>,
    },
    AddIndex {
        entity: String,
        index: String,
    },
    DropIndex {
        entity: String,
        index: String,
    },
    AddRelation {
        entity: String,
        fields: Vec<String>,
        target: String,
    },
    DropRelation {
        entity: String,
        fields: Vec<String>,
        target: String,
    },
    AddUnique {
        entity: String,
        fields: Vec<String>,
    },
    DropUnique {
        entity: String,
        fields: Vec<String>,
    },
    AddCheck {
        entity: String,
        sql: String,
    },
    DropCheck {
        entity: String,
        sql: String,
    },
    AlterEntity {
        entity: String,
        what: Vec<String>,
    },
    /// An engine object (`[postgres]`) by its key: `extension pg_trgm`,
    /// `function public.last_updated()`, `trigger t ON public.film`.
    AddObject {
        object: String,
    },
    DropObject {
        object: String,
    },
    /// Its definition changed.
    AlterObject {
        object: String,
    },
    /// A row-level security policy made from a rule (`[auth] rls = true`
    /// on PostgreSQL), named `baas_<action>_<hash>`.
    AddPolicy {
        entity: String,
        name: String,
    },
    DropPolicy {
        entity: String,
        name: String,
    },
    /// Row-level security turned on (or off) for the rules.
    SetRowSecurity {
        entity: String,
        enabled: bool,
    },
}

/// One change with its classification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    #[serde(flatten)]
    pub kind: ChangeKind,
    pub safety: Safety,
    pub reason: String,
}

impl Change {
    fn new(kind: ChangeKind, safety: Safety, reason: impl Into<String>) -> Self {
        Self {
            kind,
            safety,
            reason: reason.into(),
        }
    }
}

/// Every change from `before` to `after`, in a stable order: enums, then
/// entities by name, and within an entity fields before keys and indexes.
pub fn diff(before: &Manifest, after: &Manifest) -> Vec<Change> {
    diff_with_renames(before, after, &[])
}

/// [`diff`], with `renames` (old name → new name, each `entity` or
/// `entity.field`; a new name without an entity keeps the old one's) taken
/// as renames rather than drop + add, like `renamed_from` in the manifest.
/// A pair whose old name still exists, or whose new name already did, is
/// not a rename.
pub fn diff_with_renames(
    before: &Manifest,
    after: &Manifest,
    renames: &[(String, String)],
) -> Vec<Change> {
    let types = Engines {
        before: before.source.as_ref().map(|s| s.engine),
        after: after.source.as_ref().map(|s| s.engine),
    };
    let mut changes = Vec::new();
    // `[realtime] external`: its triggers are engine objects like the others.
    engine_objects(
        &crate::realtime::with_objects(before, after).postgres,
        &crate::realtime::with_objects(after, before).postgres,
        &mut changes,
    );
    enums(before, after, &mut changes);

    // Entity renames: new name → old name.
    let mut entity_renames: std::collections::BTreeMap<&str, &str> =
        std::collections::BTreeMap::new();
    let is_rename = |from: &str, to: &str| {
        before.entities.contains_key(from)
            && !after.entities.contains_key(from)
            && after.entities.contains_key(to)
            && !before.entities.contains_key(to)
    };
    for (from, to) in renames {
        if !from.contains('.') && !to.contains('.') && is_rename(from, to) {
            entity_renames.insert(to.as_str(), from.as_str());
        }
    }
    for (name, entity) in &after.entities {
        if let Some(from) = entity.renamed_from.as_deref()
            && is_rename(from, name)
        {
            entity_renames.entry(name.as_str()).or_insert(from);
        }
    }
    let renamed_away: BTreeSet<&str> = entity_renames.values().copied().collect();

    // Field renames of every entity on both sides: new entity name →
    // (new field → old field).
    let mut field_maps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (name, new) in &after.entities {
        let old_name = entity_renames.get(name.as_str()).copied().unwrap_or(name);
        if let Some(old) = before.entities.get(old_name) {
            let explicit = field_renames(old_name, name, renames);
            field_maps.insert(name.clone(), field_rename_map(old, new, &explicit));
        }
    }
    // `before` with renamed entities and fields called by their new names
    // wherever keys, indexes and foreign keys refer to them, so that only
    // the renames themselves are changes.
    let before = &remap(before, after, &entity_renames, &field_maps);

    let names: BTreeSet<&String> = before
        .entities
        .keys()
        .chain(after.entities.keys())
        .collect();
    let mut dropped = Vec::new();
    let mut added = Vec::new();
    for name in names {
        if renamed_away.contains(name.as_str()) {
            continue;
        }
        if let Some(from) = entity_renames.get(name.as_str()) {
            changes.push(Change::new(
                ChangeKind::RenameEntity {
                    from: (*from).to_owned(),
                    to: name.clone(),
                },
                Safety::Safe,
                format!("renames `{from}` to `{name}`; the rows are kept"),
            ));
            entity(
                name,
                &before.entities[*from],
                &after.entities[name],
                &field_maps[name.as_str()],
                &types,
                &mut changes,
            );
            continue;
        }
        match (before.entities.get(name), after.entities.get(name)) {
            (Some(old), Some(new)) => entity(
                name,
                old,
                new,
                &field_maps[name.as_str()],
                &types,
                &mut changes,
            ),
            (Some(_), None) => {
                dropped.push(name);
                changes.push(Change::new(
                    ChangeKind::DropEntity {
                        entity: name.clone(),
                    },
                    Safety::Destructive,
                    format!("drops `{name}` and every row in it"),
                ));
            }
            (None, Some(_)) => {
                added.push(name);
                changes.push(Change::new(
                    ChangeKind::AddEntity {
                        entity: name.clone(),
                    },
                    Safety::Safe,
                    format!("creates `{name}`"),
                ));
            }
            (None, None) => {}
        }
    }
    for from in &dropped {
        for to in &added {
            if same_shape(
                &before.entities[*from].fields,
                &after.entities[*to].fields,
                &types,
            ) {
                changes.push(Change::new(
                    ChangeKind::RenameEntityCandidate {
                        from: (*from).clone(),
                        to: (*to).clone(),
                    },
                    Safety::NeedsReview,
                    format!("`{to}` has the fields of `{from}`: a rename keeps the rows, drop + create loses them"),
                ));
            }
        }
    }
    policies::policies(before, after, &mut changes);
    changes
}

/// The source engines of both sides, for comparing native types.
struct Engines {
    before: Option<SourceEngine>,
    after: Option<SourceEngine>,
}

impl Engines {
    fn native_before(&self, field: &Field) -> Option<String> {
        normalize::effective_native(field, self.before)
    }

    fn native_after(&self, field: &Field) -> Option<String> {
        normalize::effective_native(field, self.after)
    }

    /// Both sides come from known, different engines (a SQLite manifest
    /// against a PostgreSQL database): their pinned native types cannot be
    /// compared, only the portable types can.
    fn across_engines(&self) -> bool {
        matches!((self.before, self.after), (Some(a), Some(b)) if a != b)
    }

    /// Whether the pinned native types differ, where that can be told.
    fn native_changed(&self, old: &Field, new: &Field) -> bool {
        if self.across_engines() && old.ty != FieldType::Native && new.ty != FieldType::Native {
            return false;
        }
        self.native_before(old) != self.native_after(new)
    }

    /// Whether two fields' values are produced the same way. Across engines
    /// every auto-numbering kind (identity, serial, autoincrement, rowid) is
    /// each engine's way of saying the same thing.
    fn generated_eq(&self, old: &Field, new: &Field) -> bool {
        if self.across_engines()
            && let (Some(Generated::Kind(_)), Some(Generated::Kind(_))) =
                (&old.generated, &new.generated)
        {
            return true;
        }
        normalize::generated_eq(&old.generated, &new.generated)
    }

    /// Whether `old` (of `before`) and `new` (of `after`) are of the same
    /// type, spelling aside.
    fn same_type(&self, old: &Field, new: &Field) -> bool {
        old.ty == new.ty
            && old.max_length == new.max_length
            && old.precision == new.precision
            && old.scale == new.scale
            && !self.native_changed(old, new)
            && old.enum_name == new.enum_name
            && match (&old.items, &new.items) {
                (Some(a), Some(b)) => self.same_type(a, b),
                (a, b) => a == b,
            }
            && old.fields == new.fields
    }
}

/// Field renames from `old` to `new`: new name → old name, from
/// `explicit` pairs and `renamed_from`. A pair whose old name is still
/// there, or whose new name already was, is not a rename.
fn field_rename_map(
    old: &Entity,
    new: &Entity,
    explicit: &[(String, String)],
) -> BTreeMap<String, String> {
    let is_rename = |from: &str, to: &str| {
        old.fields.contains_key(from)
            && !new.fields.contains_key(from)
            && new.fields.contains_key(to)
            && !old.fields.contains_key(to)
    };
    let mut map = BTreeMap::new();
    for (from, to) in explicit {
        if is_rename(from, to) {
            map.insert(to.clone(), from.clone());
        }
    }
    for (name, field) in &new.fields {
        if let Some(from) = field.renamed_from.as_deref()
            && is_rename(from, name)
            && !map.values().any(|taken| taken == from)
        {
            map.entry(name.clone()).or_insert_with(|| from.to_owned());
        }
    }
    map
}

/// `before` with the new names of renamed entities and fields in keys,
/// index parts, uniques and foreign keys (field names themselves stay), and
/// their new column names in SQL text: checks, index expressions and
/// predicates, partition keys, and what each partition has of its own. A
/// column renamed on a partitioned table is renamed once on the table, and
/// PostgreSQL renames it in all of these.
fn remap(
    before: &Manifest,
    after: &Manifest,
    entity_renames: &BTreeMap<&str, &str>,
    field_maps: &BTreeMap<String, BTreeMap<String, String>>,
) -> Manifest {
    if entity_renames.is_empty() && field_maps.values().all(BTreeMap::is_empty) {
        return before.clone();
    }
    // old entity name → (new entity name, old field → new field)
    let mut by_old: BTreeMap<&str, (&str, BTreeMap<&str, &str>)> = BTreeMap::new();
    for (new_name, map) in field_maps {
        let old_name = entity_renames
            .get(new_name.as_str())
            .copied()
            .unwrap_or(new_name.as_str());
        let fields = map
            .iter()
            .map(|(to, from)| (from.as_str(), to.as_str()))
            .collect();
        by_old.insert(old_name, (new_name.as_str(), fields));
    }
    let mut out = before.clone();
    for (old_name, entity) in &mut out.entities {
        let rename = |fields: &mut Vec<String>, map: Option<&BTreeMap<&str, &str>>| {
            if let Some(map) = map {
                for field in fields.iter_mut() {
                    if let Some(to) = map.get(field.as_str()) {
                        *field = (*to).to_owned();
                    }
                }
            }
        };
        let own = by_old.get(old_name.as_str()).map(|(_, map)| map);
        // Old column → new column, for SQL text.
        let columns: BTreeMap<String, String> = match by_old.get(old_name.as_str()) {
            Some((new_name, map)) => map
                .iter()
                .filter_map(|(from, to)| {
                    let old_field = entity.fields.get(*from)?;
                    let new_field = after.entities.get(*new_name)?.fields.get(*to)?;
                    Some((
                        old_field.column_name(from).to_owned(),
                        new_field.column_name(to).to_owned(),
                    ))
                })
                .filter(|(from, to)| from != to)
                .collect(),
            None => BTreeMap::new(),
        };
        let sql = |text: &mut String| {
            if !columns.is_empty() {
                *text = normalize::rename_columns(text, &columns);
            }
        };
        let indexes = |indexes: &mut Vec<Index>| {
            for index in indexes {
                for part in &mut index.fields {
                    match part {
                        crate::manifest::IndexPart::Field { field, .. } => {
                            if let Some(to) = own.and_then(|map| map.get(field.as_str())) {
                                *field = (*to).to_owned();
                            }
                        }
                        crate::manifest::IndexPart::Expression { sql: text, .. } => sql(text),
                    }
                }
                if let Some(predicate) = &mut index.predicate {
                    sql(predicate);
                }
                rename(&mut index.options.include, own);
            }
        };
        let relations = |relations: &mut Vec<Relation>| {
            for relation in relations {
                rename(&mut relation.fields, own);
                let target = by_old.get(relation.references.entity.as_str());
                rename(&mut relation.references.fields, target.map(|(_, map)| map));
                if let Some((new_name, _)) = target
                    && entity_renames.get(new_name) == Some(&relation.references.entity.as_str())
                {
                    relation.references.entity = (*new_name).to_owned();
                }
            }
        };
        rename(&mut entity.primary_key, own);
        rename(&mut entity.primary_key_include, own);
        for unique in &mut entity.uniques {
            rename(&mut unique.fields, own);
            rename(&mut unique.options.include, own);
        }
        indexes(&mut entity.indexes);
        relations(&mut entity.relations);
        for check in &mut entity.checks {
            sql(&mut check.sql);
        }
        for exclusion in &mut entity.exclusions {
            sql(&mut exclusion.sql);
        }
        for field in entity.fields.values_mut() {
            if let Some(Generated::Computed { sql: text, .. }) = &mut field.generated {
                sql(text);
            }
        }
        if let Some(key) = &mut entity.partition_by {
            sql(key);
        }
        for partition in &mut entity.partitions {
            if let Some(key) = &mut partition.partition_by {
                sql(key);
            }
            rename(&mut partition.primary_key, own);
            for unique in &mut partition.uniques {
                rename(&mut unique.fields, own);
                rename(&mut unique.options.include, own);
            }
            for exclusion in &mut partition.exclusions {
                sql(&mut exclusion.sql);
            }
            indexes(&mut partition.indexes);
            for check in &mut partition.checks {
                sql(&mut check.sql);
            }
            relations(&mut partition.relations);
        }
    }
    out
}

/// The field renames of entity `from` (before) → `to` (after) in `renames`.
fn field_renames(from: &str, to: &str, renames: &[(String, String)]) -> Vec<(String, String)> {
    renames
        .iter()
        .filter_map(|(old, new)| {
            let (old_entity, old_field) = old.split_once('.')?;
            let (new_entity, new_field) = new.split_once('.').unwrap_or((old_entity, new.as_str()));
            (old_entity == from && (new_entity == to || new_entity == from && old_entity == to))
                .then(|| (old_field.to_owned(), new_field.to_owned()))
        })
        .collect()
}

/// Extensions and engine objects, by key; an object whose statement
/// differs (spacing aside), whose owner or whose comment differs is
/// altered.
fn engine_objects(before: &EngineObjects, after: &EngineObjects, changes: &mut Vec<Change>) {
    let names: BTreeSet<&String> = before
        .extensions
        .keys()
        .chain(after.extensions.keys())
        .collect();
    for name in names {
        let object = format!("extension {name}");
        match (before.extensions.get(name), after.extensions.get(name)) {
            (Some(old), Some(new)) => {
                let version_changed = matches!(
                    (&old.version, &new.version),
                    (Some(a), Some(b)) if a != b
                );
                if old.schema != new.schema || version_changed {
                    changes.push(Change::new(
                        ChangeKind::AlterObject {
                            object: object.clone(),
                        },
                        Safety::NeedsReview,
                        format!("extension `{name}` changes schema or version"),
                    ));
                }
            }
            (Some(_), None) => changes.push(Change::new(
                ChangeKind::DropObject { object },
                Safety::Destructive,
                format!("drops extension `{name}` and what it provides"),
            )),
            (None, Some(_)) => changes.push(Change::new(
                ChangeKind::AddObject { object },
                Safety::Safe,
                format!("installs extension `{name}`"),
            )),
            (None, None) => {}
        }
    }
    let old: BTreeMap<String, &EngineObject> =
        before.objects.iter().map(|o| (o.key(), o)).collect();
    let new: BTreeMap<String, &EngineObject> = after.objects.iter().map(|o| (o.key(), o)).collect();
    for (key, object) in &old {
        match new.get(key) {
            Some(after) => {
                if !normalize::statement_eq(&object.sql, &after.sql)
                    || object.owned_by != after.owned_by
                {
                    changes.push(Change::new(
                        ChangeKind::AlterObject {
                            object: key.clone(),
                        },
                        Safety::NeedsReview,
                        format!("{} `{}` changes", object.kind, object.name),
                    ));
                } else if object.comment != after.comment {
                    changes.push(Change::new(
                        ChangeKind::AlterObject {
                            object: key.clone(),
                        },
                        Safety::Safe,
                        format!("{} `{}`: comment", object.kind, object.name),
                    ));
                }
            }
            None => changes.push(Change::new(
                ChangeKind::DropObject {
                    object: key.clone(),
                },
                if object.kind == ObjectKind::Sequence {
                    Safety::Destructive
                } else {
                    Safety::NeedsReview
                },
                format!(
                    "drops {} `{}`; what still uses it must change first",
                    object.kind, object.name
                ),
            )),
        }
    }
    for (key, object) in &new {
        if !old.contains_key(key) {
            changes.push(Change::new(
                ChangeKind::AddObject {
                    object: key.clone(),
                },
                Safety::Safe,
                format!("creates {} `{}`", object.kind, object.name),
            ));
        }
    }
}

fn enums(before: &Manifest, after: &Manifest, changes: &mut Vec<Change>) {
    let names: BTreeSet<&String> = before.enums.keys().chain(after.enums.keys()).collect();
    for name in names {
        match (before.enums.get(name), after.enums.get(name)) {
            (Some(old), Some(new)) => {
                for value in &old.values {
                    if !new.values.contains(value) {
                        changes.push(Change::new(
                            ChangeKind::RemoveEnumValue {
                                name: name.clone(),
                                value: value.clone(),
                            },
                            Safety::Destructive,
                            format!("rows holding `{value}` would no longer be valid"),
                        ));
                    }
                }
                for value in &new.values {
                    if !old.values.contains(value) {
                        changes.push(Change::new(
                            ChangeKind::AddEnumValue {
                                name: name.clone(),
                                value: value.clone(),
                            },
                            Safety::Safe,
                            format!("adds `{value}` to `{name}`"),
                        ));
                    }
                }
            }
            (Some(_), None) => changes.push(Change::new(
                ChangeKind::DropEnum { name: name.clone() },
                Safety::NeedsReview,
                format!("drops enum `{name}`; columns still using it must change first"),
            )),
            (None, Some(_)) => changes.push(Change::new(
                ChangeKind::AddEnum { name: name.clone() },
                Safety::Safe,
                format!("creates enum `{name}`"),
            )),
            (None, None) => {}
        }
    }
}

fn entity(
    name: &str,
    old: &Entity,
    new: &Entity,
    field_renames: &BTreeMap<String, String>,
    types: &Engines,
    changes: &mut Vec<Change>,
) {
    let (old, new) = normalize::unique_indexes(normalize::uniques(old), normalize::uniques(new));
    let (old, new) = (&*old, &*new);
    let mut what = Vec::new();
    if old.table != new.table {
        what.push(format!("table `{}` → `{}`", old.table, new.table));
    }
    if old.schema != new.schema {
        what.push("schema".to_owned());
    }
    if old.kind != new.kind {
        what.push(format!("kind {} → {}", old.kind, new.kind));
    }
    if old.comment != new.comment {
        what.push("comment".to_owned());
    }
    if old.definition != new.definition {
        what.push("view query".to_owned());
    }
    if old.collation != new.collation {
        what.push("collation".to_owned());
    }
    if old.unlogged != new.unlogged {
        what.push(if new.unlogged { "unlogged" } else { "logged" }.to_owned());
    }
    if old.replica_identity != new.replica_identity {
        what.push("replica identity".to_owned());
    }
    if old.cluster_on != new.cluster_on {
        what.push("cluster index".to_owned());
    }
    if old.row_format != new.row_format {
        what.push("row format".to_owned());
    }
    if old.force_row_level_security != new.force_row_level_security {
        what.push(format!(
            "row-level security {} on the owner",
            if new.force_row_level_security {
                "forced"
            } else {
                "not forced"
            }
        ));
    }
    if old.storage_parameters != new.storage_parameters {
        what.push("storage parameters".to_owned());
    }
    if old.inherits != new.inherits {
        let list = |parents: &[String]| match parents {
            [] => "nothing".to_owned(),
            _ => parents
                .iter()
                .map(|parent| format!("`{parent}`"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        what.push(format!(
            "inherits from {} → {}",
            list(&old.inherits),
            list(&new.inherits)
        ));
    }
    let partitions = partition_changes(old, new);
    if !partition_key_eq(&old.partition_by, &new.partition_by) {
        what.push(match (&old.partition_by, &new.partition_by) {
            (Some(before), Some(after)) => format!("partitioned by {before} → {after}"),
            (None, Some(after)) => format!("partitioned by {after}"),
            _ => "not partitioned".to_owned(),
        });
    }
    for change in &partitions {
        what.push(change.to_string());
    }
    let mut exclusions_review = false;
    OwnLists {
        what: &mut what,
        review: &mut exclusions_review,
    }
    .exclusions(&old.exclusions, &new.exclusions);
    what.extend(constraint_comments(old, new));
    if !what.is_empty() {
        let safety = if old.kind != new.kind
            || partitions
                .iter()
                .any(|c| matches!(c, PartitionChange::Dropped(_)))
        {
            Safety::Destructive
        } else if old.table != new.table
            || old.schema != new.schema
            || exclusions_review
            // `INHERIT` fails unless the table has the parent's columns.
            || new.inherits.iter().any(|parent| !old.inherits.contains(parent))
            || !partition_key_eq(&old.partition_by, &new.partition_by)
            || partitions.iter().any(|c| {
                matches!(
                    c,
                    PartitionChange::Repartitioned(_) | PartitionChange::Own { review: true, .. }
                )
            })
        {
            Safety::NeedsReview
        } else {
            Safety::Safe
        };
        changes.push(Change::new(
            ChangeKind::AlterEntity {
                entity: name.to_owned(),
                what: what.clone(),
            },
            safety,
            format!("`{name}`: {}", what.join(", ")),
        ));
    }

    let renamed_away: BTreeSet<&str> = field_renames.values().map(String::as_str).collect();

    let mut dropped = Vec::new();
    let mut added = Vec::new();
    for (field_name, field) in &old.fields {
        if renamed_away.contains(field_name.as_str()) {
            continue;
        }
        match new.fields.get(field_name) {
            Some(after) => alter_field(name, field_name, field, after, types, changes),
            None => {
                dropped.push(field_name);
                changes.push(Change::new(
                    ChangeKind::DropField {
                        entity: name.to_owned(),
                        field: field_name.clone(),
                    },
                    Safety::Destructive,
                    format!("drops `{name}.{field_name}` and its values"),
                ));
            }
        }
    }
    for (field_name, field) in &new.fields {
        if old.fields.contains_key(field_name) {
            continue;
        }
        if let Some(from) = field_renames.get(field_name.as_str()) {
            changes.push(Change::new(
                ChangeKind::RenameField {
                    entity: name.to_owned(),
                    from: (*from).to_owned(),
                    to: field_name.clone(),
                },
                Safety::Safe,
                format!("renames `{name}.{from}` to `{field_name}`; the values are kept"),
            ));
            alter_field(
                name,
                field_name,
                &old.fields[from.as_str()],
                field,
                types,
                changes,
            );
            continue;
        }
        added.push(field_name);
        let (safety, reason) = if field.is_optional_on_insert() {
            (Safety::Safe, format!("adds `{name}.{field_name}`"))
        } else {
            (
                Safety::NeedsReview,
                format!(
                    "adds `{name}.{field_name}` NOT NULL without a default: existing rows have no value for it"
                ),
            )
        };
        changes.push(Change::new(
            ChangeKind::AddField {
                entity: name.to_owned(),
                field: field_name.clone(),
            },
            safety,
            reason,
        ));
    }
    for from in &dropped {
        for to in &added {
            if types.same_type(&old.fields[*from], &new.fields[*to]) {
                changes.push(Change::new(
                    ChangeKind::RenameFieldCandidate {
                        entity: name.to_owned(),
                        from: (*from).clone(),
                        to: (*to).clone(),
                    },
                    Safety::NeedsReview,
                    format!("`{to}` has the type of `{from}`: a rename keeps the values, drop + add loses them"),
                ));
            }
        }
    }

    if old.primary_key != new.primary_key
        || (!new.primary_key.is_empty()
            && (old.primary_key_include != new.primary_key_include
                || old.primary_key_with != new.primary_key_with))
    {
        // The same fields: say which options of its index change.
        let reason = if old.primary_key == new.primary_key {
            let listed = |items: &[String]| match items {
                [] => "none".to_owned(),
                items => format!("({})", items.join(", ")),
            };
            let mut what = Vec::new();
            for (label, before, after) in [
                (
                    "INCLUDE",
                    &old.primary_key_include,
                    &new.primary_key_include,
                ),
                ("WITH", &old.primary_key_with, &new.primary_key_with),
            ] {
                if before != after {
                    what.push(format!("{label} {} → {}", listed(before), listed(after)));
                }
            }
            format!(
                "`{name}`: the primary key ({}) is made again with {}",
                new.primary_key.join(", "),
                what.join(", ")
            )
        } else {
            "a new primary key fails if its fields hold duplicates or nulls".to_owned()
        };
        changes.push(Change::new(
            ChangeKind::ChangePrimaryKey {
                entity: name.to_owned(),
                before: old.primary_key.clone(),
                after: new.primary_key.clone(),
            },
            Safety::NeedsReview,
            reason,
        ));
    }
    indexes(name, &old.indexes, &new.indexes, changes);
    relations(name, &old.relations, &new.relations, changes);
    let entity = || name.to_owned();
    // A unique constraint whose index options changed is dropped and
    // added again.
    let fields_of = |e: &Entity| {
        e.uniques
            .iter()
            .map(|u| (u.fields.clone(), u.options.without_comment()))
            .collect::<Vec<_>>()
    };
    set_changes(
        fields_of(old),
        fields_of(new),
        |(fields, _)| {
            Change::new(
                ChangeKind::DropUnique {
                    entity: entity(),
                    fields,
                },
                Safety::Safe,
                "drops a unique constraint",
            )
        },
        |(fields, _)| {
            Change::new(
                ChangeKind::AddUnique {
                    entity: entity(),
                    fields,
                },
                Safety::NeedsReview,
                "a unique constraint fails if existing rows hold duplicates",
            )
        },
        changes,
    );
    // A check made `NO INHERIT` (or no longer) is dropped and added again.
    let checks_of = |e: &Entity| {
        e.checks
            .iter()
            .map(|c| (normalize::Sql(c.sql.clone()), c.no_inherit))
            .collect::<Vec<_>>()
    };
    set_changes(
        checks_of(old),
        checks_of(new),
        |(sql, _)| {
            Change::new(
                ChangeKind::DropCheck {
                    entity: entity(),
                    sql: sql.0,
                },
                Safety::Safe,
                "drops a CHECK constraint",
            )
        },
        |(sql, _)| {
            Change::new(
                ChangeKind::AddCheck {
                    entity: entity(),
                    sql: sql.0,
                },
                Safety::NeedsReview,
                "a CHECK constraint fails if existing rows violate it",
            )
        },
        changes,
    );
}

/// `comment on constraint `name``, for each constraint of a table that
/// both sides have (the same, comments aside) with another comment.
fn constraint_comments(old: &Entity, new: &Entity) -> Vec<String> {
    let mut what = Vec::new();
    if !new.primary_key.is_empty()
        && old.primary_key == new.primary_key
        && old.primary_key_include == new.primary_key_include
        && old.primary_key_with == new.primary_key_with
        && old.primary_key_comment != new.primary_key_comment
    {
        what.push(match &new.primary_key_name {
            Some(name) => format!("comment on constraint `{name}`"),
            None => "comment on the primary key".to_owned(),
        });
    }
    let mut compare = |name: &str, before: &Option<String>, after: &Option<String>| {
        if before != after {
            what.push(format!("comment on constraint `{name}`"));
        }
    };
    for unique in &new.uniques {
        if let Some(before) = old.uniques.iter().find(|u| {
            u.fields == unique.fields
                && u.options.without_comment() == unique.options.without_comment()
        }) {
            let name = unique
                .name
                .clone()
                .unwrap_or_else(|| unique.fields.join(", "));
            compare(&name, &before.options.comment, &unique.options.comment);
        }
    }
    for check in &new.checks {
        if let Some(before) = old
            .checks
            .iter()
            .find(|c| normalize::sql_eq(&c.sql, &check.sql))
        {
            compare(
                check.name.as_deref().unwrap_or(&check.sql),
                &before.comment,
                &check.comment,
            );
        }
    }
    for exclusion in &new.exclusions {
        if let Some(before) = old
            .exclusions
            .iter()
            .find(|e| normalize::exclusion_eq(e, exclusion))
        {
            compare(&exclusion.name, &before.comment, &exclusion.comment);
        }
    }
    for relation in &new.relations {
        if let Some(before) = old
            .relations
            .iter()
            .find(|r| normalize::relation_eq(r, relation))
        {
            let name = relation
                .name
                .clone()
                .unwrap_or_else(|| relation.fields.join(", "));
            compare(&name, &before.comment, &relation.comment);
        }
    }
    what
}

/// Drops for what only `old` has, then adds for what only `new` has.
fn set_changes<T: PartialEq>(
    old: Vec<T>,
    new: Vec<T>,
    drop: impl Fn(T) -> Change,
    add: impl Fn(T) -> Change,
    changes: &mut Vec<Change>,
) {
    let dropped: Vec<usize> = (0..old.len()).filter(|&i| !new.contains(&old[i])).collect();
    let added: Vec<usize> = (0..new.len()).filter(|&i| !old.contains(&new[i])).collect();
    for (i, item) in old.into_iter().enumerate() {
        if dropped.contains(&i) {
            changes.push(drop(item));
        }
    }
    for (i, item) in new.into_iter().enumerate() {
        if added.contains(&i) {
            changes.push(add(item));
        }
    }
}

fn alter_field(
    entity: &str,
    name: &str,
    old: &Field,
    new: &Field,
    types: &Engines,
    changes: &mut Vec<Change>,
) {
    if old == new {
        return;
    }
    let native_changed = types.native_changed(old, new);
    let mut what = Vec::new();
    let mut safety = Safety::Safe;
    let mut reasons = Vec::new();
    let type_changed = !types.same_type(old, new);
    if type_changed {
        what.push(format!("type {} → {}", old.type_label(), new.type_label()));
        if !widens(old, new, native_changed) {
            safety = Safety::Destructive;
            reasons.push(format!(
                "{} → {} may not hold every existing value",
                old.type_label(),
                new.type_label()
            ));
        }
    }
    if old.nullable != new.nullable {
        what.push(if new.nullable { "nullable" } else { "not null" }.to_owned());
        if !new.nullable {
            safety = safety.max(Safety::NeedsReview);
            reasons.push("NOT NULL fails if existing rows hold NULL".to_owned());
        }
    }
    if !normalize::default_eq(&old.default, &new.default) {
        what.push("default".to_owned());
    }
    if !types.generated_eq(old, new) {
        what.push("generated".to_owned());
        safety = safety.max(Safety::NeedsReview);
        reasons.push("how the value is produced changes".to_owned());
    }
    if old.unique != new.unique {
        what.push(if new.unique { "unique" } else { "not unique" }.to_owned());
        if new.unique {
            safety = safety.max(Safety::NeedsReview);
            reasons.push("unique fails if existing rows hold duplicates".to_owned());
        }
    }
    if old.column != new.column {
        what.push("column".to_owned());
        safety = safety.max(Safety::NeedsReview);
        reasons.push("the physical column changes".to_owned());
    }
    for (label, changed) in [
        ("comment", old.comment != new.comment),
        (
            "sequence comment",
            old.sequence_comment != new.sequence_comment,
        ),
        ("collation", old.collation != new.collation),
        ("on update", old.on_update != new.on_update),
        ("invisible", old.invisible != new.invisible),
        ("optional", old.optional != new.optional),
        (
            "identity options",
            normalize::identity_options(old.identity_options.as_deref(), identity_bounds(old))
                != normalize::identity_options(
                    new.identity_options.as_deref(),
                    identity_bounds(new),
                ),
        ),
    ] {
        if changed {
            what.push(label.to_owned());
        }
    }
    if what.is_empty() {
        // Only the spelling differed.
        return;
    }
    let reason = if reasons.is_empty() {
        format!("`{entity}.{name}`: {}", what.join(", "))
    } else {
        reasons.join("; ")
    };
    changes.push(Change::new(
        ChangeKind::AlterField {
            entity: entity.to_owned(),
            field: name.to_owned(),
            what,
        },
        safety,
        reason,
    ));
}

/// Whether every value of `old`'s type fits `new`'s type.
fn widens(old: &Field, new: &Field, native_changed: bool) -> bool {
    use FieldType::*;
    let rank = |ty: FieldType| match ty {
        Int16 => Some(1),
        Int32 => Some(2),
        Int64 => Some(3),
        _ => None,
    };
    if native_changed && old.ty == new.ty && old.max_length == new.max_length {
        // Only the engine's spelling changed; the diff cannot judge it.
        return false;
    }
    match (old.ty, new.ty) {
        (a, b) if a == b => match a {
            String | Text | Bytes => match (old.max_length, new.max_length) {
                (_, None) => true,
                (Some(before), Some(after)) => after >= before,
                (None, Some(_)) => false,
            },
            Decimal => {
                let before = (old.precision.unwrap_or(u32::MAX), old.scale.unwrap_or(0));
                let after = (new.precision.unwrap_or(u32::MAX), new.scale.unwrap_or(0));
                after.1 >= before.1
                    && after.0.saturating_sub(after.1) >= before.0.saturating_sub(before.1)
            }
            Enum | Array | Object => false,
            _ => true,
        },
        (a, b) if rank(a).is_some() && rank(b).is_some() => rank(b) >= rank(a),
        (Int16 | Int32, Float64) | (Float32, Float64) => true,
        (Int16 | Int32 | Int64, Decimal) => new.precision.is_none_or(|p| p >= 20),
        (String, Text) => true,
        (Enum, String | Text) => true,
        _ => false,
    }
}

fn same_shape(
    a: &indexmap::IndexMap<String, Field>,
    b: &indexmap::IndexMap<String, Field>,
    types: &Engines,
) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((na, fa), (nb, fb))| na == nb && types.same_type(fa, fb))
}

fn indexes(entity: &str, old: &[Index], new: &[Index], changes: &mut Vec<Change>) {
    for index in old {
        match new.iter().find(|i| i.name == index.name) {
            Some(after) if normalize::index_eq(after, index) => {}
            Some(after) => {
                // Rebuilt: drop, then create.
                changes.push(Change::new(
                    ChangeKind::DropIndex {
                        entity: entity.to_owned(),
                        index: index.name.clone(),
                    },
                    Safety::Safe,
                    format!("index `{}` changes: rebuilt", index.name),
                ));
                changes.push(add_index(entity, after));
            }
            None => changes.push(Change::new(
                ChangeKind::DropIndex {
                    entity: entity.to_owned(),
                    index: index.name.clone(),
                },
                Safety::Safe,
                format!("drops index `{}`", index.name),
            )),
        }
    }
    for index in new {
        if !old.iter().any(|i| i.name == index.name) {
            changes.push(add_index(entity, index));
        }
    }
}

fn add_index(entity: &str, index: &Index) -> Change {
    let (safety, reason) = if index.unique {
        (
            Safety::NeedsReview,
            format!(
                "unique index `{}` fails if existing rows hold duplicates",
                index.name
            ),
        )
    } else {
        (Safety::Safe, format!("creates index `{}`", index.name))
    };
    Change::new(
        ChangeKind::AddIndex {
            entity: entity.to_owned(),
            index: index.name.clone(),
        },
        safety,
        reason,
    )
}

fn relations(entity: &str, old: &[Relation], new: &[Relation], changes: &mut Vec<Change>) {
    let contains = |list: &[Relation], relation: &Relation| {
        list.iter().any(|r| normalize::relation_eq(r, relation))
    };
    for relation in old {
        if !contains(new, relation) {
            changes.push(Change::new(
                ChangeKind::DropRelation {
                    entity: entity.to_owned(),
                    fields: relation.fields.clone(),
                    target: relation.references.entity.clone(),
                },
                Safety::Safe,
                "drops a foreign key",
            ));
        }
    }
    for relation in new {
        if !contains(old, relation) {
            changes.push(Change::new(
                ChangeKind::AddRelation {
                    entity: entity.to_owned(),
                    fields: relation.fields.clone(),
                    target: relation.references.entity.clone(),
                },
                Safety::NeedsReview,
                "a foreign key fails if existing rows reference missing rows",
            ));
        }
    }
}

/// How the partitions of a table differ between two manifests, partition
/// by partition (by schema and table name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionChange {
    Added(String),
    Dropped(String),
    /// Its bound or the partition it belongs to changed: detached and
    /// attached again, rows kept.
    Rebound(String),
    /// Its own partition key changed: not done in place.
    Repartitioned(String),
    /// Its own indexes, checks or foreign keys differ: what differs, and
    /// whether an addition may fail on existing rows.
    Own {
        partition: String,
        what: Vec<String>,
        review: bool,
    },
}

impl std::fmt::Display for PartitionChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Added(name) => write!(f, "partition `{name}` added"),
            Self::Dropped(name) => write!(f, "partition `{name}` dropped"),
            Self::Rebound(name) => write!(f, "partition `{name}` bound"),
            Self::Repartitioned(name) => write!(f, "partition `{name}` partition key"),
            Self::Own {
                partition, what, ..
            } => write!(f, "partition `{partition}`: {}", what.join(", ")),
        }
    }
}

/// The partition changes from `old` to `new`: drops first (sub-partitions
/// before their parents), then the others in `new`'s order (parents first).
pub fn partition_changes(old: &Entity, new: &Entity) -> Vec<PartitionChange> {
    let same = |a: &Partition, b: &Partition| a.table == b.table && a.schema == b.schema;
    let mut changes = Vec::new();
    for before in old.partitions.iter().rev() {
        if !new.partitions.iter().any(|after| same(before, after)) {
            changes.push(PartitionChange::Dropped(before.table.clone()));
        }
    }
    for after in &new.partitions {
        match old.partitions.iter().find(|before| same(before, after)) {
            None => changes.push(PartitionChange::Added(after.table.clone())),
            Some(before) => {
                if !partition_key_eq(&before.partition_by, &after.partition_by) {
                    changes.push(PartitionChange::Repartitioned(after.table.clone()));
                } else if before.of != after.of
                    || partition_bound_key(&before.bound) != partition_bound_key(&after.bound)
                {
                    changes.push(PartitionChange::Rebound(after.table.clone()));
                }
                if let Some(own) = own_changes(before, after) {
                    changes.push(own);
                }
            }
        }
    }
    changes
}

/// How the indexes, checks and foreign keys of a partition's own differ
/// from `before` to `after`, or `None` when they are the same (apart from
/// spelling).
fn own_changes(before: &Partition, after: &Partition) -> Option<PartitionChange> {
    let mut what = Vec::new();
    let mut review = false;
    if before.primary_key != after.primary_key
        || (!after.primary_key.is_empty() && before.primary_key_name != after.primary_key_name)
    {
        what.push(
            match (before.primary_key.is_empty(), after.primary_key.is_empty()) {
                (true, _) => format!("primary key ({}) added", after.primary_key.join(", ")),
                (_, true) => "primary key dropped".to_owned(),
                _ => format!("primary key ({}) changed", after.primary_key.join(", ")),
            },
        );
        review |= !after.primary_key.is_empty();
    }
    let mut lists = OwnLists {
        what: &mut what,
        review: &mut review,
    };
    lists.compare(
        "unique",
        &before.uniques,
        &after.uniques,
        own_unique_eq,
        |unique| match &unique.name {
            Some(name) => format!("`{name}`"),
            None => format!("({})", unique.fields.join(", ")),
        },
    );
    lists.exclusions(&before.exclusions, &after.exclusions);
    for index in &before.indexes {
        match after.indexes.iter().find(|i| i.name == index.name) {
            Some(other) if normalize::index_eq(other, index) => {}
            Some(_) => {
                what.push(format!("index `{}` changed", index.name));
                review |= index.unique;
            }
            None => what.push(format!("index `{}` dropped", index.name)),
        }
    }
    for index in &after.indexes {
        if !before.indexes.iter().any(|i| i.name == index.name) {
            what.push(format!("index `{}` added", index.name));
            review |= index.unique;
        }
    }
    let mut lists = OwnLists {
        what: &mut what,
        review: &mut review,
    };
    lists.compare(
        "check",
        &before.checks,
        &after.checks,
        own_check_eq,
        |check| {
            check
                .name
                .as_ref()
                .map_or_else(|| format!("`{}`", check.sql), |name| format!("`{name}`"))
        },
    );
    lists.compare(
        "foreign key",
        &before.relations,
        &after.relations,
        normalize::relation_eq,
        |relation| match &relation.name {
            Some(name) => format!("`{name}`"),
            None => format!(
                "({}) → `{}`",
                relation.fields.join(", "),
                relation.references.entity
            ),
        },
    );
    (!what.is_empty()).then(|| PartitionChange::Own {
        partition: after.table.clone(),
        what,
        review,
    })
}

/// What differs between two lists of a partition's own objects.
struct OwnLists<'a> {
    what: &'a mut Vec<String>,
    /// An addition may fail on existing rows.
    review: &'a mut bool,
}

impl OwnLists<'_> {
    /// Says which of `before` are dropped and which of `after` are added
    /// (`same` finds an object's counterpart, `label` names it).
    fn compare<T>(
        &mut self,
        kind: &str,
        before: &[T],
        after: &[T],
        same: impl Fn(&T, &T) -> bool,
        label: impl Fn(&T) -> String,
    ) {
        for (from, to, verb) in [(before, after, "dropped"), (after, before, "added")] {
            for object in from {
                if !to.iter().any(|other| same(other, object)) {
                    self.what.push(format!("{kind} {} {verb}", label(object)));
                    *self.review |= verb == "added";
                }
            }
        }
    }

    /// Exclusion constraints, by name and definition (a changed one is
    /// dropped and added).
    fn exclusions(&mut self, before: &[Exclusion], after: &[Exclusion]) {
        self.compare(
            "exclusion",
            before,
            after,
            normalize::exclusion_eq,
            |exclusion| format!("`{}`", exclusion.name),
        );
    }
}

/// Two checks of a partition are the same: the same name (when both have
/// one) and the same expression apart from spelling.
pub fn own_check_eq(a: &Check, b: &Check) -> bool {
    (a.name.is_none() || b.name.is_none() || a.name == b.name)
        && normalize::Sql(a.sql.clone()) == normalize::Sql(b.sql.clone())
}

/// Two unique constraints of a partition are the same: the same fields
/// and index options, and the same name when both have one.
pub fn own_unique_eq(a: &Unique, b: &Unique) -> bool {
    a.fields == b.fields
        && a.options == b.options
        && (a.name.is_none() || b.name.is_none() || a.name == b.name)
}

/// Two partition keys are the same apart from case and spacing
/// (`RANGE (t)` and `range(t)`).
pub fn partition_key_eq(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => partition_bound_key(a) == partition_bound_key(b),
        (None, None) => true,
        _ => false,
    }
}
