"""Step deadlines on the live stack (docs/adr/0017): the order service restarted with a 3 s saga
deadline, then a participant (or the broker) held for twice that while orders keep coming. Every
order placed in the window must end COMPLETED or CANCELLED TIMED_OUT, never both and never
PENDING, with the order service agreeing, and stock and balances exact for what completed."""
import concurrent.futures
import os
import pathlib
import signal
import subprocess
import time
import unittest
import uuid

from stack import (ADMIN_TOKEN, BINARY_DIR, BROKER_DOWN, BROKER_UP, COMPLETION_URL, ORDER_URL, PAYMENT_URL,
                   PRODUCT_URL, RUN_DIR, SOURCE_DIR, http, order_status, post_order, signal_broker, sql, validate,
                   wait_final, wait_for)

DEADLINE_MS = 3000
PRODUCT = 9
QUANTITY = 2


def pid_of(service):
    return int((RUN_DIR / "pids" / f"{service}.pid").read_text())


def stopped(pid):
    path = pathlib.Path(f"/proc/{pid}")
    return not path.exists() or (path / "stat").read_text().split(") ")[1].startswith("Z")


def restart_stack_services():
    subprocess.run([str(SOURCE_DIR / "deploy" / "local" / "up"), "--no-build", "--no-demo",
                    "--bin-dir", str(BINARY_DIR)], check=True, timeout=300, stdout=subprocess.DEVNULL)


def new_users(n):
    base = int(sql("SELECT GREATEST(COALESCE((SELECT MAX(user_id) FROM payment_db.accounts), 0), 900000)")[0][0]) + 1000
    users = list(range(base, base + n))
    for user in users:
        assert http("POST", f"{PAYMENT_URL}/users/{user}/balance/charge", {"amount": 1_000_000}).status == 200
    return users


def balance(user):
    return http("GET", f"{PAYMENT_URL}/users/{user}/balance").json()["balance"]


def steps_of(order_id):
    res = http("GET", f"{COMPLETION_URL}/sagas/{order_id}")
    return [s["event"] for s in res.json()["steps"]] if res.status == 200 else []


def stock():
    return http("GET", f"{PRODUCT_URL}/products/{PRODUCT}").json()["stock"]


