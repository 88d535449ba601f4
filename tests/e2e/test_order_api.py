"""The order service over HTTP on the started stack, and what the relay publishes for it."""
import concurrent.futures
import json
import unittest
import uuid

from stack import ORDER_URL, events_for, http, post_order, schema as schema_of, sql, validate

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

    def test_the_request_schema_and_the_service_agree_on_every_sample(self):
        # Each body is checked against proto-json's schema and posted: 202 exactly when the
        # schema accepts it (the merge rule of repeated productIds aside, which no sample uses).
        import jsonschema
        schema = jsonschema.Draft202012Validator(schema_of("http/post-orders.request.schema.json"))

        def order(user=61, product=1, quantity=1, **extra):
            return {"userId": user, "items": [{"productId": product, "quantity": quantity}], **extra}

        samples = [order(), order(quantity=1.0), order(user=61.0), order(product=2.0, quantity=10000.0),
                   order(quantity=1.5), order(quantity=0), order(quantity=10001), order(quantity=1e4 + 1),
                   order(quantity="1"), order(quantity=True), order(user=0), order(user=2 ** 63),
                   order(user=2 ** 63 - 1), order(product=-1), order(couponId=None), order(couponId=""),
                   {"userId": 61}, {"userId": 61, "items": []}, {"userId": 61, "items": [order()["items"][0]] * 51}]
        for body in samples:
            with self.subTest(body=json.dumps(body)[:120]):
                valid = schema.is_valid(body)
                res = http("POST", ORDER_URL + "/orders", body)
                self.assertEqual(res.status, 202 if valid else 400, res.body)

    def test_a_repeated_json_key_or_idempotency_key_is_refused_and_changes_nothing(self):
        import urllib.parse
        from http.client import HTTPConnection
        before = order_count()
        body = '{"userId":61,"userId":62,"items":[{"productId":1,"quantity":1}]}'
        res = http("POST", ORDER_URL + "/orders", body)
        self.assertEqual(res.status, 400, res.body)
        self.assertEqual(res.json()["error"]["code"], "INVALID_JSON")
        self.assertIn("'userId' appears twice", res.json()["error"]["message"])
        nested = '{"userId":61,"items":[{"productId":1,"quantity":1,"quantity":9}]}'
        self.assertEqual(http("POST", ORDER_URL + "/orders", nested).status, 400)

        url = urllib.parse.urlparse(ORDER_URL)
        conn = HTTPConnection(url.hostname, url.port, timeout=30)
        conn.putrequest("POST", "/orders")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Idempotency-Key", "first-" + uuid.uuid4().hex)
        conn.putheader("Idempotency-Key", "second-" + uuid.uuid4().hex)
        payload = json.dumps(GOOD).encode()
        conn.putheader("Content-Length", str(len(payload)))
        conn.endheaders(payload)
        answer = conn.getresponse()
        error = json.loads(answer.read())["error"]
        conn.close()
        self.assertEqual(answer.status, 400)
        self.assertEqual((error["code"], error["field"]), ("VALIDATION_FAILED", "Idempotency-Key"))
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
