"""Coupon campaigns on the started stack's payment service: admin terms, first-come issue with
one coupon per user, each refusal's own code, a user's coupons, and coupons in the saga (the
discount debited once, each coupon reason cancelling with the stock given back, persona C's
double use at a size CI affords), all against proto-json."""
import concurrent.futures
import collections
import json
import pathlib
import subprocess
import tempfile
import unittest
import uuid

import jsonschema

from stack import (ADMIN_TOKEN, BINARY_DIR, COMPLETION_URL, ORDER_URL, PAYMENT_URL, PRODUCT_URL, http,
                   order_status, post_order, sql, validate, wait_final)

ADMIN = {"X-Admin-Token": ADMIN_TOKEN}


def new_id(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def put(coupon_id, body, headers=ADMIN):
    validate(body, "http/put-coupon.request.schema.json")
    return http("PUT", f"{PAYMENT_URL}/coupons/{coupon_id}", body, headers)


def issue(coupon_id, user):
    return http("POST", f"{PAYMENT_URL}/coupons/{coupon_id}/issue", {"userId": user})


def campaign(quantity, **extra):
    return {"name": "e2e", "discountType": "AMOUNT", "discountValue": 1000, "quantity": quantity, **extra}


def coupons_in_db(coupon_id):
    return sorted(int(u) for (u,) in sql(f"SELECT user_id FROM payment_db.coupons WHERE coupon_id = '{coupon_id}'"))


def error_code(res):
    validate(res.json(), "http/error.schema.json")
    return res.status, res.json()["error"]["code"]


class CampaignTest(unittest.TestCase):
    def test_only_the_admin_creates_and_changes_a_campaign_and_anyone_reads_it(self):
        cid = new_id("terms")
        body = {"name": "Ten percent", "discountType": "PERCENT", "discountValue": 10, "maxDiscount": 5000,
                "quantity": 3, "validFrom": "2026-01-01T00:00:00.000Z", "validUntil": None}
        self.assertEqual(error_code(put(cid, body, {})), (401, "UNAUTHORIZED"))
        self.assertEqual(error_code(put(cid, body, {"X-Admin-Token": ADMIN_TOKEN + "x"})), (401, "UNAUTHORIZED"))
        self.assertEqual(http("GET", f"{PAYMENT_URL}/coupons/{cid}").status, 404)

        created = put(cid, body)
        self.assertEqual(created.status, 201, created.body)
        validate(created.json(), "http/coupon.response.schema.json")
        self.assertEqual(created.json(), {"couponId": cid, "name": "Ten percent", "discountType": "PERCENT",
                                          "discountValue": 10, "maxDiscount": 5000, "quantity": 3, "issued": 0,
                                          "remaining": 3, "validFrom": "2026-01-01T00:00:00.000Z",
                                          "validUntil": None})
        self.assertEqual(issue(cid, 501).status, 201)
        self.assertEqual(issue(cid, 502).status, 201)

        # New terms keep what was issued; a quantity below it is refused and changes nothing.
        updated = put(cid, {**body, "name": "Eleven", "discountValue": 11, "quantity": 5})
        self.assertEqual(updated.status, 200, updated.body)
        self.assertEqual((updated.json()["name"], updated.json()["issued"], updated.json()["remaining"]),
                         ("Eleven", 2, 3))
        below = put(cid, {**body, "quantity": 1})
        self.assertEqual(error_code(below), (409, "COUPON_QUANTITY_BELOW_ISSUED"))
        got = http("GET", f"{PAYMENT_URL}/coupons/{cid}")
        self.assertEqual(got.status, 200)
        validate(got.json(), "http/coupon.response.schema.json")
        self.assertEqual((got.json()["quantity"], got.json()["discountValue"]), (5, 11))

    def test_a_body_that_breaks_the_contract_is_refused_naming_the_field(self):
        cid = new_id("bad")
        cases = [({"name": "x", "discountType": "FREE", "discountValue": 1, "quantity": 1}, "discountType"),
                 ({"name": "x", "discountType": "PERCENT", "discountValue": 101, "quantity": 1}, "discountValue"),
                 ({"name": "x", "discountType": "AMOUNT", "discountValue": 1, "quantity": 0}, "quantity"),
                 ({"name": "x", "discountType": "AMOUNT", "discountValue": 1, "quantity": 1, "maxDiscount": 5},
                  "maxDiscount"),
                 ({"name": "x", "discountType": "AMOUNT", "discountValue": 1, "quantity": 1,
                   "validUntil": "2026-02-30T00:00:00.000Z"}, "validUntil"),
                 ({"name": "x", "discountType": "AMOUNT", "discountValue": 1, "quantity": 1, "kind": "x"}, "kind")]
        for body, field in cases:
            with self.subTest(field=field):
                if field in ("discountType", "discountValue", "quantity", "maxDiscount", "kind"):
                    # The schema refuses what the service refuses.
                    with self.assertRaises(jsonschema.ValidationError):
                        validate(body, "http/put-coupon.request.schema.json")
                res = http("PUT", f"{PAYMENT_URL}/coupons/{cid}", body, ADMIN)
                self.assertEqual(error_code(res), (400, "VALIDATION_FAILED"))
                self.assertEqual(res.json()["error"]["field"], field)
        res = http("PUT", f"{PAYMENT_URL}/coupons/has%20space", campaign(1), ADMIN)
        self.assertEqual((error_code(res), res.json()["error"]["field"]), ((400, "VALIDATION_FAILED"), "couponId"))
        self.assertEqual(http("GET", f"{PAYMENT_URL}/coupons/{cid}").status, 404)


class IssueTest(unittest.TestCase):
    def test_each_refusal_has_its_own_code_and_changes_nothing(self):
        self.assertEqual(error_code(issue(new_id("none"), 1)), (404, "COUPON_NOT_FOUND"))
        early, late, one = new_id("early"), new_id("late"), new_id("one")
        self.assertEqual(put(early, campaign(5, validFrom="2999-01-01T00:00:00.000Z")).status, 201)
        self.assertEqual(put(late, campaign(5, validUntil="2020-01-01T00:00:00.000Z")).status, 201)
        self.assertEqual(put(one, campaign(1)).status, 201)
        self.assertEqual(error_code(issue(early, 1)), (409, "COUPON_NOT_ACTIVE"))
        self.assertEqual(error_code(issue(late, 1)), (409, "COUPON_NOT_ACTIVE"))
        first = issue(one, 11)
        self.assertEqual(first.status, 201, first.body)
        validate(first.json(), "http/issue-coupon.response.schema.json")
        self.assertEqual((first.json()["couponId"], first.json()["userId"], first.json()["remaining"]), (one, 11, 0))
        self.assertEqual(error_code(issue(one, 11)), (409, "COUPON_ALREADY_ISSUED"))
        self.assertEqual(error_code(issue(one, 12)), (409, "COUPON_SOLD_OUT"))
        for body in ({"userId": 0}, {"userId": "12"}, {}, [12]):
            res = http("POST", f"{PAYMENT_URL}/coupons/{one}/issue", body)
            self.assertEqual((error_code(res), res.json()["error"]["field"]), ((400, "VALIDATION_FAILED"), "userId"))
        self.assertEqual([coupons_in_db(c) for c in (early, late, one)], [[], [], [11]])
        self.assertEqual(http("GET", f"{PAYMENT_URL}/coupons/{one}").json()["issued"], 1)

    def test_exactly_the_quantity_is_issued_first_come_and_never_two_to_one_user(self):
        # 300 users race for 100 coupons, each asking twice at the same moment.
        cid = new_id("race")
        self.assertEqual(put(cid, campaign(100)).status, 201)
        users = list(range(700001, 700301))
        with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
            results = list(pool.map(lambda u: (u, issue(cid, u)), users + users))
        by_status = collections.Counter(
            res.status if res.status == 201 else error_code(res) for _, res in results)
        winners = sorted(u for u, res in results if res.status == 201)
        self.assertEqual(by_status[201], 100, by_status)
        self.assertEqual(len(set(winners)), 100, "a user got two coupons")
        self.assertEqual(set(by_status) - {201, (409, "COUPON_SOLD_OUT"), (409, "COUPON_ALREADY_ISSUED")}, set(),
                         by_status)
        self.assertEqual(sorted(res.json()["remaining"] for _, res in results if res.status == 201),
                         list(range(100)))
        self.assertEqual(coupons_in_db(cid), winners)
        got = http("GET", f"{PAYMENT_URL}/coupons/{cid}").json()
        self.assertEqual((got["issued"], got["remaining"]), (100, 0))


class UserCouponsTest(unittest.TestCase):
    def test_a_user_sees_each_coupon_issued_to_them_unused(self):
        user = 760000 + uuid.uuid4().int % 10000
        a, b = new_id("mine-a"), new_id("mine-b")
        self.assertEqual(put(a, campaign(2)).status, 201)
        self.assertEqual(put(b, {"name": "pct", "discountType": "PERCENT", "discountValue": 5, "quantity": 2,
                                 "validUntil": "2999-01-01T00:00:00.000Z"}).status, 201)
        self.assertEqual(http("GET", f"{PAYMENT_URL}/users/{user}/coupons").json(), {"userId": user, "coupons": []})
        issued = [issue(c, user).json() for c in (a, b)]
        res = http("GET", f"{PAYMENT_URL}/users/{user}/coupons")
        self.assertEqual(res.status, 200)
        validate(res.json(), "http/user-coupons.response.schema.json")
        listed = res.json()["coupons"]
        self.assertEqual(sorted(c["couponId"] for c in listed), sorted([a, b]))
        for c in listed:
            mine = next(i for i in issued if i["couponId"] == c["couponId"])
            self.assertEqual((c["issuedAt"], c["usedByOrderId"], c["usedAt"]), (mine["issuedAt"], None, None))
        self.assertEqual(next(c for c in listed if c["couponId"] == b)["validUntil"], "2999-01-01T00:00:00.000Z")
        self.assertEqual(http("GET", f"{PAYMENT_URL}/users/0/coupons").status, 400)


# Coupons in the saga use a product of their own, so that its stock is exact whatever else runs.
PRODUCT = 10


def set_stock(value):
    res = http("PUT", f"{PRODUCT_URL}/products/{PRODUCT}/stock", {"stock": value}, ADMIN)
    assert res.status == 200, res.body
    return res.json()["price"]


def stock():
    return http("GET", f"{PRODUCT_URL}/products/{PRODUCT}").json()["stock"]


def balance(user):
    return http("GET", f"{PAYMENT_URL}/users/{user}/balance").json()["balance"]


def charge(user, amount):
    res = http("POST", f"{PAYMENT_URL}/users/{user}/balance/charge", {"amount": amount})
    assert res.status == 200, res.body


def order(user, coupon_id, quantity=1):
    body = {"userId": user, "items": [{"productId": PRODUCT, "quantity": quantity}], "couponId": coupon_id}
    validate(body, "http/post-orders.request.schema.json")
    res = post_order(body)
    assert res.status == 202, res.body
    return res.json()["orderId"]


def final(order_id):
    saga = wait_final(order_id)
    assert saga is not None, f"saga {order_id} never became final"
    validate(saga, "http/saga.response.schema.json")
    return saga


def new_users(n):
    """n user ids with no account and no coupon yet."""
    base = int(sql("SELECT GREATEST(COALESCE((SELECT MAX(user_id) FROM payment_db.accounts), 0), "
                   "COALESCE((SELECT MAX(user_id) FROM payment_db.coupons), 0), 800000)")[0][0]) + 1000
    return list(range(base, base + n))


class CouponInSagaTest(unittest.TestCase):
    def test_the_discount_is_debited_once_and_the_order_saga_and_payment_show_it(self):
        price = set_stock(1000)
        cid = new_id("saga")
        self.assertEqual(put(cid, {"name": "quarter", "discountType": "PERCENT", "discountValue": 25,
                                   "maxDiscount": 1000000, "quantity": 5}).status, 201)
        [user] = new_users(1)
        charge(user, 10 * price)
        self.assertEqual(issue(cid, user).status, 201)

        paid = order(user, cid, quantity=2)
        saga = final(paid)
        discount = 2 * price // 4
        self.assertEqual((saga["status"], saga["reason"], saga["couponId"], saga["discount"]),
                         ("COMPLETED", None, cid, discount))
        by_event = {s["event"]: s for s in saga["steps"]}
        self.assertEqual((by_event["payment.completed"]["amount"], by_event["payment.completed"]["discount"]),
                         (2 * price - discount, discount))
        self.assertEqual(by_event["stock.reserved"]["amount"], 2 * price)
        got = order_status(paid, "COMPLETED")
        validate(got, "http/get-order.response.schema.json")
        self.assertEqual({k: got[k] for k in ("status", "couponId", "amount", "discount")},
                         {"status": "COMPLETED", "couponId": cid, "amount": 2 * price - discount,
                          "discount": discount})
        payment = http("GET", f"{PAYMENT_URL}/payments/{paid}").json()
        validate(payment, "http/payment.response.schema.json")
        self.assertEqual((payment["amount"], payment["discount"], payment["couponId"]),
                         (2 * price - discount, discount, cid))
        self.assertEqual(balance(user), 10 * price - (2 * price - discount))
        mine = http("GET", f"{PAYMENT_URL}/users/{user}/coupons").json()
        validate(mine, "http/user-coupons.response.schema.json")
        self.assertEqual(mine["coupons"][0]["usedByOrderId"], paid)
        self.assertIsNotNone(mine["coupons"][0]["usedAt"])

        # The same coupon again: used; nothing debited and the stock is given back.
        again = final(order(user, cid))
        self.assertEqual((again["status"], again["reason"], again["discount"]),
                         ("CANCELLED", "COUPON_ALREADY_USED", None))
        self.assertIn("stock.released", [s["event"] for s in again["steps"]])
        self.assertEqual(balance(user), 10 * price - (2 * price - discount))
        self.assertEqual(stock(), 1000 - 2)

    def test_each_coupon_reason_cancels_gives_the_stock_back_and_a_short_balance_keeps_the_coupon(self):
        price = set_stock(1000)
        [user, poor] = new_users(2)
        charge(user, 10 * price)
        charge(poor, price - 1001)
        cid, over = new_id("reasons"), new_id("over")
        self.assertEqual(put(cid, campaign(5)).status, 201)  # 1000 off
        self.assertEqual(put(over, campaign(5)).status, 201)
        self.assertEqual(issue(cid, poor).status, 201)
        self.assertEqual(issue(over, user).status, 201)
        # The campaign's window ends after the coupon was issued.
        self.assertEqual(put(over, campaign(5, validFrom="2020-01-01T00:00:00.000Z",
                                           validUntil="2020-01-02T00:00:00.000Z")).status, 200)

        not_issued = final(order(user, cid))
        expired = final(order(user, over))
        short = final(order(poor, cid))  # price - 1000 to pay, one less held
        self.assertEqual([(s["status"], s["reason"]) for s in (not_issued, expired, short)],
                         [("CANCELLED", "COUPON_NOT_ISSUED"), ("CANCELLED", "COUPON_EXPIRED"),
                          ("CANCELLED", "INSUFFICIENT_BALANCE")])
        for saga in (not_issued, expired, short):
            self.assertIn("stock.released", [s["event"] for s in saga["steps"]])
            got = order_status(saga["orderId"], "CANCELLED")
            validate(got, "http/get-order.response.schema.json")
            self.assertEqual((got["status"], got["reason"], got["amount"], got["discount"]),
                             ("CANCELLED", saga["reason"], None, None))
        self.assertEqual(stock(), 1000)
        self.assertEqual((balance(user), balance(poor)), (10 * price, price - 1001))
        # The short balance left the coupon unused: topped up, the same coupon pays.
        charge(poor, 1)
        paid = final(order(poor, cid))
        self.assertEqual((paid["status"], paid["discount"]), ("COMPLETED", 1000))
        self.assertEqual(balance(poor), 0)

    def test_persona_c_every_winner_uses_the_coupon_twice_at_once_and_one_order_completes(self):
        # Persona C at full size: 300 users race for 100 coupons at once, every winner places two
        # orders with it at the same moment, every loser one.
        users, coupons = 300, 100
        price = set_stock(100000)
        cid = new_id("persona-c")
        self.assertEqual(put(cid, campaign(coupons, discountValue=500)).status, 201)
        people = new_users(users)
        for u in people:
            charge(u, 3 * price)
        with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
            issued = list(pool.map(lambda u: (u, issue(cid, u).status), people))
            winners = sorted(u for u, status in issued if status == 201)
            losers = sorted(set(people) - set(winners))
            self.assertEqual(len(winners), coupons)
            self.assertEqual(coupons_in_db(cid), winners)
            placed = list(pool.map(lambda u: (u, order(u, cid)), winners + winners + losers))
            sagas = list(pool.map(lambda p: (p[0], final(p[1])), placed))
        outcomes = collections.defaultdict(list)
        for u, saga in sagas:
            outcomes[u].append((saga["status"], saga["reason"]))
        for u in winners:
            self.assertEqual(sorted(outcomes[u], key=str),
                             sorted([("COMPLETED", None), ("CANCELLED", "COUPON_ALREADY_USED")], key=str), u)
        for u in losers:
            self.assertEqual(outcomes[u], [("CANCELLED", "COUPON_NOT_ISSUED")], u)
        completed = sum(1 for _, saga in sagas if saga["status"] == "COMPLETED")
        self.assertEqual(completed, coupons)
        self.assertEqual(stock(), 100000 - completed)
        self.assertEqual({u: balance(u) for u in people},
                         {u: 3 * price - ((price - 500) if u in winners else 0) for u in people})
        used = sql(f"SELECT user_id, used_by_order_id FROM payment_db.coupons WHERE coupon_id = '{cid}'")
        completed_by = {u: saga["orderId"] for u, saga in sagas if saga["status"] == "COMPLETED"}
        self.assertEqual({int(u): o for u, o in used}, completed_by)


def loadgen(*args):
    """loadgen's JSON summary of a short run."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        p = subprocess.run([str(BINARY_DIR / "loadtest" / "loadgen" / "loadgen"), "--url", PAYMENT_URL, "--quiet",
                            "--out", out.name, *args], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        return json.loads(pathlib.Path(out.name).read_text())


class LoadgenTest(unittest.TestCase):
    def test_loadgen_issues_open_loop_and_counts_refusals_apart_from_errors(self):
        cid = new_id("loadgen")
        self.assertEqual(put(cid, campaign(120)).status, 201)
        users = new_users(150)
        # 200 requests round robin over 150 users: 120 coupons, then refusals only.
        r = loadgen("--api", "issue", "--coupon", cid, "--rate", "200", "--duration", "1",
                    "--users", f"{users[0]}-{users[-1]}")
        self.assertEqual((r["api"], r["requests"], r["accepted"], r["refused"], r["errors"]),
                         ("issue", 200, 120, 80, 0), r)
        self.assertEqual(set(r["refused_by_code"]) - {"COUPON_SOLD_OUT", "COUPON_ALREADY_ISSUED"}, set())
        self.assertEqual(len(coupons_in_db(cid)), 120)

    def test_loadgen_charges_open_loop_and_every_credit_counts_once(self):
        users = new_users(20)
        before = {u: balance(u) if http("GET", f"{PAYMENT_URL}/users/{u}/balance").status == 200 else 0
                  for u in users}
        r = loadgen("--api", "charge", "--amount", "3", "--rate", "200", "--duration", "1",
                    "--users", f"{users[0]}-{users[-1]}")
        self.assertEqual((r["api"], r["requests"], r["accepted"], r["refused"], r["errors"]),
                         ("charge", 200, 200, 0, 0), r)
        self.assertEqual({u: balance(u) for u in users}, {u: before[u] + 10 * 3 for u in users})


if __name__ == "__main__":
    unittest.main()
