//! Changes made outside baas, on PostgreSQL (`[realtime] external = true`):
//! the database objects that announce every write, and the announcements.
//!
//! `migrate plan` installs one trigger function, [`FUNCTION`], and on each
//! table an `AFTER INSERT OR UPDATE OR DELETE` trigger, [`TRIGGER`], that
//! calls it with the entity's name and its primary-key columns. The
//! function sends a JSON [`Notification`] on the channel [`CHANNEL`]:
//! entity, operation, key, the rows before and after, and the
//! `application_name` of the session that wrote (its [`origin`]). A payload
//! over NOTIFY's limit (8000 bytes) carries the key only and `reread`: the
//! listener reads the row again.
//!
//! The objects are ordinary `[postgres]` engine objects derived from the
//! manifest ([`with_objects`]): `diff`, `check` and `migrate plan` compare
//! and create them like the ones written in the manifest, so a missing or
//! extra trigger is drift.
//!
//! Schema tenants (`[tenancy] strategy = "schema"`) are the exception: the
//! migrations run in each tenant's schema, where the objects must name that
//! schema, so they are not part of the migrations. Each tenant gets its own
//! function and triggers in its schema ([`tenant_objects`]), made by
//! [`postgres::install`] when the tenant is provisioned and on every
//! `migrate apply --tenants`, and compared by `check --tenants`
//! ([`for_tenant_schema`]).
//!
//! Pure apart from [`postgres`] (`serve::events::external` listens).

pub mod postgres;

use std::borrow::Cow;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::manifest::{
    EngineObject, EntityKind, Manifest, ObjectKind, SourceEngine, TenancyStrategy,
};

/// The NOTIFY channel.
pub const CHANNEL: &str = "baas_realtime";
/// The trigger function, in the manifest's first schema.
pub const FUNCTION: &str = "baas_realtime_notify";
/// The trigger on each table.
pub const TRIGGER: &str = "baas_realtime";

/// Whether `manifest` asks for the triggers: `[realtime] external = true`
/// on PostgreSQL (or a manifest without a source engine).
pub fn external(manifest: &Manifest) -> bool {
    manifest.realtime.as_ref().is_some_and(|r| r.external)
        && manifest
            .source
            .as_ref()
            .is_none_or(|source| source.engine == SourceEngine::Postgres)
}

/// Whether `manifest` serves schema tenants: its triggers are each
/// tenant's ([`tenant_objects`]), none of the migrations'.
fn schema_tenancy(manifest: &Manifest) -> bool {
    manifest
        .tenancy
        .as_ref()
        .is_some_and(|tenancy| tenancy.strategy == TenancyStrategy::Schema)
}

/// The schema unqualified names live in (the introspection's search path).
fn first_schema(manifest: &Manifest) -> &str {
    manifest
        .source
        .as_ref()
        .and_then(|source| source.schemas.first())
        .map_or("public", String::as_str)
}

/// `name` as PostgreSQL prints it (`pg_get_triggerdef`): bare when a plain
/// lower-case word that is not reserved, else in double quotes.
fn ident(name: &str) -> String {
    let reserved = matches!(
        name,
        "user" | "order" | "table" | "select" | "group" | "from" | "where" | "end" | "default"
    );
    if reserved {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        crate::dialect::postgres::quote_identifier(name)
    }
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The function, as `pg_get_functiondef` prints it (spacing aside).
fn function(schema: &str) -> EngineObject {
    let name = format!("{}.{FUNCTION}()", ident(schema));
    let sql = format!(
        "CREATE OR REPLACE FUNCTION {name}
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  row_data jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  key_data jsonb := '[]';
  payload text;
BEGIN
  FOR i IN 1 .. TG_NARGS - 1 LOOP
    key_data := key_data || jsonb_build_array(row_data -> TG_ARGV[i]);
  END LOOP;
  payload := jsonb_build_object('entity', TG_ARGV[0], 'op', lower(TG_OP), 'key', key_data,
    'origin', current_setting('application_name'), 'schema', TG_TABLE_SCHEMA,
    'new', CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END,
    'old', CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END)::text;
  IF octet_length(payload) > 7900 THEN
    payload := jsonb_build_object('entity', TG_ARGV[0], 'op', lower(TG_OP), 'key', key_data,
      'origin', current_setting('application_name'), 'schema', TG_TABLE_SCHEMA, 'reread', true)::text;
  END IF;
  PERFORM pg_notify('{CHANNEL}', payload);
  RETURN NULL;
END
$function$"
    );
    EngineObject {
        kind: ObjectKind::Function,
        name,
        sql,
        depends_on: Vec::new(),
        owned_by: None,
        comment: None,
    }
}

/// The engine objects `[realtime] external = true` asks for: the function,
/// then one trigger per table (views and tables without a key are left
/// out: a view has no row triggers, and a change needs a key). None for
/// schema tenants: see [`tenant_objects`].
pub fn objects(manifest: &Manifest) -> Vec<EngineObject> {
    if !external(manifest) || schema_tenancy(manifest) {
        return Vec::new();
    }
    objects_in(manifest, first_schema(manifest))
}

/// The objects of [`objects`] in schema tenant `schema`: the function in
/// that schema, a trigger on each of its tables, written as
/// `pg_get_triggerdef` prints them on a connection whose `search_path` is
/// the tenant's (as the tenant's migrations and introspection have it).
pub fn tenant_objects(manifest: &Manifest, schema: &str) -> Vec<EngineObject> {
    if !external(manifest) {
        return Vec::new();
    }
    objects_in(manifest, schema)
}

/// `manifest` as schema tenant `schema`'s tables should be: with the
/// tenant's [`tenant_objects`] among its `[postgres]` objects (what
/// `check --tenants` compares a tenant with).
pub fn for_tenant_schema<'m>(manifest: &'m Manifest, schema: &str) -> Cow<'m, Manifest> {
    with_derived(manifest, tenant_objects(manifest, schema))
}

