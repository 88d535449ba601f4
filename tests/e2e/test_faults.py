"""Faults and hostile input at the boundaries between services, on the started stack."""
import concurrent.futures
import json
import os
import pathlib
import resource
import signal
import socket
import subprocess
import time
import unittest
import uuid

from stack import (ADMIN_TOKEN, BINARY_DIR, BOOTSTRAP, COMPLETION_URL, DECLARATION, ORDER_URL, PAYMENT_URL, PRODUCT_URL,
                   RUN_DIR, SOURCE_DIR, http, kafka_messages, post_order, sql, validate, wait_final, wait_for)


def setUpModule():
    # The stack's data outlives a run: give the products and users these tests use room again.
    for product in range(1, 8):
        res = http("PUT", f"{PRODUCT_URL}/products/{product}/stock", {"stock": 20000}, {"X-Admin-Token": ADMIN_TOKEN})
        assert res.status == 200, res.body
    for user in range(61, 101):
        if http("GET", f"{PAYMENT_URL}/users/{user}/balance").json()["balance"] < 5_000_000:
            assert http("POST", f"{PAYMENT_URL}/users/{user}/balance/charge", {"amount": 5_000_000}).status == 200


def pid_of(service):
    return int((RUN_DIR / "pids" / f"{service}.pid").read_text())


def restart_stack_services():
    """Starts whatever of the stack is not running (deploy/local/up keeps what runs)."""
    subprocess.run([str(SOURCE_DIR / "deploy" / "local" / "up"), "--no-build", "--no-demo",
                    "--bin-dir", str(BINARY_DIR)], check=True, timeout=300, stdout=subprocess.DEVNULL)


def place(user, product):
    res = post_order({"userId": user, "items": [{"productId": product, "quantity": 1}]},
                     key=f"faults-{uuid.uuid4().hex}")
    assert res.status == 202, res.body
    return res.json()["orderId"]


def forge(topic, order_id, payload, **envelope):
    """Puts an event on `topic` as if a service had published it; returns its eventId."""
    event_id = str(uuid.uuid4())
    value = {"eventId": event_id, "eventType": topic, "schemaVersion": 1, "orderId": order_id,
             "occurredAt": "2026-01-01T00:00:00.000Z", "payload": payload, **envelope}
    subprocess.run(["kcat", "-b", BOOTSTRAP, "-P", "-t", topic, "-k", order_id],
                   input=json.dumps(value), text=True, check=True, timeout=30)
    return event_id


def dead_letters(topic, keys, consumers, timeout=30):
    """The messages keyed by `keys` on `<topic>.dlq`, once each consumer has dead-lettered each."""
    found = []

    def check():
        found[:] = [m for m in kafka_messages(topic + ".dlq") if m["key"] in keys]
        return {(m["key"], m["headers"].get("consumer")) for m in found} >= {(k, c) for k in keys for c in consumers}

    wait_for(check, timeout, 0.5)
    return found


