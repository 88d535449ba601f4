"""loadtest/bench: one benchmark run against the running local stack.

Prepares stock and balances through the API, runs loadgen open loop, waits until every saga is
final, checks the invariants against the databases, and writes the result as JSON and HTML.
Run it through loadtest/bench, which builds loadgen and installs what is missing.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

SCHEMAS = ["order_db", "stock_db", "payment_db", "completion_db"]
CONSUMERS = ["ORDER_URL", "PRODUCT_URL", "PAYMENT_URL", "COMPLETION_URL"]
# A product with no stock and a user without an account, for the orders built to fail.
OOS_PRODUCT = 900001
UNKNOWN_USER = 900001
EXPECTED = {"normal": ("COMPLETED", None), "out_of_stock": ("CANCELLED", "OUT_OF_STOCK"),
            "unknown_user": ("CANCELLED", "UNKNOWN_USER")}
# A coupon order (--coupon-share) completes with its discount, or is cancelled for its coupon: not
# issued to its user, or used already (by its twin, sent at the same moment, or an earlier order).
COUPON_OUTCOMES = {("COMPLETED", None), ("CANCELLED", "COUPON_NOT_ISSUED"), ("CANCELLED", "COUPON_ALREADY_USED")}


class Fail(Exception):
    """A problem the user has to fix before a run is possible (exit code 2)."""


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# --- the stack ------------------------------------------------------------------------------

def read_env(run_dir):
    path = os.path.join(run_dir, "stack.env")
    if not os.path.exists(path):
        raise Fail(f"no local stack found ({path} is missing): start it with deploy/local/up")
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


def http(method, url, body=None, headers=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Db:
    """The stack's MariaDB through the mariadb client, as the admin account of stack.env."""

    def __init__(self, env):
        self.base = ["mariadb", "--no-defaults", "-h", env["DB_HOST"], "-P", env["DB_PORT"],
                     "-u", env["DB_ADMIN_USER"], "--batch", "--skip-column-names"]
        self.env = dict(os.environ, MYSQL_PWD=env["DB_ADMIN_PASSWORD"])

    def run(self, sql):
        r = subprocess.run(self.base, input=sql, capture_output=True, text=True, env=self.env)
        if r.returncode != 0:
            raise RuntimeError(f"SQL failed: {r.stderr.strip()}\n{sql[:500]}")
        return [line.split("\t") for line in r.stdout.splitlines()]

    def scalar(self, sql):
        rows = self.run(sql)
        return int(rows[0][0]) if rows and rows[0][0] != "NULL" else 0


def metric_sum(url, name, **labels):
    status, text = http("GET", url + "/metrics")
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


def check_stack(env):
    for key in CONSUMERS + ["RELAY_URL"]:
        try:
            status, _ = http("GET", env[key] + "/health/ready", timeout=3)
        except OSError as e:
            raise Fail(f"{key} {env[key]} is not answering ({e}): start the stack with deploy/local/up")
        if status != 200:
            raise Fail(f"{key} {env[key]} is not ready (HTTP {status}): see deploy/local/status")


# --- sampling while the load runs ------------------------------------------------------------

def process_table(run_dir, loadgen_pid):
    procs = {}
    pid_dir = os.path.join(run_dir, "pids")
    for name in sorted(os.listdir(pid_dir)) if os.path.isdir(pid_dir) else []:
        try:
            with open(os.path.join(pid_dir, name)) as f:
                procs[name[:-4]] = int(f.read().strip())
        except (OSError, ValueError):
            pass
    procs["loadgen"] = loadgen_pid
    return procs


def cpu_seconds(pid):
    """utime + stime of a process and its threads, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def cpu_model():
    """The CPU's model name as /proc/cpuinfo gives it ("?" if it does not)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def steal_and_total():
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    return cpu[7] if len(cpu) > 7 else 0, sum(cpu[:8])


# The tables that grow with every order, and the ones kept for a retention time (docs/adr/0018).
TABLES = [("order_db", "orders"), ("order_db", "idempotency_keys"), ("order_db", "inbox"),
          ("stock_db", "reservations"), ("stock_db", "aborted_orders"), ("stock_db", "inbox"),
          ("payment_db", "payments"), ("payment_db", "charges"), ("payment_db", "aborted_orders"),
          ("payment_db", "inbox"), ("completion_db", "sagas"), ("completion_db", "saga_steps"),
          ("completion_db", "inbox")]


def table_rows(db):
    """{"schema.table": rows} of those of TABLES the stack has (exact counts)."""
    have = {(s, t) for s, t in db.run("SELECT table_schema, table_name FROM information_schema.tables WHERE "
                                      "table_schema IN ('order_db', 'stock_db', 'payment_db', 'completion_db');")}
    tables = [st for st in TABLES if st in have]
    row = db.run("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {s}.{t})" for s, t in tables) + ";")[0]
    return {f"{s}.{t}": int(n) for (s, t), n in zip(tables, row)}


class Sampler(threading.Thread):
    """Once a second: outbox backlog per schema and sagas still pending; every `tables_every`
    seconds (0: never) the rows of TABLES."""

    def __init__(self, db, pending_before, tables_every=0):
        super().__init__(daemon=True)
        self.db = db
        self.pending_before = pending_before
        self.tables_every = tables_every
        self.samples = []
        self.table_samples = []
        self.stop = threading.Event()
        self.t0 = time.time()

    def run(self):
        next_tables = 0.0
        sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {s}.outbox)" for s in SCHEMAS) + \
              ", (SELECT COUNT(*) FROM completion_db.sagas WHERE status = 'PENDING');"
        while not self.stop.is_set():
            t = time.time() - self.t0
            try:
                row = [int(x) for x in self.db.run(sql)[0]]
                self.samples.append({"t": round(t, 1), "outbox": dict(zip(SCHEMAS, row[:4])),
                                     "pending_sagas": max(0, row[4] - self.pending_before)})
            except RuntimeError as e:
                log(f"sampling failed: {e}")
            if self.tables_every and t >= next_tables:
                next_tables = t + self.tables_every
                try:
                    self.table_samples.append({"t": round(t, 1), "rows": table_rows(self.db)})
                except RuntimeError as e:
                    log(f"sampling failed: {e}")
            self.stop.wait(1.0)


