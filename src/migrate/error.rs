//! What can go wrong while migrating, each with its exit code and a hint.

use crate::ExitStatus;

/// What to do when the database refuses for lack of a privilege.
pub const DENIED_HINT: &str = "the role in the connection string lacks a privilege this needs: \
     grant it (e.g. `GRANT CREATE ON SCHEMA public TO app`) or connect as a role that has it";

/// A migration command could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The database could not be reached or opened (exit 3).
    #[error("cannot connect to `{target}`: {reason}")]
    Connect { target: String, reason: String },
    /// Another runner kept the migration lock longer than we waited (exit 3).
    #[error("another `baas migrate` held the migration lock of `{target}` for {seconds} s")]
    LockTimeout { target: String, seconds: u64 },
    /// The migrations folder, as it is, must not be applied (exit 2).
    #[error("{message}")]
    Refused { message: String, hint: String },
    /// A statement failed; what ran and what was undone is in the hint (exit 2).
    #[error("{message}")]
    Failed { message: String, hint: String },
    /// The migrations folder is not readable as migrations (exit 2).
    #[error(transparent)]
    Folder(#[from] super::folder::FolderError),
    /// The database refused: the role lacks a privilege this needs (exit 3).
    #[error("{message}")]
    Denied { message: String, hint: String },
    /// The database answered something unexpected (exit 4).
    #[error("{0}")]
    Database(String),
}

impl MigrateError {
    pub fn refused(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::Refused {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// A refusal for lack of a privilege, with the usual hint.
    pub fn denied(reason: impl Into<String>) -> Self {
        Self::Denied {
            message: format!("the database refused: {}", reason.into()),
            hint: DENIED_HINT.to_owned(),
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Self::Connect { .. } | Self::LockTimeout { .. } | Self::Denied { .. } => {
                ExitStatus::CannotConnect
            }
            Self::Refused { .. } | Self::Failed { .. } | Self::Folder(_) => ExitStatus::BadInput,
            Self::Database(_) => ExitStatus::Internal,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Connect { .. } => Some(
                "check that the database exists and that the URL is right (--db, \
                 BAAS_DATABASE_URL or `[source] url` of baas.toml)"
                    .into(),
            ),
            Self::LockTimeout { .. } => Some(
                "wait for the other run to finish, or raise --lock-timeout; a runner that died \
                 releases the lock by itself"
                    .into(),
            ),
            Self::Refused { hint, .. } | Self::Failed { hint, .. } | Self::Denied { hint, .. } => {
                Some(hint.clone())
            }
            Self::Folder(_) => Some(
                "each migration is a folder `NNNN_name` under the migrations folder, with `up.sql` \
                 and `down.sql` (MongoDB: `up.json` and `down.json`) and a `baas.toml` snapshot"
                    .into(),
            ),
            Self::Database(_) => None,
        }
    }
}
