"""The k6 scripts of loadtest/k6, run under node (tests/e2e/k6shim) against the test stack.

k6 does not run on the build machines; this runs the scripts' own setup(), iterations and
teardown() against the real services, checks their count thresholds and checks, and validates
every request they send and every response they read against proto-json. A change to the API
or to a script that makes them disagree fails here.
"""
import json
import os
import re
import subprocess
import tempfile
import unittest
import uuid

from stack import ADMIN_TOKEN, COMPLETION_URL, ORDER_URL, PAYMENT_URL, PRODUCT_URL, SOURCE_DIR, sql, validate

K6_DIR = SOURCE_DIR / "loadtest" / "k6"
SHIM = SOURCE_DIR / "tests" / "e2e" / "k6shim"
SCRIPTS = ["order-create.js", "saga-e2e.js", "stock-consistency.js", "payment-idempotency.js", "persona-a.js",
           "persona-b.js", "persona-c.js"]

# (method, path pattern) -> (request schema or None, {status: response schema})
ROUTES = [
    ("POST", r"/orders", "http/post-orders.request.schema.json", {202: "http/post-orders.response.schema.json"}),
    ("GET", r"/sagas/stats", None, {200: "http/saga-stats.response.schema.json"}),
    ("GET", r"/sagas/[0-9a-f-]{36}", None, {200: "http/saga.response.schema.json"}),
    ("GET", r"/products/\d+", None, {200: "http/product.response.schema.json"}),
    ("PUT", r"/products/\d+/stock", "http/put-stock.request.schema.json", {200: "http/product.response.schema.json"}),
    ("GET", r"/users/\d+/balance", None, {200: "http/balance.response.schema.json"}),
    ("POST", r"/users/\d+/balance/charge", "http/charge.request.schema.json", {200: "http/charge.response.schema.json"}),
    ("GET", r"/payments/[0-9a-f-]{36}", None, {200: "http/payment.response.schema.json"}),
    ("GET", r"/products/top", None, {200: "http/top-products.response.schema.json"}),
    ("PUT", r"/coupons/[A-Za-z0-9._-]+", "http/put-coupon.request.schema.json",
     {200: "http/coupon.response.schema.json", 201: "http/coupon.response.schema.json"}),
    ("GET", r"/coupons/[A-Za-z0-9._-]+", None, {200: "http/coupon.response.schema.json"}),
    ("POST", r"/coupons/[A-Za-z0-9._-]+/issue", "http/issue-coupon.request.schema.json",
     {201: "http/issue-coupon.response.schema.json"}),
    ("GET", r"/users/\d+/coupons", None, {200: "http/user-coupons.response.schema.json"}),
]


def new_products(n, stock=0):
    """n products of our own (price 1,500), so the scripts' refills touch nothing else."""
    base = int(sql("SELECT COALESCE(MAX(product_id), 0) FROM stock_db.products")[0][0]) + 1000
    ids = list(range(base, base + n))
    values = ",".join(f"({i}, 'k6 test {i}', 1500, {stock}, UTC_TIMESTAMP(3))" for i in ids)
    sql(f"INSERT INTO stock_db.products (product_id, name, price, stock, updated_at) VALUES {values}")
    return ids


def new_users(n):
    """n user ids without an account yet (the scripts' setup() charges them)."""
    base = int(sql("SELECT COALESCE(MAX(user_id), 0) FROM payment_db.accounts")[0][0]) + 1000
    return list(range(base, base + n))


def ids_env(ids):
    return ",".join(str(i) for i in ids)


