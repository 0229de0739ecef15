-- Index key parts of one schema (the PRIMARY index included). `hidden` is
-- replaced by what the server says of a key the optimizer does not use:
-- `IGNORED` (MariaDB 10.6 on) or `IS_VISIBLE` (MySQL 8), when it has one.
SELECT CAST(TABLE_NAME AS CHAR) AS table_name,
       CAST(INDEX_NAME AS CHAR) AS name,
       CAST(NON_UNIQUE AS SIGNED) AS non_unique,
       CAST(SEQ_IN_INDEX AS SIGNED) AS position,
       CAST(COLUMN_NAME AS CHAR) AS column_name,
       CAST(COLLATION AS CHAR) AS collation,
       CAST(SUB_PART AS SIGNED) AS sub_part,
       CAST(INDEX_TYPE AS CHAR) AS index_type,
       CAST(INDEX_COMMENT AS CHAR) AS comment,
       CAST(hidden AS SIGNED) AS hidden
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ?
ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
