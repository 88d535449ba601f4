"""saga-admin's DLQ redrive on the started stack.

A trigger on completion_db.saga_steps refuses one order's payment.completed step (the order pays
with a coupon of its own, and the trigger names that coupon) as a CHECK would: a permanent data error,
so completion dead-letters the event to payment.completed.dlq and the saga stays PENDING. With the
trigger dropped (the fix, by data), `saga-admin dlq redrive --key <orderId>` republishes the
event and the saga completes; a second redrive changes nothing, since the event keeps its eventId
and completion's inbox takes it as a duplicate. Where the saga expired before the redrive, the
redrive says it changes nothing, and it does not.

The saga's deadline (SAGA_DEADLINE_MS, from the stack's settings; 30 s by default) runs from the
order on, so the first test redrives at once; the second waits for it to pass."""
import json
import os
import subprocess
import time
import unittest
import uuid

from stack import (ADMIN_TOKEN, BINARY_DIR, BOOTSTRAP, COMPLETION_URL, ENV, PAYMENT_URL, PRODUCT_URL, http,
                   kafka_messages, post_order, sql, wait_final, wait_for)

SAGA_ADMIN = BINARY_DIR / "services" / "admin" / "saga-admin"
ADMIN = {"X-Admin-Token": ADMIN_TOKEN}
PRODUCT = 9
DISCOUNT = 1000
# The stack's saga deadline: from its settings file, else from the environment the stack was
# started with, else the services' default.
DEADLINE_S = int(ENV.get("SAGA_DEADLINE_MS") or os.environ.get("SAGA_DEADLINE_MS") or "30000") / 1000


def saga_admin(*args):
    """(exit code, stdout, stderr) of saga-admin against the test stack."""
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP", "COMPLETION_URL")}
    run = subprocess.run([str(SAGA_ADMIN), "--bootstrap", BOOTSTRAP, "--timeout-ms", "20000", *args],
                         capture_output=True, text=True, timeout=120, env=env)
    return run.returncode, run.stdout, run.stderr