# --- preparing data --------------------------------------------------------------------------

def prepare(env, db, args, run_id):
    db.run(f"""
CREATE DATABASE IF NOT EXISTS saga_bench;
CREATE TABLE IF NOT EXISTS saga_bench.run_orders (
  run_id VARCHAR(40) NOT NULL, order_id CHAR(36) NOT NULL, kind VARCHAR(16) NOT NULL,
  user_id BIGINT NOT NULL, PRIMARY KEY (run_id, order_id)) ENGINE=InnoDB;
CREATE TABLE IF NOT EXISTS saga_bench.run_items (
  run_id VARCHAR(40) NOT NULL, order_id CHAR(36) NOT NULL, product_id BIGINT NOT NULL,
  quantity INT NOT NULL, PRIMARY KEY (run_id, order_id, product_id)) ENGINE=InnoDB;
INSERT IGNORE INTO stock_db.products (product_id, name, price, stock, updated_at)
  VALUES ({OOS_PRODUCT}, 'bench: always out of stock', 1000, 0, UTC_TIMESTAMP(3));
""")
    products = [int(r[0]) for r in db.run(
        f"SELECT product_id FROM stock_db.products WHERE product_id <> {OOS_PRODUCT} ORDER BY product_id;")]
    users = [int(r[0]) for r in db.run("SELECT user_id FROM payment_db.accounts ORDER BY user_id;")]
    if args.products:
        products = [p for p in products if p in set(args.products)]
    if args.users:
        users = [u for u in users if u in set(args.users)]
    if not products or not users:
        raise Fail("no seeded products or users: deploy/mysql/95_demo_data.sql seeds them")
    if UNKNOWN_USER in users:
        raise Fail(f"user {UNKNOWN_USER} has an account; bench uses it as the unknown user")
    prices = {int(r[0]): int(r[1]) for r in db.run("SELECT product_id, price FROM stock_db.products;")}

    # Enough for every order to succeed even if the random draw is lopsided (or exactly --stock).
    orders = planned_orders(args)
    units_per_order = (1 + args.max_items) / 2 * (1 + args.max_quantity) / 2
    stock = args.stock if args.stock is not None else int(orders * units_per_order / len(products) * 2) + 1000
    max_price = max(prices[p] for p in products)
    balance = int(orders / len(users) * 3 * args.max_items * args.max_quantity * max_price) + 100000
    headers = {"X-Admin-Token": env["ADMIN_TOKEN"]}
    for p in products + [OOS_PRODUCT]:
        status, body = http("PUT", f"{env['PRODUCT_URL']}/products/{p}/stock",
                            {"stock": 0 if p == OOS_PRODUCT else stock}, headers)
        if status != 200:
            raise Fail(f"setting the stock of product {p} failed: HTTP {status} {body}")
    have = {int(r[0]): int(r[1]) for r in db.run("SELECT user_id, balance FROM payment_db.accounts;")}
    for u in users:
        if have[u] < balance:
            status, body = http("POST", f"{env['PAYMENT_URL']}/users/{u}/balance/charge",
                                {"amount": balance - have[u]}, {"Idempotency-Key": f"{run_id}-topup-{u}"})
            if status not in (200, 201):
                raise Fail(f"topping up user {u} failed: HTTP {status} {body}")
    return products, users


def parse_stage(text):
    """'30s:500', '1m:1000', '500ms:10' or '45:200' -> (seconds, rate), as loadgen reads --stage."""
    duration, _, rate = text.partition(":")
    units = {"ms": 0.001, "s": 1, "m": 60}
    unit = next((u for u in ("ms", "s", "m") if duration.endswith(u)), "")
    try:
        seconds = float(duration[:len(duration) - len(unit)]) * units.get(unit, 1)
        return seconds, float(rate)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not DURATION:RATE, like 30s:500")


def planned_orders(args):
    """Orders the schedule sends: the area under its rate curve."""
    if args.stage:
        total, rate = 0.0, 0.0
        for seconds, target in args.stage:
            total += (rate + target) / 2 * seconds
            rate = target
        return total
    return args.rate * (args.duration + args.ramp_up / 2)


def id_list(text):
    """'1-50', '3,5,9-12' -> ids."""
    ids = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        ids.extend(range(int(a), int(b or a) + 1))
    return ids


def prepare_coupons(env, db, args, run_id, users):
    """A campaign of --coupons AMOUNT coupons that every user asks for once: the first ones get
    one. Returns (campaign id, users who got one)."""
    coupon_id = f"bench-{run_id}"
    headers = {"X-Admin-Token": env["ADMIN_TOKEN"]}
    status, body = http("PUT", f"{env['PAYMENT_URL']}/coupons/{coupon_id}",
                        {"name": "bench", "discountType": "AMOUNT", "discountValue": args.coupon_discount,
                         "quantity": args.coupons}, headers)
    if status != 201:
        raise Fail(f"creating coupon campaign {coupon_id} failed: HTTP {status} {body}")
    holders = []
    for u in users:
        status, body = http("POST", f"{env['PAYMENT_URL']}/coupons/{coupon_id}/issue", {"userId": u})
        if status == 201:
            holders.append(u)
        elif status != 409 or json.loads(body)["error"]["code"] != "COUPON_SOLD_OUT":
            raise Fail(f"issuing {coupon_id} to user {u} failed: HTTP {status} {body}")
    return coupon_id, holders


