-- View queries, the connection collation each was made with, and its
-- check option, SQL SECURITY and algorithm.
SELECT CAST(TABLE_NAME AS CHAR) AS name,
       CAST(VIEW_DEFINITION AS CHAR) AS definition,
       CAST(COLLATION_CONNECTION AS CHAR) AS collation,
       CAST(CHECK_OPTION AS CHAR) AS check_option,
       CAST(SECURITY_TYPE AS CHAR) AS security_type,
       -- MariaDB's only; MySQL lists no algorithm.
       CAST(NULL AS CHAR) AS algorithm
FROM information_schema.VIEWS
WHERE TABLE_SCHEMA = ?
ORDER BY TABLE_NAME
