//! Rules at request time: each rule of `[entities.X.rules]`, parsed and
//! checked once per manifest version ([`RuleSet`], kept in the serve
//! kernel's `Schema`), is evaluated per request. What is constant for the request (`@auth.*`,
//! `@body.*`, `@query.*`, `@now`, literals, and on create the body's
//! fields) is evaluated here; what remains over the row's fields becomes
//! the operation's scope, a [`Filter`] the store ANDs into its query, with
//! relation paths as [`Filter::Exists`].
//!
//! Semantics (DESIGN.md §5b): a list returns the rows its rule lets through
//! (200); a row outside the view/update/delete rule is not found (404); a
//! refused create is 403. With `[auth]` in the manifest an action without
//! a rule is refused to everyone but the service key; without `[auth]` it
//! is open, as the API has always been. The service key passes every rule.
//!
//! Comparisons with a value that is missing (an unset claim, a field the
//! body leaves out) never hold, so `author_id = @auth.id` matches no row
//! for an anonymous caller, not the rows whose `author_id` is null; write
//! `= null` to ask for null.

pub mod rls;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;

use crate::manifest::links::Link;
pub use crate::manifest::rules::RuleAction;
use crate::manifest::rules::{CmpOp, Expr, Modifier, Operand, OperandKind, RowRef};
use crate::manifest::{Field, FieldType, Manifest};
use crate::query::{Filter, Op, Term, Value};

/// Every entity's rules, checked against one manifest version.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// Whether the manifest has `[auth]`: an action without a rule is then
    /// refused (the service key aside).
    pub deny_missing: bool,
    /// Whether some rule reads `@query` (the HTTP layer then passes the
    /// query-string parameters).
    pub uses_query: bool,
    entities: HashMap<String, EntityRules>,
}

/// One rule per action; `Err` when it did not check (the manifest was not
/// loaded through `manifest::load`), which refuses the action.
#[derive(Debug, Default)]
struct EntityRules {
    rules: [Option<Result<Expr, String>>; 5],
}

fn index(action: RuleAction) -> usize {
    match action {
        RuleAction::List => 0,
        RuleAction::View => 1,
        RuleAction::Create => 2,
        RuleAction::Update => 3,
        RuleAction::Delete => 4,
    }
}

impl RuleSet {
    /// Parses and checks every rule of `manifest` (`links` as the kernel
    /// derives them).
    pub fn new(
        manifest: &Manifest,
        links: &BTreeMap<String, Vec<Link>>,
        deny_missing: bool,
    ) -> Self {
        let mut entities = HashMap::new();
        for (name, entity) in &manifest.entities {
            if entity.rules.is_empty() {
                continue;
            }
            let mut compiled = EntityRules::default();
            for (action, text) in entity.rules.iter() {
                let Some(action) = RuleAction::parse(action) else {
                    continue;
                };
                let checked = crate::manifest::rules::check(manifest, links, name, action, text)
                    .map_err(|error| error.message);
                compiled.rules[index(action)] = Some(checked);
            }
            entities.insert(name.clone(), compiled);
        }
        let uses_query = manifest
            .entities
            .values()
            .any(|entity| entity.rules.iter().any(|(_, text)| text.contains("@query")));
        Self {
            deny_missing,
            uses_query,
            entities,
        }
    }

    /// Whether no rule is written (and none is required): everything is
    /// allowed, as with the open policy.
    pub fn is_open(&self) -> bool {
        !self.deny_missing && self.entities.is_empty()
    }

    /// The checked rule of `entity`'s `action`, when one is written.
    pub fn rule(&self, entity: &str, action: RuleAction) -> Option<&Result<Expr, String>> {
        self.entities
            .get(entity)
            .and_then(|rules| rules.rules[index(action)].as_ref())
    }

    /// The rows of `entity` the caller can read: those its list or its view
    /// rule lets through (an action without a rule is open without
    /// `[auth]`, closed with it). An update or a delete reaches only these
    /// rows (a hidden row is not found), as PostgreSQL applies a table's
    /// SELECT policies to the rows an UPDATE or a DELETE reads: the API and
    /// row-level security agree by construction.
    pub fn readable(&self, manifest: &Manifest, entity: &str, request: &Request<'_>) -> Verdict {
        [RuleAction::List, RuleAction::View]
            .into_iter()
            .map(|action| {
                self.verdict(manifest, entity, action, request)
                    .unwrap_or(Verdict::from_bool(!self.deny_missing))
            })
            .fold(Verdict::False, Verdict::or)
    }

