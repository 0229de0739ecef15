//! Tenancy projects for the tests: a folder whose manifest serves tenants
//! from a database server (`TENANTS_DB`), with the environment its commands
//! and server get and its first migration planned; and the tenant
//! databases a test makes on a PostgreSQL server, dropped when it ends.

use super::postgres::TempDatabase;
use crate::tenancy::{SECRET, SERVICE_KEY, run_ok};

/// `manifest` as `baas.toml` of a new folder for tenants on the server at
/// `url`, with the environment its commands and server get (the test
/// secrets, `TENANTS_DB`, then `extra`) and `migrate plan --name init` run.
pub fn planned(
    manifest: &str,
    url: &str,
    extra: &[(&'static str, &'static str)],
) -> (tempfile::TempDir, Vec<(&'static str, &'static str)>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baas.toml"), manifest).unwrap();
    // The environment outlives the folder's move into a server.
    let url: &'static str = Box::leak(url.to_owned().into_boxed_str());
    let mut env = vec![
        ("JWT_SECRET", SECRET),
        ("BAAS_SERVICE_KEY", SERVICE_KEY),
        ("TENANTS_DB", url),
    ];
    env.extend_from_slice(extra);
    run_ok(dir.path(), &env, &["migrate", "plan", "--name", "init"]);
    (dir, env)
}

/// The databases named, made on `db`'s server by database tenants,
/// dropped (connections and all) when this is.
pub struct TenantDatabases<'a>(pub &'a TempDatabase, pub Vec<String>);

impl Drop for TenantDatabases<'_> {
    fn drop(&mut self) {
        for name in &self.1 {
            self.0
                .query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}
