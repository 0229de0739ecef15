//! The typed model of `baas.toml`: the one intermediate representation every
//! source produces and every consumer reads.
//!
//! The model carries no spans and no engine handles, so two manifests can be
//! compared with `==` and snapshot-tested as plain data. Spans live beside it in
//! [`super::load::SpanMap`].

use std::collections::BTreeMap;
use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;

/// The `[manifest] format` this build reads and writes.
pub const CURRENT_FORMAT: u32 = 1;

/// A whole `baas.toml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// File-format version of `baas.toml` itself.
    pub format: u32,
    /// Revision of the model, bumped by every `baas migrate plan`.
    pub version: u64,
    pub project: Project,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    pub enums: BTreeMap<String, Enum>,
    pub entities: BTreeMap<String, Entity>,
    /// An existing HTTP API the model was read from (OpenAPI, Supabase), so
    /// that `serve` can proxy it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<Api>,
    /// Who the callers of `baas serve` are (`[auth]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    /// `[postgres]`: PostgreSQL objects with no portable form.
    #[serde(skip_serializing_if = "EngineObjects::is_empty")]
    pub postgres: EngineObjects,
    /// `[tenancy]`: one database, schema, file or tenant column per tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenancy: Option<Tenancy>,
    /// `[[hooks]]`: JavaScript run around the API's writes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<Hook>,
    /// `[realtime]`: where realtime changes come from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime: Option<Realtime>,
    /// `[[webhooks]]`: writes delivered to other systems through the outbox.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<Webhook>,
}

/// One `[[webhooks]]` entry: the writes it is told about (`on`), where they
/// are posted and how they are signed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Webhook {
    /// Its name in the outbox and in `baas webhooks list` [default: the URL].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `entity.action` patterns: `post.create`, `post.*`, `*.delete`, `*`.
    pub on: Vec<String>,
    pub url: String,
    /// The signing secret, as a `${ENV}` reference (never the value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Attempts before a delivery is dead [default: 8].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// Seconds one attempt may take [default: 10].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
}

impl Webhook {
    /// Attempts before a delivery is dead when `max_attempts` is not set.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
    /// Seconds per attempt when `timeout_seconds` is not set.
    pub const DEFAULT_TIMEOUT_SECONDS: u64 = 10;

    /// The name rows of the outbox carry.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.url)
    }

    /// Whether a write of `action` (`create`, `update`, `delete`) to
    /// `entity` is one this webhook is told about.
    pub fn matches(&self, entity: &str, action: &str) -> bool {
        self.on.iter().any(|pattern| {
            if pattern == "*" {
                return true;
            }
            let Some((on_entity, on_action)) = pattern.rsplit_once('.') else {
                return false;
            };
            (on_entity == "*" || on_entity == entity) && (on_action == "*" || on_action == action)
        })
    }
}

/// `[tenancy]` (DESIGN.md §5b): where each tenant's rows live, how a
/// request names its tenant, and where the registry of tenants is.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tenancy {
    pub strategy: TenancyStrategy,
    /// How a request names its tenant, tried in order (`header:x-tenant`,
    /// `claim:tenant`, `subdomain`, `path`); [`Tenancy::DEFAULT_RESOLVE`]
    /// when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resolve: Vec<String>,
    /// The registry database (`_baas_tenants`), as a URL or `${ENV}`
    /// reference [default: `.baas/registry.sqlite3`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// The server the tenants' schemas or databases are made on, as a
    /// `${ENV}` reference [default: `[source] url`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The tenant column (`strategy = "row"`) [default: `tenant_id`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Tenant pools open at once at most; the least recently used one is
    /// closed to open another [default: 100].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pools: Option<u64>,
    /// Seconds an unused tenant pool stays open [default: 300].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_seconds: Option<u64>,
    /// Who besides the service key administers the platform
    /// (`/api/_tenants`, `/api/_system`): a rule about the caller alone
    /// (`@auth.role = 'admin'`), in the rules' grammar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<String>,
}

impl Tenancy {
    /// The tenant column of `strategy = "row"` when `column` is not given.
    pub const DEFAULT_COLUMN: &'static str = "tenant_id";

    /// The tenant column every entity carries, with `strategy = "row"`
    /// only.
    /// How a client names its tenant, for discovery and the OpenAPI
    /// document: `{"strategy", "header"?, "claim"?, "subdomain", "path"?}`.
    pub fn wire(&self) -> serde_json::Value {
        let sources = self.sources();
        let mut out = serde_json::Map::new();
        out.insert("strategy".into(), self.strategy.as_str().into());
        for source in &sources {
            match source {
                TenantSource::Header(name) if !out.contains_key("header") => {
                    out.insert("header".into(), name.as_str().into());
                }
                TenantSource::Claim(name) if !out.contains_key("claim") => {
                    out.insert("claim".into(), name.as_str().into());
                }
                TenantSource::Path => {
                    out.insert("path".into(), "/t/{tenant}/api".into());
                }
                _ => {}
            }
        }
        out.insert(
            "subdomain".into(),
            sources.contains(&TenantSource::Subdomain).into(),
        );
        serde_json::Value::Object(out)
    }

    pub fn row_column(&self) -> Option<&str> {
        (self.strategy == TenancyStrategy::Row)
            .then(|| self.column.as_deref().unwrap_or(Self::DEFAULT_COLUMN))
    }

    /// How a request names its tenant when `resolve` is not given.
    pub const DEFAULT_RESOLVE: &'static [&'static str] =
        &["claim:tenant", "header:x-tenant", "path"];

    /// The resolve list in effect, parsed (entries that do not parse were
    /// reported by validation and are left out).
    pub fn sources(&self) -> Vec<TenantSource> {
        let given: Vec<&str> = if self.resolve.is_empty() {
            Self::DEFAULT_RESOLVE.to_vec()
        } else {
            self.resolve.iter().map(String::as_str).collect()
        };
        given.into_iter().filter_map(TenantSource::parse).collect()
    }
}

/// One way a request names its tenant (`[tenancy] resolve`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantSource {
    /// A request header (`header:x-tenant`), lower-case.
    Header(String),
    /// A claim of the verified JWT (`claim:tenant`; a dotted path reaches
    /// into an object claim). Trusted over every other source.
    Claim(String),
    /// The first label of the `Host` name (`acme.api.example.com`).
    Subdomain,
    /// The path prefix `/t/{tenant}/api/...`.
    Path,
}

impl TenantSource {
    /// The spellings accepted, for messages.
    pub const FORMS: &'static [&'static str] = &["header:NAME", "claim:NAME", "subdomain", "path"];

    pub fn parse(text: &str) -> Option<Self> {
        let valid_name = |name: &str| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        match text.split_once(':') {
            Some(("header", name)) if valid_name(name) && !name.contains('.') => {
                Some(Self::Header(name.to_ascii_lowercase()))
            }
            Some(("claim", name)) if valid_name(name) => Some(Self::Claim(name.to_owned())),
            None if text == "subdomain" => Some(Self::Subdomain),
            None if text == "path" => Some(Self::Path),
            _ => None,
        }
    }
}

