//! Where a tenant's rows live ([`Place`]), the location the registry keeps
//! for it, and the connection string it is reached with.
//!
//! | strategy | place | location in the registry |
//! |---|---|---|
//! | `file` | `.baas/tenants/{slug}.sqlite3` | that path, relative to the manifest |
//! | `schema` | schema `{slug}` on the server | `${DATABASE_URL}#schema={slug}` |
//! | `database` | database `{server's database}_{slug}` | `${DATABASE_URL}#database=app_acme` |
//! | `row` | the deployment's tables, rows whose tenant column is `{slug}` | `#row=tenant_id` |
//!
//! The server stays the `${ENV}` reference written in baas.toml: a location
//! never carries a password. A schema tenant's migrations connect with
//! `search_path` set to its schema (`options=-csearch_path=...`), so the
//! manifest's unqualified tables and `_baas_migrations` are the tenant's
//! own; the server serves all schema tenants of one server from one pool,
//! each transaction entering the tenant's schema
//! (`set_config('search_path', ...)`). A database tenant's connection string is
//! the server's with the database name swapped (PostgreSQL, MySQL/MariaDB
//! and MongoDB alike); its name is the server's database name and the slug
//! (`app` + `acme` = `app_acme`), so two deployments sharing a server do
//! not collide, or the slug alone when the server names no database.

use std::path::PathBuf;

use url::Url;

use super::server::{self, Engine};
use super::{Slug, TenancyError, Tenants};
use crate::manifest::TenancyStrategy;
use crate::source::{SourceLocation, redact};

/// Where one tenant's rows live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A SQLite file, relative to the manifest's folder.
    File { path: PathBuf },
    /// A PostgreSQL schema on `server` (an `${ENV}` reference or a URL
    /// without a password).
    Schema { server: String, schema: String },
    /// A database of its own on `server` (PostgreSQL, MySQL/MariaDB or
    /// MongoDB), reached by swapping the database name of `server`.
    Database { server: String, database: String },
    /// The deployment's own tables, the rows whose `column` names the
    /// tenant (`strategy = "row"`): nothing to make, connect to or migrate
    /// apart from the deployment's database.
    Row { column: String },
}

const SCHEMA_MARK: &str = "#schema=";
const DATABASE_MARK: &str = "#database=";
const ROW_MARK: &str = "#row=";

/// The longest database name every engine takes (PostgreSQL cuts longer
/// names silently, MySQL refuses more than 64).
const MAX_DATABASE_NAME: usize = 63;

impl Place {
    /// The place a new tenant `slug` gets under the deployment's strategy.
    pub fn new(tenants: &Tenants, slug: &Slug) -> Result<Self, TenancyError> {
        match tenants.strategy {
            TenancyStrategy::File => Ok(Self::File {
                path: PathBuf::from(".baas")
                    .join("tenants")
                    .join(format!("{slug}.sqlite3")),
            }),
            TenancyStrategy::Schema => {
                let Some(server) = tenants.server.clone() else {
                    return Err(TenancyError::refused(
                        "strategy `schema` has no server to make the schema on",
                        "set `[source] url` or `[tenancy] url` in baas.toml",
                    ));
                };
                refuse_written_password(&server)?;
                Ok(Self::Schema {
                    server,
                    schema: slug.to_string(),
                })
            }
            TenancyStrategy::Database => {
                let Some(server) = tenants.server.clone() else {
                    return Err(TenancyError::refused(
                        "strategy `database` has no server to make the database on",
                        "set `[source] url` or `[tenancy] url` in baas.toml",
                    ));
                };
                refuse_written_password(&server)?;
                let resolved = resolve(tenants, &server)?;
                if server::engine(&resolved).is_none() {
                    return Err(TenancyError::refused(
                        format!(
                            "the tenants' server `{}` is not a PostgreSQL, MySQL or MongoDB URL",
                            redact(&resolved)
                        ),
                        "strategy `database` makes databases on postgres://, mysql:// or mongodb:// servers",
                    ));
                }
                let database = match server::database_of(&resolved) {
                    "" => slug.to_string(),
                    base => format!("{base}_{slug}"),
                };
                if database.len() > MAX_DATABASE_NAME {
                    return Err(TenancyError::refused(
                        format!(
                            "tenant `{slug}`'s database would be `{database}`, longer than {MAX_DATABASE_NAME} characters"
                        ),
                        "pick a shorter slug, or a server URL naming a shorter database",
                    ));
                }
                Ok(Self::Database { server, database })
            }
            TenancyStrategy::Row => Ok(Self::Row {
                column: tenants
                    .manifest
                    .tenancy
                    .as_ref()
                    .and_then(|tenancy| tenancy.row_column())
                    .unwrap_or(crate::manifest::Tenancy::DEFAULT_COLUMN)
                    .to_owned(),
            }),
        }
    }

