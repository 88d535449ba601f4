-- Indexes that earlier versions of these schemas created and no query uses: drop them from a
-- schema that still has them. Each cost MariaDB CPU on every insert (and the order status index on
-- every status change) for nothing (docs/benchmarks.md):
-- - outbox.uq_outbox_event, in every schema: the relay reads and deletes outbox rows by id; an
--   event id is a fresh UUIDv7 per event, and every consumer keys its inbox on it;
-- - orders.idx_orders_user and orders.idx_orders_status: orders are read by order_id only;
-- - payments.idx_payments_user: payments are read by order_id only.
-- Conditional, so applying this file again is harmless. DROP INDEX IF EXISTS is MariaDB only,
-- hence information_schema and a prepared ALTER in a procedure (valid on MySQL 8 too).
DROP PROCEDURE IF EXISTS order_db.saga_drop_index;
DELIMITER //
CREATE PROCEDURE order_db.saga_drop_index(IN s VARCHAR(64), IN t VARCHAR(64), IN i VARCHAR(64))
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.statistics
             WHERE table_schema = s AND table_name = t AND index_name = i) THEN
    SET @drop_sql = CONCAT('ALTER TABLE `', s, '`.`', t, '` DROP INDEX `', i, '`');
    PREPARE drop_stmt FROM @drop_sql;
    EXECUTE drop_stmt;
    DEALLOCATE PREPARE drop_stmt;
  END IF;
END //
DELIMITER ;

CALL order_db.saga_drop_index('order_db', 'outbox', 'uq_outbox_event');
CALL order_db.saga_drop_index('stock_db', 'outbox', 'uq_outbox_event');
CALL order_db.saga_drop_index('payment_db', 'outbox', 'uq_outbox_event');
CALL order_db.saga_drop_index('completion_db', 'outbox', 'uq_outbox_event');
CALL order_db.saga_drop_index('order_db', 'orders', 'idx_orders_user');
CALL order_db.saga_drop_index('order_db', 'orders', 'idx_orders_status');
CALL order_db.saga_drop_index('payment_db', 'payments', 'idx_payments_user');

DROP PROCEDURE order_db.saga_drop_index;
