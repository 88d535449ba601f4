"""deploy/local scripts and service start-up, as a user runs them."""
import json
import os
import subprocess
import unittest

from stack import (BINARY_DIR, BOOTSTRAP, CONSUMER_TOPICS, DB_ACCOUNTS, ENV, RUN_DIR, SAGA_TOPICS, SOURCE_DIR,
                   db_password, http, sql, wait_for)


def pids():
    return {p.name: p.read_text().strip() for p in (RUN_DIR / "pids").glob("*.pid")}


def script(name, *args):
    return subprocess.run([str(SOURCE_DIR / "deploy/local" / name), *args], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))


def can_connect(user, password):
    return subprocess.run(["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", ENV["DB_PORT"], "-u", user,
                           f"-p{password}", "-e", "SELECT 1"], capture_output=True, timeout=30).returncode == 0


class StackSecretsTest(unittest.TestCase):
    def test_secrets_are_private_random_per_stack_and_kept_across_up(self):
        self.assertEqual(os.stat(RUN_DIR / "stack.env").st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(RUN_DIR / "secrets").st_mode & 0o777, 0o700)
        secrets = {p.name: p.read_text() for p in (RUN_DIR / "secrets").iterdir()}
        for name in secrets:
            self.assertEqual(os.stat(RUN_DIR / "secrets" / name).st_mode & 0o777, 0o600, name)
        for service, default in [("order", "order_pw"), ("product-stock", "stock_pw"), ("payment", "payment_pw"),
                                 ("completion", "completion_pw"), ("relay", "relay_pw")]:
            with self.subTest(service=service):
                account = DB_ACCOUNTS[service]
                # Only from this host, with this stack's own password: not the one in deploy/mysql.
                self.assertEqual(sql(f"SELECT host FROM mysql.user WHERE user = '{account}'"), [["127.0.0.1"]])
                self.assertTrue(can_connect(account, db_password(service)))
                self.assertFalse(can_connect(account, default))
                self.assertNotEqual(db_password(service), default)
        res = script("up", "--no-build", "--no-demo", "--bin-dir", str(BINARY_DIR))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual({p.name: p.read_text() for p in (RUN_DIR / "secrets").iterdir()}, secrets)
        self.assertEqual(sql("SELECT COUNT(*) FROM mysql.user WHERE host = '%' AND user IN "
                             "('order_svc', 'stock_svc', 'payment_svc', 'completion_svc', 'relay')"), [["0"]])
        res = http("PUT", ENV["PRODUCT_URL"] + "/products/1/stock", {"stock": 20000},
                   {"X-Admin-Token": ENV["ADMIN_TOKEN"]})
        self.assertEqual(res.status, 200, res.body)
        self.assertEqual(http("PUT", ENV["PRODUCT_URL"] + "/products/1/stock", {"stock": 20000},
                              {"X-Admin-Token": ENV["ADMIN_TOKEN"][:-1]}).status, 401)


