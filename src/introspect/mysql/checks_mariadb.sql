-- CHECK constraints with their table (MariaDB names them per table).
SELECT CAST(c.TABLE_NAME AS CHAR) AS table_name,
       CAST(c.CONSTRAINT_NAME AS CHAR) AS name,
       CAST(c.CHECK_CLAUSE AS CHAR) AS clause
FROM information_schema.CHECK_CONSTRAINTS c
WHERE c.CONSTRAINT_SCHEMA = ?
ORDER BY c.TABLE_NAME, c.CONSTRAINT_NAME