def snapshot(db, products, users):
    ids = ",".join(str(p) for p in products + [OOS_PRODUCT])
    stock = {int(r[0]): int(r[1]) for r in db.run(
        f"SELECT product_id, stock FROM stock_db.products WHERE product_id IN ({ids});")}
    uids = ",".join(str(u) for u in users)
    balance = {int(r[0]): int(r[1]) for r in db.run(
        f"SELECT user_id, balance FROM payment_db.accounts WHERE user_id IN ({uids});")}
    return stock, balance


def wait_quiet(db, timeout):
    """Waits until every outbox is empty and the number of pending sagas has stopped changing
    (an earlier run has settled; sagas left pending for good by someone else do not count).
    Returns (outbox rows or 0, the pending sagas)."""
    deadline = time.time() + timeout
    sql = ("SELECT (SELECT COUNT(*) FROM completion_db.sagas WHERE status = 'PENDING'), " +
           " + ".join(f"(SELECT COUNT(*) FROM {s}.outbox)" for s in SCHEMAS) + ";")
    last = None
    while True:
        pending, backlog = (int(x) for x in db.run(sql)[0])
        if backlog == 0 and pending == last:
            return 0, pending
        if time.time() > deadline:
            return backlog or 1, pending
        last = pending
        time.sleep(1)


def placed_keys(db, key_prefix):
    """Idempotency-Key -> orderId of every order this run placed, answered or not."""
    return {k: o for k, o in db.run(
        f"SELECT idem_key, order_id FROM order_db.idempotency_keys WHERE idem_key LIKE '{key_prefix}%';")}


def wait_placed(db, key_prefix, timeout=30):
    """Waits until the order service has stopped placing this run's orders: a request whose answer
    timed out at the client may still be in its transaction."""
    sql = f"SELECT COUNT(*) FROM order_db.idempotency_keys WHERE idem_key LIKE '{key_prefix}%';"
    last, deadline = -1, time.time() + timeout
    while time.time() < deadline:
        n = db.scalar(sql)
        if n == last:
            return
        last = n
        time.sleep(1)


def load_orders(db, run_id, path, placed):
    """Records the run's orders in saga_bench (again: only the new ones): those answered 202, and
    those whose answer never came (a timeout) but which the order service placed all the same,
    found by their Idempotency-Key. Returns (orders recorded, of which placed without an answer)."""
    orders, items, unanswered = [], [], 0
    with open(path) as f:
        for line in f:
            key, order_id, kind, user, item_text = line.rstrip("\n").split("\t")
            if order_id == "-":
                if key not in placed:
                    continue  # never placed
                order_id = placed[key]
                unanswered += 1
            orders.append(f"('{run_id}','{order_id}','{kind}',{int(user)})")
            for it in item_text.split(","):
                p, q = it.split(":")
                items.append(f"('{run_id}','{order_id}',{int(p)},{int(q)})")
    sql = []
    for i in range(0, len(orders), 2000):
        sql.append("INSERT IGNORE INTO saga_bench.run_orders VALUES " + ",".join(orders[i:i + 2000]) + ";")
    for i in range(0, len(items), 2000):
        sql.append("INSERT IGNORE INTO saga_bench.run_items VALUES " + ",".join(items[i:i + 2000]) + ";")
    if sql:
        db.run("SET autocommit = 1;\n" + "\n".join(sql))
    return len(orders), unanswered


# --- after the run ---------------------------------------------------------------------------

def wait_final(db, run_id, timeout, sagas="completion_db.sagas"):
    sql = f"""SELECT COUNT(*) FROM saga_bench.run_orders r
LEFT JOIN {sagas} s ON s.order_id = r.order_id
WHERE r.run_id = '{run_id}' AND (s.status IS NULL OR s.status = 'PENDING');"""
    deadline = time.time() + timeout
    while True:
        pending = db.scalar(sql)
        if pending == 0 or time.time() > deadline:
            return pending
        time.sleep(0.5)


