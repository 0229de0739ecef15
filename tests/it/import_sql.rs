//! Schema-file import tests (in progress).
