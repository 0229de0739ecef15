//! Small contract fixes across the server: what a problem's `instance`
//! names under the tenant path prefix, PostgREST logic trees naming an
//! embedded resource, the tenant fan-out's report, RLS policies under row
//! tenancy, and where nulls sort on every engine.

use serde_json::{Value, json};

use crate::auth::AuthServer;
use crate::tenancy::{As, AsServer, SECRET, SERVICE_KEY, create_tenant, send, tenant_manifest};

/// Every problem answered under `/t/{tenant}/api/...` names the path the
/// client asked for, prefix included: from a handler (a missing row, an
/// unknown entity, an invalid body) and from the layers before the routes
/// (an unknown tenant, a refused token).
#[test]
fn problems_under_the_tenant_path_name_the_path_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), tenant_manifest("", "file")).unwrap();
    let env = [("JWT_SECRET", SECRET), ("BAAS_SERVICE_KEY", SERVICE_KEY)];
    create_tenant(dir.path(), &env, "acme");
    let server = AsServer(AuthServer::start_in(dir, &env));
    let key = As::Key;
    let (status, _) = send(
        &server,
        "POST",
        "/t/acme/api/note",
        key,
        Some(json!({ "title": "first" })),
    );
    assert_eq!(status, 201);
    let cases: [(&str, &str, Option<Value>, u16); 4] = [
        ("GET", "/t/acme/api/note/999", None, 404),
        ("GET", "/t/acme/api/nosuch", None, 404),
        ("POST", "/t/acme/api/note", Some(json!({ "title": 5 })), 422),
        ("GET", "/t/nobody/api/note", None, 404),
    ];
    for (method, path, body, expected) in cases {
        let (status, problem) = send(&server, method, path, key, body);
        assert_eq!(status, expected, "{method} {path}: {problem}");
        assert_eq!(problem["instance"], path, "{method} {path}: {problem}");
    }
    // A token that does not verify is refused before the tenant is known.
    let response = crate::auth::agent()
        .get(&server.0.url("/t/acme/api/note"))
        .header("authorization", "Bearer not-a-token")
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let problem: Value =
        serde_json::from_str(&response.into_body().read_to_string().unwrap()).unwrap();
    assert_eq!(problem["instance"], "/t/acme/api/note", "{problem}");
    // Without the prefix, the instance is the path as before.
    let (status, problem) = send(&server, "GET", "/api/note/999", As::Service("acme"), None);
    assert_eq!(status, 404);
    assert_eq!(problem["instance"], "/api/note/999");
}