def check_coupons(db, run_id, coupon_id, quantity, users_asked, discount):
    """The coupon checks of a --coupon-share run; the discount each completed coupon order took
    is left for the money check. Returns (checks, expected discount per user)."""
    checks = []
    r, c = f"'{run_id}'", f"'{coupon_id}'"
    issued = db.scalar(f"SELECT COUNT(*) FROM payment_db.coupons WHERE coupon_id = {c};")
    counter = db.scalar(f"SELECT issued FROM payment_db.coupon_campaigns WHERE coupon_id = {c};")
    want = min(quantity, users_asked)
    checks.append({"name": "coupons issued == min(quantity, users who asked), one per user",
                   "ok": issued == want == counter,
                   "detail": f"{issued} coupons, campaign counts {counter}; min({quantity}, {users_asked}) = {want}"})
    twice = db.scalar(f"""SELECT COUNT(*) FROM (SELECT o.user_id FROM order_db.orders o
JOIN saga_bench.run_orders r ON r.order_id = o.order_id AND r.run_id = {r}
JOIN completion_db.sagas s ON s.order_id = o.order_id AND s.status = 'COMPLETED'
WHERE o.coupon_id = {c} GROUP BY o.user_id HAVING COUNT(*) > 1) x;""")
    used = db.scalar(f"""SELECT COUNT(*) FROM payment_db.coupons u JOIN completion_db.sagas s
ON s.order_id = u.used_by_order_id AND s.status = 'COMPLETED' WHERE u.coupon_id = {c};""")
    completed = db.scalar(f"""SELECT COUNT(*) FROM order_db.orders o
JOIN saga_bench.run_orders r ON r.order_id = o.order_id AND r.run_id = {r}
JOIN completion_db.sagas s ON s.order_id = o.order_id AND s.status = 'COMPLETED' WHERE o.coupon_id = {c};""")
    checks.append({"name": "no coupon used by more than one completed order, and each completed coupon order used one",
                   "ok": twice == 0 and used == completed,
                   "detail": f"{twice} users with several; {used} coupons used by {completed} completed coupon orders"})
    # What each completed coupon order should have had off: min(discount, its total).
    expected = {int(u): int(d) for u, d in db.run(f"""SELECT user_id, SUM(LEAST({discount}, total)) FROM (
SELECT r.user_id, r.order_id, SUM(i.quantity * pr.price) AS total FROM saga_bench.run_orders r
JOIN saga_bench.run_items i ON i.run_id = r.run_id AND i.order_id = r.order_id
JOIN stock_db.products pr ON pr.product_id = i.product_id
JOIN order_db.orders o ON o.order_id = r.order_id AND o.coupon_id = {c}
JOIN completion_db.sagas s ON s.order_id = r.order_id AND s.status = 'COMPLETED'
WHERE r.run_id = {r} GROUP BY r.user_id, r.order_id) t GROUP BY user_id;""")}
    return checks, expected


def check_invariants(db, run_id, start_stock, start_balance, dlq_delta, expected=EXPECTED, discounts=None,
                     kept=True):
    """The run's checks. With `kept` False (a retention shorter than the run, docs/adr/0018) the
    sagas, steps and payments of the first orders are gone: the statuses come from order_db.orders
    (kept), the money from the orders' amounts, and the checks that need the deleted rows are
    skipped."""
    checks = []

    def check(name, ok, detail):
        checks.append({"name": name, "ok": bool(ok), "detail": detail})

    sagas = "completion_db.sagas" if kept else "order_db.orders"
    r = f"'{run_id}'"
    # Every order placed has exactly one final status, the one its kind calls for, and the
    # order service agrees with the completion service.
    rows = db.run(f"""SELECT r.kind, s.status, COALESCE(s.reason, ''), COUNT(*) FROM saga_bench.run_orders r
LEFT JOIN {sagas} s ON s.order_id = r.order_id WHERE r.run_id = {r}
GROUP BY r.kind, s.status, s.reason;""")
    wrong = [(k, st, re, int(n)) for k, st, re, n in rows
             if (st, re or None) not in expected[k]]
    check("each order placed (answered 202, or placed though its answer timed out) reached the final "
          "status its kind calls for", not wrong,
          "all as expected" if not wrong else f"unexpected (kind, status, reason, count): {wrong[:5]}")
    if not kept:
        return checks + check_kept_money(db, r, start_stock, start_balance, discounts, dlq_delta)
    bad_final = db.scalar(f"""SELECT COUNT(*) FROM (SELECT r.order_id, COUNT(st.event_id) AS n
FROM saga_bench.run_orders r LEFT JOIN completion_db.saga_steps st ON st.order_id = r.order_id
AND st.event_type IN ('order.completed', 'order.cancelled') WHERE r.run_id = {r}
GROUP BY r.order_id HAVING n <> 1) x;""")
    check("exactly one final event (order.completed or order.cancelled) per order", bad_final == 0,
          f"{bad_final} orders with none or several")
    disagree = db.scalar(f"""SELECT COUNT(*) FROM saga_bench.run_orders r
JOIN completion_db.sagas s ON s.order_id = r.order_id
LEFT JOIN order_db.orders o ON o.order_id = r.order_id
WHERE r.run_id = {r} AND (o.status IS NULL OR o.status <> s.status);""")
    check("the order service shows the same final status as the completion service", disagree == 0,
          f"{disagree} orders differ")

    # Stock: final == start - reserved + released, and the net equals the units sold.
    res = {int(p): (int(a), int(b)) for p, a, b in db.run(f"""SELECT v.product_id, SUM(v.quantity),
SUM(CASE WHEN v.status = 'RELEASED' THEN v.quantity ELSE 0 END)
FROM stock_db.reservations v JOIN saga_bench.run_orders r ON r.order_id = v.order_id AND r.run_id = {r}
GROUP BY v.product_id;""")}
    sold = {int(p): int(q) for p, q in db.run(f"""SELECT i.product_id, SUM(i.quantity) FROM saga_bench.run_items i
JOIN completion_db.sagas s ON s.order_id = i.order_id AND s.status = 'COMPLETED'
WHERE i.run_id = {r} GROUP BY i.product_id;""")}
    ids = ",".join(str(p) for p in start_stock)
    final = {int(p): int(s) for p, s in db.run(
        f"SELECT product_id, stock FROM stock_db.products WHERE product_id IN ({ids});")}
    off = []
    for p, start in start_stock.items():
        reserved, released = res.get(p, (0, 0))
        if final[p] != start - reserved + released or start - final[p] != sold.get(p, 0):
            off.append({"product": p, "start": start, "reserved": reserved, "released": released,
                        "final": final[p], "sold": sold.get(p, 0)})
    check("per product: final stock == start - reserved + released == start - units sold", not off,
          f"{len(start_stock)} products exact" if not off else f"{len(off)} off: {off[:3]}")

    # Money: final balance == start - completed payments, which are the prices of the orders.
    paid = {int(u): int(a) for u, a in db.run(f"""SELECT p.user_id, SUM(p.amount) FROM payment_db.payments p
JOIN saga_bench.run_orders r ON r.order_id = p.order_id AND r.run_id = {r}
WHERE p.status = 'COMPLETED' GROUP BY p.user_id;""")}
    owed = {int(u): int(a) for u, a in db.run(f"""SELECT r.user_id, SUM(i.quantity * pr.price)
FROM saga_bench.run_orders r JOIN saga_bench.run_items i ON i.run_id = r.run_id AND i.order_id = r.order_id
JOIN stock_db.products pr ON pr.product_id = i.product_id
JOIN completion_db.sagas s ON s.order_id = r.order_id AND s.status = 'COMPLETED'
WHERE r.run_id = {r} GROUP BY r.user_id;""")}
    uids = ",".join(str(u) for u in start_balance)
    final_bal = {int(u): int(b) for u, b in db.run(
        f"SELECT user_id, balance FROM payment_db.accounts WHERE user_id IN ({uids});")}
    for u, d in (discounts or {}).items():
        owed[u] = owed.get(u, 0) - d
    off = [{"user": u, "start": b, "paid": paid.get(u, 0), "owed": owed.get(u, 0), "final": final_bal[u]}
           for u, b in start_balance.items()
           if final_bal[u] != b - paid.get(u, 0) or paid.get(u, 0) != owed.get(u, 0)]
    check("per user: final balance == start - completed payments == start - (price - coupon discount) of "
          "completed orders",
          not off, f"{len(start_balance)} users exact" if not off else f"{len(off)} off: {off[:3]}")

    twice = db.scalar(f"""SELECT COUNT(*) FROM (SELECT st.order_id FROM completion_db.saga_steps st
JOIN saga_bench.run_orders r ON r.order_id = st.order_id AND r.run_id = {r}
WHERE st.event_type = 'payment.completed' GROUP BY st.order_id HAVING COUNT(*) > 1) x;""")
    completed = db.scalar(f"""SELECT COUNT(*) FROM saga_bench.run_orders r JOIN completion_db.sagas s
ON s.order_id = r.order_id AND s.status = 'COMPLETED' WHERE r.run_id = {r};""")
    payments = db.scalar(f"""SELECT COUNT(*) FROM payment_db.payments p JOIN saga_bench.run_orders r
ON r.order_id = p.order_id AND r.run_id = {r} WHERE p.status = 'COMPLETED';""")
    check("no order paid twice (one payment.completed event and one payment per completed order)",
          twice == 0 and payments == completed,
          f"{twice} orders with several payment events; {payments} payments for {completed} completed orders")

    backlog = db.scalar("SELECT " + " + ".join(f"(SELECT COUNT(*) FROM {s}.outbox)" for s in SCHEMAS) + ";")
    check("every outbox drained", backlog == 0, f"{backlog} rows left")
    check("no DLQ messages", dlq_delta == 0, f"{int(dlq_delta)} events sent to a DLQ during the run")
    return checks


