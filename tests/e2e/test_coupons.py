"""Coupon campaigns on the started stack's payment service: admin terms, first-come issue with
one coupon per user, each refusal's own code, and a user's coupons, all against proto-json."""
import concurrent.futures
import collections
import unittest
import uuid

import jsonschema

from stack import ADMIN_TOKEN, PAYMENT_URL, http, sql, validate

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


if __name__ == "__main__":
    unittest.main()
