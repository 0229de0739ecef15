-- Functions, procedures, aggregates and window functions of the requested
-- schemas ($1), except those an extension created or that come with a
-- type (a range's constructors), each with its comment and the statement
-- that creates it: `pg_get_functiondef` for functions and procedures, and
-- for an aggregate (plain, moving, ordered-set or hypothetical-set) one
-- made from `pg_aggregate` as pg_dump writes it (PostgreSQL has no
-- function that prints it).
WITH support (oid, name) AS (
    -- A function an aggregate calls, as pg_dump names it: bare in
    -- pg_catalog, else qualified.
    SELECT f.oid,
           CASE WHEN fn.nspname = 'pg_catalog' THEN quote_ident(f.proname)
                ELSE quote_ident(fn.nspname) || '.' || quote_ident(f.proname) END
      FROM pg_proc f JOIN pg_namespace fn ON fn.oid = f.pronamespace
)
SELECT p.oid::int8 AS oid,
       n.nspname::text AS schema,
       p.proname::text AS name,
       p.prokind::text AS kind,
       pg_get_function_identity_arguments(p.oid) AS arguments,
       obj_description(p.oid, 'pg_proc') AS comment,
       CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid)
            -- As pg_dump writes it: its options in pg_dump's order, a
            -- function of pg_catalog unqualified.
            WHEN p.prokind = 'a' THEN
                'CREATE AGGREGATE ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname)
                || '(' || pg_get_function_arguments(p.oid) || ') (' || E'\n'
                || '    SFUNC = ' || sf.name
                || ',' || E'\n' || '    STYPE = ' || format_type(a.aggtranstype, NULL)
                || CASE WHEN a.aggtransspace <> 0
                        THEN ',' || E'\n' || '    SSPACE = ' || a.aggtransspace ELSE '' END
                || coalesce(',' || E'\n' || '    INITCOND = ' || quote_literal(a.agginitval), '')
                || coalesce(',' || E'\n' || '    FINALFUNC = ' || ff.name
                            || CASE WHEN a.aggfinalextra
                                    THEN ',' || E'\n' || '    FINALFUNC_EXTRA' ELSE '' END
                            || CASE WHEN a.aggfinalmodify <> CASE a.aggkind WHEN 'n' THEN 'r' ELSE 'w' END
                                    THEN ',' || E'\n' || '    FINALFUNC_MODIFY = '
                                         || CASE a.aggfinalmodify WHEN 'r' THEN 'READ_ONLY'
                                                                  WHEN 's' THEN 'SHAREABLE'
                                                                  ELSE 'READ_WRITE' END
                                    ELSE '' END, '')
                || coalesce(',' || E'\n' || '    COMBINEFUNC = ' || cf.name, '')
                || coalesce(',' || E'\n' || '    SERIALFUNC = ' || ser.name, '')
                || coalesce(',' || E'\n' || '    DESERIALFUNC = ' || des.name, '')
                || coalesce(',' || E'\n' || '    MSFUNC = ' || msf.name
                            || ',' || E'\n' || '    MINVFUNC = ' || minv.name
                            || ',' || E'\n' || '    MSTYPE = ' || format_type(a.aggmtranstype, NULL), '')
                || CASE WHEN a.aggmtransspace <> 0
                        THEN ',' || E'\n' || '    MSSPACE = ' || a.aggmtransspace ELSE '' END
                || coalesce(',' || E'\n' || '    MINITCOND = ' || quote_literal(a.aggminitval), '')
                || coalesce(',' || E'\n' || '    MFINALFUNC = ' || mff.name
                            || CASE WHEN a.aggmfinalextra
                                    THEN ',' || E'\n' || '    MFINALFUNC_EXTRA' ELSE '' END
                            || CASE WHEN a.aggmfinalmodify <> CASE a.aggkind WHEN 'n' THEN 'r' ELSE 'w' END
                                    THEN ',' || E'\n' || '    MFINALFUNC_MODIFY = '
                                         || CASE a.aggmfinalmodify WHEN 'r' THEN 'READ_ONLY'
                                                                   WHEN 's' THEN 'SHAREABLE'
                                                                   ELSE 'READ_WRITE' END
                                    ELSE '' END, '')
                || coalesce(',' || E'\n' || '    SORTOP = OPERATOR(' || quote_ident(opn.nspname) || '.'
                            || op.oprname || ')', '')
                || CASE WHEN a.aggkind = 'h' THEN ',' || E'\n' || '    HYPOTHETICAL' ELSE '' END
                || CASE p.proparallel WHEN 's' THEN ',' || E'\n' || '    PARALLEL = safe'
                                      WHEN 'r' THEN ',' || E'\n' || '    PARALLEL = restricted'
                                      ELSE '' END
                || E'\n' || ')'
       END AS definition
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
  LEFT JOIN support sf ON sf.oid = a.aggtransfn
  LEFT JOIN support ff ON ff.oid = a.aggfinalfn
  LEFT JOIN support cf ON cf.oid = a.aggcombinefn
  LEFT JOIN support ser ON ser.oid = a.aggserialfn
  LEFT JOIN support des ON des.oid = a.aggdeserialfn
  LEFT JOIN support msf ON msf.oid = a.aggmtransfn
  LEFT JOIN support minv ON minv.oid = a.aggminvtransfn
  LEFT JOIN support mff ON mff.oid = a.aggmfinalfn
  LEFT JOIN pg_operator op ON op.oid = a.aggsortop
  LEFT JOIN pg_namespace opn ON opn.oid = op.oprnamespace
 WHERE n.nspname = ANY ($1::text[])
   AND NOT EXISTS (SELECT 1
                     FROM pg_depend e
                    WHERE e.classid = 'pg_proc'::regclass
                      AND e.objid = p.oid
                      AND e.deptype IN ('e', 'i'))
