//! A live introspection names entities after their tables and fields after
//! their columns; a manifest may name them otherwise (Prisma's `@@map` and
//! `@map`, `table =` and `column =`). Before the two are compared, the live
//! side takes the manifest's names for the same table and column, so that
//! only real differences are changes. A MongoDB database then takes from
//! the manifest what it cannot show ([`super::mongodb`]), a MySQL database
//! leaves out what it shows of its own accord ([`super::mysql`]), a SQLite
//! database's `TEXT` columns take the manifest's enums ([`super::sqlite`]).

use std::collections::BTreeMap;

use crate::manifest::{Entity, IndexPart, Manifest, SourceEngine};

/// Renames the entities and fields of `live` that address the same table
/// (in the same schema) and column as an entity or field of `manifest`
/// under another name; on MongoDB, also takes what the database cannot
/// show from `manifest`, so that only what it can show is compared.
pub fn named_like(live: &mut Manifest, manifest: &Manifest) {
    rename_like(live, manifest);
    match live.source.as_ref().map(|s| s.engine) {
        Some(SourceEngine::Mongodb) => super::mongodb::as_shown(live, manifest),
        Some(SourceEngine::Mysql) => super::mysql::as_shown(live, manifest),
        Some(SourceEngine::Sqlite) => super::sqlite::as_shown(live, manifest),
        _ => {}
    }
}

fn rename_like(live: &mut Manifest, manifest: &Manifest) {
    let live_default = default_schema(live);
    let default = default_schema(manifest);
    let wanted: BTreeMap<(String, &str), (&str, &Entity)> = manifest
        .entities
        .iter()
        .map(|(name, entity)| {
            let schema = entity.schema.clone().or_else(|| default.clone());
            (
                (schema.unwrap_or_default(), entity.table.as_str()),
                (name.as_str(), entity),
            )
        })
        .collect();
    // Old entity name → (new name, old field name → new field name).
    let mut renames: BTreeMap<String, (String, BTreeMap<String, String>)> = BTreeMap::new();
    for (name, entity) in &live.entities {
        let schema = entity
            .schema
            .clone()
            .or_else(|| live_default.clone())
            .unwrap_or_default();
        let Some((new_name, target)) = wanted.get(&(schema, entity.table.as_str())) else {
            continue;
        };
        if *new_name != name.as_str() && live.entities.contains_key(*new_name) {
            continue;
        }
        let mut fields = BTreeMap::new();
        for (field_name, field) in &target.fields {
            let column = field.column.as_deref().unwrap_or(field_name);
            if column != field_name
                && entity.fields.contains_key(column)
                && !entity.fields.contains_key(field_name)
            {
                fields.insert(column.to_owned(), field_name.clone());
            }
        }
        renames.insert(name.clone(), ((*new_name).to_owned(), fields));
    }
    if renames
        .iter()
        .all(|(old, (new, fields))| old == new && fields.is_empty())
    {
        return;
    }
    let no_fields = BTreeMap::new();
    let fields_of = |entity: &str| renames.get(entity).map_or(&no_fields, |(_, fields)| fields);
    let rename = |map: &BTreeMap<String, String>, name: &mut String| {
        if let Some(new) = map.get(name.as_str()) {
            name.clone_from(new);
        }
    };
    let entities = std::mem::take(&mut live.entities);
    for (name, mut entity) in entities {
        let fields = fields_of(&name);
        if !fields.is_empty() {
            entity.fields = std::mem::take(&mut entity.fields)
                .into_iter()
                .map(|(column, mut field)| match fields.get(&column) {
                    Some(new) => {
                        field.column = Some(column);
                        (new.clone(), field)
                    }
                    None => (column, field),
                })
                .collect();
            for key in &mut entity.primary_key {
                rename(fields, key);
            }
            for index in &mut entity.indexes {
                for part in &mut index.fields {
                    if let IndexPart::Field { field, .. } = part {
                        rename(fields, field);
                    }
                }
            }
            for unique in &mut entity.uniques {
                for field in &mut unique.fields {
                    rename(fields, field);
                }
            }
        }
        for relation in &mut entity.relations {
            for field in &mut relation.fields {
                rename(fields, field);
            }
            let target = fields_of(&relation.references.entity);
            for field in &mut relation.references.fields {
                rename(target, field);
            }
            if let Some((new, _)) = renames.get(&relation.references.entity) {
                relation.references.entity.clone_from(new);
            }
        }
        let name = match renames.get(&name) {
            Some((new, _)) => {
                // The manifest's spelling of the same schema.
                if let Some(schema) = manifest.entities.get(new).map(|e| e.schema.clone()) {
                    entity.schema = schema;
                }
                new.clone()
            }
            None => name,
        };
        live.entities.insert(name, entity);
    }
}

/// The schema of an entity without one: the first listed, else
/// PostgreSQL's `public`, else none.
fn default_schema(manifest: &Manifest) -> Option<String> {
    let source = manifest.source.as_ref()?;
    source
        .schemas
        .first()
        .cloned()
        .or_else(|| (source.engine == SourceEngine::Postgres).then(|| "public".to_owned()))
}