    /// The verdict of `entity`'s `action` rule for one request; `None` when
    /// the entity has no rule for it.
    pub fn verdict(
        &self,
        manifest: &Manifest,
        entity: &str,
        action: RuleAction,
        request: &Request<'_>,
    ) -> Option<Verdict> {
        let rule = self.rule(entity, action)?;
        Some(match rule {
            Ok(expr) => Evaluator {
                manifest,
                entity,
                action,
                request,
            }
            .expr(expr),
            Err(_) => Verdict::False,
        })
    }
}

/// Whether a rule about the caller alone (checked by
/// [`crate::manifest::rules::check_caller_rule`]: no row, body or query)
/// holds for `request`.
pub fn caller_rule_holds(manifest: &Manifest, expr: &Expr, request: &Request<'_>) -> bool {
    let verdict = Evaluator {
        manifest,
        entity: "",
        action: RuleAction::View,
        request,
    }
    .expr(expr);
    verdict == Verdict::True
}

/// What a rule sees of one request.
#[derive(Debug, Default)]
pub struct Request<'a> {
    /// The caller's identity (`@auth.id`), when known.
    pub id: Option<&'a str>,
    /// The caller's role (`@auth.role`).
    pub role: Option<&'a str>,
    /// The caller's other claims (`@auth.<claim>`); `None` for anonymous.
    pub claims: Option<&'a serde_json::Map<String, Json>>,
    /// The body (create, update).
    pub body: Option<&'a Json>,
    /// The query-string parameters.
    pub query: &'a [(String, String)],
    /// Seconds since the Unix epoch (`@now`).
    pub now: i64,
}

impl Request<'_> {
    fn claim(&self, path: &[String]) -> Json {
        let Some((first, rest)) = path.split_first() else {
            return Json::Null;
        };
        let claim = |name: &str| {
            self.claims
                .and_then(|claims| claims.get(name))
                .cloned()
                .unwrap_or(Json::Null)
        };
        // `@auth.id` and `@auth.role` are the claims `[auth] claims` names
        // (read into `id` and `role`), never a claim called `id` or `role`.
        let mut value = match first.as_str() {
            "id" => self.id.map_or(Json::Null, Json::from),
            "role" => self.role.map_or(Json::Null, Json::from),
            name => claim(name),
        };
        for step in rest {
            value = value.get(step).cloned().unwrap_or(Json::Null);
        }
        value
    }
}

/// A rule evaluated for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every row (or the body) passes.
    True,
    /// No row passes.
    False,
    /// The rows matching this filter pass.
    Scope(Filter),
}

impl Verdict {
    fn not(self) -> Self {
        match self {
            Verdict::True => Verdict::False,
            Verdict::False => Verdict::True,
            Verdict::Scope(filter) => Verdict::Scope(Filter::Not(Box::new(filter))),
        }
    }

    fn from_bool(value: bool) -> Self {
        if value { Verdict::True } else { Verdict::False }
    }

    /// Both verdicts: the rows that pass `self` and `other`.
    pub fn and(self, other: Self) -> Self {
        match (self, other) {
            (Verdict::False, _) | (_, Verdict::False) => Verdict::False,
            (Verdict::True, verdict) | (verdict, Verdict::True) => verdict,
            (Verdict::Scope(a), Verdict::Scope(b)) => Verdict::Scope(Filter::And(vec![a, b])),
        }
    }

    /// Either verdict: the rows that pass `self` or `other`.
    pub fn or(self, other: Self) -> Self {
        match (self, other) {
            (Verdict::True, _) | (_, Verdict::True) => Verdict::True,
            (Verdict::False, verdict) | (verdict, Verdict::False) => verdict,
            (Verdict::Scope(a), Verdict::Scope(b)) => Verdict::Scope(Filter::Or(vec![a, b])),
        }
    }
}

/// What an operand is for one request.
enum Val {
    /// A value known now; `literal` when written in the rule (so `null`
    /// means null, not "missing").
    Const {
        json: Json,
        literal: bool,
        now: bool,
    },
    /// A field of the row (or of a related row).
    Row(RowRef),
    /// The length of a field of the row (`tags:length`).
    Length(RowRef),
    /// `@body.x:unchanged`.
    Unchanged(String),
}

