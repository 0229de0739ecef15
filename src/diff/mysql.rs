//! What a MySQL or MariaDB database shows that a manifest does not say,
//! though the database was made from it:
//!
//! - an enum belongs to its column: introspection names it
//!   `<table>_<column>`, where the manifest may name the same values `Role`
//!   for every column that uses them;
//! - InnoDB makes an index for a foreign key whose columns no index starts
//!   with, named after the foreign key;
//! - a `text` key column of a manifest read from another engine is the
//!   `varchar(191)` baas made it, a `bytes` one without a `max_length` the
//!   `varbinary(255)` (`dialect::mysql::key_type`);
//! - a view's columns computed from string literals take the collation of
//!   the connection that made the view: a view, and a view column, show a
//!   collation the manifest may not say. Where it says none, none is
//!   compared; where it says one, a plan makes the view with it.
//!
//! (MariaDB's own `utf8mb4_bin` on a `JSON` column is left out where the
//! database is read, alike live and from a dump: `sql_ddl::mysql_json_fields`.)
//!
//! The live side takes the manifest's names and leaves those out, so that
//! only what differs is a change.

use std::collections::BTreeSet;

use crate::dialect::mysql::key_type;
use crate::manifest::{Entity, EntityKind, FieldType, IndexPart, Manifest};

/// `live`, read from a MySQL or MariaDB database, with what the database
/// shows of its own accord said as `manifest` says it (see the module
/// comment).
pub(super) fn as_shown(live: &mut Manifest, manifest: &Manifest) {
    let mut renamed: BTreeSet<(String, String)> = BTreeSet::new();
    for (name, want) in &manifest.entities {
        let Some(entity) = live.entities.get_mut(name) else {
            continue;
        };
        let view = entity.kind == EntityKind::View && want.kind == EntityKind::View;
        if view && want.collation.is_none() {
            entity.collation = None;
        }
        for (field_name, field) in entity.fields.iter_mut() {
            let Some(wanted) = want.fields.get(field_name) else {
                continue;
            };
            if view && wanted.collation.is_none() {
                field.collation = None;
            }
            if let Some(keyed) = key_type(manifest, name, want, field_name, wanted)
                && field.ty == keyed.ty
                && field.max_length == keyed.max_length
                && field.native.is_none()
            {
                field.ty = wanted.ty;
                field.max_length = wanted.max_length;
            }
            if let (FieldType::Enum, FieldType::Enum, Some(shown), Some(said)) = (
                field.ty,
                wanted.ty,
                field.enum_name.clone(),
                wanted.enum_name.as_deref(),
            ) && shown != said
                && live.enums.get(&shown).map(|e| &e.values)
                    == manifest.enums.get(said).map(|e| &e.values)
            {
                field.enum_name = Some(said.to_owned());
                renamed.insert((shown, said.to_owned()));
            }
        }
        without_foreign_key_indexes(entity, want);
    }
    for (shown, said) in renamed {
        let still_used = live.entities.values().any(|entity| {
            entity
                .fields
                .values()
                .any(|f| f.enum_name.as_deref() == Some(shown.as_str()))
        });
        if !still_used {
            live.enums.remove(&shown);
        }
        if let Some(declared) = manifest.enums.get(&said) {
            live.enums.insert(said, declared.clone());
        }
    }
}

/// `entity` without the indexes InnoDB made for its foreign keys: a plain
/// index named after a foreign key, on exactly its columns, that `want`
/// does not have.
fn without_foreign_key_indexes(entity: &mut Entity, want: &Entity) {
    let relations = &entity.relations;
    entity.indexes.retain(|index| {
        let made_for_key = !index.unique
            && index.predicate.is_none()
            && index.method.is_none()
            && !want.indexes.iter().any(|i| i.name == index.name)
            && relations.iter().any(|relation| {
                relation.name.as_deref() == Some(index.name.as_str())
                    && relation.fields.len() == index.fields.len()
                    && relation.fields.iter().zip(&index.fields).all(|(f, part)| {
                        matches!(
                            part,
                            IndexPart::Field {
                                field,
                                order: None,
                                collation: None,
                                prefix_length: None,
                            } if field == f
                        )
                    })
            });
        !made_for_key
    });
}
