-- Row-level security policies on the tables of the requested schemas ($1),
-- for those made from rules (`baas_...`): whether each is as `migrate` made
-- it. (Every policy is also read, as its statement, by objects.sql.)
SELECT p.polrelid::int8 AS relation,
       p.polname::text AS name,
       -- crate::rules::rls::FINGERPRINT, which migrate writes in the comment
       coalesce(obj_description(p.oid, 'pg_policy') = 'baas:' || md5(concat_ws('|', p.polcmd::text,
                p.polpermissive::text, p.polroles::text, coalesce(p.polqual::text, ''),
                coalesce(p.polwithcheck::text, ''))), false) AS intact
  FROM pg_policy p
  JOIN pg_class c ON c.oid = p.polrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY ($1::text[])
   AND p.polname LIKE 'baas\_%'
