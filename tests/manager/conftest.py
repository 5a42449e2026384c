"""Fixtures for the stand-in manager's tests: built installers, lab images, one Lab per module."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

# tests/conftest.py puts the repository on sys.path.
from lab.harness.containers import Lab, image

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def installers() -> dict[str, Path]:
    """version -> build/manager/Manager-Linux-<version>.x64.sh (lab/manager/build.sh; a no-op when built)."""
    p = subprocess.run(
        [str(ROOT / "lab/manager/build.sh")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert p.returncode == 0, f"lab/manager/build.sh failed:\n{p.stdout}{p.stderr}"
    found = {}
    for line in p.stdout.splitlines():
        path, _, version = line.split()[:3]
        found[version] = ROOT / path
    return found


@pytest.fixture(scope="session")
def images() -> dict[str, str]:
    """Tags of the lab images the tests run (built on first use, which takes minutes)."""
    return {name: image(name) for name in ("postgres", "jre")}


@pytest.fixture(scope="module")
def lab():
    """A docker network for the module; every container on it is removed at the end, pass or fail."""
    with Lab("manager") as lab:
        yield lab
