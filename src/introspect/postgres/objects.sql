-- Objects of the requested schemas ($1) other than relations, types and
-- routines, none that an extension made or that came with another object
-- (the casts of a range to its multirange). Those the manifest carries have
-- their `definition`, written as pg_dump writes it (one statement, but a
-- publication's tables, a text search configuration's mappings and the
-- state of a rule or event trigger that is not enabled): the collations, the row-level security policies,
-- rewrite rules (not the `_RETURN` rule of a view) and extended statistics
-- of the schemas' tables, text search dictionaries and configurations, and
-- the database's event triggers, publications and own casts (not the
-- built-in ones). Those it does not carry are only named, for the ledger:
-- text search parsers and templates. `relation` is the table an object
-- belongs to, `tables` those a publication publishes, `function` the
-- function it calls, `uses` the keys of other objects it uses, `comment`
-- its comment.
WITH own AS (
    -- With one `ALTER TEXT SEARCH CONFIGURATION ... ADD MAPPING` per token
    -- type, its dictionaries in their order, as pg_dump writes them.
    SELECT 'text search configuration' AS kind, c.oid, 'pg_ts_config'::regclass AS class,
           quote_ident(n.nspname) || '.' || quote_ident(c.cfgname) AS name,
           NULL::int8 AS relation, NULL::int8[] AS tables, NULL::int8 AS function,
           array(SELECT DISTINCT 'text search dictionary ' || quote_ident(dn.nspname) || '.'
                                 || quote_ident(d.dictname)
                   FROM pg_ts_config_map m
                   JOIN pg_ts_dict d ON d.oid = m.mapdict
                   JOIN pg_namespace dn ON dn.oid = d.dictnamespace
                  WHERE m.mapcfg = c.oid) AS uses,
           'CREATE TEXT SEARCH CONFIGURATION ' || quote_ident(n.nspname) || '.'
           || quote_ident(c.cfgname) || ' ( PARSER = ' || quote_ident(pn.nspname) || '.'
           || quote_ident(p.prsname) || ' )'
           || coalesce((SELECT string_agg('; ALTER TEXT SEARCH CONFIGURATION '
                                          || quote_ident(n.nspname) || '.' || quote_ident(c.cfgname)
                                          || ' ADD MAPPING FOR ' || quote_ident(tm.token)
                                          || ' WITH ' || tm.dictionaries, '' ORDER BY tm.tokentype)
                          FROM (SELECT m.maptokentype AS tokentype,
                                       (SELECT t.alias FROM ts_token_type(c.cfgparser) AS t
                                         WHERE t.tokid = m.maptokentype) AS token,
                                       string_agg(m.mapdict::regdictionary::text, ', '
                                                  ORDER BY m.mapseqno) AS dictionaries
                                  FROM pg_ts_config_map m
                                 WHERE m.mapcfg = c.oid
                                 GROUP BY m.maptokentype) AS tm), '') AS definition
      FROM pg_ts_config c
      JOIN pg_namespace n ON n.oid = c.cfgnamespace
      JOIN pg_ts_parser p ON p.oid = c.cfgparser
      JOIN pg_namespace pn ON pn.oid = p.prsnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    SELECT 'text search dictionary', d.oid, 'pg_ts_dict'::regclass,
           quote_ident(n.nspname) || '.' || quote_ident(d.dictname), NULL, NULL, NULL, NULL,
           'CREATE TEXT SEARCH DICTIONARY ' || quote_ident(n.nspname) || '.' || quote_ident(d.dictname)
           || ' ( TEMPLATE = ' || quote_ident(tn.nspname) || '.' || quote_ident(t.tmplname)
           || coalesce(', ' || d.dictinitoption, '') || ' )'
      FROM pg_ts_dict d
      JOIN pg_namespace n ON n.oid = d.dictnamespace
      JOIN pg_ts_template t ON t.oid = d.dicttemplate
      JOIN pg_namespace tn ON tn.oid = t.tmplnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    SELECT 'text search parser', p.oid, 'pg_ts_parser'::regclass,
           quote_ident(n.nspname) || '.' || quote_ident(p.prsname), NULL, NULL, NULL, NULL, NULL
      FROM pg_ts_parser p JOIN pg_namespace n ON n.oid = p.prsnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    SELECT 'text search template', t.oid, 'pg_ts_template'::regclass,
           quote_ident(n.nspname) || '.' || quote_ident(t.tmplname), NULL, NULL, NULL, NULL, NULL
      FROM pg_ts_template t JOIN pg_namespace n ON n.oid = t.tmplnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    -- The ICU locale is `colliculocale` on PostgreSQL 15 and 16,
    -- `colllocale` from 17 on, and `collcollate` before 15.
    SELECT 'collation', c.oid, 'pg_collation'::regclass,
           quote_ident(n.nspname) || '.' || quote_ident(c.collname), NULL, NULL, NULL, NULL,
           'CREATE COLLATION ' || quote_ident(n.nspname) || '.' || quote_ident(c.collname)
           || ' (provider = '
           || CASE c.collprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' ELSE 'default' END
           || CASE WHEN c.collisdeterministic THEN '' ELSE ', deterministic = false' END
           || CASE
                WHEN c.collprovider = 'i'
                THEN ', locale = ' || quote_literal(coalesce(to_jsonb(c) ->> 'colliculocale',
                                                             to_jsonb(c) ->> 'colllocale',
                                                             c.collcollate))
                WHEN c.collcollate = c.collctype
                THEN ', locale = ' || quote_literal(c.collcollate)
                ELSE ', lc_collate = ' || quote_literal(c.collcollate)
                     || ', lc_ctype = ' || quote_literal(c.collctype)
              END
           || coalesce(', rules = ' || quote_literal(to_jsonb(c) ->> 'collicurules'), '')
           || ')'
      FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    SELECT 'policy', p.oid, 'pg_policy'::regclass,
           quote_ident(p.polname) || ' ON ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname),
           p.polrelid::int8, NULL, NULL, NULL,
           'CREATE POLICY ' || quote_ident(p.polname) || ' ON ' || p.polrelid::regclass::text
           || CASE WHEN p.polpermissive THEN '' ELSE ' AS RESTRICTIVE' END
           || CASE p.polcmd WHEN 'r' THEN ' FOR SELECT' WHEN 'a' THEN ' FOR INSERT'
                            WHEN 'w' THEN ' FOR UPDATE' WHEN 'd' THEN ' FOR DELETE' ELSE '' END
           || CASE WHEN p.polroles = '{0}' THEN ''
                   ELSE ' TO ' || array_to_string(array(SELECT quote_ident(r.rolname)
                                                          FROM pg_roles r
                                                         WHERE r.oid = ANY (p.polroles)), ', ')
              END
           || coalesce(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '')
           || coalesce(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')
      FROM pg_policy p
      JOIN pg_class c ON c.oid = p.polrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    SELECT 'rule', r.oid, 'pg_rewrite'::regclass,
           quote_ident(r.rulename) || ' ON ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname),
           r.ev_class::int8, NULL, NULL, NULL,
           -- Not enabled: followed by what says so, as pg_dump writes it.
           rtrim(pg_get_ruledef(r.oid), ';')
           || coalesce('; ALTER TABLE ' || r.ev_class::regclass::text || ' '
                       || CASE r.ev_enabled WHEN 'D' THEN 'DISABLE' WHEN 'A' THEN 'ENABLE ALWAYS'
                                            WHEN 'R' THEN 'ENABLE REPLICA' END
                       || ' RULE ' || quote_ident(r.rulename), '')
      FROM pg_rewrite r
      JOIN pg_class c ON c.oid = r.ev_class
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY ($1::text[])
       AND r.rulename <> '_RETURN'
    UNION ALL
    SELECT 'statistics', s.oid, 'pg_statistic_ext'::regclass,
           quote_ident(n.nspname) || '.' || quote_ident(s.stxname),
           s.stxrelid::int8, NULL, NULL, NULL, pg_get_statisticsobjdef(s.oid)
      FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
     WHERE n.nspname = ANY ($1::text[])
    UNION ALL
    -- Objects made after initdb have an OID from 16384 on.
    SELECT 'cast', c.oid, 'pg_cast'::regclass,
           '(' || format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) || ')',
           NULL, NULL, nullif(c.castfunc, 0)::int8, NULL,
           'CREATE CAST (' || format_type(c.castsource, NULL) || ' AS '
           || format_type(c.casttarget, NULL) || ') '
           || CASE c.castmethod WHEN 'b' THEN 'WITHOUT FUNCTION' WHEN 'i' THEN 'WITH INOUT'
                   ELSE 'WITH FUNCTION ' || c.castfunc::regprocedure::text END
           || CASE c.castcontext WHEN 'a' THEN ' AS ASSIGNMENT' WHEN 'i' THEN ' AS IMPLICIT' ELSE '' END
      FROM pg_cast c
     WHERE c.oid >= 16384
    UNION ALL
    SELECT 'event trigger', e.oid, 'pg_event_trigger'::regclass, quote_ident(e.evtname),
           NULL, NULL, e.evtfoid::int8, NULL,
           'CREATE EVENT TRIGGER ' || quote_ident(e.evtname) || ' ON ' || quote_ident(e.evtevent)
           || CASE WHEN e.evttags IS NULL THEN ''
                   ELSE ' WHEN TAG IN (' || array_to_string(array(SELECT quote_literal(t)
                                                                    FROM unnest(e.evttags) AS t),
                                                              ', ') || ')'
              END
           || ' EXECUTE FUNCTION ' || e.evtfoid::regproc::text || '()'
           || coalesce('; ALTER EVENT TRIGGER ' || quote_ident(e.evtname) || ' '
                       || CASE e.evtenabled WHEN 'D' THEN 'DISABLE' WHEN 'A' THEN 'ENABLE ALWAYS'
                                            WHEN 'R' THEN 'ENABLE REPLICA' END, '')
      FROM pg_event_trigger e
    UNION ALL
    -- With the tables it publishes, one `ALTER PUBLICATION ... ADD TABLE
    -- ONLY` each (with its column list and row filter), then its schemas,
    -- one `ALTER PUBLICATION ... ADD TABLES IN SCHEMA` each, as pg_dump
    -- writes them. Column lists, row filters and schemas came with
    -- PostgreSQL 15: postgres.rs puts their reading in place of the `''`
    -- marked below on 15 and later.
    SELECT 'publication', p.oid, 'pg_publication'::regclass, quote_ident(p.pubname), NULL,
           array(SELECT r.prrelid::int8 FROM pg_publication_rel r WHERE r.prpubid = p.oid),
           NULL, NULL,
           'CREATE PUBLICATION ' || quote_ident(p.pubname)
           || CASE WHEN p.puballtables THEN ' FOR ALL TABLES' ELSE '' END
           || ' WITH (publish = '''
           || array_to_string(ARRAY[CASE WHEN p.pubinsert THEN 'insert' END,
                                    CASE WHEN p.pubupdate THEN 'update' END,
                                    CASE WHEN p.pubdelete THEN 'delete' END,
                                    CASE WHEN (to_jsonb(p) ->> 'pubtruncate')::boolean
                                         THEN 'truncate' END], ', ')
           || ''''
           || CASE WHEN (to_jsonb(p) ->> 'pubviaroot')::boolean
                   THEN ', publish_via_partition_root = true' ELSE '' END
           || ')'
           || coalesce((SELECT string_agg('; ALTER PUBLICATION ' || quote_ident(p.pubname)
                                          || ' ADD TABLE ONLY ' || r.prrelid::regclass::text
                                          || '' -- a table's column list and row filter
                                          , '' ORDER BY tn.nspname, t.relname)
                          FROM pg_publication_rel r
                          JOIN pg_class t ON t.oid = r.prrelid
                          JOIN pg_namespace tn ON tn.oid = t.relnamespace
                         WHERE r.prpubid = p.oid), '')
           || '' -- the schemas
      FROM pg_publication p
)
SELECT o.kind, o.name, o.relation, coalesce(o.tables, '{}') AS tables, o.function,
       coalesce(o.uses, '{}') AS uses, o.definition,
       (SELECT d.description
          FROM pg_description d
         WHERE d.classoid = o.class AND d.objoid = o.oid AND d.objsubid = 0) AS comment
  FROM own o
 WHERE NOT EXISTS (SELECT 1
                     FROM pg_depend d
                    WHERE d.classid = o.class
                      AND d.objid = o.oid
                      AND d.deptype IN ('e', 'i'))
 ORDER BY o.kind, o.name
