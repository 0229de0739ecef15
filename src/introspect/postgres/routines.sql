-- Functions, procedures, aggregates and window functions of the requested
-- schemas ($1), except those an extension created.
SELECT n.nspname::text AS schema,
       p.proname::text AS name,
       p.prokind::text AS kind,
       pg_get_function_identity_arguments(p.oid) AS arguments
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = ANY ($1::text[])
   AND NOT EXISTS (SELECT 1
                     FROM pg_depend e
                    WHERE e.classid = 'pg_proc'::regclass
                      AND e.objid = p.oid
                      AND e.deptype = 'e')
