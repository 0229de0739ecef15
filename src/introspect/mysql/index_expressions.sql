-- Functional key parts (MySQL 8.0.13+; MariaDB has no such column).
SELECT CAST(TABLE_NAME AS CHAR) AS table_name,
       CAST(INDEX_NAME AS CHAR) AS name,
       CAST(SEQ_IN_INDEX AS SIGNED) AS position,
       CAST(EXPRESSION AS CHAR) AS expression
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND EXPRESSION IS NOT NULL
