"""Every program's --help and --version, and docs/operations.md's settings tables against them.

A service's --help lists the settings its code reads, with the defaults the code falls back to
(saga::config::Env notes each read). docs/operations.md shows the same list: a table of the
settings all five services read, then one per service for its own, each row with the default
(per service where they differ) and the meaning as --help prints them. On a difference the test
prints the tables as they should be. Needs SAGA_SOURCE_DIR and SAGA_BINARY_DIR.
"""
import os
import pathlib
import re
import subprocess
import unittest

SOURCE_DIR = pathlib.Path(os.environ["SAGA_SOURCE_DIR"])
BINARY_DIR = pathlib.Path(os.environ["SAGA_BINARY_DIR"])
SERVICES = ["order", "product-stock", "payment", "completion", "relay"]
OPERATIONS = SOURCE_DIR / "docs" / "operations.md"


def program(name):
    if name == "devbroker":
        return BINARY_DIR / "deploy" / "local" / "devbroker" / "devbroker"
    if name == "loadgen":
        return BINARY_DIR / "loadtest" / "loadgen" / "loadgen"
    if name == "saga-admin":
        return BINARY_DIR / "services" / "admin" / "saga-admin"
    return BINARY_DIR / "services" / name / f"{name}-service"


def run(name, *args):
    return subprocess.run([str(program(name)), *args], capture_output=True, text=True, timeout=30,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})


def service_settings(name):
    """{NAME: (default, range, meaning)} in the order --help lists them."""
    out = run(name, "--help")
    assert out.returncode == 0, out.stderr
    settings, current = {}, None
    for line in out.stdout.splitlines():
        m = re.match(r"^  ([A-Z][A-Z0-9_]*)=(.*?)(?:  \[(.*)\])?$", line)
        if m:
            current = m.group(1)
            settings[current] = [m.group(2), m.group(3) or "", ""]
        elif current and line.startswith("      "):
            settings[current][2] = (settings[current][2] + " " + line.strip()).strip()
    return {k: tuple(v) for k, v in settings.items()}


def project_version():
    return re.search(r"project\(\S+ VERSION (\S+)", (SOURCE_DIR / "CMakeLists.txt").read_text()).group(1)


def default_cell(defaults):
    """One table cell for the defaults of several programs: the shared value, then the others by
    program ("1; completion 2"), or each program's when none is shared."""
    shown = {p: (v if v != "" else "empty") for p, v in defaults.items()}
    values = list(shown.values())
    common = max(values, key=values.count)
    if values.count(common) == len(values):
        return common
    if values.count(common) == 1:
        return ", ".join(f"{p} {v}" for p, v in shown.items())
    return common + "; " + ", ".join(f"{p} {v}" for p, v in shown.items() if v != common)


def expected_tables(all_settings):
    """{table title: [(name, default cell, meaning)]}: "common", then each service's own."""
    common = [n for n in all_settings[SERVICES[0]] if all(n in all_settings[s] for s in SERVICES)]
    tables = {"common": [(n, default_cell({s: all_settings[s][n][0] for s in SERVICES}),
                          all_settings[SERVICES[0]][n][2]) for n in common]}
    for s in SERVICES:
        own = [(n, v[0] if v[0] != "" else "empty", v[2]) for n, v in all_settings[s].items() if n not in common]
        if own:
            tables[s] = own
    return tables


def documented_tables():
    """The settings tables of docs/operations.md: the first one under "## Settings", then one per
    "<service> only:" paragraph."""
    text = OPERATIONS.read_text()
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    tables, title = {}, "common"
    for line in section.splitlines():
        m = re.match(r"^(\S+) only:$", line)
        if m:
            title = m.group(1)
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("| `") else None
        if cells:
            tables.setdefault(title, []).append((cells[0].strip("`"), cells[1], cells[2]))
    return tables


def render(tables):
    out = []
    for title, rows in tables.items():
        out.append(f"\n{title}:\n| variable | default | meaning |\n|---|---|---|")
        out += [f"| `{n}` | {d} | {m} |" for n, d, m in rows]
    return "\n".join(out)


