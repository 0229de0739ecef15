//! Built-in users (`[auth] users`): `/api/_auth/{signup,login,refresh,
//! logout,me}` (docs/api.md, "Built-in users").
//!
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults)
//!   into the users entity's password field, which the API never serves
//!   (see `state::served`).
//! - Access tokens are short-lived HS256 JWTs signed with `jwt_secret`,
//!   verified like any other bearer token.
//! - Refresh tokens are random, stored as their SHA-256 in
//!   `_baas_refresh_tokens` in the served database (every engine), and
//!   rotate: each is good for one refresh. Presenting a used one again
//!   (a stolen copy, or the thief's) revokes its whole family, so both
//!   parties are signed out.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::PasswordVerifier as _;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json, json};
use sha2::Digest as _;

use super::Shared;
use super::ctx::Ctx;
use super::edge::{Limits, too_many};
use super::problem::{Answer, Problem, finish, json_response};
use super::request;
use super::routes::Caller;
use crate::manifest::{AuthUsers, Entity, Manifest};
use crate::query::{self, Value, WriteMode};
use crate::serve::policy::Principal;
use crate::serve::policy::identity::Identity;
use crate::serve::state::{AppState, State};
use crate::serve::store::{Row, Store, StoreError, Values};
use crate::source::SourceLocation;

/// The table (collection) of refresh tokens.
pub const TOKENS_TABLE: &str = "_baas_refresh_tokens";

/// Seconds an access token is valid.
pub const ACCESS_TOKEN_SECONDS: u64 = 15 * 60;

/// Seconds a refresh token is valid.
pub const REFRESH_TOKEN_SECONDS: u64 = 30 * 24 * 60 * 60;

/// Passwords are this long at least, and at most (argon2 hashes what it is
/// given: the cap bounds the work a request can ask for).
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 1024;

const TOKENS_MANIFEST: &str = r#"
[manifest]
format = 1
version = 1

[entities._baas_refresh_tokens]
table = "_baas_refresh_tokens"
primary_key = ["id"]

[entities._baas_refresh_tokens.fields]
id = { type = "string", max_length = 64 }
family = { type = "string", max_length = 64 }
user_id = { type = "string", max_length = 255 }
used = { type = "bool" }
expires_at = { type = "int64" }
"#;

/// The manifest the token store is used with.
static TOKENS: LazyLock<Option<Arc<Manifest>>> = LazyLock::new(|| {
    crate::manifest::load_str(
        std::path::Path::new("_baas_refresh_tokens.toml"),
        TOKENS_MANIFEST.to_owned(),
    )
    .ok()
    .map(|loaded| Arc::new(loaded.manifest))
});

/// An argon2id hash of nothing anyone knows: verified against when the
/// email is unknown, so that a login takes as long either way.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("not a password of anyone").unwrap_or_default());

fn hash_password(password: &str) -> Option<String> {
    use argon2::password_hash::PasswordHasher as _;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .ok()
        .map(|hash| hash.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

fn now() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX)
}

fn random_token() -> Result<String, Problem> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| Problem::internal())?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn token_id(token: &str) -> String {
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn unauthorized(detail: impl Into<String>) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "The credentials are not valid",
        detail.into(),
    )
}

fn store_problem(error: StoreError, ctx: &Ctx) -> Problem {
    Problem::store(error, ctx)
}

/// What every endpoint needs: the state, the verifier, `[auth] users`.
struct Users {
    state: Arc<State>,
    identity: Arc<Identity>,
    config: AuthUsers,
    store: Arc<dyn Store>,
}

impl Users {
    async fn of(app: &AppState) -> Result<Self, Problem> {
        let state = app.snapshot();
        let off = || {
            Problem::not_found(
                "built-in users are off: set `[auth] users` (with `jwt_secret`) in baas.toml",
            )
        };
        let config = state
            .source_manifest()
            .auth
            .as_ref()
            .and_then(|auth| auth.users.clone())
            .ok_or_else(off)?;
        let identity = match &state.identity {
            Ok(Some(identity)) if identity.can_sign() => identity.clone(),
            _ => return Err(off()),
        };
        let store = app
            .kernel
            .stores
            .resolve(None)
            .await
            .map_err(|_| Problem::internal())?;
        Ok(Self {
            state,
            identity,
            config,
            store,
        })
    }

