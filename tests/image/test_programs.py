"""image.programs: the programs of the image (built by image.build) against the test stack.

Each of the five starts, answers /health/live and stops cleanly on SIGTERM. The image's saga-admin
reads the test stack's dead-letter topics. Then the image's order and completion services take the
place of the native ones: an order placed through the image's order service reaches COMPLETED,
read through the image's completion service. The native ones are started again at the end."""
import os
import pathlib
import subprocess
import sys
import time
import unittest
import uuid

from podman import IMAGE, SERVICES, SOURCE_DIR, get, inspect, main, podman, post, remove, wait_for

sys.path.insert(0, str(SOURCE_DIR / "tests" / "e2e"))
import stack  # noqa: E402  (the test stack's settings)

PORT_OFFSET = int(os.environ.get("SAGA_PORT_OFFSET", "0"))


def container_env(port, **extra):
    env = {"HTTP_BIND": "127.0.0.1", "HTTP_PORT": str(port), "DB_PORT": stack.ENV["DB_PORT"],
           "KAFKA_BOOTSTRAP": stack.BOOTSTRAP, **extra}
    return [a for k, v in env.items() for a in ("-e", f"{k}={v}")]


def start(name, service, port, **extra):
    remove(name)
    extra.setdefault("DB_PASSWORD", stack.db_password(service))
    podman("run", "-d", "--name", name, "--network", "host", *container_env(port, **extra), IMAGE,
           f"{service}-service")


def stop_cleanly(test, name, timeout=20):
    """SIGTERM (podman stop), then: exited by itself with code 0 and logged that it stopped."""
    started = time.monotonic()
    podman("stop", "-t", str(timeout), name, timeout=timeout + 30)
    took = time.monotonic() - started
    state = inspect(name)["State"]
    logs = podman("logs", name).stdout
    test.assertEqual(state["ExitCode"], 0, f"{name} exit code after SIGTERM\n{logs[-3000:]}")
    test.assertLess(took, timeout, f"{name} did not stop on SIGTERM within {timeout} s")
    test.assertIn('"msg":"stopped"', logs)
    remove(name)


def native(*names, action):
    subprocess.run(["bash", "-c", f'source deploy/local/lib.sh; for n in {" ".join(names)}; do {action} "$n"; done'],
                   cwd=SOURCE_DIR, check=True, timeout=120)


def native_alive(name):
    return subprocess.run(["bash", "-c", f"source deploy/local/lib.sh; saga_alive {name}"],
                          cwd=SOURCE_DIR, timeout=30).returncode == 0


def restore_native_stack():
    subprocess.run([str(SOURCE_DIR / "deploy" / "local" / "up"), "--no-build", "--no-demo",
                    "--bin-dir", os.environ["SAGA_BINARY_DIR"]], check=True, timeout=300,
                   stdout=subprocess.DEVNULL)


def assigned_partitions(url):
    _, body = get(url + "/metrics")
    members = [float(line.split()[-1]) for line in body.splitlines()
               if line.startswith("consumer_assigned_partitions{")]
    return members and all(m > 0 for m in members)


class ProgramsTest(unittest.TestCase):
    def test_each_program_starts_answers_live_and_stops_on_sigterm(self):
        for service in SERVICES:
            port = SERVICES[service] + PORT_OFFSET + 100  # beside the test stack's own
            name = f"saga-image-test-{service}"
            with self.subTest(service=service):
                try:
                    # The relay takes no wake-up hints here: the native relay has the UDP port.
                    start(name, service, port, RELAY_WAKE_ADDR="", RELAY_WAKE_BIND="")
                    status, body = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(
                        get(f"http://127.0.0.1:{port}/health/live")), 30, what=f"{service} /health/live")
                    self.assertEqual(status, 200)
                    self.assertTrue(inspect(name)["State"]["Running"])
                    stop_cleanly(self, name)
                finally:
                    remove(name)

    def test_image_saga_admin_reads_the_dead_letter_topics(self):
        run = podman("run", "--rm", "--network", "host", IMAGE, "saga-admin", "--bootstrap", stack.BOOTSTRAP,
                     "dlq", "list", "--json", check=False, timeout=120)
        self.assertEqual(run.returncode, 0, run.stdout)
        self.assertRegex(run.stdout, r"saga-admin: \d+ dead letter\(s\) in \d+ DLQ topic\(s\)")

    def test_image_order_and_completion_services_run_a_saga_in_place_of_the_native_ones(self):
        names = {"order": "saga-image-test-order", "completion": "saga-image-test-completion"}
        try:
            native(*names, action="saga_stop")
            for service, name in names.items():
                self.assertFalse(native_alive(service))
                start(name, service, SERVICES[service] + PORT_OFFSET,
                      RELAY_WAKE_ADDR=f"127.0.0.1:{SERVICES['relay'] + PORT_OFFSET}")
            for url in (stack.ORDER_URL, stack.COMPLETION_URL):
                wait_for(lambda: get(url + "/health/ready")[0] == 200, 30, what=f"{url}/health/ready")
                wait_for(lambda: assigned_partitions(url), 60, what=f"{url}'s consumers to hold partitions")

            status, placed = post(stack.ORDER_URL + "/orders",
                                  {"userId": 7, "items": [{"productId": 3, "quantity": 1}]},
                                  {"Idempotency-Key": f"image-test-{uuid.uuid4()}"})
            self.assertEqual(status, 202, placed)
            order_id = placed["orderId"]
            saga = wait_for(lambda: (lambda r: r[1] if r[0] == 200 and '"PENDING"' not in r[1] else None)(
                get(f"{stack.COMPLETION_URL}/sagas/{order_id}")), 60, what="the saga's final status")
            self.assertIn('"status":"COMPLETED"', saga)
            wait_for(lambda: '"status":"COMPLETED"' in get(f"{stack.ORDER_URL}/orders/{order_id}")[1], 30,
                     what="the order service to take the final status")
            # It was the image's programs that answered: the native ones are still stopped.
            for service, name in names.items():
                self.assertFalse(native_alive(service))
                self.assertTrue(inspect(name)["State"]["Running"])
            for name in names.values():
                stop_cleanly(self, name)
        finally:
            remove(*names.values())
            restore_native_stack()
        for service in names:
            self.assertTrue(native_alive(service))


if __name__ == "__main__":
    main("__main__")
