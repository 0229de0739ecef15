//! The migrations folder: `migrations/NNNN_name/` holding `up.sql` and
//! `down.sql` (MongoDB: `up.json`, `down.json`) and `baas.toml`, the
//! manifest as it is after the migration.
//!
//! Folders are read in number order; names that do not fit are errors, not
//! skipped, so a misnamed migration is never silently left out. Dot-folders
//! (half-written ones) and plain files (a README) are ignored.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Target;
use super::split::{self, FileStatement};
use crate::manifest::{self, Manifest};

/// The snapshot file inside each migration folder.
pub const SNAPSHOT: &str = "baas.toml";

/// One `NNNN_name` folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationDir {
    pub number: u32,
    pub name: String,
    pub path: PathBuf,
}

impl MigrationDir {
    /// `0003_add_bio`
    pub fn id(&self) -> String {
        folder_name(self.number, &self.name)
    }

    pub fn up_path(&self, target: Target) -> PathBuf {
        self.path.join(script_name("up", target))
    }

    pub fn down_path(&self, target: Target) -> PathBuf {
        self.path.join(script_name("down", target))
    }

    pub fn snapshot_path(&self) -> PathBuf {
        self.path.join(SNAPSHOT)
    }
}

/// A migration with its up script read, ready for the runner.
#[derive(Debug, Clone)]
pub struct Migration {
    pub dir: MigrationDir,
    /// sha256 of the up file's bytes, lower-case hex.
    pub checksum: String,
    up: String,
    /// `[manifest].version` of the snapshot, when there is one.
    pub version: Option<u64>,
}

impl Migration {
    /// A migration that exists only in memory, `up` its script's text (the
    /// dev database's syncs, `migrate::sync`).
    pub fn in_memory(dir: MigrationDir, up: String, version: Option<u64>) -> Self {
        Self {
            dir,
            checksum: checksum(up.as_bytes()),
            up,
            version,
        }
    }

    pub fn number(&self) -> u32 {
        self.dir.number
    }

    pub fn id(&self) -> String {
        self.dir.id()
    }

    /// The statements of the up script.
    pub fn up_statements(&self, target: Target) -> Result<Vec<FileStatement>, FolderError> {
        statements(&self.up, &self.dir.up_path(target), target)
    }

    /// The statements of the down script (read now: it is needed only to undo).
    pub fn down_statements(&self, target: Target) -> Result<Vec<FileStatement>, FolderError> {
        let path = self.dir.down_path(target);
        let text = read(&path)?;
        statements(&text, &path, target)
    }
}

fn statements(text: &str, path: &Path, target: Target) -> Result<Vec<FileStatement>, FolderError> {
    split::split(text, target).map_err(|source| FolderError::Split {
        path: path.to_owned(),
        source,
    })
}

/// Something in the migrations folder is not as it should be.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("failed to read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a migration folder: expected `NNNN_name` (digits, `_`, then letters, digits, `_` or `-`)", path.display())]
    BadName { path: PathBuf },
    #[error("`{}` and `{}` have the same number", first.display(), second.display())]
    Duplicate { first: PathBuf, second: PathBuf },
    #[error("`{}` is missing", path.display())]
    Missing { path: PathBuf },
    #[error("`{}` cannot be cut into statements: {source}", path.display())]
    Split {
        path: PathBuf,
        #[source]
        source: split::SplitError,
    },
    #[error("failed to write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `up.sql`, `down.json`...
pub fn script_name(direction: &str, target: Target) -> String {
    match target {
        Target::Mongodb => format!("{direction}.json"),
        _ => format!("{direction}.sql"),
    }
}

/// `NNNN_name`, zero-padded to four digits.
pub fn folder_name(number: u32, name: &str) -> String {
    format!("{number:04}_{name}")
}

/// Whether `name` may follow the number in a folder name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Every migration folder under `dir`, by number; none when `dir` does not exist.
pub fn list(dir: &Path) -> Result<Vec<MigrationDir>, FolderError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(FolderError::Read {
                path: dir.to_owned(),
                source,
            });
        }
    };
    let mut found: Vec<MigrationDir> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| FolderError::Read {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.starts_with('.') || !path.is_dir() {
            continue;
        }
        let parsed = file_name.split_once('_').and_then(|(digits, name)| {
            let number = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse::<u32>().ok())
                .flatten()?;
            valid_name(name).then(|| (number, name.to_owned()))
        });
        let Some((number, name)) = parsed else {
            return Err(FolderError::BadName { path });
        };
        found.push(MigrationDir { number, name, path });
    }
    found.sort_by(|a, b| a.number.cmp(&b.number).then_with(|| a.name.cmp(&b.name)));
    for pair in found.windows(2) {
        if pair[0].number == pair[1].number {
            return Err(FolderError::Duplicate {
                first: pair[0].path.clone(),
                second: pair[1].path.clone(),
            });
        }
    }
    Ok(found)
}

