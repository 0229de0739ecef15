//! What the user pointed `baas` at: a connection string, a database file or a
//! schema file. Parsing it never touches the network or the disk beyond peeking
//! at a file's first bytes, and every way of printing it hides the password.
//!
//! Also what reading a source takes and gives, shared by the live
//! introspectors (`introspect/`) and the schema-file parsers (`parse/`):
//! [`IntrospectOptions`] in, an [`Introspection`] or an [`IntrospectError`] out.

use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

use crate::ledger::Ledger;
use crate::manifest::Manifest;

/// A parsed connection string or path.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceLocation {
    Sqlite {
        path: PathBuf,
    },
    Postgres {
        url: Url,
    },
    Mysql {
        url: Url,
    },
    /// A MongoDB connection string, kept as text: it may name several hosts
    /// (`mongodb://a:27017,b:27017/db?replicaSet=rs`), which URL parsers reject.
    Mongodb {
        url: String,
    },
    /// An `http(s)://` address: a hosted API or schema document.
    Http {
        url: Url,
    },
    /// A schema file (SQL, Prisma, JSON Schema, OpenAPI, GraphQL).
    File {
        path: PathBuf,
    },
}

/// The schema-file formats `baas introspect FILE` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceFormat {
    /// SQL DDL or a dump (PostgreSQL, MySQL, SQLite)
    Sql,
    /// A Prisma schema (`schema.prisma`, or a folder of them)
    Prisma,
    /// JSON Schema (draft-04 to 2020-12)
    Jsonschema,
    /// OpenAPI 3.0 / 3.1 or Swagger 2.0 (JSON or YAML)
    Openapi,
    /// GraphQL SDL
    Graphql,
    /// Documents: a json-server `db.json`, or NDJSON / mongoexport output
    Data,
}

/// What an introspection produced.
#[derive(Debug, Clone)]
pub struct Introspection {
    pub manifest: Manifest,
    pub ledger: Ledger,
}

/// Knobs shared by all engines; each uses those that apply to it.
#[derive(Debug, Clone, Default)]
pub struct IntrospectOptions {
    /// Schemas (Postgres) to read; empty means the engine's default.
    pub schemas: Vec<String>,
    /// Documents to sample per collection (MongoDB).
    pub sample: Option<usize>,
    /// The format of a schema file, when not detected from its name and content.
    pub format: Option<SourceFormat>,
    /// The SQL dialect of a dump, when not detected (`postgres`, `mysql`, `sqlite`).
    pub dialect: Option<String>,
    /// Fail on statements or constructs a schema file parser skips.
    pub strict: bool,
    /// API key of a hosted source (Supabase).
    pub key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    /// The database could not be reached or opened (exit code 3).
    #[error("cannot connect to `{target}`: {reason}")]
    Connect { target: String, reason: String },
    /// The database answered, but a catalog query failed.
    #[error("failed to read the catalog of `{target}`: {reason}")]
    Catalog { target: String, reason: String },
    /// `baas` has no introspector for this kind of input (yet).
    #[error("{0}")]
    Unsupported(String),
    /// A schema file could not be read as its format; the problems say where.
    #[error("{0}")]
    Invalid(#[source] crate::manifest::Diagnostics),
}

/// The input could not be understood as a connection string or path.
#[derive(Debug, thiserror::Error)]
#[error("`{input}` is not a connection string or file path: {reason}")]
pub struct LocationError {
    /// The input with any password replaced.
    pub input: String,
    pub reason: String,
}

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const SQLITE_EXTENSIONS: &[&str] = &["db", "sqlite", "sqlite3", "db3"];

impl SourceLocation {
    /// Parses a connection string (`postgres://`, `mysql://`, `sqlite://`,
    /// `mongodb://`, `http(s)://`) or a path. Relative paths are resolved
    /// against `cwd`.
    pub fn parse(input: &str, cwd: &Path) -> Result<Self, LocationError> {
        let input = input.trim();
        let error = |reason: &str| LocationError {
            input: redact(input),
            reason: reason.to_owned(),
        };
        if input.is_empty() {
            return Err(error("it is empty"));
        }
        if let Some(rest) = input.strip_prefix("sqlite:") {
            // `sqlite://rel.db`, `sqlite:///abs.db`, `sqlite:rel.db`; options after `?` are ignored.
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let rest = rest.split('?').next().unwrap_or_default();
            if rest.is_empty() {
                return Err(error(
                    "it names no database file (try `sqlite://path/to/app.db`)",
                ));
            }
            return Ok(Self::Sqlite {
                path: cwd.join(rest),
            });
        }
        if let Some((scheme, _)) = input.split_once("://") {
            if matches!(
                scheme.to_ascii_lowercase().as_str(),
                "mongodb" | "mongodb+srv"
            ) {
                // The driver parses it when connecting, with its own messages.
                return Ok(Self::Mongodb {
                    url: input.to_owned(),
                });
            }
            let url = Url::parse(input).map_err(|e| error(&e.to_string()))?;
            return match scheme.to_ascii_lowercase().as_str() {
                "postgres" | "postgresql" => Ok(Self::Postgres { url }),
                "mysql" | "mariadb" => Ok(Self::Mysql { url }),
                "http" | "https" => Ok(Self::Http { url }),
                other => Err(error(&format!(
                    "unknown scheme `{other}` (expected postgres, mysql, sqlite, mongodb or https)"
                ))),
            };
        }
        let path = cwd.join(input);
        if is_sqlite_file(&path) {
            return Ok(Self::Sqlite { path });
        }
        Ok(Self::File { path })
    }

