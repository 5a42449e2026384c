#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Put back a manager installation from its backup archive, so that no crash leaves a mix of two."""

from __future__ import annotations

DOCUMENTATION = r"""
module: manager_restore
short_description: Restore a manager installation (install directory and unit) from its backup, crash-safe
description:
  - Restores the install directory and the service unit file kept by the manager role's C(backup) entry point
    (a gzip tar of C(<home>) and C(<unit>) relative to C(/)).
  - Checks the archive first - every member inside the install directory or the unit file, no links leaving
    it, and the C(version) file inside naming O(version) - and changes nothing when a check fails.
  - The install directory is unpacked beside the live one (C(<home>.restore), same file system) and swapped
    in with two renames; the unit file is written beside its place and renamed over it. A crash at any point
    leaves either the old directory, or the complete restore next to a missing one, which the next call
    finishes: never a directory holding files of two versions.
  - The directory it replaces is kept as O(failed_home) (root-only) for the investigation; an older copy there
    is replaced only when there is a live directory to move aside.
  - The service must be stopped by the caller first; this module moves files only. Check mode validates and
    reports the change without making it.
options:
  archive:
    description: The backup archive, C(<backup_dir>/dsm-<version>.tar.gz).
    type: path
    required: true
  version:
    description: Version the archive must hold (its C(<home>/version) file).
    type: str
    required: true
  home:
    description: Install directory.
    type: path
    default: /opt/dsm
  unit:
    description: Service unit file.
    type: path
    default: /etc/systemd/system/dsm_s.service
  failed_home:
    description: Where the replaced install directory is kept; default C(<home>.failed).
    type: path
"""

EXAMPLES = r"""
- name: Installation of 20.0.913 is put back
  manager_restore:
    archive: /var/backups/dsm/dsm-20.0.913.tar.gz
    version: 20.0.913
"""

RETURN = r"""
failed_copy:
  description: Where the replaced installation was kept; empty when there was no live directory.
  type: str
  returned: always
restored:
  description: Number of files and directories restored.
  type: int
  returned: always
"""

import os
import shutil
import stat
import tarfile

from ansible.module_utils.basic import AnsibleModule


class RestoreError(Exception):
    """The archive cannot be restored; nothing was changed."""


def _relative(path):
    return path.lstrip("/")


def plan(archive, version, home, unit):
    """Members of the install directory (with their path below it) and the unit's member, after the checks."""
    home_rel, unit_rel = _relative(home).rstrip("/"), _relative(unit)
    try:
        tar = tarfile.open(archive, "r:gz")
    except (OSError, tarfile.TarError) as err:
        raise RestoreError("cannot read backup {0}: {1}".format(archive, err))
    home_members, unit_member, found_version = [], None, None
    with tar:
        for member in tar.getmembers():
            name = os.path.normpath(member.name)
            if name == unit_rel and member.isfile():
                unit_member = member
                continue
            if name != home_rel and not name.startswith(home_rel + "/"):
                raise RestoreError("backup {0} holds {1}, outside {2} and {3}".format(archive, member.name, home, unit))
            if member.issym() or member.islnk():
                target = os.path.normpath(os.path.join(os.path.dirname(name), member.linkname)) if member.issym() \
                    else os.path.normpath(member.linkname)
                if member.linkname.startswith("/") or not (target == home_rel or target.startswith(home_rel + "/")):
                    raise RestoreError("backup {0}: link {1} points outside {2}".format(archive, member.name, home))
            elif not (member.isfile() or member.isdir()):
                raise RestoreError("backup {0}: {1} is not a file or a directory".format(archive, member.name))
            relative = os.path.relpath(name, home_rel)
            home_members.append((member, relative))
            if relative == "version" and member.isfile():
                found_version = tar.extractfile(member).read().decode("utf-8", "replace").strip()
    if unit_member is None:
        raise RestoreError("backup {0} holds no {1}".format(archive, unit))
    if found_version != version:
        raise RestoreError("backup {0} holds manager {1}, not {2}".format(archive, found_version or "without a version file", version))
    return home_members, unit_member


def restore(archive, version, home, unit, failed_home):
    """Unpack beside, then swap in. Returns (failed_copy, count)."""
    home_members, unit_member = plan(archive, version, home, unit)
    staging = home.rstrip("/") + ".restore"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging, mode=0o755)
    with tarfile.open(archive, "r:gz") as tar:
        for member, relative in home_members:
            if relative == ".":
                continue
            member.name = relative
            tar.extract(member, staging, set_attrs=True, numeric_owner=True)
        unit_member.name = os.path.basename(unit) + ".restore"
        tar.extract(unit_member, os.path.dirname(unit), set_attrs=True, numeric_owner=True)
    top = next((m for m, rel in home_members if rel == "."), None)
    if top is not None:
        os.chmod(staging, stat.S_IMODE(top.mode))
        os.chown(staging, top.uid, top.gid)
    _sync(staging)

    failed_copy = ""
    if os.path.lexists(home):
        shutil.rmtree(failed_home, ignore_errors=True)
        os.rename(home, failed_home)
        os.chmod(failed_home, 0o700)
        failed_copy = failed_home
    os.rename(staging, home)
    os.replace(os.path.join(os.path.dirname(unit), os.path.basename(unit) + ".restore"), unit)
    _sync(os.path.dirname(home) or "/")
    _sync(os.path.dirname(unit))
    return failed_copy, len(home_members)


def _sync(directory):
    """Renames and new files survive a power cut once their directory is synced."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            archive=dict(type="path", required=True),
            version=dict(type="str", required=True),
            home=dict(type="path", default="/opt/dsm"),
            unit=dict(type="path", default="/etc/systemd/system/dsm_s.service"),
            failed_home=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    failed_home = p["failed_home"] or p["home"].rstrip("/") + ".failed"
    try:
        if module.check_mode:
            members, _ = plan(p["archive"], p["version"], p["home"], p["unit"])
            module.exit_json(changed=True, failed_copy=failed_home if os.path.lexists(p["home"]) else "",
                             restored=len(members))
        failed_copy, count = restore(p["archive"], p["version"], p["home"], p["unit"], failed_home)
    except RestoreError as err:
        module.fail_json(msg="{0}. Nothing was changed.".format(err))
    except OSError as err:
        module.fail_json(msg="restoring {0} from {1} failed part-way: {2}. Run it again: it starts over from the "
                             "archive and finishes the swap.".format(p["home"], p["archive"], err))
    module.exit_json(changed=True, failed_copy=failed_copy, restored=count)


if __name__ == "__main__":
    main()
