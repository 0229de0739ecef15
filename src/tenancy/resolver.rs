//! The kernel's store resolver for a tenanted deployment: the tenant's
//! registry row says where its rows are, and [`Pools`] keeps its store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;

use super::pools::{self, Pools};
use super::{Place, Tenants};
use crate::backend::Backend;
use crate::query::QueryError;
use crate::serve::store::postgres::PostgresStore;
use crate::serve::store::resolver::{Refusal, StoreResolver, TenantAdmin};
use crate::serve::store::{Store, StoreError};

/// Hands out the store of the tenant an operation runs for.
pub struct TenantResolver {
    tenants: Arc<Tenants>,
    pools: Pools,
    /// The deployment's own store (health, built-in users).
    default: Arc<dyn Store>,
    /// One pool per PostgreSQL server of schema tenants, by its URL: a
    /// schema tenant's store is that pool entering its schema per
    /// transaction, so a thousand tenants need no thousand pools.
    servers: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<PostgresStore>>>>,
    /// The registry's own store (`/api/_system`), opened by its first use.
    registry: tokio::sync::OnceCell<Arc<dyn Store>>,
}

impl TenantResolver {
    pub fn new(tenants: Arc<Tenants>, default: Arc<dyn Store>) -> Self {
        let tenancy = tenants.manifest.tenancy.clone().unwrap_or_default();
        let cap = tenancy.max_pools.map_or(pools::DEFAULT_CAP, |n| {
            usize::try_from(n).unwrap_or(usize::MAX)
        });
        let idle = tenancy
            .idle_seconds
            .map_or(pools::DEFAULT_IDLE, Duration::from_secs);
        Self {
            tenants,
            pools: Pools::new(cap, idle),
            default,
            servers: Mutex::default(),
            registry: tokio::sync::OnceCell::new(),
        }
    }

    /// The store of schema `schema` on the server at `url`, over the
    /// server's shared pool (opened by the first of its tenants).
    async fn schema_store(
        &self,
        url: &url::Url,
        schema: &str,
    ) -> Result<Arc<dyn Store>, StoreError> {
        let cell = self
            .servers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(url.to_string())
            .or_default()
            .clone();
        let server = cell
            .get_or_try_init(|| PostgresStore::connect(url.as_str(), &self.tenants.manifest))
            .await?;
        Ok(Arc::new(server.in_schema(schema)))
    }

    pub fn pools(&self) -> &Pools {
        &self.pools
    }

    pub fn tenants(&self) -> &Arc<Tenants> {
        &self.tenants
    }

    /// The store of the registry's database, served as tenant `system`
    /// (`/api/_system`).
    pub async fn registry_store(&self) -> Result<Arc<dyn Store>, StoreError> {
        self.registry
            .get_or_try_init(|| async {
                let location = self
                    .registry_location()
                    .map_err(|message| StoreError::Unavailable(anyhow::anyhow!(message)))?;
                let Some(backend) = Backend::of(&location) else {
                    return Err(StoreError::Unavailable(anyhow::anyhow!(
                        "the tenant registry is not in a database"
                    )));
                };
                let manifest = crate::serve::http::system::manifest(&self.tenants.manifest);
                backend.store(&manifest).await
            })
            .await
            .cloned()
    }

    /// Where `[tenancy] registry` is (as `registry::open` reads it).
    fn registry_location(&self) -> Result<crate::source::SourceLocation, String> {
        let written = self
            .tenants
            .manifest
            .tenancy
            .as_ref()
            .and_then(|tenancy| tenancy.registry.as_deref());
        let Some(written) = written else {
            return Ok(crate::source::SourceLocation::Sqlite {
                path: self.tenants.dir.join(".baas").join("registry.sqlite3"),
            });
        };
        let resolved = self
            .tenants
            .env
            .interpolate(written)
            .map_err(|error| format!("`[tenancy] registry`: {error}"))?;
        crate::source::SourceLocation::parse(&resolved, &self.tenants.dir)
            .map_err(|error| crate::source::redact(&error.to_string()))
    }

    /// The registry's row of `tenant`, when it is served ([`Registry::lookup`]:
    /// cached by a PostgreSQL registry, never holding the request's thread).
    ///
    /// [`Registry::lookup`]: super::Registry::lookup
    async fn record(&self, tenant: &str) -> Result<super::TenantRecord, Refusal> {
        match self.tenants.registry.lookup(tenant).await {
            Ok(Some(record)) if record.serves() => Ok(record),
            Ok(Some(record)) if record.ready => Err(Refusal::Inactive),
            Ok(_) => Err(Refusal::Unknown),
            Err(error) => Err(Refusal::Unavailable(error.to_string())),
        }
    }
}

fn not_served(tenant: &str) -> StoreError {
    StoreError::Query(QueryError {
        at: "tenant".into(),
        message: format!("there is no tenant `{tenant}`"),
    })
}

impl StoreResolver for TenantResolver {
    fn resolve<'a>(
        &'a self,
        tenant: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Arc<dyn Store>, StoreError>> {
        Box::pin(async move {
            let Some(tenant) = tenant else {
                return Err(StoreError::Query(QueryError {
                    at: "tenant".into(),
                    message: "this API serves tenants: name the tenant of the request (see `[tenancy] resolve` in baas.toml)".into(),
                }));
            };
            let record = match self.record(tenant).await {
                Ok(record) => record,
                Err(Refusal::Unavailable(reason)) => {
                    return Err(StoreError::Unavailable(anyhow::anyhow!(reason)));
                }
                Err(_) => {
                    self.pools.close(tenant);
                    return Err(not_served(tenant));
                }
            };
            // Row tenants share the deployment's store; the kernel keeps
            // each to its rows.
            if matches!(Place::parse(&record.location), Place::Row { .. }) {
                return Ok(self.default.clone());
            }
            self.pools
                .get(tenant, &record.location, || async {
                    let place = Place::parse(&record.location);
                    if let Some(server) = place.schema_server(&self.tenants) {
                        let (url, schema) =
                            server.map_err(|error| StoreError::Unavailable(error.into()))?;
                        return self.schema_store(&url, schema).await;
                    }
                    let location = place
                        .connection(&self.tenants)
                        .map_err(|error| StoreError::Unavailable(error.into()))?;
                    let Some(backend) = Backend::of(&location) else {
                        return Err(StoreError::Internal(anyhow::anyhow!(
                            "tenant `{tenant}` has no database at `{}`",
                            place.shown()
                        )));
                    };
                    backend
                        .store_sized(&self.tenants.manifest, record.pool().pool_size)
                        .await
                })
                .await
        })
    }

    fn admit<'a>(&'a self, tenant: &'a str) -> BoxFuture<'a, Result<(), Refusal>> {
        Box::pin(async move { self.record(tenant).await.map(|_| ()) })
    }

    fn forget_tenants(&self) {
        self.tenants.registry.forget(None);
    }

    fn default_store(&self) -> Arc<dyn Store> {
        self.default.clone()
    }

    fn admin(&self) -> Option<&dyn TenantAdmin> {
        Some(self)
    }
}
