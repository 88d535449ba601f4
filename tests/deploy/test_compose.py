"""docker-compose.yml, deploy/docker and the Grafana dashboard against the code.

No Docker engine runs on the build machines, so this checks what can be checked without one:
the compose file is valid (Debian's docker-compose), every service of ours runs a program that
the build installs and sets only environment variables that program reads, the topics are the
contract's, the image builds with the local build's packages, and the dashboard asks only for
metrics the code exports. Needs SAGA_SOURCE_DIR and SAGA_BINARY_DIR (a build with the services).
"""
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest

import yaml

SOURCE_DIR = pathlib.Path(os.environ["SAGA_SOURCE_DIR"])
BINARY_DIR = pathlib.Path(os.environ["SAGA_BINARY_DIR"])
DOCKER = SOURCE_DIR / "deploy" / "docker"

# compose service -> source folder of its program
OUR_SERVICES = {
    "order": "order", "product-stock": "product-stock", "payment": "payment",
    "completion": "completion", "relay": "relay",
}
ENV_READ = re.compile(r'\b(?:String|Int|Bool|List|RequiredString|Has)\("([A-Z][A-Z0-9_]*)"')


LOCAL_IMAGES = DOCKER / "compose.local-images.yml"


def compose(*args, files=("docker-compose.yml",)):
    paths = [a for f in files for a in ("-f", str(SOURCE_DIR / f))]
    return subprocess.run(["docker-compose", "--project-directory", str(SOURCE_DIR), *paths, *args],
                          check=True, capture_output=True, text=True, timeout=120).stdout


def settings_listed(program):
    """The environment variables a program's --help lists (NAME=default lines)."""
    out = subprocess.run([str(program), "--help"], check=True, capture_output=True, text=True, timeout=30)
    return set(re.findall(r"^  ([A-Z][A-Z0-9_]*)=", out.stdout, re.M))


def program(name):
    return BINARY_DIR / "services" / name / f"{name}-service"


def http_port(service, name):
    """The port a compose service of ours listens on: its HTTP_PORT, else its program's default."""
    if "HTTP_PORT" in service["environment"]:
        return str(service["environment"]["HTTP_PORT"])
    out = subprocess.run([str(program(name)), "--help"], check=True, capture_output=True, text=True).stdout
    return re.search(r"^  HTTP_PORT=(\d+)", out, re.M).group(1)


def install(prefix):
    subprocess.run(["cmake", "--install", str(BINARY_DIR), "--prefix", prefix],
                   check=True, capture_output=True, timeout=120)


def env_names_read(folder):
    """Environment variables the service's code reads: the shared libraries and its own sources."""
    names = set()
    for path in list((SOURCE_DIR / "libs").rglob("src/*.cpp")) + list((SOURCE_DIR / "services" / folder / "src").glob("*.cpp")):
        names |= set(ENV_READ.findall(path.read_text()))
    return names


def metric_families():
    names = set()
    for path in list((SOURCE_DIR / "libs").rglob("*.cpp")) + list((SOURCE_DIR / "services").rglob("*.cpp")):
        names |= set(re.findall(r'\.Name\("([a-z_][a-z0-9_]*)"\)', path.read_text()))
    return names


class ComposeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        compose("config", "-q")
        compose("--profile", "observability", "--profile", "loadtest", "config", "-q")
        cls.config = yaml.safe_load(compose("config"))
        cls.services = cls.config["services"]

    def test_the_stack_runs_mysql_8_and_kafka_in_kraft_mode(self):
        for name in ["mysql", "kafka", "kafka-init", *OUR_SERVICES]:
            self.assertIn(name, self.services)
        self.assertRegex(self.services["mysql"]["image"], r"^mysql:8(\.|$)")
        def mount(v):  # docker-compose 1.x prints "source:target:mode"; newer ones a mapping
            return (v["source"], v["target"]) if isinstance(v, dict) else tuple(v.split(":")[:2])
        init = [src for src, target in map(mount, self.services["mysql"]["volumes"])
                if target == "/docker-entrypoint-initdb.d"]
        self.assertEqual([pathlib.Path(s) for s in init], [SOURCE_DIR / "deploy" / "mysql"])
        kafka = self.services["kafka"]
        self.assertTrue(kafka["image"].startswith("apache/kafka:"))
        self.assertEqual(set(kafka["environment"]["KAFKA_PROCESS_ROLES"].split(",")), {"broker", "controller"})
        self.assertNotIn("KAFKA_ZOOKEEPER_CONNECT", kafka["environment"])
        published = {int(p["published"]) for s in OUR_SERVICES for p in self.services[s]["ports"]}
        self.assertEqual(published, {8080, 8081, 8082, 8083, 8084})

    def test_profiles_add_prometheus_grafana_and_k6(self):
        self.assertIn("observability", self.services["prometheus"]["profiles"])
        self.assertIn("observability", self.services["grafana"]["profiles"])
        self.assertEqual(self.services["k6"]["profiles"], ["loadtest"])
        for name in ["mysql", "kafka", *OUR_SERVICES]:
            self.assertNotIn("profiles", self.services[name])
        script = self.services["k6"]["command"][-1]
        self.assertTrue((SOURCE_DIR / "loadtest" / "k6" / pathlib.Path(script).name).is_file(), script)

    def test_services_wait_for_their_dependencies_and_have_health_checks(self):
        for name in OUR_SERVICES:
            s = self.services[name]
            self.assertEqual(s["depends_on"]["mysql"]["condition"], "service_healthy")
            self.assertEqual(s["depends_on"]["kafka-init"]["condition"], "service_completed_successfully")
            port = http_port(s, name)
            self.assertIn(f"http://127.0.0.1:{port}/health/ready", s["healthcheck"]["test"])
            self.assertEqual([(str(p["published"]), str(p["target"])) for p in s["ports"]], [(port, port)])
        self.assertEqual(self.services["kafka-init"]["depends_on"]["kafka"]["condition"], "service_healthy")

    def test_each_service_runs_an_installed_program_of_ours(self):
        with tempfile.TemporaryDirectory() as prefix:
            install(prefix)
            for name in OUR_SERVICES:
                s = self.services[name]
                self.assertEqual(s["build"]["dockerfile"], "deploy/docker/Dockerfile")
                program = pathlib.Path(prefix) / "bin" / s["command"][0]
                self.assertTrue(program.is_file() and os.access(program, os.X_OK), f"{name}: {program.name} not installed")
                # It is the service: with the compose settings and one bad value it refuses to
                # start, naming the variable (exit code 2), before touching MySQL or Kafka.
                env = {k: str(v) for k, v in s["environment"].items()}
                env["HTTP_PORT"] = "not-a-port"
                run = subprocess.run([str(program)], env=env, capture_output=True, text=True, timeout=30)
                self.assertEqual(run.returncode, 2, f"{name}: {run.stderr}")
                self.assertIn("HTTP_PORT", run.stderr)

    def test_services_set_only_variables_their_code_reads(self):
        for name, folder in OUR_SERVICES.items():
            read = env_names_read(folder)
            self.assertIn("DB_HOST", read)  # the scan works
            unknown = set(self.services[name]["environment"]) - read
            self.assertFalse(unknown, f"{name} sets variables its code never reads: {sorted(unknown)}")

    def test_compose_sets_only_settings_that_differ_from_the_defaults(self):
        for name in OUR_SERVICES:
            out = subprocess.run([str(program(name)), "--help"], check=True, capture_output=True, text=True).stdout
            defaults = dict(re.findall(r"^  ([A-Z][A-Z0-9_]*)=(\S*)", out, re.M))
            same = {k for k, v in self.services[name]["environment"].items() if defaults.get(k) == str(v)}
            same.discard("LOG_LEVEL")  # a passthrough of the user's LOG_LEVEL
            self.assertFalse(same, f"{name}: compose sets {sorted(same)} to their defaults")

    def test_every_variable_compose_sets_is_a_setting_the_program_lists(self):
        with tempfile.TemporaryDirectory() as prefix:
            install(prefix)
            for name in OUR_SERVICES:
                listed = settings_listed(pathlib.Path(prefix) / "bin" / self.services[name]["command"][0])
                self.assertIn("DB_HOST", listed)  # the parse works
                unknown = set(self.services[name]["environment"]) - listed
                self.assertFalse(unknown, f"{name}: compose sets {sorted(unknown)}, which its --help does not list")

    def test_local_images_override_swaps_only_mysql_and_kafka(self):
        base = yaml.safe_load((SOURCE_DIR / "docker-compose.yml").read_text())["services"]
        override = yaml.safe_load(LOCAL_IMAGES.read_text())["services"]
        self.assertEqual(set(override), {"mysql", "kafka", "kafka-init"})
        merged = yaml.safe_load(compose("config", files=("docker-compose.yml", str(LOCAL_IMAGES))))["services"]
        for name in OUR_SERVICES:
            self.assertEqual(merged[name], self.services[name], f"{name} differs under the override")
        # podman-compose 1.0 appends an override's list to the base list: what the override
        # replaces must be a string on both sides.
        for service, keys in override.items():
            for key, value in keys.items():
                if key in base[service] and isinstance(base[service][key], list):
                    self.fail(f"{service}.{key} is a list in docker-compose.yml; the override cannot replace it")
            test = keys.get("healthcheck", {}).get("test")
            if test is not None:
                self.assertIsInstance(base[service]["healthcheck"]["test"], str, service)
                self.assertIsInstance(test, str, service)
        # The stand-in broker is our image's devbroker, and it creates the topics kafka-init
        # checks for (its default list: devbroker --help shows it).
        self.assertEqual(merged["kafka"]["image"], merged["order"]["image"])
        self.assertEqual(merged["kafka"]["command"][0], "devbroker")
        entrypoint = merged["kafka-init"]["entrypoint"]
        entrypoint = shlex.split(entrypoint) if isinstance(entrypoint, str) else entrypoint
        self.assertEqual(entrypoint[:2], ["devbroker", "check-topics"])
        self.assertEqual(merged["mysql"]["healthcheck"], self.services["mysql"]["healthcheck"])
        help_text = subprocess.run([str(BINARY_DIR / "deploy" / "local" / "devbroker" / "devbroker"), "--help"],
                                   check=True, capture_output=True, text=True).stdout
        default_topics = re.search(r"--topics TEXT=(\S+)", help_text).group(1)
        self.assertEqual(default_topics, merged["kafka-init"]["environment"]["SAGA_TOPICS"])

    def test_the_image_build_stage_configures_with_only_what_it_copies(self):
        # What the build stage COPYs, configured with its own CMake options, in a folder that has
        # nothing else of the repository: a missing COPY fails here as it fails in the image
        # (image.build builds it for real with podman).
        build_stage = (DOCKER / "Dockerfile").read_text().split("\nFROM ")[1]
        copies = re.findall(r"^COPY\s+(?!--from)(\S+)\s+(\S+)", build_stage, re.M)
        options = re.findall(r"(-DSAGA_[A-Z_]+=\S+)", build_stage)
        with tempfile.TemporaryDirectory() as tmp:
            src = pathlib.Path(tmp) / "src"
            src.mkdir()
            for source, dest in copies:
                target = src / dest
                if (SOURCE_DIR / source).is_dir():
                    shutil.copytree(SOURCE_DIR / source, target)
                else:
                    shutil.copy(SOURCE_DIR / source, target if dest not in {".", "./"} else src)
            run = subprocess.run(["cmake", "-S", str(src), "-B", str(pathlib.Path(tmp) / "build"),
                                  "-DCMAKE_BUILD_TYPE=Release", *options],
                                 capture_output=True, text=True, timeout=300)
            self.assertEqual(run.returncode, 0, f"the image's build stage does not configure:\n{run.stdout[-2000:]}{run.stderr[-4000:]}")

    def test_every_variable_and_metric_the_code_uses_is_documented(self):
        ops = (SOURCE_DIR / "docs" / "operations.md").read_text()
        for name in sorted(set().union(*(env_names_read(f) for f in OUR_SERVICES.values()))):
            self.assertTrue(f"`{name}`" in ops, f"{name} is read by the code but not in docs/operations.md")
        for metric in sorted(metric_families()):
            self.assertTrue(f"`{metric}`" in ops, f"metric {metric} is not in docs/operations.md")

    def test_topics_are_the_contract_events_with_dead_letter_topics(self):
        init = self.services["kafka-init"]
        topics = init["environment"]["SAGA_TOPICS"].split(",")
        events = {p.name.removesuffix(".schema.json") for p in (SOURCE_DIR / "proto-json" / "events").glob("*.schema.json")}
        self.assertEqual(set(topics), events)
        script = (DOCKER / "kafka" / "create-topics.sh").read_text()
        self.assertIn('"$topic.dlq"', script)
        subprocess.run(["bash", "-n", str(DOCKER / "kafka" / "create-topics.sh")], check=True)

    def test_image_is_multi_stage_bookworm_with_the_local_build_packages_and_a_non_root_user(self):
        dockerfile = (DOCKER / "Dockerfile").read_text()
        stages = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
        self.assertGreaterEqual(len(stages), 2)
        self.assertTrue(all(s.startswith("debian:bookworm") for s in stages), stages)
        build_stage = dockerfile.split("\nFROM ")[1]
        lib_sh = (SOURCE_DIR / "deploy" / "local" / "lib.sh").read_text()
        local = re.search(r"SAGA_PACKAGES=\(([^)]*)\)", lib_sh).group(1).split()
        wanted = {p for p in local if p.endswith("-dev") or p in {"build-essential", "cmake", "ninja-build", "pkg-config"}}
        installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", build_stage.split("apt-get install", 1)[1].split("&&")[0]))
        self.assertFalse(wanted - installed, f"build stage lacks {sorted(wanted - installed)}")
        runtime = dockerfile.split("\nFROM ")[-1]
        user = re.findall(r"^USER\s+(\S+)", runtime, re.M)
        self.assertTrue(user and user[-1] not in {"root", "0"}, user)
        for src in re.findall(r"^COPY\s+(?!--from)(\S+)", dockerfile, re.M):
            self.assertTrue((SOURCE_DIR / src).exists(), f"COPY {src}: no such path")

    def test_service_programs_use_jemalloc_unless_built_without_it_or_with_sanitizers(self):
        cache = (BINARY_DIR / "CMakeCache.txt").read_text()
        option = lambda name, default: re.search(rf"^{name}:BOOL=(\w+)$", cache, re.M).group(1).upper() \
            in {"ON", "1", "TRUE", "YES"} if re.search(rf"^{name}:BOOL=", cache, re.M) else default
        wanted = option("SAGA_JEMALLOC", True) and not option("SAGA_SANITIZE", False)
        for name in OUR_SERVICES:
            program = BINARY_DIR / "services" / name / f"{name}-service"
            # A bad setting makes the program exit at once. jemalloc prints its statistics at exit
            # when MALLOC_CONF asks; glibc's malloc ignores that variable.
            out = subprocess.run([str(program)], capture_output=True, text=True, timeout=30,
                                 env={**os.environ, "DB_POOL_SIZE": "0", "MALLOC_CONF": "stats_print:true"})
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("DB_POOL_SIZE=0 is out of range", out.stdout + out.stderr)
            uses_jemalloc = "Begin jemalloc statistics" in out.stdout + out.stderr
            self.assertEqual(uses_jemalloc, wanted, f"{name}-service")

    def test_runtime_image_installs_every_shared_library_the_programs_load(self):
        dockerfile = (DOCKER / "Dockerfile").read_text()
        runtime = dockerfile.split("\nFROM ")[-1]
        packages = re.findall(r"[a-z0-9][a-z0-9.+-]+", runtime.split("apt-get install", 1)[1].split("&&")[0])
        packages = [p for p in packages if not p.startswith("-")]
        closure = subprocess.run(
            ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
             "--no-breaks", "--no-replaces", "--no-enhances", *packages],
            check=True, capture_output=True, text=True).stdout
        available = {line.strip() for line in closure.splitlines() if not line.startswith(" ")}
        for name in OUR_SERVICES:
            program = BINARY_DIR / "services" / name / f"{name}-service"
            libs = re.findall(r"=> (/\S+)", subprocess.run(["ldd", str(program)], check=True, capture_output=True,
                                                            text=True).stdout)
            for lib in libs:
                if re.search(r"/lib(asan|ubsan|lsan|tsan)\.so", lib):
                    continue  # a sanitizer build (SAGA_SANITIZE=1 tests/run); the image has none
                owner = subprocess.run(["dpkg", "-S", os.path.realpath(lib)], capture_output=True, text=True)
                if owner.returncode != 0:
                    owner = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
                package = owner.stdout.split(":")[0]
                self.assertIn(package, available, f"{name}-service loads {lib} from {package}, not in the runtime image")

    def test_prometheus_scrapes_every_service_of_ours(self):
        prom = yaml.safe_load((DOCKER / "prometheus" / "prometheus.yml").read_text())
        targets = {t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
        expected = {f"{name}:{http_port(self.services[name], name)}" for name in OUR_SERVICES}
        self.assertEqual(targets, expected)

    def test_dashboard_asks_only_for_metrics_that_exist(self):
        families = metric_families()
        known = set(families)
        for f in families:
            known |= {f + "_bucket", f + "_sum", f + "_count"}
        k6_names = {"http_reqs", "http_req_duration", "http_req_failed", "vus", "iterations", "checks"}
        for script in (SOURCE_DIR / "loadtest" / "k6").glob("*.js"):
            k6_names |= set(re.findall(r"new (?:Counter|Trend|Rate|Gauge)\('([a-z_]+)'", script.read_text()))
        dashboard = json.loads((DOCKER / "grafana" / "dashboards" / "outbox-saga.json").read_text())
        exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
        self.assertGreater(len(exprs), 10)
        functions = {"sum", "rate", "max", "min", "avg", "histogram_quantile", "by", "without", "increase"}
        used = set()
        for expr in exprs:
            bare = re.sub(r'\{[^}]*\}|\[[^\]]*\]|"[^"]*"|\bby\s*\([^)]*\)', " ", expr)
            for token in re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", bare):
                if token in functions:
                    continue
                used.add(token)
                if token.startswith("k6_"):
                    base = re.sub(r"_(total|p\d+|max|min|avg|med|count|sum|rate)$", "", token[3:])
                    self.assertIn(base, k6_names, f"dashboard: {token} is not a k6 metric of the scripts")
                else:
                    self.assertIn(token, known, f"dashboard: {token} is not exported by the code")
        # The panels the issue asks for.
        for metric in ["orders_placed_total", "sagas_finished_total", "saga_duration_seconds_bucket",
                       "http_request_duration_seconds_bucket", "relay_outbox_backlog",
                       "relay_outbox_oldest_age_seconds", "consumer_lag"]:
            self.assertIn(metric, used)


if __name__ == "__main__":
    unittest.main()
