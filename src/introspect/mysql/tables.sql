-- Tables and views of one schema.
SELECT CAST(TABLE_NAME AS CHAR) AS name,
       CAST(TABLE_TYPE AS CHAR) AS kind,
       CAST(ENGINE AS CHAR) AS engine,
       CAST(TABLE_COMMENT AS CHAR) AS comment,
       CAST(CREATE_OPTIONS AS CHAR) AS options,
       CAST(TABLE_COLLATION AS CHAR) AS collation
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = ?
ORDER BY TABLE_NAME
