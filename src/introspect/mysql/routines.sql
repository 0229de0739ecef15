-- Stored procedures and functions, and events (not representable: listed
-- in the ledger).
SELECT name, kind
FROM (SELECT CAST(ROUTINE_NAME AS CHAR) AS name,
             CAST(ROUTINE_TYPE AS CHAR) AS kind,
             ROUTINE_SCHEMA AS in_schema
      FROM information_schema.ROUTINES
      UNION ALL
      SELECT CAST(EVENT_NAME AS CHAR), 'EVENT', EVENT_SCHEMA
      FROM information_schema.EVENTS) AS programs
WHERE in_schema = ?
ORDER BY kind, name
