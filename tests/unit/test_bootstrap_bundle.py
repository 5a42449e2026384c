"""The bootstrap bundle is reproducible: the same inputs give the same bytes, whatever the files'
times and owners, so its sha256 decides whether provisioning uploads it again."""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("aws_storage_bundle", REPO / "roles/aws_storage/library/aws_storage_bundle.py")
bundle = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bundle)


@pytest.fixture
def tree(tmp_path):
    """A role-like tree: files, a script, a cache that must stay out."""
    role = tmp_path / "roles" / "demo"
    (role / "tasks").mkdir(parents=True)
    (role / "tasks" / "main.yml").write_text("- ansible.builtin.debug: {msg: hi}\n")
    (role / "files").mkdir()
    (role / "files" / "run.sh").write_text("#!/bin/sh\n")
    (role / "files" / "run.sh").chmod(0o700)
    (role / "__pycache__").mkdir()
    (role / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "site.yml").write_text("- hosts: localhost\n")
    return tmp_path


def sources(tree: Path) -> list[dict]:
    return [{"src": str(tree / "site.yml"), "dest": "bootstrap.yml"},
            {"src": str(tree / "roles" / "demo"), "dest": "roles/demo"}]


def members(data: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return tar.getmembers()


def test_same_inputs_give_the_same_bytes_whatever_the_file_times(tree):
    first, _ = bundle.build(sources(tree))
    for path in tree.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    second, _ = bundle.build(list(reversed(sources(tree))))
    assert first == second


def test_a_changed_file_changes_the_bytes(tree):
    before, _ = bundle.build(sources(tree))
    (tree / "roles" / "demo" / "tasks" / "main.yml").write_text("- ansible.builtin.debug: {msg: bye}\n")
    assert bundle.build(sources(tree))[0] != before


def test_members_are_sorted_root_owned_dated_zero_without_caches(tree):
    data, files = bundle.build(sources(tree))
    found = members(data)
    names = [m.name for m in found]
    assert names == sorted(names)
    assert names == ["bootstrap.yml", "roles", "roles/demo", "roles/demo/files", "roles/demo/files/run.sh",
                     "roles/demo/tasks", "roles/demo/tasks/main.yml"]
    assert files == 3
    assert all((m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "root", "root") for m in found)
    modes = {m.name: m.mode for m in found}
    assert (modes["roles/demo/files/run.sh"], modes["bootstrap.yml"], modes["roles/demo"]) == (0o755, 0o644, 0o755)


def test_gzip_header_has_no_timestamp_and_no_name(tree):
    data, _ = bundle.build(sources(tree))
    # RFC 1952: bytes 4-7 are MTIME, byte 3 FLG (0x08 = FNAME present).
    assert data[4:8] == b"\0\0\0\0"
    assert not data[3] & 0x08
    assert gzip.decompress(data)


@pytest.mark.parametrize("case, source, message", [
    ("missing source", {"src": "/nonexistent/x", "dest": "x"}, "does not exist"),
    ("escaping dest", {"src": "/etc/hostname", "dest": "../x"}, "relative path"),
])
def test_bad_sources_are_refused_naming_them(case, source, message):
    with pytest.raises(bundle.BundleError, match=message):
        bundle.build([source])


def test_links_are_refused_naming_them(tree):
    (tree / "roles" / "demo" / "link").symlink_to(tree / "site.yml")
    with pytest.raises(bundle.BundleError, match="roles/demo/link"):
        bundle.build(sources(tree))
