-- Schemas created before the outbox lost its unique index on event_id: drop it. The relay reads
-- and deletes outbox rows by id only; an event id is a fresh UUIDv7 per event, and every consumer
-- keys its inbox on it. The index cost MariaDB CPU on every outbox insert and delete
-- (docs/benchmarks.md). Conditional, so applying this file again is harmless;
-- DROP INDEX IF EXISTS is MariaDB only, hence information_schema and PREPARE (valid on MySQL 8 too).
SET @drop_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE order_db.outbox DROP INDEX uq_outbox_event', 'DO 0')
                 FROM information_schema.statistics
                 WHERE table_schema = 'order_db' AND table_name = 'outbox' AND index_name = 'uq_outbox_event');
PREPARE drop_stmt FROM @drop_sql;
EXECUTE drop_stmt;
DEALLOCATE PREPARE drop_stmt;

SET @drop_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE stock_db.outbox DROP INDEX uq_outbox_event', 'DO 0')
                 FROM information_schema.statistics
                 WHERE table_schema = 'stock_db' AND table_name = 'outbox' AND index_name = 'uq_outbox_event');
PREPARE drop_stmt FROM @drop_sql;
EXECUTE drop_stmt;
DEALLOCATE PREPARE drop_stmt;

SET @drop_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE payment_db.outbox DROP INDEX uq_outbox_event', 'DO 0')
                 FROM information_schema.statistics
                 WHERE table_schema = 'payment_db' AND table_name = 'outbox' AND index_name = 'uq_outbox_event');
PREPARE drop_stmt FROM @drop_sql;
EXECUTE drop_stmt;
DEALLOCATE PREPARE drop_stmt;

SET @drop_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE completion_db.outbox DROP INDEX uq_outbox_event', 'DO 0')
                 FROM information_schema.statistics
                 WHERE table_schema = 'completion_db' AND table_name = 'outbox' AND index_name = 'uq_outbox_event');
PREPARE drop_stmt FROM @drop_sql;
EXECUTE drop_stmt;
DEALLOCATE PREPARE drop_stmt;