/// One `[[hooks]]` entry: a JavaScript file run before or after a write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hook {
    /// `entity.action.before|after`, `*` for any entity or action
    /// (`post.create.before`, `*.delete.after`).
    pub on: String,
    /// The file, relative to baas.toml.
    pub run: String,
    /// The time limit of one call, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// The memory limit of one call, in MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
}

/// `[realtime]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Realtime {
    /// PostgreSQL: `migrate plan` installs triggers that NOTIFY every
    /// write, so writes made outside baas (and through other `baas serve`
    /// processes on the database) reach realtime subscribers.
    pub external: bool,
}

/// An existing API: where it lives and what it offers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Api {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Operation>,
    /// Browser origins allowed to call `baas serve` (`https://app.example.com`,
    /// or `*`); localhost origins are always allowed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cors_origins: Vec<String>,
    /// Host names `baas serve` answers to besides localhost and the bound
    /// address (`Host` header checks against DNS rebinding; `*` for any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Seconds a client has to send a request's headers (and an idle
    /// keep-alive connection stays open).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_timeout_seconds: Option<u64>,
    /// Seconds a request may take, body and database work included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_seconds: Option<u64>,
    /// Open connections at most.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u64>,
    /// Requests per minute from one client address (unlimited when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_ip: Option<u64>,
    /// Requests per minute of one signed-in user (unlimited when unset;
    /// the service key is never limited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_user: Option<u64>,
    /// Sign-up and login attempts per minute, per client address and per
    /// email [default: 10].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_attempts_per_minute: Option<u64>,
    /// Proxies (addresses or `address/prefix` networks) whose
    /// `X-Forwarded-For` or `Forwarded` header names the client address
    /// the per-address limits count; no other peer's header is read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trusted_proxies: Vec<String>,
    /// Where `baas serve` mounts the PostgREST-compatible profile
    /// (`postgrest = true` is `/rest/v1`; a string is the path); off when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgrest: Option<String>,
    /// How `baas serve` calls the API when it serves it (`[source] engine = "http"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<Upstream>,
    /// Filtered bulk updates and deletes (`PATCH`/`DELETE` of a list, on
    /// `/api` and the PostgREST profile) may run without a filter, on every
    /// row; refused when unset (docs/api.md, "Writing many rows").
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unfiltered_writes: bool,
}

/// `[api.upstream]`: how the HTTP store calls the upstream API.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Upstream {
    /// Seconds one upstream call may take, retries excluded [default: 10].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Upstream calls in flight at most [default: 64].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u64>,
    /// Retries of an idempotent call (GET, PUT, DELETE) that failed to
    /// connect or answered 502/503/504 [default: 2].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u64>,
    /// Upstream pages read at most to filter a list locally [default: 10].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<u64>,
    /// Show the upstream's error message in problems (off: only its status).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub expose_errors: bool,
    /// The credentials sent upstream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
}

/// `credentials = { in = "header", name = "X-API-Key", value = "${KEY}" }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Credentials {
    #[serde(rename = "in")]
    pub location: CredentialsIn,
    /// The header or query parameter name (`header`, `query`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The secret as an `${ENV}` reference (`bearer`, `header`, `query`;
    /// `basic` takes `${USER}:${PASSWORD}`); unused by `forward`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The path of the PostgREST-compatible profile when `[api] postgrest = true`.
pub const POSTGREST_PATH: &str = "/rest/v1";

/// An address or an `address/prefix` network of `[api] trusted_proxies`:
/// the network's address and prefix length.
pub fn parse_network(text: &str) -> Result<(std::net::IpAddr, u8), String> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let address: std::net::IpAddr = address
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not an IP address or an address/prefix network"))?;
    let bits = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => bits,
        Some(prefix) => match prefix.trim().parse::<u8>() {
            Ok(prefix) if prefix <= bits => prefix,
            _ => return Err(format!("`{text}`: the prefix length must be 0 to {bits}")),
        },
    };
    Ok((address, prefix))
}

/// `[auth]`: how `baas serve` knows who calls it (DESIGN.md §5b).
///
/// Secrets (`jwt_secret`, `service_key`) are kept as the `${ENV}` references
/// written in the file and resolved only when the server starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Auth {
    /// The HS256 secret, as a `${ENV}` reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_secret: Option<String>,
    /// A PEM public key file (RS256, ES256 or EdDSA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// A JWKS file, or an `https://` URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
    /// The accepted algorithms (`RS256`, ...); by default the key's own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub algorithms: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Clock skew allowed on `exp` and `nbf` [default: 30].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leeway_seconds: Option<u64>,
    /// The service key, as a `${ENV}` reference: bypasses every rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_key: Option<String>,
    /// Which claims are `@auth.id`, `@auth.role` and `@auth.tenant`.
    pub claims: AuthClaims,
    /// Built-in users (`/api/_auth/...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<AuthUsers>,
    /// Rules also as PostgreSQL row-level security policies.
    pub rls: bool,
    /// PostgreSQL: the role the server switches to (`SET LOCAL ROLE`) for
    /// the service key's operations, one with `BYPASSRLS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_role: Option<String>,
    /// PostgreSQL: the role the server switches to for every other
    /// caller's operations, one held to the policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_role: Option<String>,
}

/// `[auth] claims`: the claim names behind `@auth.id`, `@auth.role` and
/// `@auth.tenant` (a dotted path reaches into an object claim).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthClaims {
    pub id: String,
    pub role: String,
    pub tenant: String,
}

impl Default for AuthClaims {
    fn default() -> Self {
        Self {
            id: "sub".into(),
            role: "role".into(),
            tenant: "tenant".into(),
        }
    }
}

/// `[auth] users`: the entity that holds the built-in users, and its fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthUsers {
    pub entity: String,
    pub email: String,
    pub password: String,
}

impl Default for AuthUsers {
    fn default() -> Self {
        Self {
            entity: "user".into(),
            email: "email".into(),
            password: "password_hash".into(),
        }
    }
}

/// One operation of an existing API (`GET /pets/{petId}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Operation {
    /// Upper-case HTTP method.
    pub method: String,
    pub path: String,
    /// `operationId`, when the document gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The entity the operation reads or writes, when evident.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// What it does to `entity` when baas serves the API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<OperationAction>,
    /// The query parameters it declares, paging ones excluded: the filters
    /// the upstream applies itself.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<String>,
    /// How a list operation pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    /// The key of a list response's rows (`data`); absent: the body is the array.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<String>,
    /// A JSON pointer to the message in its error bodies (`/detail`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The GraphQL form of the operation (`[api.operations.graphql]`): the
    /// root field a GraphQL upstream is called through (`method = "POST"`,
    /// `path` the endpoint's path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graphql: Option<GraphqlOperation>,
}

