-- User triggers (not the internal ones behind foreign keys) on the tables
-- and views of the requested schemas ($1), and those elsewhere calling a
-- function of them (Supabase's on `auth.users`), with the function each
-- calls and its comment; on partitions, only their own (a copy of a trigger of the
-- partitioned table is its, from PostgreSQL 13 on: see postgres.rs).
SELECT t.tgrelid::int8 AS relation,
       n.nspname::text AS table_schema,
       c.relname::text AS table_name,
       t.tgname::text AS name,
       t.tgfoid::int8 AS function,
       obj_description(t.oid, 'pg_trigger') AS comment,
       -- Not enabled: followed by what says so, as pg_dump writes it.
       pg_get_triggerdef(t.oid)
       || coalesce('; ALTER TABLE ' || t.tgrelid::regclass::text || ' '
                   || CASE t.tgenabled WHEN 'D' THEN 'DISABLE' WHEN 'A' THEN 'ENABLE ALWAYS'
                                       WHEN 'R' THEN 'ENABLE REPLICA' END
                   || ' TRIGGER ' || quote_ident(t.tgname), '') AS definition
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE (n.nspname = ANY ($1::text[])
        OR t.tgfoid IN (SELECT p.oid
                          FROM pg_proc p
                          JOIN pg_namespace pn ON pn.oid = p.pronamespace
                         WHERE pn.nspname = ANY ($1::text[])))
   AND NOT t.tgisinternal
   AND NOT c.relispartition