class DeadlineTest(unittest.TestCase):
    """The stack's order service restarted with SAGA_DEADLINE_MS=3000."""

    def setUp(self):
        pid = pid_of("order")
        env = dict(kv.split("=", 1) for kv in
                   pathlib.Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0") if "=" in kv)
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: stopped(pid), 15)
        self.addCleanup(restart_stack_services)
        env.update(SAGA_DEADLINE_MS=str(DEADLINE_MS))
        self.log_path = RUN_DIR / "logs" / "order-deadline.log"
        log = open(self.log_path, "w")
        proc = subprocess.Popen([str(BINARY_DIR / "services" / "order" / "order-service")], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (proc.terminate(), proc.wait(15), log.close()))

        def ready():
            try:
                return http("GET", f"{ORDER_URL}/health/ready").status == 200
            except OSError:
                return False
        self.assertTrue(wait_for(ready, 30), self.log_path.read_text()[-2000:])
        res = http("PUT", f"{PRODUCT_URL}/products/{PRODUCT}/stock", {"stock": 10000}, {"X-Admin-Token": ADMIN_TOKEN})
        self.assertEqual(res.status, 200, res.body)
        self.price = http("GET", f"{PRODUCT_URL}/products/{PRODUCT}").json()["price"]
        self.users = new_users(8)

    def place_during(self, seconds, rate=10):
        """Orders from the test's users at about `rate` per second for `seconds`; their ids and users."""
        placed = []
        end = time.monotonic() + seconds
        i = 0
        while time.monotonic() < end:
            user = self.users[i % len(self.users)]
            res = post_order({"userId": user, "items": [{"productId": PRODUCT, "quantity": QUANTITY}]},
                             key=f"deadline-{uuid.uuid4().hex}")
            self.assertEqual(res.status, 202, res.body)
            placed.append((res.json()["orderId"], user))
            i += 1
            time.sleep(1 / rate)
        return placed

    def held(self, hold, release, placing_seconds=2.0, then=None, aborted_before_release=True):
        """Places orders while `hold` is in effect for twice the deadline (and, with
        `aborted_before_release`, until completion has aborted each of them), then `release`s;
        returns the placed orders with the stock and balances from before."""
        stock_before = stock()
        balances_before = {u: balance(u) for u in self.users}
        hold()
        try:
            started = time.monotonic()
            placed = self.place_during(placing_seconds)
            if then:
                then(placed)
            time.sleep(max(0.0, 2 * DEADLINE_MS / 1000 - (time.monotonic() - started)))
            for order_id, _ in placed if aborted_before_release else []:
                self.assertTrue(wait_for(lambda: "saga.aborted" in steps_of(order_id), 20), order_id)
        finally:
            release()
        return placed, stock_before, balances_before

    def assert_exact(self, placed, stock_before, balances_before):
        """Every saga final once, as the order service says; stock and money match what completed."""
        ends = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            sagas = list(pool.map(lambda o: wait_final(o[0], timeout=90), placed))
        for (order_id, _), saga in zip(placed, sagas):
            self.assertIsNotNone(saga, f"saga {order_id} still PENDING: {http('GET', f'{COMPLETION_URL}/sagas/{order_id}').body}")
            validate(saga, "http/saga.response.schema.json")
            end = (saga["status"], saga["reason"])
            self.assertIn(end, {("COMPLETED", None), ("CANCELLED", "TIMED_OUT")}, saga)
            finals = [s["event"] for s in saga["steps"] if s["event"] in ("order.completed", "order.cancelled")]
            self.assertEqual(len(set(finals)), 1, saga["steps"])  # never both
            order = order_status(order_id, saga["status"])
            self.assertEqual((order["status"], order["reason"]), end, order)
            ends[order_id] = end
        completed = [o for o in placed if ends[o[0]][0] == "COMPLETED"]
        timed_out = [o[0] for o in placed if ends[o[0]][0] == "CANCELLED"]
        self.assertEqual(stock(), stock_before - QUANTITY * len(completed))
        for user in self.users:
            paid = sum(1 for _, u in completed if u == user) * QUANTITY * self.price
            self.assertEqual(balance(user), balances_before[user] - paid, user)
        if timed_out:
            ids = ",".join(f"'{o}'" for o in timed_out)
            self.assertEqual(sql(f"SELECT COUNT(*) FROM stock_db.reservations WHERE status = 'RESERVED' "
                                 f"AND order_id IN ({ids})"), [["0"]])
            self.assertEqual(sql(f"SELECT COUNT(*) FROM payment_db.payments WHERE status = 'COMPLETED' "
                                 f"AND order_id IN ({ids})"), [["0"]])
            self.assertEqual(sql(f"SELECT COUNT(*) FROM stock_db.aborted_orders WHERE order_id IN ({ids})"),
                             [[str(len(timed_out))]])
        return ends

    def test_product_stock_stopped_past_the_deadline(self):
        pid = pid_of("product-stock")
        placed, stock_before, balances_before = self.held(lambda: os.kill(pid, signal.SIGSTOP),
                                                           lambda: os.kill(pid, signal.SIGCONT))
        ends = self.assert_exact(placed, stock_before, balances_before)
        # Nothing was reserved in time: every one of them was aborted.
        self.assertEqual(set(ends.values()), {("CANCELLED", "TIMED_OUT")})
        metrics = http("GET", f"{ORDER_URL}/metrics").body
        self.assertIn('sagas_expired_total{attempt="first"}', metrics)

    def test_payment_stopped_after_the_stock_was_reserved(self):
        pid = pid_of("payment")

        def reserved(placed):
            for order_id, _ in placed:
                self.assertTrue(wait_for(lambda: "stock.reserved" in steps_of(order_id), 10), order_id)

        placed, stock_before, balances_before = self.held(lambda: os.kill(pid, signal.SIGSTOP),
                                                           lambda: os.kill(pid, signal.SIGCONT), then=reserved)
        ends = self.assert_exact(placed, stock_before, balances_before)
        self.assertEqual(set(ends.values()), {("CANCELLED", "TIMED_OUT")})
        # The stock came back through the abort, and payment confirmed each one.
        for order_id, _ in placed:
            steps = steps_of(order_id)
            self.assertIn("stock.aborted", steps)
            self.assertIn("payment.refunded", steps)

    def test_broker_down_past_the_deadline(self):
        placed, stock_before, balances_before = self.held(lambda: signal_broker(BROKER_DOWN),
                                                           lambda: signal_broker(BROKER_UP), placing_seconds=1.0,
                                                           aborted_before_release=False)
        self.assert_exact(placed, stock_before, balances_before)


if __name__ == "__main__":
    unittest.main()