/// `[api.operations.graphql]`: a query or mutation field of a GraphQL
/// upstream. Paging names `pagination`'s `limit`/`offset` (offset style) or
/// `limit`/`cursor` (cursor style, `connection = true`); filters are the
/// operation's `query` names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphqlOperation {
    /// `query` or `mutation`.
    pub operation: GraphqlOperationType,
    /// The root field (`books`, `createBook`).
    pub field: String,
    /// Its arguments and their GraphQL types, in declaration order
    /// (`first = "Int"`, `input = "CreateBookInput!"`).
    pub arguments: IndexMap<String, String>,
    /// The type it answers (`BookConnection!`, `Boolean!`): a built-in
    /// scalar takes no selection.
    pub returns: String,
    /// The arguments taking the key (get, update, delete), one per field
    /// of the entity's primary key, in its order (`key = "id"`, or
    /// `key = ["userId", "groupId"]` for a composite key).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key: Vec<String>,
    /// The argument taking the row as an input object (create, update);
    /// absent: the row's fields are arguments of their own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The fields of `input`'s type: the row fields sent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_fields: Vec<String>,
    /// The argument taking an input object of filters (`where`); the
    /// filterable fields are the operation's `query`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// The answer is a Relay connection (`edges { node }`, `pageInfo`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub connection: bool,
    /// The field of a mutation's payload that holds the row (`book`);
    /// absent: the answer is the row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Entity fields read through a path of the GraphQL type
    /// (`author_id = "author.id"`); the others are fields of the same name.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub paths: IndexMap<String, String>,
    /// The argument a list field takes its order in, and its shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<GraphqlOrder>,
    /// Where a list's total count is read (`totalCount` of a connection,
    /// `aggregate.count` of `count_field`'s answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<String>,
    /// A root query field answering the count (`books_aggregate`), called
    /// with the list's filter arguments; absent: `count` is read from the
    /// list field's own answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count_field: Option<String>,
    /// The field of `filter`'s input object taking a list of filters, any
    /// of which a row matches (`OR`, `_or`): a list of composite keys is
    /// one call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_or: Option<String>,
    /// The fields of `filter`'s input object take comparison objects, not
    /// values: per baas operator, its spelling there (`eq = "_eq"`, `in =
    /// "_in"`, `is = "_is_null"` for Hasura's `where: {title: {_eq: ..}}`;
    /// `eq = "equalTo"` for PostGraphile's `filter`). Empty: each field
    /// takes the value itself (`where: {genre: SCIENCE}`).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub operators: IndexMap<String, String>,
}

/// `order = { argument = "orderBy", style = "input", fields = ["title"], asc = "ASC", desc = "DESC" }`:
/// how a GraphQL list field takes an order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphqlOrder {
    /// The argument (`orderBy`, `order_by`, `sort`).
    pub argument: String,
    pub style: GraphqlOrderStyle,
    /// The argument is a list: several keys, in order.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub list: bool,
    /// The entity fields the upstream orders by.
    pub fields: Vec<String>,
    /// The ascending and descending directions: enum values of an `input`
    /// or `field` order (`ASC`, `asc`), suffixes of an `enum` one (`TITLE_ASC`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// The directions that also place nulls, when the upstream spells them
    /// (`asc_nulls_first`, `TITLE_DESC_NULLS_LAST`'s `DESC_NULLS_LAST`),
    /// in the order ascending nulls first, ascending nulls last,
    /// descending nulls first, descending nulls last.
    #[serde(skip_serializing_if = "Nulls::is_empty")]
    pub nulls: Nulls,
    /// A `field` order's enum value naming each of `fields` (`createdAt =
    /// "CREATED_AT"`).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub values: IndexMap<String, String>,
    /// A `field` order's input fields taking the field and the direction
    /// (`by = "field"`, `direction = "direction"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
}

/// The spellings of the four directions that place nulls
/// (`asc_nulls_first`, `asc_nulls_last`, `desc_nulls_first`,
/// `desc_nulls_last`), those the upstream has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Nulls(pub [Option<String>; 4]);

impl Nulls {
    /// The manifest keys, in the order the spellings are kept.
    pub const KEYS: [&'static str; 4] = [
        "asc_nulls_first",
        "asc_nulls_last",
        "desc_nulls_first",
        "desc_nulls_last",
    ];

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }

    /// The spelling of a direction with an explicit null placement.
    pub fn get(&self, descending: bool, nulls_first: bool) -> Option<&str> {
        let index = usize::from(descending) * 2 + usize::from(!nulls_first);
        self.0.get(index).and_then(Option::as_deref)
    }
}

impl GraphqlOrder {
    /// The value of an `enum` order for entity field `field`: its name in
    /// upper snake case and the direction's suffix (`authorId` →
    /// `AUTHOR_ID_DESC`).
    pub fn enum_value(&self, field: &str, descending: bool) -> String {
        let direction = if descending { &self.desc } else { &self.asc };
        let direction = direction
            .as_deref()
            .unwrap_or(if descending { "DESC" } else { "ASC" });
        Self::enum_value_with(field, direction)
    }

    /// The value of an `enum` order for `field` with suffix `direction`
    /// (`DESC_NULLS_LAST`).
    pub fn enum_value_with(field: &str, direction: &str) -> String {
        format!("{}_{direction}", Self::upper_snake(field))
    }

    /// `authorId` → `AUTHOR_ID`: a field as GraphQL enums name it.
    pub fn upper_snake(field: &str) -> String {
        let mut out = String::with_capacity(field.len() + 4);
        let mut previous_lower = false;
        for c in field.chars() {
            if c.is_uppercase() && previous_lower {
                out.push('_');
            }
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
            out.extend(c.to_uppercase());
        }
        out
    }
}

/// `pagination = { style = "offset", limit = "limit", offset = "offset" }`:
/// the style and the names of its parameters (`next`: the response key or
/// pointer holding the next cursor).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pagination {
    pub style: PaginationStyle,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// When a hook runs: before or after the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HookPhase {
    Before,
    After,
}

/// The writes a hook runs around, read from its `on`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookTrigger {
    /// `None` for `*` (any entity).
    pub entity: Option<String>,
    /// `create`, `update` or `delete`; `None` for `*`.
    pub action: Option<String>,
    pub phase: HookPhase,
}

/// The actions a hook can run around.
pub const HOOK_ACTIONS: &[&str] = &["create", "update", "delete"];

