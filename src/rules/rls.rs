//! Rules as PostgreSQL row-level security (`[auth] rls = true`): one
//! permissive policy per written rule, so a client connected with the
//! API's role, having set the caller's claims, sees what the API shows:
//!
//! ```sql
//! SELECT set_config('request.jwt.claims', '{"sub": "1", "org": 7}', true);
//! ```
//!
//! `list` and `view` are both `FOR SELECT` (a row either lets through is
//! visible), `create` is `FOR INSERT ... WITH CHECK`, `update` is `FOR
//! UPDATE USING (the row before) WITH CHECK (the row after)`, `delete` is
//! `FOR DELETE USING`. An action without a rule has no policy, which
//! PostgreSQL denies once RLS is enabled, as the API does.
//!
//! `@auth.<claim>` reads `current_setting('request.jwt.claims', true)`
//! (`@auth.id`, `.role` and `.tenant` through the `[auth] claims` names);
//! `@body.<field>` is the new row's column; `@now` is `now()`; `@query`
//! values do not reach the database and are missing. What RLS cannot see is
//! taken as holding (the API still checks it): `:unchanged` (the old and
//! the new row are not both visible to one expression) and `:isset` on
//! `@body` (a column left out of an insert is null or its default).
//!
//! A missing claim compares with nothing, as in the API (`CASE WHEN claim
//! IS NULL THEN false ...`); a relation path is an `EXISTS` over the
//! related table (whose own policies apply to it too). Under `[tenancy]
//! strategy = "row"` every policy keeps to the rows of the caller's tenant
//! (the `@auth.tenant` claim), its own and those a relation path reaches.
//!
//! Policies are named `baas_<action>_<hash>`, the hash taken over the
//! policy's SQL: a changed rule is a policy dropped and another created,
//! and drift is told by names alone.

use std::fmt::Write as _;

use serde_json::Value as Json;
use sha2::Digest as _;

use crate::manifest::links::Link;
use crate::manifest::rules::{CmpOp, Expr, Modifier, Operand, OperandKind, RowRef, RuleAction};
use crate::manifest::{Entity, FieldType, Manifest};
use crate::query::sql;

/// The claims setting a session carries (`request.jwt.claims`, as
/// PostgREST and Supabase name it).
pub const CLAIMS_SETTING: &str = "request.jwt.claims";

/// The claim names behind `@auth.id`, `@auth.role` and `@auth.tenant`
/// (`[auth] claims`; dotted paths reach into object claims).
#[derive(Debug, Clone)]
pub struct ClaimNames {
    pub id: String,
    pub role: String,
    pub tenant: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            id: "sub".into(),
            role: "role".into(),
            tenant: "tenant".into(),
        }
    }
}

/// The claim names of `manifest`'s `[auth] claims` (the defaults without).
pub fn claim_names(manifest: &Manifest) -> ClaimNames {
    match &manifest.auth {
        Some(auth) => ClaimNames {
            id: auth.claims.id.clone(),
            role: auth.claims.role.clone(),
            tenant: auth.claims.tenant.clone(),
        },
        None => ClaimNames::default(),
    }
}

/// One policy as it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `baas_<action>_<hash>`.
    pub name: String,
    /// `CREATE POLICY ...`.
    pub create: String,
    /// The table, as `CREATE POLICY` names it.
    pub table: String,
}

/// A fingerprint of the policy `p` (a `pg_policy` row) as the database
/// stores it: its command, roles and expression trees, which an `ALTER
/// POLICY` or a policy dropped and made again by hand changes. `migrate`
/// writes it into the policy's comment when it creates the policy;
/// introspection (src/introspect/postgres/policies.sql, the same
/// expression) takes a `baas_` policy whose comment does not match for one
/// the rules did not make, so `check` and `diff` report it.
pub const FINGERPRINT: &str = "'baas:' || md5(concat_ws('|', p.polcmd::text,      p.polpermissive::text, p.polroles::text, coalesce(p.polqual::text, ''),      coalesce(p.polwithcheck::text, '')))";

