//! Relations seen from both ends, with the names the API expands them by.
//!
//! A manifest stores each foreign key once, on the entity that holds it
//! (`film.language_id → language`). The API lets a client follow it both
//! ways: `GET /api/film?expand=language` nests the language object in each
//! film, `GET /api/language?expand=film` nests the array of its films. The
//! server, the OpenAPI document and the SDKs all name these links through
//! [`links`], so a name never differs between them.
//!
//! Naming, per entity, deterministic:
//! - to one (the entity holds the key): the key field without its `_id`/`Id`
//!   suffix when the key is one field with that suffix (`language_id` →
//!   `language`, `AlbumId` → `Album`), else the referenced entity's name;
//! - to many (another entity holds a key to this one): that entity's name;
//! - a name already taken by a field or an earlier link falls back to
//!   `<entity>_by_<key fields>`, then gets `_2`, `_3`... until it is free.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Manifest, Relation};

/// One way to follow a relation from `from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The name used by `expand=` and as the key of the nested value.
    pub name: String,
    /// The entity the link starts from.
    pub from: String,
    /// The entity it leads to.
    pub to: String,
    /// Fields of `from` matched against `to_fields`, pairwise.
    pub from_fields: Vec<String>,
    /// Fields of `to`.
    pub to_fields: Vec<String>,
    /// `true`: an array of `to` rows (the other entity holds the key);
    /// `false`: one `to` row or null (this entity holds the key).
    pub many: bool,
    /// The relation's name in the manifest, when it has one.
    pub relation: Option<String>,
}

/// Every entity's links, keyed by entity name; each list in a stable order:
/// to-one links in relation order, then to-many links by holder name.
pub fn links(manifest: &Manifest) -> BTreeMap<String, Vec<Link>> {
    let mut taken: BTreeMap<&str, BTreeSet<String>> = manifest
        .entities
        .iter()
        .map(|(name, entity)| (name.as_str(), entity.fields.keys().cloned().collect()))
        .collect();
    let mut out: BTreeMap<String, Vec<Link>> = manifest
        .entities
        .keys()
        .map(|name| (name.clone(), Vec::new()))
        .collect();

    // To-one links first, so they keep the simplest names.
    for (name, entity) in &manifest.entities {
        for relation in &entity.relations {
            if !manifest.entities.contains_key(&relation.references.entity) {
                continue;
            }
            let wanted = to_one_name(relation);
            let fallback = fallback_name(&relation.references.entity, relation);
            let link_name = claim(taken.get_mut(name.as_str()), wanted, fallback);
            out.get_mut(name)
                .expect("every entity has a list")
                .push(Link {
                    name: link_name,
                    from: name.clone(),
                    to: relation.references.entity.clone(),
                    from_fields: relation.fields.clone(),
                    to_fields: relation.references.fields.clone(),
                    many: false,
                    relation: relation.name.clone(),
                });
        }
    }
    for (holder, entity) in &manifest.entities {
        for relation in &entity.relations {
            let target = relation.references.entity.as_str();
            let Some(list) = out.get_mut(target) else {
                continue;
            };
            let wanted = holder.clone();
            let fallback = fallback_name(holder, relation);
            let link_name = claim(taken.get_mut(target), wanted, fallback);
            list.push(Link {
                name: link_name,
                from: target.to_owned(),
                to: holder.clone(),
                from_fields: relation.references.fields.clone(),
                to_fields: relation.fields.clone(),
                many: true,
                relation: relation.name.clone(),
            });
        }
    }
    out
}

/// The links of one entity (empty when it has none or does not exist).
pub fn links_of(manifest: &Manifest, entity: &str) -> Vec<Link> {
    links(manifest).remove(entity).unwrap_or_default()
}

fn to_one_name(relation: &Relation) -> String {
    if let [field] = relation.fields.as_slice() {
        for suffix in ["_id", "Id", "ID", "_ID"] {
            if let Some(stem) = field.strip_suffix(suffix)
                && !stem.is_empty()
                && !stem.ends_with('_')
            {
                return stem.to_owned();
            }
        }
    }
    relation.references.entity.clone()
}

fn fallback_name(entity: &str, relation: &Relation) -> String {
    format!("{entity}_by_{}", relation.fields.join("_"))
}

/// Takes `wanted` if it is free in `taken`, else `fallback`, else
/// `fallback_2`, `fallback_3`...; records the name taken.
fn claim(taken: Option<&mut BTreeSet<String>>, wanted: String, fallback: String) -> String {
    let Some(taken) = taken else {
        return wanted;
    };
    let name = if !taken.contains(&wanted) {
        wanted
    } else if !taken.contains(&fallback) {
        fallback
    } else {
        (2..)
            .map(|n| format!("{fallback}_{n}"))
            .find(|name| !taken.contains(name))
            .expect("an unbounded range finds a free name")
    };
    taken.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::load_str;

    fn names(manifest: &Manifest, entity: &str) -> Vec<(String, String, bool)> {
        links_of(manifest, entity)
            .into_iter()
            .map(|link| (link.name, link.to, link.many))
            .collect()
    }

    #[test]
    fn links_are_named_from_keys_and_entities_without_clashes() {
        let manifest = load_str(
            std::path::Path::new("baas.toml"),
            r#"
[manifest]
format = 1
version = 1

[entities.language]
table = "language"
primary_key = ["language_id"]
[entities.language.fields]
language_id = { type = "int32" }

[entities.film]
table = "film"
primary_key = ["film_id"]
[entities.film.fields]
film_id = { type = "int32" }
language_id = { type = "int32" }
original_language_id = { type = "int32", nullable = true }
[[entities.film.relations]]
fields = ["language_id"]
references = { entity = "language", fields = ["language_id"] }
[[entities.film.relations]]
fields = ["original_language_id"]
references = { entity = "language", fields = ["language_id"] }

[entities.staff]
table = "staff"
primary_key = ["staff_id"]
[entities.staff.fields]
staff_id = { type = "int32" }
manager = { type = "int32", nullable = true }
[[entities.staff.relations]]
fields = ["manager"]
references = { entity = "staff", fields = ["staff_id"] }
"#
            .to_owned(),
        )
        .unwrap()
        .manifest;

        assert_eq!(
            names(&manifest, "film"),
            [
                ("language".into(), "language".into(), false),
                ("original_language".into(), "language".into(), false),
            ]
        );
        assert_eq!(
            names(&manifest, "language"),
            [
                ("film".into(), "film".into(), true),
                ("film_by_original_language_id".into(), "film".into(), true),
            ]
        );
        // A self reference: the to-one link takes the entity's name, so the
        // to-many one falls back.
        assert_eq!(
            names(&manifest, "staff"),
            [
                ("staff".into(), "staff".into(), false),
                ("staff_by_manager".into(), "staff".into(), true),
            ]
        );
    }
}
