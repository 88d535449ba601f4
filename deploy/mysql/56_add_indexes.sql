-- Indexes that later versions of these schemas added: add them to a table created before them,
-- so that a data directory or volume made by an earlier version serves the same queries.
-- - sagas.idx_sagas_status_reason_started (status, reason, started_at, order_id): GET /sagas reads
--   one range of it per status and reason in (started_at, order_id) order; the oldest PENDING
--   saga and the overdue count are one look-up and one range of it.
-- - orders.idx_orders_deadline (status, deadline): the order service's deadline scan
--   (docs/adr/0017) reads the PENDING orders past their deadline from one range of it.
-- - idempotency_keys.idx_idempotency_keys_created, charges.idx_charges_created (created_at): the
--   retention clean-up (docs/adr/0018) deletes the oldest rows from one range of each.
-- Conditional, so applying this file again is harmless. ADD INDEX IF NOT EXISTS is MariaDB only,
-- hence information_schema and a prepared ALTER in a procedure (valid on MySQL 8 too).
DROP PROCEDURE IF EXISTS order_db.saga_add_index;
DELIMITER //
-- The names go into the look-up as literals (see 50_drop_unused_indexes.sql).
CREATE PROCEDURE order_db.saga_add_index(IN s VARCHAR(64), IN t VARCHAR(64), IN i VARCHAR(64),
                                         IN cols VARCHAR(200))
BEGIN
  SET @found_sql = CONCAT('SELECT COUNT(*) INTO @found FROM information_schema.statistics ',
                          'WHERE table_schema = ''', s, ''' AND table_name = ''', t,
                          ''' AND index_name = ''', i, '''');
  PREPARE found_stmt FROM @found_sql;
  EXECUTE found_stmt;
  DEALLOCATE PREPARE found_stmt;
  IF @found = 0 THEN
    SET @add_sql = CONCAT('ALTER TABLE `', s, '`.`', t, '` ADD INDEX `', i, '` (', cols, ')');
    PREPARE add_stmt FROM @add_sql;
    EXECUTE add_stmt;
    DEALLOCATE PREPARE add_stmt;
  END IF;
END //
DELIMITER ;

CALL order_db.saga_add_index('completion_db', 'sagas', 'idx_sagas_status_reason_started',
                             'status, reason, started_at, order_id');
CALL order_db.saga_add_index('order_db', 'orders', 'idx_orders_deadline', 'status, deadline');
CALL order_db.saga_add_index('order_db', 'idempotency_keys', 'idx_idempotency_keys_created', 'created_at');
CALL order_db.saga_add_index('payment_db', 'charges', 'idx_charges_created', 'created_at');

DROP PROCEDURE order_db.saga_add_index;
