-- Indexes on the relations of the requested schemas ($1), partitions
-- included, with one entry per key column in the arrays: collation, operator
-- class and, for an expression, its text.
SELECT i.indexrelid::int8 AS oid,
       ic.relname::text AS name,
       i.indrelid::int8 AS relation,
       am.amname::text AS method,
       i.indisunique AS is_unique,
       i.indisvalid AS is_valid,
       i.indnkeyatts AS key_count,
       -- A slice starts at 1 (int2vector subscripts start at 0).
       (i.indkey::int2[])[:] AS columns,
       (i.indoption::int2[])[:] AS key_options,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       EXISTS (SELECT 1
                 FROM pg_constraint k
                WHERE k.conindid = i.indexrelid
                  AND k.conrelid = i.indrelid
                  AND k.contype IN ('p', 'u', 'x')) AS backs_constraint,
       -- A partition's copy of an index of its partitioned parent.
       EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) AS is_inherited,
       -- `i.indnullsnotdistinct` on PostgreSQL 15 and later (see postgres.rs).
       false AS nulls_not_distinct,
       coalesce(ic.reloptions, '{}'::text[]) AS options,
       keys.collations,
       keys.collation_names,
       keys.default_opclasses,
       keys.opclasses,
       keys.expressions,
       -- The keys as written, where an expression key has a collation
       -- (an expression's own collation is not written).
       CASE WHEN keys.collated_expression THEN pg_get_indexdef(i.indexrelid) END AS definition,
       d.description AS comment
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_am am ON am.oid = ic.relam
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_description d
         ON d.classoid = 'pg_class'::regclass AND d.objoid = i.indexrelid AND d.objsubid = 0
 CROSS JOIN LATERAL (
       SELECT array_agg(i.indcollation[k.n - 1]::int8 ORDER BY k.n) AS collations,
              array_agg(coalesce(co.collname::text, '') ORDER BY k.n) AS collation_names,
              array_agg(coalesce(oc.opcdefault, true) ORDER BY k.n) AS default_opclasses,
              array_agg(coalesce(oc.opcname::text, '') ORDER BY k.n) AS opclasses,
              array_agg(CASE WHEN i.indkey[k.n - 1] = 0
                             THEN pg_get_indexdef(i.indexrelid, k.n, false)
                             ELSE ''
                        END ORDER BY k.n) AS expressions,
              bool_or(i.indkey[k.n - 1] = 0 AND i.indcollation[k.n - 1] <> 0) AS collated_expression
         FROM generate_series(1, i.indnkeyatts) AS k (n)
         LEFT JOIN pg_opclass oc ON oc.oid = i.indclass[k.n - 1]
         LEFT JOIN pg_collation co ON co.oid = i.indcollation[k.n - 1]
       ) AS keys
 WHERE n.nspname = ANY ($1::text[])
   AND c.relkind IN ('r', 'p', 'm', 'f')
