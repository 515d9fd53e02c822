"""The `ess` command installed as a partner installs it: wheels, a fresh virtual environment, run-time
dependencies only (no dev group, nothing from this checkout on the path).

Wheels of the seven distributions are built from the checkout, then installed into a new venv under
tmp_path with the versions uv.lock pins (`uv export --no-dev` as constraints, so the run is reproducible
and the wheel cache makes it quick). Inside that venv, every module of every installed `ess_*` package
must import, and `ess --help` and the `--help` of every command and sub-command (read from the Typer
app's command tree in the venv, so a new command is covered without touching this test) must exit 0.

An import that only a dev dependency or another distribution's dependency satisfies in the workspace
venv fails here, naming the module. About 25 s on 2 busy cores with a warm uv cache (building the wheels
and installing them is most of it); on a cold cache it downloads about 130 MB first (30 s here).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.system, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = {
    "ess-contracts",
    "ess-core",
    "ess-views",
    "ess-intake",
    "ess-funding",
    "ess-evaluation",
    "ess-console",
    "ess-ops",
}
# Scripts that a host program runs and that cannot be imported on their own; each says why.
NOT_IMPORTABLE = {
    "ess_core.migrations.env": "alembic's env script: runs only inside alembic (alembic.context.config)",
}
STEP_TIMEOUT_S = 600

# Both run in the fresh venv with python -I: no PYTHONPATH, no user site, not the working directory.
IMPORTS = r"""
import importlib, importlib.metadata as md, json, pkgutil, sys, traceback
from pathlib import Path

skip = set(json.loads(sys.argv[1]))
owners = md.packages_distributions()
tops = sorted(t for t, ds in owners.items() if t.startswith("ess_") and any(d.startswith("ess") for d in ds))
names, failed, outside = [], {}, []

def broken(name):
    failed[name] = traceback.format_exc(limit=-3)

for top in tops:
    names.append(top)
    try:
        package = importlib.import_module(top)
    except BaseException:
        broken(top)
        continue
    names += [m.name for m in pkgutil.walk_packages(package.__path__, top + ".", onerror=broken)]
for name in names:
    if name in skip or name in failed:
        continue
    try:
        module = importlib.import_module(name)
    except BaseException:
        broken(name)
        continue
    where = Path(getattr(module, "__file__", None) or sys.prefix).resolve()
    if not where.is_relative_to(Path(sys.prefix).resolve()):
        outside.append(f"{name}: {where}")
dists = sorted({d for t in tops for d in owners[t]})
print(json.dumps({"dists": dists, "modules": names, "failed": failed, "outside": outside}))
"""

# The `ess` console script's own entry point; every command of its tree with --help, one process.
HELP = r"""
import contextlib, importlib.metadata as md, io, json, traceback
import typer.main

(entry,) = md.entry_points(group="console_scripts", name="ess")
app = entry.load()
paths = []

def walk(command, path):
    paths.append(path)
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        walk(sub, [*path, name])

walk(typer.main.get_command(app), [])
results = []
for path in paths:
    out, code = io.StringIO(), 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            app([*path, "--help"], prog_name="ess")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        code, out = 1, io.StringIO(out.getvalue() + traceback.format_exc())
    results.append({"path": path, "code": code, "output": out.getvalue()})
print(json.dumps(results))
"""


@dataclass(frozen=True)
class Installed:
    root: Path  # the working directory of every run: outside the checkout
    bin: Path
    env: dict[str, str]


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
    assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env() -> dict[str, str]:
    """This process's environment without anything that would point Python or uv at the checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV"}
        and not k.startswith(("UV_PROJECT", "UV_WORKING"))
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    uv = Path(sys.executable).parent / "uv"
    uv_cmd = str(uv) if uv.exists() else shutil.which("uv")
    if uv_cmd is None:
        pytest.skip("uv is not installed (make env puts it in .venv)")
    root = tmp_path_factory.mktemp("install")
    wheels, venv = root / "wheels", root / "venv"
    env = _clean_env()
    _run([uv_cmd, "build", "--wheel", "--all-packages", "--no-build-logs", "-o", str(wheels)], REPO, env)
    built = sorted(wheels.glob("*.whl"))
    assert {w.name.split("-")[0].replace("_", "-") for w in built} == DISTRIBUTIONS, built
    pins = _run(
        [uv_cmd, "export", "--frozen", "--no-dev", "--no-emit-workspace", "--no-hashes", "--no-header"],
        REPO,
        env,
    )
    (root / "constraints.txt").write_text(pins)
    _run([uv_cmd, "venv", "--quiet", "--python", sys.executable, str(venv)], root, env)
    python = venv / "bin" / "python"
    install = [uv_cmd, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python)]
    _run([*install, "-c", "constraints.txt", *map(str, built)], root, env)
    yield Installed(root, venv / "bin", env)


def test_every_module_of_every_distribution_imports(installed: Installed) -> None:
    python = str(installed.bin / "python")
    args = [python, "-I", "-c", IMPORTS, json.dumps(sorted(NOT_IMPORTABLE))]
    probe = json.loads(_run(args, installed.root, installed.env))
    assert set(probe["dists"]) == DISTRIBUTIONS
    failed = "\n".join(f"{name}:\n{trace}" for name, trace in sorted(probe["failed"].items()))
    assert not probe["failed"], f"{len(probe['failed'])} module(s) do not import in the fresh venv:\n{failed}"
    assert not probe["outside"], f"imported from outside the fresh venv: {probe['outside']}"
    assert set(NOT_IMPORTABLE) <= set(probe["modules"]), "a NOT_IMPORTABLE entry names no module: drop it"
    assert len(probe["modules"]) > 100, probe["modules"]


def test_ess_and_every_command_answer_help(installed: Installed) -> None:
    usage = _run([str(installed.bin / "ess"), "--help"], installed.root, installed.env)
    assert "Usage: ess" in usage, usage
    results = json.loads(
        _run([str(installed.bin / "python"), "-I", "-c", HELP], installed.root, installed.env)
    )
    paths = [r["path"] for r in results]
    assert [] in paths and ["up"] in paths and ["funding", "act"] in paths and ["view", "digest"] in paths, (
        paths
    )
    failed = [
        f"ess {' '.join(r['path'])} --help exited {r['code']}:\n{r['output']}"
        for r in results
        if r["code"] != 0 or "Usage: ess" not in r["output"]
    ]
    assert not failed, "\n".join(failed)
