-- What the functions and domains of the requested schemas ($1) use among
-- functions, types and relations: a table's or view's row type stands for
-- its relation (a composite type is a type), an array for its element
-- type. The Rust side keeps the references to objects the manifest carries.
SELECT d.objid::int8 AS object,
       CASE WHEN d.refclassid = 'pg_proc'::regclass THEN 'function'
            WHEN r.relkind <> 'c' THEN 'relation'
            ELSE 'type'
       END AS referenced_kind,
       CASE WHEN r.relkind <> 'c' THEN r.oid ELSE coalesce(t.oid, d.refobjid) END::int8 AS referenced
  FROM pg_depend d
  LEFT JOIN pg_type used ON d.refclassid = 'pg_type'::regclass AND used.oid = d.refobjid
  -- An array stands for its element type.
  LEFT JOIN pg_type t
         ON t.oid = CASE WHEN used.typelem <> 0 AND used.typlen = -1
                         THEN used.typelem ELSE used.oid END
  LEFT JOIN pg_class r ON r.oid = t.typrelid
 WHERE d.classid IN ('pg_proc'::regclass, 'pg_type'::regclass)
   AND d.refclassid IN ('pg_proc'::regclass, 'pg_type'::regclass)
   AND d.deptype = 'n'
   AND d.objid IN (SELECT p.oid
                     FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = ANY ($1::text[])
                    UNION ALL
                   SELECT ty.oid
                     FROM pg_type ty
                     JOIN pg_namespace n ON n.oid = ty.typnamespace
                    WHERE n.nspname = ANY ($1::text[])
                      AND ty.typtype = 'd')
UNION ALL
-- A domain uses the functions its checks call.
SELECT k.contypid::int8 AS object,
       'function' AS referenced_kind,
       d.refobjid::int8 AS referenced
  FROM pg_depend d
  JOIN pg_constraint k ON k.oid = d.objid
  JOIN pg_type ty ON ty.oid = k.contypid
  JOIN pg_namespace n ON n.oid = ty.typnamespace
 WHERE d.classid = 'pg_constraint'::regclass
   AND d.refclassid = 'pg_proc'::regclass
   AND d.deptype = 'n'
   AND n.nspname = ANY ($1::text[])
