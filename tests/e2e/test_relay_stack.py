"""The relay inside the started stack: metrics, database restart and broker outage."""
import json
import subprocess
import unittest

from stack import (BROKER_DOWN, BROKER_UP, RELAY_URL, RUN_DIR, SOURCE_DIR, events_for, http, post_order,
                   signal_broker, sql, validate, wait_for)

ORDER = {"userId": 2, "items": [{"productId": 4, "quantity": 1}]}


class RelayStackTest(unittest.TestCase):
    def test_relay_exposes_backlog_age_and_leadership(self):
        res = http("GET", RELAY_URL + "/metrics")
        self.assertEqual(res.status, 200)
        for schema in ("order_db", "stock_db", "payment_db", "completion_db"):
            self.assertIn(f'relay_outbox_backlog{{schema="{schema}"}}', res.body)
            self.assertIn(f'relay_outbox_oldest_age_seconds{{schema="{schema}"}}', res.body)
            self.assertIn(f'relay_leader{{schema="{schema}"}} 1', res.body)
        ready = http("GET", RELAY_URL + "/health/ready")
        self.assertEqual(ready.status, 200, ready.body)

    def test_each_service_hints_the_relay_after_committing_outbox_rows(self):
        def hints():
            out = {}
            for line in http("GET", RELAY_URL + "/metrics").body.splitlines():
                if line.startswith("relay_wake_hints_total{"):
                    out[line.split('schema="')[1].split('"')[0]] = float(line.rsplit(" ", 1)[1])
            return out

        before = hints()
        res = post_order(ORDER)
        self.assertEqual(res.status, 202, res.body)
        # Each consumer step of the saga commits outbox rows in its own schema and hints the relay;
        # the order service does not unless ORDER_RELAY_HINTS=true (order_db runs on the timer).
        schemas = ("stock_db", "payment_db", "completion_db")
        self.assertTrue(wait_for(lambda: all(hints().get(s, 0) > before.get(s, 0) for s in schemas), 30),
                        f"hints before {before}, after {hints()}")
        self.assertEqual(hints().get("order_db", 0), before.get("order_db", 0))

    def test_orders_are_accepted_during_a_broker_outage_and_published_after_it(self):
        signal_broker(BROKER_DOWN)
        try:
            res = post_order(ORDER)
            self.assertEqual(res.status, 202)
            order_id = res.json()["orderId"]
            rows = sql(f"SELECT COUNT(*) FROM order_db.outbox WHERE order_id='{order_id}'")
            self.assertEqual(rows, [["1"]])  # waiting in the outbox, not lost
        finally:
            signal_broker(BROKER_UP)
        events = events_for("order.created", order_id, timeout=60)
        self.assertGreaterEqual(len(events), 1)
        self.assertEqual({json.loads(e["payload"])["orderId"] for e in events}, {order_id})
        self.assertTrue(wait_for(lambda: sql(
            f"SELECT COUNT(*) FROM order_db.outbox WHERE order_id='{order_id}'") == [["0"]], 30))

    def test_order_service_and_relay_recover_after_a_database_restart(self):
        pidfile = RUN_DIR / "pids" / "mariadb.pid"
        before = pidfile.read_text()
        subprocess.run(["bash", str(SOURCE_DIR / "tests/support/restart_mariadb"), str(RUN_DIR)],
                       check=True, capture_output=True, timeout=120)
        self.assertNotEqual(pidfile.read_text(), before)  # really a new server process
        res = post_order(ORDER)
        self.assertEqual(res.status, 202, res.body)
        validate(res.json(), "http/post-orders.response.schema.json")
        self.assertEqual(len(events_for("order.created", res.json()["orderId"], timeout=60)), 1)


if __name__ == "__main__":
    unittest.main()