impl Hook {
    /// Reads `on` (`entity.action.before|after`); what is wrong with it.
    pub fn trigger(&self) -> Result<HookTrigger, String> {
        let shape = "`on` is `entity.action.before` or `entity.action.after` (`*` for any entity or action)";
        let mut parts = self.on.rsplitn(3, '.');
        let (Some(phase), Some(action), Some(entity)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("`{}` is not a hook event: {shape}", self.on));
        };
        let phase = match phase {
            "before" => HookPhase::Before,
            "after" => HookPhase::After,
            other => {
                return Err(format!(
                    "`{other}` is not a hook phase in `{}`: use `before` or `after`",
                    self.on
                ));
            }
        };
        let action = match action {
            "*" => None,
            action if HOOK_ACTIONS.contains(&action) => Some(action.to_owned()),
            other => {
                return Err(format!(
                    "`{other}` is not an action hooks run around in `{}`: use {} or `*`",
                    self.on,
                    HOOK_ACTIONS
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        };
        if entity.is_empty() {
            return Err(format!("`{}` is not a hook event: {shape}", self.on));
        }
        Ok(HookTrigger {
            entity: (entity != "*").then(|| entity.to_owned()),
            action,
            phase,
        })
    }
}

impl HookTrigger {
    /// Whether the hook runs for `action` on `entity` in `phase`.
    pub fn matches(&self, entity: &str, action: &str, phase: HookPhase) -> bool {
        self.phase == phase
            && self.entity.as_deref().is_none_or(|e| e == entity)
            && self.action.as_deref().is_none_or(|a| a == action)
    }
}

impl Default for Manifest {
    fn default() -> Self {
        Self {
            format: CURRENT_FORMAT,
            version: 1,
            project: Project::default(),
            source: None,
            enums: BTreeMap::new(),
            entities: BTreeMap::new(),
            api: None,
            auth: None,
            postgres: EngineObjects::default(),
            tenancy: None,
            hooks: Vec::new(),
            realtime: None,
            webhooks: Vec::new(),
        }
    }
}

impl Manifest {
    /// The entity whose physical table is `table` (in `schema`, when given).
    pub fn entity_by_table(&self, schema: Option<&str>, table: &str) -> Option<(&str, &Entity)> {
        self.entities
            .iter()
            .find(|(_, entity)| {
                entity.table == table && (schema.is_none() || entity.schema.as_deref() == schema)
            })
            .map(|(name, entity)| (name.as_str(), entity))
    }

    /// Number of relations over all entities.
    pub fn relation_count(&self) -> usize {
        self.entities.values().map(|e| e.relations.len()).sum()
    }

    /// The manifest as the API serves it: without the password field of
    /// the built-in users (`[auth] users`), so that no route, query,
    /// discovery, OpenAPI document or generated client knows it.
    pub fn served(&self) -> std::borrow::Cow<'_, Manifest> {
        let Some(users) = self.auth.as_ref().and_then(|auth| auth.users.as_ref()) else {
            return std::borrow::Cow::Borrowed(self);
        };
        let hides = self
            .entities
            .get(&users.entity)
            .is_some_and(|entity| entity.fields.contains_key(&users.password));
        if !hides {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut served = self.clone();
        if let Some(entity) = served.entities.get_mut(&users.entity) {
            entity.fields.shift_remove(&users.password);
            entity.indexes.retain(|index| {
                !index.fields.iter().any(|part| {
                    matches!(part, IndexPart::Field { field, .. } if *field == users.password)
                })
            });
            entity
                .uniques
                .retain(|unique| !unique.fields.contains(&users.password));
        }
        std::borrow::Cow::Owned(served)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Project {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Where the model came from, and where `baas` connects to by default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub engine: SourceEngine,
    /// Connection string or file path, verbatim: `${VAR}` references are kept
    /// as written and only resolved when used (see [`crate::settings`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
}

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every accepted spelling, in declaration order.
            pub const ALL: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// Where a tenant's rows live (`[tenancy] strategy`).
    #[derive(Default)]
    pub enum TenancyStrategy {
        /// A PostgreSQL schema per tenant.
        Schema => "schema",
        /// A database per tenant (PostgreSQL, MySQL/MariaDB, MongoDB).
        Database => "database",
        /// A SQLite file per tenant under `.baas/tenants/` (the default).
        #[default]
        File => "file",
        /// One database; a tenant column on every entity.
        Row => "row",
    }
}

string_enum! {
    /// What an upstream operation does (`[[api.operations]] action`).
    pub enum OperationAction {
        List => "list",
        Get => "get",
        Create => "create",
        Update => "update",
        Replace => "replace",
        Delete => "delete",
    }
}

string_enum! {
    /// How an upstream list pages: `limit`/`offset`, `page`/`per_page`, a
    /// cursor from the previous page, or the `Link: <...>; rel="next"` header.
    pub enum PaginationStyle {
        Offset => "offset",
        Page => "page",
        Cursor => "cursor",
        Link => "link",
    }
}

string_enum! {
    /// The shape of a GraphQL order argument.
    pub enum GraphqlOrderStyle {
        /// An input object of directions: `{title: ASC}` (Hasura, Prisma).
        Input => "input",
        /// An enum value per field and direction: `TITLE_ASC` (PostGraphile).
        Enum => "enum",
        /// The field's name, `-` first for descending: `"-title"`.
        String => "string",
        /// An input object naming the field by an enum value and the
        /// direction: `{field: TITLE, direction: ASC}` (GitHub).
        Field => "field",
    }
}

impl GraphqlOperation {
    /// Root field `field` of `operation`, answering `returns`, with no
    /// arguments yet.
    pub fn new(operation: GraphqlOperationType, field: &str, returns: &str) -> Self {
        Self {
            operation,
            field: field.to_owned(),
            arguments: IndexMap::new(),
            returns: returns.to_owned(),
            key: Vec::new(),
            input: None,
            input_fields: Vec::new(),
            filter: None,
            connection: false,
            result: None,
            paths: IndexMap::new(),
            order: None,
            count: None,
            count_field: None,
            filter_or: None,
            operators: IndexMap::new(),
        }
    }
}

string_enum! {
    /// The root type of a GraphQL operation.
    pub enum GraphqlOperationType {
        Query => "query",
        Mutation => "mutation",
    }
}

string_enum! {
    /// Where upstream credentials go.
    pub enum CredentialsIn {
        Forward => "forward",
        Bearer => "bearer",
        Basic => "basic",
        Header => "header",
        Query => "query",
    }
}

string_enum! {
    /// The kind of thing a manifest was read from.
    pub enum SourceEngine {
        Postgres => "postgres",
        Mysql => "mysql",
        Sqlite => "sqlite",
        Mongodb => "mongodb",
        Sql => "sql",
        Prisma => "prisma",
        JsonSchema => "jsonschema",
        Openapi => "openapi",
        Graphql => "graphql",
        Supabase => "supabase",
        /// An upstream REST API served through baas (`[api]` operations).
        Http => "http",
    }
}

string_enum! {
    /// The portable field types of DESIGN.md §1.
    pub enum FieldType {
        Bool => "bool",
        Int16 => "int16",
        Int32 => "int32",
        Int64 => "int64",
        Float32 => "float32",
        Float64 => "float64",
        Decimal => "decimal",
        String => "string",
        Text => "text",
        Uuid => "uuid",
        Date => "date",
        Time => "time",
        Timestamp => "timestamp",
        Timestamptz => "timestamptz",
        Interval => "interval",
        Json => "json",
        Bytes => "bytes",
        Enum => "enum",
        Array => "array",
        Object => "object",
        ObjectId => "object_id",
        Native => "native",
    }
}

impl FieldType {
    pub fn is_integer(self) -> bool {
        matches!(self, Self::Int16 | Self::Int32 | Self::Int64)
    }

    pub fn is_numeric(self) -> bool {
        self.is_integer() || matches!(self, Self::Float32 | Self::Float64 | Self::Decimal)
    }

    /// The portable type(s) meant by a common SQL or language type name, for
    /// hints: `integer` → `int32 or int64`.
    pub fn alias(word: &str) -> Option<&'static str> {
        Some(match word.to_ascii_lowercase().as_str() {
            "int" | "integer" | "number" => "`int32` or `int64`",
            "smallint" | "short" => "`int16`",
            "bigint" | "long" => "`int64`",
            "serial" | "bigserial" => "`int32`/`int64` with `generated = \"serial\"`",
            "boolean" => "`bool`",
            "varchar" | "char" | "character varying" | "str" => "`string`",
            "float" | "double" | "real" | "double precision" => "`float64` (or `float32`)",
            "numeric" | "money" => "`decimal`",
            "datetime" => "`timestamp` (or `timestamptz` with a time zone)",
            "blob" | "bytea" | "binary" => "`bytes`",
            "jsonb" => "`json`",
            "list" => "`array` with `items`",
            "map" | "document" => "`object`",
            _ => return None,
        })
    }

    /// Types whose values are measured in characters or bytes (`max_length`).
    pub fn has_length(self) -> bool {
        matches!(self, Self::String | Self::Text | Self::Bytes)
    }
}

string_enum! {
    /// Tables are read-write; views are read-only in the API.
    pub enum EntityKind {
        Table => "table",
        View => "view",
        MaterializedView => "materialized_view",
    }
}

string_enum! {
    /// How the database assigns a value that the client does not send.
    pub enum GeneratedKind {
        /// `GENERATED BY DEFAULT AS IDENTITY`
        Identity => "identity",
        /// `GENERATED ALWAYS AS IDENTITY`: the client may not set it
        IdentityAlways => "identity_always",
        /// a sequence default (`serial`, `nextval(...)`)
        Serial => "serial",
        /// MySQL `AUTO_INCREMENT`, SQLite `AUTOINCREMENT` (values are never reused)
        Autoincrement => "autoincrement",
        /// SQLite `INTEGER PRIMARY KEY`: an alias of the rowid (values may be reused)
        Rowid => "rowid",
    }
}

string_enum! {
    /// Referential actions of a foreign key.
    pub enum ReferentialAction {
        NoAction => "no_action",
        Restrict => "restrict",
        Cascade => "cascade",
        SetNull => "set_null",
        SetDefault => "set_default",
    }
}

string_enum! {
    pub enum SortOrder {
        Asc => "asc",
        Desc => "desc",
    }
}

/// Objects of one engine that have no portable form (`[postgres]`):
/// extensions, and functions, triggers, domains and sequences each kept as
/// the statement that creates it, with what it needs. Plans create them in
/// dependency order and `diff` compares them, so a database that holds them
/// round-trips. See `docs/manifest.md`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EngineObjects {
    /// Extensions by name (`pg_trgm`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, Extension>,
    /// Every other object, in the order the source listed them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<EngineObject>,
}

impl EngineObjects {
    pub fn is_empty(&self) -> bool {
        self.extensions.is_empty() && self.objects.is_empty()
    }

