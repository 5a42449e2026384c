#!/usr/bin/env python3
"""The execution environment AWX / Automation Platform runs the suite in: built here, and runbook pages run in it.

    ee.py build              build the image of execution-environment.yml when its recipe changed; print its tag
    ee.py run PAGE [ARG...]  run a runbook page in the image with ansible-navigator, as an AWX job runs it;
                             ARGs go to ansible-playbook (-i inventories/lab, -e ...)

No registry is reachable here, so the image is built offline from the lab's base image
(lab/images/build.sh base): the Python packages are the controller's own wheels (requirements.txt, in
build/ee/wheels), the Debian packages come from Debian's registry. Its tag is a hash of the recipe
(execution-environment.yml, requirements.txt, this script, the base image's tag), so an unchanged recipe
is built once, whichever checkout or test asks; `dsm-ops-ee:latest` names the newest build.

A page runs on this machine's network (SSH to the lab's nodes on 127.0.0.1, the emulator where
AWS_ENDPOINT_URL says), with the AWS variables passed through, as a job template's credentials would.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "ee"
NAME = "dsm-ops-ee"
# Beside requirements.txt: what ansible-builder's own steps run in the image (its introspection and entry point).
BUILDER_PACKAGES = ["bindep", "pyyaml", "packaging", "dumb-init==1.2.5"]
PASSED = ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"]
# The fact cache and the audit log inside the job's container: the controller's paths are not mounted there.
IN_THE_IMAGE = {"ANSIBLE_CACHE_PLUGIN_CONNECTION": "/tmp/facts", "OPS_AUDIT_LOG": "/tmp/audit/change-window.jsonl"}


def _base_image() -> str:
    return subprocess.run([str(REPO / "lab" / "images" / "build.sh"), "base"], check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]


def _exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


def recipe_tag(base: str) -> str:
    recipe = hashlib.sha256(base.encode())
    for path in (REPO / "execution-environment.yml", REPO / "requirements.txt", Path(__file__).resolve()):
        recipe.update(path.read_bytes())
    return f"{NAME}:{recipe.hexdigest()[:12]}"


def build() -> str:
    """Build the image unless its recipe's tag exists; return the tag."""
    base = _base_image()
    tag = recipe_tag(base)
    if _exists(tag):
        return tag
    shutil.rmtree(BUILD, ignore_errors=True)
    (BUILD / "wheels").mkdir(parents=True)
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(BUILD / "wheels"),
                    "-r", str(REPO / "requirements.txt"), *BUILDER_PACKAGES], check=True, cwd=REPO)
    subprocess.run([str(Path(sys.executable).parent / "ansible-builder"), "build",
                    "--file", "execution-environment.yml", "--context", str(BUILD / "context"),
                    "--container-runtime", "docker", "--tag", tag, "--tag", f"{NAME}:latest",
                    "--build-arg", f"EE_BASE_IMAGE={base}", "--verbosity", "1"],
                   check=True, cwd=REPO, stdout=sys.stderr)
    size = int(subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", tag], check=True,
                              capture_output=True, text=True).stdout)
    print(f"ee.py: built {tag} in {time.monotonic() - began:.0f} s, {size / 1e6:.0f} MB", file=sys.stderr)
    return tag


def navigator_command(tag: str, page: str, *playbook_args: str) -> list[str]:
    """ansible-navigator's command for PAGE in the image. The page comes first: written after the list options
    (--penv, --senv), it would be read as one of their values."""
    command = [str(Path(sys.executable).parent / "ansible-navigator"), "run", page, "--mode", "stdout",
               "--execution-environment", "true", "--execution-environment-image", tag, "--pull-policy", "never",
               "--container-engine", "docker", "--container-options=--network=host",
               "--playbook-artifact-enable", "false", "--log-file", str(BUILD / "ansible-navigator.log")]
    for name in PASSED:
        if name in os.environ:
            command += ["--pass-environment-variable", name]
    for name, value in IN_THE_IMAGE.items():
        command += ["--set-environment-variable", f"{name}={value}"]
    return [*command, *playbook_args]


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("build", "run") or (sys.argv[1] == "run" and len(sys.argv) < 3):
        print(__doc__, file=sys.stderr)
        return 2
    tag = build()
    if sys.argv[1] == "build":
        print(tag)
        return 0
    BUILD.mkdir(parents=True, exist_ok=True)
    return subprocess.run(navigator_command(tag, *sys.argv[2:]), cwd=REPO).returncode


if __name__ == "__main__":
    sys.exit(main())
