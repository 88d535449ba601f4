-- payment service schema: user balances (money in won, integers), one payment per order,
-- balance charges by Idempotency-Key, coupon campaigns and the coupons issued from them (outbox and
-- inbox: 45_outbox_inbox.sql).
CREATE DATABASE IF NOT EXISTS payment_db DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
USE payment_db;

CREATE TABLE IF NOT EXISTS accounts (
  user_id    BIGINT      NOT NULL,
  balance    BIGINT      NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  PRIMARY KEY (user_id),
  CONSTRAINT chk_accounts_balance CHECK (balance >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per order: the primary key is what makes "at most one debit per order" hold. `amount`
-- is the debit (COMPLETED) or the order's total (FAILED); `discount` is the coupon's.
CREATE TABLE IF NOT EXISTS payments (
  order_id   VARCHAR(64) NOT NULL,
  payment_id CHAR(36)    NOT NULL,
  user_id    BIGINT      NOT NULL,
  amount     BIGINT      NOT NULL,
  status     VARCHAR(16) NOT NULL,
  reason     VARCHAR(32) NULL,
  created_at DATETIME(3) NOT NULL,
  discount   BIGINT      NOT NULL DEFAULT 0,
  coupon_id  VARCHAR(64) NULL,
  PRIMARY KEY (order_id),
  UNIQUE KEY uq_payments_payment (payment_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Balance top-ups sent with an Idempotency-Key, and the answer given.
CREATE TABLE IF NOT EXISTS charges (
  idem_key         VARCHAR(128) NOT NULL,
  user_id          BIGINT       NOT NULL,
  amount           BIGINT       NOT NULL,
  previous_balance BIGINT       NOT NULL,
  current_balance  BIGINT       NOT NULL,
  created_at       DATETIME(3)  NOT NULL,
  PRIMARY KEY (idem_key),
  KEY idx_charges_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A coupon campaign: `issued` counts the coupons handed out, never past `quantity`.
CREATE TABLE IF NOT EXISTS coupon_campaigns (
  coupon_id      VARCHAR(64)  NOT NULL,
  name           VARCHAR(200) NOT NULL,
  discount_type  VARCHAR(8)   NOT NULL,
  discount_value BIGINT       NOT NULL,
  max_discount   BIGINT       NULL,
  quantity       BIGINT       NOT NULL,
  issued         BIGINT       NOT NULL,
  valid_from     DATETIME(3)  NULL,
  valid_until    DATETIME(3)  NULL,
  created_at     DATETIME(3)  NOT NULL,
  updated_at     DATETIME(3)  NOT NULL,
  PRIMARY KEY (coupon_id),
  CONSTRAINT chk_coupon_campaigns_issued CHECK (issued >= 0 AND issued <= quantity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One coupon per campaign and user: the primary key is what makes "at most one per user" hold.
CREATE TABLE IF NOT EXISTS coupons (
  coupon_id        VARCHAR(64) NOT NULL,
  user_id          BIGINT      NOT NULL,
  issued_at        DATETIME(3) NOT NULL,
  used_by_order_id VARCHAR(64) NULL,
  used_at          DATETIME(3) NULL,
  PRIMARY KEY (coupon_id, user_id),
  KEY idx_coupons_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Orders whose saga was aborted (docs/adr/0017): a late stock.reserved debits nothing for them.
CREATE TABLE IF NOT EXISTS aborted_orders (
  order_id   VARCHAR(64) NOT NULL,
  aborted_at DATETIME(3) NOT NULL,
  PRIMARY KEY (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE USER IF NOT EXISTS 'payment_svc'@'%' IDENTIFIED BY 'payment_pw';
GRANT SELECT, INSERT, UPDATE, DELETE ON payment_db.* TO 'payment_svc'@'%';
