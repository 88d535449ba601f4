-- The relay reads and deletes outbox rows of every schema, and nothing else.
CREATE USER IF NOT EXISTS 'relay'@'%' IDENTIFIED BY 'relay_pw';
GRANT SELECT, DELETE ON order_db.outbox TO 'relay'@'%';
GRANT SELECT, DELETE ON stock_db.outbox TO 'relay'@'%';
GRANT SELECT, DELETE ON payment_db.outbox TO 'relay'@'%';
GRANT SELECT, DELETE ON completion_db.outbox TO 'relay'@'%';
