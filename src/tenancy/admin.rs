//! `/api/_tenants` on the tenancy side: the HTTP layer's
//! [`TenantCommand`]s run through the same provisioning as `baas tenants`
//! ([`super::provision`]), and a tenant dropped or deactivated loses its
//! open pool at once.

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Value as Json, json};

use super::resolver::TenantResolver;
use super::{PoolOptions, Slug, TenancyError, Tenants, provision, record_json};
use crate::serve::store::resolver::{TenantAdmin, TenantCommand, TenantRefusal};
use crate::source::redact;

impl TenantAdmin for TenantResolver {
    fn run(&self, command: TenantCommand) -> BoxFuture<'_, Result<Json, TenantRefusal>> {
        Box::pin(async move { self.command(command).await.map_err(refusal) })
    }

    fn registry_store(
        &self,
    ) -> BoxFuture<'_, Result<Arc<dyn crate::serve::store::Store>, crate::serve::store::StoreError>>
    {
        Box::pin(TenantResolver::registry_store(self))
    }

    fn deactivated(&self, slug: &str) {
        self.pools().close(slug);
    }
}

impl TenantResolver {
    async fn command(&self, command: TenantCommand) -> Result<Json, TenancyError> {
        let tenants = self.tenants();
        match command {
            TenantCommand::List => {
                let records = tenants.registry.list()?;
                Ok(json!({ "tenants": records.iter().map(record_json).collect::<Vec<_>>() }))
            }
            TenantCommand::Show(slug) => Ok(record_json(&tenants.record(&Slug::parse(&slug)?)?)),
            TenantCommand::Create {
                slug,
                name,
                pool_size,
            } => {
                let slug = Slug::parse(&slug)?;
                let pool = PoolOptions::with_pool_size(pool_size)?;
                let record = on_a_thread(tenants, move |tenants| async move {
                    provision::create(&tenants, &slug, name.as_deref(), pool).await
                })
                .await?;
                Ok(record_json(&record))
            }
            TenantCommand::Activate(slug) => {
                let record = provision::set_active(tenants, &Slug::parse(&slug)?, true)?;
                Ok(record_json(&record))
            }
            TenantCommand::Deactivate(slug) => {
                let slug = Slug::parse(&slug)?;
                let record = provision::set_active(tenants, &slug, false)?;
                self.pools().close(slug.as_str());
                Ok(record_json(&record))
            }
            TenantCommand::Drop(slug) => {
                let slug = Slug::parse(&slug)?;
                self.pools().close(slug.as_str());
                let dropped = slug.clone();
                let (record, deleted) = on_a_thread(tenants, move |tenants| async move {
                    provision::drop(&tenants, &dropped, false).await
                })
                .await?;
                self.pools().close(slug.as_str());
                let mut answer = json!({ "dropped": record_json(&record) });
                if let Some(deleted) = deleted {
                    answer["deleted"] = super::rows::deleted_json(&deleted);
                }
                Ok(answer)
            }
        }
    }
}

/// Runs `work` on a blocking thread of its own: the migration runners'
/// futures are not `Send`, so provisioning cannot run on a request's task.
async fn on_a_thread<T, F, Fut>(tenants: &Arc<Tenants>, work: F) -> Result<T, TenancyError>
where
    F: FnOnce(Arc<Tenants>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, TenancyError>>,
    T: Send + 'static,
{
    let tenants = Arc::clone(tenants);
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(work(tenants)))
        .await
        .map_err(|error| TenancyError::Database(format!("the provisioning stopped: {error}")))?
}

/// A tenancy error as `/api/_tenants` answers it.
fn refusal(error: TenancyError) -> TenantRefusal {
    let (status, kind) = match &error {
        TenancyError::InvalidSlug(_) | TenancyError::Reserved(_) => (400, "invalid-slug"),
        TenancyError::Unknown(_) => (404, "unknown-tenant"),
        TenancyError::Exists(_) => (409, "tenant-exists"),
        TenancyError::Refused { .. } => (409, "tenant-refused"),
        TenancyError::Migrate(_) => (422, "provisioning-failed"),
        TenancyError::Registry { .. } | TenancyError::Database(_) => (503, "tenant-unavailable"),
    };
    let mut detail = error.to_string();
    if let Some(hint) = error.hint() {
        detail.push_str(&format!(" ({hint})"));
    }
    TenantRefusal {
        status,
        kind,
        detail: redact(&detail),
    }
}
