//! Drift between a manifest and the document of the upstream API it
//! serves (`baas check --url SPEC`): an API changed under you.
//!
//! The document is imported as `baas introspect` would, and compared with
//! baas.toml in the upstream's direction: "add field" is a field the
//! upstream has and baas.toml does not, "drop field" one baas.toml serves
//! and the upstream no longer has. Only what an import can know is
//! compared: entities with their fields, types, keys and relations, enums,
//! the operations (by method and path, or GraphQL root field, with their
//! action, entity, query parameters, pagination, rows key, error pointer
//! and GraphQL signature) and the base URL.
//! Rules, comments and the like are baas's own and never drift.
//!
//! Operations are reported as `add_object` / `drop_object` /
//! `alter_object` changes whose `object` is `operation GET /pets` (or
//! `api base_url`), so they go through `check`'s usual table and JSON.

use std::collections::BTreeMap;

use crate::diff::{Change, ChangeKind, Safety};
use crate::manifest::{Manifest, Operation, SourceEngine};

/// Whether `baas check --url` compares `manifest` with an API document
/// (rather than a database with a schema): a manifest imported from one,
/// or served from an upstream.
pub fn is_api_manifest(manifest: &Manifest) -> bool {
    let engine = manifest.source.as_ref().map(|source| source.engine);
    matches!(
        engine,
        Some(SourceEngine::Http | SourceEngine::Openapi | SourceEngine::Graphql)
    ) || manifest
        .api
        .as_ref()
        .is_some_and(|api| !api.operations.is_empty())
}

/// The changes from `manifest` (what baas serves) to `upstream` (the
/// document imported now), in the order of [`crate::diff::diff`] then
/// the base URL and the operations by method and path.
pub fn drift(manifest: &Manifest, upstream: &Manifest) -> Vec<Change> {
    let mut changes: Vec<Change> = crate::diff::diff(&schema(manifest), &schema(upstream))
        .into_iter()
        .map(reworded)
        .collect();
    let served = manifest.api.as_ref();
    let now = upstream.api.as_ref();
    let base = |api: Option<&crate::manifest::Api>| api.and_then(|api| api.base_url.clone());
    // A relative one (a document read from a file) says nothing of where.
    if let (Some(before), Some(after)) = (base(served), base(now))
        && before != after
        && url::Url::parse(&after).is_ok()
    {
        changes.push(Change {
            kind: ChangeKind::AlterObject {
                object: "api base_url".to_owned(),
            },
            safety: Safety::Safe,
            reason: format!(
                "the upstream document names `{after}` where baas.toml has `{before}` \
                 (`[source] url` or `--upstream`, when set, is what baas calls)"
            ),
        });
    }
    let operations = |api: Option<&crate::manifest::Api>| -> BTreeMap<(String, String), Operation> {
        api.map(|api| api.operations.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|op| ((op.path.clone(), operation_name(op)), op.clone()))
            .collect()
    };
    let before = operations(served);
    let after = operations(now);
    let keys: std::collections::BTreeSet<&(String, String)> =
        before.keys().chain(after.keys()).collect();
    for key in keys {
        let object = format!("operation {} {}", key.1, key.0);
        match (before.get(key), after.get(key)) {
            (Some(old), None) => {
                let (safety, reason) = match (&old.entity, old.action) {
                    (Some(entity), Some(action)) => (
                        Safety::Destructive,
                        format!(
                            "baas serves `{entity}` {} through it; the upstream document no \
                             longer declares it",
                            action.as_str()
                        ),
                    ),
                    _ => (
                        Safety::Safe,
                        "the upstream document no longer declares it (baas does not call it)"
                            .to_owned(),
                    ),
                };
                changes.push(Change {
                    kind: ChangeKind::DropObject { object },
                    safety,
                    reason,
                });
            }
            (None, Some(new)) => changes.push(Change {
                kind: ChangeKind::AddObject { object },
                safety: Safety::Safe,
                reason: match (&new.entity, new.action) {
                    (Some(entity), Some(action)) => format!(
                        "the upstream declares it (`{entity}` {}); baas.toml does not",
                        action.as_str()
                    ),
                    _ => "the upstream declares it; baas.toml does not".to_owned(),
                },
            }),
            (Some(old), Some(new)) => {
                let what = operation_changes(old, new);
                if what.is_empty() {
                    continue;
                }
                // Baas calls a mapped operation: a change there changes
                // what its calls send or read.
                let safety = if old.action.is_some() {
                    Safety::NeedsReview
                } else {
                    Safety::Safe
                };
                changes.push(Change {
                    kind: ChangeKind::AlterObject { object },
                    safety,
                    reason: what.join("; "),
                });
            }
            (None, None) => {}
        }
    }
    changes
}

