-- Primary keys, unique, foreign-key, check, exclusion, constraint-trigger
-- and (PostgreSQL 18) not-null constraints on the relations of the
-- requested schemas ($1), partitions included; constraints cloned from a
-- partitioned parent are left out.
SELECT k.oid::int8 AS oid,
       k.conname::text AS name,
       k.contype::text AS kind,
       k.conrelid::int8 AS relation,
       k.confrelid::int8 AS referenced,
       CASE WHEN k.confrelid <> 0 THEN k.confrelid::regclass::text END AS referenced_name,
       coalesce(k.conkey, '{}'::int2[]) AS columns,
       coalesce(k.confkey, '{}'::int2[]) AS referenced_columns,
       k.confupdtype::text AS on_update,
       k.confdeltype::text AS on_delete,
       k.confmatchtype::text AS match_type,
       k.condeferrable AS deferrable,
       k.condeferred AS deferred,
       k.convalidated AS validated,
       true AS enforced,
       k.connoinherit AS no_inherit,
       k.conislocal AS is_local,
       k.conindid::int8 AS index_oid,
       CASE WHEN k.contype = 'c' THEN pg_get_expr(k.conbin, k.conrelid) END AS check_sql,
       CASE WHEN k.contype IN ('x', 't') OR (k.contype = 'f' AND k.confdeltype IN ('n', 'd'))
            THEN pg_get_constraintdef(k.oid)
       END AS definition,
       d.description AS comment
  FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_description d
         ON d.classoid = 'pg_constraint'::regclass AND d.objoid = k.oid AND d.objsubid = 0
 WHERE n.nspname = ANY ($1::text[])
   AND k.contype IN ('p', 'u', 'f', 'c', 'x', 't', 'n')
   AND k.conparentid = 0
