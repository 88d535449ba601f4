-- product-stock service schema: products with price and stock, reservations per order (outbox and inbox: 45_outbox_inbox.sql).
CREATE DATABASE IF NOT EXISTS stock_db DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
USE stock_db;

CREATE TABLE IF NOT EXISTS products (
  product_id BIGINT       NOT NULL,
  name       VARCHAR(200) NOT NULL,
  price      BIGINT       NOT NULL,
  stock      BIGINT       NOT NULL,
  updated_at DATETIME(3)  NOT NULL,
  PRIMARY KEY (product_id),
  CONSTRAINT chk_products_price CHECK (price >= 0),
  CONSTRAINT chk_products_stock CHECK (stock >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What each order reserved (RESERVED), and whether it was given back (RELEASED).
CREATE TABLE IF NOT EXISTS reservations (
  order_id    VARCHAR(64) NOT NULL,
  product_id  BIGINT      NOT NULL,
  quantity    INT         NOT NULL,
  unit_price  BIGINT      NOT NULL,
  status      VARCHAR(16) NOT NULL,
  created_at  DATETIME(3) NOT NULL,
  released_at DATETIME(3) NULL,
  PRIMARY KEY (order_id, product_id),
  KEY idx_reservations_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Orders whose saga was aborted (docs/adr/0017): a late order.created reserves nothing for them.
CREATE TABLE IF NOT EXISTS aborted_orders (
  order_id   VARCHAR(64) NOT NULL,
  aborted_at DATETIME(3) NOT NULL,
  PRIMARY KEY (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE USER IF NOT EXISTS 'stock_svc'@'%' IDENTIFIED BY 'stock_pw';
GRANT SELECT, INSERT, UPDATE, DELETE ON stock_db.* TO 'stock_svc'@'%';