    /// The place a registry location names.
    pub fn parse(location: &str) -> Self {
        if let Some(column) = location.strip_prefix(ROW_MARK) {
            return Self::Row {
                column: column.to_owned(),
            };
        }
        if let Some((server, schema)) = location.rsplit_once(SCHEMA_MARK) {
            return Self::Schema {
                server: server.to_owned(),
                schema: schema.to_owned(),
            };
        }
        if let Some((server, database)) = location.rsplit_once(DATABASE_MARK) {
            return Self::Database {
                server: server.to_owned(),
                database: database.to_owned(),
            };
        }
        Self::File {
            path: PathBuf::from(location),
        }
    }

    /// What the registry keeps.
    pub fn location(&self) -> String {
        match self {
            Self::File { path } => path.display().to_string(),
            Self::Schema { server, schema } => format!("{server}{SCHEMA_MARK}{schema}"),
            Self::Database { server, database } => {
                format!("{server}{DATABASE_MARK}{database}")
            }
            Self::Row { column } => format!("{ROW_MARK}{column}"),
        }
    }

    /// A schema tenant's server (its `${ENV}` references resolved, no
    /// `search_path` yet) and schema: the tenants of one server share its
    /// pool. `None` for the other places.
    pub fn schema_server(&self, tenants: &Tenants) -> Option<Result<(Url, &str), TenancyError>> {
        match self {
            Self::Schema { server, schema } => {
                Some(server_url(tenants, server).map(|url| (url, schema.as_str())))
            }
            _ => None,
        }
    }

    /// The database to connect to, its `${ENV}` references resolved.
    pub fn connection(&self, tenants: &Tenants) -> Result<SourceLocation, TenancyError> {
        match self {
            Self::File { path } => Ok(SourceLocation::Sqlite {
                path: tenants.dir.join(path),
            }),
            Self::Schema { server, schema } => {
                let mut url = server_url(tenants, server)?;
                url.query_pairs_mut()
                    .append_pair("options[search_path]", schema);
                Ok(SourceLocation::Postgres { url })
            }
            Self::Database { server, database } => {
                let resolved = server::with_database(&resolve(tenants, server)?, database);
                SourceLocation::parse(&resolved, &tenants.dir).map_err(|error| {
                    TenancyError::refused(
                        format!("tenant database `{}`: {error}", redact(&resolved)),
                        "check the tenants' server URL in baas.toml",
                    )
                })
            }
            Self::Row { .. } => {
                let Some(server) = &tenants.server else {
                    // Without `[source] url`, `baas serve` serves the
                    // embedded database beside the manifest.
                    return Ok(SourceLocation::Sqlite {
                        path: tenants.dir.join(".baas").join("dev.sqlite3"),
                    });
                };
                let resolved = resolve(tenants, server)?;
                SourceLocation::parse(&resolved, &tenants.dir).map_err(|error| {
                    TenancyError::refused(
                        format!("the database `{}`: {error}", redact(&resolved)),
                        "check `[source] url` in baas.toml",
                    )
                })
            }
        }
    }

