-- Row-level security policies on the tables of the requested schemas ($1).
SELECT p.polrelid::int8 AS relation,
       p.polname::text AS name,
       p.polcmd::text AS command,
       p.polpermissive AS permissive,
       array(SELECT CASE WHEN r.role = 0 THEN 'public' ELSE pg_get_userbyid(r.role)::text END
               FROM unnest(p.polroles) AS r (role)
              ORDER BY 1) AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS using_sql,
       pg_get_expr(p.polwithcheck, p.polrelid) AS check_sql,
       -- crate::rules::rls::FINGERPRINT, which migrate writes in the comment
       coalesce(obj_description(p.oid, 'pg_policy') = 'baas:' || md5(concat_ws('|', p.polcmd::text,
                p.polpermissive::text, p.polroles::text, coalesce(p.polqual::text, ''),
                coalesce(p.polwithcheck::text, ''))), false) AS intact
  FROM pg_policy p
  JOIN pg_class c ON c.oid = p.polrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY ($1::text[])
