//! Row-level security made from rules (`[auth] rls = true`, PostgreSQL):
//! the policies each side has or should have, by name. A manifest with
//! rules and `rls` should have the policies [`crate::rules::rls`] makes
//! from them; a database has those it was found with (`Entity::policies`,
//! only the `baas_` ones). A rule's policy is named by a hash of its SQL,
//! so a changed rule is one policy dropped and one added.

use std::collections::BTreeSet;

use super::{Change, ChangeKind, Safety};
use crate::manifest::{Manifest, SourceEngine};
use crate::rules::rls;

/// Whether `manifest` asks for row-level security from its rules.
fn rls_on(manifest: &Manifest) -> bool {
    manifest.auth.as_ref().is_some_and(|auth| auth.rls)
        && !matches!(
            manifest.source.as_ref().map(|s| s.engine),
            Some(SourceEngine::Mysql | SourceEngine::Sqlite | SourceEngine::Mongodb)
        )
}

/// The policy names and whether RLS is on for `entity` in `manifest`.
fn state(manifest: &Manifest, entity: &str) -> (bool, BTreeSet<String>) {
    let Some(found) = manifest.entities.get(entity) else {
        return (false, BTreeSet::new());
    };
    let mut names: BTreeSet<String> = found
        .policies
        .iter()
        .filter(|name| name.starts_with("baas_"))
        .cloned()
        .collect();
    let derived = rls_on(manifest) && !found.is_read_only();
    if derived {
        let links = crate::manifest::links::links(manifest);
        names.extend(
            rls::policies(manifest, &links, entity, &rls::claim_names(manifest))
                .into_iter()
                .map(|policy| policy.name),
        );
    }
    (derived || found.row_level_security, names)
}

/// The policies made from rules, and row-level security on or off (from
/// rules, or `row_level_security` on the entity).
pub(super) fn policies(before: &Manifest, after: &Manifest, changes: &mut Vec<Change>) {
    let mut names: BTreeSet<&String> = after.entities.keys().collect();
    names.extend(before.entities.keys());
    for name in names {
        let (old_on, old) = state(before, name);
        let (new_on, new) = state(after, name);
        let exists_after = after.entities.contains_key(name);
        for policy in old.difference(&new) {
            if exists_after {
                changes.push(Change::new(
                    ChangeKind::DropPolicy {
                        entity: name.clone(),
                        name: policy.clone(),
                    },
                    Safety::Safe,
                    format!("drops the row-level security policy `{policy}` of `{name}`"),
                ));
            }
        }
        if !exists_after {
            continue;
        }
        // A table created with `row_level_security` set is created with
        // RLS on.
        let created_on = !before.entities.contains_key(name)
            && after
                .entities
                .get(name)
                .is_some_and(|e| e.row_level_security);
        if old_on != new_on && !created_on {
            changes.push(Change::new(
                ChangeKind::SetRowSecurity {
                    entity: name.clone(),
                    enabled: new_on,
                },
                // No row changes; the engines without RLS render nothing.
                Safety::Safe,
                if new_on {
                    format!("enables row-level security on `{name}`: roles that do not own it see only what its policies allow")
                } else {
                    format!("disables row-level security on `{name}`")
                },
            ));
        }
        for policy in new.difference(&old) {
            changes.push(Change::new(
                ChangeKind::AddPolicy {
                    entity: name.clone(),
                    name: policy.clone(),
                },
                Safety::Safe,
                format!(
                    "creates the row-level security policy `{policy}` of `{name}` from its rules"
                ),
            ));
        }
    }
}
