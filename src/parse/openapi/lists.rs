//! Properties of an entity with a key that list the rows of another
//! (`tags: {type: array, items: {$ref: Tag}}`, `Tag` keyed by `id`). The rows stay where the
//! API sends them, a list of objects, and what the manifest can say of the
//! link is recorded beside them:
//!
//! - the listed entity names its owner in a field of its own
//!   (`Tag.artifact_id`, `Tag.artifactId`, typed like the owner's key):
//!   that field is a relation to the owner (a one-to-many the owner's
//!   list shows from the other side), ledger `list_relation`;
//! - otherwise the link is many-to-many (`Pet.tags` of shared `Tag`s), which
//!   the manifest has no relation for: ledger `list_of_entity`.
//!
//! Properties that list the keys of another entity's rows instead
//! (`Post.tagIds: [string]`, `tag_ids: [integer]`, of a `Tag` the API
//! serves) are the same many-to-many link by key: the manifest has no
//! relation from a list of keys either, ledger `id_list` ([`id_lists`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::resolve;
use crate::manifest::{Entity, FieldType, Operation};
use crate::parse::json_schema::{Pointer, Walker};

/// Records what `entities`' list-of-entity properties link.
pub(super) fn relate(
    root: &Value,
    walker: &mut Walker<'_>,
    pointers: &[(String, Pointer)],
    entities: &mut BTreeMap<String, Entity>,
) {
    let mut found: Vec<(String, String, String)> = Vec::new();
    for (owner, pointer) in pointers {
        let Some(schema) = walker.at(pointer) else {
            continue;
        };
        let parts = std::iter::once(schema).chain(
            schema
                .get("allOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|part| resolve(root, part)),
        );
        for part in parts {
            let Some(properties) = part.get("properties").and_then(Value::as_object) else {
                continue;
            };
            for (property, value) in properties {
                let Some(target) = value
                    .pointer("/items/$ref")
                    .and_then(Value::as_str)
                    .and_then(|reference| walker.entity_of_reference(reference))
                else {
                    continue;
                };
                // Rows with keys on both sides: a list in a page wrapper
                // (`ArtifactList.items`) or of keyless values links nothing.
                let keyed = |name: &str| {
                    entities
                        .get(name)
                        .is_some_and(|entity| !entity.primary_key.is_empty())
                };
                let listed = entities
                    .get(owner)
                    .is_some_and(|entity| entity.fields.contains_key(property));
                if listed && target != owner && keyed(owner) && keyed(target) {
                    found.push((owner.clone(), property.clone(), target.to_owned()));
                }
            }
        }
    }
    for (owner, property, target) in found {
        let object = format!("{owner}.{property}");
        match back_reference(entities, &owner, &target) {
            Some((field, key)) => {
                let line = format!(
                    "`{object}` lists `{target}` rows, which name their `{owner}` in \
                     `{target}.{field}`: that is a relation to `{owner}.{key}`; the list keeps \
                     the rows as the API sends them"
                );
                if let Some(entity) = entities.get_mut(&target)
                    && !entity.relations.iter().any(|r| r.fields == [field.clone()])
                {
                    entity.relations.push(crate::parse::data::relation_to(
                        field,
                        owner.clone(),
                        key,
                    ));
                }
                walker.note(&object, "list_relation", line);
            }
            None => walker.note(
                &object,
                "list_of_entity",
                format!(
                    "`{object}` lists `{target}` rows, which do not name their `{owner}`: a \
                     many-to-many link the manifest has no relation for; the list keeps the \
                     rows as the API sends them"
                ),
            ),
        }
    }
}

/// The field of `target` that names its `owner` (`artifact_id`,
/// `artifactId`), typed like the owner's one-field key, and that key.
fn back_reference(
    entities: &BTreeMap<String, Entity>,
    owner: &str,
    target: &str,
) -> Option<(String, String)> {
    let owner_entity = entities.get(owner)?;
    let target_entity = entities.get(target)?;
    let [key] = owner_entity.primary_key.as_slice() else {
        return None;
    };
    let key_type = owner_entity.fields.get(key)?.ty;
    let wanted = format!("{}id", owner.replace('_', "").to_lowercase());
    let (field, _) = target_entity.fields.iter().find(|(name, field)| {
        name.replace('_', "").to_lowercase() == wanted
            && (field.ty == key_type || field.ty.is_integer() && key_type.is_integer())
    })?;
    Some((field.clone(), key.clone()))
}

/// Records the properties of `entities` that list keys of another entity
/// the API serves (`operations` list or get it): named after it with `Ids`
/// (`tagIds`, `tag_ids`, `tagIDs` of `Tag`, `tag` or `tags`), of items typed
/// like its one-field key.
pub(super) fn id_lists(
    walker: &mut Walker<'_>,
    entities: &BTreeMap<String, Entity>,
    operations: &[Operation],
) {
    let squashed = |name: &str| name.replace('_', "").to_lowercase();
    let textual =
        |ty: FieldType| matches!(ty, FieldType::String | FieldType::Text | FieldType::Uuid);
    // The entities the API lists or gets, read once rather than per
    // candidate pair.
    let served: BTreeSet<&str> = operations
        .iter()
        .filter(|op| op.action.is_some())
        .filter_map(|op| op.entity.as_deref())
        .collect();
    for (owner, entity) in entities {
        for (property, field) in &entity.fields {
            let Some(items) = field
                .items
                .as_deref()
                .filter(|_| field.ty == FieldType::Array)
            else {
                continue;
            };
            let name = squashed(property);
            let Some(stem) = name.strip_suffix("ids").filter(|stem| !stem.is_empty()) else {
                continue;
            };
            let names = [stem.to_owned(), format!("{stem}s"), format!("{stem}es")];
            let target = entities.iter().find_map(|(target, other)| {
                if !names.contains(&squashed(target)) || !served.contains(target.as_str()) {
                    return None;
                }
                let [key] = other.primary_key.as_slice() else {
                    return None;
                };
                let key_type = other.fields.get(key)?.ty;
                let alike = key_type == items.ty
                    || key_type.is_integer() && items.ty.is_integer()
                    || textual(key_type) && textual(items.ty);
                alike.then_some((target, key))
            });
            if let Some((target, key)) = target {
                let object = format!("{owner}.{property}");
                walker.note(
                    &object,
                    "id_list",
                    format!(
                        "`{object}` lists keys of `{target}` rows (`{target}.{key}`), which the \
                         API serves: a many-to-many link the manifest has no relation for (a \
                         relation joins fields, not a list of keys); the field keeps the keys as \
                         the API sends them"
                    ),
                );
            }
        }
    }
}