/// What an import decides about a manifest's model; the rest is baas's own.
fn schema(manifest: &Manifest) -> Manifest {
    let mut entities = manifest.entities.clone();
    for entity in entities.values_mut() {
        entity.rules = Default::default();
        entity.policies.clear();
        entity.comment = None;
        entity.renamed_from = None;
        for field in entity.fields.values_mut() {
            field.comment = None;
            field.renamed_from = None;
        }
    }
    Manifest {
        format: manifest.format,
        enums: manifest.enums.clone(),
        entities,
        ..Manifest::default()
    }
}

/// The database wording of [`crate::diff`]'s reasons, said of an API.
fn reworded(mut change: Change) -> Change {
    match &change.kind {
        ChangeKind::AddEntity { entity } => {
            change.reason =
                format!("the upstream document has the schema `{entity}`; baas.toml does not");
        }
        ChangeKind::DropEntity { entity } => {
            change.reason =
                format!("baas.toml serves `{entity}`; the upstream document no longer has it");
        }
        ChangeKind::AddField { entity, field } => {
            change.reason = format!(
                "the upstream's `{entity}` has the field `{field}`; baas.toml does not{}",
                if change.safety == Safety::Safe {
                    ""
                } else {
                    " (and it is required: creates through baas will lack it)"
                }
            );
        }
        ChangeKind::DropField { entity, field } => {
            change.reason = format!(
                "baas.toml serves `{entity}.{field}`; the upstream's `{entity}` no longer has it"
            );
        }
        ChangeKind::AlterField { entity, field, .. } => {
            change.reason = format!("`{entity}.{field}` changed upstream: {}", change.reason);
        }
        _ => {}
    }
    change
}

/// How one operation changed, in words; empty when it did not.
/// An operation's method, or for a GraphQL one (all posted to one path)
/// its root field: `query books`.
fn operation_name(operation: &Operation) -> String {
    match &operation.graphql {
        Some(graphql) => format!("{} {}", graphql.operation, graphql.field),
        None => operation.method.clone(),
    }
}

/// A GraphQL field's signature: `books(where: BookFilter, first: Int): BookConnection!`
/// and what baas uses of it: the input fields it takes, its key
/// arguments, its order argument and where its count is read.
fn graphql_text(operation: &Operation) -> Option<String> {
    let graphql = operation.graphql.as_ref()?;
    let arguments: Vec<String> = graphql
        .arguments
        .iter()
        .map(|(name, ty)| format!("{name}: {ty}"))
        .collect();
    let mut text = format!(
        "{}({}): {}",
        graphql.field,
        arguments.join(", "),
        graphql.returns
    );
    if !graphql.input_fields.is_empty() {
        text.push_str(&format!(" input {{ {} }}", graphql.input_fields.join(", ")));
    }
    if !graphql.key.is_empty() {
        text.push_str(&format!(" key ({})", graphql.key.join(", ")));
    }
    if let (Some(filter), Some(or)) = (&graphql.filter, &graphql.filter_or) {
        text.push_str(&format!(" filter {filter} {{ {or} }}"));
    }
    if !graphql.operators.is_empty() {
        let spelled: Vec<String> = graphql
            .operators
            .iter()
            .map(|(op, name)| format!("{op} {name}"))
            .collect();
        text.push_str(&format!(" comparing ({})", spelled.join(", ")));
    }
    if let Some(order) = &graphql.order {
        text.push_str(&format!(
            " order {} {}{} by {}",
            order.argument,
            order.style,
            if order.list { " list" } else { "" },
            order.fields.join(", ")
        ));
        if let (Some(by), Some(direction)) = (&order.by, &order.direction) {
            let values: Vec<&str> = order.values.values().map(String::as_str).collect();
            text.push_str(&format!(" ({by}: {}; {direction})", values.join(", ")));
        }
        let nulls: Vec<&str> = order.nulls.0.iter().flatten().map(String::as_str).collect();
        if !nulls.is_empty() {
            text.push_str(&format!(" nulls {}", nulls.join(", ")));
        }
    }
    if let Some(count) = &graphql.count {
        let field = graphql.count_field.as_deref().unwrap_or(&graphql.field);
        text.push_str(&format!(" count {field}.{count}"));
    }
    Some(text)
}

