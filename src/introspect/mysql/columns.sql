-- Every column of every table and view of one schema, in column order.
SELECT CAST(TABLE_NAME AS CHAR) AS table_name,
       CAST(COLUMN_NAME AS CHAR) AS name,
       CAST(COLUMN_DEFAULT AS CHAR) AS column_default,
       CAST(IS_NULLABLE AS CHAR) AS is_nullable,
       CAST(DATA_TYPE AS CHAR) AS data_type,
       CAST(COLUMN_TYPE AS CHAR) AS column_type,
       CAST(CHARACTER_MAXIMUM_LENGTH AS SIGNED) AS max_length,
       CAST(NUMERIC_PRECISION AS SIGNED) AS numeric_precision,
       CAST(NUMERIC_SCALE AS SIGNED) AS numeric_scale,
       CAST(COLLATION_NAME AS CHAR) AS collation,
       CAST(EXTRA AS CHAR) AS extra,
       CAST(COLUMN_COMMENT AS CHAR) AS comment,
       CAST(GENERATION_EXPRESSION AS CHAR) AS generation_expression
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = ?
ORDER BY TABLE_NAME, ORDINAL_POSITION