/// Every migration under `dir` with its up script for `target` read.
pub fn load(dir: &Path, target: Target) -> Result<Vec<Migration>, FolderError> {
    list(dir)?
        .into_iter()
        .map(|dir| {
            let up_path = dir.up_path(target);
            let bytes = match std::fs::read(&up_path) {
                Ok(bytes) => bytes,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    return Err(FolderError::Missing { path: up_path });
                }
                Err(source) => {
                    return Err(FolderError::Read {
                        path: up_path,
                        source,
                    });
                }
            };
            let checksum = checksum(&bytes);
            let up = String::from_utf8_lossy(&bytes).into_owned();
            let version = std::fs::read_to_string(dir.snapshot_path())
                .ok()
                .and_then(|text| manifest::load::load_header(&dir.snapshot_path(), &text))
                .map(|header| header.version);
            Ok(Migration {
                dir,
                checksum,
                up,
                version,
            })
        })
        .collect()
}

/// sha256 of `bytes` as lower-case hex.
pub fn checksum(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

fn read(path: &Path) -> Result<String, FolderError> {
    std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            FolderError::Missing {
                path: path.to_owned(),
            }
        } else {
            FolderError::Read {
                path: path.to_owned(),
                source,
            }
        }
    })
}

/// The newest migration that has a snapshot, and the snapshot.
pub fn latest_snapshot(dir: &Path) -> anyhow::Result<Option<(MigrationDir, Manifest)>> {
    for migration in list(dir)?.into_iter().rev() {
        let path = migration.snapshot_path();
        if path.is_file() {
            let snapshot = manifest::load_file(&path)?.manifest;
            return Ok(Some((migration, snapshot)));
        }
    }
    Ok(None)
}

/// The number the next migration gets.
pub fn next_number(existing: &[MigrationDir]) -> u32 {
    existing.last().map_or(1, |m| m.number + 1)
}

/// Writes a new migration folder with `files` (name, content). The folder
/// is filled under a dot-name and renamed into place, so a crash never
/// leaves half a migration that `apply` would run.
pub fn write(
    dir: &Path,
    number: u32,
    name: &str,
    files: &[(String, String)],
) -> Result<PathBuf, FolderError> {
    let final_path = dir.join(folder_name(number, name));
    let staging = dir.join(format!(
        ".{}.tmp-{}",
        folder_name(number, name),
        std::process::id()
    ));
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| FolderError::Write { path, source }
    };
    std::fs::create_dir_all(&staging).map_err(write_error(&staging))?;
    for (file, content) in files {
        let path = staging.join(file);
        std::fs::write(&path, content).map_err(write_error(&path))?;
    }
    if final_path.exists() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(FolderError::Write {
            path: final_path,
            source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "it already exists"),
        });
    }
    std::fs::rename(&staging, &final_path).map_err(write_error(&final_path))?;
    Ok(final_path)
}

/// Sets `[manifest] version` in the manifest text, changing nothing else
/// (comments, order and spacing stay as the user wrote them).
pub fn set_version(text: &str, version: u64) -> Result<String, toml_edit::TomlError> {
    let mut document: toml_edit::DocumentMut = text.parse()?;
    let value = i64::try_from(version).unwrap_or(i64::MAX);
    let table = document
        .entry("manifest")
        .or_insert_with(toml_edit::table)
        .as_table_like_mut();
    if let Some(table) = table {
        let mut new = toml_edit::Value::from(value);
        match table.get_mut("version") {
            // In place, so the key keeps its spacing and the value its comment.
            Some(item) => {
                if let Some(old) = item.as_value() {
                    *new.decor_mut() = old.decor().clone();
                }
                *item = toml_edit::Item::Value(new);
            }
            None => {
                table.insert("version", toml_edit::Item::Value(new));
            }
        }
    }
    Ok(document.to_string())
}

/// Writes `text` to `path` beside-then-rename, so a crash never leaves half a file.
pub fn replace_file(path: &Path, text: &str) -> Result<(), FolderError> {
    let temporary = path.with_extension("toml.tmp");
    std::fs::write(&temporary, text).map_err(|source| FolderError::Write {
        path: temporary.clone(),
        source,
    })?;
    std::fs::rename(&temporary, path).map_err(|source| FolderError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_changes_alone() {
        let text = "# my project\n[manifest]\nformat = 1\nversion   = 4 # bumped by plan\n\n[project]\nname = \"x\"\n";
        assert_eq!(
            set_version(text, 5).unwrap(),
            "# my project\n[manifest]\nformat = 1\nversion   = 5 # bumped by plan\n\n[project]\nname = \"x\"\n"
        );
        let without = "[manifest]\nformat = 1\n";
        assert_eq!(
            set_version(without, 2).unwrap(),
            "[manifest]\nformat = 1\nversion = 2\n"
        );
    }

    #[test]
    fn checksums_are_sha256_hex() {
        assert_eq!(
            checksum(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn lists_by_number_and_rejects_strays() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["0002_b", "0001_a", "0010_c", ".0011_d.tmp-1"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("README.md"), "").unwrap();
        let ids: Vec<String> = list(dir.path()).unwrap().iter().map(|m| m.id()).collect();
        assert_eq!(ids, ["0001_a", "0002_b", "0010_c"]);
        assert_eq!(next_number(&list(dir.path()).unwrap()), 11);
        std::fs::create_dir(dir.path().join("0002_again")).unwrap();
        assert!(matches!(
            list(dir.path()),
            Err(FolderError::Duplicate { .. })
        ));
        std::fs::remove_dir(dir.path().join("0002_again")).unwrap();
        std::fs::create_dir(dir.path().join("notes")).unwrap();
        assert!(matches!(list(dir.path()), Err(FolderError::BadName { .. })));
    }
}
