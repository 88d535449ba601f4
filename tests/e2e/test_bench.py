"""loadtest/bench end to end on the test stack: a short run whose invariants hold, the JSON and
HTML it writes, a run where stock is changed behind the saga's back (the check must catch it),
and a clear refusal without a stack."""
import json
import os
import pathlib
import subprocess
import tempfile
import threading
import unittest

from stack import BINARY_DIR, ENV, RUN_DIR, SOURCE_DIR, sql

BENCH = str(SOURCE_DIR / "loadtest" / "bench")


def bench_env(run_dir=RUN_DIR):
    return dict(os.environ, SAGA_RUN_DIR=str(run_dir),
                SAGA_LOADGEN=str(BINARY_DIR / "loadtest" / "loadgen" / "loadgen"))


def run_bench(out, *extra, on_line=None, run_dir=RUN_DIR, schedule=("--rate", "40", "--duration", "3"),
              products="1,2,3"):
    args = [BENCH, *schedule, "--out", str(out), "--products", products, "--settle-timeout", "90", *extra]
    p = subprocess.Popen(args, env=bench_env(run_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in p.stdout:
        lines.append(line)
        if on_line:
            on_line(line)
    p.wait(timeout=300)
    return p.returncode, "".join(lines)


class BenchTest(unittest.TestCase):
    def setUp(self):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="bench-test-"))

    def test_a_short_run_holds_every_invariant_and_reports_it(self):
        out = self.dir / "r.json"
        code, text = run_bench(out, "--fail-share", "0.2", "--min-rps", "1", "--max-http-p99-ms", "60000")
        self.assertEqual(code, 0, text)
        r = json.loads(out.read_text())
        for field in ("achieved_rps", "requests", "accepted", "errors"):
            self.assertIn(field, r)
        self.assertEqual(r["requests"], 120)
        self.assertEqual((r["accepted"], r["errors"]), (120, 0))
        self.assertGreater(r["achieved_rps"], 30)
        for field in ("http_ms", "saga_ms"):
            self.assertEqual(set(r[field]), {"p50", "p95", "p99", "max"})
            self.assertTrue(0 < r[field]["p50"] <= r[field]["p95"] <= r[field]["p99"] <= r[field]["max"])
        s = r["sagas"]
        self.assertEqual(s["pending"], 0)
        self.assertEqual(s["completed"] + s["cancelled"], 120)
        # The orders built to fail ran their compensation: both kinds were cancelled.
        self.assertGreater(r["cancelled_by"].get("OUT_OF_STOCK", 0), 0)
        self.assertGreater(r["cancelled_by"].get("UNKNOWN_USER", 0), 0)
        self.assertEqual(sum(r["cancelled_by"].values()), s["cancelled"])
        # Where the completed sagas spent their time: three hops, each a part of its saga's path,
        # so no hop's percentile exceeds the path's and their means add up to the path's mean.
        hops = r["saga_hops_ms"]
        self.assertEqual(hops["sagas"], s["completed"])
        self.assertEqual([(x["from"], x["to"]) for x in hops["hops"]],
                         [("order.created", "stock.reserved"), ("stock.reserved", "payment.completed"),
                          ("payment.completed", "order.completed")])
        for x in hops["hops"]:
            self.assertGreater(x["p50"], 0, x)
            for q in ("p50", "p95", "p99", "max"):
                self.assertLessEqual(x[q], hops["total"][q], (q, x, hops["total"]))
        self.assertAlmostEqual(sum(x["mean"] for x in hops["hops"]), hops["total"]["mean"], delta=0.05)
        self.assertIn("saga hops (completed; p50 / p99 ms) order.created -> stock.reserved", text)
        self.assertTrue(r["invariants"]["ok"])
        self.assertGreaterEqual(len(r["invariants"]["checks"]), 8)
        self.assertTrue(all(c["ok"] for c in r["invariants"]["checks"]))
        self.assertIn("order", r["cpu_percent_of_one_core"])
        # CPU per order agrees with CPU per wall second: the same seconds over the orders placed.
        us = r["cpu_us_per_order"]
        self.assertGreater(us["order"], 0)
        self.assertAlmostEqual(us["total (without loadgen)"],
                               sum(v for k, v in us.items() if k not in {"loadgen", "total (without loadgen)"}),
                               delta=0.5)
        self.assertIn("cpu us/order ", text)
        self.assertTrue(r["machine"]["cpu_model"])
        self.assertIn(f"machine: {r['machine']['cpu_model']}, ", text)
        self.assertEqual(r["db_durability"], "durable")  # the default mode, and labelled
        self.assertEqual(r["kafka_partitions"], int(ENV["KAFKA_PARTITIONS"]))
        self.assertIn(f"topics: {ENV['KAFKA_PARTITIONS']} partitions each", text)
        self.assertEqual(sum(t["due"] for t in r["timeline"]), 120)
        self.assertTrue(r["backlog"])
        html = (self.dir / "r.html").read_text()
        self.assertIn("<svg", html)
        self.assertIn("Outbox backlog", html)
        self.assertIn("completed sagas, payment.completed to order.completed", html)
        self.assertIn("PASS", html)
        self.assertIn("invariants ok", text)
        self.assertEqual([(t["name"], t["ok"]) for t in r["targets"]],
                         [("achieved rps >= 1", True), ("HTTP p99 ms <= 60000", True)])

    def test_stock_changed_behind_the_sagas_back_fails_the_stock_invariant(self):
        out = self.dir / "r.json"
        tampered = threading.Event()

        def tamper(line):
            # Once the load runs (after the start snapshot), a "lost update" adds 5 units.
            if "bench: loadgen:" in line and not tampered.is_set():
                sql("UPDATE stock_db.products SET stock = stock + 5 WHERE product_id = 2")
                tampered.set()
        code, text = run_bench(out, on_line=tamper)
        self.assertTrue(tampered.is_set(), text)
        self.assertEqual(code, 1, text)
        r = json.loads(out.read_text())
        self.assertFalse(r["invariants"]["ok"])
        failed = [c for c in r["invariants"]["checks"] if not c["ok"]]
        self.assertEqual(len(failed), 1, failed)
        self.assertIn("per product", failed[0]["name"])
        self.assertIn("'product': 2", failed[0]["detail"])
        self.assertIn("[FAIL] per product", text)
        self.assertIn("FAIL", (self.dir / "r.html").read_text())

    def test_orders_whose_answer_timed_out_are_still_checked(self):
        # With a 1 ms client timeout, requests fail at the client after the server has read
        # them: such orders are placed all the same, and their stock and money must add up too.
        out = self.dir / "r.json"
        code, text = run_bench(out, "--timeout-ms", "1", "--max-saga-p99-ms", "0.001")
        self.assertEqual(code, 1, text)  # errors are errors
        r = json.loads(out.read_text())
        self.assertGreater(r["errors"], 0)
        self.assertGreater(r["placed_without_answer"], 0, text)
        self.assertEqual(r["orders_placed"], r["accepted"] + r["placed_without_answer"])
        self.assertEqual(r["sagas"]["completed"] + r["sagas"]["cancelled"], r["orders_placed"])
        self.assertTrue(r["invariants"]["ok"], r["invariants"])
        self.assertEqual([(t["name"], t["ok"]) for t in r["targets"]], [("saga p99 ms <= 0.001", False)])
        self.assertIn("target   saga p99 ms <= 0.001: MISSED", text)

    def test_the_seed_plan_shape_with_scarce_stock_sells_exactly_the_stock(self):
        # The seed's order plan in small: 50 users, one product of exactly 30 units, a ramp up and
        # down; orders past the stock are cancelled OUT_OF_STOCK, and every check still holds.
        out = self.dir / "r.json"
        code, text = run_bench(out, "--stock", "30", "--users", "1-50", "--max-items", "1", "--max-quantity", "1",
                               "--fail-share", "0", schedule=("--stage", "2s:40", "--stage", "1s:40", "--stage", "2s:0"),
                               products="4")
        self.assertEqual(code, 0, text)
        r = json.loads(out.read_text())
        self.assertEqual([(x["seconds"], x["rate"]) for x in r["stages"]], [(2, 40), (1, 40), (2, 0)])
        self.assertEqual(r["stock"], 30)
        self.assertEqual(r["requests"], 120)  # 40 + 40 + 40 under the rate curve
        self.assertEqual(r["sagas"]["completed"], 30)
        self.assertEqual(r["cancelled_by"], {"OUT_OF_STOCK": 90})
        self.assertTrue(r["invariants"]["ok"], r["invariants"])
        self.assertEqual(int(sql("SELECT stock FROM stock_db.products WHERE product_id = 4")[0][0]), 0)

    def test_coupon_orders_race_in_pairs_and_every_coupon_check_holds(self):
        # 6 users, 3 coupons: half the orders name the campaign, in pairs sent at once. A holder's
        # first completed coupon order uses the coupon; every other coupon order is cancelled.
        out = self.dir / "r.json"
        code, text = run_bench(out, "--coupon-share", "0.5", "--coupons", "3", "--users", "1-6", "--fail-share", "0")
        self.assertEqual(code, 0, text)
        r = json.loads(out.read_text())
        self.assertEqual((r["coupons"]["quantity"], r["coupons"]["issued"]), (3, 3))
        names = [c["name"] for c in r["invariants"]["checks"]]
        self.assertIn("coupons issued == min(quantity, users who asked), one per user", names)
        self.assertTrue(r["invariants"]["ok"], r["invariants"])
        self.assertGreater(r["cancelled_by"].get("COUPON_ALREADY_USED", 0), 0)
        self.assertGreater(r["cancelled_by"].get("COUPON_NOT_ISSUED", 0), 0)
        used = sql(f"SELECT COUNT(*), SUM(p.discount) FROM payment_db.payments p JOIN payment_db.coupons u "
                   f"ON u.used_by_order_id = p.order_id WHERE u.coupon_id = '{r['coupons']['campaign']}'")
        self.assertEqual(used, [["3", "1500"]])

    def test_without_a_stack_it_says_how_to_start_one(self):
        code, text = run_bench(self.dir / "r.json", run_dir=self.dir / "no-stack")
        self.assertEqual(code, 2, text)
        self.assertIn("deploy/local/up", text)
        self.assertFalse((self.dir / "r.json").exists())


if __name__ == "__main__":
    unittest.main()
