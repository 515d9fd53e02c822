"""Every distribution declares what it imports: deptry on each workspace member against its own pyproject.

deptry reads the dependencies of the pyproject.toml in the directory it runs from, so it runs once per
member, from that member's directory, on its `src`. A module that a member imports must come from one of
its own `[project].dependencies` (DEP001 missing, DEP003 arrives only through another package); a
declared dependency that nothing imports is DEP002 (a member lists the deliberate ones, e.g. a database
driver picked by URL, under `[tool.deptry.per_rule_ignores]` in its own pyproject.toml).

    .venv/bin/python .ci/check_deps.py      # exit 1 and one line per undeclared import, per distribution
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def members() -> list[Path]:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [ROOT / m for m in root["tool"]["uv"]["workspace"]["members"]]


def check(member: Path) -> list[str]:
    """deptry's findings for one member, one line per (rule, module): where first, and how many places."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "deptry.json"
        done = subprocess.run(
            [sys.executable, "-m", "deptry", "src", "--no-ansi", "--json-output", str(report)],
            cwd=member,
            capture_output=True,
            text=True,
        )
        if done.returncode not in (0, 1) or not report.exists():
            return [f"deptry failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()}"]
        issues = json.loads(report.read_text())
    found: dict[tuple[str, str], list[str]] = {}
    for issue in issues:
        where = issue["location"]
        place = where["file"] if where.get("line") is None else f"{where['file']}:{where['line']}"
        found.setdefault((issue["error"]["code"], issue["error"]["message"]), []).append(place)
    lines = []
    for (code, message), places in sorted(found.items()):
        more = f" (+{len(places) - 1} more)" if len(places) > 1 else ""
        lines.append(f"{code} {message}: {places[0]}{more}")
    return lines


def main() -> int:
    failed = 0
    for member in members():
        name = tomllib.loads((member / "pyproject.toml").read_text())["project"]["name"]
        lines = check(member)
        if lines:
            failed += 1
            print(f"{name} ({member.relative_to(ROOT)}): {len(lines)} issue(s)")
            print("".join(f"  {line}\n" for line in lines), end="")
        else:
            print(f"{name}: every import declared")
    if failed:
        print(
            f"{failed} distribution(s) import what they do not declare (see https://deptry.com/issue-codes/)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
