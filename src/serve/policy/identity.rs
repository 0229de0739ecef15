//! Who calls: `[auth]` turned into a verifier of bearer tokens
//! (DESIGN.md §5b "Identity").
//!
//! - The **algorithm comes from the configuration**, never from the token:
//!   a `jwt_secret` accepts HMAC tokens only, a public key or a JWKS accepts
//!   its own family only (RSA, EC or Ed25519), so `alg: none` and the
//!   HS256-signed-with-the-public-key confusion are refused whatever the
//!   header says.
//! - `exp` is required; `exp`, `nbf`, `iss` and `aud` are checked with the
//!   configured leeway, and so is `iat`: a token issued in the future is
//!   refused.
//! - A JWKS (file or URL) is cached and read again when a token names an
//!   unknown `kid`, at most once per [`JWKS_REFRESH_INTERVAL`].
//! - The service key is compared through its SHA-256 digest.
//!
//! Nothing here logs a token, a secret or a claim; the messages of
//! [`AuthFailure`] are safe to show to the client.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Validation};
use serde_json::{Map, Value as Json};
use sha2::Digest as _;

use super::Principal;
use crate::manifest::{Auth, AuthClaims, Manifest};
use crate::settings::Environment;

/// The longest bearer token accepted (bytes).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// A JWKS is read again for an unknown `kid` at most this often.
pub const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(5);

/// The largest JWKS document read (bytes).
const MAX_JWKS_BYTES: u64 = 1024 * 1024;

/// How long fetching a JWKS URL may take.
const JWKS_FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The shortest HMAC secret accepted (RFC 7518 §3.2: a key of the hash's size).
pub const MIN_SECRET_BYTES: usize = 32;

/// Default clock skew allowed on `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY_SECONDS: u64 = 30;

/// `[auth]` could not be turned into a verifier (a secret unset, a key
/// file unreadable, ...). Never contains a secret.
#[derive(Debug, thiserror::Error)]
#[error("[auth] {0}")]
pub struct IdentityError(String);

/// Why a request's credentials were refused; safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailure {
    /// RFC 6750 error code: `invalid_token` or `invalid_request`.
    pub code: &'static str,
    pub detail: String,
    /// The keys could not be had (a JWKS URL down): not the client's fault.
    pub unavailable: bool,
}

impl AuthFailure {
    fn token(detail: impl Into<String>) -> Self {
        Self {
            code: "invalid_token",
            detail: detail.into(),
            unavailable: false,
        }
    }

    fn request(detail: impl Into<String>) -> Self {
        Self {
            code: "invalid_request",
            detail: detail.into(),
            unavailable: false,
        }
    }
}

/// One verification key and the algorithms it may verify.
struct Key {
    key: DecodingKey,
    algorithms: Vec<Algorithm>,
}

/// The keys of a JWKS, by `kid` (and those without one).
#[derive(Default)]
struct KeySet {
    by_kid: HashMap<String, Arc<Key>>,
    unnamed: Vec<Arc<Key>>,
}

enum JwksSource {
    File(PathBuf),
    Url(String),
}

impl JwksSource {
    fn label(&self) -> String {
        match self {
            Self::File(path) => format!("`{}`", path.display()),
            Self::Url(url) => format!("`{}`", crate::source::redact(url)),
        }
    }
}

struct Jwks {
    source: JwksSource,
    /// `[auth] algorithms`, when given.
    allowed: Vec<Algorithm>,
    keys: RwLock<Option<Arc<KeySet>>>,
    /// When the keys were last read (or tried), for the refresh bound.
    last_read: Mutex<Option<Instant>>,
    /// One read at a time.
    reading: tokio::sync::Mutex<()>,
}

enum Keys {
    /// `jwt_secret`, or a single public key.
    Fixed(Key),
    Jwks(Jwks),
}

/// The verifier of one `[auth]`.
pub struct Identity {
    keys: Keys,
    validation: Validation,
    service_key: Option<[u8; 32]>,
    claims: AuthClaims,
    /// The HMAC secret, for tokens baas signs itself (built-in users).
    signer: Option<EncodingKey>,
    /// `iss` and `aud` of the tokens baas signs (as it checks them).
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").finish_non_exhaustive()
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(bytes).into()
}

