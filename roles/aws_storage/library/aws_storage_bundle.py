#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Build a byte-for-byte reproducible tar.gz from files and directories on the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_storage_bundle
short_description: Build a reproducible tar.gz (the nodes' bootstrap bundle)
description:
  - Packs files and directories into one gzip-compressed tar whose bytes depend only on the
    content, names and executable bits of the inputs, so the same inputs give the same archive
    and its sha256 decides whether it is uploaded again.
  - Members sorted by name; mtime 0, owner and group root (0/0), mode 0755 for directories and
    executables and 0644 otherwise; no extended headers (USTAR/GNU format); the gzip header carries
    no file name and no timestamp.
  - Directories are walked recursively without following links; C(__pycache__), C(*.pyc), C(.git)
    and the names in O(exclude) are left out. A symbolic link or special file in the input fails the
    run, naming it.
  - Writes O(path) only when its content would change. Supports check mode (reports the sha256 and
    whether the file would change, writes nothing).
options:
  path:
    description: Archive to write on the controller; its directory is created when missing.
    type: path
    required: true
  sources:
    description: What goes in, each as C(src) (file or directory on the controller) and C(dest) (its path in the archive).
    type: list
    elements: dict
    required: true
  exclude:
    description: Further file or directory names (not paths) to leave out wherever they appear.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Bootstrap bundle is built
  aws_storage_bundle:
    path: "{{ playbook_dir }}/../build/bootstrap/bundle.tar.gz"
    sources:
      - {src: "{{ playbook_dir }}/bootstrap.yml", dest: bootstrap.yml}
      - {src: "{{ playbook_dir }}/../roles/manager", dest: roles/manager}
    exclude: [molecule, tests]
"""

RETURN = r"""
sha256:
  description: sha256 of the archive (of the one that would be written, in check mode).
  type: str
  returned: always
  sample: 0f343b0931126a20f133d67c2b018a3b1c4d7a3e5f8e9d0c1b2a39485766a5b4
size:
  description: Size of the archive in bytes.
  type: int
  returned: always
members:
  description: Number of files in the archive (directories not counted).
  type: int
  returned: always
"""

import gzip
import hashlib
import io
import os
import stat
import tarfile
import tempfile
from typing import Iterable

from ansible.module_utils.basic import AnsibleModule

ALWAYS_EXCLUDED = frozenset({"__pycache__", ".git", ".pytest_cache"})


class BundleError(Exception):
    """An input cannot be packed; the message names it."""


def _walk(src: str, dest: str, exclude: frozenset[str]) -> Iterable[tuple[str, str]]:
    """Yield (archive name, controller path) for src and, for a directory, everything under it."""
    info = os.lstat(src)
    if stat.S_ISLNK(info.st_mode) or not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise BundleError(f"{src} is neither a regular file nor a directory (links are not packed): replace it with a copy")
    yield dest, src
    if stat.S_ISDIR(info.st_mode):
        for name in os.listdir(src):
            if name in exclude or name.endswith(".pyc"):
                continue
            yield from _walk(os.path.join(src, name), f"{dest}/{name}", exclude)


def build(sources: list[dict], exclude: Iterable[str] = ()) -> tuple[bytes, int]:
    """The archive's bytes and its number of files; the same inputs always give the same bytes."""
    excluded = ALWAYS_EXCLUDED | frozenset(exclude)
    members: dict[str, str] = {}
    for source in sources:
        src, dest = source.get("src"), str(source.get("dest", "")).strip("/")
        if not src or not dest or ".." in dest.split("/"):
            raise BundleError(f"source {source!r}: set src (an existing path) and dest (a relative path in the archive)")
        if not os.path.exists(src):
            raise BundleError(f"{src} does not exist (source with dest {dest})")
        # Parent directories of dest get their own members, like tar does.
        parts = dest.split("/")
        for depth in range(1, len(parts)):
            members.setdefault("/".join(parts[:depth]), "")
        for name, path in _walk(src, dest, excluded):
            if name in members and members[name] and members[name] != path:
                raise BundleError(f"{name} comes from both {members[name]} and {path}: give the sources distinct dest paths")
            members[name] = path

    raw = io.BytesIO()
    files = 0
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(members):
            path = members[name]
            is_dir = not path or os.path.isdir(path)
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if is_dir:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
                continue
            executable = os.stat(path).st_mode & stat.S_IXUSR
            info.mode = 0o755 if executable else 0o644
            with open(path, "rb") as handle:
                content = handle.read()
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
            files += 1

    packed = io.BytesIO()
    # No file name and mtime 0 in the gzip header: the bytes depend on the content alone.
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue(), files


def main() -> None:
    """Build the archive in memory and write it when it differs from the file on disk."""
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "sources": {"type": "list", "elements": "dict", "required": True},
            "exclude": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    path = module.params["path"]
    try:
        data, files = build(module.params["sources"], module.params["exclude"])
    except (BundleError, OSError) as err:
        module.fail_json(msg=f"cannot build {path}: {err}")
    digest = hashlib.sha256(data).hexdigest()
    current = None
    if os.path.isfile(path):
        with open(path, "rb") as handle:
            current = hashlib.sha256(handle.read()).hexdigest()
    changed = current != digest
    if changed and not module.check_mode:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        # A private temporary name, then an atomic rename: two runs never see half a file.
        handle, temp = tempfile.mkstemp(prefix=".bundle-", dir=os.path.dirname(path) or ".")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    module.exit_json(changed=changed, sha256=digest, size=len(data), members=files, path=path)


if __name__ == "__main__":
    main()
