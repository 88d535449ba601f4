"""deploy/local scripts and service start-up, as a user runs them."""
import os
import subprocess
import unittest

from stack import BINARY_DIR, RUN_DIR, SOURCE_DIR


def pids():
    return {p.name: p.read_text().strip() for p in (RUN_DIR / "pids").glob("*.pid")}


def script(name, *args):
    return subprocess.run([str(SOURCE_DIR / "deploy/local" / name), *args], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))


class StackScriptsTest(unittest.TestCase):
    def test_up_again_is_harmless_and_its_demo_order_reaches_kafka(self):
        before = pids()
        res = script("up", "--no-build", "--bin-dir", str(BINARY_DIR))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("was published by the relay", res.stderr)
        self.assertIn('"status":"PENDING"', res.stdout)
        self.assertEqual(pids(), before)  # nothing restarted

    def test_status_shows_each_part_healthy(self):
        res = script("status")
        self.assertEqual(res.returncode, 0, res.stdout)
        for part in ("mariadb", "devbroker", "order", "relay"):
            self.assertRegex(res.stdout, rf"(?m)^{part}\s+\d+\s+127\.0\.0\.1:\d+\s+healthy$")

    def test_a_bad_setting_stops_the_start_naming_the_variable(self):
        cases = [("order", {"HTTP_PORT": "80x"}, "HTTP_PORT"),
                 ("order", {"DB_POOL_SIZE": "0"}, "DB_POOL_SIZE"),
                 ("relay", {"RELAY_SCHEMAS": "order_db;drop"}, "RELAY_SCHEMAS"),
                 ("relay", {"LOG_LEVEL": "chatty"}, "LOG_LEVEL")]
        for service, env, name in cases:
            with self.subTest(service=service, variable=name):
                binary = BINARY_DIR / "services" / service / f"{service}-service"
                res = subprocess.run([str(binary)], env={**os.environ, **env}, capture_output=True,
                                     text=True, timeout=30)
                self.assertEqual(res.returncode, 2)
                self.assertIn(name, res.stderr)

    def test_an_unknown_durability_mode_stops_up_before_mariadb_starts(self):
        import tempfile
        run_dir = tempfile.mkdtemp(prefix="durability-")
        res = subprocess.run([str(SOURCE_DIR / "deploy/local/up"), "--no-build", "--bin-dir", str(BINARY_DIR)],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "SAGA_RUN_DIR": run_dir, "SAGA_PORT_OFFSET": "20000",
                                  "SAGA_DB_DURABILITY": "fast"})
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("SAGA_DB_DURABILITY must be durable or relaxed", res.stderr)
        self.assertFalse(os.path.exists(os.path.join(run_dir, "pids", "mariadb.pid")))


if __name__ == "__main__":
    unittest.main()
