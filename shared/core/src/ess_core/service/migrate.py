"""Alembic migrations, run at service start on SQLite and PostgreSQL alike. The shared tables have their
own version folder (branch `ess_core`); each service adds its own folder for its own tables.

A new revision: `python -m ess_core.service.migrate ess_<service>.bootstrap:service "message"` for a
service's tables, with `--shared` for the shared ones."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData

from ess_core.messaging.db import make_engine
from ess_core.messaging.schema import metadata as shared_metadata

if TYPE_CHECKING:
    from ess_core.service.spec import ServiceSpec


def alembic_config(service_metadata: MetaData | None = None, service_versions: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("ess_core") / "migrations"))
    locations = [str(files("ess_core") / "migrations" / "versions")]
    if service_versions:
        locations.append(service_versions)
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["target_metadata"] = [shared_metadata, *([service_metadata] if service_metadata else [])]
    return cfg


def _upgrade(connection: Connection, cfg: Config) -> None:
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "heads")


async def upgrade(url: str, spec: ServiceSpec | None = None) -> None:
    cfg = alembic_config(spec.metadata if spec else None, _versions(spec))
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, cfg)
    finally:
        await engine.dispose()


def _versions(spec: ServiceSpec | None) -> str | None:
    if spec is None or spec.migrations is None:
        return None
    package, _, folder = spec.migrations.partition(":")
    return str(files(package) / folder)


async def autogenerate(message: str, spec: ServiceSpec, shared: bool = False) -> None:
    """Write the next revision of the shared branch (`shared`) or of the service's branch, by comparing the
    tables in code with a scratch SQLite database migrated to the current heads. The service's views
    register the shared views' tables on the shared metadata: every service folds them."""
    spec.all_views()
    if shared:
        await _autogenerate(message, None)
    else:
        await _autogenerate(message, spec)


async def _autogenerate(message: str, spec: ServiceSpec | None) -> None:
    versions = _versions(spec)
    cfg = alembic_config(spec.metadata if spec else None, versions)
    branch = f"ess_{spec.name}" if spec else "ess_core"
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}"
        await upgrade(url, spec)
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(_revision, cfg, message, branch, versions)
        await engine.dispose()


def _revision(connection: Connection, cfg: Config, message: str, branch: str, versions: str | None) -> None:
    cfg.attributes["connection"] = connection
    cfg.attributes["include_object"] = _own_tables(branch == "ess_core")
    script = ScriptDirectory.from_config(cfg)
    has_branch = any(branch in (rev.branch_labels or ()) for rev in script.walk_revisions())
    command.revision(
        cfg,
        message=message,
        autogenerate=True,
        head=f"{branch}@head" if has_branch else "base",
        branch_label=None if has_branch else branch,
        version_path=None if branch == "ess_core" else versions,
    )


def _own_tables(shared: bool) -> Callable[..., bool]:
    """A revision of one branch speaks of that branch's tables only, never of the other's."""

    def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        if type_ != "table":
            return True
        return (name in shared_metadata.tables) == shared

    return include


if __name__ == "__main__":
    from ess_core.service.spec import load_spec

    # python -m ess_core.service.migrate ess_<service>.bootstrap:service [--shared] "message"
    arguments = [a for a in sys.argv[1:] if a != "--shared"]
    if len(arguments) != 2:
        raise SystemExit(__doc__)
    asyncio.run(autogenerate(arguments[1], load_spec(arguments[0]), shared="--shared" in sys.argv))
