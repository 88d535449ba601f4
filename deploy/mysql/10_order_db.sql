-- order service schema: orders, their items, idempotency keys (outbox and inbox: 45_outbox_inbox.sql).
CREATE DATABASE IF NOT EXISTS order_db DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
USE order_db;

CREATE TABLE IF NOT EXISTS orders (
  order_id    CHAR(36)    NOT NULL,
  user_id     BIGINT      NOT NULL,
  status      VARCHAR(16) NOT NULL,
  reason      VARCHAR(32) NULL,
  coupon_id   VARCHAR(64) NULL,
  traceparent VARCHAR(64) NULL,
  created_at  DATETIME(3) NOT NULL,
  updated_at  DATETIME(3) NOT NULL,
  amount      BIGINT      NULL,
  discount    BIGINT      NULL,
  deadline    DATETIME(3) NULL,
  expiries    INT         NOT NULL DEFAULT 0,
  PRIMARY KEY (order_id),
  KEY idx_orders_deadline (status, deadline)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS order_items (
  order_id   CHAR(36) NOT NULL,
  product_id BIGINT   NOT NULL,
  quantity   INT      NOT NULL,
  PRIMARY KEY (order_id, product_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per Idempotency-Key: the canonical request it was first used with and its order.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  idem_key   VARCHAR(128) NOT NULL,
  request    TEXT         NOT NULL,
  order_id   CHAR(36)     NOT NULL,
  created_at DATETIME(3)  NOT NULL,
  PRIMARY KEY (idem_key),
  KEY idx_idempotency_keys_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE USER IF NOT EXISTS 'order_svc'@'%' IDENTIFIED BY 'order_pw';
GRANT SELECT, INSERT, UPDATE, DELETE ON order_db.* TO 'order_svc'@'%';