impl Policy {
    /// The statement that records the fingerprint of the policy just
    /// created ([`FINGERPRINT`]) in its comment.
    pub fn fingerprint(&self) -> String {
        let name = literal(&self.name);
        let table = literal(&self.table);
        format!(
            "DO $baas$ BEGIN EXECUTE format('COMMENT ON POLICY %I ON %s IS %L', {name}, {table}, \
             (SELECT {FINGERPRINT} FROM pg_policy p WHERE p.polrelid = {table}::regclass \
             AND p.polname = {name})); END $baas$"
        )
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The table of `entity`, schema-qualified when it has a schema.
pub fn table(entity: &Entity) -> String {
    match &entity.schema {
        Some(schema) => format!("{}.{}", quote(schema), quote(&entity.table)),
        None => quote(&entity.table),
    }
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The policies of `entity_name`'s rules (none for a view, or a rule that
/// does not check: the manifest was validated when loaded).
pub fn policies(
    manifest: &Manifest,
    links: &std::collections::BTreeMap<String, Vec<Link>>,
    entity_name: &str,
    claims: &ClaimNames,
) -> Vec<Policy> {
    let Some(entity) = manifest.entities.get(entity_name) else {
        return Vec::new();
    };
    if entity.is_read_only() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (action, text) in entity.rules.iter() {
        let Some(action) = RuleAction::parse(action) else {
            continue;
        };
        let Ok(expr) = crate::manifest::rules::check(manifest, links, entity_name, action, text)
        else {
            continue;
        };
        let renderer = Renderer {
            manifest,
            entity_name,
            claims,
            new_row: false,
        };
        let checker = Renderer {
            new_row: true,
            ..renderer
        };
        // Under row tenancy the row itself is the caller's tenant's, before
        // and after, as the kernel confines every operation.
        let own = |sql: String| match renderer.tenant_condition(None, entity) {
            Some(tenant) => format!("({tenant}) AND ({sql})"),
            None => sql,
        };
        let (command, clauses) = match action {
            RuleAction::List | RuleAction::View => {
                ("SELECT", format!("USING ({})", own(renderer.expr(&expr))))
            }
            RuleAction::Delete => ("DELETE", format!("USING ({})", own(renderer.expr(&expr)))),
            RuleAction::Create => (
                "INSERT",
                format!("WITH CHECK ({})", own(checker.expr(&expr))),
            ),
            RuleAction::Update => (
                "UPDATE",
                format!(
                    "USING ({}) WITH CHECK ({})",
                    own(renderer.expr(&expr)),
                    own(checker.expr(&expr))
                ),
            ),
        };
        let body = format!("ON {} AS PERMISSIVE FOR {command} {clauses}", table(entity));
        let digest = sha2::Sha256::digest(body.as_bytes());
        let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        let name = format!("baas_{}_{hash}", action.as_str());
        out.push(Policy {
            create: format!("CREATE POLICY {} {body}", quote(&name)),
            name,
            table: table(entity),
        });
    }
    out
}

#[derive(Clone, Copy)]
struct Renderer<'a> {
    manifest: &'a Manifest,
    entity_name: &'a str,
    claims: &'a ClaimNames,
    /// Rendering a `WITH CHECK`: `@body.x` is the new row's column.
    new_row: bool,
}

/// What an operand is in SQL.
enum Sql {
    /// A column (or related column) of the row: `"t"."c"`, with its type.
    Row(RowRef),
    /// A jsonb value (claims): may be SQL NULL when the claim is missing.
    Claim(String),
    /// A literal or `now()`; `null` for a written `null`.
    Value { sql: String, null: bool },
    /// A boolean expression over constants (`:isset`).
    Test(String),
    /// Nothing the database can see; taken as holding.
    Unknown,
    /// A list of the above (`in (...)`).
    List(Vec<Sql>),
    /// A number computed from constants (the length of a claim); may be
    /// SQL NULL.
    Number(String),
    /// The length of a field of the row (`tags:length`).
    RowLength(RowRef),
}

impl Renderer<'_> {
    fn expr(&self, expr: &Expr) -> String {
        match expr {
            Expr::And(terms) | Expr::Or(terms) => {
                let joint = if matches!(expr, Expr::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let parts: Vec<String> = terms
                    .iter()
                    .map(|t| format!("({})", self.expr(t)))
                    .collect();
                parts.join(joint)
            }
            Expr::Not(inner) => format!("NOT ({})", self.expr(inner)),
            Expr::Truth(operand) => match (self.operand(operand), operand.modifier) {
                (_, Some(Modifier::Unchanged)) => "true".into(),
                (Sql::Row(row), _) => self.row_sql(&row, |column| format!("{column} = true")),
                (Sql::Claim(claim), _) => {
                    format!("coalesce({claim} NOT IN ('false'::jsonb, 'null'::jsonb), false)")
                }
                (Sql::Value { sql, null }, _) => if null || sql == "false" {
                    "false"
                } else {
                    "true"
                }
                .into(),
                (Sql::Test(sql), _) => sql,
                (Sql::Unknown | Sql::List(_), _) => "true".into(),
                // Refused when the rule was checked.
                (Sql::Number(_) | Sql::RowLength(_), _) => "false".into(),
            },
            Expr::Compare { left, op, right } => {
                let (left, right) = (self.operand(left), self.operand(right));
                self.compare(left, *op, right)
            }
        }
    }

    fn claim_path(&self, path: &[String]) -> String {
        let mut steps: Vec<String> = Vec::new();
        if let Some((first, rest)) = path.split_first() {
            let mapped = match first.as_str() {
                "id" => Some(&self.claims.id),
                "role" => Some(&self.claims.role),
                "tenant" => Some(&self.claims.tenant),
                _ => None,
            };
            match mapped {
                Some(name) => steps.extend(name.split('.').map(str::to_owned)),
                None => steps.push(first.clone()),
            }
            steps.extend(rest.iter().cloned());
        }
        let inner: Vec<String> = steps
            .iter()
            .map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        format!(
            "(nullif(current_setting('{CLAIMS_SETTING}', true), '')::jsonb #> {})",
            literal(&format!("{{{}}}", inner.join(",")))
        )
    }

    fn operand(&self, operand: &Operand) -> Sql {
        let sql = match &operand.kind {
            OperandKind::Literal(json) => match json {
                Json::Null => Sql::Value {
                    sql: "NULL".into(),
                    null: true,
                },
                Json::String(text) => Sql::Value {
                    sql: literal(text),
                    null: false,
                },
                Json::Bool(b) => Sql::Value {
                    sql: if *b { "true" } else { "false" }.into(),
                    null: false,
                },
                other => Sql::Value {
                    sql: other.to_string(),
                    null: false,
                },
            },
            OperandKind::List(items) => Sql::List(items.iter().map(|i| self.operand(i)).collect()),
            OperandKind::Now => Sql::Value {
                sql: "now()".into(),
                null: false,
            },
            OperandKind::Auth(path) => Sql::Claim(self.claim_path(path)),
            OperandKind::Query(_) => Sql::Value {
                sql: "NULL".into(),
                null: true,
            },
            OperandKind::Body(name) => {
                if !self.new_row {
                    return Sql::Unknown;
                }
                Sql::Row(RowRef {
                    hops: Vec::new(),
                    field: name.clone(),
                })
            }
            OperandKind::Row(row) => Sql::Row(row.clone()),
            OperandKind::Path(_) => Sql::Unknown,
        };
        match (operand.modifier, sql) {
            (None, sql) => sql,
            (Some(Modifier::Unchanged), _) => Sql::Unknown,
            (Some(Modifier::Isset), Sql::Claim(claim)) => Sql::Test(format!(
                "({claim} IS NOT NULL AND {claim} <> 'null'::jsonb)"
            )),
            (Some(Modifier::Isset), _) => Sql::Unknown,
            (Some(Modifier::Length), Sql::Claim(claim)) => Sql::Number(format!(
                "(CASE jsonb_typeof({claim}) WHEN 'array' THEN jsonb_array_length({claim}) \
                 WHEN 'string' THEN char_length({claim} #>> '{{}}') WHEN 'object' THEN \
                 (SELECT count(*) FROM jsonb_object_keys({claim}))::int END)"
            )),
            (Some(Modifier::Length), Sql::Row(row)) => Sql::RowLength(row),
            (Some(Modifier::Length), _) => Sql::Unknown,
        }
    }

    /// `"table"."column"` of this entity (or of the alias of a relation).
    fn column(&self, field: &str, alias: Option<(&str, &Entity)>) -> String {
        let (qualifier, entity) = match alias {
            Some((alias, entity)) => (quote(alias), entity),
            None => match self.manifest.entities.get(self.entity_name) {
                Some(entity) => (quote(&entity.table), entity),
                None => return quote(field),
            },
        };
        let column = entity
            .fields
            .get(field)
            .map_or(field, |f| f.column_name(field));
        format!("{qualifier}.{}", quote(column))
    }

    /// Under `[tenancy] strategy = "row"`, the condition that keeps a
    /// related row (`alias`, of `target`; the policy's own row without an
    /// alias) to the caller's tenant, the
    /// `@auth.tenant` claim, as the API narrows a relation path to the
    /// request's tenant (`serve::kernel::tenant::within`): a row pointing
    /// at another tenant's row points at nothing. `None` otherwise.
    fn tenant_condition(&self, alias: Option<&str>, target: &Entity) -> Option<String> {
        let column = self.manifest.tenancy.as_ref()?.row_column()?;
        if !target.fields.contains_key(column) {
            // Validation puts the column on every entity; one without it
            // has no row of any tenant.
            return Some("false".into());
        }
        let claim = self.claim_path(&["tenant".to_owned()]);
        Some(format!(
            "{}::text = ({claim} #>> '{{}}')",
            self.column(column, alias.map(|alias| (alias, target)))
        ))
    }

    /// `condition(column)` over the row's field, inside one EXISTS per
    /// relation followed (each narrowed to the caller's tenant under row
    /// tenancy).
    fn row_sql(&self, row: &RowRef, condition: impl FnOnce(&str) -> String) -> String {
        let mut outer: Option<(String, &Entity)> = None;
        let mut opened = String::new();
        let mut closing = 0;
        for (level, hop) in row.hops.iter().enumerate() {
            let Some(target) = self.manifest.entities.get(&hop.entity) else {
                return "false".into();
            };
            let alias = format!("_baas_r{}", level + 1);
            let _ = write!(
                opened,
                "EXISTS (SELECT 1 FROM {} AS {} WHERE ",
                table(target),
                quote(&alias)
            );
            for (from, to) in hop.from_fields.iter().zip(&hop.to_fields) {
                let outer_column = match &outer {
                    Some((alias, entity)) => self.column(from, Some((alias, entity))),
                    None => self.column(from, None),
                };
                let _ = write!(
                    opened,
                    "{} = {outer_column} AND ",
                    self.column(to, Some((&alias, target)))
                );
            }
            if let Some(tenant) = self.tenant_condition(Some(&alias), target) {
                let _ = write!(opened, "{tenant} AND ");
            }
            closing += 1;
            outer = Some((alias, target));
        }
        let column = match &outer {
            Some((alias, entity)) => self.column(&row.field, Some((alias, entity))),
            None => self.column(&row.field, None),
        };
        format!("{opened}{}{}", condition(&column), ")".repeat(closing))
    }

    /// The SQL of a field of the row (or its length) as the API's filter
    /// compares it ([`sql::term_template`]), `column` naming its column.
    fn term(&self, row: &RowRef, length: bool, column: &str) -> String {
        let entity = row
            .hops
            .last()
            .map_or(self.entity_name, |hop| hop.entity.as_str());
        let field = self
            .manifest
            .entities
            .get(entity)
            .and_then(|entity| entity.fields.get(&row.field));
        match field {
            Some(field) => {
                sql::term_template(sql::SqlDialect::Postgres, field, length).replace('?', column)
            }
            None => "NULL".into(),
        }
    }

    /// Two fields of one row compared, or a length with a field: `a op b`,
    /// NULL when a side is null, as the API's filter has it.
    fn relate(&self, left: (RowRef, bool), op: CmpOp, right: (RowRef, bool)) -> String {
        if left.0.hops != right.0.hops {
            return "false".into();
        }
        let ((a, a_length), (b, b_length)) = (left, right);
        let (a_column, b_column) = self.columns(&a, &b.field);
        let condition = format!(
            "{} {} {}",
            self.term(&a, a_length, &a_column),
            sql_op(op),
            self.term(&b, b_length, &b_column)
        );
        self.row_sql(&a, |_| condition)
    }

    /// The columns of `row`'s field and of `other` (a field of the same
    /// entity), as [`Self::row_sql`] names them.
    fn columns(&self, row: &RowRef, other: &str) -> (String, String) {
        let Some(last) = row.hops.len().checked_sub(1) else {
            return (self.column(&row.field, None), self.column(other, None));
        };
        let alias = format!("_baas_r{}", last + 1);
        match self.manifest.entities.get(&row.hops[last].entity) {
            Some(entity) => (
                self.column(&row.field, Some((&alias, entity))),
                self.column(other, Some((&alias, entity))),
            ),
            None => ("NULL".into(), "NULL".into()),
        }
    }

    /// The length of a field compared with a number known per request: no
    /// row when the number is missing (as the API), NULL when the field
    /// is.
    fn length_condition(&self, row: &RowRef, op: CmpOp, value: &Sql) -> String {
        let number = match value {
            Sql::Number(sql) => sql.clone(),
            Sql::Value { sql, null: false } if sql.parse::<f64>().is_ok() => sql.clone(),
            Sql::Claim(claim) => format!(
                "(CASE jsonb_typeof({claim}) WHEN 'number' THEN ({claim} #>> '{{}}')::numeric \
                 WHEN 'string' THEN CASE WHEN btrim({claim} #>> '{{}}') ~ '^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$' \
                 THEN btrim({claim} #>> '{{}}')::numeric END END)"
            ),
            _ => return "false".into(),
        };
        let (column, _) = self.columns(row, &row.field);
        let length = self.term(row, true, &column);
        let condition = format!(
            "CASE WHEN {number} IS NULL THEN false ELSE {length} {} {number} END",
            sql_op(op)
        );
        self.row_sql(row, |_| condition)
    }

    fn compare(&self, left: Sql, op: CmpOp, right: Sql) -> String {
        match (left, right) {
            (Sql::Unknown, _) | (_, Sql::Unknown) => "true".into(),
            (Sql::Row(a), Sql::Row(b)) => self.relate((a, false), op, (b, false)),
            (Sql::Row(a), Sql::RowLength(b)) => self.relate((a, false), op, (b, true)),
            (Sql::RowLength(a), Sql::Row(b)) => self.relate((a, true), op, (b, false)),
            (Sql::RowLength(a), Sql::RowLength(b)) => self.relate((a, true), op, (b, true)),
            (Sql::RowLength(row), other) => self.length_condition(&row, op, &other),
            (other, Sql::RowLength(row)) => self.length_condition(&row, op.flipped(), &other),
            (Sql::Test(test), other) | (other, Sql::Test(test)) => {
                // `@body.x:isset = true` and the like: a boolean compared.
                let value = match &other {
                    Sql::Value { sql, .. } if sql == "true" => Some(true),
                    Sql::Value { sql, .. } if sql == "false" => Some(false),
                    _ => None,
                };
                match (value, op) {
                    (Some(true), CmpOp::Eq) | (Some(false), CmpOp::Neq) => test,
                    (Some(false), CmpOp::Eq) | (Some(true), CmpOp::Neq) => format!("NOT {test}"),
                    _ => "false".into(),
                }
            }
            (Sql::Row(row), other) => {
                let ty = row.field_type(self.manifest, self.entity_name);
                let condition = |column: &str| row_condition(column, ty, op, &other);
                self.row_sql(&row, condition)
            }
            (other, Sql::Row(row)) => {
                let ty = row.field_type(self.manifest, self.entity_name);
                let op = op.flipped();
                self.row_sql(&row, |column| row_condition(column, ty, op, &other))
            }
            (left, right) => constant_condition(&left, op, &right),
        }
    }
}

/// Text of a constant for comparison with text: `(claim #>> '{}')` or the
/// literal (numbers and booleans as their text).
fn as_text(sql: &Sql) -> Option<String> {
    match sql {
        Sql::Claim(claim) => Some(format!("({claim} #>> '{{}}')")),
        Sql::Value { sql, null: false } if sql.starts_with('\'') => Some(sql.clone()),
        Sql::Value { sql, null: false } if sql == "now()" => Some("(now())::text".into()),
        Sql::Value { sql, null: false } => Some(literal(sql)),
        Sql::Number(sql) => Some(format!("({sql})::text")),
        _ => None,
    }
}

/// Whether `sql` may be missing at run time (a claim).
fn missing_check(sql: &Sql) -> Option<String> {
    match sql {
        Sql::Claim(claim) => Some(format!("({claim} IS NULL OR {claim} = 'null'::jsonb)")),
        _ => None,
    }
}

fn sql_op(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Neq => "<>",
        CmpOp::Gt => ">",
        CmpOp::Gte => ">=",
        CmpOp::Lt => "<",
        CmpOp::Lte => "<=",
        _ => "=",
    }
}

/// `column op value`: as the API's filter does it. A missing claim makes
/// it false; a written `null` is `IS NULL`.
fn row_condition(column: &str, ty: Option<FieldType>, op: CmpOp, value: &Sql) -> String {
    if let Sql::Value { null: true, .. } = value {
        return match op {
            CmpOp::Eq => format!("{column} IS NULL"),
            CmpOp::Neq => format!("{column} IS NOT NULL"),
            _ => "false".into(),
        };
    }
    let numeric = ty.is_some_and(FieldType::is_numeric);
    let temporal = matches!(
        ty,
        Some(FieldType::Date | FieldType::Timestamp | FieldType::Timestamptz | FieldType::Time)
    );
    let body = match op {
        CmpOp::In => {
            let items = match value {
                Sql::List(items) => items.iter().filter_map(as_text).collect::<Vec<_>>(),
                Sql::Claim(claim) => {
                    return format!(
                        "CASE WHEN {claim} IS NULL THEN false WHEN jsonb_typeof({claim}) = 'array' \
                         THEN coalesce(({column})::text IN (SELECT jsonb_array_elements_text({claim})), false) \
                         ELSE coalesce(({column})::text = ({claim} #>> '{{}}'), false) END"
                    );
                }
                other => as_text(other).into_iter().collect(),
            };
            if items.is_empty() {
                return "false".into();
            }
            format!(
                "coalesce(({column})::text IN ({}), false)",
                items.join(", ")
            )
        }
        CmpOp::Like | CmpOp::NotLike => {
            let Some(text) = as_text(value) else {
                return "false".into();
            };
            let pattern = format!(
                "(CASE WHEN strpos({text}, '%') > 0 OR strpos({text}, '_') > 0 THEN {text} \
                 ELSE '%' || {text} || '%' END)"
            );
            let like = format!("({column})::text ILIKE {pattern}");
            if op == CmpOp::Like {
                like
            } else {
                format!("NOT ({like})")
            }
        }
        _ => {
            let Some(text) = as_text(value) else {
                return "false".into();
            };
            let sql = sql_op(op);
            let now = matches!(value, Sql::Value { sql, .. } if sql == "now()");
            if now && temporal {
                format!("{column} {sql} now()")
            } else if numeric && matches!(op, CmpOp::Gt | CmpOp::Gte | CmpOp::Lt | CmpOp::Lte) {
                format!("({column})::numeric {sql} ({text})::numeric")
            } else if let Sql::Value { sql: raw, .. } = value
                && !raw.starts_with('\'')
                && (numeric || ty == Some(FieldType::Bool))
            {
                format!("{column} {sql} {raw}")
            } else {
                format!("({column})::text {sql} {text}")
            }
        }
    };
    match missing_check(value) {
        Some(missing) => format!("CASE WHEN {missing} THEN false ELSE {body} END"),
        None => body,
    }
}

/// Two constants: as the API folds them (a missing value equals nothing).
fn constant_condition(left: &Sql, op: CmpOp, right: &Sql) -> String {
    let is_null_literal = |s: &Sql| matches!(s, Sql::Value { null: true, .. });
    let equal = || -> String {
        match (left, right) {
            (a, b) if is_null_literal(a) && is_null_literal(b) => "true".into(),
            (a, other) | (other, a) if is_null_literal(a) => match missing_check(other) {
                Some(missing) => missing,
                None => "false".into(),
            },
            _ => match (as_text(left), as_text(right)) {
                (Some(a), Some(b)) => format!("coalesce({a} = {b}, false)"),
                _ => "false".into(),
            },
        }
    };
    match op {
        CmpOp::Eq => equal(),
        CmpOp::Neq => format!("NOT ({})", equal()),
        CmpOp::In => {
            let Some(value) = as_text(left) else {
                return "false".into();
            };
            match right {
                Sql::List(items) => {
                    let items: Vec<String> = items.iter().filter_map(as_text).collect();
                    if items.is_empty() {
                        "false".into()
                    } else {
                        format!("coalesce({value} IN ({}), false)", items.join(", "))
                    }
                }
                Sql::Claim(claim) => format!(
                    "coalesce(CASE WHEN jsonb_typeof({claim}) = 'array' THEN {value} IN \
                     (SELECT jsonb_array_elements_text({claim})) ELSE {value} = ({claim} #>> '{{}}') END, false)"
                ),
                other => match as_text(other) {
                    Some(b) => format!("coalesce({value} = {b}, false)"),
                    None => "false".into(),
                },
            }
        }
        CmpOp::Like | CmpOp::NotLike => {
            let (Some(text), Some(pattern)) = (as_text(left), as_text(right)) else {
                return "false".into();
            };
            let like = format!(
                "coalesce({text} ILIKE (CASE WHEN strpos({pattern}, '%') > 0 OR strpos({pattern}, '_') > 0 \
                 THEN {pattern} ELSE '%' || {pattern} || '%' END), false)"
            );
            if op == CmpOp::Like {
                like
            } else {
                format!("NOT ({like}) AND {text} IS NOT NULL AND {pattern} IS NOT NULL")
            }
        }
        _ => {
            let numeric = |s: &Sql| match s {
                Sql::Claim(claim) => Some(format!(
                    "(CASE WHEN jsonb_typeof({claim}) = 'number' THEN ({claim} #>> '{{}}')::numeric END)"
                )),
                Sql::Value { sql, null: false } if sql.parse::<f64>().is_ok() => Some(sql.clone()),
                Sql::Number(sql) => Some(sql.clone()),
                _ => None,
            };
            let (a, b) = match (numeric(left), numeric(right)) {
                (Some(a), Some(b)) => (a, b),
                _ => match (as_text(left), as_text(right)) {
                    (Some(a), Some(b)) => (a, b),
                    _ => return "false".into(),
                },
            };
            format!("coalesce({a} {} {b}, false)", sql_op(op))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_named_by_their_sql() {
        let manifest = crate::manifest::load_str(
            std::path::Path::new("baas.toml"),
            r#"
[manifest]
format = 1
version = 1

[entities.post]
table = "post"
primary_key = ["id"]
[entities.post.fields]
id = { type = "int64" }
author_id = { type = "int64" }
published = { type = "bool" }
[entities.post.rules]
list = "published || author_id = @auth.id"
create = "@body.author_id = @auth.id"
"#
            .into(),
        )
        .unwrap()
        .manifest;
        let links = crate::manifest::links::links(&manifest);
        let policies = policies(&manifest, &links, "post", &ClaimNames::default());
        assert_eq!(policies.len(), 2);
        assert!(policies[0].name.starts_with("baas_list_"), "{policies:?}");
        assert!(
            policies[0]
                .create
                .contains("FOR SELECT USING ((\"post\".\"published\" = true) OR"),
            "{}",
            policies[0].create
        );
        assert!(
            policies[0].create.contains("#> '{\"sub\"}'"),
            "{}",
            policies[0].create
        );
        assert!(
            policies[1].create.contains("FOR INSERT WITH CHECK"),
            "{}",
            policies[1].create
        );
        let again = super::policies(&manifest, &links, "post", &ClaimNames::default());
        assert_eq!(policies, again);
    }
}
