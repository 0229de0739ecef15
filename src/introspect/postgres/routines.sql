-- Functions, procedures, aggregates and window functions of the requested
-- schemas ($1), except those an extension created or that come with a
-- type (a range's constructors), each with the statement
-- that creates it: `pg_get_functiondef` for functions and procedures, and
-- for a plain aggregate one made from `pg_aggregate` (PostgreSQL has no
-- function that prints it).
SELECT p.oid::int8 AS oid,
       n.nspname::text AS schema,
       p.proname::text AS name,
       p.prokind::text AS kind,
       pg_get_function_identity_arguments(p.oid) AS arguments,
       CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid)
            WHEN p.prokind = 'a' AND a.aggkind = 'n' AND a.aggmtransfn = 0 AND a.aggsortop = 0 THEN
                'CREATE AGGREGATE ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname)
                || '(' || pg_get_function_arguments(p.oid) || ') (' || E'\n'
                || '    SFUNC = ' || quote_ident(sn.nspname) || '.' || quote_ident(sf.proname)
                || ',' || E'\n' || '    STYPE = ' || format_type(a.aggtranstype, NULL)
                || CASE WHEN a.aggfinalfn <> 0
                        THEN ',' || E'\n' || '    FINALFUNC = ' || quote_ident(fn.nspname) || '.'
                             || quote_ident(ff.proname)
                        ELSE '' END
                || CASE WHEN a.aggcombinefn <> 0
                        THEN ',' || E'\n' || '    COMBINEFUNC = ' || quote_ident(cn.nspname) || '.'
                             || quote_ident(cf.proname)
                        ELSE '' END
                || CASE WHEN a.agginitval IS NOT NULL
                        THEN ',' || E'\n' || '    INITCOND = ' || quote_literal(a.agginitval)
                        ELSE '' END
                || CASE p.proparallel WHEN 's' THEN ',' || E'\n' || '    PARALLEL = SAFE'
                                      WHEN 'r' THEN ',' || E'\n' || '    PARALLEL = RESTRICTED'
                                      ELSE '' END
                || E'\n' || ')'
       END AS definition
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
  LEFT JOIN pg_proc sf ON sf.oid = a.aggtransfn
  LEFT JOIN pg_namespace sn ON sn.oid = sf.pronamespace
  LEFT JOIN pg_proc ff ON ff.oid = a.aggfinalfn
  LEFT JOIN pg_namespace fn ON fn.oid = ff.pronamespace
  LEFT JOIN pg_proc cf ON cf.oid = a.aggcombinefn
  LEFT JOIN pg_namespace cn ON cn.oid = cf.pronamespace
 WHERE n.nspname = ANY ($1::text[])
   AND NOT EXISTS (SELECT 1
                     FROM pg_depend e
                    WHERE e.classid = 'pg_proc'::regclass
                      AND e.objid = p.oid
                      AND e.deptype IN ('e', 'i'))