struct Evaluator<'a> {
    manifest: &'a Manifest,
    entity: &'a str,
    action: RuleAction,
    request: &'a Request<'a>,
}

impl Evaluator<'_> {
    /// `&&` (`any` false) or `||` (`any` true) of `terms`: a constant that
    /// decides (false for `&&`, true for `||`) wins at once, the other
    /// constant drops out, and the filters left over rows are joined.
    fn junction(&self, terms: &[Expr], any: bool) -> Verdict {
        let mut scopes = Vec::new();
        for term in terms {
            match self.expr(term) {
                Verdict::Scope(filter) => scopes.push(filter),
                Verdict::True if any => return Verdict::True,
                Verdict::False if !any => return Verdict::False,
                Verdict::True | Verdict::False => {}
            }
        }
        match scopes.len() {
            0 if any => Verdict::False,
            0 => Verdict::True,
            1 => Verdict::Scope(scopes.remove(0)),
            _ if any => Verdict::Scope(Filter::Or(scopes)),
            _ => Verdict::Scope(Filter::And(scopes)),
        }
    }

    fn expr(&self, expr: &Expr) -> Verdict {
        match expr {
            Expr::And(terms) => self.junction(terms, false),
            Expr::Or(terms) => self.junction(terms, true),
            Expr::Not(inner) => self.expr(inner).not(),
            Expr::Truth(operand) => match self.operand(operand) {
                Val::Const { json, .. } => Verdict::from_bool(truthy(&json)),
                Val::Row(row) => self.row_compare(&row, CmpOp::Eq, &Json::Bool(true), true, false),
                Val::Unchanged(field) => self.unchanged(&field),
                // Refused when the rule was checked.
                Val::Length(_) => Verdict::False,
            },
            Expr::Compare { left, op, right } => {
                let (left, right) = (self.operand(left), self.operand(right));
                match (left, right) {
                    (
                        Val::Const {
                            json: a,
                            literal: la,
                            ..
                        },
                        Val::Const {
                            json: b,
                            literal: lb,
                            ..
                        },
                    ) => Verdict::from_bool(const_compare(&a, la, *op, &b, lb)),
                    (Val::Row(row), Val::Const { json, literal, now }) => {
                        self.row_compare(&row, *op, &json, literal, now)
                    }
                    (Val::Const { json, literal, now }, Val::Row(row)) => {
                        self.row_compare(&row, op.flipped(), &json, literal, now)
                    }
                    (Val::Length(row), Val::Const { json, .. }) => {
                        self.length_compare(&row, *op, &json)
                    }
                    (Val::Const { json, .. }, Val::Length(row)) => {
                        self.length_compare(&row, op.flipped(), &json)
                    }
                    (
                        left @ (Val::Row(_) | Val::Length(_)),
                        right @ (Val::Row(_) | Val::Length(_)),
                    ) => self.relate(left, *op, right),
                    // Refused when the rule was checked.
                    _ => Verdict::False,
                }
            }
        }
    }

    fn operand(&self, operand: &Operand) -> Val {
        let constant = |json: Json| Val::Const {
            json,
            literal: false,
            now: false,
        };
        let value = match &operand.kind {
            OperandKind::Literal(json) => {
                return Val::Const {
                    json: json.clone(),
                    literal: true,
                    now: false,
                };
            }
            OperandKind::List(items) => {
                let items = items
                    .iter()
                    .filter_map(|item| match self.operand(item) {
                        Val::Const { json, .. } => Some(json),
                        _ => None,
                    })
                    .collect();
                return Val::Const {
                    json: Json::Array(items),
                    literal: true,
                    now: false,
                };
            }
            OperandKind::Now => {
                return Val::Const {
                    json: Json::String(timestamp(self.request.now, true)),
                    literal: false,
                    now: true,
                };
            }
            OperandKind::Auth(path) => {
                let value = self.request.claim(path);
                if operand.modifier == Some(Modifier::Isset) {
                    return constant(Json::Bool(!value.is_null()));
                }
                value
            }
            OperandKind::Body(name) => {
                let value = self.request.body.and_then(|body| body.get(name));
                match operand.modifier {
                    Some(Modifier::Isset) => return constant(Json::Bool(value.is_some())),
                    Some(Modifier::Unchanged) => return Val::Unchanged(name.clone()),
                    _ => value.cloned().unwrap_or(Json::Null),
                }
            }
            OperandKind::Query(name) => {
                let value = self
                    .request
                    .query
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| Json::String(value.clone()));
                if operand.modifier == Some(Modifier::Isset) {
                    return constant(Json::Bool(value.is_some()));
                }
                value.unwrap_or(Json::Null)
            }
            OperandKind::Row(row) => {
                // A create rule sees the row to be: the body.
                if self.action == RuleAction::Create && row.hops.is_empty() {
                    self.request
                        .body
                        .and_then(|body| body.get(&row.field))
                        .cloned()
                        .unwrap_or(Json::Null)
                } else if operand.modifier == Some(Modifier::Length) {
                    return Val::Length(row.clone());
                } else {
                    return Val::Row(row.clone());
                }
            }
            // Resolved when the rule was checked.
            OperandKind::Path(_) => Json::Null,
        };
        let value = match operand.modifier {
            Some(Modifier::Length) => match &value {
                Json::String(text) => Json::from(text.chars().count()),
                Json::Array(items) => Json::from(items.len()),
                Json::Object(map) => Json::from(map.len()),
                _ => Json::Null,
            },
            _ => value,
        };
        constant(value)
    }

    /// `field:length op value`: a number known now compared with the
    /// length of a field of the row; anything else holds for no row.
    fn length_compare(&self, row: &RowRef, op: CmpOp, value: &Json) -> Verdict {
        let number = match value {
            Json::Number(number) => number.clone(),
            // A claim or a query parameter may carry the number as text.
            Json::String(text) => match serde_json::from_str::<serde_json::Number>(text.trim()) {
                Ok(number) => number,
                Err(_) => return Verdict::False,
            },
            _ => return Verdict::False,
        };
        let value = match number.as_i64() {
            Some(int) => Value::Int(int),
            None => match number.as_f64() {
                Some(float) => Value::Float(float),
                None => return Verdict::False,
            },
        };
        let Some(op) = filter_op(op) else {
            return Verdict::False;
        };
        let filter = Filter::Relate {
            left: Term::Length(row.field.clone()),
            op,
            right: Term::Value(value),
        };
        Verdict::Scope(wrap_hops(row, filter))
    }

    /// Two fields of one row compared (`end_at > start_at`), or their
    /// lengths; the rule checker saw that both are of one row.
    fn relate(&self, left: Val, op: CmpOp, right: Val) -> Verdict {
        let term = |val: Val| match val {
            Val::Row(row) => Some((Term::Field(row.field.clone()), row)),
            Val::Length(row) => Some((Term::Length(row.field.clone()), row)),
            _ => None,
        };
        let (Some((left, row)), Some((right, other)), Some(op)) =
            (term(left), term(right), filter_op(op))
        else {
            return Verdict::False;
        };
        if row.hops != other.hops {
            return Verdict::False;
        }
        Verdict::Scope(wrap_hops(&row, Filter::Relate { left, op, right }))
    }

    /// `@body.field:unchanged` on update: the body leaves the field out, or
    /// sends the value the row has.
    fn unchanged(&self, name: &str) -> Verdict {
        let Some(value) = self.request.body.and_then(|body| body.get(name)) else {
            return Verdict::True;
        };
        let row = RowRef {
            hops: Vec::new(),
            field: name.to_owned(),
        };
        self.row_compare(&row, CmpOp::Eq, value, true, false)
    }

    /// `row op value` as a filter over the entity (through EXISTS for a
    /// relation path).
    fn row_compare(
        &self,
        row: &RowRef,
        op: CmpOp,
        value: &Json,
        literal: bool,
        now: bool,
    ) -> Verdict {
        let entity_name = row
            .hops
            .last()
            .map_or(self.entity, |hop| hop.entity.as_str());
        let Some(field) = self
            .manifest
            .entities
            .get(entity_name)
            .and_then(|entity| entity.fields.get(&row.field))
        else {
            return Verdict::False;
        };
        let compare = |op: Op, value: Value| Filter::Compare {
            field: row.field.clone(),
            op,
            value,
        };
        let filter = if value.is_null() {
            if !literal {
                return Verdict::False;
            }
            let is_null = compare(Op::Is, Value::Null);
            match op {
                CmpOp::Eq => is_null,
                CmpOp::Neq => Filter::Not(Box::new(is_null)),
                _ => return Verdict::False,
            }
        } else {
            match op {
                CmpOp::In => {
                    let items = match value {
                        Json::Array(items) => items.as_slice(),
                        other => std::slice::from_ref(other),
                    };
                    let typed: Vec<Value> = items
                        .iter()
                        .filter(|item| !item.is_null())
                        .filter_map(|item| typed(field, item, false))
                        .collect();
                    if typed.is_empty() {
                        return Verdict::False;
                    }
                    compare(Op::In, Value::List(typed))
                }
                CmpOp::Like | CmpOp::NotLike => {
                    let Some(text) = text_of(value) else {
                        return Verdict::False;
                    };
                    let pattern = if text.contains(['%', '_']) {
                        text
                    } else {
                        format!("%{text}%")
                    };
                    let like = compare(Op::Ilike, Value::Text(pattern));
                    if op == CmpOp::Like {
                        like
                    } else {
                        Filter::Not(Box::new(like))
                    }
                }
                _ => {
                    let Some(value) = typed(field, value, now) else {
                        return Verdict::False;
                    };
                    let Some(op) = filter_op(op) else {
                        return Verdict::False;
                    };
                    compare(op, value)
                }
            }
        };
        Verdict::Scope(wrap_hops(row, filter))
    }
}