def dead_letters(order_id):
    code, out, err = saga_admin("dlq", "list", "--key", order_id, "--json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def redrive(order_id, *extra):
    code, out, err = saga_admin("dlq", "redrive", "--key", order_id, "--completion", COMPLETION_URL, *extra)
    assert code == 0, f"saga-admin dlq redrive exited {code}:\n{out}{err}"
    return out


def saga(order_id):
    res = http("GET", f"{COMPLETION_URL}/sagas/{order_id}")
    assert res.status == 200, res.body
    return res.json()


def balance(user):
    return http("GET", f"{PAYMENT_URL}/users/{user}/balance").json()["balance"]


def consumed(topic, result=None):
    """completion's consumer_events_total for `topic`: of one result (applied, duplicate, dlq), or
    of all together."""
    text = http("GET", f"{COMPLETION_URL}/metrics").body
    total = 0.0
    for line in text.splitlines():
        if (line.startswith("consumer_events_total{") and f'topic="{topic}"' in line
                and (result is None or f'result="{result}"' in line)):
            total += float(line.split()[-1])
    return total


def admin_sql(script):
    """Runs a script (with DELIMITER lines) as the stack's database admin."""
    subprocess.run(["mariadb", "--no-defaults", "-h", ENV["DB_HOST"], "-P", ENV["DB_PORT"], "-u", ENV["DB_ADMIN_USER"],
                    f"-p{ENV['DB_ADMIN_PASSWORD']}"], input=script, text=True, check=True, capture_output=True,
                   timeout=60)


class Setup:
    """A user with a balance and a coupon of its own campaign, and the trigger that refuses
    the payment.completed step of the order that uses it."""

    def __init__(self, test):
        product = http("GET", f"{PRODUCT_URL}/products/{PRODUCT}").json()
        if product["stock"] < 100:
            res = http("PUT", f"{PRODUCT_URL}/products/{PRODUCT}/stock", {"stock": 20000}, ADMIN)
            test.assertEqual(res.status, 200, res.body)
        self.price = product["price"]
        self.coupon = f"dlq-{uuid.uuid4().hex[:12]}"
        res = http("PUT", f"{PAYMENT_URL}/coupons/{self.coupon}",
                   {"name": "dlq redrive", "discountType": "AMOUNT", "discountValue": DISCOUNT, "quantity": 1}, ADMIN)
        test.assertEqual(res.status, 201, res.body)
        self.user = int(sql("SELECT GREATEST(COALESCE((SELECT MAX(user_id) FROM payment_db.accounts), 0), "
                            "COALESCE((SELECT MAX(user_id) FROM payment_db.coupons), 0), 900000)")[0][0]) + 1000
        res = http("POST", f"{PAYMENT_URL}/users/{self.user}/balance/charge", {"amount": 10 * self.price})
        test.assertEqual(res.status, 200, res.body)
        res = http("POST", f"{PAYMENT_URL}/coupons/{self.coupon}/issue", {"userId": self.user})
        test.assertEqual(res.status, 201, res.body)
        self.start_balance = balance(self.user)
        self.constraint = f"dlq_redrive_{uuid.uuid4().hex[:12]}"

    def refuse_payment_step(self):
        # A trigger, not a CHECK constraint: completion records steps with INSERT IGNORE, which
        # would skip a row a CHECK refuses instead of failing. The error is the one a refused CHECK
        # gives (4025), which completion takes as the data's fault: the event is dead-lettered.
        admin_sql("DELIMITER //\n"
                  f"CREATE TRIGGER completion_db.{self.constraint} BEFORE INSERT ON completion_db.saga_steps "
                  "FOR EACH ROW BEGIN "
                  f"IF NEW.event_type = 'payment.completed' AND NEW.coupon_id = '{self.coupon}' THEN "
                  f"SIGNAL SQLSTATE '23000' SET MYSQL_ERRNO = 4025, MESSAGE_TEXT = '{self.constraint} refuses it'; "
                  "END IF; END//\n")

    def fix(self):
        sql(f"DROP TRIGGER IF EXISTS completion_db.{self.constraint}")

    def order(self, test):
        res = post_order({"userId": self.user, "items": [{"productId": PRODUCT, "quantity": 1}],
                          "couponId": self.coupon}, key=f"dlq-redrive-{uuid.uuid4().hex}")
        test.assertEqual(res.status, 202, res.body)
        return res.json()["orderId"]

    def wait_dead_letter(self, test, order_id):
        """The payment.completed dead letter of the order, once completion has dead-lettered it."""
        found = wait_for(lambda: [d for d in dead_letters(order_id) if d["eventType"] == "payment.completed"],
                         30, 0.3)
        test.assertTrue(found, f"no payment.completed dead letter for {order_id}")
        test.assertEqual(len(found), 1, found)
        letter = found[0]
        test.assertEqual((letter["dlqTopic"], letter["key"], letter["sourceTopic"], letter["consumer"]),
                         ("payment.completed.dlq", order_id, "payment.completed", "completion"))
        test.assertIn(self.constraint, letter["error"])
        test.assertIsNotNone(letter["eventId"])
        test.assertIsNone(letter["redriven"])
        return letter


class RedriveTest(unittest.TestCase):
    def test_a_dead_letter_redriven_after_the_fix_completes_the_saga_and_a_second_redrive_changes_nothing(self):
        s = Setup(self)
        s.refuse_payment_step()
        try:
            order_id = s.order(self)
            placed = time.monotonic()
            letter = s.wait_dead_letter(self, order_id)
            pending = saga(order_id)
            self.assertEqual(pending["status"], "PENDING",
                             f"{pending} {time.monotonic() - placed:.1f} s after the order (deadline {DEADLINE_S:.0f} s)")
            self.assertNotIn("payment.completed", [step["event"] for step in pending["steps"]])

            s.fix()
            out = redrive(order_id)
            took = time.monotonic() - placed
            self.assertIn(f"redriven payment.completed.dlq:{letter['partition']}:{letter['offset']} "
                          f"-> payment.completed:", out)
            self.assertIn(f"eventId={letter['eventId']}", out)
            self.assertIn("1 redriven, 0 left out, 0 failed", out)
            self.assertNotIn("already", out)
            done = wait_final(order_id, 60)
            self.assertIsNotNone(done, f"saga {order_id} never became final after the redrive")
            self.assertEqual((done["status"], done["reason"], done["couponId"], done["discount"]),
                             ("COMPLETED", None, s.coupon, min(DISCOUNT, s.price)),
                             f"redriven {took:.1f} s after the order (deadline {DEADLINE_S:.0f} s)")
        finally:
            s.fix()

        # On the source topic: the original and the redriven copy, with the same value (the same
        # eventId) and the redriven header in place of the DLQ's.
        def on_topic():
            found = [m for m in kafka_messages("payment.completed") if m["key"] == order_id]
            return ([m for m in found if "redriven" not in m["headers"]],
                    [m for m in found if "redriven" in m["headers"]])
        originals, copies = on_topic()
        self.assertEqual(len(copies), 1, copies)
        again = copies[0]
        self.assertEqual({m["payload"] for m in originals}, {again["payload"]})
        self.assertTrue(again["headers"]["redriven"].startswith(
            f"payment.completed.dlq:{letter['partition']}:{letter['offset']}@"), again["headers"])
        for header in ("error", "source-topic", "source-partition", "source-offset", "consumer"):
            self.assertNotIn(header, again["headers"])

        # A dry run says what it would send and sends nothing.
        dry = redrive(order_id, "--dry-run")
        self.assertIn(f"would redrive payment.completed.dlq:{letter['partition']}:{letter['offset']} "
                      "-> payment.completed", dry)
        self.assertIn("(dry run: nothing sent)", dry)
        self.assertEqual(len(on_topic()[1]), 1)

        # show: the headers, the error and the value.
        code, shown, err = saga_admin("dlq", "show", "--topic", "payment.completed.dlq", "--partition",
                                      str(letter["partition"]), "--offset", str(letter["offset"]))
        self.assertEqual(code, 0, err)
        self.assertIn(f"key          {order_id}", shown)
        self.assertIn(f"error        {letter['error']}", shown)
        self.assertIn(f'  "eventId": "{letter["eventId"]}"', shown)
        code, by_id, err = saga_admin("dlq", "show", "--event-id", letter["eventId"], "--json")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(by_id)["value"]["orderId"], order_id)

        # Again: the saga is final, and completion's inbox absorbs the repeat.
        before = consumed("payment.completed", "duplicate")
        out = redrive(order_id)
        self.assertIn(f"saga {order_id} is already COMPLETED: redriving changes nothing", out)
        self.assertIn("1 redriven, 0 left out, 0 failed", out)
        self.assertTrue(wait_for(lambda: consumed("payment.completed", "duplicate") > before, 30, 0.2),
                        "completion did not take the second redrive as a duplicate")
        after = saga(order_id)
        self.assertEqual((after["status"], after["reason"], after["finishedAt"]),
                         ("COMPLETED", None, done["finishedAt"]))
        self.assertEqual([step["event"] for step in after["steps"]].count("payment.completed"), 1, after["steps"])
        self.assertEqual(after["steps"], done["steps"])
        self.assertEqual(balance(s.user), s.start_balance - max(0, s.price - DISCOUNT))
        # Listing changed nothing: the dead letter is still there, still the only one.
        self.assertEqual([d["offset"] for d in dead_letters(order_id)], [letter["offset"]])

    def test_a_redrive_after_the_saga_expired_says_it_changes_nothing(self):
        s = Setup(self)
        s.refuse_payment_step()
        try:
            order_id = s.order(self)
            s.wait_dead_letter(self, order_id)
            expired = wait_final(order_id, DEADLINE_S + 60)
            self.assertIsNotNone(expired, f"saga {order_id} did not end after its deadline")
            self.assertEqual((expired["status"], expired["reason"]), ("CANCELLED", "TIMED_OUT"))
            s.fix()

            note = f"saga {order_id} is already CANCELLED (TIMED_OUT): redriving changes nothing"
            skipped = redrive(order_id, "--skip-final")
            self.assertIn(note + " (left out: --skip-final)", skipped)
            self.assertIn("0 redriven, 1 left out, 0 failed", skipped)

            before = consumed("payment.completed")
            out = redrive(order_id)
            self.assertIn(note, out)
            self.assertIn("1 redriven, 0 left out, 0 failed", out)
            self.assertTrue(wait_for(lambda: consumed("payment.completed") > before, 30, 0.2),
                            "completion did not consume the redriven event")
        finally:
            s.fix()
        after = saga(order_id)
        self.assertEqual((after["status"], after["reason"], after["finishedAt"]),
                         ("CANCELLED", "TIMED_OUT", expired["finishedAt"]))
        self.assertEqual(balance(s.user), s.start_balance)


if __name__ == "__main__":
    unittest.main()
