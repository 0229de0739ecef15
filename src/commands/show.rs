//! `baas show`: the manifest at a glance, or one entity in detail.

use comfy_table::Table;
use serde_json::json;

use crate::ExitStatus;
use crate::context::Context;
use crate::diagnostics::UsageError;
use crate::manifest::{self, Entity, Manifest};
use crate::ui::table;

/// Show the entities of the manifest, or one entity's fields, keys, indexes and relations.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The entity to show in detail [default: list all entities]
    pub entity: Option<String>,
}

pub fn run(args: ShowArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let loaded = manifest::load_file(&cx.manifest_path)?;
    let manifest = &loaded.manifest;
    match args.entity {
        None => {
            if cx.printer.json_mode() {
                cx.printer.json(&masked(manifest))?;
            } else {
                cx.printer.data(&format!("{}\n", overview(manifest)))?;
            }
        }
        Some(name) => {
            let Some(entity) = manifest.entities.get(&name) else {
                let names: Vec<&str> = manifest.entities.keys().map(String::as_str).collect();
                let hint = match manifest::diagnostics::closest(&name, &names) {
                    Some(best) => format!("did you mean `{best}`? `baas show` lists them all"),
                    None => "`baas show` lists them all".to_owned(),
                };
                return Err(UsageError::new(format!(
                    "no entity `{name}` in `{}`",
                    cx.display_path(&loaded.path)
                ))
                .with_hint(hint)
                .into());
            };
            if cx.printer.json_mode() {
                cx.printer
                    .json(&json!({ "name": name, "entity": entity }))?;
            } else {
                cx.printer.data(&detail(&name, entity))?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// The manifest as `--json` prints it: a password written inline in
/// `[source] url` is masked, as in every other output (`${VAR}` references
/// are kept: they name the secret, not its value).
fn masked(manifest: &Manifest) -> std::borrow::Cow<'_, Manifest> {
    let Some(url) = manifest.source.as_ref().and_then(|s| s.url.as_deref()) else {
        return std::borrow::Cow::Borrowed(manifest);
    };
    let redacted = crate::source::redact(url);
    if redacted == url || password_is_reference(url) {
        return std::borrow::Cow::Borrowed(manifest);
    }
    let mut copy = manifest.clone();
    if let Some(source) = &mut copy.source {
        source.url = Some(redacted);
    }
    std::borrow::Cow::Owned(copy)
}

/// Whether the password of `url` is a `${VAR}` reference (not a secret).
fn password_is_reference(url: &str) -> bool {
    let Some((_, after)) = url.split_once("://") else {
        return false;
    };
    let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return false;
    };
    userinfo.split_once(':').is_some_and(|(_, password)| {
        password.starts_with("${") && password.ends_with('}') && password.matches('$').count() == 1
    })
}

/// One row per entity, with counts.
pub fn overview(manifest: &Manifest) -> Table {
    let mut out = table::new(&[
        "entity",
        "kind",
        "table",
        "primary key",
        "fields",
        "relations",
        "indexes",
    ]);
    for (name, entity) in &manifest.entities {
        let table_name = match &entity.schema {
            Some(schema) => format!("{schema}.{}", entity.table),
            None => entity.table.clone(),
        };
        out.add_row(vec![
            name.clone(),
            entity.kind.to_string(),
            table_name,
            entity.primary_key.join(", "),
            entity.fields.len().to_string(),
            entity.relations.len().to_string(),
            entity.indexes.len().to_string(),
        ]);
    }
    table::right_align(&mut out, &[4, 5, 6]);
    out
}

fn detail(name: &str, entity: &Entity) -> String {
    let mut out = format!("{name} ({} `{}`)\n", entity.kind, entity.table);
    if let Some(comment) = &entity.comment {
        out.push_str(&format!("{comment}\n"));
    }
    let mut fields = table::new(&["field", "type", "null", "default", "notes"]);
    for (field_name, field) in &entity.fields {
        let mut notes = Vec::new();
        if entity.primary_key.contains(field_name) {
            notes.push("primary key".to_owned());
        }
        if let Some(generated) = &field.generated {
            notes.push(format!("generated {generated}"));
        }
        if field.unique {
            notes.push("unique".to_owned());
        }
        if let Some(native) = field
            .native
            .as_ref()
            .filter(|_| field.ty != manifest::FieldType::Native)
        {
            notes.push(format!("native {native}"));
        }
        if let Some(column) = &field.column {
            notes.push(format!("column {column}"));
        }
        if let Some(comment) = &field.comment {
            notes.push(comment.clone());
        }
        fields.add_row(vec![
            field_name.clone(),
            field.type_label(),
            if field.nullable { "yes" } else { "" }.to_owned(),
            field
                .default
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            notes.join("; "),
        ]);
    }
    out.push_str(&format!("{fields}\n"));
    if !entity.relations.is_empty() {
        out.push_str("\nrelations:\n");
        for relation in &entity.relations {
            let name = relation
                .name
                .as_deref()
                .map(|n| format!("{n}: "))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {name}({}) -> {}({}) on delete {} on update {}\n",
                relation.fields.join(", "),
                relation.references.entity,
                relation.references.fields.join(", "),
                relation.on_delete,
                relation.on_update
            ));
        }
    }
    if !entity.indexes.is_empty() {
        out.push_str("\nindexes:\n");
        for index in &entity.indexes {
            let parts: Vec<String> = index.fields.iter().map(ToString::to_string).collect();
            let unique = if index.unique { "unique " } else { "" };
            let predicate = index
                .predicate
                .as_deref()
                .map(|p| format!(" where {p}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {unique}{} ({}){predicate}\n",
                index.name,
                parts.join(", ")
            ));
        }
    }
    for unique in &entity.uniques {
        out.push_str(&format!("unique: ({})\n", unique.fields.join(", ")));
    }
    for check in &entity.checks {
        out.push_str(&format!("check: {}\n", check.sql));
    }
    out
}
