-- Indexes that earlier versions of these schemas created and no query uses: drop them from a
-- schema that still has them. Each cost MariaDB CPU on every insert (and the order status index on
-- every status change) for nothing (docs/benchmarks.md):
-- - outbox.uq_outbox_event, in every schema: the relay reads and deletes outbox rows by id; an
--   event id is a fresh UUIDv7 per event, and every consumer keys its inbox on it;
-- - orders.idx_orders_user and orders.idx_orders_status: orders are read by order_id only;
-- - payments.idx_payments_user: payments are read by order_id only;
-- - sagas.idx_sagas_status: idx_sagas_status_reason_started (56_add_indexes.sql) starts with status.
-- Conditional, so applying this file again is harmless. DROP INDEX IF EXISTS is MariaDB only,
-- hence information_schema and a prepared ALTER in a procedure (valid on MySQL 8 too).
DROP PROCEDURE IF EXISTS order_db.saga_drop_index;
DELIMITER //
-- The names go into the look-up as literals, as in a plain query: compared with a parameter,
-- information_schema's utf8mb3 columns would meet a utf8mb4 value of the same coercibility.
CREATE PROCEDURE order_db.saga_drop_index(IN s VARCHAR(64), IN t VARCHAR(64), IN i VARCHAR(64))
BEGIN
  SET @found_sql = CONCAT('SELECT COUNT(*) INTO @found FROM information_schema.statistics ',
                          'WHERE table_schema = ''', s, ''' AND table_name = ''', t,
                          ''' AND index_name = ''', i, '''');
  PREPARE found_stmt FROM @found_sql;
  EXECUTE found_stmt;
  DEALLOCATE PREPARE found_stmt;
  IF @found > 0 THEN
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
CALL order_db.saga_drop_index('completion_db', 'sagas', 'idx_sagas_status');

DROP PROCEDURE order_db.saga_drop_index;