class HelpTest(unittest.TestCase):
    def test_each_service_lists_its_settings_with_default_range_and_meaning(self):
        for name in SERVICES:
            with self.subTest(service=name):
                settings = service_settings(name)
                self.assertIn("DB_HOST", settings)  # the parse works
                self.assertIn("KAFKA_BOOTSTRAP", settings)
                for setting, (_, _, meaning) in settings.items():
                    self.assertTrue(meaning, f"{name}: {setting} has no meaning in --help")
                self.assertEqual(settings["HTTP_PORT"][1], "0..65535")

    def test_help_shows_the_defaults_the_code_uses(self):
        # The order service's pool size: --help says 8; 0 is refused naming the range --help shows.
        self.assertEqual(service_settings("order")["DB_POOL_SIZE"][:2], ("8", "1..512"))
        bad = subprocess.run([str(program("order"))], capture_output=True, text=True, timeout=30,
                             env={"DB_POOL_SIZE": "0"})
        self.assertEqual(bad.returncode, 2)
        self.assertIn("DB_POOL_SIZE=0 is out of range [1, 512]", bad.stderr)
        self.assertEqual(service_settings("completion")["CONSUMER_THREADS"][0], "2")
        self.assertEqual(service_settings("relay")["RELAY_BATCH_SIZE"][0], "500")

    def test_version_and_unknown_arguments(self):
        version = project_version()
        for name in SERVICES:
            out = run(name, "--version")
            self.assertEqual((out.returncode, out.stdout.strip()), (0, f"{name}-service {version} (outbox-saga)"))
            bad = run(name, "--port", "1")
            self.assertEqual(bad.returncode, 2)
            self.assertIn("unexpected argument '--port'", bad.stderr)
        for name in ["devbroker", "loadgen", "saga-admin"]:
            out = run(name, "--version")
            self.assertEqual((out.returncode, out.stdout.strip()), (0, f"{name} {version} (outbox-saga)"))
            self.assertNotEqual(run(name, "--no-such-flag").returncode, 0)

    def test_devbroker_and_loadgen_help_list_their_options_with_defaults(self):
        devbroker = run("devbroker", "--help").stdout
        self.assertRegex(devbroker, r"--partitions INT.*=12 \(Env:KAFKA_PARTITIONS\)")
        self.assertRegex(devbroker, r"--topics TEXT=order\.created,")
        check = run("devbroker", "check-topics", "--help").stdout
        self.assertRegex(check, r"--bootstrap TEXT=127\.0\.0\.1:9092 \(Env:KAFKA_BOOTSTRAP\)")
        self.assertRegex(check, r"--topics TEXT=.*\(Env:SAGA_TOPICS\)")
        loadgen = run("loadgen", "--help").stdout
        self.assertRegex(loadgen, r"--connections INT.*=128")
        self.assertRegex(loadgen, r"--url TEXT=http://127\.0\.0\.1:8080")
        # operations.md lists the devbroker's options.
        ops = OPERATIONS.read_text()
        for option in re.findall(r"^  (--[a-z-]+)", devbroker + check, re.M):
            if option not in {"--help", "--version"}:
                self.assertIn(f"`{option}", ops, f"devbroker {option} is not in docs/operations.md")

    def test_saga_admin_help_lists_its_options_and_operations_md_shows_them(self):
        main = run("saga-admin", "--help").stdout
        self.assertRegex(main, r"--bootstrap TEXT=127\.0\.0\.1:9092 \(Env:KAFKA_BOOTSTRAP\)")
        helps = [main] + [run("saga-admin", "dlq", command, "--help").stdout for command in ("list", "show", "redrive")]
        self.assertRegex(helps[3], r"--completion TEXT \(Env:COMPLETION_URL\)")
        self.assertIn("changes nothing", helps[3])
        ops = OPERATIONS.read_text()
        section = ops.split("## DLQ redrive: saga-admin", 1)[1].split("\n## ", 1)[0]
        for option in re.findall(r"^  (--[a-z-]+)", "".join(helps), re.M):
            if option not in {"--help", "--version"}:
                self.assertIn(f"`{option}`", section, f"saga-admin {option} is not in docs/operations.md")


class DocsTest(unittest.TestCase):
    def test_operations_md_shows_the_settings_the_programs_list(self):
        settings = {name: service_settings(name) for name in SERVICES}
        expected = expected_tables(settings)
        documented = documented_tables()
        self.assertEqual(documented, expected,
                         "docs/operations.md's settings tables differ from the programs' --help; "
                         "they should read:\n" + render(expected))


if __name__ == "__main__":
    unittest.main()
