-- The outbox and the inbox of every service schema, defined once (docs/adr/0004).
-- outbox: written in the same transaction as the business change, drained in id order by the
--   relay, which deletes a row only after the broker acknowledged it.
-- inbox: the ids of the events already applied here, inserted in the same transaction as their
--   effect.
-- CREATE TABLE IF NOT EXISTS, so applying this file again is harmless.
DROP PROCEDURE IF EXISTS order_db.saga_outbox_inbox;
DELIMITER //
CREATE PROCEDURE order_db.saga_outbox_inbox(IN s VARCHAR(64))
BEGIN
  SET @outbox_sql = CONCAT('CREATE TABLE IF NOT EXISTS `', s, '`.outbox (',
    'id          BIGINT       NOT NULL AUTO_INCREMENT, ',
    'event_id    CHAR(36)     NOT NULL, ',
    'event_type  VARCHAR(64)  NOT NULL, ',
    'order_id    VARCHAR(64)  NOT NULL, ',
    'envelope    MEDIUMTEXT   NOT NULL, ',
    'traceparent VARCHAR(64)  NULL, ',
    'created_at  DATETIME(6)  NOT NULL, ',
    'PRIMARY KEY (id)',
    ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin');
  PREPARE outbox_stmt FROM @outbox_sql;
  EXECUTE outbox_stmt;
  DEALLOCATE PREPARE outbox_stmt;
  SET @inbox_sql = CONCAT('CREATE TABLE IF NOT EXISTS `', s, '`.inbox (',
    'event_id     CHAR(36)    NOT NULL, ',
    'event_type   VARCHAR(64) NOT NULL, ',
    'processed_at DATETIME(6) NOT NULL, ',
    'PRIMARY KEY (event_id)',
    ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin');
  PREPARE inbox_stmt FROM @inbox_sql;
  EXECUTE inbox_stmt;
  DEALLOCATE PREPARE inbox_stmt;
END //
DELIMITER ;

CALL order_db.saga_outbox_inbox('order_db');
CALL order_db.saga_outbox_inbox('stock_db');
CALL order_db.saga_outbox_inbox('payment_db');
CALL order_db.saga_outbox_inbox('completion_db');

DROP PROCEDURE order_db.saga_outbox_inbox;
