-- Rewrite rules on the relations of the requested schemas ($1), except the
-- `_RETURN` rule every view has.
SELECT r.ev_class::int8 AS relation,
       r.rulename::text AS name,
       pg_get_ruledef(r.oid) AS definition
  FROM pg_rewrite r
  JOIN pg_class c ON c.oid = r.ev_class
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY ($1::text[])
   AND r.rulename <> '_RETURN'
