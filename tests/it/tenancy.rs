//! Multi-tenancy (DESIGN.md §5b "Tenancy"): the `[tenancy]` section, the
//! registry and provisioning (`baas tenants`), and isolation over HTTP on
//! every strategy: a request scoped to one tenant never reaches another's
//! rows.

use std::path::Path;

use baas::manifest::{self, TenancyStrategy, TenantSource, load_str};

const HEADER: &str = "[manifest]\nformat = 1\nversion = 1\n\n[project]\nname = \"shop\"\n";

fn problems(text: &str) -> String {
    let error = load_str(Path::new("baas.toml"), text.to_owned()).unwrap_err();
    baas::diagnostics::render_problems(&error, false)
}

#[test]
fn tenancy_section_loads_and_round_trips() {
    let text = format!(
        "{HEADER}\n[source]\nengine = \"postgres\"\nurl = \"${{DATABASE_URL}}\"\n\n[tenancy]\nstrategy = \"schema\"\nresolve = [\"claim:org\", \"header:X-Tenant\", \"subdomain\", \"path\"]\nregistry = \"${{REGISTRY_URL}}\"\nmax_pools = 50\nidle_seconds = 60\n"
    );
    let loaded = load_str(Path::new("baas.toml"), text).unwrap();
    let tenancy = loaded.manifest.tenancy.clone().unwrap();
    assert_eq!(tenancy.strategy, TenancyStrategy::Schema);
    assert_eq!(
        tenancy.sources(),
        vec![
            TenantSource::Claim("org".into()),
            TenantSource::Header("x-tenant".into()),
            TenantSource::Subdomain,
            TenantSource::Path,
        ]
    );
    assert_eq!(tenancy.max_pools, Some(50));
    let saved = manifest::to_toml(&loaded.manifest);
    let again = load_str(Path::new("baas.toml"), saved.clone()).unwrap();
    assert_eq!(again.manifest, loaded.manifest);
    assert_eq!(manifest::to_toml(&again.manifest), saved);
}

#[test]
fn tenancy_problems_point_at_line_and_column() {
    let rendered = problems(&format!(
        "{HEADER}\n[tenancy]\nstrategy = \"schemas\"\nresolve = [\"header:x-tenant\", \"cookie\"]\npools = 3\n"
    ));
    // strategy on line 9, the bad resolve entry on line 10, the unknown key on 11.
    assert!(rendered.contains("baas.toml:9:12"), "{rendered}");
    assert!(rendered.contains("did you mean `schema`"), "{rendered}");
    assert!(rendered.contains("baas.toml:10:31"), "{rendered}");
    assert!(
        rendered.contains("`cookie` is not a way to name a tenant"),
        "{rendered}"
    );
    assert!(rendered.contains("baas.toml:11:1"), "{rendered}");
}

#[test]
fn tenancy_strategy_must_fit_the_engine() {
    let rendered = problems(&format!(
        "{HEADER}\n[source]\nengine = \"sqlite\"\nurl = \"app.db\"\n\n[tenancy]\nstrategy = \"schema\"\n"
    ));
    assert!(
        rendered.contains("strategy `schema` does not work on `sqlite`"),
        "{rendered}"
    );
    assert!(rendered.contains("baas.toml:13:12"), "{rendered}");

    let rendered = problems(&format!(
        "{HEADER}\n[tenancy]\nstrategy = \"row\"\ncolumn = \"tenant_id\"\n\n[entities.book]\ntable = \"book\"\nprimary_key = [\"id\"]\n\n[entities.book.fields]\nid = {{ type = \"int64\" }}\n"
    ));
    assert!(
        rendered.contains("entity `book` has no tenant column `tenant_id`"),
        "{rendered}"
    );

    let rendered = problems(&format!(
        "{HEADER}\n[source]\nengine = \"postgres\"\nurl = \"${{DATABASE_URL}}\"\n\n[tenancy]\nstrategy = \"schema\"\n\n[entities.book]\ntable = \"book\"\nschema = \"public\"\nprimary_key = [\"id\"]\n\n[entities.book.fields]\nid = {{ type = \"int64\" }}\n"
    ));
    assert!(
        rendered.contains("entity `book` is pinned to schema `public`"),
        "{rendered}"
    );
}
