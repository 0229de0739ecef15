-- View queries, and the connection collation each was made with.
SELECT CAST(TABLE_NAME AS CHAR) AS name,
       CAST(VIEW_DEFINITION AS CHAR) AS definition,
       CAST(COLLATION_CONNECTION AS CHAR) AS collation
FROM information_schema.VIEWS
WHERE TABLE_SCHEMA = ?
ORDER BY TABLE_NAME
