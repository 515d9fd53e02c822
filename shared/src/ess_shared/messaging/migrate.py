"""Alembic migrations, run at service start on SQLite and PostgreSQL alike. The shared tables have their
own version folder (branch `ess_shared`); each service adds its own folder for its own tables."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, MetaData

from ess_shared.messaging.db import make_engine
from ess_shared.messaging.schema import metadata as shared_metadata

if TYPE_CHECKING:
    from ess_shared.service.spec import ServiceSpec

import ess_shared.views  # noqa: F401  (registers the shared view tables on the shared metadata)


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