    /// The object whose [`EngineObject::key`] is `key`.
    pub fn object(&self, key: &str) -> Option<&EngineObject> {
        self.objects.iter().find(|object| object.key() == key)
    }
}

/// An installed extension.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extension {
    /// The schema its objects live in, when not the default one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The version installed where the manifest was read (informative: a
    /// plan installs the server's default version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

string_enum! {
    /// What an [`EngineObject`] is; each kind has its own array in the
    /// manifest (functions, procedures and aggregates share `functions`).
    pub enum ObjectKind {
        Collation => "collation",
        TextSearchDictionary => "text search dictionary",
        TextSearchConfiguration => "text search configuration",
        Type => "type",
        Sequence => "sequence",
        Domain => "domain",
        Function => "function",
        Procedure => "procedure",
        Aggregate => "aggregate",
        Cast => "cast",
        Trigger => "trigger",
        EventTrigger => "event trigger",
        Publication => "publication",
        Policy => "policy",
        Rule => "rule",
        Statistics => "statistics",
    }
}

impl ObjectKind {
    /// The manifest arrays, in the order `baas.toml` writes them.
    pub const SECTIONS: &'static [&'static str] = &[
        "collations",
        "text_search_dictionaries",
        "text_search_configurations",
        "types",
        "sequences",
        "domains",
        "functions",
        "casts",
        "triggers",
        "event_triggers",
        "publications",
        "policies",
        "rules",
        "statistics",
    ];

    /// The manifest array holding this kind (`[[postgres.functions]]`).
    pub fn section(self) -> &'static str {
        match self {
            Self::Collation => "collations",
            Self::TextSearchDictionary => "text_search_dictionaries",
            Self::TextSearchConfiguration => "text_search_configurations",
            Self::Type => "types",
            Self::Cast => "casts",
            Self::Sequence => "sequences",
            Self::Domain => "domains",
            Self::Function | Self::Procedure | Self::Aggregate => "functions",
            Self::Trigger => "triggers",
            Self::EventTrigger => "event_triggers",
            Self::Publication => "publications",
            Self::Policy => "policies",
            Self::Rule => "rules",
            Self::Statistics => "statistics",
        }
    }

    /// The kind a manifest array holds (`functions`: functions, unless an
    /// object says `kind`).
    pub fn of_section(section: &str) -> Option<Self> {
        [
            Self::Collation,
            Self::TextSearchDictionary,
            Self::TextSearchConfiguration,
            Self::Type,
            Self::Sequence,
            Self::Domain,
            Self::Function,
            Self::Cast,
            Self::Trigger,
            Self::EventTrigger,
            Self::Publication,
            Self::Policy,
            Self::Rule,
            Self::Statistics,
        ]
        .into_iter()
        .find(|kind| kind.section() == section)
    }

    /// The SQL keyword of `DROP <keyword> <name>`.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Sequence => "SEQUENCE",
            Self::Type => "TYPE",
            Self::Domain => "DOMAIN",
            Self::Function => "FUNCTION",
            Self::Procedure => "PROCEDURE",
            Self::Aggregate => "AGGREGATE",
            Self::Trigger => "TRIGGER",
            Self::EventTrigger => "EVENT TRIGGER",
            Self::Publication => "PUBLICATION",
            Self::Policy => "POLICY",
            Self::Rule => "RULE",
            Self::Statistics => "STATISTICS",
            Self::Collation => "COLLATION",
            Self::TextSearchDictionary => "TEXT SEARCH DICTIONARY",
            Self::TextSearchConfiguration => "TEXT SEARCH CONFIGURATION",
            Self::Cast => "CAST",
        }
    }
}