    fn manifest(&self) -> &Arc<Manifest> {
        self.state.source_manifest()
    }

    fn entity(&self) -> Result<&Entity, Problem> {
        self.manifest()
            .entities
            .get(&self.config.entity)
            .ok_or_else(Problem::internal)
    }

    /// The user with `email`, password hash included.
    async fn by_email(&self, email: &str, ctx: &Ctx) -> Result<Option<Row>, Problem> {
        let query = query::parse_query_body(
            self.manifest(),
            &self.config.entity,
            &json!({ "where": { (self.config.email.clone()): email }, "limit": 1 }),
        )
        .map_err(|e| Problem::bad_query(&e))?;
        let result = self
            .store
            .list(self.manifest(), &self.config.entity, &query)
            .await
            .map_err(|e| store_problem(e, ctx))?;
        Ok(result.rows.into_iter().next())
    }

    /// The user whose key is `id` (the text of its primary key).
    async fn by_id(&self, id: &str, ctx: &Ctx) -> Result<Option<Row>, Problem> {
        let entity = self.entity()?;
        let [key_field] = entity.primary_key.as_slice() else {
            return Err(Problem::internal());
        };
        let field = entity.fields.get(key_field).ok_or_else(Problem::internal)?;
        let Ok(key) = query::value_from_text(field, id) else {
            return Ok(None);
        };
        self.store
            .get(self.manifest(), &self.config.entity, &[key], None)
            .await
            .map_err(|e| store_problem(e, ctx))
    }

    /// The user as the API shows it (no password).
    fn public(&self, mut row: Row) -> Row {
        row.shift_remove(&self.config.password);
        row
    }

    /// The text of a user's primary key (the `sub` of its tokens).
    fn subject(&self, row: &Row) -> Result<String, Problem> {
        let entity = self.entity()?;
        let [key_field] = entity.primary_key.as_slice() else {
            return Err(Problem::internal());
        };
        match row.get(key_field) {
            Some(Json::String(s)) => Ok(s.clone()),
            Some(Json::Number(n)) => Ok(n.to_string()),
            _ => Err(Problem::internal()),
        }
    }

    /// A new access and refresh token for `user`, the refresh token in
    /// `family` (a new family at sign-in).
    async fn session(
        &self,
        app: &AppState,
        user: Row,
        family: Option<String>,
        status: StatusCode,
        ctx: &Ctx,
    ) -> Answer {
        let subject = self.subject(&user)?;
        let names = self.identity.claim_names();
        let mut extra = Map::new();
        if names.id != "sub" {
            extra.insert(names.id.clone(), Json::String(subject.clone()));
        }
        for name in [&names.role, &names.tenant] {
            if let Some(value) = user.get(name.as_str()).filter(|v| !v.is_null()) {
                extra.insert(name.clone(), value.clone());
            }
        }
        if let Some(email) = user.get(&self.config.email) {
            extra.insert("email".into(), email.clone());
        }
        let access = self
            .identity
            .issue(&subject, extra, ACCESS_TOKEN_SECONDS)
            .ok_or_else(Problem::internal)?;
        let tokens = Tokens::ready(app, self.store.clone(), ctx).await?;
        let refresh = tokens.issue(&subject, family, ctx).await?;
        Ok(json_response(
            status,
            &json!({
                "access_token": access,
                "token_type": "bearer",
                "expires_in": ACCESS_TOKEN_SECONDS,
                "refresh_token": refresh,
                "user": self.public(user),
            }),
        ))
    }
}

