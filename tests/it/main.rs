//! All integration tests, compiled into one binary (`cargo test --test it`).

mod support;

mod auth;
mod cli;
mod cli_edges;
mod codegen;
mod completions;
mod diff;
mod hardening_cli;
mod hooks;
mod import_data;
mod import_graphql;
mod import_jsonschema;
mod import_openapi;
mod import_prisma;
mod import_sql;
mod kernel;
mod layout;
mod manifest;
mod migrate;
mod migrate_render;
mod mongo;
mod mysql;
mod postgres;
mod postgrest;
mod query;
mod realtime;
mod rules;
mod serve;
mod serve_engines;
mod sqlite;
mod studio;
mod tenancy;
mod tenancy_db;
mod tenancy_row;
mod webhooks;
