-- Sequences of the requested schemas ($1), and those owned by a column of a
-- table there, with their options, comment and owning column (`a`: serial, `i`:
-- identity).
SELECT s.seqrelid::int8 AS oid,
       n.nspname::text AS schema,
       c.relname::text AS name,
       format_type(s.seqtypid, NULL) AS type_name,
       s.seqstart AS start,
       s.seqincrement AS increment,
       s.seqmin AS minimum,
       s.seqmax AS maximum,
       s.seqcache AS cache,
       s.seqcycle AS cycle,
       dep.refobjid::int8 AS owner_relation,
       dep.refobjsubid AS owner_column,
       dep.deptype::text AS ownership,
       obj_description(s.seqrelid, 'pg_class') AS comment
  FROM pg_sequence s
  JOIN pg_class c ON c.oid = s.seqrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_depend dep
         ON dep.classid = 'pg_class'::regclass
        AND dep.objid = s.seqrelid
        AND dep.refclassid = 'pg_class'::regclass
        AND dep.deptype IN ('a', 'i')
  LEFT JOIN pg_class owner ON owner.oid = dep.refobjid
  LEFT JOIN pg_namespace owner_n ON owner_n.oid = owner.relnamespace
 WHERE n.nspname = ANY ($1::text[])
    OR owner_n.nspname = ANY ($1::text[])
