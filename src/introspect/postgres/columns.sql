-- Columns of the tables, partitions, views and materialized views of the
-- requested schemas ($1) (a partition's columns name the keys of its own
-- indexes and constraints), with their defaults, the sequence a default calls,
-- and comments.
SELECT a.attrelid::int8 AS relation,
       a.attnum AS position,
       a.attname::text AS name,
       a.atttypid::int8 AS type_oid,
       a.atttypmod AS typmod,
       format_type(a.atttypid, a.atttypmod) AS type_name,
       a.attnotnull AS not_null,
       -- Declared by the table itself, not (only) inherited from a parent.
       a.attislocal AS is_local,
       a.attidentity::text AS identity,
       a.attgenerated::text AS generated,
       -- A default cannot refer to columns (a generated column's expression
       -- can): without the relation, printing it does not open the table,
       -- which halves the time this query takes.
       pg_get_expr(ad.adbin, CASE WHEN a.attgenerated = '' THEN 0 ELSE ad.adrelid END)
           AS default_sql,
       (SELECT dep.refobjid::int8
          FROM pg_depend dep
          JOIN pg_class s ON s.oid = dep.refobjid AND s.relkind = 'S'
         WHERE dep.classid = 'pg_attrdef'::regclass
           AND dep.objid = ad.oid
           AND dep.refclassid = 'pg_class'::regclass
         LIMIT 1) AS default_sequence,
       a.attcollation::int8 AS collation_oid,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END AS collation,
       a.attstorage <> t.typstorage AS custom_storage,
       coalesce(a.attoptions, '{}'::text[]) AS options,
       coalesce(a.attstattarget::int4, -1) AS statistics_target,
       d.description AS comment
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_description d
         ON d.classoid = 'pg_class'::regclass AND d.objoid = a.attrelid AND d.objsubid = a.attnum
 WHERE n.nspname = ANY ($1::text[])
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND a.attnum > 0
   AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum
