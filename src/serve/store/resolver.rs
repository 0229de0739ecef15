//! Which store serves an operation: the resolver hands out the store of a
//! tenant (or of the deployment, when there are no tenants). [`Single`]
//! serves one database; `tenancy::resolver` serves a store per tenant.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::{Store, StoreError};

/// Hands out the store for a tenant.
pub trait StoreResolver: Send + Sync + 'static {
    /// The store for `tenant` (`None`: no tenant, the deployment's own).
    fn resolve<'a>(
        &'a self,
        tenant: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Arc<dyn Store>, StoreError>>;

    /// The store of the deployment itself (health checks, no tenant).
    fn default_store(&self) -> Arc<dyn Store>;

    /// Whether requests for `tenant` are served (asked before any work, so
    /// an unknown tenant is a 404 whatever the route).
    fn admit<'a>(&'a self, tenant: &'a str) -> BoxFuture<'a, Result<(), Refusal>> {
        let _ = tenant;
        Box::pin(async { Err(Refusal::NoTenants) })
    }

    /// The tenants' registry was written around the resolver (a PATCH of
    /// `/api/_system`): what it keeps of the tenants is forgotten.
    fn forget_tenants(&self) {}

    /// The tenants' administration (`/api/_tenants`); `None` without
    /// tenants.
    fn admin(&self) -> Option<&dyn TenantAdmin> {
        None
    }
}

/// What `/api/_tenants` asks of a tenanted deployment (the same
/// provisioning as `baas tenants`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantCommand {
    List,
    Show(String),
    Create {
        slug: String,
        name: Option<String>,
        /// Connections the tenant's pool holds at most.
        pool_size: Option<u64>,
    },
    Activate(String),
    Deactivate(String),
    Drop(String),
}

/// Why a [`TenantCommand`] was not done: an HTTP status, the problem type
/// and what to tell the caller (never a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRefusal {
    pub status: u16,
    pub kind: &'static str,
    pub detail: String,
}

/// Runs [`TenantCommand`]s: the tenants as JSON, or a refusal.
pub trait TenantAdmin: Send + Sync {
    fn run(
        &self,
        command: TenantCommand,
    ) -> BoxFuture<'_, Result<serde_json::Value, TenantRefusal>>;

    /// The registry's store, served at `/api/_system` (opened once).
    fn registry_store(&self) -> BoxFuture<'_, Result<Arc<dyn Store>, StoreError>>;

    /// Tenant `slug` was deactivated around the resolver (a PATCH of
    /// `/api/_system`): its open store is closed at once, as
    /// `/api/_tenants` does.
    fn deactivated(&self, slug: &str);
}

/// Why requests for a tenant are not served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The deployment has no tenants.
    NoTenants,
    /// No such tenant (or its provisioning did not finish).
    Unknown,
    /// The tenant is deactivated.
    Inactive,
    /// Its registry or database cannot be reached now.
    Unavailable(String),
}

/// One database for every operation.
pub struct Single(pub Arc<dyn Store>);

impl StoreResolver for Single {
    fn resolve<'a>(
        &'a self,
        tenant: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Arc<dyn Store>, StoreError>> {
        Box::pin(async move {
            match tenant {
                None => Ok(self.0.clone()),
                Some(tenant) => Err(StoreError::Query(crate::query::QueryError {
                    at: "tenant".into(),
                    message: format!(
                        "this server has no tenants, so tenant `{tenant}` cannot be served"
                    ),
                })),
            }
        })
    }

    fn default_store(&self) -> Arc<dyn Store> {
        self.0.clone()
    }
}
