-- Extensions of the database, whichever schema holds their objects (an
-- extension belongs to the database, and the requested schemas may use what
-- one installed elsewhere, as Supabase's `extensions` schema), except
-- plpgsql, which every database has from its template (in `pg_catalog`,
-- read only when that schema is requested, $1). The version is given only
-- when it is not the one the server installs by default, which is what a
-- dump (`pg_dump` writes no version) and a plan mean.
SELECT e.extname::text AS name,
       nullif(e.extversion, a.default_version) AS version,
       n.nspname::text AS schema
  FROM pg_extension e
  JOIN pg_namespace n ON n.oid = e.extnamespace
  LEFT JOIN pg_available_extensions a ON a.name = e.extname
 WHERE e.extname <> 'plpgsql'
    OR n.nspname = ANY ($1::text[])
