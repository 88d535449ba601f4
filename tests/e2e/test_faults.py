"""Faults and hostile input at the boundaries between services, on the started stack."""
import concurrent.futures
import os
import signal
import subprocess
import time
import unittest
import uuid

from stack import BINARY_DIR, DECLARATION, RUN_DIR, SOURCE_DIR, post_order, sql, wait_final


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


if __name__ == "__main__":
    unittest.main()
