//! All integration tests, compiled into one binary (`cargo test --test it`).

mod support;

mod cli;
mod completions;
mod manifest;
mod mongo;
mod mysql;
mod postgres;
mod sqlite;
