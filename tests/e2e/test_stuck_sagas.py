"""The stuck-saga view of completion on the started stack: GET /sagas (by status and reason, oldest
first, keyset pages), the oldest PENDING saga in GET /sagas/stats, and the gauges
sagas_pending_overdue and saga_oldest_pending_age_ms. The stack is shared and keeps its data, so
the checks look for the sagas this test made among whatever else is there."""
import base64
import re
import time
import unittest
import uuid

from stack import COMPLETION_URL, DECLARATION, PAYMENT_URL, http, post_order, sql, validate, wait_final, wait_for

DAY_MS = 86_400_000


def place(user, items):
    res = post_order({"userId": user, "items": items})
    assert res.status == 202, res.body
    return res.json()["orderId"]


def cursor_at(saga):
    """The `after` cursor of the place right after `saga`, as the service makes its `next` (checked
    in test_pages_of_one_visit_every_saga_once): base64url of "<startedAt>|<orderId>". The test
    starts its walks at a saga of its own instead of the first saga the shared stack ever had."""
    return base64.urlsafe_b64encode(f"{saga['startedAt']}|{saga['orderId']}".encode()).decode().rstrip("=")


def b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def key(saga):
    return saga["startedAt"], saga["orderId"]


def metric(name):
    """The value of completion's unlabelled sample `name` (None if it is not exported)."""
    for line in http("GET", COMPLETION_URL + "/metrics").body.splitlines():
        m = re.match(r"([a-z_]+) (\S+)$", line)
        if m and m.group(1) == name:
            return float(m.group(2))
    return None


class StuckSagasTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A product and a user of our own, so that other tests' stock and money do not matter.
        cls.product = int(sql("SELECT COALESCE(MAX(product_id), 0) FROM stock_db.products")[0][0]) + 1000
        sql(f"INSERT INTO stock_db.products (product_id, name, price, stock, updated_at) "
            f"VALUES ({cls.product}, 'stuck-saga test', 1500, 100, UTC_TIMESTAMP(3))")
        user = int(sql("SELECT COALESCE(MAX(user_id), 0) FROM payment_db.accounts")[0][0]) + 1000
        res = http("POST", f"{PAYMENT_URL}/users/{user}/balance/charge", {"amount": 100000},
                   {"Idempotency-Key": "stuck-" + uuid.uuid4().hex})
        assert res.status == 200, res.body
        # The walks start right after this saga: every saga below started later.
        cls.marker = wait_final(place(user, [{"productId": cls.product, "quantity": 1}]))
        assert cls.marker, "the first order did not finish"
        time.sleep(0.01)
        completed = [place(user, [{"productId": cls.product, "quantity": 1}]) for _ in range(3)]
        unknown = [place(user, [{"productId": cls.product + 500, "quantity": 1}]) for _ in range(3)]
        cls.sagas = {order_id: wait_final(order_id) for order_id in completed + unknown}
        assert all(cls.sagas.values()), cls.sagas
        cls.completed = [i for i in completed if cls.sagas[i]["status"] == "COMPLETED"]
        cls.cancelled = [i for i in unknown if cls.sagas[i]["reason"] == "UNKNOWN_PRODUCT"]
        assert (len(cls.completed), len(cls.cancelled)) == (3, 3), cls.sagas

    def page(self, query):
        res = http("GET", f"{COMPLETION_URL}/sagas?{query}")
        self.assertEqual(res.status, 200, res.body)
        body = res.json()
        validate(body, "http/sagas.response.schema.json")
        return body

    def walk(self, query, after=None, until=(), max_pages=5000):
        """The pages of GET /sagas?query from `after` on, following `next` until a page has none or
        every id of `until` was seen."""
        pages, missing = [], set(until)
        for _ in range(max_pages):
            body = self.page(query + (f"&after={after}" if after else ""))
            pages.append(body)
            missing -= {s["orderId"] for s in body["sagas"]}
            after = body["next"]
            if after is None or (until and not missing):
                return pages
        self.fail(f"GET /sagas?{query} did not end within {max_pages} pages")

    def listed(self, query, until=()):
        return [s for p in self.walk(query, cursor_at(self.marker), until) for s in p["sagas"]]

    def in_order(self, ids):
        """Our sagas `ids` in the list's order: by (startedAt, orderId)."""
        return sorted(ids, key=lambda i: key(self.sagas[i]))

    def test_sagas_are_listed_by_status_and_reason_oldest_first(self):
        completed = self.listed("status=COMPLETED&limit=1000", self.completed)
        by_reason = self.listed("status=CANCELLED&reason=UNKNOWN_PRODUCT&limit=1000", self.cancelled)
        cancelled = self.listed("status=CANCELLED&limit=1000", self.cancelled)
        for items, status, mine in [(completed, "COMPLETED", self.completed), (by_reason, "CANCELLED", self.cancelled),
                                    (cancelled, "CANCELLED", self.cancelled)]:
            ids = [s["orderId"] for s in items]
            self.assertEqual([i for i in ids if i in self.sagas], self.in_order(mine), status)
            self.assertEqual([key(s) for s in items], sorted(set(key(s) for s in items)), status)
            self.assertGreater(min(key(s) for s in items), key(self.marker))
            self.assertEqual({s["status"] for s in items}, {status})
        self.assertEqual({s["reason"] for s in completed}, {None})
        self.assertEqual({s["reason"] for s in by_reason}, {"UNKNOWN_PRODUCT"})
        for s in completed + cancelled:
            if s["orderId"] in self.sagas:
                saga = self.sagas[s["orderId"]]
                self.assertEqual((s["startedAt"], s["finishedAt"], s["durationMs"], s["reason"]),
                                 (saga["startedAt"], saga["finishedAt"], saga["durationMs"], saga["reason"]))
                self.assertGreaterEqual(s["ageMs"], s["durationMs"])
                self.assertLess(s["ageMs"], 600_000)
        # Final sagas are not PENDING.
        pending = self.listed("status=PENDING&limit=1000")
        self.assertFalse({s["orderId"] for s in pending} & set(self.sagas))

    def test_pages_of_one_visit_every_saga_once(self):
        mine = self.in_order(self.completed)
        whole = [s["orderId"] for s in self.listed("status=COMPLETED&limit=1000", mine)]
        whole = whole[:whole.index(mine[-1]) + 1]
        pages = self.walk("status=COMPLETED&limit=1", cursor_at(self.marker), mine)
        for p in pages:
            self.assertLessEqual(len(p["sagas"]), 1)
            if p["next"] is not None:  # the place right after the page's saga
                self.assertEqual(p["next"], cursor_at(p["sagas"][0]))
        walked = [s for p in pages for s in p["sagas"]]
        self.assertEqual(len({s["orderId"] for s in walked}), len(walked), "a saga on two pages")
        self.assertEqual([key(s) for s in walked], sorted(key(s) for s in walked))
        # Sagas only ever join a status, so everything the one big page had up to our last saga is
        # on the small pages too (with any saga that finished in between).
        self.assertFalse(set(whole) - {s["orderId"] for s in walked}, "a saga missing from the pages")
        self.assertEqual([s["orderId"] for s in walked if s["orderId"] in self.sagas], mine)

    def test_older_than_ms_leaves_out_sagas_started_since(self):
        self.assertTrue(set(self.completed) <= {s["orderId"] for s in self.listed(
            "status=COMPLETED&olderThanMs=0&limit=1000", self.completed)})
        # Every saga after the marker started after it, minutes ago at most.
        self.assertEqual(self.listed("status=COMPLETED&olderThanMs=3600000&limit=1000"), [])
        # Ages only grow: sagas as old as the youngest of ours was a moment ago include all of ours.
        youngest = min(s["ageMs"] for s in self.listed("status=CANCELLED&limit=1000", self.cancelled)
                       if s["orderId"] in self.sagas)
        self.assertFalse(set(self.cancelled) - {s["orderId"] for s in self.listed(
            f"status=CANCELLED&olderThanMs={youngest}&limit=1000", self.cancelled)})

    def test_every_declared_reason_is_accepted_and_bad_parameters_are_refused_naming_them(self):
        for reason in DECLARATION["reasons"]:
            self.page(f"status=CANCELLED&reason={reason}&limit=1")
        for status in ["PENDING", "COMPLETED", "CANCELLED"]:
            self.page(f"status={status}&limit=1&olderThanMs=0")
        cases = [("", "status"), ("limit=1", "status"), ("status=DONE", "status"), ("status=pending", "status"),
                 ("status=CANCELLED&reason=LATE", "reason"), ("status=COMPLETED&reason=UNKNOWN_PRODUCT", "reason"),
                 ("status=PENDING&olderThanMs=-1", "olderThanMs"), ("status=PENDING&olderThanMs=soon", "olderThanMs"),
                 ("status=PENDING&limit=0", "limit"), ("status=PENDING&limit=1001", "limit"),
                 ("status=PENDING&limit=1.5", "limit"), ("status=PENDING&after=", "after"),
                 ("status=PENDING&after=not*a*cursor", "after"), ("status=PENDING&after=" + b64("no bar"), "after"),
                 ("status=PENDING&after=" + b64("2026-13-01T00:00:00.000Z|x"), "after"),
                 ("status=PENDING&after=" + b64("2026-01-01T00:00:00.000Z|"), "after"),
                 ("status=PENDING&after=" + b64("2026-01-01T00:00:00.000Z|" + "x" * 65), "after")]
        for query, field in cases:
            with self.subTest(query=query):
                res = http("GET", f"{COMPLETION_URL}/sagas?{query}")
                self.assertEqual(res.status, 400, res.body)
                validate(res.json(), "http/error.schema.json")
                self.assertEqual((res.json()["error"]["code"], res.json()["error"]["field"]),
                                 ("VALIDATION_FAILED", field))

    def test_stats_and_gauges_show_the_oldest_pending_saga(self):
        for name in ("sagas_pending_overdue", "saga_oldest_pending_age_ms"):
            self.assertIn(f"# TYPE {name} gauge", http("GET", COMPLETION_URL + "/metrics").body)
        stats = http("GET", f"{COMPLETION_URL}/sagas/stats").json()
        validate(stats, "http/saga-stats.response.schema.json")
        self.assertEqual(stats["oldestPending"] is None, stats["oldestPendingAgeMs"] is None)
        # No order stays PENDING for ten days on its own: a saga row as completion would have it for
        # an order whose events stopped coming, started ten days ago.
        stuck = "stuck-" + uuid.uuid4().hex
        self.addCleanup(sql, f"DELETE FROM completion_db.sagas WHERE order_id = '{stuck}'")
        sql(f"INSERT INTO completion_db.sagas (order_id, status, started_at, updated_at) "
            f"VALUES ('{stuck}', 'PENDING', UTC_TIMESTAMP(3) - INTERVAL 10 DAY, UTC_TIMESTAMP(3))")
        stats = http("GET", f"{COMPLETION_URL}/sagas/stats").json()
        validate(stats, "http/saga-stats.response.schema.json")
        self.assertGreaterEqual(stats["oldestPendingAgeMs"], 10 * DAY_MS)
        if stats["oldestPending"] == stuck:  # unless an even older one was left behind
            self.assertLess(stats["oldestPendingAgeMs"], 10 * DAY_MS + 600_000)
        old = [s for p in self.walk(f"status=PENDING&olderThanMs={9 * DAY_MS}&limit=1000", until=[stuck])
               for s in p["sagas"]]
        (found,) = [s for s in old if s["orderId"] == stuck]
        self.assertEqual((found["status"], found["reason"], found["finishedAt"], found["durationMs"]),
                         ("PENDING", None, None, None))
        self.assertGreaterEqual(found["ageMs"], 10 * DAY_MS)
        self.assertFalse([s for s in old if s["ageMs"] < 9 * DAY_MS])
        # Read every 5 s.
        self.assertTrue(wait_for(lambda: (metric("sagas_pending_overdue") or 0) >= 1
                                 and (metric("saga_oldest_pending_age_ms") or 0) >= 10 * DAY_MS, 20, 0.5))

    def test_the_listing_index_serves_the_queries(self):
        indexes = dict(sql("SELECT index_name, GROUP_CONCAT(column_name ORDER BY seq_in_index) "
                           "FROM information_schema.statistics WHERE table_schema = 'completion_db' "
                           "AND table_name = 'sagas' GROUP BY index_name"))
        self.assertEqual(indexes.get("idx_sagas_status_reason_started"), "status,reason,started_at,order_id")
        self.assertNotIn("idx_sagas_status", indexes)  # its prefix


if __name__ == "__main__":
    unittest.main()