/// The filter operator of a comparison (`None` for `in` and `~`).
fn filter_op(op: CmpOp) -> Option<Op> {
    Some(match op {
        CmpOp::Eq => Op::Eq,
        CmpOp::Neq => Op::Neq,
        CmpOp::Gt => Op::Gt,
        CmpOp::Gte => Op::Gte,
        CmpOp::Lt => Op::Lt,
        CmpOp::Lte => Op::Lte,
        CmpOp::In | CmpOp::Like | CmpOp::NotLike => return None,
    })
}

/// `filter` over the last entity of `row`'s path, as a filter over the
/// first: one EXISTS per relation followed.
fn wrap_hops(row: &RowRef, mut filter: Filter) -> Filter {
    for hop in row.hops.iter().rev() {
        filter = Filter::Exists {
            entity: hop.entity.clone(),
            from_fields: hop.from_fields.clone(),
            to_fields: hop.to_fields.clone(),
            filter: Box::new(filter),
        };
    }
    filter
}

/// `value` typed by `field`; a claim is often text (`"sub": "42"`), so
/// text is also read the way the query string is. `None`: it cannot be a
/// value of the field (the comparison then holds for no row).
fn typed(field: &Field, value: &Json, now: bool) -> Option<Value> {
    if now && let Json::String(text) = value {
        let seconds = parse_now(text)?;
        let text = match field.ty {
            FieldType::Timestamptz => timestamp(seconds, true),
            FieldType::Timestamp => timestamp(seconds, false),
            FieldType::Date => timestamp(seconds, false)[..10].to_owned(),
            _ => text.clone(),
        };
        return crate::query::value_from_text(field, &text).ok();
    }
    crate::query::value_from_json(field, value)
        .ok()
        .or_else(|| match value {
            Json::String(text) => crate::query::value_from_text(field, text).ok(),
            Json::Number(number) => crate::query::value_from_text(field, &number.to_string()).ok(),
            _ => None,
        })
}