fn parse_algorithm(name: &str) -> Option<Algorithm> {
    name.parse().ok()
}

impl Identity {
    /// The verifier of `manifest`'s `[auth]` (`None` without one). Files
    /// are read relative to `dir` (the manifest's folder), `${VAR}`s from
    /// the environment and `dir/.env`.
    pub fn from_manifest(
        manifest: &Manifest,
        dir: &Path,
    ) -> Result<Option<Arc<Self>>, IdentityError> {
        let Some(auth) = &manifest.auth else {
            return Ok(None);
        };
        let env = Environment::load(dir).map_err(|e| IdentityError(format!("{e:#}")))?;
        Self::new(auth, dir, &env).map(|identity| Some(Arc::new(identity)))
    }

    fn new(auth: &Auth, dir: &Path, env: &Environment) -> Result<Self, IdentityError> {
        let secret = |key: &str, reference: &str| -> Result<String, IdentityError> {
            let value = env.interpolate(reference).map_err(|e| {
                IdentityError(format!(
                    "`{key}`: {e} (set it in the environment or in .env)"
                ))
            })?;
            if value.is_empty() {
                return Err(IdentityError(format!("`{key}` is empty")));
            }
            Ok(value)
        };
        let text = |key: &str, value: &str| {
            env.interpolate(value)
                .map_err(|e| IdentityError(format!("`{key}`: {e}")))
        };
        let allowed = auth
            .algorithms
            .iter()
            .map(|name| {
                parse_algorithm(name)
                    .ok_or_else(|| IdentityError(format!("unknown algorithm `{name}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut signer = None;
        let keys = if let Some(reference) = &auth.jwt_secret {
            let value = secret("jwt_secret", reference)?;
            if value.len() < MIN_SECRET_BYTES {
                return Err(IdentityError(format!(
                    "`jwt_secret` is {} bytes long; an HMAC secret needs at least {MIN_SECRET_BYTES} (e.g. `openssl rand -hex 32`)",
                    value.len()
                )));
            }
            let key = DecodingKey::from_secret(value.as_bytes())
                .map_err(|e| IdentityError(format!("`jwt_secret`: {e}")))?;
            signer = Some(
                EncodingKey::from_secret(value.as_bytes())
                    .map_err(|e| IdentityError(format!("`jwt_secret`: {e}")))?,
            );
            let algorithms = if allowed.is_empty() {
                vec![Algorithm::HS256]
            } else {
                allowed.clone()
            };
            Keys::Fixed(Key { key, algorithms })
        } else if let Some(path) = &auth.public_key {
            let path = dir.join(text("public_key", path)?);
            let pem = std::fs::read(&path).map_err(|e| {
                IdentityError(format!(
                    "cannot read `public_key` `{}`: {e}",
                    path.display()
                ))
            })?;
            Keys::Fixed(
                public_key(&pem, &allowed).map_err(|e| {
                    IdentityError(format!("`public_key` `{}`: {e}", path.display()))
                })?,
            )
        } else if let Some(location) = &auth.jwks {
            let location = text("jwks", location)?;
            let source = if location.starts_with("https://") || location.starts_with("http://") {
                JwksSource::Url(location)
            } else {
                JwksSource::File(dir.join(location))
            };
            let jwks = Jwks {
                source,
                allowed,
                keys: RwLock::new(None),
                last_read: Mutex::new(None),
                reading: tokio::sync::Mutex::new(()),
            };
            // A file is read now, so that a broken one stops the start (or
            // the reload); a URL is fetched with the first token.
            if let JwksSource::File(_) = &jwks.source {
                let set = jwks.read_blocking().map_err(IdentityError)?;
                jwks.store(set);
            }
            Keys::Jwks(jwks)
        } else {
            return Err(IdentityError(
                "no key: set `jwt_secret`, `public_key` or `jwks`".into(),
            ));
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = Vec::new();
        validation.leeway = auth.leeway_seconds.unwrap_or(DEFAULT_LEEWAY_SECONDS);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp"]);
        let audience = auth
            .audience
            .as_deref()
            .map(|a| text("audience", a))
            .transpose()?;
        let issuer = auth
            .issuer
            .as_deref()
            .map(|i| text("issuer", i))
            .transpose()?;
        match &audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        if let Some(issuer) = &issuer {
            validation.set_issuer(&[issuer]);
        }
        let service_key = match &auth.service_key {
            Some(reference) => Some(digest(secret("service_key", reference)?.as_bytes())),
            None => None,
        };
        Ok(Self {
            keys,
            validation,
            service_key,
            claims: auth.claims.clone(),
            signer,
            issuer,
            audience,
        })
    }

    /// Which claims are `@auth.id`, `@auth.role` and `@auth.tenant`.
    pub fn claim_names(&self) -> &AuthClaims {
        &self.claims
    }

    /// Signs an access token for `subject` with `extra` claims, valid for
    /// `seconds`, with the `iss` and `aud` this server checks; `None`
    /// without an HMAC secret.
    pub fn issue(&self, subject: &str, extra: Map<String, Json>, seconds: u64) -> Option<String> {
        let now = jsonwebtoken::get_current_timestamp();
        let mut claims = extra;
        claims.insert("sub".into(), Json::String(subject.to_owned()));
        claims.insert("iat".into(), Json::from(now));
        claims.insert("exp".into(), Json::from(now + seconds));
        if let Some(issuer) = &self.issuer {
            claims.insert("iss".into(), Json::String(issuer.clone()));
        }
        if let Some(audience) = &self.audience {
            claims.insert("aud".into(), Json::String(audience.clone()));
        }
        self.sign(&claims)
    }

    /// Whether baas can sign tokens itself (an HMAC secret).
    pub fn can_sign(&self) -> bool {
        self.signer.is_some()
    }

    /// Signs `claims` with the HMAC secret (HS256); `None` without one.
    pub fn sign(&self, claims: &Map<String, Json>) -> Option<String> {
        let signer = self.signer.as_ref()?;
        jsonwebtoken::encode(&jsonwebtoken::Header::new(Algorithm::HS256), claims, signer).ok()
    }

    /// The principal of a request with these headers: anonymous without
    /// credentials, the service with the service key, a user with a valid
    /// token; any other credential is refused.
    pub async fn authenticate(
        &self,
        headers: &axum::http::HeaderMap,
    ) -> Result<Principal, AuthFailure> {
        // Supabase's clients send the project's key as `apikey` on every
        // request and the signed-in user's token (or the same key) as
        // `Authorization: Bearer`: the bearer says who is asking, and an
        // `apikey` beside it must be the service key or a valid token too.
        // One credential per header: with two, which one a proxy before
        // this server read, or an upstream after it gets, is anyone's guess.
        for name in [axum::http::header::AUTHORIZATION.as_str(), "apikey"] {
            if headers.get_all(name).iter().nth(1).is_some() {
                return Err(AuthFailure::request(format!(
                    "the request has more than one `{name}` header"
                )));
            }
        }
        let authorization = headers.get(axum::http::header::AUTHORIZATION);
        if let Some(apikey) = headers.get("apikey") {
            let apikey = self.key_or_token(apikey.as_bytes(), "apikey").await?;
            if authorization.is_none() {
                return Ok(apikey);
            }
        }
        let Some(authorization) = authorization else {
            return Ok(Principal::Anonymous);
        };
        let value = authorization.as_bytes();
        if value.len() > MAX_TOKEN_BYTES + 7 {
            return Err(AuthFailure::token(format!(
                "the token is longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        if value.trim_ascii().eq_ignore_ascii_case(b"bearer") {
            return Err(AuthFailure::token("the bearer token is empty"));
        }
        let token = match value.split_first_chunk::<7>() {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case(b"bearer ") => rest.trim_ascii(),
            _ => {
                return Err(AuthFailure::request(
                    "the `Authorization` header must be `Bearer <token>`",
                ));
            }
        };
        self.key_or_token(token, "bearer token").await
    }

    /// The service key, or the user of a valid JWT (`what` names the
    /// header in the refusal).
    async fn key_or_token(&self, credential: &[u8], what: &str) -> Result<Principal, AuthFailure> {
        if self.is_service_key(credential) {
            return Ok(Principal::Service);
        }
        if credential.len() > MAX_TOKEN_BYTES {
            return Err(AuthFailure::token(format!(
                "the {what} is longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        let token = std::str::from_utf8(credential).map_err(|_| {
            AuthFailure::token(format!("the {what} is neither the service key nor a JWT"))
        })?;
        self.verify(token).await
    }

    fn is_service_key(&self, given: &[u8]) -> bool {
        // Digests of equal length: comparing them tells nothing about the key.
        self.service_key
            .is_some_and(|expected| digest(given) == expected)
    }

    /// Verifies `token` and maps its claims to a principal.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthFailure> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthFailure::token(format!(
                "the token is longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        if token.split('.').count() != 3 {
            return Err(AuthFailure::token("the token is not a JWT"));
        }
        // The header is read only to find the key (`kid`); what it says
        // about the algorithm is checked against the key's own list.
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            AuthFailure::token(
                "the token's header is not valid or names an algorithm that is not accepted",
            )
        })?;
        let key = match &self.keys {
            Keys::Fixed(key) => KeyRef::Borrowed(key),
            Keys::Jwks(jwks) => KeyRef::Shared(jwks.key_for(header.kid.as_deref()).await?),
        };
        let key = key.get();
        if !key.algorithms.contains(&header.alg) {
            return Err(AuthFailure::token(format!(
                "tokens signed with `{:?}` are not accepted",
                header.alg
            )));
        }
        let mut validation = self.validation.clone();
        validation.algorithms = vec![header.alg];
        let data = jsonwebtoken::decode::<Map<String, Json>>(token, &key.key, &validation)
            .map_err(|e| AuthFailure::token(describe(&e)))?;
        check_issued_at(&data.claims, validation.leeway)?;
        Ok(self.principal(data.claims))
    }

    /// The principal of verified claims.
    pub fn principal(&self, claims: Map<String, Json>) -> Principal {
        principal_of(&self.claims, claims)
    }
}

/// The principal of verified `claims`, read through the `[auth] claims`
/// names: `@auth.id` and `@auth.role` are the named claims only, and
/// `@auth.tenant` is the named claim (a claim called `tenant` does not
/// stand in for it when another is named), as the row-level security
/// policies read them.
pub fn principal_of(names: &AuthClaims, mut claims: Map<String, Json>) -> Principal {
    let text = |value: Option<&Json>| match value {
        Some(Json::String(s)) => Some(s.clone()),
        Some(Json::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let id = text(claim(&claims, &names.id));
    let role = text(claim(&claims, &names.role));
    if names.tenant != "tenant" {
        match claim(&claims, &names.tenant).cloned() {
            Some(tenant) => claims.insert("tenant".into(), tenant),
            None => claims.remove("tenant"),
        };
    }
    Principal::User { id, role, claims }
}

/// A claim by name, or by a dotted path into object claims.
pub fn claim<'a>(claims: &'a Map<String, Json>, name: &str) -> Option<&'a Json> {
    if let Some(value) = claims.get(name) {
        return Some(value);
    }
    let mut parts = name.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

/// Refuses a token whose `iat` is later than now plus `leeway` seconds
/// (the library checks `exp` and `nbf` only): a token from the future was
/// made by a wrong clock or to outlive a key's rotation. A present `iat`
/// must be a number (RFC 7519 §4.1.6).
fn check_issued_at(claims: &Map<String, Json>, leeway: u64) -> Result<(), AuthFailure> {
    let Some(iat) = claims.get("iat") else {
        return Ok(());
    };
    let Some(iat) = iat.as_f64().filter(|iat| iat.is_finite()) else {
        return Err(AuthFailure::token("the token's `iat` claim is malformed"));
    };
    let now = jsonwebtoken::get_current_timestamp();
    // As f64: an `iat` past u64's range is in the future all the same.
    if iat > (now.saturating_add(leeway)) as f64 {
        return Err(AuthFailure::token(
            "the token is issued in the future (`iat`)",
        ));
    }
    Ok(())
}

/// A safe description of a verification error.
fn describe(error: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::ExpiredSignature => "the token has expired".into(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (`nbf`)".into(),
        ErrorKind::InvalidAudience => "the token is for another audience (`aud`)".into(),
        ErrorKind::InvalidIssuer => "the token is from another issuer (`iss`)".into(),
        ErrorKind::InvalidSignature => "the token's signature does not verify".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no `{claim}` claim"),
        ErrorKind::InvalidClaimFormat(claim) => format!("the token's `{claim}` claim is malformed"),
        ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted".into(),
        _ => "the token is not valid".into(),
    }
}

enum KeyRef<'a> {
    Borrowed(&'a Key),
    Shared(Arc<Key>),
}

impl KeyRef<'_> {
    fn get(&self) -> &Key {
        match self {
            Self::Borrowed(key) => key,
            Self::Shared(key) => key,
        }
    }
}

type PemReader = fn(&[u8]) -> jsonwebtoken::errors::Result<DecodingKey>;

/// A PEM public key: RSA, EC (P-256/P-384) or Ed25519, tried in turn.
fn public_key(pem: &[u8], allowed: &[Algorithm]) -> Result<Key, String> {
    let text = String::from_utf8_lossy(pem);
    if text.contains("PRIVATE KEY") {
        return Err(
            "this is a private key; give the public key (it never needs the private one)".into(),
        );
    }
    let candidates: [(PemReader, AlgorithmFamily); 3] = [
        (DecodingKey::from_rsa_pem, AlgorithmFamily::Rsa),
        (DecodingKey::from_ec_pem, AlgorithmFamily::Ec),
        (DecodingKey::from_ed_pem, AlgorithmFamily::Ed),
    ];
    for (parse, family) in candidates {
        if let Ok(key) = parse(pem) {
            let algorithms = family_algorithms(family, allowed, None)?;
            return Ok(Key { key, algorithms });
        }
    }
    Err("not a PEM public key (RSA, EC P-256/P-384 or Ed25519)".into())
}

/// The algorithms a key of `family` verifies: `[auth] algorithms` when
/// given (those of the family), else the family's usual one (`preferred`
/// when the key says).
fn family_algorithms(
    family: AlgorithmFamily,
    allowed: &[Algorithm],
    preferred: Option<Algorithm>,
) -> Result<Vec<Algorithm>, String> {
    if family == AlgorithmFamily::Hmac {
        return Err("a shared secret is not a public key".into());
    }
    if !allowed.is_empty() {
        let fitting: Vec<Algorithm> = allowed
            .iter()
            .copied()
            .filter(|a| family.algorithms().contains(a))
            .filter(|a| preferred.is_none_or(|p| p == *a))
            .collect();
        if fitting.is_empty() {
            return Err(format!(
                "a {family:?} key verifies none of `[auth] algorithms`"
            ));
        }
        return Ok(fitting);
    }
    Ok(vec![preferred.unwrap_or(match family {
        AlgorithmFamily::Rsa => Algorithm::RS256,
        AlgorithmFamily::Ec => Algorithm::ES256,
        _ => Algorithm::EdDSA,
    })])
}

/// The key of one JWK, or why it is skipped.
fn jwk_key(jwk: &Jwk, allowed: &[Algorithm]) -> Result<Key, String> {
    let family = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => AlgorithmFamily::Rsa,
        AlgorithmParameters::EllipticCurve(_) => AlgorithmFamily::Ec,
        AlgorithmParameters::OctetKeyPair(_) => AlgorithmFamily::Ed,
        // Shared secrets are never taken from a key set.
        AlgorithmParameters::OctetKey(_) => return Err("a shared secret".into()),
        _ => return Err("an unsupported key type".into()),
    };
    let preferred = match jwk.common.key_algorithm {
        Some(algorithm) => Some(
            key_algorithm(algorithm).ok_or_else(|| format!("unsupported `alg` {algorithm:?}"))?,
        ),
        None => match &jwk.algorithm {
            AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
                EllipticCurve::P256 => Some(Algorithm::ES256),
                EllipticCurve::P384 => Some(Algorithm::ES384),
                _ => return Err("an unsupported curve".into()),
            },
            _ => None,
        },
    };
    if let Some(preferred) = preferred
        && !family.algorithms().contains(&preferred)
    {
        return Err(format!("`alg` {preferred:?} does not fit the key type"));
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let algorithms = family_algorithms(family, allowed, preferred)?;
    Ok(Key { key, algorithms })
}

fn key_algorithm(algorithm: KeyAlgorithm) -> Option<Algorithm> {
    Some(match algorithm {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

/// The keys of a JWKS document.
fn key_set(text: &[u8], allowed: &[Algorithm]) -> Result<KeySet, String> {
    let set: JwkSet =
        serde_json::from_slice(text).map_err(|e| format!("not a JWKS document: {e}"))?;
    let mut keys = KeySet::default();
    for jwk in &set.keys {
        if jwk
            .common
            .public_key_use
            .as_ref()
            .is_some_and(|u| *u != jsonwebtoken::jwk::PublicKeyUse::Signature)
        {
            continue;
        }
        let Ok(key) = jwk_key(jwk, allowed) else {
            continue;
        };
        let key = Arc::new(key);
        match &jwk.common.key_id {
            Some(kid) => {
                keys.by_kid.insert(kid.clone(), key);
            }
            None => keys.unnamed.push(key),
        }
    }
    if keys.by_kid.is_empty() && keys.unnamed.is_empty() {
        return Err("the key set has no usable signing key (RSA, EC or Ed25519)".into());
    }
    Ok(keys)
}

impl Jwks {
    fn store(&self, set: KeySet) {
        let set = Arc::new(set);
        match self.keys.write() {
            Ok(mut keys) => *keys = Some(set),
            Err(poisoned) => *poisoned.into_inner() = Some(set),
        }
    }

    fn current(&self) -> Option<Arc<KeySet>> {
        match self.keys.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn lookup(set: &KeySet, kid: Option<&str>) -> Option<Arc<Key>> {
        match kid {
            Some(kid) => set.by_kid.get(kid).cloned(),
            None if set.by_kid.len() + set.unnamed.len() == 1 => set
                .unnamed
                .first()
                .or_else(|| set.by_kid.values().next())
                .cloned(),
            None => None,
        }
    }

    /// The key for `kid`, reading the set again (within the bound) when
    /// it is not known.
    async fn key_for(&self, kid: Option<&str>) -> Result<Arc<Key>, AuthFailure> {
        if let Some(set) = self.current()
            && let Some(key) = Self::lookup(&set, kid)
        {
            return Ok(key);
        }
        let _reading = self.reading.lock().await;
        // Another request may have read it meanwhile.
        if let Some(set) = self.current()
            && let Some(key) = Self::lookup(&set, kid)
        {
            return Ok(key);
        }
        let due = {
            let mut last = match self.last_read.lock() {
                Ok(last) => last,
                Err(poisoned) => poisoned.into_inner(),
            };
            let due = last.is_none_or(|at| at.elapsed() >= JWKS_REFRESH_INTERVAL);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due {
            match self.read().await {
                Ok(set) => self.store(set),
                Err(error) => {
                    tracing::warn!(target: "baas::serve", "[auth] cannot read the key set {}: {error}", self.source.label());
                    if self.current().is_none() {
                        return Err(AuthFailure {
                            code: "invalid_token",
                            detail: "the server cannot load its signing keys".into(),
                            unavailable: true,
                        });
                    }
                }
            }
        }
        self.current()
            .and_then(|set| Self::lookup(&set, kid))
            .ok_or_else(|| match kid {
                Some(_) => AuthFailure::token("the token's `kid` names no known key"),
                None => {
                    AuthFailure::token("the token has no `kid` and the key set has several keys")
                }
            })
    }

    async fn read(&self) -> Result<KeySet, String> {
        match &self.source {
            JwksSource::File(_) => self.read_blocking(),
            JwksSource::Url(url) => {
                let url = url.clone();
                let allowed = self.allowed.clone();
                tokio::task::spawn_blocking(move || {
                    fetch(&url).and_then(|body| key_set(&body, &allowed))
                })
                .await
                .map_err(|e| format!("the fetch failed: {e}"))?
            }
        }
    }

    fn read_blocking(&self) -> Result<KeySet, String> {
        match &self.source {
            JwksSource::File(path) => {
                let text = std::fs::read(path).map_err(|e| {
                    format!("cannot read the `jwks` file `{}`: {e}", path.display())
                })?;
                key_set(&text, &self.allowed)
                    .map_err(|e| format!("the `jwks` file `{}`: {e}", path.display()))
            }
            JwksSource::Url(url) => fetch(url).and_then(|body| key_set(&body, &self.allowed)),
        }
    }
}

/// The body of a JWKS URL (bounded in time and size). A redirect is not
/// followed: the set comes from the configured address, never from one a
/// 3xx names (a loopback or metadata address inside the network).
fn fetch(url: &str) -> Result<Vec<u8>, String> {
    let shown = crate::source::redact(url);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(JWKS_FETCH_TIMEOUT))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| crate::source::redact(&format!("GET {shown}: {e}")))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(format!(
            "GET {shown} answered {status}; redirects are not followed"
        ));
    }
    if !status.is_success() {
        return Err(format!("GET {shown} answered {status}"));
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_JWKS_BYTES)
        .read_to_vec()
        .map_err(|e| crate::source::redact(&format!("GET {shown}: {e}")))
}

/// What the PostgreSQL store tells the database about `principal` per
/// transaction (`[auth] rls`, `service_role`, `user_role`); `None` when
/// the manifest asks for none of it.
pub fn db_session(
    auth: &Auth,
    principal: &Principal,
) -> Option<crate::serve::store::postgres::DbSession> {
    if !auth.rls && auth.service_role.is_none() && auth.user_role.is_none() {
        return None;
    }
    let (claims, role) = match principal {
        Principal::User { claims, .. } => (
            serde_json::to_string(claims).unwrap_or_default(),
            &auth.user_role,
        ),
        Principal::Service => (String::new(), &auth.service_role),
        _ => (String::new(), &auth.user_role),
    };
    Some(crate::serve::store::postgres::DbSession {
        claims: claims.into(),
        role: role.as_deref().map(Into::into),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(auth: Auth) -> Identity {
        // SAFETY-free: a variable only this test reads.
        let env = Environment::default();
        Identity::new(&auth, Path::new("."), &env).unwrap()
    }

    #[test]
    fn claims_map_by_name_or_path() {
        let mut auth = Auth {
            jwt_secret: Some(
                "${BAAS_TEST_IDENTITY_SECRET:-0123456789abcdef0123456789abcdef}".into(),
            ),
            ..Auth::default()
        };
        auth.claims.role = "app.role".into();
        auth.claims.tenant = "org".into();
        let identity = identity(auth);
        let claims = serde_json::json!({"sub": 7, "app": {"role": "admin"}, "org": "acme"});
        let Json::Object(claims) = claims else {
            unreachable!()
        };
        let Principal::User { id, role, claims } = identity.principal(claims) else {
            panic!("not a user")
        };
        assert_eq!(id.as_deref(), Some("7"));
        assert_eq!(role.as_deref(), Some("admin"));
        assert_eq!(claims.get("tenant"), Some(&Json::String("acme".into())));
    }

    #[test]
    fn short_secrets_are_refused() {
        let auth = Auth {
            jwt_secret: Some("${BAAS_TEST_IDENTITY_SHORT:-short}".into()),
            ..Auth::default()
        };
        let error = Identity::new(&auth, Path::new("."), &Environment::default()).unwrap_err();
        assert!(error.to_string().contains("at least 32"), "{error}");
        assert!(!error.to_string().contains("short\""), "{error}");
    }
}
