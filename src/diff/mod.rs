//! `diff(before, after)`: the changes between two manifests, each classified
//! as safe, needs-review or destructive with a one-line reason. Pure: no I/O,
//! no dialect. Renames are never guessed silently: a dropped and an added
//! field (or entity) of compatible shape are reported as drop + add, plus a
//! rename candidate.
//!
//! Equal things spelled differently are not changes: defaults, checks,
//! generated columns and index predicates are compared as parsed SQL, and
//! engine type names without case or spacing ([`normalize`]).
//!
//! Not yet here (the diff issue continues): `renamed_from` and `--rename`.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::manifest::{Entity, Field, FieldType, Index, Manifest, Relation};

mod normalize;

pub use normalize::{default_eq, sql_eq};

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
    let mut changes = Vec::new();
    enums(before, after, &mut changes);
    let names: BTreeSet<&String> = before
        .entities
        .keys()
        .chain(after.entities.keys())
        .collect();
    let mut dropped = Vec::new();
    let mut added = Vec::new();
    for name in names {
        match (before.entities.get(name), after.entities.get(name)) {
            (Some(old), Some(new)) => entity(name, old, new, &mut changes),
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
            if same_shape(&before.entities[*from].fields, &after.entities[*to].fields) {
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
    changes
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

fn entity(name: &str, old: &Entity, new: &Entity, changes: &mut Vec<Change>) {
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
    if !what.is_empty() {
        let safety = if old.kind != new.kind {
            Safety::Destructive
        } else if old.table != new.table || old.schema != new.schema {
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

    let mut dropped = Vec::new();
    let mut added = Vec::new();
    for (field_name, field) in &old.fields {
        match new.fields.get(field_name) {
            Some(after) => alter_field(name, field_name, field, after, changes),
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
            if same_type(&old.fields[*from], &new.fields[*to]) {
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

    if old.primary_key != new.primary_key {
        changes.push(Change::new(
            ChangeKind::ChangePrimaryKey {
                entity: name.to_owned(),
                before: old.primary_key.clone(),
                after: new.primary_key.clone(),
            },
            Safety::NeedsReview,
            "a new primary key fails if its fields hold duplicates or nulls",
        ));
    }
    indexes(name, &old.indexes, &new.indexes, changes);
    relations(name, &old.relations, &new.relations, changes);
    let entity = || name.to_owned();
    let fields_of = |e: &Entity| {
        e.uniques
            .iter()
            .map(|u| u.fields.clone())
            .collect::<Vec<_>>()
    };
    set_changes(
        fields_of(old),
        fields_of(new),
        |fields| {
            Change::new(
                ChangeKind::DropUnique {
                    entity: entity(),
                    fields,
                },
                Safety::Safe,
                "drops a unique constraint",
            )
        },
        |fields| {
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
    let checks_of = |e: &Entity| {
        e.checks
            .iter()
            .map(|c| normalize::Sql(c.sql.clone()))
            .collect::<Vec<_>>()
    };
    set_changes(
        checks_of(old),
        checks_of(new),
        |sql| {
            Change::new(
                ChangeKind::DropCheck {
                    entity: entity(),
                    sql: sql.0,
                },
                Safety::Safe,
                "drops a CHECK constraint",
            )
        },
        |sql| {
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

fn alter_field(entity: &str, name: &str, old: &Field, new: &Field, changes: &mut Vec<Change>) {
    if old == new {
        return;
    }
    let native_changed = normalize::native(&old.native) != normalize::native(&new.native);
    let mut what = Vec::new();
    let mut safety = Safety::Safe;
    let mut reasons = Vec::new();
    let type_changed = old.ty != new.ty
        || old.max_length != new.max_length
        || old.precision != new.precision
        || old.scale != new.scale
        || native_changed
        || old.enum_name != new.enum_name
        || old.items != new.items
        || old.fields != new.fields;
    if type_changed {
        what.push(format!("type {} → {}", old.type_label(), new.type_label()));
        if !widens(old, new) {
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
    if !normalize::generated_eq(&old.generated, &new.generated) {
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
        ("collation", old.collation != new.collation),
        ("on update", old.on_update != new.on_update),
        ("optional", old.optional != new.optional),
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
fn widens(old: &Field, new: &Field) -> bool {
    use FieldType::*;
    let rank = |ty: FieldType| match ty {
        Int16 => Some(1),
        Int32 => Some(2),
        Int64 => Some(3),
        _ => None,
    };
    if normalize::native(&old.native) != normalize::native(&new.native)
        && old.ty == new.ty
        && old.max_length == new.max_length
    {
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

fn same_type(a: &Field, b: &Field) -> bool {
    a.ty == b.ty
        && a.max_length == b.max_length
        && a.native == b.native
        && a.enum_name == b.enum_name
}

fn same_shape(
    a: &indexmap::IndexMap<String, Field>,
    b: &indexmap::IndexMap<String, Field>,
) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((na, fa), (nb, fb))| na == nb && same_type(fa, fb))
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
    for relation in old {
        if !new.contains(relation) {
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
        if !old.contains(relation) {
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
