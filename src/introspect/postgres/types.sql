-- Every type the columns of the requested schemas ($1) use, every enum,
-- domain, composite, range and base type defined in those schemas (not by an
-- extension), and, transitively, the types those are made of: array
-- elements, domain base types, composite attributes and range subtypes.
-- A composite or range type defined here has its `definition`, as pg_dump
-- writes it.
WITH RECURSIVE
start (oid) AS (
    SELECT a.atttypid
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY ($1::text[])
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND NOT c.relispartition
       AND a.attnum > 0
       AND NOT a.attisdropped
    UNION
    SELECT t.oid
      FROM pg_type t
      JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = ANY ($1::text[])
       AND (t.typtype IN ('e', 'd', 'r')
            OR (t.typtype = 'b' AND t.typcategory <> 'A')
            OR (t.typtype = 'c'
                AND EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c')))
       AND NOT EXISTS (SELECT 1
                         FROM pg_depend e
                        WHERE e.classid = 'pg_type'::regclass
                          AND e.objid = t.oid
                          AND e.deptype = 'e')
),
closure (oid) AS (
    SELECT oid FROM start
    UNION
    SELECT part.oid
      FROM closure cl
      JOIN pg_type t ON t.oid = cl.oid
     CROSS JOIN LATERAL (
           SELECT t.typelem WHERE t.typcategory = 'A' AND t.typelem <> 0
           UNION ALL
           SELECT t.typbasetype WHERE t.typtype = 'd'
           UNION ALL
           SELECT r.rngsubtype FROM pg_range r WHERE t.typtype = 'r' AND r.rngtypid = t.oid
           UNION ALL
           SELECT a.atttypid
             FROM pg_attribute a
            WHERE t.typtype = 'c'
              AND a.attrelid = t.typrelid
              AND a.attnum > 0
              AND NOT a.attisdropped
       ) AS part (oid)
)
SELECT t.oid::int8 AS oid,
       n.nspname::text AS schema,
       t.typname::text AS name,
       format_type(t.oid, NULL) AS formatted,
       t.typtype::text AS kind,
       t.typcategory::text AS category,
       t.typelem::int8 AS element,
       -- A range's subtype stands in as its base type.
       coalesce(rng.rngsubtype, t.typbasetype)::int8 AS base,
       t.typtypmod AS base_typmod,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_formatted,
       t.typnotnull AS not_null,
       t.typdefault AS default_sql,
       CASE WHEN t.typtype = 'e' THEN
           array(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
       END AS labels,
       CASE WHEN t.typtype = 'd' THEN
           array(SELECT k.conname::text || ': ' || pg_get_constraintdef(k.oid)
                   FROM pg_constraint k
                  WHERE k.contypid = t.oid
                  ORDER BY k.conname)
       END AS checks,
       array(SELECT a.attname::text FROM pg_attribute a
              WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum) AS attribute_names,
       array(SELECT a.atttypid::int8 FROM pg_attribute a
              WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum) AS attribute_types,
       array(SELECT a.atttypmod FROM pg_attribute a
              WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum) AS attribute_typmods,
       array(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
              WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum) AS attribute_formatted,
       n.nspname = ANY ($1::text[])
           AND NOT EXISTS (SELECT 1
                             FROM pg_depend e
                            WHERE e.classid = 'pg_type'::regclass
                              AND e.objid = t.oid
                              AND e.deptype = 'e') AS defined_here,
       -- A domain's collation when not its base type's (as `pg_dump` writes it).
       (SELECT co.collname::text
          FROM pg_type b
          JOIN pg_collation co ON co.oid = t.typcollation
         WHERE t.typtype = 'd'
           AND b.oid = t.typbasetype
           AND t.typcollation <> b.typcollation) AS collation,
       d.description AS comment,
       CASE
         WHEN t.typtype = 'c'
              AND EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c') THEN
           'CREATE TYPE ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) || ' AS ( '
           || coalesce((SELECT string_agg(quote_ident(a.attname) || ' '
                                          || format_type(a.atttypid, a.atttypmod)
                                          || coalesce(' COLLATE ' || quote_ident(cn.nspname) || '.'
                                                      || quote_ident(co.collname), ''),
                                          ', ' ORDER BY a.attnum)
                          FROM pg_attribute a
                          JOIN pg_type at ON at.oid = a.atttypid
                          LEFT JOIN pg_collation co
                                 ON co.oid = a.attcollation AND a.attcollation <> at.typcollation
                          LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
                         WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
                       || ' ', '')
           || ')'
         WHEN t.typtype = 'r' THEN
           'CREATE TYPE ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname)
           || ' AS RANGE ( subtype = ' || format_type(rng.rngsubtype, NULL)
           || coalesce(', multirange_type_name = '
                       || format_type((to_jsonb(rng) ->> 'rngmultitypid')::oid, NULL), '')
           || CASE WHEN opc.opcdefault THEN ''
                   ELSE ', subtype_opclass = ' || quote_ident(opn.nspname) || '.'
                        || quote_ident(opc.opcname) END
           || coalesce(', collation = ' || quote_ident(rcn.nspname) || '.'
                       || quote_ident(rco.collname), '')
           || CASE WHEN rng.rngcanonical = 0 THEN ''
                   ELSE ', canonical = ' || rng.rngcanonical::regproc::text END
           || CASE WHEN rng.rngsubdiff = 0 THEN ''
                   ELSE ', subtype_diff = ' || rng.rngsubdiff::regproc::text END
           || ' )'
       END AS definition
  FROM closure cl
  JOIN pg_type t ON t.oid = cl.oid
  JOIN pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_range rng ON rng.rngtypid = t.oid
  LEFT JOIN pg_opclass opc ON opc.oid = rng.rngsubopc
  LEFT JOIN pg_namespace opn ON opn.oid = opc.opcnamespace
  LEFT JOIN pg_type rst ON rst.oid = rng.rngsubtype
  LEFT JOIN pg_collation rco ON rco.oid = rng.rngcollation AND rng.rngcollation <> rst.typcollation
  LEFT JOIN pg_namespace rcn ON rcn.oid = rco.collnamespace
  LEFT JOIN pg_description d
         ON d.classoid = 'pg_type'::regclass AND d.objoid = t.oid AND d.objsubid = 0
