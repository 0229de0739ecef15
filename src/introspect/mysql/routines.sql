-- Stored procedures and functions (not representable: listed in the ledger).
SELECT CAST(ROUTINE_NAME AS CHAR) AS name,
       CAST(ROUTINE_TYPE AS CHAR) AS kind
FROM information_schema.ROUTINES
WHERE ROUTINE_SCHEMA = ?
ORDER BY ROUTINE_TYPE, ROUTINE_NAME
