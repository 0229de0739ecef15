-- Tables, partitioned tables, partitions, views, materialized views and
-- foreign tables of the requested schemas ($1), with their comments.
SELECT c.oid::int8 AS oid,
       n.nspname::text AS schema,
       c.relname::text AS name,
       c.relkind::text AS kind,
       c.relispartition AS is_partition,
       c.relrowsecurity AS row_security,
       c.relforcerowsecurity AS force_row_security,
       c.relpersistence::text AS persistence,
       coalesce(c.reloptions, '{}'::text[]) AS options,
       d.description AS comment,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, false) END AS definition,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid, true) END AS partition_bound,
       coalesce(
           (SELECT array_agg(h.inhparent::int8 ORDER BY h.inhseqno)
              FROM pg_inherits h
             WHERE h.inhrelid = c.oid),
           '{}'::int8[]) AS parents,
       coalesce(
           (SELECT array_agg(h.inhparent::regclass::text ORDER BY h.inhseqno)
              FROM pg_inherits h
             WHERE h.inhrelid = c.oid),
           '{}'::text[]) AS parent_names
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_description d
         ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid AND d.objsubid = 0
 WHERE n.nspname = ANY ($1::text[])
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