/// The function and one trigger per table, unqualified names living in
/// `first`.
fn objects_in(manifest: &Manifest, first: &str) -> Vec<EngineObject> {
    let function = function(first);
    let mut objects = Vec::new();
    for (name, entity) in &manifest.entities {
        if entity.kind != EntityKind::Table || entity.primary_key.is_empty() {
            continue;
        }
        let schema = entity.schema.as_deref().unwrap_or(first);
        let shown = |object: &str| {
            if schema == first {
                ident(object)
            } else {
                format!("{}.{}", ident(schema), ident(object))
            }
        };
        let mut arguments = vec![literal(name)];
        arguments.extend(
            entity
                .primary_key
                .iter()
                .map(|name| match entity.fields.get(name) {
                    Some(field) => literal(field.column_name(name)),
                    None => literal(name),
                }),
        );
        objects.push(EngineObject {
            kind: ObjectKind::Trigger,
            name: format!(
                "{} ON {}.{}",
                ident(TRIGGER),
                ident(schema),
                ident(&entity.table)
            ),
            sql: format!(
                "CREATE TRIGGER {TRIGGER} AFTER INSERT OR DELETE OR UPDATE ON {} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}({})",
                shown(&entity.table),
                arguments.join(", ")
            ),
            depends_on: vec![format!("entity {name}"), function.key()],
            owned_by: None,
            comment: None,
        });
    }
    if !objects.is_empty() {
        objects.insert(0, function);
    }
    objects
}

/// `manifest` with the [`objects`] it asks for among its `[postgres]`
/// objects (one written in the manifest under the same key wins), when it
/// is compared with `other`: a manifest without a source engine compared
/// with a database of another engine (the dev SQLite file) asks for none.
pub fn with_objects<'m>(manifest: &'m Manifest, other: &Manifest) -> Cow<'m, Manifest> {
    let other_engine = other.source.as_ref().map(|source| source.engine);
    if manifest.source.is_none() && other_engine.is_some_and(|e| e != SourceEngine::Postgres) {
        return Cow::Borrowed(manifest);
    }
    with_derived(manifest, objects(manifest))
}

/// `manifest` with `derived` among its `[postgres]` objects (one written
/// in the manifest under the same key wins).
fn with_derived(manifest: &Manifest, derived: Vec<EngineObject>) -> Cow<'_, Manifest> {
    if derived.is_empty() {
        return Cow::Borrowed(manifest);
    }
    let mut owned = manifest.clone();
    for object in derived {
        if owned.postgres.object(&object.key()).is_none() {
            owned.postgres.objects.push(object);
        }
    }
    Cow::Owned(owned)
}

/// This process, as the trigger sees it: the `application_name` of the
/// `baas serve` pool, so the listener can tell its own writes (already
/// published) from everybody else's.
pub fn origin() -> &'static str {
    static ORIGIN: OnceLock<String> = OnceLock::new();
    ORIGIN.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        format!("baas serve {}-{nanos:09}", std::process::id())
    })
}

/// The operation a [`Notification`] announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Insert,
    Update,
    Delete,
}

