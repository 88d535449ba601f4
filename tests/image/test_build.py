"""image.build: the base image (made once, reused while it exists), then the project's image and
the MariaDB stand-in, built with podman exactly as a user without Docker would
(deploy/docker/podman/prepare, then `podman build`). Later runs reuse the cached layers.

Sets up the `image` fixture of the other image tests."""
import os
import re
import subprocess
import time
import unittest

from podman import (BASE_IMAGE, IMAGE, MARIADB_IMAGE, SERVICES, SOURCE_DIR, image_exists, image_id,
                    main, podman)

PROGRAMS = [f"{name}-service" for name in SERVICES] + ["saga-admin", "devbroker"]


def build(dockerfile, tag):
    started = time.monotonic()
    run = subprocess.run(["podman", "build", "--network", "host", "-f", dockerfile, "-t", tag, "."],
                         cwd=SOURCE_DIR, capture_output=True, text=True, timeout=3000)
    took = time.monotonic() - started
    if run.returncode != 0:
        raise AssertionError(f"podman build -f {dockerfile} failed after {took:.0f} s:\n"
                             f"{(run.stdout + run.stderr)[-6000:]}")
    cached = len(re.findall(r"--> Using cache", run.stdout + run.stderr))
    print(f"built {tag} in {took:.0f} s ({cached} cached steps)", flush=True)


class BuildTest(unittest.TestCase):
    def test_1_base_image_is_made_once_and_then_reused(self):
        existed = image_exists(BASE_IMAGE)
        before = image_id(BASE_IMAGE) if existed else None
        started = time.monotonic()
        subprocess.run([str(SOURCE_DIR / "deploy" / "docker" / "podman" / "prepare")], check=True,
                       timeout=1800, env={**os.environ, "SAGA_REBUILD_BASE": "0"})
        print(f"base image {'reused' if existed else 'made'} in {time.monotonic() - started:.0f} s", flush=True)
        self.assertTrue(image_exists(BASE_IMAGE))
        self.assertEqual(image_id(BASE_IMAGE + "-slim"), image_id(BASE_IMAGE))
        if existed:
            self.assertEqual(image_id(BASE_IMAGE), before, "prepare made the base image again")

    def test_2_image_builds(self):
        build("deploy/docker/Dockerfile", IMAGE)
        build("deploy/docker/mariadb/Dockerfile", MARIADB_IMAGE)
        # Each change of the sources leaves the previous build stage (about 1 GB) behind; keep
        # the recent ones, which are the layer cache of the next build.
        podman("image", "prune", "--force", "--filter", "label=outbox-saga.stage=build",
               "--filter", "until=24h")

    def test_3_image_is_small_non_root_and_each_program_loads_its_libraries(self):
        info = podman("image", "inspect", "--format", "{{.Config.User}} {{.Size}}", IMAGE).stdout.split()
        user, size = info[0], int(info[1])
        self.assertNotIn(user, {"", "root", "0"})
        print(f"{IMAGE}: {size / 1e6:.0f} MB, user {user}", flush=True)
        self.assertLess(size, 400e6, "the runtime image should hold runtime libraries only")
        # Starting a program resolves every shared library it links: --version fails if one is
        # missing from the runtime stage.
        for program in PROGRAMS:
            run = podman("run", "--rm", "--network", "none", IMAGE, program, "--version", check=False)
            self.assertEqual(run.returncode, 0, f"{program}: {run.stdout}")
            self.assertRegex(run.stdout, rf"^{program} \d+\.\d+\.\d+")
        # Nothing else of the build is in it: no compiler, no headers, no load-test tools.
        for absent in ["/usr/bin/g++", "/usr/include/boost", "/usr/local/bin/loadgen"]:
            run = podman("run", "--rm", "--network", "none", IMAGE, "test", "-e", absent, check=False)
            self.assertNotEqual(run.returncode, 0, f"{absent} is in the runtime image")


if __name__ == "__main__":
    main("__main__")