/// `{"email": ..., "password": ...}` (other keys kept for signup).
fn credentials(body: Json) -> Result<(String, String, Map<String, Json>), Problem> {
    let Json::Object(mut object) = body else {
        return Err(Problem::bad_body("the body must be a JSON object"));
    };
    let mut errors = Vec::new();
    let email = match object.remove("email") {
        Some(Json::String(email)) if email.contains('@') && email.len() <= 254 => {
            Some(email.trim().to_lowercase())
        }
        _ => {
            errors.push(super::FieldProblem {
                field: "email".into(),
                code: "email".into(),
                message: "must be an email address".into(),
            });
            None
        }
    };
    let password = match object.remove("password") {
        Some(Json::String(password))
            if (MIN_PASSWORD..=MAX_PASSWORD).contains(&password.chars().count()) =>
        {
            Some(password)
        }
        _ => {
            errors.push(super::FieldProblem {
                field: "password".into(),
                code: "password".into(),
                message: format!("must be a string of {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
            });
            None
        }
    };
    match (email, password) {
        (Some(email), Some(password)) => Ok((email, password, object)),
        _ => Err(Problem::validation(errors)),
    }
}

fn refresh_token_of(body: Json) -> Result<String, Problem> {
    match body.get("refresh_token") {
        Some(Json::String(token)) if !token.is_empty() && token.len() <= 256 => Ok(token.clone()),
        _ => Err(Problem::validation(vec![super::FieldProblem {
            field: "refresh_token".into(),
            code: "required".into(),
            message: "must be the refresh token of a session".into(),
        }])),
    }
}

/// `POST /api/_auth/signup`.
pub async fn signup(
    axum::extract::State(app): Shared,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answer = async {
        let users = Users::of(&app).await?;
        let (email, password, mut rest) = credentials(request::json_body(body)?)?;
        if users.by_email(&email, &ctx).await?.is_some() {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "A row with the same unique value already exists",
                "an account with this email already exists".into(),
            ));
        }
        // The password field can only be set from the password.
        rest.remove(&users.config.password);
        // The role and tenant fields become the token's `@auth.role` and
        // `@auth.tenant`: an administrator gives them, the user never picks.
        let names = users.identity.claim_names();
        let chosen: Vec<super::FieldProblem> = [&names.role, &names.tenant]
            .into_iter()
            .filter(|name| rest.contains_key(name.as_str()))
            .map(|name| super::FieldProblem {
                field: name.clone(),
                code: "read-only".into(),
                message: "is given by an administrator (the service key), not chosen at sign-up"
                    .into(),
            })
            .collect();
        if !chosen.is_empty() {
            return Err(Problem::validation(chosen));
        }
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .ok()
            .flatten()
            .ok_or_else(Problem::internal)?;
        rest.insert(users.config.email.clone(), Json::String(email));
        rest.insert(users.config.password.clone(), Json::String(hash));
        let values: Values = query::validate_body(
            users.manifest(),
            &users.config.entity,
            &Json::Object(rest),
            WriteMode::Insert,
        )
        .map_err(|errors| {
            Problem::kernel(crate::serve::kernel::KernelError::Invalid(errors), &ctx)
        })?;
        let row = match users
            .store
            .insert(users.manifest(), &users.config.entity, &values)
            .await
        {
            Ok(row) => row,
            Err(StoreError::Conflict { .. }) => {
                return Err(Problem::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "A row with the same unique value already exists",
                    "an account with this email already exists".into(),
                ));
            }
            Err(error) => return Err(store_problem(error, &ctx)),
        };
        users
            .session(&app, row, None, StatusCode::CREATED, &ctx)
            .await
    }
    .await;
    finish(&ctx, answer)
}

/// `POST /api/_auth/login`.
pub async fn login(
    axum::extract::State(app): Shared,
    limits: Option<axum::Extension<Arc<Limits>>>,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answer = async {
        let users = Users::of(&app).await?;
        let (email, password, _) = credentials(request::json_body(body)?)?;
        // Per email too: a guess spread over many addresses is still limited.
        if let Some(axum::Extension(limits)) = &limits
            && let Err(wait) = limits.login_attempt(&email)
        {
            return Ok(too_many(
                &ctx,
                wait,
                "too many sign-in attempts for this account",
            ));
        }
        let user = users.by_email(&email, &ctx).await?;
        let hash = user
            .as_ref()
            .and_then(|row| row.get(&users.config.password))
            .and_then(Json::as_str)
            .map(str::to_owned);
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
        let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .unwrap_or(false);
        match user {
            Some(user) if known && matches => {
                users.session(&app, user, None, StatusCode::OK, &ctx).await
            }
            _ => Err(unauthorized("the email or the password is wrong")),
        }
    }
    .await;
    finish(&ctx, answer)
}

/// `POST /api/_auth/refresh`.
pub async fn refresh(
    axum::extract::State(app): Shared,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answer = async {
        let users = Users::of(&app).await?;
        let token = refresh_token_of(request::json_body(body)?)?;
        let tokens = Tokens::ready(&app, users.store.clone(), &ctx).await?;
        let (user_id, family) = tokens.rotate(&token, &ctx).await?;
        let user = users
            .by_id(&user_id, &ctx)
            .await?
            .ok_or_else(|| unauthorized("the account of this session no longer exists"))?;
        users
            .session(&app, user, Some(family), StatusCode::OK, &ctx)
            .await
    }
    .await;
    finish(&ctx, answer)
}

