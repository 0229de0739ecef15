-- Objects the manifest does not carry, so that the ledger names each one
-- instead of leaving it out unsaid: text search configurations,
-- dictionaries, parsers and templates, and collations of the requested
-- schemas ($1); the database's own casts (not the built-in ones), event
-- triggers and publications. None that an extension made.
WITH own AS (
    SELECT 'text search configuration' AS kind, c.oid, 'pg_ts_config'::regclass AS class,
           quote_ident(n.nspname) || '.' || quote_ident(c.cfgname) AS name
      FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    SELECT 'text search dictionary', d.oid, 'pg_ts_dict'::regclass,
           quote_ident(n.nspname) || '.' || quote_ident(d.dictname)
      FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    SELECT 'text search parser', p.oid, 'pg_ts_parser'::regclass,
           quote_ident(n.nspname) || '.' || quote_ident(p.prsname)
      FROM pg_ts_parser p JOIN pg_namespace n ON n.oid = p.prsnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    SELECT 'text search template', t.oid, 'pg_ts_template'::regclass,
           quote_ident(n.nspname) || '.' || quote_ident(t.tmplname)
      FROM pg_ts_template t JOIN pg_namespace n ON n.oid = t.tmplnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    SELECT 'collation', c.oid, 'pg_collation'::regclass,
           quote_ident(n.nspname) || '.' || quote_ident(c.collname)
      FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    -- Objects made after initdb have an OID from 16384 on.
    SELECT 'cast', c.oid, 'pg_cast'::regclass,
           '(' || format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) || ')'
      FROM pg_cast c
     WHERE c.oid >= 16384
    UNION ALL
    SELECT 'event trigger', e.oid, 'pg_event_trigger'::regclass, quote_ident(e.evtname)
      FROM pg_event_trigger e
    UNION ALL
    SELECT 'publication', p.oid, 'pg_publication'::regclass, quote_ident(p.pubname)
      FROM pg_publication p
)
SELECT o.kind, o.name
  FROM own o
 WHERE NOT EXISTS (SELECT 1
                     FROM pg_depend d
                    WHERE d.classid = o.class
                      AND d.objid = o.oid
                      AND d.deptype = 'e')
 ORDER BY o.kind, o.name
