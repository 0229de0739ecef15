//! The fidelity ledger: everything a source had that the manifest could not
//! represent. Sources never drop anything silently; they write it here, and the
//! commands print it, put it in `--json` output and grade it (`--fail-on-lossy`).

use serde::Serialize;

/// What was lost, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LedgerEntry {
    /// The object concerned, e.g. `Track` or `Track.Name` or `trigger audit_log`.
    pub object: String,
    /// A short, stable category: `trigger`, `virtual_table`, `unparsed_ddl`, ...
    pub kind: String,
    /// One sentence for a human.
    pub message: String,
}

/// An ordered list of [`LedgerEntry`]s.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Ledger {
    entries: Vec<LedgerEntry>,
}

impl Ledger {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn record(
        &mut self,
        object: impl Into<String>,
        kind: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.entries.push(LedgerEntry {
            object: object.into(),
            kind: kind.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entries sorted by object, then kind, so output does not depend on the
    /// order in which a source happened to discover them.
    pub fn entries(&self) -> Vec<&LedgerEntry> {
        let mut sorted: Vec<&LedgerEntry> = self.entries.iter().collect();
        sorted.sort();
        sorted
    }

    pub fn extend(&mut self, other: Ledger) {
        self.entries.extend(other.entries);
    }
}