/// One announced write, as the trigger function sends it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Notification {
    pub entity: String,
    pub op: Operation,
    /// The primary-key values, in key order.
    pub key: Vec<serde_json::Value>,
    /// The `application_name` of the writing session.
    #[serde(default)]
    pub origin: String,
    /// The schema of the written table (a schema tenant's, with
    /// `[tenancy] strategy = "schema"`).
    #[serde(default)]
    pub schema: Option<String>,
    /// The rows by column name (`to_jsonb`), absent when `reread`.
    #[serde(default)]
    pub new: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub old: Option<serde_json::Map<String, serde_json::Value>>,
    /// The rows were too large for NOTIFY: read the row again by key.
    #[serde(default)]
    pub reread: bool,
}

impl Notification {
    pub fn parse(payload: &str) -> Result<Self, String> {
        serde_json::from_str(payload)
            .map_err(|error| format!("a `{CHANNEL}` notification that is not baas's: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(external: bool) -> Manifest {
        let text = format!(
            r#"
[manifest]
format = 1
version = 1

[realtime]
external = {external}

[entities.book]
table = "book"
primary_key = ["id"]
fields.id = {{ type = "int64" }}
fields.title = {{ type = "string" }}

[entities.user]
table = "user"
schema = "auth"
primary_key = ["id"]
fields.id = {{ type = "int64", column = "user_id" }}
"#
        );
        crate::manifest::load_str(std::path::Path::new("baas.toml"), text)
            .expect("manifest")
            .manifest
    }

    #[test]
    fn external_derives_a_function_and_a_trigger_per_table() {
        let manifest = sample(true);
        let keys: Vec<String> = objects(&manifest).iter().map(EngineObject::key).collect();
        assert_eq!(
            keys,
            [
                "function public.baas_realtime_notify()",
                "trigger baas_realtime ON public.book",
                "trigger baas_realtime ON auth.\"user\"",
            ]
        );
        let user = &objects(&manifest)[2];
        assert!(
            user.sql
                .ends_with("ON auth.\"user\" FOR EACH ROW EXECUTE FUNCTION baas_realtime_notify('user', 'user_id')"),
            "{}",
            user.sql
        );
        assert!(objects(&sample(false)).is_empty());
        let empty = Manifest::default();
        assert!(matches!(
            with_objects(&sample(false), &empty),
            Cow::Borrowed(_)
        ));
        assert_eq!(with_objects(&manifest, &empty).postgres.objects.len(), 3);
        // Compared with a SQLite database, a manifest without an engine asks
        // for no PostgreSQL triggers.
        let sqlite = Manifest {
            source: Some(crate::manifest::Source {
                engine: SourceEngine::Sqlite,
                url: None,
                schemas: Vec::new(),
            }),
            ..Manifest::default()
        };
        assert!(matches!(with_objects(&manifest, &sqlite), Cow::Borrowed(_)));
    }

    #[test]
    fn schema_tenants_have_their_objects_in_their_own_schema_and_none_in_migrations() {
        let text = r#"
[manifest]
format = 1
version = 1

[source]
engine = "postgres"
url = "${DATABASE_URL}"

[tenancy]
strategy = "schema"

[realtime]
external = true

[entities.book]
table = "book"
primary_key = ["id"]
fields.id = { type = "int64" }
"#;
        let manifest = crate::manifest::load_str(std::path::Path::new("baas.toml"), text.into())
            .expect("manifest")
            .manifest;
        assert!(objects(&manifest).is_empty());
        assert!(matches!(
            with_objects(&manifest, &Manifest::default()),
            Cow::Borrowed(_)
        ));
        let tenant = tenant_objects(&manifest, "acme");
        let keys: Vec<String> = tenant.iter().map(EngineObject::key).collect();
        assert_eq!(
            keys,
            [
                "function acme.baas_realtime_notify()",
                "trigger baas_realtime ON acme.book",
            ]
        );
        // As `pg_get_triggerdef` prints it in the tenant's `search_path`.
        assert!(
            tenant[1].sql.ends_with(
                "ON book FOR EACH ROW EXECUTE FUNCTION baas_realtime_notify('book', 'id')"
            ),
            "{}",
            tenant[1].sql
        );
        assert_eq!(
            for_tenant_schema(&manifest, "acme").postgres.objects.len(),
            2
        );
    }

    #[test]
    fn a_notification_parses_and_a_foreign_payload_says_so() {
        let parsed = Notification::parse(
            r#"{"entity":"book","op":"update","key":[1],"origin":"psql","new":{"id":1},"old":{"id":1}}"#,
        )
        .expect("parse");
        assert_eq!(parsed.op, Operation::Update);
        assert!(!parsed.reread);
        let error = Notification::parse("hello").expect_err("not json");
        assert!(error.contains("baas_realtime"), "{error}");
    }
}
