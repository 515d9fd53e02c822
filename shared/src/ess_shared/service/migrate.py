"""Alembic migrations, run at service start on SQLite and PostgreSQL alike. The shared tables have their
own version folder (branch `ess_shared`); each service adds its own folder for its own tables."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from importlib import import_module
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData

from ess_shared.messaging.db import make_engine
from ess_shared.messaging.schema import metadata as shared_metadata

if TYPE_CHECKING:
    from ess_shared.service.spec import ServiceSpec

# Importing these registers their tables on the shared metadata, which the migrations compare against.
import ess_shared.funding
import ess_shared.views  # noqa: F401


def alembic_config(service_metadata: MetaData | None = None, service_versions: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("ess_shared") / "migrations"))
    locations = [str(files("ess_shared") / "migrations" / "versions")]
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


async def autogenerate(message: str, spec: ServiceSpec | None = None) -> None:
    """Write the next revision of the shared branch (no spec) or of a service's branch, by comparing the
    tables in code with a scratch SQLite database migrated to the current heads."""
    versions = _versions(spec)
    cfg = alembic_config(spec.metadata if spec else None, versions)
    branch = f"ess_{spec.name}" if spec else "ess_shared"
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}"
        await upgrade(url, spec)
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(_revision, cfg, message, branch, versions)
        await engine.dispose()


def _revision(connection: Connection, cfg: Config, message: str, branch: str, versions: str | None) -> None:
    cfg.attributes["connection"] = connection
    cfg.attributes["include_object"] = _own_tables(branch == "ess_shared")
    script = ScriptDirectory.from_config(cfg)
    has_branch = any(branch in (rev.branch_labels or ()) for rev in script.walk_revisions())
    command.revision(
        cfg,
        message=message,
        autogenerate=True,
        head=f"{branch}@head" if has_branch else "base",
        branch_label=None if has_branch else branch,
        version_path=None if branch == "ess_shared" else versions,
    )


def _own_tables(shared: bool) -> Callable[..., bool]:
    """A revision of one branch speaks of that branch's tables only, never of the other's."""

    def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        if type_ != "table":
            return True
        return (name in shared_metadata.tables) == shared

    return include


if __name__ == "__main__":
    # python -m ess_shared.service.migrate [SERVICE] "message": SERVICE is intake, funding or evaluation.
    service, text = (sys.argv[1], sys.argv[2]) if len(sys.argv) == 3 else (None, sys.argv[1])
    chosen = import_module(f"ess_{service}.bootstrap").service if service else None
    asyncio.run(autogenerate(text, chosen))