def check_kept_money(db, r, start_stock, start_balance, discounts, dlq_delta):
    """Stock and money from the rows a retention keeps: reservations, order_db.orders (status, amount)."""
    checks = []
    sold = {int(p): int(q) for p, q in db.run(f"""SELECT i.product_id, SUM(i.quantity) FROM saga_bench.run_items i
JOIN order_db.orders o ON o.order_id = i.order_id AND o.status = 'COMPLETED'
WHERE i.run_id = {r} GROUP BY i.product_id;""")}
    ids = ",".join(str(p) for p in start_stock)
    final = {int(p): int(s) for p, s in db.run(
        f"SELECT product_id, stock FROM stock_db.products WHERE product_id IN ({ids});")}
    off = [p for p, start in start_stock.items() if start - final[p] != sold.get(p, 0)]
    checks.append({"name": "per product: final stock == start - units of completed orders", "ok": not off,
                   "detail": f"{len(start_stock)} products exact" if not off else f"{len(off)} off: {off[:3]}"})
    owed = {int(u): int(a) for u, a in db.run(f"""SELECT r.user_id, SUM(o.amount) FROM saga_bench.run_orders r
JOIN order_db.orders o ON o.order_id = r.order_id AND o.status = 'COMPLETED'
WHERE r.run_id = {r} GROUP BY r.user_id;""")}
    priced = {int(u): int(a) for u, a in db.run(f"""SELECT r.user_id, SUM(i.quantity * pr.price)
FROM saga_bench.run_orders r JOIN saga_bench.run_items i ON i.run_id = r.run_id AND i.order_id = r.order_id
JOIN stock_db.products pr ON pr.product_id = i.product_id
JOIN order_db.orders o ON o.order_id = r.order_id AND o.status = 'COMPLETED'
WHERE r.run_id = {r} GROUP BY r.user_id;""")}
    for u, d in (discounts or {}).items():
        priced[u] = priced.get(u, 0) - d
    uids = ",".join(str(u) for u in start_balance)
    final_bal = {int(u): int(b) for u, b in db.run(
        f"SELECT user_id, balance FROM payment_db.accounts WHERE user_id IN ({uids});")}
    off = [u for u, b in start_balance.items()
           if final_bal[u] != b - owed.get(u, 0) or owed.get(u, 0) != priced.get(u, 0)]
    checks.append({"name": "per user: final balance == start - amounts of completed orders == start - their "
                   "prices (minus coupon discounts)", "ok": not off,
                   "detail": f"{len(start_balance)} users exact" if not off else f"{len(off)} off: {off[:3]}"})
    backlog = db.scalar("SELECT " + " + ".join(f"(SELECT COUNT(*) FROM {s}.outbox)" for s in SCHEMAS) + ";")
    checks.append({"name": "every outbox drained", "ok": backlog == 0, "detail": f"{backlog} rows left"})
    checks.append({"name": "no DLQ messages", "ok": dlq_delta == 0,
                   "detail": f"{int(dlq_delta)} events sent to a DLQ during the run"})
    checks.append({"name": "skipped: one final event per order, order and completion agree, no order paid twice",
                   "ok": True, "detail": "their rows (saga steps, sagas, payments) are past the retention"})
    return checks


