"""Faults and hostile input at the boundaries between services, on the started stack."""
import concurrent.futures
import os
import signal
import subprocess
import time
import unittest
import uuid

from stack import (BINARY_DIR, COMPLETION_URL, DECLARATION, RUN_DIR, SOURCE_DIR, http, post_order, sql, wait_final,
                   wait_for)


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
