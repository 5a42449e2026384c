#!/usr/bin/env python3
"""The "## Variables" section of each role README, generated from the role's meta/argument_specs.yml.

The argument specs are what Ansible validates, so they are the one source of a role's variables; the
README section is rendered from them and must not be edited by hand.

    python tools/role_variables.py            rewrite every role README's section
    python tools/role_variables.py --check    exit 1 naming each README that is not current

tests/unit/test_role_variables.py runs the check in `make test`.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
MARK = "<!-- generated from meta/argument_specs.yml by tools/role_variables.py; do not edit -->"
END = "<!-- end of the generated variables -->"
HEADING = "## Variables"
# Where a README without the section gets it: before the first of these headings, else at the end.
BEFORE = ("## Example", "## Entry points", "## Tags", "## What the lab", "## Test")


def plain(text: str) -> str:
    """Ansible's markup (C(), O(), V(), I(), B(), U()) as Markdown code or text; one line, pipes escaped."""
    text = re.sub(r"\b[COV]\(([^()]*)\)", r"`\1`", text)
    text = re.sub(r"\b[IBU]\(([^()]*)\)", r"\1", text)
    return " ".join(text.split()).replace("|", "\\|")


def default_of(spec: dict, role_default: object = None) -> str:
    """The spec's default; where it gives none, the role's defaults/main.yml value (often a template)."""
    if spec.get("required"):
        return "required"
    if "default" not in spec:
        if role_default is None:
            return "none"
        spec = {"default": role_default}
    value = spec["default"]
    if isinstance(value, str) and not value.startswith("{{") and " " in value and not value.strip().startswith(("[", "{")):
        # A default described in words (e.g. "the first aws_database_servers entry's name").
        return plain(value)
    if isinstance(value, str):
        return f"`{value}`".replace("|", "\\|") if value else '`""`'
    shown = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    shown = shown.removesuffix("\n...").removesuffix("...").strip()
    return f"`{shown}`".replace("|", "\\|")


def table(options: dict, defaults: dict) -> list[str]:
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, spec in options.items():
        spec = spec or {}
        description = spec.get("description", "")
        if isinstance(description, list):
            description = " ".join(description)
        kind = spec.get("type", "str")
        if kind == "list" and spec.get("elements"):
            kind = f"list of {spec['elements']}"
        choices = f" One of: {', '.join(f'`{c}`' for c in spec['choices'])}." if spec.get("choices") else ""
        rows.append(f"| `{name}` | {default_of(spec, defaults.get(name))} | {plain(description)} ({kind}){choices} |")
    return rows


def section(role: Path) -> str:
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    defaults_file = role / "defaults" / "main.yml"
    defaults = (yaml.safe_load(defaults_file.read_text()) or {}) if defaults_file.exists() else {}
    lines = [MARK, ""]
    listed: dict[str, dict] = {}
    for entry, spec in specs.items():
        options = spec.get("options") or {}
        new = {name: opt for name, opt in options.items() if name not in listed}
        title = f"Entry point `{entry}`" + (f" (`tasks_from: {entry}`)" if entry != "main" else "")
        summary = plain(spec.get("short_description", ""))
        if not options:
            lines += [f"{title}: {summary} No variables.", ""]
        elif not new:
            same = "the same variables as above" if set(options) == set(listed) else \
                "variables listed above: " + ", ".join(f"`{n}`" for n in options)
            lines += [f"{title}: {summary} Takes {same}.", ""]
        else:
            lines += [f"{title}: {summary}", ""] + table(new, defaults) + [""]
            if len(new) < len(options):
                lines += ["Also: " + ", ".join(f"`{n}`" for n in options if n not in new) + ".", ""]
        listed.update(new)
    return "\n".join(lines).rstrip() + "\n" + END + "\n"


def rendered(readme: str, block: str) -> str:
    """The README with its generated block replaced; a README without one gets a Variables section
    with it, where its old variable table was (under "## Variables"), else before its first BEFORE heading."""
    if MARK in readme and END in readme:
        start, end = readme.index(MARK), readme.index(END) + len(END) + 1
        return readme[:start] + block + readme[end:]
    old = re.search(rf"^{re.escape(HEADING)}\n", readme, flags=re.M)
    if old:
        return readme[: old.end()] + "\n" + block + readme[old.end():]
    for heading in BEFORE:
        at = re.search(rf"^{re.escape(heading)}", readme, flags=re.M)
        if at:
            return readme[: at.start()] + HEADING + "\n\n" + block + "\n" + readme[at.start():]
    return readme.rstrip("\n") + "\n\n" + HEADING + "\n\n" + block


def stale_readmes(write: bool) -> list[Path]:
    stale = []
    for role in sorted(p for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists()):
        readme = role / "README.md"
        current = readme.read_text() if readme.exists() else f"# {role.name}\n"
        wanted = rendered(current, section(role))
        if wanted != current:
            stale.append(readme)
            if write:
                readme.write_text(wanted)
    return stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a README is not current")
    args = parser.parse_args()
    stale = stale_readmes(write=not args.check)
    for path in stale:
        print(f"{path.relative_to(REPO)}: {'not current: run python tools/role_variables.py' if args.check else 'rewritten'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
