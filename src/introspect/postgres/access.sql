-- What the manifest does not carry of the tables, views, sequences,
-- indexes, functions and types of the requested schemas ($1), none that an
-- extension made, for the ledger to sum up, as `pg_dump` writes them:
-- privileges that differ from the defaults (`GRANT`/`REVOKE` on the object
-- or on its columns), each object's owner (not an index's, nor an identity
-- column's sequence's: its table's), and a tablespace other than the
-- database's default.
WITH objects AS (
    SELECT CASE WHEN c.relkind = 'S' THEN 'sequence'
                WHEN c.relkind IN ('i', 'I') THEN 'index'
                ELSE 'table' END AS kind,
           n.nspname::text AS schema, c.relname::text AS name, c.relowner AS owner,
           (c.relacl IS NOT NULL
            AND c.relacl <> acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char",
                                      c.relowner))
           OR EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                         AND a.attacl IS NOT NULL) AS granted,
           c.reltablespace AS tablespace
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY ($1::text[])
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'i', 'I')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND (d.deptype = 'e' OR (d.deptype = 'i' AND c.relkind = 'S')))
    UNION ALL
    SELECT 'function', n.nspname, p.proname, p.proowner,
           p.proacl IS NOT NULL AND p.proacl <> acldefault('f', p.proowner), 0
      FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = ANY ($1::text[])
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                          AND d.deptype = 'e')
    UNION ALL
    -- Types made with `CREATE TYPE` or `CREATE DOMAIN`: not a table's row
    -- type, an array's, or a range's multirange.
    SELECT 'type', n.nspname, t.typname, t.typowner,
           t.typacl IS NOT NULL AND t.typacl <> acldefault('T', t.typowner), 0
      FROM pg_type t
      JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = ANY ($1::text[])
       AND t.typtype IN ('b', 'c', 'd', 'e', 'r')
       AND (t.typtype <> 'c'
            OR (SELECT r.relkind FROM pg_class r WHERE r.oid = t.typrelid) = 'c')
       AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                          AND d.deptype = 'e')
)
SELECT 'privileges' AS what, kind, schema, name, '' AS detail
  FROM objects
 WHERE granted
UNION ALL
SELECT 'owner', kind, schema, name, pg_get_userbyid(owner)::text
  FROM objects
 WHERE kind <> 'index'
UNION ALL
SELECT 'tablespace', o.kind, o.schema, o.name, s.spcname::text
  FROM objects o
  JOIN pg_tablespace s ON s.oid = o.tablespace
 WHERE o.tablespace <> 0