    /// The URL for a manifest's `[source] url`, never containing a password:
    /// a password is replaced by `${DATABASE_PASSWORD}`, to be supplied by
    /// the environment or `.env`.
    pub fn manifest_url(&self, original: &str) -> String {
        match self {
            Self::Mongodb { url } => replace_password(url, "${DATABASE_PASSWORD}"),
            Self::Postgres { url } | Self::Mysql { url } | Self::Http { url }
                if url.password().is_some() =>
            {
                let mut url = url.clone();
                // The placeholder is not URL-safe, so put it in by text after the fact.
                let _ = url.set_password(Some("BAAS_PASSWORD_PLACEHOLDER"));
                url.to_string()
                    .replace("BAAS_PASSWORD_PLACEHOLDER", "${DATABASE_PASSWORD}")
            }
            _ => original.trim().to_owned(),
        }
    }

    /// The password of the connection string as written in it (still
    /// percent-encoded), which `${DATABASE_PASSWORD}` in
    /// [`Self::manifest_url`] stands for.
    pub fn password(&self) -> Option<String> {
        match self {
            Self::Mongodb { url } => {
                let marker = "\u{0}";
                let replaced = replace_password(url, marker);
                let start = replaced.find(marker)?;
                let end = url.len() - (replaced.len() - start - marker.len());
                url.get(start..end).map(str::to_owned)
            }
            Self::Postgres { url } | Self::Mysql { url } | Self::Http { url } => {
                url.password().map(str::to_owned)
            }
            Self::Sqlite { .. } | Self::File { .. } => None,
        }
    }

    /// Whether the connection string carried a password.
    pub fn has_password(&self) -> bool {
        match self {
            Self::Mongodb { url } => replace_password(url, "") != *url,
            Self::Postgres { url } | Self::Mysql { url } | Self::Http { url } => {
                url.password().is_some()
            }
            Self::Sqlite { .. } | Self::File { .. } => false,
        }
    }
}

impl fmt::Display for SourceLocation {
    /// Shows host, database and user, never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite { path } | Self::File { path } => write!(f, "{}", path.display()),
            Self::Mongodb { url } => f.write_str(&redact(url)),
            Self::Postgres { url } | Self::Mysql { url } | Self::Http { url } => {
                f.write_str(&redact(url.as_str()))
            }
        }
    }
}

