//! A throwaway database on the MongoDB-wire test server
//! (`BAAS_TEST_MONGODB_URL`).

#![allow(dead_code)]

use url::Url;

use super::{block_on_quietly, server_url, unique_name};

/// A database of its own for one test, dropped when this value is. MongoDB
/// creates a database on its first write, so creating one is only picking a
/// name no other test uses.
pub struct TempDatabase {
    base: String,
    name: String,
    url: String,
}

impl TempDatabase {
    /// `None` when no server is configured outside CI (see [`server_url`]).
    pub fn create(label: &str) -> Option<Self> {
        let base = server_url("BAAS_TEST_MONGODB_URL")?;
        let name = unique_name(label);
        let mut url = Url::parse(&base)
            .unwrap_or_else(|error| panic!("BAAS_TEST_MONGODB_URL `{base}` is not a URL: {error}"));
        url.set_path(&format!("/{name}"));
        Some(Self {
            base,
            name,
            url: url.to_string(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `mongodb://…/<name>?…`: the server's URL with this database's name.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client on the caller's runtime (the driver's background tasks run
    /// there).
    pub async fn client(&self) -> mongodb::Client {
        mongodb::Client::with_uri_str(&self.base)
            .await
            .unwrap_or_else(|error| panic!("cannot reach the MongoDB test server: {error}"))
    }

    /// This database, through a new client on the caller's runtime.
    pub async fn connect(&self) -> mongodb::Database {
        self.client().await.database(&self.name)
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        // A client of its own: the test's may be tied to a runtime that is
        // gone or unwinding.
        let (base, name) = (self.base.clone(), self.name.clone());
        block_on_quietly(async move {
            if let Ok(client) = mongodb::Client::with_uri_str(&base).await {
                let _ = client.database(&name).drop().await;
            }
        });
    }
}
