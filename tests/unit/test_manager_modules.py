"""The manager role's node-side modules: manager_restore (put an installation back from its backup,
crash-safe) and manager_node_state's judgement of what a node is. Run against temporary directories
standing in for /opt/dsm and the unit file."""

from __future__ import annotations

import importlib.util
import io
import tarfile
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[2] / "roles" / "manager" / "library"


def load(name):
    spec = importlib.util.spec_from_file_location(name, LIBRARY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


restore_mod = load("manager_restore")
state_mod = load("manager_node_state")


def make_backup(root: Path, version: str, extra: dict[str, str] | None = None) -> tuple[Path, Path, Path]:
    """A backup as the role's backup entry point writes it: home and unit, relative to /."""
    home, unit = root / "opt" / "dsm", root / "etc" / "systemd" / "system" / "dsm_s.service"
    archive = root / f"dsm-{version}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        def add(name, text, mode=0o644):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo(str(home.relative_to("/")))
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
        add(str(home.relative_to("/") / "version"), version + "\n")
        add(str(home.relative_to("/") / "dsm-manager.jar"), f"jar {version}")
        add(str(home.relative_to("/") / "dsm.properties"), "db.password=secret\n", 0o600)
        for name, text in (extra or {}).items():
            add(name, text)
        add(str(unit.relative_to("/")), f"[Service]\nExecStart=java {version}\n")
    return archive, home, unit


def half_installed(home: Path, unit: Path, version: str = "20.0.950") -> None:
    """What the database restart left: the new jar and unit, the old version file."""
    home.mkdir(parents=True, exist_ok=True)
    unit.parent.mkdir(parents=True, exist_ok=True)
    (home / "dsm-manager.jar").write_text(f"jar {version}")
    (home / "new-only-file").write_text("from the failed install")
    unit.write_text(f"[Service]\nExecStart=java {version}\n")


def test_restore_puts_back_files_and_unit_and_keeps_the_failed_install(tmp_path):
    archive, home, unit = make_backup(tmp_path, "20.0.913")
    half_installed(home, unit)
    (home / "version").write_text("20.0.913\n")

    failed_copy, count = restore_mod.restore(str(archive), "20.0.913", str(home), str(unit), str(home) + ".failed")

    assert (home / "dsm-manager.jar").read_text() == "jar 20.0.913"
    assert not (home / "new-only-file").exists(), "a file of the failed version survived the restore"
    assert unit.read_text() == "[Service]\nExecStart=java 20.0.913\n"
    assert oct((home / "dsm.properties").stat().st_mode & 0o777) == "0o600"
    assert Path(failed_copy, "new-only-file").exists() and oct(Path(failed_copy).stat().st_mode & 0o777) == "0o700"
    assert not Path(str(home) + ".restore").exists()
    assert count == 4


def test_restore_finishes_a_swap_a_crash_interrupted(tmp_path):
    """Crash after the live directory was moved aside: no /opt/dsm, the failed copy kept. Run again."""
    archive, home, unit = make_backup(tmp_path, "20.0.913")
    half_installed(home, unit)
    failed = Path(str(home) + ".failed")
    home.rename(failed)

    failed_copy, _ = restore_mod.restore(str(archive), "20.0.913", str(home), str(unit), str(failed))

    assert (home / "version").read_text() == "20.0.913\n"
    assert failed_copy == "" and (failed / "new-only-file").exists(), "the failed installation kept earlier was lost"


@pytest.mark.parametrize("label,extra,version,words", [
    ("another version", {}, "20.0.877", "holds manager 20.0.913, not 20.0.877"),
    ("a member outside the installation", {"etc/passwd": "x"}, "20.0.913", "outside"),
    ("a path climbing out", {"opt/dsm/../../etc/shadow": "x"}, "20.0.913", "outside"),
])
def test_a_bad_backup_changes_nothing(tmp_path, label, extra, version, words):
    archive, home, unit = make_backup(tmp_path, "20.0.913", extra)
    half_installed(home, unit)
    before = sorted(p.name for p in home.iterdir())

    with pytest.raises(restore_mod.RestoreError, match=words.replace("(", r"\(").replace(")", r"\)")):
        restore_mod.restore(str(archive), version, str(home), str(unit), str(home) + ".failed")

    assert sorted(p.name for p in home.iterdir()) == before
    assert not Path(str(home) + ".failed").exists()


def unit(active="active"):
    return {"active": active, "sub": "running", "result": "success", "main_pid": 1, "restarts": 0, "enabled": "enabled",
            "exists": True}


@pytest.mark.parametrize("label,files,journal,unit_state,installer,ping,running,condition", [
    ("serving", "20.0.913", None, unit(), False, 200, "20.0.913", "serving"),
    ("answers 503", "20.0.913", None, unit(), False, 503, "20.0.913", "unhealthy"),
    ("stopped", "20.0.913", None, unit("inactive"), False, -1, "", "stopped"),
    ("crashed, restarting", "20.0.913", None, unit("activating"), False, -1, "", "stopped"),
    ("nothing installed", "", None, unit("inactive"), False, -1, "", "absent"),
    ("install begun, not finished", "20.0.913", {"from": "20.0.913", "to": "20.0.950"}, unit("inactive"), False, -1, "",
     "partial"),
    ("half-installed node started by hand", "20.0.913", None, unit(), False, 200, "20.0.950", "partial"),
    ("journal of a finished install", "20.0.950", {"from": "20.0.913", "to": "20.0.950"}, unit(), False, 200, "20.0.950",
     "serving"),
    ("first install cut short", "", {"from": "", "to": "20.0.877"}, unit("inactive"), False, -1, "", "partial"),
    ("an installer still runs", "20.0.913", {"from": "20.0.913", "to": "20.0.950"}, unit("inactive"), True, -1, "",
     "installing"),
])
def test_condition(label, files, journal, unit_state, installer, ping, running, condition):
    assert state_mod.condition(files, journal, unit_state, installer, ping, running) == condition


def test_backups_are_listed_in_version_order(tmp_path):
    for version in ("20.0.950", "20.0.1000", "20.0.913"):
        (tmp_path / f"dsm-{version}.tar.gz").write_text("")
    (tmp_path / "dsm-20.0.999.tar.gz.part").write_text("")  # cut short: not a backup
    assert state_mod.backups(str(tmp_path)) == ["20.0.913", "20.0.950", "20.0.1000"]


def test_a_journal_cut_short_still_says_an_install_began(tmp_path):
    journal = tmp_path / "install.json"
    journal.write_text('{"from": "20.0.9')
    assert state_mod.read_journal(str(journal))["unreadable"] is True
    assert state_mod.read_journal(str(tmp_path / "absent.json")) is None
