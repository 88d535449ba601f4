"""Helpers of the `image` tests: podman with the project's containers.conf, the image under test,
and a clear skip (exit code 77, which ctest reports as skipped, never as passed) where podman
cannot run containers at all."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

SOURCE_DIR = pathlib.Path(os.environ["SAGA_SOURCE_DIR"])
CONTAINERS_CONF = SOURCE_DIR / "deploy" / "docker" / "podman" / "containers.conf"
os.environ["CONTAINERS_CONF"] = str(CONTAINERS_CONF)
# The tag the tests build and run (docker-compose.yml reads it as SAGA_IMAGE_TAG).
TAG = "test"
IMAGE = f"outbox-saga:{TAG}"
MARIADB_IMAGE = f"outbox-saga-mariadb:{TAG}"
BASE_IMAGE = "debian:bookworm"
SERVICES = {"order": 8080, "product-stock": 8081, "payment": 8082, "completion": 8083, "relay": 8084}
SKIP = 77


def podman(*args, check=True, timeout=120, capture=True):
    return subprocess.run(["podman", *args], check=check, timeout=timeout, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.STDOUT if capture else None)


def require_podman():
    """Exits with SKIP, saying why, if podman is missing or cannot run a container here."""
    if shutil.which("podman") is None:
        print("SKIPPED: podman is not installed (tests/run installs it on Debian)", flush=True)
        sys.exit(SKIP)
    info = subprocess.run(["podman", "info", "--format", "json"], capture_output=True, text=True, timeout=120)
    if info.returncode != 0:
        print(f"SKIPPED: podman cannot run on this machine: {info.stderr.strip()[-500:]}", flush=True)
        sys.exit(SKIP)
    # A container from the base image, if there is one yet, proves the runtime works here.
    if image_exists(BASE_IMAGE):
        run = subprocess.run(["podman", "run", "--rm", "--network", "host", BASE_IMAGE, "true"],
                             capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            print(f"SKIPPED: podman cannot run a container on this machine: {run.stderr.strip()[-500:]}",
                  flush=True)
            sys.exit(SKIP)


def image_exists(name):
    return subprocess.run(["podman", "image", "exists", name], timeout=60).returncode == 0


def image_id(name):
    return podman("image", "inspect", "--format", "{{.Id}}", name).stdout.strip()


def inspect(container):
    return json.loads(podman("inspect", container).stdout)[0]


def remove(*containers):
    for c in containers:
        podman("rm", "-f", "-t", "0", c, check=False)


def get(url, timeout=5):
    """(status, body) of a GET; status 0 if nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, OSError):
        return 0, ""


def post(url, body, headers=None, timeout=30):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for(pred, timeout, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def saga_events(completion_url, order_id, timeout=60):
    """The saga's Server-Sent Events until the stream closes on its final status: [(event, data)]."""
    events, current = [], {}
    with urllib.request.urlopen(f"{completion_url}/sagas/{order_id}/events", timeout=timeout) as r:
        for raw in r:
            line = raw.decode().rstrip("\n")
            if not line:
                if current:
                    events.append((current.get("event"), current.get("data")))
                current = {}
            elif not line.startswith(":") and ":" in line:
                field, value = line.split(":", 1)
                current[field] = value.strip()
    return events


def main(module):
    """Runs the module's tests after require_podman(); exit code 77 if podman cannot run."""
    import unittest
    require_podman()
    unittest.main(module=module, verbosity=2)
