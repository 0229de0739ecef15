//! The policy of `[entities.X.rules]` ([`crate::rules`] evaluates them).
//!
//! Semantics (DESIGN.md §5b): a list returns the rows its rule lets through
//! (200); a row outside the view/update/delete rule is not found (404), and
//! so is a row the caller cannot read (neither the list nor the view rule
//! lets it through) on update and delete; a refused create is 403. With
//! `[auth]` in the manifest an action without a rule is refused to everyone
//! but the service key; without `[auth]` it is open, as the API has always
//! been. The service key passes every rule.

use super::{Decision, Permissions, Policy, Principal};
use crate::query::Filter;
use crate::rules::{Request, RuleAction, Verdict, may_hold, now_seconds};
use crate::serve::operation::{Action, Operation, Schema};

fn rule_action(action: Action) -> RuleAction {
    match action {
        Action::List => RuleAction::List,
        Action::View => RuleAction::View,
        Action::Create => RuleAction::Create,
        Action::Update => RuleAction::Update,
        Action::Delete => RuleAction::Delete,
    }
}

/// What the rules see of `principal` (nothing for anonymous).
fn request<'a>(principal: &'a Principal) -> Request<'a> {
    match principal {
        Principal::User { id, role, claims } => Request {
            id: id.as_deref(),
            role: role.as_deref(),
            claims: Some(claims),
            ..Request::default()
        },
        _ => Request::default(),
    }
}

/// The policy of a served manifest: its rules, or everything allowed when
/// it has neither rules nor `[auth]`. Reads the rules from the operation's
/// [`Schema`], so a hot reload changes them with the manifest.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rules;

impl Rules {
    /// The decision for `operation`, given the query-string parameters
    /// (`@query.*`).
    pub fn decide_with(
        &self,
        schema: &Schema,
        operation: &Operation,
        query: &[(String, String)],
    ) -> Decision {
        let rules = &schema.rules;
        if rules.is_open() || *operation.principal == Principal::Service {
            return Decision::Allow { scope: None };
        }
        let action = rule_action(operation.action);
        let request = Request {
            body: operation.body.as_ref().map(|body| &body.json),
            query,
            now: now_seconds(),
            ..request(&operation.principal)
        };
        let Some(verdict) = rules.verdict(&schema.manifest, &operation.entity, action, &request)
        else {
            return if rules.deny_missing {
                Decision::Deny {
                    reason: format!(
                        "no rule lets anyone {} `{}`",
                        action.as_str(),
                        operation.entity
                    ),
                }
            } else {
                Decision::Allow { scope: None }
            };
        };
        // An update or a delete reaches only the rows the caller can read.
        let verdict = match operation.action {
            Action::Update | Action::Delete => {
                verdict.and(rules.readable(&schema.manifest, &operation.entity, &request))
            }
            _ => verdict,
        };
        match (verdict, operation.action) {
            (Verdict::True, _) => Decision::Allow { scope: None },
            (_, Action::Create) => Decision::Deny {
                reason: format!(
                    "the create rule of `{}` does not allow this row",
                    operation.entity
                ),
            },
            // No row passes: the store finds none (an empty list, a 404).
            (Verdict::False, _) => Decision::Allow {
                scope: Some(Filter::Or(Vec::new())),
            },
            (Verdict::Scope(filter), _) => Decision::Allow {
                scope: Some(filter),
            },
        }
    }
}

impl Policy for Rules {
    fn decide(&self, schema: &Schema, operation: &Operation) -> Decision {
        self.decide_with(schema, operation, &operation.params)
    }

    /// The update rule's row conditions for this request (`@auth`,
    /// `@body`, `@query` and `@now` already decided) and the read rules
    /// (list or view): what the row as updated must match, as the
    /// `WITH CHECK` of the rule's policy ([`crate::rules::rls`]) and the
    /// SELECT policies PostgreSQL asks of a row an UPDATE reads back
    /// demand of it. An update cannot hide a row from the one making it.
    fn check(&self, schema: &Schema, operation: &Operation) -> Option<Filter> {
        let rules = &schema.rules;
        if operation.action != Action::Update
            || rules.is_open()
            || *operation.principal == Principal::Service
        {
            return None;
        }
        let request = Request {
            body: operation.body.as_ref().map(|body| &body.json),
            query: &operation.params,
            now: now_seconds(),
            ..request(&operation.principal)
        };
        let verdict = rules
            .verdict(
                &schema.manifest,
                &operation.entity,
                RuleAction::Update,
                &request,
            )?
            .and(rules.readable(&schema.manifest, &operation.entity, &request));
        match verdict {
            Verdict::True => None,
            Verdict::False => Some(Filter::Or(Vec::new())),
            Verdict::Scope(filter) => Some(filter),
        }
    }

    fn permissions(&self, schema: &Schema, principal: &Principal, entity: &str) -> Permissions {
        let shape = super::Open.permissions(schema, principal, entity);
        let rules = &schema.rules;
        if rules.is_open() || *principal == Principal::Service {
            return shape;
        }
        let request = Request {
            now: now_seconds(),
            ..request(principal)
        };
        // Without a row or a body: may the principal do it to some row?
        let may =
            |action: RuleAction| match rules.verdict(&schema.manifest, entity, action, &request) {
                None => !rules.deny_missing,
                Some(Verdict::False) => false,
                Some(_) => true,
            };
        let create = match rules.rule(entity, RuleAction::Create) {
            None => !rules.deny_missing,
            // Depends on the body: possible unless the caller alone rules it out.
            Some(Ok(expr)) => may_hold(expr, &request),
            Some(Err(_)) => false,
        };
        let read = may(RuleAction::List) || may(RuleAction::View);
        Permissions {
            read: shape.read && read,
            create: shape.create && create,
            // An update or a delete reaches only rows the caller can read.
            update: shape.update && read && may(RuleAction::Update),
            delete: shape.delete && read && may(RuleAction::Delete),
        }
    }
}
