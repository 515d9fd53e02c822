"""The three images do their job: NATS with JetStream, PostgreSQL with password auth and the extra databases,
the services image with every package, its entry points and its entrypoint; a second build builds nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import asyncpg
import docker
import nats
import pytest
from docker.errors import ContainerError
from testcontainers.community.nats import NatsContainer
from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.container import DockerContainer

from ess_ops.deploy.files import POSTGRES_UID, SERVICES_UID
from ess_ops.deploy.images import Images, build_images
from tests.support.container_engine import Engine

pytestmark = pytest.mark.containers

REPO = Path(__file__).resolve().parents[2]
INITDB = REPO / "deploy" / "postgres-initdb"  # what the compose files mount: the official image needs it


def loopback(container: DockerContainer, *ports: int) -> None:
    """Publish on 127.0.0.1 only, on free ports."""
    for port in ports:
        container.ports[str(port)] = ("127.0.0.1",)  # type: ignore[assignment]


async def test_nats_image_serves_jetstream(images: Images) -> None:
    container = NatsContainer(image=images.nats, jetstream=True)
    loopback(container, container.client_port, container.management_port)
    with container:
        nc = await nats.connect(container.nats_uri(), connect_timeout=5)
        try:
            js = nc.jetstream()
            await js.add_stream(name="PROBE", subjects=["probe.>"])
            ack = await js.publish("probe.one", b"1")
            assert (ack.stream, ack.seq) == ("PROBE", 1)
            assert (await js.account_info()).streams == 1
        finally:
            await nc.close()


async def test_postgres_image_takes_passwords_and_makes_the_extra_databases(images: Images) -> None:
    container = PostgresContainer(images.postgres, username="ess", password="pass word", dbname="ess")
    container.with_env("POSTGRES_DATABASES", "intake funding evaluation")
    if INITDB.is_dir():
        container.with_volume_mapping(str(INITDB), "/docker-entrypoint-initdb.d", "ro")
    loopback(container, 5432)
    with container:
        ids = container.get_wrapped_container().exec_run(["id", "-u", "postgres"]).output.decode().strip()
        assert ids == str(POSTGRES_UID), "the official image's uid, which the password file is given to"
        where = {"host": container.get_container_host_ip(), "port": int(container.get_exposed_port(5432))}
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(user="ess", password="wrong", database="ess", **where)
        conn = await asyncpg.connect(user="ess", password="pass word", database="intake", **where)
        try:
            names = {row["datname"] for row in await conn.fetch("SELECT datname FROM pg_database")}
            assert {"ess", "intake", "funding", "evaluation"} <= names
            assert await conn.fetchval("SHOW password_encryption") == "scram-sha-256"
            owner = "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'evaluation'"
            assert await conn.fetchval(owner) == "ess"
        finally:
            await conn.close()


PROBE = """
import importlib, importlib.resources, importlib.util, json, os
import ess_contracts, ess_core, ess_views, ess_ops, ess_core.service.main
pages = importlib.resources.files("ess_console")
print(json.dumps({
    "services": sorted(importlib.import_module(f"{m}.bootstrap").service.name
                       for m in ("ess_intake", "ess_funding", "ess_evaluation")),
    "uid": os.getuid(),
    "http_host": os.environ.get("ESS_HTTP_HOST"),
    "bytecode": os.path.exists(importlib.util.cache_from_source(ess_core.service.main.__file__)),
    "console": os.access("/usr/local/bin/ess-console", os.X_OK)
    and all(pages.joinpath(f).is_file() for f in ("templates/strategie.html", "static/strategie.js")),
}))
"""


def test_services_image_holds_every_service(images: Images, container_engine: Engine) -> None:
    client = docker.from_env(timeout=60)
    try:
        out = client.containers.run(images.services, ["python3", "-c", PROBE], remove=True)
        facts = json.loads(out.decode().strip().splitlines()[-1])
        assert facts["services"] == ["evaluation", "funding", "intake"]
        assert facts["uid"] == SERVICES_UID  # the owner `ess deploy secrets` gives the services' files to
        assert facts["http_host"] == "0.0.0.0"
        assert facts["bytecode"], "the image should carry compiled bytecode"
        assert facts["console"], "the console's entry point, templates and static files should be installed"
        # The entrypoint picks the service from its argument or ESS_SERVICE, and asks for the pilot.
        with pytest.raises(ContainerError) as no_pilot:
            client.containers.run(images.services, ["intake"], stderr=True, remove=True)
        assert no_pilot.value.exit_status == 64
        with pytest.raises(ContainerError) as no_console_pilot:
            client.containers.run(images.services, ["console"], stderr=True, remove=True)
        assert no_console_pilot.value.exit_status == 64
        with pytest.raises(ContainerError) as no_settings:
            env = {"ESS_SERVICE": "funding", "ESS_PILOT": "region"}
            client.containers.run(images.services, environment=env, stderr=True, remove=True)
        assert b"ess-funding: missing environment variables" in (no_settings.value.stderr or b"")
    finally:
        for container in client.containers.list(all=True, filters={"ancestor": images.services}):
            container.remove(force=True)
        client.close()


def test_a_second_build_builds_nothing(images: Images, container_engine: Engine) -> None:
    start = time.monotonic()
    again = build_images(REPO, container_engine.cli, log=lambda _: None, env=container_engine.env)
    elapsed = time.monotonic() - start
    assert again.built == ()
    assert again.services == images.services
    for ref in (again.nats, again.postgres, again.services):
        assert container_engine.run("image", "inspect", ref, check=False).returncode == 0, ref
    assert elapsed < 15, f"a cached build_images took {elapsed:.1f} s"