/// `POST /api/_auth/logout`: ends the session of the refresh token (its
/// whole family). 204 whether or not it was still valid.
pub async fn logout(
    axum::extract::State(app): Shared,
    ctx: Ctx,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answer = async {
        let users = Users::of(&app).await?;
        let token = refresh_token_of(request::json_body(body)?)?;
        let tokens = Tokens::ready(&app, users.store.clone(), &ctx).await?;
        if let Some(row) = tokens.get(&token_id(&token), &ctx).await?
            && let Some(family) = row.get("family").and_then(Json::as_str)
        {
            tokens.revoke(family, &ctx).await?;
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    }
    .await;
    finish(&ctx, answer)
}

/// `GET /api/_auth/me`: the signed-in user.
pub async fn me(axum::extract::State(app): Shared, caller: Caller, ctx: Ctx) -> Response {
    let answer = async {
        let users = Users::of(&app).await?;
        let Principal::User { id: Some(id), .. } = &*caller.0 else {
            let mut response =
                unauthorized("sign in first: send `Authorization: Bearer <access_token>`")
                    .respond(&ctx);
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Ok(response);
        };
        let user = users
            .by_id(id, &ctx)
            .await?
            .ok_or_else(|| unauthorized("the account of this token no longer exists"))?;
        Ok(json_response(
            StatusCode::OK,
            &json!({ "user": users.public(user) }),
        ))
    }
    .await;
    finish(&ctx, answer)
}

/// The refresh tokens, in the served database.
struct Tokens {
    store: Arc<dyn Store>,
    manifest: Arc<Manifest>,
}

impl Tokens {
    /// The token store, its table created first when needed (once per
    /// process).
    async fn ready(app: &AppState, store: Arc<dyn Store>, ctx: &Ctx) -> Result<Self, Problem> {
        let manifest = TOKENS.clone().ok_or_else(Problem::internal)?;
        let location = app.database.get().ok_or_else(|| {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Sessions are not available",
                "this server does not know its database, so it cannot keep sessions".into(),
            )
        })?;
        app.tokens_ready
            .get_or_try_init(|| create_table(location))
            .await
            .map_err(|error| store_problem(StoreError::Internal(error), ctx))?;
        Ok(Self { store, manifest })
    }

    async fn get(&self, id: &str, ctx: &Ctx) -> Result<Option<Row>, Problem> {
        self.store
            .get(
                &self.manifest,
                TOKENS_TABLE,
                &[Value::Text(id.to_owned())],
                None,
            )
            .await
            .map_err(|e| store_problem(e, ctx))
    }

    /// A new refresh token for `user_id` in `family` (a new one when `None`).
    async fn issue(
        &self,
        user_id: &str,
        family: Option<String>,
        ctx: &Ctx,
    ) -> Result<String, Problem> {
        let token = random_token()?;
        let family = match family {
            Some(family) => family,
            None => {
                // A new sign-in clears a few expired tokens away.
                self.sweep_expired().await;
                token_id(&random_token()?)
            }
        };
        let expires = now().saturating_add(i64::try_from(REFRESH_TOKEN_SECONDS).unwrap_or(0));
        let values: Values = [
            ("id", Value::Text(token_id(&token))),
            ("family", Value::Text(family)),
            ("user_id", Value::Text(user_id.to_owned())),
            ("used", Value::Bool(false)),
            ("expires_at", Value::Int(expires)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        self.store
            .insert(&self.manifest, TOKENS_TABLE, &values)
            .await
            .map_err(|e| store_problem(e, ctx))?;
        Ok(token)
    }

    /// Uses `token` up: its user and family. A token used before revokes
    /// its family.
    async fn rotate(&self, token: &str, ctx: &Ctx) -> Result<(String, String), Problem> {
        let id = token_id(token);
        let row = self
            .get(&id, ctx)
            .await?
            .ok_or_else(|| unauthorized("the refresh token is not valid"))?;
        let family = row
            .get("family")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let user_id = row
            .get("user_id")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let reused = || {
            unauthorized(
                "the refresh token was already used: every session it belongs to is now signed out",
            )
        };
        if row.get("used") == Some(&Json::Bool(true)) {
            self.revoke(&family, ctx).await?;
            return Err(reused());
        }
        if row.get("expires_at").and_then(Json::as_i64).unwrap_or(0) < now() {
            self.revoke(&family, ctx).await?;
            return Err(unauthorized("the refresh token has expired"));
        }
        // Only one refresh wins the token: the update is conditional.
        let unused = query::parse_query_body(
            &self.manifest,
            TOKENS_TABLE,
            &json!({ "where": { "used": false } }),
        )
        .map_err(|e| Problem::bad_query(&e))?
        .filter;
        let values: Values = [("used".to_owned(), Value::Bool(true))]
            .into_iter()
            .collect();
        let updated = self
            .store
            .update(
                &self.manifest,
                TOKENS_TABLE,
                &[Value::Text(id)],
                unused.as_ref(),
                &values,
            )
            .await
            .map_err(|e| store_problem(e, ctx))?;
        if updated.is_none() {
            self.revoke(&family, ctx).await?;
            return Err(reused());
        }
        Ok((user_id, family))
    }

    /// Deletes up to 100 expired tokens (of any session); failures only
    /// leave them for the next time.
    async fn sweep_expired(&self) {
        let Ok(query) = query::parse_query_body(
            &self.manifest,
            TOKENS_TABLE,
            &json!({ "where": { "expires_at": { "lt": now() } }, "select": ["id"], "limit": 100 }),
        ) else {
            return;
        };
        let Ok(result) = self.store.list(&self.manifest, TOKENS_TABLE, &query).await else {
            return;
        };
        for row in result.rows {
            if let Some(id) = row.get("id").and_then(Json::as_str) {
                let _ = self
                    .store
                    .delete(
                        &self.manifest,
                        TOKENS_TABLE,
                        &[Value::Text(id.to_owned())],
                        None,
                    )
                    .await;
            }
        }
    }

    /// Deletes every token of `family`.
    async fn revoke(&self, family: &str, ctx: &Ctx) -> Result<(), Problem> {
        let query = query::parse_query_body(
            &self.manifest,
            TOKENS_TABLE,
            &json!({ "where": { "family": family }, "select": ["id"], "limit": 1000 }),
        )
        .map_err(|e| Problem::bad_query(&e))?;
        let rows = self
            .store
            .list(&self.manifest, TOKENS_TABLE, &query)
            .await
            .map_err(|e| store_problem(e, ctx))?
            .rows;
        for row in rows {
            if let Some(id) = row.get("id").and_then(Json::as_str) {
                self.store
                    .delete(
                        &self.manifest,
                        TOKENS_TABLE,
                        &[Value::Text(id.to_owned())],
                        None,
                    )
                    .await
                    .map_err(|e| store_problem(e, ctx))?;
            }
        }
        Ok(())
    }
}

/// Creates the refresh-token table when it does not exist (a MongoDB
/// collection is created by its first insert).
async fn create_table(location: &SourceLocation) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    // A constant: no value of any request or file reaches it.
    const DDL: &str = "CREATE TABLE IF NOT EXISTS _baas_refresh_tokens (id VARCHAR(64) NOT NULL PRIMARY KEY, family VARCHAR(64) NOT NULL, user_id VARCHAR(255) NOT NULL, used BOOLEAN NOT NULL, expires_at BIGINT NOT NULL)";
    match location {
        SourceLocation::Sqlite { path } => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let connection = rusqlite::Connection::open(&path)?;
                connection.busy_timeout(std::time::Duration::from_secs(5))?;
                connection.execute_batch(DDL)?;
                Ok(())
            })
            .await??;
        }
        SourceLocation::Postgres { url } => {
            let mut connection = sqlx::PgConnection::connect(url.as_str()).await?;
            sqlx::query(DDL).execute(&mut connection).await?;
            connection.close().await?;
        }
        SourceLocation::Mysql { url } => {
            let mut connection = sqlx::MySqlConnection::connect(url.as_str()).await?;
            sqlx::query(DDL).execute(&mut connection).await?;
            connection.close().await?;
        }
        SourceLocation::Mongodb { .. }
        | SourceLocation::Http { .. }
        | SourceLocation::File { .. } => {}
    }
    Ok(())
}
