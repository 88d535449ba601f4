"""Everything outside C++ that lists the saga's event types, topics, consumers or reasons, checked
against the saga declaration (libs/contracts/saga.hpp, printed by the saga-declaration program):
the proto-json schemas, docker-compose.yml's topics, docs/architecture.md's flow picture,
docs/operations.md's consumer table, bench's expected outcomes and hops, and the reasons the k6
scripts count. The first difference fails, naming the place. Needs SAGA_SOURCE_DIR and
SAGA_BINARY_DIR (a build with saga-declaration).
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import unittest

import yaml

SOURCE_DIR = pathlib.Path(os.environ["SAGA_SOURCE_DIR"])
BINARY_DIR = pathlib.Path(os.environ["SAGA_BINARY_DIR"])
PROGRAM = BINARY_DIR / "libs" / "contracts" / "saga-declaration"


def declaration():
    return json.loads(subprocess.run([str(PROGRAM)], check=True, capture_output=True, text=True).stdout)


def without_docs(schema):
    """A JSON Schema without the keys that only document it."""
    if isinstance(schema, dict):
        return {k: without_docs(v) for k, v in schema.items() if k not in {"$schema", "$id", "title", "description"}}
    if isinstance(schema, list):
        return [without_docs(v) for v in schema]
    return schema


class DeclarationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.saga = declaration()
        cls.topics = [e["name"] for e in cls.saga["events"]]

    def test_proto_json_event_schemas_are_the_declared_contracts(self):
        folder = SOURCE_DIR / "proto-json" / "events"
        self.assertEqual(sorted(p.name.removesuffix(".schema.json") for p in folder.glob("*.schema.json")),
                         sorted(self.topics))
        for event in self.saga["events"]:
            with self.subTest(event=event["name"]):
                written = json.loads((folder / f"{event['name']}.schema.json").read_text())
                self.assertEqual(without_docs(written), event["schema"],
                                 f"proto-json/events/{event['name']}.schema.json should be (besides its $id, "
                                 f"title and descriptions):\n{json.dumps(event['schema'], indent=2)}")

    def test_envelope_and_http_schemas_name_the_declared_types_and_reasons(self):
        proto = SOURCE_DIR / "proto-json"
        envelope = json.loads((proto / "envelope.schema.json").read_text())
        self.assertEqual(envelope["properties"]["eventType"]["enum"], self.topics)
        schemas = {name: json.loads((proto / "http" / f"{name}.schema.json").read_text())
                   for name in ["saga.response", "get-order.response", "sagas.response"]}
        schemas["sagas.response"] = schemas["sagas.response"]["properties"]["sagas"]["items"]  # each saga
        for name, schema in schemas.items():
            reasons = [alt["enum"] for alt in schema["properties"]["reason"]["oneOf"] if "enum" in alt][0]
            self.assertEqual(reasons, self.saga["reasons"], name)
            self.assertEqual(set(schema["properties"]["status"]["enum"]),
                             {"PENDING"} | {o["status"] for o in self.saga["outcomes"]}, name)
        payment = json.loads((proto / "http" / "payment.response.schema.json").read_text())
        failed = next(e for e in self.saga["events"] if e["name"] == "payment.failed")
        self.assertEqual([a["enum"] for a in payment["properties"]["reason"]["oneOf"] if "enum" in a][0],
                         failed["schema"]["properties"]["reason"]["enum"])

    def test_compose_creates_the_declared_topics(self):
        compose = yaml.safe_load((SOURCE_DIR / "docker-compose.yml").read_text())
        self.assertEqual(compose["services"]["kafka-init"]["environment"]["SAGA_TOPICS"].split(","), self.topics)

    def test_architecture_md_shows_the_flow_the_declaration_makes(self):
        flow = subprocess.run([str(PROGRAM), "--flow"], check=True, capture_output=True, text=True).stdout
        doc = (SOURCE_DIR / "docs" / "architecture.md").read_text()
        block = re.search(r"<!-- saga-flow: .*? -->\n```\n(.*?)```", doc, re.S)
        self.assertIsNotNone(block, "docs/architecture.md has no saga-flow block")
        self.assertEqual(block.group(1), flow, "docs/architecture.md's flow picture should read:\n" + flow)

    def test_readme_picture_shows_every_declared_event_and_no_other(self):
        readme = (SOURCE_DIR / "README.md").read_text()
        picture = readme.split("## What it does", 1)[1].split("```", 2)[1]
        named = set(re.findall(r"\b[a-z]+\.[a-z]+\b", picture))
        self.assertEqual(named, set(self.topics))

    def test_operations_md_lists_each_service_with_the_topics_it_consumes(self):
        doc = (SOURCE_DIR / "docs" / "operations.md").read_text()
        section = doc.split("## Consumers", 1)[1].split("\n## ", 1)[0]
        rows = dict(re.findall(r"^\| (\S+) \| (.+?) \|$", section, re.M))
        rows.pop("service", None)
        consumed = {}
        for e in self.saga["events"]:
            for c in e["consumers"]:
                consumed.setdefault(c, []).append(e["name"])
        self.assertEqual({k: v.split(", ") for k, v in rows.items()}, consumed)

    def test_bench_expects_declared_outcomes_and_follows_the_completed_path(self):
        sys.path.insert(0, str(SOURCE_DIR / "loadtest" / "benchkit"))
        import bench  # noqa: E402
        statuses = {o["status"] for o in self.saga["outcomes"]}
        for status, reason in bench.EXPECTED.values():
            self.assertIn(status, statuses)
            self.assertTrue(reason is None or reason in self.saga["reasons"], reason)
        completed = next(o for o in self.saga["outcomes"] if o["status"] == "COMPLETED")
        self.assertEqual(bench.HOPS, list(zip(completed["path"], completed["path"][1:])))

    def test_k6_scripts_count_only_declared_reasons(self):
        counted = set()
        pattern = re.compile(r"cancelledBy\.([A-Z_]+)|reason: '([A-Z_]+)'")
        for script in (SOURCE_DIR / "loadtest" / "k6").rglob("*.js"):
            counted |= {m.group(1) or m.group(2) for m in pattern.finditer(script.read_text())}
        self.assertTrue(counted)  # the scan works
        self.assertFalse(counted - set(self.saga["reasons"]), "k6 scripts count reasons the saga does not have")


if __name__ == "__main__":
    unittest.main()