/// One engine object, kept as the statement that creates it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineObject {
    pub kind: ObjectKind,
    /// Its identity as SQL, schema-qualified: `public.group_concat(text)`
    /// (functions with their argument types), `last_updated ON public.film`
    /// (triggers, policies, rules), `public.year` (composite and range
    /// types, domains, sequences, collations, text search dictionaries and
    /// configurations, statistics), `ddl_log` (event
    /// triggers, publications), `(mood AS integer)` (casts).
    pub name: String,
    /// The statement that creates it (`CREATE [OR REPLACE] ...`).
    pub sql: String,
    /// What must exist first: other objects by [`EngineObject::key`]
    /// (`function public.last_updated()`) and entities as `entity <name>`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Sequences: the column that owns it, as SQL (`public.film.film_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
    /// Its comment (`COMMENT ON FUNCTION ... IS`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl EngineObject {
    /// `<kind> <name>`: how diffs, plans and `depends_on` name it.
    pub fn key(&self) -> String {
        format!("{} {}", self.kind, self.name)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Enum {
    pub values: Vec<String>,
    /// The engine's own name for the type, when it differs from the enum's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A table, view or collection. The map key in [`Manifest::entities`] is the
/// API name; [`Entity::table`] is the physical name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entity {
    pub table: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub kind: EntityKind,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// Name of the primary-key constraint, when the source named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_key_name: Option<String>,
    /// PostgreSQL: fields the primary key's index stores beside its key
    /// (`INCLUDE`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub primary_key_include: Vec<String>,
    /// PostgreSQL: storage parameters of the primary key's index.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub primary_key_with: Vec<String>,
    /// The primary key's comment (PostgreSQL: `COMMENT ON CONSTRAINT`;
    /// MySQL: the `PRIMARY KEY`'s `COMMENT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_key_comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The query of a view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// SQLite `WITHOUT ROWID` table.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub without_rowid: bool,
    /// SQLite `STRICT` table.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// PostgreSQL row-level security is enabled on the table.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub row_level_security: bool,
    /// PostgreSQL row-level security applies to the table's owner too
    /// (`FORCE ROW LEVEL SECURITY`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub force_row_level_security: bool,
    /// The table's default collation, when not the engine's default one
    /// (MySQL: it also names the character set, `latin1_swedish_ci`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// A PostgreSQL `UNLOGGED` table (not crash-safe, not replicated).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unlogged: bool,
    /// PostgreSQL: what logical replication sends of a changed row, as
    /// SQL after `REPLICA IDENTITY` (`FULL`, `NOTHING`, `USING INDEX
    /// name`), when not the primary key (`DEFAULT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_identity: Option<String>,
    /// PostgreSQL: the index `CLUSTER` orders the table by (`CLUSTER ON`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_on: Option<String>,
    /// A MySQL table's `ROW_FORMAT` (one of [`ROW_FORMATS`]), when the
    /// table says one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_format: Option<String>,
    /// PostgreSQL storage parameters, `name=value` (`fillfactor=70`).
    #[serde(rename = "with", skip_serializing_if = "Vec::is_empty")]
    pub storage_parameters: Vec<String>,
    /// PostgreSQL declarative partitioning: the partition key as
    /// `pg_get_partkeydef` prints it (`RANGE (created_at)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    /// The partitions of a partitioned table, each after the partition it
    /// belongs to when it is a sub-partition.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<Partition>,
    /// PostgreSQL table inheritance (`INHERITS (parent, ...)`): the entities
    /// whose columns and checks this table inherits, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inherits: Vec<String>,
    pub fields: IndexMap<String, Field>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uniques: Vec<Unique>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// PostgreSQL exclusion constraints (`EXCLUDE USING gist (...)`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<Exclusion>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Relation>,
    /// The entity's name before a rename: `diff` reports a rename (rows
    /// kept) instead of a drop and a create.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// Who may do what with the rows (`[entities.X.rules]`), as written;
    /// the language is [`crate::rules`].
    #[serde(skip_serializing_if = "Rules::is_empty")]
    pub rules: Rules,
    /// The `baas_` row-level security policies a database has on the table
    /// (introspected; made from `rules` with `[auth] rls = true`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
}

/// The rule of each action of an entity, as written in `baas.toml`
/// (`None`: no rule, which denies everyone but the service key when the
/// manifest has `[auth]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rules {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete: Option<String>,
}

impl Rules {
    /// The action names, in the order of `[entities.X.rules]`.
    pub const ACTIONS: &'static [&'static str] = &["list", "view", "create", "update", "delete"];

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The rule of `action` (one of [`Self::ACTIONS`]).
    pub fn get(&self, action: &str) -> Option<&str> {
        match action {
            "list" => self.list.as_deref(),
            "view" => self.view.as_deref(),
            "create" => self.create.as_deref(),
            "update" => self.update.as_deref(),
            "delete" => self.delete.as_deref(),
            _ => None,
        }
    }

    pub fn slot(&mut self, action: &str) -> Option<&mut Option<String>> {
        match action {
            "list" => Some(&mut self.list),
            "view" => Some(&mut self.view),
            "create" => Some(&mut self.create),
            "update" => Some(&mut self.update),
            "delete" => Some(&mut self.delete),
            _ => None,
        }
    }

    /// `(action, rule)` of every written rule.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        Self::ACTIONS
            .iter()
            .filter_map(|action| self.get(action).map(|rule| (*action, rule)))
    }
}

/// The `ROW_FORMAT`s of an InnoDB table (MySQL and MariaDB).
pub const ROW_FORMATS: &[&str] = &["DYNAMIC", "COMPACT", "REDUNDANT", "COMPRESSED"];

impl Entity {
    /// An empty table entity stored in `table`.
    pub fn new(table: impl Into<String>) -> Self {
        Self {
            table: table.into(),
            schema: None,
            kind: EntityKind::Table,
            primary_key: Vec::new(),
            primary_key_name: None,
            primary_key_include: Vec::new(),
            primary_key_with: Vec::new(),
            primary_key_comment: None,
            comment: None,
            definition: None,
            without_rowid: false,
            strict: false,
            row_level_security: false,
            force_row_level_security: false,
            collation: None,
            unlogged: false,
            replica_identity: None,
            cluster_on: None,
            row_format: None,
            storage_parameters: Vec::new(),
            partition_by: None,
            partitions: Vec::new(),
            inherits: Vec::new(),
            fields: IndexMap::new(),
            indexes: Vec::new(),
            uniques: Vec::new(),
            checks: Vec::new(),
            exclusions: Vec::new(),
            relations: Vec::new(),
            renamed_from: None,
            rules: Rules::default(),
            policies: Vec::new(),
        }
    }

    pub fn is_read_only(&self) -> bool {
        self.kind != EntityKind::Table
    }

    /// The field at a dotted `path` (`dimensions.unit`), through nested
    /// `object` fields and arrays of objects (documents).
    pub fn field_at_path(&self, path: &str) -> Option<&Field> {
        field_at_path(&self.fields, path)
    }

    /// The field stored in physical column `column`.
    pub fn field_by_column(&self, column: &str) -> Option<(&str, &Field)> {
        self.fields
            .iter()
            .find(|(name, field)| field.column_name(name) == column)
            .map(|(name, field)| (name.as_str(), field))
    }
}

/// The field at a dotted `path` in `fields`; see [`Entity::field_at_path`].
pub fn field_at_path<'a>(fields: &'a IndexMap<String, Field>, path: &str) -> Option<&'a Field> {
    if let Some(field) = fields.get(path) {
        return Some(field);
    }
    let (head, rest) = path.split_once('.')?;
    let field = fields.get(head)?;
    let nested = field
        .fields
        .as_ref()
        .or_else(|| field.items.as_ref().and_then(|items| items.fields.as_ref()))?;
    field_at_path(nested, rest)
}

