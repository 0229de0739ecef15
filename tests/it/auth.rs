//! `[auth]` through HTTP on a real `baas serve`: bearer tokens (every
//! attack answered 401, never 500), the service key, JWKS refresh, hot
//! reload of `[auth]`, and the manifest checks of secrets.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support;

/// The HMAC secret of the test servers (32 bytes or more).
const SECRET: &str = "test-secret-0123456789abcdef-0123456789";
const SERVICE_KEY: &str = "test-service-key-fedcba9876543210";

const ENTITIES: &str = r#"
[entities.note]
table = "note"
primary_key = ["id"]

[entities.note.fields]
id = { type = "int64", generated = "identity" }
owner = { type = "string" }
body = { type = "string" }

[entities.note.rules]
list = "owner = @auth.id"
view = "owner = @auth.id"
"#;

fn key_file(name: &str) -> PathBuf {
    support::project_fixtures().join("auth").join(name)
}

fn key_bytes(name: &str) -> Vec<u8> {
    std::fs::read(key_file(name)).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn manifest(auth: &str) -> String {
    format!("[manifest]\nformat = 1\nversion = 1\n{ENTITIES}\n{auth}")
}

/// A `baas serve` with its environment and its log in a file.
pub struct AuthServer {
    child: std::process::Child,
    base: String,
    pub dir: tempfile::TempDir,
    log: PathBuf,
}

impl AuthServer {
    pub fn start(manifest_text: &str, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("baas.toml"), manifest_text).unwrap();
        Self::start_in(dir, env)
    }

    pub fn start_in(dir: tempfile::TempDir, env: &[(&str, &str)]) -> Self {
        Self::start_with(dir, env, &[])
    }

    pub fn start_with(dir: tempfile::TempDir, env: &[(&str, &str)], args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("serve.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_baas"));
        command
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("HOME", dir.path())
            .env_remove("BAAS_MANIFEST")
            .env_remove("BAAS_DATABASE_URL")
            .env_remove("JWT_SECRET")
            .env_remove("BAAS_SERVICE_KEY")
            .env("BAAS_LOG", "debug")
            .envs(env.iter().copied())
            .args(["serve", "--port", &port.to_string()])
            .args(args)
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        let child = command.spawn().unwrap();
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
            log,
        };
        crate::support::await_serving(
            &mut server.child,
            &server.log,
            &server.base,
            Duration::from_secs(30),
        );
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET path` with `headers`: the status, the body and the
    /// `WWW-Authenticate` header.
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, Value, Option<String>) {
        let mut request = agent().get(&self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request.call().unwrap())
    }

    /// `GET path` with `Authorization: Bearer token`.
    pub fn get_with(&self, path: &str, token: &str) -> (u16, Value, Option<String>) {
        self.get(path, &[("authorization", &format!("Bearer {token}"))])
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

pub fn answer(mut response: ureq::http::Response<ureq::Body>) -> (u16, Value, Option<String>) {
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        challenge,
    )
}

fn claims(extra: Value) -> Value {
    let mut claims = json!({ "sub": "user-1", "role": "member", "exp": now() + 600 });
    if let (Some(claims), Value::Object(extra)) = (claims.as_object_mut(), extra) {
        claims.extend(extra);
    }
    claims
}

fn hs256(secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret).unwrap(),
    )
    .unwrap()
}

fn signed(algorithm: Algorithm, key: &EncodingKey, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with `alg: none` and no signature.
fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    )
}

/// `token` with its payload replaced by `claims` (signature kept).
fn tampered(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        b64(claims.to_string().as_bytes()),
        parts[2]
    )
}

/// Asserts a 401 problem with the Bearer challenge.
#[track_caller]
fn assert_refused(what: &str, (status, body, challenge): (u16, Value, Option<String>)) {
    assert_eq!(status, 401, "{what}: {body}");
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer error=\"invalid_token\""),
        "{what}"
    );
    assert_eq!(body["status"], 401, "{what}: {body}");
    assert!(body["detail"].is_string(), "{what}: {body}");
}

const HS_AUTH: &str = r#"
[auth]
jwt_secret = "${JWT_SECRET}"
service_key = "${BAAS_SERVICE_KEY}"
issuer = "https://issuer.test"
audience = "baas-tests"
leeway_seconds = 5
"#;

fn hs_server() -> AuthServer {
    AuthServer::start(
        &manifest(HS_AUTH),
        &[("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)],
    )
}

fn good_claims() -> Value {
    claims(json!({ "iss": "https://issuer.test", "aud": "baas-tests" }))
}

#[test]
fn token_attacks_on_an_hmac_secret_are_refused_with_401() {
    let server = hs_server();
    // The service key writes (no create rule: nobody else may).
    for owner in ["user-1", "user-2"] {
        let created = agent()
            .post(&server.url("/api/note"))
            .header("apikey", SERVICE_KEY)
            .content_type("application/json")
            .send(json!({ "owner": owner, "body": "hello" }).to_string())
            .unwrap();
        assert_eq!(created.status().as_u16(), 201);
    }
    let created = agent()
        .post(&server.url("/api/note"))
        .content_type("application/json")
        .send(json!({ "owner": "user-1", "body": "x" }).to_string())
        .unwrap();
    assert_eq!(created.status().as_u16(), 403, "anonymous may not create");
    // The token's `sub` is `@auth.id`: the list shows that user's row only.
    let valid = hs256(SECRET.as_bytes(), &good_claims());
    let (status, body, _) = server.get_with("/api/note", &valid);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["data"][0]["owner"], "user-1", "{body}");
    let (status, body, _) = server.get("/api/note", &[]);
    assert_eq!(status, 200, "no credentials: anonymous");
    assert_eq!(body["data"], json!([]), "anonymous sees no row");
    let (status, body, _) = server.get("/api/note", &[("apikey", SERVICE_KEY)]);
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2), "{body}");

    let rsa = EncodingKey::from_rsa_pem(&key_bytes("rsa.pem")).unwrap();
    let oversized = hs256(
        SECRET.as_bytes(),
        &claims(
            json!({ "iss": "https://issuer.test", "aud": "baas-tests", "pad": "x".repeat(9000) }),
        ),
    );
    let attacks: Vec<(&str, String)> = vec![
        ("unsigned (alg none)", unsigned(&good_claims())),
        (
            "wrong key",
            hs256(b"another-secret-0123456789abcdef-0123", &good_claims()),
        ),
        (
            "RS256 where the secret is HS256",
            signed(Algorithm::RS256, &rsa, None, &good_claims()),
        ),
        (
            "HS512 when only HS256 is configured",
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS512),
                &good_claims(),
                &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
            )
            .unwrap(),
        ),
        (
            "expired",
            hs256(
                SECRET.as_bytes(),
                &claims(
                    json!({ "iss": "https://issuer.test", "aud": "baas-tests", "exp": now() - 60 }),
                ),
            ),
        ),
        (
            "not yet valid",
            hs256(
                SECRET.as_bytes(),
                &claims(
                    json!({ "iss": "https://issuer.test", "aud": "baas-tests", "nbf": now() + 3600 }),
                ),
            ),
        ),
        (
            "no exp",
            hs256(
                SECRET.as_bytes(),
                &json!({ "sub": "u", "iss": "https://issuer.test", "aud": "baas-tests" }),
            ),
        ),
        (
            "wrong audience",
            hs256(
                SECRET.as_bytes(),
                &claims(json!({ "iss": "https://issuer.test", "aud": "other-app" })),
            ),
        ),
        (
            "wrong issuer",
            hs256(
                SECRET.as_bytes(),
                &claims(json!({ "iss": "https://evil.test", "aud": "baas-tests" })),
            ),
        ),
        (
            "tampered payload",
            tampered(
                &valid,
                &claims(
                    json!({ "iss": "https://issuer.test", "aud": "baas-tests", "role": "admin" }),
                ),
            ),
        ),
        ("oversized", oversized),
        ("garbage", "not-a-token".into()),
        ("three garbage parts", "a.b.c".into()),
        ("empty", String::new()),
        ("not base64", "%%%.***.!!!".into()),
    ];
    for (what, token) in &attacks {
        assert_refused(what, server.get_with("/api/note", token));
        // The same on another route: the layer is in front of every one.
        assert_refused(what, server.get_with("/api/note/1", token));
    }
    // Mutations of a valid token (any byte, anywhere): 401 or, when the
    // change is not seen by the decoder (a base64 padding bit), 200; never
    // anything else.
    let mut random = support::XorShift(0x5eed_1234);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
    for _ in 0..300 {
        let mut bytes = valid.clone().into_bytes();
        for _ in 0..=random.below(3) {
            let at = random.below(bytes.len());
            bytes[at] = alphabet[random.below(alphabet.len())];
        }
        let token = String::from_utf8(bytes).unwrap();
        let (status, body, _) = server.get_with("/api/note", token.trim());
        assert!(matches!(status, 200 | 401), "{status} for {token}: {body}");
    }
    let (status, body, challenge) = server.get("/api/note", &[("authorization", "Basic dTpw")]);
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer error=\"invalid_request\"")
    );

    // The service key, as a bearer token or as `apikey`; a wrong `apikey` is refused.
    let (status, _, _) = server.get_with("/api/note", SERVICE_KEY);
    assert_eq!(status, 200);
    let (status, _, _) = server.get("/api/note", &[("apikey", SERVICE_KEY)]);
    assert_eq!(status, 200);
    assert_refused(
        "wrong apikey",
        server.get("/api/note", &[("apikey", "not-the-key")]),
    );
    let log = server.log();
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn public_keys_accept_their_own_algorithm_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    for name in ["rsa.pub.pem", "ec.pub.pem", "ed.pub.pem"] {
        std::fs::copy(key_file(name), dir.path().join("keys").join(name)).unwrap();
    }
    std::fs::write(
        dir.path().join("baas.toml"),
        manifest("[auth]\npublic_key = \"keys/rsa.pub.pem\"\n"),
    )
    .unwrap();
    let server = AuthServer::start_in(dir, &[]);
    let rsa = EncodingKey::from_rsa_pem(&key_bytes("rsa.pem")).unwrap();
    let (status, body, _) = server.get_with(
        "/api/note",
        &signed(Algorithm::RS256, &rsa, None, &claims(json!({}))),
    );
    assert_eq!(status, 200, "{body}");
    // HS256 "signed" with the public key as the secret: the confusion attack.
    let confused = hs256(&key_bytes("rsa.pub.pem"), &claims(json!({})));
    assert_refused(
        "HS256 with the public key as secret",
        server.get_with("/api/note", &confused),
    );
    let other = EncodingKey::from_rsa_pem(&key_bytes("rsa2.pem")).unwrap();
    assert_refused(
        "another RSA key",
        server.get_with(
            "/api/note",
            &signed(Algorithm::RS256, &other, None, &claims(json!({}))),
        ),
    );
    assert_refused(
        "PS256 when RS256 is the key's algorithm",
        server.get_with(
            "/api/note",
            &signed(Algorithm::PS256, &rsa, None, &claims(json!({}))),
        ),
    );
    assert_refused(
        "alg none",
        server.get_with("/api/note", &unsigned(&claims(json!({})))),
    );

    // EC and Ed25519 keys, swapped in by a hot reload of `[auth]`.
    for (file, algorithm, private) in [
        ("ec.pub.pem", Algorithm::ES256, "ec.pem"),
        ("ed.pub.pem", Algorithm::EdDSA, "ed.pem"),
    ] {
        std::fs::write(
            server.dir.path().join("baas.toml"),
            manifest(&format!("[auth]\npublic_key = \"keys/{file}\"\n")),
        )
        .unwrap();
        let key = match algorithm {
            Algorithm::ES256 => EncodingKey::from_ec_pem(&key_bytes(private)).unwrap(),
            _ => EncodingKey::from_ed_pem(&key_bytes(private)).unwrap(),
        };
        let token = signed(algorithm, &key, None, &claims(json!({})));
        wait_for(&server, &token, 200);
        let old = signed(Algorithm::RS256, &rsa, None, &claims(json!({})));
        assert_refused(
            "the previous key after the reload",
            server.get_with("/api/note", &old),
        );
    }
}

/// Polls until `token` gets `status` (a reload takes a moment).
#[track_caller]
fn wait_for(server: &AuthServer, token: &str, status: u16) {
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < Duration::from_secs(10) {
        let answer = server.get_with("/api/note", token);
        if answer.0 == status {
            return;
        }
        last = Some(answer);
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "never {status} after 10 s: {last:?}\nlog:\n{}",
        server.log()
    );
}

fn jwks(keys: &[(&str, Algorithm, &str)]) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|(file, algorithm, kid)| {
            let key = EncodingKey::from_rsa_pem(&key_bytes(file)).unwrap();
            let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, *algorithm).unwrap();
            jwk.common.key_id = Some((*kid).to_owned());
            serde_json::to_value(jwk).unwrap()
        })
        .collect();
    json!({ "keys": keys }).to_string()
}

#[test]
fn jwks_unknown_kids_are_refused_until_the_set_names_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jwks.json"),
        jwks(&[("rsa.pem", Algorithm::RS256, "one")]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("baas.toml"),
        manifest("[auth]\njwks = \"jwks.json\"\n"),
    )
    .unwrap();
    let server = AuthServer::start_in(dir, &[]);
    let one = EncodingKey::from_rsa_pem(&key_bytes("rsa.pem")).unwrap();
    let two = EncodingKey::from_rsa_pem(&key_bytes("rsa2.pem")).unwrap();
    let (status, body, _) = server.get_with(
        "/api/note",
        &signed(Algorithm::RS256, &one, Some("one"), &claims(json!({}))),
    );
    assert_eq!(status, 200, "{body}");
    let token_two = signed(Algorithm::RS256, &two, Some("two"), &claims(json!({})));
    assert_refused("unknown kid", server.get_with("/api/note", &token_two));
    assert_refused(
        "a known kid with another key's signature",
        server.get_with(
            "/api/note",
            &signed(Algorithm::RS256, &two, Some("one"), &claims(json!({}))),
        ),
    );
    let confused = hs256(&key_bytes("rsa.pub.pem"), &claims(json!({})));
    assert_refused(
        "HS256 against a key set",
        server.get_with("/api/note", &confused),
    );
    // The issuer rotates: the set is read again for the unknown kid (at
    // most once per interval, so a flood of unknown kids reads it once).
    std::fs::write(
        server.dir.path().join("jwks.json"),
        jwks(&[
            ("rsa.pem", Algorithm::RS256, "one"),
            ("rsa2.pem", Algorithm::RS256, "two"),
        ]),
    )
    .unwrap();
    let started = Instant::now();
    wait_for(&server, &token_two, 200);
    assert!(started.elapsed() < Duration::from_secs(9));
}

#[test]
fn a_secret_written_in_the_manifest_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let text = manifest("[auth]\njwt_secret = \"hunter2-literal-secret\"\n");
    std::fs::write(dir.path().join("baas.toml"), &text).unwrap();
    let output = support::baas(dir.path()).arg("validate").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr).to_string()
        + &String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .position(|l| l.starts_with("jwt_secret"))
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!("baas.toml:{line}:")),
        "no line:col for the secret:\n{stderr}"
    );
    assert!(stderr.contains("${JWT_SECRET}"), "{stderr}");
}

#[test]
fn auth_in_the_manifest_is_validated() {
    let cases = [
        ("[auth]\nissuer = \"x\"\n", "no key to verify tokens"),
        (
            "[auth]\njwt_secret = \"${S}\"\npublic_key = \"k.pem\"\n",
            "one kind of key",
        ),
        (
            "[auth]\npublic_key = \"k.pem\"\nalgorithms = [\"HS256\"]\n",
            "never verifies HMAC",
        ),
        (
            "[auth]\njwt_secret = \"${S}\"\nalgorithms = [\"RS999\"]\n",
            "unknown JWT algorithm",
        ),
        (
            "[auth]\njwt_secret = \"${S}\"\nservice_key = \"${K:-literal}\"\n",
            "environment reference",
        ),
        (
            "[auth]\npublic_key = \"k.pem\"\nusers = { entity = \"note\", email = \"owner\", password = \"body\" }\n",
            "need `jwt_secret`",
        ),
        (
            "[auth]\njwt_secret = \"${S}\"\nusers = { entity = \"person\" }\n",
            "unknown entity `person`",
        ),
        (
            "[auth]\njwt_secret = \"${S}\"\nusers = { entity = \"note\", email = \"mail\" }\n",
            "unknown field `mail`",
        ),
        (
            "[auth]\njwt_secret = \"${S}\"\nleeway_seconds = 99999999999\n",
            "at most 3600",
        ),
        (
            "[auth]\njwt_secret = \"${S}\"\nrls = \"yes\"\n",
            "`rls` must be",
        ),
        (
            "[auth]\njwt_secret = \"${S}\"\ntoken = 1\n",
            "unknown key `token`",
        ),
        (
            "[auth]\njwt_secret = \"${S}\"\nusers = { entity = \"note\", email = \"owner\", password = \"body\" }\n",
            "must be unique",
        ),
    ];
    for (auth, expected) in cases {
        let error = baas::manifest::load_str(Path::new("baas.toml"), manifest(auth))
            .err()
            .unwrap_or_else(|| panic!("accepted: {auth}"));
        let text = error.to_string()
            + &error
                .problems
                .iter()
                .map(|p| format!("{} {:?}\n", p.message, p.help))
                .collect::<String>();
        assert!(text.contains(expected), "{auth}: {text}");
        assert!(
            error.problems.iter().all(|p| p.span.is_some()),
            "{auth}: a problem without a place"
        );
    }
    // A valid `[auth]` survives a save and a load unchanged.
    let text = manifest(
        "[auth]\njwt_secret = \"${JWT_SECRET}\"\nissuer = \"i\"\naudience = \"a\"\nleeway_seconds = 10\nservice_key = \"${K}\"\nclaims = { id = \"uid\", role = \"app.role\", tenant = \"org\" }\nusers = { entity = \"note\", email = \"owner\", password = \"body\" }\nrls = true\n",
    )
    .replace(
        "owner = { type = \"string\" }",
        "owner = { type = \"string\", unique = true }",
    );
    let loaded = baas::manifest::load_str(Path::new("baas.toml"), text).unwrap();
    let auth = loaded.manifest.auth.clone().unwrap();
    assert_eq!(auth.claims.role, "app.role");
    assert!(auth.rls);
    let saved = baas::manifest::to_toml(&loaded.manifest);
    let again = baas::manifest::load_str(Path::new("baas.toml"), saved).unwrap();
    assert_eq!(again.manifest, loaded.manifest);
}

#[test]
fn serve_refuses_to_start_when_a_secret_is_unset_and_reload_keeps_the_old_auth() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), manifest(HS_AUTH)).unwrap();
    let output = support::baas(dir.path())
        .env_remove("JWT_SECRET")
        .env_remove("BAAS_SERVICE_KEY")
        .args(["serve", "--port", "0"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");

    // Without `[auth]`, a bearer token is not looked at; adding `[auth]`
    // by a hot reload verifies the next request's token.
    let server = AuthServer::start(&manifest(""), &[("JWT_SECRET", SECRET)]);
    let (status, _, _) = server.get_with("/api/note", "garbage");
    assert_eq!(status, 200);
    std::fs::write(
        server.dir.path().join("baas.toml"),
        manifest("[auth]\njwt_secret = \"${JWT_SECRET}\"\n"),
    )
    .unwrap();
    wait_for(&server, "garbage", 401);
    let valid = hs256(SECRET.as_bytes(), &claims(json!({})));
    let (status, _, _) = server.get_with("/api/note", &valid);
    assert_eq!(status, 200);
    // An `[auth]` whose secret is unset is not swapped in: the previous one serves.
    std::fs::write(
        server.dir.path().join("baas.toml"),
        manifest("[auth]\njwt_secret = \"${UNSET_SECRET_FOR_THIS_TEST}\"\n"),
    )
    .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10)
        && !server.log().contains("UNSET_SECRET_FOR_THIS_TEST")
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(server.log().contains("not reloaded"), "{}", server.log());
    let (status, _, _) = server.get_with("/api/note", &valid);
    assert_eq!(status, 200);
    assert!(!server.log().contains(SECRET));
}

const USERS: &str = r#"
[entities.account]
table = "account"
primary_key = ["id"]

[entities.account.fields]
id = { type = "int64", generated = "identity" }
email = { type = "string", max_length = 254, unique = true }
password_hash = { type = "string", max_length = 255, nullable = true }
role = { type = "string", nullable = true }

[entities.account.rules]
list = "true"
view = "true"

[auth]
jwt_secret = "${JWT_SECRET}"
issuer = "https://baas.test"
users = { entity = "account", email = "email", password = "password_hash" }
"#;

fn users_manifest() -> String {
    format!("[manifest]\nformat = 1\nversion = 1\n{USERS}")
}

pub fn post_json(
    server: &AuthServer,
    path: &str,
    body: Value,
    token: Option<&str>,
) -> (u16, Value) {
    let mut request = agent()
        .post(&server.url(path))
        .content_type("application/json");
    if let Some(token) = token {
        request = request.header("authorization", &format!("Bearer {token}"));
    }
    let (status, body, _) = answer(request.send(body.to_string()).unwrap());
    (status, body)
}

/// Signs up, logs in, rotates and reuses refresh tokens, logs out; the
/// password never comes back.
fn users_flow(server: &AuthServer) {
    let password = "correct horse battery";
    let (status, body) = post_json(
        server,
        "/api/_auth/signup",
        json!({ "email": "Ada@Example.com", "password": password }),
        None,
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["user"]["email"], "ada@example.com", "{body}");
    assert_eq!(body["expires_in"], 900);
    assert!(body["user"].get("password_hash").is_none(), "{body}");
    assert!(body["access_token"].is_string() && body["refresh_token"].is_string());

    let (status, body) = post_json(
        server,
        "/api/_auth/signup",
        json!({ "email": "ada@example.com", "password": "another password" }),
        None,
    );
    assert_eq!(status, 409, "duplicate email: {body}");
    let (status, body) = post_json(
        server,
        "/api/_auth/signup",
        json!({ "email": "bob@example.com", "password": "short" }),
        None,
    );
    assert_eq!(status, 422, "{body}");
    for (email, wrong) in [
        ("ada@example.com", "wrong password"),
        ("nobody@example.com", password),
    ] {
        let (status, body) = post_json(
            server,
            "/api/_auth/login",
            json!({ "email": email, "password": wrong }),
            None,
        );
        assert_eq!(status, 401, "{body}");
    }

    let (status, login) = post_json(
        server,
        "/api/_auth/login",
        json!({ "email": "ada@example.com", "password": password }),
        None,
    );
    assert_eq!(status, 200, "{login}");
    let access = login["access_token"].as_str().unwrap().to_owned();
    let first = login["refresh_token"].as_str().unwrap().to_owned();

    let (status, me, _) = server.get_with("/api/_auth/me", &access);
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["user"]["email"], "ada@example.com");
    assert!(me["user"].get("password_hash").is_none(), "{me}");
    let (status, _, challenge) = server.get("/api/_auth/me", &[]);
    assert_eq!(status, 401);
    assert_eq!(challenge.as_deref(), Some("Bearer"));

    // The entity API never shows, filters or sorts by the password.
    let (status, list, _) = server.get_with("/api/account", &access);
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");
    assert!(!list.to_string().contains("password_hash"), "{list}");
    assert!(!list.to_string().contains("argon2"), "{list}");
    for probe in [
        "/api/account?password_hash=like.*argon*",
        "/api/account?order=password_hash",
        "/api/account?select=password_hash",
    ] {
        let (status, body, _) = server.get_with(probe, &access);
        assert_eq!(status, 400, "{probe}: {body}");
    }
    for document in ["/api/_discovery", "/api/_openapi.json"] {
        let (status, body, _) = server.get_with(document, &access);
        assert_eq!(status, 200);
        assert!(!body.to_string().contains("password_hash"), "{document}");
    }

    // Rotation: each refresh token works once.
    let (status, rotated) = post_json(
        server,
        "/api/_auth/refresh",
        json!({ "refresh_token": first }),
        None,
    );
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let (status, _, _) =
        server.get_with("/api/_auth/me", rotated["access_token"].as_str().unwrap());
    assert_eq!(status, 200);
    // Reuse of the rotated token revokes the family: the newer one dies too.
    let (status, body) = post_json(
        server,
        "/api/_auth/refresh",
        json!({ "refresh_token": first }),
        None,
    );
    assert_eq!(status, 401, "reuse: {body}");
    let (status, body) = post_json(
        server,
        "/api/_auth/refresh",
        json!({ "refresh_token": second }),
        None,
    );
    assert_eq!(status, 401, "after reuse the family is revoked: {body}");

    // Logout ends the session.
    let (_, login) = post_json(
        server,
        "/api/_auth/login",
        json!({ "email": "ada@example.com", "password": password }),
        None,
    );
    let third = login["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = post_json(
        server,
        "/api/_auth/logout",
        json!({ "refresh_token": third }),
        None,
    );
    assert_eq!(status, 204, "{body}");
    let (status, _) = post_json(
        server,
        "/api/_auth/refresh",
        json!({ "refresh_token": third }),
        None,
    );
    assert_eq!(status, 401);
    let (status, _) = post_json(
        server,
        "/api/_auth/refresh",
        json!({ "refresh_token": "made-up" }),
        None,
    );
    assert_eq!(status, 401);

    let log = server.log();
    for secret in [password, SECRET, &access, &first, &second, &third] {
        assert!(!log.contains(secret), "the log shows a secret:\n{log}");
    }
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn built_in_users_on_sqlite() {
    let server = AuthServer::start(&users_manifest(), &[("JWT_SECRET", SECRET)]);
    users_flow(&server);
    // Refresh tokens are stored as hashes only.
    let connection =
        rusqlite::Connection::open(server.dir.path().join(".baas/dev.sqlite3")).unwrap();
    let ids: Vec<String> = connection
        .prepare("SELECT id FROM _baas_refresh_tokens")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!ids.is_empty());
    assert!(
        ids.iter()
            .all(|id| id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()))
    );

    // An expired refresh token is refused; a sign-in clears expired ones away.
    let hash = |token: &str| {
        use sha2::Digest as _;
        sha2::Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    for token in ["expired-one", "expired-two"] {
        connection
            .execute(
                "INSERT INTO _baas_refresh_tokens (id, family, user_id, used, expires_at) VALUES (?1, ?2, '1', 0, 1)",
                [hash(token), format!("family-{token}")],
            )
            .unwrap();
    }
    let (status, body) = post_json(
        &server,
        "/api/_auth/refresh",
        json!({ "refresh_token": "expired-one" }),
        None,
    );
    assert_eq!(status, 401, "{body}");
    let (status, _) = post_json(
        &server,
        "/api/_auth/login",
        json!({ "email": "ada@example.com", "password": "correct horse battery" }),
        None,
    );
    assert_eq!(status, 200);
    let left: i64 = connection
        .query_row(
            "SELECT count(*) FROM _baas_refresh_tokens WHERE expires_at < 1000",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "expired tokens were not cleared");
}

fn create_statements(target: baas::migrate::render::Target) -> Vec<String> {
    let manifest = baas::manifest::load_str(Path::new("baas.toml"), users_manifest())
        .unwrap()
        .manifest;
    crate::support::create_statements(target, &manifest)
}

fn served_on(url: &str) -> AuthServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), users_manifest()).unwrap();
    AuthServer::start_with(dir, &[("JWT_SECRET", SECRET)], &["--db", url])
}

#[test]
fn built_in_users_on_postgres() {
    let Some(database) = crate::support::postgres::TempDatabase::create("auth_users") else {
        return;
    };
    support::block_on(
        database.execute(&create_statements(baas::migrate::render::Target::Postgres)),
    );
    users_flow(&served_on(&database.url()));
}

#[test]
fn built_in_users_on_mariadb() {
    let Some(database) = crate::support::mysql::TempDatabase::create("auth_users") else {
        return;
    };
    support::block_on(database.execute(&create_statements(baas::migrate::render::Target::Mysql)));
    users_flow(&served_on(&database.url()));
}

#[test]
fn built_in_users_on_the_mongodb_wire_server() {
    let Some(database) = crate::support::mongo::TempDatabase::create("auth_users") else {
        return;
    };
    users_flow(&served_on(database.url()));
}

fn status_and_headers(
    request: ureq::RequestBuilder<ureq::typestate::WithoutBody>,
) -> (u16, ureq::http::HeaderMap) {
    let response = request.call().unwrap();
    (response.status().as_u16(), response.headers().clone())
}

#[test]
fn brute_force_on_login_gets_429_and_no_secret_reaches_the_log() {
    let text = users_manifest().replace("[auth]", "[auth]\nservice_key = \"${BAAS_SERVICE_KEY}\"");
    let server = AuthServer::start(
        &text,
        &[("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)],
    );
    let password = "the real password 42";
    let (status, session) = post_json(
        &server,
        "/api/_auth/signup",
        json!({ "email": "carol@example.com", "password": password }),
        None,
    );
    assert_eq!(status, 201, "{session}");
    let access = session["access_token"].as_str().unwrap().to_owned();
    let refresh = session["refresh_token"].as_str().unwrap().to_owned();
    let (status, _, _) = server.get_with("/api/account", &access);
    assert_eq!(status, 200);
    let (status, _, _) = server.get("/api/account", &[("apikey", SERVICE_KEY)]);
    assert_eq!(status, 200);
    let (status, _, _) = server.get_with("/api/account", "eyJhbGciOiJub25lIn0.e30.");
    assert_eq!(status, 401);

    let mut limited = None;
    for attempt in 1..=15 {
        let guess = format!("guess-number-{attempt}");
        let response = agent()
            .post(&server.url("/api/_auth/login"))
            .content_type("application/json")
            .send(json!({ "email": "carol@example.com", "password": guess }).to_string())
            .unwrap();
        let status = response.status().as_u16();
        if status == 429 {
            let retry = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .expect("a 429 without Retry-After seconds");
            assert!((1..=60).contains(&retry), "{retry}");
            let (_, body, _) = answer(response);
            assert_eq!(body["type"], "urn:baas:problem:rate-limited", "{body}");
            limited = Some(attempt);
            break;
        }
        assert_eq!(status, 401, "attempt {attempt}");
    }
    let limited = limited.expect("15 wrong passwords in a row were never limited");
    assert!(limited <= 11, "limited only at attempt {limited}");
    // Even the right password waits now.
    let (status, _) = post_json(
        &server,
        "/api/_auth/login",
        json!({ "email": "carol@example.com", "password": password }),
        None,
    );
    assert_eq!(status, 429);

    let log = server.log();
    assert!(
        log.contains("/api/_auth/login"),
        "the requests are logged:\n{log}"
    );
    for secret in [
        password,
        SECRET,
        SERVICE_KEY,
        &access,
        &refresh,
        "guess-number-1",
    ] {
        assert!(!log.contains(secret), "the log shows a secret:\n{log}");
    }
}

#[test]
fn rate_limits_per_address_and_per_user_answer_429_with_retry_after() {
    let per_user = format!("{}\n[api]\nrate_limit_per_user = 3\n", manifest(HS_AUTH));
    let server = AuthServer::start(
        &per_user,
        &[("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)],
    );
    let token = |sub: &str| {
        hs256(
            SECRET.as_bytes(),
            &claims(json!({ "sub": sub, "iss": "https://issuer.test", "aud": "baas-tests" })),
        )
    };
    let first = token("user-1");
    for _ in 0..3 {
        assert_eq!(server.get_with("/api/note", &first).0, 200);
    }
    let response = agent()
        .get(&server.url("/api/note"))
        .header("authorization", &format!("Bearer {first}"))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(
        server.get_with("/api/note", &token("user-2")).0,
        200,
        "another user"
    );
    for _ in 0..5 {
        assert_eq!(
            server.get_with("/api/note", SERVICE_KEY).0,
            200,
            "the service key is not limited"
        );
    }
    drop(server);

    let per_address = format!("{}\n[api]\nrate_limit_per_ip = 3\n", manifest(""));
    let server = AuthServer::start(&per_address, &[]);
    let statuses: Vec<u16> = (0..5).map(|_| server.get("/api/note", &[]).0).collect();
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    assert_eq!(statuses[3], 429, "{statuses:?}");
    assert_eq!(
        server.get("/api/_health", &[]).0,
        200,
        "health is not limited"
    );
}

/// `[api] trusted_proxies`: a forwarding header sent by a peer that is not
/// a trusted proxy is ignored, so a client that makes up a new
/// `X-Forwarded-For` (or `Forwarded`) per request is still one address and
/// still limited. Trusted (after a hot reload, which the limits follow),
/// the proxy's clients are counted one by one, each under the address the
/// proxy saw: a made-up address at the left of the chain changes nothing.
#[test]
fn rate_limits_count_the_client_behind_a_trusted_proxy_only() {
    let text = format!(
        "{}\n[api]\nrate_limit_per_ip = 3\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
        manifest("")
    );
    let server = AuthServer::start(&text, &[]);
    let statuses: Vec<u16> = (0..5)
        .map(|i| {
            let spoofed = format!("203.0.113.{i}");
            let forwarded = format!("for={spoofed}");
            server
                .get(
                    "/api/note",
                    &[("x-forwarded-for", &spoofed), ("forwarded", &forwarded)],
                )
                .0
        })
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429]);

    // The test's own address (loopback) becomes a trusted proxy.
    std::fs::write(
        server.dir.path().join("baas.toml"),
        text.replace("10.0.0.0/8", "127.0.0.1"),
    )
    .unwrap();
    let client = |hops: &str| server.get("/api/note", &[("x-forwarded-for", hops)]).0;
    let started = Instant::now();
    while client("198.51.100.1") != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the reload never trusted the proxy:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(client("198.51.100.1"), 200);
    assert_eq!(client("198.51.100.1"), 200);
    assert_eq!(client("198.51.100.1"), 429, "the client's fourth request");
    // The client puts a made-up address in front: the proxy appended the
    // real one, and that is what counts.
    assert_eq!(client("192.0.2.77, 198.51.100.1"), 429);
    assert_eq!(client("198.51.100.2"), 200, "another client");
    let forwarded = server
        .get("/api/note", &[("forwarded", "for=\"[2001:db8::1]:4711\"")])
        .0;
    assert_eq!(forwarded, 200, "a Forwarded client");
}

/// A realtime stream opened with a token ends when the token expires,
/// with a last `close` event that says so; the service key's stream does
/// not.
#[test]
fn an_sse_stream_ends_when_its_token_expires() {
    use std::io::Read as _;

    let server = AuthServer::start(
        &manifest(HS_AUTH),
        &[("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)],
    );
    let expires = now() + 2;
    let token = hs256(
        SECRET.as_bytes(),
        &claims(json!({ "iss": "https://issuer.test", "aud": "baas-tests", "exp": expires })),
    );
    let opened = Instant::now();
    let response = agent()
        .get(&server.url("/api/_realtime?subscribe=note"))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let mut body = String::new();
    response
        .into_body()
        .into_reader()
        .read_to_string(&mut body)
        .unwrap();
    let took = opened.elapsed();
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(now() >= expires, "ended before the token expired: {body}");
    let last = body
        .split("\n\n")
        .filter(|event| !event.trim().is_empty())
        .last()
        .unwrap_or_default();
    assert!(last.contains("event: close"), "{body}");
    assert!(last.contains("\"reason\":\"token-expired\""), "{body}");

    // The service key has no token to expire: its stream stays open.
    let mut service =
        std::net::TcpStream::connect(server.url("").trim_start_matches("http://")).unwrap();
    std::io::Write::write_all(
        &mut service,
        format!(
            "GET /api/_realtime?subscribe=note HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {SERVICE_KEY}\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    service
        .set_read_timeout(Some(Duration::from_secs(4)))
        .unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0; 4096];
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        match service.read(&mut buffer) {
            Ok(0) => panic!(
                "the service key's stream ended: {}",
                String::from_utf8_lossy(&seen)
            ),
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
            Err(_) => break,
        }
    }
    assert!(
        String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&seen)
    );
}

/// The WebSocket route ends with the token too: a `close` message with
/// reason `token-expired`, then close code 4401; the service key's
/// session stays open.
#[test]
fn a_websocket_session_ends_when_its_token_expires() {
    use crate::realtime::{WsClient, WsRead};

    let server = AuthServer::start(
        &manifest(HS_AUTH),
        &[("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)],
    );
    let subscribe = json!({ "subscribe": ["note"] });
    let expires = now() + 2;
    let token = hs256(
        SECRET.as_bytes(),
        &claims(json!({ "iss": "https://issuer.test", "aud": "baas-tests", "exp": expires })),
    );
    let opened = Instant::now();
    let mut session = WsClient::open(&server, Some(&token));
    session.send(&subscribe);
    let WsRead::Json(subscribed) = session.read() else {
        panic!("no answer to subscribe");
    };
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
    let WsRead::Json(last) = session.read() else {
        panic!("no close message before the close frame");
    };
    assert!(now() >= expires, "ended before the token expired: {last}");
    assert!(opened.elapsed() < Duration::from_secs(10));
    assert_eq!(last["type"], "close", "{last}");
    assert_eq!(last["reason"], "token-expired", "{last}");
    match session.read() {
        WsRead::Closed(code, reason) => {
            assert_eq!(code, 4401, "{reason}");
            assert!(reason.contains("token-expired"), "{reason}");
        }
        other => panic!("expected the close frame, got {other:?}"),
    }

    // The service key has no token to expire: its session stays open.
    let mut service = WsClient::open(&server, Some(SERVICE_KEY));
    service.send(&subscribe);
    assert!(matches!(service.read(), WsRead::Json(_)));
    assert_eq!(service.read_within(Duration::from_secs(3)), None);
}

/// `[auth] leeway_seconds` forgives a clock a few seconds off, no more: a
/// token that expired 2 s ago or becomes valid in 2 s passes with a leeway
/// of 5 s; one that expired 30 s ago does not.
#[test]
fn the_leeway_forgives_a_few_seconds_of_clock_skew_only() {
    let server = hs_server();
    let token = |extra: Value| {
        let mut claims = good_claims();
        if let (Some(claims), Value::Object(extra)) = (claims.as_object_mut(), extra) {
            claims.extend(extra);
        }
        hs256(SECRET.as_bytes(), &claims)
    };
    for (what, extra) in [
        ("expired 2 s ago", json!({ "exp": now() - 2 })),
        ("valid in 2 s", json!({ "nbf": now() + 2 })),
    ] {
        let (status, body, _) = server.get_with("/api/note", &token(extra));
        assert_eq!(status, 200, "{what}: {body}");
    }
    assert_refused(
        "expired 30 s ago",
        server.get_with("/api/note", &token(json!({ "exp": now() - 30 }))),
    );
    assert_refused(
        "valid in 30 s",
        server.get_with("/api/note", &token(json!({ "nbf": now() + 30 }))),
    );
}

/// `[api] cors_origins` through a served manifest: a named origin is
/// answered (preflight included) with its own `Access-Control-Allow-Origin`;
/// any other site is refused before it reaches the data.
#[test]
fn configured_cors_origins_are_answered_and_others_refused() {
    let text = format!(
        "{}\n[api]\ncors_origins = [\"https://app.example.com\"]\n",
        manifest(HS_AUTH)
    );
    let server = AuthServer::start(
        &text,
        &[("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)],
    );
    let origin = |value: &str| {
        let request = agent()
            .get(&server.url("/api/note"))
            .header("origin", value);
        let response = request.call().unwrap();
        let allowed = response
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (response.status().as_u16(), allowed)
    };
    assert_eq!(
        origin("https://app.example.com"),
        (200, Some("https://app.example.com".to_owned()))
    );
    assert_eq!(origin("https://evil.example").0, 403);
    assert_eq!(origin("https://app.example.com.evil.example").0, 403);
    let preflight = agent()
        .run(
            ureq::http::Request::builder()
                .method("OPTIONS")
                .uri(server.url("/api/note"))
                .header("origin", "https://app.example.com")
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization, content-type",
                )
                .body(())
                .unwrap(),
        )
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
}

#[test]
fn every_answer_carries_the_security_headers() {
    let server = AuthServer::start(&users_manifest(), &[("JWT_SECRET", SECRET)]);
    let cases = [
        ("/api/_health", None),
        ("/api/account", None),
        ("/api/no-such-route/x/y", None),
        ("/api/account", Some("garbage")),
        ("/api/_auth/me", None),
    ];
    for (path, token) in cases {
        let mut request = agent().get(&server.url(path));
        if let Some(token) = token {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        let (status, headers) = status_and_headers(request);
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
        ] {
            assert_eq!(
                headers.get(name).and_then(|v| v.to_str().ok()),
                Some(value),
                "{path} ({status}): {name}"
            );
        }
        assert!(
            headers
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("frame-ancestors 'none'")),
            "{path}"
        );
    }
    let (_, headers) = status_and_headers(agent().get(&server.url("/api/_auth/me")));
    assert_eq!(
        headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
}

#[test]
fn the_openapi_document_describes_auth_and_hides_the_password() {
    let text = users_manifest().replace("[auth]", "[auth]\nservice_key = \"${BAAS_SERVICE_KEY}\"");
    let loaded = baas::manifest::load_str(Path::new("baas.toml"), text)
        .unwrap()
        .manifest;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), users_manifest()).unwrap();
    support::baas(dir.path())
        .args(["codegen", "openapi", "--out", "gen"])
        .assert()
        .success();
    let generated: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("gen/openapi.json")).unwrap(),
    )
    .unwrap();
    assert!(
        !generated.to_string().contains("password_hash"),
        "codegen shows the password field"
    );
    assert!(generated["paths"]["/api/_auth/login"]["post"].is_object());

    let document = baas::codegen::openapi::document(&loaded.served());
    assert!(!document.to_string().contains("password_hash"));
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["serviceKey"]["name"], "apikey");
    assert_eq!(
        document["security"],
        json!([{}, { "bearer": [] }, { "serviceKey": [] }])
    );
    let list = &document["paths"]["/api/account"]["get"]["responses"];
    for status in ["401", "403", "429"] {
        assert!(list[status]["$ref"].is_string(), "{status}: {list}");
    }
    let login = &document["paths"]["/api/_auth/login"]["post"];
    assert_eq!(
        login["responses"]["401"]["$ref"],
        "#/components/responses/Unauthorized"
    );
    assert_eq!(
        login["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["user"]["$ref"],
        "#/components/schemas/AccountRow"
    );
    // Every reference resolves.
    let text = document.to_string();
    for reference in text.split("\"$ref\":\"#/").skip(1) {
        let pointer = format!("/{}", &reference[..reference.find('"').unwrap()]);
        assert!(document.pointer(&pointer).is_some(), "dangling {pointer}");
    }
    // The document is valid OpenAPI (the validator the codegen tests use).
    let setup = std::process::Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/setup.sh"))
        .output()
        .unwrap();
    let validator = String::from_utf8_lossy(&setup.stdout)
        .lines()
        .find_map(|line| {
            line.strip_prefix("OPENAPI_SPEC_VALIDATOR=")
                .map(PathBuf::from)
        });
    match validator {
        Some(validator) => {
            let path = dir.path().join("auth-openapi.json");
            std::fs::write(&path, document.to_string()).unwrap();
            let output = std::process::Command::new(validator)
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        None if std::env::var_os("CI").is_some() => panic!("no OpenAPI validator"),
        None => {}
    }
    // Without `[auth]` the document has none of it.
    let open = baas::codegen::openapi::document(
        &baas::manifest::load_str(Path::new("baas.toml"), manifest(""))
            .unwrap()
            .manifest,
    );
    assert!(open.get("security").is_none());
    assert!(open["components"].get("securitySchemes").is_none());
}

/// The TypeScript SDK's `auth` against a real server: sign up, me, refresh,
/// sign out, a wrong password.
const TS_AUTH_E2E: &str = r#"
import { createClient, BaasError } from "./sdk/index.js";
declare const process: { argv: string[] };
declare const console: { log(text: string): void };

const url = process.argv[2] ?? "";
const db = createClient({ url });
const fail = (message: string): never => {
  throw new Error(message);
};

const session = await db.auth.signUp("dana@example.com", "a long password");
if (session.user["email"] !== "dana@example.com") fail("signUp user: " + JSON.stringify(session));
if ("password_hash" in session.user) fail("the password hash came back");
const me = await db.auth.me<{ email: string }>();
if (me.email !== "dana@example.com") fail("me: " + JSON.stringify(me));
const rows = await db.from("account").list();
if (rows.data.length !== 1) fail("list: " + JSON.stringify(rows));
const first = session.refresh_token;
const next = await db.auth.refresh();
if (next.refresh_token === first) fail("the refresh token did not rotate");
try {
  await db.auth.refresh(first);
  fail("a used refresh token worked");
} catch (error) {
  if (!(error instanceof BaasError) || error.status !== 401) throw error;
}
await db.auth.signOut();
if (db.auth.token !== undefined) fail("signOut kept the token");
try {
  await db.auth.me();
  fail("me after signOut");
} catch (error) {
  if (!(error instanceof BaasError) || error.status !== 401) throw error;
}
try {
  await db.auth.signIn("dana@example.com", "the wrong password");
  fail("a wrong password signed in");
} catch (error) {
  if (!(error instanceof BaasError) || error.status !== 401) throw error;
}
await db.auth.signIn("dana@example.com", "a long password");
db.auth.setToken(undefined);
console.log("ok");
"#;

#[test]
fn the_typescript_sdk_signs_up_in_and_out() {
    let setup = std::process::Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/setup.sh"))
        .output()
        .unwrap();
    let Some(tsc) = String::from_utf8_lossy(&setup.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("TSC=").map(PathBuf::from))
    else {
        assert!(std::env::var_os("CI").is_none(), "no tsc");
        return;
    };
    let server = AuthServer::start(&users_manifest(), &[("JWT_SECRET", SECRET)]);
    let dir = server.dir.path();
    support::baas(dir)
        .args(["codegen", "ts", "--out", "sdk"])
        .assert()
        .success();
    std::fs::write(dir.join("e2e.ts"), TS_AUTH_E2E).unwrap();
    std::fs::write(dir.join("package.json"), r#"{ "type": "module" }"#).unwrap();
    let tsconfig = json!({
        "compilerOptions": {
            "target": "ES2022", "module": "ES2022", "moduleResolution": "bundler",
            "lib": ["ES2022", "DOM"], "types": [], "strict": true,
            "noUncheckedIndexedAccess": true, "outDir": "build", "skipLibCheck": true,
        },
        "files": ["e2e.ts"],
    });
    std::fs::write(dir.join("tsconfig.json"), tsconfig.to_string()).unwrap();
    let output = std::process::Command::new(&tsc)
        .args(["-p", "tsconfig.json"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let output = std::process::Command::new("node")
        .arg("build/e2e.js")
        .arg(server.url(""))
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).trim() == "ok",
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The Rust SDK's auth helpers against a real server.
const RUST_AUTH_E2E: &str = r#"
use serde_json::{json, Value};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let url = std::env::args().nth(1).expect("the server's url");
    let db = sdk::Client::new(url);
    let session: sdk::Session = db
        .sign_up("erin@example.com", "a long password", json!({}))
        .await
        .expect("sign up");
    assert_eq!(session.user["email"], "erin@example.com");
    assert!(session.user.get("password_hash").is_none());
    let signed_in = db.clone().with_token(session.access_token.clone());
    let me: Value = signed_in.me().await.expect("me");
    assert_eq!(me["email"], "erin@example.com");
    let next: sdk::Session = db
        .refresh_session(&session.refresh_token)
        .await
        .expect("refresh");
    assert_ne!(next.refresh_token, session.refresh_token);
    match db.refresh_session::<Value>(&session.refresh_token).await {
        Err(sdk::Error::Problem(problem)) => assert_eq!(problem.status, 401),
        other => panic!("a used refresh token: {other:?}"),
    }
    let again: sdk::Session = db
        .sign_in("erin@example.com", "a long password")
        .await
        .expect("sign in");
    db.sign_out(&again.refresh_token).await.expect("sign out");
    assert!(db.refresh_session::<Value>(&again.refresh_token).await.is_err());
    match db.sign_in::<Value>("erin@example.com", "wrong password").await {
        Err(sdk::Error::Problem(problem)) => assert_eq!(problem.status, 401),
        other => panic!("a wrong password: {other:?}"),
    }
    let mut anonymous = signed_in.clone();
    anonymous.set_token(None);
    assert!(anonymous.token().is_none());
    assert!(anonymous.me::<Value>().await.is_err());
    println!("ok");
}
"#;

#[test]
fn the_rust_sdk_signs_up_in_and_out() {
    let server = AuthServer::start(&users_manifest(), &[("JWT_SECRET", SECRET)]);
    let dir = server.dir.path();
    support::baas(dir)
        .args(["codegen", "rust", "--out", "sdk"])
        .assert()
        .success();
    let cargo = std::fs::read_to_string(dir.join("sdk/Cargo.toml")).unwrap();
    let package = cargo
        .lines()
        .find_map(|line| line.strip_prefix("name = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap()
        .to_owned();
    std::fs::create_dir_all(dir.join("e2e/src")).unwrap();
    std::fs::write(
        dir.join("e2e/Cargo.toml"),
        format!(
            "[package]\nname = \"e2e\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nsdk = {{ package = \"{package}\", path = \"../sdk\" }}\nserde_json = \"1\"\ntokio = {{ version = \"1\", features = [\"rt\", \"macros\"] }}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("e2e/src/main.rs"), RUST_AUTH_E2E).unwrap();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/codegen-check");
    let output = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--"])
        .arg(server.url(""))
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .current_dir(dir.join("e2e"))
        .output()
        .unwrap();
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).trim() == "ok",
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A JWKS over HTTP on loopback: serves `body`, counts the requests.
struct JwksHost {
    url: String,
    fetches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl JwksHost {
    fn start(body: String) -> Self {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = fetches.clone();
        std::thread::spawn(move || {
            // Bounded: a test never needs more than a few fetches.
            for stream in listener.incoming().take(50) {
                let Ok(mut stream) = stream else { continue };
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Self { url, fetches }
    }

    fn fetches(&self) -> usize {
        self.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[test]
fn a_jwks_url_is_cached_and_fetched_again_at_a_bounded_rate() {
    let host = JwksHost::start(jwks(&[("rsa.pem", Algorithm::RS256, "one")]));
    let server = AuthServer::start(
        &manifest(&format!("[auth]\njwks = \"{}\"\n", host.url)),
        &[],
    );
    let one = EncodingKey::from_rsa_pem(&key_bytes("rsa.pem")).unwrap();
    let two = EncodingKey::from_rsa_pem(&key_bytes("rsa2.pem")).unwrap();
    let token = signed(Algorithm::RS256, &one, Some("one"), &claims(json!({})));
    for _ in 0..3 {
        let (status, body, _) = server.get_with("/api/note", &token);
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(host.fetches(), 1, "the key set is cached");
    let unknown = |kid: &str| signed(Algorithm::RS256, &two, Some(kid), &claims(json!({})));
    assert_refused("unknown kid", server.get_with("/api/note", &unknown("x")));
    assert_eq!(
        host.fetches(),
        1,
        "not again within the interval of the first fetch"
    );
    std::thread::sleep(Duration::from_millis(5200));
    assert_refused("unknown kid", server.get_with("/api/note", &unknown("v")));
    assert_eq!(host.fetches(), 2, "an unknown kid fetches the set again");
    for kid in ["y", "z", "w"] {
        assert_refused("unknown kid", server.get_with("/api/note", &unknown(kid)));
    }
    assert_eq!(host.fetches(), 2, "at most one fetch per interval");
    assert_eq!(server.get_with("/api/note", &token).0, 200);

    // Keys that cannot be fetched at all: 503 with Retry-After, not 401 or 500.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = AuthServer::start(
        &manifest(&format!(
            "[auth]\njwks = \"http://127.0.0.1:{port}/jwks.json\"\n"
        )),
        &[],
    );
    let response = agent()
        .get(&unreachable.url("/api/note"))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(
        unreachable.get("/api/note", &[]).0,
        200,
        "anonymous still served"
    );
}