    /// Makes the empty place; refused when it exists already (it is never
    /// taken over, nor removed by a failed provisioning).
    pub async fn create(&self, tenants: &Tenants) -> Result<(), TenancyError> {
        match self {
            Self::File { path } => {
                let path = tenants.dir.join(path);
                if path.exists() {
                    return Err(TenancyError::refused(
                        format!("`{}` exists already", path.display()),
                        "move the file away, or pick another slug",
                    ));
                }
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|error| {
                        TenancyError::Database(format!(
                            "cannot create `{}`: {error}",
                            parent.display()
                        ))
                    })?;
                }
                Ok(())
            }
            Self::Schema { server, schema } => {
                server::create_schema(&server_url(tenants, server)?, schema).await
            }
            Self::Database { server, database } => {
                let (engine, resolved) = engine_of(tenants, server)?;
                server::create_database(engine, &resolved, database).await
            }
            Self::Row { .. } => Ok(()),
        }
    }

    /// Removes the place and everything in it (nothing when it is gone).
    pub async fn destroy(&self, tenants: &Tenants) -> Result<(), TenancyError> {
        match self {
            Self::File { path } => {
                let path = tenants.dir.join(path);
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    match std::fs::remove_file(&file) {
                        Ok(()) => {}
                        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                        Err(error) => {
                            return Err(TenancyError::Database(format!(
                                "cannot remove `{}`: {error}",
                                PathBuf::from(file).display()
                            )));
                        }
                    }
                }
                Ok(())
            }
            Self::Schema { server, schema } => {
                server::drop_schema(&server_url(tenants, server)?, schema).await
            }
            Self::Database { server, database } => {
                let (engine, resolved) = engine_of(tenants, server)?;
                server::drop_database(engine, &resolved, database).await
            }
            // The rows share tables with every other tenant's: dropping a
            // row tenant deletes them ([`super::rows`]), or keeps them.
            Self::Row { .. } => Ok(()),
        }
    }

    /// The location as shown to people: no password even if one was
    /// written.
    pub fn shown(&self) -> String {
        redact(&self.location())
    }
}

/// `server` with its `${ENV}` references resolved.
fn resolve(tenants: &Tenants, server: &str) -> Result<String, TenancyError> {
    tenants.env.interpolate(server).map_err(|error| {
        TenancyError::refused(
            format!("the tenants' server `{server}`: {error}"),
            "set the variable in the environment or in .env",
        )
    })
}

/// `server` resolved, with the engine its scheme names.
fn engine_of(tenants: &Tenants, server: &str) -> Result<(Engine, String), TenancyError> {
    let resolved = resolve(tenants, server)?;
    match server::engine(&resolved) {
        Some(engine) => Ok((engine, resolved)),
        None => Err(TenancyError::refused(
            format!(
                "the tenants' server `{}` is not a PostgreSQL, MySQL or MongoDB URL",
                redact(&resolved)
            ),
            "strategy `database` makes databases on postgres://, mysql:// or mongodb:// servers",
        )),
    }
}

/// `server` with its `${ENV}` references resolved, as a URL.
fn server_url(tenants: &Tenants, server: &str) -> Result<Url, TenancyError> {
    let resolved = resolve(tenants, server)?;
    Url::parse(&resolved).map_err(|error| {
        TenancyError::refused(
            format!(
                "the tenants' server `{}` is not a URL: {error}",
                redact(&resolved)
            ),
            "write it as `postgres://user:${PASSWORD}@host/database`",
        )
    })
}

/// Whether `written` (as in baas.toml) is a URL with a password in
/// clear rather than an `${ENV}` reference.
pub(super) fn has_written_password(written: &str) -> bool {
    Url::parse(written)
        .ok()
        .and_then(|url| url.password().map(str::to_owned))
        .is_some_and(|password| !password.contains("${") && !password.contains("%7B"))
}

/// A server written with its password in clear would put the password in
/// the registry: refused (DESIGN.md §5b, credentials as env references).
fn refuse_written_password(server: &str) -> Result<(), TenancyError> {
    if has_written_password(server) {
        return Err(TenancyError::refused(
            format!(
                "the tenants' server `{}` has its password written in baas.toml",
                redact(server)
            ),
            "write the server as `${DATABASE_URL}` (or the password as `${DATABASE_PASSWORD}`) and set it in the environment or .env",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_round_trip_and_keep_env_references() {
        for place in [
            Place::File {
                path: PathBuf::from(".baas/tenants/acme.sqlite3"),
            },
            Place::Schema {
                server: "${DATABASE_URL}".into(),
                schema: "acme".into(),
            },
            Place::Database {
                server: "${DATABASE_URL}".into(),
                database: "app_acme".into(),
            },
            Place::Row {
                column: "tenant_id".into(),
            },
        ] {
            assert_eq!(Place::parse(&place.location()), place);
        }
        assert!(refuse_written_password("postgres://u:secret@h/db").is_err());
        assert!(refuse_written_password("postgres://u:${PW}@h/db").is_ok());
        assert!(refuse_written_password("${DATABASE_URL}").is_ok());
    }
}
