-- Demo and load-test data: products 1..10 (price 2,000, stock 20,000) and users 1..100
-- (balance 10,000,000). INSERT IGNORE keeps whatever is already there, so re-running is harmless.
INSERT IGNORE INTO stock_db.products (product_id, name, price, stock, updated_at)
WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 10)
SELECT n, CONCAT('Product ', n), 2000, 20000, UTC_TIMESTAMP(3) FROM seq;

INSERT IGNORE INTO payment_db.accounts (user_id, balance, updated_at)
WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 100)
SELECT n, 10000000, UTC_TIMESTAMP(3) FROM seq;
