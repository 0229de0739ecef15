//! What a SQLite database shows for what a manifest says, though the
//! database was made from it: SQLite has no enums, so an enum field is a
//! `TEXT` column, with a CHECK of the enum's values when baas made the
//! table and without one when another tool did (Prisma Migrate writes a
//! plain `TEXT`). The live side takes the manifest's enum for such a
//! column and leaves out that CHECK; a CHECK of other values, or a column
//! that is not `TEXT`, is still a change. Nor is an enum itself a change:
//! SQLite keeps none.

use crate::dialect::sqlite::enum_values_check;
use crate::manifest::{FieldType, Manifest};

/// `live`, read from a SQLite database, with its `TEXT` columns that hold
/// an enum field of `manifest` said as that enum (see the module comment).
pub(super) fn as_shown(live: &mut Manifest, manifest: &Manifest) {
    for (name, want) in &manifest.entities {
        let Some(entity) = live.entities.get_mut(name) else {
            continue;
        };
        for (field_name, wanted) in &want.fields {
            let (FieldType::Enum, Some(enum_name)) = (wanted.ty, wanted.enum_name.as_deref())
            else {
                continue;
            };
            let Some(declared) = manifest.enums.get(enum_name) else {
                continue;
            };
            let Some(field) = entity.fields.get_mut(field_name) else {
                continue;
            };
            if field.ty != FieldType::Text || field.native.is_some() {
                continue;
            }
            field.ty = FieldType::Enum;
            field.enum_name = Some(enum_name.to_owned());
            let values = enum_values_check(field.column_name(field_name), &declared.values);
            entity.checks.retain(|check| {
                check.name.is_some() || !super::normalize::sql_eq(&check.sql, &values)
            });
        }
    }
    // SQLite keeps no enum of its own: the manifest's are no change.
    live.enums.clone_from(&manifest.enums);
}
