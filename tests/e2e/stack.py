"""Helpers for e2e tests: the fixture stack's settings, HTTP, Kafka (kcat), MariaDB, schemas."""
import json
import os
import pathlib
import signal
import subprocess
import time
import urllib.error
import urllib.request

import jsonschema

SOURCE_DIR = pathlib.Path(os.environ["SAGA_SOURCE_DIR"])
BINARY_DIR = pathlib.Path(os.environ["SAGA_BINARY_DIR"])
STACK_ENV_FILE = pathlib.Path(os.environ["SAGA_TEST_STACK_ENV"])
RUN_DIR = STACK_ENV_FILE.parent


def load_env():
    env = {}
    for line in STACK_ENV_FILE.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    return env


ENV = load_env()
ORDER_URL = ENV["ORDER_URL"]
RELAY_URL = ENV["RELAY_URL"]
PRODUCT_URL = ENV["PRODUCT_URL"]
PAYMENT_URL = ENV["PAYMENT_URL"]
COMPLETION_URL = ENV["COMPLETION_URL"]
ADMIN_TOKEN = ENV["ADMIN_TOKEN"]
BOOTSTRAP = ENV["KAFKA_BOOTSTRAP"]
# The saga declaration (libs/contracts/saga.hpp) as its program prints it.
DECLARATION = json.loads(subprocess.run([str(BINARY_DIR / "libs" / "contracts" / "saga-declaration")],
                                        check=True, capture_output=True, text=True).stdout)
SAGA_TOPICS = [e["name"] for e in DECLARATION["events"]]
_URL_OF = {"order": ORDER_URL, "product-stock": PRODUCT_URL, "payment": PAYMENT_URL, "completion": COMPLETION_URL}
# The topics each consumer service subscribes to, by its URL.
CONSUMER_TOPICS = {url: [e["name"] for e in DECLARATION["events"] if service in e["consumers"]]
                   for service, url in _URL_OF.items()}


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def http(method, url, body=None, headers=None, content_type="application/json"):
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        hdrs.setdefault("Content-Type", content_type)
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return Response(r.status, r.headers, r.read().decode())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read().decode())


def post_order(body, key=None, headers=None):
    hdrs = dict(headers or {})
    if key is not None:
        hdrs["Idempotency-Key"] = key
    return http("POST", ORDER_URL + "/orders", body, hdrs)


def kafka_messages(topic):
    """Everything on `topic` so far, as dicts with key, payload (str) and headers (dict)."""
    out = subprocess.run(
        ["kcat", "-b", BOOTSTRAP, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-J"],
        check=True, capture_output=True, text=True, timeout=60).stdout
    messages = []
    for line in out.splitlines():
        m = json.loads(line)
        h = m.get("headers") or []
        m["headers"] = dict(zip(h[0::2], h[1::2]))
        messages.append(m)
    return messages


def wait_for(pred, timeout=20.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def events_for(topic, order_id, at_least=1, timeout=20.0):
    """Waits until `at_least` messages keyed `order_id` are on `topic`; returns all of them."""
    found = []

    def check():
        found[:] = [m for m in kafka_messages(topic) if m["key"] == order_id]
        return len(found) >= at_least

    wait_for(check, timeout)
    return found


DB_ACCOUNTS = {"order": "order_svc", "product-stock": "stock_svc", "payment": "payment_svc",
               "completion": "completion_svc", "relay": "relay"}


def db_password(service):
    """The service account's password on this stack (random, made by deploy/local/up)."""
    return (RUN_DIR / "secrets" / f"db_{DB_ACCOUNTS[service]}_password").read_text().strip()


def sql(statement):
    out = subprocess.run(
        ["mariadb", "--no-defaults", "-h", ENV["DB_HOST"], "-P", ENV["DB_PORT"], "-u", ENV["DB_ADMIN_USER"],
         f"-p{ENV['DB_ADMIN_PASSWORD']}", "-N", "-B", "-e", statement],
        check=True, capture_output=True, text=True, timeout=60).stdout
    return [line.split("\t") for line in out.splitlines()]


def signal_broker(sig):
    pid = int((RUN_DIR / "pids" / "devbroker.pid").read_text())
    os.kill(pid, sig)
    time.sleep(0.2)


BROKER_DOWN = signal.SIGUSR1
BROKER_UP = signal.SIGUSR2


def schema(name):
    return json.loads((SOURCE_DIR / "proto-json" / name).read_text())


def validate(instance, schema_name):
    jsonschema.Draft202012Validator(schema(schema_name)).validate(instance)


def wait_final(order_id, timeout=60.0):
    """GET /sagas/{orderId} once the saga is COMPLETED or CANCELLED (None if it never is)."""
    found = {}

    def check():
        res = http("GET", f"{COMPLETION_URL}/sagas/{order_id}")
        if res.status == 200 and res.json()["status"] != "PENDING":
            found.update(res.json())
            return True
        return False

    return found if wait_for(check, timeout, 0.05) else None


def order_status(order_id, expected, timeout=30.0):
    """The order service's status once it equals `expected` (or the last one seen)."""
    seen = {}

    def check():
        seen.update(http("GET", f"{ORDER_URL}/orders/{order_id}").json())
        return seen.get("status") == expected

    wait_for(check, timeout, 0.05)
    return seen
