"""Defaults that two roles must share, because they name the same thing."""

from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"


def defaults(role: str) -> dict:
    return yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())


def test_the_audit_log_shipped_and_rated_is_the_one_the_change_window_writes():
    """ship_audit uploads, and the change-management controls read, the file change_window appends to, wherever
    $OPS_AUDIT_LOG moves it."""
    written = defaults("change_window")["change_window_audit_log"]
    assert "OPS_AUDIT_LOG" in written
    assert defaults("aws_logging")["aws_logging_audit_log"] == written
    assert defaults("compliance")["compliance_audit_log"] == written
