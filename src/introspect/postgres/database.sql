-- The database's name, and which of the requested schemas ($1) exist.
SELECT current_database()::text AS database,
       coalesce(
           (SELECT array_agg(n.nspname::text ORDER BY n.nspname)
              FROM pg_namespace n
             WHERE n.nspname = ANY ($1::text[])),
           '{}'::text[]) AS schemas
