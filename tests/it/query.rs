//! The query language: parsing, typing and SQL/BSON building.