def place_many(count, product=1):
    """`count` real orders, spread over every partition by their ids; returns their ids."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda i: place(61 + i % 40, product), range(count)))


def stock_of(product):
    return http("GET", f"{PRODUCT_URL}/products/{product}").json()["stock"]


class HostileEventTest(unittest.TestCase):
    def assert_real_orders_complete(self, count=20):
        orders = place_many(count)
        sagas = {o: wait_final(o) for o in orders}
        self.assertEqual({o: (s or {}).get("status") for o, s in sagas.items()}, {o: "COMPLETED" for o in orders})

    def test_stock_rejected_messages_the_database_would_refuse_are_dead_lettered_and_stall_nothing(self):
        # Each once made MariaDB refuse completion's batch (errors 1292, 1406) forever.
        bad_date, long_id = "bad-date-" + uuid.uuid4().hex, "x" * 100
        forge("stock.rejected", bad_date, {"reason": "OUT_OF_STOCK"}, occurredAt="2024-13-45T25:61:61.000Z")
        forge("stock.rejected", long_id, {"reason": "OUT_OF_STOCK"})
        self.assert_real_orders_complete()
        letters = dead_letters("stock.rejected", {bad_date, long_id}, {"completion"})
        errors = {m["key"]: m["headers"]["error"] for m in letters}
        self.assertIn("occurredAt", errors[bad_date])
        self.assertIn("orderId", errors[long_id])
        self.assertEqual(sql(f"SELECT COUNT(*) FROM completion_db.sagas WHERE order_id = '{bad_date}'"), [["0"]])
        self.assertEqual(http("GET", COMPLETION_URL + "/health/ready").status, 200)

    def test_forged_order_created_payloads_change_no_stock_and_are_dead_lettered(self):
        product = 7
        before = stock_of(product)
        forged = {}
        for name, user, quantity in [("negative", 61, -5), ("zero", 61, 0), ("no-user", 0, 1),
                                     ("wraps-to-one", 61, 4294967297)]:
            order_id = f"forged-{name}-{uuid.uuid4().hex[:8]}"
            forge("order.created", order_id, {"userId": user, "items": [{"productId": product, "quantity": quantity}]})
            forged[order_id] = name
        self.assert_real_orders_complete()
        letters = dead_letters("order.created", set(forged), {"product-stock", "completion"})
        for m in letters:
            self.assertRegex(m["headers"]["error"], r"field '(userId|items\[0\]\.quantity)'", forged[m["key"]])
        self.assertEqual(stock_of(product), before)
        ids = ",".join(f"'{o}'" for o in forged)
        self.assertEqual(sql(f"SELECT COUNT(*) FROM stock_db.reservations WHERE order_id IN ({ids})"), [["0"]])
        self.assertEqual(sql(f"SELECT COUNT(*) FROM payment_db.payments WHERE order_id IN ({ids})"), [["0"]])
        self.assertEqual(sql(f"SELECT COUNT(*) FROM completion_db.sagas WHERE order_id IN ({ids})"), [["0"]])


class MoneyTest(unittest.TestCase):
    def test_an_order_whose_total_cannot_be_represented_is_cancelled_and_changes_nothing(self):
        # Two prices of 5*10^14 and 10000 units of each: the total once wrapped to a negative.
        products = (901, 902)
        for p in products:
            sql(f"INSERT INTO stock_db.products (product_id, name, price, stock, updated_at) VALUES "
                f"({p}, 'Dear {p}', 500000000000000, 20000, UTC_TIMESTAMP(3)) "
                f"ON DUPLICATE KEY UPDATE price = 500000000000000, stock = 20000")
        user = 99
        balance = http("GET", f"{PAYMENT_URL}/users/{user}/balance").json()["balance"]
        res = post_order({"userId": user, "items": [{"productId": p, "quantity": 10000} for p in products]})
        self.assertEqual(res.status, 202, res.body)
        saga = wait_final(res.json()["orderId"])
        self.assertEqual((saga["status"], saga["reason"]), ("CANCELLED", "AMOUNT_OUT_OF_RANGE"))
        self.assertEqual([stock_of(p) for p in products], [20000, 20000])
        self.assertEqual(http("GET", f"{PAYMENT_URL}/users/{user}/balance").json()["balance"], balance)
        reserved = [json.loads(m["payload"]) for m in kafka_messages("stock.reserved")
                    if m["key"] == res.json()["orderId"]]
        self.assertEqual(reserved, [])

    def test_a_charge_past_the_money_limit_is_refused_and_changes_nothing(self):
        for start in (10 ** 15 - 5, 2 ** 63 - 1000):
            user = 880000 + start % 1000
            sql(f"INSERT INTO payment_db.accounts (user_id, balance, updated_at) VALUES ({user}, {start}, "
                f"UTC_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE balance = {start}")
            res = http("POST", f"{PAYMENT_URL}/users/{user}/balance/charge", {"amount": 1000000})
            self.assertEqual(res.status, 422, res.body)
            self.assertEqual((res.json()["error"]["code"], res.json()["error"]["field"]), ("BALANCE_OUT_OF_RANGE", "amount"))
            self.assertEqual(http("GET", f"{PAYMENT_URL}/users/{user}/balance").json()["balance"], start)
        ok = http("POST", f"{PAYMENT_URL}/users/{880000 + (10 ** 15 - 5) % 1000}/balance/charge", {"amount": 5})
        self.assertEqual((ok.status, ok.json().get("currentBalance")), (200, 10 ** 15))


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def restart_order_with(test, **settings):
    """Restarts the stack's order service with `settings` added to its environment, until the test
    ends (then the stack's own is started again)."""
    pid = pid_of("order")
    env = dict(kv.split("=", 1) for kv in
               pathlib.Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0") if "=" in kv)
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not pathlib.Path(f"/proc/{pid}").exists() or
             pathlib.Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"), 15)
    test.addCleanup(restart_stack_services)
    env.update(settings)
    log_path = RUN_DIR / "logs" / "order-admission.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([str(BINARY_DIR / "services" / "order" / "order-service")], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    test.addCleanup(lambda: (proc.terminate(), proc.wait(15), log.close()))

    def ready():
        try:
            return http("GET", f"{ORDER_URL}/health/ready").status == 200
        except OSError:
            return False
    test.assertTrue(wait_for(ready, 30), log_path.read_text()[-2000:])


class AdmissionTest(unittest.TestCase):
    """The stack's order service restarted with a small outbox limit, while the relay is stopped."""

    def setUp(self):
        restart_order_with(self, ORDER_MAX_OUTBOX_BACKLOG="5", ORDER_MAX_OUTBOX_AGE_MS="0")

    def test_past_the_outbox_limit_orders_get_429_place_nothing_and_the_same_key_works_later(self):
        relay = pid_of("relay")
        os.kill(relay, signal.SIGSTOP)
        self.addCleanup(lambda: os.kill(relay, signal.SIGCONT))
        body = {"userId": 62, "items": [{"productId": 3, "quantity": 1}]}
        refused = None
        for i in range(200):  # each accepted order leaves one row; refusals start past 5 rows
            key = f"admission-{uuid.uuid4().hex}"
            res = post_order(body, key=key)
            if res.status == 429:
                refused = (key, res)
                break
            self.assertEqual(res.status, 202, res.body)
            time.sleep(0.02)
        self.assertIsNotNone(refused, "no 429 while the outbox grew")
        key, res = refused
        validate(res.json(), "http/error.schema.json")
        self.assertEqual(res.json()["error"]["code"], "OVERLOADED")
        self.assertEqual(res.headers["Retry-After"], "1")
        self.assertEqual(sql(f"SELECT COUNT(*) FROM order_db.idempotency_keys WHERE idem_key = '{key}'"), [["0"]])
        metrics = http("GET", f"{ORDER_URL}/metrics").body
        self.assertIn('orders_placed_total{result="overloaded"}', metrics)
        backlog = [line for line in metrics.splitlines() if line.startswith("outbox_backlog_rows ")]
        self.assertGreater(float(backlog[0].split()[1]), 5, backlog)
        # The relay drains the outbox; the refused key then places its order (a new one, not a replay).
        os.kill(relay, signal.SIGCONT)
        self.assertTrue(wait_for(lambda: post_order(body, key=key).status == 202, 30))
        again = post_order(body, key=key)
        self.assertEqual(again.headers["Idempotent-Replayed"], "true")
        self.assertEqual(wait_final(again.json()["orderId"])["status"], "COMPLETED")


class OpenOrdersAdmissionTest(unittest.TestCase):
    """The order service restarted with room for 3 more open orders, while completion is stopped:
    the sagas cannot end, so the open orders reach the limit."""

    def test_past_the_open_orders_limit_orders_get_429_until_the_sagas_end(self):
        open_now = int(sql("SELECT COUNT(*) FROM order_db.orders WHERE status = 'PENDING'")[0][0])
        restart_order_with(self, ORDER_MAX_OPEN=str(open_now + 3))
        completion = pid_of("completion")
        os.kill(completion, signal.SIGSTOP)
        self.addCleanup(lambda: os.kill(completion, signal.SIGCONT))
        body = {"userId": 63, "items": [{"productId": 4, "quantity": 1}]}
        placed, refused = [], None
        for _ in range(100):  # the count is read every 100 ms
            key = f"open-{uuid.uuid4().hex}"
            res = post_order(body, key=key)
            if res.status == 429:
                refused = (key, res)
                break
            self.assertEqual(res.status, 202, res.body)
            placed.append(res.json()["orderId"])
            time.sleep(0.15)
        self.assertIsNotNone(refused, "no 429 while the open orders grew")
        self.assertGreaterEqual(len(placed), 3)
        key, res = refused
        validate(res.json(), "http/error.schema.json")
        self.assertEqual(res.json()["error"]["code"], "OVERLOADED")
        self.assertIn("under way", res.json()["error"]["message"])
        self.assertEqual(sql(f"SELECT COUNT(*) FROM order_db.idempotency_keys WHERE idem_key = '{key}'"), [["0"]])
        metrics = http("GET", f"{ORDER_URL}/metrics").body
        gauge = [line for line in metrics.splitlines() if line.startswith("orders_open ")]
        self.assertGreater(float(gauge[0].split()[1]), open_now + 3, gauge)
        # Completion back: the sagas end, the orders with them, and the refused key places its order.
        os.kill(completion, signal.SIGCONT)
        for order_id in placed:
            self.assertEqual(wait_final(order_id)["status"], "COMPLETED")
        self.assertTrue(wait_for(lambda: post_order(body, key=key).status == 202, 30))
        self.assertEqual(wait_final(post_order(body, key=key).json()["orderId"])["status"], "COMPLETED")


class HostLimitsTest(unittest.TestCase):
    """The stack's order service, restarted with `ulimit -n 256` and flooded with idle connections."""

    @classmethod
    def setUpClass(cls):
        resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
        pid = pid_of("order")
        cls.env = dict(kv.split("=", 1) for kv in
                       pathlib.Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0") if "=" in kv)
        cls.port = int(cls.env["HTTP_PORT"])
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not pathlib.Path(f"/proc/{pid}").exists() or
                 pathlib.Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"), 15)

    @classmethod
    def tearDownClass(cls):
        restart_stack_services()  # the stack's own order service again

    def start_limited(self, **extra):
        log = RUN_DIR / "logs" / "order-limited.log"
        env = {**self.env, **extra}
        proc = subprocess.Popen(["bash", "-c", 'ulimit -n 256 && exec "$0"', str(BINARY_DIR / "services" / "order" /
                                                                             "order-service")],
                                env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (proc.terminate(), proc.wait(15)))
        self.assertTrue(wait_for(lambda: self.get("/health/live")[0] == 200, 30), log.read_text()[-2000:])
        return proc, log

    def get(self, path, body=None):
        """(status, body) of one request sent in one write on a new connection; (0, error) if none."""
        data = json.dumps(body) if body is not None else ""
        request = (f"{'POST' if body is not None else 'GET'} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n{data}").encode()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                s.sendall(request)
                answer = b""
                while chunk := s.recv(65536):
                    answer += chunk
            head, _, text = answer.decode().partition("\r\n\r\n")
            return (int(head.split(" ", 2)[1]), text)
        except (OSError, IndexError, ValueError) as e:
            return (0, str(e))

    def flood(self, count):
        idle = []
        for _ in range(count):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
            idle.append(s)
        self.addCleanup(lambda: [s.close() for s in idle])
        time.sleep(2)  # the server has met them all
        return idle

    def assert_holds_under_flood(self, proc, log):
        lines_before = log.read_text().count("accept failed")
        cpu_before = cpu_seconds(proc.pid)
        time.sleep(3)
        used = cpu_seconds(proc.pid) - cpu_before
        self.assertLess(used, 0.5, "the accept loop spins")  # once 101% of a core
        self.assertLessEqual(log.read_text().count("accept failed") - lines_before, 4)  # at most one a second
        # A connection is accepted once its request has arrived (TCP_DEFER_ACCEPT), so the refusal
        # still tells /health/live apart.
        status, body = self.get("/health/live")
        self.assertEqual(status, 200, body)
        status, body = self.get("/orders", {"userId": 61, "items": [{"productId": 1, "quantity": 1}]})
        self.assertEqual(status, 503, body)
        self.assertEqual(json.loads(body)["error"]["code"], "TOO_MANY_CONNECTIONS")

    def test_past_the_connection_cap_new_connections_are_refused_cheaply_and_live_answers(self):
        proc, log = self.start_limited()  # the cap: 3/4 of 256 descriptors
        idle = self.flood(1000)
        self.assert_holds_under_flood(proc, log)
        for s in idle:
            s.close()
        self.assertTrue(wait_for(lambda: self.get("/health/live")[0] == 200, 10))
        res = post_order({"userId": 61, "items": [{"productId": 1, "quantity": 1}]})
        self.assertEqual(res.status, 202, res.body)
        self.assertEqual(wait_final(res.json()["orderId"])["status"], "COMPLETED")
        refused = [line for line in self.get("/metrics")[1].splitlines()
                   if line.startswith('http_connections_refused_total{reason="cap"}')]
        self.assertTrue(refused and float(refused[0].split()[-1]) > 0, refused)

    def test_out_of_file_descriptors_the_accept_loop_backs_off_and_live_answers(self):
        proc, log = self.start_limited(HTTP_MAX_CONNECTIONS="100000")  # no cap before the limit
        idle = self.flood(1000)
        self.assert_holds_under_flood(proc, log)
        self.assertIn("accept failed", log.read_text())
        for s in idle:
            s.close()
        self.assertTrue(wait_for(lambda: self.get("/health/live")[0] == 200, 10))
        res = post_order({"userId": 61, "items": [{"productId": 1, "quantity": 1}]})
        self.assertEqual(res.status, 202, res.body)
        self.assertEqual(wait_final(res.json()["orderId"])["status"], "COMPLETED")


class TimelineTest(unittest.TestCase):
    def test_after_a_completion_restart_under_load_no_required_step_follows_the_final_status(self):
        # The steps each outcome needs, from the declaration (what GET /sagas/{id} must carry
        # before the final step).
        finals = [o["announcedBy"] for o in DECLARATION["outcomes"]]
        users = list(range(61, 101))  # seeded with a balance that these orders cannot exhaust
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            first = [pool.submit(place, users[i % len(users)], 1 + i % 5) for i in range(100)]
            time.sleep(0.5)  # completion is busy with the first orders
            os.kill(pid_of("completion"), signal.SIGKILL)
            # The saga goes on without completion: its events wait on every topic.
            orders = [f.result() for f in first] + list(pool.map(
                lambda i: place(users[i % len(users)], 1 + i % 5), range(300)))
            later = [pool.submit(place, users[i % len(users)], 1 + i % 5) for i in range(200)]
            restart_stack_services()  # while orders are still placed
            orders += [f.result() for f in later]
        sagas = {o: wait_final(o, timeout=120) for o in orders}
        self.assertEqual([o for o, s in sagas.items() if s is None], [], "sagas still PENDING")
        in_list = ",".join(f"'{f}'" for f in finals)
        ids = ",".join(f"'{o}'" for o in orders)
        late = sql(f"SELECT s.order_id, s.event_type FROM completion_db.saga_steps s "
                   f"JOIN completion_db.saga_steps f ON f.order_id = s.order_id AND f.event_type IN ({in_list}) "
                   f"WHERE s.order_id IN ({ids}) AND s.event_type NOT IN ({in_list}) "
                   f"AND s.recorded_at > f.recorded_at")
        self.assertEqual(late, [], "steps recorded after their saga's final status")
        # GET /sagas/{id} carries every step of one declared path before its final one.
        for order_id, saga in sagas.items():
            events = [step["event"] for step in saga["steps"]]
            self.assertIn(events[-1], finals, (order_id, events))
            self.assertTrue(any(o["status"] == saga["status"] and set(o["needs"]) <= set(events[:-1])
                                for o in DECLARATION["outcomes"]), (order_id, events))


def service_accounts(user):
    return [f"'{u}'@'{h}'" for u, h in sql(f"SELECT user, host FROM mysql.user WHERE user = '{user}'")]


def drop_connections(user):
    """Ends the account's open connections, so that its pool reconnects with its grants as they are now."""
    for (conn_id,) in sql(f"SELECT id FROM information_schema.processlist WHERE user = '{user}'"):
        sql(f"KILL CONNECTION {conn_id}")


def stalled_seconds(url):
    total = 0.0
    for line in http("GET", url + "/metrics").body.splitlines():
        if line.startswith("consumer_stalled_seconds{"):
            total = max(total, float(line.rsplit(" ", 1)[1]))
    return total


class StallTest(unittest.TestCase):
    def test_a_consumer_failing_transiently_is_not_ready_with_the_reason_and_recovers_with_nothing_lost(self):
        # The stack runs with CONSUMER_STALL_MS=3000. completion's account may read but not insert:
        # every batch fails with error 1142, which may pass, so it is retried, not dead-lettered.
        accounts = service_accounts("completion_svc")
        self.assertTrue(accounts)
        self.assertEqual(http("GET", COMPLETION_URL + "/health/ready").status, 200)
        for a in accounts:
            sql(f"REVOKE INSERT ON completion_db.* FROM {a}")
        try:
            drop_connections("completion_svc")
            order_id = place(61, 1)
            self.assertTrue(wait_for(lambda: http("GET", COMPLETION_URL + "/health/ready").status == 503, 30),
                            "completion stayed ready while it could not apply anything")
            body = http("GET", COMPLETION_URL + "/health/ready").json()
            self.assertEqual(body["checks"]["consumer"], "DOWN")
            self.assertEqual(body["checks"]["database"], "UP")
            reason = body["reasons"]["consumer"]
            self.assertRegex(reason, r"on topic [a-z.]+ partition \d+: database error 1142")
            # The gauge is set at each retry (backoff up to 2 s), so it rises in steps.
            self.assertTrue(wait_for(lambda: stalled_seconds(COMPLETION_URL) >= 3, 10), stalled_seconds(COMPLETION_URL))
            self.assertEqual(http("GET", f"{COMPLETION_URL}/sagas/{order_id}").status, 404)
        finally:
            for a in accounts:
                sql(f"GRANT INSERT ON completion_db.* TO {a}")
            drop_connections("completion_svc")
        self.assertTrue(wait_for(lambda: http("GET", COMPLETION_URL + "/health/ready").status == 200, 30),
                        http("GET", COMPLETION_URL + "/health/ready").body)
        saga = wait_final(order_id)
        self.assertIsNotNone(saga)
        self.assertEqual(saga["status"], "COMPLETED")
        self.assertEqual(stalled_seconds(COMPLETION_URL), 0)


if __name__ == "__main__":
    unittest.main()
