//! Resolution of values that come from several places: command-line flags,
//! `baas.toml`, the process environment and a `.env` file beside the manifest.
//! Process environment wins over `.env`, as with most dotenv tools.

use std::collections::HashMap;
use std::path::Path;

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
                crate::diagnostics::UsageError::new(format!(
                    "cannot read `{}`: {e}",
                    path.display()
                ))
            })?;
            for entry in entries {
                let (key, value) = entry.map_err(|e| {
                    crate::diagnostics::UsageError::new(format!(
                        "`{}` is malformed: {e}",
                        path.display()
                    ))
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
