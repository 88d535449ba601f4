-- completion service schema: each saga's status and timeline (outbox and inbox: 45_outbox_inbox.sql).
CREATE DATABASE IF NOT EXISTS completion_db DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
USE completion_db;

CREATE TABLE IF NOT EXISTS sagas (
  order_id    VARCHAR(64) NOT NULL,
  status      VARCHAR(16) NOT NULL,
  reason      VARCHAR(32) NULL,
  started_at  DATETIME(3) NOT NULL,
  finished_at DATETIME(3) NULL,
  duration_ms BIGINT      NULL,
  aborted_at  DATETIME(3) NULL,
  updated_at  DATETIME(3) NOT NULL,
  PRIMARY KEY (order_id),
  -- GET /sagas (a keyset range per status and reason, oldest first), the oldest PENDING saga,
  -- the overdue count and the counts of GET /sagas/stats.
  KEY idx_sagas_status_reason_started (status, reason, started_at, order_id),
  KEY idx_sagas_duration (duration_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per event seen for a saga (in any order), plus the final event it emitted, with the
-- money and coupon of the events that carry them.
CREATE TABLE IF NOT EXISTS saga_steps (
  order_id    VARCHAR(64) NOT NULL,
  event_id    CHAR(36)    NOT NULL,
  event_type  VARCHAR(64) NOT NULL,
  reason      VARCHAR(32) NULL,
  occurred_at DATETIME(3) NOT NULL,
  recorded_at DATETIME(6) NOT NULL,
  amount      BIGINT      NULL,
  discount    BIGINT      NULL,
  coupon_id   VARCHAR(64) NULL,
  PRIMARY KEY (order_id, event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE USER IF NOT EXISTS 'completion_svc'@'%' IDENTIFIED BY 'completion_pw';
GRANT SELECT, INSERT, UPDATE, DELETE ON completion_db.* TO 'completion_svc'@'%';