/// One field (column, or document key).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Physical column name, when it differs from the field name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nullable: bool,
    /// The key may be absent from a document (MongoDB), which is not the same as null.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<DefaultValue>,
    /// An SQL expression the database sets on every update (MySQL
    /// `ON UPDATE CURRENT_TIMESTAMP`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_update: Option<String>,
    /// An invisible column (MariaDB, MySQL 8.0.23+): `SELECT *` leaves it
    /// out; a statement that names it reads and writes it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub invisible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<Generated>,
    /// PostgreSQL: the options of an identity column's sequence that are
    /// not its defaults, as SQL (`INCREMENT BY 10 START WITH 100`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_options: Option<String>,
    /// PostgreSQL: the comment on the sequence of a serial or identity
    /// column (`COMMENT ON SEQUENCE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_comment: Option<String>,
    /// A single-column unique constraint without a name of its own.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    /// PostgreSQL: a column the table has from its parents (`inherits`)
    /// only, not declared by the table itself.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inherited: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    /// Name of an `[enums.X]` table, for `type = "enum"`.
    #[serde(rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_name: Option<String>,
    /// Element type, for `type = "array"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<Field>>,
    /// Nested fields, for `type = "object"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<IndexMap<String, Field>>,
    /// The exact engine type, when the portable type does not say it all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The field's name before a rename: `diff` reports a rename (values
    /// kept) instead of a drop and an add.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

impl Field {
    /// A non-null field of type `ty` with nothing else set.
    pub fn new(ty: FieldType) -> Self {
        Self {
            ty,
            column: None,
            nullable: false,
            optional: false,
            default: None,
            on_update: None,
            invisible: false,
            generated: None,
            identity_options: None,
            sequence_comment: None,
            unique: false,
            inherited: false,
            max_length: None,
            precision: None,
            scale: None,
            enum_name: None,
            items: None,
            fields: None,
            native: None,
            collation: None,
            comment: None,
            renamed_from: None,
        }
    }

    /// Whether the database numbers it as an identity column (`GENERATED
    /// ... AS IDENTITY`).
    pub fn is_identity(&self) -> bool {
        matches!(
            self.generated,
            Some(Generated::Kind(
                GeneratedKind::Identity | GeneratedKind::IdentityAlways
            ))
        )
    }

    /// Whether it is `generated = "serial"`.
    pub fn is_serial(&self) -> bool {
        matches!(self.generated, Some(Generated::Kind(GeneratedKind::Serial)))
    }

    /// Whether the database numbers it from a sequence of its own:
    /// `serial` or an identity column.
    pub fn has_own_sequence(&self) -> bool {
        self.is_identity() || self.is_serial()
    }

    /// The physical column this field is stored in.
    pub fn column_name<'a>(&'a self, field_name: &'a str) -> &'a str {
        self.column.as_deref().unwrap_or(field_name)
    }

    /// Whether `literal` has a shape this field's type can hold (a string for
    /// text, a number for numbers, ...); `json` and `native` take anything.
    pub fn accepts(&self, literal: &Literal) -> bool {
        let ty = self.ty;
        matches!(ty, FieldType::Json | FieldType::Native)
            || match literal {
                Literal::Bool(_) => ty == FieldType::Bool,
                Literal::Int(_) => ty.is_numeric(),
                Literal::Float(_) => {
                    matches!(
                        ty,
                        FieldType::Float32 | FieldType::Float64 | FieldType::Decimal
                    )
                }
                Literal::String(_) => {
                    !(ty == FieldType::Bool
                        || ty.is_numeric() && ty != FieldType::Decimal
                        || matches!(ty, FieldType::Array | FieldType::Object))
                }
                Literal::Array(_) => ty == FieldType::Array,
            }
    }

    /// Whether a client may leave this field out of an insert.
    pub fn is_optional_on_insert(&self) -> bool {
        self.nullable || self.optional || self.default.is_some() || self.generated.is_some()
    }
}

/// A default value: a literal, or an SQL expression the database evaluates.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DefaultValue {
    Literal(Literal),
    Sql { sql: String },
}

/// A scalar or array literal, as TOML can write it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Array(Vec<Literal>),
}

/// How a value is produced by the database.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Generated {
    Kind(GeneratedKind),
    /// A computed column: `GENERATED ALWAYS AS (sql) [STORED]`.
    Computed {
        sql: String,
        stored: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Index {
    pub name: String,
    pub fields: Vec<IndexPart>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    /// Predicate of a partial index.
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Access method (`btree`, `gin`, `hash`, `fulltext`, ...), when not the engine default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Documents expire this many seconds after the indexed date (MongoDB TTL index).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_after_seconds: Option<u64>,
    /// PostgreSQL details: operator classes, `INCLUDE`, `NULLS NOT
    /// DISTINCT`, storage parameters.
    #[serde(flatten)]
    pub options: IndexOptions,
}

/// What a PostgreSQL or MySQL index has beyond its keys; all empty by
/// default.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IndexOptions {
    /// The operator class of each key part, by position (`gin_trgm_ops`),
    /// `""` where it is the type's default; empty when all are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operator_classes: Vec<String>,
    /// Fields stored in the index but not part of its key (`INCLUDE`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// A unique index where nulls are equal (`NULLS NOT DISTINCT`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
    /// Storage parameters, `name=value` (`fillfactor=70`).
    #[serde(rename = "with", skip_serializing_if = "Vec::is_empty")]
    pub storage_parameters: Vec<String>,
    /// The optimizer does not use it, though it is kept up to date: MySQL
    /// 8's `INVISIBLE` key, MariaDB's `IGNORED` one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub invisible: bool,
    /// A MySQL key's `COMMENT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One key part of an index: a field or an expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum IndexPart {
    Field {
        field: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        order: Option<SortOrder>,
        #[serde(skip_serializing_if = "Option::is_none")]
        collation: Option<String>,
        /// Only the first this many characters (bytes of a binary column)
        /// are indexed: a MySQL prefix key part, `meta_key(191)`.
        #[serde(skip_serializing_if = "Option::is_none")]
        prefix_length: Option<u32>,
    },
    Expression {
        sql: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        order: Option<SortOrder>,
    },
}

impl IndexPart {
    /// A plain ascending key part on `field`.
    pub fn field(field: impl Into<String>) -> Self {
        Self::Field {
            field: field.into(),
            order: None,
            collation: None,
            prefix_length: None,
        }
    }
}

/// A unique constraint over one or more fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unique {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub fields: Vec<String>,
    /// PostgreSQL details of its index: `INCLUDE`, `NULLS NOT DISTINCT`,
    /// storage parameters.
    #[serde(flatten)]
    pub options: KeyOptions,
}

impl Unique {
    /// A unique constraint over `fields` with nothing more to it.
    pub fn new(name: Option<String>, fields: Vec<String>) -> Self {
        Self {
            name,
            fields,
            options: KeyOptions::default(),
        }
    }
}