fn text_of(value: &Json) -> Option<String> {
    match value {
        Json::String(text) => Some(text.clone()),
        Json::Number(number) => Some(number.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn truthy(value: &Json) -> bool {
    !matches!(value, Json::Null | Json::Bool(false))
}

/// Two values known at request time. A missing value (not a written
/// `null`) equals nothing, not even another missing value.
fn const_compare(a: &Json, a_literal: bool, op: CmpOp, b: &Json, b_literal: bool) -> bool {
    let equal = || {
        if a.is_null() || b.is_null() {
            return a.is_null() && b.is_null() && (a_literal || b_literal);
        }
        loose_eq(a, b)
    };
    match op {
        CmpOp::Eq => equal(),
        CmpOp::Neq => !equal(),
        CmpOp::In => match b {
            Json::Array(items) => {
                !a.is_null()
                    && items
                        .iter()
                        .any(|item| !item.is_null() && loose_eq(a, item))
            }
            other => !a.is_null() && !other.is_null() && loose_eq(a, other),
        },
        CmpOp::Like | CmpOp::NotLike => {
            let (Some(text), Some(pattern)) = (text_of(a), text_of(b)) else {
                return false;
            };
            let matched = like(&text.to_lowercase(), &pattern.to_lowercase());
            matched == (op == CmpOp::Like)
        }
        CmpOp::Gt | CmpOp::Gte | CmpOp::Lt | CmpOp::Lte => {
            let ordering = match (a, b) {
                (Json::Number(x), Json::Number(y)) => x
                    .as_f64()
                    .zip(y.as_f64())
                    .and_then(|(x, y)| x.partial_cmp(&y)),
                (Json::String(x), Json::String(y)) => Some(x.cmp(y)),
                _ => None,
            };
            let Some(ordering) = ordering else {
                return false;
            };
            match op {
                CmpOp::Gt => ordering.is_gt(),
                CmpOp::Gte => ordering.is_ge(),
                CmpOp::Lt => ordering.is_lt(),
                _ => ordering.is_le(),
            }
        }
    }
}

/// Equality that lets a claim written as text equal a number (`"42"` and
/// `42`), as it would when compared with a field.
fn loose_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            x == y || x.as_f64().zip(y.as_f64()).is_some_and(|(x, y)| x == y)
        }
        (Json::String(s), Json::Number(n)) | (Json::Number(n), Json::String(s)) => {
            s.trim() == n.to_string()
        }
        _ => a == b,
    }
}

