-- Columns that later versions of these schemas added: add them to a schema created before them,
-- so that a data directory or volume made by an earlier version keeps working.
-- - orders.amount, orders.discount: what the order's payment debited and its coupon's discount;
-- - payments.discount, payments.coupon_id: the coupon an order's payment applied;
-- - saga_steps.amount, saga_steps.discount, saga_steps.coupon_id: the money and coupon of a step;
-- - orders.deadline and orders.expiries: the saga deadline (docs/adr/0017; the order service gives
--   a PENDING order without one a deadline from its creation time); sagas.aborted_at: the abort.
-- Conditional, so applying this file again is harmless. ADD COLUMN IF NOT EXISTS is MariaDB only,
-- hence information_schema and a prepared ALTER in a procedure (valid on MySQL 8 too).
DROP PROCEDURE IF EXISTS order_db.saga_add_column;
DELIMITER //
-- The names go into the look-up as literals (see 50_drop_unused_indexes.sql).
CREATE PROCEDURE order_db.saga_add_column(IN s VARCHAR(64), IN t VARCHAR(64), IN c VARCHAR(64),
                                          IN definition VARCHAR(200))
BEGIN
  SET @found_sql = CONCAT('SELECT COUNT(*) INTO @found FROM information_schema.columns ',
                          'WHERE table_schema = ''', s, ''' AND table_name = ''', t,
                          ''' AND column_name = ''', c, '''');
  PREPARE found_stmt FROM @found_sql;
  EXECUTE found_stmt;
  DEALLOCATE PREPARE found_stmt;
  IF @found = 0 THEN
    SET @add_sql = CONCAT('ALTER TABLE `', s, '`.`', t, '` ADD COLUMN `', c, '` ', definition);
    PREPARE add_stmt FROM @add_sql;
    EXECUTE add_stmt;
    DEALLOCATE PREPARE add_stmt;
  END IF;
END //
DELIMITER ;

CALL order_db.saga_add_column('order_db', 'orders', 'amount', 'BIGINT NULL');
CALL order_db.saga_add_column('order_db', 'orders', 'discount', 'BIGINT NULL');
CALL order_db.saga_add_column('payment_db', 'payments', 'discount', 'BIGINT NOT NULL DEFAULT 0');
CALL order_db.saga_add_column('payment_db', 'payments', 'coupon_id', 'VARCHAR(64) NULL');
CALL order_db.saga_add_column('completion_db', 'saga_steps', 'amount', 'BIGINT NULL');
CALL order_db.saga_add_column('completion_db', 'saga_steps', 'discount', 'BIGINT NULL');
CALL order_db.saga_add_column('completion_db', 'saga_steps', 'coupon_id', 'VARCHAR(64) NULL');
CALL order_db.saga_add_column('order_db', 'orders', 'deadline', 'DATETIME(3) NULL');
CALL order_db.saga_add_column('order_db', 'orders', 'expiries', 'INT NOT NULL DEFAULT 0');
CALL order_db.saga_add_column('completion_db', 'sagas', 'aborted_at', 'DATETIME(3) NULL');

DROP PROCEDURE order_db.saga_add_column;