/// What the index of a PostgreSQL primary key or unique constraint has
/// beyond its fields; all empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeyOptions {
    /// Fields stored in the index but not part of the key (`INCLUDE`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Nulls are equal (`NULLS NOT DISTINCT`; unique constraints only).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
    /// Storage parameters of the index, `name=value` (`fillfactor=70`).
    #[serde(rename = "with", skip_serializing_if = "Vec::is_empty")]
    pub storage_parameters: Vec<String>,
    /// Its comment (`COMMENT ON CONSTRAINT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl KeyOptions {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// These options but the comment (a changed comment is only `COMMENT
    /// ON`, the key stays).
    pub fn without_comment(&self) -> Self {
        Self {
            comment: None,
            ..self.clone()
        }
    }
}

/// A partition of a PostgreSQL partitioned table (`CREATE TABLE table
/// PARTITION OF parent bound`). Its columns are its parent's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Partition {
    pub table: String,
    /// Its schema, when not its parent's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The partition it is a sub-partition of (its `table`); `None`: a
    /// partition of the entity's table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    /// `FOR VALUES FROM (...) TO (...)`, `FOR VALUES IN (...)`, `FOR
    /// VALUES WITH (modulus m, remainder r)` or `DEFAULT`.
    pub bound: String,
    /// Its own partition key, when it is partitioned again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    /// Its own primary key, when its parent has none (a table attached
    /// with the key it had).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// The name of its own primary key, when not `<table>_pkey`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_key_name: Option<String>,
    /// Unique constraints of this partition alone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uniques: Vec<Unique>,
    /// Exclusion constraints of this partition alone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<Exclusion>,
    /// Indexes made on this partition alone (not one of its parent's,
    /// which PostgreSQL makes on every partition).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// Check constraints of this partition alone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// Foreign keys of this partition alone, from its parent's fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Relation>,
}

impl Partition {
    /// A partition `table` of its entity's table, with `bound` and nothing
    /// of its own.
    pub fn new(table: impl Into<String>, bound: impl Into<String>) -> Self {
        Self {
            table: table.into(),
            schema: None,
            of: None,
            bound: bound.into(),
            partition_by: None,
            primary_key: Vec::new(),
            primary_key_name: None,
            uniques: Vec::new(),
            exclusions: Vec::new(),
            indexes: Vec::new(),
            checks: Vec::new(),
            relations: Vec::new(),
        }
    }

    /// Whether it has keys, constraints, indexes or foreign keys of its own.
    pub fn has_own_objects(&self) -> bool {
        !(self.primary_key.is_empty()
            && self.uniques.is_empty()
            && self.exclusions.is_empty()
            && self.indexes.is_empty()
            && self.checks.is_empty()
            && self.relations.is_empty())
    }

    /// This partition as a table of its own: its table and schema, the
    /// fields of `parent` (the entity it belongs to) and its own primary
    /// key, unique and exclusion constraints, indexes, checks and foreign
    /// keys.
    pub fn as_entity(&self, parent: &Entity) -> Entity {
        let mut entity = Entity::new(self.table.as_str());
        entity.schema = self.schema.clone().or_else(|| parent.schema.clone());
        entity.fields = parent.fields.clone();
        entity.primary_key = self.primary_key.clone();
        entity.primary_key_name = self.primary_key_name.clone();
        entity.uniques = self.uniques.clone();
        entity.indexes = self.indexes.clone();
        entity.checks = self.checks.clone();
        entity.exclusions = self.exclusions.clone();
        entity.relations = self.relations.clone();
        entity
    }
}

/// A PostgreSQL exclusion constraint: `sql` is its definition as
/// `pg_get_constraintdef` prints it (`EXCLUDE USING gist (room_id WITH =,
/// during WITH &&)`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    pub name: String,
    pub sql: String,
    /// Its comment (`COMMENT ON CONSTRAINT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Check {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub sql: String,
    /// PostgreSQL: a check the table has from its parents (`inherits`)
    /// only, not declared by the table itself.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inherited: bool,
    /// PostgreSQL: a check the tables inheriting this one do not get
    /// (`NO INHERIT`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_inherit: bool,
    /// Its comment (`COMMENT ON CONSTRAINT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A foreign key from this entity's `fields` to another entity's fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub fields: Vec<String>,
    pub references: RelationTarget,
    #[serde(skip_serializing_if = "is_no_action")]
    pub on_delete: ReferentialAction,
    #[serde(skip_serializing_if = "is_no_action")]
    pub on_update: ReferentialAction,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deferrable: bool,
    /// Checked at commit by default (`DEFERRABLE INITIALLY DEFERRED`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
    /// Its comment (`COMMENT ON CONSTRAINT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

fn is_no_action(action: &ReferentialAction) -> bool {
    *action == ReferentialAction::NoAction
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationTarget {
    pub entity: String,
    pub fields: Vec<String>,
}

impl Field {
    /// A short human label of the type: `string(160)`, `decimal(10,2)`,
    /// `enum mpaa_rating`, `array<int32>`, `native tsvector`.
    pub fn type_label(&self) -> String {
        match self.ty {
            FieldType::Enum => format!("enum {}", self.enum_name.as_deref().unwrap_or("?")),
            FieldType::Array => format!(
                "array<{}>",
                self.items
                    .as_ref()
                    .map_or_else(|| "?".to_owned(), |i| i.type_label())
            ),
            FieldType::Native => format!("native {}", self.native.as_deref().unwrap_or("?")),
            FieldType::Decimal => match (self.precision, self.scale) {
                (Some(p), Some(s)) => format!("decimal({p},{s})"),
                (Some(p), None) => format!("decimal({p})"),
                _ => "decimal".to_owned(),
            },
            ty if self.max_length.is_some() => {
                format!("{ty}({})", self.max_length.unwrap_or_default())
            }
            ty => ty.to_string(),
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(v) => write!(f, "{v}"),
            Literal::Int(v) => write!(f, "{v}"),
            Literal::Float(v) => write!(f, "{v}"),
            Literal::String(v) => write!(f, "{v:?}"),
            Literal::Array(items) => {
                let items: Vec<String> = items.iter().map(ToString::to_string).collect();
                write!(f, "[{}]", items.join(", "))
            }
        }
    }
}

impl fmt::Display for DefaultValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefaultValue::Literal(literal) => literal.fmt(f),
            DefaultValue::Sql { sql } => write!(f, "sql: {sql}"),
        }
    }
}

impl fmt::Display for Generated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Generated::Kind(kind) => kind.fmt(f),
            Generated::Computed { sql, stored: true } => write!(f, "stored: {sql}"),
            Generated::Computed { sql, stored: false } => write!(f, "virtual: {sql}"),
        }
    }
}

impl fmt::Display for IndexPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (text, order) = match self {
            IndexPart::Field { field, order, .. } => (field.as_str(), order),
            IndexPart::Expression { sql, order } => (sql.as_str(), order),
        };
        match self {
            IndexPart::Expression { .. } => write!(f, "({text})")?,
            IndexPart::Field { .. } => f.write_str(text)?,
        }
        if *order == Some(SortOrder::Desc) {
            f.write_str(" desc")?;
        }
        Ok(())
    }
}
