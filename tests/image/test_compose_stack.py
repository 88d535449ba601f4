"""image.compose: docker-compose.yml run for real with podman-compose, with the stand-ins of
deploy/docker/compose.local-images.yml for the two images that cannot be pulled (MariaDB for
mysql:8.4, our devbroker for Apache Kafka and kafka-init). Everything else is the compose file's
own: the image built by image.build, the services' settings, ports, health checks and the relay.

Brings the stack up, waits until every health check of the compose file passes (podman runs
them on request: it has no timer for them without systemd), places orders on :8080, watches one
saga finish on :8083, checks stock and payments, and takes it all down with `down -v`."""
import json
import os
import socket
import subprocess
import unittest
import uuid

from podman import SERVICES, SOURCE_DIR, TAG, get, main, podman, post, saga_events, wait_for

PROJECT = "saga-image-test"
FILES = ["-f", "docker-compose.yml", "-f", "deploy/docker/compose.local-images.yml"]
# podman-compose 1.0 knows no profiles: the services to start are named (their dependencies too).
STACK = ["mysql", "kafka", "kafka-init", *SERVICES]
HOST_PORTS = {"mysql": 3306, "kafka": 29092, **SERVICES}
ORDER_URL, PRODUCT_URL, PAYMENT_URL, COMPLETION_URL = (f"http://127.0.0.1:{SERVICES[s]}" for s in
                                                       ("order", "product-stock", "payment", "completion"))
ENV = {**os.environ, "SAGA_IMAGE_TAG": TAG, "KAFKA_PARTITIONS": "4"}


def compose(*args, timeout=600, check=True):
    run = subprocess.run(["podman-compose", "-p", PROJECT, *FILES, *args], cwd=SOURCE_DIR, env=ENV,
                         capture_output=True, text=True, timeout=timeout)
    if check and run.returncode != 0:
        raise AssertionError(f"podman-compose {' '.join(args)} failed:\n{(run.stdout + run.stderr)[-4000:]}")
    return run


def container(service):
    return f"{PROJECT}_{service}_1"


def healthy(service):
    return podman("healthcheck", "run", container(service), check=False).returncode == 0


def port_in_use(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def project_volumes():
    out = podman("volume", "ls", "--format", "{{.Name}}").stdout.split()
    return [v for v in out if v.startswith(PROJECT + "_")]


class ComposeStackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        compose("down", "-v", check=False)  # what an interrupted run may have left
        busy = {name: port for name, port in HOST_PORTS.items() if port_in_use(port)}
        if busy:
            raise AssertionError(f"host ports that docker-compose.yml publishes are in use: {busy} "
                                 "(a deploy/local/up stack? stop it with deploy/local/down)")

    def logs(self):
        return "\n".join(f"--- {s}\n" + podman("logs", "--tail", "30", container(s), check=False).stdout
                         for s in STACK)

    def test_stack_comes_up_runs_sagas_and_goes_down(self):
        try:
            compose("up", "-d", *STACK)
            for service in ["mysql", "kafka", *SERVICES]:
                wait_for(lambda: healthy(service), 180, interval=1,
                         what=f"the health check of {service}\n{self.logs()}")
            # kafka-init ran to completion: the broker has every topic SAGA_TOPICS lists.
            init = json.loads(podman("inspect", container("kafka-init")).stdout)[0]["State"]
            self.assertEqual((init["Status"], init["ExitCode"]), ("exited", 0), self.logs())

            _, product = get(f"{PRODUCT_URL}/products/4")
            stock_before = json.loads(product)["stock"]
            orders = []
            for i in range(10):
                status, body = post(f"{ORDER_URL}/orders", {"userId": 11 + i, "items": [{"productId": 4, "quantity": 2}]},
                                    {"Idempotency-Key": f"compose-{uuid.uuid4()}"})
                self.assertEqual(status, 202, body)
                orders.append(body["orderId"])
            # One saga watched live on :8083 until its final status.
            events = saga_events(COMPLETION_URL, orders[0])
            self.assertEqual(events[-1][0], "final", events)
            self.assertEqual(json.loads(events[-1][1])["status"], "COMPLETED", events)
            steps = [json.loads(data)["event"] for kind, data in events if kind == "step"]
            self.assertEqual(set(steps), {"order.created", "stock.reserved", "payment.completed",
                                          "order.completed"}, events)
            for order_id in orders:
                saga = wait_for(lambda: (lambda r: json.loads(r[1]) if r[0] == 200 and '"PENDING"' not in r[1]
                                         else None)(get(f"{COMPLETION_URL}/sagas/{order_id}")), 60,
                                what=f"saga {order_id}")
                self.assertEqual(saga["status"], "COMPLETED", saga)
                wait_for(lambda: '"COMPLETED"' in get(f"{ORDER_URL}/orders/{order_id}")[1], 30,
                         what=f"order {order_id} COMPLETED")
                status, payment = get(f"{PAYMENT_URL}/payments/{order_id}")
                self.assertEqual(status, 200, payment)
            _, product = get(f"{PRODUCT_URL}/products/4")
            self.assertEqual(json.loads(product)["stock"], stock_before - 2 * len(orders))
        finally:
            down = compose("down", "-v", check=False)
            # podman-compose 1.0 leaves the project's network behind.
            podman("network", "rm", f"{PROJECT}_default", check=False)
        self.assertEqual(down.returncode, 0, down.stdout + down.stderr)
        running = podman("ps", "-a", "--filter", f"name={PROJECT}_", "--format", "{{.Names}}").stdout.split()
        self.assertEqual(running, [])
        self.assertEqual(project_volumes(), [])
        for port in HOST_PORTS.values():
            self.assertFalse(port_in_use(port), f"port {port} still answers after down")


if __name__ == "__main__":
    main("__main__")
