//! A throwaway SQLite database: a file in a temporary directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use tempfile::TempDir;

/// A database file of its own for one test, removed with its directory
/// when this value is dropped.
pub struct TempDatabase {
    dir: TempDir,
    path: PathBuf,
}

impl TempDatabase {
    /// An empty database named `file` in a new temporary directory.
    pub fn create(file: &str) -> Self {
        let dir = TempDir::new().expect("a temporary directory");
        let path = dir.path().join(file);
        Connection::open(&path)
            .unwrap_or_else(|error| panic!("cannot create `{}`: {error}", path.display()));
        Self { dir, path }
    }

    /// A database named `file` built by running `script` through rusqlite.
    pub fn with_script(file: &str, script: &str) -> Self {
        let database = Self::create(file);
        database
            .connect()
            .execute_batch(script)
            .unwrap_or_else(|error| panic!("the script fails on `{file}`: {error}"));
        database
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary directory the file is in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn connect(&self) -> Connection {
        Connection::open(&self.path)
            .unwrap_or_else(|error| panic!("cannot open `{}`: {error}", self.path.display()))
    }
}
