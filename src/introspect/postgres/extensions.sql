-- Extensions of the database, whichever schema holds their objects (an
-- extension belongs to the database, and the requested schemas may use what
-- one installed elsewhere, as Supabase's `extensions` schema), except
-- plpgsql, which every database has from its template (in `pg_catalog`,
-- read only when that schema is requested, $1).
SELECT e.extname::text AS name,
       e.extversion AS version,
       n.nspname::text AS schema
  FROM pg_extension e
  JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname <> 'plpgsql'
    OR n.nspname = ANY ($1::text[])