class StackScriptsTest(unittest.TestCase):
    def test_up_again_is_harmless_and_its_demo_order_reaches_kafka(self):
        before = pids()
        res = script("up", "--no-build", "--bin-dir", str(BINARY_DIR))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("was published by the relay", res.stderr)
        self.assertIn('"status":"PENDING"', res.stdout)
        self.assertEqual(pids(), before)  # nothing restarted

    def test_up_drops_the_unused_indexes_an_older_schema_still_has(self):
        # Schemas created before these indexes were removed keep them until deploy/mysql/50_* runs,
        # and lack the ones added later until deploy/mysql/56_* runs.
        def indexed():
            return sorted(f"{row[0]}.{row[1]}.{row[2]}" for row in sql(
                "SELECT DISTINCT table_schema, table_name, index_name FROM information_schema.statistics "
                "WHERE table_schema IN ('order_db', 'stock_db', 'payment_db', 'completion_db') "
                "AND index_name IN ('uq_outbox_event', 'idx_orders_user', 'idx_orders_status', "
                "'idx_payments_user', 'idx_sagas_status')"))

        def columns_of(schema, table, index):
            return sql("SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index) FROM information_schema.statistics "
                       f"WHERE table_schema = '{schema}' AND table_name = '{table}' "
                       f"AND index_name = '{index}'")[0][0]

        def listing_index():
            return columns_of("completion_db", "sagas", "idx_sagas_status_reason_started")

        def deadline_index():
            return columns_of("order_db", "orders", "idx_orders_deadline")
        sql("ALTER TABLE stock_db.outbox ADD UNIQUE KEY uq_outbox_event (event_id); "
            "ALTER TABLE completion_db.outbox ADD UNIQUE KEY uq_outbox_event (event_id); "
            "ALTER TABLE order_db.orders ADD KEY idx_orders_user (user_id), ADD KEY idx_orders_status (status), "
            "DROP KEY idx_orders_deadline; "
            "ALTER TABLE payment_db.payments ADD KEY idx_payments_user (user_id); "
            "ALTER TABLE completion_db.sagas ADD KEY idx_sagas_status (status), "
            "DROP KEY idx_sagas_status_reason_started")
        self.assertEqual(indexed(), ["completion_db.outbox.uq_outbox_event", "completion_db.sagas.idx_sagas_status",
                                     "order_db.orders.idx_orders_status", "order_db.orders.idx_orders_user",
                                     "payment_db.payments.idx_payments_user", "stock_db.outbox.uq_outbox_event"])
        self.assertEqual(listing_index(), "NULL")
        self.assertEqual(deadline_index(), "NULL")
        for attempt in range(2):  # the second up finds nothing to drop or add
            res = script("up", "--no-build", "--no-demo", "--bin-dir", str(BINARY_DIR))
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(indexed(), [], f"after up #{attempt + 1}")
            self.assertEqual(listing_index(), "status,reason,started_at,order_id", f"after up #{attempt + 1}")
            self.assertEqual(deadline_index(), "status,deadline", f"after up #{attempt + 1}")
        routines = sql("SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = 'order_db'")
        self.assertEqual(int(routines[0][0]), 0, "the migration leaves no procedure behind")

    def test_topics_have_the_stacks_partition_count_and_the_services_hold_every_partition(self):
        # The local stack runs 4 partitions per topic unless KAFKA_PARTITIONS says otherwise
        # (deploy/local/lib.sh: the development broker's fetch cost grows with partitions).
        expected = int(os.environ.get("KAFKA_PARTITIONS") or 4)
        self.assertEqual(int(ENV["KAFKA_PARTITIONS"]), expected)
        res = subprocess.run(["kcat", "-b", BOOTSTRAP, "-L", "-J"], capture_output=True, text=True, timeout=30)
        self.assertEqual(res.returncode, 0, res.stderr)
        partitions = {t["topic"]: len(t["partitions"]) for t in json.loads(res.stdout)["topics"]}
        for topic in SAGA_TOPICS:
            self.assertEqual(partitions.get(topic), expected, topic)
            self.assertEqual(partitions.get(topic + ".dlq"), expected, topic + ".dlq")

        def held(url):  # consumer_assigned_partitions counts every subscribed topic's partitions
            return sum(float(line.split()[-1]) for line in http("GET", url + "/metrics").body.splitlines()
                       if line.startswith("consumer_assigned_partitions{"))
        for url, topics in CONSUMER_TOPICS.items():
            with self.subTest(service=url):
                # A rebalance after another test's restart may still be on its way.
                wait_for(lambda: held(url) == len(topics) * expected, timeout=30)
                self.assertEqual(held(url), len(topics) * expected)

    def test_status_shows_each_part_healthy(self):
        res = script("status")
        self.assertEqual(res.returncode, 0, res.stdout)
        for part in ("mariadb", "devbroker", "order", "relay"):
            self.assertRegex(res.stdout, rf"(?m)^{part}\s+\d+\s+127\.0\.0\.1:\d+\s+healthy$")

    def test_a_bad_setting_stops_the_start_naming_the_variable(self):
        cases = [("order", {"HTTP_PORT": "80x"}, "HTTP_PORT"),
                 ("order", {"DB_POOL_SIZE": "0"}, "DB_POOL_SIZE"),
                 ("relay", {"RELAY_SCHEMAS": "order_db;drop"}, "RELAY_SCHEMAS"),
                 ("relay", {"LOG_LEVEL": "chatty"}, "LOG_LEVEL")]
        for service, env, name in cases:
            with self.subTest(service=service, variable=name):
                binary = BINARY_DIR / "services" / service / f"{service}-service"
                res = subprocess.run([str(binary)], env={**os.environ, **env}, capture_output=True,
                                     text=True, timeout=30)
                self.assertEqual(res.returncode, 2)
                self.assertIn(name, res.stderr)

    def test_an_unknown_durability_mode_stops_up_before_mariadb_starts(self):
        import tempfile
        run_dir = tempfile.mkdtemp(prefix="durability-")
        res = subprocess.run([str(SOURCE_DIR / "deploy/local/up"), "--no-build", "--bin-dir", str(BINARY_DIR)],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "SAGA_RUN_DIR": run_dir, "SAGA_PORT_OFFSET": "20000",
                                  "SAGA_DB_DURABILITY": "fast"})
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("SAGA_DB_DURABILITY must be durable or relaxed", res.stderr)
        self.assertFalse(os.path.exists(os.path.join(run_dir, "pids", "mariadb.pid")))


if __name__ == "__main__":
    unittest.main()
