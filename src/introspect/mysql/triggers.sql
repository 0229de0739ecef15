-- Triggers (not representable: listed in the fidelity ledger).
SELECT CAST(EVENT_OBJECT_TABLE AS CHAR) AS table_name,
       CAST(TRIGGER_NAME AS CHAR) AS name,
       CAST(ACTION_TIMING AS CHAR) AS timing,
       CAST(EVENT_MANIPULATION AS CHAR) AS event
FROM information_schema.TRIGGERS
WHERE TRIGGER_SCHEMA = ?
ORDER BY EVENT_OBJECT_TABLE, TRIGGER_NAME