def saga_times(db, run_id):
    """Saga time of each order: order.created's time (the order's commit, before the 202) to the
    completion service's commit of the final status, plus per-second p50/p99 by start second."""
    rows = db.run(f"""SELECT UNIX_TIMESTAMP(s.started_at), s.duration_ms, s.status, COALESCE(s.reason, 'NONE')
FROM saga_bench.run_orders r JOIN completion_db.sagas s ON s.order_id = r.order_id
WHERE r.run_id = '{run_id}' AND s.duration_ms IS NOT NULL;""")
    return [(float(a), int(b), c, d) for a, b, c, d in rows]


# The completed saga's path: each hop runs from one step's occurredAt (set by the service that
# wrote the event, in its transaction) to the next one's, so the three hops add up to the saga time.
HOPS = [("order.created", "stock.reserved"), ("stock.reserved", "payment.completed"),
        ("payment.completed", "order.completed")]


def saga_hops(db, run_id):
    """Per completed saga of the run: the time of each hop and of the whole path, in ms. A saga is
    decided on payment.completed alone, so a step from another topic may still be on its way: such
    a saga is left out rather than read as a hop of unknown length."""
    steps = [HOPS[0][0]] + [to for _, to in HOPS]
    cols = ", ".join(f"MAX(CASE WHEN st.event_type = '{e}' THEN st.occurred_at END) AS t{i}"
                     for i, e in enumerate(steps))
    diffs = ", ".join(f"TIMESTAMPDIFF(MICROSECOND, t{i}, t{i + 1}) / 1000" for i in range(len(HOPS)))
    rows = db.run(f"""SELECT {diffs}, TIMESTAMPDIFF(MICROSECOND, t0, t{len(HOPS)}) / 1000 FROM (
SELECT {cols} FROM saga_bench.run_orders r
JOIN completion_db.sagas s ON s.order_id = r.order_id AND s.status = 'COMPLETED'
JOIN completion_db.saga_steps st ON st.order_id = r.order_id
WHERE r.run_id = '{run_id}' GROUP BY r.order_id) p
WHERE {" AND ".join(f"t{i} IS NOT NULL" for i in range(len(steps)))};""")
    return [[float(v) for v in row] for row in rows]


def hop_stats(rows):
    """Percentiles and mean of each hop and of the whole path, over the completed sagas."""
    def stats(values):
        return {**report.percentiles(values), "mean": round(sum(values) / len(values), 2) if values else 0}
    return {"sagas": len(rows),
            "hops": [{"from": a, "to": b, **stats([r[i] for r in rows])} for i, (a, b) in enumerate(HOPS)],
            "total": stats([r[-1] for r in rows])}


