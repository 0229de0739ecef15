//! `baas serve` on PostgreSQL, MariaDB and the MongoDB-wire server: the same HTTP suite as SQLite.
