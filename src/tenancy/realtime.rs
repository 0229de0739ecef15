//! `[realtime] external = true` for schema tenants: each tenant's schema
//! gets the trigger function and triggers of the manifest
//! ([`crate::realtime::postgres::install`]) after its migrations, when it
//! is provisioned and on every `migrate apply --tenants`; `check
//! --tenants` compares each tenant with them ([`expected`]). Database
//! tenants get theirs from the migrations, as a single database does.

use std::borrow::Cow;

use super::{Place, TenancyError, Tenants};
use crate::manifest::Manifest;
use crate::realtime::postgres::Installed;
use crate::source::{SourceLocation, redact};

/// Makes (or removes) the realtime objects in tenant `tenant`'s schema to
/// match the manifest (what it made and dropped); nothing for a tenant
/// that is not a schema.
pub async fn install(
    tenants: &Tenants,
    tenant: &str,
    place: &Place,
) -> Result<Installed, TenancyError> {
    let Place::Schema { schema, .. } = place else {
        return Ok(Installed::default());
    };
    let SourceLocation::Postgres { url } = place.connection(tenants)? else {
        return Ok(Installed::default());
    };
    let installed = crate::realtime::postgres::install(&url, schema, &tenants.manifest)
        .await
        .map_err(|error| {
            TenancyError::Database(format!(
                "tenant `{tenant}`: making the realtime triggers of `[realtime] external` failed: {}",
                redact(&error.to_string())
            ))
        })?;
    if !installed.is_empty() {
        tracing::info!(
            target: "baas::tenancy",
            tenant,
            made = ?installed.made,
            dropped = ?installed.dropped,
            "realtime triggers brought up to the manifest"
        );
    }
    Ok(installed)
}

/// The manifest as tenant `place`'s database should be: a schema tenant's
/// with its own realtime objects.
pub fn expected<'m>(tenants: &'m Tenants, place: &Place) -> Cow<'m, Manifest> {
    match place {
        Place::Schema { schema, .. } => {
            crate::realtime::for_tenant_schema(&tenants.manifest, schema)
        }
        _ => Cow::Borrowed(&tenants.manifest),
    }
}