fn is_sqlite_file(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 16];
    let has_magic = std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut header))
        .is_ok()
        && header == SQLITE_MAGIC;
    has_magic
        || (!path.exists()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| SQLITE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())))
}

/// Replaces the password of anything that looks like a URL with `***`.
///
/// Works on text that is not a valid URL too (it is used on error messages),
/// by looking for `scheme://user:password@`.
pub fn redact(text: &str) -> String {
    replace_password(text, "***")
}

/// Replaces the password of every `scheme://user:password@` in `text`.
fn replace_password(text: &str, replacement: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let (before, after) = rest.split_at(scheme_end + 3);
        out.push_str(before);
        // The authority ends at the first `/`, `?`, `#` or whitespace; the
        // userinfo at its last `@`.
        let authority_end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push(':');
                        out.push_str(replacement);
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_in_urls_and_prose() {
        assert_eq!(
            redact("postgres://app:s3cr3t@db.example.com:5432/shop"),
            "postgres://app:***@db.example.com:5432/shop"
        );
        assert_eq!(
            redact("failed: mysql://root:p@ss@localhost/x and mongodb://u:v@h"),
            "failed: mysql://root:***@localhost/x and mongodb://u:***@h"
        );
        assert_eq!(redact("postgres://app@host/db"), "postgres://app@host/db");
        assert_eq!(redact("no url here"), "no url here");
    }

    #[test]
    fn parses_schemes_and_paths() {
        let cwd = Path::new("/work");
        assert_eq!(
            SourceLocation::parse("sqlite://chinook.db", cwd).unwrap(),
            SourceLocation::Sqlite {
                path: "/work/chinook.db".into()
            }
        );
        assert_eq!(
            SourceLocation::parse("sqlite:///tmp/a.db?mode=ro", cwd).unwrap(),
            SourceLocation::Sqlite {
                path: "/tmp/a.db".into()
            }
        );
        assert!(matches!(
            SourceLocation::parse("postgresql://u:p@h/db", cwd).unwrap(),
            SourceLocation::Postgres { .. }
        ));
        assert!(matches!(
            SourceLocation::parse("missing.sqlite3", cwd).unwrap(),
            SourceLocation::Sqlite { .. }
        ));
        assert!(matches!(
            SourceLocation::parse("schema.prisma", cwd).unwrap(),
            SourceLocation::File { .. }
        ));
        let error = SourceLocation::parse("ftp://u:secret@h/x", cwd).unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
    }

    #[test]
    fn mongodb_connection_strings_may_name_several_hosts() {
        let input = "mongodb://app:pw@a:27017,b:27018/shop?replicaSet=rs";
        let location = SourceLocation::parse(input, Path::new("/")).unwrap();
        assert!(location.has_password());
        assert_eq!(
            location.to_string(),
            "mongodb://app:***@a:27017,b:27018/shop?replicaSet=rs"
        );
        assert_eq!(
            location.manifest_url(input),
            "mongodb://app:${DATABASE_PASSWORD}@a:27017,b:27018/shop?replicaSet=rs"
        );
        assert_eq!(location.password().as_deref(), Some("pw"));
    }

    #[test]
    fn manifest_url_never_contains_the_password() {
        let cwd = Path::new("/");
        let input = "postgres://app:s3cr3t@db:5432/shop?sslmode=require";
        let location = SourceLocation::parse(input, cwd).unwrap();
        assert!(location.has_password());
        let written = location.manifest_url(input);
        assert_eq!(
            written,
            "postgres://app:${DATABASE_PASSWORD}@db:5432/shop?sslmode=require"
        );
        assert_eq!(location.password().as_deref(), Some("s3cr3t"));
        // Resolving the reference with the password gives the URL back.
        assert_eq!(
            written.replace("${DATABASE_PASSWORD}", &location.password().unwrap()),
            input
        );
        assert_eq!(
            location.to_string(),
            "postgres://app:***@db:5432/shop?sslmode=require"
        );
    }
}
