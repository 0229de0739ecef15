//! Resolution of values that come from several places: command-line flags,
//! `baas.toml`, the process environment and a `.env` file beside the manifest.
//! Process environment wins over `.env`, as with most dotenv tools. Also
//! where secrets are written. The connect timeout every engine uses lives in
//! [`crate::connect`] (the engines import it; this module sits above them).

use std::collections::HashMap;
use std::path::Path;

pub use crate::connect::{
    ConnectTimedOut, DEFAULT_CONNECT_TIMEOUT, connect_timeout, mongodb_addresses,
    refuse_closed_ports, within_connect_timeout,
};
use crate::manifest::interpolate::{self, InterpolationError};

/// The variables `${VAR}` references can see.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    dotenv: HashMap<String, String>,
}

impl Environment {
    /// Reads `dir/.env` when it exists. A malformed `.env` is an error naming it.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(".env");
        let mut dotenv = HashMap::new();
        if path.is_file() {
            let entries = dotenvy::from_path_iter(&path).map_err(|e| {
                crate::error::UsageError::new(format!("cannot read `{}`: {e}", path.display()))
            })?;
            for entry in entries {
                let (key, value) = entry.map_err(|e| {
                    crate::error::UsageError::new(format!("`{}` is malformed: {e}", path.display()))
                })?;
                dotenv.insert(key, value);
            }
        }
        Ok(Self { dotenv })
    }

    /// The value of `name`: the process environment first, then `.env`.
    pub fn get(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .or_else(|| self.dotenv.get(name).cloned())
    }

    /// `text` with every `${VAR}` replaced.
    pub fn interpolate(&self, text: &str) -> Result<String, InterpolationError> {
        interpolate::resolve(text, |name| self.get(name))
    }

    /// The referenced variables of `text` that are set nowhere.
    pub fn missing(&self, text: &str) -> Vec<String> {
        interpolate::variables(text)
            .into_iter()
            .filter(|name| self.get(name).is_none())
            .collect()
    }
}

/// The variable a connection string's password is moved to: `baas.toml`
/// records `postgres://app:${DATABASE_PASSWORD}@host/db` and `.env` beside it
/// holds `DATABASE_PASSWORD='...'`. `init` and `introspect` both follow it.
pub const PASSWORD_VARIABLE: &str = "DATABASE_PASSWORD";

/// What [`set_dotenv`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DotenvWrite {
    /// `.env` did not define the variable; it does now.
    Added,
    /// `.env` already had this value.
    Unchanged,
    /// `.env` had another value for it; the line now holds the new one.
    Replaced,
}

/// Sets `key` to `value` in `dir/.env`, keeping every other line.
///
/// A new `.env` is created readable by its owner only (mode 0600 on Unix);
/// an existing one keeps its mode (it is never widened). The file is written
/// beside and renamed, so a crash never leaves half of it.
pub fn set_dotenv(dir: &Path, key: &str, value: &str) -> anyhow::Result<DotenvWrite> {
    let path = dir.join(".env");
    let write_error = |e: std::io::Error| {
        anyhow::Error::new(e).context(format!("failed to write `{}`", path.display()))
    };
    let (existing, permissions) = match std::fs::read_to_string(&path) {
        Ok(text) => (
            Some(text),
            std::fs::metadata(&path).ok().map(|m| m.permissions()),
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => (None, None),
        Err(error) => {
            return Err(
                anyhow::Error::new(error).context(format!("failed to read `{}`", path.display()))
            );
        }
    };
    let current = Environment::load(dir)?.dotenv.get(key).cloned();
    if current.as_deref() == Some(value) {
        return Ok(DotenvWrite::Unchanged);
    }
    let line = format!("{key}={}", dotenv_quote(value));
    let mut text = String::new();
    let mut replaced = false;
    for existing_line in existing.as_deref().unwrap_or_default().lines() {
        if defines(existing_line, key) {
            if !replaced {
                text.push_str(&line);
                text.push('\n');
            }
            replaced = true;
        } else {
            text.push_str(existing_line);
            text.push('\n');
        }
    }
    if !replaced {
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::create_dir_all(dir).map_err(write_error)?;
    let temporary = dir.join(".env.baas-tmp");
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let written = (|| {
        use std::io::Write as _;
        let mut file = options.open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Some(permissions) = permissions {
            std::fs::set_permissions(&temporary, permissions)?;
        }
        std::fs::rename(&temporary, &path)
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(write_error(error));
    }
    Ok(if current.is_some() {
        DotenvWrite::Replaced
    } else {
        DotenvWrite::Added
    })
}

/// Whether a `.env` line defines `key` (`KEY=`, `export KEY =`).
fn defines(line: &str, key: &str) -> bool {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    line.strip_prefix(key)
        .is_some_and(|rest| rest.trim_start().starts_with('='))
}

/// A `.env` value dotenv reads back verbatim: single quotes (no `$`
/// expansion, no escapes), or double quotes with escapes when the value has
/// a single quote.
fn dotenv_quote(value: &str) -> String {
    if value.contains('\'') {
        format!(
            "\"{}\"",
            value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('$', "\\$")
        )
    } else {
        format!("'{value}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_dotenv_round_trips_awkward_values_and_keeps_other_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "OTHER=1\n# note\n").unwrap();
        for value in ["p@ss:w/rd", "it's $HOME \"quoted\" \\", "plain"] {
            set_dotenv(dir.path(), "DATABASE_PASSWORD", value).unwrap();
            let environment = Environment::load(dir.path()).unwrap();
            assert_eq!(
                environment
                    .dotenv
                    .get("DATABASE_PASSWORD")
                    .map(String::as_str),
                Some(value)
            );
            assert_eq!(
                environment.dotenv.get("OTHER").map(String::as_str),
                Some("1")
            );
        }
        let text = std::fs::read_to_string(dir.path().join(".env")).unwrap();
        assert_eq!(text.matches("DATABASE_PASSWORD").count(), 1, "{text}");
        assert!(text.contains("# note"), "{text}");
        assert_eq!(
            set_dotenv(dir.path(), "DATABASE_PASSWORD", "plain").unwrap(),
            DotenvWrite::Unchanged
        );
    }

    #[cfg(unix)]
    #[test]
    fn set_dotenv_creates_a_private_file_and_never_widens_one() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        set_dotenv(dir.path(), "A", "1").unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        set_dotenv(dir.path(), "B", "2").unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o400
        );
    }
}