def main():
    ap = argparse.ArgumentParser(prog="loadtest/bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, help="orders per second to hold")
    ap.add_argument("--duration", type=float, help="seconds to hold --rate")
    ap.add_argument("--stage", type=parse_stage, action="append",
                    help="DURATION:RATE, repeatable, instead of --rate/--duration: the rate moves linearly "
                         "to RATE over DURATION (30s, 1m) from the previous stage's (0 at first)")
    ap.add_argument("--stock", type=int,
                    help="scarce stock: set each product's stock to exactly this (default: enough for every "
                         "order); orders past it are CANCELLED OUT_OF_STOCK, and the checks hold all the same")
    ap.add_argument("--out", required=True, help="result JSON; the HTML report goes beside it")
    ap.add_argument("--ramp-up", type=float, default=0, help="seconds ramping from 0 to --rate first")
    ap.add_argument("--fail-share", type=float, default=0.02,
                    help="share of orders built to fail (half out of stock, half unknown user); default 0.02")
    ap.add_argument("--coupon-share", type=float, default=0,
                    help="share of orders that name a coupon campaign made for the run (--coupons of "
                         "--coupon-discount won, asked for by every user first); they come in pairs of one "
                         "user and coupon sent at once")
    ap.add_argument("--coupons", type=int, help="the campaign's quantity (default: half the users)")
    ap.add_argument("--coupon-discount", type=int, default=500, help="won off per coupon (default 500)")
    ap.add_argument("--max-items", type=int, default=2, help="distinct products per order, 1..N (default 2)")
    ap.add_argument("--max-quantity", type=int, default=2, help="units per item, 1..N (default 2)")
    ap.add_argument("--connections", type=int, default=256, help="loadgen's keep-alive connections at most")
    ap.add_argument("--timeout-ms", type=int, default=10000,
                    help="a request not answered by then is an error (it may still be placed; bench checks it too)")
    ap.add_argument("--products", type=id_list, default=None,
                    help="only these seeded products (like 1,2 or 1-10); default all")
    ap.add_argument("--users", type=id_list, default=None,
                    help="only these seeded users (like 1-50); default all")
    ap.add_argument("--settle-timeout", type=float, default=120, help="seconds to wait for the sagas")
    ap.add_argument("--table-rows-every", type=float, default=0,
                    help="also count the rows of the growing tables every S seconds during the run (0: only "
                         "before and after)")
    ap.add_argument("--retention-s", type=float, default=0,
                    help="the stack's RETENTION_S when it is shorter than the run: the checks then read the "
                         "kept rows only (docs/adr/0018)")
    ap.add_argument("--label", default="", help="a note stored in the result (e.g. the settings)")
    ap.add_argument("--min-rps", type=float, help="target: achieved at least this many requests/s")
    ap.add_argument("--max-http-p99-ms", type=float, help="target: HTTP p99 at most this")
    ap.add_argument("--max-saga-p99-ms", type=float, help="target: saga p99 at most this")
    args = ap.parse_args()
    if args.stage and (args.rate or args.duration or args.ramp_up):
        ap.error("give either --stage or --rate/--duration/--ramp-up")
    if not args.stage and (not args.rate or not args.duration or args.rate <= 0 or args.duration <= 0):
        ap.error("--rate and --duration must be > 0 (or give --stage)")
    if not 0 <= args.fail_share <= 1 or (args.stock is not None and args.stock < 0):
        ap.error("--fail-share must be within 0..1 and --stock >= 0")
    if not 0 <= args.coupon_share <= 1 - args.fail_share or args.coupon_discount < 1:
        ap.error("--coupon-share must be within 0..1 - --fail-share, and --coupon-discount >= 1")
    if args.stage:
        args.rate = max(rate for _, rate in args.stage)
        args.duration = sum(seconds for seconds, _ in args.stage)
    # What each kind of order may end as: with scarce stock, a normal order may find it sold out.
    expected = {k: {v} for k, v in EXPECTED.items()}
    expected["coupon"] = set(COUPON_OUTCOMES)
    if args.stock is not None:
        expected["normal"].add(("CANCELLED", "OUT_OF_STOCK"))
        expected["coupon"].add(("CANCELLED", "OUT_OF_STOCK"))

    run_dir = os.environ.get("SAGA_RUN_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", ".run")
    try:
        env = read_env(run_dir)
        check_stack(env)
        db = Db(env)
        busy, pending_before = wait_quiet(db, 30)
        if busy:
            raise Fail("the stack is busy (outbox rows or sagas still moving after 30 s): "
                       "run bench on an otherwise idle stack")
        flush = db.scalar("SELECT @@innodb_flush_log_at_trx_commit;")
        durability = "durable" if flush == 1 else f"RELAXED (innodb_flush_log_at_trx_commit={flush})"
        run_id = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
        log(f"run {run_id}: preparing stock and balances")
        products, users = prepare(env, db, args, run_id)
        coupon_id, holders = None, []
        if args.coupon_share > 0:
            if args.coupons is None:
                args.coupons = max(1, len(users) // 2)
            coupon_id, holders = prepare_coupons(env, db, args, run_id, users)
            log(f"campaign {coupon_id}: {len(holders)} of {len(users)} users got a coupon")
        start_stock, start_balance = snapshot(db, products, users)
        rows_before = table_rows(db)
    except Fail as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    dlq_before = sum(metric_sum(env[k], "consumer_events_total", result="dlq") for k in CONSUMERS)

    work = tempfile.mkdtemp(prefix="bench-")
    lg_json, lg_orders = os.path.join(work, "loadgen.json"), os.path.join(work, "orders.tsv")
    key_prefix = f"bench-{run_id}-"
    schedule = ([a for seconds, rate in args.stage for a in ("--stage", f"{seconds:g}:{rate:g}")] if args.stage
                else ["--rate", str(args.rate), "--duration", str(args.duration), "--ramp-up", str(args.ramp_up)])
    cmd = [os.environ["SAGA_LOADGEN"], "--url", env["ORDER_URL"], *schedule,
           "--connections", str(args.connections), "--timeout-ms", str(args.timeout_ms), "--users", ",".join(map(str, users)),
           "--products", ",".join(map(str, products)), "--max-items", str(args.max_items),
           "--max-quantity", str(args.max_quantity), "--fail-share", str(args.fail_share),
           "--out-of-stock-product", str(OOS_PRODUCT), "--unknown-user", str(UNKNOWN_USER),
           *(["--coupon-share", str(args.coupon_share), "--coupon", coupon_id] if coupon_id else []),
           "--key-prefix", key_prefix, "--out", lg_json, "--orders", lg_orders]
    log(f"loadgen: stages {' '.join(f'{s:g}s:{r:g}/s' for s, r in args.stage)}" if args.stage else
        f"loadgen: {args.rate:g}/s for {args.duration:g} s" + (f" after a {args.ramp_up:g} s ramp" if args.ramp_up else ""))
    sampler = Sampler(db, pending_before, args.table_rows_every)
    sampler.start()
    steal0, total0 = steal_and_total()
    lg = subprocess.Popen(cmd)
    procs = process_table(run_dir, lg.pid)
    cpu0 = {n: cpu_seconds(p) for n, p in procs.items()}
    wall0 = time.time()
    cpu_end = dict(cpu0)
    while lg.poll() is None:
        time.sleep(0.2)
        cpu_end = {n: cpu_seconds(p) for n, p in procs.items()}  # loadgen's last reading before exit
    cpu_loadgen = cpu_end.get("loadgen")
    if lg.returncode != 0:
        sampler.stop.set()
        print(f"bench: loadgen failed (exit {lg.returncode})", file=sys.stderr)
        return 2
    with open(lg_json) as f:
        lg_result = json.load(f)
    if lg_result["errors"]:
        wait_placed(db, key_prefix)
    keys = placed_keys(db, key_prefix)
    placed, unanswered = load_orders(db, run_id, lg_orders, keys)
    log(f"{placed} orders placed ({unanswered} of them without an answer in time); "
        "waiting for their sagas to finish")
    kept = not args.retention_s or args.retention_s > args.duration + args.settle_timeout
    final_source = "completion_db.sagas" if kept else "order_db.orders"
    pending = wait_final(db, run_id, args.settle_timeout, final_source)
    wait_quiet(db, 30)  # the last final events still leave the completion outbox
    if len(placed_keys(db, key_prefix)) > len(keys):  # placed even later: check those too
        placed, unanswered = load_orders(db, run_id, lg_orders, placed_keys(db, key_prefix))
        pending = wait_final(db, run_id, args.settle_timeout, final_source)
        wait_quiet(db, 30)
    wall = time.time() - wall0
    cpu1 = {n: cpu_seconds(p) for n, p in procs.items()}
    cpu1["loadgen"] = cpu_loadgen
    steal1, total1 = steal_and_total()
    sampler.stop.set()
    sampler.join()
    dlq_after = sum(metric_sum(env[k], "consumer_events_total", result="dlq") for k in CONSUMERS)

    coupon_checks, discounts = ([], None)
    if coupon_id:
        coupon_checks, discounts = check_coupons(db, run_id, coupon_id, args.coupons, len(users),
                                                 args.coupon_discount)
    checks = check_invariants(db, run_id, start_stock, start_balance, dlq_after - dlq_before, expected,
                              discounts, kept) + coupon_checks
    if pending:
        checks.insert(0, {"name": "every saga final", "ok": False,
                          "detail": f"{pending} still pending after {args.settle_timeout:g} s"})
    sagas = saga_times(db, run_id)
    counts = {"completed": sum(1 for s in sagas if s[2] == "COMPLETED"),
              "cancelled": sum(1 for s in sagas if s[2] == "CANCELLED"), "pending": pending}
    by_reason = {}
    for s in sagas:
        if s[2] == "CANCELLED":
            by_reason[s[3]] = by_reason.get(s[3], 0) + 1
    # CPU use over the whole run (load and settling), in % of one core.
    cpu = {n: round(100 * (cpu1[n] - cpu0[n]) / wall, 1) for n in procs
           if cpu0.get(n) is not None and cpu1.get(n) is not None}
    # The same as CPU time per order placed, in microseconds: comparable between rates and runs.
    cpu_us = {n: round(1e6 * (cpu1[n] - cpu0[n]) / max(1, placed), 1) for n in cpu}
    cpu_us["total (without loadgen)"] = round(sum(v for n, v in cpu_us.items() if n != "loadgen"), 1)
    result = {
        "run_id": run_id, "label": args.label,
        "rate": args.rate, "duration_s": args.duration, "ramp_up_s": args.ramp_up,
        "stages": [{"seconds": s, "rate": r} for s, r in args.stage] if args.stage else None,
        "stock": args.stock,
        "coupons": {"share": args.coupon_share, "campaign": coupon_id, "quantity": args.coupons,
                    "discount": args.coupon_discount, "issued": len(holders)} if coupon_id else None,
        "fail_share": args.fail_share, "db_durability": durability,
        # Partitions per topic on the stack's broker (stack.env of a stack from before it was written
        # there: unknown).
        "kafka_partitions": int(env["KAFKA_PARTITIONS"]) if env.get("KAFKA_PARTITIONS") else None,
        "achieved_rps": lg_result["achieved_rps"], "requests": lg_result["requests"],
        "accepted": lg_result["accepted"], "errors": lg_result["errors"],
        # Refused with 429 OVERLOADED (admission control, docs/adr/0016): nothing placed, not errors.
        "refused": lg_result.get("refused", 0), "refused_by_code": lg_result.get("refused_by_code", {}),
        "orders_placed": placed, "placed_without_answer": unanswered,
        "error_kinds": lg_result["error_kinds"],
        "http_ms": lg_result["http_ms"],
        "saga_ms": report.percentiles([s[1] for s in sagas]),
        "saga_hops_ms": hop_stats(saga_hops(db, run_id)),
        "sagas": counts, "cancelled_by": by_reason,
        "invariants": {"ok": all(c["ok"] for c in checks), "checks": checks},
        "cpu_percent_of_one_core": cpu,
        "cpu_us_per_order": cpu_us,
        "steal_percent": round(100 * (steal1 - steal0) / max(1, total1 - total0), 1),
        "machine": {"cpus": os.cpu_count(), "kernel": os.uname().release, "cpu_model": cpu_model()},
        "timeline": lg_result["timeline"],
        "saga_timeline": report.saga_timeline(sagas, lg_result["started_at_ms"] / 1000),
        "backlog": sampler.samples,
        # Rows of the growing tables (docs/adr/0018): before, after, and sampled during the run.
        "table_rows": {"before": rows_before, "after": table_rows(db), "samples": sampler.table_samples,
                       "retention_s": args.retention_s or None},
    }
    targets = []
    for name, value, limit, at_least in [("achieved rps", result["achieved_rps"], args.min_rps, True),
                                         ("HTTP p99 ms", result["http_ms"]["p99"], args.max_http_p99_ms, False),
                                         ("saga p99 ms", result["saga_ms"]["p99"], args.max_saga_p99_ms, False)]:
        if limit is not None:
            ok = value >= limit if at_least else value <= limit
            targets.append({"name": f"{name} {'>=' if at_least else '<='} {limit:g}", "ok": ok,
                            "detail": f"{value:g}"})
    result["targets"] = targets
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    html = os.path.splitext(args.out)[0] + ".html"
    with open(html, "w") as f:
        f.write(report.render(result))
    print(report.text_summary(result))
    print(f"bench: wrote {args.out} and {html}")
    good = result["invariants"]["ok"] and result["errors"] == 0 and pending == 0
    return 0 if good and all(t["ok"] for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
