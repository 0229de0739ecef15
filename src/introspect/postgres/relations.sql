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
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       -- What the manifest has no place for, one phrase each.
       -- `DEFAULT` (the primary key) is none.
       CASE WHEN c.relkind IN ('r', 'p') THEN CASE c.relreplident
            WHEN 'f' THEN 'FULL'
            WHEN 'n' THEN 'NOTHING'
            WHEN 'i' THEN 'USING INDEX ' ||
                (SELECT quote_ident(ic.relname::text)
                   FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                  WHERE i.indrelid = c.oid AND i.indisreplident LIMIT 1)
       END END AS replica_identity,
       (SELECT ic.relname::text
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         WHERE i.indrelid = c.oid AND i.indisclustered LIMIT 1) AS cluster_on,
       array_remove(ARRAY[
           (SELECT 'access method `' || am.amname::text || '`'
              FROM pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap')
       ], NULL) AS unrepresented,
       coalesce(
           (SELECT array_agg(h.inhparent::int8 ORDER BY h.inhseqno)
              FROM pg_inherits h
             WHERE h.inhrelid = c.oid),
           '{}'::int8[]) AS parents,
       coalesce(
           (SELECT array_agg(h.inhparent::regclass::text ORDER BY h.inhseqno)
              FROM pg_inherits h
             WHERE h.inhrelid = c.oid),
           '{}'::text[]) AS parent_names,
       -- The schemas not read that partitions of it are in, one per partition.
       CASE WHEN c.relkind = 'p' THEN coalesce(
           (SELECT array_agg(pn.nspname::text ORDER BY pn.nspname, pc.relname)
              FROM pg_inherits h
              JOIN pg_class pc ON pc.oid = h.inhrelid
              JOIN pg_namespace pn ON pn.oid = pc.relnamespace
             WHERE h.inhparent = c.oid AND pn.nspname <> ALL ($1::text[])),
           '{}'::text[]) ELSE '{}'::text[] END AS unread_partition_schemas
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_description d
         ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid AND d.objsubid = 0
 WHERE n.nspname = ANY ($1::text[])
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