/// `~`: contains `pattern`, or matches it as a LIKE pattern when it has
/// `%` or `_`.
fn like(text: &str, pattern: &str) -> bool {
    if !pattern.contains(['%', '_']) {
        return text.contains(pattern);
    }
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    // Iterative wildcard matching: `%` any run, `_` one character.
    let (mut t, mut p) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '_' || pattern[p] == text[t]) {
            t += 1;
            p += 1;
        } else if p < pattern.len() && pattern[p] == '%' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '%')
}

/// `seconds` since the epoch as UTC text: `2026-12-04T17:40:00Z` (`zone`)
/// or `2026-12-04 17:40:00`.
pub fn timestamp(seconds: i64, zone: bool) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    if zone {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}")
    }
}

fn parse_now(text: &str) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (h, m, s) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

/// Seconds since the Unix epoch, for [`Request::now`].
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Whether a rule can hold for `request` with some body and row: its
/// `@auth` and `@now` parts evaluated, every other term taken as possible.
pub fn may_hold(expr: &Expr, request: &Request<'_>) -> bool {
    fn constant_only(operand: &Operand) -> bool {
        matches!(
            operand.kind,
            OperandKind::Literal(_) | OperandKind::Auth(_) | OperandKind::Now
        ) || matches!(&operand.kind, OperandKind::List(items) if items.iter().all(constant_only))
    }
    fn known(verdict: Verdict) -> Option<bool> {
        match verdict {
            Verdict::True => Some(true),
            Verdict::False => Some(false),
            Verdict::Scope(_) => None,
        }
    }
    fn eval(expr: &Expr, evaluator: &Evaluator<'_>) -> Option<bool> {
        match expr {
            Expr::And(terms) => {
                let mut unknown = false;
                for term in terms {
                    match eval(term, evaluator) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            Expr::Or(terms) => {
                let mut unknown = false;
                for term in terms {
                    match eval(term, evaluator) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown { None } else { Some(false) }
            }
            Expr::Not(inner) => eval(inner, evaluator).map(|b| !b),
            Expr::Truth(operand) if constant_only(operand) => known(evaluator.expr(expr)),
            Expr::Compare { left, right, .. } if constant_only(left) && constant_only(right) => {
                known(evaluator.expr(expr))
            }
            _ => None,
        }
    }
    let manifest = Manifest::default();
    let evaluator = Evaluator {
        manifest: &manifest,
        entity: "",
        action: RuleAction::Create,
        request,
    };
    eval(expr, &evaluator) != Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MANIFEST: &str = r#"
[manifest]
format = 1
version = 1

[entities.author]
table = "author"
primary_key = ["id"]
[entities.author.fields]
id = { type = "int64" }
org_id = { type = "int64" }

[entities.post]
table = "post"
primary_key = ["id"]
[entities.post.fields]
id = { type = "int64" }
title = { type = "string" }
published = { type = "bool" }
author_id = { type = "int64", nullable = true }
created_at = { type = "timestamptz" }
[[entities.post.relations]]
fields = ["author_id"]
references = { entity = "author", fields = ["id"] }

[entities.post.rules]
list = "published || author_id = @auth.id"
view = "created_at < @now && title ~ 'a'"
create = "@auth.id != null && @body.author_id = @auth.id && @body.title:length <= 5"
update = "author_id = @auth.id && @body.author_id:unchanged"
delete = "@auth.role = 'admin' || author.org_id = @auth.org || author_id = null"
"#;

    fn verdict(action: RuleAction, id: Option<&str>, body: Option<Json>) -> Verdict {
        let manifest =
            crate::manifest::load_str(std::path::Path::new("baas.toml"), MANIFEST.into())
                .unwrap()
                .manifest;
        let links = crate::manifest::links::links(&manifest);
        let rules = RuleSet::new(&manifest, &links, true);
        let claims = json!({ "org": 7 });
        let request = Request {
            id,
            role: None,
            claims: claims.as_object().filter(|_| id.is_some()),
            body: body.as_ref(),
            query: &[],
            now: 1_796_406_000,
        };
        rules.verdict(&manifest, "post", action, &request).unwrap()
    }

    fn compare(field: &str, op: Op, value: Value) -> Filter {
        Filter::Compare {
            field: field.into(),
            op,
            value,
        }
    }

    #[test]
    fn constants_fold_and_row_terms_become_the_scope() {
        // Anonymous: `author_id = @auth.id` holds for no row, not for null ones.
        assert_eq!(
            verdict(RuleAction::List, None, None),
            Verdict::Scope(compare("published", Op::Eq, Value::Bool(true)))
        );
        // A claim written as text compares with an integer field.
        assert_eq!(
            verdict(RuleAction::List, Some("42"), None),
            Verdict::Scope(Filter::Or(vec![
                compare("published", Op::Eq, Value::Bool(true)),
                compare("author_id", Op::Eq, Value::Int(42)),
            ]))
        );
        assert_eq!(
            verdict(RuleAction::View, None, None),
            Verdict::Scope(Filter::And(vec![
                compare(
                    "created_at",
                    Op::Lt,
                    Value::Text("2026-12-04T17:40:00Z".into())
                ),
                compare("title", Op::Ilike, Value::Text("%a%".into())),
            ]))
        );
    }

    #[test]
    fn create_is_decided_on_the_body() {
        let ok = json!({ "author_id": 42, "title": "abc" });
        assert_eq!(
            verdict(RuleAction::Create, Some("42"), Some(ok.clone())),
            Verdict::True
        );
        assert_eq!(verdict(RuleAction::Create, None, Some(ok)), Verdict::False);
        let other = json!({ "author_id": 43, "title": "abc" });
        assert_eq!(
            verdict(RuleAction::Create, Some("42"), Some(other)),
            Verdict::False
        );
        let long = json!({ "author_id": 42, "title": "abcdef" });
        assert_eq!(
            verdict(RuleAction::Create, Some("42"), Some(long)),
            Verdict::False
        );
        let missing = json!({ "title": "abc" });
        assert_eq!(
            verdict(RuleAction::Create, Some("42"), Some(missing)),
            Verdict::False
        );
    }

    #[test]
    fn unchanged_is_a_row_condition_and_relation_paths_are_exists() {
        let mine = compare("author_id", Op::Eq, Value::Int(1));
        assert_eq!(
            verdict(RuleAction::Update, Some("1"), Some(json!({ "title": "x" }))),
            Verdict::Scope(mine.clone())
        );
        assert_eq!(
            verdict(
                RuleAction::Update,
                Some("1"),
                Some(json!({ "author_id": 2 }))
            ),
            Verdict::Scope(Filter::And(vec![
                mine,
                compare("author_id", Op::Eq, Value::Int(2)),
            ]))
        );
        let null_author = compare("author_id", Op::Is, Value::Null);
        assert_eq!(
            verdict(RuleAction::Delete, Some("1"), None),
            Verdict::Scope(Filter::Or(vec![
                Filter::Exists {
                    entity: "author".into(),
                    from_fields: vec!["author_id".into()],
                    to_fields: vec!["id".into()],
                    filter: Box::new(compare("org_id", Op::Eq, Value::Int(7))),
                },
                null_author.clone(),
            ]))
        );
        // No `@auth.org` for anonymous: only the written `= null` remains.
        assert_eq!(
            verdict(RuleAction::Delete, None, None),
            Verdict::Scope(null_author)
        );
    }

    #[test]
    fn lengths_and_two_fields_become_relate_filters() {
        let text = MANIFEST
            .replace(
                "list = \"published || author_id = @auth.id\"",
                "list = \"title:length <= @auth.max && id != author_id\"",
            )
            .replace(
                "view = \"created_at < @now && title ~ 'a'\"",
                "view = \"!(author.id > author.org_id) || 3 < title:length\"",
            );
        let manifest = crate::manifest::load_str(std::path::Path::new("baas.toml"), text)
            .unwrap()
            .manifest;
        let links = crate::manifest::links::links(&manifest);
        let rules = RuleSet::new(&manifest, &links, true);
        let claims = json!({ "max": "80" });
        let request = Request {
            id: Some("1"),
            claims: claims.as_object(),
            ..Request::default()
        };
        let relate = |left: Term, op: Op, right: Term| Filter::Relate { left, op, right };
        assert_eq!(
            rules.verdict(&manifest, "post", RuleAction::List, &request),
            Some(Verdict::Scope(Filter::And(vec![
                relate(
                    Term::Length("title".into()),
                    Op::Lte,
                    Term::Value(Value::Int(80))
                ),
                relate(
                    Term::Field("id".into()),
                    Op::Neq,
                    Term::Field("author_id".into())
                ),
            ])))
        );
        assert_eq!(
            rules.verdict(&manifest, "post", RuleAction::View, &request),
            Some(Verdict::Scope(Filter::Or(vec![
                Filter::Not(Box::new(Filter::Exists {
                    entity: "author".into(),
                    from_fields: vec!["author_id".into()],
                    to_fields: vec!["id".into()],
                    filter: Box::new(relate(
                        Term::Field("id".into()),
                        Op::Gt,
                        Term::Field("org_id".into())
                    )),
                })),
                relate(
                    Term::Length("title".into()),
                    Op::Gt,
                    Term::Value(Value::Int(3))
                ),
            ])))
        );
        // A missing number holds for no row.
        let anonymous = Request::default();
        assert_eq!(
            rules.verdict(&manifest, "post", RuleAction::List, &anonymous),
            Some(Verdict::False)
        );
    }

    #[test]
    fn timestamps_round_trip() {
        for seconds in [0, 951_782_400, 1_796_406_000, 4_107_542_399] {
            let text = timestamp(seconds, true);
            assert_eq!(parse_now(&text), Some(seconds), "{text}");
        }
        assert_eq!(timestamp(951_782_400, true), "2000-02-29T00:00:00Z");
        assert_eq!(timestamp(0, false), "1970-01-01 00:00:00");
    }

    #[test]
    fn like_patterns() {
        assert!(like("hello world", "lo w"));
        assert!(like("hello", "h%o"));
        assert!(like("hello", "h_llo"));
        assert!(!like("hello", "h_lo"));
        assert!(like("hello", "%"));
        assert!(!like("hello", "x%"));
    }

    #[test]
    fn missing_values_equal_nothing_but_written_null_is_null() {
        let null = Json::Null;
        assert!(!const_compare(&null, false, CmpOp::Eq, &null, false));
        assert!(const_compare(&null, false, CmpOp::Eq, &null, true));
        assert!(const_compare(
            &null,
            false,
            CmpOp::Neq,
            &Json::from("admin"),
            true
        ));
        assert!(const_compare(
            &Json::from("42"),
            false,
            CmpOp::Eq,
            &Json::from(42),
            false
        ));
        assert!(const_compare(
            &Json::from("b"),
            false,
            CmpOp::In,
            &serde_json::json!(["a", "b"]),
            true
        ));
        assert!(!const_compare(
            &null,
            false,
            CmpOp::In,
            &serde_json::json!([null]),
            true
        ));
        assert!(const_compare(
            &Json::from(3),
            false,
            CmpOp::Gt,
            &Json::from(2.5),
            true
        ));
    }
}