class K6ScriptsTest(unittest.TestCase):
    def run_script(self, script, iterations, env=None, expect_ok=True):
        with tempfile.NamedTemporaryFile(suffix=".jsonl") as trace:
            full_env = dict(os.environ, ORDER_URL=ORDER_URL, PRODUCT_URL=PRODUCT_URL, PAYMENT_URL=PAYMENT_URL,
                            COMPLETION_URL=COMPLETION_URL, ADMIN_TOKEN=ADMIN_TOKEN, K6SHIM_TRACE=trace.name)
            full_env.update(env or {})
            proc = subprocess.run(
                ["node", "--no-warnings", "--import", str(SHIM / "register.mjs"), str(SHIM / "run.mjs"),
                 str(K6_DIR / script), "--iterations", str(iterations)],
                capture_output=True, text=True, timeout=300, env=full_env)
            if expect_ok:
                self.assertEqual(proc.returncode, 0, f"{script}:\n{proc.stdout}\n{proc.stderr}")
            else:
                self.assertNotEqual(proc.returncode, 0, f"{script} should have failed:\n{proc.stdout}")
            with open(trace.name) as f:
                exchanges = [json.loads(line) for line in f if line.strip()]
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["stderr"] = proc.stderr
        self.check_shapes(script, exchanges)
        return result, exchanges

    def check_shapes(self, script, exchanges):
        self.assertTrue(exchanges, f"{script} sent no request")
        for ex in exchanges:
            path = re.sub(r"^https?://[^/]+", "", ex["url"]).split("?")[0]
            route = next((r for r in ROUTES if r[0] == ex["method"] and re.fullmatch(r[1], path)), None)
            self.assertIsNotNone(route, f"{script}: {ex['method']} {path} is not a route of the API contract")
            _, _, req_schema, responses = route
            if req_schema:
                validate(json.loads(ex["requestBody"]), req_schema)
            if ex["status"] in responses:
                validate(json.loads(ex["responseBody"]), responses[ex["status"]])
            elif ex["status"] >= 400:
                validate(json.loads(ex["responseBody"]), "http/error.schema.json")

    def test_scripts_parse_and_declare_setup_thresholds_and_an_arrival_rate(self):
        for script in SCRIPTS:
            subprocess.run(["node", "--check", str(K6_DIR / script)], check=True, timeout=60)
            out = subprocess.run(
                ["node", "--no-warnings", "--import", str(SHIM / "register.mjs"), str(SHIM / "run.mjs"),
                 str(K6_DIR / script), "--describe"],
                check=True, capture_output=True, text=True, timeout=60).stdout
            described = json.loads(out)
            self.assertIn("setup", described["exports"], script)
            self.assertTrue(described["options"].get("thresholds"), f"{script} has no thresholds")
        hold = json.loads(subprocess.run(
            ["node", "--no-warnings", "--import", str(SHIM / "register.mjs"), str(SHIM / "run.mjs"),
             str(K6_DIR / "order-create.js"), "--describe"], check=True, capture_output=True, text=True).stdout)
        options = hold["options"]
        constant = [s for s in options["scenarios"].values() if s["executor"] == "constant-arrival-rate"]
        self.assertEqual([(s["rate"], s["timeUnit"], s["duration"]) for s in constant], [(1000, "1s", "3m")])
        ramp = options["scenarios"]["ramp_up"]["stages"]
        self.assertEqual([(s["duration"], s["target"]) for s in ramp], [("30s", 500), ("1m", 1000)])
        self.assertEqual(options["scenarios"]["ramp_down"]["stages"], [{"duration": "30s", "target": 0}])
        self.assertIn("rate<0.01", options["thresholds"]["http_req_failed"])
        self.assertIn("p(95)<200", options["thresholds"]["http_req_duration{name:POST /orders}"])

    def test_order_create_places_orders_and_counts_outcomes_after_the_sagas(self):
        products, users = new_products(2), new_users(3)
        result, exchanges = self.run_script("order-create.js", 4,
                                            {"PRODUCT_IDS": ids_env(products), "USER_IDS": ids_env(users)})
        # Three scenarios (ramp_up, hold, ramp_down) of 4 iterations, each one order.
        self.assertEqual(result["metrics"]["orders_accepted"]["sum"], 12)
        self.assertNotIn("order_errors", result["metrics"])
        posted = [e for e in exchanges if e["method"] == "POST" and e["url"].endswith("/orders")]
        self.assertEqual(len(posted), 12)
        # setup() refilled our products and funded our users through the API.
        for p in products:
            stock = int(sql(f"SELECT stock FROM stock_db.products WHERE product_id = {p}")[0][0])
            self.assertGreater(stock, 0)

    def test_saga_e2e_follows_every_order_to_its_final_status(self):
        products, users = new_products(2), new_users(2)
        result, _ = self.run_script("saga-e2e.js", 5, {"PRODUCT_IDS": ids_env(products), "USER_IDS": ids_env(users)})
        self.assertEqual(result["metrics"]["sagas_completed"]["sum"], 5)
        self.assertEqual(result["metrics"]["saga_duration"]["count"], 5)
        self.assertNotIn("saga_timeouts", result["metrics"])

    def test_stock_consistency_sells_exactly_the_stock_and_counts_the_rest_as_rejections(self):
        [product], users = new_products(1), new_users(3)
        result, _ = self.run_script("stock-consistency.js", 9,
                                    {"PRODUCT_ID": str(product), "USER_IDS": ids_env(users), "STOCK": "5"})
        self.assertEqual(result["metrics"]["business_rejections"]["tags"], {"reason:OUT_OF_STOCK": 4})
        self.assertEqual(result["metrics"]["consistency_failures"]["sum"], 0)
        self.assertEqual(sql(f"SELECT stock FROM stock_db.products WHERE product_id = {product}"), [["0"]])
        paid = sql("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM payment_db.payments WHERE status = 'COMPLETED' "
                   f"AND user_id IN ({ids_env(users)})")
        self.assertEqual(paid, [["5", str(5 * 1500)]])

    def test_stock_consistency_teardown_catches_a_stock_that_does_not_add_up(self):
        # The teardown must be able to fail: stock changed behind the sagas' back during the run
        # (here an admin refill right after setup) breaks "final stock == start - completed".
        [product], users = new_products(1), new_users(2)
        env = {"PRODUCT_ID": str(product), "USER_IDS": ids_env(users), "STOCK": "3"}
        # The script as it is, but setup() ends with an admin refill to 10 units.
        script = K6_DIR / "stock-consistency.js"
        with tempfile.TemporaryDirectory() as tmp, tempfile.NamedTemporaryFile(suffix=".jsonl") as trace:
            sabotage = os.path.join(tmp, "sabotage.mjs")
            with open(sabotage, "w") as f:
                f.write(f"import http from 'k6/http';\n"
                        f"import * as m from '{script}';\n"
                        f"export {{ default, options, teardown }} from '{script}';\n"
                        f"export function setup() {{\n"
                        f"  const d = m.setup();\n"
                        f"  http.put(`${{__ENV.PRODUCT_URL}}/products/{product}/stock`, JSON.stringify({{ stock: 10 }}),\n"
                        f"           {{ headers: {{ 'Content-Type': 'application/json', 'X-Admin-Token': __ENV.ADMIN_TOKEN }} }});\n"
                        f"  return d;\n"
                        f"}}\n")
            proc = subprocess.run(
                ["node", "--no-warnings", "--import", str(SHIM / "register.mjs"), str(SHIM / "run.mjs"),
                 sabotage, "--iterations", "2"],
                capture_output=True, text=True, timeout=300,
                env=dict(os.environ, ORDER_URL=ORDER_URL, PRODUCT_URL=PRODUCT_URL, PAYMENT_URL=PAYMENT_URL,
                         COMPLETION_URL=COMPLETION_URL, ADMIN_TOKEN=ADMIN_TOKEN, K6SHIM_TRACE=trace.name, **env))
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("final stock", proc.stderr)

    def test_payment_idempotency_one_key_gives_one_order_and_one_charge(self):
        [product], [user] = new_products(1), new_users(1)
        result, exchanges = self.run_script("payment-idempotency.js", 3,
                                            {"PRODUCT_ID": str(product), "USER_ID": str(user), "CONCURRENCY": "1"})
        self.assertEqual(result["metrics"]["orders_created"]["sum"], 1)
        self.assertEqual(result["metrics"]["charges_applied"]["sum"], 1)
        orders = sql(f"SELECT COUNT(*) FROM order_db.orders WHERE user_id = {user}")
        self.assertEqual(orders, [["1"]])
        # teardown() replayed the key and was answered with the same order.
        replays = [e for e in exchanges if e["method"] == "POST" and e["url"].endswith("/orders")]
        self.assertEqual(len({json.loads(e["responseBody"])["orderId"] for e in replays}), 1)

    def test_persona_a_races_for_coupons_and_buys_the_top_five_with_or_without_one(self):
        users = new_users(6)
        result, _ = self.run_script("persona-a.js", 6, {"USER_IDS": ids_env(users), "COUPONS": "3",
                                                        "PRODUCT_IDS": ids_env(new_products(5))})
        m = result["metrics"]
        self.assertEqual(m["coupons_issued"]["sum"], 3)
        self.assertEqual(m["business_refusals"]["tags"], {"code:COUPON_SOLD_OUT": 3})
        self.assertEqual(m["orders_completed"]["sum"], 6)
        self.assertNotIn("persona_errors", m)
        used = sql(f"SELECT COUNT(*) FROM payment_db.coupons WHERE user_id IN ({ids_env(users)}) "
                   "AND used_by_order_id IS NOT NULL")
        self.assertEqual(used, [["3"]])

    def test_persona_b_pays_exactly_and_ends_at_zero(self):
        users, products = new_users(4), new_products(2)
        result, _ = self.run_script("persona-b.js", 4, {"USER_IDS": ids_env(users), "COUPONS": "2",
                                                        "PRODUCT_ID": str(products[0]),
                                                        "SECOND_PRODUCT_ID": str(products[1])})
        m = result["metrics"]
        self.assertEqual((m["coupons_issued"]["sum"], m["orders_completed"]["sum"]), (2, 4))
        self.assertNotIn("balance_mismatches", m)
        self.assertEqual(sql(f"SELECT COUNT(*), SUM(balance) FROM payment_db.accounts WHERE user_id IN ({ids_env(users)})"),
                         [["4", "0"]])
        # Two orders took both products (1,500 each, 1,000 off), two took one: 2 x 2,000 + 2 x 1,500.
        paid = sql(f"SELECT SUM(amount), SUM(discount) FROM payment_db.payments WHERE user_id IN ({ids_env(users)})")
        self.assertEqual(paid, [["7000", "2000"]])

    def test_persona_c_completes_nothing_and_uses_no_coupon(self):
        users, [product] = new_users(4), new_products(1)
        result, _ = self.run_script("persona-c.js", 4, {"USER_IDS": ids_env(users), "COUPONS": "2",
                                                        "PRODUCT_ID": str(product)})
        m = result["metrics"]
        self.assertNotIn("orders_completed", m)
        self.assertNotIn("persona_errors", m)
        self.assertEqual(m["business_refusals"]["tags"],
                         {"code:COUPON_NOT_ISSUED": 4, "code:COUPON_SOLD_OUT": 2, "code:INSUFFICIENT_BALANCE": 4})
        self.assertEqual(sql(f"SELECT stock FROM stock_db.products WHERE product_id = {product}"), [[str(3 * 4 + 1000)]])

    def test_setup_stops_the_run_with_a_clear_error_without_the_admin_token(self):
        [product], users = new_products(1), new_users(1)
        result, _ = self.run_script("stock-consistency.js", 1,
                                    {"PRODUCT_ID": str(product), "USER_IDS": ids_env(users), "ADMIN_TOKEN": "wrong-" + uuid.uuid4().hex},
                                    expect_ok=False)
        self.assertIn("setup", result["stderr"])
        self.assertIn("401", result["stderr"])


if __name__ == "__main__":
    unittest.main()