fn operation_changes(old: &Operation, new: &Operation) -> Vec<String> {
    let mut what = Vec::new();
    let shown = |value: Option<String>| value.unwrap_or_else(|| "none".to_owned());
    let mut compare = |name: &str, before: Option<String>, after: Option<String>| {
        if before != after {
            what.push(format!("{name} `{}` → `{}`", shown(before), shown(after)));
        }
    };
    compare("entity", old.entity.clone(), new.entity.clone());
    compare(
        "action",
        old.action.map(|a| a.as_str().to_owned()),
        new.action.map(|a| a.as_str().to_owned()),
    );
    compare(
        "pagination",
        old.pagination.as_ref().map(pagination_text),
        new.pagination.as_ref().map(pagination_text),
    );
    compare("rows", old.rows.clone(), new.rows.clone());
    compare("error", old.error.clone(), new.error.clone());
    compare("graphql", graphql_text(old), graphql_text(new));
    let added: Vec<&str> = new
        .query
        .iter()
        .filter(|name| !old.query.contains(name))
        .map(String::as_str)
        .collect();
    let removed: Vec<&str> = old
        .query
        .iter()
        .filter(|name| !new.query.contains(name))
        .map(String::as_str)
        .collect();
    if !added.is_empty() {
        what.push(format!("query parameters added: {}", added.join(", ")));
    }
    if !removed.is_empty() {
        what.push(format!("query parameters removed: {}", removed.join(", ")));
    }
    what
}

fn pagination_text(pagination: &crate::manifest::Pagination) -> String {
    let names: Vec<String> = [
        ("limit", &pagination.limit),
        ("offset", &pagination.offset),
        ("page", &pagination.page),
        ("cursor", &pagination.cursor),
        ("next", &pagination.next),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.as_ref().map(|value| format!("{key}={value}")))
    .collect();
    format!("{}({})", pagination.style.as_str(), names.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Api, Entity, Field, FieldType, OperationAction};

    fn manifest(fields: &[&str], operations: Vec<Operation>) -> Manifest {
        let mut entity = Entity::new("pet");
        entity.primary_key = vec!["id".to_owned()];
        for name in fields {
            entity
                .fields
                .insert((*name).to_owned(), Field::new(FieldType::String));
        }
        let mut manifest = Manifest::default();
        manifest.entities.insert("pet".to_owned(), entity);
        manifest.api = Some(Api {
            operations,
            ..Api::default()
        });
        manifest
    }

    fn list(query: &[&str]) -> Operation {
        Operation {
            method: "GET".to_owned(),
            path: "/pets".to_owned(),
            entity: Some("pet".to_owned()),
            action: Some(OperationAction::List),
            query: query.iter().map(|q| (*q).to_owned()).collect(),
            ..Operation::default()
        }
    }

    #[test]
    fn fields_and_operations_are_compared_in_the_upstreams_direction() {
        let served = manifest(&["id", "name"], vec![list(&["name"])]);
        assert!(drift(&served, &served.clone()).is_empty());
        let mut rules = served.clone();
        rules.entities.get_mut("pet").unwrap().rules.list = Some("true".to_owned());
        assert!(drift(&rules, &served).is_empty(), "rules are baas's own");

        let now = manifest(&["id", "tag"], vec![list(&["tag"])]);
        let changes = drift(&served, &now);
        let kinds: Vec<String> = changes
            .iter()
            .map(|c| {
                serde_json::to_value(c).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert!(kinds.contains(&"add_field".to_owned()), "{changes:?}");
        assert!(kinds.contains(&"drop_field".to_owned()), "{changes:?}");
        let dropped = changes
            .iter()
            .find(|c| matches!(c.kind, ChangeKind::DropField { .. }))
            .unwrap();
        assert_eq!(dropped.safety, Safety::Destructive);
        let altered = changes
            .iter()
            .find(|c| matches!(c.kind, ChangeKind::AlterObject { .. }))
            .unwrap();
        assert!(altered.reason.contains("added: tag"), "{}", altered.reason);
        assert!(
            altered.reason.contains("removed: name"),
            "{}",
            altered.reason
        );

        let gone = manifest(&["id", "name"], Vec::new());
        let changes = drift(&served, &gone);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].safety, Safety::Destructive);
    }
}
