"""The order service over HTTP on the started stack, and what the relay publishes for it."""
import concurrent.futures
import json
import unittest
import uuid

from stack import (ORDER_URL, events_for, http, post_order, sql, validate)

GOOD = {"userId": 7, "items": [{"productId": 1, "quantity": 2}, {"productId": 3, "quantity": 1}]}
TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def order_count():
    return int(sql("SELECT COUNT(*) FROM order_db.orders")[0][0])


class OrderApiTest(unittest.TestCase):
    def test_post_order_is_published_exactly_once_as_a_valid_envelope(self):
        res = post_order(GOOD, headers={"traceparent": TRACE})
        self.assertEqual(res.status, 202, res.body)
        body = res.json()
        validate(body, "http/post-orders.response.schema.json")
        self.assertEqual(res.headers["Location"], "/orders/" + body["orderId"])
        self.assertEqual(body["sagaUrl"], "/sagas/" + body["orderId"])

        got = http("GET", f"{ORDER_URL}/orders/{body['orderId']}")
        self.assertEqual(got.status, 200)
        validate(got.json(), "http/get-order.response.schema.json")
        self.assertEqual(got.json()["status"], "PENDING")
        self.assertEqual(got.json()["items"], GOOD["items"])

        events = events_for("order.created", body["orderId"])
        self.assertEqual(len(events), 1, events)
        msg = events[0]
        envelope = json.loads(msg["payload"])
        validate(envelope, "envelope.schema.json")
        validate(envelope["payload"], "events/order.created.schema.json")
        self.assertEqual(envelope["eventType"], "order.created")
        self.assertEqual(envelope["orderId"], body["orderId"])
        self.assertEqual(envelope["payload"]["userId"], 7)
        self.assertEqual(msg["headers"]["event-id"], envelope["eventId"])
        self.assertEqual(msg["headers"]["event-type"], "order.created")
        self.assertEqual(msg["headers"]["traceparent"][3:35], TRACE[3:35])  # same trace, new span

    def test_idempotency_key_replays_and_refuses_another_body(self):
        key = "e2e-" + uuid.uuid4().hex
        first = post_order(GOOD, key)
        again = post_order(GOOD, key)
        self.assertEqual(first.status, 202)
        self.assertEqual(again.status, 202)
        self.assertEqual(again.json()["orderId"], first.json()["orderId"])
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        other = post_order({"userId": 7, "items": [{"productId": 1, "quantity": 3}]}, key)
        self.assertEqual(other.status, 422)
        validate(other.json(), "http/error.schema.json")
        self.assertEqual(other.json()["error"]["code"], "IDEMPOTENCY_KEY_REUSED")
        self.assertEqual(len(events_for("order.created", first.json()["orderId"])), 1)

    def test_concurrent_requests_with_one_key_create_one_order(self):
        key = "e2e-concurrent-" + uuid.uuid4().hex
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda _: post_order(GOOD, key), range(32)))
        self.assertEqual({a.status for a in answers}, {202})
        ids = {a.json()["orderId"] for a in answers}
        self.assertEqual(len(ids), 1)
        (order_id,) = ids
        self.assertEqual(sql(f"SELECT COUNT(*) FROM order_db.idempotency_keys WHERE idem_key='{key}'"), [["1"]])
        self.assertEqual(len(events_for("order.created", order_id)), 1)

    def test_bad_input_gets_a_clear_error_and_changes_nothing(self):
        before = order_count()
        cases = [
            ({"userId": 1, "items": [{"productId": 1, "quantity": -3}]}, "application/json", 400,
             "VALIDATION_FAILED", "items[0].quantity"),
            ({"userId": 0, "items": [{"productId": 1, "quantity": 1}]}, "application/json", 400,
             "VALIDATION_FAILED", "userId"),
            ({"userId": 1, "items": []}, "application/json", 400, "VALIDATION_FAILED", "items"),
            ('{"userId":1,"items":[{"produc', "application/json", 400, "INVALID_JSON", None),
            ("userId=1", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE", None),
            ("[" + "1," * 40000 + "1]", "application/json", 413, "PAYLOAD_TOO_LARGE", None),
        ]
        for body, ctype, status, code, field in cases:
            with self.subTest(code=code, field=field):
                res = http("POST", ORDER_URL + "/orders", body, content_type=ctype)
                self.assertEqual(res.status, status, res.body)
                validate(res.json(), "http/error.schema.json")
                self.assertEqual(res.json()["error"]["code"], code)
                if field:
                    self.assertEqual(res.json()["error"]["field"], field)
        bad_key = post_order(GOOD, "x" * 129)
        self.assertEqual(bad_key.status, 400)
        self.assertEqual(bad_key.json()["error"]["field"], "Idempotency-Key")
        self.assertEqual(order_count(), before)

    def test_unknown_order_is_404(self):
        for oid in (str(uuid.uuid4()), "not-a-uuid"):
            res = http("GET", f"{ORDER_URL}/orders/{oid}")
            self.assertEqual(res.status, 404)
            validate(res.json(), "http/error.schema.json")

    def test_metrics_are_prometheus_text_per_route(self):
        post_order(GOOD)
        res = http("GET", ORDER_URL + "/metrics")
        self.assertEqual(res.status, 200)
        self.assertTrue(res.headers["Content-Type"].startswith("text/plain"))
        self.assertIn("# TYPE http_requests_total counter", res.body)
        self.assertRegex(res.body, r'http_requests_total\{method="POST",route="/orders",status="202"\} \d+')
        self.assertIn('http_request_duration_seconds_bucket{method="POST",route="/orders",le="0.005"}', res.body)
        self.assertRegex(res.body, r'orders_placed_total\{result="created"\} \d+')
        for path in ("/health/live", "/health/ready"):
            self.assertEqual(http("GET", ORDER_URL + path).status, 200)


if __name__ == "__main__":
    unittest.main()
